/*
 * RMCP header and ASF messages, DMTF DSP0136 (ASF 2.0) §3.2.
 *
 *   0      1        2          3
 *   +------+--------+----------+----------------+
 *   | 0x06 | 0x00   | sequence | ack | rsv | cls|   RMCP header (§3.2.2.1)
 *   +------+--------+----------+----------------+
 *   | IANA enterprise number (network order)    |   RMCP data (§3.2.2.3)
 *   +------+--------+----------+----------------+
 *   | type | tag    | reserved | data length    |
 *   +------+--------+----------+----------------+
 *   | data ...                                  |
 */
#include <string.h>

#include "proto/rd.h"
#include "proto/rmcp.h"

enum {
	RMCP_CLASS_MASK = 0x0f,	    /* §3.2.2.1 class of message, bits 3:0 */
	RMCP_CLASS_RSV_MASK = 0x70, /* bits 6:4 reserved */
	RMCP_CLASS_IPMI = 0x07,
	RMCP_CLASS_OEM = 0x08,
};

#define ASF_TYPE_NAME_(name, value, text, word, clear, response) [value] = text,
static const char *const asf_names[256] = {ASF_TYPES(ASF_TYPE_NAME_)};
#undef ASF_TYPE_NAME_
#define ASF_TYPE_WORD_(name, value, text, word, clear, response) [value] = word,
static const char *const asf_words[256] = {ASF_TYPES(ASF_TYPE_WORD_)};
#undef ASF_TYPE_WORD_
#define ASF_TYPE_CLEAR_(name, value, text, word, clear, response) [value] = clear,
static const uint16_t asf_clear_bits[256] = {ASF_TYPES(ASF_TYPE_CLEAR_)};
#undef ASF_TYPE_CLEAR_
#define ASF_TYPE_RESPONSE_(name, value, text, word, clear, response) [value] = response,
static const uint8_t asf_responses[256] = {ASF_TYPES(ASF_TYPE_RESPONSE_)};
#undef ASF_TYPE_RESPONSE_

const char *
asf_type_name(uint8_t type)
{
	return asf_names[type] ? asf_names[type] : "unknown";
}

const char *
asf_type_word(uint8_t type)
{
	return asf_words[type] ? asf_words[type] : "unknown";
}

int
asf_type_by_word(const char *word, uint8_t *type)
{
	for (unsigned t = 0; t < 256; t++)
		if (asf_words[t] && strcmp(asf_words[t], word) == 0) {
			*type = (uint8_t)t;
			return RMC_OK;
		}
	return RMC_EINVAL;
}

unsigned
asf_clear_bit(uint8_t type)
{
	return asf_clear_bits[type];
}

uint8_t
asf_response(uint8_t type)
{
	return asf_responses[type];
}

static int
check_class(uint8_t cls)
{
	if (cls & RMCP_CLASS_RSV_MASK)
		return RMC_EINVAL;
	switch (cls & RMCP_CLASS_MASK) {
	case RMCP_CLASS_ASF:
		return RMC_OK;
	case RMCP_CLASS_IPMI:
	case RMCP_CLASS_OEM:
		return RMC_EUNSUP;
	default:
		return RMC_EINVAL;
	}
}

int
rmcp_decode(const uint8_t *p, size_t len, struct rmcp_msg *out)
{
	struct rd r = rd_init(p, len);
	uint8_t version = 0, rsv = 0, cls = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (rd_left(&r) < RMCP_HLEN)
		return RMC_ETRUNC;
	rd_u8(&r, &version);
	rd_u8(&r, &rsv);
	rd_u8(&r, &out->seq);
	rd_u8(&r, &cls);
	if (version != RMCP_VERSION || rsv != 0)
		return RMC_EINVAL;
	rc = check_class(cls);
	if (rc)
		return rc;
	if (cls & RMCP_CLASS_ACK_BIT) {
		/* §3.2.3: an ACK is the 4-byte header alone; 0xFF asks for none. */
		if (rd_left(&r) != 0 || out->seq == RMCP_SEQ_NOACK)
			return RMC_EINVAL;
		out->is_ack = true;
		return RMC_OK;
	}
	if (rd_left(&r) < ASF_HLEN)
		return RMC_ETRUNC;
	rd_be32(&r, &out->iana);
	rd_u8(&r, &out->type);
	rd_u8(&r, &out->tag);
	rd_u8(&r, &rsv);
	rd_u8(&r, &out->data_len);
	if (rsv != 0)
		return RMC_EINVAL;
	rc = rd_copy(&r, out->data, out->data_len);
	if (rc)
		return rc;
	/* The UDP length bounds the message; anything past data length is not ASF. */
	return rd_left(&r) ? RMC_EINVAL : RMC_OK;
}

