/*
 * Known answers for the IKEv2 primitives: RFC 4231 (HMAC-SHA-256, the PRF),
 * RFC 7748 §5.2 and §6.1 (X25519), and a cross-check of SKEYSEED, SK_*,
 * KEYMAT, the §2.18 rekey SKEYSEED and PSK AUTH against an independent
 * Python implementation (test_ikev2_kdf_ref.py): no official IKEv2 KDF
 * vectors with HMAC-SHA-256 were found (NIST's CAVP IKEv2 KDF responses in
 * the searched corpus are SHA-1 only).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "proto/ikev2_crypto.h"

static size_t
unhex(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2;
	for (size_t i = 0; i < n; i++)
		sscanf(h + 2 * i, "%2hhx", &out[i]);
	return n;
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = 0;
}

static void
assert_hex(const uint8_t *p, size_t n, const char *want)
{
	char buf[2048];
	hex(p, n, buf);
	cr_assert_str_eq(buf, want);
}

/* RFC 4231 §4.2 and §4.3 (test cases 1 and 2), HMAC-SHA-256 */
Test(ikev2_crypto, prf_rfc4231)
{
	uint8_t k1[20], out[32];
	memset(k1, 0x0b, sizeof(k1));
	struct ikev2_iov v1[] = {{"Hi ", 3}, {"There", 5}};
	cr_assert_eq(ikev2_prf(k1, sizeof(k1), v1, 2, out), 0);
	assert_hex(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	struct ikev2_iov v2[] = {{"what do ya want for nothing?", 28}};
	cr_assert_eq(ikev2_prf((const uint8_t *)"Jefe", 4, v2, 1, out), 0);
	assert_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* RFC 7748 §5.2, first X25519 test vector */
Test(ikev2_crypto, x25519_rfc7748_5_2)
{
	uint8_t k[32], u[32], out[32];
	unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", k);
	unhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", u);
	cr_assert_eq(ikev2_x25519_derive(k, u, 32, out), 0);
	assert_hex(out, 32, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
}

/* RFC 7748 §6.1, the Diffie-Hellman example */
Test(ikev2_crypto, x25519_rfc7748_6_1)
{
	uint8_t a[32], b[32], pa[32], pb[32], s1[32], s2[32];
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b);
	cr_assert_eq(ikev2_x25519_pub(a, pa), 0);
	cr_assert_eq(ikev2_x25519_pub(b, pb), 0);
	assert_hex(pa, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	assert_hex(pb, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	cr_assert_eq(ikev2_x25519_derive(a, pb, 32, s1), 0);
	cr_assert_eq(ikev2_x25519_derive(b, pa, 32, s2), 0);
	assert_hex(s1, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	cr_assert_eq(memcmp(s1, s2, 32), 0);
}

/* RFC 8031 §2: a low-order point giving an all-zero secret is refused, as is a wrong length. */
Test(ikev2_crypto, x25519_rejects_zero_and_bad_length)
{
	uint8_t a[32], zero_u[32] = {0}, out[32];
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a);
	cr_assert_neq(ikev2_x25519_derive(a, zero_u, 32, out), 0);
	cr_assert_eq(ikev2_x25519_derive(a, zero_u, 31, out), RMC_EINVAL);
}

/* RFC 7748 §7: every small-order u (top bit set or not) gives the all-zero secret, refused;
 * an honest public value is not among them. */
Test(ikev2_crypto, x25519_small_order_points_refused)
{
	uint8_t a[32], u[32], out[32], pub[32];
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a);
	for (size_t i = 0; i < IKEV2_X25519_SMALL_ORDER_N; i++) {
		memcpy(u, ikev2_x25519_small_order_u[i], 32);
		cr_assert(ikev2_x25519_is_small_order(u, 32), "row %zu", i);
		cr_assert_eq(ikev2_x25519_derive(a, u, 32, out), RMC_ECRYPTO, "row %zu derived", i);
		u[31] |= 0x80;
		cr_assert(ikev2_x25519_is_small_order(u, 32), "row %zu, top bit set", i);
		cr_assert_eq(ikev2_x25519_derive(a, u, 32, out), RMC_ECRYPTO, "row %zu top bit", i);
	}
	cr_assert_eq(ikev2_x25519_pub(a, pub), 0);
	cr_assert_not(ikev2_x25519_is_small_order(pub, 32));
	cr_assert_not(ikev2_x25519_is_small_order(ikev2_x25519_small_order_u[0], 31));
}

/* prf+ output is T1 | T2 ...: a longer output extends a shorter one. */
Test(ikev2_crypto, prf_plus_prefix_and_limit)
{
	uint8_t k[32] = {1}, a[40], b[100], big[1];
	struct ikev2_iov s[] = {{"seed", 4}};
	cr_assert_eq(ikev2_prf_plus(k, 32, s, 1, a, sizeof(a)), 0);
	cr_assert_eq(ikev2_prf_plus(k, 32, s, 1, b, sizeof(b)), 0);
	cr_assert_eq(memcmp(a, b, sizeof(a)), 0);
	cr_assert_eq(ikev2_prf_plus(k, 32, s, 1, big, 255 * 32 + 1), RMC_EINVAL);
}

Test(ikev2_crypto, kdf_cross_check_python)
{
	const char *ni_h = "00112233445566778899aabbccddeeff0123456789abcdef";
	const char *nr_h = "fedcba98765432100f1e2d3c4b5a69788796a5b4c3d2e1f0";
	const char *gir_h = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
	const char *gnew_h = "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552";
	const char *spii_h = "8899aabbccddeeff", *spir_h = "0102030405060708";
	const char *psk_h = "7365637265742d707368"; /* "secret-psh" */
	const char *msg_h = "0102030405060708090a0b0c0d0e0f10111213141516171819";
	const char *idb_h = "010000000a000001"; /* ID_IPV4_ADDR 10.0.0.1 */
	uint8_t ni[64], nr[64], gir[32], gnew[32], psk[32], msg[64], idb[16], tmp[8];
	size_t ni_len = unhex(ni_h, ni), nr_len = unhex(nr_h, nr);
	size_t psk_len = unhex(psk_h, psk), msg_len = unhex(msg_h, msg),
	       idb_len = unhex(idb_h, idb);
	unhex(gir_h, gir);
	unhex(gnew_h, gnew);
	unhex(spii_h, tmp);
	uint64_t spii = ((uint64_t)get_be32(tmp) << 32) | get_be32(tmp + 4);
	unhex(spir_h, tmp);
	uint64_t spir = ((uint64_t)get_be32(tmp) << 32) | get_be32(tmp + 4);

	struct ikev2_keys k;
	uint8_t seed[32], seed2[32], km[88], km_pfs[88], auth[32];
	struct ikev2_keys k2;
	cr_assert_eq(ikev2_derive_ike_keys(NULL, gir, 32, ni, ni_len, nr, nr_len, spii, spir, 20, 0,
					   &k, seed),
		     0);
	cr_assert_eq(ikev2_keymat(k.sk_d, NULL, 0, ni, ni_len, nr, nr_len, km, sizeof(km)), 0);
	cr_assert_eq(ikev2_keymat(k.sk_d, gnew, 32, ni, ni_len, nr, nr_len, km_pfs, sizeof(km_pfs)),
		     0);
	cr_assert_eq(ikev2_derive_ike_keys(k.sk_d, gnew, 32, ni, ni_len, nr, nr_len, 1, 2, 20, 0,
					   &k2, seed2),
		     0);
	cr_assert_eq(
	    ikev2_psk_auth(psk, psk_len, msg, msg_len, nr, nr_len, k.sk_pi, idb, idb_len, auth), 0);

	char cmd[2048], line[512];
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 %s/proto/tests/test_ikev2_kdf_ref.py %s %s %s %s %s %s %s %s %s "
		 "20 88",
		 RMCPSEC_SRC_DIR, ni_h, nr_h, gir_h, spii_h, spir_h, gnew_h, psk_h, msg_h, idb_h);
	FILE *f = popen(cmd, "r");
	cr_assert_not_null(f);
	size_t checked = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *eq = strchr(line, '=');
		cr_assert_not_null(eq);
		*eq = 0;
		const char *want = eq + 1;
		if (!strcmp(line, "skeyseed"))
			assert_hex(seed, 32, want);
		else if (!strcmp(line, "sk_d"))
			assert_hex(k.sk_d, 32, want);
		else if (!strcmp(line, "sk_ei"))
			assert_hex(k.sk_ei, 20, want);
		else if (!strcmp(line, "sk_er"))
			assert_hex(k.sk_er, 20, want);
		else if (!strcmp(line, "sk_pi"))
			assert_hex(k.sk_pi, 32, want);
		else if (!strcmp(line, "sk_pr"))
			assert_hex(k.sk_pr, 32, want);
		else if (!strcmp(line, "keymat"))
			assert_hex(km, sizeof(km), want);
		else if (!strcmp(line, "keymat_pfs"))
			assert_hex(km_pfs, sizeof(km_pfs), want);
		else if (!strcmp(line, "skeyseed_rekey"))
			assert_hex(seed2, 32, want);
		else if (!strcmp(line, "auth_i"))
			assert_hex(auth, 32, want);
		else
			cr_assert_fail("unexpected line %s", line);
		checked++;
	}
	cr_assert_eq(pclose(f), 0);
	cr_assert_eq(checked, 10);
}

/* SK payload: round trip, every bit of the message authenticated, truncation. */
Test(ikev2_crypto, sk_gcm_round_trip_and_tamper)
{
	uint8_t key[20];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	struct ikev2_sk_key enc, dec;
	cr_assert_eq(ikev2_sk_key_init(&enc, key, 20, 1), 0);
	cr_assert_eq(ikev2_sk_key_init(&dec, key, 20, 0), 0);
	uint8_t inner[] = {0, 0, 0, 8, 0xde, 0xad, 0xbe, 0xef};
	struct ikev2_hdr h = {1, 2, 0, IKEV2_VERSION, IKEV2_EXCH_INFORMATIONAL, IKEV2_F_INITIATOR,
			      3, 0};
	uint8_t msg[256], out[256];
	size_t len, ilen;
	cr_assert_eq(ikev2_sk_seal(&enc, 7, &h, IKEV2_PLD_NONCE, inner, sizeof(inner), msg,
				   sizeof(msg), &len),
		     0);
	cr_assert_eq(len, 28 + 4 + 8 + sizeof(inner) + 1 + 16);

	struct ikev2_hdr d;
	struct ikev2_chain c;
	cr_assert_eq(ikev2_hdr_decode(msg, len, &d), 0);
	cr_assert_eq(ikev2_chain_decode(d.next, msg + 28, len - 28, &c), 0);
	cr_assert_eq(c.sk_inner, IKEV2_PLD_NONCE);
	cr_assert_eq(ikev2_sk_open(&dec, msg, len, &c.pld[0], out, sizeof(out), &ilen), 0);
	cr_assert_eq(ilen, sizeof(inner));
	cr_assert_eq(memcmp(out, inner, ilen), 0);
	/* Any flipped bit, header (AAD) or body, must fail the ICV. */
	for (size_t i = 0; i < len * 8; i++) {
		msg[i / 8] ^= (uint8_t)(1u << (i % 8));
		int rc = ikev2_sk_open(&dec, msg, len, &c.pld[0], out, sizeof(out), &ilen);
		cr_assert_neq(rc, 0, "bit %zu accepted", i);
		msg[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	struct ikev2_pld shortp = c.pld[0];
	shortp.len = 8 + 16;
	cr_assert_eq(ikev2_sk_open(&dec, msg, len, &shortp, out, sizeof(out), &ilen), RMC_ETRUNC);
	ikev2_sk_key_free(&enc);
	ikev2_sk_key_free(&dec);
	cr_assert_eq(ikev2_sk_key_init(&enc, key, 19, 1), RMC_EINVAL);
}
