// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The domain stream's VM record (docs/stream.md): the in-kernel PIC
 * master and slave, the IOAPIC, the PIT and the kvmclock, saved from
 * and restored to KVM. The record is untrusted input: what KVM would
 * take on trust (the IOAPIC's address, a PIT channel's count and mode)
 * is checked here first.
 */
#include "config.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hv_error.h"
#include "vm.h"
#include "x86/cpu_state.h"
#include "x86/cpu_state_internal.h"

/* The irqchips by KVM_IRQCHIP_* id, as errors name them. */
static const char *const irqchip_names[] = { "PIC master", "PIC slave",
					     "IOAPIC" };

static void put_pic(struct stream_writer *sw, uint16_t tag,
		    const struct kvm_pic_state *p)
{
	stream_tlv_begin(sw, tag);
	stream_put_u8(sw, p->last_irr);
	stream_put_u8(sw, p->irr);
	stream_put_u8(sw, p->imr);
	stream_put_u8(sw, p->isr);
	stream_put_u8(sw, p->priority_add);
	stream_put_u8(sw, p->irq_base);
	stream_put_u8(sw, p->read_reg_select);
	stream_put_u8(sw, p->poll);
	stream_put_u8(sw, p->special_mask);
	stream_put_u8(sw, p->init_state);
	stream_put_u8(sw, p->auto_eoi);
	stream_put_u8(sw, p->rotate_on_auto_eoi);
	stream_put_u8(sw, p->special_fully_nested_mode);
	stream_put_u8(sw, p->init4);
	stream_put_u8(sw, p->elcr);
	stream_put_u8(sw, p->elcr_mask);
	stream_tlv_end(sw);
}

static void get_pic(const uint8_t *f, struct kvm_pic_state *p)
{
	struct stream_cur c = stream_cur_init(f, STREAM_PIC_SIZE);

	p->last_irr = stream_get_u8(&c);
	p->irr = stream_get_u8(&c);
	p->imr = stream_get_u8(&c);
	p->isr = stream_get_u8(&c);
	p->priority_add = stream_get_u8(&c);
	p->irq_base = stream_get_u8(&c);
	p->read_reg_select = stream_get_u8(&c);
	p->poll = stream_get_u8(&c);
	p->special_mask = stream_get_u8(&c);
	p->init_state = stream_get_u8(&c);
	p->auto_eoi = stream_get_u8(&c);
	p->rotate_on_auto_eoi = stream_get_u8(&c);
	p->special_fully_nested_mode = stream_get_u8(&c);
	p->init4 = stream_get_u8(&c);
	p->elcr = stream_get_u8(&c);
	p->elcr_mask = stream_get_u8(&c);
}

static int get_irqchip(struct vm *vm, uint32_t id, struct kvm_irqchip *chip)
{
	memset(chip, 0, sizeof(*chip));
	chip->chip_id = id;
	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, chip) < 0) {
		int rc = -errno;

		hv_error("KVM did not give the %s's state: %s.",
			 irqchip_names[id], strerror(-rc));
		return rc;
	}
	return 0;
}

