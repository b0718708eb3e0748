/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VM_H
#define KEEL_HV_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

#include "hv_proto.h"
#include "iobus.h"

struct event;
struct event_base;
struct device;
struct vcpu;

/*
 * Guest physical layout (x86). RAM starts at 0; what does not fit below
 * the 32-bit PCI hole continues at 4 GiB.
 *
 *   0x0000_0000  RAM (boot params, page tables, kernel, initrd)
 *   0x0009_F000  MP configuration table; its floating pointer at
 *                0x9FC00, in the last KiB of base memory where guests
 *                look for it (all reserved in e820 up to 0xA0000)
 *   0x000E_0000  ACPI tables, RSDP first (reserved in e820 to 1 MiB)
 *   0xC000_0000  PCI MMIO window (BARs), up to VM_PCI_MMIO_END
 *   0xFEC0_0000  IOAPIC
 *   0xFEE0_0000  LAPIC
 *   4 GiB        RAM above the hole
 */
#define VM_PCI_HOLE_START 0xC0000000ULL
#define VM_PCI_MMIO_END 0xFEC00000ULL
#define VM_IOAPIC_BASE 0xFEC00000ULL
#define VM_LAPIC_BASE 0xFEE00000ULL
#define VM_HIGH_RAM_START 0x100000000ULL
#define VM_MPTABLE_BASE 0x9F000ULL
#define VM_MPTABLE_FLOATING 0x9FC00ULL
#define VM_MPTABLE_END 0xA0000ULL
#define VM_ACPI_BASE 0xE0000ULL
#define VM_ACPI_END 0x100000ULL

/* Fixed port I/O map. */
#define VM_PORT_COM1 0x3f8 /* ns8250, IRQ 4 */
#define VM_PORT_I8042_DATA 0x60
#define VM_PORT_I8042_CMD 0x64 /* write 0xfe: reset */
/* pvpanic.c: QEMU's ISA pvpanic port, which guests look for here. */
#define VM_PORT_PVPANIC 0x505
#define VM_PORT_ACPI_SLEEP_CTL 0x600 /* HW-reduced sleep control (1 byte) */
#define VM_PORT_ACPI_SLEEP_STS 0x601 /* HW-reduced sleep status (1 byte) */
#define VM_PORT_ACPI_RESET 0x604 /* FADT RESET_REG, value VM_ACPI_RESET_VALUE */
#define VM_PORT_ACPI_GED 0x608 /* GED event status (1 byte, read clears) */
/* CPU hot-plug: one status/control byte per possible vCPU (acpi_pm.c). */
#define VM_PORT_CPU_HOTPLUG 0x620
/* PCI hot-plug: slot bitmaps up, down, eject, a dword each (acpi_pm.c). */
#define VM_PORT_PCI_HOTPLUG 0x680
#define VM_ACPI_RESET_VALUE 0x01
#define VM_ACPI_S5_TYPE 5 /* SLP_TYP for S5 in our DSDT's \_S5 */
#define VM_PORT_PCI_CONFIG 0xcf8 /* mechanism #1: 0xcf8 address, 0xcfc data */

#define VM_IRQ_COM1 4
#define VM_IRQ_GED 5 /* ACPI generic event device (power button) */

/* Why a VM stopped running; reported by keel-hv as it exits. */
enum vm_exit_reason {
	VM_EXIT_NONE = 0, /* still running */
	VM_EXIT_POWEROFF, /* guest powered off */
	VM_EXIT_REBOOT, /* guest asked for a reset */
	VM_EXIT_CRASH, /* triple fault, KVM internal error, bad state */
	VM_EXIT_KILLED, /* hard stop from the control socket or a signal */
	VM_EXIT_ERROR, /* keel-hv itself failed (host error) */
	VM_EXIT_SAVED, /* saved by the control socket's save, then ended */
	VM_EXIT_MIGRATED, /* migrated (the destination said DONE), then ended */
};

const char *vm_exit_reason_name(enum vm_exit_reason reason);

struct mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva; /* mmap'd host memory backing [gpa, gpa + size) */
	uint32_t slot; /* KVM memory slot */
};

