// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live migration's arithmetic without KVM (hypervisor/dirty.c,
 * hypervisor/migrate_precopy.c): the dirty bitmaps' merge and runs,
 * vm_mark_dirty() on a struct vm with RAM but no KVM, the bandwidth
 * pacing, the expected downtime and auto-converge's throttle steps.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dirty.h"
#include "migrate_send.h"
#include "runner.h"
#include "vcpu.h"
#include "vm.h"

START_TEST(test_merge_takes_own_bits)
{
	uint64_t dst[3] = { 0x1, 0, 0 }, kvm[3] = { 0x2, 0, 1ULL << 63 };
	_Atomic uint64_t own[3];

	atomic_init(&own[0], 0x4);
	atomic_init(&own[1], 0xf0);
	atomic_init(&own[2], 0);
	ck_assert_uint_eq(dirty_merge(dst, kvm, own, 3), 3 + 4 + 1);
	ck_assert_uint_eq(dst[0], 0x7);
	ck_assert_uint_eq(dst[1], 0xf0);
	ck_assert_uint_eq(dst[2], 1ULL << 63);
	/* Taken: the next merge sees none of them again. */
	ck_assert_uint_eq(atomic_load(&own[0]), 0);
	ck_assert_uint_eq(atomic_load(&own[1]), 0);
	memset(dst, 0, sizeof(dst));
	ck_assert_uint_eq(dirty_merge(dst, NULL, own, 3), 0);
}
END_TEST

START_TEST(test_runs)
{
	uint64_t bits[3] = { 0 }, start = 0;

	/* Bits 3-5, 62-70 (across a word) and the last, 191. */
	bits[0] = 0x38 | (3ULL << 62);
	bits[1] = 0x7f;
	bits[2] = 1ULL << 63;
	ck_assert_uint_eq(dirty_next_run(bits, 192, 0, 256, &start), 3);
	ck_assert_uint_eq(start, 3);
	ck_assert_uint_eq(dirty_next_run(bits, 192, 6, 256, &start), 9);
	ck_assert_uint_eq(start, 62);
	/* At most @max pages a run. */
	ck_assert_uint_eq(dirty_next_run(bits, 192, 6, 4, &start), 4);
	ck_assert_uint_eq(dirty_next_run(bits, 192, 71, 256, &start), 1);
	ck_assert_uint_eq(start, 191);
	/* Bits past @nbits do not count. */
	ck_assert_uint_eq(dirty_next_run(bits, 191, 71, 256, &start), 0);
	dirty_clear_bits(bits, 62, 9);
	ck_assert_uint_eq(bits[0], 0x38);
	ck_assert_uint_eq(bits[1], 0);
}
END_TEST

/* A struct vm with two RAM ranges and no KVM: what vm_mark_dirty() reads. */
static struct vm *ram_vm(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	ck_assert_ptr_nonnull(vm);
	vm->nr_ram = 2;
	vm->ram[0].gpa = 0;
	vm->ram[0].size = 128 * 4096;
	vm->ram[1].gpa = VM_HIGH_RAM_START;
	vm->ram[1].size = 64 * 4096;
	for (unsigned i = 0; i < 2; i++)
		vm->dirty_own[i] = calloc(dirty_words(vm->ram[i].size / 4096),
					  8);
	return vm;
}

static void ram_vm_free(struct vm *vm)
{
	for (unsigned i = 0; i < 2; i++)
		free((void *)vm->dirty_own[i]);
	free(vm);
}

START_TEST(test_mark_dirty)
{
	struct vm *vm = ram_vm();

	/* No migration: nothing recorded. */
	vm_mark_dirty(vm, 0, 4096);
	ck_assert_uint_eq(atomic_load(&vm->dirty_own[0][0]), 0);
	atomic_store(&vm->dirty_on, true);
	/* Two bytes across pages 1 and 2. */
	vm_mark_dirty(vm, 2 * 4096 - 1, 2);
	ck_assert_uint_eq(atomic_load(&vm->dirty_own[0][0]), 0x6);
	/* Past the low range's end: clipped; into the high range. */
	vm_mark_dirty(vm, 127 * 4096, 8192);
	ck_assert_uint_eq(atomic_load(&vm->dirty_own[0][1]), 1ULL << 63);
	vm_mark_dirty(vm, VM_HIGH_RAM_START + 63 * 4096 + 5, 1);
	ck_assert_uint_eq(atomic_load(&vm->dirty_own[1][0]), 1ULL << 63);
	/* A hostile length that wraps, and nothing at all: no crash. */
	vm_mark_dirty(vm, UINT64_MAX - 10, 100);
	vm_mark_dirty(vm, 4096, 0);
	ck_assert_uint_eq(atomic_load(&vm->dirty_own[0][0]), 0x6);
	ram_vm_free(vm);
}
END_TEST

START_TEST(test_pace)
{
	/* No limit: never wait. */
	ck_assert_uint_eq(migrate_pace_delay_us(1ULL << 40, 0, 0), 0);
	/* 1 MiB at 1 MiB/s is due at 1 s. */
	ck_assert_uint_eq(migrate_pace_delay_us(1 << 20, 250000, 1 << 20),
			  750000);
	ck_assert_uint_eq(migrate_pace_delay_us(1 << 20, 1000000, 1 << 20),
			  0);
	ck_assert_uint_eq(migrate_pace_delay_us(1 << 20, 2000000, 1 << 20),
			  0);
	/* 1 TiB at 1 byte/s does not overflow. */
	ck_assert_uint_eq(migrate_pace_delay_us(1ULL << 40, 0, 1),
			  (1ULL << 40) * 1000000);
}
END_TEST

START_TEST(test_expected)
{
	ck_assert_uint_eq(migrate_expected_ms(0, 0), 0);
	ck_assert_uint_eq(migrate_expected_ms(4096, 0), UINT64_MAX);
	ck_assert_uint_eq(migrate_expected_ms(100 << 20, 1000 << 20), 100);
}
END_TEST

START_TEST(test_converge)
{
	unsigned misses = 0, t = 0;

	/* Shrinking by a quarter or more: no throttle. */
	t = migrate_converge(100, 75, &misses, t);
	ck_assert_uint_eq(t, 0);
	ck_assert_uint_eq(misses, 0);
	/* One miss is not enough; two in a row are: 20 %. */
	t = migrate_converge(100, 80, &misses, t);
	ck_assert_uint_eq(t, 0);
	t = migrate_converge(80, 79, &misses, t);
	ck_assert_uint_eq(t, 20);
	/* Then 10 % more a miss, up to the cap. */
	t = migrate_converge(79, 90, &misses, t);
	ck_assert_uint_eq(t, 30);
	for (int i = 0; i < 20; i++)
		t = migrate_converge(90, 90, &misses, t);
	ck_assert_uint_eq(t, VCPU_THROTTLE_MAX);
	/* A pass that shrinks keeps the throttle and resets the count. */
	t = migrate_converge(90, 10, &misses, t);
	ck_assert_uint_eq(t, VCPU_THROTTLE_MAX);
	ck_assert_uint_eq(misses, 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("migrate");
	TCase *tc = tcase_create("arithmetic");

	tcase_add_test(tc, test_merge_takes_own_bits);
	tcase_add_test(tc, test_runs);
	tcase_add_test(tc, test_mark_dirty);
	tcase_add_test(tc, test_pace);
	tcase_add_test(tc, test_expected);
	tcase_add_test(tc, test_converge);
	suite_add_tcase(s, tc);
	return s;
}
