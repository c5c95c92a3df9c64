/*
 * http.c: the HTTPS client over libcurl: verified TLS, capped bodies,
 * same-host redirects, retries with full-jitter back-off and Retry-After,
 * rate limiting, cancellation, URL redaction and pagination loop guards.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "auth.h"
#include "http.h"
#include "log.h"
#include "util.h"

#define MAX_REDIRECTS 5
#define BACKOFF_CAP_MS 60000u

struct http_client {
	CURL *curl;
	struct http_options opt;
	char *source;
	const atomic_int *cancel;
	void (*on_wait)(void *arg); /* see http_client_on_wait() */
	void *wait_arg;
	struct timespec xfer_start;
	int xfer_waited;
	uint64_t rng;
	struct timespec last_request;
	int have_last;
	/* per transfer */
	struct util_buf body;
	int oversize;
	struct http_header *hdrs;
	size_t n_hdrs;
	char errbuf[CURL_ERROR_SIZE];
};

/* ---- options ---------------------------------------------------------------- */

int http_options_from_config(const struct config_section *s, struct http_options *o, struct config_errors *errs)
{
	memset(o, 0, sizeof(*o));
	const char *ca = config_get(s, "ca_file");
	const char *pin = config_get(s, "pinned_pubkey");
	o->ca_file = ca ? strdup(ca) : NULL;
	o->pinned_pubkey = pin ? strdup(pin) : NULL;
	o->connect_timeout_s = (long)config_get_duration(s, "connect_timeout", 10);
	o->timeout_s = (long)config_get_duration(s, "timeout", 300);
	o->stall_timeout_s = (long)config_get_duration(s, "stall_timeout", 60);
	o->max_body = config_get_size(s, "max_body", 64ULL * 1024 * 1024);
	o->max_attempts = (unsigned)config_get_uint(s, "max_attempts", 5);
	o->retry_budget_s = config_get_duration(s, "retry_budget", 900);
	o->retry_base_ms = (unsigned)config_get_uint(s, "retry_base_ms", 1000);
	o->max_pages = (unsigned)config_get_uint(s, "max_pages", 100000);
	int r = 0;
	if (pin != NULL) {
		for (const char *p = pin; *p;) {
			size_t l = strcspn(p, ";");
			if (l < 9 || strncmp(p, "sha256//", 8) != 0) {
				const struct config_entry *e = config_entry(s, "pinned_pubkey");
				config_errors_add(errs, e->file, e->line,
						  "[source %s] key 'pinned_pubkey': must be sha256//BASE64[;sha256//...]",
						  s->name);
				r = -1;
				break;
			}
			p += l;
			if (*p == ';')
				p++;
		}
	}
	const char *rl = config_get(s, "rate_limit");
	if (rl != NULL) {
		char *end = NULL;
		double v = strtod(rl, &end);
		if (end == rl || *end != '\0' || !(v > 0) || v > 10000) {
			const struct config_entry *e = config_entry(s, "rate_limit");
			config_errors_add(errs, e->file, e->line,
					  "[source %s] key 'rate_limit': '%s' is not a rate in requests per second (such as 2 or 0.5)",
					  s->name, rl);
			r = -1;
		} else {
			o->rate_limit = v;
		}
	}
	if ((ca != NULL && o->ca_file == NULL) || (pin != NULL && o->pinned_pubkey == NULL)) {
		config_errors_add(errs, s->file, s->line, "out of memory");
		r = -1;
	}
	if (r < 0)
		http_options_free(o);
	return r;
}

void http_options_free(struct http_options *o)
{
	free(o->ca_file);
	free(o->pinned_pubkey);
	o->ca_file = o->pinned_pubkey = NULL;
}

/* ---- small helpers ------------------------------------------------------------ */

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cancelled(const struct http_client *c)
{
	return c->cancel != NULL && atomic_load(c->cancel) != 0;
}

static void waiting(struct http_client *c)
{
	if (c->on_wait != NULL)
		c->on_wait(c->wait_arg);
}

