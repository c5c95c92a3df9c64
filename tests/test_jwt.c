/*
 * test_jwt.c: RS256 JWTs (signed, then verified with the public key through
 * OpenSSL), the claims of the Google assertion, base64url, and the OAuth2
 * token-response parser.
 */
#include "autoconfig.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "auth.h"
#include "jwt.h"
#include "testhelp.h"

static EVP_PKEY *key;
static char *pem;

static int setup(void)
{
	key = EVP_RSA_gen(2048);
	if (key == NULL)
		return -1;
	BIO *b = BIO_new(BIO_s_mem());
	if (b == NULL || PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1)
		return -1;
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);
	pem = strndup(data, (size_t)n);
	BIO_free(b);
	return pem ? 0 : -1;
}

static int teardown(void)
{
	EVP_PKEY_free(key);
	free(pem);
	return 0;
}

/* Splits a compact JWT and returns its decoded part i (0 header, 1 claims). */
static json_t *jwt_part(const char *jwt, int i)
{
	const char *p = jwt;
	for (int k = 0; k < i; k++) {
		p = strchr(p, '.');
		if (p == NULL)
			return NULL;
		p++;
	}
	size_t len = strcspn(p, ".");
	unsigned char *raw = NULL;
	size_t rl = 0;
	if (jwt_b64url_decode(p, len, &raw, &rl) < 0)
		return NULL;
	json_error_t err;
	json_t *j = json_loadb((const char *)raw, rl, 0, &err);
	free(raw);
	return j;
}

/* Verifies the RS256 signature of a compact JWT with the public key. */
static int verify(const char *jwt, EVP_PKEY *pub)
{
	const char *dot2 = strrchr(jwt, '.');
	if (dot2 == NULL)
		return -1;
	unsigned char *sig = NULL;
	size_t sl = 0;
	if (jwt_b64url_decode(dot2 + 1, strlen(dot2 + 1), &sig, &sl) < 0)
		return -1;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
		 EVP_DigestVerify(md, sig, sl, (const unsigned char *)jwt, (size_t)(dot2 - jwt)) == 1;
	EVP_MD_CTX_free(md);
	free(sig);
	return ok ? 0 : -1;
}

/* The public half only, as a verifier would have it. */
static EVP_PKEY *public_only(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PUBKEY(b, k);
	EVP_PKEY *pub = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	BIO_free(b);
	return pub;
}

static void test_sign_and_verify(void)
{
	json_t *claims = json_pack("{s:s}", "sub", "x");
	char *jwt = NULL;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(jwt_sign_rs256(pem, strlen(pem), "kid-1", claims, &jwt, err, sizeof(err)), 0);
	EVP_PKEY *pub = public_only(key);
	CU_ASSERT_EQUAL(verify(jwt, pub), 0);

	json_t *hdr = jwt_part(jwt, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(hdr, "alg")), "RS256");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(hdr, "typ")), "JWT");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(hdr, "kid")), "kid-1");
	json_decref(hdr);

	/* One changed character in the claims breaks the signature. */
	char *dot = strchr(jwt, '.');
	dot[1] = dot[1] == 'A' ? 'B' : 'A';
	CU_ASSERT_NOT_EQUAL(verify(jwt, pub), 0);
	free(jwt);

	/* A different key's signature does not verify. */
	EVP_PKEY *other = EVP_RSA_gen(2048);
	EVP_PKEY *other_pub = public_only(other);
	CU_ASSERT_EQUAL_FATAL(jwt_sign_rs256(pem, strlen(pem), NULL, claims, &jwt, err, sizeof(err)), 0);
	CU_ASSERT_NOT_EQUAL(verify(jwt, other_pub), 0);
	hdr = jwt_part(jwt, 0);
	CU_ASSERT_PTR_NULL(json_object_get(hdr, "kid"));
	json_decref(hdr);
	free(jwt);
	EVP_PKEY_free(other);
	EVP_PKEY_free(other_pub);
	EVP_PKEY_free(pub);
	json_decref(claims);
}

