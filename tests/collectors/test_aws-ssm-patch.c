/*
 * test_aws-ssm-patch.c: the aws-ssm-patch collector against the SSM fake
 * (SigV4 checked by the fake), through several pages, in the healthy and
 * the breaching scenario, with exact counts and values; a truncated page
 * and a pagination loop fail the run and leave nothing.
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

static const char *source = "[source ssm]\n"
			    "type = aws-ssm-patch\n"
			    "endpoint = @BASE@\n"
			    "ca_file = @CA@\n"
			    "region = us-east-1\n"
			    "credentials_file = @DIR@/aws-credentials\n"
			    "retry_base_ms = 10\n";

static json_t *host(json_t *facts, const char *id)
{
	size_t i;
	json_t *f;
	json_array_foreach(facts, i, f)
	if (strcmp(json_string_value(json_object_get(f, "host_id")), id) == 0)
		return f;
	return NULL;
}

static void test_healthy(void)
{
	struct ctest t;
	const char *args[] = { "--scenario", "healthy", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "aws-ssm", args), 0);
	struct collector_result res;
	CU_ASSERT_EQUAL(ctest_run(&t, source, &res), 0);
	if (strcmp(res.outcome, "success") != 0)
		fprintf(stderr, "run: %s\n", res.error);
	json_t *hosts = ctest_facts(&t, "patch.host");
	CU_ASSERT_EQUAL(json_array_size(hosts), 25);
	CU_ASSERT_EQUAL(ctest_count(hosts, "compliant", json_true()), 25);
	CU_ASSERT_EQUAL(ctest_count(hosts, "scanned", json_true()), 25);
	CU_ASSERT_EQUAL(ctest_count(hosts, "critical_missing", json_integer(0)), 25);
	CU_ASSERT_EQUAL(ctest_count(hosts, "ping_status", json_string("Online")), 25);
	json_t *missing = ctest_facts(&t, "patch.missing");
	CU_ASSERT_EQUAL(json_array_size(missing), 0);
	json_decref(missing);
	json_decref(hosts);
	/* 3 pages of instance information, 3 of patch states (10/10/5) */
	CU_ASSERT_EQUAL(res.pages, 6);
	ctest_stop(&t);
}

static void test_breaching(void)
{
	struct ctest t;
	const char *args[] = { "--scenario", "breaching", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "aws-ssm", args), 0);
	struct collector_result res;
	CU_ASSERT_EQUAL(ctest_run(&t, source, &res), 0);
	if (strcmp(res.outcome, "success") != 0)
		fprintf(stderr, "run: %s\n", res.error);
	json_t *hosts = ctest_facts(&t, "patch.host");
	CU_ASSERT_EQUAL_FATAL(json_array_size(hosts), 25);
	CU_ASSERT_EQUAL(ctest_count(hosts, "compliant", json_true()), 21);
	CU_ASSERT_EQUAL(ctest_count(hosts, "compliant", json_false()), 4);
	CU_ASSERT_EQUAL(ctest_count(hosts, "ping_status", json_string("ConnectionLost")), 1);
	/* n=20..23: critical 2,1,3,1; security 3,1,4,2; missing 4,2,5,3 */
	json_t *h20 = host(hosts, "i-0a1b2c3d4e5f00020");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h20);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(h20, "critical_missing")), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(h20, "security_missing")), 3);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(h20, "missing")), 4);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(h20, "baseline")), "pb-0123456789abcdef0");
	json_t *h22 = host(hosts, "i-0a1b2c3d4e5f00022");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(h22, "critical_missing")), 3);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(h22, "patch_group")), "prod-windows");
	json_t *h18 = host(hosts, "i-0a1b2c3d4e5f00018");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(h18, "pending_reboot")), 2);
	json_t *h19 = host(hosts, "i-0a1b2c3d4e5f00019");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(h19, "failed")), 1);
	CU_ASSERT(json_is_true(json_object_get(h19, "compliant")));
	/* n=25 was last scanned 10 days before the fake's now (2026-11-24) */
	json_t *h25 = host(hosts, "i-0a1b2c3d4e5f00025");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(h25, "last_scan")), "2026-11-13T23:35:00Z");
	long long sums = 0;
	size_t i;
	json_t *f;
	json_array_foreach(hosts, i, f)
	sums += json_integer_value(json_object_get(f, "missing"));
	CU_ASSERT_EQUAL(sums, 14);
	json_decref(hosts);
	/* the missing patches of the 4 non-compliant hosts: 14, 7 of them critical;
	 * the one written "MISSING" (host 22) counts like the others */
	json_t *missing = ctest_facts(&t, "patch.missing");
	CU_ASSERT_EQUAL(json_array_size(missing), 14);
	CU_ASSERT_EQUAL(ctest_count(missing, "severity", json_string("Critical")), 7);
	CU_ASSERT_EQUAL(ctest_count(missing, "state", json_string("missing")), 14);
	CU_ASSERT_EQUAL(ctest_count(missing, "host_id", json_string("i-0a1b2c3d4e5f00022")), 5);
	CU_ASSERT_EQUAL(ctest_count(missing, "kb", json_string("KB5220000")), 1);
	json_decref(missing);
	ctest_stop(&t);
}

