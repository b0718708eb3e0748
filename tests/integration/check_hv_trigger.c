// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv's trigger methods with the trigger test guest
 * (tests/guests/trigger.c) on /dev/kvm: a SysRq is a break and a key the
 * guest reads off COM1, an NMI reaches the guest (whose empty IDT turns
 * it into a triple fault), reset ends the VM as a reboot, a core file
 * holds the vCPUs' notes and the guest's own memory (read back by hand
 * and, where binutils is installed, by readelf -n), the guest runs on
 * after it, and pvpanic plus --dump-on leave a core of a panicked guest.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "hv_proto.h"
#include "runner.h"
#include "trigger.h"

#define TIMEOUT_MS 20000

/* One keel-hv running the trigger guest, and its scratch directory. */
struct run {
	char dir[32];
	char sock[64];
	char status[64];
	char dumps[64];
	struct proc p;
	struct harness_client c;
	int id;
};

/*
 * Start the guest; with @dump, cores of a crash or reboot go to
 * r->dumps (--dump-on, --dump-dir). Wait for it to be ready.
 */
static void run_start(struct run *r, bool dump)
{
	char on[] = "--" HV_OPT_DUMP_ON "=crash,reboot", dir[96];
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel",
			 (char *)harness_path("tests/guests/trigger.bin"),
			 "--memory", "32M", "--console", "stdio",
			 "--control", r->sock, "--status-file", r->status,
			 "--name", "tguest", dump ? on : NULL, dir, NULL };

	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/keel-trig-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(r->dir));
	snprintf(r->sock, sizeof(r->sock), "%s/control", r->dir);
	snprintf(r->status, sizeof(r->status), "%s/status", r->dir);
	snprintf(r->dumps, sizeof(r->dumps), "%s/dumps", r->dir);
	snprintf(dir, sizeof(dir), "--" HV_OPT_DUMP_DIR "=%s", r->dumps);
	ck_assert_int_eq(proc_spawn(&r->p, argv), 0);
	ck_assert_msg(proc_expect(&r->p, "trigger: ready", 0, TIMEOUT_MS) > 0,
		      "the guest did not start: %s", r->p.out);
	ck_assert_int_eq(harness_client_open(&r->c, r->sock, 4000), 0);
}

/* Call @method with @params (JSON text or NULL); the answer line. */
static const char *run_call(struct run *r, const char *method,
			    const char *params)
{
	char line[512];
	const char *a;

	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\"%s%s}",
		 ++r->id, method, params ? ",\"params\":" : "",
		 params ? params : "");
	a = harness_client_call(&r->c, line, TIMEOUT_MS);
	ck_assert_msg(a != NULL, "no answer to %s", line);
	return a;
}

/* Wait for the end: exit status @want; returns the status file. */
static char *run_end(struct run *r, int want)
{
	char buf[2048];
	size_t n;
	FILE *f;
	int rc;

	harness_client_close(&r->c);
	rc = proc_wait(&r->p, TIMEOUT_MS);
	ck_assert_msg(rc == want, "exit %d, not %d; output: %s", rc, want,
		      r->p.out);
	f = fopen(r->status, "r");
	ck_assert_msg(f != NULL, "no status file");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strdup(buf);
}

