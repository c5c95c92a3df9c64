/*
 * test_kpi.c: every built-in KPI driven from fixed evidence, with
 * thresholds at, just below and just above the value it measures, checking
 * the verdict and whether a nonconformity is raised; then the lifecycle of
 * one nonconformity over breach, breach, recovery, the operator's
 * transitions, a recurrence and an overdue action.
 */
#include "autoconfig.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "config.h"
#include "kpi.h"
#include "nc.h"
#include "store.h"
#include "testhelp.h"
#include "util.h"

#define NOW ((time_t)1790000000) /* 2026-09-21T14:13:20Z */
#define HOUR 3600
#define DAY 86400

static int counter;

static struct store *fresh(void)
{
	char name[64];
	snprintf(name, sizeof(name), "kpi-%d.db", ++counter);
	char *path = th_path(th_dir, name);
	struct store *st = NULL;
	char err[256];
	CU_ASSERT_EQUAL(store_open(path, 0, &st, err, sizeof(err)), 0);
	free(path);
	return st;
}

static void iso(time_t t, char *buf)
{
	util_time_iso(t, buf);
}

/* Commits one run of source with the facts (array of [kind, ext_id, fact]). */
static void commit_run(struct store *st, const char *source, time_t at, json_t *facts)
{
	int64_t run = 0;
	CU_ASSERT_EQUAL_FATAL(store_run_begin(st, source, "test", at, &run), 0);
	size_t i;
	json_t *f;
	json_array_foreach(facts, i, f)
	{
		const char *kind = json_string_value(json_array_get(f, 0));
		const char *ext = json_string_value(json_array_get(f, 1));
		json_t *fact = json_array_get(f, 2);
		time_t observed = (time_t)json_integer_value(json_object_get(fact, "_observed"));
		json_object_del(fact, "_observed");
		char *txt = json_dumps(fact, JSON_COMPACT | JSON_SORT_KEYS);
		int dedup = strcmp(kind, "audit.event") == 0;
		CU_ASSERT(store_add_fact(st, run, source, kind, at, observed, ext, dedup, txt, strlen(txt), 0, NULL) >= 0);
		free(txt);
	}
	CU_ASSERT_EQUAL(store_run_commit(st, run, at + 1, NULL), 0);
	json_decref(facts);
}

static void add(json_t *facts, const char *kind, const char *ext, json_t *fact)
{
	json_array_append_new(facts, json_pack("[s, s, o]", kind, ext, fact));
}

