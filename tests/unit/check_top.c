// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel top's arithmetic and lines (cli/top.c): CPU(%) from two samples,
 * the columns summed over disks and NICs, the state flags, sorting, the
 * row as printed and as JSON.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "top.h"

#define SEC 1000000000ULL

static struct json_object *parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_msg(o, "bad JSON in the test: %s", text);
	return o;
}

/* An AllDomainStats with one domain, "web", at @t_s seconds. */
static struct json_object *sample(const char *uuid, double t_s,
				  double cpu_s, const char *state)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "{\"time_ns\": %llu, \"host\": {\"cpus\": 4,"
		 " \"memory_kib\": 1048576}, \"domains\": [{"
		 "\"name\": \"web\", \"uuid\": \"%s\", \"id\": 1,"
		 " \"state\": \"%s\", \"reason\": \"booted\","
		 " \"time_ns\": %llu,"
		 " \"cpu\": {\"time_ns\": %llu, \"vcpu_time_ns\": 0},"
		 " \"vcpus\": [{\"id\": 0, \"state\": \"running\","
		 "  \"time_ns\": 7000000000, \"run_ns\": 1},"
		 "  {\"id\": 1, \"state\": \"running\", \"time_ns\": 0,"
		 "  \"run_ns\": 0}],"
		 " \"memory\": {\"current_kib\": 262144,"
		 "  \"maximum_kib\": 524288, \"rss_kib\": 100000},"
		 " \"disks\": [{\"vdev\": \"xvda\", \"rd_reqs\": 10,"
		 "  \"rd_bytes\": 5120, \"wr_reqs\": 3, \"wr_bytes\": 1024,"
		 "  \"oo_reqs\": 2},"
		 "  {\"vdev\": \"xvdb\", \"rd_reqs\": 5, \"rd_bytes\": 512,"
		 "  \"wr_reqs\": 0, \"wr_bytes\": 0, \"oo_reqs\": 0}],"
		 " \"nics\": [{\"rx_bytes\": 4096, \"tx_bytes\": 2048},"
		 "  {\"rx_bytes\": 1024, \"tx_bytes\": 1024}]}]}",
		 (unsigned long long)(t_s * SEC + 5), uuid, state,
		 (unsigned long long)(t_s * SEC),
		 (unsigned long long)(cpu_s * SEC));
	return parse(buf);
}

START_TEST(test_pct)
{
	/* Half a second of CPU in one second: 50 %. */
	ck_assert_double_eq_tol(top_pct(0, 0, SEC / 2, SEC), 50.0, 1e-9);
	/* Two busy vCPUs: a share above 100 %, as xentop shows it. */
	ck_assert_double_eq_tol(top_pct(10 * SEC, 100 * SEC, 14 * SEC,
					102 * SEC),
				200.0, 1e-9);
	ck_assert_double_eq_tol(top_pct(5, 10, 5, 20), 0.0, 1e-9);
	/* No time between the samples, or a counter that went back. */
	ck_assert(top_pct(0, 10, 5, 10) < 0);
	ck_assert(top_pct(0, 20, 5, 10) < 0);
	ck_assert(top_pct(9, 0, 5, 10) < 0);
}
END_TEST

START_TEST(test_state_flags)
{
	char f[7];

	top_state_flags("running", "booted", f);
	ck_assert_str_eq(f, "-----r");
	top_state_flags("paused", "user", f);
	ck_assert_str_eq(f, "----p-");
	top_state_flags("shutdown", "user", f);
	ck_assert_str_eq(f, "-s----");
	top_state_flags("blocked", "unknown", f);
	ck_assert_str_eq(f, "--b---");
	top_state_flags("paused", "crashed", f);
	ck_assert_str_eq(f, "---cp-");
	top_state_flags("nostate", NULL, f);
	ck_assert_str_eq(f, "------");
}
END_TEST

