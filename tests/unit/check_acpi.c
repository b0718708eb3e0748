// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv's ACPI tables (hypervisor/x86/acpi.c), built into a plain
 * buffer and walked the way an OS does: RSDP -> XSDT -> FADT/MADT,
 * FADT -> DSDT. Checksums, lengths, the hardware-reduced FADT registers,
 * MADT entries for 1, 8 and 64 CPUs, some of them hot-pluggable (not
 * enabled, online capable), the DSDT's devices with the CPU hot-plug
 * AML (_STA, _MAT, _EJ0, the GED's scan), -ENOSPC at every
 * size that is too small, and acpi_setup() on a VM whose RAM is a
 * malloc'd buffer. When iasl (acpica-tools) is installed, it must
 * disassemble every table without a warning and compile the disassembly
 * back to the same bytes.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_vm.h"
#include "le.h"
#include "runner.h"
#include "vm.h"
#include "x86/acpi.h"
#include "x86/aml.h"

#define BASE VM_ACPI_BASE
#define AREA (VM_ACPI_END - VM_ACPI_BASE)

static uint8_t *buf;
static size_t used;

struct tables {
	const uint8_t *rsdp, *xsdt, *fadt, *madt, *dsdt;
};

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

static void setup(void)
{
	buf = malloc(AREA);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 0xa5, AREA);
}

static void teardown(void)
{
	free(buf);
}

/* The table at @gpa, checked: inside what was built, @sig, checksum 0. */
static const uint8_t *table_at(uint64_t gpa, const char *sig)
{
	const uint8_t *t;
	uint32_t len;

	ck_assert_msg(gpa >= BASE && gpa + 36 <= BASE + used,
		      "%s at 0x%llx is outside the tables", sig,
		      (unsigned long long)gpa);
	ck_assert_uint_eq(gpa % 16, 0);
	t = buf + (gpa - BASE);
	ck_assert_mem_eq(t, sig, 4);
	len = le_get32(t + 4);
	ck_assert_uint_ge(len, 36);
	ck_assert_uint_le(gpa - BASE + len, used);
	ck_assert_uint_eq(sum8(t, len), 0);
	ck_assert_mem_eq(t + 10, "KEEL  ", 6);
	return t;
}

/* Tables for @nr_cpus CPUs of which the first @nr_online are online. */
static struct tables build_hp(unsigned nr_cpus, unsigned nr_online)
{
	struct tables t;

	ck_assert_int_eq(acpi_build(buf, AREA, BASE, nr_cpus, nr_online,
				    &used),
			 0);
	ck_assert_uint_gt(used, 36);
	t.rsdp = buf;
	ck_assert_mem_eq(t.rsdp, "RSD PTR ", 8);
	ck_assert_uint_eq(sum8(t.rsdp, 20), 0);
	ck_assert_uint_eq(sum8(t.rsdp, 36), 0);
	ck_assert_uint_eq(t.rsdp[15], 2);
	ck_assert_uint_eq(le_get32(t.rsdp + 20), 36);
	t.xsdt = table_at(le_get64(t.rsdp + 24), "XSDT");
	ck_assert_uint_eq(le_get32(t.xsdt + 4), 36 + 2 * 8);
	t.fadt = table_at(le_get64(t.xsdt + 36), "FACP");
	t.madt = table_at(le_get64(t.xsdt + 44), "APIC");
	t.dsdt = table_at(le_get64(t.fadt + 140), "DSDT");
	return t;
}

static struct tables build(unsigned nr_cpus)
{
	return build_hp(nr_cpus, nr_cpus);
}

START_TEST(test_rsdp)
{
	struct tables t = build(1);

	ck_assert_mem_eq(t.rsdp + 9, "KEEL  ", 6);
	ck_assert_uint_eq(le_get32(t.rsdp + 16), 0); /* no RSDT */
	ck_assert_uint_eq(le_get32(t.xsdt + 4), 52);
	ck_assert_uint_eq(t.xsdt[8], 1);
	/* Nothing is written past what acpi_build() says it used. */
	for (size_t i = used; i < AREA; i++)
		ck_assert_uint_eq(buf[i], 0xa5);
}
END_TEST

