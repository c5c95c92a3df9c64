/*
 * daemon.c: the full configuration check shared by ismsd and ismsctl.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "collector.h"
#include "daemon.h"
#include "report.h"
#include "kpi.h"
#include "secret.h"
#include "soa.h"

static int check_control(const char *ref, char *err, size_t errlen)
{
	const char *ids[CATALOG_MAX_TARGETS];
	if (catalog_resolve(ref, ids, CATALOG_MAX_TARGETS) > 0)
		return 0;
	snprintf(err, errlen, "'%s' is not an ISO/IEC 27001 Annex A control (2022 such as 8.8, or 2013 such as A.12.6.1)",
		 ref);
	return -1;
}

void daemon_config_hooks(struct config_hooks *hooks, int check_secrets)
{
	memset(hooks, 0, sizeof(*hooks));
	hooks->source_keys = collector_type_keys;
	hooks->check_secret = check_secrets ? secret_check : NULL;
	hooks->kpi_known = kpi_known;
	hooks->check_control = check_control;
}

struct config *daemon_config_load(const char *path, int check_secrets, struct config_errors *errs)
{
	struct config_hooks hooks;
	daemon_config_hooks(&hooks, check_secrets);
	struct config *cfg = config_load(path, NULL, &hooks, errs);
	if (cfg == NULL)
		return NULL;
	size_t before = errs->n;
	collector_check_all(cfg, errs);
	report_check_config(cfg, errs);
	struct soa *soa = NULL;
	daemon_soa_load(cfg, &soa, errs);
	soa_free(soa);
	if (errs->n != before) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

int daemon_soa_load(const struct config *cfg, struct soa **out, struct config_errors *errs)
{
	*out = NULL;
	const struct config_section *d = config_find(cfg, "daemon", NULL);
	const char *path = d ? config_get(d, "soa_file") : NULL;
	if (path == NULL)
		return 0;
	return soa_load(path, out, errs);
}

int daemon_store_path(const struct config *cfg, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", cfg->daemon.state_dir, DAEMON_STORE_FILE);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
