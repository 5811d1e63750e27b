/*
 * The reference nodes against a lying IKE peer (a bare nodes/ike.c endpoint with
 * struct ike_lies), and each IKE mutant against the same lie: the reference
 * refuses, the mutant accepts. Server side: the liar is the client host's
 * responder; the server uses a CHILD_SA when it holds it as its refreshed SA
 * (nsec). Client side: the liar is the server's initiator; the host uses a
 * CHILD_SA when it hands it to the NIC (st.children).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "nodes/client.h"
#include "nodes/ike.h"
#include "nodes/ike_sa.h"
#include "nodes/server.h"
#include "proto/err.h"
#include "proto/pkt.h"

static const uint8_t SMAC[6] = {2, 0, 0, 0, 1, 1}, CMAC[6] = {2, 0, 0, 0, 2, 1};
enum { SIP = 0xC0000201, CIP = 0xC0000265, OTHER_IP = 0xC0000299 };
#define MS 1000000ULL
static const uint8_t PSK[32] = "0123456789abcdef0123456789abcdef";

static struct ike liar;
static bool liar_up;
static uint64_t liar_seed = 99;
static struct ike_out lo;
static struct ike_event liar_ev[32];
static size_t liar_nev;

/* The lying endpoint: local `me`, peer `peer`, the management suite, the given lies. */
static void
liar_init(uint32_t me, uint32_t peer, const struct ike_lies *lie)
{
	struct ike_cfg c = {.local_addr = me,
			    .peer_addr = peer,
			    .ts_proto = 17,
			    .ts_port = RMCP_PORT_SECURE,
			    .psk_len = sizeof(PSK),
			    .ike_keylen = 128,
			    .dh_group = IKEV2_DH_CURVE25519,
			    .suites = {IKE_SUITE_ESP_GCM128},
			    .nsuites = 1,
			    .retrans_base = 500 * MS,
			    .retrans_tries = 3,
			    .rand_bytes = ike_seeded_rand,
			    .rand_ctx = &liar_seed,
			    .lie = *lie};
	memcpy(c.psk, PSK, sizeof(PSK));
	if (liar_up)
		ike_free(&liar);
	cr_assert_eq(ike_init(&liar, &c), RMC_OK);
	liar_up = true;
	liar_nev = 0;
	ike_out_reset(&lo);
}

static void
liar_fini(void)
{
	if (liar_up)
		ike_free(&liar);
	liar_up = false;
}

static void
liar_collect(void)
{
	for (size_t i = 0; i < lo.nev && liar_nev < 32; i++)
		liar_ev[liar_nev++] = lo.ev[i];
}

static const struct ike_event *
liar_error(void)
{
	for (size_t i = liar_nev; i-- > 0;)
		if (liar_ev[i].type == IKE_EV_ERROR)
			return &liar_ev[i];
	return NULL;
}

static void
expect_liar_refused(uint16_t notify)
{
	const struct ike_event *ev = liar_error();
	cr_assert_not_null(ev, "the liar heard no refusal");
	cr_assert_eq(ev->notify, notify, "notify %u, want %u", ev->notify, notify);
	cr_assert(ev->from_peer);
}

/* ---- the server (initiator) against a lying responder ---- */

static struct server sv;
static struct netif cnif; /* the liar's interface, as the client host */
static struct node_out so[2];

static void
server_setup(enum mutant m, uint32_t liar_id_ip, const struct ike_lies *lie)
{
	struct commit_timing t = commit_timing_default();
	struct server_cfg cfg = {.name = "s",
				 .ip = SIP,
				 .retx_ns = 1000ULL * MS,
				 .retries = 2,
				 .ike = true,
				 .suite = MGMT_ESP_GCM_128,
				 .ike_retrans_ns = 500ULL * MS,
				 .rand_seed = 5,
				 .profile = COMMIT_STRICT,
				 .timing = t,
				 .poll_ns = 5000ULL * MS,
				 .mutant = m};
	memcpy(cfg.mac, SMAC, 6);
	cr_assert_eq(server_init(&sv, &cfg), RMC_OK);
	cr_assert_eq(server_add_client(&sv, "c1", CIP), RMC_OK);
	cr_assert_eq(server_set_client_psk(&sv, 0, PSK, sizeof(PSK)), RMC_OK);
	cr_assert_eq(netif_init(&cnif, CMAC, CIP, 1), RMC_OK);
	liar_init(CIP, SIP, lie);
	ike_id_ipv4(&liar.cfg.local_id, liar_id_ip);
}

