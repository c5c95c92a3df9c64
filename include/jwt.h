/*
 * jwt.h: JSON Web Tokens signed with RS256 (RSASSA-PKCS1-v1_5 over
 * SHA-256, OpenSSL EVP), as Google's service-account flow needs, and
 * base64url helpers.
 */
#ifndef ISMSD_JWT_H
#define ISMSD_JWT_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

/* base64url without padding; the caller frees the result.  NULL on ENOMEM. */
char *jwt_b64url(const void *data, size_t len);

/* Decodes base64url (padding optional).  Returns 0 with a malloc'd buffer,
 * or -EINVAL. */
int jwt_b64url_decode(const char *s, size_t len, unsigned char **out, size_t *outlen);

/*
 * Signs claims with the RSA private key in pem (PKCS#8 or PKCS#1).  The
 * header is {"alg":"RS256","typ":"JWT"} plus "kid" when kid is not NULL.
 * Returns 0 with the compact JWT in *jwt (the caller frees it), or -1 with
 * a message in err that never contains key material.
 */
int jwt_sign_rs256(const char *pem, size_t pem_len, const char *kid, const json_t *claims, char **jwt, char *err,
		   size_t errlen);

/*
 * Builds the signed assertion of Google's service-account flow from the
 * text of a service-account key file: claims iss = client_email, scope,
 * aud = the token URL (token_url when not NULL, else the key file's
 * token_uri), iat = now, exp = now + 3600, signed with the file's
 * private_key and kid = private_key_id.  Returns 0 with the JWT and the
 * token URL (both malloc'd), or -1 with a message in err.
 */
int jwt_google_assertion(const char *key_json, size_t len, const char *scope, const char *token_url, time_t now,
			 char **jwt, char **url, char *err, size_t errlen);

#endif
