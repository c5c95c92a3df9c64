/*
 * config.c: reads the INI configuration (main file + conf.d drop-ins) with
 * libinih and checks every section against its key table.
 *
 * libinih splits "key = value" lines, strips comments and handles a BOM.
 * It does not report line numbers to the handler, so it reads through our
 * own line reader (config_reader), which counts lines, records section
 * headers with their line numbers and refuses lines inih would split.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include <ini.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "config.h"
#include "deliver.h"
#include "log.h"
#include "sched.h"
#include "util.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif

static const struct config_key daemon_keys[] = {
	{ "state_dir", CONFIG_T_PATH, 0, NULL, 0, 0 },
	{ "timezone", CONFIG_T_TIMEZONE, 0, NULL, 0, 0 },
	{ "log_level", CONFIG_T_LOGLEVEL, 0, NULL, 0, 0 },
	{ "workers", CONFIG_T_UINT, 0, NULL, 1, 64 },
	{ "shutdown_timeout", CONFIG_T_DURATION, 0, NULL, 1, 3600 },
	{ "soa_file", CONFIG_T_PATH, 0, NULL, 0, 0 },
	{ "max_store_size", CONFIG_T_SIZE, 0, NULL, 1024 * 1024, 0 },
	{ "retention", CONFIG_T_DURATION, 0, NULL, 86400, 0 },
	{ NULL, 0, 0, NULL, 0, 0 },
};

/* Keys every [source] takes, whatever its type. */
static const struct config_key source_common_keys[] = {
	{ "type", CONFIG_T_NAME, CONFIG_REQUIRED, NULL, 0, 0 },
	{ "schedule", CONFIG_T_SCHEDULE, 0, NULL, 0, 0 },
	{ "enabled", CONFIG_T_BOOL, 0, NULL, 0, 0 },
	{ "grace", CONFIG_T_DURATION, 0, NULL, 0, 0 },
	{ "jitter", CONFIG_T_DURATION, 0, NULL, 0, 86400 },
	{ "max_facts", CONFIG_T_UINT, 0, NULL, 1, 1000000000 },
	{ "controls", CONFIG_T_LIST, 0, NULL, 0, 0 },
	{ "owner", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ NULL, 0, 0, NULL, 0, 0 },
};


static const struct config_key kpi_keys[] = {
	{ "threshold", CONFIG_T_NUMBER, 0, NULL, 0, 0 },
	{ "window", CONFIG_T_DURATION, 0, NULL, 3600, 400 * 86400 },
	{ "scope", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "severity", CONFIG_T_ENUM, 0, "minor|major", 0, 0 },
	{ "owner", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "controls", CONFIG_T_LIST, 0, NULL, 0, 0 },
	{ "enabled", CONFIG_T_BOOL, 0, NULL, 0, 0 },
	{ NULL, 0, 0, NULL, 0, 0 },
};

static const struct config_key activity_keys[] = {
	{ "schedule", CONFIG_T_SCHEDULE, CONFIG_REQUIRED, NULL, 0, 0 },
	{ "owner", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "controls", CONFIG_T_LIST, 0, NULL, 0, 0 },
	{ "sources", CONFIG_T_LIST, 0, NULL, 0, 0 },
	{ "kpis", CONFIG_T_LIST, 0, NULL, 0, 0 },
	{ "grace", CONFIG_T_DURATION, 0, NULL, 0, 0 },
	{ "description", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ NULL, 0, 0, NULL, 0, 0 },
};

static const struct config_key report_keys[] = {
	{ "organisation", CONFIG_T_STRING, 0, NULL, 0, 0 },
	{ "dir", CONFIG_T_PATH, 0, NULL, 0, 0 },
	{ "scheduled", CONFIG_T_BOOL, 0, NULL, 0, 0 },
	{ "formats", CONFIG_T_LIST, 0, NULL, 0, 0 },
	{ "tsa_url", CONFIG_T_URL, 0, NULL, 0, 0 },
	{ "tsa_ca_file", CONFIG_T_PATH, 0, NULL, 0, 0 },
	{ NULL, 0, 0, NULL, 0, 0 },
};

