// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld running real domains: the in-tree test guests under keel-hv on
 * KVM, driven over keeld's socket with raw JSON-RPC. Creation, pause,
 * destroy and their events; on_poweroff/on_reboot/on_crash; a forced
 * shutdown; a start that fails; and `kill -9 keeld` with domains
 * running, which a new keeld must re-adopt, applying the on_* action of
 * any that ended while it was away.
 *
 * The test guests do not handle the ACPI power button (they poll), so a
 * clean shutdown is covered by check_linux; here the guest that
 * ignores it shows the timeout.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"
#include "runner.h"


/* rpc_ok() on the domain @name. */
static void define_guest(const char *name, const char *guest,
			 const char *extra)
{
	struct json_object *resp = rpc_call(
		"domain.define",
		"{\"config\":{\"name\":\"%s\",\"kernel\":\"%s\",\"memory\":64%s}}",
		name, harness_path(guest), extra ? extra : "");

	assert_ok(resp);
	json_object_put(resp);
}

START_TEST(test_create_pause_destroy)
{
	struct harness_client events;
	struct json_object *resp;
	char line[1024];

	keeld_start();
	ck_assert_int_eq(harness_client_open(&events, ro_sock, 0), 0);
	resp = client_call(&events, "{\"jsonrpc\":\"2.0\",\"id\":1,"
				    "\"method\":\"events.subscribe\"}");
	assert_ok(resp);
	json_object_put(resp);

	snprintf(line, sizeof(line),
		 "{\"config\":{\"name\":\"e1\",\"kernel\":\"%s\",\"memory\":64}}",
		 harness_path("tests/guests/echo.bin"));
	resp = rpc_call("domain.create", "%s", line);
	assert_domain_state(resp, "running", "booted");
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/id")), 1);
	ck_assert(!json_object_get_boolean(at(resp, "/result/persistent")));
	json_object_put(resp);
	expect_domain_event(&events, "e1", "started", "booted");

	/* A second domain of that name is refused while e1 exists. */
	resp = rpc_call("domain.create", "%s", line);
	assert_error(resp, -32002, "/config/name");
	json_object_put(resp);

	resp = rpc_ok_name("domain.info", "e1");
	ck_assert(json_object_get_double(at(resp, "/result/uptime")) >= 0);
	json_object_put(resp);
	resp = rpc_ok_name("domain.config", "e1");
	ck_assert_str_eq(str_at(resp, "/result/name"), "e1");
	json_object_put(resp);
	resp = rpc_ok_name("domain.stats", "e1");
	ck_assert_ptr_nonnull(at(resp, "/result"));
	json_object_put(resp);

	assert_domain_state(resp = rpc_ok_name("domain.pause", "e1"), "paused", "user");
	json_object_put(resp);
	expect_domain_event(&events, "e1", "suspended", "paused");
	resp = rpc_call("domain.pause", "{\"name\":\"e1\"}");
	assert_error(resp, -32003, NULL);
	json_object_put(resp);
	assert_domain_state(resp = rpc_ok_name("domain.unpause", "e1"), "running",
		     "unpaused");
	json_object_put(resp);
	expect_domain_event(&events, "e1", "resumed", "unpaused");

	/* Writes are refused on the read-only socket. */
	resp = call(ro_sock, "{\"jsonrpc\":\"2.0\",\"id\":2,"
			     "\"method\":\"domain.destroy\","
			     "\"params\":{\"name\":\"e1\"}}");
	assert_error(resp, -32005, NULL);
	json_object_put(resp);

	assert_domain_state(resp = rpc_ok_name("domain.destroy", "e1"), "shutoff",
		     "destroyed");
	json_object_put(resp);
	expect_domain_event(&events, "e1", "stopped", "destroyed");
	/* Transient: gone with its run. */
	resp = rpc_call("domain.info", "{\"name\":\"e1\"}");
	assert_error(resp, -32001, "/name");
	json_object_put(resp);
	harness_client_close(&events);
	keeld_stop();
}
END_TEST

