/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_TESTS_BENCH_KEELD_H
#define KEEL_TESTS_BENCH_KEELD_H

/*
 * A real keeld for a benchmark, in a temporary directory of its own
 * (/tmp/keel-bench-PROG.XXXXXX with run/, state/, log/ and keeld.conf),
 * run in the foreground with its log on a pipe (bench_keeld.keeld.out).
 */

#include "harness.h"

struct bench_keeld {
	const char *prog;	/* the benchmark's name, for messages */
	const char *keeld, *schema_dir, *hv;
	char dir[64];
	char run_dir[96], state_dir[96], log_dir[96], conf[96];
	char sock[128], ro_sock[128];
	struct proc keeld_proc;
};

/*
 * Make the directory, write @conf_text (NULL: "log_level = info") to its
 * keeld.conf and start @keeld (its schemas in @schema_dir; @hv is
 * keel-hv's path, NULL for keeld's default); wait for the ready line.
 * Returns 0 or -errno after saying why on stderr. bench_keeld_stop()
 * is due either way.
 */
int bench_keeld_start(struct bench_keeld *b, const char *prog,
		      const char *keeld, const char *schema_dir,
		      const char *hv, const char *conf_text);

/*
 * Start keeld again on the same directories (after it was stopped or
 * killed) and wait for its ready line. Returns 0 or -errno.
 */
int bench_keeld_restart(struct bench_keeld *b);

/* SIGKILL keeld (domains keep running) and reap it. */
void bench_keeld_kill(struct bench_keeld *b);

/* Stop keeld (SIGTERM, then SIGKILL) and remove the directory. */
void bench_keeld_stop(struct bench_keeld *b);

#endif /* KEEL_TESTS_BENCH_KEELD_H */
