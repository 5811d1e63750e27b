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
	RMCP_PORT_CLEAR = 623,	/* 0x26F, RMCP primary port */
	RMCP_PORT_SECURE = 664, /* 0x298, the patent's TCO port, under IPsec */
	RMCP_VERSION = 0x06,
	RMCP_SEQ_NOACK = 0xFF,
	RMCP_CLASS_ASF = 0x06,
	RMCP_CLASS_ACK_BIT = 0x80,
	RMCP_HLEN = 4,
	ASF_HLEN = 8,
	ASF_IANA = 4542,	 /* 0x000011BE */
	ASF_IANA_COMMIT = 32473, /* RFC 5612 documentation number: our commit messages */
	ASF_MAX_DATA = 255,
};

/*
 * Which requests and commands a NIC may answer in the clear: one bit each in
 * its configuration (nodes/nvram.h `clear_msgs`; the bit numbers are part of
 * the NVRAM image, docs/internals/nvram.md). Types a NIC sends have none.
 */
enum asf_clear_msg {
	ASF_CLEAR_PRESENCE_PING = 1u << 0,
	ASF_CLEAR_CAPABILITIES = 1u << 1,
	ASF_CLEAR_SYSTEM_STATE = 1u << 2,
	ASF_CLEAR_RESET = 1u << 3,
	ASF_CLEAR_POWER_UP = 1u << 4,
	ASF_CLEAR_POWER_DOWN = 1u << 5,
	ASF_CLEAR_POWER_CYCLE = 1u << 6,
	ASF_CLEAR_ALL_MSGS = 0x7f,
};

/*
 * The one list of ASF message types (DSP0136 §3.2.2.3 table "General RMCP
 * ASF Data"), expanded wherever the vocabulary is needed:
 *   X(enum name, type, name as Wireshark's packet-asf.c prints it,
 *     the word scenario files use, the NIC's clear-permission bit (0: none),
 *     the response a request gets (0: a command, answered by an RMCP ACK only))
 */
#define ASF_TYPES(X)                                                                               \
	X(ASF_RESET, 0x10, "Reset", "reset", ASF_CLEAR_RESET, 0)                                   \
	X(ASF_POWER_UP, 0x11, "Power-up", "power_up", ASF_CLEAR_POWER_UP, 0)                       \
	X(ASF_POWER_DOWN, 0x12, "Unconditional Power-down", "power_down", ASF_CLEAR_POWER_DOWN, 0) \
	X(ASF_POWER_CYCLE, 0x13, "Power Cycle Reset", "power_cycle", ASF_CLEAR_POWER_CYCLE, 0)     \
	X(ASF_PRESENCE_PONG, 0x40, "Presence Pong", "presence_pong", 0, 0)                         \
	X(ASF_CAPABILITIES_RESP, 0x41, "Capabilities Response", "capabilities_response", 0, 0)     \
	X(ASF_SYSTEM_STATE_RESP, 0x42, "System State Response", "system_state_response", 0, 0)     \
	X(ASF_PRESENCE_PING, 0x80, "Presence Ping", "presence_ping", ASF_CLEAR_PRESENCE_PING,      \
	  ASF_PRESENCE_PONG)                                                                       \
	X(ASF_CAPABILITIES_REQ, 0x81, "Capabilities Request", "capabilities_request",              \
	  ASF_CLEAR_CAPABILITIES, ASF_CAPABILITIES_RESP)                                           \
	X(ASF_SYSTEM_STATE_REQ, 0x82, "System State Request", "system_state_request",              \
	  ASF_CLEAR_SYSTEM_STATE, ASF_SYSTEM_STATE_RESP)

#define ASF_TYPE_ENUM_(name, value, text, word, clear, response) name = value,
enum asf_type { ASF_TYPES(ASF_TYPE_ENUM_) };
#undef ASF_TYPE_ENUM_

/*
 * The refresh commit's message types, only under IANA ASF_IANA_COMMIT
 * (proto/commit_wire.h): X(enum name, type, the word scenario files and
 * logs use).
 */
#define COMMIT_TYPES(X)                                                                            \
	X(ASF_COMMIT_READY, 0x01, "sa_ready")                                                      \
	X(ASF_COMMIT_ACK, 0x02, "sa_ack")                                                          \
	X(ASF_COMMIT_CONFIRM, 0x03, "sa_confirm")

#define COMMIT_TYPE_ENUM_(name, value, word) name = value,
enum commit_type { COMMIT_TYPES(COMMIT_TYPE_ENUM_) };
#undef COMMIT_TYPE_ENUM_

struct rmcp_msg {
	uint8_t seq;
	bool is_ack; /* RMCP ACK: nothing below is valid */
	uint32_t iana;
	uint8_t type;
	uint8_t tag;
	uint8_t data_len;
	uint8_t data[ASF_MAX_DATA];
};

/*
 * Fails closed. RMC_ETRUNC: shorter than a header or than data length.
 * RMC_EINVAL: version not 0x06, reserved byte not 0, class reserved bits
 * (6:4) set or a reserved class, ASF reserved byte not 0, an ACK with
 * anything after its 4 bytes or with sequence 0xFF, bytes after the data.
 * RMC_EUNSUP: a valid class that is not ASF (IPMI 7, OEM 8).
 * The IANA number is not checked here (commit messages use another one);
 * see asf_validate.
 */
