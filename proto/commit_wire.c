#include "proto/commit_wire.h"

#include "proto/err.h"
#include "proto/rd.h"

int
commit_wire_encode(const struct commit_wire *w, struct rmcp_msg *m)
{
	if (w->type < ASF_COMMIT_READY || w->type > ASF_COMMIT_CONFIRM)
		return RMC_EINVAL;
	m->is_ack = false;
	m->iana = ASF_IANA_COMMIT;
	m->type = w->type;
	m->data_len = COMMIT_WIRE_LEN;
	put_be32(m->data, w->nic_spi_in);
	put_be32(m->data + 4, w->nic_spi_out);
	put_be32(m->data + 8, w->txid);
	put_be32(m->data + 12, w->gen);
	return RMC_OK;
}

int
commit_wire_pack(const struct commit_wire *w, uint8_t *buf, size_t cap, size_t *outlen)
{
	struct rmcp_msg m = {.seq = RMCP_SEQ_NOACK};
	int rc = commit_wire_encode(w, &m);
	return rc ? rc : rmcp_encode(&m, buf, cap, outlen);
}

int
commit_wire_decode(const struct rmcp_msg *m, struct commit_wire *w)
{
	if (m->is_ack || m->iana != ASF_IANA_COMMIT || m->type < ASF_COMMIT_READY ||
	    m->type > ASF_COMMIT_CONFIRM || m->data_len != COMMIT_WIRE_LEN)
		return RMC_EINVAL;
	w->type = m->type;
	w->nic_spi_in = get_be32(m->data);
	w->nic_spi_out = get_be32(m->data + 4);
	w->txid = get_be32(m->data + 8);
	w->gen = get_be32(m->data + 12);
	return RMC_OK;
}

const char *
commit_wire_name(uint8_t type)
{
#define COMMIT_TYPE_WORD_(name, value, word)                                                       \
	case name:                                                                                 \
		return word;
	switch (type) {
		COMMIT_TYPES(COMMIT_TYPE_WORD_)
	default:
		return "?";
	}
#undef COMMIT_TYPE_WORD_
}
