/*
 * One IKEv2 endpoint (RFC 7296) talking to one peer, as a pure state
 * machine: it is driven by (now, received UDP payload), (now, timer) and
 * (now, command) and answers with datagrams to send (UDP 500 payloads), the
 * next timer deadline and events ("CHILD_SA up: suite, SPIs, keys"). No
 * sockets, no clock reads, no allocation after ike_init; randomness (SPIs,
 * nonces, X25519 private keys) comes from the configured callback so a seeded
 * run is reproducible.
 *
 * Scope: IKE SA with ENCR_AES_GCM_16 + PRF_HMAC_SHA2_256 + Curve25519, PSK
 * authentication, transport-mode CHILD_SAs for single-port UDP selectors,
 * CREATE_CHILD_SA (new, rekey CHILD_SA with optional PFS, rekey IKE SA),
 * INFORMATIONAL (DELETE, liveness), window size 1, §2.1 retransmission.
 * IKEv2 cannot negotiate an AH+ESP bundle in one CHILD_SA (RFC 7296 §3.3: a
 * proposal carries one protocol, one proposal is accepted): the bundle is two CHILD_SAs with the
 * same selectors, ESP from IKE_AUTH and AH from ike_create_child(); the data path applies both.
 */
#ifndef RMCPSEC_NODES_IKE_H
#define RMCPSEC_NODES_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/ikev2.h"
#include "proto/ikev2_crypto.h"

enum { IKE_TIMER_NONE = UINT64_MAX };

enum ike_suite {
	IKE_SUITE_NONE = 0,
	IKE_SUITE_ESP_GCM128 = 1,     /* ESP ENCR_AES_GCM_16 128, no ESN (RFC 4106) */
	IKE_SUITE_ESP_GCM256 = 2,     /* ESP ENCR_AES_GCM_16 256, no ESN */
	IKE_SUITE_ESP_CBC_SHA256 = 3, /* ESP AES-CBC-128 + HMAC-SHA-256-128 (RFC 4868) */
	IKE_SUITE_AH_SHA256 = 4,      /* AH HMAC-SHA-256-128 (RFC 4302, RFC 4868) */
};

enum {
	IKE_MAX_SUITES = 4,
	IKE_MAX_CHILDREN = 8,
	IKE_ID_MAX = 64,
	IKE_PSK_MAX = 128,
	IKE_OUT_MSGS = 4,
	IKE_OUT_EVENTS = 8,
	IKE_CHILD_KEY_MAX = 36, /* AES-256 key + 4-octet salt */
	IKE_NONCE_LEN = 32,	/* our nonces: 256 bits, at least half the PRF key size (§2.10) */
};

struct ike_id {
	uint8_t type; /* IKEV2_ID_IPV4_ADDR or IKEV2_ID_FQDN */
	uint8_t data[IKE_ID_MAX];
	size_t len;
};

/* What the KE payload carries in place of our X25519 public value (struct ike_lies). */
enum ike_ke_lie {
	IKE_KE_HONEST = 0,
	IKE_KE_ZERO,	  /* u = 0 */
	IKE_KE_LOW_ORDER, /* a u-coordinate of order 8 (RFC 7748 §7) */
};

/*
 * Lies: how this endpoint misbehaves when the harness's adversary (sim/) plays it
 * as a lying peer. Used only there; the reference nodes leave it zero. Each field
 * breaks one rule on the sending side, so that the peer's refusal can be judged.
 * No lie is needed for a wrong ID (set local_id) or for a CHILD suite or IKE key
 * length outside the peer's policy (suites, ike_keylen): that is configuration.
 * The fields may change between calls (msgid_offset just before the request it
 * is to spoil).
 */
struct ike_lies {
	bool bad_auth;		  /* our AUTH is computed, then one bit of it flipped */
	uint16_t offer_dh_group;  /* != 0: the DH group of our proposals, answers and KE payloads */
	uint16_t ke_group;	  /* != 0: the group our KE payloads name (proposals keep theirs) */
	enum ike_ke_lie ke_value; /* a public value whose shared secret is all-zero; we then
				     key with the all-zero secret, as the attacker would */
	uint32_t msgid_offset;	  /* added to the message ID of each protected request we send
				     (a constant shift; back to 0, the honest numbering resumes) */
};

/*
 * Deliberate bugs for nodes/mutant.h (`--mutant`), each a receiving-side check
 * left out; set only from a node's mutant, false in the reference.
 */
struct ike_bugs {
	bool skip_responder_auth; /* ike-initiator-skips-auth: the responder's AUTH value is not
				     checked (its ID still is) */
	bool accept_zero_dh;	  /* ike-zero-dh: a small-order X25519 value keys with zeros */
	bool any_msgid;		  /* ike-msgid-any: a request of any message ID is processed */
};

