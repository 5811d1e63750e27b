/* Internal to nodes/server*.c. */
#ifndef RMCPSEC_NODES_SERVER_INT_H
#define RMCPSEC_NODES_SERVER_INT_H

#include "nodes/server.h"
#include "proto/pkt.h"
#include "proto/rmcp.h"

/* nodes/server.c */
void server_rearm(struct server *s, struct node_out *out);

/* nodes/server_sa.c: SAs, sequence numbers, the store, IKE and the commit (Fig. 4). */
int srv_seal_send(struct server *s, struct server_client *c, int which, uint16_t port,
		  const uint8_t *buf, size_t n, struct node_out *out);
void srv_commit_event(struct server *s, uint64_t now, struct server_client *c,
		      const struct commit_event *ev, struct node_out *out);
void srv_on_commit_msg(struct server *s, uint64_t now, struct server_client *c,
		       const struct rmcp_msg *m, struct node_out *out);
void srv_on_ike(struct server *s, uint64_t now, struct server_client *c, const struct pkt *pk,
		struct node_out *out);
void srv_client_timers(struct server *s, uint64_t now, struct server_client *c,
		       struct node_out *out);
uint64_t srv_client_deadline(const struct server *s, const struct server_client *c);
void srv_learn_state(struct server *s, uint64_t now, struct server_client *c, enum power_state st,
		     bool secure, struct node_out *out);
void srv_secure_lost(struct server *s, uint64_t now, struct server_client *c, struct node_out *out);
void srv_forget_context(struct server_client *c);
/* The machine's SA in use is spi: provisioned, or read from the store. */
void srv_commit_load(struct server_client *c, uint32_t spi);
void srv_on_mac_learned(struct server *s, uint64_t now, struct server_client *c,
			struct node_out *out);
void srv_send_owed_ack(struct server *s, struct server_client *c, struct node_out *out);
int srv_load_from_store(struct server *s, uint64_t now, struct node_out *out);
/* Which pair an inbound SPI belongs to: 0 sec, 1 nsec, -1 none. */
int srv_pair_for_spi(const struct server_client *c, uint32_t spi);

/* nodes/server_ha.c: heartbeat, takeover, power */
void srv_ha_timer(struct server *s, uint64_t now, struct node_out *out);
bool srv_ha_on_frame(struct server *s, uint64_t now, const struct pkt *pk, struct node_out *out);

#endif