/* Sleeps for ms milliseconds unless cancelled.  Returns -1 when cancelled. */
static int sleep_ms(struct http_client *c, uint64_t ms)
{
	if (ms > 0)
		waiting(c);
	while (ms > 0) {
		if (cancelled(c))
			return -1;
		uint64_t step = ms > 100 ? 100 : ms;
		struct timespec ts = { (time_t)(step / 1000), (long)(step % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return cancelled(c) ? -1 : 0;
}

static uint64_t rng_next(struct http_client *c)
{
	/* xorshift64*: jitter only, not for secrets */
	uint64_t x = c->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	c->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void free_headers(struct http_header *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
}

void http_response_free(struct http_response *r)
{
	free(r->body);
	free_headers(r->headers, r->n_headers);
	free(r->url);
	memset(r, 0, sizeof(*r));
}

const char *http_header_get(const struct http_response *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

/* ---- URLs ------------------------------------------------------------------------- */

static const char *const secret_params[] = {
	"access_token", "token", "wstoken", "api_key", "apikey", "key", "code", "client_secret", "password",
	"passwd", "secret", "sig", "signature", "x-amz-signature", "x-amz-credential", "x-amz-security-token",
	"assertion", "auth", "authorization", NULL,
};

static int is_secret_param(const char *name, size_t len)
{
	for (size_t i = 0; secret_params[i]; i++)
		if (strlen(secret_params[i]) == len && strncasecmp(secret_params[i], name, len) == 0)
			return 1;
	return 0;
}

char *http_redact_url(const char *url)
{
	if (url == NULL)
		return strdup("(none)");
	struct util_buf b;
	util_buf_init(&b, strlen(url) * 2 + 64);
	const char *p = url;
	const char *scheme_end = strstr(url, "://");
	if (scheme_end != NULL) {
		const char *auth_start = scheme_end + 3;
		size_t auth_len = strcspn(auth_start, "/?#");
		const char *at = memchr(auth_start, '@', auth_len);
		util_buf_append(&b, url, (size_t)(auth_start - url));
		p = at ? at + 1 : auth_start;
	}
	const char *q = strchr(p, '?');
	if (q == NULL) {
		util_buf_append(&b, p, strlen(p));
		return util_buf_take(&b, NULL);
	}
	util_buf_append(&b, p, (size_t)(q - p + 1));
	const char *s = q + 1;
	const char *frag = strchr(s, '#');
	const char *end = frag ? frag : s + strlen(s);
	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(stop - s));
		if (eq != NULL && is_secret_param(s, (size_t)(eq - s))) {
			util_buf_append(&b, s, (size_t)(eq - s + 1));
			util_buf_append(&b, "REDACTED", 8);
		} else {
			util_buf_append(&b, s, (size_t)(stop - s));
		}
		if (amp)
			util_buf_append(&b, "&", 1);
		s = amp ? amp + 1 : end;
	}
	if (frag != NULL)
		util_buf_append(&b, frag, strlen(frag));
	return util_buf_take(&b, NULL);
}

int http_same_origin(const char *base, const char *next)
{
	int r = -1;
	CURLU *a = curl_url(), *b = curl_url();
	char *sa = NULL, *sb = NULL, *ha = NULL, *hb = NULL, *pa = NULL, *pb = NULL;
	if (a == NULL || b == NULL || curl_url_set(a, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(b, CURLUPART_URL, next, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(a, CURLUPART_SCHEME, &sa, 0) != CURLUE_OK ||
	    curl_url_get(b, CURLUPART_SCHEME, &sb, 0) != CURLUE_OK ||
	    curl_url_get(a, CURLUPART_HOST, &ha, 0) != CURLUE_OK ||
	    curl_url_get(b, CURLUPART_HOST, &hb, 0) != CURLUE_OK ||
	    curl_url_get(a, CURLUPART_PORT, &pa, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_get(b, CURLUPART_PORT, &pb, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	if (strcasecmp(sb, "https") == 0 && strcasecmp(sa, sb) == 0 && strcasecmp(ha, hb) == 0 && strcmp(pa, pb) == 0)
		r = 0;
out:
	curl_free(sa);
	curl_free(sb);
	curl_free(ha);
	curl_free(hb);
	curl_free(pa);
	curl_free(pb);
	curl_url_cleanup(a);
	curl_url_cleanup(b);
	return r;
}

char *http_urlencode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = malloc(n * 3 + 1);
	if (out == NULL)
		return NULL;
	char *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

long http_parse_retry_after(const char *v, time_t now)
{
	if (v == NULL)
		return -1;
	while (isspace((unsigned char)*v))
		v++;
	if (isdigit((unsigned char)*v)) {
		char *end = NULL;
		errno = 0;
		long s = strtol(v, &end, 10);
		while (end && isspace((unsigned char)*end))
			end++;
		if (errno || (end && *end))
			return -1;
		return s;
	}
	/* IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT" */
	time_t t = curl_getdate(v, NULL);
	if (t == (time_t)-1)
		return -1;
	return t > now ? (long)(t - now) : 0;
}

/* ---- pagination guard ----------------------------------------------------------- */

void http_pages_init(struct http_pages *p, unsigned max_pages)
{
	memset(p, 0, sizeof(*p));
	p->max = max_pages ? max_pages : 100000;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

static int pages_insert(struct http_pages *p, uint64_t h)
{
	if ((p->n_seen + 1) * 2 > p->alloc) {
		size_t na = p->alloc ? p->alloc * 2 : 64;
		uint64_t *t = calloc(na, sizeof(*t));
		if (t == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < p->alloc; i++) {
			if (p->seen[i] == 0)
				continue;
			size_t j = p->seen[i] & (na - 1);
			while (t[j] != 0)
				j = (j + 1) & (na - 1);
			t[j] = p->seen[i];
		}
		free(p->seen);
		p->seen = t;
		p->alloc = na;
	}
	size_t j = h & (p->alloc - 1);
	while (p->seen[j] != 0) {
		if (p->seen[j] == h)
			return 1;
		j = (j + 1) & (p->alloc - 1);
	}
	p->seen[j] = h;
	p->n_seen++;
	return 0;
}

int http_pages_next(struct http_pages *p, const char *token, char *err, size_t errlen)
{
	p->count++;
	if (p->count >= p->max) {
		snprintf(err, errlen, "pagination stopped: more than max_pages (%u) pages", p->max);
		return -1;
	}
	if (token != NULL) {
		int r = pages_insert(p, fnv1a(token));
		if (r < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (r == 1) {
			snprintf(err, errlen, "pagination loop: the vendor returned a page token it had returned before "
					      "(after %u pages)",
				 p->count);
			return -1;
		}
	}
	return 0;
}

void http_pages_free(struct http_pages *p)
{
	free(p->seen);
	memset(p, 0, sizeof(*p));
}

/* ---- the client ------------------------------------------------------------------- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_client *c = userdata;
	size_t n = size * nmemb;
	if (util_buf_append(&c->body, ptr, n) < 0) {
		c->oversize = 1;
		return 0; /* aborts the transfer: never keep a truncated body */
	}
	return n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct http_client *c = userdata;
	size_t n = size * nitems;
	if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		/* a new response (after a 100 Continue or a redirect) */
		free_headers(c->hdrs, c->n_hdrs);
		c->hdrs = NULL;
		c->n_hdrs = 0;
		return n;
	}
	const char *colon = memchr(buf, ':', n);
	if (colon == NULL || c->n_hdrs >= 200)
		return n;
	struct http_header *p = realloc(c->hdrs, (c->n_hdrs + 1) * sizeof(*p));
	if (p == NULL)
		return 0;
	c->hdrs = p;
	const char *v = colon + 1;
	const char *end = buf + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	c->hdrs[c->n_hdrs].name = strndup(buf, (size_t)(colon - buf));
	c->hdrs[c->n_hdrs].value = strndup(v, (size_t)(end - v));
	c->n_hdrs++;
	return n;
}

static int on_progress(void *userdata, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	struct http_client *c = userdata;
	if (!c->xfer_waited && c->on_wait != NULL && util_ms_since(&c->xfer_start) >= HTTP_WAIT_MS) {
		c->xfer_waited = 1;
		waiting(c);
	}
	return cancelled(c) ? 1 : 0;
}

void http_client_on_wait(struct http_client *c, void (*fn)(void *arg), void *arg)
{
	c->on_wait = fn;
	c->wait_arg = arg;
}

struct http_client *http_client_new(const struct http_options *o, const char *source, const atomic_int *cancel,
				    char *err, size_t errlen)
{
	struct http_client *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->opt = *o;
	c->opt.ca_file = o->ca_file ? strdup(o->ca_file) : NULL;
	c->opt.pinned_pubkey = o->pinned_pubkey ? strdup(o->pinned_pubkey) : NULL;
	c->source = strdup(source ? source : "");
	c->cancel = cancel;
	if (getrandom(&c->rng, sizeof(c->rng), 0) != sizeof(c->rng) || c->rng == 0)
		c->rng = (uint64_t)time(NULL) | 1;
	c->curl = curl_easy_init();
	if (c->curl == NULL || c->source == NULL) {
		snprintf(err, errlen, "cannot initialise libcurl");
		http_client_free(c);
		return NULL;
	}
	return c;
}

void http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free_headers(c->hdrs, c->n_hdrs);
	util_buf_free(&c->body);
	http_options_free(&c->opt);
	free(c->source);
	free(c);
}

/* Sets every option for one transfer.  Returns the first failing code. */
static CURLcode setup_transfer(struct http_client *c, const struct http_request *req, const char *url,
			       struct curl_slist *headers)
{
	CURL *h = c->curl;
	CURLcode rc = CURLE_OK;
	curl_easy_reset(h);
#define SET(opt, val)                                      \
	do {                                               \
		if (rc == CURLE_OK)                        \
			rc = curl_easy_setopt(h, opt, val); \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->opt.ca_file)
		SET(CURLOPT_CAINFO, c->opt.ca_file);
	if (c->opt.pinned_pubkey)
		SET(CURLOPT_PINNEDPUBLICKEY, c->opt.pinned_pubkey);
	SET(CURLOPT_CONNECTTIMEOUT, c->opt.connect_timeout_s);
	SET(CURLOPT_TIMEOUT, c->opt.timeout_s);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, c->opt.stall_timeout_s);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->opt.max_body);
	SET(CURLOPT_USERAGENT, "ismsd/" PACKAGE_VERSION);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_VERBOSE, 0L);
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, c);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, c);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, c);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_HTTPHEADER, headers);
	if (strcmp(req->method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
		if (strcmp(req->method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, req->method);
	}
#undef SET
	return rc;
}

/* Builds the header list: the request's, the provider's, and our fixed ones. */
static struct curl_slist *build_headers(const struct http_request *req, const struct auth_headers *ah)
{
	struct curl_slist *l = NULL;
	int have_accept = 0;
	for (size_t i = 0; i < req->n_headers + (ah ? ah->n : 0); i++) {
		const struct http_header *hh = i < req->n_headers ? &req->headers[i] : &ah->h[i - req->n_headers];
		if (strcasecmp(hh->name, "Accept") == 0)
			have_accept = 1;
		char *line = NULL;
		if (asprintf(&line, "%s: %s", hh->name, hh->value) < 0)
			goto fail;
		struct curl_slist *n = curl_slist_append(l, line);
		explicit_bzero(line, strlen(line));
		free(line);
		if (n == NULL)
			goto fail;
		l = n;
	}
	if (!have_accept) {
		struct curl_slist *n = curl_slist_append(l, "Accept: application/json");
		if (n == NULL)
			goto fail;
		l = n;
	}
	/* no 100-continue round trip for POST bodies */
	struct curl_slist *n = curl_slist_append(l, "Expect:");
	if (n == NULL)
		goto fail;
	return n;
fail:
	curl_slist_free_all(l);
	return NULL;
}

static void free_header_list(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static const char *const aws_throttle_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
	"TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
	"BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
	"PriorRequestNotComplete", "TransactionInProgressException", "EC2ThrottledException", NULL,
};

/* The vendor's error code and message from a JSON error body (AWS, OAuth2,
 * Google, Azure shapes), written to code and msg (may be empty). */
static void vendor_error(const struct http_response *r, char *code, size_t clen, char *msg, size_t mlen)
{
	code[0] = msg[0] = '\0';
	const char *hdr = http_header_get(r, "x-amzn-ErrorType");
	if (hdr != NULL)
		snprintf(code, clen, "%.*s", (int)strcspn(hdr, ":"), hdr);
	if (r->body == NULL || r->len == 0)
		return;
	json_error_t jerr;
	json_t *j = json_loadb(r->body, r->len, 0, &jerr);
	if (!json_is_object(j)) {
		json_decref(j);
		return;
	}
	const char *c = json_string_value(json_object_get(j, "__type"));
	if (c == NULL)
		c = json_string_value(json_object_get(j, "code"));
	if (c == NULL)
		c = json_string_value(json_object_get(j, "Code"));
	json_t *e = json_object_get(j, "error");
	if (c == NULL && json_is_string(e))
		c = json_string_value(e); /* OAuth2 */
	if (c == NULL && json_is_object(e)) {
		c = json_string_value(json_object_get(e, "status")); /* Google */
		if (c == NULL)
			c = json_string_value(json_object_get(e, "code")); /* Azure */
	}
	if (c != NULL && code[0] == '\0') {
		const char *hash = strrchr(c, '#');
		if (hash)
			c = hash + 1;
		snprintf(code, clen, "%.*s", (int)strcspn(c, ":"), c);
	}
	const char *m = json_string_value(json_object_get(j, "message"));
	if (m == NULL)
		m = json_string_value(json_object_get(j, "Message"));
	if (m == NULL)
		m = json_string_value(json_object_get(j, "error_description"));
	if (m == NULL && json_is_object(e))
		m = json_string_value(json_object_get(e, "message"));
	if (m != NULL) {
		/* The first sentence only: some vendors echo the request (AWS's
		 * signature errors quote the canonical request). */
		size_t l = strcspn(m, "\n");
		const char *dot = strstr(m, ". ");
		if (dot && (size_t)(dot - m) < l)
			l = (size_t)(dot - m) + 1;
		if (l > 200)
			l = 200;
		snprintf(msg, mlen, "%.*s", (int)l, m);
		for (char *p = msg; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
	}
	json_decref(j);
}

static int is_throttle_code(const char *code)
{
	if (strcmp(code, "RESOURCE_EXHAUSTED") == 0)
		return 1;
	for (size_t i = 0; aws_throttle_codes[i]; i++)
		if (strcmp(code, aws_throttle_codes[i]) == 0)
			return 1;
	return 0;
}

static int retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static void describe_curl(struct http_client *c, CURLcode rc, char *out, size_t len)
{
	const char *detail = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		snprintf(out, len, "TLS certificate verification failed: %s", detail);
		break;
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		snprintf(out, len, "TLS public key does not match pinned_pubkey");
		break;
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(out, len, "TLS handshake failed: %s", detail);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		if (strstr(detail, "too slow") != NULL)
			snprintf(out, len, "stalled: less than 1 byte/s for %lds (stall_timeout)", c->opt.stall_timeout_s);
		else
			snprintf(out, len, "timed out: %s", detail);
		break;
	case CURLE_FILESIZE_EXCEEDED:
		snprintf(out, len, "response body larger than max_body (%llu bytes); refused",
			 (unsigned long long)c->opt.max_body);
		break;
	case CURLE_ABORTED_BY_CALLBACK:
		snprintf(out, len, "cancelled: ismsd is stopping");
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
		snprintf(out, len, "only https:// URLs are allowed");
		break;
	default:
		snprintf(out, len, "%s", detail);
		break;
	}
}

static void rate_limit_wait(struct http_client *c)
{
	if (c->opt.rate_limit <= 0)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (c->have_last) {
		double gap = (double)(now.tv_sec - c->last_request.tv_sec) +
			     (double)(now.tv_nsec - c->last_request.tv_nsec) / 1e9;
		double need = 1.0 / c->opt.rate_limit;
		if (gap < need)
			sleep_ms(c, (uint64_t)ceil((need - gap) * 1000.0));
		clock_gettime(CLOCK_MONOTONIC, &now);
	}
	c->last_request = now;
	c->have_last = 1;
}

/* One HTTP exchange (no retries, no redirects).  Returns the CURLcode. */
static CURLcode exchange(struct http_client *c, const struct http_request *req, const char *url,
			 struct http_response *resp, char *err, size_t errlen)
{
	struct auth_headers ah = { 0 };
	if (req->auth != NULL) {
		struct auth_target t = { req->method, url, req->headers, req->n_headers, req->body, req->body_len };
		if (auth_apply(req->auth, c, &t, &ah, err, errlen) < 0)
			return CURLE_LOGIN_DENIED;
	}
	struct curl_slist *hl = build_headers(req, &ah);
	auth_headers_free(&ah);
	if (hl == NULL) {
		snprintf(err, errlen, "out of memory");
		return CURLE_OUT_OF_MEMORY;
	}
	util_buf_free(&c->body);
	util_buf_init(&c->body, (size_t)c->opt.max_body);
	c->oversize = 0;
	c->errbuf[0] = '\0';
	free_headers(c->hdrs, c->n_hdrs);
	c->hdrs = NULL;
	c->n_hdrs = 0;
	CURLcode rc = setup_transfer(c, req, url, hl);
	if (rc == CURLE_OK) {
		rate_limit_wait(c);
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		c->xfer_start = t0;
		c->xfer_waited = 0;
		rc = curl_easy_perform(c->curl);
		/* the rate limit counts from when the request was sent, after
		 * connecting and the TLS handshake */
		curl_off_t pre = 0;
		if (c->opt.rate_limit > 0 && curl_easy_getinfo(c->curl, CURLINFO_PRETRANSFER_TIME_T, &pre) == CURLE_OK) {
			long long ns = (long long)t0.tv_nsec + (long long)pre * 1000;
			c->last_request.tv_sec = t0.tv_sec + (time_t)(ns / 1000000000LL);
			c->last_request.tv_nsec = (long)(ns % 1000000000LL);
		}
	}
	/* curl keeps a pointer to the list until the next reset */
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	free_header_list(hl);
	if (c->oversize)
		rc = CURLE_FILESIZE_EXCEEDED;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status);
		resp->body = util_buf_take(&c->body, &resp->len);
		resp->headers = c->hdrs;
		resp->n_headers = c->n_hdrs;
		c->hdrs = NULL;
		c->n_hdrs = 0;
	} else {
		describe_curl(c, rc, err, errlen);
	}
	return rc;
}

