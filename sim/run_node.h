/* `rmcpsec node`: one reference node on a real interface, its control socket (docs/users/dut.md).
 */
#ifndef RMCPSEC_SIM_RUN_NODE_H
#define RMCPSEC_SIM_RUN_NODE_H

#include <stddef.h>

#include "sim/run.h"

/*
 * Runs node o->node of sc alone on o->iface (a TAP to attach to with
 * o->node_tap), answering the JSON-lines requests of the control socket at
 * o->control (when set) until a `stop` request or a signal; writes its trace
 * and key files to o->outdir. 0, or an error with err filled.
 */
int run_node(const struct scenario *sc, const struct run_opts *o, char *err, size_t errlen);

#endif
