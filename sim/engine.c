#include "sim/engine.h"

#include <stdlib.h>

#include "proto/err.h"

enum { DIGIT_BITS = 8, WORD_BITS = 64 };

/* Level of an event at t: the digit where t first differs from now. */
static inline unsigned
level_of(uint64_t t, uint64_t now)
{
	uint64_t d = t ^ now;
	return d ? (unsigned)(63 - __builtin_clzll(d)) / DIGIT_BITS : 0;
}

static inline unsigned
slot_of(uint64_t t, unsigned level)
{
	return (unsigned)(t >> (level * DIGIT_BITS)) & (ENGINE_SLOTS - 1);
}

static inline int
slot_used(const struct engine_level *lv, unsigned s)
{
	return (lv->bits[s / WORD_BITS] >> (s % WORD_BITS)) & 1;
}

/* Lowest non-empty slot of a level that holds at least one event. Which
 * word that is varies from pop to pop, so it is picked without a loop. */
static inline unsigned
first_slot(const struct engine_level *lv)
{
	unsigned words = (unsigned)(lv->bits[0] != 0) | (unsigned)(lv->bits[1] != 0) << 1 |
			 (unsigned)(lv->bits[2] != 0) << 2 | (unsigned)(lv->bits[3] != 0) << 3;
	unsigned w = (unsigned)__builtin_ctz(words);
	return w * WORD_BITS + (unsigned)__builtin_ctzll(lv->bits[w]);
}

/* Appends event x to the list its time selects. Appending keeps ties in
 * insertion order: equal times always select the same list. */
static inline void
place(struct engine *e, uint32_t x)
{
	uint64_t t = e->ev[x].t;
	unsigned l = level_of(t, e->now), s = slot_of(t, l);
	struct engine_level *lv = &e->level[l];
	if (slot_used(lv, s)) {
		e->ev[lv->tail[s]].next = x;
	} else {
		lv->bits[s / WORD_BITS] |= 1ULL << (s % WORD_BITS);
		lv->head[s] = x;
		e->level_mask |= 1u << l;
	}
	lv->tail[s] = x;
}

static inline void
clear_slot(struct engine *e, unsigned l, unsigned s)
{
	struct engine_level *lv = &e->level[l];
	lv->bits[s / WORD_BITS] &= ~(1ULL << (s % WORD_BITS));
	if (!(lv->bits[0] | lv->bits[1] | lv->bits[2] | lv->bits[3]))
		e->level_mask &= ~(1u << l);
}

static void
link_free(struct engine *e, size_t from, size_t to)
{
	for (size_t i = from; i + 1 < to; i++)
		e->ev[i].next = (uint32_t)(i + 1);
	e->free_head = (uint32_t)from;
}

int
engine_init(struct engine *e, size_t capacity)
{
	*e = (struct engine){0};
	if (capacity < 16)
		capacity = 16;
	if (capacity > UINT32_MAX) /* indices are 32-bit */
		return RMC_ENOMEM;
	e->ev = calloc(capacity, sizeof(*e->ev));
	e->level = calloc(ENGINE_LEVELS, sizeof(*e->level));
	if (!e->ev || !e->level) {
		engine_fini(e);
		return RMC_ENOMEM;
	}
	e->cap = capacity;
	link_free(e, 0, capacity);
	return RMC_OK;
}

void
engine_fini(struct engine *e)
{
	if (!e)
		return;
	free(e->ev);
	free(e->level);
	*e = (struct engine){0};
}

/* Called only when full, so the free list is empty and restarts at cap.
 * Kept out of line so engine_at's common path needs no saved registers. */
__attribute__((noinline, cold)) static int
engine_grow(struct engine *e)
{
	size_t cap = e->cap * 2;
	if (cap > UINT32_MAX)
		return RMC_ENOMEM;
	struct engine_ev *ev = realloc(e->ev, cap * sizeof(*ev));
	if (!ev)
		return RMC_ENOMEM;
	e->ev = ev;
	link_free(e, e->cap, cap);
	e->cap = cap;
	return RMC_OK;
}

