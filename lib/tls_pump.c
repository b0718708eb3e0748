// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel's TLS connections (tls_pump.h): read and written directly by
 * their caller (tls_chan), or as one plain socket through the pump
 * thread; and the server side keel-hv's incoming migration accepts its
 * one connection with. Both move big blocks: each SSL_write() of up to
 * a record's worth becomes one full 16 KiB record, and with read-ahead
 * one read(2) brings several records in.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "keel.h"
#include "monotime.h"
#include "pki.h"
#include "tcp_tune.h"
#include "tls_pump.h"

/* Bytes the pump holds in each direction: four full TLS records. */
#define TLS_PUMP_BUF (64 * 1024)

/* Socket buffers of the pair, so that a whole pump buffer fits. */
#define TLS_PAIR_SNDBUF (256 * 1024)

struct tls_pump {
	SSL *ssl;
	int tcp;   /* the peer, non-blocking */
	int local; /* the pump's end of the socket pair */
	pthread_t thread;
	atomic_bool stopping;	/* tls_pump_free(): stop, flush nothing */
	size_t dlen, doff, ulen, uoff;
	char down[TLS_PUMP_BUF], up[TLS_PUMP_BUF];
};

void tls_ctx_tune(SSL_CTX *ctx)
{
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:"
				      "TLS_AES_256_GCM_SHA384:"
				      "TLS_CHACHA20_POLY1305_SHA256");
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, TLS_PUMP_BUF);
}

void tls_ctx_ktls(SSL_CTX *ctx)
{
	SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
}

bool tls_ktls_send(SSL *ssl)
{
	return BIO_get_ktls_send(SSL_get_wbio(ssl));
}

bool tls_ktls_recv(SSL *ssl)
{
	return BIO_get_ktls_recv(SSL_get_rbio(ssl));
}

/* SSL_get_error()'s wish as poll events; false when the SSL is done. */
static bool tls_want(SSL *ssl, int n, short *ev)
{
	int e = SSL_get_error(ssl, n);

	if (e == SSL_ERROR_WANT_READ)
		*ev |= POLLIN;
	else if (e == SSL_ERROR_WANT_WRITE)
		*ev |= POLLOUT;
	else
		return false; /* closed, or failed */
	return true;
}

/* --- Direct ------------------------------------------------------------ */

/*
 * What a failed SSL call on @c means: 1 to wait for *@ev on the socket;
 * 0 for the peer's close; else -errno. The thread's OpenSSL error queue
 * is left empty.
 */
