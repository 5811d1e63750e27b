/* The client NIC's receive path and its replies; internal to nodes/client*.c. */
#ifndef RMCPSEC_NODES_CLIENT_RX_H
#define RMCPSEC_NODES_CLIENT_RX_H

#include "nodes/client.h"

int client_set_power(struct client *c, uint64_t now, enum power_cause cause, struct node_out *out);
/* After anything that wrote NVRAM: a torn write means the power just failed. */
void client_check_nvram_cut(struct client *c, uint64_t now, struct node_out *out);

#endif
