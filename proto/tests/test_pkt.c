/*
 * Decoders for Ethernet, ARP, IPv4, UDP: known frames, every truncation
 * length, every malformed class the decoders promise to reject.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "proto/pkt.h"
#include "proto/rd.h"

/*
 * Ethernet 02:00:00:00:00:01 -> 02:00:00:00:00:02, IPv4 10.0.0.1 -> 10.0.0.2
 * (id 1, ttl 64), UDP 1000 -> 623 carrying an RMCP Presence Ping (seq 0xFF,
 * tag 0, DSP0136 §3.2.4.3). Built by scapy 2.5, which computed the IPv4
 * (0x66c2) and UDP (0x4ea7) checksums independently of this code.
 */
static const uint8_t udp_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x66, 0xc2, 0x0a, 0x00,
    0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x03, 0xe8, 0x02, 0x6f, 0x00, 0x14, 0x4e, 0xa7,
    0x06, 0x00, 0xff, 0x06, 0x00, 0x00, 0x11, 0xbe, 0x80, 0x00, 0x00, 0x00,
};

/* ARP request who-has 10.0.0.2 tell 10.0.0.1 (RFC 826), also from scapy. */
static const uint8_t arp_frame[] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
};

enum { IP_OFF = 14, UDP_OFF = 34, PAYLOAD_OFF = 42 };

static uint8_t f[128];

static void
load_udp(void)
{
	memset(f, 0, sizeof(f));
	memcpy(f, udp_frame, sizeof(udp_frame));
}

/* After editing the IPv4 header in a test: a valid header checksum again. */
static void
fix_ip_csum(void)
{
	size_t ihl = (size_t)(f[IP_OFF] & 0x0f) * 4;
	if (ihl < 20)
		ihl = 20;
	put_be16(f + IP_OFF + 10, 0);
	put_be16(f + IP_OFF + 10, inet_csum(f + IP_OFF, ihl, 0));
}

/* RFC 1071 §3 numerical example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
Test(inet_csum, rfc1071_example)
{
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	cr_assert_eq(inet_csum(b, sizeof(b), 0), (uint16_t)~0xddf2);
	/* Same sum split: first half's folded sum carried in as the initial sum. */
	cr_assert_eq(inet_csum(b + 4, 4, 0x0001 + 0xf203), (uint16_t)~0xddf2);
}

Test(inet_csum, odd_length_pads_with_zero)
{
	static const uint8_t odd[] = {0x12, 0x34, 0x56};
	static const uint8_t even[] = {0x12, 0x34, 0x56, 0x00};
	cr_assert_eq(inet_csum(odd, 3, 0), inet_csum(even, 4, 0));
	cr_assert_eq(inet_csum(odd, 3, 0), (uint16_t) ~(0x1234 + 0x5600));
}

Test(pkt, decodes_known_udp_frame)
{
	struct pkt p;
	cr_assert_eq(pkt_decode(udp_frame, sizeof(udp_frame), &p), RMC_OK);
	cr_assert_eq(p.kind, PKT_UDP);
	cr_assert_eq(p.eth.type, ETH_P_IPV4);
	cr_assert_eq(p.eth.src[5], 1);
	cr_assert_eq(p.eth.dst[5], 2);
	cr_assert_eq(p.ip.ihl, 20);
	cr_assert_eq(p.ip.tot_len, 40);
	cr_assert_eq(p.ip.id, 1);
	cr_assert_eq(p.ip.ttl, 64);
	cr_assert_eq(p.ip.proto, IPPROTO_UDP_);
	cr_assert_eq(p.ip.src, 0x0a000001);
	cr_assert_eq(p.ip.dst, 0x0a000002);
	cr_assert(p.ip.csum_ok);
	cr_assert_eq(p.ip.csum, 0x66c2);
	cr_assert_eq(p.udp.sport, 1000);
	cr_assert_eq(p.udp.dport, 623);
	cr_assert_eq(p.udp.len, 20);
	cr_assert_eq(p.udp.csum, 0x4ea7);
	cr_assert(p.udp.csum_ok);
	cr_assert_eq(p.l3, udp_frame + IP_OFF);
	cr_assert_eq(p.l3_len, 40);
	cr_assert_eq(p.l4, udp_frame + UDP_OFF);
	cr_assert_eq(p.l4_len, 20);
	cr_assert_eq(p.payload, udp_frame + PAYLOAD_OFF);
	cr_assert_eq(p.payload_len, 12);
}

