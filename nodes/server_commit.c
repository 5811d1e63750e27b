/*
 * The server's side of the refresh commit for one client (patent Fig. 4):
 * fsm/commit_server decides, this file carries its actions out — a key
 * exchange for each new transaction, SA_ACK under the new SA, the new SA
 * in place of the old one — and keeps the persistent store in step: the
 * new SA stored, marked once an ACK may be out, promoted on commit,
 * dropped when abandoned. What the server learns about the client (its
 * power state, a lost context) and a restart from the store come here too:
 * all of them change the machine, and only its steps do that.
 */
#include "nodes/server_commit.h"

#include <string.h>

#include "nodes/commit_msg_wire.h"
#include "nodes/ike_sa.h"
#include "nodes/server_sa.h"
#include "nodes/store.h"
#include "proto/commit_wire.h"
#include "proto/err.h"

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

bool
srv_commit_idle(const struct server_client *c)
{
	return c->cm.phase == COMMIT_S_IDLE;
}

uint64_t
srv_commit_deadline(const struct server_client *c)
{
	uint64_t d = NODE_TIMER_NEVER;
	for (int t = 0; t < COMMIT_T__COUNT; t++)
		if (c->cm.deadline[t] && c->cm.deadline[t] < d)
			d = c->cm.deadline[t];
	return d;
}

void
srv_forget_context(struct server_client *c)
{
	srv_sa_forget(c);
	srv_ike_drop(c);
	explicit_bzero(&c->new_sa, sizeof(c->new_sa));
	struct commit_event ev = {.type = COMMIT_EV_FORGET, .peer = c->peer};
	commit_learn(c, &ev);
}

