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

#endif /* KEEL_CLI_XL_FORMAT_H */
