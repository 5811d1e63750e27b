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

#include "nodes/ike.h"
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

/* A lying IKE peer's endpoint and what its peer did. */
struct adv_ike {
	struct ike e;
	bool live;     /* e is initialised */
	bool started;  /* it told its lie (initiator: started; responder: answered an exchange) */
	bool lie_told; /* msgid: the out-of-window request left; the other lies: from the start */
	bool child_up; /* a CHILD_SA came up with it: the peer believed the lie */
	uint16_t refused; /* the first error notification the peer sent it, or 0 */
	uint64_t rand;	  /* its random stream (SPIs, nonces, keys), from the run's seed */
	uint32_t timer_gen;
	unsigned sent, received;
	unsigned exchanges;	    /* responder: exchanges of the server it answered */
	unsigned went_on;	    /* responder: the server's messages past IKE_SA_INIT */
	unsigned answers_after_lie; /* initiator: responses to it once the lie was told */
};

struct adversary {
	struct adv_ike *ike; /* per lying IKE peer of the scenario */
	size_t nike;
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

/* ---- sim/adversary_ike.c: lying IKE peers ---- */
int adversary_ike_init(struct adversary *a, const struct scenario *sc);
void adversary_ike_fini(struct adversary *a);
/* The initiators' start onto the run's engine; 0 or an engine error. */
int adversary_ike_schedule(struct run *r);
/* A frame about to reach node `port`: true when it is a liar's answer (then only the liar gets it).
 */
bool adversary_ike_take(struct run *r, size_t port, const uint8_t *frame, size_t len);

#endif
