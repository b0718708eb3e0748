// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hardware-reduced ACPI registers in port I/O space (ACPI 6.x, 4.8.3.7
 * and 4.8.3.6): the guest powers off by writing SLP_TYP=S5 | SLP_EN to
 * the sleep control register, resets through the FADT's reset register,
 * and learns of a power-button press from the GED status byte its _EVT
 * method reads. The in-tree test guests use the same ports.
 *
 * vCPU hot-plug uses the same GED: one byte per possible vCPU
 * (acpi_pm.h has the layout, x86/acpi.c the AML that reads it) holds
 * whether the CPU is present and whether an insert or a removal waits
 * for the guest's attention. Every vCPU has its KVM vCPU and thread from
 * the start; an absent one sits in KVM's wait-for-SIPI state, so
 * plugging it is only a bit here and the guest's own INIT/SIPI.
 *
 * PCI hot-plug is the same again for the root bus's slots (acpi_pm.h):
 * a bit per slot for "plugged, tell the guest" and "to be removed", a
 * GED event for both, and an eject register the slot's _EJ0 writes;
 * the device model itself (which device is in which slot) belongs to
 * hotplug.c, which this file calls back when the guest ejects.
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

#define GED_EVENTS \
	(ACPI_GED_POWER_BUTTON | ACPI_GED_CPU_HOTPLUG | ACPI_GED_PCI_HOTPLUG)

/* Slots 1..31: slot 0 is the host bridge, which stays. */
#define PCIHP_SLOT_MASK 0xfffffffeu

/* Guest-visible state (saved and restored). */
struct acpi_pm_regs {
	uint8_t ged_status; /* pending events, cleared by reading */
	/* CPU hot-plug, bit n for vCPU n. */
	uint64_t cpu_present;
	uint64_t cpu_insert; /* Device Check pending */
	uint64_t cpu_remove; /* Eject Request pending */
	/* PCI hot-plug, bit n for slot n. */
	uint32_t pci_up; /* Device Check pending */
	uint32_t pci_down; /* Eject Request pending, until the eject */
};

struct acpi_pm {
	struct device dev; /* first: container_of by cast */
	pthread_mutex_t lock;
	struct acpi_pm_regs r;
	unsigned nr_cpus; /* the VM's nr_vcpus: one hot-plug byte each */
	unsigned cpu_target; /* the last acpi_pm_cpu_set(), or boot's */
	uint64_t power_buttons;
	uint64_t cpu_plugs, cpu_ejects;
	uint64_t pci_plugs, pci_ejects;
	acpi_pm_eject_fn *pci_eject; /* hotplug.c's, or NULL */
	void *pci_eject_opaque;
	bool warned_sleep;
};

_Static_assert(KEEL_VCPUS_MAX <= 64, "one bit per vCPU in a uint64_t");

/* The bits of the first @n CPUs. */
static uint64_t cpu_mask(unsigned n)
{
	return n >= 64 ? ~0ULL : (1ULL << n) - 1;
}

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

/* vCPU @off's hot-plug byte. */
static void acpi_pm_cpu_read(void *opaque, uint64_t off, void *data,
			     unsigned len)
{
	struct acpi_pm *pm = opaque;
	uint64_t bit = 1ULL << off;
	uint8_t v = 0;

	memset(data, 0, len);
	pthread_mutex_lock(&pm->lock);
	if (pm->r.cpu_present & bit)
		v |= ACPI_CPU_PRESENT;
	if (pm->r.cpu_insert & bit)
		v |= ACPI_CPU_INSERT;
	if (pm->r.cpu_remove & bit)
		v |= ACPI_CPU_REMOVE;
	pthread_mutex_unlock(&pm->lock);
	*(uint8_t *)data = v;
}

static void acpi_pm_cpu_write(void *opaque, uint64_t off, const void *data,
			      unsigned len)
{
	struct acpi_pm *pm = opaque;
	uint8_t v = *(const uint8_t *)data;
	uint64_t bit = 1ULL << off;

	pthread_mutex_lock(&pm->lock);
	if (v & ACPI_CPU_INSERT)
		pm->r.cpu_insert &= ~bit;
	if (v & ACPI_CPU_REMOVE)
		pm->r.cpu_remove &= ~bit;
	/* CPU 0 has no _EJ0: the guest cannot run without its boot CPU. */
	if ((v & ACPI_CPU_EJECT) && off && (pm->r.cpu_present & bit)) {
		pm->r.cpu_present &= ~bit;
		pm->r.cpu_remove &= ~bit;
		pm->cpu_ejects++;
		log_info("acpi: the guest ejected vCPU %u",
			 (unsigned)off);
	}
	pthread_mutex_unlock(&pm->lock);
}

