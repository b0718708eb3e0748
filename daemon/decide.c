// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What happens to a domain when its VM ends (decide.h). Nothing here
 * touches a process, a file or an event: lifecycle.c gathers the
 * inputs and carries the decision out, and tests/unit/check_decide.c
 * runs every combination.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "decide.h"
#include "hv_proto.h"

static const char *const action_names[] = {
	[ACTION_DESTROY] = "destroy",
	[ACTION_RESTART] = "restart",
	[ACTION_PRESERVE] = "preserve",
	[ACTION_RENAME_RESTART] = "rename-restart",
};

#define NR_ACTIONS (sizeof(action_names) / sizeof(action_names[0]))

const char *decide_action_name(enum action action)
{
	return (size_t)action < NR_ACTIONS ? action_names[action] : "destroy";
}

/*
 * xl's coredump-destroy and coredump-restart: keel-hv writes the core
 * (decide_dump_on()), then they are destroy and restart.
 */
static const struct {
	const char *name;
	enum action action;
} action_coredump[] = {
	{ "coredump-destroy", ACTION_DESTROY },
	{ "coredump-restart", ACTION_RESTART },
};

enum action decide_action_parse(const char *name, enum action dflt)
{
	for (size_t i = 0; name && i < NR_ACTIONS; i++)
		if (!strcmp(name, action_names[i]))
			return (enum action)i;
	for (size_t i = 0; name && i < sizeof(action_coredump) /
					      sizeof(action_coredump[0]);
	     i++)
		if (!strcmp(name, action_coredump[i].name))
			return action_coredump[i].action;
	return dflt;
}

static bool action_dumps(struct json_object *config, const char *key)
{
	const char *name = json_member_string(config, key);

	return name && !strncmp(name, "coredump-", 9);
}

const char *decide_dump_on(struct json_object *config, char *buf,
			   size_t size)
{
	static const struct {
		const char *key, *end;
	} ends[] = {
		{ "on_crash", HV_REASON_CRASH },
		{ "on_poweroff", HV_REASON_POWEROFF },
		{ "on_reboot", HV_REASON_REBOOT },
	};
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
		if (action_dumps(config, ends[i].key))
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
						len ? "," : "", ends[i].end);
	return len ? buf : NULL;
}

void decide_config(struct json_object *config, struct decide_in *in)
{
	/* The defaults are xl's (keel.cfg.5). */
	in->on_poweroff = decide_action_parse(
		json_member_string(config, "on_poweroff"), ACTION_DESTROY);
	in->on_reboot = decide_action_parse(
		json_member_string(config, "on_reboot"), ACTION_RESTART);
	in->on_crash = decide_action_parse(
		json_member_string(config, "on_crash"), ACTION_DESTROY);
}

static bool action_keeps(enum action a)
{
	return a == ACTION_PRESERVE || a == ACTION_RENAME_RESTART;
}

bool decide_wants_linger(struct json_object *config)
{
	struct decide_in in;

	decide_config(config, &in);
	return action_keeps(in.on_poweroff) || action_keeps(in.on_reboot) ||
	       action_keeps(in.on_crash);
}

/*
 * The configured action for how the VM ended, and the reason and event
 * detail of the domain's end. keeld's own destroy overrides the end
 * (and applies no action); a shutdown that timed out and was forced is
 * a power-off (keeld.8, Shutdown and reboot).
 */
