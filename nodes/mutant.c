#include "nodes/mutant.h"

#include <string.h>

/* One row per mutant: its name, the requirements it breaks, what is broken. */
static const struct mutant_info INFO[MUT__COUNT] = {
    [MUT_NONE] = {"none", {NULL}, "nothing: the reference nodes"},
    [MUT_COMMIT_BEFORE_ACK] = {"commit-before-ack",
			       {"REQ-F6-R2-REFRESH-COMMIT", "REQ-COMMIT-SHARED-SA"},
			       "the NIC activates a new SA as soon as it stores it (Fig. 5 steps "
			       "43–45)"},
    [MUT_SEQ_RESTART] = {"seq-restart",
			 {"REQ-NIC-SEQ-NO-REUSE"},
			 "the NIC restarts its outbound sequence numbers at 1 after a power loss "
			 "(docs/internals/nvram.md)"},
    [MUT_CLEAR_RESET] = {"clear-reset",
			 {"REQ-NIC-CLEAR-ONLY-CONFIGURED"},
			 "the NIC executes a clear Reset although configured secure-only (Fig. 6)"},
    [MUT_NO_FALLBACK] = {"no-fallback",
			 {"REQ-F4-KEEP-OLD-ON-FAIL"},
			 "the server uses the refreshed SA although the commit failed (Fig. 4 step "
			 "30)"},
    [MUT_FAILOVER_SEQ_REUSE] = {"failover-seq-reuse",
				{"REQ-SRV-SEQ-NO-REUSE-FAILOVER"},
				"the secondary restarts sequence numbers after taking over (RFC "
				"6311's idea)"},
    [MUT_NO_REPLAY_CHECK] = {"no-replay-check",
			     {"REQ-NIC-REPLAY"},
			     "the NIC accepts every copy of a packet (RFC 4303 §3.4.3)"},
    [MUT_NVRAM_NOT_ATOMIC] = {"nvram-not-atomic",
			      {"REQ-NVRAM-ATOMIC"},
			      "the NIC writes a new SA over the active one"},
    [MUT_REFRESH_WHILE_HUNG] = {"refresh-while-hung",
				{"REQ-F6-R3-STORED-SA", "REQ-F6-R4-STORED-SA",
				 "REQ-F4-NO-REFRESH-NOT-OPERATIONAL"},
				"the server refreshes a hung client and drops the old SA first "
				"(Fig. 6 rows 3–5)"},
    [MUT_PENDING_EXECUTES] = {"pending-executes",
			      {"REQ-NIC-PENDING-NOT-USED"},
			      "the NIC puts a new SA into its inbound table when it stores it and "
			      "does not keep it for the commit messages: management under the "
			      "pending SA is executed and answered"},
    [MUT_REPLY_UNDER_REQUEST_SA] = {"reply-under-request-sa",
				    {"REQ-NIC-REPLY-ACTIVE-SA"},
				    "the NIC answers under the SA the request came under, not its "
				    "active one, counting the retired SA's sequence numbers on in "
				    "RAM"},
    [MUT_REPLAY_BEFORE_ICV] = {"replay-before-icv",
			       {"REQ-IPSEC-ICV-BEFORE-REPLAY"},
			       "the NIC moves its replay window when it reads the header, before "
			       "the ICV check"},
    [MUT_SELECTORS_IGNORED] = {"selectors-ignored",
			       {"REQ-NIC-SELECTORS"},
			       "the NIC checks that a packet opens, not what it carries: RMCP "
			       "inside the SA is taken from any UDP port"},
    [MUT_STALE_SLOT_SPI] = {"stale-slot-spi",
			    {"REQ-NIC-UNKNOWN-SPI"},
			    "the NIC looks an unknown SPI up in both NVRAM slots, retired and "
			    "discarded SAs included, and opens the packet with what it finds"},
    [MUT_REPLAY_WINDOW_IN_RAM] =
	{"replay-window-in-ram",
	 {"REQ-NIC-REPLAY-POWER-LOSS"},
	 "the NIC keeps its inbound replay window in RAM only: it restarts "
	 "empty when the NIC powers up, while the SA survives in NVRAM"},
    [MUT_CLEAR_664_WHEN_BARE] = {"clear-664-when-bare",
				 {"REQ-NIC-CLEAR-664-REFUSED"},
				 "a NIC without an SA has no policy entry for 664 and answers "
				 "clear RMCP there as on its clear port"},
    [MUT_CLEAR_ACK_REFUSED] = {"clear-ack-refused",
			       {"REQ-NIC-CLEAR-ONLY-CONFIGURED"},
			       "the NIC's RMCP layer sends the ACK (DSP0136: before acting) before "
			       "the policy looks: a forbidden clear command is acknowledged, "
			       "though not executed"},
    [MUT_CLEAR_OPEN_WHEN_BARE] = {"clear-open-when-bare",
				  {"REQ-F6-R6-CLEAR-RESTRICTED"},
				  "a NIC without an SA reads its clear-mode bits only once it "
				  "holds one: in cold boot it answers every clear message on its "
				  "clear port"},
    [MUT_CLEAR_REFUSED_WITH_SA] = {"clear-refused-with-sa",
				   {"REQ-F6-R8-CLEAR-SERVER-COLD"},
				   "the NIC shuts its clear port once it holds an SA, whatever its "
				   "bits say"},
    [MUT_SA_LOST_ON_HANG] = {"sa-lost-on-hang",
			     {"REQ-F6-R3-STORED-SA"},
			     "the NIC holds its SAs for the host's driver and flushes them from "
			     "RAM when the host hangs (NVRAM is read again at the NIC's next "
			     "power-up or commit)"},
    [MUT_SA_LOST_ON_PREBOOT] = {"sa-lost-on-preboot",
				{"REQ-F6-R4-STORED-SA"},
				"the NIC flushes its SAs from RAM on a platform reset: in pre-boot "
				"it holds no SA"},
    [MUT_SA_LOST_ON_SUSPEND] = {"sa-lost-on-suspend",
				{"REQ-F6-R5-STORED-SA"},
				"the NIC flushes its SAs from RAM when the host suspends"},
    [MUT_EXEC_VIA_HOST] = {"exec-via-host",
			   {"REQ-MGMT-EXECUTED"},
			   "the NIC acknowledges commands and hands them to an agent in the host "
			   "OS, so nothing happens unless the OS is up"},
    [MUT_AH_ICV_UNCHECKED] = {"ah-icv-unchecked",
			      {"REQ-IPSEC-ICV"},
			      "the NIC computes the AH ICV and compares none of it"},
    [MUT_GCM_IV_RESTART] = {"gcm-iv-restart",
			    {"REQ-NIC-SEQ-NO-REUSE", "REQ-TRACE-VERIFIES"},
			    "the NIC's GCM IV is a RAM counter that starts again whenever it loads "
			    "the SA (power-up, commit) while its sequence numbers come from NVRAM: "
			    "nonces repeat, and the server, which opens every packet, cannot "
			    "tell"},
    [MUT_COMMIT_ON_ACK_TIMEOUT] = {"commit-on-ack-timeout",
				   {"REQ-F5-RESTORE-NO-ACK"},
				   "where Fig. 5 step 52 restores the previous SA, the NIC takes "
				   "the silence for an ACK and commits"},
    [MUT_COMMIT_WRONG_TXID] = {"commit-wrong-txid",
			       {"REQ-COMMIT-ORDER"},
			       "the NIC commits on any SA_ACK that opens under the pending SA, "
			       "whatever its transaction id"},
    [MUT_RETIRE_PREV_ON_COMMIT] = {"retire-prev-on-commit",
				   {"REQ-COMMIT-SHARED-SA"},
				   "the robust NIC drops the previous SA when it commits, not when "
				   "the server is seen on the new one"},
    [MUT_IKE_WHILE_NOT_UP] = {"ike-while-not-up",
			      {"REQ-F3-IKE-ON-OS-UP"},
			      "the server takes any answer for a running OS: it starts IKE with a "
			      "client that answers System State without its watchdog"},
    [MUT_REFRESH_DEFAULT_INTERVAL] = {"refresh-default-interval",
				      {"REQ-REFRESH-CONFIG"},
				      "the configured refresh interval never reaches the server's "
				      "timer: it refreshes every 60 s, the built-in default"},
    [MUT_NO_PERSISTENT_STORE] = {"no-persistent-store",
				 {"REQ-SRV-PERSISTENT-SA"},
				 "the server keeps its SAs in RAM only: after a restart it does "
				 "not read its store"},
    [MUT_TAKEOVER_WHILE_PRIMARY_ALIVE] = {"takeover-while-primary-alive",
					  {"REQ-F6-R7-FAILOVER"},
					  "the secondary's watchdog is never fed by the heartbeats "
					  "it receives: it takes over after its takeover time with "
					  "the primary alive (split brain)"},
    [MUT_COLD_SERVER_STAYS_CLEAR] = {"cold-server-stays-clear",
				     {"REQ-F6-R9-CLEAR-BOTH-COLD"},
				     "a server that lost its context never negotiates again: it "
				     "manages every client in the clear for good"},
    [MUT_IKE_INITIATOR_SKIPS_AUTH] = {"ike-initiator-skips-auth",
				      {"REQ-IKE-RESPONDER-AUTH"},
				      "the server uses the CHILD_SA without checking the "
				      "responder's AUTH value (it still checks the ID)"},
    [MUT_IKE_ANY_ID] = {"ike-any-id",
			{"REQ-IKE-PEER-AUTH"},
			"the client host accepts any ID from the server"},
    [MUT_IKE_ANY_PROPOSAL] = {"ike-any-proposal",
			      {"REQ-IKE-PROPOSAL-POLICY"},
			      "the client host accepts every CHILD suite it knows, not only its "
			      "configured one"},
    [MUT_IKE_ZERO_DH] = {"ike-zero-dh",
			 {"REQ-IKE-KE"},
			 "the client host and the server key with the all-zero X25519 secret a "
			 "small-order public value gives (RFC 7748 §6.1)"},
    [MUT_IKE_MSGID_ANY] = {"ike-msgid-any",
			   {"REQ-IKE-MSGID-WINDOW"},
			   "the client host processes requests of any message ID (RFC 7296 "
			   "§2.3)"},
};

const struct mutant_info *
mutant_info(enum mutant m)
{
	return (unsigned)m < MUT__COUNT ? &INFO[m] : NULL;
}

const char *
mutant_name(enum mutant m)
{
	return (unsigned)m < MUT__COUNT ? INFO[m].name : "?";
}

int
mutant_parse(const char *name, enum mutant *out)
{
	for (int m = 0; m < MUT__COUNT; m++)
		if (strcmp(INFO[m].name, name) == 0) {
			*out = (enum mutant)m;
			return 0;
		}
	return -1;
}
