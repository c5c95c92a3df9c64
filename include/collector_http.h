/*
 * collector_http.h: what every HTTPS collector shares: its endpoint, HTTP
 * options and auth provider read from the [source] section, and fetching a
 * page so that the raw body is stored as evidence (byte for byte, hashed)
 * before it is parsed.
 */
#ifndef ISMSD_COLLECTOR_HTTP_H
#define ISMSD_COLLECTOR_HTTP_H

#include <jansson.h>

#include "auth.h"
#include "classify.h"
#include "collector.h"
#include "http.h"
#include "jtape.h"

struct collector_http {
	char *endpoint; /* without a trailing '/' */
	struct http_options opt;
	struct auth *auth;
};

/*
 * Reads endpoint (default_endpoint when the section has none; when that is
 * NULL too, endpoint is a missing required key), the HTTP options and the
 * auth provider auth_kind (with per-collector defaults, see
 * auth_from_config()).  Returns 0, or -1 after adding messages to errs.
 */
int collector_http_configure(struct collector_http *h, const struct config_section *s, const char *default_endpoint,
			     const char *auth_kind, const char *const *auth_defaults, struct config_errors *errs);
void collector_http_free(struct collector_http *h);

/* A client for one run.  Returns NULL after collect_fail(). */
struct http_client *collector_http_client(struct collector_http *h, struct collect_ctx *ctx);

/* "endpoint" + path (path starts with '/'); the caller frees it. */
char *collector_http_url(const struct collector_http *h, const char *path);

/* One fetched page: the stored raw body's evidence id and the parsed JSON. */
struct collector_page {
	int64_t page_id;
	json_t *json;
	struct http_response resp;
};

/*
 * Fetches req, stores the body as a raw page (with the redacted URL and the
 * status) and parses it as JSON.  Returns 0, or -1 after collect_fail()
 * (transport error, HTTP error, or a body that is not valid JSON: a
 * truncated or malformed page fails the run).
 */
int collector_http_page(struct collect_ctx *ctx, struct http_client *c, const struct http_request *req,
			struct collector_page *page);
/* As collector_http_page(), but the body is parsed into tape (jtape.h)
 * instead of jansson; page->json stays NULL.  For bulk pages. */
int collector_http_page_tape(struct collect_ctx *ctx, struct http_client *c, const struct http_request *req,
			     struct collector_page *page, struct jt_doc *tape);
void collector_page_free(struct collector_page *p);
/* As collector_json_page(), into a tape.  Returns 0, or -1 after
 * collect_fail(). */
int collector_tape_page(struct collect_ctx *ctx, const char *what, const void *body, size_t len, struct jt_doc *tape);

/* Parses a page body as JSON, as collector_http_page() does: a truncated or
 * malformed body is an error.  what names the page in the message ("GET
 * https://host/path").  Returns a new reference, or NULL after
 * collect_fail(). */
json_t *collector_json_page(struct collect_ctx *ctx, const char *what, const void *body, size_t len);

/* An AWS JSON 1.1 call: POST endpoint/ with X-Amz-Target: target and the
 * compact JSON body; then as collector_http_page(). */
int collector_http_aws_json(struct collect_ctx *ctx, struct http_client *c, struct collector_http *h,
			    const char *target, const json_t *body, struct collector_page *page);
/* ... with the body parsed into tape (see collector_http_page_tape()). */
int collector_http_aws_json_tape(struct collect_ctx *ctx, struct http_client *c, struct collector_http *h,
				 const char *target, const json_t *body, struct collector_page *page,
				 struct jt_doc *tape);

/* ---- small helpers for normalizers --------------------------------------------- */

/* Resolves an RFC 6901 JSON pointer ("" is the root, "/a/0/b~1c").
 * Returns a borrowed reference, or NULL. */
json_t *collector_json_pointer(json_t *root, const char *ptr);

/* A string member, or NULL when missing or not a string. */
const char *collector_json_str(const json_t *o, const char *key);
/* An integer member (integers, and reals with no fraction), or def. */
json_int_t collector_json_int(const json_t *o, const char *key, json_int_t def);
/* An epoch-seconds member (AWS wire timestamps: integer or real), or 0. */
time_t collector_json_epoch(const json_t *o, const char *key);
/* An RFC 3339 string member as epoch seconds, or 0. */
time_t collector_json_time(const json_t *o, const char *key);
/* Sets key to an ISO 8601 UTC string for t, or to null when t is 0. */
void collector_json_set_time(json_t *o, const char *key, time_t t);
/* Sets key to a copy of a string or to null. */
void collector_json_set_str(json_t *o, const char *key, const char *v);

/* ---- canonical facts written directly (bulk collectors) ------------------ */

/* What a bulk collector's run (or one normalized page) reuses from event to
 * event: the page's tape, a tape for a record embedded in an event as a
 * string (CloudTrailEvent), the fact being written and the classifier's
 * scratch space.  Zero it before use; collector_bulk_free() after. */
struct collector_bulk {
	struct jt_doc page;
	struct jt_doc rec;
	struct jt_buf fact;
	struct classify_ctx cls;
};
void collector_bulk_free(struct collector_bulk *x);

/* Stages x->fact as the audit.event ext_id observed at when (with
 * collect_event_text()) and raises *newest to when.  Returns 0, or -1
 * after collect_fail(). */
int collector_bulk_stage(struct collect_ctx *ctx, struct collector_bulk *x, time_t when, const char *ext_id,
			 int64_t page_id, time_t *newest);

/* What a bulk collector does with one parsed page (in x->page): stage its
 * facts, raising *newest.  The live run and the normalizer share it. */
typedef int (*collector_bulk_page_fn)(struct collector *c, struct collect_ctx *ctx, struct collector_bulk *x,
				      int64_t page_id, time_t *newest);

/* A bulk collector's normalizer: parses body into a tape (what names it in
 * errors) and hands it to fn; the cursor is not set.  Returns 0, or -1
 * after collect_fail(). */
int collector_bulk_normalize(struct collector *c, struct collect_ctx *ctx, const char *what, const char *body,
			     size_t len, int64_t page_id, collector_bulk_page_fn fn);

/* A string member of obj, or NULL (as collector_json_str()). */
const char *collector_tape_str(struct jt_doc *d, uint32_t obj, const char *key);

/*
 * A fact as the text collect_event_text() takes: begin, then members in
 * strcmp order of their keys (the caller's duty: the text must be what
 * json_dumps() with JSON_SORT_KEYS would write), then end.  Strings are
 * escaped as collect_fact() escapes them.  collector_fact_end() returns 0,
 * or -1 after collect_fail() when memory ran out on the way.
 */
void collector_fact_begin(struct jt_buf *b);
void collector_fact_str(struct jt_buf *b, const char *key, const char *v); /* NULL: null */
void collector_fact_time(struct jt_buf *b, const char *key, time_t t);	    /* 0: null */
void collector_fact_strings(struct jt_buf *b, const char *key, const char *const *v, size_t n);
int collector_fact_end(struct collect_ctx *ctx, struct jt_buf *b);

/* As collector_json_epoch() and collector_json_time(), for a tape node. */
time_t collector_tape_epoch(const struct jt_doc *d, uint32_t v);
time_t collector_tape_time(struct jt_doc *d, uint32_t v);

#endif