struct vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;

	uint64_t ram_size; /* total guest RAM in bytes */
	struct mem_region ram[2]; /* below the PCI hole, above 4 GiB */
	unsigned nr_ram;
	/*
	 * All of the RAM was backed at start (vm_prefault()) and stays so:
	 * a restore writes zeros where it would otherwise drop pages.
	 */
	bool prefault;

	/*
	 * vCPUs KVM has (the domain's maxvcpus), each with its thread from
	 * the start; the first nr_boot_vcpus are online at boot, the others
	 * wait for ACPI hot-plug (acpi_pm.c) and the guest's INIT/SIPI.
	 */
	unsigned nr_vcpus;
	unsigned nr_boot_vcpus;
	struct vcpu *vcpus[KEEL_VCPUS_MAX];

	struct iobus pio;
	struct iobus mmio;

	/* The I/O thread's loop: device backends, control socket, timers. */
	struct event_base *evbase;

	struct device *devices; /* every device, in creation order */

	/* GSI routing (KVM_SET_GSI_ROUTING replaces the whole table). */
	pthread_mutex_t gsi_lock;
	void *gsi_routes; /* struct kvm_irq_routing, private to vm.c */
	uint32_t next_gsi;

	_Atomic int exit_reason; /* enum vm_exit_reason; first one wins */

	/* Added by the core: run control, private to vm.c/vcpu.c/vmm.c. */
	int exit_efd; /* vm_request_exit() wakes the I/O thread with it */
	struct event *exit_ev;
	pthread_mutex_t run_lock; /* pause handshake with vCPU threads */
	pthread_cond_t run_cond;
	_Atomic bool pause_requested;
	unsigned nr_parked; /* vCPU threads parked (under run_lock) */
	unsigned nr_running; /* vCPU threads alive (under run_lock) */
	bool sync_ready; /* run_lock/run_cond initialised */

	/*
	 * Live migration (dirty.c, docs/hypervisor.md "Live migration"):
	 * while dirty_on, vm_mark_dirty() sets a bit per page keel-hv's
	 * devices wrote in dirty_own[i] (ram[i]'s pages, allocated by the
	 * first migration, freed by vm_free()). dirty_manual: KVM's
	 * MANUAL_DIRTY_LOG_PROTECT2 is on (GET_DIRTY_LOG does not clear).
	 */
	_Atomic bool dirty_on;
	_Atomic uint64_t *dirty_own[2];
	bool dirty_manual;
	/* vcpu_throttle_set(): each vCPU sleeps this % of every 10 ms. */
	_Atomic unsigned throttle_pct;
	struct event *throttle_ev;
};

/*
 * Create an empty VM: open /dev/kvm, create the VM with its in-kernel
 * irqchip and PIT, back @ram_size bytes of guest RAM (split around the
 * PCI hole), set the default GSI routes and the two I/O buses. No vCPUs
 * or devices yet. Returns 0 and *@out (owned by the caller, released
 * with vm_free()) or -errno, with a log line saying what failed.
 */
int vm_new_empty(uint64_t ram_size, struct vm **out);

/* Linux 5.14's madvise(2) advice, for older headers. */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/*
 * Back all of @vm's RAM now (--prefault, libvirt's allocation
 * mode='immediate'), so that the guest, a restore or a migration's
 * stream never waits for the host to find a page, and a host short of
 * memory refuses the domain at start instead of failing it later.
 * MADV_POPULATE_WRITE; before Linux 5.14, a write to each page. Sets
 * vm->prefault. Returns 0 or -errno after hv_error().
 */
int vm_prefault(struct vm *vm);

/*
 * Tear down a VM whose vCPU threads are not running (never started or
 * joined): buses, devices, vCPUs, memory, fds. Accepts NULL and a VM
 * that vm_new_empty() only half built.
 */
void vm_free(struct vm *vm);

/*
 * Host pointer for guest-physical [gpa, gpa + len) or NULL if any byte of
 * it is not guest RAM or the range wraps. Never trust a guest address
 * without going through this.
 */
void *vm_gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len);

/*
 * Devices wrote [gpa, gpa + len) through the host mapping, which KVM's
 * dirty log does not see: while a migration runs, those pages are sent
 * again. Cheap (an atomic OR per page) and a no-op when no migration
 * runs; bytes outside RAM are ignored. Call after the write. Any thread.
 */
void vm_mark_dirty(struct vm *vm, uint64_t gpa, uint64_t len);

/* Is a migration recording dirty pages (vm_mark_dirty() not a no-op)? */
static inline bool vm_dirty_logging(struct vm *vm)
{
	return atomic_load_explicit(&vm->dirty_on, memory_order_relaxed);
}

/* Copy to/from guest RAM. Return 0 or -EFAULT if the range is not RAM. */
int vm_read_guest(struct vm *vm, uint64_t gpa, void *buf, uint64_t len);
int vm_write_guest(struct vm *vm, uint64_t gpa, const void *buf,
		   uint64_t len);

/* Drive a legacy interrupt line (IOAPIC/PIC GSI). Returns 0 or -errno. */
int vm_irq_line(struct vm *vm, uint32_t gsi, bool level);

/* Inject one MSI now. Returns 0 or -errno. */
int vm_signal_msi(struct vm *vm, uint64_t addr, uint32_t data);

/*
 * Allocate a GSI routed to an MSI (addr, data), for use with
 * vm_irqfd(). Returns the GSI (>= 0) or -errno. vm_msi_route_update()
 * reprograms it (the guest rewrote its MSI-X table entry);
 * vm_msi_route_free() releases it.
 */
int vm_msi_route_alloc(struct vm *vm, uint64_t addr, uint32_t data);
int vm_msi_route_update(struct vm *vm, uint32_t gsi, uint64_t addr,
			uint32_t data);
void vm_msi_route_free(struct vm *vm, uint32_t gsi);

/* Attach/detach an eventfd that raises @gsi in the kernel when written. */
int vm_irqfd(struct vm *vm, int fd, uint32_t gsi, bool assign);

/*
 * Attach/detach an eventfd that the kernel signals when the guest writes
 * @len bytes at @addr (port I/O if @pio), without an exit to userspace.
 * @datamatch < 0 matches any value.
 */
int vm_ioeventfd(struct vm *vm, int fd, uint64_t addr, unsigned len, bool pio,
		 int64_t datamatch, bool assign);

/*
 * Ask every vCPU to stop and the VM to end with @reason (the first
 * reason recorded wins). Safe from any thread, including vCPU threads
 * and device handlers.
 */
void vm_request_exit(struct vm *vm, enum vm_exit_reason reason);

#endif /* KEEL_HV_VM_H */
