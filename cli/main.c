#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: rmcpsec COMMAND [options]\n"
	    "\n"
	    "commands:\n"
	    "  run SCENARIO     run one scenario in virtual time\n"
	    "      --seed N         override the scenario's seed\n"
	    "      --out DIR        where trace.pcap and results.json go (default out/NAME)\n"
	    "      --pcap-per-node  also write DIR/NODE.pcap for every node\n"
	    "      --profile P      commit profile strict or robust, over the scenario's\n"
	    "      --net tap        real frames in real time: each node on a TAP device in\n"
	    "                       a network namespace of its own (root; docs/testing/tap.md)\n"
	    "  suite DIR        run every *.yaml under DIR (recursively, in name order);\n"
	    "                   writes OUT/summary.json and OUT/junit.xml (docs/users/results.md)\n"
	    "      --seed N         override every scenario's seed\n"
	    "      --out DIR        output root (default out/)\n"
	    "      --profile P      commit profile strict or robust for every scenario\n"
	    "      --fault SPEC     one more fault rule, YAML flow form (docs/users/faults.md),\n"
	    "                       e.g. '{do: drop, msg: sa_confirm, nth: 1}'; repeatable\n"
	    "      --mutant NAME    run the reference nodes with one requirement broken\n"
	    "                       (docs/testing/mutants.md); the suite must fail\n"
	    "      --req ID         only the scenarios that judge requirement ID (an\n"
	    "                       expectation names it; REQ-TRACE-VERIFIES: every one);\n"
	    "                       repeatable: those that judge any (docs/users/results.md)\n"
	    "      --jobs N         N scenarios at once, each in a process of its own\n"
	    "                       (default: one after the other; with --net tap, all)\n"
	    "      --net tap        as for run; scenarios run side by side in processes of\n"
	    "                       their own\n"
	    "      --dut client|server  one node is a device under test on --iface IF,\n"
	    "                       driven by --dut-control CMD (docs/users/dut.md); implies\n"
	    "                       --net tap; --dut-node NAME picks which node\n"
	    "  node client|server  one reference node as a process on a real interface\n"
	    "      --iface IF --config SCENARIO [--node NAME] [--control SOCKET]\n"
	    "      --tap TAP        instead of --iface: attach to a TAP device, as a VM\n"
	    "                       JSON-lines control socket: state, power, send, stop\n"
	    "  requirements     the requirement catalogue (docs/users/requirements.md)\n"
	    "      --json           as JSON: id, scope, source, text (and unmet: why the\n"
	    "                       reference nodes do not meet it yet, where so)\n"
	    "      --coverage DIR   per requirement, the scenarios under DIR that judge it,\n"
	    "                       how many negatively, and its mutants; every expectation\n"
	    "                       naming no requirement (file:line); exit 1 on one of\n"
	    "                       those, or a requirement judged by fewer than two\n"
	    "                       scenarios, by no negative one, or broken by no mutant\n"
	    "                       (docs/users/requirements.md, \"Coverage\")\n"
	    "  mutants          the mutants --mutant selects, the requirements each breaks\n"
	    "                   and what is broken, one line each (docs/testing/mutants.md)\n"
	    "      --json           as JSON: name, requirements, what\n"
	    "  fig6 --json      print the patent's Fig. 6 policy table as JSON\n"
	    "  verify TRACE     check a pcap trace on its own (docs/users/verify.md)\n"
	    "      --keys FILE      an esp_sa (or ah_sa) key file; repeatable\n"
	    "                       (default: esp_sa and ah_sa beside the trace)\n"
	    "      --policy FILE    a scenario (.yaml: its NIC bits and clear stimuli) or a\n"
	    "                       key=value policy: clear traffic, allowed duplicates\n"
	    "      --json           findings and summary as JSON\n"
	    "      exit 0 no finding, 1 a finding, 2 unreadable trace, keys or policy\n"
	    "  wireshark TRACE  open TRACE in Wireshark with the keys beside it (esp_sa,\n"
	    "                   ikev2_decryption_table), the commit dissector and UDP 664\n"
	    "                   decoded as RMCP; Lua file from $RMCPSEC_LUA, else\n"
	    "                   <exe>/../../pcap/wireshark/, else /usr/share/rmcpsec/\n"
	    "      --tshark ARGS... run tshark instead, with ARGS after the trace\n"
	    "\n"
	    "  --help           this text\n"
	    "  --version        print the version\n"
	    "\n"
	    "exit status: 0 every verdict passed, 1 a verdict failed, 2 usage or input error\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "suite") == 0)
		return cmd_suite(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "node") == 0)
		return cmd_node(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "fig6") == 0)
		return cmd_fig6(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "wireshark") == 0)
		return cmd_wireshark(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "requirements") == 0)
		return cmd_requirements(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "mutants") == 0)
		return cmd_mutants(argc - 1, argv + 1);
	int c;
	/* '+': stop at the first non-option, which would be an unknown command. */
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_PASS;
		case 'V':
			printf("rmcpsec %s\n", RMCPSEC_VERSION);
			return EXIT_PASS;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		fprintf(stderr, "rmcpsec: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return EXIT_USAGE;
}
