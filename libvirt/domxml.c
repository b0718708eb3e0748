// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading libvirt domain XML into keel's domain configuration (domxml.h,
 * domxml_parse()): the bytes, the table of what keel knows, the schema.
 *
 * Reading is four steps, each with its own kind of error:
 *  1. libxml2 reads the bytes: no DOCTYPE (so no entities, internal or
 *     external), no network, at most DOMXML_MAX_BYTES (DOMXML_ERR_XML);
 *  2. one table of the elements and attributes keel knows (dx_elems[])
 *     refuses anything else by name (DOMXML_ERR_UNSUPPORTED), and a
 *     known element given twice (DOMXML_ERR_XML_DETAIL);
 *  3. the mapping (domxml_map.c) turns what is left into the JSON
 *     model, refusing a value that is not one (DOMXML_ERR_XML_DETAIL,
 *     naming the element) and what keel cannot honour in a combination
 *     (a cap given twice, a balloon that is needed and switched off:
 *     UNSUPPORTED);
 *  4. schemas/libvirt-domain.rng checks values and shapes, as the
 *     backstop for what the mapping does not look at (XML_DETAIL).
 *     It comes last because libxml2 says little more of an error in an
 *     <interleave> than which child of <domain> holds it.
 * The mapping therefore reads a tree the grammar has not checked, and
 * takes nothing for granted.
 * Writing is the reverse with libxml2's writer (domxml_write.c). The decisions (units,
 * rounding, what is accepted and not kept) are in docs/libvirt.md,
 * "Domain XML".
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>

#include "domxml.h"
#include "domxml_internal.h"
#include "iotune.h"
#include "paths.h"

/* The largest document read: libvirt's own are a few KiB. */
#define DOMXML_MAX_BYTES (1024 * 1024)
#define DOMXML_SCHEMA "libvirt-domain.rng"

/* --- errors ------------------------------------------------------------- */

struct dx {
	int code;	/* DOMXML_ERR_*; 0 while all is well */
	char *msg;
};

int dx_fail(struct dx *d, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d->code)
		return -EINVAL;
	d->code = code;
	va_start(ap, fmt);
	n = vasprintf(&d->msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		d->msg = NULL;
		d->code = DOMXML_ERR_INTERNAL;
		return -ENOMEM;
	}
	return -EINVAL;
}

int dx_nomem(struct dx *d)
{
	dx_fail(d, DOMXML_ERR_INTERNAL,
		"Out of memory while reading the domain XML.");
	return -ENOMEM;
}

/* --- the elements and attributes keel knows ---------------------------- */

enum dx_el {
	EL_DOMAIN, EL_NAME, EL_UUID, EL_METADATA, EL_KEEL, EL_KEEL_NIC,
	EL_KEEL_RATE, EL_KEEL_IOTUNE, EL_MEMORY, EL_CURMEM, EL_MEMBACKING,
	EL_ALLOCATION, EL_VCPU,
	EL_CPUTUNE, EL_SHARES, EL_PERIOD, EL_QUOTA, EL_GPERIOD, EL_GQUOTA,
	EL_VCPUPIN, EL_OS, EL_OSTYPE, EL_KERNEL, EL_INITRD, EL_CMDLINE,
	EL_BOOT, EL_FEATURES, EL_ACPI, EL_APIC, EL_PAE, EL_VMPORT, EL_CPU,
	EL_CLOCK, EL_TIMER, EL_ON_POWEROFF, EL_ON_REBOOT, EL_ON_CRASH, EL_PM,
	EL_PM_MEM, EL_PM_DISK, EL_DEVICES, EL_EMULATOR, EL_DISK, EL_DRIVER,
	EL_DSOURCE, EL_DTARGET, EL_READONLY, EL_IOTUNE, EL_IOTUNE_KEY,
	EL_IF, EL_MAC, EL_ISOURCE, EL_ITARGET, EL_MODEL, EL_BANDWIDTH,
	EL_INBOUND, EL_OUTBOUND, EL_SERIAL, EL_STARGET, EL_SMODEL,
	EL_CONSOLE, EL_CTARGET, EL_RNG, EL_BACKEND, EL_BALLOON, EL_CONTROLLER,
	EL_COUNT
};

/*
 * An attribute: @values the ones keel honours (NULL: any value the
 * schema allows), @why the sentence that says why others are not.
 */
struct dx_attr {
	const char *name;
	const char *const *values;
	const char *why;
};

#define DX_VALUES(...) ((const char *const[]){ __VA_ARGS__, NULL })
/* An attribute keel knows of and refuses in any value, saying why. */
#define DX_NO_VALUE ((const char *const[]){ NULL })

struct dx_elem {
	const char *name;	/* NULL: a disk's I/O limit (iotune.h) */
	enum dx_el parent;
	bool keel_ns;		/* in DOMXML_NS, not libvirt's */
	unsigned max;		/* how many one parent may hold; 0 is 1 */
	const struct dx_attr *attrs; /* ends with a NULL name */
	/* A check of the element's text, for what keel cannot honour. */
	int (*check)(struct dx *d, xmlNode *n);
};

