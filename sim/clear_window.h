/*
 * When clear management was permitted during a run (docs/users/verify.md): after
 * every node step the run asks whether some client and the server serving
 * it share no security context (Fig. 6 rows 6, 8, 9), and records the
 * intervals in which that held. The trace verifier then finds clear RMCP
 * outside every such window.
 */
#ifndef RMCPSEC_SIM_CLEAR_WINDOW_H
#define RMCPSEC_SIM_CLEAR_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/trace_check.h"

struct clear_track {
	struct clear_windows w;
	bool open;
	uint64_t since;
};

struct run;

/* After a node step: opens or closes the current window (only when the scenario is secured). */
void clear_track_step(struct run *r);
/* At the end: closes an open window for good. */
void clear_track_end(struct run *r);
void clear_track_fini(struct clear_track *ct);

#endif