START_TEST(test_fadt_hw_reduced)
{
	struct tables t = build(2);
	const uint8_t *f = t.fadt;
	uint32_t flags = le_get32(f + 112);

	ck_assert_uint_eq(le_get32(f + 4), 276);
	ck_assert_uint_eq(f[8], 6);
	ck_assert_uint_eq(f[131], 3); /* 6.3 */
	ck_assert(flags & (1u << 20)); /* HW_REDUCED_ACPI */
	ck_assert(flags & (1u << 10)); /* RESET_REG_SUP */
	ck_assert(flags & (1u << 4)); /* power button is a device */
	/* No FACS, SCI, PM1 or GPE blocks. */
	ck_assert_uint_eq(le_get32(f + 36), 0);
	ck_assert_uint_eq(le_get64(f + 132), 0);
	ck_assert_uint_eq(le_get16(f + 46), 0);
	for (unsigned off = 56; off < 88; off += 4)
		ck_assert_uint_eq(le_get32(f + off), 0);
	/* DSDT and X_DSDT agree. */
	ck_assert_uint_eq(le_get32(f + 40), le_get64(f + 140));
	/* RESET_REG: SystemIO, 8 bits at VM_PORT_ACPI_RESET, value 1. */
	ck_assert_mem_eq(f + 116, "\x01\x08\x00\x01", 4);
	ck_assert_uint_eq(le_get64(f + 120), VM_PORT_ACPI_RESET);
	ck_assert_uint_eq(f[128], VM_ACPI_RESET_VALUE);
	/* SLEEP_CONTROL_REG and SLEEP_STATUS_REG */
	ck_assert_mem_eq(f + 244, "\x01\x08\x00\x01", 4);
	ck_assert_uint_eq(le_get64(f + 248), VM_PORT_ACPI_SLEEP_CTL);
	ck_assert_mem_eq(f + 256, "\x01\x08\x00\x01", 4);
	ck_assert_uint_eq(le_get64(f + 260), VM_PORT_ACPI_SLEEP_STS);
}
END_TEST

/*
 * One CPU, a few, and the most a keel domain has, all online; then
 * machines with hot-pluggable CPUs (maxvcpus above vcpus).
 */
static const struct {
	unsigned max, online;
} cpu_counts[] = {
	{ 1, 1 }, { 8, 8 }, { KEEL_VCPUS_MAX, KEEL_VCPUS_MAX },
	{ 2, 1 }, { 8, 3 }, { KEEL_VCPUS_MAX, 1 },
};

START_TEST(test_madt)
{
	unsigned n = cpu_counts[_i].max, online = cpu_counts[_i].online;
	struct tables t = build_hp(n, online);
	const uint8_t *m = t.madt, *p = m + 44, *end = m + le_get32(m + 4);
	unsigned lapics = 0, ioapics = 0, nmis = 0;

	ck_assert_uint_eq(le_get32(m + 4), 44 + 8 * n + 12 + 6);
	ck_assert_uint_eq(le_get32(m + 36), VM_LAPIC_BASE);
	ck_assert_uint_eq(le_get32(m + 40), 1); /* PCAT_COMPAT */
	while (p < end) {
		ck_assert_uint_ge(p[1], 2);
		ck_assert(p + p[1] <= end);
		switch (p[0]) {
		case 0:
			ck_assert_uint_eq(p[1], 8);
			ck_assert_uint_eq(p[2], lapics); /* UID */
			ck_assert_uint_eq(p[3], lapics); /* APIC ID */
			/* Enabled, or else Online Capable (hot-pluggable). */
			ck_assert_uint_eq(le_get32(p + 4),
					  lapics < online ? 1 : 2);
			lapics++;
			break;
		case 1:
			ck_assert_uint_eq(p[1], 12);
			ck_assert_uint_eq(p[2], n); /* after the CPUs */
			ck_assert_uint_eq(le_get32(p + 4), VM_IOAPIC_BASE);
			ck_assert_uint_eq(le_get32(p + 8), 0);
			ioapics++;
			break;
		case 4:
			ck_assert_uint_eq(p[2], 0xff);
			ck_assert_uint_eq(p[5], 1); /* LINT1 */
			nmis++;
			break;
		default:
			ck_abort_msg("unexpected MADT entry type %u", p[0]);
		}
		p += p[1];
	}
	ck_assert_uint_eq(lapics, n);
	ck_assert_uint_eq(ioapics, 1);
	ck_assert_uint_eq(nmis, 1);
}
END_TEST

static unsigned count(const uint8_t *hay, size_t len, const void *needle,
		      size_t n)
{
	unsigned c = 0;

	for (size_t i = 0; i + n <= len; i++)
		c += !memcmp(hay + i, needle, n);
	return c;
}

