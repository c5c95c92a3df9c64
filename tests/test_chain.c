/*
 * test_chain.c: the evidence chain.  Runs are committed through the store
 * with the chain attached; the store is then tampered with through raw
 * sqlite (as someone with write access to the file would), and
 * chain_verify() must name each change: a flipped blob byte, an edited
 * fact, a deleted run, two re-ordered runs, an added run, a forged
 * manifest.  Also: the signing key's file rules, the backlog sealed at the
 * chain's start, and retention pruning, which verify must accept.
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

#include "chain.h"
#include "store.h"
#include "testhelp.h"
#include "util.h"

/* Runs raw SQL on the store file, the way an attacker would. */
static int raw_sql(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	int rc = sqlite3_open(db, &h);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc == SQLITE_OK ? 0 : -1;
}

/* Runs one query that returns a single integer, through raw sqlite. */
static long long scalar_raw(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	long long v = -1;
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

struct fixture {
	char *dir, *db, *keypath;
	struct chain_key *key;
	int64_t runs[3];
};

/* One run of source with two pages, each with two facts. */
static int64_t add_run(struct store *st, const char *source, time_t t)
{
	int64_t run = 0, page = 0, fact = 0;
	CU_ASSERT_EQUAL_FATAL(store_run_begin(st, source, "http-json", t, &run), 0);
	for (int p = 0; p < 2; p++) {
		char body[128], fjson[128];
		snprintf(body, sizeof(body), "{\"items\":[{\"host\":\"h%d\"},{\"host\":\"g%d\"}],\"src\":\"%s\",\"t\":%ld}", p,
			 p, source, (long)t);
		CU_ASSERT_EQUAL_FATAL(store_add_page(st, run, source, t, "https://api.example.test/v1/items", 200, body,
						     strlen(body), &page),
				      0);
		for (int f = 0; f < 2; f++) {
			snprintf(fjson, sizeof(fjson), "{\"host\":\"%c%d\",\"patched\":%s}", f ? 'g' : 'h', p,
				 f ? "true" : "false");
			CU_ASSERT_EQUAL_FATAL(store_add_fact(st, run, source, "patch.host", t, t - 60, NULL, 0, fjson,
							     strlen(fjson), page, &fact),
					      0);
		}
		CU_ASSERT_EQUAL_FATAL(store_run_flush(st), 0);
	}
	CU_ASSERT_EQUAL_FATAL(store_run_commit(st, run, t + 5, NULL), 0);
	return run;
}

static void fixture_make(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	char err[512];
	f->dir = th_mkdtemp();
	f->db = th_path(f->dir, "evidence.db");
	f->keypath = th_path(f->dir, CHAIN_KEY_FILE);
	CU_ASSERT_EQUAL_FATAL(chain_key_load(f->keypath, 1, &f->key, err, sizeof(err)), 0);
	struct store *st = NULL;
	CU_ASSERT_EQUAL_FATAL(store_open(f->db, 0, &st, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(chain_attach(st, f->key, NULL, err, sizeof(err)), 0);
	f->runs[0] = add_run(st, "alpha", 1790000000);
	f->runs[1] = add_run(st, "beta", 1790003600);
	f->runs[2] = add_run(st, "gamma", 1790007200);
	store_close(st);
}

static void fixture_free(struct fixture *f)
{
	chain_key_free(f->key);
	th_rmrf(f->dir);
	free(f->dir);
	free(f->db);
	free(f->keypath);
}

/* Verifies the store; returns the result (caller decrefs). */
static json_t *verify(struct fixture *f, const struct chain_key *pub)
{
	char err[512];
	struct store *st = NULL;
	json_t *res = NULL;
	CU_ASSERT_EQUAL_FATAL(store_open(f->db, STORE_READONLY, &st, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(chain_verify(st, pub ? pub : f->key, 0, &res), 0);
	store_close(st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	return res;
}

static const char *first_problem(json_t *res)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(res, "problems"), 0), "what"));
}

static int64_t first_run(json_t *res)
{
	return json_integer_value(json_object_get(json_array_get(json_object_get(res, "problems"), 0), "run"));
}

static void test_key(void)
{
	char *dir = th_mkdtemp();
	char *path = th_path(dir, "k.pem");
	char pubpath[4096], err[512];
	snprintf(pubpath, sizeof(pubpath), "%s%s", path, CHAIN_PUB_SUFFIX);
	struct chain_key *k = NULL, *k2 = NULL, *pub = NULL;

	/* Not there, not asked to create it. */
	CU_ASSERT_EQUAL(chain_key_load(path, 0, &k, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));

	CU_ASSERT_EQUAL_FATAL(chain_key_load(path, 1, &k, err, sizeof(err)), 0);
	struct stat sb;
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(stat(pubpath, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0644);
	const char *id = chain_key_id(k);
	CU_ASSERT_EQUAL(strlen(id), 7 + 64);
	CU_ASSERT_EQUAL(strncmp(id, "SHA256:", 7), 0);

	/* Loaded again: the same key, not a new one. */
	CU_ASSERT_EQUAL_FATAL(chain_key_load(path, 1, &k2, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(chain_key_id(k2), id);
	CU_ASSERT_EQUAL_FATAL(chain_key_load_public(pubpath, &pub, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(chain_key_id(pub), id);

	/* The public key cannot seal. */
	struct store *st = NULL;
	char *db = th_path(dir, "e.db");
	CU_ASSERT_EQUAL_FATAL(store_open(db, 0, &st, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(chain_attach(st, pub, NULL, err, sizeof(err)), -EINVAL);
	store_close(st);

	/* A key others can read is refused, and so is one that is not a key. */
	chain_key_free(k2);
	k2 = NULL;
	CU_ASSERT_EQUAL(chmod(path, 0644), 0);
	CU_ASSERT_EQUAL(chain_key_load(path, 1, &k2, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "0644"));
	char *junk = th_write(dir, "junk.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 0600);
	CU_ASSERT_EQUAL(chain_key_load(junk, 0, &k2, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NULL(k2);

	chain_key_free(k);
	chain_key_free(pub);
	free(junk);
	free(db);
	th_rmrf(dir);
	free(dir);
	free(path);
}

static void test_untouched(void)
{
	struct fixture f;
	fixture_make(&f);
	json_t *res = verify(&f, NULL);
	CU_ASSERT_TRUE(json_is_true(json_object_get(res, "ok")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "manifests")), 3);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "pages")), 6);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "facts")), 12);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(res, "problems")), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(res, "head"), "seq")), 3);
	json_decref(res);

	/* The manifests link up, name the runs' items, and are signed. */
	char err[512];
	struct store *st = NULL;
	CU_ASSERT_EQUAL_FATAL(store_open(f.db, STORE_READONLY, &st, err, sizeof(err)), 0);
	struct chain_manifest m1, m2;
	CU_ASSERT_EQUAL_FATAL(chain_manifest_get(st, f.runs[0], &m1), 0);
	CU_ASSERT_EQUAL_FATAL(chain_manifest_get(st, f.runs[1], &m2), 0);
	CU_ASSERT_EQUAL(m1.seq, 1);
	CU_ASSERT_PTR_NULL(m1.prev_sha256);
	CU_ASSERT_STRING_EQUAL(m2.prev_sha256, m1.sha256);
	char hash[65];
	util_sha256_hex(m1.body, m1.body_len, hash);
	CU_ASSERT_STRING_EQUAL(hash, m1.sha256);
	CU_ASSERT_EQUAL(chain_check_signature(f.key, m1.body, m1.body_len, m1.signature), 0);
	CU_ASSERT_EQUAL(chain_check_signature(f.key, m2.body, m2.body_len, m1.signature), -EBADMSG);
	json_t *b = json_loadb(m2.body, m2.body_len, 0, NULL);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(b, "format")), CHAIN_FORMAT);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(b, "prev")), m1.sha256);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(b, "run"), "source")), "beta");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(b, "run"), "started_at")),
			       "2026-09-21T15:13:20Z");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(b, "pages")), 2);
	/* The facts, as one group per page: run 2's first page is evidence 7,
	 * its facts 8 and 9; the group hashes their lines. */
	CU_ASSERT_EQUAL(json_array_size(json_object_get(b, "facts")), 2);
	json_t *grp = json_array_get(json_object_get(b, "facts"), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(grp, "page")), 7);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(grp, "count")), 2);
	const char *f0 = "{\"host\":\"h0\",\"patched\":false}", *f1 = "{\"host\":\"g0\",\"patched\":true}";
	char h0[65], h1[65], lines[512];
	util_sha256_hex(f0, strlen(f0), h0);
	util_sha256_hex(f1, strlen(f1), h1);
	snprintf(lines, sizeof(lines), "8 patch.host %s 2026-09-21T15:12:20Z\n9 patch.host %s 2026-09-21T15:12:20Z\n", h0,
		 h1);
	util_sha256_hex(lines, strlen(lines), hash);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(grp, "sha256")), hash);
	json_decref(b);
	int64_t seq = 0;
	CU_ASSERT_EQUAL(chain_head(st, &seq, hash), 0);
	CU_ASSERT_EQUAL(seq, 3);
	chain_manifest_clear(&m1);
	chain_manifest_clear(&m2);
	store_close(st);

	/* Another key does not verify it. */
	char *other = th_path(f.dir, "other.key");
	struct chain_key *k2 = NULL;
	CU_ASSERT_EQUAL_FATAL(chain_key_load(other, 1, &k2, err, sizeof(err)), 0);
	res = verify(&f, k2);
	CU_ASSERT_FALSE(json_is_true(json_object_get(res, "ok")));
	CU_ASSERT_PTR_NOT_NULL(strstr(first_problem(res), "signature"));
	CU_ASSERT_EQUAL(first_run(res), f.runs[0]);
	json_decref(res);
	chain_key_free(k2);
	free(other);
	fixture_free(&f);
}

