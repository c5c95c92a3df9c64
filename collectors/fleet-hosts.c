/*
 * fleet-hosts.c: hosts and their vulnerable software from Fleet (fleetdm),
 * GET /api/v1/fleet/hosts with populate_software=true and a bearer token.
 * Pages are 0-based; a page with fewer than per_page hosts is the last one
 * (the endpoint has no paging metadata).
 *
 * Facts: patch.host per host, with the CVE findings on its software counted
 * by CVSS severity (>= 9 critical, >= 7 high, >= 4 medium, else low;
 * "unknown" when Fleet sends no score), and patch.vuln per (host, CVE).  A
 * CVE listed under two packages of one host is one finding.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_http.h"

#define HOSTS_PATH "/api/v1/fleet/hosts"
#define DEFAULT_PER_PAGE 100

struct fleet {
	struct collector_http http;
	unsigned per_page;
};

static const struct config_key fleet_keys[] = {
	HTTP_CONFIG_KEYS,
	AUTH_BEARER_KEYS,
	{ "per_page", CONFIG_T_UINT, 0, NULL, 1, 10000 },
	{ NULL, 0, 0, NULL, 0, 0 },
};

static int fleet_configure(struct collector *c, const struct config_section *s, struct config_errors *errs)
{
	struct fleet *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	c->priv = f;
	f->per_page = (unsigned)config_get_uint(s, "per_page", DEFAULT_PER_PAGE);
	return collector_http_configure(&f->http, s, NULL, "bearer", NULL, errs);
}

static void fleet_free(struct collector *c)
{
	struct fleet *f = c->priv;
	if (f == NULL)
		return;
	collector_http_free(&f->http);
	free(f);
	c->priv = NULL;
}

/* "critical", "high", "medium", "low", or "unknown" without a score. */
static const char *fleet_severity(const json_t *cvss)
{
	if (!json_is_number(cvss))
		return "unknown";
	double v = json_number_value(cvss);
	if (v >= 9.0)
		return "critical";
	if (v >= 7.0)
		return "high";
	if (v >= 4.0)
		return "medium";
	return "low";
}

/* A time member as epoch seconds; Fleet's "never" (0001-01-01) is 0. */
static time_t fleet_time(const json_t *o, const char *key)
{
	time_t t = collector_json_time(o, key);
	return t > 0 ? t : 0;
}

/*
 * Collects the host's findings into vulns (CVE -> patch.vuln fact, the
 * first listing of a CVE wins) and counts them into counts.  Returns 0, or
 * -1 after collect_fail() when the software list is malformed.
 */
static int fleet_findings(struct collect_ctx *ctx, json_t *host, json_int_t id, const char *hostname, json_t *vulns,
			  json_t *counts)
{
	json_t *software = json_object_get(host, "software");
	if (software == NULL || json_is_null(software))
		return 0;
	if (!json_is_array(software))
		return collect_fail(ctx, "GET " HOSTS_PATH ": host %" JSON_INTEGER_FORMAT ": software is not an array",
				    id);
	size_t i;
	json_t *sw;
	json_array_foreach(software, i, sw)
	{
		json_t *list = json_object_get(sw, "vulnerabilities");
		if (list == NULL || json_is_null(list))
			continue;
		if (!json_is_array(list))
			return collect_fail(ctx,
					    "GET " HOSTS_PATH ": host %" JSON_INTEGER_FORMAT
					    ": software vulnerabilities is not an array",
					    id);
		size_t k;
		json_t *v;
		json_array_foreach(list, k, v)
		{
			const char *cve = collector_json_str(v, "cve");
			if (cve == NULL)
				return collect_fail(ctx,
						    "GET " HOSTS_PATH ": host %" JSON_INTEGER_FORMAT
						    ": a vulnerability without cve",
						    id);
			if (json_object_get(vulns, cve) != NULL)
				continue;
			json_t *cvss = json_object_get(v, "cvss_score");
			const char *sev = fleet_severity(cvss);
			json_t *fact = json_object();
			json_object_set_new(fact, "host_id", json_integer(id));
			collector_json_set_str(fact, "hostname", hostname);
			json_object_set_new(fact, "cve", json_string(cve));
			collector_json_set_str(fact, "software", collector_json_str(sw, "name"));
			collector_json_set_str(fact, "version", collector_json_str(sw, "version"));
			json_object_set_new(fact, "severity", json_string(sev));
			json_object_set_new(fact, "cvss_score", json_is_number(cvss) ? json_copy(cvss) : json_null());
			json_object_set_new(fact, "known_exploited",
					    json_boolean(json_is_true(json_object_get(v, "cisa_known_exploit"))));
			collector_json_set_time(fact, "published", fleet_time(v, "cve_published"));
			json_object_set_new(vulns, cve, fact);
			if (strcmp(sev, "unknown") != 0) {
				json_int_t n = json_integer_value(json_object_get(counts, sev));
				json_object_set_new(counts, sev, json_integer(n + 1));
			}
		}
	}
	return 0;
}

