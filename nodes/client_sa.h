/*
 * Internal to nodes/client*.c: the NIC's SAs and its side of the refresh
 * commit (nodes/client_sa.c, patent Fig. 5).
 */
#ifndef RMCPSEC_NODES_CLIENT_SA_H
#define RMCPSEC_NODES_CLIENT_SA_H

#include "nodes/client.h"
#include "proto/rmcp.h"

/* Opens the active and pending SAs from NVRAM (the previous one was RAM only). */
void nic_load_sas(struct client *c);
void nic_drop_sas(struct client *c);
/* Which of the NIC's SAs an inbound SPI names: enum nic_sa_role, or -1. */
int nic_role_for_spi(const struct client *c, uint32_t spi_in);
/* Sends buf under the SA in role r, its sequence number from NVRAM. */
int nic_send_sealed(struct client *c, uint64_t now, enum nic_sa_role r, const uint8_t mac[ETH_ALEN],
		    uint32_t ip, uint16_t sport, uint16_t dport, const uint8_t *buf, size_t n,
		    struct node_out *out);
/*
 * Before the NIC acts on a secured command that came under the SA in role
 * r: that SA's inbound replay floor goes to NVRAM (docs/internals/nvram.md,
 * "Receive checkpoint"), so the command is refused if it is replayed after
 * a power loss. RMC_OK: act on it; otherwise the command is dropped (the
 * write tore, and the NIC lost power; or NVRAM refused it).
 */
int nic_save_replay_floor(struct client *c, uint64_t now, enum nic_sa_role r, struct node_out *out);
/* Steps the NIC's commit machine and carries out what it asks for. */
void nic_commit_event(struct client *c, uint64_t now, const struct commit_event *ev,
		      struct node_out *out);
/* An SA_ACK from the server, opened under the SA in role r. */
void nic_on_commit_msg(struct client *c, uint64_t now, int r, const struct rmcp_msg *m,
		       struct node_out *out);

/*
 * Two mutants (nodes/mutant.h) need more than a changed condition:
 * MUT_REPLY_UNDER_REQUEST_SA sends under the previous SA, counting in RAM
 * on from where its retired NVRAM slot stopped; MUT_STALE_SLOT_SPI opens an
 * SPI the NIC no longer holds with the copy left in an NVRAM slot (in the
 * previous-SA pair, if free) and returns that role, or -1.
 */
int nic_mut_send_under_prev(struct client *c, const uint8_t mac[ETH_ALEN], uint32_t ip,
			    uint16_t sport, uint16_t dport, const uint8_t *buf, size_t n,
			    struct node_out *out);
int nic_mut_stale_slot(struct client *c, uint32_t spi_in);

#endif
