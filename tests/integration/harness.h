/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_TESTS_HARNESS_H
#define KEEL_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * A child process (keel-hv, keeld, a CLI call) whose stdout+stderr the
 * test reads and whose stdin it can write: the console of a guest run
 * with `--console stdio`, for instance.
 */
struct proc {
	pid_t pid;
	int in_fd; /* child's stdin, -1 once closed */
	int out_fd; /* child's stdout and stderr */
	char *out; /* everything read so far, NUL-terminated */
	size_t len, cap;
	bool exited;
	int status; /* waitpid status once exited */
};

/*
 * Start argv[0] (a path) with @argv. Returns 0 or -errno. On success
 * the caller must proc_dispose() it.
 */
int proc_spawn(struct proc *p, char *const argv[]);

/*
 * Read output until @needle appears after byte @from (or the process
 * exits, or @timeout_ms passes). Returns the offset just past the
 * needle, or -ETIMEDOUT / -ESRCH (exited without printing it).
 */
long proc_expect(struct proc *p, const char *needle, size_t from,
		 int timeout_ms);

/* Write @s to the child's stdin. Returns 0 or -errno. */
int proc_send(struct proc *p, const char *s);

/*
 * Wait up to @timeout_ms for the child to exit, reading its output
 * meanwhile. Returns its exit code (0..255), 128+signal if killed by a
 * signal, or -ETIMEDOUT.
 */
int proc_wait(struct proc *p, int timeout_ms);

/* Kill (SIGKILL) if still running, reap, free everything. Idempotent. */
void proc_dispose(struct proc *p);

/* Milliseconds on the monotonic clock. */
long long harness_now_ms(void);

/*
 * Paths of the build tree's programs and images. The test environment
 * sets KEEL_BUILDDIR (tests/local.mk); returns one of eight static
 * buffers used in turn.
 */
const char *harness_path(const char *relative);

/*
 * NULL when /dev/kvm can be opened read-write; otherwise a sentence
 * saying why the KVM tests cannot run here.
 */
const char *harness_kvm_missing(void);

/*
 * Connect to the UNIX stream socket at @path, retrying for up to 4 s
 * while the server starts. Returns a stream for harness_call(), or
 * NULL.
 */
FILE *harness_unix_connect(const char *path);

/*
 * Send @line plus a newline on @f and return the one line that comes
 * back (a static buffer, overwritten by the next call), or NULL.
 */
const char *harness_call(FILE *f, const char *line);

/* True if @path exists and is readable. */
bool harness_have_file(const char *path);

#endif /* KEEL_TESTS_HARNESS_H */
