/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_TESTS_TWOHOST_H
#define KEEL_TESTS_TWOHOST_H

/*
 * Two hosts on one machine, for the migration tests (docs/migration.md,
 * issue 12): network namespaces "keelA<tag>" and "keelB<tag>" joined by
 * a veth pair, 10.99.0.1/24 and 10.99.0.2/24, lo up in both; in each a
 * keeld with its own run, state and log directories and PKI, listening
 * on tls://10.99.0.x:16515 and admitting the other host's client
 * subject (tls_allowed_dn), started with nsenter (keeld_spawn_in()).
 *
 * The test itself stays in the root namespace: each keeld's UNIX
 * sockets are files, so libkeel and `keel -c SOCKET` reach either side
 * from there; the TLS addresses are reachable only from inside a
 * namespace (twohost_run() with a namespace, or keeld itself).
 *
 * The PKI is made once per build tree, on the machine that runs make
 * check, with data/keel-pki-init and the openssl command
 * (twohost_pki_make(), from the suite's unit_suite()): the nested
 * runner's VM has no openssl command, and it gets the build tree, PKI
 * included. TWOHOST_PKI/NAME are PKI directories:
 *   hostA, hostB   keel-pki-init's (CN=hostX,O=keel; SAN hostX and
 *                  its 10.99.0.x, through --ip)
 *   hostX          a server certificate for another name (no 10.99.x)
 *   A-noclient     hostA without clientcert.pem and its key
 *   A-otherca      hostA with a client certificate of a second CA
 *   A-expired      hostA with a client certificate that has expired
 *
 * An optional LAN (twohost_lan_up()): bridge TWOHOST_BRIDGE in each
 * namespace, joined by a second veth pair, TWOHOST_LAN_ADDR on A's: a
 * domain's NIC on that bridge answers ping from namespace A on either
 * host, as on one Ethernet segment, once the guest announced its move.
 *
 * The helpers fail the running Check test (ck_assert). Setup and
 * teardown follow keeld_fixture's split: twohost_suite_setup/teardown
 * (unchecked: in the runner's process, so a failed test's leftovers —
 * namespaces, veths, keelds, keel-hvs — are removed even when the
 * test's process died in an assertion) around twohost_setup/teardown
 * (checked, per test). Nothing is left behind.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"

struct json_object;

#define TWOHOST_PORT 16515
#define TWOHOST_BRIDGE "kbr0"
#define TWOHOST_LAN_ADDR "10.98.2.1"

/* One host: 0 is A (the usual source), 1 is B. */
struct twohost_side {
	char name[8];		/* "hostA" */
	char addr[16];		/* "10.99.0.1" */
	char ns[24];		/* "keelA<tag>" */
	char veth[16];		/* its end of the pair */
	char dir[112];		/* the host's directory */
	char run_dir[128], state_dir[128], log_dir[128], conf[128];
	char sock[144], ro_sock[144];	/* keeld.sock, keeld-ro.sock */
	char pki[160];		/* the PKI directory keeld runs with */
	char uri[48];		/* "tls://10.99.0.1:16515" */
	struct proc keeld;
};

struct twohost {
	char tag[12];		/* unique per suite run (the runner's pid) */
	char dir[64];		/* the suite's directory */
	struct twohost_side side[2];
};

extern struct twohost twohost;

/* Where twohost_pki_make() puts the PKI: in the build tree. */
const char *twohost_pki(void);

/*
 * Make the PKI described above unless it is there already. Returns NULL
 * or a sentence saying why it cannot be made (for runner_skip_reason).
 */
const char *twohost_pki_make(void);

/* The PKI directory @name under twohost_pki(); static, four in turn. */
const char *twohost_pki_dir(const char *name);

void twohost_suite_setup(void);
void twohost_suite_teardown(void);

/*
 * Fresh directories, namespaces and veths for a test, and both keelds
 * started with their own PKI and the default configuration.
 */
void twohost_setup(void);

/* Stop both keelds, kill what is left, remove namespaces and veths. */
void twohost_teardown(void);

/*
 * (Re)write side @i's keeld.conf and start its keeld in its namespace:
 * PKI directory @pki (NULL: its own, TWOHOST_PKI/hostX), @extra lines
 * added (NULL: none; "tls_allowed_dn = ..." lines replace the default
 * one when @extra has any). Waits for its ready line.
 */
void twohost_keeld_start(int i, const char *pki, const char *extra);

/* SIGTERM side @i's keeld and assert it exits 0. */
void twohost_keeld_stop(int i);

/* SIGKILL side @i's keeld (its domains run on) and reap it. */
void twohost_keeld_kill(int i);

/*
 * Run the shell command @fmt (in namespace @ns, NULL: this one), wait
 * up to @timeout_ms; its exit status (proc_wait's). Its output stays in
 * @p, which the caller must proc_dispose().
 */
int twohost_run(struct proc *p, const char *ns, int timeout_ms,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * `keel -c SIDE'S-SOCKET @args` (a shell word list) from this namespace;
 * its exit status, its output in @p (dispose it).
 */
int twohost_keel(struct proc *p, int i, int timeout_ms, const char *args);

/*
 * One JSON-RPC call of @method with the params object @fmt on side
 * @i's read-write socket; asserts an answer came and returns it.
 */
struct json_object *twohost_rpc(int i, const char *method, const char *fmt,
				...) __attribute__((format(printf, 3, 4)));

/* The domain's state on side @i ("running"), or "none" when it has none. */
const char *twohost_state(int i, const char *dom);

/* The domain's reason on side @i ("migrating"), or "none". Static. */
const char *twohost_reason(int i, const char *dom);

/* Side @i's console log of @dom (free it), or NULL while there is none. */
char *twohost_console_log(int i, const char *dom);

/*
 * The dirty test guest's last heartbeat in side @i's console log of
 * @dom (-1: none), asserting that the beats never go backwards and
 * every one says errors=0.
 */
long twohost_beats_checked(int i, const char *dom);

/* Wait until @dom's heartbeat on side @i passes @after; its value. */
long twohost_beat_after(int i, const char *dom, long after);

/* Create the dirty test guest @dom on side @i (64 MiB, 1 vCPU), beating. */
long twohost_dirty_create(int i, const char *dom);

/*
 * Print, for a failed test's message, what both hosts logged: the end
 * of each keeld's output and of every log in its log directory (its
 * keel-hv processes and consoles).
 */
void twohost_show_logs(void);

/*
 * Stop (@frozen) or continue side @i's keeld: SIGSTOP makes a peer that
 * holds its connections open and answers nothing, as a hung host does.
 */
void twohost_keeld_freeze(int i, bool frozen);

/*
 * The migration phase in side @i's state.json of domain @uuid
 * ("sending", "received", ...; docs/migration.md), read from the run
 * directory, so also while that keeld is frozen or dead; "none" when
 * there is no such file or no migration in it. Static.
 */
const char *twohost_run_phase(int i, const char *uuid);

/* Wait up to @ms for twohost_run_phase() to say @phase. */
void twohost_wait_run_phase(int i, const char *uuid, const char *phase,
			    int ms);

/*
 * The other side cleaned up (docs/migration.md, phase 6): within @ms,
 * no keel-hv of side @i runs for domain @uuid and no cgroup of side @i
 * is left for it.
 */
void twohost_wait_clean(int i, const char *uuid, int ms);

/* The veth between the hosts up or down (a cut cable). */
void twohost_link(bool up);

/* The LAN described above. */
void twohost_lan_up(void);

#endif /* KEEL_TESTS_TWOHOST_H */
