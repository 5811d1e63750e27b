/*
 * Thin OpenSSL 3 wrappers for the IPsec data path. Every context is keyed
 * once when the SA is set up; per packet only the IV (or nothing, for
 * HMAC) is set again, so no key schedule and no context is made per packet.
 */
#ifndef RMCPSEC_PROTO_CRYPTO_H
#define RMCPSEC_PROTO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

enum {
	AES_BLOCK = 16,
	GCM_NONCE_LEN = 12,	  /* salt (4) || explicit IV (8), RFC 4106 §4 */
	GCM_TAG_LEN = 16,	  /* the 16-octet ICV of RFC 4106 §6 */
	HMAC_SHA256_KEY_LEN = 32, /* RFC 4868 §2.1.1: key length = block output */
	HMAC_SHA256_128_LEN = 16, /* RFC 4868 §2.3: truncated to 128 bits */
};

/* HMAC-SHA-256, keyed once; hmac256_begin restarts it with the same key. */
struct hmac256 {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
};

int hmac256_init(struct hmac256 *h, const uint8_t *key, size_t keylen);
void hmac256_clear(struct hmac256 *h);
int hmac256_begin(struct hmac256 *h);
int hmac256_update(struct hmac256 *h, const uint8_t *p, size_t n);
/* Writes the first 128 bits of the MAC (HMAC-SHA-256-128, RFC 4868 §2.3). */
int hmac256_end128(struct hmac256 *h, uint8_t icv[HMAC_SHA256_128_LEN]);

/* AES-CBC without OpenSSL padding (ESP pads itself, RFC 4303 §2.4). */
struct aes_cbc {
	EVP_CIPHER_CTX *ctx;
	EVP_CIPHER_CTX *ecb; /* encrypt direction only: derives IVs */
	bool enc;
};

int aes_cbc_init(struct aes_cbc *c, const uint8_t *key, size_t keylen, bool encrypt);
void aes_cbc_clear(struct aes_cbc *c);
/* len must be a multiple of AES_BLOCK; in == out is allowed. */
int aes_cbc_run(struct aes_cbc *c, const uint8_t iv[AES_BLOCK], const uint8_t *in, uint8_t *out,
		size_t len);
/* One AES block under the CBC key (encrypt direction): E_K(in). */
int aes_cbc_block(struct aes_cbc *c, const uint8_t in[AES_BLOCK], uint8_t out[AES_BLOCK]);

/* AES-GCM with a 12-byte nonce and a 16-byte tag. */
struct aes_gcm {
	EVP_CIPHER_CTX *ctx;
	bool enc;
};

int aes_gcm_init(struct aes_gcm *g, const uint8_t *key, size_t keylen, bool encrypt);
void aes_gcm_clear(struct aes_gcm *g);
/* in == out is allowed. */
int aes_gcm_seal(struct aes_gcm *g, const uint8_t nonce[GCM_NONCE_LEN], const uint8_t *aad,
		 size_t aadlen, const uint8_t *in, size_t len, uint8_t *out,
		 uint8_t tag[GCM_TAG_LEN]);
/* RMC_ECRYPTO when the tag does not verify; out is then wiped. */
int aes_gcm_open(struct aes_gcm *g, const uint8_t nonce[GCM_NONCE_LEN], const uint8_t *aad,
		 size_t aadlen, const uint8_t *in, size_t len, uint8_t *out,
		 const uint8_t tag[GCM_TAG_LEN]);

#endif
