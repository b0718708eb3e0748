// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/bench/qos: does keel's resource policy give what it promises
 * (issue 10's benchmark; docs/qos.md has the table of a run)? One run
 * prints one table; nothing here asserts a speed.
 *
 *   cap        one guest, cap 25 (% of one CPU): its measured share
 *              (goal 25 +- 2 percentage points);
 *   weights    two guests pinned to host CPU 0 (cpus = "0"), weights
 *              512 and 256, no cap: the ratio of their CPU times
 *              (goal 2.0 +- 10 %).
 *              Both: a keeld of its own (keeld_env), guests that keep
 *              their vCPU busy (tests/guests/echo.bin), and domain.stats'
 *              cpu.time_ns over its time_ns between two samples.
 *   io         the Debian guest (make guest) under keel-hv and then
 *              under QEMU, same kernel, initramfs, disk image and tap:
 *              disk 10 MiB/s and 200 IOPS (keel-hv's iotune; QEMU's
 *              -drive throttling.bps-total and .iops-total) with 1 MiB
 *              and with 4 KiB direct reads, and 10 Mbit/s each way on
 *              the NIC (keel-hv's tx/rx_bytes_sec; for QEMU, tc on the
 *              tap as libvirt does it: a policer on its ingress, the
 *              guest's transmit, and tbf on its egress, the guest's
 *              receive), and 2 Mbit/s for the guest's transmit, which
 *              binds where it cannot send 10 (the nested runner).
 *              Achieved over set, from the VMM's disk counters
 *              (keel-hv's stats, QMP query-blockstats) and the tap's
 *              (/proc/net/dev) over -d seconds, 3 s after the limit was
 *              set: steady, after the burst. keel-hv also gives each
 *              rate without a limit, to show that the limit binds.
 *   overhead   keel-hv alone, 1 MiB direct reads: throughput with no
 *              limit (the devices skip the buckets) against every disk
 *              limit at 10^15 (each request refills and charges
 *              buckets that never hold it back), six pairs of 5 s
 *              windows in alternating order, the median of the pairs'
 *              ratios; and ratelimit_take()'s own cost per request,
 *              timed here, against the device's request rate
 *              (goal <= 2 %).
 *   stats      domain.stats_all for 50 domains (goal <= 10 ms): a keeld
 *              of its own whose keel-hv is tests/bench/stats_hv (a
 *              stand-in answering keel-hv's stats, no VM), round trips
 *              on one connection and keeld's CPU time per call. Needs
 *              no /dev/kvm.
 *
 *   qos [-d SECONDS] [-n DOMAINS] [-p PART,...] [-k GUEST]
 *       [--kernel VMLINUZ] [--initrd INITRD] [--qemu PATH] [--no-qemu]
 *       [--tc PATH] [--keeld PATH] [--hv PATH] [--stats-hv PATH]
 *       [--schema-dir DIR]
 *
 * -p picks parts (cpu, io, stats; all by default). The io part runs in
 * a network namespace of its own (it needs root, ip(8) and, for QEMU's
 * network limits, iproute2's tc(8), /usr/sbin/tc unless --tc says,
 * with sch_tbf, sch_ingress, cls_matchall or cls_u32, and act_police);
 * -d also sets its windows, and KEEL_LONG_TIMEOUT (seconds, default
 * 900) bounds each wait for a guest. Without /dev/kvm only the stats
 * part runs; for the rest, run it in the nested runner from the build
 * directory, with QEMU and tc brought in (docs/qos.md, "Measured", has
 * the command).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "keel.h"
#include "keeld_fixture.h"
#include "monotime.h"
#include "ratelimit.h"

#define GOAL_CAP 25
#define GOAL_CAP_PP 2.0
#define GOAL_RATIO 2.0
#define GOAL_RATIO_PCT 10.0
#define GOAL_IO_PCT 5.0
#define GOAL_OVERHEAD_PCT 2.0
#define GOAL_STATS_MS 10.0

/* The limits of the io part. */
#define DISK_BPS (10ULL << 20)
#define DISK_IOPS 200ULL
#define NET_BPS 1250000ULL /* 10 Mbit/s: tc's and xl's M is 10^6 */
#define HUGE_LIMIT 1000000000000000ULL /* IOTUNE_VALUE_MAX */

#define PART_CPU 1u
#define PART_IO 2u
#define PART_STATS 4u

#define HOST_ADDR "10.98.0.1"
#define GUEST_ADDR "10.98.0.2"
#define SINK_PORT 5001		/* the guest sends here */
#define GUEST_PORT 5002		/* the guest listens here */
#define TAP "qostap0"
#define DISK_MIB 256
#define OVERHEAD_PAIRS 6
#define OVERHEAD_SECONDS 5
#define NET_LOW_BPS 250000ULL /* 2 Mbit/s */
#define BUCKET_CALLS 1000000
#define STATS_CALLS 100
#define MAX_DOMAINS 200

struct qos_cfg {
	int seconds, domains;
	unsigned parts;
	bool qemu_on;
	const char *guest, *keeld, *hv, *schema_dir, *stats_hv;
	const char *kernel, *initrd, *qemu, *tc;
};

/* One domain's counters at one moment (domain.stats). */
struct sample {
	uint64_t time_ns, cpu_ns;
};

/* One workload's rates over a window; < 0: not measured. */
struct rates {
	double disk_bps, disk_iops, tx_bps, rx_bps;
	double disk_waited; /* keel-hv: share of requests that waited */
};

/* What the io part measured, for one VMM. */
struct io_result {
	double big_bps, small_iops, tx_bps, rx_bps; /* limited */
	double big_free, small_free, tx_free, rx_free; /* no limit */
	double tx_low_bps; /* limited to NET_LOW_BPS */
	double none[OVERHEAD_PAIRS], huge[OVERHEAD_PAIRS]; /* keel-hv only */
	double none_iops; /* requests/s without a limit, the last window */
	double big_waited, small_waited[3]; /* keel-hv: rates.disk_waited */
	double small_more[2]; /* two more windows of the IOPS row */
	const char *why; /* why a row is missing, or NULL */
};

struct stats_result {
	double p50_ms, min_ms, p90_ms, cpu_ms;
	int domains;
	const char *why;
};

static int rpc_fail(struct keel_conn *c, const char *what)
{
	const struct keel_error *e = keel_last_error(c);

	fprintf(stderr, "qos: %s: %s\n", what, e ? e->message : "failed");
	return -1;
}

static uint64_t at_u64(struct json_object *o, const char *ptr)
{
	struct json_object *v = at(o, ptr);

	return v ? (uint64_t)json_object_get_int64(v) : 0;
}

static int sample_of(struct keel_conn *c, const char *name, struct sample *s)
{
	struct json_object *st = NULL;

	if (keel_domain_stats(c, name, &st) < 0)
		return rpc_fail(c, "domain.stats");
	s->time_ns = at_u64(st, "/time_ns");
	s->cpu_ns = at_u64(st, "/cpu/time_ns");
	json_object_put(st);
	return 0;
}

/* A transient domain @name: one busy vCPU, 16 MiB, and @extra members. */
static int create(struct keel_conn *c, const struct qos_cfg *cfg,
		  const char *name, const char *extra)
{
	char text[1024];
	struct json_object *config;
	int rc;

	snprintf(text, sizeof(text),
		 "{\"name\":\"%s\",\"kernel\":\"%s\",\"memory\":16%s%s}",
		 name, cfg->guest, extra ? "," : "", extra ? extra : "");
	config = json_tokener_parse(text);
	if (!config) {
		fprintf(stderr, "qos: bad config %s\n", text);
		return -1;
	}
	rc = keel_domain_create(c, config, 0, NULL);
	json_object_put(config);
	return rc < 0 ? rpc_fail(c, "domain.create") : 0;
}

/* The CPU share (% of one CPU) of each of @names over cfg->seconds. */
static int measure(struct keel_conn *c, const struct qos_cfg *cfg,
		   const char *const *names, int n, double *share)
{
	struct sample a[2], b[2];

	for (int i = 0; i < n; i++)
		if (sample_of(c, names[i], &a[i]))
			return -1;
	sleep((unsigned)cfg->seconds);
	for (int i = 0; i < n; i++) {
		if (sample_of(c, names[i], &b[i]))
			return -1;
		share[i] = b[i].time_ns > a[i].time_ns ?
				   100.0 * (double)(b[i].cpu_ns - a[i].cpu_ns) /
					   (double)(b[i].time_ns - a[i].time_ns) :
				   0;
	}
	return 0;
}

/* --- io: the Debian guest under keel-hv and under QEMU ------------------ */

/* A booted guest: its VMM, its console, and how its counters are read. */
struct vm {
	const char *name;
	bool qemu;
	struct proc p;
	long at;			/* console read up to here */
	struct harness_client ctl;	/* keel-hv's control socket, QMP */
	char dir[64], disk[96], sock[96];
};

/* How long a guest may take to answer: KEEL_LONG_TIMEOUT, as check_linux. */
static int io_timeout_ms(void)
{
	const char *s = getenv("KEEL_LONG_TIMEOUT");
	long v = s ? strtol(s, NULL, 10) : 900;

	return (int)(v > 0 && v < 86400 ? v : 900) * 1000;
}

/* Run a shell command line; 0 if it exited 0. */
static int __attribute__((format(printf, 1, 2))) sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return rc == 0 ? 0 : -1;
}

/*
 * Type @cmd at the guest's shell and wait for @want after it (never a
 * word of @cmd itself: the shell echoes it).
 */
static int vm_run(struct vm *vm, const char *cmd, const char *want)
{
	long at;

	if (proc_send(&vm->p, cmd))
		return -1;
	at = proc_expect(&vm->p, want, (size_t)vm->at, io_timeout_ms());
	if (at < 0) {
		fprintf(stderr, "qos: %s: after `%s` no \"%s\"\n", vm->name,
			cmd, want);
		return -1;
	}
	vm->at = at;
	return 0;
}

/* Sleep @ms while reading the console, so that the VMM never blocks on it. */
static void vm_sleep(struct vm *vm, int ms)
{
	proc_expect(&vm->p, "\001qos-never\001", vm->p.len, ms);
}

/* One JSON line answered on @vm's socket, events skipped; NULL if none. */
static struct json_object *vm_call(struct vm *vm, const char *line)
{
	const char *reply = harness_client_call(&vm->ctl, line, 10000);

	while (reply && strstr(reply, "\"event\"") &&
	       !strstr(reply, "\"return\""))
		reply = harness_client_readline(&vm->ctl, 10000);
	return reply ? json_tokener_parse(reply) : NULL;
}

static double num_at(struct json_object *o, const char *ptr)
{
	struct json_object *v = at(o, ptr);

	return v ? (double)json_object_get_int64(v) : -1;
}

/* The guest's disk counters: bytes and requests read. */
static int vm_disk(struct vm *vm, double *bytes, double *reqs,
		   double *waits)
{
	struct json_object *o;

	*waits = -1;
	if (vm->qemu) {
		o = vm_call(vm, "{\"execute\":\"query-blockstats\"}");
		*bytes = num_at(o, "/return/0/stats/rd_bytes");
		*reqs = num_at(o, "/return/0/stats/rd_operations");
	} else {
		o = vm_call(vm, "{\"jsonrpc\":\"2.0\",\"id\":1,"
				"\"method\":\"stats\"}");
		*bytes = num_at(o, "/result/devices/vblk0/read_bytes");
		*reqs = num_at(o, "/result/devices/vblk0/reads");
		*waits = num_at(o, "/result/devices/vblk0/throttled");
	}
	json_object_put(o);
	return *bytes < 0 || *reqs < 0 ? -1 : 0;
}

/*
 * The tap's counters (/proc/net/dev, this namespace's): what the host
 * received is what the guest sent, and the other way round.
 */
static int tap_bytes(double *guest_tx, double *guest_rx)
{
	char line[512];
	FILE *f = fopen("/proc/net/dev", "r");
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[9];
		char *p = strstr(line, TAP ":");

		if (!p)
			continue;
		if (sscanf(p + strlen(TAP ":"),
			   "%llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7], &v[8]) == 9) {
			*guest_tx = (double)v[0];
			*guest_rx = (double)v[8];
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

struct counters {
	long long ms;
	double disk_bytes, disk_reqs, disk_waits, tx, rx;
};

static int counters_read(struct vm *vm, struct counters *c)
{
	c->ms = harness_now_ms();
	if (vm_disk(vm, &c->disk_bytes, &c->disk_reqs, &c->disk_waits) ||
	    tap_bytes(&c->tx, &c->rx)) {
		fprintf(stderr, "qos: %s: cannot read its counters\n",
			vm->name);
		return -1;
	}
	return 0;
}

/*
 * The rates of whatever the guest runs, over @ms, after @settle_ms for
 * the burst to go.
 */
static int window(struct vm *vm, int ms, int settle_ms, struct rates *r)
{
	struct counters a, b;
	double s;

	vm_sleep(vm, settle_ms);
	if (counters_read(vm, &a))
		return -1;
	vm_sleep(vm, ms);
	if (counters_read(vm, &b))
		return -1;
	s = (double)(b.ms - a.ms) / 1000;
	r->disk_bps = (b.disk_bytes - a.disk_bytes) / s;
	r->disk_iops = (b.disk_reqs - a.disk_reqs) / s;
	r->tx_bps = (b.tx - a.tx) / s;
	r->rx_bps = (b.rx - a.rx) / s;
	/* Each wait is one request held back (virtio-blk counts waits). */
	r->disk_waited = a.disk_waits >= 0 && b.disk_reqs > a.disk_reqs ?
				 (b.disk_waits - a.disk_waits) /
					 (b.disk_reqs - a.disk_reqs) :
				 -1;
	return 0;
}

/* keel-hv's limits for @dev, all others 0 (no limit). */
static int hv_iotune(struct vm *vm, const char *dev, const char *limits)
{
	char line[512];
	struct json_object *o;
	int rc;

	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"iotune\","
		 "\"params\":{\"device\":\"%s\",\"limits\":{%s}}}",
		 dev, limits);
	o = vm_call(vm, line);
	rc = at(o, "/result") ? 0 : -1;
	if (rc)
		fprintf(stderr, "qos: keel-hv refused iotune %s {%s}\n", dev,
			limits);
	json_object_put(o);
	return rc;
}

/* Start a guest workload in the background: one of the commands below. */
static int work_start(struct vm *vm, const char *cmd)
{
	char line[512];

	snprintf(line, sizeof(line), "%s & echo go=$((1 + 1))\n", cmd);
	return vm_run(vm, line, "go=2");
}

static int work_stop(struct vm *vm)
{
	return vm_run(vm, "kill $! 2>/dev/null; killall dd nc 2>/dev/null; "
			  "echo stopped=$((2 + 2))\n", "stopped=4");
}

#define WORK_BIG "(while :; do dd if=/dev/vda of=/dev/null bs=1M " \
		 "iflag=direct 2>/dev/null; done)"
#define WORK_SMALL "(while :; do dd if=/dev/vda of=/dev/null bs=4k " \
		   "iflag=direct 2>/dev/null; done)"
#define WORK_TX "(dd if=/dev/zero bs=64k count=1000000 2>/dev/null | " \
		"nc " HOST_ADDR " " STR(SINK_PORT) ")"
#define WORK_RX "(nc -l -p " STR(GUEST_PORT) " >/dev/null)"
#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * The host's end of the network workloads, a child process in this
 * namespace: a sink that reads whatever comes to HOST_ADDR:SINK_PORT,
 * or (@source) a sender of zeros to the guest's GUEST_PORT. Returns its
 * pid, or -1.
 */
static pid_t net_peer(bool source)
{
	pid_t pid = fork();
	static char buf[65536];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, one = 1;

	if (pid)
		return pid;
	alarm(3600);
	if (source) {
		sa.sin_port = htons(GUEST_PORT);
		inet_pton(AF_INET, GUEST_ADDR, &sa.sin_addr);
		for (;;) {
			fd = socket(AF_INET, SOCK_STREAM, 0);
			if (fd >= 0 &&
			    !connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
				break;
			close(fd);
			usleep(200000);
		}
		while (write(fd, buf, sizeof(buf)) > 0)
			;
		_exit(0);
	}
	sa.sin_port = htons(SINK_PORT);
	inet_pton(AF_INET, HOST_ADDR, &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 4)) {
		fprintf(stderr, "qos: the sink cannot listen: %s\n",
			strerror(errno));
		_exit(1);
	}
	for (;;) {
		int c = accept(fd, NULL, NULL);

		while (c >= 0 && read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
}

static void net_peer_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* Boot @vm (its VMM's argv in @argv) to the shell; address its NIC. */
static int vm_boot(struct vm *vm, char *const argv[])
{
	vm->at = proc_spawn(&vm->p, argv) ? -1 : 0;
	if (vm->at < 0)
		return -1;
	vm->at = proc_expect(&vm->p, "KEEL-GUEST-READY", 0, io_timeout_ms());
	if (vm->at >= 0)
		vm->at = proc_expect(&vm->p, "# ", (size_t)vm->at,
				     io_timeout_ms());
	if (vm->at < 0) {
		fprintf(stderr, "qos: %s: the guest did not boot; its console "
				"ends:\n%s\n", vm->name,
			vm->p.len > 2000 ? vm->p.out + vm->p.len - 2000 :
					   vm->p.out);
		return -1;
	}
	if (harness_client_open(&vm->ctl, vm->sock, 10000)) {
		fprintf(stderr, "qos: %s: no control socket\n", vm->name);
		return -1;
	}
	if (vm->qemu) {
		struct json_object *o;

		/* The greeting, then capabilities, as QMP wants. */
		free(harness_client_readline(&vm->ctl, 10000));
		o = vm_call(vm, "{\"execute\":\"qmp_capabilities\"}");
		json_object_put(o);
	}
	if (sh("ip addr add " HOST_ADDR "/24 dev " TAP " && ip link set "
	       TAP " up"))
		return -1;
	return vm_run(vm, "ip link set eth0 up && ip addr add " GUEST_ADDR
			  "/24 dev eth0 && echo ping=$(ping -c 1 -W 5 "
			  HOST_ADDR " | grep -c 'bytes from')\n", "ping=1");
}

static void vm_end(struct vm *vm)
{
	if (vm->p.pid > 0 && !vm->p.exited) {
		proc_send(&vm->p, "poweroff -f\n");
		if (proc_wait(&vm->p, 60000) < 0)
			kill(vm->p.pid, SIGKILL);
	}
	harness_client_close(&vm->ctl);
	proc_dispose(&vm->p);
}

/*
 * tc on the tap, libvirt's way for a NIC's <bandwidth>: what the guest
 * sends arrives on the tap's ingress and is policed there at @mbit;
 * what it receives leaves by the tap's egress and is shaped by tbf at
 * 10 Mbit/s. Whatever was there is replaced. tc is cfg->tc: busybox's
 * tc, first on the nested runner's PATH, knows no policing.
 */
static int tc_limit(const struct qos_cfg *cfg, int mbit)
{
	const char *tc = cfg->tc;

	sh("%s qdisc del dev " TAP " root 2>/dev/null; %s qdisc del dev "
	   TAP " ingress 2>/dev/null", tc, tc);
	if (sh("%s qdisc add dev " TAP " root tbf rate 10mbit burst 32kb "
	       "latency 100ms && %s qdisc add dev " TAP " handle ffff: "
	       "ingress", tc, tc))
		return -1;
	/* libvirt's u32 match-all where the kernel lacks cls_matchall. */
	if (sh("%s filter add dev " TAP " parent ffff: matchall action "
	       "police rate %dmbit burst 32kb conform-exceed drop", tc,
	       mbit) &&
	    sh("%s filter add dev " TAP " parent ffff: protocol all u32 "
	       "match u32 0 0 police rate %dmbit burst 32kb drop", tc, mbit)) {
		fprintf(stderr, "qos: %s cannot police the tap\n", tc);
		return -1;
	}
	return 0;
}

/* The overhead rows: no limit against six buckets that never bind. */
static int overhead(struct vm *vm, struct io_result *r)
{
	char huge[512];
	struct rates x;

	snprintf(huge, sizeof(huge),
		 "\"total_bytes_sec\":%llu,\"read_bytes_sec\":%llu,"
		 "\"write_bytes_sec\":%llu,\"total_iops_sec\":%llu,"
		 "\"read_iops_sec\":%llu,\"write_iops_sec\":%llu",
		 HUGE_LIMIT, HUGE_LIMIT, HUGE_LIMIT, HUGE_LIMIT, HUGE_LIMIT,
		 HUGE_LIMIT);
	for (int i = 0; i < OVERHEAD_PAIRS; i++) {
		/* Which goes first alternates, so a drift favours neither. */
		for (int j = 0; j < 2; j++) {
			bool use = (i + j) % 2;

			if (hv_iotune(vm, "vblk0", use ? huge : "") ||
			    window(vm, OVERHEAD_SECONDS * 1000, 500, &x))
				return -1;
			*(use ? &r->huge[i] : &r->none[i]) = x.disk_bps;
			if (!use)
				r->none_iops = x.disk_iops;
		}
	}
	return 0;
}

/*
 * The network rows: the guest sending (at 10 Mbit/s, then at
 * NET_LOW_BPS, which binds where the guest cannot send 10 Mbit/s at
 * all) and receiving. keel-hv sets each limit live after a window
 * without one; QEMU's come from tc (tc_limit()).
 */
static int net_rows(struct vm *vm, const struct qos_cfg *cfg,
		    struct io_result *r)
{
	static const char net_lim[] = "\"tx_bytes_sec\":1250000,"
				      "\"rx_bytes_sec\":1250000";
	static const char net_low[] = "\"tx_bytes_sec\":250000";
	bool hv = !vm->qemu;
	struct rates x;
	pid_t peer;

	peer = net_peer(false);
	if (peer < 0 || work_start(vm, WORK_TX))
		goto out_peer;
	if (hv) {
		if (hv_iotune(vm, "vnet0", "") ||
		    window(vm, cfg->seconds * 1000, 1000, &x))
			goto out_peer;
		r->tx_free = x.tx_bps;
	}
	if ((hv ? hv_iotune(vm, "vnet0", net_lim) : tc_limit(cfg, 10)) ||
	    window(vm, cfg->seconds * 1000, 3000, &x))
		goto out_peer;
	r->tx_bps = x.tx_bps;
	if ((hv ? hv_iotune(vm, "vnet0", net_low) :
		  tc_limit(cfg, NET_LOW_BPS * 8 / 1000000)) ||
	    window(vm, cfg->seconds * 1000, 3000, &x) || work_stop(vm))
		goto out_peer;
	r->tx_low_bps = x.tx_bps;
	net_peer_stop(peer);

	if (work_start(vm, WORK_RX))
		return -1;
	peer = net_peer(true);
	if (peer < 0)
		return -1;
	if (hv) {
		if (hv_iotune(vm, "vnet0", "") ||
		    window(vm, cfg->seconds * 1000, 1000, &x))
			goto out_peer;
		r->rx_free = x.rx_bps;
	}
	if ((hv ? hv_iotune(vm, "vnet0", net_lim) : tc_limit(cfg, 10)) ||
	    window(vm, cfg->seconds * 1000, 3000, &x))
		goto out_peer;
	r->rx_bps = x.rx_bps;
	net_peer_stop(peer);
	return work_stop(vm);

out_peer:
	net_peer_stop(peer);
	return -1;
}

/*
 * Run the workloads on @vm and fill @r. keel-hv sets each limit live,
 * after a window without it; QEMU has its disk limits from its command
 * line. A disk row failing skips the network rows, not the other way.
 */
static int workloads(struct vm *vm, const struct qos_cfg *cfg,
		     struct io_result *r)
{
	static const char disk_lim[] = "\"total_bytes_sec\":10485760,"
				       "\"total_iops_sec\":200";
	bool hv = !vm->qemu;
	struct rates x;

	/* Disk, 1 MiB requests: the bytes limit binds (160 requests/s). */
	if (work_start(vm, WORK_BIG))
		return -1;
	if (hv && (overhead(vm, r) || hv_iotune(vm, "vblk0", disk_lim)))
		return -1;
	if (window(vm, cfg->seconds * 1000, 3000, &x) || work_stop(vm))
		return -1;
	r->big_bps = x.disk_bps;
	r->big_waited = x.disk_waited;

	/* Disk, 4 KiB requests: the IOPS limit binds (800 KiB/s). */
	if (work_start(vm, WORK_SMALL))
		return -1;
	if (hv) {
		if (hv_iotune(vm, "vblk0", "") ||
		    window(vm, cfg->seconds * 1000, 1000, &x))
			return -1;
		r->small_free = x.disk_iops;
		if (hv_iotune(vm, "vblk0", disk_lim))
			return -1;
	}
	if (window(vm, cfg->seconds * 1000, 3000, &x))
		return -1;
	r->small_iops = x.disk_iops;
	r->small_waited[0] = x.disk_waited;
	/* Two more windows: how much one of them varies. */
	for (int i = 0; i < 2; i++) {
		if (window(vm, cfg->seconds * 1000, 0, &x))
			return -1;
		r->small_more[i] = x.disk_iops;
		r->small_waited[i + 1] = x.disk_waited;
	}
	if (work_stop(vm))
		return -1;
	if (net_rows(vm, cfg, r)) {
		r->why = "a network row failed";
		return -1;
	}
	return 0;
}

static int vm_dir(struct vm *vm, const char *name, bool qemu)
{
	int fd;

	memset(vm, 0, sizeof(*vm));
	vm->p.pid = -1;
	vm->ctl.fd = -1;
	vm->name = name;
	vm->qemu = qemu;
	strcpy(vm->dir, "/tmp/keel-qos-XXXXXX");
	if (!mkdtemp(vm->dir))
		return -1;
	snprintf(vm->disk, sizeof(vm->disk), "%s/disk.img", vm->dir);
	snprintf(vm->sock, sizeof(vm->sock), "%s/control.sock", vm->dir);
	/* Sparse: reads of holes cost the host no disk and no memory. */
	fd = open(vm->disk, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)DISK_MIB << 20)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void vm_dir_remove(struct vm *vm)
{
	unlink(vm->disk);
	unlink(vm->sock);
	rmdir(vm->dir);
}

static int io_keel(const struct qos_cfg *cfg, struct io_result *r)
{
	struct vm vm;
	char disk[128], ctl[128];
	int rc;

	if (vm_dir(&vm, "keel-hv", false))
		return -1;
	snprintf(disk, sizeof(disk), "%s", vm.disk);
	snprintf(ctl, sizeof(ctl), "%s", vm.sock);
	{
		char *argv[] = { (char *)cfg->hv, "--kernel",
				 (char *)cfg->kernel, "--initrd",
				 (char *)cfg->initrd, "--memory", "256M",
				 "--vcpus", "1", "--console", "stdio",
				 "--cmdline", "console=ttyS0 quiet",
				 "--disk", disk, "--net",
				 "tap=" TAP ",mac=52:54:00:12:34:56",
				 "--control", ctl, NULL };

		rc = vm_boot(&vm, argv);
	}
	if (!rc)
		rc = workloads(&vm, cfg, r);
	vm_end(&vm);
	vm_dir_remove(&vm);
	return rc;
}

static int io_qemu(const struct qos_cfg *cfg, struct io_result *r)
{
	struct vm vm;
	char drive[256], qmp[160];
	int rc;

	if (vm_dir(&vm, "qemu", true))
		return -1;
	snprintf(drive, sizeof(drive),
		 "file=%s,if=none,id=d0,format=raw,"
		 "throttling.bps-total=%llu,throttling.iops-total=%llu",
		 vm.disk, DISK_BPS, DISK_IOPS);
	snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", vm.sock);
	{
		char *argv[] = { (char *)cfg->qemu, "-M", "q35", "-accel",
				 "kvm", "-cpu", "host", "-m", "256", "-smp",
				 "1", "-nodefaults", "-no-user-config",
				 "-display", "none", "-serial", "stdio",
				 "-no-reboot", "-kernel", (char *)cfg->kernel,
				 "-initrd", (char *)cfg->initrd, "-append",
				 "console=ttyS0 quiet", "-drive", drive,
				 "-device", "virtio-blk-pci,drive=d0",
				 "-netdev",
				 "tap,id=n0,ifname=" TAP
				 ",script=no,downscript=no",
				 "-device",
				 /* No option ROM: nothing boots from it. */
				 "virtio-net-pci,netdev=n0,"
				 "mac=52:54:00:12:34:57,romfile=",
				 "-qmp", qmp, NULL };

		rc = vm_boot(&vm, argv);
	}
	if (!rc)
		rc = workloads(&vm, cfg, r);
	vm_end(&vm);
	vm_dir_remove(&vm);
	return rc;
}

/* CLOCK_MONOTONIC in nanoseconds. */
/* --- stats: domain.stats_all for many domains ---------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* user + system time of @pid, in ms; -1 if unknown. */
static double cpu_ms_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
			 "%*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1000 / (double)sysconf(_SC_CLK_TCK);
}

/*
 * Is @all a stats_all answer with @n domains, none of them in error,
 * each with keeld's own reading of its process (a resident size, which
 * a running stand-in always has)?
 */
static bool stats_complete(struct json_object *all, int n)
{
	struct json_object *list = at(all, "/domains");

	if (!list || (int)json_object_array_length(list) != n)
		return false;
	for (int i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(list,
								  (size_t)i);

		if (at(d, "/error") || at_u64(d, "/memory/rss_kib") == 0)
			return false;
	}
	return true;
}

static int bench_stats(const struct qos_cfg *cfg, struct stats_result *r)
{
	static double ms[STATS_CALLS];
	struct keel_conn *c = NULL;
	struct keeld_env b = { 0 };
	struct qos_cfg sc = *cfg;
	struct json_object *all;
	char *err = NULL;
	double cpu0;
	int rc = -1;

	/* The stand-in runs no kernel; any file that exists will do. */
	sc.guest = cfg->stats_hv;
	r->domains = cfg->domains;
	if (keeld_env_start(&b, "qos", cfg->keeld, cfg->schema_dir,
			    cfg->stats_hv, "log_level = info\n") ||
	    keel_connect(b.sock, &c, &err) < 0) {
		fprintf(stderr, "qos: %s\n", err ? err : "keeld did not start");
		r->why = "keeld did not start";
		goto out;
	}
	for (int i = 0; i < cfg->domains; i++) {
		char name[32];

		snprintf(name, sizeof(name), "stats%d", i);
		if (create(c, &sc, name, NULL)) {
			r->why = "a domain.create failed";
			goto out;
		}
	}
	/* Warm: the first calls connect to every stand-in's socket. */
	for (int i = 0; i < 5; i++) {
		if (keel_domain_stats_all(c, &all) < 0) {
			rpc_fail(c, "domain.stats_all");
			r->why = "domain.stats_all failed";
			goto out;
		}
		json_object_put(all);
	}
	cpu0 = cpu_ms_of(b.keeld_proc.pid);
	for (int i = 0; i < STATS_CALLS; i++) {
		long long t0 = ((long long)monotime_ns());
		bool ok;

		if (keel_domain_stats_all(c, &all) < 0) {
			rpc_fail(c, "domain.stats_all");
			r->why = "domain.stats_all failed";
			goto out;
		}
		ms[i] = (double)(((long long)monotime_ns()) - t0) / 1e6;
		ok = stats_complete(all, cfg->domains);
		json_object_put(all);
		if (!ok) {
			r->why = "an answer lacked a domain or had an error";
			goto out;
		}
	}
	r->cpu_ms = (cpu_ms_of(b.keeld_proc.pid) - cpu0) / STATS_CALLS;
	qsort(ms, STATS_CALLS, sizeof(ms[0]), cmp_double);
	r->min_ms = ms[0];
	r->p50_ms = ms[STATS_CALLS / 2];
	r->p90_ms = ms[STATS_CALLS * 9 / 10];
	rc = 0;
out:
	keel_close(c);
	free(err);
	keeld_env_stop(&b);
	return rc;
}

/* --- the table ----------------------------------------------------------- */

static double mean(const double *v, int n)
{
	double s = 0;

	for (int i = 0; i < n; i++)
		s += v[i];
	return n ? s / n : -1;
}

/* "9.98 MiB/s (0.998)": @got against @set in @unit; "-" if not measured. */
static const char *ratio_text(char *buf, size_t size, double got, double set,
			      double unit, const char *name)
{
	if (got < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.2f %s (%.3f)", got / unit, name,
			 got / set);
	return buf;
}

static void io_row(const char *what, double k, double q, double set,
		   double unit, const char *name, double free_rate)
{
	char a[48], b[48], f[32] = "-";

	if (free_rate >= 0)
		snprintf(f, sizeof(f), "%.2f", free_rate / unit);
	printf("%-30s %22s %22s %12s\n", what,
	       ratio_text(a, sizeof(a), k, set, unit, name),
	       ratio_text(b, sizeof(b), q, set, unit, name), f);
}

/*
 * What ratelimit_take() costs one disk request whose buckets never
 * bind: virtio-blk's own call (four charges, rl_now()) with every disk
 * limit at 10^15, over BUCKET_CALLS calls; ns per call.
 */
static double bucket_ns(void)
{
	const struct rl_charge c[4] = {
		{ IOTUNE_TOTAL_BYTES, 1 << 20 }, { IOTUNE_TOTAL_IOPS, 1 },
		{ IOTUNE_READ_BYTES, 1 << 20 }, { IOTUNE_READ_IOPS, 1 },
	};
	struct rl_throttle thr = { 0 };
	struct iotune t = { 0 };
	struct ratelimit rl;
	uint64_t waited = 0;
	long long t0;

	for (int i = IOTUNE_TOTAL_BYTES; i <= IOTUNE_WRITE_IOPS; i++)
		t.rate[i] = HUGE_LIMIT;
	ratelimit_init(&rl);
	ratelimit_set(&rl, &t, rl_now());
	t0 = ((long long)monotime_ns());
	for (int i = 0; i < BUCKET_CALLS; i++)
		waited += ratelimit_take(&rl, &thr, c, 4, rl_now());
	if (waited)
		return -1; /* a bucket at 10^15 held a request back */
	return (double)(((long long)monotime_ns()) - t0) / BUCKET_CALLS;
}

/* The median of the @n ratios @a[i] / @b[i]. */
static double median_ratio(const double *a, const double *b, int n)
{
	double r[OVERHEAD_PAIRS];

	for (int i = 0; i < n; i++)
		r[i] = b[i] > 0 ? a[i] / b[i] : 0;
	qsort(r, (size_t)n, sizeof(r[0]), cmp_double);
	return n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
}

static void overhead_table(const struct io_result *k)
{
	double none = mean(k->none, OVERHEAD_PAIRS);
	double huge = mean(k->huge, OVERHEAD_PAIRS);
	double ratio = median_ratio(k->huge, k->none, OVERHEAD_PAIRS);
	double ns = bucket_ns();

	printf("\n%-44s %10s %16s\n", "overhead: an unlimited bucket",
	       "measured", "goal");
	if (none > 0 && huge > 0) {
		printf("%-44s %8.2f MiB/s\n", "1 MiB reads, no limit (skipped)",
		       none / 1048576);
		printf("%-44s %8.2f MiB/s\n", "1 MiB reads, disk limits at 10^15",
		       huge / 1048576);
		printf("%-44s %9.1f%% %13s %.0f %%\n",
		       "throughput lost (median of pairs)",
		       100 * (1 - ratio), "<=", GOAL_OVERHEAD_PCT);
		printf("  %d pairs of %d s windows (MiB/s), no limit / 10^15:",
		       OVERHEAD_PAIRS, OVERHEAD_SECONDS);
		for (int i = 0; i < OVERHEAD_PAIRS; i++)
			printf("%s %.1f/%.1f", i % 3 ? "" : "\n   ",
			       k->none[i] / 1048576, k->huge[i] / 1048576);
		printf("\n");
	}
	printf("%-44s %8.0f ns\n", "ratelimit_take() per request, 10^15",
	       ns);
	if (ns > 0 && k->none_iops > 0)
		printf("%-44s %9.3f%% %13s %.0f %%\n",
		       "  of the I/O thread at the unlimited rate",
		       100 * ns * k->none_iops / 1e9, "<=", GOAL_OVERHEAD_PCT);
	if (k->none_iops > 0)
		printf("  (%.0f requests/s without a limit: the device's "
		       "time per request against the\n  buckets' cost; "
		       "the windows above carry the nested runner's noise)\n",
		       k->none_iops);
}

static void io_table(const struct io_result *k, const struct io_result *q)
{
	char low[48];

	printf("\n%-30s %22s %22s %12s\n", "io: achieved (achieved/set)",
	       "keel-hv", "qemu", "no limit");
	io_row("disk 10 MiB/s, 1 MiB reads", k->big_bps, q->big_bps,
	       (double)DISK_BPS, 1048576, "MiB/s",
	       mean(k->none, OVERHEAD_PAIRS));
	io_row("disk 200 IOPS, 4 KiB reads", k->small_iops, q->small_iops,
	       (double)DISK_IOPS, 1, "IOPS", k->small_free);
	io_row("net 10 Mbit/s, guest sends", k->tx_bps, q->tx_bps,
	       (double)NET_BPS, 125000, "Mbit/s", k->tx_free);
	snprintf(low, sizeof(low), "net %llu Mbit/s, guest sends",
		 NET_LOW_BPS * 8 / 1000000);
	io_row(low, k->tx_low_bps, q->tx_low_bps, (double)NET_LOW_BPS, 125000,
	       "Mbit/s", k->tx_free);
	io_row("net 10 Mbit/s, guest receives", k->rx_bps, q->rx_bps,
	       (double)NET_BPS, 125000, "Mbit/s", k->rx_free);
	printf("goal: keel-hv within %.0f %% of the limit (0.950-1.050) where "
	       "\"no limit\", keel-hv's\n  rate without one, is above it; "
	       "net rates count whole frames on the tap.\n", GOAL_IO_PCT);
	printf("200 IOPS, two more windows: keel-hv %.2f %.2f, qemu %.2f "
	       "%.2f\n", k->small_more[0], k->small_more[1], q->small_more[0],
	       q->small_more[1]);
	printf("keel-hv's requests that had to wait: %.1f %% (1 MiB), "
	       "%.1f %% %.1f %% %.1f %% (4 KiB)\n", 100 * k->big_waited,
	       100 * k->small_waited[0], 100 * k->small_waited[1],
	       100 * k->small_waited[2]);
	if (k->why)
		printf("keel-hv: %s\n", k->why);
	if (q->why)
		printf("qemu: %s\n", q->why);
	if (!k->why || mean(k->none, OVERHEAD_PAIRS) > 0)
		overhead_table(k);
}

static void cpu_table(double cap_share, const double w[2])
{
	double ratio = w[1] > 0 ? w[0] / w[1] : -1;

	printf("\n%-44s %10s %16s\n", "cpu (busy echo guests)", "measured",
	       "goal");
	printf("%-44s %9.1f%% %10d +- %.0f pp\n",
	       "cap 25: share of one CPU", cap_share, GOAL_CAP, GOAL_CAP_PP);
	printf("%-44s %9.1f%%\n", "weights on CPU 0: 512's share", w[0]);
	printf("%-44s %9.1f%%\n", "weights on CPU 0: 256's share", w[1]);
	printf("%-44s %10.2f %10.1f +- %.0f %%\n", "weights 512:256: ratio",
	       ratio, GOAL_RATIO, GOAL_RATIO_PCT);
	printf("share: domain.stats' cpu.time_ns (keel-hv, every thread) "
	       "over its time_ns.\n");
	if (cap_share >= 0 && fabs(cap_share - GOAL_CAP) > GOAL_CAP_PP)
		printf("cap: outside the goal\n");
	if (ratio >= 0 &&
	    fabs(ratio - GOAL_RATIO) > GOAL_RATIO * GOAL_RATIO_PCT / 100)
		printf("weights: outside the goal\n");
}

static void stats_table(const struct stats_result *st)
{
	printf("\n%-44s %10s %16s\n", "stats", "measured", "goal");
	if (st->why) {
		printf("domain.stats_all: %s\n", st->why);
		return;
	}
	printf("%-44s %8.2f ms %13s %.0f ms\n",
	       "domain.stats_all round trip p50", st->p50_ms, "<=",
	       GOAL_STATS_MS);
	printf("%-44s %8.2f ms\n", "  min", st->min_ms);
	printf("%-44s %8.2f ms\n", "  p90", st->p90_ms);
	printf("%-44s %8.2f ms\n", "  keeld's CPU time per call", st->cpu_ms);
	printf("%d domains, each a tests/bench/stats_hv stand-in; %d calls "
	       "on one connection.\n", st->domains, STATS_CALLS);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: qos [-d SECONDS] [-n DOMAINS] [-p PART,...] [-k GUEST] "
		"[--kernel VMLINUZ] [--initrd INITRD] [--qemu PATH] "
		"[--no-qemu] [--tc PATH] [--keeld PATH] [--hv PATH] "
		"[--stats-hv PATH] [--schema-dir DIR]\n");
	exit(2);
}

static unsigned parse_parts(const char *s)
{
	unsigned parts = 0;
	char *copy = strdup(s), *save = NULL;

	for (char *w = strtok_r(copy, ",", &save); w;
	     w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "cpu"))
			parts |= PART_CPU;
		else if (!strcmp(w, "io"))
			parts |= PART_IO;
		else if (!strcmp(w, "stats"))
			parts |= PART_STATS;
		else
			usage();
	}
	free(copy);
	return parts;
}

/* The CPU rows: cap, then weights. */
static int bench_cpu(const struct qos_cfg *cfg, double *cap_share,
		     double w[2])
{
	static const char *const pair[] = { "heavy", "light" };
	struct keel_conn *c = NULL;
	struct keeld_env b = { 0 };
	char *err = NULL;
	int rc = -1;

	if (keeld_env_start(&b, "qos", cfg->keeld, cfg->schema_dir, cfg->hv,
			    "log_level = info\n") ||
	    keel_connect(b.sock, &c, &err) < 0) {
		fprintf(stderr, "qos: %s\n", err ? err : "keeld did not start");
		goto out;
	}
	/* The cap: one guest alone, so nothing but the cap holds it back. */
	if (create(c, cfg, "capped", "\"cap\":25") ||
	    measure(c, cfg, (const char *const[]){ "capped" }, 1,
		    cap_share) ||
	    keel_domain_destroy(c, "capped", NULL) < 0)
		goto out;

	/* Weights: two guests on the same host CPU, the scheduler's choice. */
	if (create(c, cfg, pair[0], "\"cpus\":\"0\",\"cpu_weight\":512") ||
	    create(c, cfg, pair[1], "\"cpus\":\"0\",\"cpu_weight\":256") ||
	    measure(c, cfg, pair, 2, w))
		goto out;
	rc = 0;
out:
	keel_close(c);
	free(err);
	keeld_env_stop(&b);
	return rc;
}

/* The io rows, in a network namespace of this process's own. */
static int bench_io(const struct qos_cfg *cfg, struct io_result *k,
		    struct io_result *q)
{
	int rc;

	if (unshare(CLONE_NEWNET) || sh("ip link set lo up")) {
		k->why = q->why = "no network namespace of its own (root?)";
		return -1;
	}
	rc = io_keel(cfg, k);
	if (rc && !k->why)
		k->why = "failed; see above";
	printf("io: keel-hv done\n");
	fflush(stdout);
	if (!cfg->qemu_on) {
		q->why = "not run (--no-qemu)";
		return rc;
	}
	if (io_qemu(cfg, q) && !q->why)
		q->why = "failed; see above";
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keeld", required_argument, NULL, 'K' },
		{ "hv", required_argument, NULL, 'H' },
		{ "schema-dir", required_argument, NULL, 'S' },
		{ "stats-hv", required_argument, NULL, 'T' },
		{ "kernel", required_argument, NULL, 'L' },
		{ "initrd", required_argument, NULL, 'I' },
		{ "qemu", required_argument, NULL, 'Q' },
		{ "no-qemu", no_argument, NULL, 'N' },
		{ "tc", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct qos_cfg cfg = { .seconds = 10, .domains = 50,
			       .parts = PART_CPU | PART_IO | PART_STATS,
			       .qemu_on = true,
			       .qemu = "/usr/bin/qemu-system-x86_64",
			       .tc = "/usr/sbin/tc" };
	struct io_result k = { 0 }, q = { 0 };
	struct stats_result st = { .p50_ms = -1 };
	double cap_share = -1, w[2] = { -1, -1 };
	unsigned asked;
	const char *why;
	int opt, rc = 0;

	while ((opt = getopt_long(argc, argv, "d:n:p:k:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': cfg.seconds = atoi(optarg); break;
		case 'n': cfg.domains = atoi(optarg); break;
		case 'p': cfg.parts = parse_parts(optarg); break;
		case 'k': cfg.guest = optarg; break;
		case 'K': cfg.keeld = optarg; break;
		case 'H': cfg.hv = optarg; break;
		case 'S': cfg.schema_dir = optarg; break;
		case 'T': cfg.stats_hv = optarg; break;
		case 'L': cfg.kernel = optarg; break;
		case 'I': cfg.initrd = optarg; break;
		case 'Q': cfg.qemu = optarg; break;
		case 'N': cfg.qemu_on = false; break;
		case 'C': cfg.tc = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || cfg.seconds < 1 || cfg.seconds > 3600 ||
	    cfg.domains < 1 || cfg.domains > MAX_DOMAINS || !cfg.parts)
		usage();
	for (int i = 0; i < OVERHEAD_PAIRS; i++)
		k.none[i] = k.huge[i] = -1;
	k.big_bps = k.small_iops = k.tx_bps = k.rx_bps = k.tx_low_bps = -1;
	k.none_iops = k.big_waited = -1;
	k.small_more[0] = k.small_more[1] = -1;
	for (int i = 0; i < 3; i++)
		k.small_waited[i] = -1;
	k.big_free = k.small_free = k.tx_free = k.rx_free = -1;
	q = k;
	asked = cfg.parts;
	why = harness_kvm_missing();
	if (why && (cfg.parts & (PART_CPU | PART_IO))) {
		fprintf(stderr,
			"qos: %s: only the stats part runs here.\nRun the rest in the nested runner: tests/nested/kvm-in-qemu -t 2400 BUILDDIR BUILDDIR/tests/bench/qos\n",
			why);
		cfg.parts &= PART_STATS;
		k.why = q.why = "not run: no /dev/kvm";
		rc = 1;
	}
	cfg.guest = absolute(cfg.guest ? cfg.guest :
				     harness_path("tests/guests/echo.bin"));
	cfg.hv = absolute(cfg.hv ? cfg.hv : harness_path("hypervisor/keel-hv"));
	cfg.keeld = absolute(cfg.keeld ? cfg.keeld :
				     harness_path("daemon/keeld"));
	cfg.stats_hv = absolute(cfg.stats_hv ? cfg.stats_hv :
				harness_path("tests/bench/stats_hv"));
	cfg.kernel = absolute(cfg.kernel ? cfg.kernel :
				      harness_path("guest/out/vmlinuz"));
	cfg.initrd = absolute(cfg.initrd ? cfg.initrd :
				      harness_path("guest/out/initrd.gz"));
	cfg.schema_dir = cfg.schema_dir ? absolute(cfg.schema_dir) :
					  default_schema_dir();

	printf("qos benchmark: %ld host CPUs, %d s windows\n",
	       sysconf(_SC_NPROCESSORS_ONLN), cfg.seconds);
	fflush(stdout);
	if ((cfg.parts & PART_CPU) && bench_cpu(&cfg, &cap_share, w))
		rc = 1;
	if ((cfg.parts & PART_STATS) && bench_stats(&cfg, &st))
		rc = 1;
	if ((cfg.parts & PART_IO) && bench_io(&cfg, &k, &q))
		rc = 1;

	if (cfg.parts & PART_CPU)
		cpu_table(cap_share, w);
	if (asked & PART_IO)
		io_table(&k, &q);
	if (cfg.parts & PART_STATS)
		stats_table(&st);
	if (asked & ~cfg.parts & PART_CPU)
		printf("\ncpu: not run: no /dev/kvm\n");
	return rc;
}
