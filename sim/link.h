/*
 * The fault applier, one for every backend: sim/fault decides each frame's
 * fate on a switch -> receiver link, this carries it out. Frames are
 * classified by the harness's own observation log (the capture point, so
 * the trace shows what the sender put on the wire and faults act after
 * it), copied, mangled and put back through the backend's egress (sim/net.h),
 * delayed copies with their delay; frames held back for reordering wait in
 * a fixed pool until the frames they wait for or their deadline, an event
 * on the run's engine. Node faults due at a time are scheduled on the same
 * engine and handed to the run. Nothing here allocates per frame.
 */
#ifndef RMCPSEC_SIM_LINK_H
#define RMCPSEC_SIM_LINK_H

#include <jansson.h>

#include "sim/engine.h"
#include "sim/fault.h"
#include "sim/lan.h"
#include "sim/net.h"
#include "sim/observe.h"
#include "sim/scenario.h"

struct link_held {
	uint8_t buf[LAN_SLOT_BYTES];
	uint16_t len;
	uint32_t to;
};

/*
 * The run applies node faults: fn(ctx, now, rule, false) when one is due,
 * fn(ctx, now, rule, true) at a crash's or hang's `until` (recovery).
 */
typedef void (*link_node_fault_fn)(void *ctx, uint64_t now, const struct fault_rule *r,
				   bool recover);

struct link {
	struct fault_engine fe;
	struct net *net;
	struct engine *eng;
	const struct obs_log *obs;
	uint8_t *roles;
	struct link_held *held; /* FAULT_MAX_HOLDS, indexed by hold id */
	uint8_t scratch[LAN_SLOT_BYTES];
	int error; /* first egress / engine failure */
	link_node_fault_fn node_fn;
	void *node_ctx;
};

/*
 * Builds the fault engine from sc->faults (seeded from seed). Copies go out
 * through net's egress; obs must be the log the run's capture hook fills.
 * 0 or RMC_ENOMEM.
 */
int link_init(struct link *l, const struct scenario *sc, uint64_t seed, struct net *net,
	      struct engine *eng, const struct obs_log *obs);
/* Whether any rule acts on links: without one, a backend forwards frames untouched. */
bool link_active(const struct link *l);
/*
 * A backend's switch forwards frame number frame_no (1-based, its number in
 * the trace) from port `from` to port `to`: the applier decides and egresses
 * what survives. frame may be reused by the caller once this returns. Returns
 * true when a rule dropped it (nothing of it went out now).
 */
bool link_forward(struct link *l, uint32_t frame_no, size_t from, size_t to, const uint8_t *frame,
		  size_t len);
void link_fini(struct link *l);
/*
 * Schedules every timed node fault (fault_node_timed: crash, hang,
 * clock_jump, power_loss at a time or armed for an NVRAM byte) at its
 * `at`, and recoveries at `until`; each is logged (fault_node_fire) as it
 * is handed to fn. Commit-step power losses are the run's to ask for with
 * fault_commit_step(&l->fe, ...). Returns 0 or an engine error.
 */
int link_schedule_node_faults(struct link *l, link_node_fault_fn fn, void *ctx);
/*
 * results.json's "faults": one object per fault applied (docs/users/faults.md).
 * A new array, or NULL when out of memory.
 */
json_t *link_faults_json(const struct link *l, const struct scenario *sc);
/* results.json's "fault_rules": how often each rule matched and acted. NULL: out of memory. */
json_t *link_fault_rules_json(const struct link *l);

#endif
