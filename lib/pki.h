/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_LIB_PKI_H
#define KEEL_LIB_PKI_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

/*
 * The PKI directory's checks that both ends of a TLS connection make
 * (docs/remote.md): keeld for its server key, libkeel for its client
 * key.
 */

/*
 * May the private key at @path be used? It must exist and be readable
 * by its owner only (no permission for group or others), as ssh insists
 * for its keys: a key others can read is no secret. Returns 0, or
 * -errno with a sentence naming the file in @why (@size bytes).
 */
int pki_key_check(const char *path, char *why, size_t size);

/*
 * Load a PKI's files into @ctx, the same way at every TLS end: @ca the
 * CA certificate both ends chain to, @cert this end's certificate chain
 * and @key its private key (pki_key_check()'s rules). A server
 * (@server) requires and verifies a client certificate from that CA and
 * names the CA to the client; a client verifies the server's. TLS 1.3
 * only. The caller made @ctx with the method and tunes the rest
 * (session cache, ciphers). Returns 0, or -errno with a sentence naming
 * the file at fault in @why (@size bytes), followed by @hint (what the
 * files are for and where they are looked for) when a file cannot be
 * read.
 */
int pki_ctx_load(SSL_CTX *ctx, bool server, const char *ca, const char *cert,
		 const char *key, const char *hint, char *why, size_t size);

/*
 * The peer certificate's subject on @ssl, RFC 2253 form, into @buf of
 * @size bytes ("" when there is none): what the allow-lists match.
 */
void pki_peer_subject(SSL *ssl, char *buf, size_t size);

/*
 * Whether @dn matches one of the @nr fnmatch(3) patterns of @list
 * (tls_allowed_dn and its kind).
 */
bool pki_dn_listed(const char *const *list, unsigned nr, const char *dn);

/*
 * OpenSSL's errors, @first and then the thread's queue (@first 0: the
 * queue alone), as one clause for a log line into @buf ("the connection
 * ended" when there is none); the queue is left empty.
 */
void pki_errors_text(unsigned long first, char *buf, size_t size);

#endif /* KEEL_LIB_PKI_H */
