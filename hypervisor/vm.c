// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The KVM virtual machine: /dev/kvm and VM fds, guest RAM, the
 * in-kernel irqchip and PIT, GSI routing for MSIs, irqfd/ioeventfd and
 * the exit request that ends a VM from any thread.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "device.h"
#include "dirty.h"
#include "hv_error.h"
#include "log.h"
#include "monotime.h"
#include "vcpu.h"
#include "vm.h"

/*
 * KVM needs three pages for the VMX real-mode TSS and one for the EPT
 * identity map, in guest-physical space that is neither RAM nor MMIO:
 * just below the BIOS area at the top of 4 GiB, reserved in the e820.
 */
#define VM_IDENTITY_MAP_ADDR 0xfffbc000ULL
#define VM_TSS_ADDR 0xfffbd000ULL

/* ISA IRQs 0-15 go to both PICs and the IOAPIC, GSIs 16-23 to the IOAPIC. */
#define VM_NR_IOAPIC_PINS 24
#define VM_NR_PIC_PINS 16
#define VM_NR_DEFAULT_ROUTES (VM_NR_IOAPIC_PINS + VM_NR_PIC_PINS)
#define VM_FIRST_MSI_GSI VM_NR_IOAPIC_PINS
#define VM_MAX_MSI_ROUTES 1024

/*
 * Transparent huge pages for guest RAM (THP is in "madvise" mode here).
 * Measured on the kvm_pvm host (shadow paging), a guest touching all of
 * its RAM: 256 MiB in 0.155 s with MADV_HUGEPAGE vs 0.43 s without,
 * 1 GiB in 0.49 s vs 1.5-2.6 s. The price is RSS in 2 MiB steps (a
 * 47-byte guest: 4.4 MiB vs 2.4 MiB). Kept on.
 */
#define VM_RAM_MADV_HUGEPAGE 1

const char *vm_exit_reason_name(enum vm_exit_reason reason)
{
	switch (reason) {
	case VM_EXIT_NONE:
		return "running";
	case VM_EXIT_POWEROFF:
		return HV_REASON_POWEROFF;
	case VM_EXIT_REBOOT:
		return HV_REASON_REBOOT;
	case VM_EXIT_CRASH:
		return HV_REASON_CRASH;
	case VM_EXIT_KILLED:
		return HV_REASON_KILLED;
	case VM_EXIT_ERROR:
		return HV_REASON_ERROR;
	case VM_EXIT_SAVED:
		return HV_REASON_SAVED;
	case VM_EXIT_MIGRATED:
		return HV_REASON_MIGRATED;
	}
	return "unknown";
}

void *vm_gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa + len < gpa)
		return NULL;
	for (unsigned i = 0; i < vm->nr_ram; i++) {
		const struct mem_region *r = &vm->ram[i];

		if (gpa >= r->gpa && gpa - r->gpa <= r->size &&
		    len <= r->size - (gpa - r->gpa))
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

void vm_mark_dirty(struct vm *vm, uint64_t gpa, uint64_t len)
{
	/*
	 * The device's write to guest memory must not pass the load of
	 * dirty_on: the migration turns it on before it reads a page.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if (gpa + len < gpa)
		len = UINT64_MAX - gpa;
	if (!len || !atomic_load_explicit(&vm->dirty_on, memory_order_acquire))
		return;
	for (unsigned i = 0; i < vm->nr_ram; i++) {
		const struct mem_region *r = &vm->ram[i];
		_Atomic uint64_t *own = vm->dirty_own[i];
		uint64_t start, end;

		if (!own || gpa >= r->gpa + r->size || gpa + len <= r->gpa)
			continue;
		start = (gpa > r->gpa ? gpa - r->gpa : 0) / 4096;
		end = gpa + len - r->gpa;
		if (end > r->size)
			end = r->size;
		end = (end + 4095) / 4096;
		for (uint64_t pg = start; pg < end; pg++)
			atomic_fetch_or_explicit(&own[pg / 64],
						 1ULL << (pg % 64),
						 memory_order_release);
	}
}

int vm_read_guest(struct vm *vm, uint64_t gpa, void *buf, uint64_t len)
{
	void *p = vm_gpa_to_hva(vm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

int vm_write_guest(struct vm *vm, uint64_t gpa, const void *buf,
		   uint64_t len)
{
	void *p = vm_gpa_to_hva(vm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	return 0;
}

int vm_irq_line(struct vm *vm, uint32_t gsi, bool level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (gsi >= VM_NR_IOAPIC_PINS)
		return -EINVAL;
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		return -errno;
	return 0;
}

int vm_signal_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	/* 0 means the guest masked or blocked it, which is not an error. */
	if (ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		return -errno;
	return 0;
}

static struct kvm_irq_routing *vm_routes(struct vm *vm)
{
	return vm->gsi_routes;
}

/* Build the routes KVM would have by default; KVM_SET_GSI_ROUTING
 * replaces the whole table, so they must be in every table we set. */
static void vm_default_routes(struct kvm_irq_routing *rt)
{
	unsigned n = 0;

	for (uint32_t gsi = 0; gsi < VM_NR_IOAPIC_PINS; gsi++) {
		struct kvm_irq_routing_entry *e = &rt->entries[n++];

		e->gsi = gsi;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e->u.irqchip.pin = gsi;
		if (gsi >= VM_NR_PIC_PINS)
			continue;
		e = &rt->entries[n++];
		e->gsi = gsi;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
						 KVM_IRQCHIP_PIC_SLAVE;
		e->u.irqchip.pin = gsi % 8;
	}
	rt->nr = n;
}

static int vm_commit_routes(struct vm *vm)
{
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, vm_routes(vm)) < 0)
		return -errno;
	return 0;
}