static const struct dx_attr no_attrs[] = { { NULL, NULL, NULL } };
static const struct dx_attr unit_attrs[] = { { "unit", NULL, NULL },
					     { NULL, NULL, NULL } };

static int check_os_type(struct dx *d, xmlNode *n);
static int check_timer(struct dx *d, xmlNode *n);
static int check_backend(struct dx *d, xmlNode *n);

/* Every element keel reads, under its one parent (root: EL_COUNT). */
static const struct dx_elem dx_elems[EL_COUNT] = {
	[EL_DOMAIN] = { "domain", EL_COUNT, false, 0, (const struct dx_attr[]){
		{ "type", DX_VALUES("kvm"),
		  "keel runs KVM domains only; write <domain type='kvm'>." },
		{ "id", NULL, NULL },
		{ NULL, NULL, NULL } }, NULL },
	[EL_NAME] = { "name", EL_DOMAIN, false, 0, no_attrs, NULL },
	[EL_UUID] = { "uuid", EL_DOMAIN, false, 0, no_attrs, NULL },
	[EL_METADATA] = { "metadata", EL_DOMAIN, false, 0, no_attrs, NULL },
	[EL_KEEL] = { "domain", EL_METADATA, true, 0, no_attrs, NULL },
	[EL_KEEL_NIC] = { "nic", EL_KEEL, true, DOMXML_MAX_NICS,
		(const struct dx_attr[]){ { "index", NULL, NULL },
					  { NULL, NULL, NULL } }, NULL },
	[EL_KEEL_RATE] = { "rate", EL_KEEL_NIC, true, 0,
		(const struct dx_attr[]){ { "bytes_per_sec", NULL, NULL },
					  { "interval_us", NULL, NULL },
					  { NULL, NULL, NULL } }, NULL },
	[EL_KEEL_IOTUNE] = { "iotune", EL_KEEL_NIC, true, 0,
		(const struct dx_attr[]){
			{ "tx_bytes_sec", NULL, NULL },
			{ "tx_packets_sec", NULL, NULL },
			{ "rx_bytes_sec", NULL, NULL },
			{ "rx_packets_sec", NULL, NULL },
			{ "tx_bytes_burst", NULL, NULL },
			{ "tx_packets_burst", NULL, NULL },
			{ "rx_bytes_burst", NULL, NULL },
			{ "rx_packets_burst", NULL, NULL },
			{ NULL, NULL, NULL } }, NULL },
	[EL_MEMORY] = { "memory", EL_DOMAIN, false, 0, unit_attrs, NULL },
	[EL_CURMEM] = { "currentMemory", EL_DOMAIN, false, 0, unit_attrs,
			NULL },
	/* its other children are refused by dx_refused[]'s words */
	[EL_MEMBACKING] = { "memoryBacking", EL_DOMAIN, false, 0, no_attrs,
			    NULL },
	[EL_ALLOCATION] = { "allocation", EL_MEMBACKING, false, 0,
		(const struct dx_attr[]){
			{ "mode", DX_VALUES("immediate", "ondemand"),
			  "keel-hv backs guest memory either all when it starts (mode='immediate') or on the guest's first touch (mode='ondemand', the default)." },
			{ "threads", DX_NO_VALUE,
			  "keel-hv populates guest memory on one thread; leave threads out." },
			{ NULL, NULL, NULL } }, NULL },
	[EL_VCPU] = { "vcpu", EL_DOMAIN, false, 0, (const struct dx_attr[]){
		{ "placement", DX_VALUES("static"),
		  "keel does no automatic NUMA placement; use placement='static', with a cpuset if the vCPUs are to be pinned." },
		{ "cpuset", NULL, NULL },
		{ "current", NULL, NULL },
		{ NULL, NULL, NULL } }, NULL },
	[EL_CPUTUNE] = { "cputune", EL_DOMAIN, false, 0, no_attrs, NULL },
	[EL_SHARES] = { "shares", EL_CPUTUNE, false, 0, no_attrs, NULL },
	[EL_PERIOD] = { "period", EL_CPUTUNE, false, 0, no_attrs, NULL },
	[EL_QUOTA] = { "quota", EL_CPUTUNE, false, 0, no_attrs, NULL },
	[EL_GPERIOD] = { "global_period", EL_CPUTUNE, false, 0, no_attrs,
			 NULL },
	[EL_GQUOTA] = { "global_quota", EL_CPUTUNE, false, 0, no_attrs,
			NULL },
	[EL_VCPUPIN] = { "vcpupin", EL_CPUTUNE, false, DOMXML_MAX_VCPUS,
		(const struct dx_attr[]){ { "vcpu", NULL, NULL },
					  { "cpuset", NULL, NULL },
					  { NULL, NULL, NULL } }, NULL },
	[EL_OS] = { "os", EL_DOMAIN, false, 0, no_attrs, NULL },
	[EL_OSTYPE] = { "type", EL_OS, false, 0, (const struct dx_attr[]){
		{ "arch", DX_VALUES("x86_64"),
		  "keel runs x86_64 guests only." },
		{ "machine", NULL, NULL },
		{ NULL, NULL, NULL } }, check_os_type },
	[EL_KERNEL] = { "kernel", EL_OS, false, 0, no_attrs, NULL },
	[EL_INITRD] = { "initrd", EL_OS, false, 0, no_attrs, NULL },
	[EL_CMDLINE] = { "cmdline", EL_OS, false, 0, no_attrs, NULL },
	[EL_BOOT] = { "boot", EL_OS, false, 4, (const struct dx_attr[]){
		{ "dev", NULL, NULL }, { NULL, NULL, NULL } }, NULL },
	[EL_FEATURES] = { "features", EL_DOMAIN, false, 0, no_attrs, NULL },
	[EL_ACPI] = { "acpi", EL_FEATURES, false, 0, no_attrs, NULL },
	[EL_APIC] = { "apic", EL_FEATURES, false, 0, no_attrs, NULL },
	[EL_PAE] = { "pae", EL_FEATURES, false, 0, no_attrs, NULL },
	[EL_VMPORT] = { "vmport", EL_FEATURES, false, 0,
		(const struct dx_attr[]){
			{ "state", DX_VALUES("off"),
			  "keel emulates no VMware I/O port." },
			{ NULL, NULL, NULL } }, NULL },
	[EL_CPU] = { "cpu", EL_DOMAIN, false, 0, (const struct dx_attr[]){
		{ "mode", DX_VALUES("host-passthrough"),
		  "keel gives the guest the host's CPU as KVM reports it, which libvirt calls mode='host-passthrough'; it has no named CPU models." },
		{ "check", NULL, NULL },
		{ "migratable", DX_VALUES("on"),
		  "keel's guest CPU is the one a migration carries." },
		{ NULL, NULL, NULL } }, NULL },
	[EL_CLOCK] = { "clock", EL_DOMAIN, false, 0, (const struct dx_attr[]){
		{ "offset", DX_VALUES("utc"),
		  "the guest's clock (kvmclock) runs on the host's UTC." },
		{ NULL, NULL, NULL } }, NULL },
	[EL_TIMER] = { "timer", EL_CLOCK, false, 4, (const struct dx_attr[]){
		{ "name", DX_VALUES("rtc", "pit", "hpet", "kvmclock"),
		  "keel's guest has KVM's in-kernel PIT, kvmclock and no HPET." },
		{ "tickpolicy", NULL, NULL },
		{ "present", NULL, NULL },
		{ NULL, NULL, NULL } }, check_timer },
	[EL_ON_POWEROFF] = { "on_poweroff", EL_DOMAIN, false, 0, no_attrs,
			     NULL },
	[EL_ON_REBOOT] = { "on_reboot", EL_DOMAIN, false, 0, no_attrs, NULL },
	[EL_ON_CRASH] = { "on_crash", EL_DOMAIN, false, 0, no_attrs, NULL },
	[EL_PM] = { "pm", EL_DOMAIN, false, 0, no_attrs, NULL },
	[EL_PM_MEM] = { "suspend-to-mem", EL_PM, false, 0,
		(const struct dx_attr[]){
			{ "enabled", DX_VALUES("no"),
			  "keel guests cannot suspend to RAM or disk." },
			{ NULL, NULL, NULL } }, NULL },
	[EL_PM_DISK] = { "suspend-to-disk", EL_PM, false, 0,
		(const struct dx_attr[]){
			{ "enabled", DX_VALUES("no"),
			  "keel guests cannot suspend to RAM or disk." },
			{ NULL, NULL, NULL } }, NULL },
	[EL_DEVICES] = { "devices", EL_DOMAIN, false, 0, no_attrs, NULL },
	[EL_EMULATOR] = { "emulator", EL_DEVICES, false, 0, no_attrs, NULL },
	[EL_DISK] = { "disk", EL_DEVICES, false, 16, (const struct dx_attr[]){
		{ "type", DX_VALUES("file", "block"),
		  "keel's disks are host files or block devices." },
		{ "device", DX_VALUES("disk"),
		  "keel gives the guest virtio disks only; a CD-ROM image is a disk with <readonly/>." },
		{ NULL, NULL, NULL } }, NULL },
	[EL_DRIVER] = { "driver", EL_DISK, false, 0, (const struct dx_attr[]){
		{ "name", DX_VALUES("qemu"),
		  "keel-hv reads the image itself, as libvirt's qemu driver." },
		{ "type", DX_VALUES("raw"),
		  "keel's virtio-blk reads raw images only, so any other format would reach the guest as its container's bytes (convert it with qemu-img convert -O raw)." },
		{ NULL, NULL, NULL } }, NULL },
	[EL_DSOURCE] = { "source", EL_DISK, false, 0, (const struct dx_attr[]){
		{ "file", NULL, NULL }, { "dev", NULL, NULL },
		{ NULL, NULL, NULL } }, NULL },
	[EL_DTARGET] = { "target", EL_DISK, false, 0, (const struct dx_attr[]){
		{ "dev", NULL, NULL },
		{ "bus", DX_VALUES("virtio"),
		  "keel's disks are virtio-blk devices." },
		{ NULL, NULL, NULL } }, NULL },
	[EL_READONLY] = { "readonly", EL_DISK, false, 0, no_attrs, NULL },
	[EL_IOTUNE] = { "iotune", EL_DISK, false, 0, no_attrs, NULL },
	[EL_IOTUNE_KEY] = { NULL, EL_IOTUNE, false, IOTUNE_NR_BUCKETS * 2,
			    no_attrs, NULL },
	[EL_IF] = { "interface", EL_DEVICES, false, DOMXML_MAX_NICS,
		(const struct dx_attr[]){
			{ "type", DX_VALUES("bridge"),
			  "keel's NICs are tap devices on a host bridge: use <interface type='bridge'> with <source bridge='NAME'/>." },
			{ NULL, NULL, NULL } }, NULL },
	[EL_MAC] = { "mac", EL_IF, false, 0, (const struct dx_attr[]){
		{ "address", NULL, NULL }, { NULL, NULL, NULL } }, NULL },
	[EL_ISOURCE] = { "source", EL_IF, false, 0, (const struct dx_attr[]){
		{ "bridge", NULL, NULL }, { NULL, NULL, NULL } }, NULL },
	[EL_ITARGET] = { "target", EL_IF, false, 0, (const struct dx_attr[]){
		{ "dev", NULL, NULL }, { NULL, NULL, NULL } }, NULL },
	[EL_MODEL] = { "model", EL_IF, false, 0, (const struct dx_attr[]){
		{ "type", DX_VALUES("virtio"),
		  "keel's NICs are virtio-net devices." },
		{ NULL, NULL, NULL } }, NULL },
	[EL_BANDWIDTH] = { "bandwidth", EL_IF, false, 0, no_attrs, NULL },
	[EL_INBOUND] = { "inbound", EL_BANDWIDTH, false, 0,
		(const struct dx_attr[]){
			{ "average", NULL, NULL },
			{ "peak", DX_VALUES("0"),
			  "keel's limit is one token bucket, which has no peak rate apart from its average; leave peak out." },
			{ "burst", NULL, NULL },
			{ NULL, NULL, NULL } }, NULL },
	[EL_OUTBOUND] = { "outbound", EL_BANDWIDTH, false, 0,
		(const struct dx_attr[]){
			{ "average", NULL, NULL },
			{ "peak", DX_VALUES("0"),
			  "keel's limit is one token bucket, which has no peak rate apart from its average; leave peak out." },
			{ "burst", NULL, NULL },
			{ NULL, NULL, NULL } }, NULL },
	[EL_SERIAL] = { "serial", EL_DEVICES, false, 0,
		(const struct dx_attr[]){
			{ "type", DX_VALUES("pty"),
			  "keel's serial console is reached through keeld (virsh console), which libvirt calls a pty." },
			{ NULL, NULL, NULL } }, NULL },
	[EL_STARGET] = { "target", EL_SERIAL, false, 0,
		(const struct dx_attr[]){
			{ "type", DX_VALUES("isa-serial"),
			  "keel's guest has one 8250 UART on the ISA ports." },
			{ "port", DX_VALUES("0"),
			  "keel's guest has one serial port, port 0." },
			{ NULL, NULL, NULL } }, NULL },
	[EL_SMODEL] = { "model", EL_STARGET, false, 0,
		(const struct dx_attr[]){
			{ "name", DX_VALUES("isa-serial"),
			  "keel's guest has one 8250 UART on the ISA ports." },
			{ NULL, NULL, NULL } }, NULL },
	[EL_CONSOLE] = { "console", EL_DEVICES, false, 0,
		(const struct dx_attr[]){
			{ "type", DX_VALUES("pty"),
			  "keel's serial console is reached through keeld (virsh console), which libvirt calls a pty." },
			{ NULL, NULL, NULL } }, NULL },
	[EL_CTARGET] = { "target", EL_CONSOLE, false, 0,
		(const struct dx_attr[]){
			{ "type", DX_VALUES("serial"),
			  "keel's console is the guest's serial port." },
			{ "port", DX_VALUES("0"),
			  "keel's guest has one serial port, port 0." },
			{ NULL, NULL, NULL } }, NULL },
	[EL_RNG] = { "rng", EL_DEVICES, false, 0, (const struct dx_attr[]){
		{ "model", DX_VALUES("virtio"),
		  "keel's random number generator is virtio-rng." },
		{ NULL, NULL, NULL } }, NULL },
	[EL_BACKEND] = { "backend", EL_RNG, false, 0, (const struct dx_attr[]){
		{ "model", DX_VALUES("random"),
		  "keel-hv feeds virtio-rng from the host's getrandom()." },
		{ NULL, NULL, NULL } }, check_backend },
	[EL_BALLOON] = { "memballoon", EL_DEVICES, false, 0,
		(const struct dx_attr[]){
			{ "model", DX_VALUES("virtio", "none"),
			  "keel's balloon is virtio's." },
			{ NULL, NULL, NULL } }, NULL },
	/* virt-install --controller usb,model=none: says there is none */
	[EL_CONTROLLER] = { "controller", EL_DEVICES, false, 0,
		(const struct dx_attr[]){
			{ "type", DX_VALUES("usb"),
			  "keel has one PCI bus and places every device on it itself; it has no USB, SATA, SCSI or virtio-serial controller, and accepts only <controller type='usb' model='none'/>, which says so." },
			{ "model", DX_VALUES("none"),
			  "keel has no USB controller; only model='none', which says so, is accepted." },
			{ "index", DX_VALUES("0"),
			  "keel has no USB controller; only model='none', which says so, is accepted." },
			{ NULL, NULL, NULL } }, NULL },
};

