/*
 * ESP (RFC 4303) with AES-GCM-16 (RFC 4106) and AES-CBC + HMAC-SHA-256-128
 * (RFC 3602, RFC 4868): known answers, round trips with and without ESN,
 * and every malformed class counted on its own.
 */
#include <criterion/criterion.h>

#include "proto/crypto.h"
#include "proto/err.h"
#include "proto/esp.h"
#include "proto/rd.h"
#include "proto/sa.h"

#include "ipsec_test_util.h"

static const uint8_t *fixed_iv;

static int
fixed_iv_fn(void *arg, uint64_t seq, uint8_t *iv, size_t len)
{
	(void)arg;
	(void)seq;
	memcpy(iv, fixed_iv, len);
	return 0;
}

/*
 * draft-mcgrew-gcm-test-01 §4 (the GCM-in-ESP test cases for RFC 4106),
 * the AES-128 packet with SPI 0x00004321 and the 64-bit extended sequence
 * number 0x87654321_00000000 (AAD = SPI || seq-high || seq-low, RFC 4106
 * §5) and explicit IV 4956ed7e3b244cfe. The plaintext ends with padding
 * 01 02, pad length 2 and next header 1, which is what esp_seal writes
 * for a 68-byte payload. On the wire only the low half (0) is sent.
 */
Test(esp_kat, gcm_draft_mcgrew_gcm_test)
{
	uint8_t key[20], iv[8], pt[72], ct[88], want[8 + 8 + 88], out[200], back[200];
	size_t n, m;
	uint8_t nh = 0;
	struct sa o, i;
	struct sa_config c = {0};

	unhex("4c80cdefbb5d10da906ac73c3613a634 2e443b68", key, sizeof(key));
	unhex("4956ed7e3b244cfe", iv, sizeof(iv));
	unhex("45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000"
	      "00000000045f736970045f756470037369700963796265726369747902646b00"
	      "0021000101020201",
	      pt, sizeof(pt));
	unhex("fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34"
	      "cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce"
	      "61bc17d768fd97324590 18148f6cbe722fd04796562dfdb4",
	      ct, sizeof(ct));
	memcpy(want, "\x00\x00\x43\x21\x00\x00\x00\x00", 8);
	memcpy(want + 8, iv, 8);
	memcpy(want + 16, ct, sizeof(ct));

	c.spi = 0x4321;
	c.esn = true;
	c.suite = SA_ESP_AES_GCM_16;
	memcpy(c.enc_key, key, 16);
	c.enc_key_len = 16;
	memcpy(c.salt, key + 16, 4);
	cr_assert_eq(sa_init(&o, &c, SA_DIR_OUT), 0);
	cr_assert_eq(sa_init(&i, &c, SA_DIR_IN), 0);
	fixed_iv = iv;
	o.iv_fn = fixed_iv_fn;
	o.seq = 0x8765432100000000ULL - 1;
	cr_assert_eq(esp_seal(&o, 1, pt, 68, out, sizeof(out), &n), 0);
	cr_assert_eq(n, sizeof(want));
	cr_assert_arr_eq(out, want, n);

	i.replay.top = 0x87654320FFFFFFF0ULL; /* as if the SA had been running */
	cr_assert_eq(esp_open(&i, want, sizeof(want), back, sizeof(back), &m, &nh), 0);
	cr_assert_eq(m, 68);
	cr_assert_eq(nh, 1);
	cr_assert_arr_eq(back, pt, 68);
	cr_assert_eq(i.replay.top, 0x8765432100000000ULL);
	sa_clear(&o);
	sa_clear(&i);
}

/* RFC 4868 §2.7.2.1, test cases AUTH256-1..3 (HMAC-SHA-256-128). */
Test(esp_kat, hmac_sha256_128_rfc4868)
{
	static const struct {
		const char *key, *data, *icv;
	} v[] = {
	    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
	     "198a607eb44bfbc69903a0f1cf2bbdc5"},
	    {"4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
	     "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	     "167f928588c5cc2eef8e3093caa0e87c"},
	    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	     "dddddddddddddddddddddddddddddddddddd",
	     "cdcb1220d1ecccea91e53aba3092f962"},
	};
	for (size_t k = 0; k < 3; k++) {
		uint8_t key[32], data[64], want[16], icv[16];
		size_t kl = unhex(v[k].key, key, sizeof(key)), dl = unhex(v[k].data, data, 64);
		struct hmac256 h;
		unhex(v[k].icv, want, 16);
		cr_assert_eq(hmac256_init(&h, key, kl), 0);
		/* twice: the second run proves the per-packet restart keeps the key */
		for (int rep = 0; rep < 2; rep++) {
			cr_assert_eq(hmac256_begin(&h), 0);
			cr_assert_eq(hmac256_update(&h, data, dl), 0);
			cr_assert_eq(hmac256_end128(&h, icv), 0);
			cr_assert_arr_eq(icv, want, 16, "AUTH256-%zu", k + 1);
		}
		hmac256_clear(&h);
	}
}

