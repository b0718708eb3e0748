// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ACPI power-management ports (hypervisor/acpi_pm.c): S5 powers off,
 * other sleep types and writes without SLP_EN do not, the reset register
 * reboots only on its value, the GED status latches a power-button press
 * until read, and save/restore refuses bad state. CPU hot-plug: the
 * per-CPU bytes follow vcpu-set's requests, the guest clears pending
 * bits and ejects, CPU 0 cannot be ejected, and the state survives
 * save/restore. PCI hot-plug: UP latches a plug until read, DOWN holds a
 * removal until the guest ejects, only a requested eject reaches the
 * handler, slot 0 is never hot-pluggable, and the bits survive
 * save/restore. No /dev/kvm needed.
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
	/* maxvcpus 4, vcpus 2 */
	vm->nr_vcpus = 4;
	vm->nr_boot_vcpus = 2;
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

static uint8_t cpu_byte(unsigned cpu)
{
	return in8((uint16_t)(VM_PORT_CPU_HOTPLUG + cpu));
}

static void cpu_counts(unsigned online, unsigned target)
{
	unsigned o, t, max;

	acpi_pm_cpu_count(pm, &o, &t, &max);
	ck_assert_uint_eq(o, online);
	ck_assert_uint_eq(t, target);
	ck_assert_uint_eq(max, 4);
}

START_TEST(test_cpu_hotplug)
{
	/* Boot: CPUs 0 and 1 present, nothing pending. */
	ck_assert_uint_eq(cpu_byte(0), ACPI_CPU_PRESENT);
	ck_assert_uint_eq(cpu_byte(1), ACPI_CPU_PRESENT);
	ck_assert_uint_eq(cpu_byte(2), 0);
	ck_assert_uint_eq(cpu_byte(3), 0);
	cpu_counts(2, 2);

	/* Plug two: present at once, insert pending, the GED says so. */
	ck_assert_int_eq(acpi_pm_cpu_set(pm, 4), 0);
	cpu_counts(4, 4);
	ck_assert_uint_eq(in8(VM_PORT_ACPI_GED), ACPI_GED_CPU_HOTPLUG);
	ck_assert_uint_eq(cpu_byte(1), ACPI_CPU_PRESENT);
	ck_assert_uint_eq(cpu_byte(2), ACPI_CPU_PRESENT | ACPI_CPU_INSERT);
	ck_assert_uint_eq(cpu_byte(3), ACPI_CPU_PRESENT | ACPI_CPU_INSERT);
	/* The guest's scan clears each pending bit with a 1. */
	out8(VM_PORT_CPU_HOTPLUG + 2, ACPI_CPU_INSERT);
	ck_assert_uint_eq(cpu_byte(2), ACPI_CPU_PRESENT);
	ck_assert_uint_eq(cpu_byte(3), ACPI_CPU_PRESENT | ACPI_CPU_INSERT);
	out8(VM_PORT_CPU_HOTPLUG + 3, ACPI_CPU_INSERT);

	/* Unplug to one: eject requests, CPUs stay until ejected. */
	ck_assert_int_eq(acpi_pm_cpu_set(pm, 1), 0);
	ck_assert_uint_eq(in8(VM_PORT_ACPI_GED), ACPI_GED_CPU_HOTPLUG);
	cpu_counts(4, 1);
	ck_assert_uint_eq(cpu_byte(0), ACPI_CPU_PRESENT);
	for (unsigned i = 1; i < 4; i++)
		ck_assert_uint_eq(cpu_byte(i),
				  ACPI_CPU_PRESENT | ACPI_CPU_REMOVE);
	/* The guest ejects 3 and 2 (its _EJ0 after offlining them). */
	out8(VM_PORT_CPU_HOTPLUG + 3, ACPI_CPU_REMOVE);
	out8(VM_PORT_CPU_HOTPLUG + 3, ACPI_CPU_EJECT);
	out8(VM_PORT_CPU_HOTPLUG + 2, ACPI_CPU_EJECT);
	ck_assert_uint_eq(cpu_byte(3), 0);
	ck_assert_uint_eq(cpu_byte(2), 0);
	cpu_counts(2, 1);
	/* CPU 0 cannot be ejected, whatever the guest writes. */
	out8(VM_PORT_CPU_HOTPLUG, ACPI_CPU_EJECT);
	ck_assert_uint_eq(cpu_byte(0), ACPI_CPU_PRESENT);

	/* Asking for CPU 1 again cancels its pending removal, no event. */
	ck_assert_int_eq(acpi_pm_cpu_set(pm, 2), 0);
	ck_assert_uint_eq(cpu_byte(1), ACPI_CPU_PRESENT);
	ck_assert_uint_eq(in8(VM_PORT_ACPI_GED), 0);
	cpu_counts(2, 2);
	/* Asking for what is there changes nothing and raises nothing. */
	ck_assert_int_eq(acpi_pm_cpu_set(pm, 2), 0);
	ck_assert_uint_eq(in8(VM_PORT_ACPI_GED), 0);

	/* Out of range: refused, nothing changes. */
	ck_assert_int_eq(acpi_pm_cpu_set(pm, 0), -EINVAL);
	ck_assert_int_eq(acpi_pm_cpu_set(pm, 5), -EINVAL);
	cpu_counts(2, 2);
	ck_assert_uint_eq(in8(VM_PORT_ACPI_GED), 0);
}
END_TEST