START_TEST(test_invalid_states)
{
	struct json_object *resp;

	keeld_start();
	define_guest("idle", "tests/guests/echo.bin", NULL);
	static const char *const shutoff_refuses[] = {
		"domain.pause", "domain.unpause", "domain.shutdown",
		"domain.reboot", "domain.destroy", "domain.stats",
	};
	for (size_t i = 0; i < 6; i++) {
		resp = rpc_call(shutoff_refuses[i], "{\"name\":\"idle\"}");
		assert_error(resp, -32003, NULL);
		json_object_put(resp);
	}
	assert_domain_state(resp = rpc_ok_name("domain.start", "idle"), "running", "booted");
	json_object_put(resp);
	resp = rpc_call("domain.start", "{\"name\":\"idle\"}");
	assert_error(resp, -32003, NULL);
	json_object_put(resp);
	resp = rpc_call("domain.unpause", "{\"name\":\"idle\"}");
	assert_error(resp, -32003, NULL);
	json_object_put(resp);
	/* A running domain is renamed too (xl allows it), and back. */
	resp = rpc_call("domain.rename",
		   "{\"name\":\"idle\",\"new_name\":\"busy\"}");
	assert_domain_state(resp, "running", "booted");
	ck_assert_str_eq(str_at(resp, "/result/name"), "busy");
	json_object_put(resp);
	resp = rpc_call("domain.rename",
		   "{\"name\":\"busy\",\"new_name\":\"idle\"}");
	assert_domain_state(resp, "running", "booted");
	json_object_put(resp);
	/* Undefining a running domain keeps it, transient. */
	json_object_put(rpc_ok_name("domain.undefine", "idle"));
	resp = rpc_ok_name("domain.info", "idle");
	ck_assert(!json_object_get_boolean(at(resp, "/result/persistent")));
	json_object_put(resp);
	json_object_put(rpc_ok_name("domain.destroy", "idle"));
	resp = rpc_call("domain.info", "{\"name\":\"idle\"}");
	assert_error(resp, -32001, "/name");
	json_object_put(resp);
	keeld_stop();
}
END_TEST

START_TEST(test_start_failure)
{
	struct json_object *resp;

	keeld_start();
	resp = rpc_call("domain.define",
		   "{\"config\":{\"name\":\"broken\",\"kernel\":\"%s/nope\"}}",
		   top);
	assert_ok(resp);
	json_object_put(resp);
	resp = rpc_call("domain.start", "{\"name\":\"broken\"}");
	assert_error(resp, -32007, NULL);
	ck_assert_msg(strstr(str_at(resp, "/error/message"), "nope"),
		      "the message does not say what failed: %s",
		      str_at(resp, "/error/message"));
	json_object_put(resp);
	wait_domain_state("broken", "shutoff", "failed");
	/* keeld keeps serving. */
	json_object_put(rpc_ok_name("domain.info", "broken"));
	keeld_stop();
}
END_TEST

START_TEST(test_on_actions)
{
	struct harness_client events;
	struct json_object *resp;

	keeld_start();
	ck_assert_int_eq(harness_client_open(&events, ro_sock, 0), 0);
	json_object_put(client_call(&events,
				    "{\"jsonrpc\":\"2.0\",\"id\":1,"
				    "\"method\":\"events.subscribe\"}"));
	/* hello powers off at once. */
	define_guest("keep", "tests/guests/hello.bin",
		     ",\"on_poweroff\":\"preserve\"");
	json_object_put(rpc_ok_name("domain.start", "keep"));
	wait_domain_state("keep", "paused", "shutdown");
	expect_domain_event(&events, "keep", "shutdown", "finished");
	resp = rpc_call("domain.unpause", "{\"name\":\"keep\"}");
	assert_error(resp, -32003, NULL);
	json_object_put(resp);
	assert_domain_state(resp = rpc_ok_name("domain.destroy", "keep"), "shutoff",
		     "destroyed");
	json_object_put(resp);

	define_guest("boot", "tests/guests/reboot.bin",
		     ",\"on_reboot\":\"destroy\"");
	json_object_put(rpc_ok_name("domain.start", "boot"));
	wait_domain_state("boot", "shutoff", "shutdown");

	define_guest("loop", "tests/guests/reboot.bin", NULL);
	json_object_put(rpc_ok_name("domain.start", "loop"));
	/* on_reboot's default is restart: it starts again, same id. */
	expect_domain_event(&events, "loop", "stopped", "shutdown");
	expect_domain_event(&events, "loop", "started", "booted");
	json_object_put(rpc_ok_name("domain.destroy", "loop"));

	define_guest("oops", "tests/guests/crash.bin", NULL);
	json_object_put(rpc_ok_name("domain.start", "oops"));
	wait_domain_state("oops", "shutoff", "crashed");

	define_guest("oops2", "tests/guests/crash.bin",
		     ",\"on_crash\":\"preserve\"");
	json_object_put(rpc_ok_name("domain.start", "oops2"));
	wait_domain_state("oops2", "crashed", "panicked");
	expect_domain_event(&events, "oops2", "crashed", "panicked");
	json_object_put(rpc_ok_name("domain.destroy", "oops2"));
	wait_domain_state("oops2", "shutoff", "destroyed");
	harness_client_close(&events);
	keeld_stop();
}
END_TEST

