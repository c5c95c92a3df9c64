/*
 * test_aws-cloudtrail.c: the aws-cloudtrail collector against the
 * CloudTrail fake (SigV4 checked by the fake), through several pages, in
 * the healthy and the breaching scenario, with the exact counts and values
 * of tests/fakes/README.md.  The fake's data clock is set to the last UTC
 * midnight, so that the README's times of day hold and the default 7-day
 * lookback holds the data whatever the date.  Also: at most 2 requests a
 * second; an incremental second run stores only the new events; a
 * truncated page, a pagination loop and a wrong secret fail the run and
 * leave nothing.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "collectorhelp.h"
#include "testhelp.h"
#include "util.h"

#define DAY 86400
#define SPACING 432 /* seconds between events at the default 200 events */

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

static const char *source = "[source ct]\n"
			    "type = aws-cloudtrail\n"
			    "endpoint = @BASE@\n"
			    "ca_file = @CA@\n"
			    "region = us-east-1\n"
			    "credentials_file = @DIR@/aws-credentials\n"
			    "retry_base_ms = 10\n";

/* The fake's "now" (README: 2026-11-24T00:00:00Z; here the last midnight). */
static time_t now;
static char now_iso[UTIL_ISO_TIME_LEN];

static int start_at(struct ctest *t, time_t at, const char *const *extra)
{
	now = at;
	util_time_iso(now, now_iso);
	const char *args[16] = { "--now", now_iso };
	size_t n = 2;
	for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 15; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	return ctest_start(t, pki, "aws-cloudtrail", args);
}

static int start(struct ctest *t, const char *scenario)
{
	const char *extra[] = { "--scenario", scenario, NULL };
	return start_at(t, time(NULL) / DAY * DAY, extra);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "(null)";
}

/* The facts that carry category cat. */
static size_t count_category(json_t *facts, const char *cat)
{
	size_t n = 0, i, j;
	json_t *f, *c;
	json_array_foreach(facts, i, f)
	{
		json_array_foreach(json_object_get(f, "categories"), j, c)
		{
			if (strcmp(json_string_value(c), cat) == 0)
				n++;
		}
	}
	return n;
}

/* The facts with any category. */
static size_t count_flagged(json_t *facts)
{
	size_t n = 0, i;
	json_t *f;
	json_array_foreach(facts, i, f)
	{
		if (json_array_size(json_object_get(f, "categories")) > 0)
			n++;
	}
	return n;
}

/* The first fact named name observed at t, or NULL. */
static json_t *event_at(json_t *facts, const char *name, time_t t)
{
	size_t i;
	json_t *f;
	json_array_foreach(facts, i, f)
	{
		if (strcmp(str(f, "name"), name) == 0 && json_integer_value(json_object_get(f, "_observed_at")) == t)
			return f;
	}
	return NULL;
}

/* The fake's request log: the wall-clock times (ms) of the API requests. */
static size_t api_times(const struct ctest *t, long long *ms, size_t max)
{
	char *txt = th_read(t->fake.log);
	size_t n = 0;
	char *save = NULL;
	for (char *line = txt ? strtok_r(txt, "\n", &save) : NULL; line && n < max; line = strtok_r(NULL, "\n", &save)) {
		json_error_t err;
		json_t *j = json_loads(line, 0, &err);
		const char *ts = json_string_value(json_object_get(j, "ts"));
		time_t secs = 0;
		const char *dot = ts ? strchr(ts, '.') : NULL;
		if (strcmp(str(j, "kind"), "api") == 0 && dot != NULL && util_time_parse(ts, &secs) == 0)
			ms[n++] = (long long)secs * 1000 + atoi(dot + 1);
		json_decref(j);
	}
	free(txt);
	return n;
}

