/*
 * http-json.c: a generic collector for in-house systems that answer JSON
 * over HTTPS.  It fetches path from endpoint with any auth provider,
 * follows one of the pagination styles, takes the array of items at the
 * JSON pointer `items`, and turns each item into one fact of `kind`, built
 * from the `fields` mapping (name:/json/pointer, ...) or, without a
 * mapping, the whole item.  See ismsd.conf(5) for an example.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_http.h"
#include "util.h"

#define MAX_FIELDS 64

enum paging { PAGING_NONE, PAGING_TOKEN, PAGING_NEXT_LINK, PAGING_PAGE, PAGING_HEADER };

struct hj_field {
	char *name;
	char *pointer;
};

struct hj {
	struct collector_http http;
	char *path;
	int post;
	char *body; /* POST body: a JSON object */
	char *kind;
	char *items;
	char *id;
	char *observed;
	struct hj_field fields[MAX_FIELDS];
	size_t n_fields;
	enum paging paging;
	char *token;	   /* pointer to the next token in a response */
	char *token_param; /* query parameter (GET) or body member (POST) that carries it */
	char *next_link;   /* pointer to the next URL */
	char *page_param;
	unsigned page_start;
	char *per_page_param;
	unsigned per_page;
	char *next_header;
};

static const struct config_key hj_keys[] = {
	HTTP_CONFIG_KEYS,
	{ "auth", CONFIG_T_ENUM, 0, "none|bearer|aws-sigv4|oauth2|google-jwt", 0, 0 },
	AUTH_BEARER_KEYS,
	AUTH_SIGV4_KEYS,
	AUTH_OAUTH2_KEYS,
	AUTH_GOOGLE_KEYS,
	{ "path", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "method", CONFIG_T_ENUM, 0, "GET|POST", 0, 0 },
	{ "body", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "kind", CONFIG_T_NAME, CONFIG_REQUIRED, NULL, 0, 0 },
	{ "items", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "id", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "observed", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "fields", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "paging", CONFIG_T_ENUM, 0, "none|token|next-link|page|header", 0, 0 },
	{ "token", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "token_param", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "next_link", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "page_param", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "page_start", CONFIG_T_UINT, 0, NULL, 0, 1 },
	{ "per_page_param", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "per_page", CONFIG_T_UINT, 0, NULL, 1, 100000 },
	{ "next_header", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ NULL, 0, 0, NULL, 0, 0 },
};

static void hj_free(struct collector *c)
{
	struct hj *h = c->priv;
	if (h == NULL)
		return;
	collector_http_free(&h->http);
	for (size_t i = 0; i < h->n_fields; i++) {
		free(h->fields[i].name);
		free(h->fields[i].pointer);
	}
	free(h->path);
	free(h->body);
	free(h->kind);
	free(h->items);
	free(h->id);
	free(h->observed);
	free(h->token);
	free(h->token_param);
	free(h->next_link);
	free(h->page_param);
	free(h->per_page_param);
	free(h->next_header);
	free(h);
	c->priv = NULL;
}

static char *dup_or(const char *v, const char *def)
{
	return v ? strdup(v) : def ? strdup(def) : NULL;
}

/* A key error at the key's line (or the section's when it is missing). */
static int key_error(const struct config_section *s, const char *key, const char *msg, struct config_errors *errs)
{
	const struct config_entry *e = config_entry(s, key);
	config_errors_add(errs, e ? e->file : s->file, e ? e->line : s->line, "[source %s] key '%s': %s", s->name, key,
			  msg);
	return -1;
}

static int valid_pointer(const char *p)
{
	return p == NULL || *p == '\0' || *p == '/';
}

