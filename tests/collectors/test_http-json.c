/*
 * test_http-json.c: the generic http-json collector against two vendor
 * fakes: Fleet (an object with the items at /hosts, 0-based pages, a field
 * mapping) and KnowBe4 (bare-array pages, so the items are at the empty
 * pointer, 1-based pages; with a mapping and with whole items).  Exact
 * counts and values from tests/fakes/README.md; configuration errors name
 * the file and the line.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "collectorhelp.h"
#include "daemon.h"
#include "testhelp.h"

static char *pki;

static int setup(void)
{
	pki = fake_pki();
	return pki ? 0 : -1;
}

static int teardown(void)
{
	th_rmrf(pki);
	free(pki);
	return 0;
}

static const char *fleet_source = "[source inventory]\n"
				  "type = http-json\n"
				  "endpoint = @BASE@\n"
				  "ca_file = @CA@\n"
				  "path = /api/v1/fleet/hosts\n"
				  "auth = bearer\n"
				  "token_file = @DIR@/fleet-token\n"
				  "paging = page\n"
				  "page_param = page\n"
				  "page_start = 0\n"
				  "per_page_param = per_page\n"
				  "per_page = 100\n"
				  "items = /hosts\n"
				  "id = /id\n"
				  "observed = /seen_time\n"
				  "fields = name:/hostname, os:/os_version, seen:/seen_time\n"
				  "kind = inventory.host\n"
				  "retry_base_ms = 10\n";

/* items is left out: the default, the empty pointer, is the whole page. */
static const char *kb4_source = "[source training]\n"
				"type = http-json\n"
				"endpoint = @BASE@\n"
				"ca_file = @CA@\n"
				"path = /v1/training/enrollments\n"
				"auth = bearer\n"
				"token_file = @DIR@/knowbe4-token\n"
				"paging = page\n"
				"page_param = page\n"
				"page_start = 1\n"
				"per_page_param = per_page\n"
				"retry_base_ms = 10\n"
				"id = /enrollment_id\n"
				"observed = /enrollment_date\n"
				"kind = training.enrollment\n";

static json_t *find(json_t *facts, const char *key, const char *v)
{
	size_t i;
	json_t *f;
	json_array_foreach(facts, i, f)
	{
		const char *s = json_string_value(json_object_get(f, key));
		if (s != NULL && strcmp(s, v) == 0)
			return f;
	}
	return NULL;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "(null)";
}

static void run_ok(struct ctest *t, const char *text, struct collector_result *res)
{
	CU_ASSERT_EQUAL(ctest_run(t, text, res), 0);
	if (strcmp(res->outcome, "success") != 0)
		fprintf(stderr, "run: %s\n", res->error);
}

static void test_fleet(void)
{
	struct ctest t;
	const char *args[] = { "--scenario", "breaching", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "fleet", args), 0);
	struct collector_result res;
	run_ok(&t, fleet_source, &res);
	CU_ASSERT_EQUAL(res.pages, 3); /* 100/100/50 */
	json_t *hosts = ctest_facts(&t, "inventory.host");
	CU_ASSERT_EQUAL_FATAL(json_array_size(hosts), 250);
	CU_ASSERT_EQUAL(ctest_count(hosts, "os", json_string("Ubuntu 22.04.4 LTS")), 150);
	CU_ASSERT_EQUAL(ctest_count(hosts, "os", json_string("macOS 14.6.1")), 70);
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(DISTINCT ext_id) FROM evidence WHERE kind = 'inventory.host'"),
			250);
	json_t *h = find(hosts, "_ext_id", "1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	/* only the mapped fields (plus the two the test helper adds) */
	CU_ASSERT_EQUAL(json_object_size(h), 5);
	CU_ASSERT_STRING_EQUAL(str(h, "name"), "host-001.example.internal");
	CU_ASSERT_STRING_EQUAL(str(h, "os"), "Ubuntu 22.04.4 LTS");
	CU_ASSERT_STRING_EQUAL(str(h, "seen"), "2026-11-23T23:57:59Z");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(h, "_observed_at")), 1795478279);
	h = find(hosts, "_ext_id", "33"); /* mia: seen 40 days ago */
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_STRING_EQUAL(str(h, "name"), "host-033.example.internal");
	CU_ASSERT_STRING_EQUAL(str(h, "seen"), "2026-10-14T23:59:27Z");
	h = find(hosts, "_ext_id", "250");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_STRING_EQUAL(str(h, "os"), "Microsoft Windows 11 Enterprise 23H2 10.0.22631.4037");
	json_decref(hosts);
	char *log = th_read(t.fake.log);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "\"query\":\"page=0&per_page=100\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "\"query\":\"page=2&per_page=100\""));
	free(log);
	ctest_stop(&t);
}

