// The bench/engine workload on ns-3.37: P self-rescheduling
// timers, each firing reschedules itself at now + a uniform 1-100 us, for
// a fixed number of dispatches; printed as events per second of wall-clock
// time (CPU time beside it), one line per (scheduler, pending), pending
// being 10,000 and 1 unless given:
//
//   ns3-map pending=P events=N seconds=S cpu_seconds=C events_per_s=R
//   ns3-pq  ...
//
// The delays come from the same sim/rng code and seed as bench_engine, so
// both engines see the same sequence of offsets and the only difference
// is the event queue and its dispatch.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "ns3/core-module.h"

extern "C" {
#include "sim/rng.h"
}

using namespace ns3;

namespace
{

const uint64_t kDefaultEvents = 20000000;
const uint64_t kSeed = 1;

struct rng g_rng;
uint64_t g_left;

int64_t
RandomDelayNs()
{
	return (int64_t)(rng_below(&g_rng, 100) + 1) * 1000;
}

void
Fire(uint64_t id)
{
	if (--g_left == 0) {
		Simulator::Stop();
		return;
	}
	Simulator::Schedule(NanoSeconds(RandomDelayNs()), &Fire, id);
}

double
SecondsNow(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void
RunOne(const char *label, const char *scheduler, size_t pending, uint64_t events)
{
	ObjectFactory factory;
	factory.SetTypeId(scheduler);
	Simulator::SetScheduler(factory);
	rng_seed(&g_rng, kSeed);
	g_left = events;
	for (size_t i = 0; i < pending; i++)
		Simulator::Schedule(NanoSeconds(RandomDelayNs()), &Fire, (uint64_t)i);
	double t0 = SecondsNow(CLOCK_MONOTONIC), c0 = SecondsNow(CLOCK_PROCESS_CPUTIME_ID);
	Simulator::Run();
	double dt = SecondsNow(CLOCK_MONOTONIC) - t0;
	double cpu = SecondsNow(CLOCK_PROCESS_CPUTIME_ID) - c0;
	uint64_t ran = events - g_left;
	std::printf("%s pending=%zu events=%" PRIu64
		    " seconds=%.3f cpu_seconds=%.3f events_per_s=%.0f\n",
		    label, pending, ran, dt, cpu, ran / dt);
	std::fflush(stdout);
	Simulator::Destroy();
}

} // namespace

int
main(int argc, char **argv)
{
	uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : kDefaultEvents;
	size_t pendings[] = {10000, 1}, n_pendings = 2;
	if (argc > 2) {
		pendings[0] = std::strtoull(argv[2], nullptr, 10);
		n_pendings = 1;
	}
	if (events == 0 || pendings[0] == 0 || argc > 3) {
		std::fprintf(stderr, "usage: %s [EVENTS [PENDING]]\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < n_pendings; i++) {
		RunOne("ns3-map", "ns3::MapScheduler", pendings[i], events);
		RunOne("ns3-pq", "ns3::PriorityQueueScheduler", pendings[i], events);
	}
	return 0;
}
