/*
 * Runs one scenario in virtual time: builds the LAN and the nodes, feeds
 * them frames, timers and the timeline's actions, records every frame to
 * the trace and to the observation log, then judges the expectations from
 * what was observed and writes results.json beside the trace.
 */
#ifndef RMCPSEC_SIM_RUN_H
#define RMCPSEC_SIM_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/req.h"
#include "sim/scenario.h"

/* What carries the frames (docs/testing/tap.md). */
enum run_net {
	RUN_NET_VIRTUAL = 0, /* sim/lan in virtual time: deterministic, byte-identical traces */
	RUN_NET_TAP,	     /* each node on a TAP in its own namespace, real time (root) */
	RUN_NET_NODE,	     /* `rmcpsec node`: one node on a real interface, until told to stop */
};

struct run_opts {
	uint64_t seed;
	bool seed_set;	    /* overrides the scenario's seed */
	const char *outdir; /* created if missing */
	bool per_node_pcap; /* also write one trace per node port */
	FILE *log;	    /* verdict lines; NULL for silence */
	int mutant;	    /* enum mutant (nodes/mutant.h): break one requirement on purpose */
	int profile;	    /* 0: the scenario's profile; 1 + enum commit_profile overrides it */
	/* Fault overrides from the command line, carried into the replay command. */
	const char *const *fault_specs;
	size_t nfault_specs;
	enum run_net net;
	/*
	 * RUN_NET_NODE: `node` is the one node that runs, on `iface`, driven through
	 * the JSON-lines socket at `control` (docs/users/dut.md); the timeline is not played.
	 * dut (RUN_NET_TAP): node `node` is a device under test reachable on `iface`,
	 * its power events and state through the adapter command `dut_control`.
	 */
	size_t node;
	const char *iface;
	const char *control;
	bool node_tap; /* node mode: iface is a TAP the node attaches to (its far side) */
	bool dut;
	const char *dut_control;
};

struct run_result {
	uint64_t seed;
	size_t npass, nfail;
	uint64_t frames;
	uint64_t events;
	uint64_t end_ns;
	struct req_outcome req[REQ_MAX]; /* indexed like req_table; NOT-TESTED when untouched */
	struct req_outcome untagged;	 /* expectations that name no requirement */
	char observed[240]; /* one line: what the wire and the nodes showed (IKE, SAs, clear ...) */
};

/* Returns 0 when the run happened (verdicts in r), negative with err on an I/O failure. */
int run_scenario(const struct scenario *sc, const struct run_opts *o, struct run_result *r,
		 char *err, size_t errlen);

/*
 * The command that replays a run: `rmcpsec run SCENARIO --seed N [--out
 * DIR] [--profile P] [--mutant M] [--fault SPEC]...`, arguments shell-quoted where
 * needed; outdir may be NULL. Returns the length, or -1 when it does not fit.
 */
int run_replay_command(const struct scenario *sc, const struct run_opts *o, uint64_t seed,
		       const char *outdir, char *buf, size_t cap);

/* The scenario's seed unless overridden; 1 when neither gives one. */
uint64_t run_seed(const struct scenario *sc, const struct run_opts *o);

#endif
