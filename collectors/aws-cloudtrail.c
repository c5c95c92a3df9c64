/*
 * aws-cloudtrail.c: management events from AWS CloudTrail LookupEvents
 * (JSON 1.1, SigV4 service "cloudtrail"), collected incrementally.  The
 * endpoint defaults to https://cloudtrail.REGION.amazonaws.com; requests
 * are limited to 2 per second (the API's limit per account and region)
 * unless the section sets rate_limit.
 *
 * The first run asks for the last `lookback` (default 7 days); later runs
 * start `overlap` (default 15 minutes) before the newest event the last
 * successful run saw, the cursor.  Events come newest first, 50 a page;
 * each page is parsed, stored and released before the next is fetched.
 *
 * Facts: audit.event per event (ext_id EventId, observed at EventTime),
 * stored with collect_event() so that the overlap is not stored twice.
 * CloudTrailEvent is a JSON document inside a JSON string: it is parsed
 * again, and that record is what classify_event() sees.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "collector_http.h"
#include "util.h"

#define LOOKUP_TARGET "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
#define MAX_RESULTS 50
#define DEFAULT_RATE 2.0
#define DEFAULT_LOOKBACK (7 * 86400)
#define DEFAULT_OVERLAP (15 * 60)
#define MAX_RANGE (90 * 86400) /* LookupEvents keeps 90 days */

struct cloudtrail {
	struct collector_http http;
	uint64_t lookback_s;
	uint64_t overlap_s;
};

static const struct config_key ct_keys[] = {
	HTTP_CONFIG_KEYS,
	AUTH_SIGV4_KEYS,
	{ "lookback", CONFIG_T_DURATION, 0, NULL, 60, MAX_RANGE },
	{ "overlap", CONFIG_T_DURATION, 0, NULL, 0, 86400 },
	{ NULL, 0, 0, NULL, 0, 0 },
};

static const char *const sigv4_defaults[] = { "service=cloudtrail", NULL };

static int ct_configure(struct collector *c, const struct config_section *s, struct config_errors *errs)
{
	struct cloudtrail *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -1;
	c->priv = t;
	t->lookback_s = config_get_duration(s, "lookback", DEFAULT_LOOKBACK);
	t->overlap_s = config_get_duration(s, "overlap", DEFAULT_OVERLAP);
	char *def = NULL;
	const char *region = config_get(s, "region");
	if (region != NULL && asprintf(&def, "https://cloudtrail.%s.amazonaws.com", region) < 0)
		def = NULL;
	int r = collector_http_configure(&t->http, s, def, "aws-sigv4", sigv4_defaults, errs);
	free(def);
	if (r == 0 && config_get(s, "rate_limit") == NULL)
		t->http.opt.rate_limit = DEFAULT_RATE;
	return r;
}

static void ct_free(struct collector *c)
{
	struct cloudtrail *t = c->priv;
	if (t == NULL)
		return;
	collector_http_free(&t->http);
	free(t);
	c->priv = NULL;
}

/* Who acted: the ARN when there is one. */
static const char *actor_of(const json_t *ident)
{
	static const char *const keys[] = { "arn", "userName", "principalId", "invokedBy" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = collector_json_str(ident, keys[i]);
		if (v != NULL && *v != '\0')
			return v;
	}
	return NULL;
}

static const char *outcome_of(const json_t *rec)
{
	const char *err = collector_json_str(rec, "errorCode");
	const char *login = json_string_value(collector_json_pointer((json_t *)rec, "/responseElements/ConsoleLogin"));
	if ((err != NULL && *err != '\0') || (login != NULL && strcmp(login, "Failure") == 0))
		return "failure";
	return "success";
}

/* The normalized fact of one event: ev is the LookupEvents entry, rec its
 * parsed CloudTrailEvent. */
static json_t *ct_fact(const json_t *ev, const json_t *rec, const char *id, time_t when)
{
	json_t *f = json_object();
	json_t *ident = json_object_get(rec, "userIdentity");
	json_object_set_new(f, "provider", json_string("aws"));
	json_object_set_new(f, "event_id", json_string(id));
	collector_json_set_time(f, "event_time", when);
	const char *name = collector_json_str(rec, "eventName");
	collector_json_set_str(f, "name", name ? name : collector_json_str(ev, "EventName"));
	const char *service = collector_json_str(rec, "eventSource");
	collector_json_set_str(f, "service", service ? service : collector_json_str(ev, "EventSource"));
	const char *actor = actor_of(ident);
	collector_json_set_str(f, "actor", actor ? actor : collector_json_str(ev, "Username"));
	collector_json_set_str(f, "actor_type", collector_json_str(ident, "type"));
	collector_json_set_str(f, "source_ip", collector_json_str(rec, "sourceIPAddress"));
	collector_json_set_str(f, "region", collector_json_str(rec, "awsRegion"));
	const char *account = collector_json_str(rec, "recipientAccountId");
	collector_json_set_str(f, "account", account ? account : collector_json_str(ident, "accountId"));
	json_object_set_new(f, "outcome", json_string(outcome_of(rec)));
	json_t *res = json_array_get(json_object_get(ev, "Resources"), 0);
	collector_json_set_str(f, "resource", collector_json_str(res, "ResourceName"));
	json_object_set_new(f, "categories", json_array());
	return f;
}

