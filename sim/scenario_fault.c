#include "sim/scenario_fault.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"

/* Parser state for one list (a file) or one rule (a command line). */
struct fl {
	yaml_document_t *doc;
	const char *path;
	char *err;
	size_t errlen;
	const struct scenario *sc;
	bool cli; /* a command-line rule has no line in the file */
};

static const struct {
	const char *name;
	enum fault_action action;
	const char *const *keys; /* besides the keys every rule of its family takes */
} ACTIONS[] = {
    {"drop", FAULT_DROP, (const char *const[]){NULL}},
    {"duplicate", FAULT_DUPLICATE, (const char *const[]){"copies", "delay", NULL}},
    {"delay", FAULT_DELAY, (const char *const[]){"delay", "jitter", NULL}},
    {"reorder", FAULT_REORDER, (const char *const[]){"after", "max_hold", NULL}},
    {"corrupt", FAULT_CORRUPT, (const char *const[]){"bits", "offset", NULL}},
    {"truncate", FAULT_TRUNCATE, (const char *const[]){"bytes", NULL}},
    {"partition", FAULT_PARTITION, (const char *const[]){"between", "and", NULL}},
    {"crash", FAULT_CRASH,
     (const char *const[]){"node", "at", "until", "at_commit_step", "since", "nth", "count", NULL}},
    {"hang", FAULT_HANG,
     (const char *const[]){"node", "at", "until", "at_commit_step", "since", "nth", "count", NULL}},
    {"clock_jump", FAULT_CLOCK_JUMP, (const char *const[]){"node", "at", "by", NULL}},
    {"power_loss", FAULT_POWER_LOSS,
     (const char *const[]){"client", "at", "at_commit_step", "nvram_byte", "since", "until", "nth",
			   "every", "count", NULL}},
};

/* Every link rule may say which frames, when, and how many. */
static const char *const LINK_KEYS[] = {
    "do",    "from",  "to",  "direction", "msg",   "via", "response", "msg_id",
    "since", "until", "nth", "every",	  "count", "p",	  "gilbert",  NULL};
static const char *const PARTITION_KEYS[] = {"do", "since", "until", NULL};
static const char *const NODE_KEYS[] = {"do", NULL};

static int
fail(struct fl *fl, const yaml_node_t *n, const char *field, const char *fmt, ...)
{
	char msg[SCN_ERR];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(fl->err, fl->errlen, "%s:%lu: field '%s': %s", fl->path,
		 n ? (unsigned long)n->start_mark.line + 1 : 0UL, field, msg);
	return RMC_EINVAL;
}

static yaml_node_t *
node_at(struct fl *fl, int i)
{
	return yaml_document_get_node(fl->doc, i);
}

static const char *
scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *
get(struct fl *fl, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *k = scalar(node_at(fl, p->key));
		if (k && strcmp(k, key) == 0)
			return node_at(fl, p->value);
	}
	return NULL;
}

static bool
listed(const char *const *keys, const char *k)
{
	for (; *keys; keys++)
		if (strcmp(*keys, k) == 0)
			return true;
	return false;
}

/* Unknown keys are errors: a typo must not silently disable a fault. */
static int
check_keys(struct fl *fl, yaml_node_t *map, const char *what, const char *const *common,
	   const char *const *own)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = node_at(fl, p->key);
		const char *k = scalar(kn);
		if (!k)
			return fail(fl, kn, "faults", "keys must be plain words");
		if (!listed(common, k) && !listed(own, k))
			return fail(fl, kn, k, "not a field of a %s fault", what);
	}
	return RMC_OK;
}

static int
want_str(struct fl *fl, yaml_node_t *map, const char *key, const char **out)
{
	yaml_node_t *n = get(fl, map, key);
	*out = NULL;
	if (!n)
		return RMC_OK;
	if (!(*out = scalar(n)) || !**out)
		return fail(fl, n, key, "expected a value");
	return RMC_OK;
}

