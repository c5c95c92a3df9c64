/*
 * aws-ssm-patch.c: patch levels from AWS Systems Manager Patch Manager
 * (JSON 1.1 protocol, SigV4 service "ssm").  DescribeInstanceInformation
 * lists the managed instances; DescribeInstancePatchStates (50 ids a call)
 * gives each one's counts; for instances with missing critical or security
 * patches, DescribeInstancePatches names the patches.
 *
 * Facts: patch.host per instance (instances SSM manages but never scanned
 * have "scanned": false) and patch.missing per missing, failed or
 * not-yet-effective patch of a non-compliant instance.  Patch State values
 * are compared without regard to case or '_' (the API model says
 * INSTALLED_PENDING_REBOOT, real answers say InstalledPendingReboot).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "collector_http.h"

#define TARGET_PREFIX "AmazonSSM."
#define IDS_PER_CALL 50

struct ssm {
	struct collector_http http;
};

static const struct config_key ssm_keys[] = {
	HTTP_CONFIG_KEYS,
	AUTH_SIGV4_KEYS,
	{ NULL, 0, 0, NULL, 0, 0 },
};

static const char *const sigv4_defaults[] = { "service=ssm", NULL };

static int ssm_configure(struct collector *c, const struct config_section *s, struct config_errors *errs)
{
	struct ssm *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -1;
	c->priv = m;
	return collector_http_configure(&m->http, s, NULL, "aws-sigv4", sigv4_defaults, errs);
}

static void ssm_free(struct collector *c)
{
	struct ssm *m = c->priv;
	if (m == NULL)
		return;
	collector_http_free(&m->http);
	free(m);
	c->priv = NULL;
}

/* Compares patch states ignoring case and '_': "InstalledPendingReboot"
 * equals "INSTALLED_PENDING_REBOOT". */
static int state_is(const char *state, const char *want)
{
	if (state == NULL)
		return 0;
	const char *a = state, *b = want;
	for (;;) {
		while (*a == '_')
			a++;
		while (*b == '_')
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		a++;
		b++;
	}
}

/* Pages through one JSON 1.1 operation.  each() is called per page. */
typedef int (*page_fn)(struct collect_ctx *ctx, struct collector_page *page, void *arg);

static int paged_call(struct collect_ctx *ctx, struct http_client *client, struct ssm *m, const char *op,
		      json_t *body, page_fn each, void *arg)
{
	char target[128];
	snprintf(target, sizeof(target), TARGET_PREFIX "%s", op);
	struct http_pages pages;
	http_pages_init(&pages, m->http.opt.max_pages);
	int r = -1;
	for (;;) {
		struct collector_page page;
		if (collector_http_aws_json(ctx, client, &m->http, target, body, &page) < 0 ||
		    each(ctx, &page, arg) < 0 || collect_flush(ctx) < 0) {
			collector_page_free(&page);
			break;
		}
		const char *next = collector_json_str(page.json, "NextToken");
		char err[256];
		if (next == NULL || *next == '\0') {
			collector_page_free(&page);
			r = 0;
			break;
		}
		json_object_set_new(body, "NextToken", json_string(next));
		collector_page_free(&page);
		if (http_pages_next(&pages, json_string_value(json_object_get(body, "NextToken")), err, sizeof(err)) <
		    0) {
			collect_fail(ctx, "%s %s", op, err);
			break;
		}
		if (collect_cancelled(ctx)) {
			collect_fail(ctx, "cancelled: ismsd is stopping");
			break;
		}
	}
	http_pages_free(&pages);
	return r;
}

/* ---- DescribeInstanceInformation ---------------------------------------------- */

static int on_info_page(struct collect_ctx *ctx, struct collector_page *page, void *arg)
{
	json_t *instances = arg;
	json_t *list = json_object_get(page->json, "InstanceInformationList");
	if (!json_is_array(list))
		return collect_fail(ctx, "DescribeInstanceInformation: no InstanceInformationList in the response");
	size_t i;
	json_t *info;
	json_array_foreach(list, i, info)
	{
		const char *id = collector_json_str(info, "InstanceId");
		if (id == NULL)
			return collect_fail(ctx, "DescribeInstanceInformation: an entry without InstanceId");
		json_t *o = json_object();
		json_object_set_new(o, "page_id", json_integer(page->page_id));
		json_object_set(o, "info", info);
		json_object_set_new(instances, id, o);
	}
	return 0;
}

/* ---- DescribeInstancePatchStates ------------------------------------------------ */

