#include "sim/scenario_fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"

/* The keys of each kind of fault besides those every rule of its family takes. */
static const char *const *const ACTION_KEYS[FAULT_ACTIONS] = {
    [FAULT_DROP] = (const char *const[]){NULL},
    [FAULT_DUPLICATE] = (const char *const[]){"copies", "delay", NULL},
    [FAULT_DELAY] = (const char *const[]){"delay", "jitter", NULL},
    [FAULT_REORDER] = (const char *const[]){"after", "max_hold", NULL},
    [FAULT_CORRUPT] = (const char *const[]){"bits", "offset", NULL},
    [FAULT_TRUNCATE] = (const char *const[]){"bytes", NULL},
    [FAULT_PARTITION] = (const char *const[]){"between", "and", NULL},
    [FAULT_CRASH] = (const char *const[]){"node", "at", "until", "at_commit_step", "since", "nth",
					  "count", NULL},
    [FAULT_HANG] = (const char *const[]){"node", "at", "until", "at_commit_step", "since", "nth",
					 "count", NULL},
    [FAULT_CLOCK_JUMP] = (const char *const[]){"node", "at", "by", NULL},
    [FAULT_POWER_LOSS] = (const char *const[]){"client", "at", "at_commit_step", "nvram_byte",
					       "since", "until", "nth", "every", "count", NULL},
};

/* Every link rule may say which frames, when, and how many. */
static const char *const LINK_KEYS[] = {
    "do",    "from",  "to",  "direction", "msg",   "via", "response", "msg_id",
    "since", "until", "nth", "every",	  "count", "p",	  "gilbert",  NULL};
static const char *const PARTITION_KEYS[] = {"do", "since", "until", NULL};
static const char *const NODE_KEYS[] = {"do", NULL};

/* Unknown keys are errors: a typo must not silently disable a fault. */
static int
check_keys(struct scn_rd *rd, yaml_node_t *map, const char *what, const char *const *common,
	   const char *const *own)
{
	char unknown[64];
	snprintf(unknown, sizeof(unknown), "not a field of a %s fault", what);
	return scn_rd_keys(rd, map, "faults", unknown, common, own);
}

static int
load_ike_fields(struct scn_rd *rd, yaml_node_t *n, struct fault_match *m)
{
	const char *s;
	uint64_t id;
	bool ike = m->msg.kinds == 1u << OBS_IKE, response = false;
	int rc = scn_rd_str(rd, n, "response", false, &s);
	if (rc)
		return rc;
	if (s && !ike)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "response"), "response",
				   "only IKE messages are requests or responses");
	if ((rc = scn_rd_bool(rd, n, "response", &response)))
		return rc;
	if (s)
		m->response = response;
	if (!scn_rd_get(rd, n, "msg_id"))
		return RMC_OK;
	if (!ike)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "msg_id"), "msg_id",
				   "only IKE messages have a message ID");
	if ((rc = scn_rd_uint(rd, n, "msg_id", 0, UINT32_MAX, &id)))
		return rc;
	m->msg_id = (int64_t)id;
	return RMC_OK;
}

static int
load_match(struct scn_rd *rd, yaml_node_t *n, struct fault_match *m)
{
	const char *s;
	int rc;
	if ((rc = scn_rd_node(rd, n, "from", SCN_RD_NODE_OR_ANY, false, &m->from)) ||
	    (rc = scn_rd_node(rd, n, "to", SCN_RD_NODE_OR_ANY, false, &m->to)) ||
	    (rc = scn_rd_msg(rd, n, false, &m->msg)) || (rc = load_ike_fields(rd, n, m)) ||
	    (rc = scn_rd_str(rd, n, "direction", false, &s)))
		return rc;
	if (s) {
		if (strcmp(s, "to_server") == 0)
			m->dir = FAULT_DIR_TO_SERVER;
		else if (strcmp(s, "to_client") == 0)
			m->dir = FAULT_DIR_TO_CLIENT;
		else if (strcmp(s, "any") != 0)
			return scn_rd_fail(rd, scn_rd_get(rd, n, "direction"), "direction",
					   "expected to_server, to_client or any, got '%s'", s);
	}
	enum scn_via via = SCN_VIA_DEFAULT;
	if ((rc = scn_rd_via(rd, n, &via)))
		return rc;
	m->via = (uint8_t)via;
	return RMC_OK;
}

