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

/* Resolves ptr under node root of d.  A string met with tokens left is
 * parsed as JSON (an object or array) into the next nested document of cc,
 * and the rest of the pointer applies to it; *dp receives the document the
 * result lies in.  Returns the node, or JT_NONE. */
static uint32_t resolve(struct classify_ctx *cc, struct jt_doc *d, uint32_t root, const char *ptr,
			struct jt_doc **dp)
{
	uint32_t cur = root;
	unsigned level = 0;
	const char *p = ptr;
	while (cur != JT_NONE && *p == '/') {
		char tok[256];
		size_t n;
		if (jt_pointer_token(&p, tok, sizeof(tok), &n) < 0)
			return JT_NONE;
		if (jt_type(d, cur) == JT_STRING) {
			if (level >= CLASSIFY_NESTED)
				return JT_NONE;
			struct classify_nested *nd = &cc->nested[level++];
			if (nd->parent != d || nd->node != cur || nd->parse_text != d->text) {
				size_t len;
				const char *text = jt_str(d, cur, &len);
				nd->parent = d;
				nd->node = cur;
				nd->parse_text = d->text;
				nd->ok = text != NULL && jt_parse(&nd->doc, text, len, 0) == 0;
			}
			if (!nd->ok)
				return JT_NONE;
			d = &nd->doc;
			cur = 0;
		}
		cur = jt_child(d, cur, tok, n);
	}
	if (*p != '\0' || cur == JT_NONE)
		return JT_NONE;
	*dp = d;
	return cur;
}

/* The text of a scalar, or NULL for null, objects and arrays. */
static const char *scalar_text(struct jt_doc *d, uint32_t v, char *buf, size_t len)
{
	switch (jt_type(d, v)) {
	case JT_STRING:
		return jt_str(d, v, NULL);
	case JT_INTEGER:
		snprintf(buf, len, "%lld", (long long)jt_int(d, v, 0));
		return buf;
	case JT_REAL:
		snprintf(buf, len, "%.17g", jt_number(d, v));
		return buf;
	case JT_TRUE:
		return "true";
	case JT_FALSE:
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

static int cond_holds(struct classify_ctx *cc, const struct classify_cond *c, struct jt_doc *doc, uint32_t record)
{
	struct jt_doc *d = doc;
	uint32_t v = resolve(cc, doc, record, c->pointer, &d);
	char buf[64];
	const char *s = v != JT_NONE ? scalar_text(d, v, buf, sizeof(buf)) : NULL;
	int present = v != JT_NONE && jt_type(d, v) != JT_NULL;
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
			/* the compact JSON text of the value, as json_dumps() writes it */
			jt_buf_reset(&cc->text);
			jt_buf_node(&cc->text, d, v, 0);
			r = !cc->text.oom && contains_any(cc->text.p, c->value);
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
	return r;
}

static int rule_matches(struct classify_ctx *cc, const struct classify_rule *r, struct jt_doc *d, uint32_t record)
{
	if (record == JT_NONE || jt_type(d, record) != JT_OBJECT)
		return 0;
	for (size_t i = 0; i < CLASSIFY_MAX_CONDS && r->conds[i].pointer != NULL; i++)
		if (!cond_holds(cc, &r->conds[i], d, record))
			return 0;
	return 1;
}

void classify_ctx_free(struct classify_ctx *cc)
{
	for (size_t i = 0; i < CLASSIFY_NESTED; i++)
		jt_free(&cc->nested[i].doc);
	jt_buf_free(&cc->text);
	memset(cc, 0, sizeof(*cc));
}

size_t classify_tape(struct classify_ctx *cc, const char *provider, struct jt_doc *d, uint32_t record,
		     const char *out[CLASSIFY_MAX_CATEGORIES])
{
	size_t n = 0;
	/* a new record: forget the nested documents of the last one */
	for (size_t i = 0; i < CLASSIFY_NESTED; i++)
		cc->nested[i].parent = NULL;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct classify_rule *r = &rules[i];
		if (strcmp(r->provider, provider) != 0)
			continue;
		int have = 0;
		for (size_t k = 0; k < n && !have; k++)
			have = strcmp(out[k], r->category) == 0;
		if (have || n >= CLASSIFY_MAX_CATEGORIES || !rule_matches(cc, r, d, record))
			continue;
		out[n++] = r->category;
	}
	return n;
}

/* The jansson entry points: the record is written out and read as a tape. */
static int with_tape(const json_t *record, struct classify_ctx *cc, struct jt_doc *d, char **text)
{
	memset(cc, 0, sizeof(*cc));
	*text = json_dumps(record, JSON_COMPACT);
	if (*text == NULL)
		return -1;
	return jt_parse(d, *text, strlen(*text), 0);
}

int classify_rule_matches(const struct classify_rule *r, const json_t *record)
{
	if (!json_is_object(record))
		return 0;
	struct classify_ctx cc;
	struct jt_doc d = JT_DOC_INIT;
	char *text = NULL;
	int m = with_tape(record, &cc, &d, &text) == 0 && rule_matches(&cc, r, &d, 0);
	classify_ctx_free(&cc);
	jt_free(&d);
	free(text);
	return m;
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
	if (!json_is_object(record))
		return 0;
	struct classify_ctx cc;
	struct jt_doc d = JT_DOC_INIT;
	char *text = NULL;
	int added = -1;
	if (with_tape(record, &cc, &d, &text) < 0)
		goto out;
	const char *cats[CLASSIFY_MAX_CATEGORIES];
	size_t n = classify_tape(&cc, provider, &d, 0, cats);
	added = 0;
	for (size_t i = 0; i < n; i++) {
		if (has_string(categories, cats[i]))
			continue;
		if (json_array_append_new(categories, json_string(cats[i])) < 0) {
			added = -1;
			goto out;
		}
		added++;
	}
out:
	classify_ctx_free(&cc);
	jt_free(&d);
	free(text);
	return added;
}
