# daemon/: keeld. Everything but main.c is the convenience library
# libkeeld.la, so that unit tests can link the pieces.
noinst_LTLIBRARIES += daemon/libkeeld.la
daemon_libkeeld_la_SOURCES = \
	daemon/conf.c daemon/conf.h \
	daemon/console.c daemon/console.h \
	daemon/domain_methods.c daemon/handlers.h \
	daemon/host_methods.c \
	daemon/hotplug_methods.c \
	daemon/adopt.c \
	daemon/run.c daemon/run.h \
	daemon/decide.c daemon/decide.h \
	daemon/hv.c daemon/hv.h \
	daemon/hv_cmdline.c daemon/hv_cmdline.h \
	daemon/launch.c \
	daemon/lifecycle.c daemon/lifecycle.h \
	daemon/lifecycle_methods.c \
	daemon/keeld.h \
	daemon/methods.c daemon/methods.h \
	daemon/nic.c daemon/nic.h \
	daemon/registry.c daemon/registry.h \
	daemon/server.c daemon/server.h \
	daemon/answer.c daemon/conn.h
KEELD_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon \
	-DKEELD_CONFIG='"$(sysconfdir)/keel/keeld.conf"' \
	-DKEELD_SCHEMA_DIR='"$(pkgdatadir)/schemas"' \
	-DKEELD_RUN_DIR='"/run/keel"' \
	-DKEELD_STATE_DIR='"/var/lib/keel"' \
	-DKEELD_HYPERVISOR='"$(sbindir)/keel-hv"'
daemon_libkeeld_la_CPPFLAGS = $(KEELD_CPPFLAGS)
daemon_libkeeld_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
daemon_libkeeld_la_LIBADD = lib/libkeelcommon.la $(JSONC_LIBS) \
	$(LIBEVENT_LIBS)

sbin_PROGRAMS += daemon/keeld
daemon_keeld_SOURCES = daemon/main.c
daemon_keeld_CPPFLAGS = $(KEELD_CPPFLAGS)
daemon_keeld_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
daemon_keeld_LDADD = daemon/libkeeld.la

# The schemas keeld loads at start (--schema-dir defaults here).
keelschemasdir = $(pkgdatadir)/schemas
dist_keelschemas_DATA = schemas/keel.openrpc.json schemas/domain.schema.json

KEELD_FIXTURE = tests/integration/keeld_fixture.c \
	tests/integration/keeld_fixture.h

# A real keeld in a temporary run directory, talked to over its sockets.
check_PROGRAMS += tests/integration/check_keeld
TESTS += tests/integration/check_keeld
tests_integration_check_keeld_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_keeld.c $(KEELD_FIXTURE)
tests_integration_check_keeld_CFLAGS = $(INTEGRATION_CFLAGS) $(JSONC_CFLAGS)
tests_integration_check_keeld_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS) $(JSONC_LIBS) -lpthread

# keeld's decisions about domains that need no KVM: what it refuses,
# durability, failed and destroyed starts, restart loops, run dirs.
check_PROGRAMS += tests/integration/check_domains
TESTS += tests/integration/check_domains
tests_integration_check_domains_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_domains.c $(KEELD_FIXTURE)
tests_integration_check_domains_CFLAGS = $(INTEGRATION_CFLAGS) $(JSONC_CFLAGS)
tests_integration_check_domains_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS) $(JSONC_LIBS)

# keeld running real domains (in-tree test guests on KVM).
check_PROGRAMS += tests/integration/check_lifecycle
TESTS += tests/integration/check_lifecycle
tests_integration_check_lifecycle_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_lifecycle.c $(KEELD_FIXTURE)
tests_integration_check_lifecycle_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(JSONC_CFLAGS)
tests_integration_check_lifecycle_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS) $(JSONC_LIBS) -lpthread

# Consoles through keeld, on real test guests.
check_PROGRAMS += tests/integration/check_console
TESTS += tests/integration/check_console
tests_integration_check_console_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_console.c $(KEELD_FIXTURE)
tests_integration_check_console_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(JSONC_CFLAGS)
tests_integration_check_console_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS) $(JSONC_LIBS) -lpthread

# What keeld's clients may hold (connections, buffers): admit.c.
daemon_libkeeld_la_SOURCES += daemon/admit.c daemon/admit.h \
	daemon/listener.c daemon/listener.h

# keeld against hostile local users: descriptor and memory exhaustion,
# the limits on clients, idle and lingering closes, the log's budget.
check_PROGRAMS += tests/integration/check_hostile
TESTS += tests/integration/check_hostile
tests_integration_check_hostile_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_hostile.c $(KEELD_FIXTURE)
tests_integration_check_hostile_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(JSONC_CFLAGS)
tests_integration_check_hostile_LDADD = tests/integration/libharness.la \
	lib/libkeelcommon.la $(UNIT_LIBS) $(JSONC_LIBS) -lpthread

