/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_VIRT_FRAME_H
#define KEEL_VIRT_FRAME_H

/*
 * libvirt's RPC framing (../shared/notes/libvirt-rpc.md): a 4-byte
 * big-endian length that counts itself, a 24-byte header, then the XDR
 * payload. Nothing here touches a socket, so that the unit suite and
 * the fuzz target drive it with any bytes.
 */

#include <stddef.h>
#include <stdint.h>

#include <rpc/rpc.h>

#include "virt_protocol.h"

#define VIRT_LEN_SIZE 4
#define VIRT_HEADER_SIZE 24
/* The smallest message (a header alone) and the largest. */
#define VIRT_MSG_MIN (VIRT_LEN_SIZE + VIRT_HEADER_SIZE)
#define VIRT_MSG_MAX (VIRT_LEN_SIZE + VX_MESSAGE_MAX)

/*
 * The length word at @buf (4 bytes): the whole message's length, or
 * -EMSGSIZE when it is below VIRT_MSG_MIN or above VIRT_MSG_MAX (the
 * stream cannot be framed any more: close it).
 */
long virt_frame_length(const uint8_t *buf);

/*
 * Read the header of the message @msg of @len bytes (length word
 * included). Returns 0, or -EBADMSG when @len is below VIRT_MSG_MIN.
 */
int virt_header_decode(const uint8_t *msg, size_t len, struct vx_header *h);

/*
 * Decode the payload @buf of @len bytes into @obj (zeroed by the
 * caller) with @fn. All of it must be used. Returns 0, or -EBADMSG
 * after freeing what was decoded. @fn NULL: the payload must be empty.
 */
int virt_payload_decode(const uint8_t *buf, size_t len, xdrproc_t fn,
			void *obj);

/*
 * A whole message: @h, then @obj encoded with @fn (NULL: no payload).
 * Returns 0 with *@out (the caller frees it) of *@len bytes, -EMSGSIZE
 * when it would be longer than VIRT_MSG_MAX, -ENOMEM, or -EINVAL when
 * @fn refused @obj.
 */
int virt_msg_encode(const struct vx_header *h, xdrproc_t fn, void *obj,
		    uint8_t **out, size_t *len);

#endif /* KEEL_VIRT_FRAME_H */
