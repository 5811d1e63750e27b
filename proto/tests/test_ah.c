/*
 * AH (RFC 4302) with HMAC-SHA-256-128 over IPv4: layout, mutable fields,
 * round trips with and without ESN, both alignments, malformed classes.
 */
#include <criterion/criterion.h>

#include "proto/ah.h"
#include "proto/err.h"
#include "proto/rd.h"
#include "proto/sa.h"

#include "ipsec_test_util.h"

static const uint8_t rmcp_ping[] = {0x06, 0x00, 0xff, 0x06, 0x00, 0x00,
				    0x11, 0xbe, 0x80, 0x01, 0x00, 0x00};

Test(ah, layout_linux_default_and_align4)
{
	for (int a4 = 0; a4 < 2; a4++) {
		struct sa_config c = test_config(SA_AH_HMAC_SHA256, 0, false, 0x3003);
		struct sa o, i;
		uint8_t ip[128], out[128], back[128];
		size_t len = test_ipv4_udp(ip, rmcp_ping, sizeof(rmcp_ping)), n, m;
		size_t ahl = a4 ? 28 : 32;
		c.ah_align4 = a4;
		test_pair(&o, &i, &c);
		cr_assert_eq(ah_seal_ipv4(&o, ip, len, out, sizeof(out), &n), 0);
		cr_assert_eq(n, len + ahl);
		cr_assert_eq(out[9], 51);
		cr_assert_eq(get_be16(out + 2), n);
		cr_assert(test_ipv4_csum_ok(out));
		cr_assert_eq(out[20], 17);		  /* next header: UDP */
		cr_assert_eq(out[21], ahl / 4 - 2);	  /* RFC 4302 §2.2 */
		cr_assert_eq(get_be16(out + 22), 0);	  /* reserved */
		cr_assert_eq(get_be32(out + 24), 0x3003); /* SPI */
		cr_assert_eq(get_be32(out + 28), 1);	  /* first sequence number */
		if (!a4)
			cr_assert_arr_eq(out + 48, "\0\0\0\0", 4); /* Linux's 4 padding bytes */
		cr_assert_arr_eq(out + 20 + ahl, ip + 20, len - 20);
		cr_assert_eq(ah_open_ipv4(&i, out, n, back, sizeof(back), &m), 0);
		cr_assert_eq(m, len);
		cr_assert_arr_eq(back, ip, len);
		sa_clear(&o);
		sa_clear(&i);
	}
}

/* A receiver accepts both lengths, whatever it sends itself. */
Test(ah, accepts_both_alignments)
{
	struct sa_config c = test_config(SA_AH_HMAC_SHA256, 0, false, 0x3003);
	struct sa o4, o8, i;
	uint8_t ip[128], out[128], back[128];
	size_t len = test_ipv4_udp(ip, rmcp_ping, sizeof(rmcp_ping)), n, m;

	cr_assert_eq(sa_init(&o8, &c, SA_DIR_OUT), 0);
	cr_assert_eq(sa_init(&i, &c, SA_DIR_IN), 0);
	c.ah_align4 = true;
	cr_assert_eq(sa_init(&o4, &c, SA_DIR_OUT), 0);
	o4.seq = 10;
	cr_assert_eq(ah_seal_ipv4(&o8, ip, len, out, sizeof(out), &n), 0);
	cr_assert_eq(ah_open_ipv4(&i, out, n, back, sizeof(back), &m), 0);
	cr_assert_eq(ah_seal_ipv4(&o4, ip, len, out, sizeof(out), &n), 0);
	cr_assert_eq(ah_open_ipv4(&i, out, n, back, sizeof(back), &m), 0);
	sa_clear(&o4);
	sa_clear(&o8);
	sa_clear(&i);
}

