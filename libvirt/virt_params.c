// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libvirt's typed parameters (virt_params.h): the one place that builds
 * and reads vx_param lists, so that every statistics and tuning
 * procedure names fields the same way and refuses the same way.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt_params.h"

/*
 * Append the field named by @fmt with the value @v (a string is
 * copied). Returns 0, -ENOMEM or -ENAMETOOLONG.
 */
static int plist_vadd(struct virt_plist *l, const struct vx_param_value *v,
		      const char *fmt, va_list ap)
{
	char name[VIRT_PARAM_FIELD_MAX + 1];
	vx_param *p;
	int len = vsnprintf(name, sizeof(name), fmt, ap);

	if (len < 0 || len >= VIRT_PARAM_FIELD_MAX)
		return -ENAMETOOLONG;
	if (l->len == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 16;
		vx_param *nv = realloc(l->val, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->val = nv;
		l->cap = cap;
	}
	p = &l->val[l->len];
	p->value = *v;
	p->field = strdup(name);
	if (!p->field)
		return -ENOMEM;
	if (v->type == VIRT_PARAM_STRING) {
		p->value.vx_param_value_u.s = strdup(v->vx_param_value_u.s);
		if (!p->value.vx_param_value_u.s) {
			free(p->field);
			return -ENOMEM;
		}
	}
	l->len++;
	return 0;
}

int virt_plist_int(struct virt_plist *l, int v, const char *fmt, ...)
{
	struct vx_param_value pv = { .type = VIRT_PARAM_INT };
	va_list ap;
	int rc;

	pv.vx_param_value_u.i = v;
	va_start(ap, fmt);
	rc = plist_vadd(l, &pv, fmt, ap);
	va_end(ap);
	return rc;
}

int virt_plist_uint(struct virt_plist *l, unsigned v, const char *fmt, ...)
{
	struct vx_param_value pv = { .type = VIRT_PARAM_UINT };
	va_list ap;
	int rc;

	pv.vx_param_value_u.ui = v;
	va_start(ap, fmt);
	rc = plist_vadd(l, &pv, fmt, ap);
	va_end(ap);
	return rc;
}

int virt_plist_llong(struct virt_plist *l, long long v, const char *fmt, ...)
{
	struct vx_param_value pv = { .type = VIRT_PARAM_LLONG };
	va_list ap;
	int rc;

	pv.vx_param_value_u.l = v;
	va_start(ap, fmt);
	rc = plist_vadd(l, &pv, fmt, ap);
	va_end(ap);
	return rc;
}

int virt_plist_ullong(struct virt_plist *l, unsigned long long v,
		      const char *fmt, ...)
{
	struct vx_param_value pv = { .type = VIRT_PARAM_ULLONG };
	va_list ap;
	int rc;

	pv.vx_param_value_u.ul = v;
	va_start(ap, fmt);
	rc = plist_vadd(l, &pv, fmt, ap);
	va_end(ap);
	return rc;
}

int virt_plist_string(struct virt_plist *l, const char *v, const char *fmt,
		      ...)
{
	struct vx_param_value pv = { .type = VIRT_PARAM_STRING };
	va_list ap;
	int rc;

	pv.vx_param_value_u.s = (char *)(v ? v : "");
	va_start(ap, fmt);
	rc = plist_vadd(l, &pv, fmt, ap);
	va_end(ap);
	return rc;
}

static void param_free(vx_param *p)
{
	free(p->field);
	if (p->value.type == VIRT_PARAM_STRING)
		free(p->value.vx_param_value_u.s);
}

void virt_plist_truncate(struct virt_plist *l, int n)
{
	if (n < 0 || (unsigned)n >= l->len)
		return;
	while (l->len > (unsigned)n)
		param_free(&l->val[--l->len]);
}

void virt_plist_dispose(struct virt_plist *l)
{
	virt_plist_truncate(l, 0);
	free(l->val);
	l->val = NULL;
	l->cap = 0;
}

void virt_plist_move(struct virt_plist *l, vx_param **val, u_int *len)
{
	*val = l->val;
	*len = l->len;
	if (!l->len) {
		free(l->val);
		*val = NULL;
	}
	l->val = NULL;
	l->len = l->cap = 0;
}

const vx_param *virt_param_find(const vx_param *p, u_int n,
				const char *field)
{
	u_int i;

	for (i = 0; i < n; i++)
		if (p[i].field && !strcmp(p[i].field, field))
			return &p[i];
	return NULL;
}

int virt_param_ll(const vx_param *p, long long *out)
{
	const struct vx_param_value *v = &p->value;

	switch (v->type) {
	case VIRT_PARAM_INT:
		*out = v->vx_param_value_u.i;
		return 0;
	case VIRT_PARAM_UINT:
		*out = v->vx_param_value_u.ui;
		return 0;
	case VIRT_PARAM_LLONG:
		*out = v->vx_param_value_u.l;
		return 0;
	case VIRT_PARAM_ULLONG:
		if (v->vx_param_value_u.ul > (unsigned long long)LLONG_MAX)
			return -ERANGE;
		*out = (long long)v->vx_param_value_u.ul;
		return 0;
	default:
		return -EINVAL;
	}
}

int virt_params_check(const vx_param *p, u_int n, const char *const *known,
		      const vx_param **bad, bool *dup)
{
	u_int i, j;
	size_t k;

	for (i = 0; i < n; i++) {
		for (k = 0; known[k]; k++)
			if (!strcmp(p[i].field, known[k]))
				break;
		*bad = &p[i];
		*dup = false;
		if (!known[k])
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(p[j].field, p[i].field)) {
				*dup = true;
				return -EINVAL;
			}
	}
	*bad = NULL;
	return 0;
}
