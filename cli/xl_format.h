/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_CLI_XL_FORMAT_H
#define KEEL_CLI_XL_FORMAT_H

/*
 * What keel prints in xl's own shapes, as pure functions of keeld's
 * answers so that tests/unit/check_cli_xl.c can hold them to xl's
 * layout without a keeld: list's state flags and -l's JSON, uptime's
 * times (docs/listing.md says what each column means on keel).
 */

#include <stddef.h>

#include <json-c/json.h>

/* xl's six state letters and a NUL: "r-----", "--p---", "---sc-". */
#define XL_FLAGS_LEN 7

/*
 * xl list's State column for a domain in keel's @state with @reason
 * (keeld's names, "running" and "booted"): r running, b blocked, p
 * paused, s shut down and kept (on_* preserve), then the reason of that
 * shutdown ('-' poweroff, 'c' crash), d dying. A domain that is not
 * running at all is "------". Writes XL_FLAGS_LEN bytes to @out.
 */
void xl_state_flags(const char *state, const char *reason, char *out);

/*
 * xl's shutdown reason code (list -v's Reason-Code) of a domain kept
 * after it stopped: 0 poweroff, 3 crash; -1 when it has not stopped.
 */
int xl_reason_code(const char *state, const char *reason);

/*
 * One element of xl list -l's array from keeld's summary @summary with
 * its "config" member: {"domid", "config": {"c_info", "b_info",
 * "disks", "nics", "on_poweroff", ...}}, the member names libxl's
 * libxl_domain_config uses. A new object the caller puts; NULL when
 * out of memory.
 */
struct json_object *xl_long_entry(struct json_object *summary);

/*
 * xl uptime's times: long "2 days,  3:04:05" / " 0:00:07"; short (-s)
 * "2 days,  3:04" / " 0:07" (hours and minutes). @up < 0: "-".
 */
void xl_format_uptime(char *buf, size_t size, double up, int is_short);

/*
 * xl block-list's and network-list's lines, in xl's columns, for a
 * configuration's disk or NIC (borrowed) of a domain whose id is @domid
 * (-1 when it does not run). What each column holds on KVM is keel(1)'s
 * (block-list): Vdev the disk's vdev, which block-detach takes, not
 * Xen's device number; BE 0, the host; handle the domain's id; state
 * xenbus's 4 (connected) while the domain runs, else 6 (closed); evt-ch
 * and the ring references -1, as xl prints a value it cannot read, since
 * virtio has neither; BE-path the disk's image, or the NIC's tap ("-"
 * without one). Each writes one line, without its newline, to @buf of
 * @size bytes and returns what snprintf() does.
 */
int xl_block_list_header(char *buf, size_t size);
int xl_block_list_line(char *buf, size_t size, struct json_object *disk,
		       int domid);
int xl_network_list_header(char *buf, size_t size);
int xl_network_list_line(char *buf, size_t size, size_t idx,
			 struct json_object *nic, int domid);

#endif /* KEEL_CLI_XL_FORMAT_H */