/* SA_ACK under the pair `which`, naming that pair's SPIs. */
static void
ack_under(struct server *s, struct server_client *c, int which, uint32_t gen, struct node_out *out)
{
	const struct sec_pair *p = which == SRV_SA_NEW ? c->nsec : c->sec;
	struct commit_wire w = {.type = commit_msg_wire_type(COMMIT_SA_ACK),
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
	ack_under(s, c, SRV_SA_NEW, m->gen, out);
}

void
srv_send_owed_ack(struct server *s, struct server_client *c, struct node_out *out)
{
	if (!c->ack_owed || !c->sec || !c->mac_known)
		return;
	c->ack_owed = false;
	node_out_note(out, "sent owed sa_ack txid %08x to %s", c->wire_txid, c->name);
	ack_under(s, c, SRV_SA_CUR, 0, out);
}

/* Fig. 4 step 27: the new SA replaces the old one, in RAM and in the store. */
static void
activate(struct server *s, struct server_client *c, uint32_t spi, struct node_out *out)
{
	if (!c->nsec || c->nsec->spi_out != spi)
		return;
	srv_sa_promote(c);
	c->commits++;
	s->st.commits++;
	if (s->cfg.store && store_promote(s->cfg.store, c->name))
		s->st.store_errors++;
	node_out_note(out, "server committed SA %08x for %s", spi, c->name);
}

/* Step 22: IKE for the machine's transaction txid. */
static void
start_kex(struct server *s, uint64_t now, struct server_client *c, uint32_t txid,
	  struct node_out *out)
{
	struct srv_kex k = {.outcome = SRV_KEX_FAILED};
	if (s->cfg.mutant == MUT_REFRESH_WHILE_HUNG && c->sec)
		srv_sa_drop(c, SRV_SA_CUR); /* the broken server bets on the exchange succeeding */
	c->kex_txid = txid;
	if (s->cfg.mutant == MUT_COLD_SERVER_STAYS_CLEAR && s->power == PWR_COLD_BOOT)
		node_out_note(out, "no IKE with %s: clear mode since the cold boot", c->name);
	else
		srv_ike_start(s, now, c, txid, &k, out);
	srv_commit_kex(s, now, c, &k, out);
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
	if (srv_commit_idle(c) && c->nsec && s->cfg.mutant == MUT_NO_FALLBACK) {
		srv_commit_load(c, c->nsec->spi_out);
		activate(s, c, c->nsec->spi_out, out);
	}
	/* Step 30: an abandoned refresh leaves the old SA in use; the new one goes. */
	if (srv_commit_idle(c) && c->nsec) {
		node_out_note(out, "refresh of %s abandoned, keeping SA %08x", c->name,
			      c->sec ? c->sec->spi_out : 0);
		srv_sa_drop(c, SRV_SA_NEW);
		if (s->cfg.store && store_drop(s->cfg.store, c->name, STORE_NEW))
			s->st.store_errors++;
	}
	if (srv_commit_idle(c) && c->ike)
		srv_ike_drop(c);
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

/* The CHILD_SA is the refreshed SA: stored as the new one, then the machine hears of it. */
static void
child_up(struct server *s, uint64_t now, struct server_client *c, const struct ike_child_sa *ch,
	 struct node_out *out)
{
	struct nvram_sa sa;
	uint32_t wire_txid = ch->spi_out; /* the NIC's inbound SPI: the host computes the same */
	if (ike_child_to_nvram(ch, false, s->cfg.service_ip, wire_txid, &sa) != RMC_OK ||
	    srv_sa_stage(c, &sa) != RMC_OK) {
		explicit_bzero(&sa, sizeof(sa));
		return;
	}
	c->new_sa = sa;
	c->wire_txid = wire_txid;
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

void
srv_commit_kex(struct server *s, uint64_t now, struct server_client *c, struct srv_kex *k,
	       struct node_out *out)
{
	if (k->outcome == SRV_KEX_CHILD) {
		child_up(s, now, c, &k->child, out);
		explicit_bzero(&k->child, sizeof(k->child));
	} else if (k->outcome == SRV_KEX_FAILED) {
		struct commit_event ev = {.type = COMMIT_EV_KEX_FAIL, .txid = c->kex_txid};
		srv_commit_event(s, now, c, &ev, out);
	}
}

void
srv_commit_timers(struct server *s, uint64_t now, struct server_client *c, struct node_out *out)
{
	for (int t = 0; t < COMMIT_T__COUNT; t++)
		if (c->cm.deadline[t] && c->cm.deadline[t] <= now) {
			struct commit_event ev = {.type = COMMIT_EV_TIMEOUT,
						  .timer = (enum commit_timer)t};
			srv_commit_event(s, now, c, &ev, out);
		}
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

void
srv_context_lost(struct server *s, struct server_client *c, struct node_out *out)
{
	node_out_note(out, "%s lost its security context", c->name);
	srv_forget_context(c);
	if (s->cfg.store && store_drop(s->cfg.store, c->name, STORE_CUR))
		s->st.store_errors++;
}

void
srv_peer_state(struct server *s, uint64_t now, struct server_client *c, enum power_state st,
	       struct node_out *out)
{
	if (s->cfg.mutant == MUT_REFRESH_WHILE_HUNG && st == PWR_OS_HUNG)
		st = PWR_OS_UP; /* the broken server does not tell hung from up */
	if (s->cfg.mutant == MUT_IKE_WHILE_NOT_UP && !c->sec && st != PWR_MECH_OFF)
		st = PWR_OS_UP; /* the broken server takes any answer for a running OS */
	bool changed = !c->peer_known || c->peer != st;
	c->peer_known = true;
	c->peer = st;
	if (changed) {
		struct commit_event ev = {.type = COMMIT_EV_PEER, .peer = st};
		srv_commit_event(s, now, c, &ev, out);
	}
	if (s->cfg.ike && st == PWR_OS_UP && srv_commit_idle(c) && !c->sec) {
		struct commit_event ev = {.type = COMMIT_EV_REFRESH_NOW};
		srv_commit_event(s, now, c, &ev, out); /* Fig. 3: client operational, no SA yet */
	}
}

/*
 * The store's context for the client: its current SA, or the refreshed one
 * if an ACK for it may have gone out; sequence numbers resume above the
 * stored reservation.
 */
void
srv_resume_from_store(struct server *s, uint64_t now, struct server_client *c, struct node_out *out)
{
	struct store_sa cur, nw;
	srv_forget_context(c);
	bool have_new = store_get_sa(s->cfg.store, c->name, STORE_NEW, &nw) == RMC_OK;
	bool have_cur = store_get_sa(s->cfg.store, c->name, STORE_CUR, &cur) == RMC_OK;
	const struct store_sa *use = have_new && nw.acked ? &nw : have_cur ? &cur : NULL;
	uint64_t seq_next = !use || s->cfg.mutant == MUT_FAILOVER_SEQ_REUSE ? 0 : use->seq_reserved;
	if (use && srv_sa_resume(c, &use->sa, seq_next, use->seq_reserved) == RMC_OK) {
		srv_commit_load(c, c->sec->spi_out);
		if (use == &nw) {
			/* finish the commit the predecessor acknowledged: the NIC may still
			 * hold it as pending and commits on this ACK */
			c->wire_txid = nw.txid;
			c->ack_owed = true;
			if (store_promote(s->cfg.store, c->name))
				s->st.store_errors++;
		}
		node_out_note(out, "%s: SA %08x from the store, sequence from %llu", c->name,
			      c->sec->spi_out, (unsigned long long)c->seq_next[SRV_SA_CUR] + 1);
	} else if (have_new) {
		store_drop(s->cfg.store, c->name, STORE_NEW);
	}
	explicit_bzero(&cur, sizeof(cur));
	explicit_bzero(&nw, sizeof(nw));
	struct commit_event ev = {.type = COMMIT_EV_START};
	srv_commit_event(s, now, c, &ev, out);
}
