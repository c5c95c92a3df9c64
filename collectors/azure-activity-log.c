/*
 * azure-activity-log.c: the Azure Monitor Activity Log of one subscription
 * (ARM, api-version 2015-04-01), with an Entra ID client-credentials token
 * (auth oauth2, scope https://management.azure.com/.default), collected
 * incrementally.  The endpoint defaults to https://management.azure.com.
 *
 * The first run asks for the last `lookback` (default 7 days); later runs
 * start `overlap` (default 15 minutes) before the newest event the last
 * successful run saw, the cursor.  Pages are followed through nextLink,
 * which must stay on the endpoint's scheme, host and port; each page is
 * parsed, stored and released before the next is fetched.
 *
 * Facts: audit.event per EventData (ext_id eventDataId, observed at
 * eventTimestamp), stored with collect_event().  An operation is logged
 * twice (Started, then Succeeded or Failed); both are stored, and the
 * classification rules count only Succeeded events.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "collector_http.h"
#include "util.h"

#define DEFAULT_ENDPOINT "https://management.azure.com"
#define API_VERSION "2015-04-01"
#define DEFAULT_LOOKBACK (7 * 86400)
#define DEFAULT_OVERLAP (15 * 60)
#define MAX_RANGE (90 * 86400) /* the API refuses longer ranges */

struct activity {
	struct collector_http http;
	char *subscription;
	uint64_t lookback_s;
	uint64_t overlap_s;
};

static const struct config_key activity_keys[] = {
	HTTP_CONFIG_KEYS,
	AUTH_OAUTH2_KEYS,
	{ "subscription", CONFIG_T_NAME, CONFIG_REQUIRED, NULL, 0, 0 },
	{ "lookback", CONFIG_T_DURATION, 0, NULL, 60, MAX_RANGE },
	{ "overlap", CONFIG_T_DURATION, 0, NULL, 0, 86400 },
	{ NULL, 0, 0, NULL, 0, 0 },
};

static const char *const oauth2_defaults[] = { "scope=https://management.azure.com/.default", NULL };

static int activity_configure(struct collector *c, const struct config_section *s, struct config_errors *errs)
{
	struct activity *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -1;
	c->priv = a;
	const char *sub = config_get(s, "subscription");
	if (sub == NULL) {
		config_errors_add(errs, s->file, s->line, "[source %s] key 'subscription': missing required key", s->name);
		return -1;
	}
	a->subscription = strdup(sub);
	if (a->subscription == NULL)
		return -1;
	a->lookback_s = config_get_duration(s, "lookback", DEFAULT_LOOKBACK);
	a->overlap_s = config_get_duration(s, "overlap", DEFAULT_OVERLAP);
	return collector_http_configure(&a->http, s, DEFAULT_ENDPOINT, "oauth2", oauth2_defaults, errs);
}

static void activity_free(struct collector *c)
{
	struct activity *a = c->priv;
	if (a == NULL)
		return;
	collector_http_free(&a->http);
	free(a->subscription);
	free(a);
	c->priv = NULL;
}

/* The first page's URL; the caller frees it. */
static char *first_url(const struct activity *a, time_t start, time_t end)
{
	char s[UTIL_ISO_TIME_LEN], e[UTIL_ISO_TIME_LEN];
	util_time_iso(start, s);
	util_time_iso(end, e);
	char *filter = NULL, *url = NULL;
	if (asprintf(&filter, "eventTimestamp ge '%s' and eventTimestamp le '%s'", s, e) < 0)
		return NULL;
	char *ef = http_urlencode(filter);
	char *es = http_urlencode(a->subscription);
	if (ef == NULL || es == NULL ||
	    asprintf(&url,
		     "%s/subscriptions/%s/providers/Microsoft.Insights/eventtypes/management/values"
		     "?api-version=" API_VERSION "&$filter=%s",
		     a->http.endpoint, es, ef) < 0)
		url = NULL;
	free(ef);
	free(es);
	free(filter);
	return url;
}

static const char *outcome_of(const char *status)
{
	if (status == NULL)
		return "unknown";
	if (strcmp(status, "Succeeded") == 0)
		return "success";
	if (strcmp(status, "Failed") == 0)
		return "failure";
	return "unknown"; /* Started, Accepted, Active, ... */
}

/* "user" for a user principal name, "app" for a service principal (the
 * caller is then its application id), as the idtyp claim says. */
static const char *actor_type_of(struct jt_doc *d, uint32_t ev, const char *caller)
{
	const char *idtyp = collector_tape_str(d, jt_get(d, ev, "claims"), "idtyp");
	if (idtyp != NULL)
		return idtyp;
	if (caller == NULL)
		return NULL;
	return strchr(caller, '@') != NULL ? "user" : "app";
}

/* Writes the normalized fact of event ev of the page into x->fact, keys in
 * sorted order. */
