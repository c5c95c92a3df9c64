/*
 * collector.c: the wrappers around collector ops: configuration, one atomic
 * run against the store, and the staging calls collectors report through.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector.h"
#include "log.h"
#include "store.h"
#include "util.h"

/* The default cap on the facts of one run (bounded work and store growth). */
#define COLLECT_MAX_FACTS 20000000ULL

struct collector *collector_configure(const struct config_section *s, struct config_errors *errs)
{
	const char *type = config_get(s, "type");
	const struct collector_ops *ops = type ? collector_ops_lookup(type) : NULL;
	if (ops == NULL) {
		config_errors_add(errs, s->file, s->line, "[source %s] key 'type': unknown source type '%s'", s->name,
				  type ? type : "");
		return NULL;
	}
	struct collector *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->name = strdup(s->name)) == NULL) {
		free(c);
		config_errors_add(errs, s->file, s->line, "out of memory");
		return NULL;
	}
	c->ops = ops;
	if (ops->configure != NULL && ops->configure(c, s, errs) < 0) {
		collector_free(c);
		return NULL;
	}
	return c;
}

int collector_check_all(const struct config *cfg, struct config_errors *errs)
{
	size_t before = errs->n;
	for (const struct config_section *s = config_next(cfg, "source", NULL); s != NULL;
	     s = config_next(cfg, "source", s))
		collector_free(collector_configure(s, errs));
	return errs->n == before ? 0 : -1;
}

void collector_free(struct collector *c)
{
	if (c == NULL)
		return;
	if (c->ops != NULL && c->ops->free != NULL)
		c->ops->free(c);
	free(c->name);
	free(c);
}

int collect_cancelled(const struct collect_ctx *ctx)
{
	return ctx->cancel != NULL && atomic_load(ctx->cancel) != 0;
}

