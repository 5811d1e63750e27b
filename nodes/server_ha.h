/*
 * Internal to nodes/server*.c: failover between a primary and a secondary
 * server, heartbeat and takeover.
 */
#ifndef RMCPSEC_NODES_SERVER_HA_H
#define RMCPSEC_NODES_SERVER_HA_H

#include "nodes/server.h"
#include "proto/pkt.h"

/* Arms the heartbeat (primary) or the watchdog on the primary (secondary). */
void srv_ha_start(struct server *s, uint64_t now, struct node_out *out);
/*
 * SERVER_TIMER_HA: a heartbeat, or the watchdog's check. True when this
 * secondary just took the management address over: its caller then loads
 * the clients' context from the store.
 */
bool srv_ha_timer(struct server *s, uint64_t now, struct node_out *out);
/* True if the frame was for failover (a heartbeat) or a passive secondary ignores it. */
bool srv_ha_on_frame(struct server *s, uint64_t now, const struct pkt *pk);

#endif
