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
	/* IKEv2 (RFC 7296), each a check left out of the reference's IKE */
	MUT_IKE_INITIATOR_SKIPS_AUTH, /* server uses the CHILD_SA without checking the AUTH */
	MUT_IKE_ANY_ID,		      /* host accepts any peer ID */
	MUT_IKE_ANY_PROPOSAL,	      /* host accepts any CHILD suite it knows, not its policy's */
	MUT_IKE_ZERO_DH,	      /* host and server key with an all-zero X25519 secret */
	MUT_IKE_MSGID_ANY,	      /* host processes requests of any message ID */
	MUT__COUNT
};

const char *mutant_name(enum mutant m); /* "commit-before-ack", ...; "none" */
int mutant_parse(const char *name, enum mutant *out);

#endif
