// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld's TLS listeners (tls.h): the handshake, the client's subject
 * against the allow-lists, admission, then a bridge that moves bytes
 * between the TLS connection and a socket pair whose other end
 * server.c serves as it serves a UNIX socket client.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "jsonrpc.h"
#include "keel.h"
#include "keeld.h"
#include "log.h"
#include "pki.h"
#include "tcp_tune.h"
#include "tls.h"

/*
 * Bytes one direction of the bridge holds before it stops reading the
 * other side: server.c bounds what a client holds, and this adds at
 * most this much per direction.
 */
#define TLS_BRIDGE_HIGH (256 * 1024)

/*
 * A closed connection's lingering, as listener.c's: what the client
 * still sends is read and discarded until it closes too, this long
 * passes or this much came, so that its request sent before it read
 * the answer does not make our kernel reset the connection and drop
 * the answer (the reason it was closed) unread.
 */
#define TLS_LINGER_S 2
#define TLS_LINGER_MAX_BYTES (64 * 1024)

/* The pause after accept() fails, as listener.c's. */
#define TLS_ACCEPT_BACKOFF_MS 200

struct tls_conn {
	struct tls_server *ts;
	struct bufferevent *tls;	/* to the client */
	struct bufferevent *pair;	/* to server.c; NULL until let in */
	char peer[NI_MAXHOST + NI_MAXSERV + 4];
	bool handshaking;
	bool closing;		/* write what is left, linger, close */
	size_t discarded;	/* bytes read while lingering */
	struct tls_conn *prev, *next;
};

struct tls_server {
	struct keeld *keeld;
	SSL_CTX *ctx;
	int prio;
	listeners_client_fn on_client;
	void *arg;
	struct evconnlistener *lev[CONF_MAX_LISTEN];
	unsigned nr_lev;
	struct event *retry;
	struct tls_conn *conns;
	unsigned nr_handshaking;
	struct timeval handshake_tv, idle_tv;
};


static void tls_conn_free(struct tls_conn *tc)
{
	struct tls_server *ts = tc->ts;

	if (tc->handshaking)
		ts->nr_handshaking--;
	if (tc->prev)
		tc->prev->next = tc->next;
	else
		ts->conns = tc->next;
	if (tc->next)
		tc->next->prev = tc->prev;
	/* Closing our end tells server.c the client has gone. */
	if (tc->pair)
		bufferevent_free(tc->pair);
	if (tc->tls) {
		SSL *ssl = bufferevent_openssl_get_ssl(tc->tls);

		/* No close_notify wait: the client may be gone already. */
		if (ssl)
			SSL_set_shutdown(ssl, SSL_RECEIVED_SHUTDOWN);
		bufferevent_free(tc->tls);
	}
	free(tc);
}

static void tls_client_drained(struct bufferevent *bev, void *arg);
static void tls_client_event(struct bufferevent *bev, short what, void *arg);

/* Lingering: discard what the client sends, up to a point. */
static void tls_discard(struct bufferevent *bev, void *arg)
{
	struct tls_conn *tc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	tc->discarded += evbuffer_get_length(in);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (tc->discarded >= TLS_LINGER_MAX_BYTES)
		tls_conn_free(tc);
}

/*
 * Close @tc once what it still owes the client is written and the
 * client has closed too, or TLS_LINGER_S passed; a client that reads
 * nothing is cut after tls_handshake_timeout.
 */
static void tls_conn_close_written(struct tls_conn *tc)
{
	struct timeval linger = { .tv_sec = TLS_LINGER_S };

	tc->closing = true;
	if (tc->pair) {
		bufferevent_free(tc->pair);
		tc->pair = NULL;
	}
	bufferevent_setwatermark(tc->tls, EV_WRITE, 0, 0);
	bufferevent_setcb(tc->tls, tls_discard, tls_client_drained,
			  tls_client_event, tc);
	bufferevent_set_timeouts(tc->tls, &linger, &tc->ts->handshake_tv);
	bufferevent_enable(tc->tls, EV_READ | EV_WRITE);
}

/* The client sent or was sent something: its idle time starts again. */
static void tls_conn_active(struct tls_conn *tc)
{
	if (tc->ts->idle_tv.tv_sec)
		bufferevent_set_timeouts(tc->tls, &tc->ts->idle_tv, NULL);
}

/* Bytes from the client, for server.c. */
static void tls_from_client(struct bufferevent *bev, void *arg)
{
	struct tls_conn *tc = arg;
	struct evbuffer *out = bufferevent_get_output(tc->pair);

	evbuffer_add_buffer(out, bufferevent_get_input(bev));
	tls_conn_active(tc);
	if (evbuffer_get_length(out) >= TLS_BRIDGE_HIGH)
		bufferevent_disable(bev, EV_READ);
}

