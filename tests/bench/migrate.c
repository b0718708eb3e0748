// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/bench/migrate: live migration over TLS, keel against QEMU in the
 * same run (issue 12's benchmark; docs/migrate-bench.md has the command
 * and the numbers of a run). Nothing here asserts a speed.
 *
 * Two "hosts" on one machine: for keel, two keelds (hostA on
 * tls://127.0.0.1:16515, hostB on tls://127.0.0.1:16516, each with its
 * own directories, cgroup parent and certificate from keel-pki-init);
 * for QEMU, a source and a `-incoming defer` destination with
 * tls-creds-x509 objects made from the same certificates. Both migrate
 * the Debian guest of `make guest` with the same kernel, initramfs,
 * command line, memory, vCPUs, downtime limit (300 ms) and no bandwidth
 * limit (QEMU's 32 MiB/s default is lifted, as libvirt does), and
 * auto-converge where the guest dirties memory (where TLS is slow, as
 * under the nested runner's TCG, no guest dirtying 50 MiB/s would ever
 * converge without it).
 *
 * Cases: each memory size (-m, 256 and 1024 MiB) idle, and a 256 MiB
 * guest dirtying its memory at each rate of -r (10, 50, 100 MiB/s) with
 * keel-dirty (guest/dirty.c; -r 0 for the idle cases, where it only
 * reads the clock). Per case and VMM:
 *
 *   downtime   the source's pause until the destination runs, the
 *              issue's definition: keel's domain.migrate result;
 *              for QEMU the source's STOP event to the destination's
 *              RESUME event, by the timestamps QMP gives them;
 *   own        the VMM's own figure: keel's as above, QEMU's
 *              query-migrate "downtime", which ends on the source
 *              once it has sent everything;
 *   guest gap  the largest gap keel-dirty saw in its tight
 *              CLOCK_MONOTONIC loop, printed on the destination's
 *              console after the move;
 *   total      wall time of the migrate call: keel's domain.migrate
 *              until it answered, QEMU's migrate until query-migrate
 *              said completed;
 *   sent       bytes on the wire (keel: the result's "sent"; QEMU:
 *              ram.transferred);
 *   MiB/s      sent / total;
 *   stream     the stream's throughput, without the destination's
 *              start and the connection: keel's sent / stream_ms,
 *              QEMU's query-migrate "mbps" (bytes over total-time less
 *              setup-time), in MiB/s.
 *
 * Under the table: openssl speed -evp aes-128-gcm (16 KiB blocks, one
 * core) in the same environment, and per case the ratios of the goals
 * (the throughput goal's from the stream column).
 *
 * --prefault: both VMMs back all guest RAM when they start, the
 * destination's too (keel's "prefault", QEMU's -mem-prealloc), so that
 * first touches of its memory do not pace the stream; the destination
 * does it while it prepares, before the stream.
 *
 * --test-guest: keel alone with the in-tree dirty guest
 * (tests/guests/dirty.bin; dirty.mib=RATE, 0 idle after writing its RAM
 * once; its clock loop reports gaps over 1 ms) in place of the Debian
 * guest, for a host whose /dev/kvm runs the test guests natively but
 * not Linux (kvm_pvm): keel's absolute figures at native speed, which
 * the real-KVM targets are about. QEMU cannot boot that guest,
 * so there is nothing to compare with; KERNEL and INITRD are not given.
 *
 *   migrate [-t TIMEOUT_S] [-m MIB[,MIB...]] [-r RATE[,RATE...]]
 *           [-c VCPUS] [-a CMDLINE] [-M MACHINE] [--prefault] [--no-qemu]
 *           [--no-keel] [--keel PATH] [--keeld PATH] [--hv PATH]
 *           [--qemu PATH] [--schema-dir DIR] KERNEL INITRD
 *   migrate --test-guest [-t TIMEOUT_S] [-m MIB,...] [-r RATE,...]
 *           [--prefault]
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bench_vmm.h"
#include "keeld_fixture.h"

#define READY_LINE "KEEL-GUEST-READY"
#define DOM_NAME "migbench"
#define MAX_CASES 8
#define PORT_A 16515
#define PORT_B 16516
#define QEMU_PORT 49300
#define DIRTY_MIB 128	/* keel-dirty's working set */
#define DOWNTIME_MS 300
#define MIB (1024.0 * 1024.0)

struct bench_cfg {
	int timeout_ms;
	int mems[MAX_CASES], nmems;
	int rates[MAX_CASES], nrates;
	int vcpus;
	bool qemu, keel;
	bool logs;	/* --logs: both hosts' migration lines after each case */
	bool test_guest;	/* --test-guest: dirty.bin, keel alone */
	bool prefault;	/* --prefault: all guest RAM backed at start */
	const char *cmdline, *machine;
	const char *kernel, *initrd;
	const char *qemu_bin, *keel_bin, *keeld, *hv, *schema_dir;
	char dir[PATH_MAX], pki[PATH_MAX + 8];
};

/* One row of the table; a value < 0 was not measured. */
struct result {
	const char *vmm;
	int mib, rate; /* rate < 0: idle */
	double downtime_ms, gap_ms, total_ms, sent_mib, rounds;
	double own_ms;	/* the VMM's own downtime figure */
	double stream_mibs;	/* the stream's throughput, MiB/s */
	char why[200]; /* the first thing that failed, or "" */
};

static void result_init(struct result *r, const char *vmm, int mib, int rate)
{
	memset(r, 0, sizeof(*r));
	r->vmm = vmm;
	r->mib = mib;
	r->rate = rate;
	r->downtime_ms = r->gap_ms = r->total_ms = r->sent_mib = -1;
	r->rounds = r->own_ms = r->stream_mibs = -1;
}

static void __attribute__((format(printf, 2, 3)))
result_fail(struct result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* The number at JSON pointer @ptr of @o, or -1. */
static double num_at(struct json_object *o, const char *ptr)
{
	struct json_object *v = at(o, ptr);

	return v ? json_object_get_double(v) : -1;
}

/*
 * At the guest's shell on @con (after @from): start keel-dirty at @rate
 * MiB/s (0: only the clock loop) and wait until it has written its
 * memory. Returns 0 or -errno.
 */
static int guest_load(struct proc *con, long from, int rate,
		      const struct bench_cfg *cfg)
{
	char line[128];

	snprintf(line, sizeof(line), "keel-dirty -r %d -m %d -g 20 &\n",
		 rate, rate ? DIRTY_MIB : 8);
	proc_type(con, line);
	if (proc_expect(con, "MiB written, dirtying", (size_t)from,
			cfg->timeout_ms) < 0)
		return -ETIMEDOUT;
	/* Let it run a while, so that a pass has something to chase. */
	sleep(2);
	return 0;
}

/*
 * The destination's console output @out, after the move: wait for
 * keel-dirty's next "alive" line (it prints one every 5 s), then take
 * the largest gap it reported. Returns the gap in ms, 0 for none over
 * its 20 ms threshold, or -1 if it never said it was alive.
 */
static double guest_gap(struct proc *con, const struct bench_cfg *cfg)
{
	double largest = 0, v;
	const char *s;

	if (proc_expect(con, "keel-dirty: alive", 0,
			cfg->timeout_ms < 20000 ? cfg->timeout_ms : 20000) < 0)
		return -1;
	for (s = con->out; (s = strstr(s, "keel-dirty: gap ")); s++)
		if (sscanf(s, "keel-dirty: gap %lf ms", &v) == 1 && v > largest)
			largest = v;
	return largest;
}

/*
 * --test-guest: the dirty guest's console on the destination @con:
 * once it said it runs on (two more lines), the largest "dirty: gap N
 * us" in it, in ms; 0 for none over its 1 ms threshold, -1 if it said
 * nothing.
 */
static double test_guest_gap(struct proc *con, const struct bench_cfg *cfg)
{
	double largest = 0, v;
	const char *s;
	long at;

	at = proc_expect(con, "\ndirty", 0, cfg->timeout_ms);
	if (at >= 0)
		at = proc_expect(con, "\ndirty", (size_t)at, cfg->timeout_ms);
	if (at < 0)
		return -1;
	for (s = con->out; (s = strstr(s, "dirty: gap ")); s++)
		if (sscanf(s, "dirty: gap %lf us", &v) == 1 && v / 1000 > largest)
			largest = v / 1000;
	return largest;
}

/* --- the PKI ------------------------------------------------------- */

/* keel-pki-init's directories for hostA and hostB under @cfg->pki. */
static int make_pki(struct bench_cfg *cfg)
{
	char script[PATH_MAX];
	char *argv[] = { "/bin/sh", script, "--dir", cfg->pki, "hostA", "hostB",
			 NULL };
	struct proc p;
	int rc;

	snprintf(script, sizeof(script), "%s/../data/keel-pki-init",
		 cfg->schema_dir);
	snprintf(cfg->pki, sizeof(cfg->pki), "%s/pki", cfg->dir);
	if (proc_spawn(&p, argv))
		return -ENOENT;
	rc = proc_wait(&p, 120000);
	if (rc)
		fprintf(stderr, "migrate: keel-pki-init failed:\n%s\n",
			p.out ? p.out : "");
	proc_dispose(&p);
	return rc ? -EIO : 0;
}

/* QEMU wants its own names: a directory of links into @cfg->pki. */
static int qemu_pki(const struct bench_cfg *cfg, const char *dir, bool server)
{
	static const char *const srv[][2] = {
		{ "hostB/cacert.pem", "ca-cert.pem" },
		{ "hostB/servercert.pem", "server-cert.pem" },
		{ "hostB/private/serverkey.pem", "server-key.pem" },
	};
	static const char *const cli[][2] = {
		{ "hostA/cacert.pem", "ca-cert.pem" },
		{ "hostA/clientcert.pem", "client-cert.pem" },
		{ "hostA/private/clientkey.pem", "client-key.pem" },
	};
	const char *const(*links)[2] = server ? srv : cli;
	char from[2 * PATH_MAX], to[2 * PATH_MAX];

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	for (int i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "%s/%s", cfg->pki, links[i][0]);
		snprintf(to, sizeof(to), "%s/%s", dir, links[i][1]);
		unlink(to);
		if (symlink(from, to))
			return -errno;
	}
	return 0;
}

/* --- QEMU ---------------------------------------------------------- */

static void qemu_argv(const struct bench_cfg *cfg, char **argv, char *mem,
		      char *cpus, char *qmp_arg, char *tls, bool incoming)
{
	const struct bench_qemu q = {
		.bin = cfg->qemu_bin, .machine = cfg->machine,
		.accel = "kvm", .kernel = cfg->kernel,
		.initrd = cfg->initrd, .cmdline = cfg->cmdline,
	};
	int n = bench_qemu_argv(&q, argv, mem, cpus, qmp_arg);

	argv[n++] = "-object";
	argv[n++] = tls;
	if (cfg->prefault)
		argv[n++] = "-mem-prealloc";
	if (incoming) {
		argv[n++] = "-incoming";
		argv[n++] = "defer";
	}
	argv[n] = NULL;
}

static void run_qemu(const struct bench_cfg *cfg, struct result *r)
{
	char mem[16], cpus[16], sock_a[PATH_MAX + 16], sock_b[PATH_MAX + 16];
	char qmp_a[PATH_MAX + 64], qmp_b[PATH_MAX + 64], dir_a[PATH_MAX + 16];
	char dir_b[PATH_MAX + 16], tls_a[PATH_MAX + 96], tls_b[PATH_MAX + 96];
	char cmd[256];
	char *argv[48];
	struct harness_client ca = { .fd = -1 }, cb = { .fd = -1 };
	struct proc pa = { .pid = -1 }, pb = { .pid = -1 };
	struct json_object *info = NULL;
	const char *answer;
	double stop_s, resume_s;
	long long t0;
	long at;
	int rc;

	snprintf(mem, sizeof(mem), "%d", r->mib);
	snprintf(cpus, sizeof(cpus), "%d", cfg->vcpus);
	snprintf(sock_a, sizeof(sock_a), "%s/qmp-a.sock", cfg->dir);
	snprintf(sock_b, sizeof(sock_b), "%s/qmp-b.sock", cfg->dir);
	snprintf(qmp_a, sizeof(qmp_a), "unix:%s,server=on,wait=off", sock_a);
	snprintf(qmp_b, sizeof(qmp_b), "unix:%s,server=on,wait=off", sock_b);
	snprintf(dir_a, sizeof(dir_a), "%s/qemu-client", cfg->dir);
	snprintf(dir_b, sizeof(dir_b), "%s/qemu-server", cfg->dir);
	if (qemu_pki(cfg, dir_a, false) || qemu_pki(cfg, dir_b, true)) {
		result_fail(r, "cannot lay out QEMU's certificates");
		return;
	}
	snprintf(tls_a, sizeof(tls_a),
		 "tls-creds-x509,id=tls0,endpoint=client,dir=%s", dir_a);
	snprintf(tls_b, sizeof(tls_b),
		 "tls-creds-x509,id=tls0,endpoint=server,verify-peer=on,dir=%s",
		 dir_b);
	unlink(sock_a);
	unlink(sock_b);
	qemu_argv(cfg, argv, mem, cpus, qmp_a, tls_a, false);
	if (proc_spawn(&pa, argv)) {
		result_fail(r, "cannot run %s", cfg->qemu_bin);
		return;
	}
	at = proc_expect(&pa, READY_LINE, 0, cfg->timeout_ms);
	if (at >= 0)
		at = proc_expect(&pa, "# ", (size_t)at, cfg->timeout_ms);
	if (at < 0) {
		result_fail(r, "the guest did not reach its shell");
		goto out;
	}
	if (guest_load(&pa, at, r->rate < 0 ? 0 : r->rate, cfg)) {
		result_fail(r, "keel-dirty did not start");
		goto out;
	}
	qemu_argv(cfg, argv, mem, cpus, qmp_b, tls_b, true);
	if (proc_spawn(&pb, argv)) {
		result_fail(r, "cannot run %s", cfg->qemu_bin);
		goto out;
	}
	if (qmp_open(&ca, "migrate", sock_a, 60000)) {
		result_fail(r, "no QMP from the source");
		goto out;
	}
	if (qmp_open(&cb, "migrate", sock_b, 60000)) {
		result_fail(r, "no QMP from the destination");
		goto out;
	}
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":"
		 "\"tcp:127.0.0.1:%d\"}}", QEMU_PORT);
	if (!qmp(&cb, "migrate",
		 "{\"execute\":\"migrate-set-parameters\",\"arguments\":"
		 "{\"tls-creds\":\"tls0\"}}", 10000) ||
	    !qmp(&cb, "migrate", cmd, 10000)) {
		result_fail(r, "the destination did not listen");
		goto out;
	}
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"migrate-set-parameters\",\"arguments\":"
		 "{\"tls-creds\":\"tls0\",\"tls-hostname\":\"hostB\","
		 "\"max-bandwidth\":107374182400,\"downtime-limit\":%d}}",
		 DOWNTIME_MS);
	if (!qmp(&ca, "migrate", cmd, 10000)) {
		result_fail(r, "migrate-set-parameters failed");
		goto out;
	}
	if (r->rate > 0 &&
	    !qmp(&ca, "migrate",
		 "{\"execute\":\"migrate-set-capabilities\",\"arguments\":"
		 "{\"capabilities\":[{\"capability\":\"auto-converge\","
		 "\"state\":true}]}}", 10000)) {
		result_fail(r, "auto-converge refused");
		goto out;
	}
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"migrate\",\"arguments\":{\"uri\":"
		 "\"tcp:127.0.0.1:%d\"}}", QEMU_PORT);
	qmp_events_forget();
	t0 = harness_now_ms();
	if (!qmp(&ca, "migrate", cmd, 10000)) {
		result_fail(r, "migrate was refused");
		goto out;
	}
	rc = qmp_poll(&ca, "migrate", "{\"execute\":\"query-migrate\"}",
		      "\"status\": \"completed\"", "\"status\": \"failed\"",
		      cfg->timeout_ms);
	if (rc == -ETIMEDOUT) {
		/* Still going: say how far, and leave it to the quit. */
		answer = qmp(&ca, "migrate", "{\"execute\":\"query-migrate\"}",
			     10000);
		fprintf(stderr, "migrate: qemu %d MiB at %d MiB/s: query-migrate after %d s: %s\n",
			r->mib, r->rate, cfg->timeout_ms / 1000,
			answer ? answer : "(no answer)");
		result_fail(r, "did not complete in %d s (-t)",
			    cfg->timeout_ms / 1000);
		goto out;
	}
	if (rc) {
		result_fail(r, "the migration failed");
		goto out;
	}
	r->total_ms = (double)(harness_now_ms() - t0);
	answer = qmp(&ca, "migrate", "{\"execute\":\"query-migrate\"}", 10000);
	info = answer ? json_tokener_parse(answer) : NULL;
	r->own_ms = num_at(info, "/return/downtime");
	r->sent_mib = num_at(info, "/return/ram/transferred");
	if (r->sent_mib >= 0)
		r->sent_mib /= MIB;
	/* QEMU's mbps: megabits (10^6) a second. */
	r->stream_mibs = num_at(info, "/return/ram/mbps");
	if (r->stream_mibs >= 0)
		r->stream_mibs *= 1e6 / 8 / MIB;
	if (qmp_poll(&cb, "migrate", "{\"execute\":\"query-status\"}",
		     "\"status\": \"running\"", NULL, cfg->timeout_ms)) {
		result_fail(r, "the destination never ran");
		goto out;
	}
	/*
	 * keel's downtime runs from the source's pause until the
	 * destination runs; QEMU's own figure ends on the source. The same
	 * span for QEMU: the source's STOP event to the destination's
	 * RESUME, by the events' timestamps (one machine, one clock).
	 */
	qmp(&cb, "migrate", "{\"execute\":\"query-status\"}", 10000);
	stop_s = qmp_event_at(&ca, "STOP");
	resume_s = qmp_event_at(&cb, "RESUME");
	if (stop_s > 0 && resume_s >= stop_s)
		r->downtime_ms = (resume_s - stop_s) * 1000;
	else
		result_fail(r, "no STOP on the source or RESUME on the destination: downtime not measured");
	r->gap_ms = guest_gap(&pb, cfg);
	if (r->gap_ms < 0)
		result_fail(r, "keel-dirty said nothing on the destination");
