# daemon/: keeld. Everything but main.c is the convenience library
# libkeeld.la, so that unit tests can link the pieces.
noinst_LTLIBRARIES += daemon/libkeeld.la
daemon_libkeeld_la_SOURCES = \
	daemon/conf.c daemon/conf.h \
	daemon/console.c daemon/console.h \
	daemon/domain_methods.c daemon/handlers.h \
	daemon/host_methods.c \
	daemon/iotune_methods.c \
	daemon/device_methods.c daemon/device_methods.h \
	daemon/hotplug_methods.c \
	daemon/adopt.c \
	daemon/readback.c daemon/readback.h \
	daemon/cgroup.c daemon/cgroup.h \
	daemon/cgroup_domain.c daemon/cgroup_domain.h \
	daemon/sched_methods.c \
	daemon/run.c daemon/run.h \
	daemon/decide.c daemon/decide.h \
	daemon/hv.c daemon/hv.h \
	daemon/hv_cmdline.c daemon/hv_cmdline.h \
	daemon/launch.c \
	daemon/lifecycle.c daemon/lifecycle.h \
	daemon/lifecycle_methods.c \
	daemon/memory_methods.c daemon/memory.h \
	daemon/keeld.h \
	daemon/methods.c daemon/methods.h \
	daemon/nic.c daemon/nic.h \
	daemon/pinning.c daemon/pinning.h \
	daemon/vcpu_methods.c \
	daemon/registry.c daemon/registry.h \
	daemon/save_methods.c daemon/save_methods.h \
	daemon/save_writer.c daemon/save_writer.h \
	daemon/server.c daemon/server.h \
	daemon/stats.c daemon/stats.h \
	daemon/answer.c daemon/conn.h
daemon_libkeeld_la_SOURCES += daemon/tls.c daemon/tls.h
# Live migration: keeld as another keeld's client, both sides' methods,
# the source's migration.
daemon_libkeeld_la_SOURCES += daemon/peer.c daemon/peer.h \
	daemon/migrate.h daemon/migrate_methods.c daemon/migration_out.c \
	daemon/migration_in.c
KEELD_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon \
	-DKEELD_CONFIG='"$(sysconfdir)/keel/keeld.conf"' \
	-DKEELD_SCHEMA_DIR='"$(pkgdatadir)/schemas"' \
	-DKEELD_RUN_DIR='"/run/keel"' \
	-DKEELD_STATE_DIR='"/var/lib/keel"' \
	-DKEELD_HYPERVISOR='"$(sbindir)/keel-hv"'
daemon_libkeeld_la_CPPFLAGS = $(KEELD_CPPFLAGS)
daemon_libkeeld_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
daemon_libkeeld_la_LIBADD = lib/libkeelstream.la lib/libkeelcommon.la \
	$(JSONC_LIBS) \
	$(LIBEVENT_LIBS)
daemon_libkeeld_la_CFLAGS += $(LIBEVENT_OPENSSL_CFLAGS) $(OPENSSL_CFLAGS)
daemon_libkeeld_la_LIBADD += $(LIBEVENT_OPENSSL_LIBS) $(OPENSSL_LIBS)

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

# vCPU pinning through keeld: refusals and definitions without KVM,
# a real guest's vCPU threads with it (nested where KVM is missing).
check_PROGRAMS += tests/integration/check_pinning
TESTS += tests/integration/check_pinning
tests_integration_check_pinning_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_pinning.c $(KEELD_FIXTURE)
tests_integration_check_pinning_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(JSONC_CFLAGS)
tests_integration_check_pinning_LDADD = tests/integration/libharness.la \
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

# What domain.set_memory and domain.set_maxmem accept (memory_methods.c).
check_PROGRAMS += tests/unit/check_memory
TESTS += tests/unit/check_memory
tests_unit_check_memory_SOURCES = $(UNIT_RUNNER) tests/unit/check_memory.c
tests_unit_check_memory_CPPFLAGS = $(KEELD_UNIT_CPPFLAGS)
tests_unit_check_memory_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_memory_LDADD = $(KEELD_UNIT_LIBS)

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

# cgroups on stand-in directories laid out as v1 and v2 hosts, the
# weight and cap mappings, and the host's own cgroups where writable
# (cgroup.c, cgroup_domain.c).
check_PROGRAMS += tests/unit/check_cgroup
TESTS += tests/unit/check_cgroup
tests_unit_check_cgroup_SOURCES = $(UNIT_RUNNER) tests/unit/check_cgroup.c
tests_unit_check_cgroup_CPPFLAGS = $(KEELD_UNIT_CPPFLAGS)
tests_unit_check_cgroup_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_cgroup_LDADD = $(KEELD_UNIT_LIBS)