static int parse_fields(struct hj *h, const struct config_section *s, struct config_errors *errs)
{
	const char *v = config_get(s, "fields");
	if (v == NULL)
		return 0;
	char *copy = strdup(v);
	char *save = NULL;
	int r = 0;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ')
			item++;
		char *colon = strchr(item, ':');
		size_t end = strlen(item);
		while (end > 0 && item[end - 1] == ' ')
			item[--end] = '\0';
		if (colon == NULL || colon == item || !valid_pointer(colon + 1) || h->n_fields == MAX_FIELDS) {
			r = key_error(s, "fields", "expected name:/json/pointer, ... (at most 64)", errs);
			break;
		}
		*colon = '\0';
		h->fields[h->n_fields].name = strdup(item);
		h->fields[h->n_fields].pointer = strdup(colon + 1);
		h->n_fields++;
	}
	free(copy);
	return r;
}

static int hj_configure(struct collector *c, const struct config_section *s, struct config_errors *errs)
{
	struct hj *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -1;
	c->priv = h;
	size_t before = errs->n;
	collector_http_configure(&h->http, s, NULL, config_get_default(s, "auth", "none"), NULL, errs);
	h->path = dup_or(config_get(s, "path"), "");
	h->post = strcmp(config_get_default(s, "method", "GET"), "POST") == 0;
	h->body = dup_or(config_get(s, "body"), h->post ? "{}" : NULL);
	h->kind = dup_or(config_get(s, "kind"), "item");
	h->items = dup_or(config_get(s, "items"), "");
	h->id = dup_or(config_get(s, "id"), NULL);
	h->observed = dup_or(config_get(s, "observed"), NULL);
	h->token = dup_or(config_get(s, "token"), NULL);
	h->token_param = dup_or(config_get(s, "token_param"), NULL);
	h->next_link = dup_or(config_get(s, "next_link"), NULL);
	h->page_param = dup_or(config_get(s, "page_param"), "page");
	h->page_start = (unsigned)config_get_uint(s, "page_start", 1);
	h->per_page_param = dup_or(config_get(s, "per_page_param"), NULL);
	h->per_page = (unsigned)config_get_uint(s, "per_page", 100);
	h->next_header = dup_or(config_get(s, "next_header"), "NextPageUri");
	const char *paging = config_get_default(s, "paging", "none");
	h->paging = strcmp(paging, "token") == 0	 ? PAGING_TOKEN
		    : strcmp(paging, "next-link") == 0 ? PAGING_NEXT_LINK
		    : strcmp(paging, "page") == 0	 ? PAGING_PAGE
		    : strcmp(paging, "header") == 0	 ? PAGING_HEADER
							 : PAGING_NONE;
	if (h->path[0] != '\0' && h->path[0] != '/')
		key_error(s, "path", "must start with '/'", errs);
	const char *ptrs[] = { "items", "id", "observed", "token", "next_link" };
	for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++)
		if (!valid_pointer(config_get(s, ptrs[i])))
			key_error(s, ptrs[i], "must be a JSON pointer such as /data/items", errs);
	if (h->paging == PAGING_TOKEN && (h->token == NULL || h->token_param == NULL))
		key_error(s, h->token == NULL ? "token" : "token_param", "paging = token needs token and token_param",
			  errs);
	if (h->paging == PAGING_NEXT_LINK && h->next_link == NULL)
		key_error(s, "next_link", "paging = next-link needs next_link", errs);
	if (h->post && h->body != NULL) {
		json_error_t jerr;
		json_t *b = json_loads(h->body, 0, &jerr);
		if (!json_is_object(b))
			key_error(s, "body", "must be a JSON object", errs);
		json_decref(b);
	}
	parse_fields(h, s, errs);
	return errs->n == before ? 0 : -1;
}

