/*
 * metrics.c: the Prometheus textfile (text format 0.0.4) that
 * node_exporter's textfile collector reads: KPI values, thresholds and
 * verdicts, open nonconformities, collection runs per source, the webhook
 * outbox, and the length of the evidence chain.
 *
 * Each metric family collects its samples in a buffer of its own, so that
 * one query may feed several families and the HELP and TYPE lines come once,
 * right before one contiguous group of samples.  The whole text is built in
 * memory first; only then is it written to a temporary file beside the
 * target, synced, made 0644 and renamed over it.  node_exporter never sees a
 * partial file, and any failure leaves the previous file in place.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "deliver.h"
#include "metrics.h"
#include "util.h"

#define PROM_FILE "ismsd.prom"
#define PROM_MAX (16u << 20) /* a cap on the text, far above any real store */

enum family {
	F_KPI_VALUE,
	F_KPI_THRESHOLD,
	F_KPI_BREACHED,
	F_NC_OPEN,
	F_LAST_SUCCESS,
	F_RUNS_TOTAL,
	F_OUTBOX_PENDING,
	F_WEBHOOK_DELIVERIES,
	F_CHAIN_LENGTH,
	F_GENERATED,
	F_COUNT
};

static const struct family_def {
	const char *name;
	const char *type;
	const char *help;
} families[F_COUNT] = {
	[F_KPI_VALUE] = { "ismsd_kpi_value", "gauge",
			  "Value of each KPI and scope at the latest evaluation (NaN when there was no data)." },
	[F_KPI_THRESHOLD] = { "ismsd_kpi_threshold", "gauge",
			      "Threshold the latest value of each KPI and scope was compared with." },
	[F_KPI_BREACHED] = { "ismsd_kpi_breached", "gauge",
			     "1 when the latest value of the KPI and scope breached its threshold, else 0." },
	[F_NC_OPEN] = { "ismsd_nonconformities_open", "gauge", "Nonconformities not closed, by severity." },
	[F_LAST_SUCCESS] = { "ismsd_last_collection_success_timestamp_seconds", "gauge",
			     "Unix time at which the last successful collection run of the source finished"
			     " (absent until one succeeds)." },
	[F_RUNS_TOTAL] = { "ismsd_collection_runs_total", "counter",
			   "Finished collection runs of each configured source, by outcome." },
	[F_OUTBOX_PENDING] = { "ismsd_webhook_outbox_pending", "gauge",
			       "Webhook deliveries still to be made, over the enabled webhooks." },
	[F_WEBHOOK_DELIVERIES] = { "ismsd_webhook_deliveries", "gauge",
				   "Webhook deliveries of each configured webhook, by state." },
	[F_CHAIN_LENGTH] = { "ismsd_evidence_chain_length", "gauge", "Manifests in the evidence hash chain." },
	[F_GENERATED] = { "ismsd_metrics_generated_timestamp_seconds", "gauge",
			  "Unix time at which ismsd wrote this file." },
};

struct metrics {
	struct util_buf fam[F_COUNT]; /* the sample lines of each family */
	int err;		      /* the first buffer error, sticky */
};

/* ---- text --------------------------------------------------------------------------- */

static void put(struct metrics *m, struct util_buf *b, const char *s, size_t len)
{
	if (m->err == 0)
		m->err = util_buf_append(b, s, len);
}

/* Appends s escaped for a label value (\\, \" and \n) or, without quote,
 * for a HELP text (\\ and \n). */
static void put_escaped(struct metrics *m, struct util_buf *b, const char *s, int quote)
{
	while (*s != '\0') {
		size_t n = strcspn(s, quote ? "\\\"\n" : "\\\n");
		put(m, b, s, n);
		s += n;
		if (*s == '\0')
			break;
		put(m, b, *s == '\n' ? "\\n" : *s == '"' ? "\\\"" : "\\\\", 2);
		s++;
	}
}

