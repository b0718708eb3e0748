// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The machine as `xl info` describes it, read from sysfs and procfs
 * (hostinfo.h). Each reader returns what it found, or nothing: a
 * container without /sys/devices/system/node still has one node.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "hostinfo.h"

#define CPU_DIR "/sys/devices/system/cpu"
#define NODE_DIR "/sys/devices/system/node"

/* The first line of @root@path, without its newline, into @buf. */
static bool read_line(const char *root, const char *path, char *buf,
		      size_t size)
{
	char full[PATH_MAX];
	FILE *f;
	bool ok;

	if ((size_t)snprintf(full, sizeof(full), "%s%s", root, path) >=
	    sizeof(full))
		return false;
	f = fopen(full, "r");
	if (!f)
		return false;
	ok = fgets(buf, (int)size, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static long read_long(const char *root, const char *path, long dflt)
{
	char buf[64], *end;
	long v;

	if (!read_line(root, path, buf, sizeof(buf)))
		return dflt;
	v = strtol(buf, &end, 10);
	return end == buf ? dflt : v;
}

/* How many CPUs a list such as "0-3,8" names. */
static int list_count(const char *list)
{
	int n = 0;

	while (*list) {
		char *end;
		long a = strtol(list, &end, 10), b = a;

		if (end == list)
			break;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		if (b >= a)
			n += (int)(b - a + 1);
		list = *end == ',' ? end + 1 : end;
		if (*end != ',')
			break;
	}
	return n;
}

/* The numbers N of the entries PREFIXN of @root@dir, sorted; count in *@n. */
static int *numbered(const char *root, const char *dir, const char *prefix,
		     size_t *n)
{
	char full[PATH_MAX];
	size_t len = strlen(prefix), cap = 0;
	struct dirent *de;
	int *v = NULL;
	DIR *d;

	*n = 0;
	snprintf(full, sizeof(full), "%s%s", root, dir);
	d = opendir(full);
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		const char *p = de->d_name + len;
		int *grown;

		if (strncmp(de->d_name, prefix, len) ||
		    !isdigit((unsigned char)*p) ||
		    strspn(p, "0123456789") != strlen(p))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown)
				break;
			v = grown;
		}
		v[(*n)++] = atoi(p);
	}
	closedir(d);
	/* Insertion sort: a few hundred CPUs at most. */
	for (size_t i = 1; i < *n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			int t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v;
}

struct cpu {
	int cpu, core, socket, node;
};

/* The node of @cpu: the nodeN link in its sysfs directory, else 0. */
static int cpu_node(const char *root, int cpu)
{
	char dir[64];
	size_t n;
	int *nodes, node;

	snprintf(dir, sizeof(dir), CPU_DIR "/cpu%d", cpu);
	nodes = numbered(root, dir, "node", &n);
	node = n ? nodes[0] : 0;
	free(nodes);
	return node;
}

/* The online CPUs (those with a topology directory), sorted. */
static struct cpu *cpus_read(const char *root, size_t *n)
{
	size_t all, k = 0;
	int *ids = numbered(root, CPU_DIR, "cpu", &all);
	struct cpu *c = calloc(all ? all : 1, sizeof(*c));

	for (size_t i = 0; c && i < all; i++) {
		char path[96];

		snprintf(path, sizeof(path), CPU_DIR "/cpu%d/topology/core_id",
			 ids[i]);
		c[k].core = (int)read_long(root, path, -1);
		if (c[k].core < 0)
			continue;	/* offline: no topology */
		snprintf(path, sizeof(path),
			 CPU_DIR "/cpu%d/topology/physical_package_id", ids[i]);
		c[k].socket = (int)read_long(root, path, 0);
		c[k].cpu = ids[i];
		c[k].node = cpu_node(root, ids[i]);
		k++;
	}
	free(ids);
	*n = k;
	return c;
}

/* "cpu MHz : 2893.202" in /proc/cpuinfo, else cpufreq's maximum. */
static long cpu_mhz(const char *root)
{
	char path[PATH_MAX], line[256];
	long mhz = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/cpuinfo", root);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "cpu MHz", 7) && colon) {
			mhz = strtol(colon + 1, NULL, 10);
			break;
		}
	}
	if (f)
		fclose(f);
	if (!mhz)
		mhz = read_long(root, CPU_DIR "/cpu0/cpufreq/cpuinfo_max_freq",
				0) / 1000;
	return mhz;
}

