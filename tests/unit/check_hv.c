// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv processes from keeld's side (daemon/hv.c), without KVM: a
 * shell stands in for keel-hv. How its end is read (exit.json first,
 * else the exit status of hv_proto.h), the commit that must succeed
 * before anything runs, the descriptors it is given, a hypervisor that
 * cannot be run, adoption against pid reuse, and the helpers that read
 * /proc and keel-hv's log.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "hv.h"
#include "hv_proto.h"
#include "keel.h"
#include "log.h"
#include "runner.h"

static char dir[64];
static char log_path[96];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_hv.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(log_path, sizeof(log_path), "%s/hv.log", dir);
	log_init("check_hv", false, LOG_LEVEL_ERR);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *name, const char *text)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* What one spawned process came to. */
struct outcome {
	struct event_base *base;
	bool stopped, exited;
	enum hv_end end;
	char *detail;
	int commits;
	int commit_rc;
};

static void on_stopped(struct hv *hv, enum hv_end end, const char *detail,
		       bool exited, void *opaque)
{
	struct outcome *o = opaque;

	o->stopped = true;
	o->exited = exited;
	o->end = end;
	o->detail = detail ? strdup(detail) : NULL;
	hv_free(hv);
	event_base_loopbreak(o->base);
}

static void on_exited(struct hv *hv, void *opaque)
{
	ck_abort_msg("exited() without a lingering stop");
}

static const struct hv_ops ops = { .stopped = on_stopped,
				   .exited = on_exited };

static int commit(pid_t pid, void *opaque)
{
	struct outcome *o = opaque;

	ck_assert_int_gt(pid, 0);
	o->commits++;
	return o->commit_rc;
}

/*
 * Run @script under /bin/sh as keel-hv, with @fds, until it ends.
 * Returns hv_spawn()'s value; @o says how it ended.
 */
static int run(const char *script, const int *fds, size_t nr_fds,
	       struct outcome *o)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct hv_spawn_args a = {
		.dir = dir, .log_path = log_path, .argv = argv,
		.fds = fds, .nr_fds = nr_fds, .commit = commit,
	};
	struct timeval limit = { 20, 0 };
	struct hv *hv = NULL;
	int rc;

	o->base = event_base_new();
	ck_assert_ptr_nonnull(o->base);
	rc = hv_spawn(o->base, &a, &ops, o, &hv);
	if (!rc) {
		ck_assert_int_gt(hv_pid(hv), 0);
		event_base_loopexit(o->base, &limit);
		event_base_dispatch(o->base);
		ck_assert_msg(o->stopped, "the process did not end in 20 s");
	}
	event_base_free(o->base);
	return rc;
}

/* Without exit.json, the exit status says why (hv_proto.h). */
START_TEST(test_exit_status)
{
	static const struct {
		int status;
		enum hv_end end;
	} t[] = {
		{ HV_EXIT_POWEROFF, HV_END_POWEROFF },
		{ HV_EXIT_ERROR, HV_END_ERROR },
		{ HV_EXIT_REBOOT, HV_END_REBOOT },
		{ HV_EXIT_CRASH, HV_END_CRASH },
		{ HV_EXIT_KILLED, HV_END_KILLED },
		{ HV_EXIT_SAVED, HV_END_SAVED },
		{ 9, HV_END_ERROR },
		{ HV_EXIT_EXEC_FAILED, HV_END_ERROR },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct outcome o = { 0 };
		char script[32];

		snprintf(script, sizeof(script), "exit %d", t[i].status);
		ck_assert_int_eq(run(script, NULL, 0, &o), 0);
		ck_assert(o.exited);
		ck_assert_int_eq(o.commits, 1);
		ck_assert_msg(o.end == t[i].end, "exit %d: %s", t[i].status,
			      hv_end_name(o.end));
		free(o.detail);
	}
	/* Killed by a signal, without a word: lost. */
	{
		struct outcome o = { 0 };

		ck_assert_int_eq(run("kill -9 $$", NULL, 0, &o), 0);
		ck_assert_int_eq(o.end, HV_END_LOST);
		free(o.detail);
	}
}
END_TEST

/* exit.json, when keel-hv wrote one, says why and how, in words. */
START_TEST(test_status_file)
{
	struct outcome o = { 0 };
	char script[256];

	snprintf(script, sizeof(script),
		 "printf '{\"" HV_STATUS_REASON "\":\"" HV_REASON_CRASH
		 "\",\"" HV_STATUS_STATUS "\":3,\"" HV_STATUS_DETAIL
		 "\":\"triple fault\"}' > '%s/" HV_RUN_STATUS "'; exit 0",
		 dir);
	ck_assert_int_eq(run(script, NULL, 0, &o), 0);
	ck_assert_int_eq(o.end, HV_END_CRASH);
	ck_assert_str_eq(o.detail, "triple fault");
	free(o.detail);
}
END_TEST

