/*
 * IKEv2 key derivation (RFC 7296 §2.13-2.18), PSK AUTH (§2.15) and X25519
 * (RFC 8031) over OpenSSL EVP. Intermediate secrets are wiped on every path.
 */
#include "proto/ikev2_crypto.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

/*
 * A keyless HMAC-SHA-256 context fetched once and duplicated per prf call:
 * fetching the digest by name costs more than the MAC itself.
 */
static EVP_MAC_CTX *hmac_tmpl;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void
hmac_tmpl_init(void)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return;
	EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (!c)
		return;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};
	if (!EVP_MAC_CTX_set_params(c, params)) {
		EVP_MAC_CTX_free(c);
		return;
	}
	hmac_tmpl = c;
}

int
ikev2_prf(const uint8_t *key, size_t klen, const struct ikev2_iov *v, size_t n,
	  uint8_t out[IKEV2_PRF_LEN])
{
	EVP_MAC_CTX *c = NULL;
	size_t olen = 0;
	int rc = RMC_ECRYPTO;

	pthread_once(&hmac_once, hmac_tmpl_init);
	if (!hmac_tmpl || !(c = EVP_MAC_CTX_dup(hmac_tmpl)))
		goto out;
	/* HMAC accepts any key length, so Ni | Nr is used whole (§2.14). */
	if (!EVP_MAC_init(c, key, klen, NULL))
		goto out;
	for (size_t i = 0; i < n; i++)
		if (v[i].n && !EVP_MAC_update(c, v[i].p, v[i].n))
			goto out;
	if (!EVP_MAC_final(c, out, &olen, IKEV2_PRF_LEN) || olen != IKEV2_PRF_LEN)
		goto out;
	rc = RMC_OK;
out:
	EVP_MAC_CTX_free(c);
	return rc;
}

int
ikev2_prf_plus(const uint8_t *key, size_t klen, const struct ikev2_iov *s, size_t n, uint8_t *out,
	       size_t out_len)
{
	enum { MAX_SEG = 6 };
	struct ikev2_iov v[MAX_SEG + 2];
	uint8_t t[IKEV2_PRF_LEN];
	uint8_t ctr = 1;
	size_t done = 0;
	int rc = RMC_OK;

	if (n > MAX_SEG || out_len > 255 * IKEV2_PRF_LEN)
		return RMC_EINVAL;
	while (done < out_len) {
		size_t k = 0;
		/* T1 = prf (K, S | 0x01); Tn = prf (K, Tn-1 | S | n) */
		if (ctr > 1)
			v[k++] = (struct ikev2_iov){t, sizeof(t)};
		for (size_t i = 0; i < n; i++)
			v[k++] = s[i];
		v[k++] = (struct ikev2_iov){&ctr, 1};
		rc = ikev2_prf(key, klen, v, k, t);
		if (rc)
			goto out;
		size_t take = out_len - done < sizeof(t) ? out_len - done : sizeof(t);
		memcpy(out + done, t, take);
		done += take;
		ctr++;
	}
out:
	explicit_bzero(t, sizeof(t));
	return rc;
}

int
ikev2_derive_ike_keys(const uint8_t *old_sk_d, const uint8_t *gir, size_t gir_len,
		      const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		      uint64_t spi_i, uint64_t spi_r, size_t encr_len, size_t integ_len,
		      struct ikev2_keys *k, uint8_t skeyseed[IKEV2_PRF_LEN])
{
	uint8_t nn[2 * IKEV2_NONCE_MAX];
	uint8_t spis[16];
	uint8_t km[3 * IKEV2_PRF_LEN + 2 * 32 + 2 * 36];
	size_t need = 3 * IKEV2_PRF_LEN + 2 * integ_len + 2 * encr_len;
	int rc;

