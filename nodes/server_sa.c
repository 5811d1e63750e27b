/*
 * The server's side of the mechanism for one client (patent Figs. 3, 4):
 * its SA pair and the refreshed one, outbound sequence numbers reserved
 * in the persistent store before use, the IKE initiator, and the refresh
 * commit machine (fsm/commit_server) whose actions this file carries out.
 */
#include <stdlib.h>
#include <string.h>

#include "nodes/commit_msg_wire.h"
#include "nodes/ike_sa.h"
#include "nodes/server_int.h"
#include "nodes/store.h"
#include "proto/commit_wire.h"
#include "proto/err.h"

enum { IKE_PORT = 500 };

static _Thread_local struct ike_out scratch; /* one IKE step's output: 8 KiB, not per client */

int
srv_pair_for_spi(const struct server_client *c, uint32_t spi)
{
	/* the server's inbound SPI is the NIC's outbound: sec_pair.spi_in in SEC_SERVER role */
	if (c->sec && c->sec->spi_in == spi)
		return 0;
	if (c->nsec && c->nsec->spi_in == spi)
		return 1;
	return -1;
}

static void
pair_free(struct sec_pair **p)
{
	if (!*p)
		return;
	sec_pair_fini(*p);
	free(*p);
	*p = NULL;
}

static int
pair_new(struct sec_pair **p, const struct nvram_sa *sa)
{
	pair_free(p);
	if (!(*p = calloc(1, sizeof(**p))))
		return RMC_ENOMEM;
	int rc = sec_pair_init(*p, sa, SEC_SERVER, 0);
	if (rc) {
		free(*p);
		*p = NULL;
	}
	return rc;
}

static void
ike_drop(struct server_client *c)
{
	if (!c->ike)
		return;
	ike_free(c->ike); /* wipes it */
	free(c->ike);
	c->ike = NULL;
	c->ike_at = NODE_TIMER_NEVER;
}

/* FORGET and LOAD only tell the machine what the node did: they ask for no action. */
static void
commit_learn(struct server_client *c, const struct commit_event *ev)
{
	struct commit_action act[COMMIT_MAX_ACTIONS];
	commit_server_step(&c->cm, ev, 0, act, COMMIT_MAX_ACTIONS);
}

void
srv_commit_load(struct server_client *c, uint32_t spi)
{
	struct commit_event ev = {.type = COMMIT_EV_LOAD, .spi = spi};
	commit_learn(c, &ev);
}

void
srv_forget_context(struct server_client *c)
{
	pair_free(&c->sec);
	pair_free(&c->nsec);
	ike_drop(c);
	explicit_bzero(&c->new_sa, sizeof(c->new_sa));
	c->seq_next[0] = c->seq_next[1] = 0;
	c->seq_resv[0] = c->seq_resv[1] = 0;
	c->sec_lost = false;
	struct commit_event ev = {.type = COMMIT_EV_FORGET, .peer = c->peer};
	commit_learn(c, &ev);
}

/*
 * The next outbound sequence number under pair `which`, reserved in the
 * store first (RFC 6311's idea): a successor resumes above anything this
 * server may have used, so no (SPI, sequence) pair is sent twice.
 */
static int
next_seq(struct server *s, struct server_client *c, int which, uint64_t *seq)
{
	uint64_t n = c->seq_next[which] + 1;
	if (n > c->seq_resv[which]) {
		uint64_t upto = n + s->cfg.seq_block - 1;
		const struct sec_pair *p = which ? c->nsec : c->sec;
		if (s->cfg.store &&
		    store_seq_reserve(s->cfg.store, c->name, p->spi_out, upto) != RMC_OK) {
			s->st.store_errors++;
			return RMC_EIO;
		}
		c->seq_resv[which] = upto;
	}
	c->seq_next[which] = n;
	*seq = n;
	return RMC_OK;
}

int
srv_seal_send(struct server *s, struct server_client *c, int which, uint16_t port,
	      const uint8_t *buf, size_t n, struct node_out *out)
{
	struct sec_pair *p = which ? c->nsec : c->sec;
	uint64_t seq;
	if (!p || !c->mac_known)
		return RMC_ESTATE;
	int rc = next_seq(s, c, which, &seq);
	if (rc)
		return rc;
	return netif_send_udp_sealed(&s->nif, out, p, seq, c->mac, c->ip, port, port, buf, n);
}

/* ---- IKE (Fig. 3 and Fig. 4 step 22): always a fresh IKE SA, the host may have rebooted ---- */