int cpu_state_save_vm(struct vm *vm, struct stream_writer *sw)
{
	struct kvm_irqchip chip;
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
	int rc;

	cpu_state_enable_payload(vm);
	rc = stream_vm_begin(sw);
	if (rc)
		return rc;
	for (uint32_t id = KVM_IRQCHIP_PIC_MASTER; id <= KVM_IRQCHIP_PIC_SLAVE;
	     id++) {
		rc = get_irqchip(vm, id, &chip);
		if (rc)
			goto out_end;
		put_pic(sw,
			id == KVM_IRQCHIP_PIC_MASTER ? STREAM_VM_PIC_MASTER :
						       STREAM_VM_PIC_SLAVE,
			&chip.chip.pic);
	}
	rc = get_irqchip(vm, KVM_IRQCHIP_IOAPIC, &chip);
	if (rc)
		goto out_end;
	stream_tlv_begin(sw, STREAM_VM_IOAPIC);
	stream_put_u64(sw, chip.chip.ioapic.base_address);
	stream_put_u32(sw, chip.chip.ioapic.ioregsel);
	stream_put_u32(sw, chip.chip.ioapic.id);
	stream_put_u32(sw, chip.chip.ioapic.irr);
	stream_put_u32(sw, 0);
	for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		stream_put_u64(sw, chip.chip.ioapic.redirtbl[i].bits);
	stream_tlv_end(sw);

	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &pit) < 0) {
		rc = -errno;
		hv_error("KVM did not give the PIT's state: %s.", strerror(-rc));
		goto out_end;
	}
	stream_tlv_begin(sw, STREAM_VM_PIT2);
	for (int i = 0; i < 3; i++) {
		const struct kvm_pit_channel_state *ch = &pit.channels[i];

		stream_put_u32(sw, ch->count);
		stream_put_u16(sw, ch->latched_count);
		stream_put_u8(sw, ch->count_latched);
		stream_put_u8(sw, ch->status_latched);
		stream_put_u8(sw, ch->status);
		stream_put_u8(sw, ch->read_state);
		stream_put_u8(sw, ch->write_state);
		stream_put_u8(sw, ch->write_latch);
		stream_put_u8(sw, ch->rw_mode);
		stream_put_u8(sw, ch->mode);
		stream_put_u8(sw, ch->bcd);
		stream_put_u8(sw, ch->gate);
		stream_put_u64(sw, (uint64_t)ch->count_load_time);
	}
	stream_put_u32(sw, pit.flags);
	stream_tlv_end(sw);

	memset(&clock, 0, sizeof(clock));
	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &clock) < 0) {
		rc = -errno;
		hv_error("KVM did not give the VM's kvmclock: %s.",
			 strerror(-rc));
		goto out_end;
	}
	stream_tlv_begin(sw, STREAM_VM_CLOCK);
	stream_put_u64(sw, clock.clock);
	stream_put_u32(sw, clock.flags);
	stream_put_u64(sw, clock.realtime);
	stream_put_u64(sw, clock.host_tsc);
	stream_tlv_end(sw);
	return stream_rec_end(sw);

out_end:
	cpu_state_rec_abandon(sw);
	return rc;
}

static int restore_pit(struct vm *vm, const uint8_t *f, char *why)
{
	struct stream_cur c = stream_cur_init(f, STREAM_PIT2_SIZE);
	struct kvm_pit_state2 pit;

	memset(&pit, 0, sizeof(pit));
	for (int i = 0; i < 3; i++) {
		struct kvm_pit_channel_state *ch = &pit.channels[i];

		ch->count = stream_get_u32(&c);
		ch->latched_count = stream_get_u16(&c);
		ch->count_latched = stream_get_u8(&c);
		ch->status_latched = stream_get_u8(&c);
		ch->status = stream_get_u8(&c);
		ch->read_state = stream_get_u8(&c);
		ch->write_state = stream_get_u8(&c);
		ch->write_latch = stream_get_u8(&c);
		ch->rw_mode = stream_get_u8(&c);
		ch->mode = stream_get_u8(&c);
		ch->bcd = stream_get_u8(&c);
		ch->gate = stream_get_u8(&c);
		ch->count_load_time = (int64_t)stream_get_u64(&c);
		/*
		 * What an 8254 can hold: 16-bit counts (0 meaning 0x10000),
		 * 3-bit modes, or KVM's 0xff for a channel never programmed.
		 */
		if (ch->count > 0x10000 || (ch->mode > 7 && ch->mode != 0xff) ||
		    ch->rw_mode > 3 || ch->bcd > 1 || ch->gate > 1)
			return cpu_state_why(why, -EINVAL,
					     "The saved PIT channel %d holds a count or mode no 8254 has.",
					     i);
	}
	pit.flags = stream_get_u32(&c);
	if (pit.flags & ~(uint32_t)(KVM_PIT_FLAGS_HPET_LEGACY |
				    KVM_PIT_FLAGS_SPEAKER_DATA_ON))
		return cpu_state_why(why, -EINVAL,
				     "The saved PIT has flags 0x%x, which KVM does not define.",
				     pit.flags);
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &pit) < 0)
		return cpu_state_why(why, -errno,
				     "KVM refused the saved PIT state: %s.",
				     strerror(errno));
	return 0;
}