static int
want_time(struct fl *fl, yaml_node_t *map, const char *key, uint64_t *out)
{
	const char *s;
	int rc = want_str(fl, map, key, &s);
	if (rc || !s)
		return rc;
	if (scn_parse_duration(s, out) != 0)
		return fail(fl, get(fl, map, key), key,
			    "bad time '%s' (a number with a unit: ns, us, ms, s, m, h)", s);
	return RMC_OK;
}

static int
want_uint(struct fl *fl, yaml_node_t *map, const char *key, uint64_t lo, uint64_t hi, uint64_t *out)
{
	const char *s;
	int rc = want_str(fl, map, key, &s);
	if (rc || !s)
		return rc;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || *s == '-' || v < lo || v > hi)
		return fail(fl, get(fl, map, key), key,
			    "expected an integer in %llu..%llu, got '%s'", (unsigned long long)lo,
			    (unsigned long long)hi, s);
	*out = v;
	return RMC_OK;
}

static int
want_u32(struct fl *fl, yaml_node_t *map, const char *key, uint64_t lo, uint64_t hi, uint32_t *out)
{
	uint64_t v = *out;
	int rc = want_uint(fl, map, key, lo, hi, &v);
	*out = (uint32_t)v;
	return rc;
}

static int
want_prob(struct fl *fl, yaml_node_t *map, const char *key, double *out)
{
	const char *s;
	int rc = want_str(fl, map, key, &s);
	if (rc || !s)
		return rc;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > 1)
		return fail(fl, get(fl, map, key), key, "expected a probability in 0..1, got '%s'",
			    s);
	*out = v;
	return RMC_OK;
}

/* A node name, or '*' (any) when star_ok. */
static int
want_node(struct fl *fl, yaml_node_t *map, const char *key, bool star_ok, int *idx)
{
	const char *s;
	int rc = want_str(fl, map, key, &s);
	if (rc || !s)
		return rc;
	if (star_ok && strcmp(s, "*") == 0) {
		*idx = FAULT_ANY_NODE;
		return RMC_OK;
	}
	if ((*idx = scenario_node(fl->sc, s)) < 0)
		return fail(fl, get(fl, map, key), key, "unknown node '%s'", s);
	return RMC_OK;
}

static int
load_msg(struct fl *fl, yaml_node_t *n, struct fault_match *m)
{
	const char *s;
	int rc = want_str(fl, n, "msg", &s);
	if (rc || !s)
		return rc;
	if (scn_msg_parse(s, &m->msg) == 0)
		return RMC_OK;
	char words[256];
	return fail(fl, get(fl, n, "msg"), "msg",
		    "unknown message '%s' (an ASF name such as presence_pong, %s)", s,
		    scn_msg_words(words, sizeof(words)));
}

static int
load_ike_fields(struct fl *fl, yaml_node_t *n, struct fault_match *m)
{
	const char *s;
	uint64_t id;
	int rc = want_str(fl, n, "response", &s);
	bool ike = m->msg.kinds == 1u << OBS_IKE;
	if (rc)
		return rc;
	if (s) {
		if (!ike)
			return fail(fl, get(fl, n, "response"), "response",
				    "only IKE messages are requests or responses");
		if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
			return fail(fl, get(fl, n, "response"), "response",
				    "expected true or false, got '%s'", s);
		m->response = s[0] == 't';
	}
	if (!get(fl, n, "msg_id"))
		return RMC_OK;
	if (!ike)
		return fail(fl, get(fl, n, "msg_id"), "msg_id",
			    "only IKE messages have a message ID");
	if ((rc = want_uint(fl, n, "msg_id", 0, UINT32_MAX, &id)))
		return rc;
	m->msg_id = (int64_t)id;
	return RMC_OK;
}