Test(pkt, ethernet_padding_is_ignored)
{
	struct pkt p;
	load_udp();
	cr_assert_eq(pkt_decode(f, ETH_MIN_FRAME, &p), RMC_OK);
	cr_assert_eq(p.kind, PKT_UDP);
	cr_assert_eq(p.l3_len, 40);
	cr_assert_eq(p.payload_len, 12);
}

Test(pkt, decodes_known_arp_request)
{
	struct pkt p;
	static const uint8_t sha[ETH_ALEN] = {2, 0, 0, 0, 0, 1};
	static const uint8_t zero[ETH_ALEN];
	cr_assert_eq(pkt_decode(arp_frame, sizeof(arp_frame), &p), RMC_OK);
	cr_assert_eq(p.kind, PKT_ARP);
	cr_assert_eq(p.arp.op, ARP_OP_REQUEST);
	cr_assert_arr_eq(p.arp.sha, sha, ETH_ALEN);
	cr_assert_arr_eq(p.arp.tha, zero, ETH_ALEN);
	cr_assert_eq(p.arp.spa, 0x0a000001);
	cr_assert_eq(p.arp.tpa, 0x0a000002);
}

Test(pkt, other_ethertype_is_other)
{
	struct pkt p;
	load_udp();
	put_be16(f + 12, 0x86dd);
	cr_assert_eq(pkt_decode(f, sizeof(udp_frame), &p), RMC_OK);
	cr_assert_eq(p.kind, PKT_OTHER);
}

Test(pkt, non_udp_ipv4_gives_l4)
{
	struct pkt p;
	load_udp();
	f[IP_OFF + 9] = IPPROTO_ESP_;
	fix_ip_csum();
	cr_assert_eq(pkt_decode(f, sizeof(udp_frame), &p), RMC_OK);
	cr_assert_eq(p.kind, PKT_IPV4);
	cr_assert_eq(p.ip.proto, IPPROTO_ESP_);
	cr_assert_eq(p.l4, f + UDP_OFF);
	cr_assert_eq(p.l4_len, 20);
	cr_assert_null(p.payload);
}

Test(truncation, every_length_of_the_udp_frame)
{
	struct pkt p;
	for (size_t n = 0; n < sizeof(udp_frame); n++)
		cr_assert_eq(pkt_decode(udp_frame, n, &p), RMC_ETRUNC, "len %zu", n);
}

Test(truncation, every_length_of_the_arp_frame)
{
	struct pkt p;
	for (size_t n = 0; n < sizeof(arp_frame); n++)
		cr_assert_eq(pkt_decode(arp_frame, n, &p), RMC_ETRUNC, "len %zu", n);
}

Test(truncation, each_header_alone)
{
	struct eth_hdr e;
	struct arp_msg a;
	struct ipv4_hdr ip;
	struct udp_hdr u;
	for (size_t n = 0; n < ETH_HLEN; n++)
		cr_assert_eq(eth_decode(udp_frame, n, &e), RMC_ETRUNC);
	for (size_t n = 0; n < 28; n++)
		cr_assert_eq(arp_decode(arp_frame + 14, n, &a), RMC_ETRUNC);
	for (size_t n = 0; n < 40; n++)
		cr_assert_eq(ipv4_decode(udp_frame + IP_OFF, n, &ip), RMC_ETRUNC);
	for (size_t n = 0; n < 20; n++)
		cr_assert_eq(udp_decode(udp_frame + UDP_OFF, n, 0x0a000001, 0x0a000002, &u),
			     RMC_ETRUNC);
	cr_assert_eq(eth_decode(udp_frame, ETH_HLEN, &e), RMC_OK);
	cr_assert_eq(arp_decode(arp_frame + 14, 28, &a), RMC_OK);
	cr_assert_eq(ipv4_decode(udp_frame + IP_OFF, 40, &ip), RMC_OK);
	cr_assert_eq(udp_decode(udp_frame + UDP_OFF, 20, 0x0a000001, 0x0a000002, &u), RMC_OK);
}

