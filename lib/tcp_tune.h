/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_TCP_TUNE_H
#define KEEL_TCP_TUNE_H

/*
 * What every TCP connection under keel's TLS asks of the kernel: a dead
 * peer ends it within about 30 s, idle or busy, instead of TCP's own
 * hours; and no Nagle delay, since each write is a whole message or a
 * block of records someone waits for. libkeel's TLS connections (keel
 * -c tls://, a migration's source), keeld's peers and TLS listener,
 * keel-virtd's TLS listener and the migration's incoming end all use
 * it. Best effort: a socket option the kernel refuses leaves TCP's
 * default.
 */
void tcp_tune(int fd);

#endif