static const struct config_key metrics_keys[] = {
	{ "textfile_dir", CONFIG_T_PATH, CONFIG_REQUIRED, NULL, 0, 0 },
	{ NULL, 0, 0, NULL, 0, 0 },
};

/* Key names that look like inline secrets; the message says what to do. */
static const char *const inline_secret_keys[] = {
	"token", "secret", "password", "api_key", "apikey", "client_secret", "access_key",
	"secret_access_key", "private_key", NULL,
};

struct section_kind {
	const char *kind;
	int named;
	const struct config_key *keys;
};

static const struct section_kind section_kinds[] = {
	{ "daemon", 0, daemon_keys },	  { "source", 1, source_common_keys },
	{ "webhook", 1, deliver_webhook_keys },	  { "kpi", 1, kpi_keys },
	{ "activity", 1, activity_keys }, { "report", 0, report_keys },
	{ "metrics", 0, metrics_keys },	  { NULL, 0, NULL },
};

void config_errors_add(struct config_errors *e, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char *full = NULL;
	int r = line > 0 ? asprintf(&full, "%s:%u: %s", file, line, msg) : asprintf(&full, "%s: %s", file, msg);
	if (r < 0)
		return;
	char **p = realloc(e->msgs, (e->n + 1) * sizeof(*p));
	if (p == NULL) {
		free(full);
		return;
	}
	e->msgs = p;
	e->msgs[e->n++] = full;
}

void config_errors_free(struct config_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msgs[i]);
	free(e->msgs);
	e->msgs = NULL;
	e->n = 0;
}

static int valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return 0;
	return 1;
}

static const struct section_kind *find_kind(const char *kind)
{
	for (const struct section_kind *k = section_kinds; k->kind != NULL; k++)
		if (strcmp(k->kind, kind) == 0)
			return k;
	return NULL;
}

/* ---- parsing -------------------------------------------------------------- */

