/*
 * fuzzhelp.c: the scratch directory and invariant checks of the fuzz targets.
 */
#include "autoconfig.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzzhelp.h"

static char *scratch;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_scratch(void)
{
	if (scratch != NULL)
		nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(scratch);
	scratch = NULL;
}

const char *fuzz_scratch_dir(void)
{
	if (scratch != NULL)
		return scratch;
	const char *tmp = getenv("TMPDIR");
	if (asprintf(&scratch, "%s/ismsd-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0 || mkdtemp(scratch) == NULL) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(remove_scratch);
	return scratch;
}

void fuzz_violation(const char *file, int line, const char *cond, const char *msg)
{
	fprintf(stderr, "%s:%d: invariant broken: %s: %s\n", file, line, cond, msg ? msg : "");
	abort();
}
