// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv's save and restore (docs/hypervisor.md, "Save and restore";
 * docs/stream.md) on /dev/kvm with the in-tree test guests: a guest
 * saved by the control socket's save and started again with --restore
 * goes on where it was; a save that fails leaves no file and the guest
 * running; a damaged stream is refused with a sentence, never run.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "hv_proto.h"
#include "memsum.h"
#include "runner.h"

#define TIMEOUT_MS 30000

/* A directory for the control socket, the status file and the saves. */
struct scratch {
	struct harness_hv_dir hv;
	char save[64];
	char disk[64];
	bool prefault;	/* both runs back all RAM at start (--prefault) */
};

static void scratch_init(struct scratch *s)
{
	memset(s, 0, sizeof(*s));
	harness_hv_dir_init(&s->hv, "/tmp/keel-save-XXXXXX");
	snprintf(s->save, sizeof(s->save), "%s/dom.save", s->hv.dir);
	snprintf(s->disk, sizeof(s->disk), "%s/disk.img", s->hv.dir);
	harness_write_at(s->disk, 1 << 20, 0, "");
}

static void scratch_dispose(struct scratch *s)
{
	unlink(s->save);
	unlink(s->disk);
	harness_hv_dir_dispose(&s->hv);
}

/*
 * The machine both runs use: @name with 2 vCPUs (the guest starts one;
 * the other must stay offline across the save), every kind of virtio
 * device but a NIC, whose state each save carries.
 */
#define HV_ARGV_MAX 40

static void hv_argv(char **argv, const struct scratch *s, const char *name,
		    const char *mem, bool restore, int fd, bool paused)
{
	static char fdarg[32];
	static char diskarg[80];
	unsigned n = 0;

	argv[n++] = (char *)harness_path("hypervisor/keel-hv");
	if (restore) {
		snprintf(fdarg, sizeof(fdarg), "--" HV_OPT_RESTORE "=%d", fd);
		argv[n++] = fdarg;
	} else {
		argv[n++] = "--kernel";
		argv[n++] = (char *)harness_guest(name);
	}
	snprintf(diskarg, sizeof(diskarg), "--disk=%s", s->disk);
	argv[n++] = "--memory";
	argv[n++] = (char *)mem;
	argv[n++] = "--vcpus";
	argv[n++] = "2";
	argv[n++] = "--console";
	argv[n++] = "stdio";
	argv[n++] = diskarg;
	argv[n++] = "--rng";
	argv[n++] = "--balloon";
	argv[n++] = "--virtio-console";
	argv[n++] = "--control";
	argv[n++] = (char *)s->hv.sock;
	argv[n++] = "--status-file";
	argv[n++] = (char *)s->hv.status;
	if (paused)
		argv[n++] = "--paused";
	if (s->prefault)
		argv[n++] = "--" HV_OPT_PREFAULT;
	argv[n] = NULL;
}

static void hv_start(struct proc *p, const struct scratch *s,
		     const char *name, const char *mem, bool paused)
{
	char *argv[HV_ARGV_MAX];

	hv_argv(argv, s, name, mem, false, -1, paused);
	ck_assert_int_eq(proc_spawn(p, argv), 0);
}

/* keel-hv --restore from file @path, with the machine of hv_start(). */
static void hv_restore(struct proc *p, const struct scratch *s,
		       const char *path, const char *mem, bool paused)
{
	char *argv[HV_ARGV_MAX];
	int fd = open(path, O_RDONLY);

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	hv_argv(argv, s, NULL, mem, true, fd, paused);
	ck_assert_int_eq(proc_spawn(p, argv), 0);
	close(fd);
}

/*
 * Send request @line with id @id and return its answer (malloc'd),
 * counting the save-progress notifications that come before it.
 */
