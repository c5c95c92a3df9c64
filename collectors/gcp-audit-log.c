/*
 * gcp-audit-log.c: the Admin Activity audit log of one Google Cloud project
 * from Cloud Logging entries.list (POST /v2/entries:list), with a
 * service-account JWT exchanged for a token (auth google-jwt, scope
 * logging.read), collected incrementally.  The endpoint defaults to
 * https://logging.googleapis.com.
 *
 * The first run asks for the last `lookback` (default 7 days); later runs
 * start `overlap` (default 15 minutes) before the newest entry the last
 * successful run saw, the cursor.  Entries come oldest first; a page
 * without entries but with a nextPageToken means "keep going".  Each page
 * is parsed, stored and released before the next is fetched.
 *
 * Facts: audit.event per LogEntry (ext_id insertId, observed at
 * timestamp), stored with collect_event().
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "collector_http.h"
#include "util.h"

#define DEFAULT_ENDPOINT "https://logging.googleapis.com"
#define ACTIVITY_LOG "cloudaudit.googleapis.com%2Factivity"
#define PAGE_SIZE 1000
#define DEFAULT_LOOKBACK (7 * 86400)
#define DEFAULT_OVERLAP (15 * 60)
#define MAX_RANGE (400 * 86400) /* the longest Cloud Logging retention */

struct gcp {
	struct collector_http http;
	char *project;
	uint64_t lookback_s;
	uint64_t overlap_s;
};

static const struct config_key gcp_keys[] = {
	HTTP_CONFIG_KEYS,
	AUTH_GOOGLE_KEYS,
	{ "project", CONFIG_T_NAME, CONFIG_REQUIRED, NULL, 0, 0 },
	{ "lookback", CONFIG_T_DURATION, 0, NULL, 60, MAX_RANGE },
	{ "overlap", CONFIG_T_DURATION, 0, NULL, 0, 86400 },
	{ NULL, 0, 0, NULL, 0, 0 },
};

static const char *const google_defaults[] = { "scope=https://www.googleapis.com/auth/logging.read", NULL };

static int gcp_configure(struct collector *c, const struct config_section *s, struct config_errors *errs)
{
	struct gcp *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -1;
	c->priv = g;
	const char *project = config_get(s, "project");
	if (project == NULL) {
		config_errors_add(errs, s->file, s->line, "[source %s] key 'project': missing required key", s->name);
		return -1;
	}
	g->project = strdup(project);
	if (g->project == NULL)
		return -1;
	g->lookback_s = config_get_duration(s, "lookback", DEFAULT_LOOKBACK);
	g->overlap_s = config_get_duration(s, "overlap", DEFAULT_OVERLAP);
	return collector_http_configure(&g->http, s, DEFAULT_ENDPOINT, "google-jwt", google_defaults, errs);
}

static void gcp_free(struct collector *c)
{
	struct gcp *g = c->priv;
	if (g == NULL)
		return;
	collector_http_free(&g->http);
	free(g->project);
	free(g);
	c->priv = NULL;
}

/* The entries:list request body (without pageToken). */
static json_t *request_body(const struct gcp *g, time_t start, time_t end)
{
	char s[UTIL_ISO_TIME_LEN], e[UTIL_ISO_TIME_LEN];
	util_time_iso(start, s);
	util_time_iso(end, e);
	char *resource = NULL, *filter = NULL;
	json_t *body = NULL;
	if (asprintf(&resource, "projects/%s", g->project) < 0)
		return NULL;
	if (asprintf(&filter, "logName=\"projects/%s/logs/%s\" AND timestamp>=\"%s\" AND timestamp<=\"%s\"",
		     g->project, ACTIVITY_LOG, s, e) >= 0)
		body = json_pack("{s:[s], s:s, s:s, s:i}", "resourceNames", resource, "filter", filter, "orderBy",
				 "timestamp asc", "pageSize", PAGE_SIZE);
	else
		filter = NULL;
	free(resource);
	free(filter);
	return body;
}

static const char *label(struct jt_doc *d, uint32_t entry, const char *name)
{
	return collector_tape_str(d, jt_pointer(d, entry, "/resource/labels"), name);
}

/* Writes the normalized fact of entry into x->fact, keys in sorted order. */
static int gcp_fact(struct collect_ctx *ctx, struct collector_bulk *x, const struct gcp *g, uint32_t entry,
		    const char *id, const char *ts)
{
	struct jt_doc *d = &x->page;
	const char *cats[CLASSIFY_MAX_CATEGORIES];
	size_t ncat = classify_tape(&x->cls, "gcp", d, entry, cats);
	uint32_t pp = jt_get(d, entry, "protoPayload");
	const char *actor = jt_str(d, jt_pointer(d, pp, "/authenticationInfo/principalEmail"), NULL);
	const char *type = NULL;
	if (actor != NULL)
		type = strstr(actor, ".gserviceaccount.com") != NULL ? "serviceAccount" : "user";
	const char *region = label(d, entry, "zone");
	if (region == NULL)
		region = label(d, entry, "region");
	if (region == NULL)
		region = label(d, entry, "location");
	const char *project = label(d, entry, "project_id");
	const char *outcome = "unknown";
	if (pp != JT_NONE && jt_type(d, pp) == JT_OBJECT)
		outcome = jt_int(d, jt_get(d, jt_get(d, pp, "status"), "code"), 0) == 0 ? "success" : "failure";

	struct jt_buf *b = &x->fact;
	collector_fact_begin(b);
	collector_fact_str(b, "account", project ? project : g->project);
	collector_fact_str(b, "actor", actor);
	collector_fact_str(b, "actor_type", type);
	collector_fact_strings(b, "categories", cats, ncat);
	collector_fact_str(b, "event_id", id);
	collector_fact_str(b, "event_time", ts);
	collector_fact_str(b, "name", collector_tape_str(d, pp, "methodName"));
	collector_fact_str(b, "outcome", outcome);
	collector_fact_str(b, "provider", "gcp");
	collector_fact_str(b, "region", region);
	collector_fact_str(b, "resource", collector_tape_str(d, pp, "resourceName"));
	collector_fact_str(b, "service", collector_tape_str(d, pp, "serviceName"));
	collector_fact_str(b, "source_ip", jt_str(d, jt_pointer(d, pp, "/requestMetadata/callerIp"), NULL));
	return collector_fact_end(ctx, b);
}

