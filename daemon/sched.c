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

/* ---- OnCalendar= expressions ------------------------------------------------------ */

/* Parses one numeric field ("*", "5", "1,15", "1..5", "0/15") into bits
 * lo..hi.  Returns 0 or -1. */
static int cal_field(const char *f, int lo, int hi, uint64_t *bits)
{
	*bits = 0;
	char buf[128];
	if (strlen(f) >= sizeof(buf))
		return -1;
	strcpy(buf, f);
	char *save = NULL;
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		int a, b, step = 1;
		char *slash = strchr(item, '/');
		if (slash != NULL) {
			*slash = '\0';
			char *end;
			long st = strtol(slash + 1, &end, 10);
			if (*end || st < 1 || st > hi)
				return -1;
			step = (int)st;
		}
		if (strcmp(item, "*") == 0) {
			a = lo;
			b = hi;
		} else {
			char *dots = strstr(item, "..");
			char *end;
			long x = strtol(item, &end, 10);
			if (end == item || (dots ? end != dots : *end != '\0'))
				return -1;
			a = (int)x;
			b = slash ? hi : a;
			if (dots != NULL) {
				long y = strtol(dots + 2, &end, 10);
				if (end == dots + 2 || *end != '\0')
					return -1;
				b = (int)y;
			}
		}
		if (a < lo || b > hi || a > b)
			return -1;
		for (int v = a; v <= b; v += step)
			*bits |= 1ULL << v;
	}
	return *bits ? 0 : -1;
}

static int cal_weekdays(const char *f, uint8_t *bits)
{
	*bits = 0;
	char buf[128];
	if (strlen(f) >= sizeof(buf))
		return -1;
	strcpy(buf, f);
	char *save = NULL;
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *dots = strstr(item, "..");
		if (dots)
			*dots = '\0';
		int a = parse_day(item), b = dots ? parse_day(dots + 2) : a;
		if (a < 0 || b < 0)
			return -1;
		for (int v = a;; v = (v + 1) % 7) {
			*bits |= (uint8_t)(1u << v);
			if (v == b)
				break;
		}
	}
	return 0;
}

static int cal_parse(const char *s, struct sched_calendar *cal)
{
	char buf[256];
	char *tok[3];
	int nt = 0;
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	char *save = NULL;
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (nt == 3)
			return -1;
		tok[nt++] = t;
	}
	memset(cal, 0, sizeof(*cal));
	cal->wday = 0x7f;
	const char *date = "*-*-*", *time = "00:00:00";
	int i = 0;
	if (i < nt && isalpha((unsigned char)tok[i][0])) {
		if (cal_weekdays(tok[i], &cal->wday) < 0)
			return -1;
		i++;
	}
	if (i < nt && strchr(tok[i], '-') != NULL)
		date = tok[i++];
	if (i < nt && strchr(tok[i], ':') != NULL)
		time = tok[i++];
	if (i != nt || nt == 0)
		return -1;
	/* date: Y-M-D */
	char d[128];
	snprintf(d, sizeof(d), "%s", date);
	char *m = strchr(d, '-');
	char *dd = m ? strchr(m + 1, '-') : NULL;
	if (m == NULL || dd == NULL)
		return -1;
	*m++ = '\0';
	*dd++ = '\0';
	uint64_t bits;
	if (strcmp(d, "*") != 0) {
		char *save2 = NULL;
		for (char *y = strtok_r(d, ",", &save2); y; y = strtok_r(NULL, ",", &save2)) {
			char *end;
			long v = strtol(y, &end, 10);
			if (*end || v < 1970 || v > 2199 || cal->n_years == SCHED_MAX_YEARS)
				return -1;
			cal->years[cal->n_years++] = (int)v;
		}
	}
	if (cal_field(m, 1, 12, &bits) < 0)
		return -1;
	cal->mon = (uint16_t)bits;
	if (cal_field(dd, 1, 31, &bits) < 0)
		return -1;
	cal->mday = (uint32_t)bits;
	/* time: H:M[:S] */
	char t[128];
	snprintf(t, sizeof(t), "%s", time);
	char *mi = strchr(t, ':');
	if (mi == NULL)
		return -1;
	*mi++ = '\0';
	char *se = strchr(mi, ':');
	if (se)
		*se++ = '\0';
	if (cal_field(t, 0, 23, &bits) < 0)
		return -1;
	cal->hour = (uint32_t)bits;
	if (cal_field(mi, 0, 59, &cal->min) < 0)
		return -1;
	if (se ? cal_field(se, 0, 59, &cal->sec) < 0 : cal_field("0", 0, 59, &cal->sec) < 0)
		return -1;
	return 0;
}

static int year_ok(const struct sched_calendar *cal, int y)
{
	if (cal->n_years == 0)
		return 1;
	for (int i = 0; i < cal->n_years; i++)
		if (cal->years[i] == y)
			return 1;
	return 0;
}

/* The first wall-clock time after now_wall the expression matches, looking
 * at most five years ahead; -1 when there is none. */
static time_t cal_next_wall(const struct sched_calendar *cal, time_t now_wall)
{
	time_t day0 = now_wall - now_wall % 86400;
	for (int k = 0; k <= 5 * 366; k++) {
		time_t day = day0 + (time_t)k * 86400;
		struct tm tm;
		gmtime_r(&day, &tm);
		if (!year_ok(cal, tm.tm_year + 1900) || !(cal->mon & (1u << (tm.tm_mon + 1))) ||
		    !(cal->mday & (1u << tm.tm_mday)) || !(cal->wday & (1u << tm.tm_wday)))
			continue;
		for (int h = 0; h < 24; h++) {
			if (!(cal->hour & (1u << h)))
				continue;
			for (int mi = 0; mi < 60; mi++) {
				if (!(cal->min & (1ULL << mi)))
					continue;
				for (int se = 0; se < 60; se++) {
					if (!(cal->sec & (1ULL << se)))
						continue;
					time_t w = day + h * 3600 + mi * 60 + se;
					if (w > now_wall)
						return w;
				}
			}
		}
	}
	return (time_t)-1;
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
		c->kind = SCHED_CALENDAR;
		if (cal_parse(s, &c->cal) < 0)
			goto bad;
		/* an expression that never matches (30 February, a past year) */
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		if (cal_next_wall(&c->cal, timegm(&tm)) < 0) {
			snprintf(err, errlen, "'%s' never matches in the next five years", s);
			return -1;
		}
		return 0;
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
		 "'monthly [D|last] [HH:MM]', 'quarterly [HH:MM]', 'annually [MM-DD] [HH:MM]' "
		 "or an OnCalendar expression such as 'Mon..Fri *-*-* 09:00')",
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
	case SCHED_CALENDAR:
		break;
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
	case SCHED_CALENDAR:
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
		} else if (c->kind == SCHED_CALENDAR) {
			time_t now_wall = wall(base.tm_year + 1900, base.tm_mon, base.tm_mday, base.tm_hour, base.tm_min,
					       base.tm_sec);
			time_t w = cal_next_wall(&c->cal, now_wall);
			slot = w < 0 ? t + 366 * 86400 : wall_to_instant(w);
			if (slot <= t) /* a time repeated when clocks go back */
				slot = wall_to_instant(cal_next_wall(&c->cal, w));
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
