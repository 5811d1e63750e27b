/* Two IKE endpoints through an in-test loop: RFC 7296 exchanges end to end. */
#include <criterion/criterion.h>

#include "nodes/tests/test_ike_harness.h"

static struct h_net net;
static struct h_peer A, B;

static const struct ike_child_sa *
child_of(const struct h_peer *p, size_t i)
{
	size_t k = 0;
	for (size_t j = 0; j < IKE_MAX_CHILDREN; j++)
		if (p->e.child[j].used && k++ == i)
			return &p->e.child[j].sa;
	return NULL;
}

static void
established(void)
{
	h_setup(&net, &A, &B);
	h_handshake(&net);
	cr_assert_eq(A.e.state, IKE_S_ESTABLISHED);
	cr_assert_eq(B.e.state, IKE_S_ESTABLISHED);
}

Test(ike, handshake_psk_transport_gcm)
{
	established();
	cr_assert_eq(h_count(&A, IKE_EV_IKE_UP), 1);
	cr_assert_eq(h_count(&B, IKE_EV_IKE_UP), 1);
	const struct ike_event *ca = h_last(&A, IKE_EV_CHILD_UP), *cb = h_last(&B, IKE_EV_CHILD_UP);
	cr_assert_not_null(ca);
	cr_assert_not_null(cb);
	cr_assert_eq(ca->child.suite, IKE_SUITE_ESP_GCM128);
	cr_assert_eq(ca->child.encr_len, 20);
	cr_assert(h_child_pair_ok(&ca->child, &cb->child));
	/* IKE SA keys agree too. */
	cr_assert_eq(memcmp(&A.e.sa.keys, &B.e.sa.keys, sizeof(A.e.sa.keys)), 0);
	cr_assert_eq(A.e.sa.spi_i, B.e.sa.spi_i);
	cr_assert_eq(A.e.sa.spi_r, B.e.sa.spi_r);
	/* 4 messages, no drops */
	cr_assert_eq(net.delivered, 4);
	cr_assert_eq(A.e.stats.rx_malformed + B.e.stats.rx_malformed, 0);
	cr_assert_eq(A.e.stats.rx_bad_icv + B.e.stats.rx_bad_icv, 0);
}

Test(ike, deterministic_by_seed)
{
	established();
	uint8_t k1[20];
	memcpy(k1, h_last(&A, IKE_EV_CHILD_UP)->child.encr_out, 20);
	uint64_t spi = A.e.sa.spi_i;
	established();
	cr_assert_eq(A.e.sa.spi_i, spi);
	cr_assert_eq(memcmp(k1, h_last(&A, IKE_EV_CHILD_UP)->child.encr_out, 20), 0);
}

Test(ike, fqdn_ids_and_peer_id_check)
{
	h_setup(&net, &A, &B);
	A.e.cfg.local_id.type = IKEV2_ID_FQDN;
	memcpy(A.e.cfg.local_id.data, "server.example", 14);
	A.e.cfg.local_id.len = 14;
	B.e.cfg.peer_id = A.e.cfg.local_id;
	h_handshake(&net);
	cr_assert_eq(B.e.state, IKE_S_ESTABLISHED);
	/* The wrong peer ID is refused like a wrong key. */
	h_setup(&net, &A, &B);
	B.e.cfg.peer_id.type = IKEV2_ID_FQDN;
	memcpy(B.e.cfg.peer_id.data, "other.example", 13);
	B.e.cfg.peer_id.len = 13;
	h_handshake(&net);
	cr_assert_eq(B.e.state, IKE_S_DEAD);
	cr_assert_eq(h_last(&A, IKE_EV_ERROR)->notify, IKEV2_N_AUTHENTICATION_FAILED);
}

Test(ike, suite_choice_follows_offer_and_policy)
{
	h_setup(&net, &A, &B);
	A.e.cfg.suites[0] = IKE_SUITE_ESP_CBC_SHA256;
	A.e.cfg.suites[1] = IKE_SUITE_ESP_GCM256;
	A.e.cfg.nsuites = 2;
	B.e.cfg.suites[0] = IKE_SUITE_ESP_GCM256;
	B.e.cfg.nsuites = 1;
	h_handshake(&net);
	const struct ike_event *ca = h_last(&A, IKE_EV_CHILD_UP), *cb = h_last(&B, IKE_EV_CHILD_UP);
	cr_assert_eq(ca->child.suite, IKE_SUITE_ESP_GCM256);
	cr_assert_eq(ca->child.encr_len, 36);
	cr_assert(h_child_pair_ok(&ca->child, &cb->child));
	/* CBC + HMAC: 16-octet key and 32-octet integrity key each way */
	h_setup(&net, &A, &B);
	A.e.cfg.suites[0] = IKE_SUITE_ESP_CBC_SHA256;
	A.e.cfg.nsuites = 1;
	h_handshake(&net);
	ca = h_last(&A, IKE_EV_CHILD_UP);
	cb = h_last(&B, IKE_EV_CHILD_UP);
	cr_assert_eq(ca->child.encr_len, 16);
	cr_assert_eq(ca->child.integ_len, 32);
	cr_assert(h_child_pair_ok(&ca->child, &cb->child));
}

