// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-virtd with real guests, driven by the stock clients: Debian's
 * unpatched virsh, python3-libvirt and virt-install against the real
 * keel-virtd and keeld, on KVM (nested in QEMU where /dev/kvm is
 * missing: runner_nested_files brings the clients in, so the whole
 * program costs one machine boot). check_virtd, check_virtd_tune,
 * check_virtd_tls and check_virtd_events hold the same clients to
 * shut-off domains on the host.
 *
 * - virsh: start, start twice refused, dominfo, domstate --reason,
 *   suspend, resume, shutdown, destroy, start --paused (the echo guest);
 *   domstats, dommemstat, domblkstat, domifstat, setmem, setvcpus,
 *   vcpucount, vcpupin, vcpuinfo, schedinfo, blkdeviotune and domiftune
 *   on a running guest with a disk and a NIC, checked against keeld's
 *   own answer; save, restore, restore --paused; save --xml refused
 *   (through libvirt's client library, stock_api.h).
 * - python3-libvirt (virtd_events.py guest): the event loop receiving
 *   started, suspended, resumed and stopped; the console as a virStream
 *   and `virsh console` on a pseudo-terminal; `virsh event --loop`;
 *   domainListGetStats; defineXML, create, shutdown, destroy, undefine
 *   and an XMLDesc round trip.
 * - virt-install --import --boot kernel=,initrd= --noautoconsole: the
 *   Debian guest's kernel and initramfs defined and started.
 * - keel's XDR (virt_client.h), for what no stock client sends: a
 *   console taken over with --force, a stream chunk past libvirt's
 *   limit, an abort, a paste into a paused guest.
 * - migrate --live --p2p to keel+tls:// between two hosts (twohost.h)
 *   with domjobinfo polled meanwhile, and domjobabort of one held slow
 *   by --bandwidth.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"
#include "runner.h"
#include "stock_api.h"
#include "twohost.h"
#include "virt_client.h"

#define PYTHON "/usr/bin/python3"
#define VIRT_INSTALL "/usr/bin/virt-install"
#define VIRTD_READY_MS 60000
#define CLIENT_TIMEOUT_MS 180000
#define MAC "52:54:00:6b:65:01"
#define BRIDGE "kvbr0"
#define A 0
#define B 1

/* libvirt's numbers (libvirt-domain.h, virterror.h). */
#define EV_SUSPENDED 3
#define EV_RESUMED 4
#define CONSOLE_FORCE 1
#define ERR_OPERATION_FAILED 9
#define ERR_RPC 39

/*
 * What the nested machine needs of the host for the stock clients: the
 * programs, python3.11's standard library, python3-libvirt, and for
 * virt-install its Python packages, GObject introspection and libosinfo
 * (the .so files are not executable, so kvm-in-qemu's ldd pass misses
 * the libraries only they need: those are named too).
 */
#define PYD "/usr/lib/python3/dist-packages/"
#define LIBD "/usr/lib/x86_64-linux-gnu/"
static const char *const stock_clients[] = {
	"/usr/bin/virsh",
	"/usr/bin/python3",
	"/usr/bin/python3.11",
	"/usr/lib/python3.11",
	PYD "libvirt.py",
	PYD "libvirtmod.cpython-311-x86_64-linux-gnu.so",
	VIRT_INSTALL,
	"/usr/share/virt-manager",
	PYD "gi",
	PYD "requests",
	PYD "urllib3",
	PYD "chardet",
	PYD "charset_normalizer",
	PYD "idna",
	PYD "certifi",
	PYD "six.py",
	PYD "libxml2.py",
	PYD "libxml2mod.cpython-311-x86_64-linux-gnu.so",
	LIBD "girepository-1.0",
	LIBD "libgirepository-1.0.so.1",
	LIBD "libosinfo-1.0.so.0",
	LIBD "libsoup-3.0.so.0",
	LIBD "libxslt.so.1",
	LIBD "libsqlite3.so.0",
	"/usr/share/osinfo",
	"/usr/share/misc/pci.ids",
	"/usr/share/misc/usb.ids",
	NULL,
};

static struct proc virtd;
static char virt_sock[200], uri[256];

/* keel-virtd on @keeld_sock, its socket @sock; uri names it. */
static void virtd_start(const char *keeld_sock, const char *sock)
{
	char *argv[] = {
		(char *)harness_path("libvirt/keel-virtd"), "--keeld",
		(char *)keeld_sock, "--socket", (char *)sock, "--workers", "2",
		NULL,
	};

	snprintf(virt_sock, sizeof(virt_sock), "%s", sock);
	snprintf(uri, sizeof(uri), "keel+unix:///system?socket=%s", sock);
	memset(&virtd, 0, sizeof(virtd));
	ck_assert_int_eq(proc_spawn(&virtd, argv), 0);
	ck_assert_msg(proc_expect(&virtd, "ready:", 0, VIRTD_READY_MS) > 0,
		      "keel-virtd did not start: %s",
		      harness_tail(virtd.out));
}

static void start_both(void)
{
	char sock[200];

	keeld_start();
	snprintf(sock, sizeof(sock), "%s/virt-sock", top);
	virtd_start(rw_sock, sock);
}

static void stop_virtd(void)
{
	if (virtd.pid > 0)
		proc_dispose(&virtd);
}

/* virsh on keel-virtd's uri must end with @status and print @want. */
#define virsh_expect(status, want, ...) \
	harness_virsh_expect(uri, status, want, __VA_ARGS__)

static void define_echo(const char *extra)
{
	struct json_object *r;

	r = rpc_call("domain.define",
		     "{\"config\":{\"name\":\"g\",\"kernel\":\"%s\","
		     "\"memory\":64%s}}",
		     harness_guest("echo"), extra);
	assert_ok(r);
	json_object_put(r);
}

static long long keeld_num(const char *method, const char *ptr)
{
	struct json_object *r = rpc_ok(method, "{\"name\":\"g\"}");
	long long v = json_object_get_int64(at(r, ptr));

	json_object_put(r);
	return v;
}

static bool have_stock_clients(void)
{
	return harness_have_file(HARNESS_VIRSH) &&
	       !harness_sh("%s -c 'import libvirt' 2>/dev/null", PYTHON);
}

/* --- virsh ---------------------------------------------------------------- */

START_TEST(test_virsh_lifecycle)
{
	start_both();
	define_echo("");
	virsh_expect(0, "shut off", "domstate --reason g");
	virsh_expect(0, "Domain 'g' started", "start g");
	virsh_expect(0, "running (booted)", "domstate --reason g");
	virsh_expect(0, "State:          running", "dominfo g");
	virsh_expect(0, " g ", "list --state-running");
	/* Started twice: virsh itself sees it is active and refuses. */
	virsh_expect(1, "Domain is already active", "start g");

	virsh_expect(0, "Domain 'g' suspended", "suspend g");
	virsh_expect(0, "paused (user)", "domstate --reason g");
	virsh_expect(0, " g ", "list --state-paused");
	virsh_expect(0, "Domain 'g' resumed", "resume g");
	virsh_expect(0, "running (unpaused)", "domstate --reason g");
	/*
	 * shutdown is the ACPI power button; the echo guest has no ACPI and
	 * runs on, so destroy ends it.
	 */
	virsh_expect(0, "is being shutdown", "shutdown g");
	virsh_expect(0, "Domain 'g' destroyed", "destroy g");
	virsh_expect(0, "shut off (destroyed)", "domstate --reason g");
	virsh_expect(0, "Domain 'g' started", "start --paused g");
	virsh_expect(0, "paused", "domstate g");
	virsh_expect(0, "Domain 'g' destroyed", "destroy g");
	virsh_expect(0, "shut off", "domstate g");
	stop_virtd();
}
END_TEST

/* A bridge for the guest's NIC, in this (the nested machine's) namespace. */
static void bridge_up(void)
{
	harness_sh("ip link del " BRIDGE " 2>/dev/null");
	ck_assert_int_eq(harness_sh("ip link add name " BRIDGE " type bridge &&"
				    " ip link set " BRIDGE " up"),
			 0);
}

START_TEST(test_virsh_tune)
{
	char disk[200], extra[512];
	const char *out;
	int fd;

	start_both();
	snprintf(disk, sizeof(disk), "%s/g.img", top);
	fd = open(disk, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
	close(fd);
	bridge_up();
	snprintf(extra, sizeof(extra),
		 ",\"maxmem\":128,\"vcpus\":1,\"maxvcpus\":2,"
		 "\"disks\":[{\"vdev\":\"vda\",\"path\":\"%s\"}],"
		 "\"nics\":[{\"mac\":\"" MAC "\",\"bridge\":\"" BRIDGE "\"}]",
		 disk);
	define_echo(extra);
	virsh_expect(0, "started", "start g");

	/* domstats: keeld's sample under libvirt's names */
	out = virsh_expect(0, "state.state=1", "domstats g");
	ck_assert_msg(strstr(out, "balloon.maximum=131072") &&
			      strstr(out, "cpu.time=") &&
			      strstr(out, "vcpu.0.time=") &&
			      strstr(out, "block.count=1") &&
			      strstr(out, "block.0.name=vda") &&
			      strstr(out, "net.count=1"),
		      "domstats g: %s", harness_tail(out));
	virsh_expect(0, "Domain: 'g'", "domstats --list-active");
	out = virsh_expect(0, "actual ", "dommemstat g");
	ck_assert_msg(strstr(out, "rss "), "dommemstat g: %s", harness_tail(out));
	virsh_expect(0, "rd_req", "domblkstat g vda");
	virsh_expect(1, "vdz", "domblkstat g vdz");
	virsh_expect(0, "rx_bytes", "domifstat g " MAC);
	virsh_expect(1, "error", "domifstat g 52:54:00:00:00:99");

	/* vcpupin, vcpuinfo: keeld's vcpu_list */
	virsh_expect(0, "", "vcpupin g 0 0 --live");
	out = virsh_expect(0, "State:          running", "vcpuinfo g");
	ck_assert_msg(strstr(out, "CPU Affinity:   y"), "vcpuinfo g: %s", harness_tail(out));
	/* setvcpus: keeld's vcpu-set, the running domain and its definition */
	virsh_expect(0, "", "setvcpus g 2 --live");
	ck_assert_int_eq(keeld_num("domain.info", "/result/config/vcpus"), 2);
	out = virsh_expect(0, "2", "vcpucount g --live");
	ck_assert_msg(atoi(out) == 2, "vcpucount g --live: %s",
		      harness_tail(out));

	/* setmem --live: the balloon and the definition; --config alone no */
	virsh_expect(0, "", "setmem g 96M --live");
	ck_assert_int_eq(keeld_num("domain.info", "/result/config/memory"), 96);
	virsh_expect(1, "not in its definition alone",
		     "setmem g 80M --config");

	virsh_expect(0, "cpu_shares     : 2048",
		     "schedinfo g --live cpu_shares=2048");
	ck_assert_int_eq(keeld_num("domain.get_sched", "/result/weight"), 512);

	/* blkdeviotune, domiftune: keel-hv's token buckets */
	virsh_expect(0, "", "blkdeviotune g vda --live --total-bytes-sec 1048576");
	virsh_expect(0, "total_bytes_sec: 1048576", "blkdeviotune g vda");
	virsh_expect(0, "", "domiftune g " MAC " --live --inbound 100,0,200");
	virsh_expect(0, "inbound.average: 100", "domiftune g " MAC);
	virsh_expect(1, "error", "blkdeviotune g vda --live --size-iops-sec 5");

	virsh_expect(0, "destroyed", "destroy g");
	stop_virtd();
	harness_sh("ip link del " BRIDGE " 2>/dev/null");
}
END_TEST

START_TEST(test_virsh_save)
{
	char path[200], path2[200];
	const char *err;

	start_both();
	snprintf(path, sizeof(path), "%s/g.sav", top);
	snprintf(path2, sizeof(path2), "%s/g2.sav", top);
	define_echo("");
	virsh_expect(0, "started", "start g");
	virsh_expect(0, "None", "domjobinfo g");
	virsh_expect(0, "saved to", "save g %s", path);
	ck_assert(harness_have_file(path));
	virsh_expect(0, "shut off (saved)", "domstate --reason g");
	virsh_expect(0, "restored from", "restore %s", path);
	virsh_expect(0, "running (restored)", "domstate --reason g");

	/*
	 * --xml: refused, and the domain runs on. libvirt's call as virsh
	 * makes it, since virsh can hang on a refusal this fast
	 * (stock_api.h).
	 */
	err = stock_save(uri, "g", path2, "<domain/>", 0);
	ck_assert_msg(err && strstr(err, "another configuration"),
		      "save --xml: %s", err ? err : "accepted");
	ck_assert(!harness_have_file(path2));
	virsh_expect(0, "running", "domstate g");
	virsh_expect(0, "saved to", "save g %s", path2);
	virsh_expect(0, "restored from", "restore %s --paused", path2);
	virsh_expect(0, "paused", "domstate g");
	/* A file that is not there: keeld's error, nothing made. */
	virsh_expect(1, "error", "restore /nonexistent/keel.sav");
	virsh_expect(0, "destroyed", "destroy g");
	stop_virtd();
}
END_TEST

/* --- python3-libvirt and virt-install ------------------------------------ */

static const char *script(void)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/tests/integration/virtd_events.py",
		 getenv("KEEL_SRCDIR") ? getenv("KEEL_SRCDIR") : "..");
	return path;
}

