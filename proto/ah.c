#include "proto/ah.h"

#include <string.h>

#include <openssl/crypto.h>

#include "proto/err.h"
#include "proto/esp.h"
#include "proto/rd.h"

size_t
ah_hdr_len(const struct sa *sa)
{
	return sa->cfg.ah_align4 ? AH_LEN_ALIGN4 : AH_LEN_ALIGN8;
}

/*
 * RFC 4302 §3.3.3.1.1.1: TOS, flags, fragment offset, TTL and header
 * checksum are mutable and enter the ICV as zero.
 */
static void
zero_mutable(const uint8_t *ip, uint8_t hdr[IPV4_HLEN])
{
	memcpy(hdr, ip, IPV4_HLEN);
	hdr[1] = 0;
	hdr[6] = hdr[7] = 0;
	hdr[8] = 0;
	hdr[10] = hdr[11] = 0;
}

/*
 * ICV over ip (its header as on the wire), the AH header with the ICV
 * field zeroed (padding as it is), the payload, and the ESN high half.
 */
static int
ah_icv(struct sa *sa, const uint8_t *ip, size_t tot, uint64_t seq, uint8_t icv[SA_ICV_LEN])
{
	static const uint8_t zero[SA_ICV_LEN];
	const uint8_t *ah = ip + IPV4_HLEN;
	uint8_t hdr[IPV4_HLEN], hi[4];
	int rc;

	zero_mutable(ip, hdr);
	put_be32(hi, (uint32_t)(seq >> 32));
	if ((rc = hmac256_begin(&sa->hmac)) || (rc = hmac256_update(&sa->hmac, hdr, IPV4_HLEN)) ||
	    (rc = hmac256_update(&sa->hmac, ah, AH_FIXED_LEN)) ||
	    (rc = hmac256_update(&sa->hmac, zero, SA_ICV_LEN)) ||
	    (rc = hmac256_update(&sa->hmac, ah + AH_FIXED_LEN + SA_ICV_LEN,
				 tot - IPV4_HLEN - AH_FIXED_LEN - SA_ICV_LEN)))
		return rc;
	if (sa->cfg.esn && (rc = hmac256_update(&sa->hmac, hi, sizeof(hi))))
		return rc;
	return hmac256_end128(&sa->hmac, icv);
}

int
ah_seal_ipv4(struct sa *sa, const uint8_t *ip, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t tot, ahl = ah_hdr_len(sa), n;
	uint8_t hdr[IPV4_HLEN], *ah = out + IPV4_HLEN;
	uint64_t max = sa->cfg.esn ? UINT64_MAX : UINT32_MAX, seq;
	int rc;

	if (sa->dir != SA_DIR_OUT || sa_proto(sa) != SA_PROTO_AH)
		return RMC_ESTATE;
	if ((rc = ipsec_ipv4_hlen(ip, len, &tot)))
		return rc;
	if (sa->seq >= max)
		return RMC_ESTATE; /* RFC 4302 §3.3.2: the counter must not cycle */
	n = tot + ahl;
	if (n > cap || n > 65535)
		return RMC_ENOSPC;
	seq = sa->seq + 1;
	memcpy(hdr, ip, IPV4_HLEN);
	memmove(ah + ahl, ip + IPV4_HLEN, tot - IPV4_HLEN);
	memcpy(out, hdr, IPV4_HLEN);
	ah[0] = hdr[9];			/* next header: what the IP header carried */
	ah[1] = (uint8_t)(ahl / 4 - 2); /* RFC 4302 §2.2: 32-bit words minus 2 */
	ah[2] = ah[3] = 0;
	put_be32(ah + 4, sa->cfg.spi);
	put_be32(ah + 8, (uint32_t)seq);
	memset(ah + AH_FIXED_LEN, 0, ahl - AH_FIXED_LEN);
	ipsec_ipv4_rewrite(out, SA_PROTO_AH, n);
	if ((rc = ah_icv(sa, out, n, seq, ah + AH_FIXED_LEN)))
		return rc;
	sa->seq = seq;
	*outlen = n;
	return RMC_OK;
}

int
ah_decode(const uint8_t *p, size_t len, struct ah_hdr *out)
{
	struct rd r = rd_init(p, len);
	struct ah_hdr h;
	uint8_t words;

	if (rd_u8(&r, &h.next_hdr) || rd_u8(&r, &words) || rd_be16(&r, &h.reserved) ||
	    rd_be32(&r, &h.spi) || rd_be32(&r, &h.seq))
		return RMC_ETRUNC;
	h.len = ((size_t)words + 2) * 4;
	if (h.len < AH_FIXED_LEN || h.len > len)
		return RMC_ETRUNC;
	h.icv = rd_ptr(&r);
	h.icv_len = h.len - AH_FIXED_LEN;
	*out = h;
	return RMC_OK;
}

