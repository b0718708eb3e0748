/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VIRTIO_CONSOLE_H
#define KEEL_HV_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct vm_config;
struct device;

/*
 * Where a virtio console's bytes go and come from (like
 * struct ns8250_backend, but both callbacks run on the I/O thread).
 */
struct virtio_console_backend {
	/*
	 * The guest wrote @len bytes (hvc0). Called with the device's
	 * lock held, so output stays in order: must not call back into
	 * the device. NULL: output is discarded.
	 */
	void (*output)(void *opaque, const uint8_t *buf, size_t len);
	/*
	 * The guest has receive buffers again after virtio_console_input()
	 * accepted less than it was offered. Called without the lock.
	 */
	void (*rx_ready)(void *opaque);
	void *opaque;
};

/*
 * The machine's virtio console, if @cfg asks for one (--virtio-console),
 * with no backend yet. Returns 0 or -errno, logged.
 */
int virtio_console_add(struct vm *vm, const struct vm_config *cfg);

/* Replace the backend (NULL: discard). Safe at any time. */
void virtio_console_set_backend(struct device *dev,
				const struct virtio_console_backend *be);

/*
 * Offer @len bytes of input to the guest. Returns how many fitted in
 * the receive buffers the guest had posted (the rest must be offered
 * again after rx_ready). Safe from any thread.
 */
size_t virtio_console_input(struct device *dev, const uint8_t *buf,
			    size_t len);

/*
 * The console's size as the host's terminal has it (@rows, @cols up to
 * 65535; 0 for unknown): a guest that negotiated VIRTIO_CONSOLE_F_SIZE
 * gets a configuration interrupt and resizes hvc0. Safe from any thread.
 */
void virtio_console_set_size(struct device *dev, unsigned rows,
			     unsigned cols);

#endif /* KEEL_HV_VIRTIO_CONSOLE_H */
