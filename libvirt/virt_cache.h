/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_VIRT_CACHE_H
#define KEEL_VIRT_CACHE_H

/*
 * keel-virtd's cache of domain states (docs/libvirt.md, "The state
 * cache"), so that GET_STATE, which virsh list sends for every domain,
 * is answered without a round trip to keeld. It is filled by what the
 * workers read from keeld and emptied of a domain by each of keeld's
 * events about it; it answers only while keel-virtd's event
 * subscription is up (virt_events.c), and not while a change this
 * keel-virtd asked for may still have its events on the way. The
 * workers read and fill it, the loop feeds it: one mutex.
 */

#include <stdbool.h>
#include <stddef.h>

#include "keel.h"

struct virt_cache;

/* Returns 0 and *@out (empty, not live), or -ENOMEM. */
int virt_cache_new(struct virt_cache **out);
void virt_cache_free(struct virt_cache *vc);	/* NULL is fine */

/*
 * The subscription is up (@live) or gone: either way the cache starts
 * empty, and fills begun before are refused.
 */
void virt_cache_set_live(struct virt_cache *vc, bool live);

/* keeld said something happened to the domain @uuid: forget it. */
void virt_cache_forget(struct virt_cache *vc, const char *uuid);

/*
 * A change is being made through keel-virtd (virt_cache_hold()): the
 * cache is emptied and answers nothing until as many virt_cache_unhold() have come,
 * each once keeld's events sent before the change's answer are in.
 */
void virt_cache_hold(struct virt_cache *vc);
void virt_cache_unhold(struct virt_cache *vc, unsigned n);

/*
 * A worker is about to read domains from keeld: the token to give
 * virt_cache_put() with what it read.
 */
unsigned long virt_cache_epoch(struct virt_cache *vc);

/*
 * Keep the @n domains of @list as read from keeld since @epoch, unless
 * the cache changed since (an event, a hold, the subscription): then
 * the read may be older than what the cache has seen.
 */
void virt_cache_put(struct virt_cache *vc, unsigned long epoch,
		    const struct keel_domain *list, size_t n);

/*
 * @uuid's state and reason into @out's state and reason. Returns true
 * on a hit; false: ask keeld.
 */
bool virt_cache_get(struct virt_cache *vc, const char *uuid,
		    struct keel_domain *out);

#endif /* KEEL_VIRT_CACHE_H */
