/*
 * report.c: builds the report model for one period from the store
 * (docs/internals/report-model.md) and hands it to a renderer.
 *
 * Everything is "as at the end of the period": an NC's state is replayed
 * from its history up to the end, a KPI's latest value is the last
 * evaluation before the end, evidence counts are of runs that finished in
 * the period.  So a past period's report does not change as the store grows.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "calendar.h"
#include "chain.h"
#include "controls.h"
#include "deliver.h"
#include "kpi.h"
#include "nc.h"
#include "report.h"
#include "report_csv.h"
#include "report_html.h"
#include "report_oscal.h"
#include "util.h"

#define MODEL_SCHEMA 1
#define SERIES_MAX 400
#define UPTIME_GOAL 0.95 /* below it, a collector is an improvement opportunity */

/* ---- periods ---------------------------------------------------------------- */

static time_t utc(int y, int m, int d)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d };
	return timegm(&tm);
}

int report_period_parse(const char *s, struct report_period *p, char *err, size_t errlen)
{
	int y = 0, n = 0, used = 0;
	memset(p, 0, sizeof(*p));
	if (s != NULL && strlen(s) < sizeof(p->label)) {
		if (sscanf(s, "%4d-Q%1d%n", &y, &n, &used) == 2 && used == 7 && s[used] == '\0' && n >= 1 && n <= 4) {
			p->start = utc(y, 3 * n - 2, 1);
			p->end = n == 4 ? utc(y + 1, 1, 1) : utc(y, 3 * n + 1, 1);
		} else if (sscanf(s, "%4d-%2d%n", &y, &n, &used) == 2 && used == 7 && s[used] == '\0' && n >= 1 && n <= 12) {
			p->start = utc(y, n, 1);
			p->end = n == 12 ? utc(y + 1, 1, 1) : utc(y, n + 1, 1);
		} else if (sscanf(s, "%4d%n", &y, &used) == 1 && used == 4 && s[used] == '\0') {
			p->start = utc(y, 1, 1);
			p->end = utc(y + 1, 1, 1);
		}
	}
	if (p->end == 0 || y < 1970 || y > 9998) {
		snprintf(err, errlen, "the period must be a year (2026), a quarter (2026-Q3) or a month (2026-10), not \"%s\"",
			 s ? s : "");
		return -EINVAL;
	}
	snprintf(p->label, sizeof(p->label), "%s", s);
	return 0;
}

int report_period_before(const char *unit, time_t t, struct report_period *p)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	int y = tm.tm_year + 1900, m = tm.tm_mon + 1;
	char label[32];
	if (y < 1971 || y > 9998)
		return -EINVAL;
	if (strcmp(unit, "month") == 0) {
		if (--m == 0) {
			m = 12;
			y--;
		}
		snprintf(label, sizeof(label), "%04d-%02d", y, m);
	} else if (strcmp(unit, "quarter") == 0) {
		int q = (m - 1) / 3; /* the current quarter's index, so the last one is q */
		if (q == 0) {
			q = 4;
			y--;
		}
		snprintf(label, sizeof(label), "%04d-Q%d", y, q);
	} else if (strcmp(unit, "year") == 0) {
		snprintf(label, sizeof(label), "%04d", y - 1);
	} else {
		return -EINVAL;
	}
	char err[128];
	return report_period_parse(label, p, err, sizeof(err));
}

static const char *const kinds[] = { "period", "kpi-monthly", "management-review", "annual", NULL };
static const char *const titles[] = { "ISMS evidence report", "Monthly KPI report",
				      "Management review input pack", "Annual ISMS report" };

int report_kind_known(const char *kind)
{
	for (size_t i = 0; kinds[i]; i++)
		if (strcmp(kinds[i], kind) == 0)
			return 1;
	return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

struct rb {
	struct store *st;
	const struct config *cfg;
	const struct report_period *p;
	time_t now;
	json_t *m;
};

static json_t *iso(int64_t t)
{
	if (t <= 0)
		return json_null();
	char b[UTIL_ISO_TIME_LEN];
	util_time_iso((time_t)t, b);
	return json_string(b);
}

static json_t *val_json(const struct store_val *v)
{
	switch (v->type) {
	case STORE_INT:
		return json_integer(v->i);
	case STORE_REAL:
		return json_real(v->d);
	case STORE_TEXT:
		return json_string(v->s);
	default:
		return json_null();
	}
}

static int64_t jint(const json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Adds 1 to the integer at o[k]. */
static void bump(json_t *o, const char *k, int64_t by)
{
	json_object_set_new(o, k, json_integer(json_integer_value(json_object_get(o, k)) + by));
}

static int row_append_rows(void *arg, const struct store_val *c, size_t n)
{
	json_t *rows = arg;
	json_t *row = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(row, val_json(&c[i]));
	return json_array_append_new(rows, row) < 0 ? -ENOMEM : 0;
}

/* Runs a query and returns its rows as arrays of values. */
static json_t *rows(struct store *st, const char *sql, const struct store_val *a, size_t n, int *r)
{
	json_t *out = json_array();
	if (*r == 0)
		*r = store_query(st, sql, a, n, row_append_rows, out, NULL);
	return out;
}

static json_t *cell(const json_t *row, size_t i)
{
	return json_array_get(row, i);
}

static int cmp_by_name(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "name"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "name"));
	return strcmp(x ? x : "", y ? y : "");
}

static void sort_by_name(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp_by_name);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

/* ---- KPIs ------------------------------------------------------------------- */

