// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld as a client of another keeld (peer.h): a bufferevent_openssl
 * connection, resolved with evdns so that a host name never blocks the
 * loop, JSON-RPC lines framed as every keel reader frames them
 * (jsonrpc_frame_ev.h), and a table of calls waiting for their answers.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "jsonrpc.h"
#include "jsonrpc_frame_ev.h"
#include "keel.h"
#include "keeld.h"
#include "log.h"
#include "peer.h"
#include "pki.h"
#include "tcp_tune.h"

struct peer_call {
	struct peer *p;
	int64_t id;
	peer_reply_fn cb;
	void *opaque;
	struct event *timer;
	int timeout_ms;
	struct peer_call *next;
};

struct peer {
	struct keeld *k;
	char host[256];
	unsigned port;
	SSL_CTX *ctx;
	struct evdns_base *dns;
	struct bufferevent *bev;
	struct jsonrpc_frame frame;
	bool connected;
	bool failed;			/* no answer will come any more */
	char why[512];			/* why, once failed */
	struct evbuffer *queued;	/* requests written before connected */
	struct peer_call *calls;
	int64_t next_id;
	int busy;			/* inside a callback */
	bool doomed;			/* peer_free() while busy */
};

const char *peer_host(const struct peer *p)
{
	return p->host;
}

unsigned peer_port(const struct peer *p)
{
	return p->port;
}

static void call_free(struct peer_call *c)
{
	if (c->timer)
		event_free(c->timer);
	free(c);
}

static void peer_destroy(struct peer *p)
{
	struct peer_call *c, *next;

	for (c = p->calls; c; c = next) {
		next = c->next;
		call_free(c);
	}
	if (p->bev) {
		SSL *ssl = bufferevent_openssl_get_ssl(p->bev);

		if (ssl)
			SSL_set_shutdown(ssl, SSL_RECEIVED_SHUTDOWN);
		bufferevent_free(p->bev);
	}
	if (p->dns)
		evdns_base_free(p->dns, 0);
	if (p->queued)
		evbuffer_free(p->queued);
	SSL_CTX_free(p->ctx);
	ERR_clear_error();
	free(p);
}

void peer_free(struct peer *p)
{
	if (!p)
		return;
	if (p->busy) {
		p->doomed = true;
		return;
	}
	peer_destroy(p);
}

/* Take call @id out of the table; NULL when none waits with it. */
static struct peer_call *call_take(struct peer *p, int64_t id)
{
	for (struct peer_call **pp = &p->calls; *pp; pp = &(*pp)->next) {
		struct peer_call *c = *pp;

		if (c->id == id) {
			*pp = c->next;
			return c;
		}
	}
	return NULL;
}

/* Answer @c (taken out of the table) and free it. */
static void call_answer(struct peer_call *c, struct json_object *result,
			int code, const char *message, bool transport)
{
	struct peer *p = c->p;

	p->busy++;
	c->cb(p, result, code, message, transport, c->opaque);
	p->busy--;
	call_free(c);
}

/* No answer will come: fail every call waiting, with @p->why. */
static void peer_fail(struct peer *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void peer_fail(struct peer *p, const char *fmt, ...)
{
	struct peer_call *c;
	va_list ap;

	if (!p->failed) {
		va_start(ap, fmt);
		vsnprintf(p->why, sizeof(p->why), fmt, ap);
		va_end(ap);
		p->failed = true;
		log_info("keeld at %s port %u: %s", p->host, p->port, p->why);
	}
	if (p->bev)
		bufferevent_disable(p->bev, EV_READ | EV_WRITE);
	p->busy++;
	while ((c = p->calls) && !p->doomed) {
		p->calls = c->next;
		call_answer(c, NULL, KEEL_E_OPERATION_FAILED, p->why, true);
	}
	p->busy--;
	if (p->doomed && !p->busy)
		peer_destroy(p);
}

static void call_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct peer_call *c = arg;
	struct peer *p = c->p;
	char msg[600];

	(void)fd;
	(void)what;
	c = call_take(p, c->id);
	if (!c)
		return;
	if (p->failed)
		snprintf(msg, sizeof(msg), "%s", p->why);
	else
		snprintf(msg, sizeof(msg),
			 "keeld at %s port %u did not answer within %d s.",
			 p->host, p->port, c->timeout_ms / 1000);
	call_answer(c, NULL, p->failed ? KEEL_E_OPERATION_FAILED :
					 KEEL_E_TIMEOUT,
		    msg, true);
	if (p->doomed && !p->busy)
		peer_destroy(p);
}

