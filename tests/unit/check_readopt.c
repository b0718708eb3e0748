// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A keeld restart with running domains (daemon/adopt.c), in the test's
 * process (unit_keeld.h) with fake_hv as keel-hv, which outlives keeld
 * as keel-hv does: what the domain was changed to while it ran (vCPUs
 * online, the balloon's target, a vCPU's pinning, a disk's I/O limits)
 * is what it runs with after the restart, also when its state file is
 * gone or older than those changes, because keeld reads them back from
 * keel-hv.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpumap.h"
#include "hv_proto.h"
#include "jsonrpc.h"
#include "keel.h"
#include "runner.h"
#include "unit_keeld.h"

#define FAKE_HV KEEL_TEST_BUILDDIR "/tests/unit/fake_hv"
#define WEB "{\"name\":\"web\"}"

static struct unit_keeld u;
static char state_path[256], saved_path[256];

static struct json_object *rpc(const char *method, const char *params)
{
	return unit_keeld_call(&u, u.rw_sock, method, params);
}

static void setup(void)
{
	unit_keeld_start(&u, "hypervisor = " FAKE_HV "\n");
}

static void teardown(void)
{
	/* fake_hv outlives keeld: end it. */
	json_object_put(rpc("domain.destroy", WEB));
	unit_keeld_stop(&u);
}

/* web, transient, with room to change: 1 of 4 vCPUs, 64 of 128 MiB, a disk. */
static void create_web(void)
{
	struct json_object *resp;
	char params[512];
	FILE *f;

	f = fopen(unit_keeld_path(&u, "disk.img"), "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	snprintf(params, sizeof(params),
		 "{\"config\":{\"name\":\"web\",\"kernel\":\"/k\",\"cmdline\":\"fake.outlive\","
		 "\"vcpus\":1,\"maxvcpus\":4,\"memory\":64,\"maxmem\":128,"
		 "\"disks\":[{\"vdev\":\"vda\",\"path\":\"%s\"}]}}",
		 unit_keeld_path(&u, "disk.img"));
	json_object_put(unit_assert_ok(rpc("domain.create", params)));
	resp = unit_assert_ok(rpc("domain.config", WEB));
	snprintf(state_path, sizeof(state_path), "%s/domains/%s/state.json",
		 unit_keeld_path(&u, "run"), unit_str(resp, "/result/uuid"));
	json_object_put(resp);
	snprintf(saved_path, sizeof(saved_path), "%s",
		 unit_keeld_path(&u, "state.json.old"));
}

static bool two_cpus(void)
{
	struct cpumap host;

	return !cpumap_host(&host) && cpumap_count(&host) > 1;
}

/* The changes, each through keeld and keel-hv. */
static void change_web(void)
{
	json_object_put(unit_assert_ok(rpc("domain.set_vcpus",
					   "{\"name\":\"web\",\"vcpus\":3}")));
	json_object_put(unit_assert_ok(rpc("domain.set_memory",
					   "{\"name\":\"web\",\"memory_mib\":96}")));
	if (two_cpus())
		json_object_put(unit_assert_ok(rpc("domain.vcpu_pin",
						   "{\"name\":\"web\",\"vcpu\":1,\"cpus\":\"0\"}")));
	json_object_put(unit_assert_ok(rpc("domain.blkdeviotune",
					   "{\"name\":\"web\",\"disk\":\"vda\",\"limits\":{\"total_iops_sec\":200}}")));
}

/* web runs with the changes (after waiting for keel-hv's answers). */
static void assert_changed(void)
{
	struct json_object *resp;

	/* adopt.c asks keel-hv; its answers come while the loop runs. */
	unit_keeld_run(&u, 300);
	resp = unit_assert_ok(rpc("domain.config", WEB));
	ck_assert_msg(json_object_get_int(unit_at(resp, "/result/vcpus")) == 3,
		      "%s", json_object_to_json_string(resp));
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/result/memory")),
			 96);
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/result/maxvcpus")),
			 4);
	ck_assert_int_eq(json_object_get_int(
				 unit_at(resp, "/result/disks/0/iotune/total_iops_sec")),
			 200);
	if (two_cpus()) {
		ck_assert_str_eq(unit_str(resp, "/result/cpus/1"), "0");
		ck_assert_str_eq(unit_str(resp, "/result/cpus/0"), "all");
	}
	json_object_put(resp);
	/* keel list agrees, and the domain is still the one running. */
	resp = unit_assert_ok(rpc("domain.list", NULL));
	ck_assert_str_eq(unit_str(resp, "/result/0/state"), "running");
	json_object_put(resp);
}

static void remove_state(struct unit_keeld *unused)
{
	ck_assert_int_eq(unlink(state_path), 0);
}

static void restore_old_state(struct unit_keeld *unused)
{
	ck_assert_int_eq(rename(saved_path, state_path), 0);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "r"), *out = fopen(to, "w");
	size_t n;

	ck_assert(in && out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);
}

/* With its state file: everything kept (keel-hv held it, keeld recorded it). */
START_TEST(test_state_file)
{
	create_web();
	change_web();
	unit_keeld_restart(&u, NULL);
	assert_changed();
}
END_TEST

