/*
 * pack.c: audit packs (BagIt, RFC 8493): export from the store, and the
 * offline verifier.  The layout is described in include/pack.h.
 *
 * Both directions share one rule: every file under data/ is listed in
 * manifest-sha256.txt with its SHA-256, and nothing else is there.  The
 * verifier checks that first (so a changed file is named by its path), then
 * re-checks what the hashes alone cannot: that the manifests are the signed
 * chain, and that the facts and blobs are the ones the manifests name.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "pack.h"
#include "report.h"
#include "tsa.h"
#include "util.h"

#define MAX_PROBLEMS 50
#define TAR_BLOCK 512
#define MAX_TAR_FILE ((size_t)1 << 32) /* one file in a pack: 4 GiB */

/* ---- files ------------------------------------------------------------------- */

/* out = a "/" b; -ENAMETOOLONG when it does not fit. */
static int join(char *out, size_t n, const char *a, const char *b)
{
	int k = snprintf(out, n, "%s/%s", a, b);
	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

/* Creates the parent directories of path (below an existing root). */
static int mkparents(const char *path)
{
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* Writes root/rel with data (a new file). */
static int put_file(const char *root, const char *rel, const void *data, size_t len)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	int r = mkparents(path);
	if (r < 0)
		return r;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	r = util_write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* SHA-256 (hex) and size of a file. */
static int hash_file(const char *path, char hex[UTIL_SHA256_HEX_LEN + 1], uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 ? 0 : -ENOMEM;
	unsigned char buf[65536];
	*size = 0;
	while (r == 0) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else if (n == 0)
			break;
		else if (EVP_DigestUpdate(md, buf, (size_t)n) != 1)
			r = -EIO;
		else
			*size += (uint64_t)n;
	}
	unsigned char d[32];
	unsigned dl = 0;
	if (r == 0 && EVP_DigestFinal_ex(md, d, &dl) != 1)
		r = -EIO;
	if (r == 0)
		util_hex(d, 32, hex);
	EVP_MD_CTX_free(md);
	close(fd);
	return r;
}

/* All regular files below root/sub, as paths relative to root, sorted. */
struct file_list {
	char **v;
	size_t n, cap;
	int err;
};

static int list_add(struct file_list *l, const char *rel)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = strdup(rel)) == NULL)
		return -ENOMEM;
	l->n++;
	return 0;
}

static void list_free(struct file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(const char *root, const char *sub, struct file_list *l)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s%s%s", root, *sub ? "/" : "", sub);
	DIR *d = opendir(path);
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	int r = 0;
	struct dirent *e;
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char rel[4096], full[4096];
		int k = snprintf(rel, sizeof(rel), "%s%s%s", sub, *sub ? "/" : "", e->d_name);
		struct stat sb;
		if (k < 0 || (size_t)k >= sizeof(rel) || join(full, sizeof(full), root, rel) < 0)
			r = -ENAMETOOLONG;
		else if (lstat(full, &sb) < 0)
			r = -errno;
		else if (S_ISDIR(sb.st_mode))
			r = walk(root, rel, l);
		else
			r = list_add(l, rel); /* links and other files are listed, and fail their checks */
	}
	closedir(d);
	if (r == 0 && *sub == '\0')
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
	return r;
}

static int list_files(const char *root, const char *sub, struct file_list *l)
{
	int r = walk(root, sub, l);
	if (r == 0 && *sub != '\0')
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
	return r;
}

