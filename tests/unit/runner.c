// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one runner behind every unit and integration test program: each
 * tests/<kind>/check_<module>.c defines unit_suite() and links this file.
 * Check prints its summary line ("100%: Checks: N, Failures: 0, ...");
 * the exit status tells automake's driver the result (77 = skipped).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

const char *runner_skip_reason;
bool runner_wants_kvm;
bool runner_host_kvm;
unsigned runner_nested_seconds = 600;
unsigned runner_nested_mib;
const char *const *runner_nested_files;

/* kvm-in-qemu's words, one -f per path in runner_nested_files. */
#define RUNNER_NESTED_ARGS 128

/* One of the lock files of runner_kvm_group(), open; -1 if it cannot be. */
static int runner_lock_open(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/keel-tests-kvm-%s.lock", name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	return fd >= 0 ? fd : open(path, O_RDONLY | O_CLOEXEC);
}

static int runner_flock(int fd, int op)
{
	int rc;

	while ((rc = flock(fd, op)) < 0 && errno == EINTR)
		;
	return rc;
}

/*
 * Suites on this host's own /dev/kvm and nested machines never run at
 * the same time (docs/testing.md, "Stability"): on a kvm_pvm host, a
 * nested machine's kernel lost its timer interrupt and stopped while
 * suites ran guests on the host beside it, and never in 24 runs
 * without. Each side runs beside its own kind: join @nested's group
 * once the other is empty. Whoever waits holds the gate meanwhile, so
 * that the other group takes no newcomers and the wait ends. /tmp's
 * lock files serve every build tree on the machine. Returns the
 * descriptor that holds the place (kept until exit), or -1 when the
 * files cannot be had: then it runs anyway.
 */
static int runner_kvm_group(const char *argv0, bool nested)
{
	int gate = runner_lock_open("gate");
	int mine = runner_lock_open(nested ? "nested" : "host");
	int other = runner_lock_open(nested ? "host" : "nested");
	int held = -1;

	if (gate >= 0 && mine >= 0 && other >= 0 &&
	    !runner_flock(gate, LOCK_EX)) {
		if (runner_flock(other, LOCK_EX | LOCK_NB)) {
			printf("NOTE: %s: waiting until no %s runs (docs/testing.md, \"Stability\").\n",
			       argv0, nested ? "suite on this host's /dev/kvm" :
					       "nested machine");
			fflush(stdout);
			runner_flock(other, LOCK_EX);
		}
		runner_flock(other, LOCK_UN);
		if (!runner_flock(mine, LOCK_SH))
			held = mine;
		runner_flock(gate, LOCK_UN);
	}
	if (gate >= 0)
		close(gate);
	if (other >= 0)
		close(other);
	if (mine >= 0 && held < 0)
		close(mine);
	return held;
}

/*
 * A suite that needs /dev/kvm on a machine without one: run this very
 * program inside QEMU, where TCG emulates a CPU with SVM and the guest
 * kernel's kvm-amd gives a real /dev/kvm (tests/nested/kvm-in-qemu,
 * docs/testing.md). Returns the exit status to use, or -1 if that
 * cannot be done here.
 *
 * The emulated machine itself has been seen to stall now and then (the
 * same suite passes in a minute on the next try), and its own kernel
 * to panic ("corrupted stack end detected inside scheduler" in a
 * keel-hv vCPU thread; docs/testing.md): when QEMU times out or the VM
 * never reports a status (124, 125), the run is tried again, up to
 * three times in all, with a loud note. A test that fails is never
 * retried.
 */
#define RUNNER_NESTED_TRIES 3

/* tests/nested/kvm-in-qemu in *@script, if nesting can be done here. */
static bool runner_nest_script(char script[PATH_MAX])
{
	const char *src = getenv("KEEL_SRCDIR"), *build = getenv("KEEL_BUILDDIR");
	const char *opt = getenv("KEEL_KVM_IN_QEMU");

	return !(opt && !strcmp(opt, "no")) && src && build &&
	       snprintf(script, PATH_MAX, "%s/tests/nested/kvm-in-qemu",
			src) < PATH_MAX &&
	       !access(script, X_OK) &&
	       !system("command -v qemu-system-x86_64 >/dev/null 2>&1");
}

bool runner_can_nest(void)
{
	char script[PATH_MAX];

	return runner_nest_script(script);
}

static int runner_run_nested(const char *argv0)
{
	const char *build = getenv("KEEL_BUILDDIR");
	char script[PATH_MAX], self[PATH_MAX], limit[16], mib[16];
	char *argv[RUNNER_NESTED_ARGS];
	int status = -1, argc = 0;

	if (!runner_nest_script(script) || !realpath(argv0, self))
		return -1;
	snprintf(limit, sizeof(limit), "%u", runner_nested_seconds);
	snprintf(mib, sizeof(mib), "%u", runner_nested_mib);
	argv[argc++] = script;
	argv[argc++] = "-t";
	argv[argc++] = limit;
	if (runner_nested_mib) {
		argv[argc++] = "-m";
		argv[argc++] = mib;
	}
	for (const char *const *f = runner_nested_files; f && *f; f++) {
		if (access(*f, F_OK))
			continue;
		if (argc + 4 >= RUNNER_NESTED_ARGS) {
			printf("NOTE: %s: more than %d host paths for the nested machine; the rest stay out.\n",
			       argv0, RUNNER_NESTED_ARGS / 2 - 4);
			break;
		}
		argv[argc++] = "-f";
		argv[argc++] = (char *)*f;
	}
	argv[argc++] = (char *)build;
	argv[argc++] = self;
	argv[argc] = NULL;
	runner_kvm_group(argv0, true);
	printf("NOTE: %s: %s; running it inside QEMU with nested SVM instead (tests/nested/kvm-in-qemu; KEEL_KVM_IN_QEMU=no skips).\n",
	       argv0, runner_skip_reason);
	for (int attempt = 0; attempt < RUNNER_NESTED_TRIES; attempt++) {
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0) {
			execv(script, argv);
			perror("kvm-in-qemu");
			_exit(125);
		}
		if (waitpid(pid, &status, 0) != pid)
			return 1;
		status = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
		if (status != 124 && status != 125)
			break;
		printf("NOTE: %s: the QEMU machine %s; %s.\n", argv0,
		       status == 124 ? "timed out" :
				       "ended without reporting a status",
		       attempt + 1 == RUNNER_NESTED_TRIES ? "giving up" :
							     "trying again");
	}
	return status;
}

int main(int argc, char **argv)
{
	Suite *s = unit_suite();
	SRunner *sr;
	int failed;

	if (runner_skip_reason && runner_wants_kvm && argc > 0) {
		int status = runner_run_nested(argv[0]);

		if (status >= 0) {
			/* Check frees a suite only with its runner. */
			srunner_free(srunner_create(s));
			return status;
		}
	}
	if (runner_skip_reason) {
		printf("SKIP: %s: %s\n", argc > 0 ? argv[0] : "test",
		       runner_skip_reason);
		fflush(stdout);
		srunner_free(srunner_create(s));
		return 77;
	}
	if (runner_host_kvm)
		runner_kvm_group(argc > 0 ? argv[0] : "test", false);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
