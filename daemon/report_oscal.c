/*
 * report_oscal.c: renders the report model (docs/internals/report-model.md)
 * as a NIST OSCAL 1.0.6 assessment-results document.
 *
 * The mapping:
 *   report            -> metadata (title, last-modified = generated_at) and
 *                        one result whose start/end is the period
 *   soa               -> reviewed-controls: every control the SoA does not
 *                        exclude, as control-id "a.<Annex A id>"
 *   evidence[]        -> one observation per committed collection run, with
 *                        relevant-evidence pointing ("#<uuid>") at back-matter
 *                        resources: the run's manifest and each raw page,
 *                        each carrying its SHA-256
 *   kpis[].latest     -> one observation per KPI result (value vs threshold)
 *   nonconformities[] -> one finding each, not-satisfied/fail until closed
 *   collectors[]      -> one system component per evidence source (the
 *                        subjects of the run observations)
 *   ismsd itself      -> an assessment-platform component; every observation
 *                        and finding names it as its origin (actor "tool")
 *
 * Only fields and enum values that exist in the 1.0.6 schema are used (e.g.
 * no "discovery" observation type, which only later versions have).
 *
 * The output is a pure function of the model: every UUID is an RFC 4122
 * version 5 UUID (SHA-1, name-based) on a fixed ismsd namespace, object keys
 * are sorted and arrays keep the model's order, so the same model gives the
 * same bytes and two models that differ only in report.generated_at give
 * documents that differ only in metadata.last-modified.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "report_oscal.h"
#include "util.h"

#define OSCAL_VERSION "1.0.6"
/* The namespace of ismsd's own property names (OSCAL props without a ns are
 * reserved for names OSCAL itself defines). */
#define PROP_NS "urn:ismsd:oscal"
#define UUID_STR 37
#define TEXT_CAP (64u << 20)

/* The fixed namespace of every ismsd OSCAL UUID (generated once, randomly):
 * 2c29886a-81a2-4b90-882e-6b7bba26c496.  Never change it: the UUIDs of
 * every exported observation and finding would change with it. */
static const unsigned char uuid_namespace[16] = {0x2c, 0x29, 0x88, 0x6a, 0x81, 0xa2, 0x4b, 0x90,
						 0x88, 0x2e, 0x6b, 0x7b, 0xba, 0x26, 0xc4, 0x96};

struct oscal_ctx {
	const json_t *report;
	const json_t *kpis;
	const json_t *soa;
	const json_t *ncs;
	const json_t *evidence;
	const json_t *collectors; /* may be NULL */
	const char *label;
	char tool_uuid[UUID_STR];
	char *err;
	size_t errlen;
};

static int fail(struct oscal_ctx *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct oscal_ctx *c, int rc, const char *fmt, ...)
{
	if (c->errlen > 0 && c->err[0] == '\0') {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* ---- small helpers -------------------------------------------------------- */

static const char *str_at(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A number as text ("%.15g" for reals, so 95.0 is "95"), or NULL for null
 * and anything that is not a number. */
static const char *num_text(const json_t *v, char buf[40])
{
	if (json_is_integer(v))
		snprintf(buf, 40, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, 40, "%.15g", json_real_value(v));
	else
		return NULL;
	return buf;
}

/* An integer member as text, or NULL when absent or not an integer. */
static const char *int_text(const json_t *o, const char *key, char buf[40])
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? num_text(v, buf) : NULL;
}

/* "YYYY-MM-DDTHH:MM:SS[.fff]Z", the only form the model uses and one that
 * OSCAL's date-time-with-timezone pattern accepts. */
static int is_utc_time(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	time_t t;
	if (s == NULL || strlen(s) < sizeof(shape))
		return 0;
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	}
	const char *p = s + sizeof(shape) - 1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return strcmp(p, "Z") == 0 && util_time_parse(s, &t) == 0;
}

/* A 64-digit lowercase or uppercase hex SHA-256. */
static int is_sha256_hex(const char *s)
{
	if (s == NULL || strlen(s) != UTIL_SHA256_HEX_LEN)
		return 0;
	return strspn(s, "0123456789abcdefABCDEF") == UTIL_SHA256_HEX_LEN;
}

/* The length of the UTF-8 whitespace character at s, or 0.  Covers what
 * both Python's str.isspace() and the Unicode White_Space property call
 * whitespace, since OSCAL's string pattern (^\S(.*\S)?$) is evaluated by
 * regex engines with either notion. */
static size_t space_len(const unsigned char *s)
{
	if (s[0] == ' ' || (s[0] >= 0x09 && s[0] <= 0x0d) || (s[0] >= 0x1c && s[0] <= 0x1f))
		return 1;
	if (s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) /* U+1680 */
		return 3;
	if (s[0] == 0xe2 && s[1] == 0x80 &&
	    ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
		return 3;
	if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) /* U+205F */
		return 3;
	if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80) /* U+3000 */
		return 3;
	return 0;
}

/*
 * A copy of s fit for OSCAL's one-line string type: control characters and
 * runs of whitespace become one space, and leading and trailing whitespace
 * is dropped.  Returns NULL (with *rc = 0) when nothing is left, or NULL
 * with *rc = -ENOMEM.
 */
