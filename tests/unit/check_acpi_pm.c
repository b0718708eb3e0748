// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ACPI power-management ports (hypervisor/acpi_pm.c): S5 powers off,
 * other sleep types and writes without SLP_EN do not, the reset register
 * reboots only on its value, the GED status latches a power-button press
 * until read, and save/restore refuses bad state. No /dev/kvm needed.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "acpi_pm.h"
#include "device.h"
#include "fake_vm.h"
#include "runner.h"
#include "vm.h"

static struct vm *vm;
static struct device *pm;

static void setup(void)
{
	vm = fake_vm_new();
	ck_assert_int_eq(acpi_pm_new(vm, &pm), 0);
	ck_assert_ptr_nonnull(pm);
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

START_TEST(test_s5_powers_off)
{
	out8(VM_PORT_ACPI_SLEEP_CTL, VM_ACPI_S5_TYPE << 2); /* no SLP_EN */
	ck_assert_int_eq(atomic_load(&vm->exit_reason), VM_EXIT_NONE);
	out8(VM_PORT_ACPI_SLEEP_CTL, (3 << 2) | 0x20); /* S3: refused */
	ck_assert_int_eq(atomic_load(&vm->exit_reason), VM_EXIT_NONE);
	out8(VM_PORT_ACPI_SLEEP_CTL, (VM_ACPI_S5_TYPE << 2) | 0x20);
	ck_assert_int_eq(atomic_load(&vm->exit_reason), VM_EXIT_POWEROFF);
}
END_TEST

START_TEST(test_reset_register)
{
	out8(VM_PORT_ACPI_RESET, 0x02);
	ck_assert_int_eq(atomic_load(&vm->exit_reason), VM_EXIT_NONE);
	out8(VM_PORT_ACPI_RESET, VM_ACPI_RESET_VALUE);
	ck_assert_int_eq(atomic_load(&vm->exit_reason), VM_EXIT_REBOOT);
}
END_TEST

START_TEST(test_power_button_latches_until_read)
{
	ck_assert_uint_eq(in8(VM_PORT_ACPI_GED), 0);
	ck_assert_int_eq(acpi_pm_power_button(pm), 0);
	ck_assert_uint_eq(in8(VM_PORT_ACPI_GED), 1);
	ck_assert_uint_eq(in8(VM_PORT_ACPI_GED), 0);
	ck_assert_uint_eq(in8(VM_PORT_ACPI_SLEEP_STS), 0);
}
END_TEST

START_TEST(test_save_restore)
{
	struct json_object *state, *bad;

	acpi_pm_power_button(pm);
	ck_assert_int_eq(pm->ops->save(pm, &state), 0);
	pm->ops->reset(pm);
	ck_assert_uint_eq(in8(VM_PORT_ACPI_GED), 0);
	ck_assert_int_eq(pm->ops->restore(pm, state), 0);
	ck_assert_uint_eq(in8(VM_PORT_ACPI_GED), 1);
	json_object_put(state);

	bad = json_tokener_parse("{\"ged_status\": 255}");
	ck_assert_int_eq(pm->ops->restore(pm, bad), -EINVAL);
	json_object_put(bad);
	bad = json_tokener_parse("[1]");
	ck_assert_int_eq(pm->ops->restore(pm, bad), -EINVAL);
	json_object_put(bad);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("acpi_pm");
	TCase *tc = tcase_create("ports");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_s5_powers_off);
	tcase_add_test(tc, test_reset_register);
	tcase_add_test(tc, test_power_button_latches_until_read);
	tcase_add_test(tc, test_save_restore);
	suite_add_tcase(s, tc);
	return s;
}