/* RFC 3602 §4, cases #1 and #2 (AES-128-CBC). */
Test(esp_kat, aes_cbc_rfc3602)
{
	static const struct {
		const char *key, *iv, *pt, *ct;
	} v[] = {
	    {"06a9214036b8a15b512e03d534120006", "3dafba429d9eb430b422da802c9fac41",
	     "53696e676c6520626c6f636b206d7367", "e353779c1079aeb82708942dbe77181a"},
	    {"c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58",
	     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	     "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"},
	};
	for (size_t k = 0; k < 2; k++) {
		uint8_t key[16], iv[16], pt[32], ct[32], out[32];
		size_t n;
		struct aes_cbc e, d;
		unhex(v[k].key, key, 16);
		unhex(v[k].iv, iv, 16);
		n = unhex(v[k].pt, pt, 32);
		unhex(v[k].ct, ct, 32);
		cr_assert_eq(aes_cbc_init(&e, key, 16, true), 0);
		cr_assert_eq(aes_cbc_init(&d, key, 16, false), 0);
		for (int rep = 0; rep < 2; rep++) {
			cr_assert_eq(aes_cbc_run(&e, iv, pt, out, n), 0);
			cr_assert_arr_eq(out, ct, n, "case #%zu", k + 1);
			cr_assert_eq(aes_cbc_run(&d, iv, ct, out, n), 0);
			cr_assert_arr_eq(out, pt, n, "case #%zu", k + 1);
		}
		aes_cbc_clear(&e);
		aes_cbc_clear(&d);
	}
}

struct suite_case {
	enum sa_suite suite;
	size_t keylen;
	bool esn;
};

static const struct suite_case cases[] = {
    {SA_ESP_AES_GCM_16, 16, false},	     {SA_ESP_AES_GCM_16, 16, true},
    {SA_ESP_AES_GCM_16, 32, false},	     {SA_ESP_AES_GCM_16, 32, true},
    {SA_ESP_AES_CBC_HMAC_SHA256, 16, false}, {SA_ESP_AES_CBC_HMAC_SHA256, 16, true},
    {SA_ESP_AES_CBC_HMAC_SHA256, 32, false}, {SA_ESP_AES_CBC_HMAC_SHA256, 32, true},
};

Test(esp, round_trip_every_suite_and_length)
{
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct sa_config c =
		    test_config(cases[k].suite, cases[k].keylen, cases[k].esn, 0x1001);
		struct sa o, i;
		size_t align = cases[k].suite == SA_ESP_AES_GCM_16 ? 4 : 16;
		size_t ivl = cases[k].suite == SA_ESP_AES_GCM_16 ? 8 : 16;
		test_pair(&o, &i, &c);
		for (size_t len = 0; len <= 130; len++) {
			uint8_t pt[256], out[400], back[400], nh = 0;
			size_t n, m, ct_len, pad;
			for (size_t j = 0; j < len; j++)
				pt[j] = (uint8_t)(j * 7 + len);
			cr_assert_eq(esp_seal(&o, 17, pt, len, out, sizeof(out), &n), 0);
			cr_assert_eq(n, esp_sealed_len(&o, len));
			ct_len = n - 8 - ivl - 16;
			cr_assert_eq(ct_len % align, 0);
			pad = ct_len - len - 2;
			cr_assert(pad < align, "minimal padding");
			cr_assert_eq(get_be32(out), 0x1001);
			cr_assert_eq(get_be32(out + 4), (uint32_t)(len + 1));
			cr_assert_eq(esp_open(&i, out, n, back, sizeof(back), &m, &nh), 0,
				     "suite %zu len %zu", k, len);
			cr_assert_eq(m, len);
			cr_assert_eq(nh, 17);
			if (len)
				cr_assert_arr_eq(back, pt, len);
		}
		cr_assert_eq(i.stats.ok, 131);
		sa_clear(&o);
		sa_clear(&i);
	}
}

