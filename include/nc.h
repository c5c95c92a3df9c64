/*
 * nc.h: nonconformities and their corrective-action lifecycle (ISO/IEC
 * 27001:2022 clause 10.2).
 *
 * States: open -> acknowledged -> action-planned (root cause, action,
 * owner, due date) -> resolved -> closed (effectiveness verified).  A
 * breach raises one NC per key (a KPI and scope, a source's evidence gap,
 * an overdue activity) and updates it while it is not closed.  When the
 * condition recovers, the NC's condition becomes "recovered" (awaiting
 * verification): it is never closed by ismsd itself.  A new breach of a
 * resolved or closed NC reopens it.  An action past its due date escalates.
 * Every transition is kept in nc_history, which the store makes
 * append-only.
 *
 * All functions take a store connection; nc_observe() and nc_escalate() are
 * meant to run inside the caller's transaction (store_begin()).
 */
#ifndef ISMSD_NC_H
#define ISMSD_NC_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

struct store;

/* What nc_observe() did. */
enum nc_outcome {
	NC_NONE,      /* nothing to do */
	NC_RAISED,    /* a new NC */
	NC_UPDATED,   /* an NC that was already open saw the breach again */
	NC_REOPENED,  /* a resolved or closed NC breached again */
	NC_RECOVERED, /* the condition recovered; awaiting verification */
};

struct nc_observation {
	const char *key;      /* "kpi:<name>:<scope>", "gap:<source>", "activity:<name>" */
	const char *kind;     /* "kpi", "evidence-gap", "activity-overdue" */
	const char *title;
	const json_t *controls; /* array of control ids */
	const char *kpi;      /* or NULL */
	const char *scope;    /* or NULL */
	int have_value;
	double observed;
	double threshold;
	const char *severity; /* "minor" or "major" */
	const char *owner;    /* or NULL */
	const json_t *evidence; /* array of evidence ids */
	int breached;
};

/* Applies one observation.  *nc_id receives the NC concerned (0 when none).
 * Returns 0 or a negative store error. */
int nc_observe(struct store *st, const struct nc_observation *o, time_t now, enum nc_outcome *out, int64_t *nc_id);

/* Escalates action-planned NCs whose due date has passed (once each).
 * *count receives how many were escalated. */
int nc_escalate(struct store *st, time_t now, int *count);

/* Operator transitions, from ismsctl. */
enum nc_action { NC_ACK, NC_PLAN, NC_RESOLVE, NC_CLOSE, NC_REOPEN };

struct nc_plan {
	const char *root_cause;
	const char *action;
	const char *owner;
	time_t due;
};

/*
 * Moves NC id by action, recording actor and note.  NC_PLAN needs plan;
 * NC_RESOLVE, NC_CLOSE and NC_REOPEN need a note.  Returns 0, -ENOENT for an
 * unknown id, or -EINVAL with the reason in err (a transition the
 * lifecycle does not allow).  Runs in its own transaction.
 */
int nc_transition(struct store *st, int64_t id, enum nc_action action, const char *actor, const char *note,
		  const struct nc_plan *plan, time_t now, char *err, size_t errlen);

/* NCs as JSON (newest first).  state_filter: NULL for all, "open" for every
 * state but closed, or one state name. */
int nc_list(struct store *st, const char *state_filter, json_t **out);

/* One NC with its history, or -ENOENT. */
int nc_get(struct store *st, int64_t id, json_t **out);

#endif
