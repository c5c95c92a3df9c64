/*
 * store.c: the sqlite evidence store: schema migrations, atomic runs with
 * staged evidence, content-addressed page blobs (zstd-compressed when that
 * pays, always keyed and sized by the bytes as received), and read queries
 * for the CLI.  Every statement is prepared; values are bound, never
 * formatted into SQL.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>
#include <zstd.h>

#include "store.h"
#include "util.h"

#define BUSY_TIMEOUT_MS 30000

/* Page bodies of at least BLOB_ZSTD_MIN bytes are compressed with zstd at
 * BLOB_ZSTD_LEVEL (fast), and kept compressed when that saves at least a
 * tenth.  No blob decodes to more than STORE_BLOB_MAX bytes: larger bodies
 * are stored as they are, and a frame that claims more is refused. */
#define BLOB_ZSTD_MIN 256
#define BLOB_ZSTD_LEVEL 1

/* Migrations, in order: migrations[i] takes the schema from version i to i+1. */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
	/* 1: runs and evidence items with inline payloads. */
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  source TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  started_at INTEGER NOT NULL,"
	"  finished_at INTEGER,"
	"  outcome TEXT NOT NULL CHECK (outcome IN ('running','success','failed','interrupted')),"
	"  error TEXT,"
	"  items INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX runs_source_started ON runs(source, started_at);"
	"CREATE INDEX runs_outcome ON runs(outcome);"
	"CREATE TABLE evidence ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  source TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  collected_at INTEGER NOT NULL,"
	"  observed_at INTEGER,"
	"  payload BLOB,"
	"  sha256 TEXT NOT NULL"
	");"
	"CREATE INDEX evidence_run ON evidence(run_id);"
	"CREATE INDEX evidence_source_kind ON evidence(source, kind, collected_at);",

	/* 2: raw pages move to content-addressed blobs; pages carry their URL and
	 * status; facts link to their page and carry the vendor's item id. */
	"CREATE TABLE blobs ("
	"  sha256 TEXT PRIMARY KEY,"
	"  size INTEGER NOT NULL,"
	"  data BLOB NOT NULL"
	") WITHOUT ROWID;"
	"ALTER TABLE evidence ADD COLUMN blob_sha256 TEXT REFERENCES blobs(sha256);"
	"ALTER TABLE evidence ADD COLUMN page_id INTEGER REFERENCES evidence(id);"
	"ALTER TABLE evidence ADD COLUMN url TEXT;"
	"ALTER TABLE evidence ADD COLUMN http_status INTEGER;"
	"ALTER TABLE evidence ADD COLUMN ext_id TEXT;"
	"INSERT OR IGNORE INTO blobs(sha256, size, data)"
	"  SELECT sha256, length(payload), payload FROM evidence WHERE kind = 'raw.page' AND payload IS NOT NULL;"
	"UPDATE evidence SET blob_sha256 = sha256, payload = NULL WHERE kind = 'raw.page';"
	"CREATE INDEX evidence_blob ON evidence(blob_sha256) WHERE blob_sha256 IS NOT NULL;"
	"CREATE INDEX evidence_page ON evidence(page_id) WHERE page_id IS NOT NULL;",

	/* 3: incremental collection: a run may leave a cursor (e.g. the newest
	 * event time) for the next run, and event facts carry a de-duplication
	 * key.  The unique index leads with the event time, so that inserts of
	 * time-ordered events stay cheap. */
	"ALTER TABLE runs ADD COLUMN cursor TEXT;"
	"ALTER TABLE evidence ADD COLUMN dedup_key TEXT;"
	"CREATE UNIQUE INDEX evidence_dedup ON evidence(source, observed_at, dedup_key)"
	"  WHERE dedup_key IS NOT NULL;",

	/* 4: judgements.  run_kinds says which kinds of facts a committed run
	 * holds (written with the commit), so that KPIs find the latest run of
	 * each source cheaply.  KPI values form a time series; nonconformities
	 * carry their ISO 27001 clause 10.2 state, and every transition is kept
	 * in an append-only history. */
	"CREATE TABLE run_kinds ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  source TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  facts INTEGER NOT NULL,"
	"  PRIMARY KEY (kind, source, run_id)"
	") WITHOUT ROWID;"
	"INSERT INTO run_kinds(run_id, source, kind, facts)"
	"  SELECT e.run_id, e.source, e.kind, count(*) FROM evidence e JOIN runs r ON r.id = e.run_id"
	"  WHERE r.outcome = 'success' AND e.kind != 'raw.page' GROUP BY e.run_id, e.source, e.kind;"
	"CREATE INDEX evidence_kind_observed ON evidence(kind, observed_at);"
	"CREATE TABLE kpi_values ("
	"  id INTEGER PRIMARY KEY,"
	"  kpi TEXT NOT NULL,"
	"  scope TEXT NOT NULL,"
	"  evaluated_at INTEGER NOT NULL,"
	"  value REAL,"
	"  threshold REAL NOT NULL,"
	"  op TEXT NOT NULL CHECK (op IN ('>=','<=')),"
	"  verdict TEXT NOT NULL CHECK (verdict IN ('met','breached','no-data')),"
	"  severity TEXT,"
	"  evidence TEXT NOT NULL"
	");"
	"CREATE INDEX kpi_values_kpi ON kpi_values(kpi, scope, evaluated_at);"
	"CREATE TABLE ncs ("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('kpi','evidence-gap','activity-overdue')),"
	"  title TEXT NOT NULL,"
	"  controls TEXT NOT NULL,"
	"  kpi TEXT,"
	"  scope TEXT,"
	"  observed REAL,"
	"  threshold REAL,"
	"  severity TEXT NOT NULL CHECK (severity IN ('minor','major')),"
	"  owner TEXT,"
	"  state TEXT NOT NULL CHECK (state IN ('open','acknowledged','action-planned','resolved','closed')),"
	"  condition TEXT NOT NULL CHECK (condition IN ('active','recovered')),"
	"  detected_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  evidence TEXT NOT NULL,"
	"  root_cause TEXT,"
	"  action TEXT,"
	"  action_owner TEXT,"
	"  due_at INTEGER,"
	"  escalated_at INTEGER"
	");"
	"CREATE UNIQUE INDEX ncs_open_key ON ncs(key) WHERE state != 'closed';"
	"CREATE INDEX ncs_key ON ncs(key, id);"
	"CREATE TABLE nc_history ("
	"  id INTEGER PRIMARY KEY,"
	"  nc_id INTEGER NOT NULL REFERENCES ncs(id),"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  event TEXT NOT NULL,"
	"  from_state TEXT,"
	"  to_state TEXT NOT NULL,"
	"  note TEXT"
	");"
	"CREATE INDEX nc_history_nc ON nc_history(nc_id, id);"
	"CREATE TRIGGER nc_history_append_only_u BEFORE UPDATE ON nc_history"
	"  BEGIN SELECT RAISE(ABORT, 'nc_history is append-only'); END;"
	"CREATE TRIGGER nc_history_append_only_d BEFORE DELETE ON nc_history"
	"  BEGIN SELECT RAISE(ABORT, 'nc_history is append-only'); END;",

	/* 5: the webhook outbox.  An event is written in the same transaction
	 * as the state change that caused it; its payload (the envelope) and
	 * its id are fixed then, so every delivery attempt sends the same
	 * bytes under the same webhook-id. */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  msg_id TEXT NOT NULL UNIQUE,"
	"  type TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  nc_id INTEGER REFERENCES ncs(id),"
	"  payload TEXT NOT NULL"
	");"
	"CREATE INDEX outbox_nc ON outbox(nc_id, id) WHERE nc_id IS NOT NULL;",

	/* 6: webhook delivery.  webhooks remembers, per [webhook NAME], the
	 * last outbox event that existed when it was first configured (it gets
	 * the ones after) and whether a 410 Gone disabled it; deliveries holds the state of each event at each
	 * webhook: pending (with attempts and the next try), delivered, dead
	 * (given up) or skipped (filtered out). */
	"CREATE TABLE webhooks ("
	"  name TEXT PRIMARY KEY,"
	"  start_id INTEGER NOT NULL,"
	"  added_at INTEGER NOT NULL,"
	"  disabled_at INTEGER,"
	"  disabled_reason TEXT"
	");"
	"CREATE TABLE deliveries ("
	"  outbox_id INTEGER NOT NULL REFERENCES outbox(id),"
	"  webhook TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'skipped')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER,"
	"  last_at INTEGER,"
	"  last_status INTEGER,"
	"  last_error TEXT,"
	"  delivered_at INTEGER,"
	"  PRIMARY KEY (outbox_id, webhook)"
	");"
	"CREATE INDEX deliveries_state ON deliveries(webhook, state);",

	/* 7: the evidence chain (daemon/chain.c).  One signed manifest per
	 * committed run, in commit order (seq), each naming the hash of the one
	 * before; chain_genesis records when the chain began, so that a chain
	 * whose manifests were all deleted is not silently started again. */
	"CREATE TABLE manifests ("
	"  seq INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL UNIQUE,"
	"  sha256 TEXT NOT NULL,"
	"  prev_sha256 TEXT,"
	"  key_id TEXT NOT NULL,"
	"  signature TEXT NOT NULL,"
	"  body TEXT NOT NULL"
	");"
	"CREATE TABLE chain_genesis ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  created_at INTEGER NOT NULL,"
	"  key_id TEXT NOT NULL,"
	"  backlog INTEGER NOT NULL"
	");"
	"CREATE TRIGGER manifests_append_only_u BEFORE UPDATE ON manifests"
	"  BEGIN SELECT RAISE(ABORT, 'manifests are append-only'); END;"
	"CREATE TRIGGER manifests_append_only_d BEFORE DELETE ON manifests"
	"  BEGIN SELECT RAISE(ABORT, 'manifests are append-only'); END;"
	/* scheduled reports (daemon/report.c), one per kind and period */
	"CREATE TABLE reports ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  period TEXT NOT NULL,"
	"  generated_at INTEGER NOT NULL,"
	"  files TEXT NOT NULL,"
	"  UNIQUE (kind, period)"
	");"
	/* the last time an alertmanager webhook was sent the open NCs */
	"ALTER TABLE webhooks ADD COLUMN resent_at INTEGER;"
	/* the sealer and the verifier read a run's facts page by page: the
	 * run index gives them in that order, so no run is ever sorted */
	"DROP INDEX evidence_run;"
	"CREATE INDEX evidence_run ON evidence(run_id, coalesce(page_id, 0));",

	/* 8: the audit KPIs count classified events in a window.  Only a few
	 * events in a thousand have a category; this partial index holds just
	 * those (a canonical fact without one has "categories":[]), so the
	 * count reads them and not every event of the window. */
	("CREATE INDEX evidence_audit_flagged ON evidence(observed_at)"
	 "  WHERE kind = 'audit.event' AND instr(payload, '\"categories\":[]') = 0;"),

	/* 9: page blobs may be compressed.  codec says how data holds the
	 * body: NULL as received, 'zstd' as one zstd frame.  sha256 and size
	 * stay those of the body as received; readers get the body back
	 * through ismsd_blob(data, codec, size).  Existing rows keep NULL. */
	"ALTER TABLE blobs ADD COLUMN codec TEXT CHECK (codec IN ('zstd'));",
};

