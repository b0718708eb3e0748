// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Assembling and running a whole VM: the x86 PC keel-hv offers (see
 * man/keel-hv.8), its lifecycle on the I/O thread, pause/resume and
 * statistics for the control socket.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "acpi_pm.h"
#include "device.h"
#include "hv_error.h"
#include "i8042.h"
#include "kvm_host.h"
#include "log.h"
#include "pci.h"
#include "pvpanic.h"
#include "vcpu.h"
#include "vcpu_affinity.h"
#include "virtio_balloon.h"
#include "virtio_blk.h"
#include "virtio_console.h"
#include "virtio_net.h"
#include "virtio_rng.h"
#include "vmm.h"
#include "x86/acpi.h"
#include "x86/boot.h"
#include "x86/cpu.h"
#include "x86/cpuid.h"
#include "x86/mptable.h"

enum hv_exit vm_exit_status(enum vm_exit_reason reason)
{
	switch (reason) {
	case VM_EXIT_POWEROFF:
		return HV_EXIT_POWEROFF;
	case VM_EXIT_REBOOT:
		return HV_EXIT_REBOOT;
	case VM_EXIT_CRASH:
		return HV_EXIT_CRASH;
	case VM_EXIT_KILLED:
		return HV_EXIT_KILLED;
	case VM_EXIT_SAVED:
		return HV_EXIT_SAVED;
	case VM_EXIT_MIGRATED:
		return HV_EXIT_MIGRATED;
	case VM_EXIT_NONE:
	case VM_EXIT_ERROR:
		break;
	}
	return HV_EXIT_ERROR;
}

/* I/O thread: vm_request_exit() wrote the eventfd. */
static void vmm_exit_event(evutil_socket_t fd, short what, void *arg)
{
	struct vm *vm = arg;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_debug("%s: %s", __func__, strerror(errno));
	if (atomic_load(&vm->exit_reason) != VM_EXIT_NONE)
		event_base_loopbreak(vm->evbase);
}

/*
 * The most vCPUs this host's KVM gives one VM: KVM_CAP_MAX_VCPUS, or
 * on kernels without it the recommended KVM_CAP_NR_VCPUS, or the 4 the
 * KVM API promises when neither is known.
 */
static unsigned vmm_kvm_max_vcpus(struct vm *vm)
{
	int n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (n <= 0)
		n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	return n > 0 ? (unsigned)n : 4;
}

static int vmm_create_vcpus(struct vm *vm, uint32_t *signature,
			    uint32_t *features)
{
	unsigned max = vmm_kvm_max_vcpus(vm);
	struct kvm_cpuid2 *supported;
	struct kvm_cpuid_entry2 *leaf1;
	int rc;

	if (vm->nr_vcpus > max) {
		hv_error("This host's KVM runs at most %u vCPUs per VM; the domain asks for %u.",
			 max, vm->nr_vcpus);
		return -E2BIG;
	}
	rc = cpuid_get_supported(vm->kvm_fd, &supported);
	if (rc) {
		hv_error("KVM did not report its CPUID features: %s.",
			 strerror(-rc));
		return rc;
	}
	leaf1 = cpuid_find(supported, 1, 0);
	*signature = leaf1 ? leaf1->eax : 0;
	*features = leaf1 ? leaf1->edx : 0;
	for (unsigned i = 0; i < vm->nr_vcpus && !rc; i++)
		rc = vcpu_new(vm, i, supported);
	free(supported);
	return rc;
}

/* Each vCPU's pinning, which its thread applies as it starts. */
static void vmm_pin_vcpus(struct vm *vm, const struct vm_config *cfg)
{
	for (unsigned i = 0; i < KEEL_VCPUS_MAX; i++)
		if (vm->vcpus[i] && cfg->affinity[i])
			vcpu_affinity_init(vm->vcpus[i], cfg->affinity[i]);
}

static int vmm_add_com1(struct vm *vm, const struct vm_config *cfg)
{
	struct device *dev;

	return ns8250_new(vm, "serial0", VM_PORT_COM1, VM_IRQ_COM1,
			  cfg->console, &dev);
}

