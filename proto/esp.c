#include "proto/esp.h"

#include <string.h>

#include <openssl/crypto.h>

#include "proto/err.h"
#include "proto/rd.h"

static bool
is_gcm(const struct sa *sa)
{
	return sa->cfg.suite == SA_ESP_AES_GCM_16;
}

static size_t
iv_len(const struct sa *sa)
{
	return is_gcm(sa) ? ESP_GCM_IV_LEN : ESP_CBC_IV_LEN;
}

/* RFC 4303 §2.4: ciphertext aligned to the cipher block, and to 4 bytes. */
static size_t
align_of(const struct sa *sa)
{
	return is_gcm(sa) ? 4 : AES_BLOCK;
}

static size_t
padded_len(const struct sa *sa, size_t len)
{
	size_t a = align_of(sa);
	return (len + ESP_TRAILER_LEN + a - 1) / a * a;
}

size_t
esp_sealed_len(const struct sa *sa, size_t len)
{
	return ESP_HLEN + iv_len(sa) + padded_len(sa, len) + SA_ICV_LEN;
}

static int
next_seq(const struct sa *sa, uint64_t *seq)
{
	uint64_t max = sa->cfg.esn ? UINT64_MAX : UINT32_MAX;

	if (sa->seq >= max)
		return RMC_ESTATE;
	*seq = sa->seq + 1;
	return RMC_OK;
}

static int
make_iv(struct sa *sa, uint64_t seq, uint8_t *iv)
{
	uint8_t nonce[AES_BLOCK] = {0};

	if (sa->iv_fn)
		return sa->iv_fn(sa->iv_arg, seq, iv, iv_len(sa));
	if (is_gcm(sa)) {
		put_be32(iv, (uint32_t)(seq >> 32));
		put_be32(iv + 4, (uint32_t)seq);
		return RMC_OK;
	}
	/* NIST SP 800-38A Appendix C: IV = E_K(nonce), nonce unique per packet. */
	put_be32(nonce, sa->cfg.spi);
	put_be32(nonce + 8, (uint32_t)(seq >> 32));
	put_be32(nonce + 12, (uint32_t)seq);
	return aes_cbc_block(&sa->cbc, nonce, iv);
}

/* RFC 4106 §5: AAD is SPI || seq, or SPI || seq-high || seq-low with ESN. */
static size_t
gcm_aad(const struct sa *sa, uint64_t seq, uint8_t aad[12])
{
	put_be32(aad, sa->cfg.spi);
	if (!sa->cfg.esn) {
		put_be32(aad + 4, (uint32_t)seq);
		return 8;
	}
	put_be32(aad + 4, (uint32_t)(seq >> 32));
	put_be32(aad + 8, (uint32_t)seq);
	return 12;
}

static void
gcm_nonce(const struct sa *sa, const uint8_t *iv, uint8_t nonce[GCM_NONCE_LEN])
{
	memcpy(nonce, sa->cfg.salt, SA_SALT_LEN);
	memcpy(nonce + SA_SALT_LEN, iv, ESP_GCM_IV_LEN);
}

/* ICV over SPI .. ciphertext, then seq-high with ESN (RFC 4303 §2.2.1, §3.3.2). */
static int
cbc_icv(struct sa *sa, const uint8_t *esp, size_t n, uint64_t seq, uint8_t icv[SA_ICV_LEN])
{
	uint8_t hi[4];
	int rc = hmac256_begin(&sa->hmac);

	if (!rc)
		rc = hmac256_update(&sa->hmac, esp, n);
	if (!rc && sa->cfg.esn) {
		put_be32(hi, (uint32_t)(seq >> 32));
		rc = hmac256_update(&sa->hmac, hi, sizeof(hi));
	}
	return rc ? rc : hmac256_end128(&sa->hmac, icv);
}

