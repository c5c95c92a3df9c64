/*
 * test_report_oscal.c: the OSCAL assessment-results renderer and the CSV
 * renderer, on the fixture tests/data/report/model-oscal.json.
 *
 * OSCAL: the counts of observations, findings and back-matter resources;
 * every relevant-evidence href resolves to a resource with the fixture's
 * SHA-256; finding states; version 5 UUIDs (one checked against Python's
 * uuid.uuid5); byte-identical renders; generated_at only changes
 * last-modified; model errors; and the document validates against the
 * vendored OSCAL 1.0.6 schema with tests/oscal-validate.py (which must also
 * reject a bad uuid and a missing results array).
 *
 * CSV: the set of files, their mode, row counts against the fixture, CRLF
 * framing, a hostile string that round-trips through a strict RFC 4180
 * parser, the formula apostrophe, summary keys, management_review.csv only
 * with a review, byte-identical renders, and errors for unusable dirs.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "report_csv.h"
#include "report_oscal.h"
#include "testhelp.h"

/* uuid.uuid5(UUID("2c29886a-81a2-4b90-882e-6b7bba26c496"), "observation/run/17") */
#define RUN17_UUID "2bfbd0b3-167c-58a3-b39b-1706693185d4"
#define HOSTILE "No evidence from \"aws-backup\", 49.5 h since the last run;\r\ncheck the IAM role, then re-run"

/* CU_ASSERT_STRING_EQUAL that fails, rather than crashes, on NULL. */
#define ASSERT_STR(got, want)                                                                                          \
	do {                                                                                                           \
		const char *got_ = (got);                                                                              \
		CU_ASSERT_PTR_NOT_NULL(got_);                                                                          \
		if (got_ != NULL)                                                                                      \
			CU_ASSERT_STRING_EQUAL(got_, want);                                                            \
	} while (0)

static int streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static json_t *load_fixture(void)
{
	char *path = th_path(th_srcdir(), "data/report/model-oscal.json");
	json_error_t je;
	json_t *m = path ? json_load_file(path, 0, &je) : NULL;
	if (m == NULL)
		fprintf(stderr, "fixture %s: %s\n", path ? path : "?", m ? "" : je.text);
	free(path);
	return m;
}

/* Renders model to a malloc'd string; *rc gets the return code. */
static char *render(const json_t *model, int *rc, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	*rc = report_oscal_write(model, f, err, errlen);
	fclose(f);
	return buf;
}

static json_t *render_json(const json_t *model)
{
	char err[256] = "";
	int rc = -1;
	char *text = render(model, &rc, err, sizeof(err));
	CU_ASSERT_EQUAL(rc, 0);
	if (rc != 0)
		fprintf(stderr, "render: %s\n", err);
	json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	return doc;
}

static const json_t *ar_result(const json_t *doc)
{
	return json_array_get(json_object_get(json_object_get(doc, "assessment-results"), "results"), 0);
}

static const json_t *resources_of(const json_t *doc)
{
	return json_object_get(json_object_get(json_object_get(doc, "assessment-results"), "back-matter"), "resources");
}

/* The value of the ismsd prop name of an OSCAL object, or NULL. */
static const char *prop(const json_t *obj, const char *name)
{
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(obj, "props"), i, p)
	{
		if (streq(json_string_value(json_object_get(p, "name")), name))
			return json_string_value(json_object_get(p, "value"));
	}
	return NULL;
}

static const json_t *find_by_uuid(const json_t *arr, const char *uuid)
{
	size_t i;
	const json_t *e;
	json_array_foreach(arr, i, e)
	{
		if (streq(json_string_value(json_object_get(e, "uuid")), uuid))
			return e;
	}
	return NULL;
}

/* ---- OSCAL ---------------------------------------------------------------- */

