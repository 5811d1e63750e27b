#include "sim/fault.h"

#include <stdlib.h>
#include <string.h>

#include "proto/err.h"

static const char *const ACTION_NAMES[FAULT_ACTIONS] = {
    [FAULT_DROP] = "drop",
    [FAULT_DUPLICATE] = "duplicate",
    [FAULT_DELAY] = "delay",
    [FAULT_REORDER] = "reorder",
    [FAULT_CORRUPT] = "corrupt",
    [FAULT_TRUNCATE] = "truncate",
    [FAULT_PARTITION] = "partition",
    [FAULT_CRASH] = "crash",
    [FAULT_HANG] = "hang",
    [FAULT_CLOCK_JUMP] = "clock_jump",
    [FAULT_POWER_LOSS] = "power_loss",
};

/* A stream of its own: "FLT" in the top bytes keeps it apart from the run's and the keys'. */
enum { FAULT_RNG_STREAM = 0x464c54 };

const char *
fault_action_name(enum fault_action a)
{
	return (unsigned)a < FAULT_ACTIONS ? ACTION_NAMES[a] : "?";
}

const char *
fault_step_name(enum fault_step s)
{
	static const char *const names[] = {"none", "ready", "ack", "confirm"};
	return (unsigned)s <= FAULT_STEP_CONFIRM ? names[s] : "?";
}

bool
fault_action_is_node(enum fault_action a)
{
	return a >= FAULT_CRASH && a < FAULT_ACTIONS;
}

void
fault_rule_defaults(struct fault_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->m = (struct fault_match){.from = FAULT_ANY_NODE,
				    .to = FAULT_ANY_NODE,
				    .msg = {0, -1},
				    .response = -1,
				    .msg_id = -1};
	r->g = (struct fault_gate){.until = UINT64_MAX, .p = 1.0};
	r->copies = 1;
	r->after = 1;
	r->max_hold_ns = 100ULL * 1000000ULL;
	r->offset = 14;
	r->truncate_to = FAULT_NO_TRUNCATE;
	r->node = FAULT_ANY_NODE;
	r->recover_at = UINT64_MAX;
	r->nvram_byte = -1;
}

int
fault_engine_init(struct fault_engine *fe, const struct fault_rule *rules, size_t nrules,
		  const uint8_t *roles, size_t nnodes, uint64_t seed)
{
	memset(fe, 0, sizeof(*fe));
	fe->rules = rules;
	fe->nrules = nrules;
	fe->roles = roles;
	fe->nnodes = nnodes;
	rng_seed(&fe->rng, seed ^ ((uint64_t)FAULT_RNG_STREAM << 40));
	fe->st = calloc(nrules ? nrules : 1, sizeof(*fe->st));
	fe->caplog = 64;
	fe->log = malloc(fe->caplog * sizeof(*fe->log));
	if (!fe->st || !fe->log) {
		fault_engine_fini(fe);
		return RMC_ENOMEM;
	}
	return RMC_OK;
}

void
fault_engine_fini(struct fault_engine *fe)
{
	if (!fe)
		return;
	free(fe->st);
	free(fe->log);
	memset(fe, 0, sizeof(*fe));
}

bool
fault_engine_has_link_rules(const struct fault_engine *fe)
{
	for (size_t i = 0; i < fe->nrules; i++)
		if (!fault_action_is_node(fe->rules[i].action))
			return true;
	return false;
}

static void
log_event(struct fault_engine *fe, uint64_t t, size_t rule, uint32_t frame, int from, int to,
	  uint64_t value)
{
	if (fe->nlog == fe->caplog) {
		struct fault_event *v = realloc(fe->log, 2 * fe->caplog * sizeof(*v));
		if (!v) {
			fe->log_full = true;
			return;
		}
		fe->log = v;
		fe->caplog *= 2;
	}
	fe->log[fe->nlog++] = (struct fault_event){.t = t,
						   .frame = frame,
						   .rule = (uint16_t)rule,
						   .action = (uint8_t)fe->rules[rule].action,
						   .from = (int16_t)from,
						   .to = (int16_t)to,
						   .value = value};
}

static bool
dir_ok(const struct fault_engine *fe, uint8_t dir, int to)
{
	if (dir == FAULT_DIR_ANY)
		return true;
	if (to < 0 || (size_t)to >= fe->nnodes)
		return false;
	return fe->roles[to] == (dir == FAULT_DIR_TO_SERVER ? SCN_SERVER : SCN_CLIENT);
}