static int build_kpis(struct rb *b, json_t *summary)
{
	int r = 0;
	struct store_val end = STORE_V_INT((int64_t)b->p->end);
	json_t *pairs = rows(b->st, "SELECT DISTINCT kpi, scope FROM kpi_values WHERE evaluated_at < ? ORDER BY kpi, scope",
			     &end, 1, &r);
	json_t *kpis = json_array();
	json_t *counts = json_pack("{s:i, s:i, s:i}", "met", 0, "breached", 0, "no_data", 0);
	size_t i;
	json_t *pair;
	json_array_foreach(pairs, i, pair)
	{
		const char *name = json_string_value(cell(pair, 0)), *scope = json_string_value(cell(pair, 1));
		if (name == NULL || scope == NULL)
			continue;
		const struct kpi_def *d = kpi_def_find(name);
		struct store_val a[] = { STORE_V_TEXT(name), STORE_V_TEXT(scope), STORE_V_INT((int64_t)b->p->start),
					 STORE_V_INT((int64_t)b->p->end) };
		json_t *last = rows(b->st,
				    "SELECT evaluated_at, value, verdict, threshold, op, severity FROM kpi_values"
				    " WHERE kpi = ?1 AND scope = ?2 AND evaluated_at < ?4 ORDER BY evaluated_at DESC, id DESC LIMIT 1",
				    a, 4, &r);
		json_t *pts = rows(b->st,
				   "SELECT evaluated_at, value, verdict FROM kpi_values WHERE kpi = ?1 AND scope = ?2"
				   " AND evaluated_at >= ?3 AND evaluated_at < ?4 ORDER BY evaluated_at, id",
				   a, 4, &r);
		/* At most SERIES_MAX points: the last of each equal slice. */
		json_t *series = json_array();
		size_t np = json_array_size(pts);
		double span = (double)(b->p->end - b->p->start);
		long prev_slice = -1;
		for (size_t k = 0; k < np; k++) {
			json_t *pt = json_array_get(pts, k);
			int64_t t = json_integer_value(cell(pt, 0));
			long slice = (long)(((double)(t - b->p->start) / span) * SERIES_MAX);
			json_t *o = json_pack("{s:o, s:O, s:O}", "at", iso(t), "value", cell(pt, 1), "verdict", cell(pt, 2));
			if (np > SERIES_MAX && slice == prev_slice)
				json_array_set_new(series, json_array_size(series) - 1, o);
			else
				json_array_append_new(series, o);
			prev_slice = slice;
		}
		json_t *l = json_array_get(last, 0);
		json_t *latest = l ? json_pack("{s:o, s:O, s:O}", "at", iso(json_integer_value(cell(l, 0))), "value",
					      cell(l, 1), "verdict", cell(l, 2))
				   : json_null();
		const char *verdict = l ? json_string_value(cell(l, 2)) : NULL;
		bump(counts, verdict && strcmp(verdict, "met") == 0	 ? "met"
			     : verdict && strcmp(verdict, "breached") == 0 ? "breached"
									  : "no_data",
		     1);
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(name));
		json_object_set_new(o, "title", json_string(d ? d->title : name));
		json_object_set_new(o, "scope", json_string(scope));
		json_object_set_new(o, "unit", d ? json_string(d->unit) : json_null());
		json_object_set(o, "op", l ? cell(l, 4) : json_null());
		json_object_set_new(o, "threshold", l && json_is_number(cell(l, 3)) ? json_real(json_number_value(cell(l, 3)))
										    : json_null());
		json_object_set(o, "severity", l ? cell(l, 5) : json_null());
		json_object_set_new(o, "controls", controls_of_kpi(b->cfg, name));
		json_object_set_new(o, "latest", latest);
		json_object_set_new(o, "series", series);
		json_array_append_new(kpis, o);
		json_decref(last);
		json_decref(pts);
	}
	json_decref(pairs);
	json_object_set_new(b->m, "kpis", kpis);
	json_object_set_new(summary, "kpis", counts);
	return r;
}

/* ---- nonconformities --------------------------------------------------------- */

/* The NC's state, condition and close time as at t, from its history. */
static void nc_as_at(const json_t *hist, time_t t, const char **state, const char **cond, int64_t *closed_at)
{
	*state = NULL;
	*cond = "active";
	*closed_at = 0;
	size_t i;
	json_t *h;
	json_array_foreach(hist, i, h)
	{
		time_t at = 0;
		if (util_time_parse(jstr(h, "at") ? jstr(h, "at") : "", &at) < 0 || at >= t)
			break;
		const char *ev = jstr(h, "event") ? jstr(h, "event") : "";
		*state = jstr(h, "to");
		if (strcmp(ev, "recovered") == 0)
			*cond = "recovered";
		else if (strcmp(ev, "raised") == 0 || strcmp(ev, "recurred") == 0 || strcmp(ev, "reopened") == 0)
			*cond = "active";
		if (*state && strcmp(*state, "closed") == 0)
			*closed_at = at;
		else
			*closed_at = 0;
	}
}

/* Whether any of an NC's controls (any id form) is control id. */
static int nc_names(const json_t *controls, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(controls, i, v)
	{
		const char *ids[CATALOG_MAX_TARGETS];
		size_t n = json_is_string(v) ? catalog_resolve(json_string_value(v), ids, CATALOG_MAX_TARGETS) : 0;
		for (size_t k = 0; k < n; k++)
			if (strcmp(ids[k], id) == 0)
				return 1;
	}
	return 0;
}

