/*
 * ismsctl.c: the operator's command-line tool.  It reads the configuration
 * (without touching secrets) and opens the evidence store read-only, so it
 * is safe to run while ismsd writes.  Every listing takes --json and prints
 * stable JSON on stdout; errors go to stderr with a non-zero exit.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "calendar.h"
#include "chain.h"
#include "collector.h"
#include "controls.h"
#include "daemon.h"
#include "deliver.h"
#include "kpi.h"
#include "log.h"
#include "nc.h"
#include "pack.h"
#include "report.h"
#include "sched.h"
#include "soa.h"
#include "store.h"
#include "util.h"

#define EXIT_USAGE 2
#define EXIT_VERIFY_FAILED 3 /* verify found a problem (1 means it could not check) */

struct ctl {
	const char *config_path;
	int json;
	int raw;
	const char *source;
	const char *kind;
	const char *state;
	const char *by;
	const char *note;
	const char *root_cause;
	const char *action;
	const char *owner;
	const char *due;
	const char *file;
	const char *key_path;
	const char *tsa_ca;
	const char *pack;
	const char *period;
	const char *format;
	const char *out;
	int64_t run_id;
	unsigned limit;
	struct config *cfg;
	struct store *store;
	struct chain_key *key;
	char store_path[4096];
};

