/*
 * webhook.c: Standard Webhooks v1 signing, message ids, the event envelope
 * and the body of each output format.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util.h"
#include "webhook.h"

int webhook_format_from_name(const char *name)
{
	static const char *const names[] = { "standard", "cloudevents", "pagerduty", "slack", "alertmanager" };
	for (int i = 0; i < 5; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

int webhook_secret_decode(const char *whsec, unsigned char **key, size_t *keylen)
{
	*key = NULL;
	if (strncmp(whsec, "whsec_", 6) != 0)
		return -1;
	const char *b64 = whsec + 6;
	size_t n = strlen(b64);
	while (n > 0 && (b64[n - 1] == '\n' || b64[n - 1] == '\r' || b64[n - 1] == ' '))
		n--;
	if (n == 0 || n > 512)
		return -1;
	/* EVP_DecodeBlock wants padding: add what is missing */
	char padded[520];
	memcpy(padded, b64, n);
	while (n % 4 != 0)
		padded[n++] = '=';
	padded[n] = '\0';
	unsigned char *out = malloc(n);
	if (out == NULL)
		return -1;
	int len = EVP_DecodeBlock(out, (const unsigned char *)padded, (int)n);
	if (len < 0) {
		util_secret_free((char *)out, n);
		return -1;
	}
	/* EVP_DecodeBlock counts the padding's zero bytes */
	for (size_t i = n; i > 0 && padded[i - 1] == '='; i--)
		len--;
	*key = out;
	*keylen = (size_t)len;
	return 0;
}

char *webhook_sign(const char *const *secrets, size_t n_secrets, const char *msg_id, time_t timestamp,
		   const char *body, size_t len, char *err, size_t errlen)
{
	struct util_buf signed_content, header;
	util_buf_init(&signed_content, len + 256);
	util_buf_init(&header, 4096);
	char *result = NULL;
	if (n_secrets == 0) {
		snprintf(err, errlen, "no webhook secret");
		goto out;
	}
	if (util_buf_printf(&signed_content, "%s.%lld.", msg_id, (long long)timestamp) < 0 ||
	    util_buf_append(&signed_content, body, len) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_secrets; i++) {
		unsigned char *key = NULL;
		size_t keylen = 0;
		if (webhook_secret_decode(secrets[i], &key, &keylen) < 0) {
			snprintf(err, errlen, "webhook secret %zu is not of the form whsec_<base64>", i + 1);
			goto out;
		}
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned int maclen = 0;
		unsigned char *ok = HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)signed_content.data,
					 signed_content.len, mac, &maclen);
		util_secret_free((char *)key, keylen);
		char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
		if (ok == NULL || EVP_EncodeBlock((unsigned char *)b64, mac, (int)maclen) <= 0 ||
		    util_buf_printf(&header, "%sv1,%s", i ? " " : "", b64) < 0) {
			snprintf(err, errlen, "cannot sign the webhook");
			goto out;
		}
	}
	result = util_buf_take(&header, NULL);
out:
	util_buf_free(&signed_content);
	util_buf_free(&header);
	return result;
}

char *webhook_msg_id(void)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char rnd[24];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return NULL;
	char *id = malloc(4 + sizeof(rnd) + 1);
	if (id == NULL)
		return NULL;
	memcpy(id, "msg_", 4);
	for (size_t i = 0; i < sizeof(rnd); i++)
		id[4 + i] = chars[rnd[i] & 63];
	id[4 + sizeof(rnd)] = '\0';
	return id;
}

json_t *webhook_envelope(const char *type, time_t ts, const json_t *data)
{
	char when[UTIL_ISO_TIME_LEN];
	util_time_iso(ts, when);
	return json_pack("{s:s, s:s, s:O}", "type", type, "timestamp", when, "data", data);
}

/* ---- formats ------------------------------------------------------------------------ */

static const char *str(const json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : def;
}

/* "8.8, 8.19" from the data's controls array. */
static char *controls_text(const json_t *data)
{
	struct util_buf b;
	util_buf_init(&b, 4096);
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(data, "controls"), i, c)
	util_buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(c) ? json_string_value(c) : "?");
	return util_buf_take(&b, NULL);
}

