// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Domain events for libvirt's clients (docs/libvirt.md, "Events and
 * consoles"). keeld sends its lifecycle events to one libkeel
 * connection of keel-virtd's, subscribed once; this file turns each
 * into libvirt's LIFECYCLE message (the callback form, procedure 318),
 * or its REBOOT (319) for keeld's "rebooted", and keeld's device events
 * into DEVICE_ADDED (354) and DEVICE_REMOVED (333), and sends it,
 * serial 0, to every callback registered for it. keel's
 * event and detail names are libvirt's in lower case, so the mapping is
 * one table of names to libvirt's numbers.
 *
 * The same events keep keel-virtd's state cache (virt_cache.c) true, so
 * the subscription is made when keel-virtd starts, whether or not a
 * client has callbacks, and the cache answers only while it is up.
 *
 * Everything here runs on the loop thread, so the callbacks need no
 * lock. keeld going away ends the subscription: keel-virtd connects and
 * subscribes again every VIRT_EVENTS_RETRY_MS; events of the gap are
 * lost, as they are to libvirt's clients of a libvirtd that restarts.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "virt_cache.h"
#include "virt_error.h"
#include "virt_events.h"
#include "virt_frame.h"
#include "virt_handlers.h"
#include "virt_server.h"

/* libvirt's virDomainEventID values keel-virtd sends. */
#define VIR_DOMAIN_EVENT_ID_LIFECYCLE 0
#define VIR_DOMAIN_EVENT_ID_REBOOT 1
#define VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED 15
#define VIR_DOMAIN_EVENT_ID_DEVICE_ADDED 19
/* The callback forms of those events' messages. */
#define VX_PROC_EVENT_LIFECYCLE 318
#define VX_PROC_EVENT_REBOOT 319
#define VX_PROC_EVENT_DEVICE_REMOVED 333
#define VX_PROC_EVENT_DEVICE_ADDED 354

struct virt_ev_cb {
	struct virt_client *c;
	int id, event_id;
	bool any_dom;
	char uuid[VX_UUID_LEN];
	struct virt_ev_cb *next;
};

struct virt_events {
	struct event_base *base;
	const struct virt_options *opts;
	struct keel_conn *kc;		/* subscribed; NULL: not connected */
	struct event *rd, *retry;
	struct virt_ev_cb *cbs;
	int last_id;
	bool warned;			/* keeld's absence was logged */
	struct virt_cache *cache;
	/* Changes answered whose events the cache waits for (under lock). */
	struct event *sync;
	pthread_mutex_t lock;
	unsigned changes_done;
};

/*
 * keel's lifecycle events in libvirt's numbers: virDomainEventType and
 * its per-type detail enum (libvirt-domain.h, libvirt 9.0.0). A detail
 * keel has and libvirt not (undefined "migrated") is the type's first.
 */
struct ev_detail {
	const char *name;
	int value;
};

static const struct {
	const char *name;
	int value;
	struct ev_detail details[7];
} ev_map[] = {
	{ "defined", 0, { { "added", 0 }, { "updated", 1 }, { "renamed", 2 } } },
	{ "undefined", 1, { { "removed", 0 }, { "renamed", 1 } } },
	{ "started", 2,
	  { { "booted", 0 }, { "migrated", 1 }, { "restored", 2 } } },
	{ "suspended", 3,
	  { { "paused", 0 }, { "migrated", 1 }, { "ioerror", 2 },
	    { "watchdog", 3 }, { "restored", 4 }, { "api_error", 6 } } },
	{ "resumed", 4, { { "unpaused", 0 }, { "migrated", 1 } } },
	{ "stopped", 5,
	  { { "shutdown", 0 }, { "destroyed", 1 }, { "crashed", 2 },
	    { "migrated", 3 }, { "saved", 4 }, { "failed", 5 } } },
	{ "shutdown", 6, { { "finished", 0 }, { "guest", 1 }, { "host", 2 } } },
	{ "crashed", 8, { { "panicked", 0 } } },
};

int virt_event_lookup(const char *event, const char *detail, int *type,
		      int *det)
{
	size_t i, j;

	for (i = 0; i < sizeof(ev_map) / sizeof(ev_map[0]); i++) {
		if (strcmp(ev_map[i].name, event))
			continue;
		*type = ev_map[i].value;
		*det = 0;
		for (j = 0; detail && ev_map[i].details[j].name; j++)
			if (!strcmp(ev_map[i].details[j].name, detail))
				*det = ev_map[i].details[j].value;
		return 0;
	}
	return -ENOENT;
}