static int vmm_add_i8042(struct vm *vm, const struct vm_config *cfg)
{
	struct device *dev;

	return i8042_new(vm, &dev);
}

static int vmm_add_pci_host(struct vm *vm, const struct vm_config *cfg)
{
	int rc = pci_host_new(vm);

	if (rc)
		hv_error("Cannot create the PCI host bridge: %s.",
			 strerror(-rc));
	return rc;
}

static int vmm_add_acpi_pm(struct vm *vm, const struct vm_config *cfg)
{
	struct device *dev;

	return acpi_pm_new(vm, &dev);
}

/*
 * The machine's devices, created in this order: their ids and PCI slots
 * follow from it (disks, NICs, rng, balloon, virtio console), which is
 * what a restore or a migration target relies on. Each row creates
 * what @cfg asks for of its kind, none or several; a new kind of device
 * is a row here and its add() in its own file.
 */
static const struct {
	int (*add)(struct vm *vm, const struct vm_config *cfg);
} vmm_devices[] = {
	{ vmm_add_com1 },
	{ vmm_add_i8042 },
	{ vmm_add_pci_host },
	{ virtio_blk_add },
	{ virtio_net_add },
	{ virtio_rng_add },
	{ virtio_balloon_add },
	{ virtio_console_add },
	{ vmm_add_acpi_pm },
	{ pvpanic_add },
};

static int vmm_add_devices(struct vm *vm, const struct vm_config *cfg)
{
	int rc = 0;

	for (size_t i = 0; i < sizeof(vmm_devices) / sizeof(vmm_devices[0]) &&
			   !rc;
	     i++)
		rc = vmm_devices[i].add(vm, cfg);
	return rc;
}

/* The tables that describe the machine to the guest: MP and ACPI. */
static int vmm_write_tables(struct vm *vm, uint32_t signature,
			    uint32_t features)
{
	/* Without ACPI there is no hot-plug: the MP table has the boot CPUs. */
	int rc = mptable_setup(vm, vm->nr_boot_vcpus, signature, features);

	if (rc) {
		hv_error("Cannot write the MP table: %s.", strerror(-rc));
		return rc;
	}
	rc = acpi_setup(vm);
	if (rc)
		hv_error("Cannot build the ACPI tables: %s.", strerror(-rc));
	return rc;
}

/*
 * What a boot needs beyond the machine: the MP and ACPI tables, the
 * kernel and initrd in guest memory, and the boot vCPU's registers.
 */
static int vmm_boot(struct vm *vm, const struct vm_config *cfg,
		    uint32_t signature, uint32_t features)
{
	struct boot_config boot = {
		.kernel = cfg->kernel,
		.initrd = cfg->initrd,
		.cmdline = cfg->cmdline ? cfg->cmdline : VM_DEFAULT_CMDLINE,
		.acpi_rsdp = VM_ACPI_BASE,
	};
	struct boot_entry entry;
	int rc;

	rc = vmm_write_tables(vm, signature, features);
	if (!rc)
		rc = boot_load(vm, &boot, &entry);
	if (rc)
		return rc;
	rc = cpu_set_boot_state(vm->vcpus[0]->fd, &entry);
	if (rc)
		hv_error("KVM refused the boot vCPU's registers: %s.",
			 strerror(-rc));
	return rc;
}

int vm_new(const struct vm_config *cfg, struct event_base *evbase,
	   struct vm **out)
{
	uint64_t ram = cfg->maxmem ? cfg->maxmem : cfg->ram_size;
	unsigned max_vcpus = cfg->max_vcpus ? cfg->max_vcpus : cfg->nr_vcpus;
	uint32_t signature, features;
	const char *warning = NULL;
	struct vm *vm;
	int rc;

