// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CONNECT_GET_CAPABILITIES and CONNECT_GET_DOMAIN_CAPABILITIES: what
 * keel offers (and CONNECT_GET_SYSINFO, CONNECT_GET_MAX_VCPUS, what the
 * host is), as libvirt's capabilities XML, written with libxml2's
 * xmlTextWriter. Tools read these to decide whether they may create a
 * guest at all: virt-install looks for a guest of os_type hvm, arch
 * x86_64 and domain type kvm; the emulator it names is keel-hv.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/xmlwriter.h>

#include "hv_proto.h"
#include "virt_error.h"
#include "virt_handlers.h"
#include "virt_host.h"
#include "virt_server.h"

/* xmlTextWriter with one buffer; every call's failure is kept in @rc. */
struct caps_xml {
	xmlBufferPtr buf;
	xmlTextWriterPtr w;
	int rc;
};

static int xml_begin(struct caps_xml *x)
{
	x->rc = 0;
	x->buf = xmlBufferCreate();
	x->w = x->buf ? xmlNewTextWriterMemory(x->buf, 0) : NULL;
	if (!x->w) {
		if (x->buf)
			xmlBufferFree(x->buf);
		return -ENOMEM;
	}
	xmlTextWriterSetIndent(x->w, 1);
	xmlTextWriterSetIndentString(x->w, BAD_CAST "  ");
	return 0;
}

static void xml_open(struct caps_xml *x, const char *name)
{
	if (xmlTextWriterStartElement(x->w, BAD_CAST name) < 0)
		x->rc = -1;
}

static void xml_close(struct caps_xml *x)
{
	if (xmlTextWriterEndElement(x->w) < 0)
		x->rc = -1;
}

static void xml_attr(struct caps_xml *x, const char *name, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));

static void xml_attr(struct caps_xml *x, const char *name, const char *fmt,
		     ...)
{
	char value[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value) <
	    0)
		x->rc = -1;
}

static void xml_text(struct caps_xml *x, const char *name, const char *text)
{
	if (xmlTextWriterWriteElement(x->w, BAD_CAST name, BAD_CAST text) < 0)
		x->rc = -1;
}

/* An element with attributes and no content: <name a='b'/>. */
static void xml_empty(struct caps_xml *x, const char *name, const char *attr,
		      const char *value)
{
	xml_open(x, name);
	if (attr)
		xml_attr(x, attr, "%s", value);
	xml_close(x);
}

/* The document, or NULL; frees the writer either way. */
static char *xml_end(struct caps_xml *x)
{
	char *s = NULL;

	if (xmlTextWriterEndDocument(x->w) < 0)
		x->rc = -1;
	xmlFreeTextWriter(x->w);
	if (!x->rc)
		s = strdup((const char *)xmlBufferContent(x->buf));
	xmlBufferFree(x->buf);
	return s;
}

/* /etc/machine-id as a uuid, so that the host's uuid is stable. */
static int host_uuid(char *out, size_t size)
{
	char id[40] = "";
	FILE *f = fopen("/etc/machine-id", "re");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%32[0-9a-f]", id);
	fclose(f);
	if (n != 1 || strlen(id) != 32)
		return -1;
	snprintf(out, size, "%.8s-%.4s-%.4s-%.4s-%.12s", id, id + 8, id + 12,
		 id + 16, id + 20);
	return 0;
}

/* "AMD" or "Intel" from /proc/cpuinfo; NULL for another or none. */
static const char *host_vendor(void)
{
	char line[256];
	const char *v = NULL;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return NULL;
	while (!v && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "vendor_id", 9))
			continue;
		if (strstr(line, "AuthenticAMD"))
			v = "AMD";
		else if (strstr(line, "GenuineIntel"))
			v = "Intel";
		break;
	}
	fclose(f);
	return v;
}

static int set_xml(struct virt_call *call, struct vx_string_ret *r, char *s)
{
	if (!s)
		return virt_call_error(call, VIR_ERR_INTERNAL_ERROR,
				       "%s: cannot write the XML.",
				       call->proc->name);
	r->str = s;
	return 0;
}