static void
server_teardown(void)
{
	server_fini(&sv);
	netif_fini(&cnif);
	liar_fini();
}

/* Plays the client host for every frame of so[k] and hands its answers back until quiet. */
static void
server_pump(uint64_t now, int k)
{
	static struct node_out answers;
	while (so[k].nframes) {
		node_out_reset(&so[!k]);
		node_out_reset(&answers);
		for (size_t i = 0; i < so[k].nframes; i++) {
			struct pkt pk;
			if (pkt_decode(so[k].buf + so[k].frame_off[i], so[k].frame_len[i], &pk))
				continue;
			if (pk.kind == PKT_ARP) {
				netif_answer_arp(&cnif, &answers, &pk);
			} else if (pk.kind == PKT_UDP && pk.udp.dport == 500) {
				ike_out_reset(&lo);
				ike_input(&liar, now, pk.payload, pk.payload_len, &lo);
				liar_collect();
				for (size_t j = 0; j < lo.nmsg; j++)
					netif_send_udp(&cnif, &answers, SMAC, SIP, 500, 500,
						       lo.msg[j], lo.len[j]);
			}
		}
		for (size_t i = 0; i < answers.nframes; i++)
			server_on_frame(&sv, now, answers.buf + answers.frame_off[i],
					answers.frame_len[i], &so[!k]);
		node_out_reset(&so[k]);
		k = !k;
	}
}

/* The server starts and runs its timers for 3 s: long enough for one key exchange. */
static void
server_run(void)
{
	node_out_reset(&so[0]);
	server_start(&sv, 0, &so[0]);
	server_pump(0, 0);
	for (uint64_t now = 10 * MS; now <= 3000 * MS; now += 10 * MS)
		if (sv.armed_at <= now) {
			node_out_reset(&so[0]);
			server_on_timer(&sv, now, SERVER_TIMER_RETX, &so[0]);
			server_pump(now, 0);
		}
}

static bool
server_took_child(void)
{
	return sv.clients[0].nsec != NULL;
}

/* The setup can succeed: an honest responder's CHILD_SA is taken. */
Test(ike_nodes, server_takes_honest_child)
{
	struct ike_lies none = {0};
	server_setup(MUT_NONE, CIP, &none);
	server_run();
	cr_assert(server_took_child());
	cr_assert_eq(sv.st.ike_failed, 0);
	server_teardown();
}

/* REQ-IKE-RESPONDER-AUTH: RFC 7296 §1.2, the initiator verifies message 4. */
Test(ike_nodes, server_refuses_bad_responder_auth)
{
	struct ike_lies lie = {.bad_auth = true};
	server_setup(MUT_NONE, CIP, &lie);
	server_run();
	cr_assert_not(server_took_child(), "the server took a CHILD_SA it did not authenticate");
	cr_assert_geq(sv.st.ike_failed, 1);
	expect_liar_refused(IKEV2_N_AUTHENTICATION_FAILED);
	server_teardown();
}

Test(ike_nodes, mutant_initiator_skips_auth_takes_it)
{
	struct ike_lies lie = {.bad_auth = true};
	server_setup(MUT_IKE_INITIATOR_SKIPS_AUTH, CIP, &lie);
	server_run();
	cr_assert(server_took_child());
	cr_assert_null(liar_error());
	server_teardown();
}

/* REQ-IKE-PEER-AUTH at the server: the client must be ID_IPV4_ADDR of its address. */
Test(ike_nodes, server_refuses_unexpected_responder_id)
{
	struct ike_lies none = {0};
	server_setup(MUT_NONE, OTHER_IP, &none);
	server_run();
	cr_assert_not(server_took_child());
	expect_liar_refused(IKEV2_N_AUTHENTICATION_FAILED);
	server_teardown();
}

