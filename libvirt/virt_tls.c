// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-virtd's TLS listener (virt_tls.h): accept, the handshake on a
 * libevent OpenSSL bufferevent, the client's subject against the
 * allow-lists, libvirt's confirmation byte, then the bufferevent goes
 * to virt_server.c, which serves it as it serves a UNIX socket client
 * (its framing, limits, keepalive and workers). The context is keel's
 * (tls_ctx_tune(): TLS 1.3 only, as keeld's listeners; Debian 12's
 * libvirt client, on GnuTLS 3.7, offers TLS 1.3).
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"
#include "pki.h"
#include "tcp_tune.h"
#include "tls_pump.h"
#include "virt_server.h"
#include "virt_tls.h"

/* One connection in its handshake; virt_server.c owns it after. */
struct virt_tls_conn {
	struct virt_tls *vt;
	struct bufferevent *bev;
	char peer[NI_MAXHOST + NI_MAXSERV + 4];
	struct virt_tls_conn *prev, *next;
};

struct virt_tls {
	struct event_base *base;
	struct virt_server *srv;
	const struct virt_tls_options *opts;
	SSL_CTX *ctx;
	struct evconnlistener *lev[VIRT_TLS_ADDR_MAX + 1];
	unsigned nr_lev;
	struct virt_tls_conn *conns;	/* handshakes under way */
	unsigned nr_conns;
};

void virt_tls_options_init(struct virt_tls_options *t)
{
	memset(t, 0, sizeof(*t));
	t->port = VIRT_TLS_PORT;
	t->ca = VIRT_TLS_CA;
	t->cert = VIRT_TLS_CERT;
	t->key = VIRT_TLS_KEY;
}

static int add_pattern(const char **list, unsigned *nr, unsigned max,
		       const char *opt, const char *arg)
{
	if (*nr >= max) {
		fprintf(stderr, "keel-virtd: --%s may be given at most %u times.\n",
			opt, max);
		return -EINVAL;
	}
	list[(*nr)++] = arg;
	return 1;
}

int virt_tls_option(struct virt_tls_options *t, const char *name,
		    const char *arg)
{
	char *end;
	long n;

	if (!strcmp(name, "listen-tls")) {
		t->listen = true;
		return 1;
	}
	if (!strcmp(name, "tls-port")) {
		n = strtol(arg, &end, 10);
		if (*end || end == arg || n < 1 || n > 65535) {
			fprintf(stderr, "keel-virtd: --tls-port takes a port from 1 to 65535, not \"%s\".\n",
				arg);
			return -EINVAL;
		}
		t->port = (unsigned)n;
		return 1;
	}
	if (!strcmp(name, "listen-addr"))
		return add_pattern(t->addr, &t->nr_addr, VIRT_TLS_ADDR_MAX,
				   name, arg);
	if (!strcmp(name, "ca-file"))
		t->ca = arg;
	else if (!strcmp(name, "cert-file"))
		t->cert = arg;
	else if (!strcmp(name, "key-file"))
		t->key = arg;
	else if (!strcmp(name, "tls-allowed-dn"))
		return add_pattern(t->allowed_dn, &t->nr_allowed_dn,
				   VIRT_TLS_DN_MAX, name, arg);
	else if (!strcmp(name, "tls-readonly-dn"))
		return add_pattern(t->readonly_dn, &t->nr_readonly_dn,
				   VIRT_TLS_DN_MAX, name, arg);
	else
		return 0;
	if (!*arg) {
		fprintf(stderr, "keel-virtd: --%s must not be empty.\n", name);
		return -EINVAL;
	}
	return 1;
}

/* OpenSSL's queued errors as one clause, for a log line. */
static void conn_free(struct virt_tls_conn *tc, bool free_bev)
{
	struct virt_tls *vt = tc->vt;

	if (tc->prev)
		tc->prev->next = tc->next;
	else
		vt->conns = tc->next;
	if (tc->next)
		tc->next->prev = tc->prev;
	vt->nr_conns--;
	if (free_bev && tc->bev)
		bufferevent_free(tc->bev);
	free(tc);
}

