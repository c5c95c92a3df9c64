/*
 * test_azure-activity-log.c: the azure-activity-log collector against the
 * Azure fake (Entra client credentials, then the Activity Log), through
 * several pages, in the healthy and the breaching scenario, with the exact
 * counts and values of tests/fakes/README.md.  The fake's data clock is set
 * to the last UTC midnight, so that the README's times of day hold and the
 * default 7-day lookback holds the data whatever the date.  Also: one token
 * per run; a second run stores nothing twice; a truncated page, a nextLink
 * to another host, a pagination loop and a wrong client secret fail the
 * run and leave nothing.
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
#define SUB "00000000-1111-2222-3333-444444444444"
#define TENANT "11111111-2222-3333-4444-555555555555"
#define TOKEN_PATH "/" TENANT "/oauth2/v2.0/token"

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

static const char *source = "[source az]\n"
			    "type = azure-activity-log\n"
			    "endpoint = @BASE@\n"
			    "ca_file = @CA@\n"
			    "subscription = " SUB "\n"
			    "tenant = " TENANT "\n"
			    "client_id = aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n"
			    "client_secret_file = @DIR@/azure-secret\n"
			    "token_url = @BASE@" TOKEN_PATH "\n"
			    "retry_base_ms = 10\n";

/* The fake's "now" (README: 2026-11-24T00:00:00Z; here the last midnight)
 * and the date of the day before, when the events happen. */
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
	return ctest_start(t, pki, "azure", args);
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
	CU_ASSERT_EQUAL(res.pages, 3); /* 100 a page through nextLink */
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(DISTINCT ext_id) FROM evidence WHERE kind = 'audit.event'"), 300);
	CU_ASSERT_EQUAL(count_flagged(ev), 0);
	/* 150 operations: a Started and a Succeeded event each */
	CU_ASSERT_EQUAL(ctest_count(ev, "outcome", json_string("success")), 150);
	CU_ASSERT_EQUAL(ctest_count(ev, "outcome", json_string("unknown")), 150);
	CU_ASSERT_EQUAL(ctest_count(ev, "account", json_string(SUB)), 300);
	CU_ASSERT_EQUAL(ctest_count(ev, "provider", json_string("azure")), 300);
	/* the near-misses are there: diagnostic settings written, NSG rules
	 * from 10.0.0.0/16 */
	CU_ASSERT(ctest_count(ev, "name", json_string("Microsoft.Insights/diagnosticSettings/write")) > 0);
	CU_ASSERT(ctest_count(ev, "name", json_string("Microsoft.Network/networkSecurityGroups/securityRules/write")) >
		  0);
	/* one token for the run's three requests */
	CU_ASSERT_EQUAL(fake_requests(&t.fake, TOKEN_PATH, 1), 1);
	CU_ASSERT_EQUAL(fake_requests(&t.fake, "/subscriptions/", 3), 3);
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
	CU_ASSERT_EQUAL(res.pages, 3);
	CU_ASSERT_EQUAL(count_category(ev, "logging_tamper"), 1);
	CU_ASSERT_EQUAL(count_category(ev, "privilege_grant"), 1);
	CU_ASSERT_EQUAL(count_category(ev, "world_open_firewall"), 2);
	CU_ASSERT_EQUAL(count_flagged(ev), 4);
	/* the special operations have Started events too; they do not count */
	CU_ASSERT_EQUAL(ctest_count(ev, "name", json_string("Microsoft.Insights/diagnosticSettings/delete")), 2);
	CU_ASSERT_EQUAL(ctest_count(ev, "name", json_string("Microsoft.Authorization/roleAssignments/write")), 2);

	/* k=0: operation 30, events 60/61 */
	json_t *del = event_at(ev, "04:53:54.5806528Z");
	CU_ASSERT_PTR_NOT_NULL_FATAL(del);
	CU_ASSERT_STRING_EQUAL(category0(del), "logging_tamper");
	CU_ASSERT_STRING_EQUAL(str(del, "name"), "Microsoft.Insights/diagnosticSettings/delete");
	CU_ASSERT_STRING_EQUAL(str(del, "service"), "Microsoft.Insights");
	CU_ASSERT_STRING_EQUAL(str(del, "actor"), "mallory@contoso.example");
	CU_ASSERT_STRING_EQUAL(str(del, "actor_type"), "user");
	CU_ASSERT_STRING_EQUAL(str(del, "source_ip"), "203.0.113.40");
	CU_ASSERT_STRING_EQUAL(str(del, "account"), SUB);
	CU_ASSERT_STRING_EQUAL(str(del, "outcome"), "success");
	CU_ASSERT_STRING_EQUAL(str(del, "resource"),
			       "/subscriptions/" SUB "/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/"
			       "kv-prod/providers/Microsoft.Insights/diagnosticSettings/send-to-siem");
	CU_ASSERT_STRING_EQUAL(str(del, "event_id"), str(del, "_ext_id"));
	time_t t61 = 0;
	CU_ASSERT_EQUAL(util_time_parse(str(del, "event_time"), &t61), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(del, "_observed_at")), t61);
	CU_ASSERT_EQUAL(t61 / DAY * DAY, now - DAY);

	json_t *ra = event_at(ev, "09:41:40.9194104Z");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ra);
	CU_ASSERT_STRING_EQUAL(category0(ra), "privilege_grant");
	CU_ASSERT_STRING_EQUAL(str(ra, "name"), "Microsoft.Authorization/roleAssignments/write");
	json_t *any = event_at(ev, "14:30:50.4143191Z");
	CU_ASSERT_PTR_NOT_NULL_FATAL(any);
	CU_ASSERT_STRING_EQUAL(category0(any), "world_open_firewall");
	CU_ASSERT_PTR_NOT_NULL(strstr(str(any, "resource"), "/securityRules/allow-rdp-any"));
	json_t *world = event_at(ev, "19:18:30.5082141Z");
	CU_ASSERT_PTR_NOT_NULL_FATAL(world);
	CU_ASSERT_STRING_EQUAL(category0(world), "world_open_firewall");
	CU_ASSERT_PTR_NOT_NULL(strstr(str(world, "resource"), "/securityRules/allow-ssh-world"));
	json_decref(ev);
	CU_ASSERT_EQUAL(fake_requests(&t.fake, TOKEN_PATH, 1), 1);
	ctest_stop(&t);
}

