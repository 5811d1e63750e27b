/*
 * Negative cases (RFC 7296 §2.5, §2.21): wrong PSK, no common proposal,
 * wrong DH group, unknown critical payloads, malformed protected requests,
 * every truncation and every bit flip of each handshake message, replays.
 */
#include <criterion/criterion.h>

#include "nodes/tests/test_ike_harness.h"

static struct h_net net;
static struct h_peer A, B;

static uint16_t
last_error(const struct h_peer *p)
{
	const struct ike_event *ev = h_last(p, IKE_EV_ERROR);
	return ev ? ev->notify : 0;
}

Test(ike_neg, wrong_psk_authentication_failed)
{
	h_setup(&net, &A, &B);
	B.e.cfg.psk[0] ^= 1;
	h_handshake(&net);
	cr_assert_eq(last_error(&A), IKEV2_N_AUTHENTICATION_FAILED);
	cr_assert_eq(last_error(&B), IKEV2_N_AUTHENTICATION_FAILED);
	cr_assert_eq(A.e.state, IKE_S_DEAD);
	cr_assert_eq(B.e.state, IKE_S_DEAD);
	cr_assert_eq(h_count(&A, IKE_EV_CHILD_UP) + h_count(&B, IKE_EV_CHILD_UP), 0);
}

Test(ike_neg, no_common_ike_proposal)
{
	h_setup(&net, &A, &B);
	A.e.cfg.ike_keylen = 256;
	h_handshake(&net);
	cr_assert_eq(last_error(&A), IKEV2_N_NO_PROPOSAL_CHOSEN);
	cr_assert_eq(B.e.state, IKE_S_IDLE);
	cr_assert_eq(A.e.state, IKE_S_DEAD);
}

Test(ike_neg, no_common_child_proposal_keeps_ike_sa)
{
	h_setup(&net, &A, &B);
	A.e.cfg.suites[0] = IKE_SUITE_ESP_CBC_SHA256;
	A.e.cfg.nsuites = 1;
	B.e.cfg.suites[0] = IKE_SUITE_ESP_GCM128;
	B.e.cfg.nsuites = 1;
	h_handshake(&net);
	cr_assert_eq(A.e.state, IKE_S_ESTABLISHED);
	cr_assert_eq(B.e.state, IKE_S_ESTABLISHED);
	cr_assert_eq(last_error(&A), IKEV2_N_NO_PROPOSAL_CHOSEN);
	cr_assert_eq(ike_nchildren(&A.e) + ike_nchildren(&B.e), 0);
	/* and a CREATE_CHILD_SA for an unacceptable suite is refused the same way */
	ike_create_child(&A.e, 0, IKE_SUITE_AH_SHA256, &A.o);
	h_collect(&net, 0);
	B.e.cfg.nsuites = 1;
	h_pump(&net);
	cr_assert_eq(last_error(&A), IKEV2_N_NO_PROPOSAL_CHOSEN);
}

/* An IKE_SA_INIT offering groups 19 and 31 with a group-19 KE. */
static size_t
init_with_group19(uint8_t *m)
{
	struct ikev2_xform xf[] = {
	    {IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 128, false},
	    {IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0, false},
	    {IKEV2_XF_DH, 19, 0, false},
	    {IKEV2_XF_DH, 31, 0, false},
	};
	struct ikev2_prop_out p = {0, IKEV2_PROTO_IKE, 0, {0}, xf, 4};
	uint8_t ke[64], nonce[32];
	struct ikev2_hdr h = {0x1122334455667788ull, 0, 0, IKEV2_VERSION, IKEV2_EXCH_IKE_SA_INIT,
			      IKEV2_F_INITIATOR,     0, 0};
	struct ikev2_wr b;
	memset(ke, 4, sizeof(ke));
	memset(nonce, 5, sizeof(nonce));
	ikev2_wr_init(&b, m + IKEV2_HDR_LEN, IKEV2_MSG_MAX - IKEV2_HDR_LEN, &h.next);
	ikev2_put_sa(&b, &p, 1);
	ikev2_put_ke(&b, 19, ke, sizeof(ke));
	ikev2_put_nonce(&b, nonce, sizeof(nonce));
	h.len = (uint32_t)(IKEV2_HDR_LEN + b.w.off);
	ikev2_hdr_encode(&h, m);
	return h.len;
}

