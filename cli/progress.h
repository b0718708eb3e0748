/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_CLI_PROGRESS_H
#define KEEL_CLI_PROGRESS_H

/*
 * The progress bar of keel's long calls (save, restore, migrate): on a
 * terminal, a child process with its own connection subscribes to
 * events before the call and draws keeld's "progress" events for one
 * job on stderr, since the call itself blocks until the work is done.
 * Without a terminal (or when the bar cannot start) nothing is drawn,
 * as keel is silent in scripts.
 */

#include <stddef.h>
#include <sys/types.h>

#include "commands.h"

struct keel_event;

struct progress_bar {
	const char *job;	/* the events' job: "save", "migrate" */
	const char *dom;	/* a name or uuid; NULL: any domain */
	const char *label;	/* "Saving web" */
	/*
	 * NULL: "done/total MiB" follows the bar. Otherwise what follows
	 * it, written by this from the event (its raw params) into @buf.
	 */
	void (*detail)(const struct keel_event *ev, char *buf, size_t size);
	pid_t pid;		/* the child; 0 when there is no bar */
};

/* Start @b's child if stderr is a terminal; @b must outlive the call. */
void progress_bar_start(const struct cli *cli, struct progress_bar *b);

/* End the child, if any, and clear its line. Idempotent. */
void progress_bar_stop(struct progress_bar *b);

#endif /* KEEL_CLI_PROGRESS_H */