/* The second run starts 15 minutes before the newest event: what it finds
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
	CU_ASSERT_EQUAL(count_category(ev, "world_open_firewall"), 2);
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

/* The fake names itself "localhost" in nextLink: another origin than the
 * endpoint 127.0.0.1, so the link is not followed. */
static void test_foreign_next_link(void)
{
	struct ctest t;
	const char *extra[] = { "--advertise-host", "localhost", NULL };
	CU_ASSERT_EQUAL_FATAL(start_with(&t, "healthy", extra), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	fprintf(stderr, "foreign nextLink: %s\n", res.error);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "refusing a nextLink outside https://127.0.0.1:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, ": https://localhost:"));
	CU_ASSERT_EQUAL(fake_requests(&t.fake, "/subscriptions/", 1), 1);
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
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
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

static void test_bad_secret(void)
{
	struct ctest t;
	const char *extra[] = { "--client-secret", "the-right-secret", NULL };
	CU_ASSERT_EQUAL_FATAL(start_with(&t, "healthy", extra), 0);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, source, &res), 0);
	fprintf(stderr, "bad secret: %s\n", res.error);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "invalid_client"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "7000215"));
	CU_ASSERT_PTR_NULL(strstr(res.error, "test-secret-azure"));
	CU_ASSERT_PTR_NULL(strstr(res.error, "the-right-secret"));
	CU_ASSERT_EQUAL(fake_requests(&t.fake, "/subscriptions/", -1), 0);
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "healthy: 300 events over 3 pages, none flagged, one token", test_healthy },
		{ "breaching: exact counts per category and values", test_breaching },
		{ "a second run stores nothing twice", test_second_run },
		{ "a truncated page fails the run and stores nothing", test_truncated_page },
		{ "a nextLink to another host is not followed", test_foreign_next_link },
		{ "a repeating nextLink stops with a loop error", test_pagination_loop },
		{ "a wrong client secret fails without showing it", test_bad_secret },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "azure-activity-log", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
