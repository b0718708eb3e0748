// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which KVM this host has (kvm_host.h). The facts behind it are in
 * docs/hypervisor.md, "Hosts whose KVM emulates guest ring 0".
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_host.h"

/* In the order kvm_host_module() prefers them (kvm_host.h says why). */
static const char *const kvm_host_modules[] = {
	"kvm_pvm",
	"kvm_intel",
	"kvm_amd",
};

/* The x86 boot protocol's setup header magic, "HdrS" at 0x202. */
#define KVM_HOST_HDRS_OFFSET 0x202

static bool kvm_host_has_module(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return false;
	return access(path, F_OK) == 0;
}

const char *kvm_host_module(void)
{
	const char *dir = getenv(KVM_HOST_MODULE_DIR_ENV);

	if (!dir || !*dir)
		dir = KVM_HOST_MODULE_DIR;
	for (size_t i = 0; i < sizeof(kvm_host_modules) /
				       sizeof(kvm_host_modules[0]); i++)
		if (kvm_host_has_module(dir, kvm_host_modules[i]))
			return kvm_host_modules[i];
	return NULL;
}

const char *kvm_host_linux_unfit(void)
{
	const char *module = kvm_host_module();

	if (module && !strcmp(module, "kvm_pvm"))
		return "this host's KVM is kvm_pvm, which cannot run an unmodified Linux kernel (docs/hypervisor.md)";
	return NULL;
}

/*
 * True if @path starts like a kernel keel-hv boots the Linux way: an
 * ELF file (a vmlinux) or a bzImage. Everything else keel-hv loads as
 * a flat image, which is what the in-tree test guests are.
 */
static bool kvm_host_is_linux(const char *path)
{
	unsigned char head[KVM_HOST_HDRS_OFFSET + 4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n >= 4 && !memcmp(head, "\177ELF", 4))
		return true;
	return n == (ssize_t)sizeof(head) &&
	       !memcmp(head + KVM_HOST_HDRS_OFFSET, "HdrS", 4);
}

const char *kvm_host_linux_warning(const char *kernel)
{
	if (!kernel || !kvm_host_linux_unfit() || !kvm_host_is_linux(kernel))
		return NULL;
	return "This host's KVM is kvm_pvm, which cannot run an unmodified Linux kernel such as this one: the boot will stop with \"KVM internal error\" at the first instruction KVM's emulator lacks (measured: xrstor, 25 s in). Run Linux guests on a host whose KVM is kvm_intel or kvm_amd, or inside QEMU with tests/nested/kvm-in-qemu (make demo and the tests do so by themselves on such a host); docs/hypervisor.md has the details.";
}
