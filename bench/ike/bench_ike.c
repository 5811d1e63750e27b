/*
 * IKEv2 handshake rate (IKE_SA_INIT + IKE_AUTH with one CHILD_SA, both ends
 * in this process, one core) beside the X25519 rates that bound it: each
 * handshake costs two key generations and two derivations.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nodes/ike.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
rand_cb(void *ctx, uint8_t *buf, size_t n)
{
	uint64_t *s = ctx;
	for (size_t i = 0; i < n; i++) {
		uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		buf[i] = (uint8_t)(z ^ (z >> 31));
	}
}

/* OpenSSL's own X25519 derive with both keys already parsed: the library bound. */
static double
bench_evp_derive(double secs)
{
	EVP_PKEY *a = NULL, *b = NULL;
	EVP_PKEY_CTX *g = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
	EVP_PKEY_keygen_init(g);
	EVP_PKEY_keygen(g, &a);
	EVP_PKEY_keygen(g, &b);
	EVP_PKEY_CTX_free(g);
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(a, NULL);
	EVP_PKEY_derive_init(c);
	EVP_PKEY_derive_set_peer(c, b);
	uint8_t out[32];
	size_t n = 0;
	double t0 = now_s(), t;
	do {
		for (int i = 0; i < 200; i++) {
			size_t len = sizeof(out);
			if (EVP_PKEY_derive(c, out, &len) <= 0)
				abort();
		}
		n += 200;
	} while ((t = now_s() - t0) < secs);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	return (double)n / t;
}

/* What the endpoint does per DH: parse a raw private key (which computes the
 * public key), or derive with a parsed key and a raw peer public key. */
static double
bench_ikev2_x25519(double secs, int derive)
{
	uint8_t a[32], b[32], pa[32], pb[32], out[32];
	uint64_t s = 7;
	void *ka, *kb, *k;
	rand_cb(&s, a, 32);
	rand_cb(&s, b, 32);
	if (ikev2_x25519_new(a, &ka, pa) || ikev2_x25519_new(b, &kb, pb))
		abort();
	size_t n = 0;
	double t0 = now_s(), t;
	do {
		for (int i = 0; i < 100; i++) {
			int rc;
			if (derive) {
				rc = ikev2_x25519_derive_key(ka, pb, 32, out);
			} else {
				rc = ikev2_x25519_new(a, &k, out);
				ikev2_x25519_free(k);
			}
			if (rc)
				abort();
		}
		n += 100;
	} while ((t = now_s() - t0) < secs);
	ikev2_x25519_free(ka);
	ikev2_x25519_free(kb);
	return (double)n / t;
}

static struct ike A, B;
static struct ike_out oa, ob;

static void
cfg(struct ike_cfg *c, uint32_t l, uint32_t p, uint64_t *seed)
{
	memset(c, 0, sizeof(*c));
	c->local_addr = l;
	c->peer_addr = p;
	c->ts_proto = 17;
	c->ts_port = 664;
	memcpy(c->psk, "bench-psk-bench-psk", 19);
	c->psk_len = 19;
	c->ike_keylen = 128;
	c->dh_group = IKEV2_DH_CURVE25519;
	c->suites[0] = IKE_SUITE_ESP_GCM128;
	c->nsuites = 1;
	c->retrans_base = 1000000;
	c->retrans_tries = 3;
	c->rand_bytes = rand_cb;
	c->rand_ctx = seed;
}

/* Ping-pong between the two endpoints until neither has anything to send. */
static int
handshake(uint64_t *sa, uint64_t *sb)
{
	struct ike_cfg ca, cb;
	cfg(&ca, 0x0a000001, 0x0a000002, sa);
	cfg(&cb, 0x0a000002, 0x0a000001, sb);
	if (ike_init(&A, &ca) || ike_init(&B, &cb))
		return -1;
	ike_out_reset(&oa);
	ike_out_reset(&ob);
	ike_start(&A, 0, &oa);
	while (oa.nmsg || ob.nmsg) {
		for (size_t i = 0; i < oa.nmsg; i++)
			ike_input(&B, 0, oa.msg[i], oa.len[i], &ob);
		ike_out_reset(&oa);
		for (size_t i = 0; i < ob.nmsg; i++)
			ike_input(&A, 0, ob.msg[i], ob.len[i], &oa);
		ike_out_reset(&ob);
	}
	int ok = A.state == IKE_S_ESTABLISHED && B.state == IKE_S_ESTABLISHED &&
		 ike_nchildren(&A) == 1 && ike_nchildren(&B) == 1;
	ike_free(&A);
	ike_free(&B);
	return ok ? 0 : -1;
}

static double
bench_handshakes(double secs)
{
	uint64_t sa = 1, sb = 2;
	size_t n = 0;
	double t0 = now_s(), t;
	do {
		for (int i = 0; i < 20; i++)
			if (handshake(&sa, &sb)) {
				fprintf(stderr, "handshake %zu failed\n", n + i);
				exit(1);
			}
		n += 20;
	} while ((t = now_s() - t0) < secs);
	return (double)n / t;
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	double d = bench_evp_derive(secs);
	double kd = bench_ikev2_x25519(secs, 1);
	double kg = bench_ikev2_x25519(secs, 0);
	double h = bench_handshakes(secs);
	/* two keygens and two derives per handshake */
	double bound = 1.0 / (2.0 / kg + 2.0 / kd);
	printf("openssl_x25519_derive_per_s %.0f\n", d);
	printf("ikev2_x25519_derive_key_per_s %.0f (peer public key parsed per call)\n", kd);
	printf("ikev2_x25519_new_per_s %.0f (private key parsed, public key computed)\n", kg);
	printf("x25519_bound_handshakes_per_s %.0f (2 keygen + 2 derive)\n", bound);
	printf("ike_handshakes_per_s %.0f (IKE_SA_INIT + IKE_AUTH + 1 CHILD_SA)\n", h);
	return 0;
}
