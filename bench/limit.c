/*
 * bench/limit.c: the "limit" comparator of make bench (issue #9): the least
 * work that ingesting the same pages can be done with, to show ismsd's
 * figures against.  One libcurl easy handle (keep-alive); each page hashed
 * with SHA-256 and stored as a blob (sha256, size, data); one row per event
 * (run, source, event id, event time, page hash, byte offset) under a UNIQUE
 * (event time, event id) index; one sqlite transaction per page (WAL,
 * prepared statements).  Event ids and times are found by scanning for
 * their keys instead of parsing the JSON: that is correct for the pages
 * bench/pagesrv.py makes (an embedded JSON string has its quotes escaped, so
 * its keys never match), and not for JSON at large.  No retries, no
 * classification, no facts, no chain, and no SigV4 (pagesrv does not check
 * it; signing costs microseconds per page).
 *
 *   limit --shape cloudtrail|azure|knowbe4 --url https://127.0.0.1:PORT
 *         --ca CA.pem --db FILE [--secret-file FILE] [--max-events N]
 *
 * --secret-file holds the Entra ID client secret (azure) or the bearer token
 * (knowbe4).  --max-events stops after the page that reaches N events.
 * Prints one JSON line: {"events":N,"pages":N,"bytes":N}.  Exit 0 on
 * success, 1 on any failure.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#define TENANT "11111111-2222-3333-4444-555555555555"
#define CLIENT_ID "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
#define SUBSCRIPTION "00000000-1111-2222-3333-444444444444"
#define CT_TARGET "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
#define LOOKBACK (2 * 86400)
#define KB4_PER_PAGE 500

struct body {
	char *data;
	size_t len;
	size_t cap;
};

struct limit {
	const char *shape;
	const char *base; /* https://127.0.0.1:PORT */
	const char *ca;
	const char *db_path;
	const char *secret_file;
	long long max_events;
	CURL *curl;
	struct curl_slist *headers;
	sqlite3 *db;
	sqlite3_stmt *put_page;
	sqlite3_stmt *put_event;
	struct body body;
	long long events;
	long long pages;
	long long bytes;
	char errbuf[CURL_ERROR_SIZE];
};

