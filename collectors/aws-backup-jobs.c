/*
 * aws-backup-jobs.c: backup jobs from AWS Backup ListBackupJobs (REST-JSON,
 * GET /backup-jobs/, SigV4 service "backup") created within `window`
 * (default 30 days, what the success-rate KPI needs), following NextToken.
 * The endpoint defaults to https://backup.REGION.amazonaws.com.
 *
 * Facts: backup.job per job, observed at its CreationDate.  Every run
 * stores the whole window again, so a job that was RUNNING last time shows
 * its final state in the next run.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_http.h"
#include "util.h"

#define JOBS_PATH "/backup-jobs/"
#define MAX_RESULTS 1000
#define DEFAULT_WINDOW (30 * 86400)

struct backup {
	struct collector_http http;
	uint64_t window_s;
};

static const struct config_key backup_keys[] = {
	HTTP_CONFIG_KEYS,
	AUTH_SIGV4_KEYS,
	{ "window", CONFIG_T_DURATION, 0, NULL, 3600, 10ULL * 366 * 86400 },
	{ NULL, 0, 0, NULL, 0, 0 },
};

static const char *const sigv4_defaults[] = { "service=backup", NULL };

static int backup_configure(struct collector *c, const struct config_section *s, struct config_errors *errs)
{
	struct backup *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -1;
	c->priv = b;
	b->window_s = config_get_duration(s, "window", DEFAULT_WINDOW);
	char *def = NULL;
	const char *region = config_get(s, "region");
	if (region != NULL && asprintf(&def, "https://backup.%s.amazonaws.com", region) < 0)
		def = NULL;
	int r = collector_http_configure(&b->http, s, def, "aws-sigv4", sigv4_defaults, errs);
	free(def);
	return r;
}

static void backup_free(struct collector *c)
{
	struct backup *b = c->priv;
	if (b == NULL)
		return;
	collector_http_free(&b->http);
	free(b);
	c->priv = NULL;
}

/* Stages the backup.job facts of one page (json).  The live run and the
 * normalizer share it. */
static int backup_page(struct collect_ctx *ctx, json_t *json, int64_t page_id)
{
	json_t *jobs = json_object_get(json, "BackupJobs");
	if (!json_is_array(jobs))
		return collect_fail(ctx, "ListBackupJobs: no BackupJobs array in the response");
	json_t *next = json_object_get(json, "NextToken");
	if (next != NULL && !json_is_null(next) && !json_is_string(next))
		return collect_fail(ctx, "ListBackupJobs: NextToken is not a string");
	size_t i;
	json_t *job;
	json_array_foreach(jobs, i, job)
	{
		const char *id = collector_json_str(job, "BackupJobId");
		if (id == NULL)
			return collect_fail(ctx, "ListBackupJobs: a job without BackupJobId");
		time_t created = collector_json_epoch(job, "CreationDate");
		json_t *f = json_object();
		json_object_set_new(f, "job_id", json_string(id));
		collector_json_set_str(f, "resource_arn", collector_json_str(job, "ResourceArn"));
		collector_json_set_str(f, "resource_type", collector_json_str(job, "ResourceType"));
		collector_json_set_str(f, "resource_name", collector_json_str(job, "ResourceName"));
		collector_json_set_str(f, "vault", collector_json_str(job, "BackupVaultName"));
		collector_json_set_str(f, "state", collector_json_str(job, "State"));
		collector_json_set_time(f, "created_at", created);
		collector_json_set_time(f, "completed_at", collector_json_epoch(job, "CompletionDate"));
		json_int_t size = collector_json_int(job, "BackupSizeInBytes", -1);
		json_object_set_new(f, "size_bytes", size >= 0 ? json_integer(size) : json_null());
		collector_json_set_str(f, "status_message", collector_json_str(job, "StatusMessage"));
		json_t *enc = json_object_get(job, "IsEncrypted");
		json_object_set_new(f, "encrypted",
				    json_is_boolean(enc) ? json_boolean(json_is_true(enc)) : json_null());
		int r = collect_fact(ctx, "backup.job", created, id, f, page_id);
		json_decref(f);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* The normalizer: one ListBackupJobs page; NextToken is not followed. */
static int backup_normalize(struct collector *c, struct collect_ctx *ctx, const char *body, size_t len, int64_t page_id)
{
	(void)c;
	json_t *json = collector_json_page(ctx, "ListBackupJobs page", body, len);
	if (json == NULL)
		return -1;
	int r = backup_page(ctx, json, page_id);
	json_decref(json);
	return r;
}

/* The request URL for one page; the query values are RFC 3986 encoded, as
 * the SigV4 canonical query string requires. */
static char *backup_url(struct backup *b, const char *created_after, const char *token)
{
	char *after = http_urlencode(created_after);
	char *tok = token ? http_urlencode(token) : NULL;
	char *path = NULL, *url = NULL;
	if (after == NULL || (token != NULL && tok == NULL))
		goto out;
	if (asprintf(&path, JOBS_PATH "?maxResults=%d&createdAfter=%s%s%s", MAX_RESULTS, after,
		     tok ? "&nextToken=" : "", tok ? tok : "") < 0) {
		path = NULL;
		goto out;
	}
	url = collector_http_url(&b->http, path);
out:
	free(after);
	free(tok);
	free(path);
	return url;
}

static int backup_collect(struct collector *c, struct collect_ctx *ctx)
{
	struct backup *b = c->priv;
	struct http_client *client = collector_http_client(&b->http, ctx);
	if (client == NULL)
		return -1;
	char after[UTIL_ISO_TIME_LEN];
	util_time_iso(ctx->started - (time_t)b->window_s, after);
	struct http_pages pages;
	http_pages_init(&pages, b->http.opt.max_pages);
	struct http_header accept = { "Accept", "application/json" };
	char *token = NULL;
	int r = -1;
	for (;;) {
		char *url = backup_url(b, after, token);
		if (url == NULL) {
			collect_fail(ctx, "out of memory");
			break;
		}
		struct http_request req = { "GET", url, &accept, 1, NULL, 0, b->http.auth };
		struct collector_page page;
		int pr = collector_http_page(ctx, client, &req, &page);
		free(url);
		if (pr < 0 || backup_page(ctx, page.json, page.page_id) < 0 || collect_flush(ctx) < 0) {
			collector_page_free(&page);
			break;
		}
		const char *next = collector_json_str(page.json, "NextToken");
		free(token);
		token = next != NULL && *next != '\0' ? strdup(next) : NULL;
		int more = next != NULL && *next != '\0';
		collector_page_free(&page);
		if (!more) {
			r = 0;
			break;
		}
		char err[256];
		if (token == NULL) {
			collect_fail(ctx, "out of memory");
			break;
		}
		if (http_pages_next(&pages, token, err, sizeof(err)) < 0) {
			collect_fail(ctx, "ListBackupJobs: %s", err);
			break;
		}
		if (collect_cancelled(ctx)) {
			collect_fail(ctx, "cancelled: ismsd is stopping");
			break;
		}
	}
	free(token);
	http_pages_free(&pages);
	http_client_free(client);
	return r;
}

const struct collector_ops collector_aws_backup_jobs = {
	.name = "aws-backup-jobs",
	.default_schedule = "daily",
	.keys = backup_keys,
	.configure = backup_configure,
	.collect = backup_collect,
	.normalize = backup_normalize,
	.free = backup_free,
};
