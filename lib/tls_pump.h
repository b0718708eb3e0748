/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_LIB_TLS_PUMP_H
#define KEEL_LIB_TLS_PUMP_H

/*
 * keel's TLS connections below the code that uses them, two ways:
 *
 * - As one plain socket (docs/remote.md, "libkeel keeps one plain fd"):
 *   a thread of the connection's own, the pump, moves bytes between an
 *   SSL and one end of a socket pair, so that the code above reads and
 *   writes a blocking fd and never sees OpenSSL. libkeel's client
 *   (libkeel_tls.c) uses it.
 * - Read and written directly (struct tls_chan): the caller's own
 *   thread calls OpenSSL, with no thread and no socket pair between.
 *   keel-hv's migration stream goes this way at both ends
 *   (libkeel_tls_connect_direct(), tls_server_accept()): the pump's
 *   four extra copies of every byte were its data path's largest cost
 *   after the cipher (docs/migrate-bench.md, run 11).
 */

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

/* The handshake's limit on the server side, as keeld's default. */
#define TLS_HANDSHAKE_MS 10000

/*
 * The migration's TCP socket buffers, each end (SO_SNDBUF on the
 * source, SO_RCVBUF on the destination) instead of the kernel's
 * autotuning up to several MiB: what sits in them when the source
 * pauses must still cross before the destination can run, so they
 * are part of the downtime whenever the destination is the slower
 * side. 256 KiB is many round trips of a LAN; on a WAN it caps the
 * rate at 256 KiB per round trip.
 */
#define TLS_BULK_SOCKBUF (256 * 1024)


/*
 * What both ends of keel's TLS connections ask of a context: TLS 1.3
 * only, AES-128-GCM first (what the host's AES-NI does fastest; the
 * migration stream is bulk data), partial writes, and no session cache
 * on the server.
 */
void tls_ctx_tune(SSL_CTX *ctx);

/*
 * Ask for kernel TLS on @ctx's connections (SSL_OP_ENABLE_KTLS, before
 * the handshake): once the keys are agreed, OpenSSL hands them to the
 * kernel's tls module (tls.ko, TCP_ULP "tls"), and whatever is then
 * written to the TCP socket, by OpenSSL or by anyone, is encrypted by
 * the kernel into records of its own. OpenSSL 3.0 does this for TLS
 * 1.3 only for sending; received records stay OpenSSL's. A kernel
 * without the module leaves the connection as it would be without it.
 */
void tls_ctx_ktls(SSL_CTX *ctx);

/* Whether the kernel encrypts what @ssl sends, or decrypts what it reads. */
bool tls_ktls_send(SSL *ssl);
bool tls_ktls_recv(SSL *ssl);

/* --- Direct: the caller's thread reads and writes the SSL --------------- */

/*
 * A connection whose handshake is done: @ssl on the non-blocking TCP
 * socket @tcp. One thread at a time may call tls_chan_write() and
 * tls_chan_read() (OpenSSL's rule for one SSL); tls_chan_cut() may come
 * from any thread. Writes go out with write(2): the process must ignore
 * or block SIGPIPE (keel-hv ignores it).
 */
struct tls_chan {
	SSL *ssl;
	int tcp;
	bool buffered;	/* tls_chan_buffer() */
};

/*
 * Gather the records tls_chan_write() makes in a buffer of @size bytes
 * (a BIO_f_buffer between the SSL and its socket), written out when
 * full and at the end of each call: one write(2) per @size bytes
 * instead of one per 16 KiB record. 0 or -ENOMEM.
 */
int tls_chan_buffer(struct tls_chan *c, int size);

/*
 * The buffer a bulk sender's connection gets: four full records, which
 * took a fifth off the CPU a byte costs both ends over loopback
 * (check_tls_pump: 700 against 860-890 MB per CPU second).
 */
#define TLS_CHAN_WRITE_BUF (64 * 1024)

/*
 * Send all of @len bytes, waiting in poll(2) while the socket is full
 * (as long as it takes: tls_chan_cut() ends the wait). 0, or -EPIPE
 * (the peer closed), -EPROTO (TLS failed), -errno.
 */
