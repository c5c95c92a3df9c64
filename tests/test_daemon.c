/*
 * test_daemon.c: ismsd under a fake service manager.  The test binds a unix
 * datagram socket, starts `ismsd --foreground` with NOTIFY_SOCKET pointing at
 * it, and checks the sd_notify protocol: READY=1, WATCHDOG=1 pings,
 * RELOADING=1 with MONOTONIC_USEC on SIGHUP (a good and a bad new config),
 * and STOPPING=1 on SIGTERM with a clean exit.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "testhelp.h"

#define WAIT_MS 15000 /* generous: the daemon may run under valgrind */

static char *dir;
static char *conf;
static char *logpath;
static int sock = -1;
static pid_t pid = -1;

static char *good_config(void)
{
	char *text = NULL;
	char *state = th_path(dir, "state");
	if (asprintf(&text, "[daemon]\nstate_dir = %s\nlog_level = info\n\n[source ismsd]\ntype = self\n"
			    "schedule = daily\n",
		     state) < 0)
		text = NULL;
	free(state);
	return text;
}

static int setup(void)
{
	dir = th_mkdtemp();
	if (dir == NULL)
		return -1;
	char *text = good_config();
	conf = th_write(dir, "ismsd.conf", text, 0644);
	free(text);
	logpath = th_path(dir, "ismsd.log");

	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return conf ? 0 : -1;
}

static int teardown(void)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (sock >= 0)
		close(sock);
	th_rmrf(dir);
	free(dir);
	free(conf);
	free(logpath);
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Waits for a notify datagram containing want; returns the datagram
 * (static buffer) or NULL on timeout.  Datagrams that do not match are
 * counted into *others when given (WATCHDOG=1 pings arrive in between). */
static const char *wait_for(const char *want, int *watchdogs)
{
	static char buf[4096];
	long deadline = now_ms() + WAIT_MS;
	while (now_ms() < deadline) {
		struct pollfd pfd = { sock, POLLIN, 0 };
		if (poll(&pfd, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		ssize_t n = recv(sock, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (watchdogs && strcmp(buf, "WATCHDOG=1") == 0)
			(*watchdogs)++;
		if (strstr(buf, want) != NULL)
			return buf;
	}
	return NULL;
}

static void start_daemon(void)
{
	char notify[512];
	snprintf(notify, sizeof(notify), "NOTIFY_SOCKET=%s/notify", dir);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		putenv(notify);
		putenv("WATCHDOG_USEC=1000000");
		unsetenv("WATCHDOG_PID");
		const char *wrapper = getenv("TEST_WRAPPER");
		char *args[48];
		size_t n = 0;
		char *w = wrapper && *wrapper ? strdup(wrapper) : NULL;
		for (char *save = NULL, *t = w ? strtok_r(w, " ", &save) : NULL; t && n < 40; t = strtok_r(NULL, " ", &save))
			args[n++] = t;
		args[n++] = (char *)th_bin("ISMSD");
		args[n++] = "--foreground";
		args[n++] = "--config";
		args[n++] = conf;
		args[n] = NULL;
		execvp(args[0], args);
		_exit(127);
	}
}

static void test_lifecycle(void)
{
	start_daemon();
	int pings = 0;
	const char *m = wait_for("READY=1", &pings);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NULL(strstr(m, "RELOADING"));

	/* WATCHDOG=1 at half of WATCHDOG_USEC (1 s): at least two by the time
	 * the first run's STATUS says idle again and one more arrives. */
	CU_ASSERT_PTR_NOT_NULL(wait_for("STATUS=idle", &pings));
	CU_ASSERT_PTR_NOT_NULL(wait_for("WATCHDOG=1", &pings));
	CU_ASSERT_PTR_NOT_NULL(wait_for("WATCHDOG=1", &pings));
	CU_ASSERT(pings >= 2);

	/* A second ismsd on the same state directory is refused. */
	const char *second[] = { th_bin("ISMSD"), "--once", "--config", conf, NULL };
	struct th_proc p2;
	CU_ASSERT_EQUAL_FATAL(th_run(second, NULL, &p2), 0);
	CU_ASSERT_EQUAL(p2.status, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(p2.err, "another ismsd is running with state directory"));
	th_proc_free(&p2);

	/* SIGHUP with a good config: RELOADING=1 + MONOTONIC_USEC, then READY=1. */
	kill(pid, SIGHUP);
	m = wait_for("RELOADING=1", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "MONOTONIC_USEC="));
	CU_ASSERT_PTR_NOT_NULL(wait_for("READY=1", NULL));

	/* SIGHUP with a broken config: the reload fails, the old one stays. */
	char *bad = th_write(dir, "ismsd.conf", "[daemon]\nworkers = lots\n[source ismsd]\ntype = self\n", 0644);
	free(bad);
	kill(pid, SIGHUP);
	CU_ASSERT_PTR_NOT_NULL(wait_for("RELOADING=1", NULL));
	CU_ASSERT_PTR_NOT_NULL(wait_for("READY=1", NULL));
	CU_ASSERT_EQUAL(kill(pid, 0), 0); /* still running */
	char *text = good_config();
	free(th_write(dir, "ismsd.conf", text, 0644));
	free(text);

	/* SIGTERM: STOPPING=1 and a clean exit. */
	kill(pid, SIGTERM);
	CU_ASSERT_PTR_NOT_NULL(wait_for("STOPPING=1", NULL));
	int st = 0;
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	pid = -1;
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	char *log = th_read(logpath);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	char *want = NULL;
	CU_ASSERT(asprintf(&want, "%s:2: [daemon] key 'workers': 'lots' is not a whole number", conf) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "the previous configuration stays in force"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "run 1 committed"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "received Terminated, stopping"));
	free(want);
	free(log);
}