START_TEST(test_python)
{
	char *argv[] = { PYTHON, (char *)script(), "guest", uri, "g",
			 (char *)harness_guest("echo"), NULL };
	struct proc p = { 0 };

	start_both();
	define_echo("");
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_msg(proc_wait(&p, CLIENT_TIMEOUT_MS) == 0,
		      "virtd_events.py guest: %s", harness_tail(p.out));
	ck_assert_msg(strstr(p.out, "virtd_events.py: ok"), "%s",
		      harness_tail(p.out));
	printf("%s", harness_tail(p.out));
	proc_dispose(&p);
	stop_virtd();
}
END_TEST

/*
 * virt-install as a user runs it: --import of a kernel and initramfs,
 * no disk, no console. It defines the domain and starts it.
 */
START_TEST(test_virt_install)
{
	char boot[600];
	char *argv[] = {
		VIRT_INSTALL, "--connect", uri, "--import", "--name", "vi",
		"--memory", "128", "--vcpus", "1", "--boot", boot, "--disk",
		"none", "--network", "none", "--graphics", "none",
		"--noautoconsole", "--osinfo", "generic", NULL,
	};
	struct proc p = { 0 };
	int rc;

	if (!harness_have_file(VIRT_INSTALL) ||
	    harness_sh("%s -c 'import gi, libxml2, requests' 2>/dev/null",
		       PYTHON)) {
		printf("NOTE: virt-install or its Python packages are missing here: virt-install did not run.\n");
		return;
	}
	start_both();
	snprintf(boot, sizeof(boot),
		 "kernel=%s,initrd=%s,kernel_args=console=ttyS0",
		 harness_path("guest/out/vmlinuz"),
		 harness_path("guest/out/initrd.gz"));
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	rc = proc_wait(&p, CLIENT_TIMEOUT_MS);
	ck_assert_msg(rc == 0, "virt-install (%d): %s", rc,
		      harness_tail(p.out));
	ck_assert_msg(strstr(p.out, "Domain creation completed"),
		      "virt-install: %s", harness_tail(p.out));
	proc_dispose(&p);
	virsh_expect(0, "running", "domstate vi");
	virsh_expect(0, "<initrd>", "dumpxml vi");
	virsh_expect(0, "destroyed", "destroy vi");
	stop_virtd();
}
END_TEST

