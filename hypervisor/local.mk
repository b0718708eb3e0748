# hypervisor/: keel-hv. Everything but main.c is the convenience library
# libkeelhv.la, linked by keel-hv and by the unit tests; the ACPI and
# virtio fragments included at the end add their sources to it.
noinst_LTLIBRARIES += hypervisor/libkeelhv.la
hypervisor_libkeelhv_la_SOURCES = \
	hypervisor/acpi_pm.c hypervisor/acpi_pm.h \
	hypervisor/console_mux.c hypervisor/console_mux.h \
	hypervisor/console_mux_internal.h \
	hypervisor/console_mux_server.c \
	hypervisor/console_stdio.c hypervisor/console_stdio.h \
	hypervisor/control.c hypervisor/control.h \
	hypervisor/control_devices.c hypervisor/control_internal.h \
	hypervisor/control_save.c hypervisor/control_migrate.c \
	hypervisor/dirty.c hypervisor/dirty.h \
	hypervisor/migrate_internal.h hypervisor/migrate_precopy.c \
	hypervisor/migrate_send.c hypervisor/migrate_send.h \
	hypervisor/device.c hypervisor/device.h \
	hypervisor/hv_args.c hypervisor/hv_args.h \
	hypervisor/hotplug.c hypervisor/hotplug.h \
	hypervisor/hv_error.c hypervisor/hv_error.h \
	hypervisor/i8042.c hypervisor/i8042.h \
	hypervisor/incoming.c hypervisor/incoming.h \
	hypervisor/iobus.c hypervisor/iobus.h \
	hypervisor/ns8250.c hypervisor/ns8250.h \
	hypervisor/ratelimit.c hypervisor/ratelimit.h \
	hypervisor/restore.c hypervisor/save.c hypervisor/save.h \
	hypervisor/status_file.c hypervisor/status_file.h \
	hypervisor/vcpu.c hypervisor/vcpu.h \
	hypervisor/vcpu_affinity.c hypervisor/vcpu_affinity.h \
	hypervisor/vm.c hypervisor/vm.h \
	hypervisor/vmm.c hypervisor/vmm.h \
	hypervisor/x86/boot.c hypervisor/x86/boot.h \
	hypervisor/x86/cpu.c hypervisor/x86/cpu.h \
	hypervisor/x86/cpuid.c hypervisor/x86/cpuid.h \
	hypervisor/x86/cpu_state.c hypervisor/x86/cpu_state.h \
	hypervisor/x86/cpu_state_internal.h \
	hypervisor/x86/cpu_state_msr.c hypervisor/x86/cpu_state_vcpu.c \
	hypervisor/x86/cpu_state_vm.c \
	hypervisor/x86/mptable.c hypervisor/x86/mptable.h
hypervisor_libkeelhv_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/hypervisor
hypervisor_libkeelhv_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) \
	$(LIBEVENT_CFLAGS)
hypervisor_libkeelhv_la_LIBADD = lib/libkeelstream.la lib/libkeelclient.la \
	lib/libkeelcommon.la -lpthread \
	$(JSONC_LIBS) $(LIBEVENT_LIBS)
# --incoming: the TLS server and pump (lib/tls_pump.c).
hypervisor_libkeelhv_la_CFLAGS += $(OPENSSL_CFLAGS)
hypervisor_libkeelhv_la_LIBADD += lib/libkeelclient.la $(OPENSSL_LIBS) \
	-lpthread

sbin_PROGRAMS += hypervisor/keel-hv
hypervisor_keel_hv_SOURCES = hypervisor/main.c
hypervisor_keel_hv_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/hypervisor
hypervisor_keel_hv_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
hypervisor_keel_hv_LDADD = hypervisor/libkeelhv.la