/* Padding bytes are 1, 2, 3, ... (RFC 4303 §2.4): visible after decryption. */
Test(esp, padding_is_monotonic)
{
	struct sa_config c = test_config(SA_ESP_AES_CBC_HMAC_SHA256, 16, false, 0x1001);
	struct sa o;
	struct aes_cbc d;
	uint8_t out[128], pt[64];
	size_t n;

	cr_assert_eq(sa_init(&o, &c, SA_DIR_OUT), 0);
	cr_assert_eq(esp_seal(&o, 17, (const uint8_t *)"abc", 3, out, sizeof(out), &n), 0);
	cr_assert_eq(n, 8 + 16 + 16 + 16);
	cr_assert_eq(aes_cbc_init(&d, c.enc_key, 16, false), 0);
	cr_assert_eq(aes_cbc_run(&d, out + 8, out + 24, pt, 16), 0);
	cr_assert_arr_eq(pt, "abc\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0b\x11", 16);
	aes_cbc_clear(&d);
	sa_clear(&o);
}

/* The default IVs are deterministic (the simulator replays by seed) and unique. */
Test(esp, deterministic_unique_ivs)
{
	for (int s = 0; s < 2; s++) {
		enum sa_suite suite = s ? SA_ESP_AES_CBC_HMAC_SHA256 : SA_ESP_AES_GCM_16;
		struct sa_config c = test_config(suite, 16, false, 0x1001);
		struct sa a, b;
		uint8_t x[100], y[100], prev[16] = {0};
		size_t n, ivl = s ? 16 : 8;
		cr_assert_eq(sa_init(&a, &c, SA_DIR_OUT), 0);
		cr_assert_eq(sa_init(&b, &c, SA_DIR_OUT), 0);
		for (int k = 0; k < 10; k++) {
			esp_seal(&a, 17, (const uint8_t *)"hello", 5, x, sizeof(x), &n);
			esp_seal(&b, 17, (const uint8_t *)"hello", 5, y, sizeof(y), &n);
			cr_assert_arr_eq(x, y, n);
			cr_assert_arr_neq(x + 8, prev, ivl);
			memcpy(prev, x + 8, ivl);
		}
		if (!s)
			cr_assert_arr_eq(x + 8, "\0\0\0\0\0\0\0\x0a",
					 8); /* IV = seq (RFC 4106 §3.1) */
		sa_clear(&a);
		sa_clear(&b);
	}
}

/* ESN: the sender crosses 2^32 and the receiver infers the high half. */
Test(esp, esn_crosses_2_32)
{
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		if (!cases[k].esn)
			continue;
		struct sa_config c = test_config(cases[k].suite, cases[k].keylen, true, 0x1001);
		struct sa o, i;
		uint8_t out[128], back[128], nh;
		size_t n, m;
		test_pair(&o, &i, &c);
		o.seq = 0xFFFFFFF0;
		i.replay.top = 0xFFFFFFF0;
		for (int j = 0; j < 40; j++) {
			cr_assert_eq(
			    esp_seal(&o, 17, (const uint8_t *)"x", 1, out, sizeof(out), &n), 0);
			cr_assert_eq(esp_open(&i, out, n, back, sizeof(back), &m, &nh), 0, "j %d",
				     j);
		}
		cr_assert_eq(o.seq, 0x100000018ULL);
		cr_assert_eq(i.replay.top, 0x100000018ULL);
		cr_assert_eq(get_be32(out + 4), 0x18); /* only the low half is sent */
		sa_clear(&o);
		sa_clear(&i);
	}
}

/* The ICV covers the high half of the ESN: a receiver guessing it wrong rejects. */
Test(esp, esn_high_half_is_authenticated)
{
	for (int s = 0; s < 2; s++) {
		enum sa_suite suite = s ? SA_ESP_AES_CBC_HMAC_SHA256 : SA_ESP_AES_GCM_16;
		struct sa_config c = test_config(suite, 16, true, 0x1001);
		struct sa o, i;
		uint8_t out[128], back[128], nh;
		size_t n, m;
		test_pair(&o, &i, &c);
		o.seq = 0x100000004ULL; /* sends 0x1_00000005 */
		cr_assert_eq(esp_seal(&o, 17, (const uint8_t *)"x", 1, out, sizeof(out), &n), 0);
		i.replay.top = 0x200000000ULL + 100; /* receiver infers 0x2_00000005 */
		cr_assert_eq(esp_open(&i, out, n, back, sizeof(back), &m, &nh), RMC_ECRYPTO);
		i.replay.top = 0x100000000ULL + 3; /* receiver infers 0x1_00000005 */
		cr_assert_eq(esp_open(&i, out, n, back, sizeof(back), &m, &nh), 0);
		sa_clear(&o);
		sa_clear(&i);
	}
}

