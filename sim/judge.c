#include "sim/judge.h"

#include <stdio.h>
#include <string.h>

#include "proto/ikev2.h"
#include "proto/rmcp.h"
#include "sim/judge_refresh.h"
#include "sim/run_int.h"
#include "sim/scenario_inject.h"

const char *
verdict_name(const struct verdict *v)
{
	return v->na ? "N/A" : v->pass ? "PASS" : "FAIL";
}

static const char *
node_name(const struct scenario *sc, int i)
{
	return i >= 0 ? sc->nodes[i].name : "*";
}

static void
describe_pattern(const struct scenario *sc, const struct scn_pattern *p, char *buf, size_t cap)
{
	const char *msg = scn_msg_name(p);
	int n = snprintf(buf, cap, "%s %s->%s", msg, node_name(sc, p->from), node_name(sc, p->to));
	if (p->port >= 0 && n > 0 && (size_t)n < cap)
		snprintf(buf + n, cap - (size_t)n, " port %d", p->port);
}

/* A field the node's player could not show: the check is N/A, said so. */
static void
not_shown(const struct node_snap *s, struct verdict *v)
{
	v->na = true;
	snprintf(v->detail, sizeof(v->detail), "N/A: %s did not report it",
		 s->unseen ? "the DUT's adapter" : "the node");
}

static void
judge_seen(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	size_t at = 0;
	char buf[96];
	int n = 0;
	snprintf(v->what, sizeof(v->what), "%zu message(s) seen in order", e->npat);
	for (size_t k = 0; k < e->npat; k++) {
		while (at < r->obs.n && !obs_match(&r->obs.v[at], &e->pat[k]))
			at++;
		if (at == r->obs.n) {
			describe_pattern(r->sc, &e->pat[k], buf, sizeof(buf));
			snprintf(v->detail, sizeof(v->detail), "%s (line %d) not seen%s", buf,
				 e->pat[k].line, k ? " after the earlier messages" : "");
			return;
		}
		if (n >= 0 && (size_t)n < sizeof(v->detail))
			n += snprintf(v->detail + n, sizeof(v->detail) - (size_t)n, "%s#%u",
				      k ? " " : "frames ", r->obs.v[at].frame_no);
		at++;
	}
	v->pass = true;
}

static void
judge_not_seen(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	char buf[96];
	describe_pattern(r->sc, &e->pat[0], buf, sizeof(buf));
	snprintf(v->what, sizeof(v->what), "never seen: %s", buf);
	v->pass = true;
	snprintf(v->detail, sizeof(v->detail), "none in %zu frames", r->obs.n);
	for (size_t i = 0; i < r->obs.n; i++)
		if (obs_match(&r->obs.v[i], &e->pat[0])) {
			v->pass = false;
			snprintf(v->detail, sizeof(v->detail), "seen at frame #%u",
				 r->obs.v[i].frame_no);
			return;
		}
}

static void
judge_power(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	const struct simnode *sn = &r->nodes[e->node];
	struct node_snap s;
	sn->ops->snapshot(sn, &s);
	snprintf(v->what, sizeof(v->what), "%s%s ends in power state %s",
		 r->sc->nodes[e->node].name, s.label, power_state_name(e->power));
	if (!s.has_power) {
		not_shown(&s, v);
		return;
	}
	snprintf(v->detail, sizeof(v->detail), "observed %s", power_state_name(s.power));
	v->pass = s.power == e->power;
}

static bool
windowed(const struct scn_expect *e)
{
	return e->after || (e->before && e->before != UINT64_MAX);
}

/* " between 20.000000 s and 25.000000 s", " after ...", " before ..." or "". */
static void
window_text(const struct scn_expect *e, char *buf, size_t cap)
{
	bool lo = e->after != 0, hi = e->before && e->before != UINT64_MAX;
	if (lo && hi)
		snprintf(buf, cap, " between %.6f s and %.6f s", e->after / 1e9, e->before / 1e9);
	else if (lo || hi)
		snprintf(buf, cap, " %s %.6f s", lo ? "from" : "before",
			 (lo ? e->after : e->before) / 1e9);
	else
		buf[0] = '\0';
}

