// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live migration through keeld (daemon/migrate_methods.c, migration_out.c,
 * migration_in.c, peer.c), with two keelds in the test's
 * process, each on its own event loop the test turns in step: the
 * destination listens on TLS at 127.0.0.1 with certificates from
 * data/keel-pki-init, the source reaches it as a peer. fake_hv plays
 * keel-hv on both sides (no stream flows: its migrate answers with a
 * scripted pass and migrate-done, its --incoming says incoming-done at
 * once). Covered: what prepare refuses (read-only client, a name in
 * use, a missing disk); the destination's prepare, finish (and its
 * retry), status and abort; the source's whole migration; a
 * migrate-done that failed (the domain runs on, the destination
 * forgets); timeout_s with cancel; a finish whose answer never came
 * (the source polls migration.status and resumes once the destination
 * says so).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "hv.h"
#include "keel.h"
#include "monotime.h"
#include "registry.h"
#include "run.h"
#include "runner.h"
#include "unit_keeld.h"

#define FAKE_HV KEEL_TEST_BUILDDIR "/tests/unit/fake_hv"
#define PKI_INIT KEEL_TEST_SRCDIR "/data/keel-pki-init"
#define UUID "6f1c1e0a-3b5d-4c7e-9a2b-0123456789ab"
#define WEB "{\"name\":\"web\"}"

static struct unit_keeld src, dst;
static bool dst_up;
static char pki[64];
static unsigned tls_port;

/* The CA and both hosts' directories, once for the suite. */
static void suite_setup(void)
{
	char cmd[512];

	unit_keeld_suite_setup();
	snprintf(pki, sizeof(pki), "/tmp/keeldmig-pki.XXXXXX");
	if (!mkdtemp(pki))
		pki[0] = '\0';
	snprintf(cmd, sizeof(cmd), "sh %s --dir %s src dst >/dev/null 2>&1",
		 PKI_INIT, pki);
	if (system(cmd))
		pki[0] = '\0';
}

static void suite_teardown(void)
{
	char cmd[256];

	if (pki[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", pki);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", pki);
	}
	unit_keeld_suite_teardown();
}

static void setup(void)
{
	char conf[1024];

	ck_assert_msg(pki[0], "keel-pki-init failed");
	/* A port per test process: no two tests share a listener. */
	tls_port = 20000 + (unsigned)getpid() % 20000;
	snprintf(conf, sizeof(conf),
		 "hypervisor = " FAKE_HV "\npki_dir = %s/src\n", pki);
	unit_keeld_start(&src, conf);
	snprintf(conf, sizeof(conf),
		 "hypervisor = " FAKE_HV "\npki_dir = %s/dst\n"
		 "listen = tls://127.0.0.1:%u\n"
		 "tls_allowed_dn = CN=src,O=keel\n"
		 "migration_ports = %u-%u\n",
		 pki, tls_port, tls_port + 1, tls_port + 4);
	unit_keeld_start(&dst, conf);
	dst_up = true;
}

static void teardown(void)
{
	json_object_put(unit_keeld_call(&src, src.rw_sock, "domain.destroy",
					WEB));
	if (dst_up)
		json_object_put(unit_keeld_call(&dst, dst.rw_sock,
						"domain.destroy", WEB));
	unit_keeld_stop(&src);
	if (dst_up)
		unit_keeld_stop(&dst);
}

/* Both loops once, @between (if any) after the source's. */
static void turn_with(void (*between)(void))
{
	event_base_loop(src.k.base, EVLOOP_NONBLOCK);
	if (between)
		between();
	if (dst_up)
		event_base_loop(dst.k.base, EVLOOP_NONBLOCK);
	usleep(500);
}

static void turn(void)
{
	turn_with(NULL);
}

static void run_both(int ms)
{
	long long end = monotime_ms() + ms;

	while (monotime_ms() < end)
		turn();
}

/*
 * Call @method on @u's keeld.sock while both keelds run, calling @each
 * (if any) between the source's and the destination's turn; the answer,
 * or NULL after @ms.
 */
