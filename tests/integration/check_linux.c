// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stock Debian guest (make guest) under keel-hv, with every virtio
 * device: it reaches its ready line and sees every vCPU; reads what the
 * host wrote on its disk and writes what the host then finds in the
 * image file, and cannot write a read-only disk; reads its virtio-rng;
 * exchanges packets with the host over a tap device in a network
 * namespace made for the test; gives memory back through its balloon
 * (keel-hv's RSS drops); and powers off, or reboots, with the right exit
 * status. One boot carries all the device checks; another goes through
 * keeld and `keel console` (balloon from maxmem, rng, hvc0, vCPU
 * hot-plug with `keel vcpu-set`, mem-set/mem-max moving the balloon,
 * followed by `keel list`, and a disk's limits changed live); three
 * more type poweroff, reboot and halt; one reads its disk and talks
 * over its NIC under I/O limits.
 *
 * Part of `make check`: what users rely on first. Where /dev/kvm is
 * missing, or is kvm_pvm's (which cannot run a stock kernel,
 * docs/hypervisor.md), the runner moves the suite into
 * tests/nested/kvm-in-qemu. KEEL_LONG_TIMEOUT (seconds, default 900)
 * bounds each wait.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "hv_proto.h"
#include "keel.h"
#include "keeld_fixture.h"
#include "runner.h"

#define VCPUS "2"
#define IP "/sbin/ip"
#define HOST_ADDR "10.99.0.1"
#define GUEST_ADDR "10.99.0.2"
#define FROM_HOST "KEEL-BLOCK-FROM-HOST"
#define FROM_GUEST "KEEL-BLOCK-FROM-GUEST"
#define RO_MARK "KEEL-READ-ONLY-DISK"

static int timeout_ms(void)
{
	return harness_long_timeout_ms();
}

/* A booted guest and what the test made for it. */
struct guest {
	struct proc p;
	long at; /* console offset read so far */
	char dir[64];
	char disk[96], ro_disk[96], sock[96];
	char ns[32], tap[16];
};

/*
 * Type @cmd on the guest's shell and wait for @want after it. The shell
 * echoes @cmd, so @want must not appear in it: ask for "x=$?" and wait
 * for "x=0", never for a word the command itself contains.
 */
static void guest_run(struct guest *g, const char *cmd, const char *want)
{
	g->at = harness_con_run(&g->p, cmd, want, g->at, timeout_ms());
}

static void guest_boot(struct guest *g, char **extra)
{
	char *argv[40] = { IP, "netns", "exec", g->ns,
			   (char *)harness_path("hypervisor/keel-hv"),
			   "--kernel", (char *)harness_path("guest/out/vmlinuz"),
			   "--initrd",
			   (char *)harness_path("guest/out/initrd.gz"),
			   "--memory", "256M", "--vcpus", VCPUS, "--console",
			   "stdio" };
	unsigned n = 15;

	for (unsigned i = 0; extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	ck_assert_int_eq(proc_spawn(&g->p, argv), 0);
	g->at = harness_guest_ready(&g->p, 0, timeout_ms());
}

static void guest_setup(struct guest *g)
{
	memset(g, 0, sizeof(*g));
	g->p.pid = -1;
	strcpy(g->dir, "/tmp/keel-linux-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(g->dir));
	snprintf(g->disk, sizeof(g->disk), "%s/disk.img", g->dir);
	snprintf(g->ro_disk, sizeof(g->ro_disk), "%s/ro.img", g->dir);
	snprintf(g->sock, sizeof(g->sock), "%s/control.sock", g->dir);
	snprintf(g->ns, sizeof(g->ns), "keeltest%d", (int)getpid());
	snprintf(g->tap, sizeof(g->tap), "ktap%d", (int)getpid() % 100000);
	ck_assert_int_eq(harness_sh(IP " netns add %s", g->ns), 0);
}

static void guest_teardown(struct guest *g)
{
	proc_dispose(&g->p);
	harness_sh(IP " netns del %s 2>/dev/null", g->ns);
	harness_sh("rm -rf '%s'", g->dir);
}

START_TEST(test_debian_guest_devices)
{
	struct guest g;
	char net[64], ro[112];
	const char *reply;
	long filled, after = -1;
	struct harness_client ctl;

	guest_setup(&g);
	harness_write_at(g.disk, 16 << 20, 100 * 512, FROM_HOST);
	harness_write_at(g.ro_disk, 1 << 20, 0, RO_MARK);
	snprintf(net, sizeof(net), "tap=%s,mac=52:54:00:12:34:56", g.tap);
	snprintf(ro, sizeof(ro), "%s,ro", g.ro_disk);
	guest_boot(&g, (char *[]){ "--disk", g.disk, "--disk", ro,
				   "--net", net, "--rng", "--balloon",
				   "--control", g.sock, NULL });

	/* SMP */
	guest_run(&g, "echo cpus=$(nproc)\n", "cpus=" VCPUS);

	/* Block: the host's bytes in, the guest's bytes out, RO refused. */
	guest_run(&g, "echo got=$(dd if=/dev/vda bs=512 skip=100 count=1 "
		      "2>/dev/null | head -c 20)\n", "got=" FROM_HOST);
	guest_run(&g, "echo " FROM_GUEST " | dd of=/dev/vda bs=512 seek=8 "
		      "conv=fsync 2>/dev/null; echo wrote=$?\n", "wrote=0");
	ck_assert(harness_file_has_at(g.disk, 8 * 512, FROM_GUEST));
	guest_run(&g, "echo ro=$(cat /sys/block/vdb/ro); echo x | dd "
		      "of=/dev/vdb conv=fsync 2>/dev/null; echo rowrite=$?\n",
		  "rowrite=1");
	ck_assert_ptr_nonnull(strstr(g.p.out, "ro=1"));
	ck_assert(harness_file_has_at(g.ro_disk, 0, RO_MARK));

	/* RNG */
	guest_run(&g, "echo rng=$(cat /sys/class/misc/hw_random/rng_current)"
		      " bytes=$(head -c 64 /dev/hwrng | wc -c)\n",
		  "rng=virtio_rng.0 bytes=64");

	/* Network: both directions over the tap in the test's namespace. */
	harness_tap_up(g.ns, g.tap, HOST_ADDR);
	guest_run(&g, "ip link set eth0 up && ip addr add " GUEST_ADDR
		      "/24 dev eth0 && echo ping=$(ping -c 2 -W 5 " HOST_ADDR
		      " | grep -c 'bytes from')\n", "ping=2");
	ck_assert_int_eq(harness_sh(IP " netns exec %s ping -c 2 -W 5 "
				       GUEST_ADDR " >/dev/null", g.ns), 0);
	/* Its driver took mergeable receive buffers (feature bit 15). */
	guest_run(&g, "echo mrg=$(cut -c16 /sys/class/net/eth0/device/"
		      "features)\n", "mrg=1");

	/* Balloon: touch 150 MiB, free it in the guest, then inflate. */
	guest_run(&g, "mkdir -p /mnt && mount -t tmpfs -o size=200m t /mnt &&"
		      " dd if=/dev/zero of=/mnt/f bs=1M count=150 2>/dev/null"
		      " && rm /mnt/f && echo filled=$((1 + 1))\n", "filled=2");
	filled = harness_status_kib(g.p.pid, "VmRSS");
	ck_assert_int_eq(harness_client_open(&ctl, g.sock, 4000), 0);
	reply = harness_client_call(&ctl, "{\"jsonrpc\":\"2.0\",\"id\":1,"
				    "\"method\":\"balloon\",\"params\":"
				    "{\"target_mib\":96}}", timeout_ms());
	ck_assert_msg(reply && strstr(reply, "\"target_mib\":96"), "%s",
		      reply ? reply : "no reply");
	for (int i = 0; i < timeout_ms() / 500; i++) {
		reply = harness_client_call(&ctl, "{\"jsonrpc\":\"2.0\","
					    "\"id\":2,\"method\":\"balloon\"}",
					    timeout_ms());
		ck_assert_ptr_nonnull(reply);
		after = harness_status_kib(g.p.pid, "VmRSS");
		if (strstr(reply, "\"actual_mib\":96") &&
		    after < filled - 100 * 1024)
			break;
		usleep(500000);
	}
	harness_client_close(&ctl);
	ck_assert_msg(after < filled - 100 * 1024,
		      "RSS %ld KiB after inflating, %ld KiB before (%s)",
		      after, filled, reply);

	ck_assert_int_eq(proc_send(&g.p, "poweroff -f\n"), 0);
	ck_assert_int_eq(proc_wait(&g.p, timeout_ms()), 0);
	guest_teardown(&g);
}
END_TEST

/* A counter of device @dev in keel-hv's stats, read on @ctl; -1 if none. */
static long long device_stat(struct harness_client *ctl, const char *dev,
			     const char *key)
{
	const char *reply = harness_client_call(ctl, "{\"jsonrpc\":\"2.0\","
						"\"id\":9,\"method\":\"stats\"}",
						timeout_ms());
	struct json_object *o, *v;
	char ptr[96];
	long long n = -1;

	ck_assert_ptr_nonnull(reply);
	o = json_tokener_parse(reply);
	snprintf(ptr, sizeof(ptr), "/result/devices/%s/%s", dev, key);
	if (o && !json_pointer_get(o, ptr, &v))
		n = json_object_get_int64(v);
	json_object_put(o);
	return n;
}

/*
 * In @g's namespace, a child that accepts one TCP connection on
 * HOST_ADDR:@port and reads @want bytes from it, then hangs up (so that
 * the guest's nc ends whether or not it shuts its side down at its
 * input's end) and exits 0; 1 if fewer came. Its pid.
 */
static pid_t netns_sink(const struct guest *g, int port, size_t want)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	char path[96], buf[16384];
	size_t got = 0;
	int ns, fd, c, one = 1;
	pid_t pid;
	ssize_t n;

	inet_pton(AF_INET, HOST_ADDR, &sa.sin_addr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	alarm((unsigned)(timeout_ms() / 1000));
	snprintf(path, sizeof(path), "/run/netns/%s", g->ns);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWNET))
		_exit(2);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 1))
		_exit(3);
	c = accept(fd, NULL, NULL);
	while (c >= 0 && got < want &&
	       (n = read(c, buf, sizeof(buf))) > 0)
		got += (size_t)n;
	_exit(got >= want ? 0 : 1);
}

