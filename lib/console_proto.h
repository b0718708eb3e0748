/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_CONSOLE_PROTO_H
#define KEEL_CONSOLE_PROTO_H

/*
 * The console stream (docs/console.md): after a one-line JSON handshake,
 * both directions carry frames of
 *
 *   type (1 byte) | payload length (4 bytes, big-endian) | payload
 *
 * keel-hv speaks it on its console socket, keeld relays it unchanged on
 * a client connection that called domain.open_console, libkeel reads and
 * writes it. A frame longer than CONSOLE_MAX_PAYLOAD or of an unknown
 * type ends the stream (the reader closes it).
 */

#include <stddef.h>
#include <stdint.h>

#define CONSOLE_FRAME_HEADER 5
#define CONSOLE_MAX_PAYLOAD (64 * 1024)

enum console_frame_type {
	/* Guest output (to clients) or keyboard input (from the writer). */
	CONSOLE_FRAME_DATA = 'D',
	/* To a client: 8 bytes big-endian, output bytes it lost (too slow). */
	CONSOLE_FRAME_MISSED = 'M',
	/* To a client: its role now, "writer" or "viewer" (e.g. taken over). */
	CONSOLE_FRAME_ROLE = 'R',
	/* From the writer: 2+2 bytes big-endian, rows and columns. */
	CONSOLE_FRAME_WINSIZE = 'W',
	/* To a client: the stream ends; the payload says why, in words. */
	CONSOLE_FRAME_END = 'E',
};

/* Fill @hdr for a frame of @type with @len payload bytes. */
static inline void console_frame_header(uint8_t hdr[CONSOLE_FRAME_HEADER],
					enum console_frame_type type,
					uint32_t len)
{
	hdr[0] = (uint8_t)type;
	hdr[1] = (uint8_t)(len >> 24);
	hdr[2] = (uint8_t)(len >> 16);
	hdr[3] = (uint8_t)(len >> 8);
	hdr[4] = (uint8_t)len;
}

/*
 * Parse a frame header. Returns the payload length, or -1 when the type
 * is unknown or the length exceeds CONSOLE_MAX_PAYLOAD.
 */
static inline long console_frame_parse(const uint8_t hdr[CONSOLE_FRAME_HEADER],
				       enum console_frame_type *type)
{
	uint32_t len = (uint32_t)hdr[1] << 24 | (uint32_t)hdr[2] << 16 |
		       (uint32_t)hdr[3] << 8 | hdr[4];

	switch (hdr[0]) {
	case CONSOLE_FRAME_DATA:
	case CONSOLE_FRAME_MISSED:
	case CONSOLE_FRAME_ROLE:
	case CONSOLE_FRAME_WINSIZE:
	case CONSOLE_FRAME_END:
		break;
	default:
		return -1;
	}
	if (len > CONSOLE_MAX_PAYLOAD)
		return -1;
	*type = (enum console_frame_type)hdr[0];
	return (long)len;
}

#endif /* KEEL_CONSOLE_PROTO_H */