static struct kvm_irq_routing_entry *vm_find_msi_route(struct vm *vm,
						       uint32_t gsi)
{
	struct kvm_irq_routing *rt = vm_routes(vm);

	for (uint32_t i = 0; i < rt->nr; i++) {
		if (rt->entries[i].gsi == gsi &&
		    rt->entries[i].type == KVM_IRQ_ROUTING_MSI)
			return &rt->entries[i];
	}
	return NULL;
}

static void vm_set_msi(struct kvm_irq_routing_entry *e, uint64_t addr,
		       uint32_t data)
{
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
}

int vm_msi_route_alloc(struct vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_irq_routing *rt;
	struct kvm_irq_routing_entry *e;
	uint32_t gsi;
	int rc;

	pthread_mutex_lock(&vm->gsi_lock);
	rt = vm_routes(vm);
	/* Lowest free GSI: the table is small, a linear scan is fine. */
	for (gsi = VM_FIRST_MSI_GSI;
	     gsi < VM_FIRST_MSI_GSI + VM_MAX_MSI_ROUTES; gsi++) {
		if (!vm_find_msi_route(vm, gsi))
			break;
	}
	if (gsi == VM_FIRST_MSI_GSI + VM_MAX_MSI_ROUTES) {
		rc = -ENOSPC;
		goto out_unlock;
	}
	e = &rt->entries[rt->nr++];
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	vm_set_msi(e, addr, data);
	rc = vm_commit_routes(vm);
	if (rc) {
		rt->nr--;
		goto out_unlock;
	}
	if (gsi >= vm->next_gsi)
		vm->next_gsi = gsi + 1;
	rc = (int)gsi;
out_unlock:
	pthread_mutex_unlock(&vm->gsi_lock);
	return rc;
}

int vm_msi_route_update(struct vm *vm, uint32_t gsi, uint64_t addr,
			uint32_t data)
{
	struct kvm_irq_routing_entry *e, old;
	int rc = -ENOENT;

	pthread_mutex_lock(&vm->gsi_lock);
	e = vm_find_msi_route(vm, gsi);
	if (e) {
		old = *e;
		vm_set_msi(e, addr, data);
		rc = vm_commit_routes(vm);
		if (rc)
			*e = old;
	}
	pthread_mutex_unlock(&vm->gsi_lock);
	return rc;
}

void vm_msi_route_free(struct vm *vm, uint32_t gsi)
{
	struct kvm_irq_routing *rt;
	struct kvm_irq_routing_entry *e;
	int rc;

	pthread_mutex_lock(&vm->gsi_lock);
	rt = vm_routes(vm);
	e = vm_find_msi_route(vm, gsi);
	if (e) {
		*e = rt->entries[--rt->nr];
		rc = vm_commit_routes(vm);
		if (rc)
			log_warn("%s: GSI %u: %s", __func__, gsi,
				 strerror(-rc));
	}
	pthread_mutex_unlock(&vm->gsi_lock);
}

int vm_irqfd(struct vm *vm, int fd, uint32_t gsi, bool assign)
{
	struct kvm_irqfd req = {
		.fd = (uint32_t)fd,
		.gsi = gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	if (fd < 0)
		return -EBADF;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &req) < 0)
		return -errno;
	return 0;
}

int vm_ioeventfd(struct vm *vm, int fd, uint64_t addr, unsigned len, bool pio,
		 int64_t datamatch, bool assign)
{
	struct kvm_ioeventfd req = {
		.addr = addr,
		.len = len,
		.fd = fd,
	};

	if (fd < 0)
		return -EBADF;
	if (len != 0 && len != 1 && len != 2 && len != 4 && len != 8)
		return -EINVAL;
	if (pio)
		req.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (datamatch >= 0) {
		req.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
		req.datamatch = (uint64_t)datamatch;
	}
	if (!assign)
		req.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &req) < 0)
		return -errno;
	return 0;
}