static int usage(FILE *f)
{
	fprintf(f, "usage: ismsctl [--config FILE] [--json] COMMAND\n"
		   "commands:\n"
		   "  status                          sources, last run and outcome, next due time\n"
		   "  runs list [--source S] [--limit N]\n"
		   "  evidence list [--source S] [--kind K] [--run ID] [--limit N]\n"
		   "  evidence show ID [--raw]        one item with its facts (--raw: the page bytes)\n"
		   "  kpi list                        the latest value and verdict of every KPI\n"
		   "  nc list [--state S]             nonconformities (S: open = not closed, or a state)\n"
		   "  nc show ID                      one nonconformity with its history\n"
		   "  nc ack ID [--note TEXT]\n"
		   "  nc plan ID --root-cause TEXT --action TEXT --owner NAME --due YYYY-MM-DD [--note TEXT]\n"
		   "  nc resolve ID --note TEXT       the corrective action is done\n"
		   "  nc close ID --note TEXT         its effectiveness is verified\n"
		   "  nc reopen ID --note TEXT\n"
		   "  controls                        the 93 Annex A controls: SoA, evidence, KPIs, open NCs\n"
		   "  activity list                   the maintenance calendar: last done, next due, overdue\n"
		   "  attest ACTIVITY --file F --note TEXT   record a manual activity (stores F's SHA-256)\n"
		   "  webhook list                    each webhook: pending, delivered, dead, last error\n"
		   "  webhook deliveries [NAME] [--state S] [--limit N]   events per webhook (S: pending,\n"
		   "                                  delivered, dead, skipped)\n"
		   "  webhook retry NAME [EVENT]      send dead-lettered events again (all, or one outbox id)\n"
		   "  webhook test NAME               queue a webhook.test event for that webhook only\n"
		   "  report --period P [--kind K] [--format F] --out PATH   an evidence report; P: 2026, 2026-Q3,\n"
		   "                                  2026-10; K: period, kpi-monthly, management-review, annual;\n"
		   "                                  F: html (default), json, csv (PATH is a directory), oscal\n"
		   "  export --period P --out DIR|FILE.tar   an audit pack (BagIt): evidence, manifests, reports\n"
		   "  verify [--key PUB.pem]          re-hash the evidence and walk the signed manifest chain\n"
		   "  verify --pack DIR|FILE.tar [--key PUB.pem] [--tsa-ca CA.pem]   check an audit pack offline\n"
		   "  (changes take --by NAME; the default is $SUDO_USER or $USER)\n"
		   "  version\n");
	return f == stderr ? EXIT_USAGE : 0;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ismsctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

static int print_json(json_t *j)
{
	int r = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	return r == 0 && fflush(stdout) == 0 ? 0 : fail("cannot write output");
}

static int load_config(struct ctl *c)
{
	struct config_errors errs = { 0 };
	c->cfg = daemon_config_load(c->config_path, 0, &errs);
	if (c->cfg == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		config_errors_free(&errs);
		return fail("configuration %s has errors", c->config_path);
	}
	if (daemon_store_path(c->cfg, c->store_path, sizeof(c->store_path)) < 0)
		return fail("state_dir is too long");
	return 0;
}

/* Returns 0, or -1 after printing why. */
static int open_store_flags(struct ctl *c, int must_exist, unsigned flags)
{
	if (!must_exist && access(c->store_path, F_OK) != 0)
		return 0;
	if (access(c->store_path, F_OK) != 0) {
		fail("no evidence store at %s yet (has ismsd run?)", c->store_path);
		return -1;
	}
	char err[512];
	if (store_open(c->store_path, flags, &c->store, err, sizeof(err)) < 0) {
		fail("%s", err);
		return -1;
	}
	return 0;
}

/* Read-only unless a command changes state. */
static int open_store(struct ctl *c, int must_exist)
{
	return open_store_flags(c, must_exist, STORE_READONLY);
}

/* After writing an outbox event: wakes the running daemon (SIGUSR1) so that
 * it delivers now, not at its next outbox poll.  The pid in the lock file is
 * trusted only while the lock is held; anything that fails (no daemon, not
 * allowed to signal it) leaves the poll to do it. */
static void wake_daemon(struct ctl *c)
{
	char path[4200], buf[32] = "";
	snprintf(path, sizeof(path), "%s/ismsd.lock", c->cfg->daemon.state_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK) {
		close(fd); /* not held: no daemon */
		return;
	}
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	long pid = n > 0 ? strtol(buf, NULL, 10) : 0;
	if (pid > 1)
		(void)kill((pid_t)pid, SIGUSR1);
}

static const char *str_or(json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : def;
}

/* ---- status ----------------------------------------------------------------- */

static int cmd_status(struct ctl *c)
{
	if (open_store(c, 0) < 0)
		return 1;
	json_t *summary = NULL;
	if (c->store != NULL && store_source_summary(c->store, &summary) < 0)
		return fail("cannot read the store: %s", store_errmsg(c->store));
	time_t now = util_now();
	json_t *sources = json_array();
	for (const struct config_section *s = config_next(c->cfg, "source", NULL); s; s = config_next(c->cfg, "source", s)) {
		const char *type = config_get(s, "type");
		const struct collector_ops *ops = collector_ops_lookup(type);
		const char *sched = config_get_default(s, "schedule", ops->default_schedule);
		int enabled = config_get_bool(s, "enabled", 1);
		json_t *sum = json_object_get(summary, s->name);
		json_t *last = json_object_get(sum, "last_run");
		json_t *next = json_null();
		if (enabled) {
			struct sched_cadence cad;
			char err[256];
			time_t last_start = 0;
			const char *ls = str_or(last, "started_at", NULL);
			if (ls != NULL)
				util_time_parse(ls, &last_start);
			if (sched_cadence_parse(sched, &cad, err, sizeof(err)) == 0) {
				char buf[UTIL_ISO_TIME_LEN];
				util_time_iso(sched_next_due(&cad, last_start, now, c->cfg->daemon.timezone), buf);
				next = json_string(buf);
			}
		}
		json_t *lr = json_null();
		if (last != NULL)
			lr = json_pack("{s:O, s:O, s:O, s:O, s:O}", "id", json_object_get(last, "id"), "started_at",
				       json_object_get(last, "started_at"), "finished_at",
				       json_object_get(last, "finished_at"), "outcome", json_object_get(last, "outcome"),
				       "error", json_object_get(last, "error"));
		json_t *ls = json_object_get(sum, "last_success");
		json_array_append_new(sources, json_pack("{s:s, s:s, s:s, s:b, s:o, s:O, s:o}", "name", s->name, "type",
							 type, "schedule", sched, "enabled", enabled, "last_run", lr,
							 "last_success", ls ? ls : json_null(), "next_due", next));
	}
	json_decref(summary);
	int r = 0;
	if (c->json) {
		json_t *out = json_pack("{s:s, s:s, s:o}", "config", c->config_path, "store", c->store_path,
					"sources", sources);
		r = print_json(out);
		json_decref(out);
		return r;
	}
	printf("config: %s\nstore:  %s%s\n\n", c->config_path, c->store_path,
	       c->store ? "" : " (not created yet)");
	printf("%-20s %-18s %-9s %-21s %-11s %-21s\n", "SOURCE", "TYPE", "ENABLED", "LAST RUN", "OUTCOME", "NEXT DUE");
	size_t i;
	json_t *e;
	json_array_foreach(sources, i, e)
	{
		json_t *lr = json_object_get(e, "last_run");
		printf("%-20s %-18s %-9s %-21s %-11s %-21s\n", str_or(e, "name", ""), str_or(e, "type", ""),
		       json_is_true(json_object_get(e, "enabled")) ? "yes" : "no", str_or(lr, "started_at", "-"),
		       str_or(lr, "outcome", "-"), str_or(e, "next_due", "-"));
		const char *err = str_or(lr, "error", NULL);
		if (err != NULL)
			printf("    error: %s\n", err);
	}
	json_decref(sources);
	return r;
}

/* ---- runs and evidence ------------------------------------------------------- */

static int cmd_runs_list(struct ctl *c)
{
	if (open_store(c, 1) < 0)
		return 1;
	json_t *runs = NULL;
	if (store_list_runs(c->store, c->source, c->limit, &runs) < 0)
		return fail("cannot read runs: %s", store_errmsg(c->store));
	int r = 0;
	if (c->json) {
		r = print_json(runs);
	} else {
		printf("%-8s %-20s %-16s %-21s %-21s %-11s %8s\n", "RUN", "SOURCE", "TYPE", "STARTED", "FINISHED",
		       "OUTCOME", "ITEMS");
		size_t i;
		json_t *e;
		json_array_foreach(runs, i, e)
		{
			printf("%-8" JSON_INTEGER_FORMAT " %-20s %-16s %-21s %-21s %-11s %8" JSON_INTEGER_FORMAT "\n",
			       json_integer_value(json_object_get(e, "id")), str_or(e, "source", ""),
			       str_or(e, "type", ""), str_or(e, "started_at", "-"), str_or(e, "finished_at", "-"),
			       str_or(e, "outcome", ""), json_integer_value(json_object_get(e, "items")));
			const char *err = str_or(e, "error", NULL);
			if (err != NULL)
				printf("         error: %s\n", err);
		}
	}
	json_decref(runs);
	return r;
}

static int cmd_evidence_list(struct ctl *c)
{
	if (open_store(c, 1) < 0)
		return 1;
	struct store_evidence_filter f = { c->source, c->kind, c->run_id, c->limit };
	json_t *items = NULL;
	if (store_list_evidence(c->store, &f, &items) < 0)
		return fail("cannot read evidence: %s", store_errmsg(c->store));
	int r = 0;
	if (c->json) {
		r = print_json(items);
	} else {
		printf("%-8s %-6s %-20s %-20s %-21s %s\n", "ID", "RUN", "SOURCE", "KIND", "COLLECTED", "SHA-256");
		size_t i;
		json_t *e;
		json_array_foreach(items, i, e)
		printf("%-8" JSON_INTEGER_FORMAT " %-6" JSON_INTEGER_FORMAT " %-20s %-20s %-21s %s\n",
		       json_integer_value(json_object_get(e, "id")), json_integer_value(json_object_get(e, "run_id")),
		       str_or(e, "source", ""), str_or(e, "kind", ""), str_or(e, "collected_at", ""),
		       str_or(e, "sha256", ""));
	}
	json_decref(items);
	return r;
}

static int parse_id(const char *s, int64_t *id)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v <= 0)
		return -1;
	*id = v;
	return 0;
}