static const struct io_ops acpi_pm_cpu_io = {
	.read = acpi_pm_cpu_read,
	.write = acpi_pm_cpu_write,
};

/*
 * The PCI hot-plug dwords. Only aligned dword accesses mean anything
 * (the DSDT's field is DWordAcc); others read as zero and do nothing.
 */
static void acpi_pm_pci_read(void *opaque, uint64_t off, void *data,
			     unsigned len)
{
	struct acpi_pm *pm = opaque;
	uint32_t v = 0;

	memset(data, 0, len);
	if (len != 4 || off % 4)
		return;
	pthread_mutex_lock(&pm->lock);
	if (off == ACPI_PCIHP_UP) {
		v = pm->r.pci_up;
		pm->r.pci_up = 0;
	} else if (off == ACPI_PCIHP_DOWN) {
		v = pm->r.pci_down;
	}
	pthread_mutex_unlock(&pm->lock);
	memcpy(data, &v, 4); /* x86: the guest's byte order */
}

static void acpi_pm_pci_write(void *opaque, uint64_t off, const void *data,
			      unsigned len)
{
	struct acpi_pm *pm = opaque;
	acpi_pm_eject_fn *fn;
	void *fn_opaque;
	uint32_t v, eject;

	if (len != 4 || off != ACPI_PCIHP_EJECT)
		return;
	memcpy(&v, data, 4);
	pthread_mutex_lock(&pm->lock);
	/* Only what keel asked the guest to give up may go. */
	eject = v & pm->r.pci_down;
	pm->r.pci_down &= ~eject;
	pm->pci_ejects += (uint64_t)__builtin_popcount(eject);
	fn = pm->pci_eject;
	fn_opaque = pm->pci_eject_opaque;
	pthread_mutex_unlock(&pm->lock);
	if (v & ~eject)
		log_debug("acpi: the guest ejected PCI slots 0x%x that were not being removed; ignored",
			  v & ~eject);
	for (unsigned slot = 1; slot < ACPI_PCIHP_SLOTS; slot++) {
		if (!(eject & (1u << slot)))
			continue;
		log_info("acpi: the guest ejected PCI slot %u", slot);
		if (fn)
			fn(fn_opaque, slot);
	}
}

static const struct io_ops acpi_pm_pci_io = {
	.read = acpi_pm_pci_read,
	.write = acpi_pm_pci_write,
};

/* Latch @event in the GED's status and pulse its interrupt. */
static void acpi_pm_ged_event(struct acpi_pm *pm, uint8_t event)
{
	pthread_mutex_lock(&pm->lock);
	pm->r.ged_status |= event;
	pthread_mutex_unlock(&pm->lock);
	/* Edge: the GED's interrupt is declared edge-triggered. */
	vm_irq_line(pm->dev.vm, VM_IRQ_GED, true);
	vm_irq_line(pm->dev.vm, VM_IRQ_GED, false);
}

int acpi_pm_power_button(struct device *dev)
{
	struct acpi_pm *pm = to_pm(dev);

	pthread_mutex_lock(&pm->lock);
	pm->power_buttons++;
	pthread_mutex_unlock(&pm->lock);
	acpi_pm_ged_event(pm, ACPI_GED_POWER_BUTTON);
	return 0;
}

int acpi_pm_cpu_set(struct device *dev, unsigned online)
{
	struct acpi_pm *pm = to_pm(dev);
	uint64_t want, add, drop;

	if (online < 1 || online > pm->nr_cpus)
		return -EINVAL;
	want = cpu_mask(online);
	pthread_mutex_lock(&pm->lock);
	pm->cpu_target = online;
	add = want & ~pm->r.cpu_present;
	drop = pm->r.cpu_present & ~want & ~pm->r.cpu_remove;
	/* Asked for again before the guest ejected it: it just stays. */
	pm->r.cpu_remove &= ~want;
	pm->r.cpu_present |= add;
	pm->r.cpu_insert |= add;
	pm->r.cpu_remove |= drop;
	pm->cpu_plugs += (uint64_t)__builtin_popcountll(add);
	pthread_mutex_unlock(&pm->lock);
	if (add || drop) {
		log_info("acpi: %u vCPUs asked for; plugging 0x%llx, unplugging 0x%llx",
			 online, (unsigned long long)add,
			 (unsigned long long)drop);
		acpi_pm_ged_event(pm, ACPI_GED_CPU_HOTPLUG);
	}
	return 0;
}