static int tls_chan_failed(struct tls_chan *c, short *ev)
{
	int saved = errno;
	int e = SSL_get_error(c->ssl, 0);
	unsigned long lib = ERR_peek_last_error();

	ERR_clear_error();
	switch (e) {
	case SSL_ERROR_WANT_READ:
		*ev = POLLIN;
		return 1;
	case SSL_ERROR_WANT_WRITE:
		*ev = POLLOUT;
		return 1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		return saved ? -saved : 0;
	default:
		/*
		 * TCP ended without close_notify: the end, as for a plain
		 * socket (the stream's END and the protocol's lines tell a
		 * cut stream from a whole one).
		 */
		if (ERR_GET_REASON(lib) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
			return 0;
		return -EPROTO;
	}
}

/* Wait for @ev on @c's socket until @deadline_ms (0: none); -ETIMEDOUT. */
static int tls_chan_wait(struct tls_chan *c, short ev, long long deadline_ms)
{
	struct pollfd pfd = { .fd = c->tcp, .events = ev };

	for (;;) {
		long long left = deadline_ms ? deadline_ms - monotime_ms() : -1;
		int n;

		if (deadline_ms && left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

int tls_chan_buffer(struct tls_chan *c, int size)
{
	BIO *sock = SSL_get_wbio(c->ssl), *buf = BIO_new(BIO_f_buffer());

	if (!buf || !BIO_set_write_buffer_size(buf, size) ||
	    !BIO_up_ref(sock)) {
		BIO_free(buf);
		return -ENOMEM;
	}
	BIO_push(buf, sock);
	SSL_set0_wbio(c->ssl, buf);
	c->buffered = true;
	return 0;
}

/* Write out what the buffer BIO holds. 0 or -errno. */
static int tls_chan_flush(struct tls_chan *c)
{
	BIO *b = SSL_get_wbio(c->ssl);

	while (BIO_flush(b) <= 0) {
		int rc;

		if (!BIO_should_retry(b))
			return errno ? -errno : -EPIPE;
		rc = tls_chan_wait(c, POLLOUT, 0);
		if (rc)
			return rc;
	}
	return 0;
}

int tls_chan_write(struct tls_chan *c, const void *p, size_t len)
{
	const char *b = p;

	while (len) {
		size_t n = 0;
		short ev = 0;
		int rc;

		errno = 0;
		if (SSL_write_ex(c->ssl, b, len, &n)) {
			b += n;
			len -= n;
			continue;
		}
		rc = tls_chan_failed(c, &ev);
		if (rc == 1)
			rc = tls_chan_wait(c, ev, 0);
		else if (rc == 0)
			rc = -EPIPE;
		if (rc)
			return rc;
	}
	return c->buffered ? tls_chan_flush(c) : 0;
}

ssize_t tls_chan_read(struct tls_chan *c, void *p, size_t len, int timeout_ms)
{
	long long deadline = timeout_ms < 0 ? 0 : monotime_ms() + timeout_ms;

	if (!len)
		return 0;
	for (;;) {
		size_t n = 0;
		short ev = 0;
		int rc;

		errno = 0;
		if (SSL_read_ex(c->ssl, p, len, &n))
			return (ssize_t)n;
		rc = tls_chan_failed(c, &ev);
		if (rc != 1)
			return rc;
		rc = tls_chan_wait(c, ev, deadline);
		if (rc)
			return rc;
	}
}

int tls_chan_read_line(struct tls_chan *c, char *buf, size_t size,
		       int timeout_ms)
{
	long long deadline = monotime_ms() + timeout_ms;
	size_t len = 0;

	for (;;) {
		long long left = deadline - monotime_ms();
		ssize_t n;
		char ch;

		if (left <= 0)
			return -ETIMEDOUT;
		n = tls_chan_read(c, &ch, 1, (int)left);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EPIPE;
		if (ch == '\n') {
			buf[len] = '\0';
			return (int)len;
		}
		if (len + 1 >= size)
			return -EPROTO;
		buf[len++] = ch;
	}
}

void tls_chan_cut(const struct tls_chan *c)
{
	if (c->tcp >= 0)
		shutdown(c->tcp, SHUT_RDWR);
}

void tls_chan_close_notify(struct tls_chan *c)
{
	SSL_shutdown(c->ssl);
	(void)BIO_flush(SSL_get_wbio(c->ssl));
	ERR_clear_error();
}

void tls_chan_hangup(struct tls_chan *c, int ms)
{
	long long deadline = monotime_ms() + ms;
	char buf[4096];

	tls_chan_close_notify(c);
	shutdown(c->tcp, SHUT_WR);
	/* What the peer still sends is not ours to read: drain it raw. */
	while (!tls_chan_wait(c, POLLIN, deadline)) {
		ssize_t n = recv(c->tcp, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
	}
}

/* --- The pump ---------------------------------------------------------- */

/*
 * Move what can be moved without waiting, both ways. Returns true on
 * progress; else *@tcp_ev and *@loc_ev get the poll events to wait
 * for, and *@done is set once either side has closed or failed.
 */
static bool tls_pump_step(struct tls_pump *p, short *tcp_ev, short *loc_ev,
			  bool *done)
{
	bool progress = false;
	ssize_t w;
	int n;

	/*
	 * SSL_read() gives one record (16 KiB) at a time: take in what
	 * OpenSSL already holds (read-ahead brings several records per
	 * read(2)) before handing the block on, so that the reader on
	 * the other end wakes once per block, not once per record.
	 */
	while (!p->doff && p->dlen < sizeof(p->down) &&
	       (!p->dlen || SSL_has_pending(p->ssl))) {
		n = SSL_read(p->ssl, p->down + p->dlen,
			     (int)(sizeof(p->down) - p->dlen));
		if (n <= 0) {
			if (!tls_want(p->ssl, n, tcp_ev))
				*done = true;
			break;
		}
		p->dlen += (size_t)n;
		progress = true;
	}
	if (p->dlen) {
		w = send(p->local, p->down + p->doff, p->dlen - p->doff,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0) {
			p->doff += (size_t)w;
			if (p->doff == p->dlen)
				p->dlen = p->doff = 0;
			progress = true;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			*loc_ev |= POLLOUT;
		} else {
			*done = true;
		}
	}
	if (!p->ulen) {
		w = recv(p->local, p->up, sizeof(p->up), MSG_DONTWAIT);
		if (w > 0) {
			p->ulen = (size_t)w;
			p->uoff = 0;
			progress = true;
		} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			*loc_ev |= POLLIN;
		} else {
			*done = true; /* the caller closed its end */
		}
	}
	if (p->ulen) {
		n = SSL_write(p->ssl, p->up + p->uoff, (int)(p->ulen - p->uoff));
		if (n > 0) {
			p->uoff += (size_t)n;
			if (p->uoff == p->ulen)
				p->ulen = 0;
			progress = true;
		} else if (!tls_want(p->ssl, n, tcp_ev)) {
			*done = true;
		}
	}
	return progress;
}

/* Write what is still held up to TLS, blocking: the peer is owed it. */
static void tls_pump_flush_up(struct tls_pump *p)
{
	while (p->ulen) {
		struct pollfd pfd = { .fd = p->tcp };
		int n = SSL_write(p->ssl, p->up + p->uoff,
				  (int)(p->ulen - p->uoff));

		if (n > 0) {
			p->uoff += (size_t)n;
			if (p->uoff == p->ulen)
				p->ulen = 0;
			continue;
		}
		if (!tls_want(p->ssl, n, &pfd.events) ||
		    poll(&pfd, 1, TLS_HANDSHAKE_MS) <= 0)
			break;
	}
}

static void *tls_pump_run(void *arg)
{
	struct tls_pump *p = arg;
	bool done = false, local_hup = false;
	sigset_t pipe;

	/*
	 * OpenSSL writes with write(2): a peer that is gone must be an
	 * EPIPE here, not a SIGPIPE that kills a libkeel caller.
	 */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	while (!done) {
		struct pollfd pfd[2] = { { .fd = p->tcp },
					 { .fd = local_hup ? -1 : p->local } };

		if (tls_pump_step(p, &pfd[0].events, &pfd[1].events, &done))
			continue;
		if (done || atomic_load(&p->stopping))
			break;
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		/*
		 * The caller closed its end. What it wrote before still
		 * goes to the peer: recv() drains it and then reads 0. Poll
		 * reports the hangup at once, so stop watching it.
		 */
		if (pfd[1].revents & (POLLHUP | POLLERR))
			local_hup = true;
	}
	/* What the peer sent before it closed still reaches the caller... */
	while (p->dlen && !atomic_load(&p->stopping)) {
		ssize_t w = send(p->local, p->down + p->doff,
				 p->dlen - p->doff, MSG_NOSIGNAL);

		if (w <= 0)
			break;
		p->doff += (size_t)w;
		if (p->doff == p->dlen)
			p->dlen = p->doff = 0;
	}
	/* ...and what the caller wrote before it closed, the peer. */
	if (!atomic_load(&p->stopping))
		tls_pump_flush_up(p);
	SSL_shutdown(p->ssl);
	shutdown(p->local, SHUT_RDWR);
	shutdown(p->tcp, SHUT_RDWR);
	return NULL;
}

int tls_pump_start(SSL *ssl, int tcp, int *fd, struct tls_pump **out)
{
	struct tls_pump *p = calloc(1, sizeof(*p));
	int sv[2], sz = TLS_PAIR_SNDBUF, rc;

	if (!p)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		rc = -errno;
		free(p);
		return rc;
	}
	for (int i = 0; i < 2; i++) {
		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	p->ssl = ssl;
	p->tcp = tcp;
	p->local = sv[1];
	rc = -pthread_create(&p->thread, NULL, tls_pump_run, p);
	if (rc) {
		close(sv[0]);
		close(sv[1]);
		free(p);
		return rc;
	}
	*fd = sv[0];
	*out = p;
	return 0;
}

void tls_pump_free(struct tls_pump *p)
{
	if (!p)
		return;
	/* Wake the pump wherever it waits: on either socket. */
	atomic_store(&p->stopping, true);
	shutdown(p->local, SHUT_RDWR);
	shutdown(p->tcp, SHUT_RDWR);
	pthread_join(p->thread, NULL);
	close(p->local);
	free(p);
}

/* --- The server side ---------------------------------------------------- */

struct tls_server {
	SSL_CTX *ctx;
	SSL *ssl;
	int tcp;
	struct tls_chan chan;	/* @ssl and @tcp, once accepted */
	char peer[256];		/* the client's subject, RFC 2253 */
	char addr[INET6_ADDRSTRLEN + 8];
};

/*
 * The PKI directory's server files in a TLS 1.3 context that asks for
 * a client certificate from its CA.
 */
static int tls_server_ctx(struct tls_server *s, const char *dir, char *why,
			  size_t size)
{
	char ca[4096], cert[4096], key[4096];

	snprintf(ca, sizeof(ca), "%s/%s", dir, KEEL_PKI_CACERT);
	snprintf(cert, sizeof(cert), "%s/%s", dir, KEEL_PKI_SERVERCERT);
	snprintf(key, sizeof(key), "%s/%s", dir, KEEL_PKI_SERVERKEY);
	s->ctx = SSL_CTX_new(TLS_server_method());
	if (!s->ctx) {
		snprintf(why, size, "Cannot set up TLS: out of memory.");
		return -ENOMEM;
	}
	tls_ctx_tune(s->ctx);
	/* Decrypting in the kernel, where OpenSSL can (docs/migration.md). */
	tls_ctx_ktls(s->ctx);
	SSL_CTX_set_options(s->ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_OFF);
	return pki_ctx_load(s->ctx, true, ca, cert, key,
			    "An incoming migration needs cacert.pem, servercert.pem and private/serverkey.pem in the PKI directory (--pki-dir, docs/remote.md).",
			    why, size);
}

/* Wait up to @accept_ms for one connection; s->tcp non-blocking. */
static int tls_server_tcp(struct tls_server *s, int listen_fd, int accept_ms,
			  char *why, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	long long deadline = monotime_ms() + accept_ms;
	struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	int n;

	for (;;) {
		long long left = deadline - monotime_ms();

		n = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, size,
				 "Cannot wait for the migration's connection: %s.",
				 strerror(errno));
			return -errno;
		}
		if (!n) {
			snprintf(why, size,
				 "No migration arrived: nobody connected within %d s.",
				 accept_ms / 1000);
			return -ETIMEDOUT;
		}
		s->tcp = accept4(listen_fd, (struct sockaddr *)&ss, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s->tcp >= 0)
			break;
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED) {
			snprintf(why, size,
				 "Cannot accept the migration's connection: %s.",
				 strerror(errno));
			return -errno;
		}
	}
	n = TLS_BULK_SOCKBUF;
	setsockopt(s->tcp, SOL_SOCKET, SO_RCVBUF, &n, sizeof(n));
	tcp_tune(s->tcp);
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
	}
	snprintf(s->addr, sizeof(s->addr), "%s:%u", host, port);
	return 0;
}

