// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live migration between two hosts on one machine (issue 12, "Tests";
 * docs/migration.md is what each case holds keeld and keel-hv to), on
 * the two-host fixture (twohost.h): host A 10.99.0.1, host B 10.99.0.2,
 * each a keeld in its own network namespace.
 *
 * - The dirty guest (tests/guests/dirty.c) A→B→A five times with
 *   `keel migrate`: its heartbeat never goes backwards on either
 *   host's console log, no pass finds a page changed (errors=0), and
 *   after each move the domain runs on exactly one host.
 * - The memsum guest, created paused and migrated before its first
 *   instruction: it runs on B from the stream alone and its checksum
 *   over all its RAM is the one computed here; the disk plugged into it
 *   on A (behind its rng) is in the same PCI slot on B.
 * - The Debian guest A→B→A, once (five times in make check-long;
 *   2 vCPUs, rng, persistent, a shared disk, a NIC on bridge
 *   kbr0 in each namespace, the two bridges joined as one LAN:
 *   twohost_lan_up()): ping from namespace A's side of the LAN loses at
 *   most a few packets over each move, a file reads back, the clock
 *   goes on, and the definition moves with the domain.
 * - The TLS matrix: no client certificate, one from another CA, a
 *   server certificate for another name, an expired client
 *   certificate, a subject on no list, a read-only subject, a TLS
 *   1.2-only peer, plain TCP where TLS is due: each refused with the
 *   domain running on A and nothing on B.
 * - Cancel (`keel migrate --cancel`, and Ctrl-C on keel migrate), the
 *   destination keel-hv killed during pre-copy, keeld B killed, the
 *   veth cut during a pass: the domain ends up running on exactly one
 *   host, which is sampled all along.
 * - The fault matrix, a fault in every later phase: keeld B hung and
 *   killed in prepare; keeld A killed in pre-copy; the veth cut, keel-hv
 *   B killed, keeld A killed and a cancel in stop-and-copy (--no-live
 *   at 1 MiB/s); keel-hv B and keeld B killed while the device state
 *   is due (the fault point KEEL_FAULT_STALL=send-device, lib/fault.h);
 *   keeld B and keel-hv B killed after B received the stream and before
 *   the commit (keeld A frozen with SIGSTOP meanwhile); a cancel
 *   refused and keeld A killed once the finish is sent (keeld B
 *   frozen). Each ends on one host with the beat going on, the other
 *   host without the domain, its keel-hv or its cgroup.
 *
 * A migration to be interrupted runs with --bandwidth 8 (MiB/s), less
 * than the dirty guest dirties (10 MiB/s): it never converges, and the
 * faults strike once the first pass has ended (its progress event).
 * KEEL_LONG_TIMEOUT (seconds, default 900) bounds each long wait.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "fault.h"
#include "harness.h"
#include "hv_proto.h"
#include "keeld_fixture.h"
#include "memsum.h"
#include "runner.h"
#include "twohost.h"

#define A 0
#define B 1
#define ROUND_TRIPS 5
#define CONVERGE_OPTS "--auto-converge --timeout 60 --timeout-action force"
/* A slow migration, to be interrupted: MiB/s for the dirty guest. */
#define SLOW_MIB "8"
#define DEB_ADDR "10.98.2.2"
#define DEB_MAC "52:54:00:12:34:62"
/*
 * Ping's interval in the Debian guest's moves (ms), and the loss allowed
 * beyond what the guest's pause explains: the pause keeld reported, in
 * pings, plus PING_LOST_EXTRA. Measured in the nested runner
 * (2026-12-05): 2-3 lost a move on an idle machine; 9 in a CI run whose
 * other nested suites slowed TCG, where a fixed bound of 5 failed.
 */
#define PING_INTERVAL "0.2"
#define PING_INTERVAL_MS 200
#define PING_LOST_EXTRA 6

static int long_ms(void)
{
	return harness_long_timeout_ms();
}

/* --- where the domain runs ----------------------------------------------- */

/*
 * Gone from a host: no such domain, or (keeld(8)) shut off there with
 * reason "migrated" for as long as keeld shows it.
 */
static bool gone(int i, const char *dom)
{
	const char *state = twohost_state(i, dom);

	return !strcmp(state, "none") || !strcmp(state, "shutoff");
}

/* Exactly one copy: running on side @i, and gone from the other. */
static void assert_runs_on(int i, const char *dom)
{
	ck_assert_str_eq(twohost_state(i, dom), "running");
	ck_assert_msg(gone(!i, dom), "%s is still %s on %s", dom,
		      twohost_state(!i, dom), twohost.side[!i].name);
}

/*
 * After a migration that failed: the domain runs on @i (it may be
 * paused for a while as keeld resolves; wait for that) and the other
 * side forgets it within @ms (an uncommitted destination is killed,
 * docs/migration.md 6-7). Never both running at one sample.
 */
static void wait_runs_only_on(int i, const char *dom, int ms)
{
	long long end = harness_now_ms() + ms;

	for (;;) {
		const char *here = twohost_state(i, dom);
		char there[32];

		snprintf(there, sizeof(there), "%s", twohost_state(!i, dom));
		ck_assert_msg(strcmp(here, "running") ||
				      strcmp(there, "running"),
			      "%s runs on both hosts", dom);
		if (!strcmp(here, "running") &&
		    strcmp(twohost_reason(i, dom), "migrating") && gone(!i, dom))
			return;
		ck_assert_msg(harness_now_ms() < end,
			      "%s is %s on %s and %s on %s, not running on %s only",
			      dom, here, twohost.side[i].name, there,
			      twohost.side[!i].name, twohost.side[i].name);
		usleep(250 * 1000);
	}
}

/* `keel migrate [@opts] @dom HOST` from side @from to the other; its status. */
static int keel_migrate(struct proc *p, int from, const char *opts,
			const char *dom)
{
	char args[2048];

	snprintf(args, sizeof(args), "migrate %s %s %s", opts ? opts : "",
		 dom, twohost.side[!from].addr);
	return twohost_keel(p, from, long_ms(), args);
}

/* keel migrate @dom from side @from; its exit status, what it said printed. */
static int keel_migrate_status(int from, const char *dom)
{
	struct proc p;
	int rc = keel_migrate(&p, from, NULL, dom);

	if (rc)
		printf("keel migrate %s: %d: %s", dom, rc, p.out);
	proc_dispose(&p);
	return rc;
}

static void migrate_ok(int from, const char *opts, const char *dom)
{
	struct proc p;
	int rc = keel_migrate(&p, from, opts, dom);

	if (rc) {
		printf("keel migrate %s: %d: %s\n", dom, rc,
		       harness_tail(p.out));
		twohost_show_logs();
		harness_sh("dmesg | tail -n 20");
	}
	ck_assert_msg(rc == 0, "keel migrate %s from %s to %s failed (%d): %s",
		      dom, twohost.side[from].name, twohost.side[!from].name,
		      rc, p.out);
	proc_dispose(&p);
	assert_runs_on(!from, dom);
}

