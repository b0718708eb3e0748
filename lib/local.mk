# lib/: code shared by every keel program (and, later, libkeel itself):
# logging, the JSON-RPC message layer, the JSON Schema validator, the
# xl.cfg reader.
noinst_LTLIBRARIES += lib/libkeelcommon.la
lib_libkeelcommon_la_SOURCES = lib/log.c lib/log.h lib/le.h \
	lib/jsonrpc.c lib/jsonrpc.h lib/hv_proto.h \
	lib/json_strict.c lib/json_strict.h \
	lib/jschema.c lib/jschema.h \
	lib/xlcfg.c lib/xlcfg.h
lib_libkeelcommon_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
lib_libkeelcommon_la_LIBADD = lib/libkvmhost.la $(JSONC_LIBS) $(LIBEVENT_LIBS)

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
tests_unit_check_jsonrpc_CFLAGS = $(LIB_UNIT_CFLAGS)
tests_unit_check_jsonrpc_LDADD = $(LIB_UNIT_LIBS)

check_PROGRAMS += tests/unit/check_jschema
TESTS += tests/unit/check_jschema
tests_unit_check_jschema_SOURCES = $(UNIT_RUNNER) tests/unit/check_jschema.c
tests_unit_check_jschema_CFLAGS = $(LIB_UNIT_CFLAGS)
tests_unit_check_jschema_LDADD = $(LIB_UNIT_LIBS)

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
	lib/libkeel_internal.h lib/libkeel_console.c lib/console_proto.h
lib_libkeelclient_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
lib_libkeelclient_la_LIBADD = lib/libkeelcommon.la $(JSONC_LIBS)

lib_LTLIBRARIES += lib/libkeel.la
include_HEADERS = lib/keel.h
lib_libkeel_la_SOURCES =
lib_libkeel_la_LIBADD = lib/libkeelclient.la
lib_libkeel_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 \
	-export-symbols-regex '^keel_'
pkgconfig_DATA += lib/libkeel.pc

check_PROGRAMS += tests/unit/check_libkeel
TESTS += tests/unit/check_libkeel
tests_unit_check_libkeel_SOURCES = $(UNIT_RUNNER) tests/unit/check_libkeel.c
tests_unit_check_libkeel_CFLAGS = $(LIB_UNIT_CFLAGS)
tests_unit_check_libkeel_LDADD = lib/libkeelclient.la $(LIB_UNIT_LIBS) -lpthread

check_PROGRAMS += tests/unit/check_libkeel_console
TESTS += tests/unit/check_libkeel_console
tests_unit_check_libkeel_console_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_libkeel_console.c
tests_unit_check_libkeel_console_CFLAGS = $(LIB_UNIT_CFLAGS)
tests_unit_check_libkeel_console_LDADD = lib/libkeelclient.la \
	$(LIB_UNIT_LIBS) -lpthread

# The man pages agree with the schemas and the option/key tables.
check_PROGRAMS += tests/unit/check_docs
TESTS += tests/unit/check_docs
tests_unit_check_docs_SOURCES = $(UNIT_RUNNER) tests/unit/check_docs.c
tests_unit_check_docs_CFLAGS = $(LIB_UNIT_CFLAGS) \
	-DKEEL_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_check_docs_LDADD = $(LIB_UNIT_LIBS)
