/*
 * fuzz_token.c: libFuzzer target for the token parsers: each input is run
 * through auth_parse_token_response() (an OAuth2 token endpoint's answer),
 * jwt_b64url_decode() (the whole input and each '.'-separated part, as in
 * a JWT), and jwt_google_assertion() (a service-account key file, JSON).
 *
 * Invariants: an accepted token can be sent in a header and its lifetime
 * is sane; a refused one leaves no token and a message that does not repeat
 * it; base64url decoding round-trips (encode then decode gives the input,
 * and a decoded value re-encodes to text that decodes to it again).
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "fuzzhelp.h"
#include "jwt.h"

static void token_response(const uint8_t *data, size_t size)
{
	char *tok = NULL;
	long expires = 0;
	char err[512] = "";
	int r = auth_parse_token_response((const char *)data, size, &tok, &expires, err, sizeof(err));
	if (r == 0) {
		FUZZ_CHECK(tok != NULL && tok[0] != '\0' && strlen(tok) <= 16384, "token length");
		for (const char *p = tok; *p; p++)
			FUZZ_CHECK((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f,
				   "a token a header cannot carry");
		FUZZ_CHECK(expires > 0 && expires <= 86400L * 366, "expires_in");
		free(tok);
		return;
	}
	FUZZ_CHECK(r == -1 && tok == NULL, "a failure left a token");
	FUZZ_CHECK(err[0] != '\0', "a failure without a message");
	json_error_t jerr;
	json_t *j = json_loadb((const char *)data, size, 0, &jerr);
	const char *at = json_string_value(json_object_get(j, "access_token"));
	if (at != NULL && strlen(at) >= 8)
		FUZZ_CHECK(strstr(err, at) == NULL, "the message repeats the token");
	json_decref(j);
}

static void b64url(const char *s, size_t len)
{
	unsigned char *out = NULL;
	size_t outlen = 0;
	if (jwt_b64url_decode(s, len, &out, &outlen) != 0)
		return;
	char *again = jwt_b64url(out, outlen);
	FUZZ_CHECK(again != NULL, "out of memory");
	unsigned char *out2 = NULL;
	size_t out2len = 0;
	FUZZ_CHECK(jwt_b64url_decode(again, strlen(again), &out2, &out2len) == 0, "re-encoded text does not decode");
	FUZZ_CHECK(out2len == outlen && (outlen == 0 || memcmp(out, out2, outlen) == 0), "decode(encode(x)) != x");
	free(out2);
	free(again);
	free(out);
}

static void roundtrip(const uint8_t *data, size_t size)
{
	char *enc = jwt_b64url(data, size);
	FUZZ_CHECK(enc != NULL, "out of memory");
	unsigned char *dec = NULL;
	size_t declen = 0;
	FUZZ_CHECK(jwt_b64url_decode(enc, strlen(enc), &dec, &declen) == 0, "encoded input does not decode");
	FUZZ_CHECK(declen == size && (size == 0 || memcmp(dec, data, size) == 0), "decode(encode(input)) != input");
	free(dec);
	free(enc);
}

static void service_account(const uint8_t *data, size_t size)
{
	/* jwt_google_assertion() wipes the key it parsed: it gets a copy */
	char *copy = malloc(size + 1);
	FUZZ_CHECK(copy != NULL, "out of memory");
	memcpy(copy, data, size);
	copy[size] = '\0';
	char *jwt = NULL, *url = NULL, err[512] = "";
	int r = jwt_google_assertion(copy, size, "https://www.googleapis.com/auth/logging.read", NULL, 1795475520, &jwt,
				     &url, err, sizeof(err));
	if (r == 0) {
		FUZZ_CHECK(jwt != NULL && url != NULL, "no assertion");
		FUZZ_CHECK(strchr(jwt, '.') != NULL, "not a JWT");
	} else {
		FUZZ_CHECK(jwt == NULL && url == NULL, "a failure left results");
		FUZZ_CHECK(err[0] != '\0', "a failure without a message");
	}
	free(jwt);
	free(url);
	free(copy);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	token_response(data, size);
	roundtrip(data, size);
	const char *s = (const char *)data;
	b64url(s, size);
	for (size_t start = 0, i = 0; i <= size; i++) {
		if (i == size || s[i] == '.') {
			b64url(s + start, i - start);
			start = i + 1;
		}
	}
	service_account(data, size);
	return 0;
}
