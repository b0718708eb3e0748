// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld's clients: newline-delimited JSON-RPC on the connections that
 * listener.c lets in, each line answered with jsonrpc_dispatch_line()
 * and methods_handle() (answer.c says how: batches, deferred answers).
 * This file is the connection: its socket, its buffers, its turns, its
 * lines, and the limits on what it may hold. Every client is bounded: a line longer than
 * JSONRPC_MAX_LINE is answered KEEL_E_TOO_LARGE and closed, since the
 * next message boundary cannot be found; a client that leaves more than
 * SERVER_MAX_OUTPUT bytes of responses unread is dropped. Nothing one
 * client does can stall the loop for the others.
 *
 * Nor can many clients (keeld.8, LIMITS). Besides the counts of
 * admit.c, the memory of everyone's buffers but root's on keeld.sock
 * is held to a budget: a partial line that would take it past its end
 * is dropped, and so is a client that leaves answers unread meanwhile;
 * a batch's answers are kept as text and measured as they are made. A
 * read-only client that sends no request for a while is closed. A
 * client closed after an answer gets a lingering close. Root's
 * connections on keeld.sock run at a higher event priority than
 * everyone else's, and each client gets a turn of a bounded time
 * (a batch of 256 requests is answered over several) before the next.
 *
 * A request costs few system calls: one recv() a wakeup, every complete
 * line in it answered, the answers written at once with one write.
 * Only what the socket does not take waits for it to become writable;
 * a bufferevent would switch that wait on and off around every answer,
 * two epoll_ctl() calls each.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "admit.h"
#include "conn.h"
#include "jsonrpc.h"
#include "jsonrpc_frame_ev.h"
#include "keeld.h"
#include "listener.h"
#include "log.h"
#include "methods.h"
#include "monotime.h"
#include "server.h"

/* This thread's CPU time: what serving a client cost, not waiting. */
static long long cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static struct timeval ms_to_tv(long long ms)
{
	struct timeval tv = {
		.tv_sec = (time_t)(ms / 1000),
		.tv_usec = (suseconds_t)(ms % 1000) * 1000,
	};

	return tv;
}

