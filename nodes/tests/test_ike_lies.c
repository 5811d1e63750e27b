/*
 * A reference endpoint meets a lying one (struct ike_lies, what the harness's
 * adversary drives): each lie is refused as RFC 7296 / RFC 8031 demand, no
 * CHILD_SA comes up on the refusing side, and the liar learns of the refusal
 * (IKE_EV_ERROR with from_peer) — or, for message IDs, meets silence.
 * A is the initiator (10.0.0.1), B the responder (10.0.0.2); both expect the
 * other's ID_IPV4_ADDR, as the reference host and server do.
 */
#include <criterion/criterion.h>

#include "nodes/tests/test_ike_harness.h"

static struct h_net net;
static struct h_peer A, B;

enum { IP_A = 0x0a000001, IP_B = 0x0a000002 };

static void
setup(void)
{
	h_setup(&net, &A, &B);
	ike_id_ipv4(&A.e.cfg.peer_id, IP_B);
	ike_id_ipv4(&B.e.cfg.peer_id, IP_A);
}

static void
expect_error(const struct h_peer *p, uint16_t notify, bool from_peer)
{
	const struct ike_event *ev = h_last(p, IKE_EV_ERROR);
	cr_assert_not_null(ev, "no IKE_EV_ERROR");
	cr_assert_eq(ev->notify, notify, "notify %u, want %u", ev->notify, notify);
	cr_assert_eq(ev->from_peer, from_peer, "from_peer %d, want %d", ev->from_peer, from_peer);
}

/* Runs peer idx's retransmission timer until it has none (at most max times). */
static void
run_timers(int idx, int max)
{
	struct h_peer *p = net.p[idx];
	for (int i = 0; i < max && p->timer_at != IKE_TIMER_NONE; i++) {
		net.now = p->timer_at;
		ike_timer(&p->e, net.now, &p->o);
		h_collect(&net, idx);
		h_pump(&net);
	}
}

/* The notify of the unprotected IKE_SA_INIT answer B just gave. */
static struct ikev2_notify
b_init_answer(void)
{
	struct ikev2_hdr h;
	struct ikev2_chain c;
	struct ikev2_notify n;
	cr_assert_gt(B.last_len, 0, "B answered nothing");
	cr_assert_eq(ikev2_hdr_decode(B.last, B.last_len, &h), 0);
	cr_assert_eq(h.exch, IKEV2_EXCH_IKE_SA_INIT);
	cr_assert_eq(h.spi_r, 0, "an error answer creates no responder SPI");
	cr_assert_eq(
	    ikev2_chain_decode(h.next, B.last + IKEV2_HDR_LEN, B.last_len - IKEV2_HDR_LEN, &c), 0);
	cr_assert_eq(c.n, 1);
	cr_assert_eq(ikev2_notify_decode(c.pld[0].body, c.pld[0].len, &n), 0);
	return n;
}

/* The reference pair itself: the IDs they expect are the ones they send. */
Test(ike_lie, reference_pair_establishes)
{
	setup();
	h_handshake(&net);
	cr_assert_eq(A.e.state, IKE_S_ESTABLISHED);
	cr_assert_eq(B.e.state, IKE_S_ESTABLISHED);
	cr_assert_eq(h_count(&A, IKE_EV_ERROR) + h_count(&B, IKE_EV_ERROR), 0);
	cr_assert_eq(h_count(&A, IKE_EV_CHILD_UP), 1);
}

/* RFC 7296 §2.15, §2.21.2: an initiator's AUTH that does not verify gets
 * AUTHENTICATION_FAILED and no CHILD_SA. */
Test(ike_lie, rfc7296_2_15_responder_refuses_bad_auth)
{
	setup();
	A.e.cfg.lie.bad_auth = true;
	h_handshake(&net);
	expect_error(&B, IKEV2_N_AUTHENTICATION_FAILED, false);
	expect_error(&A, IKEV2_N_AUTHENTICATION_FAILED, true);
	cr_assert_eq(B.e.state, IKE_S_DEAD);
	cr_assert_eq(A.e.state, IKE_S_DEAD);
	cr_assert_eq(h_count(&A, IKE_EV_CHILD_UP) + h_count(&B, IKE_EV_CHILD_UP), 0);
	cr_assert_eq(h_count(&B, IKE_EV_IKE_UP), 0);
}

/* RFC 7296 §1.2: "The recipients of messages 3 and 4 MUST verify ...": the initiator
 * refuses a responder's bad AUTH, uses no CHILD_SA, and says so (§2.21.2). */
