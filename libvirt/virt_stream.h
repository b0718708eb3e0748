/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_VIRT_STREAM_H
#define KEEL_VIRT_STREAM_H

/*
 * keel-virtd's streams (docs/libvirt.md, "Events and consoles"): a
 * console opened with DOMAIN_OPEN_CONSOLE is a libvirt stream on the
 * call's serial, bridged to a libkeel console. A worker opens it and
 * attaches it to its client; once the call's reply is queued the loop
 * starts it, and from then on the loop alone moves its bytes.
 */

#include <stdint.h>
#include <stddef.h>

#include "virt_protocol.h"

struct virt_client;

/* The largest data chunk of a stream message (libvirt's). */
#define VIRT_STREAM_CHUNK 262120

/*
 * The reply of call @serial is queued: start @c's stream of that serial,
 * if the call opened one. Any thread.
 */
void virt_streams_start(struct virt_client *c, unsigned serial);

/*
 * A stream message @msg (@len bytes, length word first; borrowed) of
 * @c with header @h: data for the console, the client's finish or its
 * abort. One for no open stream is dropped. The loop's.
 */
void virt_stream_input(struct virt_client *c, const struct vx_header *h,
		       const uint8_t *msg, size_t len);

/* @c read what it had queued: its paused streams go on. The loop's. */
void virt_streams_resume(struct virt_client *c);

/* @c closed: close its consoles. The loop's. */
void virt_streams_client_gone(struct virt_client *c);

#endif /* KEEL_VIRT_STREAM_H */
