/*
 * test_faults.c: ismsd stopped in the middle of a multi-page collection.
 * SIGTERM: the run is rolled back and recorded as interrupted, the daemon
 * exits cleanly.  SIGKILL: nothing of the run is visible, and the next
 * start marks it interrupted and discards what it had staged.
 */
#include "autoconfig.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <sqlite3.h>

#include "fakehelp.h"
#include "testhelp.h"
#include "util.h"

static char *pki;

static int setup(void)
{
	pki = fake_pki();
	return pki ? 0 : -1;
}

static int teardown(void)
{
	th_rmrf(pki);
	free(pki);
	return 0;
}

static long long scalar(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	long long v = -1;
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static pid_t start(const char *conf, const char *log)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		const char *wrapper = getenv("TEST_WRAPPER");
		char *args[48];
		size_t n = 0;
		char *w = wrapper && *wrapper ? strdup(wrapper) : NULL;
		for (char *save = NULL, *t = w ? strtok_r(w, " ", &save) : NULL; t && n < 40; t = strtok_r(NULL, " ", &save))
			args[n++] = t;
		args[n++] = (char *)th_bin("ISMSD");
		args[n++] = "--foreground";
		args[n++] = "--config";
		args[n++] = (char *)conf;
		args[n] = NULL;
		execvp(args[0], args);
		_exit(127);
	}
	return pid;
}

/* Waits until the fake has answered `pages` API requests. */
static int wait_requests(struct fake *f, const char *prefix, int pages)
{
	for (int i = 0; i < 400; i++) {
		if (fake_requests(f, prefix, -1) >= pages)
			return 0;
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return -1;
}

static char *setup_daemon(struct fake *f, char **db)
{
	char *dir = th_mkdtemp();
	free(th_write(dir, "token", "test-token-fleet\n", 0600));
	char *text = NULL;
	char *ca = th_path(pki, "ca.pem");
	CU_ASSERT(asprintf(&text,
			   "[daemon]\nstate_dir = %s/state\nshutdown_timeout = 20s\n"
			   "[source fleet]\ntype = fleet-hosts\nendpoint = %s\nca_file = %s\ntoken_file = %s/token\n"
			   "per_page = 50\nschedule = daily\nstall_timeout = 600\nmax_attempts = 1\nrate_limit = 1\n",
			   dir, f->base, ca, dir) > 0);
	char *conf = th_write(dir, "ismsd.conf", text, 0644);
	free(text);
	free(ca);
	CU_ASSERT(asprintf(db, "%s/state/evidence.db", dir) > 0);
	free(conf);
	return dir;
}

static void test_sigterm_mid_run(void)
{
	struct fake f;
	CU_ASSERT_EQUAL_FATAL(fake_start(&f, pki, "fleet", "server.pem", NULL), 0);
	char *db = NULL;
	char *dir = setup_daemon(&f, &db);
	char *conf = th_path(dir, "ismsd.conf"), *log = th_path(dir, "ismsd.log");
	/* the first page answers, then every request stalls: the run is in
	 * flight (rate_limit leaves a second between requests to arrange it) */
	pid_t pid = start(conf, log);
	CU_ASSERT_EQUAL(wait_requests(&f, "/api/v1/fleet/hosts", 1), 0);
	CU_ASSERT_EQUAL(fake_faults(&f, pki, "{\"faults\":[{\"type\":\"stall\",\"count\":-1,\"seconds\":3600}]}"), 0);
	CU_ASSERT_EQUAL(wait_requests(&f, "/api/v1/fleet/hosts", 2), 0);
	struct timespec ts = { 0, 300 * 1000000L };
	nanosleep(&ts, NULL);
	CU_ASSERT_EQUAL(scalar(db, "SELECT count(*) FROM runs WHERE outcome = 'running'"), 1);
	CU_ASSERT_EQUAL(scalar(db, "SELECT count(*) FROM evidence e JOIN runs r ON r.id = e.run_id"
				   " WHERE r.outcome = 'success'"),
			0);
	kill(pid, SIGTERM);
	int st = 0;
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* rolled back: nothing staged remains, the run says why */
	CU_ASSERT_EQUAL(scalar(db, "SELECT count(*) FROM evidence"), 0);
	CU_ASSERT_EQUAL(scalar(db, "SELECT count(*) FROM runs WHERE outcome = 'interrupted' AND error LIKE '%cancelled%'"),
			1);
	char *text = th_read(log);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "run 1 interrupted"));
	free(text);
	fake_stop(&f);
	th_rmrf(dir);
	free(dir);
	free(db);
	free(conf);
	free(log);
}