static char *call(struct harness_client *c, const char *line, int id,
		  unsigned *progress)
{
	char want[32];
	char *r;

	snprintf(want, sizeof(want), "\"id\":%d", id);
	ck_assert_int_eq(harness_client_send(c, line, strlen(line)), 0);
	ck_assert_int_eq(harness_client_send(c, "\n", 1), 0);
	for (;;) {
		r = harness_client_readline(c, TIMEOUT_MS);
		ck_assert_msg(r != NULL, "no answer to %s", line);
		if (strstr(r, want))
			return r;
		if (progress && strstr(r, "\"" HV_CTL_SAVE_PROGRESS "\"") &&
		    strstr(r, "\"done\""))
			(*progress)++;
		free(r);
	}
}

static char *save(struct harness_client *c, const char *path,
		  const char *then, int id, unsigned *progress)
{
	char line[512];

	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"save\",\"params\":{\"path\":\"%s\",\"then\":\"%s\",\"config\":{\"name\":\"t\"}}}",
		 id, path, then);
	return call(c, line, id, progress);
}

/* save then=stop on @c (closed after), and @p ends as saved. */
static void save_and_stop(struct harness_client *c, const struct scratch *s,
			  struct proc *p, int id)
{
	char *r = save(c, s->save, "stop", id, NULL);

	ck_assert_msg(strstr(r, "\"bytes\":"), "save: %s", r);
	free(r);
	harness_client_close(c);
	ck_assert_int_eq(proc_wait(p, TIMEOUT_MS), HV_EXIT_SAVED);
}

/*
 * A restored memsum, paused: resume it on @c (closed after); it checks
 * its RAM and powers off.
 */
static void resume_to_poweroff(struct harness_client *c, struct proc *q)
{
	free(call(c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resume\"}", 2,
		  NULL));
	harness_client_close(c);
	ck_assert_int_eq(proc_wait(q, TIMEOUT_MS), HV_EXIT_POWEROFF);
	ck_assert_msg(strstr(q->out, "memsum OK"), "self-check: %s", q->out);
}

/* The last "dirty beat=N" in @out after @from; -1 if none. */
static long last_beat(const char *out, size_t from)
{
	const char *p = out + from, *q;
	long beat = -1;

	while ((q = strstr(p, "dirty beat=")) != NULL) {
		beat = strtol(q + 11, NULL, 10);
		p = q + 11;
	}
	return beat;
}

/* Every heartbeat in @out says errors=0, and there is one. */
static bool no_errors(const char *out)
{
	const char *p = out;
	bool any = false;

	while ((p = strstr(p, "errors=")) != NULL) {
		p += 7;
		if (*p != '0')
			return false;
		any = true;
	}
	return any;
}

static void check_saved_status(const struct scratch *s)
{
	char *text = harness_read_file(s->hv.status, NULL);
	char want[64];

	ck_assert_msg(text != NULL, "no status file");
	snprintf(want, sizeof(want), "{\"reason\":\"" HV_REASON_SAVED "\",\"status\":%d,",
		 HV_EXIT_SAVED);
	ck_assert_msg(strstr(text, want) == text, "status file %s", text);
	free(text);
	unlink(s->hv.status);
}

/*
 * dirty rewrites its RAM and checks every page it wrote a pass before:
 * saved in the middle, ended (exit status 5), restored with the same
 * machine, it goes on counting its heartbeats with no page lost.
 */
