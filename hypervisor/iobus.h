/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_IOBUS_H
#define KEEL_HV_IOBUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * A bus of address ranges (port I/O or MMIO) claimed by devices. vCPU
 * threads dispatch guest accesses through it concurrently; handlers run
 * on the vCPU thread and must take their device's own lock.
 *
 * @off is relative to the start of the claimed range; @len is 1, 2, 4 or
 * 8. A read handler must fill all @len bytes of @data (little-endian).
 */
struct io_ops {
	void (*read)(void *opaque, uint64_t off, void *data, unsigned len);
	void (*write)(void *opaque, uint64_t off, const void *data,
		      unsigned len);
};

struct io_range {
	uint64_t base;
	uint64_t len;
	const struct io_ops *ops;
	void *opaque;
};

struct iobus {
	pthread_rwlock_t lock;
	struct io_range *ranges; /* sorted by base, never overlapping */
	unsigned nr, cap;
	const char *name; /* "pio" or "mmio", for log messages */
};

int iobus_init(struct iobus *bus, const char *name);
void iobus_dispose(struct iobus *bus);

/*
 * Claim [base, base + len) for @ops. Returns 0, -EBUSY if any byte of it
 * is already claimed, -EINVAL for an empty or wrapping range, -ENOMEM.
 */
int iobus_register(struct iobus *bus, uint64_t base, uint64_t len,
		   const struct io_ops *ops, void *opaque);

/*
 * Release the range starting at @base. Returns 0 or -ENOENT.
 *
 * It does not wait for a handler already running on another vCPU:
 * iobus_access() calls handlers outside the bus lock, so that a slow
 * device never holds up the others. A range may move while the vCPUs
 * run (a guest reprogramming a BAR: pci.c), since its @opaque lives on
 * and an access that races the move reaches the device at one address
 * or the other, as on hardware. @opaque may only be freed once no vCPU
 * can be inside it: hot-unplug pauses the vCPUs first (hotplug.c).
 */
int iobus_unregister(struct iobus *bus, uint64_t base);

/*
 * Dispatch one guest access. Returns true if a device claimed it; an
 * unclaimed read returns all ones in @data, an unclaimed write is dropped
 * (as on real hardware) and the caller counts it.
 */
bool iobus_access(struct iobus *bus, uint64_t addr, void *data, unsigned len,
		  bool is_write);

#endif /* KEEL_HV_IOBUS_H */
