#include <stdio.h>

#include "cli/suite.h"
#include "sim/json.h"

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

static void
write_scenarios(FILE *f, const struct suite_run *runs, size_t n)
{
	fprintf(f, "  \"scenarios\": [\n");
	for (size_t i = 0; i < n; i++) {
		const struct suite_run *r = &runs[i];
		fprintf(f, "    {\"scenario\": ");
		json_str(f, r->sc.path);
		fprintf(f, ", \"name\": ");
		json_str(f, r->sc.name);
		fprintf(f,
			", \"seed\": %llu, \"verdict\": \"%s\", \"passed\": %zu, \"failed\": %zu, "
			"\"results\": ",
			(unsigned long long)r->res.seed, run_verdict(&r->res), r->res.npass,
			r->res.nfail);
		json_str(f, r->outdir);
		fprintf(f, ", \"replay\": ");
		json_str(f, r->replay);
		fprintf(f, "}%s\n", i + 1 < n ? "," : "");
	}
	fprintf(f, "  ],\n");
}

static void
write_requirement(FILE *f, const struct req *q, size_t k, const struct req_agg *a,
		  const struct suite_run *runs, size_t n)
{
	fprintf(f, "    {\"id\": \"%s\", \"verdict\": \"%s\", \"passed\": %zu, \"failed\": %zu, ",
		q->id, req_verdict_name(a->verdict), a->pass, a->fail);
	fprintf(f, "\"not_applicable\": %zu, \"source\": ", a->na);
	json_str(f, q->source);
	fprintf(f, ", \"scenarios\": [");
	for (size_t i = 0, m = 0; i < n; i++) {
		enum req_verdict v = runs[i].res.req[k].verdict;
		if (v == REQ_NOT_TESTED)
			continue;
		fprintf(f, "%s{\"scenario\": ", m++ ? ", " : "");
		json_str(f, runs[i].sc.path);
		fprintf(f, ", \"verdict\": \"%s\"}", req_verdict_name(v));
	}
	fprintf(f, "]}");
}

int
suite_write_summary(const char *path, const struct suite_run *runs, size_t n,
		    const struct req_agg agg[REQ_MAX])
{
	size_t nreq, failed = 0;
	const struct req *t = req_table(&nreq);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (size_t i = 0; i < n; i++)
		failed += runs[i].res.nfail != 0;
	fprintf(f, "{\n  \"schema\": \"rmcpsec-summary/1\",\n");
	fprintf(f, "  \"verdict\": \"%s\",\n  \"passed\": %zu,\n  \"failed\": %zu,\n",
		failed ? "FAIL" : "PASS", n - failed, failed);
	write_scenarios(f, runs, n);
	fprintf(f, "  \"requirements\": [\n");
	for (size_t k = 0; k < nreq; k++) {
		write_requirement(f, &t[k], k, &agg[k], runs, n);
		fprintf(f, "%s\n", k + 1 < nreq ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	return fclose(f) == 0 ? 0 : -1;
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
