/*
 * sigv4.h: AWS Signature Version 4 request signing (header form) and the
 * parser for the AWS shared credentials file.
 *
 * The signer follows the non-S3 rules used by botocore and the AWS SigV4
 * test suite: the path as sent on the wire is normalized (when asked) and
 * URI-encoded once more, query parameters are re-encoded and sorted, header
 * values are trimmed and their whitespace runs collapsed.  S3's rules (path
 * used verbatim, no second encoding) are not implemented.
 */
#ifndef ISMSD_SIGV4_H
#define ISMSD_SIGV4_H

#include <stddef.h>
#include <time.h>

#define SIGV4_AMZ_DATE_LEN 16 /* "YYYYMMDDTHHMMSSZ" */
#define SIGV4_HEX_LEN 64      /* hex of a SHA-256 or HMAC-SHA256 */
#define SIGV4_KEY_LEN 32      /* a derived signing key */

/* One request header.  The name may be in any case. */
struct sigv4_header {
	const char *name;
	const char *value;
};

/*
 * The request to sign.  Everything is borrowed for the duration of the call.
 *
 * path: the request path exactly as sent on the wire (already percent-encoded
 * by the caller, e.g. "/backup-jobs/"), starting with '/'; NULL or "" mean
 * "/".  It must not carry the query.  It is encoded once more for signing,
 * so "%20" on the wire is signed as "%2520", as AWS expects for non-S3
 * services.  Raw bytes that are not unreserved (a space, UTF-8) are encoded.
 *
 * query: the query string as sent, without the '?', or NULL.  Parameters
 * are split on '&' (empty ones are skipped) and at the first '='; a
 * parameter without '=' has an empty value.  %XX escapes are decoded and
 * every parameter re-encoded per RFC 3986.  '+' is a literal plus, not a
 * space: send spaces as %20.  A '%' not followed by two hex digits is an
 * error.
 *
 * headers: every header to sign, Host included (required).  Repeated names
 * are joined with ',' in the order given.  Do not pass X-Amz-Date,
 * X-Amz-Security-Token, X-Amz-Content-SHA256 or Authorization: sigv4_sign()
 * adds the first three itself as needed (-EINVAL otherwise).
 * Headers the caller sends but leaves out of this array are not signed.
 *
 * body: the exact payload bytes (may be NULL when body_len is 0).
 */
struct sigv4_request {
	const char *method;
	const char *path;
	const char *query;
	const struct sigv4_header *headers;
	size_t n_headers;
	const void *body;
	size_t body_len;
};

/*
 * The signing credentials, borrowed.  session_token is NULL for long-term
 * keys; when set, it is signed as X-Amz-Security-Token and the caller must
 * send that header with this value.
 */
struct sigv4_credentials {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;
};

/*
 * Where and when the signature is valid.
 * region, service: the signing names, e.g. "eu-west-1", "backup".
 * when: the signing time (UTC seconds); the caller sends the matching
 * X-Amz-Date header from the result.
 * normalize_path: 1 for every non-S3 service: remove "." and ".."
 * segments and repeated slashes (a trailing slash is kept).  0 signs the path
 * segments as given (they are still encoded).
 * sign_body: 1 adds and signs X-Amz-Content-SHA256 (S3 style); 0 for the
 * JSON and REST-JSON services we call.
 */
struct sigv4_scope {
	const char *region;
	const char *service;
	time_t when;
	int normalize_path;
	int sign_body;
};

/*
 * The result of sigv4_sign().  The caller sends:
 *   X-Amz-Date: amz_date
 *   X-Amz-Security-Token: <session_token>   (only when one was given)
 *   X-Amz-Content-SHA256: content_sha256    (only when sign_body)
 *   Authorization: authorization
 * The char pointers are owned by the structure; release them with
 * sigv4_signature_free().
 */
struct sigv4_signature {
	char amz_date[SIGV4_AMZ_DATE_LEN + 1];
	char signature[SIGV4_HEX_LEN + 1];
	char content_sha256[SIGV4_HEX_LEN + 1]; /* hex SHA-256 of the body */
	char *signed_headers;			/* e.g. "host;x-amz-date" */
	char *authorization;			/* the Authorization header value */
	char *canonical_request;		/* for tests and debugging */
	char *string_to_sign;			/* for tests and debugging */
};

/*
 * Signs req.  Returns 0 and fills *out, or a negative errno: -EINVAL for a
 * malformed request, scope or credentials (an empty or missing field, no
 * Host header, a header name that is not an HTTP token, a reserved header,
 * a bad %-escape in the query, a path not starting with '/', control
 * characters where they cannot be sent), -ENOMEM, -ENOSPC when the canonical
 * request would pass 1 MiB, -EIO when libcrypto fails.  *out is overwritten
 * without being freed first; on failure it is left empty (safe to free).
 * The secret and the derived keys never leave the function.  Reentrant: no
 * state is kept between calls.
 */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_credentials *cred, const struct sigv4_scope *scope,
	       struct sigv4_signature *out);

/* Frees what sigv4_sign() allocated and empties s.  NULL-safe; safe to call twice. */
void sigv4_signature_free(struct sigv4_signature *s);

/*
 * Derives the signing key kSigning for date ("YYYYMMDD"), region and service
 * from the secret access key.  Returns 0, -EINVAL or -EIO.  The caller should
 * wipe key after use.
 */
int sigv4_signing_key(const char *secret_access_key, const char *date, const char *region, const char *service,
		      unsigned char key[SIGV4_KEY_LEN]);

/*
 * Credentials read from a shared credentials file.  Every string is
 * malloc'd and owned by the structure; session_token is NULL when the
 * profile has none.  Release with sigv4_profile_free(), which wipes the
 * secrets.
 */
struct sigv4_profile {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;
};

/*
 * Parses text, the content of an AWS shared credentials file (INI:
 * "[name]" sections with aws_access_key_id, aws_secret_access_key and the
 * optional aws_session_token; key names are case-insensitive, other keys are
 * ignored; ';' and '#' start comment lines, " ;" an inline comment), and
 * picks the section named exactly profile (NULL or "" mean "default"; the
 * "[profile name]" form belongs to the config file, not this one).  Lines of
 * any length are accepted: session tokens run past libinih's 200-byte line.
 *
 * Returns 0 and fills *out; -ENOENT when there is no such section (err names
 * the profile); -EINVAL when the file is malformed, a key is repeated or
 * empty in the profile, or the profile lacks a key (err says which and, when
 * it applies, on which line); -ENOMEM.  err (may be NULL) receives a message
 * that never contains a key or token value.  On failure *out is left empty.
 */
int sigv4_profile_parse(const char *text, const char *profile, struct sigv4_profile *out, char *err, size_t err_len);

/* Wipes and frees the strings of p and empties it.  NULL-safe. */
void sigv4_profile_free(struct sigv4_profile *p);

/* A borrowed view of p for sigv4_sign(); valid while p is. */
struct sigv4_credentials sigv4_profile_credentials(const struct sigv4_profile *p);

#endif
