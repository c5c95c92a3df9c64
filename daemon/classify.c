/*
 * classify.c: the audit-event rule table and its evaluation.  To change
 * what counts as a finding, edit the table; the collectors only call
 * classify_event() on each raw event record.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

#define C(ptr, op, val) { ptr, CLASSIFY_##op, val }

static const struct classify_rule rules[] = {
	/* ---- AWS CloudTrail: the parsed CloudTrailEvent ---- */
	{ "aws-trail-tamper", "aws", CLASSIFY_LOGGING_TAMPER,
	  { C("/eventSource", EQ, "cloudtrail.amazonaws.com"),
	    C("/eventName", IN, "StopLogging|DeleteTrail|UpdateTrail|PutEventSelectors"),
	    C("/errorCode", ABSENT, NULL) } },
	/* CIS: IAM users (and root) only; federated sign-ins report MFAUsed
	 * "No" because the identity provider did the MFA. */
	{ "aws-console-login-no-mfa", "aws", CLASSIFY_CONSOLE_LOGIN_NO_MFA,
	  { C("/eventName", EQ, "ConsoleLogin"),
	    C("/additionalEventData/MFAUsed", NE, "Yes"),
	    C("/responseElements/ConsoleLogin", EQ, "Success"),
	    C("/userIdentity/type", IN, "IAMUser|Root") } },
	{ "aws-root-activity", "aws", CLASSIFY_ROOT_ACTIVITY,
	  { C("/userIdentity/type", EQ, "Root"),
	    C("/userIdentity/invokedBy", ABSENT, NULL),
	    C("/eventType", NE, "AwsServiceEvent") } },
	{ "aws-iam-grant", "aws", CLASSIFY_PRIVILEGE_GRANT,
	  { C("/eventSource", EQ, "iam.amazonaws.com"),
	    C("/eventName", IN,
	      "AttachUserPolicy|AttachGroupPolicy|AttachRolePolicy|PutUserPolicy|PutGroupPolicy|PutRolePolicy|"
	      "AddUserToGroup|CreatePolicyVersion|SetDefaultPolicyVersion|UpdateAssumeRolePolicy"),
	    C("/errorCode", ABSENT, NULL) } },
	{ "aws-sg-ingress-world", "aws", CLASSIFY_WORLD_OPEN_FIREWALL,
	  { C("/eventSource", EQ, "ec2.amazonaws.com"),
	    C("/eventName", EQ, "AuthorizeSecurityGroupIngress"),
	    C("/requestParameters/ipPermissions", CONTAINS_ANY, "\"cidrIp\":\"0.0.0.0/0\"|\"cidrIpv6\":\"::/0\""),
	    C("/errorCode", ABSENT, NULL) } },

	/* ---- Azure Activity Log: the EventData; only Succeeded events, so
	 * that a Started/Succeeded pair counts once ---- */
	{ "azure-diagnostics-delete", "azure", CLASSIFY_LOGGING_TAMPER,
	  { C("/operationName/value", IN_CI,
	      "Microsoft.Insights/diagnosticSettings/delete|Microsoft.Insights/logProfiles/delete|"
	      "microsoft.aadiam/diagnosticSettings/delete"),
	    C("/status/value", EQ_CI, "Succeeded") } },
	{ "azure-role-assignment", "azure", CLASSIFY_PRIVILEGE_GRANT,
	  { C("/operationName/value", EQ_CI, "Microsoft.Authorization/roleAssignments/write"),
	    C("/status/value", EQ_CI, "Succeeded") } },
	{ "azure-nsg-rule-world", "azure", CLASSIFY_WORLD_OPEN_FIREWALL,
	  { C("/operationName/value", EQ_CI, "Microsoft.Network/networkSecurityGroups/securityRules/write"),
	    C("/status/value", EQ_CI, "Succeeded"),
	    C("/properties/responseBody/properties/direction", EQ_CI, "Inbound"),
	    C("/properties/responseBody/properties/access", EQ_CI, "Allow"),
	    C("/properties/responseBody/properties/sourceAddressPrefix", IN_CI, "*|0.0.0.0/0|Internet|Any|::/0") } },
	{ "azure-nsg-rule-world-list", "azure", CLASSIFY_WORLD_OPEN_FIREWALL,
	  { C("/operationName/value", EQ_CI, "Microsoft.Network/networkSecurityGroups/securityRules/write"),
	    C("/status/value", EQ_CI, "Succeeded"),
	    C("/properties/responseBody/properties/direction", EQ_CI, "Inbound"),
	    C("/properties/responseBody/properties/access", EQ_CI, "Allow"),
	    C("/properties/responseBody/properties/sourceAddressPrefixes", CONTAINS_ANY,
	      "\"*\"|\"0.0.0.0/0\"|\"Internet\"|\"internet\"|\"Any\"|\"::/0\"") } },

	/* ---- GCP Cloud Audit Logs: the LogEntry; a status code other than
	 * 0 is a failed call ---- */
	{ "gcp-sink-tamper", "gcp", CLASSIFY_LOGGING_TAMPER,
	  { C("/protoPayload/methodName", IN,
	      "google.logging.v2.ConfigServiceV2.DeleteSink|google.logging.v2.ConfigServiceV2.UpdateSink|"
	      "google.logging.v2.LoggingServiceV2.DeleteLog"),
	    C("/protoPayload/status/code", ABSENT_OR_EQ, "0") } },
	{ "gcp-set-iam-policy", "gcp", CLASSIFY_PRIVILEGE_GRANT,
	  { C("/protoPayload/methodName", SUFFIX_CI, "SetIamPolicy"),
	    C("/protoPayload/status/code", ABSENT_OR_EQ, "0") } },
	{ "gcp-firewall-world", "gcp", CLASSIFY_WORLD_OPEN_FIREWALL,
	  { C("/protoPayload/methodName", IN,
	      "v1.compute.firewalls.insert|v1.compute.firewalls.patch|v1.compute.firewalls.update|"
	      "beta.compute.firewalls.insert|beta.compute.firewalls.patch|beta.compute.firewalls.update"),
	    C("/protoPayload/request/sourceRanges", CONTAINS_ANY, "\"0.0.0.0/0\"|\"::/0\""),
	    C("/protoPayload/request/direction", NE, "EGRESS"),
	    C("/protoPayload/request/denieds", ABSENT, NULL),
	    C("/protoPayload/status/code", ABSENT_OR_EQ, "0") } },
};