int
esp_seal(struct sa *sa, uint8_t next_hdr, const uint8_t *payload, size_t len, uint8_t *out,
	 size_t cap, size_t *outlen)
{
	size_t ivl = iv_len(sa), ct_len = padded_len(sa, len);
	size_t pad = ct_len - len - ESP_TRAILER_LEN, total;
	uint8_t *iv = out + ESP_HLEN, *ct = iv + ivl, *icv;
	uint8_t nonce[GCM_NONCE_LEN], aad[12];
	uint64_t seq;
	int rc;

	if (sa->dir != SA_DIR_OUT || sa_proto(sa) != SA_PROTO_ESP)
		return RMC_ESTATE;
	if ((rc = next_seq(sa, &seq)))
		return rc;
	total = esp_sealed_len(sa, len);
	if (len > 65535 || total > cap)
		return RMC_ENOSPC;
	icv = ct + ct_len;
	/* The payload may lie inside out: move it before writing headers. */
	memmove(ct, payload, len);
	for (size_t i = 0; i < pad; i++)
		ct[len + i] = (uint8_t)(i + 1); /* RFC 4303 §2.4: 1, 2, 3, ... */
	ct[len + pad] = (uint8_t)pad;
	ct[len + pad + 1] = next_hdr;
	put_be32(out, sa->cfg.spi);
	put_be32(out + 4, (uint32_t)seq);
	if ((rc = make_iv(sa, seq, iv)))
		return rc;
	if (is_gcm(sa)) {
		gcm_nonce(sa, iv, nonce);
		rc = aes_gcm_seal(&sa->gcm, nonce, aad, gcm_aad(sa, seq, aad), ct, ct_len, ct, icv);
	} else {
		rc = aes_cbc_run(&sa->cbc, iv, ct, ct, ct_len);
		if (!rc)
			rc = cbc_icv(sa, out, (size_t)(icv - out), seq, icv);
	}
	if (rc)
		return rc;
	sa->seq = seq;
	*outlen = total;
	return RMC_OK;
}

/* Steps of esp_open before any crypto: lengths, SPI, sequence, replay. */
static int
open_precheck(struct sa *sa, const uint8_t *esp, size_t len, uint64_t *seq)
{
	size_t ivl = iv_len(sa), min = ESP_HLEN + ivl + align_of(sa) + SA_ICV_LEN;
	uint32_t seql;
	int rc;

	if (len < min || (len - min) % align_of(sa))
		return RMC_ETRUNC;
	if (get_be32(esp) != sa->cfg.spi)
		return RMC_ENOENT;
	seql = get_be32(esp + 4);
	*seq = seql;
	if (sa->cfg.esn && (rc = replay_infer(&sa->replay, seql, seq)))
		return rc;
	return replay_check(&sa->replay, *seq);
}

/* RFC 4303 §2.4: "the receiver SHOULD inspect the Padding field". */
static int
strip_trailer(const uint8_t *pt, size_t n, size_t *len, uint8_t *nh)
{
	uint8_t pad = pt[n - 2];

	if ((size_t)pad + ESP_TRAILER_LEN > n)
		return RMC_EINVAL;
	for (size_t i = 0; i < pad; i++)
		if (pt[n - ESP_TRAILER_LEN - pad + i] != (uint8_t)(i + 1))
			return RMC_EINVAL;
	*nh = pt[n - 1];
	*len = n - ESP_TRAILER_LEN - pad;
	return RMC_OK;
}

static int
open_crypto(struct sa *sa, const uint8_t *esp, size_t len, uint64_t seq, uint8_t *out)
{
	size_t ivl = iv_len(sa), ct_len = len - ESP_HLEN - ivl - SA_ICV_LEN;
	const uint8_t *iv = esp + ESP_HLEN, *ct = iv + ivl, *icv = ct + ct_len;
	uint8_t nonce[GCM_NONCE_LEN], aad[12], want[SA_ICV_LEN];
	int rc;

	if (is_gcm(sa)) {
		gcm_nonce(sa, iv, nonce);
		return aes_gcm_open(&sa->gcm, nonce, aad, gcm_aad(sa, seq, aad), ct, ct_len, out,
				    icv);
	}
	if ((rc = cbc_icv(sa, esp, len - SA_ICV_LEN, seq, want)))
		return rc;
	if (CRYPTO_memcmp(want, icv, SA_ICV_LEN))
		return RMC_ECRYPTO;
	return aes_cbc_run(&sa->cbc, iv, ct, out, ct_len);
}

