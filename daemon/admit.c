// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Admission and the memory budget of keeld's clients (admit.h,
 * keeld.8 LIMITS). The counts are what a hostile local user would
 * otherwise exhaust: descriptors (one a connection, two a console
 * relay) and memory (what a client sends without a newline, what it
 * leaves unread).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <event2/event.h>

#include "conf.h"
#include "admit.h"
#include "log.h"
#include "monotime.h"

/*
 * Descriptors keeld keeps for itself (listeners, epoll, pid file,
 * logs, signals, the files it reads and writes) before it shares the
 * rest out between clients and domains.
 */
#define ADMIT_FD_RESERVE 64
/* Bounds of the derived max_clients, and of per_uid. */
#define ADMIT_MIN_CLIENTS 8
#define ADMIT_MAX_CLIENTS 4096
#define ADMIT_MAX_PER_UID 128
/*
 * Give freed memory back to the system once this much of clients'
 * buffers was freed and they have held less than ADMIT_TRIM_QUIET for
 * ADMIT_TRIM_DELAY_MS: a trim in a heap full of holes costs a system
 * call a hole (on a virtual machine, tens of milliseconds in all), so
 * not while clients come and go, only once they have gone.
 */
#define ADMIT_TRIM_AFTER (1024 * 1024)
#define ADMIT_TRIM_QUIET (1024 * 1024)
#define ADMIT_TRIM_DELAY_MS 1000

#define UID_BUCKETS 256

struct uid_count {
	uid_t uid;
	unsigned n;
	struct uid_count *next;
};

struct admit {
	struct admit_settings set;
	long long cpu_window_ms;	/* when the CPU window began */
	long long cpu_us;		/* spent in it under the share */
	unsigned nr_clients;
	size_t used;		/* charged by clients under the budget */
	size_t used_peak;	/* the most since the trim timer was set */
	size_t freed;		/* since the last trim */
	struct event *trim;
	struct uid_count *uids[UID_BUCKETS];
};

