# tests/: unit suites (one program per module, all sharing runner.c) and
# integration suites on real guests. Fragments elsewhere add their own
# check_<module> programs with $(UNIT_RUNNER) and $(UNIT_CFLAGS).
UNIT_RUNNER = tests/unit/runner.c tests/unit/runner.h
UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests/unit
UNIT_LIBS = $(CHECK_LIBS)

# Print every suite's Check summary so a reader of the CI log sees how
# many tests ran, and a total in the plain "N passed, N failed" form.
check-local: check-TESTS
	@echo "=== test summary ==="
	@for f in $(TESTS:=.log); do \
		test -f "$$f" || continue; \
		grep -H -E '^(SKIP: |[0-9]+%: Checks:)' "$$f" || true; \
	done
	@cat /dev/null $(TESTS:=.log) | awk -F'[:,] *' \
		'/^[0-9]+%: Checks:/ { n += $$3; bad += $$5 + $$7 } \
		/^SKIP: / { skip++ } \
		END { printf "checks: %d passed, %d failed, %d skipped\n", \
			n - bad, bad, skip }'

# Integration tests run programs from the build tree. Check's timeouts
# are stretched: they catch hangs, not slowness, and a loaded CI machine
# or a sanitizer build must not fail a test that only ran slowly.
AM_TESTS_ENVIRONMENT = KEEL_BUILDDIR='$(abs_top_builddir)'; \
	KEEL_SRCDIR='$(abs_top_srcdir)'; \
	CK_TIMEOUT_MULTIPLIER=$${CK_TIMEOUT_MULTIPLIER:-5}; \
	export KEEL_BUILDDIR KEEL_SRCDIR CK_TIMEOUT_MULTIPLIER;

noinst_LTLIBRARIES += tests/integration/libharness.la
tests_integration_libharness_la_SOURCES = tests/integration/harness.c \
	tests/integration/harness.h
# Check: the suites' shared console and file helpers assert (harness.h).
tests_integration_libharness_la_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_libharness_la_LIBADD = lib/libkvmhost.la $(CHECK_LIBS)

# Benchmarks: built by `make bench`, never run by `make check`.
EXTRA_PROGRAMS = tests/bench/boot tests/bench/rpc tests/bench/create \
	tests/bench/console tests/bench/scale tests/bench/abuse tests/bench/qos \
	tests/bench/save tests/bench/migrate
if HAVE_LIBVIRT
EXTRA_PROGRAMS += tests/bench/virt
endif
# A keeld in a temporary directory, for the benchmarks that need one:
# the integration suites' fixture (keeld_env in keeld_fixture.h).
BENCH_KEELD = $(KEELD_FIXTURE)
# QMP, one keeld call, the console: what the keel-against-QEMU ones share.
BENCH_VMM = tests/bench/bench_vmm.c tests/bench/bench_vmm.h
BENCH_KEELD_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS)
BENCH_KEELD_LIBS = tests/integration/libharness.la $(CHECK_LIBS) \
	$(JSONC_LIBS)
tests_bench_boot_SOURCES = tests/bench/boot.c
tests_bench_boot_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/integration
tests_bench_boot_LDADD = tests/integration/libharness.la
# keel-virtd against libvirtd's test driver, libvirt's client on both.
tests_bench_virt_SOURCES = tests/bench/virt.c $(BENCH_KEELD)
tests_bench_virt_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/integration \
	-I$(top_srcdir)/libvirt -I$(top_builddir)/libvirt
tests_bench_virt_CFLAGS = $(BENCH_KEELD_CFLAGS) $(LIBVIRT_CFLAGS) \
	$(TIRPC_CFLAGS)
tests_bench_virt_LDADD = libvirt/libvirtcore.la lib/libkeelclient.la \
	$(BENCH_KEELD_LIBS) $(LIBVIRT_LIBS) $(TIRPC_LIBS) -lpthread
