// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A real keeld, started with --foreground in a temporary run and state
 * directory, talked to over its UNIX sockets with raw JSON-RPC lines.
 * Each test starts its own keeld and kills it (and removes its
 * directories) in the teardown, even when the test fails.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "runner.h"

#include "keeld_fixture.h"

#define DEFINE_WEB                                                        \
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.define\","     \
	"\"params\":{\"config\":{\"name\":\"web\",\"kernel\":\"/boot/vmlinuz\"," \
	"\"memory\":256,\"vcpus\":2,"                                     \
	"\"disks\":[{\"vdev\":\"xvda\",\"path\":\"/img/web.raw\"}]}}}"

START_TEST(test_host_info)
{
	struct json_object *r;

	keeld_start();
	r = call(ro_sock, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"host.info\"}");
	assert_ok(r);
	ck_assert_int_eq(json_object_get_int(at(r, "/id")), 7);
	ck_assert_str_eq(str_at(r, "/result/version"), PACKAGE_VERSION);
	ck_assert_int_gt(json_object_get_int(at(r, "/result/nr_cpus")), 0);
	ck_assert_int_gt(json_object_get_int64(at(r, "/result/memory_mib")), 0);
	ck_assert_int_eq(json_object_get_int(at(r, "/result/nr_domains")), 0);
	ck_assert_ptr_nonnull(at(r, "/result/hostname"));
	json_object_put(r);
	keeld_stop();
}
END_TEST

START_TEST(test_define_roundtrip)
{
	struct json_object *r;
	char uuid[64], line[512];

	keeld_start();
	r = call(rw_sock, DEFINE_WEB);
	assert_ok(r);
	ck_assert_str_eq(str_at(r, "/result/name"), "web");
	ck_assert_str_eq(str_at(r, "/result/state"), "shutoff");
	ck_assert_str_eq(str_at(r, "/result/reason"), "unknown");
	ck_assert_ptr_null(at(r, "/result/id"));
	ck_assert_int_eq(strlen(str_at(r, "/result/uuid")), 36);
	snprintf(uuid, sizeof(uuid), "%s", str_at(r, "/result/uuid"));
	json_object_put(r);

	r = call(rw_sock, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"domain.list\"}");
	ck_assert_int_eq(json_object_array_length(at(r, "/result")), 1);
	ck_assert_str_eq(str_at(r, "/result/0/uuid"), uuid);
	ck_assert(json_object_get_boolean(at(r, "/result/0/persistent")));
	ck_assert(!json_object_get_boolean(at(r, "/result/0/autostart")));
	json_object_put(r);

	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"domain.info\",\"params\":{\"uuid\":\"%s\"}}",
		 uuid);
	r = call(rw_sock, line);
	assert_ok(r);
	ck_assert_str_eq(str_at(r, "/result/config/disks/0/path"),
			 "/img/web.raw");
	ck_assert_str_eq(str_at(r, "/result/config/uuid"), uuid);
	json_object_put(r);

	r = call(rw_sock, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"domain.rename\",\"params\":{\"name\":\"web\",\"new_name\":\"www\"}}");
	assert_ok(r);
	ck_assert_str_eq(str_at(r, "/result/name"), "www");
	json_object_put(r);
	r = call(rw_sock, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"domain.info\",\"params\":{\"name\":\"web\"}}");
	assert_error(r, -32001, "/name");
	json_object_put(r);
	r = call(rw_sock, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"domain.info\",\"params\":{\"name\":\"www\"}}");
	ck_assert_str_eq(str_at(r, "/result/config/name"), "www");
	json_object_put(r);

	r = call(rw_sock, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"domain.undefine\",\"params\":{\"name\":\"www\"}}");
	assert_ok(r);
	json_object_put(r);
	r = call(rw_sock, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"domain.list\"}");
	ck_assert_int_eq(json_object_array_length(at(r, "/result")), 0);
	json_object_put(r);
	r = call(rw_sock, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"domain.undefine\",\"params\":{\"name\":\"www\"}}");
	assert_error(r, -32001, "/name");
	json_object_put(r);
	keeld_stop();
}
END_TEST

