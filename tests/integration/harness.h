/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_TESTS_HARNESS_H
#define KEEL_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * A child process (keel-hv, keeld, a CLI call) whose stdout+stderr the
 * test reads and whose stdin it can write: the console of a guest run
 * with `--console stdio`, for instance.
 */
struct proc {
	pid_t pid;
	int in_fd; /* child's stdin, -1 once closed */
	int out_fd; /* child's stdout and stderr */
	char *out; /* everything read so far, NUL-terminated */
	size_t len, cap;
	bool exited;
	int status; /* waitpid status once exited */
};

/*
 * Start argv[0] (a path) with @argv. Returns 0 or -errno. On success
 * the caller must proc_dispose() it.
 */
int proc_spawn(struct proc *p, char *const argv[]);

/*
 * Read output until @needle appears after byte @from (or the process
 * exits, or @timeout_ms passes). Returns the offset just past the
 * needle, or -ETIMEDOUT / -ESRCH (exited without printing it).
 */
long proc_expect(struct proc *p, const char *needle, size_t from,
		 int timeout_ms);

/* Write @s to the child's stdin. Returns 0 or -errno. */
int proc_send(struct proc *p, const char *s);

/*
 * Type @line into the child as a person would, 16 characters every
 * 50 ms: a burst of a whole long line into a guest's hvc0 has been seen
 * to lose characters. Returns 0 or -errno.
 */
int proc_type(struct proc *p, const char *line);

/* The last 3000 bytes of @s: Check cannot carry a whole console log. */
const char *harness_tail(const char *s);

/*
 * The long wait of the suites that boot the Debian guest, in ms:
 * KEEL_LONG_TIMEOUT seconds, 900 by default.
 */
int harness_long_timeout_ms(void);

/*
 * Wait up to @timeout_ms for the child to exit, reading its output
 * meanwhile. Returns its exit code (0..255), 128+signal if killed by a
 * signal, or -ETIMEDOUT.
 */
int proc_wait(struct proc *p, int timeout_ms);

/* Kill (SIGKILL) if still running, reap, free everything. Idempotent. */
void proc_dispose(struct proc *p);

/*
 * True when @pid (not the caller's child) no longer runs: there is no
 * such process, or it is a zombie whose new parent has not reaped it
 * yet (an init that reaps now and then, as some sandboxes' do).
 */
bool harness_pid_exited(pid_t pid);

/*
 * The figure in KiB of line @key ("VmRSS", "RssAnon", "VmHWM") of
 * /proc/@pid/status; -1 without such a process or line.
 */
long harness_status_kib(pid_t pid, const char *key);

/*
 * The PCI slot keel-hv's devices answer @reply gives disk or NIC @id
 * ("vblk1"); -1 if it lists no such device.
 */
int harness_devices_slot(const char *reply, const char *id);

/* Milliseconds on the monotonic clock. */
long long harness_now_ms(void);

/*
 * Paths of the build tree's programs and images. The test environment
 * sets KEEL_BUILDDIR (tests/local.mk); returns one of eight static
 * buffers used in turn.
 */
const char *harness_path(const char *relative);

/*
 * NULL when /dev/kvm can be opened read-write; otherwise a sentence
 * saying why the KVM tests cannot run here.
 */
const char *harness_kvm_missing(void);

/*
 * The same for suites that boot an unmodified Linux guest (the Debian
 * guest): NULL when it can run on this host's /dev/kvm directly, or
 * the one-line reason why not — harness_kvm_missing()'s, or that the
 * host's KVM is kvm_pvm (lib/kvm_host.h). Such a suite sets
 * runner_skip_reason to it and runner_wants_kvm when it is not NULL,
 * so that the runner moves it into the nested runner; the in-tree
 * test guests keep using harness_kvm_missing() and run on kvm_pvm.
 */
const char *harness_linux_kvm_missing(void);

/*
 * A JSON-RPC client connection on a UNIX stream socket, line by line,
 * with its own read buffer and timeouts (keeld, keel-hv's control
 * socket).
 */
struct harness_client {
	int fd;
	char *buf; /* read but not yet returned */
	size_t len, cap;
	char *line; /* the last harness_client_call() answer */
};

/*
 * Connect to @path, retrying for up to @wait_ms while the server starts
 * (0: one try). Returns 0 or -errno; either way harness_client_close()
 * may be called.
 */
int harness_client_open(struct harness_client *c, const char *path,
			int wait_ms);

/* Close and free everything. Idempotent. */
void harness_client_close(struct harness_client *c);

/* Send @len bytes of @s. Returns 0 or -errno. */
int harness_client_send(struct harness_client *c, const char *s, size_t len);

/*
 * Read one line (without its newline) into a malloc'd string; NULL on
 * EOF, error or after @timeout_ms.
 */
char *harness_client_readline(struct harness_client *c, int timeout_ms);

