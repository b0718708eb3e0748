// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pvpanic: the one-byte port a guest kernel writes when it panics
 * (QEMU's docs/specs/pvpanic.rst; Linux's drivers/misc/pvpanic). Without
 * it keel-hv sees a panicked Linux only as whatever the kernel does
 * next (panic=-1 reboots it, the default waits for ever), and on_crash
 * never applies. The device has no state the guest can change, so its
 * save and restore carry nothing.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "hv_error.h"
#include "log.h"
#include "pvpanic.h"
#include "vm.h"

struct pvpanic {
	struct device dev;
	_Atomic bool panicked;
	_Atomic uint64_t panics, crash_loaded;
};

static struct pvpanic *to_pvpanic(struct device *dev)
{
	return (struct pvpanic *)dev;
}

static void pvpanic_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	/* The events this device understands, in every byte read. */
	memset(data, PVPANIC_PANICKED | PVPANIC_CRASH_LOADED, len);
}

static void pvpanic_write(void *opaque, uint64_t off, const void *data,
			  unsigned len)
{
	struct pvpanic *p = opaque;
	uint8_t v = *(const uint8_t *)data;

	if (v & PVPANIC_PANICKED) {
		atomic_fetch_add(&p->panics, 1);
		atomic_store(&p->panicked, true);
		log_warn("pvpanic: the guest kernel panicked");
		vm_request_exit(p->dev.vm, VM_EXIT_CRASH);
		return;
	}
	if (v & PVPANIC_CRASH_LOADED) {
		atomic_fetch_add(&p->crash_loaded, 1);
		log_warn("pvpanic: the guest kernel crashed and starts its kdump kernel");
	}
}

static const struct io_ops pvpanic_io_ops = {
	.read = pvpanic_read,
	.write = pvpanic_write,
};

bool pvpanic_panicked(struct device *dev)
{
	return atomic_load(&to_pvpanic(dev)->panicked);
}

static void pvpanic_reset(struct device *dev)
{
	atomic_store(&to_pvpanic(dev)->panicked, false);
}

static int pvpanic_save(struct device *dev, struct json_object **out)
{
	*out = json_object_new_object();
	return *out ? 0 : -ENOMEM;
}

static int pvpanic_restore(struct device *dev, struct json_object *state)
{
	return json_object_is_type(state, json_type_object) ? 0 : -EINVAL;
}

static void pvpanic_stats(struct device *dev, struct json_object *out)
{
	struct pvpanic *p = to_pvpanic(dev);

	json_object_object_add(out, "panics",
			       json_object_new_uint64(atomic_load(&p->panics)));
	json_object_object_add(out, "crash_loaded",
			       json_object_new_uint64(
				       atomic_load(&p->crash_loaded)));
}

static void pvpanic_free(struct device *dev)
{
	free(to_pvpanic(dev));
}

static const struct device_ops pvpanic_ops = {
	.type = "pvpanic",
	.version = 1,
	.reset = pvpanic_reset,
	.save = pvpanic_save,
	.restore = pvpanic_restore,
	.stats = pvpanic_stats,
	.free = pvpanic_free,
};

int pvpanic_add(struct vm *vm, const struct vm_config *cfg)
{
	struct pvpanic *p = calloc(1, sizeof(*p));
	int rc;

	(void)cfg;
	if (!p)
		return -ENOMEM;
	p->dev.ops = &pvpanic_ops;
	p->dev.vm = vm;
	rc = vm_add_device(vm, &p->dev, "pvpanic");
	if (rc) {
		pvpanic_free(&p->dev);
		return rc;
	}
	rc = iobus_register(&vm->pio, VM_PORT_PVPANIC, 1, &pvpanic_io_ops, p);
	if (rc)
		hv_error("pvpanic: port 0x%x: %s", VM_PORT_PVPANIC,
			 strerror(-rc));
	return rc;
}
