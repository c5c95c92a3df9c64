/*
 * test_sigv4.c: AWS Signature Version 4 signing, checked byte for byte
 * against the published AWS test suite (copied into tests/data/sigv4/) and
 * against regression vectors for the requests ismsd really sends; and the
 * shared credentials file parser, whose messages must never leak a secret.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <jansson.h>

#include "sigv4.h"
#include "testhelp.h"
#include "util.h"

#define MAX_HEADERS 16
#define MAX_FILE ((size_t)1 << 20)
#define EX_AKID "AKIDEXAMPLE"
#define EX_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define EX_TIME ((time_t)1440938160) /* 2015-08-30T12:36:00Z, the suite's time */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---- helpers ------------------------------------------------------------- */

static const char *srcdir(void)
{
	const char *v = getenv("TESTS_SRCDIR");
	return v != NULL && *v != '\0' ? v : "tests";
}

/* Reads tests/data/sigv4/<name>/<file>; NULL (and a message) when missing. */
static char *read_case_file(const char *name, const char *file, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/data/sigv4/%s/%s", srcdir(), name, file);
	char *data = NULL;
	size_t n = 0;
	int r = util_read_file(path, MAX_FILE, &data, &n);
	if (r < 0) {
		fprintf(stderr, "\n  cannot read %s: %s\n", path, strerror(-r));
		return NULL;
	}
	if (len != NULL)
		*len = n;
	return data;
}

/* Drops one final newline: the expected files are compared without it. */
static void chomp(char *s)
{
	size_t n = strlen(s);
	if (n > 0 && s[n - 1] == '\n')
		s[n - 1] = '\0';
}

/* CU_ASSERT on equal strings, printing both sides when they differ. */
static int check_str(const char *name, const char *what, const char *want, const char *got)
{
	int ok = want != NULL && got != NULL && strcmp(want, got) == 0;
	CU_ASSERT(ok);
	if (!ok)
		fprintf(stderr, "\n  %s: %s differs\n  want: <%s>\n  got:  <%s>\n", name, what, want ? want : "(null)",
			got ? got : "(null)");
	return ok;
}

/* A request.txt split in place: the request line, headers (folded lines
 * stay in the value with their "\n"), and the body after a blank line. */
struct parsed_request {
	char *method;
	char *path;
	char *query;
	struct sigv4_header headers[MAX_HEADERS];
	size_t n_headers;
	const char *body;
	size_t body_len;
};

static int parse_request(char *text, size_t len, struct parsed_request *pr)
{
	memset(pr, 0, sizeof(*pr));
	char *eol = strchr(text, '\n');
	if (eol == NULL)
		return -1;
	*eol = '\0';
	char *sp1 = strchr(text, ' ');
	char *sp2 = strrchr(text, ' ');
	if (sp1 == NULL || sp1 == sp2)
		return -1;
	*sp1 = '\0';
	*sp2 = '\0';
	pr->method = text;
	pr->path = sp1 + 1; /* the target may hold spaces (get-space-*) */
	char *q = strchr(pr->path, '?');
	if (q != NULL) {
		*q = '\0';
		pr->query = q + 1;
	}
	char *p = eol + 1;
	while (*p != '\0') {
		if (*p == '\n') {
			pr->body = p + 1;
			pr->body_len = len - (size_t)(pr->body - text);
			break;
		}
		if (pr->n_headers == MAX_HEADERS)
			return -1;
		char *colon = strchr(p, ':');
		eol = strchr(p, '\n');
		if (colon == NULL || (eol != NULL && colon > eol))
			return -1;
		*colon = '\0';
		pr->headers[pr->n_headers].name = p;
		pr->headers[pr->n_headers].value = colon + 1;
		pr->n_headers++;
		while (eol != NULL && (eol[1] == ' ' || eol[1] == '\t'))
			eol = strchr(eol + 1, '\n');
		if (eol == NULL)
			break;
		*eol = '\0';
		p = eol + 1;
	}
	return 0;
}

/* ---- the published AWS test suite --------------------------------------- */

/*
 * Every case of the suite (header signing).  Notes:
 * - post-sts-header-after has "omit_session_token": the token is sent but
 *   added after signing, so it is not signed.  sigv4_sign() always signs a
 *   token it is given, so the case is run without one: it checks that the
 *   result is exactly the unsigned-token request.
 * - post-x-www-form-urlencoded(-parameters) have "sign_body": true and so
 *   sign x-amz-content-sha256 (scope.sign_body).
 * - the *-unnormalized cases have "normalize": false (scope.normalize_path).
 * The query-signing files (presigned URLs) are not used: ismsd signs headers.
 */
