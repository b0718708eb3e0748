/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_NS8250_H
#define KEEL_HV_NS8250_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct device;

/*
 * Where a UART's bytes go and come from: stdio today, a console ring
 * buffer in the daemon's world. Both callbacks run on a vCPU thread.
 */
struct ns8250_backend {
	/*
	 * The guest transmitted @len bytes. Called with the UART's lock
	 * held (so output stays in order): must not call back into the
	 * UART. NULL: output is discarded.
	 */
	void (*output)(void *opaque, const uint8_t *buf, size_t len);
	/*
	 * The receive FIFO has room again after ns8250_input() accepted
	 * less than it was offered. Called without the UART's lock; the
	 * backend typically wakes its own thread to offer the rest.
	 */
	void (*rx_ready)(void *opaque);
	void *opaque;
};

/*
 * A 16550A UART at ports [@port, @port + 8) raising ISA @irq. The guest
 * sees an interrupt only while MCR.OUT2 is set, as on a PC, so a
 * polling guest needs nothing; an interrupt-driven one sets OUT2 and
 * IER. Transmission is instantaneous (THR is always empty again).
 * The device is put on @vm's device list as @id. @be is copied; NULL
 * discards output. Returns 0 and *@out (owned by the VM) or -errno.
 */
int ns8250_new(struct vm *vm, const char *id, uint16_t port, uint32_t irq,
	       const struct ns8250_backend *be, struct device **out);

/* Replace the backend (e.g. stdio → ring buffer). Safe at any time. */
void ns8250_set_backend(struct device *dev, const struct ns8250_backend *be);

/*
 * Offer @len received bytes to the guest. Returns how many fit in the
 * receive FIFO (the rest must be offered again after rx_ready). Safe
 * from any thread.
 */
size_t ns8250_input(struct device *dev, const uint8_t *buf, size_t len);

/*
 * A break on the line, then @key: the NUL a 16550 receives for a break
 * (LSR.BI set while it is at the FIFO's head) followed by @key, which
 * is how a terminal sends a magic SysRq on a serial console (Linux's
 * 8250 driver takes the next character after a break as the SysRq
 * key). Both go in or neither: returns 0, -EAGAIN when the receive
 * FIFO has no room for two bytes (the guest is not reading), -EIO in
 * loopback, where the receiver is cut off from the line. Safe from
 * any thread.
 */
int ns8250_input_break(struct device *dev, uint8_t key);

#endif /* KEEL_HV_NS8250_H */
