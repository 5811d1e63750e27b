/*
 * The virtual-time event engine. Time is 64-bit nanoseconds and moves only
 * when an event is popped. Events are ordered by (time, insertion sequence),
 * so equal times always break the same way (ns-3's EventKey idea) and a
 * run is a pure function of its inputs and seed.
 *
 * The queue is an implicit 4-ary min-heap in one array that grows by
 * doubling: scheduling an event allocates nothing once the array has
 * reached the run's high-water mark. Cancelling is left to the owner of
 * the event (nodes keep a generation per timer and ignore stale ones),
 * which keeps the heap free of tombstones and back-pointers.
 */
#ifndef RMCPSEC_SIM_ENGINE_H
#define RMCPSEC_SIM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

typedef void (*engine_fn)(void *ctx, uint64_t arg);

struct engine_ev {
	uint64_t t;
	uint64_t seq;
	engine_fn fn;
	void *ctx;
	uint64_t arg;
};

struct engine {
	struct engine_ev *heap;
	size_t n;
	size_t cap;
	uint64_t now;
	uint64_t next_seq;
	uint64_t dispatched;
	int stopped;
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
