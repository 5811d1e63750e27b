#include "sim/scn_words.h"

#include <stdio.h>
#include <string.h>

#include "proto/ikev2.h"
#include "proto/rmcp.h"

/*
 * Every `msg:` word. The ASF, commit and IKE words are expanded from
 * proto's lists; the rest name a kind of frame, or several. A word names
 * one class, and no two words name the same one, so scn_msg_word can go
 * back from a class to its word.
 */
#define ASF_WORD_(name, value, text, word, clear, response) {word, {1u << OBS_ASF, value}},
#define COMMIT_WORD_(name, value, word)			    {word, {1u << OBS_COMMIT, value}},
#define IKE_WORD_(name, value, text, word)		    {word, {1u << OBS_IKE, value}},
static const struct {
	const char *word;
	struct msg_sel sel;
} MSG_WORDS[] = {
    /* clang-format off */
    ASF_TYPES(ASF_WORD_)
    {"asf", {1u << OBS_ASF, -1}},
    COMMIT_TYPES(COMMIT_WORD_) /* the refresh commit: docs/users/verify.md, IANA 32473 */
    {"commit", {1u << OBS_COMMIT, -1}},
    IKEV2_EXCHANGES(IKE_WORD_) /* RFC 7296 §3.1 exchange types */
    {"ike", {1u << OBS_IKE, -1}},
    /* clang-format on */
    {"arp", {1u << OBS_ARP_REQUEST | 1u << OBS_ARP_REPLY, -1}},
    {"arp_request", {1u << OBS_ARP_REQUEST, -1}},
    {"arp_reply", {1u << OBS_ARP_REPLY, -1}},
    {"rmcp_ack", {1u << OBS_RMCP_ACK, -1}},
    {"other", {1u << OBS_OTHER, -1}},
    {"malformed", {1u << OBS_MALFORMED, -1}},
    {"any", {0, -1}},
};
#undef ASF_WORD_
#undef COMMIT_WORD_
#undef IKE_WORD_

enum { NWORDS = sizeof(MSG_WORDS) / sizeof(MSG_WORDS[0]) };

int
scn_via_parse(const char *word, enum scn_via *via)
{
	if (strcmp(word, "secure") == 0)
		*via = SCN_VIA_SECURE;
	else if (strcmp(word, "clear") == 0)
		*via = SCN_VIA_CLEAR;
	else
		return -1;
	return 0;
}

bool
scn_via_admits(enum scn_via via, uint8_t prot)
{
	if (via == SCN_VIA_SECURE)
		return prot != OBS_CLEAR;
	if (via == SCN_VIA_CLEAR)
		return prot == OBS_CLEAR;
	return true;
}

int
scn_msg_parse(const char *word, struct msg_sel *sel)
{
	for (size_t i = 0; i < NWORDS; i++)
		if (strcmp(MSG_WORDS[i].word, word) == 0) {
			*sel = MSG_WORDS[i].sel;
			return 0;
		}
	return -1;
}

const char *
scn_msg_word(const struct msg_sel *sel)
{
	for (size_t i = 0; i < NWORDS; i++)
		if (MSG_WORDS[i].sel.kinds == sel->kinds && MSG_WORDS[i].sel.type == sel->type)
			return MSG_WORDS[i].word;
	return "unknown";
}

const char *
scn_msg_words(char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < NWORDS && used < cap; i++) {
		if (MSG_WORDS[i].sel.kinds == 1u << OBS_ASF && MSG_WORDS[i].sel.type >= 0)
			continue; /* the ASF types: too many to list */
		int n =
		    snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", MSG_WORDS[i].word);
		used += n > 0 ? (size_t)n : 0;
	}
	return buf;
}

const char *
scn_asf_name(uint8_t type)
{
	return asf_type_word(type);
}
