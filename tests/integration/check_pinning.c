// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vCPU pinning through keeld (domain.vcpu_pin, domain.vcpu_list, the
 * configuration's cpus). The "host" case needs no KVM: what keeld
 * refuses, in which words and with nothing changed; what it keeps in a
 * definition across its own restart; and what it tells keel-hv (a fake
 * one that writes down its command line). The "kvm" case runs a real
 * test guest with two vCPUs and reads each vCPU thread's affinity from
 * the kernel (/proc/PID/task/TID/status), through a vcpu-pin, a
 * kill -9 of keeld and a restart of the domain.
 *
 * The CPUs are this machine's: CPU 0 to pin to, and the first CPU it
 * lacks to be refused (CPU 1 in the nested runner, which has one CPU).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"
#include "runner.h"

/* The first CPU this machine does not let us run on. */
static int lacking_cpu(void)
{
	cpu_set_t set;
	int cpu = 0;

	CPU_ZERO(&set);
	ck_assert_int_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	while (CPU_ISSET(cpu, &set))
		cpu++;
	return cpu;
}

static struct json_object *define(const char *name, const char *extra)
{
	return rpc_call("domain.define",
			"{\"config\":{\"name\":\"%s\",\"kernel\":\"/boot/k\"%s}}",
			name, extra ? extra : "");
}

/* @resp is error -32602 at @field, its message containing @says. */
static void assert_refused(struct json_object *resp, const char *field,
			   const char *says)
{
	assert_error(resp, -32602, field);
	ck_assert_msg(strstr(str_at(resp, "/error/message"), says),
		      "expected \"%s\" in \"%s\"", says,
		      str_at(resp, "/error/message"));
	json_object_put(resp);
}

/* domain.config's cpus of @name as JSON text, "absent" without one. */
static char *cpus_of(const char *name)
{
	struct json_object *resp = rpc_ok("domain.config",
					  "{\"name\":\"%s\"}", name);
	struct json_object *v = at(resp, "/result/cpus");
	char *s = strdup(v ? json_object_to_json_string_ext(
				     v, JSON_C_TO_STRING_PLAIN) :
			     "absent");

	json_object_put(resp);
	return s;
}

static void assert_cpus(const char *name, const char *want)
{
	char *got = cpus_of(name);

	ck_assert_msg(!strcmp(got, want), "%s's cpus: %s, expected %s", name,
		      got, want);
	free(got);
}

/* --- host: no KVM -------------------------------------------------------- */

START_TEST(test_config_refused)
{
	char extra[128], says[64];

	keeld_start();
	assert_refused(define("n", ",\"cpus\":\"nodes:0\""), "/config/cpus",
		       "names NUMA nodes; keel does not place vCPUs by node");
	snprintf(extra, sizeof(extra), ",\"cpus\":\"0,%d\"", lacking_cpu());
	snprintf(says, sizeof(says), "This host has no CPU %d that keel may use",
		 lacking_cpu());
	assert_refused(define("l", extra), "/config/cpus", says);
	assert_refused(define("e", ",\"cpus\":\"0,^0\""), "/config/cpus",
		       "leaves no CPU to run on");
	assert_refused(define("r", ",\"cpus\":\"3-1\""), "/config/cpus",
		       "runs backwards");
	assert_refused(define("x", ",\"vcpus\":2,\"cpus\":[\"0\",\"x\"]"),
		       "/config/cpus/1", "\"x\" in the CPU list");
	assert_refused(define("t", ",\"vcpus\":1,\"cpus\":[\"0\",\"0\"]"),
		       "/config/cpus",
		       "cpus lists 2 CPU lists, one per vCPU, but the domain has 1 vCPUs");
	/* xl's forms that hold on any host. */
	json_object_put(rpc_ok("domain.define",
			       "{\"config\":{\"name\":\"a\",\"kernel\":\"/boot/k\","
			       "\"cpus\":\"all,^%d\"}}", lacking_cpu()));
	json_object_put(rpc_ok("domain.define",
			       "{\"config\":{\"name\":\"b\",\"kernel\":\"/boot/k\","
			       "\"vcpus\":3,\"cpus\":[\"0\",\"0-0,^%d\"]}}",
			       lacking_cpu()));
	keeld_stop();
}
END_TEST

