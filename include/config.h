/*
 * config.h: the ismsd configuration: one INI file plus drop-ins (conf.d, *.conf),
 * parsed with libinih into named sections, then checked against key tables.
 *
 * Every error names the file, the line and the key.  config_load() collects
 * all errors it finds instead of stopping at the first, so that
 * `ismsd --check-config` shows them all at once.
 */
#ifndef ISMSD_CONFIG_H
#define ISMSD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

enum config_type {
	CONFIG_T_STRING,   /* any non-empty text */
	CONFIG_T_NAME,     /* [A-Za-z0-9_.-]+ */
	CONFIG_T_BOOL,     /* yes/no/true/false/on/off/1/0 */
	CONFIG_T_UINT,     /* decimal, within [min, max] */
	CONFIG_T_DURATION, /* 90s, 15m, 6h, 30d, 1w, 3y */
	CONFIG_T_SIZE,     /* 512K, 64M, 1G, bytes */
	CONFIG_T_URL,      /* https://host[:port]/path */
	CONFIG_T_PATH,     /* an absolute path */
	CONFIG_T_SECRET,   /* an absolute path, or a bare credential name */
	CONFIG_T_ENUM,     /* one of choices, "a|b|c" */
	CONFIG_T_LIST,     /* comma-separated names */
	CONFIG_T_SCHEDULE, /* a cadence, see sched.h */
	CONFIG_T_TIMEZONE, /* an IANA zone name such as Europe/Berlin, or UTC */
	CONFIG_T_LOGLEVEL, /* debug|info|notice|warning|err */
	CONFIG_T_NUMBER,   /* a decimal number such as 95 or 99.5 */
};

#define CONFIG_REQUIRED 0x1u

struct config_key {
	const char *name;
	enum config_type type;
	unsigned flags;
	const char *choices; /* CONFIG_T_ENUM: "a|b|c" */
	uint64_t min, max;   /* CONFIG_T_UINT, CONFIG_T_DURATION, CONFIG_T_SIZE; max 0 = none */
};

struct config_entry {
	char *key;
	char *value;
	const char *file; /* points into struct config.files */
	unsigned line;
};

struct config_section {
	char *kind; /* "daemon", "source", "webhook", "kpi", "activity" */
	char *name; /* NULL for [daemon] */
	const char *file;
	unsigned line;
	struct config_entry *entries;
	size_t n_entries;
};

/* The settings of [daemon], typed, with defaults applied. */
struct config_daemon {
	char *state_dir;
	char *timezone;
	int log_level;
	unsigned workers;
	uint64_t shutdown_timeout_s;
	uint64_t max_store_bytes; /* 0: no cap */
	uint64_t retention_s;	  /* raw pages older than this are pruned */
};

struct config {
	char *path;
	char **files; /* every file read, in order */
	size_t n_files;
	struct config_section *sections;
	size_t n_sections;
	struct config_daemon daemon;
	char digest[65]; /* SHA-256 of every byte read, all files in order */
};

/* An error list.  Messages have the form "FILE:LINE: message". */
struct config_errors {
	char **msgs;
	size_t n;
};

void config_errors_add(struct config_errors *e, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void config_errors_free(struct config_errors *e);

/* Hooks that let modules outside config.c validate the [source] sections. */
struct config_hooks {
	/* Returns the key table (terminated by a NULL name) of a source type, or
	 * NULL when no collector has that type. */
	const struct config_key *(*source_keys)(const char *type);
	/* When set, every CONFIG_T_SECRET value is checked with it (the file
	 * exists and others cannot read it).  Returns 0, or -1 with err set. */
	int (*check_secret)(const char *ref, char *err, size_t errlen);
	/* When set, [kpi NAME] must name a KPI this returns non-zero for. */
	int (*kpi_known)(const char *name);
	/* When set, every item of a controls key is checked with it.
	 * Returns 0, or -1 with err set. */
	int (*check_control)(const char *ref, char *err, size_t errlen);
};

/*
 * Reads path and every "*.conf" in the conf.d directory beside it (or
 * conf_d when not NULL), in name order.  Returns a config the caller frees
 * with config_free(), or NULL with at least one message in errs.
 * state_dir defaults to $STATE_DIRECTORY, then LOCALSTATEDIR/lib/ismsd.
 * Drop-ins are read only when the main file could be read.
 */
struct config *config_load(const char *path, const char *conf_d, const struct config_hooks *hooks,
			   struct config_errors *errs);

void config_free(struct config *cfg);

/* Checks one section against key tables (each terminated by a NULL name):
 * unknown keys, bad values, missing required keys. */
void config_check_section(const struct config_section *s, const struct config_key *const *tables,
			  size_t n_tables, struct config_errors *errs);

/* Checks one value against its key description.  Returns 0, or -1 with a
 * message (without file or line) in err. */
int config_check_value(const struct config_key *k, const char *value, char *err, size_t errlen);

/* Lookups.  The value is the last one given for the key, or NULL. */
const struct config_entry *config_entry(const struct config_section *s, const char *key);
const char *config_get(const struct config_section *s, const char *key);
const char *config_get_default(const struct config_section *s, const char *key, const char *def);
uint64_t config_get_uint(const struct config_section *s, const char *key, uint64_t def);
uint64_t config_get_duration(const struct config_section *s, const char *key, uint64_t def);
uint64_t config_get_size(const struct config_section *s, const char *key, uint64_t def);
int config_get_bool(const struct config_section *s, const char *key, int def);

/* The items of a list value ("a, b, c"), trimmed, empty ones dropped, as a
 * JSON array of strings (empty for NULL).  The caller owns it. */
json_t *config_split_list(const char *value);

/* Finds a section by kind and name (name NULL for [daemon]). */
const struct config_section *config_find(const struct config *cfg, const char *kind, const char *name);

/* Iterates the sections of one kind: pass NULL first, then the previous one. */
const struct config_section *config_next(const struct config *cfg, const char *kind,
					 const struct config_section *prev);

/* The SHA-256 (hex) over the bytes of every file read, in order, as they
 * were when the configuration was loaded (for evidence). */
const char *config_digest(const struct config *cfg);

#endif
