// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/bench/save: how long a save and a restore take, and how big the
 * stream is, for the Debian guest (make guest) under keel and under QEMU
 * in the same run (issue 11's benchmark; docs/save-bench.md has the
 * command and the numbers of a run). Nothing here asserts a speed.
 *
 * For each memory size (-m, 256 and 1024 MiB by default) and each load
 * (idle: the guest at its shell; touched: half its RAM written with
 * /dev/urandom into a tmpfs, which no compression can shrink), both
 * VMMs boot the same kernel, initramfs, command line and vCPUs, and
 * the bench takes:
 *
 *   used        the guest's MemTotal - MemFree, asked at its shell;
 *   non-zero    guest RAM pages that are not all zero, read from the
 *               VMM's guest RAM mapping through /proc/PID/mem just
 *               before the save (what a stream must carry at least);
 *   save        keel: `keel save DOM FILE` spawned until it exits 0
 *               (keeld pauses, keel-hv writes and fsyncs the stream,
 *               the domain ends). QEMU: QMP stop, then migrate to
 *               "exec:cat > FILE" (QEMU 7.2 has no file: transport)
 *               with max-bandwidth lifted, as libvirt's virsh save
 *               does, until query-migrate says completed;
 *   restore     keel: `keel restore FILE` spawned until it exits 0 and
 *               domain.info says running. QEMU: the same command line
 *               plus -incoming "exec:cat FILE" spawned until
 *               query-status says paused (the stream says the source
 *               was stopped), then cont until it says running;
 *   console     from the same start as restore until the guest answers
 *               a line typed at its serial console;
 *   stream      the file's size.
 *
 * keel's side needs `keel save` and `keel restore` (issue 11); where
 * the CLI does not have them yet its row says so and QEMU's still runs.
 *
 *   save [-t TIMEOUT_S] [-m MIB[,MIB...]] [-c VCPUS] [-a CMDLINE]
 *        [-M MACHINE] [-A ACCEL] [-d DIR] [--no-qemu] [--no-keel]
 *        [--no-touch] [--no-idle] [--hv-log] [--keel PATH]
 *        [--keeld PATH] [--hv PATH] [--qemu PATH] [--schema-dir DIR]
 *        KERNEL INITRD
 *
 * -M is QEMU's machine (q35 by default; tests/bench/boot runs microvm
 * and q35), -A its accelerator (kvm; tcg lets QEMU's half run on a
 * host without /dev/kvm, for trying the bench out). -d is where the
 * streams are written (a directory under /tmp by default); a stream is
 * removed once restored. --no-idle runs only the touched cases.
 * --hv-log runs keel-hv at log level debug (through a script in that
 * directory) and prints what its log says about each restore (where the
 * time went: hypervisor/restore.c) and keel-hv's Rss and AnonHugePages
 * right after it.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <json-c/json.h>

#include "harness.h"
#include "bench_vmm.h"
#include "keeld_fixture.h"

#define READY_LINE "KEEL-GUEST-READY"
#define DOM_NAME "savebench"
#define MAX_MEMS 4
#define PAGE 4096
#define MIB (1024.0 * 1024.0)

struct bench_cfg {
	int timeout_ms;
	int mems[MAX_MEMS];
	int nmems;
	int vcpus;
	bool touch, idle;
	bool qemu, keel;
	bool hv_log;
	const char *cmdline;
	const char *machine, *accel;
	const char *kernel, *initrd;
	const char *qemu_bin, *keel_bin, *keeld, *hv, *schema_dir;
	char dir[PATH_MAX];
};

/* One row of the table; a value < 0 was not measured. */
struct result {
	const char *vmm;
	int mib;
	bool touched;
	double used_mib, nonzero_mib;
	double save_ms, restore_ms, console_ms, stream_mib;
	char why[160]; /* the first thing that failed, or "" */
};

static void result_init(struct result *r, const char *vmm, int mib,
			bool touched)
{
	memset(r, 0, sizeof(*r));
	r->vmm = vmm;
	r->mib = mib;
	r->touched = touched;
	r->used_mib = r->nonzero_mib = -1;
	r->save_ms = r->restore_ms = r->console_ms = r->stream_mib = -1;
}

