// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A running domain's state file, and taking over the domains a previous
 * keeld left running (lifecycle_recover).
 *
 * keeld writes DIR/state.json (run_save) when it starts a keel-hv and
 * at every change of the domain's state: the pid and its start time
 * (against pid reuse), the id, state and reason, and the configuration
 * the domain runs with. State files alone are not enough: one may be
 * missing (a full run directory, a file removed by hand) while its
 * keel-hv runs, and a domain keeld does not see could be started a
 * second time. So keeld also looks at the processes:
 *
 *   1. every keel-hv started on this run directory, found in /proc by
 *      its command line (--control=RUN_DIR/domains/UUID/control.sock);
 *   2. every RUN_DIR/domains/UUID/state.json: its keel-hv is adopted
 *      (or, if that pid has gone, a keel-hv of the same uuid found in
 *      step 1), or, when none runs, the domain's end is applied as if
 *      keeld had seen it;
 *   3. every keel-hv of step 1 that no state file named is adopted as
 *      well: its configuration is its definition, or, for a transient
 *      domain, rebuilt from its command line (hv_cmdline.c); its state
 *      file is written again;
 *   4. then the autostart domains that are shut off are started.
 *
 * Whichever way a keel-hv is adopted, its first status (and its iotune
 * per device) then replaces in the running configuration what keel-hv
 * holds and an older record may not: the vCPUs online, the balloon's
 * target, each vCPU's pinning, each disk's and NIC's I/O limits; one
 * adopted in step 3 also gets its CPU weight, cap and maxmem from its
 * cgroup first (readback.c).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "cgroup_domain.h"
#include "hv.h"
#include "hv_proto.h"
#include "hv_cmdline.h"
#include "keeld.h"
#include "lifecycle.h"
#include "log.h"
#include "migrate.h"
#include "memory.h"
#include "readback.h"
#include "run.h"

/* --- The state file: what a restarted keeld needs to take a domain over */

int run_save(struct domain_run *run)
{
	struct domain *dom = run->dom;
	struct json_object *o = json_object_new_object();
	char path[PATH_MAX];
	int rc;

	if (!o)
		return -ENOMEM;
	rc = run_path(run, HV_RUN_STATE, path, sizeof(path));
	if (rc) {
		json_object_put(o);
		return rc;
	}
	json_object_object_add(o, "version",
			       json_object_new_int(STATE_FILE_VERSION));
	json_object_object_add(o, "uuid", json_object_new_string(dom->uuid));
	json_object_object_add(o, "name", json_object_new_string(dom->name));
	json_object_object_add(o, "id", json_object_new_int(dom->id));
	json_object_object_add(o, "pid", json_object_new_int(run->pid));
	json_object_object_add(o, "starttime",
			       json_object_new_uint64(run->starttime));
	json_object_object_add(o, "started",
			       json_object_new_double(run->started));
	json_object_object_add(o, "persistent",
			       json_object_new_boolean(dom->persistent));
	json_object_object_add(o, "state",
			       json_object_new_string(
				       domain_state_name(dom->state)));
	json_object_object_add(o, "reason",
			       json_object_new_string(
				       domain_reason_name(dom->reason)));
	json_object_object_add(o, "lingering",
			       json_object_new_boolean(run->lingering));
	json_object_object_add(o, "config", json_object_get(run->config));
	/* A migration under way (docs/migration.md, phase 7). */
	json_object_object_add(o, "migration", migrate_state_json(run));
	rc = json_file_write(path, o,
			     JSON_C_TO_STRING_PRETTY |
				     JSON_C_TO_STRING_NOSLASHESCAPE,
			     0600);
	if (rc)
		log_err("Cannot save %s: %s; a keeld restart would find domain %s by its process, not by this file.",
			path, strerror(-rc), dom->name);
	json_object_put(o);
	return rc;
}