static unsigned clamp(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * The free pages that a storm of clients left in the middle of the
 * heap stay in keeld's RSS until something returns them; glibc's
 * free() only trims the top.
 */
static const struct timeval trim_delay = {
	.tv_sec = ADMIT_TRIM_DELAY_MS / 1000,
	.tv_usec = ADMIT_TRIM_DELAY_MS % 1000 * 1000,
};

static void admit_trim(evutil_socket_t fd, short what, void *arg)
{
	struct admit *a = arg;

	if (a->used_peak >= ADMIT_TRIM_QUIET) {
		/* Clients still come and go: look again later. */
		a->used_peak = a->used;
		evtimer_add(a->trim, &trim_delay);
		return;
	}
	a->freed = 0;
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

static void admit_freed(struct admit *a, size_t bytes)
{
	a->freed += bytes;
	if (a->freed >= ADMIT_TRIM_AFTER && a->trim &&
	    !evtimer_pending(a->trim, NULL)) {
		a->used_peak = a->used;
		evtimer_add(a->trim, &trim_delay);
	}
}

int admit_new(const struct keeld_conf *conf, struct event_base *base,
	       unsigned long nofile, struct admit **out)
{
	struct admit *a = calloc(1, sizeof(*a));
	struct admit_settings *s;
	unsigned long share;

	if (!a)
		return -ENOMEM;
	s = &a->set;
	/*
	 * A quarter of what keeld does not keep for itself: a client
	 * takes one descriptor and a console relay a second, which
	 * leaves the other half to running domains (a pidfd and a
	 * control socket each).
	 */
	share = nofile > ADMIT_FD_RESERVE ?
			(nofile - ADMIT_FD_RESERVE) / 4 : 0;
	s->max_clients = conf->max_clients ?
				 conf->max_clients :
				 clamp(share > ADMIT_MAX_CLIENTS ?
					       ADMIT_MAX_CLIENTS :
					       (unsigned)share,
				       ADMIT_MIN_CLIENTS, ADMIT_MAX_CLIENTS);
	s->per_uid = conf->max_clients_per_uid ?
			     conf->max_clients_per_uid :
			     clamp(s->max_clients / 8, 2, ADMIT_MAX_PER_UID);
	s->root_reserve = clamp(s->max_clients / 16, 2, 64);
	if (s->root_reserve >= s->max_clients)
		s->root_reserve = s->max_clients / 2;
	s->max_lingering = clamp(s->max_clients / 8, 4, 256);
	s->budget = (size_t)conf->client_memory * 1024 * 1024;
	s->idle_timeout = conf->client_idle_timeout;
	a->trim = evtimer_new(base, admit_trim, a);
	if (!a->trim) {
		free(a);
		return -ENOMEM;
	}
	if (2 * (unsigned long)s->max_clients + s->max_lingering +
		    ADMIT_FD_RESERVE > nofile)
		log_warn("max_clients = %u may need more descriptors than the limit of %lu allows; keeld then stops accepting connections for a while when it runs out.",
			 s->max_clients, nofile);
	log_info("Clients: at most %u connections, %u per uid, the last %u kept for root on keeld.sock; %u MiB for their buffers.",
		 s->max_clients, s->per_uid, s->root_reserve,
		 conf->client_memory);
	if (s->idle_timeout)
		log_info("Read-only clients that send no request for %u s are closed.",
			 s->idle_timeout);
	*out = a;
	return 0;
}

void admit_free(struct admit *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < UID_BUCKETS; i++) {
		while (a->uids[i]) {
			struct uid_count *u = a->uids[i];

			a->uids[i] = u->next;
			free(u);
		}
	}
	if (a->trim)
		event_free(a->trim);
	free(a);
}

const struct admit_settings *admit_settings(const struct admit *a)
{
	return &a->set;
}

unsigned admit_nr_clients(const struct admit *a)
{
	return a->nr_clients;
}

/* The link to @uid's count in its bucket; *link is NULL if it has none. */
static struct uid_count **uid_find(struct admit *a, uid_t uid)
{
	struct uid_count **pp = &a->uids[uid % UID_BUCKETS];

	while (*pp && (*pp)->uid != uid)
		pp = &(*pp)->next;
	return pp;
}

enum admit_verdict admit_client(struct admit *a, struct client_slot *s,
				 uid_t uid, bool root)
{
	struct uid_count **pp = NULL;

	*s = (struct client_slot){ .uid = uid, .root = root };
	if (a->nr_clients >= a->set.max_clients ||
	    (!root &&
	     a->nr_clients + a->set.root_reserve >= a->set.max_clients))
		return ADMIT_TOTAL;
	if (!root) {
		pp = uid_find(a, uid);
		if (*pp && (*pp)->n >= a->set.per_uid)
			return ADMIT_PER_UID;
		if (!*pp) {
			*pp = calloc(1, sizeof(**pp));
			if (!*pp)
				return ADMIT_NOMEM;
			(*pp)->uid = uid;
		}
		(*pp)->n++;
	}
	a->nr_clients++;
	s->admitted = true;
	return ADMIT_OK;
}

void admit_leave(struct admit *a, struct client_slot *s)
{
	struct uid_count **pp, *u;

	if (!s->admitted)
		return;
	admit_charge(a, s, 0);
	a->nr_clients--;
	if (!s->root) {
		pp = uid_find(a, s->uid);
		u = *pp;
		if (u && --u->n == 0) {
			*pp = u->next;
			free(u);
		}
	}
	s->admitted = false;
}

bool admit_charge(struct admit *a, struct client_slot *s, size_t bytes)
{
	size_t old = s->charged;

	s->charged = bytes;
	if (bytes < old)
		admit_freed(a, old - bytes);
	if (s->root)
		return true;
	a->used = a->used - old + bytes;
	if (a->used > a->used_peak)
		a->used_peak = a->used;
	return a->used <= a->set.budget;
}

bool admit_fits(const struct admit *a, const struct client_slot *s,
		 size_t more)
{
	return s->root || a->used + more <= a->set.budget;
}

/* Start a new window if the current one is over. Returns now. */
static long long admit_cpu_window(struct admit *a)
{
	long long now = monotime_ms();

	if (now - a->cpu_window_ms >= ADMIT_CPU_WINDOW_MS) {
		a->cpu_window_ms = now;
		a->cpu_us = 0;
	}
	return now;
}

void admit_cpu_charge(struct admit *a, long long us)
{
	admit_cpu_window(a);
	a->cpu_us += us;
}

long long admit_cpu_wait_ms(struct admit *a)
{
	long long now = admit_cpu_window(a);

	if (a->cpu_us < ADMIT_CPU_WINDOW_MS * 1000LL * ADMIT_CPU_SHARE / 100)
		return 0;
	return a->cpu_window_ms + ADMIT_CPU_WINDOW_MS - now;
}