static struct json_object *call_both(struct unit_keeld *u, const char *method,
				     const char *params, int ms,
				     void (*each)(void))
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	long long end = monotime_ms() + ms;
	char line[4096], buf[65536];
	size_t have = 0;
	int fd;

	ck_assert_uint_lt(strlen(u->rw_sock), sizeof(sun.sun_path));
	memcpy(sun.sun_path, u->rw_sock, strlen(u->rw_sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}\n",
		 method, params);
	ck_assert_int_eq(send(fd, line, strlen(line), MSG_NOSIGNAL),
			 (ssize_t)strlen(line));
	while (monotime_ms() < end) {
		ssize_t n;
		char *nl;

		turn_with(each);
		n = recv(fd, buf + have, sizeof(buf) - have - 1, 0);
		if (n > 0)
			have += (size_t)n;
		if (n == 0)
			break;	/* keeld went away (a restart) */
		buf[have] = '\0';
		nl = strchr(buf, '\n');
		if (nl) {
			*nl = '\0';
			close(fd);
			return json_tokener_parse(buf);
		}
	}
	close(fd);
	return NULL;
}

static struct json_object *rpc(struct unit_keeld *u, const char *method,
			       const char *params)
{
	return call_both(u, method, params, 10000, NULL);
}

/* @u's web as state/reason, or "gone". */
static const char *web_state(struct unit_keeld *u)
{
	static char buf[64];
	struct domain *dom = registry_find_name(u->k.reg, "web");

	if (!dom)
		return "gone";
	snprintf(buf, sizeof(buf), "%s/%s", domain_state_name(dom->state),
		 domain_reason_name(dom->reason));
	return buf;
}

static void wait_state(struct unit_keeld *u, const char *want)
{
	long long end = monotime_ms() + 5000;

	while (strcmp(web_state(u), want) && monotime_ms() < end)
		turn();
	ck_assert_str_eq(web_state(u), want);
}

/* web's config with @extra members (",..." or ""). */
static const char *web_config(const char *extra)
{
	static char buf[512];

	snprintf(buf, sizeof(buf),
		 "{\"name\":\"web\",\"uuid\":\"" UUID "\",\"kernel\":\"/k\"%s}",
		 extra);
	return buf;
}

static void create_web(struct unit_keeld *u, const char *extra)
{
	char params[600];

	snprintf(params, sizeof(params), "{\"config\":%s}", web_config(extra));
	json_object_put(unit_assert_ok(rpc(u, "domain.create", params)));
}

static struct json_object *prepare(const char *sock, const char *extra,
				   bool persistent)
{
	char params[700];

	snprintf(params, sizeof(params),
		 "{\"config\":%s,\"persistent\":%s,\"source\":\"test\"}",
		 web_config(extra), persistent ? "true" : "false");
	return unit_keeld_call(&dst, sock, "migration.prepare", params);
}

static struct json_object *by_token(const char *method, const char *token)
{
	char params[128];

	snprintf(params, sizeof(params), "{\"token\":\"%s\"}", token);
	return rpc(&dst, method, params);
}

static const char *phase_of(const char *token)
{
	static char buf[32];
	struct json_object *resp = by_token("migration.status", token);

	snprintf(buf, sizeof(buf), "%s", unit_str(resp, "/result/phase"));
	json_object_put(resp);
	return buf;
}

START_TEST(test_prepare_refusals)
{
	struct json_object *resp;

	/* A read-only client cannot prepare. */
	resp = prepare(dst.ro_sock, "", false);
	unit_assert_error(resp, KEEL_E_PERMISSION, NULL, "read-only");
	/* A disk the destination cannot open. */
	resp = prepare(dst.rw_sock,
		       ",\"disks\":[{\"path\":\"/nonexistent/web.img\",\"vdev\":\"xvda\"}]",
		       false);
	unit_assert_error(resp, KEEL_E_OPERATION_FAILED, NULL,
			  "cannot open the disk \"/nonexistent/web.img\"");
	ck_assert_str_eq(web_state(&dst), "gone");
	/* A domain of that name runs there. */
	create_web(&dst, "");
	resp = prepare(dst.rw_sock, "", false);
	unit_assert_error(resp, KEEL_E_DOMAIN_EXISTS, "/config/name",
			  "which is running here");
}
END_TEST

