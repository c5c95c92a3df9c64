/*
 * test_calendar.c: evidence freshness and the maintenance calendar with an
 * injected clock: a source whose evidence goes stale raises an evidence-gap
 * nonconformity against its controls and recovers when it collects again;
 * an overdue manual activity raises one and an attestation clears it; an
 * automated activity follows its sources.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "calendar.h"
#include "collector.h"
#include "config.h"
#include "kpi.h"
#include "nc.h"
#include "store.h"
#include "testhelp.h"
#include "util.h"

#define T0 ((time_t)1790000000) /* 2026-09-21T14:13:20Z, a Monday */
#define HOUR 3600
#define DAY 86400

static struct config *load(const char *text)
{
	char *path = th_write(th_dir, "cal.conf", text, 0644);
	struct config_errors errs = { 0 };
	struct config_hooks hooks = { .source_keys = collector_type_keys, .kpi_known = kpi_known };
	struct config *cfg = config_load(path, NULL, &hooks, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	config_errors_free(&errs);
	free(path);
	return cfg;
}

static struct store *fresh(const char *name)
{
	char *path = th_path(th_dir, name);
	struct store *st = NULL;
	char err[256];
	CU_ASSERT_EQUAL(store_open(path, 0, &st, err, sizeof(err)), 0);
	free(path);
	return st;
}

static void run(struct store *st, const char *source, time_t at, int ok)
{
	int64_t id = 0;
	CU_ASSERT_EQUAL_FATAL(store_run_begin(st, source, "aws-ssm-patch", at, &id), 0);
	if (ok) {
		CU_ASSERT(store_add_fact(st, id, source, "patch.host", at, at, "h1", 0, "{}", 2, 0, NULL) >= 0);
		CU_ASSERT_EQUAL(store_run_commit(st, id, at + 5, NULL), 0);
	} else {
		CU_ASSERT_EQUAL(store_run_abort(st, id, at + 5, "failed", "HTTP 503"), 0);
	}
}

static json_t *ncs(struct store *st)
{
	json_t *l = NULL;
	CU_ASSERT_EQUAL(nc_list(st, NULL, &l), 0);
	return l;
}

static void test_evidence_gap(void)
{
	struct config *cfg = load("[source ssm]\ntype = aws-ssm-patch\nendpoint = https://ssm.example\n"
				  "region = us-east-1\nschedule = daily 02:00\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	struct store *st = fresh("gap.db");
	time_t next = 0;
	/* nothing ever ran: nothing to say */
	CU_ASSERT_EQUAL(calendar_evaluate(st, cfg, T0, &next), 0);
	json_t *l = ncs(st);
	CU_ASSERT_EQUAL(json_array_size(l), 0);
	json_decref(l);

	/* a success at 02:00; due again the next day at 02:00, grace 6 h */
	time_t ok = T0 - 12 * HOUR - 13 * 60 - 20; /* 2026-09-21T02:00:00Z */
	run(st, "ssm", ok, 1);
	CU_ASSERT_EQUAL(calendar_evaluate(st, cfg, T0, &next), 0);
	CU_ASSERT_EQUAL(next, ok + DAY + 6 * HOUR);
	l = ncs(st);
	CU_ASSERT_EQUAL(json_array_size(l), 0);
	json_decref(l);

	/* a day and a half later, with only failures since: a gap */
	run(st, "ssm", ok + DAY, 0);
	CU_ASSERT_EQUAL(calendar_evaluate(st, cfg, ok + DAY + 7 * HOUR, &next), 0);
	l = ncs(st);
	CU_ASSERT_EQUAL_FATAL(json_array_size(l), 1);
	json_t *nc = json_array_get(l, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(nc, "kind")), "evidence-gap");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(nc, "key")), "gap:ssm");
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(nc, "title")), "since 2026-09-21T02:00:00Z"));
	/* the controls of the evidence it collects (patch.host: 8.8, 8.19) */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(nc, "controls"), 0)), "8.8");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(nc, "controls"), 1)), "8.19");
	json_decref(l);

	/* it collects again: recovered, awaiting verification */
	run(st, "ssm", ok + DAY + 8 * HOUR, 1);
	CU_ASSERT_EQUAL(calendar_evaluate(st, cfg, ok + DAY + 8 * HOUR + 60, &next), 0);
	l = ncs(st);
	CU_ASSERT_EQUAL_FATAL(json_array_size(l), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(l, 0), "condition")), "recovered");
	json_decref(l);
	store_close(st);
	config_free(cfg);
}

static void test_never_succeeded(void)
{
	struct config *cfg = load("[source fleet]\ntype = aws-ssm-patch\nendpoint = https://x.example\n"
				  "region = eu-west-1\nschedule = every 6h\ncontrols = 8.8, 5.9\n");
	struct store *st = fresh("never.db");
	run(st, "fleet", T0, 0);
	time_t next;
	CU_ASSERT_EQUAL(calendar_evaluate(st, cfg, T0 + 30 * 60, &next), 0);
	json_t *l = ncs(st);
	CU_ASSERT_EQUAL(json_array_size(l), 0); /* within the hour of grace */
	json_decref(l);
	CU_ASSERT_EQUAL(calendar_evaluate(st, cfg, T0 + 2 * HOUR, &next), 0);
	l = ncs(st);
	CU_ASSERT_EQUAL_FATAL(json_array_size(l), 1);
	json_t *nc = json_array_get(l, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(nc, "title")), "never collected evidence"));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(nc, "controls"), 1)), "5.9");
	json_decref(l);
	store_close(st);
	config_free(cfg);
}