	if ((!cfg->kernel && !cfg->restore) ||
	    cfg->nr_vcpus < KEEL_VCPUS_MIN || cfg->nr_vcpus > KEEL_VCPUS_MAX ||
	    max_vcpus < cfg->nr_vcpus || max_vcpus > KEEL_VCPUS_MAX ||
	    ram < cfg->ram_size || !evbase) {
		hv_error("A VM needs a kernel, %d to %d vCPUs, no fewer maximum vCPUs than vCPUs and no less maximum memory than memory.",
			 KEEL_VCPUS_MIN, KEEL_VCPUS_MAX);
		return -EINVAL;
	}
	/* A Linux kernel on kvm_pvm: say so now, not after a long boot. */
	if (cfg->kernel)
		warning = kvm_host_linux_warning(cfg->kernel);
	if (warning)
		log_warn("%s", warning);
	rc = vm_new_empty(ram, &vm);
	if (rc)
		return rc;
	vm->evbase = evbase;
	vm->nr_vcpus = max_vcpus;
	vm->nr_boot_vcpus = cfg->nr_vcpus;
	vm->exit_ev = event_new(evbase, vm->exit_efd, EV_READ | EV_PERSIST,
				vmm_exit_event, vm);
	if (!vm->exit_ev || event_add(vm->exit_ev, NULL) < 0) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = vmm_create_vcpus(vm, &signature, &features);
	if (!rc) {
		vmm_pin_vcpus(vm, cfg);
		rc = vmm_add_devices(vm, cfg);
	}
	/* A restore's stream brings the tables, the kernel and registers. */
	if (!rc && !cfg->restore)
		rc = vmm_boot(vm, cfg, signature, features);
	/*
	 * Last, once the kernel and the initrd (unpacked on the host, tens
	 * of MiB) are loaded and their buffers freed: both at once, with
	 * all of RAM backed, would pass the domain's memory cgroup limit.
	 */
	if (!rc && cfg->prefault)
		rc = vm_prefault(vm);
	if (rc)
		goto out_free;
	*out = vm;
	return 0;

out_free:
	vm_free(vm);
	return rc;
}

static void vmm_join_all(struct vm *vm)
{
	for (unsigned i = 0; i < KEEL_VCPUS_MAX; i++)
		vcpu_join(vm->vcpus[i]);
}

int vm_start(struct vm *vm)
{
	int rc = 0;

	for (unsigned i = 0; i < vm->nr_vcpus && !rc; i++)
		rc = vcpu_start(vm->vcpus[i]);
	if (rc) {
		vm_request_exit(vm, VM_EXIT_ERROR);
		vmm_join_all(vm);
	}
	return rc;
}

enum vm_exit_reason vm_run(struct vm *vm)
{
	while (atomic_load(&vm->exit_reason) == VM_EXIT_NONE) {
		if (event_base_dispatch(vm->evbase) < 0) {
			hv_error("The event loop failed.");
			vm_request_exit(vm, VM_EXIT_ERROR);
		}
	}
	/* vm_request_exit() already kicked every vCPU out of KVM_RUN. */
	vmm_join_all(vm);
	return (enum vm_exit_reason)atomic_load(&vm->exit_reason);
}

void vm_linger(struct vm *vm)
{
	uint64_t n;

	/*
	 * The vCPUs are joined, so every request made while the VM was
	 * stopping has been seen; only a new one may end this loop.
	 */
	while (read(vm->exit_efd, &n, sizeof(n)) > 0)
		;
	if (event_base_dispatch(vm->evbase) < 0)
		hv_error("The event loop failed.");
}

/*
 * Why the guest crashed, from the last exit of each vCPU: the one that
 * crashed stopped right after it. A vCPU kicked out with immediate_exit
 * keeps its previous exit reason, so the exits no guest survives (triple
 * fault, failed entry) are preferred to one that may be stale.
 */