/* A shut-off domain: the definition changes, and survives keeld. */
START_TEST(test_pin_defined)
{
	char cpus[32], says[64];
	struct json_object *resp;

	keeld_start();
	json_object_put(define("p", ",\"vcpus\":2"));
	resp = rpc_ok("domain.vcpu_pin",
		      "{\"name\":\"p\",\"vcpu\":1,\"cpus\":\"0\"}");
	ck_assert_str_eq(json_object_to_json_string_ext(
				 at(resp, "/result/cpus"),
				 JSON_C_TO_STRING_PLAIN),
			 "[\"all\",\"0\"]");
	json_object_put(resp);
	assert_cpus("p", "[\"all\",\"0\"]");

	/* Refused, and nothing changed. */
	assert_refused(rpc_call("domain.vcpu_pin",
				"{\"name\":\"p\",\"vcpu\":2,\"cpus\":\"0\"}"),
		       "/vcpu",
		       "Domain p has 2 vCPUs, numbered 0 to 1; it has no vCPU 2.");
	snprintf(cpus, sizeof(cpus), "%d", lacking_cpu());
	snprintf(says, sizeof(says), "This host has no CPU %d that keel may use",
		 lacking_cpu());
	assert_refused(rpc_call("domain.vcpu_pin",
				"{\"name\":\"p\",\"vcpu\":0,\"cpus\":\"%s\"}",
				cpus),
		       "/cpus", says);
	assert_refused(rpc_call("domain.vcpu_pin",
				"{\"name\":\"p\",\"vcpu\":\"all\",\"cpus\":\"0,^0\"}"),
		       "/cpus", "leaves no CPU to run on");
	assert_refused(rpc_call("domain.vcpu_pin",
				"{\"name\":\"p\",\"vcpu\":0,\"cpus\":\"node:0\"}"),
		       "/cpus", "NUMA nodes");
	resp = rpc_call("domain.vcpu_pin",
			"{\"name\":\"p\",\"vcpu\":-1,\"cpus\":\"0\"}");
	assert_error(resp, -32602, "/vcpu");
	json_object_put(resp);
	assert_cpus("p", "[\"all\",\"0\"]");

	/* It is in the definition file: a new keeld has it. */
	kill(keeld.pid, SIGKILL);
	proc_wait(&keeld, 5000);
	proc_dispose(&keeld);
	keeld_start();
	assert_cpus("p", "[\"all\",\"0\"]");

	/* Every vCPU alike is one list; "all" everywhere is no pinning. */
	json_object_put(rpc_ok("domain.vcpu_pin",
			       "{\"name\":\"p\",\"vcpu\":0,\"cpus\":\"0\"}"));
	assert_cpus("p", "\"0\"");
	json_object_put(rpc_ok("domain.vcpu_pin",
			       "{\"name\":\"p\",\"vcpu\":\"all\",\"cpus\":\"all\"}"));
	assert_cpus("p", "absent");

	/* vCPUs exist only while the domain runs. */
	resp = rpc_call("domain.vcpu_list", "{\"name\":\"p\"}");
	assert_error(resp, -32003, NULL);
	json_object_put(resp);
	resp = rpc_ok("domain.vcpu_list", "{}");
	ck_assert_uint_eq(json_object_array_length(at(resp, "/result")), 0);
	json_object_put(resp);
	keeld_stop();
}
END_TEST

/* The text of file @path (malloc'd), or NULL when there is none. */
static char *read_text(const char *path)
{
	char *buf = malloc(4096);
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f && buf)
		n = fread(buf, 1, 4095, f);
	if (f)
		fclose(f);
	if (!f || !buf) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* What keel-hv is told: one --cpus for all, or one per pinned vCPU. */
START_TEST(test_cpus_reach_keel_hv)
{
	char path[256], script[512], *argv;
	struct json_object *resp;

	snprintf(path, sizeof(path), "%s/argv", top);
	snprintf(script, sizeof(script), "%s/fake-keel-hv", top);
	{
		char text[512];

		snprintf(text, sizeof(text),
			 "#!/bin/sh\necho \"$*\" >%s\nexit 1\n", path);
		write_file(script, text);
		ck_assert_int_eq(chmod(script, 0755), 0);
	}
	keeld_hypervisor = script;
	keeld_start();
	json_object_put(define("one", ",\"vcpus\":2,\"cpus\":\"0\""));
	json_object_put(define("each", ",\"vcpus\":3,\"cpus\":[\"all\",\"0\"]"));

	resp = rpc_call("domain.start", "{\"name\":\"one\"}");
	assert_error(resp, -32007, NULL);
	json_object_put(resp);
	argv = read_text(path);
	ck_assert_msg(argv && strstr(argv, " --vcpus=2 --cpus=0 ") &&
			      !strstr(argv, "--cpus=1:"),
		      "%s", argv ? argv : "(none)");
	free(argv);

	resp = rpc_call("domain.start", "{\"name\":\"each\"}");
	assert_error(resp, -32007, NULL);
	json_object_put(resp);
	argv = read_text(path);
	/* "all" and vCPUs past the list's end are not pinned. */
	ck_assert_msg(argv && strstr(argv, " --cpus=1:0 ") &&
			      !strstr(argv, "--cpus=0:") &&
			      !strstr(argv, "--cpus=2:") &&
			      !strstr(argv, "--cpus=0 "),
		      "%s", argv ? argv : "(none)");
	free(argv);
	keeld_stop();
}
END_TEST

/* --- kvm: a real domain --------------------------------------------------- */

/* The kernel's Cpus_allowed_list of task @tid of @pid (static). */
static const char *allowed(pid_t pid, int tid)
{
	static char list[256];
	char path[96], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, tid);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s (is the tid keel-hv's?)", path,
		      strerror(errno));
	list[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Cpus_allowed_list: %255s", list) == 1)
			break;
	fclose(f);
	return list;
}

