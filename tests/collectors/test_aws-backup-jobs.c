/*
 * test_aws-backup-jobs.c: the aws-backup-jobs collector against the AWS
 * Backup fake (SigV4 checked by the fake), through several pages, in the
 * healthy and the breaching scenario, with the exact counts and values of
 * tests/fakes/README.md.  The fake's data clock is set to the wall clock,
 * because the collector asks for the jobs created within `window` of now.
 * A truncated page, a pagination loop and a wrong secret fail the run and
 * leave nothing.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "collectorhelp.h"
#include "daemon.h"
#include "testhelp.h"
#include "util.h"

#define DAY 86400

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

static const char *source = "[source backup]\n"
			    "type = aws-backup-jobs\n"
			    "endpoint = @BASE@\n"
			    "ca_file = @CA@\n"
			    "region = us-east-1\n"
			    "credentials_file = @DIR@/aws-credentials\n"
			    "retry_base_ms = 10\n";

/* The fake's "now": the wall clock, so that the default 30-day window
 * holds all 7 days of jobs whatever the date. */
static time_t now;
static char now_iso[UTIL_ISO_TIME_LEN];

static int start(struct ctest *t, const char *scenario, const char *extra)
{
	now = time(NULL);
	util_time_iso(now, now_iso);
	const char *args[] = { "--scenario", scenario, "--now", now_iso, extra, NULL };
	return ctest_start(t, pki, "aws-backup", args);
}

static const char *iso(time_t t, char buf[UTIL_ISO_TIME_LEN])
{
	util_time_iso(t, buf);
	return buf;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "(null)";
}

/* The job of resource name created at t, or NULL. */
static json_t *job(json_t *facts, const char *name, time_t t)
{
	char buf[UTIL_ISO_TIME_LEN];
	util_time_iso(t, buf);
	size_t i;
	json_t *f;
	json_array_foreach(facts, i, f)
	if (strcmp(str(f, "resource_name"), name) == 0 && strcmp(str(f, "created_at"), buf) == 0)
		return f;
	return NULL;
}

/* Resources with a COMPLETED job that completed within 24 hours of now. */
static size_t resources_ok_24h(json_t *facts)
{
	char since[UTIL_ISO_TIME_LEN];
	util_time_iso(now - DAY, since);
	json_t *seen = json_object();
	size_t i;
	json_t *f;
	json_array_foreach(facts, i, f)
	if (strcmp(str(f, "state"), "COMPLETED") == 0 && strcmp(str(f, "completed_at"), since) >= 0)
		json_object_set_new(seen, str(f, "resource_arn"), json_true());
	size_t n = json_object_size(seen);
	json_decref(seen);
	return n;
}