#define HAS(t, lit) count((t), le_get32((t) + 4), (lit), sizeof(lit) - 1)

START_TEST(test_dsdt)
{
	unsigned n = cpu_counts[_i].max;
	const uint8_t *d = build_hp(n, cpu_counts[_i].online).dsdt;

	ck_assert_uint_eq(d[8], 2);
	/* Name(_S5, Package() { 5, 5, 0, 0 }) */
	ck_assert_uint_eq(HAS(d, "\x08_S5_\x12\x08\x04\x0a\x05\x0a\x05\x00\x00"),
			  1);
	ck_assert_uint_eq(HAS(d, "ACPI0007"), n);
	ck_assert_uint_eq(HAS(d, "\x0d" "ACPI0013"), 1);
	/* PNP0A03, PNP0501, PNP0C0C as EISA IDs */
	ck_assert_uint_eq(HAS(d, "\x0c\x41\xd0\x0a\x03"), 1);
	ck_assert_uint_eq(HAS(d, "\x0c\x41\xd0\x05\x01"), 1);
	ck_assert_uint_eq(HAS(d, "\x0c\x41\xd0\x0c\x0c"), 1);
	/* COM1: IO 0x3f8 len 8, IRQ 4 */
	ck_assert_uint_eq(HAS(d, "\x47\x01\xf8\x03\xf8\x03\x01\x08"
				 "\x22\x10\x00"),
			  1);
	/* GED: Interrupt(edge, active-high) { 5 }, status port 0x608 */
	ck_assert_uint_eq(HAS(d, "\x89\x06\x00\x03\x01\x05\x00\x00\x00"), 1);
	ck_assert_uint_eq(HAS(d, "\x5b\x80GDST\x01\x0b\x08\x06\x01"), 1);
	/* Notify(\_SB.PWRB, 0x80) */
	ck_assert_uint_eq(HAS(d, "\x86\x5c\x2e_SB_PWRB\x0a\x80"), 1);
	/* The PCI hole as the host bridge's memory window */
	ck_assert_uint_eq(HAS(d, "\x00\x00\x00\xc0\xff\xff\xbf\xfe"), 1);
	/* The processor container, and _EVT's call of its scan */
	ck_assert_uint_eq(HAS(d, "\x0d" "ACPI0010"), 1);
	ck_assert_uint_eq(HAS(d, "\x5c\x2f\x03_SB_CPUSCSCN"), 1);
}
END_TEST

/* The byte string of @lit (a literal), in @d's body, @n times. */
#define HAS_N(d, n, lit) ck_assert_uint_eq(HAS(d, lit), (n))

/*
 * Each CPU of a hot-pluggable machine, in AML: its hot-plug byte as an
 * OperationRegion, _STA from its present bit, _MAT as its enabled MADT
 * entry, _EJ0 (all but CPU 0), and the scan's Notify for insert and
 * remove.
 */
START_TEST(test_dsdt_cpu_hotplug)
{
	const uint8_t *d = build_hp(8, 3).dsdt;
	char lit[64];
	size_t len;

	for (unsigned i = 0; i < 8; i++) {
		/* OperationRegion (CREG, SystemIO, 0x620 + i, 1) */
		len = (size_t)snprintf(lit, sizeof(lit),
				       "\x5b\x80" "CREG\x01\x0b%c\x06\x01",
				       0x20 + i);
		ck_assert_uint_eq(count(d, le_get32(d + 4), lit, len), 1);
		/* Name (_MAT, Buffer (8) { 0, 8, i, i, 1, 0, 0, 0 }) */
		memcpy(lit, "\x08_MAT\x11\x0b\x0a\x08\x00\x08", 11);
		lit[11] = (char)i;
		lit[12] = (char)i;
		memcpy(lit + 13, "\x01\x00\x00\x00", 4);
		ck_assert_uint_eq(count(d, le_get32(d + 4), lit, 17), 1);
		/* Notify (\_SB.CPUS.Cnnn, One) and (..., 0x03) */
		len = (size_t)snprintf(lit, sizeof(lit),
				       "\x86\x5c\x2f\x03_SB_CPUSC%03X\x01", i);
		ck_assert_uint_eq(count(d, le_get32(d + 4), lit, len), 1);
		memcpy(lit + len - 1, "\x0a\x03", 2);
		ck_assert_uint_eq(count(d, le_get32(d + 4), lit, len + 1), 1);
	}
	/* Field (CREG, ByteAcc, NoLock, WriteAsZeros) { CPEN..CEJ0, 1 } */
	HAS_N(d, 8, "\x41" "CPEN\x01" "CINS\x01" "CRMV\x01" "CEJ0\x01");
	/* Method (_STA) { If (CPEN) { Return (0x0F) } Return (Zero) } */
	HAS_N(d, 8, "_STA\x00\xa0\x08" "CPEN\xa4\x0a\x0f\xa4\x00");
	/* Method (_EJ0, 1) { Store (One, CEJ0) } */
	HAS_N(d, 7, "_EJ0\x01\x70\x01" "CEJ0");
	/* The GED also runs the scan: If (And (Local0, 2) == 2) */
	HAS_N(d, 1, "\x93\x7b\x60\x0a\x02\x00\x0a\x02"
		    "\x5c\x2f\x03_SB_CPUSCSCN");
}
END_TEST

