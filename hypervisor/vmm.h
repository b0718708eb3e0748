/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VMM_H
#define KEEL_HV_VMM_H

/*
 * The VMM as a whole, for main() and the control socket: build a VM
 * from a configuration, run it on the I/O thread's event loop, pause,
 * resume, report, and walk its devices.
 *
 * Threads: every function here is called on the I/O thread (the one
 * running vm->evbase), except vm_request_exit() (vm.h), which is safe
 * anywhere.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "iotune.h"
#include "ns8250.h"
#include "vm.h"

struct cpumap;
struct event_base;
struct device;

#define VM_DEFAULT_CMDLINE "console=ttyS0 reboot=k panic=-1"
#define VM_DEFAULT_RAM (256ULL << 20)

/* A virtio-blk disk: a raw image file or block device. */
struct vm_disk {
	/* Its name (serial number, log lines); opened by it if fd < 0. */
	const char *path;
	/*
	 * An image already open, checked and locked (vblk_image_*(),
	 * virtio_blk.h), which the device uses a duplicate of: the caller
	 * keeps it. -1: the device opens and locks @path itself.
	 */
	int fd;
	bool readonly;
	struct iotune iotune; /* all zero: no limits */
};

/* A virtio-net interface on a tap device. */
struct vm_nic {
	const char *tap; /* opened or created by name, if tap_fd < 0 */
	int tap_fd; /* an already opened tap (taken over), or -1 */
	bool has_mac;
	uint8_t mac[6]; /* if !has_mac: random 52:54:00:xx:xx:xx */
	struct iotune iotune; /* all zero: no limits */
};

struct vm_config {
	/* bzImage or flat test guest; required unless @restore */
	const char *kernel;
	const char *initrd; /* NULL: none */
	const char *cmdline; /* NULL: VM_DEFAULT_CMDLINE */
	uint64_t ram_size; /* bytes the guest starts with */
	/*
	 * 0, or the bytes of guest RAM (at least @ram_size), of which a
	 * balloon holds back all but @ram_size from boot (--maxmem).
	 */
	uint64_t maxmem;
	unsigned nr_vcpus; /* online at boot: KEEL_VCPUS_MIN..KEEL_VCPUS_MAX */
	/*
	 * 0, or the vCPUs the guest can have (at least @nr_vcpus): the rest
	 * are created offline and ACPI hot-plugs them (--maxvcpus).
	 */
	unsigned max_vcpus;
	/* Host CPUs of vCPU i's thread (--cpus); NULL: not pinned. */
	const struct cpumap *affinity[KEEL_VCPUS_MAX];
	/* COM1 ("serial0"); copied. NULL: output discarded. */
	const struct ns8250_backend *console;
	/* PCI devices, in this order: disks, NICs, rng, balloon, console. */
	const struct vm_disk *disks;
	unsigned nr_disks;
	const struct vm_nic *nics;
	unsigned nr_nics;
	bool rng; /* a virtio-rng fed by getrandom() */
	bool balloon; /* a virtio-balloon ("vballoon0"); implied by maxmem */
	bool virtio_console; /* a virtio console ("vcon0"), no backend yet */
	/* Back all guest RAM before anything runs (--prefault). */
	bool prefault;
	/*
	 * The machine is for a domain stream (--restore): no kernel, no
	 * boot state and no MP or ACPI tables, which the stream's RAM
	 * brings as the guest last saw them.
	 */
	bool restore;
};

/*
 * Build the VM @cfg describes on @evbase (which must outlive it and was
 * created after evthread_use_pthreads()): KVM, memory, vCPUs, the
 * platform devices (COM1 "serial0", "i8042", PCI host bridge, ACPI
 * power management), the virtio devices @cfg asks for, MP and ACPI
 * tables, the kernel and its boot state (these last not for a restore). The vCPUs are not running yet.
 * Returns 0 and *@out (free with vm_free()) or -errno after logging why
 * with hv_error().
 */
int vm_new(const struct vm_config *cfg, struct event_base *evbase,
	   struct vm **out);

/* Start every vCPU thread. Returns 0 or -errno (the VM is then ended). */
int vm_start(struct vm *vm);

/*
 * Run the event loop until the VM ends (vm_request_exit() from anywhere,
 * e.g. a guest power-off, a signal handler event, the control socket),
 * then stop and join the vCPU threads. Returns why it ended.
 */
enum vm_exit_reason vm_run(struct vm *vm);

/*
 * Stop all vCPUs: each leaves KVM_RUN and parks. Returns once all are
 * parked (0), or -ESHUTDOWN if the VM is ending. Idempotent. Must not be
 * called from a vCPU thread (device handler). Called before vm_start(),
 * it makes the vCPUs park before their first instruction (--paused).
 */
int vm_pause(struct vm *vm);

/*
 * After vm_run() returned: run the event loop again, with the vCPUs
 * stopped and guest memory intact, until the next vm_request_exit() (a
 * signal, the control socket's stop). The VM's exit reason stays the one
 * vm_run() returned. For --linger.
 */
void vm_linger(struct vm *vm);

/*
 * A sentence saying why the VM ended, for the status file: for a crash,
 * what KVM reported (a triple fault, an internal error, ...). A static
 * string. Call after vm_run() returned.
 */
const char *vm_exit_detail(struct vm *vm);

/* Let parked vCPUs run again. Idempotent. */
void vm_resume(struct vm *vm);

/* True between vm_pause() and vm_resume(). */
bool vm_is_paused(struct vm *vm);

/*
 * Fill @out (a JSON object) with "vcpus": [ per-vCPU objects, see
 * vcpu_stats() ], "paused": bool, "devices": { id: { "type": ...,
 * counters from the device's stats() } }. Returns 0 or -ENOMEM.
 */
int vm_stats(struct vm *vm, struct json_object *out);

/*
 * Devices in creation order:
 *   for (d = vm_device_first(vm); d; d = vm_device_next(d))
 */
struct device *vm_device_first(struct vm *vm);
struct device *vm_device_next(struct device *dev);

/* keel-hv's exit status for @reason (hv_proto.h, man/keel-hv.8). */
enum hv_exit vm_exit_status(enum vm_exit_reason reason);

#endif /* KEEL_HV_VMM_H */