$(tests_bench_virt_OBJECTS): libvirt/virt_protocol.h
tests_bench_rpc_SOURCES = tests/bench/rpc.c $(BENCH_KEELD)
tests_bench_rpc_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/integration
tests_bench_rpc_CFLAGS = $(BENCH_KEELD_CFLAGS)
tests_bench_rpc_LDADD = $(BENCH_KEELD_LIBS) -lpthread
tests_bench_create_SOURCES = tests/bench/create.c $(BENCH_KEELD)
tests_bench_create_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/integration
tests_bench_create_CFLAGS = $(BENCH_KEELD_CFLAGS)
tests_bench_create_LDADD = $(BENCH_KEELD_LIBS)
tests_bench_console_SOURCES = tests/bench/console.c $(BENCH_KEELD)
tests_bench_console_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/integration
tests_bench_console_CFLAGS = $(BENCH_KEELD_CFLAGS)
tests_bench_console_LDADD = $(BENCH_KEELD_LIBS) -lpthread
tests_bench_qos_SOURCES = tests/bench/qos.c $(BENCH_KEELD)
tests_bench_qos_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/integration \
	-I$(top_srcdir)/lib -I$(top_srcdir)/hypervisor
tests_bench_qos_CFLAGS = $(BENCH_KEELD_CFLAGS) $(LIBEVENT_CFLAGS)
# hypervisor/ratelimit.c, for the cost of one bucket check.
tests_bench_qos_LDADD = lib/libkeelclient.la $(BENCH_KEELD_LIBS) \
	hypervisor/libkeelhv.la $(LIBEVENT_LIBS) -lm
tests_bench_scale_SOURCES = tests/bench/scale.c $(BENCH_KEELD)
tests_bench_scale_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/integration
tests_bench_scale_CFLAGS = $(BENCH_KEELD_CFLAGS)
tests_bench_scale_LDADD = $(BENCH_KEELD_LIBS)
tests_bench_abuse_SOURCES = tests/bench/abuse.c $(BENCH_KEELD)
tests_bench_abuse_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/integration
tests_bench_abuse_CFLAGS = $(BENCH_KEELD_CFLAGS)
tests_bench_abuse_LDADD = $(BENCH_KEELD_LIBS) -lpthread
# issue 11's save/restore benchmark: keel against QEMU (docs/save-bench.md).
tests_bench_save_SOURCES = tests/bench/save.c $(BENCH_VMM) $(BENCH_KEELD)
tests_bench_save_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/integration
tests_bench_save_CFLAGS = $(BENCH_KEELD_CFLAGS)
tests_bench_save_LDADD = $(BENCH_KEELD_LIBS)
# tests/bench/qos's stand-in keel-hv for domain.stats_all on many domains.
EXTRA_PROGRAMS += tests/bench/stats_hv
tests_bench_stats_hv_SOURCES = tests/bench/stats_hv.c
tests_bench_stats_hv_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
CLEANFILES += $(EXTRA_PROGRAMS)

.PHONY: bench
bench: $(EXTRA_PROGRAMS)

INTEGRATION_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/tests/integration \
	-I$(top_srcdir)/tests/guests

check_PROGRAMS += tests/integration/check_hv_guests
TESTS += tests/integration/check_hv_guests
tests_integration_check_hv_guests_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_hv_guests.c
tests_integration_check_hv_guests_CFLAGS = $(INTEGRATION_CFLAGS)
tests_integration_check_hv_guests_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS)

# keel-hv's save method and --restore with the test guests (KVM).
check_PROGRAMS += tests/integration/check_save
TESTS += tests/integration/check_save
tests_integration_check_save_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_save.c
tests_integration_check_save_CFLAGS = $(INTEGRATION_CFLAGS)
tests_integration_check_save_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS)

# keel-hv's live migration, the source side, against the suite's own
# TLS receiver, with the dirty test guest (KVM; check_migrate_hv.c).
check_PROGRAMS += tests/integration/check_migrate_hv
TESTS += tests/integration/check_migrate_hv
tests_integration_check_migrate_hv_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_migrate_hv.c
tests_integration_check_migrate_hv_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(JSONC_CFLAGS) $(OPENSSL_CFLAGS)
tests_integration_check_migrate_hv_LDADD = tests/integration/libharness.la \
	lib/libkeelstream.la $(UNIT_LIBS) $(JSONC_LIBS) $(OPENSSL_LIBS) \
	-lpthread

