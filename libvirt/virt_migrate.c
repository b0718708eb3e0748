// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live migration and jobs through keel-virtd (docs/libvirt.md, "Save,
 * migration and TLS"). `virsh migrate --live --p2p DOM
 * keel+tls://HOST/system` is one call, DOMAIN_MIGRATE_PERFORM3_PARAMS,
 * on the source's keel-virtd: it becomes keel_domain_migrate() to
 * HOST's keeld (keel migrates keeld to keeld; keel-virtd on the
 * destination takes no part). The call blocks a worker for the whole
 * migration, while the same client's job polling (GET_JOB_INFO,
 * GET_JOB_STATS), abort (ABORT_JOB) and tuning (MIGRATE_SET_MAX_*) go
 * to the other workers.
 *
 * A job is a state struct: the domain, its kind, when it began, and its
 * progress as keeld's "progress" events tell it. Each job has a thread
 * of its own with its own keeld connection subscribed to events (a
 * worker's connection is busy with the blocking call), which ends with
 * the job. Saves are jobs too (virt_save.c), so domjobinfo shows them.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "virt_error.h"
#include "virt_handlers.h"
#include "virt_params.h"
#include "virt_server.h"

/* virDomainJobType */
#define JOB_NONE 0
#define JOB_UNBOUNDED 2
/* virDomainGetJobStatsFlags */
#define JOB_STATS_COMPLETED (1u << 0)
#define JOB_STATS_KEEP_COMPLETED (1u << 1)
/* virDomainJobOperation */
#define JOB_OP_SAVE 2
#define JOB_OP_MIGRATION_OUT 5

/* virDomainMigrateFlags */
#define MIG_LIVE (1u << 0)
#define MIG_PEER2PEER (1u << 1)
#define MIG_PERSIST_DEST (1u << 3)
#define MIG_UNDEFINE_SOURCE (1u << 4)
#define MIG_CHANGE_PROTECTION (1u << 8)
#define MIG_UNSAFE (1u << 9)
#define MIG_ABORT_ON_ERROR (1u << 12)
#define MIG_AUTO_CONVERGE (1u << 13)
#define MIG_TLS (1u << 16)

/*
 * The flags keel honours: live or not, auto-converge; the others name
 * what keel does anyway (TLS always, the domain held and moved whole,
 * any error aborts). Every other flag is refused by name below.
 */
#define MIG_HONOURED                                                         \
	(MIG_LIVE | MIG_PEER2PEER | MIG_PERSIST_DEST | MIG_UNDEFINE_SOURCE | \
	 MIG_CHANGE_PROTECTION | MIG_UNSAFE | MIG_ABORT_ON_ERROR |           \
	 MIG_AUTO_CONVERGE | MIG_TLS)

static const struct {
	unsigned flag;
	const char *name, *why;
} mig_refused[] = {
	{ 1u << 2, "VIR_MIGRATE_TUNNELLED (--tunnelled)",
	  "keel's hosts send the migration stream to each other over TLS" },
	{ 1u << 5, "VIR_MIGRATE_PAUSED (--suspend)",
	  "the domain runs on at the destination as it ran here" },
	{ 1u << 6, "VIR_MIGRATE_NON_SHARED_DISK (--copy-storage-all)",
	  "keel migrates with shared storage only" },
	{ 1u << 7, "VIR_MIGRATE_NON_SHARED_INC (--copy-storage-inc)",
	  "keel migrates with shared storage only" },
	{ 1u << 10, "VIR_MIGRATE_OFFLINE (--offline)",
	  "keel migrates running domains; define a shut-off one there" },
	{ 1u << 11, "VIR_MIGRATE_COMPRESSED (--compressed)",
	  "keel's stream has no compression" },
	{ 1u << 14, "VIR_MIGRATE_RDMA_PIN_ALL (--rdma-pin-all)",
	  "keel migrates over TCP" },
	{ 1u << 15, "VIR_MIGRATE_POSTCOPY (--postcopy)",
	  "keel migrates by pre-copy only" },
	{ 1u << 17, "VIR_MIGRATE_PARALLEL (--parallel)",
	  "keel sends one stream" },
	{ 1u << 18, "VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES",
	  "keel migrates with shared storage only" },
	{ 1u << 19, "VIR_MIGRATE_POSTCOPY_RESUME (--postcopy-resume)",
	  "keel migrates by pre-copy only" },
	{ 1u << 20, "VIR_MIGRATE_ZEROCOPY (--zerocopy)",
	  "keel's stream is encrypted, which zero-copy cannot be" },
};

/* --- Long calls ---------------------------------------------------------- */

static unsigned long_calls;	/* atomic */

int virt_long_enter(struct virt_call *call)
{
	unsigned limit = call->opts->workers - 1;
	unsigned n = __atomic_add_fetch(&long_calls, 1, __ATOMIC_ACQ_REL);

	if (n > limit) {
		__atomic_sub_fetch(&long_calls, 1, __ATOMIC_ACQ_REL);
		return virt_call_error(call, VIR_ERR_RESOURCE_BUSY,
				       "keel-virtd already runs %u long calls (saves, restores, migrations) on its %u workers, and keeps one worker for every other call; wait for one to end or start keel-virtd with more --workers.",
				       limit, call->opts->workers);
	}
	return 0;
}

void virt_long_leave(void)
{
	__atomic_sub_fetch(&long_calls, 1, __ATOMIC_ACQ_REL);
}

/* --- Jobs ---------------------------------------------------------------- */

struct virt_job {
	enum virt_job_kind kind;
	char uuid[KEEL_UUID_LEN + 1];
	struct timespec start;
	/* Under jobs_lock: */
	long long done, total, remaining, mem_total, dirty_rate, round;
	bool aborted;
	/* The watcher: its connection, its thread, told to stop. */
	struct keel_conn *events;
	pthread_t thread;
	bool watching, stop;	/* stop: atomic */
	struct virt_job *next;
};

static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct virt_job *jobs;

static const char *job_event_name(enum virt_job_kind kind)
{
	return kind == VIRT_JOB_SAVE ? "save" : "migrate";
}

/* The job of @uuid, jobs_lock held; NULL when it has none. */
static struct virt_job *job_find(const char *uuid)
{
	struct virt_job *j;

	for (j = jobs; j; j = j->next)
		if (!strcmp(j->uuid, uuid))
			return j;
	return NULL;
}

static long long raw_int(const struct keel_event *ev, const char *key)
{
	struct json_object *v;

	if (!ev->raw || !json_object_object_get_ex(ev->raw, key, &v))
		return -1;
	return json_object_get_int64(v);
}

/* keeld's "progress" event of this job's domain and kind. */
static void job_event(struct keel_conn *c, const struct keel_event *ev,
		      void *opaque)
{
	struct virt_job *j = opaque;

	if (!ev->type || strcmp(ev->type, "progress") || !ev->job ||
	    strcmp(ev->job, job_event_name(j->kind)) ||
	    strcmp(ev->domain.uuid, j->uuid))
		return;
	pthread_mutex_lock(&jobs_lock);
	if (ev->done >= 0)
		j->done = ev->done;
	if (ev->total >= 0)
		j->total = ev->total;
	j->remaining = raw_int(ev, "remaining");
	j->dirty_rate = raw_int(ev, "dirty_rate");
	j->round = raw_int(ev, "round");
	pthread_mutex_unlock(&jobs_lock);
}

static void *job_watch(void *arg)
{
	struct virt_job *j = arg;

	while (!__atomic_load_n(&j->stop, __ATOMIC_ACQUIRE))
		if (keel_event_wait(j->events, 200) < 0)
			break;
	return NULL;
}

int virt_job_begin(struct virt_call *call, const struct keel_domain *d,
		   enum virt_job_kind kind, struct virt_job **out)
{
	struct virt_job *j;
	char *err = NULL;

	if (virt_long_enter(call))
		return -1;
	j = calloc(1, sizeof(*j));
	if (!j) {
		virt_long_leave();
		return virt_call_nomem(call);
	}
	j->kind = kind;
	snprintf(j->uuid, sizeof(j->uuid), "%s", d->uuid);
	clock_gettime(CLOCK_MONOTONIC, &j->start);
	j->mem_total = d->memory_mib * 1024 * 1024;
	j->remaining = j->dirty_rate = j->round = -1;
	pthread_mutex_lock(&jobs_lock);
	if (job_find(j->uuid)) {
		pthread_mutex_unlock(&jobs_lock);
		free(j);
		virt_long_leave();
		return virt_call_error(call, VIR_ERR_OPERATION_INVALID,
				       "Domain %s already has a job (a save or a migration) under way; wait for it or abort it (virsh domjobabort).",
				       d->name);
	}
	j->next = jobs;
	jobs = j;
	pthread_mutex_unlock(&jobs_lock);
	/*
	 * Progress is a nicety: without events the job still runs, and
	 * domjobinfo shows its time alone.
	 */
	if (keel_connect(call->opts->keeld, &j->events, &err)) {
		log_warn_limited("%s: %s: no progress for the job: %s",
				 __func__, d->name,
				 err ? err : "cannot connect to keeld");
		free(err);
		j->events = NULL;
	} else {
		keel_set_event_callback(j->events, job_event, j);
		if (keel_events_subscribe(j->events) ||
		    pthread_create(&j->thread, NULL, job_watch, j)) {
			log_warn_limited("%s: %s: no progress for the job: cannot watch keeld's events.",
					 __func__, d->name);
			keel_close(j->events);
			j->events = NULL;
		} else {
			j->watching = true;
		}
	}
	*out = j;
	return 0;
}

bool virt_job_end(struct virt_job *j)
{
	struct virt_job **p;
	bool aborted;

	if (j->watching) {
		__atomic_store_n(&j->stop, true, __ATOMIC_RELEASE);
		pthread_join(j->thread, NULL);
	}
	keel_close(j->events);
	pthread_mutex_lock(&jobs_lock);
	for (p = &jobs; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	aborted = j->aborted;
	pthread_mutex_unlock(&jobs_lock);
	free(j);
	virt_long_leave();
	return aborted;
}

/* The uuid of @dom as keel writes it, after checking the domain exists. */
static int dom_uuid(struct virt_call *call, const struct vx_dom *dom,
		    struct keel_domain *d)
{
	return virt_dom_get(call, dom, d, NULL);
}

/* @dom's uuid in keel's text, without asking keeld. */
static void dom_uuid_text(const struct vx_dom *dom,
			  char out[KEEL_UUID_LEN + 1])
{
	const unsigned char *u = (const unsigned char *)dom->uuid;

	snprintf(out, KEEL_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

static unsigned long long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (unsigned long long)(now.tv_sec - t->tv_sec) * 1000 +
	       (unsigned long long)((now.tv_nsec - t->tv_nsec) / 1000000);
}

/* A snapshot of @uuid's job; false when it has none. */
struct job_view {
	enum virt_job_kind kind;
	unsigned long long elapsed_ms;
	long long done, total, remaining, mem_total, dirty_rate, round;
};

static bool job_view(const char *uuid, struct job_view *v)
{
	struct virt_job *j;

	pthread_mutex_lock(&jobs_lock);
	j = job_find(uuid);
	if (j) {
		v->kind = j->kind;
		v->elapsed_ms = ms_since(&j->start);
		v->done = j->done;
		v->total = j->total;
		v->remaining = j->remaining;
		v->mem_total = j->mem_total;
		v->dirty_rate = j->dirty_rate;
		v->round = j->round;
	}
	pthread_mutex_unlock(&jobs_lock);
	return j != NULL;
}

static unsigned long long nonneg(long long v)
{
	return v > 0 ? (unsigned long long)v : 0;
}

/* What is left: keel's "remaining" when said, else total less done. */
static unsigned long long view_remaining(const struct job_view *v)
{
	if (v->remaining >= 0)
		return (unsigned long long)v->remaining;
	return v->total > v->done ? (unsigned long long)(v->total - v->done) :
				    0;
}

int virt_h_get_job_info(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_args *a = args;
	struct vx_job_info_ret *r = ret;
	char uuid[KEEL_UUID_LEN + 1];
	struct keel_domain d;
	struct job_view v;

	/*
	 * The job first: at a migration's end the domain is gone from
	 * keeld before its call has answered, and virsh still polls.
	 */
	dom_uuid_text(&a->dom, uuid);
	if (!job_view(uuid, &v)) {
		if (dom_uuid(call, &a->dom, &d))
			return -1;
		r->type = JOB_NONE;
		return 0;
	}
	/* Unbounded, as libvirt's own drivers report a migration. */
	r->type = JOB_UNBOUNDED;
	r->time_elapsed = v.elapsed_ms;
	r->data_processed = nonneg(v.done);
	r->data_remaining = view_remaining(&v);
	r->data_total = r->data_processed + r->data_remaining;
	if (v.kind == VIRT_JOB_MIGRATE) {
		r->mem_total = nonneg(v.mem_total);
		r->mem_processed = r->data_processed;
		r->mem_remaining = r->data_remaining;
	} else {
		r->file_total = r->data_total;
		r->file_processed = r->data_processed;
		r->file_remaining = r->data_remaining;
	}
	return 0;
}

int virt_h_get_job_stats(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_flags_args *a = args;
	struct vx_job_stats_ret *r = ret;
	unsigned long long processed, remaining;
	char uuid[KEEL_UUID_LEN + 1];
	struct virt_plist l = { 0 };
	struct keel_domain d;
	struct job_view v;
	bool mig;
	int rc;

	if (virt_call_check_flags(call, a->flags,
				  JOB_STATS_COMPLETED |
					  JOB_STATS_KEEP_COMPLETED))
		return -1;
	/* keel keeps nothing of a job that ended: no completed statistics. */
	dom_uuid_text(&a->dom, uuid);
	if ((a->flags & JOB_STATS_COMPLETED) || !job_view(uuid, &v)) {
		if (dom_uuid(call, &a->dom, &d))
			return -1;
		r->type = JOB_NONE;
		return 0;
	}
	r->type = JOB_UNBOUNDED;
	mig = v.kind == VIRT_JOB_MIGRATE;
	processed = nonneg(v.done);
	remaining = view_remaining(&v);
	/* Field names as libvirt's VIR_DOMAIN_JOB_* macros spell them. */
	rc = virt_plist_int(&l, mig ? JOB_OP_MIGRATION_OUT : JOB_OP_SAVE,
			    "operation") ?:
	     virt_plist_ullong(&l, v.elapsed_ms, "time_elapsed") ?:
	     virt_plist_ullong(&l, processed + remaining, "data_total") ?:
	     virt_plist_ullong(&l, processed, "data_processed") ?:
	     virt_plist_ullong(&l, remaining, "data_remaining");
	if (!rc && mig)
		rc = virt_plist_ullong(&l, nonneg(v.mem_total),
				       "memory_total") ?:
		     virt_plist_ullong(&l, processed, "memory_processed") ?:
		     virt_plist_ullong(&l, remaining, "memory_remaining");
	if (!rc && mig && v.dirty_rate >= 0)
		rc = virt_plist_ullong(&l, (unsigned long long)v.dirty_rate,
				       "memory_dirty_rate");
	if (!rc && mig && v.round >= 0)
		rc = virt_plist_ullong(&l, (unsigned long long)v.round,
				       "memory_iteration");
	if (rc) {
		virt_plist_dispose(&l);
		return virt_call_nomem(call);
	}
	virt_plist_move(&l, &r->params.params_val, &r->params.params_len);
	return 0;
}

/* The migration under way of @dom, or an error saying there is none. */
static int migration_of(struct virt_call *call, const struct vx_dom *dom,
			struct keel_domain *d, bool abort)
{
	struct virt_job *j;
	int kind = -1;

	if (dom_uuid(call, dom, d))
		return -1;
	pthread_mutex_lock(&jobs_lock);
	j = job_find(d->uuid);
	if (j) {
		kind = (int)j->kind;
		if (abort && j->kind == VIRT_JOB_MIGRATE)
			j->aborted = true;
	}
	pthread_mutex_unlock(&jobs_lock);
	if (kind < 0)
		return virt_call_error(call, VIR_ERR_OPERATION_INVALID,
				       "Domain %s has no job under way.",
				       d->name);
	if (kind != VIRT_JOB_MIGRATE)
		return virt_call_error(call, VIR_ERR_OPERATION_INVALID,
				       "Domain %s is being saved; keel cannot stop a save half way (it ends by itself, or fails and leaves the domain as it was).",
				       d->name);
	return 0;
}

int virt_h_abort_job(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_args *a = args;
	struct keel_conn *kc;
	struct keel_domain d;

	if (migration_of(call, &a->dom, &d, true))
		return -1;
	kc = virt_call_keel(call);
	if (!kc)
		return -1;
	if (keel_domain_migrate_cancel(kc, d.uuid))
		return virt_call_keel_error(call);
	return 0;
}

int virt_h_migrate_set_max_downtime(struct virt_call *call, void *args,
				    void *ret)
{
	struct vx_migrate_set_max_downtime_args *a = args;
	struct keel_migrate_tune t = KEEL_MIGRATE_TUNE_INIT;
	struct keel_conn *kc;
	struct keel_domain d;

	if (virt_call_check_flags(call, a->flags, 0))
		return -1;
	if (!a->downtime || a->downtime > INT_MAX)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "The downtime is a number of milliseconds from 1 to %d, not %llu.",
				       INT_MAX, (unsigned long long)a->downtime);
	if (migration_of(call, &a->dom, &d, false))
		return -1;
	kc = virt_call_keel(call);
	if (!kc)
		return -1;
	t.downtime_ms = (long long)a->downtime;
	if (keel_domain_migrate_set(kc, d.uuid, &t))
		return virt_call_keel_error(call);
	return 0;
}

int virt_h_migrate_set_max_speed(struct virt_call *call, void *args,
				 void *ret)
{
	struct vx_migrate_set_max_speed_args *a = args;
	struct keel_migrate_tune t = KEEL_MIGRATE_TUNE_INIT;
	struct keel_conn *kc;
	struct keel_domain d;

	if (virt_call_check_flags(call, a->flags, 0))
		return -1;
	if (a->bandwidth > UINT_MAX)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "The bandwidth is a number of MiB/s up to %u, not %llu.",
				       UINT_MAX,
				       (unsigned long long)a->bandwidth);
	if (migration_of(call, &a->dom, &d, false))
		return -1;
	kc = virt_call_keel(call);
	if (!kc)
		return -1;
	t.bandwidth_mib = (long long)a->bandwidth;
	if (keel_domain_migrate_set(kc, d.uuid, &t))
		return virt_call_keel_error(call);
	return 0;
}

/* --- Migration ----------------------------------------------------------- */

/*
 * The host of the destination URI keel+tls://HOST[:PORT]/system (or
 * keel://HOST/system) into @host. The URI names the destination's
 * keel-virtd; keel migrates to that host's keeld on its TLS port
 * (KEEL_MIGRATE_OPTS_INIT's), so a port given here is not keeld's and
 * is not used. Returns 0, or -1 after virt_call_error().
 */
static int dest_host(struct virt_call *call, const char *uri, char *host,
		     size_t size)
{
	const char *p, *end;
	size_t len;

	if (!strncmp(uri, "keel+tls://", 11))
		p = uri + 11;
	else if (!strncmp(uri, "keel://", 7))
		p = uri + 7;
	else
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "keel-virtd migrates to keel+tls://HOST/system, not to \"%s\": the destination must be another keel host.",
				       uri);
	if (*p == '[') {
		end = strchr(p, ']');
		if (!end)
			goto out_bad;
		p++;
		len = (size_t)(end - p);
		end++;
	} else {
		len = strcspn(p, ":/?");
		end = p + len;
	}
	if (!len || len >= size)
		goto out_bad;
	if (*end == ':') {
		end++;
		if (*end < '0' || *end > '9')
			goto out_bad;
		end += strspn(end, "0123456789");
	}
	if (*end && *end != '/' && *end != '?')
		goto out_bad;
	if (*end == '/' && strncmp(end, "/system", 7))
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "keel-virtd migrates to keel+tls://HOST/system; \"%s\" names another path.",
				       uri);
	memcpy(host, p, len);
	host[len] = '\0';
	return 0;
