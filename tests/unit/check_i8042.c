// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The keyboard controller (hypervisor/i8042.c): the probe sequence Linux
 * runs, "nobody there" answers for the ports, the reset pulse, and
 * save/restore. No /dev/kvm needed.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "device.h"
#include "fake_vm.h"
#include "i8042.h"
#include "runner.h"
#include "vm.h"

#define DATA 0x60
#define CMD 0x64

#define STR_OBF 0x01
#define STR_SYS 0x04
#define STR_TIMEOUT 0x40

static struct vm *vm;
static struct device *kbc;

static void setup(void)
{
	vm = fake_vm_new();
	ck_assert_int_eq(i8042_new(vm, &kbc), 0);
}

static void teardown(void)
{
	fake_vm_free(vm);
}

static uint8_t in8(uint16_t port)
{
	return (uint8_t)fake_vm_in(vm, port, 1);
}

static void out8(uint16_t port, uint8_t v)
{
	fake_vm_out(vm, port, v, 1);
}

/* A controller command with one response byte, as i8042_command() does. */
static uint8_t command(uint8_t cmd)
{
	out8(CMD, cmd);
	ck_assert_uint_eq(in8(CMD) & STR_OBF, STR_OBF);
	return in8(DATA);
}

START_TEST(test_probe_sequence)
{
	uint8_t status = in8(CMD);

	ck_assert_uint_ne(status, 0xff); /* a controller is there */
	ck_assert_uint_eq(status & STR_OBF, 0);
	ck_assert_uint_eq(status & STR_SYS, STR_SYS);
	ck_assert_uint_eq(command(0xaa), 0x55); /* self test */
	ck_assert_uint_eq(in8(CMD) & STR_OBF, 0); /* read emptied it */
	ck_assert_uint_eq(command(0x20), 0x45); /* command byte */
	out8(CMD, 0x60);
	out8(DATA, 0x74);
	ck_assert_uint_eq(command(0x20), 0x74);
	ck_assert_uint_eq(command(0xab), 0x00); /* keyboard port test */
	ck_assert_uint_eq(command(0xa9), 0x01); /* no mouse: clock stuck */
	out8(CMD, 0xa8);
	ck_assert_uint_eq(command(0x20) & 0x20, 0);
	out8(CMD, 0xa7);
	ck_assert_uint_eq(command(0x20) & 0x20, 0x20);
	ck_assert_int_eq(atomic_load(&vm->exit_reason), VM_EXIT_NONE);
}
END_TEST

START_TEST(test_no_keyboard)
{
	/* a byte for the keyboard, or AUX_LOOP's data: nobody answers */
	out8(DATA, 0xf2);
	ck_assert_uint_eq(in8(CMD) & (STR_OBF | STR_TIMEOUT),
			  STR_OBF | STR_TIMEOUT);
	ck_assert_uint_eq(in8(DATA), 0xff);
	ck_assert_uint_eq(in8(CMD) & (STR_OBF | STR_TIMEOUT), 0);
	out8(CMD, 0xd3);
	out8(DATA, 0x5a);
	ck_assert_uint_ne(in8(DATA), 0x5a);
	/* KBD_LOOP echoes */
	out8(CMD, 0xd2);
	out8(DATA, 0x33);
	ck_assert_uint_eq(in8(DATA), 0x33);
}
END_TEST

START_TEST(test_reset_pulse)
{
	out8(CMD, 0xff); /* pulse with bit 0 set: no reset line */
	ck_assert_int_eq(atomic_load(&vm->exit_reason), VM_EXIT_NONE);
	out8(CMD, 0xfe);
	ck_assert_int_eq(atomic_load(&vm->exit_reason), VM_EXIT_REBOOT);
}
END_TEST

START_TEST(test_reset_through_output_port)
{
	out8(CMD, 0xd1);
	out8(DATA, 0x03); /* reset line high: nothing */
	ck_assert_int_eq(atomic_load(&vm->exit_reason), VM_EXIT_NONE);
	ck_assert_uint_eq(command(0xd0), 0x03);
	out8(CMD, 0xd1);
	out8(DATA, 0x02);
	ck_assert_int_eq(atomic_load(&vm->exit_reason), VM_EXIT_REBOOT);
}
END_TEST

START_TEST(test_save_restore)
{
	struct json_object *st, *bad;

	out8(CMD, 0x60); /* a command waiting for its data byte */
	ck_assert_int_eq(kbc->ops->save(kbc, &st), 0);
	kbc->ops->reset(kbc);
	ck_assert_int_eq(kbc->ops->restore(kbc, st), 0);
	out8(DATA, 0x11); /* completes the restored command */
	ck_assert_uint_eq(command(0x20), 0x11);

	json_object_object_add(st, "status", json_object_new_int(0x80));
	ck_assert_int_eq(kbc->ops->restore(kbc, st), -EINVAL);
	json_object_object_add(st, "status", json_object_new_int(0));
	json_object_object_add(st, "ctr", json_object_new_int(300));
	ck_assert_int_eq(kbc->ops->restore(kbc, st), -EINVAL);
	json_object_object_del(st, "ctr");
	ck_assert_int_eq(kbc->ops->restore(kbc, st), -EINVAL);
	bad = json_object_new_array();
	ck_assert_int_eq(kbc->ops->restore(kbc, bad), -EINVAL);
	ck_assert_uint_eq(command(0x20), 0x11); /* unchanged */
	json_object_put(bad);
	json_object_put(st);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("i8042");
	TCase *tc = tcase_create("controller");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_probe_sequence);
	tcase_add_test(tc, test_no_keyboard);
	tcase_add_test(tc, test_reset_pulse);
	tcase_add_test(tc, test_reset_through_output_port);
	tcase_add_test(tc, test_save_restore);
	suite_add_tcase(s, tc);
	return s;
}
