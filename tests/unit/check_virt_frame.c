// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-virtd's protocol core without a socket: libvirt's framing and
 * its limits (libvirt/virt_frame.c), the XDR of keel's own .x against
 * bytes laid out by hand as libvirt's clients send them, error replies,
 * and the procedure table (libvirt/virt_procs.c): sorted and unique,
 * its flags sensible, and man/keel-virtd.8's PROCEDURES the same list.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "runner.h"
#include "virt_error.h"
#include "virt_events.h"
#include "virt_frame.h"
#include "virt_procs.h"
#include "virt_state.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

START_TEST(frame_length_limits)
{
	uint8_t w[4];

	put32(w, VIRT_MSG_MIN);
	ck_assert_int_eq(virt_frame_length(w), VIRT_MSG_MIN);
	put32(w, VIRT_MSG_MAX);
	ck_assert_int_eq(virt_frame_length(w), VIRT_MSG_MAX);
	put32(w, VIRT_MSG_MIN - 1);
	ck_assert_int_eq(virt_frame_length(w), -EMSGSIZE);
	put32(w, 0);
	ck_assert_int_eq(virt_frame_length(w), -EMSGSIZE);
	put32(w, VIRT_MSG_MAX + 1);
	ck_assert_int_eq(virt_frame_length(w), -EMSGSIZE);
	put32(w, 0xffffffffu);
	ck_assert_int_eq(virt_frame_length(w), -EMSGSIZE);
}
END_TEST

START_TEST(header_round_trip)
{
	struct vx_header h = { VX_PROGRAM, 1, 273, VX_REPLY, 42, VX_ERROR };
	struct vx_header back;
	uint8_t *msg;
	size_t len;

	ck_assert_int_eq(virt_msg_encode(&h, NULL, NULL, &msg, &len), 0);
	ck_assert_uint_eq(len, VIRT_MSG_MIN);
	/* Big-endian, the length counting itself. */
	ck_assert_uint_eq(msg[3], VIRT_MSG_MIN);
	ck_assert_uint_eq(msg[4], 0x20);
	ck_assert_uint_eq(msg[7], 0x86);
	ck_assert_int_eq(virt_header_decode(msg, len, &back), 0);
	ck_assert_uint_eq(back.prog, VX_PROGRAM);
	ck_assert_int_eq(back.proc, 273);
	ck_assert_int_eq(back.type, VX_REPLY);
	ck_assert_uint_eq(back.serial, 42);
	ck_assert_int_eq(back.status, VX_ERROR);
	ck_assert_int_eq(virt_header_decode(msg, len - 1, &back), -EBADMSG);
	free(msg);
}
END_TEST

/* CONNECT_OPEN's arguments as virsh sends them: name "keel:///system", RO. */
START_TEST(decode_open_args)
{
	static const uint8_t wire[] = {
		0, 0, 0, 1,			/* name present */
		0, 0, 0, 14, 'k', 'e', 'e', 'l', ':', '/', '/', '/',
		's', 'y', 's', 't', 'e', 'm', 0, 0,	/* padded to 4 */
		0, 0, 0, 1,			/* flags: read-only */
	};
	struct vx_open_args a = { 0 };

	ck_assert_int_eq(virt_payload_decode(wire, sizeof(wire),
					     (xdrproc_t)xdr_vx_open_args, &a),
			 0);
	ck_assert_ptr_nonnull(a.name);
	ck_assert_str_eq(*a.name, "keel:///system");
	ck_assert_uint_eq(a.flags, 1);
	xdr_free((xdrproc_t)xdr_vx_open_args, &a);

	/* Cut short, or with bytes after: refused, nothing leaked. */
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(virt_payload_decode(wire, sizeof(wire) - 4,
					     (xdrproc_t)xdr_vx_open_args, &a),
			 -EBADMSG);
	ck_assert_int_eq(virt_payload_decode(wire, sizeof(wire) - 6,
					     (xdrproc_t)xdr_vx_open_args, &a),
			 -EBADMSG);
}
END_TEST