/* The fixed evidence every KPI reads. */
static void seed(struct store *st)
{
	char t[UTIL_ISO_TIME_LEN], t2[UTIL_ISO_TIME_LEN];
	/* ten days ago: a critical patch already missing on host h1 */
	json_t *old = json_array();
	add(old, "patch.missing", "h1/KB1", json_pack("{s:s, s:s, s:s}", "host_id", "h1", "kb", "KB1", "severity", "Critical"));
	commit_run(st, "ssm", NOW - 10 * DAY, old);

	/* now: 20 hosts, 19 compliant; 2 last scanned 8 days ago; KB1 still missing */
	json_t *now = json_array();
	for (int i = 1; i <= 20; i++) {
		char id[8];
		snprintf(id, sizeof(id), "h%d", i);
		iso(NOW - (i > 18 ? 8 * DAY : DAY), t);
		add(now, "patch.host", id,
		    json_pack("{s:s, s:b, s:b, s:s}", "host_id", id, "compliant", i != 20, "scanned", 1, "last_scan", t));
	}
	add(now, "patch.missing", "h1/KB1", json_pack("{s:s, s:s, s:s}", "host_id", "h1", "kb", "KB1", "severity", "Critical"));
	add(now, "patch.missing", "h2/KB2", json_pack("{s:s, s:s, s:s}", "host_id", "h2", "kb", "KB2", "severity", "Moderate"));
	commit_run(st, "ssm", NOW, now);

	/* backups in source b1: worst resource 30 h since success, 3 of 4 finished jobs succeeded */
	json_t *b1 = json_array();
	struct {
		const char *id, *res, *state;
		int created_h, done_h;
	} jobs[] = { { "j1", "r1", "COMPLETED", 6, 5 },	 { "j2", "r2", "COMPLETED", 21, 20 },
		     { "j3", "r3", "COMPLETED", 31, 30 }, { "j4", "r3", "FAILED", 3, 2 },
		     { "j5", "r1", "RUNNING", 1, -1 } };
	for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		iso(NOW - jobs[i].created_h * HOUR, t);
		iso(NOW - jobs[i].done_h * HOUR, t2);
		add(b1, "backup.job", jobs[i].id,
		    json_pack("{s:s, s:s, s:s, s:s, s:s?}", "job_id", jobs[i].id, "resource_arn", jobs[i].res, "state",
			      jobs[i].state, "created_at", t, "completed_at", jobs[i].done_h >= 0 ? t2 : NULL));
	}
	commit_run(st, "b1", NOW, b1);
	/* source b2: one resource whose only job failed */
	json_t *b2 = json_array();
	iso(NOW - 3 * HOUR, t);
	add(b2, "backup.job", "j9", json_pack("{s:s, s:s, s:s, s:s, s:n}", "job_id", "j9", "resource_arn", "r4", "state", "FAILED", "created_at", t, "completed_at"));
	commit_run(st, "b2", NOW, b2);

	/* training: 18 passed (2 of them 40 days after enrolment), 1 past due, 1 in progress */
	json_t *tr = json_array();
	for (int i = 1; i <= 20; i++) {
		char id[8];
		snprintf(id, sizeof(id), "e%d", i);
		const char *status = i <= 18 ? "Passed" : i == 19 ? "Past Due" : "In Progress";
		iso(NOW - 60 * DAY, t);
		iso(NOW - 60 * DAY + (i <= 2 ? 40 : 10) * DAY, t2);
		add(tr, "training.enrollment", id,
		    json_pack("{s:s, s:s, s:s, s:s?}", "enrollment_id", id, "status", status, "enrolled_at", t,
			      "completed_at", i <= 18 ? t2 : NULL));
	}
	commit_run(st, "kb4", NOW, tr);

	/* audit events: 2 tamper (and one outside the 7-day window), 1 no-MFA login,
	 * 3 root, 1 grant, 1 world-open rule, 2 ordinary */
	json_t *au = json_array();
	struct {
		const char *id, *cat;
		int age_h;
	} ev[] = { { "a1", "logging_tamper", 5 },     { "a2", "logging_tamper", 50 },
		   { "a3", "logging_tamper", 8 * 24 }, { "a4", "console_login_no_mfa", 3 },
		   { "a5", "root_activity", 1 },	 { "a6", "root_activity", 2 },
		   { "a7", "root_activity", 3 },	 { "a8", "privilege_grant", 4 },
		   { "a9", "world_open_firewall", 5 }, { "a10", NULL, 1 },
		   { "a11", NULL, 2 } };
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		json_t *cats = json_array();
		if (ev[i].cat)
			json_array_append_new(cats, json_string(ev[i].cat));
		add(au, "audit.event", ev[i].id,
		    json_pack("{s:s, s:o, s:I}", "event_id", ev[i].id, "categories", cats, "_observed",
			      (json_int_t)(NOW - ev[i].age_h * HOUR)));
	}
	commit_run(st, "ct", NOW, au);
}

struct expect {
	const char *kpi;
	double value;
	const char *scope;
};