void acpi_pm_pci_set_eject(struct device *dev, acpi_pm_eject_fn *fn,
			   void *opaque)
{
	struct acpi_pm *pm = to_pm(dev);

	pthread_mutex_lock(&pm->lock);
	pm->pci_eject = fn;
	pm->pci_eject_opaque = opaque;
	pthread_mutex_unlock(&pm->lock);
}

static bool pcihp_slot_ok(unsigned slot)
{
	return slot < ACPI_PCIHP_SLOTS && (PCIHP_SLOT_MASK & (1u << slot));
}

int acpi_pm_pci_plug(struct device *dev, unsigned slot)
{
	struct acpi_pm *pm = to_pm(dev);

	if (!pcihp_slot_ok(slot))
		return -EINVAL;
	pthread_mutex_lock(&pm->lock);
	pm->r.pci_up |= 1u << slot;
	pm->r.pci_down &= ~(1u << slot);
	pm->pci_plugs++;
	pthread_mutex_unlock(&pm->lock);
	acpi_pm_ged_event(pm, ACPI_GED_PCI_HOTPLUG);
	return 0;
}

int acpi_pm_pci_unplug(struct device *dev, unsigned slot)
{
	struct acpi_pm *pm = to_pm(dev);

	if (!pcihp_slot_ok(slot))
		return -EINVAL;
	pthread_mutex_lock(&pm->lock);
	pm->r.pci_down |= 1u << slot;
	pm->r.pci_up &= ~(1u << slot);
	pthread_mutex_unlock(&pm->lock);
	acpi_pm_ged_event(pm, ACPI_GED_PCI_HOTPLUG);
	return 0;
}

uint32_t acpi_pm_pci_pending(struct device *dev)
{
	struct acpi_pm *pm = to_pm(dev);
	uint32_t v;

	pthread_mutex_lock(&pm->lock);
	v = pm->r.pci_down;
	pthread_mutex_unlock(&pm->lock);
	return v;
}

void acpi_pm_cpu_count(struct device *dev, unsigned *online, unsigned *target,
		       unsigned *max)
{
	struct acpi_pm *pm = to_pm(dev);

	pthread_mutex_lock(&pm->lock);
	*online = (unsigned)__builtin_popcountll(pm->r.cpu_present);
	*target = pm->cpu_target;
	*max = pm->nr_cpus;
	pthread_mutex_unlock(&pm->lock);
}

/*
 * Plugged CPUs and PCI devices stay plugged, as on a real machine;
 * events and removal requests are dropped.
 */
static void acpi_pm_reset(struct device *dev)
{
	struct acpi_pm *pm = to_pm(dev);

	pthread_mutex_lock(&pm->lock);
	pm->r.ged_status = 0;
	pm->r.cpu_insert = 0;
	pm->r.cpu_remove = 0;
	pm->r.pci_up = 0;
	pm->r.pci_down = 0;
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
	json_object_object_add(o, "cpu_present",
			       json_object_new_uint64(pm->r.cpu_present));
	json_object_object_add(o, "cpu_insert",
			       json_object_new_uint64(pm->r.cpu_insert));
	json_object_object_add(o, "cpu_remove",
			       json_object_new_uint64(pm->r.cpu_remove));
	json_object_object_add(o, "cpu_target",
			       json_object_new_int((int)pm->cpu_target));
	json_object_object_add(o, "pci_up", json_object_new_int64(pm->r.pci_up));
	json_object_object_add(o, "pci_down",
			       json_object_new_int64(pm->r.pci_down));
	pthread_mutex_unlock(&pm->lock);
	*out = o;
	return 0;
}

/*
 * A CPU mask member of a saved state: absent (a state saved before
 * hot-plug existed) leaves *@out alone; one naming a CPU the VM does not
 * have is refused.
 */
