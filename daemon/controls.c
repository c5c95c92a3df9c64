/*
 * controls.c: the per-control view joining the catalog, the SoA, the
 * evidence, the KPIs and the nonconformities.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "controls.h"
#include "kpi.h"
#include "nc.h"
#include "soa.h"
#include "store.h"
#include "util.h"

struct tally {
	long long count;
	long long freshest;
};

struct ctx {
	struct tally *t; /* one per catalog control */
	const struct config *cfg;
};

static void credit(struct ctx *x, const char *control, long long n, long long when)
{
	int i = catalog_index(control);
	if (i < 0)
		return;
	x->t[i].count += n;
	if (when > x->t[i].freshest)
		x->t[i].freshest = when;
}

/* Credits n facts seen at when to the controls of (source, kind or category). */
static void credit_all(struct ctx *x, const char *source, const char *const *defaults, long long n, long long when)
{
	const struct config_section *s = config_find(x->cfg, "source", source);
	const char *override = s ? config_get(s, "controls") : NULL;
	if (override != NULL) {
		char *copy = strdup(override);
		char *save = NULL;
		for (char *t = copy ? strtok_r(copy, ", ", &save) : NULL; t; t = strtok_r(NULL, ", ", &save)) {
			const char *ids[CATALOG_MAX_TARGETS];
			size_t k = catalog_resolve(t, ids, CATALOG_MAX_TARGETS);
			for (size_t j = 0; j < k; j++)
				credit(x, ids[j], n, when);
		}
		free(copy);
		return;
	}
	for (size_t i = 0; defaults && defaults[i]; i++)
		credit(x, defaults[i], n, when);
}

static int row_kinds(void *arg, const struct store_val *c, size_t n)
{
	struct ctx *x = arg;
	if (n < 4 || c[0].type != STORE_TEXT || c[1].type != STORE_TEXT)
		return 0;
	credit_all(x, c[0].s, catalog_kind_controls(c[1].s), c[2].i, c[3].i);
	return 0;
}

static int row_categories(void *arg, const struct store_val *c, size_t n)
{
	struct ctx *x = arg;
	if (n < 4 || c[0].type != STORE_TEXT || c[1].type != STORE_TEXT)
		return 0;
	const struct config_section *s = config_find(x->cfg, "source", c[0].s);
	if (s != NULL && config_get(s, "controls") != NULL)
		return 0; /* the override already took every fact of the source */
	credit_all(x, c[0].s, catalog_category_controls(c[1].s), c[2].i, c[3].i);
	return 0;
}

/* Non-zero when ref (a 2022 id, with or without "A.", or a 2013 id) is id. */
static int ref_is(const char *ref, size_t len, const char *id)
{
	char buf[32];
	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, ref, len);
	buf[len] = '\0';
	const char *ids[CATALOG_MAX_TARGETS];
	size_t n = catalog_resolve(buf, ids, CATALOG_MAX_TARGETS);
	for (size_t i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return 1;
	return 0;
}

static int has_control(json_t *arr, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	if (json_is_string(v) && ref_is(json_string_value(v), json_string_length(v), id))
		return 1;
	return 0;
}

/* Attestations count for the controls their activity names. */
static int row_attested(void *arg, const struct store_val *c, size_t n)
{
	struct ctx *x = arg;
	if (n < 3 || c[0].type != STORE_TEXT)
		return 0;
	const char *ids[CATALOG_MAX_TARGETS];
	size_t k = catalog_resolve(c[0].s, ids, CATALOG_MAX_TARGETS);
	for (size_t i = 0; i < k; i++)
		credit(x, ids[i], c[1].i, c[2].i);
	return 0;
}

/* The controls a KPI names: its [kpi] override, else its definition. */
static int kpi_names_control(const struct config *cfg, const char *kpi, const char *id)
{
	const struct kpi_def *d = kpi_def_find(kpi);
	const struct config_section *s = config_find(cfg, "kpi", kpi);
	const char *list = s && config_get(s, "controls") ? config_get(s, "controls") : d ? d->controls : NULL;
	if (list == NULL)
		return 0;
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t k = strcspn(p, ", ");
		if (ref_is(p, k, id))
			return 1;
		p += k;
	}
	return 0;
}

json_t *controls_of_kpi(const struct config *cfg, const char *kpi)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < catalog_count(); i++)
		if (kpi_names_control(cfg, kpi, catalog_at(i)->id))
			json_array_append_new(arr, json_string(catalog_at(i)->id));
	return arr;
}