static const char *vmm_crash_detail(struct vm *vm)
{
	static const struct {
		uint32_t exit;
		const char *detail;
	} causes[] = {
		{ KVM_EXIT_SHUTDOWN, "The guest triple-faulted." },
		{ KVM_EXIT_FAIL_ENTRY, "KVM could not enter the guest." },
		{ KVM_EXIT_SYSTEM_EVENT, "The guest reported a crash." },
		{ KVM_EXIT_INTERNAL_ERROR, "KVM reported an internal error." },
	};

	struct device *pvpanic = vm_find_device(vm, "pvpanic");

	/* The guest's own word comes first: no vCPU exit tells of it. */
	if (pvpanic && pvpanic_panicked(pvpanic))
		return "The guest kernel panicked (it said so through pvpanic).";
	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
		for (unsigned c = 0; c < vm->nr_vcpus; c++) {
			const struct kvm_run *run = vm->vcpus[c] ?
							    vm->vcpus[c]->run :
							    NULL;

			if (!run || run->exit_reason != causes[i].exit)
				continue;
			if (causes[i].exit == KVM_EXIT_SYSTEM_EVENT &&
			    run->system_event.type != KVM_SYSTEM_EVENT_CRASH)
				continue;
			return causes[i].detail;
		}
	}
	return "KVM stopped the guest with an exit keel-hv cannot handle.";
}

const char *vm_exit_detail(struct vm *vm)
{
	switch ((enum vm_exit_reason)atomic_load(&vm->exit_reason)) {
	case VM_EXIT_POWEROFF:
		return "The guest powered off.";
	case VM_EXIT_REBOOT:
		return "The guest asked for a reset.";
	case VM_EXIT_CRASH:
		return vmm_crash_detail(vm);
	case VM_EXIT_KILLED:
		return "keel-hv was told to stop the VM.";
	case VM_EXIT_ERROR:
		return "keel-hv failed while running the VM; its log says why.";
	case VM_EXIT_SAVED:
		return "The VM was saved and ended.";
	case VM_EXIT_MIGRATED:
		return "The VM migrated to another host and ended here.";
	case VM_EXIT_NONE:
		break;
	}
	return "The VM is still running.";
}

int vm_pause(struct vm *vm)
{
	int rc;

	pthread_mutex_lock(&vm->run_lock);
	atomic_store(&vm->pause_requested, true);
	for (unsigned i = 0; i < KEEL_VCPUS_MAX; i++) {
		if (vm->vcpus[i])
			vcpu_kick(vm->vcpus[i]);
	}
	while (vm->nr_parked < vm->nr_running &&
	       atomic_load(&vm->exit_reason) == VM_EXIT_NONE)
		pthread_cond_wait(&vm->run_cond, &vm->run_lock);
	rc = atomic_load(&vm->exit_reason) == VM_EXIT_NONE ? 0 : -ESHUTDOWN;
	pthread_mutex_unlock(&vm->run_lock);
	return rc;
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->run_lock);
	atomic_store(&vm->pause_requested, false);
	pthread_cond_broadcast(&vm->run_cond);
	pthread_mutex_unlock(&vm->run_lock);
}

bool vm_is_paused(struct vm *vm)
{
	return atomic_load(&vm->pause_requested);
}

static int vmm_device_stats(struct vm *vm, struct json_object *out)
{
	for (struct device *d = vm->devices; d; d = d->next) {
		struct json_object *o = json_object_new_object();

		if (!o)
			return -ENOMEM;
		json_object_object_add(o, "type",
				       json_object_new_string(d->ops->type));
		if (d->ops->stats)
			d->ops->stats(d, o);
		json_object_object_add(out, d->id, o);
	}
	return 0;
}

int vm_stats(struct vm *vm, struct json_object *out)
{
	struct json_object *vcpus = json_object_new_array();
	struct json_object *devices = json_object_new_object();
	int rc = -ENOMEM;

	if (!vcpus || !devices)
		goto out_put;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct json_object *o = json_object_new_object();

		if (!o || vcpu_stats(vm->vcpus[i], o) ||
		    json_object_array_add(vcpus, o)) {
			json_object_put(o);
			goto out_put;
		}
	}
	rc = vmm_device_stats(vm, devices);
	if (rc)
		goto out_put;
	json_object_object_add(out, "paused",
			       json_object_new_boolean(vm_is_paused(vm)));
	json_object_object_add(out, "vcpus", vcpus);
	json_object_object_add(out, "devices", devices);
	return 0;

out_put:
	json_object_put(vcpus);
	json_object_put(devices);
	return rc;
}

struct device *vm_device_first(struct vm *vm)
{
	return vm->devices;
}

struct device *vm_device_next(struct device *dev)
{
	return dev->next;
}
