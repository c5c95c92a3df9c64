/*
 * kpi.c: the built-in KPIs (patch, backup, training, audit), their
 * evaluation from the store, the KPI time series, and the hand-over of
 * each verdict to the nonconformity module.
 */
#include "autoconfig.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi.h"
#include "log.h"
#include "nc.h"
#include "store.h"
#include "util.h"

#define DAY 86400u
#define MAX_ITEMS 500

static const struct kpi_def defs[] = {
	{ "patch.compliant_pct", "Hosts with no missing critical or security patches", "patch.host", "%", ">=", 95, 80,
	  "minor", 0, "8.8,8.19", "IT operations" },
	{ "patch.critical_age_days", "Age of the oldest missing critical patch", "patch.host", "days", "<=", 15, 30,
	  "minor", 0, "8.8", "IT operations" },
	{ "patch.unscanned_hosts", "Hosts not scanned for patches within the window", "patch.host", "count", "<=", 0,
	  NAN, "minor", 7 * DAY, "8.8,5.9", "IT operations" },
	{ "backup.hours_since_success", "Hours since the last successful backup (worst resource)", "backup.job",
	  "hours", "<=", 26, 72, "minor", 30 * DAY, "8.13,5.30", "IT operations" },
	{ "backup.success_rate", "Backup job success rate over the window", "backup.job", "%", ">=", 98, 90, "minor",
	  30 * DAY, "8.13,8.14", "IT operations" },
	{ "backup.unprotected_resources", "Resources with no successful backup in the window", "backup.job", "count",
	  "<=", 0, NAN, "major", 30 * DAY, "8.13,5.30", "IT operations" },
	{ "training.completion_pct", "Completion of assigned security awareness training", "training.enrollment", "%",
	  ">=", 95, 80, "minor", 0, "6.3", "HR" },
	{ "training.overdue", "Overdue training enrollments", "training.enrollment", "count", "<=", 0, NAN, "minor", 0,
	  "6.3", "HR" },
	{ "training.on_time_pct", "Training completed within the window of its assignment", "training.enrollment", "%",
	  ">=", 90, NAN, "minor", 30 * DAY, "6.3", "HR" },
	{ "audit.logging_tamper", "Audit logging stopped, deleted or changed", "audit.event", "count", "<=", 0, NAN,
	  "major", 7 * DAY, "8.15,8.16", "Security operations" },
	{ "audit.console_login_no_mfa", "Console sign-ins without MFA", "audit.event", "count", "<=", 0, NAN, "major",
	  7 * DAY, "8.5,5.17", "Security operations" },
	{ "audit.root_activity", "Root or owner account activity", "audit.event", "count", "<=", 0, NAN, "major",
	  7 * DAY, "8.2", "Security operations" },
	{ "audit.privilege_grants", "Privilege grants", "audit.event", "count", "<=", 0, NAN, "minor", 7 * DAY,
	  "8.2,5.15", "Security operations" },
	{ "audit.world_open_firewall", "Firewall or security-group rules opened to the internet", "audit.event",
	  "count", "<=", 0, NAN, "major", 7 * DAY, "8.20,8.9,8.32", "Security operations" },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, NULL, NULL },
};

const struct kpi_def *kpi_defs(void)
{
	return defs;
}

