/*
 * `rmcpsec node client|server --iface IF --config SCENARIO [--node NAME]`:
 * one reference node of a scenario as a process of its own on a real
 * interface, with the keys and configuration the scenario and seed give it,
 * until `{"cmd": "stop"}` on its control socket or a signal (docs/users/dut.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "fsm/commit.h"
#include "sim/rng.h"
#include "sim/run.h"
#include "sim/net.h"
#include "sim/run_node.h"
#include "sim/scenario.h"

struct node_args {
	const char *iface, *config, *name, *control, *out;
	bool tap; /* --tap: iface is a TAP device to attach to */
	uint64_t seed;
	bool seed_set;
	int profile;
	enum scn_role role;
};

static int
parse(int argc, char **argv, struct node_args *a)
{
	static const struct option opts[] = {
	    {"iface", required_argument, NULL, 'i'},
	    {"config", required_argument, NULL, 'c'},
	    {"node", required_argument, NULL, 'n'},
	    {"control", required_argument, NULL, 'C'},
	    {"seed", required_argument, NULL, 's'},
	    {"profile", required_argument, NULL, 'P'},
	    {"out", required_argument, NULL, 'o'},
	    {"tap", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	memset(a, 0, sizeof(*a));
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		enum commit_profile p;
		switch (c) {
		case 'i':
			a->iface = optarg;
			break;
		case 't':
			a->iface = optarg;
			a->tap = true;
			break;
		case 'c':
			a->config = optarg;
			break;
		case 'n':
			a->name = optarg;
			break;
		case 'C':
			a->control = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 's':
			if (rng_seed_parse(optarg, &a->seed)) {
				fprintf(stderr,
					"rmcpsec node: --seed wants an integer from 0 to 2^63-1, "
					"got '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			a->seed_set = true;
			break;
		case 'P':
			if (commit_profile_parse(optarg, &p) != 0) {
				fprintf(stderr, "rmcpsec node: --profile wants strict or robust\n");
				return EXIT_USAGE;
			}
			a->profile = 1 + (int)p;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !a->iface || !a->config ||
	    (strcmp(argv[optind], "client") != 0 && strcmp(argv[optind], "server") != 0)) {
		fprintf(stderr,
			"usage: rmcpsec node client|server --iface IF|--tap TAP --config SCENARIO "
			"[--node NAME] [--control SOCKET] [--seed N] [--profile P] [--out DIR]\n");
		return EXIT_USAGE;
	}
	a->role = strcmp(argv[optind], "client") == 0 ? SCN_CLIENT : SCN_SERVER;
	return 0;
}

static int
find_node(const struct scenario *sc, const struct node_args *a)
{
	for (size_t i = 0; i < sc->nnodes; i++)
		if (sc->nodes[i].role == a->role &&
		    (!a->name || strcmp(sc->nodes[i].name, a->name) == 0))
			return (int)i;
	fprintf(stderr, "rmcpsec node: %s has no %s%s%s\n", sc->path,
		a->role == SCN_CLIENT ? "client" : "server", a->name ? " named " : "",
		a->name ? a->name : "");
	return -1;
}

int
cmd_node(int argc, char **argv)
{
	struct node_args a;
	struct scenario sc;
	char err[SCN_ERR], outdir[600];
	if (parse(argc, argv, &a))
		return EXIT_USAGE;
	if (scenario_load(a.config, &sc, err, sizeof(err)) != 0) {
		fprintf(stderr, "rmcpsec: %s\n", err);
		return EXIT_USAGE;
	}
	int idx = find_node(&sc, &a);
	if (idx < 0) {
		scenario_free(&sc);
		return EXIT_USAGE;
	}
	snprintf(outdir, sizeof(outdir), "%s", a.out ? a.out : "out/node");
	struct run_opts ro = {.seed = a.seed,
			      .seed_set = a.seed_set,
			      .outdir = outdir,
			      .profile = a.profile,
			      .net = RUN_NET_NODE,
			      .node = (size_t)idx,
			      .iface = a.iface,
			      .node_tap = a.tap,
			      .control = a.control};
	net_catch_signals();
	fprintf(stderr, "rmcpsec node: %s (%s of %s, seed %llu) on %s%s%s\n", sc.nodes[idx].name,
		a.role == SCN_CLIENT ? "client" : "server", sc.path,
		(unsigned long long)run_seed(&sc, &ro), a.iface, a.control ? ", control " : "",
		a.control ? a.control : "");
	int rc = run_node(&sc, &ro, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "rmcpsec node: %s\n", err);
	scenario_free(&sc);
	return rc ? EXIT_USAGE : EXIT_PASS;
}