static bool
msg_ok(const struct fault_match *m, const struct obs *o)
{
	if (!msg_sel_match(&m->msg, o))
		return false;
	if (m->response >= 0 && (o->kind != OBS_IKE || o->ike_response != (m->response == 1)))
		return false;
	if (m->msg_id >= 0 && (o->kind != OBS_IKE || o->ike_msgid != (uint64_t)m->msg_id))
		return false;
	return scn_via_admits((enum scn_via)m->via, o->prot);
}

static bool
link_ok(const struct fault_engine *fe, const struct fault_rule *r, int from, int to)
{
	if (r->action == FAULT_PARTITION)
		return (fault_set_has(r->side_a, from) && fault_set_has(r->side_b, to)) ||
		       (fault_set_has(r->side_b, from) && fault_set_has(r->side_a, to));
	if (r->m.from >= 0 && r->m.from != from)
		return false;
	if (r->m.to >= 0 && r->m.to != to)
		return false;
	return dir_ok(fe, r->m.dir, to);
}

/* Bernoulli or Gilbert-Elliott: decide in the current state, then let the channel move. */
static bool
chance(struct fault_engine *fe, const struct fault_gate *g, struct fault_rule_state *st)
{
	if (!g->gilbert)
		return g->p >= 1.0 || rng_unit(&fe->rng) < g->p;
	bool hit = rng_unit(&fe->rng) < (st->bad ? g->loss_bad : g->loss_good);
	double move = st->bad ? g->p_bg : g->p_gb;
	if (rng_unit(&fe->rng) < move)
		st->bad = !st->bad;
	return hit;
}

/* Counts a matching frame once and decides once, however many receivers it has. */
static bool
gate(struct fault_engine *fe, size_t i, uint32_t frame)
{
	const struct fault_gate *g = &fe->rules[i].g;
	struct fault_rule_state *st = &fe->st[i];
	if (frame != 0 && frame == st->last_frame)
		return st->last_pass;
	st->last_frame = frame;
	st->last_pass = false;
	st->matched++;
	if (g->nth && st->matched != g->nth)
		return false;
	if (g->every && st->matched % g->every != 0)
		return false;
	if (g->count && st->applied >= g->count)
		return false;
	if (!chance(fe, g, st))
		return false;
	st->applied++;
	st->last_pass = true;
	return true;
}

static int
hold_new(struct fault_engine *fe, const struct fault_rule *r, uint64_t now, int from, int to)
{
	for (int h = 0; h < FAULT_MAX_HOLDS; h++) {
		struct fault_hold *fh = &fe->holds[h];
		if (fh->used)
			continue;
		fh->used = true;
		fh->gen++;
		fh->from = from;
		fh->to = to;
		fh->left = r->after;
		fh->deadline = now + r->max_hold_ns;
		return h;
	}
	return -1;
}

/* A frame passed on from -> to: held frames of that link waiting for it count it. */
static void
count_passing(struct fault_engine *fe, int from, int to, struct fault_verdict *v)
{
	for (int h = 0; h < FAULT_MAX_HOLDS; h++) {
		struct fault_hold *fh = &fe->holds[h];
		if (!fh->used || fh->from != from || fh->to != to || h == v->hold)
			continue;
		if (--fh->left == 0) {
			fh->used = false;
			v->release[v->nrelease++] = h;
		}
	}
}

static void
add_copy(struct fault_verdict *v, uint64_t delay)
{
	if (v->copies < FAULT_MAX_COPIES)
		v->delay_ns[v->copies++] = delay;
}

/* Applies rule i to the verdict; false when the frame goes no further down the list. */
static bool
apply(struct fault_engine *fe, size_t i, uint64_t now, int from, int to, const struct obs *cls,
      struct fault_verdict *v)
{
	const struct fault_rule *r = &fe->rules[i];
	uint64_t value = 0;
	bool more = true;
	switch (r->action) {
	case FAULT_DROP:
	case FAULT_PARTITION:
		v->drop = true;
		v->copies = 0;
		more = false;
		break;
	case FAULT_DUPLICATE:
		for (uint32_t k = 0; k < r->copies; k++)
			add_copy(v, v->delay_ns[0] + r->delay_ns);
		value = r->copies;
		break;
	case FAULT_DELAY:
		value = r->delay_ns + (r->jitter_ns ? rng_below(&fe->rng, r->jitter_ns + 1) : 0);
		for (unsigned k = 0; k < v->copies; k++)
			v->delay_ns[k] += value;
		break;
	case FAULT_REORDER:
		v->hold = hold_new(fe, r, now, from, to);
		if (v->hold < 0)
			return true; /* every hold in use: the frame passes unreordered, unlogged */
		v->copies = 0;
		value = r->after;
		more = false;
		break;
	case FAULT_CORRUPT:
		v->flips += r->bits;
		v->flip_from = r->offset;
		value = r->bits;
		break;
	case FAULT_TRUNCATE:
		if (r->truncate_to < v->truncate_to)
			v->truncate_to = r->truncate_to;
		value = r->truncate_to;
		break;
	default:
		return true;
	}
	v->nhits++;
	log_event(fe, now, i, cls->frame_no, from, to, value);
	return more;
}

