// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hot-plugged disks and NICs (hotplug.h): what keel-hv's control
 * methods device-add and device-del do, between the device models
 * (virtio_blk.c, virtio_net.c), the PCI bus (pci.c) and the ACPI
 * registers that tell the guest (acpi_pm.c).
 *
 * The guest's eject arrives on a vCPU thread, in the middle of its
 * _EJ0. The slot is emptied there and then, so that nothing the guest
 * does next finds the device; freeing it waits for the I/O thread,
 * which owns the device list and the backends, and for the vCPUs to be
 * paused, since a vCPU may still be inside one of the device's BAR
 * handlers (iobus.c calls them outside its lock).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi_pm.h"
#include "device.h"
#include "hotplug.h"
#include "hv_args.h"
#include "log.h"
#include "pci.h"
#include "virtio.h"
#include "virtio_blk.h"
#include "virtio_net.h"
#include "vm.h"
#include "vmm.h"

struct hotplug {
	struct vm *vm;
	struct device *pm; /* acpi_pm, which owns the guest-visible bits */
	hotplug_removed_fn *removed;
	void *opaque;
	pthread_mutex_t lock;
	/* Ejected by the guest, not freed yet: slot n's function. */
	struct pci_dev *ejected[PCI_NR_SLOTS];
	struct event *reap_ev; /* on the I/O thread; NULL without a loop */
};

/* @dev as a disk or NIC, the kinds that come and go, or NULL. */
static struct virtio_dev *hotplug_vdev(struct device *dev)
{
	if (strcmp(dev->ops->type, "virtio-blk") &&
	    strcmp(dev->ops->type, "virtio-net"))
		return NULL;
	/* Both are virtio devices: struct virtio_dev comes first. */
	return (struct virtio_dev *)dev;
}

static unsigned hotplug_count(struct vm *vm, const char *type)
{
	unsigned n = 0;

	for (struct device *d = vm->devices; d; d = d->next)
		n += !strcmp(d->ops->type, type);
	return n;
}

/* vCPU thread, in the guest's _EJ0: the slot is empty from now on. */
static void hotplug_ejected(void *opaque, unsigned slot)
{
	struct hotplug *hp = opaque;
	struct pci_dev *pdev = pci_unplug_slot(hp->vm, slot);

	if (!pdev)
		return;
	pthread_mutex_lock(&hp->lock);
	hp->ejected[slot] = pdev;
	pthread_mutex_unlock(&hp->lock);
	if (hp->reap_ev)
		event_active(hp->reap_ev, EV_READ, 0);
}

static void hotplug_reap_event(evutil_socket_t fd, short what, void *arg)
{
	hotplug_reap(arg);
}

/*
 * Take @dev off the VM's device list and free it; the vCPUs are paused.
 * device.c has no removal because nothing else ever leaves the list.
 */
static void hotplug_free_device(struct vm *vm, struct device *dev)
{
	for (struct device **pp = &vm->devices; *pp; pp = &(*pp)->next) {
		if (*pp == dev) {
			*pp = dev->next;
			break;
		}
	}
	dev->next = NULL;
	if (dev->ops->free)
		dev->ops->free(dev);
}

/*
 * Device @id ("vblk2") is gone: the ones of its kind with a higher
 * number move down by one ("vblk3" becomes "vblk2"), so that vblkN is
 * always the VM's Nth disk and vnetN its Nth NIC. keeld relies on it:
 * the Nth disk of a domain's configuration is vblkN, at boot and after
 * any attach (appended) or detach (taken out of the list).
 */
static void hotplug_renumber(struct vm *vm, const char *id)
{
	size_t plen = strcspn(id, "0123456789");
	unsigned gone = (unsigned)strtoul(id + plen, NULL, 10);

	for (struct device *d = vm->devices; d; d = d->next) {
		char *end;
		unsigned long n;

		if (!hotplug_vdev(d) || strncmp(d->id, id, plen) ||
		    !isdigit((unsigned char)d->id[plen]))
			continue;
		n = strtoul(d->id + plen, &end, 10);
		if (*end || n <= gone)
			continue;
		snprintf(d->id + plen, sizeof(d->id) - plen, "%lu", n - 1);
	}
}

