// SPDX-License-Identifier: GPL-2.0-or-later
/* hello: the smallest round trip — one line on COM1, then power off. */
#include "guest.h"

void guest_main(void)
{
	serial_puts("hello from keel test guest\n");
}