static int build_ncs(struct rb *b, json_t *summary)
{
	int r = 0;
	struct store_val end = STORE_V_INT((int64_t)b->p->end);
	json_t *ids = rows(b->st, "SELECT id FROM ncs WHERE detected_at < ? ORDER BY id", &end, 1, &r);
	json_t *list = json_array();
	json_t *open = json_pack("{s:i, s:i, s:i}", "minor", 0, "major", 0, "total", 0);
	int64_t raised = 0, closed = 0, gaps = 0;
	size_t i;
	json_t *idv;
	json_array_foreach(ids, i, idv)
	{
		json_t *nc = NULL;
		if (r == 0)
			r = nc_get(b->st, json_integer_value(cell(idv, 0)), &nc);
		if (r < 0)
			break;
		json_t *hist = json_object_get(nc, "history");
		const char *st0, *c0, *st1, *c1;
		int64_t closed0, closed1;
		nc_as_at(hist, b->p->start, &st0, &c0, &closed0);
		nc_as_at(hist, b->p->end, &st1, &c1, &closed1);
		if (st0 && strcmp(st0, "closed") == 0) {
			json_decref(nc);
			continue; /* closed before the period began */
		}
		json_t *h2 = json_array();
		size_t k;
		json_t *h;
		json_array_foreach(hist, k, h)
		{
			time_t at = 0;
			if (util_time_parse(jstr(h, "at") ? jstr(h, "at") : "", &at) == 0 && at < b->p->end)
				json_array_append(h2, h);
		}
		json_t *ca = json_object_get(nc, "corrective_action");
		json_t *o = json_object();
		static const char *const copy[] = { "id", "key", "kind", "title", "controls", "kpi", "scope", "observed",
						    "threshold", "severity", "owner", NULL };
		for (size_t c = 0; copy[c]; c++)
			json_object_set(o, copy[c], json_object_get(nc, copy[c]) ? json_object_get(nc, copy[c]) : json_null());
		json_object_set_new(o, "state", st1 ? json_string(st1) : json_null());
		json_object_set_new(o, "condition", json_string(c1));
		json_object_set(o, "detected_at", json_object_get(nc, "detected_at"));
		json_t *last = json_array_get(h2, json_array_size(h2) - 1);
		json_object_set(o, "updated_at", last ? json_object_get(last, "at") : json_object_get(nc, "detected_at"));
		json_object_set_new(o, "closed_at", iso(closed1));
		json_object_set(o, "root_cause", json_object_get(ca, "root_cause") ?: json_null());
		json_object_set(o, "action", json_object_get(ca, "action") ?: json_null());
		json_object_set(o, "action_owner", json_object_get(ca, "owner") ?: json_null());
		json_object_set(o, "due_at", json_object_get(ca, "due_at") ?: json_null());
		json_t *ev = json_object_get(nc, "evidence");
		char *evtxt = ev ? json_dumps(ev, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		json_object_set_new(o, "evidence", json_string(evtxt ? evtxt : ""));
		free(evtxt);
		json_object_set_new(o, "history", h2);

		time_t det = 0;
		util_time_parse(jstr(nc, "detected_at") ? jstr(nc, "detected_at") : "", &det);
		raised += det >= b->p->start && det < b->p->end;
		closed += closed1 != 0 && closed1 >= b->p->start;
		if (st1 && strcmp(st1, "closed") != 0) {
			const char *sev = jstr(nc, "severity");
			bump(open, sev && strcmp(sev, "major") == 0 ? "major" : "minor", 1);
			bump(open, "total", 1);
			gaps += jstr(nc, "kind") && strcmp(jstr(nc, "kind"), "evidence-gap") == 0;
		}
		json_array_append_new(list, o);
		json_decref(nc);
	}
	json_decref(ids);
	json_object_set_new(b->m, "nonconformities", list);
	json_object_set_new(summary, "ncs_open", open);
	json_object_set_new(summary, "ncs_raised", json_integer(raised));
	json_object_set_new(summary, "ncs_closed", json_integer(closed));
	json_object_set_new(summary, "evidence_gaps", json_integer(gaps));
	return r;
}

/* ---- Statement of Applicability ------------------------------------------- */

static int build_soa(struct rb *b, const struct soa *soa, json_t *summary)
{
	json_t *controls = NULL;
	int r = controls_list_window(b->st, b->cfg, soa, (int64_t)b->p->start, (int64_t)b->p->end, &controls);
	if (r < 0)
		return r;
	json_t *ncs = json_object_get(b->m, "nonconformities");
	json_t *out = json_array();
	json_t *sum = json_pack("{s:i, s:i, s:i, s:i, s:i}", "applicable", 0, "not_applicable", 0, "evidenced", 0,
				"not_evidenced", 0, "with_open_nc", 0);
	size_t i;
	json_t *c;
	json_array_foreach(controls, i, c)
	{
		const char *id = jstr(c, "id");
		json_t *s = json_object_get(c, "soa");
		json_t *applicable = json_is_object(s) ? json_object_get(s, "applicable") : NULL;
		json_t *open = json_array();
		size_t k;
		json_t *nc;
		json_array_foreach(ncs, k, nc)
		if (jstr(nc, "state") && strcmp(jstr(nc, "state"), "closed") != 0 &&
		    nc_names(json_object_get(nc, "controls"), id))
			json_array_append(open, json_object_get(nc, "id"));
		int64_t count = jint(c, "evidence_count");
		const char *status = json_is_false(applicable)	? "not-applicable"
				     : json_array_size(open) > 0 ? "nonconforming"
				     : count > 0		 ? "evidenced"
								 : "no-evidence";
		if (json_is_false(applicable)) {
			bump(sum, "not_applicable", 1);
		} else {
			if (json_is_true(applicable))
				bump(sum, "applicable", 1);
			bump(sum, count > 0 ? "evidenced" : "not_evidenced", 1);
			if (json_array_size(open) > 0)
				bump(sum, "with_open_nc", 1);
		}
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(id));
		json_object_set(o, "title", json_object_get(c, "title"));
		json_object_set(o, "theme", json_object_get(c, "theme"));
		json_object_set(o, "applicable", applicable ? applicable : json_null());
		json_object_set(o, "implementation", json_is_object(s) ? json_object_get(s, "status") : json_null());
		json_object_set(o, "owner", json_is_object(s) ? json_object_get(s, "owner") : json_null());
		json_object_set(o, "justification", json_is_object(s) ? json_object_get(s, "justification") : json_null());
		json_object_set_new(o, "evidence_count", json_integer(count));
		json_object_set(o, "last_evidence", json_object_get(c, "freshest_evidence"));
		json_object_set_new(o, "open_ncs", open);
		json_object_set_new(o, "status", json_string(status));
		json_array_append_new(out, o);
	}
	json_decref(controls);
	json_object_set_new(b->m, "soa", out);
	json_object_set_new(summary, "controls", sum);
	return 0;
}

/* ---- the calendar ----------------------------------------------------------- */

