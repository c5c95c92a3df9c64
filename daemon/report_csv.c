/*
 * report_csv.c: renders the report model (docs/internals/report-model.md)
 * as a directory of RFC 4180 CSV files, one per table.
 *
 * Every file is UTF-8 without a byte order mark, has a header row and ends
 * each row with CRLF.  A field is quoted when it contains a comma, a double
 * quote, CR or LF, and double quotes inside it are doubled.  null is an
 * empty field, booleans are "true"/"false", numbers are written as numbers
 * ("%.15g" for reals, so 95.0 is "95").  An array inside a cell (e.g. the
 * controls of a KPI) is one field, its items joined with ";".
 *
 * Formula injection: spreadsheets run a cell that starts with = + - @ (or
 * a TAB or CR in front of one), so a text cell starting with any of those
 * six characters gets a leading apostrophe ("'=1+1"), which spreadsheets
 * show as text.  The apostrophe is then part of the value for a program
 * reading the file.  Numbers are never altered: -2.5 stays -2.5.
 *
 * The files:
 *   summary.csv            key,value: report.* (period, chain, generator) and
 *                          the summary counts, with dotted keys such as
 *                          kpis.breached, in sorted key order
 *   kpis.csv               one row per KPI, with its latest result
 *   kpi_series.csv         one row per point of each KPI's series
 *   soa.csv                one row per Annex A control
 *   nonconformities.csv    one row per nonconformity
 *   nc_history.csv         one row per state change of each nonconformity
 *   calendar.csv           one row per activity
 *   collectors.csv         one row per evidence source
 *   collector_days.csv     one row per source and day of the period
 *   evidence.csv           one row per committed collection run
 *   evidence_pages.csv     one row per raw page of each run
 *   management_review.csv  key,value, only when the model has a management
 *                          review (a stale one in dir is removed otherwise):
 *                          lists of records are indexed (previous_actions.0.
 *                          title), list-valued fields of a record are one cell
 *
 * Each file is written to a temporary file in dir, fsync'd and renamed over
 * its name, with mode 0640, so a reader never sees a half-written table.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "report_csv.h"
#include "util.h"

#define CSV_CAP (1u << 30)
#define CSV_MODE 0640
#define DIR_MODE 0750

struct csv_ctx {
	const char *dir;
	char *err;
	size_t errlen;
};

/* One column: its header and the dotted path of its value in a row object. */
struct csv_col {
	const char *header;
	const char *path;
};

/* A table: one row per element of the model's array, or, with child set,
 * one row per element of each element's child array (parent columns first). */
struct csv_table {
	const char *file;
	const char *array;
	const struct csv_col *cols;
	const char *child;
	const struct csv_col *child_cols;
};

