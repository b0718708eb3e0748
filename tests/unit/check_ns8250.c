// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The 16550A UART (hypervisor/ns8250.c), driven through the port bus as
 * a guest would: registers, FIFO, interrupt identification, loopback,
 * backends with back-pressure, and save/restore with hostile state.
 * No /dev/kvm: the VM has no fd, so raising the IRQ line fails quietly.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "fake_vm.h"
#include "ns8250.h"
#include "runner.h"
#include "vm.h"

#define COM1 0x3f8

static struct vm *vm;
static struct device *uart;
static char out[256];
static size_t out_len;
static unsigned rx_ready_calls;

static void be_output(void *opaque, const uint8_t *buf, size_t len)
{
	ck_assert_uint_le(out_len + len, sizeof(out));
	memcpy(out + out_len, buf, len);
	out_len += len;
}

static void be_rx_ready(void *opaque)
{
	rx_ready_calls++;
}

static const struct ns8250_backend be = {
	.output = be_output,
	.rx_ready = be_rx_ready,
};

static void setup(void)
{
	vm = fake_vm_new();
	ck_assert_int_eq(ns8250_new(vm, "serial0", COM1, 4, &be, &uart), 0);
	out_len = 0;
	rx_ready_calls = 0;
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

enum { RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5,
       MSR = 6, SCR = 7 };

START_TEST(test_power_on_state)
{
	ck_assert_uint_eq(in8(LSR), 0x60); /* THRE | TEMT */
	ck_assert_uint_eq(in8(IIR), 0x01); /* nothing pending, no FIFO */
	ck_assert_uint_eq(in8(MSR), 0xb0); /* CTS, DSR, DCD; no deltas */
	ck_assert_uint_eq(in8(IER), 0);
	out8(SCR, 0xa5);
	ck_assert_uint_eq(in8(SCR), 0xa5);
	/* the neighbour ports are not ours */
	ck_assert(!iobus_access(&vm->pio, COM1 + 8, &(uint8_t){ 0 }, 1,
				false));
}
END_TEST

START_TEST(test_transmit)
{
	const char *msg = "hello\r\n";

	for (const char *p = msg; *p; p++)
		out8(RBR, (uint8_t)*p);
	ck_assert_uint_eq(out_len, strlen(msg));
	ck_assert_int_eq(memcmp(out, msg, out_len), 0);
	ck_assert_uint_eq(in8(LSR) & 0x60, 0x60);
}
END_TEST

START_TEST(test_divisor_latch)
{
	out8(LCR, 0x83);
	out8(RBR, 0x01);
	out8(IER, 0x02);
	ck_assert_uint_eq(in8(RBR), 0x01);
	ck_assert_uint_eq(in8(IER), 0x02);
	ck_assert_uint_eq(out_len, 0); /* DLL write is not a byte sent */
	out8(LCR, 0x03);
	ck_assert_uint_eq(in8(IER), 0); /* IER untouched by the DLM write */
	ck_assert_uint_eq(in8(LCR), 0x03);
}
END_TEST

START_TEST(test_receive_without_fifo)
{
	const uint8_t data[] = "ab";

	out8(IER, 0x01);
	ck_assert_uint_eq(ns8250_input(uart, data, 2), 1); /* one-byte RBR */
	ck_assert_uint_eq(in8(LSR) & 0x01, 0x01);
	ck_assert_uint_eq(in8(IIR), 0x04); /* received data available */
	ck_assert_uint_eq(rx_ready_calls, 0);
	ck_assert_uint_eq(in8(RBR), 'a');
	ck_assert_uint_eq(rx_ready_calls, 1); /* room again: ask for more */
	ck_assert_uint_eq(in8(IIR), 0x01);
	ck_assert_uint_eq(in8(LSR) & 0x01, 0);
	ck_assert_uint_eq(ns8250_input(uart, data + 1, 1), 1);
	ck_assert_uint_eq(in8(RBR), 'b');
	ck_assert_uint_eq(rx_ready_calls, 1);
	ck_assert_uint_eq(in8(RBR), 0); /* empty */
}
END_TEST

START_TEST(test_receive_fifo)
{
	uint8_t data[20];

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)('A' + i);
	out8(FCR, 0xc7); /* enable, clear, trigger at 14 */
	out8(IER, 0x01);
	ck_assert_uint_eq(ns8250_input(uart, data, 3), 3);
	ck_assert_uint_eq(in8(IIR), 0xcc); /* below trigger: timeout */
	ck_assert_uint_eq(ns8250_input(uart, data + 3, 17), 13);
	ck_assert_uint_eq(in8(IIR), 0xc4); /* at trigger: data available */
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(in8(RBR), 'A' + i);
	ck_assert_uint_eq(in8(IIR), 0xc1);
	ck_assert_uint_eq(rx_ready_calls, 1);
	/* clearing the FIFO drops what is in it */
	ck_assert_uint_eq(ns8250_input(uart, data, 5), 5);
	out8(FCR, 0xc3);
	ck_assert_uint_eq(in8(LSR) & 0x01, 0);
}
END_TEST