	if (encr_len > sizeof(k->sk_ei) || integ_len > sizeof(k->sk_ai) ||
	    ni_len > IKEV2_NONCE_MAX || nr_len > IKEV2_NONCE_MAX)
		return RMC_EINVAL;
	memcpy(nn, ni, ni_len);
	memcpy(nn + ni_len, nr, nr_len);
	if (old_sk_d) {
		/* §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) */
		struct ikev2_iov v[] = {{gir, gir_len}, {nn, ni_len + nr_len}};
		rc = ikev2_prf(old_sk_d, IKEV2_PRF_LEN, v, 2, skeyseed);
	} else {
		/* §2.14: SKEYSEED = prf(Ni | Nr, g^ir) */
		struct ikev2_iov v[] = {{gir, gir_len}};
		rc = ikev2_prf(nn, ni_len + nr_len, v, 1, skeyseed);
	}
	if (rc)
		goto out;
	put_be32(spis, (uint32_t)(spi_i >> 32));
	put_be32(spis + 4, (uint32_t)spi_i);
	put_be32(spis + 8, (uint32_t)(spi_r >> 32));
	put_be32(spis + 12, (uint32_t)spi_r);
	struct ikev2_iov s[] = {{nn, ni_len + nr_len}, {spis, sizeof(spis)}};
	rc = ikev2_prf_plus(skeyseed, IKEV2_PRF_LEN, s, 2, km, need);
	if (rc)
		goto out;
	/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} */
	const uint8_t *q = km;
	memset(k, 0, sizeof(*k));
	k->encr_len = encr_len;
	k->integ_len = integ_len;
	memcpy(k->sk_d, q, IKEV2_PRF_LEN), q += IKEV2_PRF_LEN;
	memcpy(k->sk_ai, q, integ_len), q += integ_len;
	memcpy(k->sk_ar, q, integ_len), q += integ_len;
	memcpy(k->sk_ei, q, encr_len), q += encr_len;
	memcpy(k->sk_er, q, encr_len), q += encr_len;
	memcpy(k->sk_pi, q, IKEV2_PRF_LEN), q += IKEV2_PRF_LEN;
	memcpy(k->sk_pr, q, IKEV2_PRF_LEN);
out:
	explicit_bzero(km, sizeof(km));
	explicit_bzero(nn, sizeof(nn));
	return rc;
}

int
ikev2_keymat(const uint8_t *sk_d, const uint8_t *gir, size_t gir_len, const uint8_t *ni,
	     size_t ni_len, const uint8_t *nr, size_t nr_len, uint8_t *out, size_t out_len)
{
	struct ikev2_iov s[] = {{gir, gir ? gir_len : 0}, {ni, ni_len}, {nr, nr_len}};
	return ikev2_prf_plus(sk_d, IKEV2_PRF_LEN, s, 3, out, out_len);
}

int
ikev2_psk_auth(const uint8_t *psk, size_t psk_len, const uint8_t *msg, size_t msg_len,
	       const uint8_t *peer_nonce, size_t nonce_len, const uint8_t *sk_p,
	       const uint8_t *id_body, size_t id_len, uint8_t out[IKEV2_PRF_LEN])
{
	static const char pad[] = "Key Pad for IKEv2"; /* 17 ASCII octets, no NUL (§2.15) */
	uint8_t maced_id[IKEV2_PRF_LEN], kp[IKEV2_PRF_LEN];
	int rc;

	struct ikev2_iov vid[] = {{id_body, id_len}};
	rc = ikev2_prf(sk_p, IKEV2_PRF_LEN, vid, 1, maced_id);
	if (rc)
		goto out;
	struct ikev2_iov vpad[] = {{pad, sizeof(pad) - 1}};
	rc = ikev2_prf(psk, psk_len, vpad, 1, kp);
	if (rc)
		goto out;
	struct ikev2_iov vs[] = {
	    {msg, msg_len}, {peer_nonce, nonce_len}, {maced_id, sizeof(maced_id)}};
	rc = ikev2_prf(kp, sizeof(kp), vs, 3, out);
out:
	explicit_bzero(kp, sizeof(kp));
	return rc;
}