/*
 * Without one: the configuration comes from keel-hv's command line (a
 * transient domain), which says what it booted with; keel-hv says what
 * it has now.
 */
START_TEST(test_no_state_file)
{
	create_web();
	change_web();
	unit_keeld_restart(&u, remove_state);
	assert_changed();
	/* Read back once, then recorded: the next restart has it too. */
	unit_keeld_restart(&u, NULL);
	assert_changed();
}
END_TEST

/* A state file older than the changes (keeld died before saving it). */
START_TEST(test_old_state_file)
{
	create_web();
	copy_file(state_path, saved_path);
	change_web();
	unit_keeld_restart(&u, restore_old_state);
	assert_changed();
}
END_TEST

/* --- The CPU weight and cap, in a cgroup v1 stand-in ---------------- */

static char cg_root[64];

static void cg_setup(void)
{
	char conf[256], path[128];

	snprintf(cg_root, sizeof(cg_root), "/tmp/check_readopt.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(cg_root));
	snprintf(path, sizeof(path), "%s/cpu", cg_root);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/memory", cg_root);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(conf, sizeof(conf),
		 "hypervisor = " FAKE_HV "\ncgroups = required\ncgroup_root = %s\n",
		 cg_root);
	unit_keeld_start(&u, conf);
}

static void cg_teardown(void)
{
	char cmd[128];

	teardown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cg_root);
	ck_assert_int_eq(system(cmd), 0);
}

/* keeld's memory limit for a maxmem of @mib (cgroup_domain_limits()). */
#define MEM_LIMIT(mib)                                            \
	((((long long)(mib) + HV_MEM_OVERHEAD_MIB) << 20) +       \
	 ((long long)(mib) << 20) / HV_MEM_PAGE_TABLE_DIV)

/* The first number in the stand-in group's FILE of controller @ctrl. */
static long long group_file(const char *uuid, const char *ctrl,
			    const char *file)
{
	char path[256];
	long long v = -2;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/keel/%s/%s", cg_root, ctrl, uuid,
		 file);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "no %s", path);
	ck_assert_int_eq(fscanf(f, "%lld", &v), 1);
	fclose(f);
	return v;
}

static long long cpu_file(const char *uuid, const char *file)
{
	return group_file(uuid, "cpu", file);
}

/*
 * sched-credit's weight and cap, and the limit mem-max sets, live in
 * the domain's cgroup: a transient domain re-adopted without its state
 * file has them only there (its command line does not say them, and
 * keel-hv knows only its RAM), and keeld writes the group again on
 * adoption, so it must read them first.
 */
START_TEST(test_group_no_state_file)
{
	struct json_object *resp;
	char uuid[40];

	create_web();
	resp = unit_assert_ok(rpc("domain.config", WEB));
	snprintf(uuid, sizeof(uuid), "%s", unit_str(resp, "/result/uuid"));
	json_object_put(resp);
	json_object_put(unit_assert_ok(rpc("domain.set_sched",
					   "{\"name\":\"web\",\"weight\":512,\"cap\":50}")));
	ck_assert_int_eq(cpu_file(uuid, "cpu.shares"), 2048);
	ck_assert_int_eq(cpu_file(uuid, "cpu.cfs_quota_us"), 50000);
	/* mem-max too: keel-hv knows only its RAM, the group the limit. */
	json_object_put(unit_assert_ok(rpc("domain.set_maxmem",
					   "{\"name\":\"web\",\"maxmem_mib\":112}")));
	ck_assert_int_eq(group_file(uuid, "memory", "memory.limit_in_bytes"),
			 MEM_LIMIT(112));
	unit_keeld_restart(&u, remove_state);
	unit_keeld_run(&u, 100);
	resp = unit_assert_ok(rpc("domain.config", WEB));
	ck_assert_msg(json_object_get_int(unit_at(resp, "/result/cpu_weight")) ==
			      512,
		      "%s", json_object_to_json_string(resp));
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/result/cap")), 50);
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/result/maxmem")),
			 112);
	json_object_put(resp);
	/* And the group still holds them. */
	ck_assert_int_eq(cpu_file(uuid, "cpu.shares"), 2048);
	ck_assert_int_eq(cpu_file(uuid, "cpu.cfs_quota_us"), 50000);
	ck_assert_int_eq(group_file(uuid, "memory", "memory.limit_in_bytes"),
			 MEM_LIMIT(112));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("readopt");
	TCase *tc = tcase_create("readopt");

	tcase_add_unchecked_fixture(tc, unit_keeld_suite_setup,
				    unit_keeld_suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_state_file);
	tcase_add_test(tc, test_no_state_file);
	tcase_add_test(tc, test_old_state_file);
	suite_add_tcase(s, tc);
	tc = tcase_create("sched");
	tcase_add_unchecked_fixture(tc, unit_keeld_suite_setup,
				    unit_keeld_suite_teardown);
	tcase_add_checked_fixture(tc, cg_setup, cg_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_group_no_state_file);
	suite_add_tcase(s, tc);
	return s;
}
