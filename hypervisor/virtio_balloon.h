/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VIRTIO_BALLOON_H
#define KEEL_HV_VIRTIO_BALLOON_H

#include <stdint.h>

struct vm;
struct vm_config;
struct device;
struct event;

/*
 * The machine's balloon, if @cfg asks for one: --balloon, or --maxmem,
 * with which guest RAM is cfg->maxmem and the balloon's target is set to
 * cfg->ram_size before the guest runs, so that the guest's driver
 * inflates it at boot and the guest starts with --memory usable.
 * Returns 0 or -errno, logged.
 */
int virtio_balloon_add(struct vm *vm, const struct vm_config *cfg);

/*
 * Ask the guest to shrink to (or grow back to) @target_bytes of usable
 * memory, as xl mem-set or virsh setmem do: the balloon's num_pages
 * becomes (guest RAM - @target_bytes) / 4 KiB, 0 if @target_bytes is
 * at least the guest's RAM. The guest follows at its own pace (and
 * only once its driver runs). Returns 0, or -EINVAL if @dev is not a
 * balloon. Safe from any thread.
 */
int virtio_balloon_set_target(struct device *dev, uint64_t target_bytes);

/*
 * The current request and what the guest reports: *@target_bytes the
 * memory it was asked to keep, *@actual_bytes what it says it keeps
 * (guest RAM minus the pages in its balloon). Returns 0 or -EINVAL.
 */
int virtio_balloon_get(struct device *dev, uint64_t *target_bytes,
		       uint64_t *actual_bytes);

/*
 * Make @changed (an event on the I/O thread's loop, borrowed; NULL to
 * stop) active whenever the guest reports a new `actual` or its driver
 * resets the device, from whichever thread that happens on. Returns 0
 * or -EINVAL if @dev is not a balloon.
 */
int virtio_balloon_watch(struct device *dev, struct event *changed);

#endif /* KEEL_HV_VIRTIO_BALLOON_H */
