#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/scn_files.h"
#include "cli/suite.h"
#include "sim/coverage.h"
#include "sim/net.h"
#include "sim/run.h"
#include "sim/scenario.h"

/* out/<path relative to the suite dir, without .yaml> */
static void
outdir_for(const char *root, const char *suite, const char *path, char *buf, size_t cap)
{
	const char *rel = path + strlen(suite);
	while (*rel == '/')
		rel++;
	snprintf(buf, cap, "%s/%.*s", root, (int)(strlen(rel) - strlen(".yaml")), rel);
}

/*
 * On a terminal, one status line on stderr that each scenario overwrites;
 * nothing at all when stderr is not a terminal (CI logs stay clean).
 */
enum { PROGRESS_PATH = 60 };

struct progress {
	bool on;
	size_t total;
};

static void
progress_clear(const struct progress *p)
{
	if (p->on)
		fputs("\r\033[K", stderr);
}

static void
progress_show(const struct progress *p, size_t done, const char *path, const char *state)
{
	if (!p->on)
		return;
	/* The tail of a long path: a line that wraps cannot be rewritten in place. */
	size_t len = strlen(path);
	const char *shown = len > PROGRESS_PATH ? path + len - PROGRESS_PATH : path;
	fprintf(stderr, "\r\033[K[%zu/%zu] %s%s %s", done, p->total, shown == path ? "" : "...",
		shown, state);
	fflush(stderr);
}

static int
run_one(struct suite_run *r, const char *root, const char *suite, const struct cli_opts *o,
	char *err, size_t errlen)
{
	outdir_for(root, suite, r->sc.path, r->outdir, sizeof(r->outdir));
	struct run_opts ro = {.seed = o->seed,
			      .seed_set = o->seed_set,
			      .outdir = r->outdir,
			      .per_node_pcap = o->per_node_pcap,
			      .profile = o->profile,
			      .mutant = o->mutant,
			      .fault_specs = o->faults,
			      .nfault_specs = o->nfaults,
			      .net = (enum run_net)o->net,
			      .iface = o->iface,
			      .dut = o->dut_role != 0,
			      .dut_control = o->dut_control,
			      .log = NULL};
	if (o->dut_role) {
		int d = cli_dut_node(o, &r->sc);
		if (d < 0) {
			snprintf(err, errlen, "no node for the DUT");
			return -1;
		}
		ro.node = (size_t)d;
	}
	int rc = run_scenario(&r->sc, &ro, &r->res, err, errlen);
	if (rc == 0 && run_replay_command(&r->sc, &ro, r->res.seed, r->outdir, r->replay,
					  sizeof(r->replay)) < 0)
		snprintf(r->replay, sizeof(r->replay), "(replay command too long: %s)", r->sc.path);
	return rc;
}

/* Every failing check, then the one command that replays the run. */
static void
print_failure(const struct suite_run *r)
{
	size_t nreq;
	const struct req *t = req_table(&nreq);
	for (size_t k = 0; k < nreq; k++)
		if (r->res.req[k].verdict == REQ_FAIL)
			printf("  FAIL %s: %s\n", t[k].id, r->res.req[k].detail);
	if (r->res.untagged.verdict == REQ_FAIL)
		printf("  FAIL (no requirement): %s\n", r->res.untagged.detail);
	printf("  replay: %s\n", r->replay);
}

