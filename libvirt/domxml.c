// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libvirt domain XML <-> keel's domain configuration (domxml.h).
 *
 * Reading is four steps, each with its own kind of error:
 *  1. libxml2 reads the bytes: no DOCTYPE (so no entities, internal or
 *     external), no network, at most DOMXML_MAX_BYTES (DOMXML_ERR_XML);
 *  2. one table of the elements and attributes keel knows (dx_elems[])
 *     refuses anything else by name (DOMXML_ERR_UNSUPPORTED), and a
 *     known element given twice (DOMXML_ERR_XML_DETAIL);
 *  3. the mapping turns what is left into the JSON model, refusing a
 *     value that is not one (DOMXML_ERR_XML_DETAIL, naming the element)
 *     and what keel cannot honour in a combination (a cap given twice,
 *     a balloon that is needed and switched off: UNSUPPORTED);
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
#include <limits.h>
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

#include "cpumap.h"
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
	EL_KEEL_RATE, EL_KEEL_IOTUNE, EL_MEMORY, EL_CURMEM, EL_VCPU,
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

/* Why keel refuses the elements people most often meet. */
static const struct {
	const char *name;
	const char *why;
} dx_refused[] = {
	{ "graphics", "keel guests have no display; use the serial console (virsh console)." },
	{ "video", "keel guests have no display; use the serial console (virsh console)." },
	{ "input", "keel guests have no keyboard or mouse; use the serial console (virsh console)." },
	{ "sound", "keel guests have no sound device." },
	{ "address", "keel places every device on its PCI bus itself." },
	{ "channel", "keel has no virtio-serial channels (and so no guest agent)." },
	{ "hostdev", "keel passes no host device through to a guest." },
	{ "filesystem", "keel shares no host directory with a guest; give it a disk." },
	{ "watchdog", "keel emulates no watchdog." },
	{ "tpm", "keel emulates no TPM." },
	{ "loader", "keel boots a Linux kernel directly and has no firmware." },
	{ "nvram", "keel boots a Linux kernel directly and has no firmware." },
	{ "description", "keel keeps no free text with a domain." },
	{ "title", "keel keeps no free text with a domain." },
	{ "numatune", "keel does no NUMA placement." },
	{ "memoryBacking", "keel backs guest memory with anonymous host memory only." },
	{ "maxMemory", "keel has no memory hot-plug; give <memory> and a smaller <currentMemory> for a balloon." },
	{ "seclabel", "keel confines keel-hv itself (seccomp, cgroups), without SELinux or AppArmor labels." },
	{ "alias", "keel names devices itself." },
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

static const char *dx_why(const char *name)
{
	for (size_t i = 0; i < sizeof(dx_refused) / sizeof(dx_refused[0]); i++)
		if (!strcmp(dx_refused[i].name, name))
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
		       dx_name(parent), dx_why(dx_name(n)));
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

/* --- reading: small helpers -------------------------------------------- */

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

/* The disk names of schemas/domain.schema.json: (xvd|vd|hd|sd)[a-z]{1,3}. */
static bool dx_is_vdev(const char *s)
{
	size_t n;

	if (!s)
		return false;
	s += !strncmp(s, "xvd", 3) ? 3 :
	     (!strncmp(s, "vd", 2) || !strncmp(s, "hd", 2) ||
	      !strncmp(s, "sd", 2)) ?
					2 :
					0;
	n = strlen(s);
	if (n < 1 || n > 3)
		return false;
	for (; *s; s++)
		if (*s < 'a' || *s > 'z')
			return false;
	return true;
}

/* Six hex pairs with ':', unicast (the first byte even). */
static bool dx_is_mac(const char *s)
{
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	return !s[17] && !(strchr("13579bdfBDF", s[1]) && s[1]);
}

/* Linux's rules for an interface name, as schemas/ spells them. */
static bool dx_is_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 15)
		return false;
	for (; *s; s++)
		if (strchr("/:,=", *s) || isspace((unsigned char)*s) ||
		    iscntrl((unsigned char)*s))
			return false;
	return true;
}

/* Digits only (white space around them aside), without overflow. */
static bool dx_ull(const char *s, unsigned long long *v)
{
	*v = 0;
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++) {
		if (*v > (ULLONG_MAX - (unsigned)(*s - '0')) / 10)
			return false;
		*v = *v * 10 + (unsigned)(*s - '0');
	}
	while (isspace((unsigned char)*s))
		s++;
	return !*s;
}