int rmcp_decode(const uint8_t *p, size_t len, struct rmcp_msg *out);
int rmcp_encode(const struct rmcp_msg *m, uint8_t *out, size_t cap, size_t *outlen);
/* Builds the ACK for a received message (echoes its sequence number). */
int rmcp_encode_ack(uint8_t seq, uint8_t *out, size_t cap, size_t *outlen);

/* From ASF_TYPES: Wireshark's name ("unknown" for none), the scenario word ("unknown"). */
const char *asf_type_name(uint8_t type);
const char *asf_type_word(uint8_t type);
/* The type a scenario word names: RMC_OK, or RMC_EINVAL for a word not in ASF_TYPES. */
int asf_type_by_word(const char *word, uint8_t *type);
/* The clear-permission bit of a request or command (enum asf_clear_msg), 0 for others. */
unsigned asf_clear_bit(uint8_t type);
/* The response type a request gets, 0 for a command or a type that is no request. */
uint8_t asf_response(uint8_t type);

/*
 * ASF message bodies (DSP0136 §3.2.4; data byte numbers from 1 as there).
 * Presence Pong (§3.2.4.3, 16 bytes): IANA (1-4), OEM-defined (5-8),
 * supported entities (9), supported interactions (10), reserved (11-16).
 * Capabilities Response (§3.2.4.4, 16 bytes): IANA (1-4), OEM-defined
 * (5-8), special commands bit mask (9-10), system capabilities (11),
 * system firmware capabilities (12-15), reserved (16). System State
 * Response (§3.2.4.5, 2 bytes): system state, watchdog timer state.
 * Reset / Power-Up / Power Cycle Reset (§3.2.4.1): no data, or 11 bytes
 * of boot options: IANA (1-4), special command (5), special command
 * parameter (6-7), boot options bit mask (8-9), OEM parameters (10-11).
 * Unconditional Power-Down (§3.2.4.2), the requests and Ping: no data.
 */
enum {
	ASF_PONG_LEN = 16,
	ASF_CAPS_LEN = 16,
	ASF_SYSTEM_STATE_LEN = 2,
	ASF_BOOT_OPTS_LEN = 11,
	ASF_ENTITY_IPMI = 0x80,	      /* §3.2.4.3 supported entities bit 7 */
	ASF_ENTITY_ASF_V1 = 0x01,     /* bits 3:0 = 0001b: ASF version 1.0 */
	ASF_INTERACT_SECURITY = 0x80, /* supported interactions bit 7 */
};

struct asf_pong {
	uint32_t iana;
	uint32_t oem;
	uint8_t entities;     /* bit 7: IPMI supported; bits 0-3: ASF version */
	uint8_t interactions; /* bit 7: RMCP security extensions; 6:0 reserved in ASF 2.0 */
};

struct asf_system_state {
	uint8_t system_state; /* ACPI-like: 0 S0 working, 1-4 S1-S4, 5 S5 soft off, 6 S4/S5, 7 G3
				 mech off, 8 S1-S3, 9 G1, 10 override, 11 legacy on, 12 legacy off,
				 14 unknown */
	uint8_t watchdog;     /* 0 expired/not running, 1 running */
};

/* §3.2.4.4 Capabilities Response. */
struct asf_caps {
	uint32_t iana;
	uint32_t oem;
	uint16_t special_cmds; /* byte 9 high, byte 10 low: bit 0 force PXE .. bit 4 force CD/DVD */
	uint8_t
	    system_caps;  /* bit 7 reset, 6 power-up, 5 power-down, 4 power cycle (either port) */
	uint32_t fw_caps; /* bytes 12-15 as a big-endian word */
};

/* §3.2.4.1 boot options carried by Reset, Power-Up and Power Cycle Reset. */
struct asf_boot_opts {
	uint32_t iana;
	uint8_t special_cmd;
	uint16_t special_param;
	uint16_t boot_opts;
	uint16_t oem_params;
};

/*
 * Checks a decoded ASF_IANA message against §3.2.4: known type and the data
 * length that type allows. RMC_EUNSUP for an unknown type or another IANA.
 */
int asf_validate(const struct rmcp_msg *m);

/*
 * The encoders set iana (ASF_IANA), type and the data; seq and tag stay as
 * the caller set them (a response copies the request's tag). The decoders
 * check iana, type and data length first and fail with RMC_EINVAL.
 */
int asf_pong_encode(const struct asf_pong *b, struct rmcp_msg *m);
int asf_pong_decode(const struct rmcp_msg *m, struct asf_pong *b);
int asf_system_state_encode(const struct asf_system_state *b, struct rmcp_msg *m);
int asf_system_state_decode(const struct rmcp_msg *m, struct asf_system_state *b);
int asf_caps_encode(const struct asf_caps *b, struct rmcp_msg *m);
int asf_caps_decode(const struct rmcp_msg *m, struct asf_caps *b);
/*
 * Any body-less type: the requests, Ping and Power-Down take opts NULL.
 * Reset, Power-Up, Power Cycle Reset: opts NULL for none, else the 11 bytes.
 */
int asf_command_encode(uint8_t type, const struct asf_boot_opts *opts, struct rmcp_msg *m);
/* *has_opts false and *opts zeroed when the command carried none. */
int asf_command_decode(const struct rmcp_msg *m, struct asf_boot_opts *opts, bool *has_opts);

#endif