START_TEST(test_rows_first_sample)
{
	struct json_object *cur = sample("u1", 10, 3, "running");
	struct top_row *rows;

	ck_assert_int_eq(top_rows(NULL, cur, &rows), 1);
	ck_assert_str_eq(rows[0].name, "web");
	ck_assert_str_eq(rows[0].state, "-----r");
	ck_assert(rows[0].cpu_pct < 0);
	ck_assert_double_eq_tol(rows[0].cpu_s, 3.0, 1e-9);
	ck_assert_uint_eq(rows[0].mem_kib, 262144);
	ck_assert_double_eq_tol(rows[0].mem_pct, 25.0, 1e-9);
	ck_assert_uint_eq(rows[0].maxmem_kib, 524288);
	ck_assert_double_eq_tol(rows[0].maxmem_pct, 50.0, 1e-9);
	ck_assert_uint_eq(rows[0].vcpus, 2);
	ck_assert_uint_eq(rows[0].nets, 2);
	ck_assert_uint_eq(rows[0].nettx_kib, 3);
	ck_assert_uint_eq(rows[0].netrx_kib, 5);
	ck_assert_uint_eq(rows[0].vbds, 2);
	ck_assert_uint_eq(rows[0].vbd_oo, 2);
	ck_assert_uint_eq(rows[0].vbd_rd, 15);
	ck_assert_uint_eq(rows[0].vbd_wr, 3);
	ck_assert_uint_eq(rows[0].vbd_rsect, 11);
	ck_assert_uint_eq(rows[0].vbd_wsect, 2);
	free(rows);
	json_object_put(cur);
}
END_TEST

START_TEST(test_rows_two_samples)
{
	struct json_object *prev = sample("u1", 10, 3, "running");
	struct json_object *cur = sample("u1", 12, 4.5, "running");
	struct json_object *other = sample("u2", 12, 4.5, "running");
	struct json_object *reset = sample("u1", 12, 1, "running");
	struct top_row *rows;

	/* 1.5 s of CPU over 2 s of keeld's clock. */
	ck_assert_int_eq(top_rows(prev, cur, &rows), 1);
	ck_assert_double_eq_tol(rows[0].cpu_pct, 75.0, 1e-6);
	free(rows);
	/* Matched by uuid: a new domain of the same name has no rate. */
	ck_assert_int_eq(top_rows(prev, other, &rows), 1);
	ck_assert(rows[0].cpu_pct < 0);
	free(rows);
	/* A new keel-hv (counter went back) has no rate either. */
	ck_assert_int_eq(top_rows(prev, reset, &rows), 1);
	ck_assert(rows[0].cpu_pct < 0);
	free(rows);
	json_object_put(prev);
	json_object_put(cur);
	json_object_put(other);
	json_object_put(reset);
}
END_TEST

START_TEST(test_rows_empty)
{
	struct json_object *cur = parse("{\"time_ns\": 1, \"host\": {},"
					" \"domains\": []}");
	struct top_row *rows;

	ck_assert_int_eq(top_rows(NULL, cur, &rows), 0);
	free(rows);
	json_object_put(cur);
}
END_TEST

START_TEST(test_sort)
{
	struct top_row r[3] = {
		{ .name = "b", .cpu_pct = 10, .mem_kib = 1 },
		{ .name = "c", .cpu_pct = 50, .mem_kib = 1 },
		{ .name = "a", .cpu_pct = -1, .mem_kib = 9 },
	};

	top_sort(r, 3, TOP_SORT_NAME);
	ck_assert_str_eq(r[0].name, "a");
	ck_assert_str_eq(r[2].name, "c");
	top_sort(r, 3, TOP_SORT_CPU_PCT);
	ck_assert_str_eq(r[0].name, "c");
	ck_assert_str_eq(r[1].name, "b");
	ck_assert_str_eq(r[2].name, "a");
	/* Ties go by name. */
	top_sort(r, 3, TOP_SORT_MEM);
	ck_assert_str_eq(r[0].name, "a");
	ck_assert_str_eq(r[1].name, "b");
	ck_assert_str_eq(r[2].name, "c");
	ck_assert_str_eq(top_sort_name(TOP_SORT_VBD_WSECT), "VBD_WSECT");
}
END_TEST

