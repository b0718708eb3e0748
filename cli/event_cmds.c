// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel events: subscribe and print one line per event until SIGINT or
 * SIGTERM (exit 0) or until keeld goes away (exit 1). Each line is
 * flushed at once, so `keel events | grep ...` sees it as it happens.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "keel.h"

static volatile sig_atomic_t events_stop;

static void events_on_signal(int sig)
{
	events_stop = 1;
}

/* "2026-11-30T12:34:56.789012Z web started booted" */
static void events_print_line(const struct keel_event *ev)
{
	time_t secs = (time_t)ev->timestamp;
	long usec = (long)((ev->timestamp - (double)secs) * 1e6);
	char when[32] = "-";
	struct tm tm;

	if (gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s.%06ldZ %s %s %s\n", when, usec, ev->domain.name,
	       ev->event ? ev->event : "-", ev->detail ? ev->detail : "-");
}

static void events_print(struct keel_conn *c, const struct keel_event *ev,
			 void *opaque)
{
	const bool *json = opaque;
	const int flags = JSON_C_TO_STRING_PLAIN |
			  JSON_C_TO_STRING_NOSLASHESCAPE;

	if (*json)
		puts(json_object_to_json_string_ext(ev->raw, flags));
	else
		events_print_line(ev);
	fflush(stdout);
}

int cmd_events(struct cli *cli, const struct cli_args *args)
{
	bool json = cli_flag(args, CLI_OPT_JSON);
	struct sigaction sa;
	struct pollfd pfd;
	int rc = cli_connect(cli);

	if (rc)
		return rc;
	keel_set_event_callback(cli->conn, events_print, &json);
	if (keel_events_subscribe(cli->conn))
		return cli_call_failed(cli);

	/* No SA_RESTART: the signal must wake poll() below. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = events_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	pfd.fd = keel_event_fd(cli->conn);
	pfd.events = POLLIN;
	while (!events_stop) {
		int n;

		/* Events that came in with the subscribe answer first. */
		if (!keel_event_pending(cli->conn)) {
			n = poll(&pfd, 1, -1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				cli_error("Cannot wait for events: %s.",
					  strerror(errno));
				return CLI_FAIL;
			}
		}
		if (keel_event_dispatch(cli->conn) < 0) {
			cli_error("The connection to keeld was lost; no more events will come.");
			return CLI_FAIL;
		}
	}
	return CLI_OK;
}