static int build_calendar(struct rb *b, json_t *summary)
{
	json_t *cal = NULL;
	int r = calendar_adherence(b->st, b->cfg, b->p->start, b->p->end, b->now, &cal);
	if (r < 0)
		return r;
	sort_by_name(cal);
	json_t *sum = json_pack("{s:i, s:i, s:i}", "planned", 0, "done", 0, "missed", 0);
	size_t i;
	json_t *a;
	json_array_foreach(cal, i, a)
	{
		bump(sum, "planned", jint(a, "planned"));
		bump(sum, "done", jint(a, "done"));
		bump(sum, "missed", jint(a, "missed"));
	}
	json_object_set_new(b->m, "calendar", cal);
	json_object_set_new(summary, "activities", sum);
	return 0;
}

/* ---- collectors --------------------------------------------------------------- */

static int build_collectors(struct rb *b, json_t *summary)
{
	int r = 0;
	long ndays = (long)((b->p->end - b->p->start) / 86400);
	time_t stop = b->p->end < b->now ? b->p->end : b->now;
	/* Days count from the period's start, or from the day ismsd first
	 * collected anything when that was later. */
	struct store_val none = STORE_V_NULL;
	json_t *fr = rows(b->st, "SELECT min(started_at) FROM runs WHERE ? IS NULL", &none, 1, &r);
	int64_t first_run = json_integer_value(cell(json_array_get(fr, 0), 0));
	json_decref(fr);
	long from_day = first_run > b->p->start ? (long)((first_run - b->p->start) / 86400) : 0;
	long elapsed = stop > b->p->start ? (long)((stop - b->p->start + 86399) / 86400) - from_day : 0;
	if (elapsed < 0)
		elapsed = 0;
	json_t *out = json_array();
	for (const struct config_section *s = config_next(b->cfg, "source", NULL); r == 0 && s;
	     s = config_next(b->cfg, "source", s)) {
		struct store_val a[] = { STORE_V_TEXT(s->name), STORE_V_INT((int64_t)b->p->start),
					 STORE_V_INT((int64_t)b->p->end) };
		json_t *runs = rows(b->st,
				    "SELECT started_at, finished_at, outcome FROM runs WHERE source = ?1"
				    " AND started_at >= ?2 AND started_at < ?3 AND outcome != 'running' ORDER BY started_at, id",
				    a, 3, &r);
		long *succ = calloc((size_t)ndays + 1, sizeof(long)), *fail = calloc((size_t)ndays + 1, sizeof(long));
		if (succ == NULL || fail == NULL) {
			r = -ENOMEM;
			free(succ);
			free(fail);
			json_decref(runs);
			break;
		}
		int64_t nsucc = 0, nfail = 0, nint = 0, first = 0, lastok = 0;
		double gap = 0;
		int64_t prev = first_run > b->p->start ? first_run : (int64_t)b->p->start;
		size_t i;
		json_t *run;
		json_array_foreach(runs, i, run)
		{
			int64_t started = json_integer_value(cell(run, 0)), fin = json_integer_value(cell(run, 1));
			const char *oc = json_string_value(cell(run, 2));
			long day = (long)((started - b->p->start) / 86400);
			if (oc && strcmp(oc, "success") == 0) {
				nsucc++;
				succ[day]++;
				if (first == 0)
					first = fin;
				lastok = fin;
				if ((double)(fin - prev) > gap)
					gap = (double)(fin - prev);
				prev = fin;
			} else {
				fail[day]++;
				if (oc && strcmp(oc, "interrupted") == 0)
					nint++;
				else
					nfail++;
			}
		}
		if ((double)((int64_t)stop - prev) > gap)
			gap = (double)((int64_t)stop - prev);
		json_t *days = json_array();
		long up = 0;
		for (long d = 0; d < ndays; d++) {
			char date[UTIL_ISO_TIME_LEN];
			util_time_iso(b->p->start + (time_t)d * 86400, date);
			date[10] = '\0';
			json_array_append_new(days, json_pack("{s:s, s:i, s:i}", "date", date, "success", (int)succ[d],
							      "failed", (int)fail[d]));
			if (d >= from_day && d < from_day + elapsed && succ[d] > 0)
				up++;
		}
		free(succ);
		free(fail);
		json_t *o = json_object();
		json_object_set_new(o, "source", json_string(s->name));
		json_object_set_new(o, "type", json_string(config_get_default(s, "type", "")));
		json_object_set_new(o, "schedule", json_string(config_get_default(s, "schedule", "")));
		json_object_set_new(o, "runs", json_integer((json_int_t)json_array_size(runs)));
		json_object_set_new(o, "success", json_integer(nsucc));
		json_object_set_new(o, "failed", json_integer(nfail));
		json_object_set_new(o, "interrupted", json_integer(nint));
		json_object_set_new(o, "uptime", elapsed ? json_real((double)up / (double)elapsed) : json_null());
		json_object_set_new(o, "first_success", iso(first));
		json_object_set_new(o, "last_success", iso(lastok));
		json_object_set_new(o, "longest_gap_hours", elapsed ? json_real(gap / 3600.0) : json_null());
		json_object_set_new(o, "days", days);
		json_array_append_new(out, o);
		json_decref(runs);
	}
	/* named "name" for sorting */
	size_t i;
	json_t *o;
	json_array_foreach(out, i, o)
	json_object_set(o, "name", json_object_get(o, "source"));
	sort_by_name(out);
	json_array_foreach(out, i, o)
	json_object_del(o, "name");
	json_object_set_new(b->m, "collectors", out);

	struct store_val a[] = { STORE_V_INT((int64_t)b->p->start), STORE_V_INT((int64_t)b->p->end) };
	json_t *oc = rows(b->st,
			  "SELECT outcome, count(*) FROM runs WHERE started_at >= ? AND started_at < ?"
			  " AND outcome != 'running' GROUP BY outcome ORDER BY outcome",
			  a, 2, &r);
	json_t *sum = json_pack("{s:i, s:i, s:i}", "success", 0, "failed", 0, "interrupted", 0);
	json_t *row;
	json_array_foreach(oc, i, row)
	if (json_is_string(cell(row, 0)))
		json_object_set(sum, json_string_value(cell(row, 0)), cell(row, 1));
	json_decref(oc);
	json_object_set_new(summary, "runs", sum);
	return r;
}

