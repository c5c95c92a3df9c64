/*
 * test_classify.c: the audit-event rule table, case by case: for every rule
 * an event that matches it and near-misses that must not (a failed call, a
 * Started event, a private CIDR, an egress or deny rule, ...), and a check
 * that every rule of the table is exercised by some positive case.
 *
 * Records are written with ' for " to stay readable.  Azure records may
 * give properties.requestbody/responseBody as objects: they are turned
 * into the JSON strings the Activity Log really carries before classifying.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "classify.h"
#include "testhelp.h"

struct ccase {
	const char *name;
	const char *provider;
	const char *record;
	const char *want; /* the categories in table order, ','-separated; "" for none */
};

/* ---- AWS: parsed CloudTrailEvent records ---- */
#define IAM_MALLORY "'userIdentity':{'type':'IAMUser','userName':'mallory','arn':'arn:aws:iam::123456789012:user/mallory'}"
#define ROOT "'userIdentity':{'type':'Root','arn':'arn:aws:iam::123456789012:root'}"
#define ROLE "'userIdentity':{'type':'AssumedRole','arn':'arn:aws:sts::123456789012:assumed-role/OpsRole/s'}"
#define SG(cidr) "'requestParameters':{'groupId':'sg-1','ipPermissions':{'items':[{'ipProtocol':'tcp','fromPort':22,"\
	"'toPort':22,'ipRanges':{'items':[{'cidrIp':'" cidr "'}]},'ipv6Ranges':{}}]}}"

