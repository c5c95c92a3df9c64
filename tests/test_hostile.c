/*
 * test_hostile.c: every case of tests/hostile/ (bad vendor pages, one file
 * each) through every collector's page normalizer, one run each against a
 * scratch store.  For each (case, source):
 * - nothing crashes (valgrind and ASan runs also catch leaks and overruns);
 * - the run either fails with a reason (never "without a reason"), or
 *   commits facts that are valid JSON, with the page stored byte for byte;
 * - where the table below says so, the outcome is fixed: an error whose
 *   message contains a given text, or success (with the strings a case
 *   lists, such as SQL and HTML metacharacters, read back identical);
 * and after each case the store passes PRAGMA quick_check.
 *
 * Cases are named by their file.  "@LONG@" in a case is replaced by 8 MiB
 * of text when it is read (see LONG_LEN), so that the corpus stays small.  Most cases are
 * one JSON object holding every object-rooted vendor's listing at once
 * (InstancePatchStates, Events, value, entries, hosts, BackupJobs, items);
 * "-array" cases are bare arrays, KnowBe4's page shape.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "log.h"
#include "normhelp.h"
#include "testhelp.h"

/* The length of @LONG@: 8 MiB, or 256 KiB under valgrind ($TEST_WRAPPER
 * set by tests/run-test), where 8 MiB strings take minutes; the code paths
 * are the same. */
#define LONG_LEN (8u << 20)
#define LONG_LEN_VALGRIND (256u << 10)
static size_t long_len;

/* The metacharacters of the -metachars cases, as the files hold them. */
#define SQL1 "'; DROP TABLE runs; --"
#define SQL2 "Robert'); DROP TABLE evidence;--"
#define SQL3 "\" OR 1=1 -- ' OR ''='"
#define HTML1 "<script>alert(1)</script>"
#define HTML2 "\"><img src=x onerror=alert(document.cookie)>"
#define HTML3 "&lt;b&gt; & <!-- --> ]]>"
#define UNI1 "i-\xc3\xa9\xe4\xb8\xad\xe6\x96\x87"
#define UNI2 "\xe2\x80\xae" "evil\xe2\x80\xac \xf0\x9f\x98\x80 e\xcc\x81 \xe2\x80\xa8\xef\xbb\xbf"
#define UNI3 "\\\"/\b\f\n\r\t"
#define LONG "@LONG@" /* stands for the 8 MiB string */

/* Every case file, and the strings a successful run must store verbatim. */
struct hcase {
	const char *name;
	const char *verbatim[3];
};

static const struct hcase cases[] = {
	{ "valid", { NULL } },
	{ "valid-array", { NULL } },
	{ "malformed", { NULL } },
	{ "truncated", { NULL } },
	{ "truncated-array", { NULL } },
	{ "empty", { NULL } },
	{ "whitespace", { NULL } },
	{ "scalar-root", { NULL } },
	{ "null-root", { NULL } },
	{ "trailing-garbage", { NULL } },
	{ "bom", { NULL } },
	{ "deep-nesting", { NULL } },
	{ "nested-1000", { NULL } },
	{ "invalid-utf8", { NULL } },
	{ "lone-surrogate", { NULL } },
	{ "nul-raw", { NULL } },
	{ "nul-escaped", { NULL } },
	{ "unicode", { UNI1, UNI2, UNI3 } },
	{ "huge-real", { NULL } },
	{ "huge-integer", { NULL } },
	{ "huge-negative", { NULL } },
	{ "extreme-numbers", { NULL } },
	{ "extreme-numbers-array", { NULL } },
	{ "wrong-types-listing", { NULL } },
	{ "wrong-types-ids", { NULL } },
	{ "wrong-types-ids-array", { NULL } },
	{ "wrong-types-fields", { NULL } },
	{ "wrong-types-fields-array", { NULL } },
	{ "user-not-object-array", { NULL } },
	{ "empty-arrays", { NULL } },
	{ "empty-array", { NULL } },
	{ "empty-object", { NULL } },
	{ "null-everywhere", { NULL } },
	{ "null-records", { NULL } },
	{ "null-records-array", { NULL } },
	{ "null-fields", { NULL } },
	{ "null-fields-array", { NULL } },
	{ "sql-metachars", { SQL1, SQL2, SQL3 } },
	{ "sql-metachars-array", { SQL1, SQL2, SQL3 } },
	{ "html-metachars", { HTML1, HTML2, HTML3 } },
	{ "html-metachars-array", { HTML1, HTML2, HTML3 } },
	{ "long-strings", { LONG } },
	{ "long-strings-array", { LONG } },
	{ "cloudtrail-event-not-json", { NULL } },
	{ "cloudtrail-event-array", { NULL } },
	{ "cloudtrail-event-scalar", { NULL } },
	{ "cloudtrail-event-object", { NULL } },
	{ "cloudtrail-event-deep", { NULL } },
	{ "cloudtrail-event-nul", { NULL } },
	{ "cloudtrail-no-time", { NULL } },
	{ "duplicate-keys", { NULL } },
};