/* ---- the evidence index ------------------------------------------------------ */

static int build_evidence(struct rb *b, const char *key_id)
{
	int r = 0;
	struct store_val a[] = { STORE_V_INT((int64_t)b->p->start), STORE_V_INT((int64_t)b->p->end) };
	json_t *runs = rows(b->st,
			    "SELECT r.id, m.seq, r.source, r.type, r.started_at, r.finished_at, r.items, m.sha256"
			    " FROM runs r LEFT JOIN manifests m ON m.run_id = r.id WHERE r.outcome = 'success'"
			    " AND r.finished_at >= ? AND r.finished_at < ? ORDER BY m.seq IS NULL, m.seq, r.id",
			    a, 2, &r);
	json_t *out = json_array();
	int64_t first_seq = 0, last_seq = 0;
	const char *last_sha = NULL;
	size_t i;
	json_t *run;
	json_array_foreach(runs, i, run)
	{
		struct store_val id = STORE_V_INT(json_integer_value(cell(run, 0)));
		json_t *pages = rows(b->st,
				     "SELECT e.id, e.sha256, b.size, e.blob_sha256 IS NULL FROM evidence e"
				     " LEFT JOIN blobs b ON b.sha256 = e.blob_sha256 WHERE e.run_id = ? AND e.kind = 'raw.page'"
				     " ORDER BY e.id",
				     &id, 1, &r);
		json_t *ph = json_array();
		size_t k;
		json_t *p;
		json_array_foreach(pages, k, p)
		json_array_append_new(ph, json_pack("{s:O, s:O, s:O, s:b}", "id", cell(p, 0), "sha256", cell(p, 1), "size",
						    cell(p, 2), "pruned", json_integer_value(cell(p, 3)) != 0));
		int64_t seq = json_integer_value(cell(run, 1));
		if (seq) {
			if (!first_seq)
				first_seq = seq;
			last_seq = seq;
			last_sha = json_string_value(cell(run, 7));
		}
		json_array_append_new(out, json_pack("{s:O, s:O, s:O, s:O, s:o, s:o, s:I, s:O, s:O, s:o}", "run", cell(run, 0),
						     "seq", cell(run, 1), "source", cell(run, 2), "type", cell(run, 3),
						     "started_at", iso(json_integer_value(cell(run, 4))), "finished_at",
						     iso(json_integer_value(cell(run, 5))), "pages",
						     (json_int_t)json_array_size(pages), "facts", cell(run, 6),
						     "manifest_sha256", cell(run, 7), "page_hashes", ph));
		json_decref(pages);
	}
	json_t *chain = json_object();
	json_object_set_new(chain, "head_seq", last_seq ? json_integer(last_seq) : json_null());
	json_object_set_new(chain, "head_sha256", last_sha ? json_string(last_sha) : json_null());
	json_object_set_new(chain, "key_fingerprint", key_id ? json_string(key_id) : json_null());
	json_object_set_new(chain, "runs_in_period", json_integer((json_int_t)json_array_size(out)));
	json_object_set_new(chain, "first_seq", first_seq ? json_integer(first_seq) : json_null());
	json_object_set_new(chain, "last_seq", last_seq ? json_integer(last_seq) : json_null());
	json_object_set_new(json_object_get(b->m, "report"), "chain", chain);
	json_decref(runs);
	json_object_set_new(b->m, "evidence", out);
	return r;
}

/* ---- the management review input (clause 9.3.2) ----------------------------- */

static int name_has(const json_t *o, const char *word)
{
	const char *n = jstr(o, "name");
	return n && strstr(n, word) != NULL;
}

