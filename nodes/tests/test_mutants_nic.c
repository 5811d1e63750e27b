/*
 * The NIC's receive path and clear mode: each mutant of nodes/mutant.h
 * that breaks one of them, on the input that exposes it. Every test runs
 * the same input twice, on the reference and on the mutant, and shows the
 * reference meets the requirement and the mutant does not. Provisioned
 * SAs (no IKE): these requirements do not depend on how the SA came.
 */
#include "nodes/tests/test_mutants_lan.h"

static void
teardown(void)
{
	lan_fini(&L);
}

/* A client holding the provisioned SA of suite, and one server holding its mirror. */
static void
start_secured(enum mutant m, uint8_t suite, struct client_cfg *cc)
{
	*cc = lan_client_cfg(m, suite, false);
	struct server_cfg sc = lan_server_cfg(m, 0, false);
	lan_start(&L, cc, &sc, 1);
}

/* A client with no SA, in cold boot, whose bits allow clear System State and Reset on 623. */
static void
start_bare(enum mutant m)
{
	struct client_cfg cc = lan_client_cfg(m, MGMT_SUITE_NONE, false);
	cc.power = PWR_COLD_BOOT;
	cc.nvram.policy =
	    (struct nvram_policy){true, RMCP_PORT_CLEAR, ASF_CLEAR_SYSTEM_STATE | ASF_CLEAR_RESET};
	struct server_cfg sc = lan_server_cfg(m, 0, false);
	sc.clear_fallback = true;
	lan_start(&L, &cc, &sc, 1);
}

/*
 * REQ-IPSEC-ICV-BEFORE-REPLAY. A Power-down sealed under the active SA at
 * sequence 1000, its ICV damaged, then the server's own Reset (sequence 2):
 * is the Reset still carried out?
 */
static bool
genuine_reset_after_forgery(enum mutant m)
{
	struct client_cfg cc;
	start_secured(m, MGMT_ESP_GCM_128, &cc);
	lan_send(&L, 0, ASF_PRESENCE_PING, SERVER_VIA_SECURE);
	cr_assert(L.s[0].clients[0].present);
	lan_inject_asf(&L, &cc.sa, 1000, ASF_POWER_DOWN, true);
	cr_assert_eq(L.c.power, PWR_OS_UP, "the forged power-down is never executed");
	lan_send(&L, 0, ASF_RESET, SERVER_VIA_SECURE);
	bool ok = L.c.power == PWR_PRE_BOOT;
	lan_fini(&L);
	return ok;
}

Test(mutant_nic, replay_before_icv, .fini = teardown)
{
	cr_assert(genuine_reset_after_forgery(MUT_NONE), "the forgery left the window alone");
	cr_assert(!genuine_reset_after_forgery(MUT_REPLAY_BEFORE_ICV),
		  "the forgery moved the window: the genuine Reset looks old");
}

/* REQ-NIC-SELECTORS. A Reset sealed under the active SA but addressed to UDP 623 inside. */
static bool
reset_to_623_inside_esp_executed(enum mutant m)
{
	struct client_cfg cc;
	start_secured(m, MGMT_ESP_GCM_128, &cc);
	uint8_t buf[64];
	size_t n = lan_asf(ASF_RESET, 3, buf, sizeof(buf));
	lan_inject_sealed(&L, &cc.sa, 5, RMCP_PORT_CLEAR, buf, n, false);
	bool executed = L.c.st.commands_executed > 0;
	lan_fini(&L);
	return executed;
}

Test(mutant_nic, selectors_ignored, .fini = teardown)
{
	cr_assert(!reset_to_623_inside_esp_executed(MUT_NONE), "the SA carries UDP 664 only");
	cr_assert(reset_to_623_inside_esp_executed(MUT_SELECTORS_IGNORED));
}

/*
 * REQ-NIC-REPLAY-POWER-LOSS. A Power cycle sealed validly under the active
 * SA at sequence 5, carried out; the NIC loses power and gets it back (soft
 * off, where a Power cycle is legal); the same packet again, then the next
 * number. How many Power cycles did the NIC carry out?
 */