struct parse_state {
	struct config *cfg;
	struct config_errors *errs;
	const char *file;
	FILE *fp;
	unsigned line;
	unsigned last_error_line;
	char *buf;
	size_t bufcap;
	long cur; /* the current section; -1 before the first header, -2 after a rejected one */
	EVP_MD_CTX *md; /* hashes every byte read, for the configuration digest */
};

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static void parse_error(struct parse_state *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void parse_error(struct parse_state *ps, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	config_errors_add(ps->errs, ps->file, ps->line, "%s", msg);
	ps->last_error_line = ps->line;
}

static struct config_section *add_section(struct config *cfg)
{
	struct config_section *p = realloc(cfg->sections, (cfg->n_sections + 1) * sizeof(*p));
	if (p == NULL)
		return NULL;
	cfg->sections = p;
	struct config_section *s = &cfg->sections[cfg->n_sections++];
	memset(s, 0, sizeof(*s));
	return s;
}

static void parse_header(struct parse_state *ps, char *text)
{
	char *close = strchr(text, ']');
	ps->cur = -2;
	if (close == NULL) {
		parse_error(ps, "section header is missing ']'");
		return;
	}
	char *rest = trim(close + 1);
	if (*rest != '\0' && *rest != '#' && *rest != ';') {
		parse_error(ps, "unexpected text after section header");
		return;
	}
	*close = '\0';
	char *inner = trim(text + 1);
	char *sp = inner;
	while (*sp && !isspace((unsigned char)*sp))
		sp++;
	char *name = NULL;
	if (*sp) {
		*sp = '\0';
		name = trim(sp + 1);
	}
	const struct section_kind *k = find_kind(inner);
	if (k == NULL) {
		parse_error(ps, "unknown section [%s] (expected daemon, source, webhook, kpi or activity)", inner);
		return;
	}
	if (k->named && (name == NULL || *name == '\0')) {
		parse_error(ps, "section [%s] needs a name, as in [%s NAME]", inner, inner);
		return;
	}
	if (!k->named && name != NULL) {
		parse_error(ps, "section [%s] takes no name", inner);
		return;
	}
	if (name != NULL && !valid_name(name)) {
		parse_error(ps, "section name '%s' may only contain letters, digits, '_', '-' and '.'", name);
		return;
	}
	const struct config_section *dup = config_find(ps->cfg, inner, name);
	if (dup != NULL) {
		if (name != NULL)
			parse_error(ps, "duplicate section [%s %s] (first defined at %s:%u)", inner, name, dup->file,
				    dup->line);
		else
			parse_error(ps, "duplicate section [%s] (first defined at %s:%u)", inner, dup->file, dup->line);
		return;
	}
	struct config_section *s = add_section(ps->cfg);
	if (s == NULL) {
		parse_error(ps, "out of memory");
		return;
	}
	s->kind = strdup(inner);
	s->name = name ? strdup(name) : NULL;
	s->file = ps->file;
	s->line = ps->line;
	ps->cur = (long)(ps->cfg->n_sections - 1);
}

/*
 * The line reader handed to inih.  Section headers are consumed here (inih
 * gets a blank line), key lines are passed on with leading blanks removed so
 * that inih never treats an indented line as a continuation.
 */
static char *config_reader(char *str, int num, void *stream)
{
	struct parse_state *ps = stream;
	for (;;) {
		ssize_t n = getline(&ps->buf, &ps->bufcap, ps->fp);
		if (n < 0)
			return NULL;
		ps->line++;
		if (ps->md != NULL)
			EVP_DigestUpdate(ps->md, ps->buf, (size_t)n);
		if (memchr(ps->buf, '\0', (size_t)n) != NULL) {
			parse_error(ps, "NUL byte in configuration line");
			snprintf(str, (size_t)num, "\n");
			return str;
		}
		char *t = ps->buf;
		/* A UTF-8 BOM on the first line. */
		if (ps->line == 1 && (unsigned char)t[0] == 0xef && (unsigned char)t[1] == 0xbb &&
		    (unsigned char)t[2] == 0xbf)
			t += 3;
		t = trim(t);
		if (*t == '[') {
			parse_header(ps, t);
			snprintf(str, (size_t)num, "\n");
			return str;
		}
		if (*t == '\0' || *t == '#' || *t == ';') {
			snprintf(str, (size_t)num, "\n");
			return str;
		}
		if (strlen(t) + 2 > (size_t)num) {
			parse_error(ps, "line too long (at most %d characters)", num - 2);
			snprintf(str, (size_t)num, "\n");
			return str;
		}
		size_t key_end = strcspn(t, "=:");
		if (t[key_end] != '=') {
			/* inih would also split at ':'; we do not */
			parse_error(ps, "expected 'key = value'");
			snprintf(str, (size_t)num, "\n");
			return str;
		}
		snprintf(str, (size_t)num, "%s\n", t);
		return str;
	}
}

static int is_inline_secret_key(const char *key)
{
	for (size_t i = 0; inline_secret_keys[i] != NULL; i++)
		if (strcmp(key, inline_secret_keys[i]) == 0)
			return 1;
	return 0;
}

static const char *section_label(const struct config_section *s, char *buf, size_t len);

static int config_handler(void *user, const char *section, const char *name, const char *value)
{
	char label[160];
	(void)section;
	struct parse_state *ps = user;
	if (ps->last_error_line == ps->line)
		return 1;
	if (ps->cur == -1) {
		parse_error(ps, "key '%s' is outside of any section", name);
		return 1;
	}
	if (ps->cur < 0)
		return 1; /* inside a section whose header was rejected and reported */
	struct config_section *s = &ps->cfg->sections[ps->cur];
	if (*name == '\0') {
		parse_error(ps, "empty key name");
		return 1;
	}
	if (is_inline_secret_key(name)) {
		parse_error(ps, "%s key '%s': secrets are never put inline; use %s_file = PATH or a credential name",
			    section_label(s, label, sizeof(label)), name, name);
		return 1;
	}
	for (size_t i = 0; i < s->n_entries; i++) {
		if (strcmp(s->entries[i].key, name) == 0) {
			parse_error(ps, "%s key '%s': duplicate key (first given at %s:%u)",
				    section_label(s, label, sizeof(label)), name, s->entries[i].file,
				    s->entries[i].line);
			return 1;
		}
	}
	struct config_entry *p = realloc(s->entries, (s->n_entries + 1) * sizeof(*p));
	if (p == NULL) {
		parse_error(ps, "out of memory");
		return 0;
	}
	s->entries = p;
	struct config_entry *e = &s->entries[s->n_entries++];
	e->key = strdup(name);
	e->value = strdup(value);
	e->file = ps->file;
	e->line = ps->line;
	return 1;
}

static int add_file_name(struct config *cfg, const char *path, const char **stored)
{
	char **p = realloc(cfg->files, (cfg->n_files + 1) * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	cfg->files = p;
	cfg->files[cfg->n_files] = strdup(path);
	if (cfg->files[cfg->n_files] == NULL)
		return -ENOMEM;
	*stored = cfg->files[cfg->n_files++];
	return 0;
}

/* Returns 0 when the file could be read (whatever errors it has). */
static int parse_file(struct config *cfg, const char *path, EVP_MD_CTX *md, struct config_errors *errs)
{
	struct parse_state ps = { .cfg = cfg, .errs = errs, .cur = -1, .md = md };
	if (add_file_name(cfg, path, &ps.file) < 0) {
		config_errors_add(errs, path, 0, "out of memory");
		return -1;
	}
	ps.fp = fopen(path, "re");
	if (ps.fp == NULL) {
		config_errors_add(errs, path, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	int r = ini_parse_stream(config_reader, &ps, config_handler, &ps);
	if (r > 0 && (unsigned)r != ps.last_error_line) {
		/* inih found something our reader let through. */
		config_errors_add(errs, ps.file, (unsigned)r, "syntax error");
	} else if (r < 0) {
		config_errors_add(errs, ps.file, 0, "cannot parse (error %d)", r);
	}
	free(ps.buf);
	fclose(ps.fp);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void parse_dropins(struct config *cfg, const char *dir, EVP_MD_CTX *md, struct config_errors *errs)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		if (errno != ENOENT)
			config_errors_add(errs, dir, 0, "cannot open drop-in directory: %s", strerror(errno));
		return;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	for (;;) {
		de = readdir(d);
		if (de == NULL)
			break;
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		char **p = realloc(names, (n + 1) * sizeof(*p));
		if (p == NULL)
			break;
		names = p;
		names[n] = strdup(de->d_name);
		if (names[n] != NULL)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *path = NULL;
		if (asprintf(&path, "%s/%s", dir, names[i]) >= 0) {
			parse_file(cfg, path, md, errs);
			free(path);
		}
		free(names[i]);
	}
	free(names);
}

/* ---- checking ------------------------------------------------------------- */

static int check_url(const char *v, char *err, size_t errlen)
{
	if (strncmp(v, "https://", 8) != 0) {
		snprintf(err, errlen, "must be an https:// URL");
		return -1;
	}
	const char *host = v + 8;
	size_t hl = strcspn(host, "/?#");
	if (hl == 0 || memchr(host, '@', hl) != NULL) {
		snprintf(err, errlen, "must be https://HOST[:PORT]/PATH, without user information");
		return -1;
	}
	for (const char *p = v; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "URL contains a space or control character");
			return -1;
		}
	}
	return 0;
}

static int check_timezone(const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "UTC") == 0)
		return 0;
	if (v[0] == '/' || strstr(v, "..") != NULL) {
		snprintf(err, errlen, "'%s' is not a time zone name", v);
		return -1;
	}
	char path[512];
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", v);
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "unknown time zone '%s'", v);
		return -1;
	}
	return 0;
}