void hotplug_reap(struct hotplug *hp)
{
	struct pci_dev *gone[PCI_NR_SLOTS];
	bool any = false, paused;

	pthread_mutex_lock(&hp->lock);
	memcpy(gone, hp->ejected, sizeof(gone));
	memset(hp->ejected, 0, sizeof(hp->ejected));
	pthread_mutex_unlock(&hp->lock);
	for (unsigned s = 0; s < PCI_NR_SLOTS; s++)
		any |= gone[s] != NULL;
	if (!any)
		return;
	paused = vm_is_paused(hp->vm);
	if (!paused && vm_pause(hp->vm))
		return; /* the VM is ending: vm_free() frees them */
	for (unsigned s = 0; s < PCI_NR_SLOTS; s++) {
		char id[sizeof(((struct device *)0)->id)];
		struct device *dev;

		for (dev = hp->vm->devices; dev && gone[s]; dev = dev->next) {
			struct virtio_dev *vdev = hotplug_vdev(dev);

			if (vdev && &vdev->pci == gone[s])
				break;
		}
		if (!dev || !gone[s])
			continue;
		snprintf(id, sizeof(id), "%s", dev->id);
		hotplug_free_device(hp->vm, dev);
		hotplug_renumber(hp->vm, id);
		log_info("hotplug: %s removed from slot %u", id, s);
		if (hp->removed)
			hp->removed(hp->opaque, id);
	}
	if (!paused)
		vm_resume(hp->vm);
}

int hotplug_new(struct vm *vm, hotplug_removed_fn *removed, void *opaque,
		struct hotplug **out)
{
	struct device *pm = vm_find_device(vm, "acpi_pm");
	struct hotplug *hp;

	if (!pm)
		return -ENODEV;
	hp = calloc(1, sizeof(*hp));
	if (!hp)
		return -ENOMEM;
	hp->vm = vm;
	hp->pm = pm;
	hp->removed = removed;
	hp->opaque = opaque;
	pthread_mutex_init(&hp->lock, NULL);
	if (vm->evbase) {
		hp->reap_ev = event_new(vm->evbase, -1, 0, hotplug_reap_event,
					hp);
		if (!hp->reap_ev) {
			hotplug_free(hp);
			return -ENOMEM;
		}
	}
	acpi_pm_pci_set_eject(pm, hotplug_ejected, hp);
	*out = hp;
	return 0;
}

void hotplug_free(struct hotplug *hp)
{
	if (!hp)
		return;
	/* The devices ejected but not reaped stay on the list: vm_free(). */
	acpi_pm_pci_set_eject(hp->pm, NULL, NULL);
	if (hp->reap_ev)
		event_free(hp->reap_ev);
	pthread_mutex_destroy(&hp->lock);
	free(hp);
}

/* The device vm_add_device() appended last: the one just created. */
static struct device *hotplug_last(struct vm *vm)
{
	struct device *d = vm->devices;

	while (d && d->next)
		d = d->next;
	return d;
}

/*
 * Create the disk or NIC @a holds (one of either) with vmm's own adds;
 * the vCPUs are paused. An add that fails after putting its device on
 * the list (no free slot) leaves it there for vm_free(): take it back.
 */
static int hotplug_create(struct hotplug *hp, struct hv_args *a,
			  struct device **out)
{
	struct vm_config cfg = { 0 };
	struct device *before = hotplug_last(hp->vm);
	int rc;

	cfg.disks = a->disks;
	cfg.nr_disks = a->cfg.nr_disks;
	cfg.nics = a->nics;
	cfg.nr_nics = a->cfg.nr_nics;
	rc = cfg.nr_disks ? virtio_blk_add(hp->vm, &cfg) :
			    virtio_net_add(hp->vm, &cfg);
	*out = hotplug_last(hp->vm);
	if (!rc && *out == before)
		rc = -EIO; /* cannot happen: an add that added nothing */
	if (rc && *out != before)
		hotplug_free_device(hp->vm, *out);
	return rc;
}

int hotplug_add(struct hotplug *hp, const char *opt, const char *spec,
		struct device **out, char *err, size_t err_len)
{
	bool disk = !strcmp(opt, HV_OPT_DISK);
	const char *type = disk ? "virtio-blk" : "virtio-net";
	unsigned max = disk ? KEEL_DISKS_MAX : KEEL_NICS_MAX;
	struct virtio_dev *vdev;
	struct hv_args *a;
	struct device *dev = NULL;
	bool paused;
	int rc, slot;

