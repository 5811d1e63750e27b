/*
 * rmcpsec verify TRACE --keys FILE [--keys FILE ...] [--policy FILE|SCENARIO.yaml] [--json]
 * The independent trace verifier (pcap/verify.h, docs/users/verify.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sim/scenario.h"
#include "sim/trace_check.h"
#include "pcap/keys.h"
#include "pcap/verify.h"
#include "proto/err.h"
#include "sim/json_out.h"

enum { VERIFY_MAX_KEYFILES = 16 };

struct verify_args {
	const char *trace;
	const char *keys[VERIFY_MAX_KEYFILES];
	size_t nkeys;
	const char *policy;
	bool json;
};

struct printer {
	json_t *findings; /* --json: the findings, printed with the summary */
	bool oom;	  /* --json: a finding could not be kept */
};

static json_t *
finding_json(const struct verify_finding *f)
{
	json_t *o = json_object();
	if (json_object_set_new(o, "frame", json_u64(f->frame)) ||
	    json_object_set_new(o, "time_ns", json_u64(f->t_ns)) ||
	    json_object_set_new(o, "id", json_string(verify_id_name(f->id))) ||
	    json_object_set_new(o, "related", json_u64(f->related)) ||
	    json_object_set_new(o, "text", json_text(f->text))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static void
print_finding(void *arg, const struct verify_finding *f)
{
	struct printer *pr = arg;

	if (!pr->findings) {
		printf("frame %llu: %s: %s\n", (unsigned long long)f->frame, verify_id_name(f->id),
		       f->text);
		return;
	}
	if (json_array_append_new(pr->findings, finding_json(f)))
		pr->oom = true;
}

static const char *
verdict(int rc, const struct verify_stats *st)
{
	return rc ? "ERROR" : st->findings ? "FAIL" : "PASS";
}

/* How many findings of each class, the classes that had none left out. */
static json_t *
by_id_json(const struct verify_stats *st)
{
	json_t *o = json_object();
	for (int i = 0; o && i < V_COUNT; i++)
		if (st->by_id[i] &&
		    json_object_set_new(o, verify_id_name(i), json_u64(st->by_id[i]))) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* The one document of --json (docs/users/verify.md); takes the findings array. */
static json_t *
report_json(const char *trace, json_t *findings, const struct verify_stats *st, int rc,
	    const char *err)
{
	json_t *o = json_object();
	if (json_object_set_new(o, "trace", json_text(trace)) ||
	    json_object_set_new(o, "findings", findings) ||
	    json_object_set_new(o, "frames", json_u64(st->frames)) ||
	    json_object_set_new(o, "esp", json_u64(st->esp)) ||
	    json_object_set_new(o, "ah", json_u64(st->ah)) ||
	    json_object_set_new(o, "opened", json_u64(st->opened)) ||
	    json_object_set_new(o, "clear_rmcp", json_u64(st->clear_rmcp)) ||
	    json_object_set_new(o, "commit", json_u64(st->commit)) ||
	    json_object_set_new(o, "allowed_dup", json_u64(st->allowed_dup)) ||
	    json_object_set_new(o, "forged", json_u64(st->forged)) ||
	    json_object_set_new(o, "by_id", by_id_json(st)) ||
	    json_object_set_new(o, "findings_total", json_u64(st->findings)) ||
	    json_object_set_new(o, "verdict", json_string(verdict(rc, st))) ||
	    (rc && json_object_set_new(o, "error", json_text(err)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* 0, or -1 when the document could not be built or printed. */
static int
print_report_json(const char *trace, struct printer *pr, const struct verify_stats *st, int rc,
		  const char *err)
{
	json_t *doc = report_json(trace, pr->findings, st, rc, err);
	pr->findings = NULL;
	int out = !doc || pr->oom || json_out_file(doc, stdout) ? -1 : 0;
	json_decref(doc);
	return out;
}

static void
print_summary(const struct verify_args *a, const struct verify_stats *st, int rc)
{
	printf("%s: %s: %llu frames (%llu ESP, %llu AH, %llu opened, %llu clear RMCP, %llu "
	       "commit, %llu allowed duplicates, %llu forged), %llu findings\n",
	       verdict(rc, st), a->trace, (unsigned long long)st->frames,
	       (unsigned long long)st->esp, (unsigned long long)st->ah,
	       (unsigned long long)st->opened, (unsigned long long)st->clear_rmcp,
	       (unsigned long long)st->commit, (unsigned long long)st->allowed_dup,
	       (unsigned long long)st->forged, (unsigned long long)st->findings);
}

static int
parse_args(int argc, char **argv, struct verify_args *a)
{
	static const struct option opts[] = {
	    {"keys", required_argument, NULL, 'k'},
	    {"policy", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:p:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (a->nkeys == VERIFY_MAX_KEYFILES) {
				fprintf(stderr, "rmcpsec verify: at most %d --keys files\n",
					VERIFY_MAX_KEYFILES);
				return EXIT_USAGE;
			}
			a->keys[a->nkeys++] = optarg;
			break;
		case 'p':
			a->policy = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_PASS);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "rmcpsec verify: expected exactly one trace file\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	a->trace = argv[optind];
	return 0;
}

static bool
is_yaml(const char *path)
{
	size_t n = strlen(path);
	return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(path + n - 4, ".yml") == 0);
}

/* --policy SCENARIO: the same policy a run derives from its scenario (sim/trace_check.h). */
static int
policy_from_scenario(const char *path, struct verify_policy *pol)
{
	struct scenario sc;
	char err[SCN_ERR];
	if (scenario_load(path, &sc, err, sizeof(err)) != 0) {
		fprintf(stderr, "rmcpsec verify: %s\n", err);
		return EXIT_USAGE;
	}
	verify_policy_free(pol);
	scenario_verify_policy(&sc, pol);
	scenario_free(&sc);
	return 0;
}

static int
load_inputs(const struct verify_args *a, struct keyring *kr, struct verify_policy *pol)
{
	char err[600];

	/* Without --keys: the key files a run writes beside its trace. */
	if (!a->nkeys && keyring_load_beside(kr, a->trace, err, sizeof(err))) {
		fprintf(stderr, "rmcpsec verify: %s\n", err);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < a->nkeys; i++) {
		if (keyring_load(kr, a->keys[i], err, sizeof(err))) {
			fprintf(stderr, "rmcpsec verify: %s\n", err);
			return EXIT_USAGE;
		}
	}
	if (a->policy && is_yaml(a->policy))
		return policy_from_scenario(a->policy, pol);
	if (a->policy && verify_policy_load(pol, a->policy, err, sizeof(err))) {
		fprintf(stderr, "rmcpsec verify: %s\n", err);
		return EXIT_USAGE;
	}
	return 0;
}

int
cmd_verify(int argc, char **argv)
{
	struct verify_args a;
	struct keyring kr = {0};
	struct verify_policy pol;
	struct verify_stats st;
	struct printer pr = {0};
	char err[600] = "";
	int rc, ret = EXIT_USAGE;

	verify_policy_default(&pol);
	if (parse_args(argc, argv, &a) || load_inputs(&a, &kr, &pol))
		goto out;
	if (a.json && !(pr.findings = json_array())) {
		fprintf(stderr, "rmcpsec verify: out of memory\n");
		goto out;
	}
	rc = verify_trace(a.trace, &pol, &kr, print_finding, &pr, &st, err, sizeof(err));
	if (!a.json) {
		print_summary(&a, &st, rc);
	} else if (print_report_json(a.trace, &pr, &st, rc, err)) {
		fprintf(stderr, "rmcpsec verify: cannot print the JSON report\n");
		goto out;
	}
	if (rc) {
		fprintf(stderr, "rmcpsec verify: %s\n", err);
		goto out;
	}
	ret = st.findings ? EXIT_FAILED : EXIT_PASS;
out:
	json_decref(pr.findings);
	keyring_free(&kr);
	verify_policy_free(&pol);
	return ret;
}
