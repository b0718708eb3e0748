/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_VIRT_EVENTS_H
#define KEEL_VIRT_EVENTS_H

/*
 * keel-virtd's domain events (docs/libvirt.md, "Events and consoles"):
 * one libkeel connection subscribed to keeld's events, its socket in
 * the loop, and the clients' event callbacks it fans them out to. All
 * of it runs on the loop thread: the registration procedures are
 * VIRT_PROC_LOOP, and clients are closed on the loop.
 */

#include <event2/event.h>

struct virt_events;
struct virt_client;
struct virt_options;

/* A client may hold this many callbacks (virsh event --all holds 27). */
#define VIRT_EVENTS_MAX_CALLBACKS 256
/* keeld gone, or not there yet: try again this often. */
#define VIRT_EVENTS_RETRY_MS 1000

/*
 * The fan-out and the state cache for @base; keeld (@o->keeld,
 * borrowed) is subscribed to from the loop's first turn, and again
 * whenever it is lost. Returns 0 and *@out, or -ENOMEM.
 */
int virt_events_new(struct event_base *base, const struct virt_options *o,
		    struct virt_events **out);

/* Close keeld's connection, drop every callback. NULL is fine. */
void virt_events_free(struct virt_events *ev);

/*
 * keel's lifecycle event @event with @detail (NULL: none) as libvirt's
 * virDomainEventType *@type and its detail *@det (0 for a detail
 * libvirt lacks). Returns 0, or -ENOENT for an event libvirt lacks.
 */
int virt_event_lookup(const char *event, const char *detail, int *type,
		      int *det);

/* The state cache the subscription keeps (virt_cache.h). */
struct virt_cache *virt_events_cache(struct virt_events *ev);

/*
 * A call that may change domains is about to run (_begin, from any
 * thread), and has been answered by keeld (_end): the cache answers
 * nothing in between, nor until the events keeld sent before that
 * answer are in, so the caller's next call sees its change.
 */
void virt_events_change_begin(struct virt_events *ev);
void virt_events_change_end(struct virt_events *ev);

/* @c closed: forget its callbacks. */
void virt_events_client_gone(struct virt_events *ev, struct virt_client *c);

#endif /* KEEL_VIRT_EVENTS_H */
