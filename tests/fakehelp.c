/*
 * fakehelp.c: the vendor fakes as seen from the C test suites.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fakehelp.h"
#include "http.h"
#include "testhelp.h"

char *fake_pki(void)
{
	char *dir = th_mkdtemp();
	if (dir == NULL)
		return NULL;
	char *script = th_path(th_srcdir(), "fakes/mkcerts.sh");
	const char *argv[] = { "sh", script, dir, NULL };
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execvp(argv[0], (char **)argv);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	free(script);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		th_rmrf(dir);
		free(dir);
		return NULL;
	}
	return dir;
}

char *fake_pki_file(const char *pki, const char *name)
{
	return th_path(pki, name);
}

int fake_start(struct fake *f, const char *pki, const char *vendor, const char *cert, const char *const *extra)
{
	memset(f, 0, sizeof(*f));
	char *scratch = th_mkdtemp();
	if (scratch == NULL)
		return -1;
	f->log = th_path(scratch, "requests.log");
	f->portfile = th_path(scratch, "port");
	free(scratch);
	char *script = th_path(th_srcdir(), "fakes/fake.py");
	char *certpath = th_path(pki, cert);
	char keyname[256];
	snprintf(keyname, sizeof(keyname), "%.*s.key", (int)(strlen(cert) - 4), cert);
	char *keypath = th_path(pki, keyname);
	char *sapub = th_path(pki, "sa.pub.pem");
	const char *argv[64];
	size_t n = 0;
	argv[n++] = "python3";
	argv[n++] = script;
	argv[n++] = "--vendor";
	argv[n++] = vendor;
	argv[n++] = "--cert";
	argv[n++] = certpath;
	argv[n++] = "--key";
	argv[n++] = keypath;
	argv[n++] = "--port-file";
	argv[n++] = f->portfile;
	argv[n++] = "--log";
	argv[n++] = f->log;
	if (strcmp(vendor, "gcp") == 0) {
		argv[n++] = "--sa-public-key";
		argv[n++] = sapub;
	}
	for (size_t i = 0; extra && extra[i] && n < 62; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	f->pid = fork();
	if (f->pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		if (getenv("FAKE_VERBOSE") == NULL)
			dup2(null, 2);
		execvp(argv[0], (char **)argv);
		_exit(127);
	}
	free(script);
	free(certpath);
	free(keypath);
	free(sapub);
	/* Wait for the port file (the fake writes it once it listens). */
	for (int i = 0; i < 300; i++) {
		char *txt = th_read(f->portfile);
		if (txt != NULL && atoi(txt) > 0) {
			f->port = atoi(txt);
			free(txt);
			snprintf(f->base, sizeof(f->base), "https://127.0.0.1:%d", f->port);
			return 0;
		}
		free(txt);
		if (waitpid(f->pid, NULL, WNOHANG) == f->pid) {
			f->pid = 0;
			return -1;
		}
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
	fake_stop(f);
	return -1;
}

void fake_stop(struct fake *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
	}
	f->pid = 0;
	if (f->log) {
		char *dir = strdup(f->log);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		th_rmrf(dir);
		free(dir);
	}
	free(f->log);
	free(f->portfile);
	f->log = f->portfile = NULL;
}

int fake_faults(struct fake *f, const char *pki, const char *json)
{
	return fake_control(f, pki, "/__fake/faults", json);
}

int fake_control(struct fake *f, const char *pki, const char *path, const char *json)
{
	struct http_options o = { 0 };
	o.ca_file = th_path(pki, "ca.pem");
	o.connect_timeout_s = 5;
	o.timeout_s = 10;
	o.stall_timeout_s = 10;
	o.max_body = 1 << 20;
	o.max_attempts = 1;
	o.retry_budget_s = 10;
	o.retry_base_ms = 100;
	char err[512];
	struct http_client *c = http_client_new(&o, "fake-control", NULL, err, sizeof(err));
	char url[128];
	snprintf(url, sizeof(url), "%s%s", f->base, path);
	struct http_header h = { "Content-Type", "application/json" };
	struct http_request req = { "POST", url, &h, 1, json, strlen(json), NULL };
	struct http_response resp;
	int r = c ? http_fetch(c, &req, &resp, err, sizeof(err)) : -1;
	if (r < 0)
		fprintf(stderr, "fake_faults: %s\n", err);
	http_response_free(&resp);
	http_client_free(c);
	free(o.ca_file);
	return r;
}

static int count_requests(const struct fake *f, const char *path_prefix)
{
	char *txt = th_read(f->log);
	if (txt == NULL)
		return 0;
	int n = 0;
	char *save = NULL;
	for (char *line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t err;
		json_t *j = json_loads(line, 0, &err);
		const char *p = json_string_value(json_object_get(j, "path"));
		if (p && strncmp(p, path_prefix, strlen(path_prefix)) == 0 && strncmp(p, "/__fake", 7) != 0)
			n++;
		json_decref(j);
	}
	free(txt);
	return n;
}

int fake_requests(const struct fake *f, const char *path_prefix, int want)
{
	int n = count_requests(f, path_prefix);
	for (int i = 0; i < 40 && want >= 0 && n != want; i++) {
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
		n = count_requests(f, path_prefix);
	}
	return n;
}