static void test_manual_activity(void)
{
	struct config *cfg = load("[source ssm]\ntype = aws-ssm-patch\nendpoint = https://ssm.example\nregion = us-east-1\n"
				  "[activity management-review]\nschedule = annually 03-01\nowner = CISO\n"
				  "controls = 5.1, 5.4\ngrace = 14d\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	struct store *st = fresh("activity.db");
	/* ismsd has collected since 2025-06-01; the review was due 2026-03-01 */
	run(st, "ssm", 1748736000, 1);
	run(st, "ssm", T0 - HOUR, 1);
	time_t next;
	CU_ASSERT_EQUAL(calendar_evaluate(st, cfg, T0, &next), 0);
	json_t *l = NULL;
	CU_ASSERT_EQUAL(nc_list(st, NULL, &l), 0);
	json_t *nc = NULL;
	size_t i;
	json_t *e;
	json_array_foreach(l, i, e)
	if (strcmp(json_string_value(json_object_get(e, "kind")), "activity-overdue") == 0)
		nc = e;
	CU_ASSERT_PTR_NOT_NULL_FATAL(nc);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(nc, "key")), "activity:management-review");
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(nc, "title")), "due 2026-03-01T00:00:00Z"));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(nc, "owner")), "CISO");
	int64_t id = json_integer_value(json_object_get(nc, "id"));
	json_decref(l);

	/* the minutes of the review are attested: stored with their hash, the NC recovers */
	char *minutes = th_write(th_dir, "review-2026.pdf", "%PDF-1.4 management review minutes\n", 0644);
	char err[256];
	int64_t ev = 0;
	CU_ASSERT_EQUAL(calendar_attest(st, cfg, "management-review", minutes, "annual review held 2026-09-20", "ciso",
					T0 + 60, &ev, err, sizeof(err)),
			0);
	CU_ASSERT(ev > 0);
	json_t *item = NULL;
	CU_ASSERT_EQUAL_FATAL(store_get_evidence(st, ev, &item), 0);
	json_t *f = json_object_get(item, "facts");
	char want[65];
	util_sha256_hex("%PDF-1.4 management review minutes\n", 35, want);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f, "sha256")), want);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f, "file")), "review-2026.pdf");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f, "attested_by")), "ciso");
	json_decref(item);
	json_t *one = NULL;
	CU_ASSERT_EQUAL(nc_get(st, id, &one), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(one, "condition")), "recovered");
	json_decref(one);

	json_t *cal = NULL;
	CU_ASSERT_EQUAL(calendar_list(st, cfg, T0 + 120, &cal), 0);
	json_t *a = json_array_get(cal, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "kind")), "manual");
	CU_ASSERT(json_is_false(json_object_get(a, "overdue")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "next_due")), "2027-03-01T00:00:00Z");
	json_decref(cal);

	/* an unknown activity, or an unreadable file, is a clear error */
	CU_ASSERT_EQUAL(calendar_attest(st, cfg, "nonesuch", minutes, "x", "ciso", T0, &ev, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no [activity nonesuch]"));
	CU_ASSERT_EQUAL(calendar_attest(st, cfg, "management-review", "/nonexistent/file", "x", "ciso", T0, &ev, err,
					sizeof(err)),
			-1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot read /nonexistent/file"));
	free(minutes);
	store_close(st);
	config_free(cfg);
}

static void test_automated_activity(void)
{
	struct config *cfg = load("[source ssm]\ntype = aws-ssm-patch\nendpoint = https://ssm.example\nregion = us-east-1\n"
				  "schedule = every 12h\n"
				  "[activity patch-review]\nschedule = weekly mon 09:00\nsources = ssm\ngrace = 1d\n");
	struct store *st = fresh("auto.db");
	run(st, "ssm", T0 - 20 * DAY, 1);
	time_t next;
	CU_ASSERT_EQUAL(calendar_evaluate(st, cfg, T0, &next), 0);
	json_t *cal = NULL;
	CU_ASSERT_EQUAL(calendar_list(st, cfg, T0, &cal), 0);
	json_t *a = json_array_get(cal, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "kind")), "sources");
	CU_ASSERT(json_is_true(json_object_get(a, "overdue")));
	json_decref(cal);
	/* an automated activity is done by its sources, not by an attestation */
	char *f = th_write(th_dir, "x.txt", "x", 0644);
	char err[256];
	int64_t ev = 0;
	CU_ASSERT_EQUAL(calendar_attest(st, cfg, "patch-review", f, "done", "bob", T0, &ev, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "activity patch-review is automated"));
	free(f);
	run(st, "ssm", T0, 1);
	CU_ASSERT_EQUAL(calendar_list(st, cfg, T0 + 60, &cal), 0);
	a = json_array_get(cal, 0);
	CU_ASSERT(json_is_false(json_object_get(a, "overdue")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "next_due")), "2026-09-28T09:00:00Z");
	json_decref(cal);
	store_close(st);
	config_free(cfg);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "a stale source raises an evidence gap, which recovers", test_evidence_gap },
		{ "a source that never succeeded", test_never_succeeded },
		{ "an overdue manual activity, cleared by an attestation", test_manual_activity },
		{ "an automated activity follows its sources", test_automated_activity },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "calendar", th_dir_setup, th_dir_teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
