/*
 * AH, RFC 4302, transport mode over IPv4, with HMAC-SHA-256-128 (RFC 4868):
 *
 *   0                   1                   2                   3
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Next Header   |  Payload Len  |          RESERVED             |
 *   |                 Security Parameters Index (SPI)               |
 *   |                    Sequence Number Field                      |
 *   |                Integrity Check Value-ICV (variable)           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                                                  (RFC 4302 §2)
 *
 * AH authenticates the IP header, so these functions take whole IPv4
 * packets. The ICV covers the IPv4 header with TOS, flags and fragment
 * offset, TTL and checksum zeroed (§3.3.3.1.1.1), the AH header with its
 * ICV field zeroed, the payload, and the high half of the ESN when ESN is
 * on (§2.5.1: included in the ICV, not sent).
 *
 * Length: 12 bytes + 16-byte ICV = 28 bytes, a multiple of 4 as IPv4
 * needs. Linux (net/ipv4/ah4.c) pads it to 8 bytes by default (32 bytes,
 * Payload Len 6, 4 zero bytes after the ICV, covered by it) and, without
 * "flag align4", rejects 28-byte AH. So we send 32 bytes by default, 28
 * with sa_config.ah_align4, and accept both.
 *
 * The bundle puts AH outside ESP: IP | AH | ESP | UDP (RFC 4301 §4.5).
 */
#ifndef RMCPSEC_PROTO_AH_H
#define RMCPSEC_PROTO_AH_H

#include <stddef.h>
#include <stdint.h>

#include "proto/sa.h"

enum {
	AH_FIXED_LEN = 12,
	AH_LEN_ALIGN4 = AH_FIXED_LEN + SA_ICV_LEN,     /* 28 */
	AH_LEN_ALIGN8 = AH_FIXED_LEN + SA_ICV_LEN + 4, /* 32, Linux's default */
};

/* An AH header as on the wire (p: first byte after the IPv4 header). */
struct ah_hdr {
	uint8_t next_hdr;
	uint16_t reserved; /* RFC 4302 §2.3: sent as 0, ignored (but ICV-covered) on receipt */
	size_t len;	   /* (Payload Len + 2) * 4, RFC 4302 §2.2 */
	uint32_t spi;
	uint32_t seq;	    /* low half only with ESN */
	const uint8_t *icv; /* into p: ICV and any ICV padding */
	size_t icv_len;
};

/*
 * Pure decoder: RMC_ETRUNC if p holds less than the declared length or the
 * length is below the fixed 12 bytes. A non-zero RESERVED is reported in
 * out->reserved, not refused.
 */
int ah_decode(const uint8_t *p, size_t len, struct ah_hdr *out);

/* Bytes the AH header adds for this SA (28 or 32). */
size_t ah_hdr_len(const struct sa *sa);

/*
 * IP | payload -> IP | AH | payload (protocol 51, total length and
 * checksum fixed; the other header fields as given). out == ip allowed.
 * RMC_ESTATE when the sequence number is exhausted.
 */
int ah_seal_ipv4(struct sa *sa, const uint8_t *ip, size_t len, uint8_t *out, size_t cap,
		 size_t *outlen);

/*
 * IP | AH | payload -> IP | payload, after the SPI, the replay window and
 * the ICV are checked; the window moves only then. Errors as esp_open,
 * each counted in sa->stats. out == ip allowed.
 */
int ah_open_ipv4(struct sa *sa, const uint8_t *ip, size_t len, uint8_t *out, size_t cap,
		 size_t *outlen);

/* IP | UDP -> IP | AH | ESP | UDP, the patent's policy (ESP + AH). */
int ipsec_bundle_seal_ipv4(struct sa *ah, struct sa *esp, const uint8_t *ip, size_t len,
			   uint8_t *out, size_t cap, size_t *outlen);
/* IP | AH | ESP | UDP -> IP | UDP; RMC_EINVAL if the layers are not AH then ESP. */
int ipsec_bundle_open_ipv4(struct sa *ah, struct sa *esp, const uint8_t *ip, size_t len,
			   uint8_t *out, size_t cap, size_t *outlen);

/* Which SAs ipsec_input_ipv4 applied, for the caller's policy check. */
struct ipsec_applied {
	struct sa *ah;
	struct sa *esp;
};

/*
 * Inbound processing of any IPv4 packet by SAD lookup: removes AH and
 * then ESP (whichever are present, in that order), looking each SPI up in
 * db (misses count in db->stats.unknown_spi and return RMC_ENOENT). A
 * packet with neither is copied through with nothing applied.
 */
int ipsec_input_ipv4(struct sad *db, const uint8_t *ip, size_t len, uint8_t *out, size_t cap,
		     size_t *outlen, struct ipsec_applied *applied);

#endif