START_TEST(test_cpu_hotplug_save_restore)
{
	struct json_object *state, *bad;

	acpi_pm_cpu_set(pm, 3);
	ck_assert_int_eq(pm->ops->save(pm, &state), 0);
	acpi_pm_cpu_set(pm, 1);
	out8(VM_PORT_CPU_HOTPLUG + 1, ACPI_CPU_EJECT);
	out8(VM_PORT_CPU_HOTPLUG + 2, ACPI_CPU_EJECT);
	cpu_counts(1, 1);
	ck_assert_int_eq(pm->ops->restore(pm, state), 0);
	cpu_counts(3, 3);
	ck_assert_uint_eq(cpu_byte(2), ACPI_CPU_PRESENT | ACPI_CPU_INSERT);
	json_object_put(state);

	/* A CPU the VM lacks, no boot CPU, a bad target: refused. */
	bad = json_tokener_parse("{\"ged_status\": 0, \"cpu_present\": 17}");
	ck_assert_int_eq(pm->ops->restore(pm, bad), -EINVAL);
	json_object_put(bad);
	bad = json_tokener_parse("{\"ged_status\": 0, \"cpu_present\": 2}");
	ck_assert_int_eq(pm->ops->restore(pm, bad), -EINVAL);
	json_object_put(bad);
	bad = json_tokener_parse("{\"ged_status\": 0, \"cpu_target\": 5}");
	ck_assert_int_eq(pm->ops->restore(pm, bad), -EINVAL);
	json_object_put(bad);
	cpu_counts(3, 3);
}
END_TEST

static uint32_t in32(uint16_t port)
{
	return fake_vm_in(vm, port, 4);
}

static void out32(uint16_t port, uint32_t v)
{
	fake_vm_out(vm, port, v, 4);
}

#define PCIU (VM_PORT_PCI_HOTPLUG + ACPI_PCIHP_UP)
#define PCID (VM_PORT_PCI_HOTPLUG + ACPI_PCIHP_DOWN)
#define B0EJ (VM_PORT_PCI_HOTPLUG + ACPI_PCIHP_EJECT)

/* What the eject handler heard: a bit per slot, and how often. */
static uint32_t ejected;
static unsigned nr_ejects;

static void on_eject(void *opaque, unsigned slot)
{
	ck_assert_ptr_eq(opaque, &ejected);
	ejected |= 1u << slot;
	nr_ejects++;
}

