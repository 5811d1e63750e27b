/*
 * RMCP/ASF (DMTF DSP0136 §3.2): a Presence Ping written out from the spec,
 * round trips of every message type, every truncation length, each
 * malformed class, and Wireshark's own dissector reading what we emit.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/build.h"
#include "proto/err.h"
#include "proto/pkt.h"
#include "proto/rd.h"
#include "proto/rmcp.h"

/*
 * DSP0136 §3.2.2.1 RMCP header: version 06h, reserved 00h, sequence FFh (no
 * ACK wanted), class 06h (ASF). §3.2.2.3 data: IANA 4542 = 00 00 11 BEh,
 * type 80h Presence Ping, tag, reserved 00h, data length 00h.
 */
static const uint8_t ping_bytes[] = {0x06, 0x00, 0xff, 0x06, 0x00, 0x00,
				     0x11, 0xbe, 0x80, 0x2a, 0x00, 0x00};

static uint8_t buf[512];
static size_t n;

Test(rmcp, presence_ping_known_bytes)
{
	struct rmcp_msg m = {.seq = RMCP_SEQ_NOACK, .tag = 0x2a};
	cr_assert_eq(asf_command_encode(ASF_PRESENCE_PING, NULL, &m), RMC_OK);
	cr_assert_eq(rmcp_encode(&m, buf, sizeof(buf), &n), RMC_OK);
	cr_assert_eq(n, sizeof(ping_bytes));
	cr_assert_arr_eq(buf, ping_bytes, n);

	struct rmcp_msg d;
	cr_assert_eq(rmcp_decode(ping_bytes, sizeof(ping_bytes), &d), RMC_OK);
	cr_assert_not(d.is_ack);
	cr_assert_eq(d.seq, 0xff);
	cr_assert_eq(d.iana, ASF_IANA);
	cr_assert_eq(d.type, ASF_PRESENCE_PING);
	cr_assert_eq(d.tag, 0x2a);
	cr_assert_eq(d.data_len, 0);
	cr_assert_eq(asf_validate(&d), RMC_OK);
}

/* DSP0136 §3.2.3: the ACK echoes version, reserved, sequence; class | 80h. */
Test(rmcp, ack_known_bytes)
{
	static const uint8_t ack[] = {0x06, 0x00, 0x05, 0x86};
	struct rmcp_msg d;
	cr_assert_eq(rmcp_encode_ack(5, buf, sizeof(buf), &n), RMC_OK);
	cr_assert_eq(n, 4);
	cr_assert_arr_eq(buf, ack, 4);
	cr_assert_eq(rmcp_decode(ack, 4, &d), RMC_OK);
	cr_assert(d.is_ack);
	cr_assert_eq(d.seq, 5);
	struct rmcp_msg m = {.seq = 5, .is_ack = true};
	cr_assert_eq(rmcp_encode(&m, buf, sizeof(buf), &n), RMC_OK);
	cr_assert_arr_eq(buf, ack, 4);
	cr_assert_eq(rmcp_encode_ack(RMCP_SEQ_NOACK, buf, sizeof(buf), &n), RMC_EINVAL);
	cr_assert_eq(rmcp_encode_ack(5, buf, 3, &n), RMC_ENOSPC);
}

/* One message of every type, filled through the body encoders. */
static const struct asf_pong pong = {ASF_IANA, 0x01020304, ASF_ENTITY_IPMI | ASF_ENTITY_ASF_V1,
				     ASF_INTERACT_SECURITY};
static const struct asf_caps caps = {ASF_IANA, 0xa1b2c3d4, 0x001f, 0xf0, 0x000078f8};
static const struct asf_system_state state = {5, 1};
static const struct asf_boot_opts opts = {ASF_IANA, 0x01, 0x1234, 0x0040, 0xbeef};

struct example {
	uint8_t type;
	bool with_opts;
	uint8_t data_len;
};

