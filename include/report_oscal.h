/*
 * report_oscal.h: renders a report model (docs/internals/report-model.md) as
 * a NIST OSCAL assessment-results document (JSON, OSCAL 1.0.6).
 *
 * A pure function of the model: every UUID is name-based (version 5) on
 * stable inputs, so re-exporting the same period gives the same document,
 * and report.generated_at only appears as metadata.last-modified.
 *
 * Collection runs become observations whose relevant-evidence points at
 * back-matter resources (the run's manifest "manifests/run-<run>.json" and
 * each raw page "data/blobs/<sha256>", with their SHA-256); KPI results are
 * observations too; each nonconformity is a finding.  Control ids are
 * "a.<Annex A id>" in ismsd's own catalog (NIST has no ISO 27001 catalog).
 */
#ifndef ISMSD_REPORT_OSCAL_H
#define ISMSD_REPORT_OSCAL_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Writes the document (JSON, keys sorted, two-space indent, a final
 * newline) to out and flushes it.  Returns 0; -EINVAL with a message in err
 * for a model that lacks a required part (then nothing is written); or
 * -errno when writing fails (out may then hold part of the document). */
int report_oscal_write(const json_t *model, FILE *out, char *err, size_t errlen);

#endif
