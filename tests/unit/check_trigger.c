// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What acts inside a guest from outside, without /dev/kvm: the break
 * that carries a serial SysRq (ns8250_input_break(), trigger_sysrq()),
 * the pvpanic port, a vCPU's core notes byte by byte, and core files of
 * a fake VM's RAM read back.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"
#include "dump_core.h"
#include "fake_vm.h"
#include "ns8250.h"
#include "pvpanic.h"
#include "runner.h"
#include "trigger.h"
#include "vm.h"
#include "x86/core_note.h"

#define COM1 0x3f8
enum { RBR = 0, FCR = 2, MCR = 4, LSR = 5 };
#define LSR_DR 0x01
#define LSR_BI 0x10

static struct vm *vm;
static struct device *uart;

static void setup(void)
{
	vm = fake_vm_new();
	ck_assert_int_eq(ns8250_new(vm, "serial0", COM1, 4, NULL, &uart), 0);
}

static void teardown(void)
{
	fake_vm_free(vm);
}

static uint8_t in8(unsigned reg)
{
	return (uint8_t)fake_vm_in(vm, (uint16_t)(COM1 + reg), 1);
}

static void out8(unsigned reg, uint8_t v)
{
	fake_vm_out(vm, (uint16_t)(COM1 + reg), v, 1);
}

/* As Linux's 8250 driver reads: LSR, then RBR, while DR is set. */
START_TEST(test_break_then_key)
{
	uint8_t lsr;

	out8(FCR, 0xc7);
	ck_assert_int_eq(ns8250_input_break(uart, 'h'), 0);
	lsr = in8(LSR);
	ck_assert_uint_eq(lsr & (LSR_DR | LSR_BI), LSR_DR | LSR_BI);
	ck_assert_uint_eq(in8(RBR), 0);
	lsr = in8(LSR);
	ck_assert_uint_eq(lsr & (LSR_DR | LSR_BI), LSR_DR);
	ck_assert_uint_eq(in8(RBR), 'h');
	ck_assert_uint_eq(in8(LSR) & (LSR_DR | LSR_BI), 0);
}
END_TEST

/* A break and its key go in together or not at all. */
START_TEST(test_break_needs_room)
{
	uint8_t fill[15];

	/* Without the FIFO the receiver holds one byte. */
	ck_assert_int_eq(ns8250_input_break(uart, 'h'), -EAGAIN);
	ck_assert_uint_eq(in8(LSR) & LSR_DR, 0);
	out8(FCR, 0xc7);
	memset(fill, 'x', sizeof(fill));
	ck_assert_uint_eq(ns8250_input(uart, fill, sizeof(fill)), 15);
	ck_assert_int_eq(ns8250_input_break(uart, 'h'), -EAGAIN);
	for (unsigned i = 0; i < 15; i++)
		ck_assert_uint_eq(in8(RBR), 'x');
	ck_assert_uint_eq(in8(LSR) & LSR_DR, 0);
	out8(MCR, 0x10); /* loopback: the line is cut off */
	ck_assert_int_eq(ns8250_input_break(uart, 'h'), -EIO);
}
END_TEST

/* A break waiting in the FIFO is state that save/restore carries. */
START_TEST(test_break_save_restore)
{
	struct json_object *st, *v;
	struct device *other;

	out8(FCR, 0xc7);
	ck_assert_uint_eq(ns8250_input(uart, (const uint8_t *)"a", 1), 1);
	ck_assert_int_eq(ns8250_input_break(uart, 's'), 0);
	ck_assert_int_eq(uart->ops->save(uart, &st), 0);
	ck_assert(json_object_object_get_ex(st, "rx_break", &v));
	ck_assert_int_eq(json_object_get_int(v), 2);
	ck_assert_int_eq(ns8250_new(vm, "serial1", 0x2f8, 3, NULL, &other),
			 0);
	ck_assert_int_eq(other->ops->restore(other, st), 0);
	ck_assert_uint_eq(fake_vm_in(vm, 0x2f8 + LSR, 1) & LSR_BI, 0);
	ck_assert_uint_eq(fake_vm_in(vm, 0x2f8 + RBR, 1), 'a');
	ck_assert_uint_eq(fake_vm_in(vm, 0x2f8 + LSR, 1) & LSR_BI, LSR_BI);
	/* A break flag on a byte the FIFO does not hold is refused. */
	json_object_object_add(st, "rx_break", json_object_new_int(8));
	ck_assert_int_eq(other->ops->restore(other, st), -EINVAL);
	json_object_object_add(st, "rx_break", json_object_new_string("1"));
	ck_assert_int_eq(other->ops->restore(other, st), -EINVAL);
	/* A state from before breaks existed has none. */
	json_object_object_del(st, "rx_break");
	ck_assert_int_eq(other->ops->restore(other, st), 0);
	json_object_put(st);
}
END_TEST

