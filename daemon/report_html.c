/*
 * report_html.c: renders the report model (docs/internals/report-model.md)
 * as one self-contained HTML5 file for screen and A4 print: inline CSS and
 * inline SVG only, no script, no URL that could be fetched.  Every text
 * from the model is escaped (& < > " ' and C0 controls; invalid UTF-8 gives
 * U+FFFD), and nothing but the model decides the bytes: numbers are
 * formatted by hand (never through the locale), no clock, no environment.
 *
 * Sections, in order, each with an id for the table of contents: title,
 * toc, summary, management-review (only when management_review is an
 * object), kpis, soa, nonconformities, calendar, collectors, evidence.
 *
 * Machine-readable values.  Each is the text of the element that carries
 * the attribute, and data-key is the element's last attribute, so that
 * data-key="K">VALUE< can be matched directly.  A missing or wrong-typed
 * value prints "—" (U+2014).  Integers print as integers; any other
 * number with up to 2 decimals (trailing zeros dropped).
 *   summary (exactly the model's summary fields):
 *     kpis.met kpis.breached kpis.no_data
 *     ncs_open.major ncs_open.minor ncs_open.total ncs_raised ncs_closed
 *     evidence_gaps
 *     controls.applicable controls.not_applicable controls.evidenced
 *     controls.not_evidenced controls.with_open_nc
 *     runs.success runs.failed runs.interrupted
 *     activities.planned activities.done activities.missed
 *   derived: activities.adherence_pct = done / planned x 100, 1 decimal
 *     ("—" when planned is 0 or either is missing)
 *   title block: chain.head_seq chain.head_sha256 chain.key_fingerprint
 *     chain.runs_in_period chain.first_seq chain.last_seq period.label;
 *     period.start period.end generated_at hold a <time datetime="RAW">
 *   management review: mr.nonconformities.raised .closed .open_end
 *     .overdue_actions, mr.objectives.kpis_met mr.objectives.kpis_total
 * Rows and blocks also carry (escaped) model values: data-kpi, data-scope,
 * data-verdict, data-ymin, data-ymax on KPI charts; data-control and
 * data-status on SoA rows; data-nc, data-state, data-severity on NC
 * sections; data-activity on calendar rows; data-source on collector rows;
 * data-run on evidence rows; data-clause on the management review headings
 * ("a", "b-c", "d", "d1".."d4", "e", "f", "g", in clause 9.3.2 order).
 *
 * KPI charts: one <svg viewBox="0 0 640 210" role="img"> per KPI.  The plot
 * area is x in [60, 624], y in [12, 170].  x = 60 + 564 (t - start) /
 * (end - start) from the point's "at" (clamped; when the period or the
 * time does not parse, points are spread evenly by index).  The y domain
 * [ymin, ymax] (in data-ymin/data-ymax) is:
 *   1. lo, hi = min, max of the finite values and the finite threshold;
 *      none at all gives [0, 1];
 *   2. pad = (hi - lo) / 10, or |lo| / 10 when hi == lo, or 1 when both
 *      are 0; lo -= pad, hi += pad;
 *   3. lo = max(lo, 0) when no number in step 1 is negative; hi = min(hi,
 *      100) when the unit is "%" and no number in step 1 exceeds 100;
 *   4. step = the least of 1, 2, 2.5, 5 x 10^k that is >= (hi - lo) / 4;
 *      ymin = floor(lo / step) step, ymax = ceil(hi / step) step.
 * y(v) = 170 - 158 (v - ymin) / (ymax - ymin).  Computed coordinates have
 * exactly 2 decimals.  The threshold is a dashed <line class="thr"> at
 * y(threshold); breached points are red diamonds (class pt-breached),
 * others circles, evaluations without a value a grey tick on the x axis.
 *
 * Uptime strips: one <svg viewBox="0 0 700 40" role="img"> per source, a
 * bar per day: tall green with a successful run, half-height red with
 * failed runs only, low grey without a run (height as well as colour).
 * "Needs attention" in the summary lists the KPIs whose latest verdict is
 * "breached" and the NCs whose state is not "closed" that are major or
 * evidence gaps.  Evidence: at most 50 page hashes a run, then "and N more".
 */
#include "autoconfig.h"

#include <errno.h>
#include <math.h> /* macros and fabs only: no libm */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report_html.h"
#include "util.h"

#define DASH "\xe2\x80\x94" /* U+2014, for a missing value */
#define NBSP "\xc2\xa0"

/* KPI chart geometry (see the top of the file). */
#define CH_W 640
#define CH_H 210
#define CH_X0 60.0
#define CH_X1 624.0
#define CH_Y0 12.0
#define CH_Y1 170.0
/* Uptime strip geometry. */
#define ST_W 700.0
#define ST_H 40

#define MAX_PAGE_ROWS 50

/* ---- model access: every getter copes with NULL and wrong types ----------- */

static const json_t *jget(const json_t *o, const char *key)
{
	return json_is_object(o) ? json_object_get(o, key) : NULL;
}

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = jget(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static const json_t *jarr(const json_t *o, const char *key)
{
	const json_t *v = jget(o, key);
	return json_is_array(v) ? v : NULL;
}

static size_t jlen(const json_t *a)
{
	return json_is_array(a) ? json_array_size(a) : 0;
}

/* A finite number (integer or real) into *out; 0 when there is none. */
static int jnum(const json_t *v, double *out)
{
	if (!json_is_number(v))
		return 0;
	double d = json_number_value(v);
	if (!isfinite(d))
		return 0;
	*out = d;
	return 1;
}

static int jint(const json_t *v, long long *out)
{
	if (!json_is_integer(v))
		return 0;
	*out = (long long)json_integer_value(v);
	return 1;
}

/* "a.b.c" below root. */
static const json_t *jpath(const json_t *root, const char *path)
{
	char part[64];
	const json_t *v = root;
	while (v != NULL && *path != '\0') {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		v = jget(v, part);
		path += n;
		if (*path == '.')
			path++;
	}
	return v;
}

static int streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* ---- escaping -------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p, or 0. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0; /* overlong */
		if (c == 0xed && p[1] >= 0xa0)
			return 0; /* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

/* Writes s for a text node or a quoted attribute value. */
static void esc(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	while (*p != '\0') {
		const char *rep = NULL;
		size_t skip = 1;
		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		case '\t':
		case '\n':
		case '\r':
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				rep = "\xef\xbf\xbd";
			} else if (*p >= 0x80) {
				size_t n = utf8_len(p);
				if (n == 0)
					rep = "\xef\xbf\xbd";
				else
					skip = n;
			}
		}
		if (rep != NULL) {
			fwrite(run, 1, (size_t)(p - run), out);
			fputs(rep, out);
			p++;
			run = p;
		} else {
			p += skip;
		}
	}
	fwrite(run, 1, (size_t)(p - run), out);
}

/* Escaped text, or the dash when s is NULL or empty. */
static void text(FILE *out, const char *s)
{
	if (s == NULL || *s == '\0')
		fputs(DASH, out);
	else
		esc(out, s);
}

static void jtext(FILE *out, const json_t *o, const char *key)
{
	text(out, jstr(o, key));
}

/* ---- numbers: by hand, so that no locale can change them -------------------- */

/* Rounding and powers of ten without libm (the daemon does not link it);
 * all of them are exact or deterministic for the ranges used here. */

/* x rounded half away from zero; |x| < 9e15. */
static long long round_ll(double x)
{
	long long t = (long long)x;
	double frac = x - (double)t;
	if (frac >= 0.5)
		t++;
	else if (frac <= -0.5)
		t--;
	return t;
}

static double floor_d(double x)
{
	if (!(fabs(x) < 4e15))
		return x; /* already an integer, or not finite */
	long long t = (long long)x;
	if ((double)t > x)
		t--;
	return (double)t;
}

static double ceil_d(double x)
{
	if (!(fabs(x) < 4e15))
		return x;
	long long t = (long long)x;
	if ((double)t < x)
		t++;
	return (double)t;
}

/* 10^k; exact for |k| <= 22. */
static double pow10_i(int k)
{
	double p = 1;
	int n = k < 0 ? -k : k;
	for (int i = 0; i < n && i < 400; i++)
		p *= 10;
	return k < 0 ? 1 / p : p;
}

/* floor(log10(x)) for a finite x > 0. */
static int floor_log10(double x)
{
	int k = 0;
	while (x >= 10 && k < 400) {
		x /= 10;
		k++;
	}
	while (x < 1 && k > -400) {
		x *= 10;
		k--;
	}
	return k;
}

/* v with exactly dec (0..6) decimals; huge values as m.mmme+N. */
static void fmt_fixed(char *buf, size_t len, double v, int dec)
{
	static const double p10[] = { 1, 10, 100, 1000, 1e4, 1e5, 1e6 };
	if (!isfinite(v)) {
		snprintf(buf, len, "%s", DASH);
		return;
	}
	if (dec < 0)
		dec = 0;
	if (dec > 6)
		dec = 6;
	double scaled = v * p10[dec];
	if (fabs(scaled) >= 9e15) {
		int e = floor_log10(fabs(v));
		double m = v / pow10_i(e);
		if (fabs(m) >= 9.9995) { /* rounds up to 10.000 */
			m /= 10;
			e++;
		}
		char mbuf[32];
		fmt_fixed(mbuf, sizeof(mbuf), m, 3);
		snprintf(buf, len, "%se+%d", mbuf, e);
		return;
	}
	long long r = round_ll(scaled);
	unsigned long long a = r < 0 ? 0ULL - (unsigned long long)r : (unsigned long long)r;
	unsigned long long p = (unsigned long long)p10[dec];
	if (dec == 0)
		snprintf(buf, len, "%s%llu", r < 0 ? "-" : "", a);
	else
		snprintf(buf, len, "%s%llu.%0*llu", r < 0 ? "-" : "", a / p, dec, a % p);
}

