/*
 * fuzz_report_html.c: libFuzzer target for the HTML report renderer
 * (report_html_write()).  Each input is used twice:
 *
 * 1. As a JSON document (any value), rendered as a report model.  The
 *    renderer returns 0, or -EINVAL with a message; what it writes is
 *    well-formed as far as escaping goes: every '<' opens one of its own
 *    tags, a tag holds no '<' and only quoted attribute values, there is
 *    no '>' outside a tag or the style sheet, and no src/href leaves the
 *    page.
 *
 * 2. As text (made valid UTF-8, never empty) put into every free-text
 *    field of a fixed model: titles, names, owners, notes, ids, hashes,
 *    several of them also written into attributes.  The output must then
 *    hold exactly as many '<', '>', '"' and '\'' as the output of the same
 *    model with the text "x": none of them may come from the input, which
 *    is what "the escaping holds" means.  It is also checked as in 1.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzzhelp.h"
#include "report_html.h"

/* The fixed model of part 2: "@T@" marks where the input goes.  Times,
 * enumerations that steer the layout (verdicts, states, kinds, the unit)
 * and numbers stay fixed, so that only text changes between renders. */
static const char template[] =
    "{\"report\": {\"schema\": 1, \"kind\": \"@T@\", \"title\": \"@T@\", \"organisation\": \"@T@\","
    " \"period\": {\"label\": \"@T@\", \"start\": \"2026-07-01T00:00:00Z\", \"end\": \"2026-10-01T00:00:00Z\"},"
    " \"generated_at\": \"2026-10-02T08:00:00Z\", \"generator\": {\"name\": \"@T@\", \"version\": \"@T@\"},"
    " \"store\": {\"schema\": 7}, \"chain\": {\"head_seq\": 42, \"head_sha256\": \"@T@\","
    " \"key_fingerprint\": \"@T@\", \"runs_in_period\": 2, \"first_seq\": 41, \"last_seq\": 42}},"
    " \"summary\": {\"kpis\": {\"met\": 1, \"breached\": 1, \"no_data\": 0},"
    " \"ncs_open\": {\"minor\": 1, \"major\": 1, \"total\": 2}, \"ncs_raised\": 2, \"ncs_closed\": 0,"
    " \"evidence_gaps\": 1, \"controls\": {\"applicable\": 1, \"not_applicable\": 1, \"evidenced\": 1,"
    " \"not_evidenced\": 0, \"with_open_nc\": 1}, \"runs\": {\"success\": 2, \"failed\": 1, \"interrupted\": 0},"
    " \"activities\": {\"planned\": 3, \"done\": 2, \"missed\": 1}},"
    " \"kpis\": [{\"name\": \"@T@\", \"title\": \"@T@\", \"scope\": \"@T@\", \"unit\": \"%\", \"op\": \"@T@\","
    " \"threshold\": 95.0, \"severity\": \"@T@\", \"controls\": [\"@T@\", \"8.8\"],"
    " \"latest\": {\"at\": \"2026-09-30T06:00:00Z\", \"value\": 91.2, \"verdict\": \"breached\"},"
    " \"series\": [{\"at\": \"2026-07-01T06:00:00Z\", \"value\": 97.0, \"verdict\": \"met\"},"
    " {\"at\": \"2026-08-01T06:00:00Z\", \"value\": null, \"verdict\": \"no-data\"},"
    " {\"at\": \"2026-09-30T06:00:00Z\", \"value\": 91.2, \"verdict\": \"breached\"}]},"
    " {\"name\": \"@T@\", \"title\": \"@T@\", \"scope\": \"@T@\", \"unit\": \"count\", \"op\": \"<=\","
    " \"threshold\": 0, \"severity\": \"major\", \"controls\": [], \"latest\": null, \"series\": []}],"
    " \"soa\": [{\"id\": \"@T@\", \"title\": \"@T@\", \"theme\": \"@T@\", \"applicable\": true,"
    " \"implementation\": \"@T@\", \"owner\": \"@T@\", \"justification\": \"@T@\", \"evidence_count\": 3,"
    " \"last_evidence\": \"2026-09-30T06:00:00Z\", \"open_ncs\": [4], \"status\": \"nonconforming\"},"
    " {\"id\": \"@T@\", \"title\": \"@T@\", \"theme\": \"@T@\", \"applicable\": false, \"implementation\": null,"
    " \"owner\": null, \"justification\": \"@T@\", \"evidence_count\": 0, \"last_evidence\": null,"
    " \"open_ncs\": [], \"status\": \"not-applicable\"}],"
    " \"nonconformities\": [{\"id\": 4, \"key\": \"@T@\", \"kind\": \"evidence-gap\", \"title\": \"@T@\","
    " \"controls\": [\"@T@\"], \"kpi\": \"@T@\", \"scope\": \"@T@\", \"observed\": 91.2, \"threshold\": 95.0,"
    " \"severity\": \"major\", \"owner\": \"@T@\", \"state\": \"open\", \"condition\": \"@T@\","
    " \"detected_at\": \"2026-08-01T00:00:00Z\", \"updated_at\": \"2026-08-02T00:00:00Z\", \"closed_at\": null,"
    " \"root_cause\": \"@T@\", \"action\": \"@T@\", \"action_owner\": \"@T@\", \"due_at\": null,"
    " \"evidence\": \"@T@\", \"history\": [{\"at\": \"2026-08-01T00:00:00Z\", \"actor\": \"@T@\","
    " \"event\": \"@T@\", \"from\": \"@T@\", \"to\": \"@T@\", \"note\": \"@T@\"}]}],"
    " \"calendar\": [{\"name\": \"@T@\", \"schedule\": \"@T@\", \"owner\": \"@T@\", \"kind\": \"@T@\","
    " \"controls\": [\"@T@\"], \"planned\": 3, \"done\": 2, \"missed\": 1, \"adherence\": 0.667,"
    " \"last_done\": \"2026-09-01T09:00:00Z\"}],"
    " \"collectors\": [{\"source\": \"@T@\", \"type\": \"@T@\", \"schedule\": \"@T@\", \"runs\": 3,"
    " \"success\": 2, \"failed\": 1, \"interrupted\": 0, \"uptime\": 0.667,"
    " \"first_success\": \"2026-07-01T02:00:00Z\", \"last_success\": \"2026-07-03T02:00:00Z\","
    " \"longest_gap_hours\": 48.0, \"days\": [{\"date\": \"@T@\", \"success\": 1, \"failed\": 0},"
    " {\"date\": \"@T@\", \"success\": 0, \"failed\": 1}, {\"date\": \"@T@\", \"success\": 0, \"failed\": 0}]}],"
    " \"evidence\": [{\"run\": 17, \"seq\": 42, \"source\": \"@T@\", \"type\": \"@T@\","
    " \"started_at\": \"2026-07-01T02:00:00Z\", \"finished_at\": \"2026-07-01T02:00:09Z\", \"pages\": 1,"
    " \"facts\": 12, \"manifest_sha256\": \"@T@\", \"page_hashes\": [{\"id\": 301, \"sha256\": \"@T@\","
    " \"size\": 5120, \"pruned\": false}]}],"
    " \"management_review\": {\"previous_actions\": [{\"id\": 4, \"title\": \"@T@\", \"action\": \"@T@\","
    " \"action_owner\": \"@T@\", \"due_at\": null, \"state\": \"open\", \"condition\": \"@T@\"}],"
    " \"changes\": [{\"at\": \"2026-07-20T10:00:00Z\", \"what\": \"@T@\"}],"
    " \"performance\": {\"nonconformities\": {\"raised\": 2, \"closed\": 0, \"open_end\": 2, \"overdue_actions\": 0},"
    " \"monitoring\": [{\"kpi\": \"@T@\", \"scope\": \"@T@\", \"start\": 97.0, \"end\": 91.2,"
    " \"trend\": \"worsening\", \"verdict\": \"breached\"}], \"audits\": [], \"objectives\": {\"kpis_met\": 1,"
    " \"kpis_total\": 2}}, \"stakeholder_feedback\": [], \"risk\": [], \"improvement_opportunities\": [\"@T@\"]}}";

