/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_VIRT_TLS_H
#define KEEL_VIRT_TLS_H

/*
 * keel-virtd on libvirt's TLS port (docs/libvirt.md, "Save, migration
 * and TLS"), for `virsh -c keel+tls://HOST/system` from another host:
 * TLS 1.3 with libvirt's PKI files, a client certificate required and
 * chained to the CA, its subject checked against allow-lists (libvirt's
 * tls_allowed_dn_list), then libvirt's one confirmation byte, and the
 * connection is served as a UNIX socket client is (virt_server.c).
 */

#include <stdbool.h>

#include <event2/event.h>

#define VIRT_TLS_PORT 16514
#define VIRT_TLS_CA "/etc/pki/CA/cacert.pem"
#define VIRT_TLS_CERT "/etc/pki/libvirt/servercert.pem"
#define VIRT_TLS_KEY "/etc/pki/libvirt/private/serverkey.pem"
/* Patterns of each allow-list, and addresses to listen on. */
#define VIRT_TLS_DN_MAX 32
#define VIRT_TLS_ADDR_MAX 8
/* A handshake's limit, and how many may be under way at once. */
#define VIRT_TLS_HANDSHAKE_S 10
#define VIRT_TLS_MAX_HANDSHAKES 64

struct virt_tls_options {
	bool listen;			/* --listen-tls */
	unsigned port;			/* --tls-port */
	const char *addr[VIRT_TLS_ADDR_MAX];	/* --listen-addr; none: all */
	unsigned nr_addr;
	const char *ca, *cert, *key;	/* --ca-file, --cert-file, --key-file */
	/* fnmatch patterns of subjects (RFC 2253) let in read-write, read-only */
	const char *allowed_dn[VIRT_TLS_DN_MAX];
	unsigned nr_allowed_dn;
	const char *readonly_dn[VIRT_TLS_DN_MAX];
	unsigned nr_readonly_dn;
};

/* The defaults above, not listening. */
void virt_tls_options_init(struct virt_tls_options *t);

/*
 * getopt_long's option @name (without "--") with @arg into @t: returns
 * 1 when it was one of the TLS options, 0 when not, -EINVAL after
 * printing why the value is wrong.
 */
int virt_tls_option(struct virt_tls_options *t, const char *name,
		    const char *arg);

struct virt_server;
struct virt_tls;

/*
 * Load the certificates and listen as @t says (nothing when !t->listen:
 * 0 and *@out NULL), handing each client let in to @srv. @t is borrowed
 * for the listener's life. Returns 0, or -errno after logging why.
 */
int virt_tls_new(struct event_base *base, struct virt_server *srv,
		 const struct virt_tls_options *t, struct virt_tls **out);

/* Stop listening; handshakes under way are dropped. NULL is fine. */
void virt_tls_free(struct virt_tls *vt);

#endif /* KEEL_VIRT_TLS_H */