/*
 * Whether @g's tap, in its namespace, has offload @cmd (ETHTOOL_GTSO,
 * ETHTOOL_GTXCSUM) on: what keel-hv set once the guest's driver took
 * GUEST_CSUM and GUEST_TSO4/6. Asked from a child inside the namespace.
 */
static bool tap_offload(const struct guest *g, uint32_t cmd)
{
	char path[96];
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct ethtool_value ev = { .cmd = cmd };
		struct ifreq ifr = { 0 };
		int ns, fd;

		snprintf(path, sizeof(path), "/run/netns/%s", g->ns);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		if (ns < 0 || setns(ns, CLONE_NEWNET))
			_exit(2);
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", g->tap);
		ifr.ifr_data = (void *)&ev;
		if (fd < 0 || ioctl(fd, SIOCETHTOOL, &ifr))
			_exit(3);
		_exit(ev.data ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) <= 1,
		      "cannot ask tap %s for its offloads (status %#x)", g->tap,
		      status);
	return WEXITSTATUS(status) == 0;
}

/*
 * A disk limit slows the guest's reads: at 256 KiB/s with a 64 KiB
 * burst, a 4 MiB dd cannot run without its requests waiting, and the
 * counters say they did. Lifted live (the iotune control method, all
 * limits 0), the next 4 MiB go without a wait. A NIC's limits, in the
 * same boot: 128 KiB sent over TCP to the host under 20 frames/s with a
 * burst of 1 (and 64 KiB/s), the acknowledgements received under 5
 * frames/s with a burst of 1, and the counters say both directions had
 * to wait. Frame limits with a burst of one, because TCP sends segments
 * back to back and the host acknowledges several at once however fast
 * the guest is (a byte limit alone did not bind in the nested runner:
 * the acknowledgements, held back on the way in, paced the guest's TCP
 * below it). Counters only: how long anything took is not checked.
 * The Debian guest's virtio_net took keel-hv's offloads: its tap may
 * hand it unchecksummed, unsegmented frames.
 */