/* Note the first failure of a case (later ones follow from it). */
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

/*
 * Pages of @pid's guest RAM not all zero: its smallest anonymous
 * mapping of at least @mib MiB (QEMU under TCG has a larger one, its
 * code buffer).
 */
static double nonzero_mib(pid_t pid, int mib)
{
	char path[64], line[512];
	unsigned long long lo, hi, best_lo = 0, best_hi = 0, n = 0;
	static char buf[1 << 20];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char perms[8];
		int name_at = 0;

		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &lo, &hi,
			   perms, &name_at) < 3)
			continue;
		/* Anonymous: nothing (or only a newline) after the inode. */
		if (perms[0] != 'r' || (name_at && line[name_at] != '\0' &&
					line[name_at] != '\n'))
			continue;
		if (hi - lo >= (unsigned long long)mib << 20 &&
		    (best_hi == best_lo || hi - lo < best_hi - best_lo)) {
			best_lo = lo;
			best_hi = hi;
		}
	}
	fclose(f);
	if (best_hi == best_lo)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (unsigned long long a = best_lo; a < best_hi;) {
		size_t want = best_hi - a < sizeof(buf) ? best_hi - a :
							  sizeof(buf);
		ssize_t got = pread(fd, buf, want, (off_t)a);

		if (got <= 0)
			break;
		for (ssize_t off = 0; off + PAGE <= got; off += PAGE) {
			const uint64_t *w = (const uint64_t *)(buf + off);

			for (int i = 0; i < PAGE / 8; i++) {
				if (w[i]) {
					n++;
					break;
				}
			}
		}
		a += (unsigned long long)got;
	}
	close(fd);
	return (double)n * PAGE / MIB;
}

static double file_mib(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (double)st.st_size / MIB;
}

/*
 * At the guest's shell (after offset @at of @con's output): touch half
 * of its RAM if @r says so, then ask its used memory. Returns the offset
 * past the answer, or -errno after noting why in @r.
 */
static long guest_prepare(struct proc *con, long at,
			  const struct bench_cfg *cfg, struct result *r)
{
	long kt = -1, kf = -1;
	char line[256];
	const char *s;

	if (r->touched) {
		/*
		 * A tmpfs of its own: the initramfs' rootfs may be a tmpfs
		 * limited to half the RAM, and it already holds the
		 * initramfs.
		 */
		snprintf(line, sizeof(line),
			 "mkdir -p /b && mount -t tmpfs -o size=90%% b /b && "
			 "dd if=/dev/urandom of=/b/x bs=1M count=%d "
			 "2>/dev/null; echo TOU\"\"CHED=$?\n",
			 r->mib / 2);
		proc_type(con, line);
		at = proc_expect(con, "TOUCHED=0", (size_t)at,
				 cfg->timeout_ms);
		if (at < 0) {
			result_fail(r, "touching half the RAM failed");
			return at;
		}
	}
	proc_type(con, "echo US\"\"ED $(grep -E '^Mem(Total|Free):' "
		       "/proc/meminfo) END\n");
	at = proc_expect(con, "USED ", (size_t)at, cfg->timeout_ms);
	if (at < 0 || proc_expect(con, " END", (size_t)at,
				  cfg->timeout_ms) < 0) {
		result_fail(r, "the guest did not say its used memory");
		return at < 0 ? at : -ETIMEDOUT;
	}
	s = con->out + at;
	if (sscanf(s, "MemTotal: %ld kB MemFree: %ld kB", &kt, &kf) == 2)
		r->used_mib = (double)(kt - kf) / 1024;
	return proc_expect(con, " END", (size_t)at, 1);
}

/* --- QEMU ---------------------------------------------------------- */

static void qemu_argv(const struct bench_cfg *cfg, char **argv, char *mem,
		      char *cpus, char *qmp_arg, const char *incoming)
{
	const struct bench_qemu q = {
		.bin = cfg->qemu_bin, .machine = cfg->machine,
		.accel = cfg->accel, .kernel = cfg->kernel,
		.initrd = cfg->initrd, .cmdline = cfg->cmdline,
	};
	int n = bench_qemu_argv(&q, argv, mem, cpus, qmp_arg);

	if (incoming) {
		argv[n++] = "-incoming";
		argv[n++] = (char *)incoming;
	}
	argv[n] = NULL;
}

