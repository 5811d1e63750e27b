/*
 * sim/fault on the TAP forwarder (issue 9): the same rules as in virtual
 * time, decided per frame and receiver by fault_decide on the harness's own
 * classification (sim/observe), carried out on real frames. Time is real
 * and counts from t0. Drop, duplicate, corrupt, truncate and partition act
 * as in virtual time. A delayed copy waits in a fixed pool until its time,
 * a reorder hold until the later frames it waits for or its max_hold: the
 * caller's loop asks tap_fault_next_due when to wake and calls
 * tap_fault_release_due then. Nothing here allocates per frame.
 */
#ifndef RMCPSEC_SIM_TAP_FAULT_H
#define RMCPSEC_SIM_TAP_FAULT_H

#include "sim/fault.h"
#include "sim/observe.h"
#include "sim/scenario.h"
#include "sim/tap.h"

enum { TAP_FAULT_DELAYED = 256 }; /* copies in flight under a delay rule */

struct tap_held {
	uint8_t buf[TAP_FRAME_MAX];
	uint16_t len;
	uint32_t to;
};

struct tap_delayed {
	uint64_t due; /* 0: free */
	struct tap_held f;
};

struct tap_fault {
	struct fault_engine own;
	struct fault_engine *fe; /* &own, or the run's (shared with its node faults) */
	const struct scenario *sc;
	struct obs_log *obs; /* every frame is classified into it before its fate */
	struct tap_fwd *fwd;
	uint8_t *roles;
	struct tap_held *held;	     /* FAULT_MAX_HOLDS, indexed by hold id */
	struct tap_delayed *delayed; /* TAP_FAULT_DELAYED */
	size_t ndelayed;
	uint64_t t0;
	uint64_t delays_applied, delays_overflow; /* overflow: pool full, sent at once */
	int error;				  /* first obs_log_frame failure */
};

/*
 * Builds its own fault engine from sc->faults (port i is node i) and hooks
 * itself into fwd as its capture (classification into obs) and fate. sc,
 * obs and fwd must outlive tf. Returns 0 or RMC_ENOMEM.
 */
int tap_fault_init(struct tap_fault *tf, const struct scenario *sc, uint64_t seed,
		   struct obs_log *obs, struct tap_fwd *fwd);
/*
 * The run's form: decides with fe (the engine of the run's node faults, so
 * one log holds every fault) on the classification the caller puts into obs
 * from its own capture hook, with time counted from t0 (tap_now_ns()).
 * Hooks only the fate. Returns 0 or RMC_ENOMEM.
 */
int tap_fault_init_shared(struct tap_fault *tf, const struct scenario *sc, struct fault_engine *fe,
			  struct obs_log *obs, struct tap_fwd *fwd, uint64_t t0);
void tap_fault_fini(struct tap_fault *tf);
/* When (tap_now_ns() clock) a delayed copy or a reorder hold is due; UINT64_MAX if none. */
uint64_t tap_fault_next_due(const struct tap_fault *tf);
/* Writes every delayed copy and expired hold due by now (tap_now_ns() clock). */
void tap_fault_release_due(struct tap_fault *tf, uint64_t now);

#endif