out_bad:
	return virt_call_error(call, VIR_ERR_INVALID_ARG,
			       "The destination URI \"%s\" names no host: give keel+tls://HOST/system.",
			       uri);
}

/* The typed parameters of a migration into @o. */
static int mig_params(struct virt_call *call, const struct keel_domain *d,
		      const struct vx_param *p, unsigned n,
		      struct keel_migrate_opts *o)
{
	static const char *const refused[][2] = {
		{ "migrate_uri", "keel's hosts choose their own migration ports (migration_ports in keeld.conf)" },
		{ "destination_xml", "the domain moves with its configuration as it is" },
		{ "persistent_xml", "the domain moves with its configuration as it is" },
		{ "graphics_uri", "keel guests have no display" },
		{ "listen_address", "the destination's keeld listens where keeld.conf says" },
		{ "migrate_disks", "keel migrates with shared storage only" },
		{ "disks_port", "keel migrates with shared storage only" },
		{ "disks_uri", "keel migrates with shared storage only" },
		{ "compression", "keel's stream has no compression" },
		{ "auto_converge.initial", "keel's auto-converge has its own steps" },
		{ "auto_converge.increment", "keel's auto-converge has its own steps" },
		{ "parallel.connections", "keel sends one stream" },
		{ "bandwidth.postcopy", "keel migrates by pre-copy only" },
		{ "tls.destination", "the destination's certificate must name the host of the URI" },
	};
	unsigned i;
	size_t k;