static const struct example examples[] = {
    {ASF_RESET, false, 0},
    {ASF_RESET, true, 11},
    {ASF_POWER_UP, false, 0},
    {ASF_POWER_UP, true, 11},
    {ASF_POWER_DOWN, false, 0},
    {ASF_POWER_CYCLE, false, 0},
    {ASF_POWER_CYCLE, true, 11},
    {ASF_PRESENCE_PONG, false, 16},
    {ASF_CAPABILITIES_RESP, false, 16},
    {ASF_SYSTEM_STATE_RESP, false, 2},
    {ASF_PRESENCE_PING, false, 0},
    {ASF_CAPABILITIES_REQ, false, 0},
    {ASF_SYSTEM_STATE_REQ, false, 0},
};
enum { NEXAMPLES = sizeof(examples) / sizeof(examples[0]) };

static void
make(const struct example *e, uint8_t seq, struct rmcp_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->seq = seq;
	m->tag = (uint8_t)(seq * 3);
	switch (e->type) {
	case ASF_PRESENCE_PONG:
		cr_assert_eq(asf_pong_encode(&pong, m), RMC_OK);
		break;
	case ASF_CAPABILITIES_RESP:
		cr_assert_eq(asf_caps_encode(&caps, m), RMC_OK);
		break;
	case ASF_SYSTEM_STATE_RESP:
		cr_assert_eq(asf_system_state_encode(&state, m), RMC_OK);
		break;
	default:
		cr_assert_eq(asf_command_encode(e->type, e->with_opts ? &opts : NULL, m), RMC_OK);
	}
	cr_assert_eq(m->data_len, e->data_len, "%s", asf_type_name(e->type));
}

static void
check_body(const struct example *e, const struct rmcp_msg *d)
{
	struct asf_pong p;
	struct asf_caps c;
	struct asf_system_state s;
	struct asf_boot_opts o;
	bool has;

	switch (e->type) {
	case ASF_PRESENCE_PONG:
		cr_assert_eq(asf_pong_decode(d, &p), RMC_OK);
		cr_assert(p.iana == pong.iana && p.oem == pong.oem && p.entities == pong.entities &&
			  p.interactions == pong.interactions);
		/* §3.2.4.3 bytes 11-16 are reserved, zero. */
		for (size_t i = 10; i < 16; i++)
			cr_assert_eq(d->data[i], 0);
		break;
	case ASF_CAPABILITIES_RESP:
		cr_assert_eq(asf_caps_decode(d, &c), RMC_OK);
		cr_assert(c.iana == caps.iana && c.oem == caps.oem &&
			  c.special_cmds == caps.special_cmds &&
			  c.system_caps == caps.system_caps && c.fw_caps == caps.fw_caps);
		cr_assert_eq(d->data[15], 0);
		break;
	case ASF_SYSTEM_STATE_RESP:
		cr_assert_eq(asf_system_state_decode(d, &s), RMC_OK);
		cr_assert(s.system_state == 5 && s.watchdog == 1);
		break;
	default:
		cr_assert_eq(asf_command_decode(d, &o, &has), RMC_OK);
		cr_assert_eq(has, e->with_opts);
		if (has)
			cr_assert(o.iana == opts.iana && o.special_cmd == opts.special_cmd &&
				  o.special_param == opts.special_param &&
				  o.boot_opts == opts.boot_opts && o.oem_params == opts.oem_params);
	}
}

Test(rmcp, round_trip_every_type)
{
	for (size_t i = 0; i < NEXAMPLES; i++) {
		struct rmcp_msg m, d;
		make(&examples[i], (uint8_t)i, &m);
		cr_assert_eq(rmcp_encode(&m, buf, sizeof(buf), &n), RMC_OK);
		cr_assert_eq(n, 12u + examples[i].data_len);
		cr_assert_eq(rmcp_decode(buf, n, &d), RMC_OK);
		cr_assert_eq(d.seq, m.seq);
		cr_assert_eq(d.tag, m.tag);
		cr_assert_eq(d.type, examples[i].type);
		cr_assert_eq(d.iana, ASF_IANA);
		cr_assert_eq(d.data_len, m.data_len);
		cr_assert_arr_eq(d.data, m.data, d.data_len);
		cr_assert_eq(asf_validate(&d), RMC_OK, "%s", asf_type_name(d.type));
		check_body(&examples[i], &d);
	}
}

