// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libvirt's framing on XDR memory streams (virt_frame.h). The header is
 * six 32-bit words; the payload is whatever rpcgen's encoder for the
 * procedure makes of it, so keel never lays out XDR by hand.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "virt_frame.h"

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

long virt_frame_length(const uint8_t *buf)
{
	uint32_t len = get_be32(buf);

	if (len < VIRT_MSG_MIN || len > VIRT_MSG_MAX)
		return -EMSGSIZE;
	return (long)len;
}

int virt_header_decode(const uint8_t *msg, size_t len, struct vx_header *h)
{
	const uint8_t *p = msg + VIRT_LEN_SIZE;

	if (len < VIRT_MSG_MIN)
		return -EBADMSG;
	h->prog = get_be32(p);
	h->vers = get_be32(p + 4);
	h->proc = (int)get_be32(p + 8);
	h->type = (int)get_be32(p + 12);
	h->serial = get_be32(p + 16);
	h->status = (int)get_be32(p + 20);
	return 0;
}

int virt_payload_decode(const uint8_t *buf, size_t len, xdrproc_t fn,
			void *obj)
{
	XDR xdr;
	bool ok;

	if (!fn)
		return len ? -EBADMSG : 0;
	if (len > VX_MESSAGE_MAX)
		return -EBADMSG;
	/* XDR_DECODE never writes through the buffer. */
	xdrmem_create(&xdr, (char *)buf, (u_int)len, XDR_DECODE);
	ok = fn(&xdr, obj, 0) && xdr_getpos(&xdr) == len;
	xdr_destroy(&xdr);
	if (!ok) {
		xdr_free(fn, obj);
		return -EBADMSG;
	}
	return 0;
}

int virt_msg_encode(const struct vx_header *h, xdrproc_t fn, void *obj,
		    uint8_t **out, size_t *len)
{
	unsigned long size = fn ? xdr_sizeof(fn, obj) : 0;
	uint8_t *buf, *p;
	size_t total;
	XDR xdr;

	if (fn && !size)
		return -EINVAL;
	if (size > VX_MESSAGE_MAX)
		return -EMSGSIZE;
	total = VIRT_MSG_MIN + size;
	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	put_be32(buf, (uint32_t)total);
	p = buf + VIRT_LEN_SIZE;
	put_be32(p, h->prog);
	put_be32(p + 4, h->vers);
	put_be32(p + 8, (uint32_t)h->proc);
	put_be32(p + 12, (uint32_t)h->type);
	put_be32(p + 16, h->serial);
	put_be32(p + 20, (uint32_t)h->status);
	if (fn) {
		xdrmem_create(&xdr, (char *)buf + VIRT_MSG_MIN, (u_int)size,
			      XDR_ENCODE);
		if (!fn(&xdr, obj, 0) || xdr_getpos(&xdr) != size) {
			xdr_destroy(&xdr);
			free(buf);
			return -EINVAL;
		}
		xdr_destroy(&xdr);
	}
	*out = buf;
	*len = total;
	return 0;
}
