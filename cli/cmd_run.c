#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "nodes/mutant.h"
#include "sim/run.h"
#include "sim/net.h"
#include "sim/scenario.h"

int
cmd_run(int argc, char **argv)
{
	struct cli_opts o;
	struct scenario sc;
	char err[SCN_ERR], outdir[600];
	if (cli_parse(argc, argv, "run", &o))
		return EXIT_USAGE;
	if (o.net == RUN_NET_TAP)
		net_catch_signals();
	if (scenario_load(o.target, &sc, err, sizeof(err)) != 0) {
		fprintf(stderr, "rmcpsec: %s\n", err);
		return EXIT_USAGE;
	}
	if (cli_apply_faults(&o, &sc)) {
		scenario_free(&sc);
		return EXIT_USAGE;
	}
	if (!o.out) {
		snprintf(outdir, sizeof(outdir), "out/%s", sc.name);
		o.out = outdir;
	}
	struct run_opts ro = {.seed = o.seed,
			      .seed_set = o.seed_set,
			      .outdir = o.out,
			      .per_node_pcap = o.per_node_pcap,
			      .profile = o.profile,
			      .mutant = o.mutant,
			      .fault_specs = o.faults,
			      .nfault_specs = o.nfaults,
			      .net = (enum run_net)o.net,
			      .iface = o.iface,
			      .dut = o.dut_role != 0,
			      .dut_control = o.dut_control,
			      .log = stdout};
	if (o.dut_role) {
		int d = cli_dut_node(&o, &sc);
		if (d < 0) {
			scenario_free(&sc);
			return EXIT_USAGE;
		}
		ro.node = (size_t)d;
	}
	struct run_result res;
	printf("scenario %s (%s) seed %llu\n", sc.name, sc.path,
	       (unsigned long long)run_seed(&sc, &ro));
	if (run_scenario(&sc, &ro, &res, err, sizeof(err)) != 0) {
		fprintf(stderr, "rmcpsec: %s\n", err);
		scenario_free(&sc);
		return EXIT_USAGE;
	}
	printf("%s: %zu passed, %zu failed; %llu frames in %s/trace.pcap\n",
	       res.nfail ? "FAIL" : "PASS", res.npass, res.nfail, (unsigned long long)res.frames,
	       o.out);
	if (res.nfail) {
		char replay[2048];
		size_t nreq;
		const struct req *t = req_table(&nreq);
		for (size_t k = 0; k < nreq; k++)
			if (res.req[k].verdict == REQ_FAIL)
				printf("FAIL %s: %s\n", t[k].id, res.req[k].detail);
		if (run_replay_command(&sc, &ro, res.seed, o.out, replay, sizeof(replay)) < 0)
			snprintf(replay, sizeof(replay), "(too long to print)");
		printf("replay: %s\n", replay);
	}
	scenario_free(&sc);
	return res.nfail ? EXIT_FAILED : EXIT_PASS;
}
