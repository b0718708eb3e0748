/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_REGISTRY_H
#define KEEL_DAEMON_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

struct jschema;

/*
 * A domain's state and the reason for it, named after libvirt's
 * virDomainState and its per-state reasons (VIR_DOMAIN_SHUTOFF,
 * VIR_DOMAIN_SHUTOFF_UNKNOWN, ...), so the libvirt driver maps them 1:1.
 */
enum domain_state {
	DOMAIN_SHUTOFF,
};

enum domain_reason {
	DOMAIN_REASON_UNKNOWN,
};

#define DOMAIN_UUID_LEN 36

struct domain {
	struct json_object *config;	/* owned; "name" and "uuid" kept in it */
	const char *name;		/* borrowed from config */
	char uuid[DOMAIN_UUID_LEN + 1];	/* lower case */
	int id;				/* numeric id while running, else -1 */
	enum domain_state state;
	enum domain_reason reason;
	bool persistent;
	bool autostart;
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

/* Delete @dom's definition and free it. Returns 0 or -errno. */
int registry_undefine(struct registry *reg, struct domain *dom);

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

/* "shutoff", ...: libvirt's state names in lower case. */
const char *domain_state_name(enum domain_state state);
const char *domain_reason_name(enum domain_reason reason);

/*
 * @dom's summary as domain.list reports it: {name, uuid, id, state,
 * reason, persistent, autostart}. NULL when out of memory.
 */
struct json_object *domain_summary(const struct domain *dom);

#endif /* KEEL_DAEMON_REGISTRY_H */