enum stmt_id {
	ST_RUN_BEGIN,
	ST_BLOB_INSERT,
	ST_PAGE_INSERT,
	ST_FACT_INSERT,
	ST_RUN_COMMIT,
	ST_RUN_KINDS,
	ST_LAST_CURSOR,
	ST_RUN_ABORT,
	ST_RUN_EVENT,
	ST_DELETE_BLOBS,
	ST_DELETE_EVIDENCE,
	ST__MAX
};

static const char *const stmt_sql[ST__MAX] = {
	[ST_RUN_BEGIN] = "INSERT INTO runs(source, type, started_at, outcome) VALUES (?, ?, ?, 'running')",
	[ST_BLOB_INSERT] = "INSERT OR IGNORE INTO blobs(sha256, size, data, codec) VALUES (?, ?, ?, ?)",
	[ST_PAGE_INSERT] = "INSERT INTO evidence(run_id, source, kind, collected_at, observed_at, sha256,"
			   " blob_sha256, url, http_status) VALUES (?, ?, 'raw.page', ?, ?, ?, ?, ?, ?)",
	/* OR IGNORE: the only constraint that can fail is evidence_dedup. */
	[ST_FACT_INSERT] = "INSERT OR IGNORE INTO evidence(run_id, source, kind, collected_at, observed_at, payload,"
			   " sha256, page_id, ext_id, dedup_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_RUN_COMMIT] = "UPDATE runs SET outcome = 'success', finished_at = ?1, cursor = ?3,"
			  " items = (SELECT count(*) FROM evidence WHERE run_id = ?2 AND kind != 'raw.page')"
			  " WHERE id = ?2 AND outcome = 'running'",
	[ST_RUN_KINDS] = "INSERT INTO run_kinds(run_id, source, kind, facts) SELECT run_id, source, kind, count(*)"
			 " FROM evidence WHERE run_id = ? AND kind != 'raw.page' GROUP BY kind",
	[ST_LAST_CURSOR] = "SELECT cursor FROM runs WHERE source = ? AND outcome = 'success' AND cursor IS NOT NULL"
			   " ORDER BY id DESC LIMIT 1",
	/* collector.failed when a source's run fails after a success (or as its
	 * first), collector.recovered when it succeeds after a failure: only
	 * the changes, so a source that keeps failing does not flood anyone.
	 * ?1 run, ?2 event type, ?3 time, ?4 the previous outcome it needs. */
	[ST_RUN_EVENT] = "INSERT INTO outbox(msg_id, type, created_at, nc_id, payload)"
			 " SELECT 'msg_' || lower(hex(randomblob(12))), ?2, ?3, NULL,"
			 " json_object('type', ?2, 'timestamp', strftime('%Y-%m-%dT%H:%M:%SZ', ?3, 'unixepoch'),"
			 " 'data', json_object('source', r.source, 'collector', r.type, 'run_id', r.id,"
			 " 'outcome', r.outcome, 'error', r.error, 'facts', r.items,"
			 " 'link', 'ismsctl runs list --source ' || r.source))"
			 " FROM runs r WHERE r.id = ?1 AND r.type != 'attestation'"
			 " AND coalesce((SELECT p.outcome FROM runs p WHERE p.source = r.source AND p.id < r.id"
			 " AND p.outcome IN ('success', 'failed') ORDER BY p.id DESC LIMIT 1), 'success') = ?4",
	[ST_RUN_ABORT] = "UPDATE runs SET outcome = ?, finished_at = ?, error = ?, items = 0"
			 " WHERE id = ? AND outcome = 'running'",
	/* Blobs only this run references. */
	[ST_DELETE_BLOBS] = "DELETE FROM blobs WHERE sha256 IN (SELECT blob_sha256 FROM evidence e"
			    " WHERE e.run_id = ?1 AND e.blob_sha256 IS NOT NULL AND NOT EXISTS"
			    " (SELECT 1 FROM evidence o WHERE o.blob_sha256 = e.blob_sha256 AND o.run_id != ?1))",
	[ST_DELETE_EVIDENCE] = "DELETE FROM evidence WHERE run_id = ?",
};

