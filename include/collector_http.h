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
#include "collector.h"
#include "http.h"

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
void collector_page_free(struct collector_page *p);

/* Parses a page body as JSON, as collector_http_page() does: a truncated or
 * malformed body is an error.  what names the page in the message ("GET
 * https://host/path").  Returns a new reference, or NULL after
 * collect_fail(). */
json_t *collector_json_page(struct collect_ctx *ctx, const char *what, const void *body, size_t len);

/* An AWS JSON 1.1 call: POST endpoint/ with X-Amz-Target: target and the
 * compact JSON body; then as collector_http_page(). */
int collector_http_aws_json(struct collect_ctx *ctx, struct http_client *c, struct collector_http *h,
			    const char *target, const json_t *body, struct collector_page *page);

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

#endif