/*
 * The number in @n's text (or, with @attr, in that attribute; absent:
 * *@set false), refused in words naming @n when it is not one.
 */
static int dx_num(struct dx *d, xmlNode *n, const char *attr,
		  unsigned long long *v, bool *set)
{
	char *s;
	int rc = 0;

	*v = 0;
	if (set)
		*set = false;
	if (!n)
		return 0;
	s = attr ? dx_attr(d, n, attr, &rc) : dx_text(d, n);
	if (!s)
		return attr ? rc : -ENOMEM;
	if (!dx_ull(s, v))
		rc = attr ? dx_fail(d, DOMXML_ERR_XML_DETAIL,
				    "<%s %s='%.64s'> is not a whole number from 0 to %llu.",
				    dx_name(n), attr, s, ULLONG_MAX) :
			    dx_fail(d, DOMXML_ERR_XML_DETAIL,
				    "<%s> holds '%.64s', which is not a whole number from 0 to %llu.",
				    dx_name(n), s, ULLONG_MAX);
	else if (set)
		*set = true;
	free(s);
	return rc;
}

/* Add @v (a new object; put on failure) to @o as @key. */
static int dx_add(struct dx *d, struct json_object *o, const char *key,
		  struct json_object *v)
{
	if (!v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		return dx_nomem(d);
	}
	return 0;
}

static int dx_add_str(struct dx *d, struct json_object *o, const char *key,
		      const char *s)
{
	return dx_add(d, o, key, json_object_new_string(s));
}

static int dx_add_int(struct dx *d, struct json_object *o, const char *key,
		      long long v)
{
	return dx_add(d, o, key, json_object_new_int64(v));
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

/* --- reading: the mapping ----------------------------------------------- */

/* The members of the model, in the order schemas/ and xlcfg print them. */
enum dx_field {
	F_NAME, F_UUID, F_MEMORY, F_MAXMEM, F_VCPUS, F_MAXVCPUS, F_CPUS,
	F_CPU_WEIGHT, F_CAP, F_KERNEL, F_RAMDISK, F_CMDLINE, F_RNG,
	F_ON_POWEROFF, F_ON_REBOOT, F_ON_CRASH, F_DISKS, F_NICS, F_COUNT
};

static const char *const dx_fields[F_COUNT] = {
	"name", "uuid", "memory", "maxmem", "vcpus", "maxvcpus", "cpus",
	"cpu_weight", "cap", "kernel", "ramdisk", "cmdline", "rng",
	"on_poweroff", "on_reboot", "on_crash", "disks", "nics",
};

struct dx_map {
	struct dx *d;
	struct json_object *f[F_COUNT];
	long long vcpus;	/* online at boot */
	long long maxvcpus;	/* all, as <vcpu> counts them */
};

/* f[@i] = @v (a new object, NULL when out of memory). */
static int map_set(struct dx_map *m, enum dx_field i, struct json_object *v)
{
	if (!v)
		return dx_nomem(m->d);
	json_object_put(m->f[i]);
	m->f[i] = v;
	return 0;
}

static int map_set_text(struct dx_map *m, enum dx_field i, xmlNode *n,
			bool trim)
{
	char *s;
	int rc;

	if (!n)
		return 0;
	s = dx_text(m->d, n);
	if (!s)
		return -ENOMEM;
	rc = map_set(m, i, json_object_new_string(trim ? dx_trim(s) : s));
	free(s);
	return rc;
}

/* libvirt's 8-4-4-4-12 or 32 hex digits, as keel writes it. */
static int map_uuid(struct dx_map *m, xmlNode *n)
{
	char hex[33], out[37], *s;
	size_t i, j = 0;

	if (!n)
		return 0;
	s = dx_text(m->d, n);
	if (!s)
		return -ENOMEM;
	for (i = 0; s[i] && j < 32; i++)
		if (isxdigit((unsigned char)s[i]))
			hex[j++] = (char)tolower((unsigned char)s[i]);
	hex[j] = '\0';
	free(s);
	if (j != 32) /* the schema's pattern let nothing else through */
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<uuid> is not a UUID of 32 hex digits.");
	snprintf(out, sizeof(out), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
		 hex + 12, hex + 16, hex + 20);
	return map_set(m, F_UUID, json_object_new_string(out));
}

/* libvirt's memory units; a number without one is in KiB. */
static const struct {
	const char *unit;
	unsigned long long bytes;
} dx_units[] = {
	{ "b", 1ULL }, { "bytes", 1ULL },
	{ "KB", 1000ULL }, { "k", 1ULL << 10 }, { "KiB", 1ULL << 10 },
	{ "MB", 1000000ULL }, { "M", 1ULL << 20 }, { "MiB", 1ULL << 20 },
	{ "GB", 1000000000ULL }, { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
	{ "TB", 1000000000000ULL }, { "T", 1ULL << 40 }, { "TiB", 1ULL << 40 },
};

/*
 * @n's size in MiB, rounded up to a whole MiB as libvirt's KVM driver
 * rounds guest memory (docs/libvirt.md, "Domain XML").
 */
static int map_mib(struct dx_map *m, xmlNode *n, long long *mib)
{
	unsigned long long v, mult = 0, bytes;
	char *unit;
	int rc = dx_num(m->d, n, NULL, &v, NULL);

	if (rc)
		return rc;
	unit = dx_attr(m->d, n, "unit", &rc);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(dx_units) / sizeof(dx_units[0]); i++)
		if (!strcmp(unit ? unit : "KiB", dx_units[i].unit))
			mult = dx_units[i].bytes;
	if (!mult)
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<%s unit='%.64s'> is not a unit libvirt knows; use KiB, MiB or GiB.",
			     dx_name(n), unit);
	else if (v > ULLONG_MAX / mult)
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<%s> of %llu %s is more memory than any host has.",
			     dx_name(n), v, unit ? unit : "KiB");
	free(unit);
	if (rc)
		return rc;
	bytes = v * mult;
	*mib = (long long)((bytes >> 20) + ((bytes & ((1ULL << 20) - 1)) != 0));
	return 0;
}

