/*
 * Coverage of the requirement catalogue by a set of loaded scenarios
 * (docs/users/requirements.md, "Coverage"): which scenarios judge each
 * requirement, which of them judge it with a negative expectation, and
 * which expectations name no requirement. Read from the scenarios as the
 * loader holds them, before anything runs.
 */
#ifndef RMCPSEC_SIM_COVERAGE_H
#define RMCPSEC_SIM_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/scenario.h"

/*
 * Whether sc judges requirement k (an index into req_table): one of its
 * expectations names it, or k is REQ-TRACE-VERIFIES, which the trace
 * verifier's verdict on line 0 judges in every run. The verifier's finding
 * classes judge other requirements only when the trace holds something
 * for them, which only the run knows: they count here only through a tag.
 */
bool coverage_judges(const struct scenario *sc, int k);

/*
 * Whether e is negative: a non-conforming device would fail it by doing
 * something it must not do. `not_seen`, `executed` with `times:` (so
 * `not_executed` too), `no_answer`, `answered_under`, `in_sync: false`;
 * and every expectation of a scenario whose timeline injects frames or
 * whose `faults:` are not empty.
 */
bool coverage_expect_negative(const struct scenario *sc, const struct scn_expect *e);

/*
 * Whether sc judges requirement k negatively: a negative expectation names
 * it, or k is REQ-TRACE-VERIFIES and sc injects or has faults (the
 * verifier's line 0 is then negative like every expectation of it).
 */
bool coverage_judges_negatively(const struct scenario *sc, int k);

#endif