/* The client certificate's subject, RFC 2253 form, into s->peer. */
static void tls_server_subject(struct tls_server *s)
{
	pki_peer_subject(s->ssl, s->peer, sizeof(s->peer));
}

static int tls_server_handshake(struct tls_server *s, char *why, size_t size)
{
	long long deadline = monotime_ms() + TLS_HANDSHAKE_MS;
	char r[256];
	long vr;
	int n;

	for (;;) {
		struct pollfd pfd = { .fd = s->tcp };
		long long left = deadline - monotime_ms();

		n = SSL_accept(s->ssl);
		if (n == 1)
			return 0;
		if (tls_want(s->ssl, n, &pfd.events) && left > 0 &&
		    poll(&pfd, 1, (int)left) > 0)
			continue;
		if (tls_want(s->ssl, n, &pfd.events)) {
			snprintf(why, size,
				 "Refused the migration connection from %s: it did not finish the TLS handshake within %d s.",
				 s->addr, TLS_HANDSHAKE_MS / 1000);
			ERR_clear_error();
			return -ETIMEDOUT;
		}
		vr = SSL_get_verify_result(s->ssl);
		if (vr != X509_V_OK) {
			snprintf(why, size,
				 "Refused the migration connection from %s: its client certificate does not verify (%s); it must come from the CA in the PKI directory and be valid now.",
				 s->addr, X509_verify_cert_error_string(vr));
			ERR_clear_error();
			return -EACCES;
		}
		pki_errors_text(0, r, sizeof(r));
		snprintf(why, size,
			 "Refused the migration connection from %s: the TLS handshake failed (%s). The source must speak TLS 1.3 and present a client certificate from the PKI directory's CA.",
			 s->addr, r);
		return -EPROTO;
	}
}

