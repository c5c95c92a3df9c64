/*
 * http.h: the one HTTPS client, the only user of libcurl.
 *
 * Collectors describe requests and get whole, capped response bodies back.
 * The client enforces: https:// only; TLS 1.2 or newer, always verified
 * (optionally against a private CA and a pinned public key); redirects only
 * to https:// on the same host; connect, total and stall timeouts; a body
 * size cap that fails the request instead of truncating; retries with
 * exponential back-off and full jitter on network errors, 429, 500, 502,
 * 503, 504 and vendor throttling bodies, honouring Retry-After, within a cap
 * on attempts and on total time; an optional request rate limit; and
 * cancellation when the daemon stops.  Authentication is applied on every
 * attempt by an auth provider (auth.h).
 *
 * Secrets: nothing the client logs or returns in an error names a header
 * value, and URLs in messages go through http_redact_url().  Curl's verbose
 * mode is never enabled.
 *
 * A client is one connection cache with keep-alive: use it from one thread.
 */
#ifndef ISMSD_HTTP_H
#define ISMSD_HTTP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct auth;

/* Per-source settings, from the keys in HTTP_CONFIG_KEYS. */
struct http_options {
	char *ca_file;		/* NULL: the system CA store */
	char *pinned_pubkey;	/* "sha256//BASE64[;sha256//...]" or NULL */
	long connect_timeout_s; /* connect_timeout, default 10 */
	long timeout_s;		/* timeout (whole request), default 300 */
	long stall_timeout_s;	/* stall_timeout: below 1 byte/s this long aborts, default 60 */
	uint64_t max_body;	/* max_body, default 64 MiB */
	unsigned max_attempts;	/* max_attempts, default 5 */
	uint64_t retry_budget_s; /* retry_budget: total time for one request with retries, default 900 */
	unsigned retry_base_ms; /* retry_base_ms: first back-off ceiling, default 1000 */
	unsigned max_pages;	/* max_pages per paged request sequence, default 100000 */
	double rate_limit;	/* rate_limit: requests per second, 0 = none */
	int no_redirects;	/* a 3xx is a failure, never followed (webhooks) */
};

/* The keys every HTTP-based source takes; put inside a collector's key table.
 * endpoint is required unless the collector has a default (see
 * collector_http_configure()). */
#define HTTP_CONFIG_KEYS                                                            \
	{ "endpoint", CONFIG_T_URL, 0, NULL, 0, 0 },                                \
	{ "ca_file", CONFIG_T_PATH, 0, NULL, 0, 0 },                                \
	{ "pinned_pubkey", CONFIG_T_STRING, 0, NULL, 0, 0 },                        \
	{ "connect_timeout", CONFIG_T_DURATION, 0, NULL, 1, 600 },                  \
	{ "timeout", CONFIG_T_DURATION, 0, NULL, 1, 86400 },                        \
	{ "stall_timeout", CONFIG_T_DURATION, 0, NULL, 1, 3600 },                   \
	{ "max_body", CONFIG_T_SIZE, 0, NULL, 1024, 4ULL * 1024 * 1024 * 1024 },    \
	{ "max_attempts", CONFIG_T_UINT, 0, NULL, 1, 20 },                          \
	{ "retry_budget", CONFIG_T_DURATION, 0, NULL, 1, 86400 },                   \
	{ "retry_base_ms", CONFIG_T_UINT, 0, NULL, 1, 600000 },                     \
	{ "max_pages", CONFIG_T_UINT, 0, NULL, 1, 100000000 },                      \
	{ "rate_limit", CONFIG_T_STRING, 0, NULL, 0, 0 }

/* Reads the keys above.  Returns 0, or -1 after adding messages to errs. */
int http_options_from_config(const struct config_section *s, struct http_options *o, struct config_errors *errs);
void http_options_free(struct http_options *o);

struct http_header {
	char *name;
	char *value;
};

struct http_request {
	const char *method; /* "GET" or "POST" */
	const char *url;    /* https:// only */
	const struct http_header *headers;
	size_t n_headers;
	const char *body; /* NULL for none */
	size_t body_len;
	struct auth *auth; /* NULL for none */
};

struct http_response {
	long status;
	char *body; /* NUL-terminated; owned */
	size_t len;
	struct http_header *headers; /* of the final response; owned */
	size_t n_headers;
	char *url; /* the URL that answered (after same-host redirects), redacted */
	unsigned attempts;
};

struct http_client;

/*
 * Makes a client for one source.  source names the source in log lines.
 * cancel, when not NULL, aborts transfers and back-off sleeps once non-zero.
 * Returns NULL with a message in err.
 */
struct http_client *http_client_new(const struct http_options *o, const char *source, const atomic_int *cancel,
				    char *err, size_t errlen);
void http_client_free(struct http_client *c);

/*
 * fn(arg) is called when the client is about to wait: before a rate-limit
 * or retry sleep, and once per request when no response has come within
 * HTTP_WAIT_MS.  The collector core ends its staging transaction there, so
 * that no store lock is held while a vendor is slow.  fn runs in the
 * calling thread (from inside the transfer) and must not use the client.
 */
#define HTTP_WAIT_MS 50
void http_client_on_wait(struct http_client *c, void (*fn)(void *arg), void *arg);

/*
 * Performs a request with retries.  Returns 0 with a 2xx response in resp
 * (free it with http_response_free), or -1 with the reason in err: the
 * method, the redacted URL and what went wrong (TLS, timeout, size cap,
 * refused redirect, HTTP status with the vendor's error code, or the retry
 * budget).  On -1, resp holds the last response when there was one.
 */
int http_fetch(struct http_client *c, const struct http_request *req, struct http_response *resp, char *err,
	       size_t errlen);
void http_response_free(struct http_response *r);

/* The first value of a response header (case-insensitive), or NULL. */
const char *http_header_get(const struct http_response *r, const char *name);

/* A copy of url with userinfo removed and the values of query parameters that
 * carry secrets (token, signature, key, password, ...) replaced by
 * "REDACTED".  The caller frees it. */
char *http_redact_url(const char *url);

/* Parses a Retry-After value (delta-seconds or an HTTP-date) relative to now.
 * Returns the delay in seconds, or -1 when it cannot be parsed. */
long http_parse_retry_after(const char *v, time_t now);

/* Checks that next has the scheme, host and port of base (for next links).
 * Returns 0 when it does. */
int http_same_origin(const char *base, const char *next);

/* Percent-encodes s for a URL query component (RFC 3986 unreserved kept). */
char *http_urlencode(const char *s);

/*
 * A loop guard for pagination: counts pages against a cap and remembers
 * every token (or next link) seen.  http_pages_next() returns 0 to go on,
 * or -1 with a message in err when the token repeats or the cap is passed.
 */
struct http_pages {
	unsigned count;
	unsigned max;
	uint64_t *seen;
	size_t n_seen, alloc;
};

void http_pages_init(struct http_pages *p, unsigned max_pages);
int http_pages_next(struct http_pages *p, const char *token, char *err, size_t errlen);
void http_pages_free(struct http_pages *p);

#endif
