// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The AML writer (hypervisor/x86/aml.c) against byte sequences worked out
 * by hand from ACPI 6.3 chapters 6.4 and 20: PkgLength in all four forms
 * and at every boundary, names, integers, EISA IDs, packages, buffers,
 * resource descriptors, and the sticky error. check_acpi has iasl read
 * what the writer produces.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "x86/aml.h"

static struct aml a;

static void setup(void)
{
	aml_init(&a);
}

static void teardown(void)
{
	aml_dispose(&a);
}

static void reset(void)
{
	aml_dispose(&a);
	aml_init(&a);
}

/* The writer holds exactly @n bytes equal to @want, and no error. */
static void expect(const void *want, size_t n)
{
	ck_assert_int_eq(aml_error(&a), 0);
	ck_assert_uint_eq(a.len, n);
	ck_assert_mem_eq(a.buf, want, n);
}

#define EXPECT(...)                                                    \
	do {                                                           \
		const uint8_t want_[] = { __VA_ARGS__ };               \
		expect(want_, sizeof(want_));                          \
	} while (0)

static void expect_length(uint32_t value, int n, const uint8_t *want)
{
	uint8_t out[4];

	ck_assert_int_eq(aml_encode_length(value, out), n);
	ck_assert_mem_eq(out, want, (size_t)n);
}

START_TEST(test_length_forms)
{
	expect_length(0, 1, (const uint8_t[]){ 0x00 });
	expect_length(0x3f, 1, (const uint8_t[]){ 0x3f });
	/* Two bytes: low nibble in the lead byte, bits 4-11 after it. */
	expect_length(0x40, 2, (const uint8_t[]){ 0x40, 0x04 });
	expect_length(0x123, 2, (const uint8_t[]){ 0x43, 0x12 });
	expect_length(0xfff, 2, (const uint8_t[]){ 0x4f, 0xff });
	expect_length(0x1000, 3, (const uint8_t[]){ 0x80, 0x00, 0x01 });
	expect_length(0xfffff, 3, (const uint8_t[]){ 0x8f, 0xff, 0xff });
	expect_length(0x100000, 4,
		      (const uint8_t[]){ 0xc0, 0x00, 0x00, 0x01 });
	expect_length(0x1234567, 4,
		      (const uint8_t[]){ 0xc7, 0x56, 0x34, 0x12 });
	expect_length(0xfffffff, 4,
		      (const uint8_t[]){ 0xcf, 0xff, 0xff, 0xff });

	uint8_t out[4];

	ck_assert_int_eq(aml_encode_length(0x10000000, out), -ERANGE);
}
END_TEST

static void expect_pkglen(size_t content, int n, uint32_t value)
{
	uint8_t out[4], want[4];

	ck_assert_int_eq(aml_encode_pkglen(content, out), n);
	ck_assert_int_eq(aml_encode_length(value, want), n);
	ck_assert_mem_eq(out, want, (size_t)n);
}

START_TEST(test_pkglen_counts_itself)
{
	uint8_t out[4];

	expect_pkglen(0, 1, 1);
	expect_pkglen(62, 1, 63);
	/* 63 + 1 = 64 no longer fits six bits: two bytes, value 65. */
	expect_pkglen(63, 2, 65);
	expect_pkglen(4093, 2, 4095);
	expect_pkglen(4094, 3, 4097);
	expect_pkglen((1u << 20) - 4, 3, (1u << 20) - 1);
	expect_pkglen((1u << 20) - 3, 4, (1u << 20) + 1);
	expect_pkglen((1u << 28) - 5, 4, (1u << 28) - 1);
	ck_assert_int_eq(aml_encode_pkglen((1u << 28) - 4, out), -ERANGE);
}
END_TEST

/* Scope(\) around @content bytes: its PkgLength as the writer put it. */
static void check_scope_of(size_t content, int n)
{
	uint8_t *filler = calloc(1, content);
	uint8_t want[4];

	ck_assert_ptr_nonnull(filler);
	reset();
	aml_scope_begin(&a, "\\");
	aml_bytes(&a, filler, content - 2); /* after RootChar NullName */
	aml_end(&a);
	free(filler);
	ck_assert_int_eq(aml_error(&a), 0);
	ck_assert_uint_eq(a.len, 1 + (size_t)n + content);
	ck_assert_uint_eq(a.buf[0], 0x10);
	ck_assert_int_eq(aml_encode_pkglen(content, want), n);
	ck_assert_mem_eq(a.buf + 1, want, (size_t)n);
	ck_assert_uint_eq(a.buf[1 + n], 0x5c);
	ck_assert_uint_eq(a.buf[2 + n], 0x00);
}

START_TEST(test_writer_uses_every_form)
{
	check_scope_of(10, 1);
	check_scope_of(62, 1);
	check_scope_of(63, 2);
	check_scope_of(4094, 3);
	check_scope_of((1u << 20) - 3, 4);
}
END_TEST

