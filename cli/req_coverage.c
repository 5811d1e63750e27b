/*
 * `rmcpsec requirements --coverage DIR`: how the scenarios under DIR cover
 * the catalogue (docs/users/requirements.md, "Coverage"). Every scenario is
 * read with the loader the suite uses; nothing runs. Per requirement: the
 * scenarios that judge it, how many of them negatively, and the mutants that
 * break it; then every expectation that names no requirement, and the gaps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/scn_files.h"
#include "nodes/mutant.h"
#include "sim/coverage.h"
#include "sim/req.h"
#include "sim/scenario.h"

/* Fewer scenarios than this judging a requirement is a gap. */
enum { COVERAGE_MIN_SCENARIOS = 2 };

struct req_cover {
	size_t judged, negative, mutants;
};

static const char *
expect_word(const struct scn_expect *e)
{
	switch (e->kind) {
	case SCN_EXPECT_POWER:
		return "power";
	case SCN_EXPECT_EXECUTED:
		return e->exact && e->count == 0 ? "not_executed" : "executed";
	case SCN_EXPECT_SEEN:
		return "seen";
	case SCN_EXPECT_NOT_SEEN:
		return "not_seen";
	case SCN_EXPECT_IN_SYNC:
		return "in_sync";
	case SCN_EXPECT_SAS:
		return "sas";
	case SCN_EXPECT_NO_ANSWER:
		return "no_answer";
	case SCN_EXPECT_ANSWERED:
		return "answered_under";
	case SCN_EXPECT_REFUSED:
		return "refused_with";
	case SCN_EXPECT_REFRESHED:
		return "refreshed";
	}
	return "?";
}

static bool
mutant_breaks(const struct mutant_info *mi, const char *id)
{
	for (size_t i = 0; i < MUT_MAX_REQS && mi->reqs[i]; i++)
		if (strcmp(mi->reqs[i], id) == 0)
			return true;
	return false;
}

/* The mutants that break id, comma-separated; how many. */
static size_t
print_mutants(const char *id)
{
	size_t n = 0;
	for (int m = MUT_NONE + 1; m < MUT__COUNT; m++) {
		const struct mutant_info *mi = mutant_info((enum mutant)m);
		if (mutant_breaks(mi, id))
			printf("%s%s", n++ ? ", " : "", mi->name);
	}
	if (!n)
		printf("-");
	putchar('\n');
	return n;
}

static void
print_requirement(const struct req *q, int k, const struct scenario *sc, size_t nsc,
		  struct req_cover *c)
{
	for (size_t i = 0; i < nsc; i++)
		if (coverage_judges(&sc[i], k)) {
			c->judged++;
			c->negative += coverage_judges_negatively(&sc[i], k);
		}
	printf("%-34s %9zu %8zu  ", q->id, c->judged, c->negative);
	c->mutants = print_mutants(q->id);
	if (c->judged == nsc && nsc > 1) {
		printf("    every scenario\n");
		return;
	}
	for (size_t i = 0; i < nsc; i++)
		if (coverage_judges(&sc[i], k))
			printf("    %s%s\n", sc[i].path,
			       coverage_judges_negatively(&sc[i], k) ? " (negative)" : "");
}

/* Each expectation that names no requirement, as file:line: kind; how many. */
static size_t
print_untagged(const struct scenario *sc, size_t nsc)
{
	size_t n = 0;
	for (size_t i = 0; i < nsc; i++)
		for (size_t j = 0; j < sc[i].nexpects; j++)
			if (sc[i].expects[j].nreq == 0) {
				if (n++ == 0)
					printf("\nexpectations that name no requirement:\n");
				printf("  %s:%d: %s\n", sc[i].path, sc[i].expects[j].line,
				       expect_word(&sc[i].expects[j]));
			}
	return n;
}

/* The requirements the reference does not meet yet, apart from the gaps. */
static void
print_unmet(const struct req *t, size_t n)
{
	size_t unmet = 0;
	for (size_t k = 0; k < n; k++)
		if (req_unmet((int)k)) {
			if (unmet++ == 0)
				printf("\nnot met by the reference nodes yet (no scenario can pass "
				       "them, "
				       "no mutant break them; not counted as gaps):\n");
			printf("  %s: %s\n", t[k].id, req_unmet((int)k));
		}
}

/* Requirement gaps, one line each; how many. */
static size_t
print_gaps(const struct req *t, size_t n, const struct req_cover *c)
{
	size_t gaps = 0;
	for (size_t k = 0; k < n; k++) {
		if (req_unmet((int)k))
			continue;
		const char *why[3] = {NULL, NULL, NULL};
		char few[64];
		if (c[k].judged < COVERAGE_MIN_SCENARIOS) {
			snprintf(few, sizeof(few), "judged by %zu scenario(s), fewer than %d",
				 c[k].judged, COVERAGE_MIN_SCENARIOS);
			why[0] = few;
		}
		if (c[k].negative == 0)
			why[1] = "no negative scenario";
		if (c[k].mutants == 0)
			why[2] = "no mutant";
		for (size_t w = 0; w < 3; w++)
			if (why[w]) {
				if (gaps++ == 0)
					printf("\ngaps:\n");
				printf("  %s: %s\n", t[k].id, why[w]);
			}
	}
	return gaps;
}

/* Loads every scenario under dir into *out; 0, or -1 after printing why. */
static int
load_all(const char *dir, struct scenario **out, size_t *n)
{
	struct scn_files files = {0};
	char err[SCN_ERR];
	int rc = -1;
	*n = 0;
	if (scn_files_collect("requirements", dir, &files) != 0)
		goto out;
	if (files.n == 0) {
		fprintf(stderr, "rmcpsec requirements: no *.yaml under %s\n", dir);
		goto out;
	}
	if (!(*out = calloc(files.n, sizeof(**out)))) {
		fprintf(stderr, "rmcpsec requirements: out of memory\n");
		goto out;
	}
	for (; *n < files.n; (*n)++)
		if (scenario_load(files.v[*n], &(*out)[*n], err, sizeof(err)) != 0) {
			fprintf(stderr, "rmcpsec: %s\n", err);
			goto out;
		}
	rc = 0;
out:
	scn_files_free(&files);
	return rc;
}

int
req_coverage(const char *dir)
{
	struct scenario *sc = NULL;
	size_t nsc = 0, nreq, untagged, gaps;
	const struct req *t = req_table(&nreq);
	struct req_cover cover[REQ_MAX] = {0};
	int code = EXIT_USAGE;
	if (load_all(dir, &sc, &nsc) != 0)
		goto out;
	printf("%-34s %9s %8s  %s\n", "requirement", "scenarios", "negative", "mutants");
	for (size_t k = 0; k < nreq; k++)
		print_requirement(&t[k], (int)k, sc, nsc, &cover[k]);
	untagged = print_untagged(sc, nsc);
	gaps = print_gaps(t, nreq, cover);
	print_unmet(t, nreq);
	printf("\ncoverage: %zu scenarios, %zu requirements; %zu expectation(s) name no "
	       "requirement, %zu gap(s)\n",
	       nsc, nreq, untagged, gaps);
	code = untagged || gaps ? EXIT_FAILED : EXIT_PASS;
out:
	for (size_t i = 0; i < nsc; i++)
		scenario_free(&sc[i]);
	free(sc);
	return fflush(stdout) == 0 ? code : EXIT_USAGE;
}
