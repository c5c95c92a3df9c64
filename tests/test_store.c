/*
 * test_store.c: the evidence store: migrations (from an empty file and from
 * the previous schema), atomic runs, rollback of failed and interrupted runs,
 * content-addressed blobs, file modes and concurrent read-only readers.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <sqlite3.h>

#include "collector.h"
#include "store.h"
#include "testhelp.h"
#include "util.h"

static int counter;

static char *fresh_path(void)
{
	char name[64];
	snprintf(name, sizeof(name), "store-%d.db", ++counter);
	return th_path(th_dir, name);
}

static struct store *open_rw(const char *path)
{
	struct store *st = NULL;
	char err[512];
	int r = store_open(path, 0, &st, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "store_open: %s\n", err);
	CU_ASSERT_EQUAL(r, 0);
	return st;
}

/* Runs one query that returns a single integer, through raw sqlite. */
static long long scalar(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long v = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void test_migrate_from_empty(void)
{
	char *path = fresh_path();
	struct store *st = open_rw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(store_schema_version(st), STORE_SCHEMA_VERSION);
	store_close(st);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN "
				     "('runs','evidence','blobs')"),
			3);
	CU_ASSERT_EQUAL(scalar(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	struct stat sb;
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	/* Re-opening a current store changes nothing. */
	st = open_rw(path);
	CU_ASSERT_EQUAL(store_schema_version(st), STORE_SCHEMA_VERSION);
	store_close(st);
	free(path);
}

/* A store left at schema 1 with data migrates to the current schema: raw
 * pages move into content-addressed blobs, facts stay inline. */
static void test_migrate_from_previous(void)
{
	char *path = fresh_path();
	struct store *st = NULL;
	char err[512];
	CU_ASSERT_EQUAL_FATAL(store_open(path, STORE_NO_MIGRATE, &st, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(store_schema_version(st), 0);
	CU_ASSERT_EQUAL_FATAL(store_migrate(st, 1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(store_schema_version(st), 1);
	store_close(st);

	/* Schema-1 data, written as an older ismsd would have. */
	sqlite3 *db = NULL;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
	const char *page = "{\"InstancePatchStates\":[]}";
	char page_hash[65], fact_hash[65];
	util_sha256_hex(page, strlen(page), page_hash);
	util_sha256_hex("{\"a\":1}", 7, fact_hash);
	sqlite3_stmt *s = NULL;
	CU_ASSERT_EQUAL(sqlite3_exec(db,
				     "INSERT INTO runs(id, source, type, started_at, finished_at, outcome, items)"
				     " VALUES (1, 'ssm', 'aws-ssm-patch', 1700000000, 1700000005, 'success', 1)",
				     NULL, NULL, NULL),
			SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_prepare_v2(db,
					   "INSERT INTO evidence(run_id, source, kind, collected_at, payload, sha256)"
					   " VALUES (1, 'ssm', ?, 1700000000, ?, ?)",
					   -1, &s, NULL),
			SQLITE_OK);
	sqlite3_bind_text(s, 1, "raw.page", -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, page, (int)strlen(page), SQLITE_STATIC);
	sqlite3_bind_text(s, 3, page_hash, -1, SQLITE_STATIC);
	CU_ASSERT_EQUAL(sqlite3_step(s), SQLITE_DONE);
	sqlite3_reset(s);
	sqlite3_bind_text(s, 1, "patch.host", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, "{\"a\":1}", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, fact_hash, -1, SQLITE_STATIC);
	CU_ASSERT_EQUAL(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	sqlite3_close(db);

	st = open_rw(path); /* migrates */
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(store_schema_version(st), STORE_SCHEMA_VERSION);
	json_t *item = NULL;
	CU_ASSERT_EQUAL_FATAL(store_get_evidence(st, 1, &item), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(item, "kind")), "raw.page");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(item, "sha256")), page_hash);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(item, "size")), (json_int_t)strlen(page));
	json_decref(item);
	char *body = NULL;
	size_t len = 0;
	CU_ASSERT_EQUAL_FATAL(store_get_page_body(st, 1, &body, &len), 0);
	CU_ASSERT_EQUAL(len, strlen(page));
	CU_ASSERT_STRING_EQUAL(body, page);
	free(body);
	CU_ASSERT_EQUAL_FATAL(store_get_evidence(st, 2, &item), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(item, "facts"), "a")), 1);
	json_decref(item);
	store_close(st);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM evidence WHERE payload IS NOT NULL AND kind = 'raw.page'"),
			0);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM blobs"), 1);
	free(path);
}

