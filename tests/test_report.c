/*
 * test_report.c: the report model, scheduled reports and audit packs, on a
 * store with a known quarter: daily patch runs through 2026-Q3 with a
 * 17-day outage in August and one failed run, a KPI breach that raised an
 * NC which went through its whole lifecycle, and a weekly activity.  Every
 * number the model gives is computed here by hand from that story.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "chain.h"
#include "config.h"
#include "kpi.h"
#include "nc.h"
#include "pack.h"
#include "report.h"
#include "store.h"
#include "testhelp.h"
#include "util.h"

#define DAY 86400
#define Q3_START 1782864000 /* 2026-07-01T00:00:00Z */
#define Q3_END 1790812800   /* 2026-10-01T00:00:00Z */
#define AUG_1 1785542400    /* 2026-08-01T00:00:00Z */

static struct config *cfg;
static struct chain_key *key;
static char *db;

static time_t day_at(time_t day0, int d, int hour)
{
	return day0 + (time_t)d * DAY + hour * 3600;
}

/* One patch run at `at` with `good` of 20 hosts compliant, then the KPIs.
 * (Suite setup: no CUnit assertions here.) */
static int patch_run(struct store *st, time_t at, int good)
{
	int64_t run = 0;
	if (store_run_begin(st, "ssm", "aws-ssm-patch", at, &run) < 0)
		return -1;
	char t[UTIL_ISO_TIME_LEN];
	util_time_iso(at - 3600, t);
	for (int i = 1; i <= 20; i++) {
		char id[8], fact[256];
		snprintf(id, sizeof(id), "h%d", i);
		snprintf(fact, sizeof(fact), "{\"compliant\":%s,\"host_id\":\"%s\",\"last_scan\":\"%s\",\"scanned\":true}",
			 i <= good ? "true" : "false", id, t);
		if (store_add_fact(st, run, "ssm", "patch.host", at, at - 3600, id, 0, fact, strlen(fact), 0, NULL) < 0)
			return -1;
	}
	int breached = 0;
	if (store_run_commit(st, run, at + 1, NULL) < 0 || kpi_evaluate(st, cfg, at + 2, &breached) < 0)
		return -1;
	return 0;
}