static int check_enum(const char *choices, const char *v)
{
	size_t vl = strlen(v);
	for (const char *p = choices; *p;) {
		size_t l = strcspn(p, "|");
		if (l == vl && strncmp(p, v, l) == 0)
			return 0;
		p += l;
		if (*p == '|')
			p++;
	}
	return -1;
}

static int check_list(const char *v, char *err, size_t errlen)
{
	char *copy = strdup(v);
	if (copy == NULL)
		return -1;
	int r = 0;
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *t = trim(tok);
		if (!valid_name(t)) {
			snprintf(err, errlen, "list item '%s' may only contain letters, digits, '_', '-' and '.'", t);
			r = -1;
			break;
		}
	}
	free(copy);
	return r;
}

int config_check_value(const struct config_key *k, const char *v, char *err, size_t errlen)
{
	uint64_t n = 0;
	int b;
	if (*v == '\0' && k->type != CONFIG_T_STRING) {
		snprintf(err, errlen, "empty value");
		return -1;
	}
	switch (k->type) {
	case CONFIG_T_STRING:
		if (*v == '\0') {
			snprintf(err, errlen, "empty value");
			return -1;
		}
		return 0;
	case CONFIG_T_NAME:
		if (!valid_name(v)) {
			snprintf(err, errlen, "'%s' may only contain letters, digits, '_', '-' and '.'", v);
			return -1;
		}
		return 0;
	case CONFIG_T_BOOL:
		if (util_parse_bool(v, &b) < 0) {
			snprintf(err, errlen, "'%s' is not a boolean (yes or no)", v);
			return -1;
		}
		return 0;
	case CONFIG_T_UINT:
	case CONFIG_T_DURATION:
	case CONFIG_T_SIZE: {
		int r;
		const char *what;
		if (k->type == CONFIG_T_UINT) {
			char *end = NULL;
			errno = 0;
			unsigned long long u = strtoull(v, &end, 10);
			r = (!isdigit((unsigned char)*v) || errno || *end) ? -1 : 0;
			n = u;
			what = "a whole number";
		} else if (k->type == CONFIG_T_DURATION) {
			r = util_parse_duration(v, &n);
			what = "a duration (such as 90s, 15m, 6h, 30d, 3y)";
		} else {
			r = util_parse_size(v, &n);
			what = "a size (such as 512K, 64M, 1G)";
		}
		if (r < 0) {
			snprintf(err, errlen, "'%s' is not %s", v, what);
			return -1;
		}
		if (n < k->min || (k->max != 0 && n > k->max)) {
			snprintf(err, errlen, "'%s' is out of range", v);
			return -1;
		}
		return 0;
	}
	case CONFIG_T_URL:
		return check_url(v, err, errlen);
	case CONFIG_T_PATH:
		if (v[0] != '/') {
			snprintf(err, errlen, "'%s' is not an absolute path", v);
			return -1;
		}
		return 0;
	case CONFIG_T_SECRET:
		if (v[0] != '/' && !valid_name(v)) {
			snprintf(err, errlen, "must be an absolute path or a systemd credential name");
			return -1;
		}
		return 0;
	case CONFIG_T_ENUM:
		if (check_enum(k->choices, v) < 0) {
			snprintf(err, errlen, "'%s' is not one of %s", v, k->choices);
			return -1;
		}
		return 0;
	case CONFIG_T_LIST:
		return check_list(v, err, errlen);
	case CONFIG_T_SCHEDULE: {
		struct sched_cadence c;
		return sched_cadence_parse(v, &c, err, errlen);
	}
	case CONFIG_T_TIMEZONE:
		return check_timezone(v, err, errlen);
	case CONFIG_T_NUMBER: {
		char *end = NULL;
		errno = 0;
		double d = strtod(v, &end);
		if (errno || end == v || *end != '\0' || !isfinite(d)) {
			snprintf(err, errlen, "'%s' is not a number", v);
			return -1;
		}
		return 0;
	}
	case CONFIG_T_LOGLEVEL:
		if (log_level_from_name(v) < 0) {
			snprintf(err, errlen, "'%s' is not one of debug|info|notice|warning|err", v);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown key type");
	return -1;
}

static const struct config_key *find_key(const struct config_key *const *tables, size_t n_tables,
					 const char *key)
{
	for (size_t t = 0; t < n_tables; t++) {
		if (tables[t] == NULL)
			continue;
		for (const struct config_key *k = tables[t]; k->name != NULL; k++)
			if (strcmp(k->name, key) == 0)
				return k;
	}
	return NULL;
}

static const char *section_label(const struct config_section *s, char *buf, size_t len)
{
	if (s->name != NULL)
		snprintf(buf, len, "[%s %s]", s->kind, s->name);
	else
		snprintf(buf, len, "[%s]", s->kind);
	return buf;
}

/* Every item of a controls list must be an Annex A control. */
static void check_controls(const struct config_entry *e, const char *label, const struct config_hooks *hooks,
			   struct config_errors *errs)
{
	char *copy = strdup(e->value);
	char *save = NULL;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		t = trim(t);
		char err[256];
		if (*t && hooks->check_control(t, err, sizeof(err)) < 0)
			config_errors_add(errs, e->file, e->line, "%s key '%s': %s", label, e->key, err);
	}
	free(copy);
}

/* Every item of a list of durations (retry_schedule) must be one, and there
 * must be at least one. */
static void check_durations(const struct config_entry *e, const char *label, struct config_errors *errs)
{
	char *copy = strdup(e->value);
	char *save = NULL;
	unsigned n = 0;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		t = trim(t);
		uint64_t secs;
		if (*t == '\0')
			continue;
		n++;
		if (util_parse_duration(t, &secs) < 0 || secs == 0 || secs > 7 * 86400)
			config_errors_add(errs, e->file, e->line,
					  "%s key '%s': '%s' is not a duration from 1s to 7d (such as 30s, 5m or 2h)", label,
					  e->key, t);
	}
	if (n == 0)
		config_errors_add(errs, e->file, e->line, "%s key '%s': needs at least one duration", label, e->key);
	free(copy);
}