/* --- Fan-out ----------------------------------------------------------- */

/*
 * Send @m, procedure @proc's message whose first member is the callback
 * number (@callback_id, in @m), to @cb.
 */
static void ev_send(struct virt_ev_cb *cb, int proc, xdrproc_t xdr, void *m,
		    int *callback_id)
{
	struct vx_header h = {
		.prog = VX_PROGRAM,
		.vers = VX_PROGRAM_VERSION,
		.proc = proc,
		.type = VX_MESSAGE,
		.serial = 0,
		.status = VX_OK,
	};
	uint8_t *out;
	size_t len;

	/*
	 * A client that does not read its events is closed rather than
	 * let them pile up or lose some unseen: a lost event leaves its
	 * picture of the domains wrong without its knowing.
	 */
	if (virt_client_backlogged(cb->c)) {
		virt_client_drop(cb->c,
				 "it left its events unread past keel-virtd's limit.");
		return;
	}
	*callback_id = cb->id;
	if (virt_msg_encode(&h, xdr, m, &out, &len)) {
		log_warn_limited("%s: cannot encode an event.", __func__);
		return;
	}
	virt_client_send(cb->c, out, len);
}

/* ev_send() to every callback for @event_id and the domain @uuid. */
static void ev_fan_out(struct virt_events *ev, int event_id, const char *uuid,
		       int proc, xdrproc_t xdr, void *m, int *callback_id)
{
	struct virt_ev_cb *cb;

	for (cb = ev->cbs; cb; cb = cb->next)
		if (cb->event_id == event_id &&
		    (cb->any_dom || !memcmp(cb->uuid, uuid, VX_UUID_LEN)))
			ev_send(cb, proc, xdr, m, callback_id);
}

/*
 * A lifecycle event that only accompanies a reboot (keeld's "reboot":
 * true on the stopped and started of one): libvirt's clients get the
 * REBOOT event alone, as from libvirt's QEMU driver (docs/libvirt.md).
 */
static bool ev_of_reboot(const struct keel_event *e)
{
	struct json_object *v;

	return e->raw && json_object_object_get_ex(e->raw, "reboot", &v) &&
	       json_object_get_boolean(v);
}

/* @e's domain as the client names it into @dom; false: logged. */
static bool ev_dom(const struct keel_event *e, struct vx_dom *dom)
{
	struct virt_call call = { 0 };

	if (!virt_dom_fill(&call, dom, &e->domain))
		return true;
	log_warn_limited("%s: %s", __func__,
			 call.message ? call.message : "out of memory");
	free(call.message);
	return false;
}

/* keeld's device_added or device_removed: libvirt's DEVICE_ADDED/REMOVED. */
static void ev_device(struct virt_events *ev, const struct keel_event *e)
{
	bool added = !strcmp(e->event, "device_added");
	struct vx_event_device_msg m = { 0 };
	struct json_object *name;

	if (!added && strcmp(e->event, "device_removed"))
		return;
	if (!e->raw || !json_object_object_get_ex(e->raw, "device", &name) ||
	    !ev_dom(e, &m.dom))
		return;
	m.dev_alias = (char *)json_object_get_string(name);
	ev_fan_out(ev,
		   added ? VIR_DOMAIN_EVENT_ID_DEVICE_ADDED :
			   VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
		   m.dom.uuid,
		   added ? VX_PROC_EVENT_DEVICE_ADDED :
			   VX_PROC_EVENT_DEVICE_REMOVED,
		   (xdrproc_t)xdr_vx_event_device_msg, &m, &m.callback_id);
	free(m.dom.name);
}

