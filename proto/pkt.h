/*
 * Decoding of what is on the wire: Ethernet II, ARP (IPv4 over Ethernet),
 * IPv4 and UDP. Pure functions over (p, len); nothing is trusted, every
 * length is checked against what is really there. Checksums are verified
 * and reported, not silently fixed.
 */
#ifndef RMCPSEC_PROTO_PKT_H
#define RMCPSEC_PROTO_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * <linux/if_ether.h> (pulled in by <libnet.h> and <net/ethernet.h>) defines
 * ETH_ALEN, ETH_HLEN and ETH_P_ARP as macros with these same values; the
 * guards let this header come after it.
 */
enum {
#ifndef ETH_ALEN
	ETH_ALEN = 6,
#endif
#ifndef ETH_HLEN
	ETH_HLEN = 14,
#endif
#ifndef ETH_P_ARP
	ETH_P_ARP = 0x0806,
#endif
	ETH_P_IPV4 = 0x0800,
	ETH_MIN_FRAME = 60, /* without FCS; shorter frames are padded (IEEE 802.3 §3.2.8) */
	IPV4_MIN_HLEN = 20,
	UDP_HLEN = 8,
	IPPROTO_UDP_ = 17,
	IPPROTO_ESP_ = 50,
	IPPROTO_AH_ = 51,
	ARP_OP_REQUEST = 1,
	ARP_OP_REPLY = 2,
};

struct eth_hdr {
	uint8_t dst[ETH_ALEN];
	uint8_t src[ETH_ALEN];
	uint16_t type;
};

/* RFC 826, only hardware type 1 (Ethernet) / protocol 0x0800 (IPv4), op 1 or 2. */
struct arp_msg {
	uint16_t op;
	uint8_t sha[ETH_ALEN];
	uint32_t spa; /* host byte order */
	uint8_t tha[ETH_ALEN];
	uint32_t tpa;
};

/* RFC 791 header. Addresses in host byte order. */
struct ipv4_hdr {
	uint8_t ihl; /* header length in bytes (20..60) */
	uint8_t tos;
	uint16_t tot_len; /* as declared; validated against the frame */
	uint16_t id;
	uint16_t frag; /* flags and fragment offset as on the wire */
	uint8_t ttl;
	uint8_t proto;
	uint16_t csum;
	uint32_t src;
	uint32_t dst;
	bool csum_ok;
};

struct udp_hdr {
	uint16_t sport;
	uint16_t dport;
	uint16_t len;
	uint16_t csum;
	bool csum_ok; /* true also when csum == 0 (RFC 768: no checksum) */
};

enum pkt_kind {
	PKT_OTHER = 0, /* well-formed Ethernet, a type we do not decode */
	PKT_ARP,
	PKT_IPV4, /* IPv4, not UDP (ESP, AH, ...): see ip.proto and l4 */
	PKT_UDP,
};

/* One decoded frame; pointers point into the caller's buffer. */
struct pkt {
	enum pkt_kind kind;
	struct eth_hdr eth;
	struct arp_msg arp;
	struct ipv4_hdr ip;
	struct udp_hdr udp;
	const uint8_t *l3; /* start of IPv4 header */
	size_t l3_len;	   /* ip.tot_len */
	const uint8_t *l4; /* first byte after the IPv4 header */
	size_t l4_len;
	const uint8_t *payload; /* UDP payload */
	size_t payload_len;
};

int eth_decode(const uint8_t *p, size_t len, struct eth_hdr *out);
int arp_decode(const uint8_t *p, size_t len, struct arp_msg *out);
/* Decodes the header and checks tot_len <= len and ihl <= tot_len. */
int ipv4_decode(const uint8_t *p, size_t len, struct ipv4_hdr *out);
/* p/len: the UDP header and payload; src/dst for the pseudo-header checksum. */
int udp_decode(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, struct udp_hdr *out);
/*
 * Whole frame. Returns 0 with kind set, or a negative rmc_err when a layer
 * it recognised is malformed: RMC_ETRUNC for a length past the end,
 * RMC_EINVAL for a bad field or a bad IPv4 or UDP checksum, RMC_EUNSUP for
 * an IPv4 fragment (MF set or offset != 0) or an ARP that is not
 * Ethernet/IPv4 request/reply. Trailing Ethernet padding beyond ip.tot_len
 * is allowed and ignored.
 */
int pkt_decode(const uint8_t *p, size_t len, struct pkt *out);
/*
 * The SPI of a decoded ESP or AH packet's outermost IPsec header (ESP at
 * offset 0, AH at 4: RFC 4303 §2, RFC 4302 §2), for picking the SA; 0 (a
 * reserved SPI, never an SA's) when the header is short or not IPsec.
 */
uint32_t pkt_ipsec_spi(const struct pkt *pk);

/* RFC 1071 Internet checksum over a buffer, with an initial partial sum. */
uint16_t inet_csum(const void *p, size_t len, uint32_t sum);
/* RFC 768 pseudo-header (src, dst, zero, proto, length) as a partial sum for inet_csum. */
uint32_t ipv4_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

#endif
