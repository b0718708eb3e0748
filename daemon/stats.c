// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain.stats and domain.stats_all (stats.h): keel-hv's counters put
 * into the shape monitoring tools read (keeld(8), DomainStats), with
 * keeld's own readings of the process beside them. Asking for every
 * domain sends all the control-socket calls at once and answers when
 * the last keel-hv has, or after STATS_ALL_WAIT_MS, so one busy keel-hv
 * costs a monitor at most that long and never hides the others.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cgroup.h"
#include "cgroup_domain.h"
#include "hv_proto.h"
#include "keel.h"
#include "keeld.h"
#include "lifecycle.h"
#include "monotime.h"
#include "registry.h"
#include "run.h"
#include "server.h"
#include "stats.h"

#define KIB 1024ULL

int stats_sample_read(pid_t pid, unsigned long long starttime,
		      struct stats_sample *s)
{
	static long ticks_per_s, page;
	struct hv_proc_stat st;
	int rc;

	memset(s, 0, sizeof(*s));
	s->time_ns = monotime_ns();
	if (!ticks_per_s) {
		ticks_per_s = sysconf(_SC_CLK_TCK);
		page = sysconf(_SC_PAGESIZE);
	}
	/* One read of /proc/PID/stat gives both: a syscall is costly here. */
	rc = hv_proc_stat(pid, &st);
	if (rc)
		return rc;
	if (st.starttime != starttime || ticks_per_s <= 0 || page <= 0)
		return -ESRCH;
	s->cpu_ns = st.cpu_ticks * (1000000000ULL / (uint64_t)ticks_per_s);
	s->rss_kib = st.rss_pages * (uint64_t)page / KIB;
	return 0;
}

/* --- keeld's own readings, descriptors kept open ------------------------- */

/*
 * domain.stats_all reads two files per domain, /proc/PID/stat and the
 * group's cpu.stat; opening and closing them was two thirds of keeld's
 * system calls per domain (measured with strace: 12.5 a domain, 6 of
 * them open, fstat, close and the stdio read at the end of file). So
 * each keel-hv process gets an entry holding both files open, and a
 * sample is one pread() each. An entry is one process (pid and /proc
 * starttime): a new keel-hv gets a new entry, and a descriptor of an
 * ended process or a removed group fails its read rather than showing
 * another's (the cgroup file is opened again once, for a group made
 * anew under the same process). Entries whose process stats_all no
 * longer finds are closed at the end of that stats_all.
 */
struct stats_fds {
	pid_t pid;
	unsigned long long starttime;
	int proc_fd, cg_fd;
	bool seen;	/* by the stats_all under way */
};

static struct stats_fds *fds;
static size_t nr_fds, fds_cap;

static struct stats_fds *fds_get(pid_t pid, unsigned long long starttime)
{
	struct stats_fds *f;

	for (size_t i = 0; i < nr_fds; i++)
		if (fds[i].pid == pid && fds[i].starttime == starttime)
			return &fds[i];
	if (nr_fds == fds_cap) {
		size_t cap = fds_cap ? fds_cap * 2 : 64;
		struct stats_fds *n = realloc(fds, cap * sizeof(*n));

		if (!n)
			return NULL;
		fds = n;
		fds_cap = cap;
	}
	f = &fds[nr_fds++];
	*f = (struct stats_fds){ pid, starttime, -1, -1, false };
	return f;
}

static void fds_close(struct stats_fds *f)
{
	if (f->proc_fd >= 0)
		close(f->proc_fd);
	if (f->cg_fd >= 0)
		close(f->cg_fd);
	f->proc_fd = f->cg_fd = -1;
}

/* Close the entries no domain asked for since the last sweep. */
static void fds_sweep(void)
{
	for (size_t i = 0; i < nr_fds;) {
		if (fds[i].seen) {
			fds[i++].seen = false;
			continue;
		}
		fds_close(&fds[i]);
		fds[i] = fds[--nr_fds];
	}
}