START_TEST(decode_refuses_hostile)
{
	uint8_t wire[16] = { 0 };
	struct vx_lookup_name_args a = { 0 };
	struct vx_list_all_ret r = { 0 };

	/* A string longer than libvirt's 4 MiB limit. */
	put32(wire, VX_STRING_MAX + 1);
	ck_assert_int_eq(virt_payload_decode(wire, sizeof(wire),
					     (xdrproc_t)xdr_vx_lookup_name_args,
					     &a),
			 -EBADMSG);
	/* One that claims more than the message holds. */
	put32(wire, 0x7fffffff);
	ck_assert_int_eq(virt_payload_decode(wire, sizeof(wire),
					     (xdrproc_t)xdr_vx_lookup_name_args,
					     &a),
			 -EBADMSG);
	/* A list longer than its bound. */
	put32(wire, VX_DOMAIN_LIST_MAX + 1);
	ck_assert_int_eq(virt_payload_decode(wire, sizeof(wire),
					     (xdrproc_t)xdr_vx_list_all_ret, &r),
			 -EBADMSG);
	/* No arguments expected, some given; none expected, none given. */
	ck_assert_int_eq(virt_payload_decode(wire, 4, NULL, NULL), -EBADMSG);
	ck_assert_int_eq(virt_payload_decode(wire, 0, NULL, NULL), 0);
}
END_TEST

/* DOMAIN_GET_INFO's answer: uchar and ushort take 4 bytes each. */
START_TEST(encode_get_info_layout)
{
	struct vx_header h = { VX_PROGRAM, 1, 16, VX_REPLY, 1, VX_OK };
	struct vx_get_info_ret r = { 5, 524288, 262144, 2, 3000000000ull };
	uint8_t *msg;
	size_t len;

	ck_assert_int_eq(virt_msg_encode(&h, (xdrproc_t)xdr_vx_get_info_ret,
					 &r, &msg, &len),
			 0);
	ck_assert_uint_eq(len, VIRT_MSG_MIN + 4 + 8 + 8 + 4 + 8);
	ck_assert_uint_eq(msg[VIRT_MSG_MIN + 3], 5);
	ck_assert_uint_eq(msg[VIRT_MSG_MIN + 4 + 8 + 8 + 3], 2);
	free(msg);
}
END_TEST

/*
 * DEVICE_ADDED/REMOVED's callback message as libvirt 9.0.0 decodes it:
 * callback number, domain (name, uuid, id), the device's alias.
 */
START_TEST(encode_device_event_layout)
{
	struct vx_header h = { VX_PROGRAM, 1, 354, VX_MESSAGE, 0, VX_OK };
	struct vx_event_device_msg m = {
		.callback_id = 7,
		.dom = { .name = "web", .id = 3 },
		.dev_alias = "xvdb",
	};
	static const uint8_t want[] = {
		0, 0, 0, 7,			/* callbackID */
		0, 0, 0, 3, 'w', 'e', 'b', 0,	/* name, padded */
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		0, 0, 0, 3,			/* id */
		0, 0, 0, 4, 'x', 'v', 'd', 'b',	/* devAlias */
	};
	uint8_t *msg;
	size_t len;

	for (int i = 0; i < VX_UUID_LEN; i++)
		m.dom.uuid[i] = (char)(i + 1);
	ck_assert_int_eq(virt_msg_encode(&h,
					 (xdrproc_t)xdr_vx_event_device_msg,
					 &m, &msg, &len),
			 0);
	ck_assert_uint_eq(len, VIRT_MSG_MIN + sizeof(want));
	ck_assert(!memcmp(msg + VIRT_MSG_MIN, want, sizeof(want)));
	free(msg);
}
END_TEST

START_TEST(encode_too_large)
{
	struct vx_header h = { VX_PROGRAM, 1, 21, VX_REPLY, 1, VX_OK };
	struct vx_list_names_ret r = { 0 };
	char *big = malloc(VX_STRING_MAX + 1);
	char *names[9];
	uint8_t *msg = NULL;
	size_t len, i;

	ck_assert_ptr_nonnull(big);
	memset(big, 'a', VX_STRING_MAX);
	big[VX_STRING_MAX] = '\0';
	for (i = 0; i < 9; i++)
		names[i] = big;
	r.names.names_val = names;
	r.names.names_len = 9;
	/* 9 strings of 4 MiB: past the 32 MiB of a message. */
	ck_assert_int_eq(virt_msg_encode(&h, (xdrproc_t)xdr_vx_list_names_ret,
					 &r, &msg, &len),
			 -EMSGSIZE);
	ck_assert_ptr_null(msg);
	free(big);
}
END_TEST

