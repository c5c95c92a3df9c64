/*
 * collectorhelp.c: collectors against their fakes, for the test suites.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "collectorhelp.h"
#include "daemon.h"
#include "testhelp.h"

static char *replace_all(const char *s, const char *what, const char *with)
{
	size_t wl = strlen(what), n = 0;
	for (const char *p = strstr(s, what); p; p = strstr(p + wl, what))
		n++;
	char *out = malloc(strlen(s) + n * strlen(with) + 1);
	if (out == NULL)
		return NULL;
	char *o = out;
	for (;;) {
		const char *p = strstr(s, what);
		if (p == NULL)
			break;
		memcpy(o, s, (size_t)(p - s));
		o += p - s;
		strcpy(o, with);
		o += strlen(with);
		s = p + wl;
	}
	strcpy(o, s);
	return out;
}

char *ctest_path(const struct ctest *t, const char *name)
{
	return th_path(t->dir, name);
}

int ctest_start(struct ctest *t, const char *pki, const char *vendor, const char *const *extra)
{
	memset(t, 0, sizeof(*t));
	t->dir = th_mkdtemp();
	t->pki = (char *)pki;
	if (t->dir == NULL)
		return -1;
	t->store_path = th_path(t->dir, "evidence.db");
	free(th_write(t->dir, "aws-credentials",
		      "[default]\naws_access_key_id = AKIDEXAMPLE\n"
		      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n",
		      0600));
	free(th_write(t->dir, "fleet-token", "test-token-fleet\n", 0600));
	free(th_write(t->dir, "knowbe4-token", "test-token-knowbe4\n", 0600));
	free(th_write(t->dir, "azure-secret", "test-secret-azure\n", 0600));
	if (fake_start(&t->fake, pki, vendor, "server.pem", extra) < 0)
		return -1;
	/* the service-account key, with token_uri at this fake */
	char *sa = th_path(pki, "gcp-sa.json");
	char *text = th_read(sa);
	free(sa);
	if (text != NULL) {
		json_error_t err;
		json_t *j = json_loads(text, 0, &err);
		char uri[128];
		snprintf(uri, sizeof(uri), "%s/token", t->fake.base);
		json_object_set_new(j, "token_uri", json_string(uri));
		char *out = json_dumps(j, JSON_INDENT(2));
		free(th_write(t->dir, "gcp-sa.json", out, 0600));
		free(out);
		json_decref(j);
		free(text);
	}
	return 0;
}

void ctest_stop(struct ctest *t)
{
	fake_stop(&t->fake);
	th_rmrf(t->dir);
	free(t->dir);
	free(t->store_path);
	memset(t, 0, sizeof(*t));
}

int ctest_run(struct ctest *t, const char *section_text, struct collector_result *res)
{
	char *ca = th_path(t->pki, "ca.pem");
	char *a = replace_all(section_text, "@BASE@", t->fake.base);
	char *b = replace_all(a, "@DIR@", t->dir);
	char *c = replace_all(b, "@CA@", ca);
	char *text = NULL;
	int r = -1;
	if (asprintf(&text, "[daemon]\nstate_dir = %s\n\n%s", t->dir, c) < 0)
		text = NULL;
	char *conf = text ? th_write(t->dir, "ismsd.conf", text, 0644) : NULL;
	struct config_errors errs = { 0 };
	struct config *cfg = conf ? daemon_config_load(conf, 1, &errs) : NULL;
	struct collector *col = NULL;
	struct store *st = NULL;
	char err[512];
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "config: %s\n", errs.msgs[i]);
	if (cfg == NULL)
		goto out;
	const struct config_section *s = config_next(cfg, "source", NULL);
	col = s ? collector_configure(s, &errs) : NULL;
	if (col == NULL)
		goto out;
	if (store_open(t->store_path, 0, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "store: %s\n", err);
		goto out;
	}
	atomic_int cancel = 0;
	r = collector_run(col, st, cfg, &cancel, res);
out:
	store_close(st);
	collector_free(col);
	config_free(cfg);
	config_errors_free(&errs);
	free(conf);
	free(text);
	free(a);
	free(b);
	free(c);
	free(ca);
	return r;
}

json_t *ctest_facts(struct ctest *t, const char *kind)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	json_t *arr = json_array();
	if (sqlite3_open_v2(t->store_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT e.payload, e.ext_id, e.observed_at FROM evidence e JOIN runs r ON r.id = e.run_id"
			       " WHERE r.outcome = 'success' AND e.kind = ? ORDER BY e.id",
			       -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_error_t err;
		const char *text = (const char *)sqlite3_column_text(s, 0);
		json_t *o = json_loads(text, 0, &err);
		if (o == NULL)
			continue;
		/* every fact is stored in canonical form, whichever way the
		 * collector wrote it (jansson or jtape's writer) */
		char *canon = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
		if (canon == NULL || strcmp(canon, text) != 0) {
			fprintf(stderr, "a %s fact is not canonical:\n  stored    %s\n  canonical %s\n", kind, text,
				canon ? canon : "(none)");
			abort();
		}
		free(canon);
		if (sqlite3_column_type(s, 1) != SQLITE_NULL)
			json_object_set_new(o, "_ext_id", json_string((const char *)sqlite3_column_text(s, 1)));
		json_object_set_new(o, "_observed_at", json_integer(sqlite3_column_int64(s, 2)));
		json_array_append_new(arr, o);
	}
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return arr;
}

long long ctest_scalar(struct ctest *t, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long v = -1;
	if (sqlite3_open_v2(t->store_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

size_t ctest_count(json_t *arr, const char *key, json_t *v)
{
	size_t n = 0, i;
	json_t *o;
	json_array_foreach(arr, i, o)
	if (json_equal(json_object_get(o, key), v))
		n++;
	json_decref(v);
	return n;
}