static int cmd_evidence_show(struct ctl *c, const char *arg)
{
	int64_t id;
	if (parse_id(arg, &id) < 0)
		return fail("'%s' is not an evidence id", arg);
	if (open_store(c, 1) < 0)
		return 1;
	if (c->raw) {
		char *data = NULL;
		size_t len = 0;
		int rr = store_get_page_body(c->store, id, &data, &len);
		if (rr == -ENOENT)
			return fail("evidence %s is not a committed raw page", arg);
		if (rr < 0)
			return fail("cannot read evidence %s: %s", arg, store_errmsg(c->store));
		size_t w = fwrite(data, 1, len, stdout);
		free(data);
		return w == len && fflush(stdout) == 0 ? 0 : fail("cannot write output");
	}
	json_t *item = NULL;
	int rr = store_get_evidence(c->store, id, &item);
	if (rr == -ENOENT)
		return fail("no committed evidence with id %s", arg);
	if (rr < 0)
		return fail("cannot read evidence %s: %s", arg, store_errmsg(c->store));
	int r = 0;
	if (c->json) {
		r = print_json(item);
	} else {
		const char *key;
		json_t *v;
		json_object_foreach(item, key, v)
		{
			if (strcmp(key, "facts") == 0)
				continue;
			char *txt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			printf("%-13s %s\n", key, txt ? txt : "");
			free(txt);
		}
		json_t *facts = json_object_get(item, "facts");
		if (facts != NULL) {
			printf("facts:\n");
			json_dumpf(facts, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
			printf("\n");
		}
	}
	json_decref(item);
	return r;
}

/* ---- KPIs and nonconformities --------------------------------------------------- */

static int cmd_kpi_list(struct ctl *c)
{
	if (open_store(c, 1) < 0)
		return 1;
	json_t *list = NULL;
	if (kpi_latest(c->store, c->cfg, &list) < 0)
		return fail("cannot read KPIs: %s", store_errmsg(c->store));
	int r = 0;
	if (c->json) {
		r = print_json(list);
	} else {
		printf("%-30s %-10s %-9s %12s %12s %-6s\n", "KPI", "SCOPE", "VERDICT", "VALUE", "THRESHOLD", "UNIT");
		size_t i;
		json_t *e;
		json_array_foreach(list, i, e)
		{
			json_t *v = json_object_get(e, "value");
			char vb[32] = "-";
			if (json_is_number(v))
				snprintf(vb, sizeof(vb), "%.2f", json_number_value(v));
			char tb[40];
			snprintf(tb, sizeof(tb), "%s %.2f", str_or(e, "op", ""),
				 json_number_value(json_object_get(e, "threshold")));
			printf("%-30s %-10s %-9s %12s %12s %-6s\n", str_or(e, "kpi", ""), str_or(e, "scope", ""),
			       str_or(e, "verdict", ""), vb, tb, str_or(e, "unit", ""));
		}
	}
	json_decref(list);
	return r;
}

static int cmd_nc_list(struct ctl *c)
{
	static const char *const states[] = { "open", "acknowledged", "action-planned", "resolved", "closed", NULL };
	if (c->state != NULL) {
		size_t i = 0;
		while (states[i] && strcmp(states[i], c->state) != 0)
			i++;
		if (states[i] == NULL)
			return fail("--state takes open, acknowledged, action-planned, resolved or closed");
	}
	if (open_store(c, 1) < 0)
		return 1;
	json_t *list = NULL;
	if (nc_list(c->store, c->state, &list) < 0)
		return fail("cannot read nonconformities: %s", store_errmsg(c->store));
	int r = 0;
	if (c->json) {
		r = print_json(list);
	} else {
		printf("%-5s %-15s %-10s %-8s %-21s %s\n", "ID", "STATE", "CONDITION", "SEVERITY", "DETECTED", "TITLE");
		size_t i;
		json_t *e;
		json_array_foreach(list, i, e)
		printf("%-5" JSON_INTEGER_FORMAT " %-15s %-10s %-8s %-21s %s\n", json_integer_value(json_object_get(e, "id")),
		       str_or(e, "state", ""), str_or(e, "condition", ""), str_or(e, "severity", ""),
		       str_or(e, "detected_at", ""), str_or(e, "title", ""));
	}
	json_decref(list);
	return r;
}

static int cmd_nc_show(struct ctl *c, const char *arg)
{
	int64_t id;
	if (parse_id(arg, &id) < 0)
		return fail("'%s' is not a nonconformity id", arg);
	if (open_store(c, 1) < 0)
		return 1;
	json_t *nc = NULL;
	int rr = nc_get(c->store, id, &nc);
	if (rr == -ENOENT)
		return fail("no nonconformity %s", arg);
	if (rr < 0)
		return fail("cannot read nonconformity %s: %s", arg, store_errmsg(c->store));
	int r = 0;
	if (c->json) {
		r = print_json(nc);
	} else {
		printf("nonconformity %s: %s\n", arg, str_or(nc, "title", ""));
		printf("state: %s (condition %s), severity %s, owner %s\n", str_or(nc, "state", ""),
		       str_or(nc, "condition", ""), str_or(nc, "severity", ""), str_or(nc, "owner", "-"));
		char *controls = json_dumps(json_object_get(nc, "controls"), JSON_COMPACT);
		printf("controls: %s\ndetected: %s\n", controls ? controls : "", str_or(nc, "detected_at", ""));
		free(controls);
		json_t *ca = json_object_get(nc, "corrective_action");
		if (str_or(ca, "action", NULL))
			printf("corrective action: %s (root cause: %s; owner %s; due %s)\n", str_or(ca, "action", ""),
			       str_or(ca, "root_cause", ""), str_or(ca, "owner", ""), str_or(ca, "due_at", ""));
		printf("history:\n");
		size_t i;
		json_t *h;
		json_array_foreach(json_object_get(nc, "history"), i, h)
		printf("  %s %-12s %-15s -> %-15s %s: %s\n", str_or(h, "at", ""), str_or(h, "event", ""),
		       str_or(h, "from", "-"), str_or(h, "to", ""), str_or(h, "actor", ""), str_or(h, "note", ""));
	}
	json_decref(nc);
	return r;
}

static const char *actor_name(const struct ctl *c)
{
	if (c->by)
		return c->by;
	const char *u = getenv("SUDO_USER");
	if (u == NULL || *u == '\0')
		u = getenv("USER");
	return u && *u ? u : "operator";
}

static int cmd_nc_change(struct ctl *c, const char *verb, const char *arg)
{
	int64_t id;
	if (parse_id(arg, &id) < 0)
		return fail("'%s' is not a nonconformity id", arg);
	enum nc_action a = strcmp(verb, "ack") == 0	  ? NC_ACK
			   : strcmp(verb, "plan") == 0	  ? NC_PLAN
			   : strcmp(verb, "resolve") == 0 ? NC_RESOLVE
			   : strcmp(verb, "close") == 0	  ? NC_CLOSE
							  : NC_REOPEN;
	struct nc_plan plan = { c->root_cause, c->action, c->owner, 0 };
	if (a == NC_PLAN) {
		char buf[64];
		if (c->due == NULL)
			return fail("nc plan needs --due YYYY-MM-DD");
		snprintf(buf, sizeof(buf), strlen(c->due) == 10 ? "%sT23:59:59Z" : "%s", c->due);
		if (util_time_parse(buf, &plan.due) < 0)
			return fail("--due '%s' is not a date (YYYY-MM-DD or an RFC 3339 time)", c->due);
	}
	if (open_store_flags(c, 1, 0) < 0)
		return 1;
	char err[512];
	int r = nc_transition(c->store, id, a, actor_name(c), c->note, &plan, util_now(), err, sizeof(err));
	if (r < 0)
		return fail("%s", err);
	wake_daemon(c);
	json_t *nc = NULL;
	if (nc_get(c->store, id, &nc) < 0)
		return fail("cannot read nonconformity %s back", arg);
	int rr = 0;
	if (c->json)
		rr = print_json(nc);
	else
		printf("nonconformity %s is now %s\n", arg, str_or(nc, "state", ""));
	json_decref(nc);
	return rr;
}

static int cmd_controls(struct ctl *c)
{
	struct config_errors errs = { 0 };
	struct soa *soa = NULL;
	if (daemon_soa_load(c->cfg, &soa, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		config_errors_free(&errs);
		return fail("the Statement of Applicability has errors");
	}
	if (open_store(c, 1) < 0) {
		soa_free(soa);
		return 1;
	}
	json_t *list = NULL;
	int rr = controls_list(c->store, c->cfg, soa, &list);
	soa_free(soa);
	if (rr < 0)
		return fail("cannot read the store: %s", store_errmsg(c->store));
	int r = 0;
	if (c->json) {
		r = print_json(list);
	} else {
		printf("%-6s %-10s %-16s %9s %-21s %-5s %s\n", "ID", "APPLIES", "STATUS", "EVIDENCE", "FRESHEST", "NCS",
		       "TITLE");
		size_t i;
		json_t *e;
		json_array_foreach(list, i, e)
		{
			json_t *soa_e = json_object_get(e, "soa");
			printf("%-6s %-10s %-16s %9" JSON_INTEGER_FORMAT " %-21s %-5zu %s%s\n", str_or(e, "id", ""),
			       json_is_null(soa_e) ? "-" : json_is_true(json_object_get(soa_e, "applicable")) ? "yes" : "no",
			       str_or(soa_e, "status", "-"), json_integer_value(json_object_get(e, "evidence_count")),
			       str_or(e, "freshest_evidence", "-"), json_array_size(json_object_get(e, "open_ncs")),
			       str_or(e, "title", ""), json_array_size(json_object_get(e, "flags")) ? "  [!]" : "");
		}
	}
	json_decref(list);
	return r;
}

static int cmd_activity_list(struct ctl *c)
{
	if (open_store(c, 1) < 0)
		return 1;
	json_t *list = NULL;
	if (calendar_list(c->store, c->cfg, util_now(), &list) < 0)
		return fail("cannot read the calendar: %s", store_errmsg(c->store));
	int r = 0;
	if (c->json) {
		r = print_json(list);
	} else {
		printf("%-24s %-20s %-8s %-21s %-21s %s\n", "ACTIVITY", "SCHEDULE", "KIND", "LAST DONE", "NEXT DUE", "OVERDUE");
		size_t i;
		json_t *e;
		json_array_foreach(list, i, e)
		printf("%-24s %-20s %-8s %-21s %-21s %s\n", str_or(e, "name", ""), str_or(e, "schedule", ""),
		       str_or(e, "kind", ""), str_or(e, "last_done", "never"), str_or(e, "next_due", "-"),
		       json_is_true(json_object_get(e, "overdue")) ? "yes" : "no");
	}
	json_decref(list);
	return r;
}

static int cmd_attest(struct ctl *c, const char *activity)
{
	if (c->file == NULL || c->note == NULL)
		return fail("attest needs --file F and --note TEXT");
	if (open_store_flags(c, 1, 0) < 0)
		return 1;
	char err[512];
	/* An attestation is a run: it is sealed into the evidence chain with
	 * the daemon's key (made here, owned like the state directory, when
	 * ismsctl is first). */
	char keypath[4096];
	snprintf(keypath, sizeof(keypath), "%s/%s", c->cfg->daemon.state_dir, CHAIN_KEY_FILE);
	if (chain_key_load(keypath, 1, &c->key, err, sizeof(err)) < 0 ||
	    chain_attach(c->store, c->key, NULL, err, sizeof(err)) < 0)
		return fail("%s", err);
	int64_t id = 0;
	if (calendar_attest(c->store, c->cfg, activity, c->file, c->note, actor_name(c), util_now(), &id, err,
			    sizeof(err)) < 0)
		return fail("%s", err);
	wake_daemon(c); /* the attestation may have closed an activity's NC */
	json_t *item = NULL;
	if (store_get_evidence(c->store, id, &item) < 0)
		return fail("cannot read the attestation back");
	int r = 0;
	if (c->json) {
		r = print_json(item);
	} else {
		json_t *f = json_object_get(item, "facts");
		printf("activity %s attested by %s: evidence %lld, %s (sha256 %s)\n", activity, str_or(f, "attested_by", ""),
		       (long long)id, str_or(f, "file", ""), str_or(f, "sha256", ""));
	}
	json_decref(item);
	return r;
}

/* ---- the evidence chain ----------------------------------------------------- */

/* The public key to verify with: --key, else the one beside the daemon's
 * signing key in the state directory. */
static int load_public_key(struct ctl *c, struct chain_key **key)
{
	char path[4096], err[512];
	if (c->key_path != NULL)
		snprintf(path, sizeof(path), "%s", c->key_path);
	else
		snprintf(path, sizeof(path), "%s/%s%s", c->cfg->daemon.state_dir, CHAIN_KEY_FILE, CHAIN_PUB_SUFFIX);
	if (chain_key_load_public(path, key, err, sizeof(err)) < 0)
		return fail("%s", err);
	return 0;
}

static void print_problems(json_t *res)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(res, "problems"), i, p)
	{
		char where[160] = "";
		if (json_is_integer(json_object_get(p, "run")))
			snprintf(where, sizeof(where), "run %lld%s%s%s: ",
				 (long long)json_integer_value(json_object_get(p, "run")),
				 str_or(p, "source", NULL) ? " (" : "", str_or(p, "source", ""),
				 str_or(p, "source", NULL) ? ")" : "");
		printf("  %s%s%s\n", i == 0 ? "first broken link: " : "", where, str_or(p, "what", ""));
	}
	if (json_is_true(json_object_get(res, "truncated")))
		printf("  ... and more (%lld problems in all)\n",
		       (long long)json_integer_value(json_object_get(res, "problem_count")));
}

