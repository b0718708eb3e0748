// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Starting a domain (run.h, start_domain): everything between "start
 * it" and keel-hv's first answer.
 *
 * The order is what keeps a domain from ever running unrecorded or
 * twice (man/keeld.8, DOMAIN LIFECYCLE):
 *   1. the checks keeld can make itself: the host's memory, every
 *      disk opened and locked (an OFD lock, as keel-hv takes too, so a
 *      second writer fails here with a sentence naming the disk);
 *   2. the domain's cgroup made and its limits written
 *      (cgroup_domain.c; keeld.conf's cgroups says whether a host
 *      without cgroups fails the start);
 *   3. fork: the child waits before it runs keel-hv;
 *   4. DIR/state.json written with the child's pid, and the child moved
 *      into the cgroup; if either fails (a full or read-only run
 *      directory) the child is killed having run nothing, and the
 *      start fails;
 *   5. the child runs keel-hv with the disks as descriptors;
 *   6. keel-hv's first status: the domain is up, bridges are attached.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "cgroup_domain.h"
#include "hv.h"
#include "hv_cmdline.h"
#include "jsonrpc.h"
#include "keeld.h"
#include "lifecycle.h"
#include "log.h"
#include "memory.h"
#include "migrate.h"
#include "nic.h"
#include "pinning.h"
#include "run.h"
#include "save_methods.h"
#include "server.h"

/* keel-hv's own log is rotated at start once it is this big. */
#define LAUNCH_LOG_MAX (1024 * 1024)

/* The first descriptor number the disks get in keel-hv. */
#define LAUNCH_FIRST_DISK_FD 3

char *launch_log_path(const struct keeld *k, const char *name,
		      const char *suffix)
{
	char *path;

	if (asprintf(&path, "%s/%s%s", k->conf.log_dir, name, suffix) < 0)
		return NULL;
	return path;
}

/*
 * Keep LOG_DIR/NAME.log bounded: past LAUNCH_LOG_MAX it becomes
 * NAME.log.1 (replacing the one before). Returns its size now.
 */
static off_t log_rotate(const char *path)
{
	char old[PATH_MAX];
	struct stat st;

	if (stat(path, &st))
		return 0;
	if (st.st_size < LAUNCH_LOG_MAX)
		return st.st_size;
	snprintf(old, sizeof(old), "%s.1", path);
	return rename(path, old) ? st.st_size : 0;
}

/* MemTotal from /proc/meminfo, in MiB; 0 when it cannot be read. */
static int64_t host_memory_mib(void)
{
	char line[256];
	long long kib = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lld kB", &kib) == 1)
			break;
	fclose(f);
	return kib / 1024;
}

/*
 * May @dom start with @config, given the memory of the domains running
 * already (memory_overcommit, keeld.8)? Returns 0, or -ENOMEM with the
 * sentence in @why.
 */
static int memory_fits(struct keeld *k, const struct domain *dom,
		       struct json_object *config, char *why, size_t size)
{
	int64_t host = host_memory_mib(), limit, held = 0;
	int64_t need = config_memory_mib(config);

	if (!k->conf.memory_overcommit || !host)
		return 0;
	limit = host * k->conf.memory_overcommit / 100;
	for (struct domain *d = registry_first(k->reg); d; d = d->next)
		if (d->run && d != dom)
			held += config_memory_mib(lifecycle_live_config(d));
	if (held + need <= limit)
		return 0;
	snprintf(why, size,
		 "it needs %lld MiB and the running domains hold %lld MiB of the %lld MiB keeld may give them (memory_overcommit %u%% of the host's %lld MiB); raise memory_overcommit in keeld.conf to overcommit",
		 (long long)need, (long long)held, (long long)limit,
		 k->conf.memory_overcommit, (long long)host);
	return -ENOMEM;
}

/*
 * Open every disk of @config for keel-hv and take the lock keel-hv
 * takes (a write lock on a writable disk, a read lock on a read-only
 * one): a disk that is missing, of the wrong kind or used by another
 * domain is refused here, in keeld's words. Without @lock_disks (a migration's
 * destination: the source's keel-hv holds the lock until it ends) the
 * disks are only opened. @fds gets one descriptor a
 * disk; *@n how many were opened (close them even on failure).
 */
