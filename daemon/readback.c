// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What an adopted keel-hv has now (readback.h).
 *
 * keel-hv is the domain: after vcpu-set, mem-set, vcpu-pin or an I/O
 * limit it holds the new value, while the configuration keeld adopts
 * can be older (no state file, so the definition or keel-hv's command
 * line; or keeld died between keel-hv's answer and run_save()). So an
 * adopted domain's running configuration takes these from keel-hv's own
 * reports, and, without a state file, the CPU weight, cap and maxmem
 * from its cgroup; the definition is left as it is (it says what the
 * next start gets). docs/qos.md has the table of every knob.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cpumap.h"
#include "hv.h"
#include "hv_cmdline.h"
#include "hv_proto.h"
#include "iotune.h"
#include "keeld.h"
#include "lifecycle.h"
#include "log.h"
#include "pinning.h"
#include "readback.h"
#include "run.h"

/* "vcpus": the count asked for (a pending vcpu-set's target) or online. */
static bool readback_vcpus(struct domain_run *run, struct json_object *status)
{
	int64_t live = config_int(status, "vcpus_target",
				  config_int(status, "vcpus", 0));

	if (live < KEEL_VCPUS_MIN || live > KEEL_VCPUS_MAX ||
	    live == config_int(run->config, "vcpus", DOMAIN_DEFAULT_VCPUS))
		return false;
	log_info("Domain %s: keel-hv has %lld vCPUs online, not %lld; keeping keel-hv's count.",
		 run->dom->name, (long long)live,
		 (long long)config_int(run->config, "vcpus",
				       DOMAIN_DEFAULT_VCPUS));
	json_object_object_add(run->config, "vcpus",
			       json_object_new_int64(live));
	return true;
}

/* "memory": the balloon's target, which mem-set moves. */
static bool readback_memory(struct domain_run *run, struct json_object *status)
{
	struct json_object *balloon;
	int64_t live;

	if (!json_object_object_get_ex(status, "balloon", &balloon))
		return false;
	live = config_int(balloon, "target_mib", 0);
	if (live < KEEL_MEMORY_MIN_MIB || live > KEEL_MEMORY_MAX_MIB ||
	    live == config_int(run->config, "memory",
			       DOMAIN_DEFAULT_MEMORY_MIB))
		return false;
	log_info("Domain %s: keel-hv's balloon target is %lld MiB, not %lld MiB; keeping keel-hv's.",
		 run->dom->name, (long long)live,
		 (long long)config_int(run->config, "memory",
				       DOMAIN_DEFAULT_MEMORY_MIB));
	json_object_object_add(run->config, "memory",
			       json_object_new_int64(live));
	return true;
}

/*
 * "cpus": each vCPU thread's affinity as keel-hv reports it
 * ("vcpu_threads"), where it differs from what the configuration
 * resolves to on this host; a thread on all of the host's CPUs is
 * "all" (not pinned).
 */
static bool readback_pinning(struct domain_run *run,
			      struct json_object *status)
{
	struct json_object *threads, *t, *v;
	struct cpumap host, live, want;
	char why[CPUMAP_ERR_MAX];
	bool changed = false, failed;

	if (!json_object_object_get_ex(status, "vcpu_threads", &threads) ||
	    !json_object_is_type(threads, json_type_array) ||
	    cpumap_host(&host))
		return false;
	for (size_t i = 0; i < json_object_array_length(threads); i++) {
		int64_t id;
		const char *text;
		int pinned;

		t = json_object_array_get_idx(threads, i);
		id = config_int(t, "id", -1);
		if (!json_object_object_get_ex(t, "affinity", &v) ||
		    !json_object_is_type(v, json_type_string) || id < 0 ||
		    id >= pinning_nr_vcpus(run->config))
			continue;
		text = json_object_get_string(v);
		if (cpumap_parse(text, &host, &live, why))
			continue;
		pinned = pinning_of(run->config, id, &want);
		if (pinned < 0 || (pinned ? cpumap_equal(&want, &live) :
					    cpumap_equal(&host, &live)))
			continue;
		v = pinning_updated(run->config, id,
				    cpumap_equal(&host, &live) ? "all" : text,
				    &failed);
		if (failed)
			return changed;
		log_info("Domain %s: keel-hv runs vCPU %lld on CPUs %s; keeping keel-hv's pinning.",
			 run->dom->name, (long long)id, text);
		if (v)
			json_object_object_add(run->config, "cpus", v);
		else
			json_object_object_del(run->config, "cpus");
		changed = true;
	}
	return changed;
}

/* The first number in the file @dir/@file, into *@a (and a second into *@b). */
static int read_numbers(const char *dir, const char *file, long long *a,
			long long *b)
{
	char path[PATH_MAX], text[64] = "";
	FILE *f;
	int n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(text, sizeof(text), f))
		text[0] = '\0';
	fclose(f);
	/* cpu.max's "max 100000": no quota, which cpu.cfs_quota_us spells -1. */
	if (!strncmp(text, "max", 3)) {
		*a = -1;
		n = 1 + (b ? sscanf(text + 3, "%lld", b) : 0);
	} else {
		n = b ? sscanf(text, "%lld %lld", a, b) : sscanf(text, "%lld", a);
	}
	return n >= (b ? 2 : 1) ? 0 : -EINVAL;
}

