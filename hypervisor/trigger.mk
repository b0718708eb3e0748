# hypervisor/trigger.mk: what acts inside a running guest from outside
# (xl's trigger, sysrq, button-press, dump-core; on_crash's pvpanic), in
# keel-hv, keeld and keel, and its suites: one fragment for the feature,
# so that the shared local.mk files only include it. Included by
# hypervisor/local.mk, after lib/, daemon/ and cli/ define their targets.
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

# keeld's methods (man/keeld.8, "Acting inside the guest") and keel's
# commands (man/keel.1).
daemon_libkeeld_la_SOURCES += daemon/trigger_methods.c
cli_keel_SOURCES += cli/trigger_cmds.c

# keel-hv's trigger, sysrq, dump-core and pvpanic with the trigger test
# guest; readelf -n reads its cores where binutils is installed.
check_PROGRAMS += tests/integration/check_hv_trigger
TESTS += tests/integration/check_hv_trigger
tests_integration_check_hv_trigger_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_hv_trigger.c
tests_integration_check_hv_trigger_CFLAGS = $(INTEGRATION_CFLAGS)
tests_integration_check_hv_trigger_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS)

# domain.trigger, sysrq, button_press and dump_core through keeld and
# keel, with the trigger test guest.
check_PROGRAMS += tests/integration/check_triggers
TESTS += tests/integration/check_triggers
tests_integration_check_triggers_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_triggers.c $(KEELD_FIXTURE)
tests_integration_check_triggers_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(JSONC_CFLAGS)
tests_integration_check_triggers_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS) $(JSONC_LIBS) -lpthread

# The same methods' refusals without KVM, and keel's usage errors.
check_PROGRAMS += tests/integration/check_trigger_methods
TESTS += tests/integration/check_trigger_methods
tests_integration_check_trigger_methods_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_trigger_methods.c $(KEELD_FIXTURE)
tests_integration_check_trigger_methods_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(JSONC_CFLAGS)
tests_integration_check_trigger_methods_LDADD = \
	tests/integration/libharness.la $(UNIT_LIBS) $(JSONC_LIBS) -lpthread
