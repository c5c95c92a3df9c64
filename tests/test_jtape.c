/*
 * test_jtape.c: the tape JSON reader and the canonical writer against
 * jansson, which they must agree with byte for byte (see jtape.h):
 * - a table of tricky documents (numbers at the edges of int64 and double,
 *   escapes and surrogates, raw controls, every kind of bad UTF-8, BOM,
 *   trailing garbage and commas, duplicate and empty keys, whitespace, top
 *   level scalars, empty input), each with its expected verdict and
 *   canonical text, and each also compared with jansson (tests/jtdiff.c:
 *   acceptance, the writer in both modes, and every value through the
 *   accessors), with and without JT_ANY;
 * - the nesting limit, which counts scalars as jansson does;
 * - the accessors one by one: jt_get(), jt_pointer(), jt_str(),
 *   jt_str_eq(), jt_int(), jt_number(), jt_buf_str(), and a jt_doc reused
 *   across parses, failed ones included;
 * - a few thousand generated documents, mutated byte by byte, compared with
 *   jansson (a fixed seed, so a failure repeats).
 *
 * Documents are written with their lengths (T()), so that they may hold
 * NUL bytes.
 */
#include "autoconfig.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "collector_http.h"
#include "jtape.h"
#include "jtdiff.h"
#include "testhelp.h"

#define T(s) s, sizeof(s) - 1

struct jcase {
	const char *name;
	const char *text;
	size_t len;
	unsigned flags;
	int ok;
	const char *want; /* jt_buf_node(JT_ASCII) of an accepted document */
};

#define ACC(name, s, want) { name, T(s), 0, 1, want }
#define ANY(name, s, want) { name, T(s), JT_ANY, 1, want }
#define REJ(name, s) { name, T(s), 0, 0, NULL }
#define REJ_ANY(name, s) { name, T(s), JT_ANY, 0, NULL }

