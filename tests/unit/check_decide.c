// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What keeld does when a VM ends (daemon/decide.c): the action for each
 * way it can end and each thing a user asked for, the state and events
 * it leads to, the restart brake, and the rules that hold for every
 * combination (man/keeld.8, DOMAIN LIFECYCLE).
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "decide.h"
#include "runner.h"

#define D ACTION_DESTROY
#define R ACTION_RESTART
#define P ACTION_PRESERVE
#define RR ACTION_RENAME_RESTART

/* A run that lasted: the brake does not come into it. */
#define LONG_RUN (RESTART_QUICK_S + 1.0)

static struct decision decide(enum hv_end end, enum intent intent,
			      enum action poweroff, enum action reboot,
			      enum action crash, bool exited)
{
	struct decide_in in = {
		.end = end, .intent = intent, .on_poweroff = poweroff,
		.on_reboot = reboot, .on_crash = crash, .exited = exited,
		.persistent = true, .ran_s = LONG_RUN,
	};
	struct decision d;

	decide_action(&in, &d);
	return d;
}

/*
 * Which on_* applies, and the reason and detail of the end, for every
 * end and intent. The configured actions differ (destroy, restart,
 * preserve) so that the table shows which one was taken; keel-hv
 * lingers, so preserve stays preserve.
 */