/*
 * PCI hot-plug: the registers in PCI0, a device per slot 1-31 with _ADR,
 * _SUN and an _EJ0 that writes the slot's bit, PSCN's Notify of each
 * slot for UP and DOWN, and the GED's call of PSCN.
 */
START_TEST(test_dsdt_pci_hotplug)
{
	/* One CPU: no CPU _EJ0 to count with the slots'. */
	const uint8_t *d = build_hp(1, 1).dsdt;
	char lit[64];
	size_t len;

	/* OperationRegion (PCST, SystemIO, 0x680, 12) */
	HAS_N(d, 1, "\x5b\x80" "PCST\x01\x0b\x80\x06\x0a\x0c");
	/* Field (PCST, DWordAcc, NoLock, WriteAsZeros) { ... 32 each } */
	HAS_N(d, 1, "PCST\x43" "PCIU\x20" "PCID\x20" "B0EJ\x20");
	/* B0EJ: in the field and in each slot's _EJ0 */
	HAS_N(d, 32, "B0EJ");
	HAS_N(d, 31, "_EJ0\x01\x70");
	/* Slot 0, the host bridge, has no device; slot 32 does not exist. */
	HAS_N(d, 0, "S00_");
	for (unsigned n = 1; n < 32; n++) {
		/* Name (_ADR, n << 16) as a DWord; Name (_SUN, n) */
		len = (size_t)snprintf(lit, sizeof(lit), "S%02X_\x08_ADR\x0c",
				       n);
		lit[len++] = 0;
		lit[len++] = 0;
		lit[len++] = (char)n;
		lit[len++] = 0;
		memcpy(lit + len, "\x08_SUN", 5);
		len += 5;
		if (n > 1) /* 1 is OneOp */
			lit[len++] = 0x0a;
		lit[len++] = (char)n;
		ck_assert_uint_eq(count(d, le_get32(d + 4), lit, len), 1);
		/* Notify (Snn, One) and Notify (Snn, 0x03) in PSCN */
		len = (size_t)snprintf(lit, sizeof(lit), "\x86S%02X_\x01", n);
		ck_assert_uint_eq(count(d, le_get32(d + 4), lit, len), 1);
		len = (size_t)snprintf(lit, sizeof(lit), "\x86S%02X_\x0a\x03",
				       n);
		ck_assert_uint_eq(count(d, le_get32(d + 4), lit, len), 1);
	}
	/* Slot 9's _EJ0: Store (0x200, B0EJ) */
	HAS_N(d, 1, "_EJ0\x01\x70\x0b\x00\x02" "B0EJ");
	/* The GED runs the scan: If (And (Local0, 4) == 4) */
	HAS_N(d, 1, "\x93\x7b\x60\x0a\x04\x00\x0a\x04"
		    "\x5c\x2f\x03_SB_PCI0PSCN");
}
END_TEST

START_TEST(test_enospc_at_every_size)
{
	size_t need, got;

	ck_assert_int_eq(acpi_build(buf, AREA, BASE, 2, 1, &need), 0);
	for (size_t size = 0; size < need; size++) {
		memset(buf, 0xa5, need);
		ck_assert_int_eq(acpi_build(buf, size, BASE, 2, 1, &got),
				 -ENOSPC);
		for (size_t i = size; i < need; i++)
			ck_assert_uint_eq(buf[i], 0xa5);
	}
	ck_assert_int_eq(acpi_build(buf, need, BASE, 2, 1, &got), 0);
	ck_assert_uint_eq(got, need);
}
END_TEST

