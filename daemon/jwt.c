/*
 * jwt.c: RS256 JSON Web Tokens with OpenSSL EVP, and base64url.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "jwt.h"

#define JWT_GOOGLE_LIFETIME 3600

static const char b64url_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *jwt_b64url(const void *data, size_t len)
{
	const unsigned char *in = data;
	char *out = malloc((len + 2) / 3 * 4 + 1);
	if (out == NULL)
		return NULL;
	char *o = out;
	size_t i = 0;
	for (; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		*o++ = b64url_chars[v >> 18];
		*o++ = b64url_chars[(v >> 12) & 63];
		*o++ = b64url_chars[(v >> 6) & 63];
		*o++ = b64url_chars[v & 63];
	}
	if (i < len) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0);
		*o++ = b64url_chars[v >> 18];
		*o++ = b64url_chars[(v >> 12) & 63];
		if (i + 1 < len)
			*o++ = b64url_chars[(v >> 6) & 63];
	}
	*o = '\0';
	return out;
}

static int b64url_value(char c)
{
	const char *p = c ? strchr(b64url_chars, c) : NULL;
	return p ? (int)(p - b64url_chars) : -1;
}

int jwt_b64url_decode(const char *s, size_t len, unsigned char **out, size_t *outlen)
{
	while (len > 0 && s[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -EINVAL;
	unsigned char *buf = malloc(len / 4 * 3 + 3);
	if (buf == NULL)
		return -ENOMEM;
	size_t n = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64url_value(s[i]);
		if (v < 0) {
			free(buf);
			return -EINVAL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	*out = buf;
	*outlen = n;
	return 0;
}

/* The passphrase callback for PEM keys: there is none.  Without it OpenSSL
 * asks for one on the terminal, and a run with an encrypted key blocks. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

int jwt_sign_rs256(const char *pem, size_t pem_len, const char *kid, const json_t *claims, char **jwt, char *err,
		   size_t errlen)
{
	int r = -1;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	char *hdr_json = NULL, *claims_json = NULL, *h64 = NULL, *c64 = NULL, *input = NULL, *s64 = NULL;
	unsigned char *sig = NULL;
	*jwt = NULL;

	json_t *hdr = kid ? json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT", "kid", kid)
			  : json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
	hdr_json = hdr ? json_dumps(hdr, JSON_COMPACT) : NULL;
	json_decref(hdr);
	claims_json = json_dumps(claims, JSON_COMPACT);
	if (hdr_json == NULL || claims_json == NULL) {
		snprintf(err, errlen, "cannot encode the JWT");
		goto out;
	}
	h64 = jwt_b64url(hdr_json, strlen(hdr_json));
	c64 = jwt_b64url(claims_json, strlen(claims_json));
	if (h64 == NULL || c64 == NULL || asprintf(&input, "%s.%s", h64, c64) < 0) {
		input = NULL;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	bio = BIO_new_mem_buf(pem, (int)pem_len);
	key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
	if (key == NULL || EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
		snprintf(err, errlen, "the private key is not a PEM RSA key (encrypted keys are not supported)");
		goto out;
	}
	md = EVP_MD_CTX_new();
	size_t siglen = 0;
	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)input, strlen(input)) != 1) {
		snprintf(err, errlen, "cannot sign the JWT (RS256)");
		goto out;
	}
	sig = malloc(siglen);
	if (sig == NULL ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input, strlen(input)) != 1) {
		snprintf(err, errlen, "cannot sign the JWT (RS256)");
		goto out;
	}
	s64 = jwt_b64url(sig, siglen);
	if (s64 == NULL || asprintf(jwt, "%s.%s", input, s64) < 0) {
		*jwt = NULL;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	BIO_free(bio);
	free(hdr_json);
	free(claims_json);
	free(h64);
	free(c64);
	free(input);
	free(s64);
	free(sig);
	return r;
}

int jwt_google_assertion(const char *key_json, size_t len, const char *scope, const char *token_url, time_t now,
			 char **jwt, char **url, char *err, size_t errlen)
{
	int r = -1;
	json_t *claims = NULL;
	json_error_t jerr;
	*jwt = *url = NULL;
	json_t *key = json_loadb(key_json, len, 0, &jerr);
	const char *type = json_string_value(json_object_get(key, "type"));
	const char *email = json_string_value(json_object_get(key, "client_email"));
	const char *pem = json_string_value(json_object_get(key, "private_key"));
	const char *kid = json_string_value(json_object_get(key, "private_key_id"));
	const char *uri = json_string_value(json_object_get(key, "token_uri"));
	if (key == NULL || type == NULL || strcmp(type, "service_account") != 0 || email == NULL || pem == NULL) {
		snprintf(err, errlen, "not a Google service-account key (type, client_email, private_key)");
		goto out;
	}
	const char *aud = token_url ? token_url : uri ? uri : "https://oauth2.googleapis.com/token";
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", email, "scope", scope, "aud", aud, "iat",
			   (json_int_t)now, "exp", (json_int_t)(now + JWT_GOOGLE_LIFETIME));
	*url = strdup(aud);
	if (claims == NULL || *url == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r = jwt_sign_rs256(pem, strlen(pem), kid, claims, jwt, err, errlen);
out:
	if (r < 0) {
		free(*url);
		*url = NULL;
	}
	json_decref(claims);
	/* the key object holds the private key: overwrite it before freeing */
	if (pem != NULL)
		explicit_bzero((char *)pem, strlen(pem));
	json_decref(key);
	return r;
}
