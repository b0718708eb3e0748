// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * trigger: makes what keel-hv's trigger methods do visible
 * (tests/integration/check_hv_trigger.c).
 *  - It writes TRIGGER_MARK into its memory at run time (the string is
 *    stored reversed in the image), so a core file holding it holds the
 *    guest's memory, not a copy of the kernel file.
 *  - It turns COM1's FIFO on, as Linux does, and polls it as Linux's
 *    8250 driver reads: line status, then the byte. A break (LSR.BI
 *    with its NUL) prints "trigger: break", the next byte
 *    "trigger: key C".
 *  - The byte 'p' makes it panic through the pvpanic port; "o" powers
 *    it off.
 *  - Its IDT is empty, so an NMI triple-faults it: the crash is how a
 *    test sees that the NMI arrived.
 */
#include "guest.h"
#include "trigger.h"

#define COM1 0x3f8
#define UART_RBR 0
#define UART_FCR 2
#define UART_LSR 5
#define LSR_DR 0x01
#define LSR_BI 0x10
#define PVPANIC_PORT 0x505
#define PVPANIC_PANICKED 0x01

static const char mark_reversed[] = TRIGGER_MARK_REVERSED;
static char mark[sizeof(mark_reversed)];

static void mark_memory(void)
{
	size_t n = sizeof(mark_reversed) - 1;

	/* Not folded at compile time: the forward string is made here. */
	__asm__ volatile("" : : "r"(mark_reversed) : "memory");
	for (size_t i = 0; i < n; i++)
		mark[i] = mark_reversed[n - 1 - i];
	__asm__ volatile("" : : "r"(mark) : "memory");
}

void guest_main(void)
{
	bool after_break = false;

	mark_memory();
	outb(COM1 + UART_FCR, 0xc7); /* FIFO on, cleared, trigger at 14 */
	serial_puts("trigger: ready\n");
	for (;;) {
		uint8_t lsr = inb(COM1 + UART_LSR);
		char c;

		if (!(lsr & LSR_DR)) {
			cpu_relax();
			continue;
		}
		c = (char)inb(COM1 + UART_RBR);
		if (lsr & LSR_BI) {
			serial_puts("trigger: break\n");
			after_break = true;
			continue;
		}
		if (after_break) {
			serial_puts("trigger: key ");
			serial_putc(c);
			serial_putc('\n');
			after_break = false;
		}
		if (c == 'p') {
			serial_puts("trigger: panicking\n");
			outb(PVPANIC_PORT, PVPANIC_PANICKED);
		}
		if (c == 'o')
			return;
	}
}