Test(esp, sequence_number_never_cycles)
{
	struct sa_config c = test_config(SA_ESP_AES_GCM_16, 16, false, 0x1001);
	struct sa o;
	uint8_t out[128];
	size_t n;

	cr_assert_eq(sa_init(&o, &c, SA_DIR_OUT), 0);
	o.seq = UINT32_MAX - 1;
	cr_assert_eq(esp_seal(&o, 17, (const uint8_t *)"x", 1, out, sizeof(out), &n), 0);
	cr_assert_eq(esp_seal(&o, 17, (const uint8_t *)"x", 1, out, sizeof(out), &n), RMC_ESTATE);
	cr_assert_eq(o.seq, UINT32_MAX);
	sa_clear(&o);
	c.esn = true;
	cr_assert_eq(sa_init(&o, &c, SA_DIR_OUT), 0);
	o.seq = UINT32_MAX;
	cr_assert_eq(esp_seal(&o, 17, (const uint8_t *)"x", 1, out, sizeof(out), &n), 0);
	cr_assert_eq(o.seq, 1ULL << 32);
	o.seq = UINT64_MAX;
	cr_assert_eq(esp_seal(&o, 17, (const uint8_t *)"x", 1, out, sizeof(out), &n), RMC_ESTATE);
	sa_clear(&o);
}

Test(esp, small_output_buffer_takes_no_sequence_number)
{
	struct sa_config c = test_config(SA_ESP_AES_GCM_16, 16, false, 0x1001);
	struct sa o;
	uint8_t out[128];
	size_t n;

	cr_assert_eq(sa_init(&o, &c, SA_DIR_OUT), 0);
	cr_assert_eq(esp_seal(&o, 17, out, 64, out, 60, &n), RMC_ENOSPC);
	cr_assert_eq(o.seq, 0);
	sa_clear(&o);
}

/* Seals arbitrary plaintext (trailer included) as the peer would, to forge bad padding. */
static size_t
seal_raw(struct sa *o, const uint8_t *pt, size_t len, uint8_t *out)
{
	uint64_t seq = ++o->seq;
	uint8_t nonce[12], aad[8], icv[16];
	bool gcm = o->cfg.suite == SA_ESP_AES_GCM_16;
	size_t ivl = gcm ? 8 : 16;

	put_be32(out, o->cfg.spi);
	put_be32(out + 4, (uint32_t)seq);
	memset(out + 8, 0x5a, ivl);
	if (gcm) {
		memcpy(nonce, o->cfg.salt, 4);
		memcpy(nonce + 4, out + 8, 8);
		memcpy(aad, out, 8);
		cr_assert_eq(
		    aes_gcm_seal(&o->gcm, nonce, aad, 8, pt, len, out + 16, out + 16 + len), 0);
	} else {
		cr_assert_eq(aes_cbc_run(&o->cbc, out + 8, pt, out + 24, len), 0);
		hmac256_begin(&o->hmac);
		hmac256_update(&o->hmac, out, 24 + len);
		hmac256_end128(&o->hmac, icv);
		memcpy(out + 24 + len, icv, 16);
	}
	return 8 + ivl + len + 16;
}

