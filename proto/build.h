/*
 * Frames are built with libnet (libnet_init(LIBNET_NONE)). A libnet context
 * holds exactly one chain of protocol blocks, so the builder keeps one
 * context per frame shape (UDP, raw IPv4, ARP), all created in
 * frame_builder_new; each shape's ptags are reused for every frame so
 * libnet updates its header blocks in place. The payload is copied after
 * the headers by the builder rather than stored in a libnet block (libnet
 * reallocates a block whenever it has to grow), so after the first frame of
 * each shape building allocates nothing. Output goes into the caller's
 * buffer. Frames shorter than 60 bytes are zero-padded to the Ethernet
 * minimum, as a real NIC would put them on the wire. Not thread-safe: one
 * builder per thread. See build.c for the measurements behind this.
 */
#ifndef RMCPSEC_PROTO_BUILD_H
#define RMCPSEC_PROTO_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "proto/pkt.h"

struct frame_builder; /* opaque: owns a libnet context and its ptags */

struct frame_builder *frame_builder_new(void);
void frame_builder_free(struct frame_builder *fb);

/*
 * How the built protocol blocks become bytes. FRAME_EMIT_PBLOCKS (default)
 * copies libnet's header blocks straight into the caller's buffer, then the
 * payload, and fills the IPv4/UDP checksums with inet_csum: no allocation
 * per frame. FRAME_EMIT_COALESCE builds the whole frame, payload included,
 * in libnet and asks libnet_pblock_coalesce for it, which mallocs and frees
 * one buffer per frame and computes the checksums itself; kept as the
 * reference the tests compare the default path with.
 */
enum frame_emit {
	FRAME_EMIT_PBLOCKS = 0,
	FRAME_EMIT_COALESCE,
};
void frame_builder_set_emit(struct frame_builder *fb, enum frame_emit how);

struct l2l3 {
	uint8_t src_mac[ETH_ALEN];
	uint8_t dst_mac[ETH_ALEN];
	uint32_t src_ip; /* host byte order */
	uint32_t dst_ip;
	uint16_t ip_id;
	uint8_t ttl; /* 0 means 64 */
};

/* Ethernet + IPv4 + UDP with correct IPv4 and UDP checksums. */
int frame_build_udp(struct frame_builder *fb, const struct l2l3 *a, uint16_t sport, uint16_t dport,
		    const uint8_t *payload, size_t plen, uint8_t *out, size_t cap, size_t *outlen);

/* Ethernet + IPv4 carrying an already-formed upper layer (ESP, AH, ...). */
int frame_build_ipv4(struct frame_builder *fb, const struct l2l3 *a, uint8_t proto,
		     const uint8_t *payload, size_t plen, uint8_t *out, size_t cap, size_t *outlen);

/* Ethernet + ARP (request: tha zero and dst_mac broadcast; NULL tha means
 * zero, NULL dst_mac means broadcast). */
int frame_build_arp(struct frame_builder *fb, uint16_t op, const uint8_t sha[ETH_ALEN],
		    uint32_t spa, const uint8_t tha[ETH_ALEN], uint32_t tpa,
		    const uint8_t dst_mac[ETH_ALEN], uint8_t *out, size_t cap, size_t *outlen);

#endif
