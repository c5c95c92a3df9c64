/*
 * util.h: small shared helpers: a capped byte buffer, SHA-256 in hex,
 * UTC time formatting and parsing, and whole-file reads.
 */
#ifndef ISMSD_UTIL_H
#define ISMSD_UTIL_H

#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>
#include <time.h>

#define UTIL_SHA256_HEX_LEN 64
#define UTIL_ISO_TIME_LEN 21 /* "YYYY-MM-DDTHH:MM:SSZ" + NUL */

/*
 * A growable byte buffer with a hard cap.  The data is always NUL-terminated
 * (the NUL is not counted in len).  util_buf_append() returns -ENOSPC when
 * the cap would be passed and leaves the buffer as it was: the caller must
 * treat the content as incomplete and never parse it.
 */
struct util_buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t cap;
};

void util_buf_init(struct util_buf *b, size_t cap);
int util_buf_append(struct util_buf *b, const void *data, size_t len);
int util_buf_printf(struct util_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void util_buf_reset(struct util_buf *b);
/* Hands the data to the caller (free() it); the buffer is empty afterwards. */
char *util_buf_take(struct util_buf *b, size_t *len);
void util_buf_free(struct util_buf *b);

/* Writes the lowercase hex SHA-256 of data into out (65 bytes). */
void util_sha256_hex(const void *data, size_t len, char out[UTIL_SHA256_HEX_LEN + 1]);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void util_hex(const unsigned char *in, size_t n, char *out);

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ".  out must hold UTIL_ISO_TIME_LEN bytes. */
void util_time_iso(time_t t, char out[UTIL_ISO_TIME_LEN]);

/* Parses an RFC 3339 time ("2026-11-24T10:00:00Z", fractional seconds and
 * +hh:mm offsets allowed).  Returns 0 and sets *out, or -EINVAL. */
int util_time_parse(const char *s, time_t *out);

/* Wall-clock seconds. */
time_t util_now(void);

/* Milliseconds of CLOCK_MONOTONIC since *t0 (taken with clock_gettime()). */
int64_t util_ms_since(const struct timespec *t0);

/* Reads a whole regular file of at most max bytes into a NUL-terminated
 * buffer the caller frees.  Returns 0, or -errno (-EFBIG when too large). */
int util_read_file(const char *path, size_t max, char **data, size_t *len);

/* Writes all of data to fd (retrying short writes and EINTR).  Returns 0 or
 * -errno. */
int util_write_all(int fd, const void *data, size_t len);

/* Replaces dir/name atomically with data: a hidden temporary file
 * dir/.name.XXXXXX (so that directory readers that match on the name skip
 * it), mode, fsync, rename, then fsync of dir.  Returns 0, or -errno with
 * the old file kept and no temporary file left; *step (may be NULL) then
 * names what failed: "create", "write" or "rename". */
int util_write_atomic(const char *dir, const char *name, const void *data, size_t len, mode_t mode,
		      const char **step);

/* Parses a duration such as "90s", "15m", "6h", "30d", "3y" or a bare number
 * of seconds.  Returns 0 and sets *secs, or -EINVAL. */
int util_parse_duration(const char *s, uint64_t *secs);

/* Parses a size such as "64M", "512K", "1G" or bytes.  Returns 0 or -EINVAL. */
int util_parse_size(const char *s, uint64_t *bytes);

/* Parses yes/no/true/false/on/off/1/0.  Returns 0 or -EINVAL. */
int util_parse_bool(const char *s, int *out);

/* Overwrites a secret before it is freed. */
void util_secret_free(char *s, size_t len);

#endif