START_TEST(test_bad_arguments)
{
	ck_assert_int_eq(acpi_build(buf, AREA, BASE, 0, 0, &used), -EINVAL);
	ck_assert_int_eq(acpi_build(buf, AREA, BASE, ACPI_MAX_CPUS + 1,
				    ACPI_MAX_CPUS + 1, &used),
			 -EINVAL);
	ck_assert_int_eq(acpi_build(buf, AREA, BASE + 8, 1, 1, &used), -EINVAL);
	/* At least one CPU online, and no more than there are. */
	ck_assert_int_eq(acpi_build(buf, AREA, BASE, 4, 0, &used), -EINVAL);
	ck_assert_int_eq(acpi_build(buf, AREA, BASE, 4, 5, &used), -EINVAL);
	/* The largest machine still fits the area. */
	build(ACPI_MAX_CPUS);
	build_hp(ACPI_MAX_CPUS, 1);
}
END_TEST

/*
 * A VM that is only RAM [0, @ram): enough for acpi_setup(); @nr_boot of
 * its @nr_vcpus online at boot.
 */
static struct vm *ram_vm_hp(uint64_t ram, unsigned nr_vcpus, unsigned nr_boot)
{
	struct vm *vm = fake_vm_new();

	vm->ram[0].size = ram;
	vm->ram[0].hva = calloc(1, ram);
	ck_assert_ptr_nonnull(vm->ram[0].hva);
	vm->nr_ram = 1;
	vm->nr_vcpus = nr_vcpus;
	vm->nr_boot_vcpus = nr_boot;
	return vm;
}

static struct vm *ram_vm(uint64_t ram, unsigned nr_vcpus)
{
	return ram_vm_hp(ram, nr_vcpus, nr_vcpus);
}

static void ram_vm_free(struct vm *vm)
{
	free(vm->ram[0].hva);
	fake_vm_free(vm);
}

START_TEST(test_setup_writes_guest_ram)
{
	struct vm *vm = ram_vm(VM_ACPI_END, 4);

	ck_assert_int_eq(acpi_setup(vm), 0);
	build(4);
	ck_assert_mem_eq(vm->ram[0].hva + BASE, buf, used);
	ram_vm_free(vm);

	vm = ram_vm(VM_ACPI_END, KEEL_VCPUS_MAX);
	ck_assert_int_eq(acpi_setup(vm), 0);
	build(KEEL_VCPUS_MAX);
	ck_assert_mem_eq(vm->ram[0].hva + BASE, buf, used);
	ram_vm_free(vm);

	vm = ram_vm_hp(VM_ACPI_END, 4, 2);
	ck_assert_int_eq(acpi_setup(vm), 0);
	build_hp(4, 2);
	ck_assert_mem_eq(vm->ram[0].hva + BASE, buf, used);
	ram_vm_free(vm);

	vm = ram_vm(VM_ACPI_BASE + 64, 4); /* RAM ends inside the tables */
	ck_assert_int_eq(acpi_setup(vm), -EFAULT);
	ram_vm_free(vm);

	vm = ram_vm(VM_ACPI_END, 0);
	ck_assert_int_eq(acpi_setup(vm), -EINVAL);
	ram_vm_free(vm);
}
END_TEST

/* iasl checks, in a temporary directory. */
static char dir[64];

