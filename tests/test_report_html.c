/*
 * test_report_html.c: the HTML report renderer against the demo model
 * (tests/data/report/model-demo.json, found through $TESTS_SRCDIR): the
 * machine-readable numbers equal the model's summary, no active content
 * and no fetchable URL, hostile strings only escaped, the KPI chart scale,
 * byte-for-byte reproducibility, the refusal of a model without its
 * required parts, and the management-review section in clause order.
 *
 * With $REPORT_HTML_DUMP set, the demo model's HTML is also written to that
 * path (for tests/render-html.sh and a look at it).
 */
#include "autoconfig.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "report_html.h"
#include "testhelp.h"

static json_t *demo;

static int suite_setup(void)
{
	char *path = NULL;
	if (asprintf(&path, "%s/data/report/model-demo.json", th_srcdir()) < 0)
		return -1;
	json_error_t jerr;
	demo = json_load_file(path, 0, &jerr);
	if (demo == NULL)
		fprintf(stderr, "%s:%d: %s\n", path, jerr.line, jerr.text);
	free(path);
	return demo ? 0 : -1;
}

static int suite_teardown(void)
{
	json_decref(demo);
	demo = NULL;
	return 0;
}

struct render {
	int rc;
	char *html;
	size_t len;
	char err[256];
};

static void render(const json_t *model, struct render *r)
{
	r->html = NULL;
	r->len = 0;
	FILE *f = open_memstream(&r->html, &r->len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	r->rc = report_html_write(model, f, r->err, sizeof(r->err));
	fclose(f);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0, l = strlen(needle);
	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + l, needle))
		n++;
	return n;
}

static size_t count_between(const char *from, const char *to, const char *needle)
{
	size_t n = 0, l = strlen(needle);
	for (const char *p = strstr(from, needle); p != NULL && (to == NULL || p < to); p = strstr(p + l, needle))
		n++;
	return n;
}

/* The text after data-key="key"> up to the next '<' (malloc'd), or NULL. */
static char *data_key(const char *html, const char *key)
{
	char pat[128];
	snprintf(pat, sizeof(pat), "data-key=\"%s\">", key);
	const char *p = strstr(html, pat);
	if (p == NULL)
		return NULL;
	p += strlen(pat);
	return strndup(p, strcspn(p, "<"));
}

/* The value of attribute name in the tag that starts at tag (malloc'd). */
static char *attr(const char *tag, const char *name)
{
	char pat[64];
	snprintf(pat, sizeof(pat), " %s=\"", name);
	const char *end = strchr(tag, '>');
	const char *p = strstr(tag, pat);
	if (p == NULL || end == NULL || p > end)
		return NULL;
	p += strlen(pat);
	return strndup(p, strcspn(p, "\""));
}

static double attr_num(const char *tag, const char *name)
{
	char *v = attr(tag, name);
	double d = v ? strtod(v, NULL) : NAN;
	free(v);
	return d;
}

/* ---- the summary numbers ----------------------------------------------------- */

static const char *const summary_keys[] = {
	"kpis.met",
	"kpis.breached",
	"kpis.no_data",
	"ncs_open.major",
	"ncs_open.minor",
	"ncs_open.total",
	"ncs_raised",
	"ncs_closed",
	"evidence_gaps",
	"controls.applicable",
	"controls.not_applicable",
	"controls.evidenced",
	"controls.not_evidenced",
	"controls.with_open_nc",
	"runs.success",
	"runs.failed",
	"runs.interrupted",
	"activities.planned",
	"activities.done",
	"activities.missed",
};

static json_t *json_path(json_t *root, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *v = root;
	char *save = NULL;
	for (char *t = strtok_r(buf, ".", &save); t != NULL && v != NULL; t = strtok_r(NULL, ".", &save))
		v = json_object_get(v, t);
	return v;
}

