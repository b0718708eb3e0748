// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-virtd's domain events and consoles, with a real keeld and no
 * KVM: Debian's unpatched python3-libvirt, with libvirt's default event
 * loop, and `virsh event --all --loop` see the domains they and keeld
 * define and undefine (virtd_events.py host: also filters,
 * deregistration, read-only consoles refused, hostile registrations);
 * virsh's events go on after keeld restarts; keel-virtd's state cache
 * sees the changes it makes at once and those made behind its back
 * once keeld's events come (virtd_events.py cache). The same clients
 * on a running guest (events, consoles) are check_virtd_kvm's.
 */
#include "config.h"

#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"
#include "runner.h"

#define PYTHON "/usr/bin/python3"
#define VIRTD_READY_MS 60000
#define CLIENT_TIMEOUT_MS 120000

static struct proc virtd;
static char virt_sock[200], uri[256], uri_ro[256];

static void start_both(void)
{
	char *argv[] = {
		(char *)harness_path("libvirt/keel-virtd"), "--keeld",
		rw_sock, "--socket", virt_sock, "--workers", "2", NULL,
	};

	keeld_start();
	snprintf(virt_sock, sizeof(virt_sock), "%s/virt-sock", top);
	snprintf(uri, sizeof(uri), "keel+unix:///system?socket=%s", virt_sock);
	snprintf(uri_ro, sizeof(uri_ro), "keel+unix:///system?socket=%s-ro",
		 virt_sock);
	memset(&virtd, 0, sizeof(virtd));
	ck_assert_int_eq(proc_spawn(&virtd, argv), 0);
	ck_assert_msg(proc_expect(&virtd, "ready:", 0, VIRTD_READY_MS) > 0,
		      "keel-virtd did not start: %s", virtd.out);
}

static void stop_virtd(void)
{
	if (virtd.pid > 0)
		proc_dispose(&virtd);
}

static const char *script(void)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/tests/integration/virtd_events.py",
		 getenv("KEEL_SRCDIR") ? getenv("KEEL_SRCDIR") : "..");
	return path;
}

static bool have_stock_clients(void)
{
	return harness_have_file(HARNESS_VIRSH) &&
	       !harness_sh("%s -c 'import libvirt' 2>/dev/null", PYTHON);
}

/* Run virtd_events.py with @argv's words after the script; must pass. */
static void run_script(char *const words[])
{
	char *argv[12] = { PYTHON, (char *)script() };
	struct proc p = { 0 };
	int i;

	for (i = 0; words[i] && i < 9; i++)
		argv[i + 2] = words[i];
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_msg(proc_wait(&p, CLIENT_TIMEOUT_MS) == 0,
		      "virtd_events.py %s: %s", words[0], harness_tail(p.out));
	ck_assert_msg(strstr(p.out, "virtd_events.py: ok"), "%s", p.out);
	printf("%s", harness_tail(p.out));
	proc_dispose(&p);
}

static void define(const char *name)
{
	struct json_object *r;

	r = rpc_call("domain.define",
		     "{\"config\":{\"name\":\"%s\",\"kernel\":\"%s\",\"memory\":64}}",
		     name, harness_guest("echo"));
	assert_ok(r);
	json_object_put(r);
}

static void undefine(const char *name)
{
	struct json_object *r = rpc_ok_name("domain.undefine", name);

	json_object_put(r);
}

/*
 * `virsh event --all --loop` is in @p. virsh says nothing once it has
 * registered, so define domains @prefix0, 1, ... until it reports one
 * (the first may come before it listens); returns the offset past it.
 */
static long first_event(struct proc *p, const char *prefix)
{
	char name[64], want[160];
	long at = -1;
	int i;

	for (i = 0; i < 100 && at < 0; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		define(name);
		snprintf(want, sizeof(want),
			 "event 'lifecycle' for domain '%s': Defined Added",
			 name);
		at = proc_expect(p, want, 0, 300);
		undefine(name);
	}
	ck_assert_msg(at > 0, "virsh event saw nothing: %s", p->out);
	return at;
}

static void expect_virsh_event(struct proc *p, const char *name,
			       const char *what, long *from)
{
	char want[160];
	long at;

	snprintf(want, sizeof(want), "event 'lifecycle' for domain '%s': %s",
		 name, what);
	at = proc_expect(p, want, (size_t)*from, 20000);
	ck_assert_msg(at > 0, "virsh event: no \"%s\" in: %s", want, p->out);
	*from = at;
}

START_TEST(test_python)
{
	char sock_arg[210];
	char *words[] = { "host", uri, uri_ro, sock_arg,
			  (char *)harness_guest("echo"), NULL };

	start_both();
	snprintf(sock_arg, sizeof(sock_arg), "%s", virt_sock);
	run_script(words);
	stop_virtd();
}
END_TEST

