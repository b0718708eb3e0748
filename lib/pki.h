/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_LIB_PKI_H
#define KEEL_LIB_PKI_H

#include <stddef.h>

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

#endif /* KEEL_LIB_PKI_H */