START_TEST(test_which_action)
{
	static const struct {
		enum hv_end end;
		enum intent intent;
		enum action action;
		enum domain_reason reason;
		const char *detail;
	} t[] = {
		/* The guest powered off: on_poweroff (here destroy). */
		{ HV_END_POWEROFF, INTENT_NONE, D, DOMAIN_REASON_SHUTDOWN,
		  "shutdown" },
		{ HV_END_POWEROFF, INTENT_SHUTDOWN, D, DOMAIN_REASON_SHUTDOWN,
		  "shutdown" },
		/* ... after a user's reboot: on_reboot (here restart). */
		{ HV_END_POWEROFF, INTENT_REBOOT, R, DOMAIN_REASON_SHUTDOWN,
		  "shutdown" },
		{ HV_END_POWEROFF, INTENT_DESTROY, D, DOMAIN_REASON_DESTROYED,
		  "destroyed" },
		/* The guest reset itself: on_reboot (here restart). */
		{ HV_END_REBOOT, INTENT_NONE, R, DOMAIN_REASON_SHUTDOWN,
		  "shutdown" },
		{ HV_END_REBOOT, INTENT_SHUTDOWN, R, DOMAIN_REASON_SHUTDOWN,
		  "shutdown" },
		{ HV_END_REBOOT, INTENT_REBOOT, R, DOMAIN_REASON_SHUTDOWN,
		  "shutdown" },
		{ HV_END_REBOOT, INTENT_DESTROY, D, DOMAIN_REASON_DESTROYED,
		  "destroyed" },
		/* A crash: on_crash (here preserve). */
		{ HV_END_CRASH, INTENT_NONE, P, DOMAIN_REASON_CRASHED,
		  "crashed" },
		{ HV_END_CRASH, INTENT_SHUTDOWN, P, DOMAIN_REASON_CRASHED,
		  "crashed" },
		{ HV_END_CRASH, INTENT_REBOOT, P, DOMAIN_REASON_CRASHED,
		  "crashed" },
		/* Killed by keeld's shutdown timeout: as a power-off. */
		{ HV_END_CRASH, INTENT_FORCED, D, DOMAIN_REASON_DESTROYED,
		  "destroyed" },
		{ HV_END_CRASH, INTENT_DESTROY, D, DOMAIN_REASON_DESTROYED,
		  "destroyed" },
		/* keel-hv failed while running, or vanished: a crash. */
		{ HV_END_ERROR, INTENT_NONE, P, DOMAIN_REASON_CRASHED,
		  "crashed" },
		{ HV_END_LOST, INTENT_NONE, P, DOMAIN_REASON_CRASHED,
		  "crashed" },
		{ HV_END_LOST, INTENT_SHUTDOWN, P, DOMAIN_REASON_CRASHED,
		  "crashed" },
		{ HV_END_LOST, INTENT_FORCED, D, DOMAIN_REASON_DESTROYED,
		  "destroyed" },
		{ HV_END_ERROR, INTENT_DESTROY, D, DOMAIN_REASON_DESTROYED,
		  "destroyed" },
		/* SIGTERM from someone else: no action. */
		{ HV_END_KILLED, INTENT_NONE, D, DOMAIN_REASON_DESTROYED,
		  "destroyed" },
		{ HV_END_KILLED, INTENT_SHUTDOWN, D, DOMAIN_REASON_DESTROYED,
		  "destroyed" },
		{ HV_END_KILLED, INTENT_REBOOT, D, DOMAIN_REASON_DESTROYED,
		  "destroyed" },
		/* keeld's timeout killed it: on_poweroff. */
		{ HV_END_KILLED, INTENT_FORCED, D, DOMAIN_REASON_DESTROYED,
		  "destroyed" },
		{ HV_END_KILLED, INTENT_DESTROY, D, DOMAIN_REASON_DESTROYED,
		  "destroyed" },
		/* Saved to a file and ended: no action, reason saved. */
		{ HV_END_SAVED, INTENT_NONE, D, DOMAIN_REASON_SAVED, "saved" },
		{ HV_END_SAVED, INTENT_SHUTDOWN, D, DOMAIN_REASON_SAVED,
		  "saved" },
		{ HV_END_SAVED, INTENT_DESTROY, D, DOMAIN_REASON_DESTROYED,
		  "destroyed" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct decision d = decide(t[i].end, t[i].intent, D, R, P,
					   false);

		ck_assert_msg(d.action == t[i].action,
			      "row %zu (%s, intent %d): action %s, want %s", i,
			      hv_end_name(t[i].end), t[i].intent,
			      decide_action_name(d.action),
			      decide_action_name(t[i].action));
		ck_assert_msg(d.reason == t[i].reason, "row %zu: reason %s", i,
			      domain_reason_name(d.reason));
		ck_assert_str_eq(d.detail, t[i].detail);
	}
}
END_TEST

/* A user's reboot takes on_reboot, whichever it is, not on_poweroff. */
START_TEST(test_reboot_takes_on_reboot)
{
	static const enum action actions[] = { D, R, P, RR };

	for (size_t i = 0; i < 4; i++) {
		struct decision d = decide(HV_END_POWEROFF, INTENT_REBOOT, D,
					   actions[i], D, false);

		ck_assert_msg(d.action == actions[i], "on_reboot %s: %s",
			      decide_action_name(actions[i]),
			      decide_action_name(d.action));
	}
}
END_TEST

/*
 * A reboot (the "rebooted" event): a reset, or a user's reboot, that
 * is restarted; who asked. Not one: a restart of another end, a reset
 * whose action keeps or ends the domain, a restart the brake refused.
 */
START_TEST(test_rebooted)
{
	struct decide_in in = {
		.end = HV_END_REBOOT, .on_poweroff = D, .on_reboot = R,
		.on_crash = R, .persistent = true,
		.quick_ends = RESTART_BURST, .ran_s = 0,
	};
	struct decision d;

	ck_assert_str_eq(decide(HV_END_REBOOT, INTENT_NONE, D, R, D, true)
				 .rebooted, "guest");
	ck_assert_str_eq(decide(HV_END_POWEROFF, INTENT_REBOOT, D, R, D, true)
				 .rebooted, "host");
	ck_assert_ptr_null(decide(HV_END_POWEROFF, INTENT_NONE, R, R, R, true)
				   .rebooted);
	ck_assert_ptr_null(decide(HV_END_CRASH, INTENT_NONE, R, R, R, true)
				   .rebooted);
	ck_assert_ptr_null(decide(HV_END_REBOOT, INTENT_NONE, R, D, R, true)
				   .rebooted);
	ck_assert_ptr_null(decide(HV_END_REBOOT, INTENT_NONE, R, P, R, false)
				   .rebooted);
	ck_assert_ptr_null(decide(HV_END_REBOOT, INTENT_NONE, R, RR, R, false)
				   .rebooted);
	decide_action(&in, &d);
	ck_assert(d.gave_up);
	ck_assert_ptr_null(d.rebooted);
}
END_TEST

/* The forced shutdown takes on_poweroff, whichever it is. */
START_TEST(test_forced_takes_on_poweroff)
{
	static const enum action actions[] = { D, R, P, RR };

	for (size_t i = 0; i < 4; i++) {
		struct decision k = decide(HV_END_KILLED, INTENT_FORCED,
					   actions[i], D, D, false);
		struct decision c = decide(HV_END_CRASH, INTENT_FORCED,
					   actions[i], D, D, false);

		ck_assert_int_eq(k.action, actions[i]);
		ck_assert_int_eq(c.action, actions[i]);
		/* Nor does on_crash or on_reboot come into it. */
		k = decide(HV_END_KILLED, INTENT_FORCED, D, actions[i],
			   actions[i], false);
		ck_assert_int_eq(k.action, D);
	}
}
END_TEST

/*
 * A keel-hv that is gone leaves nothing to keep: preserve is destroy,
 * rename-restart is restart. While it lingers, destroy and restart
 * end it first.
 */
START_TEST(test_exited_or_lingering)
{
	static const struct {
		enum action configured;
		bool exited;
		enum action action;
		bool kill_first;
	} t[] = {
		{ D, true, D, false },	 { D, false, D, true },
		{ R, true, R, false },	 { R, false, R, true },
		{ P, true, D, false },	 { P, false, P, false },
		{ RR, true, R, false },	 { RR, false, RR, false },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct decision d = decide(HV_END_POWEROFF, INTENT_NONE,
					   t[i].configured, D, D, t[i].exited);

		ck_assert_msg(d.action == t[i].action, "row %zu: %s", i,
			      decide_action_name(d.action));
		ck_assert_msg(d.kill_first == t[i].kill_first, "row %zu", i);
	}
}
END_TEST

/* What a kept VM shows: crashed/panicked, or paused/shutdown. */
START_TEST(test_kept_state)
{
	struct decision d;

	d = decide(HV_END_CRASH, INTENT_NONE, D, D, P, false);
	ck_assert_int_eq(d.kept_state, DOMAIN_CRASHED);
	ck_assert_int_eq(d.kept_reason, DOMAIN_REASON_PANICKED);
	ck_assert_str_eq(d.kept_event, "crashed");
	ck_assert_str_eq(d.kept_detail, "panicked");

	d = decide(HV_END_POWEROFF, INTENT_NONE, P, D, D, false);
	ck_assert_int_eq(d.kept_state, DOMAIN_PAUSED);
	ck_assert_int_eq(d.kept_reason, DOMAIN_REASON_SHUTDOWN);
	ck_assert_str_eq(d.kept_event, "shutdown");
	ck_assert_str_eq(d.kept_detail, "finished");

	/* rename-restart keeps the VM as preserve does. */
	d = decide(HV_END_REBOOT, INTENT_NONE, D, RR, D, false);
	ck_assert_int_eq(d.action, RR);
	ck_assert_int_eq(d.kept_state, DOMAIN_PAUSED);
	ck_assert_str_eq(d.kept_event, "shutdown");
	d = decide(HV_END_LOST, INTENT_NONE, D, D, RR, false);
	ck_assert_int_eq(d.kept_state, DOMAIN_CRASHED);
	ck_assert_str_eq(d.kept_detail, "panicked");

	/* Nothing is kept by destroy or restart. */
	d = decide(HV_END_CRASH, INTENT_NONE, D, D, R, true);
	ck_assert_ptr_null(d.kept_event);
}
END_TEST

/*
 * The brake (keeld.8): the delays after each quick end in a row, and
 * the give-up after RESTART_BURST of them.
 */
START_TEST(test_brake)
{
	static const struct {
		unsigned before;
		double ran_s;
		enum intent intent;
		int delay_s;
		bool gave_up;
		unsigned after;
	} t[] = {
		{ 0, 1, INTENT_NONE, 0, false, 1 },
		{ 1, 1, INTENT_NONE, 1, false, 2 },
		{ 2, 1, INTENT_NONE, 2, false, 3 },
		{ 3, 1, INTENT_NONE, 4, false, 4 },
		{ 4, 1, INTENT_NONE, 8, false, 5 },
		{ 5, 1, INTENT_NONE, 0, true, 0 },
		/* A run that lasted forgives the count. */
		{ 4, RESTART_QUICK_S, INTENT_NONE, 0, false, 0 },
		{ 5, LONG_RUN, INTENT_NONE, 0, false, 0 },
		/* So does a user's reboot, however quick. */
		{ 5, 0, INTENT_REBOOT, 0, false, 0 },
		{ 2, 0, INTENT_SHUTDOWN, 2, false, 3 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct decide_in in = {
			.end = HV_END_REBOOT, .intent = t[i].intent,
			.on_poweroff = R, .on_reboot = R, .on_crash = D,
			.exited = true, .persistent = true,
			.quick_ends = t[i].before, .ran_s = t[i].ran_s,
		};
		struct decision d;

		decide_action(&in, &d);
		ck_assert_msg(d.delay_s == t[i].delay_s, "row %zu: delay %d",
			      i, d.delay_s);
		ck_assert_msg(d.gave_up == t[i].gave_up, "row %zu", i);
		ck_assert_msg(d.quick_ends == t[i].after,
			      "row %zu: quick_ends %u", i, d.quick_ends);
		ck_assert_int_eq(d.action, t[i].gave_up ? D : R);
	}
}
END_TEST

/* Giving up: destroy, or for rename-restart keep the VM (preserve). */
START_TEST(test_brake_gives_up)
{
	struct decide_in in = {
		.end = HV_END_CRASH, .on_poweroff = D, .on_reboot = D,
		.on_crash = RR, .persistent = false,
		.quick_ends = RESTART_BURST, .ran_s = 0,
	};
	struct decision d;

	decide_action(&in, &d);
	ck_assert(d.gave_up);
	ck_assert_int_eq(d.action, P);
	ck_assert(!d.kill_first);
	ck_assert(!d.forget);
	ck_assert_int_eq(d.kept_state, DOMAIN_CRASHED);
	ck_assert_int_eq(d.reason, DOMAIN_REASON_CRASHED);

	/* Gone already: nothing to keep, and a transient one goes. */
	in.exited = true;
	decide_action(&in, &d);
	ck_assert(d.gave_up);
	ck_assert_int_eq(d.action, D);
	ck_assert(d.forget);

	/* Lingering with restart: ended first, then not restarted. */
	in.exited = false;
	in.on_crash = R;
	decide_action(&in, &d);
	ck_assert(d.gave_up);
	ck_assert_int_eq(d.action, D);
	ck_assert(d.kill_first);

	/* Actions that do not restart never touch the count. */
	in.on_crash = P;
	decide_action(&in, &d);
	ck_assert(!d.gave_up);
	ck_assert_uint_eq(d.quick_ends, RESTART_BURST);
}
END_TEST

/*
 * A VM that had been kept and whose keel-hv has now gone: the domain
 * only stops, whatever its actions say.
 */
START_TEST(test_preserved_gone)
{
	static const struct {
		enum hv_end end;
		enum intent intent;
		enum domain_reason reason;
		const char *detail;
	} t[] = {
		{ HV_END_POWEROFF, INTENT_NONE, DOMAIN_REASON_SHUTDOWN,
		  "shutdown" },
		{ HV_END_CRASH, INTENT_NONE, DOMAIN_REASON_CRASHED, "crashed" },
		{ HV_END_POWEROFF, INTENT_DESTROY, DOMAIN_REASON_DESTROYED,
		  "destroyed" },
		{ HV_END_CRASH, INTENT_DESTROY, DOMAIN_REASON_DESTROYED,
		  "destroyed" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct decide_in in = {
			.end = t[i].end, .intent = t[i].intent,
			.on_poweroff = RR, .on_reboot = RR, .on_crash = R,
			.exited = true, .preserved = true, .quick_ends = 3,
		};
		struct decision d;

		decide_action(&in, &d);
		ck_assert_msg(d.action == D, "row %zu", i);
		ck_assert_int_eq(d.reason, t[i].reason);
		ck_assert_str_eq(d.detail, t[i].detail);
		ck_assert(d.forget);
		ck_assert_uint_eq(d.quick_ends, 3);
		ck_assert_int_eq(d.delay_s, 0);
	}
}
END_TEST

/*
 * Every combination of end, intent, actions, exited, persistent and
 * brake: the rules that hold whatever the row.
 */
START_TEST(test_every_combination)
{
	static const enum action actions[] = { D, R, P, RR };
	static const unsigned quick[] = { 0, 1, RESTART_BURST };
	unsigned rows = 0;

	for (int end = HV_END_POWEROFF; end <= HV_END_SAVED; end++)
	for (int intent = INTENT_NONE; intent <= INTENT_DESTROY; intent++)
	for (int a = 0; a < 64; a++)
	for (int flags = 0; flags < 8; flags++)
	for (size_t q = 0; q < 3; q++) {
		struct decide_in in = {
			.end = (enum hv_end)end,
			.intent = (enum intent)intent,
			.on_poweroff = actions[a & 3],
			.on_reboot = actions[(a >> 2) & 3],
			.on_crash = actions[(a >> 4) & 3],
			.exited = flags & 1,
			.persistent = flags & 2,
			.preserved = flags & 4,
			.quick_ends = quick[q],
			.ran_s = q == 1 ? LONG_RUN : 0,
		};
		struct decision d;
		bool keeps, restarts;

		decide_action(&in, &d);
		keeps = d.action == P || d.action == RR;
		restarts = d.action == R || d.action == RR;
		rows++;
		/* Nothing is kept without a keel-hv to keep it. */
		ck_assert(!(in.exited && keeps));
		/* A lingering keel-hv is ended exactly when nothing keeps it. */
		ck_assert(d.kill_first == (!in.exited && !keeps));
		ck_assert((d.kept_event != NULL) == keeps);
		/* keeld's destroy applies no action. */
		if (in.intent == INTENT_DESTROY) {
			ck_assert_int_eq(d.action, D);
			ck_assert_int_eq(d.reason, DOMAIN_REASON_DESTROYED);
		}
		/* A saved VM ends the domain, whatever its on_*. */
		if (in.end == HV_END_SAVED && !in.preserved)
			ck_assert_int_eq(d.action, D);
		/* Only destroy loses a transient domain. */
		ck_assert(d.forget == (!in.persistent && d.action == D));
		/* The brake speaks only for restarts. */
		ck_assert(d.delay_s >= 0 && d.delay_s <= RESTART_MAX_DELAY_S);
		if (!restarts && !d.gave_up)
			ck_assert_uint_eq(d.quick_ends, in.quick_ends);
		if (d.delay_s)
			ck_assert(restarts);
		if (d.gave_up)
			ck_assert(!restarts && in.quick_ends == RESTART_BURST);
		ck_assert(d.quick_ends <= RESTART_BURST);
		ck_assert_ptr_nonnull(d.detail);
	}
	ck_assert_uint_eq(rows, 7 * 5 * 64 * 8 * 3);
}
END_TEST

START_TEST(test_config)
{
	struct json_object *c = json_tokener_parse(
		"{\"name\":\"a\",\"on_crash\":\"rename-restart\","
		"\"on_poweroff\":\"preserve\"}");
	struct decide_in in;

	decide_config(c, &in);
	ck_assert_int_eq(in.on_poweroff, P);
	ck_assert_int_eq(in.on_reboot, R);	/* keel.cfg.5's default */
	ck_assert_int_eq(in.on_crash, RR);
	ck_assert(decide_wants_linger(c));
	json_object_object_del(c, "on_crash");
	ck_assert(decide_wants_linger(c));
	json_object_object_del(c, "on_poweroff");
	ck_assert(!decide_wants_linger(c));
	decide_config(c, &in);
	ck_assert_int_eq(in.on_poweroff, D);
	ck_assert_int_eq(in.on_crash, D);
	json_object_object_add(c, "on_reboot",
			       json_object_new_string("preserve"));
	ck_assert(decide_wants_linger(c));
	json_object_put(c);

	for (int a = D; a <= RR; a++)
		ck_assert_int_eq(decide_action_parse(
					 decide_action_name((enum action)a), R),
				 a);
	/* xl's coredump-*: keel-hv writes the core, then as destroy/restart. */
	ck_assert_int_eq(decide_action_parse("coredump-destroy", R), D);
	ck_assert_int_eq(decide_action_parse("coredump-restart", D), R);
	ck_assert_int_eq(decide_action_parse("coredump-preserve", R), R);
	ck_assert_int_eq(decide_action_parse(NULL, P), P);
	ck_assert_str_eq(decide_action_name(RR), "rename-restart");
}
END_TEST

/* Which ends keel-hv writes a core for: those whose on_* is coredump-*. */
START_TEST(test_dump_on)
{
	struct json_object *c = json_object_new_object();
	char buf[32];

	ck_assert_ptr_null(decide_dump_on(c, buf, sizeof(buf)));
	json_object_object_add(c, "on_reboot",
			       json_object_new_string("coredump-restart"));
	ck_assert_str_eq(decide_dump_on(c, buf, sizeof(buf)), "reboot");
	json_object_object_add(c, "on_crash",
			       json_object_new_string("coredump-destroy"));
	json_object_object_add(c, "on_poweroff",
			       json_object_new_string("preserve"));
	ck_assert_str_eq(decide_dump_on(c, buf, sizeof(buf)), "crash,reboot");
	json_object_object_add(c, "on_poweroff",
			       json_object_new_string("coredump-destroy"));
	ck_assert_str_eq(decide_dump_on(c, buf, sizeof(buf)),
			 "crash,poweroff,reboot");
	/* A coredump action keeps nothing: keel-hv need not linger. */
	ck_assert(!decide_wants_linger(c));
	json_object_put(c);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("decide");
	TCase *tc = tcase_create("decide");

	tcase_add_test(tc, test_which_action);
	tcase_add_test(tc, test_forced_takes_on_poweroff);
	tcase_add_test(tc, test_reboot_takes_on_reboot);
	tcase_add_test(tc, test_rebooted);
	tcase_add_test(tc, test_exited_or_lingering);
	tcase_add_test(tc, test_kept_state);
	tcase_add_test(tc, test_brake);
	tcase_add_test(tc, test_brake_gives_up);
	tcase_add_test(tc, test_preserved_gone);
	tcase_add_test(tc, test_every_combination);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_dump_on);
	suite_add_tcase(s, tc);
	return s;
}
