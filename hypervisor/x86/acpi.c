// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ACPI tables of keel-hv's x86 machine (ACPI 6.3; man/keel-hv.8 says
 * what the guest sees). The machine is hardware-reduced: no PM1 or
 * GPE blocks, no SCI, no FACS. Power off and reset go through the sleep
 * control and reset registers that acpi_pm.c implements, and the power
 * button is a Generic Event Device whose interrupt runs _EVT, which reads
 * acpi_pm.c's status byte and notifies the button device.
 *
 * vCPU hot-plug (man/keel-hv.8, --maxvcpus) follows ACPI 6.3's model for
 * processors: the MADT lists every possible CPU, those offline at boot
 * without Enabled but with Online Capable (5.2.12.2), which is what
 * makes Linux count them as possible CPUs; a processor container holds
 * one ACPI0007 device per possible CPU whose _STA reads its present bit
 * from acpi_pm.c's per-CPU byte; a CPU-hotplug bit in the GED status
 * makes _EVT scan those bytes and Notify the CPUs that changed: Device
 * Check (1) for an inserted one, Eject Request (3) for one to remove.
 * The guest offlines the CPU, runs _EJ0, and acpi_pm.c marks it absent.
 *
 * PCI hot-plug (docs/hypervisor.md) is ACPI's too, on the root bus, in
 * the shape Linux's acpiphp drives (and QEMU's PIIX machines use): a
 * device Snn under PCI0 for each slot 1-31 with _ADR, _SUN and _EJ0, no
 * _STA (acpiphp then reads the slot's vendor ID to see what is there),
 * and a PCI-hotplug bit in the GED status that makes _EVT run PSCN,
 * which sends Device Check to the slots acpi_pm.c's UP dword names and
 * Eject Request to those its DOWN dword names. The guest unbinds the
 * driver, runs _EJ0, which writes the slot's bit to B0EJ, and keel-hv
 * takes the device away.
 *
 * Tables are built into a plain byte buffer with explicit little-endian
 * stores, so the whole set can be checked without a VM; acpi_setup()
 * copies the result into guest RAM.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_error.h"
#include "le.h"
#include "log.h"
#include "vm.h"
#include "acpi_pm.h"
#include "x86/acpi.h"
#include "x86/aml.h"
#include "x86/mptable.h"

#define ACPI_OEM_ID "KEEL  " /* 6 bytes */
#define ACPI_OEM_TABLE_PREFIX "KEEL" /* + the signature: "KEELFACP" */
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_ID "KEEL"
#define ACPI_CREATOR_REVISION 1

#define ACPI_ALIGN 16
#define ACPI_HEADER_LEN 36

/* RSDP (ACPI 6.3, 5.2.5.3) */
#define RSDP_LEN 36
#define RSDP_V1_LEN 20
#define RSDP_REVISION 2

/* Revisions the 6.3 specification gives each table. */
#define XSDT_REVISION 1
#define FADT_REVISION 6
#define FADT_MINOR_REVISION 3
#define MADT_REVISION 5
#define DSDT_REVISION 2 /* 64-bit AML integers */

/* FADT (5.2.9): field offsets and values. */
#define FADT_LEN 276
#define FADT_DSDT 40
#define FADT_P_LVL2_LAT 96
#define FADT_P_LVL3_LAT 98
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_MINOR_VERSION 131
#define FADT_X_DSDT 140
#define FADT_SLEEP_CONTROL_REG 244
#define FADT_SLEEP_STATUS_REG 256
#define FADT_HYPERVISOR_ID 268

#define FADT_WBINVD (1u << 0)
#define FADT_PWR_BUTTON (1u << 4) /* set: no fixed-feature power button */
#define FADT_SLP_BUTTON (1u << 5) /* set: no fixed-feature sleep button */
#define FADT_RESET_REG_SUP (1u << 10)
#define FADT_HW_REDUCED_ACPI (1u << 20)

#define BOOT_ARCH_8042 (1u << 1)
#define BOOT_ARCH_VGA_NOT_PRESENT (1u << 2)
#define BOOT_ARCH_CMOS_RTC_NOT_PRESENT (1u << 5)

/* Latencies above these say "C2/C3 not supported" (5.2.9). */
#define FADT_NO_C2 101
#define FADT_NO_C3 1001

/* Generic Address Structure (5.2.3.2) */
#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1

/* MADT (5.2.12) */
#define MADT_PCAT_COMPAT (1u << 0)
#define MADT_LOCAL_APIC 0
#define MADT_IO_APIC 1
#define MADT_LOCAL_APIC_NMI 4
#define MADT_LOCAL_APIC_LEN 8
#define MADT_IO_APIC_LEN 12
#define MADT_LOCAL_APIC_NMI_LEN 6
#define MADT_APIC_ENABLED (1u << 0)
#define MADT_APIC_ONLINE_CAPABLE (1u << 1) /* with Enabled clear */
#define MADT_ALL_PROCESSORS 0xff

/* The GED's status byte (acpi_pm.h): what _EVT looks at. */
#define NOTIFY_DEVICE_CHECK 0x01 /* a CPU or PCI device was inserted */
#define NOTIFY_EJECT_REQUEST 0x03 /* a CPU or PCI device is to go */
#define NOTIFY_DEVICE_SPECIFIC 0x80 /* power button: "pressed" */

/* _STA: present, enabled, shown in the UI, functioning. */
#define STA_PRESENT_ENABLED 0x0f

/* Where the tables are being written: @buf stands for guest @base. */
struct acpi_out {
	uint8_t *buf;
	size_t size;
	size_t len;
	uint64_t base;
};

/* The byte that makes @len bytes at @p (itself included, as 0) sum to 0. */
static uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

/*
 * Take @len zeroed bytes at the next aligned offset (the padding before
 * them zeroed too: all of it goes to the guest); their guest address
 * goes to *@gpa. NULL when they do not fit.
 */
static uint8_t *acpi_alloc(struct acpi_out *o, size_t len, uint64_t *gpa)
{
	size_t off = (o->len + ACPI_ALIGN - 1) & ~(size_t)(ACPI_ALIGN - 1);

	if (off > o->size || len > o->size - off)
		return NULL;
	memset(o->buf + o->len, 0, off + len - o->len);
	o->len = off + len;
	*gpa = o->base + off;
	return o->buf + off;
}

/* The common 36-byte header; the checksum is set by acpi_seal(). */
static void acpi_header(uint8_t *t, const char *sig, uint32_t len,
			uint8_t revision)
{
	memcpy(t, sig, 4);
	le_put32(t + 4, len);
	t[8] = revision;
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, ACPI_OEM_TABLE_PREFIX, 4);
	memcpy(t + 20, sig, 4);
	le_put32(t + 24, ACPI_OEM_REVISION);
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	le_put32(t + 32, ACPI_CREATOR_REVISION);
}