Test(esp, malformed_classes_counted_separately)
{
	for (int s = 0; s < 2; s++) {
		enum sa_suite suite = s ? SA_ESP_AES_CBC_HMAC_SHA256 : SA_ESP_AES_GCM_16;
		struct sa_config c = test_config(suite, 16, false, 0x1001);
		struct sa o, i;
		uint8_t pkt[128], bad[128], back[128], pt[32], nh;
		size_t n, m, min = s ? 8 + 16 + 16 + 16 : 8 + 8 + 4 + 16;
		struct ipsec_stats want = {0};
		test_pair(&o, &i, &c);

		/* truncated: every length below the minimum, and a misaligned one */
		cr_assert_eq(esp_seal(&o, 17, (const uint8_t *)"hello", 5, pkt, sizeof(pkt), &n),
			     0);
		for (size_t l = 0; l < min; l++)
			cr_assert_eq(esp_open(&i, pkt, l, back, sizeof(back), &m, &nh), RMC_ETRUNC);
		cr_assert_eq(esp_open(&i, pkt, n - 1, back, sizeof(back), &m, &nh), RMC_ETRUNC);
		want.truncated = min + 1;

		/* bad ICV: one flipped bit in each byte after the SPI and seq */
		for (size_t b = 8; b < n; b++) {
			memcpy(bad, pkt, n);
			bad[b] ^= 0x01;
			cr_assert_eq(esp_open(&i, bad, n, back, sizeof(back), &m, &nh),
				     RMC_ECRYPTO);
			want.bad_icv++;
		}
		/* a flipped sequence number is also caught by the ICV (it is in the AAD) */
		memcpy(bad, pkt, n);
		bad[7] ^= 0x02;
		cr_assert_eq(esp_open(&i, bad, n, back, sizeof(back), &m, &nh), RMC_ECRYPTO);
		want.bad_icv++;

		/* unknown SPI */
		memcpy(bad, pkt, n);
		bad[0] ^= 0x80;
		cr_assert_eq(esp_open(&i, bad, n, back, sizeof(back), &m, &nh), RMC_ENOENT);
		want.unknown_spi++;

		/* the bad packets did not move the window: the genuine one still passes */
		cr_assert_eq(esp_open(&i, pkt, n, back, sizeof(back), &m, &nh), 0);
		want.ok++;
		/* replay, and replay is checked before the ICV */
		cr_assert_eq(esp_open(&i, pkt, n, back, sizeof(back), &m, &nh), RMC_EREPLAY);
		memcpy(bad, pkt, n);
		bad[n - 1] ^= 1;
		cr_assert_eq(esp_open(&i, bad, n, back, sizeof(back), &m, &nh), RMC_EREPLAY);
		want.replay += 2;

		/* too old: 70 packets later, sequence number 1 is left of the 64-window */
		for (int k = 0; k < 70; k++) {
			uint8_t p2[128];
			size_t n2;
			esp_seal(&o, 17, (const uint8_t *)"x", 1, p2, sizeof(p2), &n2);
			cr_assert_eq(esp_open(&i, p2, n2, back, sizeof(back), &m, &nh), 0);
			want.ok++;
		}
		cr_assert_eq(esp_open(&i, pkt, n, back, sizeof(back), &m, &nh), RMC_ETOOOLD);
		want.too_old++;

		/* bad padding, with a valid ICV: not 1,2,3; and longer than the payload */
		size_t blk = s ? 16 : 4;
		memset(pt, 'p', sizeof(pt));
		pt[blk - 4] = 1;
		pt[blk - 3] = 3; /* should be 2 */
		pt[blk - 2] = 2;
		pt[blk - 1] = 17;
		n = seal_raw(&o, pt, blk, bad);
		cr_assert_eq(esp_open(&i, bad, n, back, sizeof(back), &m, &nh), RMC_EINVAL);
		pt[blk - 2] = (uint8_t)(blk - 1); /* pad length beyond the plaintext */
		n = seal_raw(&o, pt, blk, bad);
		cr_assert_eq(esp_open(&i, bad, n, back, sizeof(back), &m, &nh), RMC_EINVAL);
		want.bad_padding += 2;
		/* and a correct raw packet is accepted, proving seal_raw forges well */
		pt[blk - 3] = 2;
		pt[blk - 2] = 2;
		n = seal_raw(&o, pt, blk, bad);
		cr_assert_eq(esp_open(&i, bad, n, back, sizeof(back), &m, &nh), 0);
		cr_assert_eq(m, blk - 4);
		want.ok++;

		cr_assert_eq(i.stats.truncated, want.truncated, "suite %d", s);
		cr_assert_eq(i.stats.bad_icv, want.bad_icv, "suite %d", s);
		cr_assert_eq(i.stats.unknown_spi, want.unknown_spi);
		cr_assert_eq(i.stats.replay, want.replay);
		cr_assert_eq(i.stats.too_old, want.too_old);
		cr_assert_eq(i.stats.bad_padding, want.bad_padding);
		cr_assert_eq(i.stats.ok, want.ok);
		sa_clear(&o);
		sa_clear(&i);
	}
}

