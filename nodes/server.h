/*
 * The reference management server (console): an inventory of clients by
 * address, ARP to reach them, and RMCP/ASF requests and commands with the
 * DSP0136 retry rule (an unanswered message is resent, byte for byte, with
 * the same sequence number). Each client has a short queue of outgoing
 * messages; one is outstanding at a time.
 */
#ifndef RMCPSEC_NODES_SERVER_H
#define RMCPSEC_NODES_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "fsm/commit.h"
#include "fsm/power.h"
#include "nodes/ike.h"
#include "nodes/mutant.h"
#include "nodes/netif.h"
#include "nodes/node.h"
#include "nodes/nvram.h"
#include "nodes/secure.h"
#include "proto/rmcp.h"

enum server_timer {
	SERVER_TIMER_RETX = 0, /* every per-client deadline: resends, polls, IKE, commit */
	SERVER_TIMER_HA = 1,   /* heartbeat (primary) or watchdog (secondary) */
};

enum server_role {
	SERVER_ALONE = 0,
	SERVER_PRIMARY,	  /* sends heartbeats to its secondary */
	SERVER_SECONDARY, /* passive until the primary's heartbeats stop */
};

/* How a message is protected: under the client's SA, in the clear, or whichever is possible. */
enum server_via { SERVER_VIA_SECURE = 0, SERVER_VIA_CLEAR, SERVER_VIA_AUTO };

enum { SERVER_HA_PORT = 4664, SERVER_PSK_MAX = 64 };

struct store;

enum { SERVER_QUEUE = 8, SERVER_MSG_MAX = RMCP_HLEN + ASF_HLEN + 32 };

struct server_cfg {
	char name[32];
	uint8_t mac[ETH_ALEN];
	uint32_t ip;
	uint64_t retx_ns; /* wait for an answer before resending */
	uint8_t retries;  /* resends before giving up */
	uint16_t first_ip_id;
	uint8_t first_seq;
	/* The mechanism. All zero: a plain console with provisioned SAs. */
	bool ike;      /* negotiate each client's SA with IKE (Fig. 3, 4) */
	uint8_t suite; /* enum mgmt_suite offered in IKE */
	uint64_t ike_retrans_ns;
	uint64_t rand_seed;
	enum commit_profile profile;
	struct commit_timing timing;
	uint64_t poll_ns;    /* System State poll per client; 0: none */
	bool clear_fallback; /* talk in the clear (RMCP port) to a client without a usable SA */
	enum server_role role;
	uint32_t service_ip; /* the management address clients know; a secondary takes it over */
	uint32_t partner_ip; /* primary: where heartbeats go */
	uint64_t heartbeat_ns, takeover_ns;
	struct store *store; /* persistent SA store shared by primary and secondary; NULL: none */
	uint64_t seq_block;  /* outbound sequence numbers reserved per store write */
	enum mutant mutant;  /* MUT_NONE but for the suite's mutation tests */
};

struct server_msg {
	uint8_t type;
	uint8_t seq;
	uint8_t tag;
	bool secure; /* UDP 664 under the client's SA, else clear on 623 */
};

struct server_client {
	char name[32];
	uint32_t ip;
	uint8_t mac[ETH_ALEN];
	bool mac_known;
	bool present; /* answered a Presence Ping */
	bool state_known;
	uint8_t system_state;
	uint8_t watchdog;
	struct server_msg queue[SERVER_QUEUE];
	size_t qhead, qlen;
	bool in_flight;	      /* queue[qhead] sent, not yet answered */
	struct sec_pair *sec; /* the client's SA pair, mirrored; NULL when none */
	uint8_t tries;
	uint64_t retx_at;
	uint8_t psk[SERVER_PSK_MAX];
	size_t psk_len;
	struct sec_pair *nsec;		   /* the refreshed SA until it is committed or abandoned */
	uint64_t seq_next[2], seq_resv[2]; /* outbound sequence numbers: [0] sec, [1] nsec */
	struct commit_server cm;
	struct ike *ike;	/* initiator while a key exchange runs */
	uint64_t ike_at;	/* its retransmission deadline; NODE_TIMER_NEVER: none */
	uint32_t kex_txid;	/* the fsm's transaction of the running exchange */
	uint32_t wire_txid;	/* txid on the wire: the new SA's SPI into the NIC */
	struct nvram_sa new_sa; /* for the store */
	bool sec_lost;		/* secure requests went unanswered: probe in the clear */
	bool probing;		/* a clear probe is out: a clear answer means the NIC lost its SA */
	bool peer_known;
	enum power_state peer; /* learned from System State */
	uint64_t poll_at;
	uint64_t ikes, commits; /* key exchanges started, commits completed */
	bool ack_owed;	/* a successor owes the NIC the SA_ACK of wire_txid (robust takeover) */
	bool no_commit; /* a plain IPsec host: never sends SA_READY / SA_CONFIRM (`commit: none`) */
};

struct server_stats {
	uint64_t rx_frames, malformed, not_for_us, sent, resent, gave_up, unsolicited;
	uint64_t secure_rx, ipsec_rejected, seal_failed, queue_full;
	uint64_t ike_started, ike_failed, commits, store_errors, heartbeats_rx, takeovers;
};

struct server {
	struct server_cfg cfg;
	struct netif nif;
	struct server_client *clients;
	size_t nclients, cap;
	uint8_t seq, tag;
	uint64_t armed_at;
	struct server_stats st;
	enum power_state power;
	bool active;	  /* serving clients (a secondary: only after takeover) */
	uint64_t last_hb; /* secondary: when the primary was last heard */
	uint64_t hb_count;
	uint64_t takeover_at; /* when this secondary took over; 0: never */
};

int server_init(struct server *s, const struct server_cfg *cfg);
/* Time zero: arms refresh, poll and heartbeat timers. */
void server_start(struct server *s, uint64_t now, struct node_out *out);
/* A power event of the server machine (hang, reset, cold boot ...). */
int server_power_event(struct server *s, uint64_t now, enum power_cause cause,
		       struct node_out *out);
int server_set_client_psk(struct server *s, size_t ci, const uint8_t *psk, size_t len);
/*
 * Client ci has no commit handshake (a plain IPsec host, scenario `commit:
 * none`): each CHILD_SA IKE brings up is used at once, as if the client had
 * sent SA_READY and SA_CONFIRM, and no SA_ACK goes to it (docs/internals/mechanism.md).
 */
int server_set_client_no_commit(struct server *s, size_t ci, bool no_commit);
/* Running its management software: OS up, or cold boot (no context, clear mode). */
bool server_running(const struct server *s);
/* The SPI the server sends under to client ci (0: no SA). */
uint32_t server_client_spi(const struct server *s, size_t ci);
void server_fini(struct server *s);
int server_add_client(struct server *s, const char *name, uint32_t ip);
int server_find_client(const struct server *s, const char *name);
/* The SA the client's NIC stores (its view); the server keeps the mirror image. */
int server_set_client_sa(struct server *s, size_t ci, const struct nvram_sa *stored,
			 uint32_t replay_window);

/*
 * Queues an ASF message (a request or a command) for client index ci,
 * secured under the client's SA or in the clear (RMC_ESTATE: no SA).
 */
int server_send(struct server *s, uint64_t now, size_t ci, uint8_t asf_type, enum server_via via,
		struct node_out *out);
void server_on_frame(struct server *s, uint64_t now, const uint8_t *frame, size_t len,
		     struct node_out *out);
void server_on_timer(struct server *s, uint64_t now, uint32_t id, struct node_out *out);

#endif