static int fail(struct csv_ctx *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct csv_ctx *c, int rc, const char *fmt, ...)
{
	if (c->errlen > 0 && c->err[0] == '\0') {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* ---- cells ---------------------------------------------------------------- */

static int needs_quotes(const char *s)
{
	return strpbrk(s, ",\"\r\n") != NULL;
}

static int is_formula_start(char ch)
{
	return ch == '=' || ch == '+' || ch == '-' || ch == '@' || ch == '\t' || ch == '\r';
}

/* Appends one field: the separator unless it is the row's first, then s
 * made safe (apostrophe for a text cell that looks like a formula) and
 * quoted when needed. */
static int put_field(struct util_buf *b, int *col, const char *s, int is_text)
{
	int r = 0;
	if (*col > 0)
		r = util_buf_append(b, ",", 1);
	(*col)++;
	if (r < 0)
		return r;
	int quote = needs_quotes(s);
	if (quote && (r = util_buf_append(b, "\"", 1)) < 0)
		return r;
	if (is_text && is_formula_start(s[0]) && (r = util_buf_append(b, "'", 1)) < 0)
		return r;
	for (const char *p = s; *p != '\0'; p++) {
		r = *p == '"' ? util_buf_append(b, "\"\"", 2) : util_buf_append(b, p, 1);
		if (r < 0)
			return r;
	}
	if (quote)
		r = util_buf_append(b, "\"", 1);
	return r;
}

static const char *scalar_text(const json_t *v, char buf[40])
{
	if (json_is_integer(v))
		snprintf(buf, 40, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, 40, "%.15g", json_real_value(v));
	else if (json_is_true(v))
		return "true";
	else if (json_is_false(v))
		return "false";
	else if (json_is_string(v))
		return json_string_value(v);
	else
		return "";
	return buf;
}

/* Appends one cell for any JSON value (see the top of the file). */
static int put_value(struct util_buf *b, int *col, const json_t *v)
{
	char buf[40];
	if (v == NULL || json_is_null(v))
		return put_field(b, col, "", 0);
	if (json_is_number(v) || json_is_boolean(v))
		return put_field(b, col, scalar_text(v, buf), 0);
	if (json_is_string(v))
		return put_field(b, col, json_string_value(v), 1);
	struct util_buf joined;
	util_buf_init(&joined, CSV_CAP);
	int r = util_buf_append(&joined, "", 0);
	if (json_is_array(v)) {
		size_t i;
		const json_t *item;
		json_array_foreach(v, i, item)
		{
			if (r < 0)
				break;
			if (i > 0)
				r = util_buf_append(&joined, ";", 1);
			if (r == 0 && (json_is_object(item) || json_is_array(item))) {
				char *s = json_dumps(item, JSON_COMPACT | JSON_SORT_KEYS);
				r = s ? util_buf_append(&joined, s, strlen(s)) : -ENOMEM;
				free(s);
			} else if (r == 0) {
				const char *s = scalar_text(item, buf);
				r = util_buf_append(&joined, s, strlen(s));
			}
		}
	} else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		r = s ? util_buf_append(&joined, s, strlen(s)) : -ENOMEM;
		free(s);
	}
	if (r == 0)
		r = put_field(b, col, joined.data, 1);
	util_buf_free(&joined);
	return r;
}

static int end_row(struct util_buf *b, int *col)
{
	*col = 0;
	return util_buf_append(b, "\r\n", 2);
}

/* The value at a dotted path ("latest.at") inside obj, or NULL. */
static const json_t *get_path(const json_t *obj, const char *path)
{
	char key[64];
	const char *p = path;
	while (obj != NULL) {
		const char *dot = strchr(p, '.');
		if (dot == NULL)
			return json_object_get(obj, p);
		size_t n = (size_t)(dot - p);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		obj = json_object_get(obj, key);
		p = dot + 1;
	}
	return NULL;
}

/* ---- files ---------------------------------------------------------------- */

/* Writes dir/name atomically (see util_write_atomic()). */
static int write_file(struct csv_ctx *c, const char *name, const struct util_buf *b)
{
	int r = util_write_atomic(c->dir, name, b->data ? b->data : "", b->len, CSV_MODE, NULL);
	if (r < 0)
		fail(c, r, "%s/%s: %s", c->dir, name, strerror(-r));
	return r;
}

/* ---- tables --------------------------------------------------------------- */

static int put_header(struct util_buf *b, const struct csv_col *cols, int *col)
{
	int r = 0;
	for (const struct csv_col *k = cols; k != NULL && k->header != NULL && r == 0; k++)
		r = put_field(b, col, k->header, 1);
	return r;
}

static int put_cols(struct util_buf *b, const struct csv_col *cols, const json_t *row, int *col)
{
	int r = 0;
	for (const struct csv_col *k = cols; k != NULL && k->header != NULL && r == 0; k++)
		r = put_value(b, col, get_path(row, k->path));
	return r;
}

static int write_table(struct csv_ctx *c, const json_t *model, const struct csv_table *t)
{
	const json_t *arr = json_object_get(model, t->array);
	struct util_buf b;
	util_buf_init(&b, CSV_CAP);
	int col = 0;
	int r = put_header(&b, t->cols, &col);
	if (r == 0)
		r = put_header(&b, t->child_cols, &col);
	if (r == 0)
		r = end_row(&b, &col);
	size_t i, j;
	const json_t *e, *child;
	json_array_foreach(arr, i, e)
	{
		if (r < 0)
			break;
		if (t->child == NULL) {
			r = put_cols(&b, t->cols, e, &col);
			if (r == 0)
				r = end_row(&b, &col);
			continue;
		}
		json_array_foreach(json_object_get(e, t->child), j, child)
		{
			if (r == 0)
				r = put_cols(&b, t->cols, e, &col);
			if (r == 0)
				r = put_cols(&b, t->child_cols, child, &col);
			if (r == 0)
				r = end_row(&b, &col);
		}
	}
	if (r < 0)
		r = fail(c, r == -ENOSPC ? -EFBIG : r, "%s: table too large or out of memory", t->file);
	else
		r = write_file(c, t->file, &b);
	util_buf_free(&b);
	return r;
}

/* ---- key,value files ------------------------------------------------------ */

static int compare_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int put_kv(struct util_buf *b, const char *key, const json_t *v)
{
	int col = 0;
	int r = put_field(b, &col, key, 1);
	if (r == 0)
		r = put_value(b, &col, v);
	if (r == 0)
		r = end_row(b, &col);
	return r;
}

static int all_scalars(const json_t *arr)
{
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (json_is_object(v) || json_is_array(v))
			return 0;
	}
	return 1;
}

