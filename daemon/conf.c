// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld.conf: `key = value` lines, '#' comments. Unknown keys are an
 * error naming the line, so that a misspelt setting is never silently
 * ignored.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#ifndef KEELD_RUN_DIR
#define KEELD_RUN_DIR "/run/keel"
#endif
#ifndef KEELD_STATE_DIR
#define KEELD_STATE_DIR "/var/lib/keel"
#endif
#ifndef KEELD_LOG_DIR
#define KEELD_LOG_DIR "/var/log/keel"
#endif
#ifndef KEELD_HYPERVISOR
#define KEELD_HYPERVISOR "/usr/local/sbin/keel-hv"
#endif
#ifndef KEELD_SCHEMA_DIR
#define KEELD_SCHEMA_DIR "/usr/local/share/keel/schemas"
#endif

int conf_set(char **slot, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

int conf_init(struct keeld_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->log_level = LOG_LEVEL_INFO;
	conf->memory_overcommit = 100;
	conf->client_memory = CONF_CLIENT_MEMORY_MIB;
	conf->client_idle_timeout = CONF_CLIENT_IDLE_TIMEOUT_S;
	conf->tls_handshake_timeout = CONF_TLS_HANDSHAKE_TIMEOUT_S;
	conf->tls_idle_timeout = CONF_TLS_IDLE_TIMEOUT_S;
	conf->migration_port_min = CONF_MIGRATION_PORT_MIN;
	conf->migration_port_max = CONF_MIGRATION_PORT_MAX;
	if (conf_set(&conf->run_dir, KEELD_RUN_DIR) ||
	    conf_set(&conf->state_dir, KEELD_STATE_DIR) ||
	    conf_set(&conf->log_dir, KEELD_LOG_DIR) ||
	    conf_set(&conf->schema_dir, KEELD_SCHEMA_DIR) ||
	    conf_set(&conf->hypervisor, KEELD_HYPERVISOR) ||
	    conf_set(&conf->cgroup_parent, CONF_CGROUP_PARENT) ||
	    conf_set(&conf->pki_dir, CONF_PKI_DIR)) {
		conf_dispose(conf);
		return -ENOMEM;
	}
	return 0;
}

void conf_dispose(struct keeld_conf *conf)
{
	free(conf->run_dir);
	free(conf->state_dir);
	free(conf->log_dir);
	free(conf->schema_dir);
	free(conf->group);
	free(conf->hypervisor);
	free(conf->cgroup_parent);
	free(conf->cgroup_root);
	free(conf->default_bridge);
	free(conf->pki_dir);
	for (unsigned i = 0; i < conf->nr_listen; i++)
		free(conf->listen[i]);
	for (unsigned i = 0; i < conf->nr_tls_dn_rw; i++)
		free(conf->tls_dn_rw[i]);
	for (unsigned i = 0; i < conf->nr_tls_dn_ro; i++)
		free(conf->tls_dn_ro[i]);
	conf->nr_listen = conf->nr_tls_dn_rw = conf->nr_tls_dn_ro = 0;
	conf->pki_dir = NULL;
	conf->default_bridge = NULL;
	conf->hypervisor = NULL;
	conf->cgroup_parent = conf->cgroup_root = NULL;
	conf->run_dir = conf->state_dir = conf->schema_dir = NULL;
	conf->log_dir = NULL;
	conf->group = NULL;
}

static char *strip(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* A decimal number from @min to @max into *@out; -EINVAL otherwise. */
static int parse_uint(const char *value, unsigned min, unsigned max,
		      unsigned *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno || end == value || *end || value[0] == '-' || v < min ||
	    v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/*
 * The limits on clients. Returns 0, -EINVAL (logged), or 1 when @key is
 * not one of them.
 */
static int conf_apply_limit(struct keeld_conf *conf, const char *path,
			    unsigned lineno, const char *key,
			    const char *value)
{
	if (!strcmp(key, "max_clients")) {
		if (!parse_uint(value, 0, 1000000, &conf->max_clients))
			return 0;
		log_err("%s:%u: max_clients must be a number of connections from 1 to 1000000, or 0 to derive it from the descriptor limit, not \"%s\".",
			path, lineno, value);
		return -EINVAL;
	}
	if (!strcmp(key, "max_clients_per_uid")) {
		if (!parse_uint(value, 0, 1000000,
				&conf->max_clients_per_uid))
			return 0;
		log_err("%s:%u: max_clients_per_uid must be a number of connections from 1 to 1000000, or 0 to derive it from max_clients, not \"%s\".",
			path, lineno, value);
		return -EINVAL;
	}
	if (!strcmp(key, "client_memory")) {
		if (!parse_uint(value, 1, 1024 * 1024, &conf->client_memory))
			return 0;
		log_err("%s:%u: client_memory must be a number of MiB from 1 to 1048576, not \"%s\".",
			path, lineno, value);
		return -EINVAL;
	}
	if (!strcmp(key, "client_idle_timeout")) {
		if (!parse_uint(value, 0, 86400 * 365,
				&conf->client_idle_timeout))
			return 0;
		log_err("%s:%u: client_idle_timeout must be a number of seconds, or 0 for no timeout, not \"%s\".",
			path, lineno, value);
		return -EINVAL;
	}
	return 1;
}

/*
 * A cgroup below a hierarchy's root: relative, components of letters,
 * digits, '_', '.', '-' and '@', none of them "." or "..".
 */
static bool cgroup_parent_ok(const char *s)
{
	while (*s) {
		size_t len = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz"
				       "0123456789_.-@");

		if (!len || (len == 1 && s[0] == '.') ||
		    (len == 2 && !strncmp(s, "..", 2)) ||
		    (s[len] && s[len] != '/') || (s[len] == '/' && !s[len + 1]))
			return false;
		s += len + (s[len] == '/');
	}
	return true;
}

/*
 * The resource policy settings. Returns 0, -EINVAL (logged), -ENOMEM,
 * or 1 when @key is not one of them.
 */
static int conf_apply_cgroup(struct keeld_conf *conf, const char *path,
			     unsigned lineno, const char *key,
			     const char *value)
{
	static const char *const policies[] = {
		[CGROUP_REQUIRED] = "required",
		[CGROUP_OPTIONAL] = "optional",
		[CGROUP_OFF] = "off",
	};

	if (!strcmp(key, "cgroups")) {
		for (size_t i = 0; i < 3; i++) {
			if (!strcmp(value, policies[i])) {
				conf->cgroups = (enum cgroup_policy)i;
				return 0;
			}
		}
		log_err("%s:%u: cgroups must be required, optional or off, not \"%s\".",
			path, lineno, value);
		return -EINVAL;
	}
	if (!strcmp(key, "cgroup_parent")) {
		if (cgroup_parent_ok(value))
			return conf_set(&conf->cgroup_parent, value);
		log_err("%s:%u: cgroup_parent must be a group below the hierarchy's root such as keel or machine.slice/keel (letters, digits, '_', '.', '-', '@', levels separated by '/'), not \"%s\".",
			path, lineno, value);
		return -EINVAL;
	}
	if (!strcmp(key, "cgroup_root")) {
		if (value[0] == '/')
			return conf_set(&conf->cgroup_root, value);
		log_err("%s:%u: cgroup_root must be an absolute path, not \"%s\".",
			path, lineno, value);
		return -EINVAL;
	}
	return 1;
}

int conf_add_listen(struct keeld_conf *conf, const char *where,
		    const char *uri)
{
	const char *addr = uri + strlen("tls://"), *end, *port = NULL;
	unsigned p = CONF_TLS_PORT;
	char *host;

	if (strncmp(uri, "tls://", 6) || !*addr) {
		log_err("%s: a listening address is tls://ADDR[:PORT] (such as tls://0.0.0.0:16515 or tls://[::1]), not \"%s\".",
			where, uri);
		return -EINVAL;
	}
	if (addr[0] == '[') {
		end = strchr(addr, ']');
		if (end && end[1] == ':')
			port = end + 2;
		else if (!end || end[1])
			end = NULL;
		addr++;
	} else {
		end = strchr(addr, ':');
		if (end && strchr(end + 1, ':'))
			end = NULL;
		else if (end)
			port = end + 1;
		else
			end = addr + strlen(addr);
	}
	if (!end || end == addr || (port && parse_uint(port, 1, 65535, &p))) {
		log_err("%s: \"%s\" is not a listening address: give tls://ADDR[:PORT], an IPv6 ADDR in brackets and PORT from 1 to 65535.",
			where, uri);
		return -EINVAL;
	}
	if (conf->nr_listen == CONF_MAX_LISTEN) {
		log_err("%s: keeld listens on at most %d TCP addresses.",
			where, CONF_MAX_LISTEN);
		return -EINVAL;
	}
	host = strndup(addr, (size_t)(end - addr));
	if (!host)
		return -ENOMEM;
	conf->listen[conf->nr_listen] = host;
	conf->listen_port[conf->nr_listen] = p;
	conf->nr_listen++;
	return 0;
}

/* Add the subject pattern @value to the list @list of *@nr. */
static int conf_add_dn(char **list, unsigned *nr, const char *path,
		       unsigned lineno, const char *key, const char *value)
{
	if (*nr == CONF_MAX_DN) {
		log_err("%s:%u: %s may be given at most %d times.", path,
			lineno, key, CONF_MAX_DN);
		return -EINVAL;
	}
	list[*nr] = strdup(value);
	if (!list[*nr])
		return -ENOMEM;
	(*nr)++;
	return 0;
}

/*
 * The remote management settings. Returns 0, -EINVAL (logged),
 * -ENOMEM, or 1 when @key is not one of them.
 */
static int conf_apply_tls(struct keeld_conf *conf, const char *path,
			  unsigned lineno, const char *key, const char *value)
{
	char where[512];

	if (!strcmp(key, "listen")) {
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		return conf_add_listen(conf, where, value);
	}
	if (!strcmp(key, "pki_dir"))
		return conf_set(&conf->pki_dir, value);
	if (!strcmp(key, "tls_allowed_dn"))
		return conf_add_dn(conf->tls_dn_rw, &conf->nr_tls_dn_rw, path,
				   lineno, key, value);
	if (!strcmp(key, "tls_readonly_dn"))
		return conf_add_dn(conf->tls_dn_ro, &conf->nr_tls_dn_ro, path,
				   lineno, key, value);
	if (!strcmp(key, "tls_handshake_timeout")) {
		if (!parse_uint(value, 1, 3600, &conf->tls_handshake_timeout))
			return 0;
		log_err("%s:%u: tls_handshake_timeout must be a number of seconds from 1 to 3600, not \"%s\".",
			path, lineno, value);
		return -EINVAL;
	}
	if (!strcmp(key, "tls_idle_timeout")) {
		if (!parse_uint(value, 0, 86400 * 365,
				&conf->tls_idle_timeout))
			return 0;
		log_err("%s:%u: tls_idle_timeout must be a number of seconds, or 0 for no timeout, not \"%s\".",
			path, lineno, value);
		return -EINVAL;
	}
	if (!strcmp(key, "migration_ports")) {
		unsigned lo, hi;
		char end;

		if (sscanf(value, "%u-%u%c", &lo, &hi, &end) == 2 && lo >= 1 &&
		    lo <= hi && hi <= 65535) {
			conf->migration_port_min = lo;
			conf->migration_port_max = hi;
			return 0;
		}
		log_err("%s:%u: migration_ports must be a range of TCP ports FIRST-LAST (1-65535, FIRST not above LAST), as 49152-49215, not \"%s\".",
			path, lineno, value);
		return -EINVAL;
	}
	return 1;
}

/*
 * A Linux interface name as the domain schema's ifname allows it: 1 to
 * 15 characters other than '/', ':', ',', '=', controls and spaces.
 */
static bool conf_ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (strchr("/:,=", *s) || (unsigned char)*s <= ' ' ||
		    *s == 0x7f)
			return false;
	return true;
}

/* One `key = value` pair; returns 0, -EINVAL (logged) or -ENOMEM. */
static int conf_apply(struct keeld_conf *conf, const char *path,
		      unsigned lineno, const char *key, const char *value)
{
	int rc;

	if (!strcmp(key, "run_dir"))
		return conf_set(&conf->run_dir, value);
	if (!strcmp(key, "state_dir"))
		return conf_set(&conf->state_dir, value);
	if (!strcmp(key, "log_dir"))
		return conf_set(&conf->log_dir, value);
	if (!strcmp(key, "memory_overcommit")) {
		char *end;
		unsigned long pct;

		errno = 0;
		pct = strtoul(value, &end, 10);
		if (!errno && end != value && !*end && value[0] != '-' &&
		    pct <= 100000) {
			conf->memory_overcommit = (unsigned)pct;
			return 0;
		}
		log_err("%s:%u: memory_overcommit must be a percentage from 0 (no check) to 100000, not \"%s\".",
			path, lineno, value);
		return -EINVAL;
	}
	if (!strcmp(key, "group"))
		return conf_set(&conf->group, value);
	if (!strcmp(key, "hypervisor"))
		return conf_set(&conf->hypervisor, value);
	if (!strcmp(key, "log_level")) {
		if (!log_level_parse(value, &conf->log_level))
			return 0;
		log_err("%s:%u: log_level must be err, warn, info or debug, not \"%s\".",
			path, lineno, value);
		return -EINVAL;
	}
	if (!strcmp(key, "default_bridge")) {
		if (conf_ifname_ok(value))
			return conf_set(&conf->default_bridge, value);
		log_err("%s:%u: default_bridge must be a network interface name, 1 to 15 characters other than '/', ':', ',', '=' and white space, not \"%s\".",
			path, lineno, value);
		return -EINVAL;
	}
	rc = conf_apply_limit(conf, path, lineno, key, value);
	if (rc <= 0)
		return rc;
	rc = conf_apply_cgroup(conf, path, lineno, key, value);
	if (rc <= 0)
		return rc;
	rc = conf_apply_tls(conf, path, lineno, key, value);
	if (rc <= 0)
		return rc;
	log_err("%s:%u: unknown setting \"%s\"; keeld.conf knows run_dir, state_dir, log_dir, group, hypervisor, log_level, memory_overcommit, max_clients, max_clients_per_uid, client_memory, client_idle_timeout, cgroups, cgroup_parent, cgroup_root, default_bridge, listen, pki_dir, tls_allowed_dn, tls_readonly_dn, tls_handshake_timeout, tls_idle_timeout and migration_ports.",
		path, lineno, key);
	return -EINVAL;
}

int conf_load(struct keeld_conf *conf, const char *path, bool missing_ok)
{
	char *line = NULL, *s, *eq, *key, *value;
	unsigned lineno = 0;
	size_t cap = 0;
	int rc = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		if (rc == -ENOENT && missing_ok)
			return 0;
		log_err("Cannot read the configuration file %s: %s.", path,
			strerror(errno));
		return rc;
	}
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		s = strip(line);
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			log_err("%s:%u: expected `key = value`, found \"%s\".",
				path, lineno, s);
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		key = strip(s);
		value = strip(eq + 1);
		if (!*value) {
			log_err("%s:%u: \"%s\" has no value.", path, lineno,
				key);
			rc = -EINVAL;
			break;
		}
		rc = conf_apply(conf, path, lineno, key, value);
		if (rc)
			break;
	}
	if (!rc && ferror(f)) {
		rc = -EIO;
		log_err("Cannot read the configuration file %s.", path);
	}
	free(line);
	fclose(f);
	return rc;
}
