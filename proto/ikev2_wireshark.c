#include "proto/ikev2_wireshark.h"

#include <stdio.h>

static void
hexs(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = 0;
}

int
ikev2_wireshark_line(uint64_t spi_i, uint64_t spi_r, const struct ikev2_keys *k, char *out,
		     size_t cap)
{
	char ei[2 * sizeof(k->sk_ei) + 1], er[2 * sizeof(k->sk_er) + 1];
	const char *alg;

	if (k->encr_len == 16 + IKEV2_GCM_SALT_LEN)
		alg = "AES-GCM-128 with 16 octet ICV [RFC5282]";
	else if (k->encr_len == 32 + IKEV2_GCM_SALT_LEN)
		alg = "AES-GCM-256 with 16 octet ICV [RFC5282]";
	else
		return RMC_EUNSUP;
	hexs(k->sk_ei, k->encr_len, ei);
	hexs(k->sk_er, k->encr_len, er);
	/* AEAD: no integrity keys, algorithm "NONE" (RFC 5282 §8). */
	int n =
	    snprintf(out, cap, "%016llx,%016llx,%s,%s,\"%s\",,,\"%s\"", (unsigned long long)spi_i,
		     (unsigned long long)spi_r, ei, er, alg, "NONE [RFC4306]");
	explicit_bzero(ei, sizeof(ei));
	explicit_bzero(er, sizeof(er));
	if (n < 0 || (size_t)n >= cap)
		return RMC_ENOSPC;
	return RMC_OK;
}
