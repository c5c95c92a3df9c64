/*
 * collector.h: the collector interface and the wrappers the core calls.
 *
 * A collector type is a const struct collector_ops in its own file under
 * collectors/, registered in the table in daemon/registry.c.  A configured
 * [source NAME] is a struct collector: the ops, the source name and the
 * collector's private state.
 *
 * A collector never sees the database.  It reports what it collected through
 * collect_page() and collect_fact(), which stage evidence for the run; the
 * core commits the run when collect() returns 0, and discards everything the
 * run staged when it returns an error, when the run is cancelled, or when the
 * process dies.
 */
#ifndef ISMSD_COLLECTOR_H
#define ISMSD_COLLECTOR_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "config.h"

struct collector;
struct collect_ctx;
struct store;

struct collector_ops {
	const char *name;             /* the type= keyword and the file name */
	const char *default_schedule; /* a cadence, see sched.h */
	const struct config_key *keys; /* type-specific keys, NULL-name-terminated */
	/* Reads the section (already checked against keys) into c->priv.
	 * Returns 0, or -1 after adding messages to errs. */
	int (*configure)(struct collector *c, const struct config_section *s, struct config_errors *errs);
	/* Collects once.  Returns 0 on success, or -1 after collect_fail(). */
	int (*collect)(struct collector *c, struct collect_ctx *ctx);
	/* Parses body as one page of the vendor's main listing and stages its
	 * facts with page_id, through the same function a live run uses for a
	 * fetched page.  Touches no network.  Returns 0, or -1 after
	 * collect_fail().  NULL for types that fetch no pages (self).  Callers
	 * go through collector_normalize(). */
	int (*normalize)(struct collector *c, struct collect_ctx *ctx, const char *body, size_t len, int64_t page_id);
	/* Frees c->priv.  May be NULL. */
	void (*free)(struct collector *c);
};

struct collector {
	const struct collector_ops *ops;
	void *priv;
	char *name; /* the source name */
};

/* What a run gives the collector. */
struct collect_ctx {
	const char *source;
	time_t started;
	const struct config *config; /* read-only; valid for the whole run */
	const atomic_int *cancel;    /* non-zero when the daemon is stopping */
	/* private to collector.c */
	struct store *store;
	int64_t run_id;
	uint64_t facts;
	uint64_t max_facts; /* the source's max_facts; a run that passes it fails */
	uint64_t duplicates;
	uint64_t pages;
	char *cursor; /* set by collect_cursor_set(), committed with the run */
	int stage_failed; /* staged evidence was lost: the run must fail */
	char error[512];
};

/* ---- registry (daemon/registry.c) ------------------------------------------ */

/* The ops of a type, or NULL. */
const struct collector_ops *collector_ops_lookup(const char *type);
/* The type-specific keys of a type, for config_load()'s hooks, or NULL. */
const struct config_key *collector_type_keys(const char *type);
/* The NULL-terminated table of every type. */
const struct collector_ops *const *collector_types(void);

/* ---- wrappers (daemon/collector.c) ------------------------------------------ */

/* Makes a collector for a [source] section.  Returns NULL after adding
 * messages to errs. */
struct collector *collector_configure(const struct config_section *s, struct config_errors *errs);

/* Checks every [source] of cfg by configuring and freeing it. */
int collector_check_all(const struct config *cfg, struct config_errors *errs);

void collector_free(struct collector *c);

struct collector_result {
	int64_t run_id;
	const char *outcome; /* "success", "failed" or "interrupted" (static) */
	uint64_t facts, duplicates, pages;
	char error[512];
};

/*
 * Runs a collection as one atomic run in store st (a connection owned by the
 * calling thread) and logs its outcome.  Returns 0 when the run committed,
 * or a negative error with the reason in res->error.
 */
int collector_run(struct collector *c, struct store *st, const struct config *cfg, const atomic_int *cancel,
		  struct collector_result *res);

