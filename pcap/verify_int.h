/* The verifier's state and the checks' entry points; private to pcap/verify*.c. */
#ifndef RMCPSEC_PCAP_VERIFY_INT_H
#define RMCPSEC_PCAP_VERIFY_INT_H

#include "pcap/verify.h"
#include "pcap/verify_seen.h"
#include "proto/crypto.h"
#include "proto/pkt.h"
#include "proto/rmcp.h"

enum { VERIFY_IP_MAX = 65535 };

struct verifier {
	struct verify_policy pol; /* a private copy, allowed_dups sorted */
	struct keyring *keys;
	verify_emit_fn emit;
	void *arg;
	struct verify_stats st;
	struct seen frames;  /* frame digest -> first frame number */
	struct seen seqs;    /* (SA index, sequence) -> first frame */
	struct seen nonces;  /* (key id, GCM IV) -> first frame */
	struct seen commits; /* (SPI pair, transaction id) -> stages seen */
	struct hmac256 digest;
	bool oom;	   /* reported once */
	uint64_t no, t_ns; /* the frame being judged */
	uint8_t ip[VERIFY_IP_MAX];
};

/* Emits one finding about the current frame. */
void verify_report(struct verifier *v, enum verify_id id, uint64_t related, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The value slot for a key, reporting running out of memory once. */
uint64_t *verify_seen(struct verifier *v, struct seen *s, uint64_t k0, uint64_t k1, bool *fresh);

/* IPv4 carrying AH or ESP: opens every layer, then looks at what is inside. */
void verify_ipsec(struct verifier *v, const struct pkt *pk);
/* UDP in the clear: port 664, RMCP port and message policy. */
void verify_clear_udp(struct verifier *v, const struct pkt *pk);
/* A decoded IANA 32473 message that arrived under the SA with this SPI. */
void verify_commit(struct verifier *v, const struct rmcp_msg *m, uint32_t spi);

/* "a.b.c.d" of a host-order address into a 16-byte buffer. */
const char *verify_ip_str(uint32_t a, char buf[16]);

#endif
