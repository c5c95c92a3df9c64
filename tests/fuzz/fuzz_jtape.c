/*
 * fuzz_jtape.c: libFuzzer target for jtape, the tape JSON reader and the
 * canonical writer, against jansson (tests/jtdiff.c).  Each input is parsed
 * as a document by both, once with flags 0 and once with JT_ANY (as
 * JSON_DECODE_ANY), into one jt_doc kept from input to input as the
 * collectors keep theirs from page to page; the input is also written as a
 * JSON string by jt_buf_str() and jt_buf_str_utf8().
 *
 * Invariants: jtape accepts exactly what json_loadb() accepts; a refused
 * parse leaves no nodes; jt_buf_node() writes what json_dumps() writes
 * (JSON_COMPACT, with and without JSON_ENSURE_ASCII) and jtape reads its
 * own output back unchanged; every value jansson sees is found by jt_get()
 * and jt_pointer() (as collector_json_pointer() finds it) with the same
 * type, string, integer and real; jt_buf_str() writes what json_dumps()
 * writes for json_stringn().
 */
#include "autoconfig.h"

#include <stdio.h>

#include "fuzzhelp.h"
#include "jtape.h"
#include "jtdiff.h"

static struct jt_doc doc = JT_DOC_INIT;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char why[512];
	for (unsigned flags = 0; flags <= JT_ANY; flags++) {
		why[0] = '\0';
		if (jtdiff_doc(&doc, text, size, flags, NULL, why, sizeof(why)) != 0) {
			fprintf(stderr, "fuzz_jtape: flags %u: %s\n", flags, why);
			FUZZ_CHECK(0, "jtape and jansson disagree on the document");
		}
	}
	why[0] = '\0';
	if (jtdiff_str(text, size, why, sizeof(why)) != 0) {
		fprintf(stderr, "fuzz_jtape: %s\n", why);
		FUZZ_CHECK(0, "jt_buf_str() and jansson disagree on the string");
	}
	return 0;
}
