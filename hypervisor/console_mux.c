// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Console multiplexing in keel-hv (docs/console.md), the ports: where a
 * console's output lives (a ring and a rotated log per console) and the
 * queue of input on its way to the guest. console_mux_server.c serves
 * them on the console socket, one writer and any number of viewers.
 *
 * The guest is never slowed by a client: output goes into the ring and
 * the log under the port's lock on the device's thread and only wakes
 * the I/O thread, which serves the clients from the ring.
 *
 * Lock order: a device's lock, then a port's lock. The I/O thread never
 * calls into a device with a port lock held.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console_mux.h"
#include "console_mux_internal.h"
#include "hv_error.h"
#include "log.h"

static const char *const cmux_names[CMUX_NR_CONSOLES] = { "serial",
							   "virtio" };

/* -- the ring and the log: device thread, port lock held ------------- */

static void cmux_ring_append(struct cmux_port *p, const uint8_t *buf,
			     size_t len)
{
	uint64_t head = p->head + len;

	if (len > p->ring_size) {
		buf += len - p->ring_size;
		len = p->ring_size;
	}
	while (len) {
		size_t at = (size_t)((head - len) % p->ring_size);
		size_t n = p->ring_size - at < len ? p->ring_size - at : len;

		memcpy(p->ring + at, buf, n);
		buf += n;
		len -= n;
	}
	p->head = head;
}

uint64_t cmux_ring_oldest(const struct cmux_port *p)
{
	return p->head > p->ring_size ? p->head - p->ring_size : 0;
}

void cmux_ring_copy(const struct cmux_port *p, uint64_t pos, uint8_t *dst,
		    size_t len)
{
	while (len) {
		size_t at = (size_t)(pos % p->ring_size);
		size_t n = p->ring_size - at < len ? p->ring_size - at : len;

		memcpy(dst, p->ring + at, n);
		dst += n;
		pos += n;
		len -= n;
	}
}

static uint8_t cmux_ring_byte(const struct cmux_port *p, uint64_t pos)
{
	return p->ring[pos % p->ring_size];
}

uint64_t cmux_ring_lines(const struct cmux_port *p, uint64_t lines)
{
	uint64_t oldest = cmux_ring_oldest(p), pos = p->head;

	if (!lines)
		return p->head;
	if (pos > oldest && cmux_ring_byte(p, pos - 1) == '\n')
		pos--;
	while (pos > oldest) {
		if (cmux_ring_byte(p, pos - 1) == '\n' && !--lines)
			return pos;
		pos--;
	}
	return oldest;
}

static void cmux_log_rotate(struct cmux_port *p)
{
	size_t len = strlen(p->log_path) + 3;
	char from[len], to[len];

	close(p->log_fd);
	for (int i = CMUX_LOG_KEEP; i > 1; i--) {
		snprintf(from, len, "%s.%d", p->log_path, i - 1);
		snprintf(to, len, "%s.%d", p->log_path, i);
		rename(from, to);
	}
	snprintf(to, len, "%s.1", p->log_path);
	rename(p->log_path, to);
	p->log_fd = open(p->log_path,
			 O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
			 0600);
	p->log_len = 0;
}

static void cmux_log_flush(struct cmux_port *p)
{
	size_t off = 0;

	if (p->log_fd < 0 || p->log_broken || !p->log_staged) {
		p->log_staged = 0;
		return;
	}
	if (p->log_len && p->log_len + p->log_staged > p->log_max)
		cmux_log_rotate(p);
	while (off < p->log_staged && p->log_fd >= 0) {
		ssize_t n = write(p->log_fd, p->log_stage + off,
				  p->log_staged - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("%s: cannot write the %s console log %s: %s; console output is no longer logged.",
				 __func__, cmux_names[p->which], p->log_path,
				 n < 0 ? strerror(errno) : "nothing written");
			p->log_broken = true;
			break;
		}
		off += (size_t)n;
		p->log_len += (uint64_t)n;
	}
	if (p->log_fd < 0 && !p->log_broken) {
		log_warn("%s: cannot reopen the %s console log %s after rotating it; console output is no longer logged.",
			 __func__, cmux_names[p->which], p->log_path);
		p->log_broken = true;
	}
	p->log_staged = 0;
}