static int
load_match(struct fl *fl, yaml_node_t *n, struct fault_match *m)
{
	const char *s;
	int rc;
	if ((rc = want_node(fl, n, "from", true, &m->from)) ||
	    (rc = want_node(fl, n, "to", true, &m->to)) || (rc = load_msg(fl, n, m)) ||
	    (rc = load_ike_fields(fl, n, m)) || (rc = want_str(fl, n, "direction", &s)))
		return rc;
	if (s) {
		if (strcmp(s, "to_server") == 0)
			m->dir = FAULT_DIR_TO_SERVER;
		else if (strcmp(s, "to_client") == 0)
			m->dir = FAULT_DIR_TO_CLIENT;
		else if (strcmp(s, "any") != 0)
			return fail(fl, get(fl, n, "direction"), "direction",
				    "expected to_server, to_client or any, got '%s'", s);
	}
	if ((rc = want_str(fl, n, "via", &s)) || !s)
		return rc;
	enum scn_via via;
	if (scn_via_parse(s, &via) != 0)
		return fail(fl, get(fl, n, "via"), "via", "expected secure or clear, got '%s'", s);
	m->via = (uint8_t)via;
	return RMC_OK;
}

static int
load_gilbert(struct fl *fl, yaml_node_t *n, struct fault_gate *g)
{
	static const char *const keys[] = {"p_gb", "p_bg", "loss_good", "loss_bad", NULL};
	static const char *const none[] = {NULL};
	if (n->type != YAML_MAPPING_NODE)
		return fail(fl, n, "gilbert", "expected {p_gb, p_bg, loss_good, loss_bad}");
	int rc = check_keys(fl, n, "gilbert", keys, none);
	for (const char *const *k = keys; !rc && *k; k++)
		if (!get(fl, n, *k))
			rc = fail(fl, n, *k, "missing (Gilbert-Elliott needs all four)");
	g->gilbert = true;
	g->loss_bad = 1.0;
	if (!rc)
		rc = want_prob(fl, n, "p_gb", &g->p_gb);
	if (!rc)
		rc = want_prob(fl, n, "p_bg", &g->p_bg);
	if (!rc)
		rc = want_prob(fl, n, "loss_good", &g->loss_good);
	if (!rc)
		rc = want_prob(fl, n, "loss_bad", &g->loss_bad);
	return rc;
}

static int
load_gate(struct fl *fl, yaml_node_t *n, struct fault_gate *g)
{
	int rc;
	if ((rc = want_time(fl, n, "since", &g->from)) ||
	    (rc = want_time(fl, n, "until", &g->until)))
		return rc;
	if (g->from >= g->until)
		return fail(fl, get(fl, n, "until"), "until", "must come after since");
	if (g->from > fl->sc->duration)
		return fail(fl, get(fl, n, "since"), "since", "after the scenario's duration");
	if ((rc = want_u32(fl, n, "nth", 1, UINT32_MAX, &g->nth)) ||
	    (rc = want_u32(fl, n, "every", 1, UINT32_MAX, &g->every)) ||
	    (rc = want_u32(fl, n, "count", 1, UINT32_MAX, &g->count)))
		return rc;
	if (g->nth && (g->every || get(fl, n, "count")))
		return fail(fl, get(fl, n, "nth"), "nth", "nth picks one frame: no every or count");
	if ((rc = want_prob(fl, n, "p", &g->p)))
		return rc;
	yaml_node_t *ge = get(fl, n, "gilbert");
	if (!ge)
		return RMC_OK;
	if (get(fl, n, "p"))
		return fail(fl, ge, "gilbert", "give p (Bernoulli) or gilbert, not both");
	return load_gilbert(fl, ge, g);
}