int run_load(const char *dir, struct run_state *st)
{
	struct json_object *o, *v;
	char path[PATH_MAX];
	const char *uuid;

	memset(st, 0, sizeof(*st));
	st->state = DOMAIN_RUNNING;
	st->reason = DOMAIN_REASON_UNKNOWN;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			     HV_RUN_STATE) >= sizeof(path))
		return -ENAMETOOLONG;
	o = json_object_from_file(path);
	if (!o)
		return -ENOENT;
	uuid = json_member_string(o, "uuid");
	if (!uuid || strlen(uuid) != DOMAIN_UUID_LEN ||
	    !json_object_object_get_ex(o, "config", &v) ||
	    json_object_deep_copy(v, &st->config, NULL)) {
		log_warn("%s is not a state file keeld wrote; ignored.", path);
		json_object_put(o);
		return -EINVAL;
	}
	memcpy(st->uuid, uuid, DOMAIN_UUID_LEN + 1);
	st->id = (int)config_int(o, "id", 0);
	st->pid = (pid_t)config_int(o, "pid", 0);
	if (json_object_object_get_ex(o, "starttime", &v))
		st->starttime = json_object_get_uint64(v);
	if (json_object_object_get_ex(o, "started", &v))
		st->started = json_object_get_double(v);
	if (json_object_object_get_ex(o, "lingering", &v))
		st->lingering = json_object_get_boolean(v);
	if (json_member_string(o, "state"))
		domain_state_parse(json_member_string(o, "state"), &st->state);
	if (json_member_string(o, "reason"))
		domain_reason_parse(json_member_string(o, "reason"),
				    &st->reason);
	if (json_object_object_get_ex(o, "migration", &v) &&
	    json_object_is_type(v, json_type_object))
		st->migration = json_object_get(v);
	json_object_put(o);
	return 0;
}

/* --- Re-adoption -------------------------------------------------------- */

/* Longest command line read from /proc (the guest's alone may be 64 KiB). */
#define ADOPT_MAX_CMDLINE (256 * 1024)

/* A keel-hv process found in /proc. */
struct found_hv {
	pid_t pid;
	unsigned long long starttime;
	char uuid[DOMAIN_UUID_LEN + 1];
	char *cmdline;		/* the NUL-separated strings argv points into */
	char **argv;
	size_t argc;
	bool adopted;
};

struct found_list {
	struct found_hv *v;
	size_t n, cap;
};

static void found_list_dispose(struct found_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].argv);
		free(l->v[i].cmdline);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* /proc/@pid/cmdline split into *@argv (malloc'd, pointing into *@buf). */
static int read_cmdline(pid_t pid, char **buf, char ***argv, size_t *argc)
{
	char path[64], *b = NULL;
	size_t len = 0, cap = 0, n = 0;
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		if (len + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? 2 * cap : 8192;
			nb = cap <= ADOPT_MAX_CMDLINE ? realloc(b, cap) : NULL;
			if (!nb) {
				free(b);
				close(fd);
				return -E2BIG;
			}
			b = nb;
		}
		got = read(fd, b + len, cap - len - 1);
		if (got > 0)
			len += (size_t)got;
	} while (got > 0);
	close(fd);
	if (!len) {
		free(b);
		return -ENOENT;	/* a kernel thread, or a zombie */
	}
	b[len] = '\0';
	for (size_t i = 0; i < len; i++)
		n += !b[i];
	*argv = calloc(n + 2, sizeof(**argv));
	if (!*argv) {
		free(b);
		return -ENOMEM;
	}
	*argc = 0;
	for (size_t i = 0; i < len; i += strlen(b + i) + 1)
		(*argv)[(*argc)++] = b + i;
	*buf = b;
	return 0;
}

/* Step 1: every keel-hv of this run directory. */
static void scan_processes(struct keeld *k, struct found_list *l)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d) {
		log_warn("Cannot read /proc (%s); only state files say which domains run.",
			 strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		struct found_hv f = { 0 };
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == getpid())
			continue;
		f.pid = (pid_t)pid;
		if (read_cmdline(f.pid, &f.cmdline, &f.argv, &f.argc))
			continue;
		if (!hv_cmdline_is_ours(f.argv, f.argc, k->conf.run_dir,
					f.uuid) ||
		    !(f.starttime = hv_starttime(f.pid))) {
			free(f.argv);
			free(f.cmdline);
			continue;
		}
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 32;
			struct found_hv *v = realloc(l->v, cap * sizeof(*v));

			if (!v) {
				free(f.argv);
				free(f.cmdline);
				break;
			}
			l->v = v;
			l->cap = cap;
		}
		l->v[l->n++] = f;
	}
	closedir(d);
}

static struct found_hv *found_by_pid(struct found_list *l, pid_t pid,
				     unsigned long long starttime)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].pid == pid && l->v[i].starttime == starttime)
			return &l->v[i];
	return NULL;
}

static struct found_hv *found_by_uuid(struct found_list *l, const char *uuid)
{
	for (size_t i = 0; i < l->n; i++)
		if (!l->v[i].adopted && !strcasecmp(l->v[i].uuid, uuid))
			return &l->v[i];
	return NULL;
}