/* One line from the other keeld: the answer to a call, or an event. */
static void peer_line(struct peer *p, const char *line, size_t len)
{
	struct json_object *msg = NULL;
	struct jsonrpc_resp resp;
	struct peer_call *c;

	if (jsonrpc_parse_line(line, len, &msg) ||
	    jsonrpc_check_response(msg, &resp)) {
		json_object_put(msg);
		peer_fail(p, "keeld at %s port %u sent something that is not JSON-RPC.",
			  p->host, p->port);
		return;
	}
	if (resp.is_notification) {
		json_object_put(msg);
		return;
	}
	if (!resp.id || !json_object_is_type(resp.id, json_type_int)) {
		/* An error with id null: it refused us (tls_allowed_dn). */
		if (resp.is_error)
			peer_fail(p, "keeld at %s port %u refused the connection: %s",
				  p->host, p->port, resp.message);
		json_object_put(msg);
		return;
	}
	c = call_take(p, json_object_get_int64(resp.id));
	if (c) {
		if (resp.is_error)
			call_answer(c, NULL, resp.code, resp.message, false);
		else
			call_answer(c, resp.result, 0, NULL, false);
	}
	json_object_put(msg);
}

static void peer_read(struct bufferevent *bev, void *arg)
{
	struct peer *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;
	int rc = 0;

	p->busy++;
	while (!p->doomed && !p->failed &&
	       (rc = jsonrpc_frame_take_ev(&p->frame, in, &line, &len)) > 0) {
		peer_line(p, line, len);
		free(line);
	}
	p->busy--;
	if (p->doomed) {
		if (!p->busy)
			peer_destroy(p);
		return;
	}
	if (!p->failed && rc < 0)
		peer_fail(p, "keeld at %s port %u sent a line keeld cannot take (%s).",
			  p->host, p->port, strerror(-rc));
}

static void peer_event(struct bufferevent *bev, short what, void *arg)
{
	struct peer *p = arg;
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long e = bufferevent_get_openssl_error(bev);
	int dns_err = bufferevent_socket_get_dns_error(bev);
	long vr;

	if (what & BEV_EVENT_CONNECTED) {
		p->connected = true;
		tcp_tune(bufferevent_getfd(bev));
		bufferevent_set_timeouts(bev, NULL, NULL);
		bufferevent_write_buffer(bev, p->queued);
		bufferevent_enable(bev, EV_READ | EV_WRITE);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		peer_fail(p, "keeld at %s port %u did not complete the TLS handshake within %d s.",
			  p->host, p->port, PEER_CONNECT_MS / 1000);
		return;
	}
	if (dns_err) {
		peer_fail(p, "Cannot find the host %s: %s.", p->host,
			  evutil_gai_strerror(dns_err));
		return;
	}
	vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
	if (!p->connected && vr != X509_V_OK) {
		peer_fail(p, "Refusing keeld at %s port %u: its certificate does not verify: %s. It must come from the CA in keeld's pki_dir and name %s.",
			  p->host, p->port, X509_verify_cert_error_string(vr),
			  p->host);
	} else if (!p->connected && !e) {
		peer_fail(p, "Cannot connect to keeld at %s port %u: %s. Is keeld listening there (its keeld.conf's listen)?",
			  p->host, p->port,
			  strerror(EVUTIL_SOCKET_ERROR() ?
					   EVUTIL_SOCKET_ERROR() :
					   ECONNREFUSED));
	} else if (e) {
		char r[256];

		/* In TLS 1.3 its refusal of our certificate comes here. */
		pki_errors_text(e, r, sizeof(r));
		peer_fail(p, "keeld at %s port %u refused the TLS connection (%s): keeld's client certificate must come from that keeld's CA and be valid now.",
			  p->host, p->port, r);
	} else {
		peer_fail(p, "keeld at %s port %u closed the connection.",
			  p->host, p->port);
	}
	ERR_clear_error();
}

/* The client side of keeld's PKI directory, TLS 1.3 only. */
static int peer_ctx(struct peer *p, const char *dir, char *why, size_t size)
{
	char ca[4096], cert[4096], key[4096];

	snprintf(ca, sizeof(ca), "%s/%s", dir, KEEL_PKI_CACERT);
	snprintf(cert, sizeof(cert), "%s/%s", dir, KEEL_PKI_CLIENTCERT);
	snprintf(key, sizeof(key), "%s/%s", dir, KEEL_PKI_CLIENTKEY);
	p->ctx = SSL_CTX_new(TLS_client_method());
	if (!p->ctx) {
		snprintf(why, size, "keeld ran out of memory.");
		return -ENOMEM;
	}
	return pki_ctx_load(p->ctx, false, ca, cert, key,
			    "keeld needs cacert.pem, clientcert.pem and private/clientkey.pem in its PKI directory (pki_dir) to reach another keeld.",
			    why, size);
}

