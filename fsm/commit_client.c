/*
 * Client (NIC) side of the refresh commit, patent Fig. 5 (see fsm/commit.h
 * for the profiles and timers). Step numbers in comments are the figure's.
 */
#include "fsm/commit.h"
#include "fsm/commit_act.h"

void
commit_client_init(struct commit_client *c, enum commit_profile p, struct commit_timing t,
		   uint32_t spi)
{
	struct commit_client zero = {0};

	*c = zero;
	c->profile = p;
	c->t = t;
	c->cur_spi = spi;
}

bool
commit_client_accepts(const struct commit_client *c, uint32_t spi)
{
	if (spi == 0)
		return false;
	return spi == c->cur_spi || (c->profile == COMMIT_ROBUST && spi == c->prev_spi);
}

static void
send_ready(struct commit_client *c, struct acts *a)
{
	acts_send(a, COMMIT_SA_READY, c->pending_txid, c->cur_spi, c->pending_spi, c->gen);
}

/* Strict waits once for the whole READY budget; robust re-sends every rto. */
static void
arm_ack_wait(struct commit_client *c, struct acts *a, uint64_t now)
{
	uint64_t wait = c->profile == COMMIT_STRICT ? c->t.ready_wait : c->t.rto;

	acts_arm(a, c->deadline, COMMIT_T_ACK, now + wait);
}

/* Steps 40-43. */
static void
on_new_sa(struct commit_client *c, struct acts *a, uint32_t txid, uint32_t spi, uint64_t now)
{
	if (spi == 0 || spi == c->cur_spi || spi == c->prev_spi)
		return;
	c->pending_spi = spi;
	c->pending_txid = txid;
	c->pending_live = true;
	acts_spi(a, COMMIT_ACT_INSTALL, spi);
	send_ready(c, a);
	c->phase = COMMIT_C_WAIT_ACK;
	c->tries = 1;
	arm_ack_wait(c, a, now);
}

/* Step 52: "restores the previously negotiated SA". */
static void
restore(struct commit_client *c, struct acts *a)
{
	acts_spi(a, COMMIT_ACT_RESTORE, c->cur_spi);
	acts_cancel(a, c->deadline, COMMIT_T_ACK);
	c->phase = COMMIT_C_IDLE;
	if (c->profile == COMMIT_STRICT) {
		c->pending_spi = 0;
		c->pending_txid = 0;
	}
	c->pending_live = false; /* robust keeps it: a late ACK still commits */
}

/* Steps 44-45. Robust keeps the old SA inbound until the new one is seen. */
static void
commit(struct commit_client *c, struct acts *a)
{
	uint32_t old = c->cur_spi;

	acts_cancel(a, c->deadline, COMMIT_T_ACK);
	c->gen++;
	acts_send(a, COMMIT_SA_CONFIRM, c->pending_txid, old, c->pending_spi, c->gen);
	acts_spi(a, COMMIT_ACT_ACTIVATE, c->pending_spi);
	if (c->profile == COMMIT_ROBUST) {
		if (c->prev_spi && c->prev_spi != old)
			acts_spi(a, COMMIT_ACT_RETIRE, c->prev_spi);
		c->prev_spi = old;
	}
	c->cur_spi = c->pending_spi;
	c->last_txid = c->pending_txid;
	c->pending_spi = 0;
	c->pending_txid = 0;
	c->pending_live = false;
	c->phase = COMMIT_C_IDLE;
}

static void
on_ack(struct commit_client *c, struct acts *a, const struct commit_msg *m)
{
	if (c->profile == COMMIT_STRICT) {
		if (c->phase == COMMIT_C_WAIT_ACK && m->txid == c->pending_txid)
			commit(c, a);
		return;
	}
	if (c->pending_spi && m->txid == c->pending_txid && m->new_spi == c->pending_spi)
		commit(c, a);
	else if (c->last_txid && m->txid == c->last_txid && m->new_spi == c->cur_spi)
		acts_send(a, COMMIT_SA_CONFIRM, m->txid, m->old_spi, c->cur_spi, c->gen);
}

static void
on_timeout(struct commit_client *c, struct acts *a, enum commit_timer t, uint64_t now)
{
	if (!timer_fires(c->deadline, t, now) || t != COMMIT_T_ACK || c->phase != COMMIT_C_WAIT_ACK)
		return;
	if (c->profile == COMMIT_ROBUST && c->tries < c->t.ready_tries) {
		c->tries++;
		send_ready(c, a);
		arm_ack_wait(c, a, now);
		return;
	}
	restore(c, a); /* step 43, no ACK */
}

/* Timers and the retry count were in RAM; the SAs are in NVRAM. */
static void
on_reset(struct commit_client *c, struct acts *a, uint64_t now)
{
	for (int t = 0; t < COMMIT_T__COUNT; t++)
		c->deadline[t] = 0;
	if (c->phase != COMMIT_C_WAIT_ACK)
		return;
	if (c->profile == COMMIT_STRICT) {
		restore(c, a); /* the wait for ACK is gone with the reset */
		return;
	}
	send_ready(c, a);
	c->tries = 1;
	arm_ack_wait(c, a, now);
}

/* NVRAM came back without the pending SA: there is nothing left to commit. */
static void
on_pending_lost(struct commit_client *c, struct acts *a, uint64_t now)
{
	c->pending_spi = 0;
	c->pending_txid = 0;
	c->pending_live = false;
	c->phase = COMMIT_C_IDLE;
	on_reset(c, a, now);
}

int
commit_client_step(struct commit_client *c, const struct commit_event *ev, uint64_t now,
		   struct commit_action *out, size_t cap)
{
	struct commit_client next = *c;
	struct acts a = {out, cap, 0, false};

	switch (ev->type) {
	case COMMIT_EV_NEW_SA:
		on_new_sa(&next, &a, ev->txid, ev->spi, now);
		break;
	case COMMIT_EV_MSG:
		if (ev->msg.type == COMMIT_SA_ACK)
			on_ack(&next, &a, &ev->msg);
		break;
	case COMMIT_EV_TIMEOUT:
		on_timeout(&next, &a, ev->timer, now);
		break;
	case COMMIT_EV_RESET:
		on_reset(&next, &a, now);
		break;
	case COMMIT_EV_PENDING_LOST:
		on_pending_lost(&next, &a, now);
		break;
	case COMMIT_EV_FORGET:
		/* NVRAM cleared (cold boot, fresh install): no SA, no commit state */
		commit_client_init(&next, next.profile, next.t, 0);
		break;
	case COMMIT_EV_DATA:
		if (next.prev_spi && ev->spi == next.cur_spi) {
			acts_spi(&a, COMMIT_ACT_RETIRE, next.prev_spi);
			next.prev_spi = 0;
		}
		break;
	default:
		return -1;
	}
	if (a.overflow)
		return -1;
	*c = next;
	return (int)a.n;
}
