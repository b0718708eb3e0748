// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The host's control groups (cgroup.h): finding the hierarchies, and
 * making, filling and removing one group per domain in them.
 *
 * Layout (docs/qos.md, keeld.8 CGROUPS): in every hierarchy keel uses,
 * PARENT/UUID, PARENT being keeld.conf's cgroup_parent ("keel") under
 * the hierarchy's root and UUID the domain's uuid, which a rename does
 * not change. The root is the hierarchy's, not keeld's own group:
 * domains outlive keeld, and on v2 keeld's own group holds a process
 * and so could not hand controllers down.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"

/* The controllers keel cares about, as bits. */
enum {
	CG_CPU = 1 << 0,
	CG_CPUACCT = 1 << 1,
	CG_MEMORY = 1 << 2,
	CG_CPUSET = 1 << 3,
	CG_BLKIO = 1 << 4,	/* v1's name */
	CG_IO = 1 << 5,		/* v2's name */
};

static const struct {
	const char *name;
	unsigned bit;
} ctrl_names[] = {
	{ "cpu", CG_CPU },	   { "cpuacct", CG_CPUACCT },
	{ "memory", CG_MEMORY },  { "cpuset", CG_CPUSET },
	{ "blkio", CG_BLKIO },	   { "io", CG_IO },
};

#define NR_CTRLS (sizeof(ctrl_names) / sizeof(ctrl_names[0]))
/* What keel cannot do without. */
#define CG_REQUIRED (CG_CPU | CG_MEMORY)

/* One mounted hierarchy (v2: the only one). */
struct cgroup_hier {
	char *mount;
	unsigned ctrls;
};

#define CGROUP_MAX_HIERS 8

struct cgroup_host {
	enum cgroup_version version;
	char *parent;
	struct cgroup_hier h[CGROUP_MAX_HIERS];
	size_t n;
};

static unsigned ctrl_bit(const char *name, size_t len)
{
	for (size_t i = 0; i < NR_CTRLS; i++)
		if (strlen(ctrl_names[i].name) == len &&
		    !strncmp(ctrl_names[i].name, name, len))
			return ctrl_names[i].bit;
	return 0;
}

/* The bits of the controllers named in @list, separated by any of @seps. */
static unsigned ctrl_bits(const char *list, const char *seps)
{
	unsigned bits = 0;

	while (*list) {
		size_t len = strcspn(list, seps);

		bits |= ctrl_bit(list, len);
		list += len;
		list += strspn(list, seps);
	}
	return bits;
}

static void say(char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!why || !size)
		return;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

/* --- Writing and reading cgroup files ----------------------------------- */

/*
 * Write @value to @path, as `echo VALUE > PATH` does. O_CREAT and
 * O_TRUNC change nothing on the cgroup filesystem and make a stand-in
 * directory of ordinary files behave like it.
 */
static int write_file(const char *path, const char *value)
{
	size_t len = strlen(value);
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, value, len) != (ssize_t)len)
		rc = errno ? -errno : -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	return rc;
}

/* The first line of @path, without its newline, into @buf. */
static int read_line(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * The number on @buf's line "@key N" (the flat keyed files: cpu.stat,
 * memory.events, memory.oom_control). False, *@v untouched, without it.
 */
static bool stat_value(const char *buf, const char *key, uint64_t *v)
{
	size_t len = strlen(key);

	for (const char *p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, len) && p[len] == ' ') {
			*v = strtoull(p + len + 1, NULL, 10);
			return true;
		}
	return false;
}

int cgroup_cpu_stat_parse(const char *buf, bool v2, uint64_t *periods,
			  uint64_t *ns)
{
	*periods = *ns = 0;
	if (!stat_value(buf, "nr_throttled", periods))
		return -ENODATA;
	if (stat_value(buf, v2 ? "throttled_usec" : "throttled_time", ns) &&
	    v2)
		*ns *= 1000;
	return 0;
}