static void test_healthy(void)
{
	struct ctest t;
	CU_ASSERT_EQUAL_FATAL(start(&t, "healthy"), 0);
	struct collector_result res;
	CU_ASSERT_EQUAL(ctest_run(&t, source, &res), 0);
	if (strcmp(res.outcome, "success") != 0)
		fprintf(stderr, "run: %s\n", res.error);
	json_t *ev = ctest_facts(&t, "audit.event");
	CU_ASSERT_EQUAL(json_array_size(ev), 200);
	CU_ASSERT_EQUAL(res.pages, 4); /* 50 a page, newest first */
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(DISTINCT ext_id) FROM evidence WHERE kind = 'audit.event'"), 200);
	CU_ASSERT_EQUAL(count_flagged(ev), 0);
	CU_ASSERT_EQUAL(ctest_count(ev, "provider", json_string("aws")), 200);
	CU_ASSERT_EQUAL(ctest_count(ev, "account", json_string("123456789012")), 200);
	/* the near-misses are there, and not findings: bob's failed logins
	 * without MFA, ingress from 10.0.0.0/16 */
	size_t failed = 0, ingress = 0, i;
	json_t *f;
	json_array_foreach(ev, i, f)
	{
		if (strcmp(str(f, "name"), "ConsoleLogin") == 0 && strcmp(str(f, "outcome"), "failure") == 0) {
			failed++;
			CU_ASSERT_STRING_EQUAL(str(f, "actor"), "arn:aws:iam::123456789012:user/bob");
		}
		if (strcmp(str(f, "name"), "AuthorizeSecurityGroupIngress") == 0)
			ingress++;
	}
	CU_ASSERT(failed > 0);
	CU_ASSERT(ingress > 0);
	/* oldest and newest: event 0 at now - 24 h, event 199 at now - 432 s */
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT min(observed_at) FROM evidence WHERE kind = 'audit.event'"), now - DAY);
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT max(observed_at) FROM evidence WHERE kind = 'audit.event'"),
			now - SPACING);
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT CAST(cursor AS INTEGER) FROM runs WHERE outcome = 'success'"),
			now - SPACING);
	json_decref(ev);

	/* at most 2 requests a second (the default rate_limit), as the fake
	 * saw them.  The first request is left out: the client's limiter
	 * counts from the start of a transfer, so the time the first one
	 * spends connecting (long under valgrind) shortens the first gap the
	 * server sees.  50-100 ms are allowed for the fake's own timing
	 * (without the limit the gaps are a few ms). */
	long long ms[16];
	size_t n = api_times(&t, ms, 16);
	CU_ASSERT_EQUAL(n, 4);
	for (size_t k = 1; k + 1 < n; k++) {
		if (ms[k + 1] - ms[k] < 400)
			fprintf(stderr, "requests %zu and %zu are %lld ms apart\n", k, k + 1, ms[k + 1] - ms[k]);
		CU_ASSERT(ms[k + 1] - ms[k] >= 400);
	}
	for (size_t k = 1; k + 2 < n; k++)
		CU_ASSERT(ms[k + 2] - ms[k] >= 900);
	CU_ASSERT(n < 2 || ms[1] > ms[0]);
	ctest_stop(&t);
}

