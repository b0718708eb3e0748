// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libkeel over TLS (docs/remote.md): connect to tls://HOST[:PORT],
 * verify keeld's certificate against the CA and HOST, present the
 * client's, and wait until keeld has accepted it. The rest of libkeel
 * reads and writes one plain socket (a blocking fd the caller may poll,
 * recv and send on), so the connection is given to it as one end of a
 * socket pair; a thread of the connection's own (tls_pump.c) moves the
 * bytes between the other end and TLS, and ends when that end is
 * closed.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
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
#include "libkeel_internal.h"
#include "monotime.h"
#include "pki.h"
#include "tcp_tune.h"
#include "tls_pump.h"

/* How long connecting and the handshake may take, in all. */
#define TLS_CONNECT_MS 15000

struct libkeel_tls {
	SSL_CTX *ctx;
	SSL *ssl;
	int tcp;		/* to keeld */
	struct tls_pump *pump;	/* moves bytes to and from the caller's fd */
	struct tls_chan chan;	/* or the caller reads and writes @ssl */
	bool direct;		/* handed to the caller without a pump */
	bool accepted;		/* keeld sent a session ticket */
};

static int tls_ex_index = -1;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void tls_init_once(void)
{
	tls_ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/*
 * keeld sends session tickets only after it has verified our
 * certificate; in TLS 1.3 that is the first sign it accepted it.
 */
static int tls_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct libkeel_tls *t = SSL_get_ex_data(ssl, tls_ex_index);

	if (t)
		t->accepted = true;
	return 0;
}

/* Split "HOST[:PORT]" ("[V6][:PORT]") into @host and @port. */
static int tls_parse(const char *hostport, char *host, size_t size,
		     char *port, size_t psize)
{
	const char *end, *p = NULL;

	if (hostport[0] == '[') {
		end = strchr(hostport, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		if (end[1])
			p = end + 2;
		hostport++;
	} else {
		end = strchr(hostport, ':');
		if (end && strchr(end + 1, ':'))
			return -EINVAL;
		if (end)
			p = end + 1;
		else
			end = hostport + strlen(hostport);
	}
	if (end == hostport || (size_t)(end - hostport) >= size)
		return -EINVAL;
	memcpy(host, hostport, (size_t)(end - hostport));
	host[end - hostport] = '\0';
	if (p) {
		char *e;
		unsigned long v = strtoul(p, &e, 10);

		if (!*p || *e || v < 1 || v > 65535)
			return -EINVAL;
	}
	snprintf(port, psize, "%s", p ? p : "16515");
	return 0;
}

static int tls_ctx(struct libkeel_tls *t, const char *dir, char *why,
		   size_t size)
{
	char ca[4096], cert[4096], key[4096];

	snprintf(ca, sizeof(ca), "%s/%s", dir, KEEL_PKI_CACERT);
	snprintf(cert, sizeof(cert), "%s/%s", dir, KEEL_PKI_CLIENTCERT);
	snprintf(key, sizeof(key), "%s/%s", dir, KEEL_PKI_CLIENTKEY);
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (!t->ctx) {
		snprintf(why, size, "Cannot connect to keeld: out of memory.");
		return -ENOMEM;
	}
	tls_ctx_tune(t->ctx);
	SSL_CTX_set_session_cache_mode(
		t->ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(t->ctx, tls_new_session);
	return pki_ctx_load(t->ctx, false, ca, cert, key,
			    "Give the PKI directory with --pki-dir or KEEL_PKI_DIR (docs/remote.md).",
			    why, size);
}

static int tls_tcp(const char *host, const char *port, char *why, size_t size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	int fd = -1, err = 0, rc;

	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		snprintf(why, size, "Cannot connect to keeld at %s: %s.", host,
			 gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(why, size,
			 "Cannot connect to keeld at %s port %s: %s. Is keeld listening there (keeld.conf's listen)?",
			 host, port, strerror(err));
	return fd;
}

/* Wait for @fd to become ready for what @err asks, until @deadline. */
static bool tls_wait(int fd, int err, long long deadline)
{
	struct pollfd pfd = { .fd = fd,
			      .events = err == SSL_ERROR_WANT_WRITE ? POLLOUT :
								       POLLIN };
	long long left = deadline - monotime_ms();

	if (left <= 0)
		return false;
	return poll(&pfd, 1, (int)left) > 0;
}

/*
 * The handshake, then keeld's verdict on our certificate: the session
 * tickets (let in), or an alert (refused).
 */
static int tls_handshake(struct libkeel_tls *t, const char *host,
			 const char *port, char *why, size_t size)
{
	long long deadline = monotime_ms() + TLS_CONNECT_MS;
	char r[256], c;
	long vr;
	int n, e;

	for (;;) {
		n = SSL_connect(t->ssl);
		if (n == 1)
			break;
		e = SSL_get_error(t->ssl, n);
		if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
		    tls_wait(t->tcp, e, deadline))
			continue;
		vr = SSL_get_verify_result(t->ssl);
		if (vr != X509_V_OK) {
			snprintf(why, size,
				 "Refusing keeld at %s port %s: its certificate does not verify: %s. It must come from the CA in the PKI directory and name %s.",
				 host, port, X509_verify_cert_error_string(vr),
				 host);
			ERR_clear_error();
			return -EPERM;
		}
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			snprintf(why, size,
				 "keeld at %s port %s did not finish the TLS handshake within %d s.",
				 host, port, TLS_CONNECT_MS / 1000);
			return -ETIMEDOUT;
		}
		pki_errors_text(0, r, sizeof(r));
		snprintf(why, size,
			 "The TLS handshake with keeld at %s port %s failed: %s. keeld accepts TLS 1.3 only.",
			 host, port, r);
		return -EPROTO;
	}
	while (!t->accepted) {
		n = SSL_peek(t->ssl, &c, 1);
		if (n > 0)
			break;
		e = SSL_get_error(t->ssl, n);
		if (t->accepted)
			break;
		if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
		    tls_wait(t->tcp, e, deadline))
			continue;
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			snprintf(why, size,
				 "keeld at %s port %s did not answer the TLS handshake within %d s.",
				 host, port, TLS_CONNECT_MS / 1000);
			return -ETIMEDOUT;
		}
		pki_errors_text(0, r, sizeof(r));
		snprintf(why, size,
			 "keeld at %s port %s refused this client's certificate (%s): it must come from keeld's CA and be valid now.",
			 host, port, r);
		return -EACCES;
	}
	return 0;
}