HV_UNIT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/hypervisor
HV_UNIT_CFLAGS = $(UNIT_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
HV_UNIT_LIBS = hypervisor/libkeelhv.la $(UNIT_LIBS) $(JSONC_LIBS)
# The KVM-less struct vm of the device suites.
UNIT_FAKE_VM = tests/unit/fake_vm.c tests/unit/fake_vm.h

# vCPU threads' pinning on real threads, without KVM (vcpu_affinity.c).
check_PROGRAMS += tests/unit/check_vcpu_affinity
TESTS += tests/unit/check_vcpu_affinity
tests_unit_check_vcpu_affinity_SOURCES = $(UNIT_RUNNER) $(UNIT_FAKE_VM) \
	tests/unit/check_vcpu_affinity.c
tests_unit_check_vcpu_affinity_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_vcpu_affinity_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_vcpu_affinity_LDADD = $(HV_UNIT_LIBS) -lpthread

check_PROGRAMS += tests/unit/check_iobus
TESTS += tests/unit/check_iobus
tests_unit_check_iobus_SOURCES = $(UNIT_RUNNER) tests/unit/check_iobus.c
tests_unit_check_iobus_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_iobus_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_iobus_LDADD = $(HV_UNIT_LIBS)

check_PROGRAMS += tests/unit/check_boot
TESTS += tests/unit/check_boot
tests_unit_check_boot_SOURCES = $(UNIT_RUNNER) tests/unit/check_boot.c
tests_unit_check_boot_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_boot_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_boot_LDADD = $(HV_UNIT_LIBS)

check_PROGRAMS += tests/unit/check_ns8250
TESTS += tests/unit/check_ns8250
tests_unit_check_ns8250_SOURCES = $(UNIT_RUNNER) $(UNIT_FAKE_VM) \
	tests/unit/check_ns8250.c
tests_unit_check_ns8250_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_ns8250_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_ns8250_LDADD = $(HV_UNIT_LIBS)

check_PROGRAMS += tests/unit/check_i8042
TESTS += tests/unit/check_i8042
tests_unit_check_i8042_SOURCES = $(UNIT_RUNNER) $(UNIT_FAKE_VM) \
	tests/unit/check_i8042.c
tests_unit_check_i8042_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_i8042_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_i8042_LDADD = $(HV_UNIT_LIBS)

check_PROGRAMS += tests/unit/check_acpi_pm
TESTS += tests/unit/check_acpi_pm
tests_unit_check_acpi_pm_SOURCES = $(UNIT_RUNNER) $(UNIT_FAKE_VM) \
	tests/unit/check_acpi_pm.c
tests_unit_check_acpi_pm_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_acpi_pm_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_acpi_pm_LDADD = $(HV_UNIT_LIBS)

check_PROGRAMS += tests/unit/check_acpi_pcihp
TESTS += tests/unit/check_acpi_pcihp
tests_unit_check_acpi_pcihp_SOURCES = $(UNIT_RUNNER) $(UNIT_FAKE_VM) \
	tests/unit/check_acpi_pcihp.c
tests_unit_check_acpi_pcihp_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_acpi_pcihp_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_acpi_pcihp_LDADD = $(HV_UNIT_LIBS) $(LIBEVENT_LIBS)

check_PROGRAMS += tests/unit/check_vmm
TESTS += tests/unit/check_vmm
tests_unit_check_vmm_SOURCES = $(UNIT_RUNNER) tests/unit/check_vmm.c
tests_unit_check_vmm_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_vmm_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_vmm_LDADD = $(HV_UNIT_LIBS) $(LIBEVENT_LIBS)

check_PROGRAMS += tests/unit/check_console_mux
TESTS += tests/unit/check_console_mux
tests_unit_check_console_mux_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_console_mux.c
tests_unit_check_console_mux_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_console_mux_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_console_mux_LDADD = $(HV_UNIT_LIBS) $(LIBEVENT_LIBS)

include hypervisor/acpi.mk
include hypervisor/virtio.mk
include hypervisor/image.mk
include hypervisor/trigger.mk

check_PROGRAMS += tests/unit/check_virtio_blk
TESTS += tests/unit/check_virtio_blk
tests_unit_check_virtio_blk_SOURCES = $(UNIT_RUNNER) $(UNIT_FAKE_VM) \
	tests/unit/check_virtio_blk.c
tests_unit_check_virtio_blk_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_virtio_blk_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_virtio_blk_LDADD = $(HV_UNIT_LIBS) $(LIBEVENT_LIBS)

check_PROGRAMS += tests/unit/check_ratelimit
TESTS += tests/unit/check_ratelimit
tests_unit_check_ratelimit_SOURCES = $(UNIT_RUNNER) tests/unit/check_ratelimit.c
tests_unit_check_ratelimit_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_ratelimit_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_ratelimit_LDADD = $(HV_UNIT_LIBS) $(LIBEVENT_LIBS)

check_PROGRAMS += tests/unit/check_virtio_net
TESTS += tests/unit/check_virtio_net
tests_unit_check_virtio_net_SOURCES = $(UNIT_RUNNER) $(UNIT_FAKE_VM) \
	tests/unit/check_virtio_net.c
tests_unit_check_virtio_net_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_virtio_net_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_virtio_net_LDADD = $(HV_UNIT_LIBS) $(LIBEVENT_LIBS)

# Live migration's dirty bitmaps, pacing and auto-converge, without KVM.
check_PROGRAMS += tests/unit/check_migrate
TESTS += tests/unit/check_migrate
tests_unit_check_migrate_SOURCES = $(UNIT_RUNNER) tests/unit/check_migrate.c
tests_unit_check_migrate_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_migrate_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_migrate_LDADD = $(HV_UNIT_LIBS)

# keel-hv's command line: the incoming migration's options.
check_PROGRAMS += tests/unit/check_hv_args
TESTS += tests/unit/check_hv_args
tests_unit_check_hv_args_SOURCES = $(UNIT_RUNNER) tests/unit/check_hv_args.c
tests_unit_check_hv_args_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_hv_args_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_hv_args_LDADD = $(HV_UNIT_LIBS)
