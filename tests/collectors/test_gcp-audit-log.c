/*
 * test_gcp-audit-log.c: the gcp-audit-log collector against the GCP fake
 * (service-account JWT exchanged for a token, then Cloud Logging
 * entries:list), through several pages including the empty page with a
 * token, in the healthy and the breaching scenario, with the exact counts
 * and values of tests/fakes/README.md.  The fake's data clock is set to the
 * last UTC midnight, so that the README's times of day hold and the default
 * 7-day lookback holds the data whatever the date.  Also: one token per
 * run; a second run stores nothing twice; a truncated page, a pagination
 * loop and a service account the token endpoint refuses fail the run and
 * leave nothing.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "collectorhelp.h"
#include "testhelp.h"
#include "util.h"

#define DAY 86400
#define PROJECT "ismsd-test-project"

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

static const char *source = "[source gcp]\n"
			    "type = gcp-audit-log\n"
			    "endpoint = @BASE@\n"
			    "ca_file = @CA@\n"
			    "project = " PROJECT "\n"
			    "key_file = @DIR@/gcp-sa.json\n"
			    "retry_base_ms = 10\n";

/* The fake's "now" (README: 2026-11-24T00:00:00Z; here the last midnight)
 * and the date of the day before, when the entries are written. */
static time_t now;
static char now_iso[UTIL_ISO_TIME_LEN];
static char yday[16];

static int start_with(struct ctest *t, const char *scenario, const char *const *extra)
{
	now = time(NULL) / DAY * DAY;
	util_time_iso(now, now_iso);
	char buf[UTIL_ISO_TIME_LEN];
	util_time_iso(now - DAY, buf);
	snprintf(yday, sizeof(yday), "%.10s", buf);
	const char *args[16] = { "--now", now_iso, "--scenario", scenario };
	size_t n = 4;
	for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 15; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	return ctest_start(t, pki, "gcp", args);
}

static int start(struct ctest *t, const char *scenario)
{
	return start_with(t, scenario, NULL);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "(null)";
}

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

/* The fact whose event_time is yday + "T" + time_of_day, or NULL. */
static json_t *event_at(json_t *facts, const char *time_of_day)
{
	char want[64];
	snprintf(want, sizeof(want), "%sT%s", yday, time_of_day);
	size_t i;
	json_t *f;
	json_array_foreach(facts, i, f)
	{
		if (strcmp(str(f, "event_time"), want) == 0)
			return f;
	}
	return NULL;
}

static const char *category0(json_t *f)
{
	const char *s = json_string_value(json_array_get(json_object_get(f, "categories"), 0));
	return s ? s : "(none)";
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
	CU_ASSERT_EQUAL(json_array_size(ev), 300);
	CU_ASSERT_EQUAL(res.pages, 4); /* 100, an empty page with a token, 100, 100 */
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(DISTINCT ext_id) FROM evidence WHERE kind = 'audit.event'"), 300);
	CU_ASSERT_EQUAL(count_flagged(ev), 0);
	CU_ASSERT_EQUAL(ctest_count(ev, "provider", json_string("gcp")), 300);
	CU_ASSERT_EQUAL(ctest_count(ev, "account", json_string(PROJECT)), 300);
	CU_ASSERT_EQUAL(ctest_count(ev, "outcome", json_string("success")), 300);
	/* the near-miss is there: firewall rules from 10.128.0.0/9 */
	CU_ASSERT(ctest_count(ev, "name", json_string("v1.compute.firewalls.insert")) > 0);
	CU_ASSERT(ctest_count(ev, "actor_type", json_string("serviceAccount")) > 0);
	CU_ASSERT(ctest_count(ev, "region", json_string("europe-west1-b")) > 0);
	/* oldest entry: index 0 at now - 24 h plus a jitter below half the
	 * spacing of 288 s; the newest before now */
	long long oldest = ctest_scalar(&t, "SELECT min(observed_at) FROM evidence WHERE kind = 'audit.event'");
	CU_ASSERT(oldest >= now - DAY && oldest < now - DAY + 144);
	CU_ASSERT(ctest_scalar(&t, "SELECT max(observed_at) FROM evidence WHERE kind = 'audit.event'") < now);
	/* one token for the run's four requests */
	CU_ASSERT_EQUAL(fake_requests(&t.fake, "/token", 1), 1);
	CU_ASSERT_EQUAL(fake_requests(&t.fake, "/v2/entries:list", 4), 4);
	json_decref(ev);
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
	CU_ASSERT_EQUAL_FATAL(json_array_size(ev), 300);
	CU_ASSERT_EQUAL(res.pages, 4);
	CU_ASSERT_EQUAL(count_category(ev, "logging_tamper"), 2);
	CU_ASSERT_EQUAL(count_category(ev, "privilege_grant"), 1);
	CU_ASSERT_EQUAL(count_category(ev, "world_open_firewall"), 1);
	CU_ASSERT_EQUAL(count_flagged(ev), 4);

	json_t *del = event_at(ev, "04:48:48.934604006Z");
	CU_ASSERT_PTR_NOT_NULL_FATAL(del);
	CU_ASSERT_STRING_EQUAL(category0(del), "logging_tamper");
	CU_ASSERT_STRING_EQUAL(str(del, "name"), "google.logging.v2.ConfigServiceV2.DeleteSink");
	CU_ASSERT_STRING_EQUAL(str(del, "service"), "logging.googleapis.com");
	CU_ASSERT_STRING_EQUAL(str(del, "actor"), "mallory@example.com");
	CU_ASSERT_STRING_EQUAL(str(del, "actor_type"), "user");
	CU_ASSERT_STRING_EQUAL(str(del, "source_ip"), "198.51.100.23");
	CU_ASSERT_STRING_EQUAL(str(del, "account"), PROJECT);
	CU_ASSERT_STRING_EQUAL(str(del, "outcome"), "success");
	CU_ASSERT_STRING_EQUAL(str(del, "resource"), "projects/" PROJECT "/sinks/siem-export");
	CU_ASSERT_STRING_EQUAL(str(del, "event_id"), str(del, "_ext_id"));
	CU_ASSERT(json_is_null(json_object_get(del, "region")));
	time_t t0 = 0;
	CU_ASSERT_EQUAL(util_time_parse(str(del, "event_time"), &t0), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(del, "_observed_at")), t0);

	json_t *upd = event_at(ev, "09:38:21.358487834Z");
	CU_ASSERT_PTR_NOT_NULL_FATAL(upd);
	CU_ASSERT_STRING_EQUAL(category0(upd), "logging_tamper");
	CU_ASSERT_STRING_EQUAL(str(upd, "name"), "google.logging.v2.ConfigServiceV2.UpdateSink");
	json_t *iam = event_at(ev, "14:25:00.776135410Z");
	CU_ASSERT_PTR_NOT_NULL_FATAL(iam);
	CU_ASSERT_STRING_EQUAL(category0(iam), "privilege_grant");
	CU_ASSERT_STRING_EQUAL(str(iam, "name"), "SetIamPolicy");
	CU_ASSERT_STRING_EQUAL(str(iam, "service"), "cloudresourcemanager.googleapis.com");
	CU_ASSERT_STRING_EQUAL(str(iam, "resource"), "projects/" PROJECT);
	json_t *fw = event_at(ev, "19:14:03.709478215Z");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fw);
	CU_ASSERT_STRING_EQUAL(category0(fw), "world_open_firewall");
	CU_ASSERT_STRING_EQUAL(str(fw, "name"), "v1.compute.firewalls.insert");
	CU_ASSERT_STRING_EQUAL(str(fw, "resource"), "projects/" PROJECT "/global/firewalls/allow-ssh-world");
	/* the other firewall inserts (10.128.0.0/9) stay unflagged */
	CU_ASSERT(ctest_count(ev, "name", json_string("v1.compute.firewalls.insert")) > 1);
	json_decref(ev);
	CU_ASSERT_EQUAL(fake_requests(&t.fake, "/token", 1), 1);
	ctest_stop(&t);
}