static void test_blob_byte(void)
{
	struct fixture f;
	fixture_make(&f);
	/* Flip one byte of the first page of the second run. */
	char sql[512], hash[65];
	snprintf(sql, sizeof(sql),
		 "UPDATE blobs SET data = CAST(replace(CAST(data AS TEXT), 'h1', 'h2') AS BLOB) WHERE sha256 ="
		 " (SELECT blob_sha256 FROM evidence WHERE run_id = %lld AND kind = 'raw.page' ORDER BY id LIMIT 1 OFFSET 1)",
		 (long long)f.runs[1]);
	CU_ASSERT_EQUAL_FATAL(raw_sql(f.db, sql), 0);
	json_t *res = verify(&f, NULL);
	CU_ASSERT_FALSE(json_is_true(json_object_get(res, "ok")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "problem_count")), 1);
	CU_ASSERT_EQUAL(first_run(res), f.runs[1]);
	const char *what = first_problem(res);
	char body[128];
	snprintf(body, sizeof(body), "{\"items\":[{\"host\":\"h1\"},{\"host\":\"g1\"}],\"src\":\"beta\",\"t\":1790003600}");
	util_sha256_hex(body, strlen(body), hash);
	CU_ASSERT_PTR_NOT_NULL(strstr(what, hash));
	CU_ASSERT_PTR_NOT_NULL(strstr(what, "bytes of blob"));
	json_decref(res);
	fixture_free(&f);
}