int
engine_at(struct engine *e, uint64_t t, engine_fn fn, void *ctx, uint64_t arg)
{
	if (__builtin_expect(e->n == e->cap, 0) && engine_grow(e) != RMC_OK)
		return RMC_ENOMEM;
	uint32_t x = e->free_head;
	struct engine_ev *ev = &e->ev[x];
	e->free_head = ev->next;
	ev->t = t < e->now ? e->now : t;
	ev->fn = fn;
	ev->ctx = ctx;
	ev->arg = arg;
	place(e, x);
	e->n++;
	return RMC_OK;
}

int
engine_after(struct engine *e, uint64_t delay, engine_fn fn, void *ctx, uint64_t arg)
{
	uint64_t t = e->now + delay;
	if (t < e->now)
		t = UINT64_MAX; /* saturate: "never" rather than the past */
	return engine_at(e, t, fn, ctx, arg);
}

static uint64_t
earliest_in(const struct engine *e, uint32_t x, uint32_t last)
{
	uint64_t min = e->ev[x].t;
	while (x != last) {
		x = e->ev[x].next;
		if (e->ev[x].t < min)
			min = e->ev[x].t;
	}
	return min;
}

/*
 * Unlinks the earliest event if it is due by until, moves the clock to its
 * time and returns 1; returns 0 if nothing is due. When level 0 is empty
 * the earliest time is in the first list of the lowest non-empty level:
 * that list is redistributed relative to it, in list order, which brings
 * the earliest events to level 0. A one-event list needs no moving. A run
 * that ends before that time has scanned the list and leaves it in place,
 * so the scan is repeated by the next run: cheap at the list sizes of a
 * scenario, and each event is moved at most once per level.
 */
static int
take_due(struct engine *e, uint64_t until, uint32_t *out)
{
	if (!(e->level_mask & 1)) {
		unsigned l = (unsigned)__builtin_ctz(e->level_mask);
		struct engine_level *lv = &e->level[l];
		unsigned s = first_slot(lv);
		uint32_t x = lv->head[s], last = lv->tail[s];
		uint64_t min = earliest_in(e, x, last);
		if (min > until)
			return 0;
		clear_slot(e, l, s);
		e->now = min;
		if (x == last) {
			*out = x;
			return 1;
		}
		for (;;) {
			uint32_t next = e->ev[x].next; /* place() may rewrite it */
			place(e, x);
			if (x == last)
				break;
			x = next;
		}
	}
	struct engine_level *lv0 = &e->level[0];
	unsigned s = first_slot(lv0);
	uint64_t t = (e->now & ~(uint64_t)(ENGINE_SLOTS - 1)) | s;
	if (t > until)
		return 0;
	uint32_t x = lv0->head[s];
	if (x == lv0->tail[s])
		clear_slot(e, 0, s);
	else
		lv0->head[s] = e->ev[x].next;
	e->now = t;
	*out = x;
	return 1;
}

uint64_t
engine_run(struct engine *e, uint64_t until)
{
	uint64_t count = 0;
	uint32_t x;
	e->stopped = 0;
	while (e->n > 0 && !e->stopped && take_due(e, until, &x)) {
		/* Copy the payload and free the event before the call, which
		 * may schedule into that very place. */
		struct engine_ev ev = e->ev[x];
		e->ev[x].next = e->free_head;
		e->free_head = x;
		e->n--;
		ev.fn(ev.ctx, ev.arg);
		count++;
	}
	e->dispatched += count;
	return count;
}

void
engine_stop(struct engine *e)
{
	e->stopped = 1;
}

int
engine_next(const struct engine *e, uint64_t *t)
{
	if (e->n == 0)
		return RMC_ENOENT;
	if (e->level_mask & 1) {
		*t = (e->now & ~(uint64_t)(ENGINE_SLOTS - 1)) | first_slot(&e->level[0]);
		return RMC_OK;
	}
	/* The lowest non-empty level's first list holds the minimum (see take_due). */
	const struct engine_level *lv = &e->level[__builtin_ctz(e->level_mask)];
	unsigned s = first_slot(lv);
	*t = earliest_in(e, lv->head[s], lv->tail[s]);
	return RMC_OK;
}

int
engine_advance(struct engine *e, uint64_t t)
{
	uint64_t next;
	if (t < e->now || (engine_next(e, &next) == RMC_OK && next <= t))
		return RMC_EINVAL;
	e->now = t;
	return RMC_OK;
}
