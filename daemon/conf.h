/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_CONF_H
#define KEEL_DAEMON_CONF_H

#include <stdbool.h>

#include "cgroup.h"
#include "log.h"

/* Most `listen` lines, and most subjects in each TLS allow-list. */
#define CONF_MAX_LISTEN 8
#define CONF_MAX_DN 64

/* keeld's settings: built-in defaults, then the file, then options. */
struct keeld_conf {
	char *run_dir;
	char *state_dir;
	char *log_dir;		/* domains' console and keel-hv logs */
	char *schema_dir;
	char *hypervisor;	/* keel-hv's path */
	char *group;		/* NULL: only root may use keeld.sock */
	enum log_level log_level;
	/*
	 * Percent of the host's RAM that the memory of all running domains
	 * may add up to; 0: no check (keeld.8, memory_overcommit).
	 */
	unsigned memory_overcommit;
	/*
	 * What clients may hold (keeld.8, LIMITS): connections in all and
	 * per uid (0: derived from the descriptor limit), MiB of their
	 * buffers, and seconds a read-only client may stay idle (0: for
	 * ever).
	 */
	unsigned max_clients;
	unsigned max_clients_per_uid;
	unsigned client_memory;
	unsigned client_idle_timeout;
	/*
	 * Resource policy (keeld.8, CGROUPS): whether a domain may run
	 * without a cgroup, the group domains' groups go in, and a
	 * directory standing in for /sys/fs/cgroup (NULL: the host's
	 * mounts).
	 */
	enum cgroup_policy cgroups;
	/*
	 * The bridge a NIC without one joins (keeld.8, default_bridge; xl's
	 * xenbr0); NULL: it joins none.
	 */
	char *default_bridge;
	char *cgroup_parent;
	char *cgroup_root;
	/*
	 * Remote management (keeld.8, TLS; docs/remote.md): the TCP
	 * addresses keeld listens on with TLS, the PKI directory, the
	 * subjects (fnmatch patterns over the RFC 2253 form) let in
	 * read-write and read-only, and seconds a client may take over its
	 * handshake and may stay silent after it.
	 */
	char *listen[CONF_MAX_LISTEN];	/* the host part, no brackets */
	unsigned listen_port[CONF_MAX_LISTEN];
	unsigned nr_listen;
	char *pki_dir;
	char *tls_dn_rw[CONF_MAX_DN];
	unsigned nr_tls_dn_rw;
	char *tls_dn_ro[CONF_MAX_DN];
	unsigned nr_tls_dn_ro;
	unsigned tls_handshake_timeout;
	unsigned tls_idle_timeout;
	/*
	 * The TCP ports an incoming migration's keel-hv listens on
	 * (keeld.8, migration_ports; docs/migration.md), on the address of
	 * the first `listen` line.
	 */
	unsigned migration_port_min, migration_port_max;
};

/* The defaults of the settings above that are not derived. */
#define CONF_CLIENT_MEMORY_MIB 24
#define CONF_CLIENT_IDLE_TIMEOUT_S 60
#define CONF_CGROUP_PARENT "keel"
#define CONF_PKI_DIR "/etc/pki/keel"
#define CONF_TLS_PORT 16515
#define CONF_TLS_HANDSHAKE_TIMEOUT_S 10
#define CONF_TLS_IDLE_TIMEOUT_S 600
#define CONF_MIGRATION_PORT_MIN 49152
#define CONF_MIGRATION_PORT_MAX 49215

/* Fill @conf with the built-in defaults. Returns 0 or -ENOMEM. */
int conf_init(struct keeld_conf *conf);

/* Free what @conf holds. Idempotent. */
void conf_dispose(struct keeld_conf *conf);

/*
 * Read the `key = value` file at @path into @conf; blank lines and lines
 * starting with '#' are skipped. Keys: run_dir, state_dir, log_dir,
 * group, hypervisor, log_level, memory_overcommit, max_clients,
 * max_clients_per_uid, client_memory, client_idle_timeout, cgroups,
 * cgroup_parent, cgroup_root, default_bridge, listen, pki_dir,
 * tls_allowed_dn, tls_readonly_dn (these three may repeat),
 * tls_handshake_timeout, tls_idle_timeout, migration_ports. Returns 0;
 * -ENOENT when the file does not exist and @missing_ok is false (it is
 * then logged); -EINVAL for an unknown key, a line without '=' or a bad
 * value, logged with the file and line; -errno when it cannot be read.
 */
int conf_load(struct keeld_conf *conf, const char *path, bool missing_ok);

/* Replace the string *@slot with a copy of @value. Returns 0 or -ENOMEM. */
int conf_set(char **slot, const char *value);

/*
 * Add the listening address @uri ("tls://ADDR[:PORT]", as `listen` and
 * --listen take it) to @conf. Returns 0, -EINVAL after logging why
 * (@where names the file and line, or the option), or -ENOMEM.
 */
int conf_add_listen(struct keeld_conf *conf, const char *where,
		    const char *uri);

#endif /* KEEL_DAEMON_CONF_H */
