/*
 * calendar.h: the ISMS maintenance calendar: evidence freshness and
 * scheduled activities.
 *
 * Evidence gaps.  Each source has a cadence (its schedule) and a grace
 * period (key grace, default a quarter of the period, at least an hour).
 * When the slot after its last successful run plus the grace has passed,
 * an "evidence gap" nonconformity is raised against the source's controls
 * (key controls, else the defaults of the kinds of evidence it collects).
 *
 * Activities.  [activity NAME] has a cadence, an owner and controls.  It is
 * automated when bound to sources (done when each of them ran successfully)
 * or to KPIs (done when each was evaluated), and manual otherwise: then it
 * is done by `ismsctl attest NAME --file F --note TEXT`, which stores the
 * file (content-addressed, with its SHA-256) and an activity.attestation
 * fact as evidence.  An activity not done by its next slot plus grace
 * raises an "activity overdue" nonconformity; doing it marks the
 * nonconformity recovered (awaiting verification), like every other.
 */
#ifndef ISMSD_CALENDAR_H
#define ISMSD_CALENDAR_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "config.h"

struct store;

/*
 * Checks every enabled source for an evidence gap and every activity for
 * being overdue, at now, in one transaction.  *next receives the earliest
 * future moment at which a check could change (0 when none), so the daemon
 * can sleep until then.  Returns 0 or a negative store error.
 */
int calendar_evaluate(struct store *st, const struct config *cfg, time_t now, time_t *next);

/*
 * Records that activity was done: stores file (at most 64 MiB) as evidence
 * with an activity.attestation fact (activity, file name, SHA-256, size,
 * note, who), as a committed run of the pseudo-source "activity:NAME".
 * Returns 0 with the fact's evidence id, or -1 with a message in err.
 */
int calendar_attest(struct store *st, const struct config *cfg, const char *activity, const char *file,
		    const char *note, const char *actor, time_t now, int64_t *evidence_id, char *err, size_t errlen);

/* Every activity with its cadence, last completion and next due time. */
int calendar_list(struct store *st, const struct config *cfg, time_t now, json_t **out);

/*
 * Adherence over [start, end) for reports: per activity (in configuration
 * order) how many of its slots fell due (with their grace passed by
 * min(end, now)), how many were done in time, and when it was last done in
 * the period.  Slots before the store's first run are not counted (ismsd
 * was not tracking the calendar then).  A slot counts as done when a completion falls after the
 * slot before it and no later than the slot plus its grace.
 */
int calendar_adherence(struct store *st, const struct config *cfg, time_t start, time_t end, time_t now,
		       json_t **out);

#endif
