/*
 * The client's host: it runs IKE only while its OS is up (patent Fig. 6:
 * "IPSec stack not on client system" in every other state), as the
 * responder to the management server, and hands each CHILD_SA it
 * completes to the NIC (Fig. 5 step 40). Its IKE state lives in host RAM:
 * any transition out of OS up loses it.
 */
#include <stdlib.h>
#include <string.h>

#include "nodes/client_host.h"
#include "nodes/client_sa.h"
#include "nodes/ike_sa.h"
#include "proto/err.h"

enum { IKE_PORT = 500 };

/* One IKE step's output (8 KiB): scratch per thread, not per client or per message. */
static _Thread_local struct ike_out scratch;

static void
host_ike_all_suites(struct ike_cfg *cfg)
{
	static const enum ike_suite all[] = {IKE_SUITE_ESP_GCM128, IKE_SUITE_ESP_GCM256,
					     IKE_SUITE_ESP_CBC_SHA256, IKE_SUITE_AH_SHA256};
	_Static_assert(sizeof(all) / sizeof(all[0]) <= IKE_MAX_SUITES, "IKE_MAX_SUITES");
	memcpy(cfg->suites, all, sizeof(all));
	cfg->nsuites = sizeof(all) / sizeof(all[0]);
}

static int
host_ike_new(struct client *c)
{
	const struct client_ike_cfg *k = &c->cfg.ike;
	struct ike_cfg cfg = {.local_addr = c->cfg.ip,
			      .peer_addr = k->server_ip,
			      .ts_proto = 17,
			      .ts_port = RMCP_PORT_SECURE,
			      .psk_len = k->psk_len,
			      .ike_keylen = 128,
			      .dh_group = IKEV2_DH_CURVE25519,
			      .nsuites = 1,
			      .retrans_base = k->retrans_ns,
			      .retrans_tries = 4,
			      .rand_bytes = ike_seeded_rand,
			      .rand_ctx = &c->rand_state};
	memcpy(cfg.psk, k->psk, k->psk_len);
	cfg.suites[0] = ike_suite_for_mgmt(k->suite);
	/* RFC 7296 §2.15: the server must prove the ID we expect, the management service
	 * address as ID_IPV4_ADDR (what the reference server and strongSwan's `id = addr`
	 * send). Mutant ike-any-id: whatever ID comes. */
	if (c->cfg.mutant != MUT_IKE_ANY_ID)
		ike_id_ipv4(&cfg.peer_id, k->server_ip);
	/* Mutant ike-any-proposal: every suite the endpoint knows, not the configured one. */
	if (c->cfg.mutant == MUT_IKE_ANY_PROPOSAL)
		host_ike_all_suites(&cfg);
	cfg.bug.accept_zero_dh = c->cfg.mutant == MUT_IKE_ZERO_DH;
	cfg.bug.any_msgid = c->cfg.mutant == MUT_IKE_MSGID_ANY;
	if (c->host_ike)
		ike_free(c->host_ike); /* a new IKE_SA_INIT replaces whatever the host had */
	else if (!(c->host_ike = malloc(sizeof(*c->host_ike))))
		return RMC_ENOMEM;
	int rc = ike_init(c->host_ike, &cfg);
	explicit_bzero(&cfg, sizeof(cfg));
	if (rc) {
		free(c->host_ike);
		c->host_ike = NULL;
	}
	return rc;
}

void
host_stop(struct client *c)
{
	if (!c->host_ike)
		return;
	ike_free(c->host_ike); /* wipes it */
	free(c->host_ike);
	c->host_ike = NULL;
}

void
host_follow_power(struct client *c, enum power_state next, struct node_out *out)
{
	if (!c->cfg.ike.enabled)
		return;
	if (next == PWR_OS_UP && !c->host_ike) {
		if (host_ike_new(c) != RMC_OK && out)
			node_out_note(out, "host: IKE could not start");
	} else if (next != PWR_OS_UP && c->host_ike) {
		host_stop(c);
		if (out)
			node_out_timer(out, CLIENT_TIMER_IKE, NODE_TIMER_NEVER);
	}
}

static void
host_output(struct client *c, uint64_t now, struct ike_out *o, struct node_out *out)
{
	for (size_t i = 0; i < o->nmsg; i++)
		netif_send_udp(&c->nif, out, c->server_mac, c->cfg.ike.server_ip, IKE_PORT,
			       IKE_PORT, o->msg[i], o->len[i]);
	node_out_timer(out, CLIENT_TIMER_IKE,
		       o->timer_at == IKE_TIMER_NONE ? NODE_TIMER_NEVER : o->timer_at);
	for (size_t i = 0; i < o->nev; i++) {
		const struct ike_event *e = &o->ev[i];
		if (e->type == IKE_EV_IKE_UP) {
			c->st.ike_sas++;
			node_out_note(out, "host: IKE SA up");
		} else if (e->type == IKE_EV_CHILD_UP) {
			/* txid on the wire: the new SA's SPI into the NIC
			 * (docs/internals/mechanism.md) */
			uint32_t txid = e->child.spi_in;
			if (ike_child_to_nvram(&e->child, true, c->cfg.ike.server_ip, txid,
					       &c->host_sa) != RMC_OK)
				continue;
			c->st.children++;
			if (out)
				node_out_key(out, &c->host_sa, c->cfg.ip); /* the key log */
			node_out_note(out, "host: CHILD_SA %08x/%08x up, handed to the NIC",
				      e->child.spi_in, e->child.spi_out);
			struct commit_event ev = {
			    .type = COMMIT_EV_NEW_SA, .txid = txid, .spi = c->host_sa.spi_in};
			nic_commit_event(c, now, &ev, out);
		}
	}
}

/* Peeks at the IKE header: a new IKE_SA_INIT request starts a fresh responder. */
static bool
is_new_sa_init(const struct ike *e, const uint8_t *p, size_t len)
{
	struct ikev2_hdr h;
	if (ikev2_hdr_decode(p, len, &h) != RMC_OK || h.exch != IKEV2_EXCH_IKE_SA_INIT ||
	    (h.flags & IKEV2_F_RESPONSE))
		return false;
	return e->state != IKE_S_IDLE && h.spi_i != e->sa.spi_i;
}

void
host_on_ike(struct client *c, uint64_t now, const struct pkt *pk, struct node_out *out)
{
	if (!c->host_ike || pk->ip.src != c->cfg.ike.server_ip) {
		c->st.ike_ignored++;
		return;
	}
	c->st.ike_rx++;
	memcpy(c->server_mac, pk->eth.src, ETH_ALEN);
	c->server_mac_known = true;
	if (is_new_sa_init(c->host_ike, pk->payload, pk->payload_len) && host_ike_new(c) != RMC_OK)
		return;
	struct ike_out *o = &scratch;
	ike_out_reset(o);
	ike_input(c->host_ike, now, pk->payload, pk->payload_len, o);
	host_output(c, now, o, out);
}

void
host_on_timer(struct client *c, uint64_t now, struct node_out *out)
{
	if (!c->host_ike)
		return;
	struct ike_out *o = &scratch;
	ike_out_reset(o);
	ike_timer(c->host_ike, now, o);
	host_output(c, now, o, out);
}
