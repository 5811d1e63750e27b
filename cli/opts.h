/* Options shared by run and suite. */
#ifndef RMCPSEC_CLI_OPTS_H
#define RMCPSEC_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/req.h"

struct cli_opts {
	uint64_t seed;
	bool seed_set;
	const char *out;
	bool per_node_pcap;
	int profile;		/* 0: each scenario's; 1 + enum commit_profile: --profile */
	int mutant;		/* enum mutant: --mutant NAME */
	const char *faults[16]; /* --fault SPEC, each one rule after the scenario's own */
	size_t nfaults;
	int net;       /* enum run_net: --net virtual|tap */
	unsigned jobs; /* suite: scenarios run at once, each in a process (--jobs N) */
	/* suite: only the scenarios that judge one of these (--req ID; sim/coverage.h) */
	int reqs[REQ_MAX]; /* indices into req_table */
	size_t nreqs;
	/* DUT mode (docs/users/dut.md): --dut client|server, --iface, --dut-control, --dut-node */
	int dut_role; /* 0: none; 1 + enum scn_role */
	const char *iface;
	const char *dut_control;
	const char *dut_node;
	const char *target; /* the scenario file or the suite directory */
};

/* Parses argv after the subcommand name; returns 0 or EXIT_USAGE after printing why. */
int cli_parse(int argc, char **argv, const char *cmd, struct cli_opts *o);

struct scenario;
/* Appends the --fault rules to a loaded scenario; 0, or EXIT_USAGE after printing why. */
int cli_apply_faults(const struct cli_opts *o, struct scenario *sc);
/*
 * DUT mode: the index of the node the DUT plays in sc (--dut-node, else the
 * first node of the --dut role); -1 after printing why there is none.
 */
int cli_dut_node(const struct cli_opts *o, const struct scenario *sc);

#endif