/* A save that ended the VM says "saved" (save_methods.c reads it too). */
START_TEST(test_status_file_saved)
{
	struct outcome o = { 0 };
	char script[256];

	snprintf(script, sizeof(script),
		 "printf '{\"" HV_STATUS_REASON "\":\"" HV_REASON_SAVED
		 "\",\"" HV_STATUS_STATUS "\":5}' > '%s/" HV_RUN_STATUS
		 "'; exit 5",
		 dir);
	ck_assert_int_eq(run(script, NULL, 0, &o), 0);
	ck_assert_int_eq(o.end, HV_END_SAVED);
	ck_assert_str_eq(hv_end_name(o.end), "saved");
	free(o.detail);
}
END_TEST

/* Nothing runs unless the commit succeeded; its error is returned. */
START_TEST(test_commit_fails)
{
	struct outcome o = { .commit_rc = -ENOSPC };
	char script[160], path[128];

	snprintf(path, sizeof(path), "%s/ran", dir);
	snprintf(script, sizeof(script), "touch '%s'", path);
	ck_assert_int_eq(run(script, NULL, 0, &o), -ENOSPC);
	ck_assert_int_eq(o.commits, 1);
	ck_assert(!o.stopped);
	ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

/* The descriptors passed are 3, 4, ... in keel-hv, nothing else open. */
START_TEST(test_fds)
{
	struct outcome o = { 0 };
	int fds[2];
	char path[128];

	put("a", "alpha\n");
	put("b", "beta\n");
	snprintf(path, sizeof(path), "%s/a", dir);
	fds[0] = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/b", dir);
	fds[1] = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert(fds[0] >= 0 && fds[1] >= 0);
	ck_assert_int_eq(
		run("read a <&3 && read b <&4 && [ \"$a$b\" = alphabeta ] && "
		    "! [ -e /proc/self/fd/5 ] && exit 2; exit 1",
		    fds, 2, &o),
		0);
	/* 2: the shell read both and saw no third. */
	ck_assert_int_eq(o.end, HV_END_REBOOT);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* A hypervisor that cannot be run: an error, and the log says why. */
START_TEST(test_exec_fails)
{
	char *argv[] = { "/nonexistent/keel-hv", NULL };
	struct outcome o = { 0 };
	struct hv_spawn_args a = { .dir = dir, .log_path = log_path,
				   .argv = argv };
	struct timeval limit = { 20, 0 };
	struct hv *hv;
	char *line;

	o.base = event_base_new();
	ck_assert_int_eq(hv_spawn(o.base, &a, &ops, &o, &hv), 0);
	event_base_loopexit(o.base, &limit);
	event_base_dispatch(o.base);
	event_base_free(o.base);
	ck_assert(o.stopped);
	ck_assert_int_eq(o.end, HV_END_ERROR);
	line = hv_last_log_line(log_path, 0);
	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(line,
			 "Cannot run the hypervisor /nonexistent/keel-hv: No such file or directory.");
	free(line);
}
END_TEST

START_TEST(test_read_exit)
{
	static const struct {
		const char *reason;
		enum hv_end end;
	} t[] = {
		{ HV_REASON_POWEROFF, HV_END_POWEROFF },
		{ HV_REASON_REBOOT, HV_END_REBOOT },
		{ HV_REASON_CRASH, HV_END_CRASH },
		{ HV_REASON_KILLED, HV_END_KILLED },
		{ HV_REASON_ERROR, HV_END_ERROR },
	};
	enum hv_end end;
	char *detail = (char *)"x", text[160];

	ck_assert_int_eq(hv_read_exit(dir, &end, &detail), -ENOENT);
	ck_assert_ptr_null(detail);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(text, sizeof(text), "{\"reason\":\"%s\",\"status\":0}",
			 t[i].reason);
		put(HV_RUN_STATUS, text);
		end = HV_END_LOST;
		ck_assert_int_eq(hv_read_exit(dir, &end, &detail), 0);
		ck_assert_int_eq(end, t[i].end);
		ck_assert_ptr_null(detail);
		/* The names are the same both ways. */
		ck_assert_str_eq(hv_end_name(t[i].end), t[i].reason);
	}
	put(HV_RUN_STATUS, "{\"reason\":\"exploded\"}");
	ck_assert_int_eq(hv_read_exit(dir, &end, &detail), -ENOENT);
	put(HV_RUN_STATUS, "{\"reason\":7}");
	ck_assert_int_eq(hv_read_exit(dir, &end, &detail), -ENOENT);
	put(HV_RUN_STATUS, "{\"reason\":\"crash\"");
	ck_assert_int_eq(hv_read_exit(dir, &end, &detail), -ENOENT);
	put(HV_RUN_STATUS, "{\"reason\":\"crash\",\"detail\":\"KVM said no\"}");
	ck_assert_int_eq(hv_read_exit(dir, &end, &detail), 0);
	ck_assert_str_eq(detail, "KVM said no");
	free(detail);
	ck_assert_str_eq(hv_end_name(HV_END_LOST), "lost");
	ck_assert_str_eq(hv_end_name((enum hv_end)42), "lost");
}
END_TEST

START_TEST(test_last_log_line)
{
	char *line, big[6000];
	FILE *f;
	long mark;

	ck_assert_ptr_null(hv_last_log_line(log_path, 0));
	put("hv.log", "1796399465.625 keel-hv: info: booting\n");
	f = fopen(log_path, "a");
	fputs("1796399465.700 keel-hv: error: This host's KVM runs at most 8 vCPUs per VM; the domain asks for 16.\n\n",
	      f);
	fclose(f);
	/* The keel-hv prefix is for the log, not for users. */
	line = hv_last_log_line(log_path, 0);
	ck_assert_str_eq(line,
			 "This host's KVM runs at most 8 vCPUs per VM; the domain asks for 16.");
	free(line);
	/* Nothing after this run's start: nothing to say. */
	f = fopen(log_path, "r");
	fseek(f, 0, SEEK_END);
	mark = ftell(f);
	fclose(f);
	ck_assert_ptr_null(hv_last_log_line(log_path, mark));
	/* Other programs' lines as they are; control characters shown. */
	put("hv.log", "warning: a\tb\x1b[31m\n");
	line = hv_last_log_line(log_path, 0);
	ck_assert_str_eq(line, "warning: a?b?[31m");
	free(line);
	put("hv.log", "12.5 keel-hv: warning: low memory\r\n");
	line = hv_last_log_line(log_path, 0);
	ck_assert_str_eq(line, "low memory");
	free(line);
	/* A long log: only its tail is read. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put("hv.log", big);
	line = hv_last_log_line(log_path, 0);
	ck_assert_uint_eq(strlen(line), 4095);
	free(line);
}
END_TEST

START_TEST(test_proc)
{
	struct hv_proc_stat st;
	pid_t child;
	int status;

	ck_assert_int_eq(hv_proc_stat(getpid(), &st), 0);
	ck_assert_uint_gt(st.starttime, 0);
	ck_assert_uint_eq(hv_starttime(getpid()), st.starttime);
	child = fork();
	if (!child)
		_exit(0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	/* Gone: no stat, no start time, nothing to adopt. */
	ck_assert_int_lt(hv_proc_stat(child, &st), 0);
	ck_assert_uint_eq(hv_starttime(child), 0);
}
END_TEST

/* What the callbacks of one test's calls were told. */
struct answers {
	struct event_base *base;
	struct hv *hv;
	int calls;		/* callbacks in all */
	int failed;		/* of them with KEEL_E_OPERATION_FAILED */
	int gone;		/* ... and the sentence of hv_free() */
	bool free_in_first;	/* the first callback frees hv and calls again */
	int late;		/* answers to calls made after hv_free() */
};

static void count_answer(struct answers *a, int code, const char *message)
{
	a->calls++;
	if (code == KEEL_E_OPERATION_FAILED)
		a->failed++;
	if (message && strstr(message, "stopped watching"))
		a->gone++;
}

static void on_late(struct hv *hv, struct json_object *result, int code,
		    const char *message, void *opaque)
{
	struct answers *a = opaque;

	ck_assert_ptr_null(result);
	ck_assert_int_eq(code, KEEL_E_OPERATION_FAILED);
	a->late++;
}

static void on_answer(struct hv *hv, struct json_object *result, int code,
		      const char *message, void *opaque)
{
	struct answers *a = opaque;

	ck_assert_ptr_null(result);
	ck_assert_ptr_nonnull(message);
	count_answer(a, code, message);
	if (a->free_in_first && a->calls == 1) {
		/* A callback that frees what it was given, and tries again. */
		hv_free(hv);
		hv_free(hv);
		hv_call(hv, HV_CTL_STATUS, NULL, on_late, a);
		event_base_loopbreak(a->base);
	}
}

static void on_stopped_unwanted(struct hv *hv, enum hv_end end,
				const char *detail, bool exited, void *opaque)
{
	ck_abort_msg("stopped() after hv_free()");
}

static const struct hv_ops ops_freed = { .stopped = on_stopped_unwanted,
					 .exited = on_exited };

static int no_commit(pid_t pid, void *opaque)
{
	return 0;
}

/* Start @script under /bin/sh with ops_freed; *@pid is its pid. */
static struct hv *spawn_sh(struct event_base *base, const char *script,
			   struct answers *a, pid_t *pid)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct hv_spawn_args sa = { .dir = dir, .log_path = log_path,
				    .argv = argv, .commit = no_commit };
	struct hv *hv = NULL;

	ck_assert_int_eq(hv_spawn(base, &sa, &ops_freed, a, &hv), 0);
	*pid = hv_pid(hv);
	return hv;
}