static json_t *host_fact(const char *id, json_t *info, json_t *state)
{
	json_t *f = json_object();
	json_object_set_new(f, "source_type", json_string("aws-ssm"));
	json_object_set_new(f, "host_id", json_string(id));
	collector_json_set_str(f, "hostname", collector_json_str(info, "ComputerName"));
	const char *platform = collector_json_str(info, "PlatformName");
	collector_json_set_str(f, "platform", platform ? platform : collector_json_str(info, "PlatformType"));
	collector_json_set_str(f, "os_version", collector_json_str(info, "PlatformVersion"));
	collector_json_set_str(f, "ping_status", collector_json_str(info, "PingStatus"));
	collector_json_set_time(f, "last_seen", collector_json_epoch(info, "LastPingDateTime"));
	json_object_set_new(f, "scanned", json_boolean(state != NULL));
	static const struct {
		const char *fact, *wire;
	} counts[] = {
		{ "installed", "InstalledCount" },
		{ "installed_other", "InstalledOtherCount" },
		{ "pending_reboot", "InstalledPendingRebootCount" },
		{ "rejected", "InstalledRejectedCount" },
		{ "missing", "MissingCount" },
		{ "failed", "FailedCount" },
		{ "critical_missing", "CriticalNonCompliantCount" },
		{ "security_missing", "SecurityNonCompliantCount" },
		{ "other_missing", "OtherNonCompliantCount" },
	};
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		json_int_t v = collector_json_int(state, counts[k].wire, -1);
		json_object_set_new(f, counts[k].fact, v >= 0 ? json_integer(v) : json_null());
	}
	collector_json_set_time(f, "last_scan", collector_json_epoch(state, "OperationEndTime"));
	collector_json_set_str(f, "operation", collector_json_str(state, "Operation"));
	collector_json_set_str(f, "baseline", collector_json_str(state, "BaselineId"));
	collector_json_set_str(f, "patch_group", collector_json_str(state, "PatchGroup"));
	int compliant = state != NULL && collector_json_int(state, "CriticalNonCompliantCount", 0) == 0 &&
			collector_json_int(state, "SecurityNonCompliantCount", 0) == 0;
	json_object_set_new(f, "compliant", json_boolean(compliant));
	return f;
}

struct states_arg {
	json_t *instances;
	json_t *noncompliant; /* ids with critical or security patches missing */
};

/*
 * Stages the patch.host facts of one DescribeInstancePatchStates page (json)
 * for the instances in a->instances, and adds the non-compliant ones to
 * a->noncompliant.  The live run and the normalizer share it.
 */
static int states_page(struct collect_ctx *ctx, struct states_arg *a, json_t *json, int64_t page_id)
{
	json_t *list = json_object_get(json, "InstancePatchStates");
	if (!json_is_array(list))
		return collect_fail(ctx, "DescribeInstancePatchStates: no InstancePatchStates in the response");
	size_t i;
	json_t *st;
	json_array_foreach(list, i, st)
	{
		const char *id = collector_json_str(st, "InstanceId");
		if (id == NULL)
			return collect_fail(ctx, "DescribeInstancePatchStates: an entry without InstanceId");
		json_t *inst = json_object_get(a->instances, id);
		if (inst == NULL)
			return collect_fail(ctx, "DescribeInstancePatchStates: state for an instance that was not asked for");
		if (json_object_get(inst, "done") != NULL)
			continue; /* the same instance twice: keep the first */
		json_t *fact = host_fact(id, json_object_get(inst, "info"), st);
		time_t observed = collector_json_epoch(st, "OperationEndTime");
		int r = collect_fact(ctx, "patch.host", observed, id, fact, page_id);
		json_decref(fact);
		if (r < 0)
			return -1;
		json_object_set_new(inst, "done", json_true());
		if (collector_json_int(st, "CriticalNonCompliantCount", 0) > 0 ||
		    collector_json_int(st, "SecurityNonCompliantCount", 0) > 0)
			json_array_append_new(a->noncompliant, json_string(id));
	}
	return 0;
}

static int on_states_page(struct collect_ctx *ctx, struct collector_page *page, void *arg)
{
	return states_page(ctx, arg, page->json, page->page_id);
}

/*
 * The normalizer: one DescribeInstancePatchStates page on its own.  A live
 * run asks only for instances DescribeInstanceInformation listed; here the
 * instances are those the page names, without their information (hostname,
 * platform and ping status are null).  The DescribeInstancePatches calls a
 * live run makes for the non-compliant ones are not made.
 */
static int ssm_normalize(struct collector *c, struct collect_ctx *ctx, const char *body, size_t len, int64_t page_id)
{
	(void)c;
	json_t *json = collector_json_page(ctx, "DescribeInstancePatchStates page", body, len);
	if (json == NULL)
		return -1;
	struct states_arg sa = { json_object(), json_array() };
	size_t i;
	json_t *st;
	json_array_foreach(json_object_get(json, "InstancePatchStates"), i, st)
	{
		const char *id = collector_json_str(st, "InstanceId");
		if (id != NULL && json_object_get(sa.instances, id) == NULL)
			json_object_set_new(sa.instances, id, json_pack("{s:I}", "page_id", (json_int_t)page_id));
	}
	int r = states_page(ctx, &sa, json, page_id);
	json_decref(sa.instances);
	json_decref(sa.noncompliant);
	json_decref(json);
	return r;
}

