/*
 * test_fleet-hosts.c: the fleet-hosts collector against the Fleet fake
 * (bearer token checked by the fake), through several pages, in the healthy
 * and the breaching scenario, with the exact counts and values of
 * tests/fakes/README.md; a truncated page, a pagination loop, a page of the
 * wrong shape and a wrong token fail the run and leave nothing.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "collectorhelp.h"
#include "testhelp.h"

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

static const char *source = "[source fleet]\n"
			    "type = fleet-hosts\n"
			    "endpoint = @BASE@\n"
			    "ca_file = @CA@\n"
			    "token_file = @DIR@/fleet-token\n"
			    "retry_base_ms = 10\n";

/* The first fact whose member key is the string v, or NULL. */
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

/* Facts whose integer member key is greater than zero. */
static size_t count_positive(json_t *facts, const char *key)
{
	size_t n = 0, i;
	json_t *f;
	json_array_foreach(facts, i, f)
	if (num(f, key) > 0)
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
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "fleet", args), 0);
	struct collector_result res;
	run_ok(&t, source, &res);
	/* 100/100/50: the short page ends the list */
	CU_ASSERT_EQUAL(res.pages, 3);
	json_t *hosts = ctest_facts(&t, "patch.host");
	CU_ASSERT_EQUAL_FATAL(json_array_size(hosts), 250);
	CU_ASSERT_EQUAL(ctest_count(hosts, "compliant", json_true()), 250);
	CU_ASSERT_EQUAL(ctest_count(hosts, "scanned", json_true()), 250);
	CU_ASSERT_EQUAL(ctest_count(hosts, "status", json_string("online")), 250);
	CU_ASSERT_EQUAL(ctest_count(hosts, "critical_missing", json_integer(0)), 250);
	CU_ASSERT_EQUAL(ctest_count(hosts, "source_type", json_string("fleet")), 250);
	CU_ASSERT_EQUAL(ctest_count(hosts, "platform", json_string("ubuntu")), 150);
	CU_ASSERT_EQUAL(ctest_count(hosts, "platform", json_string("darwin")), 70);
	CU_ASSERT_EQUAL(ctest_count(hosts, "platform", json_string("windows")), 30);
	json_t *h1 = find(hosts, "_ext_id", "1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h1);
	CU_ASSERT_EQUAL(num(h1, "host_id"), 1);
	CU_ASSERT_STRING_EQUAL(str(h1, "hostname"), "host-001.example.internal");
	CU_ASSERT_STRING_EQUAL(str(h1, "os_version"), "Ubuntu 22.04.4 LTS");
	CU_ASSERT_STRING_EQUAL(str(h1, "last_seen"), "2026-11-23T23:57:59Z");
	CU_ASSERT_STRING_EQUAL(str(h1, "last_scan"), "2026-11-23T17:59:59Z");
	CU_ASSERT_EQUAL(num(h1, "_observed_at"), 1795478279); /* seen_time */
	CU_ASSERT_EQUAL(num(h1, "failing_policies"), 0);
	json_t *want = json_pack("{s:i, s:i, s:i, s:i}", "critical", 0, "high", 0, "medium", 0, "low", 0);
	CU_ASSERT(json_equal(json_object_get(h1, "vulnerabilities"), want));
	json_decref(want);
	json_t *h250 = find(hosts, "_ext_id", "250");
	CU_ASSERT_PTR_NOT_NULL(h250);
	CU_ASSERT_STRING_EQUAL(str(h250, "platform"), "windows");
	json_decref(hosts);
	json_t *vulns = ctest_facts(&t, "patch.vuln");
	CU_ASSERT_EQUAL(json_array_size(vulns), 0);
	json_decref(vulns);
	/* the query follows Fleet's conventions: 0-based pages, software included */
	char *log = th_read(t.fake.log);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "\"query\":\"page=0&per_page=100&"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "\"query\":\"page=2&per_page=100&"));
	CU_ASSERT_PTR_NULL(strstr(log, "\"query\":\"page=3&"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "populate_software=true"));
	CU_ASSERT_PTR_NULL(strstr(log, "test-token-fleet"));
	free(log);
	ctest_stop(&t);
}

