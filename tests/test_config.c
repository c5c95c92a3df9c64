/*
 * test_config.c: the configuration parser and checker.  Every error class
 * must name the file, the line and the key; valid files give typed values.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include <CUnit/CUnit.h>

#include "collector.h"
#include "config.h"
#include "daemon.h"
#include "testhelp.h"
#include "util.h"


/* Loads text as ismsd.conf (plus an optional drop-in) with the daemon's
 * full check.  Returns the config or NULL; errs receives the messages. */
static struct config *load(const char *text, const char *dropin, struct config_errors *errs, char **path)
{
	char *conf_d = th_path(th_dir, "conf.d");
	th_rmrf(conf_d);
	if (dropin != NULL) {
		mkdir(conf_d, 0755);
		free(th_write(conf_d, "50-extra.conf", dropin, 0644));
	}
	free(conf_d);
	*path = th_write(th_dir, "ismsd.conf", text, 0644);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*path);
	return daemon_config_load(*path, 1, errs);
}

struct error_case {
	const char *name;
	const char *text;
	const char *dropin; /* when set, the error is expected in the drop-in */
	unsigned line;
	const char *message;
};

static const struct error_case error_cases[] = {
	{ "unknown key", "[daemon]\nstate_dir = /tmp/x\n\n[source s]\ntype = self\nregoin = eu\n", NULL, 6,
	  "[source s] key 'regoin': unknown key" },
	{ "unknown daemon key", "[daemon]\nworkerz = 3\n", NULL, 2, "[daemon] key 'workerz': unknown key" },
	{ "bad uint", "[daemon]\nworkers = many\n", NULL, 2, "[daemon] key 'workers': 'many' is not a whole number" },
	{ "uint out of range", "[daemon]\nworkers = 0\n", NULL, 2, "[daemon] key 'workers': '0' is out of range" },
	{ "bad bool", "[source s]\ntype = self\nenabled = perhaps\n", NULL, 3,
	  "[source s] key 'enabled': 'perhaps' is not a boolean" },
	{ "bad path", "[daemon]\nstate_dir = var/lib\n", NULL, 2,
	  "[daemon] key 'state_dir': 'var/lib' is not an absolute path" },
	{ "bad duration", "[daemon]\nshutdown_timeout = soon\n", NULL, 2,
	  "[daemon] key 'shutdown_timeout': 'soon' is not a duration" },
	{ "bad time zone", "[daemon]\ntimezone = Mars/Olympus\n", NULL, 2,
	  "[daemon] key 'timezone': unknown time zone 'Mars/Olympus'" },
	{ "bad log level", "[daemon]\nlog_level = loud\n", NULL, 2, "[daemon] key 'log_level': 'loud' is not one of" },
	{ "bad schedule", "[source s]\ntype = self\nschedule = fortnightly\n", NULL, 3,
	  "[source s] key 'schedule': 'fortnightly' is not a schedule" },
	{ "bad enum", "[webhook w]\nurl = https://hooks.example/x\nformat = xml\n", NULL, 3,
	  "[webhook w] key 'format': 'xml' is not one of" },
	{ "http url", "[webhook w]\nurl = http://hooks.example/x\n", NULL, 2,
	  "[webhook w] key 'url': must be an https:// URL" },
	{ "missing required", "[daemon]\n\n[source s]\nschedule = daily\n", NULL, 3,
	  "[source s] key 'type': missing required key" },
	{ "missing required activity", "[activity review]\nowner = ciso\n", NULL, 1,
	  "[activity review] key 'schedule': missing required key" },
	{ "unknown type", "[source s]\ntype = ftp\n", NULL, 2, "[source s] key 'type': unknown source type 'ftp'" },
	{ "duplicate section", "[source s]\ntype = self\n\n[source s]\ntype = self\n", NULL, 4,
	  "duplicate section [source s] (first defined at" },
	{ "duplicate daemon", "[daemon]\n[daemon]\n", NULL, 2, "duplicate section [daemon]" },
	{ "duplicate key", "[source s]\ntype = self\ntype = self\n", NULL, 3,
	  "[source s] key 'type': duplicate key (first given at" },
	{ "duplicate across drop-in", "[source s]\ntype = self\n", "# extra\n[source s]\ntype = self\n", 2,
	  "duplicate section [source s]" },
	{ "error in drop-in", "[daemon]\n", "[source t]\ntype = self\nbogus = 1\n", 3,
	  "[source t] key 'bogus': unknown key" },
	{ "key outside section", "state_dir = /tmp\n", NULL, 1, "key 'state_dir' is outside of any section" },
	{ "unknown section", "[database]\npath = /x\n", NULL, 1, "unknown section [database]" },
	{ "unnamed source", "[source]\ntype = self\n", NULL, 1, "section [source] needs a name" },
	{ "bad section name", "[source a/b]\ntype = self\n", NULL, 1, "section name 'a/b' may only contain" },
	{ "unterminated header", "[source s\ntype = self\n", NULL, 1, "section header is missing ']'" },
	{ "no equals", "[daemon]\njust some words\n", NULL, 2, "expected 'key = value'" },
	{ "colon separator", "[source s]\ntype = self\nowner: Alice = x\n", NULL, 3, "expected 'key = value'" },
	{ "inline secret", "[webhook w]\nurl = https://h.example/\nsecret = whsec_abc\n", NULL, 3,
	  "[webhook w] key 'secret': secrets are never put inline" },
	{ "inline token", "[source s]\ntype = self\ntoken = abc\n", NULL, 3, "key 'token': secrets are never put inline" },
	{ "unknown control", "[source s]\ntype = self\ncontrols = 8.8, 99.99\n", NULL, 3,
	  "[source s] key 'controls': '99.99' is not an ISO/IEC 27001 Annex A control" },
	{ "unknown report format", "[report]\norganisation = X\nformats = html, pdf\n", NULL, 3,
	  "[report] key 'formats': unknown format 'pdf' (html, json, csv, oscal)" },
	{ "metrics without a directory", "[metrics]\n", NULL, 1, "textfile_dir" },
	{ "relative metrics directory", "[metrics]\ntextfile_dir = prom\n", NULL, 2,
	  "[metrics] key 'textfile_dir': 'prom' is not an absolute path" },
	{ "bad resend interval", "[webhook w]\nurl = https://h.example/\nresend_interval = 0s\n", NULL, 3,
	  "[webhook w] key 'resend_interval'" },
};

