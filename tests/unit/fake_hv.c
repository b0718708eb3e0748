// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A stand-in for keel-hv that runs no VM, for the daemon unit suites
 * (check_lifecycle, check_console): keeld starts it with keel-hv's
 * command line, and it plays keel-hv's part on the control socket and
 * the console socket (lib/hv_proto.h, docs/console.md).
 *
 * Control: "status" answers {"state": "running"}, "pause", "resume" and
 * "stats" are answered, "power-button" is answered and the VM powers off
 * (exit HV_EXIT_POWEROFF), "stop" is answered and it exits
 * HV_EXIT_KILLED. Console: the handshake is answered as the writer,
 * then "hello\n" comes as a DATA frame and every byte the client sends
 * is sent back.
 *
 * Words on the domain's cmdline change that: "fake.crash" ends the VM
 * with HV_EXIT_CRASH right after the first status, "fake.no-console"
 * refuses the console handshake.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "console_proto.h"
#include "hv_proto.h"

#define MAX_FDS 16

struct peer {
	int fd;
	bool console;		/* a console client, else a control client */
	bool streaming;		/* console: past the handshake */
	char buf[4096];
	size_t len;
};

static struct peer peers[MAX_FDS];
static size_t nr_peers;
static bool crash, no_console;

static int listen_on(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(fd, 8)) {
		fprintf(stderr, "fake_hv: cannot listen on %s: %s\n", path,
			strerror(errno));
		exit(HV_EXIT_ERROR);
	}
	return fd;
}

static void send_text(int fd, const char *text)
{
	if (write(fd, text, strlen(text)) < 0)
		exit(HV_EXIT_ERROR);
}

/* Answer request @line on the control socket @fd. */
static void control(int fd, const char *line)
{
	const char *m = strstr(line, "\"method\":\"");
	const char *idp = strstr(line, "\"id\":");
	char out[256];
	int id = idp ? atoi(idp + 5) : 0;
	int exit_status = -1;
	const char *result = "{}";

	if (!m)
		return;
	m += 10;
	if (!strncmp(m, HV_CTL_STATUS "\"", sizeof(HV_CTL_STATUS))) {
		result = "{\"state\":\"running\"}";
		if (crash)
			exit_status = HV_EXIT_CRASH;
	} else if (!strncmp(m, HV_CTL_STATS "\"", sizeof(HV_CTL_STATS))) {
		result = "{\"fake\":true}";
	} else if (!strncmp(m, HV_CTL_POWER_BUTTON "\"",
			    sizeof(HV_CTL_POWER_BUTTON))) {
		exit_status = HV_EXIT_POWEROFF;
	} else if (!strncmp(m, HV_CTL_STOP "\"", sizeof(HV_CTL_STOP))) {
		exit_status = HV_EXIT_KILLED;
	}
	snprintf(out, sizeof(out), "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":%s}\n",
		 id, result);
	send_text(fd, out);
	if (exit_status >= 0) {
		/* Let keeld read the answer before the socket goes. */
		usleep(20 * 1000);
		exit(exit_status);
	}
}

/* The console handshake @line came on @p. */
static void console_handshake(struct peer *p)
{
	uint8_t hdr[CONSOLE_FRAME_HEADER];

	if (no_console) {
		send_text(p->fd, "{\"ok\":false,\"error\":\"This domain has no such console.\"}\n");
		return;
	}
	send_text(p->fd, "{\"ok\":true,\"role\":\"writer\",\"console\":\"serial\"}\n");
	console_frame_header(hdr, CONSOLE_FRAME_DATA, 6);
	if (write(p->fd, hdr, sizeof(hdr)) < 0 || write(p->fd, "hello\n", 6) < 0)
		exit(HV_EXIT_ERROR);
	p->streaming = true;
}

static void drop(size_t i)
{
	/*
	 * keeld hung up: unlike keel-hv, which outlives keeld, the stand-in
	 * ends with it, so that a test that failed leaves nothing running.
	 */
	if (!peers[i].console)
		exit(HV_EXIT_KILLED);
	close(peers[i].fd);
	peers[i] = peers[--nr_peers];
}

/* Bytes came from peer @i. */
static void readable(size_t i)
{
	struct peer *p = &peers[i];
	ssize_t n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len - 1);
	char *nl;

	if (n <= 0) {
		drop(i);
		return;
	}
	if (p->streaming) {
		/* Echo: keeld relays it back to the client unchanged. */
		if (write(p->fd, p->buf, (size_t)n) < 0)
			drop(i);
		return;
	}
	p->len += (size_t)n;
	p->buf[p->len] = '\0';
	while (!p->streaming && (nl = strchr(p->buf, '\n'))) {
		*nl = '\0';
		if (p->console)
			console_handshake(p);
		else
			control(p->fd, p->buf);
		p->len -= (size_t)(nl + 1 - p->buf);
		memmove(p->buf, nl + 1, p->len + 1);
	}
}

int main(int argc, char **argv)
{
	/* keel-hv's options this needs; the others are passed over. */
	static const struct option opts[] = {
		{ HV_OPT_CONTROL, required_argument, NULL, 'c' },
		{ HV_OPT_CONSOLE_SOCKET, required_argument, NULL, 's' },
		{ HV_OPT_CMDLINE, required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ctl_path = NULL, *con_path = NULL;
	int ctl, con, o;

	opterr = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'c') {
			ctl_path = optarg;
		} else if (o == 's') {
			con_path = optarg;
		} else if (o == 'l') {
			crash = strstr(optarg, "fake.crash") != NULL;
			no_console = strstr(optarg, "fake.no-console") != NULL;
		}
	}
	if (!ctl_path || !con_path) {
		fprintf(stderr, "fake_hv: no --%s or --%s\n", HV_OPT_CONTROL,
			HV_OPT_CONSOLE_SOCKET);
		return HV_EXIT_ERROR;
	}
	/* Never outlive a test by much, whatever happens to it. */
	alarm(60);
	ctl = listen_on(ctl_path);
	con = listen_on(con_path);
	for (;;) {
		struct pollfd pfd[MAX_FDS + 2] = {
			{ .fd = ctl, .events = POLLIN },
			{ .fd = con, .events = POLLIN },
		};

		for (size_t i = 0; i < nr_peers; i++)
			pfd[i + 2] = (struct pollfd){ .fd = peers[i].fd,
						      .events = POLLIN };
		if (poll(pfd, nr_peers + 2, -1) < 0 && errno != EINTR)
			return HV_EXIT_ERROR;
		for (size_t i = nr_peers; i-- > 0;)
			if (pfd[i + 2].revents)
				readable(i);
		for (int l = 0; l < 2; l++) {
			int fd;

			if (!(pfd[l].revents & POLLIN) || nr_peers == MAX_FDS)
				continue;
			fd = accept4(pfd[l].fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			peers[nr_peers++] = (struct peer){ .fd = fd,
							   .console = l == 1 };
		}
	}
}