static void test_oscal_counts(void)
{
	json_t *m = load_fixture();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	json_t *doc = render_json(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	const json_t *ar = json_object_get(doc, "assessment-results");
	const json_t *md = json_object_get(ar, "metadata");
	ASSERT_STR(json_string_value(json_object_get(md, "oscal-version")), "1.0.6");
	ASSERT_STR(json_string_value(json_object_get(md, "last-modified")), "2026-11-25T10:00:00Z");
	ASSERT_STR(json_string_value(json_object_get(md, "title")), "ISMS management review 2026-Q3");
	ASSERT_STR(json_string_value(json_object_get(md, "version")), "2026-Q3 (chain seq 45)");
	/* the organisation is the one party, with its name on one line */
	const json_t *party = json_array_get(json_object_get(md, "parties"), 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(md, "parties")), 1);
	ASSERT_STR(json_string_value(json_object_get(party, "name")), "Example Ltd, \"Infra & Security\"");
	ASSERT_STR(json_string_value(json_object_get(party, "type")), "organization");

	const json_t *res = ar_result(doc);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(ar, "results")), 1);
	ASSERT_STR(json_string_value(json_object_get(res, "start")), "2026-07-01T00:00:00Z");
	ASSERT_STR(json_string_value(json_object_get(res, "end")), "2026-10-01T00:00:00Z");

	/* 4 runs + 4 KPIs with a latest result (siem.sources_reporting_pct has none) */
	const json_t *obs = json_object_get(res, "observations");
	CU_ASSERT_EQUAL(json_array_size(obs), 4 + 4);
	size_t runs = 0, kpis = 0, i;
	const json_t *o;
	json_array_foreach(obs, i, o)
	{
		const char *method = json_string_value(json_array_get(json_object_get(o, "methods"), 0));
		if (prop(o, "run-id") != NULL) {
			runs++;
			ASSERT_STR(method, "EXAMINE");
		} else if (prop(o, "kpi") != NULL) {
			kpis++;
			ASSERT_STR(method, "TEST");
			CU_ASSERT_STRING_NOT_EQUAL(prop(o, "kpi"), "siem.sources_reporting_pct");
		}
		const json_t *actor =
		    json_array_get(json_object_get(json_array_get(json_object_get(o, "origins"), 0), "actors"), 0);
		ASSERT_STR(json_string_value(json_object_get(actor, "type")), "tool");
	}
	CU_ASSERT_EQUAL(runs, 4);
	CU_ASSERT_EQUAL(kpis, 4);
	/* the run observation: collected = finished_at, subject = its source */
	const json_t *run17 = find_by_uuid(obs, RUN17_UUID);
	CU_ASSERT_PTR_NOT_NULL_FATAL(run17);
	ASSERT_STR(json_string_value(json_object_get(run17, "collected")), "2026-09-30T02:01:10Z");
	ASSERT_STR(prop(run17, "chain-seq"), "39");
	const json_t *subj = json_array_get(json_object_get(run17, "subjects"), 0);
	ASSERT_STR(json_string_value(json_object_get(subj, "title")), "aws-patch");
	CU_ASSERT_PTR_NOT_NULL(find_by_uuid(json_object_get(json_object_get(res, "local-definitions"), "components"),
					    json_string_value(json_object_get(subj, "subject-uuid"))));

	CU_ASSERT_EQUAL(json_array_size(json_object_get(res, "findings")), 4);
	/* the plan resource + 4 manifests + 7 pages */
	CU_ASSERT_EQUAL(json_array_size(resources_of(doc)), 1 + 4 + 7);

	/* reviewed controls: the 90 the SoA does not exclude, as "a.<id>" */
	const json_t *sel =
	    json_array_get(json_object_get(json_object_get(res, "reviewed-controls"), "control-selections"), 0);
	const json_t *inc = json_object_get(sel, "include-controls");
	CU_ASSERT_EQUAL(json_array_size(inc), 90);
	ASSERT_STR(json_string_value(json_object_get(json_array_get(inc, 0), "control-id")), "a.5.1");
	json_array_foreach(inc, i, o)
	{
		const char *id = json_string_value(json_object_get(o, "control-id"));
		CU_ASSERT(id != NULL && !streq(id, "a.7.4") && !streq(id, "a.7.12") && !streq(id, "a.8.30"));
	}
	/* import-ap resolves inside the document */
	const char *ap = json_string_value(json_object_get(json_object_get(ar, "import-ap"), "href"));
	CU_ASSERT_FATAL(ap != NULL && ap[0] == '#');
	CU_ASSERT_PTR_NOT_NULL(find_by_uuid(resources_of(doc), ap + 1));
	json_decref(doc);
	json_decref(m);
}

/* The SHA-256 of a resource's first rlink, or NULL when it has none. */
static const char *resource_hash(const json_t *r, const char **href)
{
	const json_t *rlink = json_array_get(json_object_get(r, "rlinks"), 0);
	*href = json_string_value(json_object_get(rlink, "href"));
	const json_t *h = json_array_get(json_object_get(rlink, "hashes"), 0);
	if (h == NULL)
		return NULL;
	ASSERT_STR(json_string_value(json_object_get(h, "algorithm")), "SHA-256");
	return json_string_value(json_object_get(h, "value"));
}

static void test_oscal_evidence_links(void)
{
	json_t *m = load_fixture();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	json_t *doc = render_json(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	const json_t *obs = json_object_get(ar_result(doc), "observations");
	const json_t *resources = resources_of(doc);
	size_t i, j, checked = 0;
	const json_t *run;
	json_array_foreach(json_object_get(m, "evidence"), i, run)
	{
		json_int_t id = json_integer_value(json_object_get(run, "run"));
		const json_t *o = NULL, *cand;
		char idtext[32];
		snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
		json_array_foreach(obs, j, cand)
		{
			if (streq(prop(cand, "run-id"), idtext))
				o = cand;
		}
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		const json_t *ev = json_object_get(o, "relevant-evidence");
		const json_t *pages = json_object_get(run, "page_hashes");
		/* the manifest, then one entry per page */
		CU_ASSERT_EQUAL_FATAL(json_array_size(ev), 1 + json_array_size(pages));
		for (j = 0; j < json_array_size(ev); j++) {
			const char *href = json_string_value(json_object_get(json_array_get(ev, j), "href"));
			CU_ASSERT_FATAL(href != NULL && href[0] == '#');
			const json_t *r = find_by_uuid(resources, href + 1);
			CU_ASSERT_PTR_NOT_NULL_FATAL(r);
			const char *link = NULL;
			const char *hash = resource_hash(r, &link);
			char want_href[128];
			if (j == 0) {
				const char *msha = json_string_value(json_object_get(run, "manifest_sha256"));
				snprintf(want_href, sizeof(want_href), "../manifests/run-%lld.json", (long long)id);
				ASSERT_STR(link, want_href);
				if (msha == NULL) {
					/* run 12: no manifest hash, and the resource says so */
					CU_ASSERT_EQUAL(id, 12);
					CU_ASSERT_PTR_NULL(hash);
					CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(r, "remarks")),
								      "No manifest hash"));
					CU_ASSERT_PTR_NOT_NULL(json_object_get(o, "remarks"));
				} else {
					CU_ASSERT_PTR_NOT_NULL_FATAL(hash);
					ASSERT_STR(hash, msha);
				}
			} else {
				const json_t *page = json_array_get(pages, j - 1);
				const char *psha = json_string_value(json_object_get(page, "sha256"));
				snprintf(want_href, sizeof(want_href), "../blobs/%s", psha);
				ASSERT_STR(link, want_href);
				CU_ASSERT_PTR_NOT_NULL_FATAL(hash);
				ASSERT_STR(hash, psha);
				if (json_is_true(json_object_get(page, "pruned")))
					CU_ASSERT_PTR_NOT_NULL(
					    strstr(json_string_value(json_object_get(r, "remarks")), "pruned"));
			}
			checked++;
		}
	}
	CU_ASSERT_EQUAL(checked, 4 + 7);
	json_decref(doc);
	json_decref(m);
}