enum outcome { ANY, OK, ERR };

/*
 * Expected outcomes.  The first row matching (case, source) applies; source
 * "*" matches every source.  Without a row the outcome may be either (but
 * still no crash, a reason for a failure, and a sound store).  facts >= 0
 * is the exact number of facts a successful run stores.
 */
struct expect {
	const char *kase;
	const char *source;
	enum outcome outcome;
	const char *needle; /* ERR: a text the error must contain */
	long facts;
};

#define NOT_JSON "the response is not valid JSON"
#define KB4 "knowbe4-training"
#define KB4_NOT_ARRAY "page 1 is not a JSON array"

/* The message of each source for a page without its listing array. */
#define NO_LISTING(c)                                                                  \
	{ c, "aws-ssm-patch", ERR, "no InstancePatchStates in the response", -1 },      \
	{ c, "aws-cloudtrail", ERR, "LookupEvents: no Events in the response", -1 },    \
	{ c, "azure-activity-log", ERR, "no value array in the response", -1 },         \
	{ c, "fleet-hosts", ERR, "no hosts array in the response", -1 },                \
	{ c, "aws-backup-jobs", ERR, "no BackupJobs array in the response", -1 },       \
	{ c, KB4, ERR, KB4_NOT_ARRAY, -1 },                                              \
	{ c, "http-json", ERR, "no array at items = '/items'", -1 },                    \
	{ c, "http-json-fields", ERR, "no array at items = '/items'", -1 }

/* The union cases: every source but KnowBe4 succeeds. */
#define UNION_OK(c) { c, KB4, ERR, KB4_NOT_ARRAY, -1 }, { c, "*", OK, NULL, -1 }
/* The bare-array cases: KnowBe4 succeeds, the others do not. */
#define ARRAY_ONLY(c)                                                                  \
	{ c, KB4, OK, NULL, -1 },                                                       \
	{ c, "gcp-audit-log", ERR, "entries.list: the response is not a JSON object", -1 }, \
	NO_LISTING(c)

