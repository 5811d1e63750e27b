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

#include <stdlib.h>

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

/*
 * Independent check with scapy (tests/verifiers/scapy_ipsec.py): what we
 * seal, scapy opens (AH, AH+ESP, ESN, both ESP suites); what scapy seals,
 * we open.
 */
struct vlayer {
	enum sa_suite suite;
	size_t keylen;
	bool esn;
	bool align4;
	uint64_t first_seq;
};

struct vcase {
	const char *name;
	int n; /* layers, outermost first */
	struct vlayer l[2];
};

static const struct vcase vcases[] = {
    {"esp-gcm128", 1, {{SA_ESP_AES_GCM_16, 16, false, false, 1}}},
    {"esp-gcm256-esn", 1, {{SA_ESP_AES_GCM_16, 32, true, false, 0x100000005ULL}}},
    {"esp-cbc128", 1, {{SA_ESP_AES_CBC_HMAC_SHA256, 16, false, false, 7}}},
    {"esp-cbc256-esn", 1, {{SA_ESP_AES_CBC_HMAC_SHA256, 32, true, false, 0x200000003ULL}}},
    {"ah", 1, {{SA_AH_HMAC_SHA256, 0, false, false, 1}}},
    {"ah-align4", 1, {{SA_AH_HMAC_SHA256, 0, false, true, 9}}},
    {"ah-esn", 1, {{SA_AH_HMAC_SHA256, 0, true, false, 0x300000001ULL}}},
    {"bundle-gcm",
     2,
     {{SA_AH_HMAC_SHA256, 0, false, false, 1}, {SA_ESP_AES_GCM_16, 16, false, false, 1}}},
    {"bundle-cbc-esn",
     2,
     {{SA_AH_HMAC_SHA256, 0, true, false, 0x100000002ULL},
      {SA_ESP_AES_CBC_HMAC_SHA256, 16, true, false, 0x100000004ULL}}},
};

static struct sa_config
vconfig(const struct vlayer *l, int idx)
{
	struct sa_config c = test_config(l->suite, l->keylen, l->esn, 0x5000 + (uint32_t)idx);
	c.ah_align4 = l->align4;
	return c;
}

static void
fhex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static int
vseal(const struct vcase *vc, struct sa *sas, const uint8_t *ip, size_t len, uint8_t *out,
      size_t *n)
{
	if (vc->n == 2)
		return ipsec_bundle_seal_ipv4(&sas[0], &sas[1], ip, len, out, 512, n);
	if (sa_proto(&sas[0]) == SA_PROTO_AH)
		return ah_seal_ipv4(&sas[0], ip, len, out, 512, n);
	return esp_seal_ipv4(&sas[0], ip, len, out, 512, n);
}

static int
vopen(const struct vcase *vc, struct sa *sas, const uint8_t *p, size_t len, uint8_t *out, size_t *n)
{
	if (vc->n == 2)
		return ipsec_bundle_open_ipv4(&sas[0], &sas[1], p, len, out, 512, n);
	if (sa_proto(&sas[0]) == SA_PROTO_AH)
		return ah_open_ipv4(&sas[0], p, len, out, 512, n);
	return esp_open_ipv4(&sas[0], p, len, out, 512, n);
}

static void
write_case(FILE *f, const struct vcase *vc, int idx, const uint8_t *ip, size_t len)
{
	struct sa sas[2];
	uint8_t pkt[512];
	size_t n;

	for (int k = 0; k < vc->n; k++) {
		struct sa_config c = vconfig(&vc->l[k], idx * 2 + k);
		cr_assert_eq(sa_init(&sas[k], &c, SA_DIR_OUT), 0);
		sas[k].seq = vc->l[k].first_seq - 1;
	}
	cr_assert_eq(vseal(vc, sas, ip, len, pkt, &n), 0, "%s", vc->name);
	fprintf(f, "{\"name\": \"%s\", \"plain\": \"", vc->name);
	fhex(f, ip, len);
	fprintf(f, "\", \"packet\": \"");
	fhex(f, pkt, n);
	fprintf(f, "\", \"layers\": [");
	for (int k = 0; k < vc->n; k++) {
		const struct sa_config *c = &sas[k].cfg;
		const char *suite = c->suite == SA_AH_HMAC_SHA256   ? "ah"
				    : c->suite == SA_ESP_AES_GCM_16 ? "gcm"
								    : "cbc";
		fprintf(f, "%s{\"proto\": \"%s\", \"suite\": \"%s\", \"spi\": %u, \"enc_key\": \"",
			k ? ", " : "", c->suite == SA_AH_HMAC_SHA256 ? "AH" : "ESP", suite, c->spi);
		fhex(f, c->enc_key, c->enc_key_len);
		fprintf(f, "\", \"salt\": \"");
		fhex(f, c->salt, 4);
		fprintf(f, "\", \"auth_key\": \"");
		fhex(f, c->auth_key, c->auth_key_len);
		fprintf(f, "\", \"esn\": %s, \"seq\": %llu}", c->esn ? "true" : "false",
			(unsigned long long)sas[k].seq);
		sa_clear(&sas[k]);
	}
	fprintf(f, "]}\n");
}