/*
 * Writes value as key,value rows under prefix: objects in sorted key order
 * with dotted keys, lists indexed from 0 ("changes.0.what"), except a list
 * of scalars that is a field of a record (an element of a list), which is
 * one cell ("previous_actions.0.controls" = "8.8;8.19").
 */
static int flatten(struct util_buf *b, const char *prefix, const json_t *v, int in_record)
{
	int r = 0;
	if (json_is_object(v)) {
		size_t n = json_object_size(v), k = 0;
		const char **keys = calloc(n ? n : 1, sizeof(*keys));
		if (keys == NULL)
			return -ENOMEM;
		const char *key;
		json_t *item;
		json_object_foreach((json_t *)v, key, item)
		{
			keys[k++] = key;
		}
		qsort(keys, n, sizeof(*keys), compare_str);
		for (k = 0; k < n && r == 0; k++) {
			char *sub = NULL;
			if (asprintf(&sub, "%s%s%s", prefix, *prefix ? "." : "", keys[k]) < 0)
				r = -ENOMEM;
			else
				r = flatten(b, sub, json_object_get(v, keys[k]), in_record);
			free(sub);
		}
		free(keys);
		return r;
	}
	if (json_is_array(v) && json_array_size(v) > 0 && !(in_record && all_scalars(v))) {
		size_t i;
		const json_t *item;
		json_array_foreach(v, i, item)
		{
			char *sub = NULL;
			if (r < 0)
				break;
			if (asprintf(&sub, "%s.%zu", prefix, i) < 0)
				r = -ENOMEM;
			else
				r = flatten(b, sub, item, 1);
			free(sub);
		}
		return r;
	}
	return put_kv(b, prefix, v);
}

static int put_kv_header(struct util_buf *b)
{
	int col = 0;
	int r = put_field(b, &col, "key", 1);
	if (r == 0)
		r = put_field(b, &col, "value", 1);
	if (r == 0)
		r = end_row(b, &col);
	return r;
}

/* summary.csv: the report's identity (report.*) and the summary counts. */
static int write_summary(struct csv_ctx *c, const json_t *model)
{
	struct util_buf b;
	util_buf_init(&b, CSV_CAP);
	int r = put_kv_header(&b);
	if (r == 0)
		r = flatten(&b, "report", json_object_get(model, "report"), 0);
	if (r == 0)
		r = flatten(&b, "", json_object_get(model, "summary"), 0);
	if (r < 0)
		r = fail(c, r == -ENOSPC ? -EFBIG : r, "summary.csv: too large or out of memory");
	else
		r = write_file(c, "summary.csv", &b);
	util_buf_free(&b);
	return r;
}