/* The shortest decimal form that reads back as v, or NaN, +Inf, -Inf. */
static void format_double(double v, char out[32])
{
	if (isnan(v)) {
		snprintf(out, 32, "NaN");
	} else if (isinf(v)) {
		snprintf(out, 32, "%s", v > 0 ? "+Inf" : "-Inf");
	} else {
		snprintf(out, 32, "%.15g", v);
		if (strtod(out, NULL) != v)
			snprintf(out, 32, "%.17g", v);
	}
}

/*
 * One sample of family f: labels holds n_labels name/value pairs
 * (2 * n_labels strings), value its text.
 */
static void sample(struct metrics *m, enum family f, const char *const *labels, size_t n_labels, const char *value)
{
	struct util_buf *b = &m->fam[f];
	put(m, b, families[f].name, strlen(families[f].name));
	for (size_t i = 0; i < n_labels; i++) {
		put(m, b, i == 0 ? "{" : ",", 1);
		put(m, b, labels[2 * i], strlen(labels[2 * i]));
		put(m, b, "=\"", 2);
		put_escaped(m, b, labels[2 * i + 1], 1);
		put(m, b, "\"", 1);
	}
	if (n_labels > 0)
		put(m, b, "}", 1);
	put(m, b, " ", 1);
	put(m, b, value, strlen(value));
	put(m, b, "\n", 1);
}

static void sample_double(struct metrics *m, enum family f, const char *const *labels, size_t n_labels, double v)
{
	char text[32];
	format_double(v, text);
	sample(m, f, labels, n_labels, text);
}

static void sample_int(struct metrics *m, enum family f, const char *const *labels, size_t n_labels, long long v)
{
	char text[32];
	snprintf(text, sizeof(text), "%lld", v);
	sample(m, f, labels, n_labels, text);
}

/* The families that have samples, each as HELP, TYPE and its samples. */
static char *assemble(struct metrics *m, size_t *len)
{
	struct util_buf out;
	util_buf_init(&out, PROM_MAX);
	for (int f = 0; f < F_COUNT; f++) {
		if (m->fam[f].len == 0)
			continue;
		const char *name = families[f].name;
		put(m, &out, "# HELP ", 7);
		put(m, &out, name, strlen(name));
		put(m, &out, " ", 1);
		put_escaped(m, &out, families[f].help, 0);
		put(m, &out, "\n# TYPE ", 8);
		put(m, &out, name, strlen(name));
		put(m, &out, " ", 1);
		put(m, &out, families[f].type, strlen(families[f].type));
		put(m, &out, "\n", 1);
		put(m, &out, m->fam[f].data, m->fam[f].len);
	}
	if (m->err != 0 || out.len == 0) {
		util_buf_free(&out);
		return NULL;
	}
	return util_buf_take(&out, len);
}

/* ---- the store ----------------------------------------------------------------------------- */

static int row_kpi(void *arg, const struct store_val *c, size_t n)
{
	struct metrics *m = arg;
	if (n < 5 || c[0].type != STORE_TEXT || c[1].type != STORE_TEXT)
		return 0;
	const char *labels[] = { "kpi", c[0].s, "scope", c[1].s };
	sample_double(m, F_KPI_VALUE, labels, 2, c[2].type == STORE_NULL ? NAN : c[2].d);
	sample_double(m, F_KPI_THRESHOLD, labels, 2, c[3].d);
	sample_int(m, F_KPI_BREACHED, labels, 2, c[4].s != NULL && strcmp(c[4].s, "breached") == 0);
	return 0;
}

/*
 * Only the KPIs and scopes of the latest evaluation: kpi_evaluate() writes
 * every enabled KPI with one evaluated_at, so a KPI disabled or a scope
 * dropped since then disappears instead of showing a stale value.
 */