static void cmux_log_append(struct cmux_port *p, const uint8_t *buf,
			    size_t len)
{
	if (p->log_fd < 0 || p->log_broken)
		return;
	while (len) {
		size_t n = CMUX_LOG_STAGE - p->log_staged;

		if (n > len)
			n = len;
		memcpy(p->log_stage + p->log_staged, buf, n);
		p->log_staged += n;
		buf += n;
		len -= n;
		if (p->log_staged == CMUX_LOG_STAGE)
			cmux_log_flush(p);
	}
}

void cmux_port_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct cmux_port *p = opaque;
	struct cmux_tap tap;
	bool wake;

	if (!len)
		return;
	pthread_mutex_lock(&p->lock);
	cmux_ring_append(p, buf, len);
	cmux_log_append(p, buf, len);
	tap = p->tap;
	wake = !p->wake_pending;
	p->wake_pending = true;
	pthread_mutex_unlock(&p->lock);
	/* The device's lock still keeps the tap's output in order. */
	if (tap.output)
		tap.output(tap.opaque, buf, len);
	if (wake)
		event_active(p->wake_ev, EV_READ, 0);
}

void cmux_port_set_tap(struct cmux_port *port, const struct cmux_tap *tap)
{
	pthread_mutex_lock(&port->lock);
	if (tap)
		port->tap = *tap;
	else
		memset(&port->tap, 0, sizeof(port->tap));
	pthread_mutex_unlock(&port->lock);
}

/* I/O thread: flush the log's stage and serve the port's clients. */
static void cmux_port_wake(evutil_socket_t fd, short what, void *arg)
{
	struct cmux_port *p = arg;
	struct cmux_client *c, *next;

	pthread_mutex_lock(&p->lock);
	p->wake_pending = false;
	cmux_log_flush(p);
	pthread_mutex_unlock(&p->lock);
	for (c = p->mux->clients; c; c = next) {
		next = c->next;
		/* One waiting for its socket is served when it drains. */
		if (c->port == p && c->state == CMUX_STREAM && !c->wr_on)
			cmux_client_pump(c);
	}
}

/* -- input to the guest: I/O thread ---------------------------------- */

size_t cmux_port_input_room(const struct cmux_port *port)
{
	return CMUX_INPUT_BUF - (port->in_len - port->in_off);
}

static void cmux_port_push(struct cmux_port *p)
{
	bool was_full = cmux_port_input_room(p) == 0;

	if (p->in_off < p->in_len) {
		if (p->guest.input)
			p->in_off += p->guest.input(p->guest.opaque,
						    p->in + p->in_off,
						    p->in_len - p->in_off);
		else
			p->in_off = p->in_len; /* nowhere to go */
	}
	if (p->in_off == p->in_len)
		p->in_off = p->in_len = 0;
	if (!was_full || !cmux_port_input_room(p))
		return;
	if (p->writer && p->writer->input_blocked) {
		p->writer->input_blocked = false;
		cmux_client_want_read(p->writer, true);
	}
	if (p->tap.input_room)
		p->tap.input_room(p->tap.opaque);
}

size_t cmux_port_input(struct cmux_port *port, const uint8_t *buf,
		       size_t len)
{
	size_t room = cmux_port_input_room(port);

	if (len > room)
		len = room;
	if (!len)
		return 0;
	if (port->in_off) {
		memmove(port->in, port->in + port->in_off,
			port->in_len - port->in_off);
		port->in_len -= port->in_off;
		port->in_off = 0;
	}
	memcpy(port->in + port->in_len, buf, len);
	port->in_len += len;
	cmux_port_push(port);
	return len;
}

static void cmux_port_retry(evutil_socket_t fd, short what, void *arg)
{
	cmux_port_push(arg);
}

