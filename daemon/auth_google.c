/*
 * auth_google.c: Google service-account JWT bearer flow.  The service
 * account's JSON key file is read, an RS256 JWT (iss = client_email, scope,
 * aud = the token URL, iat, exp = iat + 3600) is signed with its private key
 * and exchanged at token_uri for an access token, which is cached until
 * shortly before it expires.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "jwt.h"
#include "secret.h"
#include "util.h"

struct google {
	char *key_ref;
	char *scope;
	char *token_url; /* overrides the key file's token_uri when set */
	struct auth_token token;
};

/* Reads the key file and signs the assertion.  *url receives the token URL. */
static int make_assertion(struct auth *a, struct google *g, char **jwt, char **url, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	if (secret_read(g->key_ref, &text, &len, err, errlen) < 0)
		return -1;
	char why[256];
	int r = jwt_google_assertion(text, len, g->scope, g->token_url, util_now(), jwt, url, why, sizeof(why));
	util_secret_free(text, len);
	if (r < 0) {
		snprintf(err, errlen, "key file %s: %s", g->key_ref, why);
		return -1;
	}
	auth_secret_remember(a, *jwt);
	return 0;
}

static int google_apply(struct auth *a, struct http_client *c, const struct auth_target *t, struct auth_headers *out,
			char *err, size_t errlen)
{
	(void)t;
	struct google *g = a->priv;
	if (!auth_token_valid(&g->token, util_now())) {
		char *jwt = NULL, *url = NULL, *form = NULL;
		if (make_assertion(a, g, &jwt, &url, err, errlen) < 0)
			return -1;
		int r = asprintf(&form, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer&assertion=%s",
				 jwt);
		util_secret_free(jwt, strlen(jwt));
		if (r < 0) {
			free(url);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		r = auth_fetch_token(a, c, url, form, &g->token, err, errlen);
		util_secret_free(form, strlen(form));
		free(url);
		if (r < 0)
			return -1;
	}
	return auth_headers_add_bearer(out, g->token.value, err, errlen);
}

static void google_invalidate(struct auth *a)
{
	struct google *g = a->priv;
	auth_token_clear(&g->token);
}

static void google_free(struct auth *a)
{
	struct google *g = a->priv;
	if (g == NULL)
		return;
	auth_token_clear(&g->token);
	free(g->key_ref);
	free(g->scope);
	free(g->token_url);
	free(g);
}

const struct auth_ops auth_google_ops = {
	.name = "google-jwt",
	.apply = google_apply,
	.invalidate = google_invalidate,
	.free = google_free,
};

int auth_google_new(const struct config_section *s, const char *const *defaults, struct auth **out,
		    struct config_errors *errs)
{
	const char *key = auth_key(s, defaults, "key_file");
	const char *scope = auth_key(s, defaults, "scope");
	const char *token_url = auth_key(s, defaults, "token_url");
	if (key == NULL || scope == NULL) {
		config_errors_add(errs, s->file, s->line, "[source %s] key '%s': missing required key", s->name,
				  key == NULL ? "key_file" : "scope");
		return -1;
	}
	struct auth *a = calloc(1, sizeof(*a));
	struct google *g = calloc(1, sizeof(*g));
	if (a == NULL || g == NULL) {
		free(a);
		free(g);
		config_errors_add(errs, s->file, s->line, "out of memory");
		return -1;
	}
	a->ops = &auth_google_ops;
	a->priv = g;
	g->key_ref = strdup(key);
	g->scope = strdup(scope);
	g->token_url = token_url ? strdup(token_url) : NULL;
	if (g->key_ref == NULL || g->scope == NULL || (token_url && g->token_url == NULL)) {
		auth_free(a);
		config_errors_add(errs, s->file, s->line, "out of memory");
		return -1;
	}
	*out = a;
	return 0;
}
