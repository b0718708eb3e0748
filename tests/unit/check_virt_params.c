// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libvirt/virt_params.c, the typed parameters keel-virtd builds and
 * reads, on the wire as libvirt lays them out; the conversions of the
 * statistics (virt_stats_fill) and of the scheduler (shared with
 * domain XML's <cputune>).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domxml.h"
#include "runner.h"
#include "virt_error.h"
#include "virt_frame.h"
#include "virt_handlers.h"
#include "virt_params.h"

static const vx_param *find(const struct virt_plist *l, const char *f)
{
	return virt_param_find(l->val, l->len, f);
}

/* Each type's bytes as libvirt 9.0.0 decodes them, and back. */
START_TEST(codec_round_trip)
{
	struct vx_header h = { VX_PROGRAM, 1, 253, VX_REPLY, 7, VX_OK };
	static const uint8_t want_head[] = {
		0, 0, 0, 9,			/* params<> of 9 */
		0, 0, 0, 3, 'o', 'n', 'e', 0,	/* "one", padded */
		0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe, /* INT -2 */
	};
	struct vx_params_ret r = { 0 }, back = { 0 };
	struct virt_plist l = { 0 };
	size_t len;
	uint8_t *msg;
	long long v;

	ck_assert_int_eq(virt_plist_int(&l, -2, "one"), 0);
	ck_assert_int_eq(virt_plist_uint(&l, 4000000000u, "two"), 0);
	ck_assert_int_eq(virt_plist_llong(&l, -5, "three"), 0);
	ck_assert_int_eq(virt_plist_ullong(&l, 1ULL << 40, "four.%d", 4), 0);
	ck_assert_int_eq(virt_plist_string(&l, "vda", "block.%zu.name",
					   (size_t)0), 0);
	ck_assert_int_eq(virt_plist_ullong(&l, ~0ULL, "big"), 0);
	ck_assert_int_eq(virt_plist_int(&l, 1, "a"), 0);
	ck_assert_int_eq(virt_plist_int(&l, 2, "b"), 0);
	ck_assert_int_eq(virt_plist_string(&l, NULL, "empty"), 0);
	r.nparams = 9;
	virt_plist_move(&l, &r.params.params_val, &r.params.params_len);
	ck_assert_ptr_null(l.val);
	ck_assert_int_eq(virt_msg_encode(&h, (xdrproc_t)xdr_vx_params_ret, &r,
					 &msg, &len), 0);
	ck_assert(!memcmp(msg + 28, want_head, sizeof(want_head)));
	ck_assert_int_eq(virt_payload_decode(msg + 28, len - 28,
					     (xdrproc_t)xdr_vx_params_ret,
					     &back), 0);
	ck_assert_uint_eq(back.params.params_len, 9);
	ck_assert_int_eq(back.nparams, 9);
	ck_assert_int_eq(virt_param_ll(virt_param_find(back.params.params_val,
						       9, "two"), &v), 0);
	ck_assert_int_eq(v, 4000000000LL);
	ck_assert_int_eq(virt_param_ll(virt_param_find(back.params.params_val,
						       9, "four.4"), &v), 0);
	ck_assert_int_eq(v, 1LL << 40);
	ck_assert_int_eq(virt_param_ll(virt_param_find(back.params.params_val,
						       9, "big"), &v), -ERANGE);
	ck_assert_int_eq(virt_param_ll(virt_param_find(back.params.params_val,
						       9, "block.0.name"),
				       &v), -EINVAL);
	ck_assert_str_eq(virt_param_find(back.params.params_val, 9,
					 "block.0.name")
				 ->value.vx_param_value_u.s,
			 "vda");
	ck_assert_ptr_null(virt_param_find(back.params.params_val, 9, "x"));
	xdr_free((xdrproc_t)xdr_vx_params_ret, (char *)&r);
	xdr_free((xdrproc_t)xdr_vx_params_ret, (char *)&back);
	free(msg);
}
END_TEST

/* A type past 7, or params past the limit, does not decode. */
START_TEST(codec_refuses_hostile)
{
	static const uint8_t bad_type[] = {
		0, 0, 0, 1, 0, 0, 0, 1, 'x', 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0,
		0, 0, 0, 0,
	};
	static const uint8_t too_many[] = { 0, 0, 0, 33 };
	struct vx_params_ret r = { 0 };

	ck_assert_int_eq(virt_payload_decode(bad_type, sizeof(bad_type),
					     (xdrproc_t)xdr_vx_params_ret, &r),
			 -EBADMSG);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(virt_payload_decode(too_many, sizeof(too_many),
					     (xdrproc_t)xdr_vx_params_ret, &r),
			 -EBADMSG);
}
END_TEST

START_TEST(plist_names_truncate_check)
{
	static const char *const known[] = { "a", "b", NULL };
	struct virt_plist l = { 0 };
	char longname[100];
	const vx_param *bad;
	bool dup;

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	ck_assert_int_eq(virt_plist_int(&l, 1, "%s", longname), -ENAMETOOLONG);
	ck_assert_int_eq(virt_plist_int(&l, 1, "a"), 0);
	ck_assert_int_eq(virt_plist_int(&l, 2, "b"), 0);
	ck_assert_int_eq(virt_params_check(l.val, l.len, known, &bad, &dup), 0);
	ck_assert_int_eq(virt_plist_int(&l, 3, "a"), 0);
	ck_assert_int_eq(virt_params_check(l.val, l.len, known, &bad, &dup),
			 -EINVAL);
	ck_assert(dup);
	ck_assert_ptr_eq(bad, &l.val[2]);
	ck_assert_int_eq(virt_plist_string(&l, "s", "c"), 0);
	virt_plist_truncate(&l, 3);
	ck_assert_uint_eq(l.len, 3);
	ck_assert_int_eq(virt_plist_string(&l, "s", "zz"), 0);
	ck_assert_int_eq(virt_params_check(l.val, l.len, known, &bad, &dup),
			 -EINVAL);
	ck_assert_str_eq(bad->field, "a");
	virt_plist_truncate(&l, 1);
	ck_assert_int_eq(virt_plist_string(&l, "s", "zz"), 0);
	ck_assert_int_eq(virt_params_check(l.val, l.len, known, &bad, &dup),
			 -EINVAL);
	ck_assert(!dup);
	ck_assert_str_eq(bad->field, "zz");
	virt_plist_truncate(&l, -1);
	ck_assert_uint_eq(l.len, 2);
	virt_plist_dispose(&l);
	virt_plist_dispose(&l);
}
END_TEST

/* <cputune>'s numbers: the one mapping domxml and schedinfo share. */
START_TEST(cputune_conversions)
{
	long long w, cap;

	ck_assert_int_eq(domxml_shares_to_weight(1024, &w), 0);
	ck_assert_int_eq(w, 256);
	ck_assert_int_eq(domxml_shares_to_weight(1, &w), 0);
	ck_assert_int_eq(w, 1);
	ck_assert_int_eq(domxml_shares_to_weight(0, &w), -ERANGE);
	ck_assert_int_eq(domxml_shares_to_weight(262150, &w), -ERANGE);
	ck_assert_int_eq(domxml_weight_to_shares(256), 1024);
	/* 50000 of 100000 per vCPU, 2 vCPUs: one whole CPU */
	ck_assert_int_eq(domxml_quota_to_cap(50000, 100000, 2, &cap), 0);
	ck_assert_int_eq(cap, 100);
	ck_assert_int_eq(domxml_quota_to_cap(-1, 100000, 2, &cap), 0);
	ck_assert_int_eq(cap, 0);
	ck_assert_int_eq(domxml_quota_to_cap(1, 1000000, 1, &cap), 0);
	ck_assert_int_eq(cap, 1);
	ck_assert_int_eq(domxml_quota_to_cap(1000, 999, 1, &cap), -EDOM);
	ck_assert_int_eq(domxml_quota_to_cap(DOMXML_QUOTA_MAX + 1, 100000, 1,
					     &cap), -ERANGE);
	ck_assert_int_eq(domxml_cap_to_quota(150, 100000, 1), 150000);
	ck_assert_int_eq(domxml_cap_to_quota(150, 100000, 3), 50000);
	ck_assert_int_eq(domxml_cap_to_quota(0, 100000, 3), -1);
}
END_TEST

static const vx_param *sched_field(struct virt_plist *l, const char *f)
{
	const vx_param *p = find(l, f);

	ck_assert_msg(p, "no %s", f);
	return p;
}

/* schedinfo's parameters out and back: shares, per-vCPU and global. */
START_TEST(sched_params)
{
	struct virt_call call = { 0 };
	struct virt_plist l = { 0 };
	struct virt_proc proc = { .name = "TEST" };
	int weight, cap;

	call.proc = &proc;
	ck_assert_int_eq(virt_sched_fill(&l, 512, 150, 3), 0);
	ck_assert_uint_eq(l.len, 5);
	ck_assert_uint_eq(sched_field(&l, "cpu_shares")->value.vx_param_value_u.ul,
			  2048);
	ck_assert_int_eq(sched_field(&l, "vcpu_quota")->value.vx_param_value_u.l,
			 50000);
	ck_assert_int_eq(sched_field(&l, "global_quota")->value.type,
			 VIRT_PARAM_LLONG);
	ck_assert_int_eq(sched_field(&l, "global_quota")->value.vx_param_value_u.l,
			 150000);
	/* what it wrote reads back: (global and vcpu both: refused) */
	ck_assert_int_eq(virt_sched_parse(&call, l.val, l.len, 3, &weight, &cap),
			 -1);
	ck_assert_int_eq(call.code, VIR_ERR_NO_SUPPORT);
	free(call.message);
	call.message = NULL;
	virt_plist_truncate(&l, 3);
	ck_assert_int_eq(virt_sched_parse(&call, l.val, l.len, 3, &weight, &cap),
			 0);
	ck_assert_int_eq(weight, 512);
	ck_assert_int_eq(cap, 150);
	virt_plist_dispose(&l);

	/* an unknown name, a string, a bad period: refused by name */
	ck_assert_int_eq(virt_plist_ullong(&l, 5, "emulator_period"), 0);
	ck_assert_int_eq(virt_sched_parse(&call, l.val, l.len, 1, &weight, &cap),
			 -1);
	ck_assert_int_eq(call.code, VIR_ERR_INVALID_ARG);
	ck_assert_ptr_nonnull(strstr(call.message, "emulator_period"));
	free(call.message);
	call.message = NULL;
	virt_plist_dispose(&l);
	ck_assert_int_eq(virt_plist_string(&l, "x", "cpu_shares"), 0);
	ck_assert_int_eq(virt_sched_parse(&call, l.val, l.len, 1, &weight, &cap),
			 -1);
	ck_assert_ptr_nonnull(strstr(call.message, "cpu_shares"));
	free(call.message);
	call.message = NULL;
	virt_plist_dispose(&l);
	ck_assert_int_eq(virt_plist_ullong(&l, 50, "global_period"), 0);
	ck_assert_int_eq(virt_plist_llong(&l, 10, "global_quota"), 0);
	ck_assert_int_eq(virt_sched_parse(&call, l.val, l.len, 1, &weight, &cap),
			 -1);
	ck_assert_int_eq(call.code, VIR_ERR_INVALID_ARG);
	free(call.message);
	call.message = NULL;
	virt_plist_dispose(&l);
	/* a period alone is keel's, or refused; quota -1 lifts the cap */
	ck_assert_int_eq(virt_plist_ullong(&l, 100000, "vcpu_period"), 0);
	ck_assert_int_eq(virt_sched_parse(&call, l.val, l.len, 2, &weight, &cap),
			 0);
	ck_assert_int_eq(weight, -1);
	ck_assert_int_eq(cap, -1);
	ck_assert_int_eq(virt_plist_llong(&l, -1, "vcpu_quota"), 0);
	ck_assert_int_eq(virt_sched_parse(&call, l.val, l.len, 2, &weight, &cap),
			 0);
	ck_assert_int_eq(cap, 0);
	virt_plist_dispose(&l);
	ck_assert_int_eq(virt_plist_ullong(&l, 200000, "vcpu_period"), 0);
	ck_assert_int_eq(virt_sched_parse(&call, l.val, l.len, 2, &weight, &cap),
			 -1);
	ck_assert_int_eq(call.code, VIR_ERR_NO_SUPPORT);
	free(call.message);
	virt_plist_dispose(&l);
}
END_TEST

/* keeld's DomainStats in libvirt's names, group by group. */
START_TEST(stats_fields)
{
	struct keel_domain d = { .name = "web", .id = 3,
				 .state = KEEL_STATE_RUNNING,
				 .reason = "booted", .memory_mib = 512,
				 .vcpus = 2 };
	struct json_object *st = json_tokener_parse(
		"{\"cpu\":{\"time_ns\":123},\"memory\":{\"current_kib\":"
		"524288,\"maximum_kib\":1048576,\"rss_kib\":1000},\"vcpus\":"
		"[{\"id\":0,\"state\":\"running\",\"time_ns\":5},{\"id\":1,"
		"\"state\":\"offline\",\"time_ns\":0}],\"disks\":[{\"vdev\":"
		"\"xvda\",\"path\":\"/d.img\",\"rd_reqs\":7,\"wr_bytes\":8}],"
		"\"nics\":[{\"mac\":\"00:16:3e:00:00:01\",\"tap\":\"vif3.0\","
		"\"rx_bytes\":9,\"tx_drop\":1}]}");
	struct json_object *cfg = json_tokener_parse(
		"{\"maxvcpus\":4,\"maxmem\":1024,\"disks\":[{\"vdev\":\"xvda\","
		"\"path\":\"/d.img\"}]}");
	struct virt_plist l = { 0 };

	ck_assert_int_eq(virt_stats_fill(&l, &d, st, cfg, VIRT_STATS_ALL), 0);
	ck_assert_int_eq(find(&l, "state.state")->value.vx_param_value_u.i, 1);
	ck_assert_int_eq(find(&l, "state.reason")->value.vx_param_value_u.i, 1);
	ck_assert_uint_eq(find(&l, "cpu.time")->value.vx_param_value_u.ul, 123);
	ck_assert_uint_eq(find(&l, "balloon.current")->value.vx_param_value_u.ul,
			  524288);
	ck_assert_uint_eq(find(&l, "balloon.maximum")->value.vx_param_value_u.ul,
			  1048576);
	ck_assert_uint_eq(find(&l, "vcpu.current")->value.vx_param_value_u.ui, 2);
	ck_assert_uint_eq(find(&l, "vcpu.maximum")->value.vx_param_value_u.ui, 4);
	ck_assert_int_eq(find(&l, "vcpu.0.state")->value.vx_param_value_u.i, 1);
	ck_assert_int_eq(find(&l, "vcpu.1.state")->value.vx_param_value_u.i, 0);
	ck_assert_uint_eq(find(&l, "vcpu.0.time")->value.vx_param_value_u.ul, 5);
	ck_assert_uint_eq(find(&l, "net.count")->value.vx_param_value_u.ui, 1);
	ck_assert_str_eq(find(&l, "net.0.name")->value.vx_param_value_u.s,
			 "vif3.0");
	ck_assert_uint_eq(find(&l, "net.0.rx.bytes")->value.vx_param_value_u.ul,
			  9);
	ck_assert_uint_eq(find(&l, "net.0.tx.drop")->value.vx_param_value_u.ul,
			  1);
	ck_assert_uint_eq(find(&l, "block.count")->value.vx_param_value_u.ui, 1);
	ck_assert_str_eq(find(&l, "block.0.name")->value.vx_param_value_u.s,
			 "xvda");
	ck_assert_str_eq(find(&l, "block.0.path")->value.vx_param_value_u.s,
			 "/d.img");
	ck_assert_uint_eq(find(&l, "block.0.rd.reqs")->value.vx_param_value_u.ul,
			  7);
	ck_assert_uint_eq(find(&l, "block.0.wr.bytes")->value.vx_param_value_u.ul,
			  8);
	virt_plist_dispose(&l);

	/* shut off: no counters, the definition's names and sizes */
	d.id = -1;
	d.state = KEEL_STATE_SHUTOFF;
	snprintf(d.reason, sizeof(d.reason), "destroyed");
	ck_assert_int_eq(virt_stats_fill(&l, &d, NULL, cfg,
					 VIRT_STATS_STATE | VIRT_STATS_BALLOON |
						 VIRT_STATS_BLOCK |
						 VIRT_STATS_CPU_TOTAL),
			 0);
	ck_assert_int_eq(find(&l, "state.state")->value.vx_param_value_u.i, 5);
	ck_assert_int_eq(find(&l, "state.reason")->value.vx_param_value_u.i, 2);
	ck_assert_ptr_null(find(&l, "cpu.time"));
	ck_assert_uint_eq(find(&l, "balloon.current")->value.vx_param_value_u.ul,
			  524288);
	ck_assert_uint_eq(find(&l, "balloon.maximum")->value.vx_param_value_u.ul,
			  1048576);
	ck_assert_ptr_nonnull(find(&l, "block.0.path"));
	ck_assert_ptr_null(find(&l, "block.0.rd.reqs"));
	ck_assert_ptr_null(find(&l, "vcpu.current"));
	virt_plist_dispose(&l);
	json_object_put(st);
	json_object_put(cfg);
}
END_TEST

/* A call keel-virtd refuses before it asks keeld: no keeld needed. */
static int refused(virt_handler fn, void *args, void *ret, int *code)
{
	struct virt_proc proc = { .name = "TEST" };
	struct virt_call call = { .proc = &proc };
	int rc = fn(&call, args, ret);

	*code = call.code;
	ck_assert_ptr_nonnull(call.message);
	free(call.message);
	return rc;
}

START_TEST(hostile_sizes_and_flags)
{
	struct vx_vcpu_pin_info_args pa = { .ncpumaps = 16384,
					    .maplen = 2048 };
	struct vx_vcpu_pin_info_ret pr = { { 0 }, 0 };
	struct vx_get_vcpus_args va = { .maxinfo = -1, .maplen = 1 };
	struct vx_get_vcpus_ret vr = { { 0 }, { 0 } };
	struct vx_all_stats_args sa = { { 0 }, 0, 1u << 20 };
	struct vx_all_stats_ret sr = { { 0 } };
	int code;

	ck_assert_int_eq(refused(virt_h_get_vcpu_pin_info, &pa, &pr, &code),
			 -1);
	ck_assert_int_eq(code, VIR_ERR_INVALID_ARG);
	pa.ncpumaps = -1;
	pa.maplen = 1;
	ck_assert_int_eq(refused(virt_h_get_vcpu_pin_info, &pa, &pr, &code),
			 -1);
	ck_assert_int_eq(code, VIR_ERR_INVALID_ARG);
	ck_assert_int_eq(refused(virt_h_get_vcpus, &va, &vr, &code), -1);
	ck_assert_int_eq(code, VIR_ERR_INVALID_ARG);
	va.maxinfo = 16384;
	va.maplen = 2048;
	ck_assert_int_eq(refused(virt_h_get_vcpus, &va, &vr, &code), -1);
	ck_assert_int_eq(code, VIR_ERR_INVALID_ARG);
	/* an unknown flag; --enforce of a group keel does not have */
	ck_assert_int_eq(refused(virt_h_get_all_stats, &sa, &sr, &code), -1);
	ck_assert_int_eq(code, VIR_ERR_INVALID_ARG);
	sa.flags = 1u << 31;
	sa.stats = 1u << 6;
	ck_assert_int_eq(refused(virt_h_get_all_stats, &sa, &sr, &code), -1);
	ck_assert_int_eq(code, VIR_ERR_NO_SUPPORT);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virt_params");
	TCase *tc = tcase_create("params");

	tcase_add_test(tc, codec_round_trip);
	tcase_add_test(tc, codec_refuses_hostile);
	tcase_add_test(tc, plist_names_truncate_check);
	tcase_add_test(tc, cputune_conversions);
	tcase_add_test(tc, sched_params);
	tcase_add_test(tc, stats_fields);
	tcase_add_test(tc, hostile_sizes_and_flags);
	suite_add_tcase(s, tc);
	return s;
}
