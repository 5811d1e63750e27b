/*
 * A client without the commit handshake (`commit: none`, a plain IPsec
 * host): the server manages it under ESP as soon as IKE brings the CHILD_SA
 * up and never sends it an SA_ACK; a refresh brings a fresh CHILD_SA into
 * use the same way. A normal client still gets nothing under the new SA
 * until its SA_READY, which the server answers with an SA_ACK.
 * The client side is a bare IKE responder (nodes/ike.c) and the NIC's
 * sec_pair: what a host like charon + XFRM does, nothing more.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "nodes/ike.h"
#include "nodes/ike_sa.h"
#include "nodes/server.h"
#include "proto/commit_wire.h"
#include "proto/err.h"
#include "proto/pkt.h"
#include "proto/rmcp.h"

static const uint8_t SMAC[6] = {2, 0, 0, 0, 1, 1}, CMAC[6] = {2, 0, 0, 0, 2, 1};
enum { SIP = 0xC0000201, CIP = 0xC0000265, IKE_SA_INIT = 34 };
#define MS 1000000ULL
static const uint8_t PSK[32] = "0123456789abcdef0123456789abcdef";

static struct server sv;
static struct netif cnif; /* the client host's interface */
static struct ike rsp;	  /* the client host's IKE responder */
static bool rsp_up;
static uint64_t rsp_seed = 77;
static struct sec_pair nic;
static bool nic_up;
static struct node_out o[2];
static struct ike_out ro;

/* What the client saw from the server. */
static struct {
	unsigned esp_mgmt;  /* ASF requests under ESP that the NIC's SA opened */
	unsigned acks;	    /* SA_ACKs under ESP */
	unsigned esp_other; /* ESP it could not open (an SA it no longer holds) */
	unsigned ike_inits;
	uint32_t last_type;
} seen;

static void
rsp_init(void)
{
	struct ike_cfg c = {.local_addr = CIP,
			    .peer_addr = SIP,
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
			    .rand_ctx = &rsp_seed};
	memcpy(c.psk, PSK, sizeof(PSK));
	if (rsp_up)
		ike_free(&rsp);
	cr_assert_eq(ike_init(&rsp, &c), RMC_OK);
	rsp_up = true;
}

static void
setup_server(enum commit_profile prof, bool no_commit)
{
	struct commit_timing t = commit_timing_default();
	t.refresh = 8000ULL * MS;
	struct server_cfg cfg = {.name = "s",
				 .ip = SIP,
				 .retx_ns = 1000ULL * MS,
				 .retries = 2,
				 .ike = true,
				 .suite = MGMT_ESP_GCM_128,
				 .ike_retrans_ns = 500ULL * MS,
				 .rand_seed = 5,
				 .profile = prof,
				 .timing = t,
				 .poll_ns = 5000ULL * MS};
	memcpy(cfg.mac, SMAC, 6);
	cr_assert_eq(server_init(&sv, &cfg), RMC_OK);
	cr_assert_eq(server_add_client(&sv, "c1", CIP), RMC_OK);
	cr_assert_eq(server_set_client_psk(&sv, 0, PSK, sizeof(PSK)), RMC_OK);
	cr_assert_eq(server_set_client_no_commit(&sv, 0, no_commit), RMC_OK);
	cr_assert_eq(server_set_client_no_commit(&sv, 1, true), RMC_EINVAL);
	cr_assert_eq(netif_init(&cnif, CMAC, CIP, 1), RMC_OK);
	memset(&seen, 0, sizeof(seen));
	rsp_init();
}

static void
teardown(void)
{
	server_fini(&sv);
	netif_fini(&cnif);
	if (rsp_up)
		ike_free(&rsp);
	rsp_up = false;
	if (nic_up)
		sec_pair_fini(&nic);
	nic_up = false;
}

static void
nic_from_child(const struct ike_child_sa *ch)
{
	struct nvram_sa sa;
	cr_assert_eq(ike_child_to_nvram(ch, true, SIP, ch->spi_in, &sa), RMC_OK);
	if (nic_up)
		sec_pair_fini(&nic);
	cr_assert_eq(sec_pair_init(&nic, &sa, SEC_NIC, 64), RMC_OK);
	nic_up = true;
	explicit_bzero(&sa, sizeof(sa));
}