/* v with at most dec decimals, trailing zeros dropped. */
static void fmt_trim(char *buf, size_t len, double v, int dec)
{
	fmt_fixed(buf, len, v, dec);
	if (strchr(buf, '.') == NULL || strchr(buf, 'e') != NULL)
		return;
	size_t n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, len, "0");
}

/* A count or other number from the model, or the dash. */
static void num(FILE *out, const json_t *v)
{
	long long i;
	double d;
	char buf[64];
	if (jint(v, &i)) {
		fprintf(out, "%lld", i);
	} else if (jnum(v, &d)) {
		fmt_trim(buf, sizeof(buf), d, 2);
		fputs(buf, out);
	} else {
		fputs(DASH, out);
	}
}

static void jnumtext(FILE *out, const json_t *o, const char *key)
{
	num(out, jget(o, key));
}

/* A fraction (0.978) as a percentage with 1 decimal ("97.8 %"), or the dash. */
static void pct(FILE *out, const json_t *v)
{
	double d;
	char buf[64];
	if (!jnum(v, &d)) {
		fputs(DASH, out);
		return;
	}
	fmt_fixed(buf, sizeof(buf), d * 100, 1);
	fprintf(out, "%s" NBSP "%%", buf);
}

/* An SVG coordinate: 2 decimals, kept within a sane range. */
static void coord(FILE *out, double v)
{
	char buf[64];
	if (!isfinite(v))
		v = 0;
	if (v > 1e6)
		v = 1e6;
	if (v < -1e6)
		v = -1e6;
	fmt_fixed(buf, sizeof(buf), v, 2);
	fputs(buf, out);
}

/* ---- times ----------------------------------------------------------------- */

/* "YYYY-MM-DDTHH:MM:SSZ" exactly (what the model writes). */
static int is_plain_time(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	if (s == NULL || strlen(s) != sizeof(pat) - 1)
		return 0;
	for (size_t i = 0; pat[i] != '\0'; i++) {
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return 0;
	}
	return 1;
}

/* A time as <time datetime="RAW">YYYY-MM-DD HH:MM:SS</time> (UTC), other
 * strings escaped as they are, NULL as the dash. */
static void tm_text(FILE *out, const char *s)
{
	if (!is_plain_time(s)) {
		text(out, s);
		return;
	}
	fprintf(out, "<time datetime=\"%s\">%.10s %.8s</time>", s, s, s + 11);
}

static void jtime(FILE *out, const json_t *o, const char *key)
{
	tm_text(out, jstr(o, key));
}

static int parse_time(const char *s, time_t *t)
{
	return s != NULL && util_time_parse(s, t) == 0;
}

/* ---- labels and classes: model values never become class names ------------ */

struct word {
	const char *value, *cls, *label;
};

static const struct word status_words[] = {
	{ "evidenced", "good", "\xe2\x9c\x94 Evidenced" },
	{ "nonconforming", "bad", "\xe2\x9c\x96 Nonconforming" },
	{ "no-evidence", "warn", "! No evidence" },
	{ "not-applicable", "muted", "\xe2\x80\x93 Not applicable" },
	{ NULL, NULL, NULL },
};

static const struct word verdict_words[] = {
	{ "met", "good", "\xe2\x9c\x94 met" },
	{ "breached", "bad", "\xe2\x9c\x96 breached" },
	{ "no-data", "muted", "? no data" },
	{ NULL, NULL, NULL },
};

static const struct word severity_words[] = {
	{ "major", "bad", "major" },
	{ "minor", "warn", "minor" },
	{ NULL, NULL, NULL },
};

static const struct word state_words[] = {
	{ "open", "bad", "open" },
	{ "acknowledged", "warn", "acknowledged" },
	{ "action-planned", "warn", "action planned" },
	{ "resolved", "good", "resolved" },
	{ "closed", "muted", "closed" },
	{ NULL, NULL, NULL },
};

static const struct word trend_words[] = {
	{ "improving", "good", "\xe2\x86\x97 improving" },
	{ "worsening", "bad", "\xe2\x86\x98 worsening" },
	{ "flat", "muted", "\xe2\x86\x92 flat" },
	{ "no-data", "muted", "? no data" },
	{ NULL, NULL, NULL },
};

/* A badge: colour from a fixed class, always with its text. */
static void badge(FILE *out, const struct word *words, const char *v)
{
	for (const struct word *w = words; w->value != NULL; w++) {
		if (streq(v, w->value)) {
			fprintf(out, "<span class=\"badge %s\">%s</span>", w->cls, w->label);
			return;
		}
	}
	if (v == NULL) {
		fputs(DASH, out);
		return;
	}
	fputs("<span class=\"badge muted\">", out);
	text(out, v);
	fputs("</span>", out);
}

/* An array of strings (controls) as "8.8, 8.19". */
static void str_list(FILE *out, const json_t *a)
{
	size_t n = 0;
	for (size_t i = 0; i < jlen(a); i++) {
		const json_t *v = json_array_get(a, i);
		if (!json_is_string(v))
			continue;
		if (n++ > 0)
			fputs(", ", out);
		esc(out, json_string_value(v));
	}
	if (n == 0)
		fputs(DASH, out);
}

/* A link to an NC of the register, or the escaped value as text. */
static void nc_ref(FILE *out, const json_t *v)
{
	long long id;
	if (jint(v, &id))
		fprintf(out, "<a class=\"ncref\" href=\"#nc-%lld\">NC-%lld</a>", id, id);
	else
		num(out, v);
}

static void nc_refs(FILE *out, const json_t *a)
{
	for (size_t i = 0; i < jlen(a); i++) {
		if (i > 0)
			fputs(", ", out);
		nc_ref(out, json_array_get(a, i));
	}
	if (jlen(a) == 0)
		fputs(DASH, out);
}

/* ---- the document ---------------------------------------------------------- */

static const char css[] =
    "@page { size: A4; margin: 14mm 12mm 16mm 12mm;\n"
    "  @bottom-right { content: \"Page \" counter(page) \" of \" counter(pages); font: 7.5pt sans-serif; color: #555; "
    "} }\n"
    "html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }\n"
    "body { font: 10pt/1.4 \"DejaVu Sans\", \"Liberation Sans\", Arial, Helvetica, sans-serif; color: #1b1f24;\n"
    "  margin: 0 auto; max-width: 62rem; padding: 1rem 1.2rem 3rem; background: #fff; }\n"
    "h1 { font-size: 1.7em; margin: .2em 0 .4em; color: #1f3a5f; }\n"
    "h2 { font-size: 1.35em; color: #1f3a5f; border-bottom: 2px solid #1f3a5f; padding-bottom: .15em;\n"
    "  margin: 1.6em 0 .6em; }\n"
    "h3 { font-size: 1.1em; margin: 1.2em 0 .4em; color: #243447; }\n"
    "h4 { font-size: 1em; margin: 1em 0 .3em; }\n"
    "h2, h3, h4 { break-after: avoid; page-break-after: avoid; }\n"
    "p, li { overflow-wrap: anywhere; }\n"
    "a { color: #1f5fa8; }\n"
    "a.ncref { white-space: nowrap; }\n"
    "table.narrow { width: auto; min-width: 50%; }\n"
    ".org { font-size: 1.1em; color: #444; margin: 0; }\n"
    ".note { color: #555; font-size: .9em; }\n"
    "table { border-collapse: collapse; width: 100%; margin: .4em 0 1em; }\n"
    "th, td { border: 1px solid #c9ced6; padding: .2em .4em; text-align: left; vertical-align: top; }\n"
    "td { overflow-wrap: anywhere; }\n"
    "th { background: #eef1f5; font-weight: 600; }\n"
    "thead { display: table-header-group; }\n"
    "tr { break-inside: avoid; page-break-inside: avoid; }\n"
    "td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }\n"
    "td.time { min-width: 6.4em; }\n"
    "td.id { min-width: 5.5em; }\n"
    "table.kv th, table.kv4 th { font-weight: 600; white-space: nowrap; }\n"
    "table.kv4 th { width: 1%; }\n"
    "table.meta th { width: 30%; }\n"
    "table.meta td.num { text-align: left; }\n"
    ".hash { font-family: \"DejaVu Sans Mono\", \"Liberation Mono\", monospace; font-size: .8em; word-break: "
    "break-all; }\n"
    ".small { font-size: .85em; color: #444; }\n"
    ".badge { display: inline-block; padding: 0 .35em; border: 1px solid; border-radius: .3em; white-space: nowrap;\n"
    "  font-size: .88em; }\n"
    ".good { background: #e4f4e7; color: #14532d; border-color: #76b887; }\n"
    ".bad { background: #fde8e8; color: #8b1a1a; border-color: #e08a8a; }\n"
    ".warn { background: #fff4db; color: #6b4300; border-color: #e0b453; }\n"
    ".muted { background: #f1f2f4; color: #444; border-color: #b9bec6; }\n"
    ".cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(10.5em, 1fr)); gap: 0 .8em;\n"
    "  align-items: start; }\n"
    ".cards table { margin: .2em 0 .8em; }\n"
    ".cards th { white-space: normal; }\n"
    ".cards caption { text-align: left; font-weight: 600; padding: .2em 0; }\n"
    "nav ol { columns: 2; margin: .3em 0; }\n"
    "figure { margin: 0 0 1em; padding: .4em .6em .2em; border: 1px solid #d6dae0; break-inside: avoid;\n"
    "  page-break-inside: avoid; }\n"
    "figcaption { font-size: .92em; margin-bottom: .2em; }\n"
    "figcaption .t { font-weight: 600; }\n"
    ".legend { font-size: .85em; color: #444; margin: .1em 0 .2em; }\n"
    ".lg-met { color: #1f5fa8; } .lg-br { color: #c62828; } .lg-thr { color: #c25e00; }\n"
    ".lg-ok { color: #2e7d32; } .lg-fail { color: #c62828; } .lg-none { color: #8a9099; }\n"
    "svg { display: block; width: 100%; height: auto; }\n"
    "svg text { font-family: \"DejaVu Sans\", \"Liberation Sans\", Arial, sans-serif; font-size: 11px; fill: #333; }\n"
    "svg .grid { stroke: #e4e7eb; stroke-width: 1; }\n"
    "svg .axis { stroke: #6b7280; stroke-width: 1; }\n"
    "svg .line { fill: none; stroke: #1f5fa8; stroke-width: 1.4; }\n"
    "svg .pt-met { fill: #1f5fa8; }\n"
    "svg .pt-other { fill: #6b7280; }\n"
    "svg .pt-breached { fill: #c62828; stroke: #fff; stroke-width: .6; }\n"
    "svg .pt-none { stroke: #8a9099; stroke-width: 1.2; }\n"
    "svg .thr { stroke: #c25e00; stroke-width: 1.5; stroke-dasharray: 6 4; }\n"
    "svg text.thr-l { fill: #c25e00; }\n"
    "svg text.nodata { font-size: 14px; fill: #6b7280; }\n"
    "svg .ok { fill: #2e7d32; } svg .fail { fill: #c62828; } svg .none { fill: #c3c7cd; }\n"
    "figure.strip { padding-bottom: .3em; }\n"
    ".bar { background: #e4e7eb; height: .45em; min-width: 4em; margin-top: .15em; }\n"
    ".bar span { display: block; height: 100%; background: #2e7d32; }\n"
    "table.soa th:nth-child(2) { width: 36%; }\n"
    "table.soa td:first-child { white-space: nowrap; }\n"
    "table.ev { font-size: .9em; }\n"
    "table.ev td.time { white-space: nowrap; }\n"
    "table.ev .hash { font-size: .74em; }\n"
    "table.ev th, table.ev td { padding: .1em .35em; }\n"
    "table.ev tr.run td { border-top: 1.5px solid #8d96a3; }\n"
    "table.ev tr.page td { border-top-color: #eceef1; border-bottom-color: #eceef1; color: #444; }\n"
    "table.ev tr.page td:first-child { border-top-color: #c9ced6; }\n"
    "section.nc { border-left: 4px solid #c9ced6; padding-left: .7em; margin-bottom: 1.2em; }\n"
    "section.nc h3 { margin-top: .6em; }\n"
    "@media print {\n"
    "  body { max-width: none; padding: 0; font-size: 8.5pt; }\n"
    "  section.part { break-before: page; page-break-before: always; }\n"
    "  a { color: inherit; text-decoration: none; }\n"
    "  figure { border-color: #e1e4e8; }\n"
    "}\n";

