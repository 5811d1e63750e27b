#include "sim/results.h"

#include <stdio.h>

#include <jansson.h>

#include "proto/err.h"
#include "sim/json_out.h"
#include "sim/run_int.h"

/*
 * Each builder returns a new object, or NULL when out of memory (whatever it
 * had built released). jansson's *_set_new and *_append_new take their
 * value's reference even when they fail, so a chain of them joined by ||
 * stops at the first failure and leaks nothing.
 */

static json_t *
int_array(const int *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_integer(v[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* The verdict, counts, checks and what was observed, added to obj. */
static int
add_outcome(json_t *obj, const struct req_outcome *o)
{
	char passed[64];
	snprintf(passed, sizeof(passed), "%u check(s) passed", o->npass);
	if (json_object_set_new(obj, "verdict", json_string(req_verdict_name(o->verdict))) ||
	    json_object_set_new(obj, "passed", json_integer(o->npass)) ||
	    json_object_set_new(obj, "failed", json_integer(o->nfail)) ||
	    json_object_set_new(obj, "checks", int_array(o->lines, o->nlines)) ||
	    json_object_set_new(obj, "observed",
				json_text(o->verdict == REQ_PASS ? passed : o->detail)))
		return RMC_ENOMEM;
	return RMC_OK;
}

static json_t *
requirement_json(const struct req *q, const struct req_outcome *o)
{
	json_t *e = json_object();
	if (json_object_set_new(e, "id", json_text(q->id)) || add_outcome(e, o) ||
	    json_object_set_new(e, "text", json_text(q->text))) {
		json_decref(e);
		return NULL;
	}
	return e;
}

/*
 * One entry per requirement this run touched (checked or declared N/A);
 * the untouched ones are NOT-TESTED, listed only in the suite's summary.
 */
static json_t *
requirements_json(const struct run_result *res)
{
	size_t n;
	const struct req *t = req_table(&n);
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (res->req[i].verdict != REQ_NOT_TESTED &&
		    json_array_append_new(a, requirement_json(&t[i], &res->req[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
untagged_json(const struct run_result *res)
{
	json_t *e = json_object();
	if (add_outcome(e, &res->untagged)) {
		json_decref(e);
		return NULL;
	}
	return e;
}

static json_t *
expectation_json(int line, const struct verdict *v)
{
	json_t *e = json_object();
	if (json_object_set_new(e, "line", json_integer(line)) ||
	    json_object_set_new(e, "verdict", json_string(verdict_name(v))) ||
	    json_object_set_new(e, "what", json_text(v->what)) ||
	    json_object_set_new(e, "observed", json_text(v->detail))) {
		json_decref(e);
		return NULL;
	}
	return e;
}

/* One per expect: item, then line 0: the trace verifier's verdict. */
static json_t *
expectations_json(const struct scenario *sc, const struct verdict *v)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i <= sc->nexpects; i++) {
		int line = i < sc->nexpects ? sc->expects[i].line : 0;
		if (json_array_append_new(a, expectation_json(line, &v[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Its name, then what its player shows of it. */
static json_t *
node_json(const struct simnode *sn)
{
	json_t *e = json_object();
	if (json_object_set_new(e, "name", json_text(sn->run->sc->nodes[sn->idx].name)) ||
	    sn->ops->describe(sn, e)) {
		json_decref(e);
		return NULL;
	}
	return e;
}

static json_t *
nodes_json(const struct run *r)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->sc->nnodes; i++)
		if (json_array_append_new(a, node_json(&r->nodes[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
note_json(const struct scenario *sc, const struct run_note *n)
{
	json_t *e = json_object();
	if (json_object_set_new(e, "t_ns", json_u64(n->t)) ||
	    json_object_set_new(e, "node", json_text(sc->nodes[n->node].name)) ||
	    json_object_set_new(e, "event", json_text(n->text))) {
		json_decref(e);
		return NULL;
	}
	return e;
}

/* results.json's "events": what the nodes reported, in virtual time. */
static json_t *
notes_json(const struct run *r)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->log.nnotes; i++)
		if (json_array_append_new(a, note_json(r->sc, &r->log.notes[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/*
 * results.json's "injections" (only in a run that has some): each of the
 * adversary's frames, its number in the trace, or why it was not made.
 */
static json_t *
injections_json(const struct run *r)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->sc->ninjects; i++) {
		const struct scn_inject *in = &r->sc->injects[i];
		const struct adv_record *rec = &r->adv.rec[i];
		json_t *e = json_pack("{s:o, s:i, s:b, s:o, s:o}", "name", json_text(in->name),
				      "line", in->line, "made", rec->made, "frame",
				      json_u64(rec->frame_no), "t_ns", json_u64(rec->t));
		if (e && !rec->made && json_object_set_new(e, "why", json_text(rec->why)))
			e = NULL;
		if (!e || json_array_append_new(a, e)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
results_json(const struct run *r, const struct run_result *res, const struct verdict *v)
{
	const struct scenario *sc = r->sc;
	char replay[2048];
	run_replay_command(sc, r->opts, res->seed, NULL, replay, sizeof(replay));
	json_t *o = json_object();
	if (json_object_set_new(o, "schema", json_string("rmcpsec-result/1")) ||
	    json_object_set_new(o, "scenario", json_text(sc->path)) ||
	    json_object_set_new(o, "name", json_text(sc->name)) ||
	    json_object_set_new(o, "seed", json_u64(res->seed)) ||
	    json_object_set_new(o, "duration_ns", json_u64(sc->duration)) ||
	    json_object_set_new(o, "profile", json_string(commit_profile_name(r->profile))) ||
	    json_object_set_new(o, "net", r->net.ops->describe(&r->net)) ||
	    json_object_set_new(o, "verdict", json_string(res->nfail ? "FAIL" : "PASS")) ||
	    json_object_set_new(o, "passed", json_u64(res->npass)) ||
	    json_object_set_new(o, "failed", json_u64(res->nfail)) ||
	    json_object_set_new(o, "observed", json_text(res->observed)) ||
	    json_object_set_new(o, "replay", json_text(replay)) ||
	    json_object_set_new(o, "trace", json_string("trace.pcap")) ||
	    json_object_set_new(o, "frames", json_u64(res->frames)) ||
	    json_object_set_new(o, "engine_events", json_u64(res->events)) ||
	    json_object_set_new(o, "expectations", expectations_json(sc, v)) ||
	    json_object_set_new(o, "requirements", requirements_json(res)) ||
	    json_object_set_new(o, "untagged", untagged_json(res)) ||
	    json_object_set_new(o, "nodes", nodes_json(r)) ||
	    json_object_set_new(o, "events", notes_json(r)) ||
	    json_object_set_new(o, "faults", link_faults_json(&r->link, sc)) ||
	    json_object_set_new(o, "fault_rules", link_fault_rules_json(&r->link)) ||
	    (sc->ninjects && json_object_set_new(o, "injections", injections_json(r)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
results_write(const struct run *r, const struct run_result *res, const struct verdict *v,
	      const char *path)
{
	json_t *doc = results_json(r, res, v);
	if (!doc)
		return RMC_ENOMEM;
	int rc = json_out_path(doc, path) ? RMC_EIO : RMC_OK;
	json_decref(doc);
	return rc;
}