/*
 * hv_free() before keel-hv answered (it never made its control socket):
 * every pending call is answered once, with the error that says keeld
 * let go of it, before hv_free() returns; a call made afterwards from a
 * callback is answered at once.
 */
START_TEST(test_free_answers_pending)
{
	struct answers a = { .free_in_first = false };
	struct event_base *base = event_base_new();
	struct timeval tick = { 0, 50 * 1000 };
	struct hv *hv;
	pid_t pid;

	a.base = base;
	hv = spawn_sh(base, "exec sleep 30", &a, &pid);
	for (int i = 0; i < 3; i++)
		hv_call(hv, HV_CTL_STATUS, NULL, on_answer, &a);
	/* Let it try to connect a few times: the calls stay queued. */
	event_base_loopexit(base, &tick);
	event_base_dispatch(base);
	ck_assert_int_eq(a.calls, 0);
	hv_kill(hv);
	hv_free(hv);
	ck_assert_int_eq(a.calls, 3);
	ck_assert_int_eq(a.failed, 3);
	ck_assert_int_eq(a.gone, 3);
	waitpid(pid, NULL, 0);
	/* Nothing of @hv is left to fire. */
	event_base_loopexit(base, &tick);
	event_base_dispatch(base);
	ck_assert_int_eq(a.calls, 3);
	event_base_free(base);
}
END_TEST

