/*
 * fuzz_collector.c: libFuzzer target for the page normalizer of one
 * collector type, FUZZ_TYPE (set by the build: one binary per type).  Each
 * input is one page body; it goes through every source of that type in
 * normhelp's configuration (http-json has two: whole items and a field
 * mapping) as one run against a scratch store, as a fetched page would.
 *
 * Besides memory errors and undefined behaviour (ASan, UBSan), the target
 * stops on a run that fails without a reason, fails in the store (a page
 * the store cannot take), or whose outcome disagrees with its return
 * value.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzhelp.h"
#include "log.h"
#include "normhelp.h"

#ifndef FUZZ_TYPE
#error "build with -DFUZZ_TYPE='\"aws-cloudtrail\"' (a collector type)"
#endif

/* Runs between two fresh stores: bounds the store's size in long runs. */
#define RUNS_PER_STORE 2000

static struct nh_env env;
static struct collector *sources[NH_MAX_SOURCES];
static size_t n_sources;
static unsigned long runs;

static void close_env(void)
{
	nh_close(&env);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz_collector", LOG_TO_STDERR, LOG_CRIT);
	FUZZ_CHECK(nh_open(&env) == 0, "cannot set up the sources and the store");
	atexit(close_env);
	for (size_t i = 0; i < env.n; i++)
		if (strcmp(env.col[i]->ops->name, FUZZ_TYPE) == 0)
			sources[n_sources++] = env.col[i];
	FUZZ_CHECK(n_sources > 0, "no source of type " FUZZ_TYPE);
	FUZZ_CHECK(sources[0]->ops->normalize != NULL, FUZZ_TYPE " has no normalizer");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < n_sources; i++) {
		struct collector_result res;
		int r = nh_run(&env, sources[i], (const char *)data, size, &res);
		if (r == 0) {
			FUZZ_CHECK(strcmp(res.outcome, "success") == 0, res.outcome);
		} else {
			/* the page's text can appear inside the message: compare
			 * the wrapper's own messages from their start */
			char none[128];
			snprintf(none, sizeof(none), "collector %s failed without a reason", FUZZ_TYPE);
			FUZZ_CHECK(strcmp(res.outcome, "failed") == 0, res.outcome);
			FUZZ_CHECK(res.error[0] != '\0' && strcmp(res.error, none) != 0,
				   "a failed run without a reason");
			FUZZ_CHECK(strncmp(res.error, "cannot store ", 13) != 0 &&
				       strncmp(res.error, "cannot write staged evidence", 28) != 0 &&
				       strncmp(res.error, "cannot commit the run", 21) != 0 &&
				       strncmp(res.error, "cannot record the run", 21) != 0,
				   res.error);
		}
	}
	if (++runs % RUNS_PER_STORE == 0)
		FUZZ_CHECK(nh_reset_store(&env) == 0, "cannot make a fresh store");
	return 0;
}
