/*
 * `rmcpsec suite`: what one run of the suite leaves for its reports —
 * summary.json with the per-requirement aggregate, junit.xml (one
 * testsuite per scenario, one testcase per scenario × requirement) and the
 * requirement table on the terminal. Formats: docs/users/results.md.
 */
#ifndef RMCPSEC_CLI_SUITE_H
#define RMCPSEC_CLI_SUITE_H

#include <stdio.h>

#include "sim/req.h"
#include "sim/run.h"
#include "sim/scenario.h"

struct suite_run {
	struct scenario sc;
	struct run_result res;
	char outdir[1200];
	char replay[2048]; /* the command that reproduces this run */
};

/* One requirement over the whole suite. */
struct req_agg {
	enum req_verdict verdict; /* FAIL if any run failed it, else PASS if any passed, else N/A */
	size_t pass, fail, na;
};

void suite_aggregate(const struct suite_run *runs, size_t n, struct req_agg agg[REQ_MAX]);
/* OUT/summary.json (rmcpsec-summary/1); 0 or -1. */
int suite_write_summary(const char *path, const struct suite_run *runs, size_t n,
			const struct req_agg agg[REQ_MAX]);
/* OUT/junit.xml; 0 or -1. */
int suite_write_junit(const char *path, const struct suite_run *runs, size_t n);
/* id, verdict, pass/fail/n-a counts and the failing scenarios. */
void suite_print_requirements(FILE *f, const struct suite_run *runs, size_t n,
			      const struct req_agg agg[REQ_MAX]);

#endif