/* ---- HTTP -------------------------------------------------------------------- */

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;
	if (b->len + add + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 16;
		while (cap < b->len + add + 1)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (d == NULL)
			return 0;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

/* GETs url, or POSTs post (NUL-terminated) when it is not NULL, with the
 * handle's headers.  The body is in l->body, NUL-terminated. */
static int fetch(struct limit *l, const char *url, const char *post)
{
	l->body.len = 0;
	if (curl_easy_setopt(l->curl, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(l->curl, CURLOPT_HTTPHEADER, l->headers) != CURLE_OK)
		return -1;
	if (post != NULL) {
		if (curl_easy_setopt(l->curl, CURLOPT_POSTFIELDS, post) != CURLE_OK)
			return -1;
	} else if (curl_easy_setopt(l->curl, CURLOPT_HTTPGET, 1L) != CURLE_OK) {
		return -1;
	}
	CURLcode rc = curl_easy_perform(l->curl);
	if (rc != CURLE_OK) {
		fprintf(stderr, "limit: %s: %s\n", url, l->errbuf[0] ? l->errbuf : curl_easy_strerror(rc));
		return -1;
	}
	long status = 0;
	if (curl_easy_getinfo(l->curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200 ||
	    l->body.data == NULL) {
		fprintf(stderr, "limit: %s: HTTP %ld: %.300s\n", url, status, l->body.data ? l->body.data : "");
		return -1;
	}
	return 0;
}

static int add_header(struct limit *l, const char *h)
{
	struct curl_slist *n = curl_slist_append(l->headers, h);
	if (n == NULL)
		return -1;
	l->headers = n;
	return 0;
}

/* ---- scanning ---------------------------------------------------------------- */

/* Finds key (such as "\"EventId\":\"") in [p, end) and the string value that
 * follows it, up to the next '"'.  Returns the end of the value, or NULL. */
static const char *scan_str(const char *p, const char *end, const char *key, const char **val, size_t *len)
{
	size_t kl = strlen(key);
	const char *k = memmem(p, (size_t)(end - p), key, kl);
	if (k == NULL)
		return NULL;
	const char *v = k + kl;
	const char *q = memchr(v, '"', (size_t)(end - v));
	if (q == NULL)
		return NULL;
	*val = v;
	*len = (size_t)(q - v);
	return q;
}

/* As scan_str(), for a number value (the digits before any '.'). */
static const char *scan_num(const char *p, const char *end, const char *key, long long *val)
{
	size_t kl = strlen(key);
	const char *k = memmem(p, (size_t)(end - p), key, kl);
	if (k == NULL)
		return NULL;
	const char *v = k + kl;
	long long x = 0;
	while (v < end && *v >= '0' && *v <= '9')
		x = x * 10 + (*v++ - '0');
	*val = x;
	return v;
}

/* ---- store ------------------------------------------------------------------- */

static int exec(struct limit *l, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(l->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "limit: sqlite: %s: %s\n", sql, err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int store_open(struct limit *l)
{
	if (sqlite3_open(l->db_path, &l->db) != SQLITE_OK) {
		fprintf(stderr, "limit: %s: %s\n", l->db_path, l->db ? sqlite3_errmsg(l->db) : "out of memory");
		return -1;
	}
	if (exec(l, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
		    "CREATE TABLE IF NOT EXISTS pages (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL,"
		    " data BLOB NOT NULL) WITHOUT ROWID;"
		    "CREATE TABLE IF NOT EXISTS events (run INTEGER NOT NULL, source TEXT NOT NULL,"
		    " event_id TEXT NOT NULL, event_time NOT NULL, page TEXT NOT NULL, offset INTEGER NOT NULL);"
		    "CREATE UNIQUE INDEX IF NOT EXISTS events_time_id ON events (event_time, event_id);") < 0)
		return -1;
	if (sqlite3_prepare_v2(l->db, "INSERT OR IGNORE INTO pages (sha256, size, data) VALUES (?, ?, ?)", -1,
			       &l->put_page, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l->db,
			       "INSERT OR IGNORE INTO events (run, source, event_id, event_time, page, offset)"
			       " VALUES (1, ?, ?, ?, ?, ?)",
			       -1, &l->put_event, NULL) != SQLITE_OK) {
		fprintf(stderr, "limit: sqlite: %s\n", sqlite3_errmsg(l->db));
		return -1;
	}
	return 0;
}

static void store_close(struct limit *l)
{
	sqlite3_finalize(l->put_page);
	sqlite3_finalize(l->put_event);
	sqlite3_close(l->db);
}

/* Opens the page's transaction and stores the body as a blob; hex gets its
 * SHA-256. */
static int page_begin(struct limit *l, char hex[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)l->body.data, l->body.len, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (exec(l, "BEGIN") < 0)
		return -1;
	sqlite3_stmt *s = l->put_page;
	if (sqlite3_bind_text(s, 1, hex, 64, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, (sqlite3_int64)l->body.len) != SQLITE_OK ||
	    sqlite3_bind_blob64(s, 3, l->body.data, l->body.len, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_DONE) {
		fprintf(stderr, "limit: sqlite: %s\n", sqlite3_errmsg(l->db));
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	l->pages++;
	l->bytes += (long long)l->body.len;
	return 0;
}

static int page_end(struct limit *l)
{
	return exec(l, "COMMIT");
}

/* One event row; a time is text (ttext, tlen) or, when ttext is NULL, the
 * integer tnum. */
static int put_event(struct limit *l, const char *id, size_t idlen, const char *ttext, size_t tlen, long long tnum,
		     const char *hex, const char *at)
{
	sqlite3_stmt *s = l->put_event;
	int rc = sqlite3_bind_text(s, 1, l->shape, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 2, id, (int)idlen, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = ttext != NULL ? sqlite3_bind_text(s, 3, ttext, (int)tlen, SQLITE_STATIC)
				   : sqlite3_bind_int64(s, 3, tnum);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 4, hex, 64, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 5, (sqlite3_int64)(at - l->body.data));
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	sqlite3_reset(s);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "limit: sqlite: %s\n", sqlite3_errmsg(l->db));
		return -1;
	}
	l->events++;
	return 0;
}

static int enough(const struct limit *l)
{
	return l->max_events > 0 && l->events >= l->max_events;
}

/* ---- the shapes -------------------------------------------------------------- */

/* LookupEvents, following NextToken. */
static int run_cloudtrail(struct limit *l)
{
	int r = -1;
	char *token = NULL;
	char url[512];
	snprintf(url, sizeof(url), "%s/", l->base);
	if (add_header(l, "Content-Type: application/x-amz-json-1.1") < 0 ||
	    add_header(l, "X-Amz-Target: " CT_TARGET) < 0 || add_header(l, "Expect:") < 0)
		goto out;
	long long end = (long long)time(NULL), start = end - LOOKBACK;
	for (;;) {
		char post[1024];
		int n = snprintf(post, sizeof(post), "{\"StartTime\":%lld,\"EndTime\":%lld,\"MaxResults\":50%s%s%s}",
				 start, end, token ? ",\"NextToken\":\"" : "", token ? token : "", token ? "\"" : "");
		if (n < 0 || (size_t)n >= sizeof(post))
			goto out;
		char hex[65];
		if (fetch(l, url, post) < 0 || page_begin(l, hex) < 0)
			goto out;
		const char *p = l->body.data, *e = l->body.data + l->body.len;
		for (;;) {
			const char *id;
			size_t idlen;
			long long when;
			const char *at = scan_str(p, e, "\"EventId\":\"", &id, &idlen);
			if (at == NULL)
				break;
			p = scan_num(at, e, "\"EventTime\":", &when);
			if (p == NULL) {
				fprintf(stderr, "limit: event without EventTime\n");
				goto out;
			}
			if (put_event(l, id, idlen, NULL, 0, when, hex, id) < 0)
				goto out;
		}
		const char *next;
		size_t nlen;
		int more = scan_str(p, e, "\"NextToken\":\"", &next, &nlen) != NULL;
		if (more) {
			free(token);
			token = strndup(next, nlen);
			if (token == NULL)
				goto out;
		}
		if (page_end(l) < 0)
			goto out;
		if (!more || enough(l))
			break;
	}
	r = 0;
out:
	free(token);
	return r;
}

static char *read_secret(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		perror(path);
		return NULL;
	}
	char buf[512];
	char *s = NULL;
	if (fgets(buf, sizeof(buf), f) != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		s = strdup(buf);
	}
	fclose(f);
	return s;
}

/* Entra ID client credentials, then the Activity Log through nextLink. */
static int run_azure(struct limit *l)
{
	int r = -1;
	char *secret = NULL, *esc_secret = NULL, *esc_filter = NULL, *url = NULL, *form = NULL, *auth = NULL;
	char token_url[512];
	if (l->secret_file != NULL)
		secret = read_secret(l->secret_file);
	if (secret == NULL) {
		fprintf(stderr, "limit: azure needs a readable --secret-file\n");
		goto out;
	}
	snprintf(token_url, sizeof(token_url), "%s/" TENANT "/oauth2/v2.0/token", l->base);
	esc_secret = curl_easy_escape(l->curl, secret, 0);
	if (esc_secret == NULL ||
	    asprintf(&form,
		     "client_id=" CLIENT_ID "&scope=https%%3A%%2F%%2Fmanagement.azure.com%%2F.default"
		     "&client_secret=%s&grant_type=client_credentials",
		     esc_secret) < 0) {
		form = NULL;
		goto out;
	}
	if (fetch(l, token_url, form) < 0)
		goto out;
	const char *tok;
	size_t toklen;
	if (scan_str(l->body.data, l->body.data + l->body.len, "\"access_token\":\"", &tok, &toklen) == NULL) {
		fprintf(stderr, "limit: no access_token in the token response\n");
		goto out;
	}
	if (asprintf(&auth, "Authorization: Bearer %.*s", (int)toklen, tok) < 0) {
		auth = NULL;
		goto out;
	}
	if (add_header(l, auth) < 0)
		goto out;

	char filter[160], from[32], to[32];
	time_t end = time(NULL), start = end - LOOKBACK;
	struct tm tm;
	strftime(from, sizeof(from), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&start, &tm));
	strftime(to, sizeof(to), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&end, &tm));
	snprintf(filter, sizeof(filter), "eventTimestamp ge '%s' and eventTimestamp le '%s'", from, to);
	esc_filter = curl_easy_escape(l->curl, filter, 0);
	if (esc_filter == NULL ||
	    asprintf(&url,
		     "%s/subscriptions/" SUBSCRIPTION "/providers/Microsoft.Insights/eventtypes/management/values"
		     "?api-version=2015-04-01&$filter=%s",
		     l->base, esc_filter) < 0) {
		url = NULL;
		goto out;
	}
	for (;;) {
		char hex[65];
		if (fetch(l, url, NULL) < 0 || page_begin(l, hex) < 0)
			goto out;
		const char *p = l->body.data, *e = l->body.data + l->body.len;
		for (;;) {
			const char *id, *ts;
			size_t idlen, tslen;
			const char *at = scan_str(p, e, "\"eventDataId\":\"", &id, &idlen);
			if (at == NULL)
				break;
			p = scan_str(at, e, "\"eventTimestamp\":\"", &ts, &tslen);
			if (p == NULL) {
				fprintf(stderr, "limit: event without eventTimestamp\n");
				goto out;
			}
			if (put_event(l, id, idlen, ts, tslen, 0, hex, id) < 0)
				goto out;
		}
		const char *next;
		size_t nlen;
		int more = scan_str(p, e, "\"nextLink\":\"", &next, &nlen) != NULL;
		if (more) {
			free(url);
			url = strndup(next, nlen);
			if (url == NULL)
				goto out;
		}
		if (page_end(l) < 0)
			goto out;
		if (!more || enough(l))
			break;
	}
	r = 0;
out:
	if (secret != NULL)
		memset(secret, 0, strlen(secret));
	free(secret);
	curl_free(esc_secret);
	curl_free(esc_filter);
	free(form);
	free(auth);
	free(url);
	return r;
}

/* KnowBe4 enrollments, page by page until an empty array. */
static int run_knowbe4(struct limit *l)
{
	int r = -1;
	char *token = NULL, *auth = NULL;
	if (l->secret_file != NULL)
		token = read_secret(l->secret_file);
	if (token == NULL) {
		fprintf(stderr, "limit: knowbe4 needs a readable --secret-file\n");
		goto out;
	}
	if (asprintf(&auth, "Authorization: Bearer %s", token) < 0) {
		auth = NULL;
		goto out;
	}
	if (add_header(l, auth) < 0 || add_header(l, "Accept: application/json") < 0)
		goto out;
	for (unsigned page = 1;; page++) {
		char url[512], hex[65];
		snprintf(url, sizeof(url), "%s/v1/training/enrollments?page=%u&per_page=%d", l->base, page,
			 KB4_PER_PAGE);
		if (fetch(l, url, NULL) < 0 || page_begin(l, hex) < 0)
			goto out;
		const char *p = l->body.data, *e = l->body.data + l->body.len;
		long long before = l->events;
		for (;;) {
			const char *at = memmem(p, (size_t)(e - p), "\"enrollment_id\":", 16);
			if (at == NULL)
				break;
			const char *id = at + 16, *ts;
			size_t idlen = strspn(id, "0123456789"), tslen;
			p = scan_str(id, e, "\"enrollment_date\":\"", &ts, &tslen);
			if (p == NULL) {
				fprintf(stderr, "limit: enrollment without enrollment_date\n");
				goto out;
			}
			if (put_event(l, id, idlen, ts, tslen, 0, hex, at) < 0)
				goto out;
		}
		if (page_end(l) < 0)
			goto out;
		if (l->events == before || enough(l))
			break;
	}
	r = 0;
out:
	free(token);
	free(auth);
	return r;
}

/* ---- main -------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: limit --shape cloudtrail|azure|knowbe4 --url https://127.0.0.1:PORT --ca FILE"
			" --db FILE [--secret-file FILE] [--max-events N]\n");
}

static int parse_args(struct limit *l, int argc, char **argv)
{
	for (int i = 1; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			return -1;
		if (strcmp(k, "--shape") == 0)
			l->shape = v;
		else if (strcmp(k, "--url") == 0)
			l->base = v;
		else if (strcmp(k, "--ca") == 0)
			l->ca = v;
		else if (strcmp(k, "--db") == 0)
			l->db_path = v;
		else if (strcmp(k, "--secret-file") == 0)
			l->secret_file = v;
		else if (strcmp(k, "--max-events") == 0)
			l->max_events = strtoll(v, NULL, 10);
		else
			return -1;
	}
	return l->shape && l->base && l->ca && l->db_path ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct limit l;
	memset(&l, 0, sizeof(l));
	if (parse_args(&l, argc, argv) < 0) {
		usage();
		return 2;
	}
	int (*run)(struct limit *) = strcmp(l.shape, "cloudtrail") == 0 ? run_cloudtrail
				     : strcmp(l.shape, "azure") == 0	? run_azure
				     : strcmp(l.shape, "knowbe4") == 0	? run_knowbe4
									: NULL;
	if (run == NULL) {
		usage();
		return 2;
	}
	int r = 1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	l.curl = curl_easy_init();
	if (l.curl == NULL || store_open(&l) < 0)
		goto out;
	if (curl_easy_setopt(l.curl, CURLOPT_CAINFO, l.ca) != CURLE_OK ||
	    curl_easy_setopt(l.curl, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
	    curl_easy_setopt(l.curl, CURLOPT_WRITEDATA, &l.body) != CURLE_OK ||
	    curl_easy_setopt(l.curl, CURLOPT_ERRORBUFFER, l.errbuf) != CURLE_OK ||
	    curl_easy_setopt(l.curl, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK)
		goto out;
	if (run(&l) < 0)
		goto out;
	printf("{\"events\":%lld,\"pages\":%lld,\"bytes\":%lld}\n", l.events, l.pages, l.bytes);
	r = 0;
out:
	store_close(&l);
	curl_slist_free_all(l.headers);
	curl_easy_cleanup(l.curl);
	free(l.body.data);
	curl_global_cleanup();
	return r;
}
