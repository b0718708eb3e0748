/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_DECIDE_H
#define KEEL_DAEMON_DECIDE_H

/*
 * What happens to a domain when its VM ends (man/keeld.8, DOMAIN
 * LIFECYCLE, Actions): how it ended, what a user asked for and the
 * domain's on_poweroff/on_reboot/on_crash give an action, the state and
 * events it leads to, and the restart brake's verdict. A pure function
 * of its inputs, so that every combination is tested
 * (tests/unit/check_decide.c); lifecycle.c carries the decision out.
 */

#include <stdbool.h>

#include <json-c/json.h>

#include "hv.h"
#include "registry.h"

/* The on_* actions of schemas/domain.schema.json. */
enum action {
	ACTION_DESTROY,
	ACTION_RESTART,
	ACTION_PRESERVE,
	ACTION_RENAME_RESTART,
};

/* What keeld itself asked of the domain, which colours how it ended. */
enum intent {
	INTENT_NONE,
	INTENT_SHUTDOWN,	/* power button sent */
	INTENT_FORCED,		/* shutdown timed out: keeld killed it */
	INTENT_REBOOT,		/* power button, then start again */
	INTENT_DESTROY,
};

/*
 * The restart brake (keeld.8): a run shorter than RESTART_QUICK_S is a
 * quick end; the first is restarted at once, the next ones after 1, 2,
 * 4, 8 s (at most RESTART_MAX_DELAY_S); after RESTART_BURST quick ends
 * in a row the domain is not restarted any more, as systemd does with
 * Restart= and StartLimitBurst=.
 */
#define RESTART_QUICK_S 60
#define RESTART_BURST 5
#define RESTART_MAX_DELAY_S 30

struct decide_in {
	enum hv_end end;	/* how the VM ended */
	enum intent intent;	/* what keeld had asked for */
	enum action on_poweroff, on_reboot, on_crash;
	/*
	 * keel-hv has exited: nothing is left to preserve. Else it lingers
	 * with the stopped VM.
	 */
	bool exited;
	/*
	 * The VM had ended before and was preserved; now its keel-hv is
	 * gone too: the action was applied already, and the domain only
	 * stops (@end says whether it had crashed).
	 */
	bool preserved;
	bool persistent;	/* false: a transient domain */
	unsigned quick_ends;	/* the brake: quick ends in a row so far */
	double ran_s;		/* how long this run lasted */
};

struct decision {
	enum action action;	/* what is carried out */
	/* keel-hv lingers but the action needs it gone: end it first. */
	bool kill_first;
	/*
	 * The domain's end: shutoff for @reason, its "stopped" event with
	 * @detail (for preserve: only if the brake gave up).
	 */
	enum domain_reason reason;
	const char *detail;
	/*
	 * preserve and rename-restart: the state the stopped VM is kept in,
	 * and the event that says so.
	 */
	enum domain_state kept_state;
	enum domain_reason kept_reason;
	const char *kept_event, *kept_detail;
	/*
	 * A reset the restart action restarts (keeld.8, the "rebooted"
	 * event): who asked, "guest" or "host" (domain.reboot); else NULL.
	 */
	const char *rebooted;
	/* restart and rename-restart: start again after @delay_s seconds. */
	int delay_s;
	bool gave_up;		/* the brake: a restart that is not done */
	unsigned quick_ends;	/* the brake's count from now on */
	bool forget;		/* a transient domain disappears */
};

/* Decide what follows @in (see struct decision). */
void decide_action(const struct decide_in *in, struct decision *out);

/*
 * An action's name as in the configuration, and back (@dflt for NULL or
 * a name keel does not know: the schema refused those already).
 */
const char *decide_action_name(enum action action);
enum action decide_action_parse(const char *name, enum action dflt);

/*
 * The VM ends whose on_* is coredump-destroy or coredump-restart, as
 * keel-hv's --dump-on list ("crash,reboot") in @buf (@size bytes: 32 is
 * plenty), or NULL when there are none.
 */
const char *decide_dump_on(struct json_object *config, char *buf,
			   size_t size);

/* Fill @in's on_* from @config, with keel.cfg(5)'s defaults. */
void decide_config(struct json_object *config, struct decide_in *in);

/*
 * Does @config want keel-hv to keep a stopped VM (one of its actions is
 * preserve or rename-restart)?
 */
bool decide_wants_linger(struct json_object *config);

#endif /* KEEL_DAEMON_DECIDE_H */
