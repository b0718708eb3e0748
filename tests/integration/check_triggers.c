// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain.trigger, domain.sysrq, domain.button_press and
 * domain.dump_core through a real keeld, with the trigger test guest
 * (tests/guests/trigger.c): what keeld refuses itself (S3, the sleep
 * button, a vCPU for a trigger that has none, a domain not running),
 * what it passes on and keel-hv's refusals coming back, a core of a
 * running guest and of one kept after its NMI crashed it, the core
 * on_crash=coredump-destroy leaves, a core into a tmpfs that the
 * domain's memory cgroup could not hold, and keel's commands on the
 * way.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "keel.h"
#include "keeld_fixture.h"
#include "runner.h"
#include "trigger.h"

/* Test guest @guest as domain @name of @mib MiB, with @extra members. */
static void create_domain(const char *name, const char *guest, int mib,
			  const char *extra)
{
	char kernel[64];
	struct json_object *resp;

	snprintf(kernel, sizeof(kernel), "tests/guests/%s.bin", guest);
	resp = rpc_call("domain.create",
			"{\"config\":{\"name\":\"%s\",\"kernel\":\"%s\","
			"\"memory\":%d%s}}",
			name, harness_path(kernel), mib, extra ? extra : "");
	assert_ok(resp);
	json_object_put(resp);
}

/* The trigger guest as domain @name, with @extra config members. */
static void create_guest(const char *name, const char *extra)
{
	create_domain(name, "trigger", 32, extra);
}

/* domain.dump_core of @name into @path: a core of more than @mib MiB. */
static void dump_ok(const char *name, const char *path, int mib)
{
	struct json_object *r = rpc_ok("domain.dump_core",
				       "{\"name\":\"%s\",\"path\":\"%s\"}",
				       name, path);

	ck_assert_int_gt(json_object_get_int64(at(r, "/result/bytes")),
			 (int64_t)mib << 20);
	json_object_put(r);
}

/* Wait until @name's console log holds @needle. */
static void wait_console(const char *name, const char *needle)
{
	long long deadline = harness_now_ms() + WAIT_MS;
	char path[256], buf[8192];

	snprintf(path, sizeof(path), "%s/%s.console.log", log_dir, name);
	while (harness_now_ms() < deadline) {
		FILE *f = fopen(path, "r");
		size_t n = 0;

		if (f) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
		}
		buf[n] = '\0';
		if (strstr(buf, needle))
			return;
		usleep(100 * 1000);
	}
	ck_abort_msg("%s never showed \"%s\"; its console: %s", name, needle,
		     buf);
}

/* @path is an ELF core whose RAM holds the trigger guest's mark. */
static void check_core(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t len;
	char *b;

	ck_assert_msg(f != NULL, "no core at %s", path);
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	b = malloc(len);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, len, f), len);
	fclose(f);
	ck_assert_int_eq(memcmp(b, "\177ELF\2\1\1", 7), 0);
	ck_assert_uint_eq((uint8_t)b[16], 4); /* ET_CORE */
	ck_assert_msg(memmem(b, len, TRIGGER_MARK, strlen(TRIGGER_MARK)),
		      "the guest's memory is not in %s", path);
	free(b);
}

/* keel COMMAND... against this keeld; its exit status. */
static int keel(const char *a1, const char *a2, const char *a3,
		const char *a4)
{
	char uri[256];
	char *argv[] = { (char *)harness_path("cli/keel"), "-c", uri,
			 (char *)a1, (char *)a2, (char *)a3, (char *)a4,
			 NULL };
	struct proc p;
	int rc;

	snprintf(uri, sizeof(uri), "%s", rw_sock);
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	rc = proc_wait(&p, WAIT_MS);
	proc_dispose(&p);
	return rc;
}

