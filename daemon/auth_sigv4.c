/*
 * auth_sigv4.c: AWS Signature Version 4 for the JSON 1.1 (POST with
 * X-Amz-Target) and REST-JSON (GET with a query string) protocols.  Keys
 * come from a credentials file in the AWS INI format (profile selectable)
 * or, when no file is configured, from $AWS_ACCESS_KEY_ID,
 * $AWS_SECRET_ACCESS_KEY and $AWS_SESSION_TOKEN.  The file is read for each
 * request, so rotated keys are picked up without a reload.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "auth.h"
#include "secret.h"
#include "sigv4.h"
#include "util.h"

struct sigv4_auth {
	char *region;
	char *service;
	char *credentials_ref; /* NULL: the environment */
	char *profile;
};

/* Splits url into the Host header curl will send, the path and the query. */
static int split_url(const char *url, char **host, char **path, char **query)
{
	CURLU *u = curl_url();
	char *h = NULL, *port = NULL, *p = NULL, *q = NULL;
	int r = -EINVAL;
	*host = *path = *query = NULL;
	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &p, 0) != CURLUE_OK)
		goto out;
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	curl_url_get(u, CURLUPART_QUERY, &q, 0);
	if (port != NULL && strcmp(port, "443") != 0)
		r = asprintf(host, "%s:%s", h, port) < 0 ? -ENOMEM : 0;
	else
		r = (*host = strdup(h)) ? 0 : -ENOMEM;
	if (r == 0) {
		*path = strdup(p);
		*query = q ? strdup(q) : NULL;
		if (*path == NULL || (q && *query == NULL))
			r = -ENOMEM;
	}
out:
	curl_free(h);
	curl_free(port);
	curl_free(p);
	curl_free(q);
	curl_url_cleanup(u);
	return r;
}

/* Loads the keys.  *profile owns them; cred is a view of it. */
static int load_keys(struct sigv4_auth *s, struct sigv4_profile *profile, struct sigv4_credentials *cred, char *err,
		     size_t errlen)
{
	memset(profile, 0, sizeof(*profile));
	if (s->credentials_ref == NULL) {
		const char *ak = getenv("AWS_ACCESS_KEY_ID");
		const char *sk = getenv("AWS_SECRET_ACCESS_KEY");
		if (ak == NULL || sk == NULL || !*ak || !*sk) {
			snprintf(err, errlen, "no AWS credentials: set credentials_file, or $AWS_ACCESS_KEY_ID and "
					      "$AWS_SECRET_ACCESS_KEY");
			return -1;
		}
		const char *tok = getenv("AWS_SESSION_TOKEN");
		cred->access_key_id = ak;
		cred->secret_access_key = sk;
		cred->session_token = tok && *tok ? tok : NULL;
		return 0;
	}
	char *text = NULL;
	size_t len = 0;
	if (secret_read(s->credentials_ref, &text, &len, err, errlen) < 0)
		return -1;
	char perr[256];
	int r = sigv4_profile_parse(text, s->profile, profile, perr, sizeof(perr));
	util_secret_free(text, len);
	if (r < 0) {
		snprintf(err, errlen, "AWS credentials file %s: %s", s->credentials_ref,
			 r == -ENOENT ? "no such profile" : perr);
		return -1;
	}
	*cred = sigv4_profile_credentials(profile);
	return 0;
}

static int sigv4_apply(struct auth *a, struct http_client *c, const struct auth_target *t, struct auth_headers *out,
		       char *err, size_t errlen)
{
	(void)c;
	struct sigv4_auth *s = a->priv;
	char *host = NULL, *path = NULL, *query = NULL;
	struct sigv4_profile profile;
	struct sigv4_credentials cred;
	struct sigv4_signature sig = { 0 };
	struct sigv4_header *hs = NULL;
	int r = -1;
	memset(&profile, 0, sizeof(profile));
	if (split_url(t->url, &host, &path, &query) < 0) {
		snprintf(err, errlen, "cannot parse the request URL for signing");
		goto out;
	}
	if (load_keys(s, &profile, &cred, err, errlen) < 0)
		goto out;
	auth_secret_remember(a, cred.secret_access_key);
	if (cred.session_token)
		auth_secret_remember(a, cred.session_token);
	hs = calloc(t->n_headers + 1, sizeof(*hs));
	if (hs == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	hs[0].name = "Host";
	hs[0].value = host;
	size_t n = 1;
	for (size_t i = 0; i < t->n_headers; i++) {
		/* curl sends these itself, or we do not want them signed */
		if (strcasecmp(t->headers[i].name, "Accept") == 0 || strcasecmp(t->headers[i].name, "User-Agent") == 0)
			continue;
		hs[n].name = t->headers[i].name;
		hs[n].value = t->headers[i].value;
		n++;
	}
	struct sigv4_request req = { t->method, path, query, hs, n, t->body, t->body_len };
	struct sigv4_scope scope = { s->region, s->service, util_now(), 1, 0 };
	int sr = sigv4_sign(&req, &cred, &scope, &sig);
	if (sr < 0) {
		snprintf(err, errlen, "cannot sign the request (SigV4): %s", strerror(-sr));
		goto out;
	}
	if (auth_headers_add(out, "X-Amz-Date", sig.amz_date) < 0 ||
	    (cred.session_token && auth_headers_add(out, "X-Amz-Security-Token", cred.session_token) < 0) ||
	    auth_headers_add(out, "Authorization", sig.authorization) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r = 0;
out:
	sigv4_signature_free(&sig);
	sigv4_profile_free(&profile);
	free(hs);
	free(host);
	free(path);
	free(query);
	return r;
}

static void sigv4_auth_free(struct auth *a)
{
	struct sigv4_auth *s = a->priv;
	if (s == NULL)
		return;
	free(s->region);
	free(s->service);
	free(s->credentials_ref);
	free(s->profile);
	free(s);
}

const struct auth_ops auth_sigv4_ops = {
	.name = "aws-sigv4",
	.apply = sigv4_apply,
	.invalidate = NULL,
	.free = sigv4_auth_free,
};

int auth_sigv4_new(const struct config_section *s, const char *const *defaults, struct auth **out,
		   struct config_errors *errs)
{
	const char *region = auth_key(s, defaults, "region");
	const char *service = auth_key(s, defaults, "service");
	if (region == NULL || service == NULL) {
		config_errors_add(errs, s->file, s->line, "[source %s] key '%s': missing required key", s->name,
				  region == NULL ? "region" : "service");
		return -1;
	}
	struct auth *a = calloc(1, sizeof(*a));
	struct sigv4_auth *sa = calloc(1, sizeof(*sa));
	if (a == NULL || sa == NULL) {
		free(a);
		free(sa);
		config_errors_add(errs, s->file, s->line, "out of memory");
		return -1;
	}
	a->ops = &auth_sigv4_ops;
	a->priv = sa;
	const char *cf = auth_key(s, defaults, "credentials_file");
	const char *profile = auth_key(s, defaults, "profile");
	sa->region = strdup(region);
	sa->service = strdup(service);
	sa->credentials_ref = cf ? strdup(cf) : NULL;
	sa->profile = strdup(profile ? profile : "default");
	if (sa->region == NULL || sa->service == NULL || sa->profile == NULL || (cf && sa->credentials_ref == NULL)) {
		auth_free(a);
		config_errors_add(errs, s->file, s->line, "out of memory");
		return -1;
	}
	*out = a;
	return 0;
}