out:
	if (r->why[0])
		fprintf(stderr, "migrate: qemu %d MiB: %s; source said:\n%s\n"
				"destination said:\n%s\n", r->mib, r->why,
			pa.out ? harness_tail(pa.out) : "",
			pb.out ? harness_tail(pb.out) : "");
	json_object_put(info);
	if (ca.fd >= 0)
		qmp(&ca, "migrate", "{\"execute\":\"quit\"}", 5000);
	if (cb.fd >= 0)
		qmp(&cb, "migrate", "{\"execute\":\"quit\"}", 5000);
	harness_client_close(&ca);
	harness_client_close(&cb);
	proc_wait(&pa, 10000);
	proc_wait(&pb, 10000);
	proc_dispose(&pa);
	proc_dispose(&pb);
	unlink(sock_a);
	unlink(sock_b);
}

/* --- keel ---------------------------------------------------------- */

struct host {
	struct keeld_env env;
	bool up;
	size_t logged;	/* --logs: keeld's output printed so far */
};

static void keeld_drain(struct host *h)
{
	proc_expect(&h->env.keeld_proc, "\n\n\n\n", h->env.keeld_proc.len,
		    1);
}

static struct json_object *keel_rpc(struct host *h, const char *line,
				    int timeout_ms)
{
	struct json_object *o = bench_rpc(h->env.sock, line, timeout_ms);

	keeld_drain(h);
	return o;
}