static const struct jcase cases[] = {
	/* ---- numbers ---- */
	ACC("zero", "[0]", "[0]"),
	ACC("-0 is the integer 0", "[-0]", "[0]"),
	ACC("-0.0 keeps its sign", "[-0.0]", "[-0.0]"),
	ACC("-0e0 is a real", "[-0e0]", "[-0.0]"),
	REJ("leading zero", "[01]"),
	REJ("leading zero, negative", "[-01]"),
	REJ("leading zeros in a real", "[00.5]"),
	ACC("zero point five", "[0.5]", "[0.5]"),
	REJ("1e400 overflows", "[1e400]"),
	REJ("-1e400 overflows", "[-1e400]"),
	ACC("1e-400 underflows to 0.0", "[1e-400]", "[0.0]"),
	ACC("-1e-400 underflows to -0.0", "[-1e-400]", "[-0.0]"),
	ACC("denormal", "[4.9e-324]", "[4.9406564584124654e-324]"),
	ACC("largest double", "[1.7976931348623157e308]", "[1.7976931348623157e308]"),
	ACC("longest real text", "[-2.2250738585072014e-308]", "[-2.2250738585072014e-308]"),
	ACC("int64 max", "[9223372036854775807]", "[9223372036854775807]"),
	REJ("int64 max + 1", "[9223372036854775808]"),
	ACC("int64 min", "[-9223372036854775808]", "[-9223372036854775808]"),
	REJ("int64 min - 1", "[-9223372036854775809]"),
	REJ("30 digits", "[123456789012345678901234567890]"),
	ACC("30 digits as a real", "[123456789012345678901234567890.0]", "[1.2345678901234568e29]"),
	ACC("1.0 stays a real", "[1.0]", "[1.0]"),
	ACC("1E2", "[1E2]", "[100.0]"),
	ACC("1e+2", "[1e+2]", "[100.0]"),
	ACC("0.1 in 17 digits", "[0.1]", "[0.10000000000000001]"),
	ACC("exponent without + or leading zeros", "[1e100,1e21,1.5e300]", "[1e100,1e21,1.5000000000000001e300]"),
	ACC("negative exponent without leading zeros", "[0.00001,1.5e-7,-2e-10]",
	    "[1.0000000000000001e-5,1.4999999999999999e-7,-2.0000000000000001e-10]"),
	ACC("real text longer than 64 bytes",
	    "[1.000000000000000000000000000000000000000000000000000000000000000000000001]", "[1.0]"),
	ACC("tiny real text longer than 64 bytes",
	    "[0.000000000000000000000000000000000000000000000000000000000000000000000025]", "[2.5e-71]"),
	REJ("1.", "[1.]"),
	REJ(".5", "[.5]"),
	REJ("+1", "[+1]"),
	REJ("1e", "[1e]"),
	REJ("1e+", "[1e+]"),
	REJ("lone minus", "[-]"),
	REJ("double minus", "[--1]"),
	REJ("hex", "[0x10]"),
	REJ("Infinity", "[Infinity]"),
	REJ("NaN", "[NaN]"),
	REJ("two numbers", "[1 2]"),
	REJ("number then word", "[1true]"),

	/* ---- escapes ---- */
	REJ("\\u0000", "[\"\\u0000\"]"),
	REJ("\\u0000 inside", "[\"a\\u0000b\"]"),
	REJ("\\u0000 in a key", "{\"\\u0000\":1}"),
	REJ("lone high surrogate", "[\"\\ud800\"]"),
	REJ("lone low surrogate", "[\"\\udc00\"]"),
	REJ("high surrogate then a letter", "[\"\\ud800x\"]"),
	REJ("high surrogate then \\u0041", "[\"\\ud800\\u0041\"]"),
	REJ("two high surrogates", "[\"\\ud800\\ud800\"]"),
	REJ("reversed pair", "[\"\\udc00\\ud800\"]"),
	REJ("high surrogate at the end of input", "[\"\\ud83d"),
	ACC("surrogate pair", "[\"\\ud83d\\ude00\"]", "[\"\\uD83D\\uDE00\"]"),
	ACC("surrogate pair, upper case", "[\"\\uD83D\\uDE00\"]", "[\"\\uD83D\\uDE00\"]"),
	ACC("highest code point", "[\"\\udbff\\udfff\"]", "[\"\\uDBFF\\uDFFF\"]"),
	ACC("\\u00e9", "[\"\\u00e9\"]", "[\"\\u00E9\"]"),
	ACC("\\uffff", "[\"\\uffff\"]", "[\"\\uFFFF\"]"),
	REJ("short \\u", "[\"\\u12\"]"),
	REJ("\\u with a non-hex digit", "[\"\\u12G4\"]"),
	REJ("\\x", "[\"\\x41\"]"),
	REJ("\\'", "[\"\\'\"]"),
	REJ("\\U", "[\"\\U0041\"]"),
	REJ("backslash at the end", "[\"\\"),
	ACC("\\/ is written plain", "[\"\\/\"]", "[\"/\"]"),
	ACC("every short escape", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", "[\"\\\"\\\\/\\b\\f\\n\\r\\t\"]"),
	ACC("escaped controls", "[\"\\u0001\\u001f\\u007f\\u0020\"]", "[\"\\u0001\\u001F\x7f \"]"),

	/* ---- raw bytes in strings ---- */
	REJ("raw \\x01", "[\"a\x01\"]"),
	REJ("raw tab", "[\"\t\"]"),
	REJ("raw newline", "[\"\n\"]"),
	REJ("raw NUL", "[\"a\0b\"]"),
	ACC("raw DEL is allowed", "[\"\x7f\"]", "[\"\x7f\"]"),
	ACC("two-byte UTF-8", "[\"\xc3\xa9\"]", "[\"\\u00E9\"]"),
	ACC("three-byte UTF-8", "[\"\xe2\x82\xac\"]", "[\"\\u20AC\"]"),
	ACC("four-byte UTF-8", "[\"\xf0\x9f\x98\x80\"]", "[\"\\uD83D\\uDE00\"]"),
	ACC("U+10FFFF", "[\"\xf4\x8f\xbf\xbf\"]", "[\"\\uDBFF\\uDFFF\"]"),
	ACC("U+D7FF", "[\"\xed\x9f\xbf\"]", "[\"\\uD7FF\"]"),
	ACC("U+E000", "[\"\xee\x80\x80\"]", "[\"\\uE000\"]"),
	ACC("U+2028", "[\"\xe2\x80\xa8\"]", "[\"\\u2028\"]"),
	ACC("BOM inside a string", "[\"\xef\xbb\xbf\"]", "[\"\\uFEFF\"]"),
	REJ("overlong C0 80", "[\"\xc0\x80\"]"),
	REJ("overlong C1 BF", "[\"\xc1\xbf\"]"),
	REJ("overlong E0 80 80", "[\"\xe0\x80\x80\"]"),
	REJ("overlong E0 9F BF", "[\"\xe0\x9f\xbf\"]"),
	REJ("overlong F0 8F BF BF", "[\"\xf0\x8f\xbf\xbf\"]"),
	REJ("UTF-8 surrogate ED A0 80", "[\"\xed\xa0\x80\"]"),
	REJ("UTF-8 surrogate ED BF BF", "[\"\xed\xbf\xbf\"]"),
	REJ("beyond U+10FFFF: F4 90 80 80", "[\"\xf4\x90\x80\x80\"]"),
	REJ("F5 lead", "[\"\xf5\x80\x80\x80\"]"),
	REJ("FF", "[\"\xff\"]"),
	REJ("lone continuation byte", "[\"\x80\"]"),
	REJ("truncated three-byte sequence", "[\"\xe2\x82\"]"),
	REJ("truncated four-byte sequence", "[\"\xf0\x9f\x98\"]"),
	REJ("two-byte lead then ASCII", "[\"\xc3" "a\"]"),
	REJ("sequence cut by the end of input", "[\"\xe2\x82"),
	REJ("bad UTF-8 outside a string", "[1,\xc3\xa9]"),

	/* ---- structure ---- */
	ACC("empty array", "[]", "[]"),
	ACC("empty object", "{}", "{}"),
	ACC("nested empties", "[[],{},[{}]]", "[[],{},[{}]]"),
	ACC("words", "[true,false,null]", "[true,false,null]"),
	REJ("tru", "[tru]"),
	REJ("True", "[True]"),
	REJ("nulll", "[nulll]"),
	REJ("truefalse", "[truefalse]"),
	REJ("trailing garbage", "[] x"),
	REJ("second value", "[][]"),
	REJ("extra close", "[]]"),
	REJ("extra brace", "{}}"),
	REJ("number after the root", "[1]2"),
	REJ("NUL after the root", "[]\0"),
	/* jansson's stream loses one NUL byte read ahead after a number or a word */
	ACC("one NUL after a number is dropped", "[1\0,2.5\0]", "[1,2.5]"),
	ACC("one NUL after a word is dropped", "{\"a\":true\0,\"b\":null\0}", "{\"a\":true,\"b\":null}"),
	ANY("one NUL after a scalar root is dropped", "-0\0", "0"),
	REJ("two NULs after a number", "[1\0\0]"),
	REJ("NUL after a string", "[\"a\"\0]"),
	REJ("NUL after whitespace", "[1 \0]"),
	REJ("NUL before a number", "[\0" "1]"),
	REJ("NUL after a bracket", "[[]\0]"),
	REJ("bad UTF-8 after the root", "[]\xff"),
	REJ("trailing comma in an array", "[1,]"),
	REJ("trailing comma in an object", "{\"a\":1,}"),
	REJ("leading comma", "[,1]"),
	REJ("double comma", "[1,,2]"),
	REJ("lone comma in an object", "{,}"),
	REJ("missing colon", "{\"a\" 1}"),
	REJ("missing value", "{\"a\":}"),
	REJ("number key", "{1:1}"),
	REJ("key without value", "{\"a\"}"),
	REJ("single quotes", "{'a':1}"),
	REJ("colon in an array", "[1:2]"),
	REJ("unclosed array", "[1"),
	REJ("unclosed object", "{\"a\":1"),
	REJ("unclosed string", "[\"abc"),
	REJ("unclosed key", "{\"a"),
	REJ("only an open bracket", "["),
	REJ("close first", "]"),
	ACC("empty key", "{\"\":1,\"x\":{\"\":[]}}", "{\"\":1,\"x\":{\"\":[]}}"),
	ACC("duplicate key: first place, last value", "{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}"),
	ACC("duplicate key spelt with an escape", "{\"a\":1,\"\\u0061\":2}", "{\"a\":2}"),
	ACC("duplicate key thrice", "{\"a\":1,\"a\":2,\"a\":3}", "{\"a\":3}"),
	ACC("duplicate key with containers", "{\"k\":{\"x\":1},\"m\":0,\"k\":[true]}", "{\"k\":[true],\"m\":0}"),
	ACC("duplicate empty keys", "{\"\":1,\"\":2}", "{\"\":2}"),
	ACC("duplicates in nested objects", "[{\"a\":1,\"a\":2},{\"a\":3,\"b\":4,\"b\":5}]",
	    "[{\"a\":2},{\"a\":3,\"b\":5}]"),
	ACC("whitespace everywhere", " \t\r\n[ 1 ,\t{ \"a\" :\nnull } ]\r\n ", "[1,{\"a\":null}]"),
	REJ("form feed is not whitespace", "\f[]"),
	REJ("vertical tab is not whitespace", "[\v]"),
	REJ("NBSP is not whitespace", "\xc2\xa0[]"),
	REJ("BOM", "\xef\xbb\xbf[]"),
	REJ_ANY("BOM before a scalar", "\xef\xbb\xbf" "1"),

	/* ---- top level ---- */
	REJ("empty input", ""),
	REJ_ANY("empty input, JT_ANY", ""),
	REJ("only whitespace", " \n\t "),
	REJ_ANY("only whitespace, JT_ANY", " \r\n"),
	REJ("integer root", "1"),
	ANY("integer root, JT_ANY", "1", "1"),
	ANY("-0 root, JT_ANY", " -0 ", "0"),
	ANY("real root, JT_ANY", "1.5", "1.5"),
	REJ("string root", "\"s\""),
	ANY("string root, JT_ANY", "\"s\\u00e9\"", "\"s\\u00E9\""),
	REJ("true root", "true"),
	ANY("null root, JT_ANY", "\nnull\n", "null"),
	ANY("false root, JT_ANY", "false", "false"),
	REJ_ANY("two scalars, JT_ANY", "1 2"),
	REJ_ANY("string then garbage, JT_ANY", "\"a\" x"),
	REJ_ANY("1e400 root, JT_ANY", "1e400"),
	REJ_ANY("truncated word, JT_ANY", "nul"),
	ANY("int64 min root, JT_ANY", "-9223372036854775808", "-9223372036854775808"),
	ANY("array root, JT_ANY", "[1]", "[1]"),
};

static void test_cases(void)
{
	struct jt_doc d = JT_DOC_INIT;
	struct jt_buf b = { NULL, 0, 0, 0 };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct jcase *c = &cases[i];
		/* the expected verdict and text */
		int r = jt_parse(&d, c->text, c->len, c->flags);
		if ((r == 0) != c->ok)
			fprintf(stderr, "\n  %s: jt_parse() %s (%s)\n", c->name, r == 0 ? "accepted" : "refused", d.err);
		CU_ASSERT_EQUAL(r == 0, c->ok);
		if (r == 0 && c->want != NULL) {
			jt_buf_reset(&b);
			jt_buf_node(&b, &d, 0, JT_ASCII);
			int same = !b.oom && b.len == strlen(c->want) && memcmp(b.p, c->want, b.len) == 0;
			if (!same)
				fprintf(stderr, "\n  %s: wrote %s, want %s\n", c->name, b.p, c->want);
			CU_ASSERT(same);
		}
		/* and jansson's, with both flags */
		for (unsigned f = 0; f <= JT_ANY; f++) {
			char why[512] = "";
			int acc = 0;
			int diff = jtdiff_doc(&d, c->text, c->len, f, &acc, why, sizeof(why));
			if (diff != 0)
				fprintf(stderr, "\n  %s (flags %u): %s\n", c->name, f, why);
			CU_ASSERT_EQUAL(diff, 0);
			if (f == c->flags)
				CU_ASSERT_EQUAL(acc, c->ok);
		}
	}
	CU_ASSERT(sizeof(cases) / sizeof(cases[0]) >= 80);
	jt_buf_free(&b);
	jt_free(&d);
}