/* The destination alone: prepare, received, finish twice, status. */
START_TEST(test_incoming_finish)
{
	struct json_object *resp;
	char token[40];

	resp = unit_assert_ok(prepare(dst.rw_sock, "", true));
	snprintf(token, sizeof(token), "%s", unit_str(resp, "/result/token"));
	ck_assert_uint_eq(strlen(token), 32);
	ck_assert_int_ge(json_object_get_int(unit_at(resp, "/result/port")),
			 (int)tls_port + 1);
	json_object_put(resp);
	ck_assert_str_eq(web_state(&dst), "paused/incoming");
	/* fake_hv says incoming-done once keeld subscribed. */
	run_both(300);
	ck_assert_str_eq(phase_of(token), "received");
	resp = unit_assert_ok(by_token("migration.finish", token));
	ck_assert_str_eq(unit_str(resp, "/result/state"), "running");
	json_object_put(resp);
	ck_assert_str_eq(web_state(&dst), "running/migrated");
	ck_assert(registry_find_name(dst.k.reg, "web")->persistent);
	ck_assert_str_eq(phase_of(token), "committed");
	/* A retry after a lost answer gets the same answer. */
	resp = unit_assert_ok(by_token("migration.finish", token));
	ck_assert_str_eq(unit_str(resp, "/result/state"), "running");
	json_object_put(resp);
	resp = by_token("migration.abort", token);
	unit_assert_error(resp, KEEL_E_INVALID_STATE, NULL, "committed");
	json_object_put(rpc(&dst, "domain.undefine", WEB));
}
END_TEST

/*
 * The source hears the destination keel-hv's DONE on the stream, this
 * keeld hears incoming-done on keel-hv's control socket: the finish can
 * come first. It waits for the stream's end, then commits.
 */
START_TEST(test_incoming_finish_early)
{
	struct json_object *resp;
	char token[40];

	setenv("FAKE_HV_INCOMING_DONE_MS", "400", 1);
	resp = unit_assert_ok(prepare(dst.rw_sock, "", false));
	unsetenv("FAKE_HV_INCOMING_DONE_MS");
	snprintf(token, sizeof(token), "%s", unit_str(resp, "/result/token"));
	json_object_put(resp);
	ck_assert_str_eq(phase_of(token), "prepared");
	resp = unit_assert_ok(by_token("migration.finish", token));
	ck_assert_str_eq(unit_str(resp, "/result/state"), "running");
	json_object_put(resp);
	ck_assert_str_eq(phase_of(token), "committed");
	ck_assert_str_eq(web_state(&dst), "running/migrated");
}
END_TEST

/*
 * The incoming keel-hv, its stream never whole, dies under a waiting
 * finish: some 50 turns after the call, which keeld took in its first.
 */
static void kill_web_hv(void)
{
	static int turns;
	struct domain *dom = registry_find_name(dst.k.reg, "web");

	if (++turns == 50 && dom && dom->run && dom->run->hv)
		kill(hv_pid(dom->run->hv), SIGKILL);
}

START_TEST(test_incoming_finish_early_hv_dies)
{
	struct json_object *resp;
	char token[40], params[64];

	setenv("FAKE_HV_INCOMING_DONE_MS", "-1", 1);
	resp = unit_assert_ok(prepare(dst.rw_sock, "", false));
	unsetenv("FAKE_HV_INCOMING_DONE_MS");
	snprintf(token, sizeof(token), "%s", unit_str(resp, "/result/token"));
	json_object_put(resp);
	run_both(100);
	ck_assert_str_eq(phase_of(token), "prepared");
	snprintf(params, sizeof(params), "{\"token\":\"%s\"}", token);
	resp = call_both(&dst, "migration.finish", params, 10000, kill_web_hv);
	unit_assert_error(resp, KEEL_E_OPERATION_FAILED, NULL,
			  "ended before it ran here");
	wait_state(&dst, "gone");
	ck_assert_str_eq(phase_of(token), "aborted");
}
END_TEST

