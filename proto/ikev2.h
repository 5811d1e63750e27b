/*
 * IKEv2 (RFC 7296) wire format: constants, the fixed header, a payload
 * chain walker that fails closed, per-payload decoders and a chain writer.
 * Pure functions over (p, len); decoded structs point into the caller's
 * buffer and are valid only while it is.
 */
#ifndef RMCPSEC_PROTO_IKEV2_H
#define RMCPSEC_PROTO_IKEV2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/rd.h"

enum ikev2_limits {
	IKEV2_PORT = 500,      /* §2 */
	IKEV2_HDR_LEN = 28,    /* §3.1 */
	IKEV2_GEN_HDR_LEN = 4, /* §3.2 */
	IKEV2_VERSION = 0x20,  /* §3.1: major 2, minor 0 */
	IKEV2_NONCE_MIN = 16,  /* §3.9 */
	IKEV2_NONCE_MAX = 256, /* §3.9 */
	IKEV2_MAX_PLD = 24,    /* payloads we keep per chain; more is refused */
	IKEV2_MAX_PROPS = 8,
	IKEV2_MAX_XFORMS = 16,
	IKEV2_MAX_TS = 4,
	IKEV2_MSG_MAX = 2048,	/* §2: implementations MUST accept 1280 octets */
	IKEV2_GCM_IV_LEN = 8,	/* RFC 5282 §3.1 */
	IKEV2_GCM_SALT_LEN = 4, /* RFC 5282 §7.1 */
	IKEV2_GCM_ICV_LEN = 16, /* ENCR_AES_GCM_16 */
	IKEV2_X25519_LEN = 32,	/* RFC 8031 §2 */
	IKEV2_PRF_LEN = 32,	/* PRF_HMAC_SHA2_256, RFC 4868 §2.2 */
};

/* §3.1 flags */
enum ikev2_flags {
	IKEV2_F_INITIATOR = 0x08,
	IKEV2_F_VERSION = 0x10,
	IKEV2_F_RESPONSE = 0x20,
};

/*
 * §3.1 exchange types, the one list: X(enum name, value, RFC 7296's name,
 * the word scenario files use).
 */
#define IKEV2_EXCHANGES(X)                                                                         \
	X(IKEV2_EXCH_IKE_SA_INIT, 34, "IKE_SA_INIT", "ike_sa_init")                                \
	X(IKEV2_EXCH_IKE_AUTH, 35, "IKE_AUTH", "ike_auth")                                         \
	X(IKEV2_EXCH_CREATE_CHILD_SA, 36, "CREATE_CHILD_SA", "create_child_sa")                    \
	X(IKEV2_EXCH_INFORMATIONAL, 37, "INFORMATIONAL", "informational")

#define IKEV2_EXCH_ENUM_(name, value, text, word) name = value,
enum ikev2_exch { IKEV2_EXCHANGES(IKEV2_EXCH_ENUM_) };
#undef IKEV2_EXCH_ENUM_

/* §3.2 payload types */
enum ikev2_pld_type {
	IKEV2_PLD_NONE = 0,
	IKEV2_PLD_SA = 33,
	IKEV2_PLD_KE = 34,
	IKEV2_PLD_IDI = 35,
	IKEV2_PLD_IDR = 36,
	IKEV2_PLD_CERT = 37,
	IKEV2_PLD_CERTREQ = 38,
	IKEV2_PLD_AUTH = 39,
	IKEV2_PLD_NONCE = 40,
	IKEV2_PLD_NOTIFY = 41,
	IKEV2_PLD_DELETE = 42,
	IKEV2_PLD_VENDOR = 43,
	IKEV2_PLD_TSI = 44,
	IKEV2_PLD_TSR = 45,
	IKEV2_PLD_SK = 46,
	IKEV2_PLD_CP = 47,
	IKEV2_PLD_EAP = 48,
};

enum { IKEV2_CRITICAL = 0x80 }; /* §3.2 critical bit */

/* §3.3.1 protocol ids */
enum ikev2_proto {
	IKEV2_PROTO_IKE = 1,
	IKEV2_PROTO_AH = 2,
	IKEV2_PROTO_ESP = 3,
};

/* §3.3.2 transform types and ids (IANA "IKEv2 Parameters") */
enum ikev2_xform_type {
	IKEV2_XF_ENCR = 1,
	IKEV2_XF_PRF = 2,
	IKEV2_XF_INTEG = 3,
	IKEV2_XF_DH = 4,
	IKEV2_XF_ESN = 5,
};

