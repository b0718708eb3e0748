/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_TESTS_BENCH_VMM_H
#define KEEL_TESTS_BENCH_VMM_H
/*
 * What the benchmarks that compare keel with QEMU share (tests/bench/save,
 * tests/bench/migrate): QEMU's QMP, one JSON-RPC call to a keeld, the
 * guest's serial console and the table's cells. Nothing here asserts.
 */
#include <json-c/json.h>

#include "harness.h"

/*
 * Send a QMP command and read lines until its answer (events may come
 * first). Returns the answer (owned here until the next call) or NULL
 * if it was an error (said on stderr, after @who) or none came.
 */
char *qmp(struct harness_client *c, const char *who, const char *cmd,
	  int timeout_ms);

/*
 * When QEMU said @event (e.g. "STOP", "RESUME") last on @c, by the
 * event's own timestamp (seconds of the real-time clock, which every
 * process on one machine shares), among the events qmp() read past;
 * -1 if it has not. qmp_events_forget() drops what was seen.
 */
double qmp_event_at(const struct harness_client *c, const char *event);
void qmp_events_forget(void);

/* Connect to QEMU's QMP socket and leave its negotiation mode. */
int qmp_open(struct harness_client *c, const char *who, const char *path,
	     int timeout_ms);

/*
 * Poll @cmd every 10 ms until its answer holds @want (0), or @bad
 * (-EIO; NULL: nothing is bad). Returns -ETIMEDOUT after @timeout_ms.
 */
int qmp_poll(struct harness_client *c, const char *who, const char *cmd,
	     const char *want, const char *bad, int timeout_ms);

/*
 * One JSON-RPC call on a new connection to @sock, waiting up to
 * @timeout_ms for the answer; the parsed answer or NULL.
 */
struct json_object *bench_rpc(const char *sock, const char *line,
			      int timeout_ms);

/*
 * Type a line at the guest's shell on @con that makes it print @marker
 * (split with "" so the echo of the typed line does not match), and
 * wait for it. Returns 0 or -ETIMEDOUT.
 */
int guest_answers(struct proc *con, const char *marker, int timeout_ms);

/* What QEMU runs the guest with in these benchmarks. */
struct bench_qemu {
	const char *bin, *machine, *accel;
	const char *kernel, *initrd, *cmdline;
};

/*
 * QEMU's command line for @q with @mem MiB, @cpus vCPUs and QMP at
 * @qmp_arg: serial on stdio, no other device, no reboot. Returns the
 * number of words put in @argv (room for 40 with the caller's), which
 * the caller may add to and must end with NULL.
 */
int bench_qemu_argv(const struct bench_qemu *q, char **argv, char *mem,
		    char *cpus, char *qmp_arg);

/* @v with @decimals into @buf, or "-" for a value < 0 (not measured). */
void bench_cell(char *buf, size_t size, double v, int decimals);

#endif /* KEEL_TESTS_BENCH_VMM_H */
