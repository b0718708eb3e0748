// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xl info's machine (daemon/hostinfo.c) on made-up machines: a sysfs
 * and procfs tree in a temporary directory with two sockets of two
 * cores of two threads on two nodes, one CPU offline; one with no NUMA
 * directory at all; KVM modules with and without EPT and nesting.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostinfo.h"
#include "runner.h"

static char root[256], modules[300];

/* Write @text to @root/@rel, making its directories. */
static void put(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", root, rel),
			 (int)sizeof(path));
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		ck_assert(!mkdir(path, 0755) || errno == EEXIST);
		*p = '/';
	}
	if (!text) {
		ck_assert(!mkdir(path, 0755) || errno == EEXIST);
		return;
	}
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void cpu(int n, int core, int socket, const char *siblings, int node)
{
	char rel[128], v[16];

	snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/topology/core_id",
		 n);
	snprintf(v, sizeof(v), "%d\n", core);
	put(rel, v);
	snprintf(rel, sizeof(rel),
		 "sys/devices/system/cpu/cpu%d/topology/physical_package_id", n);
	snprintf(v, sizeof(v), "%d\n", socket);
	put(rel, v);
	snprintf(rel, sizeof(rel),
		 "sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", n);
	put(rel, siblings);
	snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/node%d", n,
		 node);
	put(rel, NULL);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "%s/hostinfo-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(modules, sizeof(modules), "%s/modules", root);
	put("modules", NULL);
	put("proc/meminfo", "MemTotal:       8388608 kB\n"
			    "MemFree:        1048576 kB\n"
			    "MemAvailable:   4194304 kB\n");
	put("proc/cpuinfo", "processor\t: 0\nmodel name\t: Made Up\n"
			    "cpu MHz\t\t: 2893.202\n");
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* 2 sockets x 2 cores x 2 threads, nodes 0 and 1; cpu7 is offline. */
static void big_machine(void)
{
	cpu(0, 0, 0, "0,4\n", 0);
	cpu(1, 1, 0, "1,5\n", 0);
	cpu(2, 0, 1, "2,6\n", 1);
	cpu(3, 1, 1, "3,7\n", 1);
	cpu(4, 0, 0, "0,4\n", 0);
	cpu(5, 1, 0, "1,5\n", 0);
	cpu(6, 0, 1, "2,6\n", 1);
	cpu(10, 1, 1, "3,10\n", 1);
	/* offline: a directory without topology */
	put("sys/devices/system/cpu/cpu7", NULL);
	put("sys/devices/system/cpu/cpufreq", NULL);
	put("sys/devices/system/node/node0/meminfo",
	    "Node 0 MemTotal:       4194304 kB\nNode 0 MemFree:        1048576 kB\n");
	put("sys/devices/system/node/node0/distance", "10 21\n");
	put("sys/devices/system/node/node1/meminfo",
	    "Node 1 MemTotal:       4194304 kB\nNode 1 MemFree:         524288 kB\n");
	put("sys/devices/system/node/node1/distance", "21 10\n");
}

static struct json_object *info(bool numa)
{
	struct json_object *o = json_object_new_object();

	ck_assert_int_eq(hostinfo_add(o, root, modules, numa), 0);
	return o;
}

static int64_t num(struct json_object *o, const char *p)
{
	struct json_object *v;

	ck_assert_msg(!json_pointer_get(o, p, &v) && v, "no %s", p);
	return json_object_get_int64(v);
}

static const char *str(struct json_object *o, const char *p)
{
	struct json_object *v;

	ck_assert_msg(!json_pointer_get(o, p, &v) && v, "no %s", p);
	return json_object_get_string(v);
}

START_TEST(test_topology)
{
	struct json_object *o;

	big_machine();
	o = info(false);
	ck_assert_int_eq(num(o, "/nr_nodes"), 2);
	ck_assert_int_eq(num(o, "/sockets"), 2);
	ck_assert_int_eq(num(o, "/threads_per_core"), 2);
	ck_assert_int_eq(num(o, "/cores_per_socket"), 2);
	ck_assert_int_eq(num(o, "/cpu_mhz"), 2893);
	ck_assert_int_eq(num(o, "/free_memory_mib"), 4096);
	ck_assert(!json_object_object_get_ex(o, "cpu_topology", NULL));
	ck_assert(!json_object_object_get_ex(o, "numa_info", NULL));
	/* uname's, whatever this host is */
	ck_assert(strlen(str(o, "/release")) > 0);
	ck_assert(strlen(str(o, "/machine")) > 0);
	json_object_put(o);
}
END_TEST

