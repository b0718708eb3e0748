// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * echo: a line editor on COM1. Prints "> ", echoes what is typed, and
 * on Enter answers "echo: <line>"; the line "poweroff" powers off.
 * Polled: the vCPU spins on the line status register.
 */
#include "guest.h"

#define LINE_MAX 128

static char line[LINE_MAX];

void guest_main(void)
{
	size_t len = 0;
	char c;

	serial_puts("echo: type a line; \"poweroff\" to stop\n> ");
	for (;;) {
		if (!serial_getc(&c)) {
			cpu_relax();
			continue;
		}
		if (c == '\r' || c == '\n') {
			line[len] = '\0';
			serial_putc('\n');
			if (!strcmp(line, "poweroff")) {
				serial_puts("echo: powering off\n");
				return;
			}
			if (len) {
				serial_puts("echo: ");
				serial_puts(line);
				serial_putc('\n');
			}
			len = 0;
			serial_puts("> ");
		} else if (c == '\b' || c == 0x7f) {
			if (len) {
				len--;
				serial_puts("\b \b");
			}
		} else if (c >= ' ' && c < 0x7f && len < LINE_MAX - 1) {
			line[len++] = c;
			serial_putc(c);
		}
	}
}
