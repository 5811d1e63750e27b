/*
 * The libnet frame builder: exact bytes against frames scapy built, decoding
 * by our own parser, minimum frame length, and the allocation-free emit path
 * giving the same bytes as libnet's own libnet_pblock_coalesce.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/build.h"
#include "proto/err.h"
#include "proto/pkt.h"

/*
 * Allocation counting for the "no malloc per frame" property: malloc,
 * calloc and realloc are interposed and forwarded to glibc's own entry
 * points. AddressSanitizer owns malloc itself, so there the test is skipped.
 */
static size_t nallocs;
#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 0
#else
#define COUNT_ALLOCS 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

void *
malloc(size_t size)
{
	nallocs++;
	return __libc_malloc(size);
}

void *
calloc(size_t n, size_t size)
{
	nallocs++;
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t size)
{
	nallocs++;
	return __libc_realloc(p, size);
}
#endif

/* Same frames as test_pkt.c: scapy 2.5 output, checksums computed by scapy. */
static const uint8_t udp_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x66, 0xc2, 0x0a, 0x00,
    0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x03, 0xe8, 0x02, 0x6f, 0x00, 0x14, 0x4e, 0xa7,
    0x06, 0x00, 0xff, 0x06, 0x00, 0x00, 0x11, 0xbe, 0x80, 0x00, 0x00, 0x00,
};
static const uint8_t arp_frame[] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
};
static const uint8_t ping[] = {0x06, 0x00, 0xff, 0x06, 0x00, 0x00, 0x11, 0xbe, 0x80, 0, 0, 0};

static const struct l2l3 addr = {
    .src_mac = {2, 0, 0, 0, 0, 1},
    .dst_mac = {2, 0, 0, 0, 0, 2},
    .src_ip = 0x0a000001,
    .dst_ip = 0x0a000002,
    .ip_id = 1,
    .ttl = 0, /* 64 */
};

static struct frame_builder *fb;
static uint8_t out[2048];
static size_t n;

static void
setup(void)
{
	fb = frame_builder_new();
	cr_assert_not_null(fb);
}

static void
teardown(void)
{
	frame_builder_free(fb);
}

TestSuite(build, .init = setup, .fini = teardown);

Test(build, udp_frame_matches_scapy_and_is_padded)
{
	cr_assert_eq(
	    frame_build_udp(fb, &addr, 1000, 623, ping, sizeof(ping), out, sizeof(out), &n),
	    RMC_OK);
	cr_assert_eq(n, ETH_MIN_FRAME);
	cr_assert_arr_eq(out, udp_frame, sizeof(udp_frame));
	for (size_t i = sizeof(udp_frame); i < n; i++)
		cr_assert_eq(out[i], 0, "pad byte %zu", i);
}

Test(build, udp_frame_decodes_with_good_checksums)
{
	uint8_t payload[1000];
	struct pkt p;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	cr_assert_eq(
	    frame_build_udp(fb, &addr, 4500, 664, payload, sizeof(payload), out, sizeof(out), &n),
	    RMC_OK);
	cr_assert_eq(n, 14 + 20 + 8 + sizeof(payload));
	cr_assert_eq(pkt_decode(out, n, &p), RMC_OK);
	cr_assert_eq(p.kind, PKT_UDP);
	cr_assert(p.ip.csum_ok);
	cr_assert(p.udp.csum_ok);
	cr_assert_neq(p.udp.csum, 0);
	cr_assert_eq(p.ip.ttl, 64);
	cr_assert_eq(p.udp.sport, 4500);
	cr_assert_eq(p.udp.dport, 664);
	cr_assert_eq(p.payload_len, sizeof(payload));
	cr_assert_arr_eq(p.payload, payload, sizeof(payload));
}

Test(build, empty_udp_payload)
{
	struct pkt p;
	cr_assert_eq(frame_build_udp(fb, &addr, 1, 2, NULL, 0, out, sizeof(out), &n), RMC_OK);
	cr_assert_eq(n, ETH_MIN_FRAME);
	cr_assert_eq(pkt_decode(out, n, &p), RMC_OK);
	cr_assert_eq(p.kind, PKT_UDP);
	cr_assert_eq(p.payload_len, 0);
}

