/*
 * test_knowbe4-training.c: the knowbe4-training collector against the
 * KnowBe4 fake (bearer token checked by the fake), through several pages of
 * bare JSON arrays, in the healthy and the breaching scenario, with the
 * exact counts and values of tests/fakes/README.md; a truncated page, a
 * pagination loop, a page of the wrong shape and a wrong token fail the run
 * and leave nothing; the regional endpoint is checked in the configuration.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "collectorhelp.h"
#include "daemon.h"
#include "testhelp.h"
#include "util.h"

#define DAY 86400
#define ENROLLED 1791622800 /* 2026-10-10T09:00:00Z: now - 45 d + 9 h */
#define MAIN_MODULE "2026 Kevin Mitnick Security Awareness Training (45 min)"

static char *pki;

static int setup(void)
{
	pki = fake_pki();
	return pki ? 0 : -1;
}

static int teardown(void)
{
	th_rmrf(pki);
	free(pki);
	return 0;
}

static const char *source = "[source kb4]\n"
			    "type = knowbe4-training\n"
			    "endpoint = @BASE@\n"
			    "ca_file = @CA@\n"
			    "token_file = @DIR@/knowbe4-token\n"
			    "retry_base_ms = 10\n";

static json_t *find(json_t *facts, const char *key, const char *v)
{
	size_t i;
	json_t *f;
	json_array_foreach(facts, i, f)
	{
		const char *s = json_string_value(json_object_get(f, key));
		if (s != NULL && strcmp(s, v) == 0)
			return f;
	}
	return NULL;
}

static long long num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "(null)";
}

static time_t when(json_t *o, const char *key)
{
	time_t t = 0;
	if (util_time_parse(str(o, key), &t) < 0)
		return 0;
	return t;
}

/* The main module's enrollments that were passed within 30 days. */
static size_t main_passed_within_30d(json_t *facts)
{
	size_t n = 0, i;
	json_t *f;
	json_array_foreach(facts, i, f)
	if (strcmp(str(f, "module"), MAIN_MODULE) == 0 && strcmp(str(f, "status"), "Passed") == 0 &&
	    when(f, "completed_at") - when(f, "enrolled_at") <= 30 * DAY)
		n++;
	return n;
}

static void run_ok(struct ctest *t, const char *text, struct collector_result *res)
{
	CU_ASSERT_EQUAL(ctest_run(t, text, res), 0);
	if (strcmp(res->outcome, "success") != 0)
		fprintf(stderr, "run: %s\n", res->error);
}

static void test_healthy(void)
{
	struct ctest t;
	const char *args[] = { "--scenario", "healthy", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "knowbe4", args), 0);
	struct collector_result res;
	run_ok(&t, source, &res);
	CU_ASSERT_EQUAL(res.pages, 4); /* 500/500/50/[] */
	json_t *e = ctest_facts(&t, "training.enrollment");
	CU_ASSERT_EQUAL_FATAL(json_array_size(e), 1050);
	CU_ASSERT_EQUAL(ctest_count(e, "status", json_string("Passed")), 1050);
	CU_ASSERT_EQUAL(ctest_count(e, "module", json_string(MAIN_MODULE)), 350);
	CU_ASSERT_EQUAL(ctest_count(e, "policy_acknowledged", json_true()), 350);
	CU_ASSERT_EQUAL(ctest_count(e, "content_type", json_string("Uploaded Policy")), 350);
	CU_ASSERT_EQUAL(ctest_count(e, "campaign", json_string("2026 Annual Security Awareness")), 700);
	CU_ASSERT_EQUAL(ctest_count(e, "_observed_at", json_integer(ENROLLED)), 1050);
	CU_ASSERT_EQUAL(main_passed_within_30d(e), 350);
	json_t *f = find(e, "_ext_id", "5000000");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(num(f, "enrollment_id"), 5000000);
	CU_ASSERT_EQUAL(num(f, "user_id"), 1000001);
	CU_ASSERT_STRING_EQUAL(str(f, "user_email"), "user001@example.com");
	CU_ASSERT_STRING_EQUAL(str(f, "module"), MAIN_MODULE);
	CU_ASSERT_STRING_EQUAL(str(f, "campaign"), "2026 Annual Security Awareness");
	CU_ASSERT_STRING_EQUAL(str(f, "content_type"), "Store Purchase");
	CU_ASSERT_STRING_EQUAL(str(f, "status"), "Passed");
	CU_ASSERT_STRING_EQUAL(str(f, "enrolled_at"), "2026-10-10T09:00:00Z");
	CU_ASSERT_STRING_EQUAL(str(f, "started_at"), "2026-10-18T12:39:23Z");
	CU_ASSERT_STRING_EQUAL(str(f, "completed_at"), "2026-10-18T13:00:00Z");
	CU_ASSERT_EQUAL(num(f, "time_spent"), 1237);
	CU_ASSERT(json_is_false(json_object_get(f, "policy_acknowledged")));
	f = find(e, "_ext_id", "5001049");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(str(f, "module"), "Acceptable Use Policy");
	CU_ASSERT_STRING_EQUAL(str(f, "campaign"), "2026 Policy Acknowledgement");
	CU_ASSERT(json_is_true(json_object_get(f, "policy_acknowledged")));
	json_decref(e);
	char *log = th_read(t.fake.log);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "\"query\":\"page=1&per_page=500\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "\"query\":\"page=4&per_page=500\""));
	CU_ASSERT_PTR_NULL(strstr(log, "\"query\":\"page=0&"));
	CU_ASSERT_PTR_NULL(strstr(log, "\"query\":\"page=5&"));
	free(log);
	ctest_stop(&t);
}