static void acpi_seal(uint8_t *t, size_t len)
{
	t[9] = 0;
	t[9] = acpi_checksum(t, len);
}

static void acpi_gas_io8(uint8_t *p, uint16_t port)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = 8; /* bit width */
	p[2] = 0; /* bit offset */
	p[3] = GAS_ACCESS_BYTE;
	le_put64(p + 4, port);
}

/* The 8-byte MADT Local APIC entry of CPU @i, enabled or not. */
static void madt_lapic(uint8_t *p, unsigned i, uint32_t flags)
{
	p[0] = MADT_LOCAL_APIC;
	p[1] = MADT_LOCAL_APIC_LEN;
	p[2] = (uint8_t)i; /* ACPI processor UID, as _UID */
	p[3] = (uint8_t)i; /* APIC ID */
	le_put32(p + 4, flags);
}

/* CPU @i's device name, Cnnn, after @prefix. */
static void cpu_name(char *name, size_t size, const char *prefix, unsigned i)
{
	snprintf(name, size, "%sC%03X", prefix, i & 0xfff);
}

/*
 * \_SB.CPUS.Cnnn, CPU @i: its byte in acpi_pm.c's CPU hot-plug ports as
 * four one-bit fields (written as zeros around the bit stored, so a
 * store of One clears that bit alone), and
 *
 *   Method (_STA) { If (CPEN) { Return (0x0F) } Return (Zero) }
 *   Name (_MAT, Buffer () { the MADT entry, Enabled })
 *   Method (_EJ0, 1) { Store (One, CEJ0) }       (not for CPU 0)
 *
 * _MAT is what Linux maps a hot-added CPU's APIC ID from; it says
 * Enabled because it describes the CPU as it is once _STA says present.
 */