static void test_oscal_findings(void)
{
	json_t *m = load_fixture();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	json_t *doc = render_json(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	const json_t *findings = json_object_get(ar_result(doc), "findings");
	const json_t *obs = json_object_get(ar_result(doc), "observations");
	size_t i, j;
	const json_t *nc;
	json_array_foreach(json_object_get(m, "nonconformities"), i, nc)
	{
		char idtext[32], target[64];
		snprintf(idtext, sizeof(idtext), "%lld", (long long)json_integer_value(json_object_get(nc, "id")));
		const json_t *f = NULL, *cand;
		json_array_foreach(findings, j, cand)
		{
			if (streq(prop(cand, "nc-id"), idtext))
				f = cand;
		}
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		ASSERT_STR(json_string_value(json_object_get(f, "title")),
			   json_string_value(json_object_get(nc, "title")));
		const json_t *t = json_object_get(f, "target");
		const json_t *st = json_object_get(t, "status");
		snprintf(target, sizeof(target), "a.%s",
			 json_string_value(json_array_get(json_object_get(nc, "controls"), 0)));
		ASSERT_STR(json_string_value(json_object_get(t, "type")), "objective-id");
		ASSERT_STR(json_string_value(json_object_get(t, "target-id")), target);
		if (streq(json_string_value(json_object_get(nc, "state")), "closed")) {
			ASSERT_STR(json_string_value(json_object_get(st, "state")), "satisfied");
		} else {
			ASSERT_STR(json_string_value(json_object_get(st, "state")), "not-satisfied");
			ASSERT_STR(json_string_value(json_object_get(st, "reason")), "fail");
		}
		/* every related observation exists */
		const json_t *rel;
		json_array_foreach(json_object_get(f, "related-observations"), j, rel) CU_ASSERT_PTR_NOT_NULL(
		    find_by_uuid(obs, json_string_value(json_object_get(rel, "observation-uuid"))));
	}
	/* NC 4 (kpi:backup.success_pct) links the backup KPI result; NC 6
	 * (gap:aws-backup) links run 12 of aws-backup and the 8.13 KPI */
	const json_t *f4 = NULL, *f6 = NULL, *f;
	json_array_foreach(findings, i, f)
	{
		if (streq(prop(f, "nc-id"), "4"))
			f4 = f;
		if (streq(prop(f, "nc-id"), "6"))
			f6 = f;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(f4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f6);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(f4, "related-observations")), 1);
	const json_t *o4 =
	    find_by_uuid(obs, json_string_value(json_object_get(
				  json_array_get(json_object_get(f4, "related-observations"), 0), "observation-uuid")));
	ASSERT_STR(prop(o4, "kpi"), "backup.success_pct");
	ASSERT_STR(prop(o4, "verdict"), "breached");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(f6, "related-observations")), 2);
	int has_run12 = 0;
	const json_t *rel;
	json_array_foreach(json_object_get(f6, "related-observations"), i, rel)
	{
		const json_t *o = find_by_uuid(obs, json_string_value(json_object_get(rel, "observation-uuid")));
		if (streq(prop(o, "run-id"), "12"))
			has_run12 = 1;
	}
	CU_ASSERT(has_run12);
	/* the hostile title survives unchanged in the JSON */
	ASSERT_STR(json_string_value(json_object_get(f6, "title")), HOSTILE);
	json_decref(doc);
	json_decref(m);
}

static int is_v5_uuid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return 0;
		}
	}
	return s[14] == '5' && strchr("89ab", s[19]) != NULL;
}

/* Appends every string under a key "uuid" or "*-uuid(s)" to out, and
 * counts in *defs the "uuid" keys (definitions, which must be unique). */
static void collect_uuids(const json_t *v, json_t *out, json_t *defs)
{
	if (json_is_object(v)) {
		const char *key;
		json_t *item;
		json_object_foreach((json_t *)v, key, item)
		{
			size_t n = strlen(key);
			int is_ref = (n >= 5 && strcmp(key + n - 5, "-uuid") == 0) ||
				     (n >= 6 && strcmp(key + n - 6, "-uuids") == 0);
			if (json_is_string(item) && (strcmp(key, "uuid") == 0 || is_ref))
				json_array_append(out, item);
			if (json_is_string(item) && strcmp(key, "uuid") == 0)
				json_object_set(defs, json_string_value(item), json_true());
			if (json_is_array(item) && is_ref) {
				size_t i;
				json_t *u;
				json_array_foreach(item, i, u) json_array_append(out, u);
			}
			collect_uuids(item, out, defs);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item) collect_uuids(item, out, defs);
	}
}

