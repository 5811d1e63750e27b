/*
 * One run of a scenario, from set-up to results: the nodes and their
 * players (sim/run_setup.c, sim/player.h), the backend that carries the
 * frames (sim/net.h), the scenario's events (sim/run_step.c), then the
 * judge (sim/judge.c), the trace re-verified on its own (sim/trace_check),
 * the key files and results.json (sim/results.c).
 */
#include "sim/run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nodes/secure.h"
#include "pcap/keys.h"
#include "proto/err.h"
#include "proto/rd.h"
#include "sim/judge.h"
#include "sim/results.h"
#include "sim/run_int.h"
#include "sim/trace_check.h"

uint64_t
run_seed(const struct scenario *sc, const struct run_opts *o)
{
	if (o->seed_set)
		return o->seed;
	return sc->has_seed ? sc->seed : 1;
}

static int
mkdir_p(const char *dir)
{
	char tmp[1024];
	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* A fresh store per run: a run must not depend on what an earlier one left. */
static void
remove_store(const char *path)
{
	char p[1200];
	const char *suffix[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		remove(p);
	}
}

static int
open_traces(struct run *r, char *err, size_t errlen)
{
	const struct run_opts *o = r->opts;
	char path[1200];
	snprintf(path, sizeof(path), "%s/trace.pcap", o->outdir);
	if (!(r->trace = trace_open(path, err, errlen)))
		return RMC_EIO;
	for (size_t i = 0; o->per_node_pcap && i < r->sc->nnodes; i++) {
		snprintf(path, sizeof(path), "%s/%s.pcap", o->outdir, r->sc->nodes[i].name);
		if (!(r->nodes[i].pcap = trace_open(path, err, errlen)))
			return RMC_EIO;
	}
	return RMC_OK;
}

/* ---- key files: written after the run from the key log (pcap/keys.h) ---- */

/*
 * The SAs of one protocol of a NIC-role pair as seen on the wire: the
 * outbound one NIC -> server, then the inbound one server -> NIC; none when
 * the pair has no SA of that protocol. out has room for 2.
 */
static size_t
pair_key_lines(const struct sec_pair *p, enum sa_proto proto, uint32_t nic, uint32_t srv,
	       struct key_line *out)
{
	bool esp = proto == SA_PROTO_ESP;
	if (!(esp ? p->has_esp : p->has_ah))
		return 0;
	out[0] = (struct key_line){esp ? &p->esp_out : &p->ah_out, nic, srv};
	out[1] = (struct key_line){esp ? &p->esp_in : &p->ah_in, srv, nic};
	return 2;
}

/* One SA key file: every SA of the key log, its NIC-role pair (the observer's even entries). */
static int
export_sa_file(struct run *r, const char *name, enum sa_proto proto, char *err, size_t errlen)
{
	const struct scenario *sc = r->sc;
	char path[1200];
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/%s", r->opts->outdir, name);
	struct key_line *v = calloc(2 * r->log.nsas + 1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "%s: out of memory", path);
		return RMC_ENOMEM;
	}
	for (size_t k = 0; k < r->log.nsas; k++)
		n += pair_key_lines(r->obs.keys[2 * k].pair, proto,
				    sc->nodes[r->log.sas[k].client].ip,
				    get_be32(r->log.sas[k].sa.peer_ip), v + n);
	int rc = keys_write_sa_file(path, v, n, err, errlen);
	free(v);
	return rc;
}

/* Wireshark's IKEv2 decryption table: the lines the nodes recorded, in order. */
static int
export_ike(struct run *r, char *err, size_t errlen)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/ikev2_decryption_table", r->opts->outdir);
	const char **lines = calloc(r->log.nike + 1, sizeof(*lines));
	if (!lines) {
		snprintf(err, errlen, "%s: out of memory", path);
		return RMC_ENOMEM;
	}
	for (size_t i = 0; i < r->log.nike; i++)
		lines[i] = r->log.ike_lines[i];
	int rc = keys_write_ike_table(path, lines, r->log.nike, err, errlen);
	free(lines);
	return rc;
}

/*
 * Key files beside the trace: esp_sa (Wireshark's ESP SA table, one line per
 * SA and direction), ah_sa (the same form for AH, for `rmcpsec verify`) and
 * ikev2_decryption_table (docs/users/wireshark.md).
 */