# keel-hv --incoming fed by a source the test plays (KVM; nested where
# /dev/kvm is missing). Certificates from data/keel-pki-init.
check_PROGRAMS += tests/integration/check_migrate_in
TESTS += tests/integration/check_migrate_in
tests_integration_check_migrate_in_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_migrate_in.c
tests_integration_check_migrate_in_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(OPENSSL_CFLAGS) -I$(top_srcdir)/lib \
	-DKEEL_SRCDIR='"$(abs_top_srcdir)"'
tests_integration_check_migrate_in_LDADD = tests/integration/libharness.la \
	lib/libkeelclient.la lib/libkeelstream.la $(UNIT_LIBS) $(JSONC_LIBS) $(OPENSSL_LIBS) \
	-lpthread

# lib/kvm_host.c, the nested-runner decision and keel-hv's warning on
# kvm_pvm, with a faked /sys/module: runs on any host, KVM or not.
check_PROGRAMS += tests/integration/check_kvm_host
TESTS += tests/integration/check_kvm_host
tests_integration_check_kvm_host_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_kvm_host.c
tests_integration_check_kvm_host_CFLAGS = $(INTEGRATION_CFLAGS)
tests_integration_check_kvm_host_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS)

# The stock Debian kernel with every virtio device, directly and through
# keeld: part of make check (check_linux.c).
check_PROGRAMS += tests/integration/check_linux
TESTS += tests/integration/check_linux
tests_integration_check_linux_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_linux.c $(KEELD_FIXTURE)
tests_integration_check_linux_CFLAGS = $(INTEGRATION_CFLAGS) $(JSONC_CFLAGS)
tests_integration_check_linux_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS) $(JSONC_LIBS)

# PCI hot-plug of a disk and a NIC into the Debian guest (check_hotplug.c).
check_PROGRAMS += tests/integration/check_hotplug
TESTS += tests/integration/check_hotplug
tests_integration_check_hotplug_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_hotplug.c $(KEELD_FIXTURE)
tests_integration_check_hotplug_CFLAGS = $(INTEGRATION_CFLAGS) $(JSONC_CFLAGS)
tests_integration_check_hotplug_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS) $(JSONC_LIBS)
# keel save and restore of the Debian guest, 3 times (check_save_keeld.c).
check_PROGRAMS += tests/integration/check_save_keeld
TESTS += tests/integration/check_save_keeld
tests_integration_check_save_keeld_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_save_keeld.c $(KEELD_FIXTURE)
tests_integration_check_save_keeld_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(JSONC_CFLAGS)
tests_integration_check_save_keeld_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS) $(JSONC_LIBS)
# domain.save where it can hurt: a stream larger than the domain's
# memory cgroup leaves room for, a full file system (check_save_limits.c).
check_PROGRAMS += tests/integration/check_save_limits
TESTS += tests/integration/check_save_limits
tests_integration_check_save_limits_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_save_limits.c $(KEELD_FIXTURE)
tests_integration_check_save_limits_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(JSONC_CFLAGS)
tests_integration_check_save_limits_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS) $(JSONC_LIBS)
LONG_TESTS =

.PHONY: check-long
# check_hv_guests and check_migrate again with KEEL_LONG=1: their slow
# or doubtful cases (check_migrate: five round trips, not one).
LONG_RERUN = tests/integration/check_hv_guests tests/integration/check_migrate
check-long: all guest $(LONG_TESTS) $(LONG_RERUN)
	@for t in $(LONG_TESTS) $(LONG_RERUN); do \
		$(AM_TESTS_ENVIRONMENT) KEEL_LONG=1 ./$$t || exit 1; \
	done

# I/O limits' spellings (lib/iotune.c) and keel-hv's --iotune option
# (hypervisor/hv_args.c): every key, and every refusal's sentence.
check_PROGRAMS += tests/unit/check_iotune
TESTS += tests/unit/check_iotune
tests_unit_check_iotune_SOURCES = $(UNIT_RUNNER) tests/unit/check_iotune.c
tests_unit_check_iotune_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_unit_check_iotune_CFLAGS = $(HV_UNIT_CFLAGS)
tests_unit_check_iotune_LDADD = $(HV_UNIT_LIBS)