static int setup(void)
{
	if (th_dir_setup() != 0)
		return -1;
	char conf[4096];
	snprintf(conf, sizeof(conf),
		 "[daemon]\nstate_dir = %s/state\n\n[report]\norganisation = Example <Ltd>\n\n"
		 "[source ssm]\ntype = aws-ssm-patch\nschedule = daily 02:00\n\n"
		 "[activity patch-review]\nschedule = weekly mon 10:00\nsources = ssm\ncontrols = 8.8\n",
		 th_dir);
	char *path = th_write(th_dir, "ismsd.conf", conf, 0644);
	struct config_errors errs = { 0 };
	struct config_hooks hooks = { .kpi_known = kpi_known };
	cfg = config_load(path, NULL, &hooks, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	config_errors_free(&errs);
	free(path);
	if (cfg == NULL)
		return -1;

	char err[512];
	char *kp = th_path(th_dir, CHAIN_KEY_FILE);
	db = th_path(th_dir, "evidence.db");
	struct store *st = NULL;
	int r = chain_key_load(kp, 1, &key, err, sizeof(err)) < 0 || store_open(db, 0, &st, err, sizeof(err)) < 0 ||
		chain_attach(st, key, NULL, err, sizeof(err)) < 0;
	free(kp);
	if (r) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	/* Daily runs at 02:00 through Q3, none from Aug 4 to Aug 20 (17 days),
	 * 17 of 20 hosts patched from Aug 1 to Aug 3. */
	for (int d = 0; d < 92; d++) {
		time_t at = day_at(Q3_START, d, 2);
		if (at >= day_at(AUG_1, 3, 0) && at < day_at(AUG_1, 20, 0))
			continue;
		if (patch_run(st, at, at >= AUG_1 && at < day_at(AUG_1, 3, 0) ? 17 : 20) < 0) {
			fprintf(stderr, "patch run: %s\n", store_errmsg(st));
			store_close(st);
			return -1;
		}
	}
	/* One failed run in the outage. */
	int64_t run = 0;
	store_run_begin(st, "ssm", "aws-ssm-patch", day_at(AUG_1, 11, 2), &run);
	store_run_abort(st, run, day_at(AUG_1, 11, 2) + 30, "failed", "the API answered 503");
	/* The NC's corrective-action lifecycle. */
	json_t *list = NULL;
	nc_list(st, NULL, &list);
	int64_t id = json_integer_value(json_object_get(json_array_get(list, 0), "id"));
	json_decref(list);
	struct nc_plan plan = { "scan agent stopped", "restart agent, add alerting", "IT operations",
				day_at(AUG_1, 35, 0) };
	r = nc_transition(st, id, NC_ACK, "alice", "seen", NULL, day_at(AUG_1, 21, 9), err, sizeof(err)) ||
	    nc_transition(st, id, NC_PLAN, "alice", NULL, &plan, day_at(AUG_1, 22, 9), err, sizeof(err)) ||
	    nc_transition(st, id, NC_RESOLVE, "bob", "agent restarted", NULL, day_at(AUG_1, 24, 9), err, sizeof(err)) ||
	    nc_transition(st, id, NC_CLOSE, "carol", "two clean weeks", NULL, day_at(AUG_1, 27, 9), err, sizeof(err));
	if (r)
		fprintf(stderr, "%s\n", err);
	store_close(st);
	return r ? -1 : 0;
}

static int teardown(void)
{
	config_free(cfg);
	chain_key_free(key);
	free(db);
	return th_dir_teardown();
}

static struct store *open_ro(void)
{
	char err[512];
	struct store *st = NULL;
	CU_ASSERT_EQUAL_FATAL(store_open(db, STORE_READONLY, &st, err, sizeof(err)), 0);
	return st;
}

static json_t *model_of(struct store *st, const char *label, const char *kind, time_t now)
{
	char err[512];
	struct report_period p;
	CU_ASSERT_EQUAL_FATAL(report_period_parse(label, &p, err, sizeof(err)), 0);
	struct report_opts o = { kind, chain_key_id(key), now };
	json_t *m = NULL;
	CU_ASSERT_EQUAL_FATAL(report_build(st, cfg, NULL, &p, &o, &m, err, sizeof(err)), 0);
	return m;
}

static json_int_t geti(const json_t *o, const char *path)
{
	json_t *v = (json_t *)o;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	return json_integer_value(v);
}

static const char *gets(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void test_periods(void)
{
	char err[256];
	struct report_period p;
	CU_ASSERT_EQUAL(report_period_parse("2026-Q3", &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.start, Q3_START);
	CU_ASSERT_EQUAL(p.end, Q3_END);
	CU_ASSERT_EQUAL(report_period_parse("2026-12", &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.start, 1796083200); /* 2026-12-01 */
	CU_ASSERT_EQUAL(p.end, 1798761600);   /* 2027-01-01 */
	CU_ASSERT_EQUAL(report_period_parse("2026", &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.end - p.start, 365 * DAY);
	const char *bad[] = { "2026-Q5", "2026-13", "2026-1", "26", "2026-Q3x", "", "Q3-2026" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(report_period_parse(bad[i], &p, err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "2026-Q3"));
	}
	CU_ASSERT_EQUAL(report_period_before("month", Q3_END + 3600, &p), 0);
	CU_ASSERT_STRING_EQUAL(p.label, "2026-09");
	CU_ASSERT_EQUAL(report_period_before("quarter", Q3_END + 3600, &p), 0);
	CU_ASSERT_STRING_EQUAL(p.label, "2026-Q3");
	CU_ASSERT_EQUAL(report_period_before("quarter", Q3_START - 1, &p), 0);
	CU_ASSERT_STRING_EQUAL(p.label, "2026-Q1"); /* Q2 has not ended yet */
	CU_ASSERT_EQUAL(report_period_before("year", Q3_END, &p), 0);
	CU_ASSERT_STRING_EQUAL(p.label, "2025");
	CU_ASSERT_EQUAL(report_period_before("month", 1798761600 + 10, &p), 0); /* 2027-01-01 */
	CU_ASSERT_STRING_EQUAL(p.label, "2026-12");
}

static void test_model(void)
{
	struct store *st = open_ro();
	json_t *m = model_of(st, "2026-Q3", "period", Q3_END + 30 * DAY);
	json_t *rep = json_object_get(m, "report");
	CU_ASSERT_STRING_EQUAL(gets(rep, "title"), "ISMS evidence report 2026-Q3");
	CU_ASSERT_STRING_EQUAL(gets(rep, "organisation"), "Example <Ltd>");
	CU_ASSERT_STRING_EQUAL(gets(json_object_get(rep, "period"), "start"), "2026-07-01T00:00:00Z");
	CU_ASSERT_STRING_EQUAL(gets(json_object_get(rep, "period"), "end"), "2026-10-01T00:00:00Z");
	CU_ASSERT_EQUAL(geti(rep, "chain.runs_in_period"), 75);
	CU_ASSERT_EQUAL(geti(rep, "chain.first_seq"), 1);
	CU_ASSERT_EQUAL(geti(rep, "chain.last_seq"), 75);

	json_t *sum = json_object_get(m, "summary");
	CU_ASSERT_EQUAL(geti(sum, "runs.success"), 75);
	CU_ASSERT_EQUAL(geti(sum, "runs.failed"), 1);
	CU_ASSERT_EQUAL(geti(sum, "ncs_raised"), 1);
	CU_ASSERT_EQUAL(geti(sum, "ncs_closed"), 1);
	CU_ASSERT_EQUAL(geti(sum, "ncs_open.total"), 0);

	/* The patch KPI: 75 evaluations, the last one met. */
	json_t *kpi = NULL;
	size_t i;
	json_t *k;
	json_array_foreach(json_object_get(m, "kpis"), i, k)
	if (strcmp(gets(k, "name"), "patch.compliant_pct") == 0)
		kpi = k;
	CU_ASSERT_PTR_NOT_NULL_FATAL(kpi);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(kpi, "series")), 75);
	CU_ASSERT_STRING_EQUAL(gets(json_object_get(kpi, "latest"), "verdict"), "met");
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(kpi, "threshold")), 95.0, 1e-9);
	json_t *aug1 = json_array_get(json_object_get(kpi, "series"), 31);
	CU_ASSERT_STRING_EQUAL(gets(aug1, "at"), "2026-08-01T02:00:02Z");
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(aug1, "value")), 85.0, 1e-9);
	CU_ASSERT_STRING_EQUAL(gets(aug1, "verdict"), "breached");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(kpi, "controls"), 0)), "8.8");

	/* The NC as at the end of Q3: closed, with its whole history. */
	json_t *nc = json_array_get(json_object_get(m, "nonconformities"), 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(m, "nonconformities")), 1);
	CU_ASSERT_STRING_EQUAL(gets(nc, "state"), "closed");
	CU_ASSERT_STRING_EQUAL(gets(nc, "closed_at"), "2026-08-28T09:00:00Z");
	CU_ASSERT_STRING_EQUAL(gets(nc, "detected_at"), "2026-08-01T02:00:02Z");
	CU_ASSERT_STRING_EQUAL(gets(nc, "action"), "restart agent, add alerting");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(nc, "history")), 6); /* raised recovered ack plan resolve close */

	/* Collector uptime: 75 of 92 days, the longest gap Aug 3 to Aug 21. */
	json_t *col = json_array_get(json_object_get(m, "collectors"), 0);
	CU_ASSERT_STRING_EQUAL(gets(col, "source"), "ssm");
	CU_ASSERT_EQUAL(geti(col, "runs"), 76);
	CU_ASSERT_EQUAL(geti(col, "success"), 75);
	CU_ASSERT_EQUAL(geti(col, "failed"), 1);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(col, "uptime")), 75.0 / 92.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(col, "longest_gap_hours")), 18 * 24.0, 1e-9);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(col, "days")), 92);
	json_t *aug12 = json_array_get(json_object_get(col, "days"), 31 + 11);
	CU_ASSERT_STRING_EQUAL(gets(aug12, "date"), "2026-08-12");
	CU_ASSERT_EQUAL(geti(aug12, "success"), 0);
	CU_ASSERT_EQUAL(geti(aug12, "failed"), 1);

	/* The weekly review: 13 Mondays, the ones of Aug 10 and 17 missed. */
	json_t *act = json_array_get(json_object_get(m, "calendar"), 0);
	CU_ASSERT_STRING_EQUAL(gets(act, "name"), "patch-review");
	CU_ASSERT_EQUAL(geti(act, "planned"), 13);
	CU_ASSERT_EQUAL(geti(act, "done"), 11);
	CU_ASSERT_EQUAL(geti(act, "missed"), 2);
	CU_ASSERT_EQUAL(geti(sum, "activities.missed"), 2);

	/* The SoA: all 93, 8.8 evidenced by the 1500 patch facts. */
	CU_ASSERT_EQUAL(json_array_size(json_object_get(m, "soa")), 93);
	json_array_foreach(json_object_get(m, "soa"), i, k)
	if (strcmp(gets(k, "id"), "8.8") == 0) {
		CU_ASSERT_EQUAL(geti(k, "evidence_count"), 1500);
		CU_ASSERT_STRING_EQUAL(gets(k, "status"), "evidenced");
	}

	/* The evidence index: each run with its manifest hash. */
	json_t *ev = json_array_get(json_object_get(m, "evidence"), 0);
	CU_ASSERT_EQUAL(geti(ev, "seq"), 1);
	CU_ASSERT_EQUAL(geti(ev, "facts"), 20);
	struct chain_manifest man;
	CU_ASSERT_EQUAL_FATAL(chain_manifest_get(st, geti(ev, "run"), &man), 0);
	CU_ASSERT_STRING_EQUAL(gets(ev, "manifest_sha256"), man.sha256);
	chain_manifest_clear(&man);
	CU_ASSERT_TRUE(json_is_null(json_object_get(m, "management_review")));

	/* Reproducible: another generation time changes generated_at only. */
	json_t *m2 = model_of(st, "2026-Q3", "period", Q3_END + 40 * DAY);
	CU_ASSERT_STRING_NOT_EQUAL(gets(json_object_get(m2, "report"), "generated_at"), gets(rep, "generated_at"));
	json_object_set(json_object_get(m2, "report"), "generated_at", json_object_get(rep, "generated_at"));
	CU_ASSERT_TRUE(json_equal(m, m2));
	json_decref(m2);

	/* Q4 is after the NC closed: it is not in the register. */
	m2 = model_of(st, "2026-Q4", "period", Q3_END + 40 * DAY);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(m2, "nonconformities")), 0);
	CU_ASSERT_EQUAL(geti(json_object_get(m2, "summary"), "runs.success"), 0);
	json_decref(m2);
	json_decref(m);
	store_close(st);
}