	for (i = 0; i < n; i++) {
		const char *f = p[i].field;
		int type = p[i].value.type;

		if (!strcmp(f, "bandwidth")) {
			unsigned long long bw = p[i].value.vx_param_value_u.ul;

			if (type != VIRT_PARAM_ULLONG || bw > UINT_MAX)
				return virt_call_error(call, VIR_ERR_INVALID_ARG,
						       "The migration parameter bandwidth is MiB/s as an unsigned long long up to %u.",
						       UINT_MAX);
			o->bandwidth_mib = (unsigned)bw;
			continue;
		}
		if (!strcmp(f, "destination_name")) {
			if (type != VIRT_PARAM_STRING ||
			    strcmp(p[i].value.vx_param_value_u.s, d->name))
				return virt_call_error(call, VIR_ERR_ARGUMENT_UNSUPPORTED,
						       "keel cannot rename domain %s while it migrates (destination_name, --dname): rename it before or after.",
						       d->name);
			continue;
		}
		for (k = 0; k < sizeof(refused) / sizeof(refused[0]); k++)
			if (!strncmp(f, refused[k][0], strlen(refused[k][0])))
				return virt_call_error(call, VIR_ERR_ARGUMENT_UNSUPPORTED,
						       "keel does not support the migration parameter %s: %s.",
						       f, refused[k][1]);
		return virt_call_error(call, VIR_ERR_ARGUMENT_UNSUPPORTED,
				       "keel does not know the migration parameter %s.",
				       f);
	}
	return 0;
}

