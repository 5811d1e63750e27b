#include "nodes/netif.h"

#include <string.h>

#include "nodes/secure.h"
#include "proto/err.h"
#include "proto/rd.h"

static const uint8_t BROADCAST[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t ZERO_MAC[ETH_ALEN];

int
netif_init(struct netif *nif, const uint8_t mac[ETH_ALEN], uint32_t ip, uint16_t first_ip_id)
{
	memcpy(nif->mac, mac, ETH_ALEN);
	nif->ip = ip;
	nif->ip_id = first_ip_id;
	nif->fb = frame_builder_new();
	return nif->fb ? RMC_OK : RMC_ENOMEM;
}

void
netif_fini(struct netif *nif)
{
	frame_builder_free(nif->fb);
	nif->fb = NULL;
}

bool
netif_l2_accepts(const struct netif *nif, const struct pkt *pk)
{
	return memcmp(pk->eth.dst, nif->mac, ETH_ALEN) == 0 ||
	       memcmp(pk->eth.dst, BROADCAST, ETH_ALEN) == 0;
}

int
netif_send_udp(struct netif *nif, struct node_out *out, const uint8_t dst_mac[ETH_ALEN],
	       uint32_t dst_ip, uint16_t sport, uint16_t dport, const uint8_t *payload, size_t len)
{
	uint8_t *f = node_out_frame_begin(out);
	if (!f)
		return RMC_ENOSPC;
	struct l2l3 a = {.src_ip = nif->ip, .dst_ip = dst_ip, .ip_id = nif->ip_id++};
	memcpy(a.src_mac, nif->mac, ETH_ALEN);
	memcpy(a.dst_mac, dst_mac, ETH_ALEN);
	size_t n;
	int rc = frame_build_udp(nif->fb, &a, sport, dport, payload, len, f, NODE_FRAME_MAX, &n);
	if (rc == RMC_OK)
		node_out_frame_commit(out, n);
	return rc;
}

int
netif_send_udp_sealed(struct netif *nif, struct node_out *out, struct sec_pair *sec, uint64_t seq,
		      const uint8_t dst_mac[ETH_ALEN], uint32_t dst_ip, uint16_t sport,
		      uint16_t dport, const uint8_t *payload, size_t len)
{
	uint8_t *f = node_out_frame_begin(out);
	if (!f)
		return RMC_ENOSPC;
	struct l2l3 a = {.src_ip = nif->ip, .dst_ip = dst_ip, .ip_id = nif->ip_id++};
	memcpy(a.src_mac, nif->mac, ETH_ALEN);
	memcpy(a.dst_mac, dst_mac, ETH_ALEN);
	size_t n, iplen;
	int rc = frame_build_udp(nif->fb, &a, sport, dport, payload, len, f, NODE_FRAME_MAX, &n);
	if (rc)
		return rc;
	/* Seal the IPv4 packet, not the Ethernet padding after it. */
	size_t tot = get_be16(f + ETH_HLEN + 2);
	rc = sec_seal_ipv4(sec, seq, f + ETH_HLEN, tot, NODE_FRAME_MAX - ETH_HLEN, &iplen);
	if (rc)
		return rc;
	n = ETH_HLEN + iplen;
	if (n < ETH_MIN_FRAME) {
		memset(f + n, 0, ETH_MIN_FRAME - n);
		n = ETH_MIN_FRAME;
	}
	node_out_frame_commit(out, n);
	return RMC_OK;
}

int
netif_send_arp_request(struct netif *nif, struct node_out *out, uint32_t target_ip)
{
	uint8_t *f = node_out_frame_begin(out);
	if (!f)
		return RMC_ENOSPC;
	size_t n;
	int rc = frame_build_arp(nif->fb, ARP_OP_REQUEST, nif->mac, nif->ip, ZERO_MAC, target_ip,
				 BROADCAST, f, NODE_FRAME_MAX, &n);
	if (rc == RMC_OK)
		node_out_frame_commit(out, n);
	return rc;
}

int
netif_answer_arp(struct netif *nif, struct node_out *out, const struct pkt *pk)
{
	if (pk->kind != PKT_ARP || pk->arp.op != ARP_OP_REQUEST || pk->arp.tpa != nif->ip)
		return 0;
	uint8_t *f = node_out_frame_begin(out);
	if (!f)
		return 0;
	size_t n;
	if (frame_build_arp(nif->fb, ARP_OP_REPLY, nif->mac, nif->ip, pk->arp.sha, pk->arp.spa,
			    pk->arp.sha, f, NODE_FRAME_MAX, &n) != RMC_OK)
		return 0;
	node_out_frame_commit(out, n);
	return 1;
}
