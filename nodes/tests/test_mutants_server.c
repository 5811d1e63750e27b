/*
 * The server's requirements (patent Figs. 3, 4, 6 rows 7 and 9, the
 * persistent store): each server mutant of nodes/mutant.h on the input
 * that exposes it, against the reference on the same input.
 */
#include "nodes/tests/test_mutants_lan.h"

static void
teardown(void)
{
	lan_fini(&L);
}

/*
 * A client in cold boot (no SA, IKE on its host once its OS is up) whose
 * bits allow the whole clear set on 623, and a server with IKE and clear
 * fallback: Fig. 6 row 6, or row 9 once the server is cold too.
 */
static void
start_cold_client(enum mutant m)
{
	struct client_cfg cc = lan_client_cfg(m, MGMT_SUITE_NONE, true);
	cc.power = PWR_COLD_BOOT;
	cc.nvram.policy = (struct nvram_policy){true, RMCP_PORT_CLEAR, ASF_CLEAR_ALL_MSGS};
	struct server_cfg sc = lan_server_cfg(m, 0, true);
	sc.clear_fallback = true;
	lan_start(&L, &cc, &sc, 1);
}

/*
 * REQ-F3-IKE-ON-OS-UP. The cold-boot client answers the server's clear
 * polls (S0, no watchdog) for 30 s; then a Reset boots its OS (up at 50 s).
 * *early: IKE_SA_INITs before the OS was up; returns those after.
 */
static size_t
ike_inits_around_boot(enum mutant m, size_t *early)
{
	start_cold_client(m);
	lan_run_until(&L, 30 * SEC);
	cr_assert(L.s[0].clients[0].state_known, "the clear polls are answered");
	*early = lan_ike_inits(&L, 0, 30 * SEC);
	lan_client_power(&L, PC_RESET);
	lan_run_until(&L, 60 * SEC);
	cr_assert_eq(L.c.power, PWR_OS_UP);
	size_t late = lan_ike_inits(&L, 50 * SEC, 60 * SEC);
	lan_fini(&L);
	return late;
}

Test(mutant_server, ike_while_not_up, .fini = teardown)
{
	size_t early;
	cr_assert_geq(ike_inits_around_boot(MUT_NONE, &early), 1, "IKE once the OS is up");
	cr_assert_eq(early, 0, "no IKE with a client whose OS is not up");
	ike_inits_around_boot(MUT_IKE_WHILE_NOT_UP, &early);
	cr_assert_geq(early, 1, "the mutant starts IKE with the cold-boot client");
}

/*
 * REQ-F6-R9-CLEAR-BOTH-COLD. The server is freshly installed at 0 (no
 * context), the cold-boot client boots at 1 s (OS up at 21 s). Is a
 * security context established, and does the clear traffic stop?
 */
static bool
context_established_after_both_cold(enum mutant m, size_t *clear_late)
{
	start_cold_client(m);
	lan_server_power(&L, 0, PC_FRESH_INSTALL);
	lan_run_until(&L, 1 * SEC);
	lan_client_power(&L, PC_RESET);
	lan_run_until(&L, 60 * SEC);
	bool secured = client_active_spi(&L.c) && server_client_spi(&L.s[0], 0);
	*clear_late = 0;
	for (size_t i = 0; i < L.nlog; i++)
		*clear_late += L.log[i].t >= 45 * SEC && L.log[i].rmcp && !L.log[i].ipsec;
	lan_fini(&L);
	return secured;
}

Test(mutant_server, cold_server_stays_clear, .fini = teardown)
{
	size_t clear_late;
	cr_assert(context_established_after_both_cold(MUT_NONE, &clear_late));
	cr_assert_eq(clear_late, 0, "clear only until the context is established");
	cr_assert(!context_established_after_both_cold(MUT_COLD_SERVER_STAYS_CLEAR, &clear_late));
	cr_assert_gt(clear_late, 0, "the mutant keeps managing in the clear");
}

