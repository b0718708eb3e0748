// SPDX-License-Identifier: GPL-2.0-or-later
/* reboot: says so, then resets the machine through the i8042. */
#include "guest.h"

void guest_main(void)
{
	serial_puts("reboot: resetting through the i8042\n");
	machine_reboot();
}