/* Stages the patch.host fact of one host and its patch.vuln facts. */
static int fleet_host(struct collect_ctx *ctx, json_t *host, int64_t page_id)
{
	json_t *idv = json_object_get(host, "id");
	if (!json_is_object(host) || !json_is_integer(idv))
		return collect_fail(ctx, "GET " HOSTS_PATH ": a host without an integer id");
	json_int_t id = json_integer_value(idv);
	const char *hostname = collector_json_str(host, "hostname");
	json_t *vulns = json_object();
	json_t *counts = json_pack("{s:i, s:i, s:i, s:i}", "critical", 0, "high", 0, "medium", 0, "low", 0);
	json_t *fact = NULL;
	int r = -1;
	if (vulns == NULL || counts == NULL) {
		collect_fail(ctx, "out of memory");
		goto out;
	}
	if (fleet_findings(ctx, host, id, hostname, vulns, counts) < 0)
		goto out;
	json_int_t critical = json_integer_value(json_object_get(counts, "critical"));
	json_int_t security = (json_int_t)json_object_size(vulns);
	json_int_t kev = 0;
	const char *cve;
	json_t *v;
	json_object_foreach(vulns, cve, v)
	{
		if (json_is_true(json_object_get(v, "known_exploited")))
			kev++;
	}
	time_t seen = fleet_time(host, "seen_time");
	time_t scan = fleet_time(host, "software_updated_at");

	fact = json_object();
	json_object_set_new(fact, "source_type", json_string("fleet"));
	json_object_set_new(fact, "host_id", json_integer(id));
	collector_json_set_str(fact, "hostname", hostname);
	collector_json_set_str(fact, "platform", collector_json_str(host, "platform"));
	collector_json_set_str(fact, "os_version", collector_json_str(host, "os_version"));
	collector_json_set_str(fact, "status", collector_json_str(host, "status"));
	collector_json_set_time(fact, "last_seen", seen);
	collector_json_set_time(fact, "last_scan", scan);
	json_object_set_new(fact, "scanned", json_boolean(scan > 0));
	json_object_set_new(fact, "critical_missing", json_integer(critical));
	json_object_set_new(fact, "security_missing", json_integer(security));
	json_object_set_new(fact, "known_exploited", json_integer(kev));
	json_int_t failing = collector_json_int(json_object_get(host, "issues"), "failing_policies_count", -1);
	json_object_set_new(fact, "failing_policies", failing >= 0 ? json_integer(failing) : json_null());
	json_object_set(fact, "vulnerabilities", counts);
	json_object_set_new(fact, "compliant", json_boolean(critical == 0 && security == 0));

	char ext[64];
	snprintf(ext, sizeof(ext), "%" JSON_INTEGER_FORMAT, id);
	if (collect_fact(ctx, "patch.host", seen, ext, fact, page_id) < 0)
		goto out;
	json_object_foreach(vulns, cve, v)
	{
		char vext[512];
		snprintf(vext, sizeof(vext), "%" JSON_INTEGER_FORMAT "/%s", id, cve);
		if (collect_fact(ctx, "patch.vuln", seen, vext, v, page_id) < 0)
			goto out;
	}
	r = 0;
out:
	json_decref(fact);
	json_decref(counts);
	json_decref(vulns);
	return r;
}