/* A store at schema 2 with data migrates to the current schema. */
static void test_migrate_from_v2(void)
{
	char *path = fresh_path();
	struct store *st = NULL;
	char err[512];
	CU_ASSERT_EQUAL_FATAL(store_open(path, STORE_NO_MIGRATE, &st, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(store_migrate(st, 2, err, sizeof(err)), 0);
	store_close(st);
	CU_ASSERT_EQUAL(scalar(path, "INSERT INTO runs(id, source, type, started_at, finished_at, outcome, items)"
				     " VALUES (7, 'ct', 'aws-cloudtrail', 1700000000, 1700000009, 'success', 1)"),
			-1);
	CU_ASSERT_EQUAL(scalar(path, "INSERT INTO evidence(run_id, source, kind, collected_at, observed_at, payload,"
				     " sha256, ext_id) VALUES (7, 'ct', 'audit.event', 1700000000, 1699999000, '{}',"
				     " 'e3b0', 'evt-1')"),
			-1);
	st = open_rw(path);
	CU_ASSERT_EQUAL(store_schema_version(st), STORE_SCHEMA_VERSION);
	char *cur = (char *)"unset";
	CU_ASSERT_EQUAL(store_last_cursor(st, "ct", &cur), 0);
	CU_ASSERT_PTR_NULL(cur);
	json_t *item = NULL;
	CU_ASSERT_EQUAL_FATAL(store_get_evidence(st, 1, &item), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(item, "ext_id")), "evt-1");
	json_decref(item);
	store_close(st);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM evidence WHERE dedup_key IS NULL"), 1);
	/* schema 4 indexed the old run's kinds */
	CU_ASSERT_EQUAL(scalar(path, "SELECT facts FROM run_kinds WHERE run_id = 7 AND kind = 'audit.event'"), 1);
	free(path);
}

/* Incremental runs: a fact already stored is skipped; the cursor of the
 * last successful run is handed to the next one; a failed run leaves none. */
static void test_dedup_and_cursor(void)
{
	char *path = fresh_path();
	struct store *st = open_rw(path);
	int64_t run = 0;
	CU_ASSERT_EQUAL(store_run_begin(st, "ct", "aws-cloudtrail", 1700000000, &run), 0);
	CU_ASSERT_EQUAL(store_add_fact(st, run, "ct", "audit.event", 1700000000, 1699990001, "e1", 1, "{\"n\":1}", 7, 0,
				       NULL),
			0);
	CU_ASSERT_EQUAL(store_add_fact(st, run, "ct", "audit.event", 1700000000, 1699990002, "e2", 1, "{\"n\":2}", 7, 0,
				       NULL),
			0);
	/* the same event twice in one run */
	CU_ASSERT_EQUAL(store_add_fact(st, run, "ct", "audit.event", 1700000000, 1699990002, "e2", 1, "{\"n\":2}", 7, 0,
				       NULL),
			1);
	CU_ASSERT_EQUAL(store_run_commit(st, run, 1700000001, "1699990002"), 0);

	char *cur = NULL;
	CU_ASSERT_EQUAL(store_last_cursor(st, "ct", &cur), 0);
	CU_ASSERT_STRING_EQUAL(cur, "1699990002");
	free(cur);

	/* a failing run with a new event and a cursor: neither stays */
	CU_ASSERT_EQUAL(store_run_begin(st, "ct", "aws-cloudtrail", 1700000100, &run), 0);
	CU_ASSERT_EQUAL(store_add_fact(st, run, "ct", "audit.event", 1700000100, 1699990003, "e3", 1, "{}", 2, 0, NULL),
			0);
	CU_ASSERT_EQUAL(store_run_abort(st, run, 1700000101, "failed", "boom"), 0);
	CU_ASSERT_EQUAL(store_last_cursor(st, "ct", &cur), 0);
	CU_ASSERT_STRING_EQUAL(cur, "1699990002");
	free(cur);

	/* the next run overlaps: e2 again (skipped), e3 new */
	CU_ASSERT_EQUAL(store_run_begin(st, "ct", "aws-cloudtrail", 1700000200, &run), 0);
	CU_ASSERT_EQUAL(store_add_fact(st, run, "ct", "audit.event", 1700000200, 1699990002, "e2", 1, "{\"n\":2}", 7, 0,
				       NULL),
			1);
	CU_ASSERT_EQUAL(store_add_fact(st, run, "ct", "audit.event", 1700000200, 1699990003, "e3", 1, "{}", 2, 0, NULL),
			0);
	/* non-dedup facts with the same ext_id are stored every run */
	CU_ASSERT_EQUAL(store_add_fact(st, run, "ct", "patch.host", 1700000200, 1699990002, "e2", 0, "{}", 2, 0, NULL),
			0);
	CU_ASSERT_EQUAL(store_run_commit(st, run, 1700000201, "1699990003"), 0);
	store_close(st);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM evidence WHERE kind = 'audit.event'"), 3);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(DISTINCT ext_id) FROM evidence WHERE kind = 'audit.event'"), 3);
	CU_ASSERT_EQUAL(scalar(path, "SELECT items FROM runs ORDER BY id DESC LIMIT 1"), 2);
	free(path);
}