static void ike_output(struct server *s, uint64_t now, struct server_client *c,
		       struct node_out *out);

static void
start_kex(struct server *s, uint64_t now, struct server_client *c, uint32_t txid,
	  struct node_out *out)
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
	struct commit_event fail = {.type = COMMIT_EV_KEX_FAIL, .txid = txid};
	memcpy(cfg.psk, c->psk, c->psk_len);
	cfg.suites[0] = ike_suite_for_mgmt(s->cfg.suite);
	ike_drop(c);
	if (s->cfg.mutant == MUT_REFRESH_WHILE_HUNG && c->sec) {
		pair_free(&c->sec); /* the broken server bets on the exchange succeeding */
		c->seq_next[0] = c->seq_resv[0] = 0;
	}
	c->kex_txid = txid;
	c->ikes++;
	s->st.ike_started++;
	if (!(c->ike = malloc(sizeof(*c->ike))) || ike_init(c->ike, &cfg) != RMC_OK) {
		free(c->ike);
		c->ike = NULL;
		explicit_bzero(&cfg, sizeof(cfg));
		s->st.ike_failed++;
		srv_commit_event(s, now, c, &fail, out);
		return;
	}
	explicit_bzero(&cfg, sizeof(cfg));
	node_out_note(out, "IKE with %s for refresh %u", c->name, txid);
	if (!c->mac_known) {
		/* IKE_SA_INIT leaves once ARP answers (srv_on_mac_learned); the READY wait
		 * of the commit bounds how long that may take */
		netif_send_arp_request(&s->nif, out, c->ip);
		return;
	}
	ike_out_reset(&scratch);
	ike_start(c->ike, now, &scratch);
	ike_output(s, now, c, out);
}

void
srv_on_mac_learned(struct server *s, uint64_t now, struct server_client *c, struct node_out *out)
{
	srv_send_owed_ack(s, c, out);
	if (c->ike && c->ike->state == IKE_S_IDLE) {
		ike_out_reset(&scratch);
		ike_start(c->ike, now, &scratch);
		ike_output(s, now, c, out);
	}
}

/*
 * A client without the commit handshake (`commit: none`) uses the CHILD_SA
 * as soon as IKE_AUTH completes, like any IPsec host (RFC 4301 §4.4.2): the
 * fsm gets the READY and CONFIRM such a client never sends, so its refresh
 * and commit timers run as for any other client; send_ack keeps the SA_ACK
 * off the wire.
 */
static void
commit_for_plain_host(struct server *s, uint64_t now, struct server_client *c, uint32_t spi,
		      struct node_out *out)
{
	struct commit_event ev = {
	    .type = COMMIT_EV_MSG,
	    .msg = {.type = COMMIT_SA_READY, .txid = c->cm.txid, .new_spi = spi}};
	srv_commit_event(s, now, c, &ev, out);
	ev.msg.type = COMMIT_SA_CONFIRM;
	srv_commit_event(s, now, c, &ev, out);
}

static void
child_up(struct server *s, uint64_t now, struct server_client *c, const struct ike_child_sa *ch,
	 struct node_out *out)
{
	struct nvram_sa sa;
	uint32_t wire_txid = ch->spi_out; /* the NIC's inbound SPI: the host computes the same */
	if (ike_child_to_nvram(ch, false, s->cfg.service_ip, wire_txid, &sa) != RMC_OK ||
	    pair_new(&c->nsec, &sa) != RMC_OK) {
		explicit_bzero(&sa, sizeof(sa));
		return;
	}
	c->new_sa = sa;
	c->wire_txid = wire_txid;
	c->seq_next[1] = c->seq_resv[1] = 0;
	if (s->cfg.store && store_put_sa(s->cfg.store, c->name, STORE_NEW, &sa, wire_txid))
		s->st.store_errors++;
	node_out_key(out, &sa, c->ip);
	explicit_bzero(&sa, sizeof(sa));
	node_out_note(out, "IKE with %s: CHILD_SA %08x/%08x", c->name, ch->spi_in, ch->spi_out);
	struct commit_event ev = {
	    .type = COMMIT_EV_KEX_OK, .txid = c->kex_txid, .spi = ch->spi_out};
	srv_commit_event(s, now, c, &ev, out);
	if (c->no_commit)
		commit_for_plain_host(s, now, c, ch->spi_out, out);
}