static void test_oscal_uuids(void)
{
	json_t *m = load_fixture();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	json_t *a = render_json(m), *b = render_json(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	json_t *ua = json_array(), *ub = json_array(), *defs = json_object(), *defs_b = json_object();
	collect_uuids(a, ua, defs);
	collect_uuids(b, ub, defs_b);
	/* document, result, 8 observations, 4 findings, 12 resources, the
	 * party, the tool, the platform, 3 source components */
	CU_ASSERT_EQUAL(json_object_size(defs), 1 + 1 + 8 + 4 + 12 + 1 + 1 + 1 + 3);
	CU_ASSERT(json_array_size(ua) > json_object_size(defs));
	size_t i;
	json_t *u;
	json_array_foreach(ua, i, u)
	{
		CU_ASSERT(is_v5_uuid(json_string_value(u)));
		if (!is_v5_uuid(json_string_value(u)))
			fprintf(stderr, "not a v5 uuid: %s\n", json_string_value(u));
	}
	CU_ASSERT(json_equal(ua, ub));
	/* every reference names a definition */
	json_array_foreach(ua, i, u) CU_ASSERT_PTR_NOT_NULL(json_object_get(defs, json_string_value(u)));
	/* RFC 4122 v5 on the ismsd namespace, as Python's uuid.uuid5 computes it */
	CU_ASSERT_PTR_NOT_NULL(find_by_uuid(json_object_get(ar_result(a), "observations"), RUN17_UUID));
	json_decref(ua);
	json_decref(ub);
	json_decref(defs);
	json_decref(defs_b);
	json_decref(a);
	json_decref(b);
	json_decref(m);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_oscal_deterministic(void)
{
	json_t *m = load_fixture();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	char err[256];
	int r1 = -1, r2 = -1, r3 = -1;
	char *t1 = render(m, &r1, err, sizeof(err));
	char *t2 = render(m, &r2, err, sizeof(err));
	CU_ASSERT_EQUAL(r1, 0);
	CU_ASSERT_EQUAL(r2, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t2);
	ASSERT_STR(t1, t2);
	CU_ASSERT(t1[strlen(t1) - 1] == '\n');

	/* a model that differs only in generated_at: only last-modified moves */
	json_t *m2 = json_deep_copy(m);
	json_object_set_new(json_object_get(m2, "report"), "generated_at", json_string("2026-12-01T08:30:00Z"));
	char *t3 = render(m2, &r3, err, sizeof(err));
	CU_ASSERT_EQUAL(r3, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t3);
	CU_ASSERT_EQUAL(count_lines(t1), count_lines(t3));
	size_t diffs = 0;
	char *s1 = NULL, *s3 = NULL;
	char *l1 = strtok_r(t1, "\n", &s1), *l3 = strtok_r(t3, "\n", &s3);
	while (l1 != NULL && l3 != NULL) {
		if (strcmp(l1, l3) != 0) {
			diffs++;
			CU_ASSERT_PTR_NOT_NULL(strstr(l1, "\"last-modified\": \"2026-11-25T10:00:00Z\""));
			CU_ASSERT_PTR_NOT_NULL(strstr(l3, "\"last-modified\": \"2026-12-01T08:30:00Z\""));
		}
		l1 = strtok_r(NULL, "\n", &s1);
		l3 = strtok_r(NULL, "\n", &s3);
	}
	CU_ASSERT_EQUAL(diffs, 1);
	free(t1);
	free(t2);
	free(t3);
	json_decref(m2);
	json_decref(m);
}

static void expect_einval(json_t *model, const char *what)
{
	char err[256] = "";
	int rc = 0;
	char *out = render(model, &rc, err, sizeof(err));
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
	if (rc != -EINVAL || strstr(err, what) == NULL)
		fprintf(stderr, "want -EINVAL and \"%s\", got %d \"%s\"\n", what, rc, err);
	CU_ASSERT(out == NULL || out[0] == '\0'); /* nothing is written */
	free(out);
	json_decref(model);
}

static void test_oscal_errors(void)
{
	json_t *m = load_fixture();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	json_t *x = json_deep_copy(m);
	json_object_del(x, "report");
	expect_einval(x, "report.period.label");

	x = json_deep_copy(m);
	json_object_set_new(json_object_get(json_object_get(x, "report"), "period"), "start",
			    json_string("2026-07-01"));
	expect_einval(x, "period");

	x = json_deep_copy(m);
	json_object_set_new(x, "evidence", json_object());
	expect_einval(x, "evidence");

	x = json_deep_copy(m);
	json_object_set_new(json_array_get(json_object_get(x, "evidence"), 1), "manifest_sha256", json_string("zz"));
	expect_einval(x, "manifest_sha256");

	x = json_deep_copy(m);
	json_object_set_new(json_array_get(json_object_get(x, "evidence"), 1), "finished_at", json_null());
	json_object_set_new(json_array_get(json_object_get(x, "evidence"), 1), "started_at", json_null());
	expect_einval(x, "finished_at");

	/* a write error is reported as -errno */
	FILE *full = fopen("/dev/full", "we");
	if (full != NULL) {
		char err[256] = "";
		int rc = report_oscal_write(m, full, err, sizeof(err));
		CU_ASSERT_EQUAL(rc, -ENOSPC);
		CU_ASSERT(err[0] != '\0');
		fclose(full);
	}
	json_decref(m);
}

/* Runs argv (no $TEST_WRAPPER: the validator is Python) with stdout and
 * stderr into a file; returns the exit code and the output in *out. */
static int run_capture(const char *const *argv, char **out)
{
	char *log = th_path(th_dir, "validator.out");
	int status = -1;
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid)
		status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	*out = th_read(log);
	if (*out == NULL)
		*out = strdup("");
	free(log);
	return status;
}

static int validate(const char *doc_path, char **out)
{
	char *script = th_path(th_srcdir(), "oscal-validate.py");
	char *schema = th_path(th_srcdir(), "data/oscal/oscal_assessment-results_schema-1.0.6.json");
	const char *const argv[] = {"python3", script, schema, doc_path, NULL};
	int rc = run_capture(argv, out);
	free(script);
	free(schema);
	return rc;
}

static void test_oscal_schema(void)
{
	json_t *m = load_fixture();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	json_t *doc = render_json(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	char *good = th_path(th_dir, "fixture-oscal.json");
	char *bad = th_path(th_dir, "bad-oscal.json");
	FILE *f = fopen(good, "we");
	char err[256] = "";
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(report_oscal_write(m, f, err, sizeof(err)), 0);
	fclose(f);

	char *out = NULL;
	int rc = validate(good, &out);
	if (rc == 2 || rc == 127)
		fprintf(stderr,
			"oscal-validate cannot run (needs python3-jsonschema python3-regex python3-rfc3987): %s\n",
			out);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "valid"));
	if (rc != 0)
		fprintf(stderr, "%s\n", out);
	free(out);

	/* the validator rejects a bad uuid, with the JSON path */
	json_t *ar = json_object_get(doc, "assessment-results");
	json_t *uuid = json_incref(json_object_get(ar, "uuid"));
	json_object_set_new(ar, "uuid", json_string("not-a-uuid"));
	CU_ASSERT_EQUAL(json_dump_file(doc, bad, JSON_INDENT(2)), 0);
	rc = validate(bad, &out);
	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "$.assessment-results.uuid"));
	free(out);

	/* ... and a document without results */
	json_object_set_new(ar, "uuid", uuid);
	json_object_del(ar, "results");
	CU_ASSERT_EQUAL(json_dump_file(doc, bad, JSON_INDENT(2)), 0);
	rc = validate(bad, &out);
	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "'results' is a required property"));
	free(out);

	free(good);
	free(bad);
	json_decref(doc);
	json_decref(m);
}

