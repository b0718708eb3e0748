/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_H
#define KEEL_H

/*
 * libkeel: the C client of keeld's JSON-RPC API (man/libkeel.3).
 *
 * One connection is one socket to one keeld. Every call is blocking and
 * returns 0 on success or -1 on failure; keel_last_error() then says
 * what went wrong: keeld's error (code, message, the parameter at fault)
 * or a local one (the connection broke, a reply was malformed). Calls on
 * one connection must not run concurrently; use one connection per
 * thread.
 *
 * A domain argument ("dom") is a name or a uuid: a string shaped like a
 * uuid (8-4-4-4-12 hex digits) is sent as the uuid, anything else as the
 * name.
 *
 * Events: after keel_events_subscribe() keeld sends the connection a
 * notification for every lifecycle change. They are delivered through
 * the callback set with keel_set_event_callback(), from
 * keel_event_dispatch(): put keel_event_fd() in your poll()/libevent
 * loop, and call keel_event_dispatch() when it is readable, and also
 * whenever keel_event_pending() is true (events that arrived while a
 * call was waiting for its reply are queued). keel_event_wait() is the
 * blocking convenience. A connection used for events can still make
 * calls.
 */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version, as "MAJOR.MINOR.PATCH". */
const char *keel_version(void);

/*
 * Error codes keeld sends besides JSON-RPC's own (-32700 ... -32603):
 * the one list every keel program uses.
 */
enum keel_error_code {
	/* No domain has the given name, uuid or id. */
	KEEL_E_NO_DOMAIN = -32001,
	/* A domain with that name or uuid already exists. */
	KEEL_E_DOMAIN_EXISTS = -32002,
	/* The operation is not valid in the domain's current state. */
	KEEL_E_INVALID_STATE = -32003,
	/* A resource (memory, descriptors, a limit) is exhausted. */
	KEEL_E_RESOURCE = -32004,
	/* Permission denied, e.g. a write method on the read-only socket. */
	KEEL_E_PERMISSION = -32005,
	/* The message is longer than JSONRPC_MAX_LINE. */
	KEEL_E_TOO_LARGE = -32006,
	/* Tried and failed, e.g. keel-hv could not start; the message says why. */
	KEEL_E_OPERATION_FAILED = -32007,
	/* The operation did not finish in the time allowed. */
	KEEL_E_TIMEOUT = -32008,
	/* Local failures, never sent by keeld: */
	KEEL_E_CONNECTION = -1,	/* cannot connect, or the socket broke */
	KEEL_E_PROTOCOL = -2,	/* keeld's reply was not what the API says */
	KEEL_E_LOCAL = -3,	/* out of memory, bad argument to libkeel */
};

struct keel_error {
	int code;		/* enum keel_error_code or a JSON-RPC code */
	const char *name;	/* "no-domain", "connection", ... */
	const char *message;	/* a sentence for the user */
	const char *field;	/* JSON Pointer of the bad parameter, or NULL */
};

/* Domain states: the same numbers as libvirt's virDomainState. */
enum keel_domain_state {
	KEEL_STATE_NOSTATE = 0,
	KEEL_STATE_RUNNING = 1,
	KEEL_STATE_BLOCKED = 2,
	KEEL_STATE_PAUSED = 3,
	KEEL_STATE_SHUTDOWN = 4,
	KEEL_STATE_SHUTOFF = 5,
	KEEL_STATE_CRASHED = 6,
	KEEL_STATE_PMSUSPENDED = 7,
};

/* "running", ...; NULL for a number out of range. */
const char *keel_state_name(enum keel_domain_state state);

#define KEEL_NAME_MAX 64
#define KEEL_UUID_LEN 36

/*
 * A domain as domain.list, domain.info and the lifecycle calls report it
 * (schemas/keel.openrpc.json, DomainSummary). keeld answers all of it
 * from its own state, never from the domain's keel-hv.
 */