/* The createdAfter of the first request in the fake's log (decoded), or -1. */
static time_t created_after(const char *log)
{
	const char *p = strstr(log, "createdAfter=");
	if (p == NULL)
		return -1;
	p += strlen("createdAfter=");
	char v[64];
	size_t n = 0;
	while (*p != '\0' && *p != '&' && *p != '"' && n + 1 < sizeof(v)) {
		if (strncmp(p, "%3A", 3) == 0) {
			v[n++] = ':';
			p += 3;
		} else {
			v[n++] = *p++;
		}
	}
	v[n] = '\0';
	time_t t = 0;
	if (util_time_parse(v, &t) < 0)
		return -1;
	return t;
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
	CU_ASSERT_EQUAL_FATAL(start(&t, "healthy", NULL), 0);
	struct collector_result res;
	run_ok(&t, source, &res);
	CU_ASSERT_EQUAL(res.pages, 4); /* 25/25/25/10 */
	json_t *jobs = ctest_facts(&t, "backup.job");
	CU_ASSERT_EQUAL_FATAL(json_array_size(jobs), 85);
	CU_ASSERT_EQUAL(ctest_count(jobs, "state", json_string("COMPLETED")), 84);
	CU_ASSERT_EQUAL(ctest_count(jobs, "state", json_string("RUNNING")), 1);
	CU_ASSERT_EQUAL(ctest_count(jobs, "encrypted", json_true()), 85);
	CU_ASSERT_EQUAL(ctest_count(jobs, "vault", json_string("Default")), 85);
	CU_ASSERT_EQUAL(ctest_count(jobs, "resource_type", json_string("EBS")), 28);
	CU_ASSERT_EQUAL(resources_ok_24h(jobs), 12);
	/* resource 1, one day ago: created now - 1d + 3h + 60 s */
	char buf[UTIL_ISO_TIME_LEN];
	time_t created = now - DAY + 3 * 3600 + 60;
	json_t *j = job(jobs, "app-server-1", created);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(str(j, "state"), "COMPLETED");
	CU_ASSERT_STRING_EQUAL(str(j, "completed_at"), iso(created + 600 + 37, buf));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "size_bytes")), 1048576LL * 113);
	CU_ASSERT_STRING_EQUAL(str(j, "resource_arn"),
			       "arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f00001");
	CU_ASSERT_STRING_EQUAL(str(j, "resource_type"), "EC2");
	CU_ASSERT(json_is_null(json_object_get(j, "status_message")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "_observed_at")), created);
	CU_ASSERT_STRING_EQUAL(str(j, "_ext_id"), str(j, "job_id"));
	/* the on-demand job still running */
	j = job(jobs, "app-server-1", now - 900);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(str(j, "state"), "RUNNING");
	CU_ASSERT(json_is_null(json_object_get(j, "completed_at")));
	CU_ASSERT(json_is_null(json_object_get(j, "size_bytes")));
	json_decref(jobs);
	/* the query: ISO 8601 bound, percent-encoded as SigV4 wants; then NextToken */
	char *log = th_read(t.fake.log);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "maxResults=1000"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "nextToken="));
	CU_ASSERT_PTR_NULL(strstr(log, "wJalrXUtnFEMI"));
	/* 30 days before the run, which starts a moment after the fake */
	time_t after = created_after(log);
	CU_ASSERT(after >= now - 30 * DAY && after < now - 30 * DAY + 60);
	free(log);
	CU_ASSERT_EQUAL(fake_requests(&t.fake, "/backup-jobs/", 4), 4);
	ctest_stop(&t);
}

static void test_breaching(void)
{
	struct ctest t;
	CU_ASSERT_EQUAL_FATAL(start(&t, "breaching", NULL), 0);
	struct collector_result res;
	run_ok(&t, source, &res);
	CU_ASSERT_EQUAL(res.pages, 4); /* 25/25/25/7 */
	json_t *jobs = ctest_facts(&t, "backup.job");
	CU_ASSERT_EQUAL_FATAL(json_array_size(jobs), 82);
	CU_ASSERT_EQUAL(ctest_count(jobs, "state", json_string("COMPLETED")), 76);
	CU_ASSERT_EQUAL(ctest_count(jobs, "state", json_string("FAILED")), 3);
	CU_ASSERT_EQUAL(ctest_count(jobs, "state", json_string("ABORTED")), 1);
	CU_ASSERT_EQUAL(ctest_count(jobs, "state", json_string("EXPIRED")), 1);
	CU_ASSERT_EQUAL(ctest_count(jobs, "state", json_string("RUNNING")), 1);
	/* resources 9, 10, 11 and 12 have no success in the last 24 hours */
	CU_ASSERT_EQUAL(resources_ok_24h(jobs), 8);
	CU_ASSERT_EQUAL(ctest_count(jobs, "resource_name", json_string("data-volume-12")), 4);
	char buf[UTIL_ISO_TIME_LEN];
	/* resource 9 (EFS) failed one and two days ago */
	for (int d = 1; d <= 2; d++) {
		time_t created = now - d * DAY + 3 * 3600 + 9 * 60;
		json_t *j = job(jobs, "shared-fs-9", created);
		CU_ASSERT_PTR_NOT_NULL_FATAL(j);
		CU_ASSERT_STRING_EQUAL(str(j, "state"), "FAILED");
		CU_ASSERT_STRING_EQUAL(str(j, "completed_at"), iso(created + 120, buf));
		CU_ASSERT_STRING_EQUAL(str(j, "status_message"),
				       "An internal error occurred: the backup could not be created (fake).");
		CU_ASSERT_STRING_EQUAL(str(j, "resource_type"), "EFS");
		CU_ASSERT_STRING_EQUAL(str(j, "resource_arn"), "arn:aws:elasticfilesystem:us-east-1:123456789012:"
							       "file-system/fs-0a1b2c3d00000009");
		CU_ASSERT(json_is_null(json_object_get(j, "size_bytes")));
	}
	json_t *j = job(jobs, "ismsd-demo-bucket-11", now - DAY + 3 * 3600 + 11 * 60);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(str(j, "state"), "EXPIRED");
	CU_ASSERT(json_is_null(json_object_get(j, "completed_at")));
	j = job(jobs, "orders-10", now - DAY + 3 * 3600 + 10 * 60);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(str(j, "state"), "ABORTED");
	CU_ASSERT_STRING_EQUAL(str(j, "resource_type"), "DynamoDB");
	/* the older, recovered failure of resource 3 */
	j = job(jobs, "app-server-3", now - 5 * DAY + 3 * 3600 + 3 * 60);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(str(j, "state"), "FAILED");
	json_decref(jobs);
	ctest_stop(&t);
}