/*
 * Why keel refuses the elements people most often meet: @name in any
 * parent, or only in @parent where the same name means something else
 * elsewhere (a <source> of <memoryBacking> is not a disk's).
 */
static const struct {
	const char *name;
	const char *parent;	/* NULL: in any parent */
	const char *why;
} dx_refused[] = {
	{ "graphics", NULL, "keel guests have no display; use the serial console (virsh console)." },
	{ "video", NULL, "keel guests have no display; use the serial console (virsh console)." },
	{ "input", NULL, "keel guests have no keyboard or mouse; use the serial console (virsh console)." },
	{ "sound", NULL, "keel guests have no sound device." },
	{ "address", NULL, "keel places every device on its PCI bus itself." },
	{ "channel", NULL, "keel has no virtio-serial channels (and so no guest agent)." },
	{ "hostdev", NULL, "keel passes no host device through to a guest." },
	{ "filesystem", NULL, "keel shares no host directory with a guest; give it a disk." },
	{ "watchdog", NULL, "keel emulates no watchdog." },
	{ "tpm", NULL, "keel emulates no TPM." },
	{ "loader", NULL, "keel boots a Linux kernel directly and has no firmware." },
	{ "nvram", NULL, "keel boots a Linux kernel directly and has no firmware." },
	{ "description", NULL, "keel keeps no free text with a domain." },
	{ "title", NULL, "keel keeps no free text with a domain." },
	{ "numatune", NULL, "keel does no NUMA placement." },
	{ "maxMemory", NULL, "keel has no memory hot-plug; give <memory> and a smaller <currentMemory> for a balloon." },
	{ "seclabel", NULL, "keel confines keel-hv itself (seccomp, cgroups), without SELinux or AppArmor labels." },
	{ "alias", NULL, "keel names devices itself." },
	/* <memoryBacking>: keel reads <allocation> in it and nothing else */
	{ "hugepages", "memoryBacking", "keel backs guest memory with anonymous memory (transparent huge pages where the host gives them), not hugetlbfs; leave <hugepages> out." },
	{ "nosharepages", "memoryBacking", "keel-hv never offers guest memory to KSM, so it is never shared anyway; leave <nosharepages/> out." },
	{ "locked", "memoryBacking", "keel-hv does not lock guest memory into host RAM; leave <locked/> out (<allocation mode='immediate'/> backs it all when the domain starts)." },
	{ "source", "memoryBacking", "keel backs guest memory with private anonymous memory only, libvirt's default; leave <source> out." },
	{ "access", "memoryBacking", "keel backs guest memory with private anonymous memory only, libvirt's default; leave <access> out." },
	{ "discard", "memoryBacking", "keel's guest memory is private anonymous memory, which the host frees when keel-hv exits; leave <discard/> out." },
};

