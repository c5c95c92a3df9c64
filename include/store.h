/*
 * store.h: the evidence store, the only user of sqlite3.
 *
 * One sqlite database in WAL mode holds collection runs and evidence items.
 * Evidence is either a normalized fact (JSON text in the row) or a raw
 * response page (bytes in a content-addressed blob, keyed by the SHA-256 of
 * the body as received; the blob may hold it zstd-compressed, and every
 * reader gets the received bytes back).
 *
 * Atomic runs.  sqlite has a single writer, and a run may wait on a slow
 * vendor for hours, so a run does not hold the write lock from start to end.
 * Instead store_run_begin() records the run as "running"; evidence added
 * during the run is staged in short transactions and is invisible to every
 * reader (all listings join on runs.outcome = 'success').  The run becomes
 * visible, with all its evidence, in the one transaction of
 * store_run_commit().  store_run_abort() deletes the staged evidence and
 * records the failure in one transaction.  A run found "running" at start
 * (the daemon was killed) is marked "interrupted" and its staged evidence is
 * deleted by store_recover().
 *
 * A struct store is a single connection: use it from one thread at a time.
 * Each worker thread opens its own.
 */
#ifndef ISMSD_STORE_H
#define ISMSD_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#define STORE_SCHEMA_VERSION 9

#define STORE_READONLY 0x1u   /* open an existing store read-only */
#define STORE_NO_MIGRATE 0x2u /* do not migrate (tests drive migrations) */
#define STORE_CHECK 0x4u      /* run PRAGMA quick_check before writing anything */

struct store;

/*
 * Opens (creating it mode 0600 unless STORE_READONLY) the store at path and
 * migrates it to STORE_SCHEMA_VERSION.  Returns 0, or -errno with a message in
 * err.  A store whose schema is newer than this program is refused.  With
 * STORE_CHECK an existing file is integrity-checked first; a store that
 * fails the check is refused with -EBADMSG before anything is written to it.
 */
int store_open(const char *path, unsigned flags, struct store **out, char *err, size_t errlen);
void store_close(struct store *st);

/* The schema version of the open database (PRAGMA user_version). */
int store_schema_version(struct store *st);

/* Runs migrations up to target (1..STORE_SCHEMA_VERSION) in one transaction
 * each.  Returns 0 or a negative error, leaving the last good version. */
int store_migrate(struct store *st, int target, char *err, size_t errlen);

/* The last sqlite error message of this connection. */
const char *store_errmsg(struct store *st);

/* PRAGMA quick_check.  Returns 0 when the store is sound, -EBADMSG with the
 * first problem in err otherwise. */
int store_check(struct store *st, char *err, size_t errlen);

/* Marks runs left "running" as "interrupted" and deletes their staged
 * evidence.  *count receives the number of such runs. */
int store_recover(struct store *st, int *count);

/* ---- runs ----------------------------------------------------------------- */

int store_run_begin(struct store *st, const char *source, const char *type, time_t started, int64_t *run_id);

/* The largest page body a blob decodes to (256 MiB): a larger body is
 * stored uncompressed, and a zstd blob that claims more is refused. */
#define STORE_BLOB_MAX (256u << 20)

/* Stages a raw response page: the body goes into a blob keyed by its
 * SHA-256 and its length, both of the bytes as received.  A body of 256
 * bytes or more is stored zstd-compressed (level 1) when that saves at
 * least a tenth, otherwise as it is.  url must already be free of secrets. */
int store_add_page(struct store *st, int64_t run_id, const char *source, time_t received, const char *url,
		   long http_status, const void *body, size_t len, int64_t *id);

/* Stages a normalized fact of kind (e.g. "patch.host").  json is the fact's
 * canonical JSON text; page_id links it to its raw page (0 for none);
 * ext_id is the vendor's id of the item, or NULL.  With dedup, a fact of
 * the same source, observed time and ext_id that is already stored (or
 * staged by this run) is not stored again: the call returns 1.  Returns 0
 * when stored, or a negative error. */
int store_add_fact(struct store *st, int64_t run_id, const char *source, const char *kind, time_t collected,
		   time_t observed, const char *ext_id, int dedup, const char *json, size_t len, int64_t page_id,
		   int64_t *id);

/* The cursor the source's last successful run left (NULL when none). */
int store_last_cursor(struct store *st, const char *source, char **cursor);

/* Ends the current staging transaction now. */
int store_run_flush(struct store *st);

/* Ends the current staging transaction when it has been open for
 * STORE_STAGE_MS or staged STORE_STAGE_BYTES (call after each page): a
 * bulk run writes in a few large transactions instead of one per page,
 * and other writers never wait long for the lock. */
#define STORE_STAGE_MS 250
#define STORE_STAGE_BYTES (16u << 20)
int store_run_pace(struct store *st);

/* Makes the run and its evidence visible, in one transaction with
 * synchronous=FULL, and records cursor (may be NULL) for the next run. */