static void test_knowbe4_fields(void)
{
	struct ctest t;
	const char *args[] = { "--scenario", "breaching", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "knowbe4", args), 0);
	char text[1024];
	snprintf(text, sizeof(text),
		 "%sper_page = 500\n"
		 "fields = status:/status, email:/user/email, module:/module_name\n",
		 kb4_source);
	struct collector_result res;
	run_ok(&t, text, &res);
	/* 500/500/50: with per_page_param, the short page is the last */
	CU_ASSERT_EQUAL(res.pages, 3);
	json_t *e = ctest_facts(&t, "training.enrollment");
	CU_ASSERT_EQUAL_FATAL(json_array_size(e), 1050);
	CU_ASSERT_EQUAL(ctest_count(e, "status", json_string("Passed")), 970);
	CU_ASSERT_EQUAL(ctest_count(e, "status", json_string("Past Due")), 20);
	CU_ASSERT_EQUAL(ctest_count(e, "status", json_string("In Progress")), 15);
	CU_ASSERT_EQUAL(ctest_count(e, "status", json_string("Not Started")), 45);
	CU_ASSERT_EQUAL(ctest_count(e, "_observed_at", json_integer(1791622800)), 1050);
	json_t *f = find(e, "_ext_id", "5000960");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(str(f, "email"), "user321@example.com");
	CU_ASSERT_STRING_EQUAL(str(f, "status"), "In Progress");
	CU_ASSERT_STRING_EQUAL(str(f, "module"), "2026 Kevin Mitnick Security Awareness Training (45 min)");
	json_decref(e);
	ctest_stop(&t);
}

/* Without a mapping, each fact is the whole item. */
static void test_knowbe4_whole_items(void)
{
	struct ctest t;
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "knowbe4", NULL), 0);
	char text[1024];
	snprintf(text, sizeof(text), "%sper_page = 100\n", kb4_source);
	struct collector_result res;
	run_ok(&t, text, &res);
	CU_ASSERT_EQUAL(res.pages, 11); /* 10 x 100, then 50 */
	json_t *e = ctest_facts(&t, "training.enrollment");
	CU_ASSERT_EQUAL_FATAL(json_array_size(e), 1050);
	CU_ASSERT_EQUAL(ctest_count(e, "status", json_string("Passed")), 1050);
	json_t *f = find(e, "_ext_id", "5001049");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(str(json_object_get(f, "user"), "email"), "user350@example.com");
	CU_ASSERT_STRING_EQUAL(str(f, "module_name"), "Acceptable Use Policy");
	CU_ASSERT_STRING_EQUAL(str(f, "enrollment_date"), "2026-10-10T09:00:00.000Z");
	CU_ASSERT(json_is_true(json_object_get(f, "policy_acknowledged")));
	json_decref(e);
	ctest_stop(&t);
}

/* A page without an array at items fails the run and stores nothing. */
static void test_no_items(void)
{
	struct ctest t;
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "knowbe4", NULL), 0);
	char text[1024];
	snprintf(text, sizeof(text), "%sitems = /data\n", kb4_source);
	struct collector_result res;
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, text, &res), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "page 1 (https://127.0.0.1:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "/v1/training/enrollments?page=1&per_page=100): no array at items = '/data'"));
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

/* Loads text as a whole configuration; returns the errors. */
static struct config_errors load(const char *dir, const char *text, char **conf)
{
	struct config_errors errs = { 0 };
	*conf = th_write(dir, "ismsd.conf", text, 0644);
	struct config *cfg = daemon_config_load(*conf, 0, &errs);
	CU_ASSERT_PTR_NULL(cfg);
	config_free(cfg);
	return errs;
}