static void run_qemu(const struct bench_cfg *cfg, struct result *r)
{
	char mem[16], cpus[16], sock[PATH_MAX + 16], qmp_arg[PATH_MAX + 64];
	char file[PATH_MAX + 16], uri[PATH_MAX + 32], cmd[PATH_MAX + 128];
	char *argv[40];
	struct harness_client c = { .fd = -1 };
	struct proc p = { .pid = -1 };
	long long t0;
	long at;

	snprintf(mem, sizeof(mem), "%d", r->mib);
	snprintf(cpus, sizeof(cpus), "%d", cfg->vcpus);
	snprintf(sock, sizeof(sock), "%s/qmp.sock", cfg->dir);
	snprintf(qmp_arg, sizeof(qmp_arg), "unix:%s,server=on,wait=off",
		 sock);
	snprintf(file, sizeof(file), "%s/qemu.stream", cfg->dir);
	unlink(file);
	unlink(sock);
	qemu_argv(cfg, argv, mem, cpus, qmp_arg, NULL);
	if (proc_spawn(&p, argv)) {
		result_fail(r, "cannot run %s", cfg->qemu_bin);
		return;
	}
	at = proc_expect(&p, READY_LINE, 0, cfg->timeout_ms);
	if (at >= 0)
		at = proc_expect(&p, "# ", (size_t)at, cfg->timeout_ms);
	if (at < 0) {
		result_fail(r, "the guest did not reach its shell");
		goto out;
	}
	if (guest_prepare(&p, at, cfg, r) < 0)
		goto out;
	r->nonzero_mib = nonzero_mib(p.pid, r->mib);
	if (qmp_open(&c, "save", sock, 10000)) {
		result_fail(r, "no QMP on %s", sock);
		goto out;
	}
	snprintf(uri, sizeof(uri), "exec:cat > %s", file);
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"%s\"}}",
		 uri);
	/* libvirt lifts the 32 MiB/s default for a save to a file too. */
	if (!qmp(&c, "save",
		 "{\"execute\":\"migrate-set-parameters\",\"arguments\":"
		 "{\"max-bandwidth\":107374182400}}",
		 10000)) {
		result_fail(r, "migrate-set-parameters failed");
		goto out;
	}
	t0 = harness_now_ms();
	if (!qmp(&c, "save", "{\"execute\":\"stop\"}", 10000) ||
	    !qmp(&c, "save", cmd, 10000) ||
	    qmp_poll(&c, "save", "{\"execute\":\"query-migrate\"}",
		     "\"status\": \"completed\"", "\"status\": \"failed\"",
		     cfg->timeout_ms)) {
		result_fail(r, "the migration to %s failed", file);
		goto out;
	}
	r->save_ms = (double)(harness_now_ms() - t0);
	r->stream_mib = file_mib(file);
	qmp(&c, "save", "{\"execute\":\"quit\"}", 5000);
	harness_client_close(&c);
	proc_wait(&p, 10000);
	proc_dispose(&p);

	/* Restore: the same machine, from the file. */
	unlink(sock);
	snprintf(uri, sizeof(uri), "exec:cat %s", file);
	qemu_argv(cfg, argv, mem, cpus, qmp_arg, uri);
	t0 = harness_now_ms();
	if (proc_spawn(&p, argv)) {
		result_fail(r, "cannot run %s", cfg->qemu_bin);
		goto out;
	}
	/*
	 * The stream says the source was paused (QMP stop came first), so
	 * QEMU leaves the VM paused once it is in, and needs cont, as
	 * libvirt's virsh restore sends it.
	 */
	if (qmp_open(&c, "save", sock, 10000) ||
	    qmp_poll(&c, "save", "{\"execute\":\"query-status\"}",
		     "\"status\": \"paused\"", NULL, cfg->timeout_ms) ||
	    !qmp(&c, "save", "{\"execute\":\"cont\"}", 10000) ||
	    qmp_poll(&c, "save", "{\"execute\":\"query-status\"}",
		     "\"status\": \"running\"", NULL, cfg->timeout_ms)) {
		result_fail(r, "the restored QEMU never ran");
		goto out;
	}
	r->restore_ms = (double)(harness_now_ms() - t0);
	if (guest_answers(&p, "QALIVE", cfg->timeout_ms)) {
		result_fail(r, "the restored guest did not answer on its console");
		goto out;
	}
	r->console_ms = (double)(harness_now_ms() - t0);
	qmp(&c, "save", "{\"execute\":\"quit\"}", 5000);
	proc_wait(&p, 10000);
