/*
 * The reference client: a host (whose power state is an fsm/power machine)
 * and its NIC. The NIC stays alive on aux power, answers ARP and RMCP/ASF,
 * carries out management commands by driving the host's power state, and
 * enforces its policy: UDP 664 only under its stored SA (ESP, AH or
 * AH+ESP), clear RMCP only on the configured port and only the messages
 * its NVRAM configuration bits allow. The SA and the outbound sequence
 * numbers live in the NIC's NVRAM (nodes/nvram.h) and survive every
 * power event but an NVRAM clear.
 */
#ifndef RMCPSEC_NODES_CLIENT_H
#define RMCPSEC_NODES_CLIENT_H

#include <stdint.h>

#include "fsm/power.h"
#include "nodes/netif.h"
#include "nodes/node.h"
#include "nodes/nvram.h"
#include "nodes/secure.h"

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
	struct nvram_config nvram; /* configuration bits and checkpoint reservation */
	struct nvram_sa sa;	   /* provisioned at time 0 unless suite is MGMT_SUITE_NONE */
	uint32_t replay_window;
};

struct client_stats {
	uint64_t rx_frames;
	uint64_t malformed; /* failed to decode at some layer: counted and dropped */
	uint64_t not_for_us;
	uint64_t rmcp_rx;
	uint64_t rmcp_acks_rx;
	uint64_t secure_rx;	 /* management that arrived under the SA */
	uint64_t ipsec_rejected; /* unknown SPI, replay, bad ICV, wrong layers: see sec stats */
	uint64_t clear_refused;	 /* clear UDP 664, or clear RMCP the configuration forbids */
	uint64_t commands_executed;
	uint64_t executed[4];	   /* per command: index asf_type - ASF_RESET */
	uint64_t commands_refused; /* illegal in the current power state */
	uint64_t dropped_unpowered;
	uint64_t nvram_power_cuts; /* power lost in the middle of an NVRAM write */
	uint64_t seq_unavailable;  /* no outbound sequence number could be reserved */
};

struct client {
	struct client_cfg cfg;
	struct netif nif;
	enum power_state power;
	struct nvram nv;
	struct sec_pair sec; /* loaded from NVRAM while the NIC has power */
	bool sec_up;
	bool cut_armed; /* a power cut waits for the next NVRAM write */
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
/*
 * Power will fail at byte n of the NIC's next NVRAM write (the write is
 * torn there); the NIC then loses power until a power_restore.
 */
void client_arm_nvram_cut(struct client *c, size_t n);

/* ASF System State code reported for a power state (DSP0136 §3.2.4.5). */
uint8_t client_asf_system_state(enum power_state s);

#endif