static int
load_side(struct fl *fl, yaml_node_t *n, const char *key, uint64_t *set, bool star_ok)
{
	yaml_node_t *v = get(fl, n, key);
	if (!v)
		return fail(fl, n, key, "missing: a partition separates two lists of nodes");
	if (star_ok && scalar(v) && strcmp(scalar(v), "*") == 0) {
		for (size_t i = 0; i < fl->sc->nnodes && i < FAULT_SET_NODES; i++)
			fault_set_add(set, i);
		return RMC_OK;
	}
	if (v->type != YAML_SEQUENCE_NODE ||
	    v->data.sequence.items.top == v->data.sequence.items.start)
		return fail(fl, v, key, "expected a non-empty list of node names%s",
			    star_ok ? " or '*'" : "");
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = node_at(fl, *it);
		const char *name = scalar(e);
		int i = name ? scenario_node(fl->sc, name) : -1;
		if (i < 0)
			return fail(fl, e, key, "unknown node '%s'", name ? name : "?");
		if (i >= FAULT_SET_NODES)
			return fail(fl, e, key, "partitions name nodes among the first %d",
				    FAULT_SET_NODES);
		fault_set_add(set, (size_t)i);
	}
	return RMC_OK;
}

static int
load_partition(struct fl *fl, yaml_node_t *n, struct fault_rule *r)
{
	int rc = load_side(fl, n, "between", r->side_a, false);
	if (!rc)
		rc = load_side(fl, n, "and", r->side_b, true);
	if (rc)
		return rc;
	for (size_t w = 0; w < FAULT_SET_WORDS; w++) {
		r->side_b[w] &= ~r->side_a[w]; /* '*' means everyone else */
		if (r->side_b[w])
			return RMC_OK;
	}
	return fail(fl, get(fl, n, "and"), "and", "no node left on this side");
}

static int
load_link_params(struct fl *fl, yaml_node_t *n, struct fault_rule *r)
{
	int rc;
	switch (r->action) {
	case FAULT_DUPLICATE:
		if ((rc = want_u32(fl, n, "copies", 1, FAULT_MAX_COPIES - 1, &r->copies)))
			return rc;
		return want_time(fl, n, "delay", &r->delay_ns);
	case FAULT_DELAY:
		if (!get(fl, n, "delay"))
			return fail(fl, n, "delay", "missing: how long");
		if ((rc = want_time(fl, n, "delay", &r->delay_ns)))
			return rc;
		return want_time(fl, n, "jitter", &r->jitter_ns);
	case FAULT_REORDER:
		if ((rc = want_u32(fl, n, "after", 1, 1000, &r->after)) ||
		    (rc = want_time(fl, n, "max_hold", &r->max_hold_ns)))
			return rc;
		if (r->max_hold_ns == 0)
			return fail(fl, get(fl, n, "max_hold"), "max_hold", "must be above 0");
		return RMC_OK;
	case FAULT_CORRUPT:
		r->bits = 1;
		if ((rc = want_u32(fl, n, "bits", 1, FAULT_MAX_FLIPS, &r->bits)))
			return rc;
		return want_u32(fl, n, "offset", 0, 1599, &r->offset);
	case FAULT_TRUNCATE:
		if (!get(fl, n, "bytes"))
			return fail(fl, n, "bytes", "missing: how many bytes to keep");
		return want_u32(fl, n, "bytes", 1, 1599, &r->truncate_to);
	default:
		return RMC_OK;
	}
}

/* A signed duration: "-5s", "+2m", "30s". */
static int
want_jump(struct fl *fl, yaml_node_t *n, int64_t *by)
{
	const char *s;
	uint64_t ns;
	int rc = want_str(fl, n, "by", &s);
	if (rc)
		return rc;
	if (!s)
		return fail(fl, n, "by", "missing: how far the clock jumps (e.g. -5s, +1h)");
	bool neg = s[0] == '-';
	if (scn_parse_duration(s + (s[0] == '-' || s[0] == '+'), &ns) != 0 || ns == 0 ||
	    ns > (uint64_t)INT64_MAX)
		return fail(fl, get(fl, n, "by"), "by", "bad jump '%s' (e.g. -5s, +1h)", s);
	*by = neg ? -(int64_t)ns : (int64_t)ns;
	return RMC_OK;
}

