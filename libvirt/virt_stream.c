// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Consoles as libvirt streams (docs/libvirt.md, "Events and consoles";
 * ../shared/notes/libvirt-rpc.md, "console"). DOMAIN_OPEN_CONSOLE opens
 * keel's serial console through libkeel in a worker, with that worker's
 * keeld connection (the console takes it over), and answers; then the
 * call's serial carries the console both ways as messages of type
 * STREAM: guest output goes out in chunks of status CONTINUE, the
 * client's input comes in the same way, the client's finish (status OK)
 * is answered with OK, and the console's end is an OK (or an ERROR with
 * libvirt's error) from keel-virtd.
 *
 * Locks: the list of streams has its own; a client's lock (its
 * bufferevent's) is always taken before it, never after.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "virt_error.h"
#include "virt_frame.h"
#include "virt_handlers.h"
#include "virt_server.h"
#include "virt_stream.h"

/* virDomainConsoleFlags (libvirt-domain.h). */
#define VIR_DOMAIN_CONSOLE_FORCE (1u << 0)
#define VIR_DOMAIN_CONSOLE_SAFE (1u << 1)
#define VX_PROC_OPEN_CONSOLE 201
/*
 * Console input goes to keeld in pieces of this much: a UNIX socket
 * polls writable with at least a quarter of its send buffer (208 KiB by
 * default) free, which such a piece with its framing fits.
 */
#define VIRT_STREAM_WRITE_PIECE 16384
/* virErrorDomain of a stream's failure (virterror.h). */
#define VIR_FROM_STREAMS 38

struct virt_stream {
	struct virt_client *c;		/* borrowed: the client frees us */
	unsigned serial;
	struct keel_console *con;
	struct event *rd;		/* the console's socket */
	bool started, paused;
	struct virt_stream *next;
};

static pthread_mutex_t st_lock = PTHREAD_MUTEX_INITIALIZER;
static struct virt_stream *st_list;

/* Unlink @st (the loop's) and free it, closing its console. */
static void st_free(struct virt_stream *st)
{
	struct virt_stream **p;

	pthread_mutex_lock(&st_lock);
	for (p = &st_list; *p; p = &(*p)->next) {
		if (*p == st) {
			*p = st->next;
			break;
		}
	}
	pthread_mutex_unlock(&st_lock);
	if (st->rd)
		event_free(st->rd);
	keel_console_close(st->con);
	free(st);
}

static struct virt_stream *st_find(struct virt_client *c, unsigned serial)
{
	struct virt_stream *st;

	for (st = st_list; st; st = st->next)
		if (st->c == c && st->serial == serial)
			return st;
	return NULL;
}

static struct vx_header st_header(const struct virt_stream *st, int status)
{
	struct vx_header h = {
		.prog = VX_PROGRAM,
		.vers = VX_PROGRAM_VERSION,
		.proc = VX_PROC_OPEN_CONSOLE,
		.type = VX_STREAM,
		.serial = st->serial,
		.status = status,
	};

	return h;
}

/* Guest output to the client: raw bytes, at most a chunk a message. */
static void st_send_data(struct virt_stream *st, const char *data, size_t len)
{
	struct vx_header h = st_header(st, VX_CONTINUE);
	uint8_t *hdr, *msg;
	size_t hlen, n;

	while (len) {
		n = len < VIRT_STREAM_CHUNK ? len : VIRT_STREAM_CHUNK;
		if (virt_msg_encode(&h, NULL, NULL, &hdr, &hlen))
			return;
		msg = realloc(hdr, hlen + n);
		if (!msg) {
			free(hdr);
			log_warn_limited("%s: out of memory for console output.",
					 __func__);
			return;
		}
		memcpy(msg + hlen, data, n);
		msg[0] = (uint8_t)((hlen + n) >> 24);
		msg[1] = (uint8_t)((hlen + n) >> 16);
		msg[2] = (uint8_t)((hlen + n) >> 8);
		msg[3] = (uint8_t)(hlen + n);
		virt_client_send(st->c, msg, hlen + n);
		data += n;
		len -= n;
	}
}

/* The stream ends well: OK, no payload. Frees @st. */
static void st_end_ok(struct virt_stream *st)
{
	struct vx_header h = st_header(st, VX_OK);
	uint8_t *out;
	size_t len;

	if (!virt_msg_encode(&h, NULL, NULL, &out, &len))
		virt_client_send(st->c, out, len);
	st_free(st);
}

