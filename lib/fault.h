/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_FAULT_H
#define KEEL_FAULT_H

/*
 * Named fault points for the migration fault tests (docs/testing.md,
 * "Fault points"). A fault point is inert unless the environment
 * variable FAULT_STALL_ENV names it: then the process that reaches it
 * logs so and stops itself (SIGSTOP), as a hung peer would, until it
 * is killed or released (SIGCONT). keeld passes its environment, and so
 * the variable when it is set, to the keel-hv processes it starts.
 */

#define FAULT_STALL_ENV "KEEL_FAULT_STALL"

/*
 * The points, one per phase window too short to hit from outside:
 * FAULT_SEND_DEVICE  the source keel-hv, the VM paused and its last
 *                    RAM sent, before the VM, VCPU and DEVICE records.
 */
#define FAULT_SEND_DEVICE "send-device"

/* Stop this process here if FAULT_STALL_ENV names @point. */
void fault_stall(const char *point);

#endif /* KEEL_FAULT_H */