static uint64_t
power_cycles_after_replay_across_power_loss(enum mutant m, uint8_t suite)
{
	struct client_cfg cc;
	start_secured(m, suite, &cc);
	lan_inject_asf(&L, &cc.sa, 5, ASF_POWER_CYCLE, false);
	cr_assert_eq(L.c.st.executed[ASF_POWER_CYCLE - ASF_RESET], 1, "the original is executed");
	lan_client_power(&L, PC_POWER_LOSS);
	lan_client_power(&L, PC_POWER_RESTORE);
	cr_assert_eq(L.c.power, PWR_SOFT_OFF);
	lan_inject_asf(&L, &cc.sa, 5, ASF_POWER_CYCLE, false);
	bool replayed = L.c.st.executed[ASF_POWER_CYCLE - ASF_RESET] == 2;
	cr_assert_eq(L.c.power, replayed ? PWR_PRE_BOOT : PWR_SOFT_OFF);
	lan_inject_asf(&L, &cc.sa, 6, ASF_POWER_CYCLE, false);
	uint64_t n = L.c.st.executed[ASF_POWER_CYCLE - ASF_RESET];
	cr_assert_eq(n, replayed ? 3 : 2, "the next number is carried out either way");
	lan_fini(&L);
	return n;
}

Test(mutant_nic, replay_window_in_ram, .fini = teardown)
{
	static const uint8_t suites[] = {MGMT_ESP_GCM_128, MGMT_AH, MGMT_AH_ESP};
	for (size_t i = 0; i < sizeof(suites); i++) {
		cr_assert_eq(power_cycles_after_replay_across_power_loss(MUT_NONE, suites[i]), 2,
			     "%s: the replay is refused after the power loss",
			     mgmt_suite_name(suites[i]));
		cr_assert_eq(power_cycles_after_replay_across_power_loss(MUT_REPLAY_WINDOW_IN_RAM,
									 suites[i]),
			     3, "%s: the window restarted empty", mgmt_suite_name(suites[i]));
	}
}

/* REQ-IPSEC-ICV. A Reset under the active AH SA, one covered byte flipped after sealing. */
static bool
damaged_ah_reset_executed(enum mutant m, uint8_t suite)
{
	struct client_cfg cc;
	start_secured(m, suite, &cc);
	lan_inject_asf(&L, &cc.sa, 3, ASF_RESET, true);
	bool executed = L.c.power == PWR_PRE_BOOT;
	lan_fini(&L);
	return executed;
}

Test(mutant_nic, ah_icv_unchecked, .fini = teardown)
{
	cr_assert(!damaged_ah_reset_executed(MUT_NONE, MGMT_AH), "a bad ICV is discarded");
	cr_assert(damaged_ah_reset_executed(MUT_AH_ICV_UNCHECKED, MGMT_AH));
	cr_assert(!damaged_ah_reset_executed(MUT_AH_ICV_UNCHECKED, MGMT_ESP_GCM_128),
		  "the mutant is AH's: GCM still checks its tag");
}

/* REQ-NIC-CLEAR-664-REFUSED. A clear System State Request to UDP 664 of a NIC with no SA. */
static size_t
answers_to_clear_664(enum mutant m)
{
	start_bare(m);
	lan_inject_clear(&L, RMCP_PORT_SECURE, ASF_SYSTEM_STATE_REQ, 4);
	size_t n = lan_client_sent(&L, 0);
	lan_fini(&L);
	return n;
}

Test(mutant_nic, clear_664_when_bare, .fini = teardown)
{
	cr_assert_eq(answers_to_clear_664(MUT_NONE), 0, "664 is never clear");
	cr_assert_eq(answers_to_clear_664(MUT_CLEAR_664_WHEN_BARE), 2, "an ACK and the answer");
}

/* REQ-NIC-CLEAR-ONLY-CONFIGURED. A clear Reset (RMCP sequence 9) to a secure-only NIC. */
static size_t
answers_to_forbidden_clear_reset(enum mutant m)
{
	struct client_cfg cc;
	start_secured(m, MGMT_ESP_GCM_128, &cc);
	lan_inject_clear(&L, RMCP_PORT_CLEAR, ASF_RESET, 9);
	cr_assert_eq(L.c.power, PWR_OS_UP, "not executed in either");
	size_t n = lan_client_sent(&L, 0);
	lan_fini(&L);
	return n;
}

