/*
 * test_http.c: the HTTPS client against the local vendor fakes (a test CA
 * made at test time, 127.0.0.1, ephemeral ports): TLS verification and
 * pinning, Retry-After, retries on 5xx, the stall cutoff, the body cap,
 * refused redirects, OAuth2 token reuse and the 401 refresh; plus unit tests
 * of URL redaction, Retry-After parsing and the pagination guard.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "auth.h"
#include "fakehelp.h"
#include "http.h"
#include "testhelp.h"

static char *pki;
static char *secrets_dir;

static int setup(void)
{
	pki = fake_pki();
	secrets_dir = th_mkdtemp();
	if (pki == NULL || secrets_dir == NULL)
		return -1;
	free(th_write(secrets_dir, "fleet-token", "test-token-fleet\n", 0600));
	free(th_write(secrets_dir, "azure-secret", "test-secret-azure\n", 0600));
	return 0;
}

static int teardown(void)
{
	th_rmrf(pki);
	th_rmrf(secrets_dir);
	free(pki);
	free(secrets_dir);
	return 0;
}

static void options(struct http_options *o)
{
	memset(o, 0, sizeof(*o));
	o->ca_file = th_path(pki, "ca.pem");
	o->connect_timeout_s = 5;
	o->timeout_s = 30;
	o->stall_timeout_s = 30;
	o->max_body = 16 << 20;
	o->max_attempts = 5;
	o->retry_budget_s = 60;
	o->retry_base_ms = 50;
	o->max_pages = 1000;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A bearer provider reading the Fleet token from a file. */
static struct auth *fleet_auth(void)
{
	struct config_section s = { .kind = "source", .name = "fleet", .file = "test", .line = 1 };
	char *ref = th_path(secrets_dir, "fleet-token");
	const char *defaults[] = { NULL, NULL };
	char *d = NULL;
	CU_ASSERT(asprintf(&d, "token_file=%s", ref) > 0);
	defaults[0] = d;
	struct auth *a = NULL;
	struct config_errors errs = { 0 };
	CU_ASSERT_EQUAL(auth_from_config("bearer", &s, defaults, &a, &errs), 0);
	free(d);
	free(ref);
	config_errors_free(&errs);
	return a;
}

