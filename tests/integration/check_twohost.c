// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The two-host fixture itself (twohost.h), without KVM: both keelds
 * run in their namespaces, each answers on its UNIX socket from here,
 * the veth carries packets, each reaches the other over TLS as `keel
 * -c tls://10.99.0.x list` with its own client certificate, and the
 * LAN's bridges come up. What a test leaves is gone after teardown.
 * Needs root (namespaces); runs in the nested runner's VM too, which
 * has veth and bridge (tests/nested/kvm-in-qemu).
 */
#include "config.h"

#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"
#include "runner.h"
#include "twohost.h"

#define RUN_MS 30000

/* keel on side @from lists side @to's domains over TLS. */
static void list_across(int from, int to)
{
	const struct twohost_side *f = &twohost.side[from];
	struct proc p;
	int rc;

	rc = twohost_run(&p, f->ns, RUN_MS, "'%s' --pki-dir '%s' -c '%s' list",
			 harness_path("cli/keel"), f->pki, twohost.side[to].uri);
	ck_assert_msg(rc == 0, "keel on %s could not list %s's domains: %s",
		      f->name, twohost.side[to].name, p.out);
	ck_assert_msg(strstr(p.out, "Name"), "no list header: %s", p.out);
	proc_dispose(&p);
}

START_TEST(test_two_keelds_reach_each_other)
{
	struct json_object *resp;
	struct proc p;

	for (int i = 0; i < 2; i++) {
		resp = twohost_rpc(i, "host.info", "{}");
		assert_ok(resp);
		json_object_put(resp);
		ck_assert_int_eq(twohost_keel(&p, i, RUN_MS, "list"), 0);
		proc_dispose(&p);
	}
	/* ping, where there is one (busybox's in the nested runner). */
	ck_assert_msg(twohost_run(&p, twohost.side[0].ns, RUN_MS,
				  "! command -v ping >/dev/null || "
				  "ping -c 1 -W 5 %s",
				  twohost.side[1].addr) == 0,
		      "no ping across the veth: %s", p.out);
	proc_dispose(&p);
	list_across(0, 1);
	list_across(1, 0);
}
END_TEST

/* A subject the other side does not list is refused over TLS. */
START_TEST(test_allow_list_applies)
{
	struct proc p;

	twohost_keeld_stop(1);
	twohost_keeld_start(1, NULL, "tls_allowed_dn = CN=nobody,O=keel\n");
	ck_assert_int_ne(twohost_run(&p, twohost.side[0].ns, RUN_MS,
				     "'%s' --pki-dir '%s' -c '%s' list",
				     harness_path("cli/keel"),
				     twohost.side[0].pki,
				     twohost.side[1].uri),
			 0);
	ck_assert_msg(strstr(p.out, "CN=hostA"), "refused how? %s", p.out);
	proc_dispose(&p);
}
END_TEST

START_TEST(test_lan_and_teardown)
{
	char ns[2][24];
	struct proc p;

	twohost_lan_up();
	ck_assert_int_eq(twohost_run(&p, twohost.side[1].ns, RUN_MS,
				     "ip link show " TWOHOST_BRIDGE),
			 0);
	proc_dispose(&p);
	snprintf(ns[0], sizeof(ns[0]), "%s", twohost.side[0].ns);
	snprintf(ns[1], sizeof(ns[1]), "%s", twohost.side[1].ns);
	twohost_teardown();
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(harness_sh("/sbin/ip netns list | grep -q '^%s\\b'",
					 ns[i]) != 0,
			      "namespace %s left behind", ns[i]);
		ck_assert_msg(!process_with(twohost.side[i].conf),
			      "a keeld of %s left running", ns[i]);
	}
	/* teardown again (the fixture's) must be harmless. */
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("twohost");
	TCase *tc = tcase_create("twohost");

	if (!harness_have_file(harness_path("daemon/keeld")) ||
	    !harness_have_file(harness_path("cli/keel")))
		runner_skip_reason = "keeld or keel is not built";
	else if (geteuid())
		runner_skip_reason = "network namespaces need root";
	else
		runner_skip_reason = twohost_pki_make();
	tcase_add_unchecked_fixture(tc, twohost_suite_setup,
				    twohost_suite_teardown);
	tcase_add_checked_fixture(tc, twohost_setup, twohost_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_two_keelds_reach_each_other);
	tcase_add_test(tc, test_allow_list_applies);
	tcase_add_test(tc, test_lan_and_teardown);
	suite_add_tcase(s, tc);
	return s;
}