struct keel_domain {
	char name[KEEL_NAME_MAX + 1];
	char uuid[KEEL_UUID_LEN + 1];
	int id;				/* -1 when not running */
	enum keel_domain_state state;
	char reason[32];		/* libvirt's reason, lower case */
	bool persistent;
	bool autostart;
	/*
	 * What it runs with while it runs, else what it is defined with,
	 * keeld's defaults filled in; memory_mib is what it has now (its
	 * balloon's actual size, docs/memory.md). 0 in events, which do
	 * not carry them.
	 */
	long long memory_mib;
	int vcpus;
	/* Seconds of host CPU its keel-hv has used; 0 when not running. */
	double cpu_time;
};

struct keel_host_info {
	char hostname[256];
	char version[32];
	int nr_cpus;
	long long memory_mib;
	int nr_domains;
};

struct keel_conn;

/*
 * Remote keeld (docs/remote.md): TLS 1.3 on this TCP port unless the
 * URI names another, with mutual X.509 certificates from one directory
 * holding these files (keeld reads the server's, libkeel the client's).
 */
#define KEEL_TLS_PORT 16515
#define KEEL_PKI_DIR_DEFAULT "/etc/pki/keel"
#define KEEL_PKI_CACERT "cacert.pem"
#define KEEL_PKI_SERVERCERT "servercert.pem"
#define KEEL_PKI_SERVERKEY "private/serverkey.pem"
#define KEEL_PKI_CLIENTCERT "clientcert.pem"
#define KEEL_PKI_CLIENTKEY "private/clientkey.pem"

/*
 * Connect to keeld at @uri: a socket path, "unix:PATH",
 * "tls://HOST[:PORT]" (an IPv6 HOST in brackets), or NULL for $KEEL_URI
 * or else the system socket (/run/keel/keeld.sock). Over TLS, the
 * client's certificate and key and the CA come from $KEEL_PKI_DIR or
 * /etc/pki/keel, and keeld's certificate must name HOST (SAN).
 * Returns 0 and *@out, or -1 with *@err (may be NULL) set to a malloc'd
 * message for the user.
 */
int keel_connect(const char *uri, struct keel_conn **out, char **err);

/*
 * keel_connect() with the PKI directory for tls:// URIs given: @pki_dir,
 * or NULL for $KEEL_PKI_DIR or else /etc/pki/keel.
 */
int keel_connect_pki(const char *uri, const char *pki_dir,
		     struct keel_conn **out, char **err);

/* Close and free. NULL is fine. */
void keel_close(struct keel_conn *c);

/* The error of the last call that failed on @c; valid until the next call. */
const struct keel_error *keel_last_error(const struct keel_conn *c);

/*
 * Any method, for what the typed calls below do not cover. @params is
 * owned (NULL for none); *@result (owned by the caller, may be NULL for
 * JSON null) is set on success.
 */
int keel_call(struct keel_conn *c, const char *method,
	      struct json_object *params, struct json_object **result);

int keel_host_info(struct keel_conn *c, struct keel_host_info *out);

/* *@list (free with free()) gets *@n domains. */
int keel_domain_list(struct keel_conn *c, struct keel_domain **list,
		     size_t *n);

/*
 * keel_domain_list() with each domain's configuration, still one call
 * (domain.list with "config": true): *@configs gets a JSON array of *@n
 * objects, the i-th (*@list)[i]'s configuration as keel_domain_info()
 * gives it; the caller puts it. @configs NULL: keel_domain_list().
 */
int keel_domain_list_info(struct keel_conn *c, struct keel_domain **list,
			  size_t *n, struct json_object **configs);

/* *@config (may be NULL if not wanted) gets the configuration; caller puts it. */
int keel_domain_info(struct keel_conn *c, const char *dom,
		     struct keel_domain *out, struct json_object **config);

/* The configuration the domain runs with now (its definition when shut off). */
int keel_domain_config(struct keel_conn *c, const char *dom,
		       struct json_object **config);

/* Flags for create and start. */
#define KEEL_START_PAUSED (1u << 0)