/* The state cache, every start failing (virtd_events.py cache). */
START_TEST(test_state_cache)
{
	char *words[] = { "cache", uri, rw_sock,
			  (char *)harness_guest("echo"), NULL };

	keeld_hypervisor = fake_hv("exit 1");
	start_both();
	run_script(words);
	stop_virtd();
}
END_TEST

/* keeld's next event about @name is @event/@detail, a reboot's or not. */
static void expect_keel_event(struct harness_client *c, const char *name,
			      const char *event, const char *detail,
			      bool of_reboot)
{
	struct json_object *ev = next_domain_event(c, name), *flag;

	ck_assert_str_eq(str_at(ev, "/params/event"), event);
	ck_assert_str_eq(str_at(ev, "/params/detail"), detail);
	flag = at(ev, "/params/reboot");
	ck_assert_msg(of_reboot == (flag && json_object_get_boolean(flag)),
		      "%s %s: reboot is %s", event, detail,
		      json_object_to_json_string(flag));
	json_object_put(ev);
}

/*
 * A guest that resets, and then powers off as it starts again (the
 * stand-in's exit statuses, keel-hv's: 2 reset, 0 power-off): keeld
 * says rebooted and marks the stopped and started that go with it;
 * virsh event sees REBOOT alone, libvirt's QEMU driver's way, then the
 * power-off's Stopped Shutdown.
 */
START_TEST(test_reboot_event)
{
	char *argv[] = { HARNESS_VIRSH, "-c", uri, "event", "--all", "--loop", NULL };
	struct harness_client keel;
	char body[640], once[200];
	struct proc p = { 0 };
	const char *out;
	long from;

	snprintf(once, sizeof(once), "%s/reset-once", top);
	snprintf(body, sizeof(body),
		 "[ -e %s ] && exit 0\ntouch %s\nexit 2", once, once);
	keeld_hypervisor = fake_hv(body);
	start_both();
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	from = first_event(&p, "a");
	events_open(&keel);
	define("r");
	json_object_put(rpc_ok("domain.start", "{\"name\":\"r\"}"));

	expect_keel_event(&keel, "r", "defined", "added", false);
	expect_keel_event(&keel, "r", "started", "booted", false);
	expect_keel_event(&keel, "r", "rebooted", "guest", false);
	expect_keel_event(&keel, "r", "stopped", "shutdown", true);
	expect_keel_event(&keel, "r", "started", "booted", true);
	expect_keel_event(&keel, "r", "stopped", "shutdown", false);
	harness_client_close(&keel);

	expect_virsh_event(&p, "r", "Started Booted", &from);
	ck_assert_msg(proc_expect(&p, "event 'reboot' for domain 'r'",
				  (size_t)from, 20000) > 0,
		      "virsh event: no reboot in: %s", p.out + from);
	expect_virsh_event(&p, "r", "Stopped Shutdown", &from);
	undefine("r");
	expect_virsh_event(&p, "r", "Undefined Removed", &from);
	/* Between the boot and the power-off: the reboot alone. */
	out = strstr(p.out, "'r': Started Booted");
	ck_assert_ptr_nonnull(out);
	out += strlen("'r': Started Booted");
	ck_assert_msg(!strstr(out, "Started") &&
			      strstr(out, "Stopped") ==
				      strstr(out, "Stopped Shutdown") &&
			      !strstr(strstr(out, "Stopped") + 1, "Stopped"),
		      "virsh event: %s", p.out);
	proc_dispose(&p);
	stop_virtd();
}
END_TEST

/* virsh event --all --loop, and its events after keeld restarts. */
START_TEST(test_virsh_event)
{
	char *argv[] = { HARNESS_VIRSH, "-c", uri, "event", "--all", "--loop", NULL };
	struct proc p = { 0 };
	long from;

	start_both();
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	from = first_event(&p, "a");
	define("web");
	expect_virsh_event(&p, "web", "Defined Added", &from);
	undefine("web");
	expect_virsh_event(&p, "web", "Undefined Removed", &from);

	/* keel-virtd subscribes again; virsh's connection stays. */
	keeld_stop();
	keeld_start();
	from = first_event(&p, "b");
	define("db");
	expect_virsh_event(&p, "db", "Defined Added", &from);
	ck_assert_msg(!p.exited, "virsh event ended: %s", p.out);
	proc_dispose(&p);
	stop_virtd();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virtd_events");
	TCase *tc = keeld_tcase("virtd_events", 300);

	if (!harness_have_file(harness_path("daemon/keeld")) ||
	    !harness_have_file(harness_path("libvirt/keel-virtd")))
		runner_skip_reason = "keeld or keel-virtd is not built";
	else if (!have_stock_clients())
		runner_skip_reason = "virsh or python3-libvirt is missing (Debian: libvirt-clients, python3-libvirt)";
	tcase_add_test(tc, test_python);
	tcase_add_test(tc, test_virsh_event);
	tcase_add_test(tc, test_state_cache);
	tcase_add_test(tc, test_reboot_event);
	suite_add_tcase(s, tc);
	return s;
}