/* n times open, then mid, then n times close. */
static char *nest(size_t n, const char *open, const char *mid, const char *close, size_t *len)
{
	size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
	char *s = malloc(n * (lo + lc) + lm + 1);
	if (s == NULL)
		return NULL;
	char *p = s;
	for (size_t i = 0; i < n; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, mid, lm);
	p += lm;
	for (size_t i = 0; i < n; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	*len = (size_t)(p - s);
	return s;
}

static void test_depth(void)
{
	/* jansson counts every value, scalars too: at most 2048 levels */
	static const struct {
		size_t n;
		const char *open, *mid, *close;
		int ok;
	} nests[] = {
		{ 2048, "[", "", "]", 1 },	   { 2049, "[", "", "]", 0 },
		{ 2047, "[", "1", "]", 1 },	   { 2048, "[", "1", "]", 0 },
		{ 2048, "[", "\"s\"", "]", 0 },	   { 2047, "[", "null", "]", 1 },
		{ 2047, "{\"a\":", "{}", "}", 1 }, { 2048, "{\"a\":", "{}", "}", 0 },
		{ 2047, "{\"a\":", "1", "}", 1 },  { 2048, "{\"a\":", "1", "}", 0 },
		{ 1023, "[{\"k\":", "[]", "}]", 1 }, { 1024, "[{\"k\":", "[]", "}]", 0 },
		{ 2047, "[", "[],[]", "]", 1 },	   { 2047, "[", "[[]]", "]", 0 },
		{ 2047, "[", "1,[]", "]", 1 },	   { 2047, "[", "[],1,{}", "]", 1 },
	};
	struct jt_doc d = JT_DOC_INIT;
	for (size_t i = 0; i < sizeof(nests) / sizeof(nests[0]); i++) {
		size_t len = 0;
		char *s = nest(nests[i].n, nests[i].open, nests[i].mid, nests[i].close, &len);
		CU_ASSERT_FATAL(s != NULL);
		int r = jt_parse(&d, s, len, 0);
		if ((r == 0) != nests[i].ok)
			fprintf(stderr, "\n  %zu x %s%s%s: jt_parse() %s\n", nests[i].n, nests[i].open, nests[i].mid,
				nests[i].close, r == 0 ? "accepted" : d.err);
		CU_ASSERT_EQUAL(r == 0, nests[i].ok);
		char why[512] = "";
		int diff = jtdiff_doc(&d, s, len, 0, NULL, why, sizeof(why));
		if (diff != 0)
			fprintf(stderr, "\n  %zu x %s%s%s: %s\n", nests[i].n, nests[i].open, nests[i].mid, nests[i].close,
				why);
		CU_ASSERT_EQUAL(diff, 0);
		free(s);
	}
	jt_free(&d);
}

/* Parses text (which must be valid) into d. */
static void parse_ok(struct jt_doc *d, const char *text, size_t len, unsigned flags)
{
	int r = jt_parse(d, text, len, flags);
	if (r != 0)
		fprintf(stderr, "\n  %s: %s at %zu\n", text, d->err, d->err_pos);
	CU_ASSERT_FATAL(r == 0);
}

static void write_is(struct jt_doc *d, uint32_t i, unsigned flags, const char *want)
{
	struct jt_buf b = { NULL, 0, 0, 0 };
	jt_buf_node(&b, d, i, flags);
	int same = !b.oom && b.len == strlen(want) && memcmp(b.p, want, b.len) == 0;
	if (!same)
		fprintf(stderr, "\n  wrote %s, want %s\n", b.p, want);
	CU_ASSERT(same);
	jt_buf_free(&b);
}

static void test_get(void)
{
	struct jt_doc d = JT_DOC_INIT;
	parse_ok(&d, T("{\"a\":1,\"b\":{\"c\":true},\"a\":2,\"\\u0061\":3,\"b\":null}"), 0);
	uint32_t a = jt_get(&d, 0, "a");
	CU_ASSERT_EQUAL(jt_type(&d, a), JT_INTEGER);
	CU_ASSERT_EQUAL(jt_int(&d, a, -1), 3); /* the last of three, one spelt \u0061 */
	CU_ASSERT_EQUAL(jt_type(&d, jt_get(&d, 0, "b")), JT_NULL);
	CU_ASSERT_EQUAL(jt_get(&d, 0, "c"), JT_NONE); /* only in the shadowed value */
	CU_ASSERT_EQUAL(jt_get(&d, 0, ""), JT_NONE);
	CU_ASSERT_EQUAL(jt_get(&d, 0, "A"), JT_NONE);
	CU_ASSERT_EQUAL(jt_get(&d, JT_NONE, "a"), JT_NONE);
	CU_ASSERT_EQUAL(jt_get(&d, a, "a"), JT_NONE); /* not an object */
	CU_ASSERT_EQUAL(jt_get(&d, 12345, "a"), JT_NONE);
	write_is(&d, 0, JT_ASCII, "{\"a\":3,\"b\":null}");

	parse_ok(&d, T("{\"\":1,\"x\":{\"\":2},\"a\\/b\":3,\"caf\\u00e9\":4,\"\\ud83d\\ude00\":5,\"a\\\"\":6}"), 0);
	CU_ASSERT_EQUAL(jt_int(&d, jt_get(&d, 0, ""), -1), 1);
	CU_ASSERT_EQUAL(jt_int(&d, jt_get(&d, jt_get(&d, 0, "x"), ""), -1), 2);
	CU_ASSERT_EQUAL(jt_int(&d, jt_get(&d, 0, "a/b"), -1), 3);
	CU_ASSERT_EQUAL(jt_get(&d, 0, "a\\/b"), JT_NONE);
	CU_ASSERT_EQUAL(jt_int(&d, jt_get(&d, 0, "caf\xc3\xa9"), -1), 4);
	CU_ASSERT_EQUAL(jt_int(&d, jt_get(&d, 0, "\xf0\x9f\x98\x80"), -1), 5);
	CU_ASSERT_EQUAL(jt_int(&d, jt_get(&d, 0, "a\""), -1), 6);
	CU_ASSERT_EQUAL(jt_get(&d, 0, "caf"), JT_NONE);
	jt_free(&d);
}

static void test_pointer(void)
{
	static const char doc[] = "{\"a/b\":{\"m~n\":[10,20,{\"\":5}]},\"arr\":[0,1,2,3,4,5,6,7,8,9,10,11],"
				  "\"~1\":\"tilde\",\"\":{\"\":\"empty\"},\"a\":{\"b\":\"not a/b\"}}";
	static const struct {
		const char *ptr;
		const char *want; /* the value's text, or NULL for JT_NONE */
	} ptrs[] = {
		{ "/a~1b/m~0n/1", "20" },
		{ "/a~1b/m~0n/2/", "5" },
		{ "/a~1b/m~0n", "[10,20,{\"\":5}]" },
		{ "/a/b", "\"not a/b\"" },
		{ "/arr/0", "0" },
		{ "/arr/10", "10" },
		{ "/arr/11", "11" },
		{ "/arr/12", NULL },
		{ "/arr/01", NULL },
		{ "/arr/00", NULL },
		{ "/arr/-1", NULL },
		{ "/arr/", NULL },
		{ "/arr/1x", NULL },
		{ "/~01", "\"tilde\"" },
		{ "/~1", NULL },
		{ "//", "\"empty\"" },
		{ "/", "{\"\":\"empty\"}" },
		{ "/a~1b/m~0n/1/x", NULL },
		{ "/a~1b/m~n", "[10,20,{\"\":5}]" }, /* ~n kept as it is, as the collectors do */
		{ "/a~2b", NULL },
		{ "/missing", NULL },
		{ "/missing/0", NULL },
		{ "a", NULL },
		{ "", NULL }, /* the root: checked below */
	};
	struct jt_doc d = JT_DOC_INIT;
	parse_ok(&d, T(doc), 0);
	json_error_t err;
	json_t *root = json_loadb(T(doc), 0, &err);
	CU_ASSERT_FATAL(root != NULL);
	for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++) {
		uint32_t n = jt_pointer(&d, 0, ptrs[i].ptr);
		json_t *j = collector_json_pointer(root, ptrs[i].ptr);
		if (ptrs[i].ptr[0] == '\0') {
			CU_ASSERT_EQUAL(n, 0);
			continue;
		}
		CU_ASSERT_EQUAL(n == JT_NONE, j == NULL); /* as the collectors resolve it */
		if (ptrs[i].want == NULL) {
			if (n != JT_NONE)
				fprintf(stderr, "\n  jt_pointer(%s) = %u, want JT_NONE\n", ptrs[i].ptr, (unsigned)n);
			CU_ASSERT_EQUAL(n, JT_NONE);
		} else {
			CU_ASSERT_FATAL(n != JT_NONE);
			write_is(&d, n, JT_ASCII, ptrs[i].want);
		}
	}
	/* from an inner root */
	uint32_t arr = jt_get(&d, 0, "arr");
	CU_ASSERT_EQUAL(jt_int(&d, jt_pointer(&d, arr, "/3"), -1), 3);
	CU_ASSERT_EQUAL(jt_pointer(&d, arr, ""), arr);
	CU_ASSERT_EQUAL(jt_pointer(&d, JT_NONE, "/a"), JT_NONE);
	CU_ASSERT_EQUAL(jt_pointer(&d, 0, NULL), 0);
	json_decref(root);
	jt_free(&d);
}