static int build_review(struct rb *b)
{
	int r = 0;
	json_t *ncs = json_object_get(b->m, "nonconformities");
	json_t *summary = json_object_get(b->m, "summary");
	json_t *mr = json_object();
	json_t *prev_actions = json_array(), *changes = json_array(), *monitoring = json_array();
	json_t *audits = json_array(), *feedback = json_array(), *risk = json_array(), *improve = json_array();
	int64_t overdue = 0;
	size_t i;
	json_t *o;
	json_array_foreach(ncs, i, o)
	{
		time_t det = 0, due = 0;
		util_time_parse(jstr(o, "detected_at") ? jstr(o, "detected_at") : "", &det);
		if (det < b->p->start && json_is_string(json_object_get(o, "action")))
			json_array_append(prev_actions, o);
		const char *st = jstr(o, "state");
		if (st && strcmp(st, "action-planned") == 0 && jstr(o, "due_at") &&
		    util_time_parse(jstr(o, "due_at"), &due) == 0 && due < b->p->end)
			overdue++;
	}
	/* Changes: sources that first collected in the period, and KPI
	 * thresholds that changed in it. */
	struct store_val a[] = { STORE_V_INT((int64_t)b->p->start), STORE_V_INT((int64_t)b->p->end) };
	json_t *newsrc = rows(b->st,
			      "SELECT source, min(started_at) FROM runs WHERE outcome = 'success' GROUP BY source"
			      " HAVING min(started_at) >= ?1 AND min(started_at) < ?2 ORDER BY 2, 1",
			      a, 2, &r);
	json_t *row;
	json_array_foreach(newsrc, i, row)
	{
		char what[512];
		snprintf(what, sizeof(what), "evidence source %s started collecting",
			 json_string_value(cell(row, 0)) ? json_string_value(cell(row, 0)) : "?");
		json_array_append_new(changes, json_pack("{s:o, s:s}", "at", iso(json_integer_value(cell(row, 1))), "what", what));
	}
	json_decref(newsrc);
	json_t *thr = rows(b->st,
			   "SELECT k.kpi, k.scope, k.evaluated_at, p.threshold, k.threshold FROM kpi_values k"
			   " JOIN kpi_values p ON p.id = (SELECT max(id) FROM kpi_values q WHERE q.kpi = k.kpi"
			   " AND q.scope = k.scope AND q.id < k.id) WHERE k.evaluated_at >= ?1 AND k.evaluated_at < ?2"
			   " AND p.threshold != k.threshold ORDER BY k.evaluated_at, k.id",
			   a, 2, &r);
	json_array_foreach(thr, i, row)
	{
		char what[512];
		snprintf(what, sizeof(what), "KPI %s (%s) threshold changed from %g to %g",
			 json_string_value(cell(row, 0)) ?: "?", json_string_value(cell(row, 1)) ?: "?",
			 json_number_value(cell(row, 3)), json_number_value(cell(row, 4)));
		json_array_append_new(changes, json_pack("{s:o, s:s}", "at", iso(json_integer_value(cell(row, 2))), "what", what));
	}
	json_decref(thr);

	json_array_foreach(json_object_get(b->m, "kpis"), i, o)
	{
		json_t *series = json_object_get(o, "series");
		size_t n = json_array_size(series);
		json_t *s0 = n ? json_object_get(json_array_get(series, 0), "value") : NULL;
		json_t *s1 = n ? json_object_get(json_array_get(series, n - 1), "value") : NULL;
		const char *trend = "no-data";
		if (json_is_number(s0) && json_is_number(s1)) {
			double d = json_number_value(s1) - json_number_value(s0);
			const char *op = jstr(o, "op");
			int higher_better = op && strcmp(op, ">=") == 0;
			trend = d == 0 ? "flat" : (d > 0) == higher_better ? "improving" : "worsening";
		}
		json_t *latest = json_object_get(o, "latest");
		json_array_append_new(monitoring,
				      json_pack("{s:O, s:O, s:O, s:O, s:s, s:O}", "kpi", json_object_get(o, "name"), "scope",
						json_object_get(o, "scope"), "start", json_is_number(s0) ? s0 : json_null(),
						"end", json_is_number(s1) ? s1 : json_null(), "trend", trend, "verdict",
						json_is_object(latest) ? json_object_get(latest, "verdict") : json_null()));
		if (strcmp(trend, "worsening") == 0) {
			char t[512];
			snprintf(t, sizeof(t), "KPI %s (%s) worsened over the period", jstr(o, "name") ?: "?",
				 jstr(o, "scope") ?: "?");
			json_array_append_new(improve, json_string(t));
		}
	}
	json_array_foreach(json_object_get(b->m, "calendar"), i, o)
	{
		if (name_has(o, "audit"))
			json_array_append(audits, o);
		if (name_has(o, "risk"))
			json_array_append(risk, o);
		if (jstr(o, "kind") && strcmp(jstr(o, "kind"), "attested") == 0 && !json_is_null(json_object_get(o, "last_done")))
			json_array_append(feedback, o);
		if (jint(o, "missed") > 0) {
			char t[512];
			snprintf(t, sizeof(t), "activity %s missed %lld of %lld planned slots", jstr(o, "name") ?: "?",
				 (long long)jint(o, "missed"), (long long)jint(o, "planned"));
			json_array_append_new(improve, json_string(t));
		}
	}
	json_array_foreach(json_object_get(b->m, "collectors"), i, o)
	{
		json_t *u = json_object_get(o, "uptime");
		if (json_is_number(u) && json_number_value(u) < UPTIME_GOAL) {
			char t[512];
			snprintf(t, sizeof(t), "collector %s collected on %.0f%% of the period's days (goal %.0f%%)",
				 jstr(o, "source") ?: "?", json_number_value(u) * 100.0, UPTIME_GOAL * 100.0);
			json_array_append_new(improve, json_string(t));
		}
	}
	json_t *cs = json_object_get(summary, "controls");
	if (jint(cs, "not_evidenced") > 0) {
		char t[256];
		snprintf(t, sizeof(t), "%lld applicable controls have no automated evidence in the period",
			 (long long)jint(cs, "not_evidenced"));
		json_array_append_new(improve, json_string(t));
	}
	json_t *ks = json_object_get(summary, "kpis");
	json_object_set_new(mr, "previous_actions", prev_actions);
	json_object_set_new(mr, "changes", changes);
	json_object_set_new(mr, "performance",
			    json_pack("{s:{s:O, s:O, s:O, s:I}, s:o, s:o, s:{s:I, s:I}}", "nonconformities", "raised",
				      json_object_get(summary, "ncs_raised"), "closed", json_object_get(summary, "ncs_closed"),
				      "open_end", json_object_get(json_object_get(summary, "ncs_open"), "total"),
				      "overdue_actions", (json_int_t)overdue, "monitoring", monitoring, "audits", audits,
				      "objectives", "kpis_met", (json_int_t)jint(ks, "met"), "kpis_total",
				      (json_int_t)(jint(ks, "met") + jint(ks, "breached") + jint(ks, "no_data"))));
	json_object_set_new(mr, "stakeholder_feedback", feedback);
	json_object_set_new(mr, "risk", risk);
	json_object_set_new(mr, "improvement_opportunities", improve);
	json_object_set_new(b->m, "management_review", mr);
	return r;
}

/* ---- the model ----------------------------------------------------------------- */

