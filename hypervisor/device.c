// SPDX-License-Identifier: GPL-2.0-or-later
/* The VM's device list: ownership, lookup by id, reset and teardown. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "device.h"
#include "vm.h"

int vm_add_device(struct vm *vm, struct device *dev, const char *id)
{
	struct device **tail = &vm->devices;

	if (!dev || !dev->ops || !id || !*id || strlen(id) >= sizeof(dev->id))
		return -EINVAL;
	for (; *tail; tail = &(*tail)->next) {
		if (*tail == dev || strcmp((*tail)->id, id) == 0)
			return -EEXIST;
	}
	strcpy(dev->id, id);
	dev->vm = vm;
	dev->next = NULL;
	*tail = dev;
	return 0;
}

struct device *vm_find_device(struct vm *vm, const char *id)
{
	for (struct device *d = vm->devices; d; d = d->next) {
		if (strcmp(d->id, id) == 0)
			return d;
	}
	return NULL;
}

void vm_devices_reset(struct vm *vm)
{
	for (struct device *d = vm->devices; d; d = d->next) {
		if (d->ops->reset)
			d->ops->reset(d);
	}
}

/* Reverse the list in place so teardown runs newest first. */
static struct device *device_list_reverse(struct device *d)
{
	struct device *prev = NULL;

	while (d) {
		struct device *next = d->next;

		d->next = prev;
		prev = d;
		d = next;
	}
	return prev;
}

void vm_devices_free(struct vm *vm)
{
	struct device *d = device_list_reverse(vm->devices);

	vm->devices = NULL;
	while (d) {
		struct device *next = d->next;

		if (d->ops->free)
			d->ops->free(d);
		d = next;
	}
}
