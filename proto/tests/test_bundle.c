/*
 * The patent's policy, ESP + AH, as the bundle IP | AH | ESP | UDP
 * (AH outside, RFC 4301 §4.5), and inbound processing by SAD lookup.
 */
#include <criterion/criterion.h>

#include "proto/ah.h"
#include "proto/err.h"
#include "proto/esp.h"
#include "proto/rd.h"
#include "proto/sa.h"

#include "ipsec_test_util.h"

static const uint8_t rmcp_ping[] = {0x06, 0x00, 0xff, 0x06, 0x00, 0x00,
				    0x11, 0xbe, 0x80, 0x01, 0x00, 0x00};

struct bundle {
	struct sa ah_out, ah_in, esp_out, esp_in;
};

static void
bundle_init(struct bundle *b, enum sa_suite esp_suite, bool esn)
{
	struct sa_config a = test_config(SA_AH_HMAC_SHA256, 0, esn, 0x3003);
	struct sa_config e = test_config(esp_suite, 16, esn, 0x1001);
	test_pair(&b->ah_out, &b->ah_in, &a);
	test_pair(&b->esp_out, &b->esp_in, &e);
}

static void
bundle_clear(struct bundle *b)
{
	sa_clear(&b->ah_out);
	sa_clear(&b->ah_in);
	sa_clear(&b->esp_out);
	sa_clear(&b->esp_in);
}

Test(bundle, layout_and_round_trip)
{
	for (int k = 0; k < 4; k++) {
		struct bundle b;
		uint8_t ip[128], out[256], back[256];
		size_t len = test_ipv4_udp(ip, rmcp_ping, sizeof(rmcp_ping)), n, m;
		bundle_init(&b, k & 1 ? SA_ESP_AES_CBC_HMAC_SHA256 : SA_ESP_AES_GCM_16, k & 2);
		cr_assert_eq(
		    ipsec_bundle_seal_ipv4(&b.ah_out, &b.esp_out, ip, len, out, sizeof(out), &n),
		    0);
		cr_assert_eq(out[9], 51);  /* IP -> AH */
		cr_assert_eq(out[20], 50); /* AH -> ESP */
		cr_assert_eq(get_be32(out + 24), 0x3003);
		cr_assert_eq(get_be32(out + 52), 0x1001); /* ESP SPI after the 32-byte AH */
		cr_assert_eq(n, 20 + 32 + esp_sealed_len(&b.esp_out, len - 20));
		cr_assert(test_ipv4_csum_ok(out));
		cr_assert_eq(
		    ipsec_bundle_open_ipv4(&b.ah_in, &b.esp_in, out, n, back, sizeof(back), &m), 0);
		cr_assert_eq(m, len);
		cr_assert_arr_eq(back, ip, len);
		bundle_clear(&b);
	}
}

Test(bundle, wrong_order_or_layers_refused)
{
	struct bundle b;
	uint8_t ip[128], out[256], back[256];
	size_t len = test_ipv4_udp(ip, rmcp_ping, sizeof(rmcp_ping)), n, m;

	bundle_init(&b, SA_ESP_AES_GCM_16, false);
	/* ESP alone is not the bundle */
	cr_assert_eq(esp_seal_ipv4(&b.esp_out, ip, len, out, sizeof(out), &n), 0);
	cr_assert_eq(ipsec_bundle_open_ipv4(&b.ah_in, &b.esp_in, out, n, back, sizeof(back), &m),
		     RMC_EINVAL);
	/* AH over UDP is not the bundle either */
	cr_assert_eq(ah_seal_ipv4(&b.ah_out, ip, len, out, sizeof(out), &n), 0);
	cr_assert_eq(ipsec_bundle_open_ipv4(&b.ah_in, &b.esp_in, out, n, back, sizeof(back), &m),
		     RMC_EINVAL);
	/* SAs swapped */
	cr_assert_eq(ipsec_bundle_seal_ipv4(&b.esp_out, &b.ah_out, ip, len, out, sizeof(out), &n),
		     RMC_EINVAL);
	bundle_clear(&b);
}

/* A bit flip in the ESP part is caught by AH first (its ICV covers all of it). */
Test(bundle, corruption_caught_by_outer_ah)
{
	struct bundle b;
	uint8_t ip[128], out[256], back[256];
	size_t len = test_ipv4_udp(ip, rmcp_ping, sizeof(rmcp_ping)), n, m;

	bundle_init(&b, SA_ESP_AES_GCM_16, false);
	cr_assert_eq(ipsec_bundle_seal_ipv4(&b.ah_out, &b.esp_out, ip, len, out, sizeof(out), &n),
		     0);
	out[n - 3] ^= 0x04;
	cr_assert_eq(ipsec_bundle_open_ipv4(&b.ah_in, &b.esp_in, out, n, back, sizeof(back), &m),
		     RMC_ECRYPTO);
	cr_assert_eq(b.ah_in.stats.bad_icv, 1);
	cr_assert_eq(b.esp_in.stats.bad_icv, 0);
	bundle_clear(&b);
}

Test(bundle, input_by_sad_lookup)
{
	struct bundle b;
	struct sad db = {0};
	struct ipsec_applied ap;
	uint8_t ip[128], out[256], back[256];
	size_t len = test_ipv4_udp(ip, rmcp_ping, sizeof(rmcp_ping)), n, m;

	bundle_init(&b, SA_ESP_AES_CBC_HMAC_SHA256, true);
	cr_assert_eq(sad_add(&db, &b.ah_in), 0);
	cr_assert_eq(sad_add(&db, &b.esp_in), 0);

	cr_assert_eq(ipsec_bundle_seal_ipv4(&b.ah_out, &b.esp_out, ip, len, out, sizeof(out), &n),
		     0);
	cr_assert_eq(ipsec_input_ipv4(&db, out, n, back, sizeof(back), &m, &ap), 0);
	cr_assert_eq(ap.ah, &b.ah_in);
	cr_assert_eq(ap.esp, &b.esp_in);
	cr_assert_arr_eq(back, ip, len);

	cr_assert_eq(esp_seal_ipv4(&b.esp_out, ip, len, out, sizeof(out), &n), 0);
	cr_assert_eq(ipsec_input_ipv4(&db, out, n, out, sizeof(out), &m, &ap), 0); /* in place */
	cr_assert_null(ap.ah);
	cr_assert_eq(ap.esp, &b.esp_in);
	cr_assert_arr_eq(out, ip, len);

	cr_assert_eq(ipsec_input_ipv4(&db, ip, len, back, sizeof(back), &m, &ap), 0); /* clear */
	cr_assert_null(ap.ah);
	cr_assert_null(ap.esp);

	cr_assert_eq(ah_seal_ipv4(&b.ah_out, ip, len, out, sizeof(out), &n), 0);
	out[24] ^= 0xff; /* SPI nobody has */
	cr_assert_eq(ipsec_input_ipv4(&db, out, n, back, sizeof(back), &m, &ap), RMC_ENOENT);
	cr_assert_eq(db.stats.unknown_spi, 1);
	bundle_clear(&b);
}