static void test_breaching(void)
{
	struct ctest t;
	const char *args[] = { "--scenario", "breaching", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "knowbe4", args), 0);
	struct collector_result res;
	run_ok(&t, source, &res);
	CU_ASSERT_EQUAL(res.pages, 4);
	json_t *e = ctest_facts(&t, "training.enrollment");
	CU_ASSERT_EQUAL_FATAL(json_array_size(e), 1050);
	CU_ASSERT_EQUAL(ctest_count(e, "status", json_string("Passed")), 970);
	CU_ASSERT_EQUAL(ctest_count(e, "status", json_string("Past Due")), 20);
	CU_ASSERT_EQUAL(ctest_count(e, "status", json_string("In Progress")), 15);
	CU_ASSERT_EQUAL(ctest_count(e, "status", json_string("Not Started")), 45);
	CU_ASSERT_EQUAL(ctest_count(e, "policy_acknowledged", json_true()), 335);
	CU_ASSERT_EQUAL(main_passed_within_30d(e), 295);
	size_t main_passed = 0, i;
	json_t *f;
	json_array_foreach(e, i, f)
	if (strcmp(str(f, "module"), MAIN_MODULE) == 0 && strcmp(str(f, "status"), "Passed") == 0)
		main_passed++;
	CU_ASSERT_EQUAL(main_passed, 300);
	/* user 1 passed the main module only after 40 days */
	f = find(e, "_ext_id", "5000000");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(str(f, "completed_at"), "2026-11-19T13:00:00Z");
	/* user 321: main module in progress */
	f = find(e, "_ext_id", "5000960");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(num(f, "user_id"), 1000321);
	CU_ASSERT_STRING_EQUAL(str(f, "status"), "In Progress");
	CU_ASSERT_STRING_EQUAL(str(f, "started_at"), "2026-10-13T09:10:00Z");
	CU_ASSERT(json_is_null(json_object_get(f, "completed_at")));
	CU_ASSERT_EQUAL(num(f, "time_spent"), 900);
	/* user 350: nothing started, policy not acknowledged */
	f = find(e, "_ext_id", "5001049");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(str(f, "status"), "Not Started");
	CU_ASSERT(json_is_null(json_object_get(f, "started_at")));
	CU_ASSERT(json_is_false(json_object_get(f, "policy_acknowledged")));
	/* user 301: main module past due */
	f = find(e, "_ext_id", "5000900");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(str(f, "status"), "Past Due");
	CU_ASSERT_STRING_EQUAL(str(f, "user_email"), "user301@example.com");
	json_decref(e);
	ctest_stop(&t);
}

/* per_page 100: 11 pages of data and the empty one. */
static void test_per_page(void)
{
	struct ctest t;
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "knowbe4", NULL), 0);
	char text[512];
	snprintf(text, sizeof(text), "%sper_page = 100\n", source);
	struct collector_result res;
	run_ok(&t, text, &res);
	CU_ASSERT_EQUAL(res.pages, 12);
	CU_ASSERT_EQUAL(res.facts, 1050);
	CU_ASSERT_EQUAL(
		ctest_scalar(&t, "SELECT count(DISTINCT ext_id) FROM evidence WHERE kind = 'training.enrollment'"),
		1050);
	ctest_stop(&t);
}