struct store {
	sqlite3 *db;
	unsigned flags;
	int in_tx;
	struct timespec tx_start; /* when the staging transaction began */
	uint64_t tx_bytes;	  /* and what it has staged */
	sqlite3_stmt *stmt[ST__MAX];
	store_seal_fn seal; /* called inside each run's commit transaction */
	void *seal_arg;
	ZSTD_CCtx *cctx; /* page compression, made at the first page */
	ZSTD_DCtx *dctx; /* for ismsd_blob(), made at the first zstd blob */
	void *zbuf;	 /* the compressed page, zcap bytes */
	size_t zcap;
};

void store_set_sealer(struct store *st, store_seal_fn fn, void *arg)
{
	st->seal = fn;
	st->seal_arg = arg;
}

static int sql_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	default:
		return -EIO;
	}
}

/* Runs a statement with no parameters and no rows. */
static int exec_simple(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		do
			rc = sqlite3_step(s);
		while (rc == SQLITE_ROW);
	}
	sqlite3_finalize(s);
	return sql_err(rc);
}

/* Runs a script of statements without parameters (migrations only). */
static int exec_script(struct store *st, const char *sql)
{
	const char *tail = sql;
	while (tail && *tail) {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(st->db, tail, -1, &s, &tail);
		if (rc != SQLITE_OK)
			return sql_err(rc);
		if (s == NULL)
			break;
		do
			rc = sqlite3_step(s);
		while (rc == SQLITE_ROW);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return sql_err(rc);
	}
	return 0;
}

const char *store_errmsg(struct store *st)
{
	return st && st->db ? sqlite3_errmsg(st->db) : "no store";
}

int store_schema_version(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int v = -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int set_user_version(struct store *st, int v)
{
	/* PRAGMA takes no bound parameters; v is an integer we control. */
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	return exec_simple(st, sql);
}

int store_migrate(struct store *st, int target, char *err, size_t errlen)
{
	int v = store_schema_version(st);
	if (v < 0) {
		snprintf(err, errlen, "cannot read the schema version: %s", store_errmsg(st));
		return -EIO;
	}
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "store schema version %d is newer than this ismsd (%d)", v, STORE_SCHEMA_VERSION);
		return -EPROTO;
	}
	for (; v < target; v++) {
		int r = exec_simple(st, "BEGIN IMMEDIATE");
		if (r == 0)
			r = exec_script(st, migrations[v]);
		if (r == 0)
			r = set_user_version(st, v + 1);
		if (r == 0)
			r = exec_simple(st, "COMMIT");
		if (r < 0) {
			snprintf(err, errlen, "migration to schema version %d failed: %s", v + 1, store_errmsg(st));
			exec_simple(st, "ROLLBACK");
			return r;
		}
	}
	return 0;
}

