/*
 * jtape.c: the tape JSON reader and the canonical JSON writer (see
 * jtape.h).  The parser is one loop with an explicit stack of open
 * containers; strings are validated (escapes, UTF-8) while they are
 * scanned and decoded later, only when somebody asks for them.
 */
#include "autoconfig.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jtape.h"

#define CHUNK_MIN 16384

struct jt_chunk {
	struct jt_chunk *next;
	size_t used, cap;
	char data[];
};

/* ---- the parser ----------------------------------------------------------- */

struct parser {
	struct jt_doc *d;
	const unsigned char *s;
	size_t len, pos;
	uint32_t *stack; /* indices of the open containers */
	uint32_t depth, stack_cap;
};

static int fail(struct parser *p, const char *why)
{
	snprintf(p->d->err, sizeof(p->d->err), "%s", why);
	p->d->err_pos = p->pos;
	return -1;
}

static int push_node(struct parser *p, enum jt_type t, size_t off, uint32_t *idx)
{
	struct jt_doc *d = p->d;
	if (d->count == d->cap) {
		uint32_t cap = d->cap ? d->cap * 2 : 256;
		if (cap <= d->cap)
			return fail(p, "document too large");
		struct jt_node *n = realloc(d->n, (size_t)cap * sizeof(*n));
		if (n == NULL)
			return fail(p, "out of memory");
		d->n = n;
		d->cap = cap;
	}
	if (off > UINT32_MAX)
		return fail(p, "document too large");
	struct jt_node *n = &d->n[d->count];
	n->type = (uint8_t)t;
	n->esc = 0;
	n->len = 0;
	n->end = d->count + 1;
	n->off = (uint32_t)off;
	*idx = d->count++;
	return 0;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		unsigned char c = p->s[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static int hex4(const unsigned char *h, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned c = h[i], x;
		if (c >= '0' && c <= '9')
			x = c - '0';
		else if (c >= 'a' && c <= 'f')
			x = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			x = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | x;
	}
	*out = v;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t need;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c < 0xC2 || c > 0xF4)
		return 0; /* continuation byte, overlong lead, or beyond U+10FFFF */
	if (c < 0xE0) {
		need = 2;
		cp = c & 0x1F;
	} else if (c < 0xF0) {
		need = 3;
		cp = c & 0x0F;
	} else {
		need = 4;
		cp = c & 0x07;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return need;
}

/* Scans the string whose opening quote is at p->pos into a node. */
static int scan_string(struct parser *p, uint32_t *idx)
{
	size_t start = ++p->pos;
	int esc = 0;
	const unsigned char *s = p->s;
	for (;;) {
		/* the common case: plain ASCII */
		while (p->pos < p->len) {
			unsigned char c = s[p->pos];
			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
				break;
			p->pos++;
		}
		if (p->pos >= p->len)
			return fail(p, "premature end of input in a string");
		unsigned char c = s[p->pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(p, "control character in a string");
		if (c >= 0x80) {
			size_t l = utf8_len(s + p->pos, p->len - p->pos);
			if (l == 0)
				return fail(p, "invalid UTF-8 in a string");
			p->pos += l;
			continue;
		}
		/* an escape */
		esc = 1;
		if (p->pos + 1 >= p->len)
			return fail(p, "premature end of input in a string");
		unsigned char e = s[p->pos + 1];
		if (e == 'u') {
			unsigned cp;
			if (p->pos + 6 > p->len || hex4(s + p->pos + 2, &cp) < 0)
				return fail(p, "invalid \\u escape");
			if (cp == 0)
				return fail(p, "\\u0000 is not allowed");
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return fail(p, "invalid Unicode surrogate");
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				unsigned lo;
				if (p->pos + 12 > p->len || s[p->pos + 6] != '\\' || s[p->pos + 7] != 'u' ||
				    hex4(s + p->pos + 8, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
					return fail(p, "invalid Unicode surrogate pair");
				p->pos += 12;
			} else {
				p->pos += 6;
			}
		} else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
			   e == 't') {
			p->pos += 2;
		} else {
			return fail(p, "invalid escape");
		}
	}
	size_t n = p->pos - start;
	p->pos++; /* the closing quote */
	if (n > UINT32_MAX)
		return fail(p, "string too long");
	if (push_node(p, JT_STRING, start, idx) < 0)
		return -1;
	p->d->n[*idx].len = (uint32_t)n;
	p->d->n[*idx].esc = (uint8_t)esc;
	return 0;
}

/* jansson drops one NUL byte right after a number or a word: it reads a
 * byte ahead to find where the token ends and puts it back, and its stream
 * takes a NUL in its one-byte buffer for "read the next byte".  So "[1\0]"
 * is [1] to json_loadb(), and to us; "[1\0\0]" and "[\"a\"\0]" are not. */
static void skip_nul(struct parser *p)
{
	if (p->pos < p->len && p->s[p->pos] == '\0')
		p->pos++;
}

static int scan_number(struct parser *p, uint32_t *idx)
{
	const unsigned char *s = p->s;
	size_t start = p->pos, i = p->pos;
	int real = 0;
	if (i < p->len && s[i] == '-')
		i++;
	if (i >= p->len || s[i] < '0' || s[i] > '9')
		return fail(p, "invalid number");
	if (s[i] == '0') {
		i++;
		if (i < p->len && s[i] >= '0' && s[i] <= '9')
			return fail(p, "invalid number (leading zero)");
	} else {
		while (i < p->len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < p->len && s[i] == '.') {
		real = 1;
		i++;
		if (i >= p->len || s[i] < '0' || s[i] > '9')
			return fail(p, "invalid number");
		while (i < p->len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
		real = 1;
		i++;
		if (i < p->len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= p->len || s[i] < '0' || s[i] > '9')
			return fail(p, "invalid number");
		while (i < p->len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	size_t n = i - start;
	/* the same range checks as jansson: int64 integers, finite reals */
	char buf[64], *heap = NULL, *text = buf;
	if (n >= sizeof(buf)) {
		heap = malloc(n + 1);
		if (heap == NULL)
			return fail(p, "out of memory");
		text = heap;
	}
	memcpy(text, s + start, n);
	text[n] = '\0';
	errno = 0;
	int bad = 0;
	const char *why = "real number overflow"; /* jansson's words */
	if (!real) {
		long long v = strtoll(text, NULL, 10);
		bad = errno == ERANGE;
		why = v < 0 ? "too big negative integer" : "too big integer";
	} else {
		double v = strtod(text, NULL);
		bad = errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL);
	}
	free(heap);
	if (bad)
		return fail(p, why);
	if (push_node(p, real ? JT_REAL : JT_INTEGER, start, idx) < 0)
		return -1;
	p->d->n[*idx].len = (uint32_t)n;
	p->pos = i;
	skip_nul(p);
	return 0;
}

static int scan_word(struct parser *p, const char *w, size_t wl, enum jt_type t, uint32_t *idx)
{
	if (p->len - p->pos < wl || memcmp(p->s + p->pos, w, wl) != 0)
		return fail(p, "invalid token");
	if (push_node(p, t, p->pos, idx) < 0)
		return -1;
	p->d->n[*idx].len = (uint32_t)wl;
	p->pos += wl;
	skip_nul(p);
	return 0;
}

static int open_container(struct parser *p, enum jt_type t)
{
	if (p->depth == p->stack_cap) {
		uint32_t cap = p->stack_cap ? p->stack_cap * 2 : 32;
		uint32_t *st = realloc(p->stack, cap * sizeof(*st));
		if (st == NULL)
			return fail(p, "out of memory");
		p->stack = st;
		p->stack_cap = cap;
	}
	uint32_t idx;
	if (push_node(p, t, p->pos, &idx) < 0)
		return -1;
	p->stack[p->depth++] = idx;
	p->pos++;
	return 0;
}

/* Parses one value (of any kind) at p->pos; containers are left open on
 * the stack. */
static int scan_value(struct parser *p)
{
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "premature end of input");
	/* jansson counts every value, scalars too, against the limit */
	if (p->depth >= JT_MAX_DEPTH)
		return fail(p, "maximum parsing depth reached");
	uint32_t idx;
	switch (p->s[p->pos]) {
	case '{':
		return open_container(p, JT_OBJECT);
	case '[':
		return open_container(p, JT_ARRAY);
	case '"':
		return scan_string(p, &idx);
	case 't':
		return scan_word(p, "true", 4, JT_TRUE, &idx);
	case 'f':
		return scan_word(p, "false", 5, JT_FALSE, &idx);
	case 'n':
		return scan_word(p, "null", 4, JT_NULL, &idx);
	default:
		return scan_number(p, &idx);
	}
}

static void reset_chunks(struct jt_doc *d)
{
	/* keep the first (largest, newest) chunk, free the rest */
	struct jt_chunk *c = d->chunks;
	if (c == NULL)
		return;
	struct jt_chunk *rest = c->next;
	c->next = NULL;
	c->used = 0;
	while (rest != NULL) {
		struct jt_chunk *nx = rest->next;
		free(rest);
		rest = nx;
	}
}

int jt_parse(struct jt_doc *d, const char *text, size_t len, unsigned flags)
{
	struct parser p = { d, (const unsigned char *)text, len, 0, NULL, 0, 0 };
	d->text = text;
	d->len = len;
	d->count = 0;
	d->err[0] = '\0';
	d->err_pos = 0;
	reset_chunks(d);
	int r = -1;
	skip_ws(&p);
	if (p.pos >= len) {
		fail(&p, "'[' or '{' expected near end of file");
		goto out;
	}
	if (!(flags & JT_ANY) && p.s[p.pos] != '{' && p.s[p.pos] != '[') {
		fail(&p, "'[' or '{' expected");
		goto out;
	}
	if (scan_value(&p) < 0)
		goto out;
	while (p.depth > 0) {
		uint32_t top = p.stack[p.depth - 1];
		struct jt_node *c = &d->n[top];
		skip_ws(&p);
		if (p.pos >= len) {
			fail(&p, "premature end of input");
			goto out;
		}
		unsigned char ch = p.s[p.pos];
		int is_obj = c->type == JT_OBJECT;
		if (ch == (is_obj ? '}' : ']')) {
			/* nodes may have moved: index again */
			d->n[top].end = d->count;
			p.pos++;
			p.depth--;
			continue;
		}
		if (c->len > 0) {
			if (ch != ',') {
				fail(&p, is_obj ? "'}' or ',' expected" : "']' or ',' expected");
				goto out;
			}
			p.pos++;
			skip_ws(&p);
			if (p.pos >= len) {
				fail(&p, "premature end of input");
				goto out;
			}
			ch = p.s[p.pos];
		}
		if (c->len == UINT32_MAX) {
			fail(&p, "container too large");
			goto out;
		}
		c->len++;
		if (is_obj) {
			uint32_t key;
			if (ch != '"') {
				fail(&p, "string or '}' expected");
				goto out;
			}
			if (scan_string(&p, &key) < 0)
				goto out;
			skip_ws(&p);
			if (p.pos >= len || p.s[p.pos] != ':') {
				fail(&p, "':' expected");
				goto out;
			}
			p.pos++;
		}
		if (scan_value(&p) < 0)
			goto out;
	}
	skip_ws(&p);
	if (p.pos != len) {
		fail(&p, "end of file expected");
		goto out;
	}
	r = 0;
out:
	free(p.stack);
	if (r < 0)
		d->count = 0;
	return r;
}

void jt_free(struct jt_doc *d)
{
	free(d->n);
	struct jt_chunk *c = d->chunks;
	while (c != NULL) {
		struct jt_chunk *nx = c->next;
		free(c);
		c = nx;
	}
	d->n = NULL;
	d->chunks = NULL;
	d->count = d->cap = 0;
}

/* ---- access -------------------------------------------------------------- */

static char *chunk_alloc(struct jt_doc *d, size_t n)
{
	struct jt_chunk *c = d->chunks;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
		if (c != NULL && c->cap * 2 > cap)
			cap = c->cap * 2;
		struct jt_chunk *nc = malloc(sizeof(*nc) + cap);
		if (nc == NULL)
			return NULL;
		nc->used = 0;
		nc->cap = cap;
		nc->next = c;
		d->chunks = nc;
		c = nc;
	}
	char *r = c->data + c->used;
	c->used += n;
	return r;
}

static void put_utf8(char **o, unsigned cp)
{
	unsigned char *u = (unsigned char *)*o;
	if (cp < 0x80) {
		*u++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*u++ = (unsigned char)(0xC0 | cp >> 6);
		*u++ = (unsigned char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*u++ = (unsigned char)(0xE0 | cp >> 12);
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		*u++ = (unsigned char)(0x80 | (cp & 0x3F));
	} else {
		*u++ = (unsigned char)(0xF0 | cp >> 18);
		*u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		*u++ = (unsigned char)(0x80 | (cp & 0x3F));
	}
	*o = (char *)u;
}

/* Decodes the escape at s (in a validated string body) into *o, which has
 * room for 4 bytes, and advances *o; returns the escape's length in s. */
static size_t decode_esc(const char *s, char **o)
{
	switch (s[1]) {
	case 'b': *(*o)++ = '\b'; return 2;
	case 'f': *(*o)++ = '\f'; return 2;
	case 'n': *(*o)++ = '\n'; return 2;
	case 'r': *(*o)++ = '\r'; return 2;
	case 't': *(*o)++ = '\t'; return 2;
	case 'u': {
		unsigned cp, lo;
		hex4((const unsigned char *)s + 2, &cp);
		if (cp < 0xD800 || cp > 0xDBFF) {
			put_utf8(o, cp);
			return 6;
		}
		hex4((const unsigned char *)s + 8, &lo);
		put_utf8(o, 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00));
		return 12;
	}
	default: *(*o)++ = s[1]; return 2; /* " \ / */
	}
}

/* Decodes a validated string body (escapes resolved) into out, which has
 * room for n + 1 bytes; returns the decoded length. */
static size_t decode(const char *s, size_t n, char *out)
{
	char *o = out;
	size_t i = 0;
	while (i < n) {
		if (s[i] != '\\')
			*o++ = s[i++];
		else
			i += decode_esc(s + i, &o);
	}
	*o = '\0';
	return (size_t)(o - out);
}

/* Whether the validated string body s (n bytes, with escapes) decodes to
 * t (tl bytes), without decoding it into memory. */
static int decoded_eq(const char *s, size_t n, const char *t, size_t tl)
{
	size_t i = 0, j = 0;
	while (i < n) {
		if (s[i] != '\\') {
			if (j == tl || s[i] != t[j])
				return 0;
			i++;
			j++;
			continue;
		}
		char u[4], *o = u;
		i += decode_esc(s + i, &o);
		size_t ul = (size_t)(o - u);
		if (tl - j < ul || memcmp(u, t + j, ul) != 0)
			return 0;
		j += ul;
	}
	return j == tl;
}

const char *jt_str(struct jt_doc *d, uint32_t i, size_t *len)
{
	if (i == JT_NONE || i >= d->count || d->n[i].type != JT_STRING)
		return NULL;
	const struct jt_node *n = &d->n[i];
	char *out = chunk_alloc(d, (size_t)n->len + 1);
	if (out == NULL)
		return NULL;
	size_t l;
	if (!n->esc) {
		memcpy(out, d->text + n->off, n->len);
		out[n->len] = '\0';
		l = n->len;
	} else {
		l = decode(d->text + n->off, n->len, out);
	}
	if (len != NULL)
		*len = l;
	return out;
}

const char *jt_nonempty(struct jt_doc *d, uint32_t i)
{
	size_t l = 0;
	const char *s = jt_str(d, i, &l);
	return s != NULL && l > 0 ? s : NULL;
}

/* Compares an unescaped or escaped string node with s without allocating:
 * the writer and jt_get() call it for every pair of keys. */
int jt_str_eq(struct jt_doc *d, uint32_t i, const char *s, size_t len)
{
	if (i == JT_NONE || i >= d->count || d->n[i].type != JT_STRING)
		return 0;
	const struct jt_node *n = &d->n[i];
	if (!n->esc)
		return n->len == len && memcmp(d->text + n->off, s, len) == 0;
	if (n->len < len)
		return 0; /* decoding never makes a string longer */
	return decoded_eq(d->text + n->off, n->len, s, len);
}

uint32_t jt_get(const struct jt_doc *d, uint32_t obj, const char *key)
{
	if (obj == JT_NONE || obj >= d->count || d->n[obj].type != JT_OBJECT)
		return JT_NONE;
	size_t kl = strlen(key);
	uint32_t found = JT_NONE;
	uint32_t end = d->n[obj].end;
	for (uint32_t k = obj + 1; k < end; k = d->n[k + 1].end) {
		const struct jt_node *n = &d->n[k];
		int eq;
		if (!n->esc)
			eq = n->len == kl && memcmp(d->text + n->off, key, kl) == 0;
		else
			eq = jt_str_eq((struct jt_doc *)d, k, key, kl);
		if (eq)
			found = k + 1;
	}
	return found;
}

/* The text of number node n, NUL-terminated: in buf when it fits, else
 * malloc'd into *heap for the caller to free (a real's text has no length
 * limit).  NULL when memory ran out. */
static const char *num_text(const struct jt_doc *d, const struct jt_node *n, char *buf, size_t size, char **heap)
{
	char *t = buf;
	*heap = NULL;
	if (n->len >= size) {
		t = malloc((size_t)n->len + 1);
		if (t == NULL)
			return NULL;
		*heap = t;
	}
	memcpy(t, d->text + n->off, n->len);
	t[n->len] = '\0';
	return t;
}

int64_t jt_int(const struct jt_doc *d, uint32_t i, int64_t def)
{
	if (i == JT_NONE || i >= d->count)
		return def;
	const struct jt_node *n = &d->n[i];
	if (n->type != JT_INTEGER && n->type != JT_REAL)
		return def;
	char buf[64], *heap;
	const char *t = num_text(d, n, buf, sizeof(buf), &heap);
	if (t == NULL)
		return def;
	int64_t r = def;
	if (n->type == JT_INTEGER) {
		r = strtoll(t, NULL, 10);
	} else {
		double v = strtod(t, NULL);
		if (v == floor(v) && v >= -9.0e15 && v <= 9.0e15)
			r = (int64_t)v;
	}
	free(heap);
	return r;
}

double jt_number(const struct jt_doc *d, uint32_t i)
{
	if (i == JT_NONE || i >= d->count)
		return 0;
	const struct jt_node *n = &d->n[i];
	if (n->type != JT_INTEGER && n->type != JT_REAL)
		return 0;
	char buf[64], *heap;
	const char *t = num_text(d, n, buf, sizeof(buf), &heap);
	if (t == NULL)
		return 0;
	double v = n->type == JT_INTEGER ? (double)strtoll(t, NULL, 10) : strtod(t, NULL);
	free(heap);
	return v;
}

int jt_pointer_token(const char **ptr, char *tok, size_t cap, size_t *len)
{
	const char *p = *ptr;
	if (*p != '/' || cap == 0)
		return -1;
	p++;
	size_t n = 0;
	while (*p && *p != '/' && n + 1 < cap) {
		if (p[0] == '~' && (p[1] == '0' || p[1] == '1')) {
			tok[n++] = p[1] == '1' ? '/' : '~';
			p += 2;
		} else {
			tok[n++] = *p++;
		}
	}
	if (*p && *p != '/')
		return -1; /* token too long */
	tok[n] = '\0';
	*len = n;
	*ptr = p;
	return 0;
}

uint32_t jt_child(const struct jt_doc *d, uint32_t cur, const char *tok, size_t n)
{
	if (jt_type(d, cur) == JT_OBJECT)
		return jt_get(d, cur, tok);
	if (jt_type(d, cur) != JT_ARRAY)
		return JT_NONE;
	char *end = NULL;
	unsigned long want = strtoul(tok, &end, 10);
	if (n == 0 || *end != '\0' || (n > 1 && tok[0] == '0') || tok[0] == '-' || tok[0] == '+' ||
	    want >= d->n[cur].len)
		return JT_NONE;
	uint32_t c = cur + 1;
	for (unsigned long k = 0; k < want; k++)
		c = d->n[c].end;
	return c;
}

uint32_t jt_pointer(struct jt_doc *d, uint32_t root, const char *ptr)
{
	if (ptr == NULL)
		return root;
	uint32_t cur = root;
	char tok[512];
	size_t n;
	while (cur != JT_NONE && *ptr != '\0') {
		if (jt_pointer_token(&ptr, tok, sizeof(tok), &n) < 0)
			return JT_NONE;
		cur = jt_child(d, cur, tok, n);
	}
	return cur;
}

/* ---- the writer ------------------------------------------------------------ */

static int reserve(struct jt_buf *b, size_t n)
{
	if (b->oom)
		return -1;
	if (b->cap - b->len >= n)
		return 0;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->oom = 1;
			return -1;
		}
		cap *= 2;
	}
	char *p = realloc(b->p, cap);
	if (p == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void jt_buf_raw(struct jt_buf *b, const char *s, size_t len)
{
	if (reserve(b, len + 1) < 0)
		return;
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

static const char hexdig[] = "0123456789ABCDEF";

static char *put_u(char *o, unsigned v)
{
	*o++ = '\\';
	*o++ = 'u';
	*o++ = hexdig[(v >> 12) & 0xF];
	*o++ = hexdig[(v >> 8) & 0xF];
	*o++ = hexdig[(v >> 4) & 0xF];
	*o++ = hexdig[v & 0xF];
	return o;
}

static void buf_str(struct jt_buf *b, const char *s, size_t len, int ascii)
{
	/* worst case: every byte of a 4-byte sequence becomes 3 bytes of a
	 * surrogate pair (12 per 4), every control 6: 6 per byte */
	if (len > (SIZE_MAX - 3) / 6 || reserve(b, len * 6 + 3) < 0) {
		b->oom = 1;
		return;
	}
	char *o = b->p + b->len;
	const unsigned char *u = (const unsigned char *)s;
	*o++ = '"';
	size_t i = 0;
	while (i < len) {
		unsigned c = u[i];
		if (c >= 0x20 && c != '"' && c != '\\' && (c < 0x80 || !ascii)) {
			*o++ = (char)c;
			i++;
			continue;
		}
		if (c < 0x80) {
			*o++ = '\\';
			switch (c) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '\b': *o++ = 'b'; break;
			case '\f': *o++ = 'f'; break;
			case '\n': *o++ = 'n'; break;
			case '\r': *o++ = 'r'; break;
			case '\t': *o++ = 't'; break;
			default:
				o = put_u(o - 1, c);
				break;
			}
			i++;
			continue;
		}
		/* a valid multi-byte sequence (the input is validated UTF-8) */
		size_t l = utf8_len(u + i, len - i);
		if (l == 0) {
			l = 1; /* not UTF-8: written as U+FFFD rather than invalid JSON */
			o = put_u(o, 0xFFFD);
			i += l;
			continue;
		}
		unsigned cp = c & (l == 2 ? 0x1F : l == 3 ? 0x0F : 0x07);
		for (size_t k = 1; k < l; k++)
			cp = cp << 6 | (u[i + k] & 0x3F);
		if (cp < 0x10000) {
			o = put_u(o, cp);
		} else {
			cp -= 0x10000;
			o = put_u(o, 0xD800 | (cp >> 10));
			o = put_u(o, 0xDC00 | (cp & 0x3FF));
		}
		i += l;
	}
	*o++ = '"';
	*o = '\0';
	b->len = (size_t)(o - b->p);
}

void jt_buf_str(struct jt_buf *b, const char *s, size_t len)
{
	buf_str(b, s, len, 1);
}

void jt_buf_str_utf8(struct jt_buf *b, const char *s, size_t len)
{
	buf_str(b, s, len, 0);
}

void jt_buf_str_or_null(struct jt_buf *b, const char *s)
{
	if (s == NULL)
		jt_buf_raw(b, "null", 4);
	else
		jt_buf_str(b, s, strlen(s));
}

static void buf_key_str(struct jt_buf *b, struct jt_doc *d, uint32_t i, unsigned flags)
{
	size_t l;
	const char *s = jt_str(d, i, &l);
	if (s == NULL) {
		b->oom = 1;
		return;
	}
	buf_str(b, s, l, flags & JT_ASCII);
}

/* A real as jansson writes it (jsonp_dtostr()): "%.17g", with ".0" added
 * when the text would read as an integer, and the exponent trimmed. */
static void buf_real(struct jt_buf *b, double v)
{
	char tmp[40];
	int n = snprintf(tmp, sizeof(tmp), "%.17g", v);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->oom = 1;
		return;
	}
	if (strspn(tmp, "0123456789-") == (size_t)n) {
		tmp[n++] = '.';
		tmp[n++] = '0';
		tmp[n] = '\0';
	}
	/* and, as jansson, an exponent without '+' or leading zeros: "1e+100"
	 * is written 1e100, "1e-05" 1e-5 */
	char *e = memchr(tmp, 'e', (size_t)n);
	if (e != NULL) {
		char *to = e + 1;
		if (*to == '-')
			to++;
		char *from = e + 2;
		while (*from == '0')
			from++;
		memmove(to, from, (size_t)(tmp + n - from) + 1);
		n -= (int)(from - to);
	}
	jt_buf_raw(b, tmp, (size_t)n);
}

void jt_buf_node(struct jt_buf *b, struct jt_doc *d, uint32_t i, unsigned flags)
{
	if (i == JT_NONE || i >= d->count) {
		b->oom = 1;
		return;
	}
	const struct jt_node *n = &d->n[i];
	switch ((enum jt_type)n->type) {
	case JT_NULL: jt_buf_raw(b, "null", 4); return;
	case JT_TRUE: jt_buf_raw(b, "true", 4); return;
	case JT_FALSE: jt_buf_raw(b, "false", 5); return;
	case JT_INTEGER: {
		char tmp[32];
		int l = snprintf(tmp, sizeof(tmp), "%lld", (long long)jt_int(d, i, 0));
		jt_buf_raw(b, tmp, (size_t)l);
		return;
	}
	case JT_REAL: buf_real(b, jt_number(d, i)); return;
	case JT_STRING: buf_key_str(b, d, i, flags); return;
	case JT_ARRAY: {
		jt_buf_raw(b, "[", 1);
		int first = 1;
		for (uint32_t c = i + 1; c < n->end; c = d->n[c].end) {
			if (!first)
				jt_buf_raw(b, ",", 1);
			first = 0;
			jt_buf_node(b, d, c, flags);
		}
		jt_buf_raw(b, "]", 1);
		return;
	}
	case JT_OBJECT: {
		/* jansson keeps a key where it first appeared, with its last value */
		jt_buf_raw(b, "{", 1);
		int first = 1;
		for (uint32_t k = i + 1; k < n->end; k = d->n[k + 1].end) {
			size_t kl;
			const char *key = jt_str(d, k, &kl);
			if (key == NULL) {
				b->oom = 1;
				return;
			}
			int seen = 0;
			for (uint32_t e = i + 1; e < k && !seen; e = d->n[e + 1].end)
				seen = jt_str_eq(d, e, key, kl);
			if (seen)
				continue;
			uint32_t v = k + 1;
			for (uint32_t e = d->n[k + 1].end; e < n->end; e = d->n[e + 1].end)
				if (jt_str_eq(d, e, key, kl))
					v = e + 1;
			if (!first)
				jt_buf_raw(b, ",", 1);
			first = 0;
			buf_str(b, key, kl, flags & JT_ASCII);
			jt_buf_raw(b, ":", 1);
			jt_buf_node(b, d, v, flags);
		}
		jt_buf_raw(b, "}", 1);
		return;
	}
	}
}

void jt_buf_free(struct jt_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}
