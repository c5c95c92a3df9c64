/*
 * calendar.c: evidence freshness per source and the maintenance calendar's
 * activities (automated and attested), raising nonconformities when either
 * falls behind.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "catalog.h"
#include "collector.h"
#include "log.h"
#include "nc.h"
#include "sched.h"
#include "store.h"
#include "util.h"

#define ATTEST_MAX (64u * 1024 * 1024)

struct one {
	int have;
	int64_t i;
};

static int take_one(void *arg, const struct store_val *c, size_t n)
{
	struct one *o = arg;
	if (n > 0 && c[0].type == STORE_INT) {
		o->have = 1;
		o->i = c[0].i;
	}
	return 0;
}

static int64_t scalar(struct store *st, const char *sql, const char *text)
{
	struct store_val a[] = { STORE_V_TEXT(text) };
	struct one o = { 0, 0 };
	if (store_query(st, sql, a, text ? 1 : 0, take_one, &o, NULL) < 0 || !o.have)
		return 0;
	return o.i;
}

static void add_unique(json_t *arr, const char *v)
{
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	if (strcmp(json_string_value(e), v) == 0)
		return;
	json_array_append_new(arr, json_string(v));
}

static int row_kind_controls(void *arg, const struct store_val *c, size_t n)
{
	json_t *arr = arg;
	if (n == 0 || c[0].type != STORE_TEXT)
		return 0;
	const char *const *ids = catalog_kind_controls(c[0].s);
	for (size_t i = 0; ids && ids[i]; i++)
		add_unique(arr, ids[i]);
	return 0;
}

/* A source's controls: its controls key, else those of the kinds it collects. */
static json_t *source_controls(struct store *st, const struct config_section *s)
{
	const char *v = config_get(s, "controls");
	if (v != NULL)
		return config_split_list(v);
	json_t *arr = json_array();
	struct store_val a[] = { STORE_V_TEXT(s->name) };
	store_query(st, "SELECT DISTINCT kind FROM run_kinds WHERE source = ? ORDER BY kind", a, 1, row_kind_controls, arr,
		    NULL);
	return arr;
}

static uint64_t grace_of(const struct config_section *s, const struct sched_cadence *c)
{
	uint64_t period = sched_cadence_period(c);
	uint64_t def = period / 4 > 3600 ? period / 4 : 3600;
	return config_get_duration(s, "grace", def);
}

static void earliest(time_t *next, time_t t, time_t now)
{
	if (t > now && (*next == 0 || t < *next))
		*next = t;
}

static void log_outcome(int r, enum nc_outcome out, int64_t id, const char *title)
{
	if (r == 0 && out == NC_RAISED)
		log_notice("nonconformity %lld raised: %s", (long long)id, title);
	else if (r == 0 && out == NC_REOPENED)
		log_notice("nonconformity %lld reopened: %s", (long long)id, title);
	else if (r == 0 && out == NC_RECOVERED)
		log_notice("nonconformity %lld recovered, awaiting verification: %s", (long long)id, title);
}

