// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A domain's cgroup through a real keeld and a real test guest on KVM
 * (docs/qos.md): keel-hv runs in KEEL_PARENT/UUID; the files hold the
 * mapped cpu_weight, cap and memory limit at start, after
 * domain.set_sched and domain.set_maxmem, and after `kill -9 keeld` and a new keeld (which
 * writes them again); refused changes change nothing; the group goes
 * with the domain. Every live knob of a transient domain across kill -9
 * keeld, with its state file and without (case "kill9"). And a host where keeld cannot make groups: the start
 * fails with a sentence, or, with cgroups = optional, runs without.
 *
 * The nested runner mounts cgroup v2 with every controller, so there
 * this is v2; on a host with /dev/kvm and v1 hierarchies it is v1. The
 * group's files are found with daemon/cgroup.c's own lookup; that
 * keel-hv is in them is read from /proc/PID/cgroup.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "harness.h"
#include "hv_proto.h"
#include "keeld_fixture.h"
#include "runner.h"

static struct cgroup_host *host(void)
{
	struct cgroup_host *h = NULL;
	char why[512] = "";

	ck_assert_msg(!cgroup_host_open(NULL, NULL, "keel", &h, why,
					sizeof(why)),
		      "this host has no cgroups keeld could use: %s", why);
	return h;
}

/* The first line of FILE in @uuid's group of controller @ctrl. */
static const char *cg_get(struct cgroup_host *h, const char *ctrl,
			  const char *uuid, const char *file)
{
	static char buf[128];
	char path[512];
	FILE *f;

	ck_assert_int_eq(cgroup_path(h, ctrl, uuid, path, sizeof(path)), 0);
	strncat(path, "/", sizeof(path) - strlen(path) - 1);
	strncat(path, file, sizeof(path) - strlen(path) - 1);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s: %s", path, strerror(errno));
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void cg_put(struct cgroup_host *h, const char *ctrl, const char *uuid,
		   const char *file, const char *value)
{
	char path[512];
	FILE *f;

	ck_assert_int_eq(cgroup_path(h, ctrl, uuid, path, sizeof(path)), 0);
	strncat(path, "/", sizeof(path) - strlen(path) - 1);
	strncat(path, file, sizeof(path) - strlen(path) - 1);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputs(value, f);
	ck_assert_int_eq(fclose(f), 0);
}

static bool group_exists(struct cgroup_host *h, const char *ctrl,
			 const char *uuid)
{
	char path[512];

	ck_assert_int_eq(cgroup_path(h, ctrl, uuid, path, sizeof(path)), 0);
	return !access(path, F_OK);
}

/* Is every cgroup line of /proc/@pid/cgroup in /keel/@uuid? */
static void assert_in_group(pid_t pid, const char *uuid)
{
	char path[64], line[512], want[64];
	int in = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	snprintf(want, sizeof(want), ":/keel/%s\n", uuid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, want) &&
		    (strstr(line, "::") || strstr(line, "cpu") ||
		     strstr(line, "memory")))
			in++;
	fclose(f);
	ck_assert_msg(in > 0, "keel-hv %d is not in /keel/%s", (int)pid, uuid);
}

/*
 * The values the group holds for xl weight @w and cap @cap, 2 vCPUs and
 * a maxmem of @mib MiB.
 */
