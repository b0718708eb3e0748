// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tests' bare libvirt client on keel's XDR (virt_client.h): framing
 * from libvirt/virt_frame.c, one message read at a time and filed as a
 * reply, an event or console bytes.
 */
#include "config.h"

#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"
#include "virt_client.h"

static void virt_client_read(struct virt_client *c, uint8_t *buf, size_t len,
			     int timeout_ms)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		ck_assert_msg(poll(&p, 1, timeout_ms) == 1,
			      "nothing from keel-virtd");
		n = read(c->fd, buf + got, len - got);
		ck_assert_msg(n > 0, "keel-virtd closed the connection");
		got += (size_t)n;
	}
}

static struct virt_console *virt_client_console_of(struct virt_client *c,
						   unsigned serial)
{
	for (int i = 0; i < VIRT_CLIENT_CONSOLES; i++)
		if (c->cons[i].serial == serial)
			return &c->cons[i];
	return NULL;
}

static void virt_client_file_event(struct virt_client *c, const uint8_t *msg,
				   size_t n)
{
	struct vx_event_lifecycle_msg m = { 0 };
	struct virt_client_event *e;

	ck_assert_int_eq(virt_payload_decode(msg + VIRT_MSG_MIN,
					     n - VIRT_MSG_MIN,
					     (xdrproc_t)xdr_vx_event_lifecycle_msg,
					     &m),
			 0);
	ck_assert_int_lt(c->nr_evs, VIRT_CLIENT_EVENTS);
	e = &c->evs[c->nr_evs++];
	e->event = m.event;
	e->detail = m.detail;
	snprintf(e->name, sizeof(e->name), "%s", m.dom.name);
	xdr_free((xdrproc_t)xdr_vx_event_lifecycle_msg, &m);
}

static void virt_client_file_stream(struct virt_client *c,
				    const struct vx_header *h,
				    const uint8_t *msg, size_t n)
{
	struct virt_console *con = virt_client_console_of(c, h->serial);
	struct vx_error e = { 0 };
	size_t len = n - VIRT_MSG_MIN;

	ck_assert_msg(con, "stream data on serial %u", h->serial);
	ck_assert_int_eq(con->end, -1);
	if (h->status == VX_CONTINUE) {
		/* libvirt's largest stream chunk, 256 KiB less the header */
		ck_assert_uint_le(len, 262120);
		if (len > sizeof(con->out) - con->len - 1)
			len = sizeof(con->out) - con->len - 1;
		memcpy(con->out + con->len, msg + VIRT_MSG_MIN, len);
		con->len += len;
		con->out[con->len] = '\0';
		return;
	}
	con->end = h->status;
	if (h->status != VX_ERROR)
		return;
	ck_assert_int_eq(virt_payload_decode(msg + VIRT_MSG_MIN, len,
					     (xdrproc_t)xdr_vx_error, &e),
			 0);
	con->code = e.code;
	xdr_free((xdrproc_t)xdr_vx_error, &e);
}

/* Read one message and file it: a reply is kept, the rest recorded. */
static void virt_client_pump(struct virt_client *c, int timeout_ms)
{
	struct vx_header h;
	uint8_t word[4], *msg;
	long n;

	virt_client_read(c, word, 4, timeout_ms);
	n = virt_frame_length(word);
	ck_assert_int_gt(n, 0);
	msg = malloc((size_t)n);
	ck_assert_ptr_nonnull(msg);
	memcpy(msg, word, 4);
	virt_client_read(c, msg + 4, (size_t)n - 4, timeout_ms);
	ck_assert_int_eq(virt_header_decode(msg, (size_t)n, &h), 0);
	if (h.type == VX_MESSAGE && h.proc == VIRT_PROC_EVENT_LIFECYCLE) {
		ck_assert_int_eq(h.serial, 0);
		virt_client_file_event(c, msg, (size_t)n);
	} else if (h.type == VX_STREAM) {
		virt_client_file_stream(c, &h, msg, (size_t)n);
	} else {
		ck_assert_int_eq(h.type, VX_REPLY);
		free(c->reply_msg);
		c->reply_h = h;
		c->reply_msg = msg;
		c->reply_len = (size_t)n;
		return;
	}
	free(msg);
}

static void virt_client_write(struct virt_client *c, const uint8_t *msg,
			      size_t len)
{
	ck_assert_int_eq(write(c->fd, msg, len), (ssize_t)len);
}

int virt_client_call(struct virt_client *c, int proc, xdrproc_t afn,
		     void *args, xdrproc_t rfn, void *ret)
{
	struct vx_header h = { VX_PROGRAM, VX_PROGRAM_VERSION, proc, VX_CALL,
			       ++c->serial, VX_OK };
	struct vx_error e = { 0 };
	uint8_t *msg;
	size_t len;
	int code;

	ck_assert_int_eq(virt_msg_encode(&h, afn, args, &msg, &len), 0);
	virt_client_write(c, msg, len);
	free(msg);
	do
		virt_client_pump(c, CALL_TIMEOUT_MS);
	while (!c->reply_msg || c->reply_h.serial != h.serial);
	ck_assert_int_eq(c->reply_h.proc, proc);
	if (c->reply_h.status == VX_ERROR) {
		ck_assert_int_eq(virt_payload_decode(c->reply_msg + VIRT_MSG_MIN,
						     c->reply_len - VIRT_MSG_MIN,
						     (xdrproc_t)xdr_vx_error,
						     &e),
				 0);
		code = e.code;
		if (e.message)
			printf("keel-virtd: procedure %d: error %d: %s\n",
			       proc, code, *e.message);
		xdr_free((xdrproc_t)xdr_vx_error, &e);
		ck_assert_int_ne(code, 0);
		return code;
	}
	ck_assert_int_eq(c->reply_h.status, VX_OK);
	ck_assert_int_eq(virt_payload_decode(c->reply_msg + VIRT_MSG_MIN,
					     c->reply_len - VIRT_MSG_MIN, rfn,
					     ret),
			 0);
	return 0;
}