static int cmd_verify(struct ctl *c)
{
	struct chain_key *pub = NULL;
	json_t *res = NULL;
	int r = 1;
	if (open_store(c, 1) < 0 || load_public_key(c, &pub) != 0)
		goto out;
	/* Pages older than the retention period may have lost their bytes. */
	time_t pruned_before = util_now() - (time_t)c->cfg->daemon.retention_s;
	if (chain_verify(c->store, pub, pruned_before, &res) < 0) {
		fail("cannot verify the store: %s", store_errmsg(c->store));
		goto out;
	}
	int ok = json_is_true(json_object_get(res, "ok"));
	if (c->json) {
		print_json(res);
	} else {
		json_t *head = json_object_get(res, "head");
		if (json_is_object(head))
			printf("evidence chain: %lld manifests, head seq %lld sha256 %s, key %s\n",
			       (long long)json_integer_value(json_object_get(res, "manifests")),
			       (long long)json_integer_value(json_object_get(head, "seq")), str_or(head, "sha256", ""),
			       chain_key_id(pub));
		else
			printf("evidence chain: empty (no committed runs yet), key %s\n", chain_key_id(pub));
		printf("re-hashed: %lld pages (%lld pruned by retention, hash kept), %lld facts\n",
		       (long long)json_integer_value(json_object_get(res, "pages")),
		       (long long)json_integer_value(json_object_get(res, "pages_pruned")),
		       (long long)json_integer_value(json_object_get(res, "facts")));
		if (ok)
			printf("OK: every run, page and fact matches its signed manifest\n");
		else
			printf("FAILED: %lld problem(s)\n", (long long)json_integer_value(json_object_get(res, "problem_count")));
		print_problems(res);
	}
	r = ok ? 0 : EXIT_VERIFY_FAILED;
out:
	json_decref(res);
	chain_key_free(pub);
	return r;
}

