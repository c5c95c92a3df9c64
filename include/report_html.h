/*
 * report_html.h: renders a report model (docs/internals/report-model.md) as
 * one self-contained HTML file: inline CSS and SVG, no scripts, no fetches.
 *
 * A pure function of the model: the same model gives the same bytes.
 */
#ifndef ISMSD_REPORT_HTML_H
#define ISMSD_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Writes the report to out.  Returns 0, or -EINVAL with a message in err
 * when the model lacks a required part, or -errno when writing fails. */
int report_html_write(const json_t *model, FILE *out, char *err, size_t errlen);

#endif
