/*
 * fuzzhelp.h: what the libFuzzer targets share: their entry points (so that
 * -Wmissing-prototypes holds), a scratch directory, and a check that
 * crashes the target when an invariant of the code under test breaks.
 */
#ifndef ISMSD_FUZZHELP_H
#define ISMSD_FUZZHELP_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fresh directory under $TMPDIR, removed at exit; aborts on failure. */
const char *fuzz_scratch_dir(void);

/* Aborts with msg on stderr when cond is false: libFuzzer keeps the input. */
#define FUZZ_CHECK(cond, msg)                                                     \
	do {                                                                      \
		if (!(cond))                                                      \
			fuzz_violation(__FILE__, __LINE__, #cond, (msg));         \
	} while (0)
void fuzz_violation(const char *file, int line, const char *cond, const char *msg) __attribute__((noreturn));

#endif