static void check_section(const struct config_section *s, const struct config_key *const *tables,
			  size_t n_tables, const struct config_hooks *hooks, struct config_errors *errs)
{
	char label[160];
	section_label(s, label, sizeof(label));
	for (size_t i = 0; i < s->n_entries; i++) {
		const struct config_entry *e = &s->entries[i];
		const struct config_key *k = find_key(tables, n_tables, e->key);
		if (k == NULL) {
			config_errors_add(errs, e->file, e->line, "%s key '%s': unknown key", label, e->key);
			continue;
		}
		char err[512];
		if (config_check_value(k, e->value, err, sizeof(err)) < 0)
			config_errors_add(errs, e->file, e->line, "%s key '%s': %s", label, e->key, err);
		else if (k->type == CONFIG_T_SECRET && hooks != NULL && hooks->check_secret != NULL &&
			 hooks->check_secret(e->value, err, sizeof(err)) < 0)
			config_errors_add(errs, e->file, e->line, "%s key '%s': %s", label, e->key, err);
		else if (strcmp(e->key, "controls") == 0 && hooks != NULL && hooks->check_control != NULL)
			check_controls(e, label, hooks, errs);
		else if (strcmp(e->key, "retry_schedule") == 0)
			check_durations(e, label, errs);
	}
	for (size_t t = 0; t < n_tables; t++) {
		if (tables[t] == NULL)
			continue;
		for (const struct config_key *k = tables[t]; k->name != NULL; k++)
			if ((k->flags & CONFIG_REQUIRED) && config_entry(s, k->name) == NULL)
				config_errors_add(errs, s->file, s->line, "%s key '%s': missing required key", label,
						  k->name);
	}
}

