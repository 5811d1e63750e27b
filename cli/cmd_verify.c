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
#include "sim/json.h"

enum { VERIFY_MAX_KEYFILES = 16 };

struct verify_args {
	const char *trace;
	const char *keys[VERIFY_MAX_KEYFILES];
	size_t nkeys;
	const char *policy;
	bool json;
};

struct printer {
	bool json;
	size_t n;
};

static void
print_finding(void *arg, const struct verify_finding *f)
{
	struct printer *pr = arg;

	if (!pr->json) {
		printf("frame %llu: %s: %s\n", (unsigned long long)f->frame, verify_id_name(f->id),
		       f->text);
		pr->n++;
		return;
	}
	printf("%s\n    {\"frame\": %llu, \"time_ns\": %llu, \"id\": ", pr->n++ ? "," : "",
	       (unsigned long long)f->frame, (unsigned long long)f->t_ns);
	json_str(stdout, verify_id_name(f->id));
	printf(", \"related\": %llu, \"text\": ", (unsigned long long)f->related);
	json_str(stdout, f->text);
	printf("}");
}

static const char *
verdict(int rc, const struct verify_stats *st)
{
	return rc ? "ERROR" : st->findings ? "FAIL" : "PASS";
}

static void
print_summary_json(const struct verify_stats *st, int rc, const char *err)
{
	printf("\n  ],\n  \"frames\": %llu, \"esp\": %llu, \"ah\": %llu, \"opened\": %llu,"
	       " \"clear_rmcp\": %llu, \"commit\": %llu, \"allowed_dup\": %llu,\n  \"by_id\": {",
	       (unsigned long long)st->frames, (unsigned long long)st->esp,
	       (unsigned long long)st->ah, (unsigned long long)st->opened,
	       (unsigned long long)st->clear_rmcp, (unsigned long long)st->commit,
	       (unsigned long long)st->allowed_dup);
	for (int i = 0, n = 0; i < V_COUNT; i++) {
		if (!st->by_id[i])
			continue;
		printf("%s", n++ ? ", " : "");
		json_str(stdout, verify_id_name(i));
		printf(": %llu", (unsigned long long)st->by_id[i]);
	}
	printf("},\n  \"findings_total\": %llu,\n  \"verdict\": \"%s\"",
	       (unsigned long long)st->findings, verdict(rc, st));
	if (rc) {
		printf(",\n  \"error\": ");
		json_str(stdout, err);
	}
	printf("\n}\n");
}

static void
print_summary(const struct verify_args *a, const struct verify_stats *st, int rc)
{
	printf("%s: %s: %llu frames (%llu ESP, %llu AH, %llu opened, %llu clear RMCP, %llu "
	       "commit, %llu allowed duplicates), %llu findings\n",
	       verdict(rc, st), a->trace, (unsigned long long)st->frames,
	       (unsigned long long)st->esp, (unsigned long long)st->ah,
	       (unsigned long long)st->opened, (unsigned long long)st->clear_rmcp,
	       (unsigned long long)st->commit, (unsigned long long)st->allowed_dup,
	       (unsigned long long)st->findings);
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
	pr.json = a.json;
	if (a.json) {
		printf("{\n  \"trace\": ");
		json_str(stdout, a.trace);
		printf(",\n  \"findings\": [");
	}
	rc = verify_trace(a.trace, &pol, &kr, print_finding, &pr, &st, err, sizeof(err));
	if (a.json)
		print_summary_json(&st, rc, err);
	else
		print_summary(&a, &st, rc);
	if (rc) {
		fprintf(stderr, "rmcpsec verify: %s\n", err);
		goto out;
	}
	ret = st.findings ? EXIT_FAILED : EXIT_PASS;
out:
	keyring_free(&kr);
	verify_policy_free(&pol);
	return ret;
}