static void assert_values(struct cgroup_host *h, const char *uuid, int w,
			  int cap, unsigned long long mib)
{
	/* maxmem, keel-hv's overhead, and the kernel's share per guest page. */
	unsigned long long mem = ((mib + HV_MEM_OVERHEAD_MIB) << 20) +
				 (mib << 20) / HV_MEM_PAGE_TABLE_DIV;
	char want[64], mem_s[32];

	snprintf(mem_s, sizeof(mem_s), "%llu", mem);
	if (cgroup_host_version(h) == CGROUP_V2) {
		snprintf(want, sizeof(want), "%u", cgroup_v2_weight(w));
		ck_assert_str_eq(cg_get(h, "cpu", uuid, "cpu.weight"), want);
		if (cap)
			snprintf(want, sizeof(want), "%d 100000", cap * 1000);
		else
			snprintf(want, sizeof(want), "max 100000");
		ck_assert_str_eq(cg_get(h, "cpu", uuid, "cpu.max"), want);
		ck_assert_str_eq(cg_get(h, "memory", uuid, "memory.max"),
				 mem_s);
	} else {
		snprintf(want, sizeof(want), "%d", w * 4);
		ck_assert_str_eq(cg_get(h, "cpu", uuid, "cpu.shares"), want);
		snprintf(want, sizeof(want), "%d", cap ? cap * 1000 : -1);
		ck_assert_str_eq(cg_get(h, "cpu", uuid, "cpu.cfs_quota_us"),
				 want);
		ck_assert_str_eq(cg_get(h, "memory", uuid,
					"memory.limit_in_bytes"),
				 mem_s);
	}
}

static void assert_sched(const char *name, int w, int cap)
{
	struct json_object *resp = rpc_ok_name("domain.get_sched", name);

	ck_assert_int_eq(json_object_get_int(at(resp, "/result/weight")), w);
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/cap")), cap);
	json_object_put(resp);
}

/* keel-hv's memory beyond its guest's, for docs/qos.md. */
static void report_rss(pid_t pid)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS", 5) || !strncmp(line, "RssAnon", 7) ||
		    !strncmp(line, "RssFile", 7) || !strncmp(line, "RssShmem", 8))
			fprintf(stderr, "check_cgroups: keel-hv (echo guest, 64 MiB) %s",
				line);
	fclose(f);
}