int tls_chan_write(struct tls_chan *c, const void *p, size_t len);

/*
 * Read what arrived, 1 to @len bytes (at most one TLS record's worth;
 * nothing past @len is taken), waiting up to @timeout_ms (-1: as long
 * as it takes). 0 once the peer closed (close_notify or end of TCP),
 * -ETIMEDOUT, -EPROTO (TLS failed), or -errno.
 */
ssize_t tls_chan_read(struct tls_chan *c, void *p, size_t len,
		      int timeout_ms);

/*
 * One line of at most @size - 1 bytes into @buf, without its newline,
 * within @timeout_ms: a byte at a time from what OpenSSL already
 * decrypted, so nothing after the newline is taken. Returns its length;
 * -ETIMEDOUT, -EPIPE (closed first), -EPROTO (longer, or TLS failed),
 * or -errno.
 */
int tls_chan_read_line(struct tls_chan *c, char *buf, size_t size,
		       int timeout_ms);

/* Cut the TCP connection: a write or read waiting on it returns. */
void tls_chan_cut(const struct tls_chan *c);

/*
 * Say goodbye: close_notify, with what the write buffer still holds,
 * without waiting for a full socket (best effort).
 */
void tls_chan_close_notify(struct tls_chan *c);

/*
 * The last word is said: send close_notify, close our direction, and
 * wait up to @ms for the peer to close its own, so that closing the
 * socket (with what the peer sent still unread, which makes the kernel
 * reset the connection) cannot destroy what the peer has yet to read.
 */
void tls_chan_hangup(struct tls_chan *c, int ms);

/* --- The pump --------------------------------------------------------- */

struct tls_pump;

/*
 * Start pumping between @ssl (handshake done, on the non-blocking socket
 * @tcp) and a new socket pair: *@fd gets the caller's end (blocking;
 * closing it ends the pump). @ssl and @tcp stay the caller's and must
 * outlive the pump; it shuts both down when either side closes. Returns
 * 0 and the pump in *@out, or -errno.
 */
int tls_pump_start(SSL *ssl, int tcp, int *fd, struct tls_pump **out);

/*
 * Stop the pump at once (what it still holds is dropped: close *fd and
 * wait for the peer's answer first to have it delivered), join its
 * thread, close its end of the pair. The caller's *fd stays the
 * caller's. NULL is fine.
 */
void tls_pump_free(struct tls_pump *p);

/* --- The server side: one connection accepted (keel-hv --incoming) ----- */

struct tls_server;

/*
 * Accept one TLS connection on the listening socket @listen_fd (which
 * stays the caller's) within @accept_ms, present @pki_dir's
 * servercert.pem with private/serverkey.pem (pki_key_check()), require
 * a client certificate chained to its cacert.pem and, when @peer_dn is
 * not NULL, whose subject in RFC 2253 form matches it (an fnmatch
 * pattern, as keeld's tls_allowed_dn). The handshake may take
 * TLS_HANDSHAKE_MS. A refused client is closed and the call fails: one
 * connection is all it waits for. Returns 0 with the connection in
 * *@out, read and written through tls_server_chan(), or -ETIMEDOUT when
 * nobody connected, -EPERM/-EACCES/-EPROTO for a refused client, -errno
 * else; @why (@size bytes) gets a sentence.
 */
int tls_server_accept(int listen_fd, const char *pki_dir, const char *peer_dn,
		      int accept_ms, struct tls_server **out, char *why,
		      size_t size);

/* The accepted connection, for tls_chan_read() and tls_chan_write(). */
struct tls_chan *tls_server_chan(struct tls_server *s);

/* The accepted client's subject (RFC 2253), for the log. */
const char *tls_server_peer(const struct tls_server *s);

/* The cipher suite the connection uses, for the log. */
const char *tls_server_cipher(const struct tls_server *s);

/* Whether the kernel decrypts what arrives (tls_ktls_recv()). */
bool tls_server_ktls_recv(const struct tls_server *s);

/* Close the connection and free it. NULL is fine. */
void tls_server_free(struct tls_server *s);

#endif /* KEEL_LIB_TLS_PUMP_H */
