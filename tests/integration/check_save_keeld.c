// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel save and keel restore of the stock Debian guest (make guest)
 * through keeld and keel(1), with the real keel-hv (issue 11, "Tests"):
 * a persistent domain with 2 vCPUs, a disk, a NIC on a tap, rng and
 * a balloon is saved and restored 3 times in a row. After each restore
 * the shell answers on a new console, a file written before the save
 * reads back, the disk holds exactly what a dd running during the save
 * wrote (md5sum, read back past the page cache), ping over the tap
 * works, `date` moved on by about the time spent saved, `sleep 1` takes
 * about a second and both vCPUs are online; keeld says shutoff/saved
 * between and running/restored after.
 *
 * Where /dev/kvm is missing, or is kvm_pvm's, the runner moves the
 * suite into tests/nested/kvm-in-qemu, as check_linux's.
 * KEEL_LONG_TIMEOUT (seconds, default 900) bounds each wait.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"
#include "runner.h"

#define HOST_ADDR "10.98.1.1"
#define HOST_MAC "02:6b:65:65:6c:01"
#define GUEST_ADDR "10.98.1.2"
#define ROUNDS 3
/* Seconds a saved domain stays in its file before it is restored. */
#define SAVED_S 4

static char dir[64], disk[96], tap[16];

static int timeout_ms(void)
{
	return harness_long_timeout_ms();
}