START_TEST(test_refusals)
{
	struct json_object *r;

	keeld_start();
	create_guest("t1", NULL);
	wait_console("t1", "trigger: ready");
	r = rpc_call("domain.trigger", "{\"name\":\"t1\",\"trigger\":\"s3resume\"}");
	assert_error(r, KEEL_E_INVALID_STATE, "/trigger");
	ck_assert_ptr_nonnull(strstr(str_at(r, "/error/message"), "no S3"));
	json_object_put(r);
	r = rpc_call("domain.button_press", "{\"name\":\"t1\",\"button\":\"sleep\"}");
	assert_error(r, KEEL_E_INVALID_STATE, "/button");
	json_object_put(r);
	r = rpc_call("domain.trigger",
		     "{\"name\":\"t1\",\"trigger\":\"reset\",\"vcpu\":0}");
	assert_error(r, JSONRPC_INVALID_PARAMS, "/vcpu");
	json_object_put(r);
	r = rpc_call("domain.trigger", "{\"name\":\"t1\",\"trigger\":\"init\"}");
	ck_assert_int_eq(code_of(r), JSONRPC_INVALID_PARAMS);
	json_object_put(r);
	r = rpc_call("domain.sysrq", "{\"name\":\"t1\",\"key\":\"H\"}");
	ck_assert_int_eq(code_of(r), JSONRPC_INVALID_PARAMS);
	json_object_put(r);
	r = rpc_call("domain.dump_core", "{\"name\":\"t1\",\"path\":\"x.core\"}");
	ck_assert_int_eq(code_of(r), JSONRPC_INVALID_PARAMS);
	json_object_put(r);
	/* keel-hv's own refusal comes back as it said it. */
	r = rpc_call("domain.trigger",
		     "{\"name\":\"t1\",\"trigger\":\"nmi\",\"vcpu\":3}");
	ck_assert_int_eq(code_of(r), JSONRPC_INVALID_PARAMS);
	ck_assert_ptr_nonnull(strstr(str_at(r, "/error/message"), "0 to 0"));
	json_object_put(r);
	r = rpc_call("domain.sysrq", "{\"name\":\"nosuch\",\"key\":\"h\"}");
	ck_assert_int_eq(code_of(r), KEEL_E_NO_DOMAIN);
	json_object_put(r);
	/* keel's usage errors: status 2, nothing sent. */
	ck_assert_int_eq(keel("trigger", "t1", "init", NULL), 2);
	ck_assert_int_eq(keel("sysrq", "t1", "HH", NULL), 2);
	ck_assert_int_eq(keel("button-press", "t1", "lid", NULL), 2);
	ck_assert_int_eq(keel("trigger", "t1", "reset", "0"), 2);
	/* keeld's refusal: status 1. */
	ck_assert_int_eq(keel("trigger", "t1", "s3resume", NULL), 1);
	r = rpc_ok("domain.destroy", "{\"name\":\"t1\"}");
	json_object_put(r);
	r = rpc_call("domain.dump_core", "{\"name\":\"t1\",\"path\":\"/tmp/x\"}");
	ck_assert_int_eq(code_of(r), KEEL_E_NO_DOMAIN);
	json_object_put(r);
}
END_TEST

START_TEST(test_sysrq_dump_core_nmi)
{
	struct json_object *r;
	char path[256], kept[256];

	keeld_start();
	create_guest("t2", ",\"on_crash\":\"preserve\"");
	wait_console("t2", "trigger: ready");
	ck_assert_int_eq(keel("sysrq", "t2", "h", NULL), 0);
	wait_console("t2", "trigger: key h");
	r = rpc_ok("domain.sysrq", "{\"name\":\"t2\",\"key\":\"s\"}");
	ck_assert_str_eq(str_at(r, "/result/key"), "s");
	json_object_put(r);
	wait_console("t2", "trigger: key s");
	snprintf(path, sizeof(path), "%s/t2.core", top);
	dump_ok("t2", path, 32);
	check_core(path);
	r = rpc_call("domain.dump_core", "{\"name\":\"t2\",\"path\":\"%s\"}",
		     path);
	ck_assert_int_eq(code_of(r), JSONRPC_INVALID_PARAMS);
	ck_assert_ptr_nonnull(strstr(str_at(r, "/error/message"),
				     "exists already"));
	json_object_put(r);
	/* The guest runs on after its core was written. */
	r = rpc_ok("domain.sysrq", "{\"name\":\"t2\",\"key\":\"u\"}");
	json_object_put(r);
	wait_console("t2", "trigger: key u");
	/* An NMI crashes this guest (no IDT); preserve keeps it to dump. */
	ck_assert_int_eq(keel("trigger", "t2", "nmi", NULL), 0);
	wait_domain_state("t2", "crashed", "panicked");
	snprintf(kept, sizeof(kept), "%s/t2-kept.core", top);
	ck_assert_int_eq(keel("dump-core", "t2", kept, NULL), 0);
	check_core(kept);
	r = rpc_call("domain.sysrq", "{\"name\":\"t2\",\"key\":\"h\"}");
	ck_assert_int_eq(code_of(r), KEEL_E_INVALID_STATE);
	json_object_put(r);
	r = rpc_ok("domain.destroy", "{\"name\":\"t2\"}");
	json_object_put(r);
	unlink(path);
	unlink(kept);
}
END_TEST

START_TEST(test_reset_and_power)
{
	struct json_object *r;

	keeld_start();
	/* reset ends the VM as a reboot: on_reboot=preserve keeps it. */
	create_guest("t3", ",\"on_reboot\":\"preserve\"");
	wait_console("t3", "trigger: ready");
	r = rpc_ok("domain.trigger", "{\"name\":\"t3\",\"trigger\":\"reset\"}");
	ck_assert_str_eq(str_at(r, "/result/trigger"), "reset");
	json_object_put(r);
	wait_domain_state("t3", "paused", "shutdown");
	r = rpc_ok("domain.destroy", "{\"name\":\"t3\"}");
	json_object_put(r);
	/* The test guest has no ACPI: the press is sent, nothing follows. */
	create_guest("t4", NULL);
	wait_console("t4", "trigger: ready");
	ck_assert_int_eq(keel("button-press", "t4", "power", NULL), 0);
	ck_assert_int_eq(keel("trigger", "t4", "power", NULL), 0);
	r = rpc_ok("domain.stats", "{\"name\":\"t4\"}");
	json_object_put(r);
	r = rpc_ok("domain.destroy", "{\"name\":\"t4\"}");
	json_object_put(r);
}
END_TEST