static json_t *cloudevent(const json_t *env, const struct webhook_target *t)
{
	const json_t *data = json_object_get(env, "data");
	char type[256], source[300];
	snprintf(type, sizeof(type), "org.ismsd.%s", str(env, "type", "event"));
	snprintf(source, sizeof(source), "/ismsd/%s", t->host ? t->host : "localhost");
	json_t *ce = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "specversion", "1.0", "id",
			       t->msg_id ? t->msg_id : "", "source", source, "type", type, "time",
			       str(env, "timestamp", ""), "datacontenttype", "application/json", "data", data);
	json_t *controls = json_object_get(data, "controls");
	if (json_is_string(json_array_get(controls, 0)))
		json_object_set(ce, "subject", json_array_get(controls, 0));
	const char *sev = str(data, "severity", NULL);
	if (sev != NULL) /* the CloudEvents severity extension */
		json_object_set_new(ce, "severitytext", json_string(strcmp(sev, "major") == 0 ? "ERROR" : "WARN"));
	return ce;
}

static json_t *pagerduty(const json_t *env, const struct webhook_target *t)
{
	if (t->routing_key == NULL || strlen(t->routing_key) != 32)
		return NULL;
	const char *type = str(env, "type", "event");
	const json_t *data = json_object_get(env, "data");
	json_t *nc = json_object_get(data, "nc_id");
	char dedup[128];
	if (json_is_integer(nc))
		snprintf(dedup, sizeof(dedup), "ismsd-nc-%" JSON_INTEGER_FORMAT, json_integer_value(nc));
	else if (strncmp(type, "collector.", 10) == 0) /* failed and recovered share the incident */
		snprintf(dedup, sizeof(dedup), "ismsd-collector-%s", str(data, "source", "ismsd"));
	else
		snprintf(dedup, sizeof(dedup), "ismsd-%s-%s", type, str(data, "source", "ismsd"));
	int resolve = strcmp(type, "nonconformity.closed") == 0 || strcmp(type, "collector.recovered") == 0;
	if (resolve)
		return json_pack("{s:s, s:s, s:s}", "routing_key", t->routing_key, "event_action", "resolve", "dedup_key",
				 dedup);
	const char *sev = str(data, "severity", "minor");
	const char *pd_sev = strcmp(type, "nonconformity.escalated") == 0 ? "critical"
			     : strcmp(sev, "major") == 0		? "error"
									: "warning";
	char summary[1025];
	snprintf(summary, sizeof(summary), "%s: %s", type, str(data, "title", str(data, "error", "ismsd event")));
	char *controls = controls_text(data);
	/* component and group are optional, but non-empty strings when
	 * present: the KPI (or the source of a collector event) and the
	 * controls; left out when there are none */
	json_t *pd = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s*, s:s*, s:s, s:O}}", "routing_key",
			       t->routing_key, "event_action", "trigger", "dedup_key", dedup, "payload", "summary", summary,
			       "source", t->host ? t->host : "ismsd", "severity", pd_sev, "timestamp",
			       str(env, "timestamp", ""), "component", str(data, "kpi", str(data, "source", NULL)),
			       "group", controls && *controls ? controls : NULL, "class", type, "custom_details", data);
	free(controls);
	return pd;
}

static char *slack_escape(const char *s)
{
	struct util_buf b;
	util_buf_init(&b, strlen(s) * 5 + 1);
	for (; *s; s++) {
		if (*s == '&')
			util_buf_append(&b, "&amp;", 5);
		else if (*s == '<')
			util_buf_append(&b, "&lt;", 4);
		else if (*s == '>')
			util_buf_append(&b, "&gt;", 4);
		else
			util_buf_append(&b, s, 1);
	}
	return util_buf_take(&b, NULL);
}