static int on_event(struct collect_ctx *ctx, const json_t *ev, int64_t page_id, time_t *newest)
{
	const char *id = collector_json_str(ev, "EventId");
	const char *text = collector_json_str(ev, "CloudTrailEvent");
	if (id == NULL || *id == '\0' || text == NULL)
		return collect_fail(ctx, "LookupEvents: an event without EventId or CloudTrailEvent");
	json_error_t jerr;
	json_t *rec = json_loads(text, 0, &jerr);
	if (!json_is_object(rec)) {
		/* without JSON_DECODE_ANY, an array is the only other text that parses */
		const char *why = rec == NULL ? jerr.text : "it is an array";
		json_decref(rec);
		return collect_fail(ctx, "LookupEvents: event %s: CloudTrailEvent is not a JSON object (%s)", id, why);
	}
	time_t when = collector_json_epoch(ev, "EventTime");
	if (when == 0)
		when = collector_json_time(rec, "eventTime");
	int r = -1;
	json_t *fact = NULL;
	if (when == 0) {
		collect_fail(ctx, "LookupEvents: event %s has no EventTime", id);
		goto out;
	}
	fact = ct_fact(ev, rec, id, when);
	if (classify_event("aws", rec, json_object_get(fact, "categories")) < 0) {
		collect_fail(ctx, "out of memory");
		goto out;
	}
	r = collect_event(ctx, "audit.event", when, id, fact, page_id);
	if (r >= 0 && when > *newest)
		*newest = when;
out:
	json_decref(fact);
	json_decref(rec);
	return r < 0 ? -1 : 0;
}

/* Stages the audit.event facts of one LookupEvents page (json); *newest
 * becomes the time of the newest event stored.  The live run and the
 * normalizer share it. */
static int ct_page(struct collect_ctx *ctx, json_t *json, int64_t page_id, time_t *newest)
{
	json_t *events = json_object_get(json, "Events");
	if (!json_is_array(events))
		return collect_fail(ctx, "LookupEvents: no Events in the response");
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev)
	{
		if (on_event(ctx, ev, page_id, newest) < 0)
			return -1;
	}
	return 0;
}

/* The normalizer: one LookupEvents page.  The cursor is a matter of the
 * whole run and is not set. */
static int ct_normalize(struct collector *c, struct collect_ctx *ctx, const char *body, size_t len, int64_t page_id)
{
	(void)c;
	json_t *json = collector_json_page(ctx, "LookupEvents page", body, len);
	if (json == NULL)
		return -1;
	time_t newest = 0;
	int r = ct_page(ctx, json, page_id, &newest);
	json_decref(json);
	return r;
}

static int ct_collect(struct collector *c, struct collect_ctx *ctx)
{
	struct cloudtrail *t = c->priv;
	struct http_client *client = collector_http_client(&t->http, ctx);
	if (client == NULL)
		return -1;
	time_t end = ctx->started, prev = 0;
	time_t start = 0;
	if (collect_time_range(ctx, end, t->lookback_s, t->overlap_s, MAX_RANGE, &start, &prev) < 0) {
		http_client_free(client);
		return -1;
	}
	time_t newest = prev;
	int r = -1;
	json_t *body = json_pack("{s:I, s:I, s:i}", "StartTime", (json_int_t)start, "EndTime", (json_int_t)end,
				 "MaxResults", MAX_RESULTS);
	struct http_pages pages;
	http_pages_init(&pages, t->http.opt.max_pages);
	for (;;) {
		struct collector_page page;
		if (collector_http_aws_json(ctx, client, &t->http, LOOKUP_TARGET, body, &page) < 0) {
			collector_page_free(&page);
			goto out;
		}
		if (ct_page(ctx, page.json, page.page_id, &newest) < 0 || collect_flush(ctx) < 0) {
			collector_page_free(&page);
			goto out;
		}
		const char *next = collector_json_str(page.json, "NextToken");
		if (next == NULL || *next == '\0') {
			collector_page_free(&page);
			break;
		}
		char err[256];
		if (http_pages_next(&pages, next, err, sizeof(err)) < 0) {
			collector_page_free(&page);
			collect_fail(ctx, "LookupEvents: %s", err);
			goto out;
		}
		json_object_set_new(body, "NextToken", json_string(next));
		collector_page_free(&page);
		if (collect_cancelled(ctx)) {
			collect_fail(ctx, "cancelled: ismsd is stopping");
			goto out;
		}
	}
	if (newest > 0) {
		char cur[32];
		snprintf(cur, sizeof(cur), "%lld", (long long)newest);
		if (collect_cursor_set(ctx, cur) < 0)
			goto out;
	}
	r = 0;
out:
	http_pages_free(&pages);
	json_decref(body);
	http_client_free(client);
	return r;
}

const struct collector_ops collector_aws_cloudtrail = {
	.name = "aws-cloudtrail",
	.default_schedule = "hourly",
	.keys = ct_keys,
	.configure = ct_configure,
	.collect = ct_collect,
	.normalize = ct_normalize,
	.free = ct_free,
};
