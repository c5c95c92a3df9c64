/*
 * collectorhelp.h: running a collector against its vendor fake in a test:
 * a scratch directory with a configuration and secrets, a store, one run
 * through collector_run(), and the committed facts read back.
 */
#ifndef ISMSD_COLLECTORHELP_H
#define ISMSD_COLLECTORHELP_H

#include <jansson.h>

#include "collector.h"
#include "fakehelp.h"
#include "store.h"

struct ctest {
	char *dir;	  /* scratch: config, secrets, store */
	char *pki;	  /* the test PKI (shared, not owned) */
	char *store_path;
	struct fake fake;
};

/* Sets up a scratch directory and starts the vendor fake with extra args.
 * Writes the AWS credentials file (aws-credentials, the suite's example
 * keys) and bearer/secret files: fleet-token, knowbe4-token, azure-secret,
 * and copies the PKI's gcp-sa.json with token_uri pointing at the fake. */
int ctest_start(struct ctest *t, const char *pki, const char *vendor, const char *const *extra);
void ctest_stop(struct ctest *t);

/* "dir/name", malloc'd. */
char *ctest_path(const struct ctest *t, const char *name);

/*
 * Runs the source defined by section_text (a whole "[source NAME]" section;
 * the strings @BASE@, @DIR@ and @CA@ are replaced by the fake's base URL,
 * the scratch directory and the CA file) once.  Returns collector_run()'s
 * result; res receives the outcome.
 */
int ctest_run(struct ctest *t, const char *section_text, struct collector_result *res);

/* The committed facts of kind (all runs), in insertion order, as an array of
 * objects; each has the fact's members plus "_ext_id" and "_observed_at". */
json_t *ctest_facts(struct ctest *t, const char *kind);

/* Runs SQL returning one integer against the store, or -1. */
long long ctest_scalar(struct ctest *t, const char *sql);

/* Counts the facts in arr whose member key equals the JSON value v
 * (compared with json_equal); the reference to v is stolen, so that
 * ctest_count(arr, "k", json_true()) does not leak. */
size_t ctest_count(json_t *arr, const char *key, json_t *v);

#endif
