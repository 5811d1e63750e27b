/*
 * Self-rescheduling timer benchmark for sim/engine: P timers are
 * pending; each, when it fires, reschedules itself at now + a uniform
 * 1-100 us drawn from sim/rng. After a fixed number of dispatches the run
 * stops and events per second of wall-clock time are printed, one line
 * per pending count (10,000 and 1 unless PENDING is given), in the format
 * bench/engine/run.sh parses:
 *
 *   rmcpsec pending=P events=N seconds=S cpu_seconds=C events_per_s=R
 *
 * events_per_s uses the wall clock (CLOCK_MONOTONIC); the process CPU time
 * is printed beside it because the machine may be shared.
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
seconds_now(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
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
	double t0 = seconds_now(CLOCK_MONOTONIC), c0 = seconds_now(CLOCK_PROCESS_CPUTIME_ID);
	uint64_t ran = engine_run(&b.e, UINT64_MAX);
	double dt = seconds_now(CLOCK_MONOTONIC) - t0;
	double cpu = seconds_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	if (ran != events)
		goto fail;
	printf("rmcpsec pending=%zu events=%" PRIu64
	       " seconds=%.3f cpu_seconds=%.3f events_per_s=%.0f\n",
	       pending, ran, dt, cpu, ran / dt);
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
	size_t pendings[] = {10000, 1}, n_pendings = 2;
	if (argc > 2) {
		pendings[0] = strtoull(argv[2], NULL, 10);
		n_pendings = 1;
	}
	if (events == 0 || pendings[0] == 0 || argc > 3) {
		fprintf(stderr, "usage: %s [EVENTS [PENDING]]\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < n_pendings; i++) {
		if (run_one(pendings[i], events) != 0) {
			fprintf(stderr, "bench_engine: run with %zu pending failed\n", pendings[i]);
			return 1;
		}
	}
	return 0;
}
