// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-virtd's statistics and tuning procedures with a real keeld and
 * Debian's unpatched virsh and python3-libvirt, on shut-off domains
 * (no KVM): what virsh setmem, setmaxmem, setvcpus, vcpucount,
 * vcpupin, vcpuinfo, schedinfo, blkdeviotune, domiftune, domstats,
 * domblklist and domiflist do to and show of keel's definition, checked
 * against keeld's own answer; what a read-only client may do; and the
 * refusals of what keel cannot honour. check_virtd_kvm runs the same
 * commands on a running guest.
 */
#include "config.h"

#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"
#include "runner.h"

#define PYTHON "/usr/bin/python3"
#define VIRTD_READY_MS 20000
#define MAC "00:16:3e:00:00:0a"

static struct proc virtd;
static char virt_sock[200], uri[256], uri_ro[256];

/* keeld and keel-virtd on the test's directory, and the domain "web". */
static void start_both(void)
{
	char *argv[] = {
		(char *)harness_path("libvirt/keel-virtd"), "--keeld",
		rw_sock, "--socket", virt_sock, "--workers", "2", NULL,
	};

	keeld_start();
	snprintf(virt_sock, sizeof(virt_sock), "%s/virt-sock", top);
	snprintf(uri, sizeof(uri), "keel+unix:///system?socket=%s", virt_sock);
	snprintf(uri_ro, sizeof(uri_ro), "keel+unix:///system?socket=%s-ro",
		 virt_sock);
	memset(&virtd, 0, sizeof(virtd));
	ck_assert_int_eq(proc_spawn(&virtd, argv), 0);
	ck_assert_msg(proc_expect(&virtd, "ready:", 0, VIRTD_READY_MS) > 0,
		      "keel-virtd did not start: %s", virtd.out);
	json_object_put(rpc_ok("domain.define",
			       "{\"config\":{\"name\":\"web\",\"kernel\":\"/boot/k\","
			       "\"memory\":256,\"maxmem\":512,\"vcpus\":2,"
			       "\"maxvcpus\":4,\"disks\":[{\"vdev\":\"xvda\","
			       "\"path\":\"/srv/web.img\"}],\"nics\":[{\"mac\":"
			       "\"" MAC "\",\"bridge\":\"br0\"}]}}"));
}

static void stop_virtd(void)
{
	if (virtd.pid > 0)
		proc_dispose(&virtd);
}

#define virsh_expect harness_virsh_expect
#define virsh_says(needle, ...) virsh_expect(uri, 0, needle, __VA_ARGS__)
#define virsh_fails(needle, ...) virsh_expect(uri, 1, needle, __VA_ARGS__)

/* keeld's own word: domain.info's @ptr of "web", as a number. */
static long long keeld_num(const char *method, const char *ptr)
{
	struct json_object *r = rpc_ok(method, "{\"name\":\"web\"}");
	long long v = json_object_get_int64(at(r, ptr));

	json_object_put(r);
	return v;
}

static const char *keeld_str(const char *method, const char *ptr)
{
	static char text[256];
	struct json_object *r = rpc_ok(method, "{\"name\":\"web\"}");

	snprintf(text, sizeof(text), "%s", str_at(r, ptr));
	json_object_put(r);
	return text;
}

START_TEST(test_memory)
{
	start_both();
	/* virsh's default is the running domain's memory, as libvirt's */
	virsh_fails("not running", "setmem web 300M");
	virsh_says("", "setmem web 300M --config");
	ck_assert_int_eq(keeld_num("domain.info", "/result/config/memory"),
			 300);
	virsh_says("", "setmem web 393216 --config");
	ck_assert_int_eq(keeld_num("domain.info", "/result/config/memory"),
			 384);
	virsh_fails("not running", "setmem web 200M --live");
	virsh_says("", "setmaxmem web 640M");
	ck_assert_int_eq(keeld_num("domain.info", "/result/config/maxmem"),
			 640);
	virsh_says("", "setmaxmem web 1G --config");
	ck_assert_int_eq(keeld_num("domain.info", "/result/config/maxmem"),
			 1024);
	virsh_says("1048576 KiB", "dominfo web");
	/* keeld's own refusal, in its words */
	virsh_fails("maxmem", "setmem web 2G --config");
	stop_virtd();
}
END_TEST