static const char *const tags[] = { "!DOCTYPE", "html", "head", "meta",	   "title", "style",  "body",	    "header",
				    "p",	"h1",	"h2",	"h3",	   "h4",    "table",  "caption",    "thead",
				    "tbody",	"tr",	"th",	"td",	   "span",  "time",   "nav",	    "ol",
				    "ul",	"li",	"a",	"section", "div",   "figure", "figcaption", "b",
				    "br",	"svg",	"line", "text",	   "path",  "circle", "rect",	    "footer" };

static json_t *tmpl;
static size_t base_counts[4];

static const char specials[4] = { '<', '>', '"', '\'' };

static void count_specials(const char *s, size_t len, size_t counts[4])
{
	memset(counts, 0, 4 * sizeof(counts[0]));
	for (size_t i = 0; i < len; i++)
		for (size_t k = 0; k < 4; k++)
			if (s[i] == specials[k])
				counts[k]++;
}

/* Escaping holds: see the top of the file. */
static void check_html(const char *html, size_t len)
{
	FUZZ_CHECK(strlen(html) == len, "a NUL in the output");
	const char *p = html;
	while (*p != '\0') {
		if (*p == '>')
			fuzz_violation(__FILE__, __LINE__, "'>' outside a tag", p);
		if (*p != '<') {
			p++;
			continue;
		}
		int closing = p[1] == '/';
		const char *name = closing ? p + 2 : p + 1;
		size_t n = strcspn(name, " />\n");
		int known = 0;
		for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
			if (strlen(tags[i]) == n && strncmp(name, tags[i], n) == 0)
				known = 1;
		FUZZ_CHECK(known, p);
		const char *a = name + n;
		for (;;) {
			while (*a == ' ' || *a == '\n')
				a++;
			if (*a == '>' || (a[0] == '/' && a[1] == '>'))
				break;
			FUZZ_CHECK(*a != '\0' && *a != '<', "a tag that does not end");
			size_t nl = strcspn(a, " =>\"'<");
			FUZZ_CHECK(nl > 0, "a broken attribute");
			int url = (nl == 3 && strncmp(a, "src", 3) == 0) || (nl == 4 && strncmp(a, "href", 4) == 0);
			FUZZ_CHECK(!(a[0] == 'o' && a[1] == 'n'), "an event handler");
			a += nl;
			if (*a != '=')
				continue; /* <!DOCTYPE html> */
			FUZZ_CHECK(a[1] == '"', "an unquoted attribute value");
			const char *v = a + 2, *q = strchr(v, '"');
			FUZZ_CHECK(q != NULL, "an attribute value that does not end");
			FUZZ_CHECK(memchr(v, '<', (size_t)(q - v)) == NULL, "'<' in an attribute value");
			FUZZ_CHECK(memchr(v, '>', (size_t)(q - v)) == NULL, "'>' in an attribute value");
			FUZZ_CHECK(!url || *v == '#', "a link out of the page");
			a = q + 1;
		}
		p = *a == '>' ? a + 1 : a + 2;
		if (!closing && strncmp(name, "style>", 6) == 0) {
			const char *end = strstr(p, "</style>");
			FUZZ_CHECK(end != NULL, "a style sheet that does not end");
			p = end;
		}
	}
}