int peer_new(struct keeld *k, const char *host, unsigned port,
	     struct peer **out, char *why, size_t size)
{
	struct timeval tv = { PEER_CONNECT_MS / 1000, 0 };
	struct in6_addr a6;
	struct in_addr a4;
	struct peer *p;
	SSL *ssl;
	int rc;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(why, size, "keeld ran out of memory.");
		return -ENOMEM;
	}
	p->k = k;
	p->port = port;
	p->next_id = 1;
	snprintf(p->host, sizeof(p->host), "%s", host);
	rc = peer_ctx(p, k->conf.pki_dir, why, size);
	if (rc)
		goto out_free;
	rc = -ENOMEM;
	snprintf(why, size, "keeld ran out of memory.");
	p->queued = evbuffer_new();
	/* Name servers and /etc/hosts, read once here, not per lookup. */
	p->dns = evdns_base_new(k->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
						 EVDNS_BASE_NAMESERVERS_NO_DEFAULT);
	if (!p->dns) {
		/* No resolv.conf: names from /etc/hosts, addresses as they are. */
		p->dns = evdns_base_new(k->base, 0);
		if (p->dns)
			evdns_base_load_hosts(p->dns, NULL);
	}
	ssl = p->queued && p->dns ? SSL_new(p->ctx) : NULL;
	if (!ssl)
		goto out_free;
	/* Its certificate must name the host as the user gave it. */
	if (inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	} else {
		SSL_set1_host(ssl, host);
		SSL_set_tlsext_host_name(ssl, host);
	}
	p->bev = bufferevent_openssl_socket_new(k->base, -1, ssl,
						BUFFEREVENT_SSL_CONNECTING,
						BEV_OPT_CLOSE_ON_FREE);
	if (!p->bev) {
		SSL_free(ssl);
		goto out_free;
	}
	bufferevent_setcb(p->bev, peer_read, NULL, peer_event, p);
	bufferevent_set_timeouts(p->bev, &tv, &tv);
	if (bufferevent_socket_connect_hostname(p->bev, p->dns, AF_UNSPEC,
						host, (int)port)) {
		snprintf(why, size, "Cannot connect to keeld at %s port %u: %s.",
			 host, port, strerror(errno ? errno : EIO));
		rc = -EIO;
		goto out_free;
	}
	*out = p;
	return 0;

out_free:
	peer_destroy(p);
	return rc;
}

void peer_call(struct peer *p, const char *method, struct json_object *params,
	       int timeout_ms, peer_reply_fn cb, void *opaque)
{
	struct peer_call *c = calloc(1, sizeof(*c));
	struct json_object *req = NULL;
	struct timeval tv;
	char *line = NULL;
	size_t len;

	if (!timeout_ms)
		timeout_ms = PEER_CALL_MS;
	if (c)
		c->timer = evtimer_new(p->k->base, call_timeout, c);
	if (!c || !c->timer) {
		/* Answered from the loop all the same: a zero timeout. */
		json_object_put(params);
		if (c)
			free(c);
		log_err("keeld ran out of memory calling %s on keeld at %s.",
			method, p->host);
		return;
	}
	c->p = p;
	c->id = p->next_id++;
	c->cb = cb;
	c->opaque = opaque;
	c->timeout_ms = timeout_ms;
	c->next = p->calls;
	p->calls = c;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (!p->failed) {
		req = jsonrpc_request(method, params,
				      json_object_new_int64(c->id));
		params = NULL;
		line = req ? jsonrpc_to_line(req, &len) : NULL;
		json_object_put(req);
		if (!line) {
			/* Failed: every call is answered from the loop. */
			p->failed = true;
			snprintf(p->why, sizeof(p->why),
				 "keeld ran out of memory.");
		} else if (p->connected)
			bufferevent_write(p->bev, line, len);
		else
			evbuffer_add(p->queued, line, len);
		free(line);
	}
	json_object_put(params);
	/* A failed peer answers from the loop, never from in here. */
	if (p->failed) {
		tv.tv_sec = 0;
		tv.tv_usec = 0;
	}
	evtimer_add(c->timer, &tv);
}