enum ikev2_xform_id {
	IKEV2_ENCR_AES_CBC = 12,     /* RFC 3602 */
	IKEV2_ENCR_AES_GCM_16 = 20,  /* RFC 4106 / RFC 5282 */
	IKEV2_PRF_HMAC_SHA2_256 = 5, /* RFC 4868 */
	IKEV2_AUTH_NONE = 0,
	IKEV2_AUTH_HMAC_SHA2_256_128 = 12, /* RFC 4868 */
	IKEV2_DH_NONE = 0,
	IKEV2_DH_CURVE25519 = 31, /* RFC 8031 */
	IKEV2_ESN_NO = 0,
	IKEV2_ESN_YES = 1,
	IKEV2_ATTR_KEY_LENGTH = 14, /* §3.3.5, always TV format */
	IKEV2_ATTR_TV = 0x8000,
};

/* §3.5 ID types */
enum ikev2_id_type {
	IKEV2_ID_IPV4_ADDR = 1,
	IKEV2_ID_FQDN = 2,
};

/* §3.8 authentication methods */
enum { IKEV2_AUTH_PSK = 2 };

/* §3.10.1 notify message types */
enum ikev2_notify_type {
	IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKEV2_N_INVALID_IKE_SPI = 4,
	IKEV2_N_INVALID_MAJOR_VERSION = 5,
	IKEV2_N_INVALID_SYNTAX = 7,
	IKEV2_N_INVALID_MESSAGE_ID = 9,
	IKEV2_N_INVALID_SPI = 11,
	IKEV2_N_NO_PROPOSAL_CHOSEN = 14,
	IKEV2_N_INVALID_KE_PAYLOAD = 17,
	IKEV2_N_AUTHENTICATION_FAILED = 24,
	IKEV2_N_SINGLE_PAIR_REQUIRED = 34,
	IKEV2_N_NO_ADDITIONAL_SAS = 35,
	IKEV2_N_INTERNAL_ADDRESS_FAILURE = 36,
	IKEV2_N_FAILED_CP_REQUIRED = 37,
	IKEV2_N_TS_UNACCEPTABLE = 38,
	IKEV2_N_INVALID_SELECTORS = 39,
	IKEV2_N_TEMPORARY_FAILURE = 43,
	IKEV2_N_CHILD_SA_NOT_FOUND = 44,
	IKEV2_N_ERROR_MAX = 16383, /* types below 16384 are errors (§3.10.1) */
	IKEV2_N_INITIAL_CONTACT = 16384,
	IKEV2_N_SET_WINDOW_SIZE = 16385,
	IKEV2_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKEV2_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKEV2_N_COOKIE = 16390,
	IKEV2_N_USE_TRANSPORT_MODE = 16391,
	IKEV2_N_REKEY_SA = 16393,
	IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKEV2_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
};

/* §3.13.1 */
enum { IKEV2_TS_IPV4_ADDR_RANGE = 7, IKEV2_TS_IPV4_LEN = 16 };

struct ikev2_hdr {
	uint64_t spi_i;
	uint64_t spi_r;
	uint8_t next;
	uint8_t version;
	uint8_t exch;
	uint8_t flags;
	uint32_t msgid;
	uint32_t len;
};

/* One payload of a chain: its type, critical bit and body (after the generic header). */
struct ikev2_pld {
	uint8_t type;
	bool critical;
	const uint8_t *body;
	size_t len;
};

struct ikev2_chain {
	struct ikev2_pld pld[IKEV2_MAX_PLD];
	size_t n;
	size_t skipped;	      /* unknown non-critical payloads passed over (§2.5) */
	uint8_t bad_critical; /* type of an unknown critical payload, or 0 */
	uint8_t sk_inner;     /* for SK: the first inner payload type */
};

struct ikev2_xform {
	uint8_t type;
	uint16_t id;
	uint16_t keylen; /* bits, from the Key Length attribute; 0 if absent */
	bool bad_attr;	 /* an attribute we do not know: §3.3.6 reject the transform */
};

struct ikev2_prop {
	uint8_t num;
	uint8_t proto;
	uint8_t spi_size;
	uint8_t spi[8];
	struct ikev2_xform xf[IKEV2_MAX_XFORMS];
	size_t nxf;
};

struct ikev2_sa {
	struct ikev2_prop prop[IKEV2_MAX_PROPS];
	size_t n;
};

struct ikev2_ke {
	uint16_t group;
	const uint8_t *data;
	size_t len;
};

struct ikev2_idpl { /* ID payload §3.5, and AUTH §3.8 has the same shape */
	uint8_t type;
	const uint8_t *data;
	size_t len;
	const uint8_t *body; /* whole body: what the AUTH computation hashes (§2.15) */
	size_t body_len;
};