static int
load_gilbert(struct scn_rd *rd, yaml_node_t *n, struct fault_gate *g)
{
	static const char *const keys[] = {"p_gb", "p_bg", "loss_good", "loss_bad", NULL};
	static const char *const none[] = {NULL};
	if (n->type != YAML_MAPPING_NODE)
		return scn_rd_fail(rd, n, "gilbert", "expected {p_gb, p_bg, loss_good, loss_bad}");
	int rc = check_keys(rd, n, "gilbert", keys, none);
	for (const char *const *k = keys; !rc && *k; k++)
		if (!scn_rd_get(rd, n, *k))
			rc = scn_rd_fail(rd, n, *k, "missing (Gilbert-Elliott needs all four)");
	g->gilbert = true;
	g->loss_bad = 1.0;
	if (!rc)
		rc = scn_rd_prob(rd, n, "p_gb", &g->p_gb);
	if (!rc)
		rc = scn_rd_prob(rd, n, "p_bg", &g->p_bg);
	if (!rc)
		rc = scn_rd_prob(rd, n, "loss_good", &g->loss_good);
	if (!rc)
		rc = scn_rd_prob(rd, n, "loss_bad", &g->loss_bad);
	return rc;
}

static int
load_gate(struct scn_rd *rd, yaml_node_t *n, struct fault_gate *g)
{
	int rc;
	if ((rc = scn_rd_time(rd, n, "since", false, &g->from)) ||
	    (rc = scn_rd_time(rd, n, "until", false, &g->until)))
		return rc;
	if (g->from >= g->until)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "until"), "until",
				   "must come after since");
	if (g->from > rd->sc->duration)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "since"), "since",
				   "after the scenario's duration");
	if ((rc = scn_rd_u32(rd, n, "nth", 1, UINT32_MAX, &g->nth)) ||
	    (rc = scn_rd_u32(rd, n, "every", 1, UINT32_MAX, &g->every)) ||
	    (rc = scn_rd_u32(rd, n, "count", 1, UINT32_MAX, &g->count)))
		return rc;
	if (g->nth && (g->every || scn_rd_get(rd, n, "count")))
		return scn_rd_fail(rd, scn_rd_get(rd, n, "nth"), "nth",
				   "nth picks one frame: no every or count");
	if ((rc = scn_rd_prob(rd, n, "p", &g->p)))
		return rc;
	yaml_node_t *ge = scn_rd_get(rd, n, "gilbert");
	if (!ge)
		return RMC_OK;
	if (scn_rd_get(rd, n, "p"))
		return scn_rd_fail(rd, ge, "gilbert", "give p (Bernoulli) or gilbert, not both");
	return load_gilbert(rd, ge, g);
}

static int
load_side(struct scn_rd *rd, yaml_node_t *n, const char *key, uint64_t *set, bool star_ok)
{
	yaml_node_t *v = scn_rd_get(rd, n, key);
	if (!v)
		return scn_rd_fail(rd, n, key, "missing: a partition separates two lists of nodes");
	if (star_ok && scn_rd_scalar(v) && strcmp(scn_rd_scalar(v), "*") == 0) {
		for (size_t i = 0; i < rd->sc->nnodes && i < FAULT_SET_NODES; i++)
			fault_set_add(set, i);
		return RMC_OK;
	}
	if (v->type != YAML_SEQUENCE_NODE ||
	    v->data.sequence.items.top == v->data.sequence.items.start)
		return scn_rd_fail(rd, v, key, "expected a non-empty list of node names%s",
				   star_ok ? " or '*'" : "");
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = scn_rd_item(rd, *it);
		const char *name = scn_rd_scalar(e);
		int i = name ? scenario_node(rd->sc, name) : -1;
		if (i < 0)
			return scn_rd_fail(rd, e, key, "unknown node '%s'", name ? name : "?");
		if (i >= FAULT_SET_NODES)
			return scn_rd_fail(rd, e, key, "partitions name nodes among the first %d",
					   FAULT_SET_NODES);
		fault_set_add(set, (size_t)i);
	}
	return RMC_OK;
}

