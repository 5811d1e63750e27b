#include "proto/sa.h"

#include <string.h>

#include "proto/err.h"
#include "proto/rd.h"

static bool
key_lens_ok(const struct sa_config *c)
{
	bool aes = c->enc_key_len == 16 || c->enc_key_len == 32;
	bool hmac = c->auth_key_len == HMAC_SHA256_KEY_LEN;

	switch (c->suite) {
	case SA_ESP_AES_GCM_16:
		return aes;
	case SA_ESP_AES_CBC_HMAC_SHA256:
		return aes && hmac;
	case SA_AH_HMAC_SHA256:
		return hmac;
	}
	return false;
}

int
sa_init(struct sa *sa, const struct sa_config *cfg, enum sa_dir dir)
{
	bool enc = dir == SA_DIR_OUT;
	int rc;

	memset(sa, 0, sizeof(*sa));
	if (!key_lens_ok(cfg) || cfg->spi < SA_SPI_MIN)
		return RMC_EINVAL;
	sa->cfg = *cfg;
	sa->dir = dir;
	rc = replay_init(&sa->replay, cfg->replay_window);
	if (rc)
		goto out;
	switch (cfg->suite) {
	case SA_ESP_AES_GCM_16:
		rc = aes_gcm_init(&sa->gcm, cfg->enc_key, cfg->enc_key_len, enc);
		break;
	case SA_ESP_AES_CBC_HMAC_SHA256:
		rc = aes_cbc_init(&sa->cbc, cfg->enc_key, cfg->enc_key_len, enc);
		if (!rc)
			rc = hmac256_init(&sa->hmac, cfg->auth_key, cfg->auth_key_len);
		break;
	case SA_AH_HMAC_SHA256:
		rc = hmac256_init(&sa->hmac, cfg->auth_key, cfg->auth_key_len);
		break;
	}
out:
	if (rc)
		sa_clear(sa);
	return rc;
}

void
sa_clear(struct sa *sa)
{
	if (!sa)
		return;
	aes_gcm_clear(&sa->gcm);
	aes_cbc_clear(&sa->cbc);
	hmac256_clear(&sa->hmac);
	explicit_bzero(&sa->cfg, sizeof(sa->cfg));
}

enum sa_proto
sa_proto(const struct sa *sa)
{
	return sa->cfg.suite == SA_AH_HMAC_SHA256 ? SA_PROTO_AH : SA_PROTO_ESP;
}

void
ipsec_stats_count(struct ipsec_stats *st, int err)
{
	switch (err) {
	case RMC_OK:
		st->ok++;
		break;
	case RMC_ETRUNC:
		st->truncated++;
		break;
	case RMC_EINVAL:
		st->bad_padding++;
		break;
	case RMC_ECRYPTO:
		st->bad_icv++;
		break;
	case RMC_ENOENT:
		st->unknown_spi++;
		break;
	case RMC_EREPLAY:
		st->replay++;
		break;
	case RMC_ETOOOLD:
		st->too_old++;
		break;
	default:
		break; /* the caller's own errors (ENOSPC, ESTATE) are not the packet's */
	}
}

const char *
sa_suite_name(enum sa_suite s)
{
	switch (s) {
	case SA_ESP_AES_GCM_16:
		return "esp-aes-gcm-16";
	case SA_ESP_AES_CBC_HMAC_SHA256:
		return "esp-aes-cbc-hmac-sha256-128";
	case SA_AH_HMAC_SHA256:
		return "ah-hmac-sha256-128";
	}
	return "unknown";
}

static struct sa *
sad_lookup(struct sad *db, enum sa_proto proto, uint32_t spi)
{
	for (size_t i = 0; i < db->n; i++) {
		struct sa *sa = db->sa[i];
		if (sa->cfg.spi == spi && sa_proto(sa) == proto)
			return sa;
	}
	return NULL;
}

int
sad_add(struct sad *db, struct sa *sa)
{
	if (db->n == SAD_MAX)
		return RMC_ENOSPC;
	if (sad_lookup(db, sa_proto(sa), sa->cfg.spi))
		return RMC_EINVAL;
	db->sa[db->n++] = sa;
	return RMC_OK;
}

void
sad_remove(struct sad *db, const struct sa *sa)
{
	for (size_t i = 0; i < db->n; i++) {
		if (db->sa[i] == sa) {
			db->sa[i] = db->sa[--db->n];
			return;
		}
	}
}

struct sa *
sad_find(struct sad *db, enum sa_proto proto, uint32_t spi)
{
	struct sa *sa = sad_lookup(db, proto, spi);

	if (!sa)
		db->stats.unknown_spi++;
	return sa;
}

int
ipsec_ipv4_hlen(const uint8_t *ip, size_t len, size_t *tot_len)
{
	size_t tot;

	if (len < IPV4_HLEN)
		return RMC_ETRUNC;
	if (ip[0] >> 4 != 4)
		return RMC_EINVAL;
	if ((ip[0] & 0x0f) != IPV4_HLEN / 4)
		return (ip[0] & 0x0f) < 5 ? RMC_EINVAL : RMC_EUNSUP;
	tot = get_be16(ip + 2);
	if (tot < IPV4_HLEN || tot > len)
		return RMC_ETRUNC;
	*tot_len = tot;
	return RMC_OK;
}

/* RFC 1071 over the 20-byte header with its checksum field zero. */
static uint16_t
ipv4_csum(const uint8_t *ip)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < IPV4_HLEN; i += 2)
		sum += get_be16(ip + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void
ipsec_ipv4_rewrite(uint8_t *ip, uint8_t proto, size_t tot_len)
{
	ip[9] = proto;
	put_be16(ip + 2, (uint16_t)tot_len);
	put_be16(ip + 10, 0);
	put_be16(ip + 10, ipv4_csum(ip));
}