START_TEST(error_reply)
{
	struct vx_header h = { VX_PROGRAM, 1, 9999, VX_CALL, 77, VX_OK };
	struct vx_header back;
	struct vx_error e = { 0 };
	uint8_t *msg;
	size_t len;

	ck_assert_int_eq(virt_reply_error(&h, VIR_ERR_NO_SUPPORT, VIR_FROM_RPC,
					  "Not here.", &msg, &len),
			 0);
	virt_header_decode(msg, len, &back);
	ck_assert_int_eq(back.type, VX_REPLY);
	ck_assert_int_eq(back.status, VX_ERROR);
	ck_assert_uint_eq(back.serial, 77);
	ck_assert_int_eq(back.proc, 9999);
	ck_assert_int_eq(virt_payload_decode(msg + VIRT_MSG_MIN,
					     len - VIRT_MSG_MIN,
					     (xdrproc_t)xdr_vx_error, &e),
			 0);
	ck_assert_int_eq(e.code, VIR_ERR_NO_SUPPORT);
	ck_assert_int_eq(e.domain, VIR_FROM_RPC);
	ck_assert_int_eq(e.level, VIR_ERR_LEVEL_ERROR);
	ck_assert_str_eq(*e.message, "Not here.");
	ck_assert_ptr_null(e.dom);
	xdr_free((xdrproc_t)xdr_vx_error, &e);
	free(msg);
}
END_TEST

/* A procedure answered on the loop, through the table's whole path. */
START_TEST(proc_run_loop_call)
{
	struct vx_header h = { VX_PROGRAM, 1, 110, VX_CALL, 5, VX_OK };
	struct virt_call call = { .proc = virt_proc_find(110) };
	struct vx_string_ret r = { 0 };
	struct vx_error e = { 0 };
	struct vx_header back;
	uint8_t junk[4] = { 0 }, *msg;
	size_t len;

	ck_assert_ptr_nonnull(call.proc);
	ck_assert_int_eq(virt_proc_run(&call, &h, NULL, 0, &msg, &len), 0);
	virt_header_decode(msg, len, &back);
	ck_assert_int_eq(back.status, VX_OK);
	ck_assert_int_eq(virt_payload_decode(msg + VIRT_MSG_MIN,
					     len - VIRT_MSG_MIN,
					     (xdrproc_t)xdr_vx_string_ret, &r),
			 0);
	ck_assert_str_eq(r.str, "keel:///system");
	xdr_free((xdrproc_t)xdr_vx_string_ret, &r);
	free(msg);

	/* Arguments to a procedure that takes none: VIR_ERR_RPC. */
	ck_assert_int_eq(virt_proc_run(&call, &h, junk, 4, &msg, &len), 0);
	virt_header_decode(msg, len, &back);
	ck_assert_int_eq(back.status, VX_ERROR);
	ck_assert_int_eq(virt_payload_decode(msg + VIRT_MSG_MIN,
					     len - VIRT_MSG_MIN,
					     (xdrproc_t)xdr_vx_error, &e),
			 0);
	ck_assert_int_eq(e.code, VIR_ERR_RPC);
	xdr_free((xdrproc_t)xdr_vx_error, &e);
	free(msg);
}
END_TEST

START_TEST(table_sorted_and_whole)
{
	size_t i;

	ck_assert_uint_gt(virt_nr_procs, 40);
	for (i = 0; i < virt_nr_procs; i++) {
		const struct virt_proc *p = &virt_procs[i];

		if (i)
			ck_assert_msg(virt_procs[i - 1].proc < p->proc,
				      "%s (%d) is out of order or repeated",
				      p->name, p->proc);
		ck_assert_ptr_nonnull(p->name);
		ck_assert_ptr_nonnull(p->fn);
		ck_assert_msg(!p->args_xdr == !p->args_size,
			      "%s: args XDR and size disagree", p->name);
		ck_assert_msg(!p->ret_xdr == !p->ret_size,
			      "%s: ret XDR and size disagree", p->name);
		ck_assert_ptr_eq(virt_proc_find(p->proc), p);
		/* What may come before OPEN is answered in order, on the loop. */
		if (p->flags & VIRT_PROC_PREOPEN)
			ck_assert_msg(p->flags & VIRT_PROC_LOOP,
				      "%s is pre-open but not on the loop",
				      p->name);
	}
	ck_assert_ptr_null(virt_proc_find(0));
	ck_assert_ptr_null(virt_proc_find(426));
	ck_assert_ptr_null(virt_proc_find(-1));
	ck_assert_ptr_null(virt_proc_find(100000));
}
END_TEST

static bool name_has(const char *name, const char *const *words)
{
	for (; *words; words++)
		if (strstr(name, *words))
			return true;
	return false;
}