static const char *const suite_cases[] = {
	"get-header-key-duplicate",
	"get-header-value-multiline",
	"get-header-value-order",
	"get-header-value-trim",
	"get-relative-normalized",
	"get-relative-relative-normalized",
	"get-relative-relative-unnormalized",
	"get-relative-unnormalized",
	"get-slash-dot-slash-normalized",
	"get-slash-dot-slash-unnormalized",
	"get-slash-normalized",
	"get-slash-pointless-dot-normalized",
	"get-slash-pointless-dot-unnormalized",
	"get-slash-unnormalized",
	"get-slashes-normalized",
	"get-slashes-unnormalized",
	"get-space-normalized",
	"get-space-unnormalized",
	"get-unreserved",
	"get-utf8",
	"get-vanilla",
	"get-vanilla-empty-query-key",
	"get-vanilla-query",
	"get-vanilla-query-order-encoded",
	"get-vanilla-query-order-key-case",
	"get-vanilla-query-unreserved",
	"get-vanilla-utf8-query",
	"get-vanilla-with-session-token",
	"post-header-key-case",
	"post-header-key-sort",
	"post-header-value-case",
	"post-sts-header-after",
	"post-sts-header-before",
	"post-vanilla",
	"post-vanilla-empty-query-value",
	"post-vanilla-query",
	"post-x-www-form-urlencoded",
	"post-x-www-form-urlencoded-parameters",
};

static const char *json_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The value of the Authorization line of header-signed-request.txt, in place. */
static const char *find_authorization(char *signed_request)
{
	for (char *line = signed_request; line != NULL && *line != '\0';) {
		char *eol = strchr(line, '\n');
		if (eol != NULL)
			*eol = '\0';
		if (strncmp(line, "Authorization:", 14) == 0)
			return line + 14;
		line = eol != NULL ? eol + 1 : NULL;
	}
	return NULL;
}

/* Runs one case; returns 1 when everything matched. */
static int run_case(const char *name)
{
	int ok = 0;
	size_t req_len = 0;
	char *req_text = read_case_file(name, "request.txt", &req_len);
	char *ctx_text = read_case_file(name, "context.json", NULL);
	char *want_creq = read_case_file(name, "header-canonical-request.txt", NULL);
	char *want_sts = read_case_file(name, "header-string-to-sign.txt", NULL);
	char *want_sig = read_case_file(name, "header-signature.txt", NULL);
	char *signed_req = read_case_file(name, "header-signed-request.txt", NULL);
	json_t *ctx = NULL;
	struct sigv4_signature sig = { 0 };
	if (req_text == NULL || ctx_text == NULL || want_creq == NULL || want_sts == NULL || want_sig == NULL ||
	    signed_req == NULL)
		goto out;
	chomp(want_creq);
	chomp(want_sts);
	chomp(want_sig);

	struct parsed_request pr;
	if (parse_request(req_text, req_len, &pr) < 0) {
		fprintf(stderr, "\n  %s: cannot parse request.txt\n", name);
		goto out;
	}
	json_error_t jerr;
	ctx = json_loads(ctx_text, 0, &jerr);
	json_t *jcred = json_object_get(ctx, "credentials");
	time_t when = 0;
	if (ctx == NULL || jcred == NULL || json_str(ctx, "timestamp") == NULL ||
	    util_time_parse(json_str(ctx, "timestamp"), &when) < 0) {
		fprintf(stderr, "\n  %s: bad context.json\n", name);
		goto out;
	}
	struct sigv4_credentials cred = {
		.access_key_id = json_str(jcred, "access_key_id"),
		.secret_access_key = json_str(jcred, "secret_access_key"),
		.session_token = json_str(jcred, "token"),
	};
	if (json_is_true(json_object_get(ctx, "omit_session_token")))
		cred.session_token = NULL;
	struct sigv4_scope scope = {
		.region = json_str(ctx, "region"),
		.service = json_str(ctx, "service"),
		.when = when,
		.normalize_path = json_is_true(json_object_get(ctx, "normalize")),
		.sign_body = json_is_true(json_object_get(ctx, "sign_body")),
	};
	struct sigv4_request req = {
		.method = pr.method,
		.path = pr.path,
		.query = pr.query,
		.headers = pr.headers,
		.n_headers = pr.n_headers,
		.body = pr.body,
		.body_len = pr.body_len,
	};
	int r = sigv4_sign(&req, &cred, &scope, &sig);
	CU_ASSERT_EQUAL(r, 0);
	if (r != 0) {
		fprintf(stderr, "\n  %s: sigv4_sign: %s\n", name, strerror(-r));
		goto out;
	}
	ok = check_str(name, "canonical request", want_creq, sig.canonical_request);
	ok &= check_str(name, "string to sign", want_sts, sig.string_to_sign);
	ok &= check_str(name, "signature", want_sig, sig.signature);
	ok &= check_str(name, "Authorization", find_authorization(signed_req), sig.authorization);
	ok &= check_str(name, "X-Amz-Date", "20150830T123600Z", sig.amz_date);
out:
	sigv4_signature_free(&sig);
	json_decref(ctx);
	free(req_text);
	free(ctx_text);
	free(want_creq);
	free(want_sts);
	free(want_sig);
	free(signed_req);
	return ok;
}