/* The whole of @fd's file from its start into @buf; its length or -errno. */
static ssize_t pread_all(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

static int cg_open(const struct domain_run *run)
{
	char path[PATH_MAX];

	if (cgroup_path(run->k->cgroups, "cpu", run->dom->uuid, path,
			sizeof(path) - sizeof("/cpu.stat")))
		return -1;
	strcat(path, "/cpu.stat");
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The cap's throttling of @run's group through @f's descriptor. */
static int cg_read(const struct domain_run *run, struct stats_fds *f,
		   uint64_t *periods, uint64_t *ns)
{
	bool v2 = cgroup_host_version(run->k->cgroups) == CGROUP_V2;
	char buf[1024];

	*periods = *ns = 0;
	if (!run->in_cgroup || !run->k->cgroups)
		return -ESRCH;
	for (int again = 0; again < 2; again++) {
		if (f->cg_fd < 0)
			f->cg_fd = cg_open(run);
		if (f->cg_fd < 0)
			return -errno;
		if (pread_all(f->cg_fd, buf, sizeof(buf)) >= 0)
			return cgroup_cpu_stat_parse(buf, v2, periods, ns);
		/* A group removed and made again: open the new one. */
		close(f->cg_fd);
		f->cg_fd = -1;
	}
	return -ENODEV;
}

/* stats_sample_read() and the group's throttling, through kept files. */
static void sample_cached(const struct domain_run *run,
			  struct stats_sample *s)
{
	static long ticks_per_s, page;
	struct stats_fds *f = fds_get(run->pid, run->starttime);
	struct hv_proc_stat st;
	char buf[1024], path[64];

	if (!f) {
		stats_sample_read(run->pid, run->starttime, s);
		s->throttle = !cgroup_domain_throttled(run,
						       &s->throttled_periods,
						       &s->throttled_ns);
		return;
	}
	f->seen = true;
	memset(s, 0, sizeof(*s));
	s->time_ns = monotime_ns();
	if (!ticks_per_s) {
		ticks_per_s = sysconf(_SC_CLK_TCK);
		page = sysconf(_SC_PAGESIZE);
	}
	if (f->proc_fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)run->pid);
		f->proc_fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	/* A process that ended fails the read: its figures stay 0. */
	if (f->proc_fd >= 0 && pread_all(f->proc_fd, buf, sizeof(buf)) > 0 &&
	    !hv_proc_stat_parse(buf, &st) && st.starttime == run->starttime &&
	    ticks_per_s > 0 && page > 0) {
		s->cpu_ns = st.cpu_ticks *
			    (1000000000ULL / (uint64_t)ticks_per_s);
		s->rss_kib = st.rss_pages * (uint64_t)page / KIB;
	}
	s->throttle = !cg_read(run, f, &s->throttled_periods,
			       &s->throttled_ns);
}

struct json_object *stats_host(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "cpus",
			       json_object_new_int(cpus > 0 ? (int)cpus : 1));
	json_object_object_add(
		o, "memory_kib",
		json_object_new_int64(pages > 0 && page > 0 ?
					      (int64_t)pages * page / 1024 :
					      0));
	return o;
}

/* --- building a DomainStats: pure --------------------------------------- */

/* @o's unsigned member @key, or 0. */
static uint64_t u64(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_uint64(v);
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* Copy @from's member @key to @to, if it has one. */
static void copy_member(struct json_object *to, struct json_object *from,
			const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(from, key, &v))
		json_object_object_add(to, key, json_object_get(v));
}

/* keel-hv's device "@prefix@i" (vblk0, vnet1...), or NULL. */
static struct json_object *hv_device(struct json_object *hv,
				     const char *prefix, size_t i)
{
	struct json_object *devices, *d;
	char id[32];

	snprintf(id, sizeof(id), "%s%zu", prefix, i);
	if (!json_object_object_get_ex(hv, "devices", &devices) ||
	    !json_object_object_get_ex(devices, id, &d))
		return NULL;
	return d;
}

/*
 * vcpus: time_ns is the CPU time of the vCPU's thread (keel-hv's
 * cpu_ns), the figure whose rate is a CPU share; run_ns, the wall time
 * in KVM_RUN, goes on while a halted vCPU sleeps in the kernel.
 */
static struct json_object *build_vcpus(struct json_object *hv,
				       uint64_t *sum)
{
	struct json_object *out = json_object_new_array(), *in, *v;
	bool paused = false;

	if (json_object_object_get_ex(hv, "paused", &v))
		paused = json_object_get_boolean(v);
	if (!out || !json_object_object_get_ex(hv, "vcpus", &in) ||
	    !json_object_is_type(in, json_type_array))
		return out;
	for (size_t i = 0; i < json_object_array_length(in); i++) {
		struct json_object *src = json_object_array_get_idx(in, i);
		struct json_object *o = json_object_new_object(), *st;
		const char *state = "running";

		if (!o)
			break;
		if (json_object_object_get_ex(src, "state", &st))
			state = json_object_get_string(st);
		if (paused && !strcmp(state, "running"))
			state = "paused";
		copy_member(o, src, "id");
		json_object_object_add(o, "state",
				       json_object_new_string(state));
		add_u64(o, "time_ns", u64(src, "cpu_ns"));
		add_u64(o, "run_ns", u64(src, "run_ns"));
		*sum += u64(src, "cpu_ns");
		json_object_array_add(out, o);
	}
	return out;
}

