/*
 * classify.h: which cloud audit events are findings.  The rules live in one
 * static table in daemon/classify.c, as data: a rule names a provider
 * ("aws", "azure", "gcp"), the category it gives and up to
 * CLASSIFY_MAX_CONDS conditions on the provider's raw event record (the
 * parsed CloudTrailEvent, the Azure EventData, the GCP LogEntry).  A rule
 * matches when all its conditions hold.
 *
 * A condition is a JSON pointer (RFC 6901), an operator and a value.  When
 * the pointer reaches a string while tokens are left, the string is parsed
 * as JSON and the rest of the pointer applies to it (Azure keeps request and
 * response bodies as JSON text in properties.requestbody/responseBody).
 */
#ifndef ISMSD_CLASSIFY_H
#define ISMSD_CLASSIFY_H

#include <stddef.h>

#include <jansson.h>

#include "jtape.h"

/* The categories (exact strings stored in audit.event facts). */
#define CLASSIFY_LOGGING_TAMPER "logging_tamper"
#define CLASSIFY_CONSOLE_LOGIN_NO_MFA "console_login_no_mfa"
#define CLASSIFY_ROOT_ACTIVITY "root_activity"
#define CLASSIFY_PRIVILEGE_GRANT "privilege_grant"
#define CLASSIFY_WORLD_OPEN_FIREWALL "world_open_firewall"

enum classify_op {
	CLASSIFY_EQ,	       /* the scalar equals value */
	CLASSIFY_EQ_CI,	       /* ... ignoring ASCII case */
	CLASSIFY_IN,	       /* the scalar is one of value's '|'-separated words */
	CLASSIFY_IN_CI,	       /* ... ignoring ASCII case */
	CLASSIFY_NE,	       /* absent, not a scalar, or not equal to value */
	CLASSIFY_EXISTS,       /* present and not null */
	CLASSIFY_ABSENT,       /* missing or null */
	CLASSIFY_ABSENT_OR_EQ, /* missing, null, or the scalar equals value */
	CLASSIFY_CONTAINS_ANY, /* the compact JSON text of the value contains one of
				* value's '|'-separated strings */
	CLASSIFY_SUFFIX,       /* the scalar ends with value */
	CLASSIFY_SUFFIX_CI,    /* ... ignoring ASCII case */
};

/* Scalars compare as text: strings as they are, integers in decimal, true
 * and false as words.  null, objects and arrays are not scalars. */
struct classify_cond {
	const char *pointer;
	enum classify_op op;
	const char *value;
};

#define CLASSIFY_MAX_CONDS 6

struct classify_rule {
	const char *id; /* short, unique, for tests and logs */
	const char *provider;
	const char *category;
	struct classify_cond conds[CLASSIFY_MAX_CONDS]; /* ends at the first NULL pointer */
};

/* The rule table and its length (static, never freed). */
const struct classify_rule *classify_rules(size_t *n);

/* At most this many categories (one per category string above). */
#define CLASSIFY_MAX_CATEGORIES 5
/* Levels of JSON-in-a-string a pointer may go through. */
#define CLASSIFY_NESTED 3

struct classify_nested {
	struct jt_doc doc;
	const struct jt_doc *parent; /* the string's document and node, or NULL */
	const char *parse_text;
	uint32_t node;
	int ok;
};

/* Scratch space for classify_tape(), reused from event to event by one
 * thread: zero it before the first use, classify_ctx_free() it after. */
struct classify_ctx {
	struct classify_nested nested[CLASSIFY_NESTED];
	struct jt_buf text;
};

void classify_ctx_free(struct classify_ctx *cc);

/*
 * The categories of every rule of provider that matches the record at node
 * record of d, each once, in rule-table order: out[0..n), static strings.
 * Returns n.  Nothing is allocated per call once cc has grown.
 */
size_t classify_tape(struct classify_ctx *cc, const char *provider, struct jt_doc *d, uint32_t record,
		     const char *out[CLASSIFY_MAX_CATEGORIES]);

/* Returns 1 when every condition of r holds for record, else 0. */
int classify_rule_matches(const struct classify_rule *r, const json_t *record);

/*
 * Appends to the array categories the category of every rule of provider
 * that matches record, each category once (one already in the array is not
 * added again).  Returns the number of categories appended, or -1 when
 * categories is not an array or memory runs out.
 */
int classify_event(const char *provider, const json_t *record, json_t *categories);

#endif
