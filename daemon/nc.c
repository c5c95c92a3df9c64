/*
 * nc.c: nonconformities: raising, updating, recovering and reopening them
 * from observations, escalating overdue actions, and the operator's
 * transitions, each recorded in the append-only history.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver.h"
#include "nc.h"
#include "store.h"
#include "util.h"

#define SYSTEM_ACTOR "ismsd"

#define NC_COLUMNS                                                                                           \
	"id, key, kind, title, controls, kpi, scope, observed, threshold, severity, owner, state, condition, " \
	"detected_at, updated_at, evidence, root_cause, action, action_owner, due_at, escalated_at"

struct nc_row {
	int found;
	int64_t id;
	char state[32];
	char condition[16];
};

static int take_row(void *arg, const struct store_val *c, size_t n)
{
	struct nc_row *r = arg;
	if (n < 3)
		return 0;
	r->found = 1;
	r->id = c[0].i;
	snprintf(r->state, sizeof(r->state), "%s", c[1].s ? c[1].s : "");
	snprintf(r->condition, sizeof(r->condition), "%s", c[2].s ? c[2].s : "");
	return 1;
}

static int nc_row_json(void *arg, const struct store_val *c, size_t n);

/* The webhook event type of a history event on an NC of a kind. */
static const char *event_type(const char *event, const char *kind)
{
	if (strcmp(event, "raised") == 0)
		return strcmp(kind, "evidence-gap") == 0	  ? "evidence.gap"
		       : strcmp(kind, "activity-overdue") == 0 ? "activity.overdue"
								 : "nonconformity.raised";
	if (strcmp(event, "recovered") == 0)
		return "nonconformity.recovered";
	if (strcmp(event, "closed") == 0)
		return "nonconformity.closed";
	if (strcmp(event, "escalated") == 0)
		return "nonconformity.escalated";
	return "nonconformity.updated";
}

/* Writes the webhook event of a history entry into the outbox, in the
 * caller's transaction. */
static int emit(struct store *st, int64_t id, time_t now, const char *actor, const char *event, const char *note)
{
	json_t *rows = json_array();
	struct store_val k[] = { STORE_V_INT(id) };
	int r = store_query(st, "SELECT " NC_COLUMNS " FROM ncs WHERE id = ?", k, 1, nc_row_json, rows, NULL);
	json_t *nc = json_array_get(rows, 0);
	if (r < 0 || nc == NULL) {
		json_decref(rows);
		return r < 0 ? r : -ENOENT;
	}
	json_t *data = json_deep_copy(nc);
	json_decref(rows);
	json_object_set_new(data, "nc_id", json_integer(id));
	json_object_del(data, "id");
	json_object_set_new(data, "event", json_string(event));
	json_object_set_new(data, "actor", json_string(actor));
	json_object_set_new(data, "note", note ? json_string(note) : json_null());
	char link[64];
	snprintf(link, sizeof(link), "ismsctl nc show %lld", (long long)id);
	json_object_set_new(data, "link", json_string(link));
	const char *type = event_type(event, json_string_value(json_object_get(data, "kind")));
	r = deliver_outbox_put(st, type, id, data, now, NULL);
	json_decref(data);
	return r;
}

/* Appends to the NC's history and writes the matching webhook event, in
 * the caller's transaction. */
static int history(struct store *st, int64_t id, time_t now, const char *actor, const char *event, const char *from,
		   const char *to, const char *note)
{
	struct store_val a[] = { STORE_V_INT(id), STORE_V_INT(now), STORE_V_TEXT(actor), STORE_V_TEXT(event),
				 STORE_V_TEXT(from), STORE_V_TEXT(to), STORE_V_TEXT(note) };
	int r = store_query(st,
			    "INSERT INTO nc_history(nc_id, at, actor, event, from_state, to_state, note)"
			    " VALUES (?, ?, ?, ?, ?, ?, ?)",
			    a, 7, NULL, NULL, NULL);
	return r < 0 ? r : emit(st, id, now, actor, event, note);
}