# A keeld restart with running domains, fake_hv outliving it: what was
# changed live is what they run with after, state file or not (adopt.c).
check_PROGRAMS += tests/unit/check_readopt
TESTS += tests/unit/check_readopt
tests_unit_check_readopt_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_readopt.c $(UNIT_KEELD)
tests_unit_check_readopt_CPPFLAGS = $(UNIT_KEELD_CPPFLAGS)
tests_unit_check_readopt_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_readopt_LDADD = $(UNIT_KEELD_LIBS)
EXTRA_tests_unit_check_readopt_DEPENDENCIES = tests/unit/fake_hv

# domain.set_vcpus' refusals and changes, fake_hv as keel-hv
# (hotplug_methods.c).
check_PROGRAMS += tests/unit/check_hotplug_methods
TESTS += tests/unit/check_hotplug_methods
tests_unit_check_hotplug_methods_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_hotplug_methods.c $(UNIT_KEELD)
tests_unit_check_hotplug_methods_CPPFLAGS = $(UNIT_KEELD_CPPFLAGS)
tests_unit_check_hotplug_methods_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_hotplug_methods_LDADD = $(UNIT_KEELD_LIBS)
EXTRA_tests_unit_check_hotplug_methods_DEPENDENCIES = tests/unit/fake_hv

# domain.save and domain.restore, fake_hv as keel-hv (save_methods.c).
check_PROGRAMS += tests/unit/check_save_methods
TESTS += tests/unit/check_save_methods
tests_unit_check_save_methods_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_save_methods.c $(UNIT_KEELD)
tests_unit_check_save_methods_CPPFLAGS = $(UNIT_KEELD_CPPFLAGS)
tests_unit_check_save_methods_CFLAGS = $(KEELD_UNIT_CFLAGS)
tests_unit_check_save_methods_LDADD = $(UNIT_KEELD_LIBS)
EXTRA_tests_unit_check_save_methods_DEPENDENCIES = tests/unit/fake_hv

# lib/stream*.c: the domain stream's writer and reader (docs/stream.md).
check_PROGRAMS += tests/unit/check_stream
TESTS += tests/unit/check_stream
tests_unit_check_stream_SOURCES = $(UNIT_RUNNER) tests/unit/check_stream.c
tests_unit_check_stream_CFLAGS = $(LIB_UNIT_CFLAGS) $(XXHASH_CFLAGS)
tests_unit_check_stream_LDADD = lib/libkeelstream.la $(LIB_UNIT_LIBS) \
	$(XXHASH_LIBS)

# Fuzzing (docs/testing.md, "Fuzzing"): `make fuzz` builds libFuzzer
# targets with clang; nothing here runs in make check. Each target is
# compiled with the library sources it reads, under ASan and UBSan.
FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined
FUZZ_STREAM_SRC = tests/fuzz/fuzz_stream.c lib/stream.c \
	lib/stream_read.c lib/stream_read_ram.c lib/stream_in.c \
	lib/json_strict.c
tests/fuzz/fuzz_stream: $(FUZZ_STREAM_SRC:%=$(srcdir)/%) \
		$(srcdir)/lib/stream.h config.h
	$(AM_V_CCLD)$(MKDIR_P) tests/fuzz && $(FUZZ_CC) $(FUZZ_CFLAGS) \
		-I$(top_builddir) -I$(top_srcdir)/lib $(JSONC_CFLAGS) \
		$(DECOMP_CFLAGS) $(XXHASH_CFLAGS) \
		$(FUZZ_STREAM_SRC:%=$(srcdir)/%) \
		$(JSONC_LIBS) $(DECOMP_LIBS) $(XXHASH_LIBS) -o $@
# The seed corpus (tests/fuzz/corpus/stream) is written by keel's own
# writer: `tests/fuzz/stream_seeds DIR` regenerates it.
EXTRA_PROGRAMS += tests/fuzz/stream_seeds
tests_fuzz_stream_seeds_SOURCES = tests/fuzz/stream_seeds.c
tests_fuzz_stream_seeds_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_fuzz_stream_seeds_LDADD = lib/libkeelstream.la lib/libkeelcommon.la
CLEANFILES += tests/fuzz/fuzz_stream
EXTRA_DIST += tests/fuzz