static int host_start(struct host *h, const struct bench_cfg *cfg,
		      const char *me, const char *peer, int port)
{
	char conf[3 * PATH_MAX];

	snprintf(conf, sizeof(conf),
		 "log_level = info\n"
		 "listen = tls://127.0.0.1:%d\n"
		 "pki_dir = %s/%s\n"
		 "tls_allowed_dn = CN=%s,O=keel\n"
		 "cgroup_parent = keel-migbench-%s\n",
		 port, cfg->pki, me, peer, me);
	h->up = !keeld_env_start(&h->env, "migrate", cfg->keeld,
				 cfg->schema_dir, cfg->hv, conf);
	return h->up ? 0 : -ESRCH;
}

static int keel_console(const struct bench_cfg *cfg, struct host *h,
			struct proc *con)
{
	char *argv[] = { (char *)cfg->keel_bin, "-c", h->env.sock, "console",
			 "-t", "serial", DOM_NAME, NULL };

	return proc_spawn(con, argv);
}

static void run_keel(const struct bench_cfg *cfg, struct host *a,
		     struct host *b, struct result *r)
{
	char line[3 * PATH_MAX];
	struct proc con = { .pid = -1 };
	struct json_object *o = NULL;
	long long t0;
	long pos;

	if (cfg->test_guest)
		snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.create\","
			 "\"params\":{\"config\":{\"name\":\"" DOM_NAME "\","
			 "\"kernel\":\"%s\",\"memory\":%d,\"vcpus\":1,"
			 "\"prefault\":%s,"
			 "\"cmdline\":\"dirty.mib=%d dirty.gap_us=1000\"}}}",
			 cfg->kernel, r->mib, cfg->prefault ? "true" : "false",
			 r->rate < 0 ? 0 : r->rate);
	else
		snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.create\","
			 "\"params\":{\"config\":{\"name\":\"" DOM_NAME "\","
			 "\"kernel\":\"%s\",\"ramdisk\":\"%s\",\"memory\":%d,"
			 "\"vcpus\":%d,\"prefault\":%s,\"cmdline\":\"%s\"}}}",
			 cfg->kernel, cfg->initrd, r->mib, cfg->vcpus,
			 cfg->prefault ? "true" : "false", cfg->cmdline);
	o = keel_rpc(a, line, CALL_TIMEOUT_MS);
	if (!at(o, "/result")) {
		result_fail(r, "domain.create failed: %.100s",
			    o ? json_object_to_json_string(o) : "no answer");
		goto out;
	}
	json_object_put(o);
	o = NULL;
	if (keel_console(cfg, a, &con)) {
		result_fail(r, "cannot run %s", cfg->keel_bin);
		goto out;
	}
	if (cfg->test_guest) {
		/* Idle: its RAM written once; dirtying: a while at it. */
		pos = proc_expect(&con, r->rate > 0 ? "dirty beat=" : "dirty: idle 2",
				  0, cfg->timeout_ms);
		keeld_drain(a);
		if (pos < 0) {
			result_fail(r, "the dirty guest did not start");
			goto out;
		}
		if (r->rate > 0)
			sleep(3);
	} else {
		pos = proc_expect(&con, READY_LINE, 0, cfg->timeout_ms);
		if (pos >= 0)
			pos = proc_expect(&con, "# ", (size_t)pos,
					  cfg->timeout_ms);
		keeld_drain(a);
		if (pos < 0) {
			result_fail(r, "the guest did not reach its shell");
			goto out;
		}
	}
	if (!cfg->test_guest &&
	    guest_load(&con, pos, r->rate < 0 ? 0 : r->rate, cfg)) {
		result_fail(r, "keel-dirty did not start");
		goto out;
	}
	proc_dispose(&con);

	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.migrate\","
		 "\"params\":{\"name\":\"" DOM_NAME "\",\"host\":\"127.0.0.1\","
		 "\"port\":%d,\"downtime_ms\":%d,\"auto_converge\":%s}}",
		 PORT_B, DOWNTIME_MS, r->rate > 0 ? "true" : "false");
	t0 = harness_now_ms();
	o = keel_rpc(a, line, cfg->timeout_ms);
	r->total_ms = (double)(harness_now_ms() - t0);
	if (!at(o, "/result")) {
		r->total_ms = -1;
		result_fail(r, "domain.migrate failed: %.150s",
			    o ? json_object_to_json_string(o) : "no answer");
		goto out;
	}
	r->downtime_ms = r->own_ms = num_at(o, "/result/downtime_ms");
	r->sent_mib = num_at(o, "/result/sent");
	if (r->sent_mib >= 0)
		r->sent_mib /= MIB;
	r->rounds = num_at(o, "/result/rounds");
	if (r->sent_mib > 0 && num_at(o, "/result/stream_ms") > 0)
		r->stream_mibs = r->sent_mib * 1000 /
				 num_at(o, "/result/stream_ms");
	if (keel_console(cfg, b, &con)) {
		result_fail(r, "cannot run %s", cfg->keel_bin);
		goto out;
	}
	r->gap_ms = cfg->test_guest ? test_guest_gap(&con, cfg) :
				      guest_gap(&con, cfg);
	if (r->gap_ms < 0)
		result_fail(r, "the dirty guest said nothing on hostB");