static void test_error_classes(void)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		struct config_errors errs = { 0 };
		char *path = NULL;
		struct config *cfg = load(c->text, c->dropin, &errs, &path);
		CU_ASSERT_PTR_NULL(cfg);
		config_free(cfg);
		char *where = NULL;
		if (c->dropin != NULL) {
			char *conf_d = th_path(th_dir, "conf.d");
			char *f = th_path(conf_d, "50-extra.conf");
			CU_ASSERT(asprintf(&where, "%s:%u: ", f, c->line) > 0);
			free(f);
			free(conf_d);
		} else {
			CU_ASSERT(asprintf(&where, "%s:%u: ", path, c->line) > 0);
		}
		int found = 0;
		for (size_t k = 0; k < errs.n; k++)
			if (strncmp(errs.msgs[k], where, strlen(where)) == 0 && strstr(errs.msgs[k], c->message))
				found = 1;
		if (!found) {
			fprintf(stderr, "case '%s': wanted \"%s...%s\", got %zu message(s):\n", c->name, where,
				c->message, errs.n);
			for (size_t k = 0; k < errs.n; k++)
				fprintf(stderr, "  %s\n", errs.msgs[k]);
		}
		CU_ASSERT(found);
		free(where);
		free(path);
		config_errors_free(&errs);
	}
}

/* All errors of a file are reported, not just the first. */
static void test_all_errors_reported(void)
{
	struct config_errors errs = { 0 };
	char *path = NULL;
	struct config *cfg = load("[daemon]\nworkers = x\nfoo = 1\n[source s]\ntype = self\nbar = 2\n", NULL, &errs, &path);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(errs.n, 3);
	config_errors_free(&errs);
	free(path);
}

static void test_secret_permissions(void)
{
	char *secret = th_write(th_dir, "hook.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", 0644);
	char *text = NULL;
	CU_ASSERT(asprintf(&text, "[webhook w]\nurl = https://hooks.example/in\nsecret_file = %s\n", secret) > 0);
	struct config_errors errs = { 0 };
	char *path = NULL;
	struct config *cfg = load(text, NULL, &errs, &path);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL_FATAL(errs.n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(errs.msgs[0], ":3: [webhook w] key 'secret_file': secret file"));
	CU_ASSERT_PTR_NOT_NULL(strstr(errs.msgs[0], "accessible to other users (mode 0644)"));
	/* The message names the file, never the secret. */
	CU_ASSERT_PTR_NULL(strstr(errs.msgs[0], "MfKQ9r8G"));
	config_errors_free(&errs);
	free(path);

	chmod(secret, 0600);
	cfg = load(text, NULL, &errs, &path);
	CU_ASSERT_PTR_NOT_NULL(cfg);
	CU_ASSERT_EQUAL(errs.n, 0);
	config_free(cfg);
	config_errors_free(&errs);
	free(path);

	/* A missing file is an error at load time too. */
	unlink(secret);
	cfg = load(text, NULL, &errs, &path);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT(errs.n == 1 && strstr(errs.msgs[0], "cannot open secret file") != NULL);
	config_errors_free(&errs);
	free(path);
	free(text);
	free(secret);
}

static void test_credential_name(void)
{
	char *creds = th_path(th_dir, "creds");
	mkdir(creds, 0700);
	free(th_write(creds, "hook", "whsec_abc\n", 0400));
	const char *text = "[webhook w]\nurl = https://hooks.example/in\nsecret_file = hook\n";
	struct config_errors errs = { 0 };
	char *path = NULL;
	unsetenv("CREDENTIALS_DIRECTORY");
	struct config *cfg = load(text, NULL, &errs, &path);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT(errs.n == 1 && strstr(errs.msgs[0], "$CREDENTIALS_DIRECTORY is not set") != NULL);
	config_errors_free(&errs);
	free(path);

	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	cfg = load(text, NULL, &errs, &path);
	CU_ASSERT_PTR_NOT_NULL(cfg);
	config_free(cfg);
	config_errors_free(&errs);
	free(path);
	unsetenv("CREDENTIALS_DIRECTORY");
	free(creds);
}

