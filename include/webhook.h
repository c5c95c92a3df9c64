/*
 * webhook.h: what ismsd sends to alerting pipelines: Standard Webhooks v1
 * signatures, message ids, the {type, timestamp, data} envelope, and the
 * body of each output format (standard, CloudEvents structured mode,
 * PagerDuty Events API v2, Slack incoming webhook, Alertmanager API v2).
 *
 * These are pure functions: the durable outbox and the delivery with
 * retries build on them.
 */
#ifndef ISMSD_WEBHOOK_H
#define ISMSD_WEBHOOK_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

enum webhook_format {
	WEBHOOK_STANDARD,
	WEBHOOK_CLOUDEVENTS,
	WEBHOOK_PAGERDUTY,
	WEBHOOK_SLACK,
	WEBHOOK_ALERTMANAGER,
};

/* The format named by [webhook] format, or -1. */
int webhook_format_from_name(const char *name);

/* Decodes a "whsec_<base64>" secret into its key bytes (padding optional).
 * Returns 0 with a malloc'd key the caller frees with util_secret_free(), or
 * -1 when the text is not such a secret. */
int webhook_secret_decode(const char *whsec, unsigned char **key, size_t *keylen);

/*
 * The webhook-signature header value: one "v1,<base64 HMAC-SHA256>" per
 * secret, space-separated (several during a key rotation), over
 * "msg_id.timestamp.body".  Returns a malloc'd string, or NULL with a message
 * in err (a secret that is not whsec_...; the message never contains it).
 */
char *webhook_sign(const char *const *secrets, size_t n_secrets, const char *msg_id, time_t timestamp,
		   const char *body, size_t len, char *err, size_t errlen);

/* A new message id: "msg_" and 24 random base64url characters (no '.'). */
char *webhook_msg_id(void);

/* {"type": type, "timestamp": RFC 3339 of ts, "data": data}; data is
 * referenced, not stolen. */
json_t *webhook_envelope(const char *type, time_t ts, const json_t *data);

/* Whether a format carries events of that type at all: PagerDuty and
 * Alertmanager do not take report.generated (a report is not an incident). */
int webhook_format_takes(enum webhook_format f, const char *type);

/* What a format needs besides the envelope. */
struct webhook_target {
	const char *msg_id;	 /* the webhook-id, for CloudEvents' id */
	const char *host;	 /* this host, for CloudEvents' source and PagerDuty's source */
	const char *routing_key; /* PagerDuty's integration key */
	time_t now;		 /* the time of this delivery (Alertmanager's endsAt) */
};

/*
 * The body of an envelope in a format, compact JSON, and its Content-Type in
 * *content_type (static).  Returns a malloc'd string, or NULL when the
 * envelope lacks what the format needs (PagerDuty without a routing key).
 */
char *webhook_body(enum webhook_format f, const json_t *envelope, const struct webhook_target *t,
		   const char **content_type);

#endif
