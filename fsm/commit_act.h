/* Internal to fsm/commit_*.c: the bounded action list a step writes into. */
#ifndef RMCPSEC_FSM_COMMIT_ACT_H
#define RMCPSEC_FSM_COMMIT_ACT_H

#include "fsm/commit.h"

struct acts {
	struct commit_action *out;
	size_t cap, n;
	bool overflow;
};

static inline struct commit_action *
acts_push(struct acts *a, enum commit_action_type type)
{
	struct commit_action none = {0};

	if (a->n >= a->cap) {
		a->overflow = true;
		return NULL;
	}
	a->out[a->n] = none;
	a->out[a->n].type = type;
	return &a->out[a->n++];
}

static inline void
acts_spi(struct acts *a, enum commit_action_type type, uint32_t spi)
{
	struct commit_action *x = acts_push(a, type);

	if (x)
		x->spi = spi;
}

static inline void
acts_send(struct acts *a, enum commit_msg_type type, uint32_t txid, uint32_t old_spi,
	  uint32_t new_spi, uint32_t gen)
{
	struct commit_action *x = acts_push(a, COMMIT_ACT_SEND);

	if (!x)
		return;
	x->txid = txid;
	x->msg.type = type;
	x->msg.txid = txid;
	x->msg.old_spi = old_spi;
	x->msg.new_spi = new_spi;
	x->msg.gen = gen;
}

/* Arms timer t at deadline (recorded in dl[] so stale expiries are ignored). */
static inline void
acts_arm(struct acts *a, uint64_t *dl, enum commit_timer t, uint64_t deadline)
{
	struct commit_action *x = acts_push(a, COMMIT_ACT_ARM);

	dl[t] = deadline;
	if (x) {
		x->timer = t;
		x->deadline = deadline;
	}
}

static inline void
acts_cancel(struct acts *a, uint64_t *dl, enum commit_timer t)
{
	struct commit_action *x;

	if (!dl[t])
		return;
	dl[t] = 0;
	x = acts_push(a, COMMIT_ACT_CANCEL);
	if (x)
		x->timer = t;
}

/* A timeout counts only if that timer is armed and due; it is then consumed. */
static inline bool
timer_fires(uint64_t *dl, enum commit_timer t, uint64_t now)
{
	if ((unsigned)t >= COMMIT_T__COUNT || !dl[t] || now < dl[t])
		return false;
	dl[t] = 0;
	return true;
}

#endif