START_TEST(test_sysrq_keys)
{
	struct vm *bare = fake_vm_new();

	out8(FCR, 0xc7);
	ck_assert(trigger_sysrq_key_valid('0'));
	ck_assert(trigger_sysrq_key_valid('z'));
	ck_assert(!trigger_sysrq_key_valid('H'));
	ck_assert(!trigger_sysrq_key_valid(' '));
	ck_assert_int_eq(trigger_sysrq(vm, 'H'), -EINVAL);
	ck_assert_uint_eq(in8(LSR) & LSR_DR, 0);
	ck_assert_int_eq(trigger_sysrq(vm, 'w'), 0);
	ck_assert_uint_eq(in8(LSR) & LSR_BI, LSR_BI);
	ck_assert_int_eq(trigger_sysrq(bare, 'w'), -ENODEV);
	fake_vm_free(bare);
}
END_TEST

START_TEST(test_pvpanic)
{
	struct device *dev;
	struct json_object *st = json_object_new_object(), *v;

	ck_assert_int_eq(pvpanic_add(vm, NULL), 0);
	dev = vm_find_device(vm, "pvpanic");
	ck_assert_ptr_nonnull(dev);
	/* The guest's driver reads which events the device knows. */
	ck_assert_uint_eq(fake_vm_in(vm, VM_PORT_PVPANIC, 1),
			  PVPANIC_PANICKED | PVPANIC_CRASH_LOADED);
	fake_vm_out(vm, VM_PORT_PVPANIC, PVPANIC_CRASH_LOADED, 1);
	ck_assert_int_eq(atomic_load(&vm->exit_reason), VM_EXIT_NONE);
	ck_assert(!pvpanic_panicked(dev));
	fake_vm_out(vm, VM_PORT_PVPANIC, PVPANIC_PANICKED, 1);
	ck_assert_int_eq(atomic_load(&vm->exit_reason), VM_EXIT_CRASH);
	ck_assert(pvpanic_panicked(dev));
	dev->ops->stats(dev, st);
	ck_assert(json_object_object_get_ex(st, "panics", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	ck_assert(json_object_object_get_ex(st, "crash_loaded", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	json_object_put(st);
	dev->ops->reset(dev);
	ck_assert(!pvpanic_panicked(dev));
}
END_TEST

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Offsets from Linux's elfcore.h and QEMU's target/i386/arch_dump.c. */
START_TEST(test_core_note_layout)
{
	struct kvm_regs r = { .rax = 0x1111, .rsp = 0x2222, .rip = 0x3333,
			      .r15 = 0x4444, .rflags = 0x246 };
	struct kvm_sregs s = { .cr3 = 0x5555000, .cr0 = 0x80050033 };
	uint8_t buf[CORE_NOTE_VCPU_SIZE];
	const uint8_t *pr = buf + 20, *q = buf + 20 + 336 + 20;

	s.cs.selector = 0x10;
	s.cs.l = 1;
	s.cs.present = 1;
	s.cs.type = 11;
	s.gs.base = 0xffff888000000000ULL;
	core_note_build(2, &r, &s, 0x7777, buf);
	ck_assert_uint_eq(get32(buf), 5);
	ck_assert_uint_eq(get32(buf + 4), CORE_NOTE_PRSTATUS_SIZE);
	ck_assert_uint_eq(get32(buf + 8), 1); /* NT_PRSTATUS */
	ck_assert_str_eq((const char *)buf + 12, "CORE");
	ck_assert_uint_eq(get32(pr + 32), 3); /* pr_pid: vCPU 2 + 1 */
	ck_assert_uint_eq(get64(pr + 112), 0x4444); /* r15 first */
	ck_assert_uint_eq(get64(pr + 112 + 10 * 8), 0x1111); /* rax */
	ck_assert_uint_eq(get64(pr + 112 + 16 * 8), 0x3333); /* rip */
	ck_assert_uint_eq(get64(pr + 112 + 17 * 8), 0x10); /* cs */
	ck_assert_uint_eq(get64(pr + 112 + 19 * 8), 0x2222); /* rsp */
	ck_assert_uint_eq(get64(pr + 112 + 22 * 8), s.gs.base);
	ck_assert_uint_eq(get32(q - 20), 5);
	ck_assert_uint_eq(get32(q - 16), CORE_NOTE_QEMU_SIZE);
	ck_assert_uint_eq(get32(q - 12), 0);
	ck_assert_str_eq((const char *)q - 8, "QEMU");
	ck_assert_uint_eq(get32(q), 1); /* version */
	ck_assert_uint_eq(get32(q + 4), CORE_NOTE_QEMU_SIZE);
	ck_assert_uint_eq(get64(q + 8), 0x1111); /* rax */
	ck_assert_uint_eq(get64(q + 8 + 16 * 8), 0x3333); /* rip */
	/* cs: selector, then flags type 11, P, L */
	ck_assert_uint_eq(get32(q + 152), 0x10);
	ck_assert_uint_eq(get32(q + 152 + 8),
			  11 << 8 | 1 << 15 | 1 << 21);
	ck_assert_uint_eq(get64(q + 152 + 4 * 24 + 16), s.gs.base);
	ck_assert_uint_eq(get64(q + 392), 0x80050033); /* cr0 */
	ck_assert_uint_eq(get64(q + 392 + 3 * 8), 0x5555000); /* cr3 */
	ck_assert_uint_eq(get64(q + 432), 0x7777); /* kernel_gs_base */
	ck_assert_uint_eq(CORE_NOTE_VCPU_SIZE, 20 + 336 + 20 + 480);
}
END_TEST

static char dir[] = "/tmp/check_trigger.XXXXXX";

/* A fake VM with RAM below 1 MiB and a little above 4 GiB. */
static void ram_setup(void)
{
	setup();
	ck_assert_ptr_nonnull(mkdtemp(dir));
	vm->nr_ram = 2;
	vm->ram[0].gpa = 0;
	vm->ram[0].size = 64 * 1024;
	vm->ram[1].gpa = VM_HIGH_RAM_START;
	vm->ram[1].size = 16 * 1024 + 100; /* a part page at the end */
	for (int i = 0; i < 2; i++) {
		vm->ram[i].hva = calloc(1, vm->ram[i].size);
		ck_assert_ptr_nonnull(vm->ram[i].hva);
	}
	memcpy(vm->ram[0].hva + 8192, "low", 3);
	memcpy(vm->ram[1].hva + vm->ram[1].size - 4, "high", 4);
}

static void ram_teardown(void)
{
	char cmd[64];

	for (int i = 0; i < 2; i++)
		free(vm->ram[i].hva);
	vm->nr_ram = 0;
	teardown();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/check_trigger.XXXXXX");
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n);
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

START_TEST(test_dump_core_file)
{
	char path[128], why[DUMP_CORE_WHY_MAX];
	uint64_t bytes = 0;
	struct stat st;
	uint8_t *f;
	size_t len;

	snprintf(path, sizeof(path), "%s/guest.core", dir);
	ck_assert_int_eq(dump_core_file(vm, path, 0, &bytes, why), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	f = read_all(path, &len);
	ck_assert_uint_eq(len, bytes);
	ck_assert_int_eq(memcmp(f, "\177ELF\2\1\1", 7), 0);
	ck_assert_uint_eq(f[16], 4); /* ET_CORE */
	ck_assert_uint_eq(f[18], 62); /* EM_X86_64 */
	ck_assert_uint_eq(get64(f + 32), 64); /* e_phoff */
	ck_assert_uint_eq(f[56], 3); /* PT_NOTE + 2 PT_LOAD */
	for (int i = 0; i < 2; i++) {
		const uint8_t *ph = f + 64 + 56 * (i + 1);
		uint64_t off = get64(ph + 8);

		ck_assert_uint_eq(get32(ph), 1); /* PT_LOAD */
		ck_assert_uint_eq(get64(ph + 24), vm->ram[i].gpa);
		ck_assert_uint_eq(get64(ph + 32), vm->ram[i].size);
		ck_assert_uint_eq(off % 4096, 0);
		ck_assert_uint_le(off + vm->ram[i].size, len);
		ck_assert_int_eq(memcmp(f + off, vm->ram[i].hva,
					vm->ram[i].size),
				 0);
	}
	free(f);
	/* Zero pages are holes: far fewer blocks than bytes. */
	ck_assert_uint_lt((uint64_t)st.st_blocks * 512, bytes / 2);
	/* Never over a file that exists, which stays as it was. */
	ck_assert_int_eq(dump_core_file(vm, path, 0, &bytes, why), -EEXIST);
	ck_assert_ptr_nonnull(strstr(why, "exists already"));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(dump_core_file(vm, "guest.core", 0, &bytes, why),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "absolute"));
	snprintf(path, sizeof(path), "%s/no/such/dir.core", dir);
	ck_assert_int_eq(dump_core_file(vm, path, 0, &bytes, why), -ENOENT);
	ck_assert_ptr_nonnull(strstr(why, "Cannot create"));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("trigger");
	TCase *tc = tcase_create("serial");
	TCase *core = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_break_then_key);
	tcase_add_test(tc, test_break_needs_room);
	tcase_add_test(tc, test_break_save_restore);
	tcase_add_test(tc, test_sysrq_keys);
	tcase_add_test(tc, test_pvpanic);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(core, ram_setup, ram_teardown);
	tcase_add_test(core, test_core_note_layout);
	tcase_add_test(core, test_dump_core_file);
	suite_add_tcase(s, core);
	return s;
}
