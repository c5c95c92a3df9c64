/*
 * deliver.h: drains the webhook outbox.  Every [webhook NAME] gets the
 * events written after it was first configured, in order per nonconformity,
 * each signed (Standard Webhooks) and shaped by its format.  A failed
 * delivery is retried with exponential back-off (honouring Retry-After)
 * until it succeeds, a permanent 4xx refuses it, or it runs out of attempts
 * or age; then it is dead-lettered, kept for `ismsctl webhook retry`.
 * Every attempt's outcome is stored, so a restart picks up where the last
 * run stopped and a receiver that was down gets everything once it is back.
 */
#ifndef ISMSD_DELIVER_H
#define ISMSD_DELIVER_H

#include <stdatomic.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "store.h"

/* The keys of a [webhook NAME] section. */
extern const struct config_key deliver_webhook_keys[];

/* Whether cfg has at least one enabled [webhook]. */
int deliver_configured(const struct config *cfg);

/* Records each enabled webhook of cfg that the store has not seen, so that
 * it receives the events written from now on.  Returns 0 or a negative
 * store error. */
int deliver_register(struct store *st, const struct config *cfg, time_t now);

struct deliver_stats {
	unsigned delivered, failed, dead, skipped;
	time_t next_due; /* the earliest pending retry, 0 when none */
};

/*
 * One pass over every enabled webhook: sends what is due, records each
 * attempt.  Stops early when *cancel becomes non-zero.  Returns 0, or a
 * negative store error (delivery failures are not errors: they are
 * recorded and retried).
 */
int deliver_pass(struct store *st, const struct config *cfg, const atomic_int *cancel, struct deliver_stats *out);

/* Whether a pass has work: an outbox event newer than *seen (which is
 * updated), or a pending delivery that is due at now.  Returns 1, 0, or a
 * negative store error. */
int deliver_has_work(struct store *st, int64_t *seen, time_t now);

/* Per webhook: counts by state and the last error, as a JSON array. */
int deliver_summary(struct store *st, const struct config *cfg, json_t **out);

/* Deliveries of one webhook (or all when NULL) in a state (or all when
 * NULL), newest first, at most limit, as a JSON array. */
int deliver_list(struct store *st, const char *webhook, const char *state, unsigned limit, json_t **out);

/* Puts dead deliveries back to pending with fresh attempts: one (outbox id
 * > 0) or every dead one of the webhook.  *count receives how many. */
int deliver_retry(struct store *st, const char *webhook, int64_t outbox_id, int *count);

/* Writes an event {type, timestamp, data} into the outbox, in the caller's
 * transaction (so that it commits with the change that caused it).  nc_id
 * is the NC it concerns (0: none; the NC's events keep their order);
 * *outbox_id (may be NULL) receives its id. */
int deliver_outbox_put(struct store *st, const char *type, int64_t nc_id, const json_t *data, time_t now,
		       int64_t *outbox_id);

/* Queues a webhook.test event for one webhook only (the others get a
 * skipped record), for the daemon to send.  *outbox_id receives its id.
 * Returns 0 or a negative store error. */
int deliver_enqueue_test(struct store *st, const struct config *cfg, const char *webhook, const char *actor,
			 time_t now, int64_t *outbox_id);

#endif