/* --- reading: the walk over the table ---------------------------------- */

static bool dx_in_keel_ns(const xmlNode *n)
{
	return n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, DOMXML_NS);
}

const char *dx_name(const xmlNode *n)
{
	return (const char *)n->name;
}

static const char *dx_why(const char *name, const char *parent)
{
	for (size_t i = 0; i < sizeof(dx_refused) / sizeof(dx_refused[0]); i++)
		if (!strcmp(dx_refused[i].name, name) &&
		    (!dx_refused[i].parent ||
		     !strcmp(dx_refused[i].parent, parent)))
			return dx_refused[i].why;
	return "keel-virtd(8) lists the domain XML keel reads.";
}

/* The row of @n, a child of an element of row @parent; EL_COUNT: none. */
static enum dx_el dx_row(const xmlNode *n, enum dx_el parent)
{
	enum iotune_bucket b;
	bool burst;

	for (int i = 0; i < EL_COUNT; i++) {
		const struct dx_elem *e = &dx_elems[i];

		if (e->parent != parent || e->keel_ns != dx_in_keel_ns(n))
			continue;
		if (e->keel_ns ? false : n->ns != NULL)
			continue;
		if (e->name ? !strcmp(e->name, dx_name(n)) :
			      iotune_key(IOTUNE_DISK, dx_name(n), &b, &burst))
			return (enum dx_el)i;
	}
	return EL_COUNT;
}

