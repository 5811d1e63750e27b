/*
 * The run's state, shared by sim/run.c (virtual time) and sim/run_tap.c
 * (the same nodes on TAP devices in real time). Nothing outside sim/ sees it.
 */
#ifndef RMCPSEC_SIM_RUN_INT_H
#define RMCPSEC_SIM_RUN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "nodes/client.h"
#include "nodes/server.h"
#include "nodes/store.h"
#include "pcap/trace.h"
#include "sim/engine.h"
#include "sim/lan.h"
#include "sim/link.h"
#include "sim/observe.h"
#include "sim/rng.h"
#include "sim/run.h"
#include "sim/trace_check.h"

struct run_tap;
struct dut_state;

struct simnode {
	struct run *run;
	size_t idx;
	enum scn_role role;
	union {
		struct client c;
		struct server s;
	} u;
	uint32_t timer_gen[NODE_TIMER_IDS];
	int64_t clock_off;  /* a clock_jump fault: the node's time runs this far from the run's */
	struct trace *pcap; /* per-node capture, optional */
};

struct note {
	uint64_t t;
	size_t node;
	char text[NODE_NOTE_LEN];
};

struct run {
	const struct scenario *sc;
	struct engine eng;
	struct lan lan;
	struct link link; /* sim/fault on the LAN's links */
	struct rng rng;
	struct simnode *nodes;
	struct node_out out;
	struct trace *trace;
	struct obs_log obs;
	struct note *notes;
	size_t nnotes, capnotes;
	int io_error;
	struct nvram_sa *stored; /* per node: the SA its NIC is provisioned with (clients) */
	uint64_t seed;
	struct commit_timing timing;
	enum commit_profile profile;
	enum mutant mutant;
	struct clear_windows clear; /* when clear management was permitted (Fig. 6) */
	bool clear_open;
	uint64_t clear_since;
	/* The key log: every SA of the run, as the nodes exported it (node_key). */
	struct run_sa *sas;
	size_t nsas, capsas;
	char (*ike_lines)[NODE_IKE_KEY_LEN];
	size_t nike, capike;
	struct store **stores; /* per server: its connection to the shared store */
	char store_path[1100];
	struct run_tap *tap; /* NULL: the virtual LAN carries the frames */
	const struct run_opts *opts;
	int only;		  /* node mode: the one node that runs here; -1 otherwise */
	int dut;		  /* DUT mode: the node the device under test plays; -1 otherwise */
	struct dut_state *dut_st; /* DUT mode: what the adapter reported at the end */
	uint64_t end;		  /* the run's last instant: the duration, or never (node mode) */
	bool stop;		  /* node mode: told to stop */
	bool dut_begun, dut_ended; /* DUT mode: `begin` and `end` called */
	char dut_na[160];    /* DUT mode: what it could not do (its verdicts are N/A), or "" */
	char dut_error[256]; /* DUT mode: why the adapter failed */
};

/* DUT mode with a server as the device under test. */
static inline bool
dut_is_server(const struct run *r)
{
	return r->dut >= 0 && r->sc->nodes[r->dut].role == SCN_SERVER;
}

/* Whether node i is one of this process's reference nodes. */
static inline bool
run_node_here(const struct run *r, size_t i)
{
	return (r->only < 0 || (size_t)r->only == i) && r->dut != (int)i;
}

struct run_sa {
	struct nvram_sa sa;
	size_t client; /* node index */
	unsigned ord;  /* the client's Nth SA of the run */
};

/* An entry in results.json's events, at the run's time. */
void run_note(struct run *r, size_t node, const char *text);
/* Sends what the node's last step asked for (frames, timers, notes). */
void run_flush(struct run *r, struct simnode *sn);
/* The node's own clock: the run's, shifted by any clock jump. */
uint64_t run_node_now(const struct run *r, const struct simnode *sn);
/* A frame reached node `port` at the run's time now: the node handles it. */
void run_deliver(struct run *r, size_t port, uint64_t now, const uint8_t *frame, size_t len);
/* A frame left node `port` at time t: trace, per-node trace, observation log. */
void run_capture(struct run *r, size_t port, uint64_t t, const uint8_t *frame, size_t len);

#endif