/*
 * <memory> is the most the domain can have (keel's maxmem),
 * <currentMemory> what it boots with (keel's memory); the difference is
 * the balloon's.
 */
static int map_memory(struct dx_map *m, xmlNode *root)
{
	xmlNode *max = dx_child(root, "memory", false);
	xmlNode *cur = dx_child(root, "currentMemory", false);
	long long mx, c;
	int rc;

	if (!max && cur)
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<currentMemory> is given without <memory>, the most memory the domain can have; give both.");
	if (!max)
		return 0;
	rc = map_mib(m, max, &mx);
	if (!rc && cur)
		rc = map_mib(m, cur, &c);
	else
		c = mx;
	if (rc)
		return rc;
	if (c > mx)
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<currentMemory> (%lld MiB) is more than <memory> (%lld MiB), the most memory the domain can have.",
			       c, mx);
	rc = map_set(m, F_MEMORY, json_object_new_int64(c));
	if (!rc && c < mx)
		rc = map_set(m, F_MAXMEM, json_object_new_int64(mx));
	return rc;
}

/* A CPU list as lib/cpumap.c reads it (xl's, which is libvirt's). */
static int map_cpulist(struct dx_map *m, xmlNode *n, const char *s)
{
	char err[CPUMAP_ERR_MAX];
	struct cpumap any, out;

	memset(&any, 0xff, sizeof(any));
	if (cpumap_parse(s, &any, &out, err))
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "In <%s cpuset='%.64s'>: %s", dx_name(n), s, err);
	return 0;
}

/* <vcpu current='ONLINE' cpuset='LIST'>ALL</vcpu> */
static int map_vcpu(struct dx_map *m, xmlNode *root, char **cpuset)
{
	xmlNode *n = dx_child(root, "vcpu", false);
	unsigned long long all, cur;
	bool has_cur;
	int rc;

	m->vcpus = m->maxvcpus = 1;
	*cpuset = NULL;
	if (!n)
		return 0;
	rc = dx_num(m->d, n, NULL, &all, NULL);
	if (!rc)
		rc = dx_num(m->d, n, "current", &cur, &has_cur);
	if (rc)
		return rc;
	if (all < 1 || all > DOMXML_MAX_VCPUS)
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<vcpu> is %llu; keel gives a domain 1 to %d vCPUs.",
			       all, DOMXML_MAX_VCPUS);
	if (has_cur && (cur < 1 || cur > all))
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<vcpu current='%llu'> must be from 1 to the domain's %llu vCPUs.",
			       cur, all);
	m->maxvcpus = (long long)all;
	m->vcpus = has_cur ? (long long)cur : m->maxvcpus;
	rc = map_set(m, F_VCPUS, json_object_new_int64(m->vcpus));
	if (!rc && m->vcpus < m->maxvcpus)
		rc = map_set(m, F_MAXVCPUS, json_object_new_int64(m->maxvcpus));
	if (rc)
		return rc;
	*cpuset = dx_attr(m->d, n, "cpuset", &rc);
	if (!rc && *cpuset)
		rc = map_cpulist(m, n, *cpuset);
	return rc;
}