START_TEST(test_persistence)
{
	struct json_object *r;
	char uuid[64], path[256];

	keeld_start();
	r = call(rw_sock, DEFINE_WEB);
	snprintf(uuid, sizeof(uuid), "%s", str_at(r, "/result/uuid"));
	json_object_put(r);
	r = call(rw_sock, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"domain.autostart\",\"params\":{\"name\":\"web\",\"enabled\":true}}");
	assert_ok(r);
	json_object_put(r);
	keeld_stop();

	/* A corrupt definition is skipped, not fatal. */
	snprintf(path, sizeof(path),
		 "%s/domains/00000000-0000-4000-8000-000000000000.json",
		 state_dir);
	write_file(path, "{\"config\": {\"name\": ");

	keeld_start();
	r = call(ro_sock, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"domain.list\"}");
	ck_assert_int_eq(json_object_array_length(at(r, "/result")), 1);
	ck_assert_str_eq(str_at(r, "/result/0/name"), "web");
	ck_assert_str_eq(str_at(r, "/result/0/uuid"), uuid);
	ck_assert(json_object_get_boolean(at(r, "/result/0/autostart")));
	json_object_put(r);
	ck_assert_ptr_nonnull(strstr(keeld.out, "Skipping the domain definition"));
	keeld_stop();
}
END_TEST

START_TEST(test_duplicate)
{
	struct json_object *r;
	char line[512];

	keeld_start();
	r = call(rw_sock, DEFINE_WEB);
	assert_ok(r);
	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"domain.define\",\"params\":{\"config\":{\"name\":\"other\",\"kernel\":\"k\",\"uuid\":\"%s\"}}}",
		 str_at(r, "/result/uuid"));
	json_object_put(r);
	r = call(rw_sock, DEFINE_WEB);
	assert_error(r, -32002, "/config/name");
	json_object_put(r);
	r = call(rw_sock, line);
	assert_error(r, -32002, "/config/uuid");
	json_object_put(r);
	keeld_stop();
}
END_TEST

START_TEST(test_readonly_socket)
{
	struct json_object *r;

	keeld_start();
	r = call(ro_sock, DEFINE_WEB);
	assert_error(r, -32005, NULL);
	json_object_put(r);
	r = call(ro_sock, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"domain.list\"}");
	assert_ok(r);
	ck_assert_int_eq(json_object_array_length(at(r, "/result")), 0);
	json_object_put(r);
	keeld_stop();
}
END_TEST

START_TEST(test_bad_requests)
{
	struct json_object *r;
	struct harness_client c;

	keeld_start();
	ck_assert_int_eq(harness_client_open(&c, rw_sock, 0), 0);
	r = client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":");
	assert_error(r, -32700, NULL);
	ck_assert_ptr_null(at(r, "/id"));
	json_object_put(r);
	/* The same connection keeps working. */
	r = client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"host.info\"}");
	assert_ok(r);
	json_object_put(r);
	r = client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"domain.frobnicate\"}");
	assert_error(r, -32601, NULL);
	json_object_put(r);
	r = client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"domain.define\",\"params\":{\"config\":{\"name\":\"x\",\"kernel\":\"k\",\"memory\":\"lots\"}}}");
	assert_error(r, -32602, "/config/memory");
	json_object_put(r);
	r = client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"domain.autostart\",\"params\":{\"name\":\"x\",\"enabled\":\"yes\"}}");
	assert_error(r, -32602, "/enabled");
	json_object_put(r);
	r = client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"domain.info\",\"params\":{\"name\":5}}");
	assert_error(r, -32602, "/name");
	json_object_put(r);
	r = client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"domain.define\",\"params\":{}}");
	assert_error(r, -32602, "/config");
	json_object_put(r);
	r = client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"domain.define\",\"params\":{\"config\":{\"name\":\"x\",\"kernel\":\"k\",\"memory\":512,\"maxmem\":256}}}");
	assert_error(r, -32602, "/config/maxmem");
	json_object_put(r);
	r = client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"host.info\"}");
	assert_ok(r);
	json_object_put(r);
	harness_client_close(&c);
	keeld_stop();
}
END_TEST