static int
export_keys(struct run *r, char *err, size_t errlen)
{
	const struct scenario *sc = r->sc;
	if (!sc->security.enabled)
		return RMC_OK;
	int rc = RMC_OK;
	if (sc->security.suite != MGMT_AH)
		rc = export_sa_file(r, "esp_sa", SA_PROTO_ESP, err, errlen);
	if (!rc && (sc->security.suite == MGMT_AH || sc->security.suite == MGMT_AH_ESP))
		rc = export_sa_file(r, "ah_sa", SA_PROTO_AH, err, errlen);
	if (!rc && sc->security.ike)
		rc = export_ike(r, err, errlen);
	return rc;
}

/* ---- set-up and tear-down ---- */

static int (*const net_open[])(struct net *, const struct net_cfg *, char *, size_t) = {
    [RUN_NET_VIRTUAL] = net_open_virtual,
    [RUN_NET_TAP] = net_open_tap,
    [RUN_NET_NODE] = net_open_wire,
};

struct run *
run_new(const struct scenario *sc, const struct run_opts *o)
{
	struct run *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->sc = sc;
	r->opts = o;
	r->seed = run_seed(sc, o);
	r->end = sc->duration;
	r->profile = o->profile ? (enum commit_profile)(o->profile - 1) : sc->security.profile;
	r->mutant = (enum mutant)o->mutant;
	r->timing = sc->security.timing;
	rng_seed(&r->rng, r->seed);
	obs_log_init(&r->obs);
	snprintf(r->store_path, sizeof(r->store_path), "%s/store.sqlite", o->outdir);
	return r;
}

int
run_open(struct run *r, bool timeline, char *err, size_t errlen)
{
	const struct scenario *sc = r->sc;
	const struct run_opts *o = r->opts;
	int rc;
	if (mkdir_p(o->outdir) != 0) {
		snprintf(err, errlen, "%s: %s", o->outdir, strerror(errno));
		return RMC_EIO;
	}
	remove_store(r->store_path);
	if ((rc = engine_init(&r->eng, 1024)) ||
	    (rc = link_init(&r->link, sc, r->seed, &r->net, &r->eng, &r->obs)) ||
	    (rc = adversary_init(&r->adv, sc))) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	if ((rc = run_nodes_init(r))) {
		snprintf(err, errlen, "node set-up failed: %s", rmc_strerror(rc));
		return rc;
	}
	if ((rc = run_log_provisioned(r)) || (rc = open_traces(r, err, errlen)) ||
	    (rc = run_schedule(r, timeline, err, errlen)))
		return rc;
	for (size_t i = 0; i < sc->nnodes; i++)
		if ((rc = r->nodes[i].ops->begin(&r->nodes[i], err, errlen)))
			return rc;
	struct net_port *ports = calloc(sc->nnodes, sizeof(*ports));
	if (!ports) {
		snprintf(err, errlen, "out of memory");
		return RMC_ENOMEM;
	}
	for (size_t i = 0; i < sc->nnodes; i++)
		ports[i] =
		    (struct net_port){.name = sc->nodes[i].name,
				      .link = sc->link,
				      .device_iface = r->nodes[i].ops->device ? o->iface : NULL};
	struct net_cfg cfg = {.ports = ports,
			      .nports = sc->nnodes,
			      .eng = &r->eng,
			      .link = &r->link,
			      .hooks = run_net_hooks(r),
			      .node = o->node,
			      .iface = o->iface,
			      .attach_tap = o->node_tap,
			      .watch = r->watch};
	rc = net_open[o->net](&r->net, &cfg, err, errlen);
	free(ports);
	r->clear.w.known = sc->security.enabled;
	clear_track_step(r);
	return rc;
}

void
run_free(struct run *r)
{
	if (!r)
		return;
	if (r->trace)
		trace_close(r->trace);
	net_close(&r->net);
	run_nodes_fini(r);
	link_fini(&r->link);
	adversary_fini(&r->adv);
	engine_fini(&r->eng);
	obs_log_fini(&r->obs);
	run_log_fini(&r->log);
	clear_track_fini(&r->clear);
	free(r);
}

