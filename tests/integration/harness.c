// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Process helpers for integration tests: spawn, expect, send, reap; and
 * the console, file and host helpers the suites share.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "hv_proto.h"
#include "kvm_host.h"
#include "monotime.h"

long long harness_now_ms(void)
{
	return monotime_ms();
}

int proc_spawn(struct proc *p, char *const argv[])
{
	int in[2], out[2];
	pid_t pid;

	memset(p, 0, sizeof(*p));
	p->in_fd = p->out_fd = -1;
	p->pid = -1;
	/*
	 * A child that ends before reading what proc_send() gives it is
	 * EPIPE there, for the test to judge, not SIGPIPE killing the test
	 * (seen in check_cli under load).
	 */
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int rc = -errno;

		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return rc;
	}
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	p->pid = pid;
	p->in_fd = in[1];
	p->out_fd = out[0];
	p->cap = 4096;
	p->out = calloc(1, p->cap);
	if (!p->out)
		return -ENOMEM;
	return 0;
}

/* Read what is available within @timeout_ms. 0 on data or EOF seen. */
static int proc_pump(struct proc *p, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->out_fd, .events = POLLIN };
	ssize_t n;
	int rc;

	if (p->out_fd < 0)
		return -ESRCH;
	rc = poll(&pfd, 1, timeout_ms);
	if (rc <= 0)
		return rc < 0 ? -errno : -ETIMEDOUT;
	if (p->cap - p->len < 4096) {
		char *bigger = realloc(p->out, p->cap * 2);

		if (!bigger)
			return -ENOMEM;
		p->out = bigger;
		p->cap *= 2;
	}
	n = read(p->out_fd, p->out + p->len, p->cap - p->len - 1);
	if (n <= 0) {
		close(p->out_fd);
		p->out_fd = -1;
		return -ESRCH;
	}
	p->len += (size_t)n;
	p->out[p->len] = '\0';
	return 0;
}

/* memmem that tolerates NUL bytes in the output. */
static long proc_find(const struct proc *p, const char *needle, size_t from)
{
	const char *hit;

	if (from > p->len)
		return -1;
	hit = memmem(p->out + from, p->len - from, needle, strlen(needle));
	return hit ? (long)(hit - p->out + strlen(needle)) : -1;
}

long proc_expect(struct proc *p, const char *needle, size_t from,
		 int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	long at;

	for (;;) {
		long long left = deadline - harness_now_ms();
		int rc;

		at = proc_find(p, needle, from);
		if (at >= 0)
			return at;
		if (left <= 0)
			return -ETIMEDOUT;
		rc = proc_pump(p, left > INT_MAX ? INT_MAX : (int)left);
		if (rc == -ESRCH)
			return proc_find(p, needle, from) >= 0 ?
				       proc_find(p, needle, from) : -ESRCH;
		if (rc < 0 && rc != -ETIMEDOUT)
			return rc;
	}
}

int proc_send(struct proc *p, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t n = write(p->in_fd, s, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int proc_type(struct proc *p, const char *line)
{
	char chunk[17];
	int rc;

	for (size_t i = 0; line[i]; i += strlen(chunk)) {
		snprintf(chunk, sizeof(chunk), "%s", line + i);
		rc = proc_send(p, chunk);
		if (rc)
			return rc;
		usleep(50000);
	}
	return 0;
}

const char *harness_tail(const char *s)
{
	size_t n = strlen(s);

	return n > 3000 ? s + n - 3000 : s;
}

int harness_long_timeout_ms(void)
{
	const char *s = getenv("KEEL_LONG_TIMEOUT");
	long v = s ? strtol(s, NULL, 10) : 900;

	return (int)(v > 0 && v < 86400 ? v : 900) * 1000;
}

static int proc_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -EINVAL;
}

int proc_wait(struct proc *p, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;

	while (!p->exited) {
		pid_t r = waitpid(p->pid, &p->status, WNOHANG);

		if (r == p->pid) {
			p->exited = true;
			break;
		}
		if (harness_now_ms() >= deadline)
			return -ETIMEDOUT;
		/* Keep draining output so the child never blocks on it. */
		if (proc_pump(p, 20) == -ESRCH)
			usleep(5000);
	}
	while (p->out_fd >= 0 && proc_pump(p, 0) == 0)
		;
	return proc_exit_code(p->status);
}

bool harness_pid_exited(pid_t pid)
{
	char path[64], stat[512], *end;
	ssize_t n;
	int fd;

	if (kill(pid, 0) != 0)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (n <= 0)
		return true;	/* reaped while we looked */
	stat[n] = '\0';
	/* "pid (comm) S ...": the state follows the last ')'. */
	end = strrchr(stat, ')');
	return !end || end[1] != ' ' || end[2] == 'Z' || end[2] == 'X';
}

long harness_status_kib(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t len = strlen(key);
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (kib < 0 && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':')
			kib = atol(line + len + 1);
	fclose(f);
	return kib;
}

int harness_devices_slot(const char *reply, const char *id)
{
	char want[48];
	const char *p;

	snprintf(want, sizeof(want), "\"id\":\"%s\"", id);
	p = strstr(reply, want);
	p = p ? strstr(p, "\"slot\":") : NULL;
	return p ? atoi(p + 7) : -1;
}

void proc_dispose(struct proc *p)
{
	if (p->pid > 0 && !p->exited) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &p->status, 0);
		p->exited = true;
	}
	if (p->in_fd >= 0)
		close(p->in_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	p->in_fd = p->out_fd = -1;
	free(p->out);
	p->out = NULL;
	p->len = p->cap = 0;
}

