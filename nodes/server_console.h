/*
 * Internal to nodes/server*.c: the console, the per-client side of RMCP/ASF
 * management — the inventory, the queue of requests and commands with the
 * DSP0136 retry rule, and System State polling.
 */
#ifndef RMCPSEC_NODES_SERVER_CONSOLE_H
#define RMCPSEC_NODES_SERVER_CONSOLE_H

#include "nodes/server.h"
#include "proto/rmcp.h"

int srv_find_by_ip(const struct server *s, uint32_t ip);
/* Queues an ASF message for c and sends it if nothing is outstanding (server_send). */
int srv_queue(struct server *s, uint64_t now, struct server_client *c, uint8_t asf_type,
	      enum server_via via, struct node_out *out);
/* An RMCP ACK or an ASF answer from c, in the clear or under its SA. */
void srv_console_answer(struct server *s, uint64_t now, struct server_client *c,
			const struct rmcp_msg *m, bool secure, struct node_out *out);
/* ARP found c: a message that waited for its MAC leaves. */
void srv_console_mac_learned(struct server *s, uint64_t now, struct server_client *c,
			     bool was_known, struct node_out *out);
/* Polls c if its System State poll is due; true if that queued a request. */
bool srv_console_poll(struct server *s, uint64_t now, struct server_client *c,
		      struct node_out *out);
/* The outstanding message to c: resent if unanswered, given up after the last retry. */
void srv_console_retry(struct server *s, uint64_t now, struct server_client *c,
		       struct node_out *out);
uint64_t srv_console_deadline(const struct server *s, const struct server_client *c);
/* The server stopped: every queue died with it. */
void srv_console_drop_queues(struct server *s);

#endif