Test(build, arp_request_matches_scapy)
{
	static const uint8_t sha[ETH_ALEN] = {2, 0, 0, 0, 0, 1};
	struct pkt p;
	cr_assert_eq(frame_build_arp(fb, ARP_OP_REQUEST, sha, 0x0a000001, NULL, 0x0a000002, NULL,
				     out, sizeof(out), &n),
		     RMC_OK);
	cr_assert_eq(n, ETH_MIN_FRAME);
	cr_assert_arr_eq(out, arp_frame, sizeof(arp_frame));
	cr_assert_eq(pkt_decode(out, n, &p), RMC_OK);
	cr_assert_eq(p.kind, PKT_ARP);
	cr_assert_eq(p.arp.op, ARP_OP_REQUEST);
	cr_assert_eq(p.arp.tpa, 0x0a000002);
}

Test(build, arp_reply_decodes)
{
	static const uint8_t sha[ETH_ALEN] = {2, 0, 0, 0, 0, 2};
	static const uint8_t tha[ETH_ALEN] = {2, 0, 0, 0, 0, 1};
	struct pkt p;
	cr_assert_eq(frame_build_arp(fb, ARP_OP_REPLY, sha, 0x0a000002, tha, 0x0a000001, tha, out,
				     sizeof(out), &n),
		     RMC_OK);
	cr_assert_eq(pkt_decode(out, n, &p), RMC_OK);
	cr_assert_eq(p.kind, PKT_ARP);
	cr_assert_eq(p.arp.op, ARP_OP_REPLY);
	cr_assert_arr_eq(p.eth.dst, tha, ETH_ALEN);
	cr_assert_arr_eq(p.arp.tha, tha, ETH_ALEN);
	cr_assert_arr_eq(p.arp.sha, sha, ETH_ALEN);
	cr_assert_eq(p.arp.spa, 0x0a000002);
}

Test(build, raw_ipv4_carries_the_upper_layer)
{
	uint8_t esp[64];
	struct pkt p;
	for (size_t i = 0; i < sizeof(esp); i++)
		esp[i] = (uint8_t)(0xa0 + i);
	cr_assert_eq(
	    frame_build_ipv4(fb, &addr, IPPROTO_ESP_, esp, sizeof(esp), out, sizeof(out), &n),
	    RMC_OK);
	cr_assert_eq(n, 14 + 20 + sizeof(esp));
	cr_assert_eq(pkt_decode(out, n, &p), RMC_OK);
	cr_assert_eq(p.kind, PKT_IPV4);
	cr_assert(p.ip.csum_ok);
	cr_assert_eq(p.ip.proto, IPPROTO_ESP_);
	cr_assert_eq(p.l4_len, sizeof(esp));
	cr_assert_arr_eq(p.l4, esp, sizeof(esp));
}

Test(build, refuses_small_buffers_and_bad_arguments)
{
	cr_assert_eq(
	    frame_build_udp(fb, &addr, 1, 2, ping, sizeof(ping), out, ETH_MIN_FRAME - 1, &n),
	    RMC_ENOSPC);
	cr_assert_eq(frame_build_udp(fb, &addr, 1, 2, ping, sizeof(ping), out, 10, &n), RMC_ENOSPC);
	cr_assert_eq(frame_build_udp(fb, &addr, 1, 2, NULL, 5, out, sizeof(out), &n), RMC_EINVAL);
	cr_assert_eq(frame_build_udp(fb, &addr, 1, 2, out, 65536 - 28, out, sizeof(out), &n),
		     RMC_EINVAL);
	cr_assert_eq(frame_build_arp(fb, 3, addr.src_mac, 1, NULL, 2, NULL, out, sizeof(out), &n),
		     RMC_EINVAL);
	/* A failed build leaves the builder usable. */
	cr_assert_eq(
	    frame_build_udp(fb, &addr, 1000, 623, ping, sizeof(ping), out, sizeof(out), &n),
	    RMC_OK);
	cr_assert_arr_eq(out, udp_frame, sizeof(udp_frame));
}

/*
 * Both emit paths over a sequence that alternates shapes and grows and
 * shrinks payloads: the bytes must be identical, and libnet's coalesce (with
 * its own checksums) is the reference for ours.
 */