/* A "Key: N kB" line of @path (meminfo's format), in MiB; -1 if none. */
static long long meminfo_mib(const char *root, const char *path,
			     const char *key)
{
	char full[PATH_MAX], line[256];
	long long mib = -1;
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *at = strstr(line, key);

		if (at && at[strlen(key)] == ':') {
			mib = strtoll(at + strlen(key) + 1, NULL, 10) >> 10;
			break;
		}
	}
	if (f)
		fclose(f);
	return mib;
}

/*
 * xl's hw_caps: the CPUID feature words in Xen's featureset order
 * (1 edx, 1 ecx, 0x80000001 edx and ecx, 0xd.1 eax, 7.0 ebx and ecx,
 * 0x80000007 edx). Only an x86 host has them; elsewhere "".
 */
static void hw_caps(char *buf, size_t size)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned w[8] = { 0 }, a, b, c, d;

	if (__get_cpuid(1, &a, &b, &c, &d)) {
		w[0] = d;
		w[1] = c;
	}
	if (__get_cpuid(0x80000001, &a, &b, &c, &d)) {
		w[2] = d;
		w[3] = c;
	}
	if (__get_cpuid_count(0xd, 1, &a, &b, &c, &d))
		w[4] = a;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		w[5] = b;
		w[6] = c;
	}
	if (__get_cpuid(0x80000007, &a, &b, &c, &d))
		w[7] = d;
	snprintf(buf, size, "%08x:%08x:%08x:%08x:%08x:%08x:%08x:%08x", w[0],
		 w[1], w[2], w[3], w[4], w[5], w[6], w[7]);
#else
	snprintf(buf, size, "%s", "");
#endif
}

/* Is module parameter @param of @module set ("Y" or "1")? */
static bool module_param(const char *modules, const char *module,
			 const char *param)
{
	char path[PATH_MAX], v[16];

	snprintf(path, sizeof(path), "%s/%s/parameters/%s", modules, module,
		 param);
	return read_line("", path, v, sizeof(v)) &&
	       (v[0] == 'Y' || v[0] == 'y' || v[0] == '1');
}

/*
 * xl's virt_caps for KVM: "hvm" (full virtualisation, the only kind),
 * the vendor's extension (vmx, svm, pvm), "hap" with EPT/NPT or
 * "shadow" without, "nested" when guests may run KVM themselves.
 * Empty when no KVM module is there.
 */
static void virt_caps(const char *modules, char *buf, size_t size)
{
	static const struct {
		const char *module, *word, *hap;
	} vendors[] = {
		{ "kvm_pvm", "pvm", NULL },
		{ "kvm_intel", "vmx", "ept" },
		{ "kvm_amd", "svm", "npt" },
	};

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(vendors) / sizeof(vendors[0]); i++) {
		char path[PATH_MAX];
		bool hap, nested;
		DIR *d;

		snprintf(path, sizeof(path), "%s/%s", modules,
			 vendors[i].module);
		d = opendir(path);
		if (!d)
			continue;
		closedir(d);
		hap = vendors[i].hap &&
		      module_param(modules, vendors[i].module, vendors[i].hap);
		nested = module_param(modules, vendors[i].module, "nested");
		snprintf(buf, size, "hvm %s %s%s", vendors[i].word,
			 hap ? "hap" : "shadow", nested ? " nested" : "");
		return;
	}
}

