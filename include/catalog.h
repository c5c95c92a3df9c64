/*
 * catalog.h: the built-in ISO/IEC 27001:2022 Annex A catalog (93 controls),
 * the mapping from the 2013 Annex A ids to the 2022 ones, and the controls
 * each kind of evidence supports by default.
 *
 * The tables are generated at build time by tools/gen-catalog from
 * daemon/annex-a-2022.tsv and daemon/annex-a-2013-to-2022.tsv.  Everything
 * here is constant: every pointer returned is valid for the life of the
 * program and must not be freed.  There is no state, so no _init()/_fini().
 *
 * A 2022 control id is "<theme>.<n>" ("5.1" .. "8.34"); wherever an id is
 * taken, the "A." prefix of the standard's Annex A is accepted too ("A.8.8").
 * A 2013 id has three numbers ("A.12.6.1"; the "A." prefix is optional).
 */
#ifndef ISMSD_CATALOG_H
#define ISMSD_CATALOG_H

#include <stddef.h>

/* One 2022 control, with the attributes of ISO/IEC 27002:2022.  List
 * attributes are comma-separated without spaces, as in the TSV. */
struct catalog_control {
	const char *id;		  /* "8.8" */
	const char *theme;	  /* organizational | people | physical | technological */
	const char *title;	  /* "Management of technical vulnerabilities" */
	const char *control_type; /* preventive,detective,corrective */
	const char *properties;	  /* information security properties: C,I,A */
	const char *concepts;	  /* cybersecurity concepts: identify,protect,detect,respond,recover */
};

/* One row of the 2013 -> 2022 mapping.  A 2013 control may have several
 * rows (one per 2022 target); several 2013 controls may share a target. */
struct catalog_mapping {
	const char *id_2013;	  /* "A.12.6.1" */
	const char *title_2013;	  /* "Management of technical vulnerabilities" */
	const char *id_2022;	  /* "8.8" */
	const char *relationship; /* equal | subset | superset | intersect, or "" when not stated */
};

/* The largest number of 2022 controls any 2013 control maps to is 2, so an
 * out array of CATALOG_MAX_TARGETS always receives the whole answer. */
#define CATALOG_MAX_TARGETS 4

/* The number of 2022 controls (93). */
size_t catalog_count(void);

/* The control at index i (0 .. catalog_count() - 1), in catalog order
 * 5.1 .. 5.37, 6.1 .. 6.8, 7.1 .. 7.14, 8.1 .. 8.34; NULL when i is out of
 * range. */
const struct catalog_control *catalog_at(size_t i);

/* The control with a 2022 id ("8.8" or "A.8.8"), or NULL when id is NULL or
 * not a 2022 control.  Ids compare exactly: "8.08", " 8.8" and "a.8.8" are
 * unknown. */
const struct catalog_control *catalog_find(const char *id);

/* The catalog index of a 2022 id (as catalog_find() takes it), or -1. */
int catalog_index(const char *id);

/* The number of rows in the 2013 -> 2022 mapping, and row i of it (in the
 * order of the TSV, NULL when out of range). */
size_t catalog_mapping_count(void);
const struct catalog_mapping *catalog_mapping_at(size_t i);

/*
 * The 2022 controls a 2013 control maps to ("A.12.6.1" or "12.6.1" -> "8.8";
 * "A.18.2.3" -> "5.36", "8.8").  Writes at most max ids to out, in mapping
 * order, and returns the number written: 0 when id2013 is not a 2013 control
 * (or is NULL, or max is 0).
 */
size_t catalog_from_2013(const char *id2013, const char **out, size_t max);

/*
 * Resolves a control reference from the configuration or the SoA: a 2022 id
 * ("8.8", "A.8.8") gives that control; a 2013 id ("A.12.6.1") gives the
 * 2022 controls it maps to.  Writes at most max ids to out and returns the
 * number written; 0 when ref is neither.
 */
size_t catalog_resolve(const char *ref, const char **out, size_t max);

/*
 * The controls evidence of a kind supports by default, as a NULL-terminated
 * list of 2022 ids, or NULL when kind is not a known kind.  A known kind
 * without defaults (activity.attestation, whose controls come from the
 * [activity] section) gives an empty list.
 *
 *   patch.host, patch.missing, patch.vuln  8.8, 8.19
 *   backup.job                             8.13, 8.14, 5.30
 *   training.enrollment                    6.3
 *   audit.event, ismsd.self                8.15, 8.16
 *   activity.attestation                   (none)
 */
const char *const *catalog_kind_controls(const char *kind);

/*
 * The controls an audit event category adds to those of audit.event, as a
 * NULL-terminated list, or NULL when the category is unknown.
 *
 *   console_login_no_mfa                   8.5, 5.17
 *   root_activity, privilege_grant         8.2
 *   logging_tamper                         8.15
 *   world_open_firewall                    8.9, 8.32
 */
const char *const *catalog_category_controls(const char *category);

/* The generated tables (catalog_data.c).  Use the functions above instead;
 * only catalog.c reads these. */
extern const struct catalog_control catalog_controls[];
extern const size_t catalog_n_controls;
extern const struct catalog_mapping catalog_mappings[];
extern const size_t catalog_n_mappings;

#endif