START_TEST(test_incoming_abort)
{
	struct json_object *resp;
	char token[40];

	resp = unit_assert_ok(prepare(dst.rw_sock, "", false));
	snprintf(token, sizeof(token), "%s", unit_str(resp, "/result/token"));
	json_object_put(resp);
	json_object_put(unit_assert_ok(by_token("migration.abort", token)));
	wait_state(&dst, "gone");
	ck_assert_str_eq(phase_of(token), "aborted");
	resp = by_token("migration.finish", token);
	unit_assert_error(resp, KEEL_E_INVALID_STATE, "/token", "aborted");
	ck_assert_str_eq(phase_of("0123456789abcdef0123456789abcdef"),
			 "unknown");
}
END_TEST

static struct json_object *migrate(const char *flags, void (*each)(void))
{
	char params[256];

	snprintf(params, sizeof(params),
		 "{\"name\":\"web\",\"host\":\"127.0.0.1\",\"port\":%u%s}",
		 tls_port, flags);
	return call_both(&src, "domain.migrate", params, 20000, each);
}

/* What came on @c's socket so far, as one string (static). */
static const char *received(struct unit_client *c)
{
	static char buf[65536];
	size_t have = 0;
	ssize_t n;

	while (have < sizeof(buf) - 1 &&
	       (n = recv(c->fd, buf + have, sizeof(buf) - 1 - have,
			 MSG_DONTWAIT)) > 0)
		have += (size_t)n;
	buf[have] = '\0';
	return buf;
}

/* The whole way: web ends here and runs there; events say how far. */
START_TEST(test_migrate)
{
	struct json_object *resp;
	struct unit_client events;
	const char *seen;

	create_web(&src, "");
	unit_client_open(&events, &src, src.ro_sock);
	json_object_put(unit_assert_ok(unit_client_call(&events,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"events.subscribe\"}")));
	resp = migrate("", NULL);
	ck_assert_msg(resp, "domain.migrate got no answer");
	unit_assert_ok(resp);
	ck_assert_str_eq(unit_str(resp, "/result/host"), "127.0.0.1");
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/result/rounds")),
			 2);
	ck_assert_int_eq(json_object_get_int(unit_at(resp,
						     "/result/stream_ms")),
			 40);
	/* keel-hv's 7 ms to its DONE, then the finish and the resume there. */
	ck_assert_int_ge(json_object_get_int(unit_at(resp,
						     "/result/downtime_ms")),
			 7);
	ck_assert_int_lt(json_object_get_int(unit_at(resp,
						     "/result/downtime_ms")),
			 7 + 20000);
	json_object_put(resp);
	wait_state(&src, "gone");
	wait_state(&dst, "running/migrated");
	seen = received(&events);
	ck_assert_msg(strstr(seen, "\"job\":\"migrate\"") &&
			      strstr(seen, "\"expected_downtime_ms\":3") &&
			      strstr(seen, "\"dirty_rate\":8192"),
		      "no migrate progress event in %s", seen);
	ck_assert_msg(strstr(seen, "\"event\":\"stopped\",\"detail\":\"migrated\""),
		      "no stopped/migrated event in %s", seen);
	unit_client_close(&events);
}
END_TEST

/* keel-hv's migrate-done says it failed: web runs on, dst forgets. */
START_TEST(test_migrate_fails)
{
	struct json_object *resp;

	create_web(&src, ",\"cmdline\":\"fake.migrate-fails\"");
	resp = migrate("", NULL);
	ck_assert_msg(resp, "domain.migrate got no answer");
	unit_assert_error(resp, KEEL_E_OPERATION_FAILED, NULL,
			  "sending the domain failed: keel-hv at the destination refused the token. It runs on here.");
	ck_assert_str_eq(web_state(&src), "running/booted");
	wait_state(&dst, "gone");
}
END_TEST

/* timeout_s with cancel: keel-hv is told to cancel; web runs on. */
START_TEST(test_migrate_timeout_cancel)
{
	struct json_object *resp;

	create_web(&src, ",\"cmdline\":\"fake.migrate-slow\"");
	resp = migrate(",\"timeout_s\":1", NULL);
	ck_assert_msg(resp, "domain.migrate got no answer");
	unit_assert_error(resp, KEEL_E_OPERATION_FAILED, NULL,
			  "it was cancelled (timeout_s passed).");
	ck_assert_str_eq(web_state(&src), "running/booted");
	wait_state(&dst, "gone");
}
END_TEST