/* RFC 4302 §3.3.3.1.1.1: TOS, flags/offset, TTL, checksum may change en route. */
Test(ah, mutable_fields_are_not_covered)
{
	struct sa_config c = test_config(SA_AH_HMAC_SHA256, 0, false, 0x3003);
	struct sa o, i;
	uint8_t ip[128], out[128], back[128];
	size_t len = test_ipv4_udp(ip, rmcp_ping, sizeof(rmcp_ping)), n, m;
	static const size_t mutable_bytes[] = {1, 6, 7, 8, 10, 11};
	static const size_t fixed_bytes[] = {0, 2, 3, 4, 5, 9, 12, 15, 16, 19};

	test_pair(&o, &i, &c);
	for (size_t k = 0; k < 6; k++) {
		cr_assert_eq(ah_seal_ipv4(&o, ip, len, out, sizeof(out), &n), 0);
		out[mutable_bytes[k]] ^= 0x10;
		cr_assert_eq(ah_open_ipv4(&i, out, n, back, sizeof(back), &m), 0, "byte %zu",
			     mutable_bytes[k]);
	}
	for (size_t k = 0; k < 10; k++) {
		cr_assert_eq(ah_seal_ipv4(&o, ip, len, out, sizeof(out), &n), 0);
		out[fixed_bytes[k]] ^= 0x01;
		int rc = ah_open_ipv4(&i, out, n, back, sizeof(back), &m);
		cr_assert_neq(rc, 0, "byte %zu", fixed_bytes[k]);
	}
	sa_clear(&o);
	sa_clear(&i);
}

Test(ah, round_trip_esn_across_2_32_in_place)
{
	struct sa_config c = test_config(SA_AH_HMAC_SHA256, 0, true, 0x3003);
	struct sa o, i;
	uint8_t ip[128], buf[128];
	size_t len = test_ipv4_udp(ip, rmcp_ping, sizeof(rmcp_ping)), n, m;

	test_pair(&o, &i, &c);
	o.seq = 0xFFFFFFF8;
	i.replay.top = 0xFFFFFFF8;
	for (int k = 0; k < 20; k++) {
		memcpy(buf, ip, len);
		cr_assert_eq(ah_seal_ipv4(&o, buf, len, buf, sizeof(buf), &n), 0);
		cr_assert_eq(ah_open_ipv4(&i, buf, n, buf, sizeof(buf), &m), 0, "k %d", k);
		cr_assert_arr_eq(buf, ip, len);
	}
	cr_assert_eq(i.replay.top, 0x10000000CULL);
	/* the high half is in the ICV: a receiver a subspace off rejects */
	cr_assert_eq(ah_seal_ipv4(&o, ip, len, buf, sizeof(buf), &n), 0);
	i.replay.top = 0x20000000CULL;
	cr_assert_eq(ah_open_ipv4(&i, buf, n, buf, sizeof(buf), &m), RMC_ECRYPTO);
	sa_clear(&o);
	sa_clear(&i);
}

Test(ah, sequence_number_never_cycles)
{
	struct sa_config c = test_config(SA_AH_HMAC_SHA256, 0, false, 0x3003);
	struct sa o;
	uint8_t ip[128], out[128];
	size_t len = test_ipv4_udp(ip, rmcp_ping, sizeof(rmcp_ping)), n;

	cr_assert_eq(sa_init(&o, &c, SA_DIR_OUT), 0);
	o.seq = UINT32_MAX;
	cr_assert_eq(ah_seal_ipv4(&o, ip, len, out, sizeof(out), &n), RMC_ESTATE);
	sa_clear(&o);
}

