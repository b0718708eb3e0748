# lib/: code shared by every keel program (and, later, libkeel itself):
# logging, the JSON-RPC message layer, the JSON Schema validator, the
# xl.cfg reader.
noinst_LTLIBRARIES += lib/libkeelcommon.la
lib_libkeelcommon_la_SOURCES = lib/log.c lib/log.h lib/le.h \
	lib/jsonrpc.c lib/jsonrpc.h \
	lib/jschema.c lib/jschema.h \
	lib/xlcfg.c lib/xlcfg.h
lib_libkeelcommon_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
lib_libkeelcommon_la_LIBADD = $(JSONC_LIBS) $(LIBEVENT_LIBS)

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
