// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-virtd's statistics and live tuning on a real guest (the in-tree
 * echo test guest, through keeld, on KVM; nested in QEMU where /dev/kvm
 * is missing). The nested machine has no virsh, so this suite is its own
 * libvirt client on keel's XDR, as check_virtd_guest is; check_virtd_tune
 * holds the same procedures to stock virsh on shut-off domains. One
 * guest start covers domstats, dommemstat, vcpuinfo, vcpupin, setmem,
 * schedinfo and domblkstat/domifstat, each checked against keeld's own
 * answer.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* libtirpc's <rpc/clnt.h> has an rpc_call() of its own: keep it apart. */
#define rpc_call tirpc_rpc_call
#include "virt_frame.h"
#include "virt_params.h"
#undef rpc_call

#include "harness.h"
#include "keeld_fixture.h"
#include "runner.h"

#define VIRTD_READY_MS 60000

/* libvirt's numbers (libvirt-domain.h, virterror.h). */
#define RUNNING 1
#define AFFECT_LIVE 1
#define AFFECT_CONFIG 2
#define STATS_ACTIVE 1
#define ERR_NO_SUPPORT 3
#define ERR_INVALID_ARG 8

static struct proc virtd;
static int fd = -1;
static unsigned serial;

static void start_both(void)
{
	char sock[200];
	char *argv[] = {
		(char *)harness_path("libvirt/keel-virtd"), "--keeld",
		rw_sock, "--socket", sock, NULL,
	};
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	keeld_start();
	snprintf(sock, sizeof(sock), "%s/virt-sock", top);
	memset(&virtd, 0, sizeof(virtd));
	ck_assert_int_eq(proc_spawn(&virtd, argv), 0);
	ck_assert_msg(proc_expect(&virtd, "ready:", 0, VIRTD_READY_MS) > 0,
		      "keel-virtd did not start: %s", virtd.out);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(sock), sizeof(a.sun_path));
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
}

static void stop_both(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
	if (virtd.pid > 0)
		proc_dispose(&virtd);
}

static void read_all(uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		ck_assert_msg(poll(&p, 1, CALL_TIMEOUT_MS) == 1,
			      "no answer from keel-virtd");
		n = read(fd, buf + got, len - got);
		ck_assert_msg(n > 0, "keel-virtd closed the connection");
		got += (size_t)n;
	}
}

/*
 * Call @proc with @args; decode the answer into @ret. Returns 0, or
 * libvirt's error code of an error reply.
 */
static int vcall(int proc, xdrproc_t afn, void *args, xdrproc_t rfn,
		 void *ret)
{
	struct vx_header h = { VX_PROGRAM, VX_PROGRAM_VERSION, proc, VX_CALL,
			       ++serial, VX_OK };
	struct vx_error e = { 0 };
	uint8_t *msg, word[4];
	size_t len;
	long n;
	int code;

	ck_assert_int_eq(virt_msg_encode(&h, afn, args, &msg, &len), 0);
	ck_assert_int_eq(write(fd, msg, len), (ssize_t)len);
	free(msg);
	read_all(word, 4);
	n = virt_frame_length(word);
	ck_assert_int_gt(n, 0);
	msg = malloc((size_t)n);
	ck_assert_ptr_nonnull(msg);
	memcpy(msg, word, 4);
	read_all(msg + 4, (size_t)n - 4);
	ck_assert_int_eq(virt_header_decode(msg, (size_t)n, &h), 0);
	ck_assert_uint_eq(h.serial, serial);
	ck_assert_int_eq(h.proc, proc);
	if (h.status == VX_ERROR) {
		ck_assert_int_eq(virt_payload_decode(msg + VIRT_MSG_MIN,
						     (size_t)n - VIRT_MSG_MIN,
						     (xdrproc_t)xdr_vx_error,
						     &e),
				 0);
		code = e.code;
		xdr_free((xdrproc_t)xdr_vx_error, &e);
		free(msg);
		ck_assert_int_ne(code, 0);
		return code;
	}
	ck_assert_int_eq(h.status, VX_OK);
	ck_assert_int_eq(virt_payload_decode(msg + VIRT_MSG_MIN,
					     (size_t)n - VIRT_MSG_MIN, rfn, ret),
			 0);
	free(msg);
	return 0;
}

/* CONNECT_OPEN of keel:///system, read-write. */
static void vopen(void)
{
	char *name = "keel:///system";
	struct vx_open_args a = { &name, 0 };

	ck_assert_int_eq(vcall(1, (xdrproc_t)xdr_vx_open_args, &a, NULL, NULL),
			 0);
}

/* DOMAIN_LOOKUP_BY_NAME: *@dom (xdr_free it). */
static void lookup(const char *name, struct vx_dom *dom)
{
	struct vx_lookup_name_args a = { (char *)name };
	struct vx_dom_ret r = { 0 };

	ck_assert_int_eq(vcall(23, (xdrproc_t)xdr_vx_lookup_name_args, &a,
			       (xdrproc_t)xdr_vx_dom_ret, &r),
			 0);
	*dom = r.dom;
}