/* Adds a run with one large JSON page (stored zstd-compressed) and a fact
 * on it; hash receives the page's SHA-256.  Returns the run. */
static int64_t add_big_run(struct fixture *f, char hash[65])
{
	char err[512];
	struct store *st = NULL;
	CU_ASSERT_EQUAL_FATAL(store_open(f->db, 0, &st, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(chain_attach(st, f->key, NULL, err, sizeof(err)), 0);
	struct util_buf b;
	util_buf_init(&b, 1u << 20);
	util_buf_append(&b, "{\"items\":[", 10);
	for (int i = 0; i < 200; i++)
		util_buf_printf(&b, "%s{\"host\":\"h%d\",\"patched\":%s,\"kb\":\"KB%07d\"}", i ? "," : "", i,
				i % 3 ? "true" : "false", i * 37);
	util_buf_append(&b, "]}", 2);
	util_sha256_hex(b.data, b.len, hash);
	int64_t run = 0, page = 0;
	time_t t = 1790010800;
	CU_ASSERT_EQUAL_FATAL(store_run_begin(st, "delta", "http-json", t, &run), 0);
	CU_ASSERT_EQUAL_FATAL(store_add_page(st, run, "delta", t, "https://api.example.test/v1/items", 200, b.data,
					     b.len, &page),
			      0);
	CU_ASSERT_EQUAL_FATAL(store_add_fact(st, run, "delta", "patch.host", t, t - 60, NULL, 0, "{\"host\":\"h0\"}", 13,
					     page, NULL),
			      0);
	CU_ASSERT_EQUAL_FATAL(store_run_commit(st, run, t + 5, NULL), 0);
	store_close(st);
	util_buf_free(&b);
	return run;
}

/* A compressed page verifies like any other; a change to its stored frame
 * is named as a change to that page, whether the frame then fails to
 * decode (truncated, a byte flipped in its header or its entropy-coded
 * part) or decodes to other bytes (a flipped literal, or the codec column
 * cleared so that the frame is read as the page). */
static void test_blob_zstd(void)
{
	static const char *const edits[] = {
		"data = substr(data, 1, length(data) - 1)",
		"data = substr(data, 1, 5) || X'00' || substr(data, 7)",
		"data = substr(data, 1, length(data) / 2) || CASE WHEN substr(data, length(data) / 2 + 1, 1) = X'41'"
		" THEN X'42' ELSE X'41' END || substr(data, length(data) / 2 + 2)",
		"data = substr(data, 1, 40) || CASE WHEN substr(data, 41, 1) = X'41' THEN X'42' ELSE X'41' END"
		" || substr(data, 42)",
		"codec = NULL",
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		struct fixture f;
		fixture_make(&f);
		char hash[65], sql[512];
		int64_t run = add_big_run(&f, hash);
		CU_ASSERT_EQUAL(scalar_raw(f.db, "SELECT count(*) FROM blobs WHERE codec = 'zstd'"), 1);
		json_t *res = verify(&f, NULL);
		CU_ASSERT_TRUE(json_is_true(json_object_get(res, "ok")));
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "pages")), 7);
		json_decref(res);

		snprintf(sql, sizeof(sql), "UPDATE blobs SET %s WHERE sha256 = '%s'", edits[i], hash);
		CU_ASSERT_EQUAL_FATAL(raw_sql(f.db, sql), 0);
		res = verify(&f, NULL);
		CU_ASSERT_FALSE(json_is_true(json_object_get(res, "ok")));
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "problem_count")), 1);
		CU_ASSERT_EQUAL(first_run(res), run);
		const char *what = first_problem(res);
		CU_ASSERT_PTR_NOT_NULL(strstr(what, hash));
		CU_ASSERT_PTR_NOT_NULL(strstr(what, "bytes of blob"));
		if (i < 2)
			CU_ASSERT_PTR_NOT_NULL(strstr(what, "no longer decode"));
		if (i == 4)
			CU_ASSERT_PTR_NOT_NULL(strstr(what, "now hash to"));
		json_decref(res);
		fixture_free(&f);
	}
}