/* The echo guest ignores the power button: keeld stops it at timeout. */
START_TEST(test_shutdown_timeout)
{
	struct json_object *resp;
	long long t0;

	keeld_start();
	define_guest("deaf", "tests/guests/echo.bin", NULL);
	json_object_put(rpc_ok_name("domain.start", "deaf"));
	t0 = harness_now_ms();
	resp = rpc_call("domain.shutdown",
		   "{\"name\":\"deaf\",\"timeout\":1,\"wait\":true}");
	assert_domain_state(resp, "shutoff", "destroyed");
	json_object_put(resp);
	ck_assert(harness_now_ms() - t0 >= 900);
	keeld_stop();
}
END_TEST

START_TEST(test_readopt)
{
	struct json_object *resp;
	pid_t a_pid, gone_pid, again_pid;

	keeld_start();
	define_guest("a", "tests/guests/echo.bin", NULL);
	define_guest("b", "tests/guests/echo.bin", NULL);
	define_guest("gone", "tests/guests/echo.bin", NULL);
	define_guest("again", "tests/guests/echo.bin",
		     ",\"on_crash\":\"restart\"");
	json_object_put(rpc_ok_name("domain.start", "a"));
	resp = rpc_call("domain.start", "{\"name\":\"b\",\"paused\":true}");
	assert_domain_state(resp, "paused", "user");
	json_object_put(resp);
	json_object_put(rpc_ok_name("domain.start", "gone"));
	json_object_put(rpc_ok_name("domain.start", "again"));
	a_pid = domain_hv_pid("a", NULL);
	gone_pid = domain_hv_pid("gone", NULL);
	again_pid = domain_hv_pid("again", NULL);

	kill(keeld.pid, SIGKILL);
	proc_wait(&keeld, 5000);
	proc_dispose(&keeld);
	/* The domains outlive keeld; two die while it is away. */
	ck_assert_int_eq(kill(a_pid, 0), 0);
	kill(gone_pid, SIGKILL);
	kill(again_pid, SIGKILL);
	usleep(200 * 1000);

	keeld_start();
	resp = rpc_ok_name("domain.info", "a");
	assert_domain_state(resp, "running", "booted");
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/id")), 1);
	json_object_put(resp);
	resp = rpc_ok_name("domain.info", "b");
	assert_domain_state(resp, "paused", "user");
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/id")), 2);
	json_object_put(resp);
	wait_domain_state("gone", "shutoff", "crashed");
	wait_domain_state("again", "running", "booted");
	ck_assert_int_ne(domain_hv_pid("again", NULL), again_pid);
	/* Adopted domains are driven as before. */
	json_object_put(rpc_ok_name("domain.stats", "a"));
	assert_domain_state(resp = rpc_ok_name("domain.unpause", "b"), "running", "unpaused");
	json_object_put(resp);
	/* A new domain's id follows the adopted ones. */
	json_object_put(rpc_ok_name("domain.start", "gone"));
	resp = rpc_ok_name("domain.info", "gone");
	ck_assert_int_ge(json_object_get_int(at(resp, "/result/id")), 5);
	json_object_put(resp);
	json_object_put(rpc_ok_name("domain.destroy", "a"));
	json_object_put(rpc_ok_name("domain.destroy", "b"));
	json_object_put(rpc_ok_name("domain.destroy", "gone"));
	json_object_put(rpc_ok_name("domain.destroy", "again"));
	keeld_stop();
}
END_TEST

/*
 * A keel-hv whose state file is gone (a full run directory, a file
 * removed by hand) is found by its process and re-adopted: never lost,
 * never started twice.
 */
