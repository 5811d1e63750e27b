#include "sim/link.h"

#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "sim/json_out.h"

static void
send_copy(struct link *l, size_t to, const uint8_t *frame, size_t len, uint64_t extra)
{
	int rc = net_egress(l->net, to, frame, len, extra);
	if (rc && !l->error)
		l->error = rc;
}

static void
on_hold_expired(void *ctx, uint64_t arg)
{
	struct link *l = ctx;
	int h = (int)(uint32_t)arg;
	if (!fault_hold_expire(&l->fe, h, (uint32_t)(arg >> 32)))
		return; /* released earlier by the frames it waited for */
	send_copy(l, l->held[h].to, l->held[h].buf, l->held[h].len, 0);
}

static void
hold(struct link *l, int h, size_t to, const uint8_t *frame, size_t len)
{
	struct link_held *hd = &l->held[h];
	const struct fault_hold *fh = &l->fe.holds[h];
	memcpy(hd->buf, frame, len);
	hd->len = (uint16_t)len;
	hd->to = (uint32_t)to;
	int rc = engine_at(l->eng, fh->deadline, on_hold_expired, l,
			   (uint64_t)fh->gen << 32 | (uint32_t)h);
	if (rc && !l->error)
		l->error = rc;
}

bool
link_active(const struct link *l)
{
	return l->held != NULL;
}

bool
link_forward(struct link *l, uint32_t frame_no, size_t from, size_t to, const uint8_t *frame,
	     size_t len)
{
	struct obs unknown = {.frame_no = frame_no, .kind = OBS_OTHER};
	const struct obs *cls =
	    frame_no >= 1 && frame_no <= l->obs->n ? &l->obs->v[frame_no - 1] : &unknown;
	if (cls->injected) {
		/* the adversary placed it on purpose: the network's faults are for the nodes' */
		send_copy(l, to, frame, len, 0);
		return false;
	}
	struct fault_verdict v;
	fault_decide(&l->fe, l->eng->now, (int)from, (int)to, cls, &v);
	/* The frame may live in the backend's pool, which egress may move: work on a copy. */
	size_t n = len < sizeof(l->scratch) ? len : sizeof(l->scratch);
	memcpy(l->scratch, frame, n);
	if (v.truncate_to < n)
		n = v.truncate_to;
	if (v.flips)
		fault_corrupt(&l->fe, l->scratch, n, v.flips, v.flip_from);
	if (v.hold >= 0)
		hold(l, v.hold, to, l->scratch, n);
	for (unsigned k = 0; k < v.copies; k++)
		send_copy(l, to, l->scratch, n, v.delay_ns[k]);
	for (unsigned k = 0; k < v.nrelease; k++) {
		const struct link_held *hd = &l->held[v.release[k]];
		send_copy(l, hd->to, hd->buf, hd->len, 0);
	}
	return v.drop;
}

enum { RECOVER_BIT = 63 };

static void
on_node_fault(void *ctx, uint64_t arg)
{
	struct link *l = ctx;
	bool recover = arg >> RECOVER_BIT;
	size_t rule = (size_t)(arg & ~(1ULL << RECOVER_BIT));
	const struct fault_rule *r =
	    recover ? &l->fe.rules[rule] : fault_node_fire(&l->fe, l->eng->now, rule);
	if (r)
		l->node_fn(l->node_ctx, l->eng->now, r, recover);
}

int
link_schedule_node_faults(struct link *l, link_node_fault_fn fn, void *ctx)
{
	l->node_fn = fn;
	l->node_ctx = ctx;
	for (size_t i = 0; i < l->fe.nrules; i++) {
		const struct fault_rule *r = &l->fe.rules[i];
		if (!fault_rule_is_timed(r))
			continue;
		int rc = engine_at(l->eng, r->at, on_node_fault, l, i);
		if (!rc && (r->action == FAULT_CRASH || r->action == FAULT_HANG) &&
		    r->recover_at != UINT64_MAX)
			rc = engine_at(l->eng, r->recover_at, on_node_fault, l,
				       i | 1ULL << RECOVER_BIT);
		if (rc)
			return rc;
	}
	return RMC_OK;
}

int
link_init(struct link *l, const struct scenario *sc, uint64_t seed, struct net *net,
	  struct engine *eng, const struct obs_log *obs)
{
	memset(l, 0, sizeof(*l));
	l->net = net;
	l->eng = eng;
	l->obs = obs;
	l->roles = calloc(sc->nnodes ? sc->nnodes : 1, 1);
	if (!l->roles)
		return RMC_ENOMEM;
	for (size_t i = 0; i < sc->nnodes; i++)
		l->roles[i] = (uint8_t)sc->nodes[i].role;
	int rc = fault_engine_init(&l->fe, sc->faults, sc->nfaults, l->roles, sc->nnodes, seed);
	if (rc)
		return rc;
	if (!fault_engine_has_link_rules(&l->fe))
		return RMC_OK; /* the switch forwards as it always did */
	if (!(l->held = calloc(FAULT_MAX_HOLDS, sizeof(*l->held))))
		return RMC_ENOMEM;
	return RMC_OK;
}