static int
load_partition(struct scn_rd *rd, yaml_node_t *n, struct fault_rule *r)
{
	int rc = load_side(rd, n, "between", r->side_a, false);
	if (!rc)
		rc = load_side(rd, n, "and", r->side_b, true);
	if (rc)
		return rc;
	for (size_t w = 0; w < FAULT_SET_WORDS; w++) {
		r->side_b[w] &= ~r->side_a[w]; /* '*' means everyone else */
		if (r->side_b[w])
			return RMC_OK;
	}
	return scn_rd_fail(rd, scn_rd_get(rd, n, "and"), "and", "no node left on this side");
}

static int
load_link_params(struct scn_rd *rd, yaml_node_t *n, struct fault_rule *r)
{
	int rc;
	switch (r->action) {
	case FAULT_DUPLICATE:
		if ((rc = scn_rd_u32(rd, n, "copies", 1, FAULT_MAX_COPIES - 1, &r->copies)))
			return rc;
		return scn_rd_time(rd, n, "delay", false, &r->delay_ns);
	case FAULT_DELAY:
		if (!scn_rd_get(rd, n, "delay"))
			return scn_rd_fail(rd, n, "delay", "missing: how long");
		if ((rc = scn_rd_time(rd, n, "delay", false, &r->delay_ns)))
			return rc;
		return scn_rd_time(rd, n, "jitter", false, &r->jitter_ns);
	case FAULT_REORDER:
		if ((rc = scn_rd_u32(rd, n, "after", 1, 1000, &r->after)) ||
		    (rc = scn_rd_time(rd, n, "max_hold", false, &r->max_hold_ns)))
			return rc;
		if (r->max_hold_ns == 0)
			return scn_rd_fail(rd, scn_rd_get(rd, n, "max_hold"), "max_hold",
					   "must be above 0");
		return RMC_OK;
	case FAULT_CORRUPT:
		r->bits = 1;
		if ((rc = scn_rd_u32(rd, n, "bits", 1, FAULT_MAX_FLIPS, &r->bits)))
			return rc;
		return scn_rd_u32(rd, n, "offset", 0, 1599, &r->offset);
	case FAULT_TRUNCATE:
		if (!scn_rd_get(rd, n, "bytes"))
			return scn_rd_fail(rd, n, "bytes", "missing: how many bytes to keep");
		return scn_rd_u32(rd, n, "bytes", 1, 1599, &r->truncate_to);
	default:
		return RMC_OK;
	}
}

/* A signed duration: "-5s", "+2m", "30s". */
static int
want_jump(struct scn_rd *rd, yaml_node_t *n, int64_t *by)
{
	const char *s;
	uint64_t ns;
	int rc = scn_rd_str(rd, n, "by", false, &s);
	if (rc)
		return rc;
	if (!s)
		return scn_rd_fail(rd, n, "by", "missing: how far the clock jumps (e.g. -5s, +1h)");
	bool neg = s[0] == '-';
	if (scn_parse_duration(s + (s[0] == '-' || s[0] == '+'), &ns) != 0 || ns == 0 ||
	    ns > (uint64_t)INT64_MAX)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "by"), "by",
				   "bad jump '%s' (e.g. -5s, +1h)", s);
	*by = neg ? -(int64_t)ns : (int64_t)ns;
	return RMC_OK;
}

static int
want_at(struct scn_rd *rd, yaml_node_t *n, struct fault_rule *r, bool required)
{
	if (!scn_rd_get(rd, n, "at"))
		return required ? scn_rd_fail(rd, n, "at", "missing: when it happens") : RMC_OK;
	int rc = scn_rd_time(rd, n, "at", false, &r->at);
	if (rc)
		return rc;
	if (r->at > rd->sc->duration)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "at"), "at",
				   "after the scenario's duration");
	r->has_at = true;
	return RMC_OK;
}