static void test_summary_numbers(void)
{
	struct render r;
	render(demo, &r);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(r.err, "");
	json_t *summary = json_object_get(demo, "summary");
	for (size_t i = 0; i < sizeof(summary_keys) / sizeof(summary_keys[0]); i++) {
		json_t *want = json_path(summary, summary_keys[i]);
		CU_ASSERT_TRUE_FATAL(json_is_integer(want));
		char *got = data_key(r.html, summary_keys[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		char *end = NULL;
		long long v = strtoll(got, &end, 10);
		CU_ASSERT(*got != '\0' && *end == '\0');
		if (v != (long long)json_integer_value(want))
			fprintf(stderr, "%s: html %s, model %lld\n", summary_keys[i], got,
				(long long)json_integer_value(want));
		CU_ASSERT_EQUAL(v, (long long)json_integer_value(want));
		char pat[64];
		snprintf(pat, sizeof(pat), "data-key=\"%s\"", summary_keys[i]);
		CU_ASSERT_EQUAL(count(r.html, pat), 1);
		free(got);
	}
	/* the derived adherence: done / planned x 100, 1 decimal */
	double done = (double)json_integer_value(json_path(summary, "activities.done"));
	double planned = (double)json_integer_value(json_path(summary, "activities.planned"));
	char want[32];
	snprintf(want, sizeof(want), "%.1f", done * 100 / planned);
	char *adh = data_key(r.html, "activities.adherence_pct");
	CU_ASSERT_PTR_NOT_NULL_FATAL(adh);
	CU_ASSERT_STRING_EQUAL(adh, want);
	free(adh);
	/* the chain head */
	json_t *chain = json_path(demo, "report.chain");
	char *seq = data_key(r.html, "chain.head_seq");
	CU_ASSERT_PTR_NOT_NULL_FATAL(seq);
	CU_ASSERT_EQUAL(strtoll(seq, NULL, 10), (long long)json_integer_value(json_object_get(chain, "head_seq")));
	free(seq);
	char *sha = data_key(r.html, "chain.head_sha256");
	CU_ASSERT_STRING_EQUAL(sha, json_string_value(json_object_get(chain, "head_sha256")));
	free(sha);
	char *ga =
	    strstr(r.html, "data-key=\"generated_at\"><time datetime=\"2026-10-02T08:00:00Z\">2026-10-02 08:00:00<");
	CU_ASSERT_PTR_NOT_NULL(ga);

	/* every row of every table */
	CU_ASSERT_EQUAL(count(r.html, "<tr data-control=\""), json_array_size(json_object_get(demo, "soa")));
	CU_ASSERT_EQUAL(count(r.html, "<tr data-control=\""), 93);
	CU_ASSERT_EQUAL((json_int_t)count(r.html, "data-status=\"nonconforming\""),
			json_integer_value(json_path(summary, "controls.with_open_nc")));
	json_t *ncs = json_object_get(demo, "nonconformities");
	size_t hist = 0;
	for (size_t i = 0; i < json_array_size(ncs); i++)
		hist += json_array_size(json_object_get(json_array_get(ncs, i), "history"));
	CU_ASSERT_EQUAL(count(r.html, "<section class=\"nc\" id=\"nc-"), json_array_size(ncs));
	CU_ASSERT_EQUAL(count(r.html, "<tr class=\"hist\">"), hist);
	/* 12 activities in the calendar; 1 audit, 1+... attested and 2 risk ones again in the review */
	json_t *mr = json_object_get(demo, "management_review");
	size_t cal_rows =
	    json_array_size(json_object_get(demo, "calendar")) + json_array_size(json_path(mr, "performance.audits")) +
	    json_array_size(json_object_get(mr, "stakeholder_feedback")) + json_array_size(json_object_get(mr, "risk"));
	CU_ASSERT_EQUAL(count(r.html, "<tr data-activity=\""), cal_rows);
	CU_ASSERT_EQUAL(count(r.html, "<tr data-source=\""), json_array_size(json_object_get(demo, "collectors")));
	json_t *ev = json_object_get(demo, "evidence");
	CU_ASSERT_EQUAL(count(r.html, "<tr class=\"run\" data-run=\""), json_array_size(ev));
	/* pages: at most 50 rows a run, and a note for the rest */
	size_t pages = 0, capped = 0;
	for (size_t i = 0; i < json_array_size(ev); i++) {
		json_t *run = json_array_get(ev, i);
		size_t np = json_array_size(json_object_get(run, "page_hashes"));
		pages += np > 50 ? 50 : np;
		if (np <= 50)
			continue;
		capped++;
		char pat[64];
		snprintf(pat, sizeof(pat), "<tr class=\"run\" data-run=\"%lld\">",
			 (long long)json_integer_value(json_object_get(run, "run")));
		const char *from = strstr(r.html, pat);
		CU_ASSERT_PTR_NOT_NULL_FATAL(from);
		const char *to = strstr(from + 1, "<tr class=\"run\" data-run=\"");
		CU_ASSERT_EQUAL(count_between(from, to, "<tr class=\"page\"><td></td><td class=\"num\">"), 50);
		char more[64];
		snprintf(more, sizeof(more), "and %zu more (see the JSON report)", np - 50);
		const char *m = strstr(from, more);
		CU_ASSERT(m != NULL && (to == NULL || m < to));
	}
	CU_ASSERT_EQUAL(capped, 1);
	CU_ASSERT_EQUAL(count(r.html, "<tr class=\"page\"><td></td><td class=\"num\">"), pages);
	/* an SoA row in full: status as text as well as colour, NC links */
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "<tr data-control=\"8.8\" data-status=\"nonconforming\"><td>8.8</td>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "<span class=\"badge bad\">\xe2\x9c\x96 Nonconforming</span></td>"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(r.html, "</td><td><a class=\"ncref\" href=\"#nc-3\">NC-3</a></td></tr>\n<tr data-control=\"8.9\""));
	/* a control the SoA file does not list: applicable and the rest are dashes */
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "<tr data-control=\"7.14\" data-status=\"no-evidence\"><td>7.14</td>"
					      "<td>Secure disposal or re-use of equipment</td><td>\xe2\x80\x94</td>"
					      "<td class=\"id\">\xe2\x80\x94</td>"));

	const char *dump = getenv("REPORT_HTML_DUMP");
	if (dump != NULL && *dump != '\0') {
		FILE *f = fopen(dump, "we");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		CU_ASSERT_EQUAL(fwrite(r.html, 1, r.len, f), r.len);
		CU_ASSERT_EQUAL(fclose(f), 0);
	}
	free(r.html);
}