int http_fetch(struct http_client *c, const struct http_request *req, struct http_response *resp, char *err,
	       size_t errlen)
{
	memset(resp, 0, sizeof(*resp));
	char *red = http_redact_url(req->url);
	char *url = strdup(req->url);
	double t0 = mono_now();
	unsigned attempt = 0, redirects = 0;
	int refreshed = 0, r = -1;
	char why[512] = "";
	if (red == NULL || url == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (strncasecmp(url, "https://", 8) != 0) {
		snprintf(err, errlen, "%s %s: only https:// URLs are allowed", req->method, red);
		goto out;
	}
	for (;;) {
		attempt++;
		http_response_free(resp);
		long retry_after = -1;
		int retry = 0;
		CURLcode rc = exchange(c, req, url, resp, why, sizeof(why));
		resp->attempts = attempt;
		if (rc == CURLE_LOGIN_DENIED) {
			/* the auth provider could not authenticate (token endpoint
			 * failed or a secret is unreadable); it said why */
			snprintf(err, errlen, "%s %s: authentication failed: %s", req->method, red, why);
			goto out;
		}
		if (rc != CURLE_OK) {
			retry = retryable_curl(rc) && !c->oversize;
			if (rc == CURLE_ABORTED_BY_CALLBACK || cancelled(c)) {
				snprintf(err, errlen, "%s %s: cancelled: ismsd is stopping", req->method, red);
				goto out;
			}
		} else if (resp->status >= 200 && resp->status < 300) {
			free(resp->url);
			resp->url = http_redact_url(url);
			r = 0;
			goto out;
		} else if (resp->status >= 300 && resp->status < 400) {
			char *loc = NULL;
			curl_easy_getinfo(c->curl, CURLINFO_REDIRECT_URL, &loc);
			char *rloc = http_redact_url(loc);
			if (c->opt.no_redirects) {
				snprintf(err, errlen, "%s %s: HTTP %ld: redirects are not followed", req->method, red,
					 resp->status);
			} else if (loc == NULL) {
				snprintf(err, errlen, "%s %s: HTTP %ld without a Location", req->method, red, resp->status);
			} else if (strncasecmp(loc, "https://", 8) != 0) {
				snprintf(err, errlen, "%s %s: redirect to %s refused: not https", req->method, red, rloc);
			} else if (http_same_origin(url, loc) != 0) {
				snprintf(err, errlen, "%s %s: redirect to %s refused: another host", req->method, red, rloc);
			} else if (++redirects > MAX_REDIRECTS) {
				snprintf(err, errlen, "%s %s: more than %d redirects", req->method, red, MAX_REDIRECTS);
			} else {
				char *n = strdup(loc);
				free(rloc);
				if (n == NULL) {
					snprintf(err, errlen, "out of memory");
					goto out;
				}
				free(url);
				url = n;
				attempt--;
				continue;
			}
			free(rloc);
			goto out;
		} else {
			char code[128], msg[256];
			vendor_error(resp, code, sizeof(code), msg, sizeof(msg));
			if (req->auth)
				auth_scrub(req->auth, msg);
			if (resp->status == 401 && req->auth != NULL && !refreshed && auth_invalidate(req->auth)) {
				refreshed = 1;
				attempt--;
				log_debug("source %s: %s %s: HTTP 401, fetching a new token", c->source, req->method, red);
				continue;
			}
			snprintf(why, sizeof(why), "HTTP %ld%s%s%s%s", resp->status, code[0] ? " " : "", code,
				 msg[0] ? ": " : "", msg);
			long st = resp->status;
			retry = st == 429 || st == 500 || st == 502 || st == 503 || st == 504 || is_throttle_code(code);
			retry_after = http_parse_retry_after(http_header_get(resp, "Retry-After"), util_now());
		}
		if (!retry || attempt >= c->opt.max_attempts) {
			if (retry)
				snprintf(err, errlen, "%s %s: %s (gave up after %u attempts)", req->method, red, why, attempt);
			else
				snprintf(err, errlen, "%s %s: %s", req->method, red, why);
			goto out;
		}
		uint64_t delay_ms;
		if (retry_after >= 0) {
			delay_ms = (uint64_t)retry_after * 1000u;
		} else {
			uint64_t ceiling = (uint64_t)c->opt.retry_base_ms << (attempt - 1 < 20 ? attempt - 1 : 20);
			if (ceiling > BACKOFF_CAP_MS)
				ceiling = BACKOFF_CAP_MS;
			delay_ms = rng_next(c) % (ceiling + 1); /* full jitter */
		}
		double spent = mono_now() - t0;
		if (spent + (double)delay_ms / 1000.0 > (double)c->opt.retry_budget_s) {
			snprintf(err, errlen, "%s %s: %s (retry budget of %llus exhausted after %u attempts)", req->method,
				 red, why, (unsigned long long)c->opt.retry_budget_s, attempt);
			goto out;
		}
		log_info("source %s: %s %s: %s; retrying in %.1fs (attempt %u of %u)", c->source, req->method, red, why,
			 (double)delay_ms / 1000.0, attempt + 1, c->opt.max_attempts);
		if (sleep_ms(c, delay_ms) < 0) {
			snprintf(err, errlen, "%s %s: cancelled: ismsd is stopping", req->method, red);
			goto out;
		}
	}
out:
	free(url);
	free(red);
	return r;
}
