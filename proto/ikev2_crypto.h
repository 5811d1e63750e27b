/*
 * IKEv2 key material (RFC 7296 §2.13-2.17), PSK authentication (§2.15),
 * X25519 (RFC 8031) and the SK payload with ENCR_AES_GCM_16 (RFC 5282),
 * over OpenSSL EVP. Only PRF_HMAC_SHA2_256 is implemented, so every prf
 * output is IKEV2_PRF_LEN octets.
 */
#ifndef RMCPSEC_PROTO_IKEV2_CRYPTO_H
#define RMCPSEC_PROTO_IKEV2_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/ikev2.h"

struct ikev2_iov {
	const void *p;
	size_t n;
};

/* prf(K, S) with S the concatenation of v[0..n-1] (HMAC-SHA-256, RFC 4868 §2.2). */
int ikev2_prf(const uint8_t *key, size_t klen, const struct ikev2_iov *v, size_t n,
	      uint8_t out[IKEV2_PRF_LEN]);
/* §2.13: prf+(K, S) = T1 | T2 | ..., Tk = prf(K, Tk-1 | S | k); at most 255 blocks. */
int ikev2_prf_plus(const uint8_t *key, size_t klen, const struct ikev2_iov *s, size_t n,
		   uint8_t *out, size_t out_len);

/* The seven IKE SA keys of §2.14, sized for the negotiated transforms. */
struct ikev2_keys {
	uint8_t sk_d[IKEV2_PRF_LEN];
	uint8_t sk_ai[32], sk_ar[32];
	uint8_t sk_ei[36], sk_er[36]; /* AES-256 key plus the 4-octet GCM salt */
	uint8_t sk_pi[IKEV2_PRF_LEN], sk_pr[IKEV2_PRF_LEN];
	size_t integ_len; /* 0 with an AEAD */
	size_t encr_len;  /* key plus salt: 20 or 36 for AES-GCM-16 */
};

/*
 * §2.14: SKEYSEED = prf(Ni | Nr, g^ir), then
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
 * old_sk_d non-NULL selects the rekey form of §2.18:
 * SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr).
 */
int ikev2_derive_ike_keys(const uint8_t *old_sk_d, const uint8_t *gir, size_t gir_len,
			  const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
			  uint64_t spi_i, uint64_t spi_r, size_t encr_len, size_t integ_len,
			  struct ikev2_keys *k, uint8_t skeyseed[IKEV2_PRF_LEN]);

/* §2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr); gir may be NULL. */
int ikev2_keymat(const uint8_t *sk_d, const uint8_t *gir, size_t gir_len, const uint8_t *ni,
		 size_t ni_len, const uint8_t *nr, size_t nr_len, uint8_t *out, size_t out_len);

/*
 * §2.15: AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>),
 * SignedOctets = RealMessage | Nonce of the peer | prf(SK_px, ID body).
 */
int ikev2_psk_auth(const uint8_t *psk, size_t psk_len, const uint8_t *msg, size_t msg_len,
		   const uint8_t *peer_nonce, size_t nonce_len, const uint8_t *sk_p,
		   const uint8_t *id_body, size_t id_len, uint8_t out[IKEV2_PRF_LEN]);

/* RFC 8031: a key pair from 32 random octets (clamped by the library, RFC 7748 §5). */
int ikev2_x25519_pub(const uint8_t priv[IKEV2_X25519_LEN], uint8_t pub[IKEV2_X25519_LEN]);
/*
 * A parsed private key from 32 random octets, for a derive later: parsing
 * computes the public key, so keeping the parsed key saves one scalar
 * multiplication per exchange over ikev2_x25519_derive.
 */
int ikev2_x25519_new(const uint8_t priv[IKEV2_X25519_LEN], void **key,
		     uint8_t pub[IKEV2_X25519_LEN]);
int ikev2_x25519_derive_key(void *key, const uint8_t *peer, size_t peer_len,
			    uint8_t shared[IKEV2_X25519_LEN]);
void ikev2_x25519_free(void *key);
/* RFC 8031 §2 / RFC 7748 §6.1: an all-zero result is refused. */
int ikev2_x25519_derive(const uint8_t priv[IKEV2_X25519_LEN], const uint8_t *peer, size_t peer_len,
			uint8_t shared[IKEV2_X25519_LEN]);

/*
 * The X25519 u-coordinates of small order and their non-canonical forms
 * (RFC 7748 §7; cofactor 8): X25519 of any of them with a clamped scalar is
 * the all-zero value, which ikev2_x25519_derive* refuse. Rows: 0, 1, two
 * points of order 8, p - 1, p, p + 1 (p = 2^255 - 19).
 */
enum { IKEV2_X25519_SMALL_ORDER_N = 7 };
extern const uint8_t ikev2_x25519_small_order_u[IKEV2_X25519_SMALL_ORDER_N][IKEV2_X25519_LEN];
/* Is u (32 octets, top bit masked as RFC 7748 §5 demands) one of them? */
bool ikev2_x25519_is_small_order(const uint8_t *u, size_t len);

/* One direction of the SK payload: a cipher context keyed once (RFC 5282). */
struct ikev2_sk_key {
	void *ctx; /* EVP_CIPHER_CTX */
	uint8_t salt[IKEV2_GCM_SALT_LEN];
	int encrypt;
};

int ikev2_sk_key_init(struct ikev2_sk_key *k, const uint8_t *key_salt, size_t key_salt_len,
		      int encrypt);
void ikev2_sk_key_free(struct ikev2_sk_key *k);
/*
 * Writes hdr followed by one SK payload that wraps the plaintext chain
 * `inner` (first payload type inner_np); hdr->next and hdr->len are set
 * here. iv is the explicit 8-octet IV (RFC 5282 §3.1: unique per key).
 */
int ikev2_sk_seal(struct ikev2_sk_key *k, uint64_t iv, struct ikev2_hdr *hdr, uint8_t inner_np,
		  const uint8_t *inner, size_t inner_len, uint8_t *out, size_t cap,
		  size_t *out_len);
/* Authenticates and decrypts the SK payload `sk` of msg; the inner chain goes to out. */
int ikev2_sk_open(struct ikev2_sk_key *k, const uint8_t *msg, size_t msg_len,
		  const struct ikev2_pld *sk, uint8_t *out, size_t cap, size_t *inner_len);

#endif