static void ev_deliver(struct keel_conn *kc, const struct keel_event *e,
		       void *opaque)
{
	struct virt_events *ev = opaque;
	struct vx_event_lifecycle_msg m = { 0 };
	struct vx_event_reboot_msg rb = { 0 };
	bool reboot;

	if (!e->type || !e->event)
		return;
	if (!strcmp(e->type, "device")) {
		ev_device(ev, e);
		return;
	}
	if (strcmp(e->type, "lifecycle"))
		return;
	virt_cache_forget(ev->cache, e->domain.uuid);
	reboot = !strcmp(e->event, "rebooted");
	if (!reboot && ev_of_reboot(e))
		return;
	if (!reboot &&
	    virt_event_lookup(e->event, e->detail, &m.event, &m.detail)) {
		log_debug("keeld sent the event \"%s\", which libvirt has no number for.",
			  e->event);
		return;
	}
	if (!ev_dom(e, &m.dom))
		return;
	if (reboot) {
		rb.dom = m.dom;
		ev_fan_out(ev, VIR_DOMAIN_EVENT_ID_REBOOT, m.dom.uuid,
			   VX_PROC_EVENT_REBOOT,
			   (xdrproc_t)xdr_vx_event_reboot_msg, &rb,
			   &rb.callback_id);
	} else {
		ev_fan_out(ev, VIR_DOMAIN_EVENT_ID_LIFECYCLE, m.dom.uuid,
			   VX_PROC_EVENT_LIFECYCLE,
			   (xdrproc_t)xdr_vx_event_lifecycle_msg, &m,
			   &m.callback_id);
	}
	free(m.dom.name);
}

/* --- keeld's connection -------------------------------------------------- */

static void ev_disconnect(struct virt_events *ev)
{
	virt_cache_set_live(ev->cache, false);
	if (ev->rd)
		event_free(ev->rd);
	ev->rd = NULL;
	keel_close(ev->kc);
	ev->kc = NULL;
}

static void ev_schedule_retry(struct virt_events *ev)
{
	const struct timeval tv = {
		.tv_sec = VIRT_EVENTS_RETRY_MS / 1000,
		.tv_usec = VIRT_EVENTS_RETRY_MS % 1000 * 1000,
	};

	evtimer_add(ev->retry, &tv);
}

static void ev_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct virt_events *ev = arg;

	do {
		if (keel_event_dispatch(ev->kc) < 0) {
			log_warn("keeld closed keel-virtd's event subscription; subscribing again.");
			ev_disconnect(ev);
			ev_schedule_retry(ev);
			return;
		}
	} while (keel_event_pending(ev->kc));
}

/* Connect and subscribe; on failure try again later. */
static void ev_connect(struct virt_events *ev)
{
	char *err = NULL;

	if (ev->kc)
		return;
	if (keel_connect(ev->opts->keeld, &ev->kc, &err)) {
		if (!ev->warned)
			log_warn("Cannot subscribe to keeld's events, trying again every %d ms: %s",
				 VIRT_EVENTS_RETRY_MS,
				 err ? err : "cannot connect.");
		ev->warned = true;
		free(err);
		ev->kc = NULL;
		ev_schedule_retry(ev);
		return;
	}
	keel_set_event_callback(ev->kc, ev_deliver, ev);
	if (keel_events_subscribe(ev->kc)) {
		log_warn("keeld refused keel-virtd's event subscription: %s",
			 keel_last_error(ev->kc)->message);
		goto out_retry;
	}
	ev->rd = event_new(ev->base, keel_event_fd(ev->kc),
			   EV_READ | EV_PERSIST, ev_read_cb, ev);
	if (!ev->rd || event_add(ev->rd, NULL))
		goto out_retry;
	if (ev->warned)
		log_info("Subscribed to keeld's events again.");
	ev->warned = false;
	virt_cache_set_live(ev->cache, true);
	/* Events that came with the subscription's answer are queued. */
	if (keel_event_pending(ev->kc))
		event_active(ev->rd, EV_READ, 0);
	return;
out_retry:
	ev_disconnect(ev);
	ev_schedule_retry(ev);
}

static void ev_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	ev_connect(arg);
}

/* --- keel-virtd's own changes (virt_cache.c) ----------------------------- */

void virt_events_change_begin(struct virt_events *ev)
{
	virt_cache_hold(ev->cache);
}

void virt_events_change_end(struct virt_events *ev)
{
	pthread_mutex_lock(&ev->lock);
	ev->changes_done++;
	pthread_mutex_unlock(&ev->lock);
	event_active(ev->sync, EV_TIMEOUT, 0);
}

/*
 * The changes answered so far have their events sent: keeld answers a
 * call on the subscription's connection after every event it sent
 * there before, and it sent a change's events before it answered the
 * change. One round trip serves every change answered before it.
 */