const char *harness_path(const char *relative)
{
	/* A few buffers, so one argv can hold several paths. */
	static char bufs[8][PATH_MAX];
	static unsigned next;
	const char *top = getenv("KEEL_BUILDDIR");
	char *buf = bufs[next++ % 8];

	snprintf(buf, PATH_MAX, "%s/%s", top ? top : ".", relative);
	return buf;
}

/* runner.c's, in test programs; benchmarks link no runner. */
extern bool runner_host_kvm __attribute__((weak));

const char *harness_kvm_missing(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ?
			       "/dev/kvm does not exist on this machine; "
			       "KVM tests cannot run" :
			       "/dev/kvm cannot be opened read-write; "
			       "KVM tests cannot run";
	close(fd);
	if (&runner_host_kvm)
		runner_host_kvm = true;
	return NULL;
}

const char *harness_linux_kvm_missing(void)
{
	const char *why = harness_kvm_missing();

	return why ? why : kvm_host_linux_unfit();
}

bool harness_have_file(const char *path)
{
	return access(path, R_OK) == 0;
}

int harness_client_open(struct harness_client *c, const char *path,
			int wait_ms)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	long long deadline = harness_now_ms() + wait_ms;
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	for (;;) {
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			return -errno;
		if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return 0;
		rc = -errno;
		close(c->fd);
		c->fd = -1;
		if (harness_now_ms() >= deadline)
			return rc;
		usleep(20000);
	}
}

void harness_client_close(struct harness_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c->line);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

int harness_client_send(struct harness_client *c, const char *s, size_t len)
{
	while (len) {
		ssize_t n = send(c->fd, s, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

char *harness_client_readline(struct harness_client *c, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;

	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		long long left;
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - c->buf);
			char *line = strndup(c->buf, len);

			memmove(c->buf, nl + 1, c->len - len - 1);
			c->len -= len + 1;
			return line;
		}
		left = deadline - harness_now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return NULL;
		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 131072;
			c->buf = realloc(c->buf, c->cap);
		}
		n = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (n <= 0)
			return NULL;
		c->len += (size_t)n;
	}
}

int harness_client_read(struct harness_client *c, void *buf, size_t len,
			int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	char *out = buf;

	while (len) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		long long left;
		ssize_t n;

		if (c->len) {
			size_t take = c->len < len ? c->len : len;

			memcpy(out, c->buf, take);
			memmove(c->buf, c->buf + take, c->len - take);
			c->len -= take;
			out += take;
			len -= take;
			continue;
		}
		left = deadline - harness_now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -ETIMEDOUT;
		n = read(c->fd, out, len);
		if (n == 0)
			return -EPIPE;
		if (n < 0)
			return errno == EINTR ? 0 : -errno;
		out += n;
		len -= (size_t)n;
	}
	return 0;
}

const char *harness_client_call(struct harness_client *c, const char *line,
				int timeout_ms)
{
	free(c->line);
	c->line = NULL;
	if (harness_client_send(c, line, strlen(line)) ||
	    harness_client_send(c, "\n", 1))
		return NULL;
	c->line = harness_client_readline(c, timeout_ms);
	return c->line;
}

const char *harness_guest(const char *name)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "tests/guests/%s.bin", name);
	return harness_path(rel);
}

int harness_sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

char *harness_read_file(const char *path, size_t *len)
{
	/* To the end, not st_size: a /proc file says it has 0 bytes. */
	size_t n = 0, cap = 4096;
	char *buf;
	ssize_t r;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	ck_assert_ptr_nonnull(buf);
	while ((r = read(fd, buf + n, cap - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		ck_assert_msg(r > 0, "cannot read %s: %s", path,
			      strerror(errno));
		n += (size_t)r;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			ck_assert_ptr_nonnull(buf);
		}
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

void harness_write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

void harness_write_at(const char *path, off_t size, off_t off,
		      const char *text)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, size), 0);
	ck_assert_int_eq(pwrite(fd, text, strlen(text), off),
			 (ssize_t)strlen(text));
	close(fd);
}

bool harness_file_has_at(const char *path, off_t off, const char *text)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = pread(fd, buf, strlen(text), off);
	close(fd);
	return n == (ssize_t)strlen(text) && !memcmp(buf, text, strlen(text));
}