/* Lengths, SPI and replay, before any crypto. */
static int
ah_precheck(struct sa *sa, const uint8_t *ip, size_t len, size_t *tot, struct ah_hdr *h,
	    uint64_t *seq)
{
	int rc;

	if ((rc = ipsec_ipv4_hlen(ip, len, tot)))
		return rc == RMC_EINVAL || rc == RMC_EUNSUP ? RMC_ETRUNC : rc;
	if (ip[9] != SA_PROTO_AH)
		return RMC_ETRUNC;
	rc = ah_decode(ip + IPV4_HLEN, *tot - IPV4_HLEN, h);
	if (rc || (h->len != AH_LEN_ALIGN4 && h->len != AH_LEN_ALIGN8))
		return RMC_ETRUNC;
	if (h->spi != sa->cfg.spi)
		return RMC_ENOENT;
	*seq = h->seq;
	if (sa->cfg.esn && (rc = replay_infer(&sa->replay, h->seq, seq)))
		return rc;
	return replay_check(&sa->replay, *seq);
}

static int
ah_open_counted(struct sa *sa, const uint8_t *ip, size_t len, uint8_t *out, size_t cap,
		size_t *outlen)
{
	struct ah_hdr h;
	size_t tot, n;
	uint8_t icv[SA_ICV_LEN];
	uint64_t seq;
	int rc;

	if ((rc = ah_precheck(sa, ip, len, &tot, &h, &seq)))
		return rc;
	n = tot - h.len;
	if (n > cap)
		return RMC_ENOSPC;
	if ((rc = ah_icv(sa, ip, tot, seq, icv)))
		return rc;
	if (CRYPTO_memcmp(icv, h.icv, SA_ICV_LEN))
		return RMC_ECRYPTO;
	replay_update(&sa->replay, seq);
	memmove(out, ip, IPV4_HLEN);
	memmove(out + IPV4_HLEN, ip + IPV4_HLEN + h.len, tot - IPV4_HLEN - h.len);
	ipsec_ipv4_rewrite(out, h.next_hdr, n);
	*outlen = n;
	return RMC_OK;
}

int
ah_open_ipv4(struct sa *sa, const uint8_t *ip, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	int rc;

	if (sa->dir != SA_DIR_IN || sa_proto(sa) != SA_PROTO_AH)
		return RMC_ESTATE;
	rc = ah_open_counted(sa, ip, len, out, cap, outlen);
	ipsec_stats_count(&sa->stats, rc);
	return rc;
}

int
ipsec_bundle_seal_ipv4(struct sa *ah, struct sa *esp, const uint8_t *ip, size_t len, uint8_t *out,
		       size_t cap, size_t *outlen)
{
	size_t n;
	int rc;

	if (sa_proto(ah) != SA_PROTO_AH || sa_proto(esp) != SA_PROTO_ESP)
		return RMC_EINVAL;
	if ((rc = esp_seal_ipv4(esp, ip, len, out, cap, &n)))
		return rc;
	/* If AH cannot follow, the ESP sequence number is spent: never reuse it. */
	return ah_seal_ipv4(ah, out, n, out, cap, outlen);
}

int
ipsec_bundle_open_ipv4(struct sa *ah, struct sa *esp, const uint8_t *ip, size_t len, uint8_t *out,
		       size_t cap, size_t *outlen)
{
	size_t n;
	int rc;

	if (sa_proto(ah) != SA_PROTO_AH || sa_proto(esp) != SA_PROTO_ESP)
		return RMC_EINVAL;
	if (len < IPV4_HLEN + 1 || ip[9] != SA_PROTO_AH || ip[IPV4_HLEN] != SA_PROTO_ESP)
		return RMC_EINVAL;
	if ((rc = ah_open_ipv4(ah, ip, len, out, cap, &n)))
		return rc;
	return esp_open_ipv4(esp, out, n, out, cap, outlen);
}

int
ipsec_input_ipv4(struct sad *db, const uint8_t *ip, size_t len, uint8_t *out, size_t cap,
		 size_t *outlen, struct ipsec_applied *applied)
{
	size_t tot, n;
	uint32_t spi;
	int rc;

	memset(applied, 0, sizeof(*applied));
	if ((rc = ipsec_ipv4_hlen(ip, len, &tot)))
		return rc;
	if (tot > cap)
		return RMC_ENOSPC;
	if (out != ip)
		memmove(out, ip, tot);
	n = tot;
	if (out[9] == SA_PROTO_AH) {
		if (n < IPV4_HLEN + AH_FIXED_LEN)
			return RMC_ETRUNC;
		spi = get_be32(out + IPV4_HLEN + 4);
		if (!(applied->ah = sad_find(db, SA_PROTO_AH, spi)))
			return RMC_ENOENT;
		if ((rc = ah_open_ipv4(applied->ah, out, n, out, cap, &n)))
			return rc;
	}
	if (out[9] == SA_PROTO_ESP) {
		if (esp_peek_spi(out + IPV4_HLEN, n - IPV4_HLEN, &spi))
			return RMC_ETRUNC;
		if (!(applied->esp = sad_find(db, SA_PROTO_ESP, spi)))
			return RMC_ENOENT;
		if ((rc = esp_open_ipv4(applied->esp, out, n, out, cap, &n)))
			return rc;
	}
	*outlen = n;
	return RMC_OK;
}
