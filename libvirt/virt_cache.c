// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state cache (virt_cache.h, docs/libvirt.md "The state cache").
 *
 * Why it is never staler than keeld's events: an entry is only what a
 * worker read from keeld, stored if no event, hold or subscription
 * change came between the read's start and the store (the epoch); any
 * event about a domain removes its entry, so a change keeld makes later
 * removes it as soon as its event is in. A change this keel-virtd makes
 * empties the cache and holds it from before its call until the loop
 * has had keeld's answer to a call made after it on the subscription's
 * own connection (virt_events.c): keeld sends its events in order, so
 * the change's events are in by then, and the same client's next call
 * sees it, even one keeld made without an event.
 *
 * Only shut-off domains are kept. keeld leaves that state only with an
 * event (started, undefined); a running or paused domain it changes
 * without one in places (a shutdown request makes it "in shutdown", a
 * migration pauses it for its last pass), which a cache fed by events
 * would miss. One change of a shut-off domain comes without an event:
 * a start that fails before keel-hv runs gives it the reason "failed";
 * made through keel-virtd it empties the cache, made behind its back
 * the old reason is answered until the domain's next event.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt_cache.h"

#define CACHE_BUCKETS 256

struct cache_entry {
	char uuid[KEEL_UUID_LEN + 1];
	enum keel_domain_state state;
	char reason[sizeof(((struct keel_domain *)0)->reason)];
	struct cache_entry *next;
};

struct virt_cache {
	pthread_mutex_t lock;
	bool live;
	unsigned holds;
	unsigned long epoch;	/* bumped by all that can make a read old */
	struct cache_entry *buckets[CACHE_BUCKETS];
};

static bool cacheable(const struct keel_domain *d)
{
	return d->state == KEEL_STATE_SHUTOFF;
}

static struct cache_entry **bucket(struct virt_cache *vc, const char *uuid)
{
	unsigned h = 2166136261u;	/* FNV-1a */

	for (; *uuid; uuid++)
		h = (h ^ (unsigned char)*uuid) * 16777619u;
	return &vc->buckets[h % CACHE_BUCKETS];
}

static struct cache_entry **find(struct virt_cache *vc, const char *uuid)
{
	struct cache_entry **p = bucket(vc, uuid);

	while (*p && strcmp((*p)->uuid, uuid))
		p = &(*p)->next;
	return p;
}

static void remove_entry(struct cache_entry **p)
{
	struct cache_entry *e = *p;

	if (e) {
		*p = e->next;
		free(e);
	}
}

static void empty(struct virt_cache *vc)
{
	for (size_t i = 0; i < CACHE_BUCKETS; i++)
		while (vc->buckets[i])
			remove_entry(&vc->buckets[i]);
}

int virt_cache_new(struct virt_cache **out)
{
	struct virt_cache *vc = calloc(1, sizeof(*vc));

	if (!vc)
		return -ENOMEM;
	pthread_mutex_init(&vc->lock, NULL);
	*out = vc;
	return 0;
}

void virt_cache_free(struct virt_cache *vc)
{
	if (!vc)
		return;
	empty(vc);
	pthread_mutex_destroy(&vc->lock);
	free(vc);
}

void virt_cache_set_live(struct virt_cache *vc, bool live)
{
	pthread_mutex_lock(&vc->lock);
	vc->live = live;
	vc->epoch++;
	empty(vc);
	pthread_mutex_unlock(&vc->lock);
}

void virt_cache_forget(struct virt_cache *vc, const char *uuid)
{
	pthread_mutex_lock(&vc->lock);
	vc->epoch++;
	remove_entry(find(vc, uuid));
	pthread_mutex_unlock(&vc->lock);
}

void virt_cache_hold(struct virt_cache *vc)
{
	pthread_mutex_lock(&vc->lock);
	vc->holds++;
	vc->epoch++;
	/* A change keeld makes without an event (a start that fails). */
	empty(vc);
	pthread_mutex_unlock(&vc->lock);
}

void virt_cache_unhold(struct virt_cache *vc, unsigned n)
{
	pthread_mutex_lock(&vc->lock);
	vc->holds -= n < vc->holds ? n : vc->holds;
	pthread_mutex_unlock(&vc->lock);
}

unsigned long virt_cache_epoch(struct virt_cache *vc)
{
	unsigned long epoch;

	pthread_mutex_lock(&vc->lock);
	epoch = vc->epoch;
	pthread_mutex_unlock(&vc->lock);
	return epoch;
}

void virt_cache_put(struct virt_cache *vc, unsigned long epoch,
		    const struct keel_domain *list, size_t n)
{
	struct cache_entry **p, *e;

	pthread_mutex_lock(&vc->lock);
	if (!vc->live || vc->holds || vc->epoch != epoch)
		goto out_unlock;
	for (size_t i = 0; i < n; i++) {
		p = find(vc, list[i].uuid);
		if (!cacheable(&list[i])) {
			remove_entry(p);
			continue;
		}
		e = *p;
		if (!e) {
			/* Out of memory: the domain is asked for, as before. */
			e = calloc(1, sizeof(*e));
			if (!e)
				continue;
			snprintf(e->uuid, sizeof(e->uuid), "%s", list[i].uuid);
			*p = e;
		}
		e->state = list[i].state;
		snprintf(e->reason, sizeof(e->reason), "%s", list[i].reason);
	}
out_unlock:
	pthread_mutex_unlock(&vc->lock);
}

bool virt_cache_get(struct virt_cache *vc, const char *uuid,
		    struct keel_domain *out)
{
	struct cache_entry *e = NULL;

	pthread_mutex_lock(&vc->lock);
	if (vc->live && !vc->holds)
		e = *find(vc, uuid);
	if (e) {
		out->state = e->state;
		memcpy(out->reason, e->reason, sizeof(out->reason));
	}
	pthread_mutex_unlock(&vc->lock);
	return e;
}