/* Take @c out of the server; its socket stays open. */
static void conn_unlink(struct conn *c)
{
	/* Deferred answers still come; they are dropped then. */
	while (c->pendings)
		pending_unlink(c->pendings);
	conn_drop_line_replies(c);
	conn_batch_drop(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		c->srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

/* Free @c's events and buffers; the socket is the caller's. */
static void conn_dispose(struct conn *c)
{
	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	if (c->idle)
		event_free(c->idle);
	if (c->in)
		evbuffer_free(c->in);
	if (c->out)
		evbuffer_free(c->out);
	free(c->caller.peer_dn);
	c->caller.peer_dn = NULL;
}

/*
 * Close @c. While conn_serve() runs on it (a handler's broadcast may
 * drop the very client being served), only mark it: conn_serve() still
 * uses it and frees it when it returns.
 */
void conn_free(struct conn *c)
{
	if (c->serving) {
		c->doomed = true;
		c->closing = true;
		event_del(c->rev);
		return;
	}
	conn_unlink(c);
	conn_dispose(c);
	admit_leave(c->srv->admit, &c->slot);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

/* Everything is written: close @c, lingering unless the client left. */
static void conn_close_written(struct conn *c)
{
	struct server *srv = c->srv;
	evutil_socket_t fd = c->fd;

	if (c->eof) {
		conn_free(c);
		return;
	}
	c->fd = -1;
	conn_free(c);
	listeners_linger(srv->listeners, fd);
}

/*
 * Count what @c's buffers hold now. Returns false when the clients'
 * budget is spent (never for root on keeld.sock).
 */
bool conn_account(struct conn *c)
{
	return admit_charge(c->srv->admit, &c->slot,
			    evbuffer_get_length(c->in) +
				    evbuffer_get_length(c->out) + c->line_out +
				    c->batch_cost);
}

void conn_read_start(struct conn *c)
{
	/* A paused client is started by server_resume(). */
	if (!c->paused)
		event_add(c->rev, NULL);
}

static void conn_read_stop(struct conn *c)
{
	event_del(c->rev);
}

/*
 * Write what @c->out holds, as far as the socket takes it in one go,
 * and wait for it to be writable only if something is left. A write
 * error is left to conn_writable(), as it is the one that may free @c.
 */
static void conn_flush(struct conn *c)
{
	if (evbuffer_get_length(c->out) &&
	    evbuffer_write(c->out, c->fd) < 0 && errno != EAGAIN &&
	    errno != EWOULDBLOCK && errno != EINTR) {
		event_active(c->wev, EV_WRITE, 0);
		return;
	}
	/*
	 * A closing connection is closed by conn_writable() even when
	 * everything is written, and lingering (listeners_linger()): the
	 * client may still be sending, and must read the answer first.
	 */
	if (evbuffer_get_length(c->out) || c->closing)
		event_add(c->wev, NULL);
	else
		event_del(c->wev);
}

/* Stop reading from @c; close it once its output has been written. */
static void conn_close_after_flush(struct conn *c)
{
	c->closing = true;
	conn_read_stop(c);
	evbuffer_drain(c->in, evbuffer_get_length(c->in));
	/* Else the end of conn_serve() does. */
	if (!c->serving)
		conn_flush(c);
}

static void line_free(const void *data, size_t len, void *arg)
{
	free((void *)data);
}

/*
 * @c has @line queued: unless conn_serve() gathers its answers, write
 * it. Returns false when @c was dropped because it is not reading its
 * responses (past SERVER_MAX_OUTPUT, or past CONN_SMALL_OUTPUT while
 * the clients' budget is spent); @c is freed then.
 */
static bool conn_queued(struct conn *c)
{
	size_t unread;

	/* Count only what the client has not read: write first. */
	if (!c->serving || evbuffer_get_length(c->out) > CONN_WRITE_BATCH)
		conn_flush(c);
	unread = evbuffer_get_length(c->out);
	if (unread > SERVER_MAX_OUTPUT) {
		log_warn_limited("Dropping a client (uid %u) that left more than %d bytes of responses unread.",
				 (unsigned)c->slot.uid, SERVER_MAX_OUTPUT);
		conn_free(c);
		return false;
	}
	if (!conn_account(c) && unread > CONN_SMALL_OUTPUT) {
		log_warn_limited("Dropping a client (uid %u) that left %zu bytes of responses unread while clients' buffers are at keeld's limit (client_memory).",
				 (unsigned)c->slot.uid, unread);
		conn_free(c);
		return false;
	}
	return true;
}

/*
 * Queue @msg (owned) for @c and, unless conn_serve() gathers its
 * answers, write it. Returns false when @c was dropped because it is
 * not reading its responses; @c is freed then.
 */
bool conn_send(struct conn *c, struct json_object *msg)
{
	size_t len;
	char *line;

	line = jsonrpc_to_line(msg, &len);
	if (!line && errno == EMSGSIZE) {
		struct json_object *e = jsonrpc_error(
			NULL, KEEL_E_TOO_LARGE,
			"The response would be longer than the largest message keel allows.",
			NULL);

		line = e ? jsonrpc_to_line(e, &len) : NULL;
		json_object_put(e);
	}
	json_object_put(msg);
	if (line && c->serving)
		c->turn_out += len;
	/* Not copied: @line is freed once written. */
	if (line && evbuffer_add_reference(c->out, line, len, line_free, NULL))
		free(line);
	return conn_queued(c);
}

static void conn_too_large(struct conn *c)
{
	struct json_object *e = jsonrpc_frame_too_large();

	log_info_limited("Closing a connection (uid %u) that sent a line longer than %d bytes.",
			 (unsigned)c->slot.uid, JSONRPC_MAX_LINE);
	if (e && !conn_send(c, e))
		return;
	conn_close_after_flush(c);
}

/* @c's partial line would take the clients' budget past its end. */
static void conn_over_budget(struct conn *c)
{
	struct json_object *e = jsonrpc_error(
		NULL, KEEL_E_RESOURCE,
		"keeld's memory for clients' buffers is used up (client_memory); the incomplete request was dropped and the connection is closed.",
		NULL);

	log_warn_limited("Closing a connection (uid %u) with a %zu-byte incomplete request: clients' buffers are at keeld's limit (client_memory).",
			 (unsigned)c->slot.uid, evbuffer_get_length(c->in));
	if (e && !conn_send(c, e))
		return;
	conn_close_after_flush(c);
}

/*
 * Answer every complete line in @c->in, unless something stops it or
 * its turn is over: then the rest waits for its next turn (@c->backlog)
 * and the other clients are served first.
 */
static void conn_dispatch_lines(struct conn *c)
{
	long long turn_end = (long long)monotime_us() + CONN_TURN_US;
	struct evbuffer *in = c->in;
	bool first = true;

	while (!c->closing && !c->holder) {
		struct json_object *resp;
		ssize_t n;
		size_t len;
		char *line;

		if (!first && (c->turn_out >= CONN_WRITE_BATCH ||
			       (long long)monotime_us() >= turn_end)) {
			c->backlog = true;
			event_active(c->rev, EV_READ, 0);
			return;
		}
		first = false;
		if (c->batch) {
			if (!conn_batch_step(c, turn_end))
				continue;
			resp = conn_map_replies(c, conn_batch_finish(c));
			c->line_out = 0;
			if (resp && !conn_send(c, resp))
				return;
			continue;
		}
		n = jsonrpc_frame_next_ev(&c->frame, in);
		if (n == 0)
			return;
		if (n < 0) {
			conn_too_large(c);
			return;
		}
		len = (size_t)n;
		c->line_replies = NULL;
		c->line_out = 0;
		c->active_ms = monotime_ms();
		if (len > CONN_SMALL_INPUT &&
		    !admit_fits(c->srv->admit, &c->slot, PARSED_COST * len)) {
			/* Parsed, it would take many times its size. */
			evbuffer_drain(in, len);
			resp = jsonrpc_error(NULL, KEEL_E_RESOURCE,
					     "keeld's memory for clients' buffers is used up (client_memory); the request was not read. Try again later.",
					     NULL);
			if (resp && !conn_send(c, resp))
				return;
			continue;
		}
		line = (char *)evbuffer_pullup(in, (ssize_t)len);
		if (line && conn_batch_start(c, line, len)) {
			evbuffer_drain(in, len);
			continue;
		}
		resp = line ? jsonrpc_dispatch_line(line, len, conn_handle, c) :
			      NULL;
		evbuffer_drain(in, len);
		resp = conn_map_replies(c, resp);
		c->line_out = 0;
		if (resp && !conn_send(c, resp))
			return;
	}
}

/*
 * Answer what @c has sent, then write all the answers at once: a
 * client that pipelines gets one write a wakeup, not one an answer.
 */
void conn_serve(struct conn *c)
{
	c->serving = true;
	c->turn_out = 0;
	conn_dispatch_lines(c);
	c->serving = false;
	if (c->doomed) {
		conn_free(c);
		return;
	}
	conn_flush(c);
	conn_account(c);
}

/*
 * @c's socket is readable: one recv(). Asking first how much there is
 * (as evbuffer_read() does) would cost a second system call for every
 * request. It lands in a buffer of the server's and only what is kept
 * (usually nothing: the lines are answered at once) is copied into
 * @c->in, in a buffer of its own size: a client holding a few bytes of
 * a request holds no more memory than that. What it may hold is
 * bounded before the recv(): a line up to JSONRPC_MAX_LINE, and past
 * CONN_SMALL_INPUT only within the clients' budget.
 */
static void conn_read(struct conn *c)
{
	struct server *srv = c->srv;
	size_t have = evbuffer_get_length(c->in), room;
	ssize_t n;

	if (c->backlog || have >= JSONRPC_MAX_LINE) {
		/* Its turn again: the lines it sent already first. */
		c->backlog = false;
		conn_serve(c);
		return;
	}
	room = JSONRPC_MAX_LINE - have;
	if (room > sizeof(srv->scratch))
		room = sizeof(srv->scratch);
	if (!admit_fits(srv->admit, &c->slot, room)) {
		if (have >= CONN_SMALL_INPUT) {
			conn_over_budget(c);
			return;
		}
		room = CONN_SMALL_INPUT - have;
	}
	n = recv(c->fd, srv->scratch, room, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		      errno == EINTR))
		return;
	if (n < 0) {
		conn_free(c);
		return;
	}
	/* A client may half-close after its last request: answer it first. */
	if (n == 0) {
		c->eof = true;
		conn_close_after_flush(c);
		return;
	}
	if (evbuffer_add(c->in, srv->scratch, (size_t)n)) {
		log_warn_limited("Closing a connection: out of memory.");
		conn_free(c);
		return;
	}
	conn_serve(c);
}

/*
 * @c's turn. Clients other than root on keeld.sock take it out of
 * their share of keeld's time (admit.h): once that is spent, they wait
 * for the next window, not reading.
 */
static void conn_readable(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct server *srv = c->srv;
	long long wait, t0;

	if (c->slot.root) {
		conn_read(c);
		return;
	}
	wait = admit_cpu_wait_ms(srv->admit);
	if (wait) {
		struct timeval tv = ms_to_tv(wait);

		c->paused = true;
		event_del(c->rev);
		if (!evtimer_pending(srv->resume, NULL))
			evtimer_add(srv->resume, &tv);
		return;
	}
	t0 = cpu_us();
	conn_read(c);
	admit_cpu_charge(srv->admit, cpu_us() - t0);
}

/* The next window: the paused clients' turns come again. */
static void server_resume(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	for (struct conn *c = srv->conns; c; c = c->next) {
		if (!c->paused)
			continue;
		c->paused = false;
		if (c->closing || c->holder)
			continue;
		conn_read_start(c);
		/* Lines it sent already wait in its buffer, not the socket. */
		if (c->backlog)
			event_active(c->rev, EV_READ, 0);
	}
}

/* The socket takes more of @c->out, or has failed. */
static void conn_writable(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (evbuffer_get_length(c->out) &&
	    evbuffer_write(c->out, fd) < 0 && errno != EAGAIN &&
	    errno != EWOULDBLOCK && errno != EINTR) {
		conn_free(c);
		return;
	}
	conn_account(c);
	if (evbuffer_get_length(c->out)) {
		event_add(c->wev, NULL);
		return;
	}
	event_del(c->wev);
	if (c->closing)
		conn_close_written(c);
}

/*
 * A read-only client's idle timer: close it if it sent no complete
 * request for client_idle_timeout seconds. A partial line is no sign
 * of life; a subscriber, or a client waiting for an answer, is never
 * idle.
 */
static void conn_idle(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	long long timeout =
		(long long)admit_settings(c->srv->admit)->idle_timeout * 1000;
	long long left = c->active_ms + timeout - monotime_ms();
	struct timeval tv;

	if (c->subscribed)
		return;
	if (c->holder || c->pendings || c->batch || c->closing)
		left = timeout;
	if (left > 0) {
		tv = ms_to_tv(left);
		evtimer_add(c->idle, &tv);
		return;
	}
	log_info_limited("Closing a read-only connection (uid %u) that sent no request for %lld s (client_idle_timeout).",
			 (unsigned)c->slot.uid, timeout / 1000);
	conn_free(c);
}

void server_hold(struct methods_caller *caller, struct reply *r)
{
	struct conn *c = (struct conn *)((char *)caller -
					 offsetof(struct conn, caller));

	c->holder = r;
	conn_read_stop(c);
}

struct bufferevent *reply_send_stream(struct reply *r,
				      struct json_object *resp,
				      struct client_slot *slot)
{
	struct pending *p = r->pending;
	struct conn *c = p ? p->conn : NULL;
	struct bufferevent *bev;

	if (!c || c->holder != r || r->index != REPLY_WHOLE ||
	    p->outstanding != 1) {
		/* The client has gone: nobody to stream to. */
		reply_send(r, resp);
		return NULL;
	}
	c->holder = NULL;
	pending_unlink(p);
	json_object_put(p->resp);
	free(p);
	json_object_put(r->id);
	free(r);
	if (!conn_send(c, resp))
		return NULL;
	bev = bufferevent_socket_new(c->srv->keeld->base, c->fd,
				     BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		log_warn_limited("Closing a connection: out of memory.");
		conn_free(c);
		return NULL;
	}
	bufferevent_priority_set(bev, c->slot.root ? c->srv->prio_root :
						     c->srv->prio_other);
	/* Moved, not copied: the bytes unread and the answer unsent. */
	evbuffer_add_buffer(bufferevent_get_input(bev), c->in);
	evbuffer_add_buffer(bufferevent_get_output(bev), c->out);
	/* Its place in the counts goes with it. */
	admit_charge(c->srv->admit, &c->slot, 0);
	*slot = c->slot;
	c->slot.admitted = false;
	conn_unlink(c);
	conn_dispose(c);
	free(c);
	return bev;
}

bool server_fits(struct methods_caller *caller, size_t bytes)
{
	struct conn *c = (struct conn *)((char *)caller -
					 offsetof(struct conn, caller));

	return admit_fits(c->srv->admit, &c->slot, bytes);
}

void server_subscribe(struct methods_caller *caller)
{
	struct conn *c = (struct conn *)((char *)caller -
					 offsetof(struct conn, caller));

	c->subscribed = true;
	if (c->idle)
		evtimer_del(c->idle);
}

void server_broadcast(struct server *srv, struct json_object *msg)
{
	struct conn *c, *next;
	size_t len;
	char *line = jsonrpc_to_line(msg, &len);

	if (!line) {
		log_warn_limited("Cannot send an event: %s.", strerror(errno));
		return;
	}
	/* Serialised once, copied to each subscriber. */
	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (!c->subscribed || c->closing)
			continue;
		if (evbuffer_add(c->out, line, len)) {
			log_warn_limited("Dropping a subscriber: out of memory.");
			conn_free(c);
			continue;
		}
		conn_queued(c);
	}
	free(line);
}

/* A listeners_client_fn: take the client on @fd in. */
static int conn_new(void *arg, evutil_socket_t fd, bool read_only,
		    const struct client_slot *slot, const char *peer_dn)
{
	struct server *srv = arg;
	struct event_base *base = srv->keeld->base;
	unsigned idle = admit_settings(srv->admit)->idle_timeout;
	int prio = slot->root ? srv->prio_root : srv->prio_other;
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->fd = fd;
	c->rev = event_new(base, fd, EV_READ | EV_PERSIST, conn_readable, c);
	c->wev = event_new(base, fd, EV_WRITE, conn_writable, c);
	if (read_only && idle)
		c->idle = evtimer_new(base, conn_idle, c);
	c->in = evbuffer_new();
	c->out = evbuffer_new();
	if (peer_dn)
		c->caller.peer_dn = strdup(peer_dn);
	if (!c->rev || !c->wev || !c->in || !c->out ||
	    (read_only && idle && !c->idle) || (peer_dn && !c->caller.peer_dn)) {
		conn_dispose(c);
		free(c);
		return -ENOMEM;
	}
	event_priority_set(c->rev, prio);
	event_priority_set(c->wev, prio);
	if (c->idle) {
		struct timeval tv = ms_to_tv((long long)idle * 1000);

		event_priority_set(c->idle, srv->prio_other);
		evtimer_add(c->idle, &tv);
	}
	c->srv = srv;
	c->slot = *slot;
	c->active_ms = monotime_ms();
	c->caller.keeld = srv->keeld;
	c->caller.read_only = read_only;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	conn_read_start(c);
	return 0;
}

int server_new(struct keeld *k, struct server **out)
{
	struct server *srv = calloc(1, sizeof(*srv));
	int rc;

	if (!srv)
		return -ENOMEM;
	srv->keeld = k;
	srv->admit = k->admit;
	/* Root first, everyone else after whatever keeld does itself. */
	srv->prio_root = 0;
	srv->prio_other = event_base_get_npriorities(k->base) - 1;
	srv->resume = evtimer_new(k->base, server_resume, srv);
	if (!srv->resume) {
		free(srv);
		return -ENOMEM;
	}
	rc = listeners_new(k, srv->prio_other, conn_new, srv,
			   &srv->listeners);
	if (rc) {
		server_free(srv);
		return rc;
	}
	*out = srv;
	return 0;
}

void server_free(struct server *srv)
{
	if (!srv)
		return;
	while (srv->conns)
		conn_free(srv->conns);
	listeners_free(srv->listeners);
	if (srv->resume)
		event_free(srv->resume);
	free(srv);
}
