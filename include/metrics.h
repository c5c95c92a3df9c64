/*
 * metrics.h: the Prometheus textfile (text format 0.0.4) for node_exporter's
 * textfile collector: KPI values and thresholds, open NCs by severity, the
 * last successful collection per source, webhook outbox depth.
 */
#ifndef ISMSD_METRICS_H
#define ISMSD_METRICS_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "store.h"

/* Writes dir/ismsd.prom atomically (a temporary file in dir, fsync, rename)
 * with mode 0644, so that node_exporter's user can read it.  Returns 0, or a
 * negative errno with a message in err; the previous file is then kept. */
int metrics_write(struct store *st, const struct config *cfg, const char *dir, time_t now, char *err, size_t errlen);

#endif