static void dsdt_cpu(struct aml *a, unsigned i)
{
	uint8_t lapic[MADT_LOCAL_APIC_LEN];
	char name[12];

	cpu_name(name, sizeof(name), "", i);
	aml_device_begin(a, name);
	aml_name(a, "_HID");
	aml_string(a, "ACPI0007");
	aml_name(a, "_UID");
	aml_integer(a, i);
	aml_operation_region(a, "CREG", AML_SPACE_SYSTEM_IO,
			     VM_PORT_CPU_HOTPLUG + i, 1);
	aml_field_begin(a, "CREG",
			AML_FIELD_BYTE_ACC | AML_FIELD_WRITE_AS_ZEROS);
	aml_field_unit(a, "CPEN", 1);
	aml_field_unit(a, "CINS", 1);
	aml_field_unit(a, "CRMV", 1);
	aml_field_unit(a, "CEJ0", 1);
	aml_end(a);

	aml_method_begin(a, "_STA", 0, false);
	aml_if_begin(a);
	aml_name_string(a, "CPEN");
	aml_op(a, AML_OP_RETURN);
	aml_integer(a, STA_PRESENT_ENABLED);
	aml_end(a); /* If */
	aml_op(a, AML_OP_RETURN);
	aml_integer(a, 0);
	aml_end(a); /* Method */

	madt_lapic(lapic, i, MADT_APIC_ENABLED);
	aml_name(a, "_MAT");
	aml_buffer_begin(a);
	aml_bytes(a, lapic, sizeof(lapic));
	aml_end(a);

	/* The boot CPU stays: Linux cannot take CPU 0 offline. */
	if (i) {
		aml_method_begin(a, "_EJ0", 1, false);
		aml_op(a, AML_OP_STORE);
		aml_integer(a, 1);
		aml_name_string(a, "CEJ0");
		aml_end(a);
	}
	aml_end(a); /* Device */
}

/*
 * If (\_SB.CPUS.Cnnn.@flag) { Store (One, <the same>)
 *                             Notify (\_SB.CPUS.Cnnn, @event) }
 * The flag is cleared before the Notify so an event that comes while the
 * OS handles this one raises the flag and the GED interrupt again.
 */
static void cscn_check(struct aml *a, unsigned i, const char *flag,
		       unsigned event)
{
	char dev[24], field[32];

	cpu_name(dev, sizeof(dev), "\\_SB.CPUS.", i);
	snprintf(field, sizeof(field), "%s.%s", dev, flag);
	aml_if_begin(a);
	aml_name_string(a, field);
	aml_op(a, AML_OP_STORE);
	aml_integer(a, 1);
	aml_name_string(a, field);
	aml_op(a, AML_OP_NOTIFY);
	aml_name_string(a, dev);
	aml_integer(a, event);
	aml_end(a);
}

/*
 * The processor container \_SB.CPUS (ACPI0010, ACPI 6.3, 8.4.2.1) with
 * a device per possible CPU, and CSCN, which _EVT calls on a CPU-hotplug
 * event: every CPU with an insert or remove pending gets its Notify.
 */