void config_check_section(const struct config_section *s, const struct config_key *const *tables,
			  size_t n_tables, struct config_errors *errs)
{
	check_section(s, tables, n_tables, NULL, errs);
}

static void check_all(struct config *cfg, const struct config_hooks *hooks, struct config_errors *errs)
{
	for (size_t i = 0; i < cfg->n_sections; i++) {
		const struct config_section *s = &cfg->sections[i];
		const struct section_kind *k = find_kind(s->kind);
		if (strcmp(s->kind, "kpi") == 0 && hooks != NULL && hooks->kpi_known != NULL && !hooks->kpi_known(s->name))
			config_errors_add(errs, s->file, s->line, "[kpi %s]: unknown KPI '%s' (see ismsd.conf(5) for the list)",
					  s->name, s->name);
		if (strcmp(s->kind, "source") != 0) {
			const struct config_key *tables[] = { k->keys };
			check_section(s, tables, 1, hooks, errs);
			continue;
		}
		const struct config_key *extra = NULL;
		const struct config_entry *type = config_entry(s, "type");
		if (type != NULL && hooks != NULL && hooks->source_keys != NULL) {
			extra = hooks->source_keys(type->value);
			if (extra == NULL) {
				config_errors_add(errs, type->file, type->line,
						  "[source %s] key 'type': unknown source type '%s'", s->name, type->value);
				continue;
			}
		}
		const struct config_key *tables[] = { source_common_keys, extra };
		check_section(s, tables, 2, hooks, errs);
	}
}

