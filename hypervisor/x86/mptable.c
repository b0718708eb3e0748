// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Intel MultiProcessor Specification 1.4 table: how a guest without
 * ACPI (acpi=off) finds its CPUs, IOAPIC and ISA interrupt wiring. The
 * wiring matches KVM's default GSI routes, which vm.c keeps: ISA IRQ n
 * is IOAPIC pin n (no IRQ0-to-pin-2 override).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "vm.h"
#include "x86/mptable.h"

#define MP_SPEC_REV 4 /* 1.4 */
#define MP_APIC_VERSION 0x14
#define MP_IOAPIC_VERSION 0x11

enum mp_entry_type {
	MP_PROCESSOR = 0,
	MP_BUS = 1,
	MP_IOAPIC = 2,
	MP_IOINT = 3,
	MP_LINT = 4,
};

enum mp_int_type {
	MP_INT = 0,
	MP_NMI = 1,
	MP_EXTINT = 3,
};

#define MP_CPU_ENABLED 0x01
#define MP_CPU_BSP 0x02
#define MP_IOAPIC_ENABLED 0x01
#define MP_ALL_LAPICS 0xff
#define MP_ISA_BUS_ID 0
#define MP_NR_ISA_IRQS 16

struct mp_floating {
	char signature[4]; /* "_MP_" */
	uint32_t config_addr;
	uint8_t length; /* in 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t features[5];
} __attribute__((packed));

struct mp_config {
	char signature[4]; /* "PCMP" */
	uint16_t length; /* base table, header included */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_addr;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mp_processor {
	uint8_t type;
	uint8_t apic_id;
	uint8_t apic_version;
	uint8_t flags;
	uint32_t signature;
	uint32_t features;
	uint32_t reserved[2];
} __attribute__((packed));

struct mp_bus {
	uint8_t type;
	uint8_t bus_id;
	char bus_type[6];
} __attribute__((packed));

struct mp_ioapic {
	uint8_t type;
	uint8_t apic_id;
	uint8_t version;
	uint8_t flags;
	uint32_t addr;
} __attribute__((packed));

/* I/O interrupt and local interrupt assignment entries share a layout. */
struct mp_irq {
	uint8_t type;
	uint8_t irq_type;
	uint16_t flags; /* 0: polarity and trigger conform to the bus */
	uint8_t src_bus;
	uint8_t src_irq;
	uint8_t dst_apic;
	uint8_t dst_pin;
} __attribute__((packed));

static uint8_t mp_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

static void mp_irq(uint8_t **p, uint8_t type, uint8_t irq_type,
		   uint8_t src_irq, uint8_t dst_apic, uint8_t dst_pin)
{
	struct mp_irq e = {
		.type = type,
		.irq_type = irq_type,
		.src_bus = MP_ISA_BUS_ID,
		.src_irq = src_irq,
		.dst_apic = dst_apic,
		.dst_pin = dst_pin,
	};

	memcpy(*p, &e, sizeof(e));
	*p += sizeof(e);
}

/*
 * The configuration table: @nr_vcpus processors, the ISA bus, the IOAPIC
 * and the interrupt wiring, into @buf (MPTABLE_MAX_SIZE bytes). Returns
 * its length.
 */
static size_t mp_config_build(uint8_t *buf, unsigned nr_vcpus,
			      uint32_t cpu_signature, uint32_t cpu_features)
{
	struct mp_config *cfg = (struct mp_config *)buf;
	uint8_t *p = (uint8_t *)(cfg + 1);
	uint8_t ioapic_id = mptable_ioapic_id(nr_vcpus);
	struct mp_bus bus = { .type = MP_BUS, .bus_id = MP_ISA_BUS_ID };
	struct mp_ioapic ioapic = {
		.type = MP_IOAPIC,
		.apic_id = ioapic_id,
		.version = MP_IOAPIC_VERSION,
		.flags = MP_IOAPIC_ENABLED,
		.addr = (uint32_t)VM_IOAPIC_BASE,
	};
	uint16_t count = 0;

	for (unsigned i = 0; i < nr_vcpus; i++) {
		struct mp_processor cpu = {
			.type = MP_PROCESSOR,
			.apic_id = (uint8_t)i,
			.apic_version = MP_APIC_VERSION,
			.flags = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0),
			.signature = cpu_signature,
			.features = cpu_features,
		};

		memcpy(p, &cpu, sizeof(cpu));
		p += sizeof(cpu);
		count++;
	}

	memcpy(bus.bus_type, "ISA   ", sizeof(bus.bus_type));
	memcpy(p, &bus, sizeof(bus));
	p += sizeof(bus);
	count++;

	memcpy(p, &ioapic, sizeof(ioapic));
	p += sizeof(ioapic);
	count++;

	for (uint8_t irq = 0; irq < MP_NR_ISA_IRQS; irq++, count++)
		mp_irq(&p, MP_IOINT, MP_INT, irq, ioapic_id, irq);
	mp_irq(&p, MP_LINT, MP_EXTINT, 0, MP_ALL_LAPICS, 0);
	mp_irq(&p, MP_LINT, MP_NMI, 0, MP_ALL_LAPICS, 1);
	count += 2;

	memcpy(cfg->signature, "PCMP", 4);
	cfg->length = (uint16_t)(p - buf);
	cfg->spec_rev = MP_SPEC_REV;
	memcpy(cfg->oem_id, "KEEL    ", sizeof(cfg->oem_id));
	memcpy(cfg->product_id, "KEEL-HV     ", sizeof(cfg->product_id));
	cfg->entry_count = count;
	cfg->lapic_addr = (uint32_t)VM_LAPIC_BASE;
	cfg->checksum = mp_checksum(buf, cfg->length);
	return cfg->length;
}

/* The largest table, KEEL_VCPUS_MAX processors, fits below the pointer. */
_Static_assert(sizeof(struct mp_config) +
			       KEEL_VCPUS_MAX * sizeof(struct mp_processor) +
			       sizeof(struct mp_bus) +
			       sizeof(struct mp_ioapic) +
			       (MP_NR_ISA_IRQS + 2) * sizeof(struct mp_irq) <=
		       MPTABLE_MAX_SIZE,
	       "the MP table for KEEL_VCPUS_MAX vCPUs does not fit");

int mptable_setup(struct vm *vm, unsigned nr_vcpus, uint32_t cpu_signature,
		  uint32_t cpu_features)
{
	uint8_t buf[MPTABLE_MAX_SIZE] = { 0 };
	struct mp_floating fp = { .length = 1, .spec_rev = MP_SPEC_REV };
	size_t len;
	int rc;

	if (nr_vcpus == 0 || nr_vcpus > KEEL_VCPUS_MAX)
		return -EINVAL;
	len = mp_config_build(buf, nr_vcpus, cpu_signature, cpu_features);
	memcpy(fp.signature, "_MP_", 4);
	fp.config_addr = (uint32_t)VM_MPTABLE_BASE;
	fp.checksum = mp_checksum((uint8_t *)&fp, sizeof(fp));
	rc = vm_write_guest(vm, VM_MPTABLE_BASE, buf, len);
	if (!rc)
		rc = vm_write_guest(vm, VM_MPTABLE_FLOATING, &fp, sizeof(fp));
	return rc;
}