static void test_review(void)
{
	struct store *st = open_ro();
	json_t *m = model_of(st, "2026-Q3", "management-review", Q3_END + DAY);
	json_t *mr = json_object_get(m, "management_review");
	CU_ASSERT_TRUE_FATAL(json_is_object(mr));
	CU_ASSERT_EQUAL(geti(mr, "performance.nonconformities.raised"), 1);
	CU_ASSERT_EQUAL(geti(mr, "performance.nonconformities.closed"), 1);
	CU_ASSERT_EQUAL(geti(mr, "performance.nonconformities.open_end"), 0);
	json_t *changes = json_object_get(mr, "changes");
	CU_ASSERT_EQUAL(json_array_size(changes), 1);
	CU_ASSERT_STRING_EQUAL(gets(json_array_get(changes, 0), "what"), "evidence source ssm started collecting");
	/* Improvement opportunities: the missed reviews and the collector's uptime. */
	json_t *imp = json_object_get(mr, "improvement_opportunities");
	int missed = 0, uptime = 0;
	size_t i;
	json_t *t;
	json_array_foreach(imp, i, t)
	{
		missed |= strcmp(json_string_value(t), "activity patch-review missed 2 of 13 planned slots") == 0;
		uptime |= strcmp(json_string_value(t), "collector ssm collected on 82% of the period's days (goal 95%)") == 0;
	}
	CU_ASSERT_TRUE(missed);
	CU_ASSERT_TRUE(uptime);
	json_t *mon = json_array_get(json_object_get(json_object_get(mr, "performance"), "monitoring"), 0);
	CU_ASSERT_PTR_NOT_NULL(mon);
	json_decref(m);
	store_close(st);
}

