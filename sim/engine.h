/*
 * The virtual-time event engine. Time is 64-bit nanoseconds and moves only
 * when an event is popped. Events are ordered by (time, insertion sequence),
 * so equal times always break the same way (ns-3's EventKey idea) and a
 * run is a pure function of its inputs and seed.
 *
 * The queue is a hierarchical timing wheel with exact nanosecond keys (a
 * radix queue on 8-bit digits): 8 levels of 256 FIFO lists. An event
 * whose time first differs from now in digit L waits in level L, slot
 * digit L of its time. Level 0 lists hold one exact time each, so popping
 * is taking the head of the first non-empty level-0 list. When level 0 is
 * empty, the first non-empty list of the lowest non-empty level is
 * redistributed ("cascaded") into lower levels relative to its earliest
 * time. Events with equal times always share one list, and appends and
 * cascades keep list order, so ties leave in insertion order without any
 * sequence number being stored. Every operation is O(1) amortized: an
 * event moves down at most 7 times, and in practice once or twice.
 *
 * Events live in a pool that grows by doubling, linked by index: once the
 * pool has reached the run's high-water mark scheduling allocates nothing.
 * Cancelling is left to the owner of the event (nodes keep a generation
 * per timer and ignore stale ones), which keeps the queue free of
 * tombstones and back-pointers.
 */
#ifndef RMCPSEC_SIM_ENGINE_H
#define RMCPSEC_SIM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

typedef void (*engine_fn)(void *ctx, uint64_t arg);

enum { ENGINE_LEVELS = 8, ENGINE_SLOTS = 256 };

struct engine_ev {
	uint64_t t;
	engine_fn fn;
	void *ctx;
	uint64_t arg;
	uint32_t next; /* in its list, or in the free list */
};

/* One wheel level. A list is empty exactly when its bit is clear; head
 * and tail of an empty list are stale and never read. */
struct engine_level {
	uint64_t bits[ENGINE_SLOTS / 64];
	uint32_t head[ENGINE_SLOTS];
	uint32_t tail[ENGINE_SLOTS];
};

struct engine {
	struct engine_ev *ev; /* pool of cap events */
	struct engine_level *level;
	uint32_t free_head;  /* free list through ev[].next; valid while n < cap */
	unsigned level_mask; /* bit L: level L holds an event */
	size_t n;
	size_t cap;
	uint64_t now;
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

/*
 * For a run driven by a real clock (sim/run_tap): the time of the earliest
 * pending event in *t, 0; RMC_ENOENT when nothing is pending.
 */
int engine_next(const struct engine *e, uint64_t *t);
/*
 * Moves the clock forward to t when no event is due by then (after
 * engine_run(e, t)), so what happens outside the queue (a frame read from
 * a socket) is stamped with the real time. A radix queue stays valid when
 * its clock moves to any time not past its minimum. Returns 0, or
 * RMC_EINVAL (and leaves the clock) if t is earlier than now or an event
 * is due by t.
 */
int engine_advance(struct engine *e, uint64_t t);

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