struct ikev2_notify {
	uint8_t proto;
	uint8_t spi_size;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t data_len;
};

struct ikev2_delete {
	uint8_t proto;
	uint8_t spi_size;
	uint16_t nspi;
	const uint8_t *spis;
};

struct ikev2_ts_entry {
	uint8_t ipproto;
	uint16_t sport, eport;
	uint32_t saddr, eaddr; /* host byte order */
};

struct ikev2_ts {
	struct ikev2_ts_entry ts[IKEV2_MAX_TS];
	size_t n;
};

/* proto/ikev2_pld.c */
int ikev2_hdr_decode(const uint8_t *p, size_t len, struct ikev2_hdr *h);
void ikev2_hdr_encode(const struct ikev2_hdr *h, uint8_t out[IKEV2_HDR_LEN]);
/*
 * Walks a chain starting with payload type `first`. Returns 0, RMC_ETRUNC /
 * RMC_EINVAL for a malformed chain, or RMC_EUNSUP with bad_critical set for
 * an unknown critical payload (§2.5). An SK payload ends the chain.
 */
int ikev2_chain_decode(uint8_t first, const uint8_t *p, size_t len, struct ikev2_chain *c);
const struct ikev2_pld *ikev2_chain_find(const struct ikev2_chain *c, uint8_t type);
int ikev2_sa_decode(const uint8_t *p, size_t len, struct ikev2_sa *sa);
int ikev2_ke_decode(const uint8_t *p, size_t len, struct ikev2_ke *ke);
int ikev2_nonce_check(size_t len);
int ikev2_id_decode(const uint8_t *p, size_t len, struct ikev2_idpl *id);
int ikev2_notify_decode(const uint8_t *p, size_t len, struct ikev2_notify *n);
int ikev2_delete_decode(const uint8_t *p, size_t len, struct ikev2_delete *d);
int ikev2_ts_decode(const uint8_t *p, size_t len, struct ikev2_ts *ts);
/* Finds the first Notify of `type` in a chain; 0 if found. */
int ikev2_chain_notify(const struct ikev2_chain *c, uint16_t type, struct ikev2_notify *n);

/*
 * Chain writer: appends payloads, patching the previous payload's Next
 * Payload field (the first one goes to *first) and each payload's length.
 */
struct ikev2_wr {
	struct wr w;
	uint8_t *np;  /* where the next payload type goes */
	size_t start; /* offset of the open payload's generic header */
	bool open;
	int err; /* sticky: first error */
};

void ikev2_wr_init(struct ikev2_wr *b, uint8_t *buf, size_t cap, uint8_t *first_np);
void ikev2_wr_begin(struct ikev2_wr *b, uint8_t type);
void ikev2_wr_end(struct ikev2_wr *b);
void ikev2_wr_bytes(struct ikev2_wr *b, const void *p, size_t n);
void ikev2_wr_u8(struct ikev2_wr *b, uint8_t v);
void ikev2_wr_be16(struct ikev2_wr *b, uint16_t v);
void ikev2_wr_be32(struct ikev2_wr *b, uint32_t v);

/* Whole-payload writers on top of it. */
struct ikev2_prop_out {
	uint8_t num; /* proposal number; 0: position + 1 */
	uint8_t proto;
	uint8_t spi_size;
	uint8_t spi[8];
	const struct ikev2_xform *xf;
	size_t nxf;
};
void ikev2_put_sa(struct ikev2_wr *b, const struct ikev2_prop_out *props, size_t n);
void ikev2_put_ke(struct ikev2_wr *b, uint16_t group, const uint8_t *d, size_t n);
void ikev2_put_nonce(struct ikev2_wr *b, const uint8_t *d, size_t n);
void ikev2_put_id(struct ikev2_wr *b, uint8_t pld, uint8_t type, const uint8_t *d, size_t n);
void ikev2_put_auth(struct ikev2_wr *b, uint8_t method, const uint8_t *d, size_t n);
void ikev2_put_notify(struct ikev2_wr *b, uint8_t proto, const uint8_t *spi, uint8_t spi_size,
		      uint16_t type, const uint8_t *d, size_t n);
void ikev2_put_delete(struct ikev2_wr *b, uint8_t proto, const uint32_t *spis, size_t n);
void ikev2_put_ts(struct ikev2_wr *b, uint8_t pld, const struct ikev2_ts_entry *ts, size_t n);

const char *ikev2_exch_name(uint8_t exch);
const char *ikev2_notify_name(uint16_t type);

#endif