static int mig_flags(struct virt_call *call, const struct keel_domain *d,
		     unsigned flags, struct keel_migrate_opts *o)
{
	size_t k;

	for (k = 0; k < sizeof(mig_refused) / sizeof(mig_refused[0]); k++)
		if (flags & mig_refused[k].flag)
			return virt_call_error(call, VIR_ERR_ARGUMENT_UNSUPPORTED,
					       "keel does not support %s: %s.",
					       mig_refused[k].name,
					       mig_refused[k].why);
	if (flags & ~MIG_HONOURED)
		return virt_call_error(call, VIR_ERR_ARGUMENT_UNSUPPORTED,
				       "keel does not know the migration flags %#x.",
				       flags & ~MIG_HONOURED);
	if (!(flags & MIG_PEER2PEER))
		return virt_call_error(call, VIR_ERR_ARGUMENT_UNSUPPORTED,
				       "keel-virtd migrates peer to peer only (keeld to keeld): give virsh migrate --p2p.");
	if ((flags & MIG_PERSIST_DEST) && !d->persistent)
		return virt_call_error(call, VIR_ERR_ARGUMENT_UNSUPPORTED,
				       "Domain %s is transient and keel moves it as it is (VIR_MIGRATE_PERSIST_DEST, --persistent): define it after the migration.",
				       d->name);
	o->offline = !(flags & MIG_LIVE);
	o->auto_converge = !!(flags & MIG_AUTO_CONVERGE);
	return 0;
}