/* ---- CSV ------------------------------------------------------------------ */

/* A parsed CSV file: rows of NUL-terminated fields. */
struct csv_doc {
	size_t nrows;
	size_t *nfields;
	char ***rows;
};

static void csv_free(struct csv_doc *d)
{
	for (size_t r = 0; r < d->nrows; r++) {
		for (size_t f = 0; f < d->nfields[r]; f++)
			free(d->rows[r][f]);
		free(d->rows[r]);
	}
	free(d->rows);
	free(d->nfields);
	memset(d, 0, sizeof(*d));
}

static void csv_push_field(struct csv_doc *d, char *buf, size_t len)
{
	size_t r = d->nrows - 1;
	d->rows[r] = realloc(d->rows[r], (d->nfields[r] + 1) * sizeof(char *));
	d->rows[r][d->nfields[r]] = strndup(buf, len);
	d->nfields[r]++;
}

static void csv_new_row(struct csv_doc *d)
{
	d->rows = realloc(d->rows, (d->nrows + 1) * sizeof(*d->rows));
	d->nfields = realloc(d->nfields, (d->nrows + 1) * sizeof(*d->nfields));
	d->rows[d->nrows] = NULL;
	d->nfields[d->nrows] = 0;
	d->nrows++;
}

/*
 * A strict RFC 4180 parser: records end in CRLF (the last one too), a
 * quoted field may hold anything with quotes doubled, an unquoted field
 * may hold no quote, CR or LF.  Returns 0, or -1 on any violation.
 */
static int csv_parse(const char *s, struct csv_doc *d)
{
	memset(d, 0, sizeof(*d));
	size_t cap = strlen(s) + 1, len = 0;
	char *buf = malloc(cap);
	int rc = 0;
	while (*s != '\0' && rc == 0) {
		csv_new_row(d);
		for (;;) {
			len = 0;
			if (*s == '"') {
				s++;
				for (;;) {
					if (*s == '\0') {
						rc = -1;
						break;
					}
					if (*s == '"' && s[1] == '"') {
						buf[len++] = '"';
						s += 2;
					} else if (*s == '"') {
						s++;
						break;
					} else {
						buf[len++] = *s++;
					}
				}
			} else {
				while (*s != '\0' && *s != ',' && *s != '\r' && *s != '\n') {
					if (*s == '"')
						rc = -1;
					buf[len++] = *s++;
				}
			}
			if (rc < 0)
				break;
			csv_push_field(d, buf, len);
			if (*s == ',') {
				s++;
				continue;
			}
			if (s[0] == '\r' && s[1] == '\n') {
				s += 2;
				break;
			}
			rc = -1; /* a bare CR or LF, text after a closing quote, or no CRLF at the end */
			break;
		}
	}
	free(buf);
	return rc;
}

/* Parses dir/name; the caller frees with csv_free. */
static int csv_load(const char *dir, const char *name, struct csv_doc *d)
{
	char *path = th_path(dir, name);
	char *text = th_read(path);
	free(path);
	if (text == NULL) {
		memset(d, 0, sizeof(*d));
		return -1;
	}
	int rc = csv_parse(text, d);
	free(text);
	return rc;
}

static int col_index(const struct csv_doc *d, const char *header)
{
	for (size_t f = 0; d->nrows > 0 && f < d->nfields[0]; f++)
		if (strcmp(d->rows[0][f], header) == 0)
			return (int)f;
	return -1;
}

/* The field under header in the first row whose field under key_header is
 * key, or NULL. */
static const char *csv_lookup(const struct csv_doc *d, const char *key_header, const char *key, const char *header)
{
	int k = col_index(d, key_header), c = col_index(d, header);
	if (k < 0 || c < 0)
		return NULL;
	for (size_t r = 1; r < d->nrows; r++)
		if ((size_t)k < d->nfields[r] && (size_t)c < d->nfields[r] && streq(d->rows[r][k], key))
			return d->rows[r][c];
	return NULL;
}

static char *csv_dir(const char *name)
{
	return th_path(th_dir, name);
}

static const char *const csv_files[] = {
    "summary.csv",	   "kpis.csv",	     "kpi_series.csv",	   "soa.csv",
    "nonconformities.csv", "nc_history.csv", "calendar.csv",	   "collectors.csv",
    "collector_days.csv",  "evidence.csv",   "evidence_pages.csv", "management_review.csv",
};
#define N_CSV_FILES (sizeof(csv_files) / sizeof(csv_files[0]))

