/*
 * fuzz_sigv4.c: libFuzzer target for the SigV4 canonicalizer.  An input is
 * an HTTP request in the form of the AWS test suite's request.txt:
 *
 *   METHOD TARGET HTTP/1.1      (TARGET is PATH[?QUERY]; it may hold spaces)
 *   Name:value                  (a line starting with a blank continues a value)
 *   ...
 *                               (an empty line, then the body)
 *
 * so that tests/data/sigv4/STAR/request.txt are seeds as they are.  Each request
 * is signed three ways: normalized path without a session token, as
 * written with the body signed, and with a session token.
 *
 * Invariants: success gives a 64-hex signature, an Authorization header
 * naming it, and a canonical request that starts with the method; failure
 * leaves the result empty; signing is deterministic.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "fuzzhelp.h"
#include "sigv4.h"

#define MAX_HEADERS 64

struct request {
	char *method, *path, *query;
	struct sigv4_header headers[MAX_HEADERS];
	size_t n_headers;
	const char *body;
	size_t body_len;
};

/* Splits text (NUL-terminated, len bytes before the NUL) in place. */
static int parse(char *text, size_t len, struct request *rq)
{
	memset(rq, 0, sizeof(*rq));
	char *eol = strchr(text, '\n');
	if (eol != NULL)
		*eol = '\0';
	char *sp1 = strchr(text, ' ');
	char *sp2 = strrchr(text, ' ');
	if (sp1 == NULL)
		return -1;
	*sp1 = '\0';
	if (sp2 != sp1)
		*sp2 = '\0';
	rq->method = text;
	rq->path = sp1 + 1;
	char *q = strchr(rq->path, '?');
	if (q != NULL) {
		*q = '\0';
		rq->query = q + 1;
	}
	char *p = eol ? eol + 1 : NULL;
	while (p != NULL && p < text + len && *p != '\0') {
		if (*p == '\n') {
			rq->body = p + 1;
			rq->body_len = len - (size_t)(rq->body - text);
			break;
		}
		if (rq->n_headers == MAX_HEADERS)
			break;
		char *colon = strchr(p, ':');
		eol = strchr(p, '\n');
		if (colon == NULL || (eol != NULL && colon > eol))
			return -1;
		*colon = '\0';
		rq->headers[rq->n_headers].name = p;
		rq->headers[rq->n_headers].value = colon + 1;
		rq->n_headers++;
		while (eol != NULL && (eol[1] == ' ' || eol[1] == '\t'))
			eol = strchr(eol + 1, '\n');
		if (eol == NULL)
			break;
		*eol = '\0';
		p = eol + 1;
	}
	return 0;
}

static int is_hex64(const char *s)
{
	if (strlen(s) != SIGV4_HEX_LEN)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

static void sign(const struct request *rq, int normalize, int sign_body, const char *token)
{
	struct sigv4_request req = { rq->method, rq->path, rq->query, rq->headers, rq->n_headers, rq->body,
				     rq->body_len };
	struct sigv4_credentials cred = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token };
	struct sigv4_scope scope = { "us-east-1", "service", 1440938160, normalize, sign_body };
	struct sigv4_signature a, b;
	int r = sigv4_sign(&req, &cred, &scope, &a);
	if (r == 0) {
		FUZZ_CHECK(is_hex64(a.signature), a.signature);
		FUZZ_CHECK(a.authorization != NULL && strstr(a.authorization, a.signature) != NULL, "Authorization");
		FUZZ_CHECK(a.canonical_request != NULL &&
			       strncmp(a.canonical_request, rq->method, strlen(rq->method)) == 0,
			   "canonical request");
		FUZZ_CHECK(a.signed_headers != NULL && strstr(a.signed_headers, "host") != NULL, "SignedHeaders");
		FUZZ_CHECK(sigv4_sign(&req, &cred, &scope, &b) == 0, "signing is not repeatable");
		FUZZ_CHECK(strcmp(a.signature, b.signature) == 0, "signing is not deterministic");
		sigv4_signature_free(&b);
	} else {
		FUZZ_CHECK(r < 0, "a positive error");
		FUZZ_CHECK(a.authorization == NULL && a.canonical_request == NULL, "a failure left a result");
	}
	sigv4_signature_free(&a);
	sigv4_signature_free(&a); /* documented as safe */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	FUZZ_CHECK(text != NULL, "out of memory");
	memcpy(text, data, size);
	text[size] = '\0';
	struct request rq;
	if (parse(text, size, &rq) == 0) {
		sign(&rq, 1, 0, NULL);
		sign(&rq, 0, 1, NULL);
		sign(&rq, 1, 0, "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267");
	}
	free(text);
	return 0;
}
