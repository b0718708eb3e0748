// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VMM on /dev/kvm (hypervisor/vmm.c, vcpu.c, vm.c) with guests of a
 * few instructions: exit reasons, console output, pause/resume, stats,
 * several vCPUs. Skipped where /dev/kvm cannot be opened.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "device.h"
#include "vcpu.h"
#include "runner.h"
#include "vmm.h"

#define COUNTER_GPA 0x200000

/* mov $0x200000, %rax; 1: incq (%rax); jmp 1b */
static const uint8_t guest_spin[] = { 0x48, 0xc7, 0xc0, 0x00, 0x00, 0x20,
				      0x00, 0x48, 0xff, 0x00, 0xeb, 0xfb };
/* "ok" to COM1, 0xfe to port 0x64, then hlt forever */
static const uint8_t guest_out[] = { 0x66, 0xba, 0xf8, 0x03, 0xb0, 0x6f,
				     0xee, 0xb0, 0x6b, 0xee, 0xb0, 0xfe,
				     0xe6, 0x64, 0xf4, 0xeb, 0xfd };
/* out %al to port 0x610, then hlt forever */
static const uint8_t guest_port[] = { 0x66, 0xba, 0x10, 0x06, 0xee,
				      0xf4, 0xeb, 0xfd };
/* ud2 with no IDT: triple fault */
static const uint8_t guest_ud[] = { 0x0f, 0x0b };

static char path[64];
static struct event_base *base;
static char out[64];
static size_t out_len;

static void be_output(void *opaque, const uint8_t *buf, size_t len)
{
	if (out_len + len <= sizeof(out)) {
		memcpy(out + out_len, buf, len);
		out_len += len;
	}
}

static const struct ns8250_backend be = { .output = be_output };

static void setup(void)
{
	int fd;

	ck_assert_int_eq(evthread_use_pthreads(), 0);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	snprintf(path, sizeof(path), "/tmp/check_vmm.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	out_len = 0;
}

static void teardown(void)
{
	unlink(path);
	event_base_free(base);
}

static struct vm *create(const uint8_t *code, size_t len, unsigned vcpus)
{
	struct vm_config cfg = { .kernel = path, .ram_size = 32 << 20,
				 .nr_vcpus = vcpus, .console = &be };
	FILE *f = fopen(path, "w");
	struct vm *vm;

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(code, 1, len, f), len);
	fclose(f);
	ck_assert_int_eq(vm_new(&cfg, base, &vm), 0);
	return vm;
}

START_TEST(test_output_then_reboot)
{
	struct vm *vm = create(guest_out, sizeof(guest_out), 1);

	ck_assert_int_eq(vm_start(vm), 0);
	ck_assert_int_eq(vm_run(vm), VM_EXIT_REBOOT);
	ck_assert_uint_eq(out_len, 2);
	ck_assert_int_eq(memcmp(out, "ok", 2), 0);
	ck_assert_int_eq(vm_exit_status(VM_EXIT_REBOOT), 2);
	vm_free(vm);
}
END_TEST

/* A device that powers the machine off, as ACPI's sleep control does. */
static void poweroff_write(void *opaque, uint64_t off, const void *data,
			   unsigned len)
{
	vm_request_exit(opaque, VM_EXIT_POWEROFF);
}

static const struct io_ops poweroff_ops = { .write = poweroff_write };

START_TEST(test_device_powers_off)
{
	struct vm *vm = create(guest_port, sizeof(guest_port), 2);

	ck_assert_int_eq(iobus_register(&vm->pio, 0x610, 1, &poweroff_ops,
					vm),
			 0);
	ck_assert_int_eq(vm_start(vm), 0);
	ck_assert_int_eq(vm_run(vm), VM_EXIT_POWEROFF);
	ck_assert_int_eq(vm_exit_status(VM_EXIT_POWEROFF), 0);
	vm_free(vm);
}
END_TEST

START_TEST(test_triple_fault_is_a_crash)
{
	struct vm *vm = create(guest_ud, sizeof(guest_ud), 1);

	ck_assert_int_eq(vm_start(vm), 0);
	ck_assert_int_eq(vm_run(vm), VM_EXIT_CRASH);
	vm_free(vm);
}
END_TEST