static void test_breaching(void)
{
	struct ctest t;
	const char *args[] = { "--scenario", "breaching", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "fleet", args), 0);
	struct collector_result res;
	run_ok(&t, source, &res);
	CU_ASSERT_EQUAL(res.pages, 3);
	json_t *hosts = ctest_facts(&t, "patch.host");
	CU_ASSERT_EQUAL_FATAL(json_array_size(hosts), 250);
	CU_ASSERT_EQUAL(ctest_count(hosts, "status", json_string("online")), 241);
	CU_ASSERT_EQUAL(ctest_count(hosts, "status", json_string("offline")), 6);
	CU_ASSERT_EQUAL(ctest_count(hosts, "status", json_string("mia")), 3);
	/* 11-16 one critical CVE, 17-20 two; 43-50 one high CVE */
	CU_ASSERT_EQUAL(count_positive(hosts, "critical_missing"), 10);
	CU_ASSERT_EQUAL(count_positive(hosts, "known_exploited"), 10);
	CU_ASSERT_EQUAL(count_positive(hosts, "security_missing"), 18);
	CU_ASSERT_EQUAL(count_positive(hosts, "failing_policies"), 5);
	CU_ASSERT_EQUAL(ctest_count(hosts, "compliant", json_true()), 232);
	long long crit = 0, high_only = 0, stale = 0;
	size_t i;
	json_t *f;
	json_array_foreach(hosts, i, f)
	{
		crit += num(f, "critical_missing");
		json_t *v = json_object_get(f, "vulnerabilities");
		if (num(v, "high") > 0 && num(v, "critical") == 0)
			high_only++;
		/* software scan older than 7 days (ISO strings sort by time) */
		if (strcmp(str(f, "last_scan"), "2026-11-17T00:00:00Z") < 0)
			stale++;
	}
	CU_ASSERT_EQUAL(crit, 14);
	CU_ASSERT_EQUAL(high_only, 8);
	CU_ASSERT_EQUAL(stale, 11);
	json_t *h17 = find(hosts, "_ext_id", "17");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h17);
	CU_ASSERT_EQUAL(num(h17, "critical_missing"), 2);
	CU_ASSERT_EQUAL(num(h17, "security_missing"), 2);
	CU_ASSERT_EQUAL(num(h17, "known_exploited"), 1);
	CU_ASSERT(json_is_false(json_object_get(h17, "compliant")));
	json_t *want = json_pack("{s:i, s:i, s:i, s:i}", "critical", 2, "high", 0, "medium", 0, "low", 0);
	CU_ASSERT(json_equal(json_object_get(h17, "vulnerabilities"), want));
	json_decref(want);
	json_t *h45 = find(hosts, "_ext_id", "45");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h45);
	CU_ASSERT_EQUAL(num(h45, "critical_missing"), 0);
	CU_ASSERT_EQUAL(num(h45, "security_missing"), 1);
	CU_ASSERT_EQUAL(num(json_object_get(h45, "vulnerabilities"), "high"), 1);
	CU_ASSERT(json_is_false(json_object_get(h45, "compliant")));
	json_t *h24 = find(hosts, "_ext_id", "24");
	CU_ASSERT_EQUAL(num(h24, "failing_policies"), 2);
	CU_ASSERT(json_is_true(json_object_get(h24, "compliant")));
	json_t *h33 = find(hosts, "_ext_id", "33");
	CU_ASSERT_STRING_EQUAL(str(h33, "status"), "mia");
	CU_ASSERT_STRING_EQUAL(str(h33, "last_seen"), "2026-10-14T23:59:27Z");
	CU_ASSERT_STRING_EQUAL(str(h33, "last_scan"), "2026-10-14T23:59:27Z");
	json_t *h26 = find(hosts, "_ext_id", "26");
	CU_ASSERT_STRING_EQUAL(str(h26, "status"), "offline");
	CU_ASSERT_STRING_EQUAL(str(h26, "last_seen"), "2026-11-20T23:59:34Z");
	json_decref(hosts);

	/* 14 critical findings (10 of them KEV) and 8 high ones */
	json_t *vulns = ctest_facts(&t, "patch.vuln");
	CU_ASSERT_EQUAL_FATAL(json_array_size(vulns), 22);
	CU_ASSERT_EQUAL(ctest_count(vulns, "severity", json_string("critical")), 14);
	CU_ASSERT_EQUAL(ctest_count(vulns, "severity", json_string("high")), 8);
	CU_ASSERT_EQUAL(ctest_count(vulns, "known_exploited", json_true()), 10);
	CU_ASSERT_EQUAL(ctest_count(vulns, "cve", json_string("CVE-2026-10001")), 10);
	CU_ASSERT_EQUAL(ctest_count(vulns, "cve", json_string("CVE-2026-10002")), 4);
	CU_ASSERT_EQUAL(ctest_count(vulns, "cve", json_string("CVE-2026-10003")), 8);
	json_t *v = find(vulns, "_ext_id", "17/CVE-2026-10002");
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(num(v, "host_id"), 17);
	CU_ASSERT_STRING_EQUAL(str(v, "hostname"), "host-017.example.internal");
	CU_ASSERT_STRING_EQUAL(str(v, "software"), "libxml2");
	CU_ASSERT_STRING_EQUAL(str(v, "version"), "2.9.13");
	CU_ASSERT_STRING_EQUAL(str(v, "severity"), "critical");
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(v, "cvss_score")), 9.1, 1e-9);
	CU_ASSERT(json_is_false(json_object_get(v, "known_exploited")));
	CU_ASSERT_STRING_EQUAL(str(v, "published"), "2026-11-14T00:00:00Z");
	v = find(vulns, "_ext_id", "11/CVE-2026-10001");
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(str(v, "software"), "openssl");
	CU_ASSERT_STRING_EQUAL(str(v, "version"), "3.0.2");
	CU_ASSERT(json_is_true(json_object_get(v, "known_exploited")));
	CU_ASSERT_STRING_EQUAL(str(v, "published"), "2026-10-15T00:00:00Z");
	v = find(vulns, "_ext_id", "50/CVE-2026-10003");
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(str(v, "severity"), "high");
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(v, "cvss_score")), 7.5, 1e-9);
	json_decref(vulns);
	ctest_stop(&t);
}

