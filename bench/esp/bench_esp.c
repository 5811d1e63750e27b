/*
 * seal+open packets/s of our ESP at a 128-byte payload against OpenSSL's
 * raw EVP rate for the same work, in the same process and run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "proto/ah.h"
#include "proto/crypto.h"
#include "proto/esp.h"
#include "proto/sa.h"

enum { PAYLOAD = 128 };

static double seconds = 0.5;
static volatile uint8_t sink;

static double
now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef int (*op_fn)(void *ctx);

static double
run_once(op_fn op, void *ctx)
{
	long n = 0;
	double t0 = now(), t;

	do {
		for (int i = 0; i < 256; i++)
			if (op(ctx))
				abort();
		n += 256;
	} while ((t = now() - t0) < seconds);
	return n / t;
}

/*
 * Best of five runs each, ours and raw alternating, so that load from
 * other processes on a shared machine hits both sides alike.
 */
static void
rate2(op_fn a, void *actx, op_fn b, void *bctx, double *ra, double *rb)
{
	*ra = *rb = 0;
	for (int r = 0; r < 5; r++) {
		double x = run_once(a, actx), y = b ? run_once(b, bctx) : 0;
		if (x > *ra)
			*ra = x;
		if (y > *rb)
			*rb = y;
	}
}

static double
rate(op_fn op, void *ctx)
{
	double r, unused;
	rate2(op, ctx, NULL, NULL, &r, &unused);
	return r;
}

struct ours {
	struct sa out, in;
	uint8_t pt[PAYLOAD], pkt[256], back[256];
};

static int
ours_esp(void *p)
{
	struct ours *o = p;
	size_t n, m;
	uint8_t nh;

	if (esp_seal(&o->out, 17, o->pt, PAYLOAD, o->pkt, sizeof(o->pkt), &n) ||
	    esp_open(&o->in, o->pkt, n, o->back, sizeof(o->back), &m, &nh))
		return 1;
	sink ^= o->back[0];
	return 0;
}

struct ours_ip {
	struct sa ah_out, ah_in, esp_out, esp_in;
	uint8_t ip[256], pkt[512];
	size_t len;
};

static int
ours_ah(void *p)
{
	struct ours_ip *o = p;
	size_t n, m;

	if (ah_seal_ipv4(&o->ah_out, o->ip, o->len, o->pkt, sizeof(o->pkt), &n) ||
	    ah_open_ipv4(&o->ah_in, o->pkt, n, o->pkt, sizeof(o->pkt), &m))
		return 1;
	return 0;
}

static int
ours_bundle(void *p)
{
	struct ours_ip *o = p;
	size_t n, m;

	if (ipsec_bundle_seal_ipv4(&o->ah_out, &o->esp_out, o->ip, o->len, o->pkt, sizeof(o->pkt),
				   &n) ||
	    ipsec_bundle_open_ipv4(&o->ah_in, &o->esp_in, o->pkt, n, o->pkt, sizeof(o->pkt), &m))
		return 1;
	return 0;
}

struct raw {
	EVP_CIPHER_CTX *enc, *dec;
	EVP_MAC_CTX *mac;
	uint8_t iv[16], aad[8], pt[PAYLOAD], ct[PAYLOAD + 32], back[PAYLOAD + 32], tag[32];
};

/* The same cipher on the same 128 bytes, set up once: the floor we compare to. */
static int
raw_gcm(void *p)
{
	struct raw *r = p;
	int n, m;

	r->iv[11]++;
	if (!EVP_EncryptInit_ex(r->enc, NULL, NULL, NULL, r->iv) ||
	    !EVP_EncryptUpdate(r->enc, NULL, &n, r->aad, 8) ||
	    !EVP_EncryptUpdate(r->enc, r->ct, &n, r->pt, PAYLOAD) ||
	    !EVP_EncryptFinal_ex(r->enc, r->ct + n, &m) ||
	    !EVP_CIPHER_CTX_ctrl(r->enc, EVP_CTRL_GCM_GET_TAG, 16, r->tag))
		return 1;
	if (!EVP_DecryptInit_ex(r->dec, NULL, NULL, NULL, r->iv) ||
	    !EVP_DecryptUpdate(r->dec, NULL, &n, r->aad, 8) ||
	    !EVP_DecryptUpdate(r->dec, r->back, &n, r->ct, PAYLOAD) ||
	    !EVP_CIPHER_CTX_ctrl(r->dec, EVP_CTRL_GCM_SET_TAG, 16, r->tag) ||
	    !EVP_DecryptFinal_ex(r->dec, r->back + n, &m))
		return 1;
	sink ^= r->back[0];
	return 0;
}

