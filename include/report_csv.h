/*
 * report_csv.h: renders a report model (docs/internals/report-model.md) as a
 * directory of RFC 4180 CSV files, one per table of the model: summary.csv
 * (key,value), kpis.csv, kpi_series.csv, soa.csv, nonconformities.csv,
 * nc_history.csv, calendar.csv, collectors.csv, collector_days.csv,
 * evidence.csv, evidence_pages.csv, and management_review.csv (key,value)
 * when the model has a management review.
 *
 * A pure function of the model: the same model gives the same bytes.  UTF-8,
 * CRLF line ends, a header row; arrays in a cell are joined with ";".  A text
 * cell that starts with = + - @ TAB or CR gets a leading apostrophe so that
 * spreadsheets do not run it as a formula; numbers are never altered.
 */
#ifndef ISMSD_REPORT_CSV_H
#define ISMSD_REPORT_CSV_H

#include <stddef.h>

#include <jansson.h>

/* Creates dir (mode 0750) when missing, but not its parents, and writes the
 * CSV files into it, each one atomically (temporary file in dir, fsync,
 * rename) with mode 0640; a management_review.csv left by an earlier report
 * is removed when the model has no review.  Returns 0, or a negative errno
 * with a message in err (-EINVAL for a model that lacks a table, -ENOTDIR,
 * -ENOENT, -EACCES ... for dir); files written before a failure stay. */
int report_csv_write(const json_t *model, const char *dir, char *err, size_t errlen);

#endif
