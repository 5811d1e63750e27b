/*
 * The adversary's lying IKE peers (docs/users/scenarios.md, "The adversary"):
 * an IKEv2 endpoint of nodes/ike.c that breaks one rule (its `lie` settings,
 * or a wrong key, identity or proposal), run by the harness in the name of a
 * node. As initiator it poses as the server and opens an exchange with the
 * client's host; as responder it poses as the client's host and answers the
 * server's exchanges with it for a while. Its datagrams enter the network as
 * if that node had sent them; the answers addressed to it are taken out of
 * the node's deliveries (adversary_ike_take), so the node never sees them.
 * What the peer answered — a notification refusing it, a CHILD_SA, silence —
 * is recorded for the judge.
 */
#include <stdlib.h>
#include <string.h>

#include "nodes/ike_sa.h"
#include "nodes/secure.h"
#include "proto/build.h"
#include "proto/err.h"
#include "proto/ikev2.h"
#include "proto/pkt.h"
#include "proto/rd.h"
#include "sim/adversary.h"
#include "sim/run_int.h"

enum { IKE_PORT = 500, ADV_IKE_FRAME = 1600 };

/* An IKE step's output: scratch for the run's one thread, not per peer. */
static _Thread_local struct ike_out scratch;

/* The address the liar's datagrams carry, and the one it talks to. */
static const struct scn_node *
posed_as(const struct run *r, const struct scn_ike_peer *p)
{
	return &r->sc->nodes[p->role == SCN_IKE_INITIATOR ? p->server : p->client];
}

static const struct scn_node *
talks_to(const struct run *r, const struct scn_ike_peer *p)
{
	return &r->sc->nodes[p->role == SCN_IKE_INITIATOR ? p->client : p->server];
}

/* A CHILD suite the client's policy does not hold (the scenario's suite is the policy). */
static enum ike_suite
other_suite(uint8_t mgmt_suite)
{
	return ike_suite_for_mgmt(mgmt_suite) == IKE_SUITE_ESP_GCM128 ? IKE_SUITE_ESP_CBC_SHA256
								      : IKE_SUITE_ESP_GCM128;
}

/* The endpoint as the node it poses as would be configured, then its lie. */
static void
liar_cfg(struct run *r, size_t i, struct ike_cfg *cfg)
{
	const struct scn_ike_peer *p = &r->sc->ike_peers[i];
	struct adv_ike *a = &r->adv.ike[i];
	*cfg = (struct ike_cfg){.local_addr = posed_as(r, p)->ip,
				.peer_addr = talks_to(r, p)->ip,
				.ts_proto = 17,
				.ts_port = RMCP_PORT_SECURE,
				.psk_len = 32,
				.ike_keylen = 128,
				.dh_group = IKEV2_DH_CURVE25519,
				.nsuites = 1,
				.retrans_base = NS_PER_S / 2,
				.retrans_tries = 4,
				.rand_bytes = ike_seeded_rand,
				.rand_ctx = &a->rand};
	cfg->suites[0] = ike_suite_for_mgmt(r->sc->security.suite);
	run_client_psk(r, (size_t)p->client, cfg->psk);
	switch (p->lie) {
	case SCN_LIE_PSK:
		for (size_t b = 0; b < cfg->psk_len; b++)
			cfg->psk[b] ^= 0x5a; /* a key of the same length, not the one configured */
		break;
	case SCN_LIE_AUTH:
		cfg->lie.bad_auth = true;
		break;
	case SCN_LIE_ID:
		ike_id_ipv4(&cfg->local_id, 0xc6336442); /* 198.51.100.66 (TEST-NET-2) */
		break;
	case SCN_LIE_PROPOSAL:
		cfg->suites[0] = other_suite(r->sc->security.suite);
		break;
	case SCN_LIE_DH_GROUP:
		cfg->lie.offer_dh_group = 14; /* MODP 2048 (RFC 3526): not the peer's group 31 */
		break;
	case SCN_LIE_KE_GROUP:
		cfg->lie.ke_group = 14;
		break;
	case SCN_LIE_KE_ZERO:
		cfg->lie.ke_value = IKE_KE_ZERO;
		break;
	case SCN_LIE_MSGID:
	case SCN_LIE__COUNT:
		break; /* honest until it is established (adversary_ike_output) */
	}
}