out:
	if (r->why[0] && con.out)
		fprintf(stderr, "migrate: keel %d MiB: %s; the console ends:\n"
				"%s\n", r->mib, r->why, harness_tail(con.out));
	json_object_put(o);
	proc_dispose(&con);
	/* Wherever it is now. */
	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.destroy\","
		 "\"params\":{\"name\":\"" DOM_NAME "\"}}");
	json_object_put(keel_rpc(a, line, CALL_TIMEOUT_MS));
	json_object_put(keel_rpc(b, line, CALL_TIMEOUT_MS));
}

/* --- the table ----------------------------------------------------- */

/* openssl speed's AES-128-GCM on one core, 16 KiB blocks: MiB/s or -1. */
static double aes_gcm_mib_s(void)
{
	char *argv[] = { "/usr/bin/openssl", "speed", "-evp", "aes-128-gcm", "-bytes",
			 "16384", "-seconds", "3", "-mr", NULL };
	double v = -1;
	struct proc p;
	const char *s;

	if (proc_spawn(&p, argv))
		return -1;
	if (proc_wait(&p, 60000) == 0 && p.out &&
	    (s = strstr(p.out, "+F:"))) {
		char line[256], *colon;

		/* "+F:N:aes-128-gcm:BYTES_PER_S" */
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(s, "\n"), s);
		colon = strrchr(line, ':');
		if (colon)
			v = strtod(colon + 1, NULL) / MIB;
	}
	proc_dispose(&p);
	return v;
}

