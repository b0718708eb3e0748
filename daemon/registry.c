// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The domain registry: every domain keeld knows, and the persistent
 * definitions behind them. A persistent domain is one file,
 * STATE_DIR/domains/UUID.json = {"version": 1, "autostart": BOOL,
 * "config": DOMAIN_CONFIG}, replaced atomically (temporary file, fsync,
 * rename, fsync of the directory) so that a crash leaves the old
 * definition or the new one, never half of either.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jschema.h"
#include "log.h"
#include "registry.h"

#define REGISTRY_FILE_VERSION 1

struct registry {
	char *dir;			/* STATE_DIR/domains */
	struct domain *head;
	size_t count;
};

static const char *const state_names[] = {
	[DOMAIN_NOSTATE] = "nostate",	[DOMAIN_RUNNING] = "running",
	[DOMAIN_BLOCKED] = "blocked",	[DOMAIN_PAUSED] = "paused",
	[DOMAIN_SHUTDOWN] = "shutdown",	[DOMAIN_SHUTOFF] = "shutoff",
	[DOMAIN_CRASHED] = "crashed",	[DOMAIN_PMSUSPENDED] = "pmsuspended",
};

static const char *const reason_names[] = {
	[DOMAIN_REASON_UNKNOWN] = "unknown",
	[DOMAIN_REASON_BOOTED] = "booted",
	[DOMAIN_REASON_UNPAUSED] = "unpaused",
	[DOMAIN_REASON_USER] = "user",
	[DOMAIN_REASON_SHUTDOWN] = "shutdown",
	[DOMAIN_REASON_DESTROYED] = "destroyed",
	[DOMAIN_REASON_CRASHED] = "crashed",
	[DOMAIN_REASON_FAILED] = "failed",
	[DOMAIN_REASON_DAEMON] = "daemon",
	[DOMAIN_REASON_PANICKED] = "panicked",
	[DOMAIN_REASON_SAVED] = "saved",
	[DOMAIN_REASON_RESTORED] = "restored",
	[DOMAIN_REASON_MIGRATING] = "migrating",
	[DOMAIN_REASON_INCOMING] = "incoming",
	[DOMAIN_REASON_MIGRATED] = "migrated",
};

const char *domain_state_name(enum domain_state state)
{
	if ((size_t)state < sizeof(state_names) / sizeof(state_names[0]))
		return state_names[state];
	return "nostate";
}

const char *domain_reason_name(enum domain_reason reason)
{
	if ((size_t)reason < sizeof(reason_names) / sizeof(reason_names[0]))
		return reason_names[reason];
	return "unknown";
}