START_TEST(test_debian_guest_disk_limit)
{
	struct harness_client ctl;
	struct guest g;
	const char *reply;
	long long waits;
	char net[64];
	pid_t sink;
	int status;

	guest_setup(&g);
	harness_write_at(g.disk, 16 << 20, 0, FROM_HOST);
	snprintf(net, sizeof(net), "tap=%s,mac=52:54:00:12:34:56", g.tap);
	guest_boot(&g, (char *[]){ "--disk", g.disk, "--iotune",
				   "vblk0:read_bytes_sec=262144,"
				   "read_bytes_sec_max=65536",
				   "--net", net, "--iotune",
				   "vnet0:tx_bytes_sec=65536,"
				   "tx_bytes_burst=16384,tx_packets_sec=20,"
				   "tx_packets_burst=1,rx_packets_sec=5,"
				   "rx_packets_burst=1",
				   "--control", g.sock, NULL });
	guest_run(&g, "dd if=/dev/vda of=/dev/null bs=1M skip=4 count=4 "
		      "2>/dev/null; echo rd=$((1 + $?))\n", "rd=1");
	ck_assert_int_eq(harness_client_open(&ctl, g.sock, 4000), 0);
	ck_assert_int_ge(device_stat(&ctl, "vblk0", "read_bytes"), 4 << 20);
	waits = device_stat(&ctl, "vblk0", "throttled");
	ck_assert_int_ge(waits, 1);
	ck_assert_int_ge(device_stat(&ctl, "vblk0", "throttled_ms"), 0);

	reply = harness_client_call(&ctl, "{\"jsonrpc\":\"2.0\",\"id\":1,"
				    "\"method\":\"iotune\",\"params\":"
				    "{\"device\":\"vblk0\",\"limits\":{}}}",
				    timeout_ms());
	ck_assert_msg(reply && strstr(reply, "\"read_bytes_sec\":0"), "%s",
		      reply ? reply : "no reply");
	guest_run(&g, "dd if=/dev/vda of=/dev/null bs=1M skip=8 count=4 "
		      "2>/dev/null; echo rd2=$((1 + $?))\n", "rd2=1");
	ck_assert_int_ge(device_stat(&ctl, "vblk0", "read_bytes"), 8 << 20);
	ck_assert_int_eq(device_stat(&ctl, "vblk0", "throttled"), waits);

	/* The NIC: 128 KiB to a sink in the test's namespace. */
	harness_tap_up(g.ns, g.tap, HOST_ADDR);
	ck_assert_msg(tap_offload(&g, ETHTOOL_GTXCSUM) &&
			      tap_offload(&g, ETHTOOL_GTSO),
		      "tap %s has no checksum or TSO offload: the guest's driver did not take GUEST_CSUM and GUEST_TSO4",
		      g.tap);
	sink = netns_sink(&g, 5001, 128 << 10);
	guest_run(&g, "ip link set eth0 up && ip addr add " GUEST_ADDR
		      "/24 dev eth0 && dd if=/dev/zero bs=1k count=128 "
		      "2>/dev/null | nc " HOST_ADDR " 5001; echo sent=$((1 + "
		      "$?))\n", "sent=1");
	ck_assert_int_eq(waitpid(sink, &status, 0), sink);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the sink got less than 128 KiB (status %#x)", status);
	ck_assert_int_ge(device_stat(&ctl, "vnet0", "tx_bytes"), 128 << 10);
	ck_assert_int_ge(device_stat(&ctl, "vnet0", "tx_throttled"), 1);
	ck_assert_int_ge(device_stat(&ctl, "vnet0", "rx_throttled"), 1);
	ck_assert_int_ge(device_stat(&ctl, "vnet0", "tx_throttled_ms"), 0);
	harness_client_close(&ctl);

	ck_assert_int_eq(proc_send(&g.p, "poweroff -f\n"), 0);
	ck_assert_int_eq(proc_wait(&g.p, timeout_ms()), 0);
	guest_teardown(&g);
}
END_TEST

/*
 * Ctrl-C at the guest's shell stops the command it runs: /init must not
 * start the shell with SIGINT ignored (guest/init says how that
 * happens). The sleep outlasts the wait for the next answer.
 */
static void guest_check_ctrl_c(struct guest *g)
{
	long at;

	ck_assert_int_eq(proc_send(&g->p, "sleep 600; echo slept=$((1 + 1))\n"),
			 0);
	at = proc_expect(&g->p, "sleep 600", (size_t)g->at, timeout_ms());
	ck_assert_msg(at > 0, "the shell did not echo the command:\n%s",
		      harness_tail(g->p.out + g->at));
	g->at = at;
	sleep(1);
	ck_assert_int_eq(proc_send(&g->p, "\003"), 0);
	ck_assert_int_eq(proc_send(&g->p, "echo ctrlc=$((2 + 2))\n"), 0);
	at = proc_expect(&g->p, "ctrlc=4", (size_t)g->at, 60000);
	ck_assert_msg(at > 0, "Ctrl-C did not stop `sleep 600`:\n%s",
		      harness_tail(g->p.out + g->at));
	ck_assert_ptr_null(strstr(g->p.out + g->at, "slept=2"));
	g->at = at;
}

/*
 * Type @cmd, as a user would, at the shell of a fresh guest: /init
 * (guest/init) must stop everything, unmount what is mounted (a tmpfs
 * the test mounts on /mnt first, the shell's working directory, then
 * /init's own) and end keel-hv with @status, saying @why on the way.
 */
static void guest_shutdown_by(const char *cmd, const char *why,
			      const char *end, int status)
{
	struct guest g;
	long at;

	guest_setup(&g);
	guest_boot(&g, (char *[]){ NULL });
	guest_check_ctrl_c(&g);
	guest_run(&g, "mkdir -p /mnt && mount -t tmpfs t /mnt && cd /mnt && "
		      "echo mnt=$((1 + 1))\n", "mnt=2");
	ck_assert_int_eq(proc_send(&g.p, cmd), 0);
	ck_assert_int_eq(proc_wait(&g.p, timeout_ms()), status);
	at = proc_expect(&g.p, why, (size_t)g.at, 0);
	ck_assert_msg(at > 0, "after `%s` no \"%s\" in:\n%s", cmd, why,
		      harness_tail(g.p.out + g.at));
	at = proc_expect(&g.p, end, (size_t)at, 0);
	ck_assert_msg(at > 0, "after `%s` no \"%s\" in:\n%s", cmd, end,
		      harness_tail(g.p.out + g.at));
	guest_teardown(&g);
}

START_TEST(test_debian_guest_poweroff_typed)
{
	guest_shutdown_by("poweroff\n", "init: poweroff requested",
			  "init: unmounted /mnt /dev/pts /dev /sys /proc; "
			  "powering off", HV_EXIT_POWEROFF);
}
END_TEST

START_TEST(test_debian_guest_reboot_typed)
{
	guest_shutdown_by("reboot\n", "init: reboot requested",
			  "init: unmounted /mnt /dev/pts /dev /sys /proc; "
			  "rebooting", HV_EXIT_REBOOT);
}
END_TEST

/* A halted VM would only spin: /init powers it off (docs/guest.md). */
START_TEST(test_debian_guest_halt_typed)
{
	guest_shutdown_by("halt\n", "init: halt requested; a VM powers off",
			  "init: unmounted /mnt /dev/pts /dev /sys /proc; "
			  "powering off", HV_EXIT_POWEROFF);
}
END_TEST

/*
 * What keeld gives a domain, seen from inside the Debian guest: with
 * maxmem above memory a balloon holds the difference from the start
 * (MemTotal near memory, not maxmem); a virtio-rng by default; hvc0,
 * which `keel console` picks by itself when the kernel's last console=
 * is hvc0, with the guest's shell on it; with maxvcpus above vcpus,
 * `keel vcpu-set` plugs a vCPU (nproc follows once the guest onlines it:
 * its busybox init has no udev rule to do that, so the test writes
 * cpuN/online as a udev rule would) and unplugs it again (the guest
 * kernel offlines and ejects it by itself), a count above maxvcpus is
 * refused and changes nothing. poweroff typed there ends the
 * (transient) domain.
 */
/* Run `keel -c RW_SOCK @a @b @c`: its exit status, its output in @out. */
static int keel_cli(struct proc *out, const char *a, const char *b,
		    const char *c)
{
	char *argv[] = { (char *)harness_path("cli/keel"), "-c", rw_sock,
			 (char *)a, (char *)b, (char *)c, NULL };

	ck_assert_int_eq(proc_spawn(out, argv), 0);
	return proc_wait(out, timeout_ms());
}

/*
 * Wait (a minute at most) for domain.list's memory of deb, what keeld
 * keeps from keel-hv's balloon-changed notifications, to be @mib.
 */
static void wait_listed_memory(long mib)
{
	struct json_object *resp = NULL;
	long got = -1;

	for (int i = 0; i < 300 && got != mib; i++) {
		if (i)
			usleep(200000);
		json_object_put(resp);
		resp = rpc_ok("domain.list", "{}");
		got = json_object_get_int64(at(resp, "/result/0/memory"));
	}
	ck_assert_msg(got == mib, "domain.list says %ld MiB, not %ld: %s",
		      got, mib, json_object_to_json_string(resp));
	json_object_put(resp);
}

/* deb's memory and maxmem, as domain.config gives them now. */
static void assert_config_memory(long memory, long maxmem)
{
	struct json_object *resp = rpc_ok("domain.config", "{\"name\":\"deb\"}");

	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/memory")),
			 memory);
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/maxmem")),
			 maxmem);
	json_object_put(resp);
}