Test(ah, malformed_classes_counted_separately)
{
	struct sa_config c = test_config(SA_AH_HMAC_SHA256, 0, false, 0x3003);
	struct sa o, i;
	uint8_t ip[128], pkt[128], bad[128], back[128];
	size_t len = test_ipv4_udp(ip, rmcp_ping, sizeof(rmcp_ping)), n, m;
	struct ipsec_stats want = {0};

	test_pair(&o, &i, &c);
	cr_assert_eq(ah_seal_ipv4(&o, ip, len, pkt, sizeof(pkt), &n), 0);
	/* truncated: every cut shorter than the packet */
	for (size_t l = 0; l < n; l++) {
		cr_assert_eq(ah_open_ipv4(&i, pkt, l, back, sizeof(back), &m), RMC_ETRUNC, "l %zu",
			     l);
		want.truncated++;
	}
	/* a Payload Len that is neither 28 nor 32 bytes */
	memcpy(bad, pkt, n);
	bad[21] = 7; /* 36 bytes */
	cr_assert_eq(ah_open_ipv4(&i, bad, n, back, sizeof(back), &m), RMC_ETRUNC);
	want.truncated++;
	/* bad ICV: a bit flipped in each immutable or AH or payload byte */
	for (size_t b = 20; b < n; b++) {
		if (b == 21 || (b >= 24 && b < 32))
			continue; /* Payload Len, SPI, sequence number: other classes */
		memcpy(bad, pkt, n);
		bad[b] ^= 0x01;
		cr_assert_eq(ah_open_ipv4(&i, bad, n, back, sizeof(back), &m), RMC_ECRYPTO, "b %zu",
			     b);
		want.bad_icv++;
	}
	memcpy(bad, pkt, n);
	bad[12] ^= 0x01; /* source address */
	cr_assert_eq(ah_open_ipv4(&i, bad, n, back, sizeof(back), &m), RMC_ECRYPTO);
	want.bad_icv++;
	/* unknown SPI */
	memcpy(bad, pkt, n);
	bad[24] ^= 0x01;
	cr_assert_eq(ah_open_ipv4(&i, bad, n, back, sizeof(back), &m), RMC_ENOENT);
	want.unknown_spi++;
	/* genuine, then replay */
	cr_assert_eq(ah_open_ipv4(&i, pkt, n, back, sizeof(back), &m), 0);
	want.ok++;
	cr_assert_eq(ah_open_ipv4(&i, pkt, n, back, sizeof(back), &m), RMC_EREPLAY);
	want.replay++;
	/* too old */
	for (int k = 0; k < 64; k++) {
		uint8_t p2[128];
		size_t n2;
		cr_assert_eq(ah_seal_ipv4(&o, ip, len, p2, sizeof(p2), &n2), 0);
		cr_assert_eq(ah_open_ipv4(&i, p2, n2, back, sizeof(back), &m), 0);
		want.ok++;
	}
	cr_assert_eq(ah_open_ipv4(&i, pkt, n, back, sizeof(back), &m), RMC_ETOOOLD);
	want.too_old++;

	cr_assert_eq(i.stats.truncated, want.truncated);
	cr_assert_eq(i.stats.bad_icv, want.bad_icv);
	cr_assert_eq(i.stats.unknown_spi, want.unknown_spi);
	cr_assert_eq(i.stats.replay, want.replay);
	cr_assert_eq(i.stats.too_old, want.too_old);
	cr_assert_eq(i.stats.bad_padding, 0);
	cr_assert_eq(i.stats.ok, want.ok);
	sa_clear(&o);
	sa_clear(&i);
}

Test(ah, decode_header)
{
	struct sa_config c = test_config(SA_AH_HMAC_SHA256, 0, false, 0x3003);
	struct sa o;
	struct ah_hdr h;
	uint8_t ip[128], out[128];
	size_t len = test_ipv4_udp(ip, rmcp_ping, sizeof(rmcp_ping)), n;

	cr_assert_eq(sa_init(&o, &c, SA_DIR_OUT), 0);
	cr_assert_eq(ah_seal_ipv4(&o, ip, len, out, sizeof(out), &n), 0);
	cr_assert_eq(ah_decode(out + 20, n - 20, &h), 0);
	cr_assert_eq(h.next_hdr, 17);
	cr_assert_eq(h.len, 32);
	cr_assert_eq(h.spi, 0x3003);
	cr_assert_eq(h.seq, 1);
	cr_assert_eq(h.icv, out + 32);
	cr_assert_eq(h.icv_len, 20);
	cr_assert_eq(h.reserved, 0);
	for (size_t l = 0; l < 32; l++)
		cr_assert_eq(ah_decode(out + 20, l, &h), RMC_ETRUNC, "l %zu", l);
	out[21] = 1; /* 12 bytes declared minimum is 1 word: (1 + 2) * 4 = 12 */
	cr_assert_eq(ah_decode(out + 20, n - 20, &h), 0);
	cr_assert_eq(h.icv_len, 0);
	out[21] = 0; /* (0 + 2) * 4 = 8 < 12 */
	cr_assert_eq(ah_decode(out + 20, n - 20, &h), RMC_ETRUNC);
	out[21] = 6;
	out[23] = 1; /* RESERVED: reported, and covered by the ICV */
	cr_assert_eq(ah_decode(out + 20, n - 20, &h), 0);
	cr_assert_eq(h.reserved, 1);
	sa_clear(&o);
}