/* ---- no active content, no fetch ---------------------------------------------- */

static const char *const known_tags[] = { "!DOCTYPE", "html",	"head",	      "meta", "title", "style", "body",
					  "header",   "p",	"h1",	      "h2",   "h3",    "h4",	"table",
					  "caption",  "thead",	"tbody",      "tr",   "th",    "td",	"span",
					  "time",     "nav",	"ol",	      "ul",   "li",    "a",	"section",
					  "div",      "figure", "figcaption", "b",    "br",    "svg",	"line",
					  "text",     "path",	"circle",     "rect", "footer" };

/* "nan" or "inf" as a word of its own: a number printed without care. */
static int has_nonfinite(const char *html)
{
	static const char *const words[] = { "nan", "inf" };
	for (size_t w = 0; w < 2; w++) {
		for (const char *p = strcasestr(html, words[w]); p != NULL; p = strcasestr(p + 1, words[w])) {
			int before = p > html && ((p[-1] | 0x20) >= 'a' && (p[-1] | 0x20) <= 'z');
			int after = (p[3] | 0x20) >= 'a' && (p[3] | 0x20) <= 'z';
			if (!before && !after)
				return 1;
		}
	}
	return 0;
}

/* Every tag is one of ours, its attributes are name="value" with nothing
 * unescaped inside, no src/href leaves the page and no event handler. */
static void check_tags(const char *html)
{
	for (const char *p = strchr(html, '<'); p != NULL; p = strchr(p + 1, '<')) {
		const char *name = p[1] == '/' ? p + 2 : p + 1;
		size_t n = strcspn(name, " >/\n");
		int known = 0;
		for (size_t i = 0; i < sizeof(known_tags) / sizeof(known_tags[0]); i++)
			if (strlen(known_tags[i]) == n && strncmp(name, known_tags[i], n) == 0)
				known = 1;
		if (!known)
			fprintf(stderr, "unknown tag: %.40s\n", p);
		CU_ASSERT_TRUE(known);
		const char *a = name + n;
		for (;;) {
			while (*a == ' ' || *a == '\n')
				a++;
			if (*a == '>' || (a[0] == '/' && a[1] == '>') || *a == '\0')
				break;
			size_t nl = strcspn(a, " =>");
			CU_ASSERT_FATAL(nl > 0);
			int is_url = (nl == 3 && strncmp(a, "src", 3) == 0) ||
				     (nl == 4 && strncmp(a, "href", 4) == 0) ||
				     (nl == 10 && strncmp(a, "xlink:href", 10) == 0);
			CU_ASSERT(strncasecmp(a, "on", 2) != 0);
			a += nl;
			if (*a != '=') {
				CU_ASSERT(strncmp(name, "!DOCTYPE", 8) == 0);
				continue;
			}
			CU_ASSERT_EQUAL_FATAL(a[1], '"');
			const char *v = a + 2, *q = strchr(v, '"');
			CU_ASSERT_PTR_NOT_NULL_FATAL(q);
			CU_ASSERT(memchr(v, '<', (size_t)(q - v)) == NULL && memchr(v, '>', (size_t)(q - v)) == NULL);
			if (is_url)
				CU_ASSERT_EQUAL(*v, '#'); /* in-page links only: never http: or https: */
			a = q + 1;
		}
		if (strncmp(p, "<style>", 7) == 0) /* the CSS has no tags */
			p = strstr(p, "</style>");
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	}
}