static void print_row(const struct result *r)
{
	char load[24], down[16], own[16], gap[16], total[16], sent[16];
	char rate[16], rounds[16], stream[16];

	if (r->rate < 0)
		snprintf(load, sizeof(load), "idle");
	else
		snprintf(load, sizeof(load), "%d MiB/s", r->rate);
	bench_cell(down, sizeof(down), r->downtime_ms, 0);
	bench_cell(own, sizeof(own), r->own_ms, 0);
	bench_cell(gap, sizeof(gap), r->gap_ms, 1);
	bench_cell(total, sizeof(total), r->total_ms, 0);
	bench_cell(sent, sizeof(sent), r->sent_mib, 1);
	bench_cell(rounds, sizeof(rounds), r->rounds, 0);
	bench_cell(stream, sizeof(stream), r->stream_mibs, 1);
	bench_cell(rate, sizeof(rate),
		   r->sent_mib > 0 && r->total_ms > 0 ?
			   r->sent_mib * 1000 / r->total_ms :
			   -1,
		   1);
	printf("%-5s %5d %-10s %9s %9s %9s %9s %9s %8s %8s %7s%s%s\n", r->vmm,
	       r->mib, load, down, own, gap, total, sent, rate, stream, rounds,
	       r->why[0] ? "  # " : "", r->why);
	fflush(stdout);
}