static const struct expect expected[] = {
	{ "patch.compliant_pct", 95, NULL },
	{ "patch.critical_age_days", 10, NULL },
	{ "patch.unscanned_hosts", 2, NULL },
	{ "backup.hours_since_success", 30, "b1" },
	{ "backup.success_rate", 75, "b1" },
	{ "backup.unprotected_resources", 1, "b2" },
	{ "training.completion_pct", 90, NULL },
	{ "training.overdue", 1, NULL },
	{ "training.on_time_pct", 100.0 * 16 / 18, NULL },
	{ "audit.logging_tamper", 2, NULL },
	{ "audit.console_login_no_mfa", 1, NULL },
	{ "audit.root_activity", 3, NULL },
	{ "audit.privilege_grants", 1, NULL },
	{ "audit.world_open_firewall", 1, NULL },
};

/* A config with [kpi NAME] threshold (and scope), the other KPIs disabled. */
static struct config *config_for(const char *kpi, double threshold, const char *scope)
{
	struct util_buf b;
	util_buf_init(&b, 1 << 16);
	for (const struct kpi_def *d = kpi_defs(); d->name; d++) {
		if (strcmp(d->name, kpi) == 0)
			util_buf_printf(&b, "[kpi %s]\nthreshold = %.17g\n%s%s%s\n", d->name, threshold,
					scope ? "scope = " : "", scope ? scope : "", scope ? "\n" : "");
		else
			util_buf_printf(&b, "[kpi %s]\nenabled = no\n", d->name);
	}
	char *text = util_buf_take(&b, NULL);
	char *path = th_write(th_dir, "kpi.conf", text, 0644);
	free(text);
	struct config_errors errs = { 0 };
	struct config_hooks hooks = { .kpi_known = kpi_known };
	struct config *cfg = config_load(path, NULL, &hooks, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	config_errors_free(&errs);
	free(path);
	return cfg;
}

struct latest {
	int found;
	double value;
	char verdict[16];
};

static int take_latest(void *arg, const struct store_val *c, size_t n)
{
	struct latest *l = arg;
	if (n < 2)
		return 0;
	l->found = 1;
	l->value = c[0].d;
	snprintf(l->verdict, sizeof(l->verdict), "%s", c[1].s ? c[1].s : "");
	return 0;
}

static long long count_ncs(struct store *st, const char *kpi)
{
	long long n = 0;
	struct store_val a[] = { STORE_V_TEXT(kpi) };
	struct latest l = { 0 };
	store_query(st, "SELECT count(*), 'x' FROM ncs WHERE kpi = ?", a, 1, take_latest, &l, NULL);
	n = (long long)l.value;
	return n;
}

static void check(const struct expect *e, double threshold, const char *want)
{
	struct store *st = fresh();
	seed(st);
	struct config *cfg = config_for(e->kpi, threshold, e->scope);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	int breached = -1;
	CU_ASSERT_EQUAL(kpi_evaluate(st, cfg, NOW, &breached), 0);
	struct latest l = { 0 };
	struct store_val a[] = { STORE_V_TEXT(e->kpi) };
	store_query(st, "SELECT value, verdict FROM kpi_values WHERE kpi = ? ORDER BY id DESC LIMIT 1", a, 1, take_latest,
		    &l, NULL);
	if (!l.found || fabs(l.value - e->value) > 1e-6 || strcmp(l.verdict, want) != 0)
		fprintf(stderr, "%s threshold %.10g: got %s %.10g, want %s %.10g\n", e->kpi, threshold, l.verdict,
			l.value, want, e->value);
	CU_ASSERT(l.found);
	CU_ASSERT_DOUBLE_EQUAL(l.value, e->value, 1e-6);
	CU_ASSERT_STRING_EQUAL(l.verdict, want);
	int is_breach = strcmp(want, "breached") == 0;
	CU_ASSERT_EQUAL(breached, is_breach);
	CU_ASSERT_EQUAL(count_ncs(st, e->kpi), is_breach ? 1 : 0);
	config_free(cfg);
	store_close(st);
}

static void test_thresholds(void)
{
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		const struct expect *e = &expected[i];
		const struct kpi_def *d = kpi_def_find(e->kpi);
		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		int at_least = strcmp(d->op, ">=") == 0;
		check(e, e->value, "met");					     /* at the threshold */
		check(e, e->value + 0.01, at_least ? "breached" : "met");	     /* value just under it */
		check(e, e->value - 0.01, at_least ? "met" : "breached");	     /* value just over it */
	}
}

