/*
 * A node's network interface: its addresses and its frame builder, plus
 * the few send helpers every node needs. Sending means writing a frame
 * into the caller's node_out; nothing here touches a socket.
 */
#ifndef RMCPSEC_NODES_NETIF_H
#define RMCPSEC_NODES_NETIF_H

#include <stdbool.h>
#include <stdint.h>

#include "nodes/node.h"
#include "proto/build.h"
#include "proto/pkt.h"

struct sec_pair;

struct netif {
	uint8_t mac[ETH_ALEN];
	uint32_t ip; /* host byte order */
	uint16_t ip_id;
	struct frame_builder *fb;
};

int netif_init(struct netif *nif, const uint8_t mac[ETH_ALEN], uint32_t ip, uint16_t first_ip_id);
void netif_fini(struct netif *nif);

/* Is this decoded frame addressed to us at layer 2 (unicast to our MAC, or broadcast)? */
bool netif_l2_accepts(const struct netif *nif, const struct pkt *pk);

int netif_send_udp(struct netif *nif, struct node_out *out, const uint8_t dst_mac[ETH_ALEN],
		   uint32_t dst_ip, uint16_t sport, uint16_t dport, const uint8_t *payload,
		   size_t len);
/* As netif_send_udp, then the IPv4 packet is protected in place by sec with sequence seq. */
int netif_send_udp_sealed(struct netif *nif, struct node_out *out, struct sec_pair *sec,
			  uint64_t seq, const uint8_t dst_mac[ETH_ALEN], uint32_t dst_ip,
			  uint16_t sport, uint16_t dport, const uint8_t *payload, size_t len);
int netif_send_arp_request(struct netif *nif, struct node_out *out, uint32_t target_ip);
/* Answers an ARP request for our address; returns 1 if it answered. */
int netif_answer_arp(struct netif *nif, struct node_out *out, const struct pkt *pk);

#endif
