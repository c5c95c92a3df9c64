/*
 * pack.h: audit packs.  An audit pack is a BagIt (RFC 8493) bag with
 * everything a certification auditor needs to check a period's evidence
 * offline: the raw evidence blobs, the facts, the signed run manifests and
 * their chain, the public key, and the period's reports (HTML, JSON, CSV,
 * OSCAL), with manifest-sha256.txt over the payload and
 * tagmanifest-sha256.txt over the tag files.  It is written as a directory
 * or as one ustar file.  pack_verify() checks one without any store.
 *
 * Layout (under the bag's top directory):
 *   bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
 *   data/public-key.pem            the chain's Ed25519 public key
 *   data/chain.jsonl               one line per manifest, seq order:
 *                                  {seq, run, sha256, prev, key_id, signature}
 *   data/manifests/run-N.json      each manifest's bytes, as signed
 *   data/facts/run-N.jsonl         the run's facts, one JSON line each, grouped by page
 *                                  as in the manifest: {id, kind, observed_at, page,
 *                                  payload (the stored bytes, as a string)}
 *   data/blobs/SHA256              each raw page, named by its hash
 *   data/pruned-pages.txt          pages whose bytes retention removed (hash kept)
 *   data/reports/report.html|report.json|assessment-results.json|csv/
 *   tagmanifest-sha256.txt.tsr     optional: an RFC 3161 timestamp over the
 *                                  tag manifest (which covers everything),
 *   tsa-ca.pem                     with the CA it was verified with
 */
#ifndef ISMSD_PACK_H
#define ISMSD_PACK_H

#include <stddef.h>

#include <jansson.h>

#include "chain.h"
#include "store.h"

struct pack_opts {
	const char *organisation; /* bag-info Source-Organization, or NULL */
	const char *tsa_url;	  /* an RFC 3161 TSA (https), or NULL for none */
	const char *tsa_ca_file;  /* the CA its token (and TLS) verifies to; NULL: the system's */
};

/*
 * Writes the pack of the period the model covers (its evidence index names
 * the runs) to out: a directory that must not exist yet, or, when out ends
 * in ".tar", a tar file.  pub is the chain's public key.  *files receives
 * the number of payload files.  Returns 0, or a negative errno with a
 * message in err (nothing is left at out then).
 */
int pack_export(struct store *st, const json_t *model, const struct chain_key *pub, const struct pack_opts *o,
		const char *out, size_t *files, char *err, size_t errlen);

/*
 * Verifies a pack (directory or .tar) offline.  With expect, the pack's key
 * must be that key.  A timestamp token, when the pack has one, is checked
 * against the tag manifest, up to tsa_ca (NULL: the pack's tsa-ca.pem).
 * *out receives {ok, files, manifests, facts, blobs, pruned, key_id,
 * timestamp: {time, ca} | null, problems: [text]}; problems[0] is the first
 * failure, naming the file.  Returns 0 when the check ran, or a negative errno with a message
 * in err when the pack cannot be read at all.
 */
int pack_verify(const char *path, const struct chain_key *expect, const char *tsa_ca, json_t **out, char *err,
		size_t errlen);

#endif