static void test_fact_edit(void)
{
	struct fixture f;
	fixture_make(&f);
	/* Change one fact's content, and fix up its recorded hash too. */
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "UPDATE evidence SET payload = '{\"host\":\"g0\",\"patched\":false}',"
		 " sha256 = '%064d' WHERE id = (SELECT id FROM evidence WHERE run_id = %lld AND kind = 'patch.host'"
		 " AND payload LIKE '%%g0%%')",
		 0, (long long)f.runs[2]);
	CU_ASSERT_EQUAL_FATAL(raw_sql(f.db, sql), 0);
	json_t *res = verify(&f, NULL);
	CU_ASSERT_FALSE(json_is_true(json_object_get(res, "ok")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "problem_count")), 1);
	CU_ASSERT_EQUAL(first_run(res), f.runs[2]);
	CU_ASSERT_PTR_NOT_NULL(strstr(first_problem(res), "(patch.host) was edited"));
	json_decref(res);

	/* A fact's metadata (its observed time) is covered as well. */
	fixture_free(&f);
	fixture_make(&f);
	snprintf(sql, sizeof(sql),
		 "UPDATE evidence SET observed_at = observed_at + 86400 WHERE id = (SELECT max(id) FROM evidence"
		 " WHERE run_id = %lld)",
		 (long long)f.runs[0]);
	CU_ASSERT_EQUAL_FATAL(raw_sql(f.db, sql), 0);
	res = verify(&f, NULL);
	CU_ASSERT_EQUAL(first_run(res), f.runs[0]);
	/* (fact 6 is on run 1's second page, evidence 4) */
	CU_ASSERT_PTR_NOT_NULL(strstr(first_problem(res), "the facts of page 4 were changed, added or removed"));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "problem_count")), 1);
	json_decref(res);
	fixture_free(&f);
}