/* ---- reports ----------------------------------------------------------------- */

/* Builds the model for --period and --kind (the caller decrefs). */
static json_t *build_model(struct ctl *c, const struct report_period *p, const char *kind)
{
	char err[512];
	struct soa *soa = NULL;
	struct config_errors errs = { 0 };
	daemon_soa_load(c->cfg, &soa, &errs);
	config_errors_free(&errs);
	/* The key fingerprint, when the public key is there to read. */
	struct chain_key *pub = NULL;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s%s", c->cfg->daemon.state_dir, CHAIN_KEY_FILE, CHAIN_PUB_SUFFIX);
	if (chain_key_load_public(path, &pub, err, sizeof(err)) < 0)
		pub = NULL;
	struct report_opts o = { kind, pub ? chain_key_id(pub) : NULL, util_now() };
	json_t *model = NULL;
	if (report_build(c->store, c->cfg, soa, p, &o, &model, err, sizeof(err)) < 0)
		fail("%s", err);
	chain_key_free(pub);
	soa_free(soa);
	return model;
}

static int cmd_report(struct ctl *c)
{
	char err[512];
	struct report_period p;
	const char *format = c->format ? c->format : "html";
	const char *kind = c->kind ? c->kind : "period";
	if (c->period == NULL)
		return fail("report needs --period (2026, 2026-Q3 or 2026-10)");
	if (report_period_parse(c->period, &p, err, sizeof(err)) < 0)
		return fail("%s", err);
	if (!report_format_known(format))
		return fail("unknown --format %s (html, json, csv, oscal)", format);
	if (!report_kind_known(kind))
		return fail("unknown --kind %s (period, kpi-monthly, management-review, annual)", kind);
	if (c->out == NULL)
		return fail("report needs --out PATH (a file; a directory for csv)");
	if (open_store(c, 1) < 0)
		return 1;
	json_t *model = build_model(c, &p, kind);
	if (model == NULL)
		return 1;
	int r = report_write(model, format, c->out, err, sizeof(err));
	if (r < 0) {
		json_decref(model);
		return fail("%s", err);
	}
	json_t *sum = json_object_get(model, "summary");
	if (c->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:O}", "period", p.label, "kind", kind, "format", format,
				      "path", c->out, "summary", sum);
		print_json(o);
		json_decref(o);
	} else {
		json_t *k = json_object_get(sum, "kpis"), *n = json_object_get(sum, "ncs_open");
		printf("%s report %s (%s) written to %s: KPIs %lld met, %lld breached, %lld no data; open NCs %lld"
		       " (%lld major)\n",
		       format, p.label, kind, c->out, (long long)json_integer_value(json_object_get(k, "met")),
		       (long long)json_integer_value(json_object_get(k, "breached")),
		       (long long)json_integer_value(json_object_get(k, "no_data")),
		       (long long)json_integer_value(json_object_get(n, "total")),
		       (long long)json_integer_value(json_object_get(n, "major")));
	}
	json_decref(model);
	return 0;
}