/* Bytes from server.c, for the client. */
static void tls_to_client(struct bufferevent *bev, void *arg)
{
	struct tls_conn *tc = arg;
	struct evbuffer *out = bufferevent_get_output(tc->tls);

	evbuffer_add_buffer(out, bufferevent_get_input(bev));
	tls_conn_active(tc);
	if (evbuffer_get_length(out) >= TLS_BRIDGE_HIGH)
		bufferevent_disable(bev, EV_READ);
}

/* server.c took what it was sent: read the client again. */
static void tls_pair_drained(struct bufferevent *bev, void *arg)
{
	struct tls_conn *tc = arg;

	if (!tc->closing)
		bufferevent_enable(tc->tls, EV_READ);
}

/* The client took what it was sent: read server.c again, or close. */
static void tls_client_drained(struct bufferevent *bev, void *arg)
{
	struct tls_conn *tc = arg;

	/* Closing: the client's close or the linger's end frees it. */
	if (tc->pair)
		bufferevent_enable(tc->pair, EV_READ);
}

/* server.c closed the connection: the client gets what is left. */
static void tls_pair_event(struct bufferevent *bev, short what, void *arg)
{
	struct tls_conn *tc = arg;

	if (what & BEV_EVENT_EOF)
		evbuffer_add_buffer(bufferevent_get_output(tc->tls),
				    bufferevent_get_input(bev));
	tls_conn_close_written(tc);
}

/*
 * Send a client that is not let in one error line (id null), as
 * listener.c does on the UNIX sockets, and close it.
 */
static void tls_refuse(struct tls_conn *tc, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void tls_refuse(struct tls_conn *tc, int code, const char *fmt, ...)
{
	struct json_object *e;
	char msg[768], *line = NULL;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e = jsonrpc_error(NULL, code, msg, NULL);
	if (e)
		line = jsonrpc_to_line(e, &len);
	json_object_put(e);
	if (line)
		bufferevent_write(tc->tls, line, len);
	free(line);
	tls_conn_close_written(tc);
}

/*
 * The handshake is over and the client's certificate chains to the CA:
 * is it on a list, is there room for it? Then hand server.c its end of
 * a socket pair.
 */
static void tls_conn_admit(struct tls_conn *tc)
{
	struct tls_server *ts = tc->ts;
	const struct keeld_conf *conf = &ts->keeld->conf;
	struct admit *admit = ts->keeld->admit;
	struct client_slot slot;
	bool rw, ro;
	char dn[1024];
	int sv[2];

	tc->handshaking = false;
	ts->nr_handshaking--;
	pki_peer_subject(bufferevent_openssl_get_ssl(tc->tls), dn, sizeof(dn));
	if (!conf->nr_tls_dn_rw && !conf->nr_tls_dn_ro) {
		rw = true;
		ro = false;
	} else {
		rw = pki_dn_listed((const char *const *)conf->tls_dn_rw,
				   conf->nr_tls_dn_rw, dn);
		ro = !rw &&
		     pki_dn_listed((const char *const *)conf->tls_dn_ro,
				   conf->nr_tls_dn_ro, dn);
	}
	if (!rw && !ro) {
		log_info_limited("Refused a TLS client from %s: its subject \"%s\" is on neither tls_allowed_dn nor tls_readonly_dn.",
				 tc->peer, dn);
		tls_refuse(tc, KEEL_E_PERMISSION,
			   "Permission denied: keeld lets no client with the subject \"%s\" in (tls_allowed_dn, tls_readonly_dn).",
			   dn);
		return;
	}
	switch (admit_client(admit, &slot, KEELD_TLS_UID, false)) {
	case ADMIT_OK:
		break;
	case ADMIT_PER_UID:
		log_warn_limited("Refused a TLS client from %s: TLS clients already have %u connections (max_clients_per_uid).",
				 tc->peer, admit_settings(admit)->per_uid);
		tls_refuse(tc, KEEL_E_RESOURCE,
			   "keeld refused the connection: TLS clients already have %u connections, the most one user may have (max_clients_per_uid); close some first.",
			   admit_settings(admit)->per_uid);
		return;
	case ADMIT_TOTAL:
		log_warn_limited("Refused a TLS client from %s: keeld has %u clients (max_clients).",
				 tc->peer, admit_nr_clients(admit));
		tls_refuse(tc, KEEL_E_RESOURCE,
			   "keeld refused the connection: it has as many clients as it allows (max_clients); try again later.");
		return;
	case ADMIT_NOMEM:
		tls_refuse(tc, KEEL_E_RESOURCE, "keeld ran out of memory.");
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv)) {
		log_warn_limited("Refusing a TLS client from %s: cannot make a socket pair: %s.",
				 tc->peer, strerror(errno));
		admit_leave(admit, &slot);
		tls_refuse(tc, KEEL_E_RESOURCE,
			   "keeld is out of file descriptors; try again later.");
		return;
	}
	tc->pair = bufferevent_socket_new(ts->keeld->base, sv[1],
					  BEV_OPT_CLOSE_ON_FREE);
	if (!tc->pair) {
		close(sv[1]);
		close(sv[0]);
		admit_leave(admit, &slot);
		tls_conn_free(tc);
		return;
	}
	if (ts->on_client(ts->arg, sv[0], ro, &slot, dn)) {
		admit_leave(admit, &slot);
		close(sv[0]);
		tls_conn_free(tc);
		return;
	}
	log_info("TLS client \"%s\" from %s let in%s.", dn, tc->peer,
		 ro ? " read-only" : "");
	bufferevent_priority_set(tc->pair, ts->prio);
	bufferevent_setwatermark(tc->pair, EV_WRITE, TLS_BRIDGE_HIGH / 2, 0);
	bufferevent_setwatermark(tc->tls, EV_WRITE, TLS_BRIDGE_HIGH / 2, 0);
	bufferevent_setcb(tc->pair, tls_to_client, tls_pair_drained,
			  tls_pair_event, tc);
	bufferevent_setcb(tc->tls, tls_from_client, tls_client_drained,
			  tls_client_event, tc);
	bufferevent_set_timeouts(tc->tls, NULL, NULL);
	tls_conn_active(tc);
	bufferevent_enable(tc->pair, EV_READ | EV_WRITE);
	bufferevent_enable(tc->tls, EV_READ | EV_WRITE);
}