static void write_head(FILE *out, const json_t *report)
{
	fputs(
	    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"color-scheme\" content=\"light\">\n",
	    out);
	const char *title = jstr(report, "title");
	fputs("<title>", out);
	esc(out, title != NULL && *title != '\0' ? title : "ISMS evidence report");
	fputs("</title>\n", out);
	const char *gname = jstr(jget(report, "generator"), "name");
	if (gname != NULL) {
		fputs("<meta name=\"generator\" content=\"", out);
		esc(out, gname);
		const char *gver = jstr(jget(report, "generator"), "version");
		if (gver != NULL) {
			fputc(' ', out);
			esc(out, gver);
		}
		fputs("\">\n", out);
	}
	fprintf(out, "<style>\n%s</style>\n</head>\n<body>\n", css);
}

/* A <tr> of a key/value table; label is ours, the value is written by fn. */
static void kv_open(FILE *out, const char *label)
{
	fprintf(out, "<tr><th scope=\"row\">%s</th><td>", label);
}

static void kv_close(FILE *out)
{
	fputs("</td></tr>\n", out);
}

/* A value cell with data-key: the key is ours, the value a number. */
static void kv_num(FILE *out, const char *label, const char *key, const json_t *v)
{
	fprintf(out, "<tr><th scope=\"row\">%s</th><td class=\"num\" data-key=\"%s\">", label, key);
	num(out, v);
	fputs("</td></tr>\n", out);
}

static void write_title(FILE *out, const json_t *report)
{
	const json_t *period = jget(report, "period"), *chain = jget(report, "chain"), *gen = jget(report, "generator");
	fputs("<header id=\"title\">\n<p class=\"org\">", out);
	jtext(out, report, "organisation");
	fputs("</p>\n<h1>", out);
	const char *title = jstr(report, "title");
	esc(out, title != NULL && *title != '\0' ? title : "ISMS evidence report");
	fputs("</h1>\n<table class=\"kv meta\">\n", out);
	kv_open(out, "Organisation");
	jtext(out, report, "organisation");
	kv_close(out);
	kv_open(out, "Report kind");
	jtext(out, report, "kind");
	kv_close(out);
	fputs("<tr><th scope=\"row\">Period</th><td><span data-key=\"period.label\">", out);
	jtext(out, period, "label");
	fputs("</span>: <span data-key=\"period.start\">", out);
	jtime(out, period, "start");
	fputs("</span> to <span data-key=\"period.end\">", out);
	jtime(out, period, "end");
	fputs("</span> (end exclusive; all times UTC)</td></tr>\n", out);
	fputs("<tr><th scope=\"row\">Generated at</th><td data-key=\"generated_at\">", out);
	jtime(out, report, "generated_at");
	kv_close(out);
	kv_open(out, "Generator");
	jtext(out, gen, "name");
	fputc(' ', out);
	jtext(out, gen, "version");
	fputs(" (model schema ", out);
	jnumtext(out, report, "schema");
	fputs(", store schema ", out);
	jnumtext(out, jget(report, "store"), "schema");
	fputc(')', out);
	kv_close(out);
	kv_num(out, "Evidence chain head: sequence", "chain.head_seq", jget(chain, "head_seq"));
	fputs(
	    "<tr><th scope=\"row\">Evidence chain head: SHA-256</th><td class=\"hash\" data-key=\"chain.head_sha256\">",
	    out);
	jtext(out, chain, "head_sha256");
	kv_close(out);
	fputs(
	    "<tr><th scope=\"row\">Signing key fingerprint</th><td class=\"hash\" data-key=\"chain.key_fingerprint\">",
	    out);
	jtext(out, chain, "key_fingerprint");
	kv_close(out);
	kv_num(out, "Runs chained in the period", "chain.runs_in_period", jget(chain, "runs_in_period"));
	kv_num(out, "First sequence in the period", "chain.first_seq", jget(chain, "first_seq"));
	kv_num(out, "Last sequence in the period", "chain.last_seq", jget(chain, "last_seq"));
	fputs("</table>\n</header>\n", out);
}

static void write_toc(FILE *out, int with_mr)
{
	fputs("<nav id=\"toc\" aria-label=\"Contents\">\n<h2>Contents</h2>\n<ol>\n"
	      "<li><a href=\"#summary\">Executive summary</a></li>\n",
	      out);
	if (with_mr)
		fputs("<li><a href=\"#management-review\">Management review input (ISO/IEC 27001:2022 clause "
		      "9.3.2)</a></li>\n",
		      out);
	fputs("<li><a href=\"#kpis\">KPI trends</a></li>\n"
	      "<li><a href=\"#soa\">Statement of Applicability</a></li>\n"
	      "<li><a href=\"#nonconformities\">Nonconformity register</a></li>\n"
	      "<li><a href=\"#calendar\">Maintenance-calendar adherence</a></li>\n"
	      "<li><a href=\"#collectors\">Collector uptime</a></li>\n"
	      "<li><a href=\"#evidence\">Evidence index</a></li>\n"
	      "</ol>\n</nav>\n",
	      out);
}

/* ---- executive summary ---------------------------------------------------------- */

struct key_row {
	const char *key, *label;
};

static void key_card(FILE *out, const json_t *summary, const char *caption, const struct key_row *rows, size_t n)
{
	fprintf(out, "<table class=\"kv\">\n<caption>%s</caption>\n", caption);
	for (size_t i = 0; i < n; i++)
		kv_num(out, rows[i].label, rows[i].key, jpath(summary, rows[i].key));
}

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

/* Open at the end: every state but "closed". */
static int nc_is_open(const json_t *nc)
{
	const char *st = jstr(nc, "state");
	return st != NULL && strcmp(st, "closed") != 0;
}

static void kpi_value(FILE *out, const json_t *kpi, const json_t *v, int dec);
static int kpi_decimals(const json_t *kpi);