/*
 * keel's cpus: a list for every vCPU (<vcpu cpuset>), or one per vCPU
 * (<vcpupin>); a vCPU without a vcpupin takes cpuset, or every CPU.
 */
static int map_pins(struct dx_map *m, xmlNode *tune, const char *cpuset)
{
	char *pins[DOMXML_MAX_VCPUS] = { NULL };
	struct json_object *arr = NULL;
	long long n = 0, i;
	int rc = 0;

	for (xmlNode *c = tune ? tune->children : NULL; c && !rc; c = c->next) {
		unsigned long long v;
		char *set;

		if (c->type != XML_ELEMENT_NODE || strcmp(dx_name(c), "vcpupin"))
			continue;
		rc = dx_num(m->d, c, "vcpu", &v, NULL);
		if (rc)
			break;
		if (v >= (unsigned long long)m->maxvcpus) {
			rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				     "<vcpupin vcpu='%llu'> names a vCPU the domain does not have: it has %lld, from 0.",
				     v, m->maxvcpus);
			break;
		}
		if (pins[v]) {
			rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				     "vCPU %llu has two <vcpupin> elements; give one.",
				     v);
			break;
		}
		set = dx_attr(m->d, c, "cpuset", &rc);
		if (!rc && !set)
			rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				     "<vcpupin vcpu='%llu'> has no cpuset.", v);
		if (!rc)
			rc = map_cpulist(m, c, set);
		pins[v] = set;
		if (!rc && (long long)v >= n)
			n = (long long)v + 1;
	}
	if (!rc && !n && cpuset)
		rc = map_set(m, F_CPUS, json_object_new_string(cpuset));
	/* with a cpuset, every vCPU is pinned; without, those up to the last pin */
	if (!rc && n && cpuset)
		n = m->maxvcpus;
	/*
	 * and not past the last that is pinned at all: a vCPU past the end
	 * of keel's array is not pinned, as one pinned to "all" is not
	 */
	while (!rc && n &&
	       !strcmp(pins[n - 1] ? pins[n - 1] : cpuset ? cpuset : "all",
		       "all"))
		n--;
	if (!rc && n) {
		arr = json_object_new_array();
		for (i = 0; arr && i < n; i++) {
			const char *s = pins[i] ? pins[i] :
					cpuset	? cpuset :
						  "all";
			struct json_object *item = json_object_new_string(s);

			if (!item || json_object_array_add(arr, item)) {
				json_object_put(item);
				break;
			}
		}
		rc = arr && i == n ? map_set(m, F_CPUS, arr) :
				     (json_object_put(arr), dx_nomem(m->d));
	}
	for (i = 0; i < DOMXML_MAX_VCPUS; i++)
		free(pins[i]);
	return rc;
}

/*
 * keel's cap is one limit for the whole domain, in percent of a host
 * CPU: <global_quota>/<global_period> is exactly that; libvirt's
 * per-vCPU <quota>/<period> becomes the same share of every online vCPU
 * together. A quota of 0 or less is no limit, as in libvirt.
 */
static int map_cap(struct dx_map *m, xmlNode *tune)
{
	xmlNode *q = dx_child(tune, "quota", false);
	xmlNode *gq = dx_child(tune, "global_quota", false);
	xmlNode *qn = gq ? gq : q;
	xmlNode *pn = dx_child(tune, gq ? "global_period" : "period", false);
	unsigned long long period = DOMXML_PERIOD_US;
	long long signed_quota, cap;
	char *s, *t, *end;
	int rc;

	if (q && gq)
		return dx_fail(m->d, DOMXML_ERR_UNSUPPORTED,
			       "keel does not support both <quota> and <global_quota> in <cputune>: keel has one CPU cap for the whole domain; give one of them.");
	if (!qn)
		return 0;
	s = dx_text(m->d, qn);
	if (!s)
		return -ENOMEM;
	t = dx_trim(s);
	errno = 0;
	signed_quota = strtoll(t, &end, 10);
	rc = errno || end == t || *end ?
		     dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<%s> is not a whole number of microseconds.",
			     dx_name(qn)) :
		     0;
	free(s);
	if (!rc && pn)
		rc = dx_num(m->d, pn, NULL, &period, NULL);
	if (rc || signed_quota <= 0)
		return rc;
	rc = domxml_quota_to_cap(signed_quota, period,
				 gq ? 1 : (long long)m->vcpus, &cap);
	if (rc == -EDOM)
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<%s> is %llu; libvirt's period is from 1000 to 1000000 microseconds.",
			       dx_name(pn), period);
	if (rc)
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<%s> is %lld, more than libvirt's largest quota, 17592186044415.",
			       dx_name(qn), signed_quota);
	return map_set(m, F_CAP, json_object_new_int64(cap));
}

