// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * notify_wait SOCKET SECONDS COMMAND [ARG...]: what systemd does for a
 * Type=notify service, for check-install. Binds the datagram socket
 * SOCKET, runs COMMAND with NOTIFY_SOCKET=SOCKET, and waits up to
 * SECONDS for a message with the line READY=1. Then prints COMMAND's
 * pid and exits 0, leaving COMMAND running; exits 1, saying why, if
 * COMMAND ends first or the time runs out (and then kills it). COMMAND's
 * standard output goes to the standard error, so that a shell's
 * $(notify_wait ...) reads the pid alone and does not wait for COMMAND.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int bind_socket(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "notify_wait: %s is too long for a socket.\n",
			path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "notify_wait: cannot bind %s: %s.\n", path,
			strerror(errno));
		return -1;
	}
	return fd;
}

static bool is_ready(const char *msg)
{
	for (const char *line = msg; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (!strncmp(line, "READY=1", 7) &&
		    (line[7] == '\n' || !line[7]))
			return true;
	}
	return false;
}

/* Wait for READY=1 from @pid's program; returns 0 or 1 (said why). */
static int wait_ready(int fd, pid_t pid, int seconds)
{
	time_t end = time(NULL) + seconds;
	char msg[4096];
	ssize_t n;
	int status;

	while (time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "notify_wait: the command ended (status %d) without READY=1.\n",
				WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			return 1;
		}
		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, msg, sizeof(msg) - 1, 0);
		if (n < 0)
			continue;
		msg[n] = '\0';
		fprintf(stderr, "notify_wait: got \"%s\".\n", msg);
		if (is_ready(msg))
			return 0;
	}
	fprintf(stderr, "notify_wait: no READY=1 in %d s.\n", seconds);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return 1;
}

int main(int argc, char **argv)
{
	pid_t pid;
	int fd;

	if (argc < 4) {
		fprintf(stderr,
			"Usage: notify_wait SOCKET SECONDS COMMAND [ARG...]\n");
		return 2;
	}
	fd = bind_socket(argv[1]);
	if (fd < 0)
		return 1;
	pid = fork();
	if (pid < 0) {
		perror("notify_wait: fork");
		return 1;
	}
	if (!pid) {
		dup2(STDERR_FILENO, STDOUT_FILENO);
		setenv("NOTIFY_SOCKET", argv[1], 1);
		execv(argv[3], argv + 3);
		fprintf(stderr, "notify_wait: cannot run %s: %s.\n", argv[3],
			strerror(errno));
		_exit(127);
	}
	if (wait_ready(fd, pid, atoi(argv[2])))
		return 1;
	printf("%ld\n", (long)pid);
	return 0;
}