void virt_client_open(struct virt_client *c, const char *sock)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char *name = "keel:///system";
	struct vx_open_args args = { &name, 0 };

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(c->fd, 0);
	ck_assert_uint_lt(strlen(sock), sizeof(a.sun_path));
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	ck_assert_int_eq(connect(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(virt_client_call(c, VIRT_PROC_CONNECT_OPEN,
					  (xdrproc_t)xdr_vx_open_args, &args,
					  NULL, NULL),
			 0);
}

void virt_client_close(struct virt_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->reply_msg);
	c->reply_msg = NULL;
}

int virt_client_dom_call(struct virt_client *c, int proc,
			 const struct vx_dom *dom)
{
	struct vx_dom_args a = { *dom };

	return virt_client_call(c, proc, (xdrproc_t)xdr_vx_dom_args, &a, NULL,
				NULL);
}

void virt_client_lookup(struct virt_client *c, const char *name,
			struct vx_dom *dom)
{
	struct vx_lookup_name_args a = { (char *)name };
	struct vx_dom_ret r = { 0 };

	ck_assert_int_eq(virt_client_call(c, VIRT_PROC_DOMAIN_LOOKUP_BY_NAME,
					  (xdrproc_t)xdr_vx_lookup_name_args,
					  &a, (xdrproc_t)xdr_vx_dom_ret, &r),
			 0);
	*dom = r.dom;
}

void virt_client_events(struct virt_client *c)
{
	struct vx_event_register_any_args reg = { 0, NULL };
	struct vx_event_register_any_ret id = { 0 };

	ck_assert_int_eq(virt_client_call(c, VIRT_PROC_EVENT_REGISTER_ANY,
					  (xdrproc_t)xdr_vx_event_register_any_args,
					  &reg,
					  (xdrproc_t)xdr_vx_event_register_any_ret,
					  &id),
			 0);
	ck_assert_int_gt(id.callback_id, 0);
}

void virt_client_wait_event(struct virt_client *c, const char *name,
			    int event, int detail)
{
	long long end = harness_now_ms() + CALL_TIMEOUT_MS;

	for (;;) {
		for (int i = 0; i < c->nr_evs; i++)
			if (c->evs[i].event == event &&
			    c->evs[i].detail == detail &&
			    !strcmp(c->evs[i].name, name))
				return;
		ck_assert_msg(harness_now_ms() < end,
			      "no event %d detail %d for %s (%d seen)", event,
			      detail, name, c->nr_evs);
		virt_client_pump(c, (int)(end - harness_now_ms()));
	}
}

int virt_client_console(struct virt_client *c, const struct vx_dom *dom,
			unsigned flags, int slot)
{
	struct vx_open_console_args a = { *dom, NULL, flags };
	struct virt_console *con = &c->cons[slot];
	int rc;

	ck_assert_int_lt(slot, VIRT_CLIENT_CONSOLES);
	memset(con, 0, sizeof(*con));
	con->serial = c->serial + 1;
	con->end = -1;
	rc = virt_client_call(c, VIRT_PROC_DOMAIN_OPEN_CONSOLE,
			      (xdrproc_t)xdr_vx_open_console_args, &a, NULL,
			      NULL);
	if (rc)
		con->serial = 0;
	return rc;
}

void virt_client_stream(struct virt_client *c, int slot, int status,
			const char *data, size_t len)
{
	struct vx_header h = { VX_PROGRAM, VX_PROGRAM_VERSION,
			       VIRT_PROC_DOMAIN_OPEN_CONSOLE, VX_STREAM,
			       c->cons[slot].serial, status };
	uint8_t *msg;
	size_t n;

	/* The header alone, then the raw bytes, the length word fixed. */
	ck_assert_int_eq(virt_msg_encode(&h, NULL, NULL, &msg, &n), 0);
	msg = realloc(msg, n + len);
	ck_assert_ptr_nonnull(msg);
	if (len)
		memcpy(msg + n, data, len);
	n += len;
	msg[0] = (uint8_t)(n >> 24);
	msg[1] = (uint8_t)(n >> 16);
	msg[2] = (uint8_t)(n >> 8);
	msg[3] = (uint8_t)n;
	virt_client_write(c, msg, n);
	free(msg);
}

void virt_client_wait_console(struct virt_client *c, int slot,
			      const char *want)
{
	struct virt_console *con = &c->cons[slot];
	long long end = harness_now_ms() + CALL_TIMEOUT_MS;

	while (!strstr(con->out, want)) {
		ck_assert_msg(con->end == -1, "the console ended: %s",
			      con->out);
		ck_assert_msg(harness_now_ms() < end, "no \"%s\" in: %s", want,
			      con->out);
		virt_client_pump(c, (int)(end - harness_now_ms()));
	}
}

void virt_client_wait_end(struct virt_client *c, int slot)
{
	while (c->cons[slot].end == -1)
		virt_client_pump(c, CALL_TIMEOUT_MS);
}