static int activity_fact(struct collect_ctx *ctx, struct collector_bulk *x, uint32_t ev, const char *id,
			 const char *ts)
{
	struct jt_doc *d = &x->page;
	const char *cats[CLASSIFY_MAX_CATEGORIES];
	size_t ncat = classify_tape(&x->cls, "azure", d, ev, cats);
	const char *caller = collector_tape_str(d, ev, "caller");
	const char *ip = jt_str(d, jt_pointer(d, ev, "/httpRequest/clientIpAddress"), NULL);
	struct jt_buf *b = &x->fact;
	collector_fact_begin(b);
	collector_fact_str(b, "account", collector_tape_str(d, ev, "subscriptionId"));
	collector_fact_str(b, "actor", caller);
	collector_fact_str(b, "actor_type", actor_type_of(d, ev, caller));
	collector_fact_strings(b, "categories", cats, ncat);
	collector_fact_str(b, "event_id", id);
	collector_fact_str(b, "event_time", ts);
	collector_fact_str(b, "name", jt_str(d, jt_pointer(d, ev, "/operationName/value"), NULL));
	collector_fact_str(b, "outcome", outcome_of(jt_str(d, jt_pointer(d, ev, "/status/value"), NULL)));
	collector_fact_str(b, "provider", "azure");
	collector_fact_str(b, "region", NULL); /* the Activity Log has no location */
	collector_fact_str(b, "resource", collector_tape_str(d, ev, "resourceId"));
	collector_fact_str(b, "service", jt_str(d, jt_pointer(d, ev, "/resourceProviderName/value"), NULL));
	collector_fact_str(b, "source_ip", ip ? ip : jt_str(d, jt_pointer(d, ev, "/claims/ipaddr"), NULL));
	return collector_fact_end(ctx, b);
}

static int on_event(struct collect_ctx *ctx, struct collector_bulk *x, uint32_t ev, int64_t page_id, time_t *newest)
{
	struct jt_doc *d = &x->page;
	const char *id = jt_nonempty(d, jt_get(d, ev, "eventDataId"));
	uint32_t tsn = jt_get(d, ev, "eventTimestamp");
	const char *ts = jt_str(d, tsn, NULL);
	time_t when = collector_tape_time(d, tsn);
	if (id == NULL || when == 0)
		return collect_fail(ctx, "Activity Log: an event without eventDataId or a valid eventTimestamp");
	if (activity_fact(ctx, x, ev, id, ts) < 0)
		return -1;
	return collector_bulk_stage(ctx, x, when, id, page_id, newest);
}

/* Stages the audit.event facts of one Activity Log page (in x->page);
 * *newest becomes the time of the newest event stored.  The live run and
 * the normalizer share it. */
static int activity_page(struct collector *c, struct collect_ctx *ctx, struct collector_bulk *x, int64_t page_id,
			 time_t *newest)
{
	(void)c;
	struct jt_doc *d = &x->page;
	uint32_t events = jt_get(d, 0, "value");
	if (jt_type(d, events) != JT_ARRAY)
		return collect_fail(ctx, "Activity Log: no value array in the response");
	for (uint32_t ev = events + 1; ev < d->n[events].end; ev = d->n[ev].end)
		if (on_event(ctx, x, ev, page_id, newest) < 0)
			return -1;
	return 0;
}

/* The normalizer: one Activity Log page; nextLink is not followed and the
 * cursor is not set. */
static int activity_normalize(struct collector *c, struct collect_ctx *ctx, const char *body, size_t len,
			      int64_t page_id)
{
	return collector_bulk_normalize(c, ctx, "Activity Log page", body, len, page_id, activity_page);
}

static int activity_collect(struct collector *c, struct collect_ctx *ctx)
{
	struct activity *a = c->priv;
	struct http_client *client = collector_http_client(&a->http, ctx);
	if (client == NULL)
		return -1;
	time_t end = ctx->started, prev = 0;
	time_t start = 0;
	if (collect_time_range(ctx, end, a->lookback_s, a->overlap_s, MAX_RANGE, &start, &prev) < 0) {
		http_client_free(client);
		return -1;
	}
	time_t newest = prev;
	int r = -1;
	struct collector_bulk x;
	memset(&x, 0, sizeof(x));
	struct http_pages pages;
	http_pages_init(&pages, a->http.opt.max_pages);
	char *url = first_url(a, start, end);
	if (url == NULL) {
		collect_fail(ctx, "out of memory");
		goto out;
	}
	for (;;) {
		struct http_request req = { "GET", url, NULL, 0, NULL, 0, a->http.auth };
		struct collector_page page;
		if (collector_http_page_tape(ctx, client, &req, &page, &x.page) < 0) {
			collector_page_free(&page);
			goto out;
		}
		if (activity_page(c, ctx, &x, page.page_id, &newest) < 0 || collect_flush(ctx) < 0) {
			collector_page_free(&page);
			goto out;
		}
		const char *next = jt_nonempty(&x.page, jt_get(&x.page, 0, "nextLink"));
		if (next == NULL) {
			collector_page_free(&page);
			break;
		}
		char err[256];
		if (http_same_origin(a->http.endpoint, next) != 0) {
			char *shown = http_redact_url(next);
			collect_fail(ctx, "Activity Log: refusing a nextLink outside %s: %s", a->http.endpoint,
				     shown ? shown : "(unprintable)");
			free(shown);
			collector_page_free(&page);
			goto out;
		}
		if (http_pages_next(&pages, next, err, sizeof(err)) < 0) {
			collect_fail(ctx, "Activity Log: %s", err);
			collector_page_free(&page);
			goto out;
		}
		free(url);
		url = strdup(next);
		collector_page_free(&page);
		if (url == NULL) {
			collect_fail(ctx, "out of memory");
			goto out;
		}
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
	free(url);
	http_pages_free(&pages);
	http_client_free(client);
	return r;
}

const struct collector_ops collector_azure_activity_log = {
	.name = "azure-activity-log",
	.default_schedule = "hourly",
	.keys = activity_keys,
	.configure = activity_configure,
	.collect = activity_collect,
	.normalize = activity_normalize,
	.free = activity_free,
};