/* Runs of 20 hosts of which `good` are compliant, evaluated with defaults. */
static void patch_run(struct store *st, struct config *cfg, time_t at, int good)
{
	json_t *facts = json_array();
	char t[UTIL_ISO_TIME_LEN];
	iso(at - HOUR, t);
	for (int i = 1; i <= 20; i++) {
		char id[8];
		snprintf(id, sizeof(id), "h%d", i);
		add(facts, "patch.host", id,
		    json_pack("{s:s, s:b, s:b, s:s}", "host_id", id, "compliant", i <= good, "scanned", 1, "last_scan", t));
	}
	commit_run(st, "ssm", at, facts);
	int breached;
	CU_ASSERT_EQUAL(kpi_evaluate(st, cfg, at + 2, &breached), 0);
}

static json_t *the_nc(struct store *st)
{
	json_t *list = NULL;
	CU_ASSERT_EQUAL_FATAL(nc_list(st, NULL, &list), 0);
	CU_ASSERT_EQUAL_FATAL(json_array_size(list), 1);
	json_t *nc = NULL;
	CU_ASSERT_EQUAL(nc_get(st, json_integer_value(json_object_get(json_array_get(list, 0), "id")), &nc), 0);
	json_decref(list);
	return nc;
}

static const char *hist(json_t *nc, size_t i, const char *field)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(nc, "history"), i), field));
}

/* Appends each outbox row's type and payload to a JSON array. */
static int take_outbox(void *arg, const struct store_val *c, size_t n)
{
	(void)n;
	json_t *row = json_pack("{s:s, s:s, s:I}", "type", c[0].s, "payload", c[1].s, "nc_id", (json_int_t)c[2].i);
	json_array_append_new(arg, row);
	return 0;
}

