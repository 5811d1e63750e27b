/*
 * Internal to nodes/client*.c: the client's host, which runs IKE only while
 * its OS is up (nodes/client_host.c).
 */
#ifndef RMCPSEC_NODES_CLIENT_HOST_H
#define RMCPSEC_NODES_CLIENT_HOST_H

#include "nodes/client.h"
#include "proto/pkt.h"

/* Starts the host's IKE when the OS comes up, drops it when the OS goes. */
void host_follow_power(struct client *c, enum power_state next, struct node_out *out);
void host_stop(struct client *c);
void host_on_ike(struct client *c, uint64_t now, const struct pkt *pk, struct node_out *out);
void host_on_timer(struct client *c, uint64_t now, struct node_out *out);

#endif
