/*
 * auth.h: authentication providers behind one interface.  A provider adds
 * the headers that authenticate one attempt of a request: a static bearer
 * token or API key (auth_bearer.c), AWS Signature Version 4
 * (auth_sigv4.c), OAuth2 client credentials for Microsoft Entra ID
 * (auth_oauth2.c) or a Google service-account JWT exchanged for a token
 * (auth_google.c).  Token providers cache their token across runs until
 * shortly before it expires; http_fetch() calls auth_invalidate() after a
 * 401 and retries once with a fresh token.
 *
 * Secrets are read from files or credentials (secret.h) when first needed
 * and kept only in the provider.  auth_scrub() removes them from any text
 * (a vendor error message, say) before it is logged or stored.
 */
#ifndef ISMSD_AUTH_H
#define ISMSD_AUTH_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "http.h"

struct auth;

/* What a provider sees of the request it authenticates. */
struct auth_target {
	const char *method;
	const char *url;
	const struct http_header *headers; /* the request's own headers */
	size_t n_headers;
	const char *body;
	size_t body_len;
};

#define AUTH_MAX_HEADERS 6

/* Headers a provider adds; owned, freed by auth_headers_free(). */
struct auth_headers {
	struct http_header h[AUTH_MAX_HEADERS];
	size_t n;
};

struct auth_ops {
	const char *name;
	/* Adds the headers for one attempt.  May fetch a token through c.
	 * Returns 0, or -1 with a message in err. */
	int (*apply)(struct auth *a, struct http_client *c, const struct auth_target *t, struct auth_headers *out,
		     char *err, size_t errlen);
	/* Forgets a cached token.  NULL when there is none. */
	void (*invalidate)(struct auth *a);
	void (*free)(struct auth *a);
};

struct auth {
	const struct auth_ops *ops;
	void *priv;
	/* Secret values currently held, for auth_scrub(); maintained by the
	 * provider through auth_secret_remember(). */
	char **secrets;
	size_t n_secrets;
};

/* Key tables per provider, for collectors' key tables. */
#define AUTH_BEARER_KEYS                                            \
	{ "token_file", CONFIG_T_SECRET, 0, NULL, 0, 0 },           \
	{ "auth_header", CONFIG_T_NAME, 0, NULL, 0, 0 },            \
	{ "auth_scheme", CONFIG_T_STRING, 0, NULL, 0, 0 }
#define AUTH_SIGV4_KEYS                                                     \
	{ "region", CONFIG_T_NAME, 0, NULL, 0, 0 },                         \
	{ "service", CONFIG_T_NAME, 0, NULL, 0, 0 },                        \
	{ "credentials_file", CONFIG_T_SECRET, 0, NULL, 0, 0 },             \
	{ "profile", CONFIG_T_NAME, 0, NULL, 0, 0 }
#define AUTH_OAUTH2_KEYS                                                    \
	{ "tenant", CONFIG_T_NAME, 0, NULL, 0, 0 },                         \
	{ "client_id", CONFIG_T_STRING, 0, NULL, 0, 0 },                    \
	{ "client_secret_file", CONFIG_T_SECRET, 0, NULL, 0, 0 },           \
	{ "scope", CONFIG_T_STRING, 0, NULL, 0, 0 },                        \
	{ "token_url", CONFIG_T_URL, 0, NULL, 0, 0 }
#define AUTH_GOOGLE_KEYS                                                    \
	{ "key_file", CONFIG_T_SECRET, 0, NULL, 0, 0 },                     \
	{ "scope", CONFIG_T_STRING, 0, NULL, 0, 0 },                        \
	{ "token_url", CONFIG_T_URL, 0, NULL, 0, 0 }

/*
 * Makes the provider named kind ("none", "bearer", "aws-sigv4", "oauth2",
 * "google-jwt") from section s.  defaults gives per-collector defaults for
 * keys the section leaves out (such as the SigV4 service name), as
 * "key=value" strings, NULL-terminated, or NULL.  Returns NULL after adding
 * messages to errs; *out is NULL for "none".
 */
int auth_from_config(const char *kind, const struct config_section *s, const char *const *defaults,
		     struct auth **out, struct config_errors *errs);

int auth_apply(struct auth *a, struct http_client *c, const struct auth_target *t, struct auth_headers *out, char *err,
	       size_t errlen);
/* Returns 1 when a cached token was dropped (a retry may help), else 0. */
int auth_invalidate(struct auth *a);
void auth_free(struct auth *a);
void auth_headers_free(struct auth_headers *h);
/* Adds "Authorization: Bearer <token>".  Returns 0, or -1 with err set. */
int auth_headers_add_bearer(struct auth_headers *h, const char *token, char *err, size_t errlen);
/* Adds a header to out.  Returns 0 or -ENOMEM/-ENOSPC. */
int auth_headers_add(struct auth_headers *h, const char *name, const char *value);

/* Remembers a secret value for auth_scrub(). */
void auth_secret_remember(struct auth *a, const char *secret);
/* Forgets every remembered secret (overwriting them). */
void auth_secret_forget_all(struct auth *a);
/* Replaces every remembered secret in text (in place) with '*'. */
void auth_scrub(const struct auth *a, char *text);

/* ---- for token providers ---------------------------------------------------- */

/* A cached access token. */
struct auth_token {
	char *value;
	time_t expires;	 /* when the token expires */
	time_t refresh;	 /* when to fetch a new one (shortly before expires) */
};

/* Non-zero when t holds a token still good at now. */
int auth_token_valid(const struct auth_token *t, time_t now);
void auth_token_clear(struct auth_token *t);

/* Parses an OAuth2 token response ({"access_token", "expires_in",
 * "token_type"}).  Returns 0 with a malloc'd token, or -1 with a message
 * that never contains the token. */
int auth_parse_token_response(const char *body, size_t len, char **token, long *expires_in, char *err,
			      size_t errlen);

/* POSTs form (application/x-www-form-urlencoded) to a token endpoint and
 * caches the answer in t.  Returns 0, or -1 with a message in err. */
int auth_fetch_token(struct auth *a, struct http_client *c, const char *url, const char *form, struct auth_token *t,
		     char *err, size_t errlen);

/* The providers. */
extern const struct auth_ops auth_bearer_ops;
extern const struct auth_ops auth_sigv4_ops;
extern const struct auth_ops auth_oauth2_ops;
extern const struct auth_ops auth_google_ops;

/* Each provider's constructor: reads its keys from s (defaults as above).
 * Returns 0 or -1 after adding messages to errs. */
int auth_bearer_new(const struct config_section *s, const char *const *defaults, struct auth **out,
		    struct config_errors *errs);
int auth_sigv4_new(const struct config_section *s, const char *const *defaults, struct auth **out,
		   struct config_errors *errs);
int auth_oauth2_new(const struct config_section *s, const char *const *defaults, struct auth **out,
		    struct config_errors *errs);
int auth_google_new(const struct config_section *s, const char *const *defaults, struct auth **out,
		    struct config_errors *errs);

/* A key's value from s, else from defaults ("key=value"), else NULL. */
const char *auth_key(const struct config_section *s, const char *const *defaults, const char *key);

#endif