/* A call on @dom alone (DESTROY 12): its result. */
static int dom_call(int proc, struct vx_dom *dom)
{
	struct vx_dom_args a = { *dom };

	return vcall(proc, (xdrproc_t)xdr_vx_dom_args, &a, NULL, NULL);
}

/* A record's field @f, which must be there. */
static const vx_param *field(const vx_stats_record *r, const char *f)
{
	const vx_param *p = virt_param_find(r->params.params_val,
					    r->params.params_len, f);

	ck_assert_msg(p, "no %s in the record", f);
	return p;
}

static long long keeld_num(const char *method, const char *ptr)
{
	struct json_object *r = rpc_ok(method, "{\"name\":\"g\"}");
	long long v = json_object_get_int64(at(r, ptr));

	json_object_put(r);
	return v;
}

START_TEST(test_tune_running)
{
	struct vx_dom_flags_args start = { 0 };
	struct vx_dom_ret started = { 0 };
	struct vx_all_stats_args sa = { { 0 }, 0, 0 };
	struct vx_all_stats_ret sr = { { 0 } };
	struct vx_get_vcpus_args va = { { 0 }, 4, 1 };
	struct vx_get_vcpus_ret vr = { { 0 }, { 0 } };
	struct vx_pin_vcpu_flags_args pa;
	struct vx_set_memory_flags_args ma;
	struct vx_set_sched_flags_args ka;
	struct vx_get_sched_flags_args ga = { { 0 }, 5, AFFECT_LIVE };
	struct vx_sched_params_ret gr = { { 0 } };
	struct vx_dom_path_args bp;
	struct vx_memory_stats_args ms;
	struct vx_memory_stats_ret mr = { { 0 } };
	struct vx_block_stats_ret br = { 0 };
	struct vx_interface_stats_ret ir = { 0 };
	struct virt_plist l = { 0 };
	struct json_object *resp;
	char cpu0 = 1;
	struct vx_dom dom;

	memset(&pa, 0, sizeof(pa));
	memset(&ma, 0, sizeof(ma));
	memset(&ka, 0, sizeof(ka));
	memset(&bp, 0, sizeof(bp));
	memset(&ms, 0, sizeof(ms));
	start_both();
	resp = rpc_call("domain.define",
			"{\"config\":{\"name\":\"g\",\"kernel\":\"%s\","
			"\"memory\":64,\"maxmem\":128}}",
			harness_guest("echo"));
	assert_ok(resp);
	json_object_put(resp);
	vopen();
	lookup("g", &dom);
	start.dom = dom;
	ck_assert_int_eq(vcall(196, (xdrproc_t)xdr_vx_dom_flags_args, &start,
			       (xdrproc_t)xdr_vx_dom_ret, &started),
			 0);

	/* virsh domstats g: every group keel has, from keeld's sample */
	sa.doms.doms_len = 1;
	sa.doms.doms_val = &dom;
	ck_assert_int_eq(vcall(344, (xdrproc_t)xdr_vx_all_stats_args, &sa,
			       (xdrproc_t)xdr_vx_all_stats_ret, &sr),
			 0);
	ck_assert_uint_eq(sr.records.records_len, 1);
	ck_assert_int_eq(field(&sr.records.records_val[0], "state.state")
				 ->value.vx_param_value_u.i,
			 RUNNING);
	ck_assert_uint_eq(field(&sr.records.records_val[0], "balloon.maximum")
				  ->value.vx_param_value_u.ul,
			  128 * 1024);
	field(&sr.records.records_val[0], "cpu.time");
	field(&sr.records.records_val[0], "vcpu.0.time");
	ck_assert_uint_eq(field(&sr.records.records_val[0], "net.count")
				  ->value.vx_param_value_u.ui,
			  0);
	xdr_free((xdrproc_t)xdr_vx_all_stats_ret, &sr);
	memset(&sr, 0, sizeof(sr));
	/* virsh domstats --list-active: the one running domain */
	sa.doms.doms_len = 0;
	sa.doms.doms_val = NULL;
	sa.flags = STATS_ACTIVE;
	ck_assert_int_eq(vcall(344, (xdrproc_t)xdr_vx_all_stats_args, &sa,
			       (xdrproc_t)xdr_vx_all_stats_ret, &sr),
			 0);
	ck_assert_uint_eq(sr.records.records_len, 1);
	ck_assert_str_eq(sr.records.records_val[0].dom.name, "g");
	xdr_free((xdrproc_t)xdr_vx_all_stats_ret, &sr);

	/* virsh dommemstat g: the balloon's size and keel-hv's RSS */
	ms.dom = dom;
	ms.max_stats = 10;
	ck_assert_int_eq(vcall(159, (xdrproc_t)xdr_vx_memory_stats_args, &ms,
			       (xdrproc_t)xdr_vx_memory_stats_ret, &mr),
			 0);
	ck_assert_uint_eq(mr.stats.stats_len, 2);
	ck_assert_int_eq(mr.stats.stats_val[0].tag, 6);
	ck_assert_uint_eq(mr.stats.stats_val[0].val,
			  (unsigned long long)keeld_num("domain.stats",
				"/result/memory/current_kib"));
	ck_assert_int_eq(mr.stats.stats_val[1].tag, 7);
	ck_assert_uint_gt(mr.stats.stats_val[1].val, 0);
	xdr_free((xdrproc_t)xdr_vx_memory_stats_ret, &mr);

	/* virsh vcpupin g 0 0 --live, then vcpuinfo */
	pa.dom = dom;
	pa.vcpu = 0;
	pa.cpumap.cpumap_len = 1;
	pa.cpumap.cpumap_val = &cpu0;
	pa.flags = AFFECT_LIVE;
	ck_assert_int_eq(vcall(225, (xdrproc_t)xdr_vx_pin_vcpu_flags_args, &pa,
			       NULL, NULL),
			 0);
	va.dom = dom;
	ck_assert_int_eq(vcall(20, (xdrproc_t)xdr_vx_get_vcpus_args, &va,
			       (xdrproc_t)xdr_vx_get_vcpus_ret, &vr),
			 0);
	ck_assert_uint_eq(vr.info.info_len, 1);
	ck_assert_int_eq(vr.info.info_val[0].state, 1);
	ck_assert_uint_eq(vr.cpumaps.cpumaps_len, 1);
	ck_assert_int_eq(vr.cpumaps.cpumaps_val[0], 1);
	xdr_free((xdrproc_t)xdr_vx_get_vcpus_ret, &vr);

	/* virsh setmem g 96M --live: the balloon, and the definition */
	ma.dom = dom;
	ma.memory = 96 * 1024;
	ma.flags = AFFECT_LIVE;
	ck_assert_int_eq(vcall(204, (xdrproc_t)xdr_vx_set_memory_flags_args,
			       &ma, NULL, NULL),
			 0);
	ck_assert_int_eq(keeld_num("domain.info", "/result/config/memory"), 96);
	/* --config alone on a running domain: keel cannot */
	ma.flags = AFFECT_CONFIG;
	ck_assert_int_eq(vcall(204, (xdrproc_t)xdr_vx_set_memory_flags_args,
			       &ma, NULL, NULL),
			 ERR_NO_SUPPORT);

	/* virsh schedinfo g --live cpu_shares=2048 */
	ck_assert_int_eq(virt_plist_ullong(&l, 2048, "cpu_shares"), 0);
	ka.dom = dom;
	ka.flags = AFFECT_LIVE;
	ka.params.params_val = l.val;
	ka.params.params_len = l.len;
	ck_assert_int_eq(vcall(219, (xdrproc_t)xdr_vx_set_sched_flags_args,
			       &ka, NULL, NULL),
			 0);
	virt_plist_dispose(&l);
	ck_assert_int_eq(keeld_num("domain.get_sched", "/result/weight"), 512);
	ga.dom = dom;
	ck_assert_int_eq(vcall(223, (xdrproc_t)xdr_vx_get_sched_flags_args,
			       &ga, (xdrproc_t)xdr_vx_sched_params_ret, &gr),
			 0);
	ck_assert_uint_eq(gr.params.params_len, 5);
	ck_assert_uint_eq(virt_param_find(gr.params.params_val, 5,
					  "cpu_shares")
				  ->value.vx_param_value_u.ul,
			  2048);
	xdr_free((xdrproc_t)xdr_vx_sched_params_ret, &gr);

	/* domblkstat g (every disk: none), of a disk it lacks; domifstat */
	bp.dom = dom;
	bp.path = "";
	ck_assert_int_eq(vcall(64, (xdrproc_t)xdr_vx_dom_path_args, &bp,
			       (xdrproc_t)xdr_vx_block_stats_ret, &br),
			 0);
	ck_assert_int_eq(br.rd_req, 0);
	bp.path = "vdz";
	ck_assert_int_eq(vcall(64, (xdrproc_t)xdr_vx_dom_path_args, &bp,
			       (xdrproc_t)xdr_vx_block_stats_ret, &br),
			 ERR_INVALID_ARG);
	ck_assert_int_eq(vcall(65, (xdrproc_t)xdr_vx_dom_path_args, &bp,
			       (xdrproc_t)xdr_vx_interface_stats_ret, &ir),
			 ERR_INVALID_ARG);

	ck_assert_int_eq(dom_call(12, &dom), 0);
	xdr_free((xdrproc_t)xdr_vx_dom_ret, &started);
	xdr_free((xdrproc_t)xdr_vx_dom, &dom);
	stop_both();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virtd_tune_guest");
	TCase *tc = keeld_tcase("virtd_tune_guest", 600);

	runner_skip_reason = harness_keeld_kvm_missing(&runner_wants_kvm);
	if (!runner_skip_reason &&
	    !harness_have_file(harness_path("libvirt/keel-virtd")))
		runner_skip_reason = "libvirt/keel-virtd is not built";
	tcase_add_test(tc, test_tune_running);
	suite_add_tcase(s, tc);
	return s;
}