struct ike_cfg {
	uint32_t local_addr, peer_addr; /* IPv4, host byte order: selectors and default IDs */
	uint8_t ts_proto;		/* 17: UDP */
	uint16_t ts_port;		/* 664: both selectors single-port; 0 = any port */
	struct ike_id local_id;		/* len 0: ID_IPV4_ADDR of local_addr */
	struct ike_id peer_id;		/* the ID the peer must send; len 0: any (tests, tools) */
	uint8_t psk[IKE_PSK_MAX];
	size_t psk_len;
	uint16_t ike_keylen;		       /* 128 or 256: ENCR_AES_GCM_16 of the IKE SA */
	uint16_t dh_group;		       /* 31 */
	enum ike_suite suites[IKE_MAX_SUITES]; /* CHILD_SA proposals, preferred first */
	size_t nsuites;
	bool pfs;		/* CHILD_SA rekeys carry a fresh KE */
	uint64_t retrans_base;	/* first retransmission timeout, in now's unit */
	unsigned retrans_tries; /* retransmissions before the SA is declared dead */
	void (*rand_bytes)(void *ctx, uint8_t *buf, size_t n);
	void *rand_ctx;
	struct ike_lies lie; /* the harness's adversary only */
	struct ike_bugs bug; /* mutants only */
};

enum ike_ev_type {
	IKE_EV_IKE_UP = 1,  /* IKE SA authenticated */
	IKE_EV_CHILD_UP,    /* child holds the suite, SPIs and keys; rekeyed_spi_in != 0 on rekey */
	IKE_EV_CHILD_DOWN,  /* child.spi_in/spi_out deleted */
	IKE_EV_IKE_REKEYED, /* the IKE SA has new SPIs and keys */
	IKE_EV_IKE_DOWN,    /* deleted, or the peer stopped answering (notify 0) */
	IKE_EV_ERROR,	    /* an exchange failed: notify says why; from_peer: the peer sent it */
};

struct ike_child_sa {
	enum ike_suite suite;
	uint8_t proto;	  /* IKEV2_PROTO_ESP or IKEV2_PROTO_AH */
	uint32_t spi_in;  /* SPI we receive with (we chose it) */
	uint32_t spi_out; /* SPI we send with (the peer chose it) */
	uint8_t encr_in[IKE_CHILD_KEY_MAX], encr_out[IKE_CHILD_KEY_MAX];
	uint8_t integ_in[32], integ_out[32];
	size_t encr_len, integ_len; /* encr_len includes a GCM salt */
};

struct ike_event {
	enum ike_ev_type type;
	uint8_t exch;
	uint16_t notify;
	bool from_peer; /* IKE_EV_ERROR: the peer refused us with notify (else we refused it) */
	uint32_t rekeyed_spi_in;
	struct ike_child_sa child;
};

struct ike_out {
	uint8_t msg[IKE_OUT_MSGS][IKEV2_MSG_MAX];
	size_t len[IKE_OUT_MSGS];
	size_t nmsg;
	uint64_t timer_at; /* the one deadline to call ike_timer at; IKE_TIMER_NONE: none */
	struct ike_event ev[IKE_OUT_EVENTS];
	size_t nev;
	size_t dropped;		/* outputs that did not fit: a bug */
	struct ike_event spill; /* where an event that did not fit goes, then ignored */
};

struct ike_stats {
	uint64_t rx, tx;
	uint64_t rx_malformed;	/* unparseable: dropped or answered INVALID_SYNTAX */
	uint64_t rx_bad_icv;	/* SK payload failed authentication: dropped */
	uint64_t rx_unexpected; /* wrong SPI, message ID, state: dropped */
	uint64_t retransmits;	/* our requests sent again */
	uint64_t resp_resent;	/* cached responses sent for retransmitted requests */
	uint64_t collisions;	/* §2.8.1 simultaneous rekeys resolved */
};

enum ike_state {
	IKE_S_IDLE,
	IKE_S_INIT_SENT, /* initiator: waiting for the IKE_SA_INIT response */
	IKE_S_AUTH_SENT, /* initiator: waiting for the IKE_AUTH response */
	IKE_S_INIT_DONE, /* responder: answered IKE_SA_INIT, waiting for IKE_AUTH */
	IKE_S_ESTABLISHED,
	IKE_S_DEAD,
};

enum ike_req_kind {
	IKE_REQ_NONE,
	IKE_REQ_INIT,
	IKE_REQ_AUTH,
	IKE_REQ_CHILD_NEW,
	IKE_REQ_CHILD_REKEY,
	IKE_REQ_IKE_REKEY,
	IKE_REQ_DELETE_CHILD,
	IKE_REQ_DELETE_IKE,
	IKE_REQ_LIVENESS,
	IKE_REQ_AUTH_FAILED, /* §2.21.2: we refused the responder's AUTH; sent once, then we die */
};

