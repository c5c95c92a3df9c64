/*
 * chain.c: the tamper-evident evidence chain: signed run manifests in one
 * hash chain, and the verifier that re-hashes the store against them.
 *
 * A manifest is JSON text built here and stored byte for byte:
 *
 *   {"format":"ismsd-manifest/2","seq":12,"prev":"<hex>"|null,"key":"SHA256:<hex>",
 *    "run":{"id":17,"source":"aws-patch","type":"aws-ssm-patch",
 *           "started_at":"...Z","finished_at":"...Z"},
 *    "pages":[{"id":301,"sha256":"<hex>","size":5120,"url":"...","status":200,
 *              "collected_at":"...Z"}],
 *    "facts":[{"page":301|null,"count":50,"sha256":"<hex>"}]}
 *
 * "facts" has one entry per page the run's facts came from (null: facts
 * without a page), in page order: the count, and the SHA-256 of the lines
 * "ID KIND SHA256 OBSERVED\n" of those facts in id order (OBSERVED is RFC
 * 3339 or "-").  A run of a million facts has a manifest of its pages' size.
 *
 * Its SHA-256 is the chain link the next manifest names as "prev", and its
 * Ed25519 signature is over the same bytes.  The verifier checks each stored
 * manifest's hash, signature, position and link, then compares it field by
 * field with what the store holds now, re-hashing every blob and fact.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "chain.h"
#include "util.h"

#define KEY_ID_LEN (7 + UTIL_SHA256_HEX_LEN + 1) /* "SHA256:" + hex + NUL */
#define MAX_PROBLEMS 50
#define MAX_KEY_FILE 16384
#define MANIFEST_MAX ((size_t)1 << 30) /* bounded in practice by [source] max_facts */

struct chain_key {
	EVP_PKEY *pkey;
	int has_private;
	char id[KEY_ID_LEN];
};

/* ---- keys ------------------------------------------------------------------ */

/* No passphrase: without this callback OpenSSL prompts on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int key_finish(struct chain_key *k, char *err, size_t errlen)
{
	unsigned char raw[32];
	size_t n = sizeof(raw);
	if (EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_ED25519 || EVP_PKEY_get_raw_public_key(k->pkey, raw, &n) != 1 ||
	    n != sizeof(raw)) {
		snprintf(err, errlen, "not an Ed25519 key");
		return -EINVAL;
	}
	char hex[UTIL_SHA256_HEX_LEN + 1];
	util_sha256_hex(raw, n, hex);
	snprintf(k->id, sizeof(k->id), "SHA256:%s", hex);
	return 0;
}

int chain_key_from_pem(const char *pem, size_t len, struct chain_key **out, char *err, size_t errlen)
{
	*out = NULL;
	struct chain_key *k = calloc(1, sizeof(*k));
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	if (k == NULL || bio == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	k->pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	if (k->pkey == NULL) {
		snprintf(err, errlen, "not a PEM public key");
		goto fail;
	}
	if (key_finish(k, err, errlen) < 0)
		goto fail;
	BIO_free(bio);
	*out = k;
	return 0;
fail:
	BIO_free(bio);
	chain_key_free(k);
	return -EINVAL;
}

int chain_key_load_public(const char *path, struct chain_key **out, char *err, size_t errlen)
{
	char *pem = NULL;
	size_t len = 0;
	*out = NULL;
	int r = util_read_file(path, MAX_KEY_FILE, &pem, &len);
	if (r < 0) {
		snprintf(err, errlen, "cannot read the public key %s: %s", path, strerror(-r));
		return r;
	}
	char e[256];
	r = chain_key_from_pem(pem, len, out, e, sizeof(e));
	if (r < 0)
		snprintf(err, errlen, "%s: %s", path, e);
	free(pem);
	return r;
}

char *chain_key_public_pem(const struct chain_key *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *out = NULL;
	if (bio == NULL || PEM_write_bio_PUBKEY(bio, key->pkey) != 1)
		goto out;
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);
	if (n > 0 && (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
out:
	BIO_free(bio);
	return out;
}

/* Writes text to path through a temporary file and link(), so that an
 * existing file is never replaced and no reader sees half a key. */
static int write_new_file(const char *path, const char *text, mode_t mode)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	int r = fchmod(fd, mode) < 0 ? -errno : 0;
	if (r == 0)
		r = util_write_all(fd, text, strlen(text));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && link(tmp, path) < 0)
		r = -errno;
	unlink(tmp);
	return r;
}

/* When root makes the key (ismsctl run by an operator before the daemon's
 * first start), it is given to the owner of the state directory, which is
 * the daemon's user, so that the daemon can read it. */
static void chown_like_dir(const char *path)
{
	if (geteuid() != 0)
		return;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	struct stat sb;
	if (stat(dir, &sb) == 0 && (sb.st_uid != 0 || sb.st_gid != 0) && chown(path, sb.st_uid, sb.st_gid) < 0)
		(void)0; /* the daemon then reports that it cannot read the key */
}

static int key_generate(const char *path, char *err, size_t errlen)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	int r = -ENOMEM;
	if (pkey == NULL || bio == NULL || PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
		snprintf(err, errlen, "cannot generate an Ed25519 key");
		goto out;
	}
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);
	if ((pem = strndup(data, (size_t)n)) == NULL)
		goto out;
	r = write_new_file(path, pem, 0600);
	if (r == -EEXIST) {
		r = 0; /* another process made it first: use theirs */
		goto out;
	}
	if (r < 0) {
		snprintf(err, errlen, "cannot write the signing key %s: %s", path, strerror(-r));
		goto out;
	}
	chown_like_dir(path);
	struct chain_key k = { .pkey = pkey, .has_private = 1 };
	char *pub = chain_key_public_pem(&k);
	char pubpath[4096];
	snprintf(pubpath, sizeof(pubpath), "%s%s", path, CHAIN_PUB_SUFFIX);
	unlink(pubpath);
	if (pub == NULL || (r = write_new_file(pubpath, pub, 0644)) < 0) {
		snprintf(err, errlen, "cannot write the public key %s: %s", pubpath, strerror(r < 0 ? -r : ENOMEM));
		r = r < 0 ? r : -ENOMEM;
	} else {
		chown_like_dir(pubpath);
	}
	free(pub);