START_TEST(test_vcpus)
{
	const char *out;

	start_both();
	virsh_says("", "setvcpus web 3 --config");
	ck_assert_int_eq(keeld_num("domain.info", "/result/config/vcpus"), 3);
	/* virsh's default is the running domain's, as libvirt's */
	virsh_fails("not running", "setvcpus web 1");
	virsh_says("", "setvcpus web 1 --current");
	ck_assert_int_eq(keeld_num("domain.info", "/result/config/vcpus"), 1);
	ck_assert_int_eq(harness_virsh(uri, &out, "vcpucount web"), 0);
	ck_assert_msg(strstr(out, "maximum      config         4"), "%s", out);
	ck_assert_msg(strstr(out, "current      config         1"), "%s", out);
	virsh_fails("--maximum", "setvcpus web 4 --maximum --config");
	virsh_fails("--guest", "setvcpus web 1 --guest");
	virsh_fails("", "setvcpus web 5 --config");
	ck_assert_int_eq(keeld_num("domain.info", "/result/config/vcpus"), 1);
	virsh_says("4", "vcpucount web --maximum --config");
	stop_virtd();
}
END_TEST

START_TEST(test_pinning)
{
	const char *out;

	start_both();
	virsh_says("", "vcpupin web 1 0 --config");
	ck_assert_str_eq(keeld_str("domain.info", "/result/config/cpus/1"),
			 "0");
	ck_assert_int_eq(harness_virsh(uri, &out, "vcpupin web"), 0);
	ck_assert_msg(strstr(out, " 1      0"), "%s", out);
	/* vcpuinfo of a shut-off domain: the pinning, by GET_VCPU_PIN_INFO */
	ck_assert_int_eq(harness_virsh(uri, &out, "vcpuinfo web"), 0);
	ck_assert_msg(strstr(out, "VCPU:           1"), "%s", out);
	ck_assert_msg(strstr(out, "CPU Affinity:   y"), "%s", out);
	virsh_fails("not running", "vcpupin web 0 0 --live");
	virsh_says(" 1      0", "vcpupin web --config");
	stop_virtd();
}
END_TEST

START_TEST(test_sched)
{
	start_both();
	virsh_says("Scheduler      : posix", "schedinfo web");
	virsh_says("cpu_shares     : 1024", "schedinfo web");
	virsh_says("global_quota   : -1", "schedinfo web");
	virsh_fails("no live scheduler parameters", "schedinfo web --live");
	virsh_says("cpu_shares     : 2048",
		   "schedinfo web --config --set cpu_shares=2048");
	ck_assert_int_eq(keeld_num("domain.get_sched", "/result/weight"), 512);
	virsh_says("global_quota   : 50000",
		   "schedinfo web --config global_period=100000 global_quota=50000");
	ck_assert_int_eq(keeld_num("domain.get_sched", "/result/cap"), 50);
	/* per vCPU: 2 vCPUs of 60 % each are one cap of 120 % */
	virsh_says("vcpu_quota     : 60000",
		   "schedinfo web --config vcpu_quota=60000");
	ck_assert_int_eq(keeld_num("domain.get_sched", "/result/cap"), 120);
	virsh_fails("cpu_shares", "schedinfo web --config cpu_shares=999999");
	virsh_fails("period", "schedinfo web --config vcpu_period=50000");
	virsh_says("", "schedinfo web --config vcpu_quota=-1");
	ck_assert_int_eq(keeld_num("domain.get_sched", "/result/cap"), 0);
	stop_virtd();
}
END_TEST

START_TEST(test_iotune)
{
	start_both();
	virsh_says("", "blkdeviotune web xvda --total-bytes-sec 1000000 "
		   "--read-iops-sec 50 --config");
	ck_assert_int_eq(keeld_num("domain.info",
				   "/result/config/disks/0/iotune/total_bytes_sec"),
			 1000000);
	virsh_says("total_bytes_sec: 1000000", "blkdeviotune web xvda");
	virsh_says("read_iops_sec  : 50", "blkdeviotune web /srv/web.img");
	virsh_fails("size_iops_sec",
		    "blkdeviotune web xvda --size-iops-sec 5 --config");
	virsh_fails("", "blkdeviotune web vdz --total-bytes-sec 1 --config");

	virsh_says("", "domiftune web " MAC " --config --inbound 1000,0,64");
	ck_assert_int_eq(keeld_num("domain.info",
				   "/result/config/nics/0/iotune/rx_bytes_sec"),
			 1024000);
	virsh_says("inbound.average: 1000", "domiftune web " MAC);
	virsh_says("inbound.burst  : 64", "domiftune web " MAC);
	virsh_fails("peak", "domiftune web " MAC " --config --outbound 10,20");
	virsh_fails("floor",
		    "domiftune web " MAC " --config --inbound 10,0,0,5");
	stop_virtd();
}
END_TEST