/* REQ-IKE-KE at the server: a small-order KE in the IKE_SA_INIT response. */
Test(ike_nodes, server_refuses_small_order_ke)
{
	struct ike_lies lie = {.ke_value = IKE_KE_LOW_ORDER};
	server_setup(MUT_NONE, CIP, &lie);
	server_run();
	cr_assert_not(server_took_child());
	cr_assert_eq(liar.state, IKE_S_INIT_DONE, "the server sent IKE_AUTH");
	server_teardown();
}

Test(ike_nodes, mutant_zero_dh_server_takes_it)
{
	struct ike_lies lie = {.ke_value = IKE_KE_LOW_ORDER};
	server_setup(MUT_IKE_ZERO_DH, CIP, &lie);
	server_run();
	cr_assert(server_took_child());
	server_teardown();
}

/* ---- the client host (responder) against a lying initiator ---- */

static struct client cl;
static struct netif snif; /* the liar's interface, as the server */
static struct node_out co;

static void
client_setup(enum mutant m, const struct ike_lies *lie)
{
	struct client_cfg cc = {.name = "c1",
				.ip = CIP,
				.power = PWR_OS_UP,
				.boot_ns = NODE_TIMER_NEVER,
				.replay_window = 64,
				.profile = COMMIT_STRICT,
				.timing = commit_timing_default(),
				.ike = {.enabled = true,
					.server_ip = SIP,
					.psk_len = sizeof(PSK),
					.suite = MGMT_ESP_GCM_128,
					.retrans_ns = 500 * MS,
					.rand_seed = 7},
				.mutant = m};
	memcpy(cc.mac, CMAC, 6);
	memcpy(cc.ike.psk, PSK, sizeof(PSK));
	nvram_config_default(&cc.nvram);
	cr_assert_eq(client_init(&cl, &cc), RMC_OK);
	cr_assert_eq(netif_init(&snif, SMAC, SIP, 1), RMC_OK);
	liar_init(SIP, CIP, lie);
}

static void
client_teardown(void)
{
	client_fini(&cl);
	netif_fini(&snif);
	liar_fini();
}

/* Delivers what the liar emitted to the client, and the client's IKE answers back. */
static void
client_pump(uint64_t now)
{
	static struct node_out in;
	while (lo.nmsg) {
		struct ike_out pending = lo;
		ike_out_reset(&lo);
		for (size_t i = 0; i < pending.nmsg; i++) {
			node_out_reset(&in);
			node_out_reset(&co);
			netif_send_udp(&snif, &in, CMAC, CIP, 500, 500, pending.msg[i],
				       pending.len[i]);
			client_on_frame(&cl, now, in.buf + in.frame_off[0], in.frame_len[0], &co);
			for (size_t j = 0; j < co.nframes; j++) {
				struct pkt pk;
				if (pkt_decode(co.buf + co.frame_off[j], co.frame_len[j], &pk) ||
				    pk.kind != PKT_UDP || pk.udp.sport != 500)
					continue;
				ike_input(&liar, now, pk.payload, pk.payload_len, &lo);
			}
		}
		liar_collect();
	}
}

static void
client_run(void)
{
	cr_assert_eq(ike_start(&liar, 0, &lo), RMC_OK);
	liar_collect();
	client_pump(0);
}

/* Did the host hand a CHILD_SA to the NIC? */
static uint64_t
client_children(void)
{
	return cl.st.children;
}

Test(ike_nodes, client_takes_honest_child)
{
	struct ike_lies none = {0};
	client_setup(MUT_NONE, &none);
	client_run();
	cr_assert_eq(client_children(), 1);
	cr_assert_null(liar_error());
	client_teardown();
}

/* REQ-IKE-PEER-AUTH at the host: AUTH computed with the right key but spoiled. */
Test(ike_nodes, client_refuses_bad_auth)
{
	struct ike_lies lie = {.bad_auth = true};
	client_setup(MUT_NONE, &lie);
	client_run();
	cr_assert_eq(client_children(), 0);
	cr_assert_eq(cl.st.ike_sas, 0);
	expect_liar_refused(IKEV2_N_AUTHENTICATION_FAILED);
	client_teardown();
}

/* REQ-IKE-PEER-AUTH: the server's ID is ID_IPV4_ADDR of the service address. */
Test(ike_nodes, client_refuses_unexpected_id)
{
	struct ike_lies none = {0};
	client_setup(MUT_NONE, &none);
	ike_id_ipv4(&liar.cfg.local_id, OTHER_IP);
	client_run();
	cr_assert_eq(client_children(), 0);
	expect_liar_refused(IKEV2_N_AUTHENTICATION_FAILED);
	client_teardown();
}

