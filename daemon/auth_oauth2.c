/*
 * auth_oauth2.c: OAuth2 client credentials against Microsoft Entra ID
 * (tenant, client id, client secret, scope).  The token is cached until
 * shortly before expires_in; a 401 drops it and the request is retried once
 * with a new one.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "secret.h"
#include "util.h"

#define ENTRA_TOKEN_URL "https://login.microsoftonline.com/%s/oauth2/v2.0/token"

struct oauth2 {
	char *token_url;
	char *client_id;
	char *secret_ref;
	char *scope;
	struct auth_token token;
};

static int oauth2_apply(struct auth *a, struct http_client *c, const struct auth_target *t, struct auth_headers *out,
			char *err, size_t errlen)
{
	(void)t;
	struct oauth2 *o = a->priv;
	if (!auth_token_valid(&o->token, util_now())) {
		char *secret = NULL;
		size_t slen = 0;
		if (secret_read(o->secret_ref, &secret, &slen, err, errlen) < 0)
			return -1;
		auth_secret_remember(a, secret);
		char *id = http_urlencode(o->client_id), *sc = http_urlencode(o->scope), *sec = http_urlencode(secret);
		char *form = NULL;
		int ok = id && sc && sec &&
			 asprintf(&form, "client_id=%s&scope=%s&client_secret=%s&grant_type=client_credentials", id, sc,
				  sec) >= 0;
		util_secret_free(secret, slen);
		if (sec)
			util_secret_free(sec, strlen(sec));
		free(id);
		free(sc);
		if (!ok) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		int r = auth_fetch_token(a, c, o->token_url, form, &o->token, err, errlen);
		util_secret_free(form, strlen(form));
		if (r < 0)
			return -1;
	}
	return auth_headers_add_bearer(out, o->token.value, err, errlen);
}

static void oauth2_invalidate(struct auth *a)
{
	struct oauth2 *o = a->priv;
	auth_token_clear(&o->token);
}

static void oauth2_free(struct auth *a)
{
	struct oauth2 *o = a->priv;
	if (o == NULL)
		return;
	auth_token_clear(&o->token);
	free(o->token_url);
	free(o->client_id);
	free(o->secret_ref);
	free(o->scope);
	free(o);
}

const struct auth_ops auth_oauth2_ops = {
	.name = "oauth2",
	.apply = oauth2_apply,
	.invalidate = oauth2_invalidate,
	.free = oauth2_free,
};

int auth_oauth2_new(const struct config_section *s, const char *const *defaults, struct auth **out,
		    struct config_errors *errs)
{
	const char *tenant = auth_key(s, defaults, "tenant");
	const char *client_id = auth_key(s, defaults, "client_id");
	const char *secret = auth_key(s, defaults, "client_secret_file");
	const char *scope = auth_key(s, defaults, "scope");
	const char *token_url = auth_key(s, defaults, "token_url");
	const char *missing = tenant == NULL && token_url == NULL ? "tenant"
			      : client_id == NULL		  ? "client_id"
			      : secret == NULL			  ? "client_secret_file"
			      : scope == NULL			  ? "scope"
								  : NULL;
	if (missing != NULL) {
		config_errors_add(errs, s->file, s->line, "[source %s] key '%s': missing required key", s->name, missing);
		return -1;
	}
	struct auth *a = calloc(1, sizeof(*a));
	struct oauth2 *o = calloc(1, sizeof(*o));
	if (a == NULL || o == NULL) {
		free(a);
		free(o);
		config_errors_add(errs, s->file, s->line, "out of memory");
		return -1;
	}
	a->ops = &auth_oauth2_ops;
	a->priv = o;
	if (token_url != NULL)
		o->token_url = strdup(token_url);
	else if (asprintf(&o->token_url, ENTRA_TOKEN_URL, tenant) < 0)
		o->token_url = NULL;
	o->client_id = strdup(client_id);
	o->secret_ref = strdup(secret);
	o->scope = strdup(scope);
	if (o->token_url == NULL || o->client_id == NULL || o->secret_ref == NULL || o->scope == NULL) {
		auth_free(a);
		config_errors_add(errs, s->file, s->line, "out of memory");
		return -1;
	}
	*out = a;
	return 0;
}
