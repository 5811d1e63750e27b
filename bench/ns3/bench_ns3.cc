// The bench/engine workload on ns-3.37 (issue 2): P self-rescheduling
// timers, each firing reschedules itself at now + a uniform 1-100 us, for
// a fixed number of dispatches; printed as events per second of wall-clock
// time, one line per (scheduler, pending):
//
//   ns3-map pending=P events=N seconds=S events_per_s=R
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

namespace {

const uint64_t kDefaultEvents = 20000000;
const uint64_t kSeed = 1;

struct rng g_rng;
uint64_t g_left;

int64_t RandomDelayNs() { return (int64_t)(rng_below(&g_rng, 100) + 1) * 1000; }

void Fire(uint64_t id)
{
    if (--g_left == 0) {
        Simulator::Stop();
        return;
    }
    Simulator::Schedule(NanoSeconds(RandomDelayNs()), &Fire, id);
}

double SecondsNow()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void RunOne(const char *label, const char *scheduler, size_t pending, uint64_t events)
{
    ObjectFactory factory;
    factory.SetTypeId(scheduler);
    Simulator::SetScheduler(factory);
    rng_seed(&g_rng, kSeed);
    g_left = events;
    for (size_t i = 0; i < pending; i++)
        Simulator::Schedule(NanoSeconds(RandomDelayNs()), &Fire, (uint64_t)i);
    double t0 = SecondsNow();
    Simulator::Run();
    double dt = SecondsNow() - t0;
    uint64_t ran = events - g_left;
    std::printf("%s pending=%zu events=%" PRIu64 " seconds=%.3f events_per_s=%.0f\n", label,
                pending, ran, dt, ran / dt);
    std::fflush(stdout);
    Simulator::Destroy();
}

} // namespace

int main(int argc, char **argv)
{
    uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : kDefaultEvents;
    if (events == 0) {
        std::fprintf(stderr, "usage: %s [EVENTS]\n", argv[0]);
        return 2;
    }
    const size_t pendings[] = {10000, 1};
    for (size_t p : pendings) {
        RunOne("ns3-map", "ns3::MapScheduler", p, events);
        RunOne("ns3-pq", "ns3::PriorityQueueScheduler", p, events);
    }
    return 0;
}
