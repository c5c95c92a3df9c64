/*
 * normhelp.c: collectors' page normalizers against a scratch store, for the
 * hostile-input suite and the fuzz targets.
 */
#include "autoconfig.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "normhelp.h"

/* One source of every type with a normalizer.  @DIR@ is the scratch
 * directory; the secret files it names are never read. */
static const char config_text[] =
	"[daemon]\n"
	"state_dir = @DIR@\n"
	"\n"
	"[source aws-ssm-patch]\n"
	"type = aws-ssm-patch\n"
	"endpoint = https://ssm.us-east-1.amazonaws.com\n"
	"region = us-east-1\n"
	"credentials_file = @DIR@/aws-credentials\n"
	"\n"
	"[source aws-cloudtrail]\n"
	"type = aws-cloudtrail\n"
	"region = us-east-1\n"
	"credentials_file = @DIR@/aws-credentials\n"
	"\n"
	"[source azure-activity-log]\n"
	"type = azure-activity-log\n"
	"subscription = 00000000-1111-2222-3333-444444444444\n"
	"tenant = 11111111-2222-3333-4444-555555555555\n"
	"client_id = aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n"
	"client_secret_file = @DIR@/azure-secret\n"
	"\n"
	"[source gcp-audit-log]\n"
	"type = gcp-audit-log\n"
	"project = ismsd-test-project\n"
	"key_file = @DIR@/gcp-sa.json\n"
	"\n"
	"[source fleet-hosts]\n"
	"type = fleet-hosts\n"
	"endpoint = https://fleet.example.com\n"
	"token_file = @DIR@/fleet-token\n"
	"\n"
	"[source aws-backup-jobs]\n"
	"type = aws-backup-jobs\n"
	"region = us-east-1\n"
	"credentials_file = @DIR@/aws-credentials\n"
	"\n"
	"[source knowbe4-training]\n"
	"type = knowbe4-training\n"
	"token_file = @DIR@/knowbe4-token\n"
	"\n"
	"[source http-json]\n"
	"type = http-json\n"
	"endpoint = https://inventory.example.com\n"
	"path = /api/assets?active=true\n"
	"kind = inventory.asset\n"
	"items = /items\n"
	"id = /id\n"
	"observed = /updated\n"
	"\n"
	"[source http-json-fields]\n"
	"type = http-json\n"
	"endpoint = https://inventory.example.com\n"
	"path = /api/assets\n"
	"kind = inventory.asset\n"
	"items = /items\n"
	"id = /id\n"
	"observed = /updated\n"
	"fields = name:/name, owner:/owner/email, tags:/tags, first_ip:/ips/0\n";

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static char *make_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	char *tmpl = NULL;
	if (asprintf(&tmpl, "%s/ismsd-norm-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		return NULL;
	if (mkdtemp(tmpl) == NULL) {
		free(tmpl);
		return NULL;
	}
	return tmpl;
}

/* config_text with @DIR@ replaced by dir; the caller frees it. */
static char *config_for(const char *dir)
{
	size_t n = 0;
	for (const char *p = strstr(config_text, "@DIR@"); p; p = strstr(p + 5, "@DIR@"))
		n++;
	char *out = malloc(sizeof(config_text) + n * strlen(dir));
	if (out == NULL)
		return NULL;
	char *o = out;
	const char *s = config_text;
	for (const char *p = strstr(s, "@DIR@"); p; p = strstr(s, "@DIR@")) {
		memcpy(o, s, (size_t)(p - s));
		o += p - s;
		strcpy(o, dir);
		o += strlen(dir);
		s = p + 5;
	}
	strcpy(o, s);
	return out;
}

static int open_store(struct nh_env *e)
{
	char err[512];
	if (store_open(e->store_path, 0, &e->st, err, sizeof(err)) < 0) {
		fprintf(stderr, "normhelp: store: %s\n", err);
		e->st = NULL;
		return -1;
	}
	return 0;
}

int nh_open(struct nh_env *e)
{
	memset(e, 0, sizeof(*e));
	e->dir = make_dir();
	if (e->dir == NULL) {
		perror("normhelp: mkdtemp");
		return -1;
	}
	char *path = NULL, *text = config_for(e->dir);
	if (text == NULL || asprintf(&path, "%s/ismsd.conf", e->dir) < 0 ||
	    asprintf(&e->store_path, "%s/%s", e->dir, DAEMON_STORE_FILE) < 0) {
		free(text);
		return -1;
	}
	FILE *f = fopen(path, "we");
	int r = -1;
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror("normhelp: writing the configuration");
		goto out;
	}
	struct config_errors errs = { 0 };
	e->cfg = daemon_config_load(path, 0, &errs);
	for (const struct config_section *s = e->cfg ? config_next(e->cfg, "source", NULL) : NULL; s != NULL;
	     s = config_next(e->cfg, "source", s)) {
		if (e->n == NH_MAX_SOURCES)
			break;
		e->col[e->n] = collector_configure(s, &errs);
		if (e->col[e->n] != NULL)
			e->n++;
	}
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "normhelp: config: %s\n", errs.msgs[i]);
	if (errs.n == 0 && e->cfg != NULL)
		r = open_store(e);
	config_errors_free(&errs);
out:
	free(text);
	free(path);
	return r;
}

void nh_close(struct nh_env *e)
{
	for (size_t i = 0; i < e->n; i++)
		collector_free(e->col[i]);
	store_close(e->st);
	config_free(e->cfg);
	if (e->dir != NULL)
		nftw(e->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(e->dir);
	free(e->store_path);
	memset(e, 0, sizeof(*e));
}

struct collector *nh_source(const struct nh_env *e, const char *name)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->col[i]->name, name) == 0)
			return e->col[i];
	return NULL;
}

int nh_reset_store(struct nh_env *e)
{
	store_close(e->st);
	e->st = NULL;
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char *p = NULL;
		if (asprintf(&p, "%s%s", e->store_path, suffixes[i]) >= 0) {
			unlink(p);
			free(p);
		}
	}
	return open_store(e);
}

int nh_run(struct nh_env *e, struct collector *c, const char *body, size_t len, struct collector_result *res)
{
	return collector_run_page(c, e->st, e->cfg, body, len, res);
}