out:
	if (r->why[0] && p.out)
		fprintf(stderr, "save: qemu %d MiB: %s; its output ends:\n%s\n",
			r->mib, r->why, harness_tail(p.out));
	harness_client_close(&c);
	proc_dispose(&p);
	unlink(file);
	unlink(sock);
}

/* --- keel ---------------------------------------------------------- */

/* Read what keeld logged, so that its pipe never fills. */
static void keeld_drain(struct keeld_env *env)
{
	proc_expect(&env->keeld_proc, "\n\n\n\n", env->keeld_proc.len, 1);
}

/* One JSON-RPC call on a new keeld.sock connection; its answer or NULL. */
static struct json_object *keel_rpc(struct keeld_env *env, const char *line)
{
	struct json_object *o = bench_rpc(env->sock, line, CALL_TIMEOUT_MS);

	keeld_drain(env);
	return o;
}

static bool keel_rpc_ok(struct keeld_env *env, const char *line)
{
	struct json_object *o = keel_rpc(env, line);
	bool ok = at(o, "/result") != NULL;

	if (!ok)
		fprintf(stderr, "save: %s\n  answered %s\n", line,
			o ? json_object_to_json_string(o) : "nothing");
	json_object_put(o);
	return ok;
}

/* Is the domain running, as domain.info says? */
static bool keel_running(struct keeld_env *env)
{
	struct json_object *o = keel_rpc(
		env, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.info\","
		     "\"params\":{\"name\":\"" DOM_NAME "\"}}");
	bool running = !strcmp(str_at(o, "/result/state"), "running");

	json_object_put(o);
	return running;
}

/* keel-hv's pid, from the domain's state.json under the run directory. */
static pid_t keel_hv_pid(struct keeld_env *env)
{
	char path[PATH_MAX];
	struct dirent *de;
	pid_t pid = -1;
	DIR *d;

	snprintf(path, sizeof(path), "%s/domains", env->run_dir);
	d = opendir(path);
	if (!d)
		return -1;
	while (pid < 0 && (de = readdir(d))) {
		struct json_object *st, *v;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/domains/%s/state.json",
			 env->run_dir, de->d_name);
		st = json_object_from_file(path);
		if (st && json_object_object_get_ex(st, "pid", &v))
			pid = json_object_get_int(v);
		json_object_put(st);
	}
	closedir(d);
	return pid;
}

/*
 * keel-hv's log lines about its restore (--hv-log), indented, and how
 * much of its memory is in huge pages right after it.
 */
static void print_hv_log(struct keeld_env *env)
{
	char path[PATH_MAX], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/" DOM_NAME ".log", env->log_dir);
	f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (strstr(line, "estore"))
				printf("    %s", line);
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup",
		 (int)keel_hv_pid(env));
	f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "Rss:", 4) ||
			    !strncmp(line, "AnonHugePages:", 14))
				printf("    keel-hv %s", line);
		fclose(f);
	}
	fflush(stdout);
}

/*
 * --hv-log: a script that runs keel-hv at log level debug, in the
 * streams' directory; its path, or NULL.
 */
static const char *hv_debug_script(const struct bench_cfg *cfg)
{
	static char path[PATH_MAX + 16];
	FILE *f;

	snprintf(path, sizeof(path), "%s/keel-hv-debug", cfg->dir);
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fprintf(f, "#!/bin/sh\nexec '%s' --log-level=debug \"$@\"\n",
		cfg->hv);
	if (fclose(f) || chmod(path, 0755))
		return NULL;
	return path;
}

