/*
 * sigv4.c: AWS Signature Version 4 signing (canonical request, string to
 * sign, key derivation, Authorization header) and the parser for the AWS
 * shared credentials file.  The rules and contracts are in sigv4.h.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ini.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sigv4.h"
#include "util.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"
/* No part of a canonical request we build comes near this. */
#define CANON_CAP ((size_t)1 << 20)
/* Longer secrets are not AWS secrets (they are 40 characters). */
#define SECRET_MAX 1024

/* ---- character classes --------------------------------------------------- */

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
	       c == '.' || c == '~';
}

/* An RFC 9110 token character (header names, methods). */
static int is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_token(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (!is_tchar(*p))
			return 0;
	}
	return 1;
}

/* Whitespace inside a header value, folded lines included. */
static int is_hws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Visible ASCII without '/' and ',': safe inside the credential scope. */
static int is_scope_part(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '/' || *p == ',')
			return 0;
	}
	return 1;
}

/* Visible ASCII only: a value that goes into a header as is. */
static int is_visible(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f)
			return 0;
	}
	return 1;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ---- canonical URI and query --------------------------------------------- */

static int append_encoded_byte(struct util_buf *b, unsigned char c)
{
	static const char digits[] = "0123456789ABCDEF";
	if (is_unreserved(c))
		return util_buf_append(b, &c, 1);
	char esc[3] = { '%', digits[c >> 4], digits[c & 15] };
	return util_buf_append(b, esc, sizeof(esc));
}

static int append_encoded(struct util_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = append_encoded_byte(b, (unsigned char)s[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

struct segment {
	const char *s;
	size_t n;
};

/*
 * Appends the canonical URI: with normalize, empty and "." segments are
 * dropped and ".." removes the previous one (botocore's remove_dot_segments);
 * then every segment is URI-encoded, '/' kept.
 */
static int canonical_uri(struct util_buf *b, const char *path, int normalize)
{
	if (path == NULL || *path == '\0')
		path = "/";
	if (path[0] != '/')
		return -EINVAL;
	size_t n_slash = 0;
	for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '?' || *p == '#')
			return -EINVAL;
		if (*p == '/')
			n_slash++;
	}
	if (!normalize) {
		for (const char *p = path; *p != '\0'; p++) {
			int r = *p == '/' ? util_buf_append(b, "/", 1) : append_encoded_byte(b, (unsigned char)*p);
			if (r < 0)
				return r;
		}
		return 0;
	}

	struct segment *segs = calloc(n_slash + 1, sizeof(*segs));
	if (segs == NULL)
		return -ENOMEM;
	size_t n_segs = 0;
	const char *p = path + 1;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (n_segs > 0)
				n_segs--;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			segs[n_segs].s = p;
			segs[n_segs].n = n;
			n_segs++;
		}
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	int r = util_buf_append(b, "/", 1);
	for (size_t i = 0; i < n_segs && r == 0; i++) {
		if (i > 0)
			r = util_buf_append(b, "/", 1);
		if (r == 0)
			r = append_encoded(b, segs[i].s, segs[i].n);
	}
	if (r == 0 && n_segs > 0 && path[strlen(path) - 1] == '/')
		r = util_buf_append(b, "/", 1);
	free(segs);
	return r;
}

struct query_param {
	char *key;
	char *value;
};

/* Decodes %XX escapes in s[0..n) and re-encodes the bytes; *out is malloc'd. */
static int reencode(const char *s, size_t n, char **out)
{
	struct util_buf b;
	util_buf_init(&b, CANON_CAP);
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			int hi = i + 2 < n ? hex_value(s[i + 1]) : -1;
			int lo = i + 2 < n ? hex_value(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				r = -EINVAL;
				break;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c < 0x20 || c == 0x7f || c == '#') {
			r = -EINVAL;
			break;
		}
		r = append_encoded_byte(&b, c);
	}
	if (r < 0) {
		util_buf_free(&b);
		return r;
	}
	*out = util_buf_take(&b, NULL);
	return *out != NULL ? 0 : -ENOMEM;
}