static int open_disks(struct json_object *config, bool lock_disks, int *fds,
		      size_t max, size_t *n, char *why, size_t size)
{
	struct json_object *list;

	*n = 0;
	if (!json_object_object_get_ex(config, "disks", &list))
		return 0;
	if (json_object_array_length(list) > max) {
		snprintf(why, size, "it has %zu disks and keel allows %zu",
			 json_object_array_length(list), max);
		return -E2BIG;
	}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *d = json_object_array_get_idx(list, i), *v;
		const char *path = json_member_string(d, "path");
		bool do_lock = lock_disks;
		bool ro = json_object_object_get_ex(d, "readonly", &v) &&
			  json_object_get_boolean(v);
		struct flock lock = { .l_type = ro ? F_RDLCK : F_WRLCK,
				      .l_whence = SEEK_SET };
		struct stat st;
		int fd, rc;

		fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC |
					O_NOCTTY);
		if (fd < 0) {
			rc = -errno;
			snprintf(why, size, "cannot open the disk \"%s\": %s",
				 path, strerror(errno));
			return rc;
		}
		fds[(*n)++] = fd;
		if (fstat(fd, &st) ||
		    (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
			snprintf(why, size,
				 "the disk \"%s\" is neither a file nor a block device",
				 path);
			return -EINVAL;
		}
		if (do_lock && fcntl(fd, F_OFD_SETLK, &lock)) {
			rc = -errno;
			if (rc == -EAGAIN || rc == -EACCES)
				snprintf(why, size,
					 "the disk \"%s\" is in use by another domain or program (it holds a lock on it)",
					 path);
			else
				snprintf(why, size,
					 "cannot lock the disk \"%s\": %s",
					 path, strerror(-rc));
			return rc == -EACCES ? -EAGAIN : rc;
		}
	}
	return 0;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/* keel-hv answered its first status: the domain is up. */
static void on_started(struct hv *hv, struct json_object *result, int code,
		       const char *message, void *opaque)
{
	struct domain_run *run = opaque;
	struct domain *dom = run->dom;
	struct reply *r = run->start_reply;
	char why[256];

	if (code) {
		/* It exited: run_vm_stopped() answers with its status file's sentence. */
		if (!run->starting)
			return;
		if (code != KEEL_E_OPERATION_FAILED) {
			run_answer_error(r, KEEL_E_OPERATION_FAILED,
					 "The hypervisor of domain %s did not come up: %s",
					 dom->name, message);
			run->start_reply = NULL;
			run->intent = INTENT_DESTROY;
			hv_kill(run->hv);
		}
		return;
	}
	if (!run->starting)
		return;	/* destroyed, or ended, meanwhile */
	if (nic_attach_bridges(run->config, why, sizeof(why))) {
		run_answer_error(r, KEEL_E_OPERATION_FAILED,
				 "Domain %s could not start: %s.", dom->name,
				 why);
		run->start_reply = NULL;
		run->intent = INTENT_DESTROY;
		hv_kill(run->hv);
		return;
	}
	run->starting = false;
	run->start_reply = NULL;
	if (run->incoming) {
		/* It waits for the stream: no guest runs here yet. */
		log_info("Domain %s: keel-hv (pid %d) waits for the incoming migration.",
			 dom->name, (int)run->pid);
		migration_in_started(run);
		run_answer(r, run->start_result);
		run->start_result = NULL;
		return;
	}
	if (run->paused_start) {
		dom->state = DOMAIN_PAUSED;
		dom->reason = DOMAIN_REASON_USER;
		run_save(run);
	}
	log_info("Domain %s started with id %d (keel-hv pid %d).", dom->name,
		 dom->id, (int)run->pid);
	lifecycle_emit(run->k, dom, "started",
		       run->restoring ? "restored" : "booted");
	dom->rebooting = false;
	if (run->paused_start)
		lifecycle_emit(run->k, dom, "suspended", "paused");
	run_answer(r, domain_summary(dom));
}

/*
 * hv_spawn()'s commit: the child exists and waits. Record it; keel-hv
 * runs only if this succeeds.
 */
static int run_commit(pid_t pid, void *opaque)
{
	struct domain_run *run = opaque;

	int rc;

	run->pid = pid;
	run->starttime = hv_starttime(pid);
	run->started = wall_now();
	rc = run_save(run);
	run->save_failed = rc != 0;
	if (!rc)
		rc = cgroup_domain_enter(run, pid, run->commit_why,
					 sizeof(run->commit_why));
	return rc;
}