out:
	if (pem != NULL)
		util_secret_free(pem, strlen(pem));
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return r;
}

int chain_key_load(const char *path, int create, struct chain_key **out, char *err, size_t errlen)
{
	*out = NULL;
	struct stat sb;
	if (lstat(path, &sb) < 0) {
		if (errno != ENOENT || !create) {
			int e = errno;
			snprintf(err, errlen, "cannot read the signing key %s: %s", path, strerror(e));
			return -e;
		}
		int r = key_generate(path, err, errlen);
		if (r < 0)
			return r;
		if (lstat(path, &sb) < 0) {
			int e = errno;
			snprintf(err, errlen, "cannot read the signing key %s: %s", path, strerror(e));
			return -e;
		}
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "the signing key %s is not a regular file", path);
		return -EINVAL;
	}
	if (sb.st_mode & 077) {
		snprintf(err, errlen, "the signing key %s is readable by others (mode 0%03o); it must be 0600", path,
			 (unsigned)(sb.st_mode & 0777));
		return -EPERM;
	}
	char *pem = NULL;
	size_t len = 0;
	int r = util_read_file(path, MAX_KEY_FILE, &pem, &len);
	if (r < 0) {
		snprintf(err, errlen, "cannot read the signing key %s: %s", path, strerror(-r));
		return r;
	}
	struct chain_key *k = calloc(1, sizeof(*k));
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	r = -EINVAL;
	if (k == NULL || bio == NULL) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	k->pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	k->has_private = 1;
	char e[128];
	if (k->pkey == NULL || key_finish(k, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "the signing key %s is not an unencrypted PEM Ed25519 private key", path);
		goto fail;
	}
	BIO_free(bio);
	util_secret_free(pem, len);
	*out = k;
	return 0;
fail:
	BIO_free(bio);
	util_secret_free(pem, len);
	chain_key_free(k);
	return r;
}

void chain_key_free(struct chain_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

const char *chain_key_id(const struct chain_key *key)
{
	return key->id;
}

static char *sign_b64(const struct chain_key *key, const char *body, size_t len)
{
	unsigned char sig[64];
	size_t siglen = sizeof(sig);
	char *out = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestSignInit(md, NULL, NULL, NULL, key->pkey) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)body, len) != 1 || siglen != sizeof(sig))
		goto out;
	out = malloc(4 * ((sizeof(sig) + 2) / 3) + 1);
	if (out != NULL)
		EVP_EncodeBlock((unsigned char *)out, sig, (int)siglen);
out:
	EVP_MD_CTX_free(md);
	return out;
}

int chain_check_signature(const struct chain_key *key, const char *body, size_t len, const char *sig_b64)
{
	unsigned char sig[3 * 88 / 4 + 3];
	if (sig_b64 == NULL || strlen(sig_b64) != 88 || strcmp(sig_b64 + 86, "==") != 0)
		return -EBADMSG;
	if (EVP_DecodeBlock(sig, (const unsigned char *)sig_b64, 88) != 66)
		return -EBADMSG;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestVerifyInit(md, NULL, NULL, NULL, key->pkey) == 1 &&
		 EVP_DigestVerify(md, sig, 64, (const unsigned char *)body, len) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -EBADMSG;
}

/* ---- building a manifest ----------------------------------------------------- */

/* Appends s as a JSON string.  Invalid UTF-8 is replaced by U+FFFD, the
 * same way text_clean() does for the verifier, so both sides agree. */
static int put_str(struct util_buf *b, const char *s)
{
	if (s == NULL)
		return util_buf_append(b, "null", 4);
	int r = util_buf_append(b, "\"", 1);
	const unsigned char *p = (const unsigned char *)s;
	while (r == 0 && *p) {
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			r = util_buf_append(b, e, 2);
			p++;
		} else if (c < 0x20) {
			r = util_buf_printf(b, "\\u%04x", c);
			p++;
		} else if (c < 0x80) {
			r = util_buf_append(b, p, 1);
			p++;
		} else {
			size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
			size_t i = 1;
			while (n && i < n && (p[i] & 0xc0) == 0x80)
				i++;
			if (n == 0 || c > 0xf4 || i != n) {
				r = util_buf_append(b, "\xef\xbf\xbd", 3);
				p += n == 0 ? 1 : i;
			} else {
				r = util_buf_append(b, p, n);
				p += n;
			}
		}
	}
	return r == 0 ? util_buf_append(b, "\"", 1) : r;
}

static int put_time(struct util_buf *b, const struct store_val *v)
{
	if (v->type != STORE_INT)
		return util_buf_append(b, "null", 4);
	char t[UTIL_ISO_TIME_LEN];
	util_time_iso((time_t)v->i, t);
	return util_buf_printf(b, "\"%s\"", t);
}

static int put_int(struct util_buf *b, const struct store_val *v)
{
	if (v->type != STORE_INT)
		return util_buf_append(b, "null", 4);
	return util_buf_printf(b, "%lld", (long long)v->i);
}

struct build {
	struct util_buf *b;
	int n;
	int err;
};

/* One field of a manifest object: its name, the column it comes from and
 * how it is written. */
enum fkind { F_STR, F_INT, F_TIME };
struct field {
	const char *name;
	size_t col;
	enum fkind kind;
};