/* xl's weight that cgroup_v2_weight() maps to @v (nearest, if several). */
static unsigned weight_of_v2(long long v)
{
	unsigned w = (unsigned)((v * CGROUP_WEIGHT_DEFAULT + 50) / 100);

	for (unsigned d = 0; d < 256; d++) {
		if (w > d && cgroup_v2_weight(w - d) == v)
			return w - d;
		if (w + d <= CGROUP_WEIGHT_MAX && cgroup_v2_weight(w + d) == v)
			return w + d;
	}
	return 0;
}

/*
 * A keel-hv adopted without a state file: its configuration (the
 * definition, or for a transient domain its command line, which has no
 * CPU weight or cap) may not say the weight and cap that sched-credit
 * gave it, but its cgroup, which cgroup_domain_adopt() is about to
 * write again, does. Put them into @run->config first.
 */
static void readback_sched(struct domain_run *run)
{
	struct cgroup_host *h = run->k->cgroups;
	long long weight = -1, quota = -1, period = CGROUP_CPU_PERIOD_US;
	int64_t had = config_int(run->config, "cpu_weight",
				 CGROUP_WEIGHT_DEFAULT);
	int64_t w = 0, cap = 0;
	char dir[PATH_MAX];

	if (!h || cgroup_path(h, "cpu", run->dom->uuid, dir, sizeof(dir)))
		return;
	if (cgroup_host_version(h) == CGROUP_V2) {
		if (read_numbers(dir, "cpu.weight", &weight, NULL) ||
		    read_numbers(dir, "cpu.max", &quota, &period))
			return;
		/* Several weights map to one cpu.weight: keep the one written. */
		w = had >= CGROUP_WEIGHT_MIN && had <= CGROUP_WEIGHT_MAX &&
				    cgroup_v2_weight((unsigned)had) == weight ?
			    had :
			    weight_of_v2(weight);
	} else {
		if (read_numbers(dir, "cpu.shares", &weight, NULL) ||
		    read_numbers(dir, "cpu.cfs_quota_us", &quota, NULL) ||
		    read_numbers(dir, "cpu.cfs_period_us", &period, NULL))
			return;
		w = weight % 4 ? 0 : weight / 4;
	}
	if (quota > 0 && period > 0)
		cap = (quota * 100 + period / 2) / period;
	if (w < CGROUP_WEIGHT_MIN || w > CGROUP_WEIGHT_MAX || cap < 0 ||
	    cap > 100LL * KEEL_VCPUS_MAX)
		return;
	if (w != had) {
		log_info("Domain %s: its cgroup has the CPU weight %lld; keeping it.",
			 run->dom->name, (long long)w);
		json_object_object_add(run->config, "cpu_weight",
				       json_object_new_int64(w));
	}
	if (cap != config_int(run->config, "cap", 0)) {
		log_info("Domain %s: its cgroup has the CPU cap %lld%%; keeping it.",
			 run->dom->name, (long long)cap);
		if (cap)
			json_object_object_add(run->config, "cap",
					       json_object_new_int64(cap));
		else
			json_object_object_del(run->config, "cap");
	}
}

/*
 * The same for maxmem, which mem-max moves while the domain runs: keel-hv
 * only knows its RAM (the maxmem it started with), but the memory
 * group's limit is the live maxmem plus keel-hv's overhead
 * (cgroup_domain_limits()), which is read back exactly.
 */