/*
 * While web migrates: no pause, limits can change, and a cancel ends the
 * migration with web running on here.
 */
static bool cancel_done;

static void cancel_while_migrating(void)
{
	struct json_object *resp;

	if (cancel_done || strcmp(web_state(&src), "running/migrating"))
		return;
	cancel_done = true;
	resp = unit_keeld_call(&src, src.rw_sock, "domain.pause", WEB);
	unit_assert_error(resp, KEEL_E_INVALID_STATE, NULL, "migrating");
	json_object_put(unit_assert_ok(unit_keeld_call(&src, src.rw_sock,
		"domain.migrate_set",
		"{\"name\":\"web\",\"downtime_ms\":100}")));
	json_object_put(unit_assert_ok(unit_keeld_call(&src, src.rw_sock,
		"domain.migrate_cancel", WEB)));
}

START_TEST(test_migrate_cancel)
{
	struct json_object *resp;

	create_web(&src, ",\"cmdline\":\"fake.migrate-slow\"");
	resp = unit_keeld_call(&src, src.rw_sock, "domain.migrate_cancel", WEB);
	unit_assert_error(resp, KEEL_E_INVALID_STATE, NULL,
			  "Domain web is not being migrated.");
	cancel_done = false;
	resp = migrate("", cancel_while_migrating);
	ck_assert(cancel_done);
	ck_assert_msg(resp, "domain.migrate got no answer");
	unit_assert_error(resp, KEEL_E_OPERATION_FAILED, NULL,
			  "it was cancelled.");
	ck_assert_str_eq(web_state(&src), "running/booted");
	wait_state(&dst, "gone");
}
END_TEST

/*
 * Once web is paused here (finish on its way), the destination's keeld
 * goes away: the source gets no answer and asks migration.status; the
 * keeld that comes back killed its uncommitted keel-hv and knows no such
 * migration, so web runs on here.
 */
static bool cut_done;

static void cut_when_paused(void)
{
	if (cut_done || strcmp(web_state(&src), "paused/migrating"))
		return;
	cut_done = true;
	unit_keeld_restart(&dst, NULL);
}

START_TEST(test_migrate_finish_lost)
{
	struct json_object *resp;

	create_web(&src, "");
	cut_done = false;
	resp = migrate("", cut_when_paused);
	ck_assert(cut_done);
	ck_assert_msg(resp, "domain.migrate got no answer");
	unit_assert_error(resp, KEEL_E_OPERATION_FAILED, NULL,
			  "the finish failed");
	ck_assert_str_eq(web_state(&src), "running/booted");
	wait_state(&dst, "gone");
}
END_TEST

/*
 * The source's keeld restarts while web is being sent (phase 7): the
 * keeld that comes back finds the migration in web's state.json, tells
 * the destination to abort and lets web run on.
 */
static bool restarted;

static void restart_src_while_sending(void)
{
	if (restarted || strcmp(web_state(&src), "running/migrating"))
		return;
	restarted = true;
	unit_keeld_restart(&src, NULL);
}

START_TEST(test_migrate_source_restarts)
{
	struct json_object *resp;

	create_web(&src, ",\"cmdline\":\"fake.migrate-slow fake.outlive\"");
	restarted = false;
	resp = migrate("", restart_src_while_sending);
	ck_assert(restarted);
	/* The caller's connection went with the keeld it called. */
	json_object_put(resp);
	run_both(500);
	ck_assert_str_eq(web_state(&src), "running/unpaused");
	wait_state(&dst, "gone");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("migrate_methods");
	TCase *tc = tcase_create("migrate");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_prepare_refusals);
	tcase_add_test(tc, test_incoming_finish);
	tcase_add_test(tc, test_incoming_finish_early);
	tcase_add_test(tc, test_incoming_finish_early_hv_dies);
	tcase_add_test(tc, test_incoming_abort);
	tcase_add_test(tc, test_migrate);
	tcase_add_test(tc, test_migrate_fails);
	tcase_add_test(tc, test_migrate_timeout_cancel);
	tcase_add_test(tc, test_migrate_cancel);
	tcase_add_test(tc, test_migrate_finish_lost);
	tcase_add_test(tc, test_migrate_source_restarts);
	suite_add_tcase(s, tc);
	return s;
}
