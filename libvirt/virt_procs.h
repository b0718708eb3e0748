/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_VIRT_PROCS_H
#define KEEL_VIRT_PROCS_H

/*
 * keel-virtd's procedures: the one table (virt_procs.c) of every
 * procedure of libvirt's remote program it answers, and what a handler
 * has to work with (docs/libvirt.md, "The protocol subset").
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rpc/rpc.h>

#include "keel.h"
#include "virt_protocol.h"

/* A read-only connection may call it (it changes nothing). */
#define VIRT_PROC_READ (1u << 0)
/* It may come before CONNECT_OPEN. */
#define VIRT_PROC_PREOPEN (1u << 1)
/*
 * Answered on the event loop, in the order the calls came: it never
 * asks keeld and never blocks (CONNECT_OPEN must be done before the
 * next call of the client is looked at).
 */
#define VIRT_PROC_LOOP (1u << 2)

struct virt_client;
struct virt_options;

/* One call being answered: its client, keeld, its error. */
struct virt_call {
	struct virt_client *client;
	const struct virt_options *opts;
	const struct virt_proc *proc;
	unsigned serial;	/* the call's: a stream it opens goes on it */
	/* The worker's connection to keeld (NULL: none yet); NULL on the loop. */
	struct keel_conn **keel;
	/* Set by virt_call_error(): libvirt's code and domain, a sentence. */
	int code, domain;
	char *message;
};

/*
 * A handler: @args (decoded, the table's args type; NULL when it has
 * none) in, @ret (zeroed; the table's ret type) out. Returns 0, or -1
 * after virt_call_error(). Strings and arrays put into @ret are malloc'd:
 * rpcgen's xdr_free() frees them after the reply is written.
 */
typedef int (*virt_handler)(struct virt_call *call, void *args, void *ret);

struct virt_proc {
	int proc;		/* libvirt's procedure number */
	const char *name;	/* libvirt's name, for messages */
	xdrproc_t args_xdr;	/* NULL: no arguments */
	size_t args_size;
	xdrproc_t ret_xdr;	/* NULL: an empty answer */
	size_t ret_size;
	virt_handler fn;
	unsigned flags;		/* VIRT_PROC_* */
};

/* The table, sorted by procedure number (a unit test checks it). */
extern const struct virt_proc virt_procs[];
extern const size_t virt_nr_procs;

/* The entry of procedure @proc, or NULL for one keel-virtd does not know. */
const struct virt_proc *virt_proc_find(int proc);

/*
 * Answer the call @h whose payload is @payload (@len bytes) with @call's
 * procedure: decode, run the handler, encode. Returns 0 with the whole
 * reply message in *@out (*@out_len bytes; the caller frees it), which
 * is an error reply when anything failed, or -ENOMEM.
 */
int virt_proc_run(struct virt_call *call, const struct vx_header *h,
		  const uint8_t *payload, size_t len, uint8_t **out,
		  size_t *out_len);

/*
 * An error reply to the call @h: libvirt's @code and @domain with the
 * sentence @message. Returns 0 and *@out (*@out_len bytes; the caller
 * frees it), or -ENOMEM.
 */
int virt_reply_error(const struct vx_header *h, int code, int domain,
		     const char *message, uint8_t **out, size_t *out_len);

/* Record @call's error (printf-style sentence). Returns -1. */
int virt_call_error(struct virt_call *call, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* virt_call_error() for memory that ran out: VIR_ERR_NO_MEMORY. -1. */
int virt_call_nomem(struct virt_call *call);

/*
 * The worker's connection to keeld, made now if there is none. NULL
 * after virt_call_error() (VIR_ERR_SYSTEM_ERROR) when keeld cannot be
 * reached.
 */
struct keel_conn *virt_call_keel(struct virt_call *call);

/* Record keeld's error of the last call on @call's connection. Returns -1. */
int virt_call_keel_error(struct virt_call *call);

/*
 * Refuse @flags bits outside @allowed (VIR_ERR_INVALID_ARG, as libvirt's
 * drivers do): returns 0, or -1 after virt_call_error().
 */
int virt_call_check_flags(struct virt_call *call, unsigned flags,
			  unsigned allowed);

#endif /* KEEL_VIRT_PROCS_H */
