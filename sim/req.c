#include "sim/req.h"

#include <stdio.h>
#include <string.h>

/*
 * Patent quotes are from US application 09/472314 (/work/shared/spec,
 * "the patent"); "Fig. 6 row N" quotes the table's third column.
 */
static const struct req REQS[] = {
    {"REQ-F3-IKE-ON-OS-UP",
     "US 09/472314 Fig. 3 steps 10-12: \"If the client system is operational, key exchange "
     "processes are executed between the server system and the client system in step 11\"; "
     "claim 1: \"key exchange processes executed when the client system is in an operational "
     "state\"",
     "The server runs the key exchange (IKE) with a client only while the client is "
     "operational (OS up), and the resulting SA is stored in the client's NIC.",
     "server, client"},
    {"REQ-F6-R2-REFRESH-COMMIT",
     "US 09/472314 Fig. 6 row 2: \"Newly negotiated SA Updated in client system if there is "
     "successful completion of SA refresh\"; Fig. 3: \"The SA in the client system is updated "
     "only after a successful refresh is completed.\"",
     "With both ends OS up, a refreshed SA replaces the stored one, and traffic moves to it, "
     "only after the commit (SA_READY, SA_ACK, SA_CONFIRM) completed.",
     "server, nic"},
    {"REQ-F6-R3-STORED-SA",
     "US 09/472314 Fig. 6 row 3 (client OS hung, server OS up): \"IPSec stack not on client "
     "system Previously negotiated SA stored in client system is inhibited from being "
     "updated\"; text: \"the previously negotiated SA is still operational because it is "
     "stored in the client system\"",
     "Client OS hung: management keeps working under the stored SA, the SA is not updated and "
     "the server attempts no key exchange.",
     "server, nic"},
    {"REQ-F6-R4-STORED-SA",
     "US 09/472314 Fig. 6 row 4 (client pre-boot, server OS up): \"IPSec stack not on client "
     "system Previously negotiated SA stored in client system is inhibited from being "
     "updated\"",
     "Client in pre-boot (reset): the SA survives in NVRAM, management keeps working under it, "
     "it is not updated and no key exchange is attempted.",
     "server, nic"},
    {"REQ-F6-R5-STORED-SA",
     "US 09/472314 Fig. 6 row 5 (client OS suspend, server OS up): \"IPSec stack not on client "
     "system Previously negotiated SA stored in client system is inhibited from being "
     "updated\"",
     "Client suspended: management keeps working under the stored SA, it is not updated and "
     "no key exchange is attempted.",
     "server, nic"},
    {"REQ-F6-R6-CLEAR-RESTRICTED",
     "US 09/472314 Fig. 6 row 6 (client cold boot, server OS up): \"Client system does not "
     "have any security context Configuration option is provided for managing client system "
     "without security\"; text: \"the client system sends traffic communication in the clear, "
     "preferably with restrictions on the data ... may be sent on a different UDP port\"",
     "A cold-boot client (no SA) is managed in the clear only when its configuration bits "
     "allow it, only with the restricted message set, only on the configured clear port.",
     "nic"},
    {"REQ-F6-R7-FAILOVER",
     "US 09/472314 Fig. 6 row 7 (any client state, server OS hung): \"Fault tolerant system "
     "is provided for switching control to secondary server system\"; claim 11: \"logic for "
     "switching the server system to a second server system in the computer network if the "
     "server system becomes non-operational, the security mechanisms securing traffic "
     "communication between the second server system and the client system\"",
     "When the primary server hangs, a secondary server takes over management of the client, "
     "still secured.",
     "server"},
    {"REQ-F6-R8-CLEAR-SERVER-COLD",
     "US 09/472314 Fig. 6 row 8 (client OS hung / pre-boot, server cold boot): \"Server "
     "system does not have any security context Configuration option is provided for "
     "managing client system without security\"; text: \"the client system takes unilateral "
     "action and communicates on an insecure port\"",
     "A server that lost its security context manages an OS-hung or pre-boot client in the "
     "clear only as the client's configuration bits allow, on the insecure port.",
     "nic, server"},
    {"REQ-F6-R9-CLEAR-BOTH-COLD",
     "US 09/472314 Fig. 6 row 9 (both cold boot): \"Neither system has any security context "
     "Configuration option is provided for allowing traffic to be communicated in the "
     "clear\"; text: \"the traffic communication is in the clear on the insecure port until "
     "such time that a security context can be established\"",
     "With neither end holding a security context, management runs in the clear on the "
     "insecure port, as configured, until a security context is established.",
     "nic, server"},
    {"REQ-F4-NO-REFRESH-NOT-OPERATIONAL",
     "US 09/472314 Fig. 4 step 20: \"If the client system is non-operational, previously "
     "negotiated SA, which is the same SA as the one stored in the client system, is used to "
     "secure traffic communication until the client becomes operational.\"",
     "The server starts no refresh while the client is not operational; it keeps using the "
     "stored SA.",
     "server"},
    {"REQ-F4-KEEP-OLD-ON-FAIL",
     "US 09/472314 Fig. 4 step 30: \"If such signal is not received, the previously "
     "negotiated SA is used to secure traffic communication in step 30.\" (also on an "
     "unsuccessful SA refresh, and when the confirmation is not received)",
     "The server keeps the old SA when SA_READY does not arrive, the key exchange fails, or "
     "SA_CONFIRM does not arrive.",
     "server"},
    {"REQ-F5-RESTORE-NO-ACK",
     "US 09/472314 Fig. 5 steps 43, 52: \"If the acknowledgement signal is not received, then "
     "the client system restores the previously negotiated SA and uses it to secure the "
     "traffic communication in step 52.\"",
     "A client that sent SA_READY and got no SA_ACK goes back to the previous SA.", "nic"},
    {"REQ-COMMIT-ORDER",
     "US 09/472314 claim 9: \"logic for sending a signal acknowledging the successful "
     "execution of another set of key exchange processes; and logic for sending a signal "
     "confirming receipt of the acknowledgement signal\"; docs/internals/mechanism.md: the "
     "commit messages are \"each protected by the new SA\"",
     "Commit messages of one transaction go SA_READY, then SA_ACK, then SA_CONFIRM, each under "
     "an SA its body names.",
     "commit"},
    {"REQ-COMMIT-SHARED-SA",
     "docs/internals/fsm.md (robust profile): \"Under every fault schedule of the exploration, "
     "client and server always share an SA that both accept.\"",
     "Whatever commit messages are lost, duplicated or delayed, the client and the server end "
     "holding an SA that both accept: management still works afterwards.",
     "commit"},
    {"REQ-NIC-SEQ-NO-REUSE",
     "RFC 4303 §3.3.3: \"the sender MUST NOT send a packet on an SA if doing so would cause "
     "the sequence number to cycle\"; RFC 4106 §3.1: \"For a given key, the IV MUST NOT "
     "repeat.\"; docs/internals/nvram.md: \"it never hands out an outbound (SPI, sequence "
     "number) pair twice, across any number of resets\"",
     "No (SPI, sequence number) pair, and no AES-GCM nonce under one key, is ever sent twice, "
     "across resets and power losses included.",
     "nic"},
    {"REQ-SRV-SEQ-NO-REUSE-FAILOVER",
     "RFC 6311 §1 (in its spirit): a cluster must synchronise \"IPsec replay counters\" on "
     "failover; RFC 4303 §3.3.3 as above",
     "A secondary server taking over a client's SA continues its outbound sequence numbers; "
     "it never sends a (SPI, sequence) pair the primary already used.",
     "server"},
    {"REQ-NIC-CLEAR-664-REFUSED",
     "US 09/472314 Fig. 6 policy: \"Protocol = UDP, IPSec protocol = ESP + AH, Destination "
     "port = 298h\"; RFC 4301 §5.2: inbound traffic that the SPD requires to be protected "
     "and arrives unprotected is discarded",
     "UDP 664 carries only IPsec: the NIC never accepts or answers clear traffic on 664.", "nic"},
    {"REQ-NIC-CLEAR-ONLY-CONFIGURED",
     "US 09/472314: \"By setting appropriate bits on the non-volatile storage, securing "
     "traffic is controlled.\"; Fig. 6 rows 6, 8, 9 (\"preferably with restrictions on the "
     "data\", \"on a different UDP port\")",
     "Clear RMCP happens only as the NIC's configuration bits allow: not at all when "
     "secure-only, otherwise only the configured message set, only on the clear port.",
     "nic"},
    {"REQ-NIC-REPLAY",
     "RFC 4303 §3.4.3: \"Duplicates are rejected through the use of a sliding receive "
     "window.\"",
     "The NIC rejects a replayed IPsec packet (inside or left of its window) and never "
     "executes a command twice because of a copy.",
     "nic"},
    {"REQ-NVRAM-ATOMIC",
     "docs/internals/nvram.md: \"after any power loss, at any byte of any write, the image "
     "decodes to the last committed state\"",
     "A power loss at any byte of an NVRAM write leaves either the old or the new SA and "
     "checkpoint, never a torn mix; the NIC stays manageable.",
     "nic"},
    {"REQ-IPSEC-ICV",
     "RFC 4303 §3.4.4.1 and RFC 4302 §3.4.4: a packet whose ICV does not verify is "
     "discarded; US 09/472314 Fig. 6 policy \"IPSec protocol = ESP + AH\"",
     "Every packet on UDP 664 travels under a known SA and carries a valid ICV.", "nic, server"},
    {"REQ-MGMT-EXECUTED",
     "US 09/472314: \"After successful processing of packet for security, the network device "
     "forwards the packet to a processor in the client system, allowing normal remote "
     "management processing.\"",
     "A management command the NIC accepts is executed, in every powered state (OS up, hung, "
     "pre-boot, suspended, soft-off).",
     "nic"},
    {"REQ-REFRESH-CONFIG",
     "US 09/472314 Fig. 4: \"the time between consecutive refresh of SA is set to be "
     "significantly smaller than the lifetime of the SA, where the difference must be at "
     "least as large as the maximum allowed down time before the client system is managed\"",
     "The configured refresh interval is below the SA lifetime minus the longest allowed "
     "downtime (a configuration that breaks this is refused), and the server keeps to it: "
     "while the client is up, a refresh starts within one interval of each commit and no SA "
     "stays in use longer than the lifetime minus that downtime.",
     "server"},
    {"REQ-SRV-PERSISTENT-SA",
     "US 09/472314: \"the server system implements a persistent store for storing SAs that "
     "are in use with a plurality of client systems. The previously negotiated SAs are then "
     "easily restored.\"; claim 10",
     "A server that restarts restores the SAs in use from its persistent store and manages "
     "its clients under them again.",
     "server"},
    {"REQ-TRACE-VERIFIES",
     "docs/users/verify.md: \"A trace is re-checked with no help from the node code\"",
     "The run's trace, re-checked by pcap/verify with only the exported keys and the "
     "scenario's policy, has no finding.",
     "harness"},
    /* Requirements the adversarial suite judges (crafted frames, docs/testing/mutants.md). */
    {"REQ-NIC-PENDING-NOT-USED",
     "US 09/472314 Fig. 5: \"In step 43, the client system waits for the acknowledgement "
     "signal from the server system. ... If the acknowledgement is received, the client "
     "system sends the confirmation signal to the server client in step 44. In step 45, the "
     "new SA is used to secure the traffic communication.\"; Fig. 3: \"The SA in the client "
     "system is updated only after a successful refresh is completed.\"",
     "An SA the NIC stored but has not committed (SA_READY sent, no SA_ACK yet) carries the "
     "commit messages only: a management command under it is neither executed nor answered.",
     "nic"},
    {"REQ-NIC-REPLY-ACTIVE-SA",
     "US 09/472314 Fig. 5: \"In step 45, the new SA is used to secure the traffic "
     "communication.\"; text: \"any response generated by the management module to be sent "
     "to the server system is also processed for security based on the prior SA "
     "negotiation\"; docs/internals/decisions.md (\"The SA a reply leaves under\")",
     "The NIC answers under the SA it holds as active: once it committed a new SA, a request "
     "that still arrives under the previous one (robust profile) is answered under the new "
     "one.",
     "nic"},
    {"REQ-IPSEC-ICV-BEFORE-REPLAY",
     "RFC 4303 §3.4.3: \"The receive window is updated only if the ICV verification "
     "succeeds.\"",
     "A packet whose ICV does not verify leaves the NIC's replay window as it was: a forged "
     "packet with a far-ahead sequence number does not make the server's genuine packets look "
     "old.",
     "nic"},
    {"REQ-NIC-SELECTORS",
     "US 09/472314 Fig. 6 policy: \"Protocol = UDP, IPSec protocol = ESP + AH, Destination "
     "port = 298h\"; RFC 4301 §5.2: \"match the packet against the inbound selectors "
     "identified by the SAD entry to verify that the received packet is appropriate for the "
     "SA via which it was received\"",
     "The management SA carries UDP to port 664 and nothing else: a packet that opens under "
     "it but holds another protocol or another destination port is dropped, not processed.",
     "nic"},
    {"REQ-NIC-UNKNOWN-SPI",
     "RFC 4302 §3.4.2 and RFC 4303 §3.4.2: \"If no valid Security Association exists for "
     "this packet the receiver MUST discard the packet\"; US 09/472314: the NIC validates a "
     "packet \"based on whatever SA is stored in the client system\"",
     "The NIC opens an inbound packet only with the SA its SPI names among those it holds now "
     "(active; pending, for commit messages; previous, robust, until retired): a packet under "
     "a made-up SPI, or under an SA the NIC retired or discarded, is dropped, never opened "
     "with another SA or with a stale copy left in NVRAM.",
     "nic"},
    {"REQ-NIC-REPLAY-POWER-LOSS",
     "US 09/472314: the NIC validates each packet \"based on whatever SA is stored in the "
     "client system. This may involve, for example, cryptographic hash, decryption, and other "
     "processes such as checks for replay attacks.\"; RFC 4302 §3.4.3: \"the receiver MUST "
     "verify that the packet contains a Sequence Number that does not duplicate the Sequence "
     "Number of any other packets received during the life of this SA\"",
     "The stored SA outlives a power loss, and so must its replay protection: a secured "
     "command the NIC accepted before a power loss is refused when replayed after it.",
     "nic"},
    /* IKEv2 (RFC 7296): what the client host and the server must refuse */
    {"REQ-IKE-RESPONDER-AUTH",
     "RFC 7296 §1.2: \"The recipients of messages 3 and 4 MUST verify that all signatures "
     "and MACs are computed correctly and that the names in the ID payloads correspond to "
     "the keys used to generate the AUTH payload.\"; §2.21.2: \"If the error occurs on the "
     "initiator, the notification MAY be returned in a separate INFORMATIONAL exchange, "
     "usually with no other payloads.\"",
     "The server, as IKE initiator, uses a CHILD_SA only after the responder's AUTH "
     "payload verified against the pre-shared key; a responder whose AUTH does not verify "
     "is told AUTHENTICATION_FAILED and its CHILD_SA is never used.",
     "server"},
    {"REQ-IKE-PEER-AUTH",
     "RFC 7296 §2.21.2: \"All errors causing the authentication to fail for whatever "
     "reason (invalid shared secret, invalid ID, untrusted certificate issuer, revoked or "
     "expired certificate, etc.) SHOULD result in an AUTHENTICATION_FAILED "
     "notification.\"; §3.10.1, AUTHENTICATION_FAILED: \"Sent in the response to an "
     "IKE_AUTH message when, for some reason, the authentication failed.\"",
     "A peer whose AUTH was computed with another pre-shared key, or that sends another ID "
     "than the one configured for it (ID_IPV4_ADDR of its address), is refused with "
     "AUTHENTICATION_FAILED, by the client host as responder and by the server as "
     "initiator; no CHILD_SA comes up.",
     "client, server"},
    {"REQ-IKE-PROPOSAL-POLICY",
     "RFC 7296 §3.10.1, NO_PROPOSAL_CHOSEN: \"None of the proposed crypto suites was "
     "acceptable. This can be sent in any case where the offered proposals (including but "
     "not limited to SA payload values, USE_TRANSPORT_MODE notify, IPCOMP_SUPPORTED "
     "notify) are not acceptable for the responder.\"",
     "The client host, as IKE responder, accepts only the suites and the Diffie-Hellman "
     "group it is configured for: any other proposal, for the IKE SA or a CHILD_SA, gets "
     "NO_PROPOSAL_CHOSEN and no SA.",
     "client"},
    {"REQ-IKE-KE",
     "RFC 7296 §1.2: \"If the initiator guesses wrong, the responder will respond with a "
     "Notify payload of type INVALID_KE_PAYLOAD indicating the selected group.\"; §3.4: "
     "\"If the selected proposal uses a different Diffie-Hellman group (other than NONE), "
     "the message MUST be rejected with a Notify payload of type INVALID_KE_PAYLOAD.\"; "
     "RFC 7748 §6.1: \"Both MAY check, without leaking extra information about the value "
     "of K, whether K is the all-zero value and abort if so\", a check RFC 8031 "
     "(Curve25519 in IKEv2) makes mandatory",
     "An IKE responder answers a KE payload of another group than the one it selected with "
     "INVALID_KE_PAYLOAD naming that group, and an X25519 public value whose shared secret "
     "is all-zero with INVALID_SYNTAX; neither end ever keys an SA with such a secret.",
     "client, server"},
    {"REQ-IKE-MSGID-WINDOW",
     "RFC 7296 §3.1, Message ID: \"Message identifier used to control retransmission of "
     "lost packets and matching of requests and responses. It is essential to the security "
     "of the protocol because it is used to prevent message replay attacks.\"; §2.3: \"An "
     "IKE endpoint MUST wait for a response to each of its messages before sending a "
     "subsequent message unless it has received a SET_WINDOW_SIZE Notify message from its "
     "peer\"",
     "The client host, as IKE responder with a window of one, processes a request only "
     "when its message ID is the next one; the last request again is answered from the "
     "cache; any other message ID is dropped without an answer and changes no state.",
     "client"},
};