static char *one_line(const char *s, int *rc)
{
	*rc = 0;
	if (s == NULL)
		return NULL;
	size_t n = strlen(s);
	char *out = malloc(n + 1);
	if (out == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	int pending_space = 0;
	while (*p != '\0') {
		size_t sl = space_len(p);
		if (sl > 0 || *p < 0x20 || *p == 0x7f) {
			pending_space = o > 0;
			p += sl > 0 ? sl : 1;
			continue;
		}
		if (pending_space)
			out[o++] = ' ';
		pending_space = 0;
		out[o++] = (char)*p++;
	}
	out[o] = '\0';
	if (o == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* "a." + the Annex A id, restricted to the characters of an OSCAL token. */
static void control_id(const char *annex_id, char *out, size_t outlen)
{
	size_t o = 0;
	if (outlen < 3) {
		if (outlen > 0)
			out[0] = '\0';
		return;
	}
	out[o++] = 'a';
	out[o++] = '.';
	for (const char *p = annex_id; *p != '\0' && o + 1 < outlen; p++) {
		int ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			 *p == '.' || *p == '-' || *p == '_';
		out[o++] = ok ? *p : '_';
	}
	out[o] = '\0';
}

/*
 * The version 5 UUID of a name made of parts joined by "/", e.g.
 * "observation/run/17".  '%' and '/' inside a part are percent-encoded so
 * that two different lists of parts never give the same name.
 */
static int uuid5(char out[UUID_STR], const char *const *parts, size_t nparts)
{
	struct util_buf name;
	util_buf_init(&name, 1u << 20);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int r = 0;
	EVP_MD_CTX *md_ctx = NULL;
	for (size_t i = 0; i < nparts; i++) {
		if (i > 0 && (r = util_buf_append(&name, "/", 1)) < 0)
			goto out;
		for (const char *p = parts[i]; *p != '\0'; p++) {
			if (*p == '%' || *p == '/')
				r = util_buf_printf(&name, "%%%02X", (unsigned char)*p);
			else
				r = util_buf_append(&name, p, 1);
			if (r < 0)
				goto out;
		}
	}
	md_ctx = EVP_MD_CTX_new();
	if (md_ctx == NULL || EVP_DigestInit_ex(md_ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(md_ctx, uuid_namespace, sizeof(uuid_namespace)) != 1 ||
	    EVP_DigestUpdate(md_ctx, name.data ? name.data : "", name.len) != 1 ||
	    EVP_DigestFinal_ex(md_ctx, md, &mdlen) != 1 || mdlen < 16) {
		r = -ENOMEM;
		goto out;
	}
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50); /* version 5 */
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	char hex[33];
	util_hex(md, 16, hex);
	snprintf(out, UUID_STR, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
out:
	EVP_MD_CTX_free(md_ctx);
	util_buf_free(&name);
	return r;
}

#define UUID5(out, ...)                                                                                                \
	uuid5((out), (const char *const[]){__VA_ARGS__},                                                               \
	      sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* obj[key] = a new string; 0 or -ENOMEM (invalid UTF-8 cannot happen: every
 * string comes from the model, which jansson has validated). */
static int set_str(json_t *obj, const char *key, const char *value)
{
	json_t *s = json_string(value);
	if (s == NULL || json_object_set_new(obj, key, s) < 0)
		return -ENOMEM;
	return 0;
}

/* obj[key] = arr when arr has items (OSCAL arrays have minItems 1); the
 * reference to arr is always consumed. */
static int set_array(json_t *obj, const char *key, json_t *arr)
{
	if (arr == NULL)
		return -ENOMEM;
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return 0;
	}
	return json_object_set_new(obj, key, arr) < 0 ? -ENOMEM : 0;
}

static int append(json_t *arr, json_t *item)
{
	if (item == NULL)
		return -ENOMEM;
	return json_array_append_new(arr, item) < 0 ? -ENOMEM : 0;
}

/* Appends {name, ns, value} to props; a value that is NULL or blank once
 * made one-line is left out. */
static int add_prop(json_t *props, const char *name, const char *value)
{
	int r;
	char *v = one_line(value, &r);
	if (v == NULL)
		return r;
	r = append(props, json_pack("{s:s, s:s, s:s}", "name", name, "ns", PROP_NS, "value", v));
	free(v);
	return r;
}

/* Appends props from name, value pairs: ADD_PROPS(props, "a", va, "b", vb). */
static int add_props(json_t *props, const char *const *kv, size_t n)
{
	int r = 0;
	for (size_t i = 0; i + 1 < n && r == 0; i += 2)
		r = add_prop(props, kv[i], kv[i + 1]);
	return r;
}

#define ADD_PROPS(props, ...)                                                                                          \
	add_props((props), (const char *const[]){__VA_ARGS__},                                                         \
		  sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static int add_origin(struct oscal_ctx *c, json_t *obj)
{
	json_t *origins = json_pack("[{s:[{s:s, s:s}]}]", "actors", "type", "tool", "actor-uuid", c->tool_uuid);
	return set_array(obj, "origins", origins);
}

/* Appends text to a util_buf; 0 or -ENOMEM. */
static int text(struct util_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int text(struct util_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	int r = util_buf_append(b, s, (size_t)n) < 0 ? -ENOMEM : 0;
	free(s);
	return r;
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

/* ---- the tool and the evidence sources ------------------------------------ */

static int source_uuid(const char *source, char out[UUID_STR])
{
	return UUID5(out, "component", "source", source);
}

static int compare_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The entry that introduces a source, from its index in seen: a collector
 * (idx >= 0) or, for a source that is no longer configured, its first run. */
static const json_t *source_entry(const struct oscal_ctx *c, json_int_t idx)
{
	return idx >= 0 ? json_array_get(c->collectors, (size_t)idx) : json_array_get(c->evidence, (size_t)(-idx - 1));
}

/* One system component per evidence source named by collectors[] or
 * evidence[], sorted by name: the subjects of the run observations. */
static int build_sources(struct oscal_ctx *c, json_t *local)
{
	json_t *seen = json_object();
	json_t *components = json_array();
	const char **names = NULL;
	int r = -ENOMEM;
	if (seen == NULL || components == NULL)
		goto out;
	size_t i;
	json_t *e;
	json_array_foreach(c->collectors, i, e)
	{
		const char *src = str_at(e, "source");
		if (src != NULL && json_object_get(seen, src) == NULL &&
		    json_object_set_new(seen, src, json_integer((json_int_t)i)) < 0)
			goto out;
	}
	json_array_foreach(c->evidence, i, e)
	{
		const char *src = str_at(e, "source");
		if (src != NULL && json_object_get(seen, src) == NULL &&
		    json_object_set_new(seen, src, json_integer(-(json_int_t)i - 1)) < 0)
			goto out;
	}
	size_t n = json_object_size(seen);
	names = calloc(n ? n : 1, sizeof(*names));
	if (names == NULL)
		goto out;
	const char *key;
	json_t *v;
	size_t k = 0;
	json_object_foreach(seen, key, v)
	{
		names[k++] = key;
	}
	qsort(names, n, sizeof(*names), compare_str);
	for (k = 0; k < n; k++) {
		const json_t *entry = source_entry(c, json_integer_value(json_object_get(seen, names[k])));
		int configured = json_object_get(entry, "schedule") != NULL;
		const char *type = str_at(entry, "type");
		char uuid[UUID_STR];
		struct util_buf d;
		util_buf_init(&d, TEXT_CAP);
		json_t *comp = NULL, *props = json_array();
		r = source_uuid(names[k], uuid);
		if (r == 0)
			r = text(&d, "Evidence source %s, read by ismsd's %s collector", names[k], or_dash(type));
		if (r == 0 && configured && str_at(entry, "schedule") != NULL)
			r = text(&d, " on the schedule \"%s\"", str_at(entry, "schedule"));
		if (r == 0)
			r = text(&d, ".");
		if (r == 0 && props == NULL)
			r = -ENOMEM;
		if (r == 0)
			r = add_prop(props, "collector-type", type);
		if (r == 0) {
			comp = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}}", "uuid", uuid, "type", "service", "title",
					 names[k], "description", d.data, "status", "state",
					 configured ? "operational" : "other");
			r = comp ? 0 : -ENOMEM;
		}
		if (r == 0 && !configured)
			r = set_str(json_object_get(comp, "status"), "remarks",
				    "The source is no longer configured; it delivered evidence in the period.");
		if (r == 0) {
			r = set_array(comp, "props", props);
			props = NULL;
		}
		if (r == 0) {
			r = append(components, comp);
			comp = NULL;
		}
		json_decref(props);
		json_decref(comp);
		util_buf_free(&d);
		if (r < 0)
			goto out;
	}
	r = set_array(local, "components", components);
	components = NULL;
out:
	free(names);
	json_decref(components);
	json_decref(seen);
	return r;
}

/* The ismsd tool: a software component used by one assessment platform. */
static int build_tool(struct oscal_ctx *c, json_t *local)
{
	const json_t *gen = json_object_get(c->report, "generator");
	const char *name = str_at(gen, "name") ? str_at(gen, "name") : "ismsd";
	const char *version = str_at(gen, "version");
	char platform[UUID_STR];
	struct util_buf title, desc;
	util_buf_init(&title, TEXT_CAP);
	util_buf_init(&desc, TEXT_CAP);
	json_t *props = json_array(), *comp = NULL;
	int r = UUID5(platform, "platform", "ismsd");
	if (r == 0)
		r = version ? text(&title, "%s %s", name, version) : text(&title, "%s", name);
	if (r == 0)
		r = text(&desc,
			 "%s, the ISO/IEC 27001 ISMS evidence daemon: it collected the evidence, "
			 "evaluated the KPIs and raised the nonconformities of these results.",
			 name);
	if (r == 0 && props == NULL)
		r = -ENOMEM;
	if (r == 0)
		r = add_prop(props, "tool-version", version);
	if (r == 0) {
		comp = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}}", "uuid", c->tool_uuid, "type", "software", "title",
				 title.data, "description", desc.data, "status", "state", "operational");
		r = comp ? 0 : -ENOMEM;
	}
	if (r == 0) {
		r = set_array(comp, "props", props);
		props = NULL;
	}
	if (r == 0) {
		json_t *assets =
		    json_pack("{s:[O], s:[{s:s, s:s, s:[{s:s}]}]}", "components", comp, "assessment-platforms", "uuid",
			      platform, "title", title.data, "uses-components", "component-uuid", c->tool_uuid);
		r = assets && json_object_set_new(local, "assessment-assets", assets) == 0 ? 0 : -ENOMEM;
	}
	json_decref(props);
	json_decref(comp);
	util_buf_free(&title);
	util_buf_free(&desc);
	return r;
}

/* ---- metadata ------------------------------------------------------------- */

static int build_metadata(struct oscal_ctx *c, json_t *doc)
{
	const json_t *chain = json_object_get(c->report, "chain");
	char seqbuf[40];
	const char *head_seq = int_text(chain, "head_seq", seqbuf);
	const char *title = str_at(c->report, "title");
	const char *org = str_at(c->report, "organisation");
	struct util_buf version, fallback;
	util_buf_init(&version, TEXT_CAP);
	util_buf_init(&fallback, TEXT_CAP);
	json_t *md = NULL, *props = json_array();
	char *org_name = NULL, *label = NULL;
	int r = props ? 0 : -ENOMEM;
	if (r == 0) {
		label = one_line(c->label, &r);
		if (label == NULL && r == 0)
			r = fail(c, -EINVAL, "report model: report.period.label is empty");
	}
	/* The version names the state of the evidence chain the document was
	 * made from: a later export of the same period may cover more runs. */
	if (r == 0)
		r = head_seq ? text(&version, "%s (chain seq %s)", label, head_seq)
			     : text(&version, "%s (no evidence chain)", label);
	if (r == 0 && title == NULL) {
		r = text(&fallback, "ISMS evidence report %s", c->label);
		title = fallback.data;
	}
	if (r == 0) {
		md = json_pack("{s:s, s:s, s:s, s:s}", "title", title, "last-modified",
			       str_at(c->report, "generated_at"), "version", version.data, "oscal-version",
			       OSCAL_VERSION);
		r = md ? 0 : -ENOMEM;
	}
	if (r == 0)
		r = ADD_PROPS(props, "report-kind", str_at(c->report, "kind"), "period-label", c->label);
	if (r == 0) {
		r = set_array(md, "props", props);
		props = NULL;
	}
	if (r == 0)
		org_name = one_line(org, &r);
	if (r == 0 && org_name != NULL) {
		/* The organisation the report is about is the only party; the tool
		 * is not a party (OSCAL parties are persons or organisations) but an
		 * assessment platform in the result. */
		char party[UUID_STR];
		r = UUID5(party, "party", "organisation", org_name);
		json_t *parts = r == 0
				    ? json_pack("{s:[{s:s, s:s}], s:[{s:s, s:s, s:s}], s:[{s:s, s:[s]}]}", "roles",
						"id", "prepared-for", "title", "Prepared For", "parties", "uuid", party,
						"type", "organization", "name", org_name, "responsible-parties",
						"role-id", "prepared-for", "party-uuids", party)
				    : NULL;
		if (r == 0 && (parts == NULL || json_object_update(md, parts) < 0))
			r = -ENOMEM;
		json_decref(parts);
	} else if (r == 0) {
		r = set_str(md, "remarks", "No organisation is configured ([report] organisation).");
	}
	if (r == 0) {
		r = json_object_set_new(doc, "metadata", md) < 0 ? -ENOMEM : 0;
		md = NULL;
	}
	json_decref(props);
	json_decref(md);
	free(org_name);
	free(label);
	util_buf_free(&version);
	util_buf_free(&fallback);
	return r;
}

/* ---- observations --------------------------------------------------------- */

static int run_uuids(const json_t *run, char obs[UUID_STR], char manifest[UUID_STR])
{
	char idbuf[40];
	const char *id = int_text(run, "run", idbuf);
	if (id == NULL)
		return -EINVAL;
	int r = UUID5(obs, "observation", "run", id);
	if (r == 0)
		r = UUID5(manifest, "resource", "run", id, "manifest");
	return r;
}

static int kpi_obs_uuid(struct oscal_ctx *c, const json_t *kpi, char out[UUID_STR])
{
	const char *name = str_at(kpi, "name"), *scope = str_at(kpi, "scope");
	return UUID5(out, "observation", "kpi", c->label, name ? name : "", scope ? scope : "");
}

/* A run's collection time: finished_at, or started_at when it has none. */
static const char *run_collected(const json_t *run)
{
	const char *t = str_at(run, "finished_at");
	return is_utc_time(t) ? t : str_at(run, "started_at");
}

static int run_observation(struct oscal_ctx *c, const json_t *run, json_t *observations)
{
	char runbuf[40], seqbuf[40], pagesbuf[40], factsbuf[40];
	const char *id = int_text(run, "run", runbuf);
	const char *seq = int_text(run, "seq", seqbuf);
	const char *pages = int_text(run, "pages", pagesbuf);
	const char *facts = int_text(run, "facts", factsbuf);
	const char *source = str_at(run, "source"), *type = str_at(run, "type");
	const char *collected = run_collected(run);
	const char *manifest_sha = str_at(run, "manifest_sha256");
	char uuid[UUID_STR], manifest[UUID_STR], src_uuid[UUID_STR];
	struct util_buf title, desc, ev;
	util_buf_init(&title, TEXT_CAP);
	util_buf_init(&desc, TEXT_CAP);
	util_buf_init(&ev, TEXT_CAP);
	json_t *obs = NULL, *props = json_array(), *evidence = json_array();
	int r = 0;
	if (id == NULL || source == NULL)
		r = fail(c, -EINVAL, "report model: an evidence run lacks its run id or source");
	else if (!is_utc_time(collected))
		r = fail(c, -EINVAL, "report model: evidence run %s has no valid finished_at", id);
	else if (props == NULL || evidence == NULL)
		r = -ENOMEM;
	if (r == 0)
		r = run_uuids(run, uuid, manifest);
	if (r == 0)
		r = source_uuid(source, src_uuid);
	if (r == 0)
		r = text(&title, "Collection run %s of %s", id, source);
	if (r == 0)
		r = text(&desc,
			 "ismsd's %s collector read %s page(s) with %s fact(s) from the source %s, from %s to %s.",
			 or_dash(type), or_dash(pages), or_dash(facts), source, or_dash(str_at(run, "started_at")),
			 or_dash(str_at(run, "finished_at")));
	if (r == 0)
		r = seq ? text(&desc, " The run is entry %s of the signed evidence chain.", seq)
			: text(&desc, " The run is not in the evidence chain.");
	if (r == 0)
		r = ADD_PROPS(props, "run-id", id, "chain-seq", seq, "source", source, "collector-type", type, "pages",
			      pages, "facts", facts);
	/* relevant-evidence has no hash field in OSCAL: each entry points at a
	 * back-matter resource ("#<uuid>") that carries the file and its hash. */
	if (r == 0)
		r = text(&ev, "#%s", manifest);
	if (r == 0) {
		char *d = NULL;
		r = asprintf(&d, "The manifest of run %s (manifests/run-%s.json)%s", id, id,
			     manifest_sha ? "" : "; no manifest hash was recorded for this run") < 0
			? -ENOMEM
			: 0;
		if (r == 0)
			r = append(evidence, json_pack("{s:s, s:s}", "href", ev.data, "description", d));
		free(d);
	}
	size_t i;
	const json_t *page;
	json_array_foreach(json_object_get(run, "page_hashes"), i, page)
	{
		char pidbuf[40], puuid[UUID_STR], href[UUID_STR + 1], *d = NULL;
		const char *pid = int_text(page, "id", pidbuf);
		if (r < 0)
			break;
		if (pid == NULL) {
			r = fail(c, -EINVAL, "report model: a page of evidence run %s has no id", id);
			break;
		}
		r = UUID5(puuid, "resource", "page", pid);
		snprintf(href, sizeof(href), "#%s", puuid);
		if (r == 0 && asprintf(&d, "Raw page %s of run %s", pid, id) < 0)
			r = -ENOMEM;
		if (r == 0)
			r = append(evidence, json_pack("{s:s, s:s}", "href", href, "description", d));
		free(d);
	}
	if (r == 0) {
		obs = json_pack("{s:s, s:s, s:s, s:[s], s:[{s:s, s:s, s:s}], s:s}", "uuid", uuid, "title", title.data,
				"description", desc.data, "methods", "EXAMINE", "subjects", "subject-uuid", src_uuid,
				"type", "component", "title", source, "collected", collected);
		r = obs ? 0 : -ENOMEM;
	}
	if (r == 0)
		r = add_origin(c, obs);
	if (r == 0) {
		r = set_array(obs, "props", props);
		props = NULL;
	}
	if (r == 0) {
		r = set_array(obs, "relevant-evidence", evidence);
		evidence = NULL;
	}
	if (r == 0 && manifest_sha == NULL)
		r = set_str(obs, "remarks",
			    "No manifest hash was recorded for this run, so its manifest resource carries no hash.");
	if (r == 0) {
		r = append(observations, obs);
		obs = NULL;
	}
	json_decref(obs);
	json_decref(props);
	json_decref(evidence);
	util_buf_free(&title);
	util_buf_free(&desc);
	util_buf_free(&ev);
	return r;
}

static int kpi_observation(struct oscal_ctx *c, const json_t *kpi, json_t *observations)
{
	const json_t *latest = json_object_get(kpi, "latest");
	const char *name = str_at(kpi, "name"), *scope = str_at(kpi, "scope");
	const char *unit = str_at(kpi, "unit"), *op = str_at(kpi, "op");
	const char *verdict = str_at(latest, "verdict"), *at = str_at(latest, "at");
	char valbuf[40], thrbuf[40], uuid[UUID_STR];
	const char *value = num_text(json_object_get(latest, "value"), valbuf);
	const char *threshold = num_text(json_object_get(kpi, "threshold"), thrbuf);
	const char *sp = unit && *unit ? " " : "";
	struct util_buf title, desc;
	util_buf_init(&title, TEXT_CAP);
	util_buf_init(&desc, TEXT_CAP);
	json_t *obs = NULL, *props = json_array();
	int r = 0;
	if (name == NULL)
		r = fail(c, -EINVAL, "report model: a KPI has no name");
	else if (!is_utc_time(at))
		r = fail(c, -EINVAL, "report model: KPI %s has no valid latest.at", name);
	else if (props == NULL)
		r = -ENOMEM;
	if (r == 0)
		r = kpi_obs_uuid(c, kpi, uuid);
	if (r == 0)
		r = text(&title, "KPI %s (%s): %s", name, or_dash(scope), or_dash(verdict));
	if (r == 0)
		r = text(&desc, "%s (%s, scope %s) at %s: ", str_at(kpi, "title") ? str_at(kpi, "title") : name, name,
			 or_dash(scope), at);
	if (r == 0 && value != NULL)
		r = text(&desc, "%s%s%s against the threshold %s %s%s%s: %s.", value, sp, unit ? unit : "", or_dash(op),
			 or_dash(threshold), sp, unit ? unit : "", or_dash(verdict));
	else if (r == 0)
		r = text(&desc, "no value against the threshold %s %s%s%s: %s.", or_dash(op), or_dash(threshold), sp,
			 unit ? unit : "", or_dash(verdict));
	if (r == 0)
		r = ADD_PROPS(props, "kpi", name, "scope", scope, "value", value, "unit", unit, "op", op, "threshold",
			      threshold, "verdict", verdict, "severity", str_at(kpi, "severity"));
	size_t i;
	const json_t *ctl;
	json_array_foreach(json_object_get(kpi, "controls"), i, ctl)
	{
		char cid[64];
		if (r < 0 || !json_is_string(ctl))
			continue;
		control_id(json_string_value(ctl), cid, sizeof(cid));
		r = add_prop(props, "control-id", cid);
	}
	/* TEST: the KPI compares a measured value with its expected threshold. */
	if (r == 0) {
		obs = json_pack("{s:s, s:s, s:s, s:[s], s:[s], s:s}", "uuid", uuid, "title", title.data, "description",
				desc.data, "methods", "TEST", "types", "control-objective", "collected", at);
		r = obs ? 0 : -ENOMEM;
	}
	if (r == 0)
		r = add_origin(c, obs);
	if (r == 0) {
		r = set_array(obs, "props", props);
		props = NULL;
	}
	if (r == 0) {
		r = append(observations, obs);
		obs = NULL;
	}
	json_decref(obs);
	json_decref(props);
	util_buf_free(&title);
	util_buf_free(&desc);
	return r;
}

/*
 * Collection runs are EXAMINE observations: the collector reads records and
 * configuration state from a system's API, it does not exercise the system.
 * KPI results are TEST observations (see kpi_observation()).  A KPI with no
 * evaluation at all (latest is null) has no result, so no observation.
 */
static int build_observations(struct oscal_ctx *c, json_t *result)
{
	json_t *observations = json_array();
	int r = observations ? 0 : -ENOMEM;
	size_t i;
	const json_t *e;
	json_array_foreach(c->evidence, i, e)
	{
		if (r == 0)
			r = run_observation(c, e, observations);
	}
	json_array_foreach(c->kpis, i, e)
	{
		if (r == 0 && json_is_object(json_object_get(e, "latest")))
			r = kpi_observation(c, e, observations);
	}
	if (r == 0) {
		r = set_array(result, "observations", observations);
		observations = NULL;
	}
	json_decref(observations);
	return r;
}

/* ---- findings ------------------------------------------------------------- */

static int shares_control(const json_t *a, const json_t *b)
{
	size_t i, j;
	const json_t *x, *y;
	json_array_foreach(a, i, x)
	{
		json_array_foreach(b, j, y)
		{
			if (json_is_string(x) && json_equal((json_t *)x, (json_t *)y))
				return 1;
		}
	}
	return 0;
}

static int add_related(json_t *related, const char *uuid)
{
	return append(related, json_pack("{s:s}", "observation-uuid", uuid));
}

/*
 * The observations a nonconformity rests on: the result of its own KPI,
 * the results of every other KPI of one of its controls, and for an
 * evidence gap ("gap:<source>") the runs of that source.  The model gives
 * no controls for runs, so runs are linked only through their source.
 */
static int related_observations(struct oscal_ctx *c, const json_t *nc, json_t *related)
{
	const char *kind = str_at(nc, "kind"), *key = str_at(nc, "key");
	const char *nc_kpi = str_at(nc, "kpi"), *nc_scope = str_at(nc, "scope");
	const json_t *controls = json_object_get(nc, "controls");
	int r = 0;
	size_t i;
	const json_t *e;
	json_array_foreach(c->kpis, i, e)
	{
		if (r < 0 || !json_is_object(json_object_get(e, "latest")))
			continue;
		const char *name = str_at(e, "name"), *scope = str_at(e, "scope");
		int own = kind && strcmp(kind, "kpi") == 0 && nc_kpi && name && strcmp(nc_kpi, name) == 0 &&
			  (nc_scope == NULL || (scope && strcmp(nc_scope, scope) == 0));
		if (own || shares_control(controls, json_object_get(e, "controls"))) {
			char uuid[UUID_STR];
			r = kpi_obs_uuid(c, e, uuid);
			if (r == 0)
				r = add_related(related, uuid);
		}
	}
	if (key != NULL && strncmp(key, "gap:", 4) == 0) {
		json_array_foreach(c->evidence, i, e)
		{
			const char *src = str_at(e, "source");
			if (r < 0 || src == NULL || strcmp(src, key + 4) != 0)
				continue;
			char uuid[UUID_STR], manifest[UUID_STR];
			r = run_uuids(e, uuid, manifest);
			if (r == 0)
				r = add_related(related, uuid);
		}
	}
	return r;
}

static int finding_description(const json_t *nc, const char *id, struct util_buf *d)
{
	char obsbuf[40], thrbuf[40];
	const char *observed = num_text(json_object_get(nc, "observed"), obsbuf);
	const char *threshold = num_text(json_object_get(nc, "threshold"), thrbuf);
	int r = text(d, "Nonconformity %s (%s, %s): %s.", id, or_dash(str_at(nc, "kind")),
		     or_dash(str_at(nc, "severity")), or_dash(str_at(nc, "title")));
	if (r == 0 && observed != NULL)
		r = text(d, " Observed %s against the threshold %s.", observed, or_dash(threshold));
	if (r == 0)
		r = text(d, " Detected %s, last updated %s; at the end of the period it is %s and its condition %s.",
			 or_dash(str_at(nc, "detected_at")), or_dash(str_at(nc, "updated_at")),
			 or_dash(str_at(nc, "state")), or_dash(str_at(nc, "condition")));
	if (r == 0 && str_at(nc, "closed_at") != NULL)
		r = text(d, " Closed %s.", str_at(nc, "closed_at"));
	if (r == 0 && str_at(nc, "owner") != NULL)
		r = text(d, " Owner: %s.", str_at(nc, "owner"));
	if (r == 0 && str_at(nc, "root_cause") != NULL)
		r = text(d, " Root cause: %s.", str_at(nc, "root_cause"));
	if (r == 0 && str_at(nc, "action") != NULL)
		r = text(d, " Corrective action: %s (owner %s, due %s).", str_at(nc, "action"),
			 or_dash(str_at(nc, "action_owner")), or_dash(str_at(nc, "due_at")));
	if (r == 0 && str_at(nc, "evidence") != NULL)
		r = text(d, " Evidence: %s.", str_at(nc, "evidence"));
	return r;
}

/* The state history, one line per event, as the finding's remarks. */
static int finding_history(const json_t *nc, struct util_buf *h)
{
	int r = 0;
	size_t i;
	const json_t *ev;
	json_array_foreach(json_object_get(nc, "history"), i, ev)
	{
		if (r == 0)
			r = text(h, "%s%s %s: %s (%s -> %s)", i ? "\n" : "", or_dash(str_at(ev, "at")),
				 or_dash(str_at(ev, "actor")), or_dash(str_at(ev, "event")),
				 or_dash(str_at(ev, "from")), or_dash(str_at(ev, "to")));
		if (r == 0 && str_at(ev, "note") != NULL)
			r = text(h, ": %s", str_at(ev, "note"));
	}
	return r;
}

/*
 * A finding targets its nonconformity's first control.  Annex A controls
 * are single requirements, so ismsd's catalog gives each control one
 * objective whose id is the control id: hence type "objective-id" with
 * target-id "a.<id>".  The other controls are listed as control-id props.
 */
static int build_finding(struct oscal_ctx *c, const json_t *nc, json_t *findings)
{
	char idbuf[40], uuid[UUID_STR], target[64] = "unmapped";
	const char *id = int_text(nc, "id", idbuf);
	const char *state = str_at(nc, "state");
	const json_t *controls = json_object_get(nc, "controls");
	int closed = state != NULL && strcmp(state, "closed") == 0;
	struct util_buf desc, hist, title;
	util_buf_init(&desc, TEXT_CAP);
	util_buf_init(&hist, TEXT_CAP);
	util_buf_init(&title, TEXT_CAP);
	json_t *f = NULL, *props = json_array(), *related = json_array();
	int r = 0;
	if (id == NULL)
		r = fail(c, -EINVAL, "report model: a nonconformity has no id");
	else if (props == NULL || related == NULL)
		r = -ENOMEM;
	if (r == 0)
		r = UUID5(uuid, "finding", "nc", id);
	if (r == 0)
		r = str_at(nc, "title") ? text(&title, "%s", str_at(nc, "title"))
					: text(&title, "Nonconformity %s", id);
	if (r == 0)
		r = finding_description(nc, id, &desc);
	if (r == 0)
		r = finding_history(nc, &hist);
	if (r == 0)
		r = ADD_PROPS(props, "nc-id", id, "nc-key", str_at(nc, "key"), "nc-kind", str_at(nc, "kind"),
			      "severity", str_at(nc, "severity"), "state", state, "condition", str_at(nc, "condition"));
	size_t i;
	const json_t *ctl;
	json_array_foreach(controls, i, ctl)
	{
		char cid[64];
		if (r < 0 || !json_is_string(ctl))
			continue;
		control_id(json_string_value(ctl), cid, sizeof(cid));
		if (strcmp(target, "unmapped") == 0)
			snprintf(target, sizeof(target), "%s", cid);
		r = add_prop(props, "control-id", cid);
	}
	if (r == 0)
		r = related_observations(c, nc, related);
	if (r == 0) {
		f = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}}}", "uuid", uuid, "title", title.data,
			      "description", desc.data, "target", "type", "objective-id", "target-id", target, "status",
			      "state", closed ? "satisfied" : "not-satisfied", "reason", closed ? "pass" : "fail");
		r = f ? 0 : -ENOMEM;
	}
	if (r == 0 && closed)
		r = set_str(json_object_get(json_object_get(f, "target"), "status"), "remarks",
			    "The nonconformity was corrected and closed.");
	if (r == 0 && strcmp(target, "unmapped") == 0)
		r = set_str(json_object_get(f, "target"), "remarks", "The nonconformity names no Annex A control.");
	if (r == 0)
		r = add_origin(c, f);
	if (r == 0) {
		r = set_array(f, "props", props);
		props = NULL;
	}
	if (r == 0) {
		r = set_array(f, "related-observations", related);
		related = NULL;
	}
	if (r == 0 && hist.len > 0)
		r = set_str(f, "remarks", hist.data);
	if (r == 0) {
		r = append(findings, f);
		f = NULL;
	}
	json_decref(f);
	json_decref(props);
	json_decref(related);
	util_buf_free(&desc);
	util_buf_free(&hist);
	util_buf_free(&title);
	return r;
}