/* --- keel's XDR: what no stock client sends ------------------------------ */

START_TEST(test_console_raw)
{
	struct virt_client c = { .fd = -1 };
	struct vx_dom dom;
	char *big;

	start_both();
	define_echo("");
	virsh_expect(0, "started", "start g");
	virt_client_open(&c, virt_sock);
	virt_client_events(&c);
	virt_client_lookup(&c, "g", &dom);

	/* A console, then one taken over with --force: the first ends. */
	ck_assert_int_eq(virt_client_console(&c, &dom, 0, 0), 0);
	virt_client_wait_console(&c, 0, "> ");
	ck_assert_int_eq(virt_client_console(&c, &dom, 0, 1),
			 ERR_OPERATION_FAILED);
	ck_assert_int_eq(virt_client_console(&c, &dom, CONSOLE_FORCE, 2), 0);
	virt_client_wait_end(&c, 0);
	ck_assert_int_eq(c.cons[0].end, VX_ERROR);
	ck_assert_int_eq(c.cons[0].code, ERR_OPERATION_FAILED);
	virt_client_stream(&c, 2, VX_CONTINUE, "forced\r", 7);
	virt_client_wait_console(&c, 2, "echo: forced");
	/* The client's finish is answered in kind. */
	virt_client_stream(&c, 2, VX_OK, NULL, 0);
	virt_client_wait_end(&c, 2);
	ck_assert_int_eq(c.cons[2].end, VX_OK);
	/* The console is free again; a chunk past libvirt's ends it. */
	ck_assert_int_eq(virt_client_console(&c, &dom, 0, 3), 0);
	big = malloc(300000);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 300000);
	virt_client_stream(&c, 3, VX_CONTINUE, big, 300000);
	virt_client_wait_end(&c, 3);
	ck_assert_int_eq(c.cons[3].end, VX_ERROR);
	ck_assert_int_eq(c.cons[3].code, ERR_RPC);
	/* A client's abort closes it without an answer. */
	ck_assert_int_eq(virt_client_console(&c, &dom, 0, 1), 0);
	virt_client_stream(&c, 1, VX_ERROR, NULL, 0);

	/*
	 * A paused guest reads no input: a paste into it may end the
	 * console (OPERATION_FAILED) but never stops keel-virtd.
	 */
	ck_assert_int_eq(virt_client_dom_call(&c, VIRT_PROC_DOMAIN_SUSPEND,
					      &dom),
			 0);
	virt_client_wait_event(&c, "g", EV_SUSPENDED, 0);
	ck_assert_int_eq(virt_client_console(&c, &dom, 0, 4), 0);
	memset(big, 'a', 262000);
	for (int i = 0; i < 4; i++)
		virt_client_stream(&c, 4, VX_CONTINUE, big, 262000);
	free(big);
	virsh_expect(0, "paused", "domstate g");
	if (c.cons[4].end == -1)
		virt_client_stream(&c, 4, VX_ERROR, NULL, 0);
	else
		ck_assert_int_eq(c.cons[4].code, ERR_OPERATION_FAILED);
	printf("A paste into a paused guest: %s.\n",
	       c.cons[4].end == -1 ? "taken" : "the console ended");
	ck_assert_int_eq(virt_client_dom_call(&c, VIRT_PROC_DOMAIN_RESUME,
					      &dom),
			 0);
	virt_client_wait_event(&c, "g", EV_RESUMED, 0);
	ck_assert_int_eq(virt_client_dom_call(&c, VIRT_PROC_DOMAIN_DESTROY,
					      &dom),
			 0);
	xdr_free((xdrproc_t)xdr_vx_dom, &dom);
	virt_client_close(&c);
	stop_virtd();
}
END_TEST