/* The stream fails: ERROR with libvirt's @code and @why. Frees @st. */
static void st_end_error(struct virt_stream *st, int code, const char *why)
{
	struct vx_header h = st_header(st, VX_ERROR);
	char *msg = (char *)why;
	struct vx_error e = {
		.code = code,
		.domain = VIR_FROM_STREAMS,
		.message = &msg,
		.level = VIR_ERR_LEVEL_ERROR,
	};
	uint8_t *out;
	size_t len;

	if (!virt_msg_encode(&h, (xdrproc_t)xdr_vx_error, &e, &out, &len))
		virt_client_send(st->c, out, len);
	st_free(st);
}

/* The console has something: pass it on while the client keeps up. */
static void st_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct virt_stream *st = arg;
	struct keel_console_frame f;
	int rc;

	for (;;) {
		if (virt_client_backlogged(st->c)) {
			/* Its output drains: virt_streams_resume(). */
			event_del(st->rd);
			st->paused = true;
			return;
		}
		rc = keel_console_read(st->con, &f);
		if (!rc)
			return;
		if (rc < 0) {
			st_end_error(st, VIR_ERR_OPERATION_FAILED,
				     keel_console_last_error(st->con)->message ?:
					     "keeld closed the console.");
			return;
		}
		switch (f.kind) {
		case KEEL_CONSOLE_DATA:
			st_send_data(st, f.data, f.len);
			break;
		case KEEL_CONSOLE_MISSED:
			log_debug("A console client missed %llu bytes of output.",
				  f.missed);
			break;
		case KEEL_CONSOLE_ROLE:
			if (f.role == KEEL_CONSOLE_VIEWER) {
				/* libvirt's --force ends the session it takes. */
				st_end_error(st, VIR_ERR_OPERATION_FAILED,
					     "Another client took over the console (virsh console --force).");
				return;
			}
			break;
		case KEEL_CONSOLE_END:
			st_end_ok(st);
			return;
		}
	}
}

void virt_streams_start(struct virt_client *c, unsigned serial)
{
	struct virt_stream *st;

	virt_client_lock(c);
	pthread_mutex_lock(&st_lock);
	st = st_find(c, serial);
	if (st && !st->started) {
		st->started = true;
		/* The first frames may have come with keeld's answer. */
		if (!event_add(st->rd, NULL))
			event_active(st->rd, EV_READ, 0);
	}
	pthread_mutex_unlock(&st_lock);
	virt_client_unlock(c);
}

void virt_streams_resume(struct virt_client *c)
{
	struct virt_stream *st;

	/* The client's lock comes before the list's, so ask first. */
	if (virt_client_backlogged(c))
		return;
	pthread_mutex_lock(&st_lock);
	for (st = st_list; st; st = st->next) {
		if (st->c == c && st->paused) {
			st->paused = false;
			if (!event_add(st->rd, NULL))
				event_active(st->rd, EV_READ, 0);
		}
	}
	pthread_mutex_unlock(&st_lock);
}

/*
 * Input for the console, from the loop. keel_console_write() blocks
 * until the socket takes it all, and a guest that reads no input (a
 * paused one) lets keel-hv, then keeld, then this socket fill up: the
 * loop would stop for every client. So it is written in pieces no
 * larger than a writable UNIX socket surely has room for, and a socket
 * that is not writable ends the stream instead. Frees @st on failure.
 */
static void st_write(struct virt_stream *st, const uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = keel_console_fd(st->con), .events = POLLOUT };
	size_t n;

	while (len) {
		if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT)) {
			st_end_error(st, VIR_ERR_OPERATION_FAILED,
				     "The guest is not taking console input: keel-virtd ended the console rather than wait for it.");
			return;
		}
		n = len < VIRT_STREAM_WRITE_PIECE ? len : VIRT_STREAM_WRITE_PIECE;
		if (keel_console_write(st->con, buf, n)) {
			st_end_error(st, VIR_ERR_OPERATION_FAILED,
				     keel_console_last_error(st->con)->message ?:
					     "keeld closed the console.");
			return;
		}
		buf += n;
		len -= n;
	}
}

