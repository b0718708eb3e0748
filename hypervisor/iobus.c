// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Address-range buses for port I/O and MMIO. Ranges are kept sorted so a
 * guest access is a binary search under a read lock; the handler itself
 * runs with the lock dropped, so a handler may (un)register ranges (a
 * PCI config write that moves a BAR) without deadlocking. A device must
 * therefore stay allocated until every vCPU has stopped, which the VM's
 * teardown order guarantees.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iobus.h"

int iobus_init(struct iobus *bus, const char *name)
{
	int rc;

	memset(bus, 0, sizeof(*bus));
	rc = pthread_rwlock_init(&bus->lock, NULL);
	if (rc)
		return -rc;
	bus->name = name;
	return 0;
}

void iobus_dispose(struct iobus *bus)
{
	if (!bus->name)
		return;
	free(bus->ranges);
	bus->ranges = NULL;
	bus->nr = bus->cap = 0;
	pthread_rwlock_destroy(&bus->lock);
	bus->name = NULL;
}

/* Index of the first range whose end is above @addr (may be bus->nr). */
static unsigned iobus_lower_bound(const struct iobus *bus, uint64_t addr)
{
	unsigned lo = 0, hi = bus->nr;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct io_range *r = &bus->ranges[mid];

		if (r->base + r->len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int iobus_register(struct iobus *bus, uint64_t base, uint64_t len,
		   const struct io_ops *ops, void *opaque)
{
	unsigned i;
	int rc = 0;

	if (!len || base + len < base || !ops)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	i = iobus_lower_bound(bus, base);
	if (i < bus->nr && bus->ranges[i].base < base + len) {
		rc = -EBUSY;
		goto out_unlock;
	}
	if (bus->nr == bus->cap) {
		unsigned cap = bus->cap ? bus->cap * 2 : 16;
		struct io_range *r;

		r = realloc(bus->ranges, cap * sizeof(*r));
		if (!r) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i],
		(bus->nr - i) * sizeof(bus->ranges[0]));
	bus->ranges[i] = (struct io_range){ .base = base, .len = len,
					    .ops = ops, .opaque = opaque };
	bus->nr++;
out_unlock:
	pthread_rwlock_unlock(&bus->lock);
	return rc;
}

int iobus_unregister(struct iobus *bus, uint64_t base)
{
	unsigned i;
	int rc = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	i = iobus_lower_bound(bus, base);
	if (i < bus->nr && bus->ranges[i].base == base) {
		memmove(&bus->ranges[i], &bus->ranges[i + 1],
			(bus->nr - i - 1) * sizeof(bus->ranges[0]));
		bus->nr--;
		rc = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return rc;
}

/*
 * An access is claimed only if all of [addr, addr + len) lies inside one
 * range, so a handler never sees @off + @len beyond what it claimed; an
 * access straddling two ranges (or a range's end) is treated as
 * unclaimed, which is what a guest poking at random addresses deserves.
 */
bool iobus_access(struct iobus *bus, uint64_t addr, void *data, unsigned len,
		  bool is_write)
{
	struct io_range r = { 0 };
	bool found = false;
	unsigned i;

	if (len == 0 || len > 8 || addr + len < addr)
		goto unclaimed;
	pthread_rwlock_rdlock(&bus->lock);
	i = iobus_lower_bound(bus, addr);
	if (i < bus->nr && bus->ranges[i].base <= addr &&
	    addr + len - bus->ranges[i].base <= bus->ranges[i].len) {
		r = bus->ranges[i];
		found = true;
	}
	pthread_rwlock_unlock(&bus->lock);
	if (!found)
		goto unclaimed;
	if (is_write) {
		if (r.ops->write)
			r.ops->write(r.opaque, addr - r.base, data, len);
	} else if (r.ops->read) {
		r.ops->read(r.opaque, addr - r.base, data, len);
	} else {
		memset(data, 0xff, len);
	}
	return true;

unclaimed:
	if (!is_write && len <= 8)
		memset(data, 0xff, len);
	return false;
}