static void test_breaching(void)
{
	struct ctest t;
	CU_ASSERT_EQUAL_FATAL(start(&t, "breaching"), 0);
	struct collector_result res;
	CU_ASSERT_EQUAL(ctest_run(&t, source, &res), 0);
	if (strcmp(res.outcome, "success") != 0)
		fprintf(stderr, "run: %s\n", res.error);
	json_t *ev = ctest_facts(&t, "audit.event");
	CU_ASSERT_EQUAL_FATAL(json_array_size(ev), 200);
	CU_ASSERT_EQUAL(res.pages, 4);
	CU_ASSERT_EQUAL(count_category(ev, "logging_tamper"), 3);
	CU_ASSERT_EQUAL(count_category(ev, "console_login_no_mfa"), 1);
	CU_ASSERT_EQUAL(count_category(ev, "root_activity"), 2);
	CU_ASSERT_EQUAL(count_category(ev, "privilege_grant"), 2);
	CU_ASSERT_EQUAL(count_category(ev, "world_open_firewall"), 1);
	CU_ASSERT_EQUAL(count_flagged(ev), 9);

	/* k=0: StopLogging at 02:24 the day before (README 1795400640) */
	char iso[UTIL_ISO_TIME_LEN];
	json_t *stop = event_at(ev, "StopLogging", now - DAY + 20 * SPACING);
	CU_ASSERT_PTR_NOT_NULL_FATAL(stop);
	util_time_iso(now - DAY + 20 * SPACING, iso);
	CU_ASSERT_STRING_EQUAL(str(stop, "event_time"), iso);
	CU_ASSERT_STRING_EQUAL(iso + 10, "T02:24:00Z");
	CU_ASSERT_STRING_EQUAL(str(stop, "service"), "cloudtrail.amazonaws.com");
	CU_ASSERT_STRING_EQUAL(str(stop, "actor"), "arn:aws:iam::123456789012:user/mallory");
	CU_ASSERT_STRING_EQUAL(str(stop, "actor_type"), "IAMUser");
	CU_ASSERT_STRING_EQUAL(str(stop, "source_ip"), "198.51.100.23");
	CU_ASSERT_STRING_EQUAL(str(stop, "region"), "us-east-1");
	CU_ASSERT_STRING_EQUAL(str(stop, "account"), "123456789012");
	CU_ASSERT_STRING_EQUAL(str(stop, "outcome"), "success");
	CU_ASSERT_STRING_EQUAL(str(stop, "resource"), "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail");
	CU_ASSERT_STRING_EQUAL(str(stop, "event_id"), str(stop, "_ext_id"));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(stop, "categories")), 1);

	/* k=3: mallory's console login without MFA at 09:36 */
	json_t *login = event_at(ev, "ConsoleLogin", now - DAY + 80 * SPACING);
	CU_ASSERT_PTR_NOT_NULL_FATAL(login);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(login, "categories"), 0)),
			       "console_login_no_mfa");
	CU_ASSERT_STRING_EQUAL(str(login, "service"), "signin.amazonaws.com");
	/* k=4: the root console login (with MFA) at 12:00 is root activity only */
	json_t *root = event_at(ev, "ConsoleLogin", now - DAY + 100 * SPACING);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_STRING_EQUAL(str(root, "actor"), "arn:aws:iam::123456789012:root");
	CU_ASSERT_STRING_EQUAL(str(root, "actor_type"), "Root");
	CU_ASSERT_STRING_EQUAL(str(root, "source_ip"), "198.51.100.24");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(root, "categories")), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(root, "categories"), 0)),
			       "root_activity");
	/* k=6: AttachUserPolicy at 16:48 */
	json_t *attach = event_at(ev, "AttachUserPolicy", now - DAY + 140 * SPACING);
	CU_ASSERT_PTR_NOT_NULL_FATAL(attach);
	CU_ASSERT_STRING_EQUAL(str(attach, "resource"), "arn:aws:iam::aws:policy/AdministratorAccess");
	/* k=8: ingress from 0.0.0.0/0 at 21:36 (README 1795469760) */
	json_t *sg = event_at(ev, "AuthorizeSecurityGroupIngress", now - DAY + 180 * SPACING);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sg);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(sg, "categories"), 0)),
			       "world_open_firewall");
	CU_ASSERT_STRING_EQUAL(str(sg, "resource"), "sg-0a1b2c3d4e5f00001");
	/* the near-misses stay unflagged */
	size_t i;
	json_t *f;
	json_array_foreach(ev, i, f)
	{
		if (strcmp(str(f, "outcome"), "failure") == 0 ||
		    (strcmp(str(f, "name"), "AuthorizeSecurityGroupIngress") == 0 && f != sg))
			CU_ASSERT_EQUAL(json_array_size(json_object_get(f, "categories")), 0);
	}
	json_decref(ev);
	ctest_stop(&t);
}

/* One event a second up to an hour ahead of the wall clock: the first run
 * takes the last 2 minutes; a few seconds later the second run starts a
 * minute before the cursor, finds those 61 events again as duplicates and
 * stores only the events of the seconds in between.  (Moving the fake's
 * clock instead would not do: its EventIds follow the event's index, so
 * the same ids would come back at other times.) */