static void test_sigkill_mid_run(void)
{
	struct fake f;
	CU_ASSERT_EQUAL_FATAL(fake_start(&f, pki, "fleet", "server.pem", NULL), 0);
	char *db = NULL;
	char *dir = setup_daemon(&f, &db);
	char *conf = th_path(dir, "ismsd.conf"), *log = th_path(dir, "ismsd.log");
	pid_t pid = start(conf, log);
	CU_ASSERT_EQUAL(wait_requests(&f, "/api/v1/fleet/hosts", 1), 0);
	CU_ASSERT_EQUAL(fake_faults(&f, pki, "{\"faults\":[{\"type\":\"stall\",\"count\":-1,\"seconds\":3600}]}"), 0);
	CU_ASSERT_EQUAL(wait_requests(&f, "/api/v1/fleet/hosts", 2), 0);
	struct timespec ts = { 0, 300 * 1000000L };
	nanosleep(&ts, NULL);
	/* the first page is staged, but no reader sees it */
	CU_ASSERT(scalar(db, "SELECT count(*) FROM evidence") > 0);
	CU_ASSERT_EQUAL(scalar(db, "SELECT count(*) FROM evidence e JOIN runs r ON r.id = e.run_id"
				   " WHERE r.outcome = 'success'"),
			0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CU_ASSERT_EQUAL(scalar(db, "SELECT count(*) FROM runs WHERE outcome = 'running'"), 1);

	/* restart against a healthy fake: the old run is marked interrupted and
	 * leaves no trace; the new one collects everything */
	CU_ASSERT_EQUAL(fake_control(&f, pki, "/__fake/faults", "{\"faults\":[]}"), 0);
	const char *argv[] = { th_bin("ISMSD"), "--once", "--config", conf, NULL };
	struct th_proc p;
	CU_ASSERT_EQUAL_FATAL(th_run(argv, NULL, &p), 0);
	CU_ASSERT_EQUAL(p.status, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.err, "1 run(s) were interrupted by an earlier stop"));
	th_proc_free(&p);
	CU_ASSERT_EQUAL(scalar(db, "SELECT count(*) FROM runs WHERE id = 1 AND outcome = 'interrupted'"), 1);
	CU_ASSERT_EQUAL(scalar(db, "SELECT count(*) FROM evidence WHERE run_id = 1"), 0);
	CU_ASSERT_EQUAL(scalar(db, "SELECT count(*) FROM evidence WHERE run_id = 2 AND kind = 'patch.host'"), 250);
	fake_stop(&f);
	th_rmrf(dir);
	free(dir);
	free(db);
	free(conf);
	free(log);
}

/* A store at its size cap: the run fails with a clear error, nothing of it
 * stays, the store is sound, and a later run succeeds once there is room.
 * A run with more facts than max_facts fails the same way. */
static void test_store_full_and_caps(void)
{
	struct fake f;
	/* the fake's clock is the real one: ismsd asks for the last 2 days of
	 * wall-clock time, and the 4000 events must all fall inside them */
	char now[UTIL_ISO_TIME_LEN];
	util_time_iso(util_now(), now);
	const char *args[] = { "--events", "4000", "--now", now, NULL };
	CU_ASSERT_EQUAL_FATAL(fake_start(&f, pki, "aws-cloudtrail", "server.pem", args), 0);
	char *dir = th_mkdtemp();
	free(th_write(dir, "creds",
		      "[default]\naws_access_key_id = AKIDEXAMPLE\n"
		      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n",
		      0600));
	char *ca = th_path(pki, "ca.pem");
	const char *caps[] = { "max_store_size = 1M\n", "", "" };
	const char *facts[] = { "", "max_facts = 1000\n", "" };
	const char *want[] = { "the evidence store is full", "more than max_facts (1000) facts", NULL };
	char *db = NULL;
	CU_ASSERT(asprintf(&db, "%s/state/evidence.db", dir) > 0);
	for (int i = 0; i < 3; i++) {
		char *text = NULL;
		CU_ASSERT(asprintf(&text,
				   "[daemon]\nstate_dir = %s/state\n%s"
				   "[source ct]\ntype = aws-cloudtrail\nendpoint = %s\nca_file = %s\nregion = us-east-1\n"
				   "credentials_file = %s/creds\nrate_limit = 1000\nlookback = 2d\n%s",
				   dir, caps[i], f.base, ca, dir, facts[i]) > 0);
		char *conf = th_write(dir, "ismsd.conf", text, 0644);
		const char *argv[] = { th_bin("ISMSD"), "--once", "--config", conf, NULL };
		struct th_proc p;
		CU_ASSERT_EQUAL_FATAL(th_run(argv, NULL, &p), 0);
		if (want[i] != NULL) {
			CU_ASSERT_EQUAL(p.status, 2);
			CU_ASSERT_PTR_NOT_NULL(strstr(p.err, want[i]));
			CU_ASSERT_EQUAL(scalar(db, "SELECT count(*) FROM evidence"), 0);
			CU_ASSERT_EQUAL(scalar(db, "PRAGMA quick_check") == -1, 0);
		} else {
			if (p.status != 0)
				fprintf(stderr, "%s\n", p.err);
			CU_ASSERT_EQUAL(p.status, 0);
			CU_ASSERT_EQUAL(scalar(db, "SELECT count(*) FROM evidence WHERE kind = 'audit.event'"), 4000);
		}
		th_proc_free(&p);
		free(conf);
		free(text);
	}
	CU_ASSERT_EQUAL(scalar(db, "SELECT count(*) FROM runs WHERE outcome = 'failed'"), 2);
	CU_ASSERT_EQUAL(scalar(db, "SELECT count(*) FROM runs WHERE outcome = 'success'"), 1);
	fake_stop(&f);
	th_rmrf(dir);
	free(dir);
	free(db);
	free(ca);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "SIGTERM in the middle of a run rolls it back", test_sigterm_mid_run },
		{ "SIGKILL in the middle of a run, then a restart", test_sigkill_mid_run },
		{ "a full store and max_facts fail a run cleanly", test_store_full_and_caps },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "faults", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
