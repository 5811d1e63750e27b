#include <stdio.h>

#include "cli/suite.h"
#include "sim/json_out.h"

static const char *
run_verdict(const struct run_result *r)
{
	return r->nfail ? "FAIL" : "PASS";
}

void
suite_aggregate(const struct suite_run *runs, size_t n, struct req_agg agg[REQ_MAX])
{
	size_t nreq;
	req_table(&nreq);
	for (size_t k = 0; k < nreq; k++) {
		struct req_agg *a = &agg[k];
		*a = (struct req_agg){0};
		for (size_t i = 0; i < n; i++) {
			enum req_verdict v = runs[i].res.req[k].verdict;
			a->pass += v == REQ_PASS;
			a->fail += v == REQ_FAIL;
			a->na += v == REQ_NA;
		}
		a->verdict = a->fail   ? REQ_FAIL
			     : a->pass ? REQ_PASS
			     : a->na   ? REQ_NA
				       : REQ_NOT_TESTED;
	}
}

static json_t *
scenario_json(const struct suite_run *r)
{
	json_t *o = json_object();
	if (json_object_set_new(o, "scenario", json_text(r->sc.path)) ||
	    json_object_set_new(o, "name", json_text(r->sc.name)) ||
	    json_object_set_new(o, "seed", json_u64(r->res.seed)) ||
	    json_object_set_new(o, "verdict", json_string(run_verdict(&r->res))) ||
	    json_object_set_new(o, "passed", json_u64(r->res.npass)) ||
	    json_object_set_new(o, "failed", json_u64(r->res.nfail)) ||
	    json_object_set_new(o, "results", json_text(r->outdir)) ||
	    json_object_set_new(o, "replay", json_text(r->replay))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
scenarios_json(const struct suite_run *runs, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, scenario_json(&runs[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
verdict_in_json(const struct suite_run *r, enum req_verdict v)
{
	json_t *o = json_object();
	if (json_object_set_new(o, "scenario", json_text(r->sc.path)) ||
	    json_object_set_new(o, "verdict", json_string(req_verdict_name(v)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Each scenario that touched requirement k, with its verdict there. */
static json_t *
touched_json(size_t k, const struct suite_run *runs, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		enum req_verdict v = runs[i].res.req[k].verdict;
		if (v != REQ_NOT_TESTED && json_array_append_new(a, verdict_in_json(&runs[i], v))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
requirement_json(const struct req *q, size_t k, const struct req_agg *a,
		 const struct suite_run *runs, size_t n)
{
	json_t *o = json_object();
	if (json_object_set_new(o, "id", json_text(q->id)) ||
	    json_object_set_new(o, "verdict", json_string(req_verdict_name(a->verdict))) ||
	    json_object_set_new(o, "passed", json_u64(a->pass)) ||
	    json_object_set_new(o, "failed", json_u64(a->fail)) ||
	    json_object_set_new(o, "not_applicable", json_u64(a->na)) ||
	    json_object_set_new(o, "source", json_text(q->source)) ||
	    json_object_set_new(o, "scenarios", touched_json(k, runs, n))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Every requirement of the catalogue, in its order. */
static json_t *
requirements_json(const struct suite_run *runs, size_t n, const struct req_agg agg[REQ_MAX])
{
	size_t nreq;
	const struct req *t = req_table(&nreq);
	json_t *a = json_array();
	for (size_t k = 0; a && k < nreq; k++)
		if (json_array_append_new(a, requirement_json(&t[k], k, &agg[k], runs, n))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int
suite_write_summary(const char *path, const struct suite_run *runs, size_t n,
		    const struct req_agg agg[REQ_MAX])
{
	size_t failed = 0;
	for (size_t i = 0; i < n; i++)
		failed += runs[i].res.nfail != 0;
	json_t *o = json_object();
	if (json_object_set_new(o, "schema", json_string("rmcpsec-summary/1")) ||
	    json_object_set_new(o, "verdict", json_string(failed ? "FAIL" : "PASS")) ||
	    json_object_set_new(o, "passed", json_u64(n - failed)) ||
	    json_object_set_new(o, "failed", json_u64(failed)) ||
	    json_object_set_new(o, "scenarios", scenarios_json(runs, n)) ||
	    json_object_set_new(o, "requirements", requirements_json(runs, n, agg))) {
		json_decref(o);
		return -1;
	}
	int rc = json_out_path(o, path);
	json_decref(o);
	return rc;
}

void
suite_print_requirements(FILE *f, const struct suite_run *runs, size_t n,
			 const struct req_agg agg[REQ_MAX])
{
	size_t nreq;
	const struct req *t = req_table(&nreq);
	fprintf(f, "\n%-36s %-10s %5s %5s %5s\n", "requirement", "verdict", "pass", "fail", "n/a");
	for (size_t k = 0; k < nreq; k++) {
		const struct req_agg *a = &agg[k];
		fprintf(f, "%-36s %-10s %5zu %5zu %5zu\n", t[k].id, req_verdict_name(a->verdict),
			a->pass, a->fail, a->na);
		for (size_t i = 0; a->fail && i < n; i++)
			if (runs[i].res.req[k].verdict == REQ_FAIL)
				fprintf(f, "    failed in %s\n", runs[i].sc.path);
	}
}
