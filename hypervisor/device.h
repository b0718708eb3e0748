/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_DEVICE_H
#define KEEL_HV_DEVICE_H

#include <json-c/json.h>

#include "iotune.h"

struct vm;
struct device;

/*
 * Every emulated device is an ops table over a plain state struct. The
 * state that defines the device as the guest sees it (registers, queue
 * indexes, feature bits) lives in one struct that save() serialises to a
 * JSON object and restore() reads back; host resources (fds, threads,
 * mappings) live beside it and are never serialised. save/restore are
 * what save-to-file and live migration are built on.
 */
struct device_ops {
	const char *type; /* "ns8250", "i8042", "virtio-blk", ... */
	/*
	 * The version of the JSON save() writes, carried in the domain
	 * stream's DEVICE record (docs/stream.md). Raise it when restore()
	 * must tell the new layout from the old; a restore refuses a
	 * version above the device's, and restore() upgrades a lower one.
	 */
	unsigned version;

	/* Back to power-on state (guest reboot). */
	void (*reset)(struct device *dev);

	/*
	 * Serialise the guest-visible state into a new JSON object (*@out,
	 * owned by the caller). Called with the vCPUs stopped. Returns 0 or
	 * -errno.
	 */
	int (*save)(struct device *dev, struct json_object **out);

	/*
	 * Load state produced by save() (possibly on another host, possibly
	 * hostile: validate every field). Returns 0, -EINVAL for bad state.
	 */
	int (*restore)(struct device *dev, struct json_object *state);

	/* Add I/O counters to @out (a JSON object); may be NULL. */
	void (*stats)(struct device *dev, struct json_object *out);

	/*
	 * I/O limits (lib/iotune.h), for devices that have them (else
	 * NULL): if @set, replace the limits with it; then the limits in
	 * force into *@cur and the kind of limits the device takes into
	 * *@kind. A device throttled under the old limits re-checks them
	 * at once. Returns 0 or -errno.
	 */
	int (*iotune)(struct device *dev, const struct iotune *set,
		      struct iotune *cur, enum iotune_kind *kind);

	/* Release everything; the device is already off every bus. */
	void (*free)(struct device *dev);
};

struct device {
	const struct device_ops *ops;
	char id[32]; /* unique in the VM: "serial0", "vblk0"; names its state */
	struct vm *vm;
	struct device *next; /* vm's device list, in creation order */
};

/*
 * Put @dev on @vm's device list (the VM takes ownership and calls
 * ops->free at teardown). @id must be unique. Returns 0 or -EEXIST.
 */
int vm_add_device(struct vm *vm, struct device *dev, const char *id);

/* The device called @id, or NULL. */
struct device *vm_find_device(struct vm *vm, const char *id);

/* Call every device's reset(), in creation order. vCPUs must be stopped. */
void vm_devices_reset(struct vm *vm);

/*
 * Take every device off the list and call its free(), newest first (the
 * reverse of creation), so a device can rely on the ones created before
 * it until its own free(). The buses must already be disposed (or the
 * devices unregistered).
 */
void vm_devices_free(struct vm *vm);

#endif /* KEEL_HV_DEVICE_H */