START_TEST(test_pci_hotplug)
{
	ejected = 0;
	nr_ejects = 0;
	acpi_pm_pci_set_eject(pm, on_eject, &ejected);
	ck_assert_uint_eq(in32(PCIU), 0);
	ck_assert_uint_eq(in32(PCID), 0);

	/* A plug: the GED's PCI bit, and UP until the guest reads it. */
	ck_assert_int_eq(acpi_pm_pci_plug(pm, 3), 0);
	ck_assert_uint_eq(in8(VM_PORT_ACPI_GED), ACPI_GED_PCI_HOTPLUG);
	ck_assert_uint_eq(in32(PCIU), 1u << 3);
	ck_assert_uint_eq(in32(PCIU), 0);
	ck_assert_uint_eq(in32(PCID), 0);

	/* A removal: DOWN until the eject, which only it lets through. */
	ck_assert_int_eq(acpi_pm_pci_unplug(pm, 3), 0);
	ck_assert_uint_eq(in8(VM_PORT_ACPI_GED), ACPI_GED_PCI_HOTPLUG);
	ck_assert_uint_eq(in32(PCID), 1u << 3);
	ck_assert_uint_eq(in32(PCID), 1u << 3);
	ck_assert_uint_eq(acpi_pm_pci_pending(pm), 1u << 3);
	out32(B0EJ, 1u << 5); /* not asked for: ignored */
	ck_assert_uint_eq(nr_ejects, 0);
	out8(B0EJ, 0xff); /* not a dword: ignored */
	ck_assert_uint_eq(nr_ejects, 0);
	out32(B0EJ, (1u << 3) | (1u << 5));
	ck_assert_uint_eq(ejected, 1u << 3);
	ck_assert_uint_eq(nr_ejects, 1);
	ck_assert_uint_eq(in32(PCID), 0);
	/* Twice is once. */
	out32(B0EJ, 1u << 3);
	ck_assert_uint_eq(nr_ejects, 1);

	/* Plugging a slot whose removal waits cancels the removal. */
	ck_assert_int_eq(acpi_pm_pci_unplug(pm, 4), 0);
	ck_assert_int_eq(acpi_pm_pci_plug(pm, 4), 0);
	ck_assert_uint_eq(in32(PCID), 0);
	ck_assert_uint_eq(in32(PCIU), 1u << 4);

	/* The host bridge's slot and slots past 31: refused, no event. */
	in8(VM_PORT_ACPI_GED);
	ck_assert_int_eq(acpi_pm_pci_plug(pm, 0), -EINVAL);
	ck_assert_int_eq(acpi_pm_pci_unplug(pm, 0), -EINVAL);
	ck_assert_int_eq(acpi_pm_pci_plug(pm, 32), -EINVAL);
	ck_assert_uint_eq(in8(VM_PORT_ACPI_GED), 0);
	ck_assert_uint_eq(in32(PCIU), 0);

	/* Without a handler the eject still clears DOWN. */
	acpi_pm_pci_set_eject(pm, NULL, NULL);
	ck_assert_int_eq(acpi_pm_pci_unplug(pm, 7), 0);
	out32(B0EJ, 1u << 7);
	ck_assert_uint_eq(in32(PCID), 0);
	ck_assert_uint_eq(nr_ejects, 1);
}
END_TEST

START_TEST(test_pci_hotplug_save_restore)
{
	struct json_object *state, *bad;

	ck_assert_int_eq(acpi_pm_pci_plug(pm, 2), 0);
	ck_assert_int_eq(acpi_pm_pci_unplug(pm, 9), 0);
	ck_assert_int_eq(pm->ops->save(pm, &state), 0);
	in8(VM_PORT_ACPI_GED);
	in32(PCIU);
	out32(B0EJ, 1u << 9);
	ck_assert_uint_eq(in32(PCID), 0);
	ck_assert_int_eq(pm->ops->restore(pm, state), 0);
	ck_assert_uint_eq(in8(VM_PORT_ACPI_GED), ACPI_GED_PCI_HOTPLUG);
	ck_assert_uint_eq(in32(PCIU), 1u << 2);
	ck_assert_uint_eq(in32(PCID), 1u << 9);
	json_object_put(state);

	/* Slot 0, more than 32 bits, a negative or non-integer mask. */
	bad = json_tokener_parse("{\"ged_status\": 0, \"pci_up\": 1}");
	ck_assert_int_eq(pm->ops->restore(pm, bad), -EINVAL);
	json_object_put(bad);
	bad = json_tokener_parse(
		"{\"ged_status\": 0, \"pci_down\": 8589934592}");
	ck_assert_int_eq(pm->ops->restore(pm, bad), -EINVAL);
	json_object_put(bad);
	bad = json_tokener_parse("{\"ged_status\": 0, \"pci_up\": -2}");
	ck_assert_int_eq(pm->ops->restore(pm, bad), -EINVAL);
	json_object_put(bad);
	bad = json_tokener_parse("{\"ged_status\": 0, \"pci_up\": \"4\"}");
	ck_assert_int_eq(pm->ops->restore(pm, bad), -EINVAL);
	json_object_put(bad);
	/* Nothing of the refused states was taken. */
	ck_assert_uint_eq(in32(PCID), 1u << 9);
	/* A state saved before PCI hot-plug existed: the bits stay. */
	bad = json_tokener_parse("{\"ged_status\": 0}");
	ck_assert_int_eq(pm->ops->restore(pm, bad), 0);
	json_object_put(bad);
	ck_assert_uint_eq(in32(PCID), 1u << 9);
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
	tcase_add_test(tc, test_cpu_hotplug);
	tcase_add_test(tc, test_cpu_hotplug_save_restore);
	tcase_add_test(tc, test_pci_hotplug);
	tcase_add_test(tc, test_pci_hotplug_save_restore);
	suite_add_tcase(s, tc);
	return s;
}
