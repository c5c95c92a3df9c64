/*
 * deliver.c: the webhook deliverer.  Reads the outbox that nc.c writes,
 * sends each event to every enabled [webhook] whose filters it passes, and
 * records every attempt in the deliveries table.  Order is kept per
 * nonconformity: while an NC's earlier event is waiting for a retry, its
 * later ones wait too.  A webhook that fails (network error, 408, 429 or
 * 5xx) is left alone for the rest of the pass, so a dead endpoint costs one
 * timeout per pass, not one per event.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "deliver.h"
#include "http.h"
#include "log.h"
#include "nc.h"
#include "secret.h"
#include "util.h"
#include "webhook.h"

#define BATCH 500 /* outbox rows read per webhook per pass */
/* The Standard Webhooks retry schedule: the waits after attempts 1..9. */
#define DEFAULT_SCHEDULE "5s, 5m, 30m, 2h, 5h, 10h, 14h, 20h, 24h"
#define ERR_LEN 512

const struct config_key deliver_webhook_keys[] = {
	{ "url", CONFIG_T_URL, CONFIG_REQUIRED, NULL, 0, 0 },
	{ "secret_file", CONFIG_T_SECRET, 0, NULL, 0, 0 },
	{ "routing_key_file", CONFIG_T_SECRET, 0, NULL, 0, 0 },
	{ "format", CONFIG_T_ENUM, 0, "standard|cloudevents|pagerduty|slack|alertmanager", 0, 0 },
	{ "events", CONFIG_T_LIST, 0, NULL, 0, 0 },
	{ "min_severity", CONFIG_T_ENUM, 0, "minor|major", 0, 0 },
	{ "controls", CONFIG_T_LIST, 0, NULL, 0, 0 },
	{ "ca_file", CONFIG_T_PATH, 0, NULL, 0, 0 },
	{ "pinned_pubkey", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "connect_timeout", CONFIG_T_DURATION, 0, NULL, 1, 600 },
	{ "timeout", CONFIG_T_DURATION, 0, NULL, 1, 600 },
	{ "retry_schedule", CONFIG_T_LIST, 0, NULL, 0, 0 },
	{ "resend_interval", CONFIG_T_DURATION, 0, NULL, 1, 86400 },
	{ "enabled", CONFIG_T_BOOL, 0, NULL, 0, 0 },
	{ NULL, 0, 0, NULL, 0, 0 },
};

int deliver_configured(const struct config *cfg)
{
	for (const struct config_section *s = config_next(cfg, "webhook", NULL); s; s = config_next(cfg, "webhook", s))
		if (config_get_bool(s, "enabled", 1))
			return 1;
	return 0;
}