static int render(const json_t *model, char **html, size_t *len, char *err, size_t errlen)
{
	FILE *f = open_memstream(html, len);
	FUZZ_CHECK(f != NULL, "out of memory");
	int r = report_html_write(model, f, err, errlen);
	FUZZ_CHECK(fclose(f) == 0, "cannot close the memory stream");
	return r;
}

/* Replaces every "@T@" string below v with a copy of t. */
static void fill(json_t *v, json_t *t)
{
	if (json_is_object(v)) {
		const char *key;
		json_t *child;
		json_object_foreach(v, key, child)
		{
			if (json_is_string(child) && strcmp(json_string_value(child), "@T@") == 0)
				json_object_set(v, key, t);
			else
				fill(child, t);
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *child = json_array_get(v, i);
			if (json_is_string(child) && strcmp(json_string_value(child), "@T@") == 0)
				json_array_set(v, i, t);
			else
				fill(child, t);
		}
	}
}

static json_t *model_with(const char *text, size_t len)
{
	json_t *t = json_stringn(text, len);
	FUZZ_CHECK(t != NULL, "text that jansson refuses");
	json_t *m = json_deep_copy(tmpl);
	FUZZ_CHECK(m != NULL, "out of memory");
	fill(m, t);
	json_decref(t);
	return m;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	json_error_t jerr;
	tmpl = json_loads(template, 0, &jerr);
	FUZZ_CHECK(tmpl != NULL, jerr.text);
	json_t *m = model_with("x", 1);
	char *html = NULL, err[256];
	size_t len = 0;
	FUZZ_CHECK(render(m, &html, &len, err, sizeof(err)) == 0, err);
	check_html(html, len);
	count_specials(html, len, base_counts);
	free(html);
	json_decref(m);
	return 0;
}