static void tls_client_event(struct bufferevent *bev, short what, void *arg)
{
	struct tls_conn *tc = arg;
	const struct keeld_conf *conf = &tc->ts->keeld->conf;
	unsigned long e = bufferevent_get_openssl_error(bev);
	char why[512];

	if (what & BEV_EVENT_CONNECTED) {
		tls_conn_admit(tc);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && tc->handshaking)
		log_info_limited("Closing the TLS connection from %s: it did not finish its handshake within %u s (tls_handshake_timeout).",
				 tc->peer, conf->tls_handshake_timeout);
	else if (what & BEV_EVENT_TIMEOUT)
		log_info_limited("Closing the TLS connection from %s: nothing was sent either way for %u s (tls_idle_timeout).",
				 tc->peer, conf->tls_idle_timeout);
	else if (tc->handshaking) {
		pki_errors_text(e, why, sizeof(why));
		log_info_limited("Refused a TLS client from %s: %s.", tc->peer,
				 why);
	}
	ERR_clear_error();
	tls_conn_free(tc);
}

static void tls_accept(struct evconnlistener *lev, evutil_socket_t fd,
		       struct sockaddr *sa, int socklen, void *arg)
{
	struct tls_server *ts = arg;
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	struct tls_conn *tc;
	SSL *ssl;

	if (ts->nr_handshaking >= TLS_MAX_HANDSHAKES) {
		log_warn_limited("Closing a TLS connection at once: %d handshakes are under way already.",
				 TLS_MAX_HANDSHAKES);
		close(fd);
		return;
	}
	tcp_tune(fd);
	tc = calloc(1, sizeof(*tc));
	ssl = tc ? SSL_new(ts->ctx) : NULL;
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
	tc->tls = bufferevent_openssl_socket_new(
		ts->keeld->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
		BEV_OPT_CLOSE_ON_FREE);
	if (!tc->tls) {
		SSL_free(ssl);
		close(fd);
		free(tc);
		return;
	}
	tc->ts = ts;
	tc->handshaking = true;
	ts->nr_handshaking++;
	tc->next = ts->conns;
	if (ts->conns)
		ts->conns->prev = tc;
	ts->conns = tc;
	bufferevent_priority_set(tc->tls, ts->prio);
	bufferevent_setcb(tc->tls, NULL, NULL, tls_client_event, tc);
	/* A client that stalls the handshake holds nothing for long. */
	bufferevent_set_timeouts(tc->tls, &ts->handshake_tv,
				 &ts->handshake_tv);
	bufferevent_enable(tc->tls, EV_READ | EV_WRITE);
}

static void tls_listeners_enable(evutil_socket_t fd, short what, void *arg)
{
	struct tls_server *ts = arg;

	for (unsigned i = 0; i < ts->nr_lev; i++)
		evconnlistener_enable(ts->lev[i]);
}