static int dx_unknown(struct dx *d, const xmlNode *n, const xmlNode *parent)
{
	if (n->ns && n->ns->href && !dx_in_keel_ns(n))
		return dx_fail(d, DOMXML_ERR_UNSUPPORTED,
			       "keel does not support <%.64s> of namespace %.128s in <%s>: keel keeps no other application's data with a domain.",
			       dx_name(n), (const char *)n->ns->href,
			       dx_name(parent));
	return dx_fail(d, DOMXML_ERR_UNSUPPORTED,
		       "keel does not support <%.64s> in <%s>: %s", dx_name(n),
		       dx_name(parent), dx_why(dx_name(n), dx_name(parent)));
}

static int dx_check_attrs(struct dx *d, const xmlNode *n, enum dx_el row)
{
	const struct dx_attr *a;

	for (const xmlAttr *at = n->properties; at; at = at->next) {
		const char *name = (const char *)at->name;
		xmlChar *v;
		bool ok;

		for (a = dx_elems[row].attrs; a->name; a++)
			if (!at->ns && !strcmp(a->name, name))
				break;
		if (!a->name)
			return dx_fail(d, DOMXML_ERR_UNSUPPORTED,
				       "keel does not support the attribute %.64s%s%.64s of <%s>%s%s%s; keel-virtd(8) lists the domain XML keel reads.",
				       at->ns && at->ns->prefix ?
					       (const char *)at->ns->prefix :
					       "",
				       at->ns && at->ns->prefix ? ":" : "",
				       name, dx_name(n),
				       n->parent && n->parent->type ==
							    XML_ELEMENT_NODE ?
					       " (in <" :
					       "",
				       n->parent && n->parent->type ==
							    XML_ELEMENT_NODE ?
					       dx_name(n->parent) :
					       "",
				       n->parent && n->parent->type ==
							    XML_ELEMENT_NODE ?
					       ">)" :
					       "");
		if (!a->values)
			continue;
		v = xmlNodeListGetString(n->doc, at->children, 1);
		if (!v)
			return dx_nomem(d);
		ok = false;
		for (const char *const *ok_v = a->values; *ok_v && !ok; ok_v++)
			ok = !strcmp(*ok_v, (const char *)v);
		if (!ok) {
			int rc = dx_fail(d, DOMXML_ERR_UNSUPPORTED,
					 "keel does not support <%s %s='%.64s'>: %s",
					 dx_name(n), name, (const char *)v,
					 a->why);

			xmlFree(v);
			return rc;
		}
		xmlFree(v);
	}
	return 0;
}