static int cmd_export(struct ctl *c)
{
	char err[512];
	struct report_period p;
	if (c->period == NULL || c->out == NULL)
		return fail("export needs --period P and --out DIR|FILE.tar");
	if (report_period_parse(c->period, &p, err, sizeof(err)) < 0)
		return fail("%s", err);
	if (open_store(c, 1) < 0)
		return 1;
	struct chain_key *pub = NULL;
	if (load_public_key(c, &pub) != 0)
		return 1;
	json_t *model = build_model(c, &p, c->kind ? c->kind : "period");
	int r = 1;
	size_t files = 0;
	const struct config_section *rs = config_find(c->cfg, "report", NULL);
	struct pack_opts po = { rs ? config_get(rs, "organisation") : NULL, rs ? config_get(rs, "tsa_url") : NULL,
				rs ? config_get(rs, "tsa_ca_file") : NULL };
	if (model != NULL && pack_export(c->store, model, pub, &po, c->out, &files, err, sizeof(err)) < 0) {
		fail("%s", err);
	} else if (model != NULL) {
		json_t *ch = json_object_get(json_object_get(model, "report"), "chain");
		if (c->json) {
			json_t *o = json_pack("{s:s, s:s, s:I, s:O, s:O}", "period", p.label, "path", c->out, "files",
					      (json_int_t)files, "runs", json_object_get(ch, "runs_in_period"), "last_seq",
					      json_object_get(ch, "last_seq"));
			print_json(o);
			json_decref(o);
		} else {
			printf("audit pack %s written to %s: %zu payload files, %lld runs (chain seq %lld to %lld)\n",
			       p.label, c->out, files, (long long)json_integer_value(json_object_get(ch, "runs_in_period")),
			       (long long)json_integer_value(json_object_get(ch, "first_seq")),
			       (long long)json_integer_value(json_object_get(ch, "last_seq")));
		}
		r = 0;
	}
	json_decref(model);
	chain_key_free(pub);
	return r;
}

static int cmd_verify_pack(struct ctl *c)
{
	char err[512];
	struct chain_key *expect = NULL;
	if (c->key_path != NULL && chain_key_load_public(c->key_path, &expect, err, sizeof(err)) < 0)
		return fail("%s", err);
	json_t *res = NULL;
	int r = pack_verify(c->pack, expect, c->tsa_ca, &res, err, sizeof(err));
	chain_key_free(expect);
	if (r < 0)
		return fail("%s", err);
	int ok = json_is_true(json_object_get(res, "ok"));
	if (c->json) {
		print_json(res);
	} else {
		printf("audit pack %s: %lld files, %lld manifests (key %s), %lld facts, %lld blobs, %lld pruned\n", c->pack,
		       (long long)json_integer_value(json_object_get(res, "files")),
		       (long long)json_integer_value(json_object_get(res, "manifests")), str_or(res, "key_id", "none"),
		       (long long)json_integer_value(json_object_get(res, "facts")),
		       (long long)json_integer_value(json_object_get(res, "blobs")),
		       (long long)json_integer_value(json_object_get(res, "pruned")));
		json_t *ts = json_object_get(res, "timestamp");
		if (json_is_object(ts))
			printf("RFC 3161 timestamp over tagmanifest-sha256.txt: %s, verified up to %s\n", str_or(ts, "time", ""),
			       str_or(ts, "ca", ""));
		if (ok) {
			printf("OK: every file matches manifest-sha256.txt and the signed chain\n");
		} else {
			printf("FAILED: %lld problem(s)\n", (long long)json_integer_value(json_object_get(res, "problem_count")));
			size_t i;
			json_t *p;
			json_array_foreach(json_object_get(res, "problems"), i, p)
			printf("  %s%s\n", i == 0 ? "first: " : "", json_string_value(p));
		}
	}
	json_decref(res);
	return ok ? 0 : EXIT_VERIFY_FAILED;
}

/* ---- webhooks --------------------------------------------------------------- */

static int cmd_webhook_list(struct ctl *c)
{
	json_t *list = NULL;
	if (c->store == NULL && open_store(c, 0) < 0)
		return 1;
	int r = 0;
	if (c->store != NULL) {
		if (deliver_summary(c->store, c->cfg, &list) < 0)
			return fail("cannot read webhook deliveries: %s", store_errmsg(c->store));
	} else {
		/* no store yet: the configured webhooks, nothing sent */
		list = json_array();
		for (const struct config_section *s = config_next(c->cfg, "webhook", NULL); s;
		     s = config_next(c->cfg, "webhook", s))
			json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "name", s->name, "format",
							      config_get_default(s, "format", "standard"), "enabled",
							      config_get_bool(s, "enabled", 1)));
	}
	if (c->json) {
		r = print_json(list);
	} else {
		printf("%-16s %-13s %-8s %8s %10s %6s  %s\n", "WEBHOOK", "FORMAT", "ENABLED", "PENDING", "DELIVERED", "DEAD",
		       "LAST ERROR");
		size_t i;
		json_t *e;
		json_array_foreach(list, i, e)
		{
			json_t *d = json_object_get(e, "deliveries");
			printf("%-16s %-13s %-8s %8" JSON_INTEGER_FORMAT " %10" JSON_INTEGER_FORMAT " %6" JSON_INTEGER_FORMAT
			       "  %s\n",
			       str_or(e, "name", ""), str_or(e, "format", ""),
			       json_is_object(json_object_get(e, "disabled")) ? "no (410)"
			       : json_is_true(json_object_get(e, "enabled"))   ? "yes"
									       : "no",
			       json_integer_value(json_object_get(d, "pending")),
			       json_integer_value(json_object_get(d, "delivered")),
			       json_integer_value(json_object_get(d, "dead")), str_or(e, "last_error", "-"));
		}
	}
	json_decref(list);
	return r;
}