/* accept() failed (most likely no descriptors left): pause a while. */
static void tls_accept_error(struct evconnlistener *lev, void *arg)
{
	struct tls_server *ts = arg;
	struct timeval tv = { 0, TLS_ACCEPT_BACKOFF_MS * 1000 };

	log_warn_limited("Cannot accept a TLS connection: %s; keeld accepts none for %d ms.",
			 strerror(EVUTIL_SOCKET_ERROR()),
			 TLS_ACCEPT_BACKOFF_MS);
	for (unsigned i = 0; i < ts->nr_lev; i++)
		evconnlistener_disable(ts->lev[i]);
	evtimer_add(ts->retry, &tv);
}

/* Load the PKI directory's server files into a TLS 1.3-only context. */
static int tls_ctx_new(const char *dir, SSL_CTX **out)
{
	char ca[4096], cert[4096], key[4096], why[1024];
	SSL_CTX *ctx;
	int rc;

	snprintf(ca, sizeof(ca), "%s/%s", dir, KEEL_PKI_CACERT);
	snprintf(cert, sizeof(cert), "%s/%s", dir, KEEL_PKI_SERVERCERT);
	snprintf(key, sizeof(key), "%s/%s", dir, KEEL_PKI_SERVERKEY);
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return -ENOMEM;
	rc = pki_ctx_load(ctx, true, ca, cert, key,
			  "keeld's TLS listeners need cacert.pem, servercert.pem and private/serverkey.pem in the PKI directory (pki_dir, --pki-dir).",
			  why, sizeof(why));
	if (rc) {
		log_err("%s", why);
		SSL_CTX_free(ctx);
		return rc;
	}
	*out = ctx;
	return 0;
}

static int tls_listen(struct tls_server *ts, const char *host, unsigned port)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	struct addrinfo *ai;
	char serv[16];
	int rc;

	snprintf(serv, sizeof(serv), "%u", port);
	rc = getaddrinfo(host, serv, &hints, &ai);
	if (rc) {
		log_err("Cannot listen on %s port %u: %s.", host, port,
			gai_strerror(rc));
		return -EINVAL;
	}
	ts->lev[ts->nr_lev] = evconnlistener_new_bind(
		ts->keeld->base, tls_accept, ts,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
			LEV_OPT_REUSEABLE |
			(ai->ai_family == AF_INET6 ? LEV_OPT_BIND_IPV6ONLY : 0),
		128, ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	if (!ts->lev[ts->nr_lev]) {
		rc = -errno;
		log_err("Cannot listen on %s port %u: %s.", host, port,
			strerror(errno));
		return rc ? rc : -EIO;
	}
	evconnlistener_set_error_cb(ts->lev[ts->nr_lev], tls_accept_error);
	ts->nr_lev++;
	return 0;
}

int tls_server_new(struct keeld *k, int prio, listeners_client_fn on_client,
		   void *arg, struct tls_server **out)
{
	const struct keeld_conf *conf = &k->conf;
	struct tls_server *ts;
	int rc;

	*out = NULL;
	if (!conf->nr_listen)
		return 0;
	ts = calloc(1, sizeof(*ts));
	if (!ts)
		return -ENOMEM;
	ts->keeld = k;
	ts->prio = prio;
	ts->on_client = on_client;
	ts->arg = arg;
	ts->handshake_tv.tv_sec = (time_t)conf->tls_handshake_timeout;
	ts->idle_tv.tv_sec = (time_t)conf->tls_idle_timeout;
	ts->retry = evtimer_new(k->base, tls_listeners_enable, ts);
	if (!ts->retry) {
		tls_server_free(ts);
		return -ENOMEM;
	}
	rc = tls_ctx_new(conf->pki_dir, &ts->ctx);
	for (unsigned i = 0; !rc && i < conf->nr_listen; i++)
		rc = tls_listen(ts, conf->listen[i], conf->listen_port[i]);
	if (rc) {
		tls_server_free(ts);
		return rc;
	}
	if (!conf->nr_tls_dn_rw && !conf->nr_tls_dn_ro)
		log_warn("Neither tls_allowed_dn nor tls_readonly_dn is set: every client with a certificate from the CA in %s may use keeld read-write.",
			 conf->pki_dir);
	*out = ts;
	return 0;
}

void tls_server_free(struct tls_server *ts)
{
	if (!ts)
		return;
	while (ts->conns)
		tls_conn_free(ts->conns);
	for (unsigned i = 0; i < ts->nr_lev; i++)
		evconnlistener_free(ts->lev[i]);
	if (ts->retry)
		event_free(ts->retry);
	SSL_CTX_free(ts->ctx);
	free(ts);
}