int domxml_quota_to_cap(long long quota, unsigned long long period,
			long long vcpus, long long *cap)
{
	unsigned long long c;

	if (period < 1000 || period > 1000000)
		return -EDOM;
	if (quota > DOMXML_QUOTA_MAX)
		return -ERANGE;
	if (quota <= 0) {
		*cap = 0;
		return 0;
	}
	c = (unsigned long long)quota * 100 * (unsigned long long)vcpus;
	c = (c + period / 2) / period;
	*cap = c ? (long long)c : 1;
	return 0;
}

long long domxml_cap_to_quota(long long cap, unsigned long long period,
			      long long vcpus)
{
	if (cap <= 0)
		return -1;
	return cap * (long long)period / 100 / (vcpus > 0 ? vcpus : 1);
}

int domxml_shares_to_weight(unsigned long long shares, long long *weight)
{
	unsigned long long w = (shares + 2) / 4;

	if (shares < 1 || w > 65535)
		return -ERANGE;
	*weight = w ? (long long)w : 1;
	return 0;
}

long long domxml_weight_to_shares(long long weight)
{
	return weight * 4;
}

/* <shares> is cgroup v1's cpu.shares, which is keel's weight × 4. */
static int map_cputune(struct dx_map *m, xmlNode *root, const char *cpuset)
{
	xmlNode *tune = dx_child(root, "cputune", false);
	unsigned long long shares;
	bool set;
	int rc = dx_num(m->d, dx_child(tune, "shares", false), NULL, &shares,
			&set);

	if (!rc && set) {
		long long w;

		if (domxml_shares_to_weight(shares, &w))
			return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				       "<shares> is %llu; keel's weight is <shares>/4, so give 4 to 262140.",
				       shares);
		rc = map_set(m, F_CPU_WEIGHT, json_object_new_int64(w));
	}
	if (!rc)
		rc = map_pins(m, tune, cpuset);
	if (!rc && tune)
		rc = map_cap(m, tune);
	return rc;
}

static int map_os(struct dx_map *m, xmlNode *root)
{
	xmlNode *os = dx_child(root, "os", false);
	xmlNode *kernel = dx_child(os, "kernel", false);
	int rc;

	if (!kernel)
		return dx_fail(m->d, DOMXML_ERR_UNSUPPORTED,
			       "keel does not support a domain without <kernel> in <os>: keel boots a Linux kernel directly, with no firmware to boot a disk.");
	rc = map_set_text(m, F_KERNEL, kernel, false);
	if (!rc)
		rc = map_set_text(m, F_RAMDISK, dx_child(os, "initrd", false),
				  false);
	if (!rc)
		rc = map_set_text(m, F_CMDLINE, dx_child(os, "cmdline", false),
				  false);
	return rc;
}

/* Is @o's member @key a string equal to @s? */
static bool dx_same(struct json_object *o, const char *key, const char *s)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       !strcmp(json_object_get_string(v), s);
}

/* Does another item of @arr before @item have @key equal to @item's? */
static bool dx_dup(struct json_object *arr, struct json_object *item,
		   const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(item, key, &v))
		return false;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (dx_same(json_object_array_get_idx(arr, i), key,
			    json_object_get_string(v)))
			return true;
	return false;
}

