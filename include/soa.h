/*
 * soa.h: the Statement of Applicability (ISO/IEC 27001:2022 6.1.3 d): for
 * every Annex A control, whether it applies, how far it is implemented, who
 * owns it and why it is included or excluded.
 *
 * The file (see docs/soa.md) is UTF-8 text, one control per line, five
 * TAB-separated columns:
 *
 *   control<TAB>applicable<TAB>status<TAB>owner<TAB>justification
 *
 *   control        a 2022 Annex A id, "A." optional: 5.1, A.8.8
 *   applicable     yes | no
 *   status         implemented | partial | planned | not-implemented | excluded
 *                  (excluded exactly when applicable is no)
 *   owner          who is accountable for the control; not empty
 *   justification  why the control is included or excluded; not empty
 *
 * Lines that are blank or whose first non-blank character is '#' are
 * ignored.  Spaces around a column are dropped; a CR before the line end
 * (a file saved on Windows) and a UTF-8 byte order mark are accepted.
 * A control may appear once.  A 2013 id (A.12.6.1) is refused with the
 * 2022 controls it maps to.
 */
#ifndef ISMSD_SOA_H
#define ISMSD_SOA_H

#include <stddef.h>

#include "config.h"

enum soa_status {
	SOA_STATUS_NONE = 0, /* the file does not mention the control */
	SOA_STATUS_IMPLEMENTED,
	SOA_STATUS_PARTIAL,
	SOA_STATUS_PLANNED,
	SOA_STATUS_NOT_IMPLEMENTED,
	SOA_STATUS_EXCLUDED,
};

/*
 * One control of the SoA.  When present is 0 the file does not mention the
 * control: only control is set (applicable 0, status SOA_STATUS_NONE, the
 * strings NULL, line 0).  All strings belong to the struct soa.
 */
struct soa_entry {
	const char *control; /* the 2022 id, "8.8" (the catalog's string) */
	int applicable;	     /* 1 = yes, 0 = no */
	enum soa_status status;
	char *owner;
	char *justification;
	const char *file; /* the SoA file, as given to soa_load() */
	unsigned line;
	int present;
};

/* The loaded SoA: one entry per catalog control, in catalog order. */
struct soa;

/*
 * Reads the SoA at path.  On success returns 0 and stores in *out an SoA the
 * caller frees with soa_free().  On failure returns -1, sets *out to NULL
 * and appends to errs one "FILE:LINE: message" per problem found (all of
 * them, not only the first; "FILE: message" when the file cannot be read).
 * Controls the file does not mention are not an error: see soa_missing().
 */
int soa_load(const char *path, struct soa **out, struct config_errors *errs);

/* Frees an SoA; NULL is allowed. */
void soa_free(struct soa *s);

/* The entry of a 2022 control ("8.8" or "A.8.8"), present or not; NULL when
 * control is not a 2022 control. */
const struct soa_entry *soa_get(const struct soa *s, const char *control);

/* The entry at catalog index i (0 .. catalog_count() - 1), or NULL. */
const struct soa_entry *soa_at(const struct soa *s, size_t i);

/* The number of catalog controls the file does not mention. */
size_t soa_missing(const struct soa *s);

/* The file's word for a status ("implemented", "not-implemented"), or ""
 * for SOA_STATUS_NONE. */
const char *soa_status_name(enum soa_status status);

#endif
