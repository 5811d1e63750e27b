/*
 * The reference client: a host (whose power state is an fsm/power machine)
 * and its NIC, which stays alive on aux power, answers ARP and RMCP/ASF,
 * and carries out management commands by driving the host's power state.
 * This is the clear-traffic slice (UDP 623); IPsec on 664 and the NVRAM
 * SA store come in with their own modules.
 */
#ifndef RMCPSEC_NODES_CLIENT_H
#define RMCPSEC_NODES_CLIENT_H

#include <stdint.h>

#include "fsm/power.h"
#include "nodes/netif.h"
#include "nodes/node.h"

enum client_timer {
	CLIENT_TIMER_BOOT = 0, /* pre-boot / cold boot firmware finishes, OS comes up */
};

struct client_cfg {
	char name[32];
	uint8_t mac[ETH_ALEN];
	uint32_t ip;
	enum power_state power; /* at time 0 */
	uint64_t boot_ns;	/* pre-boot or cold boot -> OS up; NODE_TIMER_NEVER: stays */
	uint16_t first_ip_id;
};

struct client_stats {
	uint64_t rx_frames;
	uint64_t malformed; /* failed to decode at some layer: counted and dropped */
	uint64_t not_for_us;
	uint64_t rmcp_rx;
	uint64_t rmcp_acks_rx;
	uint64_t commands_executed;
	uint64_t executed[4];	   /* per command: index asf_type - ASF_RESET */
	uint64_t commands_refused; /* illegal in the current power state */
	uint64_t dropped_unpowered;
};

struct client {
	struct client_cfg cfg;
	struct netif nif;
	enum power_state power;
	struct client_stats st;
};

int client_init(struct client *c, const struct client_cfg *cfg);
void client_fini(struct client *c);
void client_on_frame(struct client *c, uint64_t now, const uint8_t *frame, size_t len,
		     struct node_out *out);
void client_on_timer(struct client *c, uint64_t now, uint32_t id, struct node_out *out);
/* A power event from outside the network (the scenario, a DUT adapter). */
int client_power_event(struct client *c, uint64_t now, enum power_cause cause,
		       struct node_out *out);

/* ASF System State code reported for a power state (DSP0136 §3.2.4.4). */
uint8_t client_asf_system_state(enum power_state s);

#endif