/* The URL and body of page number `page` (PAGING_PAGE) or with `token`. */
static int build_request(struct hj *h, const char *next_url, const char *token, unsigned page, char **url,
			 char **body)
{
	*url = NULL;
	*body = NULL;
	if (next_url != NULL) {
		*url = strdup(next_url);
		return *url ? 0 : -ENOMEM;
	}
	struct util_buf b;
	util_buf_init(&b, 1 << 20);
	util_buf_printf(&b, "%s%s", h->http.endpoint, h->path);
	char sep = strchr(h->path, '?') ? '&' : '?';
	if (h->paging == PAGING_PAGE) {
		util_buf_printf(&b, "%c%s=%u", sep, h->page_param, page);
		sep = '&';
		if (h->per_page_param)
			util_buf_printf(&b, "&%s=%u", h->per_page_param, h->per_page);
	}
	json_t *jb = NULL;
	if (h->post) {
		json_error_t jerr;
		jb = json_loads(h->body, 0, &jerr);
	}
	if (token != NULL && h->paging == PAGING_TOKEN) {
		if (h->post) {
			json_object_set_new(jb, h->token_param, json_string(token));
		} else {
			char *enc = http_urlencode(token);
			util_buf_printf(&b, "%c%s=%s", sep, h->token_param, enc ? enc : "");
			free(enc);
		}
	}
	if (jb != NULL) {
		*body = json_dumps(jb, JSON_COMPACT);
		json_decref(jb);
	}
	*url = util_buf_take(&b, NULL);
	return *url && (!h->post || *body) ? 0 : -ENOMEM;
}

static char *scalar_text(json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v)) {
		char *s = NULL;
		return asprintf(&s, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) < 0 ? NULL : s;
	}
	return NULL;
}

static time_t time_of(json_t *v)
{
	time_t t = 0;
	if (json_is_string(v) && util_time_parse(json_string_value(v), &t) == 0)
		return t;
	if (json_is_number(v) && json_number_value(v) > 0 && json_number_value(v) < 32503680000.0)
		return (time_t)json_number_value(v);
	return 0;
}

/* Stages one fact per item.  Returns the number of items, or -1.  The live
 * run and the normalizer share it. */
static long normalize(struct hj *h, struct collect_ctx *ctx, json_t *page, int64_t page_id, const char *url,
		      unsigned page_no)
{
	json_t *items = collector_json_pointer(page, h->items);
	if (!json_is_array(items))
		return collect_fail(ctx, "page %u (%s): no array at items = '%s'", page_no, url, h->items);
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item)
	{
		json_t *fact;
		if (h->n_fields == 0) {
			/* the item is the fact: a fact is an object (or an array) */
			if (!json_is_object(item) && !json_is_array(item))
				return collect_fail(ctx, "page %u (%s): item %zu at items = '%s' is not an object",
						    page_no, url, i, h->items);
			fact = json_incref(item);
		} else {
			fact = json_object();
			for (size_t k = 0; k < h->n_fields; k++) {
				json_t *v = collector_json_pointer(item, h->fields[k].pointer);
				json_object_set(fact, h->fields[k].name, v ? v : json_null());
			}
		}
		char *ext = h->id ? scalar_text(collector_json_pointer(item, h->id)) : NULL;
		time_t observed = h->observed ? time_of(collector_json_pointer(item, h->observed)) : 0;
		int r = collect_fact(ctx, h->kind, observed, ext, fact, page_id);
		free(ext);
		json_decref(fact);
		if (r < 0)
			return -1;
	}
	return (long)json_array_size(items);
}

/* The normalizer: one page of the configured request (its first page),
 * items taken as configured; paging is not followed. */
static int hj_normalize(struct collector *c, struct collect_ctx *ctx, const char *body, size_t len, int64_t page_id)
{
	struct hj *h = c->priv;
	char *url = NULL, *req_body = NULL;
	if (build_request(h, NULL, NULL, h->page_start, &url, &req_body) < 0) {
		free(url);
		free(req_body);
		return collect_fail(ctx, "out of memory");
	}
	free(req_body);
	long n = -1;
	json_t *json = collector_json_page(ctx, "page", body, len);
	if (json != NULL)
		n = normalize(h, ctx, json, page_id, url, 1);
	json_decref(json);
	free(url);
	return n < 0 ? -1 : 0;
}

