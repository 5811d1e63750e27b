/*
 * The commit handshake (docs/internals/mechanism.md, patent Figs. 4 and 5): for one
 * transaction, SA_READY comes before SA_ACK, and SA_ACK before
 * SA_CONFIRM. Retransmissions of any step are allowed, also after a later
 * step (the capture point may see a message that a fault then drops). A
 * transaction is keyed by its id and the unordered pair of new SPIs, so
 * either end's view of "inbound" and "outbound" falls on the same key.
 *
 * Body, all big-endian (docs/users/verify.md): new inbound SPI (4), new outbound
 * SPI (4), transaction id (4), NVRAM generation (4).
 */
#include <stdio.h>

#include "pcap/verify_int.h"
#include "proto/rd.h"

enum {
	COMMIT_BODY_LEN = 16,
};

static const char *
commit_name(uint8_t type)
{
	switch (type) {
	case ASF_COMMIT_READY:
		return "SA_READY";
	case ASF_COMMIT_ACK:
		return "SA_ACK";
	case ASF_COMMIT_CONFIRM:
		return "SA_CONFIRM";
	}
	return "?";
}

static unsigned
stage_bit(uint8_t type)
{
	return 1u << (type - ASF_COMMIT_READY);
}

void
verify_commit(struct verifier *v, const struct rmcp_msg *m, uint32_t spi)
{
	uint32_t in, out, txid, lo, hi;
	uint64_t *seen;
	bool fresh;

	v->st.commit++;
	if (m->type < ASF_COMMIT_READY || m->type > ASF_COMMIT_CONFIRM) {
		verify_report(v, V_MALFORMED, 0, "commit message of unknown type %u", m->type);
		return;
	}
	if (m->data_len != COMMIT_BODY_LEN) {
		verify_report(v, V_MALFORMED, 0, "%s body of %u bytes, want %d",
			      commit_name(m->type), m->data_len, COMMIT_BODY_LEN);
		return;
	}
	in = get_be32(m->data);
	out = get_be32(m->data + 4);
	txid = get_be32(m->data + 8);
	if (v->pol.commit_under_new_sa && spi != in && spi != out)
		verify_report(
		    v, V_COMMIT_SA, 0,
		    "%s of transaction %u under SPI 0x%08x, not under the new SA it names "
		    "(0x%08x, 0x%08x)",
		    commit_name(m->type), txid, spi, in, out);
	lo = in < out ? in : out;
	hi = in < out ? out : in;
	if (!(seen = verify_seen(v, &v->commits, ((uint64_t)lo << 32) | hi, txid, &fresh)))
		return;
	uint8_t before = m->type == ASF_COMMIT_READY ? 0 : (uint8_t)(m->type - 1);
	if (before && !(*seen & stage_bit(before)))
		verify_report(v, V_COMMIT_ORDER, 0,
			      "%s of transaction %u (SPIs 0x%08x, 0x%08x) before any %s",
			      commit_name(m->type), txid, in, out, commit_name(before));
	*seen |= stage_bit(m->type);
}