static uint64_t counter(struct vm *vm)
{
	uint64_t v;

	ck_assert_int_eq(vm_read_guest(vm, COUNTER_GPA, &v, sizeof(v)), 0);
	return v;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

struct stopper {
	struct vm *vm;
	int result;
};

/*
 * Pause, check the guest stands still, resume, check it moves, then end
 * the VM: all from a second thread while vm_run() loops on this one.
 */
static void *pause_resume_thread(void *arg)
{
	struct stopper *s = arg;
	struct vm *vm = s->vm;
	uint64_t a, b;

	while (counter(vm) == 0)
		sleep_ms(1);
	s->result = vm_pause(vm);
	if (s->result == 0 && vm_is_paused(vm)) {
		a = counter(vm);
		sleep_ms(50);
		b = counter(vm);
		if (a != b)
			s->result = -EBUSY;
		vm_resume(vm);
		sleep_ms(50);
		if (counter(vm) == b)
			s->result = -EAGAIN;
	}
	vm_request_exit(vm, VM_EXIT_KILLED);
	return NULL;
}

START_TEST(test_pause_resume_smp)
{
	struct vm *vm = create(guest_spin, sizeof(guest_spin), 3);
	struct stopper s = { .vm = vm, .result = -1 };
	struct json_object *stats, *vcpus, *v0;
	pthread_t t;

	ck_assert_int_eq(vm_start(vm), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, pause_resume_thread, &s), 0);
	ck_assert_int_eq(vm_run(vm), VM_EXIT_KILLED);
	pthread_join(t, NULL);
	ck_assert_int_eq(s.result, 0);

	stats = json_object_new_object();
	ck_assert_int_eq(vm_stats(vm, stats), 0);
	ck_assert(json_object_object_get_ex(stats, "vcpus", &vcpus));
	ck_assert_uint_eq(json_object_array_length(vcpus), 3);
	v0 = json_object_array_get_idx(vcpus, 0);
	ck_assert(json_object_object_get_ex(v0, "run_ns", &v0));
	ck_assert_int_gt(json_object_get_int64(v0), 0);
	ck_assert_ptr_nonnull(strstr(json_object_to_json_string(stats),
				     "\"serial0\""));
	json_object_put(stats);
	vm_free(vm);
}
END_TEST

START_TEST(test_platform_devices)
{
	struct vm *vm = create(guest_ud, sizeof(guest_ud), 1);
	unsigned n = 0;

	for (struct device *d = vm_device_first(vm); d; d = vm_device_next(d))
		n++;
	ck_assert_uint_ge(n, 2);
	ck_assert_ptr_nonnull(vm_find_device(vm, "serial0"));
	ck_assert_ptr_nonnull(vm_find_device(vm, "i8042"));
	/* never started: freeing is all it takes */
	vm_free(vm);
}
END_TEST

START_TEST(test_msi_routes_and_irqfd)
{
	struct vm *vm = create(guest_ud, sizeof(guest_ud), 1);
	int efd = eventfd(0, EFD_CLOEXEC);
	int a, b;

	ck_assert_int_ge(efd, 0);
	a = vm_msi_route_alloc(vm, 0xfee00000, 0x4041);
	b = vm_msi_route_alloc(vm, 0xfee00000, 0x4042);
	ck_assert_int_eq(a, 24); /* after the 24 IOAPIC pins */
	ck_assert_int_eq(b, 25);
	ck_assert_int_eq(vm_msi_route_update(vm, (uint32_t)b, 0xfee01000,
					     0x4051),
			 0);
	ck_assert_int_eq(vm_msi_route_update(vm, 4, 0xfee00000, 0), -ENOENT);
	ck_assert_int_eq(vm_irqfd(vm, efd, (uint32_t)b, true), 0);
	ck_assert_int_eq(vm_irqfd(vm, efd, (uint32_t)b, false), 0);
	vm_msi_route_free(vm, (uint32_t)a);
	ck_assert_int_eq(vm_msi_route_alloc(vm, 0xfee00000, 0x4043), 24);
	ck_assert_int_eq(vm_signal_msi(vm, 0xfee00000, 0x4041), 0);
	/* legacy lines: the 24 IOAPIC pins only */
	ck_assert_int_eq(vm_irq_line(vm, 4, true), 0);
	ck_assert_int_eq(vm_irq_line(vm, 4, false), 0);
	ck_assert_int_eq(vm_irq_line(vm, 24, true), -EINVAL);
	ck_assert_int_eq(vm_irqfd(vm, -1, 4, true), -EBADF);
	ck_assert_int_eq(vm_ioeventfd(vm, efd, 0x610, 3, true, -1, true),
			 -EINVAL);
	close(efd);
	vm_free(vm);
}
END_TEST

