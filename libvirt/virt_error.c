// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel's error codes as libvirt's (docs/libvirt.md): clients branch on
 * the number (virsh's "domain not found", Nova's retry on
 * OPERATION_INVALID), so each keel code has the libvirt code whose
 * meaning it has; the message stays keeld's own sentence.
 */
#include "config.h"

#include <stddef.h>

#include "keel.h"
#include "virt_error.h"

static const struct {
	int keel;
	int virt;
} error_map[] = {
	{ KEEL_E_NO_DOMAIN, VIR_ERR_NO_DOMAIN },
	{ KEEL_E_DOMAIN_EXISTS, VIR_ERR_DOM_EXIST },
	{ KEEL_E_INVALID_STATE, VIR_ERR_OPERATION_INVALID },
	{ KEEL_E_RESOURCE, VIR_ERR_OPERATION_FAILED },
	{ KEEL_E_PERMISSION, VIR_ERR_OPERATION_DENIED },
	{ KEEL_E_TOO_LARGE, VIR_ERR_INVALID_ARG },
	{ KEEL_E_OPERATION_FAILED, VIR_ERR_OPERATION_FAILED },
	{ KEEL_E_TIMEOUT, VIR_ERR_OPERATION_TIMEOUT },
	/* keeld could not be reached, or the connection broke. */
	{ KEEL_E_CONNECTION, VIR_ERR_SYSTEM_ERROR },
	{ KEEL_E_PROTOCOL, VIR_ERR_INTERNAL_ERROR },
	{ KEEL_E_LOCAL, VIR_ERR_INTERNAL_ERROR },
	/* JSON-RPC's own: a request keeld's schema refused. */
	{ -32602, VIR_ERR_INVALID_ARG },
	{ -32601, VIR_ERR_NO_SUPPORT },
	{ -32600, VIR_ERR_INTERNAL_ERROR },
	{ -32700, VIR_ERR_INTERNAL_ERROR },
};

int virt_error_from_keel(int keel_code)
{
	size_t i;

	for (i = 0; i < sizeof(error_map) / sizeof(error_map[0]); i++)
		if (error_map[i].keel == keel_code)
			return error_map[i].virt;
	return VIR_ERR_INTERNAL_ERROR;
}