static char *value_note(const struct nc_observation *o, const char *what)
{
	char *s = NULL;
	if (o->have_value) {
		if (asprintf(&s, "%s: observed %g, threshold %g", what, o->observed, o->threshold) < 0)
			s = NULL;
	} else {
		s = strdup(what);
	}
	return s;
}

int nc_observe(struct store *st, const struct nc_observation *o, time_t now, enum nc_outcome *out, int64_t *nc_id)
{
	*out = NC_NONE;
	*nc_id = 0;
	/* the NC for this key that is not closed, else the last closed one */
	struct nc_row cur = { 0 };
	struct store_val k[] = { STORE_V_TEXT(o->key) };
	int r = store_query(st,
			    "SELECT id, state, condition FROM ncs WHERE key = ? ORDER BY state = 'closed', id DESC LIMIT 1",
			    k, 1, take_row, &cur, NULL);
	if (r < 0)
		return r;
	r = 0;
	char *controls = json_dumps(o->controls, JSON_COMPACT);
	char *evidence = json_dumps(o->evidence, JSON_COMPACT);
	char *note = NULL;
	if (controls == NULL || evidence == NULL) {
		r = -ENOMEM;
		goto out;
	}
	struct store_val val = o->have_value ? STORE_V_REAL(o->observed) : STORE_V_NULL;
	if (!o->breached) {
		if (cur.found && strcmp(cur.state, "closed") != 0 && strcmp(cur.condition, "active") == 0) {
			struct store_val a[] = { val, STORE_V_INT(now), STORE_V_INT(cur.id) };
			r = store_query(st, "UPDATE ncs SET condition = 'recovered', observed = ?, updated_at = ? WHERE id = ?",
					a, 3, NULL, NULL, NULL);
			note = value_note(o, "recovered, awaiting verification");
			if (r == 0)
				r = history(st, cur.id, now, SYSTEM_ACTOR, "recovered", cur.state, cur.state, note);
			if (r == 0) {
				*out = NC_RECOVERED;
				*nc_id = cur.id;
			}
		}
		goto out;
	}
	if (!cur.found) {
		struct store_val a[] = { STORE_V_TEXT(o->key),	    STORE_V_TEXT(o->kind), STORE_V_TEXT(o->title),
					 STORE_V_TEXT(controls),    STORE_V_TEXT(o->kpi),  STORE_V_TEXT(o->scope),
					 val,			    STORE_V_REAL(o->threshold), STORE_V_TEXT(o->severity),
					 STORE_V_TEXT(o->owner),    STORE_V_INT(now),	   STORE_V_INT(now),
					 STORE_V_TEXT(evidence) };
		r = store_query(st,
				"INSERT INTO ncs(key, kind, title, controls, kpi, scope, observed, threshold, severity, owner,"
				" state, condition, detected_at, updated_at, evidence)"
				" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', 'active', ?, ?, ?)",
				a, 13, NULL, NULL, NULL);
		if (r < 0)
			goto out;
		*nc_id = store_last_id(st);
		note = value_note(o, "raised");
		r = history(st, *nc_id, now, SYSTEM_ACTOR, "raised", NULL, "open", note);
		if (r == 0)
			*out = NC_RAISED;
		goto out;
	}
	*nc_id = cur.id;
	int reopen = strcmp(cur.state, "resolved") == 0 || strcmp(cur.state, "closed") == 0;
	struct store_val a[] = { val,
				 STORE_V_REAL(o->threshold),
				 STORE_V_TEXT(o->severity),
				 STORE_V_TEXT(evidence),
				 STORE_V_INT(now),
				 STORE_V_TEXT(reopen ? "open" : cur.state),
				 STORE_V_TEXT(o->title),
				 STORE_V_TEXT(controls),
				 STORE_V_INT(cur.id) };
	r = store_query(st,
			"UPDATE ncs SET observed = ?, threshold = ?, severity = ?, evidence = ?, updated_at = ?,"
			" state = ?, title = ?, controls = ?, condition = 'active' WHERE id = ?",
			a, 9, NULL, NULL, NULL);
	if (r < 0)
		goto out;
	if (reopen) {
		note = value_note(o, "reopened: the nonconformity recurred");
		r = history(st, cur.id, now, SYSTEM_ACTOR, "reopened", cur.state, "open", note);
		*out = NC_REOPENED;
	} else if (strcmp(cur.condition, "recovered") == 0) {
		note = value_note(o, "breached again before verification");
		r = history(st, cur.id, now, SYSTEM_ACTOR, "recurred", cur.state, cur.state, note);
		*out = NC_UPDATED;
	} else {
		*out = NC_UPDATED; /* still breached: the row is updated, no history line per evaluation */
	}
out:
	free(note);
	free(controls);
	free(evidence);
	return r;
}

