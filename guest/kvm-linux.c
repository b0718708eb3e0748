// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * guest/kvm-linux: can the default guest, an unmodified Linux kernel,
 * run on this host's /dev/kvm? `make demo` asks before it starts, and
 * runs everything inside QEMU (tests/nested/kvm-in-qemu) when not.
 * Exits 0, printing nothing, when it can; otherwise prints why not in
 * one line and exits 1. The decision is lib/kvm_host.c's, which the
 * test suites and keel-hv use too.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "kvm_host.h"

int main(void)
{
	const char *why = NULL;

	if (access("/dev/kvm", F_OK))
		why = "this machine has no /dev/kvm";
	else
		why = kvm_host_linux_unfit();
	if (!why)
		return 0;
	printf("%s\n", why);
	return 1;
}
