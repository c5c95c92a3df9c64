/*
 * test_metrics.c: the Prometheus textfile.  A store with runs,
 * nonconformities, KPI values and webhook deliveries is written out, and
 * the file is parsed back: exact values and labels, the text format rules
 * (TYPE before the samples, one contiguous group per name, no duplicate
 * series, no timestamps, a final newline), label escaping, mode 0644 under
 * umask 077, and a failed write that leaves the previous file alone.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "config.h"
#include "deliver.h"
#include "metrics.h"
#include "nc.h"
#include "store.h"
#include "testhelp.h"

#define NOW ((time_t)1790000000) /* 2026-09-21T14:13:20Z */
#define MAX_LABELS 4

/* ---- a strict reader of the text format ------------------------------------------------ */

struct label {
	char *name, *value;
};

struct sample {
	char *name;
	struct label labels[MAX_LABELS];
	size_t n_labels;
	char *text; /* the value as written */
	double value;
};

struct prom {
	struct sample *s;
	size_t n;
	char **typed; /* names with a TYPE line, in order */
	char **types;
	size_t n_typed;
	char **helped;
	size_t n_helped;
	char err[512];
};

static void prom_free(struct prom *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->s[i].name);
		free(p->s[i].text);
		for (size_t j = 0; j < p->s[i].n_labels; j++) {
			free(p->s[i].labels[j].name);
			free(p->s[i].labels[j].value);
		}
	}
	free(p->s);
	for (size_t i = 0; i < p->n_typed; i++) {
		free(p->typed[i]);
		free(p->types[i]);
	}
	free(p->typed);
	free(p->types);
	for (size_t i = 0; i < p->n_helped; i++)
		free(p->helped[i]);
	free(p->helped);
	memset(p, 0, sizeof(*p));
}

static int in_list(char **list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

static void push(char ***list, size_t *n, const char *s)
{
	*list = realloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = strdup(s);
}

/* The length of a metric (colons allowed) or label name at s, 0 when none. */
static size_t name_len(const char *s, int metric)
{
	size_t n = 0;
	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || s[n] == '_' || (metric && s[n] == ':') ||
	       (n > 0 && s[n] >= '0' && s[n] <= '9'))
		n++;
	return n;
}

static int fail(struct prom *p, unsigned line, const char *what)
{
	snprintf(p->err, sizeof(p->err), "line %u: %s", line, what);
	return -1;
}

static int same_labels(const struct sample *a, const struct sample *b)
{
	if (a->n_labels != b->n_labels)
		return 0;
	for (size_t i = 0; i < a->n_labels; i++) {
		int found = 0;
		for (size_t j = 0; j < b->n_labels; j++)
			found |= strcmp(a->labels[i].name, b->labels[j].name) == 0 &&
				 strcmp(a->labels[i].value, b->labels[j].value) == 0;
		if (!found)
			return 0;
	}
	return 1;
}

/* One sample line; returns 0 or -1 with p->err. */
static int parse_sample(struct prom *p, unsigned ln, const char *line, const char *cur)
{
	struct sample s = { 0 };
	size_t n = name_len(line, 1);
	if (n == 0)
		return fail(p, ln, "no metric name");
	s.name = strndup(line, n);
	const char *q = line + n;
	int r = -1;
	if (cur == NULL || strcmp(s.name, cur) != 0) {
		fail(p, ln, "sample without a TYPE line right before its group");
		goto out;
	}
	if (*q == '{') {
		q++;
		while (*q != '}') {
			size_t l = name_len(q, 0);
			if (l == 0 || q[l] != '=' || q[l + 1] != '"' || s.n_labels == MAX_LABELS) {
				fail(p, ln, "bad label");
				goto out;
			}
			struct label *lb = &s.labels[s.n_labels++];
			lb->name = strndup(q, l);
			for (size_t i = 0; i + 1 < s.n_labels; i++)
				if (strcmp(s.labels[i].name, lb->name) == 0) {
					fail(p, ln, "label given twice");
					goto out;
				}
			q += l + 2;
			char *v = malloc(strlen(q) + 1);
			size_t k = 0;
			while (*q != '"') {
				if (*q == '\0' || *q == '\n') {
					free(v);
					fail(p, ln, "unterminated label value");
					goto out;
				}
				if (*q == '\\') {
					q++;
					if (*q != '\\' && *q != '"' && *q != 'n') {
						free(v);
						fail(p, ln, "bad escape in a label value");
						goto out;
					}
					v[k++] = *q == 'n' ? '\n' : *q;
				} else {
					v[k++] = *q;
				}
				q++;
			}
			v[k] = '\0';
			lb->value = v;
			q++;
			if (*q == ',')
				q++;
			else if (*q != '}') {
				fail(p, ln, "expected , or }");
				goto out;
			}
		}
		q++;
	}
	if (*q != ' ' || q[1] == ' ' || q[1] == '\0') {
		fail(p, ln, "expected one space and a value");
		goto out;
	}
	q++;
	if (strchr(q, ' ') != NULL) {
		fail(p, ln, "a timestamp or trailing text");
		goto out;
	}
	s.text = strdup(q);
	if (strcmp(q, "NaN") == 0) {
		s.value = NAN;
	} else if (strcmp(q, "+Inf") == 0) {
		s.value = INFINITY;
	} else if (strcmp(q, "-Inf") == 0) {
		s.value = -INFINITY;
	} else {
		char *end = NULL;
		s.value = strtod(q, &end);
		if (end == q || *end != '\0') {
			fail(p, ln, "bad value");
			goto out;
		}
	}
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->s[i].name, s.name) == 0 && same_labels(&p->s[i], &s)) {
			fail(p, ln, "duplicate name and label set");
			goto out;
		}
	p->s = realloc(p->s, (p->n + 1) * sizeof(*p->s));
	p->s[p->n++] = s;
	memset(&s, 0, sizeof(s));
	r = 0;