/*
 * mem-set and mem-max on the running guest (after its balloon came down
 * to memory 128 of maxmem 384): what is refused changes nothing; a
 * mem-set to 256 through the CLI grows the guest's MemTotal, and keeld's
 * listing and `keel list` follow the balloon.
 */
static void check_mem_set(struct proc *con, long *at)
{
	struct json_object *resp;
	struct proc cli = { .pid = -1 };
	const char *row;
	long mib, id, listed = -1;
	char name[16];

	wait_listed_memory(128);
	resp = rpc_call("domain.set_memory",
			"{\"name\":\"deb\",\"memory_mib\":512}");
	assert_error(resp, -32602, "/memory_mib");
	json_object_put(resp);
	resp = rpc_call("domain.set_maxmem",
			"{\"name\":\"deb\",\"maxmem_mib\":512}");
	assert_error(resp, KEEL_E_INVALID_STATE, NULL);
	ck_assert_msg(strstr(str_at(resp, "/error/message"),
			     "fixed when it started"),
		      "%s", str_at(resp, "/error/message"));
	json_object_put(resp);
	assert_config_memory(128, 384);
	/* maxmem lowered within the RAM bounds the next mem-set. */
	json_object_put(rpc_ok("domain.set_maxmem",
			       "{\"name\":\"deb\",\"maxmem_mib\":320}"));
	resp = rpc_call("domain.set_memory",
			"{\"name\":\"deb\",\"memory_mib\":352}");
	assert_error(resp, -32602, "/memory_mib");
	json_object_put(resp);
	assert_config_memory(128, 320);

	ck_assert_int_eq(keel_cli(&cli, "mem-set", "deb", "256m"), 0);
	proc_dispose(&cli);
	harness_con_type(con, "for i in $(seq 60); do m=$(awk '/MemTotal/ "
			      "{ print int($2 / 1024) }' /proc/meminfo); "
			      "[ $m -gt 200 ] && break; sleep 1; done\r");
	/*
	 * $((...)): the echoed command line does not match, its output
	 * does; read once the line is whole, not just its key.
	 */
	mib = (long)harness_con_number(con, "echo grown=$((0 + 1)) mib=${m}x\r",
				       "grown=1 mib=", at, 120000);
	ck_assert_msg(mib > 200 && mib <= 256,
		      "MemTotal %ld MiB after mem-set 256", mib);
	wait_listed_memory(256);
	assert_config_memory(256, 320);
	ck_assert_int_eq(keel_cli(&cli, "list", "deb", NULL), 0);
	row = strstr(cli.out, "\ndeb ");
	ck_assert_msg(row && sscanf(row, " %15s %ld %ld", name, &id,
				    &listed) == 3 && listed == 256,
		      "keel list:\n%s", cli.out);
	proc_dispose(&cli);
}