Test(ike, ike_256_keys)
{
	h_setup(&net, &A, &B);
	A.e.cfg.ike_keylen = B.e.cfg.ike_keylen = 256;
	h_handshake(&net);
	cr_assert_eq(A.e.state, IKE_S_ESTABLISHED);
	cr_assert_eq(A.e.sa.keys.encr_len, 36);
}

Test(ike, ah_bundle_as_second_child)
{
	established();
	ike_create_child(&A.e, net.now, IKE_SUITE_AH_SHA256, &A.o);
	h_collect(&net, 0);
	h_pump(&net);
	cr_assert_eq(ike_nchildren(&A.e), 2);
	cr_assert_eq(ike_nchildren(&B.e), 2);
	const struct ike_event *ca = h_last(&A, IKE_EV_CHILD_UP), *cb = h_last(&B, IKE_EV_CHILD_UP);
	cr_assert_eq(ca->child.proto, IKEV2_PROTO_AH);
	cr_assert_eq(ca->child.encr_len, 0);
	cr_assert_eq(ca->child.integ_len, 32);
	cr_assert(h_child_pair_ok(&ca->child, &cb->child));
}

static void
rekey_child(bool pfs, struct h_peer *who)
{
	established();
	A.e.cfg.pfs = B.e.cfg.pfs = pfs;
	const struct ike_child_sa *old = child_of(who, 0);
	uint32_t old_in = old->spi_in;
	uint8_t old_key[20];
	memcpy(old_key, old->encr_out, 20);
	int idx = who == &A ? 0 : 1;
	cr_assert_eq(ike_rekey_child(&who->e, net.now, old_in, &who->o), 0);
	h_collect(&net, idx);
	h_pump(&net);
	/* new CHILD_SA up on both, old deleted on both */
	cr_assert_eq(ike_nchildren(&A.e), 1);
	cr_assert_eq(ike_nchildren(&B.e), 1);
	cr_assert_eq(h_count(&A, IKE_EV_CHILD_UP), 2);
	cr_assert_eq(h_count(&B, IKE_EV_CHILD_UP), 2);
	cr_assert_eq(h_count(&A, IKE_EV_CHILD_DOWN), 1);
	cr_assert_eq(h_count(&B, IKE_EV_CHILD_DOWN), 1);
	cr_assert_eq(h_last(who, IKE_EV_CHILD_UP)->rekeyed_spi_in, old_in);
	cr_assert(h_child_pair_ok(child_of(&A, 0), child_of(&B, 0)));
	cr_assert_neq(memcmp(child_of(who, 0)->encr_out, old_key, 20), 0);
}

Test(ike, rekey_child_no_pfs)
{
	rekey_child(false, &A);
}

Test(ike, rekey_child_pfs)
{
	rekey_child(true, &A);
}

Test(ike, rekey_child_by_responder_pfs)
{
	rekey_child(true, &B);
}

/* PFS changes the keys: the same nonces with and without KE give different KEYMAT. */
Test(ike, pfs_keymat_differs)
{
	rekey_child(false, &A);
	uint8_t k_nopfs[20];
	memcpy(k_nopfs, child_of(&A, 0)->encr_out, 20);
	rekey_child(true, &A);
	cr_assert_neq(memcmp(k_nopfs, child_of(&A, 0)->encr_out, 20), 0);
}