void vm_request_exit(struct vm *vm, enum vm_exit_reason reason)
{
	int expected = VM_EXIT_NONE;
	uint64_t one = 1;

	if (reason == VM_EXIT_NONE)
		return;
	atomic_compare_exchange_strong(&vm->exit_reason, &expected,
				       (int)reason);
	/* Wake parked vCPUs and pull running ones out of KVM_RUN. */
	if (vm->sync_ready) {
		pthread_mutex_lock(&vm->run_lock);
		pthread_cond_broadcast(&vm->run_cond);
		for (unsigned i = 0; i < KEEL_VCPUS_MAX; i++) {
			if (vm->vcpus[i])
				vcpu_kick(vm->vcpus[i]);
		}
		pthread_mutex_unlock(&vm->run_lock);
	}
	if (vm->exit_efd >= 0 && write(vm->exit_efd, &one, sizeof(one)) < 0)
		log_debug("%s: eventfd: %s", __func__, strerror(errno));
}

static int vm_check_caps(struct vm *vm)
{
	static const struct {
		long cap;
		const char *name;
	} caps[] = {
		{ KVM_CAP_IRQCHIP, "in-kernel irqchip" },
		{ KVM_CAP_PIT2, "in-kernel PIT" },
		{ KVM_CAP_IRQ_ROUTING, "GSI routing" },
		{ KVM_CAP_IRQFD, "irqfd" },
		{ KVM_CAP_IOEVENTFD, "ioeventfd" },
		{ KVM_CAP_SIGNAL_MSI, "MSI injection" },
		{ KVM_CAP_USER_MEMORY, "user memory" },
		{ KVM_CAP_SET_TSS_ADDR, "TSS address" },
		{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "identity map address" },
		{ KVM_CAP_EXT_CPUID, "CPUID" },
		{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
	};

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0) {
			hv_error("KVM on this host lacks %s (capability %ld); keel-hv cannot run a VM without it.",
				 caps[i].name, caps[i].cap);
			return -ENOTSUP;
		}
	}
	return 0;
}

/* Back [gpa, gpa + size) with anonymous memory and register a slot. */
static int vm_add_ram(struct vm *vm, uint64_t gpa, uint64_t size)
{
	struct mem_region *r = &vm->ram[vm->nr_ram];
	struct kvm_userspace_memory_region slot;
	void *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		hv_error("Cannot allocate %llu MiB of guest memory: %s. Give the domain less memory or free some on the host.",
			 (unsigned long long)(size >> 20), strerror(errno));
		return -ENOMEM;
	}
	if (VM_RAM_MADV_HUGEPAGE && madvise(p, size, MADV_HUGEPAGE) < 0)
		log_debug("%s: MADV_HUGEPAGE: %s", __func__, strerror(errno));
	/* A fork (a helper we spawn) must not copy or share guest RAM. */
	madvise(p, size, MADV_DONTFORK);
	r->gpa = gpa;
	r->size = size;
	r->hva = p;
	r->slot = vm->nr_ram;
	vm->nr_ram++;

	slot = (struct kvm_userspace_memory_region){
		.slot = r->slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)p,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
		int rc = -errno;

		hv_error("KVM refused guest RAM at 0x%llx: %s",
			 (unsigned long long)gpa, strerror(-rc));
		return rc;
	}
	return 0;
}

static int vm_setup_memory(struct vm *vm, uint64_t ram_size)
{
	uint64_t low = ram_size < VM_PCI_HOLE_START ? ram_size :
						      VM_PCI_HOLE_START;
	int rc;

	vm->ram_size = ram_size;
	rc = vm_add_ram(vm, 0, low);
	if (rc || ram_size == low)
		return rc;
	return vm_add_ram(vm, VM_HIGH_RAM_START, ram_size - low);
}

int vm_prefault(struct vm *vm)
{
	uint64_t t0 = monotime_us();

	for (unsigned i = 0; i < vm->nr_ram; i++) {
		struct mem_region *r = &vm->ram[i];
		int rc;

		do
			rc = madvise(r->hva, r->size, MADV_POPULATE_WRITE);
		while (rc < 0 && errno == EINTR);
		if (!rc)
			continue;
		if (errno != EINVAL) {
			rc = -errno;
			hv_error("Cannot back the guest's %llu MiB of memory at start (prefault): %s. Free memory on the host, or start the domain without prefault.",
				 (unsigned long long)(vm->ram_size >> 20),
				 strerror(-rc));
			return rc;
		}
		/*
		 * A kernel before 5.14: a write per page does the same. The
		 * kernel and initrd are loaded already: write what is there.
		 */
		for (uint64_t off = 0; off < r->size; off += 4096) {
			volatile uint8_t *b = r->hva + off;

			*b = *b;
		}
	}
	vm->prefault = true;
	log_info("prefault: %llu MiB of guest memory backed in %llu ms.",
		 (unsigned long long)(vm->ram_size >> 20),
		 (unsigned long long)((monotime_us() - t0) / 1000));
	return 0;
}