# keel-virtd's framing and XDR decoders (libvirt/), on the generated
# encoders of libvirt/virt_protocol.x.
FUZZ_VIRT_SRC = tests/fuzz/fuzz_virt_msg.c libvirt/virt_frame.c
tests/fuzz/fuzz_virt_msg: $(FUZZ_VIRT_SRC:%=$(srcdir)/%) \
		libvirt/virt_protocol.c libvirt/virt_protocol.h config.h
	$(AM_V_CCLD)$(MKDIR_P) tests/fuzz && $(FUZZ_CC) $(FUZZ_CFLAGS) \
		-I$(top_builddir) -I$(top_builddir)/libvirt \
		-I$(top_srcdir)/libvirt $(TIRPC_CFLAGS) \
		$(FUZZ_VIRT_SRC:%=$(srcdir)/%) libvirt/virt_protocol.c \
		$(TIRPC_LIBS) -o $@
CLEANFILES += tests/fuzz/fuzz_virt_msg

.PHONY: fuzz
fuzz: tests/fuzz/fuzz_stream tests/fuzz/stream_seeds tests/fuzz/fuzz_virt_msg

# keeld over TLS on loopback (docs/remote.md): who is let in, who is
# refused and why; certificates from data/keel-pki-init.
check_PROGRAMS += tests/integration/check_tls
TESTS += tests/integration/check_tls
tests_integration_check_tls_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_tls.c $(KEELD_FIXTURE)
tests_integration_check_tls_CFLAGS = $(INTEGRATION_CFLAGS) $(JSONC_CFLAGS) \
	$(OPENSSL_CFLAGS)
tests_integration_check_tls_LDADD = tests/integration/libharness.la \
	lib/libkeelclient.la $(UNIT_LIBS) $(JSONC_LIBS) $(OPENSSL_LIBS)

# hypervisor/x86/cpu_state*.c on /dev/kvm: the dirty guest saved into a
# stream and restored into a second VM, and the refusals of a VCPU record
# this host cannot take (check_cpu_state.c). Needs KVM: runs nested
# where /dev/kvm is missing.
check_PROGRAMS += tests/integration/check_cpu_state
TESTS += tests/integration/check_cpu_state
tests_integration_check_cpu_state_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_cpu_state.c
tests_integration_check_cpu_state_CPPFLAGS = $(HV_UNIT_CPPFLAGS)
tests_integration_check_cpu_state_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
tests_integration_check_cpu_state_LDADD = hypervisor/libkeelhv.la \
	tests/integration/libharness.la $(UNIT_LIBS) $(JSONC_LIBS) \
	$(LIBEVENT_LIBS) -lpthread
# issue 12's live migration benchmark: keel against QEMU over TLS
# (docs/migrate-bench.md).
tests_bench_migrate_SOURCES = tests/bench/migrate.c $(BENCH_VMM) $(BENCH_KEELD)
tests_bench_migrate_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/integration
tests_bench_migrate_CFLAGS = $(BENCH_KEELD_CFLAGS)
tests_bench_migrate_LDADD = $(BENCH_KEELD_LIBS)

# The two-host migration suites.
include $(top_srcdir)/tests/integration/local.mk

# keel-virtd's protocol core without sockets: framing, limits, XDR
# layouts, the procedure table and man/keel-virtd.8 (libvirt/).
check_PROGRAMS += tests/unit/check_virt_frame
TESTS += tests/unit/check_virt_frame
tests_unit_check_virt_frame_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_virt_frame.c
tests_unit_check_virt_frame_CPPFLAGS = $(VIRT_CPPFLAGS)
tests_unit_check_virt_frame_CFLAGS = $(UNIT_CFLAGS) $(VIRT_CFLAGS)
tests_unit_check_virt_frame_LDADD = libvirt/libvirtcore.la $(UNIT_LIBS)
$(tests_unit_check_virt_frame_OBJECTS): libvirt/virt_protocol.h