int virt_h_get_capabilities(struct virt_call *call, void *args, void *ret)
{
	struct keel_conn *kc = virt_call_keel(call);
	struct keel_host_info info;
	const char *vendor = host_vendor();
	int sockets, cores, threads;
	struct caps_xml x;
	char uuid[40];

	if (!kc)
		return -1;
	if (keel_host_info(kc, &info))
		return virt_call_keel_error(call);
	if (xml_begin(&x))
		return virt_call_nomem(call);
	xml_open(&x, "capabilities");
	xml_open(&x, "host");
	if (!host_uuid(uuid, sizeof(uuid)))
		xml_text(&x, "uuid", uuid);
	xml_open(&x, "cpu");
	xml_text(&x, "arch", "x86_64");
	if (vendor)
		xml_text(&x, "vendor", vendor);
	if (virt_host_topology(info.nr_cpus, &sockets, &cores, &threads)) {
		sockets = 1;
		cores = info.nr_cpus;
		threads = 1;
	}
	xml_open(&x, "topology");
	xml_attr(&x, "sockets", "%d", sockets);
	xml_attr(&x, "dies", "1");
	xml_attr(&x, "cores", "%d", cores);
	xml_attr(&x, "threads", "%d", threads);
	xml_close(&x);
	xml_close(&x);			/* cpu */
	xml_empty(&x, "power_management", NULL, NULL);
	xml_empty(&x, "iommu", "support", "no");
	xml_open(&x, "topology");
	xml_open(&x, "cells");
	xml_attr(&x, "num", "1");
	xml_open(&x, "cell");
	xml_attr(&x, "id", "0");
	xml_open(&x, "memory");
	xml_attr(&x, "unit", "KiB");
	if (xmlTextWriterWriteFormatString(x.w, "%lld",
					   info.memory_mib * 1024) < 0)
		x.rc = -1;
	xml_close(&x);			/* memory */
	xml_open(&x, "cpus");
	xml_attr(&x, "num", "%d", info.nr_cpus);
	for (int cpu = 0; cpu < info.nr_cpus; cpu++) {
		xml_open(&x, "cpu");
		xml_attr(&x, "id", "%d", cpu);
		xml_close(&x);
	}
	xml_close(&x);			/* cpus */
	xml_close(&x);			/* cell */
	xml_close(&x);			/* cells */
	xml_close(&x);			/* topology */
	xml_close(&x);			/* host */
	xml_open(&x, "guest");
	xml_text(&x, "os_type", "hvm");
	xml_open(&x, "arch");
	xml_attr(&x, "name", "x86_64");
	xml_text(&x, "wordsize", "64");
	xml_text(&x, "emulator", call->opts->hv_path);
	xml_empty(&x, "domain", "type", "kvm");
	xml_close(&x);			/* arch */
	xml_open(&x, "features");
	xml_open(&x, "acpi");
	xml_attr(&x, "default", "on");
	xml_attr(&x, "toggle", "no");
	xml_close(&x);
	xml_open(&x, "apic");
	xml_attr(&x, "default", "on");
	xml_attr(&x, "toggle", "no");
	xml_close(&x);
	xml_close(&x);			/* features */
	xml_close(&x);			/* guest */
	xml_close(&x);			/* capabilities */
	return set_xml(call, ret, xml_end(&x));
}

/* An <enum name=@name> of the one value @value. */
static void xml_enum(struct caps_xml *x, const char *name, const char *value)
{
	xml_open(x, "enum");
	xml_attr(x, "name", "%s", name);
	if (value)
		xml_text(x, "value", value);
	xml_close(x);
}

int virt_h_domain_capabilities(struct virt_call *call, void *args, void *ret)
{
	struct vx_domain_capabilities_args *a = args;
	const char *emulator = a->emulator ? *a->emulator : NULL;
	const char *arch = a->arch ? *a->arch : NULL;
	const char *virttype = a->virttype ? *a->virttype : NULL;
	struct caps_xml x;

	if (emulator && strcmp(emulator, call->opts->hv_path))
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "keel's emulator is %s, not %s.",
				       call->opts->hv_path, emulator);
	if (arch && strcmp(arch, "x86_64"))
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "keel runs x86_64 guests only, not %s.",
				       arch);
	if (virttype && strcmp(virttype, "kvm"))
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "keel's domain type is kvm, not %s.",
				       virttype);
	if (a->machine)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "keel has no machine types; do not name one (%s).",
				       *a->machine);
	if (virt_call_check_flags(call, a->flags, 0))
		return -1;
	if (xml_begin(&x))
		return virt_call_nomem(call);
	xml_open(&x, "domainCapabilities");
	xml_text(&x, "path", call->opts->hv_path);
	xml_text(&x, "domain", "kvm");
	xml_text(&x, "arch", "x86_64");
	xml_open(&x, "vcpu");
	xml_attr(&x, "max", "%d", KEEL_VCPUS_MAX);
	xml_close(&x);
	xml_empty(&x, "iothreads", "supported", "no");
	xml_open(&x, "os");
	xml_attr(&x, "supported", "yes");
	xml_enum(&x, "firmware", NULL);
	xml_empty(&x, "loader", "supported", "no");
	xml_close(&x);			/* os */
	xml_open(&x, "cpu");
	xml_open(&x, "mode");
	xml_attr(&x, "name", "host-passthrough");
	xml_attr(&x, "supported", "yes");
	xml_close(&x);
	xml_open(&x, "mode");
	xml_attr(&x, "name", "host-model");
	xml_attr(&x, "supported", "no");
	xml_close(&x);
	xml_open(&x, "mode");
	xml_attr(&x, "name", "custom");
	xml_attr(&x, "supported", "no");
	xml_close(&x);
	xml_close(&x);			/* cpu */
	xml_open(&x, "devices");
	xml_open(&x, "disk");
	xml_attr(&x, "supported", "yes");
	xml_enum(&x, "diskDevice", "disk");
	xml_enum(&x, "bus", "virtio");
	xml_close(&x);
	xml_empty(&x, "graphics", "supported", "no");
	xml_empty(&x, "video", "supported", "no");
	xml_empty(&x, "hostdev", "supported", "no");
	xml_open(&x, "rng");
	xml_attr(&x, "supported", "yes");
	xml_enum(&x, "model", "virtio");
	xml_enum(&x, "backendModel", "random");
	xml_close(&x);
	xml_close(&x);			/* devices */
	xml_open(&x, "features");
	xml_empty(&x, "gic", "supported", "no");
	xml_empty(&x, "vmcoreinfo", "supported", "no");
	xml_empty(&x, "genid", "supported", "no");
	xml_empty(&x, "sev", "supported", "no");
	xml_close(&x);			/* features */
	xml_close(&x);			/* domainCapabilities */
	return set_xml(call, ret, xml_end(&x));
}

