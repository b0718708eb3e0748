// SPDX-License-Identifier: LGPL-2.1-or-later
/* Named fault points (fault.h). */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "log.h"

void fault_stall(const char *point)
{
	const char *want = getenv(FAULT_STALL_ENV);

	if (!want || strcmp(want, point))
		return;
	log_warn("fault point %s: %s names it; stopping until released (SIGCONT) or killed",
		 point, FAULT_STALL_ENV);
	raise(SIGSTOP);
	log_warn("fault point %s: released", point);
}
