/*
 * `rmcpsec mutants [--json]`: the mutants behind --mutant, the catalogue
 * requirements each breaks and what is broken (nodes/mutant.h,
 * docs/testing/mutants.md). One line per mutant, its name first:
 * tests/golden/record.sh and tests/e2e/mutants.sh read the first column.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "nodes/mutant.h"
#include "sim/json_out.h"

static void
mutants_usage(FILE *f)
{
	fprintf(f, "usage: rmcpsec mutants [--json]\n"
		   "\n"
		   "The mutants `--mutant NAME` selects (docs/testing/mutants.md): the reference\n"
		   "nodes with one requirement broken on purpose. One line per mutant:\n"
		   "  NAME  REQ-ID[,REQ-ID...]  what is broken\n"
		   "\n"
		   "  --json   an array of {name, requirements, what}\n"
		   "  --help   this text\n");
}

static json_t *
mutant_json(const struct mutant_info *mi)
{
	json_t *o = json_object(), *reqs = json_array();
	for (size_t i = 0; reqs && i < MUT_MAX_REQS && mi->reqs[i]; i++)
		if (json_array_append_new(reqs, json_text(mi->reqs[i]))) {
			json_decref(reqs);
			reqs = NULL;
		}
	if (!o || !reqs || json_object_set_new(o, "name", json_text(mi->name)) ||
	    json_object_set_new(o, "requirements", reqs) ||
	    json_object_set_new(o, "what", json_text(mi->what))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* 0, or -1 when the table could not be built or printed. */
static int
print_json(void)
{
	json_t *a = json_array();
	for (int m = MUT_NONE + 1; a && m < MUT__COUNT; m++)
		if (json_array_append_new(a, mutant_json(mutant_info((enum mutant)m)))) {
			json_decref(a);
			a = NULL;
		}
	int rc = a && json_out_file(a, stdout) == 0 ? 0 : -1;
	json_decref(a);
	return rc;
}

/* The requirements as one word, comma-separated, so that awk sees columns. */
static void
reqs_word(const struct mutant_info *mi, char *buf, size_t cap)
{
	size_t at = 0;
	buf[0] = 0;
	for (size_t i = 0; i < MUT_MAX_REQS && mi->reqs[i] && at < cap; i++)
		at += (size_t)snprintf(buf + at, cap - at, "%s%s", i ? "," : "", mi->reqs[i]);
}

static void
print_text(void)
{
	char reqs[256];
	int wname = 0, wreqs = 0;
	for (int m = MUT_NONE + 1; m < MUT__COUNT; m++) {
		const struct mutant_info *mi = mutant_info((enum mutant)m);
		reqs_word(mi, reqs, sizeof(reqs));
		if ((int)strlen(mi->name) > wname)
			wname = (int)strlen(mi->name);
		if ((int)strlen(reqs) > wreqs)
			wreqs = (int)strlen(reqs);
	}
	for (int m = MUT_NONE + 1; m < MUT__COUNT; m++) {
		const struct mutant_info *mi = mutant_info((enum mutant)m);
		reqs_word(mi, reqs, sizeof(reqs));
		printf("%-*s  %-*s  %s\n", wname, mi->name, wreqs, reqs, mi->what);
	}
}

int
cmd_mutants(int argc, char **argv)
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
			mutants_usage(stdout);
			return EXIT_PASS;
		} else {
			mutants_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "rmcpsec mutants: unexpected argument '%s'\n", argv[optind]);
		mutants_usage(stderr);
		return EXIT_USAGE;
	}
	if (json && print_json()) {
		fprintf(stderr, "rmcpsec mutants: cannot print the table\n");
		return EXIT_USAGE;
	}
	if (!json)
		print_text();
	return fflush(stdout) == 0 ? EXIT_PASS : EXIT_USAGE;
}
