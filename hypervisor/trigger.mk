# hypervisor/trigger.mk: what acts inside a running guest from outside
# (xl's trigger, sysrq, dump-core; on_crash's pvpanic), and its suites.
# Included by hypervisor/local.mk after it defines libkeelhv.la.
hypervisor_libkeelhv_la_SOURCES += \
	hypervisor/dump_core.c hypervisor/dump_core.h \
	hypervisor/pvpanic.c hypervisor/pvpanic.h \
	hypervisor/trigger.c hypervisor/trigger.h \
	hypervisor/x86/core_note.c hypervisor/x86/core_note.h

check_PROGRAMS += tests/unit/check_trigger
TESTS += tests/unit/check_trigger
tests_unit_check_trigger_SOURCES = $(UNIT_RUNNER) $(UNIT_FAKE_VM) \
	tests/unit/check_trigger.c
tests_unit_check_trigger_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_trigger_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_trigger_LDADD = $(HV_UNIT_LIBS)
