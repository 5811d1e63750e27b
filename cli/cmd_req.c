/* `rmcpsec requirements [--json | --coverage DIR]`: the requirement catalogue (sim/req.h,
 * docs/users/requirements.md), or how the scenarios under DIR cover it (cli/req_coverage.c). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "sim/json_out.h"
#include "sim/req.h"

static json_t *
req_json(const struct req *q, const char *unmet)
{
	json_t *o = json_object();
	if (json_object_set_new(o, "id", json_text(q->id)) ||
	    json_object_set_new(o, "scope", json_text(q->scope)) ||
	    json_object_set_new(o, "source", json_text(q->source)) ||
	    json_object_set_new(o, "text", json_text(q->text)) ||
	    (unmet && json_object_set_new(o, "unmet", json_text(unmet)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* 0, or -1 when the catalogue could not be built or printed. */
static int
print_json(const struct req *t, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, req_json(&t[i], req_unmet((int)i)))) {
			json_decref(a);
			a = NULL;
		}
	int rc = a && json_out_file(a, stdout) == 0 ? 0 : -1;
	json_decref(a);
	return rc;
}

static void
print_text(const struct req *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		printf("%s  [%s]\n  %s\n  source: %s\n", t[i].id, t[i].scope, t[i].text,
		       t[i].source);
		if (req_unmet((int)i))
			printf("  not met by the reference nodes yet: %s\n", req_unmet((int)i));
		putchar('\n');
	}
}

int
cmd_requirements(int argc, char **argv)
{
	bool json = false;
	const char *coverage = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--coverage") == 0) {
			if (i + 1 == argc || coverage) {
				fprintf(stderr,
					"rmcpsec requirements: --coverage wants one directory\n");
				return EXIT_USAGE;
			}
			coverage = argv[++i];
		} else {
			fprintf(stderr, "rmcpsec requirements: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (coverage && json) {
		fprintf(stderr, "rmcpsec requirements: --coverage prints text only\n");
		return EXIT_USAGE;
	}
	if (coverage)
		return req_coverage(coverage);
	size_t n;
	const struct req *t = req_table(&n);
	if (json && print_json(t, n)) {
		fprintf(stderr, "rmcpsec requirements: cannot print the catalogue\n");
		return EXIT_USAGE;
	}
	if (!json)
		print_text(t, n);
	return fflush(stdout) == 0 ? EXIT_PASS : EXIT_USAGE;
}