static int gap_check(struct store *st, const struct config *cfg, const struct config_section *s, time_t now,
		     time_t *next)
{
	if (!config_get_bool(s, "enabled", 1))
		return 0;
	const char *type = config_get(s, "type");
	const struct collector_ops *ops = collector_ops_lookup(type ? type : "");
	struct sched_cadence cad;
	char err[256];
	if (ops == NULL || sched_cadence_parse(config_get_default(s, "schedule", ops->default_schedule), &cad, err,
					       sizeof(err)) < 0)
		return 0;
	time_t last = (time_t)scalar(st, "SELECT max(started_at) FROM runs WHERE source = ? AND outcome = 'success'",
				     s->name);
	time_t first = (time_t)scalar(st, "SELECT min(started_at) FROM runs WHERE source = ?", s->name);
	if (last == 0 && first == 0)
		return 0; /* never tried yet */
	/* a run may start up to jitter late without being a gap */
	uint64_t grace = grace_of(s, &cad) + config_get_duration(s, "jitter", 0);
	time_t expected = last ? sched_slot_after(&cad, last, cfg->daemon.timezone) : first;
	time_t deadline = expected + (time_t)grace;
	earliest(next, deadline, now);
	int breached = now > deadline;
	json_t *controls = source_controls(st, s);
	char key[300], title[600], since[UTIL_ISO_TIME_LEN], due[UTIL_ISO_TIME_LEN];
	snprintf(key, sizeof(key), "gap:%s", s->name);
	util_time_iso(last ? last : first, since);
	util_time_iso(deadline, due);
	if (last)
		snprintf(title, sizeof(title), "No fresh evidence from source %s (%s) since %s; it was due by %s", s->name,
			 type, since, due);
	else
		snprintf(title, sizeof(title), "Source %s (%s) has never collected evidence successfully (first tried %s)",
			 s->name, type, since);
	double age_h = ((double)now - (double)(last ? last : first)) / 3600.0;
	double limit_h = ((double)deadline - (double)(last ? last : first)) / 3600.0;
	int64_t last_run = scalar(st, "SELECT max(id) FROM runs WHERE source = ?", s->name);
	json_t *ev = json_pack("{s:[I], s:[]}", "runs", (json_int_t)last_run, "items");
	const char *severity = age_h > 3 * limit_h ? "major" : "minor";
	struct nc_observation o = { key, "evidence-gap", title, controls, NULL, s->name, 1, age_h, limit_h,
				    severity, config_get(s, "owner"), ev, breached };
	enum nc_outcome out;
	int64_t id;
	int r = nc_observe(st, &o, now, &out, &id);
	log_outcome(r, out, id, title);
	json_decref(ev);
	json_decref(controls);
	return r;
}

/* When an activity was last done (0: never). */
static time_t activity_done(struct store *st, const struct config_section *a)
{
	json_t *sources = config_split_list(config_get(a, "sources"));
	json_t *kpis = config_split_list(config_get(a, "kpis"));
	time_t done = 0;
	if (json_array_size(sources) == 0 && json_array_size(kpis) == 0) {
		char src[300];
		snprintf(src, sizeof(src), "activity:%s", a->name);
		done = (time_t)scalar(st,
				      "SELECT max(e.collected_at) FROM evidence e JOIN runs r ON r.id = e.run_id"
				      " WHERE r.outcome = 'success' AND e.source = ? AND e.kind = 'activity.attestation'",
				      src);
	} else {
		int first = 1;
		size_t i;
		json_t *v;
		json_array_foreach(sources, i, v)
		{
			time_t t = (time_t)scalar(st, "SELECT max(started_at) FROM runs WHERE source = ? AND outcome = 'success'",
						  json_string_value(v));
			done = first || t < done ? t : done;
			first = 0;
		}
		json_array_foreach(kpis, i, v)
		{
			time_t t = (time_t)scalar(st, "SELECT max(evaluated_at) FROM kpi_values WHERE kpi = ? AND verdict != 'no-data'",
						  json_string_value(v));
			done = first || t < done ? t : done;
			first = 0;
		}
	}
	json_decref(sources);
	json_decref(kpis);
	return done;
}

struct activity_state {
	time_t done, due, deadline;
	int manual;
};

static int activity_state(struct store *st, const struct config *cfg, const struct config_section *a,
			  struct activity_state *as)
{
	struct sched_cadence cad;
	char err[256];
	if (sched_cadence_parse(config_get_default(a, "schedule", "annually"), &cad, err, sizeof(err)) < 0)
		return -1;
	as->manual = config_get(a, "sources") == NULL && config_get(a, "kpis") == NULL;
	as->done = activity_done(st, a);
	/* never done: count from when ismsd first collected evidence */
	time_t ref = as->done ? as->done : (time_t)scalar(st, "SELECT min(started_at) FROM runs", NULL);
	if (ref == 0)
		return -1;
	as->due = sched_slot_after(&cad, ref, cfg->daemon.timezone);
	as->deadline = as->due + (time_t)grace_of(a, &cad);
	return 0;
}