/* --- migration ----------------------------------------------------------- */

/* The dirty guest on side A (64 MiB, 1 vCPU), running; keel-virtd on A. */
static void mig_start(void)
{
	char sock[200];

	/*
	 * Until it has written 12 MiB (its third beat), its first pass is
	 * short and what it dirties meanwhile fits the downtime whatever
	 * the bandwidth: on a fast host the migration would end before
	 * anyone could watch it.
	 */
	twohost_dirty_create(A, "dirty");
	twohost_beat_after(A, "dirty", 2);
	ck_assert_str_eq(twohost_state(A, "dirty"), "running");
	snprintf(sock, sizeof(sock), "%s/virt-sock", twohost.dir);
	virtd_start(twohost.side[A].sock, sock);
}

/*
 * `virsh migrate --live --p2p --verbose [--bandwidth @mib] dirty
 * keel+tls://B/system` in @p; @mib 0: no limit, and --auto-converge,
 * without which the dirty guest outruns the copy under TCG.
 */
static void migrate_spawn(struct proc *p, unsigned mib)
{
	static char dest[64], bw[16];
	char *argv[12] = { HARNESS_VIRSH, "-c", uri, "migrate", "--live",
			   "--p2p", "--verbose" };
	int argc = 7;

	snprintf(dest, sizeof(dest), "keel+tls://%s/system",
		 twohost.side[B].addr);
	snprintf(bw, sizeof(bw), "%u", mib);
	if (mib) {
		argv[argc++] = "--bandwidth";
		argv[argc++] = bw;
	} else {
		argv[argc++] = "--auto-converge";
	}
	argv[argc++] = "dirty";
	argv[argc++] = dest;
	argv[argc] = NULL;
	memset(p, 0, sizeof(*p));
	ck_assert_int_eq(proc_spawn(p, argv), 0);
}