static void test_str(void)
{
	struct jt_doc d = JT_DOC_INIT;
	parse_ok(&d, T("[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\",\"\\u00e9\\u20AC\\ud83d\\ude00\","
		       "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"plain\",\"\",5,\"\\u0041\\u00DF\"]"),
		 0);
	size_t len = 99;
	const char *s = jt_str(&d, jt_pointer(&d, 0, "/0"), &len);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(len, sizeof("a\"b\\c/d\b\f\n\r\t") - 1);
	CU_ASSERT(memcmp(s, "a\"b\\c/d\b\f\n\r\t", len + 1) == 0);
	const char *e = jt_str(&d, jt_pointer(&d, 0, "/1"), &len);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT_EQUAL(len, 9);
	CU_ASSERT(memcmp(e, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10) == 0);
	const char *raw = jt_str(&d, jt_pointer(&d, 0, "/2"), &len);
	CU_ASSERT(raw != NULL && len == 9 && strcmp(raw, e) == 0);
	CU_ASSERT_STRING_EQUAL(jt_str(&d, jt_pointer(&d, 0, "/6"), NULL), "A\xc3\x9f");
	CU_ASSERT_STRING_EQUAL(jt_nonempty(&d, jt_pointer(&d, 0, "/3")), "plain");
	CU_ASSERT_PTR_NULL(jt_nonempty(&d, jt_pointer(&d, 0, "/4")));
	CU_ASSERT_STRING_EQUAL(jt_str(&d, jt_pointer(&d, 0, "/4"), &len), "");
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_PTR_NULL(jt_str(&d, jt_pointer(&d, 0, "/5"), &len)); /* a number */
	CU_ASSERT_PTR_NULL(jt_str(&d, 0, &len));			 /* the array */
	CU_ASSERT_PTR_NULL(jt_str(&d, JT_NONE, &len));
	CU_ASSERT_PTR_NULL(jt_str(&d, 999, &len));
	CU_ASSERT_PTR_NULL(jt_nonempty(&d, JT_NONE));
	/* earlier strings stay where they are while later ones are decoded */
	CU_ASSERT(memcmp(s, "a\"b\\c/d\b\f\n\r\t", sizeof("a\"b\\c/d\b\f\n\r\t")) == 0);

	/* many decoded strings: more than one chunk, every pointer kept valid */
	enum { NSTR = 3000 };
	size_t cap = NSTR * 40 + 4;
	char *big = malloc(cap);
	const char **got = calloc(NSTR, sizeof(*got));
	CU_ASSERT_FATAL(big != NULL && got != NULL);
	size_t bl = 0;
	big[bl++] = '[';
	for (int i = 0; i < NSTR; i++)
		bl += (size_t)snprintf(big + bl, cap - bl, "%s\"n\\u00e9%05d\\t%s\"", i ? "," : "", i,
				       i % 7 ? "x" : "\\ud83d\\ude00");
	big[bl++] = ']';
	parse_ok(&d, big, bl, 0);
	CU_ASSERT_EQUAL(d.n[0].len, NSTR);
	uint32_t c = 1;
	for (int i = 0; i < NSTR; i++, c = d.n[c].end)
		got[i] = jt_str(&d, c, NULL);
	int bad = 0;
	for (int i = 0; i < NSTR; i++) {
		char want[32];
		snprintf(want, sizeof(want), "n\xc3\xa9%05d\t%s", i, i % 7 ? "x" : "\xf0\x9f\x98\x80");
		bad += got[i] == NULL || strcmp(got[i], want) != 0;
	}
	CU_ASSERT_EQUAL(bad, 0);
	char why[512] = "";
	int diff = jtdiff_doc(&d, big, bl, 0, NULL, why, sizeof(why));
	if (diff != 0)
		fprintf(stderr, "\n  %d strings: %s\n", NSTR, why);
	CU_ASSERT_EQUAL(diff, 0);
	free(got);
	free(big);
	jt_free(&d);
}