Test(build, pblock_emit_equals_libnet_coalesce)
{
	static const size_t sizes[] = {0, 1, 17, 1472, 3, 200, 1999, 12, 2};
	struct frame_builder *ref = frame_builder_new();
	uint8_t payload[2000], a[2100], b[2100];
	size_t na, nb;

	cr_assert_not_null(ref);
	frame_builder_set_emit(ref, FRAME_EMIT_COALESCE);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i ^ (i >> 3));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t s = sizes[i];
		struct l2l3 x = addr;
		x.ip_id = (uint16_t)(i * 977);
		cr_assert_eq(frame_build_udp(fb, &x, 623, (uint16_t)(600 + i), payload, s, a,
					     sizeof(a), &na),
			     RMC_OK);
		cr_assert_eq(frame_build_udp(ref, &x, 623, (uint16_t)(600 + i), payload, s, b,
					     sizeof(b), &nb),
			     RMC_OK);
		cr_assert_eq(na, nb, "udp size %zu", s);
		cr_assert_arr_eq(a, b, na, "udp size %zu", s);
		cr_assert_eq(frame_build_ipv4(fb, &x, IPPROTO_AH_, payload, s, a, sizeof(a), &na),
			     RMC_OK);
		cr_assert_eq(frame_build_ipv4(ref, &x, IPPROTO_AH_, payload, s, b, sizeof(b), &nb),
			     RMC_OK);
		cr_assert_eq(na, nb, "ipv4 size %zu", s);
		cr_assert_arr_eq(a, b, na, "ipv4 size %zu", s);
		cr_assert_eq(frame_build_arp(fb, ARP_OP_REPLY, addr.src_mac, (uint32_t)i,
					     addr.dst_mac, 7, addr.dst_mac, a, sizeof(a), &na),
			     RMC_OK);
		cr_assert_eq(frame_build_arp(ref, ARP_OP_REPLY, addr.src_mac, (uint32_t)i,
					     addr.dst_mac, 7, addr.dst_mac, b, sizeof(b), &nb),
			     RMC_OK);
		cr_assert_eq(na, nb);
		cr_assert_arr_eq(a, b, na);
	}
	frame_builder_free(ref);
}

/* Frames of every shape and of growing and shrinking sizes, counted. */
static size_t
allocs_for_frames(enum frame_emit how, size_t frames)
{
	static uint8_t payload[1400], buf[1600];
	size_t before, len;

	frame_builder_set_emit(fb, how);
	/* The first frame of each shape allocates that shape's blocks, once. */
	frame_build_udp(fb, &addr, 1, 2, payload, 10, buf, sizeof(buf), &len);
	frame_build_ipv4(fb, &addr, IPPROTO_ESP_, payload, 10, buf, sizeof(buf), &len);
	frame_build_arp(fb, ARP_OP_REQUEST, addr.src_mac, 1, NULL, 2, NULL, buf, sizeof(buf), &len);
	before = nallocs;
	for (size_t i = 0; i < frames; i++) {
		size_t plen = (i * 37) % sizeof(payload);
		int rc;
		if (i % 3 == 0)
			rc =
			    frame_build_udp(fb, &addr, 1, 2, payload, plen, buf, sizeof(buf), &len);
		else if (i % 3 == 1)
			rc = frame_build_ipv4(fb, &addr, IPPROTO_ESP_, payload, plen, buf,
					      sizeof(buf), &len);
		else
			rc = frame_build_arp(fb, ARP_OP_REPLY, addr.src_mac, 1, addr.dst_mac, 2,
					     addr.dst_mac, buf, sizeof(buf), &len);
		cr_assert_eq(rc, RMC_OK);
	}
	return nallocs - before;
}

Test(build, no_allocation_per_frame)
{
	if (!COUNT_ALLOCS)
		cr_skip_test("malloc belongs to AddressSanitizer in this build");
	cr_assert_eq(allocs_for_frames(FRAME_EMIT_PBLOCKS, 3000), 0);
	/* The counter sees allocations: libnet's coalesce makes one per frame. */
	cr_assert_geq(allocs_for_frames(FRAME_EMIT_COALESCE, 3000), 3000);
}

Test(build, free_accepts_null)
{
	frame_builder_free(NULL);
}
