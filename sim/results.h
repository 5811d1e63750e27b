/*
 * results.json, beside a run's trace (docs/users/results.md): the scenario, seed,
 * backend, verdicts, requirement outcomes, nodes, the run's notes and the
 * faults applied. Deterministic: nothing in it depends on the output
 * directory or the wall clock.
 */
#ifndef RMCPSEC_SIM_RESULTS_H
#define RMCPSEC_SIM_RESULTS_H

#include "sim/judge.h"
#include "sim/run.h"

struct run;

/*
 * Writes path through jansson (sim/json_out.h); 0, RMC_ENOMEM, or RMC_EIO. v holds
 * nexpects + 1 verdicts (the last: the trace verifier).
 */
int results_write(const struct run *r, const struct run_result *res, const struct verdict *v,
		  const char *path);

#endif
