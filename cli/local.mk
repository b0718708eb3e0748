# cli/: keel, the xl-like command line. It uses libkeel for everything
# it asks keeld, and the shared xl.cfg reader and schema validator for
# the files of create and define.
bin_PROGRAMS += cli/keel
cli_keel_SOURCES = cli/keel.c cli/commands.h cli/cmdtable.c \
	cli/domain_cmds.c cli/list_cmds.c cli/event_cmds.c cli/completion.c \
	cli/console_cmds.c cli/config_file.c cli/iotune_cmds.c \
	cli/vcpu_cmds.c cli/sched_cmds.c \
	cli/mem_cmds.c cli/mem_size.c cli/mem_size.h \
	cli/top.c cli/top.h cli/top_cmds.c \
	cli/device_cmds.c cli/save_cmds.c \
	cli/progress.c cli/progress.h cli/migrate_cmds.c
cli_keel_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
cli_keel_LDADD = lib/libkeelclient.la $(JSONC_LIBS)

# mem-set's and mem-max's sizes (xl's suffixes).
check_PROGRAMS += tests/unit/check_mem_size
TESTS += tests/unit/check_mem_size
tests_unit_check_mem_size_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_mem_size.c cli/mem_size.c cli/mem_size.h
tests_unit_check_mem_size_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/cli
tests_unit_check_mem_size_LDADD = $(UNIT_LIBS)

# The CLI against a real keeld (and, with KVM, real domains).
check_PROGRAMS += tests/integration/check_cli
TESTS += tests/integration/check_cli
tests_integration_check_cli_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_cli.c $(KEELD_FIXTURE)
tests_integration_check_cli_CFLAGS = $(INTEGRATION_CFLAGS) $(JSONC_CFLAGS)
tests_integration_check_cli_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS) $(JSONC_LIBS) -lpthread

# keel top's arithmetic and lines, without a terminal or a keeld
# (cli/top.c).
check_PROGRAMS += tests/unit/check_top
TESTS += tests/unit/check_top
tests_unit_check_top_SOURCES = $(UNIT_RUNNER) tests/unit/check_top.c \
	cli/top.c cli/top.h
tests_unit_check_top_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/cli
tests_unit_check_top_CFLAGS = $(UNIT_CFLAGS) $(JSONC_CFLAGS)
tests_unit_check_top_LDADD = $(UNIT_LIBS) $(JSONC_LIBS)

# xl's shapes of keeld's answers: list's flags and -l, uptime's times.
cli_keel_SOURCES += cli/xl_format.c cli/xl_format.h
# keel dmesg: keeld's log ring.
cli_keel_SOURCES += cli/host_cmds.c
check_PROGRAMS += tests/unit/check_cli_xl
TESTS += tests/unit/check_cli_xl
tests_unit_check_cli_xl_SOURCES = $(UNIT_RUNNER) tests/unit/check_cli_xl.c \
	cli/xl_format.c cli/xl_format.h
tests_unit_check_cli_xl_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/cli
tests_unit_check_cli_xl_CFLAGS = $(UNIT_CFLAGS) $(JSONC_CFLAGS)
tests_unit_check_cli_xl_LDADD = $(UNIT_LIBS) $(JSONC_LIBS)