static int cmd_webhook_deliveries(struct ctl *c, const char *name)
{
	static const char *const states[] = { "pending", "delivered", "dead", "skipped", NULL };
	if (c->state != NULL) {
		size_t i = 0;
		while (states[i] && strcmp(states[i], c->state) != 0)
			i++;
		if (states[i] == NULL)
			return fail("--state takes pending, delivered, dead or skipped");
	}
	if (open_store(c, 1) < 0)
		return 1;
	json_t *list = NULL;
	if (deliver_list(c->store, name, c->state, c->limit ? c->limit : 100, &list) < 0)
		return fail("cannot read webhook deliveries: %s", store_errmsg(c->store));
	int r = 0;
	if (c->json) {
		r = print_json(list);
	} else {
		printf("%-6s %-16s %-26s %-10s %8s %6s %-21s %s\n", "EVENT", "WEBHOOK", "TYPE", "STATE", "ATTEMPTS",
		       "STATUS", "LAST TRY", "LAST ERROR");
		size_t i;
		json_t *e;
		json_array_foreach(list, i, e)
		{
			char status[16] = "-";
			if (json_is_integer(json_object_get(e, "last_status")))
				snprintf(status, sizeof(status), "%" JSON_INTEGER_FORMAT,
					 json_integer_value(json_object_get(e, "last_status")));
			printf("%-6" JSON_INTEGER_FORMAT " %-16s %-26s %-10s %8" JSON_INTEGER_FORMAT " %6s %-21s %s\n",
			       json_integer_value(json_object_get(e, "outbox_id")), str_or(e, "webhook", ""),
			       str_or(e, "type", ""), str_or(e, "state", ""), json_integer_value(json_object_get(e, "attempts")),
			       status, str_or(e, "last_at", "-"), str_or(e, "last_error", "-"));
		}
	}
	json_decref(list);
	return r;
}

static int cmd_webhook_retry(struct ctl *c, const char *name, const char *event)
{
	int64_t id = 0;
	if (event != NULL && parse_id(event, &id) < 0)
		return fail("'%s' is not an event id (see ismsctl webhook deliveries)", event);
	if (config_find(c->cfg, "webhook", name) == NULL)
		return fail("no [webhook %s] in %s", name, c->config_path);
	if (open_store_flags(c, 1, 0) < 0)
		return 1;
	int n = 0;
	if (deliver_retry(c->store, name, id, &n) < 0)
		return fail("cannot requeue: %s", store_errmsg(c->store));
	if (event != NULL && n == 0)
		return fail("event %s is not dead-lettered at webhook %s", event, name);
	if (n > 0)
		wake_daemon(c);
	if (c->json) {
		json_t *o = json_pack("{s:s, s:i}", "webhook", name, "requeued", n);
		int r = print_json(o);
		json_decref(o);
		return r;
	}
	printf("%d event(s) requeued for webhook %s; ismsd sends them on its next delivery pass (systemctl reload "
	       "ismsd to start one now)\n",
	       n, name);
	return 0;
}