static void test_no_active_content(void)
{
	struct render r;
	render(demo, &r);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_PTR_NULL(strcasestr(r.html, "<script"));
	CU_ASSERT_PTR_NULL(strcasestr(r.html, "@import"));
	CU_ASSERT_PTR_NULL(strcasestr(r.html, "@font-face"));
	CU_ASSERT_PTR_NULL(strcasestr(r.html, "url("));
	CU_ASSERT_PTR_NULL(strcasestr(r.html, "<link"));
	CU_ASSERT_PTR_NULL(strcasestr(r.html, "<img"));
	CU_ASSERT_PTR_NULL(strcasestr(r.html, "javascript:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "content=\"default-src 'none'; style-src 'unsafe-inline'\""));
	check_tags(r.html);
	/* one chart per KPI and one strip per source, nothing else */
	size_t kpis = json_array_size(json_object_get(demo, "kpis"));
	size_t cols = json_array_size(json_object_get(demo, "collectors"));
	CU_ASSERT_EQUAL(kpis, 14);
	CU_ASSERT_EQUAL(count(r.html, "<svg"), kpis + cols);
	CU_ASSERT_EQUAL(count(r.html, "<svg viewBox=\"0 0 640 210\" role=\"img\""), kpis);
	CU_ASSERT_EQUAL(count(r.html, "<svg viewBox=\"0 0 700 40\" role=\"img\""), cols);
	CU_ASSERT_EQUAL(count(r.html, "<figure id=\"kpi-"), kpis);
	CU_ASSERT_EQUAL(count(r.html, "class=\"thr\""), kpis);
	/* every svg has its title first */
	for (const char *p = strstr(r.html, "<svg"); p != NULL; p = strstr(p + 1, "<svg")) {
		const char *gt = strchr(p, '>');
		CU_ASSERT_PTR_NOT_NULL_FATAL(gt);
		CU_ASSERT_EQUAL(strncmp(gt, ">\n<title id=\"", 13), 0);
	}
	/* the no-data KPIs say so */
	CU_ASSERT_EQUAL((json_int_t)count(r.html, "No data in the period</text>"),
			json_integer_value(json_path(demo, "summary.kpis.no_data")));
	/* 92 days a strip */
	CU_ASSERT_EQUAL(count(r.html, "<rect "), cols * 92);
	CU_ASSERT_FALSE(has_nonfinite(r.html));
	free(r.html);
}

/* ---- hostile strings ------------------------------------------------------------ */

static void test_hostile_strings(void)
{
	struct render r;
	render(demo, &r);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_PTR_NULL(strstr(r.html, "<script>alert(1)</script>"));
	CU_ASSERT_PTR_NULL(strstr(r.html, "alert(1)</"));
	CU_ASSERT_EQUAL(count(r.html, "Console sign-in without MFA &lt;script&gt;alert(1)&lt;/script&gt;</h3>"), 1);
	CU_ASSERT_PTR_NULL(strstr(r.html, "\"quotes\" & 'apostrophes'"));
	/* in the NC history, the calendar owner and an improvement opportunity */
	CU_ASSERT_EQUAL(count(r.html, "&quot;quotes&quot; &amp; &#39;apostrophes&#39;"), 3);
	CU_ASSERT_PTR_NULL(strstr(r.html, "]]>"));
	CU_ASSERT_EQUAL(count(r.html, "]]&gt;"), 2);
	CU_ASSERT_PTR_NULL(strstr(r.html, "<img"));
	CU_ASSERT_EQUAL(count(r.html, "&lt;img src=&quot;https://example.com/x.png&quot;&gt; &amp; "
				      "&lt;a href=&#39;http://example.com/&#39;&gt;link&lt;/a&gt;"),
			1);
	/* odd Unicode passes through unchanged (it has nothing to escape) */
	json_t *kpis = json_object_get(demo, "kpis");
	const char *title = NULL;
	for (size_t i = 0; i < json_array_size(kpis); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(kpis, i), "name")),
			   "training.completion_pct") == 0)
			title = json_string_value(json_object_get(json_array_get(kpis, i), "title"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(title);
	CU_ASSERT_PTR_NOT_NULL(strstr(title, "\xe2\x80\xae")); /* U+202E */
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, title));
	/* the 2000-character string is there in full */
	json_t *ncs = json_object_get(demo, "nonconformities");
	const char *longest = NULL;
	for (size_t i = 0; i < json_array_size(ncs); i++) {
		const char *e = json_string_value(json_object_get(json_array_get(ncs, i), "evidence"));
		if (e != NULL && strlen(e) == 2000)
			longest = e;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(longest);
	CU_ASSERT_EQUAL(count(r.html, longest), 1);
	free(r.html);

	/* control characters and invalid UTF-8 (which jansson would refuse to
	 * parse, but a model built in memory could hold) become U+FFFD */
	json_t *m = json_deep_copy(demo);
	json_object_set_new(json_object_get(m, "report"), "organisation",
			    json_stringn_nocheck("a\x01"
						 "b\xff"
						 "c\xed\xa0\x80"
						 "d<\x7f",
						 11));
	render(m, &r);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "<p class=\"org\">a\xef\xbf\xbd"
					      "b\xef\xbf\xbd"
					      "c\xef\xbf\xbd\xef\xbf\xbd"
					      "\xef\xbf\xbd"
					      "d&lt;\xef\xbf\xbd</p>"));
	free(r.html);
	json_decref(m);
}

