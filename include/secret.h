/*
 * secret.h: secrets (tokens, keys, webhook secrets) are never written in the
 * configuration.  A secret key names either an absolute path or a bare
 * credential name, which is looked up in $CREDENTIALS_DIRECTORY (systemd
 * LoadCredential=).  A secret file that other users may read or write is
 * refused.  Messages name the file, never its content.
 */
#ifndef ISMSD_SECRET_H
#define ISMSD_SECRET_H

#include <stddef.h>

/* Turns a reference into a path.  Returns 0, or -1 with a message in err. */
int secret_resolve(const char *ref, char *path, size_t len, char *err, size_t errlen);

/* Checks that the secret behind ref exists, is a regular file and is not
 * accessible to other users.  Returns 0, or -1 with a message in err. */
int secret_check(const char *ref, char *err, size_t errlen);

/*
 * Reads the secret behind ref, without a trailing newline.  The caller frees
 * *value with util_secret_free(*value, *len).  Returns 0, or -1 with a
 * message in err.
 */
int secret_read(const char *ref, char **value, size_t *len, char *err, size_t errlen);

#endif
