/*
 * The harness as an adversary: the scenario's `do: inject` frames
 * (docs/users/scenarios.md, "The adversary"), crafted with the keys the run
 * knows and put on the network as if a server had sent them, at a time or
 * at a commit step of the client seen on the wire. What each injection
 * became is recorded for the judge: its frame in the trace, or why it could
 * not be made (its checks are then N/A, never a pass).
 */
#ifndef RMCPSEC_SIM_ADVERSARY_H
#define RMCPSEC_SIM_ADVERSARY_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/frame_class.h"
#include "sim/scenario.h"

struct run;
struct frame_builder;

struct adv_record {
	bool fired; /* its moment came (or the run ended) */
	bool made;  /* it went onto the network: frame_no is its number in the trace */
	uint64_t t;
	uint32_t frame_no;
	char why[120]; /* not made: why */
};

struct adversary {
	struct adv_record *rec; /* per injection of the scenario */
	unsigned *seen;		/* per injection: the commit steps of its kind seen so far */
	struct frame_builder *fb;
	uint16_t ip_id;
};

int adversary_init(struct adversary *a, const struct scenario *sc);
void adversary_fini(struct adversary *a);
/* The timed injections onto the run's engine; 0 or an engine error. */
int adversary_schedule(struct run *r);
/* A frame was captured and classified: a commit step may be an injection's moment. */
void adversary_on_frame(struct run *r, const struct obs *o);
/* The run is over: an injection whose moment never came is recorded as not made. */
void adversary_end(struct run *r);

#endif
