/*
 * knowbe4-training.c: security-awareness training enrollments from the
 * KnowBe4 Reporting API, GET /v1/training/enrollments with a bearer token.
 * The endpoint is `endpoint`, or the account's regional base URL
 * https://REGION.api.knowbe4.com (region us, eu, ca, uk or de; default us).
 * Pages are 1-based (page, per_page up to 500) and each is a bare JSON
 * array; an empty array ends the list.
 *
 * Facts: training.enrollment per enrollment, observed at its
 * enrollment_date.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_http.h"

#define ENROLLMENTS_PATH "/v1/training/enrollments"
#define DEFAULT_PER_PAGE 500
#define MAX_PER_PAGE 500

struct kb4 {
	struct collector_http http;
	unsigned per_page;
};

static const struct config_key kb4_keys[] = {
	HTTP_CONFIG_KEYS,
	AUTH_BEARER_KEYS,
	{ "region", CONFIG_T_ENUM, 0, "us|eu|ca|uk|de", 0, 0 },
	{ "per_page", CONFIG_T_UINT, 0, NULL, 1, MAX_PER_PAGE },
	{ NULL, 0, 0, NULL, 0, 0 },
};

static int kb4_configure(struct collector *c, const struct config_section *s, struct config_errors *errs)
{
	struct kb4 *k = calloc(1, sizeof(*k));
	if (k == NULL)
		return -1;
	c->priv = k;
	k->per_page = (unsigned)config_get_uint(s, "per_page", DEFAULT_PER_PAGE);
	char def[64];
	snprintf(def, sizeof(def), "https://%s.api.knowbe4.com", config_get_default(s, "region", "us"));
	return collector_http_configure(&k->http, s, def, "bearer", NULL, errs);
}

static void kb4_free(struct collector *c)
{
	struct kb4 *k = c->priv;
	if (k == NULL)
		return;
	collector_http_free(&k->http);
	free(k);
	c->priv = NULL;
}

/* Normalizes page number page_no (json): stages its facts and writes the
 * loop guard's token.  Returns the number of enrollments on it, or -1.  The
 * live run and the normalizer share it. */
static long kb4_page(struct collect_ctx *ctx, json_t *json, int64_t page_id, unsigned page_no, char *token,
		     size_t tokenlen)
{
	if (!json_is_array(json))
		return collect_fail(ctx, "GET " ENROLLMENTS_PATH ": page %u is not a JSON array", page_no);
	size_t i;
	json_t *e;
	json_array_foreach(json, i, e)
	{
		json_t *id = json_object_get(e, "enrollment_id");
		if (!json_is_integer(id))
			return collect_fail(ctx, "GET " ENROLLMENTS_PATH ": page %u: an enrollment without an integer "
						 "enrollment_id",
					    page_no);
		json_t *user = json_object_get(e, "user");
		if (user != NULL && !json_is_object(user) && !json_is_null(user))
			return collect_fail(ctx, "GET " ENROLLMENTS_PATH ": page %u: user is not an object", page_no);
		time_t enrolled = collector_json_time(e, "enrollment_date");
		json_t *f = json_object();
		json_object_set_new(f, "enrollment_id", json_integer(json_integer_value(id)));
		json_int_t uid = collector_json_int(user, "id", -1);
		json_object_set_new(f, "user_id", uid >= 0 ? json_integer(uid) : json_null());
		collector_json_set_str(f, "user_email", collector_json_str(user, "email"));
		collector_json_set_str(f, "module", collector_json_str(e, "module_name"));
		collector_json_set_str(f, "campaign", collector_json_str(e, "campaign_name"));
		collector_json_set_str(f, "content_type", collector_json_str(e, "content_type"));
		collector_json_set_str(f, "status", collector_json_str(e, "status"));
		collector_json_set_time(f, "enrolled_at", enrolled);
		collector_json_set_time(f, "started_at", collector_json_time(e, "start_date"));
		collector_json_set_time(f, "completed_at", collector_json_time(e, "completion_date"));
		json_int_t spent = collector_json_int(e, "time_spent", -1);
		json_object_set_new(f, "time_spent", spent >= 0 ? json_integer(spent) : json_null());
		json_t *ack = json_object_get(e, "policy_acknowledged");
		json_object_set_new(f, "policy_acknowledged",
				    json_is_boolean(ack) ? json_boolean(json_is_true(ack)) : json_null());
		char ext[32];
		snprintf(ext, sizeof(ext), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
		int r = collect_fact(ctx, "training.enrollment", enrolled, ext, f, page_id);
		json_decref(f);
		if (r < 0)
			return -1;
	}
	size_t n = json_array_size(json);
	/* the loop guard's token: a page that repeats has the same first and last enrollment */
	if (n > 0)
		snprintf(token, tokenlen, "%" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(json_array_get(json, 0), "enrollment_id")),
			 json_integer_value(json_object_get(json_array_get(json, n - 1), "enrollment_id")));
	return (long)n;
}

/* The normalizer: one GET /v1/training/enrollments page, as page 1. */
static int kb4_normalize(struct collector *c, struct collect_ctx *ctx, const char *body, size_t len, int64_t page_id)
{
	(void)c;
	json_t *json = collector_json_page(ctx, "GET " ENROLLMENTS_PATH " page", body, len);
	if (json == NULL)
		return -1;
	char token[64] = "";
	long n = kb4_page(ctx, json, page_id, 1, token, sizeof(token));
	json_decref(json);
	return n < 0 ? -1 : 0;
}

static int kb4_collect(struct collector *c, struct collect_ctx *ctx)
{
	struct kb4 *k = c->priv;
	struct http_client *client = collector_http_client(&k->http, ctx);
	if (client == NULL)
		return -1;
	struct http_pages pages;
	http_pages_init(&pages, k->http.opt.max_pages);
	struct http_header accept = { "Accept", "application/json" };
	int r = -1;
	for (unsigned page_no = 1;; page_no++) {
		char path[128];
		snprintf(path, sizeof(path), ENROLLMENTS_PATH "?page=%u&per_page=%u", page_no, k->per_page);
		char *url = collector_http_url(&k->http, path);
		if (url == NULL) {
			collect_fail(ctx, "out of memory");
			break;
		}
		struct http_request req = { "GET", url, &accept, 1, NULL, 0, k->http.auth };
		struct collector_page page;
		char token[64] = "";
		int pr = collector_http_page(ctx, client, &req, &page);
		free(url);
		long n = pr < 0 ? -1 : kb4_page(ctx, page.json, page.page_id, page_no, token, sizeof(token));
		collector_page_free(&page);
		if (n < 0 || collect_flush(ctx) < 0)
			break;
		if (n == 0) {
			r = 0;
			break;
		}
		char err[256];
		if (http_pages_next(&pages, token, err, sizeof(err)) < 0) {
			collect_fail(ctx, "GET " ENROLLMENTS_PATH ": %s", err);
			break;
		}
		if (collect_cancelled(ctx)) {
			collect_fail(ctx, "cancelled: ismsd is stopping");
			break;
		}
	}
	http_pages_free(&pages);
	http_client_free(client);
	return r;
}

const struct collector_ops collector_knowbe4_training = {
	.name = "knowbe4-training",
	.default_schedule = "daily",
	.keys = kb4_keys,
	.configure = kb4_configure,
	.collect = kb4_collect,
	.normalize = kb4_normalize,
	.free = kb4_free,
};