static void
ike_output(struct server *s, uint64_t now, struct server_client *c, struct node_out *out)
{
	struct ike_out *o = &scratch;
	for (size_t i = 0; i < o->nmsg; i++)
		netif_send_udp(&s->nif, out, c->mac, c->ip, IKE_PORT, IKE_PORT, o->msg[i],
			       o->len[i]);
	c->ike_at = o->timer_at == IKE_TIMER_NONE ? NODE_TIMER_NEVER : o->timer_at;
	bool done = false, failed = false;
	for (size_t i = 0; i < o->nev; i++) {
		const struct ike_event *e = &o->ev[i];
		if (e->type == IKE_EV_IKE_UP) {
			char line[512];
			if (ike_wireshark_line(c->ike, line, sizeof(line)) == RMC_OK)
				node_out_ike_key(out, line);
		} else if (e->type == IKE_EV_CHILD_UP) {
			child_up(s, now, c, &e->child, out);
			done = true;
		} else if (e->type == IKE_EV_IKE_DOWN || e->type == IKE_EV_ERROR) {
			failed = true;
		}
	}
	if (done) {
		ike_drop(c); /* the CHILD_SA is all Fig. 4 needs; the next refresh starts afresh */
	} else if (failed) {
		ike_drop(c);
		s->st.ike_failed++;
		node_out_note(out, "IKE with %s failed", c->name);
		struct commit_event ev = {.type = COMMIT_EV_KEX_FAIL, .txid = c->kex_txid};
		srv_commit_event(s, now, c, &ev, out);
	}
}

void
srv_on_ike(struct server *s, uint64_t now, struct server_client *c, const struct pkt *pk,
	   struct node_out *out)
{
	if (!c->ike)
		return;
	ike_out_reset(&scratch);
	ike_input(c->ike, now, pk->payload, pk->payload_len, &scratch);
	ike_output(s, now, c, out);
}

/* ---- the commit (Fig. 4) ---- */

/* SA_ACK under the pair `which` (0 sec, 1 nsec), naming that pair's SPIs. */
static void
ack_under(struct server *s, struct server_client *c, int which, uint32_t gen, struct node_out *out)
{
	const struct sec_pair *p = which ? c->nsec : c->sec;
	struct commit_wire w = {.type = ASF_COMMIT_ACK,
				.nic_spi_in = p->spi_out,
				.nic_spi_out = p->spi_in,
				.txid = c->wire_txid,
				.gen = gen};
	uint8_t buf[COMMIT_WIRE_RMCP_LEN];
	size_t n;
	if (commit_wire_pack(&w, buf, sizeof(buf), &n) == RMC_OK) {
		srv_seal_send(s, c, which, RMCP_PORT_SECURE, buf, n, out);
		out->commit_steps |= NODE_STEP_ACK; /* a fault may stop the server right here */
	}
}

static void
send_ack(struct server *s, struct server_client *c, const struct commit_msg *m,
	 struct node_out *out)
{
	if (!c->nsec || c->nsec->spi_out != m->new_spi)
		return;
	if (c->no_commit)
		return; /* a plain IPsec host knows no SA_ACK: nothing goes on the wire */
	/* Once an ACK may be out, a successor must not fall back to the old SA (robust). */
	if (s->cfg.store && store_mark_acked(s->cfg.store, c->name, c->wire_txid))
		s->st.store_errors++;
	node_out_note(out, "sent sa_ack txid %08x to %s", c->wire_txid, c->name);
	ack_under(s, c, 1, m->gen, out);
}

/* After a takeover: the ACK the predecessor may not have got out, under the SA it names. */
void
srv_send_owed_ack(struct server *s, struct server_client *c, struct node_out *out)
{
	if (!c->ack_owed || !c->sec || !c->mac_known)
		return;
	c->ack_owed = false;
	node_out_note(out, "sent owed sa_ack txid %08x to %s", c->wire_txid, c->name);
	ack_under(s, c, 0, 0, out);
}

/* Fig. 4 step 27: the new SA replaces the old one, in RAM and in the store. */
static void
activate(struct server *s, struct server_client *c, uint32_t spi, struct node_out *out)
{
	if (!c->nsec || c->nsec->spi_out != spi)
		return;
	pair_free(&c->sec);
	c->sec = c->nsec;
	c->nsec = NULL;
	c->seq_next[0] = c->seq_next[1];
	c->seq_resv[0] = c->seq_resv[1];
	c->seq_next[1] = c->seq_resv[1] = 0;
	c->sec_lost = false;
	c->commits++;
	s->st.commits++;
	if (s->cfg.store && store_promote(s->cfg.store, c->name))
		s->st.store_errors++;
	node_out_note(out, "server committed SA %08x for %s", spi, c->name);
}

