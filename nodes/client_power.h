/*
 * Internal to nodes/client*.c: the client machine's power (nodes/client.c).
 * A management command and a power cut in the middle of an NVRAM write
 * change it from inside the NIC; the NIC and the host follow.
 */
#ifndef RMCPSEC_NODES_CLIENT_POWER_H
#define RMCPSEC_NODES_CLIENT_POWER_H

#include "nodes/client.h"

int client_set_power(struct client *c, uint64_t now, enum power_cause cause, struct node_out *out);
/* After anything that wrote NVRAM: a torn write means the power just failed. */
void client_check_nvram_cut(struct client *c, uint64_t now, struct node_out *out);

#endif