static void dsdt_cpus(struct aml *a, unsigned nr_cpus)
{
	aml_device_begin(a, "CPUS");
	aml_name(a, "_HID");
	aml_string(a, "ACPI0010");
	aml_name(a, "_CID");
	aml_eisaid(a, "PNP0A05");
	for (unsigned i = 0; i < nr_cpus; i++)
		dsdt_cpu(a, i);
	aml_method_begin(a, "CSCN", 0, true);
	for (unsigned i = 0; i < nr_cpus; i++) {
		cscn_check(a, i, "CINS", NOTIFY_DEVICE_CHECK);
		cscn_check(a, i, "CRMV", NOTIFY_EJECT_REQUEST);
	}
	aml_end(a); /* Method */
	aml_end(a); /* Device */
}

/*
 * If (LEqual (And (Local@local, @bit), @bit)) { ...: closed by the
 * caller.
 */
static void if_local_bit(struct aml *a, unsigned local, uint64_t bit)
{
	aml_if_begin(a);
	aml_op(a, AML_OP_LEQUAL);
	aml_op(a, AML_OP_AND);
	aml_local(a, local);
	aml_integer(a, bit);
	aml_null_target(a);
	aml_integer(a, bit);
}

/*
 * Slot @slot of the root bus, for acpiphp:
 *
 *   Device (Snn) {
 *       Name (_ADR, slot << 16)          device @slot, function 0
 *       Name (_SUN, slot)                the slot's number in the guest
 *       Method (_EJ0, 1) { Store (1 << slot, B0EJ) }
 *   }
 */
static void dsdt_pci_slot(struct aml *a, unsigned slot)
{
	char name[8];

	snprintf(name, sizeof(name), "S%02X", slot & 0xff);
	aml_device_begin(a, name);
	aml_name(a, "_ADR");
	aml_integer(a, (uint64_t)slot << 16);
	aml_name(a, "_SUN");
	aml_integer(a, slot);
	aml_method_begin(a, "_EJ0", 1, false);
	aml_op(a, AML_OP_STORE);
	aml_integer(a, 1ULL << slot);
	aml_name_string(a, "B0EJ");
	aml_end(a); /* Method */
	aml_end(a); /* Device */
}

/*
 * The hot-plug registers and the slots, inside PCI0:
 *
 *   OperationRegion (PCST, SystemIO, VM_PORT_PCI_HOTPLUG, 12)
 *   Field (PCST, DWordAcc, NoLock, WriteAsZeros) { PCIU, 32, PCID, 32,
 *                                                  B0EJ, 32 }
 *   Method (PSCN, 0, Serialized) {
 *       Store (PCIU, Local0)             reading UP clears it
 *       Store (PCID, Local1)
 *       If (LEqual (And (Local0, 1 << n), 1 << n)) { Notify (Snn, 1) }
 *       If (LEqual (And (Local1, 1 << n), 1 << n)) { Notify (Snn, 3) }
 *       ... for each slot n
 *   }
 */