Test(mutant_nic, clear_ack_refused, .fini = teardown)
{
	cr_assert_eq(answers_to_forbidden_clear_reset(MUT_NONE), 0, "secure-only: no clear RMCP");
	cr_assert_eq(answers_to_forbidden_clear_reset(MUT_CLEAR_ACK_REFUSED), 1, "an RMCP ACK");
	const struct lan_seen *ack = NULL;
	struct client_cfg cc;
	start_secured(MUT_CLEAR_ACK_REFUSED, MGMT_ESP_GCM_128, &cc);
	lan_inject_clear(&L, RMCP_PORT_CLEAR, ASF_RESET, 9);
	for (size_t i = 0; i < L.nlog; i++)
		if (L.log[i].from == LAN_CLIENT)
			ack = &L.log[i];
	cr_assert(ack && ack->rmcp && ack->ack && !ack->ipsec && ack->dport == RMCP_PORT_CLEAR);
}

/* REQ-F6-R6-CLEAR-RESTRICTED. A clear Power-down, outside the configured set, in cold boot. */
static bool
clear_power_down_executed_in_cold_boot(enum mutant m)
{
	start_bare(m);
	lan_inject_clear(&L, RMCP_PORT_CLEAR, ASF_POWER_DOWN, 5);
	bool executed = L.c.power == PWR_SOFT_OFF;
	lan_fini(&L);
	return executed;
}

Test(mutant_nic, clear_open_when_bare, .fini = teardown)
{
	cr_assert(!clear_power_down_executed_in_cold_boot(MUT_NONE), "only the configured set");
	cr_assert(clear_power_down_executed_in_cold_boot(MUT_CLEAR_OPEN_WHEN_BARE));
	/* the same NIC once it holds an SA keeps to its bits: the mutant is about a bare NIC */
	struct client_cfg cc;
	start_secured(MUT_CLEAR_OPEN_WHEN_BARE, MGMT_ESP_GCM_128, &cc);
	lan_inject_clear(&L, RMCP_PORT_CLEAR, ASF_POWER_DOWN, 5);
	cr_assert_eq(L.c.power, PWR_OS_UP);
}

/*
 * REQ-F6-R8-CLEAR-SERVER-COLD. The NIC holds its SA and allows clear System
 * State on 623; its host is hung; a server without context asks in the clear.
 */
static bool
clear_state_answered_while_holding_sa(enum mutant m)
{
	struct client_cfg cc = lan_client_cfg(m, MGMT_ESP_GCM_128, false);
	cc.nvram.policy = (struct nvram_policy){true, RMCP_PORT_CLEAR, ASF_CLEAR_SYSTEM_STATE};
	struct server_cfg sc = lan_server_cfg(m, 0, false);
	sc.clear_fallback = true;
	lan_start(&L, &cc, &sc, 1);
	lan_client_power(&L, PC_OS_HANG);
	cr_assert_eq(lan_send(&L, 0, ASF_SYSTEM_STATE_REQ, SERVER_VIA_CLEAR), RMC_OK);
	bool answered = L.s[0].clients[0].state_known;
	lan_fini(&L);
	return answered;
}

Test(mutant_nic, clear_refused_with_sa, .fini = teardown)
{
	cr_assert(clear_state_answered_while_holding_sa(MUT_NONE), "the bits allow it");
	cr_assert(!clear_state_answered_while_holding_sa(MUT_CLEAR_REFUSED_WITH_SA));
}

/* REQ-F6-R3/R4/R5-STORED-SA. The host enters a state; the server asks under the stored SA. */
static bool
secure_state_answered_after(enum mutant m, enum power_cause cause)
{
	struct client_cfg cc = lan_client_cfg(m, MGMT_ESP_GCM_128, false);
	cc.boot_ns = NODE_TIMER_NEVER; /* a reset leaves it in pre-boot */
	struct server_cfg sc = lan_server_cfg(m, 0, false);
	lan_start(&L, &cc, &sc, 1);
	lan_client_power(&L, cause);
	lan_send(&L, 0, ASF_SYSTEM_STATE_REQ, SERVER_VIA_SECURE);
	bool answered = L.s[0].clients[0].state_known;
	lan_fini(&L);
	return answered;
}

