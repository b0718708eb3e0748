/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_VIRT_PARAMS_H
#define KEEL_VIRT_PARAMS_H

/*
 * libvirt's typed parameters (virTypedParameter; vx_param on the wire):
 * a list keel-virtd builds for an answer, and the reading of a list a
 * client sent (docs/libvirt.md, "Statistics and tuning"). Used by the
 * statistics and tuning procedures, each of which names its fields.
 */

#include <stdbool.h>
#include <stddef.h>

#include "virt_protocol.h"

/* virTypedParameterType: the discriminant of vx_param_value. */
enum virt_param_type {
	VIRT_PARAM_INT = 1,
	VIRT_PARAM_UINT = 2,
	VIRT_PARAM_LLONG = 3,
	VIRT_PARAM_ULLONG = 4,
	VIRT_PARAM_DOUBLE = 5,
	VIRT_PARAM_BOOLEAN = 6,
	VIRT_PARAM_STRING = 7,
};

/* libvirt's longest field name (VIR_TYPED_PARAM_FIELD_LENGTH, NUL included). */
#define VIRT_PARAM_FIELD_MAX 80

/*
 * A list being built. Its entries and their strings are malloc'd, so a
 * list moved into an answer is freed by xdr_free() after the reply.
 */
struct virt_plist {
	vx_param *val;
	unsigned len, cap;
};

/*
 * Append a field (printf-style name) of the type the function names.
 * Returns 0, -ENOMEM, or -ENAMETOOLONG for a name longer than libvirt's.
 */
int virt_plist_int(struct virt_plist *l, int v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int virt_plist_uint(struct virt_plist *l, unsigned v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int virt_plist_llong(struct virt_plist *l, long long v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int virt_plist_ullong(struct virt_plist *l, unsigned long long v,
		      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int virt_plist_string(struct virt_plist *l, const char *v, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

/*
 * Keep the first @n entries (libvirt's nparams: the caller's room),
 * freeing the rest; @n < 0 or beyond the list keeps them all.
 */
void virt_plist_truncate(struct virt_plist *l, int n);

/* Free the entries and empty the list; a moved list is already empty. */
void virt_plist_dispose(struct virt_plist *l);

/*
 * Move @l into an answer's array (*@val, *@len) and empty @l.
 */
void virt_plist_move(struct virt_plist *l, vx_param **val, u_int *len);

/* The entry named @field in @p (@n of them), or NULL. */
const vx_param *virt_param_find(const vx_param *p, u_int n,
				const char *field);

/*
 * A client's value as a number: any of the integer types, read as
 * signed (*@out). Returns 0, or -EINVAL for a double, a boolean or a
 * string, -ERANGE for an unsigned hyper past LLONG_MAX.
 */
int virt_param_ll(const vx_param *p, long long *out);

/*
 * The fields a procedure knows: @p (@n of them) may hold only names of
 * @known (NULL-terminated), each once. Returns 0, or -EINVAL with
 * *@bad the first field at fault (an entry of @p) and *@dup whether it
 * came twice rather than being unknown.
 */
int virt_params_check(const vx_param *p, u_int n, const char *const *known,
		      const vx_param **bad, bool *dup);

#endif /* KEEL_VIRT_PARAMS_H */