/* The claims Google's token endpoint checks, from a service-account key file. */
static void test_google_claims(void)
{
	json_t *sa = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "service_account", "project_id", "demo",
			       "private_key_id", "abc123", "private_key", pem, "client_email",
			       "ismsd@demo.iam.gserviceaccount.com", "token_uri", "https://oauth2.googleapis.com/token");
	char *text = json_dumps(sa, 0);
	json_decref(sa);
	char *jwt = NULL, *url = NULL;
	char err[256];
	time_t now = 1764000000;
	CU_ASSERT_EQUAL_FATAL(jwt_google_assertion(text, strlen(text), "https://www.googleapis.com/auth/logging.read",
						   NULL, now, &jwt, &url, err, sizeof(err)),
			      0);
	CU_ASSERT_STRING_EQUAL(url, "https://oauth2.googleapis.com/token");
	EVP_PKEY *pub = public_only(key);
	CU_ASSERT_EQUAL(verify(jwt, pub), 0);
	EVP_PKEY_free(pub);
	json_t *h = jwt_part(jwt, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(h, "kid")), "abc123");
	json_decref(h);
	json_t *c = jwt_part(jwt, 1);
	CU_ASSERT_EQUAL(json_object_size(c), 5);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "iss")), "ismsd@demo.iam.gserviceaccount.com");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "scope")),
			       "https://www.googleapis.com/auth/logging.read");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "aud")), "https://oauth2.googleapis.com/token");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(c, "iat")), now);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(c, "exp")), now + 3600);
	json_decref(c);
	free(jwt);
	free(url);

	/* token_url overrides the file's token_uri, and aud follows it. */
	CU_ASSERT_EQUAL_FATAL(jwt_google_assertion(text, strlen(text), "s", "https://127.0.0.1:8443/token", now, &jwt,
						   &url, err, sizeof(err)),
			      0);
	c = jwt_part(jwt, 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "aud")), "https://127.0.0.1:8443/token");
	CU_ASSERT_STRING_EQUAL(url, "https://127.0.0.1:8443/token");
	json_decref(c);
	free(jwt);
	free(url);

	/* Not a service-account key. */
	const char *user = "{\"type\":\"authorized_user\",\"client_id\":\"x\"}";
	CU_ASSERT_EQUAL(jwt_google_assertion(user, strlen(user), "s", NULL, now, &jwt, &url, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a Google service-account key"));
	free(text);
}

static void test_bad_key(void)
{
	json_t *claims = json_pack("{s:s}", "sub", "x");
	char *jwt = NULL;
	char err[256] = "";
	const char *notkey = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n";
	CU_ASSERT_EQUAL(jwt_sign_rs256(notkey, strlen(notkey), NULL, claims, &jwt, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NULL(jwt);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a PEM RSA key"));
	CU_ASSERT_PTR_NULL(strstr(err, "bm90"));
	json_decref(claims);
}

/*
 * An encrypted key is refused at once.  OpenSSL's default is to ask for the
 * passphrase on the controlling terminal, which blocks a run started from
 * one; so the signing runs in a child whose controlling terminal is a
 * pseudo-terminal this test watches for a prompt.
 */
static void test_encrypted_key(void)
{
	BIO *b = BIO_new(BIO_s_mem());
	CU_ASSERT_FATAL(b != NULL && PEM_write_bio_PrivateKey(b, key, EVP_aes_128_cbc(), (const unsigned char *)"pw",
							       2, NULL, NULL) == 1);
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);
	char *enc = strndup(data, (size_t)n);
	BIO_free(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(strstr(enc, "ENCRYPTED"));

	int master = posix_openpt(O_RDWR | O_NOCTTY);
	CU_ASSERT_FATAL(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0);
	char *slave = strdup(ptsname(master));
	fflush(NULL);
	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		setsid();
		int fd = open(slave, O_RDWR); /* the session's controlling terminal */
		if (fd < 0)
			_exit(3);
		alarm(10);
		json_t *claims = json_pack("{s:s}", "sub", "x");
		char *jwt = NULL;
		char err[256] = "";
		int r = jwt_sign_rs256(enc, strlen(enc), NULL, claims, &jwt, err, sizeof(err));
		_exit(r == -1 && strstr(err, "encrypted keys are not supported") != NULL ? 0 : 1);
	}
	char out[512] = "";
	size_t got = 0;
	int status = -1;
	for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++) {
		struct pollfd p = { master, POLLIN, 0 };
		if (poll(&p, 1, 50) > 0 && (p.revents & POLLIN) && got + 1 < sizeof(out)) {
			ssize_t r = read(master, out + got, sizeof(out) - 1 - got);
			if (r > 0)
				got += (size_t)r;
		}
		status = -1;
	}
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	CU_ASSERT_PTR_NULL(strstr(out, "pass phrase"));
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(master);
	free(slave);
	free(enc);
}

static void test_b64url(void)
{
	struct {
		const char *in, *out;
	} v[] = { { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg" },
		  { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" }, { "\xfb\xff\xfe", "-__-" } };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *e = jwt_b64url(v[i].in, strlen(v[i].in));
		CU_ASSERT_STRING_EQUAL(e, v[i].out);
		unsigned char *d = NULL;
		size_t dl = 0;
		CU_ASSERT_EQUAL(jwt_b64url_decode(e, strlen(e), &d, &dl), 0);
		CU_ASSERT_EQUAL(dl, strlen(v[i].in));
		CU_ASSERT(memcmp(d, v[i].in, dl) == 0);
		free(d);
		free(e);
	}
	unsigned char *d = NULL;
	size_t dl = 0;
	CU_ASSERT_EQUAL(jwt_b64url_decode("a+b/", 4, &d, &dl), -22);
	CU_ASSERT_EQUAL(jwt_b64url_decode("abcde", 5, &d, &dl), -22);
}

static void test_token_response(void)
{
	struct {
		const char *body;
		int ok;
		long expires;
		const char *msg;
	} v[] = {
		{ "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"eyJ0eXAi.abc\"}", 1, 3599, NULL },
		{ "{\"token_type\":\"Bearer\",\"expires_in\":\"3599\",\"ext_expires_in\":3599,\"access_token\":\"t\"}", 1,
		  3599, NULL },
		{ "{\"access_token\":\"ya29.x\",\"expires_in\":3599,\"token_type\":\"Bearer\"}", 1, 3599, NULL },
		{ "{\"expires_in\":3599}", 0, 0, "no usable access_token" },
		{ "{\"access_token\":\"\",\"expires_in\":3599}", 0, 0, "no usable access_token" },
		{ "{\"access_token\":\"a b\",\"expires_in\":3599}", 0, 0, "characters a header cannot carry" },
		{ "{\"access_token\":\"tok\",\"token_type\":\"mac\"}", 0, 0, "not Bearer" },
		{ "{\"access_token\":\"tok\",\"expires_in\":-5}", 0, 0, "unusable expires_in" },
		{ "{\"access_token\":\"tok\",\"expires_in\":true}", 0, 0, "unusable expires_in" },
		{ "[1,2]", 0, 0, "not answer with a JSON object" },
		{ "{\"access_token\":\"tok\"", 0, 0, "not answer with a JSON object" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *tok = NULL;
		long e = 0;
		char err[256] = "";
		int r = auth_parse_token_response(v[i].body, strlen(v[i].body), &tok, &e, err, sizeof(err));
		CU_ASSERT_EQUAL(r, v[i].ok ? 0 : -1);
		if (v[i].ok) {
			CU_ASSERT_EQUAL(e, v[i].expires);
			CU_ASSERT_PTR_NOT_NULL(tok);
		} else {
			CU_ASSERT_PTR_NULL(tok);
			CU_ASSERT_PTR_NOT_NULL(strstr(err, v[i].msg));
			CU_ASSERT_PTR_NULL(strstr(err, "tok\""));
		}
		free(tok);
	}
}

static void test_scrub(void)
{
	struct auth a = { 0 };
	auth_secret_remember(&a, "s3cr3t-token");
	auth_secret_remember(&a, "abc"); /* too short to be a secret: ignored */
	char text[] = "denied: token s3cr3t-token is expired (s3cr3t-token)";
	auth_scrub(&a, text);
	CU_ASSERT_STRING_EQUAL(text, "denied: token ************ is expired (************)");
	CU_ASSERT_EQUAL(a.n_secrets, 1);
	auth_secret_forget_all(&a);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "RS256: sign, verify with the public key", test_sign_and_verify },
		{ "the Google assertion's claims", test_google_claims },
		{ "a bad key gives a clear error", test_bad_key },
		{ "an encrypted key is refused without a prompt", test_encrypted_key },
		{ "base64url", test_b64url },
		{ "OAuth2 token responses", test_token_response },
		{ "secrets are scrubbed from text", test_scrub },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "jwt", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
