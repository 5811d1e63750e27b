/*
 * Ethernet II, ARP, IPv4 and UDP decoding over the bounds-checked reader.
 * Each decoder checks that the bytes are there before it looks at them, then
 * checks every declared length against both its minimum and what is left.
 */
#include <string.h>

#include "proto/pkt.h"
#include "proto/rd.h"

enum {
	ARP_HTYPE_ETHER = 1, /* RFC 826 ar$hrd; IANA ARP parameters */
	ARP_LEN = 28,	     /* RFC 826 for 6-byte hardware, 4-byte protocol addresses */
	IPV4_VERSION = 4,    /* RFC 791 §3.1 */
	IPV4_MF = 0x2000,    /* RFC 791 §3.1 flags: more fragments */
	IPV4_OFFSET_MASK = 0x1fff,
};

/* RFC 1071 §4.1: one's complement sum of 16-bit words, odd byte padded with zero. */
uint16_t
inet_csum(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *q = p;
	uint64_t s = sum;

	while (len > 1) {
		s += (uint32_t)((q[0] << 8) | q[1]);
		q += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)(q[0] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

int
eth_decode(const uint8_t *p, size_t len, struct eth_hdr *out)
{
	struct rd r = rd_init(p, len);

	if (rd_left(&r) < ETH_HLEN)
		return RMC_ETRUNC;
	rd_copy(&r, out->dst, ETH_ALEN);
	rd_copy(&r, out->src, ETH_ALEN);
	rd_be16(&r, &out->type);
	return RMC_OK;
}

int
arp_decode(const uint8_t *p, size_t len, struct arp_msg *out)
{
	struct rd r = rd_init(p, len);
	uint16_t htype = 0, ptype = 0;
	uint8_t hlen = 0, plen = 0;

	if (rd_left(&r) < ARP_LEN)
		return RMC_ETRUNC;
	rd_be16(&r, &htype);
	rd_be16(&r, &ptype);
	rd_u8(&r, &hlen);
	rd_u8(&r, &plen);
	rd_be16(&r, &out->op);
	if (htype != ARP_HTYPE_ETHER || ptype != ETH_P_IPV4 || hlen != ETH_ALEN || plen != 4)
		return RMC_EUNSUP;
	if (out->op != ARP_OP_REQUEST && out->op != ARP_OP_REPLY)
		return RMC_EUNSUP;
	rd_copy(&r, out->sha, ETH_ALEN);
	rd_be32(&r, &out->spa);
	rd_copy(&r, out->tha, ETH_ALEN);
	rd_be32(&r, &out->tpa);
	return RMC_OK;
}

int
ipv4_decode(const uint8_t *p, size_t len, struct ipv4_hdr *out)
{
	struct rd r = rd_init(p, len);
	uint8_t vihl = 0;

	if (rd_left(&r) < IPV4_MIN_HLEN)
		return RMC_ETRUNC;
	rd_u8(&r, &vihl);
	rd_u8(&r, &out->tos);
	rd_be16(&r, &out->tot_len);
	rd_be16(&r, &out->id);
	rd_be16(&r, &out->frag);
	rd_u8(&r, &out->ttl);
	rd_u8(&r, &out->proto);
	rd_be16(&r, &out->csum);
	rd_be32(&r, &out->src);
	rd_be32(&r, &out->dst);
	out->ihl = (uint8_t)((vihl & 0x0f) * 4);
	out->csum_ok = false;
	if (vihl >> 4 != IPV4_VERSION || out->ihl < IPV4_MIN_HLEN)
		return RMC_EINVAL;
	/* RFC 791 §3.1: Total Length covers header and data. */
	if (out->tot_len < out->ihl)
		return RMC_EINVAL;
	if (out->tot_len > len)
		return RMC_ETRUNC;
	out->csum_ok = inet_csum(p, out->ihl, 0) == 0;
	return RMC_OK;
}

/* RFC 768: the pseudo-header is source, destination, zero, protocol, UDP length. */
uint32_t
ipv4_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

int
udp_decode(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, struct udp_hdr *out)
{
	struct rd r = rd_init(p, len);

	if (rd_left(&r) < UDP_HLEN)
		return RMC_ETRUNC;
	rd_be16(&r, &out->sport);
	rd_be16(&r, &out->dport);
	rd_be16(&r, &out->len);
	rd_be16(&r, &out->csum);
	out->csum_ok = false;
	if (out->len < UDP_HLEN)
		return RMC_EINVAL;
	if (out->len > len)
		return RMC_ETRUNC;
	out->csum_ok =
	    out->csum == 0 ||
	    inet_csum(p, out->len, ipv4_pseudo_sum(src, dst, IPPROTO_UDP_, out->len)) == 0;
	return RMC_OK;
}

static int
decode_udp(struct pkt *out)
{
	int rc = udp_decode(out->l4, out->l4_len, out->ip.src, out->ip.dst, &out->udp);

	if (rc)
		return rc;
	if (!out->udp.csum_ok)
		return RMC_EINVAL;
	out->payload = out->l4 + UDP_HLEN;
	out->payload_len = out->udp.len - UDP_HLEN;
	out->kind = PKT_UDP;
	return RMC_OK;
}

static int
decode_ipv4(const uint8_t *p, size_t len, struct pkt *out)
{
	int rc = ipv4_decode(p, len, &out->ip);

	if (rc)
		return rc;
	if (!out->ip.csum_ok)
		return RMC_EINVAL;
	/* Reassembly is not ours to do; RMCP and IKE here never need it. */
	if ((out->ip.frag & IPV4_MF) || (out->ip.frag & IPV4_OFFSET_MASK))
		return RMC_EUNSUP;
	out->l3 = p;
	out->l3_len = out->ip.tot_len;
	out->l4 = p + out->ip.ihl;
	out->l4_len = (size_t)out->ip.tot_len - out->ip.ihl;
	out->kind = PKT_IPV4;
	if (out->ip.proto == IPPROTO_UDP_)
		return decode_udp(out);
	return RMC_OK;
}

int
pkt_decode(const uint8_t *p, size_t len, struct pkt *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = eth_decode(p, len, &out->eth);
	if (rc)
		return rc;
	p += ETH_HLEN;
	len -= ETH_HLEN;
	switch (out->eth.type) {
	case ETH_P_ARP:
		rc = arp_decode(p, len, &out->arp);
		if (rc == RMC_OK)
			out->kind = PKT_ARP;
		return rc;
	case ETH_P_IPV4:
		return decode_ipv4(p, len, out);
	default:
		out->kind = PKT_OTHER;
		return RMC_OK;
	}
}

uint32_t
pkt_ipsec_spi(const struct pkt *pk)
{
	struct rd r = rd_init(pk->l4, pk->l4_len);
	uint32_t spi = 0;
	if (pk->kind != PKT_IPV4 || (pk->ip.proto != IPPROTO_ESP_ && pk->ip.proto != IPPROTO_AH_))
		return 0;
	if (pk->ip.proto == IPPROTO_AH_)
		rd_skip(&r, 4);
	return rd_be32(&r, &spi) == RMC_OK ? spi : 0;
}
