// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel's states are libvirt's virDomainState numbers already (keel.h);
 * its reasons are names. This is the one table from a state's reason
 * name to the number libvirt's enum for that state gives it (libvirt
 * 9.0.0, libvirt-domain.h). keel's own "migrating" and "incoming" have
 * no running reason in libvirt; paused, they are libvirt's "migration".
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "virt_state.h"

static const struct {
	enum keel_domain_state state;
	const char *name;
	int reason;
} reasons[] = {
	{ KEEL_STATE_RUNNING, "booted", 1 },
	{ KEEL_STATE_RUNNING, "migrated", 2 },
	{ KEEL_STATE_RUNNING, "restored", 3 },
	{ KEEL_STATE_RUNNING, "from_snapshot", 4 },
	{ KEEL_STATE_RUNNING, "unpaused", 5 },
	{ KEEL_STATE_RUNNING, "migration_canceled", 6 },
	{ KEEL_STATE_RUNNING, "save_canceled", 7 },
	{ KEEL_STATE_RUNNING, "wakeup", 8 },
	{ KEEL_STATE_RUNNING, "crashed", 9 },
	{ KEEL_STATE_PAUSED, "user", 1 },
	{ KEEL_STATE_PAUSED, "migration", 2 },
	{ KEEL_STATE_PAUSED, "migrating", 2 },
	{ KEEL_STATE_PAUSED, "incoming", 2 },
	{ KEEL_STATE_PAUSED, "save", 3 },
	{ KEEL_STATE_PAUSED, "dump", 4 },
	{ KEEL_STATE_PAUSED, "ioerror", 5 },
	{ KEEL_STATE_PAUSED, "watchdog", 6 },
	{ KEEL_STATE_PAUSED, "from_snapshot", 7 },
	{ KEEL_STATE_PAUSED, "shutting_down", 8 },
	{ KEEL_STATE_PAUSED, "snapshot", 9 },
	{ KEEL_STATE_PAUSED, "crashed", 10 },
	{ KEEL_STATE_PAUSED, "starting_up", 11 },
	{ KEEL_STATE_SHUTDOWN, "user", 1 },
	{ KEEL_STATE_SHUTOFF, "shutdown", 1 },
	{ KEEL_STATE_SHUTOFF, "destroyed", 2 },
	{ KEEL_STATE_SHUTOFF, "crashed", 3 },
	{ KEEL_STATE_SHUTOFF, "migrated", 4 },
	{ KEEL_STATE_SHUTOFF, "saved", 5 },
	{ KEEL_STATE_SHUTOFF, "failed", 6 },
	{ KEEL_STATE_SHUTOFF, "from_snapshot", 7 },
	{ KEEL_STATE_SHUTOFF, "daemon", 8 },
	{ KEEL_STATE_CRASHED, "panicked", 1 },
};

int virt_state_reason(enum keel_domain_state state, const char *reason)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].state == state &&
		    !strcmp(reasons[i].name, reason))
			return reasons[i].reason;
	return 0;
}