static int cmd_webhook_test(struct ctl *c, const char *name)
{
	if (config_find(c->cfg, "webhook", name) == NULL)
		return fail("no [webhook %s] in %s", name, c->config_path);
	if (open_store_flags(c, 1, 0) < 0)
		return 1;
	int64_t id = 0;
	if (deliver_enqueue_test(c->store, c->cfg, name, actor_name(c), util_now(), &id) < 0)
		return fail("cannot queue the test event: %s", store_errmsg(c->store));
	wake_daemon(c);
	if (c->json) {
		json_t *o = json_pack("{s:s, s:I}", "webhook", name, "outbox_id", (json_int_t)id);
		int r = print_json(o);
		json_decref(o);
		return r;
	}
	printf("test event %lld queued for webhook %s; a running ismsd sends it within 10 seconds "
	       "(ismsctl webhook deliveries %s shows the outcome)\n",
	       (long long)id, name, name);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "json", no_argument, NULL, 'j' },
		{ "source", required_argument, NULL, 's' }, { "kind", required_argument, NULL, 'k' },
		{ "run", required_argument, NULL, 'r' },    { "limit", required_argument, NULL, 'l' },
		{ "raw", no_argument, NULL, 'R' },	    { "help", no_argument, NULL, 'h' },
		{ "state", required_argument, NULL, 'S' },  { "by", required_argument, NULL, 'B' },
		{ "note", required_argument, NULL, 'N' },   { "root-cause", required_argument, NULL, 'C' },
		{ "action", required_argument, NULL, 'A' }, { "owner", required_argument, NULL, 'O' },
		{ "due", required_argument, NULL, 'D' },    { "file", required_argument, NULL, 'F' },
		{ "version", no_argument, NULL, 'V' },	    { "key", required_argument, NULL, 'K' },
		{ "pack", required_argument, NULL, 'P' },   { "period", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' }, { "out", required_argument, NULL, 'o' },
		{ "tsa-ca", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { .config_path = DAEMON_DEFAULT_CONFIG };
	log_init("ismsctl", LOG_TO_STDERR, LOG_WARNING);
	for (;;) {
		int o = getopt_long(argc, argv, "c:jhV", opts, NULL);
		if (o == -1)
			break;
		switch (o) {
		case 'c':
			c.config_path = optarg;
			break;
		case 'j':
			c.json = 1;
			break;
		case 's':
			c.source = optarg;
			break;
		case 'k':
			c.kind = optarg;
			break;
		case 'r':
			if (parse_id(optarg, &c.run_id) < 0)
				return fail("--run takes a run id"), EXIT_USAGE;
			break;
		case 'l': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v == 0 || v > 1000000)
				return fail("--limit takes a number from 1 to 1000000"), EXIT_USAGE;
			c.limit = (unsigned)v;
			break;
		}
		case 'R':
			c.raw = 1;
			break;
		case 'S':
			c.state = optarg;
			break;
		case 'B':
			c.by = optarg;
			break;
		case 'N':
			c.note = optarg;
			break;
		case 'C':
			c.root_cause = optarg;
			break;
		case 'A':
			c.action = optarg;
			break;
		case 'O':
			c.owner = optarg;
			break;
		case 'D':
			c.due = optarg;
			break;
		case 'F':
			c.file = optarg;
			break;
		case 'K':
			c.key_path = optarg;
			break;
		case 'P':
			c.pack = optarg;
			break;
		case 'T':
			c.tsa_ca = optarg;
			break;
		case 'p':
			c.period = optarg;
			break;
		case 'f':
			c.format = optarg;
			break;
		case 'o':
			c.out = optarg;
			break;
		case 'V':
			printf("ismsctl %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			return usage(stdout);
		default:
			return usage(stderr);
		}
	}
	int nargs = argc - optind;
	char **args = argv + optind;
	if (nargs == 0)
		return usage(stderr);
	if (strcmp(args[0], "version") == 0) {
		printf("ismsctl %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(args[0], "help") == 0)
		return usage(stdout);

	/* The command is known before the configuration is read, so that a
	 * usage error is always exit 2. */
	enum { CMD_STATUS, CMD_RUNS_LIST, CMD_EVIDENCE_LIST, CMD_EVIDENCE_SHOW, CMD_KPI_LIST, CMD_NC_LIST,
	       CMD_NC_SHOW, CMD_NC_CHANGE, CMD_ACTIVITY_LIST, CMD_ATTEST, CMD_CONTROLS, CMD_WEBHOOK_LIST,
	       CMD_WEBHOOK_DELIVERIES, CMD_WEBHOOK_RETRY, CMD_WEBHOOK_TEST, CMD_VERIFY, CMD_REPORT, CMD_EXPORT } cmd;
	if (strcmp(args[0], "status") == 0 && nargs == 1)
		cmd = CMD_STATUS;
	else if (strcmp(args[0], "runs") == 0 && nargs == 2 && strcmp(args[1], "list") == 0)
		cmd = CMD_RUNS_LIST;
	else if (strcmp(args[0], "evidence") == 0 && nargs == 2 && strcmp(args[1], "list") == 0)
		cmd = CMD_EVIDENCE_LIST;
	else if (strcmp(args[0], "evidence") == 0 && nargs == 3 && strcmp(args[1], "show") == 0)
		cmd = CMD_EVIDENCE_SHOW;
	else if (strcmp(args[0], "kpi") == 0 && nargs == 2 && strcmp(args[1], "list") == 0)
		cmd = CMD_KPI_LIST;
	else if (strcmp(args[0], "nc") == 0 && nargs == 2 && strcmp(args[1], "list") == 0)
		cmd = CMD_NC_LIST;
	else if (strcmp(args[0], "nc") == 0 && nargs == 3 && strcmp(args[1], "show") == 0)
		cmd = CMD_NC_SHOW;
	else if (strcmp(args[0], "nc") == 0 && nargs == 3 &&
		 (strcmp(args[1], "ack") == 0 || strcmp(args[1], "plan") == 0 || strcmp(args[1], "resolve") == 0 ||
		  strcmp(args[1], "close") == 0 || strcmp(args[1], "reopen") == 0))
		cmd = CMD_NC_CHANGE;
	else if (strcmp(args[0], "activity") == 0 && nargs == 2 && strcmp(args[1], "list") == 0)
		cmd = CMD_ACTIVITY_LIST;
	else if (strcmp(args[0], "attest") == 0 && nargs == 2)
		cmd = CMD_ATTEST;
	else if (strcmp(args[0], "controls") == 0 && nargs == 1)
		cmd = CMD_CONTROLS;
	else if (strcmp(args[0], "webhook") == 0 && nargs == 2 && strcmp(args[1], "list") == 0)
		cmd = CMD_WEBHOOK_LIST;
	else if (strcmp(args[0], "webhook") == 0 && (nargs == 2 || nargs == 3) && strcmp(args[1], "deliveries") == 0)
		cmd = CMD_WEBHOOK_DELIVERIES;
	else if (strcmp(args[0], "webhook") == 0 && (nargs == 3 || nargs == 4) && strcmp(args[1], "retry") == 0)
		cmd = CMD_WEBHOOK_RETRY;
	else if (strcmp(args[0], "webhook") == 0 && nargs == 3 && strcmp(args[1], "test") == 0)
		cmd = CMD_WEBHOOK_TEST;
	else if (strcmp(args[0], "verify") == 0 && nargs == 1)
		cmd = CMD_VERIFY;
	else if (strcmp(args[0], "report") == 0 && nargs == 1)
		cmd = CMD_REPORT;
	else if (strcmp(args[0], "export") == 0 && nargs == 1)
		cmd = CMD_EXPORT;
	else
		return usage(stderr);
	int r;
	if (cmd == CMD_VERIFY && c.pack != NULL)
		r = cmd_verify_pack(&c); /* offline: no configuration, no store */
	else if (load_config(&c) != 0)
		r = 1;
	else if (cmd == CMD_STATUS)
		r = cmd_status(&c);
	else if (cmd == CMD_RUNS_LIST)
		r = cmd_runs_list(&c);
	else if (cmd == CMD_EVIDENCE_LIST)
		r = cmd_evidence_list(&c);
	else if (cmd == CMD_EVIDENCE_SHOW)
		r = cmd_evidence_show(&c, args[2]);
	else if (cmd == CMD_KPI_LIST)
		r = cmd_kpi_list(&c);
	else if (cmd == CMD_NC_LIST)
		r = cmd_nc_list(&c);
	else if (cmd == CMD_NC_SHOW)
		r = cmd_nc_show(&c, args[2]);
	else if (cmd == CMD_NC_CHANGE)
		r = cmd_nc_change(&c, args[1], args[2]);
	else if (cmd == CMD_ACTIVITY_LIST)
		r = cmd_activity_list(&c);
	else if (cmd == CMD_CONTROLS)
		r = cmd_controls(&c);
	else if (cmd == CMD_WEBHOOK_LIST)
		r = cmd_webhook_list(&c);
	else if (cmd == CMD_WEBHOOK_DELIVERIES)
		r = cmd_webhook_deliveries(&c, nargs == 3 ? args[2] : NULL);
	else if (cmd == CMD_WEBHOOK_RETRY)
		r = cmd_webhook_retry(&c, args[2], nargs == 4 ? args[3] : NULL);
	else if (cmd == CMD_WEBHOOK_TEST)
		r = cmd_webhook_test(&c, args[2]);
	else if (cmd == CMD_VERIFY)
		r = cmd_verify(&c);
	else if (cmd == CMD_REPORT)
		r = cmd_report(&c);
	else if (cmd == CMD_EXPORT)
		r = cmd_export(&c);
	else
		r = cmd_attest(&c, args[1]);
	store_close(c.store);
	chain_key_free(c.key);
	config_free(c.cfg);
	return r;
}