static void dsdt_pci_hotplug(struct aml *a)
{
	char name[8];

	aml_operation_region(a, "PCST", AML_SPACE_SYSTEM_IO,
			     VM_PORT_PCI_HOTPLUG, ACPI_PCIHP_LEN);
	aml_field_begin(a, "PCST",
			AML_FIELD_DWORD_ACC | AML_FIELD_WRITE_AS_ZEROS);
	aml_field_unit(a, "PCIU", 32);
	aml_field_unit(a, "PCID", 32);
	aml_field_unit(a, "B0EJ", 32);
	aml_end(a);
	for (unsigned slot = 1; slot < ACPI_PCIHP_SLOTS; slot++)
		dsdt_pci_slot(a, slot);
	aml_method_begin(a, "PSCN", 0, true);
	aml_op(a, AML_OP_STORE);
	aml_name_string(a, "PCIU");
	aml_local(a, 0);
	aml_op(a, AML_OP_STORE);
	aml_name_string(a, "PCID");
	aml_local(a, 1);
	for (unsigned slot = 1; slot < ACPI_PCIHP_SLOTS; slot++) {
		snprintf(name, sizeof(name), "S%02X", slot & 0xff);
		if_local_bit(a, 0, 1ULL << slot);
		aml_op(a, AML_OP_NOTIFY);
		aml_name_string(a, name);
		aml_integer(a, NOTIFY_DEVICE_CHECK);
		aml_end(a); /* If */
		if_local_bit(a, 1, 1ULL << slot);
		aml_op(a, AML_OP_NOTIFY);
		aml_name_string(a, name);
		aml_integer(a, NOTIFY_EJECT_REQUEST);
		aml_end(a); /* If */
	}
	aml_end(a); /* Method */
}

/*
 * The host bridge: configuration mechanism #1 only (no ECAM, so PCI and
 * not PCI Express: PNP0A03), bus 0, and every I/O port and the 32-bit
 * MMIO hole forwarded to the bus. No _PRT: devices interrupt with MSI-X.
 */
static void dsdt_pci(struct aml *a)
{
	aml_device_begin(a, "PCI0");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0A03");
	aml_name(a, "_SEG");
	aml_integer(a, 0);
	aml_name(a, "_BBN");
	aml_integer(a, 0);
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_CRS");
	aml_resources_begin(a);
	aml_res_word_bus(a, 0, 0);
	aml_res_io(a, VM_PORT_PCI_CONFIG, VM_PORT_PCI_CONFIG, 1, 8);
	aml_res_word_io(a, 0x0000, VM_PORT_PCI_CONFIG - 1);
	aml_res_word_io(a, 0x0d00, 0xffff);
	aml_res_dword_mem(a, (uint32_t)VM_PCI_HOLE_START,
			  (uint32_t)(VM_PCI_MMIO_END - 1));
	aml_end(a);
	dsdt_pci_hotplug(a);
	aml_end(a);
}

static void dsdt_com1(struct aml *a)
{
	aml_device_begin(a, "COM1");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0501");
	aml_name(a, "_UID");
	aml_integer(a, 1);
	aml_name(a, "_CRS");
	aml_resources_begin(a);
	aml_res_io(a, VM_PORT_COM1, VM_PORT_COM1, 1, 8);
	aml_res_irq_noflags(a, VM_IRQ_COM1);
	aml_end(a);
	aml_end(a);
}

/*
 * If (LEqual (And (Local0, @bit), @bit)) { ...: closed by the caller.
 */
static void ged_if_bit(struct aml *a, unsigned bit)
{
	aml_if_begin(a);
	aml_op(a, AML_OP_LEQUAL);
	aml_op(a, AML_OP_AND);
	aml_local(a, 0);
	aml_integer(a, bit);
	aml_null_target(a);
	aml_integer(a, bit);
}

/*
 * The power button and the GED that reports it, CPU and PCI hot-plug. The
 * GED interrupt is edge-triggered, active-high (as the ISA line it is;
 * acpi_pm.c pulses it). _EVT reads the status byte, which clears it:
 *
 *   Method (_EVT, 1, Serialized) {
 *       Store (GSTS, Local0)
 *       If (LEqual (And (Local0, 1), 1)) { Notify (\_SB.PWRB, 0x80) }
 *       If (LEqual (And (Local0, 2), 2)) { \_SB.CPUS.CSCN () }
 *       If (LEqual (And (Local0, 4), 4)) { \_SB.PCI0.PSCN () }
 *   }
 */