Test(ike_lie, rfc7296_1_2_initiator_refuses_bad_responder_auth)
{
	setup();
	B.e.cfg.lie.bad_auth = true;
	h_handshake(&net);
	expect_error(&A, IKEV2_N_AUTHENTICATION_FAILED, false);
	cr_assert_eq(A.e.state, IKE_S_DEAD);
	cr_assert_eq(h_count(&A, IKE_EV_CHILD_UP), 0, "the initiator used the CHILD_SA");
	cr_assert_eq(h_count(&A, IKE_EV_IKE_UP), 0);
	/* the liar had the CHILD_SA up; the INFORMATIONAL takes it down */
	cr_assert_eq(h_count(&B, IKE_EV_CHILD_UP), 1);
	expect_error(&B, IKEV2_N_AUTHENTICATION_FAILED, true);
	cr_assert_eq(h_last(&B, IKE_EV_ERROR)->exch, IKEV2_EXCH_INFORMATIONAL);
	cr_assert_eq(h_count(&B, IKE_EV_CHILD_DOWN), 1);
	cr_assert_eq(B.e.state, IKE_S_DEAD);
	/* SA_INIT x2, AUTH x2, the INFORMATIONAL and its answer, which finds A gone */
	cr_assert_eq(net.delivered, 6);
	cr_assert_eq(A.e.stats.rx_unexpected, 1);
}

/* RFC 7296 §2.21.2 "invalid ID": an initiator ID other than the configured one. */
Test(ike_lie, rfc7296_2_21_2_responder_refuses_unexpected_id)
{
	setup();
	ike_id_ipv4(&A.e.cfg.local_id, 0x0a000063);
	h_handshake(&net);
	expect_error(&B, IKEV2_N_AUTHENTICATION_FAILED, false);
	expect_error(&A, IKEV2_N_AUTHENTICATION_FAILED, true);
	cr_assert_eq(h_count(&A, IKE_EV_CHILD_UP) + h_count(&B, IKE_EV_CHILD_UP), 0);
	/* an FQDN for the right address is no better */
	setup();
	A.e.cfg.local_id.type = IKEV2_ID_FQDN;
	memcpy(A.e.cfg.local_id.data, "10.0.0.1", 8);
	A.e.cfg.local_id.len = 8;
	h_handshake(&net);
	expect_error(&B, IKEV2_N_AUTHENTICATION_FAILED, false);
	cr_assert_eq(h_count(&B, IKE_EV_CHILD_UP), 0);
}

Test(ike_lie, rfc7296_2_21_2_initiator_refuses_unexpected_id)
{
	setup();
	ike_id_ipv4(&B.e.cfg.local_id, 0x0a000063);
	h_handshake(&net);
	expect_error(&A, IKEV2_N_AUTHENTICATION_FAILED, false);
	cr_assert_eq(h_count(&A, IKE_EV_CHILD_UP), 0);
	expect_error(&B, IKEV2_N_AUTHENTICATION_FAILED, true);
	cr_assert_eq(B.e.state, IKE_S_DEAD);
}

/* RFC 7296 §3.10.1 NO_PROPOSAL_CHOSEN: a DH group the responder is not configured for;
 * nothing kept. */
Test(ike_lie, rfc7296_3_10_1_dh_group_outside_policy)
{
	setup();
	A.e.cfg.lie.offer_dh_group = 19;
	h_handshake(&net);
	cr_assert_eq(b_init_answer().type, IKEV2_N_NO_PROPOSAL_CHOSEN);
	cr_assert_eq(B.e.state, IKE_S_IDLE);
	expect_error(&A, IKEV2_N_NO_PROPOSAL_CHOSEN, true);
	cr_assert_eq(A.e.state, IKE_S_DEAD);
}

/* RFC 7296 §3.10.1: a CHILD suite outside the responder's policy, in IKE_AUTH and in
 * CREATE_CHILD_SA; the IKE SA stands (§1.2), no CHILD_SA. */
Test(ike_lie, rfc7296_3_10_1_child_suite_outside_policy)
{
	setup();
	A.e.cfg.suites[0] = IKE_SUITE_ESP_CBC_SHA256;
	A.e.cfg.nsuites = 1;
	B.e.cfg.suites[0] = IKE_SUITE_ESP_GCM128;
	B.e.cfg.nsuites = 1;
	h_handshake(&net);
	cr_assert_eq(B.e.state, IKE_S_ESTABLISHED);
	expect_error(&A, IKEV2_N_NO_PROPOSAL_CHOSEN, true);
	cr_assert_eq(ike_nchildren(&A.e) + ike_nchildren(&B.e), 0);
	cr_assert_eq(ike_create_child(&A.e, 0, IKE_SUITE_AH_SHA256, &A.o), 0);
	h_collect(&net, 0);
	h_pump(&net);
	expect_error(&A, IKEV2_N_NO_PROPOSAL_CHOSEN, true);
	cr_assert_eq(h_last(&A, IKE_EV_ERROR)->exch, IKEV2_EXCH_CREATE_CHILD_SA);
	cr_assert_eq(ike_nchildren(&B.e), 0);
}