static int build_findings(struct oscal_ctx *c, json_t *result)
{
	json_t *findings = json_array();
	int r = findings ? 0 : -ENOMEM;
	size_t i;
	const json_t *nc;
	json_array_foreach(c->ncs, i, nc)
	{
		if (r == 0)
			r = build_finding(c, nc, findings);
	}
	if (r == 0) {
		r = set_array(result, "findings", findings);
		findings = NULL;
	}
	json_decref(findings);
	return r;
}

/* ---- the result ----------------------------------------------------------- */

/*
 * NIST publishes no OSCAL catalog for ISO/IEC 27001 Annex A (the text is
 * ISO's copyright), so the control ids ("a.5.1" .. "a.8.34": "a." and the
 * Annex A id) refer to ismsd's own catalog, not to a NIST one.  A consumer
 * that resolves the import chain needs that catalog (or a profile mapping
 * it to its own).
 */
static int build_reviewed_controls(struct oscal_ctx *c, json_t *result)
{
	json_t *include = json_array();
	int r = include ? 0 : -ENOMEM;
	size_t i;
	const json_t *e;
	json_array_foreach(c->soa, i, e)
	{
		const char *id = str_at(e, "id"), *status = str_at(e, "status");
		if (r < 0 || id == NULL || json_is_false(json_object_get(e, "applicable")) ||
		    (status != NULL && strcmp(status, "not-applicable") == 0))
			continue;
		char cid[64];
		control_id(id, cid, sizeof(cid));
		r = append(include, json_pack("{s:s}", "control-id", cid));
	}
	json_t *sel = r == 0 ? json_pack("{s:s}", "description",
					 "The ISO/IEC 27001:2022 Annex A controls that the Statement of "
					 "Applicability does not exclude.")
			     : NULL;
	if (r == 0 && sel == NULL)
		r = -ENOMEM;
	if (r == 0) {
		r = set_array(sel, "include-controls", include);
		include = NULL;
	}
	if (r == 0) {
		json_t *rc = json_pack("{s:[O], s:s}", "control-selections", sel, "remarks",
				       "Control ids are \"a.\" followed by the ISO/IEC 27001:2022 Annex A id. NIST "
				       "publishes no OSCAL catalog for ISO/IEC 27001, so they refer to ismsd's own "
				       "Annex A catalog.");
		r = rc && json_object_set_new(result, "reviewed-controls", rc) == 0 ? 0 : -ENOMEM;
	}
	json_decref(sel);
	json_decref(include);
	return r;
}

