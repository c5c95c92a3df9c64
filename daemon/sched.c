/*
 * sched.c: calendar cadences (next slot in a time zone, coalesced catch-up)
 * and the ordered job queue the daemon sleeps on.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sched.h"
#include "util.h"

static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static int days_in_month(int year, int mon0)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (mon0 == 1 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return dm[mon0];
}

static int parse_hhmm(const char *s, int *h, int *m)
{
	if (strlen(s) != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	*h = (s[0] - '0') * 10 + (s[1] - '0');
	*m = (s[3] - '0') * 10 + (s[4] - '0');
	return *h < 24 && *m < 60 ? 0 : -1;
}

static int parse_day(const char *s)
{
	static const char *const full[] = { "sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
					    "saturday" };
	for (int i = 0; i < 7; i++)
		if (strcasecmp(s, day_names[i]) == 0 || strcasecmp(s, full[i]) == 0)
			return i;
	return -1;
}

int sched_cadence_parse(const char *s, struct sched_cadence *c, char *err, size_t errlen)
{
	char buf[128];
	char *tok[4];
	int nt = 0;
	memset(c, 0, sizeof(*c));
	c->mday = 1;
	c->month = 1;
	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	char *save = NULL;
	for (char *t = strtok_r(buf, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
		if (nt == 4)
			goto bad;
		tok[nt++] = t;
	}
	if (nt == 0)
		goto bad;
	int i = 1;
	if (strcmp(tok[0], "every") == 0) {
		uint64_t secs;
		if (nt != 2 || util_parse_duration(tok[1], &secs) < 0 || secs < 10) {
			snprintf(err, errlen, "'%s': 'every' takes a duration of at least 10s, such as 'every 6h'", s);
			return -1;
		}
		c->kind = SCHED_INTERVAL;
		c->interval_s = secs;
		return 0;
	} else if (strcmp(tok[0], "hourly") == 0) {
		c->kind = SCHED_HOURLY;
	} else if (strcmp(tok[0], "daily") == 0) {
		c->kind = SCHED_DAILY;
	} else if (strcmp(tok[0], "weekly") == 0) {
		c->kind = SCHED_WEEKLY;
		c->wday = 1;
		if (i < nt && !isdigit((unsigned char)tok[i][0])) {
			c->wday = parse_day(tok[i]);
			if (c->wday < 0)
				goto bad;
			i++;
		}
	} else if (strcmp(tok[0], "monthly") == 0) {
		c->kind = SCHED_MONTHLY;
		if (i < nt && strchr(tok[i], ':') == NULL) {
			if (strcmp(tok[i], "last") == 0) {
				c->mday = -1;
			} else {
				char *end;
				long d = strtol(tok[i], &end, 10);
				if (*end || d < 1 || d > 28) {
					snprintf(err, errlen, "'%s': the day of the month is 1..28 or 'last'", s);
					return -1;
				}
				c->mday = (int)d;
			}
			i++;
		}
	} else if (strcmp(tok[0], "quarterly") == 0) {
		c->kind = SCHED_QUARTERLY;
	} else if (strcmp(tok[0], "annually") == 0 || strcmp(tok[0], "yearly") == 0) {
		c->kind = SCHED_ANNUALLY;
		if (i < nt && strchr(tok[i], ':') == NULL) {
			int mo, d;
			char extra;
			if (sscanf(tok[i], "%2d-%2d%c", &mo, &d, &extra) != 2 || mo < 1 || mo > 12 || d < 1 ||
			    d > days_in_month(2001, mo - 1)) {
				snprintf(err, errlen, "'%s': the date is MM-DD, a day every year has (not 02-29)", s);
				return -1;
			}
			c->month = mo;
			c->mday = d;
			i++;
		}
	} else {
		goto bad;
	}
	if (i < nt) {
		if (c->kind == SCHED_HOURLY || parse_hhmm(tok[i], &c->hour, &c->minute) < 0)
			goto bad;
		i++;
	}
	if (i != nt)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen,
		 "'%s' is not a schedule (use 'every 6h', 'hourly', 'daily [HH:MM]', 'weekly [DAY] [HH:MM]', "
		 "'monthly [D|last] [HH:MM]', 'quarterly [HH:MM]' or 'annually [MM-DD] [HH:MM]')",
		 s);
	return -1;
}

uint64_t sched_cadence_period(const struct sched_cadence *c)
{
	switch (c->kind) {
	case SCHED_INTERVAL:
		return c->interval_s;
	case SCHED_HOURLY:
		return 3600;
	case SCHED_DAILY:
		return 86400;
	case SCHED_WEEKLY:
		return 7 * 86400;
	case SCHED_MONTHLY:
		return 31 * 86400;
	case SCHED_QUARTERLY:
		return 92 * 86400;
	case SCHED_ANNUALLY:
		return 366 * 86400;
	}
	return 86400;
}

/*
 * Switches $TZ for the duration of a computation, when it differs from the
 * zone already in force.  The daemon sets $TZ once at start (and refuses a
 * reload that changes the zone), so it never calls setenv() while worker
 * threads run; tests and ismsctl are single-threaded.
 */
struct tz_guard {
	char *old;
	int had;
	int changed;
};

static const char *tz_value(const char *tz)
{
	return tz && strcmp(tz, "UTC") != 0 ? tz : "UTC0";
}