static int activity_check(struct store *st, const struct config *cfg, const struct config_section *a, time_t now,
			  time_t *next)
{
	struct activity_state as;
	if (activity_state(st, cfg, a, &as) < 0)
		return 0;
	earliest(next, as.deadline, now);
	int breached = now > as.deadline;
	char key[300], title[600], due[UTIL_ISO_TIME_LEN];
	snprintf(key, sizeof(key), "activity:%s", a->name);
	util_time_iso(as.due, due);
	snprintf(title, sizeof(title), "%s activity %s (%s) is overdue: it was due %s", as.manual ? "Manual" : "Automated",
		 a->name, config_get_default(a, "schedule", ""), due);
	json_t *controls = config_split_list(config_get(a, "controls"));
	json_t *ev = json_pack("{s:[], s:[]}", "runs", "items");
	double age_d = as.done ? ((double)now - (double)as.done) / 86400.0 : 0;
	struct nc_observation o = { key, "activity-overdue", title, controls, NULL, a->name, as.done != 0, age_d,
				    ((double)as.deadline - (double)(as.done ? as.done : as.due)) / 86400.0, "minor",
				    config_get(a, "owner"), ev, breached };
	enum nc_outcome out;
	int64_t id;
	int r = nc_observe(st, &o, now, &out, &id);
	log_outcome(r, out, id, title);
	json_decref(controls);
	json_decref(ev);
	return r;
}

int calendar_evaluate(struct store *st, const struct config *cfg, time_t now, time_t *next)
{
	*next = 0;
	int r = store_begin(st);
	if (r < 0)
		return r;
	for (const struct config_section *s = config_next(cfg, "source", NULL); r == 0 && s;
	     s = config_next(cfg, "source", s))
		r = gap_check(st, cfg, s, now, next);
	for (const struct config_section *a = config_next(cfg, "activity", NULL); r == 0 && a;
	     a = config_next(cfg, "activity", a))
		r = activity_check(st, cfg, a, now, next);
	/* corrective actions escalate at their due date, runs or not */
	int escalated = 0;
	if (r == 0)
		r = nc_escalate(st, now, &escalated);
	if (r == 0 && escalated > 0)
		log_notice("%d nonconformity corrective action(s) escalated: past their due date", escalated);
	if (r == 0) {
		time_t due = (time_t)scalar(st,
					    "SELECT min(due_at) FROM ncs WHERE state = 'action-planned' AND escalated_at IS NULL"
					    " AND due_at IS NOT NULL",
					    NULL);
		earliest(next, due, now);
	}
	if (r < 0) {
		store_rollback(st);
		return r;
	}
	return store_commit(st);
}

int calendar_attest(struct store *st, const struct config *cfg, const char *activity, const char *file,
		    const char *note, const char *actor, time_t now, int64_t *evidence_id, char *err, size_t errlen)
{
	const struct config_section *a = config_find(cfg, "activity", activity);
	if (a == NULL) {
		snprintf(err, errlen, "no [activity %s] in the configuration", activity);
		return -1;
	}
	if (config_get(a, "sources") != NULL || config_get(a, "kpis") != NULL) {
		snprintf(err, errlen,
			 "activity %s is automated: it is done when its %s run, not by an attestation", activity,
			 config_get(a, "sources") ? "sources" : "KPIs");
		return -1;
	}
	char *data = NULL;
	size_t len = 0;
	int rr = util_read_file(file, ATTEST_MAX, &data, &len);
	if (rr < 0) {
		snprintf(err, errlen, "cannot read %s: %s", file, rr == -EFBIG ? "larger than 64 MiB" : strerror(-rr));
		return -1;
	}
	char hash[UTIL_SHA256_HEX_LEN + 1];
	util_sha256_hex(data, len, hash);
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	char src[300], url[600];
	snprintf(src, sizeof(src), "activity:%s", activity);
	snprintf(url, sizeof(url), "attestation:%s", base);
	int64_t run = 0, page = 0;
	int r = store_run_begin(st, src, "attestation", now, &run);
	if (r == 0)
		r = store_add_page(st, run, src, now, url, 0, data, len, &page);
	free(data);
	json_t *fact = json_pack("{s:s, s:s, s:s, s:I, s:s?, s:s, s:o}", "activity", activity, "file", base, "sha256",
				 hash, "size", (json_int_t)len, "note", note, "attested_by", actor, "controls",
				 config_split_list(config_get(a, "controls")));
	char *txt = fact ? json_dumps(fact, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII) : NULL;
	json_decref(fact);
	if (r == 0 && txt == NULL)
		r = -ENOMEM;
	if (r == 0)
		r = store_add_fact(st, run, src, "activity.attestation", now, now, NULL, 0, txt, strlen(txt), page,
				   evidence_id);
	free(txt);
	if (r == 0)
		r = store_run_commit(st, run, now, NULL);
	if (r < 0) {
		snprintf(err, errlen, "cannot store the attestation: %s", store_errmsg(st));
		if (run > 0)
			store_run_abort(st, run, now, "failed", err);
		return -1;
	}
	time_t next;
	if (calendar_evaluate(st, cfg, now, &next) < 0) {
		snprintf(err, errlen, "attested, but the calendar could not be re-evaluated: %s", store_errmsg(st));
		return -1;
	}
	return 0;
}

