#include "sim/engine.h"

#include <stdlib.h>

#include "proto/err.h"

enum { ARITY = 4 };

static inline int
ev_before(const struct engine_ev *a, const struct engine_ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

int
engine_init(struct engine *e, size_t capacity)
{
	*e = (struct engine){0};
	if (capacity < 16)
		capacity = 16;
	e->heap = calloc(capacity, sizeof(*e->heap));
	if (!e->heap)
		return RMC_ENOMEM;
	e->cap = capacity;
	return RMC_OK;
}

void
engine_fini(struct engine *e)
{
	if (!e)
		return;
	free(e->heap);
	*e = (struct engine){0};
}

static int
engine_grow(struct engine *e)
{
	size_t cap = e->cap * 2;
	struct engine_ev *h = realloc(e->heap, cap * sizeof(*h));
	if (!h)
		return RMC_ENOMEM;
	e->heap = h;
	e->cap = cap;
	return RMC_OK;
}

static void
sift_up(struct engine *e, size_t i, struct engine_ev ev)
{
	struct engine_ev *h = e->heap;
	while (i > 0) {
		size_t parent = (i - 1) / ARITY;
		if (!ev_before(&ev, &h[parent]))
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = ev;
}

static void
sift_down(struct engine *e, size_t i, struct engine_ev ev)
{
	struct engine_ev *h = e->heap;
	size_t n = e->n;
	for (;;) {
		size_t first = i * ARITY + 1;
		if (first >= n)
			break;
		size_t last = first + ARITY < n ? first + ARITY : n;
		size_t best = first;
		for (size_t c = first + 1; c < last; c++)
			if (ev_before(&h[c], &h[best]))
				best = c;
		if (!ev_before(&h[best], &ev))
			break;
		h[i] = h[best];
		i = best;
	}
	h[i] = ev;
}

int
engine_at(struct engine *e, uint64_t t, engine_fn fn, void *ctx, uint64_t arg)
{
	if (e->n == e->cap && engine_grow(e) != RMC_OK)
		return RMC_ENOMEM;
	struct engine_ev ev = {t < e->now ? e->now : t, e->next_seq++, fn, ctx, arg};
	e->n++;
	sift_up(e, e->n - 1, ev);
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

uint64_t
engine_run(struct engine *e, uint64_t until)
{
	uint64_t count = 0;
	e->stopped = 0;
	while (e->n > 0 && !e->stopped) {
		struct engine_ev top = e->heap[0];
		if (top.t > until)
			break;
		e->n--;
		if (e->n > 0)
			sift_down(e, 0, e->heap[e->n]);
		e->now = top.t;
		top.fn(top.ctx, top.arg);
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