static int kpi_metrics(struct store *st, struct metrics *m)
{
	return store_query(st,
			   "SELECT kpi, scope, value, threshold, verdict FROM kpi_values"
			   " WHERE id IN (SELECT max(id) FROM kpi_values GROUP BY kpi, scope)"
			   " AND evaluated_at = (SELECT evaluated_at FROM kpi_values ORDER BY id DESC LIMIT 1)"
			   " ORDER BY kpi, scope",
			   NULL, 0, row_kpi, m, NULL);
}

struct nc_counts {
	long long minor, major;
};

static int row_nc(void *arg, const struct store_val *c, size_t n)
{
	struct nc_counts *k = arg;
	if (n < 2 || c[0].type != STORE_TEXT)
		return 0;
	if (strcmp(c[0].s, "minor") == 0)
		k->minor = c[1].i;
	else if (strcmp(c[0].s, "major") == 0)
		k->major = c[1].i;
	return 0;
}

static int nc_metrics(struct store *st, struct metrics *m)
{
	struct nc_counts k = { 0, 0 };
	int r = store_query(st, "SELECT severity, count(*) FROM ncs WHERE state != 'closed' GROUP BY severity", NULL, 0,
			    row_nc, &k, NULL);
	if (r < 0)
		return r;
	const char *minor[] = { "severity", "minor" };
	const char *major[] = { "severity", "major" };
	sample_int(m, F_NC_OPEN, minor, 1, k.minor);
	sample_int(m, F_NC_OPEN, major, 1, k.major);
	return 0;
}

struct run_counts {
	long long success, failed, interrupted;
	int have_success;
	long long last_success; /* finished_at of the last successful run */
};

static int row_runs(void *arg, const struct store_val *c, size_t n)
{
	struct run_counts *k = arg;
	if (n < 3 || c[0].type != STORE_TEXT)
		return 0;
	if (strcmp(c[0].s, "success") == 0) {
		k->success = c[1].i;
		k->have_success = c[2].type == STORE_INT;
		k->last_success = c[2].i;
	} else if (strcmp(c[0].s, "failed") == 0) {
		k->failed = c[1].i;
	} else if (strcmp(c[0].s, "interrupted") == 0) {
		k->interrupted = c[1].i;
	}
	return 0;
}

/* Per configured source: runs by outcome (every outcome, 0 when none, so
 * that rate() sees the first run) and the end of the last successful one.
 * A run still "running" counts once it ends. */
static int source_metrics(struct store *st, const struct config *cfg, struct metrics *m)
{
	for (const struct config_section *s = config_next(cfg, "source", NULL); s; s = config_next(cfg, "source", s)) {
		struct run_counts k = { 0, 0, 0, 0, 0 };
		struct store_val a[] = { STORE_V_TEXT(s->name) };
		int r = store_query(st,
				    "SELECT outcome, count(*), max(finished_at) FROM runs WHERE source = ?"
				    " GROUP BY outcome",
				    a, 1, row_runs, &k, NULL);
		if (r < 0)
			return r;
		const char *src[] = { "source", s->name };
		if (k.have_success)
			sample_int(m, F_LAST_SUCCESS, src, 1, k.last_success);
		const char *ok[] = { "source", s->name, "outcome", "success" };
		const char *failed[] = { "source", s->name, "outcome", "failed" };
		const char *intr[] = { "source", s->name, "outcome", "interrupted" };
		sample_int(m, F_RUNS_TOTAL, ok, 2, k.success);
		sample_int(m, F_RUNS_TOTAL, failed, 2, k.failed);
		sample_int(m, F_RUNS_TOTAL, intr, 2, k.interrupted);
	}
	return 0;
}

/*
 * Per configured webhook, the counts `ismsctl webhook list` shows
 * (deliver_summary(): "pending" includes the events no pass has reached
 * yet).  The outbox backlog sums the pending ones of the enabled webhooks:
 * a disabled one is never sent to, so it would hold the gauge up forever.
 */
