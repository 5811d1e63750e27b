/* RFC 7296 §3 payload parsing: round trips, every truncation, critical bit. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/ikev2.h"

static const struct ikev2_xform ike_xf[] = {
    {IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 128, false},
    {IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0, false},
    {IKEV2_XF_DH, IKEV2_DH_CURVE25519, 0, false},
};

/* Builds: SA, KE, Nonce, Notify, TSi, Delete. Returns the chain length. */
static size_t
build_chain(uint8_t *buf, size_t cap, uint8_t *first)
{
	struct ikev2_wr b;
	struct ikev2_prop_out pr[2] = {
	    {0, IKEV2_PROTO_IKE, 0, {0}, ike_xf, 3},
	    {0, IKEV2_PROTO_ESP, 4, {1, 2, 3, 4}, ike_xf, 1},
	};
	uint8_t ke[32], nonce[32];
	struct ikev2_ts_entry ts = {17, 664, 664, 0x0a000001, 0x0a000001};
	uint32_t spis[2] = {0x11223344, 0x55667788};

	memset(ke, 0xab, sizeof(ke));
	memset(nonce, 0xcd, sizeof(nonce));
	ikev2_wr_init(&b, buf, cap, first);
	ikev2_put_sa(&b, pr, 2);
	ikev2_put_ke(&b, IKEV2_DH_CURVE25519, ke, sizeof(ke));
	ikev2_put_nonce(&b, nonce, sizeof(nonce));
	ikev2_put_notify(&b, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
	ikev2_put_ts(&b, IKEV2_PLD_TSI, &ts, 1);
	ikev2_put_delete(&b, IKEV2_PROTO_ESP, spis, 2);
	cr_assert_eq(b.err, 0);
	return b.w.off;
}

Test(ikev2_pld, chain_round_trip)
{
	uint8_t buf[512], first;
	size_t n = build_chain(buf, sizeof(buf), &first);
	struct ikev2_chain c;
	struct ikev2_sa sa;
	struct ikev2_ke ke;
	struct ikev2_ts ts;
	struct ikev2_notify no;
	struct ikev2_delete del;

	cr_assert_eq(first, IKEV2_PLD_SA);
	cr_assert_eq(ikev2_chain_decode(first, buf, n, &c), 0);
	cr_assert_eq(c.n, 6);
	cr_assert_eq(ikev2_sa_decode(c.pld[0].body, c.pld[0].len, &sa), 0);
	cr_assert_eq(sa.n, 2);
	cr_assert_eq(sa.prop[0].nxf, 3);
	cr_assert_eq(sa.prop[0].xf[0].id, IKEV2_ENCR_AES_GCM_16);
	cr_assert_eq(sa.prop[0].xf[0].keylen, 128);
	cr_assert_eq(sa.prop[1].proto, IKEV2_PROTO_ESP);
	cr_assert_eq(sa.prop[1].spi[3], 4);
	cr_assert_eq(sa.prop[1].num, 2);
	cr_assert_eq(ikev2_ke_decode(c.pld[1].body, c.pld[1].len, &ke), 0);
	cr_assert_eq(ke.group, 31);
	cr_assert_eq(ke.len, 32);
	cr_assert_eq(ikev2_nonce_check(c.pld[2].len), 0);
	cr_assert_eq(ikev2_chain_notify(&c, IKEV2_N_USE_TRANSPORT_MODE, &no), 0);
	cr_assert_eq(ikev2_chain_notify(&c, IKEV2_N_REKEY_SA, &no), RMC_ENOENT);
	cr_assert_eq(ikev2_ts_decode(c.pld[4].body, c.pld[4].len, &ts), 0);
	cr_assert_eq(ts.n, 1);
	cr_assert_eq(ts.ts[0].sport, 664);
	cr_assert_eq(ts.ts[0].saddr, 0x0a000001);
	cr_assert_eq(ikev2_delete_decode(c.pld[5].body, c.pld[5].len, &del), 0);
	cr_assert_eq(del.nspi, 2);
	cr_assert_eq(get_be32(del.spis + 4), 0x55667788);
}

/* Every strict prefix of a valid chain must be refused, never read past. */
Test(ikev2_pld, every_truncation_refused)
{
	uint8_t buf[512], first;
	size_t n = build_chain(buf, sizeof(buf), &first);
	struct ikev2_chain c;

	for (size_t l = 0; l < n; l++) {
		uint8_t *cp = malloc(l ? l : 1); /* exact size: ASan catches any overread */
		memcpy(cp, buf, l);
		cr_assert_neq(ikev2_chain_decode(first, cp, l, &c), 0, "prefix %zu accepted", l);
		free(cp);
	}
	/* One trailing byte is refused too. */
	cr_assert_neq(ikev2_chain_decode(first, buf, n + 1, &c), 0);
}

/* Every single-bit flip in the payload bodies' structure: no crash, any verdict. */
Test(ikev2_pld, every_bit_flip_is_safe)
{
	uint8_t buf[512], first;
	size_t n = build_chain(buf, sizeof(buf), &first);
	size_t refused = 0;

	for (size_t i = 0; i < n * 8; i++) {
		struct ikev2_chain c;
		uint8_t *cp = malloc(n);
		memcpy(cp, buf, n);
		cp[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (ikev2_chain_decode(first, cp, n, &c) == 0) {
			for (size_t k = 0; k < c.n; k++) {
				struct ikev2_sa sa;
				struct ikev2_ts ts;
				struct ikev2_delete d;
				struct ikev2_ke ke;
				struct ikev2_notify no;
				const struct ikev2_pld *p = &c.pld[k];
				int rc = 0;
				switch (p->type) {
				case IKEV2_PLD_SA:
					rc = ikev2_sa_decode(p->body, p->len, &sa);
					break;
				case IKEV2_PLD_TSI:
					rc = ikev2_ts_decode(p->body, p->len, &ts);
					break;
				case IKEV2_PLD_DELETE:
					rc = ikev2_delete_decode(p->body, p->len, &d);
					break;
				case IKEV2_PLD_KE:
					rc = ikev2_ke_decode(p->body, p->len, &ke);
					break;
				case IKEV2_PLD_NOTIFY:
					rc = ikev2_notify_decode(p->body, p->len, &no);
					break;
				}
				refused += rc != 0;
			}
		} else {
			refused++;
		}
		free(cp);
	}
	/* Length-field flips must be caught somewhere. */
	cr_assert_gt(refused, 0);
}

Test(ikev2_pld, unknown_noncritical_skipped_critical_refused)
{
	/* Nonce(16) -> unknown type 200 (4 bytes body) -> Notify */
	uint8_t buf[64];
	size_t o = 0;
	buf[o++] = 200, buf[o++] = 0, buf[o++] = 0, buf[o++] = 20;
	memset(buf + o, 0x11, 16), o += 16;
	buf[o++] = IKEV2_PLD_NOTIFY, buf[o++] = 0, buf[o++] = 0, buf[o++] = 8;
	memset(buf + o, 0x22, 4), o += 4;
	buf[o++] = 0, buf[o++] = 0, buf[o++] = 0, buf[o++] = 8;
	buf[o++] = 0, buf[o++] = 0, buf[o++] = 0x40, buf[o++] = 0x07;
	struct ikev2_chain c;

	cr_assert_eq(ikev2_chain_decode(IKEV2_PLD_NONCE, buf, o, &c), 0);
	cr_assert_eq(c.n, 2);
	cr_assert_eq(c.skipped, 1);
	cr_assert_eq(c.pld[1].type, IKEV2_PLD_NOTIFY);
	/* Same with the critical bit set on the unknown payload (§2.5). */
	buf[21] = IKEV2_CRITICAL;
	cr_assert_eq(ikev2_chain_decode(IKEV2_PLD_NONCE, buf, o, &c), RMC_EUNSUP);
	cr_assert_eq(c.bad_critical, 200);
	/* A critical bit on a known payload is fine. */
	buf[21] = 0;
	buf[1] = IKEV2_CRITICAL;
	cr_assert_eq(ikev2_chain_decode(IKEV2_PLD_NONCE, buf, o, &c), 0);
	cr_assert(c.pld[0].critical);
	/* A payload length below the generic header is refused. */
	buf[3] = 3;
	cr_assert_eq(ikev2_chain_decode(IKEV2_PLD_NONCE, buf, o, &c), RMC_EINVAL);
}

Test(ikev2_pld, sk_must_be_last)
{
	uint8_t buf[32] = {IKEV2_PLD_NONCE, 0, 0, 8, 1, 2, 3, 4};
	struct ikev2_chain c;

	cr_assert_eq(ikev2_chain_decode(IKEV2_PLD_SK, buf, 8, &c), 0);
	cr_assert_eq(c.sk_inner, IKEV2_PLD_NONCE);
	cr_assert_eq(c.pld[0].len, 4);
	cr_assert_eq(ikev2_chain_decode(IKEV2_PLD_SK, buf, 12, &c), RMC_EINVAL);
}

Test(ikev2_pld, header)
{
	uint8_t m[IKEV2_HDR_LEN];
	struct ikev2_hdr h = {0x0102030405060708ull, 0x1112131415161718ull, 33, 0x20, 34, 0x08, 7,
			      IKEV2_HDR_LEN};
	struct ikev2_hdr d;

	ikev2_hdr_encode(&h, m);
	cr_assert_eq(ikev2_hdr_decode(m, sizeof(m), &d), 0);
	cr_assert_eq(d.spi_i, h.spi_i);
	cr_assert_eq(d.spi_r, h.spi_r);
	cr_assert_eq(d.msgid, 7);
	cr_assert_eq(ikev2_hdr_decode(m, sizeof(m) - 1, &d), RMC_ETRUNC);
	m[17] = 0x30; /* major version 3: §2.5 INVALID_MAJOR_VERSION */
	cr_assert_eq(ikev2_hdr_decode(m, sizeof(m), &d), RMC_EUNSUP);
	m[17] = 0x20;
	put_be32(m + 24, 100); /* declared longer than the datagram */
	cr_assert_eq(ikev2_hdr_decode(m, sizeof(m), &d), RMC_ETRUNC);
	put_be32(m + 24, 20); /* declared shorter than a header */
	cr_assert_eq(ikev2_hdr_decode(m, sizeof(m), &d), RMC_ETRUNC);
}

Test(ikev2_pld, proposal_inconsistencies)
{
	uint8_t buf[256], first;
	struct ikev2_wr b;
	struct ikev2_prop_out pr = {0, IKEV2_PROTO_IKE, 0, {0}, ike_xf, 3};
	struct ikev2_sa sa;

	ikev2_wr_init(&b, buf, sizeof(buf), &first);
	ikev2_put_sa(&b, &pr, 1);
	const uint8_t *body = buf + 4;
	size_t len = b.w.off - 4;
	uint8_t cp[256];

	cr_assert_eq(ikev2_sa_decode(body, len, &sa), 0);
	/* transform count says 4 but there are 3 */
	memcpy(cp, body, len);
	cp[7] = 4;
	cr_assert_neq(ikev2_sa_decode(cp, len, &sa), 0);
	/* transform count says 2: the third is trailing garbage */
	cp[7] = 2;
	cr_assert_neq(ikev2_sa_decode(cp, len, &sa), 0);
	/* "more proposals" mark with none following */
	memcpy(cp, body, len);
	cp[0] = 2;
	cr_assert_neq(ikev2_sa_decode(cp, len, &sa), 0);
	/* proposal number must start at 1 */
	memcpy(cp, body, len);
	cp[4] = 3;
	cr_assert_neq(ikev2_sa_decode(cp, len, &sa), 0);
	/* SPI size 3 is not a thing */
	memcpy(cp, body, len);
	cp[6] = 3;
	cr_assert_neq(ikev2_sa_decode(cp, len, &sa), 0);
	/* an unknown TV attribute marks the transform, it does not fail the parse */
	memcpy(cp, body, len);
	cp[8 + 8] = 0x80, cp[8 + 9] = 0x0f;
	cr_assert_eq(ikev2_sa_decode(cp, len, &sa), 0);
	cr_assert(sa.prop[0].xf[0].bad_attr);
	/* a transform length below 8 */
	memcpy(cp, body, len);
	cp[8 + 3] = 4;
	cr_assert_neq(ikev2_sa_decode(cp, len, &sa), 0);
}

Test(ikev2_pld, ts_delete_notify_edges)
{
	struct ikev2_ts ts;
	struct ikev2_delete d;
	struct ikev2_notify n;
	uint8_t ts6[] = {1, 0, 0, 0, 8, 17, 0, 40}; /* IPv6 range: unsupported */
	uint8_t ts0[] = {0, 0, 0, 0};
	uint8_t del_ike[] = {1, 0, 0, 0};
	uint8_t del_bad[] = {3, 4, 0, 2, 1, 2, 3, 4}; /* 2 SPIs announced, 1 present */
	uint8_t no_spi_short[] = {3, 4, 0x40, 0x09, 1, 2};

	cr_assert_eq(ikev2_ts_decode(ts6, sizeof(ts6), &ts), RMC_EUNSUP);
	cr_assert_eq(ikev2_ts_decode(ts0, sizeof(ts0), &ts), RMC_EINVAL);
	cr_assert_eq(ikev2_delete_decode(del_ike, sizeof(del_ike), &d), 0);
	cr_assert_eq(ikev2_delete_decode(del_bad, sizeof(del_bad), &d), RMC_EINVAL);
	cr_assert_eq(ikev2_notify_decode(no_spi_short, sizeof(no_spi_short), &n), RMC_ETRUNC);
	cr_assert_eq(ikev2_nonce_check(15), RMC_EINVAL);
	cr_assert_eq(ikev2_nonce_check(257), RMC_EINVAL);
}

Test(ikev2_pld, writer_overflow_is_sticky)
{
	uint8_t buf[10], first;
	struct ikev2_wr b;
	uint8_t nonce[32] = {0};

	ikev2_wr_init(&b, buf, sizeof(buf), &first);
	ikev2_put_nonce(&b, nonce, sizeof(nonce));
	ikev2_put_nonce(&b, nonce, 2);
	cr_assert_eq(b.err, RMC_ENOSPC);
}

/* RFC 7296 §3.1's exchange types by number and name; anything else is unknown. */
Test(ikev2_pld, exchange_names)
{
	cr_expect_str_eq(ikev2_exch_name(34), "IKE_SA_INIT");
	cr_expect_str_eq(ikev2_exch_name(35), "IKE_AUTH");
	cr_expect_str_eq(ikev2_exch_name(36), "CREATE_CHILD_SA");
	cr_expect_str_eq(ikev2_exch_name(37), "INFORMATIONAL");
	cr_expect_str_eq(ikev2_exch_name(33), "unknown");
	cr_expect_str_eq(ikev2_exch_name(38), "unknown");
}
