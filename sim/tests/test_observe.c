/*
 * The harness's classification of the kinds fault rules name beyond ASF:
 * IKEv2 headers on UDP 500 and 4500 (RFC 7296 §3.1, RFC 3948 §2.2) and the
 * commit messages (ASF under IANA 32473, docs/users/verify.md).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/build.h"
#include "proto/ikev2.h"
#include "proto/rmcp.h"
#include "sim/observe.h"

static struct scenario sc;
static struct scn_node nodes[2];

static struct obs
classify_udp(uint16_t sport, uint16_t dport, const uint8_t *payload, size_t plen)
{
	struct frame_builder *fb = frame_builder_new();
	cr_assert(fb);
	struct l2l3 a = {.src_mac = {2, 0, 0, 0, 0, 1},
			 .dst_mac = {2, 0, 0, 0, 0, 2},
			 .src_ip = 0xC0000201,
			 .dst_ip = 0xC0000265};
	uint8_t f[1600];
	size_t n;
	cr_assert_eq(frame_build_udp(fb, &a, sport, dport, payload, plen, f, sizeof(f), &n), 0);
	frame_builder_free(fb);
	memset(nodes, 0, sizeof(nodes));
	memcpy(nodes[0].mac, a.src_mac, 6);
	memcpy(nodes[1].mac, a.dst_mac, 6);
	sc.nodes = nodes;
	sc.nnodes = 2;
	struct obs_log log;
	obs_log_init(&log);
	cr_assert_eq(obs_log_frame(&log, &sc, 5, f, n), 0);
	struct obs o = log.v[0];
	obs_log_fini(&log);
	return o;
}

static size_t
ike_header(uint8_t exch, uint8_t flags, uint32_t msgid, uint8_t *out)
{
	struct ikev2_hdr h = {.spi_i = 0x1122334455667788ULL,
			      .next = IKEV2_PLD_NONE,
			      .version = IKEV2_VERSION,
			      .exch = exch,
			      .flags = flags,
			      .msgid = msgid,
			      .len = IKEV2_HDR_LEN};
	ikev2_hdr_encode(&h, out);
	return IKEV2_HDR_LEN;
}

Test(observe, ike_exchange_flags_and_message_id)
{
	uint8_t p[64];
	size_t n = ike_header(IKEV2_EXCH_IKE_AUTH, IKEV2_F_RESPONSE, 1, p);
	struct obs o = classify_udp(500, 500, p, n);
	cr_expect_eq(o.kind, OBS_IKE);
	cr_expect_eq(o.ike_exch, IKEV2_EXCH_IKE_AUTH);
	cr_expect(o.ike_response);
	cr_expect_eq(o.ike_msgid, 1);
	cr_expect_eq(o.from, 0);
	cr_expect_eq(o.to, 1);

	n = ike_header(IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_F_INITIATOR, 7, p);
	o = classify_udp(500, 500, p, n);
	cr_expect_eq(o.ike_exch, IKEV2_EXCH_CREATE_CHILD_SA);
	cr_expect(!o.ike_response);
	cr_expect_eq(o.ike_msgid, 7);
}

Test(observe, ike_behind_the_non_esp_marker_on_4500)
{
	uint8_t p[64] = {0};
	size_t n = 4 + ike_header(IKEV2_EXCH_INFORMATIONAL, 0, 3, p + 4);
	struct obs o = classify_udp(4500, 4500, p, n);
	cr_expect_eq(o.kind, OBS_IKE);
	cr_expect_eq(o.ike_exch, IKEV2_EXCH_INFORMATIONAL);
	cr_expect_eq(o.ike_msgid, 3);
	p[0] = 1; /* an ESP SPI, not the marker: ESP in UDP, not IKE */
	o = classify_udp(4500, 4500, p, n);
	cr_expect_eq(o.kind, OBS_OTHER);
}

Test(observe, malformed_ike_header)
{
	uint8_t p[64];
	size_t n = ike_header(IKEV2_EXCH_IKE_SA_INIT, 0, 0, p);
	struct obs o = classify_udp(500, 500, p, n - 1); /* Length says 28, 27 are there */
	cr_expect_eq(o.kind, OBS_MALFORMED);
}

Test(observe, commit_messages_are_their_own_kind)
{
	struct rmcp_msg m = {
	    .seq = 4, .iana = ASF_IANA_COMMIT, .type = 3, .tag = 9, .data_len = 16};
	uint8_t p[64];
	size_t n;
	cr_assert_eq(rmcp_encode(&m, p, sizeof(p), &n), 0);
	struct obs o = classify_udp(RMCP_PORT_SECURE, RMCP_PORT_SECURE, p, n);
	cr_expect_eq(o.kind, OBS_COMMIT);
	cr_expect_eq(o.asf_type, 3);
	m.iana = ASF_IANA;
	m.type = ASF_PRESENCE_PING;
	m.data_len = 0;
	cr_assert_eq(rmcp_encode(&m, p, sizeof(p), &n), 0);
	o = classify_udp(RMCP_PORT_CLEAR, RMCP_PORT_CLEAR, p, n);
	cr_expect_eq(o.kind, OBS_ASF);
	cr_expect_eq(o.asf_type, ASF_PRESENCE_PING);
}