/* REQ-REFRESH-CONFIG. Refresh configured at 10 s: IKE exchanges in the first 30 s. */
static size_t
ike_inits_first_30s(enum mutant m)
{
	struct client_cfg cc = lan_client_cfg(m, MGMT_SUITE_NONE, true);
	struct server_cfg sc = lan_server_cfg(m, 0, true);
	cc.timing.refresh = sc.timing.refresh = 10 * SEC;
	lan_start(&L, &cc, &sc, 1);
	lan_run_until(&L, 30 * SEC);
	size_t n = lan_ike_inits(&L, 0, 30 * SEC);
	lan_fini(&L);
	return n;
}

Test(mutant_server, refresh_default_interval, .fini = teardown)
{
	cr_assert_eq(ike_inits_first_30s(MUT_NONE), 3, "at 2.5 s, then every 10 s");
	cr_assert_eq(ike_inits_first_30s(MUT_REFRESH_DEFAULT_INTERVAL), 1,
		     "the built-in 60 s: no refresh yet");
}

/*
 * REQ-SRV-PERSISTENT-SA. The first SA committed, the client's OS hangs
 * (no IKE possible), the server crashes and comes back. Can it still
 * manage the client under the stored SA?
 */
static bool
manages_hung_client_after_restart(enum mutant m)
{
	struct client_cfg cc = lan_client_cfg(m, MGMT_SUITE_NONE, true);
	struct server_cfg sc = lan_server_cfg(m, 0, true);
	lan_start(&L, &cc, &sc, 1);
	lan_run_until(&L, 10 * SEC);
	uint32_t spi = client_active_spi(&L.c);
	cr_assert(spi);
	lan_client_power(&L, PC_OS_HANG);
	static const enum power_cause crash[] = {PC_POWER_LOSS, PC_POWER_RESTORE, PC_POWER_UP,
						 PC_BOOT_COMPLETE};
	for (size_t i = 0; i < 4; i++)
		lan_server_power(&L, 0, crash[i]);
	uint64_t t = L.now;
	bool ok = server_client_spi(&L.s[0], 0) == spi &&
		  lan_send(&L, 0, ASF_RESET, SERVER_VIA_SECURE) == RMC_OK &&
		  L.c.power == PWR_PRE_BOOT && lan_client_mgmt(&L, t) > 0;
	lan_fini(&L);
	return ok;
}

Test(mutant_server, no_persistent_store, .fini = teardown)
{
	cr_assert(manages_hung_client_after_restart(MUT_NONE), "the SA came back from the store");
	cr_assert(!manages_hung_client_after_restart(MUT_NO_PERSISTENT_STORE));
}

/*
 * REQ-F6-R7-FAILOVER. A primary (heartbeat 1 s) and a secondary (takeover
 * 3 s), both alive for 10 s; then the primary hangs. Returns the
 * secondary's takeovers while the primary lived; *after: by 20 s.
 */
static uint64_t
takeovers_while_primary_alive(enum mutant m, uint64_t *after)
{
	struct client_cfg cc = lan_client_cfg(m, MGMT_ESP_GCM_128, false);
	struct server_cfg sc[2] = {lan_server_cfg(m, 0, false), lan_server_cfg(m, 1, false)};
	sc[0].role = SERVER_PRIMARY;
	sc[0].partner_ip = LAN_SIP[1];
	sc[0].heartbeat_ns = 1 * SEC;
	sc[1].role = SERVER_SECONDARY;
	sc[1].partner_ip = LAN_SIP[0];
	sc[1].takeover_ns = 3 * SEC;
	lan_start(&L, &cc, sc, 2);
	lan_run_until(&L, 10 * SEC);
	uint64_t alive = L.s[1].st.takeovers;
	lan_server_power(&L, 0, PC_OS_HANG);
	lan_run_until(&L, 20 * SEC);
	*after = L.s[1].st.takeovers;
	lan_fini(&L);
	return alive;
}

Test(mutant_server, takeover_while_primary_alive, .fini = teardown)
{
	uint64_t after;
	cr_assert_eq(takeovers_while_primary_alive(MUT_NONE, &after), 0);
	cr_assert_eq(after, 1, "the reference takes over once the primary hangs");
	cr_assert_eq(takeovers_while_primary_alive(MUT_TAKEOVER_WHILE_PRIMARY_ALIVE, &after), 1,
		     "split brain: taken over with the primary alive");
}
