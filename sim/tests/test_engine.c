/*
 * sim/engine: order by (time, insertion sequence), run(until) and stop
 * semantics, clamping, growth, and a randomized comparison against a
 * sorted-array reference queue.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "sim/engine.h"
#include "sim/rng.h"

/* What every test callback writes: the id it was given and the clock it saw. */
struct trace {
	struct engine *e;
	size_t n, cap;
	uint64_t *id;
	uint64_t *at;
	uint64_t stop_on; /* id whose dispatch calls engine_stop, or UINT64_MAX */
};

static void
trace_init(struct trace *tr, struct engine *e, size_t cap)
{
	*tr = (struct trace){.e = e, .cap = cap, .stop_on = UINT64_MAX};
	tr->id = calloc(cap, sizeof(*tr->id));
	tr->at = calloc(cap, sizeof(*tr->at));
	cr_assert(tr->id && tr->at);
}

static void
trace_fini(struct trace *tr)
{
	free(tr->id);
	free(tr->at);
}

static void
record(void *ctx, uint64_t arg)
{
	struct trace *tr = ctx;
	cr_assert_lt(tr->n, tr->cap, "more dispatches than expected");
	tr->id[tr->n] = arg;
	tr->at[tr->n] = engine_now(tr->e);
	tr->n++;
	if (arg == tr->stop_on)
		engine_stop(tr->e);
}

Test(engine, init_fini)
{
	struct engine e;
	cr_assert_eq(engine_init(&e, 0), 0);
	cr_expect_geq(e.cap, 1);
	cr_expect_eq(engine_now(&e), 0);
	cr_expect_eq(engine_pending(&e), 0);
	cr_expect_eq(engine_run(&e, UINT64_MAX), 0, "empty queue runs nothing");
	engine_fini(&e);
	engine_fini(&e); /* idempotent after the first */
	engine_fini(NULL);
}

Test(engine, orders_by_time)
{
	static const uint64_t t[] = {50, 10, 30, 20, 40, 5, 45};
	static const uint64_t want[] = {5, 1, 3, 2, 4, 6, 0}; /* ids by time */
	enum { N = sizeof(t) / sizeof(t[0]) };
	struct engine e;
	struct trace tr;
	cr_assert_eq(engine_init(&e, 16), 0);
	trace_init(&tr, &e, N);
	for (uint64_t i = 0; i < N; i++)
		cr_assert_eq(engine_at(&e, t[i], record, &tr, i), 0);
	cr_expect_eq(engine_pending(&e), N);
	cr_expect_eq(engine_run(&e, UINT64_MAX), N);
	cr_assert_eq(tr.n, N);
	for (size_t i = 0; i < N; i++) {
		cr_expect_eq(tr.id[i], want[i], "position %zu", i);
		cr_expect_eq(tr.at[i], t[want[i]], "clock at position %zu", i);
	}
	cr_expect_eq(engine_now(&e), 50);
	cr_expect_eq(engine_pending(&e), 0);
	cr_expect_eq(e.dispatched, N);
	trace_fini(&tr);
	engine_fini(&e);
}

/*
 * 3,000 events over three times, inserted round-robin from the minimum
 * capacity so the event pool doubles several times while ties accumulate. Each
 * time's events must come out in insertion order.
 */
Test(engine, equal_times_fifo_through_growth)
{
	enum { N = 3000 };
	struct engine e;
	struct trace tr;
	cr_assert_eq(engine_init(&e, 1), 0);
	trace_init(&tr, &e, N);
	for (uint64_t i = 0; i < N; i++)
		cr_assert_eq(engine_at(&e, 1000 - (i % 3) * 100, record, &tr, i), 0);
	cr_expect_gt(e.cap, 16, "the pool should have grown");
	cr_expect_eq(engine_run(&e, UINT64_MAX), N);
	for (size_t k = 0; k < N; k++) {
		/* time 800 holds ids 2,5,8,...; 900 holds 1,4,...; 1000 holds 0,3,... */
		size_t group = k / (N / 3), rank = k % (N / 3);
		uint64_t want = 3 * rank + (2 - group);
		cr_assert_eq(tr.id[k], want, "position %zu", k);
		cr_assert_eq(tr.at[k], 800 + 100 * group);
	}
	trace_fini(&tr);
	engine_fini(&e);
}

