/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_CONTROL_H
#define KEEL_HV_CONTROL_H

struct control;
struct vm;

/*
 * Listen for JSON-RPC 2.0 requests, one per line, on the UNIX socket
 * @path (created with mode 0600; an existing socket file is replaced) and
 * serve them on @vm's event loop. Methods: status, pause, resume, stop,
 * power-button, stats (man/keel-hv.8, CONTROL SOCKET). Returns 0 and the
 * new server in *@out, or -errno.
 */
int control_new(struct vm *vm, const char *path, struct control **out);

/* Close every connection and remove the socket file. NULL is fine. */
void control_free(struct control *ctl);

#endif /* KEEL_HV_CONTROL_H */