int
rmcp_encode_ack(uint8_t seq, uint8_t *out, size_t cap, size_t *outlen)
{
	struct wr w = wr_init(out, cap);
	uint8_t hdr[RMCP_HLEN] = {RMCP_VERSION, 0, seq, RMCP_CLASS_ASF | RMCP_CLASS_ACK_BIT};

	if (seq == RMCP_SEQ_NOACK)
		return RMC_EINVAL;
	if (wr_bytes(&w, hdr, sizeof(hdr)))
		return RMC_ENOSPC;
	*outlen = w.off;
	return RMC_OK;
}

int
rmcp_encode(const struct rmcp_msg *m, uint8_t *out, size_t cap, size_t *outlen)
{
	struct wr w = wr_init(out, cap);
	uint8_t hdr[RMCP_HLEN] = {RMCP_VERSION, 0, m->seq, RMCP_CLASS_ASF};

	if (m->is_ack)
		return rmcp_encode_ack(m->seq, out, cap, outlen);
	if (cap < (size_t)RMCP_HLEN + ASF_HLEN + m->data_len)
		return RMC_ENOSPC;
	wr_bytes(&w, hdr, sizeof(hdr));
	wr_be32(&w, m->iana);
	wr_u8(&w, m->type);
	wr_u8(&w, m->tag);
	wr_u8(&w, 0);
	wr_u8(&w, m->data_len);
	wr_bytes(&w, m->data, m->data_len);
	*outlen = w.off;
	return RMC_OK;
}

/* Data lengths §3.2.4 allows per type: exact, or for boot commands 0 or >= 11. */
int
asf_validate(const struct rmcp_msg *m)
{
	if (m->is_ack)
		return RMC_OK;
	if (m->iana != ASF_IANA)
		return RMC_EUNSUP;
	switch (m->type) {
	case ASF_RESET:
	case ASF_POWER_UP:
	case ASF_POWER_CYCLE:
		return m->data_len == 0 || m->data_len >= ASF_BOOT_OPTS_LEN ? RMC_OK : RMC_EINVAL;
	case ASF_POWER_DOWN:
	case ASF_PRESENCE_PING:
	case ASF_CAPABILITIES_REQ:
	case ASF_SYSTEM_STATE_REQ:
		return m->data_len == 0 ? RMC_OK : RMC_EINVAL;
	case ASF_PRESENCE_PONG:
		return m->data_len == ASF_PONG_LEN ? RMC_OK : RMC_EINVAL;
	case ASF_CAPABILITIES_RESP:
		return m->data_len == ASF_CAPS_LEN ? RMC_OK : RMC_EINVAL;
	case ASF_SYSTEM_STATE_RESP:
		return m->data_len == ASF_SYSTEM_STATE_LEN ? RMC_OK : RMC_EINVAL;
	default:
		return RMC_EUNSUP;
	}
}

static void
set_body(struct rmcp_msg *m, uint8_t type, const struct wr *w)
{
	m->is_ack = false;
	m->iana = ASF_IANA;
	m->type = type;
	m->data_len = (uint8_t)w->off;
}

/* Checks the header fields a body decoder relies on, then opens the data. */
static int
open_body(const struct rmcp_msg *m, uint8_t type, struct rd *r)
{
	if (m->is_ack || m->iana != ASF_IANA || m->type != type)
		return RMC_EINVAL;
	if (asf_validate(m))
		return RMC_EINVAL;
	*r = rd_init(m->data, m->data_len);
	return RMC_OK;
}