static int prepare_all(struct store *st)
{
	for (int i = 0; i < ST__MAX; i++) {
		int rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL);
		if (rc != SQLITE_OK)
			return sql_err(rc);
	}
	return 0;
}

/* ---- compressed blobs ------------------------------------------------------ */

/*
 * ismsd_blob(data, codec, size) and ismsd_blob_or_null(data, codec, size):
 * the body of a blobs row as it was received.  With codec NULL that is data
 * itself (NULL for a missing or pruned blob).  With codec 'zstd' data must
 * be exactly one zstd frame that names its content size, that size must be
 * size and at most STORE_BLOB_MAX, and the frame must decode to exactly
 * that many bytes.  When it does not, ismsd_blob() fails the statement with
 * the reason, and ismsd_blob_or_null() yields NULL (for `ismsctl verify`,
 * which names the page and goes on).  Decoding never succeeds silently on
 * a frame it could not read.
 */
static void blob_decode(sqlite3_context *ctx, sqlite3_value **argv, int lenient)
{
	struct store *st = sqlite3_user_data(ctx);
	char why[160];
	if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	const char *codec = (const char *)sqlite3_value_text(argv[1]);
	if (codec == NULL || strcmp(codec, "zstd") != 0) {
		snprintf(why, sizeof(why), "a page blob has the unknown codec '%s'", codec ? codec : "?");
		goto fail;
	}
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[2]) != SQLITE_INTEGER) {
		snprintf(why, sizeof(why), "a zstd page blob has no data or no size");
		goto fail;
	}
	const void *src = sqlite3_value_blob(argv[0]);
	size_t n = (size_t)sqlite3_value_bytes(argv[0]);
	sqlite3_int64 size = sqlite3_value_int64(argv[2]);
	unsigned long long claimed = src ? ZSTD_getFrameContentSize(src, n) : ZSTD_CONTENTSIZE_ERROR;
	if (claimed == ZSTD_CONTENTSIZE_ERROR || claimed == ZSTD_CONTENTSIZE_UNKNOWN) {
		snprintf(why, sizeof(why), "a zstd page blob is not a zstd frame that names its size");
		goto fail;
	}
	if (claimed > STORE_BLOB_MAX) {
		snprintf(why, sizeof(why), "a zstd page blob claims %llu bytes, more than the %u a page may have",
			 claimed, STORE_BLOB_MAX);
		goto fail;
	}
	if (size < 0 || (unsigned long long)size != claimed) {
		snprintf(why, sizeof(why), "a zstd page blob of %lld bytes holds a frame of %llu bytes",
			 (long long)size, claimed);
		goto fail;
	}
	size_t framed = ZSTD_findFrameCompressedSize(src, n);
	if (ZSTD_isError(framed) || framed != n) {
		snprintf(why, sizeof(why), "a zstd page blob is not exactly one zstd frame");
		goto fail;
	}
	if (st->dctx == NULL) {
		st->dctx = ZSTD_createDCtx();
		if (st->dctx == NULL) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
	}
	void *dst = sqlite3_malloc64(size > 0 ? (sqlite3_uint64)size : 1);
	if (dst == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	size_t got = ZSTD_decompressDCtx(st->dctx, dst, (size_t)size, src, n);
	if (ZSTD_isError(got) || got != (size_t)size) {
		snprintf(why, sizeof(why), "a zstd page blob does not decode: %s",
			 ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short frame");
		sqlite3_free(dst);
		goto fail;
	}
	sqlite3_result_blob64(ctx, dst, (sqlite3_uint64)size, sqlite3_free);
	return;
fail:
	if (lenient)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_error(ctx, why, -1);
}

static void sql_blob(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	blob_decode(ctx, argv, 0);
}

static void sql_blob_or_null(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	blob_decode(ctx, argv, 1);
}

static int register_functions(struct store *st)
{
	int fl = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY;
	int rc = sqlite3_create_function_v2(st->db, "ismsd_blob", 3, fl, st, sql_blob, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(st->db, "ismsd_blob_or_null", 3, fl, st, sql_blob_or_null, NULL, NULL,
						NULL);
	return sql_err(rc);
}

/* Compresses a page body into st->zbuf when zstd saves at least a tenth of
 * it.  Returns the compressed length, or 0 to store the body as it is (too
 * short or too long, not compressible enough, or zstd failed). */
static size_t blob_compress(struct store *st, const void *body, size_t len)
{
	if (len < BLOB_ZSTD_MIN || len > STORE_BLOB_MAX)
		return 0;
	size_t cap = len * 9 / 10; /* a frame that does not fit saves too little */
	if (st->zcap < cap) {
		void *p = realloc(st->zbuf, cap);
		if (p == NULL)
			return 0;
		st->zbuf = p;
		st->zcap = cap;
	}
	if (st->cctx == NULL) {
		st->cctx = ZSTD_createCCtx();
		if (st->cctx == NULL)
			return 0;
	}
	size_t n = ZSTD_compressCCtx(st->cctx, st->zbuf, cap, body, len, BLOB_ZSTD_LEVEL);
	return ZSTD_isError(n) ? 0 : n;
}

int store_open(const char *path, unsigned flags, struct store **out, char *err, size_t errlen)
{
	int r;
	struct store *st = calloc(1, sizeof(*st));
	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	st->flags = flags;
	int oflags = SQLITE_OPEN_NOMUTEX;
	if (flags & STORE_READONLY) {
		oflags |= SQLITE_OPEN_READONLY;
	} else {
		/* Create the file ourselves so that it is 0600 from the first byte;
		 * sqlite gives the -wal and -shm files the same mode.  Only when
		 * it does not exist: closing any descriptor of a file drops every
		 * POSIX lock this process holds on it, so opening and closing an
		 * existing store while another connection of this process has it
		 * open (the daemon's main thread, a worker) would drop that
		 * connection's locks and let writers corrupt the database. */
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno != EEXIST) {
			r = -errno;
			snprintf(err, errlen, "cannot open store %s: %s", path, strerror(errno));
			goto fail;
		}
		if (fd >= 0)
			close(fd);
		oflags |= SQLITE_OPEN_READWRITE;
	}
	int rc = sqlite3_open_v2(path, &st->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		r = sql_err(rc);
		snprintf(err, errlen, "cannot open store %s: %s", path, st->db ? sqlite3_errmsg(st->db) : "error");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	r = register_functions(st);
	if (r < 0) {
		snprintf(err, errlen, "cannot set up store %s: %s", path, store_errmsg(st));
		goto fail;
	}
	struct stat sb;
	if ((flags & STORE_CHECK) && stat(path, &sb) == 0 && sb.st_size > 0) {
		char why[256];
		if (store_check(st, why, sizeof(why)) < 0) {
			r = -EBADMSG;
			snprintf(err, errlen,
				 "evidence store %s failed its integrity check (%s); refusing to use it and leaving the "
				 "file untouched for inspection",
				 path, why);
			goto fail;
		}
	}
	if (!(flags & STORE_READONLY)) {
		r = exec_simple(st, "PRAGMA journal_mode = WAL");
		if (r == 0)
			r = exec_simple(st, "PRAGMA synchronous = NORMAL");
		if (r < 0) {
			snprintf(err, errlen, "cannot set up store %s: %s", path, store_errmsg(st));
			goto fail;
		}
	}
	r = exec_simple(st, "PRAGMA foreign_keys = ON");
	if (r < 0) {
		snprintf(err, errlen, "cannot read store %s: %s", path, store_errmsg(st));
		goto fail;
	}
	if (!(flags & (STORE_NO_MIGRATE | STORE_READONLY))) {
		r = store_migrate(st, STORE_SCHEMA_VERSION, err, errlen);
		if (r < 0)
			goto fail;
	}
	int v = store_schema_version(st);
	if (v < 0) {
		r = -EBADMSG;
		snprintf(err, errlen, "store %s is not a database: %s", path, store_errmsg(st));
		goto fail;
	}
	if ((flags & STORE_READONLY) && v != STORE_SCHEMA_VERSION) {
		r = -EPROTO;
		snprintf(err, errlen, "store %s has schema version %d, this program needs %d (start ismsd once to migrate)",
			 path, v, STORE_SCHEMA_VERSION);
		goto fail;
	}
	if (v == STORE_SCHEMA_VERSION && !(flags & STORE_READONLY)) {
		r = prepare_all(st);
		if (r < 0) {
			snprintf(err, errlen, "cannot prepare statements: %s", store_errmsg(st));
			goto fail;
		}
	}
	*out = st;
	return 0;
fail:
	store_close(st);
	return r;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < ST__MAX; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	/* after the connection, which may call ismsd_blob() until it closes */
	ZSTD_freeCCtx(st->cctx);
	ZSTD_freeDCtx(st->dctx);
	free(st->zbuf);
	free(st);
}

int store_check(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA quick_check", -1, &s, NULL);
	int r = 0;
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(st->db));
		return sql_err(rc) ? sql_err(rc) : -EBADMSG;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(st->db));
		r = -EBADMSG;
	} else {
		const char *res = (const char *)sqlite3_column_text(s, 0);
		if (res == NULL || strcmp(res, "ok") != 0) {
			snprintf(err, errlen, "%s", res ? res : "quick_check failed");
			r = -EBADMSG;
		}
	}
	sqlite3_finalize(s);
	return r;
}