Test(ike, rekey_ike_sa)
{
	established();
	uint64_t old_spi = A.e.sa.spi_i;
	uint8_t old_d[32];
	memcpy(old_d, A.e.sa.keys.sk_d, 32);
	cr_assert_eq(ike_rekey_ike(&A.e, net.now, &A.o), 0);
	h_collect(&net, 0);
	h_pump(&net);
	cr_assert_eq(h_count(&A, IKE_EV_IKE_REKEYED), 1);
	cr_assert_eq(h_count(&B, IKE_EV_IKE_REKEYED), 1);
	cr_assert_neq(A.e.sa.spi_i, old_spi);
	cr_assert_eq(A.e.sa.spi_i, B.e.sa.spi_i);
	cr_assert_eq(A.e.sa.spi_r, B.e.sa.spi_r);
	cr_assert_neq(memcmp(A.e.sa.keys.sk_d, old_d, 32), 0);
	cr_assert_eq(memcmp(&A.e.sa.keys, &B.e.sa.keys, sizeof(A.e.sa.keys)), 0);
	/* the old IKE SA was deleted on both sides; children survive */
	cr_assert(!A.e.old.live);
	cr_assert(!B.e.old.live);
	cr_assert_eq(ike_nchildren(&A.e), 1);
	cr_assert_eq(A.e.sa.next_req_id, 0);
	/* The new SA works: message IDs restart at 0, a child rekey uses the new SK_d. */
	cr_assert_eq(ike_rekey_child(&B.e, net.now, child_of(&B, 0)->spi_in, &B.o), 0);
	h_collect(&net, 1);
	h_pump(&net);
	cr_assert_eq(ike_nchildren(&A.e), 1);
	cr_assert(h_child_pair_ok(child_of(&A, 0), child_of(&B, 0)));
	cr_assert_eq(B.e.sa.next_req_id, 2);
}

Test(ike, liveness_and_deletes)
{
	established();
	cr_assert_eq(ike_liveness(&A.e, net.now, &A.o), 0);
	cr_assert_neq(A.o.timer_at, IKE_TIMER_NONE);
	h_collect(&net, 0);
	h_pump(&net);
	cr_assert_eq(A.timer_at, IKE_TIMER_NONE); /* answered: nothing to retransmit */
	cr_assert_eq(A.e.sa.next_req_id, 3);
	cr_assert_eq(B.e.sa.peer_next_id, 3);
	/* one exchange at a time (window 1) */
	cr_assert_eq(ike_liveness(&A.e, net.now, &A.o), 0);
	cr_assert_eq(ike_liveness(&A.e, net.now, &A.o), RMC_ESTATE);
	h_collect(&net, 0);
	h_pump(&net);
	uint32_t spi = child_of(&B, 0)->spi_in;
	cr_assert_eq(ike_delete_child(&B.e, net.now, spi, &B.o), 0);
	h_collect(&net, 1);
	h_pump(&net);
	cr_assert_eq(ike_nchildren(&A.e), 0);
	cr_assert_eq(ike_nchildren(&B.e), 0);
	cr_assert_eq(h_last(&A, IKE_EV_CHILD_DOWN)->child.spi_out, spi);
	cr_assert_eq(ike_delete_ike(&A.e, net.now, &A.o), 0);
	h_collect(&net, 0);
	h_pump(&net);
	cr_assert_eq(A.e.state, IKE_S_DEAD);
	cr_assert_eq(B.e.state, IKE_S_DEAD);
	cr_assert_eq(h_count(&A, IKE_EV_IKE_DOWN), 1);
	cr_assert_eq(h_count(&B, IKE_EV_IKE_DOWN), 1);
}

static int drop_left;
static bool
drop_from_b(struct h_net *n, struct h_msg *m)
{
	(void)n;
	if (m->to == 0 && drop_left > 0) {
		drop_left--;
		return false;
	}
	return true;
}

Test(ike, retransmission_identical_bytes_cached_response)
{
	established();
	ike_liveness(&A.e, 0, &A.o);
	uint8_t sent[IKEV2_MSG_MAX];
	size_t sent_len = A.o.len[0];
	memcpy(sent, A.o.msg[0], sent_len);
	cr_assert_eq(A.o.timer_at, 1000);
	h_collect(&net, 0);
	drop_left = 1;
	net.filter = drop_from_b;
	h_pump(&net); /* B answered, the answer was lost */
	cr_assert_eq(A.e.sa.req.kind, IKE_REQ_LIVENESS);
	net.now = 1000;
	ike_timer(&A.e, net.now, &A.o);
	cr_assert_eq(A.o.nmsg, 1);
	cr_assert_eq(A.o.len[0], sent_len);
	cr_assert_eq(memcmp(A.o.msg[0], sent, sent_len), 0, "retransmission must be identical");
	cr_assert_eq(A.o.timer_at, 1000 + 2000); /* doubled */
	h_collect(&net, 0);
	h_pump(&net);
	cr_assert_eq(B.e.stats.resp_resent, 1);
	cr_assert_eq(A.e.sa.req.kind, IKE_REQ_NONE);
	cr_assert_eq(A.e.stats.retransmits, 1);
}