void virt_stream_input(struct virt_client *c, const struct vx_header *h,
		       const uint8_t *msg, size_t len)
{
	struct virt_stream *st;
	struct vx_header rh;
	uint8_t *out;
	size_t out_len;

	pthread_mutex_lock(&st_lock);
	st = h->proc == VX_PROC_OPEN_CONSOLE ? st_find(c, h->serial) : NULL;
	pthread_mutex_unlock(&st_lock);
	/* After keel-virtd ended a stream the client may still finish it. */
	if (!st || h->type != VX_STREAM)
		return;
	switch (h->status) {
	case VX_CONTINUE:
		/* libvirt's clients never send more; the write blocks the loop. */
		if (len - VIRT_MSG_MIN > VIRT_STREAM_CHUNK) {
			st_end_error(st, VIR_ERR_RPC,
				     "Stream data comes in chunks of at most 262120 bytes.");
			break;
		}
		st_write(st, msg + VIRT_MSG_MIN, len - VIRT_MSG_MIN);
		break;
	case VX_OK:
		/* The client's finish, answered in kind or it waits forever. */
		rh = st_header(st, VX_OK);
		if (!virt_msg_encode(&rh, NULL, NULL, &out, &out_len))
			virt_client_send(c, out, out_len);
		st_free(st);
		break;
	default:
		/* The client's abort: nothing to answer. */
		st_free(st);
	}
}

void virt_streams_client_gone(struct virt_client *c)
{
	struct virt_stream **p, *st, *gone = NULL;

	pthread_mutex_lock(&st_lock);
	for (p = &st_list; (st = *p);) {
		if (st->c == c) {
			*p = st->next;
			st->next = gone;
			gone = st;
		} else {
			p = &st->next;
		}
	}
	pthread_mutex_unlock(&st_lock);
	while ((st = gone)) {
		gone = st->next;
		if (st->rd)
			event_free(st->rd);
		keel_console_close(st->con);
		free(st);
	}
}

/* keel's console for libvirt's device name: NULL for none keel has. */
static bool dev_is_serial(const char *dev)
{
	return !dev || !strcmp(dev, "serial0") || !strcmp(dev, "console0");
}

int virt_h_open_console(struct virt_call *call, void *args, void *ret)
{
	struct vx_open_console_args *a = args;
	struct keel_console_opts o = KEEL_CONSOLE_OPTS_INIT;
	const char *dev = a->dev_name ? *a->dev_name : NULL;
	struct keel_console *con = NULL;
	struct virt_stream *st;
	struct keel_domain d;
	struct keel_conn *kc;

	if (virt_call_check_flags(call, a->flags,
				  VIR_DOMAIN_CONSOLE_FORCE |
					  VIR_DOMAIN_CONSOLE_SAFE))
		return -1;
	if (!dev_is_serial(dev))
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "keel has no console \"%s\": a keel domain's console is serial0 (console0).",
				       dev);
	if (virt_dom_get(call, &a->dom, &d, NULL))
		return -1;
	if (d.id < 0)
		return virt_call_error(call, VIR_ERR_OPERATION_INVALID,
				       "Domain %s is not running: start it first.",
				       d.name);
	kc = virt_call_keel(call);
	if (!kc)
		return -1;
	st = calloc(1, sizeof(*st));
	if (!st)
		return virt_call_nomem(call);
	o.force = a->flags & VIR_DOMAIN_CONSOLE_FORCE;
	if (keel_console_open(kc, d.uuid, &o, &con)) {
		free(st);
		virt_call_keel_error(call);
		/*
		 * The domain runs (asked above): keel-hv refused, for a
		 * console that has a writer. libvirt's word for that.
		 */
		if (keel_last_error(kc)->code == KEEL_E_INVALID_STATE)
			call->code = VIR_ERR_OPERATION_FAILED;
		return -1;
	}
	/* The console took the worker's connection over. */
	*call->keel = NULL;
	st->c = call->client;
	st->serial = call->serial;
	st->con = con;
	st->rd = event_new(virt_client_base(call->client), keel_console_fd(con),
			   EV_READ | EV_PERSIST, st_read_cb, st);
	if (!st->rd) {
		keel_console_close(con);
		free(st);
		return virt_call_nomem(call);
	}
	virt_client_lock(call->client);
	if (virt_client_closed(call->client)) {
		virt_client_unlock(call->client);
		event_free(st->rd);
		keel_console_close(con);
		free(st);
		return virt_call_error(call, VIR_ERR_OPERATION_FAILED,
				       "The connection closed while the console opened.");
	}
	pthread_mutex_lock(&st_lock);
	st->next = st_list;
	st_list = st;
	pthread_mutex_unlock(&st_lock);
	virt_client_unlock(call->client);
	return 0;
}
