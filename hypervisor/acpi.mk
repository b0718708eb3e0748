# hypervisor/acpi.mk: the ACPI tables and their AML writer.
# Included by hypervisor/local.mk after it defines libkeelhv.la; acpi_pm.c
# (the power-management ports) is listed there with the other devices.
hypervisor_libkeelhv_la_SOURCES += \
	hypervisor/x86/acpi.c hypervisor/x86/acpi.h \
	hypervisor/x86/aml.c hypervisor/x86/aml.h

check_PROGRAMS += tests/unit/check_aml
TESTS += tests/unit/check_aml
tests_unit_check_aml_SOURCES = $(UNIT_RUNNER) tests/unit/check_aml.c
tests_unit_check_aml_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_aml_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_aml_LDADD = $(HV_UNIT_LIBS)

# check_acpi runs iasl (Debian: acpica-tools) on the tables when it is
# installed, and leaves that one check out when it is not.
check_PROGRAMS += tests/unit/check_acpi
TESTS += tests/unit/check_acpi
tests_unit_check_acpi_SOURCES = $(UNIT_RUNNER) $(UNIT_FAKE_VM) \
	tests/unit/check_acpi.c
tests_unit_check_acpi_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_acpi_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_acpi_LDADD = $(HV_UNIT_LIBS)