/*
 * memory: current is what the guest has (the balloon's actual figure
 * when there is a balloon, else its memory), maximum its maxmem, rss
 * what keel-hv holds of the host's memory.
 */
static struct json_object *build_memory(struct json_object *summary,
					struct json_object *config,
					const struct stats_sample *s,
					struct json_object *hv)
{
	struct json_object *o = json_object_new_object(), *bal = NULL;
	int64_t memory = config_int(summary, "memory",
				    DOMAIN_DEFAULT_MEMORY_MIB);
	uint64_t current = (uint64_t)memory * KIB;
	struct json_object *devices;

	if (!o)
		return NULL;
	if (json_object_object_get_ex(hv, "devices", &devices)) {
		json_object_object_foreach(devices, id, d) {
			struct json_object *type;

			(void)id;
			if (json_object_object_get_ex(d, "type", &type) &&
			    !strcmp(json_object_get_string(type),
				    "virtio-balloon"))
				bal = d;
		}
	}
	if (bal)
		current = u64(bal, "actual_bytes") / KIB;
	add_u64(o, "current_kib", current);
	add_u64(o, "maximum_kib",
		(uint64_t)config_int(config, "maxmem", memory) * KIB);
	add_u64(o, "rss_kib", s->rss_kib);
	if (bal) {
		struct json_object *b = json_object_new_object();

		if (b) {
			add_u64(b, "target_kib",
				u64(bal, "target_bytes") / KIB);
			add_u64(b, "actual_kib",
				u64(bal, "actual_bytes") / KIB);
		}
		json_object_object_add(o, "balloon", b);
	}
	return o;
}

/* disks, in the configuration's order: keel-hv's vblkN is disks[N]. */
static struct json_object *build_disks(struct json_object *config,
				       struct json_object *hv)
{
	struct json_object *out = json_object_new_array(), *disks;

	if (!out || !json_object_object_get_ex(config, "disks", &disks))
		return out;
	for (size_t i = 0; i < json_object_array_length(disks); i++) {
		struct json_object *cfg = json_object_array_get_idx(disks, i);
		struct json_object *d = hv_device(hv, "vblk", i);
		struct json_object *o = json_object_new_object();

		if (!o)
			break;
		copy_member(o, cfg, "vdev");
		copy_member(o, cfg, "path");
		add_u64(o, "rd_reqs", u64(d, "reads"));
		add_u64(o, "rd_bytes", u64(d, "read_bytes"));
		add_u64(o, "rd_time_ns", u64(d, "read_ns"));
		add_u64(o, "wr_reqs", u64(d, "writes"));
		add_u64(o, "wr_bytes", u64(d, "written_bytes"));
		add_u64(o, "wr_time_ns", u64(d, "write_ns"));
		add_u64(o, "fl_reqs", u64(d, "flushes"));
		add_u64(o, "fl_time_ns", u64(d, "flush_ns"));
		add_u64(o, "errors", u64(d, "io_errors"));
		/*
		 * Requests held back by the disk's I/O limit, xentop's
		 * VBD_OO: keel-hv's virtio-blk counts them as "throttled"
		 * once it has limits (hypervisor/ratelimit.c).
		 */
		add_u64(o, "oo_reqs", u64(d, "throttled"));
		json_object_array_add(out, o);
	}
	return out;
}

/*
 * nics, in the configuration's order. A frame the guest had no room
 * for is a receive drop; a frame it sent that keel-hv refused or the
 * tap did not take is a transmit drop.
 */
static struct json_object *build_nics(struct json_object *config,
				      struct json_object *hv)
{
	struct json_object *out = json_object_new_array(), *nics;

	if (!out || !json_object_object_get_ex(config, "nics", &nics))
		return out;
	for (size_t i = 0; i < json_object_array_length(nics); i++) {
		struct json_object *cfg = json_object_array_get_idx(nics, i);
		struct json_object *d = hv_device(hv, "vnet", i);
		struct json_object *o = json_object_new_object();

		if (!o)
			break;
		copy_member(o, cfg, "mac");
		copy_member(o, cfg, "tap");
		if (!json_object_object_get_ex(o, "tap", NULL))
			copy_member(o, d, "tap");
		add_u64(o, "rx_bytes", u64(d, "rx_bytes"));
		add_u64(o, "rx_pkts", u64(d, "rx_packets"));
		add_u64(o, "rx_errs", u64(d, "rx_errors"));
		add_u64(o, "rx_drop", u64(d, "rx_too_big"));
		add_u64(o, "tx_bytes", u64(d, "tx_bytes"));
		add_u64(o, "tx_pkts", u64(d, "tx_packets"));
		add_u64(o, "tx_errs", 0);
		add_u64(o, "tx_drop", u64(d, "tx_dropped"));
		json_object_array_add(out, o);
	}
	return out;
}

