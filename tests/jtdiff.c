/*
 * jtdiff.c: jtape against jansson (see jtdiff.h).  The tape and jansson's
 * value are walked together: each node of the tape that jansson's value
 * reaches is compared with it, and remembered (map) so that a JSON pointer
 * resolved on both sides can be checked to name the same value.
 */
#include "autoconfig.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "collector_http.h"
#include "jtdiff.h"

/* Above this many nodes the per-value checks that cost O(document) each
 * (pointers, the writer per value) are left out, and so are pointers to
 * values nested deeper than a path of WALK_PATH_MAX bytes. */
#define WALK_DEEP_MAX 4096
#define WALK_WRITE_MAX 64
#define WALK_PATH_MAX 512

struct walk {
	struct jt_doc *d;
	json_t *root;
	json_t **map; /* tape index -> the jansson value it stands for */
	char *path;   /* the current value's JSON pointer */
	size_t plen, pcap;
	struct jt_buf b;
	char *why;
	size_t whylen;
};

static int differ(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int differ(struct walk *w, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(w->why, w->whylen, "at \"%.*s\": %s", (int)(w->plen > 200 ? 200 : w->plen),
		 w->path != NULL ? w->path : "", msg);
	return -1;
}

static int path_put(struct walk *w, const char *s, size_t n)
{
	if (w->pcap - w->plen < n + 1) {
		size_t cap = w->pcap ? w->pcap : 256;
		while (cap - w->plen < n + 1)
			cap *= 2;
		char *p = realloc(w->path, cap);
		if (p == NULL)
			return -1;
		w->path = p;
		w->pcap = cap;
	}
	memcpy(w->path + w->plen, s, n);
	w->plen += n;
	w->path[w->plen] = '\0';
	return 0;
}

/* Appends "/" and the token for key (~ and / escaped as RFC 6901 says). */
static int path_push_key(struct walk *w, const char *key)
{
	if (path_put(w, "/", 1) < 0)
		return -1;
	for (const char *k = key; *k; k++) {
		int r = *k == '~' ? path_put(w, "~0", 2) : *k == '/' ? path_put(w, "~1", 2) : path_put(w, k, 1);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int path_push_index(struct walk *w, size_t i)
{
	char tok[32];
	int n = snprintf(tok, sizeof(tok), "/%zu", i);
	return path_put(w, tok, (size_t)n);
}

static enum jt_type type_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return JT_OBJECT;
	case JSON_ARRAY:
		return JT_ARRAY;
	case JSON_STRING:
		return JT_STRING;
	case JSON_INTEGER:
		return JT_INTEGER;
	case JSON_REAL:
		return JT_REAL;
	case JSON_TRUE:
		return JT_TRUE;
	case JSON_FALSE:
		return JT_FALSE;
	case JSON_NULL:
		return JT_NULL;
	}
	return JT_NULL;
}

/* The tape node for ptr and jansson's value for it must be the same one. */
static int check_pointer(struct walk *w, const char *ptr)
{
	uint32_t t = jt_pointer(w->d, 0, ptr);
	json_t *j = collector_json_pointer(w->root, ptr);
	if (t == JT_NONE && j == NULL)
		return 0;
	if (t == JT_NONE || t >= w->d->count || w->map[t] != j)
		return differ(w, "jt_pointer(\"%.100s\") = %u, not jansson's value", ptr, (unsigned)t);
	return 0;
}

/* Pointers near the current path that the resolvers may treat alike or not:
 * array indices with a sign, a leading zero or a space, an unknown escape. */
static int check_pointer_variants(struct walk *w, const json_t *v)
{
	static const char *const arr[] = {
	    "/0", "/00", "/01", "/+0", "/-0", "/ 1", "/1x", "/", "/-1", "/4294967296", "/18446744073709551617"};
	static const char *const obj[] = {"/", "/~", "/~2", "/~01", "/a~1b", "/~0"};
	const char *const *list = json_is_array(v) ? arr : obj;
	size_t n = json_is_array(v) ? sizeof(arr) / sizeof(arr[0]) : sizeof(obj) / sizeof(obj[0]);
	size_t base = w->plen;
	for (size_t k = 0; k < n; k++) {
		if (path_put(w, list[k], strlen(list[k])) < 0)
			return differ(w, "out of memory");
		int r = check_pointer(w, w->path);
		w->plen = base;
		w->path[base] = '\0';
		if (r < 0)
			return -1;
	}
	return 0;
}

static int check_string(struct walk *w, uint32_t i, const json_t *v)
{
	struct jt_doc *d = w->d;
	const char *want = json_string_value(v);
	size_t wl = json_string_length(v);
	size_t gl = 0;
	const char *got = jt_str(d, i, &gl);
	if (got == NULL || gl != wl || memcmp(got, want, wl) != 0 || got[gl] != '\0')
		return differ(w, "jt_str() gives %zu bytes \"%.60s\", jansson %zu \"%.60s\"", gl,
			      got != NULL ? got : "(null)", wl, want);
	if ((jt_nonempty(d, i) == NULL) != (wl == 0))
		return differ(w, "jt_nonempty()");
	if (!jt_str_eq(d, i, want, wl))
		return differ(w, "jt_str_eq() of its own value is false");
	char *other = malloc(wl + 2);
	if (other == NULL)
		return differ(w, "out of memory");
	memcpy(other, want, wl);
	other[wl] = 'x';
	int bad = jt_str_eq(d, i, other, wl + 1);
	if (wl > 0) {
		bad |= jt_str_eq(d, i, other, wl - 1);
		other[wl - 1] ^= 0x01;
		bad |= jt_str_eq(d, i, other, wl);
	}
	free(other);
	if (bad)
		return differ(w, "jt_str_eq() is true for a different string");
	return jtdiff_str(want, wl, w->why, w->whylen);
}

static int check_number(struct walk *w, uint32_t i, const json_t *v)
{
	struct jt_doc *d = w->d;
	if (json_is_integer(v)) {
		json_int_t want = json_integer_value(v);
		if (jt_int(d, i, 7) != want)
			return differ(w, "jt_int() = %lld, jansson %lld", (long long)jt_int(d, i, 7), (long long)want);
		if (jt_number(d, i) != (double)want)
			return differ(w, "jt_number() = %.17g, jansson %lld", jt_number(d, i), (long long)want);
		return 0;
	}
	double want = json_real_value(v), got = jt_number(d, i);
	if (memcmp(&want, &got, sizeof(got)) != 0)
		return differ(w, "jt_number() = %.17g, jansson %.17g", got, want);
	/* jtape.h: a real that is a whole number (within +-9e15) reads as an integer */
	int64_t wi = want == floor(want) && want >= -9.0e15 && want <= 9.0e15 ? (int64_t)want : 7;
	if (jt_int(d, i, 7) != wi)
		return differ(w, "jt_int() of a real = %lld, want %lld", (long long)jt_int(d, i, 7), (long long)wi);
	return 0;
}

/* jt_buf_node() of one value against json_dumps() of jansson's. */
static int check_write(struct walk *w, uint32_t i, const json_t *v, unsigned flags)
{
	size_t jflags = JSON_COMPACT | JSON_ENCODE_ANY | ((flags & JT_ASCII) ? JSON_ENSURE_ASCII : 0);
	char *want = json_dumps(v, jflags);
	jt_buf_reset(&w->b);
	jt_buf_node(&w->b, w->d, i, flags);
	int r = 0;
	if (want == NULL)
		r = differ(w, "json_dumps() failed");
	else if (w->b.oom || w->b.len != strlen(want) || memcmp(w->b.p, want, w->b.len) != 0)
		r = differ(w, "jt_buf_node(%s) wrote %.*s, jansson %.100s", (flags & JT_ASCII) ? "JT_ASCII" : "0",
			   (int)(w->b.len > 100 ? 100 : w->b.len), w->b.oom ? "(oom)" : w->b.p, want);
	free(want);
	return r;
}

static int walk(struct walk *w, uint32_t i, json_t *v)
{
	struct jt_doc *d = w->d;
	if (i == JT_NONE || i >= d->count)
		return differ(w, "no node where jansson has a value");
	w->map[i] = v;
	enum jt_type t = jt_type(d, i);
	if (t != type_of(v))
		return differ(w, "type %d, jansson's %d", (int)t, (int)json_typeof(v));
	int deep = d->count <= WALK_DEEP_MAX && w->plen <= WALK_PATH_MAX;
	if (deep && check_pointer(w, w->plen > 0 ? w->path : "") < 0)
		return -1;
	if (d->count <= WALK_WRITE_MAX && i != 0 && (check_write(w, i, v, JT_ASCII) < 0 || check_write(w, i, v, 0) < 0))
		return -1;
	size_t base = w->plen;
	switch (t) {
	case JT_NULL:
	case JT_TRUE:
	case JT_FALSE:
		return 0;
	case JT_INTEGER:
	case JT_REAL:
		return check_number(w, i, v);
	case JT_STRING:
		return check_string(w, i, v);
	case JT_ARRAY: {
		size_t n = json_array_size(v);
		if (d->n[i].len != n)
			return differ(w, "array of %u values, jansson's %zu", (unsigned)d->n[i].len, n);
		uint32_t c = i + 1;
		for (size_t k = 0; k < n; k++) {
			if (c >= d->n[i].end)
				return differ(w, "array ends after %zu values", k);
			if (path_push_index(w, k) < 0)
				return differ(w, "out of memory");
			if (walk(w, c, json_array_get(v, k)) < 0)
				return -1;
			w->plen = base;
			w->path[base] = '\0';
			c = d->n[c].end;
		}
		if (c != d->n[i].end)
			return differ(w, "array has values after jansson's %zu", n);
		break;
	}
	case JT_OBJECT: {
		const char *key;
		json_t *val;
		json_object_foreach(v, key, val)
		{
			uint32_t k = jt_get(d, i, key);
			if (k == JT_NONE)
				return differ(w, "jt_get(\"%.60s\") found nothing", key);
			if (path_push_key(w, key) < 0)
				return differ(w, "out of memory");
			if (walk(w, k, val) < 0)
				return -1;
			w->plen = base;
			if (w->path != NULL)
				w->path[base] = '\0';
		}
		/* and each key of the tape is one of jansson's */
		for (uint32_t k = i + 1; k < d->n[i].end; k = d->n[k + 1].end) {
			size_t kl;
			const char *ks = jt_type(d, k) == JT_STRING ? jt_str(d, k, &kl) : NULL;
			if (ks == NULL)
				return differ(w, "key node %u is not a string", (unsigned)k);
			if (json_object_get(v, ks) == NULL)
				return differ(w, "key \"%.60s\" unknown to jansson", ks);
		}
		if (jt_get(d, i, "\x01jtdiff") != JT_NONE && json_object_get(v, "\x01jtdiff") == NULL)
			return differ(w, "jt_get() of a missing key found something");
		break;
	}
	}
	if (deep && (t == JT_ARRAY || t == JT_OBJECT) && check_pointer_variants(w, v) < 0)
		return -1;
	return 0;
}

int jtdiff_str(const char *s, size_t len, char *why, size_t whylen)
{
	json_t *js = json_stringn(s != NULL ? s : "", len);
	if (js == NULL)
		return 0;
	struct jt_buf b = {NULL, 0, 0, 0};
	int r = 0;
	for (int ascii = 1; ascii >= 0 && r == 0; ascii--) {
		char *want = json_dumps(js, JSON_ENCODE_ANY | (ascii ? JSON_ENSURE_ASCII : 0));
		jt_buf_reset(&b);
		if (ascii)
			jt_buf_str(&b, s, len);
		else
			jt_buf_str_utf8(&b, s, len);
		if (want == NULL || b.oom || b.len != strlen(want) || memcmp(b.p, want, b.len) != 0) {
			snprintf(why, whylen, "jt_buf_str%s() of %zu bytes wrote %.*s, jansson %.100s",
				 ascii ? "" : "_utf8", len, (int)(b.len > 100 ? 100 : b.len), b.p != NULL ? b.p : "",
				 want != NULL ? want : "(failed)");
			r = -1;
		}
		free(want);
	}
	jt_buf_free(&b);
	json_decref(js);
	return r;
}

/* jtape reads its own output back to the same text. */
static int check_reread(struct walk *w, unsigned flags, unsigned wflags)
{
	struct jt_doc again = JT_DOC_INIT;
	struct jt_buf b2 = {NULL, 0, 0, 0};
	int r = 0;
	if (jt_parse(&again, w->b.p, w->b.len, flags) != 0) {
		r = differ(w, "jtape refuses its own output (%s at %zu)", again.err, again.err_pos);
	} else {
		jt_buf_node(&b2, &again, 0, wflags);
		if (b2.oom || b2.len != w->b.len || memcmp(b2.p, w->b.p, b2.len) != 0)
			r = differ(w, "rewriting jtape's output changes it");
	}
	jt_buf_free(&b2);
	jt_free(&again);
	return r;
}

int jtdiff_doc(struct jt_doc *d, const char *text, size_t len, unsigned flags, int *accepted, char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *v = json_loadb(text, len, (flags & JT_ANY) ? JSON_DECODE_ANY : 0, &jerr);
	int r = jt_parse(d, text, len, flags);
	if (accepted != NULL)
		*accepted = v != NULL;
	if ((r == 0) != (v != NULL)) {
		snprintf(why, whylen, "jtape: %s (at %zu); jansson: %s (at %d)", r == 0 ? "accepted" : d->err,
			 d->err_pos, v != NULL ? "accepted" : jerr.text, v != NULL ? -1 : jerr.position);
		json_decref(v);
		return -1;
	}
	if (r != 0) {
		if (r != -1 || d->count != 0 || d->err[0] == '\0') {
			snprintf(why, whylen, "a refused parse returned %d, left %u nodes, reason \"%s\"", r,
				 (unsigned)d->count, d->err);
			return -1;
		}
		return 0;
	}
	struct walk w = {d, v, NULL, NULL, 0, 0, {NULL, 0, 0, 0}, why, whylen};
	int res = 0;
	if (d->count == 0) {
		res = differ(&w, "an accepted parse left no nodes");
		goto out;
	}
	for (int ascii = 1; ascii >= 0 && res == 0; ascii--) {
		unsigned wf = ascii ? JT_ASCII : 0;
		res = check_write(&w, 0, v, wf);
		if (res == 0)
			res = check_reread(&w, flags, wf);
	}
	if (res != 0)
		goto out;
	w.map = calloc(d->count, sizeof(*w.map));
	if (w.map == NULL) {
		res = differ(&w, "out of memory");
		goto out;
	}
	res = walk(&w, 0, v);
out:
	free(w.map);
	free(w.path);
	jt_buf_free(&w.b);
	json_decref(v);
	return res;
}