static int result_description(struct oscal_ctx *c, struct util_buf *d)
{
	const json_t *period = json_object_get(c->report, "period");
	size_t with_result = 0, i;
	const json_t *k;
	json_array_foreach(c->kpis, i, k)
	{
		if (json_is_object(json_object_get(k, "latest")))
			with_result++;
	}
	size_t open = 0;
	json_array_foreach(c->ncs, i, k)
	{
		const char *state = str_at(k, "state");
		if (state == NULL || strcmp(state, "closed") != 0)
			open++;
	}
	return text(d,
		    "Evidence collected and judged by ismsd from %s to %s (the end is exclusive): %zu committed "
		    "collection run(s), %zu KPI result(s) of %zu KPI(s), and %zu nonconformity(ies), %zu of them not "
		    "closed at the end of the period.",
		    str_at(period, "start"), str_at(period, "end"), json_array_size(c->evidence), with_result,
		    json_array_size(c->kpis), json_array_size(c->ncs), open);
}

static int build_result(struct oscal_ctx *c, json_t *doc)
{
	const json_t *period = json_object_get(c->report, "period");
	const json_t *chain = json_object_get(c->report, "chain");
	char uuid[UUID_STR], b1[40], b2[40], b3[40], b4[40];
	struct util_buf title, desc;
	util_buf_init(&title, TEXT_CAP);
	util_buf_init(&desc, TEXT_CAP);
	json_t *result = NULL, *props = json_array(), *local = json_object();
	int r = props && local ? 0 : -ENOMEM;
	/* The result is the period's: its UUID stays the same when the period
	 * is exported again after more runs were chained. */
	if (r == 0)
		r = UUID5(uuid, "result", c->label);
	if (r == 0)
		r = text(&title, "ISMS evidence for %s", c->label);
	if (r == 0)
		r = result_description(c, &desc);
	if (r == 0)
		r = ADD_PROPS(props, "chain-head-seq", int_text(chain, "head_seq", b1), "chain-head-sha256",
			      str_at(chain, "head_sha256"), "chain-key-fingerprint", str_at(chain, "key_fingerprint"),
			      "chain-runs-in-period", int_text(chain, "runs_in_period", b2), "chain-first-seq",
			      int_text(chain, "first_seq", b3), "chain-last-seq", int_text(chain, "last_seq", b4));
	if (r == 0) {
		result = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "uuid", uuid, "title", title.data, "description",
				   desc.data, "start", str_at(period, "start"), "end", str_at(period, "end"), "remarks",
				   "The end is exclusive: it is the first instant after the period.");
		r = result ? 0 : -ENOMEM;
	}
	if (r == 0) {
		r = set_array(result, "props", props);
		props = NULL;
	}
	if (r == 0)
		r = build_sources(c, local);
	if (r == 0)
		r = build_tool(c, local);
	if (r == 0) {
		r = json_object_set_new(result, "local-definitions", local) < 0 ? -ENOMEM : 0;
		local = NULL;
	}
	if (r == 0)
		r = build_reviewed_controls(c, result);
	if (r == 0)
		r = build_observations(c, result);
	if (r == 0)
		r = build_findings(c, result);
	if (r == 0) {
		json_t *results = json_array();
		r = append(results, result);
		result = NULL;
		if (r == 0)
			r = json_object_set_new(doc, "results", results) < 0 ? -ENOMEM : 0;
		else
			json_decref(results);
	}
	json_decref(result);
	json_decref(props);
	json_decref(local);
	util_buf_free(&title);
	util_buf_free(&desc);
	return r;
}