Test(rmcp, boot_options_byte_layout)
{
	/* §3.2.4.1: IANA, special command, parameter, boot options, OEM parameters. */
	static const uint8_t want[] = {0x00, 0x00, 0x11, 0xbe, 0x01, 0x12,
				       0x34, 0x00, 0x40, 0xbe, 0xef};
	struct rmcp_msg m = {0};
	cr_assert_eq(asf_command_encode(ASF_RESET, &opts, &m), RMC_OK);
	cr_assert_eq(m.data_len, sizeof(want));
	cr_assert_arr_eq(m.data, want, sizeof(want));
}

Test(rmcp, capabilities_byte_layout)
{
	/* §3.2.4.4: IANA, OEM, special commands (2), system caps, fw caps (4), reserved. */
	static const uint8_t want[] = {0x00, 0x00, 0x11, 0xbe, 0xa1, 0xb2, 0xc3, 0xd4,
				       0x00, 0x1f, 0xf0, 0x00, 0x00, 0x78, 0xf8, 0x00};
	struct rmcp_msg m = {0};
	cr_assert_eq(asf_caps_encode(&caps, &m), RMC_OK);
	cr_assert_arr_eq(m.data, want, sizeof(want));
}

Test(rmcp, encoders_refuse_bodies_a_type_cannot_carry)
{
	struct rmcp_msg m = {0};
	cr_assert_eq(asf_command_encode(ASF_POWER_DOWN, &opts, &m), RMC_EINVAL);
	cr_assert_eq(asf_command_encode(ASF_PRESENCE_PING, &opts, &m), RMC_EINVAL);
	cr_assert_eq(asf_command_encode(ASF_PRESENCE_PONG, NULL, &m), RMC_EINVAL);
	cr_assert_eq(asf_command_encode(0x55, NULL, &m), RMC_EINVAL);
	m.data_len = 40;
	cr_assert_eq(rmcp_encode(&m, buf, 12 + 39, &n), RMC_ENOSPC);
}

Test(truncation, every_length_of_every_type)
{
	for (size_t i = 0; i < NEXAMPLES; i++) {
		struct rmcp_msg m, d;
		uint8_t msg[64];
		size_t len;
		make(&examples[i], 1, &m);
		cr_assert_eq(rmcp_encode(&m, msg, sizeof(msg), &len), RMC_OK);
		for (size_t k = 0; k < len; k++)
			cr_assert_eq(rmcp_decode(msg, k, &d), RMC_ETRUNC, "%s len %zu",
				     asf_type_name(m.type), k);
	}
	struct rmcp_msg d;
	cr_assert_eq(rmcp_encode_ack(9, buf, sizeof(buf), &n), RMC_OK);
	for (size_t k = 0; k < n; k++)
		cr_assert_eq(rmcp_decode(buf, k, &d), RMC_ETRUNC);
}

static int
decode_edited(size_t off, uint8_t val)
{
	uint8_t b[sizeof(ping_bytes)];
	struct rmcp_msg d;
	memcpy(b, ping_bytes, sizeof(b));
	b[off] = val;
	return rmcp_decode(b, sizeof(b), &d);
}

Test(malformed, header_fields)
{
	cr_assert_eq(decode_edited(0, 0x07), RMC_EINVAL, "version");
	cr_assert_eq(decode_edited(0, 0x00), RMC_EINVAL, "version");
	cr_assert_eq(decode_edited(1, 0x01), RMC_EINVAL, "reserved");
	cr_assert_eq(decode_edited(3, 0x07), RMC_EUNSUP, "class IPMI");
	cr_assert_eq(decode_edited(3, 0x08), RMC_EUNSUP, "class OEM");
	cr_assert_eq(decode_edited(3, 0x00), RMC_EINVAL, "class reserved");
	cr_assert_eq(decode_edited(3, 0x05), RMC_EINVAL, "class reserved");
	cr_assert_eq(decode_edited(3, 0x0f), RMC_EINVAL, "class reserved");
	cr_assert_eq(decode_edited(3, 0x16), RMC_EINVAL, "class bits 6:4");
	cr_assert_eq(decode_edited(10, 0x01), RMC_EINVAL, "ASF reserved");
	cr_assert_eq(decode_edited(11, 0x01), RMC_ETRUNC, "data length past the end");
	cr_assert_eq(decode_edited(11, 0xff), RMC_ETRUNC, "data length past the end");
}

