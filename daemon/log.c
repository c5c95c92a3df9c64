/*
 * log.c: journald or stderr logging with fixed MESSAGE_IDs per event kind.
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"

/* Set once by log_init() before threads start; read-only afterwards except
 * for the level, which the main thread changes on reload. */
static struct {
	const char *ident;
	int journal;
	volatile int max_priority;
} log_state = { "ismsd", 0, LOG_INFO };

static const char *const event_ids[LOG_EV__MAX] = {
	[LOG_EV_STARTED] = "9fc410404bdf44929b00e65d226b1400",
	[LOG_EV_STOPPING] = "1834f4b373164524a8fe028f1f4ffa9e",
	[LOG_EV_RELOADED] = "d5e08b8532c5437594a0ceafc4ecb57b",
	[LOG_EV_RELOAD_FAILED] = "8d02ca067e4a479a81ff1ede7b87cda2",
	[LOG_EV_CONFIG_ERROR] = "940eeff8fd9f46de8bd18ba9521ecae5",
	[LOG_EV_RUN_OK] = "79da5ab2a161417e87455a52936a4337",
	[LOG_EV_RUN_FAILED] = "8a463596cdb346578010fb631b581734",
	[LOG_EV_STORE_ERROR] = "25e41a72ec1d4ba7acb9f30eafeffec3",
	[LOG_EV_RUN_INTERRUPTED] = "ba601eac10d44b329a524d503acb1bb8",
	[LOG_EV_WEBHOOK_DEAD] = "8c51bbc64c604c2898c6addff0904e1c",
};

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "err",     [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	if (js == NULL)
		return 0;
	uintmax_t dev = 0, ino = 0;
	if (sscanf(js, "%ju:%ju", &dev, &ino) != 2)
		return 0;
	struct stat st;
	if (fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void log_init(const char *ident, enum log_target target, int max_priority)
{
	log_state.ident = ident;
	log_state.max_priority = max_priority;
	if (target == LOG_TO_AUTO)
		log_state.journal = stderr_is_journal();
	else
		log_state.journal = target == LOG_TO_JOURNAL;
}

void log_set_level(int max_priority)
{
	log_state.max_priority = max_priority;
}

int log_level_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (level_names[i] != NULL && strcmp(level_names[i], name) == 0)
			return (int)i;
	if (strcmp(name, "error") == 0)
		return LOG_ERR;
	return -1;
}

const char *log_event_id(enum log_event ev)
{
	if (ev <= LOG_EV_NONE || ev >= LOG_EV__MAX)
		return NULL;
	return event_ids[ev];
}

static void vlog(enum log_event ev, int priority, const char *source, const char *suffix,
		 const char *fmt, va_list ap)
{
	if (priority > log_state.max_priority)
		return;

	char msg[2048];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (suffix != NULL && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", suffix);

	const char *id = log_event_id(ev);
	if (log_state.journal) {
		if (id != NULL && source != NULL)
			sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", priority, "MESSAGE_ID=%s", id,
					"ISMSD_SOURCE=%s", source, "SYSLOG_IDENTIFIER=%s", log_state.ident,
					NULL);
		else if (id != NULL)
			sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", priority, "MESSAGE_ID=%s", id,
					"SYSLOG_IDENTIFIER=%s", log_state.ident, NULL);
		else
			sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", priority, "SYSLOG_IDENTIFIER=%s",
					log_state.ident, NULL);
		return;
	}
	const char *lvl = priority >= 0 && priority <= LOG_DEBUG ? level_names[priority] : "?";
	/* One write per line keeps lines from threads whole. */
	char line[2304];
	int m = snprintf(line, sizeof(line), "%s[%ld]: %s: %s\n", log_state.ident, (long)getpid(), lvl,
			 msg);
	if (m > 0) {
		size_t len = (size_t)m < sizeof(line) ? (size_t)m : sizeof(line) - 1;
		ssize_t w = write(STDERR_FILENO, line, len);
		(void)w;
	}
}

#define LOG_FN(fname, prio)                                   \
	void fname(const char *fmt, ...)                      \
	{                                                     \
		va_list ap;                                   \
		va_start(ap, fmt);                            \
		vlog(LOG_EV_NONE, prio, NULL, NULL, fmt, ap); \
		va_end(ap);                                   \
	}

LOG_FN(log_warnx, LOG_WARNING)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_notice, LOG_NOTICE)
LOG_FN(log_debug, LOG_DEBUG)

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_EV_NONE, LOG_WARNING, NULL, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void log_event(enum log_event ev, int priority, const char *source, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(ev, priority, source, NULL, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_EV_NONE, LOG_CRIT, NULL, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_EV_NONE, LOG_CRIT, NULL, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
