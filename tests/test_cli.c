/*
 * test_cli.c: ismsctl against a store written by `ismsd --once`: every
 * listing's --json output is parsed back with jansson and its values
 * checked; errors go to stderr with a non-zero exit.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "testhelp.h"
#include "util.h"

static char *dir;
static char *conf;
static char *state;

static int setup(void)
{
	dir = th_mkdtemp();
	if (dir == NULL)
		return -1;
	state = th_path(dir, "state");
	char *text = NULL;
	const char *etc = getenv("ETC_SRCDIR");
	if (asprintf(&text,
		     "[daemon]\nstate_dir = %s\ntimezone = Europe/Berlin\nlog_level = warning\nsoa_file = %s/soa.tsv\n\n"
		     "[source ismsd]\ntype = self\nschedule = daily 00:05\n\n"
		     "[source spare]\ntype = self\nenabled = no\n\n"
		     "[activity management-review]\nschedule = annually 03-01\nowner = CISO\ncontrols = 5.1, 5.4\n",
		     state, etc ? etc : "etc") < 0)
		return -1;
	conf = th_write(dir, "ismsd.conf", text, 0644);
	free(text);
	return conf ? 0 : -1;
}

static int teardown(void)
{
	th_rmrf(dir);
	free(dir);
	free(conf);
	free(state);
	return 0;
}

/* Runs ismsctl --config conf ARGS... and returns the parsed JSON of stdout. */
static json_t *ctl_json(const char *a1, const char *a2, const char *a3, const char *a4, int *status)
{
	const char *argv[] = { th_bin("ISMSCTL"), "--config", conf, "--json", a1, a2, a3, a4, NULL };
	struct th_proc p;
	CU_ASSERT_EQUAL_FATAL(th_run(argv, NULL, &p), 0);
	*status = p.status;
	json_error_t err;
	json_t *j = json_loads(p.out, 0, &err);
	if (j == NULL)
		fprintf(stderr, "ismsctl %s %s: not JSON (%s): %s\nstderr: %s\n", a1, a2 ? a2 : "", err.text, p.out, p.err);
	th_proc_free(&p);
	return j;
}

static void test_status_before_first_run(void)
{
	int st = -1;
	json_t *j = ctl_json("status", NULL, NULL, NULL, &st);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	json_t *src = json_object_get(j, "sources");
	CU_ASSERT_EQUAL_FATAL(json_array_size(src), 2);
	json_t *s0 = json_array_get(src, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s0, "name")), "ismsd");
	CU_ASSERT(json_is_null(json_object_get(s0, "last_run")));
	/* never ran: due now */
	CU_ASSERT(json_is_string(json_object_get(s0, "next_due")));
	json_decref(j);
}