/*
 * A running domain's disk limits through keeld: what the configuration
 * set reaches keel-hv (--iotune), and a live change is keel-hv's answer
 * and the running configuration's, the other limits kept.
 */
static void keeld_iotune_live(void)
{
	struct json_object *resp;

	resp = rpc_ok("domain.blkdeviotune", "{\"name\":\"deb\",\"disk\":\"xvda\"}");
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/limits/read_iops_sec")),
			 1000);
	json_object_put(resp);
	resp = rpc_ok("domain.blkdeviotune",
		      "{\"name\":\"deb\",\"disk\":0,\"limits\":"
		      "{\"total_bytes_sec\":262144}}");
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/limits/total_bytes_sec")),
			 262144);
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/limits/read_iops_sec")),
			 1000);
	json_object_put(resp);
	resp = rpc_ok("domain.config", "{\"name\":\"deb\"}");
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/disks/0/iotune/total_bytes_sec")),
			 262144);
	json_object_put(resp);
	resp = rpc_ok("domain.stats", "{\"name\":\"deb\"}");
	ck_assert_ptr_nonnull(at(resp, "/result/hv/devices/vblk0/throttled"));
	json_object_put(resp);
}

/* `keel vcpu-set deb N`, which must succeed. */
static void keel_vcpu_set(const char *n)
{
	char *argv[] = { (char *)harness_path("cli/keel"), "-c", rw_sock,
			 "vcpu-set", "deb", (char *)n, NULL };
	struct proc p = { .pid = -1 };

	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_msg(proc_wait(&p, WAIT_MS) == 0, "keel vcpu-set deb %s: %s",
		      n, harness_tail(p.out));
	proc_dispose(&p);
}