static void test_truncated_page(void)
{
	struct ctest t;
	const char *args[] = { "--scenario", "breaching", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "aws-ssm", args), 0);
	/* every response is cut off mid-body, however often it is asked for */
	CU_ASSERT_EQUAL(fake_faults(&t.fake, pki,
				    "{\"faults\":[{\"type\":\"truncate\",\"count\":-1}]}"),
			0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.outcome, "failed");
	CU_ASSERT(strstr(res.error, "https://127.0.0.1:") != NULL);
	fprintf(stderr, "truncated: %s\n", res.error);
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM runs WHERE outcome = 'failed' AND error != ''"), 1);
	ctest_stop(&t);
}

static void test_pagination_loop(void)
{
	struct ctest t;
	const char *args[] = { "--scenario", "healthy", "--loop", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "aws-ssm", args), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "pagination loop"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "DescribeInstanceInformation"));
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

static void test_bad_signature(void)
{
	struct ctest t;
	const char *args[] = { "--secret-key", "a-different-secret", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "aws-ssm", args), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "HTTP 403 InvalidSignatureException"));
	CU_ASSERT_PTR_NULL(strstr(res.error, "wJalrXUtnFEMI"));
	ctest_stop(&t);
}

/* AWS's throttling answer (400 ThrottlingException) is retried and the run succeeds. */
static void test_throttling_exception(void)
{
	struct ctest t;
	const char *args[] = { "--scenario", "healthy", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "aws-ssm", args), 0);
	CU_ASSERT_EQUAL(fake_faults(&t.fake, pki, "{\"faults\":[{\"type\":\"throttle\",\"count\":3}]}"), 0);
	struct collector_result res;
	CU_ASSERT_EQUAL(ctest_run(&t, source, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.outcome, "success");
	json_t *hosts = ctest_facts(&t, "patch.host");
	CU_ASSERT_EQUAL(json_array_size(hosts), 25);
	json_decref(hosts);
	/* 6 pages, plus the 3 requests answered ThrottlingException */
	CU_ASSERT_EQUAL(fake_requests(&t.fake, "/", 9), 9);
	ctest_stop(&t);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "healthy: 25 compliant hosts over 6 pages", test_healthy },
		{ "breaching: exact counts and values", test_breaching },
		{ "a truncated page fails the run and stores nothing", test_truncated_page },
		{ "a repeating NextToken stops with a loop error", test_pagination_loop },
		{ "a wrong secret is a signature error", test_bad_signature },
		{ "ThrottlingException is retried", test_throttling_exception },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "aws-ssm-patch", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
