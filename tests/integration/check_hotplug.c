// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PCI hot-plug with the stock Debian guest (make guest): keel-hv's
 * device-add plugs a disk and a NIC into the running guest, which sees
 * them (/sys/block/vda, reading the host's bytes and writing its own;
 * eth0 in `ip link`, pinging the host over the tap); device-del takes
 * them away once the guest let go (its driver unbound, _EJ0 run): the
 * guest no longer lists them, keel-hv says device-removed and the
 * image's lock is free again; a disk plugged again is seen again. The
 * guest stays up throughout and powers off cleanly. Then the same
 * through keeld and keel(1): block-attach, network-attach (twice),
 * block-list and network-list, block-detach and network-detach waiting
 * for the guest, and the definition of the persistent domain keeping
 * what is left once it is destroyed.
 *
 * Where /dev/kvm is missing, or is kvm_pvm's, the runner moves the
 * suite into tests/nested/kvm-in-qemu, as check_linux's.
 * KEEL_LONG_TIMEOUT (seconds, default 900) bounds each wait.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "hv_proto.h"
#include "keeld_fixture.h"
#include "runner.h"

#define IP "/sbin/ip"
#define HOST_ADDR "10.98.0.1"
#define GUEST_ADDR "10.98.0.2"
#define FROM_HOST "KEEL-HOTPLUG-FROM-HOST"
#define FROM_GUEST "KEEL-HOTPLUG-FROM-GUEST"

static int timeout_ms(void)
{
	return harness_long_timeout_ms();
}

static struct proc g;
static long hv_at; /* console read so far */
static char dir[64], disk[96], sock[96], ns[32], tap[16];
static struct harness_client ctl, events;

/* harness_con_run() on keel-hv's console, from where it was read to. */
static void guest_run(const char *cmd, const char *want)
{
	hv_at = harness_con_run(&g, cmd, want, hv_at, timeout_ms());
}

/* One control call; its reply, which must contain @want. */
static const char *control(const char *method, const char *params,
			   const char *want)
{
	char line[512];
	const char *reply;

	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\"%s%s}",
		 method, params ? ",\"params\":" : "", params ? params : "");
	reply = harness_client_call(&ctl, line, timeout_ms());
	ck_assert_msg(reply && strstr(reply, want), "%s %s: %s (wanted %s)",
		      method, params ? params : "", reply ? reply : "no reply",
		      want);
	return reply;
}

/* Wait for keel-hv's device-removed notification of @id on @events. */
static void wait_removed(const char *id)
{
	char want[64];
	char *line;

	snprintf(want, sizeof(want), "\"device\":\"%s\"", id);
	for (;;) {
		line = harness_client_readline(&events, timeout_ms());
		ck_assert_msg(line, "no device-removed for %s", id);
		if (strstr(line, HV_CTL_DEVICE_REMOVED) && strstr(line, want))
			break;
		free(line);
	}
	free(line);
}

/* True if a writer could lock the image now: no device holds it. */
static bool image_free(const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDWR);
	bool ok;

	ck_assert_int_ge(fd, 0);
	ok = fcntl(fd, F_OFD_SETLK, &fl) == 0;
	close(fd);
	return ok;
}