static int webhook_metrics(struct store *st, const struct config *cfg, struct metrics *m)
{
	static const char *const states[] = { "pending", "delivered", "dead", "skipped" };
	json_t *hooks = NULL;
	int r = deliver_summary(st, cfg, &hooks);
	if (r < 0)
		return r;
	long long pending = 0;
	size_t i;
	json_t *h;
	json_array_foreach(hooks, i, h)
	{
		const char *name = json_string_value(json_object_get(h, "name"));
		json_t *counts = json_object_get(h, "deliveries");
		if (name == NULL)
			continue;
		for (size_t j = 0; j < sizeof(states) / sizeof(states[0]); j++) {
			const char *labels[] = { "webhook", name, "state", states[j] };
			sample_int(m, F_WEBHOOK_DELIVERIES, labels, 2,
				   (long long)json_integer_value(json_object_get(counts, states[j])));
		}
		if (json_is_true(json_object_get(h, "enabled")))
			pending += (long long)json_integer_value(json_object_get(counts, "pending"));
	}
	json_decref(hooks);
	sample_int(m, F_OUTBOX_PENDING, NULL, 0, pending);
	return 0;
}

static int row_int(void *arg, const struct store_val *c, size_t n)
{
	if (n >= 1)
		*(long long *)arg = c[0].i;
	return 1;
}

/* The evidence chain's length, when the store has a manifests table. */
static int chain_metrics(struct store *st, struct metrics *m)
{
	long long have = 0, count = 0;
	struct store_val a[] = { STORE_V_TEXT("table"), STORE_V_TEXT("manifests") };
	int r = store_query(st, "SELECT count(*) FROM sqlite_master WHERE type = ? AND name = ?", a, 2, row_int, &have,
			    NULL);
	if (r < 0)
		return r;
	if (have == 0)
		return 0;
	r = store_query(st, "SELECT count(*) FROM manifests", NULL, 0, row_int, &count, NULL);
	if (r < 0)
		return r;
	sample_int(m, F_CHAIN_LENGTH, NULL, 0, count);
	return 0;
}

/* ---- the file ------------------------------------------------------------------------------ */

int metrics_write(struct store *st, const struct config *cfg, const char *dir, time_t now, char *err, size_t errlen)
{
	struct metrics m;
	char *text = NULL;
	size_t len = 0;
	int r = 0;
	for (int f = 0; f < F_COUNT; f++)
		util_buf_init(&m.fam[f], PROM_MAX);
	m.err = 0;
	if (dir == NULL || *dir == '\0') {
		r = -EINVAL;
		snprintf(err, errlen, "no metrics directory");
		goto out;
	}
	r = kpi_metrics(st, &m);
	if (r >= 0)
		r = nc_metrics(st, &m);
	if (r >= 0 && cfg != NULL)
		r = source_metrics(st, cfg, &m);
	if (r >= 0 && cfg != NULL)
		r = webhook_metrics(st, cfg, &m);
	if (r >= 0)
		r = chain_metrics(st, &m);
	if (r < 0) {
		snprintf(err, errlen, "cannot read the store: %s", store_errmsg(st));
		goto out;
	}
	sample_int(&m, F_GENERATED, NULL, 0, (long long)now);
	text = assemble(&m, &len);
	if (text == NULL) {
		r = m.err == -ENOSPC ? -EFBIG : m.err < 0 ? m.err : -ENOMEM;
		snprintf(err, errlen, "cannot build the metrics: %s", strerror(-r));
		goto out;
	}
	/* 0644: node_exporter runs as another user (the unit's UMask is 0077);
	 * the hidden temporary name does not end in .prom, so it is skipped */
	const char *step = NULL;
	r = util_write_atomic(dir, PROM_FILE, text, len, 0644, &step);
	if (r < 0)
		snprintf(err, errlen, "cannot %s %s/%s: %s", step, dir, PROM_FILE, strerror(-r));
out:
	free(text);
	for (int f = 0; f < F_COUNT; f++)
		util_buf_free(&m.fam[f]);
	return r < 0 ? r : 0;
}