static void test_csv_files(void)
{
	json_t *m = load_fixture();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	char *dir = csv_dir("csv-files");
	char err[256] = "";
	CU_ASSERT_EQUAL(report_csv_write(m, dir, err, sizeof(err)), 0);
	struct stat st;
	CU_ASSERT_EQUAL(stat(dir, &st), 0);
	CU_ASSERT(S_ISDIR(st.st_mode));
	for (size_t i = 0; i < N_CSV_FILES; i++) {
		char *p = th_path(dir, csv_files[i]);
		CU_ASSERT_EQUAL(stat(p, &st), 0);
		CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);
		free(p);
	}
	/* exactly those files: no temporary file is left behind */
	DIR *dh = opendir(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dh);
	size_t n = 0;
	const struct dirent *de;
	while ((de = readdir(dh)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		CU_ASSERT(de->d_name[0] != '.');
	}
	closedir(dh);
	CU_ASSERT_EQUAL(n, N_CSV_FILES);
	free(dir);
	json_decref(m);
}

static size_t sum_children(const json_t *arr, const char *child)
{
	size_t n = 0, i;
	const json_t *e;
	json_array_foreach(arr, i, e) n += json_array_size(json_object_get(e, child));
	return n;
}

static void test_csv_rows(void)
{
	json_t *m = load_fixture();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	char *dir = csv_dir("csv-rows");
	char err[256] = "";
	CU_ASSERT_EQUAL_FATAL(report_csv_write(m, dir, err, sizeof(err)), 0);
	struct {
		const char *file;
		size_t rows;
		size_t cols;
	} want[] = {
	    {"kpis.csv", json_array_size(json_object_get(m, "kpis")), 11},
	    {"kpi_series.csv", sum_children(json_object_get(m, "kpis"), "series"), 5},
	    {"soa.csv", json_array_size(json_object_get(m, "soa")), 11},
	    {"nonconformities.csv", json_array_size(json_object_get(m, "nonconformities")), 21},
	    {"nc_history.csv", sum_children(json_object_get(m, "nonconformities"), "history"), 7},
	    {"calendar.csv", json_array_size(json_object_get(m, "calendar")), 10},
	    {"collectors.csv", json_array_size(json_object_get(m, "collectors")), 11},
	    {"collector_days.csv", sum_children(json_object_get(m, "collectors"), "days"), 4},
	    {"evidence.csv", json_array_size(json_object_get(m, "evidence")), 9},
	    {"evidence_pages.csv", sum_children(json_object_get(m, "evidence"), "page_hashes"), 5},
	};
	/* the fixture's sizes, as a cross-check of the fixture itself */
	CU_ASSERT_EQUAL(want[0].rows, 5);
	CU_ASSERT_EQUAL(want[1].rows, 11);
	CU_ASSERT_EQUAL(want[2].rows, 93);
	CU_ASSERT_EQUAL(want[3].rows, 4);
	CU_ASSERT_EQUAL(want[4].rows, 10);
	CU_ASSERT_EQUAL(want[7].rows, 3 * 92);
	CU_ASSERT_EQUAL(want[9].rows, 7);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct csv_doc d;
		int rc = csv_load(dir, want[i].file, &d);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(d.nrows, want[i].rows + 1);
		if (d.nrows != want[i].rows + 1 || rc != 0)
			fprintf(stderr, "%s: %d, %zu rows\n", want[i].file, rc, d.nrows);
		for (size_t r = 0; r < d.nrows; r++)
			CU_ASSERT_EQUAL(d.nfields[r], want[i].cols);
		csv_free(&d);
	}
	/* values: numbers as numbers, null as empty, arrays joined with ";" */
	struct csv_doc d;
	CU_ASSERT_EQUAL(csv_load(dir, "kpis.csv", &d), 0);
	ASSERT_STR(csv_lookup(&d, "name", "patch.compliant_pct", "controls"), "8.8;8.19");
	ASSERT_STR(csv_lookup(&d, "name", "patch.compliant_pct", "threshold"), "95");
	ASSERT_STR(csv_lookup(&d, "name", "backup.success_pct", "latest_value"), "97.5");
	ASSERT_STR(csv_lookup(&d, "name", "siem.sources_reporting_pct", "latest_at"), "");
	csv_free(&d);
	CU_ASSERT_EQUAL(csv_load(dir, "evidence.csv", &d), 0);
	ASSERT_STR(csv_lookup(&d, "run", "12", "manifest_sha256"), "");
	ASSERT_STR(csv_lookup(&d, "run", "12", "seq"), "");
	ASSERT_STR(csv_lookup(&d, "run", "17", "seq"), "39");
	csv_free(&d);
	CU_ASSERT_EQUAL(csv_load(dir, "evidence_pages.csv", &d), 0);
	ASSERT_STR(csv_lookup(&d, "page_id", "330", "pruned"), "true");
	ASSERT_STR(csv_lookup(&d, "page_id", "330", "run"), "20");
	csv_free(&d);
	CU_ASSERT_EQUAL(csv_load(dir, "soa.csv", &d), 0);
	ASSERT_STR(csv_lookup(&d, "id", "8.13", "open_ncs"), "4;6");
	ASSERT_STR(csv_lookup(&d, "id", "7.4", "applicable"), "false");
	ASSERT_STR(csv_lookup(&d, "id", "8.33", "applicable"), "");
	csv_free(&d);
	free(dir);
	json_decref(m);
}