static const struct expect expects[] = {
	/* not JSON at all: always an error, with jansson's reason and offset */
	{ "malformed", "*", ERR, NOT_JSON, -1 },
	{ "truncated", "*", ERR, NOT_JSON, -1 },
	{ "truncated-array", "*", ERR, NOT_JSON, -1 },
	{ "empty", "*", ERR, NOT_JSON, -1 },
	{ "whitespace", "*", ERR, NOT_JSON, -1 },
	{ "scalar-root", "*", ERR, NOT_JSON, -1 },
	{ "null-root", "*", ERR, NOT_JSON, -1 },
	{ "trailing-garbage", "*", ERR, NOT_JSON, -1 },
	{ "bom", "*", ERR, NOT_JSON, -1 },
	{ "deep-nesting", "*", ERR, "maximum parsing depth reached", -1 },
	{ "invalid-utf8", "*", ERR, NOT_JSON, -1 },
	{ "lone-surrogate", "*", ERR, NOT_JSON, -1 },
	{ "nul-raw", "*", ERR, NOT_JSON, -1 },
	{ "nul-escaped", "*", ERR, "\\u0000 is not allowed", -1 },
	{ "huge-real", "*", ERR, "real number overflow", -1 },
	{ "huge-integer", "*", ERR, "too big integer", -1 },
	{ "huge-negative", "*", ERR, "real number overflow", -1 },

	/* well-formed pages with odd contents: stored, or refused by name */
	{ "valid", "fleet-hosts", OK, NULL, 2 }, /* the host and its CVE */
	{ "valid", KB4, ERR, KB4_NOT_ARRAY, -1 },
	{ "valid", "*", OK, NULL, 1 },
	{ "valid-array", KB4, OK, NULL, 1 },
	ARRAY_ONLY("valid-array"),
	UNION_OK("nested-1000"),
	UNION_OK("unicode"),
	UNION_OK("extreme-numbers"),
	ARRAY_ONLY("extreme-numbers-array"),
	UNION_OK("sql-metachars"),
	ARRAY_ONLY("sql-metachars-array"),
	UNION_OK("html-metachars"),
	ARRAY_ONLY("html-metachars-array"),
	UNION_OK("long-strings"),
	ARRAY_ONLY("long-strings-array"),
	UNION_OK("duplicate-keys"),
	{ "null-fields", "fleet-hosts", ERR, "a vulnerability without cve", -1 },
	UNION_OK("null-fields"),
	ARRAY_ONLY("null-fields-array"),
	UNION_OK("wrong-types-fields"),
	ARRAY_ONLY("wrong-types-fields-array"),

	/* containers of the wrong type where the listing is */
	{ "wrong-types-listing", "gcp-audit-log", ERR, "entries.list: entries is not an array", -1 },
	NO_LISTING("wrong-types-listing"),
	{ "null-everywhere", "gcp-audit-log", ERR, "entries.list: entries is not an array", -1 },
	NO_LISTING("null-everywhere"),

	/* ids of the wrong type, or null: the record is refused by name */
	{ "wrong-types-ids", "aws-ssm-patch", ERR, "DescribeInstancePatchStates: an entry without InstanceId", -1 },
	{ "wrong-types-ids", "aws-cloudtrail", ERR, "an event without EventId or CloudTrailEvent", -1 },
	{ "wrong-types-ids", "azure-activity-log", ERR, "an event without eventDataId", -1 },
	{ "wrong-types-ids", "gcp-audit-log", ERR, "an entry without insertId", -1 },
	{ "wrong-types-ids", "fleet-hosts", ERR, "a host without an integer id", -1 },
	{ "wrong-types-ids", "aws-backup-jobs", ERR, "a job without BackupJobId", -1 },
	{ "wrong-types-ids", KB4, ERR, KB4_NOT_ARRAY, -1 },
	{ "wrong-types-ids", "http-json", OK, NULL, 1 }, /* an id that is no scalar: no ext_id */
	{ "wrong-types-ids", "http-json-fields", OK, NULL, 1 },
	{ "wrong-types-ids-array", KB4, ERR, "an enrollment without an integer enrollment_id", -1 },
	{ "user-not-object-array", KB4, ERR, "user is not an object", -1 },
	{ "null-records", "aws-ssm-patch", ERR, "an entry without InstanceId", -1 },
	{ "null-records", "aws-cloudtrail", ERR, "an event without EventId or CloudTrailEvent", -1 },
	{ "null-records", "azure-activity-log", ERR, "an event without eventDataId", -1 },
	{ "null-records", "gcp-audit-log", ERR, "an entry without insertId", -1 },
	{ "null-records", "fleet-hosts", ERR, "a host without an integer id", -1 },
	{ "null-records", "aws-backup-jobs", ERR, "a job without BackupJobId", -1 },
	{ "null-records", KB4, ERR, KB4_NOT_ARRAY, -1 },
	{ "null-records", "http-json", ERR, "item 1 at items = '/items' is not an object", -1 },
	{ "null-records", "http-json-fields", OK, NULL, 2 }, /* mapped fields of a null item are null */
	{ "null-records-array", KB4, ERR, "an enrollment without an integer enrollment_id", -1 },

	/* empty listings are empty pages; an empty object is one only for GCP */
	{ "empty-arrays", KB4, ERR, KB4_NOT_ARRAY, -1 },
	{ "empty-arrays", "*", OK, NULL, 0 },
	{ "empty-array", KB4, OK, NULL, 0 },
	ARRAY_ONLY("empty-array"),
	{ "empty-object", "gcp-audit-log", OK, NULL, 0 },
	NO_LISTING("empty-object"),

	/* CloudTrailEvent, the JSON document inside a JSON string */
	{ "cloudtrail-event-not-json", "aws-cloudtrail", ERR, "CloudTrailEvent is not a JSON object", -1 },
	{ "cloudtrail-event-array", "aws-cloudtrail", ERR, "CloudTrailEvent is not a JSON object (it is an array)",
	  -1 },
	{ "cloudtrail-event-scalar", "aws-cloudtrail", ERR, "CloudTrailEvent is not a JSON object", -1 },
	{ "cloudtrail-event-deep", "aws-cloudtrail", ERR, "maximum parsing depth reached", -1 },
	{ "cloudtrail-event-nul", "aws-cloudtrail", ERR, "CloudTrailEvent is not a JSON object", -1 },
	{ "cloudtrail-event-object", "aws-cloudtrail", ERR, "an event without EventId or CloudTrailEvent", -1 },
	{ "cloudtrail-no-time", "aws-cloudtrail", ERR, "has no EventTime", -1 },
};

