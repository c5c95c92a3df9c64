/*
 * controls.h: the 93 Annex A controls as the ISMS sees them: each with its
 * Statement of Applicability entry, the evidence that maps to it (count and
 * freshest time), the latest verdicts of the KPIs that name it, and its
 * open nonconformities.  Evidence maps to controls through the defaults of
 * its kind and, for audit events, of its categories (catalog.h), unless the
 * source's `controls` key overrides them.  A control that evidence maps to
 * but the SoA excludes is flagged.
 */
#ifndef ISMSD_CONTROLS_H
#define ISMSD_CONTROLS_H

#include <stdint.h>

#include <jansson.h>

#include "config.h"

struct store;
struct soa;

/* Builds the list (an array of 93 objects in catalog order).  soa may be
 * NULL (no SoA configured).  Returns 0 or a negative store error. */
int controls_list(struct store *st, const struct config *cfg, const struct soa *soa, json_t **out);

/* The same, counting only evidence of runs that finished in [from, to). */
int controls_list_window(struct store *st, const struct config *cfg, const struct soa *soa, int64_t from, int64_t to,
			 json_t **out);

/* The 2022 ids of the controls a KPI names (its [kpi] override, else its
 * definition), in catalog order. */
json_t *controls_of_kpi(const struct config *cfg, const char *kpi);

#endif
