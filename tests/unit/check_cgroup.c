// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon/cgroup.c on directories of ordinary files laid out as cgroup
 * v2 and cgroup v1 hosts are (the files hold what keeld wrote), the
 * mappings of xl's weight and cap, the mount table read, the errors;
 * and, where this machine lets it, the host's real cgroups: a process
 * moved into a group whose files read back the mapped values.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cgroup.h"
#include "cgroup_domain.h"
#include "hv_proto.h"
#include "log.h"
#include "runner.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_cgroup.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	log_init("check_cgroup", false, LOG_LEVEL_DEBUG);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

static void teardown(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static int dirfd_of(const char *path)
{
	static int fd = -1;

	if (fd >= 0)
		close(fd);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

static void mk(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

/* The first line of DIR/@rel; "(none)" when it cannot be read. */
static const char *get(const char *rel)
{
	static char buf[256];
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "r");
	if (!f)
		return "(none)";
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static bool exists(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return !access(path, F_OK);
}

START_TEST(test_mappings)
{
	/* xl's default is cgroup v2's default and v1's default. */
	ck_assert_uint_eq(cgroup_v2_weight(256), 100);
	ck_assert_uint_eq(cgroup_v2_weight(512), 200);
	ck_assert_uint_eq(cgroup_v2_weight(128), 50);
	ck_assert_uint_eq(cgroup_v2_weight(1), 1);
	ck_assert_uint_eq(cgroup_v2_weight(25600), 10000);
	ck_assert_uint_eq(cgroup_v2_weight(65535), 10000);
	ck_assert_uint_eq(cgroup_v1_shares(256), 1024);
	ck_assert_uint_eq(cgroup_v1_shares(1), 4);
	ck_assert_uint_eq(cgroup_v1_shares(65535), 262140);
	ck_assert_int_eq(cgroup_cap_quota_us(0), -1);
	ck_assert_int_eq(cgroup_cap_quota_us(25), 25000);
	ck_assert_int_eq(cgroup_cap_quota_us(150), 150000);
	ck_assert_int_eq(cgroup_cap_quota_us(6400), 6400000);
}
END_TEST

START_TEST(test_limits_from_config)
{
	struct json_object *c = json_tokener_parse(
		"{\"name\":\"a\",\"memory\":128,\"maxmem\":512,"
		"\"cpu_weight\":1000,\"cap\":50}");
	struct cgroup_limits l;

	cgroup_domain_limits(c, &l);
	ck_assert_uint_eq(l.weight, 1000);
	ck_assert_uint_eq(l.cap, 50);
	ck_assert_uint_eq(l.memory_bytes, ((512ULL + HV_MEM_OVERHEAD_MIB) << 20) +
						  (512ULL << 20) / HV_MEM_PAGE_TABLE_DIV);
	json_object_put(c);
	/* keeld's defaults: weight 256, no cap, 256 MiB. */
	c = json_tokener_parse("{\"name\":\"a\"}");
	cgroup_domain_limits(c, &l);
	ck_assert_uint_eq(l.weight, 256);
	ck_assert_uint_eq(l.cap, 0);
	ck_assert_uint_eq(l.memory_bytes, ((256ULL + HV_MEM_OVERHEAD_MIB) << 20) +
						  (256ULL << 20) / HV_MEM_PAGE_TABLE_DIV);
	json_object_put(c);
}
END_TEST

START_TEST(test_v2)
{
	struct cgroup_limits l = { 512, 150, 300ULL << 20 };
	struct cgroup_host *h;
	char why[512] = "";

	put("cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
	ck_assert_int_eq(cgroup_host_open(dir, NULL, "keel", &h, why,
					  sizeof(why)), 0);
	ck_assert_int_eq(cgroup_host_version(h), CGROUP_V2);
	ck_assert_int_eq(cgroup_create(h, "u1", why, sizeof(why)), 0);
	ck_assert(exists("keel/u1"));
	/* Each controller on its own line of writes; the last is io. */
	ck_assert_str_eq(get("cgroup.subtree_control"), "+io");
	ck_assert_int_eq(cgroup_apply(h, "u1", &l, why, sizeof(why)), 0);
	ck_assert_str_eq(get("keel/u1/cpu.weight"), "200");
	ck_assert_str_eq(get("keel/u1/cpu.max"), "150000 100000");
	ck_assert_str_eq(get("keel/u1/memory.max"), "314572800");
	l.cap = 0;
	l.memory_bytes = 0;
	ck_assert_int_eq(cgroup_apply(h, "u1", &l, why, sizeof(why)), 0);
	ck_assert_str_eq(get("keel/u1/cpu.max"), "max 100000");
	ck_assert_str_eq(get("keel/u1/memory.max"), "max");
	ck_assert_int_eq(cgroup_attach(h, "u1", 4242, why, sizeof(why)), 0);
	ck_assert_str_eq(get("keel/u1/cgroup.procs"), "4242");
	/* The cap's throttling, as the kernel counts it in cpu.stat. */
	{
		uint64_t periods = 1, ns = 1;

		ck_assert_int_eq(cgroup_cpu_throttled(h, "u1", &periods, &ns),
				 -ENOENT);
		put("keel/u1/cpu.stat",
		    "usage_usec 900\nnr_periods 40\nnr_throttled 7\n"
		    "throttled_usec 1234\n");
		ck_assert_int_eq(cgroup_cpu_throttled(h, "u1", &periods, &ns),
				 0);
		ck_assert_uint_eq(periods, 7);
		ck_assert_uint_eq(ns, 1234000);
	}
	/* The OOM killer's count, not the group-kill one before it. */
	{
		uint64_t kills = 9;

		ck_assert_int_eq(cgroup_oom_kills(h, "u1", &kills), -ENOENT);
		put("keel/u1/memory.events",
		    "low 0\nhigh 0\nmax 12\noom 1\noom_group_kill 0\n"
		    "oom_kill 2\n");
		ck_assert_int_eq(cgroup_oom_kills(h, "u1", &kills), 0);
		ck_assert_uint_eq(kills, 2);
		put("keel/u1/memory.events", "low 0\noom 0\n");
		ck_assert_int_eq(cgroup_oom_kills(h, "u1", &kills), -ENODATA);
	}
	/* Making it again keeps it. */
	ck_assert_int_eq(cgroup_create(h, "u1", why, sizeof(why)), 0);
	ck_assert_str_eq(get("keel/u1/cgroup.procs"), "4242");
	ck_assert_int_eq(cgroup_rename(h, "u1", "u2"), 0);
	ck_assert(!exists("keel/u1"));
	ck_assert_str_eq(get("keel/u2/cpu.weight"), "200");
	ck_assert_int_eq(cgroup_remove(h, "u2"), 0);
	ck_assert(!exists("keel/u2"));
	ck_assert(exists("keel"));
	/* Removing what is gone is no error. */
	ck_assert_int_eq(cgroup_remove(h, "u2"), 0);
	cgroup_host_free(h);
}
END_TEST

/* A v1 host as /sys/fs/cgroup has it: cpu and cpuacct co-mounted. */
static void v1_layout(void)
{
	mk("cpu,cpuacct");
	mk("memory");
	mk("cpuset");
	mk("blkio");
	mk("devices");
	/* As on many hosts: cpu and cpuacct also reachable by links. */
	ck_assert_int_eq(symlinkat("cpu,cpuacct", dirfd_of(dir), "cpu"), 0);
	put("cpuset/cpuset.cpus", "0-3\n");
	put("cpuset/cpuset.mems", "0\n");
}

START_TEST(test_v1)
{
	struct cgroup_limits l = { 256, 0, 64ULL << 20 };
	struct cgroup_host *h;
	char why[512] = "", path[256];

	v1_layout();
	ck_assert_int_eq(cgroup_host_open(dir, NULL, "machine/keel", &h, why,
					  sizeof(why)), 0);
	ck_assert_int_eq(cgroup_host_version(h), CGROUP_V1);
	ck_assert_int_eq(cgroup_create(h, "u1", why, sizeof(why)), 0);
	ck_assert(exists("cpu,cpuacct/machine/keel/u1"));
	ck_assert(exists("memory/machine/keel/u1"));
	ck_assert(exists("blkio/machine/keel/u1"));
	ck_assert(!exists("devices/machine"));
	/* A cpuset group cannot take a task before it has CPUs and nodes. */
	ck_assert_str_eq(get("cpuset/machine/cpuset.cpus"), "0-3");
	ck_assert_str_eq(get("cpuset/machine/keel/u1/cpuset.cpus"), "0-3");
	ck_assert_str_eq(get("cpuset/machine/keel/u1/cpuset.mems"), "0");
	ck_assert_int_eq(cgroup_apply(h, "u1", &l, why, sizeof(why)), 0);
	ck_assert_str_eq(get("cpu,cpuacct/machine/keel/u1/cpu.shares"), "1024");
	ck_assert_str_eq(get("cpu,cpuacct/machine/keel/u1/cpu.cfs_quota_us"),
			 "-1");
	ck_assert_str_eq(get("cpu,cpuacct/machine/keel/u1/cpu.cfs_period_us"),
			 "100000");
	ck_assert_str_eq(get("memory/machine/keel/u1/memory.limit_in_bytes"),
			 "67108864");
	l.weight = 65535;
	l.cap = 25;
	ck_assert_int_eq(cgroup_apply(h, "u1", &l, why, sizeof(why)), 0);
	ck_assert_str_eq(get("cpu,cpuacct/machine/keel/u1/cpu.shares"),
			 "262140");
	ck_assert_str_eq(get("cpu,cpuacct/machine/keel/u1/cpu.cfs_quota_us"),
			 "25000");
	ck_assert_int_eq(cgroup_attach(h, "u1", 77, why, sizeof(why)), 0);
	ck_assert_str_eq(get("cpuset/machine/keel/u1/cgroup.procs"), "77");
	ck_assert_str_eq(get("blkio/machine/keel/u1/cgroup.procs"), "77");
	/* v1 counts the time in ns, as throttled_time. */
	{
		uint64_t periods, ns;

		put("cpu,cpuacct/machine/keel/u1/cpu.stat",
		    "nr_periods 12\nnr_throttled 3\nthrottled_time 5000\n");
		ck_assert_int_eq(cgroup_cpu_throttled(h, "u1", &periods, &ns),
				 0);
		ck_assert_uint_eq(periods, 3);
		ck_assert_uint_eq(ns, 5000);
	}
	/* v1 has the count in memory.oom_control. */
	{
		uint64_t kills;

		put("memory/machine/keel/u1/memory.oom_control",
		    "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
		ck_assert_int_eq(cgroup_oom_kills(h, "u1", &kills), 0);
		ck_assert_uint_eq(kills, 1);
	}
	ck_assert_int_eq(cgroup_path(h, "memory", "u1", path, sizeof(path)),
			 0);
	ck_assert(strstr(path, "/memory/machine/keel/u1"));
	/* The link is not a second hierarchy. */
	ck_assert_int_eq(cgroup_path(h, "cpu", "u1", path, sizeof(path)), 0);
	ck_assert_msg(strstr(path, "/cpu,cpuacct/machine/keel/u1"), "%s", path);
	ck_assert_int_eq(cgroup_path(h, "io", "u1", path, sizeof(path)),
			 -ENOENT);
	ck_assert_int_eq(cgroup_remove(h, "u1"), 0);
	ck_assert(!exists("memory/machine/keel/u1"));
	ck_assert(!exists("cpuset/machine/keel/u1"));
	cgroup_host_free(h);
}
END_TEST

/* A mount table like this project's machines': v1 and an empty v2. */
static void write_mountinfo(const char *v2_ctrls)
{
	char text[2048];

	mk("v1");
	mk("v1/cpu");
	mk("v1/memory");
	mk("v1/blkio");
	mk("uni");
	put("uni/cgroup.controllers", v2_ctrls);
	snprintf(text, sizeof(text),
		 "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		 "31 30 0:28 / %s/v1/cpu rw,relatime - cgroup cgroup rw,cpu\n"
		 "34 30 0:31 / %s/v1/memory rw,relatime - cgroup cgroup rw,memory\n"
		 "37 30 0:34 / %s/v1/blkio rw,relatime shared:9 - cgroup cgroup rw,blkio\n"
		 "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
		 "40 30 0:37 / %s/uni rw,relatime - cgroup2 cgroup2 rw\n",
		 dir, dir, dir, dir);
	put("mountinfo", text);
}

START_TEST(test_mountinfo_v2_without_controllers)
{
	struct cgroup_host *h;
	char why[512] = "", mi[128], path[256], want[256];

	write_mountinfo("hugetlb\n");
	snprintf(mi, sizeof(mi), "%s/mountinfo", dir);
	ck_assert_int_eq(cgroup_host_open(NULL, mi, "keel", &h, why,
					  sizeof(why)), 0);
	ck_assert_int_eq(cgroup_host_version(h), CGROUP_V1);
	ck_assert_int_eq(cgroup_path(h, "cpu", "x", path, sizeof(path)), 0);
	snprintf(want, sizeof(want), "%s/v1/cpu/keel/x", dir);
	ck_assert_str_eq(path, want);
	ck_assert_int_eq(cgroup_path(h, "blkio", "x", path, sizeof(path)), 0);
	cgroup_host_free(h);
}
END_TEST

START_TEST(test_mountinfo_v2_preferred)
{
	struct cgroup_host *h;
	char why[512] = "", mi[128], path[256], want[256];

	write_mountinfo("cpu io memory pids\n");
	snprintf(mi, sizeof(mi), "%s/mountinfo", dir);
	ck_assert_int_eq(cgroup_host_open(NULL, mi, "keel", &h, why,
					  sizeof(why)), 0);
	ck_assert_int_eq(cgroup_host_version(h), CGROUP_V2);
	ck_assert_int_eq(cgroup_path(h, "memory", "x", path, sizeof(path)),
			 0);
	snprintf(want, sizeof(want), "%s/uni/keel/x", dir);
	ck_assert_str_eq(path, want);
	/* v1 is not used beside v2: no blkio hierarchy any more. */
	ck_assert_int_eq(cgroup_path(h, "blkio", "x", path, sizeof(path)),
			 -ENOENT);
	cgroup_host_free(h);
}
END_TEST

START_TEST(test_no_cgroups)
{
	struct cgroup_host *h = (struct cgroup_host *)&h;
	char why[512] = "", mi[128];

	/* v2 without memory, v1 without memory: nothing keel can use. */
	mk("cpu");
	put("cgroup.controllers", "cpu io\n");
	ck_assert_int_eq(cgroup_host_open(dir, NULL, "keel", &h, why,
					  sizeof(why)), -ENOENT);
	ck_assert_ptr_null(h);
	ck_assert_msg(strstr(why, "cpu and memory controllers"), "%s", why);
	snprintf(mi, sizeof(mi), "%s/nonexistent", dir);
	ck_assert_int_eq(cgroup_host_open(NULL, mi, "keel", &h, why,
					  sizeof(why)), -ENOENT);
	ck_assert_msg(strstr(why, "cannot read"), "%s", why);
}
END_TEST

/* Make DIR/@rel look made two minutes ago. */
static void age(const char *rel)
{
	struct timespec t[2] = { { time(NULL) - 120, 0 },
				 { time(NULL) - 120, 0 } };
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, t, 0), 0);
}

static bool keep_a(const char *name, void *opaque)
{
	(void)opaque;
	return !strcmp(name, "a");
}

START_TEST(test_sweep)
{
	struct cgroup_host *h;
	char why[512] = "";

	v1_layout();
	ck_assert_int_eq(cgroup_host_open(dir, NULL, "keel", &h, why,
					  sizeof(why)), 0);
	ck_assert_int_eq(cgroup_create(h, "a", why, sizeof(why)), 0);
	ck_assert_int_eq(cgroup_create(h, "b", why, sizeof(why)), 0);
	put("memory/keel/stray-file", "not a group\n");
	/* Too young: perhaps a start under way. */
	ck_assert_int_eq(cgroup_sweep(h, keep_a, NULL), 0);
	ck_assert(exists("memory/keel/b"));
	age("cpu,cpuacct/keel/b");
	age("memory/keel/b");
	age("cpuset/keel/b");
	age("blkio/keel/b");
	age("memory/keel/a");
	/* b in each of the four hierarchies keel uses. */
	ck_assert_int_eq(cgroup_sweep(h, keep_a, NULL), 4);
	ck_assert(exists("memory/keel/a"));
	ck_assert(exists("cpuset/keel/a"));
	ck_assert(!exists("memory/keel/b"));
	ck_assert(!exists("cpu,cpuacct/keel/b"));
	ck_assert(exists("memory/keel/stray-file"));
	ck_assert_int_eq(cgroup_sweep(h, keep_a, NULL), 0);
	cgroup_host_free(h);
}
END_TEST

START_TEST(test_errors)
{
	struct cgroup_limits l = { 0, 0, 0 };
	struct cgroup_host *h;
	char why[512] = "";

	v1_layout();
	ck_assert_int_eq(cgroup_host_open(dir, NULL, "keel", &h, why,
					  sizeof(why)), 0);
	/* A weight out of range is refused before anything is written. */
	ck_assert_int_eq(cgroup_create(h, "u1", why, sizeof(why)), 0);
	ck_assert_int_eq(cgroup_apply(h, "u1", &l, why, sizeof(why)),
			 -EINVAL);
	ck_assert(!exists("cpu,cpuacct/keel/u1/cpu.shares"));
	/* A group that cannot be made says which and why. */
	put("memory/keel/u2", "in the way\n");
	ck_assert_int_ne(cgroup_create(h, "u2/x", why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, "cannot create the cgroup"), "%s", why);
	ck_assert_msg(strstr(why, "/keel/u2/x"), "%s", why);
	/* A group that is gone cannot take a process. */
	ck_assert_int_ne(cgroup_attach(h, "u3", 1, why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, "cannot move process 1 into"), "%s", why);
	cgroup_host_free(h);
}
END_TEST

/* pid @pid's line for the hierarchy of @ctrl in /proc/PID/cgroup. */
static bool in_group(pid_t pid, const char *group)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, group) != NULL;
	fclose(f);
	return found;
}

/* The first line of the file @name in group @group of @ctrl. */
static const char *real_get(struct cgroup_host *h, const char *ctrl,
			    const char *group, const char *name)
{
	static char buf[128];
	char path[512];
	FILE *f;

	ck_assert_int_eq(cgroup_path(h, ctrl, group, path, sizeof(path)), 0);
	strncat(path, "/", sizeof(path) - strlen(path) - 1);
	strncat(path, name, sizeof(path) - strlen(path) - 1);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/*
 * The host's own cgroups, where they are writable (root, cgroups
 * mounted): a sleeping child moved into a new group, the group's files
 * read back, the group removed. Elsewhere the test says SKIP on stderr
 * and checks nothing.
 */
START_TEST(test_real_cgroups)
{
	static const char *const ctrls[] = { "cpu",    "cpuacct", "memory",
					     "cpuset", "blkio",	  "io" };
	struct cgroup_limits l = { 512, 50, 512ULL << 20 };
	struct cgroup_host *h;
	char why[512] = "", parent[64], group[128], path[512];
	pid_t child;
	int rc;

	snprintf(parent, sizeof(parent), "keel-check-%d", (int)getpid());
	rc = cgroup_host_open(NULL, NULL, parent, &h, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "SKIP: check_cgroup: real cgroups: %s.\n", why);
		return;
	}
	rc = cgroup_create(h, "dom", why, sizeof(why));
	if (rc == -EACCES || rc == -EPERM || rc == -EROFS) {
		fprintf(stderr, "SKIP: check_cgroup: real cgroups: %s.\n", why);
		cgroup_host_free(h);
		return;
	}
	ck_assert_msg(rc == 0, "%s", why);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (!child) {
		pause();
		_exit(0);
	}
	rc = cgroup_attach(h, "dom", child, why, sizeof(why));
	ck_assert_msg(rc == 0, "%s", why);
	snprintf(group, sizeof(group), "/%s/dom", parent);
	ck_assert_msg(in_group(child, group), "pid %d is not in %s",
		      (int)child, group);
	rc = cgroup_apply(h, "dom", &l, why, sizeof(why));
	ck_assert_msg(rc == 0, "%s", why);
	if (cgroup_host_version(h) == CGROUP_V1) {
		ck_assert_str_eq(real_get(h, "cpu", "dom", "cpu.shares"),
				 "2048");
		ck_assert_str_eq(real_get(h, "cpu", "dom", "cpu.cfs_quota_us"),
				 "50000");
		ck_assert_str_eq(real_get(h, "memory", "dom",
					  "memory.limit_in_bytes"),
				 "536870912");
	} else {
		ck_assert_str_eq(real_get(h, "cpu", "dom", "cpu.weight"), "200");
		ck_assert_str_eq(real_get(h, "cpu", "dom", "cpu.max"),
				 "50000 100000");
		ck_assert_str_eq(real_get(h, "memory", "dom", "memory.max"),
				 "536870912");
	}
	kill(child, SIGKILL);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	ck_assert_int_eq(cgroup_remove(h, "dom"), 0);
	ck_assert_int_eq(cgroup_path(h, "cpu", "dom", path, sizeof(path)), 0);
	ck_assert_msg(access(path, F_OK) && errno == ENOENT,
		      "%s is still there", path);
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++)
		if (!cgroup_path(h, ctrls[i], NULL, path, sizeof(path)))
			rmdir(path);
	cgroup_host_free(h);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("fake");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_mappings);
	tcase_add_test(tc, test_limits_from_config);
	tcase_add_test(tc, test_v2);
	tcase_add_test(tc, test_v1);
	tcase_add_test(tc, test_mountinfo_v2_without_controllers);
	tcase_add_test(tc, test_mountinfo_v2_preferred);
	tcase_add_test(tc, test_no_cgroups);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_sweep);
	suite_add_tcase(s, tc);
	tc = tcase_create("real");
	tcase_add_test(tc, test_real_cgroups);
	suite_add_tcase(s, tc);
	return s;
}