/* A callback that, for its first `spawn` dispatches, schedules one more
 * event at the current time; the new ids continue the insertion order. */
struct spawner {
	struct trace tr;
	uint64_t next_id;
	uint64_t spawn;
};

static void
spawn_at_now(void *ctx, uint64_t arg)
{
	struct spawner *s = ctx;
	record(&s->tr, arg);
	if (s->spawn > 0) {
		s->spawn--;
		cr_assert_eq(engine_after(s->tr.e, 0, spawn_at_now, s, s->next_id++), 0);
	}
}

/*
 * Ties scheduled from inside dispatches, between partial runs and after
 * the pool has grown still queue behind every earlier tie: ids (which are
 * handed out in insertion order) come out strictly increasing.
 */
Test(engine, equal_times_fifo_with_interleaved_pops)
{
	enum { FIRST = 40, SPAWN = 500, LATE = 100, N = FIRST + SPAWN + LATE };
	struct engine e;
	struct spawner s = {.spawn = SPAWN};
	cr_assert_eq(engine_init(&e, 16), 0);
	trace_init(&s.tr, &e, N);
	for (; s.next_id < FIRST; s.next_id++)
		cr_assert_eq(engine_at(&e, 7, spawn_at_now, &s, s.next_id), 0);
	/* Pop some, then add more ties from outside, then finish. */
	s.tr.stop_on = 100;
	engine_run(&e, 7);
	cr_expect_eq(engine_now(&e), 7);
	cr_expect_gt(engine_pending(&e), 0);
	for (int i = 0; i < LATE; i++, s.next_id++)
		cr_assert_eq(engine_at(&e, 7, spawn_at_now, &s, s.next_id), 0);
	engine_run(&e, 7);
	cr_assert_eq(s.tr.n, N);
	for (size_t k = 0; k < N; k++) {
		cr_assert_eq(s.tr.at[k], 7);
		if (k > 0)
			cr_assert_lt(s.tr.id[k - 1], s.tr.id[k], "FIFO broken at %zu", k);
	}
	trace_fini(&s.tr);
	engine_fini(&e);
}

/*
 * Times on both sides of every 8-bit digit boundary of the wheel, with a
 * tie at each, scheduled in a scrambled order from a clock that is not
 * aligned: each must wait in a higher level and be cascaded down exactly.
 */
Test(engine, orders_across_digit_boundaries)
{
	enum { BASE = 77, PER_DIGIT = 4, N = 8 * PER_DIGIT * 2 };
	uint64_t t[N / 2];
	size_t k = 0;
	for (unsigned d = 1; d <= 8; d++) {
		uint64_t edge = d == 8 ? UINT64_MAX : 1ULL << (8 * d);
		t[k++] = edge - 1;
		t[k++] = edge == UINT64_MAX ? UINT64_MAX - 2 : edge;
		t[k++] = edge == UINT64_MAX ? UINT64_MAX - 3 : edge + 1;
		t[k++] = (edge >> 1) + BASE;
	}
	struct engine e;
	struct trace tr;
	cr_assert_eq(engine_init(&e, 16), 0);
	trace_init(&tr, &e, N + 1);
	cr_assert_eq(engine_at(&e, BASE, record, &tr, UINT64_MAX - 1), 0);
	cr_assert_eq(engine_run(&e, BASE), 1, "start the clock off alignment");
	tr.n = 0;
	/* Ids 0..N/2-1 in a scrambled order (stride 7 is coprime with 32),
	 * then the same times again as ties with ids N/2..N-1. */
	for (size_t i = 0; i < N / 2; i++) {
		size_t j = (i * 7) % (N / 2);
		cr_assert_eq(engine_at(&e, t[j], record, &tr, j), 0);
	}
	for (size_t j = 0; j < N / 2; j++)
		cr_assert_eq(engine_at(&e, t[j], record, &tr, N / 2 + j), 0);
	cr_expect_eq(engine_run(&e, UINT64_MAX), N);
	cr_assert_eq(tr.n, N);
	for (size_t i = 0; i < N; i++) {
		uint64_t id = tr.id[i];
		cr_assert_eq(tr.at[i], t[id % (N / 2)], "position %zu", i);
		if (i == 0)
			continue;
		uint64_t prev = tr.id[i - 1];
		cr_assert_leq(tr.at[i - 1], tr.at[i], "clock went back at %zu", i);
		if (tr.at[i - 1] == tr.at[i])
			cr_assert(prev < N / 2 && id == prev + N / 2, "tie at %zu out of order", i);
	}
	trace_fini(&tr);
	engine_fini(&e);
}