int domain_state_parse(const char *name, enum domain_state *out)
{
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]);
	     i++) {
		if (!strcmp(state_names[i], name)) {
			*out = (enum domain_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

int domain_reason_parse(const char *name, enum domain_reason *out)
{
	for (size_t i = 0; i < sizeof(reason_names) / sizeof(reason_names[0]);
	     i++) {
		if (!strcmp(reason_names[i], name)) {
			*out = (enum domain_reason)i;
			return 0;
		}
	}
	return -EINVAL;
}

int registry_new(const char *state_dir, struct registry **out)
{
	struct registry *reg = calloc(1, sizeof(*reg));

	if (!reg)
		return -ENOMEM;
	if (asprintf(&reg->dir, "%s/domains", state_dir) < 0) {
		free(reg);
		return -ENOMEM;
	}
	if (mkdir(reg->dir, 0700) && errno != EEXIST) {
		int rc = -errno;

		log_err("Cannot create the domain directory %s: %s.",
			reg->dir, strerror(errno));
		registry_free(reg);
		return rc;
	}
	*out = reg;
	return 0;
}

static void domain_free(struct domain *dom)
{
	if (!dom)
		return;
	json_object_put(dom->config);
	free(dom);
}

void registry_free(struct registry *reg)
{
	struct domain *dom, *next;

	if (!reg)
		return;
	for (dom = reg->head; dom; dom = next) {
		next = dom->next;
		domain_free(dom);
	}
	free(reg->dir);
	free(reg);
}

struct domain *registry_first(struct registry *reg)
{
	return reg->head;
}

size_t registry_count(const struct registry *reg)
{
	return reg->count;
}

struct domain *registry_find_name(struct registry *reg, const char *name)
{
	for (struct domain *dom = reg->head; dom; dom = dom->next)
		if (!strcmp(dom->name, name))
			return dom;
	return NULL;
}

struct domain *registry_find_uuid(struct registry *reg, const char *uuid)
{
	for (struct domain *dom = reg->head; dom; dom = dom->next)
		if (!strcasecmp(dom->uuid, uuid))
			return dom;
	return NULL;
}

/* Append, so that domain.list keeps definition order. */
static void registry_link(struct registry *reg, struct domain *dom)
{
	struct domain **pp = &reg->head;

	while (*pp)
		pp = &(*pp)->next;
	dom->next = NULL;
	*pp = dom;
	reg->count++;
}

static void registry_unlink(struct registry *reg, struct domain *dom)
{
	for (struct domain **pp = &reg->head; *pp; pp = &(*pp)->next) {
		if (*pp == dom) {
			*pp = dom->next;
			reg->count--;
			return;
		}
	}
}

static int registry_path(const struct registry *reg, const char *uuid,
			 const char *suffix, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/%s.json%s", reg->dir, uuid,
			     suffix) >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

const char *json_member_string(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Write @dom's definition file atomically. */
static int registry_save(struct registry *reg, const struct domain *dom)
{
	char path[PATH_MAX];
	struct json_object *file;
	int rc;

	if (!dom->persistent)
		return 0;
	rc = registry_path(reg, dom->uuid, "", path, sizeof(path));
	if (rc)
		return rc;
	file = json_object_new_object();
	if (!file)
		return -ENOMEM;
	json_object_object_add(file, "version",
			       json_object_new_int(REGISTRY_FILE_VERSION));
	json_object_object_add(file, "autostart",
			       json_object_new_boolean(dom->autostart));
	json_object_object_add(file, "config", json_object_get(dom->config));
	rc = json_file_write(path, file,
			     JSON_C_TO_STRING_PRETTY |
				     JSON_C_TO_STRING_NOSLASHESCAPE,
			     0600);
	if (rc)
		log_err("%s: %s: cannot write %s: %s", __func__, dom->name,
			path, strerror(-rc));
	json_object_put(file);
	return rc;
}

static int uuid_generate(char out[DOMAIN_UUID_LEN + 1])
{
	unsigned char b[16];
	ssize_t n;

	do
		n = getrandom(b, sizeof(b), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(b))
		return -EIO;
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4: random */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	snprintf(out, DOMAIN_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/*
 * A domain from @config (owned): name and uuid taken from it, a uuid
 * generated and written back when it has none. Not linked.
 */
static int domain_from_config(struct json_object *config,
			      struct domain **out)
{
	struct json_object *v;
	struct domain *dom;
	const char *s;
	int rc;

	if (!json_object_is_type(config, json_type_object) ||
	    !json_object_object_get_ex(config, "name", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		json_object_put(config);
		return -EINVAL;
	}
	dom = calloc(1, sizeof(*dom));
	if (!dom) {
		json_object_put(config);
		return -ENOMEM;
	}
	dom->config = config;
	dom->id = -1;
	dom->state = DOMAIN_SHUTOFF;
	dom->reason = DOMAIN_REASON_UNKNOWN;
	dom->persistent = true;
	if (json_object_object_get_ex(config, "uuid", &v)) {
		s = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) ||
		    strlen(s) != DOMAIN_UUID_LEN) {
			domain_free(dom);
			return -EINVAL;
		}
		for (int i = 0; i < DOMAIN_UUID_LEN; i++)
			dom->uuid[i] = (char)tolower((unsigned char)s[i]);
	} else {
		rc = uuid_generate(dom->uuid);
		if (rc) {
			domain_free(dom);
			return rc;
		}
	}
	/* Store the canonical spelling, so the file and the API agree. */
	json_object_object_add(config, "uuid",
			       json_object_new_string(dom->uuid));
	json_object_object_get_ex(config, "name", &v);
	dom->name = json_object_get_string(v);
	*out = dom;
	return 0;
}

/* A new domain from @config (owned), unless its name or uuid is taken. */
static int registry_new_domain(struct registry *reg,
			       struct json_object *config, struct domain **out,
			       const char **field)
{
	struct domain *dom;
	int rc;

	rc = domain_from_config(config, &dom);
	if (rc)
		return rc;
	if (registry_find_name(reg, dom->name)) {
		*field = "/name";
		rc = -EEXIST;
	} else if (registry_find_uuid(reg, dom->uuid)) {
		*field = "/uuid";
		rc = -EEXIST;
	}
	if (rc) {
		domain_free(dom);
		return rc;
	}
	*out = dom;
	return 0;
}

int registry_add_transient(struct registry *reg, struct json_object *config,
			   struct domain **out, const char **field)
{
	struct domain *dom;
	int rc;

	rc = registry_new_domain(reg, config, &dom, field);
	if (rc)
		return rc;
	dom->persistent = false;
	registry_link(reg, dom);
	*out = dom;
	return 0;
}

void registry_forget(struct registry *reg, struct domain *dom)
{
	registry_unlink(reg, dom);
	domain_free(dom);
}

int registry_define(struct registry *reg, struct json_object *config,
		    struct domain **out, const char **field)
{
	struct domain *dom;
	int rc;

	rc = registry_new_domain(reg, config, &dom, field);
	if (rc)
		return rc;
	rc = registry_save(reg, dom);
	if (rc) {
		domain_free(dom);
		return rc;
	}
	registry_link(reg, dom);
	log_info("Defined domain %s (%s).", dom->name, dom->uuid);
	*out = dom;
	return 0;
}

/* Remove @dom's definition file. */
static int registry_delete_file(struct registry *reg, struct domain *dom)
{
	char path[PATH_MAX];
	int rc;

	rc = registry_path(reg, dom->uuid, "", path, sizeof(path));
	if (rc)
		return rc;
	if (unlink(path) && errno != ENOENT) {
		rc = -errno;
		log_err("%s: %s: cannot remove %s: %s", __func__, dom->name,
			path, strerror(errno));
		return rc;
	}
	fsync_dir(reg->dir);
	log_info("Undefined domain %s (%s).", dom->name, dom->uuid);
	return 0;
}

int registry_make_transient(struct registry *reg, struct domain *dom)
{
	int rc = registry_delete_file(reg, dom);

	if (rc)
		return rc;
	dom->persistent = false;
	dom->autostart = false;
	return 0;
}

int registry_make_persistent(struct registry *reg, struct domain *dom)
{
	int rc;

	if (dom->persistent)
		return 0;
	dom->persistent = true;
	rc = registry_save(reg, dom);
	if (rc)
		dom->persistent = false;
	else
		log_info("Defined domain %s (%s).", dom->name, dom->uuid);
	return rc;
}

int registry_rename(struct registry *reg, struct domain *dom,
		    const char *name)
{
	struct json_object *old, *v;
	int rc;

	if (registry_find_name(reg, name))
		return registry_find_name(reg, name) == dom ? 0 : -EEXIST;
	json_object_object_get_ex(dom->config, "name", &v);
	old = json_object_get(v);
	json_object_object_add(dom->config, "name",
			       json_object_new_string(name));
	json_object_object_get_ex(dom->config, "name", &v);
	dom->name = json_object_get_string(v);
	rc = registry_save(reg, dom);
	if (rc) {
		json_object_object_add(dom->config, "name", old);
		dom->name = json_object_get_string(old);
		return rc;
	}
	log_info("Renamed domain %s to %s.", json_object_get_string(old),
		 dom->name);
	json_object_put(old);
	return 0;
}

int registry_set_autostart(struct registry *reg, struct domain *dom,
			   bool autostart)
{
	bool old = dom->autostart;
	int rc;

	dom->autostart = autostart;
	rc = registry_save(reg, dom);
	if (rc)
		dom->autostart = old;
	return rc;
}

int registry_set_members(struct registry *reg, struct domain *dom,
			 struct json_object *members)
{
	struct json_object *before = NULL;
	int rc;

	if (json_object_deep_copy(dom->config, &before, NULL))
		return -ENOMEM;
	json_object_object_foreach(members, key, value) {
		if (value)
			json_object_object_add(dom->config, key,
					       json_object_get(value));
		else
			json_object_object_del(dom->config, key);
	}
	rc = registry_save(reg, dom);
	if (rc) {
		/* Member by member: dom->name points into "name". */
		json_object_object_foreach(members, k2, v2) {
			struct json_object *old;

			(void)v2;
			if (json_object_object_get_ex(before, k2, &old))
				json_object_object_add(dom->config, k2,
						       json_object_get(old));
			else
				json_object_object_del(dom->config, k2);
		}
	}
	json_object_put(before);
	return rc;
}

int registry_set_member(struct registry *reg, struct domain *dom,
			const char *key, struct json_object *value)
{
	struct json_object *members = json_object_new_object();
	int rc = -ENOMEM;

	if (members && !json_object_object_add(members, key, value))
		rc = registry_set_members(reg, dom, members);
	else
		json_object_put(value);
	json_object_put(members);
	return rc;
}

/* Load one definition file; logs and returns -errno if it is unusable. */
static int registry_load_file(struct registry *reg, const char *file,
			      const struct jschema *schema)
{
	struct json_object *doc = NULL, *config, *v;
	char path[PATH_MAX], *err = NULL, *err_path = NULL;
	struct domain *dom;
	size_t len = strlen(file);
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", reg->dir, file) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	rc = jschema_load_file(path, &doc, &err);
	if (rc) {
		log_warn("Skipping the domain definition %s: %s", path, err);
		free(err);
		return rc;
	}
	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "config", &config) ||
	    !json_object_is_type(config, json_type_object)) {
		log_warn("Skipping the domain definition %s: it has no \"config\" object.",
			 path);
		rc = -EINVAL;
		goto out_put;
	}
	if (schema && jschema_validate(schema, config, &err_path, &err)) {
		log_warn("Skipping the domain definition %s: the configuration's member %s %s.",
			 path, err_path && *err_path ? err_path : "(root)",
			 err ? err : "is invalid");
		rc = -EINVAL;
		goto out_put;
	}
	rc = domain_from_config(json_object_get(config), &dom);
	if (rc) {
		log_warn("Skipping the domain definition %s: its name or uuid is invalid.",
			 path);
		goto out_put;
	}
	if (len != DOMAIN_UUID_LEN + 5 ||
	    strncasecmp(file, dom->uuid, DOMAIN_UUID_LEN)) {
		log_warn("Skipping the domain definition %s: its file name does not match its uuid %s.",
			 path, dom->uuid);
		rc = -EINVAL;
	} else if (registry_find_name(reg, dom->name)) {
		log_warn("Skipping the domain definition %s: another domain is already named %s.",
			 path, dom->name);
		rc = -EEXIST;
	}
	if (rc) {
		domain_free(dom);
		goto out_put;
	}
	if (json_object_object_get_ex(doc, "autostart", &v))
		dom->autostart = json_object_get_boolean(v);
	registry_link(reg, dom);
out_put:
	free(err);
	free(err_path);
	json_object_put(doc);
	return rc;
}

int registry_load(struct registry *reg, const struct jschema *config_schema)
{
	struct dirent *de;
	int loaded = 0;
	DIR *d;

	d = opendir(reg->dir);
	if (!d) {
		int rc = -errno;

		log_err("Cannot read the domain directory %s: %s.", reg->dir,
			strerror(errno));
		return rc;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 5, ".json"))
			continue;
		if (!registry_load_file(reg, de->d_name, config_schema))
			loaded++;
	}
	closedir(d);
	return loaded;
}
