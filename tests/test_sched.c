/*
 * test_sched.c: cadences with an injected clock: next slots across month and
 * year ends, leap years and DST changes in a non-UTC zone, coalesced
 * catch-up after downtime, and the job queue order.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "sched.h"
#include "testhelp.h"
#include "util.h"

static time_t T(const char *iso)
{
	time_t t = 0;
	CU_ASSERT_EQUAL_FATAL(util_time_parse(iso, &t), 0);
	return t;
}

static void expect_slot(const char *cadence, const char *tz, const char *after, const char *want)
{
	struct sched_cadence c;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(sched_cadence_parse(cadence, &c, err, sizeof(err)), 0);
	time_t got = sched_slot_after(&c, T(after), tz);
	char buf[UTIL_ISO_TIME_LEN];
	util_time_iso(got, buf);
	if (strcmp(buf, want) != 0)
		fprintf(stderr, "'%s' in %s after %s: got %s, want %s\n", cadence, tz, after, buf, want);
	CU_ASSERT_STRING_EQUAL(buf, want);
}

static void test_slots_utc(void)
{
	expect_slot("hourly", "UTC", "2026-11-24T10:15:00Z", "2026-11-24T11:00:00Z");
	expect_slot("daily", "UTC", "2026-11-24T10:15:00Z", "2026-11-25T00:00:00Z");
	expect_slot("daily 02:30", "UTC", "2026-11-24T01:00:00Z", "2026-11-24T02:30:00Z");
	expect_slot("daily 02:30", "UTC", "2026-11-24T02:30:00Z", "2026-11-25T02:30:00Z");
	expect_slot("weekly", "UTC", "2026-11-24T10:00:00Z", "2026-11-30T00:00:00Z"); /* Tue -> Mon */
	expect_slot("weekly fri 17:30", "UTC", "2026-11-27T17:29:00Z", "2026-11-27T17:30:00Z");
	expect_slot("weekly fri 17:30", "UTC", "2026-11-27T17:30:00Z", "2026-12-04T17:30:00Z");
	expect_slot("monthly", "UTC", "2026-11-24T10:00:00Z", "2026-12-01T00:00:00Z");
	/* month and year ends */
	expect_slot("monthly 15 06:00", "UTC", "2026-12-20T00:00:00Z", "2027-01-15T06:00:00Z");
	expect_slot("monthly last", "UTC", "2026-11-24T00:00:00Z", "2026-11-30T00:00:00Z");
	expect_slot("monthly last 23:00", "UTC", "2026-12-31T23:00:00Z", "2027-01-31T23:00:00Z");
	/* leap years: February has 29 days in 2028, 28 in 2027, 28 in 2100 */
	expect_slot("monthly last", "UTC", "2028-02-10T00:00:00Z", "2028-02-29T00:00:00Z");
	expect_slot("monthly last", "UTC", "2027-02-10T00:00:00Z", "2027-02-28T00:00:00Z");
	expect_slot("monthly last", "UTC", "2100-02-01T00:00:00Z", "2100-02-28T00:00:00Z");
	expect_slot("monthly last", "UTC", "2000-02-01T00:00:00Z", "2000-02-29T00:00:00Z");
	expect_slot("quarterly", "UTC", "2026-11-24T00:00:00Z", "2027-01-01T00:00:00Z");
	expect_slot("quarterly 08:00", "UTC", "2026-04-01T08:00:00Z", "2026-07-01T08:00:00Z");
	expect_slot("annually", "UTC", "2026-11-24T00:00:00Z", "2027-01-01T00:00:00Z");
	expect_slot("annually 12-31 23:59", "UTC", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z");
	expect_slot("every 6h", "UTC", "2026-11-24T10:15:00Z", "2026-11-24T16:15:00Z");
}