# Unit suites of keeld's modules that need no KVM, no running keeld and
# no network: each links the pieces it tests from libkeeld.la.
KEELD_UNIT_CPPFLAGS = $(KEELD_CPPFLAGS)
KEELD_UNIT_CFLAGS = $(UNIT_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
KEELD_UNIT_LIBS = daemon/libkeeld.la $(UNIT_LIBS) $(JSONC_LIBS)

# What keeld does when a VM ends: decide.c's every combination.
check_PROGRAMS += tests/unit/check_decide
TESTS += tests/unit/check_decide
tests_unit_check_decide_SOURCES = $(UNIT_RUNNER) tests/unit/check_decide.c
tests_unit_check_decide_CPPFLAGS = $(KEELD_UNIT_CPPFLAGS)
tests_unit_check_decide_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_decide_LDADD = $(KEELD_UNIT_LIBS)

# Tap names, MACs and bridges of a domain's NICs: nic.c.
check_PROGRAMS += tests/unit/check_nic
TESTS += tests/unit/check_nic
tests_unit_check_nic_SOURCES = $(UNIT_RUNNER) tests/unit/check_nic.c
tests_unit_check_nic_CPPFLAGS = $(KEELD_UNIT_CPPFLAGS)
tests_unit_check_nic_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_nic_LDADD = $(KEELD_UNIT_LIBS)

# keeld.conf: its settings and its errors (conf.c).
check_PROGRAMS += tests/unit/check_conf
TESTS += tests/unit/check_conf
tests_unit_check_conf_SOURCES = $(UNIT_RUNNER) tests/unit/check_conf.c
tests_unit_check_conf_CPPFLAGS = $(KEELD_UNIT_CPPFLAGS)
tests_unit_check_conf_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_conf_LDADD = $(KEELD_UNIT_LIBS)

# The domain registry and its definition files (registry.c).
check_PROGRAMS += tests/unit/check_registry
TESTS += tests/unit/check_registry
tests_unit_check_registry_SOURCES = $(UNIT_RUNNER) tests/unit/check_registry.c
tests_unit_check_registry_CPPFLAGS = $(KEELD_UNIT_CPPFLAGS)
tests_unit_check_registry_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_registry_LDADD = $(KEELD_UNIT_LIBS)

# keel-hv's command line, built and parsed back (hv_cmdline.c).
check_PROGRAMS += tests/unit/check_hv_cmdline
TESTS += tests/unit/check_hv_cmdline
tests_unit_check_hv_cmdline_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_hv_cmdline.c
tests_unit_check_hv_cmdline_CPPFLAGS = $(KEELD_UNIT_CPPFLAGS)
tests_unit_check_hv_cmdline_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_hv_cmdline_LDADD = $(KEELD_UNIT_LIBS)

# What clients may hold: caps per uid and in all, the budget (admit.c).
check_PROGRAMS += tests/unit/check_admit
TESTS += tests/unit/check_admit
tests_unit_check_admit_SOURCES = $(UNIT_RUNNER) tests/unit/check_admit.c
tests_unit_check_admit_CPPFLAGS = $(KEELD_UNIT_CPPFLAGS)
tests_unit_check_admit_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_admit_LDADD = $(KEELD_UNIT_LIBS) $(LIBEVENT_LIBS)

# keel-hv processes from keeld's side, a shell standing in (hv.c).
check_PROGRAMS += tests/unit/check_hv
TESTS += tests/unit/check_hv
tests_unit_check_hv_SOURCES = $(UNIT_RUNNER) tests/unit/check_hv.c
tests_unit_check_hv_CPPFLAGS = $(KEELD_UNIT_CPPFLAGS)
tests_unit_check_hv_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_hv_LDADD = $(KEELD_UNIT_LIBS) $(LIBEVENT_LIBS)

# The method table against schemas/, and what every request passes
# before its handler (methods.c).
check_PROGRAMS += tests/unit/check_methods
TESTS += tests/unit/check_methods
tests_unit_check_methods_SOURCES = $(UNIT_RUNNER) tests/unit/check_methods.c
tests_unit_check_methods_CPPFLAGS = $(KEELD_UNIT_CPPFLAGS) \
	-DKEEL_TEST_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_check_methods_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_methods_LDADD = $(KEELD_UNIT_LIBS)

# A running domain's state file, written and read back (adopt.c), and
# its run directory's clean-up (run.c).
check_PROGRAMS += tests/unit/check_adopt
TESTS += tests/unit/check_adopt
tests_unit_check_adopt_SOURCES = $(UNIT_RUNNER) tests/unit/check_adopt.c
tests_unit_check_adopt_CPPFLAGS = $(KEELD_UNIT_CPPFLAGS)
tests_unit_check_adopt_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_adopt_LDADD = $(KEELD_UNIT_LIBS)
