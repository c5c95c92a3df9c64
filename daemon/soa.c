/*
 * soa.c: reads the Statement of Applicability, a TAB-separated file with one
 * line per Annex A control (format in soa.h and docs/soa.md), into one entry
 * per catalog control.  Like config.c, it reports every error it finds with
 * its file and line, not only the first.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "catalog.h"
#include "config.h"
#include "soa.h"

#define SOA_COLUMNS 5

struct soa {
	char *path;
	struct soa_entry *entries; /* catalog_count() of them, in catalog order */
	size_t n;
};

static const char *const status_names[] = {
	[SOA_STATUS_NONE] = "",
	[SOA_STATUS_IMPLEMENTED] = "implemented",
	[SOA_STATUS_PARTIAL] = "partial",
	[SOA_STATUS_PLANNED] = "planned",
	[SOA_STATUS_NOT_IMPLEMENTED] = "not-implemented",
	[SOA_STATUS_EXCLUDED] = "excluded",
};

#define N_STATUS (sizeof(status_names) / sizeof(status_names[0]))

const char *soa_status_name(enum soa_status status)
{
	if ((size_t)status >= N_STATUS)
		return "";
	return status_names[status];
}

/* Returns the status for a word of the file, or SOA_STATUS_NONE. */
static enum soa_status parse_status(const char *word)
{
	for (size_t i = SOA_STATUS_NONE + 1; i < N_STATUS; i++)
		if (strcmp(status_names[i], word) == 0)
			return (enum soa_status)i;
	return SOA_STATUS_NONE;
}

/* Checks that s[0..n) is well-formed UTF-8 (no overlong forms, surrogates or
 * code points above U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t extra;
		unsigned cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			extra = 1;
			cp = c & 0x1fu;
		} else if (c >= 0xe0 && c <= 0xef) {
			extra = 2;
			cp = c & 0x0fu;
		} else if (c >= 0xf0 && c <= 0xf4) {
			extra = 3;
			cp = c & 0x07u;
		} else {
			return 0;
		}
		if (n - i <= extra)
			return 0;
		for (size_t k = 1; k <= extra; k++) {
			if ((s[i + k] & 0xc0u) != 0x80u)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3fu);
		}
		if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += extra + 1;
	}
	return 1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Reports a 2013 id with the 2022 controls it maps to, or an unknown id. */
static void unknown_control(const char *file, unsigned line, const char *id, struct config_errors *errs)
{
	const char *targets[CATALOG_MAX_TARGETS];
	size_t n = catalog_from_2013(id, targets, CATALOG_MAX_TARGETS);
	if (n == 0) {
		config_errors_add(errs, file, line,
				  "unknown control '%s' (expected an ISO/IEC 27001:2022 Annex A id, 5.1 .. 8.34)", id);
		return;
	}
	char list[64] = "";
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%s", i > 0 ? ", " : "", targets[i]);
	}
	config_errors_add(errs, file, line,
			  "'%s' is an ISO/IEC 27001:2013 control; it maps to the 2022 control%s %s: use %s instead", id,
			  n > 1 ? "s" : "", list, n > 1 ? "those" : "that");
}

/*
 * Parses one line (without its line end) into s.  Errors go to errs.
 * Returns -ENOMEM when out of memory, else 0 (whatever errors it found).
 */