static int set_daemon(struct config *cfg)
{
	const struct config_section *d = config_find(cfg, "daemon", NULL);
	const char *env_state = getenv("STATE_DIRECTORY");
	/* $STATE_DIRECTORY may list several directories separated by ':'. */
	char *state = NULL;
	if (env_state != NULL && env_state[0] == '/')
		state = strndup(env_state, strcspn(env_state, ":"));
	const char *sd = d ? config_get(d, "state_dir") : NULL;
	cfg->daemon.state_dir = sd ? strdup(sd) : state ? strdup(state) : strdup(LOCALSTATEDIR "/lib/ismsd");
	free(state);
	cfg->daemon.timezone = strdup(d ? config_get_default(d, "timezone", "UTC") : "UTC");
	cfg->daemon.log_level = log_level_from_name(d ? config_get_default(d, "log_level", "info") : "info");
	cfg->daemon.workers = (unsigned)(d ? config_get_uint(d, "workers", 4) : 4);
	cfg->daemon.shutdown_timeout_s = d ? config_get_duration(d, "shutdown_timeout", 30) : 30;
	cfg->daemon.max_store_bytes = d ? config_get_size(d, "max_store_size", 0) : 0;
	/* auditors expect three years of evidence */
	cfg->daemon.retention_s = d ? config_get_duration(d, "retention", 3 * 365 * 86400ULL) : 3 * 365 * 86400ULL;
	if (cfg->daemon.state_dir == NULL || cfg->daemon.timezone == NULL)
		return -ENOMEM;
	return 0;
}