START_TEST(test_oversized_line)
{
	size_t len = MAX_LINE + 4096;
	char *big = malloc(len);
	struct json_object *r;
	struct harness_client c;
	char *line;

	keeld_start();
	memset(big, 'x', len);
	ck_assert_int_eq(harness_client_open(&c, rw_sock, 0), 0);
	/* keeld may close before everything is written; that is fine. */
	harness_client_send(&c, big, len);
	line = harness_client_readline(&c, IO_TIMEOUT_MS);
	ck_assert_ptr_nonnull(line);
	r = json_tokener_parse(line);
	assert_error(r, -32006, NULL);
	json_object_put(r);
	free(line);
	ck_assert_ptr_null(harness_client_readline(&c, IO_TIMEOUT_MS));
	harness_client_close(&c);
	free(big);
	/* And the daemon still serves. */
	r = call(rw_sock, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\"}");
	assert_ok(r);
	json_object_put(r);
	keeld_stop();
}
END_TEST

START_TEST(test_batch)
{
	struct json_object *r;

	keeld_start();
	r = call(rw_sock,
		 "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\"},"
		 "{\"jsonrpc\":\"2.0\",\"method\":\"domain.list\"},"
		 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"nope\"},"
		 "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"domain.list\"}]");
	ck_assert(json_object_is_type(r, json_type_array));
	ck_assert_int_eq(json_object_array_length(r), 3);
	ck_assert_int_eq(json_object_get_int(at(r, "/0/id")), 1);
	ck_assert_ptr_nonnull(at(r, "/0/result/hostname"));
	ck_assert_int_eq(code_of(json_object_array_get_idx(r, 1)), -32601);
	ck_assert_int_eq(json_object_get_int(at(r, "/2/id")), 4);
	json_object_put(r);
	keeld_stop();
}
END_TEST

#define NR_THREADS 20
#define NR_CALLS 50

static void *concurrent_client(void *arg)
{
	long bad = 0;
	struct harness_client c;

	if (harness_client_open(&c, (const char *)arg, 0))
		return (void *)(long)NR_CALLS;
	for (int i = 0; i < NR_CALLS; i++) {
		char line[128];
		struct json_object *r, *id;

		snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\"}", i,
			 i % 2 ? "domain.list" : "host.info");
		r = client_call(&c, line);
		if (!r || !json_object_object_get_ex(r, "id", &id) ||
		    json_object_get_int(id) != i ||
		    !json_object_object_get_ex(r, "result", NULL))
			bad++;
		json_object_put(r);
	}
	harness_client_close(&c);
	return (void *)bad;
}

START_TEST(test_concurrent_clients)
{
	pthread_t t[NR_THREADS];
	long bad = 0;

	keeld_start();
	for (int i = 0; i < NR_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, concurrent_client,
						i % 4 ? rw_sock : ro_sock),
				 0);
	for (int i = 0; i < NR_THREADS; i++) {
		void *ret;

		pthread_join(t[i], &ret);
		bad += (long)ret;
	}
	ck_assert_int_eq(bad, 0);
	keeld_stop();
}
END_TEST

/*
 * A client that sends requests for large responses and never reads
 * them must not hold up another client, and is dropped once its unread
 * output passes keeld's limit.
 */
START_TEST(test_slow_client)
{
	/* The longest command line the schema allows; 160 answers of it. */
	size_t cmdline_len = 65000, got = 0;
	const int nr_requests = 160;
	char *define = malloc(cmdline_len + 256), *cmdline, *line;
	const char *info = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.info\",\"params\":{\"name\":\"big\"}}\n";
	struct harness_client slow, fast;
	struct json_object *r;

	keeld_start();
	cmdline = malloc(cmdline_len + 1);
	memset(cmdline, 'a', cmdline_len);
	cmdline[cmdline_len] = '\0';
	sprintf(define,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.define\",\"params\":{\"config\":{\"name\":\"big\",\"kernel\":\"k\",\"cmdline\":\"%s\"}}}",
		cmdline);
	r = call(rw_sock, define);
	assert_ok(r);
	json_object_put(r);

	ck_assert_int_eq(harness_client_open(&slow, ro_sock, 0), 0);
	for (int i = 0; i < nr_requests; i++)
		harness_client_send(&slow, info, strlen(info));
	ck_assert_int_eq(harness_client_open(&fast, ro_sock, 0), 0);
	for (int i = 0; i < 20; i++) {
		long long t0 = harness_now_ms();

		r = client_call(&fast, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"host.info\"}");
		assert_ok(r);
		json_object_put(r);
		ck_assert_int_lt(harness_now_ms() - t0, 2000);
	}
	harness_client_close(&fast);

	/*
	 * The slow client is dropped once its unread answers pass the
	 * limit (however long a slow keeld, under ASan say, takes to make
	 * them): then EOF comes before all of them.
	 */
	ck_assert_int_gt(proc_expect(&keeld, "Dropping a client", 0, WAIT_MS),
			 0);
	while ((line = harness_client_readline(&slow, IO_TIMEOUT_MS))) {
		got++;
		free(line);
	}
	ck_assert_int_lt(got, nr_requests);
	harness_client_close(&slow);
	free(cmdline);
	free(define);
	keeld_stop();
}
END_TEST

