/*
 * log.h: logging for ismsd and ismsctl.
 *
 * Under systemd (stderr connected to the journal, see $JOURNAL_STREAM) every
 * line goes to journald through sd_journal_send() with PRIORITY and, for the
 * events listed in enum log_event, a fixed MESSAGE_ID.  Elsewhere lines go to
 * stderr as "ismsd[pid]: <level>: message".
 *
 * The logger is the one piece of process-wide state besides the signal flags:
 * log_init() sets it once, before any thread starts.
 *
 * Nothing that is a secret may be passed to these functions.  Callers log
 * URLs through http_redact_url() and never log header values.
 */
#ifndef ISMSD_LOG_H
#define ISMSD_LOG_H

#include <stdarg.h>
#include <syslog.h>

/* Event kinds with a stable journald MESSAGE_ID (see docs/ismsd.8). */
enum log_event {
	LOG_EV_NONE = 0,
	LOG_EV_STARTED,       /* daemon ready */
	LOG_EV_STOPPING,      /* daemon shutting down */
	LOG_EV_RELOADED,      /* configuration reloaded */
	LOG_EV_RELOAD_FAILED, /* new configuration rejected, old one kept */
	LOG_EV_CONFIG_ERROR,  /* configuration error at start */
	LOG_EV_RUN_OK,        /* collection run committed */
	LOG_EV_RUN_FAILED,    /* collection run failed and rolled back */
	LOG_EV_STORE_ERROR,   /* evidence store error */
	LOG_EV_RUN_INTERRUPTED, /* run found interrupted at start */
	LOG_EV_WEBHOOK_DEAD,    /* a webhook delivery was given up (dead-lettered) */
	LOG_EV__MAX
};

/* Destination: LOG_TO_AUTO picks the journal when stderr is the journal. */
enum log_target { LOG_TO_AUTO, LOG_TO_STDERR, LOG_TO_JOURNAL };

/* Sets the program name, the destination and the lowest priority logged
 * (LOG_DEBUG .. LOG_ERR).  Call before any thread starts. */
void log_init(const char *ident, enum log_target target, int max_priority);

/* Changes the lowest priority logged (after a reload). */
void log_set_level(int max_priority);

/* Parses "debug", "info", "notice", "warning", "err".  Returns the syslog
 * priority, or -1 if the name is unknown. */
int log_level_from_name(const char *name);

/* Returns the 32-hex-digit MESSAGE_ID of an event kind, or NULL. */
const char *log_event_id(enum log_event ev);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Logs an event with its MESSAGE_ID, a priority and an optional source name
 * (journal field ISMSD_SOURCE). */
void log_event(enum log_event ev, int priority, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Logs and exits 1.  Only for start-up errors and broken invariants. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
