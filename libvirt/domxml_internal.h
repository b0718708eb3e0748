/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_LIBVIRT_DOMXML_INTERNAL_H
#define KEEL_LIBVIRT_DOMXML_INTERNAL_H

/*
 * What domxml.c (reading and checking), domxml_map.c and
 * domxml_devices.c (the mapping to keel's configuration) and
 * domxml_write.c (writing) hold to in common.
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

/* --- domxml_map.c: the mapping, and its helpers for domxml_devices.c ---- */

/* @root, past dx_walk(), as keel's configuration in *@out; 0 or -errno. */
int map_domain(struct dx *d, xmlNode *root, struct json_object **out);

/* The members of the model, in the order schemas/ and xlcfg print them. */
enum dx_field {
	F_NAME, F_UUID, F_MEMORY, F_MAXMEM, F_PREFAULT, F_VCPUS, F_MAXVCPUS,
	F_CPUS,
	F_CPU_WEIGHT, F_CAP, F_KERNEL, F_RAMDISK, F_CMDLINE, F_RNG,
	F_ON_POWEROFF, F_ON_REBOOT, F_ON_CRASH, F_DISKS, F_NICS, F_COUNT
};

/* One mapping under way: each member of the model as it is read. */
struct dx_map {
	struct dx *d;
	struct json_object *f[F_COUNT];
	long long vcpus;	/* online at boot */
	long long maxvcpus;	/* all, as <vcpu> counts them */
};

/* f[@i] = @v (a new object, NULL when out of memory). */
int map_set(struct dx_map *m, enum dx_field i, struct json_object *v);
/*
 * The number in @n's text (or, with @attr, in that attribute; absent:
 * *@set false), refused in words naming @n when it is not one.
 */
int dx_num(struct dx *d, xmlNode *n, const char *attr, unsigned long long *v,
	   bool *set);
/* Add @v (a new object; put on failure) to @o as @key. */
int dx_add(struct dx *d, struct json_object *o, const char *key,
	   struct json_object *v);
int dx_add_str(struct dx *d, struct json_object *o, const char *key,
	       const char *s);
int dx_add_int(struct dx *d, struct json_object *o, const char *key,
	       long long v);

/* --- domxml_devices.c --------------------------------------------------- */

/*
 * <devices> (disks, NICs, rng, the balloon's model) and keel's NIC
 * <metadata>, into @m's disks, nics and rng.
 */
int map_devices(struct dx_map *m, xmlNode *root);

#endif /* KEEL_LIBVIRT_DOMXML_INTERNAL_H */