# The writer of a save's or a core's file (save_writer.c): a stream,
# a core's records, and the records keel-hv must never send.
check_PROGRAMS += tests/unit/check_save_writer
TESTS += tests/unit/check_save_writer
tests_unit_check_save_writer_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_save_writer.c
tests_unit_check_save_writer_CPPFLAGS = $(KEELD_UNIT_CPPFLAGS)
tests_unit_check_save_writer_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_save_writer_LDADD = $(KEELD_UNIT_LIBS) $(LIBEVENT_LIBS)

# A domain's cgroup through keeld with real test guests: the mapped
# values at start, after domain.set_sched and after a keeld restart;
# refused changes; hosts without cgroups (KVM: nested runner).
check_PROGRAMS += tests/integration/check_cgroups
TESTS += tests/integration/check_cgroups
tests_integration_check_cgroups_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_cgroups.c $(KEELD_FIXTURE)
tests_integration_check_cgroups_CPPFLAGS = $(KEELD_CPPFLAGS)
tests_integration_check_cgroups_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(JSONC_CFLAGS)
tests_integration_check_cgroups_LDADD = tests/integration/libharness.la \
	daemon/libkeeld.la $(UNIT_LIBS) $(JSONC_LIBS) -lpthread

# Unit suites of the modules that only make sense behind keeld's
# sockets: keeld's modules in the test's own process, on one event loop
# the test drives (tests/unit/unit_keeld.h).
UNIT_KEELD = tests/unit/unit_keeld.c tests/unit/unit_keeld.h
UNIT_KEELD_CPPFLAGS = $(KEELD_UNIT_CPPFLAGS) \
	-DKEEL_TEST_SRCDIR='"$(abs_top_srcdir)"' \
	-DKEEL_TEST_BUILDDIR='"$(abs_top_builddir)"'
UNIT_KEELD_LIBS = $(KEELD_UNIT_LIBS) $(LIBEVENT_LIBS)

# Client connections: framing, order, errors, broadcast (server.c).
check_PROGRAMS += tests/unit/check_server
TESTS += tests/unit/check_server
tests_unit_check_server_SOURCES = $(UNIT_RUNNER) tests/unit/check_server.c \
	$(UNIT_KEELD)
tests_unit_check_server_CPPFLAGS = $(UNIT_KEELD_CPPFLAGS)
tests_unit_check_server_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_server_LDADD = $(UNIT_KEELD_LIBS)

# A line's answers: batches, their limit, deferred answers (answer.c).
check_PROGRAMS += tests/unit/check_answer
TESTS += tests/unit/check_answer
tests_unit_check_answer_SOURCES = $(UNIT_RUNNER) tests/unit/check_answer.c \
	$(UNIT_KEELD)
tests_unit_check_answer_CPPFLAGS = $(UNIT_KEELD_CPPFLAGS)
tests_unit_check_answer_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_answer_LDADD = $(UNIT_KEELD_LIBS)

# Who gets in: caps per uid and in all, root's reserve (listener.c).
check_PROGRAMS += tests/unit/check_listener
TESTS += tests/unit/check_listener
tests_unit_check_listener_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_listener.c $(UNIT_KEELD)
tests_unit_check_listener_CPPFLAGS = $(UNIT_KEELD_CPPFLAGS)
tests_unit_check_listener_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_listener_LDADD = $(UNIT_KEELD_LIBS)

# What keeld refuses before keel-hv runs: disks, memory (launch.c).
check_PROGRAMS += tests/unit/check_launch
TESTS += tests/unit/check_launch
tests_unit_check_launch_SOURCES = $(UNIT_RUNNER) tests/unit/check_launch.c \
	$(UNIT_KEELD)
tests_unit_check_launch_CPPFLAGS = $(UNIT_KEELD_CPPFLAGS)
tests_unit_check_launch_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_launch_LDADD = $(UNIT_KEELD_LIBS)

# Definitions: lookup, checks beyond the schema, rename (domain_methods.c).
check_PROGRAMS += tests/unit/check_domain_methods
TESTS += tests/unit/check_domain_methods
tests_unit_check_domain_methods_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_domain_methods.c $(UNIT_KEELD)
tests_unit_check_domain_methods_CPPFLAGS = $(UNIT_KEELD_CPPFLAGS)
tests_unit_check_domain_methods_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_domain_methods_LDADD = $(UNIT_KEELD_LIBS)

check_PROGRAMS += tests/unit/check_device_methods
TESTS += tests/unit/check_device_methods
tests_unit_check_device_methods_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_device_methods.c $(UNIT_KEELD)
tests_unit_check_device_methods_CPPFLAGS = $(UNIT_KEELD_CPPFLAGS)
tests_unit_check_device_methods_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_device_methods_LDADD = $(UNIT_KEELD_LIBS)

