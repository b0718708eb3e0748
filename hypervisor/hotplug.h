/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_HOTPLUG_H
#define KEEL_HV_HOTPLUG_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct device;
struct hotplug;
struct vm;

/*
 * Disks and NICs plugged into and out of a running VM (xl's block-attach
 * and network-attach; docs/hypervisor.md, "PCI hot-plug"). A device is
 * added from the words its command-line option takes (--disk, --net),
 * on the next free PCI slot, and the guest is told through ACPI
 * (acpi_pm.h); a removal asks the guest to give the device up and ends
 * when the guest ejects it: keel-hv then takes the slot away at once
 * and, on the I/O thread with the vCPUs paused, frees the device, which
 * by then has nothing in flight (requests run to completion on the I/O
 * thread, and the guest's driver reset the device before the eject).
 */

/*
 * Called on the I/O thread once device @id is gone for good. The disks
 * or NICs numbered after it have moved down by one by then ("vblk3" is
 * now "vblk2"): vblkN is always the Nth disk, vnetN the Nth NIC.
 */
typedef void hotplug_removed_fn(void *opaque, const char *id);

/*
 * Hot-plug for @vm, whose ACPI device it needs; @removed (may be NULL)
 * hears of each completed removal. Returns 0 and *@out, -ENODEV if the
 * VM has no ACPI device, -ENOMEM.
 */
int hotplug_new(struct vm *vm, hotplug_removed_fn *removed, void *opaque,
		struct hotplug **out);

/* Stop listening for ejects and free @hp (not the devices). NULL is fine. */
void hotplug_free(struct hotplug *hp);

/*
 * Plug a new disk (@opt HV_OPT_DISK, @spec "PATH" or "PATH,ro") or NIC
 * (@opt HV_OPT_NET, @spec "tap=NAME[,mac=MAC]") into the running VM. On
 * success *@out is the device (owned by the VM: "vblkN", "vnetN", N
 * being how many of its kind there were).
 * Returns 0, or -errno with a sentence for the caller in @err:
 * -EINVAL (bad spec), -E2BIG (the VM has its most disks or NICs),
 * -ENOSPC (no free slot), or what opening the disk or tap gave.
 */
int hotplug_add(struct hotplug *hp, const char *opt, const char *spec,
		struct device **out, char *err, size_t err_len);

/*
 * Ask the guest to give up disk or NIC @id. Returns 0 when the request
 * is out (again, if it already was), or -ENOENT (no such disk or NIC)
 * with a sentence in @err.
 */
int hotplug_remove(struct hotplug *hp, const char *id, char *err,
		   size_t err_len);

/*
 * The VM's disks and NICs as [{"id", "type", "slot", "removing"}], in
 * device order, into *@out. Returns 0 or -ENOMEM.
 */
int hotplug_list(struct hotplug *hp, struct json_object **out);

/*
 * Free the devices the guest ejected since the last call. The eject's
 * event does this on its own; callers that are about to plug call it
 * first so a slot or window freed is free indeed. I/O thread.
 */
void hotplug_reap(struct hotplug *hp);

#endif /* KEEL_HV_HOTPLUG_H */