Test(malformed, ack_with_data_or_noack_sequence)
{
	static const uint8_t ack_data[] = {0x06, 0x00, 0x05, 0x86, 0x00};
	static const uint8_t ack_ff[] = {0x06, 0x00, 0xff, 0x86};
	static const uint8_t ack_long[] = {0x06, 0x00, 0x05, 0x86, 0x00, 0x00,
					   0x11, 0xbe, 0x80, 0x00, 0x00, 0x00};
	struct rmcp_msg d;
	cr_assert_eq(rmcp_decode(ack_data, sizeof(ack_data), &d), RMC_EINVAL);
	cr_assert_eq(rmcp_decode(ack_long, sizeof(ack_long), &d), RMC_EINVAL);
	cr_assert_eq(rmcp_decode(ack_ff, sizeof(ack_ff), &d), RMC_EINVAL);
}

Test(malformed, bytes_after_the_data)
{
	uint8_t b[sizeof(ping_bytes) + 1];
	struct rmcp_msg d;
	memcpy(b, ping_bytes, sizeof(ping_bytes));
	b[sizeof(ping_bytes)] = 0;
	cr_assert_eq(rmcp_decode(b, sizeof(b), &d), RMC_EINVAL);
}

Test(malformed, data_length_the_type_does_not_allow)
{
	static const struct {
		uint8_t type, len;
		int want;
	} cases[] = {
	    {ASF_PRESENCE_PING, 1, RMC_EINVAL},
	    {ASF_POWER_DOWN, 11, RMC_EINVAL},
	    {ASF_RESET, 10, RMC_EINVAL},
	    {ASF_RESET, 1, RMC_EINVAL},
	    {ASF_RESET, 12, RMC_OK},
	    {ASF_PRESENCE_PONG, 15, RMC_EINVAL},
	    {ASF_PRESENCE_PONG, 17, RMC_EINVAL},
	    {ASF_CAPABILITIES_RESP, 0, RMC_EINVAL},
	    {ASF_SYSTEM_STATE_RESP, 1, RMC_EINVAL},
	    {ASF_SYSTEM_STATE_REQ, 2, RMC_EINVAL},
	    {ASF_CAPABILITIES_REQ, 16, RMC_EINVAL},
	    {0x14, 0, RMC_EUNSUP},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rmcp_msg m = {
		    .iana = ASF_IANA, .type = cases[i].type, .data_len = cases[i].len};
		cr_assert_eq(asf_validate(&m), cases[i].want, "case %zu", i);
	}
	struct rmcp_msg other = {.iana = ASF_IANA_COMMIT, .type = ASF_COMMIT_READY};
	cr_assert_eq(asf_validate(&other), RMC_EUNSUP);
}

Test(malformed, body_decoders_check_type_and_length)
{
	struct rmcp_msg m = {0};
	struct asf_pong p;
	struct asf_caps c;
	struct asf_system_state s;
	struct asf_boot_opts o;
	bool has;

	asf_pong_encode(&pong, &m);
	cr_assert_eq(asf_caps_decode(&m, &c), RMC_EINVAL);
	cr_assert_eq(asf_system_state_decode(&m, &s), RMC_EINVAL);
	cr_assert_eq(asf_command_decode(&m, &o, &has), RMC_EINVAL);
	m.data_len = 15;
	cr_assert_eq(asf_pong_decode(&m, &p), RMC_EINVAL);
	m.data_len = 16;
	m.iana = ASF_IANA_COMMIT;
	cr_assert_eq(asf_pong_decode(&m, &p), RMC_EINVAL);
	asf_command_encode(ASF_RESET, &opts, &m);
	m.data_len = 5;
	cr_assert_eq(asf_command_decode(&m, &o, &has), RMC_EINVAL);
}

