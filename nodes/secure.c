#include "nodes/secure.h"

#include <string.h>

#include "proto/ah.h"
#include "proto/err.h"
#include "proto/esp.h"

static const char *const SUITE_NAMES[MGMT_SUITE__COUNT] = {
    [MGMT_SUITE_NONE] = "none",
    [MGMT_ESP_GCM_128] = "esp-aes-gcm-128",
    [MGMT_ESP_GCM_256] = "esp-aes-gcm-256",
    [MGMT_ESP_CBC_HMAC] = "esp-aes-cbc-hmac-sha256",
    [MGMT_AH] = "ah-hmac-sha256",
    [MGMT_AH_ESP] = "ah+esp",
};

const char *
mgmt_suite_name(uint8_t suite)
{
	return suite < MGMT_SUITE__COUNT ? SUITE_NAMES[suite] : "?";
}

int
mgmt_suite_parse(const char *name, uint8_t *suite)
{
	for (uint8_t i = 1; i < MGMT_SUITE__COUNT; i++)
		if (strcmp(SUITE_NAMES[i], name) == 0) {
			*suite = i;
			return 0;
		}
	return -1;
}

void
mgmt_suite_key_lens(uint8_t suite, uint8_t *key, uint8_t *salt, uint8_t *integ)
{
	*key = suite == MGMT_ESP_GCM_256		      ? 32
	       : suite == MGMT_AH || suite == MGMT_SUITE_NONE ? 0
							      : 16;
	*salt = suite == MGMT_ESP_GCM_128 || suite == MGMT_ESP_GCM_256 || suite == MGMT_AH_ESP
		    ? SA_SALT_LEN
		    : 0;
	*integ = suite == MGMT_ESP_CBC_HMAC || suite == MGMT_AH || suite == MGMT_AH_ESP ? 32 : 0;
}

struct keys {
	const uint8_t *key, *salt, *integ;
};

static int
esp_config(const struct nvram_sa *s, const struct keys *k, uint32_t spi, uint32_t window,
	   struct sa_config *c)
{
	memset(c, 0, sizeof(*c));
	c->spi = spi;
	c->esn = s->esn;
	c->replay_window = window;
	c->suite = s->suite == MGMT_ESP_CBC_HMAC ? SA_ESP_AES_CBC_HMAC_SHA256 : SA_ESP_AES_GCM_16;
	memcpy(c->enc_key, k->key, s->key_len);
	c->enc_key_len = s->key_len;
	if (c->suite == SA_ESP_AES_GCM_16) {
		memcpy(c->salt, k->salt, SA_SALT_LEN);
	} else {
		memcpy(c->auth_key, k->integ, s->integ_key_len);
		c->auth_key_len = s->integ_key_len;
	}
	return RMC_OK;
}

static void
ah_config(const struct nvram_sa *s, const struct keys *k, uint32_t spi, uint32_t window,
	  struct sa_config *c)
{
	memset(c, 0, sizeof(*c));
	c->spi = spi;
	c->esn = s->esn;
	c->replay_window = window;
	c->suite = SA_AH_HMAC_SHA256;
	memcpy(c->auth_key, k->integ, s->integ_key_len);
	c->auth_key_len = s->integ_key_len;
}

static int
init_dir(struct sec_pair *p, const struct nvram_sa *s, const struct keys *k, uint32_t spi,
	 enum sa_dir dir, uint32_t window)
{
	struct sa_config c;
	int rc = RMC_OK;
	struct sa *esp = dir == SA_DIR_OUT ? &p->esp_out : &p->esp_in;
	struct sa *ah = dir == SA_DIR_OUT ? &p->ah_out : &p->ah_in;
	if (p->has_esp) {
		esp_config(s, k, spi, window, &c);
		rc = sa_init(esp, &c, dir);
		explicit_bzero(&c, sizeof(c));
		if (!rc && dir == SA_DIR_IN)
			rc = sad_add(&p->sad, esp);
	}
	if (!rc && p->has_ah) {
		ah_config(s, k, spi, window, &c);
		rc = sa_init(ah, &c, dir);
		explicit_bzero(&c, sizeof(c));
		if (!rc && dir == SA_DIR_IN)
			rc = sad_add(&p->sad, ah);
	}
	return rc;
}

