#include "nodes/ike_sa.h"

#include <string.h>

#include "nodes/secure.h"
#include "proto/err.h"
#include "proto/rd.h"

enum ike_suite
ike_suite_for_mgmt(uint8_t mgmt_suite)
{
	switch (mgmt_suite) {
	case MGMT_ESP_GCM_128:
		return IKE_SUITE_ESP_GCM128;
	case MGMT_ESP_GCM_256:
		return IKE_SUITE_ESP_GCM256;
	case MGMT_ESP_CBC_HMAC:
		return IKE_SUITE_ESP_CBC_SHA256;
	case MGMT_AH:
		return IKE_SUITE_AH_SHA256;
	default:
		return IKE_SUITE_NONE;
	}
}

static uint8_t
mgmt_for_ike(enum ike_suite s)
{
	switch (s) {
	case IKE_SUITE_ESP_GCM128:
		return MGMT_ESP_GCM_128;
	case IKE_SUITE_ESP_GCM256:
		return MGMT_ESP_GCM_256;
	case IKE_SUITE_ESP_CBC_SHA256:
		return MGMT_ESP_CBC_HMAC;
	case IKE_SUITE_AH_SHA256:
		return MGMT_AH;
	default:
		return MGMT_SUITE_NONE;
	}
}

/* KEYMAT for one direction: encryption key then salt (RFC 4106 §8.1), then the integrity key. */
static int
split_keys(const struct nvram_sa *sa, const uint8_t *encr, size_t encr_len, const uint8_t *integ,
	   size_t integ_len, uint8_t *key, uint8_t *salt, uint8_t *ikey)
{
	if (encr_len != (size_t)sa->key_len + sa->salt_len || integ_len != sa->integ_key_len)
		return RMC_EINVAL;
	memcpy(key, encr, sa->key_len);
	memcpy(salt, encr + sa->key_len, sa->salt_len);
	memcpy(ikey, integ, integ_len);
	return RMC_OK;
}

int
ike_child_to_nvram(const struct ike_child_sa *ch, bool local_is_nic, uint32_t server_ip,
		   uint32_t txid, struct nvram_sa *out)
{
	memset(out, 0, sizeof(*out));
	out->suite = mgmt_for_ike(ch->suite);
	if (out->suite == MGMT_SUITE_NONE)
		return RMC_EINVAL;
	mgmt_suite_key_lens(out->suite, &out->key_len, &out->salt_len, &out->integ_key_len);
	/* The NIC sends with what its host received the peer's choice for: spi_out. */
	const uint8_t *eo = local_is_nic ? ch->encr_out : ch->encr_in;
	const uint8_t *ei = local_is_nic ? ch->encr_in : ch->encr_out;
	const uint8_t *io = local_is_nic ? ch->integ_out : ch->integ_in;
	const uint8_t *ii = local_is_nic ? ch->integ_in : ch->integ_out;
	out->spi_out = local_is_nic ? ch->spi_out : ch->spi_in;
	out->spi_in = local_is_nic ? ch->spi_in : ch->spi_out;
	int rc = split_keys(out, eo, ch->encr_len, io, ch->integ_len, out->key, out->salt,
			    out->integ_key);
	if (!rc)
		rc = split_keys(out, ei, ch->encr_len, ii, ch->integ_len, out->key_in, out->salt_in,
				out->integ_key_in);
	if (rc) {
		explicit_bzero(out, sizeof(*out));
		return rc;
	}
	put_be32(out->peer_ip, server_ip);
	out->txid = txid;
	return RMC_OK;
}

void
ike_seeded_rand(void *state, uint8_t *buf, size_t n)
{
	uint64_t *s = state;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t z = (*s += 0x9e3779b97f4a7c15ULL); /* splitmix64 */
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		for (size_t j = 0; j < 8 && i + j < n; j++)
			buf[i + j] = (uint8_t)(z >> (8 * j));
	}
}