static int vm_setup_irqchip(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = 0 };
	struct kvm_irq_routing *rt;

	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR,
		  &(uint64_t){ VM_IDENTITY_MAP_ADDR }) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)VM_TSS_ADDR) <
		    0) {
		hv_error("KVM refused the TSS/identity map pages: %s",
			 strerror(errno));
		return -errno;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP) < 0) {
		hv_error("KVM could not create the in-kernel irqchip: %s",
			 strerror(errno));
		return -errno;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		hv_error("KVM could not create the in-kernel PIT: %s",
			 strerror(errno));
		return -errno;
	}
	rt = calloc(1, sizeof(*rt) + (VM_NR_DEFAULT_ROUTES +
				      VM_MAX_MSI_ROUTES) *
					     sizeof(rt->entries[0]));
	if (!rt)
		return -ENOMEM;
	vm->gsi_routes = rt;
	vm->next_gsi = VM_FIRST_MSI_GSI;
	vm_default_routes(rt);
	return vm_commit_routes(vm);
}

static int vm_open_kvm(struct vm *vm)
{
	int version;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		hv_error("Cannot open /dev/kvm: %s. keel-hv needs KVM: load kvm_intel or kvm_amd and let this user read and write /dev/kvm.",
			 strerror(errno));
		return -errno;
	}
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		hv_error("/dev/kvm speaks KVM API %d, keel-hv needs %d.",
			 version, KVM_API_VERSION);
		return -ENOTSUP;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		hv_error("KVM could not create a VM: %s.", strerror(errno));
		return -errno;
	}
	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
		hv_error("KVM reports a bad vCPU mapping size.");
		return -EINVAL;
	}
	return vm_check_caps(vm);
}

int vm_new_empty(uint64_t ram_size, struct vm **out)
{
	struct vm *vm;
	int rc;

	if (ram_size < ((uint64_t)KEEL_MEMORY_MIN_MIB << 20) ||
	    ram_size > ((uint64_t)KEEL_MEMORY_MAX_MIB << 20) ||
	    ram_size % 4096) {
		hv_error("Guest memory must be a multiple of 4 KiB between %d MiB and %lld GiB.",
			 KEEL_MEMORY_MIN_MIB, KEEL_MEMORY_MAX_MIB >> 10);
		return -EINVAL;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->kvm_fd = vm->vm_fd = vm->exit_efd = -1;
	atomic_init(&vm->exit_reason, VM_EXIT_NONE);
	atomic_init(&vm->pause_requested, false);
	pthread_mutex_init(&vm->gsi_lock, NULL);
	pthread_mutex_init(&vm->run_lock, NULL);
	pthread_cond_init(&vm->run_cond, NULL);
	vm->sync_ready = true;
	rc = iobus_init(&vm->pio, "pio");
	if (!rc)
		rc = iobus_init(&vm->mmio, "mmio");
	if (rc)
		goto out_free;
	vm->exit_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->exit_efd < 0) {
		rc = -errno;
		goto out_free;
	}
	rc = vm_open_kvm(vm);
	if (!rc)
		dirty_vm_init(vm);
	if (!rc)
		rc = vm_setup_irqchip(vm);
	if (!rc)
		rc = vm_setup_memory(vm, ram_size);
	if (rc)
		goto out_free;
	*out = vm;
	return 0;

out_free:
	vm_free(vm);
	return rc;
}

void vm_free(struct vm *vm)
{
	if (!vm)
		return;
	/* Devices come off the buses before their free() runs. */
	iobus_dispose(&vm->pio);
	iobus_dispose(&vm->mmio);
	vm_devices_free(vm);
	for (unsigned i = 0; i < KEEL_VCPUS_MAX; i++) {
		vcpu_free(vm->vcpus[i]);
		vm->vcpus[i] = NULL;
	}
	if (vm->exit_ev)
		event_free(vm->exit_ev);
	if (vm->throttle_ev)
		event_free(vm->throttle_ev);
	for (unsigned i = 0; i < 2; i++)
		free((void *)vm->dirty_own[i]);
	for (unsigned i = 0; i < vm->nr_ram; i++)
		munmap(vm->ram[i].hva, vm->ram[i].size);
	free(vm->gsi_routes);
	if (vm->exit_efd >= 0)
		close(vm->exit_efd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	pthread_mutex_destroy(&vm->gsi_lock);
	pthread_mutex_destroy(&vm->run_lock);
	pthread_cond_destroy(&vm->run_cond);
	free(vm);
}
