/*
 * The NIC's side of the refresh commit (patent Fig. 5): each mutant of
 * nodes/mutant.h that breaks one of its requirements, on the input that
 * exposes it, against the reference on the same input. The SAs come from
 * IKE between the server and the client's host, as in the scenarios with
 * `key_exchange: ike`; the test drops commit messages and injects frames
 * under the SAs the nodes exported.
 */
#include "nodes/tests/test_mutants_lan.h"

static void
teardown(void)
{
	lan_fini(&L);
}

/*
 * Client and server negotiating with IKE: the server's first poll (2.5 s)
 * starts the first exchange and commit; refreshes follow every `refresh`.
 */
static void
start_ike(enum mutant m, enum commit_profile prof, uint64_t refresh)
{
	struct client_cfg cc = lan_client_cfg(m, MGMT_SUITE_NONE, true);
	struct server_cfg sc = lan_server_cfg(m, 0, true);
	cc.profile = sc.profile = prof;
	cc.timing.refresh = sc.timing.refresh = refresh;
	lan_start(&L, &cc, &sc, 1);
}

/* The NIC's first SA, committed; returns its SPI into the NIC. */
static uint32_t
first_sa(void)
{
	lan_run_until(&L, 10 * SEC);
	uint32_t spi = client_active_spi(&L.c);
	cr_assert(spi, "the first SA is committed");
	cr_assert_eq(server_client_spi(&L.s[0], 0), spi);
	return spi;
}

/* The key of the SA the NIC holds pending (stored, SA_READY sent, no SA_ACK yet). */
static const struct nvram_sa *
pending_key(void)
{
	cr_assert(L.c.cm.pending_spi, "the NIC holds a pending SA");
	const struct nvram_sa *k = lan_key_in(&L, L.c.cm.pending_spi);
	cr_assert(k, "its key was exported");
	return k;
}

/* REQ-NIC-PENDING-NOT-USED. Every SA_ACK lost; a Reset sealed under the pending SA. */
static bool
reset_under_pending_sa_acted_on(enum mutant m)
{
	start_ike(m, COMMIT_STRICT, 60 * SEC);
	lan_drop_type = ASF_COMMIT_ACK;
	L.drop = lan_drop_commit;
	lan_run_until(&L, 4 * SEC);
	cr_assert_eq(lan_commit_msgs(&L, ASF_COMMIT_READY), 1);
	uint64_t t = L.now;
	lan_inject_asf(&L, pending_key(), 50, ASF_RESET, false);
	bool acted = L.c.st.commands_executed > 0 || lan_client_mgmt(&L, t) > 0;
	lan_fini(&L);
	return acted;
}

Test(mutant_commit, pending_executes, .fini = teardown)
{
	cr_assert(!reset_under_pending_sa_acted_on(MUT_NONE), "neither executed nor answered");
	cr_assert(reset_under_pending_sa_acted_on(MUT_PENDING_EXECUTES));
}

/*
 * Robust: the first SA committed; at the refresh every SA_CONFIRM is lost,
 * so the NIC holds the new SA as active and the previous one, while the
 * server still sends under the previous one. The server then asks for the
 * System State (under the previous SA). Returns the SPI the NIC answered
 * under (0: no answer); *prev_out, *new_out: the two SAs' outbound SPIs.
 */
static uint32_t
answer_spi_after_lost_confirm(enum mutant m, uint32_t *prev_out, uint32_t *new_out)
{
	start_ike(m, COMMIT_ROBUST, 20 * SEC);
	uint32_t prev = first_sa();
	lan_drop_type = ASF_COMMIT_CONFIRM;
	L.drop = lan_drop_commit;
	lan_run_until(&L, 24 * SEC);
	uint32_t now_active = client_active_spi(&L.c);
	cr_assert_neq(now_active, prev, "the NIC committed the refreshed SA");
	cr_assert_eq(server_client_spi(&L.s[0], 0), prev, "the server has not switched");
	*prev_out = lan_key_in(&L, prev)->spi_out;
	*new_out = lan_key_in(&L, now_active)->spi_out;
	uint64_t t = L.now;
	cr_assert_eq(lan_send(&L, 0, ASF_SYSTEM_STATE_REQ, SERVER_VIA_SECURE), RMC_OK);
	uint32_t spi = 0;
	for (size_t i = 0; i < L.nlog; i++)
		if (L.log[i].from == LAN_CLIENT && L.log[i].t >= t && L.log[i].opened &&
		    L.log[i].iana == ASF_IANA && L.log[i].type == ASF_SYSTEM_STATE_RESP)
			spi = L.log[i].spi;
	lan_fini(&L);
	return spi;
}

Test(mutant_commit, reply_under_request_sa, .fini = teardown)
{
	uint32_t prev, nw;
	cr_assert_eq(answer_spi_after_lost_confirm(MUT_NONE, &prev, &nw), nw,
		     "answered under the active (new) SA");
	cr_assert_eq(answer_spi_after_lost_confirm(MUT_REPLY_UNDER_REQUEST_SA, &prev, &nw), prev,
		     "answered under the previous SA the request came under");
}

