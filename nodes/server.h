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

#include "nodes/netif.h"
#include "nodes/node.h"
#include "nodes/nvram.h"
#include "nodes/secure.h"
#include "proto/rmcp.h"

enum server_timer {
	SERVER_TIMER_RETX = 0,
};

enum { SERVER_QUEUE = 8, SERVER_MSG_MAX = RMCP_HLEN + ASF_HLEN + 32 };

struct server_cfg {
	char name[32];
	uint8_t mac[ETH_ALEN];
	uint32_t ip;
	uint64_t retx_ns; /* wait for an answer before resending */
	uint8_t retries;  /* resends before giving up */
	uint16_t first_ip_id;
	uint8_t first_seq;
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
};

struct server_stats {
	uint64_t rx_frames, malformed, not_for_us, sent, resent, gave_up, unsolicited;
	uint64_t secure_rx, ipsec_rejected, seal_failed, queue_full;
};

struct server {
	struct server_cfg cfg;
	struct netif nif;
	struct server_client *clients;
	size_t nclients, cap;
	uint8_t seq, tag;
	uint64_t armed_at;
	struct server_stats st;
};

int server_init(struct server *s, const struct server_cfg *cfg);
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
int server_send(struct server *s, uint64_t now, size_t ci, uint8_t asf_type, bool secure,
		struct node_out *out);
void server_on_frame(struct server *s, uint64_t now, const uint8_t *frame, size_t len,
		     struct node_out *out);
void server_on_timer(struct server *s, uint64_t now, uint32_t id, struct node_out *out);

#endif