static int
esp_open_counted(struct sa *sa, const uint8_t *esp, size_t len, uint8_t *out, size_t cap,
		 size_t *outlen, uint8_t *next_hdr)
{
	size_t ct_len;
	uint64_t seq;
	int rc;

	if ((rc = open_precheck(sa, esp, len, &seq)))
		return rc;
	ct_len = len - ESP_HLEN - iv_len(sa) - SA_ICV_LEN;
	if (ct_len > cap)
		return RMC_ENOSPC;
	if ((rc = open_crypto(sa, esp, len, seq, out)))
		return rc;
	if ((rc = strip_trailer(out, ct_len, outlen, next_hdr)))
		return rc;
	replay_update(&sa->replay, seq);
	return RMC_OK;
}

int
esp_open(struct sa *sa, const uint8_t *esp, size_t len, uint8_t *out, size_t cap, size_t *outlen,
	 uint8_t *next_hdr)
{
	int rc;

	if (sa->dir != SA_DIR_IN || sa_proto(sa) != SA_PROTO_ESP)
		return RMC_ESTATE;
	rc = esp_open_counted(sa, esp, len, out, cap, outlen, next_hdr);
	ipsec_stats_count(&sa->stats, rc);
	return rc;
}

int
esp_seal_ipv4(struct sa *sa, const uint8_t *ip, size_t len, uint8_t *out, size_t cap,
	      size_t *outlen)
{
	size_t tot, n;
	uint8_t nh, hdr[IPV4_HLEN];
	int rc;

	if ((rc = ipsec_ipv4_hlen(ip, len, &tot)))
		return rc;
	if (cap < IPV4_HLEN)
		return RMC_ENOSPC;
	memcpy(hdr, ip, IPV4_HLEN);
	nh = hdr[9];
	rc =
	    esp_seal(sa, nh, ip + IPV4_HLEN, tot - IPV4_HLEN, out + IPV4_HLEN, cap - IPV4_HLEN, &n);
	if (rc)
		return rc;
	if (IPV4_HLEN + n > 65535)
		return RMC_ENOSPC;
	memcpy(out, hdr, IPV4_HLEN);
	ipsec_ipv4_rewrite(out, SA_PROTO_ESP, IPV4_HLEN + n);
	*outlen = IPV4_HLEN + n;
	return RMC_OK;
}

int
esp_open_ipv4(struct sa *sa, const uint8_t *ip, size_t len, uint8_t *out, size_t cap,
	      size_t *outlen)
{
	size_t tot, n, hdr = IPV4_HLEN + ESP_HLEN + iv_len(sa);
	uint8_t nh;
	int rc;

	if ((rc = ipsec_ipv4_hlen(ip, len, &tot))) {
		ipsec_stats_count(&sa->stats, RMC_ETRUNC); /* a broken IP header: malformed */
		return rc;
	}
	if (ip[9] != SA_PROTO_ESP)
		return RMC_EINVAL; /* not ours: the caller dispatches on the protocol */
	if (cap < tot)
		return RMC_ENOSPC;
	if (out != ip)
		memcpy(out, ip, tot);
	/* Decrypt in place at the ciphertext, then slide it under the IP header. */
	rc = esp_open(sa, out + IPV4_HLEN, tot - IPV4_HLEN, tot > hdr ? out + hdr : out,
		      tot > hdr ? tot - hdr : 0, &n, &nh);
	if (rc)
		return rc;
	memmove(out + IPV4_HLEN, out + hdr, n);
	ipsec_ipv4_rewrite(out, nh, IPV4_HLEN + n);
	*outlen = IPV4_HLEN + n;
	return RMC_OK;
}

int
esp_peek_spi(const uint8_t *esp, size_t len, uint32_t *spi)
{
	struct rd r = rd_init(esp, len);
	return rd_be32(&r, spi);
}

int
esp_decode(const uint8_t *p, size_t len, struct esp_hdr *out)
{
	struct rd r = rd_init(p, len);
	struct esp_hdr h;

	if (rd_be32(&r, &h.spi) || rd_be32(&r, &h.seq))
		return RMC_ETRUNC;
	*out = h;
	return RMC_OK;
}
