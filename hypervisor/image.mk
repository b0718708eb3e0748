# Host-side unpacking of guest kernels and initramfs images (included by
# hypervisor/local.mk after libkeelhv.la is defined): decompressors, the
# vmlinux inside a bzImage, and their unit tests.
hypervisor_libkeelhv_la_SOURCES += \
	hypervisor/decompress.c hypervisor/decompress.h \
	hypervisor/x86/kernel_image.c hypervisor/x86/kernel_image.h
hypervisor_libkeelhv_la_CFLAGS += $(DECOMP_CFLAGS)
hypervisor_libkeelhv_la_LIBADD += $(DECOMP_LIBS)

# The tests compress their own inputs with the same libraries.
check_PROGRAMS += tests/unit/check_decompress
TESTS += tests/unit/check_decompress
tests_unit_check_decompress_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_decompress.c
tests_unit_check_decompress_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_decompress_CFLAGS = $(HV_UNIT_CFLAGS) $(DECOMP_CFLAGS)
tests_unit_check_decompress_LDADD = $(HV_UNIT_LIBS) $(DECOMP_LIBS)

check_PROGRAMS += tests/unit/check_kernel_image
TESTS += tests/unit/check_kernel_image
tests_unit_check_kernel_image_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_kernel_image.c
tests_unit_check_kernel_image_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_kernel_image_CFLAGS = $(HV_UNIT_CFLAGS) $(DECOMP_CFLAGS)
tests_unit_check_kernel_image_LDADD = $(HV_UNIT_LIBS) $(DECOMP_LIBS)