/* ---- runs ----------------------------------------------------------------- */

static int step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : sql_err(rc);
}

static int tx_begin(struct store *st)
{
	if (st->in_tx)
		return 0;
	int r = exec_simple(st, "BEGIN IMMEDIATE");
	if (r == 0) {
		st->in_tx = 1;
		st->tx_bytes = 0;
		clock_gettime(CLOCK_MONOTONIC, &st->tx_start);
	}
	return r;
}

static void tx_rollback(struct store *st)
{
	if (st->in_tx)
		exec_simple(st, "ROLLBACK");
	st->in_tx = 0;
}

int store_run_flush(struct store *st)
{
	if (!st->in_tx)
		return 0;
	int r = exec_simple(st, "COMMIT");
	if (r < 0) {
		tx_rollback(st);
		return r;
	}
	st->in_tx = 0;
	return 0;
}

int store_run_pace(struct store *st)
{
	if (!st->in_tx)
		return 0;
	if (util_ms_since(&st->tx_start) < STORE_STAGE_MS && st->tx_bytes < STORE_STAGE_BYTES)
		return 0;
	return store_run_flush(st);
}

int store_run_begin(struct store *st, const char *source, const char *type, time_t started, int64_t *run_id)
{
	sqlite3_stmt *s = st->stmt[ST_RUN_BEGIN];
	if (s == NULL)
		return -EACCES;
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)started);
	int r = step_done(s);
	if (r == 0)
		*run_id = sqlite3_last_insert_rowid(st->db);
	return r;
}

