/*
 * fuzz_config.c: libFuzzer target for the configuration parser.  Each input
 * is written to a file that config_load() reads with the daemon's hooks
 * (source types' keys, KPI names, Annex A controls; secret files are not
 * opened), and every [source] it accepts is configured and freed, as
 * `ismsd --check-config` does (the Statement of Applicability file it may
 * name is not read).
 *
 * Invariants: a configuration that is refused comes with at least one
 * message of the form FILE:LINE: text; an accepted one has the daemon
 * settings filled in.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "daemon.h"
#include "fuzzhelp.h"
#include "log.h"

static char *path;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz_config", LOG_TO_STDERR, LOG_CRIT);
	FUZZ_CHECK(asprintf(&path, "%s/ismsd.conf", fuzz_scratch_dir()) >= 0, "out of memory");
	return 0;
}

static void check_messages(const struct config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++) {
		FUZZ_CHECK(errs->msgs[i] != NULL && errs->msgs[i][0] != '\0', "an empty error message");
		FUZZ_CHECK(strncmp(errs->msgs[i], path, strlen(path)) == 0, errs->msgs[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "we");
	FUZZ_CHECK(f != NULL, "cannot write the input");
	FUZZ_CHECK(fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write the input");

	struct config_hooks hooks;
	daemon_config_hooks(&hooks, 0);
	struct config_errors errs = { 0 };
	struct config *cfg = config_load(path, NULL, &hooks, &errs);
	if (cfg == NULL) {
		FUZZ_CHECK(errs.n > 0, "a configuration refused without a message");
	} else {
		FUZZ_CHECK(errs.n == 0, "a configuration accepted with errors");
		FUZZ_CHECK(cfg->daemon.state_dir != NULL && cfg->daemon.timezone != NULL, "daemon settings unset");
		FUZZ_CHECK(strlen(config_digest(cfg)) == 64, "no digest");
		collector_check_all(cfg, &errs);
		config_free(cfg);
	}
	check_messages(&errs);
	config_errors_free(&errs);
	return 0;
}
