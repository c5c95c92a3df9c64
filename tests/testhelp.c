/*
 * testhelp.c: shared helpers for the CUnit suites.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "testhelp.h"

char *th_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *tmpl = NULL;
	if (asprintf(&tmpl, "%s/ismsd-test-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		return NULL;
	if (mkdtemp(tmpl) == NULL) {
		free(tmpl);
		return NULL;
	}
	return tmpl;
}

char *th_dir;

int th_dir_setup(void)
{
	th_dir = th_mkdtemp();
	return th_dir ? 0 : -1;
}

int th_dir_teardown(void)
{
	th_rmrf(th_dir);
	free(th_dir);
	th_dir = NULL;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void th_rmrf(const char *path)
{
	if (path != NULL)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *th_path(const char *dir, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

char *th_write(const char *dir, const char *name, const char *content, mode_t mode)
{
	char *p = th_path(dir, name);
	if (p == NULL)
		return NULL;
	unlink(p);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		free(p);
		return NULL;
	}
	size_t len = strlen(content);
	ssize_t w = write(fd, content, len);
	fchmod(fd, mode);
	close(fd);
	if (w != (ssize_t)len) {
		free(p);
		return NULL;
	}
	return p;
}

char *th_read(const char *path)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(m);
	fclose(f);
	return buf;
}

const char *th_bin(const char *var)
{
	const char *v = getenv(var);
	return v ? v : var;
}

const char *th_srcdir(void)
{
	const char *v = getenv("TESTS_SRCDIR");
	return v ? v : "tests";
}

static void drain(int fd, char **buf, size_t *len, size_t *cap, int *open_flag)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	if (n <= 0) {
		*open_flag = 0;
		return;
	}
	if (*len + (size_t)n + 1 > *cap) {
		*cap = (*len + (size_t)n + 1) * 2;
		*buf = realloc(*buf, *cap);
	}
	memcpy(*buf + *len, chunk, (size_t)n);
	*len += (size_t)n;
	(*buf)[*len] = '\0';
}

int th_run(const char *const *argv, const char *const *env, struct th_proc *p)
{
	int out[2], err[2];
	memset(p, 0, sizeof(*p));
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		for (size_t i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		/* argv[0] names a binary; $TEST_WRAPPER (e.g. valgrind) goes first. */
		const char *wrapper = getenv("TEST_WRAPPER");
		char *args[64];
		size_t n = 0;
		char *wcopy = wrapper && *wrapper ? strdup(wrapper) : NULL;
		if (wcopy != NULL) {
			char *save = NULL;
			for (char *t = strtok_r(wcopy, " ", &save); t && n < 32; t = strtok_r(NULL, " ", &save))
				args[n++] = t;
		}
		for (size_t i = 0; argv[i] && n < 63; i++)
			args[n++] = (char *)argv[i];
		args[n] = NULL;
		execvp(args[0], args);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	size_t olen = 0, ocap = 0, elen = 0, ecap = 0;
	int oopen = 1, eopen = 1;
	while (oopen || eopen) {
		struct pollfd fds[2] = { { oopen ? out[0] : -1, POLLIN, 0 }, { eopen ? err[0] : -1, POLLIN, 0 } };
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (oopen && (fds[0].revents & (POLLIN | POLLHUP)))
			drain(out[0], &p->out, &olen, &ocap, &oopen);
		if (eopen && (fds[1].revents & (POLLIN | POLLHUP)))
			drain(err[0], &p->err, &elen, &ecap, &eopen);
	}
	close(out[0]);
	close(err[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (p->out == NULL)
		p->out = strdup("");
	if (p->err == NULL)
		p->err = strdup("");
	return 0;
}

void th_proc_free(struct th_proc *p)
{
	free(p->out);
	free(p->err);
	p->out = p->err = NULL;
}

int th_main(CU_SuiteInfo *suites)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		CU_cleanup_registry();
		return 99;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	unsigned ran = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	if (ran == 0)
		return 99;
	return failed ? 1 : 0;
}