int controls_list(struct store *st, const struct config *cfg, const struct soa *soa, json_t **out)
{
	return controls_list_window(st, cfg, soa, 0, INT64_MAX, out);
}

int controls_list_window(struct store *st, const struct config *cfg, const struct soa *soa, int64_t from, int64_t to,
			 json_t **out)
{
	struct store_val win[] = { STORE_V_INT(from), STORE_V_INT(to) };
	size_t n = catalog_count();
	struct ctx x = { calloc(n, sizeof(struct tally)), cfg };
	json_t *kpis = NULL, *ncs = NULL, *arr = NULL;
	int r = -1;
	if (x.t == NULL)
		goto out;
	r = store_query(st,
			"SELECT rk.source, rk.kind, sum(rk.facts), max(r.finished_at) FROM run_kinds rk"
			" JOIN runs r ON r.id = rk.run_id WHERE r.finished_at >= ? AND r.finished_at < ?"
			" GROUP BY rk.source, rk.kind",
			win, 2, row_kinds, &x, NULL);
	if (r == 0)
		r = store_query(st,
				"SELECT e.source, c.value, count(*), max(e.observed_at) FROM evidence e"
				" JOIN runs r ON r.id = e.run_id AND r.outcome = 'success',"
				" json_each(e.payload, '$.categories') c WHERE e.kind = 'audit.event'"
				" AND r.finished_at >= ? AND r.finished_at < ? GROUP BY e.source, c.value",
				win, 2, row_categories, &x, NULL);
	if (r == 0)
		r = store_query(st,
				"SELECT c.value, count(*), max(e.collected_at) FROM evidence e"
				" JOIN runs r ON r.id = e.run_id AND r.outcome = 'success',"
				" json_each(e.payload, '$.controls') c WHERE e.kind = 'activity.attestation'"
				" AND r.finished_at >= ? AND r.finished_at < ? GROUP BY c.value",
				win, 2, row_attested, &x, NULL);
	if (r == 0)
		r = kpi_latest(st, cfg, &kpis);
	if (r == 0)
		r = nc_list(st, "open", &ncs);
	if (r < 0)
		goto out;
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct catalog_control *c = catalog_at(i);
		const struct soa_entry *e = soa ? soa_at(soa, i) : NULL;
		json_t *o = json_pack("{s:s, s:s, s:s}", "id", c->id, "title", c->title, "theme", c->theme);
		json_t *js = json_null();
		if (e != NULL && e->present)
			js = json_pack("{s:b, s:s, s:s, s:s}", "applicable", e->applicable, "status",
				       soa_status_name(e->status), "owner", e->owner, "justification", e->justification);
		json_object_set_new(o, "soa", js);
		json_object_set_new(o, "evidence_count", json_integer(x.t[i].count));
		char when[UTIL_ISO_TIME_LEN];
		util_time_iso((time_t)x.t[i].freshest, when);
		json_object_set_new(o, "freshest_evidence", x.t[i].freshest ? json_string(when) : json_null());
		json_t *kv = json_array();
		size_t k;
		json_t *row;
		json_array_foreach(kpis, k, row)
		{
			const char *name = json_string_value(json_object_get(row, "kpi"));
			if (name && kpi_names_control(cfg, name, c->id))
				json_array_append_new(kv, json_pack("{s:O, s:O, s:O, s:O}", "kpi", json_object_get(row, "kpi"),
								    "scope", json_object_get(row, "scope"), "verdict",
								    json_object_get(row, "verdict"), "value",
								    json_object_get(row, "value")));
		}
		json_object_set_new(o, "kpis", kv);
		json_t *open = json_array();
		json_array_foreach(ncs, k, row)
		if (has_control(json_object_get(row, "controls"), c->id))
			json_array_append(open, json_object_get(row, "id"));
		json_object_set_new(o, "open_ncs", open);
		json_t *flags = json_array();
		if (e != NULL && e->present && !e->applicable && x.t[i].count > 0)
			json_array_append_new(flags, json_string("evidence maps to a control the SoA excludes"));
		if (soa != NULL && (e == NULL || !e->present))
			json_array_append_new(flags, json_string("not in the SoA"));
		json_object_set_new(o, "flags", flags);
		json_array_append_new(arr, o);
	}
	*out = arr;
	arr = NULL;
	r = 0;
out:
	json_decref(arr);
	json_decref(kpis);
	json_decref(ncs);
	free(x.t);
	return r;
}