/*
 * Read exactly @len bytes (what readline buffered first). Returns 0, or
 * -ETIMEDOUT / -EPIPE (EOF) / -errno.
 */
int harness_client_read(struct harness_client *c, void *buf, size_t len,
			int timeout_ms);

/*
 * Send @line plus a newline and return the one line that comes back
 * (owned by @c, valid until its next call or close), or NULL.
 */
const char *harness_client_call(struct harness_client *c, const char *line,
				int timeout_ms);

/*
 * For suites that boot the Debian guest: harness_linux_kvm_missing(),
 * or that the guest is not built (make guest), or NULL. *@kvm is set
 * when the reason is the host's KVM (runner_wants_kvm) and cleared
 * otherwise.
 */
const char *harness_debian_guest_missing(bool *kvm);

/*
 * For suites that run the in-tree test guests through keeld: NULL when
 * keeld, keel-hv and /dev/kvm are all there, or why not. *@kvm is set
 * when only /dev/kvm is missing (runner_wants_kvm: the nested runner can
 * help) and cleared otherwise.
 */
const char *harness_keeld_kvm_missing(bool *kvm);

/* True if @path exists and is readable. */
bool harness_have_file(const char *path);

/* harness_path() of in-tree test guest @name: tests/guests/NAME.bin. */
const char *harness_guest(const char *name);

/* Run the shell command line @fmt on the host; its exit status. */
int harness_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The helpers below fail the running Check test (ck_assert) instead of
 * returning an error: the suites link Check, and a failure says what
 * the console or the file showed.
 */

/* A scratch directory for one keel-hv: its control socket and status file. */
struct harness_hv_dir {
	char dir[32];
	char sock[64]; /* DIR/control */
	char status[64]; /* DIR/status */
};

/* Make @d's directory from mkdtemp(3) template @templ and name its files. */
void harness_hv_dir_init(struct harness_hv_dir *d, const char *templ);

/* Remove @d's socket, status file (and its .tmp) and directory. */
void harness_hv_dir_dispose(struct harness_hv_dir *d);

/* End keel-hv @p with SIGTERM, assert it exits as killed, dispose of it. */
void harness_hv_stop(struct proc *p, int timeout_ms);

/* All of @path, malloc'd and NUL-terminated (its length to @len); or NULL. */
char *harness_read_file(const char *path, size_t *len);

/* Make @path hold exactly @len bytes of @buf. */
void harness_write_file(const char *path, const void *buf, size_t len);

/* Make @path an image of @size bytes with @text at offset @off. */
void harness_write_at(const char *path, off_t size, off_t off,
		      const char *text);

/* True if @path holds @text (at most 64 bytes) at offset @off. */
bool harness_file_has_at(const char *path, off_t off, const char *text);

/* Give tap @tap address @addr/24 and bring it up, in netns @ns if not NULL. */
void harness_tap_up(const char *ns, const char *tap, const char *addr);

/*
 * Wait up to @timeout_ms for @want after byte @from of @con's output;
 * the offset just past it.
 */
long harness_con_expect(struct proc *con, const char *want, long from,
			int timeout_ms);

/* proc_type() of @line on @con, asserted. */
void harness_con_type(struct proc *con, const char *line);

/*
 * Send @cmd to a guest's shell at once (proc_send) and wait for @want
 * after byte @from; the offset past it. The shell echoes @cmd, so @want
 * must not appear in it: ask for "x=$?" and wait for "x=0".
 */
long harness_con_run(struct proc *con, const char *cmd, const char *want,
		     long from, int timeout_ms);

/*
 * Type @cmd (proc_type) and return the number the guest printed after
 * @key (found after byte *@pos), once its line is whole: the console may have delivered @key and
 * not yet the digits. *@pos moves past that line. @cmd must not contain
 * @key itself, which the shell echoes: split it by quotes (s""lept=).
 */
long long harness_con_number(struct proc *con, const char *cmd,
			     const char *key, long *pos, int timeout_ms);

/*
 * Wait for the Debian guest's ready line (guest/init) after @from, then
 * its shell prompt; the offset past the prompt.
 */
long harness_guest_ready(struct proc *con, long from, int timeout_ms);

/* Debian's virsh (libvirt-clients), the stock client keel-virtd serves. */
#define HARNESS_VIRSH "/usr/bin/virsh"
/* How long one virsh command may take. */
#define HARNESS_VIRSH_MS 30000

/*
 * Run virsh -c @uri with the words of @fmt (split at spaces), asserting
 * it ends within HARNESS_VIRSH_MS. Returns its exit status; *@out
 * (static, until the next call; @out may be NULL) what it printed.
 */
int harness_virsh(const char *uri, const char **out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * harness_virsh() that asserts virsh ended with @status and printed
 * @want. Returns what it printed (static, until the next call).
 */
const char *harness_virsh_expect(const char *uri, int status,
				 const char *want, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* KEEL_TESTS_HARNESS_H */