static void test_newer_schema_refused(void)
{
	char *path = fresh_path();
	struct store *st = open_rw(path);
	store_close(st);
	CU_ASSERT_EQUAL(scalar(path, "PRAGMA user_version = 99"), -1); /* no row, but it ran */
	char err[512] = "";
	st = NULL;
	CU_ASSERT_EQUAL(store_open(path, 0, &st, err, sizeof(err)), -EPROTO);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "schema version 99 is newer"));
	free(path);
}

static void test_run_commit(void)
{
	char *path = fresh_path();
	struct store *st = open_rw(path);
	int64_t run = 0, page = 0, fact = 0;
	CU_ASSERT_EQUAL(store_run_begin(st, "fleet", "fleet-hosts", 1700000000, &run), 0);
	const char *body = "{\"hosts\":[{\"id\":1}]}";
	CU_ASSERT_EQUAL(store_add_page(st, run, "fleet", 1700000001, "https://fleet.example/api/v1/fleet/hosts?page=0",
				       200, body, strlen(body), &page),
			0);
	CU_ASSERT_EQUAL(store_add_fact(st, run, "fleet", "patch.host", 1700000000, 1699990000, "1", 0, "{\"id\":1}", 8,
				       page, &fact),
			0);
	CU_ASSERT_EQUAL(store_run_flush(st), 0);

	/* Staged evidence is invisible to readers until the run commits. */
	json_t *items = NULL;
	struct store_evidence_filter f = { 0 };
	CU_ASSERT_EQUAL(store_list_evidence(st, &f, &items), 0);
	CU_ASSERT_EQUAL(json_array_size(items), 0);
	json_decref(items);

	CU_ASSERT_EQUAL(store_run_commit(st, run, 1700000002, NULL), 0);
	CU_ASSERT_EQUAL(store_list_evidence(st, &f, &items), 0);
	CU_ASSERT_EQUAL_FATAL(json_array_size(items), 2);
	json_t *first = json_array_get(items, 0); /* newest first: the fact */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(first, "kind")), "patch.host");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(first, "page_id")), page);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(first, "observed_at")), "2023-11-14T19:26:40Z");
	json_t *pg = json_array_get(items, 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(pg, "url")),
			       "https://fleet.example/api/v1/fleet/hosts?page=0");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(pg, "http_status")), 200);
	char hash[65];
	util_sha256_hex(body, strlen(body), hash);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(pg, "sha256")), hash);
	json_decref(items);

	json_t *runs = NULL;
	CU_ASSERT_EQUAL(store_list_runs(st, "fleet", 0, &runs), 0);
	CU_ASSERT_EQUAL_FATAL(json_array_size(runs), 1);
	json_t *r0 = json_array_get(runs, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r0, "outcome")), "success");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r0, "items")), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r0, "finished_at")), "2023-11-14T22:13:22Z");
	json_decref(runs);
	store_close(st);
	free(path);
}

/* A collector for the rollback test: stages a page and two facts, then fails. */
static int failing_collect(struct collector *c, struct collect_ctx *ctx)
{
	(void)c;
	int64_t page = 0;
	if (collect_page(ctx, "https://vendor.example/page1", 200, "{\"n\":1}", 7, &page) < 0)
		return -1;
	json_t *fact = json_pack("{s:i}", "n", 1);
	collect_fact(ctx, "audit.event", ctx->started, "evt-1", fact, page);
	collect_fact(ctx, "audit.event", ctx->started, "evt-2", fact, page);
	json_decref(fact);
	if (collect_flush(ctx) < 0)
		return -1;
	return collect_fail(ctx, "page 2 of https://vendor.example/page2: truncated JSON at byte 512");
}

static int good_collect(struct collector *c, struct collect_ctx *ctx)
{
	(void)c;
	int64_t page = 0;
	if (collect_page(ctx, "https://vendor.example/page1", 200, "{\"n\":1}", 7, &page) < 0)
		return -1;
	json_t *fact = json_pack("{s:i}", "n", 1);
	int r = collect_fact(ctx, "audit.event", ctx->started, "evt-1", fact, page);
	json_decref(fact);
	return r;
}