/* ---- DescribeInstancePatches -------------------------------------------------- */

static int on_patches_page(struct collect_ctx *ctx, struct collector_page *page, void *arg)
{
	const char *id = arg;
	json_t *list = json_object_get(page->json, "Patches");
	if (!json_is_array(list))
		return collect_fail(ctx, "DescribeInstancePatches: no Patches in the response");
	size_t i;
	json_t *p;
	json_array_foreach(list, i, p)
	{
		const char *state = collector_json_str(p, "State");
		if (!state_is(state, "Missing") && !state_is(state, "Failed") &&
		    !state_is(state, "InstalledPendingReboot") && !state_is(state, "InstalledRejected"))
			continue;
		const char *kb = collector_json_str(p, "KBId");
		json_t *f = json_object();
		json_object_set_new(f, "host_id", json_string(id));
		collector_json_set_str(f, "kb", kb);
		collector_json_set_str(f, "title", collector_json_str(p, "Title"));
		collector_json_set_str(f, "classification", collector_json_str(p, "Classification"));
		collector_json_set_str(f, "severity", collector_json_str(p, "Severity"));
		const char *norm = state_is(state, "Missing")		  ? "missing"
				   : state_is(state, "Failed")		  ? "failed"
				   : state_is(state, "InstalledPendingReboot") ? "pending_reboot"
									  : "rejected";
		json_object_set_new(f, "state", json_string(norm));
		collector_json_set_str(f, "cve_ids", collector_json_str(p, "CVEIds"));
		char ext[512];
		snprintf(ext, sizeof(ext), "%s/%s", id, kb ? kb : "?");
		int r = collect_fact(ctx, "patch.missing", 0, ext, f, page->page_id);
		json_decref(f);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int ssm_collect(struct collector *c, struct collect_ctx *ctx)
{
	struct ssm *m = c->priv;
	struct http_client *client = collector_http_client(&m->http, ctx);
	if (client == NULL)
		return -1;
	int r = -1;
	json_t *instances = json_object();
	struct states_arg sa = { instances, json_array() };
	json_t *body = json_pack("{s:i}", "MaxResults", 50);
	if (paged_call(ctx, client, m, "DescribeInstanceInformation", body, on_info_page, instances) < 0)
		goto out;

	/* Patch states, 50 instance ids a call. */
	const char *id;
	json_t *inst;
	json_t *batch = json_array();
	size_t left = json_object_size(instances);
	json_object_foreach(instances, id, inst)
	{
		json_array_append_new(batch, json_string(id));
		left--;
		if (json_array_size(batch) < IDS_PER_CALL && left > 0)
			continue;
		json_t *b = json_pack("{s:O, s:i}", "InstanceIds", batch, "MaxResults", 50);
		int pr = paged_call(ctx, client, m, "DescribeInstancePatchStates", b, on_states_page, &sa);
		json_decref(b);
		json_array_clear(batch);
		if (pr < 0) {
			json_decref(batch);
			goto out;
		}
	}
	json_decref(batch);

	/* Instances SSM knows but has no patch state for: never scanned. */
	json_object_foreach(instances, id, inst)
	{
		if (json_object_get(inst, "done") != NULL)
			continue;
		json_t *fact = host_fact(id, json_object_get(inst, "info"), NULL);
		int fr = collect_fact(ctx, "patch.host", 0, id, fact, json_integer_value(json_object_get(inst, "page_id")));
		json_decref(fact);
		if (fr < 0)
			goto out;
	}

	/* The missing patches of non-compliant instances. */
	size_t i;
	json_t *nid;
	json_array_foreach(sa.noncompliant, i, nid)
	{
		json_t *b = json_pack("{s:O, s:i}", "InstanceId", nid, "MaxResults", 100);
		int pr = paged_call(ctx, client, m, "DescribeInstancePatches", b, on_patches_page,
				    (void *)json_string_value(nid));
		json_decref(b);
		if (pr < 0)
			goto out;
	}
	r = collect_flush(ctx);
out:
	json_decref(body);
	json_decref(instances);
	json_decref(sa.noncompliant);
	http_client_free(client);
	return r;
}

const struct collector_ops collector_aws_ssm_patch = {
	.name = "aws-ssm-patch",
	.default_schedule = "daily",
	.keys = ssm_keys,
	.configure = ssm_configure,
	.collect = ssm_collect,
	.normalize = ssm_normalize,
	.free = ssm_free,
};
