// SPDX-License-Identifier: GPL-2.0-or-later
/* keel-hv: placeholder until the core lands (replaced by the core work). */
#include "config.h"
int main(void);
int main(void)
{
	return 0;
}
