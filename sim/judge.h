/*
 * The judge: one verdict per expectation of the scenario, from what the
 * harness observed on the wire (sim/observe) and what each node shows of
 * itself (its player's snapshot, sim/player.h) — never from the scenario's
 * own expectation. A check a player cannot show is N/A, said so, never a
 * pass. The verdicts then fold into one outcome per requirement.
 */
#ifndef RMCPSEC_SIM_JUDGE_H
#define RMCPSEC_SIM_JUDGE_H

#include <stdbool.h>

#include "sim/req.h"
#include "sim/run.h"
#include "sim/scenario.h"

struct run;

struct verdict {
	bool pass;
	bool na; /* not judged: the node cannot show it, or the scenario was not played (detail) */
	char what[160];
	char detail[200];
};

/* "PASS", "FAIL" or "N/A". */
const char *verdict_name(const struct verdict *v);
/* The verdict on expectation e of the run. */
void judge(const struct run *r, const struct scn_expect *e, struct verdict *v);
/*
 * Folds the verdicts (v[nexpects] is the trace verifier's) into one outcome
 * per requirement in res, with the verifier's finding classes (tf).
 */
void judge_requirements(const struct run *r, const struct verdict *v,
			const struct trace_findings *tf, struct run_result *res);
/* res->observed: one line on what the wire and the nodes showed. */
void judge_summarize(const struct run *r, struct run_result *res);

#endif