int calendar_list(struct store *st, const struct config *cfg, time_t now, json_t **out)
{
	json_t *arr = json_array();
	for (const struct config_section *a = config_next(cfg, "activity", NULL); a; a = config_next(cfg, "activity", a)) {
		struct activity_state as = { 0 };
		int have = activity_state(st, cfg, a, &as) == 0;
		char done[UTIL_ISO_TIME_LEN], due[UTIL_ISO_TIME_LEN];
		util_time_iso(as.done, done);
		util_time_iso(as.due, due);
		json_t *o = json_pack("{s:s, s:s, s:s?, s:o, s:s, s:o, s:o, s:b}", "name", a->name, "schedule",
				      config_get_default(a, "schedule", ""), "owner", config_get(a, "owner"), "controls",
				      config_split_list(config_get(a, "controls")), "kind",
				      config_get(a, "sources")	 ? "sources"
				      : config_get(a, "kpis") ? "kpis"
								: "manual",
				      "last_done", as.done ? json_string(done) : json_null(), "next_due",
				      have ? json_string(due) : json_null(), "overdue", have && now > as.deadline);
		json_array_append_new(arr, o);
	}
	*out = arr;
	return 0;
}

/* ---- adherence over a period (reports) ------------------------------------- */

struct times {
	time_t *v;
	size_t n, cap;
};

static int row_time(void *arg, const struct store_val *c, size_t n)
{
	struct times *t = arg;
	if (n < 1 || c[0].type != STORE_INT)
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		time_t *v = realloc(t->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = (time_t)c[0].i;
	return 0;
}

/* Whether one completion of list falls in (from, to]. */
static int any_in(const struct times *t, time_t from, time_t to)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i] > from && t->v[i] <= to)
			return 1;
	return 0;
}

/* The times an activity was done: the successful runs of each of its
 * sources, the KPI evaluations with data, or its attestations.  With
 * several sources or KPIs, a slot is done when every one of them is. */