/* @config is borrowed. @out may be NULL. */
int keel_domain_define(struct keel_conn *c, struct json_object *config,
		       struct keel_domain *out);
int keel_domain_create(struct keel_conn *c, struct json_object *config,
		       unsigned flags, struct keel_domain *out);
int keel_domain_undefine(struct keel_conn *c, const char *dom);
int keel_domain_start(struct keel_conn *c, const char *dom, unsigned flags,
		      struct keel_domain *out);
int keel_domain_pause(struct keel_conn *c, const char *dom,
		      struct keel_domain *out);
int keel_domain_unpause(struct keel_conn *c, const char *dom,
			struct keel_domain *out);

/* Flags for shutdown. */
#define KEEL_SHUTDOWN_WAIT (1u << 0)	/* return once it has stopped */

/*
 * @timeout_s: seconds before keeld stops the guest by force; 0 never;
 * -1 keeld's default (never).
 */
int keel_domain_shutdown(struct keel_conn *c, const char *dom, int timeout_s,
			 unsigned flags, struct keel_domain *out);
int keel_domain_reboot(struct keel_conn *c, const char *dom,
		       struct keel_domain *out);
int keel_domain_destroy(struct keel_conn *c, const char *dom,
			struct keel_domain *out);
int keel_domain_rename(struct keel_conn *c, const char *dom,
		       const char *new_name, struct keel_domain *out);
int keel_domain_autostart(struct keel_conn *c, const char *dom, bool enabled,
			  struct keel_domain *out);
/*
 * A domain's memory and maxmem in MiB (xl mem-set, mem-max): live
 * while it runs, and in its definition for the next boot (keeld(8),
 * domain.set_memory and domain.set_maxmem). *@out: its summary after.
 */
int keel_domain_set_memory(struct keel_conn *c, const char *dom,
			   long long memory_mib, struct keel_domain *out);
int keel_domain_set_maxmem(struct keel_conn *c, const char *dom,
			   long long maxmem_mib, struct keel_domain *out);
/*
 * *@stats: one sample of the domain's counters (schemas/keel.openrpc.json,
 * DomainStats), a new reference.
 */
int keel_domain_stats(struct keel_conn *c, const char *dom,
		      struct json_object **stats);
/*
 * *@stats: {"time_ns", "host", "domains": [DomainStats...]} for every
 * domain that has a keel-hv, in one call (AllDomainStats).
 */
int keel_domain_stats_all(struct keel_conn *c, struct json_object **stats);
/*
 * A disk's or a NIC's I/O limits (docs/qos.md): domain.blkdeviotune and
 * domain.domiftune. @disk is a vdev or path, @nic a MAC address or tap;
 * all digits, either is the device's place in the list from 0.
 * @changes (borrowed; NULL to only read) holds the method's change
 * params: {"limits": {...}} for a disk; "inbound", "outbound" and
 * "limits" for a NIC. *@out: the limits in force afterwards.
 */
int keel_domain_blkdeviotune(struct keel_conn *c, const char *dom,
			     const char *disk, struct json_object *changes,
			     struct json_object **out);
int keel_domain_domiftune(struct keel_conn *c, const char *dom,
			  const char *nic, struct json_object *changes,
			  struct json_object **out);

/*
 * The calls that act inside a running guest (xl's trigger, sysrq,
 * button-press, dump-core; keel(1)). Each answers once keel-hv has done
 * it; *@result (may be NULL; the caller puts it) is {"name", and the
 * request's own member}, plus "bytes" for dump_core.
 *
 * domain.trigger: @trigger is "nmi" (into vCPU @vcpu; -1: keel-hv's
 * default, 0), "reset", "power" or "s3resume" (refused: keel has no S3).
 */
int keel_domain_trigger(struct keel_conn *c, const char *dom,
			const char *trigger, int vcpu,
			struct json_object **result);

/* domain.sysrq: magic SysRq @key (0-9, a-z) on the serial console. */
int keel_domain_sysrq(struct keel_conn *c, const char *dom, const char *key,
		      struct json_object **result);