/*
 * Refuse, by name, every element and attribute under @n (of row @row)
 * that keel does not know, and a known one given more often than keel
 * reads it. Depth is bounded by the table: an unknown element is
 * refused, not entered.
 */
static int dx_walk(struct dx *d, xmlNode *n, enum dx_el row)
{
	unsigned count[EL_COUNT] = { 0 };
	int rc = dx_check_attrs(d, n, row);

	if (!rc && dx_elems[row].check)
		rc = dx_elems[row].check(d, n);
	for (xmlNode *c = n->children; c && !rc; c = c->next) {
		enum dx_el r;
		unsigned max;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		r = dx_row(c, row);
		if (r == EL_COUNT)
			return dx_unknown(d, c, n);
		max = dx_elems[r].max ? dx_elems[r].max : 1;
		if (++count[r] > max)
			return max == 1 ?
				dx_fail(d, DOMXML_ERR_XML_DETAIL,
					"<%s> is given more than once in <%s>; give it once.",
					dx_name(c), dx_name(n)) :
				dx_fail(d, DOMXML_ERR_XML_DETAIL,
					"<%s> has more than %u <%s> elements, the most keel takes.",
					dx_name(n), max, dx_name(c));
		/* the rows of many names: each name once */
		for (xmlNode *p = c->prev; p && !dx_elems[r].name; p = p->prev)
			if (p->type == XML_ELEMENT_NODE &&
			    !strcmp(dx_name(p), dx_name(c)))
				return dx_fail(d, DOMXML_ERR_XML_DETAIL,
					       "<%s> is given more than once in <%s>; give it once.",
					       dx_name(c), dx_name(n));
		rc = dx_walk(d, c, r);
	}
	return rc;
}

/* --- reading: the tree helpers the mapping shares ----------------------- */

char *dx_text(struct dx *d, xmlNode *n)
{
	xmlChar *x = xmlNodeGetContent(n);
	char *s = x ? strdup((const char *)x) : NULL;

	xmlFree(x);
	if (!s)
		dx_nomem(d);
	return s;
}

char *dx_attr(struct dx *d, xmlNode *n, const char *name, int *rc)
{
	xmlChar *x = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *s;

	*rc = 0;
	if (!x)
		return NULL;
	s = strdup((const char *)x);
	xmlFree(x);
	if (!s)
		*rc = dx_nomem(d);
	return s;
}

xmlNode *dx_child(xmlNode *n, const char *name, bool keel_ns)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp(dx_name(c), name) &&
		    dx_in_keel_ns(c) == keel_ns)
			return c;
	return NULL;
}

char *dx_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* --- reading: the text checks of the table ----------------------------- */

static int check_os_type(struct dx *d, xmlNode *n)
{
	char *s = dx_text(d, n);
	int rc = 0;

	if (!s)
		return -ENOMEM;
	if (strcmp(dx_trim(s), "hvm"))
		rc = dx_fail(d, DOMXML_ERR_UNSUPPORTED,
			     "keel does not support <type>%.64s</type> in <os>: keel boots a Linux kernel in a KVM guest, which libvirt calls <type>hvm</type>.",
			     dx_trim(s));
	free(s);
	return rc;
}

