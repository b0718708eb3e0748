// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hardware-reduced ACPI registers in port I/O space (ACPI 6.x, 4.8.3.7
 * and 4.8.3.6): the guest powers off by writing SLP_TYP=S5 | SLP_EN to
 * the sleep control register, resets through the FADT's reset register,
 * and learns of a power-button press from the GED status byte its _EVT
 * method reads. The in-tree test guests use the same ports.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "acpi_pm.h"
#include "device.h"
#include "hv_error.h"
#include "log.h"
#include "vm.h"

#define PM_PORT_BASE VM_PORT_ACPI_SLEEP_CTL
#define PM_PORT_LEN (VM_PORT_ACPI_GED - VM_PORT_ACPI_SLEEP_CTL + 1)

#define SLP_EN 0x20
#define SLP_TYP_SHIFT 2
#define SLP_TYP_MASK 0x7

#define GED_POWER_BUTTON 0x01

/* Guest-visible state (saved and restored). */
struct acpi_pm_regs {
	uint8_t ged_status; /* pending events, cleared by reading */
};

struct acpi_pm {
	struct device dev; /* first: container_of by cast */
	pthread_mutex_t lock;
	struct acpi_pm_regs r;
	uint64_t power_buttons;
	bool warned_sleep;
};

static struct acpi_pm *to_pm(struct device *dev)
{
	return (struct acpi_pm *)dev;
}

static void acpi_pm_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct acpi_pm *pm = opaque;
	uint8_t v = 0;

	memset(data, 0, len);
	if (off == VM_PORT_ACPI_GED - PM_PORT_BASE) {
		pthread_mutex_lock(&pm->lock);
		v = pm->r.ged_status;
		pm->r.ged_status = 0;
		pthread_mutex_unlock(&pm->lock);
	}
	/* Sleep status, control and reset read as zero. */
	*(uint8_t *)data = v;
}

static void acpi_pm_write(void *opaque, uint64_t off, const void *data,
			  unsigned len)
{
	struct acpi_pm *pm = opaque;
	uint8_t v = *(const uint8_t *)data;

	if (off == VM_PORT_ACPI_SLEEP_CTL - PM_PORT_BASE) {
		unsigned typ = (v >> SLP_TYP_SHIFT) & SLP_TYP_MASK;

		if (!(v & SLP_EN))
			return;
		if (typ == VM_ACPI_S5_TYPE) {
			log_info("acpi: the guest powered off (S5)");
			vm_request_exit(pm->dev.vm, VM_EXIT_POWEROFF);
			return;
		}
		pthread_mutex_lock(&pm->lock);
		if (!pm->warned_sleep)
			log_warn("acpi: the guest asked for sleep type %u; "
				 "only S5 (power off) is supported",
				 typ);
		pm->warned_sleep = true;
		pthread_mutex_unlock(&pm->lock);
	} else if (off == VM_PORT_ACPI_RESET - PM_PORT_BASE) {
		if (v == VM_ACPI_RESET_VALUE) {
			log_info("acpi: the guest reset the machine");
			vm_request_exit(pm->dev.vm, VM_EXIT_REBOOT);
		}
	}
}

static const struct io_ops acpi_pm_io = {
	.read = acpi_pm_read,
	.write = acpi_pm_write,
};

int acpi_pm_power_button(struct device *dev)
{
	struct acpi_pm *pm = to_pm(dev);

	pthread_mutex_lock(&pm->lock);
	pm->r.ged_status |= GED_POWER_BUTTON;
	pm->power_buttons++;
	pthread_mutex_unlock(&pm->lock);
	/* Edge: the GED's interrupt is declared edge-triggered. */
	vm_irq_line(dev->vm, VM_IRQ_GED, true);
	vm_irq_line(dev->vm, VM_IRQ_GED, false);
	return 0;
}

static void acpi_pm_reset(struct device *dev)
{
	struct acpi_pm *pm = to_pm(dev);

	pthread_mutex_lock(&pm->lock);
	memset(&pm->r, 0, sizeof(pm->r));
	pthread_mutex_unlock(&pm->lock);
}

static int acpi_pm_save(struct device *dev, struct json_object **out)
{
	struct acpi_pm *pm = to_pm(dev);
	struct json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	pthread_mutex_lock(&pm->lock);
	json_object_object_add(o, "ged_status",
			       json_object_new_int(pm->r.ged_status));
	pthread_mutex_unlock(&pm->lock);
	*out = o;
	return 0;
}

static int acpi_pm_restore(struct device *dev, struct json_object *state)
{
	struct acpi_pm *pm = to_pm(dev);
	struct json_object *v;
	int x;

	if (!json_object_is_type(state, json_type_object) ||
	    !json_object_object_get_ex(state, "ged_status", &v) ||
	    !json_object_is_type(v, json_type_int))
		return -EINVAL;
	x = json_object_get_int(v);
	if (x & ~GED_POWER_BUTTON)
		return -EINVAL;
	pthread_mutex_lock(&pm->lock);
	pm->r.ged_status = (uint8_t)x;
	pthread_mutex_unlock(&pm->lock);
	return 0;
}

static void acpi_pm_stats(struct device *dev, struct json_object *out)
{
	struct acpi_pm *pm = to_pm(dev);

	pthread_mutex_lock(&pm->lock);
	json_object_object_add(out, "power_buttons",
			       json_object_new_uint64(pm->power_buttons));
	pthread_mutex_unlock(&pm->lock);
}

static void acpi_pm_free(struct device *dev)
{
	struct acpi_pm *pm = to_pm(dev);

	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

static const struct device_ops acpi_pm_ops = {
	.type = "acpi-pm",
	.reset = acpi_pm_reset,
	.save = acpi_pm_save,
	.restore = acpi_pm_restore,
	.stats = acpi_pm_stats,
	.free = acpi_pm_free,
};

int acpi_pm_new(struct vm *vm, struct device **out)
{
	struct acpi_pm *pm;
	int rc;

	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return -ENOMEM;
	pm->dev.ops = &acpi_pm_ops;
	pm->dev.vm = vm;
	pthread_mutex_init(&pm->lock, NULL);
	rc = vm_add_device(vm, &pm->dev, "acpi_pm");
	if (rc) {
		hv_error("acpi: cannot add the PM device: %s.", strerror(-rc));
		acpi_pm_free(&pm->dev);
		return rc;
	}
	/* From here the VM owns it and frees it at teardown. */
	rc = iobus_register(&vm->pio, PM_PORT_BASE, PM_PORT_LEN, &acpi_pm_io,
			    pm);
	if (rc) {
		hv_error("acpi: ports 0x%x-0x%x: %s.", PM_PORT_BASE,
			 PM_PORT_BASE + PM_PORT_LEN - 1, strerror(-rc));
		return rc;
	}
	*out = &pm->dev;
	return 0;
}