#undef C

const struct classify_rule *classify_rules(size_t *n)
{
	*n = sizeof(rules) / sizeof(rules[0]);
	return rules;
}

/* ---- evaluation ----------------------------------------------------------------- */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Compares a[0..n) with b[0..n), ASCII case folded when ci. */
static int same(const char *a, const char *b, size_t n, int ci)
{
	for (size_t i = 0; i < n; i++) {
		int x = ci ? lower((unsigned char)a[i]) : (unsigned char)a[i];
		int y = ci ? lower((unsigned char)b[i]) : (unsigned char)b[i];
		if (x != y)
			return 0;
	}
	return 1;
}

/* Resolves ptr in root.  A string met with tokens left is parsed as JSON.
 * Returns a new reference, or NULL. */
static json_t *resolve(const json_t *root, const char *ptr)
{
	json_t *cur = json_incref((json_t *)root);
	const char *p = ptr;
	while (cur != NULL && *p == '/') {
		p++;
		char tok[256];
		size_t n = 0;
		while (*p != '\0' && *p != '/' && n + 1 < sizeof(tok)) {
			if (p[0] == '~' && (p[1] == '0' || p[1] == '1')) {
				tok[n++] = p[1] == '1' ? '/' : '~';
				p += 2;
			} else {
				tok[n++] = *p++;
			}
		}
		tok[n] = '\0';
		if (*p != '\0' && *p != '/')
			goto fail; /* token too long */
		if (json_is_string(cur)) {
			json_t *parsed = json_loadb(json_string_value(cur), json_string_length(cur), 0, NULL);
			json_decref(cur);
			cur = parsed;
		}
		json_t *next = NULL;
		if (json_is_object(cur)) {
			next = json_object_get(cur, tok);
		} else if (json_is_array(cur)) {
			char *end = NULL;
			unsigned long i = strtoul(tok, &end, 10);
			if (n > 0 && *end == '\0' && (n == 1 || tok[0] != '0'))
				next = json_array_get(cur, i);
		}
		json_incref(next);
		json_decref(cur);
		cur = next;
	}
	if (*p == '\0')
		return cur;
fail:
	json_decref(cur);
	return NULL;
}