/* What keel's guest has, and has not: no HPET, always the others. */
static int check_timer(struct dx *d, xmlNode *n)
{
	char *name, *present;
	int rc, rc2;

	name = dx_attr(d, n, "name", &rc);
	present = dx_attr(d, n, "present", &rc2);
	if (!rc && !rc2 && name && present) {
		bool hpet = !strcmp(name, "hpet");

		if (strcmp(present, hpet ? "no" : "yes"))
			rc = dx_fail(d, DOMXML_ERR_UNSUPPORTED,
				     "keel does not support <timer name='%s' present='%.64s'>: keel's guest %s.",
				     name, present,
				     hpet ? "has no HPET" :
					    "always has KVM's in-kernel PIT, its RTC and kvmclock");
	}
	free(name);
	free(present);
	return rc ? rc : rc2;
}

static int check_backend(struct dx *d, xmlNode *n)
{
	char *s = dx_text(d, n);
	int rc = 0;

	if (!s)
		return -ENOMEM;
	if (strcmp(dx_trim(s), "/dev/urandom") &&
	    strcmp(dx_trim(s), "/dev/random"))
		rc = dx_fail(d, DOMXML_ERR_UNSUPPORTED,
			     "keel does not support <backend model='random'>%.64s</backend>: keel-hv feeds virtio-rng from the host's getrandom(), which is /dev/urandom's source.",
			     dx_trim(s));
	free(s);
	return rc;
}

/* --- reading: libxml2 and the schema ------------------------------------ */

static pthread_once_t dx_once = PTHREAD_ONCE_INIT;

static void dx_init(void)
{
	xmlInitParser();
}

void domxml_init(void)
{
	pthread_once(&dx_once, dx_init);
}

/* A DOCTYPE is where entities live: refuse it before any is declared. */
static void dx_no_doctype(void *ctx, const xmlChar *name,
			  const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;

	*(bool *)ctxt->_private = true;
	xmlStopParser(ctxt);
}