/* The domain's configuration says @vcpus. */
static void assert_config_vcpus(int vcpus)
{
	struct json_object *resp = rpc_ok("domain.config", "{\"name\":\"deb\"}");

	ck_assert_int_eq(json_object_get_int(at(resp, "/result/vcpus")),
			 vcpus);
	json_object_put(resp);
}

/*
 * vcpus 1, maxvcpus 2: one CPU; plugged, the second appears and, once
 * onlined, counts; unplugged, the guest gives it back. The guest waits
 * (up to a minute) for each change itself, so no wait is timed here.
 */
static long check_vcpu_hotplug(struct proc *con, long at)
{
	struct json_object *resp;

	harness_con_type(con, "echo n=$(nproc)x\r");
	at = harness_con_expect(con, "n=1x", at, 120000);
	keel_vcpu_set("2");
	assert_config_vcpus(2);
	harness_con_type(con, "for i in $(seq 60); do [ -e "
			      "/sys/devices/system/cpu/cpu1/online ] && break; "
			      "sleep 1; done; echo 1 > "
			      "/sys/devices/system/cpu/cpu1/online; echo "
			      "n=$(nproc)x\r");
	at = harness_con_expect(con, "n=2x", at, 120000);

	/* Above maxvcpus: refused, naming the field; nothing changes. */
	resp = rpc_call("domain.set_vcpus", "{\"name\":\"deb\",\"vcpus\":3}");
	assert_error(resp, -32602, "/vcpus");
	ck_assert_ptr_nonnull(strstr(str_at(resp, "/error/message"),
				     "at most 2 vCPUs"));
	json_object_put(resp);
	assert_config_vcpus(2);

	keel_vcpu_set("1");
	assert_config_vcpus(1);
	harness_con_type(con, "for i in $(seq 60); do [ $(nproc) = 1 ] && [ ! "
			      "-e /sys/devices/system/cpu/cpu1 ] && break; "
			      "sleep 1; done; echo n=$(nproc)x\r");
	return harness_con_expect(con, "n=1x", at, 120000);
}