	hotplug_reap(hp);
	if (hotplug_count(hp->vm, type) >= max) {
		snprintf(err, err_len, "The domain has %u %s already, the most it can have.",
			 max, disk ? "disks" : "network interfaces");
		return -E2BIG;
	}
	a = malloc(sizeof(*a));
	if (!a) {
		snprintf(err, err_len, "keel-hv ran out of memory.");
		return -ENOMEM;
	}
	hv_args_init(a);
	rc = hv_args_device(a, opt, spec);
	if (rc) {
		snprintf(err, err_len,
			 disk ? "Invalid disk '%s': use PATH or PATH,ro." :
				"Invalid network interface '%s': use tap=NAME or tap=NAME,mac=52:54:00:12:34:56 (a tap name of at most 15 characters, a unicast MAC).",
			 spec);
		goto out_dispose;
	}
	/* Nothing runs in a device while it is put on the list and bus. */
	paused = vm_is_paused(hp->vm);
	if (!paused && vm_pause(hp->vm)) {
		snprintf(err, err_len, "The domain is shutting down.");
		rc = -ESHUTDOWN;
		goto out_dispose;
	}
	rc = hotplug_create(hp, a, &dev);
	if (!paused)
		vm_resume(hp->vm);
	if (rc) {
		snprintf(err, err_len, rc == -ENOSPC ?
			 "There is no free PCI slot or MMIO space for the device." :
			 disk ? "Disk %s could not be opened and locked: %s." :
				"Tap %s could not be opened: %s.",
			 disk ? a->disks[0].path : a->nics[0].tap,
			 strerror(-rc));
		goto out_dispose;
	}
	vdev = hotplug_vdev(dev);
	slot = pci_dev_slot(&vdev->pci);
	rc = acpi_pm_pci_plug(hp->pm, (unsigned)slot);
	if (!rc) {
		log_info("hotplug: %s plugged into slot %d", dev->id, slot);
		*out = dev;
	}
out_dispose:
	hv_args_dispose(a);
	free(a);
	return rc;
}

/* Disk or NIC @id and its slot (> 0), or NULL. */
static struct virtio_dev *hotplug_find(struct hotplug *hp, const char *id,
				       int *slot)
{
	struct device *dev = vm_find_device(hp->vm, id);
	struct virtio_dev *vdev = dev ? hotplug_vdev(dev) : NULL;

	*slot = vdev ? pci_dev_slot(&vdev->pci) : -1;
	return *slot > 0 ? vdev : NULL;
}

int hotplug_remove(struct hotplug *hp, const char *id, char *err,
		   size_t err_len)
{
	int slot;

	if (!hotplug_find(hp, id, &slot)) {
		if (err)
			snprintf(err, err_len, "There is no disk or network interface %s; use vblkN or vnetN as the devices method lists them.",
				 id);
		return -ENOENT;
	}
	log_info("hotplug: asking the guest to give up %s (slot %d)", id,
		 slot);
	return acpi_pm_pci_unplug(hp->pm, (unsigned)slot);
}

int hotplug_list(struct hotplug *hp, struct json_object **out)
{
	struct json_object *list = json_object_new_array();
	uint32_t pending = acpi_pm_pci_pending(hp->pm);

	if (!list)
		return -ENOMEM;
	for (struct device *d = hp->vm->devices; d; d = d->next) {
		struct virtio_dev *vdev = hotplug_vdev(d);
		struct json_object *o;
		int slot;

		if (!vdev)
			continue;
		slot = pci_dev_slot(&vdev->pci);
		if (slot <= 0)
			continue; /* ejected, about to be freed */
		o = json_object_new_object();
		if (!o || json_object_array_add(list, o)) {
			json_object_put(o);
			json_object_put(list);
			return -ENOMEM;
		}
		json_object_object_add(o, "id", json_object_new_string(d->id));
		json_object_object_add(o, "type",
				       json_object_new_string(d->ops->type));
		json_object_object_add(o, "slot", json_object_new_int(slot));
		json_object_object_add(
			o, "removing",
			json_object_new_boolean(pending & (1u << slot)));
	}
	*out = list;
	return 0;
}