/* Names as Wireshark's packet-asf.c prints them (DSP0136's for 13h). */
Test(rmcp, every_type_has_its_name)
{
	static const struct {
		uint8_t type;
		const char *name;
	} names[] = {
	    {0x10, "Reset"},
	    {0x11, "Power-up"},
	    {0x12, "Unconditional Power-down"},
	    {0x13, "Power Cycle Reset"},
	    {0x40, "Presence Pong"},
	    {0x41, "Capabilities Response"},
	    {0x42, "System State Response"},
	    {0x80, "Presence Ping"},
	    {0x81, "Capabilities Request"},
	    {0x82, "System State Request"},
	};
	size_t named = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_assert_str_eq(asf_type_name(names[i].type), names[i].name);
	for (unsigned t = 0; t < 256; t++)
		named += strcmp(asf_type_name((uint8_t)t), "unknown") != 0;
	cr_assert_eq(named, sizeof(names) / sizeof(names[0]));
#define COUNT_(name, value, text, word, clear, response) +1
	cr_assert_eq(named, 0 ASF_TYPES(COUNT_));
#undef COUNT_
}

/* The scenario word, the NIC's clear-permission bit and the response of every type. */
Test(rmcp, every_type_has_its_word_bit_and_response)
{
	static const struct {
		uint8_t type;
		const char *word;
		unsigned bit;
		uint8_t response;
	} want[] = {
	    {0x10, "reset", ASF_CLEAR_RESET, 0},
	    {0x11, "power_up", ASF_CLEAR_POWER_UP, 0},
	    {0x12, "power_down", ASF_CLEAR_POWER_DOWN, 0},
	    {0x13, "power_cycle", ASF_CLEAR_POWER_CYCLE, 0},
	    {0x40, "presence_pong", 0, 0},
	    {0x41, "capabilities_response", 0, 0},
	    {0x42, "system_state_response", 0, 0},
	    {0x80, "presence_ping", ASF_CLEAR_PRESENCE_PING, 0x40},
	    {0x81, "capabilities_request", ASF_CLEAR_CAPABILITIES, 0x41},
	    {0x82, "system_state_request", ASF_CLEAR_SYSTEM_STATE, 0x42},
	};
	unsigned bits = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint8_t t = 0;
		cr_assert_str_eq(asf_type_word(want[i].type), want[i].word);
		cr_assert_eq(asf_type_by_word(want[i].word, &t), RMC_OK, "%s", want[i].word);
		cr_assert_eq(t, want[i].type, "%s", want[i].word);
		cr_assert_eq(asf_clear_bit(want[i].type), want[i].bit, "%s", want[i].word);
		cr_assert_eq(asf_response(want[i].type), want[i].response, "%s", want[i].word);
		cr_assert_eq(bits & want[i].bit, 0, "%s: bit given twice", want[i].word);
		bits |= want[i].bit;
	}
	cr_assert_eq(bits, ASF_CLEAR_ALL_MSGS, "every bit belongs to one request or command");
	for (unsigned t = 0; t < 256; t++)
		if (strcmp(asf_type_name((uint8_t)t), "unknown") == 0)
			cr_assert(strcmp(asf_type_word((uint8_t)t), "unknown") == 0 &&
				      asf_clear_bit((uint8_t)t) == 0 &&
				      asf_response((uint8_t)t) == 0,
				  "type %u", t);
	uint8_t t = 0;
	cr_assert_eq(asf_type_by_word("unknown", &t), RMC_EINVAL);
	cr_assert_eq(asf_type_by_word("Presence Ping", &t), RMC_EINVAL,
		     "Wireshark's name is no word");
}

/*
 * Wireshark as the independent judge: every message type and an ACK, each in
 * a UDP frame to port 664 from our builder, written to a hand-made pcap
 * (libpcap format: 24-byte global header, 16-byte record headers, DLT 1).
 */
static void
put_u32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);
}