static const struct collector_ops failing_ops = { .name = "test-failing", .collect = failing_collect };
static const struct collector_ops good_ops = { .name = "test-good", .collect = good_collect };

static void test_failed_run_rolled_back(void)
{
	char *path = fresh_path();
	struct store *st = open_rw(path);
	struct collector good = { .ops = &good_ops, .name = "vendor" };
	struct collector bad = { .ops = &failing_ops, .name = "vendor" };
	struct collector_result res;
	atomic_int cancel = 0;
	CU_ASSERT_EQUAL(collector_run(&good, st, NULL, &cancel, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.outcome, "success");
	/* The failing run stages the same page (same blob) and fails. */
	CU_ASSERT_NOT_EQUAL(collector_run(&bad, st, NULL, &cancel, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.outcome, "failed");
	CU_ASSERT_EQUAL(res.facts, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "truncated JSON"));
	int64_t failed_run = res.run_id;
	store_close(st);

	/* Nothing of the failed run remains; the shared blob of the good run does. */
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM evidence WHERE run_id = %lld", (long long)failed_run);
	CU_ASSERT_EQUAL(scalar(path, sql), 0);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM evidence"), 2);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM blobs"), 1);
	snprintf(sql, sizeof(sql), "SELECT outcome = 'failed' AND error LIKE '%%truncated JSON%%' AND items = 0"
				   " FROM runs WHERE id = %lld",
		 (long long)failed_run);
	CU_ASSERT_EQUAL(scalar(path, sql), 1);

	/* A failing run whose page no other run has leaves no blob behind
	 * either: clear the good run's rows, then fail again. */
	struct collector bad2 = { .ops = &failing_ops, .name = "other" };
	CU_ASSERT_EQUAL(scalar(path, "DELETE FROM evidence"), -1);
	CU_ASSERT_EQUAL(scalar(path, "DELETE FROM blobs"), -1);
	st = open_rw(path);
	CU_ASSERT_NOT_EQUAL(collector_run(&bad2, st, NULL, &cancel, &res), 0);
	store_close(st);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM blobs"), 0);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM evidence"), 0);
	free(path);
}

static void test_cancelled_run(void)
{
	char *path = fresh_path();
	struct store *st = open_rw(path);
	struct collector good = { .ops = &good_ops, .name = "vendor" };
	struct collector_result res;
	atomic_int cancel = 1; /* the daemon is stopping */
	CU_ASSERT_NOT_EQUAL(collector_run(&good, st, NULL, &cancel, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.outcome, "interrupted");
	store_close(st);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM evidence"), 0);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM runs WHERE outcome = 'interrupted'"), 1);
	free(path);
}

/* A run left "running" (the process was killed) is cleared at next start. */
static void test_recover_interrupted(void)
{
	char *path = fresh_path();
	struct store *st = open_rw(path);
	int64_t run = 0;
	CU_ASSERT_EQUAL(store_run_begin(st, "ct", "aws-cloudtrail", 1700000000, &run), 0);
	CU_ASSERT_EQUAL(store_add_page(st, run, "ct", 1700000001, "https://ct.example/", 200, "{}", 2, NULL), 0);
	CU_ASSERT_EQUAL(store_add_fact(st, run, "ct", "audit.event", 1700000000, 0, "e1", 0, "{}", 2, 0, NULL), 0);
	CU_ASSERT_EQUAL(store_run_flush(st), 0);
	store_close(st); /* as if killed: never committed nor aborted */
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM evidence"), 2);

	st = open_rw(path);
	int n = -1;
	CU_ASSERT_EQUAL(store_recover(st, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	store_close(st);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM evidence"), 0);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM blobs"), 0);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM runs WHERE outcome = 'interrupted' AND error LIKE "
				     "'interrupted:%'"),
			1);
	free(path);
}

