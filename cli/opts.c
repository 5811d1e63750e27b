#include "cli/opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "fsm/commit.h"
#include "nodes/mutant.h"
#include "sim/rng.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/scenario_fault.h"

/* --req ID: a catalogue requirement, once; suite only. 0, or -1 after printing why. */
static int
cli_add_req(struct cli_opts *o, const char *cmd, const char *id)
{
	int k = req_index(id);
	if (strcmp(cmd, "suite") != 0) {
		fprintf(stderr, "rmcpsec %s: --req selects scenarios of a suite\n", cmd);
		return -1;
	}
	if (k < 0) {
		fprintf(stderr,
			"rmcpsec %s: --req: unknown requirement '%s' (rmcpsec requirements)\n", cmd,
			id);
		return -1;
	}
	for (size_t i = 0; i < o->nreqs; i++)
		if (o->reqs[i] == k)
			return 0; /* given twice: the same selection */
	o->reqs[o->nreqs++] = k;  /* at most one of each: fits REQ_MAX */
	return 0;
}

int
cli_parse(int argc, char **argv, const char *cmd, struct cli_opts *o)
{
	static const struct option opts[] = {
	    {"seed", required_argument, NULL, 's'},
	    {"out", required_argument, NULL, 'o'},
	    {"pcap-per-node", no_argument, NULL, 'p'},
	    {"profile", required_argument, NULL, 'P'},
	    {"mutant", required_argument, NULL, 'M'},
	    {"fault", required_argument, NULL, 'F'},
	    {"net", required_argument, NULL, 'N'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"req", required_argument, NULL, 'R'},
	    {"dut", required_argument, NULL, 'D'},
	    {"iface", required_argument, NULL, 'I'},
	    {"dut-control", required_argument, NULL, 'C'},
	    {"dut-node", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof(*o));
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "s:o:j:h", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 's':
			if (rng_seed_parse(optarg, &o->seed)) {
				fprintf(stderr,
					"rmcpsec %s: --seed wants an integer from 0 to 2^63-1, got "
					"'%s'\n",
					cmd, optarg);
				return EXIT_USAGE;
			}
			o->seed_set = true;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'p':
			o->per_node_pcap = true;
			break;
		case 'P': {
			enum commit_profile p;
			if (commit_profile_parse(optarg, &p) != 0) {
				fprintf(stderr,
					"rmcpsec %s: --profile wants strict or robust, got '%s'\n",
					cmd, optarg);
				return EXIT_USAGE;
			}
			o->profile = 1 + (int)p;
			break;
		}
		case 'F':
			if (o->nfaults == sizeof(o->faults) / sizeof(o->faults[0])) {
				fprintf(stderr, "rmcpsec %s: at most %zu --fault rules\n", cmd,
					o->nfaults);
				return EXIT_USAGE;
			}
			o->faults[o->nfaults++] = optarg;
			break;
		case 'M': {
			enum mutant m;
			if (mutant_parse(optarg, &m) != 0) {
				fprintf(
				    stderr,
				    "rmcpsec %s: unknown mutant '%s' (docs/testing/mutants.md)\n",
				    cmd, optarg);
				return EXIT_USAGE;
			}
			o->mutant = (int)m;
			break;
		}
		case 'N':
			if (strcmp(optarg, "virtual") == 0) {
				o->net = RUN_NET_VIRTUAL;
			} else if (strcmp(optarg, "tap") == 0) {
				o->net = RUN_NET_TAP;
			} else {
				fprintf(stderr,
					"rmcpsec %s: --net wants virtual or tap, got '%s'\n", cmd,
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			errno = 0;
			o->jobs = (unsigned)strtoul(optarg, &end, 10);
			if (errno || *end || o->jobs < 1 || o->jobs > 64) {
				fprintf(stderr, "rmcpsec %s: --jobs wants 1 to 64, got '%s'\n", cmd,
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'R':
			if (cli_add_req(o, cmd, optarg))
				return EXIT_USAGE;
			break;
		case 'D':
			if (strcmp(optarg, "client") != 0 && strcmp(optarg, "server") != 0) {
				fprintf(stderr,
					"rmcpsec %s: --dut wants client or server, got '%s'\n", cmd,
					optarg);
				return EXIT_USAGE;
			}
			o->dut_role = 1 + (strcmp(optarg, "client") == 0 ? SCN_CLIENT : SCN_SERVER);
			break;
		case 'I':
			o->iface = optarg;
			break;
		case 'C':
			o->dut_control = optarg;
			break;
		case 'n':
			o->dut_node = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_PASS);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "rmcpsec %s: expected exactly one %s\n", cmd,
			strcmp(cmd, "run") == 0 ? "scenario file" : "directory");
		usage(stderr);
		return EXIT_USAGE;
	}
	o->target = argv[optind];
	if (o->dut_role && (!o->iface || !o->dut_control)) {
		fprintf(stderr, "rmcpsec %s: --dut needs --iface IF and --dut-control CMD\n", cmd);
		return EXIT_USAGE;
	}
	if (o->dut_role)
		o->net = RUN_NET_TAP; /* the DUT is on a real link: everything runs in real time */
	return 0;
}

int
cli_dut_node(const struct cli_opts *o, const struct scenario *sc)
{
	enum scn_role role = (enum scn_role)(o->dut_role - 1);
	for (size_t i = 0; i < sc->nnodes; i++)
		if (sc->nodes[i].role == role &&
		    (!o->dut_node || strcmp(sc->nodes[i].name, o->dut_node) == 0))
			return (int)i;
	fprintf(stderr, "rmcpsec: %s: no %s%s%s to play by the DUT\n", sc->path,
		role == SCN_CLIENT ? "client" : "server", o->dut_node ? " named " : "",
		o->dut_node ? o->dut_node : "");
	return -1;
}

int
cli_apply_faults(const struct cli_opts *o, struct scenario *sc)
{
	char err[SCN_ERR];
	for (size_t i = 0; i < o->nfaults; i++) {
		struct fault_rule r;
		if (fault_rule_parse_cli(sc, o->faults[i], &r, err, sizeof(err)) != 0) {
			fprintf(stderr, "rmcpsec: %s: %s\n", sc->path, err);
			return EXIT_USAGE;
		}
		if (scenario_fault_append(sc, &r) != 0) {
			fprintf(stderr, "rmcpsec: out of memory\n");
			return EXIT_USAGE;
		}
	}
	return 0;
}