struct id_list {
	int64_t ids[256];
	size_t n;
};

static int take_id(void *arg, const struct store_val *c, size_t n)
{
	struct id_list *l = arg;
	if (n > 0 && l->n < 256)
		l->ids[l->n++] = c[0].i;
	return 0;
}

int nc_escalate(struct store *st, time_t now, int *count)
{
	*count = 0;
	struct id_list l = { .n = 0 };
	struct store_val a[] = { STORE_V_INT(now) };
	int r = store_query(st,
			    "SELECT id FROM ncs WHERE state = 'action-planned' AND due_at < ? AND escalated_at IS NULL",
			    a, 1, take_id, &l, NULL);
	for (size_t i = 0; r == 0 && i < l.n; i++) {
		struct store_val b[] = { STORE_V_INT(now), STORE_V_INT(l.ids[i]) };
		r = store_query(st, "UPDATE ncs SET escalated_at = ?, updated_at = ?1 WHERE id = ?2", b, 2, NULL, NULL,
				NULL);
		if (r == 0)
			r = history(st, l.ids[i], now, SYSTEM_ACTOR, "escalated", "action-planned", "action-planned",
				    "escalated: the corrective action is past its due date");
		if (r == 0)
			(*count)++;
	}
	return r;
}

static const char *action_name(enum nc_action a)
{
	static const char *const names[] = { "acknowledged", "planned", "resolved", "closed", "reopened" };
	return names[a];
}

