/*
 * The reference client: a host (whose power state is an fsm/power machine)
 * and its NIC. The NIC stays alive on aux power, answers ARP and RMCP/ASF,
 * carries out management commands by driving the host's power state, and
 * enforces its policy: UDP 664 only under its stored SA (ESP, AH or
 * AH+ESP), clear RMCP only on the configured port and only the messages
 * its NVRAM configuration bits allow. The SA and the outbound sequence
 * numbers live in the NIC's NVRAM (nodes/nvram.h) and survive every
 * power event but an NVRAM clear; so does the inbound replay floor the
 * NIC saves before it acts on a secured command.
 */
#ifndef RMCPSEC_NODES_CLIENT_H
#define RMCPSEC_NODES_CLIENT_H

#include <stdint.h>

#include "fsm/commit.h"
#include "fsm/power.h"
#include "nodes/ike.h"
#include "nodes/mutant.h"
#include "nodes/netif.h"
#include "nodes/node.h"
#include "nodes/nvram.h"
#include "nodes/secure.h"

enum client_timer {
	CLIENT_TIMER_BOOT = 0,	 /* pre-boot / cold boot firmware finishes, OS comes up */
	CLIENT_TIMER_IKE = 1,	 /* the host's IKE retransmission deadline */
	CLIENT_TIMER_COMMIT = 2, /* + enum commit_timer: the NIC's commit timers */
};

enum { CLIENT_PSK_MAX = 64 };

/* How the NIC gets its SA: provisioned at time 0, or from the host's IKE (Fig. 3). */
struct client_ike_cfg {
	bool enabled;
	uint32_t server_ip; /* the management service address: IKE peer and SA peer */
	uint8_t psk[CLIENT_PSK_MAX];
	size_t psk_len;
	uint8_t suite; /* enum mgmt_suite the host offers */
	uint64_t retrans_ns;
	uint64_t rand_seed; /* SPIs, nonces and X25519 keys: reproducible per run */
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
	struct client_ike_cfg ike;
	enum commit_profile profile;
	struct commit_timing timing;
	enum mutant mutant; /* MUT_NONE but for the suite's mutation tests */
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
	uint64_t nvram_power_cuts;    /* power lost in the middle of an NVRAM write */
	uint64_t seq_unavailable;     /* no outbound sequence number could be reserved */
	uint64_t floor_unsaved;	      /* secured commands refused: their replay floor not saved */
	uint64_t ike_rx, ike_ignored; /* UDP 500 to the host; dropped while it cannot run IKE */
	uint64_t ike_sas, children;   /* IKE SAs and CHILD_SAs the host completed */
	uint64_t commit_rx, commits, restores;
	uint64_t pending_refused; /* management under an SA not yet committed */
};

/* The NIC's SAs in RAM: the active one, one being committed, the previous (robust). */
enum nic_sa_role { NIC_SA_CUR = 0, NIC_SA_PEND, NIC_SA_PREV, NIC_SA__COUNT };

struct client {
	struct client_cfg cfg;
	struct netif nif;
	enum power_state power;
	struct nvram nv;
	struct sec_pair pair[NIC_SA__COUNT]; /* by enum nic_sa_role; loaded from NVRAM */
	bool pair_up[NIC_SA__COUNT];
	bool sec_up; /* pair_up[NIC_SA_CUR] */
	struct commit_client cm;
	struct ike *host_ike;	 /* the host's IKE responder; NULL while the OS is not up */
	struct nvram_sa host_sa; /* the CHILD_SA the host hands the NIC (Fig. 5 step 40) */
	uint8_t server_mac[ETH_ALEN];
	bool server_mac_known;
	uint64_t rand_state;
	uint64_t mut_seq;		/* MUT_SEQ_RESTART: the counter a broken NIC keeps in RAM */
	uint64_t mut_iv[NIC_SA__COUNT]; /* MUT_GCM_IV_RESTART: its IV counters, per pair */
	bool cut_armed;			/* a power cut waits for the next NVRAM write */
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

/* The active SA's pair, or NULL when the NIC holds none. */
struct sec_pair *client_sa(struct client *c);
/* The SPI the server sends under for the active SA (0: none), for state checks. */
uint32_t client_active_spi(const struct client *c);

/* ASF System State code reported for a power state (DSP0136 §3.2.4.5). */
uint8_t client_asf_system_state(enum power_state s);

#endif
