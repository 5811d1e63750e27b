#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "sim/json.h"
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

static int
write_summary(const char *root, struct scenario *sc, struct run_result *res, size_t n)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/summary.json", root);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "{\n  \"schema\": \"rmcpsec-summary/1\",\n  \"scenarios\": [\n");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "    {\"scenario\": ");
		json_str(f, sc[i].path);
		fprintf(f, ", \"name\": ");
		json_str(f, sc[i].name);
		fprintf(
		    f,
		    ", \"seed\": %llu, \"verdict\": \"%s\", \"passed\": %zu, \"failed\": %zu}%s\n",
		    (unsigned long long)res[i].seed, res[i].nfail ? "FAIL" : "PASS", res[i].npass,
		    res[i].nfail, i + 1 < n ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	return fclose(f);
}

int
cmd_suite(int argc, char **argv)
{
	struct cli_opts o;
	struct files files = {0};
	char err[SCN_ERR];
	int code = EXIT_USAGE;
	if (cli_parse(argc, argv, "suite", &o))
		return EXIT_USAGE;
	const char *root = o.out ? o.out : "out";
	char suite[1024];
	snprintf(suite, sizeof(suite), "%s", o.target);
	while (strlen(suite) > 1 && suite[strlen(suite) - 1] == '/')
		suite[strlen(suite) - 1] = 0;
	if (collect(suite, &files) != 0)
		goto out_files;
	if (files.n == 0) {
		fprintf(stderr, "rmcpsec suite: no *.yaml under %s\n", suite);
		goto out_files;
	}
	qsort(files.v, files.n, sizeof(*files.v), by_name);

	/* Load everything first: a bad file stops the suite before anything is written. */
	struct scenario *sc = calloc(files.n, sizeof(*sc));
	struct run_result *res = calloc(files.n, sizeof(*res));
	size_t loaded = 0;
	if (!sc || !res)
		goto out;
	for (; loaded < files.n; loaded++)
		if (scenario_load(files.v[loaded], &sc[loaded], err, sizeof(err)) != 0) {
			fprintf(stderr, "rmcpsec: %s\n", err);
			goto out;
		}

	size_t failed = 0;
	code = EXIT_PASS;
	printf("%-40s %-6s %8s %6s %6s\n", "scenario", "result", "seed", "pass", "fail");
	for (size_t i = 0; i < files.n; i++) {
		char outdir[1200];
		outdir_for(root, suite, files.v[i], outdir, sizeof(outdir));
		struct run_opts ro = {.seed = o.seed,
				      .seed_set = o.seed_set,
				      .outdir = outdir,
				      .per_node_pcap = o.per_node_pcap,
				      .profile = o.profile,
				      .mutant = o.mutant,
				      .log = NULL};
		if (run_scenario(&sc[i], &ro, &res[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "rmcpsec: %s: %s\n", files.v[i], err);
			code = EXIT_USAGE;
			goto out;
		}
		printf("%-40s %-6s %8llu %6zu %6zu\n  observed: %s\n", files.v[i],
		       res[i].nfail ? "FAIL" : "PASS", (unsigned long long)res[i].seed,
		       res[i].npass, res[i].nfail, res[i].observed);
		if (res[i].nfail) {
			failed++;
			printf("  replay: rmcpsec run %s --seed %llu  (details: %s/results.json)\n",
			       files.v[i], (unsigned long long)res[i].seed, outdir);
		}
	}
	if (write_summary(root, sc, res, files.n) != 0) {
		fprintf(stderr, "rmcpsec suite: cannot write %s/summary.json\n", root);
		code = EXIT_USAGE;
		goto out;
	}
	printf("%zu scenarios: %zu passed, %zu failed; results under %s/\n", files.n,
	       files.n - failed, failed, root);
	if (failed)
		code = EXIT_FAILED;
out:
	for (size_t i = 0; sc && i < loaded; i++)
		scenario_free(&sc[i]);
	free(sc);
	free(res);
out_files:
	files_free(&files);
	return code;
}