struct waiter {
	struct vm *vm;
	int efd;
	uint64_t count;
};

static void *ioeventfd_thread(void *arg)
{
	struct waiter *w = arg;
	struct pollfd p = { .fd = w->efd, .events = POLLIN };

	if (poll(&p, 1, 10000) == 1 &&
	    read(w->efd, &w->count, sizeof(w->count)) < 0)
		w->count = 0;
	vm_request_exit(w->vm, VM_EXIT_KILLED);
	return NULL;
}

/* A guest write to an ioeventfd port signals it without an exit to us. */
START_TEST(test_ioeventfd)
{
	struct vm *vm = create(guest_port, sizeof(guest_port), 1);
	struct waiter w = { .vm = vm, .efd = eventfd(0, EFD_CLOEXEC) };
	pthread_t t;

	ck_assert_int_ge(w.efd, 0);
	ck_assert_int_eq(vm_ioeventfd(vm, w.efd, 0x610, 1, true, -1, true),
			 0);
	ck_assert_int_eq(vm_start(vm), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, ioeventfd_thread, &w), 0);
	ck_assert_int_eq(vm_run(vm), VM_EXIT_KILLED);
	pthread_join(t, NULL);
	ck_assert_uint_eq(w.count, 1);
	ck_assert_uint_eq(atomic_load(&vm->vcpus[0]->unclaimed_pio), 0);
	ck_assert_uint_eq(atomic_load(&vm->vcpus[0]->exits[KVM_EXIT_IO]), 0);
	ck_assert_int_eq(vm_ioeventfd(vm, w.efd, 0x610, 1, true, -1, false),
			 0);
	close(w.efd);
	vm_free(vm);
}
END_TEST

START_TEST(test_bad_config)
{
	struct vm_config cfg = { .kernel = "/nonexistent", .ram_size = 32 << 20,
				 .nr_vcpus = 1 };
	struct vm *vm = NULL;

	ck_assert_int_eq(vm_new(&cfg, base, &vm), -ENOENT);
	cfg.nr_vcpus = KEEL_VCPUS_MAX + 1;
	ck_assert_int_eq(vm_new(&cfg, base, &vm), -EINVAL);
	cfg.nr_vcpus = 1;
	cfg.maxmem = 16 << 20; /* less than memory */
	ck_assert_int_eq(vm_new(&cfg, base, &vm), -EINVAL);
	cfg.maxmem = 0;
	cfg.ram_size = 1 << 20;
	ck_assert_int_eq(vm_new(&cfg, base, &vm), -EINVAL);
	ck_assert_ptr_null(vm);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vmm");
	TCase *tc = tcase_create("kvm");
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		runner_skip_reason = "/dev/kvm cannot be opened";
		runner_wants_kvm = true;
	} else {
		close(fd);
	}
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_output_then_reboot);
	tcase_add_test(tc, test_device_powers_off);
	tcase_add_test(tc, test_triple_fault_is_a_crash);
	tcase_add_test(tc, test_pause_resume_smp);
	tcase_add_test(tc, test_platform_devices);
	tcase_add_test(tc, test_msi_routes_and_irqfd);
	tcase_add_test(tc, test_ioeventfd);
	tcase_add_test(tc, test_bad_config);
	suite_add_tcase(s, tc);
	return s;
}
