/*
 * self.c: evidence about ismsd itself: version, host, the SHA-256 of the
 * configuration in force and the sources it names.  Auditors use it to show
 * that monitoring ran, and with which configuration, throughout a period
 * (controls 8.15, 8.16).  It needs no network.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "sched.h"

static int self_collect(struct collector *c, struct collect_ctx *ctx)
{
	(void)c;
	const struct config *cfg = ctx->config;
	const char *digest = config_digest(cfg);
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) != 0)
		strcpy(host, "unknown");

	json_t *files = json_array();
	for (size_t i = 0; i < cfg->n_files; i++)
		json_array_append_new(files, json_string(cfg->files[i]));
	json_t *sources = json_array();
	for (const struct config_section *s = config_next(cfg, "source", NULL); s != NULL;
	     s = config_next(cfg, "source", s)) {
		const char *type = config_get(s, "type");
		const struct collector_ops *ops = collector_ops_lookup(type);
		json_array_append_new(sources,
				      json_pack("{s:s, s:s, s:s, s:b}", "name", s->name, "type", type, "schedule",
						config_get_default(s, "schedule", ops ? ops->default_schedule : ""),
						"enabled", config_get_bool(s, "enabled", 1)));
	}
	json_t *fact = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s}", "version", PACKAGE_VERSION, "host", host,
				 "config_sha256", digest, "config_files", files, "sources", sources, "timezone",
				 cfg->daemon.timezone);
	if (fact == NULL)
		return collect_fail(ctx, "out of memory");
	int r = collect_fact(ctx, "ismsd.self", ctx->started, NULL, fact, 0);
	json_decref(fact);
	return r;
}

const struct collector_ops collector_self = {
	.name = "self",
	.default_schedule = "daily",
	.keys = NULL,
	.configure = NULL,
	.collect = self_collect,
	.free = NULL,
};