Test(engine, run_until_stops_and_resumes)
{
	struct engine e;
	struct trace tr;
	cr_assert_eq(engine_init(&e, 16), 0);
	trace_init(&tr, &e, 8);
	for (uint64_t i = 1; i <= 4; i++)
		cr_assert_eq(engine_at(&e, i * 10, record, &tr, i), 0);

	cr_expect_eq(engine_run(&e, 25), 2);
	cr_expect_eq(engine_now(&e), 20, "clock stays at the last event, not at until");
	cr_expect_eq(engine_pending(&e), 2);
	cr_expect_eq(engine_run(&e, 25), 0, "nothing new is due");
	cr_expect_eq(engine_run(&e, 30), 1, "until is inclusive");
	cr_expect_eq(engine_now(&e), 30);
	cr_expect_eq(engine_run(&e, 0), 0, "an until in the past runs nothing");
	cr_expect_eq(engine_now(&e), 30, "and does not move the clock");
	cr_expect_eq(engine_run(&e, UINT64_MAX), 1);
	cr_expect_eq(engine_now(&e), 40);
	cr_assert_eq(tr.n, 4);
	for (size_t i = 0; i < 4; i++)
		cr_expect_eq(tr.id[i], i + 1);
	cr_expect_eq(e.dispatched, 4);
	trace_fini(&tr);
	engine_fini(&e);
}

Test(engine, stop_ends_run_after_current_event)
{
	struct engine e;
	struct trace tr;
	cr_assert_eq(engine_init(&e, 16), 0);
	trace_init(&tr, &e, 8);
	for (uint64_t i = 0; i < 6; i++)
		cr_assert_eq(engine_at(&e, 100 + i, record, &tr, i), 0);
	tr.stop_on = 2;
	cr_expect_eq(engine_run(&e, UINT64_MAX), 3, "ids 0, 1, 2 then stop");
	cr_expect_eq(engine_now(&e), 102);
	cr_expect_eq(engine_pending(&e), 3);
	tr.stop_on = UINT64_MAX;
	cr_expect_eq(engine_run(&e, UINT64_MAX), 3, "a new run clears the stop");
	cr_assert_eq(tr.n, 6);
	for (size_t i = 0; i < 6; i++)
		cr_expect_eq(tr.id[i], i);
	trace_fini(&tr);
	engine_fini(&e);
}

Test(engine, stop_before_run_is_cleared)
{
	struct engine e;
	struct trace tr;
	cr_assert_eq(engine_init(&e, 16), 0);
	trace_init(&tr, &e, 2);
	cr_assert_eq(engine_at(&e, 1, record, &tr, 0), 0);
	engine_stop(&e);
	cr_expect_eq(engine_run(&e, UINT64_MAX), 1);
	trace_fini(&tr);
	engine_fini(&e);
}