static void test_delete_run(void)
{
	struct fixture f;
	fixture_make(&f);
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "DROP TRIGGER manifests_append_only_d; PRAGMA foreign_keys = OFF;"
		 "DELETE FROM run_kinds WHERE run_id = %1$lld; DELETE FROM evidence WHERE run_id = %1$lld;"
		 "DELETE FROM manifests WHERE run_id = %1$lld; DELETE FROM runs WHERE id = %1$lld;",
		 (long long)f.runs[1]);
	CU_ASSERT_EQUAL_FATAL(raw_sql(f.db, sql), 0);
	json_t *res = verify(&f, NULL);
	CU_ASSERT_FALSE(json_is_true(json_object_get(res, "ok")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "problem_count")), 1);
	CU_ASSERT_STRING_EQUAL(first_problem(res), "a run was deleted: the manifest of seq 2 is missing between seq 1 "
						   "(run 1) and seq 3 (run 3)");
	json_decref(res);

	/* Deleting only the run leaves a manifest that names it. */
	fixture_free(&f);
	fixture_make(&f);
	snprintf(sql, sizeof(sql), "PRAGMA foreign_keys = OFF; DELETE FROM evidence WHERE run_id = %1$lld;"
				   "DELETE FROM runs WHERE id = %1$lld;",
		 (long long)f.runs[2]);
	CU_ASSERT_EQUAL_FATAL(raw_sql(f.db, sql), 0);
	res = verify(&f, NULL);
	CU_ASSERT_EQUAL(first_run(res), f.runs[2]);
	CU_ASSERT_PTR_NOT_NULL(strstr(first_problem(res), "was deleted from the store"));
	json_decref(res);
	fixture_free(&f);
}

static void test_reorder(void)
{
	struct fixture f;
	fixture_make(&f);
	CU_ASSERT_EQUAL_FATAL(raw_sql(f.db, "DROP TRIGGER manifests_append_only_u;"
					    "UPDATE manifests SET seq = 100 WHERE seq = 1;"
					    "UPDATE manifests SET seq = 1 WHERE seq = 2;"
					    "UPDATE manifests SET seq = 2 WHERE seq = 100;"),
			      0);
	json_t *res = verify(&f, NULL);
	CU_ASSERT_FALSE(json_is_true(json_object_get(res, "ok")));
	CU_ASSERT_EQUAL(first_run(res), f.runs[1]);
	CU_ASSERT_STRING_EQUAL(first_problem(res), "runs were re-ordered: position 1 of the chain holds the manifest of "
						   "run 2, which was sealed as seq 2");
	json_t *second = json_array_get(json_object_get(res, "problems"), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(second, "run")), f.runs[0]);
	json_decref(res);

	/* Swapping two runs' times is re-ordering them as well. */
	fixture_free(&f);
	fixture_make(&f);
	CU_ASSERT_EQUAL_FATAL(raw_sql(f.db, "UPDATE runs SET started_at = 1790003600 WHERE id = 1;"
					    "UPDATE runs SET started_at = 1790000000 WHERE id = 2;"),
			      0);
	res = verify(&f, NULL);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "problem_count")), 2);
	CU_ASSERT_EQUAL(first_run(res), f.runs[0]);
	CU_ASSERT_STRING_EQUAL(first_problem(res),
			       "run 1 was edited: started_at is 2026-09-21T15:13:20Z, the manifest has 2026-09-21T14:13:20Z");
	json_decref(res);
	fixture_free(&f);
}

static void test_added_and_forged(void)
{
	struct fixture f;
	fixture_make(&f);
	/* A run inserted by hand has no manifest. */
	CU_ASSERT_EQUAL_FATAL(raw_sql(f.db, "INSERT INTO runs(source, type, started_at, finished_at, outcome)"
					    " VALUES ('alpha', 'http-json', 1790010000, 1790010005, 'success')"),
			      0);
	json_t *res = verify(&f, NULL);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "problem_count")), 1);
	CU_ASSERT_EQUAL(first_run(res), 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(first_problem(res), "is not in the chain"));
	json_decref(res);

	/* A manifest rewritten with its hash fixed up fails its signature. */
	fixture_free(&f);
	fixture_make(&f);
	CU_ASSERT_EQUAL_FATAL(raw_sql(f.db, "DROP TRIGGER manifests_append_only_u;"
					    "UPDATE manifests SET body = replace(body, '\"gamma\"', '\"delta\"') WHERE seq = 3;"),
			      0);
	res = verify(&f, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(first_problem(res), "was edited: it now hashes to"));
	json_decref(res);
	/* A fact added to a sealed run. */
	fixture_free(&f);
	fixture_make(&f);
	CU_ASSERT_EQUAL_FATAL(raw_sql(f.db, "INSERT INTO evidence(run_id, source, kind, collected_at, payload, sha256)"
					    " VALUES (2, 'beta', 'patch.host', 1790003600, '{}',"
					    " '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a')"),
			      0);
	res = verify(&f, NULL);
	CU_ASSERT_EQUAL(first_run(res), 2);
	CU_ASSERT_STRING_EQUAL(first_problem(res), "facts were added after the run was sealed: 1 of no page");
	json_decref(res);
	fixture_free(&f);
}