/* RFC 7296 §1.2 / §3.4: a KE of another group than the proposal's gets
 * INVALID_KE_PAYLOAD naming the group wanted. */
Test(ike_lie, rfc7296_1_2_ke_of_another_group)
{
	setup();
	A.e.cfg.lie.ke_group = 19;
	h_handshake(&net);
	struct ikev2_notify n = b_init_answer();
	cr_assert_eq(n.type, IKEV2_N_INVALID_KE_PAYLOAD);
	cr_assert_eq(n.data_len, 2);
	cr_assert_eq(get_be16(n.data), IKEV2_DH_CURVE25519);
	cr_assert_eq(B.e.state, IKE_S_IDLE);
	expect_error(&A, IKEV2_N_INVALID_KE_PAYLOAD, true);
}

Test(ike_lie, rfc7296_3_4_pfs_ke_of_another_group)
{
	setup();
	A.e.cfg.pfs = true;
	h_handshake(&net);
	A.e.cfg.lie.ke_group = 19;
	cr_assert_eq(ike_create_child(&A.e, 0, IKE_SUITE_ESP_GCM128, &A.o), 0);
	h_collect(&net, 0);
	h_pump(&net);
	expect_error(&A, IKEV2_N_INVALID_KE_PAYLOAD, true);
	cr_assert_eq(ike_nchildren(&B.e), 1, "a CHILD_SA for a KE of the wrong group");
}

/* RFC 8031 / RFC 7748 §6.1: a public value whose shared secret is all-zero is refused:
 * the IKE_SA_INIT responder answers INVALID_SYNTAX and keeps nothing. */
Test(ike_lie, rfc8031_small_order_ke_refused_by_responder)
{
	enum ike_ke_lie lies[] = {IKE_KE_ZERO, IKE_KE_LOW_ORDER};
	for (size_t i = 0; i < 2; i++) {
		setup();
		A.e.cfg.lie.ke_value = lies[i];
		h_handshake(&net);
		cr_assert_eq(b_init_answer().type, IKEV2_N_INVALID_SYNTAX);
		cr_assert_eq(B.e.state, IKE_S_IDLE);
		cr_assert_not(B.e.sa.live);
		expect_error(&A, IKEV2_N_INVALID_SYNTAX, true);
	}
}

/* The same value in the IKE_SA_INIT response: the initiator never keys with it, sends no
 * IKE_AUTH, and gives up after its retransmissions. */
Test(ike_lie, rfc8031_small_order_ke_refused_by_initiator)
{
	setup();
	B.e.cfg.lie.ke_value = IKE_KE_LOW_ORDER;
	h_handshake(&net);
	cr_assert_eq(A.e.state, IKE_S_INIT_SENT);
	cr_assert_eq(A.e.stats.rx_malformed, 1);
	run_timers(0, 10);
	cr_assert_eq(A.e.state, IKE_S_DEAD);
	cr_assert_eq(h_count(&A, IKE_EV_IKE_UP), 0);
	cr_assert_eq(B.e.state, IKE_S_INIT_DONE, "an IKE_AUTH reached the liar");
}

/* In a CHILD_SA rekey with PFS: refused with INVALID_SYNTAX, the old CHILD_SA stays. */
Test(ike_lie, rfc8031_small_order_ke_in_pfs_rekey)
{
	setup();
	A.e.cfg.pfs = true;
	B.e.cfg.pfs = true;
	h_handshake(&net);
	uint32_t spi = h_last(&A, IKE_EV_CHILD_UP)->child.spi_in;
	A.e.cfg.lie.ke_value = IKE_KE_ZERO;
	cr_assert_eq(ike_rekey_child(&A.e, 0, spi, &A.o), 0);
	h_collect(&net, 0);
	h_pump(&net);
	expect_error(&A, IKEV2_N_INVALID_SYNTAX, true);
	cr_assert_eq(h_count(&B, IKE_EV_CHILD_UP), 1);
	cr_assert_not_null(ike_find_child(&A.e, spi));
}

/* RFC 7296 §2.3 (window size 1): a request whose message ID is neither the next one
 * nor the last one again is dropped unanswered and creates nothing. */