int
run_play(struct run *r, struct run_result *res, char *err, size_t errlen)
{
	int rc = r->net.ops->run(&r->net, r->end, &res->events, err, errlen);
	if (rc)
		return rc;
	res->end_ns = engine_now(&r->eng);
	adversary_end(r);
	res->frames = r->obs.n;
	if (!r->io_error)
		r->io_error = r->link.error ? r->link.error : r->net.error;
	if (r->io_error) {
		snprintf(err, errlen, "run failed: %s",
			 r->error[0] ? r->error : rmc_strerror(r->io_error));
		return r->io_error;
	}
	for (size_t i = 0; i < r->sc->nnodes; i++)
		if ((rc = r->nodes[i].ops->finish(&r->nodes[i], err, errlen)))
			return rc;
	rc = trace_close(r->trace);
	r->trace = NULL;
	if (rc)
		snprintf(err, errlen, "%s/trace.pcap: write failed", r->opts->outdir);
	return rc ? rc : export_keys(r, err, errlen);
}

/* Every expectation judged, the trace re-verified; the verdicts counted. */
static int
run_judge(struct run *r, struct verdict *v, struct trace_findings *tf, struct run_result *res,
	  char *err, size_t errlen)
{
	const struct scenario *sc = r->sc;
	for (size_t i = 0; i < sc->nexpects; i++)
		judge(r, &sc->expects[i], &v[i]);
	/* One more verdict on every run: the trace, re-checked with no help from the nodes. */
	struct verdict *tv = &v[sc->nexpects];
	snprintf(tv->what, sizeof(tv->what), "trace verifies independently (docs/users/verify.md)");
	clear_track_end(r);
	uint64_t *forged = calloc(sc->ninjects + 1, sizeof(*forged));
	size_t nforged = 0;
	if (!forged) {
		snprintf(err, errlen, "out of memory");
		return RMC_ENOMEM;
	}
	for (size_t i = 0; i < sc->ninjects; i++)
		if (r->adv.rec[i].made)
			forged[nforged++] = r->adv.rec[i].frame_no;
	int rc = trace_check_windows(sc, r->opts->outdir, &r->clear.w, forged, nforged, &tv->pass,
				     tv->detail, sizeof(tv->detail), tf);
	free(forged);
	if (rc) {
		snprintf(err, errlen, "%s/trace.pcap: %s", r->opts->outdir, tv->detail);
		return rc;
	}
	for (size_t i = 0; i <= sc->nexpects; i++) {
		if (r->na[0]) { /* the scenario could not be played as written */
			v[i].na = true;
			snprintf(v[i].detail, sizeof(v[i].detail), "N/A: %s", r->na);
		}
		if (!v[i].na)
			v[i].pass ? res->npass++ : res->nfail++;
	}
	judge_summarize(r, res);
	judge_requirements(r, v, tf, res);
	return RMC_OK;
}

static void
report(const struct run *r, const struct verdict *v, FILE *log)
{
	if (!log)
		return;
	for (size_t i = 0; i <= r->sc->nexpects; i++)
		fprintf(log, "  %s  %s:%d  %s — %s\n", verdict_name(&v[i]), r->sc->path,
			i < r->sc->nexpects ? r->sc->expects[i].line : 0, v[i].what, v[i].detail);
}

int
run_scenario(const struct scenario *sc, const struct run_opts *o, struct run_result *res, char *err,
	     size_t errlen)
{
	struct run *r = run_new(sc, o);
	struct verdict *v = calloc(sc->nexpects + 1, sizeof(*v));
	struct trace_findings *tf = calloc(1, sizeof(*tf));
	int rc = RMC_ENOMEM;
	memset(res, 0, sizeof(*res));
	if (!r || !v || !tf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	res->seed = r->seed;
	if ((rc = run_open(r, true, err, errlen)) || (rc = run_play(r, res, err, errlen)) ||
	    (rc = run_judge(r, v, tf, res, err, errlen)))
		goto out;
	report(r, v, o->log);
	char path[1200];
	snprintf(path, sizeof(path), "%s/results.json", o->outdir);
	if ((rc = results_write(r, res, v, path)))
		snprintf(err, errlen, "%s: cannot write", path);
out:
	run_free(r);
	free(v);
	free(tf);
	return rc;
}