static int on_entry(struct collect_ctx *ctx, struct collector_bulk *x, const struct gcp *g, uint32_t entry,
		    int64_t page_id, time_t *newest)
{
	struct jt_doc *d = &x->page;
	const char *id = jt_nonempty(d, jt_get(d, entry, "insertId"));
	uint32_t tsn = jt_get(d, entry, "timestamp");
	const char *ts = jt_str(d, tsn, NULL);
	time_t when = collector_tape_time(d, tsn);
	if (id == NULL || when == 0)
		return collect_fail(ctx, "entries.list: an entry without insertId or a valid timestamp");
	if (gcp_fact(ctx, x, g, entry, id, ts) < 0)
		return -1;
	return collector_bulk_stage(ctx, x, when, id, page_id, newest);
}

/* Stages the audit.event facts of one entries.list page (in x->page);
 * *newest becomes the time of the newest entry stored.  An object without
 * entries is an empty page (proto3 JSON omits empty lists); anything but
 * an object is an error.  The live run and the normalizer share it. */
static int gcp_page(struct collector *c, struct collect_ctx *ctx, struct collector_bulk *x, int64_t page_id,
		    time_t *newest)
{
	const struct gcp *g = c->priv;
	struct jt_doc *d = &x->page;
	if (jt_type(d, 0) != JT_OBJECT)
		return collect_fail(ctx, "entries.list: the response is not a JSON object");
	uint32_t entries = jt_get(d, 0, "entries");
	if (entries == JT_NONE)
		return 0;
	if (jt_type(d, entries) != JT_ARRAY)
		return collect_fail(ctx, "entries.list: entries is not an array");
	for (uint32_t e = entries + 1; e < d->n[entries].end; e = d->n[e].end)
		if (on_entry(ctx, x, g, e, page_id, newest) < 0)
			return -1;
	return 0;
}

/* The normalizer: one entries.list page; nextPageToken is not followed and
 * the cursor is not set. */
static int gcp_normalize(struct collector *c, struct collect_ctx *ctx, const char *body, size_t len, int64_t page_id)
{
	return collector_bulk_normalize(c, ctx, "entries.list page", body, len, page_id, gcp_page);
}

/* POSTs body to entries:list. */
static int list_page(struct collect_ctx *ctx, struct http_client *client, struct gcp *g, const json_t *body,
		     struct collector_page *page, struct jt_doc *tape)
{
	memset(page, 0, sizeof(*page));
	char *url = collector_http_url(&g->http, "/v2/entries:list");
	char *text = json_dumps(body, JSON_COMPACT);
	int r = -1;
	if (url == NULL || text == NULL) {
		collect_fail(ctx, "out of memory");
	} else {
		struct http_header hdrs[] = { { "Content-Type", "application/json" } };
		struct http_request req = { "POST", url, hdrs, 1, text, strlen(text), g->http.auth };
		r = collector_http_page_tape(ctx, client, &req, page, tape);
	}
	free(url);
	free(text);
	return r;
}

static int gcp_collect(struct collector *c, struct collect_ctx *ctx)
{
	struct gcp *g = c->priv;
	struct http_client *client = collector_http_client(&g->http, ctx);
	if (client == NULL)
		return -1;
	time_t end = ctx->started, prev = 0;
	time_t start = 0;
	if (collect_time_range(ctx, end, g->lookback_s, g->overlap_s, MAX_RANGE, &start, &prev) < 0) {
		http_client_free(client);
		return -1;
	}
	time_t newest = prev;
	int r = -1;
	struct collector_bulk x;
	memset(&x, 0, sizeof(x));
	struct http_pages pages;
	http_pages_init(&pages, g->http.opt.max_pages);
	json_t *body = request_body(g, start, end);
	if (body == NULL) {
		collect_fail(ctx, "out of memory");
		goto out;
	}
	for (;;) {
		struct collector_page page;
		if (list_page(ctx, client, g, body, &page, &x.page) < 0) {
			collector_page_free(&page);
			goto out;
		}
		if (gcp_page(c, ctx, &x, page.page_id, &newest) < 0 || collect_flush(ctx) < 0) {
			collector_page_free(&page);
			goto out;
		}
		const char *next = jt_nonempty(&x.page, jt_get(&x.page, 0, "nextPageToken"));
		if (next == NULL) {
			collector_page_free(&page);
			break;
		}
		char err[256];
		if (http_pages_next(&pages, next, err, sizeof(err)) < 0) {
			collector_page_free(&page);
			collect_fail(ctx, "entries.list: %s", err);
			goto out;
		}
		json_object_set_new(body, "pageToken", json_string(next));
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

const struct collector_ops collector_gcp_audit_log = {
	.name = "gcp-audit-log",
	.default_schedule = "hourly",
	.keys = gcp_keys,
	.configure = gcp_configure,
	.collect = gcp_collect,
	.normalize = gcp_normalize,
	.free = gcp_free,
};