int store_add_page(struct store *st, int64_t run_id, const char *source, time_t received, const char *url,
		   long http_status, const void *body, size_t len, int64_t *id)
{
	char hash[UTIL_SHA256_HEX_LEN + 1];
	util_sha256_hex(body, len, hash);
	/* the hash and the size are of the body as received, whatever is stored */
	size_t zlen = blob_compress(st, body, len);
	int r = tx_begin(st);
	if (r < 0)
		return r;
	sqlite3_stmt *b = st->stmt[ST_BLOB_INSERT];
	sqlite3_bind_text(b, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(b, 2, (sqlite3_int64)len);
	if (zlen > 0) {
		sqlite3_bind_blob64(b, 3, st->zbuf, zlen, SQLITE_STATIC);
		sqlite3_bind_text(b, 4, "zstd", -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_blob64(b, 3, body, len, SQLITE_STATIC);
		sqlite3_bind_null(b, 4);
	}
	r = step_done(b);
	if (r < 0)
		goto fail;
	st->tx_bytes += zlen > 0 ? zlen : len;
	sqlite3_stmt *p = st->stmt[ST_PAGE_INSERT];
	sqlite3_bind_int64(p, 1, run_id);
	sqlite3_bind_text(p, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(p, 3, (sqlite3_int64)received);
	sqlite3_bind_int64(p, 4, (sqlite3_int64)received);
	sqlite3_bind_text(p, 5, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(p, 6, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(p, 7, url, -1, SQLITE_STATIC);
	sqlite3_bind_int64(p, 8, http_status);
	r = step_done(p);
	if (r < 0)
		goto fail;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
fail:
	tx_rollback(st);
	return r;
}

int store_add_fact(struct store *st, int64_t run_id, const char *source, const char *kind, time_t collected,
		   time_t observed, const char *ext_id, int dedup, const char *json, size_t len, int64_t page_id,
		   int64_t *id)
{
	char hash[UTIL_SHA256_HEX_LEN + 1];
	util_sha256_hex(json, len, hash);
	int r = tx_begin(st);
	if (r < 0)
		return r;
	sqlite3_stmt *s = st->stmt[ST_FACT_INSERT];
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)collected);
	if (observed > 0)
		sqlite3_bind_int64(s, 5, (sqlite3_int64)observed);
	else
		sqlite3_bind_null(s, 5);
	sqlite3_bind_text64(s, 6, json, len, SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_text(s, 7, hash, -1, SQLITE_STATIC);
	if (page_id > 0)
		sqlite3_bind_int64(s, 8, page_id);
	else
		sqlite3_bind_null(s, 8);
	if (ext_id != NULL)
		sqlite3_bind_text(s, 9, ext_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 9);
	if (dedup && ext_id != NULL)
		sqlite3_bind_text(s, 10, ext_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 10);
	r = step_done(s);
	if (r < 0) {
		tx_rollback(st);
		return r;
	}
	st->tx_bytes += len;
	if (sqlite3_changes(st->db) == 0)
		return 1; /* already stored: a duplicate */
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_last_cursor(struct store *st, const char *source, char **cursor)
{
	*cursor = NULL;
	sqlite3_stmt *s = st->stmt[ST_LAST_CURSOR];
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	int r = 0;
	if (rc == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(s, 0);
		*cursor = c ? strdup(c) : NULL;
		if (c && *cursor == NULL)
			r = -ENOMEM;
	} else if (rc != SQLITE_DONE) {
		r = sql_err(rc);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return r;
}

/* Writes a collector event into the outbox, in the current transaction,
 * when the run's source changed state (see ST_RUN_EVENT). */
static int run_event(struct store *st, int64_t run_id, const char *type, time_t at, const char *previous)
{
	sqlite3_stmt *s = st->stmt[ST_RUN_EVENT];
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_text(s, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)at);
	sqlite3_bind_text(s, 4, previous, -1, SQLITE_STATIC);
	return step_done(s);
}

int store_run_commit(struct store *st, int64_t run_id, time_t finished, const char *cursor)
{
	int r = store_run_flush(st);
	if (r < 0)
		return r;
	r = exec_simple(st, "PRAGMA synchronous = FULL");
	if (r < 0)
		return r;
	r = tx_begin(st);
	if (r == 0) {
		sqlite3_stmt *s = st->stmt[ST_RUN_COMMIT];
		sqlite3_bind_int64(s, 1, (sqlite3_int64)finished);
		sqlite3_bind_int64(s, 2, run_id);
		if (cursor != NULL)
			sqlite3_bind_text(s, 3, cursor, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 3);
		r = step_done(s);
		if (r == 0 && sqlite3_changes(st->db) != 1)
			r = -ESTALE; /* the run was not running any more */
		if (r == 0) {
			sqlite3_stmt *k = st->stmt[ST_RUN_KINDS];
			sqlite3_bind_int64(k, 1, run_id);
			r = step_done(k);
		}
		if (r == 0)
			r = run_event(st, run_id, "collector.recovered", finished, "failed");
		if (r == 0 && st->seal != NULL)
			r = st->seal(st, run_id, st->seal_arg);
	}
	if (r == 0)
		r = store_run_flush(st);
	else
		tx_rollback(st);
	int r2 = exec_simple(st, "PRAGMA synchronous = NORMAL");
	return r < 0 ? r : r2;
}

static int delete_staged(struct store *st, int64_t run_id)
{
	sqlite3_stmt *b = st->stmt[ST_DELETE_BLOBS];
	sqlite3_bind_int64(b, 1, run_id);
	int r = step_done(b);
	if (r < 0)
		return r;
	sqlite3_stmt *e = st->stmt[ST_DELETE_EVIDENCE];
	sqlite3_bind_int64(e, 1, run_id);
	return step_done(e);
}

int store_run_abort(struct store *st, int64_t run_id, time_t finished, const char *outcome, const char *error)
{
	/* Whatever the current staging transaction holds goes first. */
	tx_rollback(st);
	int r = tx_begin(st);
	if (r < 0)
		return r;
	/* Blobs go before the rows that reference them: check at COMMIT. */
	r = exec_simple(st, "PRAGMA defer_foreign_keys = ON");
	if (r == 0)
		r = delete_staged(st, run_id);
	if (r == 0) {
		sqlite3_stmt *s = st->stmt[ST_RUN_ABORT];
		sqlite3_bind_text(s, 1, outcome, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)finished);
		sqlite3_bind_text(s, 3, error ? error : "unknown error", -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, run_id);
		r = step_done(s);
	}
	if (r == 0 && strcmp(outcome, "failed") == 0)
		r = run_event(st, run_id, "collector.failed", finished, "success");
	if (r == 0)
		return store_run_flush(st);
	tx_rollback(st);
	return r;
}

int store_recover(struct store *st, int *count)
{
	*count = 0;
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(st->db, "SELECT id FROM runs WHERE outcome = 'running'", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_err(rc);
	int64_t *ids = NULL;
	size_t n = 0;
	int r = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t *p = realloc(ids, (n + 1) * sizeof(*p));
		if (p == NULL) {
			r = -ENOMEM;
			break;
		}
		ids = p;
		ids[n++] = sqlite3_column_int64(q, 0);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = sql_err(rc);
	sqlite3_finalize(q);
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = store_run_abort(st, ids[i], util_now(), "interrupted",
				    "interrupted: ismsd stopped before the run finished");
		if (r == 0)
			(*count)++;
	}
	free(ids);
	return r;
}

/* ---- reading ---------------------------------------------------------------- */

static json_t *time_or_null(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return json_null();
	char buf[UTIL_ISO_TIME_LEN];
	util_time_iso((time_t)sqlite3_column_int64(s, col), buf);
	return json_string(buf);
}

static json_t *text_or_null(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? json_string((const char *)t) : json_null();
}

static json_t *run_row(sqlite3_stmt *s)
{
	/* columns: id, source, type, started_at, finished_at, outcome, error, items */
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:I}", "id", (json_int_t)sqlite3_column_int64(s, 0),
			 "source", text_or_null(s, 1), "type", text_or_null(s, 2), "started_at", time_or_null(s, 3),
			 "finished_at", time_or_null(s, 4), "outcome", text_or_null(s, 5), "error",
			 text_or_null(s, 6), "items", (json_int_t)sqlite3_column_int64(s, 7));
}

int store_list_runs(struct store *st, const char *source, unsigned limit, json_t **out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db,
				    "SELECT id, source, type, started_at, finished_at, outcome, error, items FROM runs"
				    " WHERE (?1 IS NULL OR source = ?1) ORDER BY id DESC LIMIT ?2",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_err(rc);
	if (source != NULL)
		sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, limit ? (int)limit : 100);
	json_t *arr = json_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(arr, run_row(s));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return sql_err(rc);
	}
	*out = arr;
	return 0;
}

