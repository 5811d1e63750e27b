/*
 * The Encrypted payload (RFC 7296 §3.14) with ENCR_AES_GCM_16 (RFC 5282):
 *
 *   generic header | IV (8) | ciphertext of (inner | padding | pad length) | ICV (16)
 *
 * Nonce = salt (last 4 octets of SK_e, RFC 5282 §7.1) | IV. The AAD is the
 * IKE header through the end of the SK generic header (RFC 5282 §5.1). A
 * block size of 1 means no padding is needed; we send pad length 0.
 */
#include "proto/ikev2_crypto.h"

#include <openssl/evp.h>
#include <string.h>

int
ikev2_sk_key_init(struct ikev2_sk_key *k, const uint8_t *key_salt, size_t key_salt_len, int encrypt)
{
	const EVP_CIPHER *ciph;
	size_t klen = key_salt_len - IKEV2_GCM_SALT_LEN;

	memset(k, 0, sizeof(*k));
	if (key_salt_len == 16 + IKEV2_GCM_SALT_LEN)
		ciph = EVP_aes_128_gcm();
	else if (key_salt_len == 32 + IKEV2_GCM_SALT_LEN)
		ciph = EVP_aes_256_gcm();
	else
		return RMC_EINVAL;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c)
		return RMC_ENOMEM;
	if (!EVP_CipherInit_ex(c, ciph, NULL, NULL, NULL, encrypt) ||
	    !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) ||
	    !EVP_CipherInit_ex(c, NULL, NULL, key_salt, NULL, encrypt)) {
		EVP_CIPHER_CTX_free(c);
		return RMC_ECRYPTO;
	}
	memcpy(k->salt, key_salt + klen, IKEV2_GCM_SALT_LEN);
	k->ctx = c;
	k->encrypt = encrypt;
	return RMC_OK;
}

void
ikev2_sk_key_free(struct ikev2_sk_key *k)
{
	if (!k)
		return;
	EVP_CIPHER_CTX_free(k->ctx);
	explicit_bzero(k, sizeof(*k));
}

int
ikev2_sk_seal(struct ikev2_sk_key *k, uint64_t iv, struct ikev2_hdr *hdr, uint8_t inner_np,
	      const uint8_t *inner, size_t inner_len, uint8_t *out, size_t cap, size_t *out_len)
{
	EVP_CIPHER_CTX *c = k->ctx;
	size_t ptlen = inner_len + 1; /* pad length octet, no padding */
	size_t sk_len = IKEV2_GEN_HDR_LEN + IKEV2_GCM_IV_LEN + ptlen + IKEV2_GCM_ICV_LEN;
	size_t total = IKEV2_HDR_LEN + sk_len;
	uint8_t nonce[12];
	int n;

	if (!c || !k->encrypt)
		return RMC_ESTATE;
	if (total > cap || sk_len > 0xffff)
		return RMC_ENOSPC;
	hdr->next = IKEV2_PLD_SK;
	hdr->len = (uint32_t)total;
	ikev2_hdr_encode(hdr, out);
	uint8_t *g = out + IKEV2_HDR_LEN;
	g[0] = inner_np;
	g[1] = 0;
	put_be16(g + 2, (uint16_t)sk_len);
	uint8_t *ivp = g + IKEV2_GEN_HDR_LEN;
	put_be32(ivp, (uint32_t)(iv >> 32));
	put_be32(ivp + 4, (uint32_t)iv);
	uint8_t *ct = ivp + IKEV2_GCM_IV_LEN;
	memmove(ct, inner, inner_len);
	ct[inner_len] = 0;
	memcpy(nonce, k->salt, IKEV2_GCM_SALT_LEN);
	memcpy(nonce + IKEV2_GCM_SALT_LEN, ivp, IKEV2_GCM_IV_LEN);
	if (!EVP_CipherInit_ex(c, NULL, NULL, NULL, nonce, 1) ||
	    !EVP_CipherUpdate(c, NULL, &n, out, IKEV2_HDR_LEN + IKEV2_GEN_HDR_LEN) ||
	    !EVP_CipherUpdate(c, ct, &n, ct, (int)ptlen) ||
	    !EVP_CipherFinal_ex(c, ct + ptlen, &n) ||
	    !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, IKEV2_GCM_ICV_LEN, ct + ptlen))
		return RMC_ECRYPTO;
	*out_len = total;
	return RMC_OK;
}

int
ikev2_sk_open(struct ikev2_sk_key *k, const uint8_t *msg, size_t msg_len,
	      const struct ikev2_pld *sk, uint8_t *out, size_t cap, size_t *inner_len)
{
	EVP_CIPHER_CTX *c = k->ctx;
	uint8_t nonce[12], tag[IKEV2_GCM_ICV_LEN];
	int n;

	if (!c || k->encrypt)
		return RMC_ESTATE;
	if (sk->body < msg + IKEV2_GEN_HDR_LEN || sk->body + sk->len > msg + msg_len)
		return RMC_EINVAL;
	/* IV, at least the pad length octet, ICV */
	if (sk->len < IKEV2_GCM_IV_LEN + 1 + IKEV2_GCM_ICV_LEN)
		return RMC_ETRUNC;
	size_t ctlen = sk->len - IKEV2_GCM_IV_LEN - IKEV2_GCM_ICV_LEN;
	if (ctlen > cap)
		return RMC_ENOSPC;
	const uint8_t *ct = sk->body + IKEV2_GCM_IV_LEN;
	size_t aad_len = (size_t)(sk->body - msg);
	memcpy(nonce, k->salt, IKEV2_GCM_SALT_LEN);
	memcpy(nonce + IKEV2_GCM_SALT_LEN, sk->body, IKEV2_GCM_IV_LEN);
	memcpy(tag, ct + ctlen, sizeof(tag));
	if (!EVP_CipherInit_ex(c, NULL, NULL, NULL, nonce, 0) ||
	    !EVP_CipherUpdate(c, NULL, &n, msg, (int)aad_len) ||
	    !EVP_CipherUpdate(c, out, &n, ct, (int)ctlen) ||
	    !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, sizeof(tag), tag) ||
	    EVP_CipherFinal_ex(c, out + ctlen, &n) <= 0) {
		explicit_bzero(out, ctlen);
		return RMC_ECRYPTO;
	}
	uint8_t pad = out[ctlen - 1];
	if ((size_t)pad + 1 > ctlen) {
		explicit_bzero(out, ctlen);
		return RMC_EINVAL;
	}
	*inner_len = ctlen - 1 - pad;
	return RMC_OK;
}