/* Run the CLI with @args (after the socket) to its end; its status. */
static int keel_cli(const struct bench_cfg *cfg, struct keeld_env *env,
		    char **args, struct result *r)
{
	char *argv[12] = { (char *)cfg->keel_bin, "-c", env->sock };
	struct proc p;
	int n = 3, rc;

	for (int i = 0; args[i] && n < 11; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (proc_spawn(&p, argv))
		return -ENOENT;
	rc = proc_wait(&p, cfg->timeout_ms);
	if (rc != 0) {
		char *nl;

		result_fail(r, "keel %s exited %d: %.100s", args[0], rc,
		     p.out ? p.out : "");
		nl = strchr(r->why, '\n');
		if (nl)
			*nl = '\0';
	}
	proc_dispose(&p);
	keeld_drain(env);
	return rc;
}

static int keel_console(const struct bench_cfg *cfg, struct keeld_env *env,
			struct proc *con)
{
	char *argv[] = { (char *)cfg->keel_bin, "-c", env->sock, "console",
			 "-t", "serial", DOM_NAME, NULL };

	return proc_spawn(con, argv);
}

static void run_keel(const struct bench_cfg *cfg, struct keeld_env *env,
		     struct result *r)
{
	char line[3 * PATH_MAX], file[PATH_MAX + 16];
	char *save_args[] = { "save", DOM_NAME, file, NULL };
	char *restore_args[] = { "restore", file, NULL };
	struct proc con = { .pid = -1 };
	long long t0;
	long at;

	snprintf(file, sizeof(file), "%s/keel.stream", cfg->dir);
	unlink(file);
	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.create\","
		 "\"params\":{\"config\":{\"name\":\"" DOM_NAME "\","
		 "\"kernel\":\"%s\",\"ramdisk\":\"%s\",\"memory\":%d,"
		 "\"vcpus\":%d,\"cmdline\":\"%s\"}}}",
		 cfg->kernel, cfg->initrd, r->mib, cfg->vcpus, cfg->cmdline);
	if (!keel_rpc_ok(env, line)) {
		result_fail(r, "domain.create failed");
		return;
	}
	if (keel_console(cfg, env, &con)) {
		result_fail(r, "cannot run %s", cfg->keel_bin);
		goto out;
	}
	at = proc_expect(&con, READY_LINE, 0, cfg->timeout_ms);
	if (at >= 0)
		at = proc_expect(&con, "# ", (size_t)at, cfg->timeout_ms);
	keeld_drain(env);
	if (at < 0) {
		result_fail(r, "the guest did not reach its shell");
		goto out;
	}
	if (guest_prepare(&con, at, cfg, r) < 0)
		goto out;
	r->nonzero_mib = nonzero_mib(keel_hv_pid(env), r->mib);
	/* The console's end with the domain's is not what is measured. */
	proc_dispose(&con);

	t0 = harness_now_ms();
	if (keel_cli(cfg, env, save_args, r))
		goto out;
	r->save_ms = (double)(harness_now_ms() - t0);
	r->stream_mib = file_mib(file);

	t0 = harness_now_ms();
	if (keel_cli(cfg, env, restore_args, r))
		goto out;
	while (!keel_running(env)) {
		if (harness_now_ms() - t0 > cfg->timeout_ms) {
			result_fail(r, "the restored domain never ran");
			goto out;
		}
		usleep(10000);
	}
	r->restore_ms = (double)(harness_now_ms() - t0);
	if (cfg->hv_log)
		print_hv_log(env);
	if (keel_console(cfg, env, &con) ||
	    guest_answers(&con, "KALIVE", cfg->timeout_ms)) {
		result_fail(r, "the restored guest did not answer on its console");
		goto out;
	}
	r->console_ms = (double)(harness_now_ms() - t0);
out:
	if (r->why[0] && con.out)
		fprintf(stderr, "save: keel %d MiB: %s; its console ends:\n%s\n",
			r->mib, r->why, harness_tail(con.out));
	proc_dispose(&con);
	keel_rpc(env, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
		      "\"domain.destroy\",\"params\":{\"name\":\"" DOM_NAME
		      "\"}}");
	unlink(file);
}

/* --- the table ----------------------------------------------------- */