START_TEST(test_numa)
{
	struct json_object *o;

	big_machine();
	o = info(true);
	/* Online CPUs only, in number order: 0-6 and 10. */
	ck_assert_int_eq(json_object_array_length(
				 json_object_object_get(o, "cpu_topology")),
			 8);
	ck_assert_int_eq(num(o, "/cpu_topology/7/cpu"), 10);
	ck_assert_int_eq(num(o, "/cpu_topology/7/node"), 1);
	ck_assert_int_eq(num(o, "/cpu_topology/2/socket"), 1);
	ck_assert_int_eq(num(o, "/cpu_topology/5/core"), 1);
	ck_assert_int_eq(num(o, "/numa_info/0/memsize_mib"), 4096);
	ck_assert_int_eq(num(o, "/numa_info/1/memfree_mib"), 512);
	ck_assert_int_eq(num(o, "/numa_info/0/distances/1"), 21);
	ck_assert_int_eq(num(o, "/numa_info/1/distances/1"), 10);
	json_object_put(o);
}
END_TEST

/* No node directory, no MHz: one node, the whole memory, 0 MHz. */
START_TEST(test_flat)
{
	struct json_object *o;

	cpu(0, 0, 0, "0\n", 0);
	put("proc/cpuinfo", "processor\t: 0\n");
	o = info(true);
	ck_assert_int_eq(num(o, "/nr_nodes"), 1);
	ck_assert_int_eq(num(o, "/cores_per_socket"), 1);
	ck_assert_int_eq(num(o, "/threads_per_core"), 1);
	ck_assert_int_eq(num(o, "/cpu_mhz"), 0);
	ck_assert_int_eq(num(o, "/numa_info/0/node"), 0);
	ck_assert_int_eq(num(o, "/numa_info/0/memsize_mib"), 8192);
	ck_assert_int_eq(num(o, "/numa_info/0/distances/0"), 10);
	json_object_put(o);
}
END_TEST

START_TEST(test_virt_caps)
{
	struct json_object *o;

	cpu(0, 0, 0, "0\n", 0);
	o = info(false);
	ck_assert_str_eq(str(o, "/virt_caps"), "");
	json_object_put(o);

	put("modules/kvm_intel/parameters/ept", "Y\n");
	put("modules/kvm_intel/parameters/nested", "N\n");
	o = info(false);
	ck_assert_str_eq(str(o, "/virt_caps"), "hvm vmx hap");
	json_object_put(o);

	put("modules/kvm_intel/parameters/ept", "N\n");
	put("modules/kvm_intel/parameters/nested", "Y\n");
	o = info(false);
	ck_assert_str_eq(str(o, "/virt_caps"), "hvm vmx shadow nested");
	json_object_put(o);

	/* kvm_pvm wins, as kvm_host.h has it. */
	put("modules/kvm_pvm", NULL);
	o = info(false);
	ck_assert_str_eq(str(o, "/virt_caps"), "hvm pvm shadow");
	json_object_put(o);
}
END_TEST

START_TEST(test_hw_caps)
{
	struct json_object *o;
	const char *caps;

	cpu(0, 0, 0, "0\n", 0);
	o = info(false);
	caps = str(o, "/hw_caps");
#if defined(__x86_64__) || defined(__i386__)
	/* Eight words of eight hex digits; leaf 1's edx has FPU (bit 0). */
	ck_assert_int_eq(strlen(caps), 8 * 9 - 1);
	ck_assert_int_eq(strspn(caps, "0123456789abcdef:"), strlen(caps));
	ck_assert(strtoul(caps, NULL, 16) & 1);
#else
	ck_assert_str_eq(caps, "");
#endif
	json_object_put(o);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hostinfo");
	TCase *tc = tcase_create("hostinfo");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_topology);
	tcase_add_test(tc, test_numa);
	tcase_add_test(tc, test_flat);
	tcase_add_test(tc, test_virt_caps);
	tcase_add_test(tc, test_hw_caps);
	suite_add_tcase(s, tc);
	return s;
}
