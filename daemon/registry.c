/*
 * registry.c: the table of collector types.  A new collector is one file in
 * collectors/ and one line here.
 */
#include "autoconfig.h"

#include <string.h>

#include "collector.h"

extern const struct collector_ops collector_self;
extern const struct collector_ops collector_http_json;
extern const struct collector_ops collector_aws_ssm_patch;
extern const struct collector_ops collector_aws_cloudtrail;
extern const struct collector_ops collector_azure_activity_log;
extern const struct collector_ops collector_gcp_audit_log;
extern const struct collector_ops collector_fleet_hosts;
extern const struct collector_ops collector_aws_backup_jobs;
extern const struct collector_ops collector_knowbe4_training;

static const struct collector_ops *const collectors[] = {
	&collector_self,
	&collector_http_json,
	&collector_aws_ssm_patch,
	&collector_aws_cloudtrail,
	&collector_azure_activity_log,
	&collector_gcp_audit_log,
	&collector_fleet_hosts,
	&collector_aws_backup_jobs,
	&collector_knowbe4_training,
	NULL,
};

/* Returned for types that take no keys of their own. */
static const struct config_key no_keys[] = { { NULL, 0, 0, NULL, 0, 0 } };

const struct collector_ops *collector_ops_lookup(const char *type)
{
	for (size_t i = 0; collectors[i] != NULL; i++)
		if (strcmp(collectors[i]->name, type) == 0)
			return collectors[i];
	return NULL;
}

const struct config_key *collector_type_keys(const char *type)
{
	const struct collector_ops *ops = collector_ops_lookup(type);
	if (ops == NULL)
		return NULL;
	return ops->keys ? ops->keys : no_keys;
}

const struct collector_ops *const *collector_types(void)
{
	return collectors;
}