int virt_h_migrate_perform3_params(struct virt_call *call, void *args,
				   void *ret)
{
	struct vx_migrate_perform3_params_args *a = args;
	struct keel_migrate_opts o = KEEL_MIGRATE_OPTS_INIT;
	char host[256];
	struct keel_domain d;
	struct keel_conn *kc;
	struct virt_job *j;
	int rc;

	if (!a->dconnuri || !*a->dconnuri)
		return virt_call_error(call, VIR_ERR_ARGUMENT_UNSUPPORTED,
				       "keel-virtd migrates peer to peer only and needs the destination's URI (virsh migrate --p2p DOM keel+tls://HOST/system).");
	if (a->cookie_in.cookie_in_len)
		return virt_call_error(call, VIR_ERR_ARGUMENT_UNSUPPORTED,
				       "keel-virtd takes no migration cookie: it migrates peer to peer only.");
	if (dest_host(call, *a->dconnuri, host, sizeof(host)) ||
	    dom_uuid(call, &a->dom, &d) ||
	    mig_flags(call, &d, a->flags, &o) ||
	    mig_params(call, &d, a->params.params_val, a->params.params_len,
		       &o))
		return -1;
	kc = virt_call_keel(call);
	if (!kc || virt_job_begin(call, &d, VIRT_JOB_MIGRATE, &j))
		return -1;
	log_info("Migrating domain %s to %s for a libvirt client.", d.name,
		 host);
	rc = keel_domain_migrate(kc, d.uuid, host, &o, NULL);
	if (virt_job_end(j) && rc)
		return virt_call_error(call, VIR_ERR_OPERATION_ABORTED,
				       "operation aborted: migration of domain %s was cancelled by the client; it runs on here.",
				       d.name);
	if (rc)
		return virt_call_keel_error(call);
	return 0;
}