int
sec_pair_init(struct sec_pair *p, const struct nvram_sa *s, enum sec_role role,
	      uint32_t replay_window)
{
	memset(p, 0, sizeof(*p));
	if (s->suite == MGMT_SUITE_NONE || s->suite >= MGMT_SUITE__COUNT)
		return RMC_EINVAL;
	p->suite = s->suite;
	p->has_esp = s->suite != MGMT_AH;
	p->has_ah = s->suite == MGMT_AH || s->suite == MGMT_AH_ESP;
	struct keys nic_out = {s->key, s->salt, s->integ_key};
	struct keys nic_in = {s->key_in, s->salt_in, s->integ_key_in};
	bool nic = role == SEC_NIC;
	p->spi_out = nic ? s->spi_out : s->spi_in;
	p->spi_in = nic ? s->spi_in : s->spi_out;
	int rc = init_dir(p, s, nic ? &nic_out : &nic_in, p->spi_out, SA_DIR_OUT, replay_window);
	if (!rc)
		rc = init_dir(p, s, nic ? &nic_in : &nic_out, p->spi_in, SA_DIR_IN, replay_window);
	if (rc)
		sec_pair_fini(p);
	return rc;
}

void
sec_pair_fini(struct sec_pair *p)
{
	if (!p)
		return;
	sa_clear(&p->esp_out);
	sa_clear(&p->esp_in);
	sa_clear(&p->ah_out);
	sa_clear(&p->ah_in);
	memset(p, 0, sizeof(*p));
}

int
sec_seal_ipv4(struct sec_pair *p, uint64_t seq, uint8_t *ip, size_t len, size_t cap, size_t *outlen)
{
	if (seq) {
		/* esp_seal / ah_seal take the number after sa->seq. */
		p->esp_out.seq = seq - 1;
		p->ah_out.seq = seq - 1;
	}
	if (p->has_ah && p->has_esp)
		return ipsec_bundle_seal_ipv4(&p->ah_out, &p->esp_out, ip, len, ip, cap, outlen);
	if (p->has_ah)
		return ah_seal_ipv4(&p->ah_out, ip, len, ip, cap, outlen);
	return esp_seal_ipv4(&p->esp_out, ip, len, ip, cap, outlen);
}

int
sec_open_ipv4(struct sec_pair *p, const uint8_t *ip, size_t len, uint8_t *out, size_t cap,
	      size_t *outlen)
{
	struct ipsec_applied applied = {0};
	int rc = ipsec_input_ipv4(&p->sad, ip, len, out, cap, outlen, &applied);
	if (rc)
		return rc;
	/* Policy: exactly the suite's layers, nothing less (RFC 4301 §5.2 inbound check). */
	if ((applied.esp != NULL) != p->has_esp || (applied.ah != NULL) != p->has_ah)
		return RMC_EINVAL;
	return RMC_OK;
}

uint64_t
sec_last_seq(const struct sec_pair *p)
{
	return p->has_esp ? p->esp_out.seq : p->ah_out.seq;
}

void
sec_pair_forget_replay(struct sec_pair *p)
{
	if (p->has_esp)
		replay_init(&p->esp_in.replay, p->esp_in.cfg.replay_window);
	if (p->has_ah)
		replay_init(&p->ah_in.replay, p->ah_in.cfg.replay_window);
}

uint64_t
sec_pair_replay_floor(const struct sec_pair *p)
{
	uint64_t esp = p->esp_in.replay.top, ah = p->ah_in.replay.top;
	if (p->has_esp && p->has_ah)
		return esp < ah ? esp : ah;
	return p->has_esp ? esp : ah;
}

void
sec_pair_restore_replay(struct sec_pair *p, uint64_t floor)
{
	if (p->has_esp)
		replay_init_floor(&p->esp_in.replay, p->esp_in.cfg.replay_window, floor);
	if (p->has_ah)
		replay_init_floor(&p->ah_in.replay, p->ah_in.cfg.replay_window, floor);
}