/* domain.button_press: @button "power" ("sleep" is refused). */
int keel_domain_button_press(struct keel_conn *c, const char *dom,
			     const char *button, struct json_object **result);

/*
 * domain.dump_core: an ELF core of the guest into @path, an absolute
 * path on keeld's host that must not exist.
 */
int keel_domain_dump_core(struct keel_conn *c, const char *dom,
			  const char *path, struct json_object **result);

/* Flags for keel_domain_save() (xl save -c, -p) and keel_domain_restore(). */
#define KEEL_SAVE_KEEP_RUNNING (1u << 0)	/* run on after the save */
#define KEEL_SAVE_PAUSED (1u << 1)		/* stay paused after it */
#define KEEL_RESTORE_PAUSED (1u << 0)		/* restored, but paused */

/*
 * domain.save: the domain's whole state into @path, an absolute path on
 * keeld's host that must not exist (keel-hv creates it, mode 0600).
 * Without flags the domain then stops (reason "saved"). Blocks until
 * the file is complete, however long that takes; subscribe on another
 * connection to see progress events. *@result (may be NULL; the caller
 * puts it): {"name", "path", "then", "bytes", "ms"}.
 */
int keel_domain_save(struct keel_conn *c, const char *dom, const char *path,
		     unsigned flags, struct json_object **result);

/*
 * domain.restore: a new transient domain from the file @path (absolute,
 * on keeld's host) keel_domain_save() wrote; its configuration comes
 * from the file. Blocks until the domain runs (or, with
 * KEEL_RESTORE_PAUSED, waits paused). @out (may be NULL): its summary.
 */
int keel_domain_restore(struct keel_conn *c, const char *path, unsigned flags,
			struct keel_domain *out);

/* What keel_domain_migrate() does at the end of opts->timeout_s. */
enum keel_migrate_timeout_action {
	KEEL_MIGRATE_TIMEOUT_CANCEL = 0,	/* give up; the domain runs on here */
	KEEL_MIGRATE_TIMEOUT_FORCE,		/* stop and copy now */
};

/*
 * The choices of a live migration (docs/migration.md, keel migrate).
 * KEEL_MIGRATE_OPTS_INIT gives keeld's defaults: port 16515, live,
 * 300 ms of downtime, no bandwidth limit, no auto-converge, no timeout.
 */
struct keel_migrate_opts {
	unsigned port;		/* the destination keeld's; 0: KEEL_TLS_PORT */
	bool offline;		/* pause first and send one pass (--no-live) */
	unsigned downtime_ms;	/* the longest pause wanted; 0: keeld's 300 */
	unsigned bandwidth_mib;	/* MiB/s for the stream; 0: unlimited */
	bool auto_converge;	/* throttle vCPUs that dirty too fast */
	unsigned timeout_s;	/* 0: none */
	enum keel_migrate_timeout_action timeout_action;
};

#define KEEL_MIGRATE_OPTS_INIT { 0, false, 0, 0, false, 0, \
				 KEEL_MIGRATE_TIMEOUT_CANCEL }

/*
 * domain.migrate: move the running domain @dom to the keeld at @host (a
 * name or address, as its server certificate names it) while it runs.
 * Blocks until the domain runs there, or the migration failed and it
 * runs on here; subscribe on another connection to see "progress"
 * events (job "migrate": keel_event's raw params also hold round,
 * sent, remaining, dirty_rate and expected_downtime_ms). @opts may be
 * NULL (the defaults). *@result (may be NULL; the caller puts it):
 * {"host", "downtime_ms", "sent", "rounds", "stream_ms", "ms"}.
 */
int keel_domain_migrate(struct keel_conn *c, const char *dom,
			const char *host, const struct keel_migrate_opts *opts,
			struct json_object **result);

/*
 * domain.migrate_cancel: stop @dom's migration under way; it runs on
 * here. Refused once the destination has it all (keeld decides then).
 */