/* ---- the chart scale --------------------------------------------------------------- */

/* The rule documented at the top of report_html.c, written again (and
 * without libm, which the tests do not link). */
static double t_floor(double x)
{
	double t = (double)(long long)x;
	return t > x ? t - 1 : t;
}

static double t_ceil(double x)
{
	return -t_floor(-x);
}

static void expected_domain(json_t *kpi, double *ymin, double *ymax)
{
	double lo = INFINITY, hi = -INFINITY;
	json_t *thr = json_object_get(kpi, "threshold"), *series = json_object_get(kpi, "series");
	if (json_is_number(thr))
		lo = hi = json_number_value(thr);
	for (size_t i = 0; i < json_array_size(series); i++) {
		json_t *v = json_object_get(json_array_get(series, i), "value");
		if (!json_is_number(v))
			continue;
		double d = json_number_value(v);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	double dlo = lo, dhi = hi;
	double pad = hi > lo ? (hi - lo) / 10 : lo > 0 ? lo / 10 : lo < 0 ? -lo / 10 : 1;
	lo -= pad;
	hi += pad;
	if (dlo >= 0 && lo < 0)
		lo = 0;
	if (strcmp(json_string_value(json_object_get(kpi, "unit")), "%") == 0 && dhi <= 100 && hi > 100)
		hi = 100;
	double x = (hi - lo) / 4, base = 1, step = 0;
	while (base * 10 <= x)
		base *= 10;
	while (base > x)
		base /= 10;
	const double mult[] = { 1, 2, 2.5, 5, 10 };
	for (size_t i = 0; step == 0; i++)
		if (mult[i] * base >= x * (1 - 1e-12))
			step = mult[i] * base;
	*ymin = t_floor(lo / step) * step;
	*ymax = t_ceil(hi / step) * step;
}

/* The figure of KPI name, and its threshold y and domain. */
static void chart_of(const char *html, const char *name, double *ymin, double *ymax, double *thr_y)
{
	char pat[128];
	snprintf(pat, sizeof(pat), "<figure id=\"kpi-");
	const char *fig = NULL;
	for (const char *p = strstr(html, pat); p != NULL; p = strstr(p + 1, pat)) {
		char *k = attr(p, "data-kpi");
		if (k != NULL && strcmp(k, name) == 0)
			fig = p;
		free(k);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(fig);
	const char *svg = strstr(fig, "<svg");
	CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
	*ymin = attr_num(svg, "data-ymin");
	*ymax = attr_num(svg, "data-ymax");
	const char *thr = strstr(svg, "<line class=\"thr\"");
	CU_ASSERT_PTR_NOT_NULL_FATAL(thr);
	CU_ASSERT(thr < strstr(svg, "</svg>"));
	*thr_y = attr_num(thr, "y1");
	CU_ASSERT_EQUAL(*thr_y, attr_num(thr, "y2"));
}

static double y_of(double v, double ymin, double ymax)
{
	return (double)(long long)((170 - 158 * (v - ymin) / (ymax - ymin)) * 100 + 0.5) / 100;
}

static void test_chart_scale(void)
{
	struct render r;
	render(demo, &r);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	json_t *kpis = json_object_get(demo, "kpis");
	for (size_t i = 0; i < json_array_size(kpis); i++) {
		json_t *k = json_array_get(kpis, i);
		if (json_array_size(json_object_get(k, "series")) == 0)
			continue;
		double want_lo, want_hi, lo, hi, y;
		expected_domain(k, &want_lo, &want_hi);
		chart_of(r.html, json_string_value(json_object_get(k, "name")), &lo, &hi, &y);
		CU_ASSERT_DOUBLE_EQUAL(lo, want_lo, 1e-9);
		CU_ASSERT_DOUBLE_EQUAL(hi, want_hi, 1e-9);
		CU_ASSERT_DOUBLE_EQUAL(y, y_of(json_number_value(json_object_get(k, "threshold")), lo, hi), 1e-9);
	}
	/* worked by hand: patch.compliant_pct has values 87.0..97.5 and target
	 * 95, so lo, hi = 85.95, 98.55, step 5: [85, 100]; y(95) = 170 - 158 x
	 * 10 / 15 = 64.67 */
	double lo, hi, y;
	chart_of(r.html, "patch.compliant_pct", &lo, &hi, &y);
	CU_ASSERT_DOUBLE_EQUAL(lo, 85, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(hi, 100, 1e-9);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "<line class=\"thr\" x1=\"60\" x2=\"624\" y1=\"64.67\" y2=\"64.67\"/>"));
	free(r.html);

	/* a small model: values 10 and 20 at a third and at the end of a
	 * 30-day period, target <= 12: [9, 21] -> step 5 -> [5, 25]; y(12) =
	 * 170 - 158 x 7 / 20 = 114.70; y(10) = 130.50, y(20) = 51.50; x of
	 * day 10 = 60 + 564 / 3 = 248; the breached point at x = 624 */
	json_t *m = json_pack("{s:{s:{s:s,s:s}}, s:{}, s:[{s:s,s:s,s:s,s:s,s:f,s:[{s:s,s:f,s:s},{s:s,s:f,s:s},"
			      "{s:s,s:n,s:s}]}]}",
			      "report", "period", "start", "2026-09-01T00:00:00Z", "end", "2026-10-01T00:00:00Z",
			      "summary", "kpis", "name", "x.count", "scope", "all", "unit", "count", "op",
			      "<=", "threshold", 12.0, "series", "at", "2026-09-11T00:00:00Z", "value", 10.0, "verdict",
			      "met", "at", "2026-10-01T00:00:00Z", "value", 20.0, "verdict", "breached", "at",
			      "2026-09-21T00:00:00Z", "value", "verdict", "no-data");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	render(m, &r);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	chart_of(r.html, "x.count", &lo, &hi, &y);
	CU_ASSERT_DOUBLE_EQUAL(lo, 5, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(hi, 25, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(y, 114.70, 1e-9);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "<circle class=\"pt-met\" r=\"2.6\" cx=\"248.00\" cy=\"130.50\"/>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "<path class=\"pt-breached\" d=\"M624.00 51.50 m0 -4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "<line class=\"pt-none\" x1=\"436.00\" x2=\"436.00\""));
	CU_ASSERT_EQUAL(count(r.html, "class=\"pt-breached\""), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "<path class=\"line\" d=\"M248.00 130.50 L624.00 51.50\"/>"));
	/* tick labels at 5 .. 25 and the month ticks */
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "text-anchor=\"end\">25</text>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "<text x=\"60.00\" y=\"187\" text-anchor=\"middle\">2026-09</text>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "<text x=\"624.00\" y=\"187\" text-anchor=\"end\">2026-10</text>"));
	free(r.html);
	json_decref(m);

	/* absurd values: no NaN, no inf, nothing out of the box */
	m = json_pack("{s:{}, s:{}, s:[{s:s,s:f,s:[{s:s,s:f},{s:s,s:f}]}]}", "report", "summary", "kpis", "name", "big",
		      "threshold", -1.7e308, "series", "at", "x", "value", 1.7e308, "at", "y", "value", 3e-300);
	render(m, &r);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_FALSE(has_nonfinite(r.html));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "1.700e+308"));
	free(r.html);
	json_decref(m);
}