static void test_after_runs(void)
{
	/* Two collections. */
	for (int i = 0; i < 2; i++) {
		const char *argv[] = { th_bin("ISMSD"), "--config", conf, "--once", NULL };
		struct th_proc p;
		CU_ASSERT_EQUAL_FATAL(th_run(argv, NULL, &p), 0);
		if (p.status != 0)
			fprintf(stderr, "ismsd --once: %s\n", p.err);
		CU_ASSERT_EQUAL(p.status, 0);
		th_proc_free(&p);
	}

	int st = -1;
	json_t *runs = ctl_json("runs", "list", NULL, NULL, &st);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_EQUAL_FATAL(json_array_size(runs), 2); /* the disabled source did not run */
	json_t *r0 = json_array_get(runs, 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r0, "id")), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r0, "source")), "ismsd");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r0, "type")), "self");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r0, "outcome")), "success");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r0, "items")), 1);
	CU_ASSERT(json_is_null(json_object_get(r0, "error")));
	time_t started = 0, finished = 0;
	CU_ASSERT_EQUAL(util_time_parse(json_string_value(json_object_get(r0, "started_at")), &started), 0);
	CU_ASSERT_EQUAL(util_time_parse(json_string_value(json_object_get(r0, "finished_at")), &finished), 0);
	CU_ASSERT(finished >= started);
	json_decref(runs);

	json_t *status = ctl_json("status", NULL, NULL, NULL, &st);
	CU_ASSERT_EQUAL(st, 0);
	json_t *s0 = json_array_get(json_object_get(status, "sources"), 0);
	json_t *lr = json_object_get(s0, "last_run");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(lr, "id")), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(lr, "outcome")), "success");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s0, "schedule")), "daily 00:05");
	/* next due is tomorrow (or today) at 00:05 Berlin time, i.e. 23:05 or 22:05 UTC */
	const char *next = json_string_value(json_object_get(s0, "next_due"));
	CU_ASSERT(next != NULL && (strstr(next, "T23:05:00Z") || strstr(next, "T22:05:00Z")));
	json_t *s1 = json_array_get(json_object_get(status, "sources"), 1);
	CU_ASSERT(json_is_false(json_object_get(s1, "enabled")));
	CU_ASSERT(json_is_null(json_object_get(s1, "next_due")));
	json_decref(status);

	json_t *items = ctl_json("evidence", "list", "--source", "ismsd", &st);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_EQUAL_FATAL(json_array_size(items), 2);
	json_t *e0 = json_array_get(items, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e0, "kind")), "ismsd.self");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(e0, "run_id")), 2);
	CU_ASSERT_EQUAL(strlen(json_string_value(json_object_get(e0, "sha256"))), 64);
	json_int_t id = json_integer_value(json_object_get(e0, "id"));
	json_decref(items);

	items = ctl_json("evidence", "list", "--kind", "raw.page", &st);
	CU_ASSERT_EQUAL(json_array_size(items), 0);
	json_decref(items);

	char idbuf[32];
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	json_t *item = ctl_json("evidence", "show", idbuf, NULL, &st);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(item);
	json_t *facts = json_object_get(item, "facts");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(facts, "version")), PACKAGE_VERSION);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(facts, "timezone")), "Europe/Berlin");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(facts, "sources")), 2);
	/* The recorded digest is the SHA-256 of the configuration file's bytes. */
	char *bytes = th_read(conf);
	char want[65];
	util_sha256_hex(bytes, strlen(bytes), want);
	free(bytes);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(facts, "config_sha256")), want);
	/* And the item's hash is over the canonical JSON of its facts. */
	char *canon = json_dumps(facts, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	util_sha256_hex(canon, strlen(canon), want);
	free(canon);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(item, "sha256")), want);
	json_decref(item);
}

static void test_stable_output(void)
{
	const char *argv[] = { th_bin("ISMSCTL"), "--config", conf, "runs", "list", "--json", NULL };
	struct th_proc a, b;
	CU_ASSERT_EQUAL_FATAL(th_run(argv, NULL, &a), 0);
	CU_ASSERT_EQUAL_FATAL(th_run(argv, NULL, &b), 0);
	CU_ASSERT_STRING_EQUAL(a.out, b.out);
	/* Keys come in a fixed order. */
	CU_ASSERT(strstr(a.out, "\"id\"") < strstr(a.out, "\"source\""));
	th_proc_free(&a);
	th_proc_free(&b);
}

static void test_errors(void)
{
	struct th_proc p;
	const char *missing[] = { th_bin("ISMSCTL"), "--config", conf, "evidence", "show", "999", NULL };
	CU_ASSERT_EQUAL_FATAL(th_run(missing, NULL, &p), 0);
	CU_ASSERT_EQUAL(p.status, 1);
	CU_ASSERT_STRING_EQUAL(p.out, "");
	CU_ASSERT_PTR_NOT_NULL(strstr(p.err, "no committed evidence with id 999"));
	th_proc_free(&p);

	const char *usage[] = { th_bin("ISMSCTL"), "--config", conf, "frobnicate", NULL };
	CU_ASSERT_EQUAL_FATAL(th_run(usage, NULL, &p), 0);
	CU_ASSERT_EQUAL(p.status, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.err, "usage:"));
	th_proc_free(&p);

	char *bad = th_write(dir, "bad.conf", "[daemon]\nworkers = lots\n", 0644);
	const char *badcfg[] = { th_bin("ISMSCTL"), "--config", bad, "status", NULL };
	CU_ASSERT_EQUAL_FATAL(th_run(badcfg, NULL, &p), 0);
	CU_ASSERT_EQUAL(p.status, 1);
	char *want = NULL;
	CU_ASSERT(asprintf(&want, "%s:2: [daemon] key 'workers'", bad) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.err, want));
	free(want);
	free(bad);
	th_proc_free(&p);
}

