/*
 * One IPsec security association (RFC 4301 §4.4.2): SPI, suite, keys,
 * salt, ESN flag, sequence counter or replay window, counters of what was
 * rejected, and its OpenSSL contexts, keyed once by sa_init. An SA has one
 * direction: an outbound SA seals, an inbound SA opens (RFC 4301 §4.1:
 * SAs are simplex). Two peers hold the same keys in mirrored SAs.
 *
 * Also here: a small SA database (lookup by protocol and SPI, counting
 * unknown SPIs) and the IPv4 header helpers that ESP and AH share in
 * transport mode.
 */
#ifndef RMCPSEC_PROTO_SA_H
#define RMCPSEC_PROTO_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/crypto.h"
#include "proto/replay.h"

enum sa_proto {
	SA_PROTO_ESP = 50, /* IANA protocol numbers */
	SA_PROTO_AH = 51,
};

enum sa_suite {
	SA_ESP_AES_GCM_16 = 1,	    /* RFC 4106, 16-octet ICV */
	SA_ESP_AES_CBC_HMAC_SHA256, /* RFC 3602 + RFC 4868 HMAC-SHA-256-128 */
	SA_AH_HMAC_SHA256,	    /* RFC 4302 + RFC 4868 HMAC-SHA-256-128 */
};

enum sa_dir {
	SA_DIR_OUT = 0,
	SA_DIR_IN,
};

enum {
	SA_KEY_MAX = 32,
	SA_SALT_LEN = 4,  /* RFC 4106 §4 */
	SA_ICV_LEN = 16,  /* both suites and AH carry a 128-bit ICV */
	SA_SPI_MIN = 256, /* RFC 4303 §2.1: 1..255 are reserved by IANA */
};

struct sa_config {
	uint32_t spi;
	enum sa_suite suite;
	uint8_t enc_key[SA_KEY_MAX]; /* AES key: 16 or 32 bytes (ESP only) */
	size_t enc_key_len;
	uint8_t salt[SA_SALT_LEN];    /* GCM only: the 4 bytes after the key in KEYMAT */
	uint8_t auth_key[SA_KEY_MAX]; /* HMAC-SHA-256 key, 32 bytes (CBC suite and AH) */
	size_t auth_key_len;
	bool esn;		/* 64-bit extended sequence numbers, RFC 4303 §2.2.1 */
	uint32_t replay_window; /* inbound: 0 = 64, else 32..1024 */
	bool ah_align4;		/* AH: pad the ICV to 4 bytes, not Linux's 8 (see ah.h) */
};

/* What an SA (or a node, for unknown SPIs) rejected, one counter per class. */
struct ipsec_stats {
	uint64_t ok;
	uint64_t truncated;   /* shorter than the headers, or a misaligned length */
	uint64_t bad_padding; /* RFC 4303 §2.4 padding not 1, 2, 3, ... or too long */
	uint64_t bad_icv;
	uint64_t unknown_spi;
	uint64_t replay;
	uint64_t too_old;
};

/*
 * Per-packet IV source. NULL (the default) gives deterministic IVs:
 * GCM uses the 64-bit sequence number (RFC 4106 §3.1 allows a counter);
 * CBC uses E_K(SPI || 0 || seq), the "encrypted nonce" IV of NIST SP
 * 800-38A Appendix C, unpredictable without K and unique per packet
 * because (SPI, seq) never repeats. Tests use the hook for fixed vectors.
 */
typedef int (*sa_iv_fn)(void *arg, uint64_t seq, uint8_t *iv, size_t len);

struct sa {
	struct sa_config cfg;
	enum sa_dir dir;
	uint64_t seq;	      /* outbound: last sequence number sent (0 before the first) */
	struct replay replay; /* inbound */
	struct ipsec_stats stats;
	sa_iv_fn iv_fn;
	void *iv_arg;
	struct aes_gcm gcm;
	struct aes_cbc cbc;
	struct hmac256 hmac;
};

/* Checks key lengths against the suite and keys the contexts. */
int sa_init(struct sa *sa, const struct sa_config *cfg, enum sa_dir dir);
/* NULL-safe; frees the contexts and wipes the keys. */
void sa_clear(struct sa *sa);
enum sa_proto sa_proto(const struct sa *sa);
/* Adds an error from esp_open / ah_open to the matching counter. */
void ipsec_stats_count(struct ipsec_stats *st, int err);
const char *sa_suite_name(enum sa_suite s);

/* A node's inbound SAs. Lookups that miss count in stats.unknown_spi. */
enum { SAD_MAX = 16 };
struct sad {
	struct sa *sa[SAD_MAX];
	size_t n;
	struct ipsec_stats stats;
};

int sad_add(struct sad *db, struct sa *sa);
void sad_remove(struct sad *db, const struct sa *sa);
struct sa *sad_find(struct sad *db, enum sa_proto proto, uint32_t spi);

/*
 * IPv4 for transport mode (RFC 791). ipsec_ipv4_hlen checks version 4,
 * IHL 5 (options are refused: RMC_EUNSUP, because AH would have to
 * classify each option as mutable), tot_len within len, and returns 20.
 * ipsec_ipv4_rewrite sets protocol and total length and the checksum.
 */
enum { IPV4_HLEN = 20 };
int ipsec_ipv4_hlen(const uint8_t *ip, size_t len, size_t *tot_len);
void ipsec_ipv4_rewrite(uint8_t *ip, uint8_t proto, size_t tot_len);

#endif
