/*
 * Internal to nodes/server*.c: the server's SAs with one client and their
 * outbound sequence numbers. Pair 0 (`sec`) is the SA in use, pair 1
 * (`nsec`) the refreshed one until it is committed or abandoned.
 */
#ifndef RMCPSEC_NODES_SERVER_SA_H
#define RMCPSEC_NODES_SERVER_SA_H

#include "nodes/server.h"
#include "proto/pkt.h"

enum { SRV_SA_CUR = 0, SRV_SA_NEW = 1 };

/* The SA the NIC stores, provisioned (the server keeps the mirror image). */
int srv_sa_provision(struct server_client *c, const struct nvram_sa *stored,
		     uint32_t replay_window);
/* The SA IKE brought up, as the refreshed pair, sequence numbers from the start. */
int srv_sa_stage(struct server_client *c, const struct nvram_sa *sa);
/* Fig. 4 step 27: the refreshed pair, with its sequence numbers, becomes the one in use. */
void srv_sa_promote(struct server_client *c);
/* Drops pair `which` and its sequence numbers. */
void srv_sa_drop(struct server_client *c, int which);
/* The SA in use read back from the store, sequence numbers where the store says. */
int srv_sa_resume(struct server_client *c, const struct nvram_sa *sa, uint64_t seq_next,
		  uint64_t seq_resv);
/* Both pairs gone, and with them any doubt about the SA answering. */
void srv_sa_forget(struct server_client *c);

/* Which pair an inbound SPI belongs to: SRV_SA_CUR, SRV_SA_NEW or -1. */
int srv_pair_for_spi(const struct server_client *c, uint32_t spi);
/* Sends buf to the client's port under pair `which`, the next reserved sequence number. */
int srv_seal_send(struct server *s, struct server_client *c, int which, uint16_t port,
		  const uint8_t *buf, size_t n, struct node_out *out);
/* Removes the client's SA; the inner packet must be UDP from its port 664. */
int srv_open_secure(const struct server_client *c, const struct pkt *pk, uint8_t *inner,
		    const uint8_t **data, size_t *dlen);

#endif