/* Puts the liar's datagrams on the network from the node it poses as. */
static void
send_datagrams(struct run *r, size_t i, const struct ike_out *o)
{
	const struct scn_ike_peer *p = &r->sc->ike_peers[i];
	const struct scn_node *src = posed_as(r, p), *dst = talks_to(r, p);
	size_t port = (size_t)(p->role == SCN_IKE_INITIATOR ? p->server : p->client);
	uint8_t f[ADV_IKE_FRAME];
	for (size_t k = 0; k < o->nmsg; k++) {
		struct l2l3 l = {.src_ip = src->ip, .dst_ip = dst->ip, .ip_id = r->adv.ip_id++};
		size_t n;
		memcpy(l.src_mac, src->mac, 6);
		memcpy(l.dst_mac, dst->mac, 6);
		if (frame_build_udp(r->adv.fb, &l, IKE_PORT, IKE_PORT, o->msg[k], o->len[k], f,
				    sizeof(f), &n) != RMC_OK)
			continue;
		r->injecting = true;
		if (net_inject(&r->net, port, f, n) == RMC_OK)
			r->adv.ike[i].sent++;
		r->injecting = false;
	}
}

static void on_ike_timer(void *ctx, uint64_t arg);
static void on_msgid_lie(void *ctx, uint64_t arg);

/*
 * What the liar negotiated goes into the run's key log like a node's: the
 * peer may send under it (a device's host hands the CHILD_SA to its NIC),
 * and the harness, the verifier and Wireshark must open that traffic too.
 */
static void
export_keys(struct run *r, size_t i, const struct ike_event *e)
{
	const struct scn_ike_peer *p = &r->sc->ike_peers[i];
	const struct scn_node *srv = &r->sc->nodes[p->server], *cli = &r->sc->nodes[p->client];
	bool host = p->role == SCN_IKE_RESPONDER; /* the liar holds the client host's end */
	char line[NODE_IKE_KEY_LEN];
	if (e->type == IKE_EV_IKE_UP && ike_wireshark_line(&r->adv.ike[i].e, line, sizeof(line)) ==
					    RMC_OK &&
	    run_log_ike(&r->log, line) != RMC_OK)
		r->io_error = RMC_ENOMEM;
	if (e->type != IKE_EV_CHILD_UP)
		return;
	struct node_key k = {.nic_ip = cli->ip};
	/* txid: the new SA's SPI into the NIC (docs/internals/mechanism.md) */
	uint32_t txid = host ? e->child.spi_in : e->child.spi_out;
	if (ike_child_to_nvram(&e->child, host, srv->ip, txid, &k.sa) == RMC_OK)
		run_log_key(r, &k);
	explicit_bzero(&k, sizeof(k));
}

/* What the liar's step gave: datagrams out, its timer, and what the peer did. */
static void
output(struct run *r, size_t i, const struct ike_out *o)
{
	const struct scn_ike_peer *p = &r->sc->ike_peers[i];
	struct adv_ike *a = &r->adv.ike[i];
	send_datagrams(r, i, o);
	a->timer_gen++;
	if (o->timer_at != IKE_TIMER_NONE &&
	    engine_at(&r->eng, o->timer_at, on_ike_timer, r,
		      (uint64_t)a->timer_gen << 32 | (uint32_t)i) != RMC_OK)
		r->io_error = RMC_ENOMEM;
	for (size_t k = 0; k < o->nev; k++) {
		const struct ike_event *e = &o->ev[k];
		if (e->type == IKE_EV_ERROR && e->from_peer && !a->refused)
			a->refused = e->notify;
		if (e->type == IKE_EV_CHILD_UP)
			a->child_up = true;
		export_keys(r, i, e);
		/* honest so far: the lie comes once this exchange is done (o is in use) */
		if (e->type == IKE_EV_IKE_UP && p->lie == SCN_LIE_MSGID && !a->lie_told &&
		    engine_at(&r->eng, r->eng.now, on_msgid_lie, r, i) != RMC_OK)
			r->io_error = RMC_ENOMEM;
	}
}

/* One request outside the message-ID window of the established exchange (RFC 7296 §2.3). */
static void
on_msgid_lie(void *ctx, uint64_t arg)
{
	struct run *r = ctx;
	size_t i = (size_t)arg;
	struct adv_ike *a = &r->adv.ike[i];
	struct ike_out *o = &scratch;
	if (!a->live || a->lie_told)
		return;
	ike_out_reset(o);
	a->e.cfg.lie.msgid_offset = 7;
	a->lie_told = true;
	if (ike_liveness(&a->e, r->eng.now, o) == RMC_OK)
		output(r, i, o);
}

static void
on_ike_timer(void *ctx, uint64_t arg)
{
	struct run *r = ctx;
	size_t i = (uint32_t)arg;
	struct adv_ike *a = &r->adv.ike[i];
	if ((uint32_t)(arg >> 32) != a->timer_gen || !a->live)
		return;
	struct ike_out *o = &scratch;
	ike_out_reset(o);
	ike_timer(&a->e, r->eng.now, o);
	output(r, i, o);
}