int keel_domain_migrate_cancel(struct keel_conn *c, const char *dom);

/*
 * Limits of a migration under way, for keel_domain_migrate_set(); a
 * member left at -1 (KEEL_MIGRATE_TUNE_INIT) stays as it is.
 */
struct keel_migrate_tune {
	long long downtime_ms;
	long long bandwidth_mib;	/* 0: unlimited */
	int auto_converge;		/* 0 or 1 */
};

#define KEEL_MIGRATE_TUNE_INIT { -1, -1, -1 }

/* domain.migrate_set: change @dom's migration under way to @tune. */
int keel_domain_migrate_set(struct keel_conn *c, const char *dom,
			    const struct keel_migrate_tune *tune);

/* The text of a CPU list of any host ("0-3,5", "all"), NUL included. */
#define KEEL_CPULIST_MAX 4096

/* One vCPU of a running domain (domain.vcpu_list, xl vcpu-list). */
struct keel_vcpu {
	char name[KEEL_NAME_MAX + 1];	/* the domain's */
	char uuid[KEEL_UUID_LEN + 1];
	int id;				/* the domain's */
	int vcpu;
	int tid;			/* its thread in keel-hv; -1 offline */
	int cpu;			/* host CPU it last ran on; -1 offline */
	char state[16];			/* running, blocked, paused, offline */
	double time;			/* seconds of host CPU */
	char affinity[KEEL_CPULIST_MAX];	/* "all" or a CPU list */
};

/*
 * Pin vCPU @vcpu of @dom (every vCPU when @vcpu < 0) to the host CPUs
 * of the xl CPU list @cpus ("0-3,^1", "all"): live, and kept in the
 * domain's configuration. *@setting (may be NULL): the domain's cpus
 * setting afterwards, a string or an array (keel.cfg(5)).
 */
int keel_domain_vcpu_pin(struct keel_conn *c, const char *dom, int vcpu,
			 const char *cpus, struct json_object **setting);

/*
 * The vCPUs of @dom, or of every running domain when @dom is NULL, in
 * a new array *@out of *@n (free it with free()).
 */
int keel_domain_vcpu_list(struct keel_conn *c, const char *dom,
			  struct keel_vcpu **out, size_t *n);

/*
 * A domain's CPU weight and cap, xl sched-credit's (docs/qos.md): what
 * it runs with, else its definition, defaults filled in.
 */
struct keel_sched {
	char name[KEEL_NAME_MAX + 1];
	char uuid[KEEL_UUID_LEN + 1];
	int id;			/* -1 when not running */
	int weight;		/* 1-65535, relative to other domains */
	int cap;		/* percent of one host CPU; 0: none */
};

/* domain.get_sched. @out may be NULL. */
int keel_domain_get_sched(struct keel_conn *c, const char *dom,
			  struct keel_sched *out);

/*
 * domain.set_sched: change @weight, @cap or both (-1 leaves one as it
 * is), live and in the configuration; all or nothing. @out (may be
 * NULL) gets the values now.
 */
int keel_domain_set_sched(struct keel_conn *c, const char *dom, int weight,
			  int cap, struct keel_sched *out);
/*
 * domain.set_vcpus: @vcpus online (1..maxvcpus), by ACPI hot-plug on a
 * running domain, and kept as the configuration's vcpus. *@result
 * (may be NULL; the caller puts it): {"vcpus", "maxvcpus", "online"}.
 */
int keel_domain_set_vcpus(struct keel_conn *c, const char *dom, int vcpus,
			  struct json_object **result);

/*
 * Disks and NICs of a domain, live on a running one through PCI
 * hot-plug (xl's block-attach, network-attach, ...): domain.block_attach
 * and domain.network_attach append @disk or @nic (borrowed; an entry of
 * the configuration's disks or nics). domain.block_detach and
 * domain.network_detach take one out, named as for
 * keel_domain_blkdeviotune(), waiting up to @timeout_s seconds for the
 * guest to let go (0: keeld's default, 30). *@result (may be NULL; the
 * caller puts it): {"disk"|"nic": {...}, "attached"|"detached": true}.
 */
