/* The client NIC's receive path and its replies; internal to nodes/client*.c. */
#ifndef RMCPSEC_NODES_CLIENT_RX_H
#define RMCPSEC_NODES_CLIENT_RX_H

#include "nodes/client.h"
#include "proto/pkt.h"
#include "proto/rmcp.h"

int client_set_power(struct client *c, uint64_t now, enum power_cause cause, struct node_out *out);
/* After anything that wrote NVRAM: a torn write means the power just failed. */
void client_check_nvram_cut(struct client *c, uint64_t now, struct node_out *out);

/* nodes/client_sa.c: the NIC's SAs and its side of the commit (Fig. 5). */
void nic_load_sas(struct client *c);
void nic_drop_sas(struct client *c);
int nic_role_for_spi(const struct client *c, uint32_t spi_in);
int nic_send_sealed(struct client *c, uint64_t now, enum nic_sa_role r, const uint8_t mac[ETH_ALEN],
		    uint32_t ip, uint16_t sport, uint16_t dport, const uint8_t *buf, size_t n,
		    struct node_out *out);
void nic_commit_event(struct client *c, uint64_t now, const struct commit_event *ev,
		      struct node_out *out);
void nic_on_commit_msg(struct client *c, uint64_t now, int r, const struct rmcp_msg *m,
		       struct node_out *out);

/* nodes/client_host.c: the host's IKE, only while the OS is up. */
void host_follow_power(struct client *c, enum power_state next, struct node_out *out);
void host_stop(struct client *c);
void host_on_ike(struct client *c, uint64_t now, const struct pkt *pk, struct node_out *out);
void host_on_timer(struct client *c, uint64_t now, struct node_out *out);

#endif