/* A fresh endpoint for peer i (a responder's for each new exchange of the server). */
static int
liar_new(struct run *r, size_t i)
{
	struct adv_ike *a = &r->adv.ike[i];
	struct ike_cfg cfg;
	if (a->live)
		ike_free(&a->e);
	a->live = false;
	liar_cfg(r, i, &cfg);
	int rc = ike_init(&a->e, &cfg);
	explicit_bzero(&cfg, sizeof(cfg));
	a->live = rc == RMC_OK;
	return rc;
}

static void
on_ike_start(void *ctx, uint64_t arg)
{
	struct run *r = ctx;
	size_t i = (size_t)arg;
	struct adv_ike *a = &r->adv.ike[i];
	if (liar_new(r, i) != RMC_OK) {
		r->io_error = RMC_ENOMEM;
		return;
	}
	a->started = true;
	a->lie_told = r->sc->ike_peers[i].lie != SCN_LIE_MSGID;
	struct ike_out *o = &scratch;
	ike_out_reset(o);
	ike_start(&a->e, r->eng.now, o);
	output(r, i, o);
}

int
adversary_ike_schedule(struct run *r)
{
	for (size_t i = 0; i < r->sc->nike_peers; i++) {
		const struct scn_ike_peer *p = &r->sc->ike_peers[i];
		r->adv.ike[i].rand = r->seed ^ (0x4c4945ULL << 40) ^ i;
		if (p->role != SCN_IKE_INITIATOR)
			continue; /* a responder waits for the server (adversary_ike_take) */
		int rc = engine_at(&r->eng, p->at, on_ike_start, r, i);
		if (rc)
			return rc;
	}
	return RMC_OK;
}

/* Whether this IKE datagram to node `port` is the liar i's to take. */
static bool
is_for(const struct run *r, size_t i, size_t port, const struct pkt *pk, const struct ikev2_hdr *h)
{
	const struct scn_ike_peer *p = &r->sc->ike_peers[i];
	const struct adv_ike *a = &r->adv.ike[i];
	if (pk->ip.src != talks_to(r, p)->ip || pk->ip.dst != posed_as(r, p)->ip)
		return false;
	if (p->role == SCN_IKE_INITIATOR)
		return port == (size_t)p->server && a->live && h->spi_i == a->e.sa.spi_i;
	if (port != (size_t)p->client || r->eng.now < p->at || r->eng.now >= p->until)
		return false;
	bool new_exchange = h->exch == IKEV2_EXCH_IKE_SA_INIT && !(h->flags & IKEV2_F_RESPONSE);
	return new_exchange || (a->live && h->spi_i == a->e.sa.spi_i);
}

bool
adversary_ike_take(struct run *r, size_t port, const uint8_t *frame, size_t len)
{
	struct pkt pk;
	struct ikev2_hdr h;
	if (r->sc->nike_peers == 0 || pkt_decode(frame, len, &pk) != RMC_OK || pk.kind != PKT_UDP ||
	    pk.udp.dport != IKE_PORT || ikev2_hdr_decode(pk.payload, pk.payload_len, &h) != RMC_OK)
		return false;
	for (size_t i = 0; i < r->sc->nike_peers; i++) {
		struct adv_ike *a = &r->adv.ike[i];
		if (!is_for(r, i, port, &pk, &h))
			continue;
		if (r->sc->ike_peers[i].role == SCN_IKE_RESPONDER &&
		    h.exch == IKEV2_EXCH_IKE_SA_INIT && !(h.flags & IKEV2_F_RESPONSE) &&
		    (!a->live || h.spi_i != a->e.sa.spi_i)) {
			if (liar_new(r, i) != RMC_OK) {
				r->io_error = RMC_ENOMEM;
				return true;
			}
			a->started = a->lie_told = true;
			a->exchanges++;
		}
		if (h.flags & IKEV2_F_RESPONSE && a->lie_told)
			a->answers_after_lie++;
		if (h.exch != IKEV2_EXCH_IKE_SA_INIT && !(h.flags & IKEV2_F_RESPONSE))
			a->went_on++;
		a->received++;
		struct ike_out *o = &scratch;
		ike_out_reset(o);
		ike_input(&a->e, r->eng.now, pk.payload, pk.payload_len, o);
		output(r, i, o);
		return true;
	}
	return false;
}

int
adversary_ike_init(struct adversary *a, const struct scenario *sc)
{
	if (sc->nike_peers == 0)
		return RMC_OK;
	a->ike = calloc(sc->nike_peers, sizeof(*a->ike));
	a->nike = a->ike ? sc->nike_peers : 0;
	return a->ike ? RMC_OK : RMC_ENOMEM;
}

void
adversary_ike_fini(struct adversary *a)
{
	for (size_t i = 0; a->ike && i < a->nike; i++)
		if (a->ike[i].live)
			ike_free(&a->ike[i].e);
	free(a->ike);
	a->ike = NULL;
}