/* Wall-clock time at which a process of @starttime (ticks) started. */
static double started_at(unsigned long long starttime)
{
	static double btime;
	long ticks = sysconf(_SC_CLK_TCK);
	char line[128];

	if (!btime) {
		FILE *f = fopen("/proc/stat", "re");

		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "btime %lf", &btime) == 1)
				break;
		if (f)
			fclose(f);
	}
	if (!btime || ticks <= 0)
		return wall_now();
	return btime + (double)starttime / (double)ticks;
}

/* An adopted keel-hv's first status: does its VM still run? */
static void on_adopt_status(struct hv *hv, struct json_object *result,
			    int code, const char *message, void *opaque)
{
	struct domain_run *run = opaque;
	struct json_object *v;
	const char *state = NULL;

	if (code) {
		log_warn("Domain %s: its keel-hv does not answer (%s); it is watched anyway.",
			 run->dom->name, message);
		return;
	}
	if (json_object_object_get_ex(result, "uuid", &v) &&
	    strcasecmp(json_object_get_string(v), run->dom->uuid))
		log_warn("Domain %s: its keel-hv reports the uuid %s.",
			 run->dom->name, json_object_get_string(v));
	if (json_object_object_get_ex(result, "state", &v))
		state = json_object_get_string(v);
	if (state && !strcmp(state, "paused") &&
	    run->dom->state == DOMAIN_RUNNING) {
		run->dom->state = DOMAIN_PAUSED;
		run->dom->reason = DOMAIN_REASON_USER;
		run_save(run);
	} else if (state && !strcmp(state, "running") &&
		   run->dom->state == DOMAIN_PAUSED) {
		run->dom->state = DOMAIN_RUNNING;
		run->dom->reason = DOMAIN_REASON_UNPAUSED;
		run_save(run);
	} else if (state && !strcmp(state, "stopped") && !run->lingering) {
		/* Its VM ended while keeld was away, and it lingers. */
		enum hv_end end = HV_END_LOST;
		char *detail = NULL;

		hv_read_exit(run->dir, &end, &detail);
		run_vm_stopped(run, end, detail, false);
		free(detail);
		return;
	}
	if (!state || strcmp(state, "stopped"))
		readback_status(run, result);
}

/* Watch @run's keel-hv from now on. Returns 0 or -ESRCH when it is gone. */
static int adopt_process(struct domain_run *run)
{
	struct domain *dom = run->dom;
	int rc;

	rc = hv_adopt(run->k->base, run->dir, run->pid, run->starttime,
		      &run_hv_ops, run, &run->hv);
	if (rc)
		return rc;
	/* Its group, as a keeld before made it, and its limits again. */
	cgroup_domain_adopt(run);
	log_info("Re-adopted domain %s (id %d, keel-hv pid %d).", dom->name,
		 dom->id, (int)run->pid);
	hv_call(run->hv, "status", NULL, on_adopt_status, run);
	memory_watch(run);
	return 0;
}

/* Step 2 for RUN_DIR/domains/@name: take the domain over or end it. */
static void recover_one(struct keeld *k, const char *dir,
			struct found_list *found)
{
	struct run_state st;
	struct domain_run *run;
	struct domain *dom;
	struct found_hv *f;
	const char *field;
	bool repointed = false;
	int rc;

	rc = run_load(dir, &st);
	if (rc == -ENOENT) {
		/* No state: step 3 adopts its keel-hv, if one runs. */
		if (!found_by_uuid(found, strrchr(dir, '/') + 1))
			run_dir_remove(dir);
		return;
	}
	if (rc)
		return;
	dom = registry_find_uuid(k->reg, st.uuid);
	if (!dom) {
		json_object_get(st.config);
		rc = registry_add_transient(k->reg, st.config, &dom, &field);
		if (rc) {
			log_err("Cannot take over the domain in %s (%s); its keel-hv is left alone.",
				dir, strerror(-rc));
			json_object_put(st.config);
			json_object_put(st.migration);
			return;
		}
	}
	if (dom->run) {
		json_object_put(st.config);
		json_object_put(st.migration);
		return;
	}
	run = run_new(k, dom, dir);
	if (!run) {
		json_object_put(st.config);
		json_object_put(st.migration);
		return;
	}
	json_object_put(run->config);
	run->config = st.config;
	run->pid = st.pid;
	run->starttime = st.starttime;
	run->started = st.started;
	run->lingering = st.lingering;
	dom->id = st.id;
	dom->state = st.state;
	dom->reason = st.reason;
	dom->run = run;
	if (dom->id >= k->next_domain_id)
		k->next_domain_id = dom->id + 1;
	f = found_by_pid(found, run->pid, run->starttime);
	if (!f && (f = found_by_uuid(found, dom->uuid))) {
		repointed = true;
		/* The file names a pid that has gone; this one runs it. */
		log_warn("Domain %s: its state file names keel-hv pid %d, which has gone, but keel-hv pid %d runs it; adopting that one.",
			 dom->name, (int)run->pid, (int)f->pid);
		run->pid = f->pid;
		run->starttime = f->starttime;
		run->started = started_at(f->starttime);
	}
	if (f)
		f->adopted = true;
	if (!adopt_process(run)) {
		if (repointed)
			run_save(run);
		migrate_adopted(run, st.migration);
		json_object_put(st.migration);
		return;
	}
	json_object_put(st.migration);
	/* It ended while keeld was away: act as if keeld had seen it. */
	{
		enum hv_end end = HV_END_LOST;
		char *detail = NULL;

		hv_read_exit(dir, &end, &detail);
		log_info("Domain %s (id %d) ended while keeld was not running (%s).",
			 dom->name, dom->id, hv_end_name(end));
		if (run->lingering)
			run_gone(run);
		else
			run_vm_stopped(run, end, detail, true);
		free(detail);
	}
}