/* --- the moves ----------------------------------------------------------- */

START_TEST(test_dirty_there_and_back)
{
	long beat = twohost_dirty_create(A, "dirty");
	/* make check: one trip there and back; make check-long: five. */
	int trips = getenv("KEEL_LONG") ? ROUND_TRIPS : 1;

	for (int trip = 1; trip <= trips; trip++) {
		for (int from = A; from <= B; from++) {
			long long t0 = harness_now_ms();

			/*
			 * Under TCG a pass is about as slow as the guest's
			 * 10 MiB/s of dirtying: throttle it, and stop and
			 * copy after a minute whatever is left.
			 */
			migrate_ok(from, CONVERGE_OPTS, "dirty");
			/* It goes on from where it was, on the new host. */
			beat = twohost_beat_after(!from, "dirty", beat);
			printf("trip %d: %s -> %s in %.1f s, beat %ld\n", trip,
			       twohost.side[from].name,
			       twohost.side[!from].name,
			       (harness_now_ms() - t0) / 1000.0, beat);
			/* And no beat on the old host after it left. */
			twohost_beats_checked(from, "dirty");
		}
	}
	json_object_put(twohost_rpc(A, "domain.destroy",
				    "{\"name\":\"dirty\"}"));
}
END_TEST

/* The PCI slot of @dom's disk or NIC @id, as its keel-hv on side @i says. */
static int hv_slot(int i, const char *dom, const char *id)
{
	struct json_object *resp = twohost_rpc(i, "domain.info",
					       "{\"name\":\"%s\"}", dom);
	struct harness_client c;
	const char *r;
	char path[320];
	int slot;

	snprintf(path, sizeof(path), "%s/domains/%s/control.sock",
		 twohost.side[i].run_dir, str_at(resp, "/result/uuid"));
	json_object_put(resp);
	ck_assert_int_eq(harness_client_open(&c, path, 10000), 0);
	r = harness_client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":1,"
				    "\"method\":\"" HV_CTL_DEVICES "\"}",
				long_ms());
	ck_assert_msg(r, "no answer to devices on %s", twohost.side[i].name);
	slot = harness_devices_slot(r, id);
	harness_client_close(&c);
	return slot;
}

START_TEST(test_memsum_paused_moves_whole)
{
	uint64_t start = 0x100000, end = 64ULL << 20;
	struct json_object *resp;
	char want[64], disk[160], *log = NULL;
	long long until;
	int slot;

	ck_assert(memsum_clip(&start, &end));
	snprintf(want, sizeof(want), "memsum pages=%llu sum=%016llx",
		 (unsigned long long)((end - start) / MEMSUM_PAGE),
		 (unsigned long long)memsum_range(start, end));
	resp = twohost_rpc(A, "domain.create",
			   "{\"config\":{\"name\":\"memsum\",\"kernel\":\"%s\","
			   "\"memory\":64,\"vcpus\":1,\"rng\":true},"
			   "\"paused\":true}",
			   harness_path("tests/guests/memsum.bin"));
	assert_ok(resp);
	json_object_put(resp);
	/*
	 * A disk plugged at run time lands after the rng; B creates it
	 * before the rng (keeld lists it with the disks) and must move it
	 * back into its slot.
	 */
	snprintf(disk, sizeof(disk), "%s/memsum-disk.img", twohost.dir);
	harness_write_at(disk, 1 << 20, 0, "");
	resp = twohost_rpc(A, "domain.block_attach",
			   "{\"name\":\"memsum\",\"disk\":{\"vdev\":\"xvda\","
			   "\"path\":\"%s\"}}", disk);
	assert_ok(resp);
	json_object_put(resp);
	slot = hv_slot(A, "memsum", "vblk0");
	ck_assert_int_gt(slot, 1);
	/* Paused, it is not running anywhere while it moves. */
	ck_assert_msg(keel_migrate_status(A, "memsum") == 0,
		      "keel migrate memsum failed");
	ck_assert(gone(A, "memsum"));
	ck_assert_int_eq(hv_slot(B, "memsum", "vblk0"), slot);
	/*
	 * docs/migration.md does not say whether a paused domain arrives
	 * paused (libvirt's way) or running: run it if it is paused.
	 */
	if (!strcmp(twohost_state(B, "memsum"), "paused"))
		json_object_put(twohost_rpc(B, "domain.unpause",
					    "{\"name\":\"memsum\"}"));
	/* It ran only on B: from the stream, to its checksum. */
	until = harness_now_ms() + long_ms();
	while (!(log = twohost_console_log(B, "memsum")) || !strstr(log, "memsum OK")) {
		ck_assert_msg(!log || !strstr(log, "memsum FAIL"), "%s", log);
		ck_assert_msg(harness_now_ms() < until, "no checksum on B: %s",
			      log ? log : "(no log)");
		free(log);
		usleep(200 * 1000);
	}
	ck_assert_msg(strstr(log, want), "want \"%s\" in: %s", want, log);
	free(log);
	log = twohost_console_log(A, "memsum");
	ck_assert_msg(!log || !strstr(log, "memsum pages="),
		      "memsum ran on A: %s", log);
	free(log);
}
END_TEST

/* --- the Debian guest ---------------------------------------------------- */

static char deb_dir[64], deb_disk[96];

/* A console on deb at side @i, the shell answering (@round in the marker). */
static long deb_console(struct proc *con, int i, int round)
{
	char *argv[] = { (char *)harness_path("cli/keel"), "-c",
			 twohost.side[i].sock, "console", "deb", NULL };
	char cmd[64], want[32];

	con->pid = -1;
	ck_assert_int_eq(proc_spawn(con, argv), 0);
	snprintf(cmd, sizeof(cmd), "echo shell=$((%d + 100))x\r", round);
	snprintf(want, sizeof(want), "shell=%dx", round + 100);
	harness_con_type(con, cmd);
	return harness_con_expect(con, want, 0, long_ms());
}

/*
 * The pause side @i's keeld logged for its last migration ("..., paused
 * N ms."), or -1 when it logged none.
 */
static long long last_pause_ms(int i)
{
	struct twohost_side *s = &twohost.side[i];
	const char *p = NULL, *q;

	proc_expect(&s->keeld, "\n\001", s->keeld.len, 200);
	for (q = s->keeld.out; q && (q = strstr(q, ", paused ")); q++)
		p = q;
	return p ? strtoll(p + strlen(", paused "), NULL, 10) : -1;
}