out:
	free(s.name);
	free(s.text);
	for (size_t j = 0; j < s.n_labels; j++) {
		free(s.labels[j].name);
		free(s.labels[j].value);
	}
	return r;
}

/*
 * Parses text, checking: '\n' line ends and a final newline, HELP and TYPE
 * at most once per name and before its samples, known types, counters
 * named *_total, each name's samples in one group right after its TYPE,
 * label syntax and escapes, a value and no timestamp, no duplicate series.
 */
static int prom_parse(const char *text, struct prom *p)
{
	memset(p, 0, sizeof(*p));
	size_t len = strlen(text);
	if (len == 0 || text[len - 1] != '\n')
		return fail(p, 0, "empty, or no final newline");
	if (strchr(text, '\r') != NULL)
		return fail(p, 0, "a carriage return");
	char *copy = strdup(text);
	char *save = NULL;
	const char *cur = NULL; /* the name of the last TYPE line */
	unsigned ln = 0;
	int r = 0;
	char *prev = copy;
	for (char *line = strtok_r(copy, "\n", &save); line && r == 0; line = strtok_r(NULL, "\n", &save)) {
		ln++;
		if (line != prev) {
			r = fail(p, ln, "an empty line");
			break;
		}
		prev = line + strlen(line) + 1;
		if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0) {
			int help = line[2] == 'H';
			const char *nm = line + 7;
			size_t n = name_len(nm, 1);
			char name[256];
			if (n == 0 || n >= sizeof(name) || nm[n] != ' ') {
				r = fail(p, ln, "bad HELP or TYPE line");
				break;
			}
			memcpy(name, nm, n);
			name[n] = '\0';
			for (size_t i = 0; i < p->n; i++)
				if (strcmp(p->s[i].name, name) == 0)
					r = fail(p, ln, "HELP or TYPE after the samples of its name");
			if (r < 0)
				break;
			const char *rest = nm + n + 1;
			if (help) {
				if (in_list(p->helped, p->n_helped, name)) {
					r = fail(p, ln, "HELP given twice");
					break;
				}
				for (const char *c = strchr(rest, '\\'); c; c = strchr(c + 2, '\\'))
					if (c[1] != '\\' && c[1] != 'n') {
						r = fail(p, ln, "bad escape in HELP");
						break;
					}
				push(&p->helped, &p->n_helped, name);
			} else {
				static const char *const types[] = { "counter", "gauge", "histogram", "summary",
								     "untyped" };
				int ok = 0;
				for (size_t i = 0; i < 5; i++)
					ok |= strcmp(rest, types[i]) == 0;
				if (!ok || in_list(p->typed, p->n_typed, name)) {
					r = fail(p, ln, "unknown type, or TYPE given twice");
					break;
				}
				if (strcmp(rest, "counter") == 0 && (n < 6 || strcmp(name + n - 6, "_total") != 0)) {
					r = fail(p, ln, "a counter not named *_total");
					break;
				}
				push(&p->typed, &p->n_typed, name);
				p->types = realloc(p->types, p->n_typed * sizeof(*p->types));
				p->types[p->n_typed - 1] = strdup(rest);
				cur = p->typed[p->n_typed - 1];
			}
		} else if (line[0] == '#') {
			r = fail(p, ln, "an unexpected comment");
		} else {
			r = parse_sample(p, ln, line, cur);
		}
	}
	if (r == 0 && prev != copy + len)
		r = fail(p, ln + 1, "an empty line");
	free(copy);
	return r;
}

/* The sample of name with exactly the labels given as name, value pairs
 * ending with NULL, or NULL. */