/* A read-only reader works while a writer holds a staging transaction. */
static void test_reader_while_writing(void)
{
	char *path = fresh_path();
	struct store *w = open_rw(path);
	int64_t run = 0;
	CU_ASSERT_EQUAL(store_run_begin(w, "s", "self", 1700000000, &run), 0);
	CU_ASSERT_EQUAL(store_add_fact(w, run, "s", "ismsd.self", 1700000000, 0, NULL, 0, "{}", 2, 0, NULL), 0);
	/* w now holds an open write transaction */
	struct store *r = NULL;
	char err[512];
	CU_ASSERT_EQUAL_FATAL(store_open(path, STORE_READONLY, &r, err, sizeof(err)), 0);
	json_t *runs = NULL;
	CU_ASSERT_EQUAL(store_list_runs(r, NULL, 0, &runs), 0);
	CU_ASSERT_EQUAL(json_array_size(runs), 1);
	json_decref(runs);
	CU_ASSERT_EQUAL(store_run_commit(w, run, 1700000001, NULL), 0);
	json_t *items = NULL;
	struct store_evidence_filter f = { 0 };
	CU_ASSERT_EQUAL(store_list_evidence(r, &f, &items), 0);
	CU_ASSERT_EQUAL(json_array_size(items), 1);
	json_decref(items);
	/* The reader cannot write. */
	CU_ASSERT_NOT_EQUAL(store_run_begin(r, "s", "self", 1, &run), 0);
	store_close(r);
	store_close(w);
	free(path);
}

static void test_quick_check(void)
{
	char *path = fresh_path();
	struct store *st = open_rw(path);
	char err[256];
	CU_ASSERT_EQUAL(store_check(st, err, sizeof(err)), 0);
	store_close(st);
	free(path);

	/* A file that is not a database is refused and left as it was. */
	char *junk = th_write(th_dir, "junk.db", "this is not an sqlite database, it is a text file of some length.....",
			      0600);
	char *before = th_read(junk);
	st = NULL;
	CU_ASSERT_NOT_EQUAL(store_open(junk, 0, &st, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NULL(st);
	char *after = th_read(junk);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	free(junk);
}

/* Retention: old pages lose their bytes, keep their rows and hashes; a blob
 * a newer page shares stays. */
static void test_prune_pages(void)
{
	char *path = fresh_path();
	struct store *st = open_rw(path);
	int64_t run = 0, old_page = 0, new_page = 0, shared_old = 0;
	CU_ASSERT_EQUAL(store_run_begin(st, "s", "t", 100, &run), 0);
	CU_ASSERT_EQUAL(store_add_page(st, run, "s", 100, "https://v.example/1", 200, "old-only", 8, &old_page), 0);
	CU_ASSERT_EQUAL(store_add_page(st, run, "s", 100, "https://v.example/2", 200, "shared", 6, &shared_old), 0);
	CU_ASSERT_EQUAL(store_run_commit(st, run, 101, NULL), 0);
	CU_ASSERT_EQUAL(store_run_begin(st, "s", "t", 1000, &run), 0);
	CU_ASSERT_EQUAL(store_add_page(st, run, "s", 1000, "https://v.example/2", 200, "shared", 6, &new_page), 0);
	CU_ASSERT_EQUAL(store_run_commit(st, run, 1001, NULL), 0);
	/* store_add_page stamps the time received with the clock: make them old/new */
	store_close(st);
	char sql[160];
	snprintf(sql, sizeof(sql), "UPDATE evidence SET collected_at = 100 WHERE id IN (%lld, %lld)", (long long)old_page,
		 (long long)shared_old);
	scalar(path, sql);
	snprintf(sql, sizeof(sql), "UPDATE evidence SET collected_at = 1000 WHERE id = %lld", (long long)new_page);
	scalar(path, sql);
	st = open_rw(path);
	int pruned = -1;
	CU_ASSERT_EQUAL(store_prune_pages(st, 500, &pruned), 0);
	CU_ASSERT_EQUAL(pruned, 1);
	char *body = NULL;
	size_t len = 0;
	CU_ASSERT_EQUAL(store_get_page_body(st, old_page, &body, &len), -ENOENT);
	CU_ASSERT_EQUAL(store_get_page_body(st, shared_old, &body, &len), 0);
	free(body);
	CU_ASSERT_EQUAL(store_get_page_body(st, new_page, &body, &len), 0);
	CU_ASSERT_EQUAL(len, 6);
	free(body);
	/* the pruned page's row and hash stay */
	json_t *item = NULL;
	CU_ASSERT_EQUAL_FATAL(store_get_evidence(st, old_page, &item), 0);
	char want[65];
	util_sha256_hex("old-only", 8, want);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(item, "sha256")), want);
	json_decref(item);
	store_close(st);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM blobs"), 1);
	CU_ASSERT_EQUAL(scalar(path, "PRAGMA foreign_key_check"), -1); /* no violations: no row */
	free(path);
}

/* Fills buf with bytes that do not compress (xorshift32 from seed). */
static void fill_noise(unsigned char *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed ? seed : 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
}

/* A capped store fails a run that would pass the cap, cleanly.  (The pages
 * are noise: a page zstd shrinks would not fill it.) */
