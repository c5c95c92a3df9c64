/*
 * test_webhook.c: Standard Webhooks v1 signatures (the specification's
 * published test vector, and key rotation), message ids, the envelope, and
 * the body of each output format checked against its documented shape.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "testhelp.h"
#include "util.h"
#include "webhook.h"

static void test_vector(void)
{
	/* standard-webhooks spec test vector (identical in every reference library) */
	const char *secrets[] = { "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" };
	const char *body = "{\"test\": 2432232314}";
	char err[256];
	char *sig = webhook_sign(secrets, 1, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body), err,
				 sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sig);
	CU_ASSERT_STRING_EQUAL(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	free(sig);
}

static void test_rotation(void)
{
	const char *secrets[] = { "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_dGhlIG5leHQgc2VjcmV0IGtleSAxMjM0NTY3OA==" };
	const char *body = "{\"test\": 2432232314}";
	char err[256];
	char *sig = webhook_sign(secrets, 2, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body), err,
				 sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sig);
	/* both signatures, space-separated, the old key's first */
	CU_ASSERT_EQUAL(strncmp(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,", 51), 0);
	CU_ASSERT_EQUAL(strlen(sig), 51 + 44);
	free(sig);

	/* a secret that is not whsec_: a clear error that does not echo it */
	const char *bad[] = { "not-a-whsec-secret-value" };
	CU_ASSERT_PTR_NULL(webhook_sign(bad, 1, "msg_x", 1, "{}", 2, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is not of the form whsec_"));
	CU_ASSERT_PTR_NULL(strstr(err, "not-a-whsec-secret-value"));
	/* the key decodes to the spec's 24 bytes, padding or not */
	unsigned char *key = NULL;
	size_t len = 0;
	CU_ASSERT_EQUAL(webhook_secret_decode("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &key, &len), 0);
	CU_ASSERT_EQUAL(len, 24);
	util_secret_free((char *)key, len);
	CU_ASSERT_EQUAL(webhook_secret_decode("whsec_dGhlIG5leHQgc2VjcmV0IGtleSAxMjM0NTY3OA", &key, &len), 0);
	CU_ASSERT_EQUAL(len, 28);
	CU_ASSERT(memcmp(key, "the next secret key 12345678", 28) == 0);
	util_secret_free((char *)key, len);
	CU_ASSERT_EQUAL(webhook_secret_decode("whsec_!!!!", &key, &len), -1);
}

static void test_msg_id(void)
{
	char *a = webhook_msg_id(), *b = webhook_msg_id();
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(strncmp(a, "msg_", 4), 0);
	CU_ASSERT_EQUAL(strlen(a), 28);
	CU_ASSERT_PTR_NULL(strchr(a, '.'));
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	free(a);
	free(b);
}

static json_t *nc_event(const char *type)
{
	json_t *data = json_pack("{s:i, s:s, s:s, s:[s, s], s:s, s:s, s:s, s:s, s:f, s:f}", "nc_id", 3, "title",
				 "Hosts with no missing critical patches: 84 % <script>", "severity", "major", "controls",
				 "8.8", "8.19", "kpi", "patch.compliant_pct", "scope", "all", "owner", "IT operations",
				 "detected_at", "2026-11-24T22:00:00Z", "observed", 84.0, "threshold", 95.0);
	json_t *env = webhook_envelope(type, 1795557600, data); /* 2026-11-24T22:00:00Z */
	json_decref(data);
	return env;
}

static json_t *body_of(enum webhook_format f, json_t *env, const struct webhook_target *t, const char **ct)
{
	char *b = webhook_body(f, env, t, ct);
	if (b == NULL)
		return NULL;
	json_error_t err;
	json_t *j = json_loads(b, 0, &err);
	free(b);
	return j;
}

/* A collector going down and coming back: PagerDuty triggers and resolves
 * one incident (no component: there is no KPI, the source stands in),
 * Alertmanager fires and resolves one alert. */
static void test_collector_events(void)
{
	struct webhook_target t = { "msg_x", "host1", "0123456789abcdef0123456789abcdef", 1795561200 };
	const char *ct = NULL;
	json_t *data = json_pack("{s:s, s:s, s:i, s:s, s:s, s:i}", "source", "training", "collector", "knowbe4-training",
				 "run_id", 7, "outcome", "failed", "error", "HTTP 503", "facts", 0);
	json_t *failed = webhook_envelope("collector.failed", 1795561200, data);
	json_t *recovered = webhook_envelope("collector.recovered", 1795564800, data);
	json_t *a = body_of(WEBHOOK_PAGERDUTY, failed, &t, &ct);
	json_t *b = body_of(WEBHOOK_PAGERDUTY, recovered, &t, &ct);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "event_action")), "trigger");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "dedup_key")), "ismsd-collector-training");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(a, "payload"), "component")), "training");
	/* no controls: group left out, not "" */
	CU_ASSERT_PTR_NULL(json_object_get(json_object_get(a, "payload"), "group"));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(a, "payload"), "summary")),
			       "collector.failed: HTTP 503");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(b, "event_action")), "resolve");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(b, "dedup_key")), "ismsd-collector-training");
	json_decref(a);
	json_decref(b);
	/* an NC without a KPI (an evidence gap): component left out, not null */
	json_t *gap = json_pack("{s:i, s:s, s:s, s:[s]}", "nc_id", 9, "title", "No evidence from training", "severity",
				"major", "controls", "6.3");
	json_t *env = webhook_envelope("evidence.gap", 1795561200, gap);
	a = body_of(WEBHOOK_PAGERDUTY, env, &t, &ct);
	CU_ASSERT_PTR_NULL(json_object_get(json_object_get(a, "payload"), "component"));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(a, "payload"), "group")), "6.3");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "dedup_key")), "ismsd-nc-9");
	json_decref(a);
	a = body_of(WEBHOOK_ALERTMANAGER, failed, &t, &ct);
	b = body_of(WEBHOOK_ALERTMANAGER, recovered, &t, &ct);
	CU_ASSERT(json_equal(json_object_get(json_array_get(a, 0), "labels"),
			     json_object_get(json_array_get(b, 0), "labels")));
	CU_ASSERT_PTR_NULL(json_object_get(json_array_get(a, 0), "endsAt"));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(b, 0), "endsAt")), "2026-11-24T23:00:00Z");
	json_decref(a);
	json_decref(b);
	json_decref(env);
	json_decref(gap);
	json_decref(failed);
	json_decref(recovered);
	json_decref(data);
}