/* management_review.csv when the model has a review; otherwise a stale one
 * from an earlier report into the same directory is removed, so that the
 * directory always holds one report's tables. */
static int write_management_review(struct csv_ctx *c, const json_t *model)
{
	const json_t *mr = json_object_get(model, "management_review");
	if (!json_is_object(mr)) {
		char *path = NULL;
		if (asprintf(&path, "%s/management_review.csv", c->dir) < 0)
			return fail(c, -ENOMEM, "out of memory");
		int r = unlink(path) < 0 && errno != ENOENT ? -errno : 0;
		if (r < 0)
			fail(c, r, "%s: %s", path, strerror(-r));
		free(path);
		return r;
	}
	struct util_buf b;
	util_buf_init(&b, CSV_CAP);
	int r = put_kv_header(&b);
	if (r == 0)
		r = flatten(&b, "", mr, 0);
	if (r < 0)
		r = fail(c, r == -ENOSPC ? -EFBIG : r, "management_review.csv: too large or out of memory");
	else
		r = write_file(c, "management_review.csv", &b);
	util_buf_free(&b);
	return r;
}

/* ---- the directory -------------------------------------------------------- */

static const struct csv_col kpi_cols[] = {
    {"name", "name"},
    {"title", "title"},
    {"scope", "scope"},
    {"unit", "unit"},
    {"op", "op"},
    {"threshold", "threshold"},
    {"severity", "severity"},
    {"controls", "controls"},
    {"latest_at", "latest.at"},
    {"latest_value", "latest.value"},
    {"latest_verdict", "latest.verdict"},
    {NULL, NULL},
};
static const struct csv_col kpi_key_cols[] = {{"kpi", "name"}, {"scope", "scope"}, {NULL, NULL}};
static const struct csv_col series_cols[] = {{"at", "at"}, {"value", "value"}, {"verdict", "verdict"}, {NULL, NULL}};
static const struct csv_col soa_cols[] = {
    {"id", "id"},
    {"title", "title"},
    {"theme", "theme"},
    {"applicable", "applicable"},
    {"implementation", "implementation"},
    {"owner", "owner"},
    {"justification", "justification"},
    {"evidence_count", "evidence_count"},
    {"last_evidence", "last_evidence"},
    {"open_ncs", "open_ncs"},
    {"status", "status"},
    {NULL, NULL},
};
static const struct csv_col nc_cols[] = {
    {"id", "id"},
    {"key", "key"},
    {"kind", "kind"},
    {"title", "title"},
    {"controls", "controls"},
    {"kpi", "kpi"},
    {"scope", "scope"},
    {"observed", "observed"},
    {"threshold", "threshold"},
    {"severity", "severity"},
    {"owner", "owner"},
    {"state", "state"},
    {"condition", "condition"},
    {"detected_at", "detected_at"},
    {"updated_at", "updated_at"},
    {"closed_at", "closed_at"},
    {"root_cause", "root_cause"},
    {"action", "action"},
    {"action_owner", "action_owner"},
    {"due_at", "due_at"},
    {"evidence", "evidence"},
    {NULL, NULL},
};
static const struct csv_col nc_key_cols[] = {{"nc_id", "id"}, {NULL, NULL}};
static const struct csv_col history_cols[] = {
    {"at", "at"}, {"actor", "actor"}, {"event", "event"}, {"from", "from"},
    {"to", "to"}, {"note", "note"},   {NULL, NULL},
};
static const struct csv_col calendar_cols[] = {
    {"name", "name"},		{"schedule", "schedule"},   {"owner", "owner"}, {"kind", "kind"},
    {"controls", "controls"},	{"planned", "planned"},	    {"done", "done"},	{"missed", "missed"},
    {"adherence", "adherence"}, {"last_done", "last_done"}, {NULL, NULL},
};
static const struct csv_col collector_cols[] = {
    {"source", "source"},
    {"type", "type"},
    {"schedule", "schedule"},
    {"runs", "runs"},
    {"success", "success"},
    {"failed", "failed"},
    {"interrupted", "interrupted"},
    {"uptime", "uptime"},
    {"first_success", "first_success"},
    {"last_success", "last_success"},
    {"longest_gap_hours", "longest_gap_hours"},
    {NULL, NULL},
};
static const struct csv_col source_key_cols[] = {{"source", "source"}, {NULL, NULL}};
static const struct csv_col day_cols[] = {{"date", "date"}, {"success", "success"}, {"failed", "failed"}, {NULL, NULL}};
static const struct csv_col evidence_cols[] = {
    {"run", "run"},
    {"seq", "seq"},
    {"source", "source"},
    {"type", "type"},
    {"started_at", "started_at"},
    {"finished_at", "finished_at"},
    {"pages", "pages"},
    {"facts", "facts"},
    {"manifest_sha256", "manifest_sha256"},
    {NULL, NULL},
};
static const struct csv_col run_key_cols[] = {{"run", "run"}, {NULL, NULL}};
static const struct csv_col page_cols[] = {
    {"page_id", "id"}, {"sha256", "sha256"}, {"size", "size"}, {"pruned", "pruned"}, {NULL, NULL}};