/* ---- back-matter ---------------------------------------------------------- */

/* A resource with one rlink {href, media-type?, hashes: [SHA-256]?}; a NULL
 * sha256 leaves the hashes out. */
static json_t *hashed_resource(const char *uuid, const char *title, const char *href, const char *media_type,
			       const char *sha256)
{
	json_t *res = json_pack("{s:s, s:s}", "uuid", uuid, "title", title);
	json_t *rlink = json_pack("{s:s, s:s*}", "href", href, "media-type", media_type);
	if (res == NULL || rlink == NULL)
		goto fail;
	if (sha256 != NULL) {
		json_t *hashes = json_pack("[{s:s, s:s}]", "algorithm", "SHA-256", "value", sha256);
		if (hashes == NULL || json_object_set_new(rlink, "hashes", hashes) < 0)
			goto fail;
	}
	json_t *rlinks = json_array();
	if (append(rlinks, rlink) < 0) {
		json_decref(rlinks);
		rlink = NULL;
		goto fail;
	}
	rlink = NULL;
	if (json_object_set_new(res, "rlinks", rlinks) < 0)
		goto fail;
	return res;
fail:
	json_decref(rlink);
	json_decref(res);
	return NULL;
}

static int run_resources(struct oscal_ctx *c, const json_t *run, json_t *resources)
{
	char runbuf[40], obs[UUID_STR], manifest[UUID_STR];
	const char *id = int_text(run, "run", runbuf);
	const char *sha = str_at(run, "manifest_sha256");
	char *title = NULL, *href = NULL;
	json_t *res = NULL;
	int r = run_uuids(run, obs, manifest);
	if (r < 0)
		return fail(c, r, "report model: an evidence run has no run id");
	if (sha != NULL && !is_sha256_hex(sha))
		return fail(c, -EINVAL, "report model: run %s has a malformed manifest_sha256", id);
	if (asprintf(&title, "Manifest of collection run %s", id) < 0)
		title = NULL;
	/* In the audit pack this document is data/reports/assessment-results.json
	 * and each run's manifest data/manifests/run-<run>.json: hrefs are
	 * relative to the document. */
	if (asprintf(&href, "../manifests/run-%s.json", id) < 0)
		href = NULL;
	res = title && href ? hashed_resource(manifest, title, href, "application/json", sha) : NULL;
	r = res ? 0 : -ENOMEM;
	if (r == 0 && sha == NULL)
		r = set_str(res, "remarks",
			    "No manifest hash was recorded for this run (it is not in the evidence chain), so this "
			    "resource has no hash and the audit pack may not contain the manifest.");
	if (r == 0) {
		r = append(resources, res);
		res = NULL;
	}
	json_decref(res);
	free(title);
	free(href);
	size_t i;
	const json_t *page;
	json_array_foreach(json_object_get(run, "page_hashes"), i, page)
	{
		char pidbuf[40], sizebuf[40], puuid[UUID_STR];
		const char *pid = int_text(page, "id", pidbuf);
		const char *psha = str_at(page, "sha256");
		const char *size = int_text(page, "size", sizebuf);
		int pruned = json_is_true(json_object_get(page, "pruned"));
		json_t *props = NULL;
		title = href = NULL;
		if (r < 0)
			break;
		if (pid == NULL || (psha != NULL && !is_sha256_hex(psha))) {
			r = fail(c, -EINVAL, "report model: a page of run %s has no id or a malformed sha256", id);
			break;
		}
		r = UUID5(puuid, "resource", "page", pid);
		if (r == 0 && asprintf(&title, "Raw page %s of collection run %s", pid, id) < 0)
			title = NULL;
		if (r == 0 && psha != NULL && asprintf(&href, "../blobs/%s", psha) < 0)
			href = NULL;
		if (r == 0 && psha != NULL)
			res = title && href ? hashed_resource(puuid, title, href, NULL, psha) : NULL;
		else if (r == 0)
			res = title ? json_pack("{s:s, s:s, s:s}", "uuid", puuid, "title", title, "remarks",
						"No hash was recorded for this page.")
				    : NULL;
		if (r == 0 && res == NULL)
			r = -ENOMEM;
		props = json_array();
		if (r == 0 && props == NULL)
			r = -ENOMEM;
		if (r == 0)
			r = ADD_PROPS(props, "run-id", id, "page-id", pid, "size", size, "pruned",
				      pruned ? "true" : "false");
		if (r == 0) {
			r = set_array(res, "props", props);
			props = NULL;
		}
		if (r == 0 && pruned && psha != NULL)
			r = set_str(res, "remarks",
				    "The page content was pruned by retention; its hash remains in the evidence chain "
				    "but the audit pack does not contain the blob.");
		if (r == 0) {
			r = append(resources, res);
			res = NULL;
		}
		json_decref(props);
		json_decref(res);
		res = NULL;
		free(title);
		free(href);
	}
	return r;
}