static int compare_params(const void *a, const void *b)
{
	const struct query_param *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c != 0 ? c : strcmp(x->value, y->value);
}

/* Appends the canonical query string (nothing for NULL or ""). */
static int canonical_query(struct util_buf *b, const char *query)
{
	if (query == NULL || *query == '\0')
		return 0;
	size_t max = 1;
	for (const char *p = query; *p != '\0'; p++) {
		if (*p == '&')
			max++;
	}
	struct query_param *params = calloc(max, sizeof(*params));
	if (params == NULL)
		return -ENOMEM;
	size_t n = 0;
	int r = 0;
	const char *p = query;
	while (r == 0) {
		const char *amp = strchr(p, '&');
		size_t len = amp != NULL ? (size_t)(amp - p) : strlen(p);
		if (len > 0) {
			const char *eq = memchr(p, '=', len);
			size_t klen = eq != NULL ? (size_t)(eq - p) : len;
			r = reencode(p, klen, &params[n].key);
			if (r == 0 && eq != NULL)
				r = reencode(eq + 1, len - klen - 1, &params[n].value);
			else if (r == 0)
				r = reencode("", 0, &params[n].value);
			n++; /* counted even half-filled, so that cleanup frees it */
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	if (r == 0) {
		qsort(params, n, sizeof(*params), compare_params);
		for (size_t i = 0; i < n && r == 0; i++)
			r = util_buf_printf(b, "%s%s=%s", i > 0 ? "&" : "", params[i].key, params[i].value);
	}
	for (size_t i = 0; i < n; i++) {
		free(params[i].key);
		free(params[i].value);
	}
	free(params);
	return r;
}

/* ---- canonical headers ---------------------------------------------------- */

struct canon_header {
	char *name; /* lowercase, malloc'd */
	const char *value;
	size_t order;
};

static int compare_headers(const void *a, const void *b)
{
	const struct canon_header *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Appends v trimmed, with every run of whitespace turned into one space. */
static int append_header_value(struct util_buf *b, const char *v)
{
	int space = 0, started = 0;
	for (const char *p = v; *p != '\0'; p++) {
		if (is_hws(*p)) {
			space = started;
			continue;
		}
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -EINVAL;
		const char *run = p;
		while (p[1] != '\0' && !is_hws(p[1]) && (unsigned char)p[1] >= 0x20 && p[1] != 0x7f)
			p++;
		int r = 0;
		if (space)
			r = util_buf_append(b, " ", 1);
		if (r == 0)
			r = util_buf_append(b, run, (size_t)(p - run) + 1);
		if (r < 0)
			return r;
		space = 0;
		started = 1;
	}
	return 0;
}

static const char *const reserved_headers[] = { "x-amz-date", "x-amz-security-token", "x-amz-content-sha256",
						"authorization" };

/*
 * Builds the canonical header block (each "name:value\n") into block and the
 * signed header list into names, from the caller's headers plus extra (our
 * own, already lowercase).
 */
static int canonical_headers(const struct sigv4_request *req, const struct sigv4_header *extra, size_t n_extra,
			     struct util_buf *block, struct util_buf *names)
{
	if (req->n_headers > 0 && req->headers == NULL)
		return -EINVAL;
	size_t total = req->n_headers + n_extra;
	struct canon_header *hs = calloc(total, sizeof(*hs));
	if (hs == NULL)
		return -ENOMEM;
	int r = 0, have_host = 0;
	size_t n = 0;
	for (size_t i = 0; i < total; i++) {
		const struct sigv4_header *h = i < req->n_headers ? &req->headers[i] : &extra[i - req->n_headers];
		if (!is_token(h->name) || h->value == NULL) {
			r = -EINVAL;
			goto out;
		}
		hs[n].name = strdup(h->name);
		if (hs[n].name == NULL) {
			r = -ENOMEM;
			goto out;
		}
		for (char *c = hs[n].name; *c != '\0'; c++) {
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		}
		hs[n].value = h->value;
		hs[n].order = i;
		n++;
		if (i >= req->n_headers)
			continue;
		if (strcmp(hs[n - 1].name, "host") == 0)
			have_host = 1;
		for (size_t k = 0; k < sizeof(reserved_headers) / sizeof(reserved_headers[0]); k++) {
			if (strcmp(hs[n - 1].name, reserved_headers[k]) == 0) {
				r = -EINVAL;
				goto out;
			}
		}
	}
	if (!have_host) {
		r = -EINVAL;
		goto out;
	}
	qsort(hs, n, sizeof(*hs), compare_headers);
	for (size_t i = 0; i < n && r == 0; i++) {
		int first = i == 0 || strcmp(hs[i].name, hs[i - 1].name) != 0;
		int last = i + 1 == n || strcmp(hs[i].name, hs[i + 1].name) != 0;
		if (first) {
			r = util_buf_printf(block, "%s:", hs[i].name);
			if (r == 0)
				r = util_buf_printf(names, "%s%s", i > 0 ? ";" : "", hs[i].name);
		} else {
			r = util_buf_append(block, ",", 1);
		}
		if (r == 0)
			r = append_header_value(block, hs[i].value);
		if (r == 0 && last)
			r = util_buf_append(block, "\n", 1);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(hs[i].name);
	free(hs);
	return r;
}

/* ---- keys and signing ---------------------------------------------------- */

static int hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
		       unsigned char out[SIGV4_KEY_LEN])
{
	unsigned int len = 0;
	if (HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &len) == NULL || len != SIGV4_KEY_LEN)
		return -EIO;
	return 0;
}

int sigv4_signing_key(const char *secret_access_key, const char *date, const char *region, const char *service,
		      unsigned char key[SIGV4_KEY_LEN])
{
	if (secret_access_key == NULL || date == NULL || !is_scope_part(region) || !is_scope_part(service))
		return -EINVAL;
	size_t secret_len = strlen(secret_access_key);
	if (secret_len == 0 || secret_len > SECRET_MAX || strlen(date) != 8 || strspn(date, "0123456789") != 8)
		return -EINVAL;

	unsigned char k_secret[4 + SECRET_MAX], k_date[SIGV4_KEY_LEN], k_region[SIGV4_KEY_LEN],
	    k_service[SIGV4_KEY_LEN];
	memcpy(k_secret, "AWS4", 4);
	memcpy(k_secret + 4, secret_access_key, secret_len);
	int r = hmac_sha256(k_secret, 4 + secret_len, date, 8, k_date);
	if (r == 0)
		r = hmac_sha256(k_date, sizeof(k_date), region, strlen(region), k_region);
	if (r == 0)
		r = hmac_sha256(k_region, sizeof(k_region), service, strlen(service), k_service);
	if (r == 0)
		r = hmac_sha256(k_service, sizeof(k_service), TERMINATOR, strlen(TERMINATOR), key);
	OPENSSL_cleanse(k_secret, sizeof(k_secret));
	OPENSSL_cleanse(k_date, sizeof(k_date));
	OPENSSL_cleanse(k_region, sizeof(k_region));
	OPENSSL_cleanse(k_service, sizeof(k_service));
	if (r < 0)
		OPENSSL_cleanse(key, SIGV4_KEY_LEN);
	return r;
}

int sigv4_sign(const struct sigv4_request *req, const struct sigv4_credentials *cred, const struct sigv4_scope *scope,
	       struct sigv4_signature *out)
{
	if (out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (req == NULL || cred == NULL || scope == NULL || !is_token(req->method) ||
	    !is_scope_part(cred->access_key_id) || cred->secret_access_key == NULL ||
	    (cred->session_token != NULL && !is_visible(cred->session_token)) || !is_scope_part(scope->region) ||
	    !is_scope_part(scope->service) || (req->body == NULL && req->body_len > 0))
		return -EINVAL;

	struct tm tm;
	char amz_date[SIGV4_AMZ_DATE_LEN + 1];
	if (gmtime_r(&scope->when, &tm) == NULL ||
	    strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm) != SIGV4_AMZ_DATE_LEN)
		return -EINVAL;
	char date[9];
	memcpy(date, amz_date, 8);
	date[8] = '\0';
	char payload_hash[SIGV4_HEX_LEN + 1];
	util_sha256_hex(req->body != NULL ? req->body : "", req->body_len, payload_hash);

	struct sigv4_header extra[3];
	size_t n_extra = 0;
	extra[n_extra++] = (struct sigv4_header){ "x-amz-date", amz_date };
	if (cred->session_token != NULL)
		extra[n_extra++] = (struct sigv4_header){ "x-amz-security-token", cred->session_token };
	if (scope->sign_body)
		extra[n_extra++] = (struct sigv4_header){ "x-amz-content-sha256", payload_hash };

	struct util_buf creq, names, sts, auth;
	util_buf_init(&creq, CANON_CAP);
	util_buf_init(&names, CANON_CAP);
	util_buf_init(&sts, CANON_CAP);
	util_buf_init(&auth, CANON_CAP);
	unsigned char key[SIGV4_KEY_LEN], mac[SIGV4_KEY_LEN];

	int r = util_buf_printf(&creq, "%s\n", req->method);
	if (r == 0)
		r = canonical_uri(&creq, req->path, scope->normalize_path);
	if (r == 0)
		r = util_buf_append(&creq, "\n", 1);
	if (r == 0)
		r = canonical_query(&creq, req->query);
	if (r == 0)
		r = util_buf_append(&creq, "\n", 1);
	if (r == 0)
		r = canonical_headers(req, extra, n_extra, &creq, &names);
	if (r == 0)
		r = util_buf_printf(&creq, "\n%s\n%s", names.data, payload_hash);
	if (r < 0)
		goto out;

	char creq_hash[SIGV4_HEX_LEN + 1];
	util_sha256_hex(creq.data, creq.len, creq_hash);
	r = util_buf_printf(&sts, ALGORITHM "\n%s\n%s/%s/%s/" TERMINATOR "\n%s", amz_date, date, scope->region,
			    scope->service, creq_hash);
	if (r < 0)
		goto out;

	r = sigv4_signing_key(cred->secret_access_key, date, scope->region, scope->service, key);
	if (r == 0)
		r = hmac_sha256(key, sizeof(key), sts.data, sts.len, mac);
	if (r < 0)
		goto out;
	util_hex(mac, sizeof(mac), out->signature);
	r = util_buf_printf(&auth, ALGORITHM " Credential=%s/%s/%s/%s/" TERMINATOR ", SignedHeaders=%s, Signature=%s",
			    cred->access_key_id, date, scope->region, scope->service, names.data, out->signature);
	if (r < 0)
		goto out;

	memcpy(out->amz_date, amz_date, sizeof(out->amz_date));
	memcpy(out->content_sha256, payload_hash, sizeof(out->content_sha256));
	out->canonical_request = util_buf_take(&creq, NULL);
	out->signed_headers = util_buf_take(&names, NULL);
	out->string_to_sign = util_buf_take(&sts, NULL);
	out->authorization = util_buf_take(&auth, NULL);
	if (out->canonical_request == NULL || out->signed_headers == NULL || out->string_to_sign == NULL ||
	    out->authorization == NULL) {
		sigv4_signature_free(out);
		r = -ENOMEM;
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(mac, sizeof(mac));
	util_buf_free(&creq);
	util_buf_free(&names);
	util_buf_free(&sts);
	util_buf_free(&auth);
	if (r < 0)
		memset(out, 0, sizeof(*out));
	return r;
}

void sigv4_signature_free(struct sigv4_signature *s)
{
	if (s == NULL)
		return;
	free(s->signed_headers);
	free(s->authorization);
	free(s->canonical_request);
	free(s->string_to_sign);
	memset(s, 0, sizeof(*s));
}

/* ---- shared credentials file --------------------------------------------- */

/*
 * libinih reads lines into a fixed 200-byte buffer and truncates section
 * names to 49 bytes, but session tokens run to a thousand characters or
 * more.  So inih reads through src_read(), which hands it one line of the
 * text per call, as is when it fits, and otherwise moves the long value (or
 * section name) into src->moved and hands inih "key=\x01<index>" instead.
 * The handler resolves such references.  src_read() follows inih's own
 * classification of lines (comments, continuations, sections, key=value) so
 * that the result is what an unlimited inih would give.  Control characters
 * are refused up front, so a reference cannot come from the file itself.
 */
#define MOVED_MARK '\x01'
#define BAD_LINE "\x02\n" /* a line inih rejects, standing for one it could not parse either */
#define INIH_MAX_SECTION 50

enum { KEY_ACCESS, KEY_SECRET, KEY_TOKEN, N_KEYS };
static const char *const key_names[N_KEYS] = { "aws_access_key_id", "aws_secret_access_key", "aws_session_token" };

struct ini_src {
	const char *p;	  /* the next unread byte */
	int lineno;	  /* the line inih is working on */
	int prev_name;	  /* inih would take an indented line as a continuation */
	const char *want; /* the section sought */
	int want_seen;
	char **moved;
	size_t n_moved;
	size_t moved_alloc;
	int oom;
	int broken; /* inih offered too small a buffer */
};

struct profile_ctx {
	struct ini_src *src;
	char *vals[N_KEYS];
	int err_line; /* the line of the first error found by the handler */
	char err[200];
	int oom;
};

static void set_err(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
	if (err == NULL || err_len == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

static int is_ini_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* inih's ini_find_chars_or_comment() over [s, end): the first of chars, or
 * a ';' after whitespace, or end. */
static const char *find_chars_or_comment(const char *s, const char *end, const char *chars)
{
	int was_space = 0;
	while (s < end && !(chars != NULL && strchr(chars, *s) != NULL) && !(was_space && *s == ';')) {
		was_space = is_ini_space(*s);
		s++;
	}
	return s;
}

/* Moves [s, end) into src->moved and returns its index, or -1 when out of
 * memory.  A value has its inline comment cut and is trimmed, as inih does. */
static long move_out(struct ini_src *src, const char *s, const char *end, int value)
{
	if (value) {
		end = find_chars_or_comment(s, end, NULL);
		while (s < end && is_ini_space(*s))
			s++;
		while (end > s && is_ini_space(end[-1]))
			end--;
	}
	if (src->n_moved == src->moved_alloc) {
		size_t n = src->moved_alloc ? src->moved_alloc * 2 : 4;
		char **m = realloc(src->moved, n * sizeof(*m));
		if (m == NULL)
			return -1;
		src->moved = m;
		src->moved_alloc = n;
	}
	char *copy = strndup(s, (size_t)(end - s));
	if (copy == NULL)
		return -1;
	src->moved[src->n_moved] = copy;
	return (long)src->n_moved++;
}

/* What src_read() hands inih for a line. */
enum ini_emit {
	EMIT_AS_IS,
	EMIT_BLANK,	   /* a long comment or blank line */
	EMIT_BAD,	   /* a long line inih would reject anyway */
	EMIT_SECTION,	   /* "[\x01<i>]" */
	EMIT_CONTINUATION, /* " \x01<i>" */
	EMIT_PAIR,	   /* "key=\x01<i>" */
};

/* The reader for ini_parse_stream(): one line of the text per call. */
static char *src_read(char *str, int num, void *stream)
{
	struct ini_src *src = stream;
	if (*src->p == '\0')
		return NULL;
	if (num < 64) {
		src->broken = 1;
		return NULL;
	}
	const char *line = src->p;
	const char *nl = strchr(line, '\n');
	size_t len = nl != NULL ? (size_t)(nl - line) + 1 : strlen(line);
	src->p = line + len;
	src->lineno++;

	const char *start = line, *end = line + (nl != NULL ? len - 1 : len);
	if (src->lineno == 1 && end - start >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0)
		start += 3;
	while (start < end && is_ini_space(*start))
		start++;
	while (end > start && is_ini_space(end[-1]))
		end--;
	int fits = len < (size_t)num - 1;
	enum ini_emit how = EMIT_AS_IS;
	const char *from = NULL, *to = end, *delim = NULL;

	if (start == end || *start == ';' || *start == '#') {
		how = fits ? EMIT_AS_IS : EMIT_BLANK;
	} else if (src->prev_name && start > line) {
		/* A continuation: inih hands the whole line to the handler. */
		how = fits ? EMIT_AS_IS : EMIT_CONTINUATION;
		from = start;
	} else if (*start == '[') {
		const char *close = find_chars_or_comment(start + 1, end, "]");
		if (close < end && *close == ']') {
			size_t n = (size_t)(close - start - 1);
			src->prev_name = 0;
			if (strlen(src->want) == n && memcmp(start + 1, src->want, n) == 0)
				src->want_seen = 1;
			how = fits && n < INIH_MAX_SECTION ? EMIT_AS_IS : EMIT_SECTION;
			from = start + 1;
			to = close;
		} else {
			how = fits ? EMIT_AS_IS : EMIT_BAD;
		}
	} else {
		delim = find_chars_or_comment(start, end, "=:");
		if (delim < end && *delim != ';') {
			src->prev_name = 1;
			if (fits)
				how = EMIT_AS_IS;
			else
				how = (size_t)(delim - start) + 32 < (size_t)num ? EMIT_PAIR : EMIT_BAD;
			from = delim + 1;
		} else {
			how = fits ? EMIT_AS_IS : EMIT_BAD;
		}
	}

	long idx = -1;
	if (how == EMIT_SECTION || how == EMIT_CONTINUATION || how == EMIT_PAIR) {
		idx = move_out(src, from, to, how != EMIT_SECTION);
		if (idx < 0) {
			src->oom = 1;
			how = EMIT_BAD;
		}
	}
	switch (how) {
	case EMIT_AS_IS:
		memcpy(str, line, len);
		str[len] = '\0';
		break;
	case EMIT_BLANK:
		snprintf(str, (size_t)num, "\n");
		break;
	case EMIT_BAD:
		snprintf(str, (size_t)num, "%s", BAD_LINE);
		break;
	case EMIT_SECTION:
		snprintf(str, (size_t)num, "[%c%ld]\n", MOVED_MARK, idx);
		break;
	case EMIT_CONTINUATION:
		snprintf(str, (size_t)num, " %c%ld\n", MOVED_MARK, idx);
		break;
	case EMIT_PAIR:
		snprintf(str, (size_t)num, "%.*s=%c%ld\n", (int)(delim - start), start, MOVED_MARK, idx);
		break;
	}
	return str;
}

/* The text behind s: s itself, or a string src_read() moved out. */
static const char *resolve(const struct ini_src *src, const char *s)
{
	if (s == NULL || s[0] != MOVED_MARK)
		return s;
	char *end = NULL;
	unsigned long i = strtoul(s + 1, &end, 10);
	if (end == s + 1 || *end != '\0' || i >= src->n_moved)
		return s;
	return src->moved[i];
}

static int profile_handler(void *user, const char *section, const char *name, const char *value)
{
	struct profile_ctx *ctx = user;
	section = resolve(ctx->src, section);
	value = resolve(ctx->src, value);
	if (strcmp(section, ctx->src->want) != 0)
		return 1;
	size_t k = 0;
	while (k < N_KEYS && strcasecmp(name, key_names[k]) != 0)
		k++;
	if (k == N_KEYS)
		return 1;
	if (ctx->err_line != 0)
		return 0; /* an error is already recorded: keep the first */
	if (*value == '\0') {
		ctx->err_line = ctx->src->lineno;
		snprintf(ctx->err, sizeof(ctx->err), "line %d: %s is empty in profile '%s'", ctx->err_line,
			 key_names[k], ctx->src->want);
		return 0;
	}
	if (ctx->vals[k] != NULL) {
		ctx->err_line = ctx->src->lineno;
		snprintf(ctx->err, sizeof(ctx->err), "line %d: %s given twice (or continued) in profile '%s'",
			 ctx->err_line, key_names[k], ctx->src->want);
		return 0;
	}
	ctx->vals[k] = strdup(value);
	if (ctx->vals[k] == NULL) {
		ctx->oom = 1;
		return 0;
	}
	return 1;
}

int sigv4_profile_parse(const char *text, const char *profile, struct sigv4_profile *out, char *err, size_t err_len)
{
	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (out == NULL || text == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (profile == NULL || *profile == '\0')
		profile = "default";

	int line = 1;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p == '\n') {
			line++;
		} else if ((*p < 0x20 && *p != '\t' && *p != '\r') || *p == 0x7f) {
			set_err(err, err_len, "line %d: control character", line);
			return -EINVAL;
		}
	}

	struct ini_src src = { .p = text, .want = profile };
	struct profile_ctx ctx = { .src = &src };
	int r = ini_parse_stream(src_read, &src, profile_handler, &ctx);
	if (src.oom || ctx.oom || r == -2) {
		set_err(err, err_len, "out of memory");
		r = -ENOMEM;
	} else if (r > 0 && r == ctx.err_line) {
		set_err(err, err_len, "%s", ctx.err);
		r = -EINVAL;
	} else if (r > 0) {
		set_err(err, err_len, "line %d: expected [profile] or key = value", r);
		r = -EINVAL;
	} else if (r < 0 || src.broken) {
		set_err(err, err_len, "cannot parse");
		r = -EINVAL;
	} else if (!src.want_seen) {
		set_err(err, err_len, "profile '%s' not found", profile);
		r = -ENOENT;
	} else if (ctx.vals[KEY_ACCESS] == NULL || ctx.vals[KEY_SECRET] == NULL) {
		set_err(err, err_len, "profile '%s' lacks %s", profile,
			key_names[ctx.vals[KEY_ACCESS] == NULL ? KEY_ACCESS : KEY_SECRET]);
		r = -EINVAL;
	} else {
		out->access_key_id = ctx.vals[KEY_ACCESS];
		out->secret_access_key = ctx.vals[KEY_SECRET];
		out->session_token = ctx.vals[KEY_TOKEN];
		for (size_t k = 0; k < N_KEYS; k++)
			ctx.vals[k] = NULL;
	}
	for (size_t k = 0; k < N_KEYS; k++)
		util_secret_free(ctx.vals[k], ctx.vals[k] != NULL ? strlen(ctx.vals[k]) : 0);
	for (size_t i = 0; i < src.n_moved; i++)
		util_secret_free(src.moved[i], strlen(src.moved[i]));
	free(src.moved);
	return r;
}

void sigv4_profile_free(struct sigv4_profile *p)
{
	if (p == NULL)
		return;
	util_secret_free(p->access_key_id, p->access_key_id != NULL ? strlen(p->access_key_id) : 0);
	util_secret_free(p->secret_access_key, p->secret_access_key != NULL ? strlen(p->secret_access_key) : 0);
	util_secret_free(p->session_token, p->session_token != NULL ? strlen(p->session_token) : 0);
	memset(p, 0, sizeof(*p));
}

struct sigv4_credentials sigv4_profile_credentials(const struct sigv4_profile *p)
{
	struct sigv4_credentials c = { p->access_key_id, p->secret_access_key, p->session_token };
	return c;
}
