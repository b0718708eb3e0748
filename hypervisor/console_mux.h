/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_CONSOLE_MUX_H
#define KEEL_HV_CONSOLE_MUX_H

/*
 * keel-hv's side of console multiplexing (docs/console.md): per console
 * a ring buffer and a rotated log file fed by the device, and a UNIX
 * socket on which keeld (or anyone with access) attaches viewers and at
 * most one writer, speaking the frames of lib/console_proto.h.
 *
 * Threads: cmux_port_output() and cmux_port_rx_ready() are called by the
 * devices from any thread (they are ns8250_backend and
 * virtio_console_backend callbacks); everything else runs on the I/O
 * thread, the one running the event loop.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct cmux;
struct cmux_port;

#define CMUX_DEFAULT_RING (1024 * 1024)
#define CMUX_DEFAULT_LOG_SIZE (1024 * 1024)
#define CMUX_MIN_SIZE 4096 /* smallest ring and log rotation size */
#define CMUX_MAX_RING (1024ULL * 1024 * 1024)
#define CMUX_LOG_KEEP 3 /* PATH.1 .. PATH.3 */

enum cmux_console {
	CMUX_SERIAL, /* COM1 */
	CMUX_VIRTIO, /* the first virtio-console port (hvc0) */
	CMUX_NR_CONSOLES,
};

/* The guest end of a console: where a writer's input goes. */
struct cmux_guest {
	/*
	 * Offer @len bytes; returns how many the device took. When that
	 * is fewer, the device calls cmux_port_rx_ready() once it has
	 * room. NULL: input is dropped.
	 */
	size_t (*input)(void *opaque, const uint8_t *buf, size_t len);
	/* The writer's window size. NULL: WINSIZE frames are ignored. */
	void (*winsize)(void *opaque, unsigned rows, unsigned cols);
	void *opaque;
};

/*
 * A local console on the same port (keel-hv's --console stdio): it sees
 * every output byte and types like a writer, through cmux_port_input().
 */
struct cmux_tap {
	/*
	 * Output, on the device's thread, in order (the device's lock is
	 * held). Must not call into the port or the device.
	 */
	void (*output)(void *opaque, const uint8_t *buf, size_t len);
	/*
	 * I/O thread: the input queue had no room and has some again
	 * (it may be called when the tap was not waiting).
	 */
	void (*input_room)(void *opaque);
	void *opaque;
};

struct cmux_config {
	size_t ring_size; /* bytes per console; CMUX_MIN_SIZE..CMUX_MAX_RING */
	uint64_t log_size; /* rotate a log when it reaches this; >= MIN */
};

/*
 * A multiplexer on @base (which must outlive it and have been created
 * after evthread_use_pthreads()), with no console and no socket yet.
 * Returns 0 and *@out (free with cmux_free()) or -errno.
 */
int cmux_new(struct event_base *base, const struct cmux_config *cfg,
	     struct cmux **out);

/*
 * Add console @which with its ring and, if @log_path is not NULL, its
 * log file (opened for appending, mode 0600; rotated by size to
 * @log_path.1 .. .3). @guest is copied. Returns 0 and *@out (owned by
 * @mux) or -errno after logging a sentence.
 */
int cmux_add_port(struct cmux *mux, enum cmux_console which,
		  const char *log_path, const struct cmux_guest *guest,
		  struct cmux_port **out);

/*
 * Listen on the UNIX socket @path (mode 0600; an existing socket file is
 * replaced; removed again by cmux_free()). Returns 0 or -errno, logged.
 */
int cmux_listen(struct cmux *mux, const char *path);

/*
 * Serve a connected stream socket @fd as a console client (the listener
 * uses it; so do the unit tests with a socketpair). Takes ownership of
 * @fd, closing it on error. Returns 0 or -errno.
 */
int cmux_accept_fd(struct cmux *mux, int fd);

/*
 * The guest wrote @len bytes to the console @opaque (a struct
 * cmux_port): append them to the ring and the log, hand them to the
 * tap, and wake the I/O thread to serve clients. Never waits for a
 * client. Any thread; an ns8250_backend/virtio_console_backend output.
 */
void cmux_port_output(void *opaque, const uint8_t *buf, size_t len);

/* The device has room for input again. Any thread; a backend rx_ready. */
void cmux_port_rx_ready(void *opaque);

/* Set or clear (NULL) the port's tap. Call before output starts. */
void cmux_port_set_tap(struct cmux_port *port, const struct cmux_tap *tap);

/* How many input bytes cmux_port_input() would take now. */
size_t cmux_port_input_room(const struct cmux_port *port);

/*
 * Queue input for the guest and offer it to the device. Returns how
 * many bytes were queued (at most cmux_port_input_room()).
 */
size_t cmux_port_input(struct cmux_port *port, const uint8_t *buf,
		       size_t len);

/*
 * The VM stopped: every client is sent what is left of the output, then
 * an END frame with @why (a sentence, copied) and is closed; a client
 * that attaches later gets its history and END. Idempotent: the first
 * reason stays.
 */
void cmux_vm_stopped(struct cmux *mux, const char *why);

/*
 * Flush the logs; send each client its remaining output and END (the
 * reason given to cmux_vm_stopped(), or that keel-hv is exiting) for up
 * to a quarter of a second in all; close everything and remove the
 * socket file. NULL is fine. The devices must no longer call into the
 * ports.
 */
void cmux_free(struct cmux *mux);

/* Where a console's log goes: serial at @path, virtio derived from it. */
char *cmux_log_path(const char *path, enum cmux_console which);

#endif /* KEEL_HV_CONSOLE_MUX_H */
