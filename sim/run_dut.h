/*
 * DUT mode (docs/dut.md): one node of the scenario is a device under test
 * outside rmcpsec, reached on an interface (sim/run_tap) and driven through
 * the vendor's adapter command (sim/dut). The run calls `begin` before its
 * clock starts, `power EVENT` for each timeline power event of the DUT,
 * `state` at the end (judged like a reference node's state) and `end`.
 */
#ifndef RMCPSEC_SIM_RUN_DUT_H
#define RMCPSEC_SIM_RUN_DUT_H

#include <stddef.h>

#include "fsm/power.h"

struct run;

int run_dut_begin(struct run *r, char *err, size_t errlen);
/* A power event for the DUT; what it could not do makes the run's verdicts N/A. */
void run_dut_power(struct run *r, enum power_cause cause);
/* A request or command of the timeline the DUT server sends: `send MSG CLIENT VIA`. */
struct scn_action;
void run_dut_send(struct run *r, const struct scn_action *a);
/* `state` into r->dut_st, then `end`. */
int run_dut_finish(struct run *r, char *err, size_t errlen);
/* A run that stopped on an error after `begin`: `end` all the same, its result ignored. */
void run_dut_abort(struct run *r);

#endif
