// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The keys of xl.cfg(5) that keel does not turn into a member of the
 * model, each in one of three classes (keel.cfg(5), "XL KEYS"):
 *  - checked: the domain's type (type, builder, pvh), which keel reads
 *    to refuse what it cannot boot and otherwise has nothing to carry;
 *  - ignored with a warning naming the key and its line: what is
 *    meaningless on KVM (grant tables, Xen's pools and XSM labels) or
 *    only meaningful to Xen's device model and HVM guests, so that a
 *    file written for Xen reads as it did under xl;
 *  - refused: what would change what the guest sees if it were honoured
 *    (passed-through devices, CPUID, NUMA, devices keel does not offer).
 * An xl key in none of these is unknown (xlcfg.c says so).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "xlcfg_internal.h"

enum xl_class { XL_IGNORED, XL_REFUSED };

/* Why a key is ignored or refused: the end of the sentence. */
#define WHY_XEN "it sets up a part of Xen that KVM has no counterpart of"
#define WHY_DM "it configures Xen's device model (QEMU), and keel has none"
#define WHY_HVM "it applies to Xen HVM guests, and a keel domain boots like a PVH one"
#define WHY_DISPLAY "keel domains have no graphical console; use keel console"
#define WHY_BOOT "it applies to a boot loader, and keel boots 'kernel' directly"
#define WHY_PASS "keel does not pass host devices through to guests"
#define WHY_DEV "keel does not offer this device to guests"
#define WHY_ARM "it applies to Xen on Arm"

struct xl_key {
	const char *key;
	enum xl_class cls;
	const char *why;
};

static const struct xl_key xl_keys[] = {
	/* meaningless on KVM */
	{ "pool", XL_IGNORED, "keel has no CPU pools; use cpus to pin vCPUs" },
	{ "seclabel", XL_IGNORED, "it is an XSM/FLASK label, which KVM does not have" },
	{ "init_seclabel", XL_IGNORED, "it is an XSM/FLASK label, which KVM does not have" },
	{ "max_grant_frames", XL_IGNORED, WHY_XEN },
	{ "max_maptrack_frames", XL_IGNORED, WHY_XEN },
	{ "max_grant_version", XL_IGNORED, WHY_XEN },
	{ "max_event_channels", XL_IGNORED, WHY_XEN },
	{ "xenstore_quota", XL_IGNORED, WHY_XEN },
	{ "xenstore_feature_mask", XL_IGNORED, WHY_XEN },
	{ "xend_suspend_evtchn_compat", XL_IGNORED, WHY_XEN },
	{ "vendor_device", XL_IGNORED, WHY_XEN },
	{ "driver_domain", XL_IGNORED, WHY_XEN },
	{ "claim_mode", XL_IGNORED, WHY_XEN },
	{ "shadow_memory", XL_IGNORED, WHY_XEN },
	{ "hap", XL_IGNORED, WHY_XEN },
	{ "oos", XL_IGNORED, WHY_XEN },
	{ "e820_host", XL_IGNORED, WHY_XEN },
	{ "pvshim", XL_IGNORED, WHY_XEN },
	{ "pvshim_path", XL_IGNORED, WHY_XEN },
	{ "pvshim_cmdline", XL_IGNORED, WHY_XEN },
	{ "pvshim_extra", XL_IGNORED, WHY_XEN },
	{ "vmtrace_buf_kb", XL_IGNORED, WHY_XEN },
	{ "blkdev_start", XL_IGNORED, WHY_XEN },
	{ "cpus_soft", XL_IGNORED, "keel has no soft affinity; use cpus to pin vCPUs" },
	{ "on_watchdog", XL_IGNORED, "keel domains have no Xen watchdog" },
	{ "on_soft_reset", XL_IGNORED, "keel domains cannot soft-reset" },
	/* Xen's device model */
	{ "device_model", XL_IGNORED, WHY_DM },
	{ "device_model_version", XL_IGNORED, WHY_DM },
	{ "device_model_override", XL_IGNORED, WHY_DM },
	{ "device_model_args", XL_IGNORED, WHY_DM },
	{ "device_model_args_pv", XL_IGNORED, WHY_DM },
	{ "device_model_args_hvm", XL_IGNORED, WHY_DM },
	{ "device_model_user", XL_IGNORED, WHY_DM },
	{ "device_model_stubdomain_override", XL_IGNORED, WHY_DM },
	{ "device_model_stubdomain_seclabel", XL_IGNORED, WHY_DM },
	{ "stubdomain_kernel", XL_IGNORED, WHY_DM },
	{ "stubdomain_ramdisk", XL_IGNORED, WHY_DM },
	{ "stubdomain_cmdline", XL_IGNORED, WHY_DM },
	{ "stubdomain_memory", XL_IGNORED, WHY_DM },
	{ "dm_restrict", XL_IGNORED, WHY_DM },
	/* displays */
	{ "vfb", XL_IGNORED, WHY_DISPLAY },
	{ "vkb", XL_IGNORED, WHY_DISPLAY },
	{ "vkb_device", XL_IGNORED, WHY_DISPLAY },
	{ "vnc", XL_IGNORED, WHY_DISPLAY },
	{ "vnclisten", XL_IGNORED, WHY_DISPLAY },
	{ "vncdisplay", XL_IGNORED, WHY_DISPLAY },
	{ "vncunused", XL_IGNORED, WHY_DISPLAY },
	{ "vncpasswd", XL_IGNORED, WHY_DISPLAY },
	{ "vncviewer", XL_IGNORED, WHY_DISPLAY },
	{ "keymap", XL_IGNORED, WHY_DISPLAY },
	{ "sdl", XL_IGNORED, WHY_DISPLAY },
	{ "opengl", XL_IGNORED, WHY_DISPLAY },
	{ "nographic", XL_IGNORED, WHY_DISPLAY },
	{ "spice", XL_IGNORED, WHY_DISPLAY },
	{ "spicehost", XL_IGNORED, WHY_DISPLAY },
	{ "spiceport", XL_IGNORED, WHY_DISPLAY },
	{ "spicetls_port", XL_IGNORED, WHY_DISPLAY },
	{ "spicedisable_ticketing", XL_IGNORED, WHY_DISPLAY },
	{ "spicepasswd", XL_IGNORED, WHY_DISPLAY },
	{ "spiceagent_mouse", XL_IGNORED, WHY_DISPLAY },
	{ "spicevdagent", XL_IGNORED, WHY_DISPLAY },
	{ "spice_clipboard_sharing", XL_IGNORED, WHY_DISPLAY },
	{ "spiceusbredirection", XL_IGNORED, WHY_DISPLAY },
	{ "videoram", XL_IGNORED, WHY_DISPLAY },
	{ "vga", XL_IGNORED, WHY_DISPLAY },
	{ "stdvga", XL_IGNORED, WHY_DISPLAY },
	/* HVM only: xl ignores them for PV and PVH guests too */
	{ "acpi", XL_IGNORED, WHY_HVM },
	{ "acpi_s3", XL_IGNORED, WHY_HVM },
	{ "acpi_s4", XL_IGNORED, WHY_HVM },
	{ "acpi_laptop_slate", XL_IGNORED, WHY_HVM },
	{ "apic", XL_IGNORED, WHY_HVM },
	{ "pae", XL_IGNORED, WHY_HVM },
	{ "nx", XL_IGNORED, WHY_HVM },
	{ "hpet", XL_IGNORED, WHY_HVM },
	{ "viridian", XL_IGNORED, WHY_HVM },
	{ "boot", XL_IGNORED, WHY_HVM },
	{ "serial", XL_IGNORED, WHY_HVM },
	{ "soundhw", XL_IGNORED, WHY_HVM },
	{ "usb", XL_IGNORED, WHY_HVM },
	{ "usbdevice", XL_IGNORED, WHY_HVM },
	{ "usbversion", XL_IGNORED, WHY_HVM },
	{ "localtime", XL_IGNORED, WHY_HVM },
	{ "rtc_timeoffset", XL_IGNORED, WHY_HVM },
	{ "timer_mode", XL_IGNORED, WHY_HVM },
	{ "vpt_align", XL_IGNORED, WHY_HVM },
	{ "hdtype", XL_IGNORED, WHY_HVM },
	{ "xen_platform_pci", XL_IGNORED, WHY_HVM },
	{ "xen_platform_pci_bar_uc", XL_IGNORED, WHY_HVM },
	{ "hvm_pirq", XL_IGNORED, WHY_HVM },
	{ "mmio_hole", XL_IGNORED, WHY_HVM },
	{ "ms_vm_genid", XL_IGNORED, WHY_HVM },
	{ "smbios", XL_IGNORED, WHY_HVM },
	{ "smbios_firmware", XL_IGNORED, WHY_HVM },
	{ "acpi_firmware", XL_IGNORED, WHY_HVM },
	{ "bios", XL_IGNORED, WHY_HVM },
	{ "bios_path_override", XL_IGNORED, WHY_HVM },
	{ "firmware", XL_IGNORED, WHY_HVM },
	{ "firmware_override", XL_IGNORED, WHY_HVM },
	{ "altp2m", XL_IGNORED, WHY_HVM },
	{ "altp2mhvm", XL_IGNORED, WHY_HVM },
	{ "altp2m_count", XL_IGNORED, WHY_HVM },
	{ "mca_caps", XL_IGNORED, WHY_HVM },
	{ "rdm", XL_IGNORED, WHY_HVM },
	{ "rdm_mem_boundary", XL_IGNORED, WHY_HVM },
	/* boot loaders */
	{ "bootloader_args", XL_IGNORED, WHY_BOOT },
	{ "bootloader_restrict", XL_IGNORED, WHY_BOOT },
	{ "bootloader_user", XL_IGNORED, WHY_BOOT },
	{ "bootloader", XL_REFUSED,
	  "keel boots the file named by 'kernel' directly; extract the guest's kernel and initrd and set kernel and ramdisk" },
	/* would change what the guest sees */
	{ "pci", XL_REFUSED, WHY_PASS },
	{ "pci_permissive", XL_REFUSED, WHY_PASS },
	{ "pci_msitranslate", XL_REFUSED, WHY_PASS },
	{ "pci_seize", XL_REFUSED, WHY_PASS },
	{ "pci_power_mgmt", XL_REFUSED, WHY_PASS },
	{ "passthrough", XL_REFUSED, WHY_PASS },
	{ "gfx_passthru", XL_REFUSED, WHY_PASS },
	{ "dtdev", XL_REFUSED, WHY_PASS },
	{ "iomem", XL_REFUSED, WHY_PASS },
	{ "ioports", XL_REFUSED, WHY_PASS },
	{ "irqs", XL_REFUSED, WHY_PASS },
	{ "usbctrl", XL_REFUSED, WHY_PASS },
	{ "usbdev", XL_REFUSED, WHY_PASS },
	{ "cpuid", XL_REFUSED,
	  "it would change the CPUID the guest sees, and keel gives every guest the host's CPUID less what KVM cannot virtualise" },
	{ "msr_relaxed", XL_REFUSED, "it would change which MSRs the guest may use" },
	{ "tsc_mode", XL_REFUSED, "keel gives guests KVM's TSC and kvmclock only" },
	{ "nestedhvm", XL_REFUSED, "keel does not offer nested virtualisation" },
	{ "vpmu", XL_REFUSED, "keel does not offer a virtual PMU" },
	{ "vnuma", XL_REFUSED, "keel gives guests no NUMA topology" },
	{ "nomigrate", XL_REFUSED,
	  "keel cannot forbid migrating a domain; leave it out, or manage the domain so that nobody migrates it" },
	{ "vtpm", XL_REFUSED, WHY_DEV },
	{ "vusb", XL_REFUSED, WHY_DEV },
	{ "channel", XL_REFUSED, WHY_DEV },
	{ "p9", XL_REFUSED, WHY_DEV },
	{ "pvcalls", XL_REFUSED, WHY_DEV },
	{ "vdispl", XL_REFUSED, WHY_DEV },
	{ "vsnd", XL_REFUSED, WHY_DEV },
	{ "virtio", XL_REFUSED, WHY_DEV },
	{ "vuart", XL_REFUSED, WHY_DEV },
	{ "vif2", XL_REFUSED, WHY_DEV },
	{ "tee", XL_REFUSED, WHY_ARM },
	{ "device_tree", XL_REFUSED, WHY_ARM },
	{ "gic_version", XL_REFUSED, WHY_ARM },
	{ "nr_spis", XL_REFUSED, WHY_ARM },
	{ "sve", XL_REFUSED, WHY_ARM },
	{ "arm_sci", XL_REFUSED, WHY_ARM },
	{ "llc_colors", XL_REFUSED, WHY_ARM },
	{ "trap_unmapped_accesses", XL_REFUSED, WHY_ARM },
};

/* A quoted or bare string value of @s, or NULL for a list. */
static const char *scalar(const struct xlcfg_setting *s)
{
	return s->val.type == XLCFG_VAL_LIST ? NULL : s->val.str;
}

/*
 * type, builder and pvh: what kind of Xen domain the file describes. A
 * keel domain boots a kernel directly, which is what PV and PVH files
 * describe; HVM needs firmware.
 */
static int check_type(const struct xlcfg_errs *e,
		      const struct xlcfg_setting *s)
{
	const char *v = scalar(s);

	if (!strcmp(s->key, "pvh")) {
		if (v && (!strcmp(v, "0") || !strcmp(v, "1")))
			return 0;
		return xlcfg_fail(e->err, e->file, s->line,
				  "'pvh' is 0 or 1 (xl's older spelling of type = \"pvh\"), not %s.",
				  v ? v : "a list");
	}
	if (v && !strcmp(v, "hvm"))
		return xlcfg_fail(e->err, e->file, s->line,
				  "%s = \"hvm\" needs firmware boot, not supported: keel boots a kernel directly, as for a PVH guest; set type = \"pvh\" and kernel.",
				  s->key);
	if (!strcmp(s->key, "type") && v &&
	    (!strcmp(v, "pvh") || !strcmp(v, "pv")))
		return 0;
	if (!strcmp(s->key, "builder") && v && !strcmp(v, "generic"))
		return 0;
	if (!strcmp(s->key, "type"))
		return xlcfg_fail(e->err, e->file, s->line,
				  "'type' is \"pvh\" or \"pv\" (both boot 'kernel' directly), not %s%s%s.",
				  v ? "\"" : "", v ? v : "a list", v ? "\"" : "");
	return xlcfg_fail(e->err, e->file, s->line,
			  "'builder' is \"generic\" (xl's older spelling of type = \"pv\"), not %s%s%s.",
			  v ? "\"" : "", v ? v : "a list", v ? "\"" : "");
}

int xlcfg_xl_key(const struct xlcfg_errs *e, const struct xlcfg_setting *s)
{
	size_t i;

	if (!strcmp(s->key, "type") || !strcmp(s->key, "builder") ||
	    !strcmp(s->key, "pvh"))
		return check_type(e, s);
	for (i = 0; i < sizeof(xl_keys) / sizeof(xl_keys[0]); i++) {
		const struct xl_key *k = &xl_keys[i];

		if (strcmp(k->key, s->key))
			continue;
		if (k->cls == XL_IGNORED)
			return xlcfg_warn(e->warn, e->file, s->line,
					  "'%s' is ignored: %s.", s->key,
					  k->why);
		return xlcfg_fail(e->err, e->file, s->line,
				  "'%s' is refused: %s.", s->key, k->why);
	}
	return -ENOENT;
}