static const struct csv_table tables[] = {
    {"kpis.csv", "kpis", kpi_cols, NULL, NULL},
    {"kpi_series.csv", "kpis", kpi_key_cols, "series", series_cols},
    {"soa.csv", "soa", soa_cols, NULL, NULL},
    {"nonconformities.csv", "nonconformities", nc_cols, NULL, NULL},
    {"nc_history.csv", "nonconformities", nc_key_cols, "history", history_cols},
    {"calendar.csv", "calendar", calendar_cols, NULL, NULL},
    {"collectors.csv", "collectors", collector_cols, NULL, NULL},
    {"collector_days.csv", "collectors", source_key_cols, "days", day_cols},
    {"evidence.csv", "evidence", evidence_cols, NULL, NULL},
    {"evidence_pages.csv", "evidence", run_key_cols, "page_hashes", page_cols},
};

static int check_model(struct csv_ctx *c, const json_t *model)
{
	if (!json_is_object(model) || !json_is_object(json_object_get(model, "report")) ||
	    !json_is_object(json_object_get(model, "summary")))
		return fail(c, -EINVAL, "report model: no report or summary object");
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if (!json_is_array(json_object_get(model, tables[i].array)))
			return fail(c, -EINVAL, "report model: no \"%s\" array", tables[i].array);
	}
	const json_t *mr = json_object_get(model, "management_review");
	if (mr != NULL && !json_is_null(mr) && !json_is_object(mr))
		return fail(c, -EINVAL, "report model: management_review is neither null nor an object");
	return 0;
}

static int make_dir(struct csv_ctx *c)
{
	struct stat st;
	if (mkdir(c->dir, DIR_MODE) == 0)
		return 0;
	int r = -errno;
	if (r == -EEXIST) {
		if (stat(c->dir, &st) < 0)
			r = -errno;
		else
			r = S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	}
	if (r < 0)
		fail(c, r, "%s: %s", c->dir, strerror(-r));
	return r;
}

/* Makes the renames durable. */
static int sync_dir(struct csv_ctx *c)
{
	int fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;
	if (fd < 0 || fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (r < 0)
		fail(c, r, "%s: %s", c->dir, strerror(-r));
	return r;
}

int report_csv_write(const json_t *model, const char *dir, char *err, size_t errlen)
{
	struct csv_ctx c = {.dir = dir, .err = err, .errlen = errlen};
	if (errlen > 0)
		err[0] = '\0';
	int r = check_model(&c, model);
	if (r == 0)
		r = make_dir(&c);
	if (r == 0)
		r = write_summary(&c, model);
	for (size_t i = 0; r == 0 && i < sizeof(tables) / sizeof(tables[0]); i++)
		r = write_table(&c, model, &tables[i]);
	if (r == 0)
		r = write_management_review(&c, model);
	if (r == 0)
		r = sync_dir(&c);
	return r;
}
