# hypervisor/virtio.mk: the PCI host bridge, the virtio core and PCI
# transport, split virtqueues and the virtio devices, with their unit
# suites. Included by hypervisor/local.mk after libkeelhv.la is defined.
hypervisor_libkeelhv_la_SOURCES += \
	hypervisor/pci.c hypervisor/pci.h \
	hypervisor/virtqueue.c hypervisor/virtqueue.h \
	hypervisor/virtio.c hypervisor/virtio.h \
	hypervisor/virtio_pci.c hypervisor/virtio_pci.h \
	hypervisor/virtio_blk.c hypervisor/virtio_blk.h \
	hypervisor/virtio_net.c hypervisor/virtio_net.h \
	hypervisor/virtio_console.c hypervisor/virtio_console.h \
	hypervisor/virtio_rng.c hypervisor/virtio_rng.h \
	hypervisor/virtio_balloon.c hypervisor/virtio_balloon.h

check_PROGRAMS += tests/unit/check_virtqueue
TESTS += tests/unit/check_virtqueue
tests_unit_check_virtqueue_SOURCES = $(UNIT_RUNNER) $(UNIT_FAKE_VM) \
	tests/unit/check_virtqueue.c
tests_unit_check_virtqueue_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_virtqueue_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_virtqueue_LDADD = $(HV_UNIT_LIBS) $(LIBEVENT_LIBS)

check_PROGRAMS += tests/unit/check_pci
TESTS += tests/unit/check_pci
tests_unit_check_pci_SOURCES = $(UNIT_RUNNER) $(UNIT_FAKE_VM) \
	tests/unit/check_pci.c
tests_unit_check_pci_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_pci_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_pci_LDADD = $(HV_UNIT_LIBS) $(LIBEVENT_LIBS)