void
srv_commit_event(struct server *s, uint64_t now, struct server_client *c,
		 const struct commit_event *ev, struct node_out *out)
{
	struct commit_action act[COMMIT_MAX_ACTIONS];
	int n = commit_server_step(&c->cm, ev, now, act, COMMIT_MAX_ACTIONS);
	for (int i = 0; i < n; i++) {
		const struct commit_action *a = &act[i];
		if (a->type == COMMIT_ACT_SEND && a->msg.type == COMMIT_SA_ACK)
			send_ack(s, c, &a->msg, out);
		else if (a->type == COMMIT_ACT_START_KEX)
			start_kex(s, now, c, a->txid, out);
		else if (a->type == COMMIT_ACT_ACTIVATE)
			activate(s, c, a->spi, out);
	}
	if (c->cm.phase == COMMIT_S_IDLE && c->nsec && s->cfg.mutant == MUT_NO_FALLBACK) {
		srv_commit_load(c, c->nsec->spi_out);
		activate(s, c, c->nsec->spi_out, out);
	}
	/* Step 30: an abandoned refresh leaves the old SA in use; the new one goes. */
	if (c->cm.phase == COMMIT_S_IDLE && c->nsec) {
		node_out_note(out, "refresh of %s abandoned, keeping SA %08x", c->name,
			      c->sec ? c->sec->spi_out : 0);
		pair_free(&c->nsec);
		if (s->cfg.store && store_drop(s->cfg.store, c->name, STORE_NEW))
			s->st.store_errors++;
	}
	if (c->cm.phase == COMMIT_S_IDLE && c->ike)
		ike_drop(c);
}

void
srv_on_commit_msg(struct server *s, uint64_t now, struct server_client *c, const struct rmcp_msg *m,
		  struct node_out *out)
{
	struct commit_wire w;
	enum commit_msg_type type;
	if (commit_wire_decode(m, &w) != RMC_OK || commit_msg_from_wire(w.type, &type) != RMC_OK ||
	    type == COMMIT_SA_ACK) {
		s->st.malformed++;
		return;
	}
	/* Only the transaction in progress: the wire txid maps back to the fsm's. */
	if (!c->nsec || w.txid != c->wire_txid)
		return;
	struct commit_event ev = {
	    .type = COMMIT_EV_MSG,
	    .msg = {.type = type, .txid = c->cm.txid, .new_spi = w.nic_spi_in, .gen = w.gen}};
	srv_commit_event(s, now, c, &ev, out);
}

/* ---- what the server learns, and its per-client timers ---- */

void
srv_learn_state(struct server *s, uint64_t now, struct server_client *c, enum power_state st,
		bool secure, struct node_out *out)
{
	if (!secure && c->sec && c->probing) {
		/* it answers in the clear, not under our SA: its context is gone (cold boot) */
		node_out_note(out, "%s lost its security context", c->name);
		srv_forget_context(c);
		if (s->cfg.store && store_drop(s->cfg.store, c->name, STORE_CUR))
			s->st.store_errors++;
	}
	if (s->cfg.mutant == MUT_REFRESH_WHILE_HUNG && st == PWR_OS_HUNG)
		st = PWR_OS_UP; /* the broken server does not tell hung from up */
	bool changed = !c->peer_known || c->peer != st;
	c->peer_known = true;
	c->peer = st;
	if (secure)
		c->sec_lost = c->probing = false;
	if (changed) {
		struct commit_event ev = {.type = COMMIT_EV_PEER, .peer = st};
		srv_commit_event(s, now, c, &ev, out);
	}
	if (s->cfg.ike && st == PWR_OS_UP && c->cm.phase == COMMIT_S_IDLE && !c->sec) {
		struct commit_event ev = {.type = COMMIT_EV_REFRESH_NOW};
		srv_commit_event(s, now, c, &ev, out); /* Fig. 3: client operational, no SA yet */
	}
}

void
srv_secure_lost(struct server *s, uint64_t now, struct server_client *c, struct node_out *out)
{
	(void)now;
	if (!c->sec_lost)
		node_out_note(out, "%s does not answer under its SA", c->name);
	c->sec_lost = true;
	(void)s;
}

uint64_t
srv_client_deadline(const struct server *s, const struct server_client *c)
{
	uint64_t d = c->in_flight ? c->retx_at : NODE_TIMER_NEVER;
	if (c->ike_at < d)
		d = c->ike_at;
	if (s->cfg.poll_ns && c->poll_at < d)
		d = c->poll_at;
	for (int t = 0; t < COMMIT_T__COUNT; t++)
		if (c->cm.deadline[t] && c->cm.deadline[t] < d)
			d = c->cm.deadline[t];
	return d;
}