static int rm_tree_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_tree(const char *path)
{
	nftw(path, rm_tree_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- tar (ustar) ------------------------------------------------------------ */

/* An octal field of len bytes: len - 1 digits and a NUL. */
static void tar_octal(char *field, size_t len, uint64_t v)
{
	field[len - 1] = '\0';
	for (size_t i = len - 1; i-- > 0; v >>= 3)
		field[i] = (char)('0' + (v & 7));
}

static int tar_header(int fd, const char *name, uint64_t size, int is_dir, time_t mtime)
{
	unsigned char h[TAR_BLOCK];
	memset(h, 0, sizeof(h));
	size_t len = strlen(name);
	const char *base = name;
	if (len > 100) {
		/* split at a '/' so that the prefix fits 155 and the name 100 */
		const char *cut = NULL;
		for (const char *p = name; *p; p++)
			if (*p == '/' && (size_t)(p - name) <= 155 && len - (size_t)(p - name) - 1 <= 100)
				cut = p;
		if (cut == NULL)
			return -ENAMETOOLONG;
		memcpy(h + 345, name, (size_t)(cut - name));
		base = cut + 1;
	}
	memcpy(h, base, strlen(base));
	tar_octal((char *)h + 100, 8, is_dir ? 0750 : 0640);
	tar_octal((char *)h + 108, 8, 0);
	tar_octal((char *)h + 116, 8, 0);
	tar_octal((char *)h + 124, 12, is_dir ? 0 : size);
	tar_octal((char *)h + 136, 12, (uint64_t)(mtime > 0 ? mtime : 0));
	h[156] = is_dir ? '5' : '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < sizeof(h); i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	return util_write_all(fd, h, sizeof(h));
}

/* Writes the bag at root as out (a tar file), its entries under top/. */
static int tar_write(const char *root, const char *top, const char *out, time_t mtime, char *err, size_t errlen)
{
	struct file_list l = { 0 };
	int r = list_files(root, "", &l);
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", out);
	int fd = r == 0 ? mkstemp(tmp) : -1;
	if (r == 0 && fd < 0)
		r = -errno;
	if (r == 0 && fchmod(fd, 0640) < 0)
		r = -errno;
	char name[4096];
	snprintf(name, sizeof(name), "%s/", top);
	if (r == 0)
		r = tar_header(fd, name, 0, 1, mtime);
	unsigned char buf[65536];
	for (size_t i = 0; r == 0 && i < l.n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", root, l.v[i]);
		snprintf(name, sizeof(name), "%s/%s", top, l.v[i]);
		struct stat sb;
		int in = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (in < 0 || fstat(in, &sb) < 0) {
			r = -errno;
			if (in >= 0)
				close(in);
			break;
		}
		r = tar_header(fd, name, (uint64_t)sb.st_size, 0, mtime);
		uint64_t done = 0;
		while (r == 0) {
			ssize_t n = read(in, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				r = n < 0 ? -errno : 0;
				break;
			}
			done += (uint64_t)n;
			r = util_write_all(fd, buf, (size_t)n);
		}
		close(in);
		if (r == 0 && done != (uint64_t)sb.st_size)
			r = -EIO;
		if (r == 0 && done % TAR_BLOCK) {
			memset(buf, 0, TAR_BLOCK);
			r = util_write_all(fd, buf, TAR_BLOCK - done % TAR_BLOCK);
		}
	}
	if (r == 0) {
		memset(buf, 0, 2 * TAR_BLOCK);
		r = util_write_all(fd, buf, 2 * TAR_BLOCK);
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, out) < 0)
		r = -errno;
	if (r < 0) {
		if (fd >= 0)
			unlink(tmp);
		snprintf(err, errlen, "cannot write %s: %s", out, strerror(-r));
	}
	list_free(&l);
	return r;
}

static uint64_t tar_num(const unsigned char *f, size_t len)
{
	uint64_t v = 0;
	for (size_t i = 0; i < len && f[i] >= '0' && f[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(f[i] - '0');
	return v;
}

/* A tar member name is safe when it is relative and has no ".." part. */
static int safe_name(const char *n)
{
	if (*n == '\0' || *n == '/')
		return 0;
	for (const char *p = n; *p;) {
		size_t k = strcspn(p, "/");
		if ((k == 2 && p[0] == '.' && p[1] == '.') || (k == 1 && p[0] == '.'))
			return 0;
		p += k;
		while (*p == '/')
			p++;
	}
	return 1;
}

/* Extracts a ustar file (regular files and directories only) into dir. */
static int tar_extract(const char *file, const char *dir, char *err, size_t errlen)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot read %s: %s", file, strerror(e));
		return -e;
	}
	int r = 0;
	unsigned char h[TAR_BLOCK], buf[65536];
	for (;;) {
		ssize_t n = read(fd, h, sizeof(h));
		if (n == 0)
			break;
		if (n != (ssize_t)sizeof(h)) {
			snprintf(err, errlen, "%s: truncated tar file", file);
			r = -EBADMSG;
			break;
		}
		int zero = 1;
		for (size_t i = 0; i < sizeof(h) && zero; i++)
			zero = h[i] == 0;
		if (zero)
			break;
		unsigned sum = 0;
		for (size_t i = 0; i < sizeof(h); i++)
			sum += (i >= 148 && i < 156) ? ' ' : h[i];
		if (memcmp(h + 257, "ustar", 5) != 0 || tar_num(h + 148, 8) != sum) {
			snprintf(err, errlen, "%s: not a ustar file, or a damaged header", file);
			r = -EBADMSG;
			break;
		}
		char name[300] = "";
		if (h[345])
			snprintf(name, sizeof(name), "%.155s/%.100s", (char *)h + 345, (char *)h);
		else
			snprintf(name, sizeof(name), "%.100s", (char *)h);
		size_t nl = strlen(name);
		while (nl > 0 && name[nl - 1] == '/')
			name[--nl] = '\0';
		uint64_t size = tar_num(h + 124, 12);
		char type = (char)h[156];
		if (!safe_name(name) || (type != '0' && type != '\0' && type != '5') || size > MAX_TAR_FILE) {
			snprintf(err, errlen, "%s: member \"%s\" is not a plain file or directory inside the pack", file, name);
			r = -EBADMSG;
			break;
		}
		char path[4096];
		if (join(path, sizeof(path), dir, name) < 0) {
			snprintf(err, errlen, "%s: member name too long", file);
			r = -ENAMETOOLONG;
			break;
		}
		if (type == '5') {
			if ((r = mkparents(path)) < 0 || (mkdir(path, 0750) < 0 && errno != EEXIST)) {
				r = r < 0 ? r : -errno;
				snprintf(err, errlen, "cannot extract %s: %s", name, strerror(-r));
				break;
			}
			continue;
		}
		int out = mkparents(path) == 0 ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640) : -1;
		if (out < 0) {
			r = -errno;
			snprintf(err, errlen, "cannot extract %s: %s", name, strerror(errno));
			break;
		}
		uint64_t left = size + (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
		uint64_t data = size;
		while (r == 0 && left > 0) {
			size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
			ssize_t got = read(fd, buf, want);
			if (got <= 0) {
				snprintf(err, errlen, "%s: truncated tar file", file);
				r = -EBADMSG;
				break;
			}
			size_t keep = (uint64_t)got < data ? (size_t)got : (size_t)data;
			if (keep > 0)
				r = util_write_all(out, buf, keep);
			data -= keep;
			left -= (uint64_t)got;
		}
		close(out);
		if (r < 0)
			break;
	}
	close(fd);
	return r;
}

/* ---- export ------------------------------------------------------------------- */

struct ex {
	struct store *st;
	const char *bag;
	struct util_buf buf;
	struct util_buf pruned;
	int64_t *runs; /* the runs of the manifests in the pack, in chain order */
	size_t n_runs, cap_runs;
};

static int row_manifest(void *arg, const struct store_val *c, size_t n)
{
	struct ex *x = arg;
	if (n < 7 || c[6].type != STORE_TEXT)
		return -EINVAL;
	if (x->n_runs == x->cap_runs) {
		size_t cap = x->cap_runs ? x->cap_runs * 2 : 64;
		int64_t *v = realloc(x->runs, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		x->runs = v;
		x->cap_runs = cap;
	}
	x->runs[x->n_runs++] = c[1].i;
	char rel[64];
	snprintf(rel, sizeof(rel), "data/manifests/run-%lld.json", (long long)c[1].i);
	int r = put_file(x->bag, rel, c[6].s, c[6].len);
	if (r < 0)
		return r;
	json_t *line = json_pack("{s:I, s:I, s:s, s:o, s:s?, s:s?}", "seq", (json_int_t)c[0].i, "run", (json_int_t)c[1].i,
				 "sha256", c[2].s, "prev", c[3].type == STORE_TEXT ? json_string(c[3].s) : json_null(),
				 "key_id", c[4].type == STORE_TEXT ? c[4].s : NULL, "signature",
				 c[5].type == STORE_TEXT ? c[5].s : NULL);
	char *txt = line ? json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(line);
	r = txt ? util_buf_printf(&x->buf, "%s\n", txt) : -ENOMEM;
	free(txt);
	return r;
}

/* Columns: id, kind, observed_at, page_id, payload.  One JSON line per fact:
 * {"id","kind","observed_at","page","payload"}, the payload as a string
 * holding the stored bytes, so that its SHA-256 can be checked. */
static int row_fact(void *arg, const struct store_val *c, size_t n)
{
	struct ex *x = arg;
	if (n < 5 || c[4].type != STORE_TEXT)
		return -EINVAL;
	char t[UTIL_ISO_TIME_LEN];
	if (c[2].type == STORE_INT)
		util_time_iso((time_t)c[2].i, t);
	json_t *line = json_pack("{s:I, s:s, s:o, s:o, s:s%}", "id", (json_int_t)c[0].i, "kind",
				 c[1].type == STORE_TEXT ? c[1].s : "", "observed_at",
				 c[2].type == STORE_INT ? json_string(t) : json_null(), "page",
				 c[3].type == STORE_INT ? json_integer(c[3].i) : json_null(), "payload", c[4].s, c[4].len);
	char *txt = line ? json_dumps(line, JSON_COMPACT) : NULL;
	json_decref(line);
	if (txt == NULL)
		return -EBADMSG; /* not UTF-8 */
	int r = util_buf_printf(&x->buf, "%s\n", txt);
	free(txt);
	return r;
}

static int row_page(void *arg, const struct store_val *c, size_t n)
{
	struct ex *x = arg;
	if (n < 3 || c[1].type != STORE_TEXT)
		return -EINVAL;
	if (c[2].type != STORE_TEXT)
		return util_buf_printf(&x->pruned, "%lld %s\n", (long long)c[0].i, c[1].s);
	char rel[128], path[4096];
	snprintf(rel, sizeof(rel), "data/blobs/%s", c[1].s);
	snprintf(path, sizeof(path), "%s/%s", x->bag, rel);
	if (access(path, F_OK) == 0)
		return 0; /* the same page bytes in another run */
	return put_file(x->bag, rel, c[2].s, c[2].len);
}

static int write_manifest(const char *bag, const char *name, struct file_list *l, uint64_t *bytes)
{
	struct util_buf b;
	util_buf_init(&b, (size_t)1 << 30);
	int r = 0;
	*bytes = 0;
	for (size_t i = 0; r == 0 && i < l->n; i++) {
		char path[4096], hex[UTIL_SHA256_HEX_LEN + 1];
		uint64_t size = 0;
		snprintf(path, sizeof(path), "%s/%s", bag, l->v[i]);
		r = hash_file(path, hex, &size);
		*bytes += size;
		if (r == 0)
			r = util_buf_printf(&b, "%s  %s\n", hex, l->v[i]);
	}
	if (r == 0)
		r = put_file(bag, name, b.data ? b.data : "", b.len);
	util_buf_free(&b);
	return r;
}

static const char *mstr(const json_t *o, const char *a, const char *k)
{
	return json_string_value(json_object_get(json_object_get(o, a), k));
}

/* The RFC 3161 timestamp over the tag manifest, and the CA it verifies to
 * (kept for long-term validation). */
static int timestamp(const char *bag, const struct pack_opts *o, char *err, size_t errlen)
{
	char path[4096], *tm = NULL, *ca = NULL;
	size_t len = 0, calen = 0;
	unsigned char *der = NULL;
	size_t der_len = 0;
	char when[TSA_TIME_LEN];
	int r = join(path, sizeof(path), bag, "tagmanifest-sha256.txt");
	if (r == 0)
		r = util_read_file(path, (size_t)1 << 30, &tm, &len);
	if (r < 0) {
		snprintf(err, errlen, "cannot read the tag manifest: %s", strerror(-r));
		return r;
	}
	r = tsa_timestamp(o->tsa_url, o->tsa_ca_file, tm, len, &der, &der_len, when, err, errlen);
	if (r == 0)
		r = put_file(bag, "tagmanifest-sha256.txt.tsr", der, der_len);
	if (r == 0 && o->tsa_ca_file) {
		r = util_read_file(o->tsa_ca_file, 1u << 20, &ca, &calen);
		if (r == 0)
			r = put_file(bag, "tsa-ca.pem", ca, calen);
		if (r < 0)
			snprintf(err, errlen, "cannot copy the TSA's CA %s: %s", o->tsa_ca_file, strerror(-r));
	}
	free(tm);
	free(ca);
	free(der);
	return r;
}

static int export_into(struct store *st, const json_t *model, const struct chain_key *pub, const struct pack_opts *o,
		       const char *bag, size_t *files, char *err, size_t errlen)
{
	struct ex x = { .st = st, .bag = bag };
	char why[512] = "";
	util_buf_init(&x.buf, (size_t)1 << 31);
	util_buf_init(&x.pruned, (size_t)1 << 30);
	const json_t *report = json_object_get(model, "report");
	const json_t *chain = json_object_get(report, "chain");
	char *pem = chain_key_public_pem(pub);
	int r = pem ? put_file(bag, "data/public-key.pem", pem, strlen(pem)) : -ENOMEM;
	free(pem);
	/* The manifests of the period's part of the chain. */
	json_int_t first = json_integer_value(json_object_get(chain, "first_seq"));
	json_int_t last = json_integer_value(json_object_get(chain, "last_seq"));
	struct store_val a[] = { STORE_V_INT(first), STORE_V_INT(last) };
	if (r == 0 && first > 0)
		r = store_query(st,
				"SELECT seq, run_id, sha256, prev_sha256, key_id, signature, body FROM manifests"
				" WHERE seq BETWEEN ? AND ? ORDER BY seq",
				a, 2, row_manifest, &x, NULL);
	if (r == 0)
		r = put_file(bag, "data/chain.jsonl", x.buf.data ? x.buf.data : "", x.buf.len);
	/* The facts and raw pages of every run in the pack's part of the chain
	 * (a run the chain does not cover could not be checked offline). */
	for (size_t i = 0; i < x.n_runs; i++) {
		if (r < 0)
			break;
		json_int_t id = x.runs[i];
		struct store_val rid = STORE_V_INT(id);
		util_buf_reset(&x.buf);
		r = store_query(st,
				"SELECT id, kind, observed_at, page_id, payload FROM evidence WHERE run_id = ?"
				" AND kind != 'raw.page' ORDER BY coalesce(page_id, 0), id",
				&rid,
				1, row_fact, &x, NULL);
		char rel[64];
		snprintf(rel, sizeof(rel), "data/facts/run-%lld.jsonl", (long long)id);
		if (r == 0)
			r = put_file(bag, rel, x.buf.data ? x.buf.data : "", x.buf.len);
		if (r == 0) {
			r = store_query(st,
					"SELECT e.id, e.sha256, ismsd_blob(b.data, b.codec, b.size) FROM evidence e"
					" LEFT JOIN blobs b ON b.sha256 = e.blob_sha256"
					" WHERE e.run_id = ? AND e.kind = 'raw.page' ORDER BY e.id",
					&rid, 1, row_page, &x, NULL);
			/* a compressed page that does not decode: say so */
			if (r == -EIO)
				snprintf(why, sizeof(why), "run %lld: %s", (long long)id, store_errmsg(st));
		}
	}
	if (r == 0)
		r = put_file(bag, "data/pruned-pages.txt", x.pruned.data ? x.pruned.data : "", x.pruned.len);
	util_buf_free(&x.buf);
	util_buf_free(&x.pruned);
	free(x.runs);
	if (r < 0) {
		snprintf(err, errlen, "cannot export the evidence: %s",
			 why[0]		 ? why
			 : r == -EBADMSG ? "a fact is not UTF-8 text"
					 : strerror(-r));
		return r;
	}
	/* The reports. */
	static const struct {
		const char *format, *rel;
	} reports[] = { { "html", "data/reports/report.html" },
			{ "json", "data/reports/report.json" },
			{ "oscal", "data/reports/assessment-results.json" },
			{ "csv", "data/reports/csv" } };
	for (size_t k = 0; k < sizeof(reports) / sizeof(reports[0]); k++) {
		char path[4096];
		if ((r = join(path, sizeof(path), bag, reports[k].rel)) < 0 || (r = mkparents(path)) < 0 || (r = report_write(model, reports[k].format, path, err, errlen)) < 0)
			return r;
	}
	/* The tag files. */
	struct file_list l = { 0 };
	uint64_t bytes = 0;
	r = list_files(bag, "data", &l);
	if (r == 0)
		r = write_manifest(bag, "manifest-sha256.txt", &l, &bytes);
	*files = l.n;
	const char *bagit = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
	if (r == 0)
		r = put_file(bag, "bagit.txt", bagit, strlen(bagit));
	const char *gen = json_string_value(json_object_get(report, "generated_at"));
	char *info = NULL;
	if (r == 0 &&
	    asprintf(&info,
		     "Source-Organization: %s\nBagging-Date: %.10s\nExternal-Identifier: ismsd-%s\n"
		     "External-Description: ISMS evidence for %s, %s to %s (end exclusive)\n"
		     "Bag-Software-Agent: %s %s\nPayload-Oxum: %llu.%zu\nISMSD-Period: %s\nISMSD-Period-Start: %s\n"
		     "ISMSD-Period-End: %s\nISMSD-Chain-First-Seq: %lld\nISMSD-Chain-Last-Seq: %lld\n"
		     "ISMSD-Chain-Last-SHA256: %s\nISMSD-Key-Id: %s\n",
		     o->organisation ? o->organisation : "unknown", gen ? gen : "", mstr(report, "period", "label") ?: "",
		     mstr(report, "period", "label") ?: "", mstr(report, "period", "start") ?: "",
		     mstr(report, "period", "end") ?: "", PACKAGE_NAME, PACKAGE_VERSION, (unsigned long long)bytes, l.n,
		     mstr(report, "period", "label") ?: "", mstr(report, "period", "start") ?: "",
		     mstr(report, "period", "end") ?: "", (long long)first, (long long)last,
		     json_string_value(json_object_get(chain, "head_sha256")) ?: "none", chain_key_id(pub)) < 0) {
		info = NULL;
		r = -ENOMEM;
	}
	if (r == 0)
		r = put_file(bag, "bag-info.txt", info, strlen(info));
	free(info);
	list_free(&l);
	struct file_list tags = { 0 };
	if (r == 0)
		r = list_add(&tags, "bag-info.txt");
	if (r == 0)
		r = list_add(&tags, "bagit.txt");
	if (r == 0)
		r = list_add(&tags, "manifest-sha256.txt");
	if (r == 0)
		r = write_manifest(bag, "tagmanifest-sha256.txt", &tags, &bytes);
	list_free(&tags);
	if (r < 0) {
		snprintf(err, errlen, "cannot write the pack: %s", strerror(-r));
		return r;
	}
	return o->tsa_url ? timestamp(bag, o, err, errlen) : 0;
}

int pack_export(struct store *st, const json_t *model, const struct chain_key *pub, const struct pack_opts *o,
		const char *out, size_t *files, char *err, size_t errlen)
{
	*files = 0;
	err[0] = '\0';
	size_t len = strlen(out);
	int tar = len > 4 && strcmp(out + len - 4, ".tar") == 0;
	char bag[4096];
	if (tar) {
		snprintf(bag, sizeof(bag), "%s.d.XXXXXX", out);
		if (access(out, F_OK) == 0) {
			snprintf(err, errlen, "%s exists already; an audit pack is never overwritten", out);
			return -EEXIST;
		}
		if (mkdtemp(bag) == NULL) {
			int e = errno;
			snprintf(err, errlen, "cannot create a directory beside %s: %s", out, strerror(e));
			return -e;
		}
	} else {
		snprintf(bag, sizeof(bag), "%s", out);
		if (mkdir(bag, 0750) < 0) {
			int e = errno;
			snprintf(err, errlen, e == EEXIST ? "%s exists already; an audit pack is never overwritten"
							  : "cannot create %s: %s",
				 out, strerror(e));
			return -e;
		}
	}
	int r = export_into(st, model, pub, o, bag, files, err, errlen);
	if (r == 0 && tar) {
		/* The top directory is the file's name without ".tar". */
		const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
		char top[256];
		snprintf(top, sizeof(top), "%.*s", (int)(strlen(base) - 4), base);
		time_t mtime = 0;
		util_time_parse(json_string_value(json_object_get(json_object_get(model, "report"), "generated_at")) ?: "",
				&mtime);
		r = tar_write(bag, top[0] ? top : "pack", out, mtime, err, errlen);
	}
	if (r < 0 || tar)
		rm_tree(bag);
	return r;
}

/* ---- verification ------------------------------------------------------------ */

struct pv {
	const char *root;
	json_t *problems;
	size_t n;
	int64_t manifests, facts, blobs, pruned;
	int64_t first_seq, last_seq; /* of data/chain.jsonl */
};

static void pv_problem(struct pv *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pv_problem(struct pv *v, const char *fmt, ...)
{
	v->n++;
	if (json_array_size(v->problems) >= MAX_PROBLEMS)
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(v->problems, json_string(buf));
}

static int read_rel(const struct pv *v, const char *rel, size_t max, char **data, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", v->root, rel);
	return util_read_file(path, max, data, len);
}

/* Checks a manifest file (manifest-sha256.txt or the tag manifest): every
 * file it lists hashes to its line.  Fills listed (when not NULL). */
static void check_manifest(struct pv *v, const char *name, struct file_list *listed, uint64_t *bytes)
{
	char *text = NULL;
	size_t len = 0;
	if (read_rel(v, name, (size_t)1 << 30, &text, &len) < 0) {
		pv_problem(v, "%s: missing", name);
		return;
	}
	size_t lineno = 0;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		size_t ll = strlen(line);
		if (ll && line[ll - 1] == '\r')
			line[--ll] = '\0';
		char *sp = strchr(line, ' ');
		if (sp == NULL || sp - line != UTIL_SHA256_HEX_LEN) {
			pv_problem(v, "%s line %zu: not \"<sha256>  <path>\"", name, lineno);
			continue;
		}
		*sp = '\0';
		const char *rel = sp + 1;
		while (*rel == ' ' || *rel == '*')
			rel++;
		if (!safe_name(rel) || (listed && strncmp(rel, "data/", 5) != 0)) {
			pv_problem(v, "%s line %zu: path %s is outside the bag's payload", name, lineno, rel);
			continue;
		}
		if (listed)
			list_add(listed, rel);
		char path[4096], hex[UTIL_SHA256_HEX_LEN + 1];
		uint64_t size = 0;
		snprintf(path, sizeof(path), "%s/%s", v->root, rel);
		int r = hash_file(path, hex, &size);
		if (r < 0) {
			pv_problem(v, "%s: %s (listed in %s)", rel, r == -ENOENT ? "missing" : strerror(-r), name);
			continue;
		}
		if (bytes)
			*bytes += size;
		if (strcasecmp(hex, line) != 0)
			pv_problem(v, "%s: changed: %s has %s, the file hashes to %s", rel, name, line, hex);
	}
	free(text);
	if (listed)
		qsort(listed->v, listed->n, sizeof(*listed->v), cmp_str);
}

/* One group of a facts file: the facts of one page, hashed as the
 * manifest's "facts" groups are (see daemon/chain.c). */
struct pgroup {
	int64_t page, n;
	EVP_MD_CTX *md;
};

static void pgroup_report(struct pv *v, const char *frel, const char *rel, struct pgroup *g, const json_t *want)
{
	unsigned char d[32];
	unsigned dl = 0;
	char hex[UTIL_SHA256_HEX_LEN + 1] = "";
	if (g->md != NULL && EVP_DigestFinal_ex(g->md, d, &dl) == 1)
		util_hex(d, 32, hex);
	EVP_MD_CTX_free(g->md);
	g->md = NULL;
	const char *wsha = json_string_value(json_object_get(want, "sha256"));
	if (want == NULL || json_integer_value(json_object_get(want, "count")) != g->n || wsha == NULL ||
	    strcmp(wsha, hex) != 0) {
		if (g->page)
			pv_problem(v, "%s: the facts of page %lld do not match the manifest %s", frel, (long long)g->page, rel);
		else
			pv_problem(v, "%s: the facts without a page do not match the manifest %s", frel, rel);
	}
}

/* The facts file of a run against its manifest's groups. */
static int check_facts(struct pv *v, const char *frel, char *facts, size_t flen, const json_t *groups, const char *rel)
{
	struct pgroup g = { 0 };
	size_t gi = 0, lineno = 0;
	char *p = facts;
	while (p < facts + flen) {
		char *nl = memchr(p, '\n', (size_t)(facts + flen - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(facts + flen - p);
		lineno++;
		json_t *f = json_loadb(p, ll, 0, NULL);
		p += ll + 1;
		const char *payload = json_string_value(json_object_get(f, "payload"));
		if (f == NULL || payload == NULL || !json_is_integer(json_object_get(f, "id"))) {
			pv_problem(v, "%s line %zu: not a fact line", frel, lineno);
			json_decref(f);
			EVP_MD_CTX_free(g.md);
			return 0;
		}
		int64_t page = json_integer_value(json_object_get(f, "page"));
		if (g.md == NULL || page != g.page) {
			if (g.md != NULL)
				pgroup_report(v, frel, rel, &g, json_array_get(groups, gi++));
			g.page = page;
			g.n = 0;
			if ((g.md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(g.md, EVP_sha256(), NULL) != 1) {
				json_decref(f);
				EVP_MD_CTX_free(g.md);
				return -ENOMEM;
			}
		}
		char hex[UTIL_SHA256_HEX_LEN + 1], line[512];
		util_sha256_hex(payload, json_string_length(json_object_get(f, "payload")), hex);
		const char *obs = json_string_value(json_object_get(f, "observed_at"));
		const char *kind = json_string_value(json_object_get(f, "kind"));
		int k = snprintf(line, sizeof(line), "%lld %s %s %s\n",
				 (long long)json_integer_value(json_object_get(f, "id")), kind && *kind ? kind : "-", hex,
				 obs ? obs : "-");
		if (k > 0 && (size_t)k < sizeof(line))
			EVP_DigestUpdate(g.md, line, (size_t)k);
		g.n++;
		v->facts++;
		json_decref(f);
	}
	if (g.md != NULL)
		pgroup_report(v, frel, rel, &g, json_array_get(groups, gi++));
	if (gi != json_array_size(groups))
		pv_problem(v, "%s: %zu groups of facts, the manifest %s names %zu", frel, gi, rel, json_array_size(groups));
	return 0;
}

/* Checks the chain, and the facts and blobs against its manifests. */
static void check_chain(struct pv *v, const struct chain_key *expect, struct chain_key **key_out)
{
	char *pem = NULL, *chain = NULL, err[256];
	size_t len = 0;
	struct chain_key *key = NULL;
	if (read_rel(v, "data/public-key.pem", 16384, &pem, &len) < 0 ||
	    chain_key_from_pem(pem, len, &key, err, sizeof(err)) < 0) {
		pv_problem(v, "data/public-key.pem: missing or not a public key");
		free(pem);
		return;
	}
	free(pem);
	*key_out = key;
	if (expect && strcmp(chain_key_id(expect), chain_key_id(key)) != 0)
		pv_problem(v, "data/public-key.pem: the pack is signed with key %s, not the expected %s", chain_key_id(key),
			   chain_key_id(expect));
	if (read_rel(v, "data/chain.jsonl", (size_t)1 << 30, &chain, &len) < 0) {
		pv_problem(v, "data/chain.jsonl: missing");
		return;
	}
	char *pruned = NULL;
	size_t plen = 0;
	if (read_rel(v, "data/pruned-pages.txt", (size_t)1 << 30, &pruned, &plen) < 0)
		pruned = NULL;
	json_int_t last_seq = 0;
	char last_sha[UTIL_SHA256_HEX_LEN + 1] = "";
	size_t lineno = 0;
	for (char *save = NULL, *line = strtok_r(chain, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		json_t *e = json_loads(line, 0, NULL);
		json_int_t seq = json_integer_value(json_object_get(e, "seq"));
		json_int_t run = json_integer_value(json_object_get(e, "run"));
		const char *sha = json_string_value(json_object_get(e, "sha256"));
		const char *prev = json_string_value(json_object_get(e, "prev"));
		const char *sig = json_string_value(json_object_get(e, "signature"));
		char rel[64];
		snprintf(rel, sizeof(rel), "data/manifests/run-%lld.json", (long long)run);
		char *body = NULL;
		size_t blen = 0;
		char hex[UTIL_SHA256_HEX_LEN + 1];
		json_t *m = NULL;
		if (e == NULL || seq <= 0 || run <= 0 || sha == NULL) {
			pv_problem(v, "data/chain.jsonl line %zu: not a chain entry", lineno);
		} else if (last_seq && seq != last_seq + 1) {
			pv_problem(v, "data/chain.jsonl line %zu: seq %lld follows seq %lld: manifests are missing or re-ordered",
				   lineno, (long long)seq, (long long)last_seq);
		} else if (last_seq && !(prev && strcmp(prev, last_sha) == 0)) {
			pv_problem(v, "data/chain.jsonl line %zu: seq %lld does not link to seq %lld", lineno, (long long)seq,
				   (long long)last_seq);
		} else if (read_rel(v, rel, (size_t)1 << 30, &body, &blen) < 0) {
			pv_problem(v, "%s: missing (chain seq %lld)", rel, (long long)seq);
		} else if (util_sha256_hex(body, blen, hex), strcmp(hex, sha) != 0) {
			pv_problem(v, "%s: changed: it hashes to %s, chain seq %lld has %s", rel, hex, (long long)seq, sha);
		} else if (chain_check_signature(key, body, blen, sig) < 0) {
			pv_problem(v, "%s: the signature does not verify with data/public-key.pem", rel);
		} else if ((m = json_loadb(body, blen, 0, NULL)) == NULL ||
			   json_integer_value(json_object_get(m, "seq")) != seq ||
			   json_integer_value(json_object_get(json_object_get(m, "run"), "id")) != run ||
			   !((prev == NULL && json_is_null(json_object_get(m, "prev"))) ||
			     (prev && json_string_value(json_object_get(m, "prev")) &&
			      strcmp(prev, json_string_value(json_object_get(m, "prev"))) == 0))) {
			pv_problem(v, "%s: its seq, run or predecessor differs from chain seq %lld", rel, (long long)seq);
		} else {
			v->manifests++;
			/* The facts, line by line, against the manifest. */
			char frel[64];
			snprintf(frel, sizeof(frel), "data/facts/run-%lld.jsonl", (long long)run);
			char *facts = NULL;
			size_t flen = 0;
			int have = read_rel(v, frel, (size_t)1 << 31, &facts, &flen) == 0;
			if (!have)
				pv_problem(v, "%s: missing (run %lld is in the chain, seq %lld)", frel, (long long)run,
					   (long long)seq);
			if (have) {
				if (check_facts(v, frel, facts, flen, json_object_get(m, "facts"), rel) < 0)
					pv_problem(v, "%s: out of memory", frel);
				/* The pages: each blob is there (or pruned) and is what its name says. */
				size_t pi;
				json_t *pg;
				json_array_foreach(json_object_get(m, "pages"), pi, pg)
				{
					const char *ps = json_string_value(json_object_get(pg, "sha256"));
					char brel[128], pat[128];
					snprintf(brel, sizeof(brel), "data/blobs/%s", ps ? ps : "?");
					snprintf(pat, sizeof(pat), "%lld %s\n",
						 (long long)json_integer_value(json_object_get(pg, "id")), ps ? ps : "?");
					uint64_t size = 0;
					char path[4096];
					snprintf(path, sizeof(path), "%s/%s", v->root, brel);
					int r = hash_file(path, hex, &size);
					if (r == -ENOENT && pruned && strstr(pruned, pat)) {
						v->pruned++;
					} else if (r < 0) {
						pv_problem(v, "%s: missing (page %lld of %s)", brel,
							   (long long)json_integer_value(json_object_get(pg, "id")), rel);
					} else if (!ps || strcmp(hex, ps) != 0) {
						pv_problem(v, "%s: changed: it hashes to %s", brel, hex);
					} else {
						v->blobs++;
					}
				}
				free(facts);
			}
		}
		if (sha && strlen(sha) == UTIL_SHA256_HEX_LEN)
			memcpy(last_sha, sha, sizeof(last_sha));
		last_seq = seq;
		if (v->first_seq == 0)
			v->first_seq = seq;
		v->last_seq = seq;
		json_decref(m);
		json_decref(e);
		free(body);
	}
	free(chain);
	free(pruned);
}

/* The timestamp token, when the pack has one: it must verify against the
 * tag manifest up to tsa_ca (or the pack's own tsa-ca.pem). */
static json_t *check_timestamp(struct pv *v, const char *tsa_ca)
{
	char *der = NULL, *tm = NULL, path[4096], err[512], when[TSA_TIME_LEN];
	size_t dlen = 0, tlen = 0;
	if (read_rel(v, "tagmanifest-sha256.txt.tsr", 1u << 20, &der, &dlen) < 0)
		return json_null();
	json_t *ts = json_null();
	if (tsa_ca == NULL && join(path, sizeof(path), v->root, "tsa-ca.pem") == 0)
		tsa_ca = path;
	if (read_rel(v, "tagmanifest-sha256.txt", (size_t)1 << 30, &tm, &tlen) < 0) {
		pv_problem(v, "tagmanifest-sha256.txt.tsr: there is no tag manifest to check it against");
	} else if (tsa_verify((unsigned char *)der, dlen, tm, tlen, tsa_ca, when, err, sizeof(err)) < 0) {
		pv_problem(v, "tagmanifest-sha256.txt.tsr: %s", err);
	} else {
		ts = json_pack("{s:s, s:s}", "time", when, "ca", tsa_ca == path ? "tsa-ca.pem (in the pack)" : tsa_ca);
	}
	free(der);
	free(tm);
	return ts;
}

static int verify_dir(const char *root, const struct chain_key *expect, const char *tsa_ca, json_t **out)
{
	struct pv v = { .root = root, .problems = json_array() };
	char *bagit = NULL;
	size_t len = 0;
	struct chain_key *key = NULL;
	if (read_rel(&v, "bagit.txt", 4096, &bagit, &len) < 0 || strstr(bagit, "BagIt-Version: ") != bagit)
		pv_problem(&v, "bagit.txt: missing or not a BagIt declaration");
	free(bagit);
	struct file_list listed = { 0 }, present = { 0 };
	uint64_t bytes = 0;
	check_manifest(&v, "manifest-sha256.txt", &listed, &bytes);
	check_manifest(&v, "tagmanifest-sha256.txt", NULL, NULL);
	list_files(root, "data", &present);
	for (size_t i = 0; i < present.n; i++)
		if (bsearch(&present.v[i], listed.v, listed.n, sizeof(*listed.v), cmp_str) == NULL)
			pv_problem(&v, "%s: not listed in manifest-sha256.txt (added to the pack)", present.v[i]);
	/* Payload-Oxum */
	char *info = NULL;
	if (read_rel(&v, "bag-info.txt", 65536, &info, &len) == 0) {
		char *ox = strstr(info, "Payload-Oxum: ");
		unsigned long long ob = 0;
		size_t oc = 0;
		if (ox == NULL || sscanf(ox, "Payload-Oxum: %llu.%zu", &ob, &oc) != 2)
			pv_problem(&v, "bag-info.txt: no Payload-Oxum");
		else if (ob != bytes || oc != present.n)
			pv_problem(&v, "bag-info.txt: Payload-Oxum %llu.%zu, the payload is %llu.%zu", ob, oc,
				   (unsigned long long)bytes, present.n);
	} else {
		pv_problem(&v, "bag-info.txt: missing");
	}
	free(info);
	check_chain(&v, expect, &key);
	/* The chain must span what bag-info.txt says it does: a pack whose
	 * last runs were cut off chain.jsonl (and their files removed) fails. */
	if (read_rel(&v, "bag-info.txt", 65536, &info, &len) == 0) {
		char *f = strstr(info, "ISMSD-Chain-First-Seq: "), *l = strstr(info, "ISMSD-Chain-Last-Seq: ");
		long long fs = f ? atoll(f + 23) : -1, ls = l ? atoll(l + 22) : -1;
		if (fs != (long long)v.first_seq || ls != (long long)v.last_seq)
			pv_problem(&v, "bag-info.txt: the chain should run from seq %lld to %lld, data/chain.jsonl has %lld to %lld",
				   fs, ls, (long long)v.first_seq, (long long)v.last_seq);
		free(info);
	}
	json_t *ts = check_timestamp(&v, tsa_ca);
	*out = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:s?, s:o, s:I, s:o}", "ok", v.n == 0, "files", (json_int_t)present.n,
			 "manifests", (json_int_t)v.manifests, "facts", (json_int_t)v.facts, "blobs", (json_int_t)v.blobs,
			 "pruned", (json_int_t)v.pruned, "key_id", key ? chain_key_id(key) : NULL, "timestamp", ts,
			 "problem_count",
			 (json_int_t)v.n, "problems", v.problems);
	chain_key_free(key);
	list_free(&listed);
	list_free(&present);
	return *out ? 0 : -ENOMEM;
}

int pack_verify(const char *path, const struct chain_key *expect, const char *tsa_ca, json_t **out, char *err,
		size_t errlen)
{
	*out = NULL;
	struct stat sb;
	if (stat(path, &sb) < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
		return -e;
	}
	if (S_ISDIR(sb.st_mode))
		return verify_dir(path, expect, tsa_ca, out);
	/* A tar file: extract it into a private directory first. */
	const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/ismsctl-pack.XXXXXX", tmpdir);
	if (mkdtemp(dir) == NULL) {
		int e = errno;
		snprintf(err, errlen, "cannot create a directory in %s: %s", tmpdir, strerror(e));
		return -e;
	}
	int r = tar_extract(path, dir, err, errlen);
	struct file_list top = { 0 };
	if (r == 0) {
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				list_add(&top, e->d_name);
		if (d)
			closedir(d);
		if (top.n != 1) {
			snprintf(err, errlen, "%s: a pack holds one top directory, this one %zu entries", path, top.n);
			r = -EBADMSG;
		}
	}
	if (r == 0) {
		char root[4096];
		r = join(root, sizeof(root), dir, top.v[0]);
		if (r < 0)
			snprintf(err, errlen, "%s: path too long", path);
		else
			r = verify_dir(root, expect, tsa_ca, out);
	}
	list_free(&top);
	rm_tree(dir);
	return r;
}
