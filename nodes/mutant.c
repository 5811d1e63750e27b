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
    [MUT_PENDING_EXECUTES] = "pending-executes",
    [MUT_REPLY_UNDER_REQUEST_SA] = "reply-under-request-sa",
    [MUT_REPLAY_BEFORE_ICV] = "replay-before-icv",
    [MUT_SELECTORS_IGNORED] = "selectors-ignored",
    [MUT_STALE_SLOT_SPI] = "stale-slot-spi",
    [MUT_CLEAR_664_WHEN_BARE] = "clear-664-when-bare",
    [MUT_CLEAR_ACK_REFUSED] = "clear-ack-refused",
    [MUT_CLEAR_OPEN_WHEN_BARE] = "clear-open-when-bare",
    [MUT_CLEAR_REFUSED_WITH_SA] = "clear-refused-with-sa",
    [MUT_SA_LOST_ON_HANG] = "sa-lost-on-hang",
    [MUT_SA_LOST_ON_PREBOOT] = "sa-lost-on-preboot",
    [MUT_SA_LOST_ON_SUSPEND] = "sa-lost-on-suspend",
    [MUT_EXEC_VIA_HOST] = "exec-via-host",
    [MUT_AH_ICV_UNCHECKED] = "ah-icv-unchecked",
    [MUT_GCM_IV_RESTART] = "gcm-iv-restart",
    [MUT_COMMIT_ON_ACK_TIMEOUT] = "commit-on-ack-timeout",
    [MUT_COMMIT_WRONG_TXID] = "commit-wrong-txid",
    [MUT_RETIRE_PREV_ON_COMMIT] = "retire-prev-on-commit",
    [MUT_IKE_WHILE_NOT_UP] = "ike-while-not-up",
    [MUT_REFRESH_DEFAULT_INTERVAL] = "refresh-default-interval",
    [MUT_NO_PERSISTENT_STORE] = "no-persistent-store",
    [MUT_TAKEOVER_WHILE_PRIMARY_ALIVE] = "takeover-while-primary-alive",
    [MUT_COLD_SERVER_STAYS_CLEAR] = "cold-server-stays-clear",
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
