/*
 * Frame building with libnet 1.1.6 (LIBNET_NONE: build only, never inject).
 *
 * Why one libnet context per shape: a context owns one chain of protocol
 * blocks and libnet_pblock_coalesce emits the whole chain, so UDP, raw IPv4
 * and ARP frames cannot share a chain; switching shapes in one context needs
 * libnet_clear_packet, which frees every block, and the next frame allocates
 * them again (measured: 6 allocations per frame when alternating UDP/ARP).
 *
 * Why not libnet_pblock_coalesce by default: it mallocs a fresh buffer for
 * every frame (and libnet_adv_cull_packet, the documented wrapper, refuses
 * LIBNET_NONE contexts: "advanced link mode not enabled"). The blocks are
 * public in libnet-structures.h, so emit_pblocks copies them in wire order
 * (pblock_end back to protocol_blocks, as coalesce does) and fills the
 * checksums with inet_csum.
 *
 * Why the payload stays out of libnet on that path: libnet_pblock_probe
 * shrinks a block's recorded size to the new length and frees and mallocs
 * it again as soon as a later payload is longer, so payloads carried in a
 * block reallocate on almost every frame of varying size. Headers have a
 * fixed size, so their blocks are allocated once, on the first frame of
 * each shape, and the payload is copied straight after them.
 *
 * FRAME_EMIT_COALESCE builds the whole frame inside libnet, payload and
 * checksums included, and is the reference the tests compare against.
 */
#include <stdlib.h>
#include <string.h>

#include <libnet.h>

#include "proto/build.h"
#include "proto/err.h"
#include "proto/rd.h"

enum {
	IPV4_MAX_TOT = 0xffff,
	IPV4_CSUM_OFF = 10, /* RFC 791 §3.1 header checksum */
	UDP_CSUM_OFF = 6,   /* RFC 768 */
	DEFAULT_TTL = 64,   /* RFC 1700 / Linux default */
	ARP_PLEN = 4,
};

struct shape {
	libnet_t *l;
	libnet_ptag_t l4, l3, l2;
};

struct frame_builder {
	struct shape udp, ip, arp;
	enum frame_emit emit;
};

static const uint8_t zeros[ETH_ALEN];
static const uint8_t bcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static int
shape_init(struct shape *s)
{
	char errbuf[LIBNET_ERRBUF_SIZE];

	s->l = libnet_init(LIBNET_NONE, NULL, errbuf);
	return s->l ? RMC_OK : RMC_EIO;
}

/* Copies the chain outermost block first: pblock_end is the last one built. */
static int
emit_pblocks(libnet_t *l, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t off = 0;

	for (libnet_pblock_t *p = l->pblock_end; p; p = p->prev) {
		if (p->b_len > cap - off)
			return RMC_ENOSPC;
		memcpy(out + off, p->buf, p->b_len);
		off += p->b_len;
	}
	*outlen = off;
	return RMC_OK;
}

static int
emit_coalesce(libnet_t *l, uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t *pkt = NULL;
	uint32_t size = 0;
	int rc = RMC_OK;

	if (libnet_pblock_coalesce(l, &pkt, &size) < 0)
		return RMC_EIO;
	if (size > cap) {
		rc = RMC_ENOSPC;
		goto out;
	}
	memcpy(out, pkt, size);
	*outlen = size;
out:
	libnet_adv_free_packet(l, pkt);
	return rc;
}

static void
fill_ipv4_csum(uint8_t *ip)
{
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;

	put_be16(ip + IPV4_CSUM_OFF, 0);
	put_be16(ip + IPV4_CSUM_OFF, inet_csum(ip, ihl, 0));
}

static void
fill_udp_csum(const uint8_t *ip, uint8_t *udp, uint16_t ulen)
{
	uint32_t sum = ipv4_pseudo_sum(get_be32(ip + 12), get_be32(ip + 16), IPPROTO_UDP_, ulen);
	uint16_t c;

	put_be16(udp + UDP_CSUM_OFF, 0);
	c = inet_csum(udp, ulen, sum);
	/* RFC 768: a computed zero is sent as all ones; zero means "none". */
	put_be16(udp + UDP_CSUM_OFF, c ? c : 0xffff);
}

static int
pad(int rc, uint8_t *out, size_t cap, size_t len, size_t *outlen)
{
	if (rc)
		return rc;
	if (len < ETH_MIN_FRAME) {
		if (cap < ETH_MIN_FRAME)
			return RMC_ENOSPC;
		memset(out + len, 0, ETH_MIN_FRAME - len);
		len = ETH_MIN_FRAME;
	}
	*outlen = len;
	return RMC_OK;
}

/*
 * Emits the shape's chain, then (pblock path only) the payload that was kept
 * out of libnet and the checksums, then pads to the Ethernet minimum.
 */
static int
finish(struct frame_builder *fb, struct shape *s, const uint8_t *tail, size_t tail_len,
       bool csum_ip, bool csum_udp, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t len = 0;
	int rc;

	if (fb->emit == FRAME_EMIT_COALESCE) {
		rc = emit_coalesce(s->l, out, cap, &len);
		return pad(rc, out, cap, len, outlen);
	}
	rc = emit_pblocks(s->l, out, cap, &len);
	if (rc)
		return rc;
	if (tail_len > cap - len)
		return RMC_ENOSPC;
	if (tail_len)
		memcpy(out + len, tail, tail_len);
	len += tail_len;
	if (csum_ip) {
		uint8_t *ip = out + ETH_HLEN;
		fill_ipv4_csum(ip);
		if (csum_udp)
			fill_udp_csum(ip, ip + IPV4_MIN_HLEN, get_be16(ip + 2) - IPV4_MIN_HLEN);
	}
	return pad(RMC_OK, out, cap, len, outlen);
}

