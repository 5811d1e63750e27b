/*
 * The secured management path (docs/internals/ipsec.md, the patent's TCO-port policy):
 * RMCP/ASF on UDP 664 in IPsec transport mode, under one SA pair per
 * client. A sec_pair is both directions of that pair as one node holds
 * them, built from the SA as the NIC stores it in NVRAM (nvram_sa: spi_out
 * and key/salt/integ_key are the NIC's outbound side, spi_in and the _in
 * keys its inbound side). The server holds the mirror image.
 */
#ifndef RMCPSEC_NODES_SECURE_H
#define RMCPSEC_NODES_SECURE_H

#include <stdbool.h>
#include <stdint.h>

#include "nodes/nvram.h"
#include "proto/sa.h"

enum mgmt_suite {
	MGMT_SUITE_NONE = 0,
	MGMT_ESP_GCM_128,  /* ESP AES-GCM-16, 128-bit key (RFC 4106) */
	MGMT_ESP_GCM_256,  /* ESP AES-GCM-16, 256-bit key */
	MGMT_ESP_CBC_HMAC, /* ESP AES-128-CBC + HMAC-SHA-256-128 (RFC 3602, RFC 4868) */
	MGMT_AH,	   /* AH HMAC-SHA-256-128 alone (RFC 4302) */
	MGMT_AH_ESP,	   /* the patent's "ESP + AH": AH outside ESP AES-GCM-128, one SPI */
	MGMT_SUITE__COUNT
};

const char *mgmt_suite_name(uint8_t suite); /* "esp-aes-gcm-128", ... */
int mgmt_suite_parse(const char *name, uint8_t *suite);
/* Key lengths a suite stores per direction (encryption key, salt, integrity key). */
void mgmt_suite_key_lens(uint8_t suite, uint8_t *key, uint8_t *salt, uint8_t *integ);

enum sec_role {
	SEC_NIC,    /* outbound = the stored spi_out and outbound keys */
	SEC_SERVER, /* the mirror: outbound = the NIC's inbound */
};

struct sec_pair {
	uint8_t suite;
	uint32_t spi_out, spi_in;
	bool has_esp, has_ah;
	struct sa esp_out, esp_in, ah_out, ah_in;
	struct sad sad; /* the inbound SAs, for lookup by protocol and SPI */
};

int sec_pair_init(struct sec_pair *p, const struct nvram_sa *stored, enum sec_role role,
		  uint32_t replay_window);
/* NULL-safe; wipes the keys. */
void sec_pair_fini(struct sec_pair *p);

/*
 * Protects the IPv4 packet at ip (len bytes, cap bytes of room) in place.
 * seq: the outbound sequence number to use, or 0 for the SA's next one.
 */
int sec_seal_ipv4(struct sec_pair *p, uint64_t seq, uint8_t *ip, size_t len, size_t cap,
		  size_t *outlen);
/*
 * Removes the protection of an inbound packet into out. Fails (and counts)
 * on an unknown SPI, a replay, a bad ICV, and RMC_EINVAL when the layers
 * present are not exactly the suite's (ESP alone for an AH+ESP pair, say).
 */
int sec_open_ipv4(struct sec_pair *p, const uint8_t *ip, size_t len, uint8_t *out, size_t cap,
		  size_t *outlen);
/*
 * Forgets which sequence numbers the inbound SAs have seen. Only for an
 * observer that must classify every copy of a packet, duplicates included.
 */
void sec_pair_forget_replay(struct sec_pair *p);
/*
 * The inbound side's replay state as one number a power loss may keep:
 * every packet the pair accepted so far carries, in each of its layers, a
 * number at or below that layer's window top, so a window restarted at
 * the lowest of the tops still refuses each of them in that layer, and
 * the peer's next numbers are above every top. 0: nothing accepted.
 */
uint64_t sec_pair_replay_floor(const struct sec_pair *p);
/* Restarts the inbound windows as if every number up to floor had been accepted. */
void sec_pair_restore_replay(struct sec_pair *p, uint64_t floor);
/* The last sequence number sent under the outbound SA. */
uint64_t sec_last_seq(const struct sec_pair *p);

#endif