static const struct sample *find(const struct prom *p, const char *name, ...)
{
	struct sample want = { 0 };
	va_list ap;
	va_start(ap, name);
	for (const char *k = va_arg(ap, const char *); k && want.n_labels < MAX_LABELS; k = va_arg(ap, const char *)) {
		want.labels[want.n_labels].name = (char *)k;
		want.labels[want.n_labels++].value = (char *)va_arg(ap, const char *);
	}
	va_end(ap);
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->s[i].name, name) == 0 && same_labels(&p->s[i], &want))
			return &p->s[i];
	return NULL;
}

static size_t count(const struct prom *p, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		n += strcmp(p->s[i].name, name) == 0;
	return n;
}

/* The TYPE of name, or "(none)". */
static const char *type_of(const struct prom *p, const char *name)
{
	for (size_t i = 0; i < p->n_typed; i++)
		if (strcmp(p->typed[i], name) == 0)
			return p->types[i];
	return "(none)";
}

/* The value text of a sample, or "(absent)". */
static const char *text_of(const struct sample *s)
{
	return s ? s->text : "(absent)";
}

/* ---- fixtures ---------------------------------------------------------------------------------- */

static int counter;

static char *subdir(void)
{
	char name[32];
	snprintf(name, sizeof(name), "m%d", ++counter);
	char *d = th_path(th_dir, name);
	CU_ASSERT_EQUAL(mkdir(d, 0755), 0);
	return d;
}

static struct store *fresh(const char *dir)
{
	char *path = th_path(dir, "store.db");
	struct store *st = NULL;
	char err[256];
	CU_ASSERT_EQUAL(store_open(path, 0, &st, err, sizeof(err)), 0);
	free(path);
	return st;
}