/* How often the node carried out the command within the window, from the run log. */
static uint64_t
executed_within(const struct run *r, const struct scn_expect *e, uint64_t *first)
{
	uint64_t n = 0;
	*first = 0;
	for (size_t i = 0; i < r->log.nexecuted; i++) {
		const struct run_executed *x = &r->log.executed[i];
		if (x->node != (size_t)e->node || x->type != e->asf_type || x->t < e->after ||
		    (e->before && x->t >= e->before))
			continue;
		if (n++ == 0)
			*first = x->t;
	}
	return n;
}

static void
judge_executed(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	const struct simnode *sn = &r->nodes[e->node];
	const char *name = r->sc->nodes[e->node].name;
	struct node_snap s;
	char win[80];
	sn->ops->snapshot(sn, &s);
	window_text(e, win, sizeof(win));
	if (e->exact && e->count == 0 && win[0])
		snprintf(v->what, sizeof(v->what), "%s%s did not execute %s%s", name, s.label,
			 scn_asf_name(e->asf_type), win);
	else if (e->exact)
		snprintf(v->what, sizeof(v->what), "%s%s executed %s exactly %llu time(s)%s", name,
			 s.label, scn_asf_name(e->asf_type), (unsigned long long)e->count, win);
	else
		snprintf(v->what, sizeof(v->what), "%s%s executed %s%s", name, s.label,
			 scn_asf_name(e->asf_type), win);
	if (!s.has_executed || (windowed(e) && !s.has_exec_times)) {
		not_shown(&s, v);
		return;
	}
	uint64_t first = 0;
	uint64_t n =
	    windowed(e) ? executed_within(r, e, &first) : s.executed[e->asf_type - ASF_RESET];
	if (windowed(e) && n)
		snprintf(v->detail, sizeof(v->detail), "executed %llu time(s), first at %.6f s",
			 (unsigned long long)n, first / 1e9);
	else
		snprintf(v->detail, sizeof(v->detail), "executed %llu time(s)",
			 (unsigned long long)n);
	v->pass = e->exact ? n == e->count : n > 0;
}

enum { ANSWER_WITHIN = 2 * NS_PER_S }; /* an answer comes at once, or never */

/*
 * The client's first answer to injection i: a frame back to the address it
 * came from with its RMCP sequence number (an RMCP ACK), or its ASF tag too
 * (a response), within ANSWER_WITHIN of it. A protected frame the harness
 * cannot open, sent to that address in that time, may be an answer too:
 * *unopened tells the first such frame. NULL when none.
 */
static const struct obs *
find_answer(const struct run *r, size_t i, const struct obs **unopened)
{
	const struct scn_inject *in = &r->sc->injects[i];
	const struct adv_record *rec = &r->adv.rec[i];
	*unopened = NULL;
	for (size_t k = rec->frame_no; k < r->obs.n; k++) {
		const struct obs *o = &r->obs.v[k];
		if (o->t > rec->t + ANSWER_WITHIN)
			break;
		if (o->from != in->to || o->to != in->from || o->injected)
			continue;
		if (o->prot != OBS_CLEAR && !o->opened && !*unopened)
			*unopened = o;
		if (o->rmcp_seq != in->rmcp_seq)
			continue;
		if (o->kind == OBS_RMCP_ACK || (o->kind == OBS_ASF && o->tag == in->tag))
			return o;
	}
	return NULL;
}

static const char *
under_name(const struct obs *o)
{
	static const char *const roles[] = {"an SA it cannot place", "the active SA",
					    "the pending SA", "the previous SA", "an older SA"};
	if (o->prot == OBS_CLEAR)
		return "the clear";
	return o->opened && o->sa_role < 5 ? roles[o->sa_role] : "an SA the harness cannot open";
}

/* The injection did not happen as written: the check is N/A, with the reason. */
static bool
injection_missing(const struct run *r, size_t i, struct verdict *v)
{
	const struct adv_record *rec = &r->adv.rec[i];
	if (rec->made)
		return false;
	v->na = true;
	snprintf(v->detail, sizeof(v->detail), "N/A: injection %s: %s", r->sc->injects[i].name,
		 rec->why[0] ? rec->why : "not made");
	return true;
}

/* A lying IKE peer that never told its lie: its checks are N/A, with the reason. */
static bool
peer_missing(const struct run *r, size_t i, struct verdict *v)
{
	const struct scn_ike_peer *p = &r->sc->ike_peers[i];
	if (r->adv.ike[i].started)
		return false;
	v->na = true;
	snprintf(v->detail, sizeof(v->detail), "N/A: IKE peer %s: %s", p->name,
		 p->role == SCN_IKE_RESPONDER ? "the server started no exchange with it"
					      : "it could not start");
	return true;
}

