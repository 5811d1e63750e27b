#include "proto/crypto.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "proto/err.h"

int
hmac256_init(struct hmac256 *h, const uint8_t *key, size_t keylen)
{
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
	    OSSL_PARAM_construct_end(),
	};

	memset(h, 0, sizeof(*h));
	h->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!h->mac)
		goto fail;
	h->ctx = EVP_MAC_CTX_new(h->mac);
	if (!h->ctx || !EVP_MAC_init(h->ctx, key, keylen, params))
		goto fail;
	return RMC_OK;
fail:
	hmac256_clear(h);
	return RMC_ECRYPTO;
}

void
hmac256_clear(struct hmac256 *h)
{
	if (!h)
		return;
	EVP_MAC_CTX_free(h->ctx);
	EVP_MAC_free(h->mac);
	h->ctx = NULL;
	h->mac = NULL;
}

/* A NULL key keeps the key set at hmac256_init: no re-keying per packet. */
int
hmac256_begin(struct hmac256 *h)
{
	return EVP_MAC_init(h->ctx, NULL, 0, NULL) ? RMC_OK : RMC_ECRYPTO;
}

int
hmac256_update(struct hmac256 *h, const uint8_t *p, size_t n)
{
	return EVP_MAC_update(h->ctx, p, n) ? RMC_OK : RMC_ECRYPTO;
}

int
hmac256_end128(struct hmac256 *h, uint8_t icv[HMAC_SHA256_128_LEN])
{
	uint8_t full[32];
	size_t n = 0;
	int ok = EVP_MAC_final(h->ctx, full, &n, sizeof(full));

	if (ok && n == sizeof(full))
		memcpy(icv, full, HMAC_SHA256_128_LEN);
	explicit_bzero(full, sizeof(full));
	return ok && n == sizeof(full) ? RMC_OK : RMC_ECRYPTO;
}

static const EVP_CIPHER *
aes_cipher(size_t keylen, bool gcm, bool ecb)
{
	if (keylen == 16)
		return gcm ? EVP_aes_128_gcm() : ecb ? EVP_aes_128_ecb() : EVP_aes_128_cbc();
	if (keylen == 32)
		return gcm ? EVP_aes_256_gcm() : ecb ? EVP_aes_256_ecb() : EVP_aes_256_cbc();
	return NULL;
}

static EVP_CIPHER_CTX *
cipher_new(const EVP_CIPHER *c, const uint8_t *key, bool encrypt)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ctx)
		return NULL;
	if (!EVP_CipherInit_ex(ctx, c, NULL, key, NULL, encrypt ? 1 : 0) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0)) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
aes_cbc_init(struct aes_cbc *c, const uint8_t *key, size_t keylen, bool encrypt)
{
	const EVP_CIPHER *cbc = aes_cipher(keylen, false, false);

	memset(c, 0, sizeof(*c));
	if (!cbc)
		return RMC_EINVAL;
	c->enc = encrypt;
	c->ctx = cipher_new(cbc, key, encrypt);
	if (encrypt)
		c->ecb = cipher_new(aes_cipher(keylen, false, true), key, true);
	if (!c->ctx || (encrypt && !c->ecb)) {
		aes_cbc_clear(c);
		return RMC_ECRYPTO;
	}
	return RMC_OK;
}

void
aes_cbc_clear(struct aes_cbc *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->ctx);
	EVP_CIPHER_CTX_free(c->ecb);
	c->ctx = c->ecb = NULL;
}

int
aes_cbc_run(struct aes_cbc *c, const uint8_t iv[AES_BLOCK], const uint8_t *in, uint8_t *out,
	    size_t len)
{
	int n = 0;

	if (len % AES_BLOCK || len > INT_MAX)
		return RMC_EINVAL;
	/* Only the IV changes: the key schedule set at init is kept. */
	if (!EVP_CipherInit_ex(c->ctx, NULL, NULL, NULL, iv, -1) ||
	    !EVP_CipherUpdate(c->ctx, out, &n, in, (int)len) || (size_t)n != len)
		return RMC_ECRYPTO;
	return RMC_OK;
}

int
aes_cbc_block(struct aes_cbc *c, const uint8_t in[AES_BLOCK], uint8_t out[AES_BLOCK])
{
	int n = 0;

	if (!c->ecb || !EVP_CipherUpdate(c->ecb, out, &n, in, AES_BLOCK) || n != AES_BLOCK)
		return RMC_ECRYPTO;
	return RMC_OK;
}

int
aes_gcm_init(struct aes_gcm *g, const uint8_t *key, size_t keylen, bool encrypt)
{
	const EVP_CIPHER *gcm = aes_cipher(keylen, true, false);

	memset(g, 0, sizeof(*g));
	if (!gcm)
		return RMC_EINVAL;
	g->enc = encrypt;
	g->ctx = cipher_new(gcm, key, encrypt);
	return g->ctx ? RMC_OK : RMC_ECRYPTO;
}

void
aes_gcm_clear(struct aes_gcm *g)
{
	if (!g)
		return;
	EVP_CIPHER_CTX_free(g->ctx);
	g->ctx = NULL;
}

static int
gcm_start(struct aes_gcm *g, const uint8_t nonce[GCM_NONCE_LEN], const uint8_t *aad, size_t aadlen)
{
	int n = 0;

	/* The default GCM IV length is 12 bytes, which is ours. */
	if (!EVP_CipherInit_ex(g->ctx, NULL, NULL, NULL, nonce, -1))
		return RMC_ECRYPTO;
	if (aadlen && !EVP_CipherUpdate(g->ctx, NULL, &n, aad, (int)aadlen))
		return RMC_ECRYPTO;
	return RMC_OK;
}

int
aes_gcm_seal(struct aes_gcm *g, const uint8_t nonce[GCM_NONCE_LEN], const uint8_t *aad,
	     size_t aadlen, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[GCM_TAG_LEN])
{
	int n = 0, m = 0;

	if (!g->enc || len > INT_MAX || aadlen > 64)
		return RMC_EINVAL;
	if (gcm_start(g, nonce, aad, aadlen) ||
	    (len && !EVP_CipherUpdate(g->ctx, out, &n, in, (int)len)) ||
	    !EVP_CipherFinal_ex(g->ctx, out + n, &m) || (size_t)(n + m) != len ||
	    !EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, tag))
		return RMC_ECRYPTO;
	return RMC_OK;
}

int
aes_gcm_open(struct aes_gcm *g, const uint8_t nonce[GCM_NONCE_LEN], const uint8_t *aad,
	     size_t aadlen, const uint8_t *in, size_t len, uint8_t *out,
	     const uint8_t tag[GCM_TAG_LEN])
{
	uint8_t t[GCM_TAG_LEN];
	int n = 0, m = 0;

	if (g->enc || len > INT_MAX || aadlen > 64)
		return RMC_EINVAL;
	memcpy(t, tag, sizeof(t)); /* the ctrl takes a non-const pointer */
	if (gcm_start(g, nonce, aad, aadlen) ||
	    (len && !EVP_CipherUpdate(g->ctx, out, &n, in, (int)len)) ||
	    !EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, t))
		return RMC_ECRYPTO;
	if (!EVP_CipherFinal_ex(g->ctx, out + n, &m) || (size_t)(n + m) != len) {
		explicit_bzero(out, len);
		return RMC_ECRYPTO;
	}
	return RMC_OK;
}