/* All of group @name's @file in @ctrl's hierarchy, into @buf. 0 or -errno. */
static int read_stats(const struct cgroup_host *h, const char *ctrl,
		      const char *name, const char *file, char *buf,
		      size_t size)
{
	char path[PATH_MAX];
	int rc = cgroup_path(h, ctrl, name, path, sizeof(path));
	ssize_t n;
	int fd;

	if (rc)
		return rc;
	if (strlen(path) + 1 + strlen(file) >= sizeof(path))
		return -ENAMETOOLONG;
	strcat(path, "/");
	strcat(path, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int cgroup_cpu_throttled(const struct cgroup_host *h, const char *name,
			 uint64_t *periods, uint64_t *ns)
{
	char buf[4096];
	int rc = read_stats(h, "cpu", name, "cpu.stat", buf, sizeof(buf));

	*periods = *ns = 0;
	if (rc)
		return rc;
	return cgroup_cpu_stat_parse(buf, h->version == CGROUP_V2, periods,
				     ns);
}

int cgroup_oom_kills(const struct cgroup_host *h, const char *name,
		     uint64_t *kills)
{
	char buf[4096];
	int rc = read_stats(h, "memory", name,
			    h->version == CGROUP_V2 ? "memory.events" :
						      "memory.oom_control",
			    buf, sizeof(buf));

	*kills = 0;
	if (rc)
		return rc;
	return stat_value(buf, "oom_kill", kills) ? 0 : -ENODATA;
}

/* --- Finding the hierarchies --------------------------------------------- */

static int host_add(struct cgroup_host *h, const char *mount, unsigned ctrls)
{
	if (h->n == CGROUP_MAX_HIERS)
		return 0;
	h->h[h->n].mount = strdup(mount);
	if (!h->h[h->n].mount)
		return -ENOMEM;
	h->h[h->n++].ctrls = ctrls;
	return 0;
}

static unsigned host_ctrls(const struct cgroup_host *h)
{
	unsigned all = 0;

	for (size_t i = 0; i < h->n; i++)
		all |= h->h[i].ctrls;
	return all;
}

/* The controllers a v2 hierarchy mounted at @mount offers. */
static unsigned v2_controllers(const char *mount)
{
	char path[PATH_MAX], buf[512];

	snprintf(path, sizeof(path), "%s/cgroup.controllers", mount);
	if (read_line(path, buf, sizeof(buf)))
		return 0;
	return ctrl_bits(buf, " ");
}

/* mountinfo's octal escapes (\040 for a space) undone in place. */
static void unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] &&
		    s[3]) {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					(s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/*
 * Read the cgroup mounts of @mountinfo: the first cgroup2 mount into
 * *@v2 (malloc'd, or NULL), the v1 hierarchies with a controller keel
 * uses into @v1.
 */
static int scan_mountinfo(const char *mountinfo, char **v2,
			  struct cgroup_host *v1)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;
	FILE *f = fopen(mountinfo, "re");

	*v2 = NULL;
	if (!f)
		return -errno;
	while (!rc && getline(&line, &cap, f) > 0) {
		char *fields[6], *dash, *save = NULL, *fstype, *super;
		int i;

		/* ID PARENT MAJ:MIN ROOT MOUNT OPTS [OPTIONAL...] - TYPE SRC SUPER */
		dash = strstr(line, " - ");
		if (!dash)
			continue;
		*dash = '\0';
		fields[0] = strtok_r(line, " ", &save);
		for (i = 1; i < 6 && fields[i - 1]; i++)
			fields[i] = strtok_r(NULL, " ", &save);
		if (i < 6 || !fields[4])
			continue;
		save = NULL;
		fstype = strtok_r(dash + 3, " ", &save);
		strtok_r(NULL, " ", &save);
		super = strtok_r(NULL, " \n", &save);
		if (!fstype || !super)
			continue;
		unescape(fields[4]);
		if (!strcmp(fstype, "cgroup2") && !*v2) {
			*v2 = strdup(fields[4]);
			if (!*v2)
				rc = -ENOMEM;
		} else if (!strcmp(fstype, "cgroup")) {
			unsigned bits = ctrl_bits(super, ",");

			if (bits)
				rc = host_add(v1, fields[4], bits);
		}
	}
	free(line);
	fclose(f);
	return rc;
}

/* @root laid out as /sys/fs/cgroup is: v2 at @root, or v1 below it. */
static int scan_root(const char *root, char **v2, struct cgroup_host *v1)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int rc = 0;
	DIR *d;

	*v2 = NULL;
	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	if (!access(path, F_OK)) {
		*v2 = strdup(root);
		return *v2 ? 0 : -ENOMEM;
	}
	d = opendir(root);
	if (!d)
		return -errno;
	while (!rc && (de = readdir(d))) {
		unsigned bits = ctrl_bits(de->d_name, ",");

		int n = snprintf(path, sizeof(path), "%s/%s", root,
				 de->d_name);

		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		/* lstat: "cpu" is often a link to "cpu,cpuacct". */
		if (bits && !lstat(path, &st) && S_ISDIR(st.st_mode))
			rc = host_add(v1, path, bits);
	}
	closedir(d);
	return rc;
}