void
link_fini(struct link *l)
{
	if (!l)
		return;
	fault_engine_fini(&l->fe);
	free(l->held);
	free(l->roles);
	l->held = NULL;
	l->roles = NULL;
}

/* What the event's value means, per action. */
static const char *
value_key(const struct fault_event *e, const struct fault_rule *r)
{
	switch ((enum fault_action)e->action) {
	case FAULT_DUPLICATE:
		return "copies";
	case FAULT_DELAY:
		return "delay_ns";
	case FAULT_REORDER:
		return "after_frames";
	case FAULT_CORRUPT:
		return "bits";
	case FAULT_TRUNCATE:
		return "bytes";
	case FAULT_CRASH:
	case FAULT_HANG:
		return r->step ? "commit_step" : "until_ns";
	case FAULT_CLOCK_JUMP:
		return "by_ns";
	case FAULT_POWER_LOSS:
		return r->nvram_byte >= 0 ? "nvram_byte" : r->step ? "commit_step" : NULL;
	default:
		return NULL;
	}
}

/* A node's name, or "*" for any. */
static json_t *
name_json(const struct scenario *sc, int node)
{
	return json_text(node >= 0 && (size_t)node < sc->nnodes ? sc->nodes[node].name : "*");
}

/* The event's value under its key, if its action has one (a hang for ever has none). */
static int
add_value(json_t *o, const struct fault_event *e, const struct fault_rule *r)
{
	const char *key = value_key(e, r);
	if (!key ||
	    (e->value == UINT64_MAX && (e->action == FAULT_CRASH || e->action == FAULT_HANG)))
		return 0;
	if (e->action == FAULT_CLOCK_JUMP)
		return json_object_set_new(o, key, json_integer((json_int_t)(int64_t)e->value));
	if (r->step)
		return json_object_set_new(o, key,
					   json_string(fault_step_name((enum fault_step)e->value)));
	return json_object_set_new(o, key, json_u64(e->value));
}

static json_t *
event_json(const struct fault_event *e, const struct fault_rule *r, const struct scenario *sc)
{
	enum fault_action action = (enum fault_action)e->action;
	json_t *o = json_object();
	if (json_object_set_new(o, "t_ns", json_u64(e->t)) ||
	    json_object_set_new(o, "rule", json_integer(e->rule)) ||
	    json_object_set_new(o, "rule_line", json_integer(r->line)) ||
	    json_object_set_new(o, "action", json_string(fault_action_name(action))))
		goto fail;
	if (fault_action_is_node(action)) {
		if (json_object_set_new(o, "node", name_json(sc, e->from)))
			goto fail;
	} else if (json_object_set_new(o, "frame", json_integer(e->frame)) ||
		   json_object_set_new(o, "from", name_json(sc, e->from)) ||
		   json_object_set_new(o, "to", name_json(sc, e->to))) {
		goto fail;
	}
	if (add_value(o, e, r))
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

json_t *
link_faults_json(const struct link *l, const struct scenario *sc)
{
	const struct fault_engine *fe = &l->fe;
	json_t *a = json_array();
	for (size_t i = 0; a && i < fe->nlog; i++) {
		const struct fault_event *e = &fe->log[i];
		if (json_array_append_new(a, event_json(e, &fe->rules[e->rule], sc))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
rule_json(const struct fault_engine *fe, size_t i)
{
	json_t *o = json_object();
	if (json_object_set_new(o, "rule", json_u64(i)) ||
	    json_object_set_new(o, "rule_line", json_integer(fe->rules[i].line)) ||
	    json_object_set_new(o, "action", json_string(fault_action_name(fe->rules[i].action))) ||
	    json_object_set_new(o, "matched", json_u64(fe->st[i].matched)) ||
	    json_object_set_new(o, "applied", json_u64(fe->st[i].applied))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Per rule: a rule that never matched made its scenario vacuous. */
json_t *
link_fault_rules_json(const struct link *l)
{
	const struct fault_engine *fe = &l->fe;
	json_t *a = json_array();
	for (size_t i = 0; a && i < fe->nrules; i++)
		if (json_array_append_new(a, rule_json(fe, i))) {
			json_decref(a);
			return NULL;
		}
	return a;
}
