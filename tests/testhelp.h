/*
 * testhelp.h: helpers shared by the CUnit suites: temporary directories,
 * files, running the built binaries (through $TEST_WRAPPER, e.g. valgrind),
 * and the common main().
 */
#ifndef ISMSD_TESTHELP_H
#define ISMSD_TESTHELP_H

#include <stddef.h>
#include <sys/types.h>

#include <CUnit/CUnit.h>

/* A fresh directory under $TMPDIR; the caller frees the string. */
char *th_mkdtemp(void);
/* A suite's scratch directory: th_dir_setup() makes th_dir, and
 * th_dir_teardown() removes it (CUnit suite init and cleanup functions). */
extern char *th_dir;
int th_dir_setup(void);
int th_dir_teardown(void);
/* Removes a directory tree. */
void th_rmrf(const char *path);
/* "dir/name", malloc'd. */
char *th_path(const char *dir, const char *name);
/* Writes content to dir/name with mode; returns the path (malloc'd) or NULL. */
char *th_write(const char *dir, const char *name, const char *content, mode_t mode);
/* Reads a whole file (malloc'd, NUL-terminated) or NULL. */
char *th_read(const char *path);

/* Output of a finished command. */
struct th_proc {
	int status; /* exit code, or 128+signal */
	char *out;
	char *err;
};

/*
 * Runs argv[0] (a binary named by an environment variable such as $ISMSCTL,
 * given as "$ISMSCTL") with the remaining arguments, under $TEST_WRAPPER when
 * set, with extra environment entries env (NULL-terminated, may be NULL).
 * Returns 0 when it ran; the result is in p (free with th_proc_free).
 */
int th_run(const char *const *argv, const char *const *env, struct th_proc *p);
void th_proc_free(struct th_proc *p);

/* The path of a binary from its environment variable, e.g. "ISMSD". */
const char *th_bin(const char *var);

/* The source tests/ directory ($TESTS_SRCDIR, or "tests"). */
const char *th_srcdir(void);

/* Runs the suites, prints CUnit's summary, returns the exit code for automake. */
int th_main(CU_SuiteInfo *suites);

#endif