#define EVIDENCE_COLS                                                                         \
	"e.id, e.run_id, e.source, e.kind, e.collected_at, e.observed_at, e.sha256, e.url, " \
	"e.http_status, e.page_id, e.ext_id, e.blob_sha256, coalesce(length(e.payload), b.size)"

static json_t *evidence_row(sqlite3_stmt *s)
{
	json_t *o = json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)sqlite3_column_int64(s, 0),
			      "run_id", (json_int_t)sqlite3_column_int64(s, 1), "source", text_or_null(s, 2), "kind",
			      text_or_null(s, 3), "collected_at", time_or_null(s, 4), "observed_at",
			      time_or_null(s, 5), "sha256", text_or_null(s, 6));
	if (o == NULL)
		return NULL;
	if (sqlite3_column_type(s, 7) != SQLITE_NULL) {
		json_object_set_new(o, "url", text_or_null(s, 7));
		json_object_set_new(o, "http_status", json_integer(sqlite3_column_int64(s, 8)));
	}
	if (sqlite3_column_type(s, 9) != SQLITE_NULL)
		json_object_set_new(o, "page_id", json_integer(sqlite3_column_int64(s, 9)));
	if (sqlite3_column_type(s, 10) != SQLITE_NULL)
		json_object_set_new(o, "ext_id", text_or_null(s, 10));
	json_object_set_new(o, "size", json_integer(sqlite3_column_int64(s, 12)));
	return o;
}

int store_list_evidence(struct store *st, const struct store_evidence_filter *f, json_t **out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db,
				    "SELECT " EVIDENCE_COLS " FROM evidence e JOIN runs r ON r.id = e.run_id"
				    " LEFT JOIN blobs b ON b.sha256 = e.blob_sha256"
				    " WHERE r.outcome = 'success' AND (?1 IS NULL OR e.source = ?1)"
				    " AND (?2 IS NULL OR e.kind = ?2) AND (?3 = 0 OR e.run_id = ?3)"
				    " ORDER BY e.id DESC LIMIT ?4",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_err(rc);
	if (f->source)
		sqlite3_bind_text(s, 1, f->source, -1, SQLITE_STATIC);
	if (f->kind)
		sqlite3_bind_text(s, 2, f->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, f->run_id);
	sqlite3_bind_int(s, 4, f->limit ? (int)f->limit : 100);
	json_t *arr = json_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(arr, evidence_row(s));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return sql_err(rc);
	}
	*out = arr;
	return 0;
}

int store_get_evidence(struct store *st, int64_t id, json_t **out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db,
				    "SELECT " EVIDENCE_COLS ", e.payload FROM evidence e JOIN runs r ON r.id = e.run_id"
				    " LEFT JOIN blobs b ON b.sha256 = e.blob_sha256"
				    " WHERE r.outcome = 'success' AND e.id = ?",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_err(rc);
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return rc == SQLITE_DONE ? -ENOENT : sql_err(rc);
	}
	json_t *o = evidence_row(s);
	if (sqlite3_column_type(s, 13) != SQLITE_NULL) {
		const char *txt = (const char *)sqlite3_column_text(s, 13);
		json_error_t jerr;
		json_t *facts = txt ? json_loads(txt, JSON_DECODE_ANY, &jerr) : NULL;
		json_object_set_new(o, "facts", facts ? facts : json_string(txt ? txt : ""));
	}
	sqlite3_finalize(s);
	*out = o;
	return 0;
}

int store_get_page_body(struct store *st, int64_t id, char **data, size_t *len)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db,
				    "SELECT ismsd_blob(b.data, b.codec, b.size) FROM evidence e"
				    " JOIN runs r ON r.id = e.run_id JOIN blobs b ON b.sha256 = e.blob_sha256"
				    " WHERE r.outcome = 'success' AND e.id = ?",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_err(rc);
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	int r = 0;
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(s, 0);
		char *p = malloc(n + 1);
		if (p == NULL) {
			r = -ENOMEM;
		} else {
			if (n > 0)
				memcpy(p, sqlite3_column_blob(s, 0), n);
			p[n] = '\0';
			*data = p;
			*len = n;
		}
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : sql_err(rc);
	}
	sqlite3_finalize(s);
	return r;
}