static void write_summary(FILE *out, const json_t *model, const json_t *summary)
{
	static const struct key_row kpi_rows[] = { { "kpis.met", "Met" },
						   { "kpis.breached", "Breached" },
						   { "kpis.no_data", "No data" } };
	static const struct key_row nc_rows[] = {
		{ "ncs_open.major", "Open, major" },	  { "ncs_open.minor", "Open, minor" },
		{ "ncs_open.total", "Open, total" },	  { "ncs_raised", "Raised in the period" },
		{ "ncs_closed", "Closed in the period" }, { "evidence_gaps", "Evidence gaps open" },
	};
	static const struct key_row ctl_rows[] = {
		{ "controls.applicable", "Applicable" },	{ "controls.not_applicable", "Not applicable" },
		{ "controls.evidenced", "Evidenced" },		{ "controls.not_evidenced", "Not evidenced" },
		{ "controls.with_open_nc", "With an open NC" },
	};
	static const struct key_row run_rows[] = { { "runs.success", "Successful" },
						   { "runs.failed", "Failed" },
						   { "runs.interrupted", "Interrupted" } };
	static const struct key_row act_rows[] = { { "activities.planned", "Planned" },
						   { "activities.done", "Done" },
						   { "activities.missed", "Missed" } };
	fputs("<section id=\"summary\">\n<h2>Executive summary</h2>\n<div class=\"cards\">\n", out);
	key_card(out, summary, "KPIs (latest verdict)", kpi_rows, N_ROWS(kpi_rows));
	fputs("</table>\n", out);
	key_card(out, summary, "Nonconformities (at the end of the period)", nc_rows, N_ROWS(nc_rows));
	fputs("</table>\n", out);
	key_card(out, summary, "Annex A controls", ctl_rows, N_ROWS(ctl_rows));
	fputs("</table>\n", out);
	key_card(out, summary, "Collection runs", run_rows, N_ROWS(run_rows));
	fputs("</table>\n", out);
	key_card(out, summary, "Maintenance activities", act_rows, N_ROWS(act_rows));
	long long planned, done;
	fputs("<tr><th scope=\"row\">Adherence (%)</th><td class=\"num\" data-key=\"activities.adherence_pct\">", out);
	if (jint(jpath(summary, "activities.planned"), &planned) && jint(jpath(summary, "activities.done"), &done) &&
	    planned > 0) {
		char buf[64];
		fmt_fixed(buf, sizeof(buf), (double)done * 100.0 / (double)planned, 1);
		fputs(buf, out);
	} else {
		fputs(DASH, out);
	}
	fputs("</td></tr>\n</table>\n</div>\n", out);

	/* What needs attention: breached KPIs, open major NCs and evidence gaps. */
	const json_t *kpis = jarr(model, "kpis"), *ncs = jarr(model, "nonconformities");
	fputs("<h3>Needs attention</h3>\n<ul>\n", out);
	size_t n = 0;
	for (size_t i = 0; i < jlen(kpis); i++) {
		const json_t *k = json_array_get(kpis, i), *latest = jget(k, "latest");
		if (!streq(jstr(latest, "verdict"), "breached"))
			continue;
		int dec = kpi_decimals(k);
		fprintf(out, "<li>KPI <a href=\"#kpi-%zu\">", i + 1);
		jtext(out, k, "name");
		fputs("</a> (", out);
		jtext(out, k, "scope");
		fputs(") breached: ", out);
		kpi_value(out, k, jget(latest, "value"), dec);
		fputs(", target ", out);
		jtext(out, k, "op");
		fputc(' ', out);
		kpi_value(out, k, jget(k, "threshold"), dec);
		fputs("</li>\n", out);
		n++;
	}
	for (size_t i = 0; i < jlen(ncs); i++) {
		const json_t *nc = json_array_get(ncs, i);
		int major = streq(jstr(nc, "severity"), "major"), gap = streq(jstr(nc, "kind"), "evidence-gap");
		if (!nc_is_open(nc) || (!major && !gap))
			continue;
		fputs("<li>", out);
		nc_ref(out, jget(nc, "id"));
		fputs(gap ? " (evidence gap, " : " (", out);
		jtext(out, nc, "severity");
		fputs("): ", out);
		jtext(out, nc, "title");
		fputs("</li>\n", out);
		n++;
	}
	if (n == 0)
		fputs("<li>Nothing: no KPI breached, no major nonconformity or evidence gap open.</li>\n", out);
	fputs("</ul>\n</section>\n", out);
}

/* ---- KPI charts ----------------------------------------------------------------- */

/* The decimals of a KPI: the fewest of 0, 1, 2 that show its threshold and
 * every value exactly, else 2. */
static int fits_decimals(double v, int dec)
{
	double s = v * pow10_i(dec);
	return fabs(s) < 9e15 && fabs(s - (double)round_ll(s)) < 1e-6;
}

static int kpi_decimals(const json_t *kpi)
{
	const json_t *series = jarr(kpi, "series");
	for (int dec = 0; dec < 2; dec++) {
		int ok = 1;
		double v;
		if (jnum(jget(kpi, "threshold"), &v) && !fits_decimals(v, dec))
			ok = 0;
		if (jnum(jget(jget(kpi, "latest"), "value"), &v) && !fits_decimals(v, dec))
			ok = 0;
		for (size_t i = 0; ok && i < jlen(series); i++)
			if (jnum(jget(json_array_get(series, i), "value"), &v) && !fits_decimals(v, dec))
				ok = 0;
		if (ok)
			return dec;
	}
	return 2;
}

/* A KPI value with its unit ("91.2 %", "3 hours"), or the dash. */
static void kpi_value(FILE *out, const json_t *kpi, const json_t *v, int dec)
{
	double d;
	char buf[64];
	if (!jnum(v, &d)) {
		fputs(DASH, out);
		return;
	}
	fmt_fixed(buf, sizeof(buf), d, dec);
	fputs(buf, out);
	const char *unit = jstr(kpi, "unit");
	if (unit != NULL && *unit != '\0' && strcmp(unit, "count") != 0) {
		fputs(NBSP, out);
		esc(out, unit);
	}
}

struct scale {
	double lo, hi, step;
	int dec; /* decimals of the tick labels */
};

/* The least of 1, 2, 2.5, 5 x 10^k >= x (x > 0); *dec gets the decimals it needs. */
static double nice_step(double x, int *dec)
{
	static const double mult[] = { 1, 2, 2.5, 5 };
	int k = floor_log10(x);
	double base = pow10_i(k);
	double step = 0;
	size_t i;
	for (i = 0; i < 4; i++) {
		if (mult[i] * base >= x * (1 - 1e-12)) {
			step = mult[i] * base;
			break;
		}
	}
	if (i == 4) { /* 10 x 10^k: 1 x 10^(k+1) */
		i = 0;
		k++;
		step = pow10_i(k);
	}
	int d = k < 0 ? -k : 0;
	if (i == 2 && k <= 0)
		d++;
	*dec = d > 6 ? 6 : d;
	return step;
}

static void kpi_scale(const json_t *kpi, struct scale *sc)
{
	const json_t *series = jarr(kpi, "series");
	double lo = 0, hi = 0, v;
	int any = 0;
	if (jnum(jget(kpi, "threshold"), &v)) {
		lo = hi = v;
		any = 1;
	}
	for (size_t i = 0; i < jlen(series); i++) {
		if (!jnum(jget(json_array_get(series, i), "value"), &v))
			continue;
		if (!any || v < lo)
			lo = v;
		if (!any || v > hi)
			hi = v;
		any = 1;
	}
	sc->dec = 0;
	if (!any) {
		sc->lo = 0;
		sc->hi = 1;
		sc->step = 0.25;
		sc->dec = 2;
		return;
	}
	double dlo = lo, dhi = hi;
	double pad = hi > lo ? (hi - lo) / 10 : (lo != 0 ? fabs(lo) / 10 : 1);
	lo -= pad;
	hi += pad;
	if (dlo >= 0 && lo < 0)
		lo = 0;
	if (streq(jstr(kpi, "unit"), "%") && dhi <= 100 && hi > 100)
		hi = 100;
	double span = hi - lo;
	if (!isfinite(span) || span <= 0 || span > 1e300) {
		/* absurd values: keep the raw range and two ticks */
		sc->lo = isfinite(lo) ? lo : dlo;
		sc->hi = isfinite(hi) ? hi : dhi;
		if (!(sc->hi > sc->lo))
			sc->hi = sc->lo + 1;
		sc->step = 0;
		return;
	}
	sc->step = nice_step(span / 4, &sc->dec);
	sc->lo = floor_d(lo / sc->step) * sc->step;
	sc->hi = ceil_d(hi / sc->step) * sc->step;
	if (!(sc->hi > sc->lo)) /* rounding swallowed the range */
		sc->hi = sc->lo + sc->step;
}

static double scale_y(const struct scale *sc, double v)
{
	double f = (v - sc->lo) / (sc->hi - sc->lo);
	if (!isfinite(f))
		f = 0.5;
	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	return CH_Y1 - f * (CH_Y1 - CH_Y0);
}

struct xaxis {
	int timed; /* the period parses and has a length */
	time_t t0, t1;
};

/* The x of point i of n with time string at. */
static double point_x(const struct xaxis *xa, const char *at, size_t i, size_t n)
{
	double f;
	time_t t;
	if (xa->timed && parse_time(at, &t))
		f = (double)(t - xa->t0) / (double)(xa->t1 - xa->t0);
	else
		f = n > 1 ? (double)i / (double)(n - 1) : 0.5;
	if (!(f >= 0))
		f = 0;
	if (f > 1)
		f = 1;
	return CH_X0 + f * (CH_X1 - CH_X0);
}

static void x_tick(FILE *out, double x, const char *label)
{
	fputs("<line class=\"grid\" x1=\"", out);
	coord(out, x);
	fputs("\" x2=\"", out);
	coord(out, x);
	fprintf(out, "\" y1=\"%.0f\" y2=\"%.0f\"/><text x=\"", CH_Y0, CH_Y1 + 4);
	coord(out, x);
	/* the last label must not run off the right edge */
	fprintf(out, "\" y=\"%.0f\" text-anchor=\"%s\">%s</text>\n", CH_Y1 + 17, x > CH_X1 - 24 ? "end" : "middle",
		label);
}

/* Ticks at month starts ("2026-08"), or every few days ("08-14") when
 * the period holds fewer than two month starts; at most 13. */