static int map_disk(struct dx_map *m, xmlNode *n, struct json_object *disk)
{
	xmlNode *src = dx_child(n, "source", false);
	xmlNode *io = dx_child(n, "iotune", false);
	struct json_object *limits;
	char *type, *path, *dev;
	bool file;
	int rc;

	type = dx_attr(m->d, n, "type", &rc);
	if (rc)
		return rc;
	file = !type || !strcmp(type, "file");
	free(type);
	path = dx_attr(m->d, src, file ? "file" : "dev", &rc);
	if (!rc && !path)
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<disk type='%s'> needs <source %s='PATH'/>.",
			     file ? "file" : "block", file ? "file" : "dev");
	dev = rc ? NULL :
		   dx_attr(m->d, dx_child(n, "target", false), "dev", &rc);
	if (!rc && !dx_is_vdev(dev))
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<target dev='%.64s'> of <disk> is not a disk name keel knows; use vda, vdb and so on (xvdX, sdX and hdX are read as xl reads them).",
			     dev ? dev : "");
	if (!rc)
		rc = dx_add_str(m->d, disk, "vdev", dev);
	if (!rc)
		rc = dx_add_str(m->d, disk, "path", path);
	free(dev);
	free(path);
	/* keel reads raw images only: the model says so, as xl's does */
	if (!rc)
		rc = dx_add_str(m->d, disk, "format", "raw");
	if (!rc)
		rc = dx_add(m->d, disk, "readonly",
			    json_object_new_boolean(
				    dx_child(n, "readonly", false) != NULL));
	if (rc || !io)
		return rc;
	limits = json_object_new_object();
	rc = dx_add(m->d, disk, "iotune", limits);
	for (xmlNode *c = io->children; c && !rc; c = c->next) {
		unsigned long long v;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		rc = dx_num(m->d, c, NULL, &v, NULL);
		if (!rc && v > IOTUNE_VALUE_MAX)
			rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				     "<%s> is %llu; keel's largest limit is %llu.",
				     dx_name(c), v, IOTUNE_VALUE_MAX);
		if (!rc && v)
			rc = dx_add_int(m->d, limits, dx_name(c), (long long)v);
	}
	/* limits of 0 are none: no iotune, as the XML will say (fuzz_domxml) */
	if (!rc && !json_object_object_length(limits))
		json_object_object_del(disk, "iotune");
	return rc;
}

/* libvirt's <inbound>/<outbound>: average in KiB/s, burst in KiB. */
static int map_bandwidth(struct dx_map *m, xmlNode *bw, const char *dir,
			 const char *prefix, struct json_object *limits)
{
	xmlNode *n = dx_child(bw, dir, false);
	unsigned long long avg, burst;
	bool has_burst;
	char key[32];
	int rc;

	if (!n)
		return 0;
	rc = dx_num(m->d, n, "average", &avg, NULL);
	if (!rc)
		rc = dx_num(m->d, n, "burst", &burst, &has_burst);
	if (rc)
		return rc;
	if (avg > IOTUNE_VALUE_MAX / 1024 || burst > IOTUNE_VALUE_MAX / 1024)
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<%s> asks for more than keel's largest limit, %llu KiB.",
			       dir, IOTUNE_VALUE_MAX / 1024);
	snprintf(key, sizeof(key), "%s_bytes_sec", prefix);
	rc = avg ? dx_add_int(m->d, limits, key, (long long)avg * 1024) : 0;
	snprintf(key, sizeof(key), "%s_bytes_burst", prefix);
	if (!rc && burst)
		rc = dx_add_int(m->d, limits, key, (long long)burst * 1024);
	return rc;
}

/* <@elem @attr='NAME'/> of <interface> @n, a Linux interface name. */
static int map_ifname(struct dx_map *m, xmlNode *n, const char *elem,
		      const char *attr, struct json_object *nic,
		      const char *key)
{
	int rc;
	char *s = dx_attr(m->d, dx_child(n, elem, false), attr, &rc);

	if (!rc && s && !dx_is_ifname(s))
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<%s %s='%.64s'> of <interface> is not a network interface name: 1 to 15 characters, none of them '/', ':', ',', '=' or white space.",
			     elem, attr, s);
	if (!rc && s)
		rc = dx_add_str(m->d, nic, key, s);
	free(s);
	return rc;
}