Test(ike_nodes, mutant_any_id_takes_it)
{
	struct ike_lies none = {0};
	client_setup(MUT_IKE_ANY_ID, &none);
	ike_id_ipv4(&liar.cfg.local_id, OTHER_IP);
	client_run();
	cr_assert_eq(client_children(), 1);
	client_teardown();
}

/* REQ-IKE-PROPOSAL-POLICY: a CHILD suite the host is not configured for. */
Test(ike_nodes, client_refuses_suite_outside_policy)
{
	struct ike_lies none = {0};
	client_setup(MUT_NONE, &none);
	liar.cfg.suites[0] = IKE_SUITE_ESP_CBC_SHA256;
	client_run();
	cr_assert_eq(client_children(), 0);
	cr_assert_eq(cl.st.ike_sas, 1, "§1.2: the IKE SA stands without its CHILD_SA");
	expect_liar_refused(IKEV2_N_NO_PROPOSAL_CHOSEN);
	client_teardown();
}

Test(ike_nodes, mutant_any_proposal_takes_it)
{
	struct ike_lies none = {0};
	client_setup(MUT_IKE_ANY_PROPOSAL, &none);
	liar.cfg.suites[0] = IKE_SUITE_ESP_CBC_SHA256;
	client_run();
	cr_assert_eq(client_children(), 1);
	cr_assert_eq(cl.host_sa.suite, MGMT_ESP_CBC_HMAC);
	client_teardown();
}

/* REQ-IKE-PROPOSAL-POLICY: a DH group outside policy. */
Test(ike_nodes, client_refuses_dh_group_outside_policy)
{
	struct ike_lies lie = {.offer_dh_group = 19};
	client_setup(MUT_NONE, &lie);
	client_run();
	cr_assert_eq(cl.st.ike_sas, 0);
	expect_liar_refused(IKEV2_N_NO_PROPOSAL_CHOSEN);
	client_teardown();
}

/* REQ-IKE-KE: INVALID_KE_PAYLOAD for a KE of another group, INVALID_SYNTAX for a
 * small-order value. */
Test(ike_nodes, client_refuses_ke_of_another_group)
{
	struct ike_lies lie = {.ke_group = 19};
	client_setup(MUT_NONE, &lie);
	client_run();
	cr_assert_eq(cl.st.ike_sas, 0);
	expect_liar_refused(IKEV2_N_INVALID_KE_PAYLOAD);
	client_teardown();
}

Test(ike_nodes, client_refuses_small_order_ke)
{
	struct ike_lies lie = {.ke_value = IKE_KE_ZERO};
	client_setup(MUT_NONE, &lie);
	client_run();
	cr_assert_eq(cl.st.ike_sas, 0);
	cr_assert_eq(client_children(), 0);
	expect_liar_refused(IKEV2_N_INVALID_SYNTAX);
	client_teardown();
}

Test(ike_nodes, mutant_zero_dh_client_takes_it)
{
	struct ike_lies lie = {.ke_value = IKE_KE_ZERO};
	client_setup(MUT_IKE_ZERO_DH, &lie);
	client_run();
	cr_assert_eq(client_children(), 1);
	client_teardown();
}

/* REQ-IKE-MSGID-WINDOW: an IKE_AUTH out of the window gets no answer, makes no SA. */
Test(ike_nodes, client_drops_out_of_window_request)
{
	struct ike_lies lie = {.msgid_offset = 3};
	client_setup(MUT_NONE, &lie);
	client_run();
	cr_assert_eq(cl.st.ike_sas, 0);
	cr_assert_eq(client_children(), 0);
	cr_assert_eq(liar.state, IKE_S_AUTH_SENT, "the host answered");
	cr_assert_null(liar_error());
	client_teardown();
}

Test(ike_nodes, mutant_msgid_any_takes_it)
{
	struct ike_lies lie = {.msgid_offset = 3};
	client_setup(MUT_IKE_MSGID_ANY, &lie);
	client_run();
	cr_assert_eq(client_children(), 1);
	client_teardown();
}