/*
 * Step 3: a keel-hv no state file named. Its domain gets it back (a
 * transient one is defined again from the command line), with a new id.
 */
static void adopt_orphan(struct keeld *k, struct found_hv *f)
{
	struct json_object *config = NULL;
	struct domain_run *run;
	struct domain *dom = registry_find_uuid(k->reg, f->uuid);
	const char *field;
	char dir[PATH_MAX];
	int rc;

	if (dom && dom->run) {
		log_err("Domain %s is run by two keel-hv processes, pids %d and %d; keeld manages pid %d and leaves pid %d alone: stop one of them.",
			dom->name, (int)dom->run->pid, (int)f->pid,
			(int)dom->run->pid, (int)f->pid);
		return;
	}
	if (!dom) {
		config = hv_cmdline_config(f->argv, f->argc, f->pid);
		rc = config ? registry_add_transient(k->reg, config, &dom,
						     &field) :
			      -EINVAL;
		if (rc) {
			/*
			 * A restored keel-hv's command line has no --kernel:
			 * its configuration was in the saved file's header.
			 */
			log_err("keel-hv pid %d runs domain %s without a state file, and keeld cannot take it over (%s); it is left alone.",
				(int)f->pid, f->uuid,
				rc == -EEXIST ? "another domain has its name or uuid" :
				!config ? "its command line does not say the domain's whole configuration, as for a domain restored from a saved file" :
					  strerror(-rc));
			return;
		}
	}
	if (run_domain_dir(k, f->uuid, dir, sizeof(dir)))
		return;
	run = run_new(k, dom, dir);
	if (!run)
		return;
	run->pid = f->pid;
	run->starttime = f->starttime;
	run->started = started_at(f->starttime);
	dom->run = run;
	dom->id = k->next_domain_id++;
	dom->state = DOMAIN_RUNNING;
	dom->reason = DOMAIN_REASON_UNKNOWN;
	f->adopted = true;
	readback_group(run);
	if (adopt_process(run)) {
		dom->run = NULL;
		dom->id = -1;
		dom->state = DOMAIN_SHUTOFF;
		run_free(run);
		if (!dom->persistent)
			registry_forget(k->reg, dom);
		return;
	}
	log_warn("Domain %s: keel-hv pid %d runs it without a state file; re-adopted with id %d%s.",
		 dom->name, (int)f->pid, dom->id,
		 dom->persistent ? ", its definition as its configuration" :
				   ", its configuration read from its command line");
	run_save(run);
}

void lifecycle_recover(struct keeld *k)
{
	struct found_list found = { 0 };
	struct dirent *de;
	char dir[PATH_MAX];
	DIR *d;

	scan_processes(k, &found);
	if (run_domain_dir(k, NULL, dir, sizeof(dir)))
		return;
	d = opendir(dir);
	if (d) {
		while ((de = readdir(d))) {
			char sub[PATH_MAX];

			if (de->d_name[0] == '.')
				continue;
			if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir,
					     de->d_name) >= sizeof(sub))
				continue;
			recover_one(k, sub, &found);
		}
		closedir(d);
	}
	for (size_t i = 0; i < found.n; i++)
		if (!found.v[i].adopted)
			adopt_orphan(k, &found.v[i]);
	found_list_dispose(&found);
	cgroup_domain_sweep(k);
	for (struct domain *dom = registry_first(k->reg), *next; dom;
	     dom = next) {
		next = dom->next;
		if (dom->persistent && dom->autostart && !dom->run) {
			log_info("Starting domain %s (autostart).", dom->name);
			start_domain(k, dom, false, -1, NULL);
		}
	}
}