/*
 * import-ap points at a back-matter resource ("#<uuid>") rather than at a
 * file: ismsd does not emit an OSCAL assessment plan, its configuration
 * (sources and schedules, KPI thresholds, the maintenance calendar, the
 * SoA) is the plan.  A fragment always resolves inside this document, where
 * a file name such as "assessment-plan.json" would dangle.
 */
static int plan_resource(json_t *resources, char uuid[UUID_STR])
{
	int r = UUID5(uuid, "resource", "assessment-plan");
	if (r < 0)
		return r;
	return append(resources,
		      json_pack("{s:s, s:s, s:s}", "uuid", uuid, "title", "Assessment plan: the ismsd configuration",
				"remarks",
				"ismsd emits no separate OSCAL assessment plan. The plan is its configuration: "
				"the evidence sources and their schedules, the KPIs and their thresholds, the "
				"maintenance calendar and the Statement of Applicability."));
}

static int build_back_matter(struct oscal_ctx *c, json_t *doc)
{
	char plan[UUID_STR], href[UUID_STR + 1];
	json_t *resources = json_array();
	int r = resources ? 0 : -ENOMEM;
	if (r == 0)
		r = plan_resource(resources, plan);
	size_t i;
	const json_t *run;
	json_array_foreach(c->evidence, i, run)
	{
		if (r == 0)
			r = run_resources(c, run, resources);
	}
	if (r == 0) {
		snprintf(href, sizeof(href), "#%s", plan);
		json_t *ap = json_pack("{s:s}", "href", href);
		r = ap && json_object_set_new(doc, "import-ap", ap) == 0 ? 0 : -ENOMEM;
	}
	if (r == 0) {
		json_t *bm = json_pack("{s:O}", "resources", resources);
		r = bm && json_object_set_new(doc, "back-matter", bm) == 0 ? 0 : -ENOMEM;
	}
	json_decref(resources);
	return r;
}