START_TEST(test_dirty_save_stop_restore)
{
	struct scratch s;
	struct harness_client c;
	struct proc p, q;
	unsigned progress = 0;
	struct stat st;
	long before, after;
	size_t from;
	char *r;

	scratch_init(&s);
	hv_start(&p, &s, "dirty", "32M", false);
	ck_assert_int_eq(harness_client_open(&c, s.hv.sock, 10000), 0);
	ck_assert_msg(proc_expect(&p, "dirty beat=3 ", 0, TIMEOUT_MS) > 0,
		      "no heartbeat: %s", harness_tail(p.out));
	free(call(&c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\"}",
		  1, NULL));
	r = save(&c, s.save, "stop", 2, &progress);
	ck_assert_msg(strstr(r, "\"bytes\":") && strstr(r, "\"ms\":"),
		      "save: %s", r);
	free(r);
	ck_assert_msg(progress >= 1, "no save-progress notification");
	harness_client_close(&c);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_SAVED);
	check_saved_status(&s);
	ck_assert_int_eq(stat(s.save, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	before = last_beat(p.out, 0);
	ck_assert_int_ge(before, 3);

	hv_restore(&q, &s, s.save, "32M", false);
	from = 0;
	ck_assert_msg(proc_expect(&q, "dirty beat=", from, TIMEOUT_MS) > 0,
		      "no heartbeat after restore: %s", harness_tail(q.out));
	/* Two more, so the pass that was cut in two is checked too. */
	proc_expect(&q, "\x01never\x01", 0, 2000);
	after = last_beat(q.out, 0);
	ck_assert_msg(after > before, "beat %ld before, %ld after: %s", before,
		      after, harness_tail(q.out));
	ck_assert_msg(!strstr(q.out, "lost what pass") &&
			      !strstr(q.out, "FAIL") && no_errors(q.out),
		      "pages lost: %s", harness_tail(q.out));
	harness_hv_stop(&q, TIMEOUT_MS);
	proc_dispose(&p);
	scratch_dispose(&s);
}
END_TEST

/*
 * memsum, saved before its first instruction (--paused) and restored:
 * it then runs from the stream alone (no kernel, no boot state loaded)
 * and its checksum over all its RAM is the one the host computes.
 */
START_TEST(test_memsum_paused_save_restore)
{
	uint64_t start = 0x100000, end = 32ULL << 20;
	struct scratch s;
	struct harness_client c;
	struct proc p, q;
	char want[64];
	char *r;

	ck_assert(memsum_clip(&start, &end));
	snprintf(want, sizeof(want), "memsum pages=%llu sum=%016llx",
		 (unsigned long long)((end - start) / MEMSUM_PAGE),
		 (unsigned long long)memsum_range(start, end));
	scratch_init(&s);
	hv_start(&p, &s, "memsum", "32M", true);
	ck_assert_int_eq(harness_client_open(&c, s.hv.sock, 10000), 0);
	save_and_stop(&c, &s, &p, 1);
	ck_assert_msg(!strstr(p.out, "memsum"), "memsum ran: %s", p.out);
	check_saved_status(&s);

	/* --paused holds it until resume, as for a boot. */
	hv_restore(&q, &s, s.save, "32M", true);
	ck_assert_int_eq(harness_client_open(&c, s.hv.sock, 10000), 0);
	r = call(&c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}", 1,
		 NULL);
	ck_assert_msg(strstr(r, "\"state\":\"paused\""), "status: %s", r);
	free(r);
	resume_to_poweroff(&c, &q);
	ck_assert_msg(strstr(q.out, want), "want \"%s\" in: %s", want, q.out);
	proc_dispose(&q);
	proc_dispose(&p);
	scratch_dispose(&s);
}
END_TEST

/*
 * --prefault backs all guest RAM before the guest runs, and a restore
 * keeps it so: the RAM of a memsum saved before its first instruction
 * is nearly all zero pages in the stream, which a restore without
 * prefault leaves unbacked. The guest's checksum still holds.
 */
START_TEST(test_prefault_save_restore)
{
	const long ram_kib = 64 * 1024;
	struct scratch s;
	struct harness_client c;
	struct proc p, q;
	long kib;

	scratch_init(&s);
	s.prefault = true;
	hv_start(&p, &s, "memsum", "64M", true);
	ck_assert_int_eq(harness_client_open(&c, s.hv.sock, 10000), 0);
	kib = harness_status_kib(p.pid, "RssAnon");
	ck_assert_msg(kib >= ram_kib, "RssAnon %ld KiB after a start with --prefault and 64 MiB: %s",
		      kib, harness_tail(p.out));
	save_and_stop(&c, &s, &p, 1);
	check_saved_status(&s);

	hv_restore(&q, &s, s.save, "64M", true);
	ck_assert_int_eq(harness_client_open(&c, s.hv.sock, 10000), 0);
	kib = harness_status_kib(q.pid, "RssAnon");
	ck_assert_msg(kib >= ram_kib, "RssAnon %ld KiB after a restore with --prefault: %s",
		      kib, harness_tail(q.out));
	resume_to_poweroff(&c, &q);
	proc_dispose(&q);
	proc_dispose(&p);
	scratch_dispose(&s);
}
END_TEST

