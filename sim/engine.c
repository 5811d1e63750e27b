#include "sim/engine.h"

#include <stdlib.h>
#include <string.h>

#include "proto/err.h"

/*
 * Layout: key[i]'s children are key[4i+1 .. 4i+4]. The array starts three
 * keys into a 64-byte aligned allocation, so each group of four siblings
 * (16 bytes each) fills exactly one cache line and a pop touches one line
 * per level.
 */
enum { ARITY = 4, KEY_PAD = 3, LINE = 64 };

static inline engine_key
make_key(uint64_t t, uint64_t seq)
{
	return (engine_key)t << 64 | seq;
}

static inline uint64_t
key_time(engine_key k)
{
	return (uint64_t)(k >> 64);
}

static engine_key *
alloc_keys(size_t cap)
{
	size_t bytes = (cap + KEY_PAD) * sizeof(engine_key);
	bytes = (bytes + LINE - 1) / LINE * LINE; /* aligned_alloc wants a multiple */
	return aligned_alloc(LINE, bytes);
}

int
engine_init(struct engine *e, size_t capacity)
{
	*e = (struct engine){0};
	if (capacity < 16)
		capacity = 16;
	if (capacity > UINT32_MAX)
		return RMC_ENOMEM;
	e->key_mem = alloc_keys(capacity);
	e->slot_of = calloc(capacity, sizeof(*e->slot_of));
	e->slot = calloc(capacity, sizeof(*e->slot));
	e->free_slot = calloc(capacity, sizeof(*e->free_slot));
	if (!e->key_mem || !e->slot_of || !e->slot || !e->free_slot) {
		engine_fini(e);
		return RMC_ENOMEM;
	}
	e->key = e->key_mem + KEY_PAD;
	e->cap = capacity;
	for (size_t i = 0; i < capacity; i++)
		e->free_slot[i] = (uint32_t)(capacity - 1 - i);
	e->n_free = capacity;
	return RMC_OK;
}

void
engine_fini(struct engine *e)
{
	if (!e)
		return;
	free(e->key_mem);
	free(e->slot_of);
	free(e->slot);
	free(e->free_slot);
	*e = (struct engine){0};
}

/* Called only when full (n == cap, no free slot). Each array is replaced
 * as soon as its larger copy exists, so a failure part-way leaves a
 * consistent engine with the old capacity. */
static int
engine_grow(struct engine *e)
{
	size_t cap = e->cap * 2;
	if (cap > (size_t)UINT32_MAX + 1)
		return RMC_ENOMEM;
	uint32_t *so = realloc(e->slot_of, cap * sizeof(*so));
	if (!so)
		return RMC_ENOMEM;
	e->slot_of = so;
	struct engine_slot *sl = realloc(e->slot, cap * sizeof(*sl));
	if (!sl)
		return RMC_ENOMEM;
	e->slot = sl;
	uint32_t *fs = realloc(e->free_slot, cap * sizeof(*fs));
	if (!fs)
		return RMC_ENOMEM;
	e->free_slot = fs;
	engine_key *km = alloc_keys(cap);
	if (!km)
		return RMC_ENOMEM;
	memcpy(km + KEY_PAD, e->key, e->n * sizeof(*km));
	free(e->key_mem);
	e->key_mem = km;
	e->key = km + KEY_PAD;
	for (size_t s = cap; s > e->cap; s--)
		e->free_slot[e->n_free++] = (uint32_t)(s - 1);
	e->cap = cap;
	return RMC_OK;
}

static void
sift_up(struct engine *e, size_t i, engine_key k, uint32_t s)
{
	engine_key *h = e->key;
	uint32_t *so = e->slot_of;
	while (i > 0) {
		size_t parent = (i - 1) / ARITY;
		if (k > h[parent]) /* keys are unique: seq never repeats */
			break;
		h[i] = h[parent];
		so[i] = so[parent];
		i = parent;
	}
	h[i] = k;
	so[i] = s;
}