/* Tell a client we refuse after its handshake why, in the NO line. */
static void tls_server_say_no(struct tls_server *s, const char *why)
{
	char line[1024];
	int len = snprintf(line, sizeof(line), "NO %s\n", why);
	long long deadline = monotime_ms() + 1000;

	if (len >= (int)sizeof(line))
		len = (int)sizeof(line) - 1;
	for (;;) {
		struct pollfd pfd = { .fd = s->tcp };
		int n = SSL_write(s->ssl, line, len);

		if (n > 0 || !tls_want(s->ssl, n, &pfd.events) ||
		    deadline <= monotime_ms() ||
		    poll(&pfd, 1, (int)(deadline - monotime_ms())) <= 0)
			break;
	}
	SSL_shutdown(s->ssl);
	ERR_clear_error();
}

int tls_server_accept(int listen_fd, const char *pki_dir, const char *peer_dn,
		      int accept_ms, struct tls_server **out, char *why,
		      size_t size)
{
	struct tls_server *s = calloc(1, sizeof(*s));
	int rc;

	if (!s) {
		snprintf(why, size, "Cannot set up TLS: out of memory.");
		return -ENOMEM;
	}
	s->tcp = -1;
	rc = tls_server_ctx(s, pki_dir, why, size);
	if (rc)
		goto out_free;
	rc = tls_server_tcp(s, listen_fd, accept_ms, why, size);
	if (rc)
		goto out_free;
	s->ssl = SSL_new(s->ctx);
	if (!s->ssl || !SSL_set_fd(s->ssl, s->tcp)) {
		snprintf(why, size, "Cannot set up TLS: out of memory.");
		rc = -ENOMEM;
		goto out_free;
	}
	rc = tls_server_handshake(s, why, size);
	if (rc)
		goto out_free;
	tls_server_subject(s);
	if (peer_dn && fnmatch(peer_dn, s->peer, 0)) {
		snprintf(why, size,
			 "Refused the migration connection from %s: its certificate's subject is \"%s\", and only \"%s\" may send this migration.",
			 s->addr, s->peer, peer_dn);
		tls_server_say_no(s, why);
		rc = -EACCES;
		goto out_free;
	}
	s->chan.ssl = s->ssl;
	s->chan.tcp = s->tcp;
	*out = s;
	return 0;

out_free:
	tls_server_free(s);
	return rc;
}

struct tls_chan *tls_server_chan(struct tls_server *s)
{
	return &s->chan;
}

const char *tls_server_peer(const struct tls_server *s)
{
	return s->peer;
}

const char *tls_server_cipher(const struct tls_server *s)
{
	return SSL_CIPHER_get_name(SSL_get_current_cipher(s->ssl));
}

bool tls_server_ktls_recv(const struct tls_server *s)
{
	return tls_ktls_recv(s->ssl);
}

void tls_server_free(struct tls_server *s)
{
	if (!s)
		return;
	SSL_free(s->ssl);
	SSL_CTX_free(s->ctx);
	if (s->tcp >= 0)
		close(s->tcp);
	free(s);
}
