/*
 * auth_bearer.c: a static bearer token or API key from a secret file or
 * credential, sent as "Authorization: Bearer <token>" (or another header
 * and scheme).  The file is read on every request, so a rotated token is
 * picked up without a reload.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "secret.h"
#include "util.h"

struct bearer {
	char *ref;
	char *header;
	char *scheme;
};

static int bearer_apply(struct auth *a, struct http_client *c, const struct auth_target *t, struct auth_headers *out,
			char *err, size_t errlen)
{
	(void)c;
	(void)t;
	struct bearer *b = a->priv;
	char *token = NULL;
	size_t len = 0;
	if (secret_read(b->ref, &token, &len, err, errlen) < 0)
		return -1;
	auth_secret_remember(a, token);
	char *value = NULL;
	int r = -1;
	int n = b->scheme[0] ? asprintf(&value, "%s %s", b->scheme, token) : asprintf(&value, "%s", token);
	if (n < 0)
		value = NULL;
	else if (auth_headers_add(out, b->header, value) == 0)
		r = 0;
	if (r < 0)
		snprintf(err, errlen, "out of memory");
	if (value)
		util_secret_free(value, strlen(value));
	util_secret_free(token, len);
	return r;
}

static void bearer_free(struct auth *a)
{
	struct bearer *b = a->priv;
	if (b == NULL)
		return;
	free(b->ref);
	free(b->header);
	free(b->scheme);
	free(b);
}

const struct auth_ops auth_bearer_ops = {
	.name = "bearer",
	.apply = bearer_apply,
	.invalidate = NULL,
	.free = bearer_free,
};

int auth_bearer_new(const struct config_section *s, const char *const *defaults, struct auth **out,
		    struct config_errors *errs)
{
	const char *ref = auth_key(s, defaults, "token_file");
	if (ref == NULL) {
		config_errors_add(errs, s->file, s->line, "[source %s] key 'token_file': missing required key", s->name);
		return -1;
	}
	struct auth *a = calloc(1, sizeof(*a));
	struct bearer *b = calloc(1, sizeof(*b));
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		config_errors_add(errs, s->file, s->line, "out of memory");
		return -1;
	}
	a->ops = &auth_bearer_ops;
	a->priv = b;
	b->ref = strdup(ref);
	b->header = strdup(auth_key(s, defaults, "auth_header") ? auth_key(s, defaults, "auth_header") : "Authorization");
	const char *scheme = auth_key(s, defaults, "auth_scheme");
	b->scheme = strdup(scheme ? (strcmp(scheme, "none") == 0 ? "" : scheme) : "Bearer");
	if (b->ref == NULL || b->header == NULL || b->scheme == NULL) {
		auth_free(a);
		config_errors_add(errs, s->file, s->line, "out of memory");
		return -1;
	}
	*out = a;
	return 0;
}