/* ---- reproducibility ------------------------------------------------------------------ */

static char *replace_all(const char *s, const char *from, const char *to)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	size_t fl = strlen(from);
	for (const char *p = strstr(s, from); p != NULL; p = strstr(s, from)) {
		fwrite(s, 1, (size_t)(p - s), f);
		fputs(to, f);
		s = p + fl;
	}
	fputs(s, f);
	fclose(f);
	return out;
}

static void test_reproducible(void)
{
	struct render a, b;
	render(demo, &a);
	render(demo, &b);
	CU_ASSERT_EQUAL_FATAL(a.rc, 0);
	CU_ASSERT_EQUAL_FATAL(b.rc, 0);
	CU_ASSERT_EQUAL(a.len, b.len);
	CU_ASSERT(a.len == b.len && memcmp(a.html, b.html, a.len) == 0);
	free(b.html);

	/* a locale with a decimal comma changes nothing (when it exists) */
	static const char *const locales[] = { "de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", NULL };
	for (size_t i = 0; locales[i] != NULL; i++) {
		if (setlocale(LC_ALL, locales[i]) == NULL)
			continue;
		render(demo, &b);
		setlocale(LC_ALL, "C");
		CU_ASSERT(a.len == b.len && memcmp(a.html, b.html, a.len) == 0);
		free(b.html);
		break;
	}
	setlocale(LC_ALL, "C");

	/* only generated_at differs between two reports of the same store */
	json_t *m = json_deep_copy(demo);
	json_object_set_new(json_object_get(m, "report"), "generated_at", json_string("2027-01-02T03:04:05Z"));
	render(m, &b);
	CU_ASSERT_EQUAL_FATAL(b.rc, 0);
	CU_ASSERT(a.len != b.len || memcmp(a.html, b.html, a.len) != 0);
	char *a1 = replace_all(a.html, "2026-10-02T08:00:00Z", "GENERATED");
	char *a2 = replace_all(a1, "2026-10-02 08:00:00", "GENERATED");
	char *b1 = replace_all(b.html, "2027-01-02T03:04:05Z", "GENERATED");
	char *b2 = replace_all(b1, "2027-01-02 03:04:05", "GENERATED");
	CU_ASSERT_STRING_EQUAL(a2, b2);
	CU_ASSERT_EQUAL(count(a2, "GENERATED"), 2); /* the datetime and the text */
	free(a1);
	free(a2);
	free(b1);
	free(b2);
	free(a.html);
	free(b.html);
	json_decref(m);
}