START_TEST(test_stats)
{
	char *argv[] = { PYTHON, "-c", NULL, uri, NULL };
	struct proc p = { 0 };
	const char *out;

	start_both();
	virsh_says("state.state=5", "domstats");
	virsh_says("balloon.maximum=524288", "domstats web --balloon");
	virsh_says("block.0.name=xvda", "domstats web --block");
	virsh_says("block.0.path=/srv/web.img", "domstats web --block");
	virsh_says("vcpu.maximum=4", "domstats web --vcpu");
	ck_assert_int_eq(harness_virsh(uri, &out, "domstats --list-active"), 0);
	ck_assert_msg(!strstr(out, "web"), "%s", out);
	virsh_says("'web'", "domstats --list-inactive --state");
	virsh_fails("groups", "domstats web --perf --enforce");
	virsh_fails("not running", "domblkstat web xvda");
	virsh_fails("not running", "domifstat web " MAC);
	virsh_fails("not running", "dommemstat web");
	virsh_says("/srv/web.img", "domblklist web");
	virsh_says(MAC, "domiflist web");

	argv[2] = "import sys, libvirt\n"
		  "c = libvirt.open(sys.argv[1])\n"
		  "d = c.lookupByName('web')\n"
		  "a = c.getAllDomainStats()\n"
		  "assert [x[0].name() for x in a] == ['web'], a\n"
		  "assert a[0][1]['state.state'] == libvirt.VIR_DOMAIN_SHUTOFF\n"
		  "l = c.domainListGetStats([d], libvirt.VIR_DOMAIN_STATS_BLOCK)\n"
		  "assert l[0][1]['block.count'] == 1, l\n"
		  "assert 'state.state' not in l[0][1], l\n"
		  "assert d.schedulerParameters()['cpu_shares'] == 1024\n"
		  "n, cpus, online = c.getCPUMap()\n"
		  "assert n >= 1 and online == sum(cpus), (n, cpus)\n"
		  "d.pinVcpuFlags(0, (True,), libvirt.VIR_DOMAIN_AFFECT_CONFIG)\n"
		  "assert d.vcpuPinInfo(libvirt.VIR_DOMAIN_AFFECT_CONFIG)[0]"
		  "[0]\n"
		  "print('tune-python: ok')\n";
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_msg(proc_wait(&p, HARNESS_VIRSH_MS) == 0, "python: %s",
		      p.out);
	ck_assert_msg(strstr(p.out, "tune-python: ok"), "%s", p.out);
	proc_dispose(&p);
	stop_virtd();
}
END_TEST

/* A read-only client reads statistics and settings, changes nothing. */
START_TEST(test_readonly)
{
	start_both();
	virsh_expect(uri_ro, 0, "cpu_shares", "schedinfo web");
	virsh_expect(uri_ro, 0, "state.state=5", "domstats web");
	virsh_expect(uri_ro, 0, "maximum", "vcpucount web");
	virsh_expect(uri_ro, 1, "read only access prevents DOMAIN_SET_MEMORY_FLAGS",
		     "setmem web 300M --config");
	virsh_expect(uri_ro, 1, "read only access prevents",
		     "schedinfo web --config cpu_shares=2048");
	virsh_expect(uri_ro, 1, "read only access prevents",
		     "setvcpus web 1 --config");
	ck_assert_int_eq(keeld_num("domain.info", "/result/config/memory"),
			 256);
	ck_assert_int_eq(keeld_num("domain.get_sched", "/result/weight"), 256);
	stop_virtd();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virtd_tune");
	TCase *tc = keeld_tcase("virtd_tune", 180);

	if (!harness_have_file(harness_path("daemon/keeld")) ||
	    !harness_have_file(harness_path("libvirt/keel-virtd")))
		runner_skip_reason = "keeld or keel-virtd is not built";
	else if (!harness_have_file(HARNESS_VIRSH) || access(PYTHON, X_OK))
		runner_skip_reason = "virsh or python3 is missing (Debian: libvirt-clients, python3-libvirt)";
	tcase_add_test(tc, test_memory);
	tcase_add_test(tc, test_vcpus);
	tcase_add_test(tc, test_pinning);
	tcase_add_test(tc, test_sched);
	tcase_add_test(tc, test_iotune);
	tcase_add_test(tc, test_stats);
	tcase_add_test(tc, test_readonly);
	suite_add_tcase(s, tc);
	return s;
}