const struct kpi_def *kpi_def_find(const char *name)
{
	for (const struct kpi_def *d = defs; d->name; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

int kpi_known(const char *name)
{
	return kpi_def_find(name) != NULL;
}

/* ---- one computation ------------------------------------------------------------ */

struct kpi_value {
	int have;
	double value;
	json_t *runs;  /* the runs whose facts were read */
	json_t *items; /* the facts that count against the KPI (at most MAX_ITEMS) */
};

struct kpi_ctx {
	struct store *st;
	const char *scope; /* NULL: every source */
	time_t now;
	uint64_t window;
	struct kpi_value *v;
};

static int row_runs(void *arg, const struct store_val *c, size_t n)
{
	struct kpi_value *v = arg;
	if (n > 0 && c[0].type == STORE_INT)
		json_array_append_new(v->runs, json_integer(c[0].i));
	return 0;
}

static int row_items(void *arg, const struct store_val *c, size_t n)
{
	struct kpi_value *v = arg;
	if (n > 0 && c[0].type == STORE_INT && json_array_size(v->items) < MAX_ITEMS)
		json_array_append_new(v->items, json_integer(c[0].i));
	return 0;
}

struct two {
	int have;
	double a, b;
};

static int row_two(void *arg, const struct store_val *c, size_t n)
{
	struct two *t = arg;
	t->have = 1;
	t->a = n > 0 ? c[0].d : 0;
	t->b = n > 1 ? c[1].d : 0;
	return 0;
}

/* The latest successful run of each source (in scope) that collects facts
 * of a kind, whether or not that run found any: a source whose newest
 * snapshot holds no missing patch has none missing now. */
#define LATEST(kind)                                                                               \
	"WITH latest AS (SELECT max(id) AS run FROM runs WHERE outcome = 'success'"              \
	" AND source IN (SELECT DISTINCT source FROM run_kinds WHERE kind = '" kind "')"        \
	" AND (?1 IS NULL OR source = ?1) GROUP BY source) "

static int latest_runs(struct kpi_ctx *x, const char *kind_sql)
{
	struct store_val a[] = { STORE_V_TEXT(x->scope) };
	return store_query(x->st, kind_sql, a, 1, row_runs, x->v, NULL);
}

/* ratio = 100 * b / a over the latest runs; items are the failing facts */
static int ratio(struct kpi_ctx *x, const char *runs_sql, const char *count_sql, const char *items_sql,
		 const struct store_val *extra, size_t n_extra)
{
	int r = latest_runs(x, runs_sql);
	struct store_val a[4] = { STORE_V_TEXT(x->scope) };
	for (size_t i = 0; i < n_extra && i < 3; i++)
		a[i + 1] = extra[i];
	struct two t = { 0 };
	if (r == 0)
		r = store_query(x->st, count_sql, a, 1 + n_extra, row_two, &t, NULL);
	if (r == 0 && t.a > 0) {
		x->v->have = 1;
		x->v->value = 100.0 * t.b / t.a;
		r = store_query(x->st, items_sql, a, 1 + n_extra, row_items, x->v, NULL);
	}
	return r;
}

struct counter {
	long n;
	struct kpi_value *v;
};

static int row_count(void *arg, const struct store_val *c, size_t n)
{
	struct counter *k = arg;
	k->n++;
	return row_items(k->v, c, n);
}

/* count over the latest runs; items are the counted facts */
static int count_latest(struct kpi_ctx *x, const char *runs_sql, const char *items_sql, const struct store_val *extra,
			size_t n_extra)
{
	int r = latest_runs(x, runs_sql);
	if (r < 0 || json_array_size(x->v->runs) == 0)
		return r;
	struct store_val a[4] = { STORE_V_TEXT(x->scope) };
	for (size_t i = 0; i < n_extra && i < 3; i++)
		a[i + 1] = extra[i];
	struct counter k = { 0, x->v };
	r = store_query(x->st, items_sql, a, 1 + n_extra, row_count, &k, NULL);
	x->v->have = 1;
	x->v->value = (double)k.n;
	return r;
}

static int patch_compliant(struct kpi_ctx *x)
{
	return ratio(x, LATEST("patch.host") "SELECT run FROM latest",
		     LATEST("patch.host") "SELECT count(*), total(json_extract(payload, '$.compliant') = 1)"
					  " FROM evidence WHERE run_id IN (SELECT run FROM latest) AND kind = 'patch.host'",
		     LATEST("patch.host") "SELECT id FROM evidence WHERE run_id IN (SELECT run FROM latest)"
					  " AND kind = 'patch.host' AND coalesce(json_extract(payload, '$.compliant'), 0) != 1"
					  " ORDER BY id",
		     NULL, 0);
}

struct oldest {
	double first;
	int any;
	struct kpi_value *v;
};

static int row_oldest(void *arg, const struct store_val *c, size_t n)
{
	struct oldest *o = arg;
	if (n < 2 || c[1].type == STORE_NULL)
		return 0;
	if (!o->any || c[1].d < o->first)
		o->first = c[1].d;
	o->any = 1;
	if (json_array_size(o->v->items) < MAX_ITEMS)
		json_array_append_new(o->v->items, json_integer(c[0].i));
	return 0;
}

/* Age of the oldest critical patch missing now, measured from the first
 * run that saw it missing. */
static int patch_critical_age(struct kpi_ctx *x)
{
	int r = latest_runs(x, LATEST("patch.host") "SELECT run FROM latest");
	if (r < 0 || json_array_size(x->v->runs) == 0)
		return r;
	x->v->have = 1;
	struct store_val a[] = { STORE_V_TEXT(x->scope) };
	struct oldest o = { 0, 0, x->v };
	r = store_query(x->st,
			"WITH latest AS (SELECT max(id) AS run FROM runs WHERE outcome = 'success' AND source IN"
			" (SELECT DISTINCT source FROM run_kinds WHERE kind = 'patch.host')"
			" AND (?1 IS NULL OR source = ?1) GROUP BY source),"
			" cur AS (SELECT id, source, kind, ext_id FROM evidence WHERE run_id IN (SELECT run FROM latest)"
			" AND kind IN ('patch.missing', 'patch.vuln')"
			" AND lower(json_extract(payload, '$.severity')) = 'critical')"
			" SELECT cur.id, (SELECT min(f.collected_at) FROM evidence f JOIN runs r ON r.id = f.run_id"
			" AND r.outcome = 'success' WHERE f.source = cur.source AND f.kind = cur.kind"
			" AND f.ext_id = cur.ext_id) FROM cur",
			a, 1, row_oldest, &o, NULL);
	x->v->value = o.any ? ((double)x->now - o.first) / 86400.0 : 0;
	if (x->v->value < 0)
		x->v->value = 0;
	return r;
}

static int patch_unscanned(struct kpi_ctx *x)
{
	char cutoff[UTIL_ISO_TIME_LEN];
	util_time_iso(x->now - (time_t)x->window, cutoff);
	struct store_val extra[] = { STORE_V_TEXT(cutoff) };
	return count_latest(x, LATEST("patch.host") "SELECT run FROM latest",
			    LATEST("patch.host") "SELECT id FROM evidence WHERE run_id IN (SELECT run FROM latest)"
						 " AND kind = 'patch.host' AND (coalesce(json_extract(payload, '$.scanned'), 1) = 0"
						 " OR json_extract(payload, '$.last_scan') IS NULL"
						 " OR json_extract(payload, '$.last_scan') < ?2) ORDER BY id",
			    extra, 1);
}

#define BACKUP_JOBS                                                                                  \
	LATEST("backup.job")                                                                         \
	", jobs AS (SELECT id, json_extract(payload, '$.resource_arn') AS res,"                      \
	" upper(json_extract(payload, '$.state')) AS state,"                                         \
	" CAST(strftime('%s', json_extract(payload, '$.completed_at')) AS INTEGER) AS done,"        \
	" CAST(strftime('%s', json_extract(payload, '$.created_at')) AS INTEGER) AS created"        \
	" FROM evidence WHERE run_id IN (SELECT run FROM latest) AND kind = 'backup.job') "

struct worst {
	double hours;
	int any;
	struct kpi_value *v;
	double threshold;
};

static int row_worst(void *arg, const struct store_val *c, size_t n)
{
	struct worst *w = arg;
	if (n < 3)
		return 0;
	double h = c[1].d;
	w->any = 1;
	if (h > w->hours)
		w->hours = h;
	if (h > w->threshold && json_array_size(w->v->items) < MAX_ITEMS && c[2].type == STORE_INT)
		json_array_append_new(w->v->items, json_integer(c[2].i));
	return 0;
}

static int backup_hours(struct kpi_ctx *x, double threshold)
{
	int r = latest_runs(x, LATEST("backup.job") "SELECT run FROM latest");
	if (r < 0)
		return r;
	/* per resource: hours since its last COMPLETED job (a resource with none
	 * counts from the start of the window); the id is its newest job */
	struct store_val a[] = { STORE_V_TEXT(x->scope), STORE_V_INT(x->now), STORE_V_INT((int64_t)x->window) };
	struct worst w = { 0, 0, x->v, threshold };
	r = store_query(x->st,
			BACKUP_JOBS "SELECT res, (?2 - coalesce(max(CASE WHEN state = 'COMPLETED' THEN done END), ?2 - ?3))"
				    " / 3600.0, max(id) FROM jobs GROUP BY res",
			a, 3, row_worst, &w, NULL);
	if (r == 0 && w.any) {
		x->v->have = 1;
		x->v->value = w.hours;
	}
	return r;
}

static int backup_success_rate(struct kpi_ctx *x)
{
	struct store_val extra[] = { STORE_V_INT(x->now - (time_t)x->window) };
	return ratio(x, LATEST("backup.job") "SELECT run FROM latest",
		     BACKUP_JOBS "SELECT count(*), total(state = 'COMPLETED') FROM jobs WHERE created >= ?2"
				 " AND state IN ('COMPLETED', 'FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL')",
		     BACKUP_JOBS "SELECT id FROM jobs WHERE created >= ?2"
				 " AND state IN ('FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL') ORDER BY id",
		     extra, 1);
}

static int backup_unprotected(struct kpi_ctx *x)
{
	struct store_val extra[] = { STORE_V_INT(x->now - (time_t)x->window) };
	return count_latest(x, LATEST("backup.job") "SELECT run FROM latest",
			    BACKUP_JOBS "SELECT max(id) FROM jobs GROUP BY res"
					" HAVING total(state = 'COMPLETED' AND created >= ?2) = 0",
			    extra, 1);
}

#define ENROLLMENTS                                                                                  \
	LATEST("training.enrollment")                                                                \
	", en AS (SELECT id, lower(json_extract(payload, '$.status')) AS status,"                    \
	" CAST(strftime('%s', json_extract(payload, '$.enrolled_at')) AS INTEGER) AS enrolled,"     \
	" CAST(strftime('%s', json_extract(payload, '$.completed_at')) AS INTEGER) AS completed"    \
	" FROM evidence WHERE run_id IN (SELECT run FROM latest) AND kind = 'training.enrollment') "

static int training_completion(struct kpi_ctx *x)
{
	return ratio(x, LATEST("training.enrollment") "SELECT run FROM latest",
		     ENROLLMENTS "SELECT count(*), total(status IN ('passed', 'completed')) FROM en",
		     ENROLLMENTS "SELECT id FROM en WHERE status NOT IN ('passed', 'completed') ORDER BY id", NULL, 0);
}

static int training_overdue(struct kpi_ctx *x)
{
	return count_latest(x, LATEST("training.enrollment") "SELECT run FROM latest",
			    ENROLLMENTS "SELECT id FROM en WHERE status = 'past due' ORDER BY id", NULL, 0);
}

static int training_on_time(struct kpi_ctx *x)
{
	struct store_val extra[] = { STORE_V_INT((int64_t)x->window) };
	return ratio(x, LATEST("training.enrollment") "SELECT run FROM latest",
		     ENROLLMENTS "SELECT count(*), total(completed - enrolled <= ?2) FROM en"
				 " WHERE status IN ('passed', 'completed') AND completed IS NOT NULL",
		     ENROLLMENTS "SELECT id FROM en WHERE status IN ('passed', 'completed') AND completed IS NOT NULL"
				 " AND completed - enrolled > ?2 ORDER BY id",
		     extra, 1);
}

/* The audit events that have a category, in the words of the partial
 * index evidence_audit_flagged (schema 8), so that sqlite reads only them. */
#define AUDIT_FLAGGED "e.kind = 'audit.event' AND instr(e.payload, '\"categories\":[]') = 0"

/* Audit events of a category observed within the window, across every
 * committed run (events are stored once, de-duplicated). */
static int audit_count(struct kpi_ctx *x, const char *category)
{
	struct store_val a[] = { STORE_V_TEXT(x->scope), STORE_V_INT(x->now - (time_t)x->window),
				 STORE_V_TEXT(category) };
	int r = store_query(x->st,
			    "SELECT max(run_id) FROM run_kinds WHERE kind = 'audit.event' AND (?1 IS NULL OR source = ?1)"
			    " GROUP BY source",
			    a, 1, row_runs, x->v, NULL);
	if (r < 0 || json_array_size(x->v->runs) == 0)
		return r;
	x->v->have = 1;
	struct two t = { 0 };
	r = store_query(x->st,
			"SELECT count(*), min(e.id) FROM evidence e INDEXED BY evidence_audit_flagged"
			" JOIN runs r ON r.id = e.run_id AND r.outcome = 'success'"
			" WHERE " AUDIT_FLAGGED " AND e.observed_at >= ?2 AND (?1 IS NULL OR e.source = ?1)"
			" AND EXISTS (SELECT 1 FROM json_each(e.payload, '$.categories') WHERE value = ?3)",
			a, 3, row_two, &t, NULL);
	x->v->value = t.a;
	if (r == 0 && t.a > 0)
		r = store_query(x->st,
				"SELECT e.id FROM evidence e INDEXED BY evidence_audit_flagged"
				" JOIN runs r ON r.id = e.run_id AND r.outcome = 'success'"
				" WHERE " AUDIT_FLAGGED " AND e.observed_at >= ?2 AND (?1 IS NULL OR e.source = ?1)"
				" AND EXISTS (SELECT 1 FROM json_each(e.payload, '$.categories') WHERE value = ?3)"
				" ORDER BY e.observed_at LIMIT 500",
				a, 3, row_items, x->v, NULL);
	return r;
}

static int compute(const struct kpi_def *d, struct kpi_ctx *x, double threshold)
{
	const char *n = d->name;
	if (strcmp(n, "patch.compliant_pct") == 0)
		return patch_compliant(x);
	if (strcmp(n, "patch.critical_age_days") == 0)
		return patch_critical_age(x);
	if (strcmp(n, "patch.unscanned_hosts") == 0)
		return patch_unscanned(x);
	if (strcmp(n, "backup.hours_since_success") == 0)
		return backup_hours(x, threshold);
	if (strcmp(n, "backup.success_rate") == 0)
		return backup_success_rate(x);
	if (strcmp(n, "backup.unprotected_resources") == 0)
		return backup_unprotected(x);
	if (strcmp(n, "training.completion_pct") == 0)
		return training_completion(x);
	if (strcmp(n, "training.overdue") == 0)
		return training_overdue(x);
	if (strcmp(n, "training.on_time_pct") == 0)
		return training_on_time(x);
	if (strncmp(n, "audit.", 6) == 0) {
		static const struct {
			const char *kpi, *category;
		} cat[] = { { "audit.logging_tamper", "logging_tamper" },
			    { "audit.console_login_no_mfa", "console_login_no_mfa" },
			    { "audit.root_activity", "root_activity" },
			    { "audit.privilege_grants", "privilege_grant" },
			    { "audit.world_open_firewall", "world_open_firewall" } };
		for (size_t i = 0; i < sizeof(cat) / sizeof(cat[0]); i++)
			if (strcmp(n, cat[i].kpi) == 0)
				return audit_count(x, cat[i].category);
	}
	return -ENOSYS;
}

/* ---- configuration ------------------------------------------------------------------- */

struct kpi_conf {
	const struct kpi_def *def;
	int enabled;
	double threshold;
	uint64_t window;
	const char *severity; /* forced, or NULL */
	const char *owner;
	json_t *controls;
	json_t *scopes; /* array of source names, or empty for "all" */
};

static void conf_for(const struct config *cfg, const struct kpi_def *d, struct kpi_conf *k)
{
	const struct config_section *s = cfg ? config_find(cfg, "kpi", d->name) : NULL;
	k->def = d;
	k->enabled = s ? config_get_bool(s, "enabled", 1) : 1;
	const char *t = s ? config_get(s, "threshold") : NULL;
	k->threshold = t ? strtod(t, NULL) : d->threshold;
	k->window = s ? config_get_duration(s, "window", d->window_s) : d->window_s;
	k->severity = s ? config_get(s, "severity") : NULL;
	k->owner = s && config_get(s, "owner") ? config_get(s, "owner") : d->owner;
	k->controls = config_split_list(s && config_get(s, "controls") ? config_get(s, "controls") : d->controls);
	const char *scope = s ? config_get(s, "scope") : NULL;
	k->scopes = scope && strcmp(scope, "all") != 0 ? config_split_list(scope) : json_array();
}

static void conf_free(struct kpi_conf *k)
{
	json_decref(k->controls);
	json_decref(k->scopes);
}

/* ---- evaluation ------------------------------------------------------------------------ */

static int breached_by(const char *op, double value, double threshold)
{
	return strcmp(op, ">=") == 0 ? value < threshold : value > threshold;
}

static int evaluate_one(struct store *st, const struct kpi_conf *k, const char *scope, time_t now, int *breached)
{
	const struct kpi_def *d = k->def;
	struct kpi_value v = { 0, 0, json_array(), json_array() };
	struct kpi_ctx x = { st, scope, now, k->window ? k->window : 7 * DAY, &v };
	int r = compute(d, &x, k->threshold);
	if (r < 0)
		goto out;
	const char *verdict = !v.have ? "no-data" : breached_by(d->op, v.value, k->threshold) ? "breached" : "met";
	const char *severity = k->severity;
	if (severity == NULL)
		severity = !isnan(d->major) && v.have && breached_by(d->op, v.value, d->major) ? "major" : d->severity;
	json_t *ev = json_pack("{s:O, s:O}", "runs", v.runs, "items", v.items);
	char *evtext = json_dumps(ev, JSON_COMPACT);
	struct store_val a[] = { STORE_V_TEXT(d->name),
				 STORE_V_TEXT(scope ? scope : "all"),
				 STORE_V_INT(now),
				 v.have ? STORE_V_REAL(v.value) : STORE_V_NULL,
				 STORE_V_REAL(k->threshold),
				 STORE_V_TEXT(d->op),
				 STORE_V_TEXT(verdict),
				 STORE_V_TEXT(strcmp(verdict, "breached") == 0 ? severity : NULL),
				 STORE_V_TEXT(evtext) };
	r = store_query(st,
			"INSERT INTO kpi_values(kpi, scope, evaluated_at, value, threshold, op, verdict, severity, evidence)"
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			a, 9, NULL, NULL, NULL);
	free(evtext);
	if (r == 0 && v.have) {
		char key[256], title[512];
		snprintf(key, sizeof(key), "kpi:%s:%s", d->name, scope ? scope : "all");
		snprintf(title, sizeof(title), "%s%s%s: %.4g %s (threshold %s %.4g)", d->title, scope ? " in " : "",
			 scope ? scope : "", v.value, d->unit, d->op, k->threshold);
		int is_breached = strcmp(verdict, "breached") == 0;
		struct nc_observation o = { key,	    "kpi",   title,	 k->controls, d->name,
					    scope ? scope : "all", 1, v.value, k->threshold, severity,
					    k->owner,	    ev,	     is_breached };
		enum nc_outcome out;
		int64_t id;
		r = nc_observe(st, &o, now, &out, &id);
		if (r == 0 && is_breached)
			(*breached)++;
		if (r == 0 && out == NC_RAISED)
			log_notice("nonconformity %lld raised: %s", (long long)id, title);
		else if (r == 0 && out == NC_REOPENED)
			log_notice("nonconformity %lld reopened: %s", (long long)id, title);
		else if (r == 0 && out == NC_RECOVERED)
			log_notice("nonconformity %lld recovered, awaiting verification: %s", (long long)id, title);
	}
	json_decref(ev);
out:
	json_decref(v.runs);
	json_decref(v.items);
	return r;
}

int kpi_evaluate(struct store *st, const struct config *cfg, time_t now, int *breached)
{
	*breached = 0;
	int r = store_begin(st);
	if (r < 0)
		return r;
	for (const struct kpi_def *d = defs; r == 0 && d->name; d++) {
		struct kpi_conf k;
		conf_for(cfg, d, &k);
		if (k.enabled) {
			if (json_array_size(k.scopes) == 0) {
				r = evaluate_one(st, &k, NULL, now, breached);
			} else {
				size_t i;
				json_t *sc;
				json_array_foreach(k.scopes, i, sc)
				{
					r = evaluate_one(st, &k, json_string_value(sc), now, breached);
					if (r < 0)
						break;
				}
			}
		}
		conf_free(&k);
	}
	int escalated = 0;
	if (r == 0)
		r = nc_escalate(st, now, &escalated);
	if (r == 0 && escalated > 0)
		log_notice("%d nonconformity corrective action(s) escalated: past their due date", escalated);
	if (r < 0) {
		store_rollback(st);
		return r;
	}
	return store_commit(st);
}

/* ---- listing ----------------------------------------------------------------------------- */

static int row_latest(void *arg, const struct store_val *c, size_t n)
{
	json_t *arr = arg;
	if (n < 8)
		return 0;
	const struct kpi_def *d = kpi_def_find(c[0].s ? c[0].s : "");
	char when[UTIL_ISO_TIME_LEN];
	util_time_iso((time_t)c[2].i, when);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:f, s:s, s:s, s:o, s:o}", "kpi", c[0].s, "title",
			      d ? d->title : "", "scope", c[1].s, "evaluated_at", when, "value",
			      c[3].type == STORE_NULL ? json_null() : json_real(c[3].d), "threshold", c[4].d, "op", c[5].s,
			      "verdict", c[6].s, "unit", d ? json_string(d->unit) : json_null(), "severity",
			      c[7].type == STORE_TEXT ? json_string(c[7].s) : json_null());
	if (o != NULL)
		json_array_append_new(arr, o);
	return 0;
}

int kpi_latest(struct store *st, const struct config *cfg, json_t **out)
{
	(void)cfg;
	json_t *arr = json_array();
	int r = store_query(st,
			    "SELECT kpi, scope, evaluated_at, value, threshold, op, verdict, severity FROM kpi_values"
			    " WHERE id IN (SELECT max(id) FROM kpi_values GROUP BY kpi, scope) ORDER BY kpi, scope",
			    NULL, 0, row_latest, arr, NULL);
	if (r < 0) {
		json_decref(arr);
		return r;
	}
	*out = arr;
	return 0;
}