static void
on_esp(const struct pkt *pk)
{
	uint8_t inner[NODE_FRAME_MAX];
	size_t n;
	struct ipv4_hdr ih;
	struct rmcp_msg m;
	if (!nic_up || pkt_ipsec_spi(pk) != nic.spi_in ||
	    sec_open_ipv4(&nic, pk->l3, pk->l3_len, inner, sizeof(inner), &n) != RMC_OK) {
		seen.esp_other++;
		return;
	}
	cr_assert_eq(ipv4_decode(inner, n, &ih), RMC_OK);
	cr_assert_eq(rmcp_decode(inner + ih.ihl + UDP_HLEN, ih.tot_len - ih.ihl - UDP_HLEN, &m),
		     RMC_OK);
	if (m.iana == ASF_IANA_COMMIT && m.type == ASF_COMMIT_ACK) {
		seen.acks++;
	} else {
		seen.esp_mgmt++;
		seen.last_type = m.type;
	}
}

static void
on_ike(uint64_t now, const struct pkt *pk, struct node_out *back)
{
	if (pk->payload_len > 18 && pk->payload[18] == IKE_SA_INIT) {
		seen.ike_inits++;
		if (rsp.state != IKE_S_IDLE)
			rsp_init(); /* a fresh IKE SA replaces the old one (charon: unique=replace)
				     */
	}
	ike_out_reset(&ro);
	ike_input(&rsp, now, pk->payload, pk->payload_len, &ro);
	for (size_t i = 0; i < ro.nmsg; i++)
		netif_send_udp(&cnif, back, SMAC, SIP, 500, 500, ro.msg[i], ro.len[i]);
	for (size_t i = 0; i < ro.nev; i++)
		if (ro.ev[i].type == IKE_EV_CHILD_UP)
			nic_from_child(&ro.ev[i].child);
}

/* Plays the client host for every frame of o[k], and hands its answers back until quiet. */
static void
pump(uint64_t now, int k)
{
	while (o[k].nframes) {
		struct node_out *back = &o[!k];
		node_out_reset(back);
		static struct node_out answers;
		node_out_reset(&answers);
		for (size_t i = 0; i < o[k].nframes; i++) {
			struct pkt pk;
			if (pkt_decode(o[k].buf + o[k].frame_off[i], o[k].frame_len[i], &pk))
				continue;
			if (pk.kind == PKT_ARP)
				netif_answer_arp(&cnif, &answers, &pk);
			else if (pk.kind == PKT_UDP && pk.udp.dport == 500)
				on_ike(now, &pk, &answers);
			else if (pk.kind == PKT_IPV4 && pk.ip.proto == IPPROTO_ESP_)
				on_esp(&pk);
		}
		for (size_t i = 0; i < answers.nframes; i++)
			server_on_frame(&sv, now, answers.buf + answers.frame_off[i],
					answers.frame_len[i], back);
		node_out_reset(&o[k]);
		k = !k;
	}
}

/* Runs the server's timers from `from` to `to` in 10 ms steps. */
static void
run_until(uint64_t from, uint64_t to)
{
	for (uint64_t now = from; now <= to; now += 10 * MS)
		if (sv.armed_at <= now) {
			node_out_reset(&o[0]);
			server_on_timer(&sv, now, SERVER_TIMER_RETX, &o[0]);
			pump(now, 0);
		}
}

/* Until the first CHILD_SA is up at the client host; returns the time. */
static uint64_t
until_child_up(void)
{
	node_out_reset(&o[0]);
	server_start(&sv, 0, &o[0]);
	pump(0, 0);
	uint64_t now = 0;
	while (!nic_up && now < 4000 * MS) {
		now += 10 * MS;
		run_until(now, now);
	}
	cr_assert(nic_up, "IKE did not bring a CHILD_SA up");
	return now;
}