int store_source_summary(struct store *st, json_t **out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(
		st->db,
		"SELECT r.id, r.source, r.type, r.started_at, r.finished_at, r.outcome, r.error, r.items,"
		" (SELECT max(started_at) FROM runs o WHERE o.source = r.source AND o.outcome = 'success')"
		" FROM runs r WHERE r.id = (SELECT max(id) FROM runs m WHERE m.source = r.source)"
		" ORDER BY r.source",
		-1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_err(rc);
	json_t *obj = json_object();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *o = json_pack("{s:o, s:o}", "last_run", run_row(s), "last_success", time_or_null(s, 8));
		json_object_set_new(obj, (const char *)sqlite3_column_text(s, 1), o);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		json_decref(obj);
		return sql_err(rc);
	}
	*out = obj;
	return 0;
}

/* ---- prepared queries ------------------------------------------------------------ */

int store_query(struct store *st, const char *sql, const struct store_val *args, size_t n_args,
		int (*row)(void *arg, const struct store_val *cols, size_t n_cols), void *arg, int *changes)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_err(rc);
	for (size_t i = 0; i < n_args; i++) {
		int k = (int)i + 1;
		switch (args[i].type) {
		case STORE_NULL:
			sqlite3_bind_null(s, k);
			break;
		case STORE_INT:
			sqlite3_bind_int64(s, k, args[i].i);
			break;
		case STORE_REAL:
			sqlite3_bind_double(s, k, args[i].d);
			break;
		case STORE_TEXT:
			sqlite3_bind_text(s, k, args[i].s, -1, SQLITE_TRANSIENT);
			break;
		}
	}
	int r = 0;
	struct store_val cols[32];
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (row == NULL)
			continue;
		int n = sqlite3_column_count(s);
		if (n > 32)
			n = 32;
		for (int c = 0; c < n; c++) {
			memset(&cols[c], 0, sizeof(cols[c]));
			switch (sqlite3_column_type(s, c)) {
			case SQLITE_INTEGER:
				cols[c].type = STORE_INT;
				cols[c].i = sqlite3_column_int64(s, c);
				cols[c].d = (double)cols[c].i;
				break;
			case SQLITE_FLOAT:
				cols[c].type = STORE_REAL;
				cols[c].d = sqlite3_column_double(s, c);
				cols[c].i = (int64_t)cols[c].d;
				break;
			case SQLITE_TEXT:
			case SQLITE_BLOB:
				cols[c].type = STORE_TEXT;
				cols[c].s = (const char *)sqlite3_column_text(s, c);
				cols[c].len = (size_t)sqlite3_column_bytes(s, c);
				break;
			default:
				cols[c].type = STORE_NULL;
				break;
			}
		}
		r = row(arg, cols, (size_t)n);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = sql_err(rc);
	if (changes != NULL)
		*changes = sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return r;
}

int64_t store_last_id(struct store *st)
{
	return sqlite3_last_insert_rowid(st->db);
}

int store_begin(struct store *st)
{
	int r = exec_simple(st, "PRAGMA synchronous = FULL");
	return r < 0 ? r : tx_begin(st);
}

int store_commit(struct store *st)
{
	int r = store_run_flush(st);
	exec_simple(st, "PRAGMA synchronous = NORMAL");
	return r;
}

void store_rollback(struct store *st)
{
	tx_rollback(st);
	exec_simple(st, "PRAGMA synchronous = NORMAL");
}

/* ---- limits and retention -------------------------------------------------------- */

int store_set_max_size(struct store *st, uint64_t bytes)
{
	if (bytes == 0)
		return 0;
	sqlite3_stmt *s = NULL;
	int64_t page = 4096;
	if (sqlite3_prepare_v2(st->db, "PRAGMA page_size", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		page = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	/* PRAGMA takes no bound parameters; the count is a number we computed */
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", (long long)(bytes / (uint64_t)(page > 0 ? page : 4096)));
	return exec_simple(st, sql);
}

int store_prune_pages(struct store *st, time_t before, int *pruned)
{
	*pruned = 0;
	int r = tx_begin(st);
	if (r == 0)
		r = exec_simple(st, "PRAGMA defer_foreign_keys = ON");
	sqlite3_stmt *s = NULL;
	if (r == 0) {
		/* blobs that only pages older than the cut-off refer to */
		int rc = sqlite3_prepare_v2(st->db,
					    "DELETE FROM blobs WHERE sha256 IN (SELECT blob_sha256 FROM evidence"
					    " WHERE kind = 'raw.page' AND collected_at < ?1 AND blob_sha256 IS NOT NULL)"
					    " AND NOT EXISTS (SELECT 1 FROM evidence o WHERE o.blob_sha256 = blobs.sha256"
					    " AND o.collected_at >= ?1)",
					    -1, &s, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(s, 1, (sqlite3_int64)before);
			rc = sqlite3_step(s);
		}
		sqlite3_finalize(s);
		r = rc == SQLITE_DONE ? 0 : sql_err(rc ? rc : SQLITE_ERROR);
	}
	if (r == 0) {
		int rc = sqlite3_prepare_v2(st->db,
					    "UPDATE evidence SET blob_sha256 = NULL WHERE kind = 'raw.page'"
					    " AND collected_at < ?1 AND blob_sha256 IS NOT NULL"
					    " AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = evidence.blob_sha256)",
					    -1, &s, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(s, 1, (sqlite3_int64)before);
			rc = sqlite3_step(s);
		}
		*pruned = sqlite3_changes(st->db);
		sqlite3_finalize(s);
		r = rc == SQLITE_DONE ? 0 : sql_err(rc ? rc : SQLITE_ERROR);
	}
	if (r == 0)
		return store_run_flush(st);
	tx_rollback(st);
	*pruned = 0;
	return r;
}