static int
raw_mac(struct raw *r, const uint8_t *p, size_t n)
{
	size_t l;
	return !EVP_MAC_init(r->mac, NULL, 0, NULL) || !EVP_MAC_update(r->mac, r->aad, 8) ||
	       !EVP_MAC_update(r->mac, r->iv, 16) || !EVP_MAC_update(r->mac, p, n) ||
	       !EVP_MAC_final(r->mac, r->tag, &l, sizeof(r->tag));
}

static int
raw_cbc(void *p)
{
	struct raw *r = p;
	int n;

	r->iv[15]++;
	if (!EVP_EncryptInit_ex(r->enc, NULL, NULL, NULL, r->iv) ||
	    !EVP_EncryptUpdate(r->enc, r->ct, &n, r->pt, PAYLOAD) || raw_mac(r, r->ct, PAYLOAD))
		return 1;
	if (raw_mac(r, r->ct, PAYLOAD) || !EVP_DecryptInit_ex(r->dec, NULL, NULL, NULL, r->iv) ||
	    !EVP_DecryptUpdate(r->dec, r->back, &n, r->ct, PAYLOAD))
		return 1;
	sink ^= r->back[0];
	return 0;
}

static EVP_MAC_CTX *
mac_new(const uint8_t *key)
{
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
			       OSSL_PARAM_construct_end()};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);

	EVP_MAC_free(mac);
	if (!ctx || !EVP_MAC_init(ctx, key, 32, params))
		abort();
	return ctx;
}

static void
raw_init(struct raw *r, const EVP_CIPHER *c, const uint8_t *key, const uint8_t *akey)
{
	memset(r, 0, sizeof(*r));
	r->enc = EVP_CIPHER_CTX_new();
	r->dec = EVP_CIPHER_CTX_new();
	if (!EVP_EncryptInit_ex(r->enc, c, NULL, key, NULL) ||
	    !EVP_DecryptInit_ex(r->dec, c, NULL, key, NULL))
		abort();
	EVP_CIPHER_CTX_set_padding(r->enc, 0);
	EVP_CIPHER_CTX_set_padding(r->dec, 0);
	if (akey)
		r->mac = mac_new(akey);
}

static void
raw_free(struct raw *r)
{
	EVP_CIPHER_CTX_free(r->enc);
	EVP_CIPHER_CTX_free(r->dec);
	EVP_MAC_CTX_free(r->mac);
}

/* Two ways to restart a keyed HMAC per packet (the brief said: measure). */
struct hm {
	EVP_MAC_CTX *keyed;
	uint8_t data[152], out[32];
};

static int
hmac_reinit(void *p)
{
	struct hm *h = p;
	size_t l;
	return !EVP_MAC_init(h->keyed, NULL, 0, NULL) || !EVP_MAC_update(h->keyed, h->data, 152) ||
	       !EVP_MAC_final(h->keyed, h->out, &l, 32);
}

static int
hmac_dup(void *p)
{
	struct hm *h = p;
	size_t l;
	EVP_MAC_CTX *c = EVP_MAC_CTX_dup(h->keyed);
	int bad = !c || !EVP_MAC_update(c, h->data, 152) || !EVP_MAC_final(c, h->out, &l, 32);
	EVP_MAC_CTX_free(c);
	return bad;
}

static struct sa_config
config(enum sa_suite suite, size_t keylen, uint32_t spi)
{
	struct sa_config c = {0};
	c.spi = spi;
	c.suite = suite;
	c.enc_key_len = suite == SA_AH_HMAC_SHA256 ? 0 : keylen;
	memset(c.enc_key, 0x11, sizeof(c.enc_key));
	memset(c.salt, 0x22, sizeof(c.salt));
	c.auth_key_len = suite == SA_ESP_AES_GCM_16 ? 0 : 32;
	memset(c.auth_key, 0x33, sizeof(c.auth_key));
	c.replay_window = 1024;
	return c;
}

