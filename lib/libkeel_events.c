// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkeel's events (keel.h, libkeel(3)): keeld's "event" notifications,
 * queued as they arrive, whether a call was waiting for its reply
 * (libkeel.c queues them then) or the caller asked for them, and
 * delivered to the connection's callback by keel_event_dispatch() and
 * keel_event_wait(). Decoding is lenient, so that an event is never
 * lost to a detail.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keel.h"
#include "libkeel_internal.h"

/* Most reads one keel_event_dispatch() makes before it delivers. */
#define EVENT_READS_MAX 64

/* The queue */

int libkeel_queue_notification(struct keel_conn *c,
			       const struct jsonrpc_resp *resp)
{
	struct keel_queued *q;

	if (strcmp(resp->method, "event") != 0 ||
	    !json_object_is_type(resp->params, json_type_object))
		return 0;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->params = json_object_get(resp->params);
	if (c->queue_tail)
		c->queue_tail->next = q;
	else
		c->queue_head = q;
	c->queue_tail = q;
	c->nr_queued++;
	return 0;
}

void libkeel_queue_free(struct keel_conn *c)
{
	struct keel_queued *q, *next;

	for (q = c->queue_head; q; q = next) {
		next = q->next;
		json_object_put(q->params);
		free(q);
	}
	c->queue_head = NULL;
	c->queue_tail = NULL;
	c->nr_queued = 0;
}

/* Receiving and delivering */

/*
 * Queue every event already complete in the buffer. No call is in
 * flight, so anything but a notification there is out of step.
 * Returns 0 or -1 with the error set.
 */
static int drain_buffered_events(struct keel_conn *c)
{
	struct jsonrpc_resp resp;
	struct json_object *msg;
	const char *line;
	size_t len;

	while (libkeel_take_line(c, &line, &len)) {
		if (libkeel_parse_line(c, line, len, &msg, &resp) < 0)
			return -1;
		if (!resp.is_notification) {
			json_object_put(msg);
			libkeel_error_set(c, KEEL_E_PROTOCOL,
					  "keeld sent a reply to no request; the connection was closed.",
					  NULL);
			libkeel_conn_break(c);
			return -1;
		}
		if (libkeel_queue_notification(c, &resp) < 0) {
			json_object_put(msg);
			libkeel_error_set(c, KEEL_E_LOCAL,
					  "Out of memory while queueing an event.",
					  NULL);
			return -1;
		}
		json_object_put(msg);
	}
	return 0;
}

