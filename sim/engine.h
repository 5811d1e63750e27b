/*
 * The virtual-time event engine. Time is 64-bit nanoseconds and moves only
 * when an event is popped. Events are ordered by (time, insertion sequence),
 * so equal times always break the same way (ns-3's EventKey idea) and a
 * run is a pure function of its inputs and seed.
 *
 * The queue is an implicit 4-ary min-heap that grows by doubling:
 * scheduling an event allocates nothing once the arrays have reached the
 * run's high-water mark. Cancelling is left to the owner of the event
 * (nodes keep a generation per timer and ignore stale ones), which keeps
 * the heap free of tombstones and back-pointers.
 *
 * For speed the heap holds only 16-byte keys, (time << 64 | seq) compared
 * as one unsigned 128-bit number, with the four children of a node in one
 * 64-byte cache line; a parallel array gives each key's payload slot. The
 * payloads (fn, ctx, arg) stay put in their slots until dispatched.
 */
#ifndef RMCPSEC_SIM_ENGINE_H
#define RMCPSEC_SIM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

typedef void (*engine_fn)(void *ctx, uint64_t arg);

/* (time << 64) | seq: one comparison orders by time, then insertion. */
__extension__ typedef unsigned __int128 engine_key;

struct engine_slot {
	engine_fn fn;
	void *ctx;
	uint64_t arg;
};

struct engine {
	engine_key *key_mem;	  /* allocation; key = key_mem + 3 (see engine.c) */
	engine_key *key;	  /* heap order */
	uint32_t *slot_of;	  /* parallel to key: where the payload is */
	struct engine_slot *slot; /* payloads, by slot number */
	uint32_t *free_slot;	  /* stack of unused slot numbers */
	size_t n_free;
	size_t n;
	size_t cap;
	uint64_t now;
	uint64_t next_seq;
	uint64_t dispatched;
	int stopped;
	int root_free; /* during a dispatch: key[0] is an empty place */
};

enum { NS_PER_US = 1000, NS_PER_MS = 1000000, NS_PER_S = 1000000000 };

int engine_init(struct engine *e, size_t capacity);
void engine_fini(struct engine *e);

/* Schedules fn(ctx, arg) at absolute time t (clamped to now if earlier). */
int engine_at(struct engine *e, uint64_t t, engine_fn fn, void *ctx, uint64_t arg);
/* Schedules fn(ctx, arg) after delay ns. */
int engine_after(struct engine *e, uint64_t delay, engine_fn fn, void *ctx, uint64_t arg);

/*
 * Pops and runs events in order while their time is <= until and
 * engine_stop() was not called. Returns the number of events run. The
 * clock ends at the last event's time (never advanced past it), so
 * a later call continues exactly where this one stopped.
 */
uint64_t engine_run(struct engine *e, uint64_t until);
void engine_stop(struct engine *e);

static inline uint64_t
engine_now(const struct engine *e)
{
	return e->now;
}

static inline size_t
engine_pending(const struct engine *e)
{
	return e->n;
}

#endif
