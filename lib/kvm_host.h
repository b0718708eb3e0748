/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_KVM_HOST_H
#define KEEL_KVM_HOST_H

/*
 * What kind of KVM this host has, as far as keel's programs must know:
 * kvm_pvm (KVM without VMX/SVM, docs/hypervisor.md) runs the in-tree
 * test guests but not an unmodified Linux kernel, so keel-hv warns,
 * and `make demo` and the Linux-guest test suites go to the nested
 * runner (tests/nested/kvm-in-qemu) instead.
 */

/*
 * The directory holding one entry per loaded or built-in kernel module,
 * /sys/module, unless this environment variable names another. Its only
 * use is for tests to fake the module check; nothing else reads it.
 */
#define KVM_HOST_MODULE_DIR_ENV "KEEL_SYSFS_MODULE_DIR"
#define KVM_HOST_MODULE_DIR "/sys/module"

/*
 * The KVM vendor module of this host: "kvm_pvm", "kvm_intel" or
 * "kvm_amd" (a static string), or NULL when none is there. kvm_pvm
 * wins when several are: a PVM kernel may have it built in next to
 * another, and taking a kvm_pvm host for a kvm_intel one costs a
 * broken Linux boot, the other way round only a slower (nested) one.
 */
const char *kvm_host_module(void);

/*
 * NULL when this host's KVM module can run an unmodified Linux guest
 * (or there is none: then nothing runs, and the caller's own /dev/kvm
 * check says so); otherwise one line saying why not, without a final
 * full stop, to print after "NOTE: " or "demo: ".
 */
const char *kvm_host_linux_unfit(void);

/*
 * If @kernel is a Linux kernel (a bzImage or an ELF vmlinux, not a flat
 * test-guest image) and kvm_host_linux_unfit() says this host cannot
 * run one: the warning to log, saying what will happen and what to do
 * (a static string). Otherwise NULL, also when the file cannot be read
 * (loading it reports that properly). keel-hv asks once, before it
 * opens /dev/kvm.
 */
const char *kvm_host_linux_warning(const char *kernel);

#endif /* KEEL_KVM_HOST_H */
