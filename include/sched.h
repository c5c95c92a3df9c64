/*
 * sched.h: cadences on the ISMS maintenance calendar and the job queue.
 *
 * A cadence is a calendar rule in the configured time zone:
 *   "every 6h"              fixed interval from the last run
 *   "hourly"                at minute 0 of every hour
 *   "daily [HH:MM]"         every day (default 00:00)
 *   "weekly [DAY] [HH:MM]"  DAY is mon..sun or monday..sunday (default mon)
 *   "monthly [D] [HH:MM]"   D is 1..28 or "last" (default 1)
 *   "quarterly [HH:MM]"     1 Jan, 1 Apr, 1 Jul, 1 Oct
 *   "annually [MM-DD] [HH:MM]"  (not 02-29; "yearly" is the same)
 *   a systemd OnCalendar= expression, "[DOW] [YYYY-MM-DD] [HH:MM[:SS]]",
 *     each field "*", a value, a list "a,b", a range "a..b" or a
 *     repetition "a/n"; e.g. "Mon..Fri *-*-* 09:00", "*-*-01 03:30",
 *     "*-01,04,07,10-01 00:00", "Sat *-*-1..7 18:00" (first Saturday)
 * Missed slots are coalesced: after downtime a source runs once, as systemd
 * timers do with Persistent=true.
 *
 * Slots are compared in wall-clock time: a local time that happens twice
 * when clocks go back gives one run, one that never happens runs just after
 * the gap.
 *
 * The next-due computation is a pure function of the cadence, the last run,
 * the time zone and an injected "now", so it is tested with a fake clock.
 * When tz is not the zone in $TZ it changes $TZ while it works; the daemon
 * calls sched_set_process_tz() once at start so that it never does.
 */
#ifndef ISMSD_SCHED_H
#define ISMSD_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum sched_kind {
	SCHED_INTERVAL,
	SCHED_HOURLY,
	SCHED_DAILY,
	SCHED_WEEKLY,
	SCHED_MONTHLY,
	SCHED_QUARTERLY,
	SCHED_ANNUALLY,
	SCHED_CALENDAR, /* an OnCalendar= expression */
};

#define SCHED_MAX_YEARS 8

/* The sets an OnCalendar= expression matches (bit n = value n). */
struct sched_calendar {
	uint64_t sec, min;
	uint32_t hour, mday; /* mday: bits 1..31 */
	uint16_t mon;	     /* bits 1..12 */
	uint8_t wday;	     /* bit 0 = Sunday */
	int years[SCHED_MAX_YEARS];
	int n_years; /* 0: every year */
};

struct sched_cadence {
	enum sched_kind kind;
	uint64_t interval_s; /* SCHED_INTERVAL */
	int hour, minute;
	int wday;  /* 0 = Sunday, SCHED_WEEKLY */
	int mday;  /* 1..28, or -1 for the last day, SCHED_MONTHLY and SCHED_ANNUALLY */
	int month; /* 1..12, SCHED_ANNUALLY */
	struct sched_calendar cal; /* SCHED_CALENDAR */
};

/* Parses a cadence.  Returns 0, or -1 with a message in err. */
int sched_cadence_parse(const char *s, struct sched_cadence *c, char *err, size_t errlen);

/* The nominal length of one period, for freshness checks and back-off caps. */
uint64_t sched_cadence_period(const struct sched_cadence *c);

/* Makes tz the process's zone ($TZ).  Call before any thread starts. */
void sched_set_process_tz(const char *tz);

/* The first slot strictly after t, in time zone tz ("UTC" or an IANA name). */
time_t sched_slot_after(const struct sched_cadence *c, time_t t, const char *tz);

/*
 * When a source is next due.  last_run is the start of its last run, or 0 if
 * it never ran (then it is due at once).  A slot missed while the daemon was
 * down makes the source due at now, once.
 */
time_t sched_next_due(const struct sched_cadence *c, time_t last_run, time_t now, const char *tz);

/* The jobs ordered by due time (a sorted array: a daemon has tens of jobs).
 * Jobs are identified by an index. */
struct sched_queue {
	struct sched_item {
		time_t due;
		size_t job;
	} *items;
	size_t n, alloc;
};

void sched_queue_init(struct sched_queue *q);
void sched_queue_free(struct sched_queue *q);
/* Adds or moves a job.  Returns 0 or -ENOMEM. */
int sched_queue_set(struct sched_queue *q, size_t job, time_t due);
void sched_queue_remove(struct sched_queue *q, size_t job);
/* The earliest job, or -1 when the queue is empty. */
int sched_queue_peek(const struct sched_queue *q, size_t *job, time_t *due);

#endif
