/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_LIBKEEL_INTERNAL_H
#define KEEL_LIBKEEL_INTERNAL_H

/*
 * What lib/libkeel.c shares with the other files of libkeel
 * (lib/libkeel_console.c) and with nobody else. The names do not start
 * with keel_, so the shared library does not export them (lib/local.mk).
 */

#include <stddef.h>

#include <json-c/json.h>

#include "keel.h"

/* Clear @c's error, as every public call does first. */
void libkeel_error_clear(struct keel_conn *c);

/*
 * Record an error on @c for keel_last_error(): @message and @field
 * (may be NULL) are copied.
 */
void libkeel_error_set(struct keel_conn *c, int code, const char *message,
		       const char *field);

/*
 * New params {"name": @dom} or {"uuid": @dom}, or NULL with the error
 * set (no domain given, or out of memory).
 */
struct json_object *libkeel_dom_params(struct keel_conn *c, const char *dom);

/*
 * Add @val (taken over; NULL reads as out of memory) as @key of @obj.
 * Returns 0 or -ENOMEM.
 */
int libkeel_add_member(struct json_object *obj, const char *key,
		       struct json_object *val);

/*
 * Shut the socket down (it polls readable, every later call fails);
 * the fd stays open until keel_close().
 */
void libkeel_conn_break(struct keel_conn *c);

/*
 * Hand over @c's input buffer: the bytes received after the last reply
 * line, which belong to whatever the connection carries now (a console
 * stream). *@buf (malloc'd, the caller's; NULL when @c never read)
 * holds *@len such bytes from its start, and has room for *@cap. @c
 * then has no buffer and must not make calls any more.
 */
void libkeel_take_input(struct keel_conn *c, char **buf, size_t *len,
			size_t *cap);

#endif /* KEEL_LIBKEEL_INTERNAL_H */