/* How many of ping's packets were lost, from its summary in @out. */
static int ping_lost(const char *out)
{
	const char *t = strstr(out, " packets transmitted, ");
	long sent, got;

	ck_assert_msg(t != NULL, "no ping summary: %s", harness_tail(out));
	while (t > out && t[-1] >= '0' && t[-1] <= '9')
		t--;
	sent = strtol(t, NULL, 10);
	got = strtol(strstr(t, ", ") + 2, NULL, 10);
	return (int)(sent - got);
}

START_TEST(test_debian_there_and_back)
{
	struct proc con = { .pid = -1 }, ping = { .pid = -1 };
	char config[2048], *argv[16];
	struct json_object *resp;
	long long date_before, date_after;
	long pos;
	int n = 0;
	/* make check: there and back once; make check-long: five times. */
	int trips = getenv("KEEL_LONG") ? ROUND_TRIPS : 1;

	twohost_lan_up();
	strcpy(deb_dir, "/tmp/keel-mig-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(deb_dir));
	snprintf(deb_disk, sizeof(deb_disk), "%s/disk.img", deb_dir);
	/* Shared storage: both hosts see the same path. */
	harness_write_at(deb_disk, 32 << 20, 0, "");
	snprintf(config, sizeof(config),
		 "{\"config\":{\"name\":\"deb\",\"kernel\":\"%s\","
		 "\"ramdisk\":\"%s\",\"memory\":256,\"vcpus\":2,\"rng\":true,"
		 "\"cmdline\":\"console=ttyS0 reboot=k panic=-1\","
		 "\"disks\":[{\"vdev\":\"xvda\",\"path\":\"%s\"}],"
		 "\"nics\":[{\"bridge\":\"" TWOHOST_BRIDGE "\",\"mac\":\""
		 DEB_MAC "\"}]}}",
		 harness_path("guest/out/vmlinuz"),
		 harness_path("guest/out/initrd.gz"), deb_disk);
	resp = twohost_rpc(A, "domain.define", "%s", config);
	assert_ok(resp);
	json_object_put(resp);
	resp = twohost_rpc(A, "domain.start", "{\"name\":\"deb\"}");
	assert_ok(resp);
	json_object_put(resp);
	{
		char *cargv[] = { (char *)harness_path("cli/keel"), "-c",
				  twohost.side[A].sock, "console", "deb",
				  NULL };

		ck_assert_int_eq(proc_spawn(&con, cargv), 0);
	}
	pos = harness_guest_ready(&con, 0, long_ms());
	harness_con_type(&con, "echo KEEL-MOVED-FILE > /root/before; ip link "
			       "set eth0 up && ip addr add " DEB_ADDR "/24 "
			       "dev eth0; echo ping=$(ping -c 2 -W 5 "
			       TWOHOST_LAN_ADDR " | grep -c 'bytes from')x\r");
	pos = harness_con_expect(&con, "ping=2x", pos, long_ms());
	proc_dispose(&con);

	for (int move = 0; move < 2 * trips; move++) {
		int from = move % 2, lost;
		long long pause;

		/* Ping from A's side of the LAN all through the move. */
		argv[n = 0] = "/sbin/ip";
		argv[++n] = "netns";
		argv[++n] = "exec";
		argv[++n] = twohost.side[A].ns;
		argv[++n] = "ping";
		argv[++n] = "-i";
		argv[++n] = PING_INTERVAL;
		argv[++n] = DEB_ADDR;
		argv[++n] = NULL;
		ck_assert_int_eq(proc_spawn(&ping, argv), 0);
		ck_assert_msg(proc_expect(&ping, "bytes from", 0, 30000) > 0,
			      "no ping before the move: %s", ping.out);
		pos = deb_console(&con, from, 2 * move);
		date_before = harness_con_number(&con,
						 "echo d\"\"ate=$(date +%s)\r",
						 "date=", &pos, long_ms());
		proc_dispose(&con);
		migrate_ok(from, CONVERGE_OPTS, "deb");
		/* A few seconds of pings after the move, then the count. */
		sleep(3);
		kill(ping.pid, SIGINT);
		proc_wait(&ping, 10000);
		lost = ping_lost(ping.out);
		pause = last_pause_ms(from);
		printf("deb %s -> %s: %d pings lost, paused %lld ms\n",
		       twohost.side[from].name, twohost.side[!from].name, lost,
		       pause);
		ck_assert_msg(pause >= 0, "keeld on %s logged no pause: %s",
			      twohost.side[from].name,
			      harness_tail(twohost.side[from].keeld.out));
		/* The outage is the pause: the announce leaves no more. */
		ck_assert_msg(lost <= pause / PING_INTERVAL_MS + PING_LOST_EXTRA,
			      "%d pings lost over a %lld ms pause: %s", lost,
			      pause, harness_tail(ping.out));
		proc_dispose(&ping);
		/* The same guest: its file, its clock going on. */
		pos = deb_console(&con, !from, 2 * move + 1);
		harness_con_type(&con, "echo before=$(cat /root/before)x\r");
		pos = harness_con_expect(&con, "before=KEEL-MOVED-FILEx", pos,
					 long_ms());
		date_after = harness_con_number(&con,
						"echo d\"\"ate=$(date +%s)\r",
						"date=", &pos, long_ms());
		ck_assert_msg(date_after >= date_before &&
				      date_after - date_before < 600,
			      "date went from %lld to %lld", date_before,
			      date_after);
		proc_dispose(&con);
		/* The definition moved with it (xl migrate's rule). */
		resp = twohost_rpc(!from, "domain.info", "{\"name\":\"deb\"}");
		ck_assert(json_object_get_boolean(
			at(resp, "/result/persistent")));
		json_object_put(resp);
	}
	json_object_put(twohost_rpc(A, "domain.destroy", "{\"name\":\"deb\"}"));
	json_object_put(twohost_rpc(A, "domain.undefine",
				    "{\"name\":\"deb\"}"));
	harness_sh("rm -rf '%s'", deb_dir);
}
END_TEST

/* --- the TLS matrix ------------------------------------------------------ */

/*
 * A migration of a beating dirty guest from A that must be refused:
 * keel says so, exits 1, and the domain runs on A only, still beating.
 */
static void migrate_refused(const char *what, const char *host_port)
{
	struct proc p;
	char args[256];
	long beat = twohost_dirty_create(A, "dirty");
	int rc;

	snprintf(args, sizeof(args), "migrate dirty %s",
		 host_port ? host_port : twohost.side[B].addr);
	rc = twohost_keel(&p, A, long_ms(), args);
	ck_assert_msg(rc == 1, "%s: keel migrate exited %d: %s", what, rc,
		      p.out);
	ck_assert_msg(strstr(p.out, "keel: "), "%s: no sentence: %s", what,
		      p.out);
	printf("%s: %s", what, p.out);
	proc_dispose(&p);
	wait_runs_only_on(A, "dirty", 90000);
	twohost_beat_after(A, "dirty", beat);
}

START_TEST(test_tls_no_client_certificate)
{
	twohost_keeld_stop(A);
	twohost_keeld_start(A, twohost_pki_dir("A-noclient"), NULL);
	migrate_refused("no client certificate", NULL);
}
END_TEST

START_TEST(test_tls_client_from_other_ca)
{
	twohost_keeld_stop(A);
	twohost_keeld_start(A, twohost_pki_dir("A-otherca"), NULL);
	migrate_refused("a client certificate from another CA", NULL);
}
END_TEST

START_TEST(test_tls_server_for_other_name)
{
	twohost_keeld_stop(B);
	twohost_keeld_start(B, twohost_pki_dir("hostX"), NULL);
	migrate_refused("a server certificate for another name", NULL);
}
END_TEST

START_TEST(test_tls_expired_client)
{
	twohost_keeld_stop(A);
	twohost_keeld_start(A, twohost_pki_dir("A-expired"), NULL);
	migrate_refused("an expired client certificate", NULL);
}
END_TEST

START_TEST(test_tls_subject_not_allowed)
{
	twohost_keeld_stop(B);
	twohost_keeld_start(B, NULL, "tls_allowed_dn = CN=nobody,O=keel\n");
	migrate_refused("a subject on no list", NULL);
}
END_TEST

START_TEST(test_tls_readonly_subject)
{
	twohost_keeld_stop(B);
	twohost_keeld_start(B, NULL,
			    "tls_allowed_dn = CN=nobody,O=keel\n"
			    "tls_readonly_dn = CN=hostA,O=keel\n");
	migrate_refused("a read-only subject", NULL);
}
END_TEST

/*
 * A peer in B's namespace on @port: TLS 1.2 at most with hostB's
 * certificate (@tls12), or plain TCP that answers a line of JSON.
 * Serves connections until killed; its pid.
 */
static pid_t odd_peer(int port, bool tls12)
{
	char ns_path[64];
	pid_t pid;

	snprintf(ns_path, sizeof(ns_path), "/run/netns/%s",
		 twohost.side[B].ns);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_port = htons(port) };
		int nsfd = open(ns_path, O_RDONLY | O_CLOEXEC), fd, one = 1;
		SSL_CTX *ctx = NULL;
		char path[256];

		if (nsfd < 0 || setns(nsfd, CLONE_NEWNET))
			_exit(2);
		inet_pton(AF_INET, twohost.side[B].addr, &sin.sin_addr);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
		    listen(fd, 8))
			_exit(3);
		if (tls12) {
			ctx = SSL_CTX_new(TLS_server_method());
			SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
			snprintf(path, sizeof(path), "%s/servercert.pem",
				 twohost_pki_dir("hostB"));
			SSL_CTX_use_certificate_chain_file(ctx, path);
			snprintf(path, sizeof(path),
				 "%s/private/serverkey.pem",
				 twohost_pki_dir("hostB"));
			SSL_CTX_use_PrivateKey_file(ctx, path,
						    SSL_FILETYPE_PEM);
		}
		for (;;) {
			static const char line[] =
				"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n";
			int c = accept(fd, NULL, NULL);
			SSL *ssl;

			if (c < 0)
				continue;
			if (ctx) {
				ssl = SSL_new(ctx);
				SSL_set_fd(ssl, c);
				SSL_accept(ssl);
				SSL_free(ssl);
			} else if (write(c, line, sizeof(line) - 1) < 0) {
				_exit(4);
			}
			close(c);
		}
	}
	return pid;
}