static void dsdt_power_button(struct aml *a)
{
	aml_device_begin(a, "PWRB");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0C0C");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_end(a);

	aml_device_begin(a, "GED");
	aml_name(a, "_HID");
	aml_string(a, "ACPI0013");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_CRS");
	aml_resources_begin(a);
	aml_res_interrupt(a, VM_IRQ_GED, true, false);
	aml_end(a);
	aml_operation_region(a, "GDST", AML_SPACE_SYSTEM_IO, VM_PORT_ACPI_GED,
			     1);
	aml_field_begin(a, "GDST", AML_FIELD_BYTE_ACC | AML_FIELD_PRESERVE);
	aml_field_unit(a, "GSTS", 8);
	aml_end(a);
	aml_method_begin(a, "_EVT", 1, true);
	aml_op(a, AML_OP_STORE);
	aml_name_string(a, "GSTS");
	aml_local(a, 0);
	ged_if_bit(a, ACPI_GED_POWER_BUTTON);
	aml_op(a, AML_OP_NOTIFY);
	aml_name_string(a, "\\_SB.PWRB");
	aml_integer(a, NOTIFY_DEVICE_SPECIFIC);
	aml_end(a); /* If */
	ged_if_bit(a, ACPI_GED_CPU_HOTPLUG);
	aml_name_string(a, "\\_SB.CPUS.CSCN"); /* a call: no arguments */
	aml_end(a); /* If */
	ged_if_bit(a, ACPI_GED_PCI_HOTPLUG);
	aml_name_string(a, "\\_SB.PCI0.PSCN");
	aml_end(a); /* If */
	aml_end(a); /* Method */
	aml_end(a); /* Device */
}

/*
 * QEMU's pvpanic device (pvpanic.c), as QEMU describes it, which is what
 * Linux's pvpanic driver binds to:
 *
 *   Device (PEVT) {
 *       Name (_HID, "QEMU0001")
 *       Name (_CRS, ResourceTemplate () { IO (Decode16, 0x505, 0x505, 1, 1) })
 *       Name (_STA, 0x0F)
 *   }
 */
static void dsdt_pvpanic(struct aml *a)
{
	aml_device_begin(a, "PEVT");
	aml_name(a, "_HID");
	aml_string(a, "QEMU0001");
	aml_name(a, "_CRS");
	aml_resources_begin(a);
	aml_res_io(a, VM_PORT_PVPANIC, VM_PORT_PVPANIC, 1, 1);
	aml_end(a);
	aml_name(a, "_STA");
	aml_integer(a, 0x0f);
	aml_end(a);
}

/* The DSDT's AML body (without the table header). */
static int dsdt_build(struct aml *a, unsigned nr_cpus)
{
	/* \_S5: SLP_TYPa, SLP_TYPb, reserved, reserved. */
	aml_name(a, "_S5");
	aml_package_begin(a);
	aml_integer(a, VM_ACPI_S5_TYPE);
	aml_integer(a, VM_ACPI_S5_TYPE);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_end(a);

	aml_scope_begin(a, "\\_SB");
	dsdt_cpus(a, nr_cpus);
	dsdt_pci(a);
	dsdt_com1(a);
	dsdt_power_button(a);
	dsdt_pvpanic(a);
	aml_end(a);
	return aml_error(a);
}

static int acpi_dsdt(struct acpi_out *o, unsigned nr_cpus, uint64_t *gpa)
{
	struct aml a;
	uint8_t *t;
	size_t len;
	int rc;

	aml_init(&a);
	rc = dsdt_build(&a, nr_cpus);
	if (rc)
		goto out_dispose;
	len = ACPI_HEADER_LEN + a.len;
	t = acpi_alloc(o, len, gpa);
	if (!t) {
		rc = -ENOSPC;
		goto out_dispose;
	}
	acpi_header(t, "DSDT", (uint32_t)len, DSDT_REVISION);
	memcpy(t + ACPI_HEADER_LEN, a.buf, a.len);
	acpi_seal(t, len);
out_dispose:
	aml_dispose(&a);
	return rc;
}

