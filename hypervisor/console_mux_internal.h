/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_CONSOLE_MUX_INTERNAL_H
#define KEEL_HV_CONSOLE_MUX_INTERNAL_H

/*
 * What the two halves of the console multiplexer share: console_mux.c
 * (the ports: ring, log, input to the guest) and console_mux_server.c
 * (the console socket and its clients). Not for anyone else.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "console_mux.h"
#include "console_proto.h"

struct event;
struct evconnlistener;

#define CMUX_CHUNK (16 * 1024) /* output bytes per DATA frame */
#define CMUX_FRAMES_PER_TURN 4 /* per client per event loop turn */
#define CMUX_READS_PER_TURN 16
#define CMUX_INPUT_BUF 4096 /* guest input waiting for the device */
#define CMUX_LOG_STAGE 4096
#define CMUX_HELLO_MAX 4096
#define CMUX_MAX_CLIENTS 64
#define CMUX_END_MAX 1024 /* bytes of an END frame's sentence */
#define CMUX_FLUSH_MS 250 /* cmux_free()'s last delivery, in all */
#define CMUX_DEFAULT_HISTORY_LINES 24

struct cmux_port {
	struct cmux *mux;
	enum cmux_console which;
	pthread_mutex_t lock;

	/* Under @lock: written by the device's thread. */
	uint8_t *ring;
	size_t ring_size;
	uint64_t head; /* bytes ever written; the ring holds the last ones */
	int log_fd;
	char *log_path;
	uint64_t log_len; /* bytes in the current log file */
	uint64_t log_max; /* rotate before it would grow past this */
	uint8_t log_stage[CMUX_LOG_STAGE];
	size_t log_staged;
	bool log_broken; /* a write failed: logged once, then dropped */
	struct cmux_tap tap;
	bool wake_pending;

	/* I/O thread only. */
	struct event *wake_ev; /* output arrived */
	struct event *retry_ev; /* the device has room for input */
	struct cmux_guest guest;
	uint8_t in[CMUX_INPUT_BUF];
	size_t in_off, in_len;
	struct cmux_client *writer;
};

enum cmux_client_state {
	CMUX_HELLO, /* reading the request line */
	CMUX_STREAM, /* frames both ways */
	CMUX_CLOSING, /* close once the queued bytes are out */
};

struct cmux_client {
	struct cmux *mux;
	struct cmux_client *next;
	int fd;
	struct event *rd_ev, *wr_ev;
	bool rd_on, wr_on;
	enum cmux_client_state state;
	struct cmux_port *port; /* from the handshake on */
	bool writer;
	uint64_t pos; /* next output byte to send, as in port->head */
	uint64_t missed; /* lost bytes not yet reported */
	const char *role_note; /* a ROLE frame to send, or NULL */
	bool input_blocked; /* a writer waiting for input room */

	char hello[CMUX_HELLO_MAX + 1];
	size_t hello_len;

	/* The frame being read. */
	uint8_t rd_hdr[CONSOLE_FRAME_HEADER];
	size_t rd_hdr_len;
	enum console_frame_type rd_type;
	uint32_t rd_left; /* payload bytes still to read */
	uint8_t rd_ws[4]; /* a WINSIZE payload */
	size_t rd_ws_len;

	/* The one frame (or answer line) being written. */
	uint8_t out[CONSOLE_FRAME_HEADER + CMUX_CHUNK];
	size_t out_off, out_len;
};

struct cmux {
	struct event_base *base;
	struct cmux_config cfg;
	struct cmux_port *ports[CMUX_NR_CONSOLES];
	struct evconnlistener *listener;
	char *path;
	struct cmux_client *clients;
	unsigned nr_clients;
	char *end_reason; /* set once the VM stopped */
};

/* console_mux.c: the ring of @p, read with its lock held. */
uint64_t cmux_ring_oldest(const struct cmux_port *p);
/* Copy @len bytes from absolute position @pos, which the ring holds. */
void cmux_ring_copy(const struct cmux_port *p, uint64_t pos, uint8_t *dst,
		    size_t len);
/*
 * Where history of @lines lines starts: just after the (@lines+1)-th
 * last newline, a newline ending the output not starting a line; the
 * oldest byte if the ring holds fewer lines.
 */
uint64_t cmux_ring_lines(const struct cmux_port *p, uint64_t lines);

/* console_mux_server.c, for the ports (I/O thread). */
/* Send @c what is due (output, MISSED, END) until its socket is full. */
void cmux_client_pump(struct cmux_client *c);
/* Watch @c's socket for input, or stop (a writer the guest is behind). */
void cmux_client_want_read(struct cmux_client *c, bool on);
/*
 * Give every client what it is owed and END, for a fraction of a second
 * in all, then close them and the socket (removing its file).
 */
void cmux_server_close(struct cmux *mux);

#endif /* KEEL_HV_CONSOLE_MUX_INTERNAL_H */