static void x_ticks(FILE *out, const struct xaxis *xa)
{
	if (!xa->timed)
		return;
	struct tm a, b;
	if (gmtime_r(&xa->t0, &a) == NULL || gmtime_r(&xa->t1, &b) == NULL)
		return;
	long m0 = (long)a.tm_year * 12 + a.tm_mon, m1 = (long)b.tm_year * 12 + b.tm_mon;
	if (a.tm_mday != 1 || a.tm_hour != 0 || a.tm_min != 0 || a.tm_sec != 0)
		m0++;
	char label[32];
	double span = (double)(xa->t1 - xa->t0);
	if (m1 - m0 >= 1) {
		long stride = (m1 - m0) / 12 + 1;
		for (long m = m0; m <= m1; m += stride) {
			struct tm tm = { 0 };
			tm.tm_year = (int)(m / 12);
			tm.tm_mon = (int)(m % 12);
			tm.tm_mday = 1;
			time_t t = timegm(&tm);
			if (t < xa->t0 || t > xa->t1)
				continue;
			snprintf(label, sizeof(label), "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
			x_tick(out, CH_X0 + (double)(t - xa->t0) / span * (CH_X1 - CH_X0), label);
		}
		return;
	}
	long days = (long)((xa->t1 - xa->t0) / 86400);
	long stride = days / 6 + 1;
	for (long d = 0; d <= days; d += stride) {
		time_t t = xa->t0 + (time_t)d * 86400;
		struct tm tm;
		if (gmtime_r(&t, &tm) == NULL)
			return;
		snprintf(label, sizeof(label), "%02d-%02d", tm.tm_mon + 1, tm.tm_mday);
		x_tick(out, CH_X0 + (double)(t - xa->t0) / span * (CH_X1 - CH_X0), label);
	}
}

static void y_ticks(FILE *out, const struct scale *sc)
{
	double steps = sc->step > 0 ? (sc->hi - sc->lo) / sc->step : 1;
	long n = sc->step > 0 && steps < 40 ? (long)round_ll(steps) : 1;
	for (long i = 0; i <= n; i++) {
		double v = n == 1 && sc->step <= 0 ? (i ? sc->hi : sc->lo) : sc->lo + (double)i * sc->step;
		double y = scale_y(sc, v);
		char buf[64];
		fmt_fixed(buf, sizeof(buf), v, sc->step > 0 ? sc->dec : 2);
		fprintf(out, "<line class=\"grid\" x1=\"%.0f\" x2=\"%.0f\" y1=\"", CH_X0 - 4, CH_X1);
		coord(out, y);
		fputs("\" y2=\"", out);
		coord(out, y);
		fprintf(out, "\"/><text x=\"%.0f\" y=\"", CH_X0 - 7);
		coord(out, y + 4);
		fprintf(out, "\" text-anchor=\"end\">%s</text>\n", buf);
	}
}

static void write_chart(FILE *out, const json_t *kpi, size_t idx, const struct xaxis *xa)
{
	const json_t *series = jarr(kpi, "series"), *latest = jget(kpi, "latest");
	int dec = kpi_decimals(kpi);
	struct scale sc;
	kpi_scale(kpi, &sc);
	char lo[64], hi[64];
	fmt_trim(lo, sizeof(lo), sc.lo, 6);
	fmt_trim(hi, sizeof(hi), sc.hi, 6);

	fprintf(out, "<figure id=\"kpi-%zu\" data-kpi=\"", idx);
	esc(out, jstr(kpi, "name") ? jstr(kpi, "name") : "");
	fputs("\" data-scope=\"", out);
	esc(out, jstr(kpi, "scope") ? jstr(kpi, "scope") : "");
	fputs("\" data-verdict=\"", out);
	esc(out, jstr(latest, "verdict") ? jstr(latest, "verdict") : "");
	fputs("\">\n<figcaption><span class=\"t\">", out);
	jtext(out, kpi, "title");
	fputs("</span><br><span class=\"small\"><b>", out);
	jtext(out, kpi, "name");
	fputs("</b> (scope ", out);
	jtext(out, kpi, "scope");
	fputs("); target ", out);
	jtext(out, kpi, "op");
	fputc(' ', out);
	kpi_value(out, kpi, jget(kpi, "threshold"), dec);
	fputs("; severity ", out);
	jtext(out, kpi, "severity");
	fputs("; controls ", out);
	str_list(out, jget(kpi, "controls"));
	if (json_is_object(latest)) {
		fputs("; latest ", out);
		kpi_value(out, kpi, jget(latest, "value"), dec);
		fputs(" at ", out);
		jtime(out, latest, "at");
		fputs("</span> ", out);
		badge(out, verdict_words, jstr(latest, "verdict"));
	} else {
		fputs("; not evaluated</span>", out);
	}
	fputs("</figcaption>\n", out);

	/* The chart. */
	size_t n = jlen(series), with_value = 0, breached = 0;
	for (size_t i = 0; i < n; i++) {
		const json_t *p = json_array_get(series, i);
		double v;
		if (jnum(jget(p, "value"), &v)) {
			with_value++;
			if (streq(jstr(p, "verdict"), "breached"))
				breached++;
		}
	}
	fprintf(out,
		"<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"kpi-%zu-t\" data-ymin=\"%s\" "
		"data-ymax=\"%s\">\n<title id=\"kpi-%zu-t\">",
		CH_W, CH_H, idx, lo, hi, idx);
	fputs("Trend of KPI ", out);
	jtext(out, kpi, "name");
	fputs(" (", out);
	jtext(out, kpi, "scope");
	fprintf(out, "): %zu values, %zu breached; target ", with_value, breached);
	jtext(out, kpi, "op");
	fputc(' ', out);
	kpi_value(out, kpi, jget(kpi, "threshold"), dec);
	fputs("</title>\n", out);
	y_ticks(out, &sc);
	x_ticks(out, xa);
	fprintf(out, "<line class=\"axis\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\"/>\n", CH_X0, CH_X0, CH_Y0,
		CH_Y1);
	fprintf(out, "<line class=\"axis\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\"/>\n", CH_X0, CH_X1, CH_Y1,
		CH_Y1);
	const char *unit = jstr(kpi, "unit");
	fprintf(out, "<text x=\"14\" y=\"%.0f\" text-anchor=\"middle\" transform=\"rotate(-90 14 %.0f)\">",
		(CH_Y0 + CH_Y1) / 2, (CH_Y0 + CH_Y1) / 2);
	text(out, unit);
	fprintf(out, "</text>\n<text x=\"%.0f\" y=\"%d\" text-anchor=\"end\" class=\"small\">time (UTC)</text>\n",
		CH_X1, CH_H - 4);

	double thr;
	if (jnum(jget(kpi, "threshold"), &thr)) {
		double y = scale_y(&sc, thr);
		fprintf(out, "<line class=\"thr\" x1=\"%.0f\" x2=\"%.0f\" y1=\"", CH_X0, CH_X1);
		coord(out, y);
		fputs("\" y2=\"", out);
		coord(out, y);
		fprintf(out, "\"/>\n<text class=\"thr-l\" x=\"%.0f\" y=\"", CH_X1 - 2);
		coord(out, y < CH_Y0 + 14 ? y + 13 : y - 4);
		fputs("\" text-anchor=\"end\">target ", out);
		jtext(out, kpi, "op");
		fputc(' ', out);
		kpi_value(out, kpi, jget(kpi, "threshold"), dec);
		fputs("</text>\n", out);
	}

	if (with_value > 0) {
		/* the line, broken where a value is missing */
		fputs("<path class=\"line\" d=\"", out);
		int pen = 0;
		for (size_t i = 0; i < n; i++) {
			const json_t *p = json_array_get(series, i);
			double v;
			if (!jnum(jget(p, "value"), &v)) {
				pen = 0;
				continue;
			}
			fputs(pen ? " L" : (i > 0 ? " M" : "M"), out);
			coord(out, point_x(xa, jstr(p, "at"), i, n));
			fputc(' ', out);
			coord(out, scale_y(&sc, v));
			pen = 1;
		}
		fputs("\"/>\n", out);
	}
	const char *r = n > 120 ? "1.6" : "2.6";
	const char *dd = n > 120 ? "2.6" : "4";
	for (size_t i = 0; i < n; i++) {
		const json_t *p = json_array_get(series, i);
		double v, x = point_x(xa, jstr(p, "at"), i, n);
		if (!jnum(jget(p, "value"), &v)) {
			fputs("<line class=\"pt-none\" x1=\"", out);
			coord(out, x);
			fputs("\" x2=\"", out);
			coord(out, x);
			fprintf(out, "\" y1=\"%.0f\" y2=\"%.0f\"/>\n", CH_Y1, CH_Y1 - 6);
			continue;
		}
		double y = scale_y(&sc, v);
		const char *verdict = jstr(p, "verdict");
		if (streq(verdict, "breached")) {
			fputs("<path class=\"pt-breached\" d=\"M", out);
			coord(out, x);
			fputc(' ', out);
			coord(out, y);
			fprintf(out, " m0 -%s l%s %s l-%s %s l-%s -%s z\"/>\n", dd, dd, dd, dd, dd, dd, dd);
		} else {
			fprintf(out, "<circle class=\"%s\" r=\"%s\" cx=\"",
				streq(verdict, "met") ? "pt-met" : "pt-other", r);
			coord(out, x);
			fputs("\" cy=\"", out);
			coord(out, y);
			fputs("\"/>\n", out);
		}
	}
	if (with_value == 0)
		fprintf(out,
			"<text class=\"nodata\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">No data in the "
			"period</text>\n",
			(CH_X0 + CH_X1) / 2, CH_Y0 + 40);
	fputs("</svg>\n<p class=\"legend\"><span class=\"lg-met\">\xe2\x97\x8f</span> value (target met) "
	      "<span class=\"lg-br\">\xe2\x97\x86</span> breached "
	      "<span class=\"lg-thr\">- - -</span> target "
	      "<span class=\"lg-none\">|</span> evaluated without data",
	      out);
	if (with_value == 0)
		fputs(" \xe2\x80\x94 <b>no data in the period</b>", out);
	fputs("</p>\n</figure>\n", out);
}

static void write_kpis(FILE *out, const json_t *model, const json_t *report)
{
	const json_t *kpis = jarr(model, "kpis"), *period = jget(report, "period");
	struct xaxis xa = { 0, 0, 0 };
	xa.timed =
	    parse_time(jstr(period, "start"), &xa.t0) && parse_time(jstr(period, "end"), &xa.t1) && xa.t1 > xa.t0;
	fputs("<section id=\"kpis\" class=\"part\">\n<h2>KPI trends</h2>\n"
	      "<p class=\"note\">Each chart plots the evaluations of one KPI over the period (x: time, y: value); "
	      "the dashed line is the target, breached evaluations are red diamonds.</p>\n",
	      out);
	if (jlen(kpis) == 0)
		fputs("<p>No KPI in the model.</p>\n", out);
	for (size_t i = 0; i < jlen(kpis); i++) {
		const json_t *k = json_array_get(kpis, i);
		if (json_is_object(k))
			write_chart(out, k, i + 1, &xa);
	}
	fputs("</section>\n", out);
}

/* ---- Statement of Applicability ---------------------------------------------------- */

static void write_soa(FILE *out, const json_t *model)
{
	const json_t *soa = jarr(model, "soa");
	fputs("<section id=\"soa\" class=\"part\">\n<h2>Statement of Applicability</h2>\n"
	      "<p class=\"note\">Annex A controls of ISO/IEC 27001:2022 with their evidence in the period. "
	      "Evidence: facts committed in the period classified to the control.</p>\n"
	      "<table class=\"soa\">\n<thead><tr><th>Control</th><th>Title</th><th>Applicable</th>"
	      "<th>Implementation</th><th>Status</th><th class=\"num\">Evidence</th><th>Last evidence</th>"
	      "<th>Open NCs</th></tr></thead>\n<tbody>\n",
	      out);
	for (size_t i = 0; i < jlen(soa); i++) {
		const json_t *c = json_array_get(soa, i);
		if (!json_is_object(c))
			continue;
		fputs("<tr data-control=\"", out);
		esc(out, jstr(c, "id") ? jstr(c, "id") : "");
		fputs("\" data-status=\"", out);
		esc(out, jstr(c, "status") ? jstr(c, "status") : "");
		fputs("\"><td>", out);
		jtext(out, c, "id");
		fputs("</td><td>", out);
		jtext(out, c, "title");
		const char *just = jstr(c, "justification");
		if (just != NULL && *just != '\0') {
			fputs("<br><span class=\"small\">", out);
			esc(out, just);
			fputs("</span>", out);
		}
		fputs("</td><td>", out);
		const json_t *app = jget(c, "applicable");
		fputs(json_is_true(app) ? "Yes" : json_is_false(app) ? "No" : DASH, out);
		fputs("</td><td class=\"id\">", out);
		jtext(out, c, "implementation");
		const char *owner = jstr(c, "owner");
		if (owner != NULL && *owner != '\0') {
			fputs("<br><span class=\"small\">", out);
			esc(out, owner);
			fputs("</span>", out);
		}
		fputs("</td><td>", out);
		badge(out, status_words, jstr(c, "status"));
		fputs("</td><td class=\"num\">", out);
		jnumtext(out, c, "evidence_count");
		fputs("</td><td class=\"time\">", out);
		jtime(out, c, "last_evidence");
		fputs("</td><td>", out);
		nc_refs(out, jget(c, "open_ncs"));
		fputs("</td></tr>\n", out);
	}
	if (jlen(soa) == 0)
		fputs("<tr><td colspan=\"8\">No controls in the model.</td></tr>\n", out);
	fputs("</tbody>\n</table>\n</section>\n", out);
}

/* ---- nonconformities ------------------------------------------------------------------ */

static void write_nc(FILE *out, const json_t *nc)
{
	long long id;
	int has_id = jint(jget(nc, "id"), &id);
	fputs("<section class=\"nc\"", out);
	if (has_id)
		fprintf(out, " id=\"nc-%lld\" data-nc=\"%lld\"", id, id);
	fputs(" data-state=\"", out);
	esc(out, jstr(nc, "state") ? jstr(nc, "state") : "");
	fputs("\" data-severity=\"", out);
	esc(out, jstr(nc, "severity") ? jstr(nc, "severity") : "");
	fputs("\">\n<h3>", out);
	if (has_id)
		fprintf(out, "NC-%lld: ", id);
	jtext(out, nc, "title");
	fputs("</h3>\n<p>", out);
	badge(out, severity_words, jstr(nc, "severity"));
	fputc(' ', out);
	badge(out, state_words, jstr(nc, "state"));
	fputs(" <span class=\"small\">condition: ", out);
	jtext(out, nc, "condition");
	fputs("</span></p>\n<table class=\"kv4\">\n", out);
	/* two fields a row, long texts across */
	static const struct {
		const char *key, *label;
		int kind; /* 0 text, 1 time, 2 number, 3 list */
	} pairs[][2] = {
		{ { "key", "Key", 0 }, { "kind", "Kind", 0 } },
		{ { "kpi", "KPI", 0 }, { "scope", "Scope", 0 } },
		{ { "observed", "Observed", 2 }, { "threshold", "Threshold", 2 } },
		{ { "controls", "Controls", 3 }, { "owner", "Owner", 0 } },
		{ { "detected_at", "Detected", 1 }, { "updated_at", "Updated", 1 } },
		{ { "closed_at", "Closed", 1 }, { "due_at", "Action due", 1 } },
		{ { "action_owner", "Action owner", 0 }, { NULL, NULL, 0 } },
		{ { "root_cause", "Root cause", 0 }, { NULL, NULL, 0 } },
		{ { "action", "Corrective action", 0 }, { NULL, NULL, 0 } },
		{ { "evidence", "Evidence", 0 }, { NULL, NULL, 0 } },
	};
	for (size_t i = 0; i < N_ROWS(pairs); i++) {
		fputs("<tr>", out);
		for (size_t k = 0; k < 2 && pairs[i][k].key != NULL; k++) {
			fprintf(out, "<th scope=\"row\">%s</th><td%s>", pairs[i][k].label,
				pairs[i][1].key == NULL ? " colspan=\"3\"" : "");
			switch (pairs[i][k].kind) {
			case 1:
				jtime(out, nc, pairs[i][k].key);
				break;
			case 2:
				jnumtext(out, nc, pairs[i][k].key);
				break;
			case 3:
				str_list(out, jget(nc, pairs[i][k].key));
				break;
			default:
				jtext(out, nc, pairs[i][k].key);
			}
			fputs("</td>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
	const json_t *hist = jarr(nc, "history");
	fputs("<table class=\"hist\">\n<caption class=\"small\">Corrective-action history</caption>\n"
	      "<thead><tr><th>At</th><th>Actor</th><th>Event</th><th>State</th><th>Note</th></tr></thead>\n<tbody>\n",
	      out);
	for (size_t i = 0; i < jlen(hist); i++) {
		const json_t *h = json_array_get(hist, i);
		fputs("<tr class=\"hist\"><td class=\"time\">", out);
		jtime(out, h, "at");
		fputs("</td><td>", out);
		jtext(out, h, "actor");
		fputs("</td><td>", out);
		jtext(out, h, "event");
		fputs("</td><td>", out);
		jtext(out, h, "from");
		fputs(" \xe2\x86\x92 ", out);
		jtext(out, h, "to");
		fputs("</td><td>", out);
		jtext(out, h, "note");
		fputs("</td></tr>\n", out);
	}
	if (jlen(hist) == 0)
		fputs("<tr><td colspan=\"5\">No history.</td></tr>\n", out);
	fputs("</tbody>\n</table>\n</section>\n", out);
}

static void write_ncs(FILE *out, const json_t *model)
{
	const json_t *ncs = jarr(model, "nonconformities");
	fputs("<section id=\"nonconformities\" class=\"part\">\n<h2>Nonconformity register</h2>\n"
	      "<p class=\"note\">Nonconformities raised before the end of the period and not closed before its "
	      "start, with their state at the end of the period.</p>\n",
	      out);
	if (jlen(ncs) == 0)
		fputs("<p>No nonconformity in the period.</p>\n", out);
	for (size_t i = 0; i < jlen(ncs); i++) {
		const json_t *nc = json_array_get(ncs, i);
		if (json_is_object(nc))
			write_nc(out, nc);
	}
	fputs("</section>\n", out);
}

/* ---- calendar --------------------------------------------------------------------------- */

static void write_calendar_table(FILE *out, const json_t *cal)
{
	fputs("<table class=\"cal\">\n<thead><tr><th>Activity</th><th>Schedule</th><th>Owner</th><th>Kind</th>"
	      "<th>Controls</th><th class=\"num\">Planned</th><th class=\"num\">Done</th><th class=\"num\">Missed</th>"
	      "<th class=\"num\">Adherence</th><th>Last done</th></tr></thead>\n<tbody>\n",
	      out);
	for (size_t i = 0; i < jlen(cal); i++) {
		const json_t *a = json_array_get(cal, i);
		if (!json_is_object(a))
			continue;
		fputs("<tr data-activity=\"", out);
		esc(out, jstr(a, "name") ? jstr(a, "name") : "");
		fputs("\"><td class=\"id\">", out);
		jtext(out, a, "name");
		fputs("</td><td class=\"id\">", out);
		jtext(out, a, "schedule");
		fputs("</td><td>", out);
		jtext(out, a, "owner");
		fputs("</td><td class=\"id\">", out);
		jtext(out, a, "kind");
		fputs("</td><td class=\"id\">", out);
		str_list(out, jget(a, "controls"));
		fputs("</td><td class=\"num\">", out);
		jnumtext(out, a, "planned");
		fputs("</td><td class=\"num\">", out);
		jnumtext(out, a, "done");
		fputs("</td><td class=\"num\">", out);
		jnumtext(out, a, "missed");
		fputs("</td><td class=\"num\">", out);
		pct(out, jget(a, "adherence"));
		double adh;
		if (jnum(jget(a, "adherence"), &adh)) {
			char buf[64];
			fmt_fixed(buf, sizeof(buf), adh < 0 ? 0 : adh > 1 ? 100 : adh * 100, 1);
			fprintf(out, "<div class=\"bar\"><span style=\"width:%s%%\"></span></div>", buf);
		}
		fputs("</td><td class=\"time\">", out);
		jtime(out, a, "last_done");
		fputs("</td></tr>\n", out);
	}
	if (jlen(cal) == 0)
		fputs("<tr><td colspan=\"10\">None.</td></tr>\n", out);
	fputs("</tbody>\n</table>\n", out);
}

static void write_calendar(FILE *out, const json_t *model)
{
	fputs("<section id=\"calendar\" class=\"part\">\n<h2>Maintenance-calendar adherence</h2>\n"
	      "<p class=\"note\">Planned, done and missed occurrences of each ISMS maintenance activity in the "
	      "period; adherence is done / planned.</p>\n",
	      out);
	write_calendar_table(out, jarr(model, "calendar"));
	fputs("</section>\n", out);
}

/* ---- collectors -------------------------------------------------------------------------- */

static void write_strip(FILE *out, const json_t *c, size_t idx)
{
	const json_t *days = jarr(c, "days");
	size_t n = jlen(days), ok = 0, failed = 0, none = 0;
	for (size_t i = 0; i < n; i++) {
		const json_t *d = json_array_get(days, i);
		long long s = 0, f = 0;
		jint(jget(d, "success"), &s);
		jint(jget(d, "failed"), &f);
		if (s > 0)
			ok++;
		else if (f > 0)
			failed++;
		else
			none++;
	}
	fprintf(out, "<figure class=\"strip\">\n<figcaption><b>");
	jtext(out, c, "source");
	fprintf(out,
		"</b>: %zu days; %zu with a successful run, %zu with failed runs only, %zu without a run"
		"</figcaption>\n",
		n, ok, failed, none);
	fprintf(
	    out,
	    "<svg viewBox=\"0 0 %.0f %d\" role=\"img\" aria-labelledby=\"strip-%zu-t\">\n<title id=\"strip-%zu-t\">",
	    ST_W, ST_H, idx, idx);
	fputs("Daily collection of source ", out);
	jtext(out, c, "source");
	fprintf(out, ": %zu days with a successful run, %zu with failed runs only, %zu without a run</title>\n", ok,
		failed, none);
	double dw = n > 0 ? ST_W / (double)n : ST_W;
	for (size_t i = 0; i < n; i++) {
		const json_t *d = json_array_get(days, i);
		long long s = 0, f = 0;
		jint(jget(d, "success"), &s);
		jint(jget(d, "failed"), &f);
		/* height as well as colour tells the days apart */
		const char *cls = s > 0 ? "ok" : f > 0 ? "fail" : "none";
		const char *y = s > 0 ? "2" : f > 0 ? "14" : "24";
		const char *h = s > 0 ? "26" : f > 0 ? "14" : "4";
		fprintf(out, "<rect class=\"%s\" x=\"", cls);
		coord(out, (double)i * dw + dw * 0.1);
		fputs("\" width=\"", out);
		coord(out, dw * 0.8);
		fprintf(out, "\" y=\"%s\" height=\"%s\"><title>", y, h);
		jtext(out, d, "date");
		fputs(": ", out);
		jnumtext(out, d, "success");
		fputs(" successful, ", out);
		jnumtext(out, d, "failed");
		fputs(" failed</title></rect>\n", out);
	}
	if (n > 0) {
		fprintf(out, "<text x=\"0\" y=\"%d\" text-anchor=\"start\">", ST_H - 2);
		jtext(out, json_array_get(days, 0), "date");
		fprintf(out, "</text><text x=\"%.0f\" y=\"%d\" text-anchor=\"end\">", ST_W, ST_H - 2);
		jtext(out, json_array_get(days, n - 1), "date");
		fputs("</text>\n", out);
	} else {
		fprintf(out, "<text x=\"%.0f\" y=\"20\" text-anchor=\"middle\">No days in the model</text>\n",
			ST_W / 2);
	}
	fputs("</svg>\n</figure>\n", out);
}

static void write_collectors(FILE *out, const json_t *model)
{
	const json_t *cols = jarr(model, "collectors");
	fputs(
	    "<section id=\"collectors\" class=\"part\">\n<h2>Collector uptime</h2>\n"
	    "<p class=\"note\">Uptime: the fraction of the period's days with a successful run. In the strips "
	    "each day is a bar: <span class=\"lg-ok\">\xe2\x96\x88 tall green</span>: a successful run; "
	    "<span class=\"lg-fail\">\xe2\x96\x84 half-height red</span>: failed runs only; "
	    "<span class=\"lg-none\">\xe2\x96\x81 low grey</span>: no run.</p>\n"
	    "<table class=\"col\">\n<thead><tr><th>Source</th><th>Type</th><th>Schedule</th><th class=\"num\">Runs</th>"
	    "<th class=\"num\">Success</th><th class=\"num\">Failed</th><th class=\"num\">Interrupted</th>"
	    "<th class=\"num\">Uptime</th><th>First success</th><th>Last success</th>"
	    "<th class=\"num\">Longest gap (h)</th></tr></thead>\n<tbody>\n",
	    out);
	for (size_t i = 0; i < jlen(cols); i++) {
		const json_t *c = json_array_get(cols, i);
		if (!json_is_object(c))
			continue;
		fputs("<tr data-source=\"", out);
		esc(out, jstr(c, "source") ? jstr(c, "source") : "");
		fputs("\"><td class=\"id\">", out);
		jtext(out, c, "source");
		fputs("</td><td class=\"id\">", out);
		jtext(out, c, "type");
		fputs("</td><td class=\"id\">", out);
		jtext(out, c, "schedule");
		static const char *const nums[] = { "runs", "success", "failed", "interrupted" };
		for (size_t k = 0; k < 4; k++) {
			fputs("</td><td class=\"num\">", out);
			jnumtext(out, c, nums[k]);
		}
		fputs("</td><td class=\"num\">", out);
		pct(out, jget(c, "uptime"));
		fputs("</td><td class=\"time\">", out);
		jtime(out, c, "first_success");
		fputs("</td><td class=\"time\">", out);
		jtime(out, c, "last_success");
		fputs("</td><td class=\"num\">", out);
		double gap;
		if (jnum(jget(c, "longest_gap_hours"), &gap)) {
			char buf[64];
			fmt_fixed(buf, sizeof(buf), gap, 1);
			fputs(buf, out);
		} else {
			fputs(DASH, out);
		}
		fputs("</td></tr>\n", out);
	}
	if (jlen(cols) == 0)
		fputs("<tr><td colspan=\"11\">No sources configured.</td></tr>\n", out);
	fputs("</tbody>\n</table>\n", out);
	for (size_t i = 0; i < jlen(cols); i++) {
		const json_t *c = json_array_get(cols, i);
		if (json_is_object(c))
			write_strip(out, c, i + 1);
	}
	fputs("</section>\n", out);
}

/* ---- evidence index ------------------------------------------------------------------------ */

static void write_evidence(FILE *out, const json_t *model)
{
	const json_t *runs = jarr(model, "evidence");
	fprintf(out,
		"<section id=\"evidence\" class=\"part\">\n<h2>Evidence index</h2>\n"
		"<p class=\"note\">Committed collection runs in the period, by chain sequence. The manifest "
		"hash of a run covers its pages; below each run, its pages (at most %d a run): page id, size "
		"and SHA-256.</p>\n"
		"<table class=\"ev\">\n<thead><tr><th class=\"num\">Seq</th><th class=\"num\">Run</th>"
		"<th>Source</th><th>Started</th><th>Finished</th><th class=\"num\">Pages</th>"
		"<th class=\"num\">Facts</th><th>Manifest SHA-256</th></tr></thead>\n<tbody>\n",
		MAX_PAGE_ROWS);
	for (size_t i = 0; i < jlen(runs); i++) {
		const json_t *r = json_array_get(runs, i);
		if (!json_is_object(r))
			continue;
		long long run;
		fputs("<tr class=\"run\"", out);
		if (jint(jget(r, "run"), &run))
			fprintf(out, " data-run=\"%lld\"", run);
		fputs("><td class=\"num\">", out);
		jnumtext(out, r, "seq");
		fputs("</td><td class=\"num\">", out);
		jnumtext(out, r, "run");
		fputs("</td><td class=\"id\">", out);
		jtext(out, r, "source");
		fputs("</td><td class=\"time\">", out);
		jtime(out, r, "started_at");
		fputs("</td><td class=\"time\">", out);
		jtime(out, r, "finished_at");
		fputs("</td><td class=\"num\">", out);
		jnumtext(out, r, "pages");
		fputs("</td><td class=\"num\">", out);
		jnumtext(out, r, "facts");
		fputs("</td><td class=\"hash\">", out);
		jtext(out, r, "manifest_sha256");
		fputs("</td></tr>\n", out);
		/* its pages, one row each, the hash under the manifest's */
		const json_t *pages = jarr(r, "page_hashes");
		size_t np = jlen(pages);
		for (size_t k = 0; k < np && k < MAX_PAGE_ROWS; k++) {
			const json_t *p = json_array_get(pages, k);
			fputs("<tr class=\"page\"><td></td><td class=\"num\">", out);
			jnumtext(out, p, "id");
			fputs("</td><td colspan=\"3\">page, ", out);
			jnumtext(out, p, "size");
			fputs(" bytes", out);
			const json_t *pr = jget(p, "pruned");
			fputs(json_is_true(pr)	  ? ", content pruned (hash kept)"
			      : json_is_false(pr) ? ""
						  : ", pruned: " DASH,
			      out);
			fputs("</td><td colspan=\"3\" class=\"hash\">", out);
			jtext(out, p, "sha256");
			fputs("</td></tr>\n", out);
		}
		if (np > MAX_PAGE_ROWS)
			fprintf(out,
				"<tr class=\"page\"><td></td><td colspan=\"7\">and %zu more (see the JSON report)"
				"</td></tr>\n",
				np - MAX_PAGE_ROWS);
	}
	if (jlen(runs) == 0)
		fputs("<tr><td colspan=\"8\">No committed run in the period.</td></tr>\n", out);
	fputs("</tbody>\n</table>\n</section>\n", out);
}

/* ---- management review (ISO/IEC 27001:2022 9.3.2) ------------------------------------------ */

static void mr_heading(FILE *out, int level, const char *clause, const char *title)
{
	fprintf(out, "<h%d id=\"mr-%s\" data-clause=\"%s\">%s</h%d>\n", level, clause, clause, title, level);
}

/* "None ..." for an empty array, "—" when the part is missing; 1 when
 * there is something to list. */
static int mr_present(FILE *out, const json_t *v, const char *none)
{
	if (!json_is_array(v)) {
		fputs("<p>" DASH " (not in the model)</p>\n", out);
		return 0;
	}
	if (json_array_size(v) == 0) {
		fprintf(out, "<p>%s</p>\n", none);
		return 0;
	}
	return 1;
}

static void write_mr(FILE *out, const json_t *mr)
{
	fputs("<section id=\"management-review\" class=\"part\">\n"
	      "<h2>Management review input (ISO/IEC 27001:2022 clause 9.3.2)</h2>\n"
	      "<p class=\"note\">The inputs the standard asks top management to consider, as far as the evidence "
	      "store holds them, in the order of clause 9.3.2.</p>\n",
	      out);

	mr_heading(out, 3, "a", "a) Status of actions from previous management reviews");
	const json_t *prev = jget(mr, "previous_actions");
	if (mr_present(out, prev, "No corrective action was open from before the period.")) {
		fputs("<table>\n<thead><tr><th>NC</th><th>Title</th><th>Corrective action</th><th>Action owner</th>"
		      "<th>Due</th><th>State</th><th>Condition</th></tr></thead>\n<tbody>\n",
		      out);
		for (size_t i = 0; i < json_array_size(prev); i++) {
			const json_t *nc = json_array_get(prev, i);
			fputs("<tr><td>", out);
			nc_ref(out, jget(nc, "id"));
			fputs("</td><td>", out);
			jtext(out, nc, "title");
			fputs("</td><td>", out);
			jtext(out, nc, "action");
			fputs("</td><td>", out);
			jtext(out, nc, "action_owner");
			fputs("</td><td class=\"time\">", out);
			jtime(out, nc, "due_at");
			fputs("</td><td>", out);
			badge(out, state_words, jstr(nc, "state"));
			fputs("</td><td>", out);
			jtext(out, nc, "condition");
			fputs("</td></tr>\n", out);
		}
		fputs("</tbody>\n</table>\n", out);
	}

	mr_heading(out, 3, "b-c",
		   "b), c) Changes in external and internal issues and in the needs and expectations of "
		   "interested parties");
	fputs("<p class=\"note\">Changes recorded by the evidence store (Statement of Applicability and "
	      "configuration).</p>\n",
	      out);
	const json_t *changes = jget(mr, "changes");
	if (mr_present(out, changes, "No change recorded in the period.")) {
		fputs("<table>\n<thead><tr><th>At</th><th>Change</th></tr></thead>\n<tbody>\n", out);
		for (size_t i = 0; i < json_array_size(changes); i++) {
			const json_t *c = json_array_get(changes, i);
			fputs("<tr><td class=\"time\">", out);
			jtime(out, c, "at");
			fputs("</td><td>", out);
			jtext(out, c, "what");
			fputs("</td></tr>\n", out);
		}
		fputs("</tbody>\n</table>\n", out);
	}

	const json_t *perf = jget(mr, "performance");
	mr_heading(out, 3, "d", "d) Feedback on the information security performance");
	mr_heading(out, 4, "d1", "d) 1) Nonconformities and corrective actions");
	const json_t *ncs = jget(perf, "nonconformities");
	fputs("<table class=\"kv narrow\">\n", out);
	kv_num(out, "Raised in the period", "mr.nonconformities.raised", jget(ncs, "raised"));
	kv_num(out, "Closed in the period", "mr.nonconformities.closed", jget(ncs, "closed"));
	kv_num(out, "Open at the end of the period", "mr.nonconformities.open_end", jget(ncs, "open_end"));
	kv_num(out, "Corrective actions overdue", "mr.nonconformities.overdue_actions", jget(ncs, "overdue_actions"));
	fputs("</table>\n", out);

	mr_heading(out, 4, "d2", "d) 2) Monitoring and measurement results");
	const json_t *mon = jget(perf, "monitoring");
	if (mr_present(out, mon, "No KPI measured.")) {
		fputs("<table>\n<thead><tr><th>KPI</th><th>Scope</th><th class=\"num\">Start of period</th>"
		      "<th class=\"num\">End of period</th><th>Trend</th><th>Verdict</th></tr></thead>\n<tbody>\n",
		      out);
		for (size_t i = 0; i < json_array_size(mon); i++) {
			const json_t *m = json_array_get(mon, i);
			fputs("<tr><td class=\"id\">", out);
			jtext(out, m, "kpi");
			fputs("</td><td class=\"id\">", out);
			jtext(out, m, "scope");
			fputs("</td><td class=\"num\">", out);
			jnumtext(out, m, "start");
			fputs("</td><td class=\"num\">", out);
			jnumtext(out, m, "end");
			fputs("</td><td>", out);
			badge(out, trend_words, jstr(m, "trend"));
			fputs("</td><td>", out);
			badge(out, verdict_words, jstr(m, "verdict"));
			fputs("</td></tr>\n", out);
		}
		fputs("</tbody>\n</table>\n", out);
	}

	mr_heading(out, 4, "d3", "d) 3) Audit results");
	const json_t *audits = jget(perf, "audits");
	if (mr_present(out, audits, "No audit activity in the calendar."))
		write_calendar_table(out, audits);

	mr_heading(out, 4, "d4", "d) 4) Fulfilment of information security objectives");
	const json_t *obj = jget(perf, "objectives");
	fputs("<table class=\"kv narrow\">\n", out);
	kv_num(out, "KPIs met (latest verdict)", "mr.objectives.kpis_met", jget(obj, "kpis_met"));
	kv_num(out, "KPIs measured", "mr.objectives.kpis_total", jget(obj, "kpis_total"));
	fputs("</table>\n", out);

	mr_heading(out, 3, "e", "e) Feedback from interested parties");
	fputs("<p class=\"note\">Attested activities done in the period.</p>\n", out);
	const json_t *fb = jget(mr, "stakeholder_feedback");
	if (mr_present(out, fb, "No attested activity in the period."))
		write_calendar_table(out, fb);

	mr_heading(out, 3, "f", "f) Results of risk assessment and status of risk treatment plan");
	const json_t *risk = jget(mr, "risk");
	if (mr_present(out, risk, "No risk activity in the calendar."))
		write_calendar_table(out, risk);

	mr_heading(out, 3, "g", "g) Opportunities for continual improvement");
	const json_t *imp = jget(mr, "improvement_opportunities");
	if (mr_present(out, imp, "None derived from the evidence.")) {
		fputs("<ul>\n", out);
		for (size_t i = 0; i < json_array_size(imp); i++) {
			fputs("<li>", out);
			text(out, json_string_value(json_array_get(imp, i)));
			fputs("</li>\n", out);
		}
		fputs("</ul>\n", out);
	}
	fputs("</section>\n", out);
}

/* ---- entry point --------------------------------------------------------------------------- */

int report_html_write(const json_t *model, FILE *out, char *err, size_t errlen)
{
	if (errlen > 0)
		err[0] = '\0';
	if (!json_is_object(model)) {
		snprintf(err, errlen, "report model: not a JSON object");
		return -EINVAL;
	}
	const json_t *report = jget(model, "report"), *summary = jget(model, "summary");
	if (!json_is_object(report)) {
		snprintf(err, errlen, "report model: missing \"report\" object");
		return -EINVAL;
	}
	if (!json_is_object(summary)) {
		snprintf(err, errlen, "report model: missing \"summary\" object");
		return -EINVAL;
	}
	const json_t *mr = jget(model, "management_review");
	int with_mr = json_is_object(mr);

	write_head(out, report);
	write_title(out, report);
	write_toc(out, with_mr);
	write_summary(out, model, summary);
	if (with_mr)
		write_mr(out, mr);
	write_kpis(out, model, report);
	write_soa(out, model);
	write_ncs(out, model);
	write_calendar(out, model);
	write_collectors(out, model);
	write_evidence(out, model);
	fputs("<footer class=\"note\"><p>Generated by ", out);
	jtext(out, jget(report, "generator"), "name");
	fputs(" from the evidence store; the JSON report of the same period holds every value shown here.</p>"
	      "</footer>\n</body>\n</html>\n",
	      out);

	if (fflush(out) != 0 || ferror(out)) {
		snprintf(err, errlen, "cannot write the HTML report");
		return -EIO;
	}
	return 0;
}