static struct nh_env env;
static char *long_text;

static int setup(void)
{
	log_init("test_hostile", LOG_TO_STDERR, LOG_ERR);
	const char *wrapper = getenv("TEST_WRAPPER");
	long_len = wrapper != NULL && *wrapper != '\0' ? LONG_LEN_VALGRIND : LONG_LEN;
	long_text = malloc(long_len + 1);
	if (long_text == NULL)
		return -1;
	for (size_t i = 0; i < long_len; i++)
		long_text[i] = (char)('A' + i % 26);
	long_text[long_len] = '\0';
	return nh_open(&env) == 0 ? 0 : -1;
}

static int teardown(void)
{
	nh_close(&env);
	free(long_text);
	return 0;
}

static const struct expect *expect_for(const char *kase, const char *source)
{
	static const struct expect any = { NULL, NULL, ANY, NULL, -1 };
	for (size_t i = 0; i < sizeof(expects) / sizeof(expects[0]); i++)
		if (strcmp(expects[i].kase, kase) == 0 && strcmp(expects[i].source, source) == 0)
			return &expects[i];
	for (size_t i = 0; i < sizeof(expects) / sizeof(expects[0]); i++)
		if (strcmp(expects[i].kase, kase) == 0 && strcmp(expects[i].source, "*") == 0)
			return &expects[i];
	return &any;
}

/* Reads tests/hostile/NAME.json (bytes, NUL bytes kept), with @LONG@
 * expanded.  Returns a malloc'd buffer, or NULL. */
static char *read_case(const char *name, size_t *len)
{
	char *path = NULL;
	if (asprintf(&path, "%s/hostile/%s.json", th_srcdir(), name) < 0)
		return NULL;
	FILE *f = fopen(path, "rb");
	free(path);
	if (f == NULL)
		return NULL;
	char *raw = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&raw, &n);
	char chunk[65536];
	for (;;) {
		size_t got = fread(chunk, 1, sizeof(chunk), f);
		if (got == 0)
			break;
		fwrite(chunk, 1, got, m);
	}
	fclose(f);
	fclose(m);
	/* expand @LONG@ (the files hold no other '@' sequences of that form) */
	char *out = NULL;
	size_t outlen = 0;
	m = open_memstream(&out, &outlen);
	for (size_t i = 0; i < n;) {
		if (n - i >= strlen(LONG) && memcmp(raw + i, LONG, strlen(LONG)) == 0) {
			fwrite(long_text, 1, long_len, m);
			i += strlen(LONG);
		} else {
			fputc(raw[i], m);
			i++;
		}
	}
	fclose(m);
	free(raw);
	*len = outlen;
	return out;
}