/* 250 hosts at per_page 50 are five full pages: the sixth, empty, ends it. */
static void test_per_page(void)
{
	struct ctest t;
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "fleet", NULL), 0);
	char text[512];
	snprintf(text, sizeof(text), "%sper_page = 50\n", source);
	struct collector_result res;
	run_ok(&t, text, &res);
	CU_ASSERT_EQUAL(res.pages, 6);
	CU_ASSERT_EQUAL(res.facts, 250);
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(DISTINCT ext_id) FROM evidence WHERE kind = 'patch.host'"), 250);
	ctest_stop(&t);
}

static void test_truncated_page(void)
{
	struct ctest t;
	const char *args[] = { "--scenario", "breaching", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "fleet", args), 0);
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
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "fleet", args), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "pagination loop"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "/api/v1/fleet/hosts"));
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	/* page 0, then page 1 answered with page 0 again */
	CU_ASSERT_EQUAL(fake_requests(&t.fake, "/api/v1/fleet/hosts", 2), 2);
	ctest_stop(&t);
}

/* An answer that is JSON but not {"hosts":[...]} (the KnowBe4 fake's bare
 * array, reached through a query in the endpoint) fails the run. */
static void test_wrong_shape(void)
{
	struct ctest t;
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "knowbe4", NULL), 0);
	const char *text = "[source fleet]\n"
			   "type = fleet-hosts\n"
			   "endpoint = @BASE@/v1/training/enrollments?x=\n"
			   "ca_file = @CA@\n"
			   "token_file = @DIR@/knowbe4-token\n";
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, text, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.error, "GET /api/v1/fleet/hosts: no hosts array in the response");
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

static void test_wrong_token(void)
{
	struct ctest t;
	const char *args[] = { "--token", "a-different-token", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "fleet", args), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	fprintf(stderr, "wrong token: %s\n", res.error);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "HTTP 401"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "Authentication failed"));
	CU_ASSERT_PTR_NULL(strstr(res.error, "test-token-fleet"));
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "healthy: 250 compliant hosts over 3 pages", test_healthy },
		{ "breaching: exact counts and values", test_breaching },
		{ "per_page 50: five full pages and an empty one", test_per_page },
		{ "a truncated page fails the run and stores nothing", test_truncated_page },
		{ "a page that repeats stops with a loop error", test_pagination_loop },
		{ "a page without a hosts array fails the run", test_wrong_shape },
		{ "a wrong token is a clear error without the secret", test_wrong_token },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "fleet-hosts", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