static void test_aws_suite(void)
{
	size_t n = sizeof(suite_cases) / sizeof(suite_cases[0]), passed = 0;
	for (size_t i = 0; i < n; i++) {
		int ok = run_case(suite_cases[i]);
		CU_ASSERT(ok);
		if (ok)
			passed++;
		else
			fprintf(stderr, "\n  case %s FAILED\n", suite_cases[i]);
	}
	CU_ASSERT_EQUAL(passed, n);
}

/* ---- our own request shapes ----------------------------------------------- */

static const struct sigv4_credentials example_cred = { EX_AKID, EX_SECRET, NULL };

/* (a) CloudTrail LookupEvents, JSON 1.1 POST: computed with botocore. */
static void test_vector_cloudtrail(void)
{
	static const char body[] = "{\"LookupAttributes\":[{\"AttributeKey\":\"EventName\",\"AttributeValue\":"
				   "\"ConsoleLogin\"}],\"MaxResults\":50}";
	const struct sigv4_header headers[] = {
		{ "Content-Type", "application/x-amz-json-1.1" },
		{ "Host", "cloudtrail.us-east-1.amazonaws.com" },
		{ "X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents" },
	};
	struct sigv4_request req = { "POST", "/", NULL, headers, 3, body, sizeof(body) - 1 };
	struct sigv4_scope scope = { "us-east-1", "cloudtrail", EX_TIME, 1, 0 };
	struct sigv4_signature sig;
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(&req, &example_cred, &scope, &sig), 0);
	check_str("cloudtrail", "canonical request",
		  "POST\n/\n\n"
		  "content-type:application/x-amz-json-1.1\n"
		  "host:cloudtrail.us-east-1.amazonaws.com\n"
		  "x-amz-date:20150830T123600Z\n"
		  "x-amz-target:com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents\n\n"
		  "content-type;host;x-amz-date;x-amz-target\n"
		  "317982a74d8f6ad94953fe7d62ebf1ec27185de80418ed385e4c742d4368baf3",
		  sig.canonical_request);
	char hash[UTIL_SHA256_HEX_LEN + 1];
	util_sha256_hex(sig.canonical_request, strlen(sig.canonical_request), hash);
	check_str("cloudtrail", "canonical request hash",
		  "297e801e1437000d95fb9b0a0caff0c54a3ff1e30634851383e5b7263eac96e5", hash);
	check_str("cloudtrail", "signature", "77ca2f0e18906385d6a30d46c668b2aebc23259a2ba53fece22430f89c8d81f9",
		  sig.signature);
	check_str("cloudtrail", "payload hash", "317982a74d8f6ad94953fe7d62ebf1ec27185de80418ed385e4c742d4368baf3",
		  sig.content_sha256);
	check_str("cloudtrail", "Authorization",
		  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/cloudtrail/aws4_request, "
		  "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
		  "Signature=77ca2f0e18906385d6a30d46c668b2aebc23259a2ba53fece22430f89c8d81f9",
		  sig.authorization);
	sigv4_signature_free(&sig);
}

/* (b) AWS Backup ListBackupJobs, REST-JSON GET: computed with botocore. */
static void test_vector_backup(void)
{
	const struct sigv4_header headers[] = { { "Host", "backup.eu-west-1.amazonaws.com" } };
	struct sigv4_request req = { "GET", "/backup-jobs/", "maxResults=100&state=FAILED", headers, 1, NULL, 0 };
	struct sigv4_scope scope = { "eu-west-1", "backup", EX_TIME, 1, 0 };
	struct sigv4_signature sig;
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(&req, &example_cred, &scope, &sig), 0);
	check_str("backup", "canonical request",
		  "GET\n/backup-jobs/\nmaxResults=100&state=FAILED\n"
		  "host:backup.eu-west-1.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
		  "host;x-amz-date\n" EMPTY_SHA256,
		  sig.canonical_request);
	char hash[UTIL_SHA256_HEX_LEN + 1];
	util_sha256_hex(sig.canonical_request, strlen(sig.canonical_request), hash);
	check_str("backup", "canonical request hash",
		  "23dbd97e911dd1e8ae7f8335f1fd74274eb5d5d1113886e016c94f8de61f542e", hash);
	check_str("backup", "signature", "45eeeeb36c0a5266f58e29d903d12eaaa220fd5ed339dcae39ed19e86bd52725",
		  sig.signature);
	sigv4_signature_free(&sig);
}