/* Appends {"name":value,...} (after a comma when x->n > 0 and comma). */
static int put_object(struct build *x, int comma, const struct field *f, size_t nf, const struct store_val *c,
		      size_t n)
{
	int r = util_buf_append(x->b, comma && x->n ? ",{" : "{", comma && x->n ? 2 : 1);
	for (size_t i = 0; r == 0 && i < nf; i++) {
		if (f[i].col >= n)
			return -EINVAL;
		const struct store_val *v = &c[f[i].col];
		r = util_buf_printf(x->b, "%s\"%s\":", i ? "," : "", f[i].name);
		if (r == 0)
			r = f[i].kind == F_TIME  ? put_time(x->b, v)
			    : f[i].kind == F_INT ? put_int(x->b, v)
						 : put_str(x->b, v->type == STORE_TEXT ? v->s : NULL);
	}
	r = r ? r : util_buf_append(x->b, "}", 1);
	x->n++;
	return r;
}

static const struct field run_fields[] = {
	{ "id", 0, F_INT },	    { "source", 1, F_STR },	  { "type", 2, F_STR },
	{ "started_at", 3, F_TIME }, { "finished_at", 4, F_TIME },
};
static const struct field page_fields[] = {
	{ "id", 0, F_INT },  { "sha256", 1, F_STR },	{ "size", 5, F_INT },
	{ "url", 2, F_STR }, { "status", 3, F_INT }, { "collected_at", 4, F_TIME },
};

#define N_FIELDS(a) (sizeof(a) / sizeof((a)[0]))

static int row_run(void *arg, const struct store_val *c, size_t n)
{
	struct build *x = arg;
	int r = util_buf_append(x->b, "\"run\":", 6);
	return r ? r : put_object(x, 0, run_fields, N_FIELDS(run_fields), c, n);
}

static int row_page(void *arg, const struct store_val *c, size_t n)
{
	return put_object(arg, 1, page_fields, N_FIELDS(page_fields), c, n);
}

/*
 * The facts of a run, grouped by the page they came from (0: none), each
 * group as its count and the SHA-256 of its lines "ID KIND SHA256 OBSERVED\n"
 * in id order.  A manifest names these groups, not each fact, so that it
 * stays small (a page's worth of lines per page) whatever the run's size,
 * and the sealer never holds more than one group in memory.
 */
struct fgroup {
	int64_t page, n;
	char sha[UTIL_SHA256_HEX_LEN + 1];
};

struct verify;
static void fact_edited(struct verify *v, const struct store_val *c, const char *now_hash);

struct fgroups {
	struct fgroup *v;
	size_t n, cap;
	EVP_MD_CTX *md; /* the open group's, or NULL */
	struct verify *check; /* when verifying: hash the payload (column 5) and name edited facts */
	int64_t facts;
};

static int fgroups_close(struct fgroups *g)
{
	if (g->md == NULL)
		return 0;
	unsigned char d[32];
	unsigned dl = 0;
	int ok = EVP_DigestFinal_ex(g->md, d, &dl) == 1;
	EVP_MD_CTX_free(g->md);
	g->md = NULL;
	if (!ok)
		return -EIO;
	util_hex(d, 32, g->v[g->n - 1].sha);
	return 0;
}

static void fgroups_free(struct fgroups *g)
{
	EVP_MD_CTX_free(g->md);
	free(g->v);
	memset(g, 0, sizeof(*g));
}

