// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * COM1 console of the test guests, polled: an 8250 at port 0x3f8 with no
 * interrupts, no FIFO set-up and no baud rate (the emulated one has none).
 */
#include "guest.h"

#define COM1 0x3f8
#define UART_RBR 0 /* receive buffer (read) */
#define UART_THR 0 /* transmit holding (write) */
#define UART_LSR 5 /* line status */
#define LSR_DR 0x01 /* data ready */
#define LSR_THRE 0x20 /* transmit holding register empty */
/*
 * A UART that never reports THRE (or no UART at all) must not hang the
 * guest: after this many polls, write anyway.
 */
#define THRE_POLLS 100000

static void serial_raw(char c)
{
	unsigned int n;

	for (n = 0; n < THRE_POLLS; n++) {
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			break;
		cpu_relax();
	}
	outb(COM1 + UART_THR, (uint8_t)c);
}

void serial_putc(char c)
{
	if (c == '\n')
		serial_raw('\r');
	serial_raw(c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

void serial_put_hex(uint64_t v, unsigned int width)
{
	static const char digits[] = "0123456789abcdef";
	char buf[16];
	unsigned int n = 0;

	do {
		buf[n++] = digits[v & 0xf];
		v >>= 4;
	} while (v && n < sizeof(buf));
	while (width > n && width <= sizeof(buf)) {
		serial_putc('0');
		width--;
	}
	while (n)
		serial_putc(buf[--n]);
}

void serial_put_dec(uint64_t v)
{
	char buf[20];
	unsigned int n = 0;

	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		serial_putc(buf[--n]);
}

bool serial_getc(char *c)
{
	if (!(inb(COM1 + UART_LSR) & LSR_DR))
		return false;
	*c = (char)inb(COM1 + UART_RBR);
	return true;
}