static int map_nic(struct dx_map *m, xmlNode *n, struct json_object *nic)
{
	xmlNode *bw = dx_child(n, "bandwidth", false);
	struct json_object *limits;
	char *mac;
	int rc;

	mac = dx_attr(m->d, dx_child(n, "mac", false), "address", &rc);
	for (char *p = mac; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!rc && mac && !dx_is_mac(mac))
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<mac address='%.64s'> is not a unicast MAC address; write six hex pairs with an even first byte, such as 52:54:00:12:34:56.",
			     mac);
	if (!rc && mac)
		rc = dx_add_str(m->d, nic, "mac", mac);
	free(mac);
	if (!rc)
		rc = map_ifname(m, n, "source", "bridge", nic, "bridge");
	if (!rc)
		rc = map_ifname(m, n, "target", "dev", nic, "tap");
	if (rc || !bw)
		return rc;
	limits = json_object_new_object();
	rc = dx_add(m->d, nic, "iotune", limits);
	if (!rc)
		rc = map_bandwidth(m, bw, "outbound", "tx", limits);
	if (!rc)
		rc = map_bandwidth(m, bw, "inbound", "rx", limits);
	if (!rc && !json_object_object_length(limits))
		json_object_object_del(nic, "iotune");
	return rc;
}

/* A list of the <@name> elements of <devices>, each read by @fn. */
static int map_list(struct dx_map *m, xmlNode *devs, const char *name,
		    const char *unique, enum dx_field f,
		    int (*fn)(struct dx_map *, xmlNode *, struct json_object *))
{
	struct json_object *arr = NULL, *item;
	int rc = 0;

	for (xmlNode *c = devs ? devs->children : NULL; c && !rc;
	     c = c->next) {
		if (c->type != XML_ELEMENT_NODE || strcmp(dx_name(c), name))
			continue;
		if (!arr) {
			arr = json_object_new_array();
			if (!arr)
				return dx_nomem(m->d);
		}
		item = json_object_new_object();
		if (!item)
			rc = dx_nomem(m->d);
		if (!rc)
			rc = fn(m, c, item);
		if (!rc && dx_dup(arr, item, unique)) {
			struct json_object *v;

			json_object_object_get_ex(item, unique, &v);
			rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				     "Two <%s> elements use %s %s; each must have its own.",
				     name, !strcmp(unique, "mac") ?
						   "MAC address" :
						   "target dev",
				     json_object_get_string(v));
		}
		if (!rc && json_object_array_add(arr, item))
			rc = dx_nomem(m->d);
		if (rc)
			json_object_put(item);
	}
	if (rc) {
		json_object_put(arr);
		return rc;
	}
	return arr ? map_set(m, f, arr) : 0;
}

/* keel's own <metadata>: what <interface> cannot say of NIC @index. */
static int map_keel_nic(struct dx_map *m, xmlNode *n)
{
	xmlNode *rate = dx_child(n, "rate", true);
	xmlNode *io = dx_child(n, "iotune", true);
	struct json_object *nic, *limits, *o;
	unsigned long long index, v;
	int rc = dx_num(m->d, n, "index", &index, NULL);

	if (rc)
		return rc;
	if (!m->f[F_NICS] || index >= json_object_array_length(m->f[F_NICS]))
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<keel:nic index='%llu'> names an <interface> the domain does not have; index counts them from 0.",
			       index);
	nic = json_object_array_get_idx(m->f[F_NICS], index);
	if (rate) {
		unsigned long long bps, us;

		if (json_object_object_get_ex(nic, "rate", NULL))
			return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				       "NIC %llu has two <keel:nic> elements; give one.",
				       index);
		rc = dx_num(m->d, rate, "bytes_per_sec", &bps, NULL);
		if (!rc)
			rc = dx_num(m->d, rate, "interval_us", &us, NULL);
		if (rc)
			return rc;
		o = json_object_new_object();
		rc = dx_add(m->d, nic, "rate", o);
		if (!rc)
			rc = dx_add_int(m->d, o, "bytes_per_sec", (long long)bps);
		if (!rc)
			rc = dx_add_int(m->d, o, "interval_us", (long long)us);
		if (rc)
			return rc;
	}
	if (!io)
		return 0;
	if (!json_object_object_get_ex(nic, "iotune", &limits)) {
		limits = json_object_new_object();
		rc = dx_add(m->d, nic, "iotune", limits);
	}
	for (xmlAttr *a = io->properties; a && !rc; a = a->next) {
		const char *key = (const char *)a->name;
		bool set;

		if (json_object_object_get_ex(limits, key, NULL))
			return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				       "NIC %llu's %s is given twice, in <bandwidth> and in keel's <metadata>; give it once.",
				       index, key);
		rc = dx_num(m->d, io, key, &v, &set);
		if (!rc && v)
			rc = dx_add_int(m->d, limits, key, (long long)v);
	}
	if (!rc && !json_object_object_length(limits))
		json_object_object_del(nic, "iotune");
	return rc;
}

