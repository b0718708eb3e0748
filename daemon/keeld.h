/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_KEELD_H
#define KEEL_DAEMON_KEELD_H

#include "conf.h"
#include "migrate.h"

struct admit;
struct cgroup_host;
struct event_base;
struct methods;
struct relay;
struct registry;
struct server;

/* The daemon: what every method handler and the server reach. */
struct keeld {
	struct keeld_conf conf;
	struct event_base *base;
	struct admit *admit;	/* what clients may hold */
	struct methods *methods;
	struct registry *reg;
	struct server *server;
	int next_domain_id;	/* ids of running domains start at 1 */
	struct relay *relays;	/* console.c's */
	/* The host's cgroups; NULL: none, cgroup_why says why (cgroup_domain.c). */
	struct cgroup_host *cgroups;
	char cgroup_why[256];
	/* Incoming migrations that ended, for migration.status (a ring). */
	struct migrate_recent migrations_recent[MIGRATE_RECENT_TOKENS];
	unsigned migrations_recent_next;
};

#endif /* KEEL_DAEMON_KEELD_H */