unsigned
fault_decide(struct fault_engine *fe, uint64_t now, int from, int to, const struct obs *cls,
	     struct fault_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->copies = 1;
	v->truncate_to = FAULT_NO_TRUNCATE;
	v->hold = -1;
	for (size_t i = 0; i < fe->nrules; i++) {
		const struct fault_rule *r = &fe->rules[i];
		if (fault_action_is_node(r->action) || now < r->g.from || now >= r->g.until)
			continue;
		if (!link_ok(fe, r, from, to) || !msg_ok(&r->m, cls))
			continue;
		if (!gate(fe, i, cls->frame_no))
			continue;
		if (!apply(fe, i, now, from, to, cls, v))
			break;
	}
	if (!v->drop && v->hold < 0)
		count_passing(fe, from, to, v);
	return v->nhits;
}

void
fault_corrupt(struct fault_engine *fe, uint8_t *frame, size_t len, unsigned flips, size_t from)
{
	size_t chosen[FAULT_MAX_FLIPS];
	if (from >= len)
		return;
	size_t bits = (len - from) * 8;
	if (flips > FAULT_MAX_FLIPS)
		flips = FAULT_MAX_FLIPS;
	if (flips > bits)
		flips = (unsigned)bits;
	/* Distinct positions, so exactly `flips` bits differ afterwards. */
	for (unsigned k = 0; k < flips; k++) {
		size_t b;
		bool again;
		do {
			b = rng_below(&fe->rng, bits);
			again = false;
			for (unsigned j = 0; j < k; j++)
				again = again || chosen[j] == b;
		} while (again);
		chosen[k] = b;
		frame[from + b / 8] ^= (uint8_t)(0x80u >> (b % 8));
	}
}

bool
fault_hold_expire(struct fault_engine *fe, int hold, uint32_t gen)
{
	if (hold < 0 || hold >= FAULT_MAX_HOLDS)
		return false;
	struct fault_hold *fh = &fe->holds[hold];
	if (!fh->used || fh->gen != gen)
		return false;
	fh->used = false;
	return true;
}

bool
fault_rule_is_timed(const struct fault_rule *r)
{
	return fault_action_is_node(r->action) && r->step == FAULT_STEP_NONE;
}

size_t
fault_node_timed(const struct fault_engine *fe, size_t *idx, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < fe->nrules; i++)
		if (fault_rule_is_timed(&fe->rules[i])) {
			if (n < cap)
				idx[n] = i;
			n++;
		}
	return n;
}

static uint64_t
node_value(const struct fault_rule *r)
{
	if (r->action == FAULT_CLOCK_JUMP)
		return (uint64_t)r->by_ns;
	if (r->action == FAULT_POWER_LOSS)
		return r->nvram_byte >= 0 ? (uint64_t)r->nvram_byte : r->step;
	return r->recover_at;
}

const struct fault_rule *
fault_node_fire(struct fault_engine *fe, uint64_t now, size_t rule)
{
	if (rule >= fe->nrules || !fault_rule_is_timed(&fe->rules[rule]))
		return NULL;
	const struct fault_rule *r = &fe->rules[rule];
	fe->st[rule].matched++;
	fe->st[rule].applied++;
	log_event(fe, now, rule, 0, r->node, FAULT_ANY_NODE, node_value(r));
	return r;
}

const struct fault_rule *
fault_commit_step(struct fault_engine *fe, uint64_t now, int node, enum fault_step step)
{
	for (size_t i = 0; i < fe->nrules; i++) {
		const struct fault_rule *r = &fe->rules[i];
		if (r->step == FAULT_STEP_NONE || r->step != step || r->node != node ||
		    now < r->g.from || now >= r->g.until)
			continue;
		struct fault_rule_state *st = &fe->st[i];
		st->matched++;
		if (r->g.nth && st->matched != r->g.nth)
			continue;
		if (r->g.every && st->matched % r->g.every != 0)
			continue;
		if (r->g.count && st->applied >= r->g.count)
			continue;
		st->applied++;
		log_event(fe, now, i, 0, node, FAULT_ANY_NODE, step);
		return r;
	}
	return NULL;
}
