/*
 * Who plays a node of the scenario. The run drives every node through the
 * same operations, whoever plays it:
 *
 *   - the reference implementation (nodes/client, nodes/server), in this
 *     process: it steps on frames, timers and the timeline's actions;
 *   - a device under test (docs/users/dut.md): its frames travel on an interface
 *     (the backend's device port), the timeline's actions for it and its
 *     state at the end go through the vendor's adapter command;
 *   - nobody here: `rmcpsec node` runs one node, the others are elsewhere.
 *
 * What the judge and the clear-window tracking know of a node comes from its
 * snapshot, filled by its player: a reference node fills every field, a
 * device what its adapter reported, and a field a player cannot fill is
 * marked absent (the check is then N/A, never a pass).
 */
#ifndef RMCPSEC_SIM_PLAYER_H
#define RMCPSEC_SIM_PLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "fsm/power.h"
#include "nodes/client.h"
#include "nodes/node.h"
#include "nodes/server.h"
#include "sim/fault.h"
#include "sim/run.h"
#include "sim/scenario.h"

struct run;
struct simnode;
struct dut_player;

enum { SNAP_COMMANDS = 4 }; /* Reset, Power-up, Power-down, Power cycle (ASF_RESET + i) */

/* What a node shows of itself; each has_ flag says whether its player could tell. */
struct node_snap {
	bool has_power, has_executed, has_commits, has_sa;
	bool has_exec_times; /* its commands are in the run log with their times */
	enum power_state power;
	uint64_t executed[SNAP_COMMANDS];
	uint64_t commits;     /* new SAs its NIC committed */
	uint32_t spi_in;      /* client: the SPI its NIC accepts management under (0: none) */
	uint32_t spi_also[2]; /* client: SPIs its commit state accepts too (committed, robust:
				 previous) */
	bool nic_alive;	      /* client: its NIC has power */
	bool unseen;	      /* a device: its inside cannot be looked into, only what it reports */
	bool serving;	      /* server: running and active, managing its clients */
	uint64_t takeovers;   /* server: times it took over from its primary */
	const char *label;    /* "" for a reference node, " (DUT)" for a device */
};

struct player_ops {
	/* Its frames travel on a real interface, the backend's device port (a device under test).
	 */
	bool device;
	/* Configures the node from the scenario (ip_id, first_seq: drawn from the run's seed). */
	int (*init)(struct simnode *sn, uint16_t ip_id, uint8_t first_seq);
	/* Before the run's clock starts (a device: the adapter's `begin`). 0 or an error. */
	int (*begin)(struct simnode *sn, char *err, size_t errlen);
	/* Time 0: a server starts polling and negotiating. */
	void (*start)(struct simnode *sn, uint64_t now, struct node_out *out);
	void (*frame)(struct simnode *sn, uint64_t now, const uint8_t *frame, size_t len,
		      struct node_out *out);
	void (*timer)(struct simnode *sn, uint64_t now, uint32_t id, struct node_out *out);
	/* A power event from outside the network; 0 when the node took it. */
	int (*power)(struct simnode *sn, uint64_t now, enum power_cause cause,
		     struct node_out *out);
	/* One action of the timeline that names this node. */
	void (*act)(struct simnode *sn, uint64_t now, const struct scn_action *a,
		    struct node_out *out);
	/* A node fault of the scenario (docs/users/faults.md): true when applied (or recovered
	 * from). */
	bool (*fault)(struct simnode *sn, uint64_t now, const struct fault_rule *f, bool recover,
		      struct node_out *out);
	/*
	 * For a server: the SPI it sends to a client under (0: none); false when it cannot
	 * tell. nth: the client's place among the scenario's clients, a hint.
	 */
	bool (*client_spi)(const struct simnode *sn, size_t nth, const char *client, uint32_t *spi);
	void (*snapshot)(const struct simnode *sn, struct node_snap *s);
	/* Adds results.json's fields for the node to `node`, after its "name". 0 or RMC_ENOMEM. */
	int (*describe)(const struct simnode *sn, json_t *node);
	/* After the run, before judging: a device reports its state. 0 or an error. */
	int (*finish)(struct simnode *sn, char *err, size_t errlen);
	void (*fini)(struct simnode *sn);
};

struct simnode {
	struct run *run;
	size_t idx;
	enum scn_role role;
	const struct player_ops *ops;
	union {
		struct client c;
		struct server s;
	} u;
	struct dut_player *dut; /* a device under test: its adapter and what it reported */
	uint32_t timer_gen[NODE_TIMER_IDS];
	int64_t clock_off;  /* a clock_jump fault: the node's time runs this far from the run's */
	struct trace *pcap; /* per-node capture, optional */
};

extern const struct player_ops player_ref_client, player_ref_server, player_elsewhere, player_dut;

/*
 * Who plays node i under the run's options: the device under test, nobody
 * here (a standalone node's peers), or the reference implementation.
 */
const struct player_ops *player_choose(const struct run_opts *o, const struct scenario *sc,
				       size_t i);

#endif