static void
put_u16(FILE *f, uint16_t v)
{
	fwrite(&v, 2, 1, f);
}

static void
write_pcap_header(FILE *f)
{
	put_u32(f, 0xa1b2c3d4);
	put_u16(f, 2);
	put_u16(f, 4);
	put_u32(f, 0);
	put_u32(f, 0);
	put_u32(f, 65535);
	put_u32(f, 1); /* LINKTYPE_ETHERNET */
}

static void
write_pcap_record(FILE *f, uint32_t sec, const uint8_t *frame, size_t len)
{
	put_u32(f, sec);
	put_u32(f, 0);
	put_u32(f, (uint32_t)len);
	put_u32(f, (uint32_t)len);
	fwrite(frame, 1, len, f);
}

static size_t
run(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	size_t len;
	cr_assert_not_null(p, "%s", cmd);
	len = fread(out, 1, cap - 1, p);
	out[len] = '\0';
	cr_assert_eq(pclose(p), 0, "%s", cmd);
	return len;
}

/* Frames tshark marks malformed, with an expert warning or a bad checksum. */
static const char *
flagged(const char *path, char *got, size_t cap)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -d udp.port==664,rmcp -o ip.check_checksum:TRUE "
		 "-o udp.check_checksum:TRUE -Y '_ws.malformed || _ws.expert.severity >= warning "
		 "|| ip.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\"' 2>/dev/null",
		 path);
	run(cmd, got, cap);
	return got;
}

/* Removed on every exit path: a failed assertion ends the test early. */
static char dir[] = "/tmp/rmcpsec-test-XXXXXX";
static char path[64], bad[64];

static void
remove_tmp(void)
{
	if (path[0])
		unlink(path);
	if (bad[0])
		unlink(bad);
	if (strcmp(dir + strlen(dir) - 6, "XXXXXX") != 0)
		rmdir(dir);
}