/*
 * The handshake is over and the certificate chains to the CA: is its
 * subject on a list? Then libvirt's byte 1 says so (a client that gets
 * none reports that the server refused its certificate), and the
 * server takes the connection.
 */
static void conn_admit(struct virt_tls_conn *tc)
{
	const struct virt_tls_options *o = tc->vt->opts;
	struct bufferevent *bev = tc->bev;
	bool rw, ro;
	char dn[1024];

	pki_peer_subject(bufferevent_openssl_get_ssl(bev), dn, sizeof(dn));
	if (!o->nr_allowed_dn && !o->nr_readonly_dn) {
		rw = true;
		ro = false;
	} else {
		rw = pki_dn_listed(o->allowed_dn, o->nr_allowed_dn, dn);
		ro = !rw && pki_dn_listed(o->readonly_dn, o->nr_readonly_dn, dn);
	}
	if (!rw && !ro) {
		log_info_limited("Refused a TLS client from %s: its subject \"%s\" is on neither --tls-allowed-dn nor --tls-readonly-dn.",
				 tc->peer, dn);
		conn_free(tc, true);
		return;
	}
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	bufferevent_set_timeouts(bev, NULL, NULL);
	if (bufferevent_write(bev, "\1", 1) ||
	    virt_server_adopt(tc->vt->srv, bev, ro)) {
		log_warn_limited("Dropped the TLS client \"%s\" from %s: keel-virtd cannot take it now.",
				 dn, tc->peer);
		conn_free(tc, true);
		return;
	}
	log_info("TLS client \"%s\" from %s let in%s.", dn, tc->peer,
		 ro ? " read-only" : "");
	conn_free(tc, false);
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct virt_tls_conn *tc = arg;
	char why[512];

	if (what & BEV_EVENT_CONNECTED) {
		conn_admit(tc);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		log_info_limited("Closing the TLS connection from %s: no handshake within %d s.",
				 tc->peer, VIRT_TLS_HANDSHAKE_S);
	} else {
		pki_errors_text(bufferevent_get_openssl_error(bev), why,
			   sizeof(why));
		log_info_limited("Refused a TLS client from %s: %s.", tc->peer,
				 why);
	}
	conn_free(tc, true);
}

static void tls_accept(struct evconnlistener *lev, evutil_socket_t fd,
		       struct sockaddr *sa, int socklen, void *arg)
{
	const struct timeval hs = { .tv_sec = VIRT_TLS_HANDSHAKE_S };
	struct virt_tls *vt = arg;
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	struct virt_tls_conn *tc;
	SSL *ssl;

	if (vt->nr_conns >= VIRT_TLS_MAX_HANDSHAKES) {
		log_warn_limited("Closing a TLS connection at once: %d handshakes are under way already.",
				 VIRT_TLS_MAX_HANDSHAKES);
		close(fd);
		return;
	}
	tcp_tune(fd);
	tc = calloc(1, sizeof(*tc));
	ssl = tc ? SSL_new(vt->ctx) : NULL;
	if (!ssl) {
		free(tc);
		close(fd);
		log_warn_limited("Refusing a TLS connection: out of memory.");
		return;
	}
	if (getnameinfo(sa, (socklen_t)socklen, host, sizeof(host), serv,
			sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV))
		snprintf(tc->peer, sizeof(tc->peer), "an unknown address");
	else
		snprintf(tc->peer, sizeof(tc->peer),
			 sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host,
			 serv);
	/* Thread-safe: once let in, workers write replies into it. */
	tc->bev = bufferevent_openssl_socket_new(vt->base, fd, ssl,
						 BUFFEREVENT_SSL_ACCEPTING,
						 BEV_OPT_CLOSE_ON_FREE |
							 BEV_OPT_THREADSAFE);
	if (!tc->bev) {
		SSL_free(ssl);
		close(fd);
		free(tc);
		return;
	}
	tc->vt = vt;
	tc->next = vt->conns;
	if (vt->conns)
		vt->conns->prev = tc;
	vt->conns = tc;
	vt->nr_conns++;
	bufferevent_setcb(tc->bev, NULL, NULL, conn_event, tc);
	bufferevent_set_timeouts(tc->bev, &hs, &hs);
	bufferevent_enable(tc->bev, EV_READ | EV_WRITE);
}