/*
 * on_crash = coredump-destroy (xl's): keel-hv writes the guest's core
 * into keeld's state directory as it ends, and keeld then destroys the
 * domain. The NMI crashes the trigger guest (it has no IDT).
 */
START_TEST(test_coredump_destroy)
{
	struct json_object *r;
	char dir[256], core[512] = "";
	struct dirent *e;
	DIR *d;

	keeld_start();
	create_guest("t5", ",\"on_crash\":\"coredump-destroy\"");
	wait_console("t5", "trigger: ready");
	ck_assert_int_eq(keel("trigger", "t5", "nmi", NULL), 0);
	for (int i = 0; i < WAIT_MS / 100; i++) {
		r = rpc_call("domain.info", "{\"name\":\"t5\"}");
		bool gone = code_of(r) == KEEL_E_NO_DOMAIN;

		json_object_put(r);
		if (gone)
			break;
		usleep(100 * 1000);
	}
	r = rpc_call("domain.info", "{\"name\":\"t5\"}");
	ck_assert_int_eq(code_of(r), KEEL_E_NO_DOMAIN);
	json_object_put(r);
	snprintf(dir, sizeof(dir), "%s/dump", state_dir);
	d = opendir(dir);
	ck_assert_msg(d != NULL, "no %s after the crash", dir);
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "t5-", 3) &&
		    strstr(e->d_name, ".core"))
			snprintf(core, sizeof(core), "%s/%s", dir, e->d_name);
	closedir(d);
	ck_assert_msg(core[0], "no t5-*.core in %s", dir);
	check_core(core);
	unlink(core);
}
END_TEST

/*
 * A core as large as the guest's RAM, into a tmpfs, whose pages count
 * against the memory cgroup of whoever writes them and cannot be
 * reclaimed: keeld's writer writes it, so the domain's own cgroup (its
 * RAM plus HV_MEM_OVERHEAD_MIB) never sees it and the guest runs on.
 * When keel-hv wrote the file itself, the kernel's OOM killer ended the
 * domain here. The tmpfs is in a mount namespace of this test's own, so
 * that it goes with the test whatever happens.
 */
START_TEST(test_dump_core_into_tmpfs)
{
	struct json_object *r;
	char shm[256], path[300];
	struct stat st;

	if (geteuid()) {
		printf("NOTE: not root: no cgroup limits, no tmpfs; test_dump_core_into_tmpfs did not run.\n");
		return;
	}
	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL),
			 0);
	snprintf(shm, sizeof(shm), "%s/shm", top);
	ck_assert_int_eq(mkdir(shm, 0700), 0);
	ck_assert_int_eq(mount("tmpfs", shm, "tmpfs", 0, "size=512m"), 0);
	keeld_start();
	create_domain("d", "dirty", 160, ",\"cmdline\":\"dirty.mib=0\"");
	/* It has written all of its RAM once. */
	wait_console("d", "dirty: idle");
	snprintf(path, sizeof(path), "%s/d.core", shm);
	dump_ok("d", path, 160);
	ck_assert_int_eq(stat(path, &st), 0);
	/* The guest's written pages are in it; the file is still sparse. */
	ck_assert_int_gt((long long)st.st_blocks * 512, 140LL << 20);
	ck_assert_int_ge(st.st_size, (long long)st.st_blocks * 512);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	r = rpc_ok("domain.info", "{\"name\":\"d\"}");
	ck_assert_str_eq(str_at(r, "/result/state"), "running");
	json_object_put(r);
	r = rpc_ok("domain.destroy", "{\"name\":\"d\"}");
	json_object_put(r);
	keeld_stop();
	unlink(path);
	umount(shm);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("triggers");
	TCase *tc = keeld_tcase("keeld", 120);

	if (!harness_have_file(harness_path("daemon/keeld")) ||
	    !harness_have_file(harness_path("hypervisor/keel-hv")) ||
	    !harness_have_file(harness_path("tests/guests/trigger.bin")))
		runner_skip_reason = "keeld, keel-hv or the test guests are not built";
	else if ((runner_skip_reason = harness_kvm_missing()))
		runner_wants_kvm = true;
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_sysrq_dump_core_nmi);
	tcase_add_test(tc, test_reset_and_power);
	tcase_add_test(tc, test_coredump_destroy);
	tcase_add_test(tc, test_dump_core_into_tmpfs);
	suite_add_tcase(s, tc);
	return s;
}