static struct config *load(const char *dir, const char *text)
{
	char *path = th_write(dir, "ismsd.conf", text, 0644);
	struct config_errors errs = { 0 };
	struct config *cfg = config_load(path, NULL, NULL, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	config_errors_free(&errs);
	free(path);
	return cfg;
}

/* Writes the metrics of st into dir and parses them; the text in *text. */
static int write_and_parse(struct store *st, const struct config *cfg, const char *dir, time_t now, struct prom *p,
			   char **text)
{
	char err[512] = "";
	int r = metrics_write(st, cfg, dir, now, err, sizeof(err));
	if (r != 0)
		fprintf(stderr, "metrics_write: %s\n", err);
	CU_ASSERT_EQUAL_FATAL(r, 0);
	char *path = th_path(dir, "ismsd.prom");
	*text = th_read(path);
	free(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*text);
	r = prom_parse(*text, p);
	if (r != 0)
		fprintf(stderr, "format: %s\n%s", p->err, *text);
	CU_ASSERT_EQUAL(r, 0);
	return r;
}

static void run(struct store *st, const char *source, time_t start, time_t end, const char *outcome)
{
	int64_t id = 0;
	CU_ASSERT_EQUAL_FATAL(store_run_begin(st, source, "test", start, &id), 0);
	if (outcome == NULL)
		return; /* left running */
	int r = strcmp(outcome, "success") == 0 ? store_run_commit(st, id, end, NULL)
						: store_run_abort(st, id, end, outcome, "vendor timed out");
	CU_ASSERT_EQUAL(r, 0);
}

static void kpi_row(struct store *st, const char *kpi, const char *scope, time_t at, const double *value,
		    double threshold, const char *op, const char *verdict, const char *severity)
{
	struct store_val a[] = { STORE_V_TEXT(kpi),
				 STORE_V_TEXT(scope),
				 STORE_V_INT(at),
				 value ? STORE_V_REAL(*value) : STORE_V_NULL,
				 STORE_V_REAL(threshold),
				 STORE_V_TEXT(op),
				 STORE_V_TEXT(verdict),
				 STORE_V_TEXT(severity),
				 STORE_V_TEXT("{\"runs\":[],\"items\":[]}") };
	int r = store_query(st,
			    "INSERT INTO kpi_values(kpi, scope, evaluated_at, value, threshold, op, verdict, severity,"
			    " evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			    a, 9, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(r, 0);
}

/* Observes key breached (or recovered) in its own transaction; the NC's id. */
static int64_t observe(struct store *st, const char *key, const char *kind, const char *severity, int breached,
		       time_t at)
{
	json_t *controls = json_pack("[s]", "8.8");
	json_t *evidence = json_array();
	struct nc_observation o = { key,  kind,	    key,      controls,	    NULL,     NULL, 1,
				    10.0, 5.0,	    severity, "IT operations", evidence, breached };
	enum nc_outcome out;
	int64_t id = 0;
	CU_ASSERT_EQUAL(store_begin(st), 0);
	CU_ASSERT_EQUAL(nc_observe(st, &o, at, &out, &id), 0);
	CU_ASSERT_EQUAL(store_commit(st), 0);
	json_decref(controls);
	json_decref(evidence);
	return id;
}

static void transition(struct store *st, int64_t id, enum nc_action action, time_t at)
{
	struct nc_plan plan = { "a missing patch baseline", "add a baseline", "ops", at + 30 * 86400 };
	char err[256] = "";
	int r = nc_transition(st, id, action, "auditor", "checked", action == NC_PLAN ? &plan : NULL, at, err,
			      sizeof(err));
	if (r != 0)
		fprintf(stderr, "nc_transition: %s\n", err);
	CU_ASSERT_EQUAL(r, 0);
}

static int take_ids(void *arg, const struct store_val *c, size_t n)
{
	json_t *ids = arg;
	if (n >= 1)
		json_array_append_new(ids, json_integer(c[0].i));
	return 0;
}

static int take_int(void *arg, const struct store_val *c, size_t n)
{
	if (n >= 1)
		*(long long *)arg = c[0].i;
	return 1;
}

static void delivery(struct store *st, json_int_t outbox_id, const char *webhook, const char *state)
{
	struct store_val a[] = { STORE_V_INT(outbox_id), STORE_V_TEXT(webhook), STORE_V_TEXT(state) };
	int r = store_query(st, "INSERT INTO deliveries(outbox_id, webhook, state, attempts) VALUES (?, ?, ?, 1)", a, 3,
			    NULL, NULL, NULL);
	CU_ASSERT_EQUAL(r, 0);
}

static int manifests_exist(struct store *st)
{
	long long n = 0;
	struct store_val a[] = { STORE_V_TEXT("manifests") };
	int r = store_query(st, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", a, 1, take_int,
			    &n, NULL);
	CU_ASSERT(r >= 0);
	return n > 0;
}

/* The names in dir other than keep (and the store's files). */
static int stray_files(const char *dir, const char *keep)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	int n = 0;
	for (struct dirent *e = readdir(d); e; e = readdir(d)) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    (keep && strcmp(e->d_name, keep) == 0) || strncmp(e->d_name, "store.db", 8) == 0 ||
		    strcmp(e->d_name, "ismsd.conf") == 0)
			continue;
		fprintf(stderr, "stray file %s/%s\n", dir, e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static const char conf_text[] = "[source ssm]\ntype = aws-ssm-patch\n"
				"[source kb4]\ntype = knowbe4-training\n"
				"[source idle]\ntype = self\nenabled = no\n"
				"[webhook pd]\nurl = https://hooks.example.com/pd\n"
				"[webhook off]\nurl = https://hooks.example.com/off\nenabled = no\n";

/* ---- tests ------------------------------------------------------------------------------------ */

static void test_values(void)
{
	char *dir = subdir();
	struct store *st = fresh(dir);
	struct config *cfg = load(dir, conf_text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(deliver_register(st, cfg, NOW - 100000), 0);

	/* runs: ssm 2 successes and a failure; kb4 a failure, an interrupted
	 * run and one still running; idle none; "gone" is not configured */
	run(st, "ssm", NOW - 7200, NOW - 7100, "success");
	run(st, "ssm", NOW - 3600, NOW - 3500, "success");
	run(st, "ssm", NOW - 600, NOW - 590, "failed");
	run(st, "kb4", NOW - 5000, NOW - 4900, "failed");
	run(st, "kb4", NOW - 4000, 0, NULL);
	int recovered = 0;
	CU_ASSERT_EQUAL(store_recover(st, &recovered), 0);
	CU_ASSERT_EQUAL(recovered, 1);
	run(st, "kb4", NOW - 100, 0, NULL);
	run(st, "gone", NOW - 900, NOW - 800, "success");

	/* KPIs: an older evaluation, then the latest one */
	double v80 = 80, v3 = 3, v955 = 95.5, v75 = 75, v01 = 0.1;
	kpi_row(st, "patch.compliant_pct", "all", NOW - 86400, &v80, 95, ">=", "breached", "minor");
	kpi_row(st, "training.overdue", "all", NOW - 86400, &v3, 0, "<=", "breached", "minor");
	kpi_row(st, "patch.compliant_pct", "all", NOW - 60, &v955, 95, ">=", "met", NULL);
	kpi_row(st, "backup.success_rate", "b1", NOW - 60, &v75, 98, ">=", "breached", "minor");
	kpi_row(st, "backup.success_rate", "b2", NOW - 60, NULL, 98, ">=", "no-data", NULL);
	kpi_row(st, "audit.root_activity", "all", NOW - 60, &v01, 0, "<=", "breached", "major");

	/* NCs: open, acknowledged, open (major), closed, resolved (major) */
	observe(st, "kpi:patch.compliant_pct:all", "kpi", "minor", 1, NOW - 5000);
	int64_t b = observe(st, "kpi:backup.success_rate:b1", "kpi", "minor", 1, NOW - 5000);
	transition(st, b, NC_ACK, NOW - 4000);
	observe(st, "gap:ssm", "evidence-gap", "major", 1, NOW - 5000);
	int64_t d = observe(st, "kpi:training.overdue:all", "kpi", "minor", 1, NOW - 5000);
	observe(st, "kpi:training.overdue:all", "kpi", "minor", 0, NOW - 4500);
	transition(st, d, NC_PLAN, NOW - 4000);
	transition(st, d, NC_RESOLVE, NOW - 3000);
	transition(st, d, NC_CLOSE, NOW - 2000);
	int64_t e = observe(st, "activity:review", "activity-overdue", "major", 1, NOW - 5000);
	transition(st, e, NC_PLAN, NOW - 4000);
	transition(st, e, NC_RESOLVE, NOW - 3000);

	/* deliveries: pd has one of each state, the rest of the outbox is
	 * not reached yet; the disabled webhook has one pending */
	json_t *ids = json_array();
	CU_ASSERT(store_query(st, "SELECT id FROM outbox ORDER BY id", NULL, 0, take_ids, ids, NULL) >= 0);
	size_t n_events = json_array_size(ids);
	CU_ASSERT_FATAL(n_events >= 4);
	static const char *const states[] = { "delivered", "dead", "skipped", "pending" };
	for (size_t i = 0; i < 4; i++)
		delivery(st, json_integer_value(json_array_get(ids, i)), "pd", states[i]);
	delivery(st, json_integer_value(json_array_get(ids, 0)), "off", "pending");
	json_decref(ids);

	struct prom p;
	char *text = NULL;
	write_and_parse(st, cfg, dir, NOW, &p, &text);
	if (getenv("TEST_METRICS_DUMP") != NULL)
		fputs(text, stderr); /* to read the whole file */

	/* KPIs of the latest evaluation only */
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_kpi_value", "kpi", "patch.compliant_pct", "scope", "all", NULL)),
			       "95.5");
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_kpi_value", "kpi", "backup.success_rate", "scope", "b1", NULL)),
			       "75");
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_kpi_value", "kpi", "backup.success_rate", "scope", "b2", NULL)),
			       "NaN");
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_kpi_value", "kpi", "audit.root_activity", "scope", "all", NULL)),
			       "0.1");
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_kpi_threshold", "kpi", "patch.compliant_pct", "scope", "all", NULL)), "95");
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_kpi_threshold", "kpi", "backup.success_rate", "scope", "b2", NULL)), "98");
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_kpi_threshold", "kpi", "audit.root_activity", "scope", "all", NULL)), "0");
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_kpi_breached", "kpi", "patch.compliant_pct", "scope", "all", NULL)), "0");
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_kpi_breached", "kpi", "backup.success_rate", "scope", "b1", NULL)), "1");
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_kpi_breached", "kpi", "backup.success_rate", "scope", "b2", NULL)), "0");
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_kpi_breached", "kpi", "audit.root_activity", "scope", "all", NULL)), "1");
	CU_ASSERT_EQUAL(count(&p, "ismsd_kpi_value"), 4); /* not training.overdue of the older evaluation */
	CU_ASSERT_EQUAL(count(&p, "ismsd_kpi_threshold"), 4);
	CU_ASSERT_EQUAL(count(&p, "ismsd_kpi_breached"), 4);

	/* NCs: all but the closed one */
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_nonconformities_open", "severity", "minor", NULL)), "2");
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_nonconformities_open", "severity", "major", NULL)), "2");
	CU_ASSERT_EQUAL(count(&p, "ismsd_nonconformities_open"), 2);

	/* runs of the configured sources */
	char want[64];
	snprintf(want, sizeof(want), "%lld", (long long)(NOW - 3500));
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_last_collection_success_timestamp_seconds", "source", "ssm", NULL)), want);
	CU_ASSERT_EQUAL(count(&p, "ismsd_last_collection_success_timestamp_seconds"), 1);
	struct {
		const char *source, *outcome, *n;
	} runs[] = { { "ssm", "success", "2" },	 { "ssm", "failed", "1" },    { "ssm", "interrupted", "0" },
		     { "kb4", "success", "0" },	 { "kb4", "failed", "1" },    { "kb4", "interrupted", "1" },
		     { "idle", "success", "0" }, { "idle", "failed", "0" },   { "idle", "interrupted", "0" } };
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_collection_runs_total", "source", runs[i].source,
						    "outcome", runs[i].outcome, NULL)),
				       runs[i].n);
	CU_ASSERT_EQUAL(count(&p, "ismsd_collection_runs_total"), 9); /* not "gone" */

	/* webhooks */
	snprintf(want, sizeof(want), "%zu", 1 + (n_events - 4));
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_webhook_deliveries", "webhook", "pd", "state", "pending", NULL)),
			       want);
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_webhook_deliveries", "webhook", "pd", "state", "delivered", NULL)), "1");
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_webhook_deliveries", "webhook", "pd", "state", "dead", NULL)),
			       "1");
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_webhook_deliveries", "webhook", "pd", "state", "skipped", NULL)), "1");
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_webhook_deliveries", "webhook", "off", "state", "pending", NULL)), "1");
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_webhook_deliveries", "webhook", "off", "state", "delivered", NULL)), "0");
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_webhook_deliveries", "webhook", "off", "state", "dead", NULL)),
			       "0");
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_webhook_deliveries", "webhook", "off", "state", "skipped", NULL)), "0");
	CU_ASSERT_EQUAL(count(&p, "ismsd_webhook_deliveries"), 8);
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_webhook_outbox_pending", NULL)), want); /* not "off" */

	snprintf(want, sizeof(want), "%lld", (long long)NOW);
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_metrics_generated_timestamp_seconds", NULL)), want);

	/* types, and a few lines byte for byte */
	CU_ASSERT_STRING_EQUAL(type_of(&p, "ismsd_collection_runs_total"), "counter");
	CU_ASSERT_STRING_EQUAL(type_of(&p, "ismsd_kpi_value"), "gauge");
	CU_ASSERT_STRING_EQUAL(type_of(&p, "ismsd_kpi_breached"), "gauge");
	CU_ASSERT_STRING_EQUAL(type_of(&p, "ismsd_webhook_deliveries"), "gauge");
	CU_ASSERT_STRING_EQUAL(type_of(&p, "ismsd_last_collection_success_timestamp_seconds"), "gauge");
	CU_ASSERT_EQUAL(p.n_typed, p.n_helped);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n# TYPE ismsd_collection_runs_total counter\n"
					    "ismsd_collection_runs_total{source=\"ssm\",outcome=\"success\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nismsd_kpi_value{kpi=\"backup.success_rate\",scope=\"b2\"} NaN\n"));
	CU_ASSERT_EQUAL(strncmp(text, "# HELP ismsd_kpi_value ", 23), 0);
	prom_free(&p);
	free(text);

	CU_ASSERT_EQUAL(stray_files(dir, "ismsd.prom"), 0);
	config_free(cfg);
	store_close(st);
	free(dir);
}