START_TEST(test_thre_interrupt)
{
	out8(IER, 0x02);
	ck_assert_uint_eq(in8(IIR), 0x02); /* enabling THRE fires at once */
	ck_assert_uint_eq(in8(IIR), 0x01); /* reading IIR acknowledged it */
	out8(RBR, 'x'); /* sent: empty again, THRE pending */
	/* received data outranks THRE and does not acknowledge it */
	out8(IER, 0x03);
	ns8250_input(uart, (const uint8_t *)"z", 1);
	ck_assert_uint_eq(in8(IIR), 0x04);
	ck_assert_uint_eq(in8(RBR), 'z');
	ck_assert_uint_eq(in8(IIR), 0x02);
	ck_assert_uint_eq(in8(IIR), 0x01);
}
END_TEST

START_TEST(test_loopback)
{
	/* Linux's probe: loopback with RTS and OUT2 reads back CTS and DCD */
	out8(MCR, 0x1a);
	ck_assert_uint_eq(in8(MSR) & 0xf0, 0x90);
	out8(MCR, 0x1f);
	ck_assert_uint_eq(in8(MSR) & 0xf0, 0xf0);
	out8(RBR, 'L');
	ck_assert_uint_eq(out_len, 0); /* not on the wire */
	ck_assert_uint_eq(in8(RBR), 'L');
	/* the line is cut off: outside input waits */
	ck_assert_uint_eq(ns8250_input(uart, (const uint8_t *)"q", 1), 0);
	out8(MCR, 0x0b);
	ck_assert_uint_eq(rx_ready_calls, 1);
	ck_assert_uint_eq(ns8250_input(uart, (const uint8_t *)"q", 1), 1);
}
END_TEST

START_TEST(test_overrun)
{
	out8(MCR, 0x10);
	out8(IER, 0x04);
	out8(RBR, '1');
	out8(RBR, '2'); /* no FIFO: overrun */
	ck_assert_uint_eq(in8(IIR), 0x06); /* receiver line status */
	ck_assert_uint_eq(in8(LSR) & 0x03, 0x03); /* DR | OE */
	ck_assert_uint_eq(in8(LSR) & 0x02, 0); /* read clears OE */
	ck_assert_uint_eq(in8(RBR), '1');
}
END_TEST

START_TEST(test_wide_access)
{
	uint32_t v = 0;

	out8(SCR, 0x42);
	/* a 2-byte read at LSR covers LSR and MSR */
	ck_assert(iobus_access(&vm->pio, COM1 + LSR, &v, 2, false));
	ck_assert_uint_eq(v, 0xb060);
	/* 4 bytes from offset 6 would run past the UART: unclaimed */
	ck_assert(!iobus_access(&vm->pio, COM1 + 6, &v, 4, false));
}
END_TEST