/* ---- refusals and defaults -------------------------------------------------------------- */

static void test_required_parts(void)
{
	static const struct {
		const char *drop, *msg;
	} cases[] = { { "summary", "\"summary\"" }, { "report", "\"report\"" } };
	for (size_t i = 0; i < 2; i++) {
		json_t *m = json_deep_copy(demo);
		json_object_del(m, cases[i].drop);
		struct render r;
		render(m, &r);
		CU_ASSERT_EQUAL(r.rc, -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(r.err, cases[i].msg));
		CU_ASSERT_EQUAL(r.len, 0); /* nothing written */
		free(r.html);
		/* the wrong type is as bad as none */
		json_object_set_new(m, cases[i].drop, json_string("x"));
		render(m, &r);
		CU_ASSERT_EQUAL(r.rc, -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(r.err, cases[i].msg));
		free(r.html);
		json_decref(m);
	}
	json_t *arr = json_array();
	struct render r;
	render(arr, &r);
	CU_ASSERT_EQUAL(r.rc, -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "not a JSON object"));
	free(r.html);
	render(NULL, &r);
	CU_ASSERT_EQUAL(r.rc, -EINVAL);
	free(r.html);
	json_decref(arr);
}

static void test_minimal_and_wrong_types(void)
{
	/* the required parts, empty: every value is the dash */
	json_t *m = json_pack("{s:{}, s:{}}", "report", "summary");
	struct render r;
	render(m, &r);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	for (size_t i = 0; i < sizeof(summary_keys) / sizeof(summary_keys[0]); i++) {
		char *v = data_key(r.html, summary_keys[i]);
		CU_ASSERT_STRING_EQUAL(v, "\xe2\x80\x94");
		free(v);
	}
	char *v = data_key(r.html, "activities.adherence_pct");
	CU_ASSERT_STRING_EQUAL(v, "\xe2\x80\x94");
	free(v);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "<p class=\"org\">\xe2\x80\x94</p>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "<title>ISMS evidence report</title>"));
	CU_ASSERT_EQUAL(count(r.html, "<svg"), 0);
	CU_ASSERT_PTR_NULL(strstr(r.html, "id=\"management-review\""));
	check_tags(r.html);
	free(r.html);
	json_decref(m);

	/* every part of the wrong type, and arrays of junk */
	static const char junk[] =
	    "{\"report\": {\"title\": 3, \"organisation\": [], \"period\": {\"start\": 1, \"end\": true},"
	    " \"chain\": \"x\", \"generator\": [1]},"
	    " \"summary\": {\"kpis\": \"x\", \"ncs_open\": [], \"controls\": {\"applicable\": 2.5}, \"runs\": 1},"
	    " \"kpis\": \"nope\", \"soa\": [1, \"a\", null, {\"id\": 4, \"open_ncs\": [3, \"x\", {}]}],"
	    " \"nonconformities\": [[], {\"id\": \"7\", \"history\": {}}], \"calendar\": {},"
	    " \"collectors\": [5, {\"source\": \"s\", \"days\": [3, {\"success\": \"x\"}]}],"
	    " \"evidence\": [{\"run\": \"r\", \"page_hashes\": [4, {\"pruned\": 1}]}],"
	    " \"management_review\": {\"previous_actions\": \"x\", \"changes\": [7], \"performance\": "
	    "{\"monitoring\": [1], \"audits\": \"x\"}, \"risk\": null, \"improvement_opportunities\": [1, \"ok\"]}}";
	m = json_loads(junk, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	render(m, &r);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	v = data_key(r.html, "controls.applicable");
	CU_ASSERT_STRING_EQUAL(v, "2.5");
	free(v);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "id=\"management-review\""));
	CU_ASSERT_EQUAL(count(r.html, "<svg"), 1); /* the one collector object */
	check_tags(r.html);
	free(r.html);
	json_decref(m);
}

