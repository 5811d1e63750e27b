/*
 * The server's IKE initiator, one per client while a key exchange runs
 * (patent Fig. 3 and Fig. 4 step 22). Always a fresh IKE SA: the host may
 * have rebooted since the last one, and the CHILD_SA is all Fig. 4 needs,
 * so the exchange ends with it. Each call tells its caller how the
 * exchange stands (struct srv_kex) and feeds nothing else.
 */
#include "nodes/server_ike.h"

#include <stdlib.h>
#include <string.h>

#include "nodes/ike_sa.h"
#include "proto/err.h"

enum { IKE_PORT = 500 };

static _Thread_local struct ike_out scratch; /* one IKE step's output: 8 KiB, not per client */

void
srv_ike_drop(struct server_client *c)
{
	if (!c->ike)
		return;
	ike_free(c->ike); /* wipes it */
	free(c->ike);
	c->ike = NULL;
	c->ike_at = NODE_TIMER_NEVER;
}

uint64_t
srv_ike_deadline(const struct server_client *c)
{
	return c->ike_at;
}

/* Sends what the step produced and reports how the exchange stands. */
static void
ike_output(struct server *s, struct server_client *c, struct srv_kex *k, struct node_out *out)
{
	struct ike_out *o = &scratch;
	for (size_t i = 0; i < o->nmsg; i++)
		netif_send_udp(&s->nif, out, c->mac, c->ip, IKE_PORT, IKE_PORT, o->msg[i],
			       o->len[i]);
	c->ike_at = o->timer_at == IKE_TIMER_NONE ? NODE_TIMER_NEVER : o->timer_at;
	bool failed = false;
	for (size_t i = 0; i < o->nev; i++) {
		const struct ike_event *e = &o->ev[i];
		if (e->type == IKE_EV_IKE_UP) {
			char line[512];
			if (ike_wireshark_line(c->ike, line, sizeof(line)) == RMC_OK)
				node_out_ike_key(out, line);
		} else if (e->type == IKE_EV_CHILD_UP) {
			k->outcome = SRV_KEX_CHILD;
			k->child = e->child;
		} else if (e->type == IKE_EV_IKE_DOWN || e->type == IKE_EV_ERROR) {
			failed = true;
		}
	}
	if (k->outcome == SRV_KEX_CHILD) {
		srv_ike_drop(c);
	} else if (failed) {
		srv_ike_drop(c);
		s->st.ike_failed++;
		node_out_note(out, "IKE with %s failed", c->name);
		k->outcome = SRV_KEX_FAILED;
	}
}

void
srv_ike_start(struct server *s, uint64_t now, struct server_client *c, uint32_t txid,
	      struct srv_kex *k, struct node_out *out)
{
	struct ike_cfg cfg = {.local_addr = s->cfg.service_ip,
			      .peer_addr = c->ip,
			      .ts_proto = 17,
			      .ts_port = RMCP_PORT_SECURE,
			      .psk_len = c->psk_len,
			      .ike_keylen = 128,
			      .dh_group = IKEV2_DH_CURVE25519,
			      .nsuites = 1,
			      .retrans_base = s->cfg.ike_retrans_ns,
			      .retrans_tries = 3,
			      .rand_bytes = ike_seeded_rand,
			      .rand_ctx = &s->cfg.rand_seed};
	k->outcome = SRV_KEX_NONE;
	memcpy(cfg.psk, c->psk, c->psk_len);
	cfg.suites[0] = ike_suite_for_mgmt(s->cfg.suite);
	/* RFC 7296 §2.15: the client must prove its own address as ID_IPV4_ADDR (the
	 * reference host's default, strongSwan's `id = addr`). */
	ike_id_ipv4(&cfg.peer_id, c->ip);
	cfg.bug.skip_responder_auth = s->cfg.mutant == MUT_IKE_INITIATOR_SKIPS_AUTH;
	cfg.bug.accept_zero_dh = s->cfg.mutant == MUT_IKE_ZERO_DH;
	srv_ike_drop(c);
	c->ikes++;
	s->st.ike_started++;
	if (!(c->ike = malloc(sizeof(*c->ike))) || ike_init(c->ike, &cfg) != RMC_OK) {
		free(c->ike);
		c->ike = NULL;
		explicit_bzero(&cfg, sizeof(cfg));
		s->st.ike_failed++;
		k->outcome = SRV_KEX_FAILED;
		return;
	}
	explicit_bzero(&cfg, sizeof(cfg));
	node_out_note(out, "IKE with %s for refresh %u", c->name, txid);
	if (!c->mac_known) {
		/* IKE_SA_INIT leaves once ARP answers (srv_ike_resume); the READY wait of
		 * the commit bounds how long that may take */
		netif_send_arp_request(&s->nif, out, c->ip);
		return;
	}
	ike_out_reset(&scratch);
	ike_start(c->ike, now, &scratch);
	ike_output(s, c, k, out);
}

void
srv_ike_resume(struct server *s, uint64_t now, struct server_client *c, struct srv_kex *k,
	       struct node_out *out)
{
	k->outcome = SRV_KEX_NONE;
	if (!c->ike || c->ike->state != IKE_S_IDLE)
		return;
	ike_out_reset(&scratch);
	ike_start(c->ike, now, &scratch);
	ike_output(s, c, k, out);
}

void
srv_ike_input(struct server *s, uint64_t now, struct server_client *c, const struct pkt *pk,
	      struct srv_kex *k, struct node_out *out)
{
	k->outcome = SRV_KEX_NONE;
	if (!c->ike)
		return;
	ike_out_reset(&scratch);
	ike_input(c->ike, now, pk->payload, pk->payload_len, &scratch);
	ike_output(s, c, k, out);
}

void
srv_ike_timer(struct server *s, uint64_t now, struct server_client *c, struct srv_kex *k,
	      struct node_out *out)
{
	k->outcome = SRV_KEX_NONE;
	if (!c->ike || c->ike_at > now)
		return;
	ike_out_reset(&scratch);
	ike_timer(c->ike, now, &scratch);
	ike_output(s, c, k, out);
}