Test(ike, retransmission_gives_up)
{
	established();
	ike_liveness(&A.e, 0, &A.o);
	A.o.nmsg = 0; /* lost */
	h_collect(&net, 0);
	uint64_t want[] = {1000, 3000, 7000, 15000};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(A.timer_at, want[i]);
		net.now = A.timer_at;
		ike_timer(&A.e, net.now, &A.o);
		cr_assert_eq(A.o.nmsg, 1);
		A.o.nmsg = 0;
		h_collect(&net, 0);
	}
	cr_assert_eq(A.timer_at, want[3]);
	net.now = A.timer_at;
	ike_timer(&A.e, net.now, &A.o);
	h_collect(&net, 0);
	cr_assert_eq(A.e.state, IKE_S_DEAD);
	cr_assert_eq(h_count(&A, IKE_EV_IKE_DOWN), 1);
	cr_assert_eq(h_count(&A, IKE_EV_CHILD_DOWN), 1);
	cr_assert_eq(A.timer_at, IKE_TIMER_NONE);
}

Test(ike, init_retransmitted_gets_same_answer)
{
	h_setup(&net, &A, &B);
	ike_start(&A.e, 0, &A.o);
	uint8_t m1[IKEV2_MSG_MAX];
	size_t l1 = A.o.len[0];
	memcpy(m1, A.o.msg[0], l1);
	ike_input(&B.e, 0, m1, l1, &B.o);
	uint8_t r1[IKEV2_MSG_MAX];
	size_t rl1 = B.o.len[0];
	memcpy(r1, B.o.msg[0], rl1);
	ike_out_reset(&B.o);
	ike_input(&B.e, 0, m1, l1, &B.o);
	cr_assert_eq(B.o.nmsg, 1);
	cr_assert_eq(B.o.len[0], rl1);
	cr_assert_eq(memcmp(B.o.msg[0], r1, rl1), 0);
	cr_assert_eq(B.e.stats.resp_resent, 1);
}

/* §2.8.1: both ends rekey the same CHILD_SA at once; one redundant SA is removed. */
Test(ike, simultaneous_child_rekey)
{
	for (int pfs = 0; pfs < 2; pfs++) {
		established();
		A.e.cfg.pfs = B.e.cfg.pfs = pfs;
		cr_assert_eq(ike_rekey_child(&A.e, 0, child_of(&A, 0)->spi_in, &A.o), 0);
		cr_assert_eq(ike_rekey_child(&B.e, 0, child_of(&B, 0)->spi_in, &B.o), 0);
		h_collect(&net, 0);
		h_collect(&net, 1);
		h_pump(&net);
		cr_assert_eq(A.e.stats.collisions, 1);
		cr_assert_eq(B.e.stats.collisions, 1);
		cr_assert_eq(ike_nchildren(&A.e), 1, "pfs %d: A has %zu", pfs, ike_nchildren(&A.e));
		cr_assert_eq(ike_nchildren(&B.e), 1);
		cr_assert(h_child_pair_ok(child_of(&A, 0), child_of(&B, 0)));
		cr_assert_eq(A.e.sa.req.kind, IKE_REQ_NONE);
		cr_assert_eq(B.e.sa.req.kind, IKE_REQ_NONE);
	}
}

/* A responder that insists on PFS answers INVALID_KE_PAYLOAD; the initiator retries with KE. */
Test(ike, pfs_demanded_by_responder)
{
	established();
	B.e.cfg.pfs = true;
	uint32_t old_in = child_of(&A, 0)->spi_in;
	cr_assert_eq(ike_rekey_child(&A.e, 0, old_in, &A.o), 0);
	cr_assert_eq(A.e.sa.req.with_ke, false);
	h_collect(&net, 0);
	h_pump(&net);
	cr_assert_eq(h_count(&A, IKE_EV_ERROR), 0);
	cr_assert_eq(ike_nchildren(&A.e), 1);
	cr_assert_eq(ike_nchildren(&B.e), 1);
	cr_assert_eq(h_last(&A, IKE_EV_CHILD_UP)->rekeyed_spi_in, old_in);
	cr_assert(h_child_pair_ok(child_of(&A, 0), child_of(&B, 0)));
	cr_assert_eq(A.e.sa.next_req_id, 5); /* AUTH 1, refused 2, retried 3, delete 4 */
}