static void test_csv_hostile(void)
{
	json_t *m = load_fixture();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	char *dir = csv_dir("csv-hostile");
	char err[256] = "";
	CU_ASSERT_EQUAL_FATAL(report_csv_write(m, dir, err, sizeof(err)), 0);
	struct csv_doc d;
	CU_ASSERT_EQUAL_FATAL(csv_load(dir, "nonconformities.csv", &d), 0);
	/* commas, quotes, CR LF and ";" come back exactly */
	ASSERT_STR(csv_lookup(&d, "id", "6", "title"), HOSTILE);
	ASSERT_STR(csv_lookup(&d, "id", "6", "controls"), "8.13;5.28");
	/* a line break alone also forces quotes */
	ASSERT_STR(csv_lookup(&d, "id", "4", "root_cause"),
		   "Snapshot quota reached in eu-west-1\nafter the July retention change");
	csv_free(&d);
	CU_ASSERT_EQUAL_FATAL(csv_load(dir, "nc_history.csv", &d), 0);
	ASSERT_STR(csv_lookup(&d, "nc_id", "6", "note"), "line one, \"quoted\"\nline two");
	csv_free(&d);
	CU_ASSERT_EQUAL_FATAL(csv_load(dir, "summary.csv", &d), 0);
	ASSERT_STR(csv_lookup(&d, "key", "report.organisation", "value"), "Example Ltd, \"Infra & Security\"");
	csv_free(&d);
	/* the raw bytes: quoted, quotes doubled */
	char *p = th_path(dir, "nonconformities.csv");
	char *raw = th_read(p);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(raw, ",\"No evidence from \"\"aws-backup\"\", 49.5 h since the last run;\r\ncheck"));
	free(raw);
	free(p);
	free(dir);
	json_decref(m);
}

static void test_csv_formula(void)
{
	json_t *m = load_fixture();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* more formula-looking text: + and TAB, in a KPI unit and scope */
	json_t *kpi = json_array_get(json_object_get(m, "kpis"), 0);
	json_object_set_new(kpi, "unit", json_string("+1 d"));
	json_object_set_new(kpi, "scope", json_string("\tall"));
	char *dir = csv_dir("csv-formula");
	char err[256] = "";
	CU_ASSERT_EQUAL_FATAL(report_csv_write(m, dir, err, sizeof(err)), 0);
	struct csv_doc d;
	CU_ASSERT_EQUAL_FATAL(csv_load(dir, "kpis.csv", &d), 0);
	ASSERT_STR(csv_lookup(&d, "name", "training.completion_delta_pct", "title"),
		   "'=HYPERLINK(\"http://evil.example/\",\"click\")");
	/* numbers are never altered */
	ASSERT_STR(csv_lookup(&d, "name", "training.completion_delta_pct", "threshold"), "-5");
	ASSERT_STR(csv_lookup(&d, "name", "training.completion_delta_pct", "latest_value"), "-2.5");
	ASSERT_STR(csv_lookup(&d, "name", "access.review_overdue_days", "unit"), "'+1 d");
	ASSERT_STR(csv_lookup(&d, "name", "access.review_overdue_days", "scope"), "'\tall");
	csv_free(&d);
	CU_ASSERT_EQUAL_FATAL(csv_load(dir, "kpi_series.csv", &d), 0);
	ASSERT_STR(csv_lookup(&d, "at", "2026-08-31T07:00:00Z", "value"), "-4");
	csv_free(&d);
	CU_ASSERT_EQUAL_FATAL(csv_load(dir, "nonconformities.csv", &d), 0);
	ASSERT_STR(csv_lookup(&d, "id", "7", "owner"), "'@it-ops");
	csv_free(&d);
	CU_ASSERT_EQUAL_FATAL(csv_load(dir, "nc_history.csv", &d), 0);
	ASSERT_STR(csv_lookup(&d, "nc_id", "7", "note"), ""); /* the first event of NC 7 */
	int note = col_index(&d, "note");
	int found = 0;
	for (size_t r = 1; r < d.nrows; r++)
		if (note >= 0 && streq(d.rows[r][note], "'-1 reviewer on leave"))
			found = 1;
	CU_ASSERT(found);
	csv_free(&d);
	CU_ASSERT_EQUAL_FATAL(csv_load(dir, "management_review.csv", &d), 0);
	ASSERT_STR(csv_lookup(&d, "key", "improvement_opportunities.3", "value"), "'-Controls with no evidence: 84");
	csv_free(&d);
	free(dir);
	json_decref(m);
}

static void test_csv_summary(void)
{
	json_t *m = load_fixture();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	char *dir = csv_dir("csv-summary");
	char err[256] = "";
	CU_ASSERT_EQUAL_FATAL(report_csv_write(m, dir, err, sizeof(err)), 0);
	struct csv_doc d;
	CU_ASSERT_EQUAL_FATAL(csv_load(dir, "summary.csv", &d), 0);
	ASSERT_STR(d.rows[0][0], "key");
	ASSERT_STR(d.rows[0][1], "value");
	ASSERT_STR(csv_lookup(&d, "key", "kpis.breached", "value"), "1");
	ASSERT_STR(csv_lookup(&d, "key", "kpis.no_data", "value"), "2");
	ASSERT_STR(csv_lookup(&d, "key", "ncs_open.total", "value"), "3");
	ASSERT_STR(csv_lookup(&d, "key", "controls.applicable", "value"), "90");
	ASSERT_STR(csv_lookup(&d, "key", "runs.success", "value"), "271");
	ASSERT_STR(csv_lookup(&d, "key", "report.period.label", "value"), "2026-Q3");
	ASSERT_STR(csv_lookup(&d, "key", "report.chain.head_seq", "value"), "45");
	csv_free(&d);
	CU_ASSERT_EQUAL_FATAL(csv_load(dir, "management_review.csv", &d), 0);
	ASSERT_STR(csv_lookup(&d, "key", "performance.nonconformities.raised", "value"), "3");
	ASSERT_STR(csv_lookup(&d, "key", "previous_actions.0.id", "value"), "3");
	ASSERT_STR(csv_lookup(&d, "key", "previous_actions.0.controls", "value"), "8.8;8.19");
	ASSERT_STR(csv_lookup(&d, "key", "previous_actions.0.history.4.event", "value"), "closed");
	ASSERT_STR(csv_lookup(&d, "key", "performance.monitoring.1.trend", "value"), "worsening");
	ASSERT_STR(csv_lookup(&d, "key", "stakeholder_feedback", "value"), "");
	csv_free(&d);
	free(dir);
	json_decref(m);
}