/* A read-only connection may ask, never change. */
START_TEST(table_read_flags)
{
	static const char *const changes[] = {
		"CREATE", "DESTROY", "SUSPEND", "RESUME", "SHUTDOWN", "REBOOT",
		"UNDEFINE", "SET_", "RENAME", "DEFINE_XML", "PIN_VCPU",
		"DOMAIN_SAVE", "DOMAIN_RESTORE", "ABORT_JOB", "MIGRATE_PERFORM",
		/* Typing into a guest's console changes it. */
		"OPEN_CONSOLE", NULL,
	};
	static const char *const asks[] = {
		"GET_", "LOOKUP", "LIST", "NUM", "IS_", "HAS_", "AUTH_LIST",
		"SUPPORTS_FEATURE", "OPEN", "CLOSE", "_STATS", "EVENT_CALLBACK",
		NULL,
	};
	size_t i;

	for (i = 0; i < virt_nr_procs; i++) {
		const struct virt_proc *p = &virt_procs[i];
		bool read = p->flags & VIRT_PROC_READ;

		if (name_has(p->name, changes))
			ck_assert_msg(!read, "%s changes a domain but is read-only",
				      p->name);
		else
			ck_assert_msg(name_has(p->name, asks) && read,
				      "%s: is it read-only or not?", p->name);
	}
}
END_TEST

static const char *srcdir(void)
{
	const char *s = getenv("KEEL_SRCDIR");

	return s && *s ? s : "..";
}

/* man/keel-virtd.8's PROCEDURES: the table's list, read-only as flagged. */
START_TEST(man_page_lists_the_table)
{
	char path[512], line[512], name[128];
	const struct virt_proc *cur = NULL;
	bool seen[512] = { false }, in_section = false, cur_ro = false;
	size_t i, listed = 0;
	FILE *f;
	int num;

	snprintf(path, sizeof(path), "%s/man/keel-virtd.8", srcdir());
	f = fopen(path, "r");
	ck_assert_msg(f, "cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, ".SH ", 4)) {
			in_section = !strcmp(line, ".SH PROCEDURES\n");
			continue;
		}
		if (!in_section)
			continue;
		if (sscanf(line, ".B %127[A-Z0-9_] (%d)", name, &num) == 2) {
			if (cur)
				ck_assert_msg(cur_ro == !!(cur->flags &
							   VIRT_PROC_READ),
					      "keel-virtd.8: %s's read-only is not the table's",
					      cur->name);
			cur = virt_proc_find(num);
			ck_assert_msg(cur, "keel-virtd.8 lists %s (%d), the table does not",
				      name, num);
			ck_assert_str_eq(cur->name, name);
			ck_assert_msg(!seen[cur - virt_procs], "%s twice", name);
			seen[cur - virt_procs] = true;
			cur_ro = false;
			listed++;
		} else if (cur && !strncmp(line, "Read\\-only", 10)) {
			cur_ro = true;
		}
	}
	fclose(f);
	if (cur)
		ck_assert(cur_ro == !!(cur->flags & VIRT_PROC_READ));
	for (i = 0; i < virt_nr_procs; i++)
		ck_assert_msg(seen[i], "keel-virtd.8 does not list %s",
			      virt_procs[i].name);
	ck_assert_uint_eq(listed, virt_nr_procs);
}
END_TEST

START_TEST(state_reasons)
{
	ck_assert_int_eq(virt_state_reason(KEEL_STATE_RUNNING, "booted"), 1);
	ck_assert_int_eq(virt_state_reason(KEEL_STATE_RUNNING, "unpaused"), 5);
	ck_assert_int_eq(virt_state_reason(KEEL_STATE_PAUSED, "user"), 1);
	ck_assert_int_eq(virt_state_reason(KEEL_STATE_PAUSED, "incoming"), 2);
	ck_assert_int_eq(virt_state_reason(KEEL_STATE_SHUTOFF, "destroyed"),
			 2);
	ck_assert_int_eq(virt_state_reason(KEEL_STATE_SHUTOFF, "saved"), 5);
	ck_assert_int_eq(virt_state_reason(KEEL_STATE_SHUTOFF, "daemon"), 8);
	ck_assert_int_eq(virt_state_reason(KEEL_STATE_CRASHED, "panicked"), 1);
	/* A name of another state's enum, or none: UNKNOWN. */
	ck_assert_int_eq(virt_state_reason(KEEL_STATE_SHUTOFF, "booted"), 0);
	ck_assert_int_eq(virt_state_reason(KEEL_STATE_RUNNING, "migrating"),
			 0);
	ck_assert_int_eq(virt_state_reason(KEEL_STATE_SHUTOFF, "unknown"), 0);
	ck_assert_int_eq(virt_state_reason(KEEL_STATE_SHUTOFF, ""), 0);
}
END_TEST