static int
load_power_loss(struct scn_rd *rd, yaml_node_t *n, struct fault_rule *r)
{
	const char *s;
	uint64_t byte;
	int rc;
	if (!scn_rd_get(rd, n, "client"))
		return scn_rd_fail(rd, n, "client", "missing: whose power fails");
	if ((rc = scn_rd_node(rd, n, "client", SCN_RD_NODE, false, &r->node)))
		return rc;
	if (rd->sc->nodes[r->node].role != SCN_CLIENT)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "client"), "client",
				   "'%s' is not a client", rd->sc->nodes[r->node].name);
	if ((rc = want_at(rd, n, r, false)) ||
	    (rc = scn_rd_str(rd, n, "at_commit_step", false, &s)))
		return rc;
	if (s) {
		for (int st = FAULT_STEP_READY; st <= FAULT_STEP_CONFIRM; st++)
			if (strcmp(s, fault_step_name((enum fault_step)st)) == 0)
				r->step = (uint8_t)st;
		if (r->step == FAULT_STEP_NONE)
			return scn_rd_fail(rd, scn_rd_get(rd, n, "at_commit_step"),
					   "at_commit_step",
					   "expected ready, ack or confirm, got '%s'", s);
		if (scn_rd_get(rd, n, "at") || scn_rd_get(rd, n, "nvram_byte"))
			return scn_rd_fail(
			    rd, scn_rd_get(rd, n, "at_commit_step"), "at_commit_step",
			    "a commit step is the moment: no at or nvram_byte with it");
		r->g.count = 1; /* once, unless the rule says otherwise */
		return load_gate(rd, n, &r->g);
	}
	if (scn_rd_get(rd, n, "since") || scn_rd_get(rd, n, "until") || scn_rd_get(rd, n, "nth") ||
	    scn_rd_get(rd, n, "every") || scn_rd_get(rd, n, "count"))
		return scn_rd_fail(rd, n, "at_commit_step",
				   "since, until, nth, every and count choose among commit steps");
	if (scn_rd_get(rd, n, "nvram_byte")) {
		if ((rc = scn_rd_uint(rd, n, "nvram_byte", 0, 65535, &byte)))
			return rc;
		r->nvram_byte = (long)byte;
		return RMC_OK; /* armed at `at`, 0 by default: the next NVRAM write is cut */
	}
	if (!r->has_at)
		return scn_rd_fail(rd, n, "at",
				   "missing: a power_loss needs at, at_commit_step or nvram_byte");
	return RMC_OK;
}

/*
 * A server that crashes or hangs right after its SA_ACK left (Fig. 6 row
 * 7's worst moment): a moment in the exchange, not a time, so a real-time
 * run (--net tap) meets it exactly as a virtual one does. Never recovers.
 */
static int
load_server_step(struct scn_rd *rd, yaml_node_t *n, struct fault_rule *r)
{
	const char *s;
	int rc;
	if (rd->sc->nodes[r->node].role != SCN_SERVER)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "at_commit_step"), "at_commit_step",
				   "'%s' is not a server; a client's commit step is a power_loss",
				   rd->sc->nodes[r->node].name);
	if ((rc = scn_rd_str(rd, n, "at_commit_step", false, &s)))
		return rc;
	if (strcmp(s, fault_step_name(FAULT_STEP_ACK)) != 0)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "at_commit_step"), "at_commit_step",
				   "a server reaches only ack (its SA_ACK left), got '%s'", s);
	if (scn_rd_get(rd, n, "at") || scn_rd_get(rd, n, "until"))
		return scn_rd_fail(rd, scn_rd_get(rd, n, "at_commit_step"), "at_commit_step",
				   "a commit step is the moment: no at or until with it");
	r->step = FAULT_STEP_ACK;
	r->g.count = 1; /* once, unless the rule says otherwise */
	return load_gate(rd, n, &r->g);
}

static int
load_node_fault(struct scn_rd *rd, yaml_node_t *n, struct fault_rule *r)
{
	int rc;
	if (r->action == FAULT_POWER_LOSS)
		return load_power_loss(rd, n, r);
	if (!scn_rd_get(rd, n, "node"))
		return scn_rd_fail(rd, n, "node", "missing: which node");
	if ((rc = scn_rd_node(rd, n, "node", SCN_RD_NODE, false, &r->node)))
		return rc;
	if (scn_rd_get(rd, n, "at_commit_step"))
		return load_server_step(rd, n, r);
	if (scn_rd_get(rd, n, "since") || scn_rd_get(rd, n, "nth") || scn_rd_get(rd, n, "count"))
		return scn_rd_fail(rd, n, "at_commit_step",
				   "since, nth and count choose among commit steps");
	if ((rc = want_at(rd, n, r, true)))
		return rc;
	if (r->action == FAULT_CLOCK_JUMP)
		return want_jump(rd, n, &r->by_ns);
	if ((rc = scn_rd_time(rd, n, "until", false, &r->recover_at)))
		return rc;
	if (r->recover_at <= r->at)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "until"), "until", "must come after at");
	return RMC_OK;
}