static void test_lifecycle(void)
{
	struct store *st = fresh();
	struct config *cfg = config_for("patch.compliant_pct", 95, NULL);
	char err[256];

	patch_run(st, cfg, NOW, 17);	       /* 85 %: breach, raised */
	patch_run(st, cfg, NOW + DAY, 16);     /* 80 %: still breached, same NC */
	patch_run(st, cfg, NOW + 2 * DAY, 20); /* 100 %: recovered */
	json_t *nc = the_nc(st);
	int64_t id = json_integer_value(json_object_get(nc, "id"));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(nc, "state")), "open");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(nc, "condition")), "recovered");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(nc, "severity")), "minor");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(nc, "controls"), 0)), "8.8");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(nc, "history")), 2);
	CU_ASSERT_STRING_EQUAL(hist(nc, 0, "event"), "raised");
	CU_ASSERT_STRING_EQUAL(hist(nc, 0, "note"), "raised: observed 85, threshold 95");
	CU_ASSERT_STRING_EQUAL(hist(nc, 1, "event"), "recovered");
	CU_ASSERT_STRING_EQUAL(hist(nc, 1, "note"), "recovered, awaiting verification: observed 100, threshold 95");
	/* the evidence behind it: the runs read and the non-compliant hosts */
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(nc, "evidence"), "items")), 4);
	json_decref(nc);

	/* the operator's corrective-action lifecycle */
	CU_ASSERT_EQUAL(nc_transition(st, id, NC_RESOLVE, "alice", "done", NULL, NOW, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is open; it can be resolved only when action-planned"));
	CU_ASSERT_EQUAL(nc_transition(st, id, NC_ACK, "alice", NULL, NULL, NOW + 3 * DAY, err, sizeof(err)), 0);
	struct nc_plan plan = { "hosts outside the patch baseline", "add them to the baseline", "bob", NOW + 10 * DAY };
	CU_ASSERT_EQUAL(nc_transition(st, id, NC_PLAN, "alice", NULL, &plan, NOW + 3 * DAY, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nc_transition(st, id, NC_CLOSE, "carol", "checked", NULL, NOW, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(nc_transition(st, id, NC_RESOLVE, "bob", NULL, NULL, NOW, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(nc_transition(st, id, NC_RESOLVE, "bob", "hosts added", NULL, NOW + 4 * DAY, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nc_transition(st, id, NC_CLOSE, "carol", "two clean scans", NULL, NOW + 5 * DAY, err, sizeof(err)),
			0);
	nc = the_nc(st);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(nc, "state")), "closed");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(nc, "corrective_action"), "owner")), "bob");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(nc, "history")), 6);
	CU_ASSERT_STRING_EQUAL(hist(nc, 3, "event"), "planned");
	CU_ASSERT_STRING_EQUAL(hist(nc, 5, "actor"), "carol");
	CU_ASSERT_STRING_EQUAL(hist(nc, 5, "to"), "closed");
	json_decref(nc);

	/* a recurrence reopens the same NC */
	patch_run(st, cfg, NOW + 6 * DAY, 18);
	nc = the_nc(st);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(nc, "id")), id);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(nc, "state")), "open");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(nc, "condition")), "active");
	CU_ASSERT_STRING_EQUAL(hist(nc, 6, "event"), "reopened");
	json_decref(nc);

	/* an action past its due date escalates, once */
	plan.due = NOW + 7 * DAY;
	CU_ASSERT_EQUAL(nc_transition(st, id, NC_PLAN, "alice", NULL, &plan, NOW + 6 * DAY, err, sizeof(err)), 0);
	patch_run(st, cfg, NOW + 8 * DAY, 18);
	patch_run(st, cfg, NOW + 9 * DAY, 18);
	nc = the_nc(st);
	CU_ASSERT(json_is_string(json_object_get(nc, "escalated_at")));
	size_t escalations = 0, i;
	json_t *h;
	json_array_foreach(json_object_get(nc, "history"), i, h)
	if (strcmp(json_string_value(json_object_get(h, "event")), "escalated") == 0)
		escalations++;
	CU_ASSERT_EQUAL(escalations, 1);
	json_decref(nc);

	/* every history entry wrote one webhook event to the outbox, in its
	 * transaction, with the NC as it stood after the change */
	json_t *out = json_array();
	CU_ASSERT_EQUAL(store_query(st, "SELECT type, payload, nc_id FROM outbox ORDER BY id", NULL, 0, take_outbox, out,
				    NULL),
			0);
	nc = the_nc(st);
	size_t nhist = json_array_size(json_object_get(nc, "history"));
	json_decref(nc);
	CU_ASSERT_EQUAL(nhist, 9);
	CU_ASSERT_EQUAL(json_array_size(out), nhist);
	static const char *const types[] = { "nonconformity.raised",  "nonconformity.recovered", "nonconformity.updated",
					     "nonconformity.updated", "nonconformity.updated",   "nonconformity.closed",
					     "nonconformity.updated", "nonconformity.updated",   "nonconformity.escalated" };
	for (i = 0; i < sizeof(types) / sizeof(types[0]) && i < json_array_size(out); i++) {
		json_t *row = json_array_get(out, i);
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(row, "type")), types[i]);
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(row, "nc_id")), id);
	}
	json_t *first = json_loads(json_string_value(json_object_get(json_array_get(out, 0), "payload")), 0, NULL);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(first, "type")), "nonconformity.raised");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(first, "timestamp")), "2026-09-21T14:13:22Z");
	json_t *data = json_object_get(first, "data");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(data, "nc_id")), id);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "event")), "raised");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "actor")), "ismsd");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "note")), "raised: observed 85, threshold 95");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "state")), "open");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "severity")), "minor");
	json_decref(first);
	json_t *closed = json_loads(json_string_value(json_object_get(json_array_get(out, 5), "payload")), 0, NULL);
	data = json_object_get(closed, "data");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "state")), "closed");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "actor")), "carol");
	json_decref(closed);
	json_decref(out);

	/* the history is append-only */
	int changes = 0;
	CU_ASSERT_NOT_EQUAL(store_query(st, "UPDATE nc_history SET note = 'x'", NULL, 0, NULL, NULL, &changes), 0);
	CU_ASSERT_NOT_EQUAL(store_query(st, "DELETE FROM nc_history", NULL, 0, NULL, NULL, &changes), 0);
	config_free(cfg);
	store_close(st);
}