int cgroup_host_open(const char *root, const char *mountinfo,
		     const char *parent, struct cgroup_host **out, char *why,
		     size_t size)
{
	struct cgroup_host *h = calloc(1, sizeof(*h));
	const char *where = root ? root : mountinfo ? mountinfo :
						       "/proc/self/mountinfo";
	char *v2 = NULL;
	unsigned v2_ctrls = 0;
	int rc;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	h->parent = strdup(parent);
	if (!h->parent) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = root ? scan_root(root, &v2, h) : scan_mountinfo(where, &v2, h);
	if (rc) {
		say(why, size, "cannot read %s: %s", where, strerror(-rc));
		goto fail;
	}
	if (v2)
		v2_ctrls = v2_controllers(v2);
	if ((v2_ctrls & CG_REQUIRED) == CG_REQUIRED) {
		/* The unified hierarchy has what keel needs: v1 is not used. */
		for (size_t i = 0; i < h->n; i++)
			free(h->h[i].mount);
		h->n = 0;
		h->version = CGROUP_V2;
		rc = host_add(h, v2, v2_ctrls);
	} else if ((host_ctrls(h) & CG_REQUIRED) == CG_REQUIRED) {
		h->version = CGROUP_V1;
	} else {
		say(why, size,
		    "this host offers no cgroup v2 hierarchy with the cpu and memory controllers and no cgroup v1 hierarchies for them (%s)",
		    where);
		rc = -ENOENT;
	}
	free(v2);
	if (rc)
		goto fail;
	*out = h;
	return 0;
fail:
	cgroup_host_free(h);
	return rc;
}

void cgroup_host_free(struct cgroup_host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		free(h->h[i].mount);
	free(h->parent);
	free(h);
}

enum cgroup_version cgroup_host_version(const struct cgroup_host *h)
{
	return h->version;
}

/* PARENT/@name in hierarchy @i (@name NULL: the parent itself). */
static int group_path(const struct cgroup_host *h, size_t i, const char *name,
		      char *buf, size_t size)
{
	int n = name ? snprintf(buf, size, "%s/%s/%s", h->h[i].mount,
				h->parent, name) :
		       snprintf(buf, size, "%s/%s", h->h[i].mount, h->parent);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The hierarchy holding controller @bit, or -1. */
static int hier_of(const struct cgroup_host *h, unsigned bit)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->h[i].ctrls & bit)
			return (int)i;
	return -1;
}

int cgroup_path(const struct cgroup_host *h, const char *ctrl,
		const char *name, char *buf, size_t size)
{
	int i = hier_of(h, ctrl_bit(ctrl, strlen(ctrl)));

	if (i < 0)
		return -ENOENT;
	return group_path(h, (size_t)i, name, buf, size);
}

/* --- Making groups -------------------------------------------------------- */

/*
 * v2: let the children of @dir use every controller keel wants that
 * @dir has, one at a time so that one the kernel refuses (cpuset with
 * a real-time task around, say) costs only itself; cpu and memory must
 * succeed.
 */