static int acpi_fadt(struct acpi_out *o, uint64_t dsdt, uint64_t *gpa)
{
	uint8_t *t = acpi_alloc(o, FADT_LEN, gpa);

	if (!t)
		return -ENOSPC;
	acpi_header(t, "FACP", FADT_LEN, FADT_REVISION);
	/* No FACS: firmware waking vectors mean nothing without sleep. */
	le_put32(t + FADT_DSDT, (uint32_t)dsdt);
	le_put64(t + FADT_X_DSDT, dsdt);
	le_put16(t + FADT_P_LVL2_LAT, FADT_NO_C2);
	le_put16(t + FADT_P_LVL3_LAT, FADT_NO_C3);
	/*
	 * An 8042 answers at 0x60/0x64 (i8042.c); there is no VGA and no
	 * CMOS RTC (kvmclock gives the wall clock).
	 */
	le_put16(t + FADT_IAPC_BOOT_ARCH, BOOT_ARCH_8042 |
		      BOOT_ARCH_VGA_NOT_PRESENT |
		      BOOT_ARCH_CMOS_RTC_NOT_PRESENT);
	le_put32(t + FADT_FLAGS, FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON |
		      FADT_RESET_REG_SUP | FADT_HW_REDUCED_ACPI);
	acpi_gas_io8(t + FADT_RESET_REG, VM_PORT_ACPI_RESET);
	t[FADT_RESET_VALUE] = VM_ACPI_RESET_VALUE;
	t[FADT_MINOR_VERSION] = FADT_MINOR_REVISION;
	acpi_gas_io8(t + FADT_SLEEP_CONTROL_REG, VM_PORT_ACPI_SLEEP_CTL);
	acpi_gas_io8(t + FADT_SLEEP_STATUS_REG, VM_PORT_ACPI_SLEEP_STS);
	memcpy(t + FADT_HYPERVISOR_ID, "KEEL-HV", 8);
	acpi_seal(t, FADT_LEN);
	return 0;
}

/*
 * A local APIC per possible CPU (APIC ID and processor UID n): enabled
 * for the @nr_online CPUs online at boot, online capable for the rest
 * (they wait for hot-plug), the
 * IOAPIC with the ID the MP table gives it and GSIs 0-23, and NMI on
 * LINT1. No interrupt source overrides: vm.c routes ISA IRQ n to IOAPIC
 * pin n (KVM's default, the in-kernel PIT included), and the ISA
 * defaults (edge, active-high) are right for every line in use.
 * PCAT_COMPAT is set because KVM's in-kernel 8259 pair is there.
 */
static int acpi_madt(struct acpi_out *o, unsigned nr_cpus, unsigned nr_online,
		     uint64_t *gpa)
{
	size_t len = ACPI_HEADER_LEN + 8 + nr_cpus * MADT_LOCAL_APIC_LEN +
		     MADT_IO_APIC_LEN + MADT_LOCAL_APIC_NMI_LEN;
	uint8_t *t = acpi_alloc(o, len, gpa);
	uint8_t *p;

	if (!t)
		return -ENOSPC;
	acpi_header(t, "APIC", (uint32_t)len, MADT_REVISION);
	le_put32(t + 36, (uint32_t)VM_LAPIC_BASE);
	le_put32(t + 40, MADT_PCAT_COMPAT);
	p = t + 44;
	for (unsigned i = 0; i < nr_cpus; i++, p += MADT_LOCAL_APIC_LEN)
		madt_lapic(p, i, i < nr_online ? MADT_APIC_ENABLED :
						 MADT_APIC_ONLINE_CAPABLE);
	p[0] = MADT_IO_APIC;
	p[1] = MADT_IO_APIC_LEN;
	p[2] = mptable_ioapic_id(nr_cpus);
	le_put32(p + 4, (uint32_t)VM_IOAPIC_BASE);
	le_put32(p + 8, 0); /* GSI base */
	p += MADT_IO_APIC_LEN;
	p[0] = MADT_LOCAL_APIC_NMI;
	p[1] = MADT_LOCAL_APIC_NMI_LEN;
	p[2] = MADT_ALL_PROCESSORS;
	le_put16(p + 3, 0); /* polarity and trigger: bus defaults */
	p[5] = 1; /* LINT1 */
	acpi_seal(t, len);
	return 0;
}

