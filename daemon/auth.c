/*
 * auth.c: the provider-independent part of authentication: the factory
 * that makes a provider from a [source] section, header lists, and the
 * scrubbing of secret values from text.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "auth.h"
#include "util.h"

const char *auth_key(const struct config_section *s, const char *const *defaults, const char *key)
{
	const char *v = config_get(s, key);
	if (v != NULL)
		return v;
	size_t kl = strlen(key);
	for (size_t i = 0; defaults && defaults[i]; i++)
		if (strncmp(defaults[i], key, kl) == 0 && defaults[i][kl] == '=')
			return defaults[i] + kl + 1;
	return NULL;
}

int auth_from_config(const char *kind, const struct config_section *s, const char *const *defaults,
		     struct auth **out, struct config_errors *errs)
{
	*out = NULL;
	if (strcmp(kind, "none") == 0)
		return 0;
	if (strcmp(kind, "bearer") == 0)
		return auth_bearer_new(s, defaults, out, errs);
	if (strcmp(kind, "aws-sigv4") == 0)
		return auth_sigv4_new(s, defaults, out, errs);
	if (strcmp(kind, "oauth2") == 0)
		return auth_oauth2_new(s, defaults, out, errs);
	if (strcmp(kind, "google-jwt") == 0)
		return auth_google_new(s, defaults, out, errs);
	const struct config_entry *e = config_entry(s, "auth");
	config_errors_add(errs, e ? e->file : s->file, e ? e->line : s->line,
			  "[source %s] key 'auth': unknown auth provider '%s' (none, bearer, aws-sigv4, oauth2, google-jwt)",
			  s->name, kind);
	return -1;
}

int auth_apply(struct auth *a, struct http_client *c, const struct auth_target *t, struct auth_headers *out, char *err,
	       size_t errlen)
{
	return a->ops->apply(a, c, t, out, err, errlen);
}

int auth_invalidate(struct auth *a)
{
	if (a == NULL || a->ops->invalidate == NULL)
		return 0;
	a->ops->invalidate(a);
	return 1;
}

void auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	if (a->ops->free)
		a->ops->free(a);
	auth_secret_forget_all(a);
	free(a);
}

int auth_headers_add(struct auth_headers *h, const char *name, const char *value)
{
	if (h->n >= AUTH_MAX_HEADERS)
		return -ENOSPC;
	h->h[h->n].name = strdup(name);
	h->h[h->n].value = strdup(value);
	if (h->h[h->n].name == NULL || h->h[h->n].value == NULL) {
		free(h->h[h->n].name);
		free(h->h[h->n].value);
		return -ENOMEM;
	}
	h->n++;
	return 0;
}

int auth_headers_add_bearer(struct auth_headers *h, const char *token, char *err, size_t errlen)
{
	char *value = NULL;
	int r = -1;
	if (asprintf(&value, "Bearer %s", token) >= 0) {
		r = auth_headers_add(h, "Authorization", value) < 0 ? -1 : 0;
		util_secret_free(value, strlen(value));
	}
	if (r < 0)
		snprintf(err, errlen, "out of memory");
	return r;
}

void auth_headers_free(struct auth_headers *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->h[i].name);
		util_secret_free(h->h[i].value, strlen(h->h[i].value));
	}
	h->n = 0;
}

void auth_secret_remember(struct auth *a, const char *secret)
{
	if (secret == NULL || strlen(secret) < 4)
		return;
	for (size_t i = 0; i < a->n_secrets; i++)
		if (strcmp(a->secrets[i], secret) == 0)
			return;
	char **p = realloc(a->secrets, (a->n_secrets + 1) * sizeof(*p));
	if (p == NULL)
		return;
	a->secrets = p;
	a->secrets[a->n_secrets] = strdup(secret);
	if (a->secrets[a->n_secrets] != NULL)
		a->n_secrets++;
}

void auth_secret_forget_all(struct auth *a)
{
	for (size_t i = 0; i < a->n_secrets; i++)
		util_secret_free(a->secrets[i], strlen(a->secrets[i]));
	free(a->secrets);
	a->secrets = NULL;
	a->n_secrets = 0;
}

void auth_scrub(const struct auth *a, char *text)
{
	if (a == NULL || text == NULL)
		return;
	for (size_t i = 0; i < a->n_secrets; i++) {
		size_t l = strlen(a->secrets[i]);
		for (char *p = strstr(text, a->secrets[i]); p; p = strstr(p + l, a->secrets[i]))
			memset(p, '*', l);
	}
}

/* ---- token providers ------------------------------------------------------------ */