/* A config error at start: exit 1 with file:line, no READY=1. */
static void test_refuses_bad_config(void)
{
	char *bad = th_write(dir, "bad.conf", "[daemon]\n[source x]\ntype = nosuch\n", 0644);
	const char *argv[] = { th_bin("ISMSD"), "--foreground", "--config", bad, NULL };
	struct th_proc p;
	CU_ASSERT_EQUAL_FATAL(th_run(argv, NULL, &p), 0);
	CU_ASSERT_EQUAL(p.status, 1);
	char *want = NULL;
	CU_ASSERT(asprintf(&want, "%s:3: [source x] key 'type': unknown source type 'nosuch'", bad) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.err, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.err, "refusing to start"));
	free(want);
	th_proc_free(&p);
	free(bad);
}

/* A store that is not a database: refused, left untouched. */
static void test_refuses_corrupt_store(void)
{
	char *d2 = th_path(dir, "corrupt");
	CU_ASSERT_EQUAL(mkdir(d2, 0700), 0);
	char *db = th_write(d2, "evidence.db", "SQLite format 3\nbut then garbage garbage garbage garbage garbage", 0600);
	char *text = NULL;
	CU_ASSERT(asprintf(&text, "[daemon]\nstate_dir = %s\n[source s]\ntype = self\n", d2) > 0);
	char *c2 = th_write(dir, "corrupt.conf", text, 0644);
	const char *argv[] = { th_bin("ISMSD"), "--once", "--config", c2, NULL };
	struct th_proc p;
	CU_ASSERT_EQUAL_FATAL(th_run(argv, NULL, &p), 0);
	CU_ASSERT_EQUAL(p.status, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.err, "evidence.db"));
	char *after = th_read(db);
	CU_ASSERT_STRING_EQUAL(after, "SQLite format 3\nbut then garbage garbage garbage garbage garbage");
	free(after);
	th_proc_free(&p);
	free(text);
	free(c2);
	free(db);
	free(d2);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "READY, WATCHDOG, RELOADING, STOPPING", test_lifecycle },
		{ "a bad config at start is refused with file:line", test_refuses_bad_config },
		{ "a corrupt store is refused and left untouched", test_refuses_corrupt_store },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "daemon", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return th_main(suites);
}