static int
build_eth(struct shape *s, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	libnet_ptag_t t = libnet_build_ethernet(dst, src, type, NULL, 0, s->l, s->l2);

	if (t == -1)
		return RMC_EIO;
	s->l2 = t;
	return RMC_OK;
}

static int
build_ipv4(struct shape *s, const struct l2l3 *a, uint8_t proto, size_t l4len,
	   const uint8_t *payload, size_t plen)
{
	libnet_ptag_t t;

	t = libnet_build_ipv4((uint16_t)(IPV4_MIN_HLEN + l4len), 0, a->ip_id, 0,
			      a->ttl ? a->ttl : DEFAULT_TTL, proto, 0, htonl(a->src_ip),
			      htonl(a->dst_ip), payload, (uint32_t)plen, s->l, s->l3);
	if (t == -1)
		return RMC_EIO;
	s->l3 = t;
	return build_eth(s, a->dst_mac, a->src_mac, ETH_P_IPV4);
}

static int
check_args(const struct l2l3 *a, const uint8_t *payload, size_t plen, size_t l4hdr)
{
	if (!a || (!payload && plen))
		return RMC_EINVAL;
	if (plen > IPV4_MAX_TOT - IPV4_MIN_HLEN - l4hdr)
		return RMC_EINVAL;
	return RMC_OK;
}

int
frame_build_udp(struct frame_builder *fb, const struct l2l3 *a, uint16_t sport, uint16_t dport,
		const uint8_t *payload, size_t plen, uint8_t *out, size_t cap, size_t *outlen)
{
	struct shape *s = &fb->udp;
	uint16_t ulen = (uint16_t)(UDP_HLEN + plen);
	libnet_ptag_t t;
	int rc = check_args(a, payload, plen, UDP_HLEN);

	if (rc)
		return rc;
	/* libnet rejects a NULL payload with a nonzero length and vice versa. */
	if (fb->emit == FRAME_EMIT_PBLOCKS || !plen)
		t = libnet_build_udp(sport, dport, ulen, 0, NULL, 0, s->l, s->l4);
	else
		t = libnet_build_udp(sport, dport, ulen, 0, payload, (uint32_t)plen, s->l, s->l4);
	if (t == -1)
		return RMC_EIO;
	s->l4 = t;
	rc = build_ipv4(s, a, IPPROTO_UDP_, ulen, NULL, 0);
	if (rc)
		return rc;
	return finish(fb, s, payload, plen, true, true, out, cap, outlen);
}

int
frame_build_ipv4(struct frame_builder *fb, const struct l2l3 *a, uint8_t proto,
		 const uint8_t *payload, size_t plen, uint8_t *out, size_t cap, size_t *outlen)
{
	struct shape *s = &fb->ip;
	int rc = check_args(a, payload, plen, 0);

	if (rc)
		return rc;
	if (fb->emit == FRAME_EMIT_PBLOCKS || !plen)
		rc = build_ipv4(s, a, proto, plen, NULL, 0);
	else
		rc = build_ipv4(s, a, proto, plen, payload, plen);
	if (rc)
		return rc;
	return finish(fb, s, payload, plen, true, false, out, cap, outlen);
}

int
frame_build_arp(struct frame_builder *fb, uint16_t op, const uint8_t sha[ETH_ALEN], uint32_t spa,
		const uint8_t tha[ETH_ALEN], uint32_t tpa, const uint8_t dst_mac[ETH_ALEN],
		uint8_t *out, size_t cap, size_t *outlen)
{
	struct shape *s = &fb->arp;
	uint8_t spa_b[ARP_PLEN], tpa_b[ARP_PLEN];
	libnet_ptag_t t;
	int rc;

	if (!sha || (op != ARP_OP_REQUEST && op != ARP_OP_REPLY))
		return RMC_EINVAL;
	put_be32(spa_b, spa);
	put_be32(tpa_b, tpa);
	t = libnet_build_arp(ARPHRD_ETHER, ETH_P_IPV4, ETH_ALEN, ARP_PLEN, op, sha, spa_b,
			     tha ? tha : zeros, tpa_b, NULL, 0, s->l, s->l3);
	if (t == -1)
		return RMC_EIO;
	s->l3 = t;
	rc = build_eth(s, dst_mac ? dst_mac : bcast, sha, ETH_P_ARP);
	if (rc)
		return rc;
	return finish(fb, s, NULL, 0, false, false, out, cap, outlen);
}

struct frame_builder *
frame_builder_new(void)
{
	struct frame_builder *fb = calloc(1, sizeof(*fb));

	if (!fb)
		return NULL;
	if (shape_init(&fb->udp) || shape_init(&fb->ip) || shape_init(&fb->arp)) {
		frame_builder_free(fb);
		return NULL;
	}
	return fb;
}

void
frame_builder_set_emit(struct frame_builder *fb, enum frame_emit how)
{
	fb->emit = how;
}

void
frame_builder_free(struct frame_builder *fb)
{
	if (!fb)
		return;
	if (fb->udp.l)
		libnet_destroy(fb->udp.l);
	if (fb->ip.l)
		libnet_destroy(fb->ip.l);
	if (fb->arp.l)
		libnet_destroy(fb->arp.l);
	free(fb);
}
