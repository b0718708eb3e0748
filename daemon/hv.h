/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_HV_H
#define KEEL_DAEMON_HV_H

/*
 * One keel-hv process as keeld sees it: started detached (or adopted
 * after a keeld restart), watched through a pidfd, driven through its
 * control socket with asynchronous JSON-RPC calls. Nothing here blocks
 * the event loop.
 */

#include <stdbool.h>
#include <sys/types.h>

#include <json-c/json.h>

struct event_base;
struct hv;

/* How the VM ended, from keel-hv's status file or its exit status. */
enum hv_end {
	HV_END_POWEROFF,
	HV_END_REBOOT,
	HV_END_CRASH,
	HV_END_KILLED,	/* SIGTERM or the control socket's stop */
	HV_END_ERROR,	/* keel-hv failed (before or while running) */
	HV_END_LOST,	/* the process is gone and did not say why */
	HV_END_SAVED,	/* saved to a file (save, "then": "stop") and ended */
	HV_END_MIGRATED, /* migrated away (stop {"reason": "migrated"}) */
};

const char *hv_end_name(enum hv_end end);

struct hv_ops {
	/*
	 * The VM has stopped: the process exited (@exited), or keel-hv was
	 * started with --linger and keeps the stopped VM. Called once per
	 * process; when @exited, @hv may be freed from inside the call.
	 * @detail: keel-hv's sentence, or NULL.
	 */
	void (*stopped)(struct hv *hv, enum hv_end end, const char *detail,
			bool exited, void *opaque);
	/* The process exited after stopped() was called with !exited. */
	void (*exited)(struct hv *hv, void *opaque);
	/*
	 * Any other notification keel-hv sent (HV_CTL_BALLOON_CHANGED to
	 * a subscribed connection): @method and @params (borrowed, may be
	 * NULL). May be NULL.
	 */
	void (*notified)(struct hv *hv, const char *method,
			 struct json_object *params, void *opaque);
};

/* What hv_spawn() starts. */
struct hv_spawn_args {
	const char *dir;	/* DIR/control.sock, DIR/exit.json */
	const char *log_path;	/* stdout and stderr, appended */
	char *const *argv;	/* argv[0] is keel-hv's path */
	const int *fds;		/* the child gets them as 3, 4, ... */
	size_t nr_fds;
	/*
	 * Called once the child exists (its pid known) and before it may
	 * run keel-hv: the caller records what a restarted keeld needs to
	 * find it. A non-zero return kills the child, which has run nothing,
	 * and hv_spawn() returns that value. May be NULL.
	 */
	int (*commit)(pid_t pid, void *opaque);
	/*
	 * How long keel-hv may take to make its control socket, in ms; 0:
	 * hv.c's default. A restore reads the whole stream first, which
	 * takes longer the more memory the guest has.
	 */
	int connect_timeout_ms;
};

/*
 * Start @a->argv in its own session with stdin /dev/null and stdout and
 * stderr appended to @a->log_path; its control socket is
 * DIR/control.sock and its status file DIR/exit.json (the caller passes
 * those options). keel-hv is only executed once @a->commit has
 * succeeded; if keeld dies before that, the child exits without running
 * it. If the exec itself fails, the child writes a sentence saying why
 * to the log and exits 127. Returns 0 and *@out, or -errno (or
 * commit's error).
 */
int hv_spawn(struct event_base *base, const struct hv_spawn_args *a,
	     const struct hv_ops *ops, void *opaque, struct hv **out);

/*
 * Take over the keel-hv with @pid whose files are in @dir (a keeld
 * restart). -ESRCH when it is not running any more, or is another
 * process than the one that was started at @starttime (pid reuse).
 */
int hv_adopt(struct event_base *base, const char *dir, pid_t pid,
	     unsigned long long starttime, const struct hv_ops *ops,
	     void *opaque, struct hv **out);

pid_t hv_pid(const struct hv *hv);

/* What keeld reads of a process in /proc/PID/stat. */
struct hv_proc_stat {
	unsigned long long starttime;	/* clock ticks after boot */
	unsigned long long cpu_ticks;	/* user + system, all threads */
	unsigned long long rss_pages;	/* resident set */
};

/*
 * Read /proc/@pid/stat: no system call to keel-hv itself, so a busy or
 * stuck keel-hv never delays it. Returns 0, or -errno when it is gone.
 */
int hv_proc_stat(pid_t pid, struct hv_proc_stat *st);

/* The same from /proc/PID/stat's text in @buf (changed while parsed). */
int hv_proc_stat_parse(char *buf, struct hv_proc_stat *st);

/* /proc/PID/stat's starttime of @pid, or 0 when it is gone. */
unsigned long long hv_starttime(pid_t pid);

/*
 * The answer to an hv_call(): @result on success (borrowed), else
 * @code (a JSON-RPC or keel code; KEEL_E_OPERATION_FAILED when the
 * process went away, or keeld let go of it with hv_free()) and @message.
 */
typedef void (*hv_reply_fn)(struct hv *hv, struct json_object *result,
			    int code, const char *message, void *opaque);

/*
 * How long keel-hv may take to create its control socket, unless
 * hv_spawn_args says otherwise: it first builds the VM and loads the
 * kernel and initrd, which on a loaded host (or in the nested runner's
 * emulated CPU) has taken over 10 s. A keel-hv that fails says so in
 * its status file and exits, which keeld sees at once; this only bounds
 * one that hangs.
 */
#define HV_CONNECT_TIMEOUT_MS 60000

/*
 * Call @method with @params (owned, may be NULL) on the control socket;
 * queued until the socket is connected. @cb is called exactly once,
 * also when hv_free() comes first (then before hv_free() returns, and
 * at once for a call made after it). Fails with KEEL_E_TIMEOUT if keel-hv
 * does not answer in HV_CALL_TIMEOUT_MS from when the call is on the
 * connected socket (a call queued before keel-hv has made its socket
 * waits for that under its connect timeout first).
 */
#define HV_CALL_TIMEOUT_MS 10000
void hv_call(struct hv *hv, const char *method, struct json_object *params,
	     hv_reply_fn cb, void *opaque);

/*
 * hv_call() with its own answer time, @timeout_ms (> 0), for the calls
 * whose work grows with the guest: a save writes all of its memory
 * before it answers (save_methods.c sizes that time from the memory).
 */
void hv_call_timeout(struct hv *hv, const char *method,
		     struct json_object *params, int timeout_ms,
		     hv_reply_fn cb, void *opaque);

/* SIGKILL, through the pidfd (never another process). */
void hv_kill(struct hv *hv);

/*
 * Forget @hv without stopping the process (keeld exits, or the process
 * has exited). Pending calls are finished first: each callback gets
 * KEEL_E_OPERATION_FAILED and a sentence saying keeld let go of the
 * process before it answered, so every client waiting is answered. A
 * callback may free what it owns and call hv_free() again; from inside
 * an hv callback, the rest happens once that callback returns.
 */
void hv_free(struct hv *hv);

/*
 * Read DIR/exit.json: 0 and *@end (and *@detail, malloc'd, or NULL), or
 * -ENOENT when keel-hv wrote none.
 */
int hv_read_exit(const char *dir, enum hv_end *end, char **detail);

/*
 * The last line keel-hv wrote to its log @path after byte @from (its
 * size when this run started), without the timestamp and program name
 * in front of it, control characters shown as '?'. malloc'd; NULL when
 * it wrote nothing.
 */
char *hv_last_log_line(const char *path, off_t from);

#endif /* KEEL_DAEMON_HV_H */