static xmlDoc *dx_read(struct dx *d, const char *xml)
{
	size_t len = xml ? strnlen(xml, DOMXML_MAX_BYTES + 1) : 0;
	xmlParserCtxtPtr ctxt;
	bool doctype = false;
	xmlDoc *doc;

	if (!xml) {
		dx_fail(d, DOMXML_ERR_XML, "No domain XML was given.");
		return NULL;
	}
	if (len > DOMXML_MAX_BYTES) {
		dx_fail(d, DOMXML_ERR_XML,
			"The domain XML is larger than %d bytes, the most keel reads.",
			DOMXML_MAX_BYTES);
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		dx_nomem(d);
		return NULL;
	}
	ctxt->_private = &doctype;
	ctxt->sax->internalSubset = dx_no_doctype;
	/* no XML_PARSE_NOENT, DTDLOAD or HUGE: nothing is fetched or expanded */
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "domain.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR |
					XML_PARSE_NOWARNING);
	if (doctype) {
		dx_fail(d, DOMXML_ERR_XML,
			"The domain XML has a DOCTYPE, which keel refuses: domain XML needs none, and its entities are a way to attack the reader.");
		xmlFreeDoc(doc);
		doc = NULL;
	} else if (!doc || !ctxt->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char *m = e && e->message ? strdup(e->message) : NULL;

		dx_fail(d, DOMXML_ERR_XML,
			"The domain XML is not well-formed XML (line %d: %s).",
			e ? e->line : 0,
			m ? dx_trim(m) : "no more detail");
		free(m);
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

/* libxml2 2.12 made the structured error handler's error const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError dx_xml_error_t;
#else
typedef xmlError dx_xml_error_t;
#endif

/* The first error libxml2 reports, for a message. */
struct dx_xml_err {
	bool set;
	int line;
	char node[64];
	char msg[256];
};

static void dx_xml_error(void *data, dx_xml_error_t *e)
{
	struct dx_xml_err *x = data;
	const xmlNode *n = e->node;

	/* the first message, and the first element any message names */
	if (!x->set) {
		x->set = true;
		snprintf(x->msg, sizeof(x->msg), "%s",
			 e->message ? e->message : "invalid");
		dx_trim(x->msg);
		x->line = e->line;
	}
	if (!x->node[0] && n && n->type == XML_ELEMENT_NODE) {
		snprintf(x->node, sizeof(x->node), "%s", dx_name(n));
		x->line = (int)xmlGetLineNo(n);
	}
}

/*
 * The compiled schema of each directory asked for, kept for the life of
 * the process (a daemon asks for one): compiling costs milliseconds, and
 * a compiled grammar is only read by validation, so threads share it.
 */
#define DX_SCHEMAS 4
static struct {
	char *path;
	xmlRelaxNGPtr rng;
} dx_schemas[DX_SCHEMAS];
static pthread_mutex_t dx_schemas_lock = PTHREAD_MUTEX_INITIALIZER;

static xmlRelaxNGPtr dx_schema(struct dx *d, const char *dir)
{
	struct dx_xml_err x = { 0 };
	xmlRelaxNGParserCtxtPtr pc;
	xmlRelaxNGPtr rng = NULL;
	char *owned = NULL, *path = NULL;
	int i;

	if (!dir) {
		owned = keel_schema_dir();
		if (!owned) {
			dx_nomem(d);
			return NULL;
		}
		dir = owned;
	}
	if (asprintf(&path, "%s/%s", dir, DOMXML_SCHEMA) < 0) {
		free(owned);
		dx_nomem(d);
		return NULL;
	}
	free(owned);
	pthread_mutex_lock(&dx_schemas_lock);
	for (i = 0; i < DX_SCHEMAS && dx_schemas[i].path; i++)
		if (!strcmp(dx_schemas[i].path, path))
			break;
	if (i < DX_SCHEMAS && dx_schemas[i].path) {
		rng = dx_schemas[i].rng;
		goto out;
	}
	/* said here, in keel's words, rather than by libxml2 on stderr */
	if (access(path, R_OK)) {
		dx_fail(d, DOMXML_ERR_INTERNAL,
			"keel cannot read its domain XML schema %s: %s; is keel installed whole?",
			path, strerror(errno));
		goto out;
	}
	pc = xmlRelaxNGNewParserCtxt(path);
	if (pc) {
		xmlRelaxNGSetParserStructuredErrors(pc, dx_xml_error, &x);
		rng = xmlRelaxNGParse(pc);
		xmlRelaxNGFreeParserCtxt(pc);
	}
	if (!rng) {
		dx_fail(d, DOMXML_ERR_INTERNAL,
			"keel cannot load its domain XML schema %s (%s); is keel installed whole?",
			path, x.set ? x.msg : "no such file");
		goto out;
	}
	if (i < DX_SCHEMAS) {
		dx_schemas[i].path = path;
		dx_schemas[i].rng = rng;
		path = NULL;
	}
	/* past DX_SCHEMAS directories it is not kept: dx_schema_put() frees */
out:
	pthread_mutex_unlock(&dx_schemas_lock);
	free(path);
	return rng;
}

/* Free @rng if dx_schema() did not keep it. */
static void dx_schema_put(xmlRelaxNGPtr rng)
{
	bool kept = false;

	pthread_mutex_lock(&dx_schemas_lock);
	for (int i = 0; i < DX_SCHEMAS; i++)
		kept = kept || dx_schemas[i].rng == rng;
	pthread_mutex_unlock(&dx_schemas_lock);
	if (!kept)
		xmlRelaxNGFree(rng);
}

static int dx_validate(struct dx *d, xmlDoc *doc, const char *schema_dir)
{
	struct dx_xml_err x = { 0 };
	xmlRelaxNGValidCtxtPtr vc;
	xmlRelaxNGPtr rng = dx_schema(d, schema_dir);
	int rc;

	if (!rng)
		return -EINVAL;
	vc = xmlRelaxNGNewValidCtxt(rng);
	if (!vc) {
		dx_schema_put(rng);
		return dx_nomem(d);
	}
	xmlRelaxNGSetValidStructuredErrors(vc, dx_xml_error, &x);
	rc = xmlRelaxNGValidateDoc(vc, doc);
	xmlRelaxNGFreeValidCtxt(vc);
	dx_schema_put(rng);
	if (!rc)
		return 0;
	if (x.node[0])
		return dx_fail(d, DOMXML_ERR_XML_DETAIL,
			       "<%s> on line %d does not follow keel's schema of domain XML (libvirt-domain.rng): %s.",
			       x.node, x.line, x.set ? x.msg : "invalid");
	return dx_fail(d, DOMXML_ERR_XML_DETAIL,
		       "The domain XML does not follow keel's schema of domain XML (libvirt-domain.rng): %s.",
		       x.set ? x.msg : "invalid");
}

/* --- reading: the four steps, in order ---------------------------------- */

struct json_object *domxml_parse(const char *xml, const char *schema_dir,
				 int *code, char **msg)
{
	struct json_object *cfg = NULL;
	struct dx d = { 0 };
	xmlNode *root;
	xmlDoc *doc;

	domxml_init();
	doc = dx_read(&d, xml);
	if (!doc)
		goto out;
	root = xmlDocGetRootElement(doc);
	if (!root || root->ns || strcmp(dx_name(root), "domain"))
		dx_fail(&d, DOMXML_ERR_XML,
			"The document is a <%s>, not the <domain> of libvirt's domain XML.",
			root ? dx_name(root) : "nothing");
	else if (!dx_walk(&d, root, EL_DOMAIN) &&
		 !map_domain(&d, root, &cfg) &&
		 dx_validate(&d, doc, schema_dir)) {
		/* the mapping's words are the better ones; the grammar is the
		 * backstop for what it does not look at */
		json_object_put(cfg);
		cfg = NULL;
	}
	xmlFreeDoc(doc);
out:
	if (cfg) {
		*code = 0;
		*msg = NULL;
		return cfg;
	}
	*code = d.code ? d.code : DOMXML_ERR_INTERNAL;
	*msg = d.msg;
	return NULL;
}