int auth_token_valid(const struct auth_token *t, time_t now)
{
	return t->value != NULL && now < t->refresh;
}

void auth_token_clear(struct auth_token *t)
{
	if (t->value)
		util_secret_free(t->value, strlen(t->value));
	t->value = NULL;
	t->expires = t->refresh = 0;
}

int auth_parse_token_response(const char *body, size_t len, char **token, long *expires_in, char *err,
			      size_t errlen)
{
	json_error_t jerr;
	json_t *j = json_loadb(body, len, 0, &jerr);
	int r = -1;
	*token = NULL;
	if (!json_is_object(j)) {
		snprintf(err, errlen, "the token endpoint did not answer with a JSON object");
		goto out;
	}
	json_t *tok = json_object_get(j, "access_token");
	json_t *exp = json_object_get(j, "expires_in");
	const char *type = json_string_value(json_object_get(j, "token_type"));
	if (!json_is_string(tok) || json_string_length(tok) == 0 || json_string_length(tok) > 16384) {
		snprintf(err, errlen, "the token response has no usable access_token");
		goto out;
	}
	if (type != NULL && strcasecmp(type, "Bearer") != 0) {
		snprintf(err, errlen, "the token response has token_type '%.32s', not Bearer", type);
		goto out;
	}
	const char *v = json_string_value(tok);
	for (const char *p = v; *p; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			snprintf(err, errlen, "the access_token contains characters a header cannot carry");
			goto out;
		}
	}
	/* expires_in is a number (Microsoft also sends it as a string). */
	long e = 3600;
	if (json_is_integer(exp))
		e = (long)json_integer_value(exp);
	else if (json_is_string(exp))
		e = strtol(json_string_value(exp), NULL, 10);
	else if (exp != NULL)
		e = -1;
	if (e <= 0 || e > 86400 * 366) {
		snprintf(err, errlen, "the token response has an unusable expires_in");
		goto out;
	}
	*token = strdup(v);
	if (*token == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	*expires_in = e;
	r = 0;
out:
	json_decref(j);
	return r;
}

int auth_fetch_token(struct auth *a, struct http_client *c, const char *url, const char *form, struct auth_token *t,
		     char *err, size_t errlen)
{
	struct http_header hdr = { "Content-Type", "application/x-www-form-urlencoded" };
	struct http_request req = { "POST", url, &hdr, 1, form, strlen(form), NULL };
	struct http_response resp;
	char why[768];
	auth_token_clear(t);
	if (http_fetch(c, &req, &resp, why, sizeof(why)) < 0) {
		auth_scrub(a, why);
		snprintf(err, errlen, "token request failed: %s", why);
		http_response_free(&resp);
		return -1;
	}
	char *token = NULL;
	long expires_in = 0;
	int r = auth_parse_token_response(resp.body, resp.len, &token, &expires_in, why, sizeof(why));
	http_response_free(&resp);
	if (r < 0) {
		snprintf(err, errlen, "token endpoint %s: %s", url, why);
		return -1;
	}
	time_t now = util_now();
	long margin = expires_in / 5 < 300 ? expires_in / 5 : 300;
	t->value = token;
	t->expires = now + expires_in;
	t->refresh = now + expires_in - margin;
	auth_secret_remember(a, token);
	return 0;
}
