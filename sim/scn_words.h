/*
 * Words of the scenario language that more than one part of it uses: a
 * node's role, how a message travels (`via:`), and which frames a `msg:`
 * names — one table of message words, for `expect:` patterns and `faults:`
 * alike (docs/users/scenarios.md). The ASF, commit and IKE words come from
 * proto's lists (ASF_TYPES, COMMIT_TYPES, IKEV2_EXCHANGES). The pure fault
 * engine takes these too, so this header stays as light as
 * sim/frame_class.h.
 */
#ifndef RMCPSEC_SIM_SCN_WORDS_H
#define RMCPSEC_SIM_SCN_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/frame_class.h"

enum scn_role { SCN_SERVER, SCN_CLIENT };

enum scn_via {
	SCN_VIA_DEFAULT = 0, /* secure when the scenario has a security section */
	SCN_VIA_SECURE,
	SCN_VIA_CLEAR,
};

/* "secure" or "clear": 0, or -1 for another word. */
int scn_via_parse(const char *word, enum scn_via *via);
/* Whether a frame protected as prot (enum obs_prot) travelled via; DEFAULT: either. */
bool scn_via_admits(enum scn_via via, uint8_t prot);

/* A `msg:` word: 0 and *sel, or -1 for a word not in the table. */
int scn_msg_parse(const char *word, struct msg_sel *sel);
/* The word naming sel, "unknown" when none does. */
const char *scn_msg_word(const struct msg_sel *sel);
/* The words besides the ASF types, comma-separated, for error messages; returns buf. */
const char *scn_msg_words(char *buf, size_t cap);
/* The word of an ASF type: "presence_ping", "reset", ... ("unknown" for none). */
const char *scn_asf_name(uint8_t type);

#endif