static void print_goals(const struct result *k, const struct result *q,
			double aes)
{
	printf("  %d MiB ", k->mib);
	if (k->rate < 0)
		printf("idle:");
	else
		printf("%d MiB/s:", k->rate);
	if (k->downtime_ms >= 0 && q->downtime_ms > 0)
		printf(" downtime keel/qemu %.2f (goal <= 0.3);",
		       k->downtime_ms / q->downtime_ms);
	if (k->gap_ms >= 0 && q->gap_ms > 0)
		printf(" guest gap keel/qemu %.2f;", k->gap_ms / q->gap_ms);
	if (k->total_ms > 0 && q->total_ms > 0)
		printf(" total keel/qemu %.2f (goal <= 1);",
		       k->total_ms / q->total_ms);
	if (k->stream_mibs > 0 && aes > 0)
		printf(" keel stream / aes-128-gcm %.2f (goal >= 0.8)",
		       k->stream_mibs / aes);
	printf("\n");
}

static void usage(void)
{
	fprintf(stderr,
		"usage: migrate [-t TIMEOUT_S] [-m MIB[,MIB...]] "
		"[-r RATE[,RATE...]] [-c VCPUS] [-a CMDLINE] [-M MACHINE] "
		"[--prefault] [--no-qemu] [--no-keel] [--keel PATH] [--keeld PATH] "
		"[--hv PATH] [--qemu PATH] [--schema-dir DIR] [--logs] "
		"KERNEL INITRD\n"
		"       migrate --test-guest [-t TIMEOUT_S] [-m MIB[,MIB...]] "
		"[-r RATE[,RATE...]] [--prefault] [--logs]\n");
	exit(2);
}