/* Copy the string member @key of @obj into @dst, or "" when absent. */
static void event_str(struct json_object *obj, const char *key, char *dst,
		      size_t size)
{
	struct json_object *v;

	dst[0] = '\0';
	if (json_object_object_get_ex(obj, key, &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(dst, size, "%s", json_object_get_string(v));
}

static const char *event_member(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(obj, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "";
}

/*
 * Fill @ev from an Event object (borrowed). Lenient: a member missing
 * or of the wrong type reads as "" (or -1, NOSTATE, 0), so that an
 * event is never lost to a detail; ev->raw has everything.
 */
static void event_from_json(struct keel_event *ev, struct json_object *params)
{
	struct json_object *dom = NULL, *v;
	int state;

	memset(ev, 0, sizeof(*ev));
	ev->raw = params;
	ev->type = event_member(params, "type");
	ev->event = event_member(params, "event");
	ev->detail = event_member(params, "detail");
	ev->domain.id = -1;
	if (json_object_object_get_ex(params, "domain", &dom) &&
	    json_object_is_type(dom, json_type_object)) {
		event_str(dom, "name", ev->domain.name,
			  sizeof(ev->domain.name));
		event_str(dom, "uuid", ev->domain.uuid,
			  sizeof(ev->domain.uuid));
		if (json_object_object_get_ex(dom, "id", &v) &&
		    json_object_is_type(v, json_type_int)) {
			int64_t id = json_object_get_int64(v);

			if (id >= 0 && id <= INT_MAX)
				ev->domain.id = (int)id;
		}
	}
	state = libkeel_state_from_name(event_member(params, "state"));
	ev->domain.state =
		state < 0 ? KEEL_STATE_NOSTATE : (enum keel_domain_state)state;
	event_str(params, "reason", ev->domain.reason,
		  sizeof(ev->domain.reason));
	if (json_object_object_get_ex(params, "timestamp", &v) &&
	    (json_object_is_type(v, json_type_double) ||
	     json_object_is_type(v, json_type_int)))
		ev->timestamp = json_object_get_double(v);
	ev->job = event_member(params, "job");
	ev->done = ev->total = -1;
	if (json_object_object_get_ex(params, "done", &v) &&
	    json_object_is_type(v, json_type_int))
		ev->done = json_object_get_int64(v);
	if (json_object_object_get_ex(params, "total", &v) &&
	    json_object_is_type(v, json_type_int))
		ev->total = json_object_get_int64(v);
}

/*
 * Deliver the events queued now (not those a callback's own calls
 * queue meanwhile: they wait for the next dispatch, so a callback that
 * makes calls cannot keep us here for ever). Without a callback they
 * are dropped. Returns the number delivered.
 */
static int deliver_events(struct keel_conn *c)
{
	size_t todo = c->nr_queued;
	struct keel_queued *q;
	struct keel_event ev;
	int n = 0;

	while (todo-- && (q = c->queue_head)) {
		c->queue_head = q->next;
		if (!c->queue_head)
			c->queue_tail = NULL;
		c->nr_queued--;
		if (c->event_fn) {
			event_from_json(&ev, q->params);
			c->event_fn(c, &ev, c->event_opaque);
		}
		json_object_put(q->params);
		free(q);
		if (n < INT_MAX)
			n++;
	}
	return n;
}

void keel_set_event_callback(struct keel_conn *c, keel_event_fn fn,
			     void *opaque)
{
	if (!c)
		return;
	c->event_fn = fn;
	c->event_opaque = opaque;
}

int keel_event_fd(const struct keel_conn *c)
{
	return c ? c->fd : -1;
}

bool keel_event_pending(const struct keel_conn *c)
{
	return c && (c->queue_head || libkeel_has_line(c));
}

/*
 * One round of keel_event_wait(): read for up to @timeout_ms, queue
 * what is complete, deliver. Returns the number delivered or -1.
 */
static int event_round(struct keel_conn *c, int timeout_ms)
{
	ssize_t rc = 0;
	int reads, n;

	if (!c->queue_head && !libkeel_has_line(c) && !c->broken)
		rc = libkeel_fill(c, timeout_ms);
	/*
	 * Then take what else is already there, queueing as we go to make
	 * room; bounded, so that a flood of events cannot keep the caller
	 * here (the fd stays readable for the rest).
	 */
	for (reads = 0; rc > 0 && reads < EVENT_READS_MAX; reads++) {
		if (drain_buffered_events(c) < 0) {
			rc = -1;
			break;
		}
		rc = libkeel_fill(c, 0);
	}
	if (rc >= 0 && drain_buffered_events(c) < 0)
		rc = -1;
	n = deliver_events(c);
	if (n > 0)
		return n;
	if (rc < 0 || c->broken) {
		if (!c->err.code)
			libkeel_error_set(c, KEEL_E_CONNECTION,
					  "The connection to keeld is closed; connect again.",
					  NULL);
		return -1;
	}
	return 0;
}

int keel_event_dispatch(struct keel_conn *c)
{
	if (!c)
		return -1;
	libkeel_error_clear(c);
	return event_round(c, 0);
}

int keel_event_wait(struct keel_conn *c, int timeout_ms)
{
	struct timespec deadline;
	int n, left = timeout_ms;

	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (timeout_ms > 0)
		libkeel_deadline(&deadline, timeout_ms);
	/*
	 * Bytes can arrive that complete no event (half a line, or a
	 * notification this version ignores): keep waiting out the time.
	 */
	for (;;) {
		n = event_round(c, left < 0 ? -1 : left);
		if (n != 0)
			return n;
		if (timeout_ms == 0)
			return 0;
		if (timeout_ms > 0) {
			left = libkeel_ms_left(&deadline);
			if (left == 0)
				return 0;
		}
	}
}
