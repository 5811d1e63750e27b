/*
 * The run's state, shared by the files that carry one run (sim/run.c and the
 * run_* files beside it). Nothing outside sim/ sees it. What carries the
 * frames is behind sim/net.h and who plays each node behind sim/player.h:
 * nothing here asks which backend or which kind of player it has.
 */
#ifndef RMCPSEC_SIM_RUN_INT_H
#define RMCPSEC_SIM_RUN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "nodes/node.h"
#include "nodes/store.h"
#include "sim/adversary.h"
#include "pcap/trace.h"
#include "sim/clear_window.h"
#include "sim/engine.h"
#include "sim/link.h"
#include "sim/net.h"
#include "sim/observe.h"
#include "sim/player.h"
#include "sim/rng.h"
#include "sim/run.h"
#include "sim/run_log.h"

struct run {
	const struct scenario *sc;
	const struct run_opts *opts;
	uint64_t seed;
	struct engine eng;
	struct net net;	  /* what carries the frames: virtual LAN, TAPs, one interface */
	struct link link; /* the scenario's faults: the fault engine and its applier */
	struct rng rng;
	struct simnode *nodes; /* one per scenario node, played as struct player_ops says */
	struct node_out out;
	struct trace *trace;
	struct obs_log obs;
	struct run_log log;	  /* notes and the key log */
	struct clear_track clear; /* when clear management was permitted (Fig. 6) */
	struct adversary adv;	  /* the scenario's injections and what became of them */
	bool injecting;		  /* the frame being captured is the adversary's */
	struct nvram_sa *stored;  /* per node: the SA its NIC is provisioned with (clients) */
	struct store **stores;	  /* per server: its connection to the shared store */
	char store_path[1100];
	struct commit_timing timing;
	enum commit_profile profile;
	enum mutant mutant;
	uint64_t end; /* the run's last instant: the duration, or never (a standalone node) */
	struct net_watch watch; /* a standalone node: its control socket, in the backend's loop */
	int io_error;
	char na[160];	 /* why the scenario could not be played as written (verdicts N/A) */
	char error[256]; /* what failed, when a player's failure stopped the run */
};

/* ---- sim/run.c: a run's life ---- */

/* A run of sc under o, nothing opened yet; NULL when out of memory. */
struct run *run_new(const struct scenario *sc, const struct run_opts *o);
/*
 * Everything a run needs before its clock starts: output directory, nodes,
 * traces, the scenario's events (the timeline and node faults only with
 * timeline), the players' begin, the backend. 0 or an error with err filled.
 */
int run_open(struct run *r, bool timeline, char *err, size_t errlen);
/* Runs the clock to r->end; then every player finishes, the trace closes, keys are written. */
int run_play(struct run *r, struct run_result *res, char *err, size_t errlen);
void run_free(struct run *r);

/* An entry in results.json's events, at the run's time. */
void run_note(struct run *r, size_t node, const char *text);
/* The scenario cannot be played as written: every verdict becomes N/A, for this reason. */
void run_mark_na(struct run *r, const char *reason);
/* A player failed in a way that stops the run (err says how). */
void run_fail(struct run *r, const char *err);

/* ---- sim/run_step.c: the run's events ---- */

/* A node exported an SA: logged once, and the observer can open its traffic. */
void run_log_key(struct run *r, const struct node_key *k);
/* Sends what the node's last step asked for (frames, timers, notes, keys). */
void run_flush(struct run *r, struct simnode *sn);
/* The node's own clock: the run's, shifted by any clock jump. */
uint64_t run_node_now(const struct run *r, const struct simnode *sn);
/*
 * Schedules the servers' start at time 0 and, with timeline, the timeline's
 * actions and the scenario's timed node faults.
 */
int run_schedule(struct run *r, bool timeline, char *err, size_t errlen);
/* The hooks every backend calls into the run: a frame reached a port; a frame left one. */
struct net_hooks run_net_hooks(struct run *r);

/* ---- sim/run_setup.c: the nodes, configured from the scenario and seed ---- */

int run_nodes_init(struct run *r);
/* The reference client and server configured for node sn (player init). */
int run_setup_client(struct simnode *sn, uint16_t ip_id, uint8_t first_seq);
int run_setup_server(struct simnode *sn, uint16_t ip_id, uint8_t first_seq);
void run_nodes_fini(struct run *r);
/* Client `client`'s IKE pre-shared key (32 bytes), as its host and the servers hold it. */
void run_client_psk(const struct run *r, size_t client, uint8_t psk[32]);
/* Provisioned SAs go into the key log as if the nodes had exported them. */
int run_log_provisioned(struct run *r);

#endif