START_TEST(test_orphans_adopted)
{
	struct json_object *resp;
	char path[512];
	pid_t p_pid, t_pid;

	keeld_start();
	define_guest("p", "tests/guests/echo.bin", NULL);
	json_object_put(rpc_ok_name("domain.start", "p"));
	resp = rpc_call("domain.create",
			"{\"config\":{\"name\":\"t\",\"kernel\":\"%s\","
			"\"memory\":32,\"cmdline\":\"a,b c\"}}",
			harness_path("tests/guests/echo.bin"));
	assert_ok(resp);
	json_object_put(resp);
	p_pid = domain_hv_pid("p", NULL);
	t_pid = domain_hv_pid("t", NULL);
	for (int i = 0; i < 2; i++) {
		resp = rpc_ok_name("domain.info", i ? "t" : "p");
		snprintf(path, sizeof(path), "%s/domains/%s/state.json",
			 run_dir, str_at(resp, "/result/uuid"));
		json_object_put(resp);
		ck_assert_int_eq(unlink(path), 0);
	}
	kill(keeld.pid, SIGKILL);
	proc_wait(&keeld, 5000);
	proc_dispose(&keeld);

	keeld_start();
	resp = rpc_ok_name("domain.info", "p");
	ck_assert_str_eq(str_at(resp, "/result/state"), "running");
	ck_assert(json_object_get_boolean(at(resp, "/result/persistent")));
	json_object_put(resp);
	ck_assert_int_eq(domain_hv_pid("p", NULL), p_pid);
	resp = rpc_ok_name("domain.info", "t");
	ck_assert_str_eq(str_at(resp, "/result/state"), "running");
	ck_assert(!json_object_get_boolean(at(resp, "/result/persistent")));
	ck_assert_str_eq(str_at(resp, "/result/config/kernel"),
			 harness_path("tests/guests/echo.bin"));
	ck_assert_str_eq(str_at(resp, "/result/config/cmdline"), "a,b c");
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/config/memory")),
			 32);
	json_object_put(resp);
	ck_assert_int_eq(domain_hv_pid("t", NULL), t_pid);
	/* It runs: a second start is refused, not a second keel-hv. */
	resp = rpc_call("domain.start", "{\"name\":\"p\"}");
	assert_error(resp, -32003, NULL);
	json_object_put(resp);
	json_object_put(rpc_ok_name("domain.destroy", "p"));
	json_object_put(rpc_ok_name("domain.destroy", "t"));
	/* Not keeld's children any more: their new parent reaps them. */
	ck_assert(harness_pid_exited(p_pid));
	ck_assert(harness_pid_exited(t_pid));
	keeld_stop();
}
END_TEST

/* A raw image of 1 MiB at @path. */
static void make_image(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 1024 * 1024), 0);
	close(fd);
}

/* Does keel-hv @pid hold a descriptor on @path? */
static bool holds_file(pid_t pid, const char *path)
{
	char dir[64], link[600], target[512];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	while (d && !found && (de = readdir(d))) {
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = !strcmp(target, path);
		}
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * Disks reach keel-hv as descriptors (a comma in a path is just a
 * comma), locked: a second writer, or a reader beside a writer, is
 * refused with a sentence naming the disk.
 */
START_TEST(test_disks_locked)
{
	char img[256], disk[512], ro[512];
	struct json_object *resp;

	keeld_start();
	snprintf(img, sizeof(img), "%s/a.img,ro", top);
	make_image(img);
	snprintf(disk, sizeof(disk),
		 ",\"disks\":[{\"vdev\":\"xvda\",\"path\":\"%s\"}]", img);
	snprintf(ro, sizeof(ro),
		 ",\"disks\":[{\"vdev\":\"xvda\",\"path\":\"%s\","
		 "\"readonly\":true}]",
		 img);
	define_guest("w1", "tests/guests/echo.bin", disk);
	define_guest("w2", "tests/guests/echo.bin", disk);
	define_guest("r1", "tests/guests/echo.bin", ro);
	define_guest("r2", "tests/guests/echo.bin", ro);
	json_object_put(rpc_ok_name("domain.start", "w1"));
	ck_assert(holds_file(domain_hv_pid("w1", NULL), img));
	for (int i = 0; i < 2; i++) {
		resp = rpc_call("domain.start", "{\"name\":\"%s\"}",
				i ? "r1" : "w2");
		assert_error(resp, -32007, NULL);
		ck_assert_msg(strstr(str_at(resp, "/error/message"),
				     "in use by another domain") &&
				      strstr(str_at(resp, "/error/message"), img),
			      "%s", str_at(resp, "/error/message"));
		json_object_put(resp);
	}
	json_object_put(rpc_ok_name("domain.destroy", "w1"));
	json_object_put(rpc_ok_name("domain.start", "r1"));
	json_object_put(rpc_ok_name("domain.start", "r2"));
	resp = rpc_call("domain.start", "{\"name\":\"w2\"}");
	assert_error(resp, -32007, NULL);
	json_object_put(resp);
	json_object_put(rpc_ok_name("domain.destroy", "r1"));
	json_object_put(rpc_ok_name("domain.destroy", "r2"));
	keeld_stop();
}
END_TEST

#define NR_CREATORS 4
#define CREATES_EACH 3

/* One client creating and destroying its own domain over and over. */
static void *creator(void *arg)
{
	long n = (long)arg, bad = 0;
	struct harness_client c;
	char line[1024];

	if (harness_client_open(&c, rw_sock, 0))
		return (void *)(long)CREATES_EACH;
	for (int i = 0; i < CREATES_EACH; i++) {
		static const char *const methods[] = { "create", "destroy" };

		for (int m = 0; m < 2; m++) {
			const char *text;
			struct json_object *resp;

			if (m == 0)
				snprintf(line, sizeof(line),
					 "{\"jsonrpc\":\"2.0\",\"id\":%d,"
					 "\"method\":\"domain.create\",\"params\":"
					 "{\"config\":{\"name\":\"c%ld\","
					 "\"kernel\":\"%s\",\"memory\":16}}}",
					 i, n, harness_path("tests/guests/echo.bin"));
			else
				snprintf(line, sizeof(line),
					 "{\"jsonrpc\":\"2.0\",\"id\":%d,"
					 "\"method\":\"domain.%s\",\"params\":"
					 "{\"name\":\"c%ld\"}}",
					 i, methods[m], n);
			text = harness_client_call(&c, line, WAIT_MS);
			resp = text ? json_tokener_parse(text) : NULL;
			if (!resp || !at(resp, "/result"))
				bad++;
			json_object_put(resp);
		}
	}
	harness_client_close(&c);
	return (void *)bad;
}

/* No domain has a run directory left under run_dir/domains. */
static void assert_no_domain_dirs(void)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/domains", run_dir);
	d = opendir(path);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		ck_assert_msg(de->d_name[0] == '.', "%s/%s is left", path,
			      de->d_name);
	closedir(d);
}

