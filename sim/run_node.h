/* `rmcpsec node`: the requests of its control socket (docs/dut.md). */
#ifndef RMCPSEC_SIM_RUN_NODE_H
#define RMCPSEC_SIM_RUN_NODE_H

#include <jansson.h>

/* A node_ctl_fn; ctx is the struct run of the node (sim/run_int.h). */
void run_node_control(void *ctx, json_t *req, json_t *reply);

#endif