/*
 * A disk plugged at run time sits after the devices created at boot;
 * the restoring command line (the domain's disks in order, as keeld
 * gives them) creates it among them. The restore puts every device
 * back in its saved slot, BARs and all, and the guest runs.
 */
START_TEST(test_plugged_disk_keeps_slot)
{
	struct scratch s;
	struct harness_client c;
	struct proc p, q;
	char *argv[HV_ARGV_MAX + 2], disk2[96], extra[112], line[256];
	int fd, slot0, slot1, n;
	char *r;

	scratch_init(&s);
	snprintf(disk2, sizeof(disk2), "%s/disk2.img", s.hv.dir);
	harness_write_at(disk2, 1 << 20, 0, "");
	hv_start(&p, &s, "memsum", "32M", true);
	ck_assert_int_eq(harness_client_open(&c, s.hv.sock, 10000), 0);
	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" HV_CTL_DEVICE_ADD
		 "\",\"params\":{\"disk\":\"%s\"}}", disk2);
	r = call(&c, line, 1, NULL);
	ck_assert_msg(strstr(r, "\"device\":\"vblk1\""), "device-add: %s", r);
	free(r);
	r = call(&c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"" HV_CTL_DEVICES
		     "\"}", 2, NULL);
	slot0 = harness_devices_slot(r, "vblk0");
	slot1 = harness_devices_slot(r, "vblk1");
	/* Created second, it would be in vblk0's next slot. */
	ck_assert_msg(slot0 > 0 && slot1 > slot0 + 1, "devices: %s", r);
	free(r);
	save_and_stop(&c, &s, &p, 3);
	check_saved_status(&s);

	fd = open(s.save, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	hv_argv(argv, &s, NULL, "32M", true, fd, true);
	for (n = 0; argv[n]; n++)
		;
	snprintf(extra, sizeof(extra), "--disk=%s", disk2);
	argv[n] = extra;
	argv[n + 1] = NULL;
	ck_assert_int_eq(proc_spawn(&q, argv), 0);
	close(fd);
	ck_assert_int_eq(harness_client_open(&c, s.hv.sock, 10000), 0);
	r = call(&c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" HV_CTL_DEVICES
		     "\"}", 1, NULL);
	ck_assert_msg(harness_devices_slot(r, "vblk0") == slot0 &&
			      harness_devices_slot(r, "vblk1") == slot1,
		      "restored: %s; saved: vblk0 in %d, vblk1 in %d", r, slot0,
		      slot1);
	free(r);
	resume_to_poweroff(&c, &q);
	proc_dispose(&q);
	proc_dispose(&p);
	unlink(disk2);
	scratch_dispose(&s);
}
END_TEST

/*
 * then=resume and then=pause keep the VM; a second save to the same
 * path, a relative path and an unknown then are refused.
 */