Test(engine, past_times_clamp_to_now)
{
	struct engine e;
	struct trace tr;
	cr_assert_eq(engine_init(&e, 16), 0);
	trace_init(&tr, &e, 8);
	cr_assert_eq(engine_at(&e, 100, record, &tr, 0), 0);
	cr_assert_eq(engine_at(&e, 100, record, &tr, 1), 0);
	cr_expect_eq(engine_run(&e, 100), 2);
	cr_assert_eq(engine_at(&e, 150, record, &tr, 2), 0);
	cr_assert_eq(engine_at(&e, 100, record, &tr, 3), 0); /* a tie with now */
	cr_assert_eq(engine_at(&e, 50, record, &tr, 4), 0);  /* in the past */
	cr_assert_eq(engine_at(&e, 0, record, &tr, 5), 0);
	cr_expect_eq(engine_run(&e, 100), 3, "past events become due now");
	cr_expect_eq(engine_run(&e, UINT64_MAX), 1);
	static const uint64_t want_id[] = {0, 1, 3, 4, 5, 2};
	static const uint64_t want_at[] = {100, 100, 100, 100, 100, 150};
	cr_assert_eq(tr.n, 6);
	for (size_t i = 0; i < 6; i++) {
		cr_expect_eq(tr.id[i], want_id[i], "position %zu", i);
		cr_expect_eq(tr.at[i], want_at[i], "position %zu", i);
	}
	trace_fini(&tr);
	engine_fini(&e);
}

Test(engine, after_saturates_instead_of_wrapping)
{
	struct engine e;
	struct trace tr;
	cr_assert_eq(engine_init(&e, 16), 0);
	trace_init(&tr, &e, 4);
	cr_assert_eq(engine_at(&e, 1000, record, &tr, 0), 0);
	engine_run(&e, UINT64_MAX);
	cr_assert_eq(engine_after(&e, UINT64_MAX - 10, record, &tr, 1), 0);
	cr_assert_eq(engine_after(&e, 5, record, &tr, 2), 0);
	cr_expect_eq(engine_run(&e, UINT64_MAX - 1), 1, "the wrapped delay must not fire early");
	cr_expect_eq(tr.id[1], 2);
	cr_expect_eq(engine_now(&e), 1005);
	cr_expect_eq(engine_run(&e, UINT64_MAX), 1);
	cr_expect_eq(engine_now(&e), UINT64_MAX);
	trace_fini(&tr);
	engine_fini(&e);
}

Test(engine, grows_beyond_initial_capacity)
{
	enum { N = 100000 };
	struct engine e;
	struct trace tr;
	struct rng r;
	cr_assert_eq(engine_init(&e, 16), 0);
	trace_init(&tr, &e, N);
	rng_seed(&r, 1);
	for (uint64_t i = 0; i < N; i++)
		cr_assert_eq(engine_at(&e, rng_below(&r, 1000000), record, &tr, i), 0);
	cr_expect_geq(e.cap, N);
	cr_expect_eq(engine_pending(&e), N);
	cr_expect_eq(engine_run(&e, UINT64_MAX), N);
	for (size_t k = 1; k < N; k++) {
		cr_assert_leq(tr.at[k - 1], tr.at[k], "clock went backwards at %zu", k);
		if (tr.at[k - 1] == tr.at[k])
			cr_assert_lt(tr.id[k - 1], tr.id[k], "tie out of order at %zu", k);
	}
	trace_fini(&tr);
	engine_fini(&e);
}

/*
 * Randomized comparison with a reference queue: an array kept sorted by
 * (time, insertion number) with insertion sort, popped from the front.
 * Runs stop at random untils; some dispatches schedule a child, so the
 * queue is modified while it is being drained, exactly as nodes do.
 */
struct ref_ev {
	uint64_t t, id;
};

struct model {
	struct engine e;
	struct trace tr;
	struct ref_ev *ref;
	size_t ref_n, ref_cap;
	uint64_t next_id;
	uint64_t *ref_id, *ref_at;
	size_t ref_out;
};

/* The child rule both sides apply on dispatch: pure function of the id. */
static int
child_delay(uint64_t id, uint64_t *delay)
{
	if (id % 5 != 0)
		return 0;
	*delay = (id * 2654435761u) % 4; /* 0..3: ties with now are common */
	return 1;
}