static void insert_manifest(struct store *st, int64_t run_id)
{
	struct store_val a[] = { STORE_V_INT(run_id), STORE_V_TEXT("0123abcd"), STORE_V_TEXT("k1"),
				 STORE_V_TEXT("sig"), STORE_V_TEXT("{}") };
	int r = store_query(st, "INSERT INTO manifests(run_id, sha256, key_id, signature, body) VALUES (?, ?, ?, ?, ?)",
			    a, 5, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(r, 0);
}

/* The chain length is there only when the store has a manifests table
 * (schema 7 added it). */
static void test_chain_length(void)
{
	char *dir = subdir();
	char *path = th_path(dir, "store.db");
	struct store *st = NULL;
	char err[512];
	CU_ASSERT_EQUAL_FATAL(store_open(path, STORE_NO_MIGRATE, &st, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(store_migrate(st, 6, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(manifests_exist(st));
	struct prom p;
	char *text = NULL;
	write_and_parse(st, NULL, dir, NOW, &p, &text);
	CU_ASSERT_EQUAL(count(&p, "ismsd_evidence_chain_length"), 0);
	CU_ASSERT_STRING_EQUAL(type_of(&p, "ismsd_evidence_chain_length"), "(none)");
	CU_ASSERT_PTR_NULL(strstr(text, "chain"));
	prom_free(&p);
	free(text);

	CU_ASSERT_EQUAL_FATAL(store_migrate(st, STORE_SCHEMA_VERSION, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(manifests_exist(st));
	write_and_parse(st, NULL, dir, NOW, &p, &text);
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_evidence_chain_length", NULL)), "0");
	prom_free(&p);
	free(text);

	for (int64_t i = 1; i <= 3; i++)
		insert_manifest(st, i);
	write_and_parse(st, NULL, dir, NOW, &p, &text);
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_evidence_chain_length", NULL)), "3");
	CU_ASSERT_STRING_EQUAL(type_of(&p, "ismsd_evidence_chain_length"), "gauge");
	prom_free(&p);
	free(text);
	store_close(st);
	free(path);
	free(dir);
}

/* An empty store and an empty configuration: the NC gauges (0), the
 * outbox (0) and the generated time, nothing else. */
static void test_empty(void)
{
	char *dir = subdir();
	struct store *st = fresh(dir);
	struct config *cfg = load(dir, "# nothing configured\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	struct prom p;
	char *text = NULL;
	write_and_parse(st, cfg, dir, NOW, &p, &text);
	size_t chain = manifests_exist(st) ? 1 : 0;
	CU_ASSERT_EQUAL(p.n_typed, 3 + chain);
	CU_ASSERT_EQUAL(p.n, 4 + chain);
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_nonconformities_open", "severity", "minor", NULL)), "0");
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_nonconformities_open", "severity", "major", NULL)), "0");
	CU_ASSERT_STRING_EQUAL(text_of(find(&p, "ismsd_webhook_outbox_pending", NULL)), "0");
	CU_ASSERT_PTR_NOT_NULL(find(&p, "ismsd_metrics_generated_timestamp_seconds", NULL));
	CU_ASSERT_EQUAL(count(&p, "ismsd_kpi_value"), 0);
	prom_free(&p);
	free(text);
	config_free(cfg);
	store_close(st);
	free(dir);
}

/* Label values with a quote, a backslash and a newline, from a
 * configuration built by hand (the parser would refuse such a name). */
static void test_escaping(void)
{
	char *dir = subdir();
	struct store *st = fresh(dir);
	static const char weird[] = "we\"ird\\src\nx";
	char kind[] = "source", name[sizeof(weird)], key[] = "type", value[] = "self", file[] = "hand.conf";
	memcpy(name, weird, sizeof(weird));
	struct config_entry entry = { key, value, file, 2 };
	struct config_section section = { kind, name, file, 1, &entry, 1 };
	struct config cfg = { 0 };
	cfg.sections = &section;
	cfg.n_sections = 1;
	run(st, weird, NOW - 100, NOW - 50, "success");
	double v = 1;
	kpi_row(st, "patch.compliant_pct", "x\"y\\z", NOW - 10, &v, 95, ">=", "breached", "minor");

	struct prom p;
	char *text = NULL;
	write_and_parse(st, &cfg, dir, NOW, &p, &text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nismsd_collection_runs_total{source=\"we\\\"ird\\\\src\\nx\","
					    "outcome=\"success\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "\nismsd_kpi_value{kpi=\"patch.compliant_pct\",scope=\"x\\\"y\\\\z\"} 1\n"));
	char want[32];
	snprintf(want, sizeof(want), "%lld", (long long)(NOW - 50));
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_last_collection_success_timestamp_seconds", "source", weird, NULL)), want);
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_collection_runs_total", "source", weird, "outcome", "success", NULL)), "1");
	CU_ASSERT_STRING_EQUAL(
		text_of(find(&p, "ismsd_kpi_breached", "kpi", "patch.compliant_pct", "scope", "x\"y\\z", NULL)), "1");
	prom_free(&p);
	free(text);
	store_close(st);
	free(dir);
}

/* 0644 whatever the umask, and replaced in place. */
static void test_mode(void)
{
	char *dir = subdir();
	struct store *st = fresh(dir);
	mode_t old = umask(077);
	char err[512] = "";
	CU_ASSERT_EQUAL(metrics_write(st, NULL, dir, NOW, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(metrics_write(st, NULL, dir, NOW + 1, err, sizeof(err)), 0);
	umask(old);
	char *path = th_path(dir, "ismsd.prom");
	struct stat sb;
	CU_ASSERT_EQUAL_FATAL(stat(path, &sb), 0);
	CU_ASSERT(S_ISREG(sb.st_mode));
	CU_ASSERT_EQUAL(sb.st_mode & 07777, 0644);
	char *text = th_read(path);
	char want[96];
	snprintf(want, sizeof(want), "\nismsd_metrics_generated_timestamp_seconds %lld\n", (long long)NOW + 1);
	CU_ASSERT_PTR_NOT_NULL(text ? strstr(text, want) : NULL);
	free(text);
	CU_ASSERT_EQUAL(stray_files(dir, "ismsd.prom"), 0);
	free(path);
	store_close(st);
	free(dir);
}

/* A failed write keeps the previous file and leaves no temporary file. */
static void test_atomic(void)
{
	char *dir = subdir();
	struct store *st = fresh(dir);
	char err[512] = "";
	CU_ASSERT_EQUAL_FATAL(metrics_write(st, NULL, dir, NOW, err, sizeof(err)), 0);
	char *path = th_path(dir, "ismsd.prom");
	char *before = th_read(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);

	/* the write itself fails (a file size limit stands in for a full disk) */
	struct rlimit lim, small;
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &lim), 0);
	small = lim;
	small.rlim_cur = 64;
	void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
	fflush(stdout); /* nothing may be flushed to a log file under the limit */
	fflush(stderr);
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &small), 0);
	err[0] = '\0';
	int r = metrics_write(st, NULL, dir, NOW + 60, err, sizeof(err));
	setrlimit(RLIMIT_FSIZE, &lim);
	signal(SIGXFSZ, old_handler);
	CU_ASSERT_EQUAL(r, -EFBIG);
	CU_ASSERT(err[0] != '\0');
	char *after = th_read(path);
	CU_ASSERT_PTR_NOT_NULL(after);
	CU_ASSERT_STRING_EQUAL(after ? after : "", before);
	free(after);
	CU_ASSERT_EQUAL(stray_files(dir, "ismsd.prom"), 0);

	/* the directory cannot be written (only when not root) */
	if (geteuid() != 0) {
		CU_ASSERT_EQUAL(chmod(dir, 0555), 0);
		CU_ASSERT_EQUAL(metrics_write(st, NULL, dir, NOW + 120, err, sizeof(err)), -EACCES);
		CU_ASSERT_EQUAL(chmod(dir, 0755), 0);
		after = th_read(path);
		CU_ASSERT_STRING_EQUAL(after ? after : "", before);
		free(after);
		CU_ASSERT_EQUAL(stray_files(dir, "ismsd.prom"), 0);
	}

	/* the rename fails: ismsd.prom is a directory */
	char *other = subdir();
	char *blocker = th_path(other, "ismsd.prom");
	CU_ASSERT_EQUAL(mkdir(blocker, 0755), 0);
	err[0] = '\0';
	r = metrics_write(st, NULL, other, NOW, err, sizeof(err));
	CU_ASSERT(r == -EISDIR || r == -ENOTEMPTY || r == -EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot rename"));
	CU_ASSERT_EQUAL(stray_files(other, "ismsd.prom"), 0);

	/* the directory is a file, or does not exist */
	err[0] = '\0';
	CU_ASSERT_EQUAL(metrics_write(st, NULL, path, NOW, err, sizeof(err)), -ENOTDIR);
	CU_ASSERT(err[0] != '\0');
	char *missing = th_path(dir, "missing");
	CU_ASSERT_EQUAL(metrics_write(st, NULL, missing, NOW, err, sizeof(err)), -ENOENT);
	CU_ASSERT_EQUAL(metrics_write(st, NULL, "", NOW, err, sizeof(err)), -EINVAL);
	after = th_read(path);
	CU_ASSERT_STRING_EQUAL(after ? after : "", before);
	free(after);

	free(missing);
	free(blocker);
	free(other);
	free(before);
	free(path);
	store_close(st);
	free(dir);
}

/* The reader itself refuses what the format forbids. */
static void test_reader(void)
{
	static const struct {
		const char *text;
		int ok;
	} cases[] = {
		{ "# HELP a_b x\n# TYPE a_b gauge\na_b{l=\"v\"} 1\na_b{l=\"w\"} NaN\n", 1 },
		{ "# TYPE a_b gauge\na_b 1", 0 },				     /* no final newline */
		{ "a_b 1\n", 0 },						     /* no TYPE */
		{ "# TYPE a_b gauge\na_b 1 1790000000000\n", 0 },		     /* timestamp */
		{ "# TYPE a_b gauge\na_b{l=\"v\"} 1\na_b{l=\"v\"} 2\n", 0 },	     /* duplicate */
		{ "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n", 0 },	     /* not contiguous */
		{ "# TYPE a gauge\n# TYPE a gauge\na 1\n", 0 },		     /* TYPE twice */
		{ "# TYPE a counter\na 1\n", 0 },				     /* counter without _total */
		{ "# TYPE a gauge\na{l=\"x\\ty\"} 1\n", 0 },			     /* bad escape */
		{ "# TYPE a gauge\na{l=\"x\\\"y\\\\\\n\"} 1\n", 1 },		     /* good escapes */
		{ "# TYPE a gauge\r\na 1\r\n", 0 },				     /* CRLF */
		{ "# TYPE a gauge\na 1\n\n", 0 },				     /* empty line */
		{ "# TYPE a gauge\na one\n", 0 },				     /* bad value */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct prom p;
		int r = prom_parse(cases[i].text, &p);
		if ((r == 0) != cases[i].ok)
			fprintf(stderr, "reader case %zu: %s\n", i, r ? p.err : "accepted");
		CU_ASSERT_EQUAL(r == 0, cases[i].ok);
		prom_free(&p);
	}
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "the strict reader refuses what the format forbids", test_reader },
		{ "every metric from a populated store", test_values },
		{ "an empty store", test_empty },
		{ "the evidence chain's length, when there is a chain", test_chain_length },
		{ "label values are escaped", test_escaping },
		{ "mode 0644 under umask 077", test_mode },
		{ "a failed write keeps the previous file", test_atomic },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "metrics", th_dir_setup, th_dir_teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