START_TEST(test_save_resume_pause_refusals)
{
	struct scratch s;
	struct harness_client c;
	struct proc p;
	size_t from;
	char *r;

	scratch_init(&s);
	hv_start(&p, &s, "dirty", "32M", false);
	ck_assert_int_eq(harness_client_open(&c, s.hv.sock, 10000), 0);
	ck_assert_msg(proc_expect(&p, "dirty beat=1 ", 0, TIMEOUT_MS) > 0,
		      "no heartbeat: %s", harness_tail(p.out));
	r = save(&c, s.save, "resume", 1, NULL);
	ck_assert_msg(strstr(r, "\"result\""), "save: %s", r);
	free(r);
	from = p.len;
	ck_assert_msg(proc_expect(&p, "dirty beat=", from, TIMEOUT_MS) > 0,
		      "the guest stopped after save-resume: %s",
		      harness_tail(p.out));
	r = save(&c, s.save, "resume", 2, NULL);
	ck_assert_msg(strstr(r, "-32602") && strstr(r, "File exists"),
		      "second save: %s", r);
	free(r);
	r = save(&c, "relative/file", "resume", 3, NULL);
	ck_assert_msg(strstr(r, "-32602") && strstr(r, "absolute"),
		      "relative: %s", r);
	free(r);
	unlink(s.save);
	r = save(&c, s.save, "hibernate", 4, NULL);
	ck_assert_msg(strstr(r, "-32602") && strstr(r, "then"), "then: %s", r);
	free(r);
	ck_assert_msg(access(s.save, F_OK) != 0, "a refused save left a file");
	r = save(&c, s.save, "pause", 5, NULL);
	ck_assert_msg(strstr(r, "\"result\""), "save: %s", r);
	free(r);
	r = call(&c, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"status\"}", 6,
		 NULL);
	ck_assert_msg(strstr(r, "\"state\":\"paused\""), "status: %s", r);
	free(r);
	r = call(&c, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"resume\"}", 7,
		 NULL);
	ck_assert_msg(strstr(r, "\"result\""), "resume: %s", r);
	free(r);
	from = p.len;
	ck_assert_msg(proc_expect(&p, "dirty beat=", from, TIMEOUT_MS) > 0,
		      "the guest did not resume: %s", harness_tail(p.out));
	harness_client_close(&c);
	harness_hv_stop(&p, TIMEOUT_MS);
	scratch_dispose(&s);
}
END_TEST

/*
 * A save onto a full file system (a 1 MiB tmpfs: dirty's RAM is 30 MiB
 * of data) fails with a sentence, leaves no file and the guest running.
 * Needs the right to mount (the nested runner is root).
 */
START_TEST(test_save_full_fs)
{
	struct scratch s;
	struct harness_client c;
	struct proc p;
	char mnt[80], path[96];
	size_t from;
	char *r;

	scratch_init(&s);
	snprintf(mnt, sizeof(mnt), "%s/small", s.hv.dir);
	ck_assert_int_eq(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m") < 0) {
		printf("SKIP: test_save_full_fs: cannot mount a tmpfs: %s\n",
		       strerror(errno));
		rmdir(mnt);
		scratch_dispose(&s);
		return;
	}
	snprintf(path, sizeof(path), "%s/dom.save", mnt);
	hv_start(&p, &s, "dirty", "32M", false);
	ck_assert_int_eq(harness_client_open(&c, s.hv.sock, 10000), 0);
	ck_assert_msg(proc_expect(&p, "dirty beat=2 ", 0, TIMEOUT_MS) > 0,
		      "no heartbeat: %s", harness_tail(p.out));
	r = save(&c, path, "stop", 1, NULL);
	ck_assert_msg(strstr(r, "\"error\"") && strstr(r, "full"),
		      "save on a full file system: %s", r);
	free(r);
	ck_assert_msg(access(path, F_OK) != 0, "the partial file is left");
	r = call(&c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"status\"}", 2,
		 NULL);
	ck_assert_msg(strstr(r, "\"state\":\"running\""), "status: %s", r);
	free(r);
	from = p.len;
	ck_assert_msg(proc_expect(&p, "dirty beat=", from, TIMEOUT_MS) > 0,
		      "the guest stopped: %s", harness_tail(p.out));
	harness_client_close(&c);
	harness_hv_stop(&p, TIMEOUT_MS);
	umount(mnt);
	rmdir(mnt);
	scratch_dispose(&s);
}
END_TEST

/*
 * keel-hv --restore from @buf (@len bytes) must exit 1, the status file
 * saying why in a sentence, and the guest must not have run.
 */