/* Once a later snapshot of a source has no missing critical patch, none
 * counts any more, even though an older run held some. */
static void test_snapshot_replaces_older(void)
{
	struct store *st = fresh();
	struct config *cfg = config_for("patch.critical_age_days", 15, NULL);
	char t[UTIL_ISO_TIME_LEN];
	iso(NOW - 40 * DAY, t);
	json_t *old = json_array();
	add(old, "patch.host", "h1", json_pack("{s:s, s:b, s:b, s:s}", "host_id", "h1", "compliant", 0, "scanned", 1, "last_scan", t));
	add(old, "patch.missing", "h1/KB1", json_pack("{s:s, s:s, s:s}", "host_id", "h1", "kb", "KB1", "severity", "Critical"));
	commit_run(st, "ssm", NOW - 40 * DAY, old);
	int breached = 0;
	CU_ASSERT_EQUAL(kpi_evaluate(st, cfg, NOW - 10 * DAY, &breached), 0);
	CU_ASSERT_EQUAL(breached, 1); /* 30 days old */
	json_t *now = json_array();
	iso(NOW - HOUR, t);
	add(now, "patch.host", "h1", json_pack("{s:s, s:b, s:b, s:s}", "host_id", "h1", "compliant", 1, "scanned", 1, "last_scan", t));
	commit_run(st, "ssm", NOW, now);
	CU_ASSERT_EQUAL(kpi_evaluate(st, cfg, NOW + 60, &breached), 0);
	CU_ASSERT_EQUAL(breached, 0);
	struct latest l = { 0 };
	struct store_val a[] = { STORE_V_TEXT("patch.critical_age_days") };
	store_query(st, "SELECT value, verdict FROM kpi_values WHERE kpi = ? ORDER BY id DESC LIMIT 1", a, 1, take_latest,
		    &l, NULL);
	CU_ASSERT_DOUBLE_EQUAL(l.value, 0, 1e-9);
	CU_ASSERT_STRING_EQUAL(l.verdict, "met");
	config_free(cfg);
	store_close(st);
}

static void test_unknown_kpi_config(void)
{
	char *path = th_write(th_dir, "bad.conf", "[kpi patch.nonsense]\nthreshold = 5\n[kpi training.overdue]\nthreshold = many\n", 0644);
	struct config_errors errs = { 0 };
	struct config_hooks hooks = { .kpi_known = kpi_known };
	struct config *cfg = config_load(path, NULL, &hooks, &errs);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(errs.n, 2);
	char want[512];
	snprintf(want, sizeof(want), "%s:1: [kpi patch.nonsense]: unknown KPI", path);
	CU_ASSERT(errs.n > 0 && strncmp(errs.msgs[0], want, strlen(want)) == 0);
	CU_ASSERT(errs.n > 1 && strstr(errs.msgs[1], ":4: [kpi training.overdue] key 'threshold': 'many' is not a number"));
	config_errors_free(&errs);
	free(path);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "each KPI at, just under and just over its threshold", test_thresholds },
		{ "breach, breach, recovery: one NC and its lifecycle", test_lifecycle },
		{ "a newer snapshot replaces an older one", test_snapshot_replaces_older },
		{ "[kpi] sections are checked", test_unknown_kpi_config },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "kpi", th_dir_setup, th_dir_teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
