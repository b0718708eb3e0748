/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_TESTS_VIRT_CLIENT_H
#define KEEL_TESTS_VIRT_CLIENT_H
/*
 * A bare libvirt client on keel's XDR (libvirt/virt_protocol.x), for
 * what the stock clients (virsh, python3-libvirt) never send but a test
 * must: a stream chunk past libvirt's limit, a console aborted without
 * waiting for the answer, a paste into a paused guest's console. The
 * stock clients cover everything else (check_virtd_kvm, check_virtd,
 * check_virtd_events); there is one copy of this client, here.
 *
 * One connection on a UNIX socket; events and stream data arriving
 * between replies are kept. The helpers fail the running Check test
 * (ck_assert) when keel-virtd breaks the protocol or goes silent.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libtirpc's <rpc/clnt.h> has an rpc_call() of its own: keep it apart. */
#define rpc_call tirpc_rpc_call
#include "virt_frame.h"
#undef rpc_call

/* libvirt's procedure numbers the tests send (remote_protocol.x). */
#define VIRT_PROC_CONNECT_OPEN 1
#define VIRT_PROC_DOMAIN_RESUME 28
#define VIRT_PROC_DOMAIN_SUSPEND 34
#define VIRT_PROC_DOMAIN_DESTROY 12
#define VIRT_PROC_DOMAIN_LOOKUP_BY_NAME 23
#define VIRT_PROC_DOMAIN_OPEN_CONSOLE 201
#define VIRT_PROC_EVENT_REGISTER_ANY 316
#define VIRT_PROC_EVENT_LIFECYCLE 318

/* The events one connection keeps, and the consoles it follows. */
#define VIRT_CLIENT_EVENTS 64
#define VIRT_CLIENT_CONSOLES 5

struct virt_client_event {
	int event, detail;
	char name[64];
};

/* One console stream: what the guest wrote, and how keel-virtd ended it. */
struct virt_console {
	unsigned serial;	/* 0: not open */
	char out[65536];
	size_t len;
	int end;		/* -1 open; VX_OK or VX_ERROR once ended */
	int code;		/* the VX_ERROR's libvirt error code */
};

struct virt_client {
	int fd;
	unsigned serial;
	struct virt_client_event evs[VIRT_CLIENT_EVENTS];
	int nr_evs;
	struct virt_console cons[VIRT_CLIENT_CONSOLES];
	/* The last reply, whole (owned). */
	struct vx_header reply_h;
	uint8_t *reply_msg;
	size_t reply_len;
};

/* Connect to keel-virtd's socket @sock and open keel:///system. */
void virt_client_open(struct virt_client *c, const char *sock);
/* Close the connection and free what it kept; idempotent. */
void virt_client_close(struct virt_client *c);

/*
 * Call @proc with @args (@afn encodes them; NULL: none) and decode the
 * reply's payload into @ret with @rfn. Returns 0, or the libvirt error
 * code of an error reply.
 */
int virt_client_call(struct virt_client *c, int proc, xdrproc_t afn,
		     void *args, xdrproc_t rfn, void *ret);
/* A call whose only argument is @dom (suspend, resume, destroy). */
int virt_client_dom_call(struct virt_client *c, int proc,
			 const struct vx_dom *dom);
/* DOMAIN_LOOKUP_BY_NAME into *@dom (xdr_free it). */
void virt_client_lookup(struct virt_client *c, const char *name,
			struct vx_dom *dom);

/* Register for every domain's lifecycle events. */
void virt_client_events(struct virt_client *c);
/* Wait for the lifecycle event @event with @detail of domain @name. */
void virt_client_wait_event(struct virt_client *c, const char *name,
			    int event, int detail);

/*
 * DOMAIN_OPEN_CONSOLE of @dom with @flags, followed as console @slot.
 * Returns 0 or libvirt's error code.
 */
int virt_client_console(struct virt_client *c, const struct vx_dom *dom,
			unsigned flags, int slot);
/* Send @len bytes of @data (may be none) on console @slot with @status. */
void virt_client_stream(struct virt_client *c, int slot, int status,
			const char *data, size_t len);
/* Wait until console @slot's output holds @want. */
void virt_client_wait_console(struct virt_client *c, int slot,
			      const char *want);
/* Wait until keel-virtd ends console @slot. */
void virt_client_wait_end(struct virt_client *c, int slot);

#endif /* KEEL_TESTS_VIRT_CLIENT_H */
