#include "nodes/mutant.h"

#include <string.h>

static const char *const names[MUT__COUNT] = {
    [MUT_NONE] = "none",
    [MUT_COMMIT_BEFORE_ACK] = "commit-before-ack",
    [MUT_SEQ_RESTART] = "seq-restart",
    [MUT_CLEAR_RESET] = "clear-reset",
    [MUT_NO_FALLBACK] = "no-fallback",
    [MUT_FAILOVER_SEQ_REUSE] = "failover-seq-reuse",
    [MUT_NO_REPLAY_CHECK] = "no-replay-check",
    [MUT_NVRAM_NOT_ATOMIC] = "nvram-not-atomic",
    [MUT_REFRESH_WHILE_HUNG] = "refresh-while-hung",
    [MUT_IKE_INITIATOR_SKIPS_AUTH] = "ike-initiator-skips-auth",
    [MUT_IKE_ANY_ID] = "ike-any-id",
    [MUT_IKE_ANY_PROPOSAL] = "ike-any-proposal",
    [MUT_IKE_ZERO_DH] = "ike-zero-dh",
    [MUT_IKE_MSGID_ANY] = "ike-msgid-any",
};

const char *
mutant_name(enum mutant m)
{
	return (unsigned)m < MUT__COUNT ? names[m] : "?";
}

int
mutant_parse(const char *name, enum mutant *out)
{
	for (int m = 0; m < MUT__COUNT; m++)
		if (strcmp(names[m], name) == 0) {
			*out = (enum mutant)m;
			return 0;
		}
	return -1;
}