START_TEST(test_sched_live_readopt_end)
{
	/* Each refused set_sched and the field it names. */
	static const struct {
		const char *params, *field;
	} refused[] = {
		{ "\"weight\":0", "/weight" },
		{ "\"weight\":65536", "/weight" },
		{ "\"weight\":-5", "/weight" },
		{ "\"cap\":201", "/cap" },
		{ "\"cap\":-1", "/cap" },
		{ "\"weight\":300,\"cap\":250", "/cap" },
		{ "\"weight\":\"high\"", "/weight" },
		{ "", "/weight" },
	};
	struct cgroup_host *h = host();
	struct json_object *resp;
	char uuid[40], path[512];
	pid_t pid;

	keeld_start();
	resp = rpc_call("domain.define",
			"{\"config\":{\"name\":\"q\",\"kernel\":\"%s\","
			"\"memory\":64,\"maxmem\":96,\"vcpus\":2,"
			"\"cpu_weight\":512,"
			"\"cap\":150}}",
			harness_path("tests/guests/echo.bin"));
	assert_ok(resp);
	json_object_put(resp);
	/* A cap above 100 per vCPU is refused at define already. */
	resp = rpc_call("domain.define",
			"{\"config\":{\"name\":\"r\",\"kernel\":\"%s\","
			"\"cap\":101}}",
			harness_path("tests/guests/echo.bin"));
	assert_error(resp, -32602, "/config/cap");
	json_object_put(resp);

	json_object_put(rpc_ok_name("domain.start", "q"));
	pid = domain_hv_pid("q", uuid);
	assert_in_group(pid, uuid);
	assert_values(h, uuid, 512, 150, 96);
	report_rss(pid);

	/* Live, and kept in the configuration and the definition. */
	resp = rpc_ok("domain.set_sched",
		      "{\"name\":\"q\",\"weight\":1000,\"cap\":50}");
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/weight")), 1000);
	json_object_put(resp);
	assert_values(h, uuid, 1000, 50, 96);
	json_object_put(rpc_ok("domain.set_sched", "{\"name\":\"q\",\"cap\":0}"));
	assert_values(h, uuid, 1000, 0, 96);
	json_object_put(rpc_ok("domain.set_sched", "{\"name\":\"q\",\"cap\":50}"));
	assert_sched("q", 1000, 50);
	/* domain.stats reads the cap's throttling from the group. */
	resp = rpc_ok_name("domain.stats", "q");
	ck_assert_msg(at(resp, "/result/cpu/throttled_periods") &&
			      at(resp, "/result/cpu/throttled_ns"),
		      "no throttling counters: %s",
		      json_object_to_json_string(resp));
	json_object_put(resp);
	resp = rpc_ok_name("domain.config", "q");
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/cpu_weight")),
			 1000);
	json_object_put(resp);

	/* Refused: a precise error, and nothing changed anywhere. */
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		resp = rpc_call("domain.set_sched", "{\"name\":\"q\"%s%s}",
				refused[i].params[0] ? "," : "",
				refused[i].params);
		assert_error(resp, -32602, refused[i].field);
		json_object_put(resp);
		assert_values(h, uuid, 1000, 50, 96);
		assert_sched("q", 1000, 50);
	}
	resp = rpc_call("domain.set_sched", "{\"name\":\"nope\",\"weight\":2}");
	assert_error(resp, -32001, "/name");
	json_object_put(resp);

	/* mem-max moves the memory limit with maxmem, live. */
	json_object_put(rpc_ok("domain.set_maxmem",
			       "{\"name\":\"q\",\"maxmem_mib\":80}"));
	assert_values(h, uuid, 1000, 50, 80);

	/* kill -9 keeld; the values are spoilt meanwhile; a new keeld re-applies. */
	kill(keeld.pid, SIGKILL);
	proc_wait(&keeld, 5000);
	proc_dispose(&keeld);
	if (cgroup_host_version(h) == CGROUP_V2)
		cg_put(h, "cpu", uuid, "cpu.weight", "7");
	else
		cg_put(h, "cpu", uuid, "cpu.shares", "28");
	keeld_start();
	wait_domain_state("q", "running", "booted");
	ck_assert_int_eq(domain_hv_pid("q", uuid), pid);
	assert_in_group(pid, uuid);
	assert_values(h, uuid, 1000, 50, 80);
	assert_sched("q", 1000, 50);

	/* The group goes with the domain; the definition keeps the values. */
	json_object_put(rpc_ok_name("domain.destroy", "q"));
	ck_assert(!group_exists(h, "cpu", uuid));
	ck_assert(!group_exists(h, "memory", uuid));
	snprintf(path, sizeof(path), "%s/domains/%s.json", state_dir, uuid);
	resp = json_object_from_file(path);
	ck_assert_int_eq(json_object_get_int(at(resp, "/config/cap")), 50);
	json_object_put(resp);
	/* Shut off: set_sched changes the definition only. */
	json_object_put(rpc_ok("domain.set_sched",
			       "{\"name\":\"q\",\"weight\":2560}"));
	json_object_put(rpc_ok_name("domain.start", "q"));
	pid = domain_hv_pid("q", uuid);
	assert_values(h, uuid, 2560, 50, 80);
	json_object_put(rpc_ok_name("domain.destroy", "q"));
	ck_assert(!group_exists(h, "cpu", uuid));
	keeld_stop();
	cgroup_host_free(h);
}
END_TEST

/* @name's vCPUs that are not "offline", as keel-hv's threads say. */
static int vcpus_online(const char *name)
{
	struct json_object *resp = rpc_ok_name("domain.vcpu_list", name);
	struct json_object *rows = at(resp, "/result"), *st;
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(rows); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(rows, i),
					      "state", &st) &&
		    strcmp(json_object_get_string(st), "offline"))
			n++;
	json_object_put(resp);
	return n;
}

/*
 * What k runs with after a new keeld took it over: weight 512, cap 50,
 * 2 vCPUs, memory 80 and maxmem 88 (of 96 MiB of RAM), 200 IOPS on its
 * disk; in its running configuration, in its group and in keel-hv. The
 * configuration is read back from keel-hv once the new keeld has its
 * answers.
 */