static void hv_setup(void)
{
	g.pid = -1;
	hv_at = 0;
	strcpy(dir, "/tmp/keel-hotplug-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(disk, sizeof(disk), "%s/disk.img", dir);
	snprintf(sock, sizeof(sock), "%s/control.sock", dir);
	snprintf(ns, sizeof(ns), "keelhp%d", (int)getpid());
	snprintf(tap, sizeof(tap), "khp%d", (int)getpid() % 100000);
	harness_write_at(disk, 8 << 20, 100 * 512, FROM_HOST);
	ck_assert_int_eq(harness_sh(IP " netns add %s", ns), 0);
}

static void hv_teardown(void)
{
	harness_client_close(&ctl);
	harness_client_close(&events);
	proc_dispose(&g);
	harness_sh(IP " netns del %s 2>/dev/null", ns);
	harness_sh("rm -rf '%s'", dir);
}

START_TEST(test_hotplug_disk_and_nic)
{
	char *argv[] = { IP, "netns", "exec", ns,
			 (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", (char *)harness_path("guest/out/vmlinuz"),
			 "--initrd", (char *)harness_path("guest/out/initrd.gz"),
			 "--memory", "256M", "--console", "stdio", "--control",
			 sock, NULL };
	char params[256];
	const char *bad;
	long booted;
	char *line;

	ck_assert_int_eq(proc_spawn(&g, argv), 0);
	hv_at = harness_guest_ready(&g, 0, timeout_ms());
	guest_run("echo disks=$(ls /sys/block | grep -c vd)\n", "disks=0");
	booted = hv_at;
	ck_assert_int_eq(harness_client_open(&ctl, sock, 4000), 0);
	ck_assert_int_eq(harness_client_open(&events, sock, 4000), 0);
	line = (char *)harness_client_call(
		&events, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\"}",
		timeout_ms());
	ck_assert_ptr_nonnull(line);

	/* A disk: the guest finds it, reads the host's bytes, writes. */
	snprintf(params, sizeof(params), "{\"disk\":\"%s\"}", disk);
	control(HV_CTL_DEVICE_ADD, params, "\"device\":\"vblk0\"");
	ck_assert(!image_free(disk));
	guest_run("for i in $(seq 300); do [ -b /dev/vda ] && break; "
		  "sleep 0.2; done; echo got=$(dd if=/dev/vda bs=512 skip=100 "
		  "count=1 2>/dev/null | head -c 22)\n", "got=" FROM_HOST);
	guest_run("echo " FROM_GUEST " | dd of=/dev/vda bs=512 seek=8 "
		  "conv=fsync 2>/dev/null; echo wrote=$?\n", "wrote=0");

	/* A NIC: eth0 appears and carries packets both ways. */
	snprintf(params, sizeof(params),
		 "{\"net\":\"tap=%s,mac=52:54:00:12:34:58\"}", tap);
	control(HV_CTL_DEVICE_ADD, params, "\"device\":\"vnet0\"");
	harness_tap_up(ns, tap, HOST_ADDR);
	guest_run("for i in $(seq 300); do ip link show eth0 >/dev/null 2>&1 "
		  "&& break; sleep 0.2; done; ip link show eth0 | grep -c "
		  "52:54:00:12:34:58 | sed s/^/mac=/\n", "mac=1");
	guest_run("ip link set eth0 up && ip addr add " GUEST_ADDR
		  "/24 dev eth0 && echo ping=$(ping -c 2 -W 5 " HOST_ADDR
		  " | grep -c 'bytes from')\n", "ping=2");
	control(HV_CTL_DEVICES, NULL, "\"id\":\"vnet0\"");

	/* Out again: the guest lets go, keel-hv frees, the lock is free. */
	control(HV_CTL_DEVICE_DEL, "{\"device\":\"vblk0\"}",
		"\"removing\":true");
	wait_removed("vblk0");
	ck_assert(image_free(disk));
	guest_run("echo disks=$(ls /sys/block | grep -c vd)\n", "disks=0");
	control(HV_CTL_DEVICE_DEL, "{\"device\":\"vnet0\"}",
		"\"removing\":true");
	wait_removed("vnet0");
	guest_run("[ -e /sys/class/net/eth0 ]; echo eth0=$?\n", "eth0=1");
	control(HV_CTL_DEVICES, NULL, "\"devices\":[]");
	/* The guest's write went to the image before the disk went. */
	ck_assert_int_eq(harness_sh("grep -q " FROM_GUEST " '%s'", disk), 0);

	/* Plugged again, in the slot it left: seen again. */
	snprintf(params, sizeof(params), "{\"disk\":\"%s,ro\"}", disk);
	control(HV_CTL_DEVICE_ADD, params, "\"device\":\"vblk0\"");
	guest_run("for i in $(seq 300); do [ -b /dev/vda ] && break; "
		  "sleep 0.2; done; echo ro=$(cat /sys/block/vda/ro)\n",
		  "ro=1");
	/* And the kernel had nothing to complain about meanwhile. */
	bad = strstr(g.out + booted, "Call Trace");
	if (!bad)
		bad = strstr(g.out + booted, "BUG:");
	ck_assert_msg(!bad, "the guest kernel complained:\n%.2000s",
		      bad && bad - g.out > 1000 ? bad - 1000 : g.out + booted);

	ck_assert_int_eq(proc_send(&g, "poweroff -f\n"), 0);
	ck_assert_int_eq(proc_wait(&g, timeout_ms()), 0);
}
END_TEST

/* `keel -c RW_SOCK ARGS...` must exit 0; its output, owned by @out. */
static const char *keel_ok(struct proc *out, const char *a, const char *b,
			   const char *c, const char *d, const char *e)
{
	char *argv[] = { (char *)harness_path("cli/keel"), "-c", rw_sock,
			 (char *)a, (char *)b, (char *)c, (char *)d, (char *)e,
			 NULL };

	proc_dispose(out);
	out->pid = -1;
	ck_assert_int_eq(proc_spawn(out, argv), 0);
	ck_assert_msg(proc_wait(out, timeout_ms()) == 0, "keel %s %s %s: %s",
		      a, b, c ? c : "", out->out);
	return out->out;
}

/*
 * keeld's next device event about hp is @event (device_added or
 * device_removed) of a @detail (disk, nic) named @name (keeld.8).
 */
static void expect_device_event(struct harness_client *c, const char *event,
				const char *detail, const char *name)
{
	struct json_object *ev = next_domain_event(c, "hp");

	while (ev && strcmp(str_at(ev, "/params/type"), "device")) {
		json_object_put(ev);
		ev = next_domain_event(c, "hp");
	}
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(str_at(ev, "/params/event"), event);
	ck_assert_str_eq(str_at(ev, "/params/detail"), detail);
	ck_assert_str_eq(str_at(ev, "/params/device"), name);
	json_object_put(ev);
}

START_TEST(test_keeld_attach_detach)
{
	struct harness_client devs;
	char config[2048], spec[160];
	struct json_object *resp;
	struct proc con = { .pid = -1 }, cli = { .pid = -1 };
	const char *out;
	long pos;

	keeld_start();
	snprintf(config, sizeof(config),
		 "{\"config\":{\"name\":\"hp\",\"kernel\":\"%s\","
		 "\"ramdisk\":\"%s\",\"memory\":128,\"vcpus\":1,"
		 "\"cmdline\":\"console=ttyS0 console=hvc0 "
		 "reboot=k panic=-1\"}}",
		 harness_path("guest/out/vmlinuz"),
		 harness_path("guest/out/initrd.gz"));
	assert_ok(resp = rpc_call("domain.define", "%s", config));
	json_object_put(resp);
	assert_ok(resp = rpc_call("domain.start", "{\"name\":\"hp\"}"));
	json_object_put(resp);
	events_open(&devs);
	{
		char *argv[] = { (char *)harness_path("cli/keel"), "-c",
				 rw_sock, "console", "hp", NULL };

		ck_assert_int_eq(proc_spawn(&con, argv), 0);
	}
	pos = harness_guest_ready(&con, 0, timeout_ms());

	/* A disk, in xl's words: the guest reads the host's bytes. */
	snprintf(spec, sizeof(spec), "%s,raw,xvdb,rw", disk);
	keel_ok(&cli, "block-attach", "hp", spec, NULL, NULL);
	harness_con_type(&con, "for i in $(seq 300); do [ -b /dev/vda ] && "
			       "break; sleep 0.2; done; echo got=$(dd "
			       "if=/dev/vda bs=512 skip=100 count=1 "
			       "2>/dev/null | head -c 22)\r");
	pos = harness_con_expect(&con, "got=" FROM_HOST, pos, timeout_ms());
	out = keel_ok(&cli, "block-list", "hp", NULL, NULL, NULL);
	ck_assert_msg(strstr(out, "xvdb") && strstr(out, disk), "%s", out);
	expect_device_event(&devs, "device_added", "disk", "xvdb");

	/* Two NICs, one named by its MAC. */
	keel_ok(&cli, "network-attach", "hp", "mac=00:16:3e:00:00:42", NULL,
		NULL);
	keel_ok(&cli, "network-attach", "hp", "mac=00:16:3e:00:00:43", NULL,
		NULL);
	harness_con_type(&con, "for i in $(seq 300); do [ -e "
			       "/sys/class/net/eth1 ] && break; sleep 0.2; "
			       "done; echo macs=$(cat "
			       "/sys/class/net/eth*/address | grep -c "
			       "00:16:3e:00:00:4)x\r");
	pos = harness_con_expect(&con, "macs=2x", pos, timeout_ms());
	expect_device_event(&devs, "device_added", "nic", "00:16:3e:00:00:42");
	expect_device_event(&devs, "device_added", "nic", "00:16:3e:00:00:43");
	out = keel_ok(&cli, "network-list", "hp", NULL, NULL, NULL);
	ck_assert_msg(strstr(out, "00:16:3e:00:00:42") &&
			      strstr(out, "00:16:3e:00:00:43") &&
			      strstr(out, "keel1.1"),
		      "%s", out);

	/* Out again: each command returns once the guest let go. */
	keel_ok(&cli, "block-detach", "hp", "xvdb", NULL, NULL);
	ck_assert(image_free(disk));
	harness_con_type(&con, "echo disks=$(ls /sys/block | grep -c vd)x\r");
	pos = harness_con_expect(&con, "disks=0x", pos, timeout_ms());
	keel_ok(&cli, "network-detach", "-t", "120", "hp",
		"00:16:3E:00:00:42");
	harness_con_type(&con, "echo macs=$(cat /sys/class/net/eth*/address | "
			       "grep -c 00:16:3e:00:00:4)y\r");
	pos = harness_con_expect(&con, "macs=1y", pos, timeout_ms());
	expect_device_event(&devs, "device_removed", "disk", "xvdb");
	expect_device_event(&devs, "device_removed", "nic",
			    "00:16:3e:00:00:42");
	harness_client_close(&devs);
	out = keel_ok(&cli, "block-list", "hp", NULL, NULL, NULL);
	ck_assert_msg(!strstr(out, "xvdb"), "%s", out);
	out = keel_ok(&cli, "network-list", "hp", NULL, NULL, NULL);
	ck_assert_msg(!strstr(out, ":42") && strstr(out, ":43"), "%s", out);

	/* The definition kept the NIC left, without this run's tap. */
	assert_ok(resp = rpc_call("domain.destroy", "{\"name\":\"hp\"}"));
	json_object_put(resp);
	wait_domain_state("hp", "shutoff", "destroyed");
	resp = rpc_ok("domain.config", "{\"name\":\"hp\"}");
	ck_assert_str_eq(str_at(resp, "/result/nics/0/mac"),
			 "00:16:3e:00:00:43");
	ck_assert_ptr_null(at(resp, "/result/nics/1"));
	ck_assert_ptr_null(at(resp, "/result/nics/0/tap"));
	ck_assert_ptr_null(at(resp, "/result/disks/0"));
	json_object_put(resp);
	proc_dispose(&con);
	proc_dispose(&cli);
	keeld_stop();
}
END_TEST

/* The keeld case's image, made by the suite's own checked fixture. */
static void keeld_case_setup(void)
{
	setup();
	hv_setup();
}

static void keeld_case_teardown(void)
{
	hv_teardown();
	teardown();
}

Suite *unit_suite(void)
{
	Suite *s = suite_create("hotplug");
	TCase *tc = tcase_create("debian guest");

	runner_skip_reason = harness_debian_guest_missing(&runner_wants_kvm);
	runner_nested_seconds = 900;
	tcase_add_checked_fixture(tc, hv_setup, hv_teardown);
	tcase_set_timeout(tc, (double)timeout_ms() * 4 / 1000);
	tcase_add_test(tc, test_hotplug_disk_and_nic);
	suite_add_tcase(s, tc);

	tc = tcase_create("through keeld");
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, keeld_case_setup, keeld_case_teardown);
	tcase_set_timeout(tc, (double)timeout_ms() * 4 / 1000);
	tcase_add_test(tc, test_keeld_attach_detach);
	suite_add_tcase(s, tc);
	return s;
}