static void print_row(const struct result *r)
{
	char used[16], nz[16], save[16], restore[16], con[16], stream[16];

	bench_cell(used, sizeof(used), r->used_mib, 1);
	bench_cell(nz, sizeof(nz), r->nonzero_mib, 1);
	bench_cell(save, sizeof(save), r->save_ms, 0);
	bench_cell(restore, sizeof(restore), r->restore_ms, 0);
	bench_cell(con, sizeof(con), r->console_ms, 0);
	bench_cell(stream, sizeof(stream), r->stream_mib, 1);
	printf("%-9s %5d %-7s %9s %9s %9s %10s %10s %10s%s%s\n", r->vmm,
	       r->mib, r->touched ? "touched" : "idle", used, nz, save,
	       restore, con, stream, r->why[0] ? "  # " : "", r->why);
	fflush(stdout);
}

/* The goals of issue 11 for one case, where both sides were measured. */
static void print_goals(const struct result *k, const struct result *q)
{
	if (k->stream_mib < 0)
		return;
	printf("  %d MiB %s:", k->mib, k->touched ? "touched" : "idle");
	if (k->restore_ms > 0 && q->restore_ms > 0)
		printf(" restore keel/qemu %.2f (goal <= 0.5);",
		       k->restore_ms / q->restore_ms);
	if (k->console_ms > 0 && q->console_ms > 0)
		printf(" console keel/qemu %.2f;",
		       k->console_ms / q->console_ms);
	if (k->stream_mib >= 0 && q->stream_mib >= 0)
		printf(" stream keel/qemu %.2f;",
		       q->stream_mib > 0 ? k->stream_mib / q->stream_mib : 0);
	if (!k->touched && k->stream_mib >= 0 && k->used_mib > 0)
		printf(" keel stream/used %.3f, stream/non-zero %.3f "
		       "(goal <= 1.01)",
		       k->stream_mib / k->used_mib,
		       k->nonzero_mib > 0 ? k->stream_mib / k->nonzero_mib :
					    -1);
	printf("\n");
}

static void usage(void)
{
	fprintf(stderr,
		"usage: save [-t TIMEOUT_S] [-m MIB[,MIB...]] [-c VCPUS] "
		"[-a CMDLINE] [-M MACHINE] [-A ACCEL] [-d DIR] [--no-qemu] "
		"[--no-keel] [--no-touch] [--no-idle] [--hv-log] "
		"[--keel PATH] [--keeld PATH] "
		"[--hv PATH] [--qemu PATH] [--schema-dir DIR] KERNEL "
		"INITRD\n");
	exit(2);
}