START_TEST(test_second_instance_refused)
{
	struct proc second;
	char *argv[] = {
		(char *)harness_path("daemon/keeld"), "--foreground",
		"--config", conf_path, "--run-dir", run_dir,
		"--state-dir", state_dir, "--log-dir", log_dir,
		"--schema-dir", (char *)"/nonexistent", NULL,
	};

	keeld_start();
	ck_assert_int_eq(proc_spawn(&second, argv), 0);
	ck_assert_int_eq(proc_wait(&second, 5000), 1);
	ck_assert_ptr_nonnull(strstr(second.out, "already running"));
	proc_dispose(&second);
	keeld_stop();
}
END_TEST

START_TEST(test_bad_config)
{
	struct proc p;
	char *argv[] = {
		(char *)harness_path("daemon/keeld"), "--foreground",
		"--config", conf_path, "--run-dir", run_dir,
		"--state-dir", state_dir, "--log-dir", log_dir, NULL,
	};

	write_file(conf_path, "# comment\n\nrun_dir = /tmp\nlisten_on = yes\n");
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_int_eq(proc_wait(&p, 5000), 1);
	ck_assert_msg(strstr(p.out, ":4: unknown setting \"listen_on\""),
		      "%s", p.out);
	proc_dispose(&p);

	argv[3] = (char *)"/nonexistent/keeld.conf";
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_int_eq(proc_wait(&p, 5000), 1);
	ck_assert_ptr_nonnull(strstr(p.out, "/nonexistent/keeld.conf"));
	proc_dispose(&p);
}
END_TEST

/* Copy the schemas to @dir, the OpenRPC document edited by @edit. */
static void schemas_edited(const char *dir, void (*edit)(json_object *))
{
	const char *src = getenv("KEEL_SRCDIR");
	char from[4096], to[4096];
	struct json_object *doc;

	ck_assert_int_eq(mkdir(dir, 0755), 0);
	snprintf(from, sizeof(from), "%s/schemas/domain.schema.json",
		 src ? src : "..");
	snprintf(to, sizeof(to), "%s/domain.schema.json", dir);
	doc = json_object_from_file(from);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(json_object_to_file(to, doc), 0);
	json_object_put(doc);
	snprintf(from, sizeof(from), "%s/schemas/keel.openrpc.json",
		 src ? src : "..");
	snprintf(to, sizeof(to), "%s/keel.openrpc.json", dir);
	doc = json_object_from_file(from);
	ck_assert_ptr_nonnull(doc);
	edit(json_object_object_get(doc, "methods"));
	ck_assert_int_eq(json_object_to_file(to, doc), 0);
	json_object_put(doc);
}

static void drop_last_method(json_object *methods)
{
	json_object_array_del_idx(methods, json_object_array_length(methods) - 1,
				  1);
}

static void add_method(json_object *methods)
{
	json_object_array_add(methods,
			      json_tokener_parse("{\"name\":\"domain.teleport\",\"x-keel-access\":\"read-write\",\"params\":[],\"result\":{\"name\":\"r\",\"schema\":true}}"));
}

static void make_define_read_only(json_object *methods)
{
	for (size_t i = 0; i < json_object_array_length(methods); i++) {
		json_object *m = json_object_array_get_idx(methods, i);

		if (!strcmp(json_object_get_string(
				    json_object_object_get(m, "name")),
			    "domain.define"))
			json_object_object_add(
				m, "x-keel-access",
				json_object_new_string("read-only"));
	}
}