static int hj_collect(struct collector *c, struct collect_ctx *ctx)
{
	struct hj *h = c->priv;
	struct http_client *client = collector_http_client(&h->http, ctx);
	if (client == NULL)
		return -1;
	struct http_pages pages;
	http_pages_init(&pages, h->http.opt.max_pages);
	char *token = NULL, *next_url = NULL;
	unsigned page_no = h->page_start;
	int r = -1;
	struct http_header ct = { "Content-Type", "application/json" };
	for (;;) {
		char *url = NULL, *body = NULL;
		if (build_request(h, next_url, token, page_no, &url, &body) < 0) {
			collect_fail(ctx, "out of memory");
			goto out;
		}
		struct http_request req = { h->post ? "POST" : "GET", url, h->post ? &ct : NULL, h->post ? 1 : 0, body,
					    body ? strlen(body) : 0, h->http.auth };
		struct collector_page page;
		int pr = collector_http_page(ctx, client, &req, &page);
		free(url);
		free(body);
		long n = pr < 0 ? -1 : normalize(h, ctx, page.json, page.page_id, page.resp.url, pages.count + 1);
		if (n < 0 || collect_flush(ctx) < 0) {
			collector_page_free(&page);
			goto out;
		}
		free(token);
		free(next_url);
		token = next_url = NULL;
		const char *next = NULL;
		char err[256];
		switch (h->paging) {
		case PAGING_NONE:
			break;
		case PAGING_TOKEN:
			next = json_string_value(collector_json_pointer(page.json, h->token));
			token = next && *next ? strdup(next) : NULL;
			next = token;
			break;
		case PAGING_NEXT_LINK:
			next = json_string_value(collector_json_pointer(page.json, h->next_link));
			next_url = next && *next ? strdup(next) : NULL;
			next = next_url;
			break;
		case PAGING_HEADER:
			next = http_header_get(&page.resp, h->next_header);
			next_url = next && *next ? strdup(next) : NULL;
			next = next_url;
			break;
		case PAGING_PAGE:
			if (n > 0 && (!h->per_page_param || (unsigned long)n >= h->per_page)) {
				page_no++;
				/* a server that answers every page number with the same
				 * items is a loop: the items' text stands for a token */
				json_t *items = collector_json_pointer(page.json, h->items);
				char *first = json_dumps(json_array_get(items, 0), JSON_COMPACT | JSON_ENCODE_ANY);
				char *last = json_dumps(json_array_get(items, json_array_size(items) - 1),
							JSON_COMPACT | JSON_ENCODE_ANY);
				if (first == NULL || last == NULL ||
				    asprintf(&token, "%zu|%s|%s", json_array_size(items), first, last) < 0)
					token = NULL;
				free(first);
				free(last);
				next = token ? token : "";
			}
			break;
		}
		collector_page_free(&page);
		if (next == NULL)
			break;
		if (next_url != NULL && http_same_origin(h->http.endpoint, next_url) != 0) {
			char *red = http_redact_url(next_url);
			collect_fail(ctx, "next page URL %s is not on the endpoint's host; refused", red);
			free(red);
			goto out;
		}
		if (http_pages_next(&pages, next, err, sizeof(err)) < 0) {
			collect_fail(ctx, "%s", err);
			goto out;
		}
		if (collect_cancelled(ctx)) {
			collect_fail(ctx, "cancelled: ismsd is stopping");
			goto out;
		}
	}
	r = 0;
out:
	free(token);
	free(next_url);
	http_pages_free(&pages);
	http_client_free(client);
	return r;
}

const struct collector_ops collector_http_json = {
	.name = "http-json",
	.default_schedule = "daily",
	.keys = hj_keys,
	.configure = hj_configure,
	.collect = hj_collect,
	.normalize = hj_normalize,
	.free = hj_free,
};