static json_t *slack(const json_t *env)
{
	const json_t *data = json_object_get(env, "data");
	const char *sev = str(data, "severity", NULL);
	char *title = slack_escape(str(data, "title", str(data, "error", "")));
	char *controls = controls_text(data);
	char *ctl = slack_escape(controls ? controls : "");
	char *owner = slack_escape(str(data, "owner", "-"));
	char text[3000];
	json_t *nc = json_object_get(data, "nc_id");
	char ncid[48] = "";
	if (json_is_integer(nc))
		snprintf(ncid, sizeof(ncid), " · NC %" JSON_INTEGER_FORMAT, json_integer_value(nc));
	snprintf(text, sizeof(text), "%s%s%s%s: %s\nControls: %s · Owner: %s%s", sev ? "*[" : "",
		 sev ? (strcmp(sev, "major") == 0 ? "MAJOR" : "minor") : "", sev ? "]* " : "", str(env, "type", "event"),
		 title, ctl[0] ? ctl : "-", owner, ncid);
	json_t *s = json_pack("{s:s, s:[{s:s, s:{s:s, s:s}}]}", "text", text, "blocks", "type", "section", "text", "type",
			      "mrkdwn", "text", text);
	free(title);
	free(controls);
	free(ctl);
	free(owner);
	return s;
}

static json_t *alertmanager(const json_t *env, const struct webhook_target *t)
{
	const char *type = str(env, "type", "event");
	const json_t *data = json_object_get(env, "data");
	json_t *labels = json_object();
	json_t *nc = json_object_get(data, "nc_id");
	/* Every NC event (evidence.gap and activity.overdue are NCs too) is
	 * the one alert IsmsdNonconformity{nc_id}, so re-sends match it. */
	json_object_set_new(labels, "alertname",
			    json_string(json_is_integer(nc) || strncmp(type, "nonconformity.", 14) == 0 ? "IsmsdNonconformity"
													: "IsmsdEvent"));
	if (json_is_integer(nc)) {
		char id[32];
		snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT, json_integer_value(nc));
		json_object_set_new(labels, "nc_id", json_string(id));
	}
	static const char *const keys[] = { "kpi", "scope", "severity", "source" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (str(data, keys[i], NULL))
			json_object_set_new(labels, keys[i], json_string(str(data, keys[i], NULL)));
	char *controls = controls_text(data);
	json_t *ann = json_pack("{s:s, s:s, s:s}", "summary", str(data, "title", str(data, "error", type)), "controls",
				controls ? controls : "", "event", type);
	free(controls);
	if (str(data, "owner", NULL))
		json_object_set_new(ann, "owner", json_string(str(data, "owner", NULL)));
	json_t *alert = json_pack("{s:o, s:o, s:s}", "labels", labels, "annotations", ann, "startsAt",
				  str(data, "detected_at", str(env, "timestamp", "")));
	/* a closed NC (or a recovered collector) is sent as resolved: endsAt now */
	if (strcmp(type, "nonconformity.closed") == 0 || strcmp(type, "collector.recovered") == 0) {
		char now[UTIL_ISO_TIME_LEN];
		util_time_iso(t->now, now);
		json_object_set_new(alert, "endsAt", json_string(now));
	}
	return json_pack("[o]", alert);
}

int webhook_format_takes(enum webhook_format f, const char *type)
{
	/* A report is news, not an incident or an alert. */
	if ((f == WEBHOOK_PAGERDUTY || f == WEBHOOK_ALERTMANAGER) && strcmp(type, "report.generated") == 0)
		return 0;
	return 1;
}

char *webhook_body(enum webhook_format f, const json_t *envelope, const struct webhook_target *t,
		   const char **content_type)
{
	json_t *j = NULL;
	*content_type = "application/json";
	switch (f) {
	case WEBHOOK_STANDARD:
		j = json_incref((json_t *)envelope);
		break;
	case WEBHOOK_CLOUDEVENTS:
		j = cloudevent(envelope, t);
		*content_type = "application/cloudevents+json; charset=utf-8";
		break;
	case WEBHOOK_PAGERDUTY:
		j = pagerduty(envelope, t);
		break;
	case WEBHOOK_SLACK:
		j = slack(envelope);
		break;
	case WEBHOOK_ALERTMANAGER:
		j = alertmanager(envelope, t);
		break;
	}
	if (j == NULL)
		return NULL;
	char *body = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(j);
	return body;
}