/*
 * The process exits with calls pending and the first callback frees
 * @hv (as lifecycle.c does when a domain ends): the other calls are
 * still answered, each once, and one made from inside the callback too.
 */
START_TEST(test_free_inside_callback)
{
	struct answers a = { .free_in_first = true };
	struct event_base *base = event_base_new();
	struct timeval limit = { 20, 0 };
	struct hv *hv;
	pid_t pid;

	a.base = base;
	hv = spawn_sh(base, "exit 0", &a, &pid);
	for (int i = 0; i < 3; i++)
		hv_call(hv, HV_CTL_STATUS, NULL, on_answer, &a);
	event_base_loopexit(base, &limit);
	event_base_dispatch(base);
	ck_assert_int_eq(a.calls, 3);
	ck_assert_int_eq(a.failed, 3);
	/* The first was told the process exited; the others, hv_free(). */
	ck_assert_int_eq(a.gone, 2);
	ck_assert_int_eq(a.late, 1);
	event_base_free(base);
}
END_TEST

/* Adoption checks the start time: a reused pid is not keel-hv. */
START_TEST(test_adopt_checks)
{
	struct event_base *base = event_base_new();
	struct outcome o = { .base = base };
	struct hv *hv = NULL;
	unsigned long long self = hv_starttime(getpid());

	ck_assert_int_eq(hv_adopt(base, dir, 0, 0, &ops, &o, &hv), -ESRCH);
	ck_assert_int_eq(hv_adopt(base, dir, getpid(), self + 1, &ops, &o,
				  &hv),
			 -ESRCH);
	ck_assert_ptr_null(hv);
	event_base_free(base);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hv");
	TCase *tc = tcase_create("hv");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_exit_status);
	tcase_add_test(tc, test_status_file);
	tcase_add_test(tc, test_status_file_saved);
	tcase_add_test(tc, test_commit_fails);
	tcase_add_test(tc, test_fds);
	tcase_add_test(tc, test_exec_fails);
	tcase_add_test(tc, test_read_exit);
	tcase_add_test(tc, test_last_log_line);
	tcase_add_test(tc, test_proc);
	tcase_add_test(tc, test_adopt_checks);
	tcase_add_test(tc, test_free_answers_pending);
	tcase_add_test(tc, test_free_inside_callback);
	suite_add_tcase(s, tc);
	return s;
}