Test(esp, sad_counts_unknown_spi)
{
	struct sa_config c = test_config(SA_ESP_AES_GCM_16, 16, false, 0x1001);
	struct sa i;
	struct sad db = {0};

	cr_assert_eq(sa_init(&i, &c, SA_DIR_IN), 0);
	cr_assert_eq(sad_add(&db, &i), 0);
	cr_assert_eq(sad_add(&db, &i), RMC_EINVAL);
	cr_assert_eq(sad_find(&db, SA_PROTO_ESP, 0x1001), &i);
	cr_assert_null(sad_find(&db, SA_PROTO_AH, 0x1001));
	cr_assert_null(sad_find(&db, SA_PROTO_ESP, 0x1002));
	cr_assert_eq(db.stats.unknown_spi, 2);
	sad_remove(&db, &i);
	cr_assert_eq(db.n, 0);
	sa_clear(&i);
}

Test(esp, config_checks)
{
	struct sa_config c = test_config(SA_ESP_AES_GCM_16, 16, false, 0x1001);
	struct sa s;

	c.enc_key_len = 24;
	cr_assert_eq(sa_init(&s, &c, SA_DIR_OUT), RMC_EINVAL);
	c = test_config(SA_ESP_AES_CBC_HMAC_SHA256, 16, false, 0x1001);
	c.auth_key_len = 20;
	cr_assert_eq(sa_init(&s, &c, SA_DIR_OUT), RMC_EINVAL);
	c = test_config(SA_ESP_AES_GCM_16, 16, false, 255); /* reserved SPI */
	cr_assert_eq(sa_init(&s, &c, SA_DIR_OUT), RMC_EINVAL);
	c = test_config(SA_ESP_AES_GCM_16, 16, false, 0x1001);
	c.replay_window = 2000;
	cr_assert_eq(sa_init(&s, &c, SA_DIR_IN), RMC_EINVAL);
	sa_clear(NULL);
}

Test(esp, ipv4_round_trip_in_place_and_apart)
{
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct sa_config c =
		    test_config(cases[k].suite, cases[k].keylen, cases[k].esn, 0x1001);
		struct sa o, i;
		uint8_t ip[256], buf[256], back[256];
		size_t len = test_ipv4_udp(ip, (const uint8_t *)"\x06\x00\xff\x06rmcp", 8), n, m;
		test_pair(&o, &i, &c);
		/* apart */
		cr_assert_eq(esp_seal_ipv4(&o, ip, len, buf, sizeof(buf), &n), 0);
		cr_assert_eq(buf[9], 50);
		cr_assert_eq(get_be16(buf + 2), n);
		cr_assert(test_ipv4_csum_ok(buf));
		cr_assert_eq(esp_open_ipv4(&i, buf, n, back, sizeof(back), &m), 0);
		cr_assert_eq(m, len);
		cr_assert_arr_eq(back, ip, len); /* same header, checksum included */
		/* in place */
		memcpy(buf, ip, len);
		cr_assert_eq(esp_seal_ipv4(&o, buf, len, buf, sizeof(buf), &n), 0);
		cr_assert_eq(esp_open_ipv4(&i, buf, n, buf, sizeof(buf), &m), 0);
		cr_assert_arr_eq(buf, ip, len);
		/* trailing bytes (Ethernet padding) after the IPv4 total length are ignored */
		cr_assert_eq(esp_seal_ipv4(&o, ip, len, buf, sizeof(buf), &n), 0);
		cr_assert_eq(esp_open_ipv4(&i, buf, n + 6, back, sizeof(back), &m), 0);
		/* a broken IP header */
		buf[0] = 0x46;
		cr_assert_eq(esp_open_ipv4(&i, buf, n, back, sizeof(back), &m), RMC_EUNSUP);
		sa_clear(&o);
		sa_clear(&i);
	}
}

Test(esp, decode_header)
{
	struct esp_hdr h;
	const uint8_t p[] = {0, 0, 0x10, 0x01, 0, 0, 0, 7};

	cr_assert_eq(esp_decode(p, 8, &h), 0);
	cr_assert_eq(h.spi, 0x1001);
	cr_assert_eq(h.seq, 7);
	for (size_t l = 0; l < 8; l++)
		cr_assert_eq(esp_decode(p, l, &h), RMC_ETRUNC);
}