static void test_store_full(void)
{
	char *path = fresh_path();
	struct store *st = open_rw(path);
	CU_ASSERT_EQUAL(store_set_max_size(st, 1024 * 1024), 0);
	int64_t run = 0;
	CU_ASSERT_EQUAL(store_run_begin(st, "s", "t", 100, &run), 0);
	unsigned char *big = malloc(64 * 1024);
	int r = 0;
	for (int i = 0; i < 64 && r == 0; i++) {
		fill_noise(big, 64 * 1024, (uint32_t)i + 1);
		r = store_add_page(st, run, "s", 100, "https://v.example/", 200, big, 64 * 1024, NULL);
	}
	free(big);
	CU_ASSERT_EQUAL(r, -ENOSPC);
	CU_ASSERT_EQUAL(store_run_abort(st, run, 101, "failed", "the evidence store is full"), 0);
	char err[256];
	CU_ASSERT_EQUAL(store_check(st, err, sizeof(err)), 0);
	store_close(st);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM evidence"), 0);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM runs WHERE outcome = 'failed'"), 1);
	free(path);
}

/* A JSON page of n records, like a vendor's list answer (caller frees). */
static char *json_page(int n, size_t *len)
{
	struct util_buf b;
	util_buf_init(&b, 64u << 20);
	util_buf_append(&b, "{\"Events\":[", 11);
	for (int i = 0; i < n; i++)
		util_buf_printf(&b,
				"%s{\"EventId\":\"%08x-5e1f-4c2b-9a6d-%012d\",\"EventName\":\"%s\","
				"\"EventTime\":%d,\"Username\":\"user%d@example.com\",\"ReadOnly\":\"%s\"}",
				i ? "," : "", (unsigned)(i * 2654435761u), i * 7919,
				i % 3 ? "DescribeInstances" : "PutObject", 1700000000 + i * 17, i % 23,
				i % 2 ? "true" : "false");
	util_buf_append(&b, "]}", 2);
	return util_buf_take(&b, len);
}

/* Returns the codec and the stored length of blob sha through raw sqlite. */
static void blob_row(const char *path, const char *sha, char *codec, size_t codec_len, long long *stored,
		     long long *size)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	snprintf(codec, codec_len, "?");
	*stored = *size = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT coalesce(codec, 'NULL'), length(data), size FROM blobs WHERE sha256 = ?", -1,
			       &s, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(s, 1, sha, -1, SQLITE_STATIC) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
		snprintf(codec, codec_len, "%s", (const char *)sqlite3_column_text(s, 0));
		*stored = sqlite3_column_int64(s, 1);
		*size = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* Stages and commits one page; returns its evidence id. */
static int64_t commit_page(struct store *st, const void *body, size_t len)
{
	int64_t run = 0, page = 0;
	CU_ASSERT_EQUAL(store_run_begin(st, "ct", "aws-cloudtrail", 1700000000, &run), 0);
	CU_ASSERT_EQUAL(store_add_page(st, run, "ct", 1700000001, "https://ct.example/", 200, body, len, &page), 0);
	CU_ASSERT_EQUAL(store_run_commit(st, run, 1700000002, NULL), 0);
	return page;
}

/* A large JSON page is stored zstd-compressed, smaller than it came, under
 * the hash and size of the bytes received, and reads back byte for byte. */
static void test_blob_compressed(void)
{
	char *path = fresh_path();
	struct store *st = open_rw(path);
	size_t len = 0;
	char *body = json_page(2000, &len);
	CU_ASSERT_FATAL(len > 200000);
	int64_t page = commit_page(st, body, len);
	char hash[65], codec[16];
	util_sha256_hex(body, len, hash);
	long long stored = 0, size = 0;
	blob_row(path, hash, codec, sizeof(codec), &stored, &size);
	CU_ASSERT_STRING_EQUAL(codec, "zstd");
	CU_ASSERT_EQUAL(size, (long long)len);
	CU_ASSERT(stored > 0 && stored < (long long)len / 4);

	char *got = NULL;
	size_t got_len = 0;
	CU_ASSERT_EQUAL_FATAL(store_get_page_body(st, page, &got, &got_len), 0);
	CU_ASSERT_EQUAL(got_len, len);
	CU_ASSERT(memcmp(got, body, len) == 0);
	free(got);
	json_t *item = NULL;
	CU_ASSERT_EQUAL_FATAL(store_get_evidence(st, page, &item), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(item, "sha256")), hash);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(item, "size")), (json_int_t)len);
	json_decref(item);
	json_t *items = NULL;
	struct store_evidence_filter f = { .kind = "raw.page" };
	CU_ASSERT_EQUAL(store_list_evidence(st, &f, &items), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(items, 0), "size")), (json_int_t)len);
	json_decref(items);
	/* The same bytes again share the blob. */
	commit_page(st, body, len);
	store_close(st);
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM blobs"), 1);
	free(body);
	free(path);
}

