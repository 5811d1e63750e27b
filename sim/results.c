#include "sim/results.h"

#include <stdio.h>
#include <stdlib.h>

#include "proto/err.h"
#include "sim/json.h"
#include "sim/run_int.h"

static void
write_outcome(FILE *f, const struct req_outcome *o)
{
	fprintf(f, "\"verdict\": \"%s\", \"passed\": %u, \"failed\": %u, \"checks\": [",
		req_verdict_name(o->verdict), o->npass, o->nfail);
	for (size_t j = 0; j < o->nlines; j++)
		fprintf(f, "%s%d", j ? ", " : "", o->lines[j]);
	fprintf(f, "], \"observed\": ");
	if (o->verdict == REQ_PASS) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%u check(s) passed", o->npass);
		json_str(f, buf);
	} else {
		json_str(f, o->detail);
	}
}

/*
 * One entry per requirement this run touched (checked or declared N/A);
 * the untouched ones are NOT-TESTED, listed only in the suite's summary.
 */
static void
write_requirements(FILE *f, const struct run_result *res)
{
	size_t n, k = 0;
	const struct req *t = req_table(&n);
	fprintf(f, "  \"requirements\": [\n");
	for (size_t i = 0; i < n; i++) {
		if (res->req[i].verdict == REQ_NOT_TESTED)
			continue;
		fprintf(f, "%s    {\"id\": \"%s\", ", k++ ? ",\n" : "", t[i].id);
		write_outcome(f, &res->req[i]);
		fprintf(f, ", \"text\": ");
		json_str(f, t[i].text);
		fprintf(f, "}");
	}
	fprintf(f, "%s  ],\n  \"untagged\": {", k ? "\n" : "");
	write_outcome(f, &res->untagged);
	fprintf(f, "},\n");
}

static void
write_net(FILE *f, const struct run *r)
{
	json_t *net = r->net.ops->describe(&r->net);
	char *s = net ? json_dumps(net, JSON_PRESERVE_ORDER) : NULL;
	fprintf(f, "  \"net\": %s,\n", s ? s : "null");
	free(s);
	json_decref(net);
}

int
results_write(const struct run *r, const struct run_result *res, const struct verdict *v,
	      const char *path)
{
	const struct scenario *sc = r->sc;
	FILE *f = fopen(path, "w");
	if (!f)
		return RMC_EIO;
	fprintf(f, "{\n  \"schema\": \"rmcpsec-result/1\",\n  \"scenario\": ");
	json_str(f, sc->path);
	fprintf(f, ",\n  \"name\": ");
	json_str(f, sc->name);
	fprintf(f, ",\n  \"seed\": %llu,\n  \"duration_ns\": %llu,\n",
		(unsigned long long)res->seed, (unsigned long long)sc->duration);
	fprintf(f, "  \"profile\": \"%s\",\n", commit_profile_name(r->profile));
	write_net(f, r);
	fprintf(f, "  \"verdict\": \"%s\",\n  \"passed\": %zu,\n  \"failed\": %zu,\n",
		res->nfail ? "FAIL" : "PASS", res->npass, res->nfail);
	fprintf(f, "  \"observed\": ");
	json_str(f, res->observed);
	fprintf(f, ",\n");
	fprintf(f, "  \"replay\": ");
	char replay[2048];
	run_replay_command(sc, r->opts, res->seed, NULL, replay, sizeof(replay));
	json_str(f, replay);
	fprintf(f, ",\n  \"trace\": \"trace.pcap\",\n  \"frames\": %llu,\n  \"events\": %llu,\n",
		(unsigned long long)res->frames, (unsigned long long)res->events);
	fprintf(f, "  \"expectations\": [\n");
	for (size_t i = 0; i <= sc->nexpects; i++) {
		fprintf(f, "    {\"line\": %d, \"verdict\": \"%s\", \"what\": ",
			i < sc->nexpects ? sc->expects[i].line : 0, verdict_name(&v[i]));
		json_str(f, v[i].what);
		fprintf(f, ", \"observed\": ");
		json_str(f, v[i].detail);
		fprintf(f, "}%s\n", i < sc->nexpects ? "," : "");
	}
	fprintf(f, "  ],\n");
	write_requirements(f, res);
	fprintf(f, "  \"nodes\": [\n");
	for (size_t i = 0; i < sc->nnodes; i++) {
		const struct simnode *sn = &r->nodes[i];
		fprintf(f, "    {\"name\": ");
		json_str(f, sc->nodes[i].name);
		sn->ops->describe(sn, f);
		fprintf(f, "}%s\n", i + 1 < sc->nnodes ? "," : "");
	}
	fprintf(f, "  ],\n  \"events\": [\n");
	for (size_t i = 0; i < r->log.nnotes; i++) {
		const struct run_note *n = &r->log.notes[i];
		fprintf(f, "    {\"t_ns\": %llu, \"node\": ", (unsigned long long)n->t);
		json_str(f, sc->nodes[n->node].name);
		fprintf(f, ", \"event\": ");
		json_str(f, n->text);
		fprintf(f, "}%s\n", i + 1 < r->log.nnotes ? "," : "");
	}
	fprintf(f, "  ],\n");
	link_write_faults_json(f, &r->link, sc);
	fprintf(f, "\n}\n");
	return fclose(f) == 0 ? RMC_OK : RMC_EIO;
}
