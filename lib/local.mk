# lib/: code shared by every keel program (and, later, libkeel itself):
# logging, the JSON-RPC message layer, the JSON Schema validator, the
# xl.cfg reader.
noinst_LTLIBRARIES += lib/libkeelcommon.la
lib_libkeelcommon_la_SOURCES = lib/log.c lib/log.h lib/le.h lib/monotime.h \
	lib/jsonrpc.c lib/jsonrpc.h lib/hv_proto.h \
	lib/jsonrpc_frame.c lib/jsonrpc_frame.h lib/jsonrpc_frame_ev.h \
	lib/json_file.c lib/json_file.h \
	lib/json_strict.c lib/json_strict.h \
	lib/jschema.c lib/jschema.h lib/jschema_internal.h \
	lib/jschema_compile.c lib/jschema_validate.c \
	lib/xlcfg.c lib/xlcfg.h lib/xlcfg_internal.h lib/xlcfg_syntax.c \
	lib/xlcfg_disk.c lib/xlcfg_vif.c lib/xlcfg_keys.c lib/xlcfg_read.c \
	lib/iotune.c lib/iotune.h \
	lib/paths.c lib/paths.h \
	lib/cpumap.c lib/cpumap.h
lib_libkeelcommon_la_SOURCES += lib/pki.c lib/pki.h lib/tcp_tune.c lib/tcp_tune.h
lib_libkeelcommon_la_SOURCES += lib/fault.c lib/fault.h
# paths.c tells the build tree from the installed places (lib/paths.h).
lib_libkeelcommon_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DKEEL_ABS_BUILDDIR='"$(abs_top_builddir)"' \
	-DKEEL_ABS_SRCDIR='"$(abs_top_srcdir)"'
lib_libkeelcommon_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(OPENSSL_CFLAGS)
lib_libkeelcommon_la_LIBADD = lib/libkvmhost.la $(JSONC_LIBS) $(LIBEVENT_LIBS) \
	$(OPENSSL_LIBS)

# Which KVM this host has (kvm_pvm or not): keel-hv, the test harness
# and make demo's guest/kvm-linux ask it. No dependencies, so that the
# harness can link it alone.
noinst_LTLIBRARIES += lib/libkvmhost.la
lib_libkvmhost_la_SOURCES = lib/kvm_host.c lib/kvm_host.h

LIB_UNIT_CFLAGS = $(UNIT_CFLAGS) $(JSONC_CFLAGS) -I$(top_srcdir)/lib
LIB_UNIT_LIBS = lib/libkeelcommon.la $(UNIT_LIBS) $(JSONC_LIBS)