# Live migration through two keelds in one process, fake_hv on both
# sides (migrate_methods.c, migration_out.c, migration_in.c, peer.c).
check_PROGRAMS += tests/unit/check_migrate_methods
TESTS += tests/unit/check_migrate_methods
tests_unit_check_migrate_methods_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_migrate_methods.c $(UNIT_KEELD)
tests_unit_check_migrate_methods_CPPFLAGS = $(UNIT_KEELD_CPPFLAGS)
tests_unit_check_migrate_methods_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_migrate_methods_LDADD = $(UNIT_KEELD_LIBS)
EXTRA_tests_unit_check_migrate_methods_DEPENDENCIES = tests/unit/fake_hv

# A stand-in for keel-hv on the control and console sockets, no VM.
check_PROGRAMS += tests/unit/fake_hv
tests_unit_fake_hv_SOURCES = tests/unit/fake_hv.c
tests_unit_fake_hv_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_fake_hv_LDADD = lib/libkeelstream.la lib/libkeelcommon.la \
	$(JSONC_LIBS)

# Running domains' states, reasons and events, fake_hv as keel-hv
# (lifecycle.c).
check_PROGRAMS += tests/unit/check_lifecycle
TESTS += tests/unit/check_lifecycle
tests_unit_check_lifecycle_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_lifecycle.c $(UNIT_KEELD)
tests_unit_check_lifecycle_CPPFLAGS = $(UNIT_KEELD_CPPFLAGS)
tests_unit_check_lifecycle_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_lifecycle_LDADD = $(UNIT_KEELD_LIBS)
EXTRA_tests_unit_check_lifecycle_DEPENDENCIES = tests/unit/fake_hv

# What each lifecycle method refuses in which state (lifecycle_methods.c).
check_PROGRAMS += tests/unit/check_lifecycle_methods
TESTS += tests/unit/check_lifecycle_methods
tests_unit_check_lifecycle_methods_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_lifecycle_methods.c $(UNIT_KEELD)
tests_unit_check_lifecycle_methods_CPPFLAGS = $(UNIT_KEELD_CPPFLAGS)
tests_unit_check_lifecycle_methods_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_lifecycle_methods_LDADD = $(UNIT_KEELD_LIBS)
EXTRA_tests_unit_check_lifecycle_methods_DEPENDENCIES = tests/unit/fake_hv

# host.info against the host itself (host_methods.c).
check_PROGRAMS += tests/unit/check_host_methods
TESTS += tests/unit/check_host_methods
tests_unit_check_host_methods_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_host_methods.c $(UNIT_KEELD)
tests_unit_check_host_methods_CPPFLAGS = $(UNIT_KEELD_CPPFLAGS)
tests_unit_check_host_methods_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_host_methods_LDADD = $(UNIT_KEELD_LIBS)

# domain.open_console: who may, and the relay (console.c).
check_PROGRAMS += tests/unit/check_console
TESTS += tests/unit/check_console
tests_unit_check_console_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_console.c $(UNIT_KEELD)
tests_unit_check_console_CPPFLAGS = $(UNIT_KEELD_CPPFLAGS)
tests_unit_check_console_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_console_LDADD = $(UNIT_KEELD_LIBS)
EXTRA_tests_unit_check_console_DEPENDENCIES = tests/unit/fake_hv
# domain.stats' shape and keeld's /proc readings (stats.c).
check_PROGRAMS += tests/unit/check_stats
TESTS += tests/unit/check_stats
tests_unit_check_stats_SOURCES = $(UNIT_RUNNER) tests/unit/check_stats.c
tests_unit_check_stats_CPPFLAGS = $(KEELD_UNIT_CPPFLAGS)
tests_unit_check_stats_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_stats_LDADD = $(KEELD_UNIT_LIBS) $(LIBEVENT_LIBS)

# xl info's machine: topology, NUMA, clock, CPU and KVM capabilities.
daemon_libkeeld_la_SOURCES += daemon/hostinfo.c daemon/hostinfo.h
check_PROGRAMS += tests/unit/check_hostinfo
TESTS += tests/unit/check_hostinfo
tests_unit_check_hostinfo_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_hostinfo.c daemon/hostinfo.c daemon/hostinfo.h
tests_unit_check_hostinfo_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
tests_unit_check_hostinfo_CFLAGS = $(UNIT_CFLAGS) $(JSONC_CFLAGS)
tests_unit_check_hostinfo_LDADD = $(UNIT_LIBS) $(JSONC_LIBS)

# keel dmesg's ring of keeld's log lines (lib/log.c).
check_PROGRAMS += tests/unit/check_log_ring
TESTS += tests/unit/check_log_ring
tests_unit_check_log_ring_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_log_ring.c lib/log.c lib/log.h
tests_unit_check_log_ring_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
tests_unit_check_log_ring_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_log_ring_LDADD = $(UNIT_LIBS) -lpthread