struct json_object *stats_build(struct json_object *summary,
				struct json_object *config,
				const struct stats_sample *s,
				struct json_object *hv, const char *error)
{
	struct json_object *o = json_object_new_object(), *cpu;
	uint64_t vcpu_sum = 0;

	if (!o)
		return NULL;
	copy_member(o, summary, "name");
	copy_member(o, summary, "uuid");
	copy_member(o, summary, "id");
	copy_member(o, summary, "state");
	copy_member(o, summary, "reason");
	add_u64(o, "time_ns", s->time_ns);
	if (hv)
		json_object_object_add(o, "vcpus", build_vcpus(hv, &vcpu_sum));
	cpu = json_object_new_object();
	if (cpu) {
		add_u64(cpu, "time_ns", s->cpu_ns);
		add_u64(cpu, "vcpu_time_ns", vcpu_sum);
		/* What the cap held back (cgroup_domain_throttled()). */
		if (s->throttle) {
			add_u64(cpu, "throttled_periods",
				s->throttled_periods);
			add_u64(cpu, "throttled_ns", s->throttled_ns);
		}
	}
	json_object_object_add(o, "cpu", cpu);
	json_object_object_add(o, "memory",
			       build_memory(summary, config, s, hv));
	if (hv) {
		json_object_object_add(o, "disks", build_disks(config, hv));
		json_object_object_add(o, "nics", build_nics(config, hv));
	}
	if (error)
		json_object_object_add(o, "error",
				       json_object_new_string(error));
	return o;
}

/* --- asking keel-hv ------------------------------------------------------ */

/* One domain's part of a request. */
struct stats_one {
	struct stats_batch *batch;
	struct json_object *summary;	/* owned */
	struct json_object *config;	/* a reference */
	struct stats_sample sample;
	struct json_object *hv;		/* keel-hv's answer, or NULL */
	int code;			/* its error, or 0 */
	char *message;
};

/*
 * A request in flight. It lives until every keel-hv has answered (each
 * call's callback comes exactly once) and the client has been answered;
 * with a deadline, the answer may come first.
 */
struct stats_batch {
	struct reply *r;
	bool all;		/* domain.stats_all's shape */
	bool answered;
	size_t pending;		/* callbacks to come, +1 while sending */
	struct event *deadline;
	size_t n;
	struct stats_one one[];
};

static void batch_free(struct stats_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		json_object_put(b->one[i].summary);
		json_object_put(b->one[i].config);
		json_object_put(b->one[i].hv);
		free(b->one[i].message);
	}
	if (b->deadline)
		event_free(b->deadline);
	free(b);
}

static const char *one_error(const struct stats_one *one)
{
	if (one->hv)
		return NULL;
	if (one->message)
		return one->message;
	return "The domain's hypervisor process did not answer in time; "
	       "these are keeld's own figures.";
}

static void batch_answer_all(struct stats_batch *b)
{
	struct json_object *o = json_object_new_object();
	struct json_object *list = json_object_new_array();

	if (!o || !list) {
		json_object_put(o);
		json_object_put(list);
		run_answer_error(b->r, KEEL_E_RESOURCE,
				 "keeld ran out of memory.");
		return;
	}
	add_u64(o, "time_ns", monotime_ns());
	json_object_object_add(o, "host", stats_host());
	for (size_t i = 0; i < b->n; i++) {
		struct stats_one *one = &b->one[i];

		json_object_array_add(list,
				      stats_build(one->summary, one->config,
						  &one->sample, one->hv,
						  one_error(one)));
	}
	json_object_object_add(o, "domains", list);
	run_answer(b->r, o);
}

static void batch_answer_one(struct stats_batch *b)
{
	struct stats_one *one = &b->one[0];
	struct json_object *o;

	if (!one->hv) {
		run_answer_error(b->r, one->code, "%s", one_error(one));
		return;
	}
	o = stats_build(one->summary, one->config, &one->sample, one->hv,
			NULL);
	if (!o) {
		run_answer_error(b->r, KEEL_E_RESOURCE,
				 "keeld ran out of memory.");
		return;
	}
	json_object_object_add(o, "host", stats_host());
	json_object_object_add(o, "hv", json_object_get(one->hv));
	run_answer(b->r, o);
}

