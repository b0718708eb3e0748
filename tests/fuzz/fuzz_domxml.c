// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for libvirt/domxml.c: any bytes, read as domain XML,
 * must be accepted or refused with a code and a sentence, never crash,
 * leak or read out of bounds. What is accepted must survive the round
 * trip the driver relies on: formatted and read again, it is the same
 * configuration, and formatting that is the same XML. Seeds:
 * tests/fuzz/corpus/domxml/ (tests/unit/domxml's golden inputs, and
 * refusals). docs/testing.md says how to run it.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "domxml.h"

static void fail(const char *what, const char *xml, const char *xml2)
{
	fprintf(stderr, "fuzz_domxml: %s\n--- first ---\n%s\n--- second ---\n%s\n",
		what, xml, xml2 ? xml2 : "(none)");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *cfg, *back;
	char *buf, *msg = NULL, *xml, *xml2;
	int code = 0;

	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	cfg = domxml_parse(buf, FUZZ_SCHEMA_DIR, &code, &msg);
	free(buf);
	if (!cfg) {
		if (!code || !msg || !*msg)
			abort(); /* a refusal always says why */
		free(msg);
		return 0;
	}
	xml = domxml_format(cfg, NULL, 0);
	if (!xml)
		abort();
	back = domxml_parse(xml, FUZZ_SCHEMA_DIR, &code, &msg);
	if (!back)
		fail(msg, xml, NULL);
	if (!json_object_equal(cfg, back))
		fail("the written XML reads as another configuration", xml,
		     json_object_to_json_string(back));
	xml2 = domxml_format(back, NULL, 0);
	if (!xml2 || strcmp(xml, xml2))
		fail("formatting is not stable", xml, xml2);
	free(xml2);
	free(xml);
	json_object_put(back);
	json_object_put(cfg);
	return 0;
}