static void
ref_push(struct model *m, uint64_t t, uint64_t id)
{
	cr_assert_lt(m->ref_n, m->ref_cap);
	size_t i = m->ref_n++;
	/* Ids grow with insertion, so a later tie goes after every earlier one. */
	while (i > 0 && m->ref[i - 1].t > t) {
		m->ref[i] = m->ref[i - 1];
		i--;
	}
	m->ref[i] = (struct ref_ev){t, id};
}

static void model_dispatch(void *ctx, uint64_t arg);

static void
model_schedule(struct model *m, uint64_t t)
{
	uint64_t id = m->next_id++;
	uint64_t now = engine_now(&m->e);
	cr_assert_eq(engine_at(&m->e, t, model_dispatch, m, id), 0);
	ref_push(m, t < now ? now : t, id);
}

static void
model_dispatch(void *ctx, uint64_t arg)
{
	struct model *m = ctx;
	record(&m->tr, arg);
	uint64_t delay;
	/* Engine side only: ref_run applies the same rule to the reference. */
	if (child_delay(arg, &delay))
		cr_assert_eq(engine_after(&m->e, delay, model_dispatch, m, m->next_id++), 0);
}

/* Reference run: pop while due, applying the same child rule. */
static uint64_t
ref_run(struct model *m, uint64_t until, uint64_t *now)
{
	uint64_t count = 0;
	while (m->ref_n > 0 && m->ref[0].t <= until) {
		struct ref_ev ev = m->ref[0];
		memmove(m->ref, m->ref + 1, --m->ref_n * sizeof(*m->ref));
		*now = ev.t;
		m->ref_id[m->ref_out] = ev.id;
		m->ref_at[m->ref_out] = ev.t;
		m->ref_out++;
		count++;
		uint64_t delay;
		if (child_delay(ev.id, &delay))
			ref_push(m, ev.t + delay, m->next_id++);
	}
	return count;
}

/* How far ahead of now a random time lands: NARROW keeps everything within
 * a few slots of level 0 so ties are frequent; WIDE draws log-uniform
 * offsets up to 2^63 so events wait in every level and are cascaded, and
 * adds ties at a few far-off times that meet only after several cascades. */
enum spread { NARROW, WIDE };

static uint64_t
random_offset(struct rng *r, enum spread spread, uint64_t narrow)
{
	if (spread == NARROW)
		return rng_below(r, narrow);
	static const uint64_t far_ties[] = {1000, 65536, 1ULL << 24, 123456789, 1ULL << 40};
	if (rng_below(r, 6) == 0)
		return far_ties[rng_below(r, 5)];
	return rng_below(r, 1ULL << rng_below(r, 64));
}