/* libvirt's PKI files into a TLS 1.3 server context. */
static int ctx_new(const struct virt_tls_options *o, SSL_CTX **out)
{
	char why[1024];
	SSL_CTX *ctx;
	int rc;

	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return -ENOMEM;
	tls_ctx_tune(ctx);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/*
	 * No TLS 1.3 session tickets: libvirt's client polls for the
	 * confirmation byte and reads once, and a ticket arriving first
	 * makes that read fail ("Unable to read TLS confirmation").
	 */
	SSL_CTX_set_num_tickets(ctx, 0);
	rc = pki_ctx_load(ctx, true, o->ca, o->cert, o->key,
			  "keel-virtd's TLS port needs the CA certificate (--ca-file), its certificate (--cert-file) and its key (--key-file).",
			  why, sizeof(why));
	if (rc) {
		log_err("%s", why);
		SSL_CTX_free(ctx);
		return rc;
	}
	*out = ctx;
	return 0;
}

static int tls_listen(struct virt_tls *vt, const char *host, bool optional)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	struct addrinfo *ai;
	char serv[16];
	int rc;

	snprintf(serv, sizeof(serv), "%u", vt->opts->port);
	rc = getaddrinfo(host, serv, &hints, &ai);
	if (rc) {
		log_err("Cannot listen on %s port %s: %s.", host, serv,
			gai_strerror(rc));
		return -EINVAL;
	}
	vt->lev[vt->nr_lev] = evconnlistener_new_bind(
		vt->base, tls_accept, vt,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
			LEV_OPT_REUSEABLE |
			(ai->ai_family == AF_INET6 ? LEV_OPT_BIND_IPV6ONLY : 0),
		128, ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	if (!vt->lev[vt->nr_lev]) {
		rc = errno ? -errno : -EIO;
		if (optional) {
			log_warn("Not listening on %s port %s: %s.", host, serv,
				 strerror(-rc));
			return 0;
		}
		log_err("Cannot listen on %s port %s: %s.", host, serv,
			strerror(-rc));
		return rc;
	}
	vt->nr_lev++;
	return 0;
}

int virt_tls_new(struct event_base *base, struct virt_server *srv,
		 const struct virt_tls_options *t, struct virt_tls **out)
{
	struct virt_tls *vt;
	int rc;

	*out = NULL;
	if (!t->listen)
		return 0;
	vt = calloc(1, sizeof(*vt));
	if (!vt)
		return -ENOMEM;
	vt->base = base;
	vt->srv = srv;
	vt->opts = t;
	rc = ctx_new(t, &vt->ctx);
	for (unsigned i = 0; !rc && i < t->nr_addr; i++)
		rc = tls_listen(vt, t->addr[i], false);
	/* No address given: every IPv4 one, and IPv6 where the host has it. */
	if (!rc && !t->nr_addr) {
		rc = tls_listen(vt, "0.0.0.0", false);
		if (!rc)
			rc = tls_listen(vt, "::", true);
	}
	if (rc) {
		virt_tls_free(vt);
		return rc;
	}
	if (!t->nr_allowed_dn && !t->nr_readonly_dn)
		log_warn("Neither --tls-allowed-dn nor --tls-readonly-dn is given: every client with a certificate from the CA %s may use keel-virtd read-write.",
			 t->ca);
	*out = vt;
	return 0;
}

void virt_tls_free(struct virt_tls *vt)
{
	if (!vt)
		return;
	while (vt->conns)
		conn_free(vt->conns, true);
	for (unsigned i = 0; i < vt->nr_lev; i++)
		evconnlistener_free(vt->lev[i]);
	SSL_CTX_free(vt->ctx);
	free(vt);
}