static const struct ccase cases[] = {
	{ "aws StopLogging", "aws",
	  "{'eventSource':'cloudtrail.amazonaws.com','eventName':'StopLogging'," IAM_MALLORY ",'eventType':'AwsApiCall'}",
	  "logging_tamper" },
	{ "aws DeleteTrail", "aws", "{'eventSource':'cloudtrail.amazonaws.com','eventName':'DeleteTrail'," IAM_MALLORY "}",
	  "logging_tamper" },
	{ "aws UpdateTrail", "aws", "{'eventSource':'cloudtrail.amazonaws.com','eventName':'UpdateTrail'," IAM_MALLORY "}",
	  "logging_tamper" },
	{ "aws PutEventSelectors", "aws",
	  "{'eventSource':'cloudtrail.amazonaws.com','eventName':'PutEventSelectors'," ROLE "}", "logging_tamper" },
	{ "near-miss: StopLogging denied", "aws",
	  "{'eventSource':'cloudtrail.amazonaws.com','eventName':'StopLogging','errorCode':'AccessDenied'," ROLE "}", "" },
	{ "near-miss: GetTrailStatus", "aws", "{'eventSource':'cloudtrail.amazonaws.com','eventName':'GetTrailStatus'," ROLE "}",
	  "" },
	{ "near-miss: StopLogging of another service", "aws",
	  "{'eventSource':'example.amazonaws.com','eventName':'StopLogging'," ROLE "}", "" },

	{ "aws console login without MFA", "aws",
	  "{'eventName':'ConsoleLogin'," IAM_MALLORY ",'responseElements':{'ConsoleLogin':'Success'},"
	  "'additionalEventData':{'MFAUsed':'No'},'eventType':'AwsConsoleSignIn'}",
	  "console_login_no_mfa" },
	{ "aws console login, MFAUsed missing", "aws",
	  "{'eventName':'ConsoleLogin'," IAM_MALLORY ",'responseElements':{'ConsoleLogin':'Success'}}",
	  "console_login_no_mfa" },
	{ "near-miss: failed console login without MFA", "aws",
	  "{'eventName':'ConsoleLogin','userIdentity':{'type':'IAMUser','userName':'bob'},"
	  "'responseElements':{'ConsoleLogin':'Failure'},'additionalEventData':{'MFAUsed':'No'},"
	  "'errorMessage':'Failed authentication'}",
	  "" },
	{ "near-miss: console login with MFA", "aws",
	  "{'eventName':'ConsoleLogin','userIdentity':{'type':'IAMUser','userName':'alice'},"
	  "'responseElements':{'ConsoleLogin':'Success'},'additionalEventData':{'MFAUsed':'Yes'}}",
	  "" },
	{ "near-miss: federated console login (MFA at the IdP)", "aws",
	  "{'eventName':'ConsoleLogin'," ROLE ",'responseElements':{'ConsoleLogin':'Success'},"
	  "'additionalEventData':{'MFAUsed':'No'}}",
	  "" },

	{ "aws root console login with MFA", "aws",
	  "{'eventName':'ConsoleLogin'," ROOT ",'responseElements':{'ConsoleLogin':'Success'},"
	  "'additionalEventData':{'MFAUsed':'Yes'},'eventType':'AwsConsoleSignIn'}",
	  "root_activity" },
	{ "aws root console login without MFA", "aws",
	  "{'eventName':'ConsoleLogin'," ROOT ",'responseElements':{'ConsoleLogin':'Success'},"
	  "'additionalEventData':{'MFAUsed':'No'},'eventType':'AwsConsoleSignIn'}",
	  "console_login_no_mfa,root_activity" },
	{ "aws root CreateAccessKey", "aws",
	  "{'eventSource':'iam.amazonaws.com','eventName':'CreateAccessKey'," ROOT ",'eventType':'AwsApiCall'}",
	  "root_activity" },
	{ "near-miss: root identity invoked by a service", "aws",
	  "{'eventName':'GetBucketAcl','userIdentity':{'type':'Root','invokedBy':'config.amazonaws.com'},"
	  "'eventType':'AwsApiCall'}",
	  "" },
	{ "near-miss: root AwsServiceEvent", "aws",
	  "{'eventName':'SharedSnapshotCopyInitiated'," ROOT ",'eventType':'AwsServiceEvent'}", "" },

	{ "aws AttachUserPolicy", "aws",
	  "{'eventSource':'iam.amazonaws.com','eventName':'AttachUserPolicy'," IAM_MALLORY ","
	  "'requestParameters':{'userName':'mallory','policyArn':'arn:aws:iam::aws:policy/AdministratorAccess'}}",
	  "privilege_grant" },
	{ "aws PutUserPolicy", "aws", "{'eventSource':'iam.amazonaws.com','eventName':'PutUserPolicy'," IAM_MALLORY "}",
	  "privilege_grant" },
	{ "aws AddUserToGroup", "aws", "{'eventSource':'iam.amazonaws.com','eventName':'AddUserToGroup'," ROLE "}",
	  "privilege_grant" },
	{ "aws CreatePolicyVersion", "aws", "{'eventSource':'iam.amazonaws.com','eventName':'CreatePolicyVersion'," ROLE "}",
	  "privilege_grant" },
	{ "near-miss: AttachUserPolicy denied", "aws",
	  "{'eventSource':'iam.amazonaws.com','eventName':'AttachUserPolicy','errorCode':'AccessDenied'," ROLE "}", "" },
	{ "near-miss: DetachUserPolicy", "aws", "{'eventSource':'iam.amazonaws.com','eventName':'DetachUserPolicy'," ROLE "}",
	  "" },
	{ "near-miss: ListUsers", "aws", "{'eventSource':'iam.amazonaws.com','eventName':'ListUsers'," ROLE "}", "" },

	{ "aws ingress from 0.0.0.0/0", "aws",
	  "{'eventSource':'ec2.amazonaws.com','eventName':'AuthorizeSecurityGroupIngress'," IAM_MALLORY "," SG("0.0.0.0/0") "}",
	  "world_open_firewall" },
	{ "aws ingress from ::/0", "aws",
	  "{'eventSource':'ec2.amazonaws.com','eventName':'AuthorizeSecurityGroupIngress'," ROLE ","
	  "'requestParameters':{'ipPermissions':{'items':[{'ipv6Ranges':{'items':[{'cidrIpv6':'::/0'}]}}]}}}",
	  "world_open_firewall" },
	{ "near-miss: ingress from 10.0.0.0/16", "aws",
	  "{'eventSource':'ec2.amazonaws.com','eventName':'AuthorizeSecurityGroupIngress'," ROLE "," SG("10.0.0.0/16") "}",
	  "" },
	{ "near-miss: ingress from 10.0.0.0/0", "aws",
	  "{'eventSource':'ec2.amazonaws.com','eventName':'AuthorizeSecurityGroupIngress'," ROLE "," SG("10.0.0.0/0") "}",
	  "" },
	{ "near-miss: ingress from 0.0.0.0/0 denied", "aws",
	  "{'eventSource':'ec2.amazonaws.com','eventName':'AuthorizeSecurityGroupIngress','errorCode':'Client.UnauthorizedOperation',"
	  ROLE "," SG("0.0.0.0/0") "}",
	  "" },
	{ "near-miss: revoking 0.0.0.0/0", "aws",
	  "{'eventSource':'ec2.amazonaws.com','eventName':'RevokeSecurityGroupIngress'," ROLE "," SG("0.0.0.0/0") "}", "" },

	/* ---- Azure: EventData ---- */
	{ "azure diagnostic settings deleted", "azure",
	  "{'operationName':{'value':'Microsoft.Insights/diagnosticSettings/delete'},'status':{'value':'Succeeded'},"
	  "'caller':'mallory@contoso.example'}",
	  "logging_tamper" },
	{ "azure diagnostic settings deleted (lower case)", "azure",
	  "{'operationName':{'value':'microsoft.insights/diagnosticsettings/delete'},'status':{'value':'Succeeded'}}",
	  "logging_tamper" },
	{ "near-miss: diagnostic settings delete Started", "azure",
	  "{'operationName':{'value':'Microsoft.Insights/diagnosticSettings/delete'},'status':{'value':'Started'}}", "" },
	{ "near-miss: diagnostic settings written", "azure",
	  "{'operationName':{'value':'Microsoft.Insights/diagnosticSettings/write'},'status':{'value':'Succeeded'}}", "" },

	{ "azure role assignment written", "azure",
	  "{'operationName':{'value':'Microsoft.Authorization/roleAssignments/write'},'status':{'value':'Succeeded'},"
	  "'properties':{'responseBody':{'properties':{'roleDefinitionId':'/x/8e3af657-a8ff-443c-a75c-2fe8c4bcb635'}}}}",
	  "privilege_grant" },
	{ "near-miss: role assignment Failed", "azure",
	  "{'operationName':{'value':'Microsoft.Authorization/roleAssignments/write'},'status':{'value':'Failed'}}", "" },
	{ "near-miss: role assignment deleted", "azure",
	  "{'operationName':{'value':'Microsoft.Authorization/roleAssignments/delete'},'status':{'value':'Succeeded'}}", "" },

#define NSG_OP "'operationName':{'value':'Microsoft.Network/networkSecurityGroups/securityRules/write'}"
#define NSG_RULE(src, access, dir) "{'properties':{'sourceAddressPrefix':'" src "','access':'" access \
	"','direction':'" dir "','destinationPortRange':'22'}}"
	{ "azure NSG rule from *", "azure",
	  "{" NSG_OP ",'status':{'value':'Succeeded'},'properties':{'responseBody':" NSG_RULE("*", "Allow", "Inbound") "}}",
	  "world_open_firewall" },
	{ "azure NSG rule from 0.0.0.0/0", "azure",
	  "{" NSG_OP ",'status':{'value':'Succeeded'},'properties':{'responseBody':" NSG_RULE("0.0.0.0/0", "Allow", "Inbound")
	  "}}",
	  "world_open_firewall" },
	{ "azure NSG rule from Internet", "azure",
	  "{" NSG_OP ",'status':{'value':'Succeeded'},'properties':{'responseBody':" NSG_RULE("Internet", "Allow", "Inbound")
	  "}}",
	  "world_open_firewall" },
	{ "azure NSG rule with a prefix list", "azure",
	  "{" NSG_OP ",'status':{'value':'Succeeded'},'properties':{'responseBody':{'properties':{"
	  "'sourceAddressPrefixes':['10.0.0.0/8','0.0.0.0/0'],'access':'Allow','direction':'Inbound'}}}}",
	  "world_open_firewall" },
	{ "near-miss: NSG rule from 10.0.0.0/16", "azure",
	  "{" NSG_OP ",'status':{'value':'Succeeded'},'properties':{'responseBody':" NSG_RULE("10.0.0.0/16", "Allow", "Inbound")
	  "}}",
	  "" },
	{ "near-miss: NSG prefix list without the world", "azure",
	  "{" NSG_OP ",'status':{'value':'Succeeded'},'properties':{'responseBody':{'properties':{"
	  "'sourceAddressPrefixes':['10.0.0.0/8','192.168.0.0/16'],'access':'Allow','direction':'Inbound'}}}}",
	  "" },
	{ "near-miss: NSG deny rule from *", "azure",
	  "{" NSG_OP ",'status':{'value':'Succeeded'},'properties':{'responseBody':" NSG_RULE("*", "Deny", "Inbound") "}}", "" },
	{ "near-miss: NSG outbound rule to *", "azure",
	  "{" NSG_OP ",'status':{'value':'Succeeded'},'properties':{'responseBody':" NSG_RULE("*", "Allow", "Outbound") "}}",
	  "" },
	{ "near-miss: NSG rule from * Started", "azure",
	  "{" NSG_OP ",'status':{'value':'Started'},'properties':{'requestbody':" NSG_RULE("*", "Allow", "Inbound") "}}", "" },
	{ "near-miss: NSG rule with a body that is not JSON", "azure",
	  "{" NSG_OP ",'status':{'value':'Succeeded'},'properties':{'responseBody':'sourceAddressPrefix * Allow Inbound'}}",
	  "" },

	/* ---- GCP: LogEntry ---- */
	{ "gcp DeleteSink", "gcp",
	  "{'protoPayload':{'methodName':'google.logging.v2.ConfigServiceV2.DeleteSink','status':{},"
	  "'authenticationInfo':{'principalEmail':'mallory@example.com'}}}",
	  "logging_tamper" },
	{ "gcp UpdateSink (status code 0)", "gcp",
	  "{'protoPayload':{'methodName':'google.logging.v2.ConfigServiceV2.UpdateSink','status':{'code':0}}}",
	  "logging_tamper" },
	{ "near-miss: CreateSink", "gcp", "{'protoPayload':{'methodName':'google.logging.v2.ConfigServiceV2.CreateSink'}}", "" },
	{ "near-miss: DeleteSink denied", "gcp",
	  "{'protoPayload':{'methodName':'google.logging.v2.ConfigServiceV2.DeleteSink',"
	  "'status':{'code':7,'message':'PERMISSION_DENIED'}}}",
	  "" },

	{ "gcp SetIamPolicy", "gcp",
	  "{'protoPayload':{'methodName':'SetIamPolicy','serviceName':'cloudresourcemanager.googleapis.com','status':{}}}",
	  "privilege_grant" },
	{ "gcp service account SetIAMPolicy", "gcp",
	  "{'protoPayload':{'methodName':'google.iam.admin.v1.SetIAMPolicy'}}", "privilege_grant" },
	{ "near-miss: GetIamPolicy", "gcp", "{'protoPayload':{'methodName':'GetIamPolicy','status':{}}}", "" },
	{ "near-miss: SetIamPolicy denied", "gcp",
	  "{'protoPayload':{'methodName':'SetIamPolicy','status':{'code':7}}}", "" },

	{ "gcp firewall from 0.0.0.0/0", "gcp",
	  "{'protoPayload':{'methodName':'v1.compute.firewalls.insert','status':{},'request':{'direction':'INGRESS',"
	  "'sourceRanges':['0.0.0.0/0'],'alloweds':[{'IPProtocol':'tcp','ports':['22']}]}}}",
	  "world_open_firewall" },
	{ "gcp firewall patched to ::/0", "gcp",
	  "{'protoPayload':{'methodName':'v1.compute.firewalls.patch','request':{'sourceRanges':['10.0.0.0/8','::/0']}}}",
	  "world_open_firewall" },
	{ "near-miss: firewall from 10.128.0.0/9", "gcp",
	  "{'protoPayload':{'methodName':'v1.compute.firewalls.insert','status':{},'request':{'direction':'INGRESS',"
	  "'sourceRanges':['10.128.0.0/9'],'alloweds':[{'IPProtocol':'tcp','ports':['443']}]}}}",
	  "" },
	{ "near-miss: deny rule from 0.0.0.0/0", "gcp",
	  "{'protoPayload':{'methodName':'v1.compute.firewalls.insert','request':{'direction':'INGRESS',"
	  "'sourceRanges':['0.0.0.0/0'],'denieds':[{'IPProtocol':'all'}]}}}",
	  "" },
	{ "near-miss: egress rule", "gcp",
	  "{'protoPayload':{'methodName':'v1.compute.firewalls.insert','request':{'direction':'EGRESS',"
	  "'sourceRanges':['0.0.0.0/0'],'alloweds':[{'IPProtocol':'all'}]}}}",
	  "" },
	{ "near-miss: firewall insert failed", "gcp",
	  "{'protoPayload':{'methodName':'v1.compute.firewalls.insert','status':{'code':3},'request':{"
	  "'sourceRanges':['0.0.0.0/0'],'alloweds':[{'IPProtocol':'tcp'}]}}}",
	  "" },
	{ "near-miss: firewall deleted", "gcp",
	  "{'protoPayload':{'methodName':'v1.compute.firewalls.delete','request':{'sourceRanges':['0.0.0.0/0']}}}", "" },

	/* ---- rules apply to their own provider only ---- */
	{ "near-miss: a CloudTrail tamper event given as gcp", "gcp",
	  "{'eventSource':'cloudtrail.amazonaws.com','eventName':'StopLogging'," IAM_MALLORY "}", "" },
	{ "near-miss: an Azure role assignment given as aws", "aws",
	  "{'operationName':{'value':'Microsoft.Authorization/roleAssignments/write'},'status':{'value':'Succeeded'}}", "" },
};