/* (c) the derived key for (20150830, us-east-1, service). */
static void test_signing_key(void)
{
	unsigned char key[SIGV4_KEY_LEN];
	char hex[2 * SIGV4_KEY_LEN + 1];
	CU_ASSERT_EQUAL_FATAL(sigv4_signing_key(EX_SECRET, "20150830", "us-east-1", "service", key), 0);
	util_hex(key, sizeof(key), hex);
	check_str("signing key", "kSigning", "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75", hex);
	CU_ASSERT_EQUAL(sigv4_signing_key(EX_SECRET, "2015083", "us-east-1", "service", key), -EINVAL);
	CU_ASSERT_EQUAL(sigv4_signing_key("", "20150830", "us-east-1", "service", key), -EINVAL);
	CU_ASSERT_EQUAL(sigv4_signing_key(EX_SECRET, "20150830", "us/east", "service", key), -EINVAL);
}

static void test_session_token_signed(void)
{
	static const char token[] = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
	const struct sigv4_header headers[] = { { "Host", "example.amazonaws.com" } };
	struct sigv4_request req = { "GET", "/", NULL, headers, 1, NULL, 0 };
	struct sigv4_scope scope = { "us-east-1", "service", EX_TIME, 1, 0 };
	struct sigv4_credentials cred = { EX_AKID, EX_SECRET, token };
	struct sigv4_signature with, without;
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(&req, &cred, &scope, &with), 0);
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(&req, &example_cred, &scope, &without), 0);
	CU_ASSERT_STRING_EQUAL(with.signed_headers, "host;x-amz-date;x-amz-security-token");
	CU_ASSERT_PTR_NOT_NULL(strstr(with.canonical_request, "\nx-amz-security-token:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(with.canonical_request, token));
	CU_ASSERT_PTR_NOT_NULL(strstr(with.authorization, "SignedHeaders=host;x-amz-date;x-amz-security-token, "));
	CU_ASSERT_STRING_EQUAL(with.signature, "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
	CU_ASSERT_STRING_EQUAL(without.signed_headers, "host;x-amz-date");
	CU_ASSERT_STRING_EQUAL(without.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	CU_ASSERT(strcmp(with.signature, without.signature) != 0);
	sigv4_signature_free(&with);
	sigv4_signature_free(&without);

	/* A token cannot carry what would break the header it is sent in. */
	cred.session_token = "abc\r\nX-Evil: 1";
	CU_ASSERT_EQUAL(sigv4_sign(&req, &cred, &scope, &with), -EINVAL);
	cred.session_token = "";
	CU_ASSERT_EQUAL(sigv4_sign(&req, &cred, &scope, &with), -EINVAL);
}

/* ---- canonicalization details --------------------------------------------- */

/* Signs GET path?query with only Host and returns the canonical URI and
 * query lines ("uri\nquery"), malloc'd, or NULL with *rc set. */
static char *uri_and_query(const char *path, const char *query, int normalize, int *rc)
{
	const struct sigv4_header headers[] = { { "Host", "example.amazonaws.com" } };
	struct sigv4_request req = { "GET", path, query, headers, 1, NULL, 0 };
	struct sigv4_scope scope = { "us-east-1", "service", EX_TIME, normalize, 0 };
	struct sigv4_signature sig;
	*rc = sigv4_sign(&req, &example_cred, &scope, &sig);
	if (*rc < 0) {
		CU_ASSERT_PTR_NULL(sig.canonical_request);
		CU_ASSERT_PTR_NULL(sig.authorization);
		sigv4_signature_free(&sig);
		return NULL;
	}
	const char *start = strchr(sig.canonical_request, '\n') + 1;
	const char *end = strchr(strchr(start, '\n') + 1, '\n');
	char *s = strndup(start, (size_t)(end - start));
	sigv4_signature_free(&sig);
	return s;
}

struct uq_case {
	const char *path;
	const char *query;
	int normalize;
	int rc;
	const char *want; /* "uri\nquery" */
};

static const struct uq_case uq_cases[] = {
	/* a key without '=' has an empty value; empty parameters are skipped */
	{ "/", "b&a=1&c=", 1, 0, "/\na=1&b=&c=" },
	{ "/", "a=1&&b=2&", 1, 0, "/\na=1&b=2" },
	/* escapes decoded and re-encoded uppercase; '+' is a literal plus */
	{ "/", "k=a+b%2fc%7e%41", 1, 0, "/\nk=a%2Bb%2Fc~A" },
	{ "/", "k=a b/c", 1, 0, "/\nk=a%20b%2Fc" },
	/* sorted by key, then by value; not by "key=value" */
	{ "/", "a=2&a=1&a-b=0", 1, 0, "/\na=1&a=2&a-b=0" },
	{ "/", "a=%zz", 1, -EINVAL, NULL },
	{ "/", "a=%4", 1, -EINVAL, NULL },
	{ "/", "a=1#frag", 1, -EINVAL, NULL },
	/* the wire path is encoded once more (botocore, non-S3) */
	{ "/a%20b/c", NULL, 1, 0, "/a%2520b/c\n" },
	{ "/a%20b/c", NULL, 0, 0, "/a%2520b/c\n" },
	/* normalization; a trailing slash is kept */
	{ "/a/./b/../c/", NULL, 1, 0, "/a/c/\n" },
	{ "/a/b/..", NULL, 1, 0, "/a\n" },
	{ "/../..//", NULL, 1, 0, "/\n" },
	{ "/a/./b/../c/", NULL, 0, 0, "/a/./b/../c/\n" },
	{ NULL, NULL, 1, 0, "/\n" },
	{ "", "", 1, 0, "/\n" },
	{ "a/b", NULL, 1, -EINVAL, NULL },
	{ "/a?b", NULL, 1, -EINVAL, NULL },
	{ "/a\r\nb", NULL, 1, -EINVAL, NULL },
};

static void test_uri_and_query(void)
{
	for (size_t i = 0; i < sizeof(uq_cases) / sizeof(uq_cases[0]); i++) {
		const struct uq_case *c = &uq_cases[i];
		int rc = 0;
		char *got = uri_and_query(c->path, c->query, c->normalize, &rc);
		char label[64];
		snprintf(label, sizeof(label), "uri/query case %zu", i);
		CU_ASSERT_EQUAL(rc, c->rc);
		if (rc != c->rc)
			fprintf(stderr, "\n  %s: rc %d, want %d\n", label, rc, c->rc);
		if (c->want != NULL)
			check_str(label, "uri and query", c->want, got);
		free(got);
	}
}

static void test_header_rules(void)
{
	struct sigv4_scope scope = { "us-east-1", "service", EX_TIME, 1, 0 };
	struct sigv4_signature sig;

	/* Names lowercased and sorted, repeated names joined in order, values
	 * trimmed and collapsed (tabs and folded lines too), empty values kept. */
	const struct sigv4_header h1[] = {
		{ "X-B", "  two\t\twords  " },
		{ "host", "example.amazonaws.com" },
		{ "x-a", "1" },
		{ "X-A", "\t2\r\n  3" },
		{ "X-Empty", "   " },
	};
	struct sigv4_request req = { "GET", "/", NULL, h1, 5, NULL, 0 };
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(&req, &example_cred, &scope, &sig), 0);
	check_str("headers", "canonical request",
		  "GET\n/\n\nhost:example.amazonaws.com\nx-a:1,2 3\nx-amz-date:20150830T123600Z\n"
		  "x-b:two words\nx-empty:\n\nhost;x-a;x-amz-date;x-b;x-empty\n" EMPTY_SHA256,
		  sig.canonical_request);
	sigv4_signature_free(&sig);
	sigv4_signature_free(&sig); /* twice is harmless */

	/* Reserved names, a missing Host and bad names are refused, and the
	 * result is left empty. */
	static const char *const bad_names[] = {
		"X-Amz-Date", "x-amz-security-token", "X-AMZ-CONTENT-SHA256", "Authorization", "My Header", "", "Na:me"
	};
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		const struct sigv4_header h[] = { { "Host", "example.amazonaws.com" }, { bad_names[i], "v" } };
		struct sigv4_request r2 = { "GET", "/", NULL, h, 2, NULL, 0 };
		CU_ASSERT_EQUAL(sigv4_sign(&r2, &example_cred, &scope, &sig), -EINVAL);
		CU_ASSERT_PTR_NULL(sig.canonical_request);
		CU_ASSERT_PTR_NULL(sig.authorization);
		CU_ASSERT_EQUAL(sig.signature[0], '\0');
	}
	const struct sigv4_header no_host[] = { { "X-A", "1" } };
	struct sigv4_request r3 = { "GET", "/", NULL, no_host, 1, NULL, 0 };
	CU_ASSERT_EQUAL(sigv4_sign(&r3, &example_cred, &scope, &sig), -EINVAL);

	/* Bad method, scope and credentials. */
	const struct sigv4_header host[] = { { "Host", "example.amazonaws.com" } };
	struct sigv4_request r4 = { "GE T", "/", NULL, host, 1, NULL, 0 };
	CU_ASSERT_EQUAL(sigv4_sign(&r4, &example_cred, &scope, &sig), -EINVAL);
	r4.method = "GET";
	struct sigv4_scope bad_scope = { "", "service", EX_TIME, 1, 0 };
	CU_ASSERT_EQUAL(sigv4_sign(&r4, &example_cred, &bad_scope, &sig), -EINVAL);
	struct sigv4_credentials bad_cred = { "AKID/X", EX_SECRET, NULL };
	CU_ASSERT_EQUAL(sigv4_sign(&r4, &bad_cred, &scope, &sig), -EINVAL);
	bad_cred.access_key_id = EX_AKID;
	bad_cred.secret_access_key = NULL;
	CU_ASSERT_EQUAL(sigv4_sign(&r4, &bad_cred, &scope, &sig), -EINVAL);
	r4.body_len = 3;
	CU_ASSERT_EQUAL(sigv4_sign(&r4, &example_cred, &scope, &sig), -EINVAL);
	CU_ASSERT_EQUAL(sigv4_sign(&r4, &example_cred, &scope, NULL), -EINVAL);
}

static void test_body_hash(void)
{
	const struct sigv4_header host[] = { { "Host", "example.amazonaws.com" } };
	struct sigv4_request req = { "POST", "/", NULL, host, 1, "{}", 2 };
	struct sigv4_scope scope = { "us-east-1", "service", EX_TIME, 1, 0 };
	struct sigv4_signature sig;
	char want[UTIL_SHA256_HEX_LEN + 1];
	util_sha256_hex("{}", 2, want);

	/* Not signed as a header, but the payload hash ends the request. */
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(&req, &example_cred, &scope, &sig), 0);
	CU_ASSERT_STRING_EQUAL(sig.content_sha256, want);
	CU_ASSERT_STRING_EQUAL(sig.signed_headers, "host;x-amz-date");
	size_t n = strlen(sig.canonical_request);
	CU_ASSERT(n > 64 && strcmp(sig.canonical_request + n - 64, want) == 0);
	sigv4_signature_free(&sig);

	scope.sign_body = 1;
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(&req, &example_cred, &scope, &sig), 0);
	CU_ASSERT_STRING_EQUAL(sig.signed_headers, "host;x-amz-content-sha256;x-amz-date");
	CU_ASSERT_PTR_NOT_NULL(strstr(sig.canonical_request, want));
	sigv4_signature_free(&sig);

	/* Another day and time: the date in the scope follows. */
	scope.when = 1767225599; /* 2025-12-31T23:59:59Z */
	CU_ASSERT_EQUAL_FATAL(sigv4_sign(&req, &example_cred, &scope, &sig), 0);
	CU_ASSERT_STRING_EQUAL(sig.amz_date, "20251231T235959Z");
	CU_ASSERT_PTR_NOT_NULL(strstr(sig.string_to_sign, "\n20251231/us-east-1/service/aws4_request\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sig.authorization, "Credential=AKIDEXAMPLE/20251231/us-east-1/service/"));
	sigv4_signature_free(&sig);
}

/* ---- shared credentials file ----------------------------------------------- */

#define SECRET_A "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETAAAA"
#define SECRET_B "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbSECRETBBBB"

static const char creds_text[] = "# AWS credentials\n"
				 "[default]\n"
				 "aws_access_key_id = AKIADEFAULT\n"
				 "aws_secret_access_key = " SECRET_A "\n"
				 "\n"
				 "[dev]\n"
				 "; inline comments and case-insensitive keys\n"
				 "AWS_Access_Key_Id=AKIADEV ; the dev key\n"
				 "aws_secret_access_key: " SECRET_B "\n"
				 "aws_session_token = FwoGZXIvYXdzEBYaDEXAMPLETOKEN==\n"
				 "region = eu-west-1\n";

static void test_profile_default(void)
{
	struct sigv4_profile p;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(sigv4_profile_parse(creds_text, NULL, &p, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(p.access_key_id, "AKIADEFAULT");
	CU_ASSERT_STRING_EQUAL(p.secret_access_key, SECRET_A);
	CU_ASSERT_PTR_NULL(p.session_token);
	CU_ASSERT_STRING_EQUAL(err, "");
	sigv4_profile_free(&p);
	sigv4_profile_free(&p);
	CU_ASSERT_EQUAL_FATAL(sigv4_profile_parse(creds_text, "", &p, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(p.access_key_id, "AKIADEFAULT");
	sigv4_profile_free(&p);
}

static void test_profile_named_with_token(void)
{
	struct sigv4_profile p;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(sigv4_profile_parse(creds_text, "dev", &p, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(p.access_key_id, "AKIADEV");
	CU_ASSERT_STRING_EQUAL(p.secret_access_key, SECRET_B);
	CU_ASSERT_STRING_EQUAL(p.session_token, "FwoGZXIvYXdzEBYaDEXAMPLETOKEN==");

	/* The view signs like the literal credentials. */
	struct sigv4_credentials c = sigv4_profile_credentials(&p);
	const struct sigv4_header host[] = { { "Host", "example.amazonaws.com" } };
	struct sigv4_request req = { "GET", "/", NULL, host, 1, NULL, 0 };
	struct sigv4_scope scope = { "us-east-1", "service", EX_TIME, 1, 0 };
	struct sigv4_signature sig;
	CU_ASSERT_EQUAL(sigv4_sign(&req, &c, &scope, &sig), 0);
	CU_ASSERT_STRING_EQUAL(sig.signed_headers, "host;x-amz-date;x-amz-security-token");
	CU_ASSERT_PTR_NOT_NULL(strstr(sig.authorization, "Credential=AKIADEV/"));
	sigv4_signature_free(&sig);
	sigv4_profile_free(&p);
	CU_ASSERT_PTR_NULL(p.secret_access_key);
}

static void test_profile_missing(void)
{
	struct sigv4_profile p;
	char err[256];
	CU_ASSERT_EQUAL(sigv4_profile_parse(creds_text, "prod", &p, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'prod'"));
	CU_ASSERT_PTR_NULL(p.access_key_id);
	CU_ASSERT_EQUAL(sigv4_profile_parse("", NULL, &p, err, sizeof(err)), -ENOENT);
	/* A profile is not found by a key of the same name, nor by case. */
	CU_ASSERT_EQUAL(sigv4_profile_parse(creds_text, "DEV", &p, err, sizeof(err)), -ENOENT);
}

struct bad_file {
	const char *text;
	const char *profile;
	int rc;
	const char *message; /* a part of err */
};

static const struct bad_file bad_files[] = {
	/* a key line without '=' holding the secret: the message names only the line */
	{ "[default]\naws_access_key_id = AKIA1\naws_secret_access_key " SECRET_A "\n", NULL, -EINVAL, "line 3:" },
	{ "[default\naws_access_key_id = AKIA1\naws_secret_access_key = " SECRET_A "\n", NULL, -EINVAL, "line 1:" },
	{ "[default]\naws_access_key_id = AKIA1\n" SECRET_A "\n", NULL, -EINVAL, "line 3:" },
	/* errors in another profile still make the file malformed */
	{ "[other]\nbroken\n[default]\naws_access_key_id = AKIA1\naws_secret_access_key = " SECRET_A "\n", NULL,
	  -EINVAL, "line 2:" },
	{ "[default]\naws_access_key_id = AKIA1\naws_secret_access_key = " SECRET_A
	  "\naws_secret_access_key = " SECRET_B "\n",
	  NULL, -EINVAL, "line 4: aws_secret_access_key given twice" },
	{ "[default]\naws_access_key_id = AKIA1\naws_secret_access_key = " SECRET_A "\n  " SECRET_B "\n", NULL, -EINVAL,
	  "line 4:" },
	{ "[default]\naws_access_key_id = AKIA1\naws_secret_access_key =\n", NULL, -EINVAL,
	  "line 3: aws_secret_access_key is empty" },
	{ "[default]\naws_access_key_id = AKIA1\n", NULL, -EINVAL, "lacks aws_secret_access_key" },
	{ "[default]\naws_secret_access_key = " SECRET_A "\n", NULL, -EINVAL, "lacks aws_access_key_id" },
	{ "[default]\n", NULL, -EINVAL, "lacks aws_access_key_id" },
	{ "[default]\naws_access_key_id = AKIA1\naws_secret_access_key = " SECRET_A "\x01\n", NULL, -EINVAL,
	  "line 3: control character" },
};

static void test_profile_malformed(void)
{
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const struct bad_file *b = &bad_files[i];
		struct sigv4_profile p;
		char err[256];
		int rc = sigv4_profile_parse(b->text, b->profile, &p, err, sizeof(err));
		CU_ASSERT_EQUAL(rc, b->rc);
		CU_ASSERT_PTR_NULL(p.access_key_id);
		CU_ASSERT_PTR_NULL(p.secret_access_key);
		int found = strstr(err, b->message) != NULL;
		CU_ASSERT(found);
		if (rc != b->rc || !found)
			fprintf(stderr, "\n  bad file %zu: rc %d, err <%s>, want <%s>\n", i, rc, err, b->message);
		CU_ASSERT_PTR_NULL(strstr(err, SECRET_A));
		CU_ASSERT_PTR_NULL(strstr(err, SECRET_B));
		CU_ASSERT_PTR_NULL(strstr(err, "SECRET"));
		CU_ASSERT_PTR_NULL(strstr(err, "AKIA1"));
		sigv4_profile_free(&p);
	}
}

/* STS tokens run to a thousand characters and more; libinih alone stops at
 * 200 per line, so this is the case that matters in practice. */
static void test_profile_long_lines(void)
{
	size_t tok_len = 1200;
	char *token = malloc(tok_len + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(token);
	for (size_t i = 0; i < tok_len; i++)
		token[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i % 64];
	token[tok_len] = '\0';
	char long_name[61];
	memset(long_name, 'p', 60);
	long_name[60] = '\0';

	struct util_buf b;
	util_buf_init(&b, 1 << 16);
	CU_ASSERT_EQUAL_FATAL(util_buf_printf(&b,
					      "\xEF\xBB\xBF[default]\r\n"
					      "aws_access_key_id = AKIADEFAULT\r\n"
					      "aws_secret_access_key = %s\r\n"
					      "aws_session_token = %s ; a comment\r\n"
					      "# %s\r\n"
					      "\r\n"
					      "[%s]\n"
					      "aws_access_key_id = AKIALONG\n"
					      "aws_secret_access_key = %s\n"
					      "aws_session_token=%s\n",
					      SECRET_A, token, token, long_name, SECRET_B, token),
			      0);

	struct sigv4_profile p;
	char err[256];
	CU_ASSERT_EQUAL(sigv4_profile_parse(b.data, NULL, &p, err, sizeof(err)), 0);
	CU_ASSERT(p.session_token != NULL && strcmp(p.session_token, token) == 0);
	CU_ASSERT(p.secret_access_key != NULL && strcmp(p.secret_access_key, SECRET_A) == 0);
	sigv4_profile_free(&p);

	/* Long section names are matched whole, never by a truncated prefix. */
	CU_ASSERT_EQUAL(sigv4_profile_parse(b.data, long_name, &p, err, sizeof(err)), 0);
	CU_ASSERT(p.access_key_id != NULL && strcmp(p.access_key_id, "AKIALONG") == 0);
	CU_ASSERT(p.session_token != NULL && strcmp(p.session_token, token) == 0);
	sigv4_profile_free(&p);
	long_name[49] = '\0';
	CU_ASSERT_EQUAL(sigv4_profile_parse(b.data, long_name, &p, err, sizeof(err)), -ENOENT);

	/* Line numbers stay right after long lines, and no token leaks. */
	util_buf_reset(&b);
	CU_ASSERT_EQUAL_FATAL(util_buf_printf(&b,
					      "[default]\naws_session_token = %s\naws_access_key_id = AKIA1\n"
					      "aws_secret_access_key %s\n",
					      token, token),
			      0);
	CU_ASSERT_EQUAL(sigv4_profile_parse(b.data, NULL, &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 4:"));
	CU_ASSERT_PTR_NULL(strstr(err, "ABCDEFGHIJ"));
	util_buf_reset(&b);
	CU_ASSERT_EQUAL_FATAL(
	    util_buf_printf(&b, "[default]\naws_session_token = %s\naws_session_token = %s\n", token, token), 0);
	CU_ASSERT_EQUAL(sigv4_profile_parse(b.data, NULL, &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 3: aws_session_token given twice"));
	CU_ASSERT_PTR_NULL(strstr(err, "ABCDEFGHIJ"));

	util_buf_free(&b);
	free(token);
}

/* ---- main ---------------------------------------------------------------- */

int main(void)
{
	CU_TestInfo signing_tests[] = {
		{ "AWS SigV4 test suite (header signing)", test_aws_suite },
		{ "vector (a): CloudTrail LookupEvents POST", test_vector_cloudtrail },
		{ "vector (b): AWS Backup ListBackupJobs GET", test_vector_backup },
		{ "vector (c): derived signing key", test_signing_key },
		{ "session token is signed", test_session_token_signed },
		{ "canonical URI and query", test_uri_and_query },
		{ "canonical headers and argument checks", test_header_rules },
		{ "payload hash and dates", test_body_hash },
		CU_TEST_INFO_NULL,
	};
	CU_TestInfo profile_tests[] = {
		{ "default profile", test_profile_default },
		{ "named profile with session token", test_profile_named_with_token },
		{ "missing profile", test_profile_missing },
		{ "malformed files never leak secrets", test_profile_malformed },
		{ "long tokens and section names", test_profile_long_lines },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "sigv4", NULL, NULL, NULL, NULL, signing_tests },
		{ "credentials file", NULL, NULL, NULL, NULL, profile_tests },
		CU_SUITE_INFO_NULL,
	};

	return th_main(suites);
}