static int v2_delegate(const char *dir, char *why, size_t size)
{
	static const char *const want[] = { "cpu", "memory", "cpuset", "io" };
	char path[PATH_MAX], op[16];
	unsigned have = v2_controllers(dir);

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		unsigned bit = ctrl_bit(want[i], strlen(want[i]));
		int rc;

		if (!(have & bit))
			continue;
		snprintf(op, sizeof(op), "+%s", want[i]);
		rc = write_file(path, op);
		if (rc && (bit & CG_REQUIRED)) {
			say(why, size,
			    "cannot enable the %s controller in %s: %s",
			    want[i], path, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* v1: a new cpuset group takes its parent's CPUs and memory nodes. */
static int v1_cpuset_inherit(const char *dir, char *why, size_t size)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char path[PATH_MAX], up[PATH_MAX], value[4096];

	for (size_t i = 0; i < 2; i++) {
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (!read_line(path, value, sizeof(value)) && value[0])
			continue;
		snprintf(up, sizeof(up), "%s/../%s", dir, files[i]);
		rc = read_line(up, value, sizeof(value));
		if (!rc)
			rc = write_file(path, value);
		if (rc) {
			say(why, size, "cannot set %s: %s", path,
			    strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* mkdir @dir (kept when it exists) and ready it for its role. */
static int make_dir(const struct cgroup_host *h, size_t i, const char *dir,
		    bool delegate, char *why, size_t size)
{
	if (mkdir(dir, 0755) && errno != EEXIST) {
		int rc = -errno;

		say(why, size, "cannot create the cgroup %s: %s", dir,
		    strerror(errno));
		return rc;
	}
	if (h->version == CGROUP_V2)
		return delegate ? v2_delegate(dir, why, size) : 0;
	if (h->h[i].ctrls & CG_CPUSET)
		return v1_cpuset_inherit(dir, why, size);
	return 0;
}

/*
 * The parent group, level by level, in hierarchy @i; on v2 every level
 * from the root down hands the controllers on.
 */
static int make_parent(const struct cgroup_host *h, size_t i, char *why,
		       size_t size)
{
	char path[PATH_MAX];
	const char *p = h->parent;
	int rc;

	if (h->version == CGROUP_V2) {
		rc = v2_delegate(h->h[i].mount, why, size);
		if (rc)
			return rc;
	}
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len) {
			int n = snprintf(path, sizeof(path), "%s/%.*s",
					 h->h[i].mount,
					 (int)(p - h->parent + len), h->parent);

			if (n < 0 || (size_t)n >= sizeof(path))
				return -ENAMETOOLONG;
			rc = make_dir(h, i, path, true, why, size);
			if (rc)
				return rc;
		}
		p += len;
		p += *p == '/';
	}
	return 0;
}

int cgroup_create(struct cgroup_host *h, const char *name, char *why,
		  size_t size)
{
	char path[PATH_MAX];
	int rc;

	for (size_t i = 0; i < h->n; i++) {
		rc = make_parent(h, i, why, size);
		if (!rc)
			rc = group_path(h, i, name, path, sizeof(path));
		if (!rc)
			rc = make_dir(h, i, path, false, why, size);
		if (rc)
			return rc;
	}
	return 0;
}

int cgroup_attach(struct cgroup_host *h, const char *name, pid_t pid,
		  char *why, size_t size)
{
	char path[PATH_MAX], value[24];
	int rc;

	snprintf(value, sizeof(value), "%d", (int)pid);
	for (size_t i = 0; i < h->n; i++) {
		rc = group_path(h, i, name, path, sizeof(path));
		if (rc)
			return rc;
		/* cgroup.procs moves every thread of the process. */
		strncat(path, "/cgroup.procs", sizeof(path) - strlen(path) - 1);
		rc = write_file(path, value);
		if (rc) {
			say(why, size, "cannot move process %d into %s: %s",
			    (int)pid, path, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* --- Limits ---------------------------------------------------------------- */

unsigned cgroup_v2_weight(unsigned w)
{
	unsigned long v = ((unsigned long)w * 100 + 128) / 256;

	return v < 1 ? 1 : v > 10000 ? 10000 : (unsigned)v;
}

unsigned cgroup_v1_shares(unsigned w)
{
	return w * 4;
}

long long cgroup_cap_quota_us(unsigned cap)
{
	return cap ? (long long)cap * CGROUP_CPU_PERIOD_US / 100 : -1;
}

/* Write @value to FILE in the group @name of controller @bit's hierarchy. */
static int set_value(const struct cgroup_host *h, unsigned bit,
		     const char *name, const char *file, const char *value,
		     char *why, size_t size)
{
	char path[PATH_MAX];
	int i = hier_of(h, bit), rc;

	if (i < 0)
		return -ENOENT;
	rc = group_path(h, (size_t)i, name, path, sizeof(path));
	if (rc)
		return rc;
	strncat(path, "/", sizeof(path) - strlen(path) - 1);
	strncat(path, file, sizeof(path) - strlen(path) - 1);
	rc = write_file(path, value);
	if (rc)
		say(why, size, "cannot write \"%s\" to %s: %s", value, path,
		    strerror(-rc));
	return rc;
}

static int apply_v2(struct cgroup_host *h, const char *name,
		    const struct cgroup_limits *l, char *why, size_t size)
{
	char weight[16], max[48], mem[32];
	int rc;

	snprintf(weight, sizeof(weight), "%u", cgroup_v2_weight(l->weight));
	if (l->cap)
		snprintf(max, sizeof(max), "%lld %d",
			 cgroup_cap_quota_us(l->cap), CGROUP_CPU_PERIOD_US);
	else
		snprintf(max, sizeof(max), "max %d", CGROUP_CPU_PERIOD_US);
	if (l->memory_bytes)
		snprintf(mem, sizeof(mem), "%llu",
			 (unsigned long long)l->memory_bytes);
	else
		snprintf(mem, sizeof(mem), "max");
	rc = set_value(h, CG_CPU, name, "cpu.weight", weight, why, size);
	if (!rc)
		rc = set_value(h, CG_CPU, name, "cpu.max", max, why, size);
	if (!rc)
		rc = set_value(h, CG_MEMORY, name, "memory.max", mem, why,
			       size);
	return rc;
}

static int apply_v1(struct cgroup_host *h, const char *name,
		    const struct cgroup_limits *l, char *why, size_t size)
{
	char shares[16], period[16], quota[24], mem[32];
	int rc;

	snprintf(shares, sizeof(shares), "%u", cgroup_v1_shares(l->weight));
	snprintf(period, sizeof(period), "%d", CGROUP_CPU_PERIOD_US);
	snprintf(quota, sizeof(quota), "%lld", cgroup_cap_quota_us(l->cap));
	if (l->memory_bytes)
		snprintf(mem, sizeof(mem), "%llu",
			 (unsigned long long)l->memory_bytes);
	else
		snprintf(mem, sizeof(mem), "-1");
	rc = set_value(h, CG_CPU, name, "cpu.shares", shares, why, size);
	/* The period first: the kernel checks the quota against it. */
	if (!rc)
		rc = set_value(h, CG_CPU, name, "cpu.cfs_period_us", period,
			       why, size);
	if (!rc)
		rc = set_value(h, CG_CPU, name, "cpu.cfs_quota_us", quota,
			       why, size);
	if (!rc)
		rc = set_value(h, CG_MEMORY, name, "memory.limit_in_bytes",
			       mem, why, size);
	return rc;
}

int cgroup_apply(struct cgroup_host *h, const char *name,
		 const struct cgroup_limits *l, char *why, size_t size)
{
	if (l->weight < CGROUP_WEIGHT_MIN || l->weight > CGROUP_WEIGHT_MAX) {
		say(why, size, "the weight %u is outside 1-65535", l->weight);
		return -EINVAL;
	}
	return h->version == CGROUP_V2 ? apply_v2(h, name, l, why, size) :
					 apply_v1(h, name, l, why, size);
}

/* --- Removing ---------------------------------------------------------------- */

/*
 * rmdir @dir. A stand-in directory of ordinary files (unit tests) has
 * files in it, which the cgroup filesystem's never block: they go first.
 */
static int remove_dir(const char *dir)
{
	struct dirent *de;
	char path[PATH_MAX];
	DIR *d;

	if (!rmdir(dir) || errno == ENOENT)
		return 0;
	if (errno != ENOTEMPTY)
		return -errno;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		int n = snprintf(path, sizeof(path), "%s/%s", dir,
				 de->d_name);

		if (n > 0 && (size_t)n < sizeof(path) && de->d_type == DT_REG)
			unlink(path);
	}
	closedir(d);
	return rmdir(dir) && errno != ENOENT ? -errno : 0;
}

int cgroup_remove(struct cgroup_host *h, const char *name)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	/* One budget for all hierarchies: the process leaves them at once. */
	int tries = CGROUP_REMOVE_WAIT_MS / 10;
	char path[PATH_MAX];
	int first = 0;

	for (size_t i = 0; i < h->n; i++) {
		int rc = group_path(h, i, name, path, sizeof(path));

		while (!rc) {
			rc = remove_dir(path);
			if (rc != -EBUSY || tries-- <= 0)
				break;
			/* Its last process is exiting or not yet reaped. */
			nanosleep(&pause, NULL);
			rc = 0;
		}
		if (rc && !first)
			first = rc;
	}
	return first;
}

int cgroup_sweep(struct cgroup_host *h,
		 bool (*keep)(const char *name, void *opaque), void *opaque)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	int removed = 0;

	for (size_t i = 0; i < h->n; i++) {
		DIR *d;

		if (group_path(h, i, NULL, dir, sizeof(dir)))
			continue;
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			struct stat st;
			int n;

			if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
			    keep(de->d_name, opaque))
				continue;
			n = snprintf(path, sizeof(path), "%s/%s", dir,
				     de->d_name);
			if (n < 0 || (size_t)n >= sizeof(path) ||
			    stat(path, &st))
				continue;
			/*
			 * A young group may be another keeld's start under
			 * way (keelds with their own run directories can
			 * share a parent: test suites do); a busy one has a
			 * process, and stays without waiting.
			 */
			if (st.st_mtime + CGROUP_SWEEP_MIN_AGE_S > time(NULL))
				continue;
			if (!remove_dir(path))
				removed++;
		}
		closedir(d);
	}
	return removed;
}

int cgroup_rename(struct cgroup_host *h, const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];
	int first = 0;

	for (size_t i = 0; i < h->n; i++) {
		if (group_path(h, i, from, a, sizeof(a)) ||
		    group_path(h, i, to, b, sizeof(b)))
			return -ENAMETOOLONG;
		if (rename(a, b) && errno != ENOENT && !first)
			first = -errno;
	}
	return first;
}