/* Our outstanding request on one IKE SA (window size 1, §2.3). */
struct ike_req {
	enum ike_req_kind kind;
	uint32_t msgid;
	uint8_t bytes[IKEV2_MSG_MAX];
	size_t len;
	unsigned tries;
	uint64_t deadline;
	/* what the exchange needs to finish */
	uint8_t nonce[32];
	void *dh; /* our X25519 key (EVP_PKEY), owned */
	bool with_ke;
	uint32_t spi_in;      /* CHILD: our new inbound SPI */
	uint64_t new_spi;     /* IKE rekey: our new IKE SPI */
	uint32_t old_spi_in;  /* CHILD rekey / delete: the child concerned */
	enum ike_suite suite; /* CHILD_NEW: the one suite offered */
};

/* One IKE SA: its keys, its two message-ID windows and their caches. */
struct ike_sa {
	bool live;
	bool initiator; /* original initiator of this IKE SA: sets the I flag */
	uint64_t spi_i, spi_r;
	struct ikev2_keys keys;
	struct ikev2_sk_key enc, dec;
	uint64_t iv;	       /* explicit GCM IV counter for our messages */
	uint32_t next_req_id;  /* message ID of our next request */
	uint32_t peer_next_id; /* message ID we expect in the peer's next request */
	bool have_resp;
	uint32_t resp_id;
	uint8_t resp[IKEV2_MSG_MAX]; /* our last response, resent on a retransmitted request */
	size_t resp_len;
	struct ike_req req;
};

struct ike_child_slot {
	bool used;
	struct ike_child_sa sa;
	bool rekeying;		    /* we have a rekey of it outstanding */
	bool peer_rekeyed;	    /* the peer rekeyed it while ours was outstanding (§2.8.1) */
	uint8_t peer_nonces[2][32]; /* Ni, Nr of the peer's rekey exchange */
	uint32_t peer_new_spi_in;   /* the child created by the peer's rekey */
};

struct ike {
	struct ike_cfg cfg;
	enum ike_state state;
	struct ike_sa sa;  /* the current IKE SA */
	struct ike_sa old; /* after an IKE rekey, until its DELETE completes */
	/* IKE_SA_INIT material kept for the AUTH payloads (§2.15) */
	uint8_t msg1[IKEV2_MSG_MAX], msg2[IKEV2_MSG_MAX];
	size_t msg1_len, msg2_len;
	uint8_t ni[IKEV2_NONCE_MAX], nr[IKEV2_NONCE_MAX]; /* the peer's may be up to 256 */
	size_t ni_len, nr_len;
	void *dh;		 /* initiator: our IKE_SA_INIT X25519 key, owned */
	uint32_t auth_child_spi; /* initiator: inbound SPI offered in IKE_AUTH */
	struct ike_child_slot child[IKE_MAX_CHILDREN];
	struct ike_stats stats;
};

int ike_init(struct ike *e, const struct ike_cfg *cfg);
/* id := ID_IPV4_ADDR of addr (host byte order), what our default local_id is. */
void ike_id_ipv4(struct ike_id *id, uint32_t addr);
void ike_free(struct ike *e);
void ike_out_reset(struct ike_out *o);

/* Initiator: sends IKE_SA_INIT; IKE_AUTH and the first CHILD_SA follow on their own. */
int ike_start(struct ike *e, uint64_t now, struct ike_out *o);
/* A received UDP 500 payload. Bad input is counted in stats, never fatal. */
int ike_input(struct ike *e, uint64_t now, const uint8_t *p, size_t len, struct ike_out *o);
/* The deadline given in o->timer_at has passed. */
int ike_timer(struct ike *e, uint64_t now, struct ike_out *o);

/* Commands on an established IKE SA; RMC_ESTATE if an exchange is outstanding. */
int ike_create_child(struct ike *e, uint64_t now, enum ike_suite suite, struct ike_out *o);
int ike_rekey_child(struct ike *e, uint64_t now, uint32_t spi_in, struct ike_out *o);
int ike_rekey_ike(struct ike *e, uint64_t now, struct ike_out *o);
int ike_delete_child(struct ike *e, uint64_t now, uint32_t spi_in, struct ike_out *o);
int ike_delete_ike(struct ike *e, uint64_t now, struct ike_out *o);
int ike_liveness(struct ike *e, uint64_t now, struct ike_out *o);

/* The ikev2_decryption_table record of the current IKE SA (after IKE_EV_IKE_UP or
 * IKE_EV_IKE_REKEYED); see proto/ikev2_wireshark.h. RMC_ESTATE before keys exist. */
int ike_wireshark_line(const struct ike *e, char *out, size_t cap);

const struct ike_child_sa *ike_find_child(const struct ike *e, uint32_t spi_in);
size_t ike_nchildren(const struct ike *e);
const char *ike_suite_name(enum ike_suite s);

#endif