/* The notify of an unprotected response: its type and data. */
static uint16_t
plain_notify(const uint8_t *m, size_t len, struct ikev2_notify *n)
{
	struct ikev2_hdr h;
	struct ikev2_chain c;
	cr_assert_eq(ikev2_hdr_decode(m, len, &h), 0);
	cr_assert(h.flags & IKEV2_F_RESPONSE);
	cr_assert_eq(ikev2_chain_decode(h.next, m + IKEV2_HDR_LEN, len - IKEV2_HDR_LEN, &c), 0);
	cr_assert_eq(c.pld[0].type, IKEV2_PLD_NOTIFY);
	cr_assert_eq(ikev2_notify_decode(c.pld[0].body, c.pld[0].len, n), 0);
	return n->type;
}

Test(ike_neg, wrong_dh_group_invalid_ke_payload)
{
	uint8_t m[IKEV2_MSG_MAX];
	struct ikev2_notify n;
	h_setup(&net, &A, &B);
	size_t len = init_with_group19(m);
	ike_input(&B.e, 0, m, len, &B.o);
	cr_assert_eq(B.o.nmsg, 1);
	cr_assert_eq(plain_notify(B.o.msg[0], B.o.len[0], &n), IKEV2_N_INVALID_KE_PAYLOAD);
	cr_assert_eq(n.data_len, 2);
	cr_assert_eq(get_be16(n.data), 31); /* §1.2: names the group it wants */
	cr_assert_eq(B.e.state, IKE_S_IDLE);
	/* The initiator side reports the refusal. */
	ike_start(&A.e, 0, &A.o);
	ike_out_reset(&A.o);
	uint8_t r[IKEV2_MSG_MAX];
	memcpy(r, B.o.msg[0], B.o.len[0]);
	put_be32(r, (uint32_t)(A.e.sa.spi_i >> 32));
	put_be32(r + 4, (uint32_t)A.e.sa.spi_i);
	ike_input(&A.e, 0, r, B.o.len[0], &A.o);
	cr_assert_eq(A.o.nev >= 1, 1);
	cr_assert_eq(A.o.ev[0].type, IKE_EV_ERROR);
	cr_assert_eq(A.o.ev[0].notify, IKEV2_N_INVALID_KE_PAYLOAD);
}

/* Appends one payload of `type` (4-octet body) to an unprotected message. */
static size_t
append_payload(uint8_t *m, size_t len, uint8_t type, bool critical)
{
	struct ikev2_hdr h;
	cr_assert_eq(ikev2_hdr_decode(m, len, &h), 0);
	size_t off = IKEV2_HDR_LEN;
	uint8_t *np = m + 16;
	while (*np != 0) {
		np = m + off;
		off += get_be16(m + off + 2);
	}
	*np = type;
	uint8_t g[8] = {0, critical ? IKEV2_CRITICAL : 0, 0, 8, 1, 2, 3, 4};
	memcpy(m + len, g, sizeof(g));
	put_be32(m + 24, (uint32_t)(len + 8));
	return len + 8;
}

