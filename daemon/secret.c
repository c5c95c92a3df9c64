/*
 * secret.c: resolving, checking and reading secret files and systemd
 * credentials.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"
#include "util.h"

#define SECRET_MAX (64 * 1024)

int secret_resolve(const char *ref, char *path, size_t len, char *err, size_t errlen)
{
	int n;
	if (ref[0] == '/') {
		n = snprintf(path, len, "%s", ref);
	} else {
		const char *dir = getenv("CREDENTIALS_DIRECTORY");
		if (dir == NULL || dir[0] != '/') {
			snprintf(err, errlen,
				 "credential '%s' is named, but $CREDENTIALS_DIRECTORY is not set "
				 "(use LoadCredential= in the unit, or give an absolute path)",
				 ref);
			return -1;
		}
		if (strchr(ref, '/') != NULL || strcmp(ref, "..") == 0 || strcmp(ref, ".") == 0) {
			snprintf(err, errlen, "'%s' is not a credential name", ref);
			return -1;
		}
		n = snprintf(path, len, "%s/%s", dir, ref);
	}
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "secret path too long");
		return -1;
	}
	return 0;
}

static int check_fd(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot stat secret file %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "secret file %s is not a regular file", path);
		return -1;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
		snprintf(err, errlen,
			 "secret file %s is accessible to other users (mode %04o); "
			 "make it 0600 or 0640 (chmod o-rwx,g-w)",
			 path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_size > SECRET_MAX) {
		snprintf(err, errlen, "secret file %s is larger than %d bytes", path, SECRET_MAX);
		return -1;
	}
	return 0;
}

static int open_secret(const char *ref, char *path, size_t plen, char *err, size_t errlen)
{
	if (secret_resolve(ref, path, plen, err, errlen) < 0)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open secret file %s: %s", path, strerror(errno));
		return -1;
	}
	if (check_fd(fd, path, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int secret_check(const char *ref, char *err, size_t errlen)
{
	char path[4096];
	int fd = open_secret(ref, path, sizeof(path), err, errlen);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int secret_read(const char *ref, char **value, size_t *len, char *err, size_t errlen)
{
	char path[4096];
	int fd = open_secret(ref, path, sizeof(path), err, errlen);
	if (fd < 0)
		return -1;
	char *buf = malloc(SECRET_MAX + 1);
	size_t got = 0;
	int r = -1;
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, SECRET_MAX - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot read secret file %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == SECRET_MAX)
			break;
	}
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
		got--;
	if (got == 0) {
		snprintf(err, errlen, "secret file %s is empty", path);
		goto out;
	}
	buf[got] = '\0';
	*value = buf;
	*len = got;
	buf = NULL;
	r = 0;
out:
	util_secret_free(buf, SECRET_MAX + 1);
	close(fd);
	return r;
}