static void add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static void add_int(struct json_object *o, const char *key, long long v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

/* xl info -n's numa_info: each node's memory and distances. */
static struct json_object *numa_info(const char *root, const int *nodes,
				     size_t n)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; list && i < n; i++) {
		struct json_object *o = json_object_new_object();
		struct json_object *dist = json_object_new_array();
		char path[128], line[512], *p, *end;

		if (!o || !dist) {
			json_object_put(o);
			json_object_put(dist);
			break;
		}
		add_int(o, "node", nodes[i]);
		snprintf(path, sizeof(path), NODE_DIR "/node%d/meminfo",
			 nodes[i]);
		add_int(o, "memsize_mib", meminfo_mib(root, path, "MemTotal"));
		add_int(o, "memfree_mib", meminfo_mib(root, path, "MemFree"));
		snprintf(path, sizeof(path), NODE_DIR "/node%d/distance",
			 nodes[i]);
		if (read_line(root, path, line, sizeof(line)))
			for (p = line;; p = end) {
				long d = strtol(p, &end, 10);

				if (end == p)
					break;
				json_object_array_add(dist,
						      json_object_new_int64(d));
			}
		json_object_object_add(o, "distances", dist);
		json_object_array_add(list, o);
	}
	return list;
}

/* No NUMA in sysfs: the whole machine is node 0, 10 from itself. */
static struct json_object *whole_node(const char *root)
{
	struct json_object *list = json_object_new_array();
	struct json_object *o = json_object_new_object();
	struct json_object *dist = json_object_new_array();

	if (!list || !o || !dist) {
		json_object_put(list);
		json_object_put(o);
		json_object_put(dist);
		return NULL;
	}
	add_int(o, "node", 0);
	add_int(o, "memsize_mib",
		meminfo_mib(root, "/proc/meminfo", "MemTotal"));
	add_int(o, "memfree_mib", meminfo_mib(root, "/proc/meminfo", "MemFree"));
	json_object_array_add(dist, json_object_new_int(10));
	json_object_object_add(o, "distances", dist);
	json_object_array_add(list, o);
	return list;
}

static struct json_object *cpu_topology(const struct cpu *c, size_t n)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; list && i < n; i++) {
		struct json_object *o = json_object_new_object();

		if (!o)
			break;
		add_int(o, "cpu", c[i].cpu);
		add_int(o, "core", c[i].core);
		add_int(o, "socket", c[i].socket);
		add_int(o, "node", c[i].node);
		json_object_array_add(list, o);
	}
	return list;
}

int hostinfo_add(struct json_object *o, const char *root, const char *modules,
		 bool numa)
{
	struct utsname u;
	struct cpu *cpus;
	size_t ncpus, nnodes, sockets = 0;
	int *nodes, threads = 1;
	char buf[256], path[96];
	long long free_mib;

	if (!uname(&u)) {
		add_str(o, "release", u.release);
		add_str(o, "kernel_version", u.version);
		add_str(o, "machine", u.machine);
	}
	cpus = cpus_read(root, &ncpus);
	nodes = numbered(root, NODE_DIR, "node", &nnodes);
	if (!cpus) {
		free(nodes);
		return -ENOMEM;
	}
	/* Sockets: the distinct package ids (sorted CPUs need not be). */
	for (size_t i = 0; i < ncpus; i++) {
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = cpus[j].socket == cpus[i].socket;
		sockets += !seen;
	}
	if (ncpus) {
		snprintf(path, sizeof(path),
			 CPU_DIR "/cpu%d/topology/thread_siblings_list",
			 cpus[0].cpu);
		if (read_line(root, path, buf, sizeof(buf)) &&
		    list_count(buf) > 0)
			threads = list_count(buf);
	}
	add_int(o, "nr_nodes", nnodes ? (long long)nnodes : 1);
	add_int(o, "sockets", (long long)sockets);
	add_int(o, "cores_per_socket",
		sockets ? (long long)(ncpus / sockets / (size_t)threads) : 0);
	add_int(o, "threads_per_core", threads);
	add_int(o, "cpu_mhz", cpu_mhz(root));
	hw_caps(buf, sizeof(buf));
	add_str(o, "hw_caps", buf);
	virt_caps(modules, buf, sizeof(buf));
	add_str(o, "virt_caps", buf);
	free_mib = meminfo_mib(root, "/proc/meminfo", "MemAvailable");
	add_int(o, "free_memory_mib", free_mib < 0 ? 0 : free_mib);
	if (numa) {
		json_object_object_add(o, "cpu_topology",
				       cpu_topology(cpus, ncpus));
		json_object_object_add(o, "numa_info",
				       nnodes ? numa_info(root, nodes, nnodes) :
						whole_node(root));
	}
	free(cpus);
	free(nodes);
	return 0;
}