static void choose(const struct decide_in *in, struct decision *d)
{
	enum hv_end end = in->intent == INTENT_DESTROY ? HV_END_KILLED :
							 in->end;

	switch (end) {
	case HV_END_POWEROFF:
		/*
		 * After a user's reboot the guest went down through the
		 * power button, but it was a reboot: on_reboot, as xl
		 * applies it, not on_poweroff.
		 */
		d->action = in->intent == INTENT_REBOOT ? in->on_reboot :
							  in->on_poweroff;
		d->reason = DOMAIN_REASON_SHUTDOWN;
		d->detail = "shutdown";
		if (in->intent == INTENT_REBOOT)
			d->rebooted = "host";
		return;
	case HV_END_REBOOT:
		d->action = in->on_reboot;
		d->reason = DOMAIN_REASON_SHUTDOWN;
		d->detail = "shutdown";
		d->rebooted = in->intent == INTENT_REBOOT ? "host" : "guest";
		return;
	case HV_END_KILLED:
		/* keeld's destroy, or someone else's SIGTERM: no action. */
		d->action = in->intent == INTENT_FORCED ? in->on_poweroff :
							  ACTION_DESTROY;
		d->reason = DOMAIN_REASON_DESTROYED;
		d->detail = "destroyed";
		return;
	case HV_END_SAVED:
		/*
		 * Its state is in a file now (keel save without -c): the
		 * domain stops as libvirt's STOPPED_SAVED, and no on_*
		 * action runs, since the guest asked for nothing.
		 */
		d->action = ACTION_DESTROY;
		d->reason = DOMAIN_REASON_SAVED;
		d->detail = "saved";
		return;
	case HV_END_MIGRATED:
		/*
		 * It runs on another host now (docs/migration.md): stopped
		 * as libvirt's SHUTOFF_MIGRATED, no on_* action.
		 */
		d->action = ACTION_DESTROY;
		d->reason = DOMAIN_REASON_MIGRATED;
		d->detail = "migrated";
		return;
	case HV_END_CRASH:
	case HV_END_ERROR:
	case HV_END_LOST:
		break;
	}
	if (in->intent == INTENT_FORCED) {
		/* Killed by keeld's timeout: the guest did not crash. */
		d->action = in->on_poweroff;
		d->reason = DOMAIN_REASON_DESTROYED;
		d->detail = "destroyed";
		return;
	}
	/* A crash, keel-hv's failure, or a keel-hv killed from outside. */
	d->action = in->on_crash;
	d->reason = DOMAIN_REASON_CRASHED;
	d->detail = "crashed";
}

/*
 * The brake for a restart (decide.h): counts this end and sets the
 * delay, or gives up.
 */
static void brake(const struct decide_in *in, struct decision *d)
{
	unsigned n;

	if (in->intent == INTENT_REBOOT || in->ran_s >= RESTART_QUICK_S) {
		/* A user's reboot, or a run that lasted: no loop. */
		d->quick_ends = 0;
		return;
	}
	n = in->quick_ends + 1;
	if (n > RESTART_BURST) {
		d->gave_up = true;
		/* A later start by hand begins a new count. */
		d->quick_ends = 0;
		return;
	}
	d->quick_ends = n;
	if (n >= 2) {
		d->delay_s = n - 2 < 8 ? 1 << (n - 2) : RESTART_MAX_DELAY_S;
		if (d->delay_s > RESTART_MAX_DELAY_S)
			d->delay_s = RESTART_MAX_DELAY_S;
	}
}

void decide_action(const struct decide_in *in, struct decision *out)
{
	struct decision d = { .quick_ends = in->quick_ends };

	if (in->preserved) {
		/* The action ran when the VM ended; its keeper is gone now. */
		d.action = ACTION_DESTROY;
		if (in->intent == INTENT_DESTROY) {
			d.reason = DOMAIN_REASON_DESTROYED;
			d.detail = "destroyed";
		} else if (in->end == HV_END_CRASH) {
			d.reason = DOMAIN_REASON_CRASHED;
			d.detail = "crashed";
		} else {
			d.reason = DOMAIN_REASON_SHUTDOWN;
			d.detail = "shutdown";
		}
	} else {
		choose(in, &d);
	}
	/* A keel-hv that is gone leaves nothing to keep. */
	if (in->exited && d.action == ACTION_PRESERVE)
		d.action = ACTION_DESTROY;
	if (in->exited && d.action == ACTION_RENAME_RESTART)
		d.action = ACTION_RESTART;
	if (d.action == ACTION_RESTART || d.action == ACTION_RENAME_RESTART)
		brake(in, &d);
	if (d.gave_up) {
		/* rename-restart still keeps the stopped VM, as preserve. */
		d.action = d.action == ACTION_RENAME_RESTART ? ACTION_PRESERVE :
							       ACTION_DESTROY;
	}
	if (action_keeps(d.action)) {
		if (d.reason == DOMAIN_REASON_CRASHED) {
			d.kept_state = DOMAIN_CRASHED;
			d.kept_reason = DOMAIN_REASON_PANICKED;
			d.kept_event = "crashed";
			d.kept_detail = "panicked";
		} else {
			d.kept_state = DOMAIN_PAUSED;
			d.kept_reason = DOMAIN_REASON_SHUTDOWN;
			d.kept_event = "shutdown";
			d.kept_detail = "finished";
		}
	}
	/* Only a restart that is done makes a reset a reboot. */
	if (d.action != ACTION_RESTART)
		d.rebooted = NULL;
	/* destroy and restart need the lingering keel-hv ended first. */
	d.kill_first = !in->exited && (d.action == ACTION_DESTROY ||
				       d.action == ACTION_RESTART);
	d.forget = !in->persistent && d.action == ACTION_DESTROY;
	*out = d;
}
