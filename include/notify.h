/*
 * notify.h: the service manager protocol (sd_notify): readiness, reload,
 * stop, status and watchdog.  Without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef ISMSD_NOTIFY_H
#define ISMSD_NOTIFY_H

#include <stdint.h>

void notify_ready(void);
/* RELOADING=1 with MONOTONIC_USEC=, as systemd expects before a READY=1. */
void notify_reloading(void);
void notify_stopping(void);
void notify_watchdog(void);
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The watchdog period in microseconds from $WATCHDOG_USEC, or 0 when the
 * service manager does not expect pings from this process. */
uint64_t notify_watchdog_usec(void);

#endif
