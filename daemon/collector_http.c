/*
 * collector_http.c: the shared part of HTTPS collectors: configuration,
 * clients, pages stored raw before they are parsed, and JSON helpers for
 * the normalizers.
 */
#include "autoconfig.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_http.h"
#include "util.h"

int collector_http_configure(struct collector_http *h, const struct config_section *s, const char *default_endpoint,
			     const char *auth_kind, const char *const *auth_defaults, struct config_errors *errs)
{
	memset(h, 0, sizeof(*h));
	const char *ep = config_get(s, "endpoint");
	if (ep == NULL)
		ep = default_endpoint;
	if (ep == NULL) {
		config_errors_add(errs, s->file, s->line, "[source %s] key 'endpoint': missing required key", s->name);
		return -1;
	}
	size_t l = strlen(ep);
	while (l > 0 && ep[l - 1] == '/')
		l--;
	h->endpoint = strndup(ep, l);
	if (h->endpoint == NULL || http_options_from_config(s, &h->opt, errs) < 0) {
		free(h->endpoint);
		h->endpoint = NULL;
		return -1;
	}
	if (auth_from_config(auth_kind, s, auth_defaults, &h->auth, errs) < 0) {
		collector_http_free(h);
		return -1;
	}
	return 0;
}

void collector_http_free(struct collector_http *h)
{
	free(h->endpoint);
	http_options_free(&h->opt);
	auth_free(h->auth);
	memset(h, 0, sizeof(*h));
}

struct http_client *collector_http_client(struct collector_http *h, struct collect_ctx *ctx)
{
	char err[256];
	struct http_client *c = http_client_new(&h->opt, ctx->source, ctx->cancel, err, sizeof(err));
	if (c == NULL)
		collect_fail(ctx, "%s", err);
	else
		http_client_on_wait(c, collect_waiting, ctx);
	return c;
}

char *collector_http_url(const struct collector_http *h, const char *path)
{
	char *u = NULL;
	if (asprintf(&u, "%s%s", h->endpoint, path) < 0)
		return NULL;
	return u;
}

/* Fetches and stores a page, then parses it into tape (when not NULL) or
 * with jansson. */
static int fetch_page(struct collect_ctx *ctx, struct http_client *c, const struct http_request *req,
		      struct collector_page *page, struct jt_doc *tape)
{
	char err[1024];
	memset(page, 0, sizeof(*page));
	if (http_fetch(c, req, &page->resp, err, sizeof(err)) < 0)
		return collect_fail(ctx, "%s", err);
	if (collect_page(ctx, page->resp.url, page->resp.status, page->resp.body, page->resp.len, &page->page_id) < 0)
		return -1;
	char what[sizeof(ctx->error) + 64];
	snprintf(what, sizeof(what), "%s %s", req->method, page->resp.url);
	if (tape != NULL)
		return collector_tape_page(ctx, what, page->resp.body, page->resp.len, tape);
	page->json = collector_json_page(ctx, what, page->resp.body, page->resp.len);
	return page->json != NULL ? 0 : -1;
}

int collector_http_page(struct collect_ctx *ctx, struct http_client *c, const struct http_request *req,
			struct collector_page *page)
{
	return fetch_page(ctx, c, req, page, NULL);
}

int collector_http_page_tape(struct collect_ctx *ctx, struct http_client *c, const struct http_request *req,
			     struct collector_page *page, struct jt_doc *tape)
{
	return fetch_page(ctx, c, req, page, tape);
}

int collector_tape_page(struct collect_ctx *ctx, const char *what, const void *body, size_t len, struct jt_doc *tape)
{
	if (jt_parse(tape, body, len, 0) < 0)
		return collect_fail(ctx, "%s: the response is not valid JSON (%s at byte %zu)", what, tape->err,
				    tape->err_pos);
	return 0;
}

json_t *collector_json_page(struct collect_ctx *ctx, const char *what, const void *body, size_t len)
{
	json_error_t jerr;
	json_t *j = json_loadb(body, len, 0, &jerr);
	if (j == NULL)
		collect_fail(ctx, "%s: the response is not valid JSON (%s at byte %d)", what, jerr.text, jerr.position);
	return j;
}

int collector_http_aws_json(struct collect_ctx *ctx, struct http_client *c, struct collector_http *h,
			    const char *target, const json_t *body, struct collector_page *page)
{
	return collector_http_aws_json_tape(ctx, c, h, target, body, page, NULL);
}

int collector_http_aws_json_tape(struct collect_ctx *ctx, struct http_client *c, struct collector_http *h,
				 const char *target, const json_t *body, struct collector_page *page,
				 struct jt_doc *tape)
{
	memset(page, 0, sizeof(*page));
	char *url = collector_http_url(h, "/");
	char *text = json_dumps(body, JSON_COMPACT);
	if (url == NULL || text == NULL) {
		free(url);
		free(text);
		return collect_fail(ctx, "out of memory");
	}
	struct http_header hdrs[] = {
		{ "Content-Type", "application/x-amz-json-1.1" },
		{ "X-Amz-Target", (char *)target },
	};
	struct http_request req = { "POST", url, hdrs, 2, text, strlen(text), h->auth };
	int r = fetch_page(ctx, c, &req, page, tape);
	free(url);
	free(text);
	return r;
}

void collector_page_free(struct collector_page *p)
{
	json_decref(p->json);
	http_response_free(&p->resp);
	memset(p, 0, sizeof(*p));
}