check_PROGRAMS += tests/unit/check_jsonrpc
TESTS += tests/unit/check_jsonrpc
tests_unit_check_jsonrpc_SOURCES = $(UNIT_RUNNER) tests/unit/check_jsonrpc.c
tests_unit_check_jsonrpc_CFLAGS = $(LIB_UNIT_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_check_jsonrpc_LDADD = $(LIB_UNIT_LIBS) $(LIBEVENT_LIBS)

check_PROGRAMS += tests/unit/check_json_file
TESTS += tests/unit/check_json_file
tests_unit_check_json_file_SOURCES = $(UNIT_RUNNER) tests/unit/check_json_file.c
tests_unit_check_json_file_CFLAGS = $(LIB_UNIT_CFLAGS)
tests_unit_check_json_file_LDADD = $(LIB_UNIT_LIBS)

check_PROGRAMS += tests/unit/check_paths
TESTS += tests/unit/check_paths
tests_unit_check_paths_SOURCES = $(UNIT_RUNNER) tests/unit/check_paths.c
tests_unit_check_paths_CFLAGS = $(LIB_UNIT_CFLAGS)
tests_unit_check_paths_LDADD = $(LIB_UNIT_LIBS)

check_PROGRAMS += tests/unit/check_jschema
TESTS += tests/unit/check_jschema
tests_unit_check_jschema_SOURCES = $(UNIT_RUNNER) tests/unit/check_jschema.c
tests_unit_check_jschema_CFLAGS = $(LIB_UNIT_CFLAGS)
tests_unit_check_jschema_LDADD = $(LIB_UNIT_LIBS)

check_PROGRAMS += tests/unit/check_cpumap
TESTS += tests/unit/check_cpumap
tests_unit_check_cpumap_SOURCES = $(UNIT_RUNNER) tests/unit/check_cpumap.c
tests_unit_check_cpumap_CFLAGS = $(LIB_UNIT_CFLAGS)
tests_unit_check_cpumap_LDADD = $(LIB_UNIT_LIBS)

check_PROGRAMS += tests/unit/check_fault
TESTS += tests/unit/check_fault
tests_unit_check_fault_SOURCES = $(UNIT_RUNNER) tests/unit/check_fault.c
tests_unit_check_fault_CFLAGS = $(LIB_UNIT_CFLAGS)
tests_unit_check_fault_LDADD = $(LIB_UNIT_LIBS)

check_PROGRAMS += tests/unit/check_xlcfg
TESTS += tests/unit/check_xlcfg
tests_unit_check_xlcfg_SOURCES = $(UNIT_RUNNER) tests/unit/check_xlcfg.c
tests_unit_check_xlcfg_CFLAGS = $(LIB_UNIT_CFLAGS)
tests_unit_check_xlcfg_LDADD = $(LIB_UNIT_LIBS)
EXTRA_DIST += tests/golden

# libkeel: the public client library (keel.h, man/libkeel.3). Only the
# keel_* functions are exported; the shared code it links stays private.
# keel's own programs link the same code statically (libkeelclient.la),
# so that they run from the build tree without libtool's wrapper script
# (the nested KVM test VM has no shell for it).
noinst_LTLIBRARIES += lib/libkeelclient.la
lib_libkeelclient_la_SOURCES = lib/libkeel.c lib/keel.h \
	lib/libkeel_internal.h lib/libkeel_events.c lib/libkeel_calls.c \
	lib/libkeel_save.c lib/libkeel_migrate.c \
	lib/libkeel_results.c lib/libkeel_results.h \
	lib/libkeel_console.c lib/console_proto.h
lib_libkeelclient_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
lib_libkeelclient_la_LIBADD = lib/libkeelcommon.la $(JSONC_LIBS)
lib_libkeelclient_la_SOURCES += lib/libkeel_tls.c lib/tls_pump.c lib/tls_pump.h
lib_libkeelclient_la_CFLAGS += $(OPENSSL_CFLAGS)
lib_libkeelclient_la_LIBADD += $(OPENSSL_LIBS) -lpthread

lib_LTLIBRARIES += lib/libkeel.la
include_HEADERS = lib/keel.h
lib_libkeel_la_SOURCES =
lib_libkeel_la_LIBADD = lib/libkeelclient.la
lib_libkeel_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 \
	-export-symbols-regex '^keel_'
pkgconfig_DATA += lib/keel.pc lib/libkeel.pc

# libkeel's suites talk to one scripted fake keeld (fake_keeld.h).
FAKE_KEELD = tests/unit/fake_keeld.c tests/unit/fake_keeld.h

check_PROGRAMS += tests/unit/check_libkeel
TESTS += tests/unit/check_libkeel
tests_unit_check_libkeel_SOURCES = $(UNIT_RUNNER) tests/unit/check_libkeel.c \
	$(FAKE_KEELD)
tests_unit_check_libkeel_CFLAGS = $(LIB_UNIT_CFLAGS)
tests_unit_check_libkeel_LDADD = lib/libkeelclient.la $(LIB_UNIT_LIBS) -lpthread

# domain.migrate, _cancel, _set and keel migrate's calls and argument
# errors (the CLI program runs against the fake keeld).
check_PROGRAMS += tests/unit/check_libkeel_migrate
TESTS += tests/unit/check_libkeel_migrate
tests_unit_check_libkeel_migrate_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_libkeel_migrate.c $(FAKE_KEELD)
tests_unit_check_libkeel_migrate_CFLAGS = $(LIB_UNIT_CFLAGS)
tests_unit_check_libkeel_migrate_LDADD = lib/libkeelclient.la \
	$(LIB_UNIT_LIBS) -lpthread
EXTRA_tests_unit_check_libkeel_migrate_DEPENDENCIES = cli/keel$(EXEEXT)

check_PROGRAMS += tests/unit/check_libkeel_console
TESTS += tests/unit/check_libkeel_console
tests_unit_check_libkeel_console_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_libkeel_console.c $(FAKE_KEELD)
tests_unit_check_libkeel_console_CFLAGS = $(LIB_UNIT_CFLAGS)
tests_unit_check_libkeel_console_LDADD = lib/libkeelclient.la \
	$(LIB_UNIT_LIBS) -lpthread

# lib/tls_pump.c: keel-hv --incoming's TLS server against good and bad
# clients, and the pump's throughput (certificates by keel-pki-init).
check_PROGRAMS += tests/unit/check_tls_pump
TESTS += tests/unit/check_tls_pump
tests_unit_check_tls_pump_SOURCES = $(UNIT_RUNNER) tests/unit/check_tls_pump.c
tests_unit_check_tls_pump_CFLAGS = $(LIB_UNIT_CFLAGS) $(OPENSSL_CFLAGS) \
	-DKEEL_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_check_tls_pump_LDADD = lib/libkeelclient.la $(LIB_UNIT_LIBS) \
	$(OPENSSL_LIBS) -lpthread

# The man pages agree with the schemas and the option/key tables.
check_PROGRAMS += tests/unit/check_docs
TESTS += tests/unit/check_docs
tests_unit_check_docs_SOURCES = $(UNIT_RUNNER) tests/unit/check_docs.c
tests_unit_check_docs_CFLAGS = $(LIB_UNIT_CFLAGS) \
	-DKEEL_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_check_docs_LDADD = $(LIB_UNIT_LIBS)

# The limits in lib/hv_proto.h and in schemas/domain.schema.json agree.
check_PROGRAMS += tests/unit/check_hv_proto
TESTS += tests/unit/check_hv_proto
tests_unit_check_hv_proto_SOURCES = $(UNIT_RUNNER) tests/unit/check_hv_proto.c
tests_unit_check_hv_proto_CFLAGS = $(LIB_UNIT_CFLAGS) \
	-DKEEL_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_check_hv_proto_LDADD = $(LIB_UNIT_LIBS)

# The domain stream (docs/stream.md): save, restore and migration's
# records, for keel-hv. lz4 and zstd encode RAM, xxhash checks the end.
# A library of its own, so that libkeel.so and keeld do not link them.
noinst_LTLIBRARIES += lib/libkeelstream.la
lib_libkeelstream_la_SOURCES = lib/stream.c lib/stream_read.c lib/stream.h \
	lib/stream_read_ram.c lib/stream_reader.h lib/stream_in.c \
	lib/stream_in.h
lib_libkeelstream_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) \
	$(DECOMP_CFLAGS) $(XXHASH_CFLAGS)
lib_libkeelstream_la_LIBADD = lib/libkeelcommon.la $(DECOMP_LIBS) \
	$(XXHASH_LIBS)