int deliver_register(struct store *st, const struct config *cfg, time_t now)
{
	for (const struct config_section *s = config_next(cfg, "webhook", NULL); s; s = config_next(cfg, "webhook", s)) {
		if (!config_get_bool(s, "enabled", 1))
			continue;
		struct store_val a[] = { STORE_V_TEXT(s->name), STORE_V_INT(now) };
		int r = store_query(st,
				    "INSERT OR IGNORE INTO webhooks(name, start_id, added_at)"
				    " VALUES (?, (SELECT coalesce(max(id), 0) FROM outbox), ?)",
				    a, 2, NULL, NULL, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- one webhook ---------------------------------------------------------- */

/* What a pass needs of one [webhook] section. */
struct hook {
	const struct config_section *s;
	enum webhook_format format;
	char *secret; /* the secret file's text: one whsec_ per line */
	size_t secret_len;
	char *routing_key;
	size_t routing_key_len;
	const char **secrets; /* pointers into secret */
	size_t n_secrets;
	json_t *events, *controls;
	int major_only;
	uint64_t *sched; /* the wait after attempt i + 1 */
	size_t n_sched;	 /* attempts = n_sched + 1 */
	struct http_client *http;
	char *url_redacted;
};

static void hook_free(struct hook *h)
{
	if (h->secret)
		util_secret_free(h->secret, h->secret_len);
	if (h->routing_key)
		util_secret_free(h->routing_key, h->routing_key_len);
	free(h->secrets);
	free(h->sched);
	json_decref(h->events);
	json_decref(h->controls);
	http_client_free(h->http);
	free(h->url_redacted);
	memset(h, 0, sizeof(*h));
}

/* Reads the secrets and makes the client.  Returns 0, or -1 with err. */
static int hook_init(struct hook *h, const struct config_section *s, const atomic_int *cancel, char *err,
		     size_t errlen)
{
	memset(h, 0, sizeof(*h));
	h->s = s;
	h->format = webhook_format_from_name(config_get_default(s, "format", "standard"));
	h->events = config_split_list(config_get(s, "events"));
	h->controls = config_split_list(config_get(s, "controls"));
	h->major_only = strcmp(config_get_default(s, "min_severity", "minor"), "major") == 0;
	json_t *sched = config_split_list(config_get_default(s, "retry_schedule", DEFAULT_SCHEDULE));
	h->sched = calloc(json_array_size(sched) + 1, sizeof(*h->sched));
	size_t i;
	json_t *e;
	json_array_foreach(sched, i, e)
	if (h->sched != NULL && util_parse_duration(json_string_value(e), &h->sched[h->n_sched]) == 0)
		h->n_sched++;
	json_decref(sched);
	h->url_redacted = http_redact_url(config_get(s, "url"));
	const char *ref = config_get(s, "secret_file");
	if (ref != NULL) {
		if (secret_read(ref, &h->secret, &h->secret_len, err, errlen) < 0)
			return -1;
		/* several lines during a key rotation: each signs */
		size_t cap = 1;
		for (const char *p = h->secret; *p; p++)
			cap += *p == '\n';
		h->secrets = calloc(cap, sizeof(*h->secrets));
		if (h->secrets == NULL)
			return -1;
		char *save = NULL;
		for (char *t = strtok_r(h->secret, "\r\n", &save); t; t = strtok_r(NULL, "\r\n", &save))
			if (*t)
				h->secrets[h->n_secrets++] = t;
		if (h->n_secrets == 0) {
			snprintf(err, errlen, "the secret file of [webhook %s] is empty", s->name);
			return -1;
		}
	}
	ref = config_get(s, "routing_key_file");
	if (ref != NULL && secret_read(ref, &h->routing_key, &h->routing_key_len, err, errlen) < 0)
		return -1;
	if (h->format == WEBHOOK_PAGERDUTY && h->routing_key == NULL) {
		snprintf(err, errlen, "[webhook %s] has format pagerduty but no routing_key_file", s->name);
		return -1;
	}
	struct http_options o;
	struct config_errors errs = { 0 };
	int r = http_options_from_config(s, &o, &errs);
	config_errors_free(&errs);
	if (r < 0) {
		http_options_free(&o);
		snprintf(err, errlen, "[webhook %s]: bad TLS settings", s->name);
		return -1;
	}
	/* one attempt per pass: the outbox does the retrying, durably */
	o.max_attempts = 1;
	o.no_redirects = 1; /* a 3xx is a failed delivery */
	o.timeout_s = (long)config_get_duration(s, "timeout", 30);
	o.max_body = 1024 * 1024;
	h->http = http_client_new(&o, s->name, cancel, err, errlen);
	http_options_free(&o);
	return h->http ? 0 : -1;
}

static int list_has(const json_t *list, const char *v)
{
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
	{
		const char *p = json_string_value(e);
		size_t l = strlen(p);
		/* "nonconformity.*" matches every nonconformity event */
		if (strcmp(p, v) == 0 || (l >= 2 && p[l - 1] == '*' && strncmp(p, v, l - 1) == 0))
			return 1;
	}
	return 0;
}

/* Whether the webhook wants this event. */
static int wanted(const struct hook *h, const char *type, const json_t *env)
{
	const json_t *data = json_object_get(env, "data");
	if (json_array_size(h->events) > 0 && !list_has(h->events, type))
		return 0;
	if (!webhook_format_takes(h->format, type))
		return 0;
	if (h->major_only) {
		const char *sev = json_string_value(json_object_get(data, "severity"));
		if (sev == NULL || strcmp(sev, "major") != 0)
			return 0;
	}
	if (json_array_size(h->controls) > 0) {
		size_t i;
		json_t *c;
		int any = 0;
		json_array_foreach(json_object_get(data, "controls"), i, c)
		if (json_is_string(c) && list_has(h->controls, json_string_value(c)))
			any = 1;
		if (!any)
			return 0;
	}
	return 1;
}

/* ---- the deliveries table ------------------------------------------------- */

static int record(struct store *st, int64_t outbox_id, const char *webhook, const char *state, int attempts,
		  time_t next_at, time_t now, long status, const char *error)
{
	struct store_val a[] = {
		STORE_V_INT(outbox_id),
		STORE_V_TEXT(webhook),
		STORE_V_TEXT(state),
		STORE_V_INT(attempts),
		next_at ? STORE_V_INT(next_at) : STORE_V_NULL,
		attempts ? STORE_V_INT(now) : STORE_V_NULL,
		status ? STORE_V_INT(status) : STORE_V_NULL,
		STORE_V_TEXT(error),
		strcmp(state, "delivered") == 0 ? STORE_V_INT(now) : STORE_V_NULL,
	};
	return store_query(st,
			   "INSERT INTO deliveries(outbox_id, webhook, state, attempts, next_at, last_at, last_status,"
			   " last_error, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
			   " ON CONFLICT(outbox_id, webhook) DO UPDATE SET state = excluded.state,"
			   " attempts = excluded.attempts, next_at = excluded.next_at, last_at = excluded.last_at,"
			   " last_status = excluded.last_status, last_error = excluded.last_error,"
			   " delivered_at = excluded.delivered_at",
			   a, 9, NULL, NULL, NULL);
}

struct pending {
	int64_t id, nc_id;
	char *msg_id, *type, *payload;
	time_t created_at, next_at;
	int attempts;
};

static int take_pending(void *arg, const struct store_val *c, size_t n)
{
	(void)n;
	struct pending **arr = arg;
	size_t len = 0;
	while ((*arr)[len].msg_id != NULL)
		len++;
	struct pending *p = &(*arr)[len];
	p->id = c[0].i;
	p->msg_id = strdup(c[1].s);
	p->type = strdup(c[2].s);
	p->created_at = (time_t)c[3].i;
	p->nc_id = c[4].type == STORE_NULL ? 0 : c[4].i;
	p->payload = strdup(c[5].s);
	p->attempts = c[6].type == STORE_NULL ? 0 : (int)c[6].i;
	p->next_at = c[7].type == STORE_NULL ? 0 : (time_t)c[7].i;
	return p->msg_id && p->type && p->payload ? 0 : -ENOMEM;
}

static void pending_free(struct pending *arr)
{
	for (struct pending *p = arr; p && p->msg_id; p++) {
		free(p->msg_id);
		free(p->type);
		free(p->payload);
	}
	free(arr);
}

static int nc_held(const int64_t *held, size_t n, int64_t nc)
{
	for (size_t i = 0; i < n; i++)
		if (held[i] == nc)
			return 1;
	return 0;
}

/* The wait after attempt number attempts (from 1), with up to a fifth more
 * at random so that many senders do not retry in step. */
static time_t backoff(const struct hook *h, int attempts)
{
	uint64_t d = h->sched[attempts - 1];
	unsigned char rnd = 0;
	if (getrandom(&rnd, 1, GRND_NONBLOCK) != 1)
		rnd = 0;
	return (time_t)(d + d * rnd / 1280);
}

/* Sends one event.  Returns 0 on a 2xx, 1 when it should be retried, 2 when
 * the receiver refused it for good, 3 when it answered 410 Gone (the
 * endpoint is disabled); *status and err say what happened, *retry_after
 * the receiver's Retry-After (0 when none). */
/* POSTs body, signed, as message msg_id.  Returns 0 on a 2xx, 1 when
 * worth another try, 2 when the receiver will never take it, 3 on 410. */
static int post_signed(struct hook *h, const char *msg_id, time_t now, char *body, const char *ctype, long *status,
		       long *retry_after, char *err, size_t errlen)
{
	*status = 0;
	*retry_after = 0;
	char ts[32];
	snprintf(ts, sizeof(ts), "%lld", (long long)now);
	char *sig = NULL;
	if (h->n_secrets > 0) {
		sig = webhook_sign(h->secrets, h->n_secrets, msg_id, now, body, strlen(body), err, errlen);
		if (sig == NULL)
			return 2;
	}
	struct http_header hdr[] = {
		{ (char *)"Content-Type", (char *)ctype },
		{ (char *)"webhook-id", (char *)msg_id },
		{ (char *)"webhook-timestamp", ts },
		{ (char *)"webhook-signature", sig },
	};
	struct http_request req = { "POST", config_get(h->s, "url"), hdr, sig ? 4 : 3, body, strlen(body), NULL };
	struct http_response resp = { 0 };
	int r = http_fetch(h->http, &req, &resp, err, errlen);
	*status = resp.status;
	if (r < 0 && resp.headers != NULL) {
		const char *ra = http_header_get(&resp, "Retry-After");
		if (ra != NULL)
			*retry_after = http_parse_retry_after(ra, now);
	}
	http_response_free(&resp);
	free(sig);
	if (r == 0)
		return 0;
	if (*status == 410)
		return 3;
	/* a network error, 3xx, 408, 429 and 5xx are worth another try; any
	 * other 4xx means the receiver will never take this request as it is */
	if (*status >= 400 && *status < 500 && *status != 408 && *status != 429)
		return 2;
	return 1;
}

static int send_one(struct hook *h, const struct pending *p, const json_t *env, long *status, long *retry_after,
		    char *err, size_t errlen)
{
	*status = 0;
	*retry_after = 0;
	char host[256] = "localhost";
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "localhost");
	time_t now = util_now();
	struct webhook_target t = { p->msg_id, host, h->routing_key, now };
	const char *ctype = NULL;
	char *body = webhook_body(h->format, env, &t, &ctype);
	if (body == NULL) {
		snprintf(err, errlen, "the event cannot be expressed in this webhook's format");
		return 2;
	}
	int v = post_signed(h, p->msg_id, now, body, ctype, status, retry_after, err, errlen);
	free(body);
	return v;
}

static int take_time(void *arg, const struct store_val *c, size_t n)
{
	if (n >= 1 && c[0].type == STORE_INT)
		*(time_t *)arg = (time_t)c[0].i;
	return 0;
}

/*
 * Alertmanager drops an alert that is not sent again within its
 * resolve_timeout (5 minutes by default), so the open NCs go to an
 * alertmanager webhook as firing alerts every resend_interval (default 60
 * s) until they close; the close itself is the outbox's
 * nonconformity.closed event, sent as resolved.  The re-sends are state,
 * not events: they bypass the outbox, and a failed one is simply sent
 * again at the next interval.
 */
static int resend_open(struct store *st, struct hook *h, struct deliver_stats *out)
{
	const char *name = h->s->name;
	time_t interval = (time_t)config_get_duration(h->s, "resend_interval", 60);
	time_t last = 0, now = util_now();
	struct store_val k[] = { STORE_V_TEXT(name) };
	int r = store_query(st, "SELECT resent_at FROM webhooks WHERE name = ?", k, 1, take_time, &last, NULL);
	if (r < 0)
		return r;
	if (last == 0 || now - last < interval) {
		/* The first pass only starts the clock: the outbox has just
		 * sent (or is sending) every open NC's own events. */
		if (last == 0) {
			struct store_val u[] = { STORE_V_INT(now), STORE_V_TEXT(name) };
			r = store_query(st, "UPDATE webhooks SET resent_at = ? WHERE name = ?", u, 2, NULL, NULL, NULL);
			last = now;
		}
		if (out->next_due == 0 || last + interval < out->next_due)
			out->next_due = last + interval;
		return r;
	}
	json_t *ncs = NULL, *alerts = json_array();
	r = nc_list(st, "open", &ncs);
	char host[256] = "localhost";
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "localhost");
	char *msg_id = webhook_msg_id();
	struct webhook_target t = { msg_id, host, NULL, now };
	size_t i;
	json_t *nc;
	json_array_foreach(ncs, i, nc)
	{
		json_t *data = json_deep_copy(nc);
		json_object_set(data, "nc_id", json_object_get(nc, "id"));
		json_object_del(data, "id");
		json_t *env = webhook_envelope("nonconformity.updated", now, data);
		const char *ctype = NULL;
		char *one = env && wanted(h, "nonconformity.updated", env) ? webhook_body(h->format, env, &t, &ctype) : NULL;
		json_t *arr = one ? json_loads(one, 0, NULL) : NULL;
		json_array_extend(alerts, arr);
		json_decref(arr);
		free(one);
		json_decref(env);
		json_decref(data);
	}
	if (r == 0 && msg_id != NULL && json_array_size(alerts) > 0) {
		char *body = json_dumps(alerts, JSON_COMPACT | JSON_ENSURE_ASCII);
		long status = 0, retry_after = 0;
		char err[ERR_LEN] = "";
		int v = body ? post_signed(h, msg_id, now, body, "application/json", &status, &retry_after, err, sizeof(err))
			     : 1;
		if (v == 3) {
			log_event(LOG_EV_WEBHOOK_DEAD, LOG_ERR, NULL,
				  "webhook %s: the receiver answered 410 Gone to the re-sent alerts: the endpoint is disabled;"
				  " ismsctl webhook retry %s re-enables it",
				  name, name);
			struct store_val d[] = { STORE_V_INT(now), STORE_V_TEXT("410 Gone"), STORE_V_TEXT(name) };
			r = store_query(st, "UPDATE webhooks SET disabled_at = ?, disabled_reason = ? WHERE name = ?", d, 3,
					NULL, NULL, NULL);
		} else if (v != 0) {
			log_warnx("webhook %s: re-sending %zu open nonconformities as firing alerts failed: %s; again in %llds",
				  name, json_array_size(alerts), err, (long long)interval);
		}
		free(body);
	}
	struct store_val u[] = { STORE_V_INT(now), STORE_V_TEXT(name) };
	if (r == 0)
		r = store_query(st, "UPDATE webhooks SET resent_at = ? WHERE name = ?", u, 2, NULL, NULL, NULL);
	if (out->next_due == 0 || now + interval < out->next_due)
		out->next_due = now + interval;
	free(msg_id);
	json_decref(ncs);
	json_decref(alerts);
	return r;
}

static int take_flag(void *arg, const struct store_val *c, size_t n)
{
	(void)arg;
	(void)c;
	(void)n;
	return 1;
}

/* One webhook's share of a pass. */
static int pass_hook(struct store *st, struct hook *h, const atomic_int *cancel, struct deliver_stats *out)
{
	const char *name = h->s->name;
	struct pending *rows = calloc(BATCH + 1, sizeof(*rows));
	int64_t *held = calloc(BATCH, sizeof(*held));
	size_t n_held = 0;
	int r = -ENOMEM;
	if (rows == NULL || held == NULL)
		goto out;
	/* a 410 Gone disabled it: nothing goes out until webhook retry */
	struct store_val k[] = { STORE_V_TEXT(name) };
	r = store_query(st, "SELECT 1 FROM webhooks WHERE name = ? AND disabled_at IS NOT NULL", k, 1, take_flag, NULL,
			NULL);
	if (r != 0) {
		r = r < 0 ? r : 0;
		goto out;
	}
	struct store_val a[] = { STORE_V_TEXT(name), STORE_V_TEXT(name), STORE_V_INT(BATCH) };
	r = store_query(st,
			"SELECT o.id, o.msg_id, o.type, o.created_at, o.nc_id, o.payload, d.attempts, d.next_at"
			" FROM outbox o LEFT JOIN deliveries d ON d.outbox_id = o.id AND d.webhook = ?1"
			" WHERE o.id > (SELECT start_id FROM webhooks WHERE name = ?2)"
			" AND (d.state IS NULL OR d.state = 'pending') ORDER BY o.id LIMIT ?3",
			a, 3, take_pending, &rows, NULL);
	if (r < 0)
		goto out;
	size_t n_rows = 0;
	while (rows[n_rows].msg_id != NULL)
		n_rows++;
	int endpoint_down = 0;
	for (size_t i = 0; i < n_rows && !atomic_load(cancel); i++) {
		struct pending *p = &rows[i];
		time_t now = util_now();
		json_t *env = json_loads(p->payload, 0, NULL);
		if (env == NULL || !wanted(h, p->type, env)) {
			json_decref(env);
			out->skipped++;
			r = record(st, p->id, name, "skipped", 0, 0, now, 0, NULL);
			if (r < 0)
				goto out;
			continue;
		}
		int due = p->next_at <= now && !endpoint_down && !(p->nc_id && nc_held(held, n_held, p->nc_id));
		if (!due) {
			/* keep the NC's order: its later events wait behind this one */
			if (p->nc_id && !nc_held(held, n_held, p->nc_id))
				held[n_held++] = p->nc_id;
			if (p->next_at > now && (out->next_due == 0 || p->next_at < out->next_due))
				out->next_due = p->next_at;
			json_decref(env);
			continue;
		}
		char err[ERR_LEN] = "";
		long status, retry_after;
		int v = send_one(h, p, env, &status, &retry_after, err, sizeof(err));
		json_decref(env);
		int attempts = p->attempts + 1;
		now = util_now();
		if (v == 0) {
			out->delivered++;
			log_debug("webhook %s: delivered %s (%s), attempt %d", name, p->msg_id, p->type, attempts);
			r = record(st, p->id, name, "delivered", attempts, 0, now, status, NULL);
		} else if (v == 3) {
			out->dead++;
			log_event(LOG_EV_WEBHOOK_DEAD, LOG_ERR, NULL,
				  "webhook %s: the receiver answered 410 Gone: the endpoint is disabled and event %s (%s)"
				  " is dead-lettered; ismsctl webhook retry %s re-enables it",
				  name, p->msg_id, p->type, name);
			r = record(st, p->id, name, "dead", attempts, 0, now, status, err);
			struct store_val d[] = { STORE_V_INT(now), STORE_V_TEXT("410 Gone"), STORE_V_TEXT(name) };
			if (r >= 0)
				r = store_query(st, "UPDATE webhooks SET disabled_at = ?, disabled_reason = ? WHERE name = ?",
						d, 3, NULL, NULL, NULL);
			if (r >= 0)
				r = 1; /* stop this webhook's pass */
			endpoint_down = 1;
		} else if (v == 2 || attempts > (int)h->n_sched) {
			out->dead++;
			log_event(LOG_EV_WEBHOOK_DEAD, LOG_ERR, NULL,
				  "webhook %s: gave up on event %s (%s) after %d attempt(s): %s; see ismsctl webhook list",
				  name, p->msg_id, p->type, attempts, err);
			r = record(st, p->id, name, "dead", attempts, 0, now, status, err);
		} else {
			out->failed++;
			time_t wait = backoff(h, attempts);
			if (retry_after > wait && retry_after <= 86400)
				wait = (time_t)retry_after;
			time_t next = now + wait;
			log_warnx("webhook %s: delivery of %s failed (attempt %d of %zu): %s; next try in %llds", name,
				  p->msg_id, attempts, h->n_sched + 1, err, (long long)wait);
			r = record(st, p->id, name, "pending", attempts, next, now, status, err);
			if (p->nc_id)
				held[n_held++] = p->nc_id;
			if (out->next_due == 0 || next < out->next_due)
				out->next_due = next;
			endpoint_down = 1;
		}
		if (r < 0)
			goto out;
		if (r == 1)
			break;
	}
	/* a full batch: more may be waiting */
	if (n_rows == BATCH && !endpoint_down)
		out->next_due = util_now();
	r = 0;
	if (h->format == WEBHOOK_ALERTMANAGER && !endpoint_down && !atomic_load(cancel))
		r = resend_open(st, h, out);
out:
	pending_free(rows);
	free(held);
	return r;
}

int deliver_pass(struct store *st, const struct config *cfg, const atomic_int *cancel, struct deliver_stats *out)
{
	memset(out, 0, sizeof(*out));
	int r = deliver_register(st, cfg, util_now());
	for (const struct config_section *s = config_next(cfg, "webhook", NULL); s && r == 0 && !atomic_load(cancel);
	     s = config_next(cfg, "webhook", s)) {
		if (!config_get_bool(s, "enabled", 1))
			continue;
		struct hook h;
		char err[ERR_LEN];
		if (hook_init(&h, s, cancel, err, sizeof(err)) < 0) {
			log_warnx("webhook %s: not delivering: %s", s->name, err);
			hook_free(&h);
			time_t retry = util_now() + 300;
			if (out->next_due == 0 || retry < out->next_due)
				out->next_due = retry;
			continue;
		}
		r = pass_hook(st, &h, cancel, out);
		hook_free(&h);
	}
	return r;
}

static int take_two(void *arg, const struct store_val *c, size_t n)
{
	(void)n;
	int64_t *v = arg;
	v[0] = c[0].i;
	v[1] = c[1].i;
	return 1;
}

int deliver_has_work(struct store *st, int64_t *seen, time_t now)
{
	int64_t v[2] = { 0, 0 };
	struct store_val a[] = { STORE_V_INT(now) };
	int r = store_query(st,
			    "SELECT (SELECT coalesce(max(id), 0) FROM outbox), (SELECT count(*) FROM deliveries"
			    " WHERE state = 'pending' AND (next_at IS NULL OR next_at <= ?))",
			    a, 1, take_two, v, NULL);
	if (r < 0)
		return r;
	int work = v[0] > *seen || v[1] > 0;
	*seen = v[0];
	return work;
}

int deliver_outbox_put(struct store *st, const char *type, int64_t nc_id, const json_t *data, time_t now,
		       int64_t *outbox_id)
{
	json_t *env = webhook_envelope(type, now, data);
	char *payload = env ? json_dumps(env, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	char *msg_id = webhook_msg_id();
	int r = -ENOMEM;
	if (payload != NULL && msg_id != NULL) {
		struct store_val a[] = { STORE_V_TEXT(msg_id), STORE_V_TEXT(type), STORE_V_INT(now),
					 nc_id ? STORE_V_INT(nc_id) : STORE_V_NULL, STORE_V_TEXT(payload) };
		r = store_query(st, "INSERT INTO outbox(msg_id, type, created_at, nc_id, payload) VALUES (?, ?, ?, ?, ?)", a,
				5, NULL, NULL, NULL);
	}
	if (r == 0 && outbox_id != NULL)
		*outbox_id = store_last_id(st);
	free(payload);
	free(msg_id);
	json_decref(env);
	return r;
}

int deliver_enqueue_test(struct store *st, const struct config *cfg, const char *webhook, const char *actor,
			 time_t now, int64_t *outbox_id)
{
	*outbox_id = 0;
	json_t *data = json_pack("{s:s, s:s, s:s}", "webhook", webhook, "actor", actor, "message",
				 "a test event from ismsctl webhook test");
	int r = data ? store_begin(st) : -ENOMEM;
	if (r < 0)
		goto out;
	/* the webhook must be registered first, or its start would skip this */
	r = deliver_register(st, cfg, now);
	if (r >= 0)
		r = deliver_outbox_put(st, "webhook.test", 0, data, now, outbox_id);
	for (const struct config_section *s = config_next(cfg, "webhook", NULL); s && r >= 0;
	     s = config_next(cfg, "webhook", s)) {
		if (strcmp(s->name, webhook) == 0)
			continue;
		r = record(st, *outbox_id, s->name, "skipped", 0, 0, now, 0, NULL);
	}
	if (r >= 0)
		r = store_commit(st);
	else
		store_rollback(st);
out:
	json_decref(data);
	return r < 0 ? r : 0;
}

/* ---- reports for ismsctl -------------------------------------------------- */

static int take_json(void *arg, const struct store_val *c, size_t n)
{
	json_t *row = json_object();
	static const char *const names[] = { "outbox_id", "webhook",	 "msg_id",     "type",	       "nc_id",
					     "created_at", "state",	 "attempts",   "last_at",      "next_at",
					     "last_status", "last_error", "delivered_at" };
	for (size_t i = 0; i < n && i < sizeof(names) / sizeof(names[0]); i++) {
		json_t *v;
		if (c[i].type == STORE_NULL)
			v = json_null();
		else if (c[i].type == STORE_INT && (strstr(names[i], "_at") != NULL)) {
			char t[UTIL_ISO_TIME_LEN];
			util_time_iso((time_t)c[i].i, t);
			v = json_string(t);
		} else if (c[i].type == STORE_INT)
			v = json_integer(c[i].i);
		else
			v = json_string(c[i].s);
		json_object_set_new(row, names[i], v);
	}
	json_array_append_new(arg, row);
	return 0;
}

int deliver_list(struct store *st, const char *webhook, const char *state, unsigned limit, json_t **out)
{
	*out = json_array();
	struct store_val a[] = { webhook ? STORE_V_TEXT(webhook) : STORE_V_NULL,
				 state ? STORE_V_TEXT(state) : STORE_V_NULL,
				 STORE_V_INT(limit ? limit : 100) };
	int r = store_query(st,
			    "SELECT d.outbox_id, d.webhook, o.msg_id, o.type, o.nc_id, o.created_at, d.state, d.attempts,"
			    " d.last_at, d.next_at, d.last_status, d.last_error, d.delivered_at"
			    " FROM deliveries d JOIN outbox o ON o.id = d.outbox_id"
			    " WHERE (?1 IS NULL OR d.webhook = ?1) AND (?2 IS NULL OR d.state = ?2)"
			    " ORDER BY d.outbox_id DESC, d.webhook LIMIT ?3",
			    a, 3, take_json, *out, NULL);
	if (r < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return r;
}

static int take_count(void *arg, const struct store_val *c, size_t n)
{
	(void)n;
	json_object_set_new(arg, c[0].s, json_integer(c[1].i));
	return 0;
}

static int take_text(void *arg, const struct store_val *c, size_t n)
{
	(void)n;
	json_t *o = arg;
	json_object_set_new(o, "last_error", c[0].type == STORE_NULL ? json_null() : json_string(c[0].s));
	return 1;
}

static int take_disabled(void *arg, const struct store_val *c, size_t n)
{
	(void)n;
	char t[UTIL_ISO_TIME_LEN];
	util_time_iso((time_t)c[0].i, t);
	json_object_set_new(arg, "disabled", json_pack("{s:s, s:s}", "at", t, "reason", c[1].s));
	return 1;
}

int deliver_summary(struct store *st, const struct config *cfg, json_t **out)
{
	*out = json_array();
	int r = 0;
	for (const struct config_section *s = config_next(cfg, "webhook", NULL); s && r >= 0;
	     s = config_next(cfg, "webhook", s)) {
		char *url = http_redact_url(config_get(s, "url"));
		json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "name", s->name, "url", url ? url : "", "format",
				      config_get_default(s, "format", "standard"), "enabled",
				      config_get_bool(s, "enabled", 1));
		free(url);
		json_t *counts = json_pack("{s:i, s:i, s:i, s:i}", "pending", 0, "delivered", 0, "dead", 0, "skipped", 0);
		struct store_val a[] = { STORE_V_TEXT(s->name) };
		r = store_query(st, "SELECT state, count(*) FROM deliveries WHERE webhook = ? GROUP BY state", a, 1,
				take_count, counts, NULL);
		/* events due to it that no pass has reached yet count as pending */
		json_t *waiting = json_object();
		if (r >= 0)
			r = store_query(st,
					"SELECT 'waiting', count(*) FROM outbox o WHERE o.id > (SELECT start_id FROM"
					" webhooks WHERE name = ?1) AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE"
					" d.outbox_id = o.id AND d.webhook = ?1)",
					a, 1, take_count, waiting, NULL);
		json_object_set_new(counts, "pending",
				    json_integer(json_integer_value(json_object_get(counts, "pending")) +
						 json_integer_value(json_object_get(waiting, "waiting"))));
		json_decref(waiting);
		json_object_set_new(o, "deliveries", counts);
		json_object_set_new(o, "last_error", json_null());
		json_object_set_new(o, "disabled", json_null());
		if (r >= 0)
			r = store_query(st,
					"SELECT disabled_at, disabled_reason FROM webhooks WHERE name = ?"
					" AND disabled_at IS NOT NULL",
					a, 1, take_disabled, o, NULL);
		if (r >= 0)
			r = store_query(st,
					"SELECT last_error FROM deliveries WHERE webhook = ? AND last_error IS NOT NULL"
					" ORDER BY last_at DESC, outbox_id DESC LIMIT 1",
					a, 1, take_text, o, NULL);
		json_array_append_new(*out, o);
	}
	if (r < 0) {
		json_decref(*out);
		*out = NULL;
		return r;
	}
	return 0;
}

int deliver_retry(struct store *st, const char *webhook, int64_t outbox_id, int *count)
{
	struct store_val a[] = { STORE_V_TEXT(webhook), STORE_V_INT(outbox_id) };
	struct store_val k[] = { STORE_V_TEXT(webhook) };
	int r = store_query(st, "UPDATE webhooks SET disabled_at = NULL, disabled_reason = NULL WHERE name = ?", k, 1,
			    NULL, NULL, NULL);
	if (r < 0)
		return r;
	return store_query(st,
			   "UPDATE deliveries SET state = 'pending', attempts = 0, next_at = NULL"
			   " WHERE webhook = ?1 AND state = 'dead' AND (?2 = 0 OR outbox_id = ?2)",
			   a, 2, NULL, NULL, count);
}
