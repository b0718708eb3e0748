// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Two hosts on one machine for the migration tests: two network
 * namespaces, a veth between them, a keeld in each (twohost.h).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"
#include "twohost.h"

#define IP "/sbin/ip"
/* How long keeld may take to say it is ready, in the nested runner too. */
#define TWOHOST_READY_MS 30000

struct twohost twohost;

const char *twohost_pki(void)
{
	return harness_path("tests/integration/twohost-pki");
}

const char *twohost_pki_dir(const char *name)
{
	static char bufs[4][PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", twohost_pki(), name);
	return b;
}

/*
 * The shell script that makes the PKI (twohost.h) in DIR.tmp and then
 * renames it DIR, so that a run cut short leaves no half-made PKI.
 * $1 is DIR, $2 keel-pki-init.
 */
static const char pki_script[] =
	"set -e; d=$1; t=$1.tmp; init=\"/bin/sh $2\"; rm -rf \"$t\"; "
	"$init --dir \"$t\" --ip 10.99.0.1 hostA >/dev/null; "
	"$init --dir \"$t\" --ip 10.99.0.2 hostB >/dev/null; "
	"$init --dir \"$t\" hostX >/dev/null; "
	"$init --dir \"$t/ca2\" hostA >/dev/null; "
	"cp -a \"$t/hostA\" \"$t/A-noclient\"; "
	"rm \"$t/A-noclient/clientcert.pem\" "
	"\"$t/A-noclient/private/clientkey.pem\"; "
	"cp -a \"$t/hostA\" \"$t/A-otherca\"; "
	"cp \"$t/ca2/hostA/clientcert.pem\" \"$t/A-otherca/\"; "
	"cp \"$t/ca2/hostA/private/clientkey.pem\" \"$t/A-otherca/private/\"; "
	"cp -a \"$t/hostA\" \"$t/A-expired\"; "
	"printf '%s\\n' basicConstraints=critical,CA:FALSE "
	"keyUsage=critical,digitalSignature extendedKeyUsage=clientAuth "
	">\"$t/expired.ext\"; "
	/* OpenSSL 3.0 takes negative days: valid until yesterday. */
	"openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	"-keyout \"$t/A-expired/private/clientkey.pem\" -subj /O=keel/CN=hostA "
	"2>/dev/null | openssl x509 -req -CA \"$t/ca/cacert.pem\" "
	"-CAkey \"$t/ca/private/cakey.pem\" -CAcreateserial -days -1 "
	"-extfile \"$t/expired.ext\" -out \"$t/A-expired/clientcert.pem\" "
	"2>/dev/null; "
	"chmod 600 \"$t/A-expired/private/clientkey.pem\"; "
	"mv \"$t\" \"$d\"";

const char *twohost_pki_make(void)
{
	char script[PATH_MAX];
	char *argv[] = { "/bin/sh", "-c", (char *)pki_script, "twohost",
			 (char *)twohost_pki(), script, NULL };
	struct proc p = { .pid = -1 };
	struct stat st;
	int rc;

	if (!stat(twohost_pki_dir("A-expired/clientcert.pem"), &st))
		return NULL;
	if (system("command -v openssl >/dev/null 2>&1"))
		return "the openssl command, which makes the two hosts' certificates, is missing";
	snprintf(script, sizeof(script), "%s/../data/keel-pki-init",
		 default_schema_dir());
	rc = proc_spawn(&p, argv);
	if (!rc)
		rc = proc_wait(&p, 120000);
	if (rc)
		fprintf(stderr, "twohost: making the PKI failed: %s\n",
			p.out ? p.out : strerror(-rc));
	proc_dispose(&p);
	return rc ? "keel-pki-init could not make the two hosts' certificates" :
		    NULL;
}

/* Remove the namespaces (and so the veths and bridges in them). */
static void twohost_net_remove(void)
{
	for (int i = 0; i < 2; i++)
		harness_sh(IP " netns del %s 2>/dev/null", twohost.side[i].ns);
}

/* Name everything after the tag; no directory yet. */
static void twohost_names(void)
{
	static const char *const letter = "AB";

	for (int i = 0; i < 2; i++) {
		struct twohost_side *s = &twohost.side[i];

		snprintf(s->name, sizeof(s->name), "host%c", letter[i]);
		snprintf(s->addr, sizeof(s->addr), "10.99.0.%d", i + 1);
		snprintf(s->ns, sizeof(s->ns), "keel%c%s", letter[i],
			 twohost.tag);
		snprintf(s->veth, sizeof(s->veth), "kv%c%s", letter[i],
			 twohost.tag);
		snprintf(s->uri, sizeof(s->uri), "tls://%s:%d", s->addr,
			 TWOHOST_PORT);
	}
}

void twohost_suite_setup(void)
{
	memset(&twohost, 0, sizeof(twohost));
	snprintf(twohost.tag, sizeof(twohost.tag), "%d",
		 (int)getpid() % 10000000);
	twohost_names();
	strcpy(twohost.dir, "/tmp/keel-2h.XXXXXX");
	if (!mkdtemp(twohost.dir))
		twohost.dir[0] = '\0';
}

void twohost_suite_teardown(void)
{
	/* A failed test's keelds and keel-hvs first, then their network. */
	keeld_dir_remove(twohost.dir);
	twohost_net_remove();
}

void twohost_setup(void)
{
	static int nr;
	char tdir[100];

	ck_assert_msg(twohost.dir[0], "cannot create a directory in /tmp");
	/* What a failed test before this one left. */
	twohost_net_remove();
	do
		snprintf(tdir, sizeof(tdir), "%s/t%d", twohost.dir, nr++);
	while (mkdir(tdir, 0700) && errno == EEXIST);
	for (int i = 0; i < 2; i++) {
		struct twohost_side *s = &twohost.side[i];

		snprintf(s->dir, sizeof(s->dir), "%s/%s", tdir, s->name);
		ck_assert_int_eq(mkdir(s->dir, 0700), 0);
		snprintf(s->run_dir, sizeof(s->run_dir), "%s/run", s->dir);
		snprintf(s->state_dir, sizeof(s->state_dir), "%s/state",
			 s->dir);
		snprintf(s->log_dir, sizeof(s->log_dir), "%s/log", s->dir);
		snprintf(s->conf, sizeof(s->conf), "%s/keeld.conf", s->dir);
		snprintf(s->sock, sizeof(s->sock), "%s/keeld.sock", s->run_dir);
		snprintf(s->ro_sock, sizeof(s->ro_sock), "%s/keeld-ro.sock",
			 s->run_dir);
		memset(&s->keeld, 0, sizeof(s->keeld));
		s->keeld.pid = -1;
		s->keeld.in_fd = s->keeld.out_fd = -1;
		ck_assert_msg(harness_sh(IP " netns add %s", s->ns) == 0,
			      "cannot make the network namespace %s", s->ns);
		ck_assert_int_eq(harness_sh(IP " -n %s link set lo up", s->ns),
				 0);
	}
	ck_assert_msg(harness_sh(IP " link add %s netns %s type veth peer name %s netns %s",
				 twohost.side[0].veth, twohost.side[0].ns,
				 twohost.side[1].veth,
				 twohost.side[1].ns) == 0,
		      "cannot make the veth pair %s-%s (is veth.ko loaded?)",
		      twohost.side[0].veth, twohost.side[1].veth);
	for (int i = 0; i < 2; i++) {
		const struct twohost_side *s = &twohost.side[i];

		ck_assert_int_eq(harness_sh(IP " -n %s addr add %s/24 dev %s && "
					    IP " -n %s link set %s up",
					    s->ns, s->addr, s->veth, s->ns,
					    s->veth),
				 0);
	}
	twohost_keeld_start(0, NULL, NULL);
	twohost_keeld_start(1, NULL, NULL);
}

void twohost_teardown(void)
{
	char tdir[sizeof(twohost.side[0].dir)] = "";

	for (int i = 0; i < 2; i++) {
		struct twohost_side *s = &twohost.side[i];

		if (s->keeld.pid > 0 && !s->keeld.exited) {
			kill(s->keeld.pid, SIGTERM);
			proc_wait(&s->keeld, 5000);
		}
		proc_dispose(&s->keeld);
	}
	/* The test's directory: both hosts' leftovers, then the network. */
	if (twohost.side[0].dir[0]) {
		snprintf(tdir, sizeof(tdir), "%s", twohost.side[0].dir);
		*strrchr(tdir, '/') = '\0';
		keeld_dir_remove(tdir);
	}
	twohost_net_remove();
}

void twohost_keeld_start(int i, const char *pki, const char *extra)
{
	struct twohost_side *s = &twohost.side[i];
	const struct twohost_side *other = &twohost.side[!i];
	char conf[4096];
	int rc;

	snprintf(s->pki, sizeof(s->pki), "%s",
		 pki ? pki : twohost_pki_dir(s->name));
	snprintf(conf, sizeof(conf),
		 "log_level = info\n"
		 "listen = tls://%s:%d\n"
		 "pki_dir = %s\n"
		 /*
		  * Two hosts, two cgroup trees: with one parent the source's
		  * and the destination's keel-hv would share the domain's
		  * group (named by its uuid) and its one memory limit.
		  */
		 "cgroup_parent = keel-%s\n"
		 "%s%s%s"
		 "%s",
		 s->addr, TWOHOST_PORT, s->pki, s->name,
		 extra && strstr(extra, "tls_allowed_dn") ? "" :
							    "tls_allowed_dn = CN=",
		 extra && strstr(extra, "tls_allowed_dn") ? "" : other->name,
		 extra && strstr(extra, "tls_allowed_dn") ? "" : ",O=keel\n",
		 extra ? extra : "");
	write_file(s->conf, conf);
	proc_dispose(&s->keeld);
	rc = keeld_spawn_in(&s->keeld, s->ns, harness_path("daemon/keeld"),
			    s->conf, s->run_dir, s->state_dir, s->log_dir,
			    default_schema_dir(),
			    harness_path("hypervisor/keel-hv"),
			    TWOHOST_READY_MS);
	ck_assert_msg(rc == 0, "keeld on %s did not start (%s): %s", s->name,
		      strerror(-rc), harness_tail(s->keeld.out ? s->keeld.out : ""));
}

void twohost_show_logs(void)
{
	for (int i = 0; i < 2; i++) {
		struct twohost_side *s = &twohost.side[i];

		/* Read what keeld wrote since the test last looked. */
		if (s->keeld.pid > 0 && !s->keeld.exited)
			proc_expect(&s->keeld, "\n\001", s->keeld.len, 200);
		printf("--- %s: keeld's output ---\n%s\n", s->name,
		       s->keeld.out ? harness_tail(s->keeld.out) : "");
		fflush(stdout);
		harness_sh("for f in '%s'/*.log; do [ -f \"$f\" ] || continue; "
			   "echo \"--- %s: $f ---\"; tail -n 40 \"$f\"; done",
			   s->log_dir, s->name);
	}
	/* Where each keel-hv thread is blocked, when one hangs. */
	harness_sh("for c in /proc/[0-9]*/comm; do [ \"$(cat $c 2>/dev/null)\" = keel-hv ] || continue; "
		   "p=${c%%/comm}; p=${p#/proc/}; for t in /proc/$p/task/*; do "
		   "echo \"--- keel-hv $p thread ${t##*/} $(cat $t/comm): $(cat $t/wchan)\"; "
		   "cat $t/stack 2>/dev/null | head -n 8; done; done");
}

void twohost_keeld_stop(int i)
{
	struct twohost_side *s = &twohost.side[i];

	kill(s->keeld.pid, SIGTERM);
	ck_assert_int_eq(proc_wait(&s->keeld, 10000), 0);
	proc_dispose(&s->keeld);
}

void twohost_keeld_kill(int i)
{
	struct twohost_side *s = &twohost.side[i];

	if (s->keeld.pid > 0 && !s->keeld.exited) {
		kill(s->keeld.pid, SIGKILL);
		proc_wait(&s->keeld, 5000);
	}
}

void twohost_keeld_freeze(int i, bool frozen)
{
	struct twohost_side *s = &twohost.side[i];

	ck_assert_int_gt(s->keeld.pid, 0);
	ck_assert_int_eq(kill(s->keeld.pid, frozen ? SIGSTOP : SIGCONT), 0);
}

const char *twohost_run_phase(int i, const char *uuid)
{
	static char phase[32];
	struct json_object *st, *mig, *v;
	char path[320];

	snprintf(path, sizeof(path), "%s/domains/%s/state.json",
		 twohost.side[i].run_dir, uuid);
	snprintf(phase, sizeof(phase), "none");
	/* keeld replaces the file whole (json_file_write()): never half. */
	st = json_object_from_file(path);
	if (st && json_object_object_get_ex(st, "migration", &mig) &&
	    json_object_object_get_ex(mig, "phase", &v))
		snprintf(phase, sizeof(phase), "%s", json_object_get_string(v));
	json_object_put(st);
	return phase;
}

void twohost_wait_run_phase(int i, const char *uuid, const char *phase,
			    int ms)
{
	long long end = harness_now_ms() + ms;

	while (strcmp(twohost_run_phase(i, uuid), phase)) {
		ck_assert_msg(harness_now_ms() < end,
			      "the migration on %s is %s, not %s, after %d ms",
			      twohost.side[i].name, twohost_run_phase(i, uuid),
			      phase, ms);
		usleep(100 * 1000);
	}
}

void twohost_wait_clean(int i, const char *uuid, int ms)
{
	const struct twohost_side *s = &twohost.side[i];
	long long end = harness_now_ms() + ms;
	struct proc p;

	for (;;) {
		bool clean;

		/*
		 * keel-hv's --control names the run directory and the uuid;
		 * found by comm, as this shell's command line names them too.
		 */
		twohost_run(&p, NULL, 10000,
			    "for d in /proc/[0-9]*; do "
			    "[ \"$(cat $d/comm 2>/dev/null)\" = keel-hv ] && "
			    "tr '\\0' ' ' <$d/cmdline 2>/dev/null | "
			    "grep -F '%s/domains/%s/'; "
			    "done; find /sys/fs/cgroup -maxdepth 4 -type d "
			    "-name '%s' -path '*keel-%s*' 2>/dev/null; true",
			    s->run_dir, uuid, uuid, s->name);
		clean = !p.out || !p.out[0];
		if (clean) {
			proc_dispose(&p);
			return;
		}
		ck_assert_msg(harness_now_ms() < end,
			      "%s did not clean up domain %s in %d ms: %s",
			      s->name, uuid, ms, p.out ? p.out : "");
		proc_dispose(&p);
		usleep(250 * 1000);
	}
}

int twohost_run(struct proc *p, const char *ns, int timeout_ms,
		const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(rc, 0);
	{
		char *in_ns[] = { IP, "netns", "exec", (char *)ns, "/bin/sh",
				  "-c", cmd, NULL };
		char *here[] = { "/bin/sh", "-c", cmd, NULL };

		memset(p, 0, sizeof(*p));
		p->pid = -1;
		rc = proc_spawn(p, ns ? in_ns : here);
	}
	ck_assert_msg(rc == 0, "cannot run %s: %s", cmd, strerror(-rc));
	free(cmd);
	return proc_wait(p, timeout_ms);
}

int twohost_keel(struct proc *p, int i, int timeout_ms, const char *args)
{
	return twohost_run(p, NULL, timeout_ms, "'%s' -c '%s' %s",
			   harness_path("cli/keel"), twohost.side[i].sock,
			   args);
}

struct json_object *twohost_rpc(int i, const char *method, const char *fmt,
				...)
{
	char params[8192], *line;
	struct harness_client c;
	struct json_object *resp;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(params, sizeof(params), fmt, ap);
	va_end(ap);
	ck_assert_int_ge(asprintf(&line,
				  "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"%s\",\"params\":%s}",
				  method, params),
			 0);
	ck_assert_int_eq(harness_client_open(&c, twohost.side[i].sock, 0), 0);
	resp = harness_client_call(&c, line, harness_long_timeout_ms()) ?
		       json_tokener_parse(c.line) :
		       NULL;
	harness_client_close(&c);
	ck_assert_msg(resp != NULL, "%s: no answer to %.200s",
		      twohost.side[i].name, line);
	free(line);
	return resp;
}

const char *twohost_state(int i, const char *dom)
{
	static char state[2][32];
	struct json_object *resp =
		twohost_rpc(i, "domain.info", "{\"name\":\"%s\"}", dom);

	if (code_of(resp) == -32001)
		snprintf(state[i], sizeof(state[i]), "none");
	else
		snprintf(state[i], sizeof(state[i]), "%s",
			 str_at(resp, "/result/state"));
	json_object_put(resp);
	return state[i];
}

/* @dom's reason on side @i ("migrating"), or "none". */
const char *twohost_reason(int i, const char *dom)
{
	static char reason[32];
	struct json_object *resp =
		twohost_rpc(i, "domain.info", "{\"name\":\"%s\"}", dom);

	snprintf(reason, sizeof(reason), "%s",
		 code_of(resp) == -32001 ? "none" :
					   str_at(resp, "/result/reason"));
	json_object_put(resp);
	return reason;
}

/* Side @i's console log of @dom (free it), or NULL while none. */
char *twohost_console_log(int i, const char *dom)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s.console.log",
		 twohost.side[i].log_dir, dom);
	return harness_read_file(path, NULL);
}

