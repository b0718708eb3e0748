// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/bench/stats_hv: a stand-in for keel-hv that runs no VM, for
 * tests/bench/qos's domain.stats_all row: fifty real keel-hv's need
 * fifty guests, and what is measured there is keeld's side (the
 * calls, /proc, the cgroups), so each domain is this small C process.
 *
 * It listens on keel-hv's control and console sockets (lib/hv_proto.h)
 * and answers "status" and "stats" the way keel-hv with two vCPUs, a
 * disk, a NIC and a balloon does (the same members, counters that
 * move), every other method with {}; "stop" ends it. It burns no CPU
 * between calls, so the time keeld waits for it is the time it takes
 * to be woken and to answer, as for a keel-hv's I/O thread. It ends
 * when keeld hangs up the control socket, or after an hour.
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

#include "hv_proto.h"

#define MAX_PEERS 8

struct peer {
	int fd;
	bool console;
	char buf[4096];
	size_t len;
};

static struct peer peers[MAX_PEERS];
static size_t nr_peers;
static unsigned long long calls;

static int listen_on(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(fd, 8)) {
		fprintf(stderr, "stats_hv: cannot listen on %s: %s\n", path,
			strerror(errno));
		exit(HV_EXIT_ERROR);
	}
	return fd;
}

/* keel-hv's stats answer, its counters moved on by one call. */
static int stats_result(char *out, size_t size)
{
	unsigned long long n = ++calls;

	return snprintf(out, size,
		"{\"paused\":false,\"vcpus\":["
		"{\"id\":0,\"emulated_by_keel\":%llu,\"run_ns\":%llu,"
		"\"cpu_ns\":%llu,\"state\":\"running\",\"exits\":{\"io\":%llu,"
		"\"mmio\":%llu,\"hlt\":%llu},\"unclaimed_pio\":0,"
		"\"unclaimed_mmio\":0},"
		"{\"id\":1,\"emulated_by_keel\":%llu,\"run_ns\":%llu,"
		"\"cpu_ns\":%llu,\"state\":\"running\",\"exits\":{\"io\":%llu,"
		"\"mmio\":%llu,\"hlt\":%llu},\"unclaimed_pio\":0,"
		"\"unclaimed_mmio\":0}],"
		"\"devices\":{"
		"\"vblk0\":{\"type\":\"virtio-blk\",\"reads\":%llu,"
		"\"writes\":%llu,\"read_bytes\":%llu,\"written_bytes\":%llu,"
		"\"flushes\":%llu,\"io_errors\":0,\"unsupported\":0,"
		"\"capacity_bytes\":1073741824,\"read_ns\":%llu,"
		"\"write_ns\":%llu,\"flush_ns\":%llu,\"throttled\":0,"
		"\"throttled_ms\":0,\"readonly\":false,"
		"\"path\":\"/var/lib/keel/images/web.img\",\"serial\":\"\"},"
		"\"vnet0\":{\"type\":\"virtio-net\",\"tap\":\"vif1.0\","
		"\"rx_packets\":%llu,\"rx_bytes\":%llu,\"rx_errors\":0,"
		"\"rx_too_big\":0,\"tx_packets\":%llu,\"tx_bytes\":%llu,"
		"\"tx_dropped\":0,\"rx_throttled\":0,\"rx_throttled_ms\":0,"
		"\"tx_throttled\":0,\"tx_throttled_ms\":0},"
		"\"balloon\":{\"type\":\"virtio-balloon\","
		"\"target_bytes\":268435456,\"actual_bytes\":268435456}}}",
		n, n * 1000003, n * 900001, n * 7, n * 3, n * 11,
		n, n * 1000033, n * 800011, n * 5, n * 2, n * 13,
		n * 17, n * 19, n * 17 * 4096, n * 19 * 4096, n * 3,
		n * 170000, n * 190000, n * 30000,
		n * 23, n * 23 * 1400, n * 29, n * 29 * 900);
}

/* Answer request @line on the control socket @fd. */
static void control(int fd, const char *line)
{
	const char *m = strstr(line, "\"method\":\"");
	const char *idp = strstr(line, "\"id\":");
	char result[4096], out[4352];
	int id = idp ? atoi(idp + 5) : 0;
	bool stop = false;

	if (!m)
		return;
	m += 10;
	snprintf(result, sizeof(result), "{}");
	if (!strncmp(m, HV_CTL_STATUS "\"", sizeof(HV_CTL_STATUS)))
		snprintf(result, sizeof(result), "{\"state\":\"running\"}");
	else if (!strncmp(m, HV_CTL_STATS "\"", sizeof(HV_CTL_STATS)))
		stats_result(result, sizeof(result));
	else if (!strncmp(m, HV_CTL_STOP "\"", sizeof(HV_CTL_STOP)))
		stop = true;
	snprintf(out, sizeof(out),
		 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":%s}\n", id, result);
	if (write(fd, out, strlen(out)) < 0 || stop) {
		usleep(20 * 1000);
		exit(stop ? HV_EXIT_KILLED : HV_EXIT_ERROR);
	}
}

static void drop(size_t i)
{
	/* keeld hung up its control connection: a bench is over. */
	if (!peers[i].console)
		exit(HV_EXIT_KILLED);
	close(peers[i].fd);
	peers[i] = peers[--nr_peers];
}

static void readable(size_t i)
{
	struct peer *p = &peers[i];
	ssize_t n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len - 1);
	char *nl;

	if (n <= 0) {
		drop(i);
		return;
	}
	if (p->console) {
		/* The handshake, answered once; then nothing to say. */
		if (!p->len && memchr(p->buf, '\n', (size_t)n)) {
			static const char ok[] = "{\"ok\":true,\"role\":"
						 "\"writer\",\"console\":"
						 "\"serial\"}\n";

			p->len = 1;
			if (write(p->fd, ok, sizeof(ok) - 1) < 0)
				drop(i);
		}
		return;
	}
	p->len += (size_t)n;
	p->buf[p->len] = '\0';
	while ((nl = strchr(p->buf, '\n'))) {
		*nl = '\0';
		control(p->fd, p->buf);
		p->len -= (size_t)(nl + 1 - p->buf);
		memmove(p->buf, nl + 1, p->len + 1);
	}
	if (p->len == sizeof(p->buf) - 1)
		drop(i); /* a line longer than any request */
}

int main(int argc, char **argv)
{
	/* keel-hv's options this needs; the others are passed over. */
	static const struct option opts[] = {
		{ HV_OPT_CONTROL, required_argument, NULL, 'c' },
		{ HV_OPT_CONSOLE_SOCKET, required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ctl_path = NULL, *con_path = NULL;
	int ls[2], o;

	opterr = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'c')
			ctl_path = optarg;
		else if (o == 's')
			con_path = optarg;
	}
	if (!ctl_path || !con_path) {
		fprintf(stderr, "stats_hv: no --%s or --%s\n", HV_OPT_CONTROL,
			HV_OPT_CONSOLE_SOCKET);
		return HV_EXIT_ERROR;
	}
	alarm(3600);
	ls[0] = listen_on(ctl_path);
	ls[1] = listen_on(con_path);
	for (;;) {
		struct pollfd pfd[MAX_PEERS + 2] = {
			{ .fd = ls[0], .events = POLLIN },
			{ .fd = ls[1], .events = POLLIN },
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

			if (!(pfd[l].revents & POLLIN) || nr_peers == MAX_PEERS)
				continue;
			fd = accept4(ls[l], NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				peers[nr_peers++] = (struct peer){
					.fd = fd, .console = l == 1 };
		}
	}
}