json_t *collector_json_pointer(json_t *root, const char *ptr)
{
	if (ptr == NULL)
		return root;
	json_t *cur = root;
	char tok[512];
	size_t n;
	while (cur != NULL && *ptr != '\0') {
		if (jt_pointer_token(&ptr, tok, sizeof(tok), &n) < 0)
			return NULL;
		if (json_is_object(cur)) {
			cur = json_object_get(cur, tok);
		} else if (json_is_array(cur)) {
			char *end = NULL;
			unsigned long i = strtoul(tok, &end, 10);
			if (n == 0 || *end != '\0' || (n > 1 && tok[0] == '0') || tok[0] == '-' || tok[0] == '+')
				return NULL;
			cur = json_array_get(cur, i);
		} else {
			return NULL;
		}
	}
	return cur;
}

const char *collector_json_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

json_int_t collector_json_int(const json_t *o, const char *key, json_int_t def)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d == floor(d) && d >= -9.0e15 && d <= 9.0e15)
			return (json_int_t)d;
	}
	return def;
}

time_t collector_json_epoch(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	double d = json_is_number(v) ? json_number_value(v) : 0;
	if (!(d > 0) || d > 32503680000.0) /* before 1970 or after 3000: not a time */
		return 0;
	return (time_t)d;
}

time_t collector_json_time(const json_t *o, const char *key)
{
	const char *s = collector_json_str(o, key);
	time_t t = 0;
	if (s == NULL || util_time_parse(s, &t) < 0)
		return 0;
	return t;
}

void collector_json_set_time(json_t *o, const char *key, time_t t)
{
	if (t <= 0) {
		json_object_set_new(o, key, json_null());
		return;
	}
	char buf[UTIL_ISO_TIME_LEN];
	util_time_iso(t, buf);
	json_object_set_new(o, key, json_string(buf));
}

void collector_json_set_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, v ? json_string(v) : json_null());
}

/* ---- canonical facts written directly ------------------------------------ */

void collector_bulk_free(struct collector_bulk *x)
{
	jt_free(&x->page);
	jt_free(&x->rec);
	jt_buf_free(&x->fact);
	classify_ctx_free(&x->cls);
}

int collector_bulk_stage(struct collect_ctx *ctx, struct collector_bulk *x, time_t when, const char *ext_id,
			 int64_t page_id, time_t *newest)
{
	if (collect_event_text(ctx, "audit.event", when, ext_id, x->fact.p, x->fact.len, page_id) < 0)
		return -1;
	if (when > *newest)
		*newest = when;
	return 0;
}

int collector_bulk_normalize(struct collector *c, struct collect_ctx *ctx, const char *what, const char *body,
			     size_t len, int64_t page_id, collector_bulk_page_fn fn)
{
	struct collector_bulk x;
	memset(&x, 0, sizeof(x));
	time_t newest = 0;
	int r = -1;
	if (collector_tape_page(ctx, what, body, len, &x.page) == 0)
		r = fn(c, ctx, &x, page_id, &newest);
	collector_bulk_free(&x);
	return r;
}

const char *collector_tape_str(struct jt_doc *d, uint32_t obj, const char *key)
{
	return jt_str(d, jt_get(d, obj, key), NULL);
}

static void fact_key(struct jt_buf *b, const char *key)
{
	if (b->len > 0 && b->p[b->len - 1] != '{')
		jt_buf_raw(b, ",", 1);
	jt_buf_str(b, key, strlen(key));
	jt_buf_raw(b, ":", 1);
}

void collector_fact_begin(struct jt_buf *b)
{
	jt_buf_reset(b);
	jt_buf_raw(b, "{", 1);
}

void collector_fact_str(struct jt_buf *b, const char *key, const char *v)
{
	fact_key(b, key);
	jt_buf_str_or_null(b, v);
}

void collector_fact_time(struct jt_buf *b, const char *key, time_t t)
{
	fact_key(b, key);
	if (t <= 0) {
		jt_buf_raw(b, "null", 4);
		return;
	}
	char buf[UTIL_ISO_TIME_LEN];
	util_time_iso(t, buf);
	jt_buf_str(b, buf, strlen(buf));
}

void collector_fact_strings(struct jt_buf *b, const char *key, const char *const *v, size_t n)
{
	fact_key(b, key);
	jt_buf_raw(b, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			jt_buf_raw(b, ",", 1);
		jt_buf_str(b, v[i], strlen(v[i]));
	}
	jt_buf_raw(b, "]", 1);
}

int collector_fact_end(struct collect_ctx *ctx, struct jt_buf *b)
{
	jt_buf_raw(b, "}", 1);
	if (b->oom)
		return collect_fail(ctx, "out of memory");
	return 0;
}

time_t collector_tape_epoch(const struct jt_doc *d, uint32_t v)
{
	if (v == JT_NONE || (jt_type(d, v) != JT_INTEGER && jt_type(d, v) != JT_REAL))
		return 0;
	double x = jt_number(d, v);
	if (!(x > 0) || x > 32503680000.0)
		return 0;
	return (time_t)x;
}

time_t collector_tape_time(struct jt_doc *d, uint32_t v)
{
	const char *s = jt_str(d, v, NULL);
	time_t t = 0;
	if (s == NULL || util_time_parse(s, &t) < 0)
		return 0;
	return t;
}