/*
 * The last heartbeat in side @i's log of @dom (-1: none), asserting
 * that the beats there never go backwards and every one says errors=0.
 * A log holds the stays of the domain on its host in time order, so
 * one counter that only grows is what a guest that never lost its
 * memory prints.
 */
long twohost_beats_checked(int i, const char *dom)
{
	char *buf = twohost_console_log(i, dom), *p;
	long last = -1;

	for (p = buf; p && (p = strstr(p, "dirty beat=")); p++) {
		char *err = strstr(p, "errors="), *eol = strchr(p, '\n');
		long beat;

		/*
		 * keel-hv writes the log as the guest prints, a byte at a
		 * time: a line without its newline is still being written
		 * ("dirty beat=3" of 39) and is read next time.
		 */
		if (!eol)
			break;
		beat = strtol(p + strlen("dirty beat="), NULL, 10);

		if (beat < last) {
			harness_sh("dmesg | tail -n 20");
			twohost_show_logs();
		}
		ck_assert_msg(beat >= last,
			      "%s's heartbeat went back from %ld to %ld on %s (now %s/%s): the guest started again",
			      dom, last, beat, twohost.side[i].name,
			      twohost_state(i, dom), twohost_reason(i, dom));
		if (err && err < eol)
			ck_assert_msg(strtol(err + strlen("errors="), NULL,
					     10) == 0,
				      "%s found pages changed on %s: %.120s",
				      dom, twohost.side[i].name, p);
		last = beat;
	}
	ck_assert_msg(!buf || !strstr(buf, "FAIL"), "%s failed on %s: %s",
		      dom, twohost.side[i].name, buf ? harness_tail(buf) : "");
	free(buf);
	return last;
}