void cmux_port_rx_ready(void *opaque)
{
	struct cmux_port *p = opaque;

	event_active(p->retry_ev, EV_READ, 0);
}

/* -- the multiplexer -------------------------------------------------- */

int cmux_new(struct event_base *base, const struct cmux_config *cfg,
	     struct cmux **out)
{
	struct cmux *mux;

	if (cfg->ring_size < CMUX_MIN_SIZE || cfg->ring_size > CMUX_MAX_RING ||
	    cfg->log_size < CMUX_MIN_SIZE)
		return -EINVAL;
	mux = calloc(1, sizeof(*mux));
	if (!mux)
		return -ENOMEM;
	mux->base = base;
	mux->cfg = *cfg;
	*out = mux;
	return 0;
}

char *cmux_log_path(const char *path, enum cmux_console which)
{
	size_t len = strlen(path);
	char *s;

	if (which == CMUX_SERIAL)
		return strdup(path);
	/* DIR/console.log -> DIR/console-virtio.log, as docs/console.md. */
	if (len >= 4 && !strcmp(path + len - 4, ".log")) {
		if (asprintf(&s, "%.*s-virtio.log", (int)(len - 4), path) < 0)
			return NULL;
		return s;
	}
	if (asprintf(&s, "%s-virtio", path) < 0)
		return NULL;
	return s;
}

static void cmux_port_free(struct cmux_port *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	cmux_log_flush(p);
	pthread_mutex_unlock(&p->lock);
	if (p->log_fd >= 0)
		close(p->log_fd);
	if (p->wake_ev)
		event_free(p->wake_ev);
	if (p->retry_ev)
		event_free(p->retry_ev);
	pthread_mutex_destroy(&p->lock);
	free(p->log_path);
	free(p->ring);
	free(p);
}

int cmux_add_port(struct cmux *mux, enum cmux_console which,
		  const char *log_path, const struct cmux_guest *guest,
		  struct cmux_port **out)
{
	struct cmux_port *p;
	struct stat st;
	int rc = -ENOMEM;

	if (which >= CMUX_NR_CONSOLES || mux->ports[which])
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	p->mux = mux;
	p->which = which;
	p->log_fd = -1;
	p->ring_size = mux->cfg.ring_size;
	p->log_max = mux->cfg.log_size;
	p->ring = malloc(p->ring_size);
	p->wake_ev = event_new(mux->base, -1, 0, cmux_port_wake, p);
	p->retry_ev = event_new(mux->base, -1, 0, cmux_port_retry, p);
	if (guest)
		p->guest = *guest;
	if (!p->ring || !p->wake_ev || !p->retry_ev)
		goto out_free;
	if (log_path) {
		p->log_path = strdup(log_path);
		if (!p->log_path)
			goto out_free;
		p->log_fd = open(log_path,
				 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				 0600);
		if (p->log_fd < 0 || fstat(p->log_fd, &st) < 0) {
			rc = -errno;
			hv_error("Cannot open the %s console log %s: %s.",
				 cmux_names[which], log_path, strerror(-rc));
			goto out_free;
		}
		p->log_len = (uint64_t)st.st_size;
	}
	mux->ports[which] = p;
	*out = p;
	return 0;
out_free:
	cmux_port_free(p);
	return rc;
}

void cmux_vm_stopped(struct cmux *mux, const char *why)
{
	struct cmux_client *c, *next;

	if (!mux || mux->end_reason)
		return;
	mux->end_reason = strdup(why);
	if (!mux->end_reason)
		return;
	for (c = mux->clients; c; c = next) {
		next = c->next;
		if (c->state == CMUX_STREAM && !c->wr_on)
			cmux_client_pump(c);
	}
}

void cmux_free(struct cmux *mux)
{
	if (!mux)
		return;
	if (!mux->end_reason)
		mux->end_reason = strdup("keel-hv is exiting.");
	cmux_server_close(mux);
	for (int i = 0; i < CMUX_NR_CONSOLES; i++)
		cmux_port_free(mux->ports[i]);
	free(mux->end_reason);
	free(mux);
}