START_TEST(test_names)
{
	aml_name_string(&a, "\\_SB.PCI0");
	EXPECT(0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
	reset();
	aml_name_string(&a, "GED");
	EXPECT('G', 'E', 'D', '_');
	reset();
	aml_name_string(&a, "^^X1");
	EXPECT(0x5e, 0x5e, 'X', '1', '_', '_');
	reset();
	aml_name_string(&a, "\\A.B.C");
	EXPECT(0x5c, 0x2f, 3, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C',
	       '_', '_', '_');
	reset();
	aml_name_string(&a, "\\");
	EXPECT(0x5c, 0x00);
}
END_TEST

START_TEST(test_bad_names)
{
	static const char *const bad[] = {
		"", "pci0", "TOOLONG", "1ABC", "A..B", "A.", ".A", "\\^A",
		"A-B", "\\_SB.PCI0.",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset();
		aml_name_string(&a, bad[i]);
		ck_assert_msg(aml_error(&a) == -EINVAL, "\"%s\" accepted",
			      bad[i]);
		ck_assert_uint_eq(a.len, 0);
	}
}
END_TEST

START_TEST(test_integers)
{
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, 2);
	aml_integer(&a, 0xff);
	aml_integer(&a, 0x100);
	aml_integer(&a, 0x10000);
	aml_integer(&a, 0x100000000ULL);
	EXPECT(0x00, 0x01, 0x0a, 0x02, 0x0a, 0xff, 0x0b, 0x00, 0x01, 0x0c,
	       0x00, 0x00, 0x01, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x01,
	       0x00, 0x00, 0x00);
}
END_TEST

START_TEST(test_strings_and_eisaid)
{
	aml_string(&a, "ACPI0013");
	aml_eisaid(&a, "PNP0A03");
	aml_eisaid(&a, "PNP0C0C");
	EXPECT(0x0d, 'A', 'C', 'P', 'I', '0', '0', '1', '3', 0x00, 0x0c, 0x41,
	       0xd0, 0x0a, 0x03, 0x0c, 0x41, 0xd0, 0x0c, 0x0c);

	static const char *const bad[] = { "pnp0a03", "PNP0A0", "PNP0G03",
					   "PNP0A030", "P1P0A03" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset();
		aml_eisaid(&a, bad[i]);
		ck_assert_msg(aml_error(&a) == -EINVAL, "\"%s\" accepted",
			      bad[i]);
	}
}
END_TEST

START_TEST(test_package_counts_elements)
{
	/* Name(_S5, Package() { 5, "x", Package() {}, \_SB }) */
	aml_name(&a, "_S5");
	aml_package_begin(&a);
	aml_integer(&a, 5);
	aml_string(&a, "x");
	aml_package_begin(&a);
	aml_end(&a);
	aml_name_string(&a, "\\_SB");
	aml_end(&a);
	EXPECT(0x08, '_', 'S', '5', '_', 0x12, 0x0f, 0x04, 0x0a, 0x05, 0x0d,
	       'x', 0x00, 0x12, 0x02, 0x00, 0x5c, '_', 'S', 'B', '_');
}
END_TEST

START_TEST(test_buffer_size)
{
	aml_buffer_begin(&a);
	aml_bytes(&a, "\x01\x02\x03", 3);
	aml_end(&a);
	/* BufferOp PkgLength(1 + 2 + 3) BytePrefix 3, data */
	EXPECT(0x11, 0x06, 0x0a, 0x03, 0x01, 0x02, 0x03);
}
END_TEST

START_TEST(test_method_if_notify)
{
	aml_method_begin(&a, "_EVT", 1, true);
	aml_if_begin(&a);
	aml_op(&a, AML_OP_LEQUAL);
	aml_op(&a, AML_OP_AND);
	aml_arg(&a, 0);
	aml_integer(&a, 1);
	aml_null_target(&a);
	aml_integer(&a, 1);
	aml_op(&a, AML_OP_NOTIFY);
	aml_name_string(&a, "PWRB");
	aml_integer(&a, 0x80);
	aml_end(&a);
	aml_end(&a);
	EXPECT(0x14, 0x15, '_', 'E', 'V', 'T', 0x09, 0xa0, 0x0e, 0x93, 0x7b,
	       0x68, 0x01, 0x00, 0x01, 0x86, 'P', 'W', 'R', 'B', 0x0a, 0x80);
}
END_TEST

START_TEST(test_region_and_field)
{
	aml_operation_region(&a, "GDST", AML_SPACE_SYSTEM_IO, 0x608, 1);
	aml_field_begin(&a, "GDST", AML_FIELD_BYTE_ACC);
	aml_field_unit(&a, "GSTS", 8);
	aml_field_unit(&a, "WIDE", 0x40);
	aml_end(&a);
	EXPECT(0x5b, 0x80, 'G', 'D', 'S', 'T', 0x01, 0x0b, 0x08, 0x06, 0x01,
	       0x5b, 0x81, 0x11, 'G', 'D', 'S', 'T', 0x01, 'G', 'S', 'T',
	       'S', 0x08, 'W', 'I', 'D', 'E', 0x40, 0x04);
	aml_field_begin(&a, "GDST", 0);
	aml_field_unit(&a, "\\X", 8);
	ck_assert_int_eq(aml_error(&a), -EINVAL);
}
END_TEST