static void test_config_errors(void)
{
	char *dir = th_mkdtemp();
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	char *text = NULL, *conf = NULL;
	char want[1024];
	/* paging = token without token: reported at the section's line (5) */
	CU_ASSERT(asprintf(&text,
			   "[daemon]\nstate_dir = %s\n\n# the source\n[source api]\ntype = http-json\n"
			   "endpoint = https://api.example.com\nkind = item\npaging = token\ntoken_param = cursor\n",
			   dir) > 0);
	struct config_errors errs = load(dir, text, &conf);
	CU_ASSERT_EQUAL_FATAL(errs.n, 1);
	snprintf(want, sizeof(want), "%s:5: [source api] key 'token': paging = token needs token and token_param",
		 conf);
	CU_ASSERT_STRING_EQUAL(errs.msgs[0], want);
	config_errors_free(&errs);
	free(conf);
	free(text);
	/* a bad pointer and a bad path: each at its own line */
	CU_ASSERT(asprintf(&text,
			   "[daemon]\nstate_dir = %s\n\n[source api]\ntype = http-json\n"
			   "endpoint = https://api.example.com\nkind = item\npath = items\nitems = data\n",
			   dir) > 0);
	errs = load(dir, text, &conf);
	CU_ASSERT_EQUAL_FATAL(errs.n, 2);
	snprintf(want, sizeof(want), "%s:8: [source api] key 'path': must start with '/'", conf);
	CU_ASSERT_STRING_EQUAL(errs.msgs[0], want);
	snprintf(want, sizeof(want), "%s:9: [source api] key 'items': must be a JSON pointer such as /data/items",
		 conf);
	CU_ASSERT_STRING_EQUAL(errs.msgs[1], want);
	config_errors_free(&errs);
	free(conf);
	free(text);
	th_rmrf(dir);
	free(dir);
}

/* Paging by response header: the Microsoft 365 content listing (NextPageUri). */
static const char *m365_source = "[source m365]\n"
				 "type = http-json\n"
				 "endpoint = @BASE@\n"
				 "ca_file = @CA@\n"
				 "auth = oauth2\n"
				 "token_url = @BASE@/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token\n"
				 "client_id = aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n"
				 "client_secret_file = @DIR@/azure-secret\n"
				 "scope = https://manage.office.com/.default\n"
				 "path = /api/v1.0/11111111-2222-3333-4444-555555555555/activity/feed/subscriptions/content"
				 "?contentType=Audit.General\n"
				 "paging = header\n"
				 "next_header = NextPageUri\n"
				 "kind = m365.content\n"
				 "id = /contentId\n"
				 "observed = /contentCreated\n"
				 "fields = type:/contentType, uri:/contentUri\n"
				 "retry_base_ms = 10\n";

static void test_header_paging(void)
{
	struct ctest t;
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "azure", NULL), 0);
	struct collector_result res;
	CU_ASSERT_EQUAL(ctest_run(&t, m365_source, &res), 0);
	if (strcmp(res.outcome, "success") != 0)
		fprintf(stderr, "m365: %s\n", res.error);
	json_t *facts = ctest_facts(&t, "m365.content");
	CU_ASSERT_EQUAL(json_array_size(facts), 250);
	CU_ASSERT_EQUAL(ctest_count(facts, "type", json_string("Audit.General")), 250);
	json_decref(facts);
	CU_ASSERT_EQUAL(res.pages, 3);
	/* three pages, one token */
	CU_ASSERT_EQUAL(fake_requests(&t.fake, "/api/v1.0/", 3), 3);
	CU_ASSERT_EQUAL(fake_requests(&t.fake, "/11111111-2222-3333-4444-555555555555/oauth2", 1), 1);
	ctest_stop(&t);

	/* a NextPageUri that repeats is a loop */
	const char *loop[] = { "--loop", NULL };
	CU_ASSERT_EQUAL_FATAL(ctest_start(&t, pki, "azure", loop), 0);
	CU_ASSERT_NOT_EQUAL(ctest_run(&t, m365_source, &res), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "pagination loop"));
	CU_ASSERT_EQUAL(ctest_scalar(&t, "SELECT count(*) FROM evidence"), 0);
	ctest_stop(&t);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "Fleet hosts: 250 facts over 3 pages, mapped fields", test_fleet },
		{ "KnowBe4 bare arrays: 1050 facts, mapped fields", test_knowbe4_fields },
		{ "KnowBe4 bare arrays: whole items", test_knowbe4_whole_items },
		{ "no array at items fails the run", test_no_items },
		{ "configuration errors name the file and the line", test_config_errors },
		{ "paging by response header (NextPageUri)", test_header_paging },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "http-json", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