static void parse_mems(struct bench_cfg *cfg, const char *s)
{
	char *end;

	cfg->nmems = 0;
	while (*s && cfg->nmems < MAX_MEMS) {
		long v = strtol(s, &end, 10);

		if (end == s || v < 64 || v > 65536)
			usage();
		cfg->mems[cfg->nmems++] = (int)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			usage();
	}
	if (!cfg->nmems)
		usage();
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-qemu", no_argument, NULL, 'Q' },
		{ "no-keel", no_argument, NULL, 'K' },
		{ "no-touch", no_argument, NULL, 'T' },
		{ "no-idle", no_argument, NULL, 'I' },
		{ "hv-log", no_argument, NULL, 'L' },
		{ "keel", required_argument, NULL, 'k' },
		{ "keeld", required_argument, NULL, 'D' },
		{ "hv", required_argument, NULL, 'H' },
		{ "qemu", required_argument, NULL, 'q' },
		{ "schema-dir", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_cfg cfg = {
		.timeout_ms = 600000,
		.mems = { 256, 1024 },
		.nmems = 2,
		.vcpus = 1,
		.touch = true,
		.idle = true,
		.qemu = true,
		.keel = true,
		.cmdline = "console=ttyS0 quiet",
		.machine = "q35",
		.accel = "kvm",
		.qemu_bin = "/usr/bin/qemu-system-x86_64",
	};
	struct keeld_env env;
	bool keeld_up = false, own_dir = false;
	const char *dir = NULL;
	int c;

	memset(&env, 0, sizeof(env));
	env.keeld_proc.pid = -1;
	while ((c = getopt_long(argc, argv, "t:m:c:a:M:A:d:", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 't':
			cfg.timeout_ms = atoi(optarg) * 1000;
			break;
		case 'm':
			parse_mems(&cfg, optarg);
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
		case 'A':
			cfg.accel = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'Q':
			cfg.qemu = false;
			break;
		case 'K':
			cfg.keel = false;
			break;
		case 'T':
			cfg.touch = false;
			break;
		case 'I':
			cfg.idle = false;
			break;
		case 'L':
			cfg.hv_log = true;
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
		default:
			usage();
		}
	}
	if (argc - optind != 2 || cfg.timeout_ms < 1000 || cfg.vcpus < 1 ||
	    (!cfg.touch && !cfg.idle))
		usage();
	signal(SIGPIPE, SIG_IGN);
	cfg.kernel = strdup(absolute(argv[optind]));
	cfg.initrd = strdup(absolute(argv[optind + 1]));
	cfg.keel_bin = strdup(absolute(cfg.keel_bin ? cfg.keel_bin :
					       harness_path("cli/keel")));
	cfg.hv = strdup(absolute(cfg.hv ? cfg.hv :
				       harness_path("hypervisor/keel-hv")));
	cfg.keeld = strdup(absolute(cfg.keeld ? cfg.keeld :
				       harness_path("daemon/keeld")));
	cfg.schema_dir = cfg.schema_dir ? absolute(cfg.schema_dir) :
					  default_schema_dir();
	if (dir) {
		snprintf(cfg.dir, sizeof(cfg.dir), "%s", absolute(dir));
	} else {
		snprintf(cfg.dir, sizeof(cfg.dir), "/tmp/keel-save.XXXXXX");
		if (!mkdtemp(cfg.dir)) {
			perror("save: mkdtemp");
			return 1;
		}
		own_dir = true;
	}

	printf("save benchmark: %d vCPU(s), cmdline \"%s\", QEMU -M %s "
	       "-accel %s, streams in %s\nkernel %s\ninitrd %s\n"
	       "Times in ms, sizes in MiB. save: until the stream is "
	       "complete; restore: until\nthe VMM runs the guest; console: "
	       "until the guest answers at its shell\n(both from the "
	       "restore's start). touched: half the RAM written from "
	       "/dev/urandom.\n\n",
	       cfg.vcpus, cfg.cmdline, cfg.machine, cfg.accel, cfg.dir,
	       cfg.kernel, cfg.initrd);
	if (cfg.keel && cfg.hv_log) {
		const char *script = hv_debug_script(&cfg);

		if (!script) {
			fprintf(stderr, "save: cannot write a script in %s.\n",
				cfg.dir);
			return 1;
		}
		cfg.hv = script;
	}
	if (cfg.keel) {
		keeld_up = !keeld_env_start(&env, "save", cfg.keeld,
					    cfg.schema_dir, cfg.hv, NULL);
		if (!keeld_up)
			fprintf(stderr, "save: no keeld: keel's rows are "
					"skipped.\n");
	}
	printf("%-9s %5s %-7s %9s %9s %9s %10s %10s %10s\n", "vmm", "MiB",
	       "load", "used", "non-zero", "save", "restore", "console",
	       "stream");
	for (int m = 0; m < cfg.nmems; m++) {
		for (int t = cfg.idle ? 0 : 1; t < (cfg.touch ? 2 : 1); t++) {
			struct result k, q;

			result_init(&k, "keel", cfg.mems[m], t);
			result_init(&q, "qemu", cfg.mems[m], t);
			if (cfg.keel) {
				if (keeld_up)
					run_keel(&cfg, &env, &k);
				else
					result_fail(&k, "no keeld");
				print_row(&k);
			}
			if (cfg.qemu) {
				run_qemu(&cfg, &q);
				print_row(&q);
			}
			if (cfg.keel && cfg.qemu)
				print_goals(&k, &q);
		}
	}
	if (cfg.keel)
		keeld_env_stop(&env);
	if (cfg.keel && cfg.hv_log)
		unlink(cfg.hv);
	if (own_dir)
		rmdir(cfg.dir);
	return 0;
}