static void readback_maxmem(struct domain_run *run)
{
	struct cgroup_host *h = run->k->cgroups;
	const unsigned long long per_mib = (1ULL << 20) +
					   (1ULL << 20) / HV_MEM_PAGE_TABLE_DIV;
	long long limit = -1;
	int64_t mib;
	char dir[PATH_MAX];

	if (!h || cgroup_path(h, "memory", run->dom->uuid, dir, sizeof(dir)) ||
	    read_numbers(dir,
			 cgroup_host_version(h) == CGROUP_V2 ?
				 "memory.max" :
				 "memory.limit_in_bytes",
			 &limit, NULL) ||
	    limit <= (long long)HV_MEM_OVERHEAD_MIB << 20)
		return;
	limit -= (long long)HV_MEM_OVERHEAD_MIB << 20;
	if ((unsigned long long)limit % per_mib)
		return;	/* not a limit keeld wrote */
	mib = (int64_t)((unsigned long long)limit / per_mib);
	if (mib == config_memory_mib(run->config) ||
	    mib < config_int(run->config, "memory", DOMAIN_DEFAULT_MEMORY_MIB) ||
	    mib > KEEL_MEMORY_MAX_MIB)
		return;
	log_info("Domain %s: its memory cgroup allows a maxmem of %lld MiB; keeping it.",
		 run->dom->name, (long long)mib);
	json_object_object_add(run->config, "maxmem", json_object_new_int64(mib));
}

/* One device's limits asked of an adopted keel-hv. */
struct readback_io {
	struct domain_run *run;
	enum iotune_kind kind;
	size_t index;
	struct iotune want;	/* what run->config gives keel-hv */
};

/* @run->config's "disks" or "nics" entry @index, or NULL. */
static struct json_object *config_device(struct json_object *config,
					 enum iotune_kind kind, size_t index)
{
	struct json_object *list;

	if (!json_object_object_get_ex(config,
				       kind == IOTUNE_DISK ? "disks" : "nics",
				       &list) ||
	    !json_object_is_type(list, json_type_array) ||
	    index >= json_object_array_length(list))
		return NULL;
	return json_object_array_get_idx(list, index);
}

static void on_readback_io(struct hv *hv, struct json_object *result,
			    int code, const char *message, void *opaque)
{
	struct readback_io *io = opaque;
	struct json_object *limits, *dev, *o;
	struct iotune got = { 0 };
	char err[256];

	/* An error (also keeld letting go of keel-hv): nothing to learn. */
	if (code || !json_object_object_get_ex(result, "limits", &limits) ||
	    iotune_from_json(io->kind, limits, &got, err, sizeof(err)) ||
	    !memcmp(&got, &io->want, sizeof(got)) ||
	    !(dev = config_device(io->run->config, io->kind, io->index))) {
		free(io);
		return;
	}
	/* As domain.blkdeviotune keeps them: "iotune" replaces xl's "rate". */
	o = iotune_any(&got) ? iotune_to_json(io->kind, &got, false) : NULL;
	if (!iotune_any(&got) || o) {
		json_object_object_del(dev, "iotune");
		json_object_object_del(dev, "rate");
		if (o)
			json_object_object_add(dev, "iotune", o);
		log_info("Domain %s: keel-hv has other I/O limits on %s%zu than keeld's record; keeping keel-hv's.",
			 io->run->dom->name,
			 io->kind == IOTUNE_DISK ? "vblk" : "vnet", io->index);
		run_save(io->run);
	}
	free(io);
}

/* Ask keel-hv for each disk's and NIC's limits (on_readback_io()). */
static void readback_iotune(struct domain_run *run)
{
	struct hv_config cfg;

	if (hv_config_from_json(run->config, &cfg)) {
		hv_config_dispose(&cfg);
		return;
	}
	for (int k = 0; k < 2; k++) {
		enum iotune_kind kind = k ? IOTUNE_NIC : IOTUNE_DISK;
		size_t n = k ? cfg.nr_nics : cfg.nr_disks;

		for (size_t i = 0; i < n; i++) {
			struct readback_io *io = calloc(1, sizeof(*io));
			struct json_object *p = json_object_new_object();
			char dev[32];

			if (!io || !p) {
				free(io);
				json_object_put(p);
				break;
			}
			io->run = run;
			io->kind = kind;
			io->index = i;
			io->want = k ? cfg.nics[i].iotune : cfg.disks[i].iotune;
			snprintf(dev, sizeof(dev), "%s%zu", k ? "vnet" : "vblk",
				 i);
			json_object_object_add(p, "device",
					       json_object_new_string(dev));
			hv_call(run->hv, HV_CTL_IOTUNE, p, on_readback_io, io);
		}
	}
	hv_config_dispose(&cfg);
}

void readback_group(struct domain_run *run)
{
	readback_sched(run);
	readback_maxmem(run);
}

void readback_status(struct domain_run *run, struct json_object *status)
{
	bool changed = readback_vcpus(run, status);

	changed |= readback_memory(run, status);
	changed |= readback_pinning(run, status);
	if (changed)
		run_save(run);
	if (run->hv)
		readback_iotune(run);
}