static void test_slots_oncalendar(void)
{
	expect_slot("Mon..Fri *-*-* 09:00", "UTC", "2026-11-27T10:00:00Z", "2026-11-30T09:00:00Z");
	expect_slot("Mon..Fri *-*-* 09:00", "UTC", "2026-11-24T08:00:00Z", "2026-11-24T09:00:00Z");
	expect_slot("*-*-01 03:30", "UTC", "2026-11-24T00:00:00Z", "2026-12-01T03:30:00Z");
	expect_slot("*-01,04,07,10-01 00:00", "UTC", "2026-11-24T00:00:00Z", "2027-01-01T00:00:00Z");
	expect_slot("Sat *-*-1..7 18:00", "UTC", "2026-11-24T00:00:00Z", "2026-12-05T18:00:00Z");
	expect_slot("*:0/15", "UTC", "2026-11-24T10:07:00Z", "2026-11-24T10:15:00Z");
	expect_slot("*-*-* *:0/15:30", "UTC", "2026-11-24T10:15:30Z", "2026-11-24T10:30:30Z");
	expect_slot("*-02-29 12:00", "UTC", "2026-03-01T00:00:00Z", "2028-02-29T12:00:00Z");
	expect_slot("2027-06-15 08:00", "UTC", "2026-11-24T00:00:00Z", "2027-06-15T08:00:00Z");
	expect_slot("Sun 12:00", "Europe/Berlin", "2026-11-24T00:00:00Z", "2026-11-29T11:00:00Z");
	/* 02:30 does not exist in Berlin on 2026-03-29: one hour later, once */
	expect_slot("*-*-* 02:30", "Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-29T01:30:00Z");
	expect_slot("*-*-* 02:30", "Europe/Berlin", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z");
}

static void test_slots_dst(void)
{
	/* Europe/Berlin: CET (+01) / CEST (+02); 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00. */
	expect_slot("daily 09:00", "Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-29T07:00:00Z");
	expect_slot("daily 09:00", "Europe/Berlin", "2026-03-27T12:00:00Z", "2026-03-28T08:00:00Z");
	expect_slot("daily 09:00", "Europe/Berlin", "2026-10-24T12:00:00Z", "2026-10-25T08:00:00Z");
	/* 02:30 does not exist on 2026-03-29: it runs an hour later, at 03:30 CEST, once. */
	expect_slot("daily 02:30", "Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-29T01:30:00Z");
	expect_slot("daily 02:30", "Europe/Berlin", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z");
	/* hourly across the spring-forward gap: 01:00 CET -> 03:00 CEST is one hour */
	expect_slot("hourly", "Europe/Berlin", "2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z");
	/* hourly across the fall-back hour: every real hour, none skipped */
	expect_slot("hourly", "Europe/Berlin", "2026-10-25T00:10:00Z", "2026-10-25T01:00:00Z");
	expect_slot("hourly", "Europe/Berlin", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z");
	/* local midnight */
	expect_slot("monthly", "Europe/Berlin", "2026-11-24T00:00:00Z", "2026-11-30T23:00:00Z");
	expect_slot("annually", "Europe/Berlin", "2026-06-01T00:00:00Z", "2026-12-31T23:00:00Z");
	/* America/New_York: 2026-11-01 02:00 EDT -> 01:00 EST */
	expect_slot("daily 12:00", "America/New_York", "2026-10-31T20:00:00Z", "2026-11-01T17:00:00Z");
}

/* 02:30 happens twice on 2026-10-25 in Berlin (CEST, then CET): one run. */
static void test_dst_ambiguous_once(void)
{
	struct sched_cadence c;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(sched_cadence_parse("daily 02:30", &c, err, sizeof(err)), 0);
	time_t first = sched_slot_after(&c, T("2026-10-24T12:00:00Z"), "Europe/Berlin");
	CU_ASSERT(first == T("2026-10-25T00:30:00Z") || first == T("2026-10-25T01:30:00Z"));
	/* a run at that slot (or a second later) is next due the following day */
	CU_ASSERT_EQUAL(sched_slot_after(&c, first, "Europe/Berlin"), T("2026-10-26T01:30:00Z"));
	CU_ASSERT_EQUAL(sched_slot_after(&c, first + 1, "Europe/Berlin"), T("2026-10-26T01:30:00Z"));
	/* and so is a run in the repeated hour */
	CU_ASSERT_EQUAL(sched_slot_after(&c, T("2026-10-25T01:30:05Z"), "Europe/Berlin"), T("2026-10-26T01:30:00Z"));
}

static void test_catch_up_once(void)
{
	struct sched_cadence c;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(sched_cadence_parse("daily 02:00", &c, err, sizeof(err)), 0);
	time_t now = T("2026-11-24T10:00:00Z");
	/* Never ran: due at once. */
	CU_ASSERT_EQUAL(sched_next_due(&c, 0, now, "UTC"), now);
	/* Ran three days ago, daemon was down since: due now, once. */
	time_t last = T("2026-11-21T02:00:05Z");
	CU_ASSERT_EQUAL(sched_next_due(&c, last, now, "UTC"), now);
	/* After that catch-up run, the next one is the next slot, not the missed ones. */
	CU_ASSERT_EQUAL(sched_next_due(&c, now, now + 60, "UTC"), T("2026-11-25T02:00:00Z"));
	/* Ran today at its slot: next slot tomorrow. */
	CU_ASSERT_EQUAL(sched_next_due(&c, T("2026-11-24T02:00:00Z"), now, "UTC"), T("2026-11-25T02:00:00Z"));
}

static void test_parse_errors(void)
{
	const char *bad[] = { "", "fortnightly", "daily 25:00", "daily 2:30", "weekly funday", "monthly 31",
			      "monthly 0", "annually 02-30", "annually 13-01", "every", "every 5s", "every soon",
			      "hourly 10:00", "daily 10:00 extra", "weekly monkey", "weekly mo",
			      "Mon..Fri *-*-* 25:00", "*-13-01 00:00", "Funday 10:00", "*-*-* 10:60", "*-*-0 10:00",
			      "1969-01-01 00:00", "*-*-* 10:00 extra", "*-02-30 10:00", "2001-01-01 00:00", NULL };
	for (size_t i = 0; bad[i]; i++) {
		struct sched_cadence c;
		char err[256] = "";
		int r = sched_cadence_parse(bad[i], &c, err, sizeof(err));
		if (r == 0)
			fprintf(stderr, "'%s' parsed\n", bad[i]);
		CU_ASSERT_EQUAL(r, -1);
		CU_ASSERT(err[0] != '\0');
	}
	struct sched_cadence c;
	char err[256];
	CU_ASSERT_EQUAL(sched_cadence_parse("weekly Sunday 06:00", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.kind, SCHED_WEEKLY);
	CU_ASSERT_EQUAL(c.wday, 0);
	CU_ASSERT_EQUAL(c.hour, 6);
	CU_ASSERT_EQUAL(sched_cadence_period(&c), 7 * 86400);
	CU_ASSERT_EQUAL(sched_cadence_parse("yearly 07-01", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.kind, SCHED_ANNUALLY);
	CU_ASSERT_EQUAL(c.month, 7);
}

static void test_queue(void)
{
	struct sched_queue q;
	sched_queue_init(&q);
	size_t job;
	time_t due;
	CU_ASSERT_EQUAL(sched_queue_peek(&q, &job, &due), -1);
	sched_queue_set(&q, 0, 300);
	sched_queue_set(&q, 1, 100);
	sched_queue_set(&q, 2, 200);
	CU_ASSERT_EQUAL(sched_queue_peek(&q, &job, &due), 0);
	CU_ASSERT_EQUAL(job, 1);
	CU_ASSERT_EQUAL(due, 100);
	sched_queue_set(&q, 1, 400); /* moves, not duplicates */
	CU_ASSERT_EQUAL(q.n, 3);
	sched_queue_peek(&q, &job, &due);
	CU_ASSERT_EQUAL(job, 2);
	sched_queue_remove(&q, 2);
	sched_queue_peek(&q, &job, &due);
	CU_ASSERT_EQUAL(job, 0);
	CU_ASSERT_EQUAL(due, 300);
	sched_queue_free(&q);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "slots in UTC across month, year and leap-year ends", test_slots_utc },
		{ "OnCalendar expressions", test_slots_oncalendar },
		{ "slots across DST changes", test_slots_dst },
		{ "a local time that happens twice runs once", test_dst_ambiguous_once },
		{ "missed slots run once", test_catch_up_once },
		{ "bad cadences are refused", test_parse_errors },
		{ "the job queue keeps due order", test_queue },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "sched", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