static void run_dispose(struct run *r)
{
	char cmd[64];

	proc_dispose(&r->p);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", r->dir);
	ck_assert_int_eq(system(cmd), 0);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/*
 * Check core file @path of a one-vCPU, 32 MiB trigger guest: ELF64
 * core, one NT_PRSTATUS and one QEMU note, RAM at physical 0 holding the
 * guest's mark; then readelf -n's reading, when there is a readelf.
 */
static void check_core(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long len;
	unsigned phnum, prstatus = 0, qemu = 0;
	bool ram = false;
	char cmd[256], out[4096];
	size_t n;

	ck_assert_msg(f != NULL, "no core at %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	b = malloc((size_t)len);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	ck_assert_int_eq(memcmp(b, "\177ELF\2\1\1", 7), 0);
	ck_assert_uint_eq(b[16], 4); /* ET_CORE */
	phnum = b[56];
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = b + get64(b + 32) + 56 * i;
		uint64_t off = get64(ph + 8), size = get64(ph + 32);

		ck_assert_uint_le(off + size, (uint64_t)len);
		if (get32(ph) == 4) { /* PT_NOTE */
			for (uint64_t o = off; o < off + size;) {
				uint32_t nsz = get32(b + o),
					 dsz = get32(b + o + 4);
				const char *name = (const char *)b + o + 12;

				if (!strcmp(name, "CORE") &&
				    get32(b + o + 8) == 1) {
					prstatus++;
					/* rip, in user_regs_struct's place */
					ck_assert_uint_ne(
						get64(b + o + 20 + 112 + 128),
						0);
				}
				if (!strcmp(name, "QEMU"))
					qemu++;
				o += 12 + ((nsz + 3) & ~3u) + ((dsz + 3) & ~3u);
			}
		} else if (get32(ph) == 1 && get64(ph + 24) == 0) {
			ck_assert_uint_eq(size, 32 << 20);
			ram = memmem(b + off, size, TRIGGER_MARK,
				     strlen(TRIGGER_MARK)) != NULL;
		}
	}
	free(b);
	ck_assert_uint_eq(prstatus, 1);
	ck_assert_uint_eq(qemu, 1);
	ck_assert_msg(ram, "the guest's memory is not in the core");
	if (system("command -v readelf >/dev/null 2>&1"))
		return;
	snprintf(cmd, sizeof(cmd), "readelf -n %s 2>&1", path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_msg(strstr(out, "NT_PRSTATUS") && strstr(out, "QEMU"),
		      "readelf -n: %s", out);
}

START_TEST(test_sysrq_is_a_break_and_a_key)
{
	struct run r;
	const char *a;
	char *st;
	long at;

	run_start(&r, false);
	a = run_call(&r, "sysrq", "{\"key\":\"H\"}");
	ck_assert_msg(strstr(a, "-32602"), "upper case key: %s", a);
	a = run_call(&r, "sysrq", "{\"key\":\"hh\"}");
	ck_assert_msg(strstr(a, "-32602"), "two keys: %s", a);
	a = run_call(&r, "sysrq", "{\"key\":\"h\",\"extra\":1}");
	ck_assert_msg(strstr(a, "-32602"), "extra member: %s", a);
	a = run_call(&r, "sysrq", NULL);
	ck_assert_msg(strstr(a, "-32602"), "no key: %s", a);
	a = run_call(&r, "sysrq", "{\"key\":\"h\"}");
	ck_assert_msg(strstr(a, "\"result\""), "sysrq: %s", a);
	/*
	 * keel-hv's log shares the output and can land inside the guest's
	 * next line ("trigger: <log line>key h"): the break, then "key h".
	 */
	at = proc_expect(&r.p, "trigger: break", 0, TIMEOUT_MS);
	ck_assert_msg(at > 0, "the guest saw no break: %s", r.p.out);
	ck_assert_msg(proc_expect(&r.p, "key h", (size_t)at, TIMEOUT_MS) > 0,
		      "the guest saw no key after the break: %s", r.p.out);
	ck_assert_int_eq(proc_send(&r.p, "o"), 0);
	st = run_end(&r, HV_EXIT_POWEROFF);
	free(st);
	run_dispose(&r);
}
END_TEST

START_TEST(test_nmi_reaches_the_guest)
{
	struct run r;
	const char *a;
	char *st;

	run_start(&r, false);
	a = run_call(&r, "nmi", "{\"vcpu\":1}");
	ck_assert_msg(strstr(a, "-32602") && strstr(a, "0 to 0"),
		      "a vCPU it does not have: %s", a);
	a = run_call(&r, "nmi", "{\"vcpu\":\"0\"}");
	ck_assert_msg(strstr(a, "-32602"), "a string: %s", a);
	a = run_call(&r, "nmi", NULL);
	ck_assert_msg(strstr(a, "\"result\""), "nmi: %s", a);
	/* No IDT: the NMI becomes a triple fault. */
	st = run_end(&r, HV_EXIT_CRASH);
	ck_assert_msg(strstr(st, "triple-faulted"), "status file: %s", st);
	free(st);
	run_dispose(&r);
}
END_TEST

START_TEST(test_reset_is_a_reboot)
{
	struct run r;
	const char *a;
	char *st;

	run_start(&r, false);
	a = run_call(&r, "reset", "{\"now\":true}");
	ck_assert_msg(strstr(a, "-32602"), "reset takes nothing: %s", a);
	a = run_call(&r, "reset", NULL);
	ck_assert_msg(strstr(a, "\"result\""), "reset: %s", a);
	st = run_end(&r, HV_EXIT_REBOOT);
	ck_assert_msg(strstr(st, "\"reason\":\"reboot\""), "status: %s", st);
	free(st);
	run_dispose(&r);
}
END_TEST

START_TEST(test_dump_core_and_run_on)
{
	struct run r;
	char params[256], path[96];
	const char *a;
	char *st;

	run_start(&r, false);
	snprintf(path, sizeof(path), "%s/guest.core", r.dir);
	snprintf(params, sizeof(params), "{\"path\":\"%s\"}", path);
	a = run_call(&r, "dump-core", params);
	ck_assert_msg(strstr(a, "\"bytes\":"), "dump-core: %s", a);
	check_core(path);
	/* The guest runs on: it still reads its console. */
	a = run_call(&r, "sysrq", "{\"key\":\"k\"}");
	ck_assert_msg(proc_expect(&r.p, "trigger: key k", 0, TIMEOUT_MS) > 0,
		      "the guest did not run on: %s", r.p.out);
	a = run_call(&r, "status", NULL);
	ck_assert_msg(strstr(a, "\"state\":\"running\""), "status: %s", a);
	/* Never over an existing file, never a relative path. */
	a = run_call(&r, "dump-core", params);
	ck_assert_msg(strstr(a, "-32602") && strstr(a, "exists already"),
		      "again: %s", a);
	a = run_call(&r, "dump-core", "{\"path\":\"guest.core\"}");
	ck_assert_msg(strstr(a, "-32602") && strstr(a, "absolute"),
		      "relative: %s", a);
	ck_assert_msg(access("guest.core", F_OK) != 0, "relative file made");
	/* keeld's FIFO (dump_core.h's records): one of the two, a FIFO. */
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"pipe\":\"%s\"}",
		 path, path);
	a = run_call(&r, "dump-core", params);
	ck_assert_msg(strstr(a, "-32602") && strstr(a, "takes"), "both: %s",
		      a);
	snprintf(params, sizeof(params), "{\"pipe\":\"%s\"}", path);
	a = run_call(&r, "dump-core", params);
	ck_assert_msg(strstr(a, "-32602") && strstr(a, "not a pipe"),
		      "a file as the pipe: %s", a);
	ck_assert_int_eq(proc_send(&r.p, "o"), 0);
	st = run_end(&r, HV_EXIT_POWEROFF);
	free(st);
	run_dispose(&r);
}
END_TEST

/* The one file in @dir, as a path in @out. */
static void only_file(const char *dir, char *out, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_msg(d != NULL, "no directory %s", dir);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(out, size, "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	ck_assert_int_eq(n, 1);
}

START_TEST(test_pvpanic_dump_on_crash)
{
	struct run r;
	char core[320];
	char *st;

	/* An end --dump-on does not list leaves no core. */
	run_start(&r, true);
	ck_assert_int_eq(proc_send(&r.p, "o"), 0);
	st = run_end(&r, HV_EXIT_POWEROFF);
	ck_assert_msg(!strstr(st, "core"), "status file: %s", st);
	ck_assert_msg(access(r.dumps, F_OK) != 0, "a core of a poweroff");
	free(st);
	run_dispose(&r);

	run_start(&r, true);
	ck_assert_int_eq(proc_send(&r.p, "p"), 0);
	st = run_end(&r, HV_EXIT_CRASH);
	ck_assert_msg(strstr(st, "panicked (it said so through pvpanic)"),
		      "status file: %s", st);
	ck_assert_msg(strstr(st, "Its core is in ") &&
			      strstr(st, "/dumps/tguest-"),
		      "status file: %s", st);
	free(st);
	only_file(r.dumps, core, sizeof(core));
	check_core(core);
	run_dispose(&r);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hv_trigger");
	TCase *tc = tcase_create("trigger guest");

	runner_skip_reason = harness_kvm_missing();
	runner_wants_kvm = runner_skip_reason != NULL;
	if (!runner_skip_reason &&
	    !harness_have_file(harness_path("tests/guests/trigger.bin")))
		runner_skip_reason = "test guests are not built (make guest)";
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sysrq_is_a_break_and_a_key);
	tcase_add_test(tc, test_nmi_reaches_the_guest);
	tcase_add_test(tc, test_reset_is_a_reboot);
	tcase_add_test(tc, test_dump_core_and_run_on);
	tcase_add_test(tc, test_pvpanic_dump_on_crash);
	suite_add_tcase(s, tc);
	return s;
}