/* Index of the smallest of four sibling keys, computed with arithmetic
 * instead of branches: which of two random keys is smaller is
 * unpredictable, so a branch would mispredict half the time (GCC keeps
 * a branch for some of the ternary forms of this). */
static inline size_t
min_of_four(const engine_key *h, size_t c)
{
	size_t a = c + (h[c + 1] < h[c]);
	size_t b = c + 2 + (h[c + 3] < h[c + 2]);
	size_t b_wins = h[b] < h[a];
	return a + ((b - a) & -b_wins);
}

/*
 * Fills a hole at the root of a heap whose elements are h[1 .. n-1] with
 * (k, s). Bottom-up (Floyd): walk the hole down to a leaf along the
 * smallest children without comparing against k, then sift k up from
 * there. k is either the former last element or a new timer, both of
 * which usually belong near the bottom, so k rarely climbs far and each
 * level costs three comparisons instead of four.
 */
static void
fill_root(struct engine *e, size_t n, engine_key k, uint32_t s)
{
	engine_key *h = e->key;
	uint32_t *so = e->slot_of;
	size_t i = 0;
	for (;;) {
		size_t c = i * ARITY + 1, best;
		if (c + ARITY <= n) {
			/* The 16 grandchildren are four consecutive lines; fetch
			 * them while this level's comparisons run. */
			const engine_key *g = h + c * ARITY + 1;
			__builtin_prefetch(g);
			__builtin_prefetch(g + 4);
			__builtin_prefetch(g + 8);
			__builtin_prefetch(g + 12);
			best = min_of_four(h, c);
		} else if (c < n) {
			best = c;
			for (size_t j = c + 1; j < n; j++)
				if (h[j] < h[best])
					best = j;
		} else {
			break;
		}
		h[i] = h[best];
		so[i] = so[best];
		i = best;
	}
	sift_up(e, i, k, s);
}

/* Closes the root hole left by a dispatch that scheduled nothing. */
static void
close_root(struct engine *e)
{
	e->root_free = 0;
	size_t last = e->n; /* the heap held n + 1 places, the root unused */
	if (last > 0)
		fill_root(e, last, e->key[last], e->slot_of[last]);
}

int
engine_at(struct engine *e, uint64_t t, engine_fn fn, void *ctx, uint64_t arg)
{
	if (!e->root_free && e->n == e->cap && engine_grow(e) != RMC_OK)
		return RMC_ENOMEM;
	uint32_t s = e->free_slot[--e->n_free];
	e->slot[s] = (struct engine_slot){fn, ctx, arg};
	engine_key k = make_key(t < e->now ? e->now : t, e->next_seq++);
	if (e->root_free) {
		/* A timer rescheduling itself: one walk down replaces the
		 * pop's walk down plus this push's walk up. */
		e->root_free = 0;
		fill_root(e, e->n + 1, k, s);
	} else {
		sift_up(e, e->n, k, s);
	}
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

/*
 * A dispatched event's root place stays empty (root_free) while its
 * callback runs, so the callback's first engine_at can fill it directly;
 * whatever is left empty is closed after the callback returns. n counts
 * events, so engine_pending() is right inside callbacks too.
 */
uint64_t
engine_run(struct engine *e, uint64_t until)
{
	uint64_t count = 0;
	e->stopped = 0;
	while (e->n > 0 && !e->stopped) {
		uint64_t t = key_time(e->key[0]);
		if (t > until)
			break;
		/* Copy the payload out and free its slot before the call, which
		 * may schedule into that very slot. */
		uint32_t s = e->slot_of[0];
		struct engine_slot ev = e->slot[s];
		e->free_slot[e->n_free++] = s;
		e->n--;
		e->root_free = 1;
		e->now = t;
		ev.fn(ev.ctx, ev.arg);
		if (e->root_free)
			close_root(e);
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