static void
plain_host(enum commit_profile prof)
{
	setup_server(prof, true);
	uint64_t t = until_child_up();
	/* Right after CHILD_UP: the SA is in use, management goes under it. */
	cr_assert_eq(server_client_spi(&sv, 0), nic.spi_in, "the server does not send under %08x",
		     nic.spi_in);
	cr_assert_null(sv.clients[0].nsec);
	cr_assert_eq(sv.clients[0].commits, 1);
	node_out_reset(&o[0]);
	cr_assert_eq(server_send(&sv, t, 0, ASF_PRESENCE_PING, SERVER_VIA_SECURE, &o[0]), RMC_OK);
	pump(t, 0);
	cr_assert_eq(seen.esp_mgmt, 1);
	cr_assert_eq(seen.last_type, ASF_PRESENCE_PING);
	/* The poll goes under ESP; the refresh (8 s) brings a fresh IKE SA and CHILD_SA into
	 * use the same way; no SA_ACK ever. */
	uint32_t first = nic.spi_in;
	run_until(t + 10 * MS, t + 12000 * MS);
	cr_assert_geq(seen.ike_inits, 2, "no refresh");
	cr_assert_neq(nic.spi_in, first);
	cr_assert_eq(server_client_spi(&sv, 0), nic.spi_in);
	cr_assert_eq(sv.clients[0].commits, 2);
	cr_assert_eq(sv.clients[0].cm.phase, COMMIT_S_IDLE);
	cr_assert_gt(sv.clients[0].cm.deadline[COMMIT_T_REFRESH], t + 8000 * MS,
		     "the next refresh is armed");
	cr_assert_geq(seen.esp_mgmt, 3, "polls under ESP: %u", seen.esp_mgmt);
	cr_assert_eq(seen.acks, 0, "an SA_ACK went to a client without the handshake");
	cr_assert_eq(sv.st.commits, 2);
	teardown();
}

Test(server_nocommit, plain_host_strict)
{
	plain_host(COMMIT_STRICT);
}

Test(server_nocommit, plain_host_robust)
{
	plain_host(COMMIT_ROBUST);
}

static void
send_ready(uint64_t t)
{
	struct commit_wire w = {.type = ASF_COMMIT_READY,
				.nic_spi_in = nic.spi_in,
				.nic_spi_out = nic.spi_out,
				.txid = nic.spi_in,
				.gen = 1};
	uint8_t buf[COMMIT_WIRE_RMCP_LEN];
	size_t n;
	static struct node_out in;
	node_out_reset(&in);
	cr_assert_eq(commit_wire_pack(&w, buf, sizeof(buf), &n), RMC_OK);
	cr_assert_eq(netif_send_udp_sealed(&cnif, &in, &nic, 1, SMAC, SIP, RMCP_PORT_SECURE,
					   RMCP_PORT_SECURE, buf, n),
		     RMC_OK);
	node_out_reset(&o[0]);
	server_on_frame(&sv, t, in.buf + in.frame_off[0], in.frame_len[0], &o[0]);
	pump(t, 0);
}

static void
committing_client(enum commit_profile prof)
{
	setup_server(prof, false);
	uint64_t t = until_child_up();
	/* The new SA waits for the commit: nothing under it yet. */
	cr_assert_eq(server_client_spi(&sv, 0), 0);
	cr_assert_not_null(sv.clients[0].nsec);
	node_out_reset(&o[0]);
	cr_assert_eq(server_send(&sv, t, 0, ASF_PRESENCE_PING, SERVER_VIA_SECURE, &o[0]),
		     RMC_ESTATE);
	cr_assert_eq(seen.esp_mgmt + seen.acks, 0);
	send_ready(t + 10 * MS);
	cr_assert_eq(seen.acks, 1, "no SA_ACK for the READY");
	cr_assert_eq(seen.esp_mgmt, 0);
	cr_assert_eq(sv.clients[0].commits, 0, "committed before the CONFIRM");
	teardown();
}

Test(server_nocommit, committing_client_strict)
{
	committing_client(COMMIT_STRICT);
}

Test(server_nocommit, committing_client_robust)
{
	committing_client(COMMIT_ROBUST);
}
