/*
 * jtdiff.h: jtape checked against jansson, its reference, for the unit
 * suite (tests/test_jtape.c) and the fuzz target (tests/fuzz/fuzz_jtape.c).
 * It does not use CUnit: each check returns 0 when the two agree, or -1
 * with what differed (and where) in why.
 */
#ifndef ISMSD_JTDIFF_H
#define ISMSD_JTDIFF_H

#include <stddef.h>

#include "jtape.h"

/*
 * Parses text[0..len) with jt_parse(d, ..., flags) and with json_loadb()
 * (flags 0, or JSON_DECODE_ANY for JT_ANY) and compares:
 * - acceptance (and a refused parse leaves d->count 0 and a reason);
 * - jt_buf_node() of the root with JT_ASCII and without, against
 *   json_dumps() with JSON_COMPACT (| JSON_ENSURE_ASCII), and that jtape
 *   reads its own output back to the same text;
 * - every value jansson sees (a duplicate key's last one), through
 *   jt_type(), jt_get(), jt_str(), jt_nonempty(), jt_str_eq(), jt_int(),
 *   jt_number(), the containers' sizes, jt_buf_str() of every string, and
 *   jt_pointer() against collector_json_pointer() for each value's path.
 * d is the caller's, reused from call to call.  *accepted (may be NULL) is
 * set to whether jansson accepted the text.
 */
int jtdiff_doc(struct jt_doc *d, const char *text, size_t len, unsigned flags, int *accepted, char *why, size_t whylen);

/* jt_buf_str() and jt_buf_str_utf8() of s[0..len) against json_dumps() of
 * json_stringn(s, len) with JSON_ENCODE_ANY (| JSON_ENSURE_ASCII).  Text
 * jansson refuses as a string (not UTF-8) is not compared: returns 0. */
int jtdiff_str(const char *s, size_t len, char *why, size_t whylen);

#endif