int collect_fail(struct collect_ctx *ctx, const char *fmt, ...)
{
	if (ctx->error[0] != '\0')
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *store_reason(int r)
{
	switch (r) {
	case -ENOSPC:
		return "the evidence store is full (no space left on device)";
	case -EBUSY:
		return "the evidence store stayed locked";
	case -ENOMEM:
		return "out of memory";
	case -EBADMSG:
		return "the evidence store is corrupt";
	default:
		return "evidence store error";
	}
}

int collect_page(struct collect_ctx *ctx, const char *url, long http_status, const void *body, size_t len,
		 int64_t *page_id)
{
	if (ctx->stage_failed)
		return -1;
	int r = store_add_page(ctx->store, ctx->run_id, ctx->source, util_now(), url, http_status, body, len, page_id);
	if (r < 0)
		return collect_fail(ctx, "cannot store page: %s (%s)", store_reason(r), store_errmsg(ctx->store));
	ctx->pages++;
	return 0;
}

static int stage_text(struct collect_ctx *ctx, const char *kind, time_t observed, const char *ext_id, int dedup,
		      const char *json, size_t len, int64_t page_id)
{
	if (ctx->stage_failed)
		return -1;
	if (ctx->max_facts > 0 && ctx->facts >= ctx->max_facts)
		return collect_fail(ctx, "more than max_facts (%llu) facts in one run; nothing of it is kept",
				    (unsigned long long)ctx->max_facts);
	int r = store_add_fact(ctx->store, ctx->run_id, ctx->source, kind, ctx->started, observed, ext_id, dedup, json,
			       len, page_id, NULL);
	if (r < 0)
		return collect_fail(ctx, "cannot store fact: %s (%s)", store_reason(r), store_errmsg(ctx->store));
	if (r == 1) {
		ctx->duplicates++;
		return 0;
	}
	ctx->facts++;
	return 1;
}

static int stage_fact(struct collect_ctx *ctx, const char *kind, time_t observed, const char *ext_id, int dedup,
		      const json_t *fact, int64_t page_id)
{
	char *json = json_dumps(fact, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	if (json == NULL)
		return collect_fail(ctx, "cannot serialize a %s fact", kind);
	int r = stage_text(ctx, kind, observed, ext_id, dedup, json, strlen(json), page_id);
	free(json);
	return r;
}

int collect_fact(struct collect_ctx *ctx, const char *kind, time_t observed, const char *ext_id, const json_t *fact,
		 int64_t page_id)
{
	return stage_fact(ctx, kind, observed, ext_id, 0, fact, page_id) < 0 ? -1 : 0;
}

int collect_event(struct collect_ctx *ctx, const char *kind, time_t observed, const char *ext_id, const json_t *fact,
		  int64_t page_id)
{
	return stage_fact(ctx, kind, observed, ext_id, 1, fact, page_id);
}

int collect_event_text(struct collect_ctx *ctx, const char *kind, time_t observed, const char *ext_id,
		       const char *json, size_t len, int64_t page_id)
{
	return stage_text(ctx, kind, observed, ext_id, 1, json, len, page_id);
}

int collect_cursor_get(struct collect_ctx *ctx, char **cursor)
{
	*cursor = NULL;
	int r = store_last_cursor(ctx->store, ctx->source, cursor);
	if (r < 0)
		return collect_fail(ctx, "cannot read the last run's cursor: %s (%s)", store_reason(r),
				    store_errmsg(ctx->store));
	return 0;
}

int collect_time_range(struct collect_ctx *ctx, time_t end, uint64_t lookback, uint64_t overlap, uint64_t max_range,
		       time_t *start, time_t *prev)
{
	char *cur = NULL;
	*start = end - (time_t)lookback;
	*prev = 0;
	if (collect_cursor_get(ctx, &cur) < 0)
		return -1;
	if (cur != NULL) {
		char *e = NULL;
		long long v = strtoll(cur, &e, 10);
		if (e != cur && *e == '\0' && v > 0) {
			*prev = (time_t)v;
			*start = (time_t)v - (time_t)overlap;
		}
		free(cur);
	}
	if (*start < end - (time_t)max_range)
		*start = end - (time_t)max_range;
	if (*start > end)
		*start = end;
	return 0;
}

int collect_cursor_set(struct collect_ctx *ctx, const char *cursor)
{
	char *c = strdup(cursor);
	if (c == NULL)
		return collect_fail(ctx, "out of memory");
	free(ctx->cursor);
	ctx->cursor = c;
	return 0;
}

static int staged(struct collect_ctx *ctx, int r)
{
	if (r < 0) {
		ctx->stage_failed = 1;
		return collect_fail(ctx, "cannot write staged evidence: %s (%s)", store_reason(r),
				    store_errmsg(ctx->store));
	}
	return ctx->stage_failed ? -1 : 0;
}

int collect_flush(struct collect_ctx *ctx)
{
	return staged(ctx, store_run_pace(ctx->store));
}

void collect_waiting(void *arg)
{
	struct collect_ctx *ctx = arg;
	if (!ctx->stage_failed)
		staged(ctx, store_run_flush(ctx->store));
}

static double elapsed_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Starts a run of c: fills ctx and records the run.  Returns 0, or a
 * negative error with the reason in res->error (logged). */
static int run_begin(struct collector *c, struct store *st, const struct config *cfg, const atomic_int *cancel,
		     struct collect_ctx *ctx, struct collector_result *res)
{
	memset(res, 0, sizeof(*res));
	res->outcome = "failed";
	memset(ctx, 0, sizeof(*ctx));
	ctx->source = c->name;
	ctx->started = util_now();
	ctx->config = cfg;
	ctx->cancel = cancel;
	ctx->store = st;
	const struct config_section *sec = cfg ? config_find(cfg, "source", c->name) : NULL;
	ctx->max_facts = sec ? config_get_uint(sec, "max_facts", COLLECT_MAX_FACTS) : COLLECT_MAX_FACTS;
	int r = store_run_begin(st, c->name, c->ops->name, ctx->started, &ctx->run_id);
	if (r < 0) {
		snprintf(res->error, sizeof(res->error), "cannot record the run: %s (%s)", store_reason(r),
			 store_errmsg(st));
		log_event(LOG_EV_RUN_FAILED, LOG_ERR, c->name, "source %s: run failed: %s", c->name, res->error);
		return r;
	}
	res->run_id = ctx->run_id;
	log_debug("source %s: run %lld started", c->name, (long long)ctx->run_id);
	return 0;
}

/* Ends the run of ctx: commits it when cr is 0 and the daemon is not
 * stopping, aborts it otherwise, and logs the outcome. */
static int run_end(struct collector *c, struct collect_ctx *ctx, int cr, const struct timespec *t0,
		   struct collector_result *res)
{
	struct store *st = ctx->store;
	if (cr == 0 && collect_cancelled(ctx))
		cr = collect_fail(ctx, "cancelled: ismsd is stopping");
	if (cr == 0 && ctx->stage_failed)
		cr = -1; /* the reason is recorded */
	if (cr == 0) {
		int r = store_run_commit(st, ctx->run_id, util_now(), ctx->cursor);
		if (r < 0)
			cr = collect_fail(ctx, "cannot commit the run: %s (%s)", store_reason(r), store_errmsg(st));
	}
	res->facts = ctx->facts;
	res->duplicates = ctx->duplicates;
	res->pages = ctx->pages;
	free(ctx->cursor);
	ctx->cursor = NULL;
	if (cr == 0) {
		res->outcome = "success";
		log_event(LOG_EV_RUN_OK, LOG_INFO, c->name, "source %s: run %lld committed: %llu facts (%llu already stored), %llu pages in %.2fs",
			  c->name, (long long)ctx->run_id, (unsigned long long)ctx->facts,
			  (unsigned long long)ctx->duplicates, (unsigned long long)ctx->pages, elapsed_since(t0));
		return 0;
	}
	if (ctx->error[0] == '\0')
		snprintf(ctx->error, sizeof(ctx->error), "collector %s failed without a reason", c->ops->name);
	snprintf(res->error, sizeof(res->error), "%s", ctx->error);
	res->outcome = collect_cancelled(ctx) ? "interrupted" : "failed";
	int r = store_run_abort(st, ctx->run_id, util_now(), res->outcome, ctx->error);
	if (r < 0)
		log_event(LOG_EV_STORE_ERROR, LOG_ERR, c->name,
			  "source %s: run %lld: cannot record the failure: %s (%s); it is cleared at next start",
			  c->name, (long long)ctx->run_id, store_reason(r), store_errmsg(st));
	log_event(LOG_EV_RUN_FAILED, LOG_WARNING, c->name, "source %s: run %lld %s: %s", c->name,
		  (long long)ctx->run_id, res->outcome, ctx->error);
	return -EIO;
}

int collector_run(struct collector *c, struct store *st, const struct config *cfg, const atomic_int *cancel,
		  struct collector_result *res)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct collect_ctx ctx;
	int r = run_begin(c, st, cfg, cancel, &ctx, res);
	if (r < 0)
		return r;
	return run_end(c, &ctx, c->ops->collect(c, &ctx), &t0, res);
}

int collector_normalize(struct collector *c, struct collect_ctx *ctx, const char *body, size_t len)
{
	if (c->ops->normalize == NULL)
		return collect_fail(ctx, "collector %s has no page normalizer", c->ops->name);
	int64_t page_id = 0;
	if (collect_page(ctx, COLLECTOR_NORMALIZE_URL, 200, body, len, &page_id) < 0 ||
	    c->ops->normalize(c, ctx, body, len, page_id) < 0)
		return -1;
	return collect_flush(ctx);
}

int collector_run_page(struct collector *c, struct store *st, const struct config *cfg, const char *body, size_t len,
		       struct collector_result *res)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct collect_ctx ctx;
	int r = run_begin(c, st, cfg, NULL, &ctx, res);
	if (r < 0)
		return r;
	return run_end(c, &ctx, collector_normalize(c, &ctx, body, len), &t0, res);
}