static void test_incremental(void)
{
	struct ctest t;
	const char *extra[] = { "--events", "86400", NULL };
	CU_ASSERT_EQUAL_FATAL(start_at(&t, time(NULL) + 3600, extra), 0);
	const char *src = "[source ct]\n"
			  "type = aws-cloudtrail\n"
			  "endpoint = @BASE@\n"
			  "ca_file = @CA@\n"
			  "region = us-east-1\n"
			  "credentials_file = @DIR@/aws-credentials\n"
			  "retry_base_ms = 10\n"
			  "lookback = 120s\n"
			  "overlap = 60s\n";
	struct collector_result r1, r2;
	CU_ASSERT_EQUAL_FATAL(ctest_run(&t, src, &r1), 0);
	CU_ASSERT_EQUAL(r1.facts, 121); /* [start - 120 s, start], one a second */
	CU_ASSERT_EQUAL(r1.duplicates, 0);
	long long c1 = ctest_scalar(&t, "SELECT CAST(cursor AS INTEGER) FROM runs ORDER BY id LIMIT 1");
	CU_ASSERT(c1 > 0);
	while (time(NULL) < c1 + 3)
		usleep(100 * 1000);
	CU_ASSERT_EQUAL_FATAL(ctest_run(&t, src, &r2), 0);
	long long c2 = ctest_scalar(&t, "SELECT CAST(cursor AS INTEGER) FROM runs ORDER BY id DESC LIMIT 1");
	CU_ASSERT_EQUAL(r2.duplicates, 61); /* [c1 - 60, c1] */
	CU_ASSERT(r2.facts >= 3);
	CU_ASSERT_EQUAL((long long)r2.facts, c2 - c1);
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM evidence WHERE run_id = %lld AND kind = 'audit.event'"
		 " AND observed_at <= %lld", (long long)r2.run_id, c1);
	CU_ASSERT_EQUAL(ctest_scalar(&t, sql), 0);
	json_t *ev = ctest_facts(&t, "audit.event");
	CU_ASSERT_EQUAL(json_array_size(ev), 121 + r2.facts);
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(DISTINCT ext_id) FROM evidence WHERE kind = 'audit.event'"),
			(long long)json_array_size(ev));
	json_decref(ev);
	ctest_stop(&t);
}

static void test_truncated_page(void)
{
	struct ctest t;
	CU_ASSERT_EQUAL_FATAL(start(&t, "breaching"), 0);
	CU_ASSERT_EQUAL(fake_faults(&t.fake, pki, "{\"faults\":[{\"type\":\"truncate\",\"count\":-1}]}"), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.outcome, "failed");
	CU_ASSERT(strstr(res.error, "https://127.0.0.1:") != NULL);
	fprintf(stderr, "truncated: %s\n", res.error);
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM runs WHERE outcome = 'failed' AND error != ''"), 1);
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM runs WHERE cursor IS NOT NULL"), 0);
	ctest_stop(&t);
}

static void test_pagination_loop(void)
{
	struct ctest t;
	const char *extra[] = { "--loop", NULL };
	CU_ASSERT_EQUAL_FATAL(start_at(&t, time(NULL) / DAY * DAY, extra), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "pagination loop"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "LookupEvents"));
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

static void test_bad_signature(void)
{
	struct ctest t;
	const char *extra[] = { "--secret-key", "a-different-secret", NULL };
	CU_ASSERT_EQUAL_FATAL(start_at(&t, time(NULL) / DAY * DAY, extra), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	fprintf(stderr, "bad secret: %s\n", res.error);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "HTTP 403 InvalidSignatureException"));
	CU_ASSERT_PTR_NULL(strstr(res.error, "wJalrXUtnFEMI"));
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "healthy: 200 events over 4 pages, none flagged, 2 requests/s", test_healthy },
		{ "breaching: exact counts per category and values", test_breaching },
		{ "a second run stores only the new events", test_incremental },
		{ "a truncated page fails the run and stores nothing", test_truncated_page },
		{ "a repeating NextToken stops with a loop error", test_pagination_loop },
		{ "a wrong secret is a signature error", test_bad_signature },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "aws-cloudtrail", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