static void test_backlog_and_retention(void)
{
	char err[512];
	char *dir = th_mkdtemp();
	char *db = th_path(dir, "evidence.db");
	char *keypath = th_path(dir, CHAIN_KEY_FILE);
	struct store *st = NULL;
	struct chain_key *key = NULL;
	/* Two runs from before the chain existed. */
	CU_ASSERT_EQUAL_FATAL(store_open(db, 0, &st, err, sizeof(err)), 0);
	add_run(st, "old1", 1780000000);
	add_run(st, "old2", 1780003600);
	CU_ASSERT_EQUAL_FATAL(chain_key_load(keypath, 1, &key, err, sizeof(err)), 0);
	/* Not started yet: one problem that says so, not one per run. */
	json_t *res = NULL;
	CU_ASSERT_EQUAL(chain_verify(st, key, 0, &res), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "problem_count")), 1);
	CU_ASSERT_STRING_EQUAL(first_problem(res),
			       "the evidence chain has not started: ismsd seals the 2 committed run(s) at its next start");
	json_decref(res);
	int backlog = -1;
	CU_ASSERT_EQUAL(chain_attach(st, key, &backlog, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(backlog, 2);
	add_run(st, "new", 1790000000);
	/* A second attach seals nothing more. */
	CU_ASSERT_EQUAL(chain_attach(st, key, &backlog, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(backlog, 0);
	/* Retention drops old page bytes; their hashes stay on record. */
	int pruned = 0;
	CU_ASSERT_EQUAL(store_prune_pages(st, 1785000000, &pruned), 0);
	CU_ASSERT_EQUAL(pruned, 4);
	CU_ASSERT_EQUAL(chain_verify(st, key, 1785000000, &res), 0);
	CU_ASSERT_TRUE(json_is_true(json_object_get(res, "ok")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "manifests")), 3);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "pages_pruned")), 4);
	json_decref(res);
	/* Bytes dropped from a page younger than the retention period are not
	 * "pruned": hiding a changed blob that way is caught. */
	CU_ASSERT_EQUAL(chain_verify(st, key, 1780000000 + 60, &res), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "problem_count")), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(first_problem(res), "within the retention period"));
	json_decref(res);
	store_close(st);

	/* Deleting every manifest does not restart the chain. */
	CU_ASSERT_EQUAL_FATAL(raw_sql(db, "DROP TRIGGER manifests_append_only_d; DELETE FROM manifests"), 0);
	CU_ASSERT_EQUAL_FATAL(store_open(db, 0, &st, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(chain_attach(st, key, &backlog, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(backlog, 0);
	CU_ASSERT_EQUAL(chain_verify(st, key, 1785000000, &res), 0);
	CU_ASSERT_FALSE(json_is_true(json_object_get(res, "ok")));
	CU_ASSERT_STRING_EQUAL(first_problem(res), "the chain was started, but every manifest was deleted");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "problem_count")), 4);
	json_decref(res);
	store_close(st);

	/* A lost key replaced by a new one is refused, not used silently. */
	struct chain_key *other = NULL;
	char *otherpath = th_path(dir, "other.key");
	CU_ASSERT_EQUAL_FATAL(chain_key_load(otherpath, 1, &other, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(store_open(db, 0, &st, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(chain_attach(st, other, NULL, err, sizeof(err)), -EKEYREJECTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "started with another signing key"));
	store_close(st);
	chain_key_free(other);
	free(otherpath);
	chain_key_free(key);
	th_rmrf(dir);
	free(dir);
	free(db);
	free(keypath);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "the signing key", test_key },
		{ "an untouched store verifies", test_untouched },
		{ "one flipped byte in a blob", test_blob_byte },
		{ "a changed zstd-compressed blob", test_blob_zstd },
		{ "one edited fact row", test_fact_edit },
		{ "one deleted run", test_delete_run },
		{ "two re-ordered runs", test_reorder },
		{ "an added run, a forged manifest, an added fact", test_added_and_forged },
		{ "the backlog at the chain's start, and retention", test_backlog_and_retention },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "chain", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