START_TEST(test_save_restore)
{
	struct json_object *saved, *again;
	struct device *other;

	out8(FCR, 0x81);
	out8(LCR, 0x1b);
	out8(MCR, 0x0b);
	out8(IER, 0x0f);
	out8(SCR, 0x77);
	ns8250_input(uart, (const uint8_t *)"xyz", 3);
	ck_assert_int_eq(uart->ops->save(uart, &saved), 0);

	ck_assert_int_eq(ns8250_new(vm, "serial1", 0x2f8, 3, NULL, &other),
			 0);
	ck_assert_int_eq(other->ops->restore(other, saved), 0);
	ck_assert_int_eq(other->ops->save(other, &again), 0);
	ck_assert_str_eq(json_object_to_json_string(saved),
			 json_object_to_json_string(again));
	ck_assert(iobus_access(&vm->pio, 0x2f8 + SCR,
			       &(uint8_t){ 0 }, 1, false));
	json_object_put(again);

	/* reset brings back power-on state */
	uart->ops->reset(uart);
	ck_assert_uint_eq(in8(LSR), 0x60);
	ck_assert_uint_eq(in8(SCR), 0);
	json_object_put(saved);
}
END_TEST

static int restore_with(const char *key, struct json_object *val)
{
	struct json_object *st;
	int rc;

	ck_assert_int_eq(uart->ops->save(uart, &st), 0);
	if (val)
		json_object_object_add(st, key, val);
	else
		json_object_object_del(st, key);
	rc = uart->ops->restore(uart, st);
	json_object_put(st);
	return rc;
}

START_TEST(test_restore_rejects_hostile_state)
{
	struct json_object *not_object;

	out8(SCR, 0x11);
	ck_assert_int_eq(restore_with("ier", json_object_new_int(256)),
			 -EINVAL);
	ck_assert_int_eq(restore_with("ier", json_object_new_int(0x10)),
			 -EINVAL);
	ck_assert_int_eq(restore_with("lcr", json_object_new_int(-1)),
			 -EINVAL);
	ck_assert_int_eq(restore_with("dll", json_object_new_string("1")),
			 -EINVAL);
	ck_assert_int_eq(restore_with("scr", NULL), -EINVAL);
	ck_assert_int_eq(restore_with("thr_ipending", json_object_new_int(1)),
			 -EINVAL);
	/* FIFO off: at most one byte pending */
	ck_assert_int_eq(restore_with("rx", json_object_new_string("4142")),
			 -EINVAL);
	ck_assert_int_eq(restore_with("rx", json_object_new_string("4")),
			 -EINVAL);
	ck_assert_int_eq(restore_with("rx", json_object_new_string("zz")),
			 -EINVAL);
	not_object = json_object_new_int(3);
	ck_assert_int_eq(uart->ops->restore(uart, not_object), -EINVAL);
	json_object_put(not_object);
	/* nothing of it was applied */
	ck_assert_uint_eq(in8(SCR), 0x11);
	ck_assert_int_eq(restore_with("rx", json_object_new_string("41")), 0);
	ck_assert_uint_eq(in8(RBR), 'A');
}
END_TEST

START_TEST(test_backend_switch)
{
	out8(RBR, '1');
	ns8250_set_backend(uart, NULL);
	out8(RBR, '2'); /* discarded */
	ns8250_set_backend(uart, &be);
	out8(RBR, '3');
	ck_assert_uint_eq(out_len, 2);
	ck_assert_int_eq(memcmp(out, "13", 2), 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("ns8250");
	TCase *tc = tcase_create("uart");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_power_on_state);
	tcase_add_test(tc, test_transmit);
	tcase_add_test(tc, test_divisor_latch);
	tcase_add_test(tc, test_receive_without_fifo);
	tcase_add_test(tc, test_receive_fifo);
	tcase_add_test(tc, test_thre_interrupt);
	tcase_add_test(tc, test_loopback);
	tcase_add_test(tc, test_overrun);
	tcase_add_test(tc, test_wide_access);
	tcase_add_test(tc, test_save_restore);
	tcase_add_test(tc, test_restore_rejects_hostile_state);
	tcase_add_test(tc, test_backend_switch);
	suite_add_tcase(s, tc);
	return s;
}