/* ---- the document --------------------------------------------------------- */

static int ctx_init(struct oscal_ctx *c, const json_t *model)
{
	c->report = json_object_get(model, "report");
	const json_t *period = json_object_get(c->report, "period");
	c->label = str_at(period, "label");
	c->kpis = json_object_get(model, "kpis");
	c->soa = json_object_get(model, "soa");
	c->ncs = json_object_get(model, "nonconformities");
	c->evidence = json_object_get(model, "evidence");
	c->collectors = json_object_get(model, "collectors");
	if (!json_is_object(c->report) || !json_is_object(period) || c->label == NULL)
		return fail(c, -EINVAL, "report model: no report.period.label");
	if (!is_utc_time(str_at(period, "start")) || !is_utc_time(str_at(period, "end")))
		return fail(c, -EINVAL, "report model: report.period.start/end are not RFC 3339 UTC times");
	if (!is_utc_time(str_at(c->report, "generated_at")))
		return fail(c, -EINVAL, "report model: report.generated_at is not an RFC 3339 UTC time");
	static const char *const arrays[] = {"kpis", "soa", "nonconformities", "evidence"};
	for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
		if (!json_is_array(json_object_get(model, arrays[i])))
			return fail(c, -EINVAL, "report model: no \"%s\" array", arrays[i]);
	}
	if (c->collectors != NULL && !json_is_array(c->collectors))
		return fail(c, -EINVAL, "report model: \"collectors\" is not an array");
	return UUID5(c->tool_uuid, "component", "tool", "ismsd");
}