static void
check_against_reference(uint64_t seed, enum spread spread)
{
	enum { ROUNDS = 400, MAX_EVENTS = 40000 };
	struct model m = {.ref_cap = MAX_EVENTS};
	struct rng r;
	rng_seed(&r, seed);
	cr_assert_eq(engine_init(&m.e, 16), 0);
	trace_init(&m.tr, &m.e, MAX_EVENTS);
	m.ref = calloc(MAX_EVENTS, sizeof(*m.ref));
	m.ref_id = calloc(MAX_EVENTS, sizeof(*m.ref_id));
	m.ref_at = calloc(MAX_EVENTS, sizeof(*m.ref_at));
	cr_assert(m.ref && m.ref_id && m.ref_at);

	uint64_t ref_now = 0;
	for (int round = 0; round < ROUNDS; round++) {
		uint64_t now = engine_now(&m.e);
		unsigned adds = (unsigned)rng_below(&r, 60);
		for (unsigned i = 0; i < adds; i++) {
			/* Some in the past (clamped), the rest ahead. */
			uint64_t t = now + random_offset(&r, spread, 40);
			if (rng_below(&r, 8) == 0)
				t = now > 5 ? now - 5 : 0;
			model_schedule(&m, t);
		}
		uint64_t until = now + random_offset(&r, spread, 30);
		uint64_t id_before = m.next_id;
		uint64_t got = engine_run(&m.e, until);
		/* The reference must see the same ids for children: rewind. */
		uint64_t id_after = m.next_id;
		m.next_id = id_before;
		uint64_t want = ref_run(&m, until, &ref_now);
		cr_assert_eq(m.next_id, id_after, "round %d: child ids diverged", round);
		cr_assert_eq(got, want, "round %d: ran %lu, reference %lu", round,
			     (unsigned long)got, (unsigned long)want);
		cr_assert_eq(engine_now(&m.e), ref_now, "round %d", round);
		cr_assert_eq(engine_pending(&m.e), m.ref_n, "round %d", round);
	}
	uint64_t id_before = m.next_id;
	uint64_t got = engine_run(&m.e, UINT64_MAX);
	uint64_t id_after = m.next_id;
	m.next_id = id_before;
	cr_assert_eq(got, ref_run(&m, UINT64_MAX, &ref_now));
	cr_assert_eq(m.next_id, id_after);
	cr_assert_eq(m.tr.n, m.ref_out);
	cr_expect_gt(m.tr.n, 5000, "the test should exercise a real load");
	for (size_t k = 0; k < m.tr.n; k++) {
		cr_assert_eq(m.tr.id[k], m.ref_id[k], "dispatch %zu", k);
		cr_assert_eq(m.tr.at[k], m.ref_at[k], "dispatch %zu", k);
	}
	free(m.ref);
	free(m.ref_id);
	free(m.ref_at);
	trace_fini(&m.tr);
	engine_fini(&m.e);
}

Test(engine, matches_reference_with_frequent_ties)
{
	check_against_reference(20261129, NARROW);
}

Test(engine, matches_reference_across_all_levels)
{
	check_against_reference(7, WIDE);
	check_against_reference(8, WIDE);
}

/*
 * A real-time run (sim/run_tap) runs the queue up to "now", moves the clock
 * there and schedules from it. Events at random times across every level,
 * with the clock advanced to random points between them, must still come
 * out in time order at their own times, and next must name the earliest.
 */
Test(engine, advance_keeps_order_across_levels)
{
	enum { N = 4000 };
	struct engine e;
	struct trace tr;
	struct rng rng;
	cr_assert_eq(engine_init(&e, 16), 0);
	trace_init(&tr, &e, N);
	rng_seed(&rng, 99);
	uint64_t min = UINT64_MAX;
	static uint64_t want[N];
	for (uint64_t i = 0; i < N; i++) {
		uint64_t t = want[i] = rng_next(&rng) >> (rng_next(&rng) % 60);
		cr_assert_eq(engine_at(&e, t, record, &tr, i), 0);
		min = t < min ? t : min;
	}
	uint64_t next;
	cr_assert_eq(engine_next(&e, &next), 0);
	cr_assert_eq(next, min);
	cr_assert_eq(engine_advance(&e, next), RMC_EINVAL, "an event is due: no advance");
	while (engine_pending(&e) > 0) {
		cr_assert_eq(engine_next(&e, &next), 0);
		uint64_t until = next + rng_below(&rng, 1u << 20);
		engine_run(&e, until);
		if (engine_next(&e, &next) == 0 && next > until)
			cr_assert_eq(engine_advance(&e, until), 0);
		else if (engine_pending(&e) == 0)
			cr_assert_eq(engine_advance(&e, until), 0);
		cr_assert_eq(engine_now(&e), until);
	}
	cr_assert_eq(tr.n, N);
	for (size_t i = 1; i < N; i++)
		cr_assert_leq(tr.at[i - 1], tr.at[i], "dispatch %zu ran before %zu", i, i - 1);
	for (size_t i = 0; i < N; i++)
		cr_assert_eq(tr.at[i], want[tr.id[i]], "event %llu ran at the wrong time",
			     (unsigned long long)tr.id[i]);
	cr_assert_eq(engine_next(&e, &next), RMC_ENOENT);
	cr_assert_eq(engine_advance(&e, engine_now(&e) - 1), RMC_EINVAL, "no going back");
	trace_fini(&tr);
	engine_fini(&e);
}