static void test_formats(void)
{
	json_t *env = nc_event("nonconformity.raised");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(env, "timestamp")), "2026-11-24T22:00:00Z");
	struct webhook_target t = { "msg_abcdefghijklmnopqrstuvwx", "host1", "0123456789abcdef0123456789abcdef",
				    1795561200 };
	const char *ct = NULL;

	json_t *std = body_of(WEBHOOK_STANDARD, env, &t, &ct);
	CU_ASSERT(json_equal(std, env));
	CU_ASSERT_STRING_EQUAL(ct, "application/json");
	json_decref(std);

	json_t *ce = body_of(WEBHOOK_CLOUDEVENTS, env, &t, &ct);
	CU_ASSERT_STRING_EQUAL(ct, "application/cloudevents+json; charset=utf-8");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ce, "specversion")), "1.0");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ce, "id")), "msg_abcdefghijklmnopqrstuvwx");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ce, "source")), "/ismsd/host1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ce, "type")), "org.ismsd.nonconformity.raised");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ce, "subject")), "8.8");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ce, "time")), "2026-11-24T22:00:00Z");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ce, "severitytext")), "ERROR");
	CU_ASSERT(json_equal(json_object_get(ce, "data"), json_object_get(env, "data")));
	json_decref(ce);

	json_t *pd = body_of(WEBHOOK_PAGERDUTY, env, &t, &ct);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(pd, "event_action")), "trigger");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(pd, "dedup_key")), "ismsd-nc-3");
	CU_ASSERT_EQUAL(strlen(json_string_value(json_object_get(pd, "routing_key"))), 32);
	json_t *p = json_object_get(pd, "payload");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "severity")), "error");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "source")), "host1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "group")), "8.8, 8.19");
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(p, "summary")), "Hosts with no missing"));
	json_decref(pd);
	/* no routing key: no PagerDuty body */
	struct webhook_target nokey = { "msg_x", "host1", NULL, 0 };
	CU_ASSERT_PTR_NULL(webhook_body(WEBHOOK_PAGERDUTY, env, &nokey, &ct));

	json_t *sl = body_of(WEBHOOK_SLACK, env, &t, &ct);
	const char *text = json_string_value(json_object_get(sl, "text"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(strncmp(text, "*[MAJOR]* nonconformity.raised: Hosts", 37), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "&lt;script&gt;"));
	CU_ASSERT_PTR_NULL(strstr(text, "<script>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "Controls: 8.8, 8.19 · Owner: IT operations · NC 3"));
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_array_get(json_object_get(sl, "blocks"), 0), "type")), "section");
	json_decref(sl);

	json_t *am = body_of(WEBHOOK_ALERTMANAGER, env, &t, &ct);
	CU_ASSERT_EQUAL_FATAL(json_array_size(am), 1);
	json_t *a = json_array_get(am, 0);
	json_t *labels = json_object_get(a, "labels");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(labels, "alertname")), "IsmsdNonconformity");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(labels, "nc_id")), "3");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(labels, "severity")), "major");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "startsAt")), "2026-11-24T22:00:00Z");
	CU_ASSERT_PTR_NULL(json_object_get(a, "endsAt")); /* firing */
	json_decref(am);
	json_decref(env);

	/* closing: PagerDuty resolves the same dedup key, Alertmanager sends it resolved */
	env = nc_event("nonconformity.closed");
	pd = body_of(WEBHOOK_PAGERDUTY, env, &t, &ct);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(pd, "event_action")), "resolve");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(pd, "dedup_key")), "ismsd-nc-3");
	CU_ASSERT_PTR_NULL(json_object_get(pd, "payload"));
	json_decref(pd);
	am = body_of(WEBHOOK_ALERTMANAGER, env, &t, &ct);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(am, 0), "endsAt")), "2026-11-24T23:00:00Z");
	json_decref(am);
	json_decref(env);

	CU_ASSERT_EQUAL(webhook_format_from_name("cloudevents"), WEBHOOK_CLOUDEVENTS);
	CU_ASSERT_EQUAL(webhook_format_from_name("xml"), -1);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "the Standard Webhooks test vector", test_vector },
		{ "key rotation and bad secrets", test_rotation },
		{ "message ids", test_msg_id },
		{ "every format's shape", test_formats },
		{ "collector events and an NC without a KPI", test_collector_events },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "webhook", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