int
asf_pong_encode(const struct asf_pong *b, struct rmcp_msg *m)
{
	static const uint8_t reserved[6];
	struct wr w = wr_init(m->data, sizeof(m->data));

	wr_be32(&w, b->iana);
	wr_be32(&w, b->oem);
	wr_u8(&w, b->entities);
	wr_u8(&w, b->interactions);
	wr_bytes(&w, reserved, sizeof(reserved));
	set_body(m, ASF_PRESENCE_PONG, &w);
	return RMC_OK;
}

int
asf_pong_decode(const struct rmcp_msg *m, struct asf_pong *b)
{
	struct rd r;
	int rc = open_body(m, ASF_PRESENCE_PONG, &r);

	if (rc)
		return rc;
	rd_be32(&r, &b->iana);
	rd_be32(&r, &b->oem);
	rd_u8(&r, &b->entities);
	rd_u8(&r, &b->interactions);
	return RMC_OK;
}

int
asf_caps_encode(const struct asf_caps *b, struct rmcp_msg *m)
{
	struct wr w = wr_init(m->data, sizeof(m->data));

	wr_be32(&w, b->iana);
	wr_be32(&w, b->oem);
	wr_be16(&w, b->special_cmds);
	wr_u8(&w, b->system_caps);
	wr_be32(&w, b->fw_caps);
	wr_u8(&w, 0);
	set_body(m, ASF_CAPABILITIES_RESP, &w);
	return RMC_OK;
}

int
asf_caps_decode(const struct rmcp_msg *m, struct asf_caps *b)
{
	struct rd r;
	int rc = open_body(m, ASF_CAPABILITIES_RESP, &r);

	if (rc)
		return rc;
	rd_be32(&r, &b->iana);
	rd_be32(&r, &b->oem);
	rd_be16(&r, &b->special_cmds);
	rd_u8(&r, &b->system_caps);
	rd_be32(&r, &b->fw_caps);
	return RMC_OK;
}

int
asf_system_state_encode(const struct asf_system_state *b, struct rmcp_msg *m)
{
	struct wr w = wr_init(m->data, sizeof(m->data));

	wr_u8(&w, b->system_state);
	wr_u8(&w, b->watchdog);
	set_body(m, ASF_SYSTEM_STATE_RESP, &w);
	return RMC_OK;
}

int
asf_system_state_decode(const struct rmcp_msg *m, struct asf_system_state *b)
{
	struct rd r;
	int rc = open_body(m, ASF_SYSTEM_STATE_RESP, &r);

	if (rc)
		return rc;
	rd_u8(&r, &b->system_state);
	rd_u8(&r, &b->watchdog);
	return RMC_OK;
}

static bool
takes_boot_opts(uint8_t type)
{
	return type == ASF_RESET || type == ASF_POWER_UP || type == ASF_POWER_CYCLE;
}

static bool
bodiless(uint8_t type)
{
	return type == ASF_POWER_DOWN || type == ASF_PRESENCE_PING ||
	       type == ASF_CAPABILITIES_REQ || type == ASF_SYSTEM_STATE_REQ;
}

int
asf_command_encode(uint8_t type, const struct asf_boot_opts *opts, struct rmcp_msg *m)
{
	struct wr w = wr_init(m->data, sizeof(m->data));

	if (!takes_boot_opts(type) && !(bodiless(type) && !opts))
		return RMC_EINVAL;
	if (opts) {
		wr_be32(&w, opts->iana);
		wr_u8(&w, opts->special_cmd);
		wr_be16(&w, opts->special_param);
		wr_be16(&w, opts->boot_opts);
		wr_be16(&w, opts->oem_params);
	}
	set_body(m, type, &w);
	return RMC_OK;
}

int
asf_command_decode(const struct rmcp_msg *m, struct asf_boot_opts *opts, bool *has_opts)
{
	struct rd r;
	int rc;

	memset(opts, 0, sizeof(*opts));
	*has_opts = false;
	if (!takes_boot_opts(m->type) && !bodiless(m->type))
		return RMC_EINVAL;
	rc = open_body(m, m->type, &r);
	if (rc)
		return rc;
	if (m->data_len == 0)
		return RMC_OK;
	rd_be32(&r, &opts->iana);
	rd_u8(&r, &opts->special_cmd);
	rd_be16(&r, &opts->special_param);
	rd_be16(&r, &opts->boot_opts);
	rd_be16(&r, &opts->oem_params);
	*has_opts = true;
	return RMC_OK;
}
