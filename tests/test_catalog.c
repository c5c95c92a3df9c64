/*
 * test_catalog.c: the Annex A catalog (checked field by field against the
 * TSV it is generated from), the 2013 -> 2022 mapping, the default controls
 * per evidence kind and audit category, tools/gen-catalog's errors, and the
 * Statement of Applicability parser (the shipped etc/soa.tsv, every error
 * class with its file:line, partial files).
 *
 * The source files are found through $ETC_SRCDIR (the source etc/
 * directory; "etc" when unset): the TSVs are in ../daemon, the generator
 * in ../tools.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "catalog.h"
#include "config.h"
#include "soa.h"
#include "testhelp.h"

/* A file of the source tree, relative to its top ("daemon/x.tsv"). */
static char *src_path(const char *rel)
{
	const char *etc = getenv("ETC_SRCDIR");
	char *p = NULL;
	if (asprintf(&p, "%s/../%s", etc ? etc : "etc", rel) < 0)
		return NULL;
	return p;
}

/* Splits text into lines in place (the last line may lack its newline). */
static size_t split_lines(char *text, char **lines, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l != NULL && n < max; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	return n;
}

/* Splits a TSV line into at most max fields in place; returns the count. */
static size_t split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;
	for (;;) {
		char *tab = strchr(p, '\t');
		if (n < max)
			f[n] = p;
		n++;
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return n;
}

/* ---- the catalog ---------------------------------------------------------- */

static void test_count_and_themes(void)
{
	CU_ASSERT_EQUAL(catalog_count(), 93);
	CU_ASSERT_PTR_NULL(catalog_at(93));
	CU_ASSERT_PTR_NULL(catalog_at((size_t)-1));
	size_t org = 0, people = 0, physical = 0, tech = 0;
	for (size_t i = 0; i < catalog_count(); i++) {
		const struct catalog_control *c = catalog_at(i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		if (strcmp(c->theme, "organizational") == 0)
			org++;
		else if (strcmp(c->theme, "people") == 0)
			people++;
		else if (strcmp(c->theme, "physical") == 0)
			physical++;
		else if (strcmp(c->theme, "technological") == 0)
			tech++;
		CU_ASSERT_EQUAL(catalog_index(c->id), (int)i);
		CU_ASSERT_PTR_EQUAL(catalog_find(c->id), c);
	}
	CU_ASSERT_EQUAL(org, 37);
	CU_ASSERT_EQUAL(people, 8);
	CU_ASSERT_EQUAL(physical, 14);
	CU_ASSERT_EQUAL(tech, 34);
	/* Catalog order. */
	CU_ASSERT_STRING_EQUAL(catalog_at(0)->id, "5.1");
	CU_ASSERT_STRING_EQUAL(catalog_at(36)->id, "5.37");
	CU_ASSERT_STRING_EQUAL(catalog_at(37)->id, "6.1");
	CU_ASSERT_STRING_EQUAL(catalog_at(45)->id, "7.1");
	CU_ASSERT_STRING_EQUAL(catalog_at(59)->id, "8.1");
	CU_ASSERT_STRING_EQUAL(catalog_at(92)->id, "8.34");
}

struct control_case {
	const char *id, *theme, *title, *control_type, *properties, *concepts;
};

static const struct control_case control_cases[] = {
	{ "8.8", "technological", "Management of technical vulnerabilities", "preventive", "C,I,A", "identify,protect" },
	{ "5.23", "organizational", "Information security for use of cloud services", "preventive", "C,I,A", "protect" },
	{ "8.16", "technological", "Monitoring activities", "detective,corrective", "C,I,A", "detect,respond" },
	{ "5.7", "organizational", "Threat intelligence", "preventive,detective,corrective", "C,I,A",
	  "identify,detect,respond" },
	{ "5.30", "organizational", "ICT readiness for business continuity", "corrective", "A", "respond" },
	{ "6.6", "people", "Confidentiality or non-disclosure agreements", "preventive", "C", "protect" },
	{ "7.11", "physical", "Supporting utilities", "preventive,detective", "I,A", "protect,detect" },
	{ "8.17", "technological", "Clock synchronization", "detective", "I", "protect,detect" },
	{ "5.31", "organizational", "Legal, statutory, regulatory and contractual requirements", "preventive", "C,I,A",
	  "identify" },
};

static void test_spot_checks(void)
{
	for (size_t i = 0; i < sizeof(control_cases) / sizeof(control_cases[0]); i++) {
		const struct control_case *w = &control_cases[i];
		const struct catalog_control *c = catalog_find(w->id);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_STRING_EQUAL(c->id, w->id);
		CU_ASSERT_STRING_EQUAL(c->theme, w->theme);
		CU_ASSERT_STRING_EQUAL(c->title, w->title);
		CU_ASSERT_STRING_EQUAL(c->control_type, w->control_type);
		CU_ASSERT_STRING_EQUAL(c->properties, w->properties);
		CU_ASSERT_STRING_EQUAL(c->concepts, w->concepts);
	}
}

static void test_find(void)
{
	const struct catalog_control *c = catalog_find("A.8.8");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_EQUAL(c, catalog_find("8.8"));
	CU_ASSERT_STRING_EQUAL(c->id, "8.8");
	CU_ASSERT_EQUAL(catalog_index("5.1"), 0);
	CU_ASSERT_EQUAL(catalog_index("A.8.34"), 92);
	static const char *const unknown[] = { "", "8.35", "9.1", "4.1", "5.0", "8.08", " 8.8",
					       "8.8 ", "a.8.8", "A.", "A.A.8.8", "8", "A.12.6.1" };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		CU_ASSERT_PTR_NULL(catalog_find(unknown[i]));
		CU_ASSERT_EQUAL(catalog_index(unknown[i]), -1);
	}
	CU_ASSERT_PTR_NULL(catalog_find(NULL));
	CU_ASSERT_EQUAL(catalog_index(NULL), -1);
}

