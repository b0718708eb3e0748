// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * JSON-RPC line framing (jsonrpc_frame.h): the one place that decides
 * where a line ends and whether it is too long.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "jsonrpc_frame.h"

ssize_t jsonrpc_frame_end(struct jsonrpc_frame *f, ssize_t eol, size_t have)
{
	if (eol >= 0) {
		if (f)
			f->scanned = 0;
		/* A newline at offset JSONRPC_MAX_LINE - 1 just fits. */
		if ((size_t)eol >= JSONRPC_MAX_LINE)
			return -E2BIG;
		return eol + 1;
	}
	if (have >= JSONRPC_MAX_LINE) {
		if (f)
			f->scanned = 0;
		return -E2BIG;
	}
	if (f)
		f->scanned = have;
	return 0;
}

ssize_t jsonrpc_frame_next(struct jsonrpc_frame *f, const char *buf,
			   size_t have)
{
	size_t from = f ? f->scanned : 0;
	size_t to = have < JSONRPC_MAX_LINE ? have : JSONRPC_MAX_LINE;
	const char *nl = NULL;

	/* What the caller has may have shrunk since (a new stream). */
	if (from > to)
		from = 0;
	if (to > from)
		nl = memchr(buf + from, '\n', to - from);
	return jsonrpc_frame_end(f, nl ? nl - buf : -1, have);
}

/* The sentence says the limit in words; this keeps them the same. */
_Static_assert(JSONRPC_MAX_LINE == 1024 * 1024,
	       "jsonrpc_frame_too_large() says the limit is 1 MiB");

struct json_object *jsonrpc_frame_too_large(void)
{
	return jsonrpc_error(NULL, KEEL_E_TOO_LARGE,
			     "The message is longer than 1 MiB (or has no newline); the connection is closed.",
			     NULL);
}
