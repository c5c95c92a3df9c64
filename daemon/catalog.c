/*
 * catalog.c: lookups in the Annex A tables that tools/gen-catalog generates
 * into catalog_data.c, and the default controls per evidence kind.
 *
 * The tables are small (93 controls, 115 mapping rows), so every lookup is
 * a linear scan; nothing is allocated.
 */
#include "autoconfig.h"

#include <string.h>

#include "catalog.h"

/* Skips the optional "A." of an Annex A reference. */
static const char *strip_annex_prefix(const char *id)
{
	if (strncmp(id, "A.", 2) == 0)
		return id + 2;
	return id;
}

size_t catalog_count(void)
{
	return catalog_n_controls;
}

const struct catalog_control *catalog_at(size_t i)
{
	if (i >= catalog_n_controls)
		return NULL;
	return &catalog_controls[i];
}

int catalog_index(const char *id)
{
	if (id == NULL)
		return -1;
	const char *bare = strip_annex_prefix(id);
	for (size_t i = 0; i < catalog_n_controls; i++)
		if (strcmp(catalog_controls[i].id, bare) == 0)
			return (int)i;
	return -1;
}

const struct catalog_control *catalog_find(const char *id)
{
	int i = catalog_index(id);
	if (i < 0)
		return NULL;
	return &catalog_controls[i];
}

size_t catalog_mapping_count(void)
{
	return catalog_n_mappings;
}

const struct catalog_mapping *catalog_mapping_at(size_t i)
{
	if (i >= catalog_n_mappings)
		return NULL;
	return &catalog_mappings[i];
}

size_t catalog_from_2013(const char *id2013, const char **out, size_t max)
{
	if (id2013 == NULL)
		return 0;
	/* The mapping stores "A.x.y.z"; accept the id with or without "A.". */
	const char *bare = strip_annex_prefix(id2013);
	size_t n = 0;
	for (size_t i = 0; i < catalog_n_mappings && n < max; i++) {
		const struct catalog_mapping *m = &catalog_mappings[i];
		if (strcmp(m->id_2013 + 2, bare) != 0)
			continue;
		/* Point at the catalog's own string, like catalog_resolve() does. */
		const struct catalog_control *c = catalog_find(m->id_2022);
		if (c != NULL)
			out[n++] = c->id;
	}
	return n;
}

size_t catalog_resolve(const char *ref, const char **out, size_t max)
{
	if (ref == NULL || max == 0)
		return 0;
	const struct catalog_control *c = catalog_find(ref);
	if (c != NULL) {
		out[0] = c->id;
		return 1;
	}
	return catalog_from_2013(ref, out, max);
}

/* ---- default controls per evidence kind and audit category ------------- */

struct default_controls {
	const char *name;
	const char *const *controls;
};

static const char *const ctl_patch[] = { "8.8", "8.19", NULL };
static const char *const ctl_backup[] = { "8.13", "8.14", "5.30", NULL };
static const char *const ctl_training[] = { "6.3", NULL };
static const char *const ctl_logging[] = { "8.15", "8.16", NULL };
static const char *const ctl_none[] = { NULL };

static const struct default_controls kind_defaults[] = {
	{ "patch.host", ctl_patch },
	{ "patch.missing", ctl_patch },
	{ "patch.vuln", ctl_patch },
	{ "backup.job", ctl_backup },
	{ "training.enrollment", ctl_training },
	{ "audit.event", ctl_logging },
	{ "ismsd.self", ctl_logging },
	{ "activity.attestation", ctl_none },
	{ NULL, NULL },
};

static const char *const ctl_no_mfa[] = { "8.5", "5.17", NULL };
static const char *const ctl_privileged[] = { "8.2", NULL };
static const char *const ctl_log_tamper[] = { "8.15", NULL };
static const char *const ctl_config_change[] = { "8.9", "8.32", NULL };

static const struct default_controls category_defaults[] = {
	{ "console_login_no_mfa", ctl_no_mfa },
	{ "root_activity", ctl_privileged },
	{ "privilege_grant", ctl_privileged },
	{ "logging_tamper", ctl_log_tamper },
	{ "world_open_firewall", ctl_config_change },
	{ NULL, NULL },
};

static const char *const *lookup_defaults(const struct default_controls *table, const char *name)
{
	if (name == NULL)
		return NULL;
	for (const struct default_controls *d = table; d->name != NULL; d++)
		if (strcmp(d->name, name) == 0)
			return d->controls;
	return NULL;
}

const char *const *catalog_kind_controls(const char *kind)
{
	return lookup_defaults(kind_defaults, kind);
}

const char *const *catalog_category_controls(const char *category)
{
	return lookup_defaults(category_defaults, category);
}