int report_build(struct store *st, const struct config *cfg, const struct soa *soa, const struct report_period *p,
		 const struct report_opts *o, json_t **out, char *err, size_t errlen)
{
	*out = NULL;
	const char *kind = o->kind ? o->kind : "period";
	size_t ki = 0;
	while (kinds[ki] && strcmp(kinds[ki], kind) != 0)
		ki++;
	if (kinds[ki] == NULL) {
		snprintf(err, errlen, "unknown report kind %s (period, kpi-monthly, management-review, annual)", kind);
		return -EINVAL;
	}
	char title[128];
	snprintf(title, sizeof(title), "%s %s", titles[ki], p->label);
	const struct config_section *rs = config_find(cfg, "report", NULL);
	const char *org = rs ? config_get(rs, "organisation") : NULL;
	/* "Now" for a period still running is the store's own clock, the last
	 * thing it recorded, not the wall clock: so the same store gives the
	 * same report whenever it is generated. */
	int64_t as_of = 0;
	struct store_val none = STORE_V_NULL;
	int q = 0;
	json_t *t = rows(st,
			 "SELECT max(coalesce((SELECT max(coalesce(finished_at, started_at)) FROM runs), 0),"
			 " coalesce((SELECT max(evaluated_at) FROM kpi_values), 0),"
			 " coalesce((SELECT max(at) FROM nc_history), 0)) WHERE ? IS NULL",
			 &none, 1, &q);
	as_of = json_integer_value(cell(json_array_get(t, 0), 0));
	json_decref(t);
	if (as_of <= 0 || as_of > (int64_t)o->now)
		as_of = (int64_t)o->now;
	/* A period that is over is complete whatever the store recorded last. */
	time_t now = p->end <= o->now ? p->end : (time_t)as_of < p->end ? (time_t)as_of : p->end;
	struct rb b = { st, cfg, p, now, json_object() };
	json_t *summary = json_object();
	json_t *report = json_pack("{s:i, s:s, s:s, s:s?, s:{s:s, s:o, s:o}, s:o, s:{s:s, s:s}, s:{s:i}}", "schema",
				   MODEL_SCHEMA, "kind", kind, "title", title, "organisation", org, "period", "label",
				   p->label, "start", iso(p->start), "end", iso(p->end), "generated_at", iso(o->now),
				   "generator", "name", PACKAGE_NAME, "version", PACKAGE_VERSION, "store", "schema",
				   store_schema_version(st));
	if (b.m == NULL || summary == NULL || report == NULL) {
		json_decref(b.m);
		json_decref(summary);
		json_decref(report);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (org == NULL)
		json_object_set_new(report, "organisation", json_null());
	json_object_set_new(report, "as_of", iso(b.now));
	json_object_set_new(b.m, "report", report);
	json_object_set_new(b.m, "summary", summary);
	int r = build_kpis(&b, summary);
	if (r == 0)
		r = build_ncs(&b, summary);
	if (r == 0)
		r = build_soa(&b, soa, summary);
	if (r == 0)
		r = build_calendar(&b, summary);
	if (r == 0)
		r = build_collectors(&b, summary);
	if (r == 0)
		r = build_evidence(&b, o->key_id);
	if (r == 0 && strcmp(kind, "management-review") == 0)
		r = build_review(&b);
	else if (r == 0)
		json_object_set_new(b.m, "management_review", json_null());
	if (r < 0) {
		snprintf(err, errlen, "cannot read the store for the report: %s", store_errmsg(st));
		json_decref(b.m);
		return r;
	}
	*out = b.m;
	return 0;
}

/* ---- writing ------------------------------------------------------------------- */

static const char *const formats[] = { "html", "json", "csv", "oscal", NULL };

int report_format_known(const char *format)
{
	for (size_t i = 0; formats[i]; i++)
		if (strcmp(formats[i], format) == 0)
			return 1;
	return 0;
}

int report_write(const json_t *model, const char *format, const char *path, char *err, size_t errlen)
{
	if (!report_format_known(format)) {
		snprintf(err, errlen, "unknown report format %s (html, json, csv, oscal)", format);
		return -EINVAL;
	}
	if (strcmp(format, "csv") == 0)
		return report_csv_write(model, path, err, errlen);
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "path too long: %s", path);
		return -ENAMETOOLONG;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
		return -e;
	}
	FILE *f = fdopen(fd, "w");
	if (f == NULL) {
		int e = errno;
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
		return -e;
	}
	int r = 0;
	if (fchmod(fd, 0640) < 0)
		r = -errno;
	if (r == 0 && strcmp(format, "html") == 0) {
		r = report_html_write(model, f, err, errlen);
	} else if (r == 0 && strcmp(format, "oscal") == 0) {
		r = report_oscal_write(model, f, err, errlen);
	} else if (r == 0) {
		if (json_dumpf(model, f, JSON_INDENT(2) | JSON_ENSURE_ASCII) < 0 || fputc('\n', f) == EOF)
			r = -EIO;
	}
	if (fflush(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -EIO;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		if (err[0] == '\0' || r != -EINVAL)
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(-r));
	}
	return r;
}

/* ---- scheduled reports -------------------------------------------------------- */

static const struct {
	const char *unit, *kind;
} schedule[] = { { "month", "kpi-monthly" }, { "quarter", "management-review" }, { "year", "annual" } };

static const char *ext_of(const char *format)
{
	return strcmp(format, "html") == 0    ? "html"
	       : strcmp(format, "csv") == 0   ? "csv"
	       : strcmp(format, "oscal") == 0 ? "oscal.json"
					      : "json";
}