static int acpi_pm_restore_mask(struct acpi_pm *pm, struct json_object *state,
				const char *key, uint64_t *out)
{
	struct json_object *v;
	uint64_t m;

	if (!json_object_object_get_ex(state, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	m = json_object_get_uint64(v);
	if (m & ~cpu_mask(pm->nr_cpus))
		return -EINVAL;
	*out = m;
	return 0;
}

/*
 * A slot mask member: absent (a state saved before PCI hot-plug) leaves
 * *@out alone; slot 0 or a value beyond 32 bits is refused.
 */
static int acpi_pm_restore_slots(struct json_object *state, const char *key,
				 uint32_t *out)
{
	struct json_object *v;
	int64_t m;

	if (!json_object_object_get_ex(state, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	m = json_object_get_int64(v);
	if (m < 0 || m > UINT32_MAX || ((uint32_t)m & ~PCIHP_SLOT_MASK))
		return -EINVAL;
	*out = (uint32_t)m;
	return 0;
}

static int acpi_pm_restore(struct device *dev, struct json_object *state)
{
	struct acpi_pm *pm = to_pm(dev);
	struct acpi_pm_regs r;
	struct json_object *v;
	unsigned target;
	int x;

	if (!json_object_is_type(state, json_type_object) ||
	    !json_object_object_get_ex(state, "ged_status", &v) ||
	    !json_object_is_type(v, json_type_int))
		return -EINVAL;
	x = json_object_get_int(v);
	if (x & ~GED_EVENTS)
		return -EINVAL;
	pthread_mutex_lock(&pm->lock);
	r = pm->r;
	target = pm->cpu_target;
	pthread_mutex_unlock(&pm->lock);
	r.ged_status = (uint8_t)x;
	if (acpi_pm_restore_mask(pm, state, "cpu_present", &r.cpu_present) ||
	    acpi_pm_restore_mask(pm, state, "cpu_insert", &r.cpu_insert) ||
	    acpi_pm_restore_mask(pm, state, "cpu_remove", &r.cpu_remove) ||
	    acpi_pm_restore_slots(state, "pci_up", &r.pci_up) ||
	    acpi_pm_restore_slots(state, "pci_down", &r.pci_down) ||
	    !(r.cpu_present & 1))
		return -EINVAL;
	if (json_object_object_get_ex(state, "cpu_target", &v)) {
		x = json_object_get_int(v);
		if (!json_object_is_type(v, json_type_int) || x < 1 ||
		    (unsigned)x > pm->nr_cpus)
			return -EINVAL;
		target = (unsigned)x;
	}
	pthread_mutex_lock(&pm->lock);
	pm->r = r;
	pm->cpu_target = target;
	pthread_mutex_unlock(&pm->lock);
	return 0;
}

static void acpi_pm_stats(struct device *dev, struct json_object *out)
{
	struct acpi_pm *pm = to_pm(dev);

	pthread_mutex_lock(&pm->lock);
	json_object_object_add(out, "power_buttons",
			       json_object_new_uint64(pm->power_buttons));
	json_object_object_add(out, "cpu_plugs",
			       json_object_new_uint64(pm->cpu_plugs));
	json_object_object_add(out, "cpu_ejects",
			       json_object_new_uint64(pm->cpu_ejects));
	json_object_object_add(out, "pci_plugs",
			       json_object_new_uint64(pm->pci_plugs));
	json_object_object_add(out, "pci_ejects",
			       json_object_new_uint64(pm->pci_ejects));
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
	.version = 1,
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
	pm->nr_cpus = vm->nr_vcpus;
	pm->cpu_target = vm->nr_boot_vcpus;
	pm->r.cpu_present = cpu_mask(vm->nr_boot_vcpus);
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
	rc = iobus_register(&vm->pio, VM_PORT_CPU_HOTPLUG, pm->nr_cpus,
			    &acpi_pm_cpu_io, pm);
	if (rc) {
		hv_error("acpi: CPU hot-plug ports 0x%x-0x%x: %s.",
			 VM_PORT_CPU_HOTPLUG,
			 VM_PORT_CPU_HOTPLUG + pm->nr_cpus - 1, strerror(-rc));
		return rc;
	}
	rc = iobus_register(&vm->pio, VM_PORT_PCI_HOTPLUG, ACPI_PCIHP_LEN,
			    &acpi_pm_pci_io, pm);
	if (rc) {
		hv_error("acpi: PCI hot-plug ports 0x%x-0x%x: %s.",
			 VM_PORT_PCI_HOTPLUG,
			 VM_PORT_PCI_HOTPLUG + ACPI_PCIHP_LEN - 1,
			 strerror(-rc));
		return rc;
	}
	*out = &pm->dev;
	return 0;
}