static void test_str_eq(void)
{
	struct jt_doc d = JT_DOC_INIT;
	parse_ok(&d, T("[\"caf\\u00e9\",\"a\\/b\",\"\\ud83d\\ude00\",\"plain\",\"\\u0041\\u0042\",\"\\\\\",5]"), 0);
	uint32_t caf = jt_pointer(&d, 0, "/0"), ab = jt_pointer(&d, 0, "/1"), smile = jt_pointer(&d, 0, "/2");
	uint32_t plain = jt_pointer(&d, 0, "/3"), AB = jt_pointer(&d, 0, "/4"), bs = jt_pointer(&d, 0, "/5");
	CU_ASSERT(jt_str_eq(&d, caf, T("caf\xc3\xa9")));
	CU_ASSERT(!jt_str_eq(&d, caf, T("cafe")));
	CU_ASSERT(!jt_str_eq(&d, caf, T("caf\xc3\xa9!")));
	CU_ASSERT(!jt_str_eq(&d, caf, T("caf")));
	CU_ASSERT(!jt_str_eq(&d, caf, T("caf\\u00e9"))); /* the escaped text is not the value */
	CU_ASSERT(jt_str_eq(&d, ab, T("a/b")));
	CU_ASSERT(!jt_str_eq(&d, ab, T("a\\/b")));
	CU_ASSERT(jt_str_eq(&d, smile, T("\xf0\x9f\x98\x80")));
	CU_ASSERT(!jt_str_eq(&d, smile, T("\xf0\x9f\x98\x81")));
	CU_ASSERT(jt_str_eq(&d, plain, T("plain")));
	CU_ASSERT(!jt_str_eq(&d, plain, T("plai")));
	CU_ASSERT(!jt_str_eq(&d, plain, T("plainx")));
	CU_ASSERT(jt_str_eq(&d, AB, T("AB")));
	CU_ASSERT(jt_str_eq(&d, bs, T("\\")));
	CU_ASSERT(!jt_str_eq(&d, bs, T("\\\\")));
	CU_ASSERT(!jt_str_eq(&d, jt_pointer(&d, 0, "/6"), T("5")));
	CU_ASSERT(!jt_str_eq(&d, JT_NONE, T("")));
	CU_ASSERT(!jt_str_eq(&d, 0, T("")));
	jt_free(&d);
}

