// SPDX-License-Identifier: GPL-2.0-or-later
/* The TCP options of keel's TLS connections (tcp_tune.h). */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "tcp_tune.h"

/*
 * A migration's peer that vanishes (a cut link, a host that died) must
 * not leave the destination's keel-hv reading for ever: its keeld waits
 * for it to end before it forgets the domain (docs/migration.md, phase
 * 6). Keepalive probes after 10 s of silence, 3 of them 5 s apart, end
 * an idle connection; data unacknowledged for 30 s ends a busy one. A
 * stopped peer process (a paused source) still answers from its kernel.
 */
#define TCP_TUNE_KEEPIDLE_S 10
#define TCP_TUNE_KEEPINTVL_S 5
#define TCP_TUNE_KEEPCNT 3
#define TCP_TUNE_USER_TIMEOUT_MS 30000

void tcp_tune(int fd)
{
	int on = 1, idle = TCP_TUNE_KEEPIDLE_S, intvl = TCP_TUNE_KEEPINTVL_S;
	int cnt = TCP_TUNE_KEEPCNT;
	unsigned timeout = TCP_TUNE_USER_TIMEOUT_MS;

	/*
	 * Nagle held a message's last partial segment until the peer
	 * acknowledged the one before, and Linux delays that acknowledgement
	 * by up to 40 ms: a migration's END record could wait that long
	 * behind its last pages with the guest paused, and a finish's answer
	 * behind its request (docs/migrate-bench.md, run 7).
	 */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout,
		   sizeof(timeout));
}
