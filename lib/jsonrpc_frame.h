/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_JSONRPC_FRAME_H
#define KEEL_JSONRPC_FRAME_H

/*
 * Where one JSON-RPC message ends and the next begins, for every reader
 * of keel's line-framed streams: keeld's clients (daemon/server.c),
 * keeld's side of keel-hv's control and console sockets (daemon/hv.c,
 * daemon/console.c), keel-hv's control socket (hypervisor/control.c)
 * and libkeel. They all find lines here, so they agree on the rules:
 *
 *  - A line ends at the first "\n" and is at most JSONRPC_MAX_LINE
 *    bytes long, that newline included.
 *  - A "\r" before the newline is part of the line (and counts towards
 *    the limit); jsonrpc_parse_line() reads it as whitespace, so CRLF
 *    works. No other byte is special here: a NUL or invalid UTF-8 is
 *    the parser's to refuse, as a parse error for that one line.
 *  - A line over the limit, or JSONRPC_MAX_LINE bytes with no newline,
 *    is too large. The next message boundary cannot be trusted after
 *    it, so the reader stops: a server answers KEEL_E_TOO_LARGE with id
 *    null and closes the connection once that is written; a client
 *    (keeld towards keel-hv, libkeel) closes the connection and fails
 *    what was waiting on it.
 *
 * Nothing here reads or allocates: the callers own their buffers. The
 * libevent callers use jsonrpc_frame_ev.h on an evbuffer.
 */

#include <stddef.h>
#include <sys/types.h>

#include "jsonrpc.h"

/*
 * A reader's progress through the line at the front of its input: how
 * many of its bytes are known to hold no newline, so that a long line
 * arriving over many reads is searched once, not once a read. Zero it
 * (JSONRPC_FRAME_INIT) for a new stream; the functions below reset it
 * whenever they return a whole line, which the caller then consumes.
 */
struct jsonrpc_frame {
	size_t scanned;
};

#define JSONRPC_FRAME_INIT { 0 }

/*
 * The verdict on the line at the front of a reader's input, which holds
 * @have bytes whose first newline is at offset @eol (-1 when there is
 * none; only bytes from @f->scanned on need to have been searched).
 * Returns the line's length with its newline when it is whole and
 * within the limit, 0 when it is not whole yet (read more; @f
 * remembers that @have bytes hold no newline), or -E2BIG when it is
 * too large. @f may be NULL (nothing remembered).
 */
ssize_t jsonrpc_frame_end(struct jsonrpc_frame *f, ssize_t eol, size_t have);

/*
 * jsonrpc_frame_end() for the @have bytes at @buf, the front of a
 * reader's input: searches them for the newline (from @f->scanned on,
 * and never past JSONRPC_MAX_LINE bytes). @f may be NULL.
 */
ssize_t jsonrpc_frame_next(struct jsonrpc_frame *f, const char *buf,
			   size_t have);

/*
 * The answer a server sends for a line that is too large, before it
 * closes the connection: KEEL_E_TOO_LARGE, id null, with the sentence
 * every keel server uses. NULL when out of memory.
 */
struct json_object *jsonrpc_frame_too_large(void);

#endif /* KEEL_JSONRPC_FRAME_H */