static void test_valid_config(void)
{
	const char *text = "; a comment\n"
			   "# another\n"
			   "[daemon]\n"
			   "  state_dir = /var/lib/ismsd-test   ; trailing comment\n"
			   "timezone = Europe/Berlin\n"
			   "log_level = debug\n"
			   "workers = 8\n"
			   "shutdown_timeout = 2m\n"
			   "\n"
			   "[source self]\n"
			   "type = self\n"
			   "schedule = weekly fri 17:30\n"
			   "enabled = no\n"
			   "controls = 8.15, A.8.16, A.12.4.1\n";
	struct config_errors errs = { 0 };
	char *path = NULL;
	struct config *cfg = load(text, "[source other]\ntype = self\n", &errs, &path);
	for (size_t k = 0; k < errs.n; k++)
		fprintf(stderr, "unexpected: %s\n", errs.msgs[k]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->daemon.state_dir, "/var/lib/ismsd-test");
	CU_ASSERT_STRING_EQUAL(cfg->daemon.timezone, "Europe/Berlin");
	CU_ASSERT_EQUAL(cfg->daemon.log_level, LOG_DEBUG);
	CU_ASSERT_EQUAL(cfg->daemon.workers, 8);
	CU_ASSERT_EQUAL(cfg->daemon.shutdown_timeout_s, 120);
	CU_ASSERT_EQUAL(cfg->n_files, 2);
	const struct config_section *s = config_find(cfg, "source", "self");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->line, 10);
	CU_ASSERT_STRING_EQUAL(config_get(s, "schedule"), "weekly fri 17:30");
	CU_ASSERT_EQUAL(config_get_bool(s, "enabled", 1), 0);
	CU_ASSERT_PTR_NOT_NULL(config_find(cfg, "source", "other"));
	CU_ASSERT_PTR_NULL(config_find(cfg, "source", "missing"));
	/* The digest covers the main file and the drop-in, in that order. */
	char *main_text = th_read(path);
	char *drop = th_path(th_dir, "conf.d/50-extra.conf");
	char *drop_text = th_read(drop);
	char *both = NULL;
	CU_ASSERT(asprintf(&both, "%s%s", main_text, drop_text) > 0);
	char want[65];
	util_sha256_hex(both, strlen(both), want);
	CU_ASSERT_STRING_EQUAL(config_digest(cfg), want);
	free(both);
	free(main_text);
	free(drop_text);
	free(drop);
	config_free(cfg);
	free(path);
}

static void test_defaults(void)
{
	struct config_errors errs = { 0 };
	char *path = NULL;
	setenv("STATE_DIRECTORY", "/var/lib/from-systemd:/var/lib/second", 1);
	struct config *cfg = load("[source s]\ntype = self\n", NULL, &errs, &path);
	unsetenv("STATE_DIRECTORY");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->daemon.state_dir, "/var/lib/from-systemd");
	CU_ASSERT_STRING_EQUAL(cfg->daemon.timezone, "UTC");
	CU_ASSERT_EQUAL(cfg->daemon.workers, 4);
	CU_ASSERT_EQUAL(cfg->daemon.log_level, LOG_INFO);
	config_free(cfg);
	free(path);
}

static void test_missing_file(void)
{
	struct config_errors errs = { 0 };
	char *path = th_path(th_dir, "nope.conf");
	struct config *cfg = daemon_config_load(path, 1, &errs);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT(errs.n == 1 && strstr(errs.msgs[0], "cannot open: No such file") != NULL);
	config_errors_free(&errs);
	free(path);
}

/* The example shipped in etc/ must pass the check. */
static void test_shipped_example(void)
{
	const char *etc = getenv("ETC_SRCDIR");
	char *path = th_path(etc ? etc : "etc", "ismsd.conf");
	struct config_errors errs = { 0 };
	struct config_hooks hooks = { .source_keys = collector_type_keys };
	struct config *cfg = config_load(path, NULL, &hooks, &errs);
	for (size_t k = 0; k < errs.n; k++)
		fprintf(stderr, "etc/ismsd.conf: %s\n", errs.msgs[k]);
	CU_ASSERT_PTR_NOT_NULL(cfg);
	CU_ASSERT(cfg != NULL && config_next(cfg, "source", NULL) != NULL);
	config_free(cfg);
	config_errors_free(&errs);
	free(path);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "each error class gives file:line and key", test_error_classes },
		{ "all errors are reported", test_all_errors_reported },
		{ "secret files readable by others are refused", test_secret_permissions },
		{ "credential names resolve in $CREDENTIALS_DIRECTORY", test_credential_name },
		{ "a valid config gives typed values", test_valid_config },
		{ "defaults", test_defaults },
		{ "a missing file", test_missing_file },
		{ "the shipped example passes", test_shipped_example },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "config", th_dir_setup, th_dir_teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