/* The input as valid UTF-8 without NUL: each byte that does not start a
 * valid sequence becomes '?'; an empty input becomes "x". */
static char *as_text(const uint8_t *data, size_t size, size_t *len)
{
	char *out = malloc(size + 2);
	FUZZ_CHECK(out != NULL, "out of memory");
	size_t o = 0;
	for (size_t i = 0; i < size;) {
		unsigned char c = data[i];
		size_t n = c < 0x80		      ? 1
			   : (c >= 0xc2 && c <= 0xdf) ? 2
			   : (c >= 0xe0 && c <= 0xef) ? 3
			   : (c >= 0xf0 && c <= 0xf4) ? 4
						      : 0;
		int ok = n > 0 && i + n <= size;
		for (size_t k = 1; ok && k < n; k++)
			ok = (data[i + k] & 0xc0) == 0x80;
		if (ok && n == 3)
			ok = !(c == 0xe0 && data[i + 1] < 0xa0) && !(c == 0xed && data[i + 1] >= 0xa0);
		if (ok && n == 4)
			ok = !(c == 0xf0 && data[i + 1] < 0x90) && !(c == 0xf4 && data[i + 1] >= 0x90);
		if (!ok || c == 0) {
			out[o++] = c == 0 ? ' ' : '?';
			i++;
			continue;
		}
		memcpy(out + o, data + i, n);
		o += n;
		i += n;
	}
	if (o == 0)
		out[o++] = 'x';
	out[o] = '\0';
	*len = o;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	char *html = NULL;
	size_t len = 0;

	/* 1: the input as a model */
	json_t *model = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (model != NULL) {
		err[0] = 'x';
		err[1] = '\0';
		int r = render(model, &html, &len, err, sizeof(err));
		FUZZ_CHECK(r == 0 || r == -EINVAL, "an unexpected error");
		if (r == 0) {
			FUZZ_CHECK(err[0] == '\0', "an error message on success");
			check_html(html, len);
		} else {
			FUZZ_CHECK(err[0] != '\0' && strcmp(err, "x") != 0, "a refusal without a message");
			FUZZ_CHECK(len == 0, "output written for a refused model");
		}
		free(html);
		html = NULL;
		json_decref(model);
	}

	/* 2: the input as text in every text field (its first 512 bytes: the
	 * escaping of a character does not depend on the length) */
	size_t tlen;
	char *text = as_text(data, size < 512 ? size : 512, &tlen);
	model = model_with(text, tlen);
	FUZZ_CHECK(render(model, &html, &len, err, sizeof(err)) == 0, err);
	check_html(html, len);
	size_t counts[4];
	count_specials(html, len, counts);
	for (size_t k = 0; k < 4; k++)
		FUZZ_CHECK(counts[k] == base_counts[k], "a '<', '>', '\"' or '\\'' of the input got through unescaped");
	free(html);
	free(text);
	json_decref(model);
	return 0;
}
