/* `rmcpsec requirements [--json]`: the requirement catalogue (sim/req.h, docs/users/requirements.md). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "sim/json.h"
#include "sim/req.h"

static void
print_json(const struct req *t, size_t n)
{
	printf("[\n");
	for (size_t i = 0; i < n; i++) {
		printf("  {\"id\": ");
		json_str(stdout, t[i].id);
		printf(", \"scope\": ");
		json_str(stdout, t[i].scope);
		printf(", \"source\": ");
		json_str(stdout, t[i].source);
		printf(", \"text\": ");
		json_str(stdout, t[i].text);
		printf("}%s\n", i + 1 < n ? "," : "");
	}
	printf("]\n");
}

static void
print_text(const struct req *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%s  [%s]\n  %s\n  source: %s\n\n", t[i].id, t[i].scope, t[i].text,
		       t[i].source);
}

int
cmd_requirements(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else {
			fprintf(stderr, "rmcpsec requirements: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	size_t n;
	const struct req *t = req_table(&n);
	if (json)
		print_json(t, n);
	else
		print_text(t, n);
	return fflush(stdout) == 0 ? EXIT_PASS : EXIT_USAGE;
}