/* ---- reading a run's evidence back ------------------------------------------- */

struct readback {
	json_t *strings; /* every string value and ext_id of the run's facts */
	long facts;
	int bad_json;
	int64_t page_id;
};

static void add_strings(json_t *acc, json_t *v)
{
	if (json_is_string(v)) {
		json_array_append(acc, v);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		add_strings(acc, x);
	} else if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x)
		add_strings(acc, x);
	}
}

static int on_row(void *arg, const struct store_val *cols, size_t n)
{
	struct readback *rb = arg;
	(void)n;
	if (cols[0].type == STORE_TEXT && strcmp(cols[0].s, "raw.page") == 0) {
		rb->page_id = cols[3].i;
		return 0;
	}
	rb->facts++;
	json_error_t jerr;
	json_t *j = cols[1].type == STORE_TEXT ? json_loads(cols[1].s, 0, &jerr) : NULL;
	if (j == NULL)
		rb->bad_json++;
	add_strings(rb->strings, j);
	json_decref(j);
	if (cols[2].type == STORE_TEXT)
		json_array_append_new(rb->strings, json_string(cols[2].s));
	return 0;
}

static int has_string(json_t *strings, const char *want)
{
	size_t i;
	json_t *s;
	json_array_foreach(strings, i, s)
	{
		if (strcmp(json_string_value(s), want) == 0)
			return 1;
	}
	return 0;
}

static int failures;

static void report(const char *kase, const char *source, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(const char *kase, const char *source, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "FAIL %s / %s: ", kase, source);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	failures++;
}

/* Checks a committed run: its facts parse, the page is the body, and the
 * case's strings are there. */
static void check_success(const struct hcase *hc, const char *source, const struct expect *ex,
			  const struct collector_result *res, const char *body, size_t len)
{
	struct readback rb = { json_array(), 0, 0, 0 };
	struct store_val args[] = { STORE_V_INT(res->run_id) };
	int r = store_query(env.st, "SELECT kind, payload, ext_id, id FROM evidence WHERE run_id = ? ORDER BY id",
			    args, 1, on_row, &rb, NULL);
	if (r != 0)
		report(hc->name, source, "cannot read the run back (%d)", r);
	if (rb.bad_json > 0)
		report(hc->name, source, "%d facts are not valid JSON", rb.bad_json);
	if ((uint64_t)rb.facts != res->facts)
		report(hc->name, source, "%ld facts stored, the run counted %llu", rb.facts,
		       (unsigned long long)res->facts);
	if (ex->facts >= 0 && rb.facts != ex->facts)
		report(hc->name, source, "%ld facts stored, expected %ld", rb.facts, ex->facts);
	char *data = NULL;
	size_t dlen = 0;
	if (rb.page_id == 0 || store_get_page_body(env.st, rb.page_id, &data, &dlen) != 0 || dlen != len ||
	    (len > 0 && memcmp(data, body, len) != 0))
		report(hc->name, source, "the raw page was not stored byte for byte");
	free(data);
	for (size_t i = 0; i < 3 && hc->verbatim[i] != NULL; i++) {
		const char *want = strcmp(hc->verbatim[i], LONG) == 0 ? long_text : hc->verbatim[i];
		if (!has_string(rb.strings, want))
			report(hc->name, source, "'%.40s' was not stored verbatim", want);
	}
	json_decref(rb.strings);
}