static void restore_refused(const struct scratch *s, const void *buf,
			    size_t len, const char *what)
{
	char path[80];
	struct proc p;
	char *text;
	int rc;

	snprintf(path, sizeof(path), "%s/bad.save", s->hv.dir);
	harness_write_file(path, buf, len);
	hv_restore(&p, s, path, "32M", false);
	rc = proc_wait(&p, TIMEOUT_MS);
	if (rc == -ETIMEDOUT)
		kill(p.pid, SIGKILL);
	ck_assert_msg(rc == HV_EXIT_ERROR, "%s: exit %d: %s", what, rc,
		      harness_tail(p.out));
	ck_assert_msg(!strstr(p.out, "memsum"), "%s: the guest ran: %s", what,
		      harness_tail(p.out));
	text = harness_read_file(s->hv.status, NULL);
	ck_assert_msg(text && strstr(text, "\"reason\":\"error\"") &&
			      strstr(text, "\"detail\":\""),
		      "%s: status file %s", what, text ? text : "(none)");
	free(text);
	unlink(s->hv.status);
	unlink(path);
	proc_dispose(&p);
}

/*
 * A real stream (memsum, saved paused: small) cut at every record
 * boundary and at a few places inside records, and with bits flipped
 * across it: every one is refused whole.
 */
START_TEST(test_restore_hostile_streams)
{
	struct scratch s;
	struct harness_client c;
	struct proc p;
	uint64_t off = 16;
	unsigned nrec = 0;
	size_t len;
	char what[64];
	uint8_t *buf;

	scratch_init(&s);
	hv_start(&p, &s, "memsum", "32M", true);
	ck_assert_int_eq(harness_client_open(&c, s.hv.sock, 10000), 0);
	save_and_stop(&c, &s, &p, 1);
	proc_dispose(&p);
	unlink(s.hv.status);
	buf = (uint8_t *)harness_read_file(s.save, &len);
	ck_assert_ptr_nonnull(buf);
	printf("memsum's paused stream: %zu bytes\n", len);
	/* A real stream with every kind of record, for the fuzz corpus. */
	if (getenv("KEEL_SAVE_SEED"))
		harness_write_file(getenv("KEEL_SAVE_SEED"), buf, len);

	/* Cut at each record's start, and half way into its body. */
	while (off + 16 <= len) {
		uint64_t body;

		memcpy(&body, buf + off + 8, 8); /* little-endian host */
		snprintf(what, sizeof(what), "cut at %llu",
			 (unsigned long long)off);
		restore_refused(&s, buf, off, what);
		snprintf(what, sizeof(what), "cut at %llu",
			 (unsigned long long)(off + 16 + body / 2));
		restore_refused(&s, buf, off + 16 + body / 2, what);
		off += 16 + ((body + 7) & ~7ULL);
		nrec++;
	}
	ck_assert_uint_eq(off, len);
	ck_assert_uint_ge(nrec, 5);
	/* One bit in each of 24 places spread over the stream. */
	for (unsigned i = 0; i < 24; i++) {
		size_t at = (size_t)((uint64_t)len * i / 24 + i);

		if (at >= len)
			continue;
		buf[at] ^= (uint8_t)(1u << (i % 8));
		snprintf(what, sizeof(what), "bit %u of byte %zu", i % 8, at);
		restore_refused(&s, buf, len, what);
		buf[at] ^= (uint8_t)(1u << (i % 8));
	}
	/* A machine that is not the saved one: 64 MiB instead of 32. */
	{
		char *argv[HV_ARGV_MAX];
		int fd = open(s.save, O_RDONLY);
		struct proc m;
		char *text;

		ck_assert_int_ge(fd, 0);
		hv_argv(argv, &s, NULL, "64M", true, fd, false);
		ck_assert_int_eq(proc_spawn(&m, argv), 0);
		close(fd);
		ck_assert_int_eq(proc_wait(&m, TIMEOUT_MS), HV_EXIT_ERROR);
		text = harness_read_file(s.hv.status, NULL);
		ck_assert_msg(text && strstr(text, "RAM"), "status file %s",
			      text ? text : "(none)");
		free(text);
		unlink(s.hv.status);
		proc_dispose(&m);
	}
	free(buf);
	scratch_dispose(&s);
}
END_TEST

