// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Running domains (lifecycle.h). Each running domain has a struct
 * domain_run: its keel-hv (hv.c), its run directory RUN_DIR/domains/UUID
 * and what keeld must remember about it across its own restarts, kept
 * in DIR/state.json and rewritten at every change.
 *
 * When a VM ends, what happens next is decided in one place,
 * run_vm_stopped(): the reason (keel-hv's status file or exit status),
 * what keeld itself asked for (destroy, reboot, a forced shutdown) and
 * the domain's on_poweroff/on_reboot/on_crash give an action, and
 * run_finish() carries it out.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/sockios.h>

#include <event2/event.h>

#include "hv.h"
#include "jsonrpc.h"
#include "keeld.h"
#include "lifecycle.h"
#include "log.h"
#include "registry.h"
#include "server.h"

#define STATE_FILE_VERSION 1

enum action {
	ACTION_DESTROY,
	ACTION_RESTART,
	ACTION_PRESERVE,
	ACTION_RENAME_RESTART,
};

/* What keeld itself asked of the domain, which colours how it ended. */
enum intent {
	INTENT_NONE,
	INTENT_SHUTDOWN,	/* power button sent */
	INTENT_FORCED,		/* shutdown timed out: keeld killed it */
	INTENT_REBOOT,		/* power button, then start again */
	INTENT_DESTROY,
};

struct waiter {
	struct reply *r;
	struct waiter *next;
};

struct domain_run {
	struct keeld *k;
	struct domain *dom;
	struct hv *hv;			/* NULL once the process is gone */
	char *dir;
	struct json_object *config;	/* the configuration it runs with */
	pid_t pid;
	unsigned long long starttime;	/* /proc starttime, against reuse */
	double started;			/* wall clock, for uptime */
	bool starting;			/* until keel-hv first answers */
	bool paused_start;
	struct reply *start_reply;
	struct waiter *waiters;		/* answered when the run ends */
	struct event *shutdown_timer;
	enum intent intent;
	bool lingering;			/* VM stopped, process kept */
	bool have_pending;		/* killed a lingering one to do this: */
	enum action pending_action;
	enum domain_reason pending_reason;
	const char *pending_detail;
};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t config_int(struct json_object *config, const char *key,
			  int64_t dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(config, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

static enum action config_action(struct json_object *config, const char *key,
				 enum action dflt)
{
	const char *s = json_member_string(config, key);

	if (!s)
		return dflt;
	if (!strcmp(s, "restart"))
		return ACTION_RESTART;
	if (!strcmp(s, "preserve"))
		return ACTION_PRESERVE;
	if (!strcmp(s, "rename-restart"))
		return ACTION_RENAME_RESTART;
	return ACTION_DESTROY;
}

static bool config_wants_linger(struct json_object *config)
{
	static const char *const keys[] = { "on_poweroff", "on_reboot",
					    "on_crash" };

	for (size_t i = 0; i < 3; i++) {
		enum action a = config_action(config, keys[i], ACTION_DESTROY);

		if (a == ACTION_PRESERVE || a == ACTION_RENAME_RESTART)
			return true;
	}
	return false;
}

void lifecycle_emit(struct keeld *k, const struct domain *dom,
		    const char *event, const char *detail)
{
	struct json_object *params = json_object_new_object(), *d, *msg;

	if (!params)
		return;
	d = json_object_new_object();
	json_object_object_add(d, "name", json_object_new_string(dom->name));
	json_object_object_add(d, "uuid", json_object_new_string(dom->uuid));
	json_object_object_add(d, "id", dom->id < 0 ? NULL :
					json_object_new_int(dom->id));
	json_object_object_add(params, "type",
			       json_object_new_string("lifecycle"));
	json_object_object_add(params, "event", json_object_new_string(event));
	json_object_object_add(params, "detail",
			       json_object_new_string(detail));
	json_object_object_add(params, "domain", d);
	json_object_object_add(params, "state",
			       json_object_new_string(
				       domain_state_name(dom->state)));
	json_object_object_add(params, "reason",
			       json_object_new_string(
				       domain_reason_name(dom->reason)));
	json_object_object_add(params, "timestamp",
			       json_object_new_double(wall_now()));
	msg = jsonrpc_request("event", params, NULL);
	if (msg && k->server)
		server_broadcast(k->server, msg);
	json_object_put(msg);
}

static void answer(struct reply *r, struct json_object *result)
{
	if (r)
		reply_send(r, jsonrpc_result(reply_id(r), result));
	else
		json_object_put(result);
}

static void answer_error(struct reply *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void answer_error(struct reply *r, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!r)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_send(r, jsonrpc_error(reply_id(r), code, msg, NULL));
}

static int run_path(const struct domain_run *run, const char *name,
		    char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/%s", run->dir, name) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* DIR/state.json: what a restarted keeld needs to take the domain over. */
static void run_save(struct domain_run *run)
{
	struct domain *dom = run->dom;
	struct json_object *o = json_object_new_object();
	char path[PATH_MAX];
	int rc;

	if (!o || run_path(run, "state.json", path, sizeof(path))) {
		json_object_put(o);
		return;
	}
	json_object_object_add(o, "version",
			       json_object_new_int(STATE_FILE_VERSION));
	json_object_object_add(o, "uuid", json_object_new_string(dom->uuid));
	json_object_object_add(o, "name", json_object_new_string(dom->name));
	json_object_object_add(o, "id", json_object_new_int(dom->id));
	json_object_object_add(o, "pid", json_object_new_int(run->pid));
	json_object_object_add(o, "starttime",
			       json_object_new_uint64(run->starttime));
	json_object_object_add(o, "started",
			       json_object_new_double(run->started));
	json_object_object_add(o, "persistent",
			       json_object_new_boolean(dom->persistent));
	json_object_object_add(o, "state",
			       json_object_new_string(
				       domain_state_name(dom->state)));
	json_object_object_add(o, "reason",
			       json_object_new_string(
				       domain_reason_name(dom->reason)));
	json_object_object_add(o, "lingering",
			       json_object_new_boolean(run->lingering));
	json_object_object_add(o, "config", json_object_get(run->config));
	rc = json_file_write(path, o);
	if (rc)
		log_err("Cannot save %s: %s; a keeld restart would not find domain %s.",
			path, strerror(-rc), dom->name);
	json_object_put(o);
}

static void set_state(struct domain_run *run, enum domain_state state,
		      enum domain_reason reason)
{
	run->dom->state = state;
	run->dom->reason = reason;
	run_save(run);
}

static void run_unlink_files(struct domain_run *run)
{
	static const char *const files[] = { "state.json", "exit.json",
					     "control.sock", "console.sock",
					     "state.json.tmp" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!run_path(run, files[i], path, sizeof(path)))
			unlink(path);
}

static void run_free(struct domain_run *run)
{
	struct waiter *w, *next;

	for (w = run->waiters; w; w = next) {
		next = w->next;
		answer_error(w->r, KEEL_ERR_OPERATION_FAILED,
			     "keeld is shutting down.");
		free(w);
	}
	answer_error(run->start_reply, KEEL_ERR_OPERATION_FAILED,
		     "keeld is shutting down.");
	if (run->shutdown_timer)
		event_free(run->shutdown_timer);
	hv_free(run->hv);
	json_object_put(run->config);
	free(run->dir);
	free(run);
}

static int run_add_waiter(struct domain_run *run, struct reply *r)
{
	struct waiter *w;

	if (!r)
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w) {
		answer_error(r, KEEL_ERR_RESOURCE, "keeld ran out of memory.");
		return -ENOMEM;
	}
	w->r = r;
	w->next = run->waiters;
	run->waiters = w;
	return 0;
}

/* Answer everyone waiting for the run to end with @dom's summary now. */
static void run_answer_waiters(struct domain_run *run)
{
	struct waiter *w, *next;

	for (w = run->waiters; w; w = next) {
		next = w->next;
		answer(w->r, domain_summary(run->dom));
		free(w);
	}
	run->waiters = NULL;
}

/*
 * The run is over and its process gone: the domain is shut off for
 * @reason. Frees @run; a transient domain goes too unless @keep.
 */
static void run_end(struct domain_run *run, enum domain_reason reason,
		    const char *detail, bool keep)
{
	struct keeld *k = run->k;
	struct domain *dom = run->dom;
	struct waiter *waiters = run->waiters;

	dom->state = DOMAIN_SHUTOFF;
	dom->reason = reason;
	lifecycle_emit(k, dom, "stopped", detail);
	log_info("Domain %s (id %d) stopped: %s.", dom->name, dom->id,
		 detail);
	dom->id = -1;
	dom->run = NULL;
	run_unlink_files(run);
	run->waiters = NULL;
	for (struct waiter *w = waiters, *next; w; w = next) {
		next = w->next;
		answer(w->r, domain_summary(dom));
		free(w);
	}
	run_free(run);
	if (!dom->persistent && !keep)
		registry_forget(k->reg, dom);
}

static void start_domain(struct keeld *k, struct domain *dom, bool paused,
			 int id, struct reply *r);

/* A new name for the preserved half of a rename-restart. */
static struct domain *rename_for_preserve(struct keeld *k,
					  struct domain_run *run)
{
	struct json_object *config = NULL;
	struct domain *copy = NULL;
	const char *field;
	char name[96];

	for (int n = 1; n < 1000; n++) {
		snprintf(name, sizeof(name), "%.64s-incarnation-%d",
			 run->dom->name, n);
		if (strlen(name) > 64)
			return NULL;
		if (!registry_find_name(k->reg, name))
			break;
	}
	if (json_object_deep_copy(run->config, &config, NULL))
		return NULL;
	json_object_object_add(config, "name", json_object_new_string(name));
	json_object_object_del(config, "uuid");
	if (registry_add_transient(k->reg, config, &copy, &field))
		return NULL;
	return copy;
}

/* Carry out @action for a run whose VM has stopped. */
static void run_finish(struct domain_run *run, enum action action,
		       enum domain_reason reason, const char *detail)
{
	struct keeld *k = run->k;
	struct domain *dom = run->dom, *old;
	int id = dom->id;

	if (run->shutdown_timer)
		evtimer_del(run->shutdown_timer);
	switch (action) {
	case ACTION_DESTROY:
		run_end(run, reason, detail, false);
		return;
	case ACTION_RESTART:
		run_end(run, reason, detail, true);
		start_domain(k, dom, false, id, NULL);
		return;
	case ACTION_PRESERVE:
		if (reason == DOMAIN_REASON_CRASHED) {
			set_state(run, DOMAIN_CRASHED, DOMAIN_REASON_PANICKED);
			lifecycle_emit(k, dom, "crashed", "panicked");
		} else {
			set_state(run, DOMAIN_PAUSED, DOMAIN_REASON_SHUTDOWN);
			lifecycle_emit(k, dom, "shutdown", "finished");
		}
		log_info("Domain %s (id %d) stopped (%s) and is preserved until destroyed.",
			 dom->name, id, detail);
		run->intent = INTENT_NONE;
		run_answer_waiters(run);
		return;
	case ACTION_RENAME_RESTART:
		old = rename_for_preserve(k, run);
		if (old) {
			char newdir[PATH_MAX];

			snprintf(newdir, sizeof(newdir), "%s/domains/%s",
				 k->conf.run_dir, old->uuid);
			if (!rename(run->dir, newdir)) {
				free(run->dir);
				run->dir = strdup(newdir);
			}
			if (run->dir) {
				json_object_object_add(
					run->config, "name",
					json_object_new_string(old->name));
				json_object_object_add(
					run->config, "uuid",
					json_object_new_string(old->uuid));
				dom->run = NULL;
				dom->id = -1;
				dom->state = DOMAIN_SHUTOFF;
				dom->reason = reason;
				old->run = run;
				old->id = id;
				run->dom = old;
				run_finish(run, ACTION_PRESERVE, reason,
					   detail);
				lifecycle_emit(k, dom, "stopped", detail);
				start_domain(k, dom, false, -1, NULL);
				return;
			}
			registry_forget(k->reg, old);
		}
		log_warn("Domain %s: cannot keep the stopped instance under a new name; restarting it.",
			 dom->name);
		hv_kill(run->hv);
		run->have_pending = true;
		run->pending_action = ACTION_RESTART;
		run->pending_reason = reason;
		run->pending_detail = detail;
		return;
	}
}

static void run_vm_stopped(struct domain_run *run, enum hv_end end,
			   bool exited)
{
	struct domain *dom = run->dom;
	struct json_object *c = run->config;
	enum domain_reason reason;
	const char *detail;
	enum action action;

	if (run->starting && run->intent != INTENT_DESTROY &&
	    (end == HV_END_POWEROFF || end == HV_END_REBOOT ||
	     end == HV_END_CRASH)) {
		/*
		 * The guest ran and ended before keel-hv answered its first
		 * status (a guest that powers off at once): it did start.
		 */
		run->starting = false;
		lifecycle_emit(run->k, dom, "started", "booted");
		answer(run->start_reply, domain_summary(dom));
		run->start_reply = NULL;
	}
	if (run->starting) {
		char *line = hv_last_log_line(run->dir);

		answer_error(run->start_reply, KEEL_ERR_OPERATION_FAILED,
			     "The hypervisor could not start domain %s: %s",
			     dom->name, line ? line : "it exited at once.");
		run->start_reply = NULL;
		log_warn("Domain %s failed to start: %s", dom->name,
			 line ? line : "keel-hv exited at once.");
		free(line);
		if (!exited) {
			run->intent = INTENT_DESTROY;
			hv_kill(run->hv);
			return;
		}
		run_end(run, DOMAIN_REASON_FAILED, "failed", false);
		return;
	}
	switch (run->intent == INTENT_DESTROY ? HV_END_KILLED : end) {
	case HV_END_POWEROFF:
		action = run->intent == INTENT_REBOOT ?
				 ACTION_RESTART :
				 config_action(c, "on_poweroff", ACTION_DESTROY);
		reason = DOMAIN_REASON_SHUTDOWN;
		detail = "shutdown";
		break;
	case HV_END_REBOOT:
		action = config_action(c, "on_reboot", ACTION_RESTART);
		reason = DOMAIN_REASON_SHUTDOWN;
		detail = "shutdown";
		break;
	case HV_END_KILLED:
		if (run->intent == INTENT_FORCED) {
			action = config_action(c, "on_poweroff",
					       ACTION_DESTROY);
		} else {
			/* keeld's destroy, or someone else's SIGTERM. */
			action = ACTION_DESTROY;
		}
		reason = DOMAIN_REASON_DESTROYED;
		detail = "destroyed";
		break;
	default:
		if (run->intent == INTENT_FORCED) {
			action = config_action(c, "on_poweroff",
					       ACTION_DESTROY);
			reason = DOMAIN_REASON_DESTROYED;
			detail = "destroyed";
			break;
		}
		action = config_action(c, "on_crash", ACTION_DESTROY);
		reason = DOMAIN_REASON_CRASHED;
		detail = "crashed";
		break;
	}
	if (exited && action == ACTION_PRESERVE)
		action = ACTION_DESTROY;	/* nothing left to keep */
	if (exited && action == ACTION_RENAME_RESTART)
		action = ACTION_RESTART;
	if (!exited && (action == ACTION_DESTROY || action == ACTION_RESTART)) {
		/* It lingers: end it first, then act (run_hv_exited). */
		run->have_pending = true;
		run->pending_action = action;
		run->pending_reason = reason;
		run->pending_detail = detail;
		hv_kill(run->hv);
		return;
	}
	if (!exited)
		run->lingering = true;
	if (exited) {
		hv_free(run->hv);
		run->hv = NULL;
	}
	run_finish(run, action, reason, detail);
}

static void on_hv_stopped(struct hv *hv, enum hv_end end, const char *detail,
			  bool exited, void *opaque)
{
	struct domain_run *run = opaque;

	log_info("Domain %s: its VM ended (%s%s%s).", run->dom->name,
		 hv_end_name(end), detail ? ": " : "", detail ? detail : "");
	run_vm_stopped(run, end, exited);
}

static void on_hv_exited(struct hv *hv, void *opaque)
{
	struct domain_run *run = opaque;

	hv_free(run->hv);
	run->hv = NULL;
	if (run->intent == INTENT_DESTROY)
		run_finish(run, ACTION_DESTROY, DOMAIN_REASON_DESTROYED,
			   "destroyed");
	else if (run->have_pending)
		run_finish(run, run->pending_action, run->pending_reason,
			   run->pending_detail);
	else
		run_finish(run, ACTION_DESTROY, run->dom->reason ==
						DOMAIN_REASON_PANICKED ?
					DOMAIN_REASON_CRASHED :
					DOMAIN_REASON_SHUTDOWN,
			   "shutdown");
}

static const struct hv_ops run_hv_ops = {
	.stopped = on_hv_stopped,
	.exited = on_hv_exited,
};

/* argv for keel-hv from @config; NULL-terminated, malloc'd strings. */
static char **build_argv(struct keeld *k, struct domain_run *run,
			 bool paused)
{
	struct json_object *c = run->config, *list;
	size_t n = 0, cap = 64;
	char **argv = calloc(cap, sizeof(*argv));
	const char *s;
	bool ok = argv != NULL;

#define ARG(...)                                                          \
	do {                                                              \
		if (ok && n + 2 < cap && asprintf(&argv[n], __VA_ARGS__) >= 0) \
			n++;                                              \
		else                                                      \
			ok = false;                                       \
	} while (0)

	ARG("%s", k->conf.hypervisor);
	ARG("--kernel=%s", json_member_string(c, "kernel"));
	if ((s = json_member_string(c, "ramdisk")))
		ARG("--initrd=%s", s);
	if ((s = json_member_string(c, "cmdline")))
		ARG("--cmdline=%s", s);
	ARG("--memory=%lldM", (long long)config_int(c, "memory",
							 DOMAIN_DEFAULT_MEMORY_MIB));
	ARG("--vcpus=%lld",
	    (long long)config_int(c, "vcpus", DOMAIN_DEFAULT_VCPUS));
	/* keel-hv keeps the console's history and log (docs/console.md). */
	ARG("--console=none");
	ARG("--console-socket=%s/console.sock", run->dir);
	ARG("--console-log=%s/console.log", run->dir);
	ARG("--control=%s/control.sock", run->dir);
	ARG("--status-file=%s/exit.json", run->dir);
	ARG("--uuid=%s", run->dom->uuid);
	ARG("--name=%s", run->dom->name);
	if (paused)
		ARG("--paused");
	if (config_wants_linger(c))
		ARG("--linger");
	if (json_object_object_get_ex(c, "disks", &list)) {
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct json_object *d = json_object_array_get_idx(list, i);
			struct json_object *ro;
			bool readonly = json_object_object_get_ex(d, "readonly",
								  &ro) &&
					json_object_get_boolean(ro);

			if (n + 8 >= cap)
				ok = false;
			ARG("--disk=%s%s", json_member_string(d, "path"),
			    readonly ? ",ro" : "");
		}
	}
	if (json_object_object_get_ex(c, "nics", &list)) {
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct json_object *nic = json_object_array_get_idx(list, i);
			const char *mac = json_member_string(nic, "mac");

			if (n + 8 >= cap)
				ok = false;
			ARG("--net=tap=%s%s%s", json_member_string(nic, "tap"),
			    mac ? ",mac=" : "", mac ? mac : "");
		}
	}
#undef ARG
	if (!ok) {
		for (size_t i = 0; argv && i < n; i++)
			free(argv[i]);
		free(argv);
		return NULL;
	}
	return argv;
}

/*
 * Give every NIC without a tap name one (keelID.N, as xl's vifID.N) and
 * without a MAC a random one in Xen's 00:16:3e prefix, as xl does. The
 * live configuration records both, so a re-adopted domain keeps them.
 */
static void name_taps(struct json_object *config, int id)
{
	struct json_object *list;

	if (!json_object_object_get_ex(config, "nics", &list))
		return;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *nic = json_object_array_get_idx(list, i);
		char name[32];

		if (!json_member_string(nic, "mac")) {
			unsigned char b[3] = { 0 };
			char mac[18];

			if (getrandom(b, sizeof(b), 0) != sizeof(b))
				b[2] = (unsigned char)(id + (int)i);
			snprintf(mac, sizeof(mac), "00:16:3e:%02x:%02x:%02x",
				 b[0] & 0x7f, b[1], b[2]);
			json_object_object_add(nic, "mac",
					       json_object_new_string(mac));
		}
		if (json_member_string(nic, "tap"))
			continue;
		/* Within IFNAMSIZ for ids below 10^8 and 99 NICs. */
		snprintf(name, sizeof(name), "keel%d.%zu", id % 100000000,
			 i % 100);
		json_object_object_add(nic, "tap", json_object_new_string(name));
	}
}

