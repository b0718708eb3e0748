// SPDX-License-Identifier: GPL-2.0-or-later
/* crash: says so, then triple-faults. */
#include "guest.h"

void guest_main(void)
{
	serial_puts("crash: triple-faulting now\n");
	machine_crash();
}
