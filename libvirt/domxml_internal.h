/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_LIBVIRT_DOMXML_INTERNAL_H
#define KEEL_LIBVIRT_DOMXML_INTERNAL_H

/*
 * What domxml.c (reading and checking), domxml_map.c (the mapping to
 * keel's configuration) and domxml_write.c (writing) hold to in common.
 */

#include <stdbool.h>

#include <libxml/tree.h>

struct json_object;

/* keel's namespace inside <metadata>, for what libvirt cannot say. */
#define DOMXML_NS "urn:keel:domain:1"
#define DOMXML_NS_PREFIX "keel"
/* The most vCPUs and NICs keel has (schemas/domain.schema.json). */
#define DOMXML_MAX_VCPUS 64
#define DOMXML_MAX_NICS 8

/* libxml2 set up, once, whichever thread comes first. */
void domxml_init(void);

/* --- domxml.c: the error and the tree, for the mapping ------------------ */

/* The first failure of one domxml_parse(), its code and message. */
struct dx;

/* Record the first failure; returns -EINVAL (-ENOMEM if unrecorded). */
int dx_fail(struct dx *d, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Record that memory ran out, in keel's words; returns -ENOMEM. */
int dx_nomem(struct dx *d);
/* @n's element name, without its namespace prefix. */
const char *dx_name(const xmlNode *n);
/* @n's text (malloc'd, as written), or NULL with the error recorded. */
char *dx_text(struct dx *d, xmlNode *n);
/* @n's attribute @name (malloc'd), or NULL if absent (*@rc 0) or OOM. */
char *dx_attr(struct dx *d, xmlNode *n, const char *name, int *rc);
/* @n's first child element @name, in keel's namespace if @keel_ns. */
xmlNode *dx_child(xmlNode *n, const char *name, bool keel_ns);
/* @s without the white space around it (cut in place). */
char *dx_trim(char *s);

/* --- domxml_map.c ------------------------------------------------------- */

/* @root, past dx_walk(), as keel's configuration in *@out; 0 or -errno. */
int map_domain(struct dx *d, xmlNode *root, struct json_object **out);

#endif /* KEEL_LIBVIRT_DOMXML_INTERNAL_H */
