/*
 * The refresh commit's three messages on the wire (docs/internals/mechanism.md, docs/users/verify.md
 * "Commit message body"): an ASF message with IANA enterprise 32473, type
 * 1 SA_READY, 2 SA_ACK or 3 SA_CONFIRM, 16 data bytes, big-endian: the new
 * SA's SPI into the NIC, its SPI out of the NIC, the transaction id and
 * the NIC's NVRAM generation. Always carried on UDP 664 under the new SA.
 */
#ifndef RMCPSEC_PROTO_COMMIT_WIRE_H
#define RMCPSEC_PROTO_COMMIT_WIRE_H

#include <stdint.h>

#include "proto/rmcp.h"

/* types: enum commit_type in proto/rmcp.h */
enum { COMMIT_WIRE_LEN = 16, COMMIT_WIRE_RMCP_LEN = RMCP_HLEN + ASF_HLEN + COMMIT_WIRE_LEN };

struct commit_wire {
	uint8_t type;
	uint32_t nic_spi_in;  /* the server sends with it */
	uint32_t nic_spi_out; /* the NIC sends with it */
	uint32_t txid;
	uint32_t gen;
};

/* Fills m's IANA, type and data; seq and tag stay as the caller set them. */
int commit_wire_encode(const struct commit_wire *w, struct rmcp_msg *m);
/* The whole RMCP message (sequence 0xFF: no RMCP ACK) into buf, ready for UDP 664. */
int commit_wire_pack(const struct commit_wire *w, uint8_t *buf, size_t cap, size_t *outlen);
/* RMC_EINVAL: another IANA number, an unknown type, or data that is not 16 bytes. */
int commit_wire_decode(const struct rmcp_msg *m, struct commit_wire *w);
const char *commit_wire_name(uint8_t type); /* "sa_ready", "sa_ack", "sa_confirm", "?" */

#endif