static int count_rows(void *arg, const struct store_val *c, size_t n)
{
	(void)c;
	(void)n;
	(*(int *)arg)++;
	return 0;
}

static void test_scheduled(void)
{
	char err[512];
	struct store *st = NULL;
	CU_ASSERT_EQUAL_FATAL(store_open(db, 0, &st, err, sizeof(err)), 0);
	time_t now = Q3_END + 6 * 3600;
	char *state = th_path(th_dir, "state");
	CU_ASSERT_EQUAL(mkdir(state, 0700), 0); /* the daemon makes it at start */
	free(state);
	/* 2026-07, -08 and -09 and 2026-Q3 (the store began on July 1, so not
	 * Q2 or 2025): July and August were "missed" and are written too */
	CU_ASSERT_EQUAL(report_scheduled_pending(st, now), 2); /* one per kind that has any due */
	int made = -1;
	CU_ASSERT_EQUAL(report_run_scheduled(st, cfg, NULL, chain_key_id(key), now, &made, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(made, 4);
	char dir[4096], path[4200];
	CU_ASSERT_EQUAL(report_scheduled_dir(cfg, dir, sizeof(dir)), 0);
	const char *names[] = { "2026-07-kpi-monthly.html", "2026-08-kpi-monthly.json", "2026-09-kpi-monthly.html",
				"2026-09-kpi-monthly.json", "2026-Q3-management-review.html",
				"2026-Q3-management-review.json" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		struct stat sb;
		CU_ASSERT_EQUAL(stat(path, &sb), 0);
		CU_ASSERT(sb.st_size > 1000);
	}
	snprintf(path, sizeof(path), "%s/2026-Q3-management-review.json", dir);
	json_t *m = json_load_file(path, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(gets(json_object_get(m, "report"), "kind"), "management-review");
	CU_ASSERT_TRUE(json_is_object(json_object_get(m, "management_review")));
	json_decref(m);
	/* Each one has its report.generated event. */
	int events = 0;
	struct store_val t = STORE_V_TEXT("report.generated");
	CU_ASSERT_EQUAL(store_query(st, "SELECT payload FROM outbox WHERE type = ?", &t, 1, count_rows, &events, NULL), 0);
	CU_ASSERT_EQUAL(events, 4);
	/* Done once: nothing more is due. */
	CU_ASSERT_EQUAL(report_scheduled_pending(st, now + 3600), 0);
	CU_ASSERT_EQUAL(report_run_scheduled(st, cfg, NULL, chain_key_id(key), now + 3600, &made, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(made, 0);
	store_close(st);
}

static void test_pack(void)
{
	char err[512];
	struct store *st = open_ro();
	json_t *m = model_of(st, "2026-Q3", "period", Q3_END + DAY);
	char *dir = th_path(th_dir, "pack-q3");
	char *tar = th_path(th_dir, "pack-q3.tar");
	size_t files = 0;
	struct pack_opts popts = { "Example", NULL, NULL };
	CU_ASSERT_EQUAL_FATAL(pack_export(st, m, key, &popts, dir, &files, err, sizeof(err)), 0);
	/* 75 manifests, 75 fact files, chain, key, pruned list, 3 reports + the CSV files */
	CU_ASSERT(files > 75 * 2 + 3 + 3);
	CU_ASSERT_EQUAL(pack_export(st, m, key, &popts, dir, &files, err, sizeof(err)), -EEXIST);
	CU_ASSERT_EQUAL_FATAL(pack_export(st, m, key, &popts, tar, &files, err, sizeof(err)), 0);
	json_t *res = NULL;
	CU_ASSERT_EQUAL_FATAL(pack_verify(dir, key, NULL, &res, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(json_is_true(json_object_get(res, "ok")));
	CU_ASSERT_EQUAL(geti(res, "manifests"), 75);
	CU_ASSERT_EQUAL(geti(res, "facts"), 1500);
	json_decref(res);
	CU_ASSERT_EQUAL_FATAL(pack_verify(tar, key, NULL, &res, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(json_is_true(json_object_get(res, "ok")));
	json_decref(res);

	/* One changed file is named. */
	char *f = th_path(dir, "data/facts/run-40.jsonl");
	char *text = th_read(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	/* (the payload is a JSON string inside the line: its quotes are escaped) */
	char *p = strstr(text, "compliant\\\":true");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memcpy(p + strlen("compliant\\\":"), "fals", 4); /* true -> fals: same length */
	FILE *w = fopen(f, "w");
	fputs(text, w);
	fclose(w);
	CU_ASSERT_EQUAL(pack_verify(dir, NULL, NULL, &res, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(json_is_true(json_object_get(res, "ok")));
	const char *first = json_string_value(json_array_get(json_object_get(res, "problems"), 0));
	CU_ASSERT_PTR_NOT_NULL(strstr(first, "data/facts/run-40.jsonl: changed"));
	json_decref(res);

	/* A run's facts removed, with their line in manifest-sha256.txt: the
	 * chain still names the run, so the pack fails. */
	char *dir2 = th_path(th_dir, "pack-q3b");
	CU_ASSERT_EQUAL_FATAL(pack_export(st, m, key, &popts, dir2, &files, err, sizeof(err)), 0);
	char *gone = th_path(dir2, "data/facts/run-41.jsonl");
	CU_ASSERT_EQUAL(unlink(gone), 0);
	char *man = th_path(dir2, "manifest-sha256.txt");
	char *mtext = th_read(man);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mtext);
	char *line = strstr(mtext, "  data/facts/run-41.jsonl\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	line -= 64;
	memmove(line, line + 64 + strlen("  data/facts/run-41.jsonl\n"), strlen(line + 64 + strlen("  data/facts/run-41.jsonl\n")) + 1);
	w = fopen(man, "w");
	fputs(mtext, w);
	fclose(w);
	CU_ASSERT_EQUAL(pack_verify(dir2, NULL, NULL, &res, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(json_is_true(json_object_get(res, "ok")));
	int named = 0;
	size_t i;
	json_t *pr;
	json_array_foreach(json_object_get(res, "problems"), i, pr)
	named |= strstr(json_string_value(pr), "data/facts/run-41.jsonl: missing (run 41 is in the chain") != NULL;
	CU_ASSERT_TRUE(named);
	json_decref(res);
	free(mtext);
	free(man);
	free(gone);
	free(dir2);

	/* An empty tar file is not a pack. */
	char *evil = th_write(th_dir, "evil.tar", "", 0644);
	CU_ASSERT_EQUAL(pack_verify(evil, NULL, NULL, &res, err, sizeof(err)), -EBADMSG);
	free(evil);
	free(text);
	free(f);
	free(dir);
	free(tar);
	json_decref(m);
	store_close(st);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "periods", test_periods },
		{ "the model of a known quarter", test_model },
		{ "the management review input", test_review },
		{ "scheduled reports", test_scheduled },
		{ "audit packs", test_pack },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "report", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