struct config *config_load(const char *path, const char *conf_d, const struct config_hooks *hooks,
			   struct config_errors *errs)
{
	size_t errs_before = errs->n;
	struct config *cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		config_errors_add(errs, path, 0, "out of memory");
		return NULL;
	}
	cfg->path = strdup(path);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		md = NULL;
		config_errors_add(errs, path, 0, "cannot hash the configuration");
	}
	if (parse_file(cfg, path, md, errs) == 0) {
		char *dir = NULL;
		if (conf_d != NULL) {
			dir = strdup(conf_d);
		} else {
			const char *slash = strrchr(path, '/');
			if (slash == NULL)
				dir = strdup("conf.d");
			else if (asprintf(&dir, "%.*s/conf.d", (int)(slash - path), path) < 0)
				dir = NULL;
		}
		if (dir != NULL)
			parse_dropins(cfg, dir, md, errs);
		free(dir);
	}
	unsigned char h[32];
	unsigned int hl = 0;
	if (md != NULL && EVP_DigestFinal_ex(md, h, &hl) == 1 && hl == 32)
		util_hex(h, 32, cfg->digest);
	EVP_MD_CTX_free(md);
	check_all(cfg, hooks, errs);
	if (errs->n == errs_before && set_daemon(cfg) < 0)
		config_errors_add(errs, path, 0, "out of memory");
	if (errs->n != errs_before) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->n_sections; i++) {
		struct config_section *s = &cfg->sections[i];
		for (size_t j = 0; j < s->n_entries; j++) {
			free(s->entries[j].key);
			free(s->entries[j].value);
		}
		free(s->entries);
		free(s->kind);
		free(s->name);
	}
	free(cfg->sections);
	for (size_t i = 0; i < cfg->n_files; i++)
		free(cfg->files[i]);
	free(cfg->files);
	free(cfg->daemon.state_dir);
	free(cfg->daemon.timezone);
	free(cfg->path);
	free(cfg);
}

/* ---- lookups -------------------------------------------------------------- */

const struct config_entry *config_entry(const struct config_section *s, const char *key)
{
	for (size_t i = 0; i < s->n_entries; i++)
		if (strcmp(s->entries[i].key, key) == 0)
			return &s->entries[i];
	return NULL;
}

const char *config_get(const struct config_section *s, const char *key)
{
	const struct config_entry *e = config_entry(s, key);
	return e ? e->value : NULL;
}

const char *config_get_default(const struct config_section *s, const char *key, const char *def)
{
	const char *v = config_get(s, key);
	return v ? v : def;
}

uint64_t config_get_uint(const struct config_section *s, const char *key, uint64_t def)
{
	const char *v = config_get(s, key);
	return v ? strtoull(v, NULL, 10) : def;
}

uint64_t config_get_duration(const struct config_section *s, const char *key, uint64_t def)
{
	const char *v = config_get(s, key);
	uint64_t n;
	return v && util_parse_duration(v, &n) == 0 ? n : def;
}

uint64_t config_get_size(const struct config_section *s, const char *key, uint64_t def)
{
	const char *v = config_get(s, key);
	uint64_t n;
	return v && util_parse_size(v, &n) == 0 ? n : def;
}

int config_get_bool(const struct config_section *s, const char *key, int def)
{
	const char *v = config_get(s, key);
	int b;
	return v && util_parse_bool(v, &b) == 0 ? b : def;
}

const struct config_section *config_find(const struct config *cfg, const char *kind, const char *name)
{
	for (size_t i = 0; i < cfg->n_sections; i++) {
		const struct config_section *s = &cfg->sections[i];
		if (strcmp(s->kind, kind) != 0)
			continue;
		if ((name == NULL && s->name == NULL) || (name && s->name && strcmp(name, s->name) == 0))
			return s;
	}
	return NULL;
}

const struct config_section *config_next(const struct config *cfg, const char *kind,
					 const struct config_section *prev)
{
	size_t i = prev ? (size_t)(prev - cfg->sections) + 1 : 0;
	for (; i < cfg->n_sections; i++)
		if (strcmp(cfg->sections[i].kind, kind) == 0)
			return &cfg->sections[i];
	return NULL;
}

const char *config_digest(const struct config *cfg)
{
	return cfg->digest;
}

json_t *config_split_list(const char *value)
{
	json_t *arr = json_array();
	char *copy = value ? strdup(value) : NULL;
	char *save = NULL;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		size_t l = strlen(t);
		while (l > 0 && t[l - 1] == ' ')
			t[--l] = '\0';
		if (*t)
			json_array_append_new(arr, json_string(t));
	}
	free(copy);
	return arr;
}
