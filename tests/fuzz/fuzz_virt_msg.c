// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for keel-virtd's message decoding (libvirt/virt_frame.c
 * and the rpcgen decoders of libvirt/virt_protocol.x): any bytes, framed
 * as keel-virtd's server frames a client's stream, then each payload
 * decoded as the arguments of a procedure, must be accepted or refused,
 * never crash, leak or read out of bounds. What decodes must encode
 * again, no longer than it was. docs/testing.md says how to run libFuzzer targets.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virt_frame.h"

#define D(t) { (xdrproc_t)xdr_##t, sizeof(t) }

/* Every argument type a client can send, and the error and list types. */
static const struct {
	xdrproc_t fn;
	size_t size;
} decoders[] = {
	D(vx_open_args), D(vx_supports_feature_args), D(vx_flags_args),
	D(vx_domain_capabilities_args), D(vx_list_all_args),
	D(vx_list_ids_args), D(vx_list_names_args), D(vx_lookup_name_args),
	D(vx_lookup_uuid_args), D(vx_lookup_id_args), D(vx_dom_args),
	D(vx_dom_flags_args), D(vx_set_autostart_args), D(vx_rename_args),
	D(vx_define_xml_args), D(vx_define_xml_flags_args),
	D(vx_create_xml_args), D(vx_max_vcpus_args),
	D(vx_error), D(vx_list_all_ret), D(vx_list_names_ret),
	D(vx_param), D(vx_node_info_ret), D(vx_security_model_ret),
	/* save, migration and jobs */
	D(vx_save_args), D(vx_save_flags_args), D(vx_restore_args),
	D(vx_restore_flags_args), D(vx_migrate_perform3_params_args),
	D(vx_migrate_set_max_downtime_args), D(vx_migrate_set_max_speed_args),
	D(vx_job_stats_ret),
};

#define NR_DECODERS (sizeof(decoders) / sizeof(decoders[0]))

static void one_payload(const struct vx_header *h, const uint8_t *p,
			size_t len)
{
	size_t i = (size_t)(unsigned)h->proc % NR_DECODERS;
	uint8_t obj[512] __attribute__((aligned(16)));
	uint8_t *out;
	size_t out_len;

	if (decoders[i].size > sizeof(obj))
		abort();
	memset(obj, 0, sizeof(obj));
	if (virt_payload_decode(p, len, decoders[i].fn, obj))
		return;
	if (!virt_msg_encode(h, decoders[i].fn, obj, &out, &out_len)) {
		/*
		 * Re-encoded, it is no longer than what was read (a string
		 * with a NUL in it comes back cut at the NUL, as C has it).
		 */
		if (out_len > VIRT_MSG_MIN + len)
			abort();
		free(out);
	}
	xdr_free(decoders[i].fn, obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx_header h;
	long len;

	while (size >= VIRT_LEN_SIZE) {
		len = virt_frame_length(data);
		/* The server closes the connection here; so does this. */
		if (len < 0 || (size_t)len > size)
			return 0;
		if (virt_header_decode(data, (size_t)len, &h))
			abort();
		one_payload(&h, data + VIRT_MSG_MIN, (size_t)len - VIRT_MSG_MIN);
		data += len;
		size -= (size_t)len;
	}
	return 0;
}
