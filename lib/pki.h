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