int keel_domain_block_attach(struct keel_conn *c, const char *dom,
			     struct json_object *disk,
			     struct json_object **result);
int keel_domain_block_detach(struct keel_conn *c, const char *dom,
			     const char *disk, int timeout_s,
			     struct json_object **result);
int keel_domain_network_attach(struct keel_conn *c, const char *dom,
			       struct json_object *nic,
			       struct json_object **result);
int keel_domain_network_detach(struct keel_conn *c, const char *dom,
			       const char *nic, int timeout_s,
			       struct json_object **result);

/*
 * keeld's own log (xl dmesg): host.dmesg gives its recent lines, oldest
 * first, in a new array *@lines of *@n, one allocation with the
 * messages (free it with free()). host.dmesg_clear forgets the lines
 * whose seq is at most @upto (0: every line there is), so that a reader
 * clears only what it saw; *@cleared (may be NULL) says how many went.
 */
struct keel_dmesg_line {
	unsigned long long seq;	/* from 1, never reused */
	double time;		/* seconds since the epoch */
	char level[8];		/* "error", "warning", "info", "debug" */
	const char *message;	/* in the array's allocation */
};

int keel_host_dmesg(struct keel_conn *c, struct keel_dmesg_line **lines,
		    size_t *n);
int keel_host_dmesg_clear(struct keel_conn *c, unsigned long long upto,
			  unsigned long long *cleared);

/*
 * domain.config_update (xl config-update): @config (borrowed) becomes
 * what @dom starts with next time; a running guest does not change.
 * @out (may be NULL): the domain's summary after.
 */
int keel_domain_config_update(struct keel_conn *c, const char *dom,
			      struct json_object *config,
			      struct keel_domain *out);

/* A lifecycle event (schemas/keel.openrpc.json, components/schemas/Event). */
struct keel_event {
	const char *type;	/* "lifecycle", "progress", "device" */
	const char *event;	/* "started", "stopped", ... */
	const char *detail;	/* "booted", "shutdown", ... */
	struct keel_domain domain;	/* name, uuid, id, state, reason */
	double timestamp;	/* seconds since the epoch */
	struct json_object *raw;	/* the whole params object */
	/*
	 * A "progress" event: @job ("save", "restore"; "" otherwise) has
	 * done @done of about @total bytes (-1 when not said).
	 */
	const char *job;
	long long done, total;
};

/* Called from keel_event_dispatch()/keel_event_wait(); @ev is valid during it. */
typedef void (*keel_event_fn)(struct keel_conn *c,
			      const struct keel_event *ev, void *opaque);

void keel_set_event_callback(struct keel_conn *c, keel_event_fn fn,
			     void *opaque);
int keel_events_subscribe(struct keel_conn *c);

/* The socket to poll for readability. */
int keel_event_fd(const struct keel_conn *c);

/* True when events are queued and keel_event_dispatch() should be called. */
bool keel_event_pending(const struct keel_conn *c);

/*
 * Read what the socket has without blocking and deliver every complete
 * event. Returns the number delivered (0 is fine), or -1 when the
 * connection broke (keeld went away: reconnect and subscribe again).
 */
int keel_event_dispatch(struct keel_conn *c);

/*
 * Block until at least one event was delivered or @timeout_ms passed
 * (-1: no limit). Returns the number delivered, 0 on timeout, -1 when
 * the connection broke.
 */
int keel_event_wait(struct keel_conn *c, int timeout_ms);

