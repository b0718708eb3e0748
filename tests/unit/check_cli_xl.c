// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld's answers in xl's shapes (cli/xl_format.c): list's state flags
 * and reason codes for every state keeld reports, list -l's elements as
 * libxl names their members, uptime's long and short times.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "runner.h"
#include "xl_format.h"

static struct json_object *parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_msg(o, "bad JSON in the test: %s", text);
	return o;
}

static const char *flags(const char *state, const char *reason)
{
	static char out[XL_FLAGS_LEN];

	xl_state_flags(state, reason, out);
	return out;
}

START_TEST(test_state_flags)
{
	ck_assert_str_eq(flags("running", "booted"), "r-----");
	ck_assert_str_eq(flags("running", "unpaused"), "r-----");
	ck_assert_str_eq(flags("blocked", "unknown"), "-b----");
	ck_assert_str_eq(flags("paused", "user"), "--p---");
	/* Being shut down still runs, as in xl. */
	ck_assert_str_eq(flags("shutdown", "user"), "r-----");
	/* Stopped and preserved: powered off, crashed. */
	ck_assert_str_eq(flags("paused", "shutdown"), "---s--");
	ck_assert_str_eq(flags("crashed", "panicked"), "---sc-");
	ck_assert_str_eq(flags("shutoff", "shutdown"), "------");
	ck_assert_str_eq(flags("shutoff", "failed"), "------");
	ck_assert_str_eq(flags(NULL, NULL), "------");
	ck_assert_int_eq(strlen(flags("nostate", "x")), XL_FLAGS_LEN - 1);
}
END_TEST

START_TEST(test_reason_code)
{
	ck_assert_int_eq(xl_reason_code("running", "booted"), -1);
	ck_assert_int_eq(xl_reason_code("paused", "user"), -1);
	ck_assert_int_eq(xl_reason_code("shutoff", "crashed"), -1);
	ck_assert_int_eq(xl_reason_code("paused", "shutdown"), 0);
	ck_assert_int_eq(xl_reason_code("crashed", "panicked"), 3);
}
END_TEST

static const char *str(struct json_object *o, const char *p)
{
	struct json_object *v;

	ck_assert_msg(!json_pointer_get(o, p, &v), "no %s", p);
	return json_object_get_string(v);
}

static int64_t num(struct json_object *o, const char *p)
{
	struct json_object *v;

	ck_assert_msg(!json_pointer_get(o, p, &v), "no %s", p);
	return json_object_get_int64(v);
}

START_TEST(test_long_entry)
{
	struct json_object *s = parse(
		"{\"name\": \"web\", \"uuid\": \"u-1\", \"id\": 4,"
		" \"state\": \"running\", \"memory\": 384, \"vcpus\": 2,"
		" \"config\": {\"name\": \"web\", \"uuid\": \"u-1\","
		" \"memory\": 512, \"maxmem\": 1024, \"vcpus\": 2,"
		" \"maxvcpus\": 4, \"cap\": 50, \"kernel\": \"/k\","
		" \"cmdline\": \"console=hvc0\", \"on_reboot\": \"destroy\","
		" \"disks\": [{\"vdev\": \"xvda\", \"path\": \"/a.img\"},"
		" {\"vdev\": \"xvdb\", \"path\": \"/b.iso\","
		" \"readonly\": true}],"
		" \"nics\": [{\"mac\": \"00:16:3e:00:00:01\","
		" \"bridge\": \"br0\"}]}}");
	struct json_object *o = xl_long_entry(s), *v;

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(num(o, "/domid"), 4);
	ck_assert_str_eq(str(o, "/config/c_info/name"), "web");
	ck_assert_str_eq(str(o, "/config/c_info/uuid"), "u-1");
	ck_assert_str_eq(str(o, "/config/c_info/type"), "pvh");
	ck_assert_int_eq(num(o, "/config/b_info/max_vcpus"), 4);
	ck_assert_int_eq(num(o, "/config/b_info/max_memkb"), 1024 * 1024);
	/* The current memory, not the configured one. */
	ck_assert_int_eq(num(o, "/config/b_info/target_memkb"), 384 * 1024);
	ck_assert_int_eq(num(o, "/config/b_info/sched_params/cap"), 50);
	ck_assert_str_eq(str(o, "/config/b_info/kernel"), "/k");
	ck_assert_str_eq(str(o, "/config/disks/0/pdev_path"), "/a.img");
	ck_assert_str_eq(str(o, "/config/disks/1/vdev"), "xvdb");
	ck_assert_str_eq(str(o, "/config/disks/1/format"), "raw");
	ck_assert_int_eq(num(o, "/config/disks/0/readwrite"), 1);
	ck_assert_int_eq(num(o, "/config/disks/1/readwrite"), 0);
	ck_assert_int_eq(num(o, "/config/nics/0/devid"), 0);
	ck_assert_str_eq(str(o, "/config/nics/0/bridge"), "br0");
	/* The configured action, else xl's default. */
	ck_assert_str_eq(str(o, "/config/on_reboot"), "destroy");
	ck_assert_str_eq(str(o, "/config/on_poweroff"), "destroy");
	ck_assert_str_eq(str(o, "/config/on_crash"), "destroy");
	json_object_put(o);
	json_object_put(s);

	/* A shut-off domain: no id, memory from the definition alone. */
	s = parse("{\"name\": \"off\", \"id\": null, \"memory\": 256,"
		  " \"vcpus\": 1, \"config\": {\"name\": \"off\","
		  " \"memory\": 256}}");
	o = xl_long_entry(s);
	ck_assert(json_object_object_get_ex(o, "domid", &v));
	ck_assert_ptr_null(v);
	ck_assert_int_eq(num(o, "/config/b_info/max_vcpus"), 1);
	ck_assert_int_eq(num(o, "/config/b_info/max_memkb"), 256 * 1024);
	ck_assert_int_eq(json_object_array_length(
				 json_object_object_get(
					 json_object_object_get(o, "config"),
					 "disks")),
			 0);
	json_object_put(o);
	json_object_put(s);
}
END_TEST