static void
pair(struct sa *out, struct sa *in, enum sa_suite suite, size_t keylen, uint32_t spi)
{
	struct sa_config c = config(suite, keylen, spi);
	if (sa_init(out, &c, SA_DIR_OUT) || sa_init(in, &c, SA_DIR_IN))
		abort();
}

static void
row(const char *name, double ours, double raw)
{
	printf("%-34s %12.0f %12.0f %7.1f%%\n", name, ours, raw, 100.0 * ours / raw);
}

static void
ip_packet(struct ours_ip *o)
{
	memset(o->ip, 0, sizeof(o->ip));
	o->ip[0] = 0x45;
	o->len = 20 + 8 + PAYLOAD - 8; /* UDP header + data = 128 bytes of IP payload */
	o->ip[2] = (uint8_t)(o->len >> 8);
	o->ip[3] = (uint8_t)o->len;
	o->ip[8] = 64;
	o->ip[9] = 17;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum sa_suite suite;
		size_t keylen;
	} suites[] = {
	    {"esp aes-128-gcm-16", SA_ESP_AES_GCM_16, 16},
	    {"esp aes-256-gcm-16", SA_ESP_AES_GCM_16, 32},
	    {"esp aes-128-cbc + hmac-sha256-128", SA_ESP_AES_CBC_HMAC_SHA256, 16},
	    {"esp aes-256-cbc + hmac-sha256-128", SA_ESP_AES_CBC_HMAC_SHA256, 32},
	};
	uint8_t key[32], akey[32];

	if (argc > 1)
		seconds = atof(argv[1]);
	memset(key, 0x11, sizeof(key));
	memset(akey, 0x33, sizeof(akey));
	printf("payload %d bytes, %s, best of 5 x %.2f s, alternating\n", PAYLOAD,
	       OpenSSL_version(0), seconds);
	printf("%-34s %12s %12s %8s\n", "seal+open per second", "ours", "raw EVP", "ratio");
	for (size_t k = 0; k < 4; k++) {
		struct ours *o = calloc(1, sizeof(*o));
		struct raw r;
		bool gcm = suites[k].suite == SA_ESP_AES_GCM_16;
		const EVP_CIPHER *c =
		    gcm ? (suites[k].keylen == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm())
			: (suites[k].keylen == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc());
		pair(&o->out, &o->in, suites[k].suite, suites[k].keylen, 0x1001);
		raw_init(&r, c, key, gcm ? NULL : akey);
		double ours, raw;
		rate2(ours_esp, o, gcm ? raw_gcm : raw_cbc, &r, &ours, &raw);
		row(suites[k].name, ours, raw);
		raw_free(&r);
		sa_clear(&o->out);
		sa_clear(&o->in);
		free(o);
	}

	struct ours_ip *ip = calloc(1, sizeof(*ip));
	struct raw r;
	ip_packet(ip);
	pair(&ip->ah_out, &ip->ah_in, SA_AH_HMAC_SHA256, 0, 0x3003);
	pair(&ip->esp_out, &ip->esp_in, SA_ESP_AES_GCM_16, 16, 0x1001);
	raw_init(&r, EVP_aes_128_gcm(), key, NULL);
	double ah = rate(ours_ah, ip), bundle, raw_g;
	rate2(ours_bundle, ip, raw_gcm, &r, &bundle, &raw_g);
	printf("%-34s %12.0f %12s\n", "ah hmac-sha256-128 (IPv4)", ah, "-");
	printf("%-34s %12.0f %12s  (raw aes-128-gcm: %.0f)\n", "ah + esp aes-128-gcm (IPv4)",
	       bundle, "-", raw_g);
	raw_free(&r);

	struct hm h;
	memset(&h, 0, sizeof(h));
	h.keyed = mac_new(akey);
	double re, dup;
	rate2(hmac_reinit, &h, hmac_dup, &h, &re, &dup);
	printf("\nHMAC-SHA-256 of 152 bytes, per second: re-init keyed ctx %.0f, "
	       "EVP_MAC_CTX_dup per packet %.0f\n",
	       re, dup);
	EVP_MAC_CTX_free(h.keyed);
	return 0;
}
