/*
 * ESP, RFC 4303, transport mode, for the two suites of struct sa:
 *
 *   0                   1                   2                   3
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |               Security Parameters Index (SPI)                 |
 *   |                      Sequence Number                          |
 *   |                    IV (8 GCM, 16 CBC) ...                     |
 *   ~              Payload Data, Padding, Pad Length, Next Header   ~
 *   |              Integrity Check Value (16)                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                                       (RFC 4303 §2, Figures 1 and 2)
 *
 * AES-GCM-16 (RFC 4106): nonce = salt || IV, IV = the 64-bit sequence
 * number; AAD = SPI || seq (§5), or SPI || seq-high || seq-low with ESN.
 * AES-CBC + HMAC-SHA-256-128 (RFC 3602, RFC 4868): encrypt, then the ICV
 * over SPI .. ciphertext, followed by seq-high with ESN (RFC 4303 §2.2.1).
 * Padding is 1, 2, 3, ... to 4 bytes (GCM) or 16 (CBC) (RFC 4303 §2.4).
 */
#ifndef RMCPSEC_PROTO_ESP_H
#define RMCPSEC_PROTO_ESP_H

#include <stddef.h>
#include <stdint.h>

#include "proto/sa.h"

enum {
	ESP_HLEN = 8,	     /* SPI + sequence number */
	ESP_GCM_IV_LEN = 8,  /* RFC 4106 §3.1 */
	ESP_CBC_IV_LEN = 16, /* RFC 3602 §3 */
	ESP_TRAILER_LEN = 2, /* pad length + next header */
	ESP_NH_NONE = 59,    /* RFC 4303 §2.6: dummy packet */
	ESP_MAX_OVERHEAD = ESP_HLEN + ESP_CBC_IV_LEN + 15 + ESP_TRAILER_LEN + SA_ICV_LEN,
};

/* Bytes esp_seal will write for a payload of len bytes. */
size_t esp_sealed_len(const struct sa *sa, size_t len);

/*
 * Outbound: writes SPI .. ICV for one payload into out (the caller builds
 * the IP header). Takes the next sequence number: RMC_ESTATE when it is
 * exhausted (2^32 - 1, or 2^64 - 1 with ESN: RFC 4303 §3.3.3 forbids
 * cycling; the SA must be replaced). payload may lie inside out.
 */
int esp_seal(struct sa *sa, uint8_t next_hdr, const uint8_t *payload, size_t len, uint8_t *out,
	     size_t cap, size_t *outlen);

/*
 * Inbound: checks the SPI, the replay window (before any crypto), the ICV,
 * the padding; then moves the window and writes the payload (without
 * padding) to out, which needs room for len - 8 - IV - 16 bytes; out may
 * be esp + 8 + IV exactly (in place). Errors, each counted in sa->stats:
 * RMC_ETRUNC, RMC_ENOENT (SPI), RMC_EREPLAY, RMC_ETOOOLD, RMC_ECRYPTO (ICV),
 * RMC_EINVAL (padding). A next header of 59 (dummy) is returned as is.
 */
int esp_open(struct sa *sa, const uint8_t *esp, size_t len, uint8_t *out, size_t cap,
	     size_t *outlen, uint8_t *next_hdr);

/*
 * Whole IPv4 packets (20-byte header, no options): IP | payload becomes
 * IP | ESP (protocol 50, total length and checksum fixed), and back.
 * out == ip is allowed (in place) if cap is large enough; a GCM packet
 * that fails to open in place is left partly wiped (its plaintext is
 * never left behind unauthenticated).
 */
int esp_seal_ipv4(struct sa *sa, const uint8_t *ip, size_t len, uint8_t *out, size_t cap,
		  size_t *outlen);
int esp_open_ipv4(struct sa *sa, const uint8_t *ip, size_t len, uint8_t *out, size_t cap,
		  size_t *outlen);

/* The SPI of an ESP or AH header, for a SAD lookup. */
int esp_peek_spi(const uint8_t *esp, size_t len, uint32_t *spi);

/* The clear part of an ESP header (for traces and verifiers). */
struct esp_hdr {
	uint32_t spi;
	uint32_t seq; /* low half only with ESN */
};

int esp_decode(const uint8_t *p, size_t len, struct esp_hdr *out);

#endif
