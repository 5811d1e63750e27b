/*
 * RMCP and ASF, after DMTF DSP0136 (ASF 2.0) §3.2.
 *
 *   RMCP header (4 bytes): version 0x06 | reserved 0 | sequence | class
 *     class bits 0-3: message class (6 = ASF), bit 7: this is an RMCP ACK.
 *     sequence 0..254 wraps; 0xFF means "send no RMCP ACK".
 *   ASF header (8 bytes): IANA enterprise (4, 4542 = 0x000011BE) | type |
 *     tag | reserved 0 | data length, then data length bytes.
 *   An RMCP ACK echoes version, reserved, sequence, sets class bit 7 and
 *   carries nothing else.
 */
#ifndef RMCPSEC_PROTO_RMCP_H
#define RMCPSEC_PROTO_RMCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	RMCP_PORT_CLEAR = 623,  /* 0x26F, RMCP primary port */
	RMCP_PORT_SECURE = 664, /* 0x298, the patent's TCO port, under IPsec */
	RMCP_VERSION = 0x06,
	RMCP_SEQ_NOACK = 0xFF,
	RMCP_CLASS_ASF = 0x06,
	RMCP_CLASS_ACK_BIT = 0x80,
	RMCP_HLEN = 4,
	ASF_HLEN = 8,
	ASF_IANA = 4542,        /* 0x000011BE */
	ASF_IANA_COMMIT = 32473, /* RFC 5612 documentation number: our commit messages */
	ASF_MAX_DATA = 255,
};

enum asf_type {
	ASF_RESET = 0x10,
	ASF_POWER_UP = 0x11,
	ASF_POWER_DOWN = 0x12, /* unconditional power-down */
	ASF_POWER_CYCLE = 0x13,
	ASF_PRESENCE_PONG = 0x40,
	ASF_CAPABILITIES_RESP = 0x41,
	ASF_SYSTEM_STATE_RESP = 0x42,
	ASF_PRESENCE_PING = 0x80,
	ASF_CAPABILITIES_REQ = 0x81,
	ASF_SYSTEM_STATE_REQ = 0x82,
};

/* Commit handshake types, only under IANA ASF_IANA_COMMIT (DESIGN §3). */
enum commit_type {
	COMMIT_SA_READY = 0x01,
	COMMIT_SA_ACK = 0x02,
	COMMIT_SA_CONFIRM = 0x03,
};

struct rmcp_msg {
	uint8_t seq;
	bool is_ack;       /* RMCP ACK: nothing below is valid */
	uint32_t iana;
	uint8_t type;
	uint8_t tag;
	uint8_t data_len;
	uint8_t data[ASF_MAX_DATA];
};

/* Fails closed: wrong version, reserved != 0, class not ASF, data length past the end. */
int rmcp_decode(const uint8_t *p, size_t len, struct rmcp_msg *out);
int rmcp_encode(const struct rmcp_msg *m, uint8_t *out, size_t cap, size_t *outlen);
/* Builds the ACK for a received message (echoes its sequence number). */
int rmcp_encode_ack(uint8_t seq, uint8_t *out, size_t cap, size_t *outlen);

const char *asf_type_name(uint8_t type);

/*
 * ASF message bodies (DSP0136 §3.2.4). Pong: IANA (4), OEM (4), supported
 * entities (1), supported interactions (1), reserved (6). Capabilities
 * response: IANA (4), OEM (4), optional commands (1), reserved (1),
 * system capabilities (1), special commands (2), system firmware
 * capabilities (4), reserved... we carry the 16-byte form. System state
 * response: system state (1), watchdog state (1). Reset / power commands:
 * 11 bytes of boot options (IANA, special command, parameter, boot
 * options bit mask, OEM parameters), all zero for a plain command.
 */
struct asf_pong {
	uint32_t iana;
	uint32_t oem;
	uint8_t entities;     /* bit 7: IPMI supported; bits 0-3: ASF version */
	uint8_t interactions; /* bit 5: DASH supported; bit 7: security extensions */
};

struct asf_system_state {
	uint8_t system_state; /* ACPI-like: 0 S0 working, 1-4 S1-S4, 5 S5 soft off, 6 S4/S5, 7 G3 mech off, 8 S1-S3, 9 G1, 10 override, 11 legacy on, 12 legacy off, 14 unknown */
	uint8_t watchdog;     /* 0 expired/not running, 1 running */
};

int asf_pong_encode(const struct asf_pong *b, struct rmcp_msg *m);
int asf_pong_decode(const struct rmcp_msg *m, struct asf_pong *b);
int asf_system_state_encode(const struct asf_system_state *b, struct rmcp_msg *m);
int asf_system_state_decode(const struct rmcp_msg *m, struct asf_system_state *b);

#endif
