// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libvirt/virt_cache.c, keel-virtd's state cache: what it answers, and
 * the reads it refuses to keep because they may be older than what it
 * has seen (an event, a change of keel-virtd's own, the subscription).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "runner.h"
#include "virt_cache.h"

#define U1 "11111111-2222-3333-4444-555555555555"
#define U2 "66666666-7777-8888-9999-aaaaaaaaaaaa"

static struct virt_cache *vc;

static struct keel_domain dom(const char *uuid,
			      enum keel_domain_state state, const char *reason)
{
	struct keel_domain d = { .id = -1, .state = state };

	snprintf(d.uuid, sizeof(d.uuid), "%s", uuid);
	snprintf(d.reason, sizeof(d.reason), "%s", reason);
	return d;
}

static bool hit(const char *uuid, enum keel_domain_state state,
		const char *reason)
{
	struct keel_domain d = { 0 };

	return virt_cache_get(vc, uuid, &d) && d.state == state &&
	       !strcmp(d.reason, reason);
}

static bool miss(const char *uuid)
{
	struct keel_domain d = { 0 };

	return !virt_cache_get(vc, uuid, &d);
}

/* Keep what a read begun at @epoch gave. */
static void put_at(unsigned long epoch, const char *uuid,
		   enum keel_domain_state state, const char *reason)
{
	struct keel_domain d = dom(uuid, state, reason);

	virt_cache_put(vc, epoch, &d, 1);
}

static void put(const char *uuid, enum keel_domain_state state,
		const char *reason)
{
	put_at(virt_cache_epoch(vc), uuid, state, reason);
}

static void cache_setup(void)
{
	ck_assert_int_eq(virt_cache_new(&vc), 0);
	virt_cache_set_live(vc, true);
}

static void cache_teardown(void)
{
	virt_cache_free(vc);
	vc = NULL;
}

/* Shut-off domains are kept, running ones not; an event forgets one. */
START_TEST(keeps_shutoff_only)
{
	struct keel_domain list[2] = { dom(U1, KEEL_STATE_SHUTOFF, "failed"),
				       dom(U2, KEEL_STATE_RUNNING, "booted") };

	virt_cache_put(vc, virt_cache_epoch(vc), list, 2);
	ck_assert(hit(U1, KEEL_STATE_SHUTOFF, "failed"));
	ck_assert(miss(U2));
	/* keeld now says U1 runs: what was kept goes. */
	put(U1, KEEL_STATE_RUNNING, "booted");
	ck_assert(miss(U1));
	put(U1, KEEL_STATE_SHUTOFF, "destroyed");
	virt_cache_forget(vc, U1);
	ck_assert(miss(U1));
}
END_TEST

/* A read that an event overtook is not kept. */
START_TEST(event_during_read)
{
	unsigned long epoch = virt_cache_epoch(vc);

	virt_cache_forget(vc, U2);	/* any domain's event */
	put_at(epoch, U1, KEEL_STATE_SHUTOFF, "shutdown");
	ck_assert(miss(U1));
	put(U1, KEEL_STATE_SHUTOFF, "shutdown");
	ck_assert(hit(U1, KEEL_STATE_SHUTOFF, "shutdown"));
}
END_TEST

/*
 * A change of keel-virtd's own: emptied, nothing answered or kept until
 * every hold is let go.
 */
START_TEST(own_change_holds)
{
	unsigned long epoch;

	put(U1, KEEL_STATE_SHUTOFF, "shutdown");
	epoch = virt_cache_epoch(vc);
	virt_cache_hold(vc);
	virt_cache_hold(vc);
	ck_assert(miss(U1));
	put(U2, KEEL_STATE_SHUTOFF, "shutdown");
	ck_assert(miss(U2));
	virt_cache_unhold(vc, 1);
	put(U2, KEEL_STATE_SHUTOFF, "shutdown");
	ck_assert(miss(U2));
	virt_cache_unhold(vc, 1);
	ck_assert(miss(U1));	/* emptied, not just hidden */
	put(U2, KEEL_STATE_SHUTOFF, "shutdown");
	ck_assert(hit(U2, KEEL_STATE_SHUTOFF, "shutdown"));
	/* A read begun before the hold stays refused after it. */
	put_at(epoch, U1, KEEL_STATE_SHUTOFF, "shutdown");
	ck_assert(miss(U1));
}
END_TEST

/* No subscription, no answers; it coming back starts empty. */
START_TEST(subscription_lost)
{
	unsigned long epoch;

	put(U1, KEEL_STATE_SHUTOFF, "shutdown");
	virt_cache_set_live(vc, false);
	ck_assert(miss(U1));
	put(U1, KEEL_STATE_SHUTOFF, "shutdown");
	epoch = virt_cache_epoch(vc);
	virt_cache_set_live(vc, true);
	ck_assert(miss(U1));
	put_at(epoch, U1, KEEL_STATE_SHUTOFF, "shutdown");
	ck_assert(miss(U1));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virt_cache");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, cache_setup, cache_teardown);
	tcase_add_test(tc, keeps_shutoff_only);
	tcase_add_test(tc, event_during_read);
	tcase_add_test(tc, own_change_holds);
	tcase_add_test(tc, subscription_lost);
	suite_add_tcase(s, tc);
	return s;
}