static const char *up(double s, int is_short)
{
	static char buf[64];

	xl_format_uptime(buf, sizeof(buf), s, is_short);
	return buf;
}

START_TEST(test_uptime)
{
	ck_assert_str_eq(up(7, 0), " 0:00:07");
	ck_assert_str_eq(up(3600 * 13 + 65.9, 0), "13:01:05");
	ck_assert_str_eq(up(86400 + 3 * 3600 + 4 * 60 + 5, 0),
			 "1 day,  3:04:05");
	ck_assert_str_eq(up(2 * 86400 + 5, 0), "2 days,  0:00:05");
	ck_assert_str_eq(up(7, 1), " 0:00");
	ck_assert_str_eq(up(2 * 86400 + 3 * 3600 + 4 * 60 + 5, 1),
			 "2 days,  3:04");
	ck_assert_str_eq(up(-1, 0), "-");
	ck_assert_str_eq(up(-1, 1), "-");
}
END_TEST

/*
 * block-list and network-list: xl's header to the byte, so that a
 * script that cuts xl's columns cuts keel's; the values keel(1) gives.
 */
START_TEST(test_device_lists)
{
	struct json_object *disk = parse(
		"{\"vdev\":\"xvdb\",\"path\":\"/srv/data.img\",\"readonly\":true}");
	struct json_object *nic = parse(
		"{\"mac\":\"00:16:3e:00:00:42\",\"tap\":\"keel3.1\",\"bridge\":\"br0\"}");
	struct json_object *bare = parse("{}");
	char line[256];

	xl_block_list_header(line, sizeof(line));
	ck_assert_str_eq(line, "Vdev  BE  handle state evt-ch ring-ref BE-path                       ");
	xl_block_list_line(line, sizeof(line), disk, 3);
	ck_assert_str_eq(line, "xvdb  0   3      4     -1     -1       /srv/data.img                 ");
	/* Not running: no handle, closed. */
	xl_block_list_line(line, sizeof(line), disk, -1);
	ck_assert_str_eq(line, "xvdb  0   -1     6     -1     -1       /srv/data.img                 ");
	xl_network_list_header(line, sizeof(line));
	ck_assert_str_eq(line, "Idx BE Mac Addr.         handle state evt-ch   tx-/rx-ring-ref BE-path                       ");
	xl_network_list_line(line, sizeof(line), 1, nic, 3);
	ck_assert_str_eq(line, "1   0  00:16:3e:00:00:42      3     4     -1    -1/-1          keel3.1                       ");
	/* Members a configuration may lack: "-". */
	xl_network_list_line(line, sizeof(line), 0, bare, -1);
	ck_assert_str_eq(line, "0   0  -                     -1     6     -1    -1/-1          -                             ");
	json_object_put(disk);
	json_object_put(nic);
	json_object_put(bare);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("cli_xl");
	TCase *tc = tcase_create("cli_xl");

	tcase_add_test(tc, test_state_flags);
	tcase_add_test(tc, test_reason_code);
	tcase_add_test(tc, test_long_entry);
	tcase_add_test(tc, test_uptime);
	tcase_add_test(tc, test_device_lists);
	suite_add_tcase(s, tc);
	return s;
}
