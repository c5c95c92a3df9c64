/*
 * normhelp.h: running collectors' page normalizers without a network, for
 * the hostile-input suite and the fuzz targets: a scratch directory with a
 * configuration naming one source of every collector type that has a
 * normalizer, and a store beside it.  It does not use CUnit.
 */
#ifndef ISMSD_NORMHELP_H
#define ISMSD_NORMHELP_H

#include <stddef.h>

#include "collector.h"
#include "store.h"

#define NH_MAX_SOURCES 16

struct nh_env {
	char *dir; /* scratch directory, removed by nh_close() */
	char *store_path;
	struct config *cfg;
	struct store *st;
	struct collector *col[NH_MAX_SOURCES]; /* in the configuration's order */
	size_t n;
};

/*
 * Makes the scratch directory under $TMPDIR, writes the configuration
 * (sources named like their type; http-json twice: "http-json" stores each
 * item of /items whole, "http-json-fields" maps fields; both take ext_id
 * from /id and the observed time from /updated), loads it with the
 * daemon's checks (secret files are not read), configures every source and
 * opens the store.  Returns 0, or -1 with a message on stderr (the caller
 * still calls nh_close()).
 */
int nh_open(struct nh_env *e);

/* Frees everything and removes the scratch directory.  NULL-safe fields. */
void nh_close(struct nh_env *e);

/* The source named name, or NULL. */
struct collector *nh_source(const struct nh_env *e, const char *name);

/* Closes the store, deletes it and opens a new one (for long fuzz runs).
 * Returns 0 or -1. */
int nh_reset_store(struct nh_env *e);

/* Runs body through c's normalizer as one run (collector_run_page()). */
int nh_run(struct nh_env *e, struct collector *c, const char *body, size_t len, struct collector_result *res);

#endif