/* The second run starts 15 minutes before the newest entry: what it finds
 * again is a duplicate. */
static void test_second_run(void)
{
	struct ctest t;
	CU_ASSERT_EQUAL_FATAL(start(&t, "breaching"), 0);
	struct collector_result r1, r2;
	CU_ASSERT_EQUAL_FATAL(ctest_run(&t, source, &r1), 0);
	CU_ASSERT_EQUAL(r1.facts, 300);
	CU_ASSERT_EQUAL_FATAL(ctest_run(&t, source, &r2), 0);
	CU_ASSERT_EQUAL(r2.facts, 0);
	CU_ASSERT(r2.duplicates >= 1 && r2.duplicates < 10);
	json_t *ev = ctest_facts(&t, "audit.event");
	CU_ASSERT_EQUAL(json_array_size(ev), 300);
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
	ctest_stop(&t);
}

static void test_pagination_loop(void)
{
	struct ctest t;
	const char *extra[] = { "--loop", NULL };
	CU_ASSERT_EQUAL_FATAL(start_with(&t, "healthy", extra), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "pagination loop"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "entries.list"));
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

/* The token endpoint expects another service account: the key file's
 * account is refused, and neither the key nor the assertion is shown. */
static void test_bad_credentials(void)
{
	struct ctest t;
	const char *extra[] = { "--sa-email", "someone-else@" PROJECT ".iam.gserviceaccount.com", NULL };
	CU_ASSERT_EQUAL_FATAL(start_with(&t, "healthy", extra), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	fprintf(stderr, "bad credentials: %s\n", res.error);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "invalid_grant"));
	CU_ASSERT_PTR_NULL(strstr(res.error, "PRIVATE KEY"));
	CU_ASSERT_PTR_NULL(strstr(res.error, "eyJ")); /* no JWT */
	CU_ASSERT_EQUAL(fake_requests(&t.fake, "/v2/", -1), 0);
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

/* Google's throttling answer (429 RESOURCE_EXHAUSTED) is retried and the run succeeds. */
static void test_resource_exhausted(void)
{
	struct ctest t;
	CU_ASSERT_EQUAL_FATAL(start(&t, "healthy"), 0);
	CU_ASSERT_EQUAL(fake_faults(&t.fake, pki, "{\"faults\":[{\"type\":\"throttle\",\"count\":2,\"retry_after_seconds\":0}]}"),
			0);
	struct collector_result res;
	CU_ASSERT_EQUAL(ctest_run(&t, source, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.outcome, "success");
	json_t *facts = ctest_facts(&t, "audit.event");
	CU_ASSERT_EQUAL(json_array_size(facts), 300);
	json_decref(facts);
	/* 4 pages, 2 of their requests answered RESOURCE_EXHAUSTED first */
	CU_ASSERT_EQUAL(fake_requests(&t.fake, "/v2/entries:list", 6), 6);
	ctest_stop(&t);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "healthy: 300 entries over 4 pages, none flagged, one token", test_healthy },
		{ "breaching: exact counts per category and values", test_breaching },
		{ "a second run stores nothing twice", test_second_run },
		{ "a truncated page fails the run and stores nothing", test_truncated_page },
		{ "a repeating nextPageToken stops with a loop error", test_pagination_loop },
		{ "a refused service account fails without showing secrets", test_bad_credentials },
		{ "RESOURCE_EXHAUSTED is retried", test_resource_exhausted },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "gcp-audit-log", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