/* Columns: id, kind, sha256, observed_at, page (0 for none)[, payload]. */
static int row_fgroup(void *arg, const struct store_val *c, size_t n)
{
	struct fgroups *g = arg;
	if (n < 5 + (g->check != NULL))
		return -EINVAL;
	int64_t page = c[4].i;
	if (g->md == NULL || g->v[g->n - 1].page != page) {
		int r = fgroups_close(g);
		if (r < 0)
			return r;
		if (g->n == g->cap) {
			size_t cap = g->cap ? g->cap * 2 : 16;
			struct fgroup *v = realloc(g->v, cap * sizeof(*v));
			if (v == NULL)
				return -ENOMEM;
			g->v = v;
			g->cap = cap;
		}
		memset(&g->v[g->n], 0, sizeof(g->v[0]));
		g->v[g->n++].page = page;
		if ((g->md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(g->md, EVP_sha256(), NULL) != 1)
			return -ENOMEM;
	}
	const char *sha = c[2].type == STORE_TEXT ? c[2].s : "-";
	char hash[UTIL_SHA256_HEX_LEN + 1];
	if (g->check != NULL) {
		/* the content as it is now, not the hash recorded beside it */
		util_sha256_hex(c[5].type == STORE_TEXT ? c[5].s : "", c[5].type == STORE_TEXT ? c[5].len : 0, hash);
		if (strcmp(hash, sha) != 0)
			fact_edited(g->check, c, hash);
		sha = hash;
	}
	char t[UTIL_ISO_TIME_LEN] = "-", line[512];
	if (c[3].type == STORE_INT)
		util_time_iso((time_t)c[3].i, t);
	int k = snprintf(line, sizeof(line), "%lld %s %s %s\n", (long long)c[0].i,
			 c[1].type == STORE_TEXT ? c[1].s : "-", sha, t);
	if (k < 0 || (size_t)k >= sizeof(line) || EVP_DigestUpdate(g->md, line, (size_t)k) != 1)
		return -EIO;
	g->v[g->n - 1].n++;
	g->facts++;
	return 0;
}

#define SQL_FGROUPS_COLS "SELECT id, kind, sha256, observed_at, coalesce(page_id, 0)"
#define SQL_FGROUPS_FROM " FROM evidence WHERE run_id = ? AND kind != 'raw.page' ORDER BY coalesce(page_id, 0), id"

/* Groups the run's facts (when verifying, from their content). */
static int fgroups_read(struct store *st, int64_t run_id, struct fgroups *g)
{
	struct store_val a = STORE_V_INT(run_id);
	int r = store_query(st,
			    g->check ? SQL_FGROUPS_COLS ", payload" SQL_FGROUPS_FROM : SQL_FGROUPS_COLS SQL_FGROUPS_FROM,
			    &a, 1, row_fgroup, g, NULL);
	return r ? r : fgroups_close(g);
}

#define SQL_RUN "SELECT id, source, type, started_at, finished_at FROM runs WHERE id = ?"
#define SQL_PAGES                                                                                                     \
	"SELECT e.id, e.sha256, e.url, e.http_status, e.collected_at, b.size FROM evidence e"                         \
	" LEFT JOIN blobs b ON b.sha256 = e.blob_sha256 WHERE e.run_id = ? AND e.kind = 'raw.page' ORDER BY e.id"

/* Builds the manifest of run_id at seq after prev (NULL for the first). */
static int build_body(struct store *st, int64_t run_id, int64_t seq, const char *prev, const char *key_id,
		      struct util_buf *b)
{
	struct store_val arg = STORE_V_INT(run_id);
	struct build x = { .b = b };
	int r = util_buf_printf(b, "{\"format\":\"%s\",\"seq\":%lld,\"prev\":", CHAIN_FORMAT, (long long)seq);
	r = r ? r : put_str(b, prev);
	r = r ? r : util_buf_append(b, ",\"key\":", 7);
	r = r ? r : put_str(b, key_id);
	r = r ? r : util_buf_append(b, ",", 1);
	r = r ? r : store_query(st, SQL_RUN, &arg, 1, row_run, &x, NULL);
	if (r == 0 && x.n != 1)
		r = -ENOENT;
	x.n = 0;
	r = r ? r : util_buf_append(b, ",\"pages\":[", 10);
	r = r ? r : store_query(st, SQL_PAGES, &arg, 1, row_page, &x, NULL);
	r = r ? r : util_buf_append(b, "],\"facts\":[", 11);
	struct fgroups g = { 0 };
	r = r ? r : fgroups_read(st, run_id, &g);
	for (size_t i = 0; r == 0 && i < g.n; i++) {
		if (g.v[i].page)
			r = util_buf_printf(b, "%s{\"page\":%lld,\"count\":%lld,\"sha256\":\"%s\"}", i ? "," : "",
					    (long long)g.v[i].page, (long long)g.v[i].n, g.v[i].sha);
		else
			r = util_buf_printf(b, "%s{\"page\":null,\"count\":%lld,\"sha256\":\"%s\"}", i ? "," : "",
					    (long long)g.v[i].n, g.v[i].sha);
	}
	fgroups_free(&g);
	r = r ? r : util_buf_append(b, "]}", 2);
	return r;
}

struct head {
	int64_t seq;
	char sha256[UTIL_SHA256_HEX_LEN + 1];
};

static int row_head(void *arg, const struct store_val *c, size_t n)
{
	struct head *h = arg;
	if (n < 2 || c[1].type != STORE_TEXT)
		return -EINVAL;
	h->seq = c[0].i;
	snprintf(h->sha256, sizeof(h->sha256), "%s", c[1].s);
	return 0;
}

int chain_head(struct store *st, int64_t *seq, char sha256[65])
{
	struct head h = { 0 };
	int r = store_query(st, "SELECT seq, sha256 FROM manifests ORDER BY seq DESC LIMIT 1", NULL, 0, row_head, &h,
			    NULL);
	*seq = h.seq;
	memcpy(sha256, h.sha256, sizeof(h.sha256));
	return r;
}

/* The sealer: appends run_id's manifest to the chain (in the caller's
 * transaction). */
static int seal(struct store *st, int64_t run_id, void *arg)
{
	const struct chain_key *key = arg;
	struct head h = { 0 };
	struct util_buf b;
	util_buf_init(&b, MANIFEST_MAX);
	char *sig = NULL;
	int r = chain_head(st, &h.seq, h.sha256);
	if (r == 0)
		r = build_body(st, run_id, h.seq + 1, h.seq ? h.sha256 : NULL, key->id, &b);
	if (r < 0)
		goto out;
	size_t len = 0;
	char *body = util_buf_take(&b, &len);
	char hash[UTIL_SHA256_HEX_LEN + 1];
	util_sha256_hex(body, len, hash);
	sig = sign_b64(key, body, len);
	if (sig == NULL) {
		free(body);
		r = -EIO;
		goto out;
	}
	struct store_val args[] = { STORE_V_INT(h.seq + 1), STORE_V_INT(run_id), STORE_V_TEXT(hash),
				    STORE_V_TEXT(h.seq ? h.sha256 : NULL), STORE_V_TEXT(key->id), STORE_V_TEXT(sig),
				    STORE_V_TEXT(body) };
	r = store_query(st,
			"INSERT INTO manifests(seq, run_id, sha256, prev_sha256, key_id, signature, body)"
			" VALUES (?, ?, ?, ?, ?, ?, ?)",
			args, 7, NULL, NULL, NULL);
	free(body);
out:
	free(sig);
	util_buf_free(&b);
	return r;
}

static int row_int(void *arg, const struct store_val *c, size_t n)
{
	if (n >= 1)
		*(int64_t *)arg = c[0].i;
	return 0;
}

struct id_list {
	int64_t *v;
	size_t n, cap;
};

static int row_id(void *arg, const struct store_val *c, size_t n)
{
	struct id_list *l = arg;
	if (n < 1)
		return -EINVAL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		int64_t *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = c[0].i;
	return 0;
}

int chain_attach(struct store *st, struct chain_key *key, int *backlog, char *err, size_t errlen)
{
	if (backlog)
		*backlog = 0;
	if (!key->has_private) {
		snprintf(err, errlen, "the evidence chain needs the private signing key");
		return -EINVAL;
	}
	int64_t genesis = 0;
	int r = store_query(st, "SELECT count(*) FROM chain_genesis", NULL, 0, row_int, &genesis, NULL);
	if (r == 0 && genesis != 0) {
		/* The chain was started with one key: a different one (a lost key
		 * replaced by a new one) would make every manifest unverifiable. */
		struct store_val k = STORE_V_TEXT(key->id);
		int64_t same = 0;
		r = store_query(st, "SELECT count(*) FROM chain_genesis WHERE key_id = ?", &k, 1, row_int, &same, NULL);
		if (r == 0 && !same) {
			snprintf(err, errlen,
				 "the evidence chain in this store was started with another signing key than %s; restore the"
				 " original key file (see ismsd(8), THE EVIDENCE CHAIN) or start a new store",
				 key->id);
			return -EKEYREJECTED;
		}
	}
	if (r == 0 && genesis == 0) {
		/* The first start with a chain: seal what is already there, in
		 * one transaction with the genesis record. */
		struct id_list l = { 0 };
		r = store_begin(st);
		if (r == 0)
			r = store_query(st, "SELECT count(*) FROM chain_genesis", NULL, 0, row_int, &genesis, NULL);
		if (r == 0 && genesis == 0) {
			r = store_query(st,
					"SELECT id FROM runs WHERE outcome = 'success' AND id NOT IN"
					" (SELECT run_id FROM manifests) ORDER BY finished_at, id",
					NULL, 0, row_id, &l, NULL);
			for (size_t i = 0; r == 0 && i < l.n; i++)
				r = seal(st, l.v[i], key);
			struct store_val a[] = { STORE_V_INT((int64_t)util_now()), STORE_V_TEXT(key->id),
						 STORE_V_INT((int64_t)l.n) };
			if (r == 0)
				r = store_query(st,
						"INSERT INTO chain_genesis(id, created_at, key_id, backlog) VALUES (1, ?, ?, ?)",
						a, 3, NULL, NULL, NULL);
		}
		if (r == 0)
			r = store_commit(st);
		else
			store_rollback(st);
		if (r == 0 && backlog)
			*backlog = (int)l.n;
		free(l.v);
	}
	if (r < 0) {
		snprintf(err, errlen, "cannot start the evidence chain: %s", store_errmsg(st));
		return r;
	}
	store_set_sealer(st, seal, key);
	return 0;
}

/* ---- reading manifests ------------------------------------------------------- */

static int row_manifest(void *arg, const struct store_val *c, size_t n)
{
	struct chain_manifest *m = arg;
	if (n < 7 || c[2].type != STORE_TEXT || c[6].type != STORE_TEXT)
		return -EINVAL;
	m->seq = c[0].i;
	m->run_id = c[1].i;
	snprintf(m->sha256, sizeof(m->sha256), "%s", c[2].s);
	m->prev_sha256 = c[3].type == STORE_TEXT ? strdup(c[3].s) : NULL;
	m->key_id = c[4].type == STORE_TEXT ? strdup(c[4].s) : NULL;
	m->signature = c[5].type == STORE_TEXT ? strdup(c[5].s) : NULL;
	m->body = malloc(c[6].len + 1);
	if (m->body == NULL)
		return -ENOMEM;
	memcpy(m->body, c[6].s, c[6].len);
	m->body[c[6].len] = '\0';
	m->body_len = c[6].len;
	return 1;
}

#define SQL_MANIFEST_COLS "seq, run_id, sha256, prev_sha256, key_id, signature, body"

int chain_manifest_get(struct store *st, int64_t run_id, struct chain_manifest *m)
{
	memset(m, 0, sizeof(*m));
	struct store_val a = STORE_V_INT(run_id);
	int r = store_query(st, "SELECT " SQL_MANIFEST_COLS " FROM manifests WHERE run_id = ?", &a, 1, row_manifest,
			    m, NULL);
	if (r == 1)
		return 0;
	chain_manifest_clear(m);
	return r < 0 ? r : -ENOENT;
}

void chain_manifest_clear(struct chain_manifest *m)
{
	free(m->prev_sha256);
	free(m->key_id);
	free(m->signature);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

/* ---- verification ------------------------------------------------------------ */

struct verify {
	struct store *st;
	const struct chain_key *pub;
	json_t *problems;
	size_t n_problems;
	int64_t manifests, pages, pruned, facts;
	/* the previous manifest in the walk */
	int64_t last_seq, last_run;
	char last_sha[UTIL_SHA256_HEX_LEN + 1];
	/* the manifest being compared */
	int64_t seq, run;
	const char *source;
	json_t *list; /* its pages or facts */
	size_t next;  /* the next entry of list to match */
	int changed;  /* a difference was reported for this run already */
	time_t pruned_before; /* retention: pages collected before it may have lost their bytes */
	int64_t named[64];    /* pages of the run with a fact already named as edited */
	size_t n_named;
};

static void problem(struct verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct verify *v, const char *fmt, ...)
{
	v->n_problems++;
	if (json_array_size(v->problems) >= MAX_PROBLEMS)
		return;
	char what[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	json_t *p = json_object();
	json_object_set_new(p, "seq", v->seq ? json_integer(v->seq) : json_null());
	json_object_set_new(p, "run", v->run ? json_integer(v->run) : json_null());
	json_object_set_new(p, "source", v->source ? json_string(v->source) : json_null());
	json_object_set_new(p, "what", json_string(what));
	json_array_append_new(v->problems, p);
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s;
}

/* Equal strings, NULL equal to NULL. */
static int same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* A DB value as the manifest would have it (times as RFC 3339, text with
 * invalid UTF-8 replaced), for comparing with a manifest field. */
static char *as_manifest(const struct store_val *c, int is_time)
{
	struct util_buf b;
	util_buf_init(&b, 1u << 20);
	int r = is_time ? put_time(&b, c) : c->type == STORE_TEXT ? put_str(&b, c->s) : put_int(&b, c);
	size_t len = 0;
	char *txt = r == 0 ? util_buf_take(&b, &len) : NULL;
	util_buf_free(&b);
	if (txt == NULL)
		return NULL;
	json_t *j = json_loadb(txt, len, JSON_DECODE_ANY, NULL);
	free(txt);
	char *out = NULL;
	if (json_is_string(j))
		out = strdup(json_string_value(j));
	else if (json_is_integer(j) && asprintf(&out, "%lld", (long long)json_integer_value(j)) < 0)
		out = NULL;
	json_decref(j);
	return out;
}

/* Compares a manifest field with a DB column; names it when they differ. */
static int field_differs(const json_t *m, const char *key, const struct store_val *c, int is_time, char *desc,
			 size_t desclen)
{
	const json_t *f = json_object_get(m, key);
	char *want = NULL;
	if (json_is_string(f))
		want = strdup(json_string_value(f));
	else if (json_is_integer(f) && asprintf(&want, "%lld", (long long)json_integer_value(f)) < 0)
		want = NULL;
	char *have = c->type == STORE_NULL ? NULL : as_manifest(c, is_time);
	int d = !same(want, have);
	if (d)
		snprintf(desc, desclen, "%s is %s, the manifest has %s", key, have ? have : "null", want ? want : "null");
	free(want);
	free(have);
	return d;
}

static void report_missing_before(struct verify *v, int64_t id, const char *what)
{
	/* Entries of the manifest with ids below id have no row any more. */
	while (v->next < json_array_size(v->list)) {
		const json_t *e = json_array_get(v->list, v->next);
		json_int_t mid = json_integer_value(json_object_get(e, "id"));
		if (id != 0 && mid >= id)
			break;
		problem(v, "%s %lld (%s) was deleted", what, (long long)mid,
			jstr(e, strcmp(what, "fact") == 0 ? "kind" : "sha256") ?: "?");
		v->changed = 1;
		v->next++;
	}
}

/* Columns: id, sha256, url, http_status, collected_at, blob_sha256, the body
 * as received (NULL when its blob is missing or does not decode), and whether
 * the blob row exists. */
static int verify_page(void *arg, const struct store_val *c, size_t n)
{
	struct verify *v = arg;
	if (n < 8)
		return -EINVAL;
	v->pages++;
	report_missing_before(v, c[0].i, "page");
	const json_t *m = json_array_get(v->list, v->next);
	if (m == NULL || json_integer_value(json_object_get(m, "id")) != c[0].i) {
		problem(v, "page %lld was added after the run was sealed", (long long)c[0].i);
		return 0;
	}
	v->next++;
	const char *want = jstr(m, "sha256");
	char desc[600];
	if (c[5].type == STORE_NULL) {
		/* retention pruned the bytes; the hash stays on record.  A page
		 * younger than the retention period cannot have been pruned. */
		if (c[4].type == STORE_INT && (time_t)c[4].i >= v->pruned_before) {
			char t[UTIL_ISO_TIME_LEN];
			util_time_iso((time_t)c[4].i, t);
			problem(v, "page %lld: its bytes are gone, but it was collected %s, within the retention period",
				(long long)c[0].i, t);
			return 0;
		}
		v->pruned++;
	} else if (c[6].type != STORE_TEXT && c[7].i) {
		/* a compressed blob whose frame no longer decodes */
		problem(v, "page %lld: the bytes of blob %s were changed (they no longer decode)", (long long)c[0].i,
			want ? want : "?");
		return 0;
	} else if (c[6].type != STORE_TEXT) {
		problem(v, "page %lld: its blob %s is missing", (long long)c[0].i, want ? want : "?");
		return 0;
	} else {
		char hash[UTIL_SHA256_HEX_LEN + 1];
		util_sha256_hex(c[6].s, c[6].len, hash);
		if (!same(hash, want)) {
			problem(v, "page %lld: the bytes of blob %s were changed (they now hash to %s)",
				(long long)c[0].i, want ? want : "?", hash);
			return 0;
		}
	}
	if (field_differs(m, "sha256", &c[1], 0, desc, sizeof(desc)) ||
	    field_differs(m, "url", &c[2], 0, desc, sizeof(desc)) ||
	    field_differs(m, "status", &c[3], 0, desc, sizeof(desc)) ||
	    field_differs(m, "collected_at", &c[4], 1, desc, sizeof(desc)))
		problem(v, "page %lld was edited: %s", (long long)c[0].i, desc);
	return 0;
}

/* A fact whose content no longer matches its recorded hash: named here,
 * and its page's group is not reported again. */
static void fact_edited(struct verify *v, const struct store_val *c, const char *now_hash)
{
	problem(v, "fact %lld (%s) was edited: its content now hashes to %s, its recorded hash is %s", (long long)c[0].i,
		c[1].type == STORE_TEXT ? c[1].s : "?", now_hash, c[2].type == STORE_TEXT ? c[2].s : "none");
	if (v->n_named < sizeof(v->named) / sizeof(v->named[0]))
		v->named[v->n_named++] = c[4].i;
}

static int named(const struct verify *v, int64_t page)
{
	for (size_t i = 0; i < v->n_named; i++)
		if (v->named[i] == page)
			return 1;
	return 0;
}

/* Compares the store's fact groups with the manifest's. */
static void compare_groups(struct verify *v, const struct fgroups *g, const json_t *list)
{
	size_t i = 0, k = 0, nm = json_array_size(list);
	while (i < g->n || k < nm) {
		const json_t *m = json_array_get(list, k);
		int64_t mp = m ? (int64_t)json_integer_value(json_object_get(m, "page")) : INT64_MAX;
		int64_t dp = i < g->n ? g->v[i].page : INT64_MAX;
		char where[64];
		int64_t p = dp < mp ? dp : mp;
		if (p)
			snprintf(where, sizeof(where), "page %lld", (long long)p);
		else
			snprintf(where, sizeof(where), "no page");
		if (dp < mp) {
			if (!named(v, dp))
				problem(v, "facts were added after the run was sealed: %lld of %s", (long long)g->v[i].n, where);
			i++;
		} else if (mp < dp) {
			problem(v, "the %lld facts of %s were deleted", (long long)json_integer_value(json_object_get(m, "count")),
				where);
			k++;
		} else {
			json_int_t want = json_integer_value(json_object_get(m, "count"));
			const char *wsha = jstr(m, "sha256");
			if ((want != g->v[i].n || !same(wsha, g->v[i].sha)) && !named(v, dp))
				problem(v, "the facts of %s were changed, added or removed: %lld facts now hash to %s;"
					   " sealed: %lld facts, %s",
					where, (long long)g->v[i].n, g->v[i].sha, (long long)want, wsha ? wsha : "?");
			i++;
			k++;
		}
	}
}

struct run_row {
	int found;
	char *source, *type, *outcome;
	struct store_val started, finished;
};

static int row_run_check(void *arg, const struct store_val *c, size_t n)
{
	struct run_row *r = arg;
	if (n < 5)
		return -EINVAL;
	r->found = 1;
	r->source = c[0].type == STORE_TEXT ? strdup(c[0].s) : NULL;
	r->type = c[1].type == STORE_TEXT ? strdup(c[1].s) : NULL;
	r->outcome = c[2].type == STORE_TEXT ? strdup(c[2].s) : NULL;
	r->started = c[3];
	r->finished = c[4];
	return 0;
}

/* Compares the store's run, pages and facts with the parsed manifest. */
static int verify_run(struct verify *v, const json_t *body)
{
	const json_t *run = json_object_get(body, "run");
	struct run_row rr = { 0 };
	struct store_val a = STORE_V_INT(v->run);
	int r = store_query(v->st, "SELECT source, type, outcome, started_at, finished_at FROM runs WHERE id = ?", &a,
			    1, row_run_check, &rr, NULL);
	if (r < 0)
		goto out;
	if (!rr.found) {
		problem(v, "run %lld was deleted from the store (its manifest, seq %lld, remains)", (long long)v->run,
			(long long)v->seq);
		goto out;
	}
	char desc[600];
	struct store_val src = STORE_V_TEXT(rr.source), type = STORE_V_TEXT(rr.type);
	if (!same(rr.outcome, "success"))
		problem(v, "run %lld is now marked %s, but it was committed", (long long)v->run,
			rr.outcome ? rr.outcome : "?");
	else if (field_differs(run, "source", &src, 0, desc, sizeof(desc)) ||
		 field_differs(run, "type", &type, 0, desc, sizeof(desc)) ||
		 field_differs(run, "started_at", &rr.started, 1, desc, sizeof(desc)) ||
		 field_differs(run, "finished_at", &rr.finished, 1, desc, sizeof(desc)))
		problem(v, "run %lld was edited: %s", (long long)v->run, desc);

	v->list = json_object_get(body, "pages");
	v->next = 0;
	r = store_query(v->st,
			"SELECT e.id, e.sha256, e.url, e.http_status, e.collected_at, e.blob_sha256,"
			" ismsd_blob_or_null(b.data, b.codec, b.size), b.sha256 IS NOT NULL"
			" FROM evidence e LEFT JOIN blobs b ON b.sha256 = e.blob_sha256"
			" WHERE e.run_id = ? AND e.kind = 'raw.page' ORDER BY e.id",
			&a, 1, verify_page, v, NULL);
	if (r == 0)
		report_missing_before(v, 0, "page");
	struct fgroups g = { .check = v };
	v->n_named = 0;
	if (r == 0)
		r = fgroups_read(v->st, v->run, &g);
	if (r == 0)
		compare_groups(v, &g, json_object_get(body, "facts"));
	v->facts += g.facts;
	fgroups_free(&g);
out:
	free(rr.source);
	free(rr.type);
	free(rr.outcome);
	return r;
}

/* Columns: SQL_MANIFEST_COLS. */
static int verify_manifest(void *arg, const struct store_val *c, size_t n)
{
	struct verify *v = arg;
	if (n < 7 || c[6].type != STORE_TEXT)
		return -EINVAL;
	v->manifests++;
	v->seq = c[0].i;
	v->run = c[1].i;
	v->source = NULL;
	const char *body = c[6].s;
	size_t len = c[6].len;
	json_t *j = json_loadb(body, len, 0, NULL);
	const json_t *run = json_object_get(j, "run");
	v->source = jstr(run, "source");
	int r = 0;

	char hash[UTIL_SHA256_HEX_LEN + 1];
	util_sha256_hex(body, len, hash);
	const char *stored = c[2].type == STORE_TEXT ? c[2].s : "";
	const char *prev = c[3].type == STORE_TEXT ? c[3].s : NULL;
	if (!same(hash, stored)) {
		problem(v, "the manifest of run %lld (seq %lld) was edited: it now hashes to %s, recorded %s",
			(long long)v->run, (long long)v->seq, hash, stored);
	} else if (chain_check_signature(v->pub, body, len, c[5].type == STORE_TEXT ? c[5].s : NULL) < 0) {
		problem(v, "the signature of the manifest of run %lld (seq %lld) does not verify with key %s%s%s",
			(long long)v->run, (long long)v->seq, v->pub->id, c[4].type == STORE_TEXT ? "; it names key " : "",
			c[4].type == STORE_TEXT ? c[4].s : "");
	} else if (j == NULL || !json_is_object(run) || !same(jstr(j, "format"), CHAIN_FORMAT)) {
		problem(v, "the manifest of run %lld (seq %lld) is not a manifest this ismsd reads", (long long)v->run,
			(long long)v->seq);
	} else if (json_integer_value(json_object_get(j, "seq")) != v->seq) {
		problem(v, "runs were re-ordered: position %lld of the chain holds the manifest of run %lld, which was sealed as seq %lld",
			(long long)v->seq, (long long)v->run, (long long)json_integer_value(json_object_get(j, "seq")));
	} else if (json_integer_value(json_object_get(run, "id")) != v->run) {
		problem(v, "the manifest at seq %lld belongs to run %lld, but is filed under run %lld", (long long)v->seq,
			(long long)json_integer_value(json_object_get(run, "id")), (long long)v->run);
	} else if (v->seq != v->last_seq + 1) {
		/* The deleted runs are unknown: name the links on either side. */
		int64_t run_id = v->run;
		v->run = 0;
		v->source = NULL;
		if (v->last_seq == 0)
			problem(v, "the chain starts at seq %lld (run %lld): the manifests of seq 1 to %lld were deleted, and their runs with them",
				(long long)v->seq, (long long)run_id, (long long)v->seq - 1);
		else if (v->seq - v->last_seq == 2)
			problem(v, "a run was deleted: the manifest of seq %lld is missing between seq %lld (run %lld) and seq %lld (run %lld)",
				(long long)v->last_seq + 1, (long long)v->last_seq, (long long)v->last_run,
				(long long)v->seq, (long long)run_id);
		else
			problem(v, "runs were deleted: the manifests of seq %lld to %lld are missing between seq %lld (run %lld) and seq %lld (run %lld)",
				(long long)v->last_seq + 1, (long long)v->seq - 1, (long long)v->last_seq,
				(long long)v->last_run, (long long)v->seq, (long long)run_id);
		v->run = run_id;
	} else if (!same(jstr(j, "prev"), v->last_seq ? v->last_sha : NULL) || !same(prev, jstr(j, "prev"))) {
		problem(v, "the chain is broken at seq %lld (run %lld): it names predecessor %s, but seq %lld hashes to %s",
			(long long)v->seq, (long long)v->run, jstr(j, "prev") ?: "none", (long long)v->last_seq,
			v->last_seq ? v->last_sha : "nothing");
	} else {
		r = verify_run(v, j);
	}
	/* The next link is checked against the recorded hash, so that an
	 * edited manifest is reported once, not again at its successor. */
	v->last_seq = v->seq;
	v->last_run = v->run;
	snprintf(v->last_sha, sizeof(v->last_sha), "%s", stored);
	v->source = NULL;
	json_decref(j);
	return r;
}

static int row_unsealed(void *arg, const struct store_val *c, size_t n)
{
	struct verify *v = arg;
	if (n < 2)
		return -EINVAL;
	v->seq = 0;
	v->run = c[0].i;
	v->source = c[1].type == STORE_TEXT ? c[1].s : NULL;
	problem(v, "run %lld was committed but is not in the chain (it was added, or its manifest deleted)",
		(long long)c[0].i);
	v->source = NULL;
	return 0;
}

int chain_verify(struct store *st, const struct chain_key *pub, time_t pruned_before, json_t **out)
{
	*out = NULL;
	struct verify v = { .st = st, .pub = pub, .pruned_before = pruned_before, .problems = json_array() };
	if (v.problems == NULL)
		return -ENOMEM;
	int64_t genesis = 0;
	int r = store_query(st, "SELECT count(*) FROM chain_genesis", NULL, 0, row_int, &genesis, NULL);
	if (r == 0)
		r = store_query(st, "SELECT " SQL_MANIFEST_COLS " FROM manifests ORDER BY seq", NULL, 0, verify_manifest,
				&v, NULL);
	if (r == 0 && genesis && v.manifests == 0) {
		int64_t runs = 0;
		r = store_query(st, "SELECT count(*) FROM runs WHERE outcome = 'success'", NULL, 0, row_int, &runs, NULL);
		if (r == 0 && runs > 0)
			problem(&v, "the chain was started, but every manifest was deleted");
	}
	if (r == 0 && !genesis) {
		/* A store from before the chain, not yet opened by a daemon that
		 * has one: nothing is sealed, and nothing was tampered with. */
		int64_t runs = 0;
		r = store_query(st, "SELECT count(*) FROM runs WHERE outcome = 'success'", NULL, 0, row_int, &runs, NULL);
		if (r == 0 && runs > 0)
			problem(&v, "the evidence chain has not started: ismsd seals the %lld committed run(s) at its next start",
				(long long)runs);
	} else if (r == 0) {
		r = store_query(st,
				"SELECT id, source FROM runs WHERE outcome = 'success' AND id NOT IN"
				" (SELECT run_id FROM manifests) ORDER BY id",
				NULL, 0, row_unsealed, &v, NULL);
	}
	if (r < 0) {
		json_decref(v.problems);
		return r;
	}
	json_t *head = v.last_seq ? json_pack("{s:I, s:s}", "seq", (json_int_t)v.last_seq, "sha256", v.last_sha)
				  : json_null();
	*out = json_pack("{s:b, s:I, s:I, s:I, s:I, s:s, s:b, s:o, s:I, s:o, s:b}", "ok", v.n_problems == 0,
			 "manifests", (json_int_t)v.manifests, "pages", (json_int_t)v.pages, "pages_pruned",
			 (json_int_t)v.pruned, "facts", (json_int_t)v.facts, "key_id", pub->id, "chain_started",
			 genesis != 0, "head", head, "problem_count", (json_int_t)v.n_problems, "problems", v.problems,
			 "truncated", v.n_problems > json_array_size(v.problems));
	return *out ? 0 : -ENOMEM;
}
