/*
 * sim/fault on the TAP forwarder (issue 9): the same rules as in virtual
 * time, decided per frame and receiver by fault_decide on the harness's own
 * classification (sim/observe), carried out on real frames. Time is real:
 * rule windows count from tap_fault_init. Drop, duplicate, corrupt,
 * truncate and partition act as in virtual time; a reorder hold is
 * released by the later frames it waits for, or by the first frame after
 * its max_hold passed (no timer of its own); a delay has no real-time
 * queue yet: the frame goes out at once and `delays_unapplied` counts it.
 */
#ifndef RMCPSEC_SIM_TAP_FAULT_H
#define RMCPSEC_SIM_TAP_FAULT_H

#include "sim/fault.h"
#include "sim/observe.h"
#include "sim/scenario.h"
#include "sim/tap.h"

struct tap_held {
	uint8_t buf[TAP_FRAME_MAX];
	uint16_t len;
	uint32_t to;
};

struct tap_fault {
	struct fault_engine fe;
	const struct scenario *sc;
	struct obs_log *obs; /* the caller's: every frame is classified into it */
	struct tap_fwd *fwd;
	uint8_t *roles;
	struct tap_held *held; /* FAULT_MAX_HOLDS */
	uint64_t t0;
	uint64_t delays_unapplied;
	int error; /* first obs_log_frame failure */
};

/*
 * Builds the fault engine from sc->faults (port i is node i) and hooks
 * itself into fwd as its capture (classification) and fate. sc, obs and
 * fwd must outlive tf. Returns 0 or RMC_ENOMEM.
 */
int tap_fault_init(struct tap_fault *tf, const struct scenario *sc, uint64_t seed,
		   struct obs_log *obs, struct tap_fwd *fwd);
void tap_fault_fini(struct tap_fault *tf);

#endif