static int
want_at(struct fl *fl, yaml_node_t *n, struct fault_rule *r, bool required)
{
	if (!get(fl, n, "at"))
		return required ? fail(fl, n, "at", "missing: when it happens") : RMC_OK;
	int rc = want_time(fl, n, "at", &r->at);
	if (rc)
		return rc;
	if (r->at > fl->sc->duration)
		return fail(fl, get(fl, n, "at"), "at", "after the scenario's duration");
	r->has_at = true;
	return RMC_OK;
}

static int
load_power_loss(struct fl *fl, yaml_node_t *n, struct fault_rule *r)
{
	const char *s;
	uint64_t byte;
	int rc;
	if (!get(fl, n, "client"))
		return fail(fl, n, "client", "missing: whose power fails");
	if ((rc = want_node(fl, n, "client", false, &r->node)))
		return rc;
	if (fl->sc->nodes[r->node].role != SCN_CLIENT)
		return fail(fl, get(fl, n, "client"), "client", "'%s' is not a client",
			    fl->sc->nodes[r->node].name);
	if ((rc = want_at(fl, n, r, false)) || (rc = want_str(fl, n, "at_commit_step", &s)))
		return rc;
	if (s) {
		static const char *const steps[] = {"ready", "ack", "confirm"};
		for (int i = 0; i < 3; i++)
			if (strcmp(s, steps[i]) == 0)
				r->step = (uint8_t)(FAULT_STEP_READY + i);
		if (r->step == FAULT_STEP_NONE)
			return fail(fl, get(fl, n, "at_commit_step"), "at_commit_step",
				    "expected ready, ack or confirm, got '%s'", s);
		if (get(fl, n, "at") || get(fl, n, "nvram_byte"))
			return fail(fl, get(fl, n, "at_commit_step"), "at_commit_step",
				    "a commit step is the moment: no at or nvram_byte with it");
		r->g.count = 1; /* once, unless the rule says otherwise */
		return load_gate(fl, n, &r->g);
	}
	if (get(fl, n, "since") || get(fl, n, "until") || get(fl, n, "nth") ||
	    get(fl, n, "every") || get(fl, n, "count"))
		return fail(fl, n, "at_commit_step",
			    "since, until, nth, every and count choose among commit steps");
	if (get(fl, n, "nvram_byte")) {
		if ((rc = want_uint(fl, n, "nvram_byte", 0, 65535, &byte)))
			return rc;
		r->nvram_byte = (long)byte;
		return RMC_OK; /* armed at `at`, 0 by default: the next NVRAM write is cut */
	}
	if (!r->has_at)
		return fail(fl, n, "at",
			    "missing: a power_loss needs at, at_commit_step or nvram_byte");
	return RMC_OK;
}

/*
 * A server that crashes or hangs right after its SA_ACK left (Fig. 6 row
 * 7's worst moment): a moment in the exchange, not a time, so a real-time
 * run (--net tap) meets it exactly as a virtual one does. Never recovers.
 */
static int
load_server_step(struct fl *fl, yaml_node_t *n, struct fault_rule *r)
{
	const char *s;
	int rc;
	if (fl->sc->nodes[r->node].role != SCN_SERVER)
		return fail(fl, get(fl, n, "at_commit_step"), "at_commit_step",
			    "'%s' is not a server; a client's commit step is a power_loss",
			    fl->sc->nodes[r->node].name);
	if ((rc = want_str(fl, n, "at_commit_step", &s)))
		return rc;
	if (strcmp(s, "ack") != 0)
		return fail(fl, get(fl, n, "at_commit_step"), "at_commit_step",
			    "a server reaches only ack (its SA_ACK left), got '%s'", s);
	if (get(fl, n, "at") || get(fl, n, "until"))
		return fail(fl, get(fl, n, "at_commit_step"), "at_commit_step",
			    "a commit step is the moment: no at or until with it");
	r->step = FAULT_STEP_ACK;
	r->g.count = 1; /* once, unless the rule says otherwise */
	return load_gate(fl, n, &r->g);
}

