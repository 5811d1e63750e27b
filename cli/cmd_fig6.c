/* rmcpsec fig6 [--json]: the patent's Fig. 6 table as the fsm/ policy holds it. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "fsm/policy.h"

int
cmd_fig6(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else if (c == 'h') {
			usage(stdout);
			return EXIT_PASS;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || !json) {
		fprintf(stderr, "rmcpsec fig6: only --json output exists\n");
		return EXIT_USAGE;
	}
	size_t cap = 1 << 16;
	char *buf = malloc(cap);
	if (!buf)
		return EXIT_USAGE;
	int n = fig6_policy_json(buf, cap);
	if (n < 0) {
		fprintf(stderr, "rmcpsec fig6: table larger than %zu bytes\n", cap);
		free(buf);
		return EXIT_USAGE;
	}
	fwrite(buf, 1, (size_t)n, stdout);
	if (n == 0 || buf[n - 1] != '\n')
		putchar('\n');
	free(buf);
	return EXIT_PASS;
}