/*
 * Consoles (docs/console.md): keel_console_open() sends domain.open_console
 * and, once keeld accepted it, the connection is the console stream: it
 * carries frames both ways and no more calls.
 *
 * Ownership: on success the console takes over @c. Do not use @c, nor
 * keel_close() it, afterwards; keel_console_close() closes the socket
 * and frees both. On failure @c stays the caller's, with the reason in
 * keel_last_error(@c); after a keeld error (no such domain, refused)
 * it can still make calls.
 *
 * Reading never blocks: call keel_console_read() until it returns 0,
 * then poll keel_console_fd() for readability, and again. Read before
 * the first poll too: the first frames may have come with keeld's
 * answer, and the socket does not become readable for them. Writing
 * blocks until the socket took every byte. Calls on one console must
 * not run concurrently.
 */
struct keel_console;

/* The roles of a console client: at most one writer per console. */
enum keel_console_role {
	KEEL_CONSOLE_VIEWER = 0,	/* sees the output; input is dropped */
	KEEL_CONSOLE_WRITER = 1,	/* sees the output and types */
};

struct keel_console_opts {
	const char *console;	/* "serial" or "virtio"; NULL: serial */
	bool read_only;		/* mode "view": never the writer */
	bool force;		/* become the writer even if there is one */
	long history_lines;	/* replay from the N-th last line; -1: 24 */
	long history_bytes;	/* or the last N bytes; -1: not this way */
};

/* The defaults: the writer, serial, keel-hv's history (a screenful). */
#define KEEL_CONSOLE_OPTS_INIT { NULL, false, false, -1, -1 }

/*
 * Attach to @dom's console with @o (NULL: KEEL_CONSOLE_OPTS_INIT). At
 * most one of history_lines and history_bytes may be given (>= 0);
 * force with read_only is refused. Returns 0 and *@out, or -1.
 */
int keel_console_open(struct keel_conn *c, const char *dom,
		      const struct keel_console_opts *o,
		      struct keel_console **out);

/*
 * Close the stream (detach) and free the console and its connection.
 * NULL is fine.
 */
void keel_console_close(struct keel_console *con);

/* The error of the console's last failed call; never NULL. */
const struct keel_error *
keel_console_last_error(const struct keel_console *con);

/* The socket to poll for readability; -1 for NULL. */
int keel_console_fd(const struct keel_console *con);

/* This client's role now: as domain.open_console answered, then ROLE frames. */
enum keel_console_role keel_console_role(const struct keel_console *con);

enum keel_console_frame_kind {
	KEEL_CONSOLE_DATA = 1,	/* guest output: data, len */
	KEEL_CONSOLE_MISSED,	/* missed: output bytes this client lost */
	KEEL_CONSOLE_ROLE,	/* role: this client's role changed */
	KEEL_CONSOLE_END,	/* the stream ends: data is why (a sentence) */
};

struct keel_console_frame {
	enum keel_console_frame_kind kind;
	/*
	 * DATA: the bytes; END: a NUL-terminated sentence. Valid until
	 * the next call on the console.
	 */
	const char *data;
	size_t len;
	unsigned long long missed;	/* MISSED */
	enum keel_console_role role;	/* ROLE */
};

/*
 * Take the next frame: reads what the socket has without blocking.
 * Returns 1 with *@f filled, 0 when no whole frame is there yet (poll
 * and call again), or -1: the stream broke (keeld closed it: EOF
 * without END, KEEL_E_CONNECTION) or sent something the protocol does
 * not allow (KEEL_E_PROTOCOL; the console is then shut down), or it
 * ended with the END frame delivered before. Every later read fails.
 */
int keel_console_read(struct keel_console *con, struct keel_console_frame *f);

/*
 * Send @len bytes of input (DATA frames of at most 64 KiB). Blocks
 * until all is sent. keel-hv drops a viewer's input. Returns 0 or -1.
 */
int keel_console_write(struct keel_console *con, const void *buf, size_t len);

/*
 * Tell keel-hv the terminal's size (a WINSIZE frame; virtio-console
 * uses it, serial ignores it). Both must be 1 to 65535. Returns 0 or -1.
 */
int keel_console_resize(struct keel_console *con, unsigned rows,
			unsigned cols);

#ifdef __cplusplus
}
#endif

#endif /* KEEL_H */