void harness_tap_up(const char *ns, const char *tap, const char *addr)
{
	if (ns)
		ck_assert_int_eq(harness_sh("/sbin/ip netns exec %s sh -c "
					    "'ip addr add %s/24 dev %s && "
					    "ip link set %s up'",
					    ns, addr, tap, tap),
				 0);
	else
		ck_assert_int_eq(harness_sh("/sbin/ip addr add %s/24 dev %s && "
					    "/sbin/ip link set %s up",
					    addr, tap, tap),
				 0);
}

long harness_con_expect(struct proc *con, const char *want, long from,
			int timeout_ms)
{
	long n = proc_expect(con, want, (size_t)from, timeout_ms);

	ck_assert_msg(n > 0, "no \"%s\" on the console:\n%s", want,
		      harness_tail(con->out + from));
	return n;
}

void harness_con_type(struct proc *con, const char *line)
{
	ck_assert_int_eq(proc_type(con, line), 0);
}

long harness_con_run(struct proc *con, const char *cmd, const char *want,
		     long from, int timeout_ms)
{
	long n;

	ck_assert_int_eq(proc_send(con, cmd), 0);
	n = proc_expect(con, want, (size_t)from, timeout_ms);
	ck_assert_msg(n > 0, "after `%s` no \"%s\" in:\n%s", cmd, want,
		      harness_tail(con->out + from));
	return n;
}

long long harness_con_number(struct proc *con, const char *cmd,
			     const char *key, long *pos, int timeout_ms)
{
	long at;

	harness_con_type(con, cmd);
	at = harness_con_expect(con, key, *pos, timeout_ms);
	*pos = harness_con_expect(con, "\n", at, timeout_ms);
	return strtoll(con->out + at, NULL, 10);
}

long harness_guest_ready(struct proc *con, long from, int timeout_ms)
{
	long n = proc_expect(con, "KEEL-GUEST-READY uptime=", (size_t)from,
			     timeout_ms);

	ck_assert_msg(n > 0, "no ready line; output:\n%s",
		      harness_tail(con->out + from));
	n = proc_expect(con, "# ", (size_t)n, timeout_ms);
	ck_assert_msg(n > 0, "no shell prompt; output:\n%s",
		      harness_tail(con->out + from));
	return n;
}

void harness_hv_dir_init(struct harness_hv_dir *d, const char *templ)
{
	snprintf(d->dir, sizeof(d->dir), "%s", templ);
	ck_assert_ptr_nonnull(mkdtemp(d->dir));
	snprintf(d->sock, sizeof(d->sock), "%s/control", d->dir);
	snprintf(d->status, sizeof(d->status), "%s/status", d->dir);
}

void harness_hv_dir_dispose(struct harness_hv_dir *d)
{
	char tmp[80];

	snprintf(tmp, sizeof(tmp), "%s.tmp", d->status);
	unlink(tmp);
	unlink(d->status);
	unlink(d->sock);
	rmdir(d->dir);
}

void harness_hv_stop(struct proc *p, int timeout_ms)
{
	kill(p->pid, SIGTERM);
	ck_assert_int_eq(proc_wait(p, timeout_ms), HV_EXIT_KILLED);
	proc_dispose(p);
}

const char *harness_keeld_kvm_missing(bool *kvm)
{
	const char *why;

	*kvm = false;
	if (!harness_have_file(harness_path("daemon/keeld")) ||
	    !harness_have_file(harness_path("hypervisor/keel-hv")))
		return "keeld or keel-hv is not built";
	why = harness_kvm_missing();
	*kvm = why != NULL;
	return why;
}

const char *harness_debian_guest_missing(bool *kvm)
{
	const char *why = harness_linux_kvm_missing();

	*kvm = why != NULL;
	if (!why && !harness_have_file(harness_path("guest/out/vmlinuz")))
		why = "the Debian guest is not built (make guest)";
	return why;
}

int harness_virsh(const char *uri, const char **out, const char *fmt, ...)
{
	static char text[65536];
	char cmd[512], words[512], *argv[32], *save = NULL, *w;
	struct proc p = { 0 };
	int argc = 0, rc;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(words, sizeof(words), "%s", cmd);
	argv[argc++] = HARNESS_VIRSH;
	argv[argc++] = "-c";
	argv[argc++] = (char *)uri;
	for (w = strtok_r(words, " ", &save); w && argc < 31;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	rc = proc_wait(&p, HARNESS_VIRSH_MS);
	snprintf(text, sizeof(text), "%s", p.out ? p.out : "");
	proc_dispose(&p);
	ck_assert_msg(rc >= 0, "virsh %s did not finish in %d s: %s", cmd,
		      HARNESS_VIRSH_MS / 1000, text);
	if (out)
		*out = text;
	return rc;
}

const char *harness_virsh_expect(const char *uri, int status,
				 const char *want, const char *fmt, ...)
{
	char cmd[512];
	const char *out;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = harness_virsh(uri, &out, "%s", cmd);
	ck_assert_msg(rc == status, "virsh %s: status %d, not %d: %s", cmd, rc,
		      status, harness_tail(out));
	ck_assert_msg(strstr(out, want), "virsh %s: no \"%s\" in: %s", cmd,
		      want, harness_tail(out));
	return out;
}