static int map_devices(struct dx_map *m, xmlNode *root)
{
	xmlNode *devs = dx_child(root, "devices", false);
	xmlNode *meta = dx_child(dx_child(root, "metadata", false), "domain",
				 true);
	xmlNode *balloon = dx_child(devs, "memballoon", false);
	int rc;

	rc = map_list(m, devs, "disk", "vdev", F_DISKS, map_disk);
	if (!rc)
		rc = map_list(m, devs, "interface", "mac", F_NICS, map_nic);
	for (xmlNode *c = meta ? meta->children : NULL; c && !rc; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			rc = map_keel_nic(m, c);
	if (!rc)
		rc = map_set(m, F_RNG,
			     json_object_new_boolean(
				     dx_child(devs, "rng", false) != NULL));
	if (!rc && balloon && m->f[F_MAXMEM]) {
		char *model = dx_attr(m->d, balloon, "model", &rc);

		if (!rc && model && !strcmp(model, "none"))
			rc = dx_fail(m->d, DOMXML_ERR_UNSUPPORTED,
				     "keel does not support <memballoon model='none'> with <currentMemory> below <memory>: the difference is the balloon's; give equal sizes, or keep the balloon.");
		free(model);
	}
	return rc;
}

/* The name rules of schemas/domain.schema.json, in words. */
static int map_name(struct dx_map *m, xmlNode *n)
{
	char *s;
	size_t i;
	int rc = 0;

	if (!n)
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "The domain has no <name>; every domain needs one.");
	s = dx_text(m->d, n);
	if (!s)
		return -ENOMEM;
	for (i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			break;
	if (s[i] || !i || i > 64 || s[0] == '-')
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<name>%.80s</name> is not a domain name: 1 to 64 letters, digits, '_', '.' or '-', not starting with '-'.",
			     s);
	if (!rc)
		rc = map_set(m, F_NAME, json_object_new_string(s));
	free(s);
	return rc;
}

/* keel's actions (schemas/domain.schema.json), which are libvirt's. */
static int map_action(struct dx_map *m, enum dx_field f, xmlNode *n)
{
	static const char *const ok[] = {
		"destroy", "restart", "preserve", "rename-restart",
		"coredump-destroy", "coredump-restart",
	};
	char *s, *t;
	int rc = -1;

	if (!n)
		return 0;
	s = dx_text(m->d, n);
	if (!s)
		return -ENOMEM;
	t = dx_trim(s);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]) && rc; i++)
		if (!strcmp(t, ok[i]))
			rc = map_set(m, f, json_object_new_string(t));
	if (rc == -1)
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<%s>%.64s</%s> is not an action keel knows; use destroy, restart, preserve, rename-restart, coredump-destroy or coredump-restart.",
			     dx_fields[f], t, dx_fields[f]);
	free(s);
	return rc;
}

int map_domain(struct dx *d, xmlNode *root, struct json_object **out)
{
	static const char *const actions[] = { "on_poweroff", "on_reboot",
					       "on_crash" };
	struct dx_map m = { .d = d };
	struct json_object *cfg = NULL;
	char *cpuset = NULL;
	int rc, i;

	rc = map_name(&m, dx_child(root, "name", false));
	if (!rc)
		rc = map_uuid(&m, dx_child(root, "uuid", false));
	if (!rc)
		rc = map_memory(&m, root);
	if (!rc)
		rc = map_vcpu(&m, root, &cpuset);
	if (!rc)
		rc = map_cputune(&m, root, cpuset);
	free(cpuset);
	if (!rc)
		rc = map_os(&m, root);
	for (i = 0; i < 3 && !rc; i++)
		rc = map_action(&m, F_ON_POWEROFF + i,
				dx_child(root, actions[i], false));
	if (!rc)
		rc = map_devices(&m, root);
	if (!rc) {
		cfg = json_object_new_object();
		if (!cfg)
			rc = dx_nomem(d);
	}
	for (i = 0; i < F_COUNT; i++) {
		if (!rc && m.f[i]) {
			rc = dx_add(d, cfg, dx_fields[i], m.f[i]);
			m.f[i] = NULL;
		}
		json_object_put(m.f[i]);
	}
	if (rc) {
		json_object_put(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

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