/* keeld refuses to start when its table and the schema disagree. */
START_TEST(test_schema_disagrees)
{
	static const struct {
		void (*edit)(json_object *);
		const char *expect;
	} cases[] = {
		{ drop_last_method, "is in keeld's table but not in the OpenRPC document" },
		{ add_method, "Method domain.teleport is in the OpenRPC document but keeld does not implement it" },
		{ make_define_read_only, "Method domain.define is read-write in keeld's table but \"x-keel-access\" says read-only" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char dir[256];
		struct proc p;
		char *argv[] = {
			(char *)harness_path("daemon/keeld"), "--foreground",
			"--config", conf_path, "--run-dir", run_dir,
			"--state-dir", state_dir, "--log-dir", log_dir,
			"--schema-dir", dir, NULL,
		};

		snprintf(dir, sizeof(dir), "%s/schemas%zu", top, i);
		schemas_edited(dir, cases[i].edit);
		ck_assert_int_eq(proc_spawn(&p, argv), 0);
		ck_assert_int_eq(proc_wait(&p, 5000), 1);
		ck_assert_msg(strstr(p.out, cases[i].expect), "%s", p.out);
		proc_dispose(&p);
	}
}
END_TEST

/*
 * In a child with the given ids, call host.info on keeld.sock; exit 0
 * if it got a result, 5 if it got -32005, 1 otherwise.
 */
static int call_as(uid_t uid, gid_t gid)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct json_object *r;
		struct harness_client c;

		if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid) || harness_client_open(&c, rw_sock, 0))
			_exit(1);
		r = client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\"}");
		if (r && at(r, "/result"))
			_exit(0);
		_exit(r && code_of(r) == -32005 ? 5 : 1);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * A refused client reads why even when its request comes after keeld
 * has answered: keeld closes lingering (stops writing, reads what still
 * comes), so the client's send() does not fail with EPIPE first. This
 * was test_peer_credentials' 1-in-5 failure under load, made certain
 * by a pause. Exits as call_as() does.
 */
static int call_late_as(uid_t uid)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct json_object *r;
		struct harness_client c;

		if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid) || harness_client_open(&c, rw_sock, 0))
			_exit(1);
		usleep(300 * 1000);
		r = client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\"}");
		if (r && at(r, "/result"))
			_exit(0);
		_exit(r && code_of(r) == -32005 ? 5 : 1);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_refused_reads_why)
{
	if (geteuid() != 0)
		return;	/* needs root to be someone else */
	chmod(suite_dir, 0755);
	chmod(top, 0755);
	keeld_start();
	chmod(rw_sock, 0666);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(call_late_as(60001), 5);
	keeld_stop();
}
END_TEST

START_TEST(test_peer_credentials)
{
	struct group *gr = getgrnam("nogroup");
	char conf[128];

	if (geteuid() != 0 || !gr)
		return;	/* needs root and a group to hand out */
	snprintf(conf, sizeof(conf), "group = nogroup\n");
	write_file(conf_path, conf);
	chmod(suite_dir, 0755);
	chmod(top, 0755);
	keeld_start();
	/* The group may use keeld.sock. */
	ck_assert_int_eq(call_as(60001, gr->gr_gid), 0);
	/*
	 * Others cannot even open the socket (mode 0660); widen it to
	 * check that keeld's own SO_PEERCRED test refuses them too.
	 */
	chmod(rw_sock, 0666);
	ck_assert_int_eq(call_as(60001, 60001), 5);
	keeld_stop();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("keeld");
	TCase *tc = keeld_tcase("daemon", 60);

	if (!harness_have_file(harness_path("daemon/keeld")))
		runner_skip_reason = "daemon/keeld is not built";
	tcase_add_test(tc, test_host_info);
	tcase_add_test(tc, test_define_roundtrip);
	tcase_add_test(tc, test_persistence);
	tcase_add_test(tc, test_duplicate);
	tcase_add_test(tc, test_readonly_socket);
	tcase_add_test(tc, test_bad_requests);
	tcase_add_test(tc, test_oversized_line);
	tcase_add_test(tc, test_batch);
	tcase_add_test(tc, test_concurrent_clients);
	tcase_add_test(tc, test_slow_client);
	tcase_add_test(tc, test_second_instance_refused);
	tcase_add_test(tc, test_bad_config);
	tcase_add_test(tc, test_peer_credentials);
	tcase_add_test(tc, test_refused_reads_why);
	tcase_add_test(tc, test_schema_disagrees);
	suite_add_tcase(s, tc);
	return s;
}