START_TEST(error_map)
{
	ck_assert_int_eq(virt_error_from_keel(KEEL_E_NO_DOMAIN),
			 VIR_ERR_NO_DOMAIN);
	ck_assert_int_eq(virt_error_from_keel(KEEL_E_INVALID_STATE),
			 VIR_ERR_OPERATION_INVALID);
	ck_assert_int_eq(virt_error_from_keel(KEEL_E_PERMISSION),
			 VIR_ERR_OPERATION_DENIED);
	ck_assert_int_eq(virt_error_from_keel(KEEL_E_DOMAIN_EXISTS),
			 VIR_ERR_DOM_EXIST);
	ck_assert_int_eq(virt_error_from_keel(KEEL_E_CONNECTION),
			 VIR_ERR_SYSTEM_ERROR);
	ck_assert_int_eq(virt_error_from_keel(-32602), VIR_ERR_INVALID_ARG);
	ck_assert_int_eq(virt_error_from_keel(12345), VIR_ERR_INTERNAL_ERROR);
}
END_TEST

/* keel's lifecycle events in libvirt's numbers (libvirt-domain.h). */
START_TEST(event_map)
{
	static const struct {
		const char *event, *detail;
		int type, det;
	} want[] = {
		{ "defined", "added", 0, 0 },	 { "defined", "renamed", 0, 2 },
		{ "undefined", "removed", 1, 0 }, { "started", "booted", 2, 0 },
		{ "started", "restored", 2, 2 },  { "suspended", "paused", 3, 0 },
		{ "resumed", "unpaused", 4, 0 },  { "stopped", "shutdown", 5, 0 },
		{ "stopped", "destroyed", 5, 1 }, { "stopped", "crashed", 5, 2 },
		{ "stopped", "migrated", 5, 3 },  { "stopped", "saved", 5, 4 },
		{ "stopped", "failed", 5, 5 },	 { "shutdown", "finished", 6, 0 },
		{ "crashed", "panicked", 8, 0 },  { "undefined", "migrated", 1, 0 },
		{ "started", NULL, 2, 0 },
	};
	struct json_object *schema, *en;
	char path[512];
	int type, det;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(virt_event_lookup(want[i].event, want[i].detail,
						   &type, &det),
				 0);
		ck_assert_int_eq(type, want[i].type);
		ck_assert_int_eq(det, want[i].det);
	}
	ck_assert_int_eq(virt_event_lookup("progress", "save", &type, &det),
			 -ENOENT);
	ck_assert_int_eq(virt_event_lookup("", NULL, &type, &det), -ENOENT);
	/*
	 * Every lifecycle event keeld's schema names has libvirt's number,
	 * but rebooted and the device events: libvirt's REBOOT (319) and
	 * DEVICE_ADDED/REMOVED (354, 333), no lifecycle ones.
	 */
	ck_assert_int_eq(virt_event_lookup("rebooted", "guest", &type, &det),
			 -ENOENT);
	snprintf(path, sizeof(path), "%s/schemas/keel.openrpc.json", srcdir());
	schema = json_object_from_file(path);
	ck_assert_ptr_nonnull(schema);
	ck_assert(json_pointer_get(schema,
				   "/components/schemas/Event/properties/event/enum",
				   &en) == 0);
	for (i = 0; i < json_object_array_length(en); i++) {
		const char *e =
			json_object_get_string(json_object_array_get_idx(en, i));

		if (strcmp(e, "progress") && strcmp(e, "rebooted") &&
		    strncmp(e, "device_", 7))
			ck_assert_msg(!virt_event_lookup(e, NULL, &type, &det),
				      "keel's event %s has no libvirt number", e);
	}
	json_object_put(schema);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virt_frame");
	TCase *tc = tcase_create("frame");

	tcase_add_test(tc, frame_length_limits);
	tcase_add_test(tc, header_round_trip);
	tcase_add_test(tc, decode_open_args);
	tcase_add_test(tc, decode_refuses_hostile);
	tcase_add_test(tc, encode_get_info_layout);
	tcase_add_test(tc, encode_device_event_layout);
	tcase_add_test(tc, encode_too_large);
	tcase_add_test(tc, error_reply);
	tcase_add_test(tc, proc_run_loop_call);
	suite_add_tcase(s, tc);
	tc = tcase_create("table");
	tcase_add_test(tc, table_sorted_and_whole);
	tcase_add_test(tc, table_read_flags);
	tcase_add_test(tc, man_page_lists_the_table);
	tcase_add_test(tc, state_reasons);
	tcase_add_test(tc, error_map);
	tcase_add_test(tc, event_map);
	suite_add_tcase(s, tc);
	return s;
}
