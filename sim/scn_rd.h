/*
 * The scenario language's one YAML reader: the fields of a libyaml document
 * tree, read one at a time by every loader — a scenario file's sections
 * (sim/scenario.c), its `faults:` and the one fault a command line carries
 * (sim/scenario_fault.c). Every getter reports the first problem in the
 * loader's one form,
 *
 *   FILE:LINE: field 'NAME': why
 *
 * into rd->err and returns RMC_EINVAL; an absent optional field leaves *out
 * as it was and returns 0. Words with a meaning of their own (`msg:`,
 * `via:`) come from sim/scn_words.h.
 */
#ifndef RMCPSEC_SIM_SCN_RD_H
#define RMCPSEC_SIM_SCN_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "sim/scenario.h"

struct scn_rd {
	yaml_document_t *doc;
	const char *path; /* as errors name it: the file, or "--fault" */
	char *err;
	size_t errlen;
	const struct scenario *sc; /* its nodes name what scn_rd_node finds */
};

/* Which nodes a name may refer to, and how an unknown one is called. */
enum scn_rd_who {
	SCN_RD_NODE,	    /* any node: "unknown node" */
	SCN_RD_NODE_OR_ANY, /* any node, or '*' for every one (index -1) */
	SCN_RD_SERVER,	    /* "unknown server" */
	SCN_RD_CLIENT,	    /* "unknown client" */
};

/* Fills rd->err with "path:line: field 'field': why" (line 0 without n). */
int scn_rd_fail(struct scn_rd *rd, const yaml_node_t *n, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The document's node with this id (a sequence item, a mapping's key or value). */
yaml_node_t *scn_rd_item(const struct scn_rd *rd, int id);
/* The text of a scalar, NULL for anything else. */
const char *scn_rd_scalar(const yaml_node_t *n);
/* The value of key in a mapping, NULL if absent. */
yaml_node_t *scn_rd_get(const struct scn_rd *rd, yaml_node_t *map, const char *key);

/*
 * Refuses a map that is not a mapping, a key that is not a plain word
 * (both named by field `where`) and a key in neither list (NULL-terminated;
 * more may be NULL), named by itself, with `unknown` as the reason: a typo
 * must not pass silently.
 */
int scn_rd_keys(struct scn_rd *rd, yaml_node_t *map, const char *where, const char *unknown,
		const char *const *keys, const char *const *more);

/* A non-empty scalar; required and absent: "missing". */
int scn_rd_str(struct scn_rd *rd, yaml_node_t *map, const char *key, bool required,
	       const char **out);
/* A decimal integer in lo..hi. */
int scn_rd_uint(struct scn_rd *rd, yaml_node_t *map, const char *key, uint64_t lo, uint64_t hi,
		uint64_t *out);
int scn_rd_u32(struct scn_rd *rd, yaml_node_t *map, const char *key, uint64_t lo, uint64_t hi,
	       uint32_t *out);
/* true or false. */
int scn_rd_bool(struct scn_rd *rd, yaml_node_t *map, const char *key, bool *out);
/* A probability in 0..1. */
int scn_rd_prob(struct scn_rd *rd, yaml_node_t *map, const char *key, double *out);
/* A time: a number and a unit (scn_parse_duration), in ns. */
int scn_rd_time(struct scn_rd *rd, yaml_node_t *map, const char *key, bool required, uint64_t *out);
/* A time, or "never" (UINT64_MAX). */
int scn_rd_time_or_never(struct scn_rd *rd, yaml_node_t *map, const char *key, bool required,
			 uint64_t *out);
/* A node of rd->sc by name; *idx is -1 when absent (or '*' where allowed). */
int scn_rd_node(struct scn_rd *rd, yaml_node_t *map, const char *key, enum scn_rd_who who,
		bool required, int *idx);
/* `via: secure | clear`. */
int scn_rd_via(struct scn_rd *rd, yaml_node_t *map, enum scn_via *via);
/* `msg:`, a word of sim/scn_words.h. */
int scn_rd_msg(struct scn_rd *rd, yaml_node_t *map, bool required, struct msg_sel *sel);

#endif
