/*
 * Internal to nodes/server*.c: the server's IKE initiator for one client.
 * Each call reports how the exchange stands in a struct srv_kex; what that
 * means for the refresh is nodes/server_commit.c's business.
 */
#ifndef RMCPSEC_NODES_SERVER_IKE_H
#define RMCPSEC_NODES_SERVER_IKE_H

#include "nodes/server.h"
#include "proto/pkt.h"

enum srv_kex_outcome {
	SRV_KEX_NONE = 0, /* running, idle, or over without a CHILD_SA to report */
	SRV_KEX_CHILD,	  /* a CHILD_SA came up (in .child); the exchange is over */
	SRV_KEX_FAILED,	  /* the exchange failed (or could not start) and is over */
};

struct srv_kex {
	enum srv_kex_outcome outcome;
	struct ike_child_sa child; /* SRV_KEX_CHILD: keys included, wiped by whoever uses it */
};

/* A fresh exchange for the commit's transaction txid (only named in the log). */
void srv_ike_start(struct server *s, uint64_t now, struct server_client *c, uint32_t txid,
		   struct srv_kex *k, struct node_out *out);
/* The client's MAC is known now: an IKE_SA_INIT that waited for ARP leaves. */
void srv_ike_resume(struct server *s, uint64_t now, struct server_client *c, struct srv_kex *k,
		    struct node_out *out);
void srv_ike_input(struct server *s, uint64_t now, struct server_client *c, const struct pkt *pk,
		   struct srv_kex *k, struct node_out *out);
/* Retransmits or gives up if the exchange's deadline has come. */
void srv_ike_timer(struct server *s, uint64_t now, struct server_client *c, struct srv_kex *k,
		   struct node_out *out);
uint64_t srv_ike_deadline(const struct server_client *c);
/* Ends any exchange, wiping it. */
void srv_ike_drop(struct server_client *c);

#endif
