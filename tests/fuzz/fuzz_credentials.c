/*
 * fuzz_credentials.c: libFuzzer target for the AWS shared credentials file
 * parser, sigv4_profile_parse().  Each input is a file's text; it is parsed
 * for the default profile and for a named one.
 *
 * Invariants: success fills both keys (non-empty); failure leaves the
 * profile empty and a message that never repeats a value of the file's
 * key lines (the parser promises that no key or token leaks into it).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzzhelp.h"
#include "sigv4.h"

/* A value that looks like a key or token: 16 or more characters of
 * [A-Za-z0-9/+], at least one of them a digit.  (Shorter or wordier values
 * could match the message's own words by chance.) */
static int secret_like(const char *v, size_t l)
{
	int digit = 0;
	if (l < 16)
		return 0;
	for (size_t i = 0; i < l; i++) {
		if (isdigit((unsigned char)v[i]))
			digit = 1;
		else if (!isalpha((unsigned char)v[i]) && v[i] != '/' && v[i] != '+')
			return 0;
	}
	return digit;
}

/* Aborts when err contains the value of an aws_* line of text. */
static void check_no_secret(const char *text, const char *err)
{
	for (const char *p = text; p != NULL && *p != '\0';) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		const char *k = p;
		while (k < p + n && (*k == ' ' || *k == '\t'))
			k++;
		if (eq != NULL && strncasecmp(k, "aws_", 4) == 0) {
			const char *v = eq + 1;
			while (v < p + n && (*v == ' ' || *v == '\t'))
				v++;
			size_t l = 0;
			while (v + l < p + n && strchr(" \t\r;#", v[l]) == NULL)
				l++;
			if (secret_like(v, l)) {
				char *val = strndup(v, l);
				FUZZ_CHECK(val != NULL, "out of memory");
				FUZZ_CHECK(strstr(err, val) == NULL, "the message repeats a credential");
				free(val);
			}
		}
		p = eol ? eol + 1 : NULL;
	}
}

static void parse(const char *text, const char *profile)
{
	struct sigv4_profile pr;
	char err[256] = "";
	int r = sigv4_profile_parse(text, profile, &pr, err, sizeof(err));
	if (r == 0) {
		FUZZ_CHECK(pr.access_key_id != NULL && pr.access_key_id[0] != '\0', "no access key id");
		FUZZ_CHECK(pr.secret_access_key != NULL && pr.secret_access_key[0] != '\0', "no secret key");
		struct sigv4_credentials c = sigv4_profile_credentials(&pr);
		FUZZ_CHECK(c.access_key_id == pr.access_key_id, "credentials view");
	} else {
		FUZZ_CHECK(r == -ENOENT || r == -EINVAL || r == -ENOMEM, "an unexpected error");
		FUZZ_CHECK(pr.access_key_id == NULL && pr.secret_access_key == NULL && pr.session_token == NULL,
			   "a failure left credentials");
		FUZZ_CHECK(err[0] != '\0', "a failure without a message");
		check_no_secret(text, err);
	}
	sigv4_profile_free(&pr);
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
	parse(text, NULL);
	parse(text, "prod");
	free(text);
	return 0;
}