/* Short pages, and pages zstd cannot shrink by a tenth, are stored as they
 * came, with codec NULL. */
static void test_blob_stored_as_is(void)
{
	char *path = fresh_path();
	struct store *st = open_rw(path);
	/* 255 bytes of very compressible JSON: too short to be worth it */
	char small[256];
	memset(small, ' ', sizeof(small));
	small[0] = '[';
	small[254] = ']';
	small[255] = '\0';
	unsigned char noise[8192];
	fill_noise(noise, sizeof(noise), 42);
	struct {
		const void *body;
		size_t len;
	} cases[] = { { small, 255 }, { noise, sizeof(noise) }, { "{}", 2 } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t page = commit_page(st, cases[i].body, cases[i].len);
		char hash[65], codec[16];
		long long stored = 0, size = 0;
		util_sha256_hex(cases[i].body, cases[i].len, hash);
		blob_row(path, hash, codec, sizeof(codec), &stored, &size);
		CU_ASSERT_STRING_EQUAL(codec, "NULL");
		CU_ASSERT_EQUAL(stored, (long long)cases[i].len);
		CU_ASSERT_EQUAL(size, (long long)cases[i].len);
		char *got = NULL;
		size_t got_len = 0;
		CU_ASSERT_EQUAL_FATAL(store_get_page_body(st, page, &got, &got_len), 0);
		CU_ASSERT_EQUAL(got_len, cases[i].len);
		CU_ASSERT(memcmp(got, cases[i].body, cases[i].len) == 0);
		free(got);
	}
	store_close(st);
	free(path);
}

/* A zstd blob that does not decode to its recorded size is an error for
 * every reader that wants the bytes, never a short or empty success. */
static void test_blob_corrupt(void)
{
	char *path = fresh_path();
	struct store *st = open_rw(path);
	size_t len = 0;
	char *body = json_page(500, &len);
	int64_t page = commit_page(st, body, len);
	store_close(st);
	char hash[65];
	util_sha256_hex(body, len, hash);
	free(body);
	/* each: a change to the row, then undone by the next one's copy */
	char size_sql[256], trunc_sql[256], huge_sql[320], codec_sql[256];
	snprintf(size_sql, sizeof(size_sql), "UPDATE blobs SET size = size + 1 WHERE sha256 = '%s'", hash);
	snprintf(trunc_sql, sizeof(trunc_sql),
		 "UPDATE blobs SET data = substr(data, 1, length(data) - 5) WHERE sha256 = '%s'", hash);
	/* a frame header that claims 300 MiB (single segment, 8-byte size) */
	snprintf(huge_sql, sizeof(huge_sql),
		 "UPDATE blobs SET size = 314572800, data = X'28B52FFDE00000C01200000000010000' WHERE sha256 = '%s'",
		 hash);
	snprintf(codec_sql, sizeof(codec_sql), "UPDATE blobs SET codec = NULL WHERE sha256 = '%s'", hash);
	static const char *const why[] = { "holds a frame of", "not exactly one zstd frame", "more than the" };
	const char *edits[] = { size_sql, trunc_sql, huge_sql };
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *copy = fresh_path();
		char sql[600];
		snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", copy);
		CU_ASSERT_EQUAL_FATAL(scalar(path, sql), -1);
		CU_ASSERT_EQUAL(scalar(copy, edits[i]), -1);
		st = open_rw(copy);
		char *got = NULL;
		size_t got_len = 0;
		int r = store_get_page_body(st, page, &got, &got_len);
		CU_ASSERT(r < 0 && r != -ENOENT);
		CU_ASSERT_PTR_NULL(got);
		CU_ASSERT_PTR_NOT_NULL(strstr(store_errmsg(st), why[i]));
		store_close(st);
		free(copy);
	}
	/* a frame passed off as stored as is reads back as the frame: its
	 * hash no longer matches (verify names it; see test_chain) */
	CU_ASSERT_EQUAL(scalar(path, codec_sql), -1);
	st = open_rw(path);
	char *got = NULL;
	size_t got_len = 0;
	CU_ASSERT_EQUAL(store_get_page_body(st, page, &got, &got_len), 0);
	CU_ASSERT(got_len < len);
	free(got);
	store_close(st);
	free(path);
}