/* Many clients creating and destroying at once leave nothing behind. */
START_TEST(test_concurrent_create_destroy)
{
	pthread_t t[NR_CREATORS];
	struct json_object *resp;
	char needle[256];
	long bad = 0;

	keeld_start();
	for (long i = 0; i < NR_CREATORS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, creator,
						(void *)i),
				 0);
	for (int i = 0; i < NR_CREATORS; i++) {
		void *ret;

		pthread_join(t[i], &ret);
		bad += (long)ret;
	}
	ck_assert_int_eq(bad, 0);
	resp = rpc_ok("domain.list", "{}");
	ck_assert_int_eq(json_object_array_length(at(resp, "/result")), 0);
	json_object_put(resp);
	assert_no_domain_dirs();
	snprintf(needle, sizeof(needle), "--control=%s/", run_dir);
	ck_assert_msg(!process_with(needle), "a keel-hv is left running");
	keeld_stop();
}
END_TEST

/* A stopped domain leaves no run directory; its console log stays. */
START_TEST(test_run_dir_removed)
{
	char path[512];

	keeld_start();
	define_guest("gone", "tests/guests/echo.bin", NULL);
	json_object_put(rpc_ok_name("domain.start", "gone"));
	json_object_put(rpc_ok_name("domain.destroy", "gone"));
	assert_no_domain_dirs();
	snprintf(path, sizeof(path), "%s/gone.console.log", log_dir);
	ck_assert_msg(access(path, F_OK) == 0, "no %s", path);
	snprintf(path, sizeof(path), "%s/gone.log", log_dir);
	ck_assert_msg(access(path, F_OK) == 0, "no %s", path);
	keeld_stop();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("lifecycle");
	TCase *tc = keeld_tcase("domains", 120);

	runner_skip_reason = harness_keeld_kvm_missing(&runner_wants_kvm);
	tcase_add_test(tc, test_create_pause_destroy);
	tcase_add_test(tc, test_invalid_states);
	tcase_add_test(tc, test_start_failure);
	tcase_add_test(tc, test_on_actions);
	tcase_add_test(tc, test_shutdown_timeout);
	tcase_add_test(tc, test_readopt);
	tcase_add_test(tc, test_orphans_adopted);
	tcase_add_test(tc, test_disks_locked);
	tcase_add_test(tc, test_run_dir_removed);
	tcase_add_test(tc, test_concurrent_create_destroy);
	suite_add_tcase(s, tc);
	return s;
}