static void
open_scapy_packet(const char *line, const uint8_t *ip, size_t len)
{
	char name[64], hexs[1100];
	uint8_t pkt[512], out[512];
	size_t n, m;
	int idx = -1;

	cr_assert_eq(sscanf(line, "%63s %1099s", name, hexs), 2);
	for (size_t k = 0; k < sizeof(vcases) / sizeof(vcases[0]); k++)
		if (!strcmp(vcases[k].name, name))
			idx = (int)k;
	cr_assert_geq(idx, 0, "%s", name);
	const struct vcase *vc = &vcases[idx];
	struct sa sas[2];
	for (int k = 0; k < vc->n; k++) {
		struct sa_config c = vconfig(&vc->l[k], idx * 2 + k);
		cr_assert_eq(sa_init(&sas[k], &c, SA_DIR_IN), 0);
		sas[k].replay.top = vc->l[k].first_seq - 1; /* lets ESN inference find the half */
	}
	n = unhex(hexs, pkt, sizeof(pkt));
	cr_assert_eq(vopen(vc, sas, pkt, n, out, &m), 0, "scapy's %s", name);
	cr_assert_eq(m, len, "%s", name);
	cr_assert_arr_eq(out, ip, len, "%s", name);
	pkt[n - 1] ^= 1; /* and our side rejects a flipped one */
	cr_assert_neq(vopen(vc, sas, pkt, n, out, &m), 0, "%s", name);
	for (int k = 0; k < vc->n; k++)
		sa_clear(&sas[k]);
}

Test(verifiers, scapy_both_directions, .timeout = 120)
{
	char dir[64], path[256], cmd[512], line[1200];
	uint8_t ip[128];
	size_t len = test_ipv4_udp(ip, rmcp_ping, sizeof(rmcp_ping)), ncases = 0;
	FILE *f;

	test_tmpdir(dir, sizeof(dir), "scapy");
	snprintf(path, sizeof(path), "%s/cases.jsonl", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	for (size_t k = 0; k < sizeof(vcases) / sizeof(vcases[0]); k++)
		write_case(f, &vcases[k], (int)k, ip, len);
	fclose(f);

	snprintf(
	    cmd, sizeof(cmd),
	    "/usr/bin/python3 %s/tests/verifiers/scapy_ipsec.py verify %s > %s/verify.log 2>&1",
	    RMCPSEC_SRC_DIR, dir, dir);
	int rc = system(cmd);
	if (rc) {
		snprintf(cmd, sizeof(cmd), "cat %s/verify.log >&2", dir);
		(void)!system(cmd);
	}
	cr_assert_eq(rc, 0, "scapy rejected our packets (see above)");

	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/tests/verifiers/scapy_ipsec.py make %s",
		 RMCPSEC_SRC_DIR, dir);
	cr_assert_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/py2c.txt", dir);
	cr_assert_not_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f)) {
		open_scapy_packet(line, ip, len);
		ncases++;
	}
	fclose(f);
	cr_assert_eq(ncases, sizeof(vcases) / sizeof(vcases[0]));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
}

/* Random damage to valid packets: never a crash, always one of the known answers. */
Test(bundle, random_damage_is_rejected_cleanly)
{
	struct bundle b;
	struct sad db = {0};
	struct ipsec_applied ap;
	uint8_t ip[128], pkt[256], bad[256], out[256];
	size_t len = test_ipv4_udp(ip, rmcp_ping, sizeof(rmcp_ping)), n, m;
	unsigned accepted = 0;

	bundle_init(&b, SA_ESP_AES_GCM_16, true);
	b.ah_in.cfg.replay_window = 1024;
	replay_init(&b.ah_in.replay, 1024);
	replay_init(&b.esp_in.replay, 1024);
	sad_add(&db, &b.ah_in);
	sad_add(&db, &b.esp_in);
	srand(4302);
	for (int k = 0; k < 3000; k++) {
		int kind = k % 3;
		if (kind == 0)
			cr_assert_eq(ipsec_bundle_seal_ipv4(&b.ah_out, &b.esp_out, ip, len, pkt,
							    sizeof(pkt), &n),
				     0);
		else if (kind == 1)
			cr_assert_eq(esp_seal_ipv4(&b.esp_out, ip, len, pkt, sizeof(pkt), &n), 0);
		else
			cr_assert_eq(ah_seal_ipv4(&b.ah_out, ip, len, pkt, sizeof(pkt), &n), 0);
		memcpy(bad, pkt, n);
		size_t cut = rand() % 4 ? n : (size_t)rand() % n;
		for (int f = rand() % 3; f >= 0; f--)
			bad[rand() % n] ^= (uint8_t)(1u << (rand() % 8));
		int rc = ipsec_input_ipv4(&db, bad, cut, out, sizeof(out), &m, &ap);
		cr_assert(rc == 0 || rc == RMC_ETRUNC || rc == RMC_EINVAL || rc == RMC_EUNSUP ||
			      rc == RMC_ECRYPTO || rc == RMC_ENOENT || rc == RMC_EREPLAY ||
			      rc == RMC_ETOOOLD,
			  "rc %d", rc);
		if (rc == 0 && (ap.ah || ap.esp)) {
			/* whatever an SA accepted is the original UDP datagram: damage can
			 * only have hit fields no ICV covers (TOS, flags, TTL, checksum) */
			accepted++;
			cr_assert_eq(m, len);
			cr_assert_eq(out[9], 17);
			cr_assert_arr_eq(out + 20, ip + 20, len - 20);
		}
	}
	cr_assert_lt(accepted, 3000);
	bundle_clear(&b);
}