static int completions(struct store *st, const struct config_section *a, struct times **out, size_t *n_out)
{
	json_t *sources = config_split_list(config_get(a, "sources"));
	json_t *kpis = config_split_list(config_get(a, "kpis"));
	size_t n = json_array_size(sources) + json_array_size(kpis);
	struct times *t = calloc(n ? n : 1, sizeof(*t));
	int r = t ? 0 : -ENOMEM;
	size_t k = 0, i;
	json_t *v;
	if (r == 0 && n == 0) {
		char src[300];
		snprintf(src, sizeof(src), "activity:%s", a->name);
		struct store_val arg = STORE_V_TEXT(src);
		r = store_query(st,
				"SELECT e.collected_at FROM evidence e JOIN runs r ON r.id = e.run_id"
				" WHERE r.outcome = 'success' AND e.source = ? AND e.kind = 'activity.attestation'"
				" ORDER BY 1",
				&arg, 1, row_time, &t[0], NULL);
		k = 1;
	}
	json_array_foreach(sources, i, v)
	{
		struct store_val arg = STORE_V_TEXT(json_string_value(v));
		if (r == 0)
			r = store_query(st, "SELECT started_at FROM runs WHERE source = ? AND outcome = 'success' ORDER BY 1",
					&arg, 1, row_time, &t[k++], NULL);
	}
	json_array_foreach(kpis, i, v)
	{
		struct store_val arg = STORE_V_TEXT(json_string_value(v));
		if (r == 0)
			r = store_query(st,
					"SELECT evaluated_at FROM kpi_values WHERE kpi = ? AND verdict != 'no-data' ORDER BY 1",
					&arg, 1, row_time, &t[k++], NULL);
	}
	json_decref(sources);
	json_decref(kpis);
	*out = t;
	*n_out = k;
	return r;
}

int calendar_adherence(struct store *st, const struct config *cfg, time_t start, time_t end, time_t now,
		       json_t **out)
{
	*out = NULL;
	json_t *arr = json_array();
	int r = arr ? 0 : -ENOMEM;
	time_t stop = end < now ? end : now;
	/* Slots before ismsd first collected anything were not tracked. */
	time_t tracked = (time_t)scalar(st, "SELECT min(started_at) FROM runs", NULL);
	if (tracked > start)
		start = tracked;
	for (const struct config_section *a = config_next(cfg, "activity", NULL); r == 0 && a;
	     a = config_next(cfg, "activity", a)) {
		struct sched_cadence cad;
		char err[256];
		if (sched_cadence_parse(config_get_default(a, "schedule", "annually"), &cad, err, sizeof(err)) < 0)
			continue;
		time_t grace = (time_t)grace_of(a, &cad);
		struct times *t = NULL;
		size_t nt = 0;
		r = completions(st, a, &t, &nt);
		long planned = 0, done = 0;
		time_t last_done = 0;
		/* Slot s is due at s; it is done by a completion after the slot
		 * before it and no later than s + grace.  Slots whose deadline
		 * has not passed by the end (or now) are not counted yet. */
		time_t first = sched_slot_after(&cad, start - 1, cfg->daemon.timezone);
		time_t prev = first - (time_t)sched_cadence_period(&cad);
		for (time_t s = first; r == 0 && s < end && s > 0; s = sched_slot_after(&cad, s, cfg->daemon.timezone)) {
			if (s + grace > stop)
				break;
			planned++;
			int ok = nt > 0;
			for (size_t i = 0; i < nt; i++)
				ok = ok && any_in(&t[i], prev, s + grace);
			done += ok;
			prev = s;
		}
		for (size_t i = 0; i < nt; i++) {
			for (size_t j = 0; j < t[i].n; j++)
				if (t[i].v[j] >= start && t[i].v[j] < end && t[i].v[j] > last_done)
					last_done = t[i].v[j];
			free(t[i].v);
		}
		free(t);
		char ld[UTIL_ISO_TIME_LEN];
		util_time_iso(last_done, ld);
		json_t *o = json_pack("{s:s, s:s, s:s?, s:s, s:o, s:I, s:I, s:I, s:o, s:o}", "name", a->name, "schedule",
				      config_get_default(a, "schedule", ""), "owner", config_get(a, "owner"), "kind",
				      config_get(a, "sources")	 ? "sources"
				      : config_get(a, "kpis") ? "kpis"
								: "attested",
				      "controls", config_split_list(config_get(a, "controls")), "planned",
				      (json_int_t)planned, "done", (json_int_t)done, "missed", (json_int_t)(planned - done),
				      "adherence", planned ? json_real((double)done / (double)planned) : json_null(),
				      "last_done", last_done ? json_string(ld) : json_null());
		if (o == NULL || json_array_append_new(arr, o) < 0)
			r = -ENOMEM;
	}
	if (r < 0) {
		json_decref(arr);
		return r;
	}
	*out = arr;
	return 0;
}