static void
poll_client(struct server *s, uint64_t now, struct server_client *c, struct node_out *out)
{
	c->poll_at = now + s->cfg.poll_ns;
	if (!c->sec && s->cfg.ike && !s->cfg.clear_fallback) {
		/* Secure-only and no SA yet: nothing but the host's IKE can answer, so the
		 * detection of Fig. 3 is an IKE attempt; a client that is not up ignores it
		 * and the exchange fails (step 24 -> 30) until the next poll. */
		if (c->cm.phase == COMMIT_S_IDLE) {
			struct commit_event up = {.type = COMMIT_EV_PEER, .peer = PWR_OS_UP};
			struct commit_event now_ev = {.type = COMMIT_EV_REFRESH_NOW};
			srv_commit_event(s, now, c, &up, out);
			srv_commit_event(s, now, c, &now_ev, out);
		}
		return;
	}
	if (c->in_flight || c->qlen)
		return; /* something is already asking */
	/* After a secure poll went unanswered, one probe in the clear (if configured), then
	 * secure again: a NIC that kept its SA answers that; one without answers this. */
	bool probe = c->sec && c->sec_lost && s->cfg.clear_fallback;
	server_send(s, now, (size_t)(c - s->clients), ASF_SYSTEM_STATE_REQ,
		    probe ? SERVER_VIA_CLEAR : SERVER_VIA_AUTO, out);
	if (probe) {
		c->sec_lost = false;
		c->probing = true;
	}
}

void
srv_client_timers(struct server *s, uint64_t now, struct server_client *c, struct node_out *out)
{
	if (c->ike && c->ike_at <= now) {
		ike_out_reset(&scratch);
		ike_timer(c->ike, now, &scratch);
		ike_output(s, now, c, out);
	}
	for (int t = 0; t < COMMIT_T__COUNT; t++)
		if (c->cm.deadline[t] && c->cm.deadline[t] <= now) {
			struct commit_event ev = {.type = COMMIT_EV_TIMEOUT,
						  .timer = (enum commit_timer)t};
			srv_commit_event(s, now, c, &ev, out);
		}
	if (s->cfg.poll_ns && c->poll_at <= now)
		poll_client(s, now, c, out);
}

/*
 * Takes over (or restarts with) the store's context: each client's
 * current SA, or the refreshed one if an ACK for it may have gone out;
 * sequence numbers resume above the stored reservation.
 */
int
srv_load_from_store(struct server *s, uint64_t now, struct node_out *out)
{
	for (size_t i = 0; s->cfg.store && i < s->nclients; i++) {
		struct server_client *c = &s->clients[i];
		struct store_sa cur, nw;
		srv_forget_context(c);
		bool have_new = store_get_sa(s->cfg.store, c->name, STORE_NEW, &nw) == RMC_OK;
		bool have_cur = store_get_sa(s->cfg.store, c->name, STORE_CUR, &cur) == RMC_OK;
		const struct store_sa *use = have_new && nw.acked ? &nw : have_cur ? &cur : NULL;
		if (use && pair_new(&c->sec, &use->sa) == RMC_OK) {
			c->seq_next[0] =
			    s->cfg.mutant == MUT_FAILOVER_SEQ_REUSE ? 0 : use->seq_reserved;
			c->seq_resv[0] = use->seq_reserved;
			srv_commit_load(c, c->sec->spi_out);
			if (use == &nw) {
				/* finish the commit the predecessor acknowledged: the NIC may
				 * still hold it as pending and commits on this ACK */
				c->wire_txid = nw.txid;
				c->ack_owed = true;
				if (store_promote(s->cfg.store, c->name))
					s->st.store_errors++;
			}
			node_out_note(out, "%s: SA %08x from the store, sequence from %llu",
				      c->name, c->sec->spi_out,
				      (unsigned long long)c->seq_next[0] + 1);
		} else if (have_new) {
			store_drop(s->cfg.store, c->name, STORE_NEW);
		}
		explicit_bzero(&cur, sizeof(cur));
		explicit_bzero(&nw, sizeof(nw));
		struct commit_event ev = {.type = COMMIT_EV_START};
		srv_commit_event(s, now, c, &ev, out);
		c->poll_at = now; /* a successor first checks on everybody */
	}
	return RMC_OK;
}