/* Normalizes one page (json): stages its facts and writes the loop guard's
 * token.  Returns the number of hosts on it, or -1.  The live run and the
 * normalizer share it. */
static long fleet_page(struct collect_ctx *ctx, json_t *json, int64_t page_id, char *token, size_t tokenlen)
{
	json_t *hosts = json_object_get(json, "hosts");
	if (!json_is_array(hosts))
		return collect_fail(ctx, "GET " HOSTS_PATH ": no hosts array in the response");
	size_t i;
	json_t *host;
	json_array_foreach(hosts, i, host)
	{
		if (fleet_host(ctx, host, page_id) < 0)
			return -1;
	}
	size_t n = json_array_size(hosts);
	/* the loop guard's token: a page that repeats has the same first and last host */
	if (n > 0)
		snprintf(token, tokenlen, "%" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(json_array_get(hosts, 0), "id")),
			 json_integer_value(json_object_get(json_array_get(hosts, n - 1), "id")));
	return (long)n;
}

/* The normalizer: one GET /api/v1/fleet/hosts page. */
static int fleet_normalize(struct collector *c, struct collect_ctx *ctx, const char *body, size_t len, int64_t page_id)
{
	(void)c;
	json_t *json = collector_json_page(ctx, "GET " HOSTS_PATH " page", body, len);
	if (json == NULL)
		return -1;
	char token[64] = "";
	long n = fleet_page(ctx, json, page_id, token, sizeof(token));
	json_decref(json);
	return n < 0 ? -1 : 0;
}

static int fleet_collect(struct collector *c, struct collect_ctx *ctx)
{
	struct fleet *f = c->priv;
	struct http_client *client = collector_http_client(&f->http, ctx);
	if (client == NULL)
		return -1;
	struct http_pages pages;
	http_pages_init(&pages, f->http.opt.max_pages);
	struct http_header accept = { "Accept", "application/json" };
	int r = -1;
	for (unsigned page_no = 0;; page_no++) {
		char path[160];
		snprintf(path, sizeof(path), HOSTS_PATH "?page=%u&per_page=%u&order_key=id&order_direction=asc"
						       "&populate_software=true",
			 page_no, f->per_page);
		char *url = collector_http_url(&f->http, path);
		if (url == NULL) {
			collect_fail(ctx, "out of memory");
			break;
		}
		struct http_request req = { "GET", url, &accept, 1, NULL, 0, f->http.auth };
		struct collector_page page;
		char token[64] = "";
		int pr = collector_http_page(ctx, client, &req, &page);
		free(url);
		long n = pr < 0 ? -1 : fleet_page(ctx, page.json, page.page_id, token, sizeof(token));
		collector_page_free(&page);
		if (n < 0 || collect_flush(ctx) < 0)
			break;
		if ((unsigned long)n < f->per_page) {
			r = 0;
			break;
		}
		char err[256];
		if (http_pages_next(&pages, token, err, sizeof(err)) < 0) {
			collect_fail(ctx, "GET " HOSTS_PATH ": %s", err);
			break;
		}
		if (collect_cancelled(ctx)) {
			collect_fail(ctx, "cancelled: ismsd is stopping");
			break;
		}
	}
	http_pages_free(&pages);
	http_client_free(client);
	return r;
}

const struct collector_ops collector_fleet_hosts = {
	.name = "fleet-hosts",
	.default_schedule = "daily",
	.keys = fleet_keys,
	.configure = fleet_configure,
	.collect = fleet_collect,
	.normalize = fleet_normalize,
	.free = fleet_free,
};