static void assert_knobs(struct cgroup_host *h, const char *uuid)
{
	long long end = harness_now_ms() + WAIT_MS;
	struct json_object *resp = NULL;

	for (;;) {
		json_object_put(resp);
		resp = rpc_ok_name("domain.config", "k");
		if (json_object_get_int(at(resp, "/result/vcpus")) == 2 &&
		    json_object_get_int(at(resp, "/result/disks/0/iotune/total_iops_sec")) == 200)
			break;
		ck_assert_msg(harness_now_ms() < end,
			      "k's configuration never had keel-hv's values: %s",
			      json_object_to_json_string(resp));
		usleep(50 * 1000);
	}
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/memory")), 80);
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/maxmem")), 88);
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/cpu_weight")),
			 512);
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/cap")), 50);
	json_object_put(resp);
	assert_values(h, uuid, 512, 50, 88);
	assert_sched("k", 512, 50);
	ck_assert_int_eq(vcpus_online("k"), 2);
	/* By its place: rebuilt from a command line, its vdev is xvda. */
	resp = rpc_ok("domain.blkdeviotune", "{\"name\":\"k\",\"disk\":0}");
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/limits/total_iops_sec")),
			 200);
	json_object_put(resp);
}

static void kill_keeld(void)
{
	kill(keeld.pid, SIGKILL);
	proc_wait(&keeld, 5000);
	proc_dispose(&keeld);
}

/*
 * Every live knob of a transient domain (sched-credit, vcpu-set,
 * mem-set, mem-max, blkdeviotune) survives kill -9 keeld: kept by its state
 * file, and, with that file gone, read back from keel-hv and its group
 * (its command line says only what it booted with).
 */
START_TEST(test_knobs_kill9)
{
	struct cgroup_host *h = host();
	char uuid[40], disk[256], path[512];
	pid_t pid;

	snprintf(disk, sizeof(disk), "%s/k.img", top);
	write_file(disk, "");
	keeld_start();
	json_object_put(rpc_ok("domain.create",
			       "{\"config\":{\"name\":\"k\",\"kernel\":\"%s\","
			       "\"memory\":64,\"maxmem\":96,\"vcpus\":1,"
			       "\"maxvcpus\":2,\"disks\":[{\"vdev\":\"vda\","
			       "\"path\":\"%s\"}]}}",
			       harness_path("tests/guests/echo.bin"), disk));
	pid = domain_hv_pid("k", uuid);
	json_object_put(rpc_ok("domain.set_sched",
			       "{\"name\":\"k\",\"weight\":512,\"cap\":50}"));
	json_object_put(rpc_ok("domain.set_vcpus",
			       "{\"name\":\"k\",\"vcpus\":2}"));
	json_object_put(rpc_ok("domain.set_memory",
			       "{\"name\":\"k\",\"memory_mib\":80}"));
	json_object_put(rpc_ok("domain.set_maxmem",
			       "{\"name\":\"k\",\"maxmem_mib\":88}"));
	json_object_put(rpc_ok("domain.blkdeviotune",
			       "{\"name\":\"k\",\"disk\":\"vda\","
			       "\"limits\":{\"total_iops_sec\":200}}"));
	assert_knobs(h, uuid);

	/* Kept: the state file has them. */
	kill_keeld();
	keeld_start();
	wait_domain_state("k", "running", "booted");
	ck_assert_int_eq(domain_hv_pid("k", uuid), pid);
	assert_knobs(h, uuid);

	/* Read back: no state file, so keel-hv's command line, then its word. */
	kill_keeld();
	snprintf(path, sizeof(path), "%s/domains/%s/state.json", run_dir, uuid);
	ck_assert_int_eq(unlink(path), 0);
	keeld_start();
	wait_domain_state("k", "running", "unknown");
	ck_assert_int_eq(domain_hv_pid("k", uuid), pid);
	assert_knobs(h, uuid);

	json_object_put(rpc_ok_name("domain.destroy", "k"));
	ck_assert(!group_exists(h, "cpu", uuid));
	keeld_stop();
	cgroup_host_free(h);
}
END_TEST