/* keel-hv with @args must exit 1 at once, saying @why. */
static void option_refused(char **args, const char *why)
{
	char *argv[16] = { (char *)harness_path("hypervisor/keel-hv") };
	struct proc p;
	unsigned n = 1;

	for (unsigned i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_ERROR);
	ck_assert_msg(strstr(p.out, why), "want \"%s\" in: %s", why, p.out);
	proc_dispose(&p);
}

START_TEST(test_restore_option_refusals)
{
	option_refused((char *[]){ "--restore=2", NULL }, "descriptor 3 or above");
	option_refused((char *[]){ "--restore=x", NULL }, "open descriptor");
	option_refused((char *[]){ "--restore=7", "--kernel",
				   (char *)harness_guest("dirty"), NULL },
		       "give no --kernel");
	option_refused((char *[]){ "--restore=7", "--disk-fd=7", NULL },
		       "names descriptor 7, which --restore names too");
	option_refused((char *[]){ "--memory", "32M", NULL },
		       "--restore or --incoming is required");
}
END_TEST

/*
 * The Debian guest (make guest) with 2 vCPUs, a disk and an rng, saved
 * at its shell prompt and restored: its shell answers, it runs a
 * command on each vCPU, and its virtio disk and rng still work.
 */
struct linux_guest {
	struct proc p;
	long at;
};

static int linux_timeout_ms(void)
{
	return harness_long_timeout_ms();
}

/* Type @cmd and wait for @want after it (never a word @cmd contains). */
static void linux_run(struct linux_guest *g, const char *cmd,
		      const char *want)
{
	g->at = harness_con_run(&g->p, cmd, want, g->at, linux_timeout_ms());
}

static void linux_argv(char **argv, const struct scratch *s, int fd)
{
	static char fdarg[32], diskarg[80];
	unsigned n = 0;

	argv[n++] = (char *)harness_path("hypervisor/keel-hv");
	if (fd >= 0) {
		snprintf(fdarg, sizeof(fdarg), "--" HV_OPT_RESTORE "=%d", fd);
		argv[n++] = fdarg;
	} else {
		argv[n++] = "--kernel";
		argv[n++] = (char *)harness_path("guest/out/vmlinuz");
		argv[n++] = "--initrd";
		argv[n++] = (char *)harness_path("guest/out/initrd.gz");
	}
	snprintf(diskarg, sizeof(diskarg), "--disk=%s", s->disk);
	argv[n++] = "--memory";
	argv[n++] = "256M";
	argv[n++] = "--vcpus";
	argv[n++] = "2";
	argv[n++] = "--console";
	argv[n++] = "stdio";
	argv[n++] = diskarg;
	argv[n++] = "--rng";
	argv[n++] = "--control";
	argv[n++] = (char *)s->hv.sock;
	argv[n++] = "--status-file";
	argv[n++] = (char *)s->hv.status;
	argv[n] = NULL;
}

