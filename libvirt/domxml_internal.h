/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_LIBVIRT_DOMXML_INTERNAL_H
#define KEEL_LIBVIRT_DOMXML_INTERNAL_H

/* What domxml.c (reading) and domxml_write.c (writing) both hold to. */

/* keel's namespace inside <metadata>, for what libvirt cannot say. */
#define DOMXML_NS "urn:keel:domain:1"
#define DOMXML_NS_PREFIX "keel"
/* The most vCPUs and NICs keel has (schemas/domain.schema.json). */
#define DOMXML_MAX_VCPUS 64
#define DOMXML_MAX_NICS 8

/* libxml2 set up, once, whichever thread comes first. */
void domxml_init(void);

#endif /* KEEL_LIBVIRT_DOMXML_INTERNAL_H */