static int parse_line(struct soa *s, char *text, size_t len, unsigned line, struct config_errors *errs)
{
	const char *file = s->path;
	if (memchr(text, '\0', len) != NULL) {
		config_errors_add(errs, file, line, "the line contains a NUL byte");
		return 0;
	}
	if (!valid_utf8((const unsigned char *)text, len)) {
		config_errors_add(errs, file, line, "the line is not valid UTF-8");
		return 0;
	}
	const char *first = text + strspn(text, " \t\v\f");
	if (*first == '\0' || *first == '#')
		return 0;

	char *col[SOA_COLUMNS];
	size_t ncol = 0;
	char *p = text;
	for (;;) {
		char *tab = strchr(p, '\t');
		if (ncol < SOA_COLUMNS)
			col[ncol] = p;
		ncol++;
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	if (ncol != SOA_COLUMNS) {
		config_errors_add(errs, file, line,
				  "expected %d TAB-separated columns (control, applicable, status, owner, "
				  "justification), found %zu",
				  SOA_COLUMNS, ncol);
		return 0;
	}
	for (size_t i = 0; i < SOA_COLUMNS; i++)
		col[i] = trim(col[i]);
	const char *control = col[0], *applicable = col[1], *status_word = col[2];
	const char *owner = col[3], *justification = col[4];

	struct soa_entry *e = NULL;
	int idx = catalog_index(control);
	if (*control == '\0') {
		config_errors_add(errs, file, line, "empty control");
	} else if (idx < 0) {
		unknown_control(file, line, control, errs);
	} else if (s->entries[idx].present) {
		config_errors_add(errs, file, line, "duplicate control %s (first given at line %u)",
				  s->entries[idx].control, s->entries[idx].line);
	} else {
		e = &s->entries[idx];
	}

	int app = -1;
	if (strcmp(applicable, "yes") == 0)
		app = 1;
	else if (strcmp(applicable, "no") == 0)
		app = 0;
	else
		config_errors_add(errs, file, line, "applicable '%s' must be yes or no", applicable);

	enum soa_status status = parse_status(status_word);
	if (status == SOA_STATUS_NONE)
		config_errors_add(errs, file, line,
				  "status '%s' must be one of implemented, partial, planned, not-implemented, excluded",
				  status_word);
	else if (app == 0 && status != SOA_STATUS_EXCLUDED)
		config_errors_add(errs, file, line,
				  "a control that is not applicable must have status excluded, not '%s'", status_word);
	else if (app == 1 && status == SOA_STATUS_EXCLUDED)
		config_errors_add(errs, file, line, "status excluded needs applicable = no");

	if (*owner == '\0')
		config_errors_add(errs, file, line, "empty owner");
	if (*justification == '\0')
		config_errors_add(errs, file, line,
				  "empty justification (ISO/IEC 27001:2022 6.1.3 d wants one for every control, "
				  "included or excluded)");

	if (e == NULL)
		return 0;
	/* Recorded even when other columns are wrong, so that a later line
	 * with the same control is reported as a duplicate. */
	e->present = 1;
	e->file = s->path;
	e->line = line;
	e->applicable = app == 1;
	e->status = status;
	e->owner = strdup(owner);
	e->justification = strdup(justification);
	if (e->owner == NULL || e->justification == NULL)
		return -ENOMEM;
	return 0;
}

int soa_load(const char *path, struct soa **out, struct config_errors *errs)
{
	size_t errs_before = errs->n;
	int ret = -1;
	FILE *fp = NULL;
	char *buf = NULL;
	size_t cap = 0;
	*out = NULL;

	struct soa *s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto oom;
	s->n = catalog_count();
	s->path = strdup(path);
	s->entries = calloc(s->n, sizeof(*s->entries));
	if (s->path == NULL || s->entries == NULL)
		goto oom;
	for (size_t i = 0; i < s->n; i++)
		s->entries[i].control = catalog_at(i)->id;

	fp = fopen(path, "re");
	if (fp == NULL) {
		config_errors_add(errs, path, 0, "cannot open: %s", strerror(errno));
		goto out;
	}
	unsigned line = 0;
	for (;;) {
		ssize_t len = getline(&buf, &cap, fp);
		if (len < 0)
			break;
		line++;
		char *text = buf;
		if (len > 0 && text[len - 1] == '\n')
			text[--len] = '\0';
		if (len > 0 && text[len - 1] == '\r')
			text[--len] = '\0';
		if (line == 1 && len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
			text += 3;
			len -= 3;
		}
		if (parse_line(s, text, (size_t)len, line, errs) < 0)
			goto oom;
	}
	if (ferror(fp)) {
		config_errors_add(errs, path, 0, "read error: %s", strerror(errno));
		goto out;
	}
	if (errs->n != errs_before)
		goto out;
	*out = s;
	s = NULL;
	ret = 0;
	goto out;

oom:
	config_errors_add(errs, path, 0, "out of memory");
out:
	free(buf);
	if (fp != NULL)
		fclose(fp);
	soa_free(s);
	return ret;
}

void soa_free(struct soa *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; s->entries != NULL && i < s->n; i++) {
		free(s->entries[i].owner);
		free(s->entries[i].justification);
	}
	free(s->entries);
	free(s->path);
	free(s);
}

const struct soa_entry *soa_get(const struct soa *s, const char *control)
{
	int idx = catalog_index(control);
	if (s == NULL || idx < 0)
		return NULL;
	return &s->entries[idx];
}

const struct soa_entry *soa_at(const struct soa *s, size_t i)
{
	if (s == NULL || i >= s->n)
		return NULL;
	return &s->entries[i];
}

size_t soa_missing(const struct soa *s)
{
	size_t n = 0;
	for (size_t i = 0; s != NULL && i < s->n; i++)
		if (!s->entries[i].present)
			n++;
	return n;
}