int
ikev2_x25519_pub(const uint8_t priv[IKEV2_X25519_LEN], uint8_t pub[IKEV2_X25519_LEN])
{
	size_t len = IKEV2_X25519_LEN;
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, IKEV2_X25519_LEN);
	int rc = RMC_ECRYPTO;

	if (k && EVP_PKEY_get_raw_public_key(k, pub, &len) && len == IKEV2_X25519_LEN)
		rc = RMC_OK;
	EVP_PKEY_free(k);
	return rc;
}

int
ikev2_x25519_new(const uint8_t priv[IKEV2_X25519_LEN], void **key, uint8_t pub[IKEV2_X25519_LEN])
{
	size_t len = IKEV2_X25519_LEN;
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, IKEV2_X25519_LEN);

	*key = NULL;
	if (!k || !EVP_PKEY_get_raw_public_key(k, pub, &len) || len != IKEV2_X25519_LEN) {
		EVP_PKEY_free(k);
		return RMC_ECRYPTO;
	}
	*key = k;
	return RMC_OK;
}

void
ikev2_x25519_free(void *key)
{
	EVP_PKEY_free(key);
}

int
ikev2_x25519_derive_key(void *key, const uint8_t *peer, size_t peer_len,
			uint8_t shared[IKEV2_X25519_LEN])
{
	EVP_PKEY *p = NULL;
	EVP_PKEY_CTX *c = NULL;
	size_t len = IKEV2_X25519_LEN;
	int rc = RMC_ECRYPTO;
	static const uint8_t zero[IKEV2_X25519_LEN];

	/* RFC 8031 §2: the KE data is exactly 32 octets. */
	if (peer_len != IKEV2_X25519_LEN)
		return RMC_EINVAL;
	if (!key)
		return RMC_ESTATE;
	p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, peer_len);
	if (!p || !(c = EVP_PKEY_CTX_new(key, NULL)))
		goto out;
	if (EVP_PKEY_derive_init(c) <= 0 || EVP_PKEY_derive_set_peer(c, p) <= 0 ||
	    EVP_PKEY_derive(c, shared, &len) <= 0 || len != IKEV2_X25519_LEN)
		goto out;
	/* RFC 8031 §2: an all-zero shared secret MUST be rejected. */
	if (CRYPTO_memcmp(shared, zero, sizeof(zero)) == 0)
		goto out;
	rc = RMC_OK;
out:
	if (rc)
		explicit_bzero(shared, IKEV2_X25519_LEN);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(p);
	return rc;
}

/* libsodium's list (crypto_scalarmult/curve25519/ref10/x25519_ref10.c, has_small_order). */
const uint8_t ikev2_x25519_small_order_u[IKEV2_X25519_SMALL_ORDER_N][IKEV2_X25519_LEN] = {
    {0}, /* 0 */
    {1}, /* 1 */
    {0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
     0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
     0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00}, /* order 8 */
    {0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1,
     0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c,
     0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57}, /* order 8 */
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, /* p - 1 */
    {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, /* p */
    {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, /* p + 1 */
};

bool
ikev2_x25519_is_small_order(const uint8_t *u, size_t len)
{
	uint8_t m[IKEV2_X25519_LEN];
	if (len != IKEV2_X25519_LEN)
		return false;
	memcpy(m, u, sizeof(m));
	m[31] &= 0x7f; /* RFC 7748 §5: "MUST mask the most significant bit in the final byte" */
	for (size_t i = 0; i < IKEV2_X25519_SMALL_ORDER_N; i++)
		if (!memcmp(m, ikev2_x25519_small_order_u[i], sizeof(m)))
			return true;
	return false;
}

int
ikev2_x25519_derive(const uint8_t priv[IKEV2_X25519_LEN], const uint8_t *peer, size_t peer_len,
		    uint8_t shared[IKEV2_X25519_LEN])
{
	uint8_t pub[IKEV2_X25519_LEN];
	void *k;

	if (peer_len != IKEV2_X25519_LEN)
		return RMC_EINVAL;
	int rc = ikev2_x25519_new(priv, &k, pub);
	if (!rc)
		rc = ikev2_x25519_derive_key(k, peer, peer_len, shared);
	ikev2_x25519_free(k);
	return rc;
}
