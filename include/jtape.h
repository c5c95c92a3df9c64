/*
 * jtape.h: a fast, validating JSON reader for bulk pages, and a writer of
 * canonical JSON text.
 *
 * jansson builds a DOM of separately allocated values with hashed objects;
 * for audit-log pages of thousands of events that is most of a run's CPU
 * time.  jtape parses a document into a flat array of nodes ("the tape")
 * that point into the caller's text: no allocation per value, strings are
 * decoded only when asked for.  It accepts and rejects the same documents
 * as jansson's json_loadb() with flags 0 (strict RFC 8259, valid UTF-8, no
 * \u0000, integers within int64, finite reals, depth at most 2048), and a
 * duplicate key means its last value, as in jansson.  jansson stays the
 * parser for everything but the bulk pages.
 *
 * A node is named by its index in the tape; the root is index 0 and
 * JT_NONE means "no such node".  The children of a container follow it:
 * an array's values one after the other, an object's keys and values in
 * turn.  node.end is the index just past a node's subtree, so a sibling is
 * found without walking the subtree.
 *
 * A struct jt_doc owns its tape and its decoded strings, and is reused
 * from page to page: jt_parse() starts again without freeing.  The text
 * passed to jt_parse() must outlive the use of the tape.
 */
#ifndef ISMSD_JTAPE_H
#define ISMSD_JTAPE_H

#include <stddef.h>
#include <stdint.h>

enum jt_type { JT_NULL, JT_FALSE, JT_TRUE, JT_INTEGER, JT_REAL, JT_STRING, JT_ARRAY, JT_OBJECT };

#define JT_NONE UINT32_MAX
#define JT_MAX_DEPTH 2048

struct jt_node {
	uint8_t type;  /* enum jt_type */
	uint8_t esc;   /* JT_STRING: the text holds escapes */
	uint32_t len;  /* strings: raw byte length between the quotes; numbers: the text's length;
			  containers: their number of values (arrays) or keys (objects) */
	uint32_t end;  /* one past the last node of this subtree */
	uint32_t off;  /* byte offset of the value's text (strings: after the quote) */
};

struct jt_chunk;

struct jt_doc {
	const char *text;
	size_t len;
	struct jt_node *n;
	uint32_t count, cap;
	struct jt_chunk *chunks; /* decoded strings; never moved until the next parse */
	char err[96];		 /* why the last parse failed */
	size_t err_pos;		 /* and at which byte */
};

#define JT_DOC_INIT { NULL, 0, NULL, 0, 0, NULL, "", 0 }

/* Flags of jt_parse(). */
#define JT_ANY 0x1u /* the root may be any value (jansson's JSON_DECODE_ANY) */

/* Parses text[0..len) into d.  Returns 0, or -1 with the reason in d->err
 * and d->err_pos (or -1 with "out of memory"). */
int jt_parse(struct jt_doc *d, const char *text, size_t len, unsigned flags);

/* Frees what d holds; d can be parsed into again. */
void jt_free(struct jt_doc *d);

/* The type of node i; JT_NONE (a missing value) reads as JT_NULL. */
static inline enum jt_type jt_type(const struct jt_doc *d, uint32_t i)
{
	return i < d->count ? (enum jt_type)d->n[i].type : JT_NULL;
}

/* The value of key in object obj, or JT_NONE (obj JT_NONE or not an
 * object, key missing).  A key given twice yields its last value. */
uint32_t jt_get(const struct jt_doc *d, uint32_t obj, const char *key);

/* The string of node i, decoded (escapes resolved): a pointer to *len
 * bytes, NUL-terminated, valid until the next jt_parse() or jt_free().
 * NULL when i is JT_NONE or not a string (or memory ran out). */
const char *jt_str(struct jt_doc *d, uint32_t i, size_t *len);

/* As jt_str(), but returns NULL for an empty string too. */
const char *jt_nonempty(struct jt_doc *d, uint32_t i);

/* Non-zero when node i is a string equal to s (len bytes), decoded. */
int jt_str_eq(struct jt_doc *d, uint32_t i, const char *s, size_t len);

/* The value of an integer node (JT_INTEGER), or of a real that is a whole
 * number; def otherwise. */
int64_t jt_int(const struct jt_doc *d, uint32_t i, int64_t def);

/* The value of a number node as a double; 0 for anything else. */
double jt_number(const struct jt_doc *d, uint32_t i);

/* The node an RFC 6901 JSON pointer names under root, or JT_NONE. */
uint32_t jt_pointer(struct jt_doc *d, uint32_t root, const char *ptr);

/* Reads the reference token at *ptr (which must start with '/') into tok
 * (cap bytes, ~0 and ~1 resolved) and advances *ptr past it; *len gets its
 * length.  Returns 0, or -1 (no '/', or a token longer than cap - 1). */
int jt_pointer_token(const char **ptr, char *tok, size_t cap, size_t *len);

/* The member tok of object cur, or the element at the decimal index tok
 * (n bytes, no leading zeros) of array cur; JT_NONE otherwise. */
uint32_t jt_child(const struct jt_doc *d, uint32_t cur, const char *tok, size_t n);

/* ---- canonical JSON text ------------------------------------------------- */

/* A growable output buffer.  Its error flag is sticky: after a failed
 * allocation every call does nothing and jt_buf_take() returns NULL. */
struct jt_buf {
	char *p;
	size_t len, cap;
	int oom;
};

void jt_buf_raw(struct jt_buf *b, const char *s, size_t len);
/* A JSON string of s (len bytes of valid UTF-8), escaped as jansson's
 * json_dumps() does with JSON_ENSURE_ASCII: \" \\ \b \f \n \r \t, other
 * controls and every non-ASCII code point as \uXXXX (upper-case hex,
 * surrogate pairs beyond the BMP). */
void jt_buf_str(struct jt_buf *b, const char *s, size_t len);
/* As jt_buf_str() without JT_ASCII: non-ASCII stays UTF-8. */
void jt_buf_str_utf8(struct jt_buf *b, const char *s, size_t len);
/* As jt_buf_str(), or null when s is NULL. */
void jt_buf_str_or_null(struct jt_buf *b, const char *s);
/* Flags of jt_buf_node(). */
#define JT_ASCII 0x1u /* escape non-ASCII (JSON_ENSURE_ASCII) */
/* Appends node i of d as compact JSON text in the form json_dumps() with
 * JSON_COMPACT (| JSON_ENSURE_ASCII with JT_ASCII) writes it: key order
 * preserved, a duplicate key where it first appeared with its last value. */
void jt_buf_node(struct jt_buf *b, struct jt_doc *d, uint32_t i, unsigned flags);
/* Empties b (keeping its memory). */
static inline void jt_buf_reset(struct jt_buf *b)
{
	b->len = 0;
	b->oom = 0;
}
void jt_buf_free(struct jt_buf *b);

#endif