int store_run_commit(struct store *st, int64_t run_id, time_t finished, const char *cursor);

/*
 * A sealer is called by store_run_commit() inside the commit transaction,
 * after the run is marked successful; a non-zero return rolls the commit
 * back.  daemon/chain.c uses it to append the run's signed manifest to the
 * evidence chain, so that no run becomes visible unsealed.
 */
typedef int (*store_seal_fn)(struct store *st, int64_t run_id, void *arg);
void store_set_sealer(struct store *st, store_seal_fn fn, void *arg);

/* Deletes the run's staged evidence and records outcome ("failed" or
 * "interrupted") with the error text, in one transaction. */
int store_run_abort(struct store *st, int64_t run_id, time_t finished, const char *outcome, const char *error);

/* ---- reading (all return new jansson references the caller decrefs) ------- */

/* Runs, newest first.  source may be NULL; limit 0 means 100. */
int store_list_runs(struct store *st, const char *source, unsigned limit, json_t **out);

struct store_evidence_filter {
	const char *source;
	const char *kind;
	int64_t run_id;
	unsigned limit; /* 0 means 100 */
};

/* Committed evidence items, newest first (without their payloads). */
int store_list_evidence(struct store *st, const struct store_evidence_filter *f, json_t **out);

/* One committed evidence item with its facts (or, for a raw page, its
 * metadata).  Returns -ENOENT when there is no such committed item. */
int store_get_evidence(struct store *st, int64_t id, json_t **out);

/* The raw bytes of a committed page as received (decompressed), for
 * `ismsctl evidence show --raw`.  *data is NUL-terminated and the caller's
 * to free.  Returns -ENOENT when there is no such page or its bytes were
 * pruned, and a negative error (with the reason in store_errmsg()) when a
 * compressed blob does not decode. */
int store_get_page_body(struct store *st, int64_t id, char **data, size_t *len);

/* Per source: the last run (any outcome) and the last successful run.
 * Returns an object keyed by source name. */
int store_source_summary(struct store *st, json_t **out);

/* Caps the database at about bytes (PRAGMA max_page_count; 0 = no cap).
 * A write that would pass it fails with -ENOSPC, like a full disk. */
int store_set_max_size(struct store *st, uint64_t bytes);

/*
 * Retention: deletes the bytes of raw pages collected before `before`.  The
 * evidence rows stay, with their SHA-256, so what was collected and its
 * hash remain on record.  *pruned receives the number of pages pruned.
 */
int store_prune_pages(struct store *st, time_t before, int *pruned);

/* ---- prepared queries for the modules above the store (kpi.c, nc.c) ------ */

/* A bound value or a column value. */
enum store_type { STORE_NULL, STORE_INT, STORE_REAL, STORE_TEXT };
struct store_val {
	enum store_type type;
	int64_t i;
	double d;
	const char *s; /* STORE_TEXT: NUL-terminated; for columns, valid during the callback */
	size_t len;    /* for columns: the byte length of s (a BLOB column may hold NULs) */
};

#define STORE_V_NULL ((struct store_val){ STORE_NULL, 0, 0, NULL, 0 })
#define STORE_V_INT(x) ((struct store_val){ STORE_INT, (x), 0, NULL, 0 })
#define STORE_V_REAL(x) ((struct store_val){ STORE_REAL, 0, (x), NULL, 0 })
#define STORE_V_TEXT(x) store_v_text(x)

/* A text value, or NULL when s is NULL. */
static inline struct store_val store_v_text(const char *s)
{
	struct store_val v = { s ? STORE_TEXT : STORE_NULL, 0, 0, s, 0 };
	return v;
}

/*
 * Page bodies in SQL: read blobs.data only through one of the two functions
 * every connection has, never directly (it may be compressed):
 *   ismsd_blob(b.data, b.codec, b.size)          the body as received; the
 *       statement fails (store_errmsg() says why) when it does not decode;
 *   ismsd_blob_or_null(b.data, b.codec, b.size)  the same, or NULL when it
 *       does not decode (for a verifier that reports the page and goes on).
 * Both give NULL for a missing blob (a LEFT JOIN with no row).  b.size is
 * the body's length as received.
 *
 * Prepares sql (one statement; values only through ? parameters), binds
 * args, and calls row() for each result row with its columns (valid during
 * the call only).  row() returns 0 to go on, non-zero to stop (returned).
 * Returns 0, a negative store error, or row()'s value.  *changes (may be
 * NULL) receives the rows changed by an INSERT, UPDATE or DELETE.
 */
int store_query(struct store *st, const char *sql, const struct store_val *args, size_t n_args,
		int (*row)(void *arg, const struct store_val *cols, size_t n_cols), void *arg, int *changes);

/* The rowid of the last INSERT on this connection. */
int64_t store_last_id(struct store *st);

/* An explicit write transaction (BEGIN IMMEDIATE ... COMMIT with
 * synchronous=FULL, or ROLLBACK).  Not to be mixed with a run's staging. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

#endif