static int
load_node_fault(struct fl *fl, yaml_node_t *n, struct fault_rule *r)
{
	int rc;
	if (r->action == FAULT_POWER_LOSS)
		return load_power_loss(fl, n, r);
	if (!get(fl, n, "node"))
		return fail(fl, n, "node", "missing: which node");
	if ((rc = want_node(fl, n, "node", false, &r->node)))
		return rc;
	if (get(fl, n, "at_commit_step"))
		return load_server_step(fl, n, r);
	if (get(fl, n, "since") || get(fl, n, "nth") || get(fl, n, "count"))
		return fail(fl, n, "at_commit_step",
			    "since, nth and count choose among commit steps");
	if ((rc = want_at(fl, n, r, true)))
		return rc;
	if (r->action == FAULT_CLOCK_JUMP)
		return want_jump(fl, n, &r->by_ns);
	if ((rc = want_time(fl, n, "until", &r->recover_at)))
		return rc;
	if (r->recover_at <= r->at)
		return fail(fl, get(fl, n, "until"), "until", "must come after at");
	return RMC_OK;
}

static int
load_rule(struct fl *fl, yaml_node_t *n, struct fault_rule *r)
{
	const char *verb;
	size_t a;
	int rc;
	if (!n || n->type != YAML_MAPPING_NODE)
		return fail(fl, n, "faults",
			    "each fault is a mapping such as {do: drop, msg: "
			    "presence_pong, nth: 1}");
	fault_rule_defaults(r);
	r->line = fl->cli ? 0 : (int)n->start_mark.line + 1;
	if ((rc = want_str(fl, n, "do", &verb)))
		return rc;
	if (!verb)
		return fail(fl, n, "do", "missing: what the fault does");
	for (a = 0; a < sizeof(ACTIONS) / sizeof(ACTIONS[0]); a++)
		if (strcmp(ACTIONS[a].name, verb) == 0)
			break;
	if (a == sizeof(ACTIONS) / sizeof(ACTIONS[0]))
		return fail(fl, get(fl, n, "do"), "do",
			    "unknown fault '%s' (drop, duplicate, delay, reorder, corrupt, "
			    "truncate, partition, crash, hang, clock_jump, power_loss)",
			    verb);
	r->action = ACTIONS[a].action;
	const char *const *common = fault_action_is_node(r->action) ? NODE_KEYS
				    : r->action == FAULT_PARTITION  ? PARTITION_KEYS
								    : LINK_KEYS;
	if ((rc = check_keys(fl, n, verb, common, ACTIONS[a].keys)))
		return rc;
	if (fault_action_is_node(r->action))
		return load_node_fault(fl, n, r);
	if ((rc = load_gate(fl, n, &r->g)))
		return rc;
	if (r->action == FAULT_PARTITION)
		return load_partition(fl, n, r);
	if ((rc = load_match(fl, n, &r->m)))
		return rc;
	return load_link_params(fl, n, r);
}

int
scenario_load_faults(yaml_document_t *doc, yaml_node_t *list, const char *path, struct scenario *sc,
		     char *err, size_t errlen)
{
	struct fl fl = {.doc = doc, .path = path, .err = err, .errlen = errlen, .sc = sc};
	if (!list)
		return RMC_OK;
	if (list->type != YAML_SEQUENCE_NODE)
		return fail(&fl, list, "faults", "expected a list");
	size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	if (n > UINT16_MAX)
		return fail(&fl, list, "faults", "more than %d rules", UINT16_MAX);
	if (!(sc->faults = calloc(n ? n : 1, sizeof(*sc->faults))))
		return fail(&fl, list, "faults", "out of memory");
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++) {
		int rc = load_rule(&fl, node_at(&fl, *it), &sc->faults[sc->nfaults]);
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
	struct fl fl = {
	    .doc = &doc, .path = "--fault", .err = err, .errlen = errlen, .sc = sc, .cli = true};
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
		rc = fail(&fl, NULL, "faults", "empty fault");
	else
		rc = load_rule(&fl, root, out);
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
