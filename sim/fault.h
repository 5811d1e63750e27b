/*
 * Fault injection rules (docs/users/faults.md) and the engine that applies them: a
 * pure decision procedure, no I/O and no clock of its own. The caller
 * (sim/link for the LAN) asks, for every frame crossing a link, what
 * should happen to it, and carries the verdict out: drop it, deliver
 * several copies after given delays, hold it back (reorder), flip bits
 * or cut it short. Messages are matched by the harness's own
 * classification (sim/frame_class.h, made by sim/observe), so a rule can
 * name the ASF message inside ESP or the IKE exchange. Node faults (crash,
 * hang, clock jump, power loss) are declared here and applied by the run.
 *
 * Randomness comes only from the engine's own PRNG stream, seeded from
 * the run's seed, so a fault schedule replays exactly. Every fault applied
 * is logged with its virtual time, rule and frame. The scenario syntax is
 * in docs/users/faults.md.
 */
#ifndef RMCPSEC_SIM_FAULT_H
#define RMCPSEC_SIM_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/frame_class.h"
#include "sim/rng.h"
#include "sim/scn_words.h"

enum fault_action {
	/* link faults: fault_decide */
	FAULT_DROP,
	FAULT_DUPLICATE,
	FAULT_DELAY,
	FAULT_REORDER,
	FAULT_CORRUPT,
	FAULT_TRUNCATE,
	FAULT_PARTITION,
	/* node faults: applied by the run */
	FAULT_CRASH,
	FAULT_HANG,
	FAULT_CLOCK_JUMP,
	FAULT_POWER_LOSS,
	FAULT_ACTIONS,
};

/* The refresh commit's steps at which a client can lose power (Fig. 5). */
enum fault_step {
	FAULT_STEP_NONE = 0,
	FAULT_STEP_READY,   /* the client has sent SA_READY */
	FAULT_STEP_ACK,	    /* the client has received SA_ACK; a server has sent it */
	FAULT_STEP_CONFIRM, /* the client has sent SA_CONFIRM */
};

/* Which way a frame goes, by the role of its receiver. */
enum fault_dir {
	FAULT_DIR_ANY = 0,
	FAULT_DIR_TO_SERVER,
	FAULT_DIR_TO_CLIENT,
};

enum {
	FAULT_ANY_NODE = -1,
	FAULT_BROADCAST = -1, /* fault_decide's `to` when the frame goes to every port */
	FAULT_MAX_COPIES = 4, /* one frame and up to three duplicates */
	FAULT_MAX_HOLDS = 16, /* frames held back for reordering at any one time */
	FAULT_MAX_FLIPS = 64,
	FAULT_SET_NODES = 1024, /* partition sides name nodes among the first 1024 */
	FAULT_SET_WORDS = FAULT_SET_NODES / 64,
	FAULT_NO_TRUNCATE = 0xffff,
};

/* What a rule looks at. Unset fields match everything. */
struct fault_match {
	int from, to;	    /* node index or FAULT_ANY_NODE */
	uint8_t dir;	    /* enum fault_dir */
	struct msg_sel msg; /* `msg:` (sim/scn_words.h) */
	int response;	    /* IKE: 0 request, 1 response, -1 either */
	int64_t msg_id;	    /* IKE message ID; -1: any */
	uint8_t via;	    /* enum scn_via: DEFAULT either, SECURE, CLEAR */
};

/* Which of the matching frames the rule acts on. */
struct fault_gate {
	uint64_t from, until; /* window [from, until) in virtual ns */
	uint32_t nth;	      /* only the Nth match (1-based); 0: no such limit */
	uint32_t every;	      /* every Nth match; 0: each */
	uint32_t count;	      /* at most this many applications; 0: unlimited */
	double p;	      /* Bernoulli: apply with this probability (1 when unset) */
	bool gilbert;	      /* Gilbert-Elliott instead of Bernoulli */
	double p_gb, p_bg, loss_good, loss_bad;
};

struct fault_rule {
	enum fault_action action;
	int line; /* in the scenario file; 0 for a rule from the command line */
	struct fault_match m;
	struct fault_gate g;
	uint64_t delay_ns;    /* delay; duplicate: extra delay of each copy */
	uint64_t jitter_ns;   /* delay: plus uniform [0, jitter] */
	uint32_t copies;      /* duplicate: extra copies (1..3) */
	uint32_t after;	      /* reorder: release after this many later frames */
	uint64_t max_hold_ns; /* reorder: or after this long */
	uint32_t bits;	      /* corrupt: distinct bits flipped */
	uint32_t offset;      /* corrupt: first byte that may be flipped */
	uint32_t truncate_to; /* truncate: bytes kept */
	uint64_t side_a[FAULT_SET_WORDS], side_b[FAULT_SET_WORDS]; /* partition */
	/* node faults */
	int node;    /* crash, hang, clock_jump, power_loss (a client) */
	uint64_t at; /* when it happens (power_loss with nvram_byte: armed) */
	bool has_at;
	uint64_t recover_at; /* crash / hang: back at this time; UINT64_MAX never */
	int64_t by_ns;	     /* clock_jump: signed */
	uint8_t step;	     /* power_loss: enum fault_step */
	long nvram_byte;     /* power_loss: byte of the NVRAM write it cuts, or -1 */
};