static void odd_peer_refused(const char *what, int port, bool tls12)
{
	char host_port[32];
	pid_t pid = odd_peer(port, tls12);

	snprintf(host_port, sizeof(host_port), "%s:%d", twohost.side[B].addr,
		 port);
	/* Its socket is up before the migration tries it. */
	usleep(300 * 1000);
	migrate_refused(what, host_port);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

START_TEST(test_tls12_only_peer)
{
	odd_peer_refused("a TLS 1.2-only peer", TWOHOST_PORT + 1, true);
}
END_TEST

START_TEST(test_plain_tcp_peer)
{
	odd_peer_refused("plain TCP where TLS is due", TWOHOST_PORT + 2,
			 false);
}
END_TEST

/* --- cancel and faults --------------------------------------------------- */

/*
 * Start a slow `keel migrate dirty` from A in the background (@p), with
 * "--timeout @timeout" unless NULL, and return once it is in pre-copy:
 * keeld A has sent the first "progress" event of job "migrate" (after
 * pass 1, docs/migration.md), so pass 2 is under way. At SLOW_MIB the
 * dirty guest (10 MiB/s) never converges: the migration goes on until
 * the test interrupts it.
 */
static void slow_migration_start(struct proc *p, const char *timeout)
{
	char *argv[] = { (char *)harness_path("cli/keel"), "-c",
			 twohost.side[A].sock, "migrate", "--bandwidth",
			 SLOW_MIB, "dirty", twohost.side[B].addr,
			 timeout ? "--timeout" : NULL, (char *)timeout, NULL };
	struct harness_client ev;
	struct json_object *resp;
	long long end;

	twohost_dirty_create(A, "dirty");
	ck_assert_int_eq(harness_client_open(&ev, twohost.side[A].ro_sock, 0),
			 0);
	resp = json_tokener_parse(harness_client_call(
		&ev, "{\"jsonrpc\":\"2.0\",\"id\":1,"
		     "\"method\":\"events.subscribe\"}",
		IO_TIMEOUT_MS) ?: "null");
	assert_ok(resp);
	json_object_put(resp);
	ck_assert_int_eq(proc_spawn(p, argv), 0);
	end = harness_now_ms() + long_ms();
	for (;;) {
		char *line = harness_client_readline(
			&ev, (int)(end - harness_now_ms()));
		bool pass;

		ck_assert_msg(line != NULL,
			      "no progress event of the migration: A %s/%s, B %s; keel said: %s",
			      twohost_state(A, "dirty"), twohost_reason(A, "dirty"),
			      twohost_state(B, "dirty"), p->out ? p->out : "");
		resp = json_tokener_parse(line);
		free(line);
		pass = !strcmp(str_at(resp, "/params/type"), "progress") &&
		       !strcmp(str_at(resp, "/params/job"), "migrate");
		json_object_put(resp);
		if (pass)
			break;
	}
	harness_client_close(&ev);
	ck_assert_str_eq(twohost_reason(A, "dirty"), "migrating");
}

/* The background keel migrate @p must fail, saying so. */
static void slow_migration_failed(struct proc *p, const char *what)
{
	int rc = proc_wait(p, long_ms());

	ck_assert_msg(rc == 1, "%s: keel migrate exited %d: %s", what, rc,
		      p->out);
	printf("%s: %s", what, p->out);
	proc_dispose(p);
}

START_TEST(test_cancel)
{
	struct proc p, q;
	long beat;

	slow_migration_start(&p, NULL);
	ck_assert_msg(twohost_keel(&q, A, long_ms(),
				   "migrate --cancel dirty") == 0,
		      "keel migrate --cancel: %s", q.out);
	proc_dispose(&q);
	slow_migration_failed(&p, "cancelled");
	wait_runs_only_on(A, "dirty", 60000);
	beat = twohost_beats_checked(A, "dirty");
	twohost_beat_after(A, "dirty", beat);
}
END_TEST

START_TEST(test_ctrl_c)
{
	struct proc p;
	long beat;

	slow_migration_start(&p, NULL);
	kill(p.pid, SIGINT);
	/* keel waits for the answer, and says the domain runs on here. */
	slow_migration_failed(&p, "Ctrl-C");
	wait_runs_only_on(A, "dirty", 60000);
	beat = twohost_beats_checked(A, "dirty");
	twohost_beat_after(A, "dirty", beat);
}
END_TEST

/* The pid of the incoming keel-hv of @dom on side @i, from its state.json. */
static pid_t hv_pid(int i, const char *dom)
{
	struct json_object *resp = twohost_rpc(i, "domain.info",
					       "{\"name\":\"%s\"}", dom);
	struct json_object *st, *v;
	char path[320];
	pid_t pid = -1;

	snprintf(path, sizeof(path), "%s/domains/%s/state.json",
		 twohost.side[i].run_dir, str_at(resp, "/result/uuid"));
	json_object_put(resp);
	st = json_object_from_file(path);
	ck_assert_msg(st != NULL, "no %s", path);
	if (json_object_object_get_ex(st, "pid", &v))
		pid = json_object_get_int(v);
	json_object_put(st);
	ck_assert_int_gt(pid, 0);
	return pid;
}

START_TEST(test_kill_destination_hv)
{
	struct proc p;

	slow_migration_start(&p, NULL);
	ck_assert_int_eq(kill(hv_pid(B, "dirty"), SIGKILL), 0);
	slow_migration_failed(&p, "destination keel-hv killed");
	wait_runs_only_on(A, "dirty", 60000);
	twohost_beat_after(A, "dirty", twohost_beats_checked(A, "dirty"));
}
END_TEST

START_TEST(test_kill_destination_keeld)
{
	struct proc p;

	slow_migration_start(&p, NULL);
	twohost_keeld_kill(B);
	/*
	 * The stream goes keel-hv to keel-hv, so B's keeld dying alone
	 * stops nothing; its successor kills the uncommitted incoming
	 * keel-hv (docs/migration.md, phase 7), which ends the sending.
	 */
	twohost_keeld_start(B, NULL, NULL);
	slow_migration_failed(&p, "keeld B killed");
	wait_runs_only_on(A, "dirty", 90000);
	twohost_beat_after(A, "dirty", twohost_beats_checked(A, "dirty"));
}
END_TEST

START_TEST(test_cut_link_during_pass)
{
	struct proc p;

	slow_migration_start(&p, "30");
	twohost_link(false);
	/* --timeout cancels what the cut left hanging. */
	slow_migration_failed(&p, "veth cut");
	twohost_link(true);
	/* B's side ends by itself, or when A's abort reaches it. */
	wait_runs_only_on(A, "dirty", 120000);
	twohost_beat_after(A, "dirty", twohost_beats_checked(A, "dirty"));
}
END_TEST

/* --- the fault matrix: every phase ----------------------------------------
 *
 * docs/migration.md's phases, each with a real fault: prepare, the
 * stop-and-copy, the device state, the wait between the destination's
 * DONE ("received") and the commit, and the finish. Each test asserts
 * that the domain runs on exactly one host (both keelds asked, never
 * running on both at one sample), that its memory came through (the
 * dirty guest's beat goes on, errors=0), and that the other host
 * cleaned up: no domain, no keel-hv, no cgroup for it.
 */

/* @dom's uuid on side @i. */
static void dom_uuid(int i, const char *dom, char uuid[KEEL_DOMAIN_UUID_LEN + 1])
{
	struct json_object *resp =
		twohost_rpc(i, "domain.info", "{\"name\":\"%s\"}", dom);

	snprintf(uuid, KEEL_DOMAIN_UUID_LEN + 1, "%s", str_at(resp, "/result/uuid"));
	json_object_put(resp);
	ck_assert_int_eq(strlen(uuid), KEEL_DOMAIN_UUID_LEN);
}

/* `keel migrate @opts dirty B` from A in the background (@p). */
static void migrate_bg(struct proc *p, const char *opts)
{
	char cmd[1024];
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	snprintf(cmd, sizeof(cmd), "exec '%s' -c '%s' migrate %s dirty %s",
		 harness_path("cli/keel"), twohost.side[A].sock, opts,
		 twohost.side[B].addr);
	p->pid = -1;
	ck_assert_int_eq(proc_spawn(p, argv), 0);
}

/* The background keel migrate @p ended unsuccessfully, whatever it said. */
static void migrate_bg_failed(struct proc *p, const char *what)
{
	int rc = proc_wait(p, long_ms());

	ck_assert_msg(rc != 0, "%s: keel migrate succeeded: %s", what, p->out);
	printf("%s: keel migrate exited %d: %s", what, rc,
	       p->out ? harness_tail(p->out) : "\n");
	proc_dispose(p);
}

/*
 * The end every fault test checks: @dom runs on side @i only, the other
 * side cleaned up, and the guest goes on beating past @last (the last
 * beat before the fault), with no page lost.
 */
static void ends_on(int i, const char *uuid, long last)
{
	wait_runs_only_on(i, "dirty", long_ms());
	twohost_wait_clean(!i, uuid, 60000);
	/* A source may show the domain shut off (migrated); B never. */
	if (i == A)
		ck_assert_str_eq(twohost_state(B, "dirty"), "none");
	twohost_beat_after(i, "dirty", last);
	twohost_beats_checked(!i, "dirty");
}

/* The faults of the matrix. */
enum strike {
	STRIKE_KILL_DEST_HV,	 /* keel-hv B killed */
	STRIKE_KILL_DEST_KEELD,	 /* keeld B killed, and started again */
	STRIKE_KILL_SRC_KEELD,	 /* keeld A killed, and started again */
	STRIKE_CUT_LINK,	 /* the veth cut until the migrate failed */
	STRIKE_CANCEL,		 /* keel migrate --cancel */
};

static const char *const strike_names[] = {
	[STRIKE_KILL_DEST_HV] = "keel-hv B killed",
	[STRIKE_KILL_DEST_KEELD] = "keeld B killed",
	[STRIKE_KILL_SRC_KEELD] = "keeld A killed",
	[STRIKE_CUT_LINK] = "the veth cut",
	[STRIKE_CANCEL] = "cancelled",
};

static void strike(enum strike f)
{
	struct proc q;

	switch (f) {
	case STRIKE_KILL_DEST_HV:
		ck_assert_int_eq(kill(hv_pid(B, "dirty"), SIGKILL), 0);
		break;
	case STRIKE_KILL_DEST_KEELD:
		/* Its successor kills an uncommitted incoming keel-hv. */
		twohost_keeld_kill(B);
		twohost_keeld_start(B, NULL, NULL);
		break;
	case STRIKE_KILL_SRC_KEELD:
		/* Its successor settles by state.json (phase 7). */
		twohost_keeld_kill(A);
		twohost_keeld_start(A, NULL, NULL);
		break;
	case STRIKE_CUT_LINK:
		twohost_link(false);
		break;
	case STRIKE_CANCEL:
		ck_assert_msg(twohost_keel(&q, A, long_ms(),
					   "migrate --cancel dirty") == 0,
			      "keel migrate --cancel: %s", q.out);
		proc_dispose(&q);
		break;
	}
}

/*
 * A phase a test holds a migration in: @start begins `keel migrate` of
 * the dirty guest from A to B in the background (@p; with a --timeout
 * when @cut, which only a timeout can end) and returns once it is in
 * that phase; @release (NULL: none) lets go of what held it, after the
 * strike.
 */
struct held_phase {
	const char *name;
	void (*start)(struct proc *p, bool cut,
		      char uuid[KEEL_DOMAIN_UUID_LEN + 1]);
	void (*release)(void);
};

/* Phase 1: keeld B stopped, so that prepare waits on it. */
static void prepare_start(struct proc *p, bool cut,
			  char uuid[KEEL_DOMAIN_UUID_LEN + 1])
{
	twohost_dirty_create(A, "dirty");
	dom_uuid(A, "dirty", uuid);
	twohost_keeld_freeze(B, true);
	migrate_bg(p, cut ? "--timeout 20" : "");
	twohost_wait_run_phase(A, uuid, "prepare", 30000);
	/* Its prepare in B's socket, or its TLS handshake under way. */
	sleep(2);
	ck_assert_str_eq(twohost_run_phase(A, uuid), "prepare");
}

static void prepare_release(void)
{
	twohost_keeld_freeze(B, false);
}

/* Phase 2: the slow migration, in its second pass. */
static void precopy_start(struct proc *p, bool cut,
			  char uuid[KEEL_DOMAIN_UUID_LEN + 1])
{
	slow_migration_start(p, cut ? "30" : NULL);
	dom_uuid(A, "dirty", uuid);
}

/*
 * Phase 3: the dirty guest on A, beating, and `keel migrate --no-live
 * --bandwidth STOP_COPY_MIB` of it; returns once the stream flows into
 * B's keel-hv. --no-live pauses the guest before the one pass, so
 * this is stop-and-copy, for as long as the RAM the guest wrote takes
 * at STOP_COPY_MIB: STOP_COPY_BEATS beats of 4 MiB, most of its 64 MiB,
 * some 12 s.
 */
#define STOP_COPY_BEATS 12
#define STOP_COPY_MIB "4"
/* What B's keel-hv must have received for the stream to be under way. */
#define STOP_COPY_IN_KB 2048

/* Does side @i's keel-hv log of @dom say @text? */
static bool hv_log_has(int i, const char *dom, const char *text)
{
	char path[256], *log;
	bool has;

	snprintf(path, sizeof(path), "%s/%s.log", twohost.side[i].log_dir,
		 dom);
	log = harness_read_file(path, NULL);
	has = log && strstr(log, text);
	free(log);
	return has;
}

/* /proc/@pid/@file's text (free it), asserting the process is there. */
static char *proc_text(pid_t pid, const char *file)
{
	char path[64], *text;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	text = harness_read_file(path, NULL);
	ck_assert_msg(text != NULL, "process %d is gone", (int)pid);
	return text;
}

/* Process @pid's resident memory in kB (VmRSS). */
static long rss_kb(pid_t pid)
{
	char *status = proc_text(pid, "status");
	char *rss = strstr(status, "VmRSS:");
	long kb = rss ? strtol(rss + strlen("VmRSS:"), NULL, 10) : 0;

	free(status);
	return kb;
}
static void stop_copy_start(struct proc *p, bool cut,
			    char uuid[KEEL_DOMAIN_UUID_LEN + 1])
{
	long long end;
	long rss0;
	pid_t hv;

	twohost_beat_after(A, "dirty", twohost_dirty_create(A, "dirty") + STOP_COPY_BEATS);
	dom_uuid(A, "dirty", uuid);
	migrate_bg(p, cut ? "--no-live --bandwidth " STOP_COPY_MIB
			    " --timeout 20" :
			    "--no-live --bandwidth " STOP_COPY_MIB);
	/*
	 * In the stream, not still connecting: B's keel-hv took the TLS
	 * connection, and then guest memory (its RSS grows).
	 */
	end = harness_now_ms() + long_ms();
	while (!hv_log_has(B, "dirty", "incoming: a migration connected")) {
		ck_assert_msg(harness_now_ms() < end,
			      "no migration stream reached B: A %s/%s; keel said: %s",
			      twohost_state(A, "dirty"), twohost_reason(A, "dirty"),
			      p->out ? p->out : "");
		usleep(100 * 1000);
	}
	hv = hv_pid(B, "dirty");
	rss0 = rss_kb(hv);
	while (rss_kb(hv) < rss0 + STOP_COPY_IN_KB) {
		ck_assert_msg(harness_now_ms() < end,
			      "B's keel-hv received no memory: keel said: %s",
			      p->out ? p->out : "");
		usleep(100 * 1000);
	}
}

/* Is process @pid stopped (SIGSTOP: state T)? */
static bool proc_stopped(pid_t pid)
{
	char *stat = proc_text(pid, "stat");
	char *paren = strrchr(stat, ')');
	bool stopped = paren && paren[1] == ' ' && paren[2] == 'T';

	free(stat);
	return stopped;
}

/* The source keel-hv stopped at its fault point. */
static pid_t device_state_hv = -1;

/*
 * Phase 3's device state: keeld A restarted with the fault point
 * FAULT_SEND_DEVICE (lib/fault.h), so that its keel-hv stops after the
 * last RAM, before the VM, VCPU and DEVICE records, a window otherwise
 * milliseconds long; a --no-live migration, held there.
 */
static void device_state_start(struct proc *p, bool cut,
			       char uuid[KEEL_DOMAIN_UUID_LEN + 1])
{
	long long end;

	twohost_keeld_stop(A);
	ck_assert_int_eq(setenv(FAULT_STALL_ENV, FAULT_SEND_DEVICE, 1), 0);
	twohost_keeld_start(A, NULL, NULL);
	unsetenv(FAULT_STALL_ENV);
	twohost_dirty_create(A, "dirty");
	dom_uuid(A, "dirty", uuid);
	device_state_hv = hv_pid(A, "dirty");
	migrate_bg(p, cut ? "--no-live --timeout 20" : "--no-live");
	end = harness_now_ms() + long_ms();
	while (!proc_stopped(device_state_hv)) {
		ck_assert_msg(harness_now_ms() < end,
			      "keel-hv A never reached the fault point %s; keel said: %s",
			      FAULT_SEND_DEVICE, p->out ? p->out : "");
		usleep(100 * 1000);
	}
}

static void device_state_release(void)
{
	ck_assert_int_eq(kill(device_state_hv, SIGCONT), 0);
}

/*
 * Phase 4, between the destination's DONE and the commit: keeld A
 * stopped in stop-and-copy, so that keel-hv's migrate-done waits
 * unread while B's keel-hv receives the rest and answers DONE; held
 * once B's keeld recorded "received".
 */
static void received_start(struct proc *p, bool cut,
			   char uuid[KEEL_DOMAIN_UUID_LEN + 1])
{
	stop_copy_start(p, cut, uuid);
	twohost_keeld_freeze(A, true);
	twohost_wait_run_phase(B, uuid, "received", long_ms());
}

static void received_release(void)
{
	/* Harmless when keeld A was killed and started again. */
	twohost_keeld_freeze(A, false);
}

static const struct held_phase prepare = { "in prepare", prepare_start,
					   prepare_release };
static const struct held_phase precopy = { "in pre-copy", precopy_start,
					   NULL };
static const struct held_phase stop_copy = { "in stop-and-copy",
					     stop_copy_start, NULL };
static const struct held_phase device_state = { "at the device state",
						device_state_start,
						device_state_release };
static const struct held_phase received = { "after received",
					    received_start, received_release };

/*
 * Fault @f in phase @h: the migration fails, the domain runs on A only,
 * B cleans up, the guest beats on with its memory intact.
 */
static void fault_at(const struct held_phase *h, enum strike f)
{
	char uuid[KEEL_DOMAIN_UUID_LEN + 1], what[96];
	struct proc p;
	long beat;

	h->start(&p, f == STRIKE_CUT_LINK, uuid);
	beat = twohost_beats_checked(A, "dirty");
	snprintf(what, sizeof(what), "%s %s", strike_names[f], h->name);
	strike(f);
	if (h->release)
		h->release();
	migrate_bg_failed(&p, what);
	if (f == STRIKE_CUT_LINK)
		twohost_link(true);
	ends_on(A, uuid, beat);
}

#define FAULT_TEST(phase, f)                                                   \
	START_TEST(test_##phase##_##f)                                         \
	{                                                                      \
		fault_at(&phase, f);                                           \
	}                                                                      \
	END_TEST

FAULT_TEST(prepare, STRIKE_KILL_DEST_KEELD)
FAULT_TEST(prepare, STRIKE_KILL_SRC_KEELD)
FAULT_TEST(precopy, STRIKE_KILL_SRC_KEELD)
FAULT_TEST(stop_copy, STRIKE_CUT_LINK)
FAULT_TEST(stop_copy, STRIKE_KILL_DEST_HV)
FAULT_TEST(stop_copy, STRIKE_KILL_DEST_KEELD)
FAULT_TEST(stop_copy, STRIKE_KILL_SRC_KEELD)
FAULT_TEST(stop_copy, STRIKE_CANCEL)
FAULT_TEST(device_state, STRIKE_KILL_DEST_HV)
FAULT_TEST(device_state, STRIKE_KILL_DEST_KEELD)
FAULT_TEST(device_state, STRIKE_KILL_SRC_KEELD)
FAULT_TEST(device_state, STRIKE_CUT_LINK)
FAULT_TEST(received, STRIKE_KILL_DEST_HV)
FAULT_TEST(received, STRIKE_KILL_DEST_KEELD)
FAULT_TEST(received, STRIKE_KILL_SRC_KEELD)

/*
 * The finish sent and unanswered (keeld B frozen): a cancel is refused,
 * as only B decides now; B, released, commits; the domain runs on B.
 */
START_TEST(test_finish_cancel_refused)
{
	char uuid[KEEL_DOMAIN_UUID_LEN + 1];
	struct proc p, q;
	int rc;

	received_start(&p, false, uuid);
	twohost_keeld_freeze(B, true);
	twohost_keeld_freeze(A, false);
	twohost_wait_run_phase(A, uuid, "finish", long_ms());
	rc = twohost_keel(&q, A, long_ms(), "migrate --cancel dirty");
	ck_assert_msg(rc == 1 && strstr(q.out, "cannot be cancelled"),
		      "keel migrate --cancel after the finish: %d: %s", rc,
		      q.out);
	proc_dispose(&q);
	twohost_keeld_freeze(B, false);
	ck_assert_msg(proc_wait(&p, long_ms()) == 0,
		      "keel migrate after its finish was answered: %s", p.out);
	proc_dispose(&p);
	ends_on(B, uuid, twohost_beats_checked(A, "dirty"));
}
END_TEST

/*
 * The source keeld dies with its finish unanswered (keeld B frozen):
 * keel-hv A waits paused for the next keeld, which asks
 * migration.status until B, released, says how it ended. B may take
 * the dead connection's finish (committed: the domain runs on B) or
 * not (aborted after MIGRATE_FINISH_WAIT_S: it runs on A); either way
 * on exactly one.
 */
START_TEST(test_finish_kill_source_keeld)
{
	char uuid[KEEL_DOMAIN_UUID_LEN + 1];
	struct proc p;
	long long end;
	long beat;
	int there;

	received_start(&p, false, uuid);
	beat = twohost_beats_checked(A, "dirty");
	twohost_keeld_freeze(B, true);
	twohost_keeld_freeze(A, false);
	twohost_wait_run_phase(A, uuid, "finish", long_ms());
	twohost_keeld_kill(A);
	migrate_bg_failed(&p, "keeld A killed after its finish");
	/* The source waits paused for the next keeld: no beat. */
	sleep(2);
	ck_assert_int_eq(twohost_beats_checked(A, "dirty"), beat);
	twohost_keeld_start(A, NULL, NULL);
	ck_assert_str_eq(twohost_state(A, "dirty"), "paused");
	twohost_keeld_freeze(B, false);
	/* keeld A decides by B's word: gone from A, or running on. */
	end = harness_now_ms() + long_ms();
	while (!gone(A, "dirty") &&
	       (strcmp(twohost_state(A, "dirty"), "running") ||
		!strcmp(twohost_reason(A, "dirty"), "migrating"))) {
		ck_assert_msg(harness_now_ms() < end,
			      "keeld A never settled the migration: A %s/%s, B %s",
			      twohost_state(A, "dirty"), twohost_reason(A, "dirty"),
			      twohost_state(B, "dirty"));
		usleep(250 * 1000);
	}
	there = gone(A, "dirty") ? B : A;
	printf("keeld A killed after its finish: the domain ends on %s\n",
	       twohost.side[there].name);
	ends_on(there, uuid, beat);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("migrate");
	TCase *moves = tcase_create("moves");
	TCase *deb;
	TCase *tls = tcase_create("tls");
	TCase *faults = tcase_create("faults");
	double t = (double)long_ms() / 1000;
	const char *deb_why;
	bool deb_kvm;

	runner_skip_reason = harness_keeld_kvm_missing(&runner_wants_kvm);
	if (!runner_skip_reason && geteuid())
		runner_skip_reason = "network namespaces need root";
	/*
	 * kvm_pvm runs the test guests but not the Debian guest: the whole
	 * suite moves into QEMU for it where it can, and runs here without
	 * it where it cannot.
	 */
	deb_why = harness_debian_guest_missing(&deb_kvm);
	if (!runner_skip_reason && deb_why && deb_kvm) {
		if (runner_can_nest()) {
			runner_skip_reason = deb_why;
			runner_wants_kvm = true;
		} else {
			printf("SKIP: test_debian_there_and_back: %s\n", deb_why);
		}
	}
	/* Made here, before the nested runner copies the build tree. */
	if (!runner_skip_reason || runner_wants_kvm) {
		const char *why = twohost_pki_make();

		if (why) {
			runner_skip_reason = why;
			runner_wants_kvm = false;
		}
	}
	runner_nested_seconds = 3600;
	tcase_add_unchecked_fixture(moves, twohost_suite_setup,
				    twohost_suite_teardown);
	tcase_add_checked_fixture(moves, twohost_setup, twohost_teardown);
	tcase_set_timeout(moves, t * 4);
	tcase_add_test(moves, test_dirty_there_and_back);
	tcase_add_test(moves, test_memsum_paused_moves_whole);
	suite_add_tcase(s, moves);

	/* The Debian guest where it can boot (here, or in QEMU). */
	if (!deb_why || (deb_kvm && runner_skip_reason)) {
		deb = tcase_create("debian");
		tcase_add_unchecked_fixture(deb, twohost_suite_setup,
					    twohost_suite_teardown);
		tcase_add_checked_fixture(deb, twohost_setup,
					  twohost_teardown);
		tcase_set_timeout(deb, t * 4);
		tcase_add_test(deb, test_debian_there_and_back);
		suite_add_tcase(s, deb);
	}

	tcase_add_unchecked_fixture(tls, twohost_suite_setup,
				    twohost_suite_teardown);
	tcase_add_checked_fixture(tls, twohost_setup, twohost_teardown);
	tcase_set_timeout(tls, t);
	/*
	 * make check: one refusal of each kind (the certificate, the
	 * subject, the protocol); make check-long (KEEL_LONG): all of
	 * them. Each costs a domain and a minute under TCG.
	 */
	tcase_add_test(tls, test_tls_client_from_other_ca);
	tcase_add_test(tls, test_tls_readonly_subject);
	tcase_add_test(tls, test_plain_tcp_peer);
	if (getenv("KEEL_LONG")) {
		tcase_add_test(tls, test_tls_no_client_certificate);
		tcase_add_test(tls, test_tls_server_for_other_name);
		tcase_add_test(tls, test_tls_expired_client);
		tcase_add_test(tls, test_tls_subject_not_allowed);
		tcase_add_test(tls, test_tls12_only_peer);
	}
	suite_add_tcase(s, tls);

	tcase_add_unchecked_fixture(faults, twohost_suite_setup,
				    twohost_suite_teardown);
	tcase_add_checked_fixture(faults, twohost_setup, twohost_teardown);
	tcase_set_timeout(faults, t * 2);
	/* make check: a cancel and a dead destination; the rest long. */
	tcase_add_test(faults, test_cancel);
	tcase_add_test(faults, test_kill_destination_hv);
	/*
	 * And the faults most likely to catch a regression: the source
	 * keeld dying mid-copy, the destination keeld dying between DONE
	 * and commit. The whole matrix is make check-long's
	 * (docs/testing.md, "The fault matrix", says which cells passed).
	 */
	tcase_add_test(faults, test_precopy_STRIKE_KILL_SRC_KEELD);
	tcase_add_test(faults, test_received_STRIKE_KILL_DEST_KEELD);
	if (getenv("KEEL_LONG")) {
		tcase_add_test(faults, test_stop_copy_STRIKE_CUT_LINK);
		tcase_add_test(faults, test_ctrl_c);
		tcase_add_test(faults, test_kill_destination_keeld);
		tcase_add_test(faults, test_cut_link_during_pass);
		tcase_add_test(faults, test_prepare_STRIKE_KILL_DEST_KEELD);
		tcase_add_test(faults, test_prepare_STRIKE_KILL_SRC_KEELD);
		tcase_add_test(faults, test_stop_copy_STRIKE_KILL_DEST_HV);
		tcase_add_test(faults, test_stop_copy_STRIKE_KILL_DEST_KEELD);
		tcase_add_test(faults, test_stop_copy_STRIKE_KILL_SRC_KEELD);
		tcase_add_test(faults, test_stop_copy_STRIKE_CANCEL);
		tcase_add_test(faults, test_device_state_STRIKE_KILL_DEST_HV);
		tcase_add_test(faults, test_device_state_STRIKE_KILL_DEST_KEELD);
		tcase_add_test(faults, test_device_state_STRIKE_KILL_SRC_KEELD);
		tcase_add_test(faults, test_device_state_STRIKE_CUT_LINK);
		tcase_add_test(faults, test_received_STRIKE_KILL_DEST_HV);
		tcase_add_test(faults, test_received_STRIKE_KILL_SRC_KEELD);
		tcase_add_test(faults, test_finish_cancel_refused);
		tcase_add_test(faults, test_finish_kill_source_keeld);
	}
	suite_add_tcase(s, faults);
	return s;
}