/* Parses a case's record: ' becomes ", and Azure bodies become JSON text. */
static json_t *record_of(const struct ccase *c)
{
	char *text = strdup(c->record);
	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t err;
	json_t *r = json_loads(text, 0, &err);
	if (r == NULL)
		fprintf(stderr, "\n  case '%s': bad JSON: %s at %d\n", c->name, err.text, err.position);
	free(text);
	json_t *props = json_object_get(r, "properties");
	const char *keys[] = { "requestbody", "responseBody" };
	for (size_t i = 0; i < 2; i++) {
		json_t *b = json_object_get(props, keys[i]);
		if (json_is_object(b)) {
			char *s = json_dumps(b, JSON_COMPACT);
			json_object_set_new(props, keys[i], json_string(s));
			free(s);
		}
	}
	return r;
}

static char *joined(const json_t *arr)
{
	size_t len = 1, i;
	json_t *v;
	json_array_foreach(arr, i, v)
	len += strlen(json_string_value(v)) + 1;
	char *s = calloc(1, len);
	json_array_foreach(arr, i, v)
	{
		if (i > 0)
			strcat(s, ",");
		strcat(s, json_string_value(v));
	}
	return s;
}

static void test_cases(void)
{
	size_t positives = 0, misses = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ccase *c = &cases[i];
		json_t *rec = record_of(c);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
		json_t *cats = json_array();
		int n = classify_event(c->provider, rec, cats);
		char *got = joined(cats);
		if (n < 0 || strcmp(got, c->want) != 0)
			fprintf(stderr, "\n  case '%s': want [%s], got [%s] (%d)\n", c->name, c->want, got, n);
		CU_ASSERT_STRING_EQUAL(got, c->want);
		CU_ASSERT_EQUAL(n, (int)json_array_size(cats));
		if (*c->want)
			positives++;
		else
			misses++;
		free(got);
		json_decref(cats);
		json_decref(rec);
	}
	CU_ASSERT(positives >= 20);
	CU_ASSERT(misses >= 20);
}