static int
write_outputs(const char *root, const struct suite_run *runs, size_t n)
{
	struct req_agg agg[REQ_MAX];
	char path[1100];
	suite_aggregate(runs, n, agg);
	snprintf(path, sizeof(path), "%s/summary.json", root);
	if (suite_write_summary(path, runs, n, agg) != 0) {
		fprintf(stderr, "rmcpsec suite: cannot write %s\n", path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/junit.xml", root);
	if (suite_write_junit(path, runs, n) != 0) {
		fprintf(stderr, "rmcpsec suite: cannot write %s\n", path);
		return -1;
	}
	suite_print_requirements(stdout, runs, n, agg);
	return 0;
}

/* One line per scenario as it is known, in name order, and what failed. */
static void
print_row(const struct suite_run *r, int w, size_t *failed)
{
	const char *verdict = r->res.nfail ? "FAIL" : "PASS";
	printf("%-*s %-6s %8llu %6zu %6zu\n  observed: %s\n", w, r->sc.path, verdict,
	       (unsigned long long)r->res.seed, r->res.npass, r->res.nfail, r->res.observed);
	if (r->res.nfail) {
		(*failed)++;
		print_failure(r);
	}
	fflush(stdout);
}

static int
run_in_turn(struct suite_run *runs, size_t n, const char *root, const char *suite,
	    const struct cli_opts *o, int w, const struct progress *pg, size_t *failed)
{
	char err[SCN_ERR];
	for (size_t i = 0; i < n; i++) {
		struct suite_run *r = &runs[i];
		progress_show(pg, i, r->sc.path, "...");
		if (run_one(r, root, suite, o, err, sizeof(err)) != 0) {
			progress_clear(pg);
			fprintf(stderr, "rmcpsec: %s: %s\n", r->sc.path, err);
			return -1;
		}
		progress_clear(pg);
		print_row(r, w, failed);
		progress_show(pg, i + 1, r->sc.path, r->res.nfail ? "FAIL" : "PASS");
	}
	progress_clear(pg);
	return 0;
}

/* What a run's process hands back through its pipe. */
struct child_msg {
	int rc;
	char err[SCN_ERR];
	struct run_result res;
	char outdir[1200];
	char replay[2048];
};

struct child {
	pid_t pid;
	int fd;
	size_t idx;
};

static int
child_start(struct suite_run *r, size_t idx, const char *root, const char *suite,
	    const struct cli_opts *o, struct child *c)
{
	int p[2];
	if (pipe(p) != 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		static struct child_msg m;
		m.rc = run_one(r, root, suite, o, m.err, sizeof(m.err));
		m.res = r->res;
		memcpy(m.outdir, r->outdir, sizeof(m.outdir));
		memcpy(m.replay, r->replay, sizeof(m.replay));
		const char *b = (const char *)&m;
		for (size_t at = 0; at < sizeof(m);) {
			ssize_t k = write(p[1], b + at, sizeof(m) - at);
			if (k <= 0 && errno != EINTR)
				_exit(3);
			at += k > 0 ? (size_t)k : 0;
		}
		_exit(0);
	}
	close(p[1]);
	*c = (struct child){.pid = pid, .fd = p[0], .idx = idx};
	return 0;
}

/* Reads a child's result; -1 with a message when it died before sending it whole. */
static int
child_finish(struct suite_run *r, struct child *c)
{
	static struct child_msg m;
	size_t at = 0;
	while (at < sizeof(m)) {
		ssize_t k = read(c->fd, (char *)&m + at, sizeof(m) - at);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		at += (size_t)k;
	}
	close(c->fd);
	int st = 0;
	while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
		;
	if (at != sizeof(m)) {
		fprintf(stderr, "rmcpsec: %s: the run's process ended without a result (%s %d)\n",
			r->sc.path, WIFSIGNALED(st) ? "signal" : "status",
			WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		return -1;
	}
	if (m.rc != 0) {
		fprintf(stderr, "rmcpsec: %s: %s\n", r->sc.path, m.err);
		return -1;
	}
	r->res = m.res;
	memcpy(r->outdir, m.outdir, sizeof(r->outdir));
	memcpy(r->replay, m.replay, sizeof(r->replay));
	return 0;
}

/*
 * Each scenario in a process of its own, up to o->jobs at once (default:
 * all, for real-time runs, which wait on the clock, not the CPU; their
 * namespaces are named after the pid); the rows are printed in name order as
 * they become known.
 */
static int
run_forked(struct suite_run *runs, size_t n, const char *root, const char *suite,
	   const struct cli_opts *o, int w, const struct progress *pg, size_t *failed)
{
	/* there is one device under test: its scenarios take turns */
	size_t jobs = o->dut_role ? 1 : o->jobs ? o->jobs : n;
	size_t next = 0, done = 0, printed = 0, nact = 0;
	struct child act[64];
	bool *fin = calloc(n, sizeof(*fin));
	int rc = fin ? 0 : -1;
	if (jobs > 64)
		jobs = 64;
	while (rc == 0 && done < n) {
		while (nact < jobs && next < n) {
			if (child_start(&runs[next], next, root, suite, o, &act[nact]) != 0) {
				fprintf(stderr, "rmcpsec: cannot start a run: %s\n",
					strerror(errno));
				rc = -1;
				break;
			}
			next++;
			nact++;
		}
		if (rc != 0)
			break;
		struct pollfd pfd[64];
		for (size_t i = 0; i < nact; i++)
			pfd[i] = (struct pollfd){.fd = act[i].fd, .events = POLLIN};
		if (poll(pfd, nact, -1) < 0 && errno != EINTR) {
			rc = -1;
			break;
		}
		for (size_t i = 0; i < nact; i++) {
			if (!pfd[i].revents)
				continue;
			size_t idx = act[i].idx;
			if (child_finish(&runs[idx], &act[i]) != 0)
				rc = -1;
			fin[idx] = true;
			done++;
			act[i] = act[--nact];
			pfd[i] = pfd[nact];
			i--;
		}
		progress_clear(pg);
		while (rc == 0 && printed < n && fin[printed])
			print_row(&runs[printed++], w, failed);
		progress_show(pg, done, runs[printed < n ? printed : n - 1].sc.path, "...");
	}
	/* On an error the others still finish and clean up after themselves. */
	for (size_t i = 0; i < nact; i++)
		child_finish(&runs[act[i].idx], &act[i]);
	progress_clear(pg);
	free(fin);
	return rc;
}

static bool
selected(const struct scenario *sc, const struct cli_opts *o)
{
	for (size_t i = 0; i < o->nreqs; i++)
		if (coverage_judges(sc, o->reqs[i]))
			return true;
	return o->nreqs == 0;
}

/*
 * --req: keeps, in order, the runs whose scenario judges one of the
 * requirements, and frees the others' scenarios; how many are kept.
 */
static size_t
select_runs(struct suite_run *runs, size_t n, const struct cli_opts *o)
{
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (!selected(&runs[i].sc, o)) {
			scenario_free(&runs[i].sc);
			continue;
		}
		if (kept != i)
			runs[kept] = runs[i];
		kept++;
	}
	return kept;
}

/* "REQ-A, REQ-B": what --req asked for, for a message. */
static void
reqs_asked(const struct cli_opts *o, char *buf, size_t cap)
{
	size_t nreq, at = 0;
	const struct req *t = req_table(&nreq);
	buf[0] = 0;
	for (size_t i = 0; i < o->nreqs && at < cap; i++)
		at += (size_t)snprintf(buf + at, cap - at, "%s%s", i ? ", " : "", t[o->reqs[i]].id);
}

int
cmd_suite(int argc, char **argv)
{
	struct cli_opts o;
	struct scn_files files = {0};
	struct suite_run *runs = NULL;
	char err[SCN_ERR];
	int code = EXIT_USAGE;
	size_t loaded = 0;
	if (cli_parse(argc, argv, "suite", &o))
		return EXIT_USAGE;
	if (o.net == RUN_NET_TAP)
		net_catch_signals();
	const char *root = o.out ? o.out : "out";
	char suite[1024];
	snprintf(suite, sizeof(suite), "%s", o.target);
	while (strlen(suite) > 1 && suite[strlen(suite) - 1] == '/')
		suite[strlen(suite) - 1] = 0;
	if (scn_files_collect("suite", suite, &files) != 0)
		goto out;
	if (files.n == 0) {
		fprintf(stderr, "rmcpsec suite: no *.yaml under %s\n", suite);
		goto out;
	}

	/* Load everything first: a bad file stops the suite before anything is written. */
	if (!(runs = calloc(files.n, sizeof(*runs))))
		goto out;
	for (; loaded < files.n; loaded++)
		if (scenario_load(files.v[loaded], &runs[loaded].sc, err, sizeof(err)) != 0) {
			fprintf(stderr, "rmcpsec: %s\n", err);
			goto out;
		} else if (cli_apply_faults(&o, &runs[loaded].sc)) {
			loaded++; /* freed with the others */
			goto out;
		}

	size_t n = loaded = select_runs(runs, loaded, &o);
	if (n == 0) {
		char asked[REQ_MAX * 48];
		reqs_asked(&o, asked, sizeof(asked));
		fprintf(stderr, "rmcpsec suite: no scenario under %s judges %s\n", suite, asked);
		goto out;
	}
	struct progress pg = {.on = isatty(STDERR_FILENO) == 1, .total = n};
	size_t failed = 0;
	int w = 8;
	for (size_t i = 0; i < n; i++)
		if (strlen(runs[i].sc.path) > (size_t)w)
			w = (int)strlen(runs[i].sc.path);
	printf("%-*s %-6s %8s %6s %6s\n", w, "scenario", "result", "seed", "pass", "fail");
	/* Processes of their own: real time waits on the clock, --jobs asks for them. */
	int rc = o.net == RUN_NET_TAP || o.jobs
		     ? run_forked(runs, n, root, suite, &o, w, &pg, &failed)
		     : run_in_turn(runs, n, root, suite, &o, w, &pg, &failed);
	if (rc != 0)
		goto out;
	progress_clear(&pg);
	if (write_outputs(root, runs, n) != 0)
		goto out;
	printf("\n%zu scenarios: %zu passed, %zu failed; results under %s/ (summary.json, "
	       "junit.xml)\n",
	       n, n - failed, failed, root);
	code = failed ? EXIT_FAILED : EXIT_PASS;
out:
	for (size_t i = 0; runs && i < loaded; i++)
		scenario_free(&runs[i].sc);
	free(runs);
	scn_files_free(&files);
	return code;
}