/* The lying IKE peer got no answer to its lie: nothing after it (initiator), no next step. */
static void
judge_peer_no_answer(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	const struct scn_ike_peer *p = &r->sc->ike_peers[e->peer];
	const struct adv_ike *a = &r->adv.ike[e->peer];
	snprintf(v->what, sizeof(v->what), "%s does not answer IKE peer %s (%s)",
		 r->sc->nodes[p->role == SCN_IKE_INITIATOR ? p->client : p->server].name, p->name,
		 scn_ike_lie_name(p->lie));
	if (peer_missing(r, (size_t)e->peer, v))
		return;
	/* a responder's lie is answered when the server goes on past IKE_SA_INIT */
	bool init = p->role == SCN_IKE_INITIATOR;
	unsigned answers = init ? a->answers_after_lie : a->went_on;
	/* msgid lies after an honest exchange, whose CHILD_SA is no fault of the peer's; a
	 * responder's own CHILD_SA says nothing of what the server did with it */
	bool child = init && a->child_up && p->lie != SCN_LIE_MSGID;
	snprintf(v->detail, sizeof(v->detail), "%u answer(s) to it%s", answers,
		 child ? ", and a CHILD_SA came up" : "");
	v->pass = answers == 0 && !child;
}

/* The peer refused the lie with this notification, and no CHILD_SA came up. */
static void
judge_refused(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	const struct scn_ike_peer *p = &r->sc->ike_peers[e->peer];
	const struct adv_ike *a = &r->adv.ike[e->peer];
	snprintf(v->what, sizeof(v->what), "%s refuses IKE peer %s (%s) with %s",
		 r->sc->nodes[p->role == SCN_IKE_INITIATOR ? p->client : p->server].name, p->name,
		 scn_ike_lie_name(p->lie), ikev2_notify_name(e->notify));
	if (peer_missing(r, (size_t)e->peer, v))
		return;
	/* an initiator's CHILD_SA came up only if the peer took the lie */
	bool child = p->role == SCN_IKE_INITIATOR && a->child_up;
	if (a->refused)
		snprintf(v->detail, sizeof(v->detail), "refused with %s (%u)%s",
			 ikev2_notify_name(a->refused), a->refused,
			 child ? ", yet a CHILD_SA came up" : "");
	else
		snprintf(v->detail, sizeof(v->detail), "no notification refused it%s",
			 child ? "; a CHILD_SA came up" : "");
	v->pass = a->refused == e->notify && !child;
}

static void
judge_no_answer(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	if (e->peer >= 0 && e->inject < 0) {
		judge_peer_no_answer(r, e, v);
		return;
	}
	const struct scn_inject *in = &r->sc->injects[e->inject];
	const struct obs *un, *a;
	snprintf(v->what, sizeof(v->what), "%s does not answer injection %s (%s)",
		 r->sc->nodes[in->to].name, in->name, scn_asf_name(in->asf_type));
	if (injection_missing(r, (size_t)e->inject, v))
		return;
	if ((a = find_answer(r, (size_t)e->inject, &un))) {
		snprintf(v->detail, sizeof(v->detail), "frame #%u answers frame #%u (%s, under %s)",
			 a->frame_no, r->adv.rec[e->inject].frame_no,
			 a->kind == OBS_RMCP_ACK ? "RMCP ACK" : "ASF response", under_name(a));
		return;
	}
	if (un) {
		snprintf(v->detail, sizeof(v->detail),
			 "frame #%u went back under an SA the harness cannot open: maybe an answer",
			 un->frame_no);
		return;
	}
	snprintf(v->detail, sizeof(v->detail), "no answer to frame #%u within %d s",
		 r->adv.rec[e->inject].frame_no, ANSWER_WITHIN / NS_PER_S);
	v->pass = true;
}