/*
 * Poll `virsh domjobinfo dirty` while the migration in @p runs, as a
 * user watching it does; with @abort, domjobabort once it shows the
 * job with data. Returns how many looks showed it.
 */
static unsigned migrate_watch(struct proc *p, bool abort)
{
	long long end = harness_now_ms() + harness_long_timeout_ms();
	unsigned seen = 0;
	const char *out;

	while (proc_wait(p, 200) < 0 && !(abort && seen)) {
		ck_assert_msg(harness_now_ms() < end,
			      "the migration did not end: %s",
			      harness_tail(p->out));
		if (harness_virsh(uri, &out, "domjobinfo dirty") == 0 &&
		    strstr(out, "Unbounded") && strstr(out, "Data total:") &&
		    strstr(out, "Memory remaining:"))
			seen++;
	}
	if (abort) {
		ck_assert_msg(seen, "virsh migrate ended before its job showed: %s",
			      harness_tail(p->out));
		virsh_expect(0, "", "domjobabort dirty");
	}
	return seen;
}

START_TEST(test_migrate)
{
	struct proc p;
	unsigned seen;
	int rc;

	mig_start();
	migrate_spawn(&p, 0);
	seen = migrate_watch(&p, false);
	rc = proc_wait(&p, harness_long_timeout_ms());
	if (rc)
		twohost_show_logs();
	ck_assert_msg(rc == 0, "virsh migrate (%d): %s", rc,
		      harness_tail(p.out));
	ck_assert_msg(strstr(p.out, "Migration: [100"), "%s",
		      harness_tail(p.out));
	printf("virsh domjobinfo saw the migration %u times.\n", seen);
	proc_dispose(&p);
	ck_assert_str_eq(twohost_state(B, "dirty"), "running");
	ck_assert_str_ne(twohost_state(A, "dirty"), "running");
	json_object_put(twohost_rpc(B, "domain.destroy",
				    "{\"name\":\"dirty\"}"));
	stop_virtd();
}
END_TEST