void libkeel_tls_free(struct libkeel_tls *t)
{
	if (!t)
		return;
	/*
	 * The pump says goodbye itself; a direct connection's owner
	 * (keel-hv, which ignores SIGPIPE) says it here. Not on a failed
	 * connect: its caller may not ignore SIGPIPE.
	 */
	if (t->direct && SSL_is_init_finished(t->ssl))
		tls_chan_close_notify(&t->chan);
	tls_pump_free(t->pump);
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	if (t->tcp >= 0)
		close(t->tcp);
	free(t);
}

/* With @fd NULL the caller reads and writes the SSL (t->chan). */
static int tls_connect(const char *hostport, const char *pki_dir, int *fd,
		       struct libkeel_tls **out, char *why, size_t size)
{
	char host[256], port[8];
	struct libkeel_tls *t;
	struct in6_addr a6;
	struct in_addr a4;
	int rc;

	pthread_once(&tls_once, tls_init_once);
	if (tls_parse(hostport, host, sizeof(host), port, sizeof(port))) {
		snprintf(why, size,
			 "Cannot connect to keeld: \"tls://%s\" is not tls://HOST[:PORT] (an IPv6 HOST in brackets, PORT from 1 to 65535).",
			 hostport);
		return -EINVAL;
	}
	if (!pki_dir || !*pki_dir)
		pki_dir = getenv("KEEL_PKI_DIR");
	if (!pki_dir || !*pki_dir)
		pki_dir = KEEL_PKI_DIR_DEFAULT;
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(why, size, "Cannot connect to keeld: out of memory.");
		return -ENOMEM;
	}
	t->tcp = -1;
	rc = tls_ctx(t, pki_dir, why, size);
	if (rc)
		goto out_free;
	t->tcp = tls_tcp(host, port, why, size);
	if (t->tcp < 0) {
		rc = -ECONNREFUSED;
		goto out_free;
	}
	tcp_tune(t->tcp);
	if (!fd) {
		int sz = TLS_BULK_SOCKBUF;

		setsockopt(t->tcp, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	t->ssl = SSL_new(t->ctx);
	if (!t->ssl || !SSL_set_fd(t->ssl, t->tcp)) {
		snprintf(why, size, "Cannot connect to keeld: out of memory.");
		rc = -ENOMEM;
		goto out_free;
	}
	SSL_set_ex_data(t->ssl, tls_ex_index, t);
	/* keeld's certificate must name the host we asked for (SAN). */
	if (inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host);
	} else {
		SSL_set1_host(t->ssl, host);
		SSL_set_tlsext_host_name(t->ssl, host);
	}
	if (fcntl(t->tcp, F_SETFL, fcntl(t->tcp, F_GETFL) | O_NONBLOCK)) {
		rc = -errno;
		snprintf(why, size, "Cannot connect to keeld: %s.",
			 strerror(errno));
		goto out_free;
	}
	rc = tls_handshake(t, host, port, why, size);
	if (rc)
		goto out_free;
	t->chan.ssl = t->ssl;
	t->chan.tcp = t->tcp;
	/* Direct is for bulk: 4 records a write(2) (docs/migration.md). */
	rc = fd ? tls_pump_start(t->ssl, t->tcp, fd, &t->pump) :
		  tls_chan_buffer(&t->chan, TLS_CHAN_WRITE_BUF);
	t->direct = !fd && !rc;
	if (rc) {
		snprintf(why, size, "Cannot connect to keeld: %s.",
			 strerror(-rc));
		goto out_free;
	}
	*out = t;
	return 0;

out_free:
	libkeel_tls_free(t);
	return rc ? rc : -EIO;
}

int libkeel_tls_connect(const char *hostport, const char *pki_dir, int *fd,
			struct libkeel_tls **out, char *why, size_t size)
{
	return tls_connect(hostport, pki_dir, fd, out, why, size);
}

int libkeel_tls_connect_direct(const char *hostport, const char *pki_dir,
			       struct libkeel_tls **out, char *why,
			       size_t size)
{
	return tls_connect(hostport, pki_dir, NULL, out, why, size);
}

struct tls_chan *libkeel_tls_chan(struct libkeel_tls *t)
{
	return &t->chan;
}