static void
judge_answered(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	static const char *const want[] = {[SCN_UNDER_ACTIVE] = "the active SA",
					   [SCN_UNDER_PREVIOUS] = "the previous SA",
					   [SCN_UNDER_CLEAR] = "the clear"};
	static const uint8_t role[] = {
	    [SCN_UNDER_ACTIVE] = OBS_ROLE_ACTIVE, [SCN_UNDER_PREVIOUS] = OBS_ROLE_PREVIOUS};
	const struct scn_inject *in = &r->sc->injects[e->inject];
	const struct obs *un, *a;
	snprintf(v->what, sizeof(v->what), "%s answers injection %s under %s",
		 r->sc->nodes[in->to].name, in->name, want[e->under]);
	if (injection_missing(r, (size_t)e->inject, v))
		return;
	if (!(a = find_answer(r, (size_t)e->inject, &un))) {
		snprintf(v->detail, sizeof(v->detail), "no answer to frame #%u%s",
			 r->adv.rec[e->inject].frame_no, un ? " the harness could open" : "");
		return;
	}
	snprintf(v->detail, sizeof(v->detail), "frame #%u answers under %s", a->frame_no,
		 under_name(a));
	v->pass = e->under == SCN_UNDER_CLEAR ? a->prot == OBS_CLEAR
					      : a->opened && a->sa_role == role[e->under];
}

static void
judge_sas(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	const struct simnode *sn = &r->nodes[e->node];
	struct node_snap s;
	sn->ops->snapshot(sn, &s);
	snprintf(v->what, sizeof(v->what), "%s%s's NIC committed %llu new SA(s)",
		 r->sc->nodes[e->node].name, s.label, (unsigned long long)e->count);
	if (!s.has_commits) {
		not_shown(&s, v);
		return;
	}
	snprintf(v->detail, sizeof(v->detail), "committed %llu", (unsigned long long)s.commits);
	v->pass = s.commits == e->count;
}

/* The server refreshed the client's SA on schedule, read from the wire (sim/judge_refresh.h). */
static void
judge_refreshed(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	const struct scn_security *sec = &r->sc->security;
	struct refresh_rule rule = {.refresh = sec->timing.refresh,
				    .slack = e->slack,
				    .max_age = UINT64_MAX,
				    .after = e->after,
				    .before = e->before < r->end ? e->before : r->end};
	char win[40]; /* " between 20.000000 s and 25.000000 s" */
	window_text(e, win, sizeof(win));
	if (sec->lifetime != UINT64_MAX)
		rule.max_age = sec->lifetime - sec->max_downtime;
	if (rule.max_age != UINT64_MAX)
		snprintf(v->what, sizeof(v->what),
			 "%s's SA refreshed every %g s + %g s, never older than %g s%s",
			 r->sc->nodes[e->node].name, rule.refresh / 1e9, rule.slack / 1e9,
			 rule.max_age / 1e9, win);
	else
		snprintf(v->what, sizeof(v->what), "%s's SA refreshed every %g s + %g s%s",
			 r->sc->nodes[e->node].name, rule.refresh / 1e9, rule.slack / 1e9, win);
	judge_refresh_schedule(r->obs.v, r->obs.n, e->node, &rule, v);
}

/* The server managing the client at the end: one serving, else a device that may. */
static const struct simnode *
serving_server(const struct run *r, struct node_snap *s)
{
	const struct simnode *device = NULL;
	for (size_t i = 0; i < r->sc->nnodes; i++) {
		const struct simnode *sn = &r->nodes[i];
		if (sn->role != SCN_SERVER)
			continue;
		sn->ops->snapshot(sn, s);
		if (s->serving)
			return sn;
		if (s->unseen && !device)
			device = sn;
	}
	if (device)
		device->ops->snapshot(device, s);
	return device;
}

/* The client's NIC and the serving server hold an SA both accept, each read from its own state. */
static void
judge_in_sync(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	const struct simnode *cn = &r->nodes[e->node];
	const char *name = r->sc->nodes[e->node].name;
	struct node_snap c, s;
	cn->ops->snapshot(cn, &c);
	const struct simnode *sv = serving_server(r, &s);
	snprintf(v->what, sizeof(v->what), "%s%s and its server%s %s the same SA", name, c.label,
		 sv ? s.label : "", e->in_sync ? "hold" : "do not hold");
	uint32_t srv = 0;
	if ((sv && !sv->ops->client_spi(sv, 0, name, &srv)) || !c.has_sa) {
		not_shown(sv && !c.unseen ? &s : &c, v);
		return;
	}
	uint32_t nic = c.spi_in;
	bool sync = nic && srv && (nic == srv || srv == c.spi_also[0] || srv == c.spi_also[1]);
	snprintf(v->detail, sizeof(v->detail), "NIC active SPI %08x, %s sends under %08x", nic,
		 !sv	    ? "no server"
		 : s.unseen ? "the DUT"
			    : r->sc->nodes[sv->idx].name,
		 srv);
	v->pass = sync == e->in_sync;
}

