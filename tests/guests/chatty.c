// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chatty: numbered lines on COM1, forever, as fast as the UART takes
 * them, for the console tests (history, slow viewers, log rotation):
 *
 *   chatty 000000
 *   chatty 000001
 *   ...
 *
 * At least six digits, zero-padded, so every line up to 999999 is 15
 * bytes with its "\r\n".
 */
#include "guest.h"

void guest_main(void)
{
	for (uint64_t n = 0;; n++) {
		serial_puts("chatty ");
		for (uint64_t pad = 100000; pad > 1 && n < pad; pad /= 10)
			serial_putc('0');
		serial_put_dec(n);
		serial_putc('\n');
	}
}