static void batch_answer(struct stats_batch *b)
{
	if (b->answered)
		return;
	b->answered = true;
	if (b->all)
		batch_answer_all(b);
	else
		batch_answer_one(b);
}

/* One callback (or the sending loop) is done with @b. */
static void batch_put(struct stats_batch *b)
{
	if (--b->pending)
		return;
	batch_answer(b);
	batch_free(b);
}

static void on_hv_stats(struct hv *hv, struct json_object *result, int code,
			const char *message, void *opaque)
{
	struct stats_one *one = opaque;

	(void)hv;
	if (!one->batch->answered) {
		if (code) {
			one->code = code;
			one->message = strdup(message ? message : "");
		} else {
			one->hv = json_object_get(result);
		}
	}
	batch_put(one->batch);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	batch_answer(arg);
}

/*
 * What stats_build() takes of @dom's summary. Not domain_summary():
 * that reads /proc/PID/stat for its cpu_time, and one_start() reads it
 * already.
 */
static struct json_object *who(const struct domain *dom)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	copy_member(o, dom->config, "name");
	copy_member(o, dom->config, "uuid");
	json_object_object_add(o, "id", dom->id < 0 ? NULL :
					json_object_new_int(dom->id));
	json_object_object_add(
		o, "state", json_object_new_string(domain_state_name(dom->state)));
	json_object_object_add(o, "reason",
			       json_object_new_string(
				       domain_reason_name(dom->reason)));
	json_object_object_add(o, "memory",
			       json_object_new_int64(config_int(
				       dom->run->config, "memory",
				       DOMAIN_DEFAULT_MEMORY_MIB)));
	return o;
}

/*
 * @dom's part, read now: keeld's figures (@cached: through the files
 * stats_all keeps open), then the call to keel-hv.
 */
static void one_start(struct stats_one *one, struct domain *dom, bool cached)
{
	struct domain_run *run = dom->run;

	one->summary = who(dom);
	one->config = json_object_get(run->config);
	one->code = KEEL_E_TIMEOUT;
	if (cached) {
		sample_cached(run, &one->sample);
	} else {
		stats_sample_read(run->pid, run->starttime, &one->sample);
		one->sample.throttle = !cgroup_domain_throttled(
			run, &one->sample.throttled_periods,
			&one->sample.throttled_ns);
	}
	hv_call(run->hv, HV_CTL_STATS, NULL, on_hv_stats, one);
}

static struct stats_batch *batch_new(struct reply *r, size_t n, bool all)
{
	struct stats_batch *b = calloc(1, sizeof(*b) + n * sizeof(b->one[0]));

	if (!b) {
		run_answer_error(r, KEEL_E_RESOURCE,
				 "keeld ran out of memory.");
		return NULL;
	}
	b->r = r;
	b->all = all;
	b->n = n;
	b->pending = n + 1;
	for (size_t i = 0; i < n; i++)
		b->one[i].batch = b;
	return b;
}

void stats_domain(struct keeld *k, struct domain *dom, struct reply *r)
{
	struct stats_batch *b;

	(void)k;
	if (!dom->run || !dom->run->hv) {
		run_answer_error(r, KEEL_E_INVALID_STATE,
				 "Domain %s has no hypervisor process any more.",
				 dom->name);
		return;
	}
	b = batch_new(r, 1, false);
	if (!b)
		return;
	/* Not cached: only stats_all sweeps what its domains left open. */
	one_start(&b->one[0], dom, false);
	batch_put(b);
}

static bool has_hv(const struct domain *dom)
{
	return dom->run && dom->run->hv;
}

void stats_all(struct keeld *k, struct reply *r)
{
	struct timeval tv = { STATS_ALL_WAIT_MS / 1000,
			      (STATS_ALL_WAIT_MS % 1000) * 1000 };
	struct stats_batch *b;
	struct domain *dom;
	size_t n = 0, i = 0;

	for (dom = registry_first(k->reg); dom; dom = dom->next)
		n += has_hv(dom);
	b = batch_new(r, n, true);
	if (!b)
		return;
	b->deadline = evtimer_new(k->base, on_deadline, b);
	if (b->deadline)
		evtimer_add(b->deadline, &tv);
	for (dom = registry_first(k->reg); dom && i < n; dom = dom->next)
		if (has_hv(dom))
			one_start(&b->one[i++], dom, true);
	fds_sweep();
	batch_put(b);
}
