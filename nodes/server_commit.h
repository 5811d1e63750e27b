/*
 * Internal to nodes/server*.c: the server's side of the refresh commit for
 * one client (fsm/commit_server and the actions it asks for), what the
 * server learns about the client's power and SA, and its context in the
 * persistent store.
 */
#ifndef RMCPSEC_NODES_SERVER_COMMIT_H
#define RMCPSEC_NODES_SERVER_COMMIT_H

#include "nodes/server.h"
#include "nodes/server_ike.h"
#include "proto/rmcp.h"

/* Steps the client's commit machine and carries out what it asks for. */
void srv_commit_event(struct server *s, uint64_t now, struct server_client *c,
		      const struct commit_event *ev, struct node_out *out);
/* How the client's key exchange stands (k from nodes/server_ike.h); wipes k's keys. */
void srv_commit_kex(struct server *s, uint64_t now, struct server_client *c, struct srv_kex *k,
		    struct node_out *out);
/* Feeds the machine its timers that are due. */
void srv_commit_timers(struct server *s, uint64_t now, struct server_client *c,
		       struct node_out *out);
uint64_t srv_commit_deadline(const struct server_client *c);
bool srv_commit_idle(const struct server_client *c);
/* The machine's SA in use is spi (provisioned); no action follows. */
void srv_commit_load(struct server_client *c, uint32_t spi);
/* SA_READY or SA_CONFIRM from the client, opened under one of its SAs. */
void srv_on_commit_msg(struct server *s, uint64_t now, struct server_client *c,
		       const struct rmcp_msg *m, struct node_out *out);
/* After a takeover: the SA_ACK the predecessor may not have got out, once the MAC is known. */
void srv_send_owed_ack(struct server *s, struct server_client *c, struct node_out *out);

/* The client's power state as System State reports it. */
void srv_peer_state(struct server *s, uint64_t now, struct server_client *c, enum power_state st,
		    struct node_out *out);
/* It answered in the clear what we asked under its SA: its NIC lost the context. */
void srv_context_lost(struct server *s, struct server_client *c, struct node_out *out);
/* Every SA, the exchange and the commit state of the client gone from RAM. */
void srv_forget_context(struct server_client *c);
/* Restarts (or takes over) the client's context from the store. */
void srv_resume_from_store(struct server *s, uint64_t now, struct server_client *c,
			   struct node_out *out);

#endif