static int
unknown_action(struct scn_rd *rd, yaml_node_t *n, const char *verb)
{
	char names[160];
	size_t used = 0;
	for (int a = 0; a < FAULT_ACTIONS && used < sizeof(names); a++) {
		int k = snprintf(names + used, sizeof(names) - used, "%s%s", a ? ", " : "",
				 fault_action_name((enum fault_action)a));
		used += k > 0 ? (size_t)k : 0;
	}
	return scn_rd_fail(rd, n, "do", "unknown fault '%s' (%s)", verb, names);
}

/* One rule; a command line's has no line in the file (cli). */
static int
load_rule(struct scn_rd *rd, yaml_node_t *n, bool cli, struct fault_rule *r)
{
	const char *verb;
	size_t a;
	int rc;
	if (!n || n->type != YAML_MAPPING_NODE)
		return scn_rd_fail(rd, n, "faults",
				   "each fault is a mapping such as {do: drop, msg: "
				   "presence_pong, nth: 1}");
	fault_rule_defaults(r);
	r->line = cli ? 0 : (int)n->start_mark.line + 1;
	if ((rc = scn_rd_str(rd, n, "do", false, &verb)))
		return rc;
	if (!verb)
		return scn_rd_fail(rd, n, "do", "missing: what the fault does");
	for (a = 0; a < FAULT_ACTIONS; a++)
		if (strcmp(fault_action_name((enum fault_action)a), verb) == 0)
			break;
	if (a == FAULT_ACTIONS)
		return unknown_action(rd, scn_rd_get(rd, n, "do"), verb);
	r->action = (enum fault_action)a;
	const char *const *common = fault_action_is_node(r->action) ? NODE_KEYS
				    : r->action == FAULT_PARTITION  ? PARTITION_KEYS
								    : LINK_KEYS;
	if ((rc = check_keys(rd, n, verb, common, ACTION_KEYS[a])))
		return rc;
	if (fault_action_is_node(r->action))
		return load_node_fault(rd, n, r);
	if ((rc = load_gate(rd, n, &r->g)))
		return rc;
	if (r->action == FAULT_PARTITION)
		return load_partition(rd, n, r);
	if ((rc = load_match(rd, n, &r->m)))
		return rc;
	return load_link_params(rd, n, r);
}

int
scenario_load_faults(struct scn_rd *rd, yaml_node_t *list, struct scenario *sc)
{
	if (!list)
		return RMC_OK;
	if (list->type != YAML_SEQUENCE_NODE)
		return scn_rd_fail(rd, list, "faults", "expected a list");
	size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	if (n > UINT16_MAX)
		return scn_rd_fail(rd, list, "faults", "more than %d rules", UINT16_MAX);
	if (!(sc->faults = calloc(n ? n : 1, sizeof(*sc->faults))))
		return scn_rd_fail(rd, list, "faults", "out of memory");
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++) {
		int rc = load_rule(rd, scn_rd_item(rd, *it), false, &sc->faults[sc->nfaults]);
		if (rc)
			return rc;
		sc->nfaults++;
	}
	return RMC_OK;
}

int
fault_rule_parse_cli(const struct scenario *sc, const char *spec, struct fault_rule *out, char *err,
		     size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct scn_rd rd = {.doc = &doc, .path = "--fault", .err = err, .errlen = errlen, .sc = sc};
	int rc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)spec, strlen(spec));
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "--fault:%lu: YAML syntax: %s",
			 (unsigned long)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "unreadable");
		yaml_parser_delete(&parser);
		return RMC_EINVAL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root)
		rc = scn_rd_fail(&rd, NULL, "faults", "empty fault");
	else
		rc = load_rule(&rd, root, true, out);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int
scenario_fault_append(struct scenario *sc, const struct fault_rule *r)
{
	if (sc->nfaults >= UINT16_MAX)
		return RMC_ENOSPC;
	struct fault_rule *v = realloc(sc->faults, (sc->nfaults + 1) * sizeof(*v));
	if (!v)
		return RMC_ENOMEM;
	sc->faults = v;
	sc->faults[sc->nfaults++] = *r;
	return RMC_OK;
}