Test(malformed, bad_ipv4_checksum)
{
	struct pkt p;
	load_udp();
	f[IP_OFF + 11] ^= 0x01;
	cr_assert_eq(pkt_decode(f, sizeof(udp_frame), &p), RMC_EINVAL);
	cr_assert_eq(ipv4_decode(f + IP_OFF, 40, &p.ip), RMC_OK);
	cr_assert_not(p.ip.csum_ok);
}

Test(malformed, bad_udp_checksum)
{
	struct pkt p;
	load_udp();
	f[PAYLOAD_OFF + 2] ^= 0x01; /* the payload changes under the checksum */
	cr_assert_eq(pkt_decode(f, sizeof(udp_frame), &p), RMC_EINVAL);
	cr_assert_eq(udp_decode(f + UDP_OFF, 20, 0x0a000001, 0x0a000002, &p.udp), RMC_OK);
	cr_assert_not(p.udp.csum_ok);
	/* The pseudo-header counts: the right bytes from the wrong source fail. */
	cr_assert_eq(udp_decode(udp_frame + UDP_OFF, 20, 0x0a000003, 0x0a000002, &p.udp), RMC_OK);
	cr_assert_not(p.udp.csum_ok);
}

Test(malformed, udp_checksum_zero_means_none)
{
	struct pkt p;
	load_udp();
	put_be16(f + UDP_OFF + 6, 0);
	cr_assert_eq(pkt_decode(f, sizeof(udp_frame), &p), RMC_OK);
	cr_assert(p.udp.csum_ok);
}

Test(malformed, ihl_below_five)
{
	struct pkt p;
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		load_udp();
		f[IP_OFF] = (uint8_t)(0x40 | ihl);
		fix_ip_csum();
		cr_assert_eq(pkt_decode(f, sizeof(udp_frame), &p), RMC_EINVAL, "ihl %u", ihl);
	}
}

Test(malformed, ip_version_not_four)
{
	struct pkt p;
	load_udp();
	f[IP_OFF] = 0x65;
	fix_ip_csum();
	cr_assert_eq(pkt_decode(f, sizeof(udp_frame), &p), RMC_EINVAL);
}

Test(malformed, tot_len_past_the_frame)
{
	struct pkt p;
	load_udp();
	put_be16(f + IP_OFF + 2, 41);
	fix_ip_csum();
	cr_assert_eq(pkt_decode(f, sizeof(udp_frame), &p), RMC_ETRUNC);
}

Test(malformed, tot_len_below_header)
{
	struct pkt p;
	load_udp();
	put_be16(f + IP_OFF + 2, 19);
	fix_ip_csum();
	cr_assert_eq(pkt_decode(f, sizeof(udp_frame), &p), RMC_EINVAL);
}

Test(malformed, ihl_past_tot_len)
{
	struct pkt p;
	load_udp();
	f[IP_OFF] = 0x4f; /* 60-byte header in a 40-byte datagram */
	fix_ip_csum();
	cr_assert_eq(pkt_decode(f, sizeof(udp_frame), &p), RMC_EINVAL);
}

Test(malformed, udp_len_below_eight)
{
	struct pkt p;
	for (uint16_t ulen = 0; ulen < UDP_HLEN; ulen++) {
		load_udp();
		put_be16(f + UDP_OFF + 4, ulen);
		put_be16(f + UDP_OFF + 6, 0);
		cr_assert_eq(pkt_decode(f, sizeof(udp_frame), &p), RMC_EINVAL, "ulen %u", ulen);
	}
}