static void test_csv_no_review(void)
{
	json_t *m = load_fixture();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	char *dir = csv_dir("csv-review");
	char *mr = th_path(dir, "management_review.csv");
	char err[256] = "";
	struct stat st;
	CU_ASSERT_EQUAL(report_csv_write(m, dir, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(stat(mr, &st), 0);
	/* a period report into the same directory drops the stale review */
	json_object_set_new(m, "management_review", json_null());
	json_object_set_new(json_object_get(m, "report"), "kind", json_string("period"));
	CU_ASSERT_EQUAL(report_csv_write(m, dir, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(stat(mr, &st), -1);
	CU_ASSERT_EQUAL(errno, ENOENT);
	char *other = csv_dir("csv-review-absent");
	json_object_del(m, "management_review");
	CU_ASSERT_EQUAL(report_csv_write(m, other, err, sizeof(err)), 0);
	char *mr2 = th_path(other, "management_review.csv");
	CU_ASSERT_EQUAL(stat(mr2, &st), -1);
	free(mr2);
	free(other);
	free(mr);
	free(dir);
	json_decref(m);
}

static void test_csv_deterministic(void)
{
	json_t *m = load_fixture();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	char *a = csv_dir("csv-det-a"), *b = csv_dir("csv-det-b");
	char err[256] = "";
	CU_ASSERT_EQUAL(report_csv_write(m, a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(report_csv_write(m, b, err, sizeof(err)), 0);
	for (size_t i = 0; i < N_CSV_FILES; i++) {
		char *pa = th_path(a, csv_files[i]), *pb = th_path(b, csv_files[i]);
		char *ta = th_read(pa), *tb = th_read(pb);
		CU_ASSERT_PTR_NOT_NULL(ta);
		CU_ASSERT_PTR_NOT_NULL(tb);
		if (ta && tb)
			ASSERT_STR(ta, tb);
		free(ta);
		free(tb);
		free(pa);
		free(pb);
	}
	free(a);
	free(b);
	json_decref(m);
}

static void test_csv_errors(void)
{
	json_t *m = load_fixture();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	char err[256] = "";
	/* a regular file where the directory should be */
	char *file = th_write(th_dir, "not-a-dir", "x", 0600);
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	CU_ASSERT_EQUAL(report_csv_write(m, file, err, sizeof(err)), -ENOTDIR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not-a-dir"));
	/* below a regular file */
	char *below = th_path(file, "csv");
	err[0] = '\0';
	CU_ASSERT_EQUAL(report_csv_write(m, below, err, sizeof(err)), -ENOTDIR);
	CU_ASSERT(err[0] != '\0');
	/* a missing parent (the directory is made, its parents are not) */
	char *deep = th_path(th_dir, "missing/parent/csv");
	err[0] = '\0';
	CU_ASSERT_EQUAL(report_csv_write(m, deep, err, sizeof(err)), -ENOENT);
	CU_ASSERT(err[0] != '\0');
	/* a directory we may not write to (root may write anywhere) */
	if (geteuid() != 0) {
		char *ro = th_path(th_dir, "read-only");
		CU_ASSERT_EQUAL(mkdir(ro, 0500), 0);
		err[0] = '\0';
		CU_ASSERT_EQUAL(report_csv_write(m, ro, err, sizeof(err)), -EACCES);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "summary.csv"));
		chmod(ro, 0700);
		free(ro);
	}
	/* a model without a table */
	json_t *x = json_deep_copy(m);
	json_object_del(x, "collectors");
	char *ok = csv_dir("csv-bad-model");
	err[0] = '\0';
	CU_ASSERT_EQUAL(report_csv_write(x, ok, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "collectors"));
	json_decref(x);
	free(ok);
	free(deep);
	free(below);
	free(file);
	json_decref(m);
}

int main(void)
{
	CU_TestInfo oscal_tests[] = {
	    {"observations, findings and resources", test_oscal_counts},
	    {"relevant-evidence resolves to hashed resources", test_oscal_evidence_links},
	    {"findings: state, target, related observations", test_oscal_findings},
	    {"version 5 UUIDs, stable and resolvable", test_oscal_uuids},
	    {"byte-identical; generated_at only moves last-modified", test_oscal_deterministic},
	    {"model errors and write errors", test_oscal_errors},
	    {"valid against the OSCAL 1.0.6 schema", test_oscal_schema},
	    CU_TEST_INFO_NULL,
	};
	CU_TestInfo csv_tests[] = {
	    {"the files, mode 0640, no temporaries", test_csv_files},
	    {"row counts and values", test_csv_rows},
	    {"a hostile string round-trips", test_csv_hostile},
	    {"formula-looking text gets an apostrophe", test_csv_formula},
	    {"summary and management review keys", test_csv_summary},
	    {"management_review.csv only with a review", test_csv_no_review},
	    {"byte-identical", test_csv_deterministic},
	    {"unusable directories and models", test_csv_errors},
	    CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
	    {"report_oscal", th_dir_setup, th_dir_teardown, NULL, NULL, oscal_tests},
	    {"report_csv", th_dir_setup, th_dir_teardown, NULL, NULL, csv_tests},
	    CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