/* What SMBIOS says, as /sys/class/dmi/id has it: libvirt's names. */
static const struct {
	const char *group, *entry, *file;
} smbios[] = {
	{ "bios", "vendor", "bios_vendor" },
	{ "bios", "version", "bios_version" },
	{ "bios", "date", "bios_date" },
	{ "bios", "release", "bios_release" },
	{ "system", "manufacturer", "sys_vendor" },
	{ "system", "product", "product_name" },
	{ "system", "version", "product_version" },
	{ "system", "serial", "product_serial" },
	{ "system", "uuid", "product_uuid" },
	{ "system", "sku", "product_sku" },
	{ "system", "family", "product_family" },
	{ "baseBoard", "manufacturer", "board_vendor" },
	{ "baseBoard", "product", "board_name" },
	{ "baseBoard", "version", "board_version" },
	{ "baseBoard", "serial", "board_serial" },
	{ "baseBoard", "asset", "board_asset_tag" },
	{ "chassis", "manufacturer", "chassis_vendor" },
	{ "chassis", "version", "chassis_version" },
	{ "chassis", "serial", "chassis_serial" },
	{ "chassis", "asset", "chassis_asset_tag" },
};

#define DMI_DIR "/sys/class/dmi/id/"

/* The first line of DMI_DIR/@file into @buf; false if none or empty. */
static bool dmi_read(const char *file, char *buf, size_t size)
{
	char path[128];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), DMI_DIR "%s", file);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, (int)size, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok && *buf;
}

int virt_h_get_sysinfo(struct virt_call *call, void *args, void *ret)
{
	struct vx_flags_args *a = args;
	const char *open_group = NULL;
	char value[256];
	struct caps_xml x;
	size_t i, found = 0;

	if (virt_call_check_flags(call, a->flags, 0))
		return -1;
	if (xml_begin(&x))
		return virt_call_nomem(call);
	xml_open(&x, "sysinfo");
	xml_attr(&x, "type", "smbios");
	for (i = 0; i < sizeof(smbios) / sizeof(smbios[0]); i++) {
		if (!dmi_read(smbios[i].file, value, sizeof(value)))
			continue;
		if (!open_group || strcmp(open_group, smbios[i].group)) {
			if (open_group)
				xml_close(&x);
			open_group = smbios[i].group;
			xml_open(&x, open_group);
		}
		xml_open(&x, "entry");
		xml_attr(&x, "name", "%s", smbios[i].entry);
		if (xmlTextWriterWriteString(x.w, BAD_CAST value) < 0)
			x.rc = -1;
		xml_close(&x);
		found++;
	}
	if (open_group)
		xml_close(&x);
	xml_close(&x);			/* sysinfo */
	if (!found) {
		free(xml_end(&x));
		return virt_call_error(call, VIR_ERR_NO_SUPPORT,
				       "This host has no SMBIOS information in " DMI_DIR ".");
	}
	return set_xml(call, ret, xml_end(&x));
}

int virt_h_get_max_vcpus(struct virt_call *call, void *args, void *ret)
{
	struct vx_max_vcpus_args *a = args;

	if (a->type && strcasecmp(*a->type, "kvm"))
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "keel's domain type is kvm, not %s.",
				       *a->type);
	((struct vx_int_ret *)ret)->value = KEEL_VCPUS_MAX;
	return 0;
}