static void run_case(const struct hcase *hc)
{
	size_t len = 0;
	char *body = read_case(hc->name, &len);
	if (body == NULL) {
		report(hc->name, "*", "cannot read tests/hostile/%s.json", hc->name);
		return;
	}
	for (size_t i = 0; i < env.n; i++) {
		struct collector *c = env.col[i];
		const struct expect *ex = expect_for(hc->name, c->name);
		struct collector_result res;
		int r = nh_run(&env, c, body, len, &res);
		int ok = r == 0 && strcmp(res.outcome, "success") == 0;
		printf("%-26s %-20s %-7s facts=%-3llu %s\n", hc->name, c->name, ok ? "stored" : "refused",
		       (unsigned long long)res.facts, ok ? "" : res.error);
		char none[128];
		snprintf(none, sizeof(none), "collector %s failed without a reason", c->ops->name);
		if (!ok && (strcmp(res.outcome, "failed") != 0 || res.error[0] == '\0' || strcmp(res.error, none) == 0))
			report(hc->name, c->name, "failed without a clear reason (%s: '%s')", res.outcome, res.error);
		if (ex->outcome == OK && !ok)
			report(hc->name, c->name, "expected the facts to be stored, got: %s", res.error);
		if (ex->outcome == ERR && ok)
			report(hc->name, c->name, "expected an error containing '%s', the run succeeded", ex->needle);
		if (ex->outcome == ERR && !ok && strstr(res.error, ex->needle) == NULL)
			report(hc->name, c->name, "expected an error containing '%s', got '%s'", ex->needle, res.error);
		if (ok)
			check_success(hc, c->name, ex, &res, body, len);
	}
	char err[512];
	if (store_check(env.st, err, sizeof(err)) != 0)
		report(hc->name, "*", "the store fails quick_check: %s", err);
	/* a fresh store for the next case keeps the check and the disk small */
	if (nh_reset_store(&env) != 0)
		report(hc->name, "*", "cannot make a fresh store");
	free(body);
}

static void test_every_case(void)
{
	CU_ASSERT_EQUAL_FATAL(env.n, 9);
	failures = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	fflush(stdout);
	CU_ASSERT_EQUAL(failures, 0);
}

/* Every file in tests/hostile/ is a case of the table (and so is run). */
static void test_corpus_listed(void)
{
	char *dir = NULL;
	CU_ASSERT_FATAL(asprintf(&dir, "%s/hostile", th_srcdir()) >= 0);
	DIR *d = opendir(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	size_t files = 0;
	for (struct dirent *de = readdir(d); de != NULL; de = readdir(d)) {
		size_t n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		files++;
		int found = 0;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (strlen(cases[i].name) == n - 5 && strncmp(cases[i].name, de->d_name, n - 5) == 0)
				found = 1;
		if (!found)
			fprintf(stderr, "tests/hostile/%s is not in the table of cases\n", de->d_name);
		CU_ASSERT(found);
	}
	closedir(d);
	free(dir);
	CU_ASSERT_EQUAL(files, sizeof(cases) / sizeof(cases[0]));
	/* every row of the expectations names a case and a source */
	for (size_t i = 0; i < sizeof(expects) / sizeof(expects[0]); i++) {
		int known = 0;
		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
			known |= strcmp(cases[k].name, expects[i].kase) == 0;
		CU_ASSERT(known);
		CU_ASSERT(strcmp(expects[i].source, "*") == 0 || nh_source(&env, expects[i].source) != NULL);
		CU_ASSERT(expects[i].outcome != ERR || expects[i].needle != NULL);
	}
}

/* The type without pages has no normalizer, and says so. */
static void test_no_normalizer(void)
{
	const struct collector_ops *self = collector_ops_lookup("self");
	CU_ASSERT_PTR_NOT_NULL_FATAL(self);
	CU_ASSERT_PTR_NULL(self->normalize);
	struct collector c = { .ops = self, .name = "ismsd" };
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(collector_run_page(&c, env.st, env.cfg, "{}", 2, &res), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "collector self has no page normalizer"));
	/* every other type has one */
	for (const struct collector_ops *const *t = collector_types(); *t != NULL; t++)
		CU_ASSERT((*t)->normalize != NULL || strcmp((*t)->name, "self") == 0);
}

static CU_TestInfo tests[] = {
	{ "every file of tests/hostile is a case", test_corpus_listed },
	{ "a type without pages has no normalizer", test_no_normalizer },
	{ "every case through every normalizer", test_every_case },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "hostile", setup, teardown, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return th_main(suites);
}