START_TEST(test_linux_save_restore)
{
	struct scratch s;
	struct harness_client c;
	struct linux_guest g = { 0 }, h = { 0 };
	char *argv[HV_ARGV_MAX];
	long long t0;
	int fd;
	char *r;

	scratch_init(&s);
	fd = open(s.disk, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "keel-save-disk", 14), 14);
	close(fd);
	linux_argv(argv, &s, -1);
	ck_assert_int_eq(proc_spawn(&g.p, argv), 0);
	g.at = harness_guest_ready(&g.p, 0, linux_timeout_ms());
	linux_run(&g, "grep -c ^processor /proc/cpuinfo | sed s/^/n=/\n",
		  "n=2");
	ck_assert_int_eq(harness_client_open(&c, s.hv.sock, 10000), 0);
	t0 = harness_now_ms();
	r = save(&c, s.save, "stop", 1, NULL);
	ck_assert_msg(strstr(r, "\"bytes\":"), "save: %s", r);
	printf("Debian guest saved in %lld ms: %s\n", harness_now_ms() - t0,
	       r);
	free(r);
	harness_client_close(&c);
	ck_assert_int_eq(proc_wait(&g.p, linux_timeout_ms()), HV_EXIT_SAVED);
	unlink(s.hv.status);

	fd = open(s.save, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	linux_argv(argv, &s, fd);
	t0 = harness_now_ms();
	ck_assert_int_eq(proc_spawn(&h.p, argv), 0);
	close(fd);
	ck_assert_int_eq(harness_client_open(&c, s.hv.sock, linux_timeout_ms()),
			 0);
	printf("Debian guest restored in %lld ms\n", harness_now_ms() - t0);
	harness_client_close(&c);
	/* The shell it was saved at answers on each vCPU. */
	linux_run(&h, "taskset 1 sh -c 'echo cpu$((0+1))ok'\n", "cpu1ok");
	linux_run(&h, "taskset 2 sh -c 'echo cpu$((1+1))ok'\n", "cpu2ok");
	/* Its disk reads, from the image, and writes through to it. */
	linux_run(&h, "echo 3 > /proc/sys/vm/drop_caches; echo got=$(head "
		      "-c 14 /dev/vda | tr a-z A-Z)\n",
		  "got=KEEL-SAVE-DISK");
	linux_run(&h, "echo keel-after-restore | dd of=/dev/vda bs=512 "
		      "seek=8 conv=fsync 2>/dev/null; echo wrote=$?\n",
		  "wrote=0");
	ck_assert_msg(harness_file_has_at(s.disk, 8 * 512,
					  "keel-after-restore"),
		      "the guest's write is not in the image");
	linux_run(&h, "echo bytes=$(head -c 64 /dev/hwrng | wc -c)\n",
		  "bytes=64");
	ck_assert_int_eq(proc_send(&h.p, "poweroff -f\n"), 0);
	ck_assert_int_eq(proc_wait(&h.p, linux_timeout_ms()),
			 HV_EXIT_POWEROFF);
	proc_dispose(&h.p);
	proc_dispose(&g.p);
	scratch_dispose(&s);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("save");
	TCase *tc = tcase_create("save and restore");
	const char *deb_why;
	bool deb_kvm;

	runner_skip_reason = harness_kvm_missing();
	runner_wants_kvm = runner_skip_reason != NULL;
	/* A Debian boot and some 60 short-lived keel-hv in emulated SVM. */
	runner_nested_seconds = 1200;
	if (!runner_skip_reason && !harness_have_file(harness_guest("dirty")))
		runner_skip_reason = "test guests are not built (make guest)";
	/*
	 * kvm_pvm runs the test guests but not the Debian guest: the whole
	 * suite moves into QEMU for it where it can, and runs here without
	 * it where it cannot.
	 */
	deb_why = harness_debian_guest_missing(&deb_kvm);
	if (!runner_skip_reason && deb_why && deb_kvm && runner_can_nest()) {
		runner_skip_reason = deb_why;
		runner_wants_kvm = true;
	}
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_dirty_save_stop_restore);
	tcase_add_test(tc, test_memsum_paused_save_restore);
	tcase_add_test(tc, test_plugged_disk_keeps_slot);
	tcase_add_test(tc, test_prefault_save_restore);
	tcase_add_test(tc, test_save_resume_pause_refusals);
	tcase_add_test(tc, test_save_full_fs);
	tcase_add_test(tc, test_restore_hostile_streams);
	tcase_add_test(tc, test_restore_option_refusals);
	suite_add_tcase(s, tc);

	/* Where it runs here, or is left out here, with a word why. */
	if (!runner_skip_reason) {
		if (deb_why) {
			printf("SKIP: test_linux_save_restore: %s\n", deb_why);
		} else {
			tc = tcase_create("debian guest");
			tcase_set_timeout(tc, (double)linux_timeout_ms() *
						      3 / 1000);
			tcase_add_test(tc, test_linux_save_restore);
			suite_add_tcase(s, tc);
		}
	}
	return s;
}