static void test_truncated_page(void)
{
	struct ctest t;
	const char *args[] = { "--scenario", "breaching", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "knowbe4", args), 0);
	CU_ASSERT_EQUAL(fake_faults(&t.fake, pki, "{\"faults\":[{\"type\":\"truncate\",\"count\":-1}]}"), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.outcome, "failed");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "https://127.0.0.1:"));
	fprintf(stderr, "truncated: %s\n", res.error);
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM runs WHERE outcome = 'failed' AND error != ''"), 1);
	ctest_stop(&t);
}

static void test_pagination_loop(void)
{
	struct ctest t;
	const char *args[] = { "--loop", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "knowbe4", args), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "pagination loop"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "/v1/training/enrollments"));
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

/* A JSON object instead of the bare array (the Fleet fake's answer,
 * reached through a query in the endpoint) fails the run. */
static void test_wrong_shape(void)
{
	struct ctest t;
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "fleet", NULL), 0);
	const char *text = "[source kb4]\n"
			   "type = knowbe4-training\n"
			   "endpoint = @BASE@/api/v1/fleet/hosts?x=\n"
			   "ca_file = @CA@\n"
			   "token_file = @DIR@/fleet-token\n";
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, text, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.error, "GET /v1/training/enrollments: page 1 is not a JSON array");
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

static void test_wrong_token(void)
{
	struct ctest t;
	const char *args[] = { "--token", "a-different-token", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "knowbe4", args), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	fprintf(stderr, "wrong token: %s\n", res.error);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "HTTP 401"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "Unauthorized"));
	CU_ASSERT_PTR_NULL(strstr(res.error, "test-token-knowbe4"));
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

/* Loads a configuration with one [source kb4] made of extra; returns the
 * number of errors, the first in first (or ""). */
static size_t load(const char *dir, const char *extra, char *first, size_t len, char **conf)
{
	char *text = NULL;
	if (asprintf(&text,
		     "[daemon]\nstate_dir = %s\n\n[source kb4]\ntype = knowbe4-training\ntoken_file = %s/token\n%s",
		     dir, dir, extra) < 0)
		return 99;
	*conf = th_write(dir, "ismsd.conf", text, 0644);
	free(text);
	struct config_errors errs = { 0 };
	struct config *cfg = daemon_config_load(*conf, 0, &errs);
	snprintf(first, len, "%s", errs.n ? errs.msgs[0] : "");
	size_t n = errs.n + (cfg == NULL && errs.n == 0);
	config_free(cfg);
	config_errors_free(&errs);
	return n;
}

/* Without endpoint, the region picks the base URL; other regions and
 * per_page above 500 are errors at their line. */
static void test_config(void)
{
	char *dir = th_mkdtemp();
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	char first[512], want[512];
	char *conf = NULL;
	CU_ASSERT_EQUAL(load(dir, "", first, sizeof(first), &conf), 0);
	free(conf);
	CU_ASSERT_EQUAL(load(dir, "region = eu\n", first, sizeof(first), &conf), 0);
	free(conf);
	CU_ASSERT_EQUAL(load(dir, "region = mars\n", first, sizeof(first), &conf), 1);
	snprintf(want, sizeof(want), "%s:7:", conf);
	CU_ASSERT_NSTRING_EQUAL(first, want, strlen(want));
	CU_ASSERT_PTR_NOT_NULL(strstr(first, "region"));
	free(conf);
	CU_ASSERT_EQUAL(load(dir, "per_page = 501\n", first, sizeof(first), &conf), 1);
	snprintf(want, sizeof(want), "%s:7:", conf);
	CU_ASSERT_NSTRING_EQUAL(first, want, strlen(want));
	CU_ASSERT_PTR_NOT_NULL(strstr(first, "per_page"));
	free(conf);
	th_rmrf(dir);
	free(dir);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "healthy: 1050 passed enrollments over 4 pages", test_healthy },
		{ "breaching: exact counts and values", test_breaching },
		{ "per_page 100: 12 pages", test_per_page },
		{ "a truncated page fails the run and stores nothing", test_truncated_page },
		{ "a page that repeats stops with a loop error", test_pagination_loop },
		{ "a page that is not an array fails the run", test_wrong_shape },
		{ "a wrong token is a clear error without the secret", test_wrong_token },
		{ "region and per_page in the configuration", test_config },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "knowbe4-training", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