/* Wait until @dom's heartbeat on side @i passes @after; its value. */
long twohost_beat_after(int i, const char *dom, long after)
{
	long long end = harness_now_ms() + harness_long_timeout_ms();
	long beat;

	for (;;) {
		beat = twohost_beats_checked(i, dom);
		if (beat > after)
			return beat;
		ck_assert_msg(harness_now_ms() < end,
			      "%s's heartbeat stayed at %ld on %s", dom, beat,
			      twohost.side[i].name);
		usleep(200 * 1000);
	}
}

/* The dirty guest @dom on side @i (64 MiB, 1 vCPU), beating. */
long twohost_dirty_create(int i, const char *dom)
{
	struct json_object *resp;

	resp = twohost_rpc(i, "domain.create",
			   "{\"config\":{\"name\":\"%s\",\"kernel\":\"%s\","
			   "\"memory\":64,\"vcpus\":1}}",
			   dom, harness_path("tests/guests/dirty.bin"));
	assert_ok(resp);
	json_object_put(resp);
	return twohost_beat_after(i, dom, 1);
}

void twohost_link(bool up)
{
	ck_assert_int_eq(harness_sh(IP " -n %s link set %s %s",
				    twohost.side[0].ns, twohost.side[0].veth,
				    up ? "up" : "down"),
			 0);
}