Test(malformed, udp_len_past_the_datagram)
{
	struct pkt p;
	load_udp();
	put_be16(f + UDP_OFF + 4, 21);
	put_be16(f + UDP_OFF + 6, 0);
	/* Padding follows in the buffer, but the IPv4 datagram ends at tot_len. */
	cr_assert_eq(pkt_decode(f, ETH_MIN_FRAME, &p), RMC_ETRUNC);
}

Test(malformed, fragments_are_unsupported)
{
	struct pkt p;
	static const uint16_t frag[] = {0x2000, 0x0001, 0x2001, 0x1fff};
	for (size_t i = 0; i < sizeof(frag) / sizeof(frag[0]); i++) {
		load_udp();
		put_be16(f + IP_OFF + 6, frag[i]);
		fix_ip_csum();
		cr_assert_eq(pkt_decode(f, sizeof(udp_frame), &p), RMC_EUNSUP, "frag %04x",
			     frag[i]);
	}
	load_udp();
	put_be16(f + IP_OFF + 6, 0x4000); /* DF alone is not a fragment */
	fix_ip_csum();
	cr_assert_eq(pkt_decode(f, sizeof(udp_frame), &p), RMC_OK);
}

Test(malformed, arp_not_ethernet_ipv4)
{
	struct arp_msg a;
	uint8_t b[28];
	static const struct {
		size_t off;
		uint8_t val;
	} bad[] = {{1, 6}, {2, 0x86}, {4, 8}, {5, 16}, {7, 3}, {7, 0}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(b, arp_frame + 14, sizeof(b));
		b[bad[i].off] = bad[i].val;
		cr_assert_eq(arp_decode(b, sizeof(b), &a), RMC_EUNSUP, "case %zu", i);
	}
}

/*
 * Robustness: 200,000 mutated frames (bytes flipped, then cut at a random
 * length; a fixed xorshift seed, so every run is the same). Whatever the
 * result, it is a known code, and an accepted frame's pointers stay inside
 * the buffer. Under the ASan build this also proves no read past the end.
 */
static uint32_t
xorshift32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
check_inside(const struct pkt *p, const uint8_t *b, size_t len)
{
	if (p->kind == PKT_IPV4 || p->kind == PKT_UDP) {
		cr_assert(p->l3 >= b && p->l3 + p->l3_len <= b + len);
		cr_assert(p->l4 >= p->l3 && p->l4 + p->l4_len <= p->l3 + p->l3_len);
	}
	if (p->kind == PKT_UDP)
		cr_assert(p->payload >= p->l4 && p->payload + p->payload_len <= p->l4 + p->l4_len);
}

Test(robustness, mutated_frames)
{
	uint32_t seed = 0x2545f491;
	const uint8_t *src[] = {udp_frame, arp_frame};
	const size_t srclen[] = {sizeof(udp_frame), sizeof(arp_frame)};
	size_t accepted = 0;

	for (int i = 0; i < 200000; i++) {
		size_t which = i & 1, len = ETH_MIN_FRAME, flips;
		uint8_t *b = malloc(ETH_MIN_FRAME);
		struct pkt p;
		int rc;
		memset(b, 0, ETH_MIN_FRAME);
		memcpy(b, src[which], srclen[which]);
		flips = xorshift32(&seed) % 4;
		for (size_t k = 0; k < flips; k++)
			b[xorshift32(&seed) % ETH_MIN_FRAME] ^=
			    (uint8_t)(1u << (xorshift32(&seed) % 8));
		if (xorshift32(&seed) % 2)
			len = xorshift32(&seed) % (ETH_MIN_FRAME + 1);
		/* A buffer of exactly len bytes, so ASan sees any read past it. */
		uint8_t *exact = malloc(len ? len : 1);
		memcpy(exact, b, len);
		rc = pkt_decode(exact, len, &p);
		cr_assert(rc == RMC_OK || rc == RMC_ETRUNC || rc == RMC_EINVAL || rc == RMC_EUNSUP,
			  "rc %d", rc);
		if (rc == RMC_OK) {
			accepted++;
			check_inside(&p, exact, len);
		}
		free(exact);
		free(b);
	}
	/* The mutations must leave some frames intact, or this tested nothing. */
	cr_assert_gt(accepted, 1000);
}