/* A store at schema 7 with an uncompressed blob migrates to 9: the row is
 * kept as it is (codec NULL) and reads back as before. */
static void test_migrate_from_v7(void)
{
	char *path = fresh_path();
	struct store *st = NULL;
	char err[512];
	CU_ASSERT_EQUAL_FATAL(store_open(path, STORE_NO_MIGRATE, &st, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(store_migrate(st, 7, err, sizeof(err)), 0);
	store_close(st);
	size_t len = 0;
	char *body = json_page(300, &len);
	char hash[65];
	util_sha256_hex(body, len, hash);
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db,
				     "INSERT INTO runs(id, source, type, started_at, finished_at, outcome, items)"
				     " VALUES (3, 'ct', 'aws-cloudtrail', 1700000000, 1700000005, 'success', 0)",
				     NULL, NULL, NULL),
			SQLITE_OK);
	/* schema 7's blobs have no codec column */
	CU_ASSERT_EQUAL(sqlite3_prepare_v2(db, "INSERT INTO blobs(sha256, size, data) VALUES (?1, ?2, ?3)", -1, &s,
					   NULL),
			SQLITE_OK);
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)len);
	sqlite3_bind_blob(s, 3, body, (int)len, SQLITE_STATIC);
	CU_ASSERT_EQUAL(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	CU_ASSERT_EQUAL(sqlite3_prepare_v2(db,
					   "INSERT INTO evidence(id, run_id, source, kind, collected_at, observed_at,"
					   " sha256, blob_sha256, url, http_status) VALUES (5, 3, 'ct', 'raw.page',"
					   " 1700000001, 1700000001, ?1, ?1, 'https://ct.example/', 200)",
					   -1, &s, NULL),
			SQLITE_OK);
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
	CU_ASSERT_EQUAL(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	sqlite3_close(db);

	st = open_rw(path); /* migrates */
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(store_schema_version(st), STORE_SCHEMA_VERSION);
	char *got = NULL;
	size_t got_len = 0;
	CU_ASSERT_EQUAL_FATAL(store_get_page_body(st, 5, &got, &got_len), 0);
	CU_ASSERT_EQUAL(got_len, len);
	CU_ASSERT(memcmp(got, body, len) == 0);
	free(got);
	json_t *item = NULL;
	CU_ASSERT_EQUAL_FATAL(store_get_evidence(st, 5, &item), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(item, "size")), (json_int_t)len);
	json_decref(item);
	/* a new, different page is compressed beside the old one */
	free(body);
	body = json_page(301, &len);
	int64_t page = commit_page(st, body, len);
	CU_ASSERT_EQUAL_FATAL(store_get_page_body(st, page, &got, &got_len), 0);
	CU_ASSERT_EQUAL(got_len, len);
	CU_ASSERT(memcmp(got, body, len) == 0);
	free(got);
	store_close(st);
	char codec[16];
	long long stored = 0, size = 0;
	blob_row(path, hash, codec, sizeof(codec), &stored, &size);
	CU_ASSERT_STRING_EQUAL(codec, "NULL"); /* not rewritten */
	CU_ASSERT_EQUAL(scalar(path, "SELECT count(*) FROM blobs WHERE codec = 'zstd'"), 1);
	free(body);
	free(path);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "migrations from an empty file", test_migrate_from_empty },
		{ "migrations from the previous schema", test_migrate_from_previous },
		{ "migrations from schema 2", test_migrate_from_v2 },
		{ "incremental runs: duplicates skipped, cursor handed on", test_dedup_and_cursor },
		{ "a newer schema is refused", test_newer_schema_refused },
		{ "a run commits atomically", test_run_commit },
		{ "a failed run is rolled back and recorded", test_failed_run_rolled_back },
		{ "a cancelled run is rolled back", test_cancelled_run },
		{ "an interrupted run is cleared at start", test_recover_interrupted },
		{ "a reader works while a writer writes", test_reader_while_writing },
		{ "integrity check and non-database files", test_quick_check },
		{ "retention prunes old page bytes, keeps hashes", test_prune_pages },
		{ "a full store fails the run cleanly", test_store_full },
		{ "a large JSON page is stored compressed, read back byte for byte", test_blob_compressed },
		{ "short and incompressible pages are stored as they are", test_blob_stored_as_is },
		{ "a compressed blob that does not decode is an error", test_blob_corrupt },
		{ "migration from schema 7 keeps old blobs readable", test_migrate_from_v7 },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "store", th_dir_setup, th_dir_teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
