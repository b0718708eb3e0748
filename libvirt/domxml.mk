# libvirt/domxml: libvirt domain XML <-> keel's configuration, for
# keel-virtd (libvirt/domxml.h, docs/libvirt.md "Domain XML"). A
# convenience library; programs that link it also link
# lib/libkeelcommon.la (or libkeelclient.la, which holds it) for
# cpumap, iotune and paths, so that no object is linked twice.
noinst_LTLIBRARIES += libvirt/libdomxml.la
libvirt_libdomxml_la_SOURCES = libvirt/domxml.c libvirt/domxml.h \
	libvirt/domxml_map.c libvirt/domxml_devices.c libvirt/domxml_write.c \
	libvirt/domxml_internal.h
libvirt_libdomxml_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libvirt
libvirt_libdomxml_la_CFLAGS = $(AM_CFLAGS) $(LIBXML2_CFLAGS) $(JSONC_CFLAGS)
libvirt_libdomxml_la_LIBADD = $(LIBXML2_LIBS) $(JSONC_LIBS) -lpthread

# The grammar of the subset, installed beside keeld's schemas, where
# keel_schema_dir() (lib/paths.h) finds it.
dist_keelschemas_DATA += schemas/libvirt-domain.rng

# Golden files, refusals, hostile input and round trips (check_domxml.c).
check_PROGRAMS += tests/unit/check_domxml
TESTS += tests/unit/check_domxml
# Its "keeld" case defines shut-off domains on a real keeld (no KVM).
tests_unit_check_domxml_SOURCES = $(UNIT_RUNNER) tests/unit/check_domxml.c \
	$(KEELD_FIXTURE)
tests_unit_check_domxml_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libvirt \
	-I$(top_srcdir)/tests/integration
tests_unit_check_domxml_CFLAGS = $(LIB_UNIT_CFLAGS) $(LIBXML2_CFLAGS) \
	-DKEEL_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_check_domxml_LDADD = libvirt/libdomxml.la lib/libkeelclient.la \
	tests/integration/libharness.la $(LIB_UNIT_LIBS) $(LIBXML2_LIBS) \
	-lpthread
EXTRA_tests_unit_check_domxml_DEPENDENCIES = daemon/keeld$(EXEEXT)
EXTRA_DIST += tests/unit/domxml

# libFuzzer target (make fuzz, docs/testing.md "Fuzzing"): domxml_parse()
# on any bytes, and format/parse round trips of what it accepts.
FUZZ_DOMXML_SRC = tests/fuzz/fuzz_domxml.c libvirt/domxml.c \
	libvirt/domxml_map.c libvirt/domxml_devices.c libvirt/domxml_write.c \
	lib/cpumap.c lib/iotune.c lib/paths.c
tests/fuzz/fuzz_domxml: $(FUZZ_DOMXML_SRC:%=$(srcdir)/%) \
		$(srcdir)/libvirt/domxml.h $(srcdir)/libvirt/domxml_internal.h \
		$(srcdir)/schemas/libvirt-domain.rng \
		config.h
	$(AM_V_CCLD)$(MKDIR_P) tests/fuzz && $(FUZZ_CC) $(FUZZ_CFLAGS) \
		-I$(top_builddir) -I$(top_srcdir)/lib -I$(top_srcdir)/libvirt \
		-DKEEL_ABS_BUILDDIR='"$(abs_top_builddir)"' \
		-DKEEL_ABS_SRCDIR='"$(abs_top_srcdir)"' \
		-DKEEL_DATADIR='"$(pkgdatadir)"' \
		-DKEEL_SBINDIR='"$(sbindir)"' \
		-DFUZZ_SCHEMA_DIR='"$(abs_top_srcdir)/schemas"' \
		$(LIBXML2_CFLAGS) $(JSONC_CFLAGS) \
		$(FUZZ_DOMXML_SRC:%=$(srcdir)/%) \
		$(LIBXML2_LIBS) $(JSONC_LIBS) -lpthread -o $@
CLEANFILES += tests/fuzz/fuzz_domxml
fuzz: tests/fuzz/fuzz_domxml
