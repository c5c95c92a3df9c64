/*
 * chain.h: the tamper-evident evidence chain.
 *
 * Every committed run gets a manifest: the run's id, source, type and times,
 * the SHA-256 of each raw page it stored, and for the facts of each page
 * their count and the SHA-256 of their lines (id, kind, SHA-256, observed
 * time), so that a manifest stays small however large the run.  The
 * manifest names the SHA-256 of the manifest committed before it, so the
 * manifests form one hash chain in commit order, and each is signed with the
 * daemon's Ed25519 key.  chain_verify() re-hashes the evidence, walks the
 * chain and checks the signatures, and names the first broken link.
 *
 * The manifest is written in the run's commit transaction (a store sealer),
 * so a run is never visible without its manifest.  Manifests are JSON text,
 * stored byte for byte; their hash and signature are over those bytes.
 */
#ifndef ISMSD_CHAIN_H
#define ISMSD_CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "store.h"

#define CHAIN_KEY_FILE "manifest-signing.key" /* in the state directory */
#define CHAIN_PUB_SUFFIX ".pub"                /* the public key beside it */
#define CHAIN_FORMAT "ismsd-manifest/2"

struct chain_key;

/*
 * Loads the Ed25519 private key at path (PKCS#8 PEM).  With create, a
 * missing key is generated and written mode 0600 (and the public key, PEM,
 * mode 0644, at path + ".pub").  A key file readable by group or others is
 * refused.  Returns 0, or a negative errno with a message in err.
 */
int chain_key_load(const char *path, int create, struct chain_key **out, char *err, size_t errlen);

/* Loads a public key (PEM SubjectPublicKeyInfo) for verification only. */
int chain_key_load_public(const char *path, struct chain_key **out, char *err, size_t errlen);
/* The same from PEM text in memory. */
int chain_key_from_pem(const char *pem, size_t len, struct chain_key **out, char *err, size_t errlen);

void chain_key_free(struct chain_key *key);

/* "SHA256:<hex of the raw 32-byte public key>". */
const char *chain_key_id(const struct chain_key *key);

/* The public key as PEM (malloc'd, NUL-terminated). */
char *chain_key_public_pem(const struct chain_key *key);

/*
 * Makes st seal every run it commits with key (which must outlive st's use).
 * When the store has no chain yet, the runs committed before it are sealed
 * first, in run order, and the chain's start is recorded; *backlog (may be
 * NULL) receives their number.  A store whose chain was started with
 * another key is refused (-EKEYREJECTED): there is no key rotation.
 */
int chain_attach(struct store *st, struct chain_key *key, int *backlog, char *err, size_t errlen);

/* Verifies a manifest's signature (raw base64 signature text). */
int chain_check_signature(const struct chain_key *key, const char *body, size_t len, const char *sig_b64);

/*
 * Verifies the whole store against the chain (see the file comment).  A
 * page without its bytes counts as pruned by retention when it was
 * collected before pruned_before, and as a problem otherwise.  *out
 * receives an object: {ok, manifests, pages, pages_pruned, facts, key_id,
 * chain_started, head: {seq, sha256} | null, problem_count, problems:
 * [{seq, run, source, what}], truncated}.  problems[0] is the first broken
 * link in chain order.  Returns 0 when the walk completed (whatever it
 * found), or a negative store error.
 */
int chain_verify(struct store *st, const struct chain_key *pub, time_t pruned_before, json_t **out);

/* The chain head: seq and sha256 (hex, 65 bytes) of the last manifest;
 * *seq is 0 when the chain is empty. */
int chain_head(struct store *st, int64_t *seq, char sha256[65]);

/* The manifest of a run: body, sha256, signature (malloc'd). -ENOENT when
 * the run has none. */
struct chain_manifest {
	int64_t seq;
	int64_t run_id;
	char sha256[65];
	char *prev_sha256; /* NULL for the first */
	char *key_id;
	char *signature;
	char *body;
	size_t body_len;
};
int chain_manifest_get(struct store *st, int64_t run_id, struct chain_manifest *m);
void chain_manifest_clear(struct chain_manifest *m);

#endif