Test(ike_lie, rfc7296_2_3_out_of_window_request_dropped)
{
	setup();
	h_handshake(&net);
	uint64_t tx = B.e.stats.tx, unexpected = B.e.stats.rx_unexpected;
	A.e.cfg.lie.msgid_offset = 5;
	cr_assert_eq(ike_create_child(&A.e, 0, IKE_SUITE_ESP_GCM128, &A.o), 0);
	h_collect(&net, 0);
	h_pump(&net);
	cr_assert_eq(B.e.stats.tx, tx, "answered an out-of-window request");
	cr_assert_eq(B.e.stats.rx_unexpected, unexpected + 1);
	cr_assert_eq(ike_nchildren(&B.e), 1);
	cr_assert_eq(h_count(&B, IKE_EV_CHILD_UP), 1);
	/* the liar meets silence to the end */
	run_timers(0, 10);
	cr_assert_eq(B.e.stats.tx, tx);
	cr_assert_eq(h_last(&A, IKE_EV_IKE_DOWN)->notify, 0);
	cr_assert_eq(h_count(&A, IKE_EV_ERROR), 0);
}

Test(ike_lie, rfc7296_2_3_out_of_window_ike_auth_dropped)
{
	setup();
	A.e.cfg.lie.msgid_offset = 3;
	h_handshake(&net);
	cr_assert_eq(B.e.state, IKE_S_INIT_DONE);
	cr_assert_eq(h_count(&B, IKE_EV_IKE_UP), 0);
	cr_assert_eq(B.e.stats.rx_unexpected, 1);
	cr_assert_eq(B.e.stats.tx, 1, "only the IKE_SA_INIT answer");
}

/* ---- the bugs behind the IKE mutants: the same lies, accepted ---- */

/* ike-initiator-skips-auth */
Test(ike_bug, skip_responder_auth_accepts_bad_auth)
{
	setup();
	B.e.cfg.lie.bad_auth = true;
	A.e.cfg.bug.skip_responder_auth = true;
	h_handshake(&net);
	cr_assert_eq(A.e.state, IKE_S_ESTABLISHED);
	cr_assert_eq(h_count(&A, IKE_EV_CHILD_UP), 1);
	cr_assert_eq(h_count(&A, IKE_EV_ERROR), 0);
}

/* ... and only that: the responder's ID is still checked. */
Test(ike_bug, skip_responder_auth_still_checks_id)
{
	setup();
	ike_id_ipv4(&B.e.cfg.local_id, 0x0a000063);
	A.e.cfg.bug.skip_responder_auth = true;
	h_handshake(&net);
	expect_error(&A, IKEV2_N_AUTHENTICATION_FAILED, false);
	cr_assert_eq(h_count(&A, IKE_EV_CHILD_UP), 0);
}

/* ike-zero-dh, as responder and as initiator: both ends key with zeros and agree. */
Test(ike_bug, accept_zero_dh_keys_with_zeros)
{
	setup();
	A.e.cfg.lie.ke_value = IKE_KE_LOW_ORDER;
	B.e.cfg.bug.accept_zero_dh = true;
	h_handshake(&net);
	cr_assert_eq(B.e.state, IKE_S_ESTABLISHED);
	cr_assert(h_child_pair_ok(&h_last(&A, IKE_EV_CHILD_UP)->child,
				  &h_last(&B, IKE_EV_CHILD_UP)->child));
	setup();
	B.e.cfg.lie.ke_value = IKE_KE_ZERO;
	A.e.cfg.bug.accept_zero_dh = true;
	h_handshake(&net);
	cr_assert_eq(A.e.state, IKE_S_ESTABLISHED);
	cr_assert_eq(h_count(&A, IKE_EV_CHILD_UP), 1);
}

/* ike-msgid-any: out-of-window requests are processed and create state. */
Test(ike_bug, any_msgid_processes_out_of_window)
{
	setup();
	A.e.cfg.lie.msgid_offset = 3;
	B.e.cfg.bug.any_msgid = true;
	h_handshake(&net);
	cr_assert_eq(B.e.state, IKE_S_ESTABLISHED);
	A.e.cfg.lie.msgid_offset = 5;
	cr_assert_eq(ike_create_child(&A.e, 0, IKE_SUITE_ESP_GCM128, &A.o), 0);
	h_collect(&net, 0);
	h_pump(&net);
	cr_assert_eq(ike_nchildren(&B.e), 2);
	cr_assert_eq(h_count(&A, IKE_EV_CHILD_UP), 2);
}