Test(wireshark, dissects_every_type_without_malformed, .fini = remove_tmp)
{
	char cmd[512], got[4096], want[4096] = "";
	static const struct l2l3 a = {
	    {2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}, 0x0a000001, 0x0a000002, 7, 0};
	struct frame_builder *fb = frame_builder_new();
	uint8_t msg[64], frame[128], ping_frame[128];
	size_t mlen, flen, ping_len = 0;
	FILE *f;

	cr_assert_not_null(fb);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rmcp.pcap", dir);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	write_pcap_header(f);
	for (size_t i = 0; i < NEXAMPLES; i++) {
		struct rmcp_msg m;
		make(&examples[i], (uint8_t)i, &m);
		cr_assert_eq(rmcp_encode(&m, msg, sizeof(msg), &mlen), RMC_OK);
		cr_assert_eq(frame_build_udp(fb, &a, RMCP_PORT_SECURE, RMCP_PORT_SECURE, msg, mlen,
					     frame, sizeof(frame), &flen),
			     RMC_OK);
		write_pcap_record(f, (uint32_t)i, frame, flen);
		if (examples[i].type == ASF_PRESENCE_PING) {
			memcpy(ping_frame, frame, flen);
			ping_len = flen;
		}
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "0x%02x\t0x%02x\n",
			 RMCP_CLASS_ASF, examples[i].type);
	}
	cr_assert_eq(rmcp_encode_ack(3, msg, sizeof(msg), &mlen), RMC_OK);
	cr_assert_eq(frame_build_udp(fb, &a, RMCP_PORT_SECURE, RMCP_PORT_SECURE, msg, mlen, frame,
				     sizeof(frame), &flen),
		     RMC_OK);
	write_pcap_record(f, NEXAMPLES, frame, flen);
	/* The other shapes, for Wireshark's Ethernet, ARP and IPv4 checks. */
	cr_assert_eq(frame_build_arp(fb, ARP_OP_REQUEST, a.src_mac, a.src_ip, NULL, a.dst_ip, NULL,
				     frame, sizeof(frame), &flen),
		     RMC_OK);
	write_pcap_record(f, NEXAMPLES + 1, frame, flen);
	cr_assert_eq(frame_build_arp(fb, ARP_OP_REPLY, a.dst_mac, a.dst_ip, a.src_mac, a.src_ip,
				     a.src_mac, frame, sizeof(frame), &flen),
		     RMC_OK);
	write_pcap_record(f, NEXAMPLES + 2, frame, flen);
	memset(msg, 0x5a, 40);
	put_be32(msg, 0x1000); /* ESP SPI, then sequence number 1 (RFC 4303 §2) */
	put_be32(msg + 4, 1);
	cr_assert_eq(frame_build_ipv4(fb, &a, IPPROTO_ESP_, msg, 40, frame, sizeof(frame), &flen),
		     RMC_OK);
	write_pcap_record(f, NEXAMPLES + 3, frame, flen);
	cr_assert_eq(fclose(f), 0);
	frame_builder_free(fb);

	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -T fields -e arp.opcode -e esp.spi -Y 'arp || esp' 2>/dev/null",
		 path);
	run(cmd, got, sizeof(got));
	cr_assert_str_eq(got, "1\t\n2\t\n\t0x00001000\n");

	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -d udp.port==664,rmcp -T fields -e rmcp.class -e asf.type "
		 "-Y 'rmcp.type == 0' 2>/dev/null",
		 path);
	run(cmd, got, sizeof(got));
	cr_assert_str_eq(got, want);

	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -d udp.port==664,rmcp -T fields -e rmcp.sequence "
		 "-Y 'rmcp.type == 1' 2>/dev/null",
		 path);
	run(cmd, got, sizeof(got));
	cr_assert_str_eq(got, "0x03\n", "the ACK");

	cr_assert_str_eq(flagged(path, got, sizeof(got)), "", "tshark flagged frames:\n%s", got);

	/* The check can fail: the same Ping frame with one payload bit flipped. */
	snprintf(bad, sizeof(bad), "%s/bad.pcap", dir);
	f = fopen(bad, "wb");
	cr_assert_not_null(f);
	write_pcap_header(f);
	ping_frame[ETH_HLEN + 20 + 8 + 5] ^= 0x01;
	write_pcap_record(f, 0, ping_frame, ping_len);
	cr_assert_eq(fclose(f), 0);
	cr_assert_str_neq(flagged(bad, got, sizeof(got)), "");

	snprintf(cmd, sizeof(cmd), "tshark -r %s 2>/dev/null | wc -l", path);
	run(cmd, got, sizeof(got));
	cr_assert_eq(atoi(got), NEXAMPLES + 4);
}

/* As in test_pkt.c: mutated messages in exactly-sized buffers, fixed seed. */
static uint32_t
xorshift32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

Test(robustness, mutated_messages)
{
	uint32_t seed = 0x9e3779b9;
	size_t accepted = 0;

	for (int i = 0; i < 100000; i++) {
		struct rmcp_msg m, d;
		uint8_t msg[64];
		size_t len;
		make(&examples[i % NEXAMPLES], (uint8_t)i, &m);
		cr_assert_eq(rmcp_encode(&m, msg, sizeof(msg), &len), RMC_OK);
		for (size_t k = xorshift32(&seed) % 3; k > 0; k--)
			msg[xorshift32(&seed) % len] ^= (uint8_t)(1u << (xorshift32(&seed) % 8));
		if (xorshift32(&seed) % 2)
			len = xorshift32(&seed) % (len + 1);
		uint8_t *exact = malloc(len ? len : 1);
		memcpy(exact, msg, len);
		int rc = rmcp_decode(exact, len, &d);
		cr_assert(rc == RMC_OK || rc == RMC_ETRUNC || rc == RMC_EINVAL || rc == RMC_EUNSUP);
		if (rc == RMC_OK && !d.is_ack) {
			accepted++;
			cr_assert_eq(len, 12u + d.data_len);
			rc = asf_validate(&d);
			cr_assert(rc == RMC_OK || rc == RMC_EINVAL || rc == RMC_EUNSUP);
		}
		free(exact);
	}
	cr_assert_gt(accepted, 1000);
}