/* window = 1d: the jobs of the last day and the running one. */
static void test_window(void)
{
	struct ctest t;
	CU_ASSERT_EQUAL_FATAL(start(&t, "healthy", NULL), 0);
	char text[512];
	snprintf(text, sizeof(text), "%swindow = 1d\n", source);
	struct collector_result res;
	run_ok(&t, text, &res);
	CU_ASSERT_EQUAL(res.pages, 1);
	CU_ASSERT_EQUAL(res.facts, 13);
	ctest_stop(&t);
}

static void test_truncated_page(void)
{
	struct ctest t;
	CU_ASSERT_EQUAL_FATAL(start(&t, "breaching", NULL), 0);
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
	CU_ASSERT_EQUAL_FATAL(start(&t, "healthy", "--loop"), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "pagination loop"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "ListBackupJobs"));
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

static void test_bad_signature(void)
{
	struct ctest t;
	const char *args[] = { "--secret-key", "a-different-secret", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "aws-backup", args), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	fprintf(stderr, "bad signature: %s\n", res.error);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "HTTP 403 InvalidSignatureException"));
	CU_ASSERT_PTR_NULL(strstr(res.error, "wJalrXUtnFEMI"));
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

/* The endpoint defaults to the region's; without either it is an error. */
static void test_config(void)
{
	char *dir = th_mkdtemp();
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	struct config_errors errs = { 0 };
	char *text = NULL;
	CU_ASSERT(asprintf(&text,
			   "[daemon]\nstate_dir = %s\n\n[source backup]\ntype = aws-backup-jobs\nregion = eu-west-1\n"
			   "window = 90d\n",
			   dir) > 0);
	char *conf = th_write(dir, "ismsd.conf", text, 0644);
	struct config *cfg = daemon_config_load(conf, 0, &errs);
	CU_ASSERT_PTR_NOT_NULL(cfg);
	CU_ASSERT_EQUAL(errs.n, 0);
	config_free(cfg);
	free(conf);
	free(text);

	CU_ASSERT(asprintf(&text, "[daemon]\nstate_dir = %s\n\n[source backup]\ntype = aws-backup-jobs\n", dir) > 0);
	conf = th_write(dir, "ismsd.conf", text, 0644);
	cfg = daemon_config_load(conf, 0, &errs);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL_FATAL(errs.n, 1);
	char want[512];
	snprintf(want, sizeof(want), "%s:4: [source backup] key 'endpoint': missing required key", conf);
	CU_ASSERT_STRING_EQUAL(errs.msgs[0], want);
	config_errors_free(&errs);
	config_free(cfg);
	free(conf);
	free(text);
	th_rmrf(dir);
	free(dir);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "healthy: 85 jobs over 4 pages", test_healthy },
		{ "breaching: exact counts and values", test_breaching },
		{ "window = 1d asks only for the last day", test_window },
		{ "a truncated page fails the run and stores nothing", test_truncated_page },
		{ "a repeating NextToken stops with a loop error", test_pagination_loop },
		{ "a wrong secret is a signature error", test_bad_signature },
		{ "endpoint from region, or an error", test_config },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "aws-backup-jobs", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