static void test_numbers(void)
{
	static const char doc[] = "[0,-0,9223372036854775807,-9223372036854775808,1.0,2.5,1e15,-1e15,1e300,\"7\",null,"
				  "true,-1.5e1,9e15,9.5e15,-0.0]";
	static const struct {
		int64_t i;   /* jt_int(def -99) */
		double real; /* jt_number() */
	} want[] = {
		{ 0, 0 },
		{ 0, 0 },
		{ INT64_MAX, 9223372036854775807.0 },
		{ INT64_MIN, -9223372036854775808.0 },
		{ 1, 1.0 },
		{ -99, 2.5 },
		{ 1000000000000000LL, 1e15 },
		{ -1000000000000000LL, -1e15 },
		{ -99, 1e300 },
		{ -99, 0 },
		{ -99, 0 },
		{ -99, 0 },
		{ -15, -15.0 },
		{ 9000000000000000LL, 9e15 },
		{ -99, 9.5e15 },
		{ 0, -0.0 },
	};
	struct jt_doc d = JT_DOC_INIT;
	parse_ok(&d, T(doc), 0);
	json_error_t err;
	json_t *j = json_loadb(T(doc), 0, &err);
	CU_ASSERT_FATAL(j != NULL);
	CU_ASSERT_EQUAL_FATAL(d.n[0].len, sizeof(want) / sizeof(want[0]));
	uint32_t c = 1;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++, c = d.n[c].end) {
		int64_t gi = jt_int(&d, c, -99);
		double gr = jt_number(&d, c);
		if (gi != want[i].i || gr != want[i].real)
			fprintf(stderr, "\n  value %zu: jt_int %lld jt_number %.17g\n", i, (long long)gi, gr);
		CU_ASSERT_EQUAL(gi, want[i].i);
		CU_ASSERT_EQUAL(gr, want[i].real);
		json_t *v = json_array_get(j, i);
		if (json_is_integer(v))
			CU_ASSERT_EQUAL(gi, json_integer_value(v));
		if (json_is_number(v))
			CU_ASSERT_EQUAL(gr, json_number_value(v));
	}
	CU_ASSERT(signbit(jt_number(&d, jt_pointer(&d, 0, "/15"))));
	CU_ASSERT_EQUAL(jt_int(&d, JT_NONE, 42), 42);
	CU_ASSERT_EQUAL(jt_number(&d, JT_NONE), 0);
	CU_ASSERT_EQUAL(jt_int(&d, 0, 42), 42); /* the array */
	json_decref(j);
	jt_free(&d);
}

static void test_reuse(void)
{
	struct jt_doc d = JT_DOC_INIT;
	parse_ok(&d, T("{\"a\":\"x\\u0041\",\"n\":[1,2,3]}"), 0);
	CU_ASSERT_EQUAL(d.count, 8);
	CU_ASSERT_STRING_EQUAL(jt_str(&d, jt_get(&d, 0, "a"), NULL), "xA");

	/* a second document in the same jt_doc */
	parse_ok(&d, T("[{\"z\":\"\\u00e9\"}]"), 0);
	CU_ASSERT_EQUAL(d.count, 4);
	CU_ASSERT_EQUAL(jt_get(&d, 0, "a"), JT_NONE);
	CU_ASSERT_STRING_EQUAL(jt_str(&d, jt_pointer(&d, 0, "/0/z"), NULL), "\xc3\xa9");
	write_is(&d, 0, JT_ASCII, "[{\"z\":\"\\u00E9\"}]");
	write_is(&d, 0, 0, "[{\"z\":\"\xc3\xa9\"}]");

	/* a larger one: the tape grows */
	char big[8192];
	size_t bl = 0;
	big[bl++] = '[';
	for (int i = 0; i < 1000; i++)
		bl += (size_t)snprintf(big + bl, sizeof(big) - bl, "%s%d", i ? "," : "", i);
	big[bl++] = ']';
	parse_ok(&d, big, bl, 0);
	CU_ASSERT_EQUAL(d.count, 1001);
	CU_ASSERT_EQUAL(jt_int(&d, jt_pointer(&d, 0, "/999"), -1), 999);

	/* a refused parse leaves nothing behind */
	CU_ASSERT_EQUAL(jt_parse(&d, T("{\"a\":[1,2}"), 0), -1);
	CU_ASSERT_EQUAL(d.count, 0);
	CU_ASSERT(d.err[0] != '\0');
	CU_ASSERT_EQUAL(d.err_pos, 9);
	CU_ASSERT_EQUAL(jt_get(&d, 0, "a"), JT_NONE);
	CU_ASSERT_EQUAL(jt_pointer(&d, 0, "/a"), JT_NONE);
	CU_ASSERT_EQUAL(jt_pointer(&d, 0, "/0"), JT_NONE);
	CU_ASSERT_PTR_NULL(jt_str(&d, 0, NULL));
	CU_ASSERT_EQUAL(jt_int(&d, 0, -5), -5);
	CU_ASSERT_EQUAL(jt_number(&d, 0), 0);
	struct jt_buf b = { NULL, 0, 0, 0 };
	jt_buf_node(&b, &d, 0, JT_ASCII);
	CU_ASSERT(b.oom); /* nothing to write */
	jt_buf_free(&b);
	/* the refused array's nodes are still in memory: a pointer must not reach them */
	CU_ASSERT_EQUAL(jt_parse(&d, T("[10,20,x]"), 0), -1);
	CU_ASSERT_EQUAL(d.count, 0);
	CU_ASSERT_EQUAL(jt_pointer(&d, 0, "/1"), JT_NONE);

	/* and the next parse works again, JT_ANY too */
	parse_ok(&d, T("\"again\""), JT_ANY);
	CU_ASSERT_EQUAL(d.count, 1);
	CU_ASSERT_EQUAL(d.err[0], '\0');
	CU_ASSERT_STRING_EQUAL(jt_str(&d, 0, NULL), "again");
	CU_ASSERT_EQUAL(jt_parse(&d, T("\"again\""), 0), -1); /* a scalar root needs JT_ANY */
	CU_ASSERT_EQUAL(d.count, 0);

	/* jt_free() empties it; it can be parsed into again, and freed twice */
	jt_free(&d);
	CU_ASSERT_PTR_NULL(d.n);
	parse_ok(&d, T("[true]"), 0);
	CU_ASSERT_EQUAL(jt_type(&d, 1), JT_TRUE);
	jt_free(&d);
	jt_free(&d);
}