int report_scheduled_dir(const struct config *cfg, char *buf, size_t len)
{
	const struct config_section *rs = config_find(cfg, "report", NULL);
	const char *dir = rs ? config_get(rs, "dir") : NULL;
	int n = dir ? snprintf(buf, len, "%s", dir) : snprintf(buf, len, "%s/reports", cfg->daemon.state_dir);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int row_count(void *arg, const struct store_val *c, size_t n)
{
	if (n >= 1)
		*(int64_t *)arg = c[0].i;
	return 0;
}

/* Whether the kind's period has a report already. */
static int reported(struct store *st, const char *kind, const struct report_period *p)
{
	int64_t have = 0;
	struct store_val a[] = { STORE_V_TEXT(kind), STORE_V_TEXT(p->label) };
	if (store_query(st, "SELECT count(*) FROM reports WHERE kind = ? AND period = ?", a, 2, row_count, &have, NULL) < 0)
		return 1; /* cannot tell: not due now, tried again at the next check */
	return have != 0;
}

/* Writes one scheduled report in each format and records it, with its
 * report.generated event, in one transaction. */
static int scheduled_one(struct store *st, const struct config *cfg, const struct soa *soa, const char *key_id,
			 const char *kind, const struct report_period *p, time_t now, const char *dir, char *err,
			 size_t errlen)
{
	struct report_opts o = { kind, key_id, now };
	json_t *model = NULL;
	int r = report_build(st, cfg, soa, p, &o, &model, err, errlen);
	if (r < 0)
		return r;
	const struct config_section *rs = config_find(cfg, "report", NULL);
	json_t *wanted = config_split_list(rs && config_get(rs, "formats") ? config_get(rs, "formats") : "html, json");
	json_t *files = json_array();
	size_t i;
	json_t *f;
	json_array_foreach(wanted, i, f)
	{
		const char *format = json_string_value(f);
		char path[4096];
		if (format == NULL || !report_format_known(format))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s-%s.%s", dir, p->label, kind, ext_of(format)) >= (int)sizeof(path)) {
			r = -ENAMETOOLONG;
			snprintf(err, errlen, "report path too long in %s", dir);
			break;
		}
		if ((r = report_write(model, format, path, err, errlen)) < 0)
			break;
		char hex[UTIL_SHA256_HEX_LEN + 1] = "";
		char *data = NULL;
		size_t len = 0;
		if (strcmp(format, "csv") != 0 && util_read_file(path, (size_t)1 << 31, &data, &len) == 0)
			util_sha256_hex(data, len, hex);
		free(data);
		json_array_append_new(files, json_pack("{s:s, s:s, s:s*}", "format", format, "path", path, "sha256",
						       hex[0] ? hex : NULL));
	}
	json_decref(wanted);
	if (r == 0) {
		char link[128];
		snprintf(link, sizeof(link), "ismsctl report --period %s --kind %s", p->label, kind);
		json_t *rep = json_object_get(model, "report");
		json_t *data = json_pack("{s:s, s:s, s:O, s:O, s:O, s:O, s:O, s:s}", "kind", kind, "period", p->label, "start",
					 json_object_get(json_object_get(rep, "period"), "start"), "end",
					 json_object_get(json_object_get(rep, "period"), "end"), "files", files, "summary",
					 json_object_get(model, "summary"), "chain", json_object_get(rep, "chain"), "link", link);
		char *ftxt = json_dumps(files, JSON_COMPACT | JSON_ENSURE_ASCII);
		r = data && ftxt ? store_begin(st) : -ENOMEM;
		if (r == 0) {
			struct store_val a[] = { STORE_V_TEXT(kind), STORE_V_TEXT(p->label), STORE_V_INT((int64_t)now),
						 STORE_V_TEXT(ftxt) };
			r = store_query(st, "INSERT INTO reports(kind, period, generated_at, files) VALUES (?, ?, ?, ?)", a, 4,
					NULL, NULL, NULL);
			if (r == 0)
				r = deliver_outbox_put(st, "report.generated", 0, data, now, NULL);
			if (r == 0)
				r = store_commit(st);
			else
				store_rollback(st);
			if (r < 0)
				snprintf(err, errlen, "cannot record the report: %s", store_errmsg(st));
		}
		free(ftxt);
		json_decref(data);
	}
	json_decref(files);
	json_decref(model);
	return r;
}

/*
 * The periods of a kind that are due, newest first: every ended period back
 * to the store's first run that has no report yet (a month that ended while
 * ismsd was down is written at the next start).  At most SCHEDULED_BACK
 * periods are looked at per kind.
 */
#define SCHEDULED_BACK 120

static size_t due_periods(struct store *st, size_t kind, time_t now, struct report_period *out, size_t max)
{
	size_t n = 0;
	time_t t = now;
	int64_t first = 0; /* when ismsd first collected anything */
	if (store_query(st, "SELECT coalesce(min(started_at), 0) FROM runs", NULL, 0, row_count, &first, NULL) < 0)
		return 0;
	for (size_t k = 0; k < SCHEDULED_BACK && n < max; k++) {
		struct report_period p;
		if (report_period_before(schedule[kind].unit, t, &p) < 0 || first == 0 || first >= (int64_t)p.end)
			break;
		if (!reported(st, schedule[kind].kind, &p))
			out[n++] = p;
		t = p.start;
	}
	return n;
}

int report_run_scheduled(struct store *st, const struct config *cfg, const struct soa *soa, const char *key_id,
			 time_t now, int *made, char *err, size_t errlen)
{
	*made = 0;
	char dir[4096];
	if (report_scheduled_dir(cfg, dir, sizeof(dir)) < 0) {
		snprintf(err, errlen, "the report directory path is too long");
		return -ENAMETOOLONG;
	}
	for (size_t i = 0; i < sizeof(schedule) / sizeof(schedule[0]); i++) {
		struct report_period due[SCHEDULED_BACK];
		size_t n = due_periods(st, i, now, due, SCHEDULED_BACK);
		if (n > 0 && mkdir(dir, 0750) < 0 && errno != EEXIST) {
			int e = errno;
			snprintf(err, errlen, "cannot create the report directory %s: %s", dir, strerror(e));
			return -e;
		}
		/* oldest first, so that their events go out in order */
		for (size_t k = n; k-- > 0;) {
			int r = scheduled_one(st, cfg, soa, key_id, schedule[i].kind, &due[k], now, dir, err, errlen);
			if (r < 0)
				return r;
			(*made)++;
		}
	}
	return 0;
}

int report_scheduled_pending(struct store *st, time_t now)
{
	int n = 0;
	for (size_t i = 0; i < sizeof(schedule) / sizeof(schedule[0]); i++) {
		struct report_period p;
		n += (int)due_periods(st, i, now, &p, 1);
	}
	return n;
}

void report_check_config(const struct config *cfg, struct config_errors *errs)
{
	const struct config_section *rs = config_find(cfg, "report", NULL);
	const struct config_entry *e = rs ? config_entry(rs, "formats") : NULL;
	if (e == NULL)
		return;
	json_t *list = config_split_list(e->value);
	size_t i;
	json_t *f;
	json_array_foreach(list, i, f)
	if (!report_format_known(json_string_value(f)))
		config_errors_add(errs, e->file, e->line, "[report] key 'formats': unknown format '%s' (html, json, csv, oscal)",
				  json_string_value(f));
	json_decref(list);
}

int report_scheduled_enabled(const struct config *cfg)
{
	const struct config_section *rs = config_find(cfg, "report", NULL);
	return rs == NULL || config_get_bool(rs, "scheduled", 1);
}