static void save_setup(void)
{
	setup();
	strcpy(dir, "/tmp/keel-save-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(disk, sizeof(disk), "%s/disk.img", dir);
	snprintf(tap, sizeof(tap), "ksv%d", (int)getpid() % 100000);
	harness_write_at(disk, 32 << 20, 0, "");
}

/*
 * The host's end of the guest's NIC. keel-hv makes the tap anew on each
 * start and restore (the nested runner's kernel has no bridges); it gets
 * the same MAC each time, as the guest's peers on a bridge keep theirs,
 * so the guest's ARP entry for the host stays right.
 */
static void tap_up(void)
{
	ck_assert_int_eq(harness_sh("/sbin/ip link set %s address " HOST_MAC,
				    tap),
			 0);
	harness_tap_up(NULL, tap, HOST_ADDR);
}

static void save_teardown(void)
{
	harness_sh("rm -rf '%s'", dir);
	teardown();
}

/* `keel -c RW_SOCK ARGS...` must exit 0. */
static void keel_ok(const char *a, const char *b, const char *c)
{
	char *argv[] = { (char *)harness_path("cli/keel"), "-c", rw_sock,
			 (char *)a, (char *)b, (char *)c, NULL };
	struct proc p = { .pid = -1 };

	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_msg(proc_wait(&p, timeout_ms()) == 0, "keel %s %s %s: %s",
		      a, b ? b : "", c ? c : "", p.out);
	proc_dispose(&p);
}

/* A console on deb, and the shell answering on it (@round in the marker). */
static long console_open(struct proc *con, int round)
{
	char *argv[] = { (char *)harness_path("cli/keel"), "-c", rw_sock,
			 "console", "deb", NULL };
	char cmd[64], want[32];

	con->pid = -1;
	ck_assert_int_eq(proc_spawn(con, argv), 0);
	/* The restored guest prints nothing by itself: ask. */
	snprintf(cmd, sizeof(cmd), "echo shell=$((%d + 100))x\r", round);
	snprintf(want, sizeof(want), "shell=%dx", round + 100);
	harness_con_type(con, cmd);
	return harness_con_expect(con, want, 0, timeout_ms());
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the guest must show after each restore. */
static void check_restored(struct proc *con, long *pos, long long date_before,
			   double saved_s, const char *src_md5)
{
	long long date_after, ms;
	char want[64];

	/* The file from before the first save reads back. */
	harness_con_type(con, "echo before=$(cat /root/before)x\r");
	*pos = harness_con_expect(con, "before=KEEL-SAVED-FILEx", *pos,
				  timeout_ms());
	/* Both vCPUs, online. */
	harness_con_type(con, "echo cpus=$(cat "
			      "/sys/devices/system/cpu/online)x\r");
	*pos = harness_con_expect(con, "cpus=0-1x", *pos, timeout_ms());
	/* The clock moved on by the time spent saved (and the rest). */
	date_after = harness_con_number(con, "echo d\"\"ate=$(date +%s)\r",
					"date=", pos, timeout_ms());
	ck_assert_msg(date_after - date_before >= (long long)saved_s - 2,
		      "date moved %lld s over a save of %.0f s",
		      date_after - date_before, saved_s);
	ck_assert_msg(date_after - date_before <= (long long)saved_s + 600,
		      "date moved %lld s over a save of %.0f s",
		      date_after - date_before, saved_s);
	/* sleep 1 takes about a second: the timer runs at its rate. */
	ms = harness_con_number(con,
				"a=$(cut -d' ' -f1 /proc/uptime); sleep 1; "
				"b=$(cut -d' ' -f1 /proc/uptime); "
				"echo sl\"\"ept=$(echo \"$a $b\" | awk '{ print int(($2 - $1) * 1000) }')\r",
				"slept=", pos, timeout_ms());
	ck_assert_msg(ms >= 900 && ms <= 3000, "sleep 1 took %lld ms", ms);
	/* The tap is back, and the guest's address with it. */
	harness_con_type(con, "echo ping=$(ping -c 2 -W 5 " HOST_ADDR
			      " | grep -c 'bytes from')x\r");
	*pos = harness_con_expect(con, "ping=2x", *pos, timeout_ms());
	/* The dd that ran during the save finished, and wrote it all. */
	harness_con_type(con, "wait; sync; echo 3 > /proc/sys/vm/drop_caches; "
			      "echo disk=$(dd if=/dev/vda bs=64k count=128 "
			      "2>/dev/null | md5sum | cut -c1-32)x\r");
	snprintf(want, sizeof(want), "disk=%sx", src_md5);
	*pos = harness_con_expect(con, want, *pos, timeout_ms());
}

START_TEST(test_save_restore_three_times)
{
	char config[2048], file[128], src_md5[33];
	struct json_object *resp;
	struct proc con = { .pid = -1 };
	long long date_before;
	double saved_at;
	long pos;

	keeld_start();
	snprintf(config, sizeof(config),
		 "{\"config\":{\"name\":\"deb\",\"kernel\":\"%s\","
		 "\"ramdisk\":\"%s\",\"memory\":256,\"maxmem\":384,"
		 "\"vcpus\":2,\"rng\":true,"
		 "\"cmdline\":\"console=ttyS0 reboot=k panic=-1\","
		 "\"disks\":[{\"vdev\":\"xvda\",\"path\":\"%s\"}],"
		 "\"nics\":[{\"tap\":\"%s\",\"mac\":\"52:54:00:12:34:60\"}]}}",
		 harness_path("guest/out/vmlinuz"),
		 harness_path("guest/out/initrd.gz"), disk, tap);
	resp = rpc_ok("domain.define", "%s", config);
	json_object_put(resp);
	resp = rpc_ok("domain.start", "{\"name\":\"deb\"}");
	json_object_put(resp);
	/* The host's end of the tap, which each keel-hv makes anew. */
	tap_up();
	{
		char *argv[] = { (char *)harness_path("cli/keel"), "-c",
				 rw_sock, "console", "deb", NULL };

		ck_assert_int_eq(proc_spawn(&con, argv), 0);
	}
	pos = harness_guest_ready(&con, 0, timeout_ms());
	/* What every restore checks: a file, an address, a source. */
	harness_con_type(&con, "echo KEEL-SAVED-FILE > /root/before; ip link "
			       "set eth0 up && ip addr add " GUEST_ADDR "/24 "
			       "dev eth0; echo ping=$(ping -c 2 -W 5 " HOST_ADDR
			       " | grep -c 'bytes from')x\r");
	pos = harness_con_expect(&con, "ping=2x", pos, timeout_ms());
	harness_con_type(&con, "dd if=/dev/urandom of=/root/src bs=64k "
			       "count=128 2>/dev/null; echo s\"\"rc=$(md5sum "
			       "/root/src | cut -c1-32)x\r");
	pos = harness_con_expect(&con, "src=", pos, timeout_ms());
	/* The whole sum, up to the x that ends it. */
	harness_con_expect(&con, "x", pos, timeout_ms());
	snprintf(src_md5, sizeof(src_md5), "%.32s", con.out + pos);
	ck_assert_int_eq((int)strlen(src_md5), 32);

	for (int round = 1; round <= ROUNDS; round++) {
		/* Heavy I/O under way while the domain is saved. */
		harness_con_type(&con, "dd if=/dev/zero of=/dev/vda bs=64k "
				       "count=128 conv=fsync 2>/dev/null; dd "
				       "if=/root/src of=/dev/vda bs=4k "
				       "conv=fsync 2>/dev/null & echo io=$((7 "
				       "* 6))x\r");
		pos = harness_con_expect(&con, "io=42x", pos, timeout_ms());
		date_before = harness_con_number(&con,
						 "echo d\"\"ate=$(date +%s)\r",
						 "date=", &pos, timeout_ms());
		snprintf(file, sizeof(file), "%s/deb-%d.save", dir, round);
		keel_ok("save", "deb", file);
		saved_at = now_s();
		/* Its console ends with it; keeld says why it stopped. */
		ck_assert_int_eq(proc_wait(&con, timeout_ms()), 0);
		proc_dispose(&con);
		wait_domain_state("deb", "shutoff", "saved");
		sleep(SAVED_S);
		keel_ok("restore", file, NULL);
		printf("round %d: saved and restored in %.1f s\n", round,
		       now_s() - saved_at);
		tap_up();
		resp = rpc_ok("domain.info", "{\"name\":\"deb\"}");
		assert_domain_state(resp, "running", "restored");
		ck_assert(json_object_get_boolean(
			at(resp, "/result/persistent")));
		json_object_put(resp);
		pos = console_open(&con, round);
		check_restored(&con, &pos, date_before, now_s() - saved_at,
			       src_md5);
		ck_assert_int_eq(unlink(file), 0);
	}
	harness_con_type(&con, "poweroff -f\r");
	ck_assert_int_eq(proc_wait(&con, timeout_ms()), 0);
	proc_dispose(&con);
	wait_domain_state("deb", "shutoff", "shutdown");
	keeld_stop();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("save_keeld");
	TCase *tc = tcase_create("debian guest");

	runner_skip_reason = harness_debian_guest_missing(&runner_wants_kvm);
	/* Three saves and restores of 384 MiB in emulated SVM. */
	runner_nested_seconds = 1800;
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, save_setup, save_teardown);
	tcase_set_timeout(tc, (double)timeout_ms() * 8 / 1000);
	tcase_add_test(tc, test_save_restore_three_times);
	suite_add_tcase(s, tc);
	return s;
}
