/*
 * daemon.h: configuration loading shared by ismsd and ismsctl: the whole
 * check (INI syntax, key tables, collector configuration, secrets) behind
 * `ismsd --check-config`, and the path of the evidence store.
 */
#ifndef ISMSD_DAEMON_H
#define ISMSD_DAEMON_H

#include <stddef.h>

#include "config.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DAEMON_DEFAULT_CONFIG SYSCONFDIR "/ismsd/ismsd.conf"
#define DAEMON_STORE_FILE "evidence.db"

/* Loads and fully checks a configuration.  check_secrets also opens every
 * secret file it names (the daemon does; ismsctl, which never needs them,
 * does not).  Returns NULL with messages in errs when anything is wrong. */
struct config *daemon_config_load(const char *path, int check_secrets, struct config_errors *errs);

/* The hooks daemon_config_load() hands config_load(): source types' keys,
 * KPI names, Annex A controls, and secret files when check_secrets. */
void daemon_config_hooks(struct config_hooks *hooks, int check_secrets);

struct soa;
/* Loads the Statement of Applicability named by [daemon] soa_file.  *out is
 * NULL when none is configured.  Returns 0, or -1 with file:line errors. */
int daemon_soa_load(const struct config *cfg, struct soa **out, struct config_errors *errs);

/* Writes "<state_dir>/evidence.db" into buf.  Returns 0 or -ENAMETOOLONG. */
int daemon_store_path(const struct config *cfg, char *buf, size_t len);

#endif