/* Every rule of the table has a positive case that it matches, and the
 * rule ids are unique. */
static void test_every_rule_covered(void)
{
	size_t n = 0;
	const struct classify_rule *rules = classify_rules(&n);
	CU_ASSERT(n >= 12);
	for (size_t r = 0; r < n; r++) {
		int hit = 0;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && !hit; i++) {
			if (strcmp(cases[i].provider, rules[r].provider) != 0 || strstr(cases[i].want, rules[r].category) == NULL)
				continue;
			json_t *rec = record_of(&cases[i]);
			hit = classify_rule_matches(&rules[r], rec);
			json_decref(rec);
		}
		if (!hit)
			fprintf(stderr, "\n  rule %s has no positive case\n", rules[r].id);
		CU_ASSERT(hit);
		/* ids are unique */
		for (size_t q = r + 1; q < n; q++)
			CU_ASSERT(strcmp(rules[r].id, rules[q].id) != 0);
	}
}

static void test_api(void)
{
	json_t *rec = json_pack("{s:s, s:s, s:{s:s}}", "eventSource", "cloudtrail.amazonaws.com", "eventName",
				"StopLogging", "userIdentity", "type", "Root");
	/* not an array */
	json_t *obj = json_object();
	CU_ASSERT_EQUAL(classify_event("aws", rec, obj), -1);
	json_decref(obj);
	/* categories already present are not added twice */
	json_t *cats = json_pack("[s]", "root_activity");
	CU_ASSERT_EQUAL(classify_event("aws", rec, cats), 1);
	CU_ASSERT_EQUAL(json_array_size(cats), 2);
	CU_ASSERT_EQUAL(classify_event("aws", rec, cats), 0);
	CU_ASSERT_EQUAL(json_array_size(cats), 2);
	json_decref(cats);
	/* an unknown provider matches nothing; a non-object record neither */
	cats = json_array();
	CU_ASSERT_EQUAL(classify_event("oracle", rec, cats), 0);
	json_t *arr = json_array();
	CU_ASSERT_EQUAL(classify_event("aws", arr, cats), 0);
	CU_ASSERT_EQUAL(json_array_size(cats), 0);
	json_decref(arr);
	json_decref(cats);
	json_decref(rec);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "each case gives exactly its categories", test_cases },
		{ "every rule has a positive case", test_every_rule_covered },
		{ "classify_event() contract", test_api },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "classify", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