/*
 * Normalizes body as one page of c's main listing within the run of ctx:
 * stages it as a raw page (URL COLLECTOR_NORMALIZE_URL, status 200), calls
 * the type's normalize hook and ends the page with collect_flush(), as a
 * live run does with each page it fetches.  Returns 0, or -1 after
 * collect_fail() (also when the type has no normalizer).
 */
#define COLLECTOR_NORMALIZE_URL "normalize:"
int collector_normalize(struct collector *c, struct collect_ctx *ctx, const char *body, size_t len);

/*
 * As collector_run(), but the run normalizes the page body with
 * collector_normalize() instead of collecting: one atomic run, committed
 * when the page was normalized, rolled back (with the reason in res->error)
 * when it was not.  Needs no network; for tests and fuzzers.  Returns 0
 * when the run committed, or a negative error.
 */
int collector_run_page(struct collector *c, struct store *st, const struct config *cfg, const char *body, size_t len,
		       struct collector_result *res);

/* ---- for collectors ----------------------------------------------------------- */

/* Stages one raw response page.  url must be free of secrets.  *page_id
 * receives the page's evidence id for collect_fact(). */
int collect_page(struct collect_ctx *ctx, const char *url, long http_status, const void *body, size_t len,
		 int64_t *page_id);

/* Stages one normalized fact.  The JSON object is serialized canonically
 * (compact, sorted keys); the reference is not stolen. */
int collect_fact(struct collect_ctx *ctx, const char *kind, time_t observed, const char *ext_id, const json_t *fact,
		 int64_t page_id);

/* As collect_fact(), for events that may be collected twice (an
 * incremental run that overlaps the previous one): a fact with the same
 * observed time and ext_id already stored is skipped.  Returns 1 when it was
 * new, 0 when it was a duplicate, -1 on error (after collect_fail()). */
int collect_event(struct collect_ctx *ctx, const char *kind, time_t observed, const char *ext_id, const json_t *fact,
		  int64_t page_id);

/* As collect_event(), with the fact already written as canonical JSON
 * text (compact, sorted keys, ASCII; as collect_fact() writes a json_t):
 * for bulk collectors that write facts with jtape.h's writer. */
int collect_event_text(struct collect_ctx *ctx, const char *kind, time_t observed, const char *ext_id,
		       const char *json, size_t len, int64_t page_id);

/* The cursor the last successful run of this source left: *cursor is NULL
 * when there is none (the caller frees it).  Returns 0, or -1 after
 * collect_fail() when the store cannot be read. */
int collect_cursor_get(struct collect_ctx *ctx, char **cursor);

/*
 * The time range of an incremental run ending at end: from overlap before
 * the time the last run left as its cursor (epoch seconds), or lookback
 * before end on the first run; never more than max_range back.  *prev
 * receives the cursor's time (0 when none).  Returns 0, or -1 after
 * collect_fail().
 */
int collect_time_range(struct collect_ctx *ctx, time_t end, uint64_t lookback, uint64_t overlap, uint64_t max_range,
		       time_t *start, time_t *prev);
/* Leaves a cursor for the next run; it is stored only if this run commits. */
int collect_cursor_set(struct collect_ctx *ctx, const char *cursor);

/* Ends a page (call between pages): staged rows are written out when the
 * staging transaction is due (see store_run_pace()); a fast vendor's pages
 * are written a few hundred milliseconds' worth at a time. */
int collect_flush(struct collect_ctx *ctx);

/* The run is about to wait (on a vendor, a rate limit, a retry): ends the
 * staging transaction so that no lock is held meanwhile.  A failure is
 * recorded and fails the run.  Takes a struct collect_ctx *; the HTTP
 * client of collector_http_client() calls it (http_client_on_wait()). */
void collect_waiting(void *ctx);

/* Non-zero when the run must stop (the daemon is stopping). */
int collect_cancelled(const struct collect_ctx *ctx);

/* Records why the run failed (the first reason wins).  Returns -1. */
int collect_fail(struct collect_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