/* vCPU @vcpu's tid in @name's domain.vcpu_list. */
static int tid_of(const char *name, int vcpu)
{
	struct json_object *resp = rpc_ok("domain.vcpu_list",
					  "{\"name\":\"%s\"}", name);
	struct json_object *rows = at(resp, "/result"), *row;
	int tid;

	ck_assert_uint_eq(json_object_array_length(rows), 2);
	row = json_object_array_get_idx(rows, (size_t)vcpu);
	ck_assert_int_eq(json_object_get_int(at(row, "/vcpu")), vcpu);
	ck_assert_str_eq(str_at(row, "/name"), name);
	ck_assert_msg(!strcmp(str_at(row, "/state"), "running") ||
			      !strcmp(str_at(row, "/state"), "blocked"),
		      "%s", str_at(row, "/state"));
	tid = json_object_get_int(at(row, "/tid"));
	ck_assert_int_gt(tid, 0);
	json_object_put(resp);
	return tid;
}

START_TEST(test_thread_follows_pin)
{
	char cpus[32], says[64], whole[256];
	struct json_object *resp;
	int tid0, tid1;
	pid_t pid;

	keeld_start();
	resp = rpc_call("domain.define",
			"{\"config\":{\"name\":\"g\",\"kernel\":\"%s\","
			"\"memory\":64,\"vcpus\":2,\"cpus\":[\"0\"]}}",
			harness_path("tests/guests/echo.bin"));
	assert_ok(resp);
	json_object_put(resp);
	json_object_put(rpc_ok("domain.start", "{\"name\":\"g\"}"));
	pid = domain_hv_pid("g", NULL);
	tid0 = tid_of("g", 0);
	tid1 = tid_of("g", 1);
	ck_assert_int_ne(tid0, tid1);
	/* vCPU 0 was pinned before it ran; vCPU 1, past the list, not. */
	ck_assert_str_eq(allowed(pid, tid0), "0");
	snprintf(whole, sizeof(whole), "%s", allowed(pid, tid1));

	/* Refused live: nothing moves. */
	snprintf(cpus, sizeof(cpus), "%d", lacking_cpu());
	snprintf(says, sizeof(says), "This host has no CPU %d that keel may use",
		 lacking_cpu());
	assert_refused(rpc_call("domain.vcpu_pin",
				"{\"name\":\"g\",\"vcpu\":1,\"cpus\":\"%s\"}",
				cpus),
		       "/cpus", says);
	assert_refused(rpc_call("domain.vcpu_pin",
				"{\"name\":\"g\",\"vcpu\":2,\"cpus\":\"0\"}"),
		       "/vcpu", "it has no vCPU 2");
	ck_assert_str_eq(allowed(pid, tid1), whole);

	/* vcpu-pin moves the running thread. */
	json_object_put(rpc_ok("domain.vcpu_pin",
			       "{\"name\":\"g\",\"vcpu\":1,\"cpus\":\"0\"}"));
	ck_assert_str_eq(allowed(pid, tid1), "0");
	assert_cpus("g", "\"0\"");

	/* kill -9 keeld: keel-hv keeps the threads pinned, keeld knows. */
	kill(keeld.pid, SIGKILL);
	proc_wait(&keeld, 5000);
	proc_dispose(&keeld);
	keeld_start();
	ck_assert_int_eq(tid_of("g", 1), tid1);
	ck_assert_str_eq(allowed(pid, tid1), "0");
	assert_cpus("g", "\"0\"");

	/* Started again, the domain gets it from its definition. */
	json_object_put(rpc_ok("domain.destroy", "{\"name\":\"g\"}"));
	json_object_put(rpc_ok("domain.start", "{\"name\":\"g\"}"));
	pid = domain_hv_pid("g", NULL);
	ck_assert_str_eq(allowed(pid, tid_of("g", 0)), "0");
	ck_assert_str_eq(allowed(pid, tid_of("g", 1)), "0");
	json_object_put(rpc_ok("domain.destroy", "{\"name\":\"g\"}"));
	keeld_stop();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("pinning");
	TCase *host = keeld_tcase("host", 60), *kvm;
	const char *only = getenv("CK_RUN_CASE");

	if (!harness_have_file(harness_path("daemon/keeld")) ||
	    !harness_have_file(harness_path("hypervisor/keel-hv")))
		runner_skip_reason = "keeld or keel-hv is not built";
	tcase_add_test(host, test_config_refused);
	tcase_add_test(host, test_pin_defined);
	tcase_add_test(host, test_cpus_reach_keel_hv);
	suite_add_tcase(s, host);

	/* CK_RUN_CASE=host runs the first case anywhere, without KVM. */
	if (only && *only && strcmp(only, "kvm"))
		return s;
	if (!runner_skip_reason && (runner_skip_reason = harness_kvm_missing()))
		runner_wants_kvm = true;
	else if (!runner_skip_reason &&
		 !harness_have_file(harness_path("tests/guests/echo.bin")))
		runner_skip_reason = "test guests are not built (make guest)";
	kvm = keeld_tcase("kvm", 120);
	tcase_add_test(kvm, test_thread_follows_pin);
	suite_add_tcase(s, kvm);
	return s;
}
