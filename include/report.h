/*
 * report.h: evidence reports.  report_build() reads the store for one
 * period into the report model (docs/internals/report-model.md);
 * report_write() renders the model in one format.  Every renderer is a pure
 * function of the model, and the model depends only on the store, the
 * configuration and the period (plus its generated_at), so the same store
 * and period give the same report.
 */
#ifndef ISMSD_REPORT_H
#define ISMSD_REPORT_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "soa.h"
#include "store.h"

/* A reporting period: a year "2026", a quarter "2026-Q3" or a month
 * "2026-10", in UTC; end is exclusive. */
struct report_period {
	char label[16];
	time_t start, end;
};

/* Parses a period label.  Returns 0, or -EINVAL with a message in err. */
int report_period_parse(const char *s, struct report_period *p, char *err, size_t errlen);

/* The period of that kind that ended last before t ("month", "quarter",
 * "year"). */
int report_period_before(const char *unit, time_t t, struct report_period *p);

/* The report kinds: "period" (everything), "kpi-monthly",
 * "management-review" (adds the clause 9.3.2 inputs), "annual". */
int report_kind_known(const char *kind);

struct report_opts {
	const char *kind;	 /* NULL: "period" */
	const char *key_id;	 /* the chain's key fingerprint, or NULL */
	time_t now;		 /* generated_at, and the end of "so far" */
};

/* Builds the model.  Returns 0, or a negative error with a message in err. */
int report_build(struct store *st, const struct config *cfg, const struct soa *soa, const struct report_period *p,
		 const struct report_opts *o, json_t **out, char *err, size_t errlen);

/* The formats report_write() takes: "html", "json", "csv", "oscal". */
int report_format_known(const char *format);

/*
 * Writes the model in format to path: a file written atomically (a
 * temporary file beside it, then rename), or for "csv" a directory of
 * files.  Returns 0, or a negative errno with a message in err.
 */
int report_write(const json_t *model, const char *format, const char *path, char *err, size_t errlen);

/*
 * Scheduled reports: after each month a "kpi-monthly" report of it, after
 * each quarter a "management-review" pack, after each year an "annual"
 * report, in [report] formats (default html, json) in [report] dir (default
 * STATE_DIR/reports), named PERIOD-KIND.EXT.  A period is reported once
 * (table reports), and only when it ended after ismsd began collecting;
 * periods missed while ismsd was down are written at the next chance,
 * oldest first.
 * Each one writes a report.generated webhook event with its record.
 * *made receives the number of reports written.
 */
int report_run_scheduled(struct store *st, const struct config *cfg, const struct soa *soa, const char *key_id,
			 time_t now, int *made, char *err, size_t errlen);
/* How many scheduled reports are due at now (cheap: for the main loop). */
int report_scheduled_pending(struct store *st, time_t now);
/* Adds an error (file:line) for each unknown word in [report] formats. */
void report_check_config(const struct config *cfg, struct config_errors *errs);
/* Whether [report] scheduled is on (the default). */
int report_scheduled_enabled(const struct config *cfg);
/* The directory scheduled reports go to. */
int report_scheduled_dir(const struct config *cfg, char *buf, size_t len);

#endif