static void test_buf_str(void)
{
	static const struct {
		const char *s;
		size_t len;
		const char *want; /* jt_buf_str() */
	} strs[] = {
		{ T(""), "\"\"" },
		{ T("plain"), "\"plain\"" },
		{ T("\"\\/"), "\"\\\"\\\\/\"" },
		{ T("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"" },
		{ T("\x01\x1f\x7f"), "\"\\u0001\\u001F\x7f\"" },
		{ T("a\0b"), "\"a\\u0000b\"" },
		{ T("\xc3\xa9"), "\"\\u00E9\"" },
		{ T("\xe2\x82\xac"), "\"\\u20AC\"" },
		{ T("\xf0\x9f\x98\x80"), "\"\\uD83D\\uDE00\"" },
		{ T("\xf4\x8f\xbf\xbf"), "\"\\uDBFF\\uDFFF\"" },
		{ T("\xe2\x80\xa8\xef\xbb\xbf"), "\"\\u2028\\uFEFF\"" },
		{ T("\xc2\x80\xdf\xbf\xe0\xa0\x80"), "\"\\u0080\\u07FF\\u0800\"" },
	};
	struct jt_buf b = { NULL, 0, 0, 0 };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		jt_buf_reset(&b);
		jt_buf_str(&b, strs[i].s, strs[i].len);
		int same = !b.oom && b.len == strlen(strs[i].want) && memcmp(b.p, strs[i].want, b.len) == 0;
		if (!same)
			fprintf(stderr, "\n  jt_buf_str #%zu wrote %s, want %s\n", i, b.p, strs[i].want);
		CU_ASSERT(same);
		char why[512] = "";
		int diff = jtdiff_str(strs[i].s, strs[i].len, why, sizeof(why));
		if (diff != 0)
			fprintf(stderr, "\n  jt_buf_str #%zu: %s\n", i, why);
		CU_ASSERT_EQUAL(diff, 0);
	}
	/* every single byte and every pair of ASCII bytes against jansson */
	int bad = 0;
	for (int c = 0; c < 256; c++) {
		char s[2] = { (char)c, 'x' }, why[512];
		bad += jtdiff_str(s, 2, why, sizeof(why)) != 0;
		for (int c2 = 0; c2 < 128; c2++) {
			s[1] = (char)c2;
			bad += jtdiff_str(s, 2, why, sizeof(why)) != 0;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* not UTF-8: still a JSON string (U+FFFD) rather than broken text */
	jt_buf_reset(&b);
	jt_buf_str(&b, T("a\xff\xc3"));
	json_error_t err;
	json_t *j = json_loadb(b.p, b.len, JSON_DECODE_ANY, &err);
	CU_ASSERT(json_is_string(j));
	json_decref(j);
	/* the helpers around it */
	jt_buf_reset(&b);
	jt_buf_str_or_null(&b, NULL);
	jt_buf_raw(&b, ",", 1);
	jt_buf_str_or_null(&b, "\xc3\xa9");
	jt_buf_raw(&b, ",", 1);
	jt_buf_str_utf8(&b, T("\xc3\xa9\n"));
	CU_ASSERT_STRING_EQUAL(b.p, "null,\"\\u00E9\",\"\xc3\xa9\\n\"");
	size_t cap = b.cap;
	jt_buf_reset(&b);
	CU_ASSERT_EQUAL(b.len, 0);
	CU_ASSERT_EQUAL(b.cap, cap);
	jt_buf_free(&b);
	CU_ASSERT_PTR_NULL(b.p);
}

/* ---- generated documents --------------------------------------------------- */

struct gen {
	uint64_t x;
	char s[1024];
	size_t len;
};

static uint32_t gen_rand(struct gen *g)
{
	/* xorshift64* */
	g->x ^= g->x >> 12;
	g->x ^= g->x << 25;
	g->x ^= g->x >> 27;
	return (uint32_t)((g->x * 2685821657736338717ULL) >> 32);
}

static void gen_put(struct gen *g, const char *s)
{
	size_t n = strlen(s);
	if (g->len + n < sizeof(g->s)) {
		memcpy(g->s + g->len, s, n);
		g->len += n;
	}
}

#define PICK(g, list) (list)[gen_rand(g) % (sizeof(list) / sizeof((list)[0]))]

static const char *const numbers[] = {
	"0", "-0", "1", "-1", "12", "0.5", "-0.0", "1e5", "1E-5", "1e+2", "2.5e-3", "1e400", "-1e400", "1e-400",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
	"1.7976931348623157e308", "4.9e-324", "0.1", "123456789.123456789", "1e100", "-7e-10",
	"1.00000000000000000000000000000000000000000000000000000000000000000001", "01", "1.", "-", ".5",
};
static const char *const pieces[] = {
	"a", "key", "\\u00e9", "\\u00E9", "\\ud83d\\ude00", "\\uDBFF\\uDFFF", "\\u0041", "\\\"", "\\\\", "\\/",
	"\\b\\f\\n\\r\\t", "\\u001f", "\\u007f", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	"\xef\xbb\xbf", "\xe2\x80\xa8", " ", "~", "/", "0", "~1",
};
static const char *const bad_pieces[] = {
	"\\ud800", "\\udc00", "\\u0000", "\\x", "\xed\xa0\x80", "\xc0\x80", "\x01", "\\u12", "\xf4\x90\x80\x80",
};
static const char *const keys[] = {
	"a", "b", "\\u0061", "\\u0062", "", "a/b", "m~n", "caf\\u00e9", "caf\xc3\xa9", "x",
};
static const char *const spaces[] = { " ", "\n", "\t", "\r\n ", "" };
static const unsigned char odd_bytes[] = {
	'"', '\\', '[', ']', '{', '}', ',', ':', '0', '-', 'e', '.', '+', ' ', '\n', 'u', 'a', 't', 'n',
	0x00, 0x01, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
};

static void gen_ws(struct gen *g)
{
	if (gen_rand(g) % 4 == 0)
		gen_put(g, PICK(g, spaces));
}

static void gen_string(struct gen *g, int key)
{
	gen_put(g, "\"");
	if (key) {
		gen_put(g, PICK(g, keys));
	} else {
		for (uint32_t n = gen_rand(g) % 4; n > 0; n--)
			gen_put(g, gen_rand(g) % 16 == 0 ? PICK(g, bad_pieces) : PICK(g, pieces));
	}
	gen_put(g, "\"");
}

static void gen_value(struct gen *g, int depth)
{
	gen_ws(g);
	switch (gen_rand(g) % (depth < 4 ? 10 : 6)) {
	case 0:
	case 1:
		gen_put(g, PICK(g, numbers));
		break;
	case 2: {
		static const char *const words[] = { "true", "false", "null" };
		gen_put(g, PICK(g, words));
		break;
	}
	case 3:
	case 4:
	case 5:
		gen_string(g, 0);
		break;
	case 6:
	case 7:
		gen_put(g, "[");
		for (uint32_t i = 0, n = gen_rand(g) % 5; i < n; i++) {
			if (i > 0)
				gen_put(g, ",");
			gen_value(g, depth + 1);
		}
		gen_ws(g);
		gen_put(g, "]");
		break;
	default:
		gen_put(g, "{");
		for (uint32_t i = 0, n = gen_rand(g) % 5; i < n; i++) {
			if (i > 0)
				gen_put(g, ",");
			gen_ws(g);
			gen_string(g, 1);
			gen_ws(g);
			gen_put(g, ":");
			gen_value(g, depth + 1);
		}
		gen_ws(g);
		gen_put(g, "}");
		break;
	}
	gen_ws(g);
}

static void gen_mutate(struct gen *g)
{
	for (uint32_t n = 1 + gen_rand(g) % 3; n > 0 && g->len > 0; n--) {
		size_t at = gen_rand(g) % g->len;
		unsigned char b = PICK(g, odd_bytes);
		switch (gen_rand(g) % 4) {
		case 0: /* replace */
			g->s[at] = (char)b;
			break;
		case 1: /* insert */
			if (g->len + 1 < sizeof(g->s)) {
				memmove(g->s + at + 1, g->s + at, g->len - at);
				g->s[at] = (char)b;
				g->len++;
			}
			break;
		case 2: /* delete */
			memmove(g->s + at, g->s + at + 1, g->len - at - 1);
			g->len--;
			break;
		default: /* truncate */
			g->len = at;
			break;
		}
	}
}

static void test_random(void)
{
	enum { ROUNDS = 4000 };
	struct gen g = { 0x9e3779b97f4a7c15ULL, "", 0 };
	struct jt_doc d = JT_DOC_INIT;
	int accepted = 0, failures = 0;
	for (int round = 0; round < ROUNDS; round++) {
		g.len = 0;
		unsigned flags = gen_rand(&g) % 3 == 0 ? JT_ANY : 0;
		if (gen_rand(&g) % 4 == 0) {
			gen_value(&g, 0);
		} else {
			gen_put(&g, gen_rand(&g) % 2 ? "[" : "{\"a\":");
			gen_value(&g, 1);
			gen_put(&g, g.s[0] == '[' ? "]" : "}");
		}
		if (gen_rand(&g) % 2)
			gen_mutate(&g);
		char why[512] = "";
		int acc = 0;
		if (jtdiff_doc(&d, g.s, g.len, flags, &acc, why, sizeof(why)) != 0) {
			if (failures++ < 10)
				fprintf(stderr, "\n  round %d, flags %u, \"%.*s\": %s\n", round, flags, (int)g.len, g.s,
					why);
		}
		accepted += acc;
	}
	CU_ASSERT_EQUAL(failures, 0);
	/* the mix exercises both verdicts */
	CU_ASSERT(accepted > ROUNDS / 5);
	CU_ASSERT(accepted < ROUNDS * 4 / 5);
	jt_free(&d);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "tricky documents: verdict, text, and jansson", test_cases },
		{ "nesting limit counts scalars", test_depth },
		{ "jt_get(): last duplicate, escaped keys", test_get },
		{ "jt_pointer(): escapes, indices", test_pointer },
		{ "jt_str(): escapes decoded to UTF-8, chunks", test_str },
		{ "jt_str_eq() on escaped strings", test_str_eq },
		{ "jt_int() and jt_number()", test_numbers },
		{ "a jt_doc reused, after a refused parse too", test_reuse },
		{ "jt_buf_str() and friends", test_buf_str },
		{ "generated and mutated documents against jansson", test_random },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "jtape", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