/* One fault applied, for results.json. */
struct fault_event {
	uint64_t t;
	uint32_t frame; /* trace frame number (1-based); 0 for node faults */
	uint16_t rule;	/* index into the rules */
	uint8_t action; /* enum fault_action */
	int16_t from, to;
	uint64_t value; /* delay ns, copies, bits, bytes kept, frames to wait; clock jump ns */
};

/* A frame's fate on one link. */
struct fault_verdict {
	bool drop;
	unsigned copies; /* frames to deliver: 1, more when duplicated, 0 when dropped or held */
	uint64_t delay_ns[FAULT_MAX_COPIES]; /* extra delay of each copy */
	uint32_t truncate_to;		     /* FAULT_NO_TRUNCATE: keep the frame whole */
	unsigned flips;			     /* bits to flip with fault_corrupt */
	uint32_t flip_from;		     /* first byte flips may touch */
	int hold;			     /* hold id to keep the frame under, or -1 */
	unsigned nrelease;		     /* held frames to deliver right after this one */
	int release[FAULT_MAX_HOLDS];
	unsigned nhits; /* rules applied */
};

struct fault_rule_state {
	uint64_t matched, applied;
	uint32_t last_frame; /* one gate decision per frame, shared by its receivers */
	bool last_pass;
	bool bad; /* Gilbert-Elliott channel state */
};

struct fault_hold {
	bool used;
	uint32_t gen;
	int from, to;
	uint32_t left;
	uint64_t deadline;
};

struct fault_engine {
	const struct fault_rule *rules;
	size_t nrules;
	struct fault_rule_state *st;
	const uint8_t *roles; /* per node: enum scn_role */
	size_t nnodes;
	struct rng rng;
	struct fault_hold holds[FAULT_MAX_HOLDS];
	struct fault_event *log;
	size_t nlog, caplog;
	bool log_full; /* out of memory: later faults still apply but are not all logged */
};

/*
 * rules and roles must outlive the engine. The PRNG is a stream of its
 * own derived from seed, so adding a fault does not change the nodes'
 * randomness. Returns 0 or RMC_ENOMEM.
 */
int fault_engine_init(struct fault_engine *fe, const struct fault_rule *rules, size_t nrules,
		      const uint8_t *roles, size_t nnodes, uint64_t seed);
void fault_engine_fini(struct fault_engine *fe);
bool fault_engine_has_link_rules(const struct fault_engine *fe);

/*
 * The fate of one frame on the link from -> to (to may be FAULT_BROADCAST),
 * classified as cls (cls->frame_no numbers it), at virtual time now.
 * Rules apply in order; a drop or a hold ends the list for that frame.
 * Returns the number of rules applied.
 */
unsigned fault_decide(struct fault_engine *fe, uint64_t now, int from, int to,
		      const struct obs *cls, struct fault_verdict *v);
/* Flips `flips` distinct random bits of frame[from..len). */
void fault_corrupt(struct fault_engine *fe, uint8_t *frame, size_t len, unsigned flips,
		   size_t from);
/* A hold's max time passed: true (and frees it) if still held, so release it now. */
bool fault_hold_expire(struct fault_engine *fe, int hold, uint32_t gen);

/*
 * Node faults. fault_node_timed lists the rules the run schedules at
 * rule->at (crash, hang, clock_jump, power_loss with a time or an NVRAM
 * byte), in rule order; fault_node_fire logs one when the run applies it.
 * fault_commit_step is called by the run when a node reaches a commit step
 * and returns the fault due there (a client's power_loss, a server's crash
 * or hang after its SA_ACK; logged and used up), or NULL.
 */
size_t fault_node_timed(const struct fault_engine *fe, size_t *idx, size_t cap);
bool fault_rule_is_timed(const struct fault_rule *r);
const struct fault_rule *fault_node_fire(struct fault_engine *fe, uint64_t now, size_t rule);
const struct fault_rule *fault_commit_step(struct fault_engine *fe, uint64_t now, int node,
					   enum fault_step step);

const char *fault_action_name(enum fault_action a); /* "drop", "clock_jump", ... */
const char *fault_step_name(enum fault_step s);	    /* "ready", "ack", "confirm" */
bool fault_action_is_node(enum fault_action a);
void fault_rule_defaults(struct fault_rule *r);

static inline void
fault_set_add(uint64_t *set, size_t node)
{
	set[node / 64] |= 1ULL << (node % 64);
}

static inline bool
fault_set_has(const uint64_t *set, int node)
{
	return node >= 0 && node < FAULT_SET_NODES && (set[node / 64] >> (node % 64)) & 1;
}

#endif