/* Every row of the TSV, every column, is in the generated table, in order. */
static void test_matches_annex_tsv(void)
{
	char *path = src_path("daemon/annex-a-2022.tsv");
	char *text = th_read(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	char *lines[128];
	size_t n = split_lines(text, lines, 128);
	CU_ASSERT_EQUAL(n, 94);
	CU_ASSERT_STRING_EQUAL(lines[0], "id\ttheme\ttitle\tcontrol_type\tsecurity_properties\tcybersecurity_concepts");
	for (size_t i = 1; i < n; i++) {
		char *f[6];
		CU_ASSERT_EQUAL_FATAL(split_tabs(lines[i], f, 6), 6);
		const struct catalog_control *c = catalog_at(i - 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_STRING_EQUAL(c->id, f[0]);
		CU_ASSERT_STRING_EQUAL(c->theme, f[1]);
		CU_ASSERT_STRING_EQUAL(c->title, f[2]);
		CU_ASSERT_STRING_EQUAL(c->control_type, f[3]);
		CU_ASSERT_STRING_EQUAL(c->properties, f[4]);
		CU_ASSERT_STRING_EQUAL(c->concepts, f[5]);
	}
	free(text);
	free(path);
}

/* ---- the 2013 -> 2022 mapping --------------------------------------------- */

static void test_matches_mapping_tsv(void)
{
	char *path = src_path("daemon/annex-a-2013-to-2022.tsv");
	char *text = th_read(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	char *lines[256];
	size_t n = split_lines(text, lines, 256);
	CU_ASSERT_EQUAL(n, 116);
	CU_ASSERT_EQUAL(catalog_mapping_count(), n - 1);
	CU_ASSERT_PTR_NULL(catalog_mapping_at(n - 1));
	for (size_t i = 1; i < n; i++) {
		char *f[5];
		CU_ASSERT_EQUAL_FATAL(split_tabs(lines[i], f, 5), 5);
		const struct catalog_mapping *m = catalog_mapping_at(i - 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_STRING_EQUAL(m->id_2013, f[0]);
		CU_ASSERT_STRING_EQUAL(m->title_2013, f[1]);
		CU_ASSERT_STRING_EQUAL(m->id_2022, f[2]);
		CU_ASSERT_STRING_EQUAL(m->relationship, f[3]);
		/* And the row is reachable through catalog_from_2013(). */
		const char *out[CATALOG_MAX_TARGETS];
		size_t k = catalog_from_2013(f[0], out, CATALOG_MAX_TARGETS);
		int found = 0;
		for (size_t j = 0; j < k; j++)
			if (strcmp(out[j], f[2]) == 0)
				found = 1;
		CU_ASSERT(found);
	}
	free(text);
	free(path);
}

struct map_case {
	const char *id2013;
	const char *want[3]; /* NULL-terminated */
};

static const struct map_case map_cases[] = {
	{ "A.12.6.1", { "8.8", NULL } },
	{ "12.6.1", { "8.8", NULL } }, /* without "A." */
	{ "A.5.1.1", { "5.1", NULL } },
	{ "A.5.1.2", { "5.1", NULL } },
	{ "A.6.1.3", { "5.5", NULL } },
	{ "A.9.4.2", { "8.5", NULL } },
	{ "A.11.2.6", { "7.9", NULL } },
	{ "A.12.3.1", { "8.13", NULL } },
	{ "A.13.2.1", { "5.14", NULL } },
	{ "A.16.1.1", { "5.24", NULL } },
	{ "A.17.2.1", { "8.14", NULL } },
	{ "A.18.2.3", { "5.36", "8.8", NULL } }, /* one 2013 control, two 2022 ones */
};

static void check_targets(const char *what, const char **got, size_t n, const char *const *want)
{
	size_t nwant = 0;
	while (want[nwant] != NULL)
		nwant++;
	CU_ASSERT_EQUAL(n, nwant);
	for (size_t j = 0; j < n && j < nwant; j++) {
		CU_ASSERT_STRING_EQUAL(got[j], want[j]);
		/* The strings are the catalog's own. */
		CU_ASSERT_PTR_EQUAL(got[j], catalog_find(want[j])->id);
	}
	if (n != nwant)
		fprintf(stderr, "%s: %zu targets, wanted %zu\n", what, n, nwant);
}

static void test_from_2013(void)
{
	for (size_t i = 0; i < sizeof(map_cases) / sizeof(map_cases[0]); i++) {
		const char *out[CATALOG_MAX_TARGETS];
		size_t n = catalog_from_2013(map_cases[i].id2013, out, CATALOG_MAX_TARGETS);
		check_targets(map_cases[i].id2013, out, n, map_cases[i].want);
	}
	const char *out[CATALOG_MAX_TARGETS] = { NULL };
	static const char *const unknown[] = { "A.12.6.3", "A.19.1.1", "A.12.6", "8.8", "A.8.8", "", "a.12.6.1" };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		CU_ASSERT_EQUAL(catalog_from_2013(unknown[i], out, CATALOG_MAX_TARGETS), 0);
	CU_ASSERT_EQUAL(catalog_from_2013(NULL, out, CATALOG_MAX_TARGETS), 0);
	/* max bounds what is written. */
	CU_ASSERT_EQUAL(catalog_from_2013("A.18.2.3", out, 0), 0);
	CU_ASSERT_EQUAL(catalog_from_2013("A.18.2.3", out, 1), 1);
	CU_ASSERT_STRING_EQUAL(out[0], "5.36");
	CU_ASSERT_PTR_NULL(out[1]);
}

/* Several 2013 controls become one 2022 control. */
static void test_many_to_one(void)
{
	static const char *const to_8_15[] = { "A.12.4.1", "A.12.4.2", "A.12.4.3" };
	for (size_t i = 0; i < 3; i++) {
		const char *out[CATALOG_MAX_TARGETS];
		CU_ASSERT_EQUAL(catalog_from_2013(to_8_15[i], out, CATALOG_MAX_TARGETS), 1);
		CU_ASSERT_STRING_EQUAL(out[0], "8.15");
	}
	size_t to_8_32 = 0, to_7_10 = 0, to_8_8 = 0;
	for (size_t i = 0; i < catalog_mapping_count(); i++) {
		const char *t = catalog_mapping_at(i)->id_2022;
		to_8_32 += strcmp(t, "8.32") == 0;
		to_7_10 += strcmp(t, "7.10") == 0;
		to_8_8 += strcmp(t, "8.8") == 0;
	}
	CU_ASSERT_EQUAL(to_8_32, 4); /* A.12.1.2, A.14.2.2, A.14.2.3, A.14.2.4 */
	CU_ASSERT_EQUAL(to_7_10, 4); /* A.8.3.1 .. A.8.3.3, A.11.2.5 */
	CU_ASSERT_EQUAL(to_8_8, 2);  /* A.12.6.1, A.18.2.3 */
}

/* The mapping covers the 114 controls of 2013; the 11 controls new in 2022
 * have no 2013 source; no 2013 control has more targets than the bound. */
static void test_mapping_coverage(void)
{
	size_t distinct = 0;
	for (size_t i = 0; i < catalog_mapping_count(); i++) {
		const struct catalog_mapping *m = catalog_mapping_at(i);
		CU_ASSERT_PTR_NOT_NULL(catalog_find(m->id_2022));
		int first = 1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(catalog_mapping_at(j)->id_2013, m->id_2013) == 0)
				first = 0;
		if (!first)
			continue;
		distinct++;
		const char *out[CATALOG_MAX_TARGETS + 1];
		size_t n = catalog_from_2013(m->id_2013, out, CATALOG_MAX_TARGETS + 1);
		CU_ASSERT(n >= 1 && n <= CATALOG_MAX_TARGETS);
	}
	CU_ASSERT_EQUAL(distinct, 114);

	static const char *const new_in_2022[] = { "5.7", "5.23", "5.30", "7.4", "8.9", "8.10",
						   "8.11", "8.12", "8.16", "8.23", "8.28" };
	size_t n_new = 0;
	for (size_t i = 0; i < catalog_count(); i++) {
		const char *id = catalog_at(i)->id;
		int mapped = 0;
		for (size_t j = 0; j < catalog_mapping_count(); j++)
			if (strcmp(catalog_mapping_at(j)->id_2022, id) == 0)
				mapped = 1;
		if (mapped)
			continue;
		CU_ASSERT(n_new < 11 && strcmp(id, new_in_2022[n_new]) == 0);
		n_new++;
	}
	CU_ASSERT_EQUAL(n_new, 11);
}

static void test_resolve(void)
{
	const char *out[CATALOG_MAX_TARGETS];
	static const char *const w_8_8[] = { "8.8", NULL };
	static const char *const w_18_2_3[] = { "5.36", "8.8", NULL };
	static const char *const w_5_1[] = { "5.1", NULL };
	check_targets("8.8", out, catalog_resolve("8.8", out, CATALOG_MAX_TARGETS), w_8_8);
	check_targets("A.8.8", out, catalog_resolve("A.8.8", out, CATALOG_MAX_TARGETS), w_8_8);
	check_targets("A.12.6.1", out, catalog_resolve("A.12.6.1", out, CATALOG_MAX_TARGETS), w_8_8);
	check_targets("A.18.2.3", out, catalog_resolve("A.18.2.3", out, CATALOG_MAX_TARGETS), w_18_2_3);
	/* Two numbers are always a 2022 id, even when 2013 had a clause of that name. */
	check_targets("A.5.1", out, catalog_resolve("A.5.1", out, CATALOG_MAX_TARGETS), w_5_1);
	CU_ASSERT_EQUAL(catalog_resolve("bogus", out, CATALOG_MAX_TARGETS), 0);
	CU_ASSERT_EQUAL(catalog_resolve("9.1", out, CATALOG_MAX_TARGETS), 0);
	CU_ASSERT_EQUAL(catalog_resolve("A.19.1.1", out, CATALOG_MAX_TARGETS), 0);
	CU_ASSERT_EQUAL(catalog_resolve(NULL, out, CATALOG_MAX_TARGETS), 0);
	CU_ASSERT_EQUAL(catalog_resolve("8.8", out, 0), 0);
}

/* ---- default controls ----------------------------------------------------- */

struct default_case {
	const char *name;
	const char *want[4]; /* NULL-terminated */
};

static const struct default_case kind_cases[] = {
	{ "patch.host", { "8.8", "8.19", NULL } },
	{ "patch.missing", { "8.8", "8.19", NULL } },
	{ "patch.vuln", { "8.8", "8.19", NULL } },
	{ "backup.job", { "8.13", "8.14", "5.30", NULL } },
	{ "training.enrollment", { "6.3", NULL } },
	{ "audit.event", { "8.15", "8.16", NULL } },
	{ "ismsd.self", { "8.15", "8.16", NULL } },
	{ "activity.attestation", { NULL } },
};

static const struct default_case category_cases[] = {
	{ "console_login_no_mfa", { "8.5", "5.17", NULL } },
	{ "root_activity", { "8.2", NULL } },
	{ "privilege_grant", { "8.2", NULL } },
	{ "logging_tamper", { "8.15", NULL } },
	{ "world_open_firewall", { "8.9", "8.32", NULL } },
};

static void check_defaults(const struct default_case *c, const char *const *got)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	size_t n = 0;
	while (got[n] != NULL) {
		CU_ASSERT_PTR_NOT_NULL(catalog_find(got[n]));
		n++;
	}
	size_t nwant = 0;
	while (c->want[nwant] != NULL)
		nwant++;
	CU_ASSERT_EQUAL(n, nwant);
	for (size_t j = 0; j < n && j < nwant; j++)
		CU_ASSERT_STRING_EQUAL(got[j], c->want[j]);
	if (n != nwant)
		fprintf(stderr, "%s: %zu controls, wanted %zu\n", c->name, n, nwant);
}

static void test_kind_defaults(void)
{
	for (size_t i = 0; i < sizeof(kind_cases) / sizeof(kind_cases[0]); i++)
		check_defaults(&kind_cases[i], catalog_kind_controls(kind_cases[i].name));
	CU_ASSERT_PTR_NULL(catalog_kind_controls("raw.page"));
	CU_ASSERT_PTR_NULL(catalog_kind_controls("patch"));
	CU_ASSERT_PTR_NULL(catalog_kind_controls(""));
	CU_ASSERT_PTR_NULL(catalog_kind_controls(NULL));
}

static void test_category_defaults(void)
{
	for (size_t i = 0; i < sizeof(category_cases) / sizeof(category_cases[0]); i++)
		check_defaults(&category_cases[i], catalog_category_controls(category_cases[i].name));
	CU_ASSERT_PTR_NULL(catalog_category_controls("patch.host"));
	CU_ASSERT_PTR_NULL(catalog_category_controls("console_login"));
	CU_ASSERT_PTR_NULL(catalog_category_controls(NULL));
}

/* ---- tools/gen-catalog ---------------------------------------------------- */

/* Runs tools/gen-catalog on two files; never under $TEST_WRAPPER. */
static int run_gen(const char *annex, const char *mapping, struct th_proc *p)
{
	char *script = src_path("tools/gen-catalog");
	const char *argv[] = { "/bin/sh", script, annex, mapping, NULL };
	const char *env[] = { "TEST_WRAPPER=", NULL };
	int r = th_run(argv, env, p);
	free(script);
	return r;
}

static void test_gen_shipped(void)
{
	char *annex = src_path("daemon/annex-a-2022.tsv");
	char *mapping = src_path("daemon/annex-a-2013-to-2022.tsv");
	struct th_proc p;
	CU_ASSERT_EQUAL_FATAL(run_gen(annex, mapping, &p), 0);
	CU_ASSERT_EQUAL(p.status, 0);
	CU_ASSERT_STRING_EQUAL(p.err, "");
	CU_ASSERT_PTR_NOT_NULL(
		strstr(p.out, "{ \"8.8\", \"technological\", \"Management of technical vulnerabilities\", "
			      "\"preventive\", \"C,I,A\", \"identify,protect\" },"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.out, "{ \"A.18.2.3\", \"Technical compliance review\", \"8.8\", \"\" },"));
	/* Only base names go into the output, never the paths given. */
	CU_ASSERT_PTR_NOT_NULL(strstr(p.out, "from annex-a-2022.tsv and"));
	CU_ASSERT_PTR_NULL(strstr(p.out, "../"));
	th_proc_free(&p);
	free(annex);
	free(mapping);
}

struct gen_case {
	const char *name;
	int in_mapping;	   /* the extra text goes to the mapping, else to the annex */
	const char *extra; /* appended to the shipped file */
	unsigned line;
	const char *message;
};

/* The shipped annex has 94 lines and the mapping 116, so an appended row is
 * line 95 or 117. */
static const struct gen_case gen_cases[] = {
	{ "annex columns", 0, "8.35\ttechnological\tX\tpreventive\tC\n", 95,
	  "expected 6 TAB-separated columns, found 5" },
	{ "annex bad id", 0, "8.x\ttechnological\tX\tpreventive\tC\tprotect\n", 95, "bad control id \"8.x\"" },
	{ "annex 2013 id", 0, "A.8.35\ttechnological\tX\tpreventive\tC\tprotect\n", 95, "bad control id \"A.8.35\"" },
	{ "annex duplicate", 0, "8.34\ttechnological\tX\tpreventive\tC\tprotect\n", 95,
	  "duplicate control 8.34 (first at line 94)" },
	{ "annex gap", 0, "8.36\ttechnological\tX\tpreventive\tC\tprotect\n", 95,
	  "control 8.36 is out of order (after 8.34)" },
	{ "annex theme", 0, "8.35\tpeople\tX\tpreventive\tC\tprotect\n", 95,
	  "theme \"people\" does not match control 8.35 (expected technological)" },
	{ "annex empty title", 0, "8.35\ttechnological\t\tpreventive\tC\tprotect\n", 95, "title of 8.35 is empty" },
	{ "annex control type", 0, "8.35\ttechnological\tX\tprevent\tC\tprotect\n", 95, "bad control type \"prevent\"" },
	{ "annex property", 0, "8.35\ttechnological\tX\tpreventive\tC,Q\tprotect\n", 95,
	  "bad security property \"Q\"" },
	{ "annex concept", 0, "8.35\ttechnological\tX\tpreventive\tC\tprotect,protect\n", 95,
	  "bad cybersecurity concept \"protect\"" },
	{ "annex CRLF", 0, "8.35\ttechnological\tX\tpreventive\tC\tprotect\r\n", 95,
	  "column 6 contains a control character" },
	{ "annex blank line", 0, "\n", 95, "expected 6 TAB-separated columns, found 0" },
	{ "mapping columns", 1, "A.5.1.1\tPolicies for information security\n", 117,
	  "expected 5 TAB-separated columns, found 2" },
	{ "mapping bad 2013 id", 1, "A.12.6\tX\t8.8\t\tx\n", 117, "bad 2013 control id \"A.12.6\"" },
	{ "mapping unknown 2022", 1, "A.5.1.1\tPolicies for information security\t9.1\t\tx\n", 117,
	  "unknown 2022 control \"9.1\"" },
	{ "mapping relationship", 1, "A.5.1.1\tPolicies for information security\t8.16\tsame\tx\n", 117,
	  "bad relationship \"same\"" },
	{ "mapping duplicate", 1, "A.5.1.1\tPolicies for information security\t5.1\tequal\tx\n", 117,
	  "duplicate mapping A.5.1.1 -> 5.1 (first at line 2)" },
	{ "mapping title", 1, "A.5.1.1\tPolicies\t8.16\t\tx\n", 117,
	  "2013 title of A.5.1.1 differs from the one at line 2" },
};

static void test_gen_errors(void)
{
	char *annex_src = src_path("daemon/annex-a-2022.tsv");
	char *mapping_src = src_path("daemon/annex-a-2013-to-2022.tsv");
	char *annex_text = th_read(annex_src);
	char *mapping_text = th_read(mapping_src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(annex_text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mapping_text);
	for (size_t i = 0; i < sizeof(gen_cases) / sizeof(gen_cases[0]); i++) {
		const struct gen_case *c = &gen_cases[i];
		char *a = NULL, *m = NULL;
		CU_ASSERT_FATAL(asprintf(&a, "%s%s", annex_text, c->in_mapping ? "" : c->extra) > 0);
		CU_ASSERT_FATAL(asprintf(&m, "%s%s", mapping_text, c->in_mapping ? c->extra : "") > 0);
		char *annex = th_write(th_dir, "annex.tsv", a, 0644);
		char *mapping = th_write(th_dir, "mapping.tsv", m, 0644);
		struct th_proc p;
		CU_ASSERT_EQUAL_FATAL(run_gen(annex, mapping, &p), 0);
		char *where = NULL;
		CU_ASSERT(asprintf(&where, "%s:%u: %s\n", c->in_mapping ? mapping : annex, c->line, c->message) > 0);
		/* The message may go on after the part we check. */
		where[strlen(where) - 1] = '\0';
		int ok = p.status == 1 && p.out[0] == '\0' && strstr(p.err, where) != NULL;
		if (!ok)
			fprintf(stderr, "case '%s': wanted exit 1 and \"%s\", got %d:\n%s", c->name, where, p.status,
				p.err);
		CU_ASSERT(ok);
		free(where);
		th_proc_free(&p);
		free(annex);
		free(mapping);
		free(a);
		free(m);
	}
	free(annex_text);
	free(mapping_text);
	free(annex_src);
	free(mapping_src);
}

/* ---- the Statement of Applicability --------------------------------------- */

/* The example in etc/ loads cleanly, covers every control, and excludes
 * only physical controls (a cloud-only company). */
static void test_shipped_soa(void)
{
	const char *etc = getenv("ETC_SRCDIR");
	char *path = th_path(etc ? etc : "etc", "soa.tsv");
	struct config_errors errs = { 0 };
	struct soa *s = NULL;
	CU_ASSERT_EQUAL(soa_load(path, &s, &errs), 0);
	for (size_t k = 0; k < errs.n; k++)
		fprintf(stderr, "etc/soa.tsv: %s\n", errs.msgs[k]);
	CU_ASSERT_EQUAL(errs.n, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(soa_missing(s), 0);
	size_t excluded = 0;
	for (size_t i = 0; i < catalog_count(); i++) {
		const struct soa_entry *e = soa_at(s, i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		CU_ASSERT_PTR_EQUAL(e->control, catalog_at(i)->id);
		CU_ASSERT(e->present);
		CU_ASSERT(e->owner != NULL && *e->owner != '\0');
		CU_ASSERT(e->justification != NULL && *e->justification != '\0');
		if (!e->applicable) {
			excluded++;
			CU_ASSERT_EQUAL(e->status, SOA_STATUS_EXCLUDED);
			CU_ASSERT_STRING_EQUAL(catalog_at(i)->theme, "physical");
		}
	}
	CU_ASSERT(excluded > 0 && excluded < 14);
	CU_ASSERT_PTR_NULL(soa_at(s, catalog_count()));
	/* The controls of the demo's evidence apply. */
	static const char *const demo[] = { "8.15", "8.16", "8.8", "8.13", "6.3" };
	for (size_t i = 0; i < sizeof(demo) / sizeof(demo[0]); i++)
		CU_ASSERT(soa_get(s, demo[i])->applicable);
	CU_ASSERT_EQUAL(soa_get(s, "7.1")->applicable, 0);
	soa_free(s);
	config_errors_free(&errs);
	free(path);
}

static void test_soa_valid(void)
{
	/* A BOM, comments, blank lines, the A. prefix, spaces around columns,
	 * a CRLF line end and UTF-8 text. */
	const char *text = "\xef\xbb\xbf# SoA\n"
			   "\n"
			   "   # indented comment\n"
			   "8.8\tyes\timplemented\tSRE team\tUnpatched hosts are our main risk\n"
			   "A.7.1 \t no \texcluded\t CISO \t No premises (cloud only) \n"
			   "5.23\tyes\tpartial\tCISO\tEverything runs in the cloud\r\n"
			   "8.11\tyes\tplanned\tEngineering\tTest data must be masked\n"
			   "8.23\tyes\tnot-implemented\tIT\tRisk accepted by the CEO \xe2\x80\x94 Q3\n"
			   "\t\n";
	char *path = th_write(th_dir, "soa.tsv", text, 0644);
	struct config_errors errs = { 0 };
	struct soa *s = NULL;
	CU_ASSERT_EQUAL(soa_load(path, &s, &errs), 0);
	for (size_t k = 0; k < errs.n; k++)
		fprintf(stderr, "unexpected: %s\n", errs.msgs[k]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(soa_missing(s), 93 - 5);

	const struct soa_entry *e = soa_get(s, "A.8.8");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_PTR_EQUAL(e, soa_get(s, "8.8"));
	CU_ASSERT_STRING_EQUAL(e->control, "8.8");
	CU_ASSERT(e->present);
	CU_ASSERT_EQUAL(e->applicable, 1);
	CU_ASSERT_EQUAL(e->status, SOA_STATUS_IMPLEMENTED);
	CU_ASSERT_STRING_EQUAL(e->owner, "SRE team");
	CU_ASSERT_STRING_EQUAL(e->justification, "Unpatched hosts are our main risk");
	CU_ASSERT_STRING_EQUAL(e->file, path);
	CU_ASSERT_EQUAL(e->line, 4);

	e = soa_get(s, "7.1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->applicable, 0);
	CU_ASSERT_EQUAL(e->status, SOA_STATUS_EXCLUDED);
	CU_ASSERT_STRING_EQUAL(e->owner, "CISO");
	CU_ASSERT_STRING_EQUAL(e->justification, "No premises (cloud only)");
	CU_ASSERT_EQUAL(e->line, 5);

	e = soa_get(s, "5.23");
	CU_ASSERT_EQUAL(e->status, SOA_STATUS_PARTIAL);
	CU_ASSERT_STRING_EQUAL(e->justification, "Everything runs in the cloud");
	CU_ASSERT_EQUAL(soa_get(s, "8.11")->status, SOA_STATUS_PLANNED);
	CU_ASSERT_EQUAL(soa_get(s, "8.23")->status, SOA_STATUS_NOT_IMPLEMENTED);
	CU_ASSERT_STRING_EQUAL(soa_get(s, "8.23")->justification, "Risk accepted by the CEO \xe2\x80\x94 Q3");

	/* A control the file does not mention. */
	e = soa_get(s, "5.1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(e->control, "5.1");
	CU_ASSERT_EQUAL(e->present, 0);
	CU_ASSERT_EQUAL(e->status, SOA_STATUS_NONE);
	CU_ASSERT_PTR_NULL(e->owner);
	CU_ASSERT_PTR_NULL(e->justification);
	CU_ASSERT_PTR_NULL(e->file);
	CU_ASSERT_EQUAL(e->line, 0);

	CU_ASSERT_PTR_NULL(soa_get(s, "9.1"));
	CU_ASSERT_PTR_NULL(soa_get(s, "A.12.6.1"));
	CU_ASSERT_PTR_NULL(soa_get(NULL, "8.8"));
	CU_ASSERT_STRING_EQUAL(soa_status_name(SOA_STATUS_NOT_IMPLEMENTED), "not-implemented");
	CU_ASSERT_STRING_EQUAL(soa_status_name(SOA_STATUS_EXCLUDED), "excluded");
	CU_ASSERT_STRING_EQUAL(soa_status_name(SOA_STATUS_NONE), "");
	soa_free(s);
	soa_free(NULL);
	config_errors_free(&errs);
	free(path);
}

struct soa_error_case {
	const char *name;
	const char *text;
	unsigned line;
	const char *message;
};

#define OK_8_8 "8.8\tyes\timplemented\tSRE\tPatching\n"

static const struct soa_error_case soa_error_cases[] = {
	{ "four columns", "# x\n8.8\tyes\timplemented\tSRE\n", 2,
	  "expected 5 TAB-separated columns (control, applicable, status, owner, justification), found 4" },
	{ "six columns", "8.8\tyes\timplemented\tSRE\tPatching\textra\n", 1, "expected 5 TAB-separated columns" },
	{ "spaces, not TABs", "8.8 yes implemented SRE Patching\n", 1, "expected 5 TAB-separated columns (control, "
	  "applicable, status, owner, justification), found 1" },
	{ "unknown control", OK_8_8 "9.1\tyes\timplemented\tSRE\tX\n", 2,
	  "unknown control '9.1' (expected an ISO/IEC 27001:2022 Annex A id" },
	{ "unknown control 8.35", "8.35\tyes\timplemented\tSRE\tX\n", 1, "unknown control '8.35'" },
	{ "empty control", "\tyes\timplemented\tSRE\tX\n", 1, "empty control" },
	{ "duplicate control", OK_8_8 "# again\n" OK_8_8, 3, "duplicate control 8.8 (first given at line 1)" },
	{ "duplicate with A.", OK_8_8 "A.8.8\tyes\tpartial\tSRE\tX\n", 2,
	  "duplicate control 8.8 (first given at line 1)" },
	{ "2013 id", "A.12.6.1\tyes\timplemented\tSRE\tPatching\n", 1,
	  "'A.12.6.1' is an ISO/IEC 27001:2013 control; it maps to the 2022 control 8.8: use that instead" },
	{ "2013 id to two", "\n\nA.18.2.3\tyes\timplemented\tCISO\tReviews\n", 3,
	  "'A.18.2.3' is an ISO/IEC 27001:2013 control; it maps to the 2022 controls 5.36, 8.8: use those instead" },
	{ "bad applicable", "8.8\tmaybe\timplemented\tSRE\tX\n", 1, "applicable 'maybe' must be yes or no" },
	{ "applicable in capitals", "8.8\tYes\timplemented\tSRE\tX\n", 1, "applicable 'Yes' must be yes or no" },
	{ "bad status", "8.8\tyes\tdone\tSRE\tX\n", 1,
	  "status 'done' must be one of implemented, partial, planned, not-implemented, excluded" },
	{ "empty status", "8.8\tyes\t\tSRE\tX\n", 1, "status '' must be one of" },
	{ "not applicable but implemented", "7.1\tno\timplemented\tCISO\tNo premises\n", 1,
	  "a control that is not applicable must have status excluded, not 'implemented'" },
	{ "excluded but applicable", "7.1\tyes\texcluded\tCISO\tNo premises\n", 1,
	  "status excluded needs applicable = no" },
	{ "empty owner", "8.8\tyes\timplemented\t \tPatching\n", 1, "empty owner" },
	{ "empty justification", OK_8_8 "7.1\tno\texcluded\tCISO\t\n", 2,
	  "empty justification (ISO/IEC 27001:2022 6.1.3 d wants one for every control" },
	{ "invalid UTF-8", "8.8\tyes\timplemented\tSRE\tPatching \xc3\x28\n", 1, "the line is not valid UTF-8" },
	{ "overlong UTF-8", "8.8\tyes\timplemented\tSRE\t\xc0\xaf\n", 1, "the line is not valid UTF-8" },
	{ "surrogate", "8.8\tyes\timplemented\tSRE\t\xed\xa0\x80\n", 1, "the line is not valid UTF-8" },
	{ "truncated UTF-8", "8.8\tyes\timplemented\tSRE\tX\xe2\x80", 1, "the line is not valid UTF-8" },
};

static void test_soa_error_classes(void)
{
	for (size_t i = 0; i < sizeof(soa_error_cases) / sizeof(soa_error_cases[0]); i++) {
		const struct soa_error_case *c = &soa_error_cases[i];
		char *path = th_write(th_dir, "bad.tsv", c->text, 0644);
		CU_ASSERT_PTR_NOT_NULL_FATAL(path);
		struct config_errors errs = { 0 };
		struct soa *s = (struct soa *)1;
		CU_ASSERT_EQUAL(soa_load(path, &s, &errs), -1);
		CU_ASSERT_PTR_NULL(s);
		char *where = NULL;
		CU_ASSERT(asprintf(&where, "%s:%u: ", path, c->line) > 0);
		int found = 0;
		for (size_t k = 0; k < errs.n; k++)
			if (strncmp(errs.msgs[k], where, strlen(where)) == 0 &&
			    strstr(errs.msgs[k] + strlen(where), c->message) == errs.msgs[k] + strlen(where))
				found = 1;
		if (!found) {
			fprintf(stderr, "case '%s': wanted \"%s%s...\", got %zu message(s):\n", c->name, where,
				c->message, errs.n);
			for (size_t k = 0; k < errs.n; k++)
				fprintf(stderr, "  %s\n", errs.msgs[k]);
		}
		CU_ASSERT(found);
		free(where);
		config_errors_free(&errs);
		free(path);
	}
}

/* Every error of a file is reported, each with its own line. */
static void test_soa_all_errors(void)
{
	const char *text = "8.8\tyes\tdone\tSRE\tX\n"
			   OK_8_8 "5.1\tyes\timplemented\tCISO\tPolicies\n"
			   "A.9.2.3\tyes\timplemented\tIT\tAdmins\n"
			   "7.2\tno\tplanned\t\t\n";
	char *path = th_write(th_dir, "bad.tsv", text, 0644);
	struct config_errors errs = { 0 };
	struct soa *s = NULL;
	CU_ASSERT_EQUAL(soa_load(path, &s, &errs), -1);
	CU_ASSERT_PTR_NULL(s);
	/* line 1 status; line 2 duplicate; line 4 2013 id; line 5 status, owner, justification */
	CU_ASSERT_EQUAL(errs.n, 6);
	static const unsigned want_lines[] = { 1, 2, 4, 5, 5, 5 };
	for (size_t k = 0; k < errs.n && k < 6; k++) {
		char *where = NULL;
		CU_ASSERT(asprintf(&where, "%s:%u: ", path, want_lines[k]) > 0);
		CU_ASSERT_EQUAL(strncmp(errs.msgs[k], where, strlen(where)), 0);
		free(where);
	}
	CU_ASSERT(errs.n >= 3 && strstr(errs.msgs[2], "maps to the 2022 control 8.2") != NULL);
	config_errors_free(&errs);
	free(path);
}

static void test_soa_partial(void)
{
	const char *text = "# only three controls so far\n" OK_8_8 "5.1\tyes\timplemented\tCISO\tPolicies\n"
			   "7.4\tno\texcluded\tCISO\tNo premises\n";
	char *path = th_write(th_dir, "partial.tsv", text, 0644);
	struct config_errors errs = { 0 };
	struct soa *s = NULL;
	CU_ASSERT_EQUAL(soa_load(path, &s, &errs), 0);
	CU_ASSERT_EQUAL(errs.n, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(soa_missing(s), 90);
	size_t present = 0;
	for (size_t i = 0; i < catalog_count(); i++)
		present += soa_at(s, i)->present != 0;
	CU_ASSERT_EQUAL(present, 3);
	soa_free(s);
	free(path);

	/* An empty file is an SoA with every control missing. */
	path = th_write(th_dir, "empty.tsv", "", 0644);
	CU_ASSERT_EQUAL(soa_load(path, &s, &errs), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(soa_missing(s), 93);
	soa_free(s);
	free(path);
}

static void test_soa_missing_file(void)
{
	char *path = th_path(th_dir, "nope.tsv");
	struct config_errors errs = { 0 };
	struct soa *s = (struct soa *)1;
	CU_ASSERT_EQUAL(soa_load(path, &s, &errs), -1);
	CU_ASSERT_PTR_NULL(s);
	char *want = NULL;
	CU_ASSERT(asprintf(&want, "%s: cannot open: No such file", path) > 0);
	CU_ASSERT(errs.n == 1 && strncmp(errs.msgs[0], want, strlen(want)) == 0);
	free(want);
	config_errors_free(&errs);
	free(path);
}

int main(void)
{
	CU_TestInfo catalog_tests[] = {
		{ "93 controls, 37/8/14/34 by theme, in order", test_count_and_themes },
		{ "ids, titles and attributes", test_spot_checks },
		{ "find by id, with and without A.", test_find },
		{ "the table matches the annex TSV", test_matches_annex_tsv },
		CU_TEST_INFO_NULL,
	};
	CU_TestInfo mapping_tests[] = {
		{ "the table matches the mapping TSV", test_matches_mapping_tsv },
		{ "2013 ids map to 2022 ids", test_from_2013 },
		{ "several 2013 controls map to one", test_many_to_one },
		{ "114 controls of 2013, 11 new in 2022", test_mapping_coverage },
		{ "resolving 2013 and 2022 references", test_resolve },
		CU_TEST_INFO_NULL,
	};
	CU_TestInfo default_tests[] = {
		{ "default controls per evidence kind", test_kind_defaults },
		{ "controls added by audit category", test_category_defaults },
		CU_TEST_INFO_NULL,
	};
	CU_TestInfo gen_tests[] = {
		{ "the shipped TSVs generate", test_gen_shipped },
		{ "malformed rows give file:line", test_gen_errors },
		CU_TEST_INFO_NULL,
	};
	CU_TestInfo soa_tests[] = {
		{ "the shipped etc/soa.tsv is complete", test_shipped_soa },
		{ "a valid file gives its entries", test_soa_valid },
		{ "each error class gives file:line", test_soa_error_classes },
		{ "all errors are reported", test_soa_all_errors },
		{ "a partial file counts the missing controls", test_soa_partial },
		{ "a missing file", test_soa_missing_file },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "catalog", NULL, NULL, NULL, NULL, catalog_tests },
		{ "mapping", NULL, NULL, NULL, NULL, mapping_tests },
		{ "defaults", NULL, NULL, NULL, NULL, default_tests },
		{ "gen-catalog", th_dir_setup, th_dir_teardown, NULL, NULL, gen_tests },
		{ "soa", th_dir_setup, th_dir_teardown, NULL, NULL, soa_tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