/* GETs the first Fleet hosts page from f with options o. */
static int get_hosts(struct fake *f, struct http_options *o, struct auth *a, struct http_response *resp, char *err,
		     size_t errlen)
{
	struct http_client *c = http_client_new(o, "test", NULL, err, errlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	char url[256];
	snprintf(url, sizeof(url), "%s/api/v1/fleet/hosts?page=0&per_page=10", f->base);
	struct http_request req = { "GET", url, NULL, 0, NULL, 0, a };
	int r = http_fetch(c, &req, resp, err, errlen);
	http_client_free(c);
	return r;
}

static void test_tls_untrusted_ca(void)
{
	struct fake f;
	CU_ASSERT_EQUAL_FATAL(fake_start(&f, pki, "fleet", "untrusted.pem", NULL), 0);
	struct http_options o;
	options(&o);
	struct auth *a = fleet_auth();
	struct http_response resp;
	char err[512] = "";
	CU_ASSERT_EQUAL(get_hosts(&f, &o, a, &resp, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "TLS certificate verification failed"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/api/v1/fleet/hosts"));
	CU_ASSERT_EQUAL(resp.attempts, 1); /* not retried */
	CU_ASSERT_EQUAL(fake_requests(&f, "/", 0), 0);
	http_response_free(&resp);
	auth_free(a);
	http_options_free(&o);
	fake_stop(&f);
}

static void test_tls_pinning(void)
{
	struct fake f;
	CU_ASSERT_EQUAL_FATAL(fake_start(&f, pki, "fleet", "server.pem", NULL), 0);
	struct http_options o;
	options(&o);
	char *pinfile = th_path(pki, "server.pin");
	char *pin = th_read(pinfile);
	free(pinfile);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pin);
	pin[strcspn(pin, "\r\n")] = '\0';
	o.pinned_pubkey = pin;
	struct auth *a = fleet_auth();
	struct http_response resp;
	char err[512] = "";
	CU_ASSERT_EQUAL(get_hosts(&f, &o, a, &resp, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(resp.status, 200);
	http_response_free(&resp);
	free(o.pinned_pubkey);
	o.pinned_pubkey = strdup("sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	CU_ASSERT_EQUAL(get_hosts(&f, &o, a, &resp, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not match pinned_pubkey"));
	http_response_free(&resp);
	auth_free(a);
	http_options_free(&o);
	fake_stop(&f);
}

static void test_retry_after(void)
{
	struct fake f;
	CU_ASSERT_EQUAL_FATAL(fake_start(&f, pki, "fleet", "server.pem", NULL), 0);
	struct http_options o;
	options(&o);
	struct auth *a = fleet_auth();
	struct http_response resp;
	char err[512] = "";
	CU_ASSERT_EQUAL(fake_faults(&f, pki, "{\"faults\":[{\"type\":\"throttle\",\"count\":1,\"retry_after_seconds\":1}]}"),
			0);
	double t0 = now_s();
	CU_ASSERT_EQUAL(get_hosts(&f, &o, a, &resp, err, sizeof(err)), 0);
	double took = now_s() - t0;
	CU_ASSERT_EQUAL(resp.status, 200);
	CU_ASSERT_EQUAL(resp.attempts, 2);
	/* the second attempt waited for the server's Retry-After, not the 50 ms back-off */
	CU_ASSERT(took >= 0.95);
	http_response_free(&resp);

	/* Retry-After as an HTTP-date */
	CU_ASSERT_EQUAL(fake_faults(&f, pki,
				    "{\"faults\":[{\"type\":\"throttle\",\"count\":1,\"retry_after_seconds\":2,"
				    "\"retry_after_date\":true}]}"),
			0);
	t0 = now_s();
	CU_ASSERT_EQUAL(get_hosts(&f, &o, a, &resp, err, sizeof(err)), 0);
	took = now_s() - t0;
	CU_ASSERT_EQUAL(resp.attempts, 2);
	CU_ASSERT(took >= 0.9); /* the date has a one-second resolution */
	http_response_free(&resp);
	CU_ASSERT_EQUAL(fake_requests(&f, "/api/v1/fleet/hosts", 4), 4);
	auth_free(a);
	http_options_free(&o);
	fake_stop(&f);
}

static void test_5xx_then_success(void)
{
	struct fake f;
	CU_ASSERT_EQUAL_FATAL(fake_start(&f, pki, "fleet", "server.pem", NULL), 0);
	struct http_options o;
	options(&o);
	struct auth *a = fleet_auth();
	struct http_response resp;
	char err[512] = "";
	CU_ASSERT_EQUAL(fake_faults(&f, pki, "{\"faults\":[{\"type\":\"error5xx\",\"count\":3,\"code\":503}]}"), 0);
	CU_ASSERT_EQUAL(get_hosts(&f, &o, a, &resp, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(resp.status, 200);
	CU_ASSERT_EQUAL(resp.attempts, 4);
	CU_ASSERT_EQUAL(fake_requests(&f, "/api/v1/fleet/hosts", 4), 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(resp.body, "\"hosts\""));
	http_response_free(&resp);

	/* More failures than attempts: a clear give-up message. */
	o.max_attempts = 3;
	CU_ASSERT_EQUAL(fake_faults(&f, pki, "{\"faults\":[{\"type\":\"error5xx\",\"count\":5,\"code\":502}]}"), 0);
	CU_ASSERT_EQUAL(get_hosts(&f, &o, a, &resp, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "HTTP 502"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "gave up after 3 attempts"));
	http_response_free(&resp);
	auth_free(a);
	http_options_free(&o);
	fake_stop(&f);
}

static void test_stall(void)
{
	struct fake f;
	CU_ASSERT_EQUAL_FATAL(fake_start(&f, pki, "fleet", "server.pem", NULL), 0);
	struct http_options o;
	options(&o);
	o.stall_timeout_s = 1;
	o.max_attempts = 1;
	struct auth *a = fleet_auth();
	struct http_response resp;
	char err[512] = "";
	CU_ASSERT_EQUAL(fake_faults(&f, pki, "{\"faults\":[{\"type\":\"stall\",\"count\":1,\"seconds\":3600}]}"), 0);
	CU_ASSERT_EQUAL(get_hosts(&f, &o, a, &resp, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "stalled: less than 1 byte/s for 1s"));
	http_response_free(&resp);
	auth_free(a);
	http_options_free(&o);
	fake_stop(&f);
}

static void test_oversize(void)
{
	struct fake f;
	CU_ASSERT_EQUAL_FATAL(fake_start(&f, pki, "fleet", "server.pem", NULL), 0);
	struct http_options o;
	options(&o);
	o.max_body = 1 << 20;
	struct auth *a = fleet_auth();
	struct http_response resp;
	char err[512] = "";
	/* 10 GiB, streamed without a length, and then with a declared one */
	const char *modes[] = { "chunked", "length" };
	for (int i = 0; i < 2; i++) {
		char json[256];
		snprintf(json, sizeof(json), "{\"faults\":[{\"type\":\"oversize\",\"bytes\":10737418240,\"mode\":\"%s\"}]}",
			 modes[i]);
		CU_ASSERT_EQUAL(fake_faults(&f, pki, json), 0);
		CU_ASSERT_EQUAL(get_hosts(&f, &o, a, &resp, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "larger than max_body (1048576 bytes)"));
		CU_ASSERT_PTR_NULL(resp.body); /* nothing truncated is handed back */
		CU_ASSERT_EQUAL(resp.attempts, 1);
		http_response_free(&resp);
	}
	auth_free(a);
	http_options_free(&o);
	fake_stop(&f);
}

static void test_redirects(void)
{
	struct fake f;
	CU_ASSERT_EQUAL_FATAL(fake_start(&f, pki, "fleet", "server.pem", NULL), 0);
	struct http_options o;
	options(&o);
	struct auth *a = fleet_auth();
	struct http_response resp;
	char err[512] = "";
	CU_ASSERT_EQUAL(fake_faults(&f, pki, "{\"faults\":[{\"type\":\"redirect_http\",\"count\":1}]}"), 0);
	CU_ASSERT_EQUAL(get_hosts(&f, &o, a, &resp, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "redirect to http://127.0.0.1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "refused: not https"));
	http_response_free(&resp);
	CU_ASSERT_EQUAL(fake_faults(&f, pki, "{\"faults\":[{\"type\":\"redirect_host\",\"count\":1}]}"), 0);
	CU_ASSERT_EQUAL(get_hosts(&f, &o, a, &resp, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "refused: another host"));
	http_response_free(&resp);

	/* An http:// URL is refused before anything is sent. */
	struct http_client *c = http_client_new(&o, "test", NULL, err, sizeof(err));
	struct http_request req = { "GET", "http://127.0.0.1:1/x", NULL, 0, NULL, 0, NULL };
	CU_ASSERT_EQUAL(http_fetch(c, &req, &resp, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "only https:// URLs are allowed"));
	http_response_free(&resp);
	http_client_free(c);
	auth_free(a);
	http_options_free(&o);
	fake_stop(&f);
}

static void test_wrong_token(void)
{
	struct fake f;
	CU_ASSERT_EQUAL_FATAL(fake_start(&f, pki, "fleet", "server.pem", NULL), 0);
	struct http_options o;
	options(&o);
	free(th_write(secrets_dir, "bad-token", "not-the-token\n", 0600));
	struct config_section s = { .kind = "source", .name = "fleet", .file = "test", .line = 1 };
	char *ref = th_path(secrets_dir, "bad-token");
	char *d = NULL;
	CU_ASSERT(asprintf(&d, "token_file=%s", ref) > 0);
	const char *defaults[] = { d, NULL };
	struct auth *a = NULL;
	struct config_errors errs = { 0 };
	CU_ASSERT_EQUAL(auth_from_config("bearer", &s, defaults, &a, &errs), 0);
	struct http_response resp;
	char err[512] = "";
	CU_ASSERT_EQUAL(get_hosts(&f, &o, a, &resp, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "HTTP 401"));
	CU_ASSERT_PTR_NULL(strstr(err, "not-the-token"));
	CU_ASSERT_EQUAL(resp.attempts, 1);
	http_response_free(&resp);
	auth_free(a);
	free(d);
	free(ref);
	http_options_free(&o);
	fake_stop(&f);
}

/* Entra client credentials: one token request for several API requests;
 * a 401 drops the token and fetches a new one once. */
static void test_oauth2_token_reuse(void)
{
	struct fake f;
	CU_ASSERT_EQUAL_FATAL(fake_start(&f, pki, "azure", "server.pem", NULL), 0);
	struct http_options o;
	options(&o);
	char token_url[256];
	snprintf(token_url, sizeof(token_url), "%s/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token", f.base);
	char *secret = th_path(secrets_dir, "azure-secret");
	char d_url[300], d_secret[512];
	snprintf(d_url, sizeof(d_url), "token_url=%s", token_url);
	snprintf(d_secret, sizeof(d_secret), "client_secret_file=%s", secret);
	const char *defaults[] = { d_url, "client_id=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", d_secret,
				   "scope=https://management.azure.com/.default", NULL };
	struct config_section s = { .kind = "source", .name = "azure", .file = "test", .line = 1 };
	struct auth *a = NULL;
	struct config_errors errs = { 0 };
	CU_ASSERT_EQUAL_FATAL(auth_from_config("oauth2", &s, defaults, &a, &errs), 0);
	char err[512] = "";
	struct http_client *c = http_client_new(&o, "test", NULL, err, sizeof(err));
	char url[512];
	snprintf(url, sizeof(url),
		 "%s/subscriptions/00000000-1111-2222-3333-444444444444/providers/Microsoft.Insights/eventtypes/"
		 "management/values?api-version=2015-04-01&%%24filter=eventTimestamp%%20ge%%20%%272026-11-23T00%%3A00%%3A00Z"
		 "%%27%%20and%%20eventTimestamp%%20le%%20%%272026-11-24T00%%3A00%%3A00Z%%27",
		 f.base);
	struct http_request req = { "GET", url, NULL, 0, NULL, 0, a };
	struct http_response resp;
	for (int i = 0; i < 3; i++) {
		int fr = http_fetch(c, &req, &resp, err, sizeof(err));
		if (fr != 0)
			fprintf(stderr, "oauth2 fetch: %s\n", err);
		CU_ASSERT_EQUAL(fr, 0);
		CU_ASSERT_EQUAL(resp.status, 200);
		http_response_free(&resp);
	}
	CU_ASSERT_EQUAL(fake_requests(&f, "/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token", 1), 1);
	CU_ASSERT_EQUAL(fake_requests(&f, "/subscriptions/", 3), 3);

	/* The fake forgets its tokens: the next request gets a 401, the
	 * provider fetches a new token once, and the request succeeds. */
	CU_ASSERT_EQUAL(fake_control(&f, pki, "/__fake/tokens/expire", "{}"), 0);
	CU_ASSERT_EQUAL(http_fetch(c, &req, &resp, err, sizeof(err)), 0);
	http_response_free(&resp);
	CU_ASSERT_EQUAL(fake_requests(&f, "/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token", 2), 2);
	CU_ASSERT_EQUAL(fake_requests(&f, "/subscriptions/", 5), 5);

	http_client_free(c);
	auth_free(a);
	free(secret);
	config_errors_free(&errs);
	http_options_free(&o);
	fake_stop(&f);
}

static void test_redact(void)
{
	struct {
		const char *in, *out;
	} v[] = {
		{ "https://h/p?a=1&token=abc&b=2", "https://h/p?a=1&token=REDACTED&b=2" },
		{ "https://user:pw@h:8443/p?X-Amz-Signature=ff&X-Amz-Credential=AK%2F1",
		  "https://h:8443/p?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED" },
		{ "https://h/p?pageToken=keep&$skiptoken=keep2", "https://h/p?pageToken=keep&$skiptoken=keep2" },
		{ "https://moodle/webservice/rest/server.php?wstoken=s3cr3t&wsfunction=f",
		  "https://moodle/webservice/rest/server.php?wstoken=REDACTED&wsfunction=f" },
		{ "https://h/p#frag", "https://h/p#frag" },
		{ "https://h/p?code=x#f", "https://h/p?code=REDACTED#f" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *r = http_redact_url(v[i].in);
		if (strcmp(r, v[i].out) != 0)
			fprintf(stderr, "redact %s: got %s\n", v[i].in, r);
		CU_ASSERT_STRING_EQUAL(r, v[i].out);
		free(r);
	}
}

static void test_retry_after_parse(void)
{
	time_t now = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */
	CU_ASSERT_EQUAL(http_parse_retry_after("120", now), 120);
	CU_ASSERT_EQUAL(http_parse_retry_after(" 5 ", now), 5);
	CU_ASSERT_EQUAL(http_parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), 30);
	CU_ASSERT_EQUAL(http_parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), 0);
	CU_ASSERT_EQUAL(http_parse_retry_after("soon", now), -1);
	CU_ASSERT_EQUAL(http_parse_retry_after("5x", now), -1);
	CU_ASSERT_EQUAL(http_parse_retry_after(NULL, now), -1);
}

static void test_same_origin(void)
{
	CU_ASSERT_EQUAL(http_same_origin("https://a.example:8443/x", "https://A.example:8443/y?z"), 0);
	CU_ASSERT_EQUAL(http_same_origin("https://a.example/x", "https://a.example:443/y"), 0);
	CU_ASSERT_NOT_EQUAL(http_same_origin("https://a.example/x", "https://b.example/y"), 0);
	CU_ASSERT_NOT_EQUAL(http_same_origin("https://a.example/x", "http://a.example/y"), 0);
	CU_ASSERT_NOT_EQUAL(http_same_origin("https://a.example/x", "https://a.example:444/y"), 0);
	CU_ASSERT_NOT_EQUAL(http_same_origin("https://a.example/x", "not a url"), 0);
}

static void test_pages_guard(void)
{
	struct http_pages p;
	char err[256];
	http_pages_init(&p, 1000);
	char tok[32];
	for (int i = 0; i < 500; i++) {
		snprintf(tok, sizeof(tok), "token-%d", i);
		CU_ASSERT_EQUAL(http_pages_next(&p, tok, err, sizeof(err)), 0);
	}
	CU_ASSERT_EQUAL(http_pages_next(&p, "token-17", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "pagination loop"));
	http_pages_free(&p);
	http_pages_init(&p, 3);
	CU_ASSERT_EQUAL(http_pages_next(&p, "a", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(http_pages_next(&p, "b", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(http_pages_next(&p, "c", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "more than max_pages (3)"));
	http_pages_free(&p);
}

int main(void)
{
	CU_TestInfo live[] = {
		{ "a certificate from an untrusted CA fails with a TLS error", test_tls_untrusted_ca },
		{ "public key pinning", test_tls_pinning },
		{ "429 with Retry-After is retried after the delay", test_retry_after },
		{ "three 503s and then a 200 succeed", test_5xx_then_success },
		{ "a stall hits the low-speed cutoff", test_stall },
		{ "an oversize body is refused", test_oversize },
		{ "http:// and other-host redirects are refused", test_redirects },
		{ "a wrong token is a clear 401 without the token", test_wrong_token },
		{ "the OAuth2 token is fetched once and refreshed on 401", test_oauth2_token_reuse },
		CU_TEST_INFO_NULL,
	};
	CU_TestInfo unit[] = {
		{ "URL redaction", test_redact },
		{ "Retry-After parsing", test_retry_after_parse },
		{ "same-origin check for next links", test_same_origin },
		{ "pagination loop guard", test_pages_guard },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "http against fakes", setup, teardown, NULL, NULL, live },
		{ "http helpers", NULL, NULL, NULL, NULL, unit },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