Test(mutant_commit, retire_prev_on_commit, .fini = teardown)
{
	uint32_t prev, nw;
	cr_assert_eq(answer_spi_after_lost_confirm(MUT_NONE, &prev, &nw), nw,
		     "the previous SA is still accepted: the server is answered");
	cr_assert_eq(answer_spi_after_lost_confirm(MUT_RETIRE_PREV_ON_COMMIT, &prev, &nw), 0,
		     "the previous SA was dropped at the commit: no answer");
}

/*
 * REQ-NIC-UNKNOWN-SPI. Strict: two commits went through, so the first SA is
 * retired (its NVRAM slot still holds it). A Reset sealed under it, and one
 * under a made-up SPI with the same keys.
 */
static bool
reset_under_retired_sa_executed(enum mutant m)
{
	start_ike(m, COMMIT_STRICT, 20 * SEC);
	uint32_t first = first_sa();
	lan_run_until(&L, 30 * SEC);
	cr_assert_neq(client_active_spi(&L.c), first, "the refresh committed");
	cr_assert_eq(server_client_spi(&L.s[0], 0), client_active_spi(&L.c));
	struct nvram_sa made_up = *lan_key_in(&L, first);
	made_up.spi_in = 0x0badcafe;
	lan_inject_asf(&L, &made_up, 1000, ASF_RESET, false);
	cr_assert_eq(L.c.st.commands_executed, 0, "a made-up SPI is never opened");
	lan_inject_asf(&L, lan_key_in(&L, first), 1000, ASF_RESET, false);
	bool executed = L.c.st.commands_executed > 0;
	lan_fini(&L);
	return executed;
}

Test(mutant_commit, stale_slot_spi, .fini = teardown)
{
	cr_assert(!reset_under_retired_sa_executed(MUT_NONE), "the retired SA is gone");
	cr_assert(reset_under_retired_sa_executed(MUT_STALE_SLOT_SPI));
}

/*
 * REQ-F5-RESTORE-NO-ACK. The first SA committed; the refresh's SA_ACK is
 * lost, and the NIC's wait for it runs out (strict: the READY wait, robust:
 * its last READY). Which SA is active then, and did a CONFIRM leave?
 */
static bool
switched_without_ack(enum mutant m, enum commit_profile prof)
{
	start_ike(m, prof, 20 * SEC);
	uint32_t first = first_sa();
	lan_drop_type = ASF_COMMIT_ACK;
	L.drop = lan_drop_commit;
	lan_run_until(&L, 40 * SEC);
	cr_assert_geq(lan_commit_msgs(&L, ASF_COMMIT_ACK), 1, "the server sent its ACK: lost");
	bool switched = client_active_spi(&L.c) != first;
	bool confirmed = lan_commit_msgs(&L, ASF_COMMIT_CONFIRM) > 1;
	cr_assert_eq(switched, confirmed);
	lan_fini(&L);
	return switched;
}

Test(mutant_commit, commit_on_ack_timeout, .fini = teardown)
{
	cr_assert(!switched_without_ack(MUT_NONE, COMMIT_STRICT), "restored the previous SA");
	cr_assert(!switched_without_ack(MUT_NONE, COMMIT_ROBUST));
	cr_assert(switched_without_ack(MUT_COMMIT_ON_ACK_TIMEOUT, COMMIT_STRICT));
	cr_assert(switched_without_ack(MUT_COMMIT_ON_ACK_TIMEOUT, COMMIT_ROBUST));
}

/*
 * REQ-COMMIT-ORDER. The server's SA_ACK is lost; an SA_ACK sealed under the
 * pending SA, naming its SPIs, but with another transaction id.
 */
static bool
commits_on_foreign_ack(enum mutant m)
{
	start_ike(m, COMMIT_STRICT, 60 * SEC);
	lan_drop_type = ASF_COMMIT_ACK;
	L.drop = lan_drop_commit;
	lan_run_until(&L, 4 * SEC);
	const struct nvram_sa *p = pending_key();
	struct commit_wire w = {.type = ASF_COMMIT_ACK,
				.nic_spi_in = p->spi_in,
				.nic_spi_out = p->spi_out,
				.txid = L.c.cm.pending_txid + 1};
	uint8_t buf[COMMIT_WIRE_RMCP_LEN];
	size_t n;
	cr_assert_eq(commit_wire_pack(&w, buf, sizeof(buf), &n), RMC_OK);
	lan_inject_sealed(&L, p, 9, RMCP_PORT_SECURE, buf, n, false);
	bool committed = client_active_spi(&L.c) == p->spi_in;
	cr_assert_eq(committed, lan_commit_msgs(&L, ASF_COMMIT_CONFIRM) == 1);
	lan_fini(&L);
	return committed;
}

Test(mutant_commit, commit_wrong_txid, .fini = teardown)
{
	cr_assert(!commits_on_foreign_ack(MUT_NONE), "an ACK of another transaction is ignored");
	cr_assert(commits_on_foreign_ack(MUT_COMMIT_WRONG_TXID));
}