void twohost_lan_up(void)
{
	static const char *const letter = "AB";
	char lan[2][16];

	for (int i = 0; i < 2; i++) {
		snprintf(lan[i], sizeof(lan[i]), "kl%c%s", letter[i],
			 twohost.tag);
		ck_assert_msg(harness_sh(IP " -n %s link add " TWOHOST_BRIDGE
					 " type bridge && " IP " -n %s link set "
					 TWOHOST_BRIDGE " up",
					 twohost.side[i].ns,
					 twohost.side[i].ns) == 0,
			      "cannot make a bridge in %s (is bridge.ko loaded?)",
			      twohost.side[i].ns);
	}
	ck_assert_int_eq(harness_sh(IP " link add %s netns %s type veth peer name %s netns %s",
				    lan[0], twohost.side[0].ns, lan[1],
				    twohost.side[1].ns),
			 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(harness_sh(IP " -n %s link set %s master "
					    TWOHOST_BRIDGE " && " IP
					    " -n %s link set %s up",
					    twohost.side[i].ns, lan[i],
					    twohost.side[i].ns, lan[i]),
				 0);
	ck_assert_int_eq(harness_sh(IP " -n %s addr add " TWOHOST_LAN_ADDR
				    "/24 dev " TWOHOST_BRIDGE,
				    twohost.side[0].ns),
			 0);
}
