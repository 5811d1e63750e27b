#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/suite.h"
#include "sim/run.h"
#include "sim/scenario.h"

struct files {
	char **v;
	size_t n, cap;
};

static int
files_add(struct files *f, const char *path)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 32;
		char **v = realloc(f->v, cap * sizeof(*v));
		if (!v)
			return -1;
		f->v = v;
		f->cap = cap;
	}
	if (!(f->v[f->n] = strdup(path)))
		return -1;
	f->n++;
	return 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int
collect(const char *dir, struct files *out)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "rmcpsec suite: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = collect(path, out);
		else if (ends_with(e->d_name, ".yaml"))
			rc = files_add(out, path);
	}
	closedir(d);
	return rc;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* out/<path relative to the suite dir, without .yaml> */
static void
outdir_for(const char *root, const char *suite, const char *path, char *buf, size_t cap)
{
	const char *rel = path + strlen(suite);
	while (*rel == '/')
		rel++;
	snprintf(buf, cap, "%s/%.*s", root, (int)(strlen(rel) - strlen(".yaml")), rel);
}

static void
files_free(struct files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
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
			      .log = NULL};
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

int
cmd_suite(int argc, char **argv)
{
	struct cli_opts o;
	struct files files = {0};
	struct suite_run *runs = NULL;
	char err[SCN_ERR];
	int code = EXIT_USAGE;
	size_t loaded = 0;
	if (cli_parse(argc, argv, "suite", &o))
		return EXIT_USAGE;
	const char *root = o.out ? o.out : "out";
	char suite[1024];
	snprintf(suite, sizeof(suite), "%s", o.target);
	while (strlen(suite) > 1 && suite[strlen(suite) - 1] == '/')
		suite[strlen(suite) - 1] = 0;
	if (collect(suite, &files) != 0)
		goto out;
	if (files.n == 0) {
		fprintf(stderr, "rmcpsec suite: no *.yaml under %s\n", suite);
		goto out;
	}
	qsort(files.v, files.n, sizeof(*files.v), by_name);

	/* Load everything first: a bad file stops the suite before anything is written. */
	if (!(runs = calloc(files.n, sizeof(*runs))))
		goto out;
	for (; loaded < files.n; loaded++)
		if (scenario_load(files.v[loaded], &runs[loaded].sc, err, sizeof(err)) != 0) {
			fprintf(stderr, "rmcpsec: %s\n", err);
			goto out;
		}

	struct progress pg = {.on = isatty(STDERR_FILENO) == 1, .total = files.n};
	size_t failed = 0;
	int w = 8;
	for (size_t i = 0; i < files.n; i++)
		if (strlen(files.v[i]) > (size_t)w)
			w = (int)strlen(files.v[i]);
	printf("%-*s %-6s %8s %6s %6s\n", w, "scenario", "result", "seed", "pass", "fail");
	for (size_t i = 0; i < files.n; i++) {
		struct suite_run *r = &runs[i];
		progress_show(&pg, i, files.v[i], "...");
		if (run_one(r, root, suite, &o, err, sizeof(err)) != 0) {
			progress_clear(&pg);
			fprintf(stderr, "rmcpsec: %s: %s\n", files.v[i], err);
			goto out;
		}
		const char *verdict = r->res.nfail ? "FAIL" : "PASS";
		progress_clear(&pg);
		printf("%-*s %-6s %8llu %6zu %6zu\n  observed: %s\n", w, files.v[i], verdict,
		       (unsigned long long)r->res.seed, r->res.npass, r->res.nfail,
		       r->res.observed);
		if (r->res.nfail) {
			failed++;
			print_failure(r);
		}
		fflush(stdout);
		progress_show(&pg, i + 1, files.v[i], verdict);
	}
	progress_clear(&pg);
	if (write_outputs(root, runs, files.n) != 0)
		goto out;
	printf("\n%zu scenarios: %zu passed, %zu failed; results under %s/ (summary.json, "
	       "junit.xml)\n",
	       files.n, files.n - failed, failed, root);
	code = failed ? EXIT_FAILED : EXIT_PASS;
out:
	for (size_t i = 0; runs && i < loaded; i++)
		scenario_free(&runs[i].sc);
	free(runs);
	files_free(&files);
	return code;
}
