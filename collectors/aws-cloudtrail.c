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
static const char *actor_of(struct jt_doc *d, uint32_t ident)
{
	static const char *const keys[] = { "arn", "userName", "principalId", "invokedBy" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = jt_nonempty(d, jt_get(d, ident, keys[i]));
		if (v != NULL)
			return v;
	}
	return NULL;
}

static const char *outcome_of(struct jt_doc *d)
{
	const char *err = jt_nonempty(d, jt_get(d, 0, "errorCode"));
	int login_failed = jt_str_eq(d, jt_pointer(d, 0, "/responseElements/ConsoleLogin"), "Failure", 7);
	return err != NULL || login_failed ? "failure" : "success";
}

/* Writes the normalized fact of one event into x->fact: ev is the
 * LookupEvents entry in the page, the record its parsed CloudTrailEvent
 * (x->rec).  Keys in sorted order. */
static int ct_fact(struct collect_ctx *ctx, struct collector_bulk *x, uint32_t ev, const char *id, time_t when)
{
	struct jt_doc *pg = &x->page, *rec = &x->rec;
	uint32_t ident = jt_get(rec, 0, "userIdentity");
	const char *cats[CLASSIFY_MAX_CATEGORIES];
	size_t ncat = classify_tape(&x->cls, "aws", rec, 0, cats);
	const char *account = collector_tape_str(rec, 0, "recipientAccountId");
	const char *actor = actor_of(rec, ident);
	const char *name = collector_tape_str(rec, 0, "eventName");
	const char *service = collector_tape_str(rec, 0, "eventSource");
	uint32_t res = jt_get(pg, ev, "Resources");
	res = jt_type(pg, res) == JT_ARRAY && pg->n[res].len > 0 ? res + 1 : JT_NONE;

	struct jt_buf *b = &x->fact;
	collector_fact_begin(b);
	collector_fact_str(b, "account", account ? account : collector_tape_str(rec, ident, "accountId"));
	collector_fact_str(b, "actor", actor ? actor : collector_tape_str(pg, ev, "Username"));
	collector_fact_str(b, "actor_type", collector_tape_str(rec, ident, "type"));
	collector_fact_strings(b, "categories", cats, ncat);
	collector_fact_str(b, "event_id", id);
	collector_fact_time(b, "event_time", when);
	collector_fact_str(b, "name", name ? name : collector_tape_str(pg, ev, "EventName"));
	collector_fact_str(b, "outcome", outcome_of(rec));
	collector_fact_str(b, "provider", "aws");
	collector_fact_str(b, "region", collector_tape_str(rec, 0, "awsRegion"));
	collector_fact_str(b, "resource", collector_tape_str(pg, res, "ResourceName"));
	collector_fact_str(b, "service", service ? service : collector_tape_str(pg, ev, "EventSource"));
	collector_fact_str(b, "source_ip", collector_tape_str(rec, 0, "sourceIPAddress"));
	return collector_fact_end(ctx, b);
}

static int on_event(struct collect_ctx *ctx, struct collector_bulk *x, uint32_t ev, int64_t page_id, time_t *newest)
{
	struct jt_doc *pg = &x->page;
	const char *id = jt_nonempty(pg, jt_get(pg, ev, "EventId"));
	size_t tlen = 0;
	const char *text = jt_str(pg, jt_get(pg, ev, "CloudTrailEvent"), &tlen);
	if (id == NULL || text == NULL)
		return collect_fail(ctx, "LookupEvents: an event without EventId or CloudTrailEvent");
	if (jt_parse(&x->rec, text, tlen, 0) < 0 || jt_type(&x->rec, 0) != JT_OBJECT) {
		const char *why = x->rec.count == 0 ? x->rec.err : "it is an array";
		return collect_fail(ctx, "LookupEvents: event %s: CloudTrailEvent is not a JSON object (%s)", id, why);
	}
	time_t when = collector_tape_epoch(pg, jt_get(pg, ev, "EventTime"));
	if (when == 0)
		when = collector_tape_time(&x->rec, jt_get(&x->rec, 0, "eventTime"));
	if (when == 0)
		return collect_fail(ctx, "LookupEvents: event %s has no EventTime", id);
	if (ct_fact(ctx, x, ev, id, when) < 0)
		return -1;
	return collector_bulk_stage(ctx, x, when, id, page_id, newest);
}

/* Stages the audit.event facts of one LookupEvents page (in x->page);
 * *newest becomes the time of the newest event stored.  The live run and
 * the normalizer share it. */
static int ct_page(struct collector *c, struct collect_ctx *ctx, struct collector_bulk *x, int64_t page_id,
		   time_t *newest)
{
	(void)c;
	struct jt_doc *pg = &x->page;
	uint32_t events = jt_get(pg, 0, "Events");
	if (jt_type(pg, events) != JT_ARRAY)
		return collect_fail(ctx, "LookupEvents: no Events in the response");
	for (uint32_t ev = events + 1; ev < pg->n[events].end; ev = pg->n[ev].end)
		if (on_event(ctx, x, ev, page_id, newest) < 0)
			return -1;
	return 0;
}

/* The normalizer: one LookupEvents page.  The cursor is a matter of the
 * whole run and is not set. */
static int ct_normalize(struct collector *c, struct collect_ctx *ctx, const char *body, size_t len, int64_t page_id)
{
	return collector_bulk_normalize(c, ctx, "LookupEvents page", body, len, page_id, ct_page);
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
	struct collector_bulk x;
	memset(&x, 0, sizeof(x));
	json_t *body = json_pack("{s:I, s:I, s:i}", "StartTime", (json_int_t)start, "EndTime", (json_int_t)end,
				 "MaxResults", MAX_RESULTS);
	struct http_pages pages;
	http_pages_init(&pages, t->http.opt.max_pages);
	for (;;) {
		struct collector_page page;
		if (collector_http_aws_json_tape(ctx, client, &t->http, LOOKUP_TARGET, body, &page, &x.page) < 0) {
			collector_page_free(&page);
			goto out;
		}
		if (ct_page(c, ctx, &x, page.page_id, &newest) < 0 || collect_flush(ctx) < 0) {
			collector_page_free(&page);
			goto out;
		}
		const char *next = jt_nonempty(&x.page, jt_get(&x.page, 0, "NextToken"));
		if (next == NULL) {
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
	collector_bulk_free(&x);
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