Test(mutant_nic, sa_lost_on_hang, .fini = teardown)
{
	cr_assert(secure_state_answered_after(MUT_NONE, PC_OS_HANG));
	cr_assert(!secure_state_answered_after(MUT_SA_LOST_ON_HANG, PC_OS_HANG));
	cr_assert(secure_state_answered_after(MUT_SA_LOST_ON_HANG, PC_SUSPEND), "hang only");
}

Test(mutant_nic, sa_lost_on_preboot, .fini = teardown)
{
	cr_assert(secure_state_answered_after(MUT_NONE, PC_RESET));
	cr_assert(!secure_state_answered_after(MUT_SA_LOST_ON_PREBOOT, PC_RESET));
	cr_assert(secure_state_answered_after(MUT_SA_LOST_ON_PREBOOT, PC_OS_HANG), "pre-boot only");
}

Test(mutant_nic, sa_lost_on_suspend, .fini = teardown)
{
	cr_assert(secure_state_answered_after(MUT_NONE, PC_SUSPEND));
	cr_assert(!secure_state_answered_after(MUT_SA_LOST_ON_SUSPEND, PC_SUSPEND));
	cr_assert(secure_state_answered_after(MUT_SA_LOST_ON_SUSPEND, PC_RESET), "suspend only");
}

/* REQ-MGMT-EXECUTED. A secured Reset to a hung host: acknowledged, and carried out? */
static bool
secure_reset_of_hung_host_executed(enum mutant m)
{
	struct client_cfg cc;
	start_secured(m, MGMT_ESP_GCM_128, &cc);
	lan_client_power(&L, PC_OS_HANG);
	lan_send(&L, 0, ASF_RESET, SERVER_VIA_SECURE);
	cr_assert(!L.s[0].clients[0].in_flight, "the NIC acknowledged the Reset");
	bool executed = L.c.power == PWR_PRE_BOOT;
	lan_fini(&L);
	return executed;
}

Test(mutant_nic, exec_via_host, .fini = teardown)
{
	cr_assert(secure_reset_of_hung_host_executed(MUT_NONE));
	cr_assert(!secure_reset_of_hung_host_executed(MUT_EXEC_VIA_HOST));
}

/*
 * REQ-TRACE-VERIFIES (and REQ-NIC-SEQ-NO-REUSE's nonce clause). Secured
 * answers before and after a NIC power loss: is any GCM IV sent twice under
 * the NIC's one outbound key? Only a reader of the wire sees it: the
 * server opens every one of them.
 */
static bool
nic_repeats_an_iv(enum mutant m)
{
	struct client_cfg cc;
	start_secured(m, MGMT_ESP_GCM_128, &cc);
	lan_send(&L, 0, ASF_SYSTEM_STATE_REQ, SERVER_VIA_SECURE);
	lan_client_power(&L, PC_POWER_LOSS);
	lan_client_power(&L, PC_POWER_RESTORE);
	lan_send(&L, 0, ASF_SYSTEM_STATE_REQ, SERVER_VIA_SECURE);
	cr_assert_eq(L.s[0].st.ipsec_rejected, 0, "the server opened everything");
	cr_assert_eq(L.s[0].clients[0].system_state, 0x05, "the second answer came (soft off)");
	size_t k = 0;
	bool repeat = false;
	const struct lan_seen *sent[16];
	for (size_t i = 0; i < L.nlog && k < 16; i++)
		if (L.log[i].from == LAN_CLIENT && L.log[i].ipsec)
			sent[k++] = &L.log[i];
	cr_assert_geq(k, 4, "two ACKs and two answers");
	for (size_t i = 0; i < k; i++)
		for (size_t j = i + 1; j < k; j++)
			repeat |= memcmp(sent[i]->iv, sent[j]->iv, 8) == 0;
	lan_fini(&L);
	return repeat;
}

Test(mutant_nic, gcm_iv_restart, .fini = teardown)
{
	cr_assert(!nic_repeats_an_iv(MUT_NONE), "the IV is the sequence number, never repeated");
	cr_assert(nic_repeats_an_iv(MUT_GCM_IV_RESTART));
}
