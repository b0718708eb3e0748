// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What keeld's clients may hold (daemon/admit.c, keeld.8 LIMITS): the
 * limits derived from keeld.conf and the descriptor limit, connections
 * per uid and in all with root's reserve, the memory budget, and the
 * share of keeld's time.
 */
#include "config.h"

#include <check.h>
#include <unistd.h>

#include <event2/event.h>

#include "admit.h"
#include "conf.h"
#include "log.h"
#include "runner.h"

static struct event_base *base;

static void setup(void)
{
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	log_init("check_admit", false, LOG_LEVEL_ERR);
}

static void teardown(void)
{
	event_base_free(base);
}

/* An admit from keeld.conf's defaults, changed by the arguments. */
static struct admit *make(unsigned max_clients, unsigned per_uid,
			  unsigned client_memory_mib, unsigned long nofile)
{
	struct keeld_conf conf;
	struct admit *a = NULL;

	ck_assert_int_eq(conf_init(&conf), 0);
	conf.max_clients = max_clients;
	conf.max_clients_per_uid = per_uid;
	if (client_memory_mib)
		conf.client_memory = client_memory_mib;
	ck_assert_int_eq(admit_new(&conf, base, nofile, &a), 0);
	conf_dispose(&conf);
	return a;
}

/* The limits keeld.8 states, from keeld.conf and RLIMIT_NOFILE. */
START_TEST(test_settings)
{
	static const struct {
		unsigned max_clients, per_uid_conf;
		unsigned long nofile;
		unsigned clients, per_uid, reserve, lingering;
	} t[] = {
		/* Derived: a quarter of what keeld does not keep. */
		{ 0, 0, 1024, 240, 30, 15, 30 },
		{ 0, 0, 64, 8, 2, 2, 4 },
		{ 0, 0, 10, 8, 2, 2, 4 },
		{ 0, 0, 1048576, 4096, 128, 64, 256 },
		/* Given. */
		{ 100, 0, 1024, 100, 12, 6, 12 },
		{ 100, 3, 1024, 100, 3, 6, 12 },
		{ 3, 0, 1024, 3, 2, 2, 4 },
		/* Root's reserve never takes every place. */
		{ 2, 0, 1024, 2, 2, 1, 4 },
		{ 1, 0, 1024, 1, 2, 0, 4 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct admit *a = make(t[i].max_clients, t[i].per_uid_conf, 0,
				       t[i].nofile);
		const struct admit_settings *s = admit_settings(a);

		ck_assert_msg(s->max_clients == t[i].clients,
			      "row %zu: max_clients %u", i, s->max_clients);
		ck_assert_msg(s->per_uid == t[i].per_uid,
			      "row %zu: per_uid %u", i, s->per_uid);
		ck_assert_msg(s->root_reserve == t[i].reserve,
			      "row %zu: root_reserve %u", i, s->root_reserve);
		ck_assert_msg(s->max_lingering == t[i].lingering,
			      "row %zu: max_lingering %u", i,
			      s->max_lingering);
		ck_assert_uint_eq(s->budget,
				  (size_t)CONF_CLIENT_MEMORY_MIB << 20);
		ck_assert_uint_eq(s->idle_timeout, CONF_CLIENT_IDLE_TIMEOUT_S);
		admit_free(a);
	}
	admit_free(NULL);
}
END_TEST

START_TEST(test_per_uid)
{
	struct admit *a = make(100, 3, 0, 1024);
	struct client_slot s[5] = { 0 }, other = { 0 }, root = { 0 };

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(admit_client(a, &s[i], 1000, false), ADMIT_OK);
	ck_assert_int_eq(admit_client(a, &s[3], 1000, false), ADMIT_PER_UID);
	ck_assert(!s[3].admitted);
	ck_assert_uint_eq(admit_nr_clients(a), 3);
	/* Someone else, and root, are not held to uid 1000's count. */
	ck_assert_int_eq(admit_client(a, &other, 1001, false), ADMIT_OK);
	ck_assert_int_eq(admit_client(a, &root, 1000, true), ADMIT_OK);
	ck_assert_uint_eq(admit_nr_clients(a), 5);
	/* One leaves: another may come; leaving twice counts once. */
	admit_leave(a, &s[1]);
	admit_leave(a, &s[1]);
	ck_assert(!s[1].admitted);
	ck_assert_uint_eq(admit_nr_clients(a), 4);
	ck_assert_int_eq(admit_client(a, &s[4], 1000, false), ADMIT_OK);
	ck_assert_int_eq(admit_client(a, &s[3], 1000, false), ADMIT_PER_UID);
	/* A slot never admitted leaves nothing. */
	admit_leave(a, &s[3]);
	ck_assert_uint_eq(admit_nr_clients(a), 5);
	admit_leave(a, &s[0]);
	admit_leave(a, &s[2]);
	admit_leave(a, &s[4]);
	admit_leave(a, &other);
	admit_leave(a, &root);
	ck_assert_uint_eq(admit_nr_clients(a), 0);
	/* Its count went with its last connection. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(admit_client(a, &s[i], 1000, false), ADMIT_OK);
	for (int i = 0; i < 3; i++)
		admit_leave(a, &s[i]);
	admit_free(a);
}
END_TEST

/* The last places are root's; past max_clients nobody gets in. */
START_TEST(test_total)
{
	struct admit *a = make(10, 100, 0, 1024);
	unsigned reserve = admit_settings(a)->root_reserve;
	struct client_slot s[12] = { 0 };
	unsigned n = 0;

	ck_assert_uint_eq(reserve, 2);
	while (n < 10 - reserve) {
		ck_assert_int_eq(admit_client(a, &s[n], 1000 + n, false),
				 ADMIT_OK);
		n++;
	}
	ck_assert_int_eq(admit_client(a, &s[n], 5000, false), ADMIT_TOTAL);
	ck_assert(!s[n].admitted);
	while (n < 10) {
		ck_assert_int_eq(admit_client(a, &s[n], 0, true), ADMIT_OK);
		n++;
	}
	ck_assert_int_eq(admit_client(a, &s[n], 0, true), ADMIT_TOTAL);
	ck_assert_uint_eq(admit_nr_clients(a), 10);
	/* A user's place freed: still within root's reserve, so no. */
	admit_leave(a, &s[0]);
	ck_assert_int_eq(admit_client(a, &s[0], 5000, false), ADMIT_TOTAL);
	ck_assert_int_eq(admit_client(a, &s[0], 0, true), ADMIT_OK);
	for (unsigned i = 0; i < 10; i++)
		admit_leave(a, &s[i]);
	admit_free(a);
}
END_TEST

START_TEST(test_budget)
{
	struct admit *a = make(100, 10, 1, 1024);
	const size_t mib = 1024 * 1024;
	struct client_slot x = { 0 }, y = { 0 }, root = { 0 };

	ck_assert_int_eq(admit_client(a, &x, 1000, false), ADMIT_OK);
	ck_assert_int_eq(admit_client(a, &y, 1001, false), ADMIT_OK);
	ck_assert_int_eq(admit_client(a, &root, 0, true), ADMIT_OK);
	ck_assert(admit_fits(a, &x, mib));
	ck_assert(!admit_fits(a, &x, mib + 1));
	ck_assert(admit_charge(a, &x, mib / 2));
	ck_assert(admit_charge(a, &y, mib / 2));
	ck_assert(!admit_fits(a, &y, 1));
	/* Root is exempt, and costs the others nothing. */
	ck_assert(admit_fits(a, &root, 100 * mib));
	ck_assert(admit_charge(a, &root, 100 * mib));
	ck_assert(!admit_fits(a, &x, 1));
	/* Past the end: counted all the same, and said. */
	ck_assert(!admit_charge(a, &y, mib / 2 + 1));
	ck_assert_uint_eq(y.charged, mib / 2 + 1);
	/* A charge replaces the last one. */
	ck_assert(admit_charge(a, &y, 0));
	ck_assert(admit_fits(a, &y, mib / 2));
	ck_assert(!admit_fits(a, &y, mib / 2 + 1));
	/* Leaving gives its charge back. */
	admit_leave(a, &x);
	ck_assert_uint_eq(x.charged, 0);
	ck_assert(admit_fits(a, &y, mib));
	admit_leave(a, &y);
	admit_leave(a, &root);
	admit_free(a);
}
END_TEST

/* Clients other than root get ADMIT_CPU_SHARE of each window. */
START_TEST(test_cpu_share)
{
	long long share_us = ADMIT_CPU_WINDOW_MS * 1000LL * ADMIT_CPU_SHARE /
			     100;
	long long under = -1, wait = 0;
	struct admit *a = NULL;

	/*
	 * Within one window, which a busy machine may not give the test:
	 * tried again in a fresh window, a few times.
	 */
	for (int attempt = 0; attempt < 5 && !(under == 0 && wait > 0);
	     attempt++) {
		admit_free(a);
		a = make(100, 10, 0, 1024);
		ck_assert_int_eq(admit_cpu_wait_ms(a), 0);
		admit_cpu_charge(a, share_us - 1000);
		under = admit_cpu_wait_ms(a);
		admit_cpu_charge(a, 1000);
		wait = admit_cpu_wait_ms(a);
	}
	ck_assert_int_eq(under, 0);
	ck_assert_int_gt(wait, 0);
	ck_assert_int_le(wait, ADMIT_CPU_WINDOW_MS);
	/* The next window starts afresh. */
	usleep((useconds_t)(wait + 5) * 1000);
	ck_assert_int_eq(admit_cpu_wait_ms(a), 0);
	admit_free(a);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("admit");
	TCase *tc = tcase_create("admit");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_settings);
	tcase_add_test(tc, test_per_uid);
	tcase_add_test(tc, test_total);
	tcase_add_test(tc, test_budget);
	tcase_add_test(tc, test_cpu_share);
	suite_add_tcase(s, tc);
	return s;
}