START_TEST(test_keeld_debian_devices)
{
	char config[2048], *argv[8], disk[] = "/tmp/keel-iotune-XXXXXX";
	struct json_object *resp;
	struct proc con = { .pid = -1 };
	long at, mib = -1;
	int fd = mkstemp(disk);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
	close(fd);
	keeld_start();
	snprintf(config, sizeof(config),
		 "{\"config\":{\"name\":\"deb\",\"kernel\":\"%s\","
		 "\"ramdisk\":\"%s\",\"memory\":128,\"maxmem\":384,"
		 "\"vcpus\":1,\"maxvcpus\":2,"
		 "\"cmdline\":\"console=ttyS0 console=hvc0 "
		 "reboot=k panic=-1\",\"disks\":[{\"vdev\":\"xvda\","
		 "\"path\":\"%s\",\"iotune\":{\"read_iops_sec\":1000}}]}}",
		 harness_path("guest/out/vmlinuz"),
		 harness_path("guest/out/initrd.gz"), disk);
	resp = rpc_call("domain.create", "%s", config);
	assert_ok(resp);
	json_object_put(resp);

	argv[0] = (char *)harness_path("cli/keel");
	argv[1] = "-c";
	argv[2] = rw_sock;
	argv[3] = "console";
	argv[4] = "deb";
	argv[5] = NULL;
	ck_assert_int_eq(proc_spawn(&con, argv), 0);
	/* On the default console: keel console picks hvc0 by itself. */
	at = harness_guest_ready(&con, 0, timeout_ms());

	harness_con_type(&con, "echo on=$(tty)\r");
	at = harness_con_expect(&con, "on=/dev/hvc0", at, 120000);
	harness_con_type(&con, "echo rng=$(cat /sys/class/misc/hw_random/"
			       "rng_current)\r");
	at = harness_con_expect(&con, "rng=virtio_rng", at, 120000);
	/*
	 * The driver inflates the balloon a chunk at a time once it is
	 * loaded: wait (in the guest, up to a minute) for MemTotal to come
	 * down to memory.
	 */
	harness_con_type(&con, "for i in $(seq 60); do m=$(awk '/MemTotal/ "
			       "{ print int($2 / 1024) }' /proc/meminfo); "
			       "[ $m -le 128 ] && break; sleep 1; done\r");
	mib = (long)harness_con_number(&con,
				       "echo balloon=$(ls /sys/bus/virtio/"
				       "drivers/virtio_balloon | grep -c "
				       "virtio) mib=${m}x\r",
				       "balloon=1 mib=", &at, 120000);
	/* 128 MiB less what the kernel keeps; far from maxmem's 384. */
	ck_assert_msg(mib > 64 && mib <= 128,
		      "MemTotal %ld MiB with memory 128, maxmem 384", mib);
	at = check_vcpu_hotplug(&con, at);
	check_mem_set(&con, &at);
	keeld_iotune_live();

	harness_con_type(&con, "poweroff\r");
	ck_assert_int_eq(proc_wait(&con, timeout_ms()), 0);
	proc_dispose(&con);
	/* Transient: gone once it powered off. */
	for (int i = 0; i < timeout_ms() / 200; i++) {
		resp = rpc_call("domain.info", "{\"name\":\"deb\"}");
		if (code_of(resp) == KEEL_E_NO_DOMAIN)
			break;
		json_object_put(resp);
		resp = NULL;
		usleep(200000);
	}
	ck_assert_msg(resp, "domain deb still exists after poweroff");
	json_object_put(resp);
	keeld_stop();
	unlink(disk);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("linux");
	TCase *tc = tcase_create("debian guest");

	runner_skip_reason = harness_debian_guest_missing(&runner_wants_kvm);
	/* Six boots of a stock kernel in emulated SVM take their time. */
	runner_nested_seconds = 1800;
	tcase_set_timeout(tc, (double)timeout_ms() * 4 / 1000);
	tcase_add_test(tc, test_debian_guest_devices);
	suite_add_tcase(s, tc);

	tc = tcase_create("through keeld");
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, (double)timeout_ms() * 4 / 1000);
	tcase_add_test(tc, test_keeld_debian_devices);
	suite_add_tcase(s, tc);

	/* A case of their own, so CK_RUN_CASE="typed shutdown" picks them. */
	tc = tcase_create("typed shutdown");
	tcase_set_timeout(tc, (double)timeout_ms() * 4 / 1000);
	tcase_add_test(tc, test_debian_guest_poweroff_typed);
	tcase_add_test(tc, test_debian_guest_reboot_typed);
	tcase_add_test(tc, test_debian_guest_halt_typed);
	suite_add_tcase(s, tc);

	tc = tcase_create("io limits");
	tcase_set_timeout(tc, (double)timeout_ms() * 4 / 1000);
	tcase_add_test(tc, test_debian_guest_disk_limit);
	suite_add_tcase(s, tc);
	return s;
}