/* Define @name: the echo test guest with @mib of memory. */
static void define_echo(const char *name, int mib)
{
	struct json_object *resp = rpc_call(
		"domain.define",
		"{\"config\":{\"name\":\"%s\",\"kernel\":\"%s\","
		"\"memory\":%d}}",
		name, harness_path("tests/guests/echo.bin"), mib);

	assert_ok(resp);
	json_object_put(resp);
}

START_TEST(test_no_cgroups)
{
	struct json_object *resp;
	char conf[512], empty[200];

	/* An empty directory as the cgroup file system: nothing usable. */
	snprintf(empty, sizeof(empty), "%s/nocgroups", top);
	ck_assert_int_eq(mkdir(empty, 0700), 0);
	snprintf(conf, sizeof(conf), "log_level = info\ncgroup_root = %s\n",
		 empty);
	write_file(conf_path, conf);
	keeld_start();
	define_echo("n", 64);
	resp = rpc_call("domain.start", "{\"name\":\"n\"}");
	assert_error(resp, -32007, NULL);
	ck_assert_msg(strstr(str_at(resp, "/error/message"),
			     "cannot give it a cgroup") &&
			      strstr(str_at(resp, "/error/message"),
				     "cgroups = optional"),
		      "%s", str_at(resp, "/error/message"));
	json_object_put(resp);
	keeld_stop();

	/* optional: it runs, without; live changes are refused. */
	snprintf(conf, sizeof(conf),
		 "log_level = info\ncgroup_root = %s\ncgroups = optional\n",
		 empty);
	write_file(conf_path, conf);
	keeld_start();
	json_object_put(rpc_ok_name("domain.start", "n"));
	resp = rpc_call("domain.set_sched", "{\"name\":\"n\",\"weight\":512}");
	assert_error(resp, -32007, NULL);
	ck_assert_msg(strstr(str_at(resp, "/error/message"),
			     "runs without a cgroup"),
		      "%s", str_at(resp, "/error/message"));
	json_object_put(resp);
	assert_sched("n", 256, 0);
	json_object_put(rpc_ok_name("domain.destroy", "n"));
	keeld_stop();
}
END_TEST

/*
 * A keel-hv the kernel kills for passing the domain's memory limit
 * leaves no status file and no last words: keeld says it was killed,
 * by the OOM killer at the group's limit, instead of quoting its log.
 * The hypervisor here is dd holding a 1 GiB buffer, past the limit of a
 * 16 MiB domain (80 MiB; 528 MiB in a sanitizer build).
 */
START_TEST(test_oom_said)
{
	struct json_object *resp;
	const char *msg;

	keeld_hypervisor = fake_hv("echo '1796399465.625 keel-hv: info: about to fill memory' >&2\n"
				   "exec dd if=/dev/zero of=/dev/null bs=1G count=1 2>/dev/null");
	keeld_start();
	define_echo("o", 16);
	resp = rpc_call("domain.start", "{\"name\":\"o\"}");
	assert_error(resp, -32007, NULL);
	msg = str_at(resp, "/error/message");
	ck_assert_msg(strstr(msg, "Domain o could not start: keel-hv was killed by signal 9 (SIGKILL). The kernel's OOM killer ended it: the domain's memory cgroup reached its limit of ") &&
			      strstr(msg, " MiB (the guest's memory and keel-hv's own)."),
		      "%s", msg);
	json_object_put(resp);
	keeld_stop();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("cgroups");
	TCase *tc = keeld_tcase("domains", 120);

	runner_skip_reason = harness_keeld_kvm_missing(&runner_wants_kvm);
	if (!runner_skip_reason && geteuid())
		runner_skip_reason = "making cgroups needs root";
	tcase_add_test(tc, test_sched_live_readopt_end);
	tcase_add_test(tc, test_no_cgroups);
	tcase_add_test(tc, test_oom_said);
	suite_add_tcase(s, tc);
	/* A case of its own, so that CK_RUN_CASE=kill9 runs it alone. */
	tc = keeld_tcase("kill9", 120);
	tcase_add_test(tc, test_knobs_kill9);
	suite_add_tcase(s, tc);
	return s;
}