/*
 * KVM_SET_CLOCK: the guest's kvmclock continues from the saved value,
 * and where both the saved clock and this host have the wall clock it
 * was read with, KVM adds the time spent saved so the guest's date is
 * right again.
 */
static int restore_clock(struct vm *vm, const uint8_t *f, char *why)
{
	struct stream_cur c = stream_cur_init(f, STREAM_CLOCK_SIZE);
	struct kvm_clock_data clock;
	uint32_t flags;
	uint64_t realtime;

	memset(&clock, 0, sizeof(clock));
	clock.clock = stream_get_u64(&c);
	flags = stream_get_u32(&c);
	realtime = stream_get_u64(&c);
	if ((flags & KVM_CLOCK_REALTIME) &&
	    (cpu_state_kvm_cap(vm->vm_fd, KVM_CAP_ADJUST_CLOCK) &
	     KVM_CLOCK_REALTIME)) {
		clock.flags = KVM_CLOCK_REALTIME;
		clock.realtime = realtime;
	}
	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &clock) < 0)
		return cpu_state_why(why, -errno,
				     "KVM refused the saved kvmclock: %s.",
				     strerror(errno));
	return 0;
}

static int restore_irqchip(struct vm *vm, const struct stream_tlvs *t,
			   uint32_t id, char *why)
{
	struct kvm_irqchip chip;

	memset(&chip, 0, sizeof(chip));
	chip.chip_id = id;
	if (id == KVM_IRQCHIP_IOAPIC) {
		struct stream_cur c = stream_cur_init(t->p[STREAM_VM_IOAPIC],
						      STREAM_IOAPIC_SIZE);
		uint32_t reserved;

		chip.chip.ioapic.base_address = stream_get_u64(&c);
		/*
		 * The register a guest selected and has yet to read or
		 * write through the data window: KVM keeps its low byte.
		 */
		chip.chip.ioapic.ioregsel = stream_get_u32(&c);
		chip.chip.ioapic.id = stream_get_u32(&c);
		chip.chip.ioapic.irr = stream_get_u32(&c);
		reserved = stream_get_u32(&c);
		if (chip.chip.ioapic.ioregsel > 0xff || reserved)
			return cpu_state_why(why, -EINVAL,
					     "The saved IOAPIC selects register 0x%x or has reserved bits set; an IOAPIC has 256 registers.",
					     chip.chip.ioapic.ioregsel);
		for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
			chip.chip.ioapic.redirtbl[i].bits = stream_get_u64(&c);
		/* KVM would move the IOAPIC's MMIO window wherever it says. */
		if (chip.chip.ioapic.base_address != VM_IOAPIC_BASE)
			return cpu_state_why(why, -EINVAL,
					     "The saved IOAPIC is at 0x%llx, not at 0x%llx where keel puts it.",
					     (unsigned long long)chip.chip.ioapic
						     .base_address,
					     VM_IOAPIC_BASE);
	} else {
		get_pic(t->p[id == KVM_IRQCHIP_PIC_MASTER ?
				     STREAM_VM_PIC_MASTER :
				     STREAM_VM_PIC_SLAVE],
			&chip.chip.pic);
	}
	if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &chip) < 0)
		return cpu_state_why(why, -errno,
				     "KVM refused the saved %s state: %s.",
				     irqchip_names[id], strerror(errno));
	return 0;
}

int cpu_state_restore_vm(struct vm *vm, const struct stream_tlvs *t,
			 char *why)
{
	int rc;

	cpu_state_enable_payload(vm);
	rc = restore_pit(vm, t->p[STREAM_VM_PIT2], why);
	if (!rc)
		rc = restore_clock(vm, t->p[STREAM_VM_CLOCK], why);
	if (!rc)
		rc = restore_irqchip(vm, t, KVM_IRQCHIP_PIC_MASTER, why);
	if (!rc)
		rc = restore_irqchip(vm, t, KVM_IRQCHIP_PIC_SLAVE, why);
	if (!rc)
		rc = restore_irqchip(vm, t, KVM_IRQCHIP_IOAPIC, why);
	return rc;
}
