/*
 * fakehelp.h: starting the local HTTPS vendor fakes (tests/fakes/fake.py)
 * from CUnit suites: a test PKI made at test time, one fake process per
 * vendor on an ephemeral port of 127.0.0.1, runtime fault injection and the
 * fake's request log.
 */
#ifndef ISMSD_FAKEHELP_H
#define ISMSD_FAKEHELP_H

#include <sys/types.h>

struct fake {
	pid_t pid;
	int port;
	char base[64]; /* "https://127.0.0.1:PORT" */
	char *log;     /* the request log (JSON lines) */
	char *portfile;
};

/* Makes the test PKI (tests/fakes/mkcerts.sh) in a new directory; returns
 * it (malloc'd) or NULL. */
char *fake_pki(void);

/* "pki/name", malloc'd. */
char *fake_pki_file(const char *pki, const char *name);

/*
 * Starts fake.py --vendor vendor with the server certificate cert (a file
 * name inside pki, e.g. "server.pem" with its key "server.key") and the
 * extra arguments (NULL-terminated, may be NULL).  Returns 0 once it
 * listens, -1 otherwise.
 */
int fake_start(struct fake *f, const char *pki, const char *vendor, const char *cert, const char *const *extra);
void fake_stop(struct fake *f);

/* POSTs json to the fake's control endpoint path (e.g. "/__fake/config").
 * Returns 0 on 2xx. */
int fake_control(struct fake *f, const char *pki, const char *path, const char *json);
/* POSTs a JSON fault description to /__fake/faults.  Returns 0 on 2xx. */
int fake_faults(struct fake *f, const char *pki, const char *json);

/* Counts the request-log lines whose "path" starts with path_prefix.  The
 * fake may write a line just after it answers, so this waits up to two
 * seconds for the count to reach want (pass -1 not to wait). */
int fake_requests(const struct fake *f, const char *path_prefix, int want);

#endif