/* The document's UUID names the period, the report kind and the chain head
 * it was made from: the same store state gives the same UUID, a later state
 * (more runs chained) a new one. */
static int document_uuid(struct oscal_ctx *c, char out[UUID_STR])
{
	const char *head = str_at(json_object_get(c->report, "chain"), "head_sha256");
	const char *kind = str_at(c->report, "kind");
	return UUID5(out, "document", c->label, head ? head : "none", kind ? kind : "report");
}

int report_oscal_write(const json_t *model, FILE *out, char *err, size_t errlen)
{
	struct oscal_ctx c = {.err = err, .errlen = errlen};
	char uuid[UUID_STR];
	json_t *ar = NULL, *root = NULL;
	if (errlen > 0)
		err[0] = '\0';
	int r = json_is_object(model) ? ctx_init(&c, model) : fail(&c, -EINVAL, "report model: not an object");
	if (r == 0)
		r = document_uuid(&c, uuid);
	if (r == 0) {
		ar = json_pack("{s:s}", "uuid", uuid);
		r = ar ? 0 : -ENOMEM;
	}
	if (r == 0)
		r = build_metadata(&c, ar);
	if (r == 0)
		r = build_result(&c, ar);
	if (r == 0)
		r = build_back_matter(&c, ar);
	if (r == 0) {
		root = json_pack("{s:O}", "assessment-results", ar);
		r = root ? 0 : -ENOMEM;
	}
	if (r == 0) {
		errno = 0;
		if (json_dumpf(root, out, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 || fputc('\n', out) == EOF ||
		    fflush(out) == EOF || ferror(out)) {
			r = errno ? -errno : -EIO;
			fail(&c, r, "writing the OSCAL document: %s", strerror(-r));
		}
	}
	if (r == -ENOMEM)
		fail(&c, r, "out of memory");
	else if (r < 0)
		fail(&c, r, "report_oscal: %s", strerror(-r));
	json_decref(root);
	json_decref(ar);
	return r;
}