/* What @fn printed for @row, malloc'd. */
static char *printed(void (*fn)(FILE *, const struct top_row *),
		     const struct top_row *row)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	fn(f, row);
	fclose(f);
	return text;
}

/* The header's columns and a row's fields line up one to one. */
START_TEST(test_print_row)
{
	struct json_object *prev = sample("u1", 10, 3, "running");
	struct json_object *cur = sample("u1", 12, 4.5, "running");
	char *header = NULL, *line, *words[32], *save = NULL;
	size_t hlen = 0, n = 0;
	FILE *f = open_memstream(&header, &hlen);
	struct top_row *rows;

	top_print_header(f);
	fclose(f);
	ck_assert_int_eq(top_rows(prev, cur, &rows), 1);
	line = printed(top_print_row, &rows[0]);
	for (char *w = strtok_r(line, " ", &save); w && n < 32;
	     w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	ck_assert_uint_eq(n, 18);
	ck_assert_str_eq(words[0], "web");
	ck_assert_str_eq(words[1], "-----r");
	ck_assert_str_eq(words[2], "4"); /* 4.5 s, as %.0f rounds it */
	ck_assert_str_eq(words[3], "75.0");
	ck_assert_str_eq(words[4], "262144");
	ck_assert_str_eq(words[5], "25.0");
	ck_assert_str_eq(words[8], "2");
	ck_assert_str_eq(words[17], "2");
	ck_assert(strstr(header, "CPU(%)"));
	free(line);
	line = printed(top_print_row, &rows[0]);
	ck_assert_uint_eq(strlen(header), strlen(line));
	free(line);
	free(header);
	free(rows);
	json_object_put(prev);
	json_object_put(cur);
}
END_TEST

START_TEST(test_print_details)
{
	struct json_object *cur = sample("u1", 10, 3, "running");
	struct top_row *rows;
	char *text;

	ck_assert_int_eq(top_rows(NULL, cur, &rows), 1);
	text = printed(top_print_vbds, &rows[0]);
	ck_assert_msg(strstr(text, "VBD xvda") && strstr(text, "VBD xvdb") &&
			      strstr(text, "RD:       10"),
		      "%s", text);
	free(text);
	text = printed(top_print_nets, &rows[0]);
	ck_assert_msg(strstr(text, "Net0 RX:     4096bytes") &&
			      strstr(text, "Net1 RX:"),
		      "%s", text);
	free(text);
	text = printed(top_print_vcpus, &rows[0]);
	ck_assert_msg(strstr(text, "0:          7s"), "%s", text);
	free(text);
	free(rows);
	json_object_put(cur);
}
END_TEST

START_TEST(test_row_json)
{
	struct json_object *cur = sample("u1", 10, 3, "paused"), *o, *v;
	struct top_row *rows;

	ck_assert_int_eq(top_rows(NULL, cur, &rows), 1);
	o = top_row_json(&rows[0]);
	ck_assert_str_eq(json_object_get_string(
				 json_object_object_get(o, "state")),
			 "----p-");
	/* No earlier sample: null, not a made-up 0. */
	ck_assert(json_object_object_get_ex(o, "cpu_pct", &v));
	ck_assert_ptr_null(v);
	ck_assert_int_eq(json_object_get_int64(
				 json_object_object_get(o, "vbd_rd")),
			 15);
	json_object_put(o);
	free(rows);
	json_object_put(cur);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("top");
	TCase *tc = tcase_create("top");

	tcase_add_test(tc, test_pct);
	tcase_add_test(tc, test_state_flags);
	tcase_add_test(tc, test_rows_first_sample);
	tcase_add_test(tc, test_rows_two_samples);
	tcase_add_test(tc, test_rows_empty);
	tcase_add_test(tc, test_sort);
	tcase_add_test(tc, test_print_row);
	tcase_add_test(tc, test_print_details);
	tcase_add_test(tc, test_row_json);
	suite_add_tcase(s, tc);
	return s;
}