/* A comma-separated list of @lo..@hi into @v; "none" is empty. */
static int parse_list(int *v, const char *s, int lo, int hi)
{
	int n = 0;
	char *end;

	if (!strcmp(s, "none"))
		return 0;
	while (*s && n < MAX_CASES) {
		long x = strtol(s, &end, 10);

		if (end == s || x < lo || x > hi || (*end && *end != ','))
			usage();
		v[n++] = (int)x;
		s = *end ? end + 1 : end;
	}
	return n;
}

/*
 * --logs: the lines of host @h's keeld and keel-hv about the migration
 * (and keel-hv's warnings and errors: a crash's state),
 * each with its time, so that the final phase's steps can be read off
 * across both hosts (one clock: one machine).
 */
static void print_logs(struct host *h, const char *name)
{
	char cmd[PATH_MAX + 200];

	keeld_drain(h);
	printf("--- %s: keeld ---\n", name);
	if (h->env.keeld_proc.out) {
		printf("%s", h->env.keeld_proc.out + h->logged);
		h->logged = h->env.keeld_proc.len;
	}
	printf("--- %s: keel-hv ---\n", name);
	fflush(stdout);
	snprintf(cmd, sizeof(cmd),
		 "grep -h -e migrat -e incoming -e resum -e restore: -e prefault: -e warning -e error %s/" DOM_NAME ".log; "
		 ": >%s/" DOM_NAME ".log",
		 h->env.log_dir, h->env.log_dir);
	if (system(cmd) < 0)
		printf("cannot run grep\n");
}

static void run_case(const struct bench_cfg *cfg, struct host *a,
		     struct host *b, int mib, int rate, double aes)
{
	struct result k, q;