/*
 * start_domain(), start_domain_restore() with @restore_fd >= 0 (keel-hv
 * gets a descriptor sharing that file's offset as --restore) and
 * start_domain_incoming() with @in. @config (owned; NULL: the domain's
 * own) is what it runs with.
 */
static void start_domain_with(struct keeld *k, struct domain *dom,
			      bool paused, int id, int restore_fd,
			      const struct launch_incoming *in,
			      struct json_object *config, struct reply *r)
{
	struct hv_cmdline cmd = { .hypervisor = k->conf.hypervisor };
	struct hv_config cfg;
	struct hv_spawn_args spawn = { .commit = run_commit };
	struct domain_run *run;
	char **argv = NULL, *console_log = NULL, why[768] = "";
	char pin_field[PINNING_FIELD_MAX];
	char dump_on[32], dump_dir[PATH_MAX];
	int fds[64], rc = -ENOMEM, code = KEEL_E_OPERATION_FAILED;
	size_t nr_fds = 0;

	lifecycle_cancel_restart(dom);
	run = run_new(k, dom, NULL);
	if (!run)
		goto fail;
	if (config) {
		json_object_put(run->config);
		run->config = config;
		config = NULL;
	}
	run->paused_start = paused;
	run->starting = true;
	rc = memory_fits(k, dom, run->config, why, sizeof(why));
	if (rc) {
		code = KEEL_E_RESOURCE;
		goto fail;
	}
	/* The host may have lost CPUs since the domain was defined. */
	rc = pinning_check(run->config, why, pin_field);
	if (rc) {
		/* run_answer_error() ends the sentence. */
		if (why[0] && why[strlen(why) - 1] == '.')
			why[strlen(why) - 1] = '\0';
		goto fail;
	}
	if (id < 0)
		id = k->next_domain_id++;
	nic_assign(run->config, id);
	nic_default_bridge(run->config, k->conf.default_bridge);
	rc = -ENOMEM;
	console_log = launch_log_path(k, dom->name, ".console.log");
	if (!console_log)
		goto fail;
	if (mkdir(run->dir, 0700) && errno != EEXIST) {
		rc = -errno;
		snprintf(why, sizeof(why), "cannot create %s: %s", run->dir,
			 strerror(errno));
		goto fail;
	}
	/* One place is kept for the stream of a restore. */
	rc = open_disks(run->config, !in, fds,
			sizeof(fds) / sizeof(fds[0]) - 2, &nr_fds, why,
			sizeof(why));
	if (rc)
		goto fail;
	if (in) {
		/* The listening socket and the token's pipe: two places. */
		fds[nr_fds] = fcntl(in->listen_fd, F_DUPFD_CLOEXEC, 0);
		if (fds[nr_fds] < 0) {
			rc = -errno;
			goto fail;
		}
		cmd.incoming_fd = LAUNCH_FIRST_DISK_FD + (int)nr_fds++;
		fds[nr_fds] = fcntl(in->token_fd, F_DUPFD_CLOEXEC, 0);
		if (fds[nr_fds] < 0) {
			rc = -errno;
			goto fail;
		}
		cmd.incoming_token_fd = LAUNCH_FIRST_DISK_FD + (int)nr_fds++;
		cmd.pki_dir = k->conf.pki_dir;
		cmd.incoming_peer = in->peer_dn;
		run->incoming = in->incoming;
		run->start_result = in->result;
		run->restoring = true;
	}
	if (restore_fd >= 0) {
		/*
		 * A duplicate shares the file's offset, so that the caller
		 * can watch keel-hv read (save_methods.c's progress).
		 */
		fds[nr_fds] = fcntl(restore_fd, F_DUPFD_CLOEXEC, 0);
		if (fds[nr_fds] < 0) {
			rc = -errno;
			goto fail;
		}
		cmd.restore_fd = LAUNCH_FIRST_DISK_FD + (int)nr_fds++;
	}
	rc = cgroup_domain_prepare(run, why, sizeof(why));
	if (rc)
		goto fail;
	run->log_start = log_rotate(run->log_path);
	cmd.dir = run->dir;
	cmd.console_log = console_log;
	cmd.paused = paused;
	cmd.linger = decide_wants_linger(run->config);
	/* on_*=coredump-*: keel-hv writes the core before it exits. */
	cmd.dump_on = decide_dump_on(run->config, dump_on, sizeof(dump_on));
	snprintf(dump_dir, sizeof(dump_dir), "%s/dump", k->conf.state_dir);
	cmd.dump_dir = dump_dir;
	cmd.first_disk_fd = LAUNCH_FIRST_DISK_FD;
	rc = hv_config_from_json(run->config, &cfg);
	if (!rc)
		argv = hv_cmdline_build(&cmd, &cfg);
	hv_config_dispose(&cfg);
	if (rc || !argv) {
		rc = rc ? rc : -ENOMEM;
		goto fail;
	}
	/* run_commit() saves the state as it is once keel-hv runs. */
	dom->run = run;
	dom->id = id;
	dom->state = DOMAIN_RUNNING;
	dom->reason = restore_fd >= 0 ? DOMAIN_REASON_RESTORED :
					DOMAIN_REASON_BOOTED;
	if (in) {
		dom->state = DOMAIN_PAUSED;
		dom->reason = DOMAIN_REASON_INCOMING;
	}
	run->restoring = restore_fd >= 0 || in;
	/*
	 * Before its control socket keel-hv reads a restore's whole stream
	 * (give it as long as a save) and backs a prefaulted domain's RAM.
	 */
	spawn.connect_timeout_ms = (restore_fd >= 0 ?
					    save_timeout_ms(run->config) :
					    HV_CONNECT_TIMEOUT_MS) +
				   config_prefault_ms(run->config);
	spawn.dir = run->dir;
	spawn.log_path = run->log_path;
	spawn.argv = argv;
	spawn.fds = fds;
	spawn.nr_fds = nr_fds;
	rc = hv_spawn(k->base, &spawn, &run_hv_ops, run, &run->hv);
	if (rc) {
		dom->run = NULL;
		dom->id = -1;
		if (run->save_failed)
			snprintf(why, sizeof(why),
				 "keeld cannot record its state in %s/state.json (%s), and a domain keeld could not find again after a restart must not run; nothing was started",
				 run->dir, strerror(-rc));
		else if (run->commit_why[0])
			snprintf(why, sizeof(why), "%s", run->commit_why);
		goto fail;
	}
	close_fds(fds, nr_fds);
	hv_cmdline_free(argv);
	free(console_log);
	run->start_reply = r;
	hv_call(run->hv, "status", NULL, on_started, run);
	memory_watch(run);
	return;
fail:
	close_fds(fds, nr_fds);
	hv_cmdline_free(argv);
	free(console_log);
	if (!why[0])
		snprintf(why, sizeof(why), "%s", strerror(-rc));
	if (rc == -ENOMEM && code != KEEL_E_RESOURCE &&
	    !strcmp(why, strerror(ENOMEM)))
		code = KEEL_E_RESOURCE;
	json_object_put(config);
	run_answer_error(r, code, "Domain %s could not %s: %s.", dom->name,
			 in ? "be prepared for the migration" :
			 restore_fd >= 0 ? "be restored" : "start", why);
	log_err("Domain %s could not start: %s.", dom->name, why);
	if (run) {
		run->start_reply = NULL;
		if (in) {
			/* The caller still owns these on failure. */
			run->incoming = NULL;
			run->start_result = NULL;
		}
		cgroup_domain_end(run);
		run_dir_remove(run->dir);
		run_free(run);
	}
	dom->state = DOMAIN_SHUTOFF;
	dom->reason = DOMAIN_REASON_FAILED;
	if (dom->rebooting) {
		/* Its "stopped" was the reboot's: this start ends it. */
		dom->rebooting = false;
		lifecycle_emit(k, dom, "stopped", "failed");
	}
	if (!dom->persistent)
		registry_forget(k->reg, dom);
}

void start_domain(struct keeld *k, struct domain *dom, bool paused, int id,
		  struct reply *r)
{
	start_domain_with(k, dom, paused, id, -1, NULL, NULL, r);
}

void start_domain_restore(struct keeld *k, struct domain *dom, bool paused,
			  int restore_fd, struct json_object *config,
			  struct reply *r)
{
	start_domain_with(k, dom, paused, -1, restore_fd, NULL, config, r);
}

void start_domain_incoming(struct keeld *k, struct domain *dom,
			   const struct launch_incoming *in,
			   struct json_object *config, struct reply *r)
{
	start_domain_with(k, dom, true, -1, -1, in, config, r);
}