static void test_controls(void)
{
	int st = -1;
	json_t *list = ctl_json("controls", NULL, NULL, NULL, &st);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_EQUAL_FATAL(json_array_size(list), 93);
	size_t i;
	json_t *c;
	json_t *c815 = NULL, *c71 = NULL;
	json_array_foreach(list, i, c)
	{
		const char *id = json_string_value(json_object_get(c, "id"));
		if (strcmp(id, "8.15") == 0)
			c815 = c;
		if (strcmp(id, "7.1") == 0)
			c71 = c;
		CU_ASSERT(json_is_object(json_object_get(c, "soa")));
		CU_ASSERT(json_is_array(json_object_get(c, "kpis")));
		CU_ASSERT(json_is_array(json_object_get(c, "open_ncs")));
	}
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(list, 0), "id")), "5.1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c815);
	/* the two self runs' facts map to 8.15 (ismsd.self -> 8.15, 8.16) */
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(c815, "evidence_count")), 2);
	CU_ASSERT(json_is_string(json_object_get(c815, "freshest_evidence")));
	CU_ASSERT(json_is_true(json_object_get(json_object_get(c815, "soa"), "applicable")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(c815, "soa"), "status")), "implemented");
	/* the audit KPIs name 8.15 and were evaluated (no data) */
	CU_ASSERT(json_array_size(json_object_get(c815, "kpis")) >= 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c71);
	CU_ASSERT(json_is_false(json_object_get(json_object_get(c71, "soa"), "applicable")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(c71, "evidence_count")), 0);
	json_decref(list);
}

static void test_attest(void)
{
	char *minutes = th_write(dir, "minutes.txt", "management review 2026: minutes\n", 0644);
	const char *argv[] = { th_bin("ISMSCTL"), "--config", conf, "--json", "attest", "management-review", "--file",
			       minutes, "--note", "held on 2026-09-20", "--by", "alice", NULL };
	struct th_proc p;
	CU_ASSERT_EQUAL_FATAL(th_run(argv, NULL, &p), 0);
	CU_ASSERT_EQUAL(p.status, 0);
	json_error_t err;
	json_t *item = json_loads(p.out, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(item);
	json_t *f = json_object_get(item, "facts");
	char want[65];
	util_sha256_hex("management review 2026: minutes\n", 32, want);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f, "sha256")), want);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f, "attested_by")), "alice");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f, "note")), "held on 2026-09-20");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(item, "kind")), "activity.attestation");
	json_decref(item);
	th_proc_free(&p);

	int st = -1;
	json_t *cal = ctl_json("activity", "list", NULL, NULL, &st);
	CU_ASSERT_EQUAL(st, 0);
	json_t *a = json_array_get(cal, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "name")), "management-review");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "kind")), "manual");
	CU_ASSERT(json_is_string(json_object_get(a, "last_done")));
	CU_ASSERT(json_is_false(json_object_get(a, "overdue")));
	json_decref(cal);

	/* the attestation counts as evidence for the activity's controls */
	json_t *controls = ctl_json("controls", NULL, NULL, NULL, &st);
	size_t i;
	json_t *c;
	json_array_foreach(controls, i, c)
	if (strcmp(json_string_value(json_object_get(c, "id")), "5.4") == 0)
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(c, "evidence_count")), 1);
	json_decref(controls);

	/* a missing --file is a usage error on stderr */
	const char *bad[] = { th_bin("ISMSCTL"), "--config", conf, "attest", "management-review", "--note", "x", NULL };
	CU_ASSERT_EQUAL_FATAL(th_run(bad, NULL, &p), 0);
	CU_ASSERT_EQUAL(p.status, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.err, "attest needs --file F and --note TEXT"));
	th_proc_free(&p);
	free(minutes);
}

static void test_human_output(void)
{
	const char *argv[] = { th_bin("ISMSCTL"), "--config", conf, "status", NULL };
	struct th_proc p;
	CU_ASSERT_EQUAL_FATAL(th_run(argv, NULL, &p), 0);
	CU_ASSERT_EQUAL(p.status, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.out, "SOURCE"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.out, "ismsd"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.out, "success"));
	th_proc_free(&p);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "status before the first run", test_status_before_first_run },
		{ "status, runs and evidence after two runs", test_after_runs },
		{ "JSON output is stable", test_stable_output },
		{ "errors go to stderr with a non-zero exit", test_errors },
		{ "controls: 93 with SoA, evidence and KPIs", test_controls },
		{ "attest a manual activity", test_attest },
		{ "human-readable status", test_human_output },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "ismsctl", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