void
judge(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	switch (e->kind) {
	case SCN_EXPECT_POWER:
		judge_power(r, e, v);
		break;
	case SCN_EXPECT_EXECUTED:
		judge_executed(r, e, v);
		break;
	case SCN_EXPECT_IN_SYNC:
		judge_in_sync(r, e, v);
		break;
	case SCN_EXPECT_SAS:
		judge_sas(r, e, v);
		break;
	case SCN_EXPECT_SEEN:
		judge_seen(r, e, v);
		break;
	case SCN_EXPECT_NOT_SEEN:
		judge_not_seen(r, e, v);
		break;
	case SCN_EXPECT_NO_ANSWER:
		judge_no_answer(r, e, v);
		break;
	case SCN_EXPECT_ANSWERED:
		judge_answered(r, e, v);
		break;
	case SCN_EXPECT_REFUSED:
		judge_refused(r, e, v);
		break;
	case SCN_EXPECT_REFRESHED:
		judge_refreshed(r, e, v);
		break;
	}
}

void
judge_requirements(const struct run *r, const struct verdict *v, const struct trace_findings *tf,
		   struct run_result *res)
{
	const struct scenario *sc = r->sc;
	size_t n, servers = 0;
	req_table(&n);
	for (size_t k = 0; k < n; k++)
		if (sc->na[k].line)
			req_mark_na(&res->req[k], sc->na[k].reason);
	for (size_t i = 0; i < sc->nexpects; i++) {
		const struct scn_expect *e = &sc->expects[i];
		if (v[i].na) {
			for (size_t j = 0; j < e->nreq; j++)
				req_mark_na(&res->req[e->req[j]], v[i].detail);
			continue;
		}
		if (e->nreq == 0)
			req_add_check(&res->untagged, e->line, v[i].pass, v[i].what, v[i].detail);
		for (size_t j = 0; j < e->nreq; j++)
			req_add_check(&res->req[e->req[j]], e->line, v[i].pass, v[i].what,
				      v[i].detail);
	}
	const struct verdict *tv = &v[sc->nexpects];
	int k = req_index("REQ-TRACE-VERIFIES");
	if (k >= 0 && tv->na)
		req_mark_na(&res->req[k], tv->detail);
	else if (k >= 0)
		req_add_check(&res->req[k], 0, tv->pass, tv->what, tv->detail);
	for (size_t i = 0; i < sc->nnodes; i++)
		servers += sc->nodes[i].role == SCN_SERVER;
	req_add_verifier(res->req, tf, sc->security.enabled, servers);
}

/* What happened, counted from the observation log and the nodes' own state. */
void
judge_summarize(const struct run *r, struct run_result *res)
{
	uint64_t ike = 0, commit = 0, clear = 0, secure = 0, executed = 0, committed = 0;
	uint64_t takeovers = 0;
	unsigned clear_ports = 0; /* bit 0: 623, bit 1: another port */
	for (size_t i = 0; i < r->obs.n; i++) {
		const struct obs *o = &r->obs.v[i];
		if (o->injected)
			continue; /* the nodes' traffic, not the adversary's */
		ike += o->kind == OBS_IKE;
		commit += o->kind == OBS_COMMIT;
		secure += o->prot != OBS_CLEAR && o->opened;
		if (o->prot == OBS_CLEAR && (o->kind == OBS_ASF || o->kind == OBS_RMCP_ACK)) {
			clear++;
			clear_ports |= o->sport == 623 || o->dport == 623 ? 1u : 2u;
		}
	}
	for (size_t i = 0; i < r->sc->nnodes; i++) {
		struct node_snap s;
		r->nodes[i].ops->snapshot(&r->nodes[i], &s);
		for (size_t k = 0; k < SNAP_COMMANDS; k++)
			executed += s.executed[k];
		committed += s.commits;
		takeovers += s.takeovers;
	}
	snprintf(res->observed, sizeof(res->observed),
		 "IKE %llu msgs, %llu SAs committed (%llu commit msgs), %llu secure frames, "
		 "%llu clear RMCP%s, %llu commands executed%s",
		 (unsigned long long)ike, (unsigned long long)committed, (unsigned long long)commit,
		 (unsigned long long)secure, (unsigned long long)clear,
		 clear_ports == 1 ? " (port 623)"
		 : clear_ports	  ? " (not only 623)"
				  : "",
		 (unsigned long long)executed, takeovers ? ", secondary took over" : "");
}