_Static_assert(sizeof(REQS) / sizeof(REQS[0]) <= REQ_MAX, "REQ_MAX too small");

/*
 * Requirements the reference nodes do not meet yet, and why: keep it short
 * (today none). Ends with a NULL id.
 */
static const struct {
	const char *id, *why;
} UNMET[] = {
    {NULL, NULL},
};

const char *
req_unmet(int k)
{
	size_t n;
	const struct req *t = req_table(&n);
	for (size_t i = 0; k >= 0 && (size_t)k < n && UNMET[i].id; i++)
		if (strcmp(UNMET[i].id, t[k].id) == 0)
			return UNMET[i].why;
	return NULL;
}

const struct req *
req_table(size_t *n)
{
	*n = sizeof(REQS) / sizeof(REQS[0]);
	return REQS;
}

int
req_index(const char *id)
{
	for (size_t i = 0; i < sizeof(REQS) / sizeof(REQS[0]); i++)
		if (strcmp(REQS[i].id, id) == 0)
			return (int)i;
	return -1;
}

const char *
req_verdict_name(enum req_verdict v)
{
	switch (v) {
	case REQ_PASS:
		return "PASS";
	case REQ_FAIL:
		return "FAIL";
	case REQ_NA:
		return "N/A";
	default:
		return "NOT-TESTED";
	}
}

void
req_add_check(struct req_outcome *o, int line, bool pass, const char *what, const char *observed)
{
	if (o->nlines < REQ_MAX_LINES &&
	    !(o->nlines && o->lines[o->nlines - 1] == line)) /* the verifier adds line 0 often */
		o->lines[o->nlines++] = line;
	if (pass) {
		o->npass++;
		if (o->verdict == REQ_NOT_TESTED)
			o->verdict = REQ_PASS;
		return;
	}
	if (o->nfail++ == 0 || o->verdict == REQ_NA)
		snprintf(o->detail, sizeof(o->detail), "line %d: %s: %s", line, what, observed);
	o->verdict = REQ_FAIL;
}

void
req_mark_na(struct req_outcome *o, const char *reason)
{
	if (o->verdict == REQ_FAIL)
		return;
	o->verdict = REQ_NA;
	snprintf(o->detail, sizeof(o->detail), "%s", reason);
}