	result_init(&k, "keel", mib, rate);
	result_init(&q, "qemu", mib, rate);
	if (cfg->keel) {
		if (a->up && b->up)
			run_keel(cfg, a, b, &k);
		else
			result_fail(&k, "no keeld");
		print_row(&k);
		if (cfg->logs) {
			print_logs(a, "hostA");
			print_logs(b, "hostB");
		}
	}
	if (cfg->qemu) {
		run_qemu(cfg, &q);
		print_row(&q);
	}
	if (cfg->keel && cfg->qemu)
		print_goals(&k, &q, aes);
	/* The targets on real KVM: 10 ms idle, 50 at 100 MiB/s. */
	if (cfg->test_guest && k.downtime_ms >= 0)
		printf("  %d MiB %s: downtime %.0f ms, target on real KVM %s\n",
		       mib, rate < 0 ? "idle" : "dirtying", k.downtime_ms,
		       rate < 0 ? "<= 10 ms" : "<= 50 ms at 100 MiB/s");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-qemu", no_argument, NULL, 'Q' },
		{ "no-keel", no_argument, NULL, 'K' },
		{ "keel", required_argument, NULL, 'k' },
		{ "keeld", required_argument, NULL, 'D' },
		{ "hv", required_argument, NULL, 'H' },
		{ "qemu", required_argument, NULL, 'q' },
		{ "schema-dir", required_argument, NULL, 'S' },
		{ "logs", no_argument, NULL, 'L' },
		{ "test-guest", no_argument, NULL, 'T' },
		{ "prefault", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_cfg cfg = {
		.timeout_ms = 600000,
		.mems = { 256, 1024 },
		.nmems = 2,
		.rates = { 10, 50, 100 },
		.nrates = 3,
		.vcpus = 1,
		.qemu = true,
		.keel = true,
		.cmdline = "console=ttyS0 quiet",
		.machine = "q35",
		.qemu_bin = "/usr/bin/qemu-system-x86_64",
	};
	struct host a, b;
	char loads[96];
	double aes;
	int c;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	while ((c = getopt_long(argc, argv, "t:m:r:c:a:M:", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 't':
			cfg.timeout_ms = atoi(optarg) * 1000;
			break;
		case 'm':
			cfg.nmems = parse_list(cfg.mems, optarg, 64, 65536);
			break;
		case 'r':
			cfg.nrates = parse_list(cfg.rates, optarg, 0, 100000);
			break;
		case 'c':
			cfg.vcpus = atoi(optarg);
			break;
		case 'a':
			cfg.cmdline = optarg;
			break;
		case 'M':
			cfg.machine = optarg;
			break;
		case 'Q':
			cfg.qemu = false;
			break;
		case 'K':
			cfg.keel = false;
			break;
		case 'k':
			cfg.keel_bin = optarg;
			break;
		case 'D':
			cfg.keeld = optarg;
			break;
		case 'H':
			cfg.hv = optarg;
			break;
		case 'q':
			cfg.qemu_bin = optarg;
			break;
		case 'S':
			cfg.schema_dir = optarg;
			break;
		case 'P':
			cfg.prefault = true;
			break;
		case 'L':
			cfg.logs = true;
			break;
		case 'T':
			cfg.test_guest = true;
			cfg.qemu = false;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != (cfg.test_guest ? 0 : 2) ||
	    cfg.timeout_ms < 1000 || cfg.vcpus < 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (cfg.test_guest) {
		cfg.kernel = strdup(absolute(harness_guest("dirty")));
		cfg.initrd = "";
		cfg.cmdline = "dirty.mib=RATE dirty.gap_us=1000";
	} else {
		cfg.kernel = strdup(absolute(argv[optind]));
		cfg.initrd = strdup(absolute(argv[optind + 1]));
	}
	cfg.keel_bin = strdup(absolute(cfg.keel_bin ? cfg.keel_bin :
					       harness_path("cli/keel")));
	cfg.hv = strdup(absolute(cfg.hv ? cfg.hv :
				       harness_path("hypervisor/keel-hv")));
	cfg.keeld = strdup(absolute(cfg.keeld ? cfg.keeld :
				       harness_path("daemon/keeld")));
	cfg.schema_dir = cfg.schema_dir ? absolute(cfg.schema_dir) :
					  default_schema_dir();
	snprintf(cfg.dir, sizeof(cfg.dir), "/tmp/keel-migrate.XXXXXX");
	if (!mkdtemp(cfg.dir)) {
		perror("migrate: mkdtemp");
		return 1;
	}
	if (make_pki(&cfg))
		return 1;
	aes = aes_gcm_mib_s();

	if (cfg.test_guest)
		snprintf(loads, sizeof(loads),
			 "Loads dirty all its RAM; auto-converge throttles "
			 "the dirtying cases.");
	else
		snprintf(loads, sizeof(loads), "Loads dirty %d MiB.",
			 DIRTY_MIB);
	printf("migrate benchmark: %d vCPU(s), cmdline \"%s\", QEMU -M %s, "
	       "downtime limit %d ms, no bandwidth limit\nkernel %s\n"
	       "initrd %s\nguest RAM %s\n"
	       "Times in ms; sent in MiB; MiB/s = sent / total; stream: the "
	       "stream's own MiB/s\n(keel: sent / stream_ms; QEMU: its mbps). "
	       "downtime: the source's pause\nto the destination running "
	       "(keel: its result; QEMU: the source's STOP event to the\n"
	       "destination's RESUME); own: the VMM's own figure (QEMU's "
	       "ends on the source);\nguest gap: the largest "
	       "gap %s clock loop saw. %s\n"
	       "openssl speed -evp aes-128-gcm, 16 KiB, one core: %.1f "
	       "MiB/s\n\n",
	       cfg.vcpus, cfg.cmdline, cfg.machine, DOWNTIME_MS, cfg.kernel,
	       cfg.initrd,
	       cfg.prefault ? "backed at start on both sides (--prefault: "
			      "keel's prefault, QEMU's -mem-prealloc)" :
			      "backed on first touch (no --prefault)",
	       cfg.test_guest ? "the dirty test guest's" : "keel-dirty's",
	       loads, aes);
	if (cfg.keel && (host_start(&a, &cfg, "hostA", "hostB", PORT_A) ||
			 host_start(&b, &cfg, "hostB", "hostA", PORT_B)))
		fprintf(stderr, "migrate: the keelds did not start: keel's "
				"rows are skipped.\n");
	printf("%-5s %5s %-10s %9s %9s %9s %9s %9s %8s %8s %7s\n", "vmm", "MiB",
	       "load", "downtime", "own", "guest gap", "total", "sent",
	       "MiB/s", "stream", "rounds");
	for (int m = 0; m < cfg.nmems; m++)
		run_case(&cfg, &a, &b, cfg.mems[m], -1, aes);
	for (int i = 0; i < cfg.nrates; i++)
		run_case(&cfg, &a, &b, 256, cfg.rates[i], aes);
	if (a.up)
		keeld_env_stop(&a.env);
	if (b.up)
		keeld_env_stop(&b.env);
	return 0;
}