static void ev_sync_cb(evutil_socket_t fd, short what, void *arg)
{
	struct virt_events *ev = arg;
	struct keel_host_info hi;
	unsigned n;

	pthread_mutex_lock(&ev->lock);
	n = ev->changes_done;
	ev->changes_done = 0;
	pthread_mutex_unlock(&ev->lock);
	if (ev->kc && keel_host_info(ev->kc, &hi)) {
		log_warn("keeld did not answer on keel-virtd's event subscription: %s; subscribing again.",
			 keel_last_error(ev->kc)->message);
		ev_disconnect(ev);
		ev_schedule_retry(ev);
	} else if (ev->kc && keel_event_pending(ev->kc)) {
		ev_read_cb(-1, EV_READ, ev);
	}
	virt_cache_unhold(ev->cache, n);
}

struct virt_cache *virt_events_cache(struct virt_events *ev)
{
	return ev->cache;
}

int virt_events_new(struct event_base *base, const struct virt_options *o,
		    struct virt_events **out)
{
	struct virt_events *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return -ENOMEM;
	ev->base = base;
	ev->opts = o;
	pthread_mutex_init(&ev->lock, NULL);
	ev->retry = evtimer_new(base, ev_retry_cb, ev);
	ev->sync = evtimer_new(base, ev_sync_cb, ev);
	if (!ev->retry || !ev->sync || virt_cache_new(&ev->cache)) {
		virt_events_free(ev);
		return -ENOMEM;
	}
	/* Subscribed from the start: the cache needs it (virt_cache.c). */
	event_active(ev->retry, EV_TIMEOUT, 0);
	*out = ev;
	return 0;
}

void virt_events_free(struct virt_events *ev)
{
	struct virt_ev_cb *cb;

	if (!ev)
		return;
	if (ev->cache)
		ev_disconnect(ev);
	if (ev->retry)
		event_free(ev->retry);
	if (ev->sync)
		event_free(ev->sync);
	while ((cb = ev->cbs)) {
		ev->cbs = cb->next;
		free(cb);
	}
	virt_cache_free(ev->cache);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}

void virt_events_client_gone(struct virt_events *ev, struct virt_client *c)
{
	struct virt_ev_cb **p = &ev->cbs, *cb;

	while ((cb = *p)) {
		if (cb->c == c) {
			*p = cb->next;
			free(cb);
		} else {
			p = &cb->next;
		}
	}
}

/* --- The procedures ------------------------------------------------------ */

int virt_h_event_register_any(struct virt_call *call, void *args, void *ret)
{
	struct vx_event_register_any_args *a = args;
	struct vx_event_register_any_ret *r = ret;
	struct virt_events *ev = virt_client_events(call->client);
	struct virt_ev_cb *cb;
	unsigned n = 0;

	if (a->event_id < 0 || a->event_id >= VX_EVENT_ID_LAST)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "libvirt has no event %d (0 to %d).",
				       a->event_id, VX_EVENT_ID_LAST - 1);
	for (cb = ev->cbs; cb; cb = cb->next)
		n += cb->c == call->client;
	if (n >= VIRT_EVENTS_MAX_CALLBACKS)
		return virt_call_error(call, VIR_ERR_OPERATION_FAILED,
				       "This connection has %d event callbacks, keel-virtd's limit; deregister some first.",
				       VIRT_EVENTS_MAX_CALLBACKS);
	cb = calloc(1, sizeof(*cb));
	if (!cb)
		return virt_call_nomem(call);
	cb->c = call->client;
	cb->event_id = a->event_id;
	cb->any_dom = !a->dom;
	if (a->dom)
		memcpy(cb->uuid, a->dom->uuid, VX_UUID_LEN);
	/* Numbers are never reused, so a stale one matches nothing. */
	if (ev->last_id == 0x7fffffff)
		ev->last_id = 0;
	cb->id = ++ev->last_id;
	cb->next = ev->cbs;
	ev->cbs = cb;
	r->callback_id = cb->id;
	return 0;
}

int virt_h_event_deregister_any(struct virt_call *call, void *args, void *ret)
{
	struct vx_event_deregister_any_args *a = args;
	struct virt_events *ev = virt_client_events(call->client);
	struct virt_ev_cb **p, *cb;

	for (p = &ev->cbs; (cb = *p); p = &cb->next) {
		if (cb->id == a->callback_id && cb->c == call->client) {
			*p = cb->next;
			free(cb);
			return 0;
		}
	}
	return virt_call_error(call, VIR_ERR_INVALID_ARG,
			       "This connection has no event callback %d.",
			       a->callback_id);
}