# keel-virtd's state cache (libvirt/virt_cache.c).
check_PROGRAMS += tests/unit/check_virt_cache
TESTS += tests/unit/check_virt_cache
tests_unit_check_virt_cache_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_virt_cache.c
tests_unit_check_virt_cache_CPPFLAGS = $(VIRT_CPPFLAGS)
tests_unit_check_virt_cache_CFLAGS = $(UNIT_CFLAGS) $(VIRT_CFLAGS)
tests_unit_check_virt_cache_LDADD = libvirt/libvirtcore.la $(UNIT_LIBS)

# keel-virtd's typed parameters and the conversions of statistics and
# tuning (libvirt/virt_params.c, virt_stats.c, virt_tune.c, virt_tune_cpu.c).
check_PROGRAMS += tests/unit/check_virt_params
TESTS += tests/unit/check_virt_params
tests_unit_check_virt_params_SOURCES = $(UNIT_RUNNER) \
	tests/unit/check_virt_params.c
tests_unit_check_virt_params_CPPFLAGS = $(VIRT_CPPFLAGS)
tests_unit_check_virt_params_CFLAGS = $(UNIT_CFLAGS) $(VIRT_CFLAGS)
tests_unit_check_virt_params_LDADD = libvirt/libvirtcore.la $(UNIT_LIBS)
$(tests_unit_check_virt_params_OBJECTS): libvirt/virt_protocol.h

# keel-virtd's statistics and tuning with stock virsh and python3-libvirt
# on shut-off domains (no KVM).
check_PROGRAMS += tests/integration/check_virtd_tune
TESTS += tests/integration/check_virtd_tune
tests_integration_check_virtd_tune_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_virtd_tune.c $(KEELD_FIXTURE)
tests_integration_check_virtd_tune_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(JSONC_CFLAGS)
tests_integration_check_virtd_tune_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS) $(JSONC_LIBS)

# keel-virtd with a real keeld and Debian's own virsh and python3-libvirt
# (tests/integration/virtd_client.py); no KVM needed.
check_PROGRAMS += tests/integration/check_virtd
TESTS += tests/integration/check_virtd
tests_integration_check_virtd_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_virtd.c $(KEELD_FIXTURE)
tests_integration_check_virtd_CFLAGS = $(INTEGRATION_CFLAGS) $(JSONC_CFLAGS)
tests_integration_check_virtd_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS) $(JSONC_LIBS)
EXTRA_DIST += tests/integration/virtd_client.py

# keel-virtd's TLS port, and its save, migration and job procedures
# refusals, with Debian's own virsh and libvirt's client library
# (stock_api.h); no KVM needed (check_virtd_kvm
# runs them on guests).
check_PROGRAMS += tests/integration/check_virtd_tls
TESTS += tests/integration/check_virtd_tls
tests_integration_check_virtd_tls_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_virtd_tls.c $(STOCK_API) $(KEELD_FIXTURE)
tests_integration_check_virtd_tls_CFLAGS = $(INTEGRATION_CFLAGS) $(JSONC_CFLAGS) \
	$(STOCK_API_CFLAGS)
tests_integration_check_virtd_tls_LDADD = tests/integration/libharness.la \
	$(UNIT_LIBS) $(JSONC_LIBS) $(STOCK_API_LIBS)

# keel-virtd's domain events and consoles with the stock clients
# (tests/integration/virtd_events.py host; no KVM needed); on a real
# guest, check_virtd_kvm.
check_PROGRAMS += tests/integration/check_virtd_events
TESTS += tests/integration/check_virtd_events
tests_integration_check_virtd_events_SOURCES = $(UNIT_RUNNER) \
	tests/integration/check_virtd_events.c $(KEELD_FIXTURE)
tests_integration_check_virtd_events_CFLAGS = $(INTEGRATION_CFLAGS) \
	$(JSONC_CFLAGS)
tests_integration_check_virtd_events_LDADD = \
	tests/integration/libharness.la $(UNIT_LIBS) $(JSONC_LIBS)
EXTRA_DIST += tests/integration/virtd_events.py
