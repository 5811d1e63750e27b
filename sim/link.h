/*
 * The faulty links of the LAN: sim/fault decides, this carries it out on
 * the switch -> receiver links of sim/lan. Frames are classified by the
 * harness's own observation log (the capture point, so the trace shows
 * what the sender put on the wire and faults act after it), copied,
 * mangled and re-sent through lan_egress; frames held back for reordering
 * wait in a fixed pool. Nothing here allocates per frame.
 */
#ifndef RMCPSEC_SIM_LINK_H
#define RMCPSEC_SIM_LINK_H

#include <stdio.h>

#include "sim/engine.h"
#include "sim/fault.h"
#include "sim/lan.h"
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
	struct lan *lan;
	struct engine *eng;
	const struct obs_log *obs;
	uint8_t *roles;
	struct link_held *held; /* FAULT_MAX_HOLDS, indexed by hold id */
	uint8_t scratch[LAN_SLOT_BYTES];
	int error; /* first lan_egress / engine failure */
	link_node_fault_fn node_fn;
	void *node_ctx;
};

/*
 * Builds the fault engine from sc->faults (seeded from seed) and, when a
 * rule acts on links, puts itself between lan's switch and its ports.
 * obs must be the log the run's capture callback fills. 0 or RMC_ENOMEM.
 */
int link_init(struct link *l, const struct scenario *sc, uint64_t seed, struct lan *lan,
	      struct engine *eng, const struct obs_log *obs);
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
 * `"faults": [...]`, one object per fault applied, and `"fault_rules": [...]`,
 * how often each rule matched and acted (docs/faults.md); no trailing newline.
 */
void link_write_faults_json(FILE *f, const struct link *l, const struct scenario *sc);

#endif
