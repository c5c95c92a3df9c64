/*
 * kpi.h: KPIs measured from evidence (ISO/IEC 27001:2022 clause 9.1).
 *
 * Each built-in KPI reads the facts of the latest successful run of every
 * source in its scope (or, for audit events, every event in its window),
 * computes one value, compares it with its threshold, stores the value as a
 * time series (value, threshold, verdict, evidence ids) and hands the
 * verdict to the nonconformity module, all in one transaction.
 *
 * [kpi NAME] sections override a built-in KPI's threshold, window, scope,
 * severity, owner and controls, or disable it.  NAME must be a built-in
 * KPI's name (ismsctl kpi list shows them).
 */
#ifndef ISMSD_KPI_H
#define ISMSD_KPI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "config.h"

struct store;

struct kpi_def {
	const char *name;
	const char *title;
	const char *kind;     /* the evidence kind it reads */
	const char *unit;     /* "%", "days", "hours", "count" */
	const char *op;       /* ">=" (at least) or "<=" (at most) */
	double threshold;
	double major;         /* beyond this the breach is major (NaN: always `severity`) */
	const char *severity; /* "minor" or "major" */
	uint64_t window_s;    /* look-back window, 0 when the KPI has none */
	const char *controls; /* comma-separated Annex A ids */
	const char *owner;
};

/* The built-in KPIs, NULL-name-terminated. */
const struct kpi_def *kpi_defs(void);
const struct kpi_def *kpi_def_find(const char *name);

/* For config_hooks: non-zero when name is a built-in KPI. */
int kpi_known(const char *name);

/*
 * Evaluates every enabled KPI at now against store st and applies the
 * verdicts to nonconformities, in one transaction.  Returns 0 or a negative
 * store error; *breached receives the number of breached KPI results.
 */
int kpi_evaluate(struct store *st, const struct config *cfg, time_t now, int *breached);

/* The latest value of every KPI and scope, as JSON (for ismsctl kpi list). */
int kpi_latest(struct store *st, const struct config *cfg, json_t **out);

#endif
