/*
 * Self-rescheduling timer benchmark for sim/engine (issue 2): P timers are
 * pending; each, when it fires, reschedules itself at now + a uniform
 * 1-100 us drawn from sim/rng. After a fixed number of dispatches the run
 * stops and events per second of wall-clock time are printed, one line
 * per pending count, in the format bench/engine/run.sh parses:
 *
 *   rmcpsec pending=P events=N seconds=S events_per_s=R
 *
 * bench/ns3/bench_ns3.cc runs the same workload (same rng, same seed) on
 * ns-3. The wall clock is read only here, around engine_run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/engine.h"
#include "sim/rng.h"

enum { DEFAULT_EVENTS = 20000000, SEED = 1 };

struct timer_bench {
	struct engine e;
	struct rng r;
	uint64_t left;
};

static uint64_t
random_delay(struct rng *r)
{
	return (rng_below(r, 100) + 1) * NS_PER_US;
}

static void
fire(void *ctx, uint64_t arg)
{
	struct timer_bench *b = ctx;
	if (--b->left == 0) {
		engine_stop(&b->e);
		return;
	}
	if (engine_after(&b->e, random_delay(&b->r), fire, b, arg) != 0)
		abort(); /* cannot happen: the queue never grows past P */
}

static double
seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
run_one(size_t pending, uint64_t events)
{
	struct timer_bench b = {.left = events};
	if (engine_init(&b.e, pending) != 0)
		return -1;
	rng_seed(&b.r, SEED);
	for (size_t i = 0; i < pending; i++)
		if (engine_after(&b.e, random_delay(&b.r), fire, &b, i) != 0)
			goto fail;
	double t0 = seconds_now();
	uint64_t ran = engine_run(&b.e, UINT64_MAX);
	double dt = seconds_now() - t0;
	if (ran != events)
		goto fail;
	printf("rmcpsec pending=%zu events=%" PRIu64 " seconds=%.3f events_per_s=%.0f\n", pending,
	       ran, dt, ran / dt);
	fflush(stdout);
	engine_fini(&b.e);
	return 0;
fail:
	engine_fini(&b.e);
	return -1;
}

int
main(int argc, char **argv)
{
	uint64_t events = argc > 1 ? strtoull(argv[1], NULL, 10) : DEFAULT_EVENTS;
	static const size_t pendings[] = {10000, 1};
	if (events == 0) {
		fprintf(stderr, "usage: %s [EVENTS]\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(pendings) / sizeof(pendings[0]); i++) {
		if (run_one(pendings[i], events) != 0) {
			fprintf(stderr, "bench_engine: run with %zu pending failed\n", pendings[i]);
			return 1;
		}
	}
	return 0;
}