int nc_transition(struct store *st, int64_t id, enum nc_action action, const char *actor, const char *note,
		  const struct nc_plan *plan, time_t now, char *err, size_t errlen)
{
	if ((action == NC_RESOLVE || action == NC_CLOSE || action == NC_REOPEN) && (note == NULL || *note == '\0')) {
		snprintf(err, errlen, "a note is required to %s",
			 action == NC_RESOLVE ? "resolve (what was done)"
			 : action == NC_CLOSE ? "close (how effectiveness was verified)"
					      : "reopen (why)");
		return -EINVAL;
	}
	if (action == NC_PLAN && (plan == NULL || !plan->root_cause || !*plan->root_cause || !plan->action ||
				  !*plan->action || !plan->owner || !*plan->owner || plan->due <= 0)) {
		snprintf(err, errlen, "a plan needs a root cause, an action, an owner and a due date");
		return -EINVAL;
	}
	int r = store_begin(st);
	if (r < 0) {
		snprintf(err, errlen, "cannot write the store: %s", store_errmsg(st));
		return r;
	}
	struct nc_row cur = { 0 };
	struct store_val k[] = { STORE_V_INT(id) };
	r = store_query(st, "SELECT id, state, condition FROM ncs WHERE id = ?", k, 1, take_row, &cur, NULL);
	if (r < 0)
		goto fail;
	r = 0;
	if (!cur.found) {
		snprintf(err, errlen, "no nonconformity %lld", (long long)id);
		r = -ENOENT;
		goto fail;
	}
	const char *to = NULL;
	const char *s = cur.state;
	switch (action) {
	case NC_ACK:
		to = strcmp(s, "open") == 0 ? "acknowledged" : NULL;
		break;
	case NC_PLAN:
		to = strcmp(s, "open") == 0 || strcmp(s, "acknowledged") == 0 || strcmp(s, "action-planned") == 0
			     ? "action-planned"
			     : NULL;
		break;
	case NC_RESOLVE:
		to = strcmp(s, "action-planned") == 0 ? "resolved" : NULL;
		break;
	case NC_CLOSE:
		if (strcmp(s, "resolved") == 0 && strcmp(cur.condition, "active") == 0) {
			snprintf(err, errlen,
				 "nonconformity %lld still breaches; its effectiveness cannot be verified until it recovers",
				 (long long)id);
			r = -EINVAL;
			goto fail;
		}
		to = strcmp(s, "resolved") == 0 ? "closed" : NULL;
		break;
	case NC_REOPEN:
		to = strcmp(s, "resolved") == 0 || strcmp(s, "closed") == 0 ? "open" : NULL;
		break;
	}
	if (to == NULL) {
		static const char *const need[] = { "open", "open, acknowledged or action-planned", "action-planned",
						    "resolved", "resolved or closed" };
		snprintf(err, errlen, "nonconformity %lld is %s; it can be %s only when %s", (long long)id, s,
			 action_name(action), need[action]);
		r = -EINVAL;
		goto fail;
	}
	if (action == NC_PLAN) {
		struct store_val a[] = { STORE_V_TEXT(to), STORE_V_TEXT(plan->root_cause), STORE_V_TEXT(plan->action),
					 STORE_V_TEXT(plan->owner), STORE_V_INT(plan->due), STORE_V_INT(now), STORE_V_INT(id) };
		r = store_query(st,
				"UPDATE ncs SET state = ?, root_cause = ?, action = ?, action_owner = ?, due_at = ?,"
				" escalated_at = NULL, updated_at = ? WHERE id = ?",
				a, 7, NULL, NULL, NULL);
	} else if (action == NC_REOPEN) {
		struct store_val a[] = { STORE_V_INT(now), STORE_V_INT(id) };
		r = store_query(st, "UPDATE ncs SET state = 'open', condition = 'active', updated_at = ? WHERE id = ?", a, 2,
				NULL, NULL, NULL);
	} else {
		struct store_val a[] = { STORE_V_TEXT(to), STORE_V_INT(now), STORE_V_INT(id) };
		r = store_query(st, "UPDATE ncs SET state = ?, updated_at = ? WHERE id = ?", a, 3, NULL, NULL, NULL);
	}
	char *full = NULL;
	if (r == 0 && action == NC_PLAN) {
		char due[UTIL_ISO_TIME_LEN];
		util_time_iso(plan->due, due);
		if (asprintf(&full, "root cause: %s; action: %s; owner: %s; due: %s%s%s", plan->root_cause, plan->action,
			     plan->owner, due, note ? "; " : "", note ? note : "") < 0)
			full = NULL;
	}
	if (r == 0)
		r = history(st, id, now, actor, action_name(action), s, to, full ? full : note);
	free(full);
	if (r < 0)
		goto fail;
	r = store_commit(st);
	if (r < 0)
		snprintf(err, errlen, "cannot commit: %s", store_errmsg(st));
	return r;
fail:
	if (r != -EINVAL && r != -ENOENT)
		snprintf(err, errlen, "store error: %s", store_errmsg(st));
	store_rollback(st);
	return r;
}

/* ---- reading ---------------------------------------------------------------------- */

static json_t *iso_or_null(const struct store_val *v)
{
	if (v->type != STORE_INT)
		return json_null();
	char buf[UTIL_ISO_TIME_LEN];
	util_time_iso((time_t)v->i, buf);
	return json_string(buf);
}

static json_t *json_text_or_null(const struct store_val *v)
{
	if (v->type != STORE_TEXT)
		return json_null();
	json_error_t e;
	json_t *j = json_loads(v->s, JSON_DECODE_ANY, &e);
	return j ? j : json_string(v->s);
}

