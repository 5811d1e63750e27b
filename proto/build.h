/*
 * Frames are built with libnet (libnet_init(LIBNET_NONE)): one context per
 * builder, created once, its protocol blocks (ptags) reused for every frame
 * so building a packet allocates nothing new. Output goes into the caller's
 * buffer. Frames shorter than 60 bytes are zero-padded to the Ethernet
 * minimum, as a real NIC would put them on the wire.
 */
#ifndef RMCPSEC_PROTO_BUILD_H
#define RMCPSEC_PROTO_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "proto/pkt.h"

struct frame_builder; /* opaque: owns a libnet context and its ptags */

struct frame_builder *frame_builder_new(void);
void frame_builder_free(struct frame_builder *fb);

struct l2l3 {
	uint8_t src_mac[ETH_ALEN];
	uint8_t dst_mac[ETH_ALEN];
	uint32_t src_ip; /* host byte order */
	uint32_t dst_ip;
	uint16_t ip_id;
	uint8_t ttl;     /* 0 means 64 */
};

/* Ethernet + IPv4 + UDP with correct IPv4 and UDP checksums. */
int frame_build_udp(struct frame_builder *fb, const struct l2l3 *a, uint16_t sport,
		    uint16_t dport, const uint8_t *payload, size_t plen, uint8_t *out,
		    size_t cap, size_t *outlen);

/* Ethernet + IPv4 carrying an already-formed upper layer (ESP, AH, ...). */
int frame_build_ipv4(struct frame_builder *fb, const struct l2l3 *a, uint8_t proto,
		     const uint8_t *payload, size_t plen, uint8_t *out, size_t cap,
		     size_t *outlen);

/* Ethernet + ARP (request: tha zero and dst_mac broadcast). */
int frame_build_arp(struct frame_builder *fb, uint16_t op, const uint8_t sha[ETH_ALEN],
		    uint32_t spa, const uint8_t tha[ETH_ALEN], uint32_t tpa,
		    const uint8_t dst_mac[ETH_ALEN], uint8_t *out, size_t cap, size_t *outlen);

#endif