Test(ike_neg, unknown_payloads_in_sa_init)
{
	uint8_t m[IKEV2_MSG_MAX];
	struct ikev2_notify n;

	h_setup(&net, &A, &B);
	ike_start(&A.e, 0, &A.o);
	size_t len = A.o.len[0];
	memcpy(m, A.o.msg[0], len);
	size_t l2 = append_payload(m, len, 201, true);
	ike_input(&B.e, 0, m, l2, &B.o);
	cr_assert_eq(B.o.nmsg, 1);
	cr_assert_eq(plain_notify(B.o.msg[0], B.o.len[0], &n),
		     IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	cr_assert_eq(n.data_len, 1);
	cr_assert_eq(n.data[0], 201);
	cr_assert_eq(B.e.state, IKE_S_IDLE);
	/* non-critical: skipped, the exchange goes on */
	memcpy(m, A.o.msg[0], len);
	l2 = append_payload(m, len, 201, false);
	ike_out_reset(&B.o);
	ike_input(&B.e, 0, m, l2, &B.o);
	cr_assert_eq(B.e.state, IKE_S_INIT_DONE);
}

/* A protected request from A to B with an arbitrary inner chain; returns B's inner answer. */
static void
protected_request(const uint8_t *inner, size_t ilen, uint8_t first, struct ikev2_notify *n)
{
	uint8_t m[IKEV2_MSG_MAX], plain[IKEV2_MSG_MAX];
	size_t len, plen;
	struct ike_sa *sa = &A.e.sa;
	struct ikev2_hdr h = {
	    sa->spi_i,	       sa->spi_r,	  0, IKEV2_VERSION, IKEV2_EXCH_INFORMATIONAL,
	    IKEV2_F_INITIATOR, sa->next_req_id++, 0};
	cr_assert_eq(ikev2_sk_seal(&sa->enc, sa->iv++, &h, first, inner, ilen, m, sizeof(m), &len),
		     0);
	ike_out_reset(&B.o);
	ike_input(&B.e, 0, m, len, &B.o);
	cr_assert_eq(B.o.nmsg, 1);
	struct ikev2_hdr rh;
	struct ikev2_chain c;
	cr_assert_eq(ikev2_hdr_decode(B.o.msg[0], B.o.len[0], &rh), 0);
	cr_assert_eq(
	    ikev2_chain_decode(rh.next, B.o.msg[0] + IKEV2_HDR_LEN, B.o.len[0] - IKEV2_HDR_LEN, &c),
	    0);
	cr_assert_eq(
	    ikev2_sk_open(&sa->dec, B.o.msg[0], B.o.len[0], &c.pld[0], plain, sizeof(plain), &plen),
	    0);
	struct ikev2_chain ic;
	cr_assert_eq(ikev2_chain_decode(c.sk_inner, plain, plen, &ic), 0);
	cr_assert_eq(ic.pld[0].type, IKEV2_PLD_NOTIFY);
	/* data points into plain: copy what the caller checks */
	static uint8_t data[16];
	cr_assert_eq(ikev2_notify_decode(ic.pld[0].body, ic.pld[0].len, n), 0);
	memcpy(data, n->data, n->data_len < 16 ? n->data_len : 16);
	n->data = data;
}

Test(ike_neg, protected_unknown_critical_and_invalid_syntax)
{
	struct ikev2_notify n;
	h_setup(&net, &A, &B);
	h_handshake(&net);
	uint8_t unk[] = {0, IKEV2_CRITICAL, 0, 6, 9, 9};
	protected_request(unk, sizeof(unk), 202, &n);
	cr_assert_eq(n.type, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	cr_assert_eq(n.data[0], 202);
	/* a Delete announcing 2 SPIs with one present */
	uint8_t del[] = {0, 0, 0, 12, IKEV2_PROTO_ESP, 4, 0, 2, 1, 2, 3, 4};
	protected_request(del, sizeof(del), IKEV2_PLD_DELETE, &n);
	cr_assert_eq(n.type, IKEV2_N_INVALID_SYNTAX);
	/* a payload length running past the chain */
	uint8_t bad[] = {0, 0, 0, 40, 1, 2, 3, 4};
	protected_request(bad, sizeof(bad), IKEV2_PLD_NONCE, &n);
	cr_assert_eq(n.type, IKEV2_N_INVALID_SYNTAX);
	cr_assert_eq(B.e.state, IKE_S_ESTABLISHED);
	cr_assert_eq(B.e.stats.rx_malformed, 3);
}

Test(ike_neg, replayed_sa_init_after_established)
{
	h_setup(&net, &A, &B);
	ike_start(&A.e, 0, &A.o);
	uint8_t m1[IKEV2_MSG_MAX];
	size_t l1 = A.o.len[0];
	memcpy(m1, A.o.msg[0], l1);
	h_collect(&net, 0);
	h_pump(&net);
	cr_assert_eq(B.e.state, IKE_S_ESTABLISHED);
	uint64_t before = B.e.stats.rx_unexpected;
	ike_input(&B.e, 0, m1, l1, &B.o);
	cr_assert_eq(B.o.nmsg, 0);
	cr_assert_eq(B.e.stats.rx_unexpected, before + 1);
	cr_assert_eq(B.e.state, IKE_S_ESTABLISHED);
	/* and a replayed IKE_AUTH request is answered from the cache, not re-run */
	ike_input(&B.e, 0, A.last, A.last_len, &B.o);
	cr_assert_eq(B.e.stats.resp_resent, 1);
	cr_assert_eq(h_count(&B, IKE_EV_CHILD_UP), 1);
}

/*
 * Runs the handshake up to message `k` (1..4), mutates it with `mut`, delivers
 * it, then delivers the genuine message. Returns what the receiver did.
 */
enum { MUT_TRUNC, MUT_FLIP };

struct mut_result {
	bool answered, counted, established_after;
};

static struct mut_result
mutate_msg(int k, int kind, size_t arg)
{
	uint8_t msg[IKEV2_MSG_MAX], bad[IKEV2_MSG_MAX];
	size_t len = 0;
	struct h_peer *rx;
	struct mut_result res = {0};

	h_setup(&net, &A, &B);
	ike_start(&A.e, 0, &A.o);
	h_collect(&net, 0);
	for (int i = 1; i <= 4; i++) {
		struct h_msg m = net.q[0];
		net.nq = 0;
		if (i == k) {
			memcpy(msg, m.b, m.len);
			len = m.len;
			rx = net.p[m.to];
			break;
		}
		ike_input(&net.p[m.to]->e, 0, m.b, m.len, &net.p[m.to]->o);
		h_collect(&net, m.to);
	}
	memcpy(bad, msg, len);
	size_t blen = len;
	if (kind == MUT_TRUNC)
		blen = arg;
	else
		bad[arg / 8] ^= (uint8_t)(1u << (arg % 8));
	struct ike_stats s0 = rx->e.stats;
	uint8_t *cp = malloc(blen ? blen : 1); /* exact size: ASan sees any overread */
	memcpy(cp, bad, blen);
	ike_input(&rx->e, 0, cp, blen, &rx->o);
	free(cp);
	res.answered = rx->o.nmsg > 0;
	res.counted =
	    rx->e.stats.rx_malformed + rx->e.stats.rx_bad_icv + rx->e.stats.rx_unexpected >
	    s0.rx_malformed + s0.rx_bad_icv + s0.rx_unexpected;
	ike_out_reset(&rx->o);
	/* the genuine message still gets through afterwards */
	struct h_msg g = {rx == &A ? 0 : 1, {0}, len};
	memcpy(g.b, msg, len);
	net.q[0] = g;
	net.nq = 1;
	h_pump(&net);
	res.established_after = A.e.state == IKE_S_ESTABLISHED && B.e.state == IKE_S_ESTABLISHED;
	return res;
}

static void
every_mutation(int k, bool must_recover)
{
	/* message length from an unmutated run */
	h_setup(&net, &A, &B);
	ike_start(&A.e, 0, &A.o);
	h_collect(&net, 0);
	size_t len = 0;
	for (int i = 1; i <= 4; i++) {
		struct h_msg m = net.q[0];
		net.nq = 0;
		if (i == k) {
			len = m.len;
			break;
		}
		ike_input(&net.p[m.to]->e, 0, m.b, m.len, &net.p[m.to]->o);
		h_collect(&net, m.to);
	}
	cr_assert_gt(len, 0);
	for (size_t l = 0; l < len; l++) {
		struct mut_result r = mutate_msg(k, MUT_TRUNC, l);
		cr_assert(r.counted || r.answered, "msg %d cut at %zu: silently ignored", k, l);
		cr_assert(r.established_after, "msg %d cut at %zu broke the exchange", k, l);
	}
	for (size_t b = 0; b < len * 8; b++) {
		struct mut_result r = mutate_msg(k, MUT_FLIP, b);
		if (must_recover) {
			cr_assert(r.counted, "msg %d bit %zu accepted", k, b);
			cr_assert(r.established_after, "msg %d bit %zu broke the exchange", k, b);
		}
	}
}

/* IKE_SA_INIT request: every cut is refused; flips may be accepted (unauthenticated). */
Test(ike_neg, every_cut_and_flip_msg1, .timeout = 120)
{
	every_mutation(1, false);
}

Test(ike_neg, every_cut_and_flip_msg2, .timeout = 120)
{
	every_mutation(2, false);
}

/* Protected messages: every cut and every flip is dropped and counted, and the
 * genuine message still completes the exchange. */
Test(ike_neg, every_cut_and_flip_msg3, .timeout = 240)
{
	every_mutation(3, true);
}

Test(ike_neg, every_cut_and_flip_msg4, .timeout = 240)
{
	every_mutation(4, true);
}

/* Grows the last payload (the Nonce) of A's IKE_SA_INIT to `nlen` octets. */
static size_t
init_with_nonce_len(uint8_t *m, size_t nlen)
{
	ike_start(&A.e, 0, &A.o);
	size_t len = A.o.len[0];
	memcpy(m, A.o.msg[0], len);
	size_t off = IKEV2_HDR_LEN, last = off;
	while (off < len) {
		last = off;
		off += get_be16(m + off + 2);
	}
	cr_assert_eq(off, len);
	cr_assert_eq(get_be16(m + last + 2), 4 + 32);
	memset(m + len, 0x5a, nlen - 32);
	put_be16(m + last + 2, (uint16_t)(4 + nlen));
	len += nlen - 32;
	put_be32(m + 24, (uint32_t)len);
	return len;
}

/* §3.9: nonces are 16 to 256 octets; longer peer nonces than ours are fine. */
Test(ike_neg, peer_nonce_lengths)
{
	uint8_t m[IKEV2_MSG_MAX];
	struct ikev2_notify n;
	h_setup(&net, &A, &B);
	size_t len = init_with_nonce_len(m, 256);
	ike_input(&B.e, 0, m, len, &B.o);
	cr_assert_eq(B.e.state, IKE_S_INIT_DONE);
	cr_assert_eq(B.e.ni_len, 256);
	h_setup(&net, &A, &B);
	len = init_with_nonce_len(m, 257);
	ike_input(&B.e, 0, m, len, &B.o);
	cr_assert_eq(B.e.state, IKE_S_IDLE);
	cr_assert_eq(plain_notify(B.o.msg[0], B.o.len[0], &n), IKEV2_N_INVALID_SYNTAX);
}

/* A datagram larger than anything we keep is refused before any copy. */
Test(ike_neg, oversized_datagram)
{
	static uint8_t m[3 * IKEV2_MSG_MAX];
	h_setup(&net, &A, &B);
	ike_start(&A.e, 0, &A.o);
	size_t len = A.o.len[0];
	memcpy(m, A.o.msg[0], len);
	/* grow the nonce to fill a 5000-octet message, lengths kept consistent */
	size_t off = IKEV2_HDR_LEN, last = off;
	while (off < len) {
		last = off;
		off += get_be16(m + off + 2);
	}
	size_t big = 5000;
	put_be16(m + last + 2, (uint16_t)(get_be16(m + last + 2) + (big - len)));
	put_be32(m + 24, (uint32_t)big);
	ike_input(&B.e, 0, m, big, &B.o);
	cr_assert_eq(B.o.nmsg, 0);
	cr_assert_eq(B.e.stats.rx_malformed, 1);
	cr_assert_eq(B.e.state, IKE_S_IDLE);
}
