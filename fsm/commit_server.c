/*
 * Server side of the refresh commit, patent Fig. 4 (see fsm/commit.h for
 * the profiles and timers). Step numbers in comments are the figure's.
 */
#include "fsm/commit.h"
#include "fsm/commit_act.h"

void
commit_server_init(struct commit_server *s, enum commit_profile p, struct commit_timing t,
		   uint32_t spi, enum power_state peer)
{
	struct commit_server zero = {0};

	*s = zero;
	s->profile = p;
	s->t = t;
	s->cur_spi = spi;
	s->peer = peer;
}

/* Step 30: "the previously negotiated SA is used"; wait for the next refresh. */
static void
back_to_idle(struct commit_server *s, struct acts *a, uint64_t now)
{
	s->phase = COMMIT_S_IDLE;
	s->new_spi = 0;
	s->ready_spi = 0;
	s->kex_ok = false;
	s->ready = false;
	acts_cancel(a, s->deadline, COMMIT_T_READY);
	acts_cancel(a, s->deadline, COMMIT_T_CONFIRM);
	acts_arm(a, s->deadline, COMMIT_T_REFRESH, now + s->t.refresh);
}

static void
send_ack(struct commit_server *s, struct acts *a)
{
	acts_send(a, COMMIT_SA_ACK, s->txid, s->cur_spi, s->new_spi, s->client_gen);
}

/* Steps 23-25: ACK only once READY arrived and our own exchange succeeded. */
static void
maybe_ack(struct commit_server *s, struct acts *a, uint64_t now)
{
	if (!s->ready || !s->kex_ok)
		return;
	if (s->ready_spi != s->new_spi) {
		/* the client stored some other SA: nothing common to commit */
		back_to_idle(s, a, now);
		return;
	}
	send_ack(s, a);
	acts_cancel(a, s->deadline, COMMIT_T_READY);
	s->phase = COMMIT_S_WAIT_CONFIRM;
	acts_arm(a, s->deadline, COMMIT_T_CONFIRM, now + s->t.rto);
}

/* Steps 20-22. */
static void
on_refresh(struct commit_server *s, struct acts *a, uint64_t now)
{
	struct commit_action *x;

	if (s->phase != COMMIT_S_IDLE)
		return;
	if (s->peer != PWR_OS_UP) {
		/* step 20: client not operational, keep the stored SA */
		acts_arm(a, s->deadline, COMMIT_T_REFRESH, now + s->t.refresh);
		return;
	}
	s->txid++;
	s->phase = COMMIT_S_KEX;
	s->kex_ok = false;
	s->ready = false;
	s->new_spi = 0;
	x = acts_push(a, COMMIT_ACT_START_KEX);
	if (x)
		x->txid = s->txid;
	acts_arm(a, s->deadline, COMMIT_T_READY, now + s->t.ready_wait);
}

static void
on_timeout(struct commit_server *s, struct acts *a, enum commit_timer t, uint64_t now)
{
	if (!timer_fires(s->deadline, t, now))
		return;
	if (t == COMMIT_T_REFRESH) {
		on_refresh(s, a, now);
	} else if (t == COMMIT_T_READY && s->phase == COMMIT_S_KEX) {
		back_to_idle(s, a, now); /* step 23, no READY: step 30 */
	} else if (t == COMMIT_T_CONFIRM && s->phase == COMMIT_S_WAIT_CONFIRM) {
		if (s->profile == COMMIT_STRICT) {
			back_to_idle(s, a, now); /* step 26, no CONFIRM: step 30 */
			return;
		}
		/* robust: the client may have committed; never fall back */
		send_ack(s, a);
		acts_arm(a, s->deadline, COMMIT_T_CONFIRM, now + s->t.rto);
	}
}

static void
on_msg(struct commit_server *s, struct acts *a, const struct commit_msg *m, uint64_t now)
{
	if (m->txid != s->txid)
		return;
	if (m->type == COMMIT_SA_READY && s->phase == COMMIT_S_KEX) {
		s->ready = true;
		s->ready_spi = m->new_spi;
		s->client_gen = m->gen;
		maybe_ack(s, a, now);
	} else if (m->type == COMMIT_SA_READY && s->phase == COMMIT_S_WAIT_CONFIRM &&
		   s->profile == COMMIT_ROBUST) {
		send_ack(s, a); /* our ACK was lost: the client asks again */
	} else if (m->type == COMMIT_SA_CONFIRM && s->phase == COMMIT_S_WAIT_CONFIRM &&
		   m->new_spi == s->new_spi) {
		/* step 27 */
		s->cur_spi = s->new_spi;
		s->client_gen = m->gen;
		acts_spi(a, COMMIT_ACT_ACTIVATE, s->cur_spi);
		back_to_idle(s, a, now);
	}
}

/* Fig. 4 step 20 and Fig. 6 rows 3-5: no refresh with a client without IKE. */
static void
on_peer(struct commit_server *s, struct acts *a, enum power_state peer, uint64_t now)
{
	s->peer = peer;
	if (peer == PWR_OS_UP || s->phase == COMMIT_S_IDLE)
		return;
	if (s->profile == COMMIT_STRICT || s->phase == COMMIT_S_KEX)
		back_to_idle(s, a, now);
}

int
commit_server_step(struct commit_server *s, const struct commit_event *ev, uint64_t now,
		   struct commit_action *out, size_t cap)
{
	struct commit_server next = *s;
	struct acts a = {out, cap, 0, false};

	switch (ev->type) {
	case COMMIT_EV_START:
		if (!next.deadline[COMMIT_T_REFRESH] && next.phase == COMMIT_S_IDLE)
			acts_arm(&a, next.deadline, COMMIT_T_REFRESH, now + next.t.refresh);
		break;
	case COMMIT_EV_TIMEOUT:
		on_timeout(&next, &a, ev->timer, now);
		break;
	case COMMIT_EV_KEX_OK:
		if (next.phase == COMMIT_S_KEX && ev->txid == next.txid && ev->spi) {
			next.kex_ok = true;
			next.new_spi = ev->spi;
			maybe_ack(&next, &a, now);
		}
		break;
	case COMMIT_EV_REFRESH_NOW:
		on_refresh(&next, &a, now);
		break;
	case COMMIT_EV_KEX_FAIL:
		if (next.phase == COMMIT_S_KEX && ev->txid == next.txid)
			back_to_idle(&next, &a, now); /* step 24 failed: step 30 */
		break;
	case COMMIT_EV_MSG:
		on_msg(&next, &a, &ev->msg, now);
		break;
	case COMMIT_EV_PEER:
		if ((unsigned)ev->peer >= PWR__COUNT)
			return -1;
		on_peer(&next, &a, ev->peer, now);
		break;
	case COMMIT_EV_FORGET:
		/* a crash, a cold boot or a client that lost its SA: start over with nothing */
		if ((unsigned)ev->peer >= PWR__COUNT)
			return -1;
		commit_server_init(&next, next.profile, next.t, 0, ev->peer);
		break;
	case COMMIT_EV_LOAD:
		/* mid-commit the SA in use is the machine's to decide */
		if (next.phase != COMMIT_S_IDLE)
			return -1;
		next.cur_spi = ev->spi;
		break;
	default:
		return -1;
	}
	if (a.overflow)
		return -1;
	*s = next;
	return (int)a.n;
}