/* The text of a scalar, or NULL for null, objects and arrays. */
static const char *scalar_text(const json_t *v, char *buf, size_t len)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_value(v);
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	case JSON_REAL:
		snprintf(buf, len, "%.17g", json_real_value(v));
		return buf;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	default:
		return NULL;
	}
}

/* Non-zero when s equals one of the '|'-separated words of list. */
static int in_list(const char *s, const char *list, int ci)
{
	size_t sl = strlen(s);
	for (const char *w = list;;) {
		size_t wl = strcspn(w, "|");
		if (wl == sl && same(s, w, wl, ci))
			return 1;
		if (w[wl] == '\0')
			return 0;
		w += wl + 1;
	}
}

/* Non-zero when text contains one of the '|'-separated strings of list. */
static int contains_any(const char *text, const char *list)
{
	size_t tl = strlen(text);
	for (const char *w = list;;) {
		size_t wl = strcspn(w, "|");
		for (size_t i = 0; wl > 0 && i + wl <= tl; i++)
			if (same(text + i, w, wl, 0))
				return 1;
		if (w[wl] == '\0')
			return 0;
		w += wl + 1;
	}
}

static int cond_holds(const struct classify_cond *c, const json_t *record)
{
	json_t *v = resolve(record, c->pointer);
	char buf[64];
	const char *s = v ? scalar_text(v, buf, sizeof(buf)) : NULL;
	int present = v != NULL && !json_is_null(v);
	int r = 0;
	switch (c->op) {
	case CLASSIFY_EQ:
	case CLASSIFY_EQ_CI:
		r = s != NULL && strlen(s) == strlen(c->value) && same(s, c->value, strlen(s), c->op == CLASSIFY_EQ_CI);
		break;
	case CLASSIFY_IN:
	case CLASSIFY_IN_CI:
		r = s != NULL && in_list(s, c->value, c->op == CLASSIFY_IN_CI);
		break;
	case CLASSIFY_NE:
		r = s == NULL || strcmp(s, c->value) != 0;
		break;
	case CLASSIFY_EXISTS:
		r = present;
		break;
	case CLASSIFY_ABSENT:
		r = !present;
		break;
	case CLASSIFY_ABSENT_OR_EQ:
		r = !present || (s != NULL && strcmp(s, c->value) == 0);
		break;
	case CLASSIFY_CONTAINS_ANY:
		if (present) {
			char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			r = text != NULL && contains_any(text, c->value);
			free(text);
		}
		break;
	case CLASSIFY_SUFFIX:
	case CLASSIFY_SUFFIX_CI:
		if (s != NULL) {
			size_t sl = strlen(s), vl = strlen(c->value);
			r = sl >= vl && same(s + sl - vl, c->value, vl, c->op == CLASSIFY_SUFFIX_CI);
		}
		break;
	}
	json_decref(v);
	return r;
}

int classify_rule_matches(const struct classify_rule *r, const json_t *record)
{
	if (!json_is_object(record))
		return 0;
	for (size_t i = 0; i < CLASSIFY_MAX_CONDS && r->conds[i].pointer != NULL; i++)
		if (!cond_holds(&r->conds[i], record))
			return 0;
	return 1;
}

static int has_string(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	}
	return 0;
}

int classify_event(const char *provider, const json_t *record, json_t *categories)
{
	if (!json_is_array(categories))
		return -1;
	int added = 0;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct classify_rule *r = &rules[i];
		if (strcmp(r->provider, provider) != 0 || has_string(categories, r->category) ||
		    !classify_rule_matches(r, record))
			continue;
		if (json_array_append_new(categories, json_string(r->category)) < 0)
			return -1;
		added++;
	}
	return added;
}