static int acpi_xsdt(struct acpi_out *o, const uint64_t *tables, unsigned n,
		     uint64_t *gpa)
{
	size_t len = ACPI_HEADER_LEN + 8 * (size_t)n;
	uint8_t *t = acpi_alloc(o, len, gpa);

	if (!t)
		return -ENOSPC;
	acpi_header(t, "XSDT", (uint32_t)len, XSDT_REVISION);
	for (unsigned i = 0; i < n; i++)
		le_put64(t + ACPI_HEADER_LEN + 8 * i, tables[i]);
	acpi_seal(t, len);
	return 0;
}

/* No RSDT: every OS that knows a hardware-reduced FADT reads the XSDT. */
static void acpi_rsdp(uint8_t *p, uint64_t xsdt)
{
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, ACPI_OEM_ID, 6);
	p[15] = RSDP_REVISION;
	le_put32(p + 16, 0); /* RSDT address */
	le_put32(p + 20, RSDP_LEN);
	le_put64(p + 24, xsdt);
	p[8] = acpi_checksum(p, RSDP_V1_LEN);
	p[32] = acpi_checksum(p, RSDP_LEN);
}

int acpi_build(uint8_t *buf, size_t size, uint64_t base, unsigned nr_cpus,
	       unsigned nr_online, size_t *used)
{
	struct acpi_out o = { .buf = buf, .size = size, .base = base };
	uint64_t rsdp, dsdt, xsdt, tables[2];
	uint8_t *rp;
	int rc;

	if (nr_cpus < 1 || nr_cpus > ACPI_MAX_CPUS || nr_online < 1 ||
	    nr_online > nr_cpus)
		return -EINVAL;
	/* The legacy RSDP scan looks at 16-byte boundaries only. */
	if (base % ACPI_ALIGN)
		return -EINVAL;
	/* The RSDP first, at @base, filled in last. */
	rp = acpi_alloc(&o, RSDP_LEN, &rsdp);
	if (!rp)
		return -ENOSPC;
	rc = acpi_dsdt(&o, nr_cpus, &dsdt);
	if (!rc)
		rc = acpi_fadt(&o, dsdt, &tables[0]);
	if (!rc)
		rc = acpi_madt(&o, nr_cpus, nr_online, &tables[1]);
	if (!rc)
		rc = acpi_xsdt(&o, tables, 2, &xsdt);
	if (rc)
		return rc;
	acpi_rsdp(rp, xsdt);
	*used = o.len;
	return 0;
}

int acpi_setup(struct vm *vm)
{
	size_t size = VM_ACPI_END - VM_ACPI_BASE, used;
	uint8_t *buf = malloc(size);
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = acpi_build(buf, size, VM_ACPI_BASE, vm->nr_vcpus,
			vm->nr_boot_vcpus, &used);
	if (rc) {
		hv_error("%s: %u vCPUs, %u online: %s", __func__, vm->nr_vcpus,
			 vm->nr_boot_vcpus, strerror(-rc));
		goto out_free;
	}
	rc = vm_write_guest(vm, VM_ACPI_BASE, buf, used);
	if (rc)
		hv_error("%s: guest RAM does not hold 0x%llx-0x%llx.", __func__,
			 (unsigned long long)VM_ACPI_BASE,
			 (unsigned long long)(VM_ACPI_BASE + used - 1));
	else
		log_debug("%s: %zu bytes of ACPI tables at 0x%llx", __func__,
			  used, (unsigned long long)VM_ACPI_BASE);
out_free:
	free(buf);
	return rc;
}
