/*
 * Mutants: the reference nodes with one requirement deliberately broken,
 * selected with `--mutant NAME`. The conformance suite must fail each one
 * (tests/e2e/mutants.sh); a mutant it passes is a requirement it does not
 * check. Nothing here is active unless a run asks for it.
 */
#ifndef RMCPSEC_NODES_MUTANT_H
#define RMCPSEC_NODES_MUTANT_H

enum mutant {
	MUT_NONE = 0,
	MUT_COMMIT_BEFORE_ACK,	/* NIC activates the new SA as soon as it stores it (Fig. 5) */
	MUT_SEQ_RESTART,	/* NIC restarts its outbound sequence numbers after power loss */
	MUT_CLEAR_RESET,	/* NIC executes a clear Reset while configured secure-only */
	MUT_NO_FALLBACK,	/* server uses the refreshed SA even when the commit failed */
	MUT_FAILOVER_SEQ_REUSE, /* secondary restarts sequence numbers after a takeover */
	MUT_NO_REPLAY_CHECK,	/* NIC accepts every copy of a packet */
	MUT_NVRAM_NOT_ATOMIC,	/* NIC writes the new SA over the active one */
	MUT_REFRESH_WHILE_HUNG, /* server refreshes a hung client and drops the old SA first */
	/* One per requirement, for the adversarial suite (docs/testing/mutants.md). */
	MUT_PENDING_EXECUTES,	    /* NIC executes commands under the SA it has not committed */
	MUT_REPLY_UNDER_REQUEST_SA, /* NIC answers under the SA the request came under */
	MUT_REPLAY_BEFORE_ICV,	    /* NIC moves its replay window before checking the ICV */
	MUT_SELECTORS_IGNORED,	    /* NIC takes RMCP from any UDP port inside the SA */
	MUT_STALE_SLOT_SPI,	    /* NIC opens an SPI it retired with the copy left in NVRAM */
	MUT_REPLAY_WINDOW_IN_RAM,   /* NIC's replay window restarts empty when it powers up */
	MUT_CLEAR_664_WHEN_BARE,    /* NIC without an SA answers clear RMCP on 664 */
	MUT_CLEAR_ACK_REFUSED,	    /* NIC ACKs a clear command its bits forbid (not executed) */
	MUT_CLEAR_OPEN_WHEN_BARE,   /* NIC without an SA answers every clear message */
	MUT_CLEAR_REFUSED_WITH_SA,  /* NIC refuses all clear RMCP while it holds an SA */
	MUT_SA_LOST_ON_HANG,	    /* NIC drops its SA from RAM when the host hangs */
	MUT_SA_LOST_ON_PREBOOT,	    /* NIC drops its SA from RAM on a platform reset */
	MUT_SA_LOST_ON_SUSPEND,	    /* NIC drops its SA from RAM when the host suspends */
	MUT_EXEC_VIA_HOST,	    /* NIC ACKs commands but only a running OS carries them out */
	MUT_AH_ICV_UNCHECKED,	    /* NIC computes the AH ICV and does not compare it */
	MUT_GCM_IV_RESTART,	    /* NIC's GCM IV is a RAM counter restarting with its SA */
	MUT_COMMIT_ON_ACK_TIMEOUT,  /* NIC commits the new SA when the SA_ACK wait runs out */
	MUT_COMMIT_WRONG_TXID,	    /* NIC commits on an SA_ACK of another transaction */
	MUT_RETIRE_PREV_ON_COMMIT,  /* robust NIC drops the previous SA as soon as it commits */
	MUT_IKE_WHILE_NOT_UP,	    /* server negotiates with a client that answers but is not up */
	MUT_REFRESH_DEFAULT_INTERVAL,	  /* server ignores the configured refresh interval */
	MUT_NO_PERSISTENT_STORE,	  /* server restarts without reading its SA store */
	MUT_TAKEOVER_WHILE_PRIMARY_ALIVE, /* secondary's watchdog ignores the heartbeats */
	MUT_COLD_SERVER_STAYS_CLEAR,	  /* a cold-booted server never negotiates again */
	/* IKEv2 (RFC 7296), each a check left out of the reference's IKE */
	MUT_IKE_INITIATOR_SKIPS_AUTH, /* server uses the CHILD_SA without checking the AUTH */
	MUT_IKE_ANY_ID,		      /* host accepts any peer ID */
	MUT_IKE_ANY_PROPOSAL,	      /* host accepts any CHILD suite it knows, not its policy's */
	MUT_IKE_ZERO_DH,	      /* host and server key with an all-zero X25519 secret */
	MUT_IKE_MSGID_ANY,	      /* host processes requests of any message ID */
	MUT__COUNT
};

enum { MUT_MAX_REQS = 3 };

/*
 * What a mutant is for: the catalogue requirements it breaks (ids of
 * sim/req.h, which this layer cannot include: sim/tests/test_mutant_table.c
 * checks each is in the catalogue) and what is broken, in one line. The
 * table of docs/testing/mutants.md says the same (the same test keeps them
 * in step); `rmcpsec mutants` prints it.
 */
struct mutant_info {
	const char *name;
	const char *reqs[MUT_MAX_REQS]; /* in order, NULL after the last */
	const char *what;
};

const char *mutant_name(enum mutant m); /* "commit-before-ack", ...; "none" */
int mutant_parse(const char *name, enum mutant *out);
/* MUT_NONE's has no requirement; NULL outside the enum. */
const struct mutant_info *mutant_info(enum mutant m);

#endif