static void tz_enter(struct tz_guard *g, const char *tz)
{
	const char *old = getenv("TZ");
	g->changed = old == NULL || strcmp(old, tz_value(tz)) != 0;
	g->had = old != NULL;
	g->old = NULL;
	if (!g->changed)
		return;
	g->old = old ? strdup(old) : NULL;
	setenv("TZ", tz_value(tz), 1);
	tzset();
}

static void tz_leave(struct tz_guard *g)
{
	if (!g->changed)
		return;
	if (g->had)
		setenv("TZ", g->old ? g->old : "", 1);
	else
		unsetenv("TZ");
	tzset();
	free(g->old);
}

void sched_set_process_tz(const char *tz)
{
	setenv("TZ", tz_value(tz), 1);
	tzset();
}

/* A wall-clock date and time as a zone-free number (seconds, via timegm),
 * normalising day and month overflow. */
static time_t wall(int year, int mon0, int mday, int hour, int minute, int sec)
{
	struct tm tm = { 0 };
	tm.tm_year = year - 1900;
	tm.tm_mon = mon0;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm.tm_sec = sec;
	return timegm(&tm);
}

/* The instant a wall-clock time happens in the current zone.  A time that
 * does not exist (the hour skipped in spring) maps to just after the gap. */
static time_t wall_to_instant(time_t w)
{
	struct tm tm;
	gmtime_r(&w, &tm);
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* The wall-clock time of the slot step periods after the one base is in. */
static time_t wall_slot(const struct sched_cadence *c, const struct tm *base, int step)
{
	int y = base->tm_year + 1900;
	switch (c->kind) {
	case SCHED_DAILY:
		return wall(y, base->tm_mon, base->tm_mday + step, c->hour, c->minute, 0);
	case SCHED_WEEKLY: {
		int back = (base->tm_wday - c->wday + 7) % 7; /* days since this week's slot day */
		return wall(y, base->tm_mon, base->tm_mday - back + 7 * step, c->hour, c->minute, 0);
	}
	case SCHED_MONTHLY: {
		int m = base->tm_mon + step;
		int yy = y + m / 12;
		m %= 12;
		int d = c->mday > 0 ? c->mday : days_in_month(yy, m);
		return wall(yy, m, d, c->hour, c->minute, 0);
	}
	case SCHED_QUARTERLY: {
		int m = (base->tm_mon / 3) * 3 + 3 * step;
		return wall(y + m / 12, m % 12, 1, c->hour, c->minute, 0);
	}
	case SCHED_ANNUALLY:
		return wall(y + step, c->month - 1, c->mday, c->hour, c->minute, 0);
	case SCHED_INTERVAL:
	case SCHED_HOURLY:
		break;
	}
	return (time_t)-1;
}

/*
 * Slots are compared in wall-clock time, so that a local time that happens
 * twice (when clocks go back) still gives one run per period, and one that
 * never happens (when they go forward) runs just after the gap.
 */
time_t sched_slot_after(const struct sched_cadence *c, time_t t, const char *tz)
{
	if (c->kind == SCHED_INTERVAL)
		return t + (time_t)c->interval_s;
	struct tz_guard g;
	tz_enter(&g, tz);
	struct tm base;
	time_t slot = (time_t)-1;
	if (localtime_r(&t, &base) != NULL) {
		if (c->kind == SCHED_HOURLY) {
			/* the next local full hour, counted in real time */
			slot = t - (base.tm_min * 60 + base.tm_sec) + 3600;
		} else {
			time_t now_wall = wall(base.tm_year + 1900, base.tm_mon, base.tm_mday, base.tm_hour, base.tm_min,
					       base.tm_sec);
			for (int step = 0; step < 3; step++) {
				time_t w = wall_slot(c, &base, step);
				if (w > now_wall) {
					slot = wall_to_instant(w);
					break;
				}
			}
			if (slot <= t) /* cannot happen for a valid cadence; never loop */
				slot = t + 60;
		}
	}
	tz_leave(&g);
	return slot;
}

time_t sched_next_due(const struct sched_cadence *c, time_t last_run, time_t now, const char *tz)
{
	if (last_run <= 0)
		return now;
	time_t next = sched_slot_after(c, last_run, tz);
	return next < now ? now : next;
}

/* ---- the queue: a sorted array (a daemon has tens of jobs) ---------------- */

void sched_queue_init(struct sched_queue *q)
{
	q->items = NULL;
	q->n = 0;
	q->alloc = 0;
}

void sched_queue_free(struct sched_queue *q)
{
	free(q->items);
	sched_queue_init(q);
}

void sched_queue_remove(struct sched_queue *q, size_t job)
{
	for (size_t i = 0; i < q->n; i++) {
		if (q->items[i].job == job) {
			memmove(&q->items[i], &q->items[i + 1], (q->n - i - 1) * sizeof(q->items[0]));
			q->n--;
			return;
		}
	}
}

int sched_queue_set(struct sched_queue *q, size_t job, time_t due)
{
	sched_queue_remove(q, job);
	if (q->n == q->alloc) {
		size_t na = q->alloc ? q->alloc * 2 : 16;
		struct sched_item *p = realloc(q->items, na * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		q->items = p;
		q->alloc = na;
	}
	size_t i = q->n;
	while (i > 0 && q->items[i - 1].due > due) {
		q->items[i] = q->items[i - 1];
		i--;
	}
	q->items[i].due = due;
	q->items[i].job = job;
	q->n++;
	return 0;
}

int sched_queue_peek(const struct sched_queue *q, size_t *job, time_t *due)
{
	if (q->n == 0)
		return -1;
	*job = q->items[0].job;
	*due = q->items[0].due;
	return 0;
}
