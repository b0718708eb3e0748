/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_JSONRPC_FRAME_EV_H
#define KEEL_JSONRPC_FRAME_EV_H

/*
 * jsonrpc_frame.h on a libevent evbuffer, for keeld and keel-hv. Inline
 * and in a header of its own because libkeel, which links the rest of
 * lib/, must not depend on libevent: the decision stays in
 * jsonrpc_frame_end(), this only finds the newline.
 */

#include <errno.h>
#include <stdlib.h>

#include <event2/buffer.h>

#include "jsonrpc_frame.h"

/*
 * jsonrpc_frame_next() for the line at the front of @in: its length
 * with the newline, 0 when it is not whole yet, -E2BIG when it is too
 * large. The line stays in @in: evbuffer_pullup() it, then drain it.
 */
static inline ssize_t jsonrpc_frame_next_ev(struct jsonrpc_frame *f,
					    struct evbuffer *in)
{
	size_t have = evbuffer_get_length(in);
	struct evbuffer_ptr from, eol;

	if (!f || f->scanned > have ||
	    evbuffer_ptr_set(in, &from, f->scanned, EVBUFFER_PTR_SET) < 0)
		evbuffer_ptr_set(in, &from, 0, EVBUFFER_PTR_SET);
	eol = evbuffer_search_eol(in, &from, NULL, EVBUFFER_EOL_LF);
	return jsonrpc_frame_end(f, eol.pos, have);
}

/*
 * Take the next whole line out of @in: *@line gets a malloc'd copy,
 * NUL-terminated, of @len bytes with the newline (the caller frees it).
 * Returns 1, 0 when no whole line is there yet, -E2BIG when it is too
 * large (@in is left alone: the caller closes), or -ENOMEM.
 */
static inline int jsonrpc_frame_take_ev(struct jsonrpc_frame *f,
					struct evbuffer *in, char **line,
					size_t *len)
{
	ssize_t n = jsonrpc_frame_next_ev(f, in);
	char *p;

	*line = NULL;
	*len = 0;
	if (n <= 0)
		return (int)n;
	p = malloc((size_t)n + 1);
	if (!p)
		return -ENOMEM;
	evbuffer_remove(in, p, (size_t)n);
	p[n] = '\0';
	*line = p;
	*len = (size_t)n;
	return 1;
}

#endif /* KEEL_JSONRPC_FRAME_EV_H */