START_TEST(test_migrate_abort)
{
	long long end;
	struct proc p;
	int rc;

	mig_start();
	/* 8 MiB/s, less than the guest dirties: it never converges. */
	migrate_spawn(&p, 8);
	ck_assert_uint_gt(migrate_watch(&p, true), 0);
	rc = proc_wait(&p, harness_long_timeout_ms());
	ck_assert_msg(rc == 1 && strstr(p.out, "abort"),
		      "virsh migrate (%d): %s", rc,
		      harness_tail(p.out));
	proc_dispose(&p);
	end = harness_now_ms() + 60000;
	while (strcmp(twohost_state(A, "dirty"), "running") ||
	       !strcmp(twohost_state(B, "dirty"), "running")) {
		ck_assert_msg(harness_now_ms() < end,
			      "after the abort dirty is %s on A and %s on B",
			      twohost_state(A, "dirty"),
			      twohost_state(B, "dirty"));
		usleep(250 * 1000);
	}
	virsh_expect(0, "running", "domstate dirty");
	json_object_put(twohost_rpc(A, "domain.destroy",
				    "{\"name\":\"dirty\"}"));
	stop_virtd();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virtd_kvm");
	TCase *tc = keeld_tcase("virtd_kvm", 600);
	TCase *mig = tcase_create("virtd_migrate");
	int t = harness_long_timeout_ms() / 1000;

	runner_skip_reason = harness_keeld_kvm_missing(&runner_wants_kvm);
	if (!runner_skip_reason &&
	    !harness_have_file(harness_path("libvirt/keel-virtd")))
		runner_skip_reason = "libvirt/keel-virtd is not built";
	/* Asked here, on the host: the nested machine has what it has. */
	if ((!runner_skip_reason || runner_wants_kvm) &&
	    !have_stock_clients()) {
		runner_skip_reason = "virsh or python3-libvirt is missing (Debian: libvirt-clients, python3-libvirt)";
		runner_wants_kvm = false;
	}
	if ((!runner_skip_reason || runner_wants_kvm) && stock_api_missing()) {
		runner_skip_reason = stock_api_missing();
		runner_wants_kvm = false;
	}
	if ((!runner_skip_reason || runner_wants_kvm) && geteuid()) {
		runner_skip_reason = "network namespaces need root";
		runner_wants_kvm = false;
	}
	/* Made here, before the nested runner copies the build tree. */
	if (!runner_skip_reason || runner_wants_kvm) {
		const char *why = twohost_pki_make();

		if (why) {
			runner_skip_reason = why;
			runner_wants_kvm = false;
		}
	}
	runner_nested_files = stock_clients;
	runner_nested_seconds = 2400;
	runner_nested_mib = 4096;
	tcase_add_test(tc, test_virsh_lifecycle);
	tcase_add_test(tc, test_virsh_tune);
	tcase_add_test(tc, test_virsh_save);
	tcase_add_test(tc, test_python);
	tcase_add_test(tc, test_virt_install);
	tcase_add_test(tc, test_console_raw);
	suite_add_tcase(s, tc);
	tcase_add_unchecked_fixture(mig, twohost_suite_setup,
				    twohost_suite_teardown);
	tcase_add_checked_fixture(mig, twohost_setup, twohost_teardown);
	tcase_set_timeout(mig, t * 3);
	tcase_add_test(mig, test_migrate);
	tcase_add_test(mig, test_migrate_abort);
	suite_add_tcase(s, mig);
	return s;
}
