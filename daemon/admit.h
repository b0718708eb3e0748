/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_ADMIT_H
#define KEEL_DAEMON_ADMIT_H

/*
 * What keeld's clients may hold (keeld.8, LIMITS): connections in all
 * and per uid, with the last few places kept for root on keeld.sock,
 * and a budget of memory for the buffers of everyone else. server.c
 * asks before it takes a client in and before a client's buffers grow;
 * a console relay keeps the place of the connection it took over.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct event_base;
struct keeld_conf;
struct admit;

/*
 * One client's place: who it is and what it holds. Zeroed, it holds
 * nothing; admit_client() fills it, admit_leave() empties it.
 */
struct client_slot {
	uid_t uid;
	bool root;	/* root or keeld's user on keeld.sock: exempt */
	bool admitted;
	size_t charged;	/* bytes of its buffers counted in the budget */
};

/* The settings in force, resolved from keeld.conf and the fd limit. */
struct admit_settings {
	unsigned max_clients;	/* every client counts */
	unsigned per_uid;	/* for anyone but root on keeld.sock */
	unsigned root_reserve;	/* the last places of max_clients */
	unsigned max_lingering;	/* closing connections still drained */
	size_t budget;		/* bytes of buffers, but root's on keeld.sock */
	unsigned idle_timeout;	/* seconds; 0: none */
};

/*
 * Resolve @conf against the descriptor limit @nofile (keeld.8 says
 * how) and log the result. @base runs the timer that gives freed
 * memory back to the system. Returns 0 and *@out, or -ENOMEM.
 */
int admit_new(const struct keeld_conf *conf, struct event_base *base,
	       unsigned long nofile, struct admit **out);
void admit_free(struct admit *a);

const struct admit_settings *admit_settings(const struct admit *a);

/* Clients admitted and not yet left. */
unsigned admit_nr_clients(const struct admit *a);

enum admit_verdict {
	ADMIT_OK,
	ADMIT_PER_UID,		/* @uid has per_uid connections */
	ADMIT_TOTAL,		/* max_clients (less root's reserve) reached */
	ADMIT_NOMEM,
};

/*
 * Take a place for a client of @uid (@root: root or keeld's user on
 * keeld.sock) into @s. @s is left empty unless ADMIT_OK.
 */
enum admit_verdict admit_client(struct admit *a, struct client_slot *s,
				 uid_t uid, bool root);

/* Give @s's place and its charge back; @s is empty after. Idempotent. */
void admit_leave(struct admit *a, struct client_slot *s);

/*
 * @s's buffers now hold @bytes. Returns false when that takes the
 * budget past its end (never for root on keeld.sock); the charge is
 * counted either way, and the caller decides whom to drop.
 */
bool admit_charge(struct admit *a, struct client_slot *s, size_t bytes);

/* Would @more bytes on top of @s's charge fit in the budget? */
bool admit_fits(const struct admit *a, const struct client_slot *s,
		size_t more);

/*
 * keeld's time: clients other than root on keeld.sock get at most
 * ADMIT_CPU_SHARE percent of each ADMIT_CPU_WINDOW_MS. A keeld that is
 * never busy all the time is woken at once when root calls, however
 * busy the machine is.
 */
#define ADMIT_CPU_WINDOW_MS 100
#define ADMIT_CPU_SHARE 50

/* Count @us microseconds spent serving clients under the share. */
void admit_cpu_charge(struct admit *a, long long us);

/*
 * Milliseconds until those clients may be served again, 0 if now.
 * Never more than ADMIT_CPU_WINDOW_MS.
 */
long long admit_cpu_wait_ms(struct admit *a);

#endif /* KEEL_DAEMON_ADMIT_H */
