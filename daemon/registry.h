/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_REGISTRY_H
#define KEEL_DAEMON_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* json_file_write(), which keeld writes its JSON files with. */
#include "json_file.h"

struct jschema;

/*
 * A domain's state and the reason for it, named after libvirt's
 * virDomainState and its per-state reasons (VIR_DOMAIN_SHUTOFF,
 * VIR_DOMAIN_SHUTOFF_UNKNOWN, ...), so the libvirt driver maps them 1:1.
 */
enum domain_state {
	DOMAIN_NOSTATE = 0,
	DOMAIN_RUNNING = 1,
	DOMAIN_BLOCKED = 2,
	DOMAIN_PAUSED = 3,
	DOMAIN_SHUTDOWN = 4,	/* being shut down */
	DOMAIN_SHUTOFF = 5,
	DOMAIN_CRASHED = 6,	/* stopped by a crash and preserved */
	DOMAIN_PMSUSPENDED = 7,
};

/*
 * The reasons keel gives, one flat list: libvirt has one enum per state
 * and several states share a reason's name (paused/user, shutdown/user;
 * shutoff/shutdown, paused/shutdown), so the name is what is mapped.
 */
enum domain_reason {
	DOMAIN_REASON_UNKNOWN,
	DOMAIN_REASON_BOOTED,		/* running */
	DOMAIN_REASON_UNPAUSED,		/* running */
	DOMAIN_REASON_USER,		/* paused, shutdown */
	DOMAIN_REASON_SHUTDOWN,		/* shutoff; paused: preserved */
	DOMAIN_REASON_DESTROYED,	/* shutoff */
	DOMAIN_REASON_CRASHED,		/* shutoff */
	DOMAIN_REASON_FAILED,		/* shutoff: could not start */
	DOMAIN_REASON_DAEMON,		/* shutoff: keeld lost it */
	DOMAIN_REASON_PANICKED,		/* crashed: preserved */
	DOMAIN_REASON_SAVED,		/* shutoff: saved to a file */
	DOMAIN_REASON_RESTORED,		/* running: restored from a file */
	DOMAIN_REASON_MIGRATING,	/* running, paused: being migrated */
	DOMAIN_REASON_INCOMING,		/* paused: a migration's destination */
	DOMAIN_REASON_MIGRATED,		/* running: came in; shutoff: left */
};

#define DOMAIN_UUID_LEN 36

struct domain {
	struct json_object *config;	/* owned; "name" and "uuid" kept in it */
	const char *name;		/* borrowed from config */
	char uuid[DOMAIN_UUID_LEN + 1];	/* lower case */
	int id;				/* numeric id while running, else -1 */
	enum domain_state state;
	enum domain_reason reason;
	bool persistent;		/* false: transient, gone when it stops */
	bool autostart;
	struct domain_run *run;		/* lifecycle.c's, while running */
	struct domain_restart *restart;	/* lifecycle.c's, while it waits */
	unsigned quick_ends;		/* runs in a row that ended soon */
	/*
	 * It rebooted: its "stopped" and next "started" are the reboot's
	 * (lifecycle.c), until that start is done or failed.
	 */
	bool rebooting;
	struct domain *next;
};

struct registry;

/*
 * A registry whose persistent definitions live in @state_dir/domains
 * (created if missing). Returns 0 and *@out, or -errno.
 */
int registry_new(const char *state_dir, struct registry **out);

/* Free the registry and its in-memory domains (files stay). NULL is ok. */
void registry_free(struct registry *reg);

/*
 * Load every STATE_DIR/domains/UUID.json. A file that cannot be read,
 * is not valid JSON, fails @config_schema (may be NULL) or clashes with
 * a domain already loaded is logged and skipped. Returns the number of
 * domains loaded, or -errno when the directory cannot be read.
 */
int registry_load(struct registry *reg, const struct jschema *config_schema);

/* The first domain (then ->next), in definition order; NULL if none. */
struct domain *registry_first(struct registry *reg);
size_t registry_count(const struct registry *reg);

struct domain *registry_find_name(struct registry *reg, const char *name);
/* @uuid in any case. */
struct domain *registry_find_uuid(struct registry *reg, const char *uuid);

/*
 * Define a persistent domain from @config (owned, even on failure; a
 * valid domain configuration). A missing "uuid" is filled in with a
 * random one; the uuid is stored in lower case. Returns 0 and *@out,
 * -EEXIST with *@field set to "/name" or "/uuid" when another domain
 * has that name or uuid, or -errno when the definition cannot be
 * written.
 */
int registry_define(struct registry *reg, struct json_object *config,
		    struct domain **out, const char **field);

/*
 * Add a transient domain (domain.create) from @config (owned, even on
 * failure): like registry_define(), but nothing is written.
 */
int registry_add_transient(struct registry *reg, struct json_object *config,
			   struct domain **out, const char **field);

/*
 * Delete @dom's definition but keep it as a transient domain: a running
 * domain that is undefined goes on (as in libvirt); a stopped one is
 * then forgotten by the caller, once it has said so. Returns 0, or
 * -errno when the definition could not be removed (nothing changed).
 */
int registry_make_transient(struct registry *reg, struct domain *dom);

/*
 * Write @dom's definition: a transient domain becomes persistent (a
 * persistent domain migrated in). Returns 0, or -errno when it cannot
 * be written (it stays transient).
 */
int registry_make_persistent(struct registry *reg, struct domain *dom);

/* Unlink and free a transient domain (dom->run must be gone). */
void registry_forget(struct registry *reg, struct domain *dom);

/*
 * Give @dom the name @name (copied). Returns 0, -EEXIST when another
 * domain has it, or -errno when the definition cannot be written (the
 * old name is kept then).
 */
int registry_rename(struct registry *reg, struct domain *dom,
		    const char *name);

/* Set @dom's autostart flag and save it. Returns 0 or -errno. */
int registry_set_autostart(struct registry *reg, struct domain *dom,
			   bool autostart);

/*
 * Set @dom's configuration member @key to @value (owned; NULL removes
 * the member) and save the definition. Returns 0, or -errno when it
 * cannot be written (the old value is kept then).
 */
int registry_set_member(struct registry *reg, struct domain *dom,
			const char *key, struct json_object *value);
/*
 * Set each member of @members (borrowed; a null value removes the
 * member) in @dom's configuration and save the definition of a
 * persistent domain: settings changed on a defined or running domain
 * (domain.set_sched). Not for "name" or "uuid". Returns 0, or -errno
 * when the definition could not be written (the configuration is as it
 * was then).
 */
int registry_set_members(struct registry *reg, struct domain *dom,
			 struct json_object *members);

/* "shutoff", ...: libvirt's state names in lower case. */
const char *domain_state_name(enum domain_state state);
const char *domain_reason_name(enum domain_reason reason);
/* The reverse; -EINVAL for a name keel does not use. */
int domain_state_parse(const char *name, enum domain_state *out);
int domain_reason_parse(const char *name, enum domain_reason *out);

/* The string member @key of @o, or NULL when absent or not a string. */
const char *json_member_string(struct json_object *o, const char *key);

#endif /* KEEL_DAEMON_REGISTRY_H */
