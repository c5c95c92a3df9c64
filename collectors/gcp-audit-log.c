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

static const char *label(json_t *entry, const char *name)
{
	return collector_json_str(collector_json_pointer(entry, "/resource/labels"), name);
}

static json_t *gcp_fact(json_t *entry, const struct gcp *g, const char *id, const char *ts)
{
	json_t *f = json_object();
	json_t *pp = json_object_get(entry, "protoPayload");
	json_object_set_new(f, "provider", json_string("gcp"));
	json_object_set_new(f, "event_id", json_string(id));
	json_object_set_new(f, "event_time", json_string(ts));
	collector_json_set_str(f, "name", collector_json_str(pp, "methodName"));
	collector_json_set_str(f, "service", collector_json_str(pp, "serviceName"));
	const char *actor = json_string_value(collector_json_pointer(pp, "/authenticationInfo/principalEmail"));
	collector_json_set_str(f, "actor", actor);
	const char *type = NULL;
	if (actor != NULL)
		type = strstr(actor, ".gserviceaccount.com") != NULL ? "serviceAccount" : "user";
	collector_json_set_str(f, "actor_type", type);
	collector_json_set_str(f, "source_ip", json_string_value(collector_json_pointer(pp, "/requestMetadata/callerIp")));
	const char *region = label(entry, "zone");
	if (region == NULL)
		region = label(entry, "region");
	if (region == NULL)
		region = label(entry, "location");
	collector_json_set_str(f, "region", region);
	const char *project = label(entry, "project_id");
	collector_json_set_str(f, "account", project ? project : g->project);
	const char *outcome = "unknown";
	if (json_is_object(pp)) {
		json_int_t code = collector_json_int(json_object_get(pp, "status"), "code", 0);
		outcome = code == 0 ? "success" : "failure";
	}
	json_object_set_new(f, "outcome", json_string(outcome));
	collector_json_set_str(f, "resource", collector_json_str(pp, "resourceName"));
	json_object_set_new(f, "categories", json_array());
	return f;
}

static int on_entry(struct collect_ctx *ctx, const struct gcp *g, json_t *entry, int64_t page_id, time_t *newest)
{
	const char *id = collector_json_str(entry, "insertId");
	const char *ts = collector_json_str(entry, "timestamp");
	time_t when = collector_json_time(entry, "timestamp");
	if (id == NULL || *id == '\0' || when == 0)
		return collect_fail(ctx, "entries.list: an entry without insertId or a valid timestamp");
	json_t *fact = gcp_fact(entry, g, id, ts);
	int r = -1;
	if (classify_event("gcp", entry, json_object_get(fact, "categories")) < 0)
		collect_fail(ctx, "out of memory");
	else
		r = collect_event(ctx, "audit.event", when, id, fact, page_id);
	if (r >= 0 && when > *newest)
		*newest = when;
	json_decref(fact);
	return r < 0 ? -1 : 0;
}

/* Stages the audit.event facts of one entries.list page (json); *newest
 * becomes the time of the newest entry stored.  An object without entries
 * is an empty page (proto3 JSON omits empty lists); anything but an object
 * is an error.  The live run and the normalizer share it. */
static int gcp_page(struct collect_ctx *ctx, const struct gcp *g, json_t *json, int64_t page_id, time_t *newest)
{
	if (!json_is_object(json))
		return collect_fail(ctx, "entries.list: the response is not a JSON object");
	json_t *entries = json_object_get(json, "entries");
	if (entries != NULL && !json_is_array(entries))
		return collect_fail(ctx, "entries.list: entries is not an array");
	size_t i;
	json_t *entry;
	json_array_foreach(entries, i, entry)
	{
		if (on_entry(ctx, g, entry, page_id, newest) < 0)
			return -1;
	}
	return 0;
}

/* The normalizer: one entries.list page; nextPageToken is not followed and
 * the cursor is not set. */
static int gcp_normalize(struct collector *c, struct collect_ctx *ctx, const char *body, size_t len, int64_t page_id)
{
	json_t *json = collector_json_page(ctx, "entries.list page", body, len);
	if (json == NULL)
		return -1;
	time_t newest = 0;
	int r = gcp_page(ctx, c->priv, json, page_id, &newest);
	json_decref(json);
	return r;
}

/* POSTs body to entries:list. */
static int list_page(struct collect_ctx *ctx, struct http_client *client, struct gcp *g, const json_t *body,
		     struct collector_page *page)
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
		r = collector_http_page(ctx, client, &req, page);
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
	struct http_pages pages;
	http_pages_init(&pages, g->http.opt.max_pages);
	json_t *body = request_body(g, start, end);
	if (body == NULL) {
		collect_fail(ctx, "out of memory");
		goto out;
	}
	for (;;) {
		struct collector_page page;
		if (list_page(ctx, client, g, body, &page) < 0) {
			collector_page_free(&page);
			goto out;
		}
		if (gcp_page(ctx, g, page.json, page.page_id, &newest) < 0 || collect_flush(ctx) < 0) {
			collector_page_free(&page);
			goto out;
		}
		const char *next = collector_json_str(page.json, "nextPageToken");
		if (next == NULL || *next == '\0') {
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