START_TEST(test_small_resources)
{
	aml_resources_begin(&a);
	aml_res_io(&a, 0x3f8, 0x3f8, 1, 8);
	aml_res_irq_noflags(&a, 4);
	aml_end(&a);
	EXPECT(0x11, 0x10, 0x0a, 0x0d, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03,
	       0x01, 0x08, 0x22, 0x10, 0x00, 0x79, 0x00);
	aml_res_irq_noflags(&a, 16);
	ck_assert_int_eq(aml_error(&a), -EINVAL);
}
END_TEST

START_TEST(test_large_resources)
{
	aml_res_interrupt(&a, 5, true, false);
	aml_res_interrupt(&a, 0x12345678, false, true);
	aml_res_word_bus(&a, 0, 0xff);
	aml_res_word_io(&a, 0x0d00, 0xffff);
	aml_res_dword_mem(&a, 0xc0000000, 0xfebfffff);
	EXPECT(0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00,
	       /* consumer, level, active-low */
	       0x89, 0x06, 0x00, 0x05, 0x01, 0x78, 0x56, 0x34, 0x12,
	       /* WordBusNumber 0-0xff */
	       0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00,
	       0xff, 0x00, 0x00, 0x00, 0x00, 0x01,
	       /* WordIO 0xd00-0xffff, EntireRange */
	       0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00, 0x0d,
	       0xff, 0xff, 0x00, 0x00, 0x00, 0xf3,
	       /* DWordMemory, ReadWrite, NonCacheable */
	       0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x00, 0x00,
	       0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xbf, 0xfe, 0x00, 0x00,
	       0x00, 0x00, 0x00, 0x00, 0xc0, 0x3e);
	/* Whole 16-bit space: its length does not fit the descriptor. */
	aml_res_word_io(&a, 0, 0xffff);
	ck_assert_int_eq(aml_error(&a), -EINVAL);
}
END_TEST

START_TEST(test_errors_are_sticky)
{
	aml_device_begin(&a, "dev"); /* lowercase: bad name */
	ck_assert_int_eq(aml_error(&a), -EINVAL);
	aml_integer(&a, 7);
	aml_end(&a);
	aml_end(&a);
	ck_assert_int_eq(aml_error(&a), -EINVAL);
}
END_TEST

START_TEST(test_unbalanced)
{
	aml_scope_begin(&a, "\\_SB");
	ck_assert_int_eq(aml_error(&a), -EINVAL); /* still open */
	aml_end(&a);
	ck_assert_int_eq(aml_error(&a), 0);
	aml_end(&a); /* nothing open */
	ck_assert_int_eq(aml_error(&a), -EINVAL);
}
END_TEST

START_TEST(test_depth_limit)
{
	for (unsigned i = 0; i <= AML_MAX_DEPTH; i++)
		aml_if_begin(&a);
	ck_assert_int_eq(aml_error(&a), -E2BIG);
}
END_TEST

START_TEST(test_too_many_elements)
{
	aml_package_begin(&a);
	for (unsigned i = 0; i < 256; i++)
		aml_integer(&a, 0);
	aml_end(&a);
	ck_assert_int_eq(aml_error(&a), -ERANGE);
}
END_TEST

START_TEST(test_bad_args)
{
	aml_method_begin(&a, "M", 8, false);
	ck_assert_int_eq(aml_error(&a), -EINVAL);
	reset();
	aml_local(&a, 8);
	ck_assert_int_eq(aml_error(&a), -EINVAL);
	reset();
	aml_arg(&a, 7);
	ck_assert_int_eq(aml_error(&a), -EINVAL);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("aml");
	TCase *tc = tcase_create("encoding");
	TCase *te = tcase_create("errors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_length_forms);
	tcase_add_test(tc, test_pkglen_counts_itself);
	tcase_add_test(tc, test_writer_uses_every_form);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_integers);
	tcase_add_test(tc, test_strings_and_eisaid);
	tcase_add_test(tc, test_package_counts_elements);
	tcase_add_test(tc, test_buffer_size);
	tcase_add_test(tc, test_method_if_notify);
	tcase_add_test(tc, test_region_and_field);
	tcase_add_test(tc, test_small_resources);
	tcase_add_test(tc, test_large_resources);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_test(te, test_bad_names);
	tcase_add_test(te, test_errors_are_sticky);
	tcase_add_test(te, test_unbalanced);
	tcase_add_test(te, test_depth_limit);
	tcase_add_test(te, test_too_many_elements);
	tcase_add_test(te, test_bad_args);
	suite_add_tcase(s, te);
	return s;
}