static void test_write_error(void)
{
	FILE *f = fopen("/dev/full", "we");
	if (f == NULL)
		return;
	char err[128];
	CU_ASSERT_EQUAL(report_html_write(demo, f, err, sizeof(err)), -EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "write"));
	fclose(f);
}

/* ---- the management review ------------------------------------------------------------- */

static void test_management_review(void)
{
	struct render r;
	render(demo, &r);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	const char *sum = strstr(r.html, "<section id=\"summary\">");
	const char *mr = strstr(r.html, "<section id=\"management-review\"");
	const char *kpis = strstr(r.html, "<section id=\"kpis\"");
	CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(kpis);
	/* right after the executive summary */
	CU_ASSERT(sum < mr && mr < kpis);
	CU_ASSERT_EQUAL(strncmp(strstr(sum, "</section>\n"), "</section>\n<section id=\"management-review\"", 42), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "<h2>Management review input (ISO/IEC 27001:2022 clause 9.3.2)</h2>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.html, "<a href=\"#management-review\">"));
	/* headings in clause order, all inside the section */
	static const char *const order[] = { "a", "b-c", "d", "d1", "d2", "d3", "d4", "e", "f", "g" };
	size_t n = 0;
	for (const char *p = strstr(r.html, "data-clause=\""); p != NULL; p = strstr(p + 1, "data-clause=\"")) {
		CU_ASSERT(p > mr && p < kpis);
		char *c = strndup(p + 13, strcspn(p + 13, "\""));
		CU_ASSERT_FATAL(n < 10);
		CU_ASSERT_STRING_EQUAL(c, order[n]);
		n++;
		free(c);
	}
	CU_ASSERT_EQUAL(n, 10);
	/* its numbers */
	json_t *jmr = json_object_get(demo, "management_review");
	char *v = data_key(r.html, "mr.nonconformities.open_end");
	CU_ASSERT_EQUAL(strtoll(v, NULL, 10),
			(long long)json_integer_value(json_path(jmr, "performance.nonconformities.open_end")));
	free(v);
	v = data_key(r.html, "mr.objectives.kpis_total");
	CU_ASSERT_EQUAL(strtoll(v, NULL, 10), 14);
	free(v);
	CU_ASSERT_EQUAL(count_between(mr, kpis, "<li>"),
			json_array_size(json_object_get(jmr, "improvement_opportunities")));
	free(r.html);

	/* null or absent: no section and no link to it */
	json_t *m = json_deep_copy(demo);
	json_object_set_new(m, "management_review", json_null());
	for (int pass = 0; pass < 2; pass++) {
		render(m, &r);
		CU_ASSERT_EQUAL_FATAL(r.rc, 0);
		CU_ASSERT_PTR_NULL(strstr(r.html, "id=\"management-review\""));
		CU_ASSERT_PTR_NULL(strstr(r.html, "#management-review"));
		CU_ASSERT_PTR_NULL(strstr(r.html, "data-clause"));
		CU_ASSERT_PTR_NULL(strstr(r.html, "9.3.2"));
		free(r.html);
		json_object_del(m, "management_review");
	}
	json_decref(m);
}

static CU_TestInfo tests[] = {
	{ "summary numbers and rows", test_summary_numbers },
	{ "no active content", test_no_active_content },
	{ "hostile strings", test_hostile_strings },
	{ "chart scale", test_chart_scale },
	{ "reproducible", test_reproducible },
	{ "required parts", test_required_parts },
	{ "minimal and wrong types", test_minimal_and_wrong_types },
	{ "write error", test_write_error },
	{ "management review", test_management_review },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "report_html", suite_setup, suite_teardown, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return th_main(suites);
}