/* Add tap @tap to bridge @bridge and bring it up (xl's vif-bridge). */
static int bridge_attach(const char *tap, const char *bridge)
{
	struct ifreq ifr;
	int fd, index, rc = 0;

	index = (int)if_nametoindex(tap);
	if (!index)
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
	ifr.ifr_ifindex = index;
	if (ioctl(fd, SIOCBRADDIF, &ifr) && errno != EBUSY)
		rc = -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
	if (!rc && !ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			rc = -errno;
	}
	close(fd);
	return rc;
}

static int attach_bridges(struct domain_run *run, char *why, size_t size)
{
	struct json_object *list;

	if (!json_object_object_get_ex(run->config, "nics", &list))
		return 0;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *nic = json_object_array_get_idx(list, i);
		const char *bridge = json_member_string(nic, "bridge");
		const char *tap = json_member_string(nic, "tap");
		int rc;

		if (!bridge)
			continue;
		rc = bridge_attach(tap, bridge);
		if (rc) {
			snprintf(why, size,
				 "cannot add %s to the bridge %s: %s", tap,
				 bridge, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* keel-hv answered its first status: the domain is up. */
static void on_started(struct hv *hv, struct json_object *result, int code,
		       const char *message, void *opaque)
{
	struct domain_run *run = opaque;
	struct domain *dom = run->dom;
	struct reply *r = run->start_reply;
	char why[256];

	if (code) {
		/* It exited: run_vm_stopped() answers with its log line. */
		if (!run->starting)
			return;
		if (code != KEEL_ERR_OPERATION_FAILED) {
			answer_error(r, KEEL_ERR_OPERATION_FAILED,
				     "The hypervisor of domain %s did not come up: %s",
				     dom->name, message);
			run->start_reply = NULL;
			run->intent = INTENT_DESTROY;
			hv_kill(run->hv);
		}
		return;
	}
	if (attach_bridges(run, why, sizeof(why))) {
		answer_error(r, KEEL_ERR_OPERATION_FAILED,
			     "Domain %s could not start: %s.", dom->name, why);
		run->start_reply = NULL;
		run->intent = INTENT_DESTROY;
		hv_kill(run->hv);
		return;
	}
	run->starting = false;
	run->start_reply = NULL;
	if (run->paused_start)
		set_state(run, DOMAIN_PAUSED, DOMAIN_REASON_USER);
	log_info("Domain %s started with id %d (keel-hv pid %d).", dom->name,
		 dom->id, (int)run->pid);
	lifecycle_emit(run->k, dom, "started", "booted");
	if (run->paused_start)
		lifecycle_emit(run->k, dom, "suspended", "paused");
	answer(r, domain_summary(dom));
}

static void start_domain(struct keeld *k, struct domain *dom, bool paused,
			 int id, struct reply *r)
{
	struct domain_run *run = calloc(1, sizeof(*run));
	char **argv = NULL;
	int rc = -ENOMEM;

	if (!run)
		goto fail;
	run->k = k;
	run->dom = dom;
	run->paused_start = paused;
	run->starting = true;
	if (asprintf(&run->dir, "%s/domains/%s", k->conf.run_dir,
		     dom->uuid) < 0) {
		run->dir = NULL;
		goto fail;
	}
	if (json_object_deep_copy(dom->config, &run->config, NULL))
		goto fail;
	run->shutdown_timer = evtimer_new(k->base, NULL, NULL);
	if (!run->shutdown_timer)
		goto fail;
	if (id < 0)
		id = k->next_domain_id++;
	name_taps(run->config, id);
	if (mkdir(run->dir, 0700) && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	run_unlink_files(run);
	argv = build_argv(k, run, paused);
	if (!argv)
		goto fail;
	rc = hv_spawn(k->base, run->dir, argv, &run_hv_ops, run, &run->hv);
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
	if (rc)
		goto fail;
	run->pid = hv_pid(run->hv);
	run->starttime = hv_starttime(run->pid);
	run->started = wall_now();
	run->start_reply = r;
	dom->run = run;
	dom->id = id;
	set_state(run, DOMAIN_RUNNING, DOMAIN_REASON_BOOTED);
	hv_call(run->hv, "status", NULL, on_started, run);
	return;
fail:
	answer_error(r, rc == -ENOMEM ? KEEL_ERR_RESOURCE :
					KEEL_ERR_OPERATION_FAILED,
		     "Domain %s could not start: %s.", dom->name,
		     strerror(-rc));
	log_err("Domain %s could not start: %s.", dom->name, strerror(-rc));
	if (run) {
		run->start_reply = NULL;
		run_free(run);
	}
	dom->state = DOMAIN_SHUTOFF;
	dom->reason = DOMAIN_REASON_FAILED;
	if (!dom->persistent)
		registry_forget(k->reg, dom);
}

void lifecycle_start(struct keeld *k, struct domain *dom, bool paused,
		     struct reply *r)
{
	start_domain(k, dom, paused, -1, r);
}

/* The answer to a pause, resume or power-button call. */
struct op {
	struct domain_run *run;
	struct reply *r;
	enum domain_state state;	/* on success */
	enum domain_reason reason;
	const char *event, *detail;	/* NULL: no event */
	bool wait;			/* answer when the run ends */
	int timeout_s;
};

static void on_shutdown_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct domain_run *run = arg;

	log_info("Domain %s did not shut down in time; stopping it.",
		 run->dom->name);
	run->intent = INTENT_FORCED;
	if (run->hv)
		hv_kill(run->hv);
}

static void on_op_done(struct hv *hv, struct json_object *result, int code,
		       const char *message, void *opaque)
{
	struct op *op = opaque;
	struct domain_run *run = op->run;

	if (code) {
		if (run->intent == INTENT_SHUTDOWN ||
		    run->intent == INTENT_REBOOT)
			run->intent = INTENT_NONE;
		answer_error(op->r, code, "%s", message);
		free(op);
		return;
	}
	if (op->event) {
		set_state(run, op->state, op->reason);
		lifecycle_emit(run->k, run->dom, op->event, op->detail);
	} else if (op->state == DOMAIN_SHUTDOWN &&
		   run->dom->state == DOMAIN_RUNNING) {
		set_state(run, DOMAIN_SHUTDOWN, DOMAIN_REASON_USER);
	}
	if (op->timeout_s > 0) {
		struct timeval tv = { op->timeout_s, 0 };

		/* A second shutdown restarts the clock. */
		evtimer_del(run->shutdown_timer);
		event_assign(run->shutdown_timer, run->k->base, -1, 0,
			     on_shutdown_timeout, run);
		evtimer_add(run->shutdown_timer, &tv);
	}
	if (op->wait)
		run_add_waiter(run, op->r);
	else
		answer(op->r, domain_summary(run->dom));
	free(op);
}

static void run_op(struct domain *dom, const char *method, struct op *tmpl,
		   struct reply *r)
{
	struct op *op = malloc(sizeof(*op));

	if (!op) {
		answer_error(r, KEEL_ERR_RESOURCE, "keeld ran out of memory.");
		return;
	}
	*op = *tmpl;
	op->run = dom->run;
	op->r = r;
	if (!dom->run->hv) {
		answer_error(r, KEEL_ERR_INVALID_STATE,
			     "Domain %s has no hypervisor process any more.",
			     dom->name);
		free(op);
		return;
	}
	hv_call(dom->run->hv, method, NULL, on_op_done, op);
}

void lifecycle_pause(struct keeld *k, struct domain *dom, struct reply *r)
{
	struct op op = { .state = DOMAIN_PAUSED, .reason = DOMAIN_REASON_USER,
			 .event = "suspended", .detail = "paused" };

	run_op(dom, "pause", &op, r);
}

void lifecycle_unpause(struct keeld *k, struct domain *dom, struct reply *r)
{
	struct op op = { .state = DOMAIN_RUNNING,
			 .reason = DOMAIN_REASON_UNPAUSED,
			 .event = "resumed", .detail = "unpaused" };

	run_op(dom, "resume", &op, r);
}

void lifecycle_shutdown(struct keeld *k, struct domain *dom, int timeout_s,
			bool wait, struct reply *r)
{
	struct op op = { .state = DOMAIN_SHUTDOWN, .wait = wait,
			 .timeout_s = timeout_s };

	if (dom->run->intent == INTENT_NONE)
		dom->run->intent = INTENT_SHUTDOWN;
	run_op(dom, "power-button", &op, r);
}

void lifecycle_reboot(struct keeld *k, struct domain *dom, struct reply *r)
{
	struct op op = { .state = DOMAIN_SHUTDOWN };

	dom->run->intent = INTENT_REBOOT;
	run_op(dom, "power-button", &op, r);
}

void lifecycle_destroy(struct keeld *k, struct domain *dom, struct reply *r)
{
	struct domain_run *run = dom->run;

	run->intent = INTENT_DESTROY;
	if (run_add_waiter(run, r))
		return;
	if (run->hv) {
		hv_kill(run->hv);
		return;
	}
	run_finish(run, ACTION_DESTROY, DOMAIN_REASON_DESTROYED, "destroyed");
}

static void on_stats(struct hv *hv, struct json_object *result, int code,
		     const char *message, void *opaque)
{
	struct reply *r = opaque;

	if (code)
		answer_error(r, code, "%s", message);
	else
		answer(r, json_object_get(result));
}

void lifecycle_stats(struct keeld *k, struct domain *dom, struct reply *r)
{
	if (!dom->run->hv) {
		answer_error(r, KEEL_ERR_INVALID_STATE,
			     "Domain %s has no hypervisor process any more.",
			     dom->name);
		return;
	}
	hv_call(dom->run->hv, "stats", NULL, on_stats, r);
}

struct json_object *lifecycle_live_config(const struct domain *dom)
{
	return dom->run ? dom->run->config : NULL;
}

const char *lifecycle_run_dir(const struct domain *dom)
{
	return dom->run && dom->run->hv ? dom->run->dir : NULL;
}

double lifecycle_uptime(const struct domain *dom)
{
	return dom->run ? wall_now() - dom->run->started : -1;
}

double lifecycle_cpu_time(const struct domain *dom)
{
	static long ticks_per_s;
	struct hv_proc_stat st;

	if (!dom->run || !dom->run->hv ||
	    hv_proc_stat(dom->run->pid, &st) ||
	    st.starttime != dom->run->starttime)
		return 0;
	if (!ticks_per_s)
		ticks_per_s = sysconf(_SC_CLK_TCK);
	return ticks_per_s > 0 ? (double)st.cpu_ticks / (double)ticks_per_s :
				 0;
}

/* Add @v (owned) as @key, a string constant no other member has. */
static void summary_add(struct json_object *o, const char *key,
			struct json_object *v)
{
	json_object_object_add_ex(o, key, v,
				  JSON_C_OBJECT_ADD_KEY_IS_NEW |
					  JSON_C_OBJECT_ADD_CONSTANT_KEY);
}

/*
 * domain.list builds one of these per domain on every call, so it is
 * built with as few allocations as json-c allows: the keys are not
 * copied, and the name and uuid are the configuration's own string
 * objects, shared (nobody edits a string object in place; a rename
 * replaces it). Memory and vCPUs are what the domain runs with, else
 * what it is defined with, keeld's defaults filled in.
 */
struct json_object *domain_summary(const struct domain *dom)
{
	struct json_object *o = json_object_new_object(), *name, *uuid;
	struct json_object *config = dom->run ? dom->run->config : dom->config;

	if (!o)
		return NULL;
	json_object_object_get_ex(dom->config, "name", &name);
	json_object_object_get_ex(dom->config, "uuid", &uuid);
	summary_add(o, "name", json_object_get(name));
	summary_add(o, "uuid", json_object_get(uuid));
	summary_add(o, "id", dom->id < 0 ? NULL : json_object_new_int(dom->id));
	summary_add(o, "state",
		    json_object_new_string(domain_state_name(dom->state)));
	summary_add(o, "reason",
		    json_object_new_string(domain_reason_name(dom->reason)));
	summary_add(o, "persistent", json_object_new_boolean(dom->persistent));
	summary_add(o, "autostart", json_object_new_boolean(dom->autostart));
	summary_add(o, "memory",
		    json_object_new_int64(config_int(
			    config, "memory", DOMAIN_DEFAULT_MEMORY_MIB)));
	summary_add(o, "vcpus",
		    json_object_new_int64(config_int(config, "vcpus",
						     DOMAIN_DEFAULT_VCPUS)));
	summary_add(o, "cpu_time",
		    json_object_new_double(lifecycle_cpu_time(dom)));
	return o;
}

int lifecycle_init(struct keeld *k)
{
	char *dir;
	int rc = 0;

	if (asprintf(&dir, "%s/domains", k->conf.run_dir) < 0)
		return -ENOMEM;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		rc = -errno;
		log_err("Cannot create %s: %s.", dir, strerror(errno));
	}
	free(dir);
	k->next_domain_id = 1;
	return rc;
}

/* An adopted keel-hv's first status: does its VM still run? */
static void on_adopt_status(struct hv *hv, struct json_object *result,
			    int code, const char *message, void *opaque)
{
	struct domain_run *run = opaque;
	struct json_object *v;
	const char *state = NULL;

	if (code) {
		log_warn("Domain %s: its keel-hv does not answer (%s); it is watched anyway.",
			 run->dom->name, message);
		return;
	}
	if (json_object_object_get_ex(result, "uuid", &v) &&
	    strcasecmp(json_object_get_string(v), run->dom->uuid))
		log_warn("Domain %s: its keel-hv reports the uuid %s.",
			 run->dom->name, json_object_get_string(v));
	if (json_object_object_get_ex(result, "state", &v))
		state = json_object_get_string(v);
	if (state && !strcmp(state, "paused") &&
	    run->dom->state == DOMAIN_RUNNING)
		set_state(run, DOMAIN_PAUSED, DOMAIN_REASON_USER);
	else if (state && !strcmp(state, "running") &&
		 run->dom->state == DOMAIN_PAUSED)
		set_state(run, DOMAIN_RUNNING, DOMAIN_REASON_UNPAUSED);
	else if (state && !strcmp(state, "stopped") && !run->lingering) {
		/* Its VM ended while keeld was away, and it lingers. */
		enum hv_end end = HV_END_LOST;
		char *detail = NULL;

		hv_read_exit(run->dir, &end, &detail);
		free(detail);
		run_vm_stopped(run, end, false);
	}
}

/* Take over the domain whose files are in @dir, or apply its end. */
static void recover_one(struct keeld *k, const char *dir)
{
	struct json_object *st, *v, *config = NULL;
	struct domain_run *run;
	struct domain *dom;
	enum domain_state state = DOMAIN_RUNNING;
	enum domain_reason reason = DOMAIN_REASON_UNKNOWN;
	char path[PATH_MAX];
	const char *uuid, *field;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/state.json", dir) >=
	    sizeof(path))
		return;
	st = json_object_from_file(path);
	if (!st)
		return;
	uuid = json_member_string(st, "uuid");
	if (!uuid || !json_object_object_get_ex(st, "config", &v) ||
	    json_object_deep_copy(v, &config, NULL)) {
		log_warn("%s is not a state file keeld wrote; ignored.", path);
		json_object_put(st);
		return;
	}
	dom = registry_find_uuid(k->reg, uuid);
	if (!dom) {
		json_object_get(config);
		rc = registry_add_transient(k->reg, config, &dom, &field);
		if (rc) {
			log_err("Cannot take over the domain in %s (%s); its keel-hv is left alone.",
				dir, strerror(-rc));
			json_object_put(config);
			json_object_put(st);
			return;
		}
	}
	if (dom->run) {
		json_object_put(config);
		json_object_put(st);
		return;
	}
	run = calloc(1, sizeof(*run));
	if (!run) {
		json_object_put(config);
		json_object_put(st);
		return;
	}
	run->k = k;
	run->dom = dom;
	run->dir = strdup(dir);
	run->config = config;
	run->shutdown_timer = evtimer_new(k->base, NULL, NULL);
	run->pid = (pid_t)config_int(st, "pid", 0);
	if (json_object_object_get_ex(st, "starttime", &v))
		run->starttime = json_object_get_uint64(v);
	if (json_object_object_get_ex(st, "started", &v))
		run->started = json_object_get_double(v);
	if (json_object_object_get_ex(st, "lingering", &v))
		run->lingering = json_object_get_boolean(v);
	if (json_member_string(st, "state"))
		domain_state_parse(json_member_string(st, "state"), &state);
	if (json_member_string(st, "reason"))
		domain_reason_parse(json_member_string(st, "reason"), &reason);
	dom->id = (int)config_int(st, "id", 0);
	dom->state = state;
	dom->reason = reason;
	dom->run = run;
	if (dom->id >= k->next_domain_id)
		k->next_domain_id = dom->id + 1;
	json_object_put(st);
	if (!run->dir || !run->shutdown_timer) {
		dom->run = NULL;
		run_free(run);
		return;
	}
	rc = hv_adopt(k->base, dir, run->pid, run->starttime, &run_hv_ops,
		      run, &run->hv);
	if (rc == 0) {
		log_info("Re-adopted domain %s (id %d, keel-hv pid %d).",
			 dom->name, dom->id, (int)run->pid);
		hv_call(run->hv, "status", NULL, on_adopt_status, run);
		return;
	}
	/* It ended while keeld was away: act as if keeld had seen it. */
	{
		enum hv_end end = HV_END_LOST;
		char *detail = NULL;

		hv_read_exit(dir, &end, &detail);
		log_info("Domain %s (id %d) ended while keeld was not running (%s).",
			 dom->name, dom->id, hv_end_name(end));
		free(detail);
		if (run->lingering) {
			run_finish(run, ACTION_DESTROY,
				   dom->reason == DOMAIN_REASON_PANICKED ?
					   DOMAIN_REASON_CRASHED :
					   DOMAIN_REASON_SHUTDOWN,
				   "shutdown");
			return;
		}
		run_vm_stopped(run, end, true);
	}
}

void lifecycle_recover(struct keeld *k)
{
	struct dirent *de;
	char dir[PATH_MAX];
	DIR *d;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/domains",
			     k->conf.run_dir) >= sizeof(dir))
		return;
	d = opendir(dir);
	if (d) {
		while ((de = readdir(d))) {
			char sub[PATH_MAX];

			if (de->d_name[0] == '.')
				continue;
			if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir,
					     de->d_name) >= sizeof(sub))
				continue;
			recover_one(k, sub);
		}
		closedir(d);
	}
	for (struct domain *dom = registry_first(k->reg), *next; dom;
	     dom = next) {
		next = dom->next;
		if (dom->persistent && dom->autostart && !dom->run) {
			log_info("Starting domain %s (autostart).", dom->name);
			start_domain(k, dom, false, -1, NULL);
		}
	}
}

void lifecycle_detach_all(struct keeld *k)
{
	for (struct domain *dom = registry_first(k->reg); dom;
	     dom = dom->next) {
		if (dom->run) {
			run_free(dom->run);
			dom->run = NULL;
		}
	}
}