static json_t *str_or_null(const struct store_val *v)
{
	return v->type == STORE_TEXT ? json_string(v->s) : json_null();
}

static json_t *num_or_null(const struct store_val *v)
{
	return v->type == STORE_NULL ? json_null() : json_real(v->d);
}

static int nc_row_json(void *arg, const struct store_val *c, size_t n)
{
	json_t *arr = arg;
	if (n < 21)
		return -EIO;
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(c[0].i));
	json_object_set_new(o, "key", str_or_null(&c[1]));
	json_object_set_new(o, "kind", str_or_null(&c[2]));
	json_object_set_new(o, "title", str_or_null(&c[3]));
	json_object_set_new(o, "controls", json_text_or_null(&c[4]));
	json_object_set_new(o, "kpi", str_or_null(&c[5]));
	json_object_set_new(o, "scope", str_or_null(&c[6]));
	json_object_set_new(o, "observed", num_or_null(&c[7]));
	json_object_set_new(o, "threshold", num_or_null(&c[8]));
	json_object_set_new(o, "severity", str_or_null(&c[9]));
	json_object_set_new(o, "owner", str_or_null(&c[10]));
	json_object_set_new(o, "state", str_or_null(&c[11]));
	json_object_set_new(o, "condition", str_or_null(&c[12]));
	json_object_set_new(o, "detected_at", iso_or_null(&c[13]));
	json_object_set_new(o, "updated_at", iso_or_null(&c[14]));
	json_object_set_new(o, "evidence", json_text_or_null(&c[15]));
	json_t *ca = json_object();
	json_object_set_new(ca, "root_cause", str_or_null(&c[16]));
	json_object_set_new(ca, "action", str_or_null(&c[17]));
	json_object_set_new(ca, "owner", str_or_null(&c[18]));
	json_object_set_new(ca, "due_at", iso_or_null(&c[19]));
	json_object_set_new(o, "corrective_action", ca);
	json_object_set_new(o, "escalated_at", iso_or_null(&c[20]));
	json_array_append_new(arr, o);
	return 0;
}

int nc_list(struct store *st, const char *state_filter, json_t **out)
{
	json_t *arr = json_array();
	struct store_val a[] = { STORE_V_TEXT(state_filter) };
	int r = store_query(st,
			    "SELECT " NC_COLUMNS " FROM ncs WHERE ?1 IS NULL OR state = ?1"
			    " OR (?1 = 'open' AND state != 'closed') ORDER BY id DESC",
			    a, 1, nc_row_json, arr, NULL);
	if (r < 0) {
		json_decref(arr);
		return r;
	}
	*out = arr;
	return 0;
}

static int history_row(void *arg, const struct store_val *c, size_t n)
{
	json_t *arr = arg;
	if (n < 6)
		return -EIO;
	json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "at", iso_or_null(&c[0]), "actor",
					     str_or_null(&c[1]), "event", str_or_null(&c[2]), "from", str_or_null(&c[3]),
					     "to", str_or_null(&c[4]), "note", str_or_null(&c[5])));
	return 0;
}

int nc_get(struct store *st, int64_t id, json_t **out)
{
	json_t *arr = json_array();
	struct store_val a[] = { STORE_V_INT(id) };
	int r = store_query(st, "SELECT " NC_COLUMNS " FROM ncs WHERE id = ?", a, 1, nc_row_json, arr, NULL);
	if (r == 0 && json_array_size(arr) == 0)
		r = -ENOENT;
	if (r < 0) {
		json_decref(arr);
		return r;
	}
	json_t *nc = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	json_t *hist = json_array();
	r = store_query(st, "SELECT at, actor, event, from_state, to_state, note FROM nc_history WHERE nc_id = ? ORDER BY id",
			a, 1, history_row, hist, NULL);
	json_object_set_new(nc, "history", hist);
	if (r < 0) {
		json_decref(nc);
		return r;
	}
	*out = nc;
	return 0;
}