static void iasl_setup(void)
{
	setup();
	strcpy(dir, "/tmp/check_acpi.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void iasl_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	teardown();
}

static void write_file(const char *name, const void *p, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static uint8_t *read_file(const char *name, size_t *len)
{
	char path[128];
	uint8_t *p;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "iasl wrote no %s", name);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	p = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* A line of iasl's output that is a complaint, not its summary. */
static bool iasl_complains(char *log)
{
	char *save, *line;

	for (line = strtok_r(log, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, " 0 Errors, 0 Warnings"))
			continue;
		if (strcasestr(line, "warning") || strcasestr(line, "error"))
			return true;
	}
	return false;
}

/* Run iasl @args in the directory; it must succeed without a warning. */
static void iasl(const char *args)
{
	char cmd[256], *log, *copy;
	size_t len;

	snprintf(cmd, sizeof(cmd), "cd '%s' && iasl %s >iasl.log 2>&1", dir,
		 args);
	ck_assert_msg(system(cmd) == 0, "iasl %s failed", args);
	log = (char *)read_file("iasl.log", &len);
	copy = strdup(log);
	ck_assert_ptr_nonnull(copy);
	ck_assert_msg(!iasl_complains(copy), "iasl %s said:\n%s", args, log);
	free(copy);
	free(log);
}

/*
 * Disassemble the table in @name (.dat), compile the result back (no
 * optimisations, so names stay as written) and compare everything after
 * the header, whose compiler ID and checksum iasl sets to its own.
 */
static void iasl_round_trip(const char *name, const uint8_t *t)
{
	char args[96], file[40];
	size_t len = le_get32(t + 4), got;
	uint8_t *aml;

	snprintf(file, sizeof(file), "%s.dat", name);
	write_file(file, t, len);
	snprintf(args, sizeof(args), "-d %s.dat", name);
	iasl(args);
	snprintf(args, sizeof(args), "-oa -p %s-rt %s.dsl", name, name);
	iasl(args);
	snprintf(file, sizeof(file), "%s-rt.aml", name);
	aml = read_file(file, &got);
	ck_assert_uint_eq(got, len);
	ck_assert_mem_eq(aml + 36, t + 36, len - 36);
	free(aml);
}

START_TEST(test_iasl_reads_the_tables)
{
	struct tables t = build_hp(cpu_counts[_i].max, cpu_counts[_i].online);

	iasl_round_trip("dsdt", t.dsdt);
	iasl_round_trip("facp", t.fadt);
	iasl_round_trip("apic", t.madt);
	iasl_round_trip("xsdt", t.xsdt);
}
END_TEST

/* A DSDT around @a's body, for iasl. */
static void wrap_dsdt(const struct aml *a)
{
	size_t len = 36 + a->len;

	ck_assert_uint_le(len, AREA);
	memset(buf, 0, 36);
	memcpy(buf, "DSDT", 4);
	buf[4] = (uint8_t)len;
	buf[5] = (uint8_t)(len >> 8);
	buf[6] = (uint8_t)(len >> 16);
	buf[8] = 2;
	memcpy(buf + 10, "KEEL  KEELTEST", 14);
	memcpy(buf + 36, a->buf, a->len);
	buf[9] = (uint8_t)-sum8(buf, len);
}

/* iasl agrees with the writer's two- and three-byte PkgLengths. */
START_TEST(test_iasl_long_objects)
{
	static uint8_t data[5000];
	struct aml a;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	aml_init(&a);
	aml_scope_begin(&a, "\\_SB");
	aml_device_begin(&a, "BIG");
	aml_name(&a, "_HID");
	aml_string(&a, "KEEL0001");
	aml_name(&a, "BUF0");
	aml_buffer_begin(&a);
	aml_bytes(&a, data, sizeof(data));
	aml_end(&a);
	aml_name(&a, "BUF1");
	aml_buffer_begin(&a);
	aml_bytes(&a, data, 100);
	aml_end(&a);
	aml_end(&a);
	aml_end(&a);
	ck_assert_int_eq(aml_error(&a), 0);
	wrap_dsdt(&a);
	aml_dispose(&a);
	iasl_round_trip("big", buf);
}
END_TEST

static bool have_iasl(void)
{
	return system("command -v iasl >/dev/null 2>&1") == 0;
}

Suite *unit_suite(void)
{
	Suite *s = suite_create("acpi");
	TCase *tc = tcase_create("tables");
	TCase *ti;
	unsigned nr_counts = sizeof(cpu_counts) / sizeof(cpu_counts[0]);

	tcase_add_checked_fixture(tc, setup, teardown);
	/* A build per size too small adds up on a loaded machine. */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_rsdp);
	tcase_add_test(tc, test_fadt_hw_reduced);
	tcase_add_test(tc, test_dsdt_pci_hotplug);
	tcase_add_loop_test(tc, test_madt, 0, nr_counts);
	tcase_add_loop_test(tc, test_dsdt, 0, nr_counts);
	tcase_add_test(tc, test_dsdt_cpu_hotplug);
	tcase_add_test(tc, test_enospc_at_every_size);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_setup_writes_guest_ram);
	suite_add_tcase(s, tc);

	if (have_iasl()) {
		ti = tcase_create("iasl");
		tcase_add_checked_fixture(ti, iasl_setup, iasl_teardown);
		tcase_set_timeout(ti, 60);
		tcase_add_loop_test(ti, test_iasl_reads_the_tables, 0,
				    nr_counts);
		tcase_add_test(ti, test_iasl_long_objects);
		suite_add_tcase(s, ti);
	} else {
		fprintf(stderr, "check_acpi: iasl (acpica-tools) is not "
				"installed; the tables are not disassembled\n");
	}
	return s;
}
