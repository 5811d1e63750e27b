/* The requirement catalogue: well-formed, in step with docs/users/requirements.md; verdict folding.
 */
#include <criterion/criterion.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsm/commit.h"
#include "nodes/mutant.h"
#include "sim/req.h"
#include "sim/run.h"

static const char *const MUST_HAVE[] = {
    "REQ-F3-IKE-ON-OS-UP",
    "REQ-F6-R2-REFRESH-COMMIT",
    "REQ-F6-R3-STORED-SA",
    "REQ-F6-R4-STORED-SA",
    "REQ-F6-R5-STORED-SA",
    "REQ-F6-R6-CLEAR-RESTRICTED",
    "REQ-F6-R7-FAILOVER",
    "REQ-F6-R8-CLEAR-SERVER-COLD",
    "REQ-F6-R9-CLEAR-BOTH-COLD",
    "REQ-F4-NO-REFRESH-NOT-OPERATIONAL",
    "REQ-F4-KEEP-OLD-ON-FAIL",
    "REQ-F5-RESTORE-NO-ACK",
    "REQ-COMMIT-SHARED-SA",
    "REQ-NIC-SEQ-NO-REUSE",
    "REQ-SRV-SEQ-NO-REUSE-FAILOVER",
    "REQ-NIC-CLEAR-664-REFUSED",
    "REQ-NIC-CLEAR-ONLY-CONFIGURED",
    "REQ-NIC-REPLAY",
    "REQ-NVRAM-ATOMIC",
    "REQ-IPSEC-ICV",
    "REQ-MGMT-EXECUTED",
    "REQ-REFRESH-CONFIG",
    "REQ-TRACE-VERIFIES",
    "REQ-IKE-RESPONDER-AUTH",
    "REQ-IKE-PEER-AUTH",
    "REQ-IKE-PROPOSAL-POLICY",
    "REQ-IKE-KE",
    "REQ-IKE-MSGID-WINDOW",
};

Test(req, catalogue_is_well_formed)
{
	size_t n;
	const struct req *t = req_table(&n);
	regex_t id;
	cr_assert_eq(regcomp(&id, "^REQ-[A-Z0-9]+(-[A-Z0-9]+)*$", REG_EXTENDED | REG_NOSUB), 0);
	cr_assert(n > 0 && n <= REQ_MAX);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(regexec(&id, t[i].id, 0, NULL, 0), 0, "bad id '%s'", t[i].id);
		cr_assert(t[i].source && strlen(t[i].source) > 10, "%s: no source", t[i].id);
		cr_assert(t[i].text && strlen(t[i].text) > 10, "%s: no text", t[i].id);
		cr_assert(t[i].scope && *t[i].scope, "%s: no scope", t[i].id);
		cr_assert_eq(req_index(t[i].id), (int)i, "%s: duplicate id", t[i].id);
		/* Quotes are quotes: every source cites something in double quotes or a section. */
		cr_assert(strchr(t[i].source, '"') || strstr(t[i].source, "§"), "%s: no citation",
			  t[i].id);
	}
	regfree(&id);
	cr_assert_eq(req_index("REQ-NO-SUCH"), -1);
}

Test(req, has_every_id_the_scenarios_use)
{
	for (size_t i = 0; i < sizeof(MUST_HAVE) / sizeof(MUST_HAVE[0]); i++)
		cr_assert_geq(req_index(MUST_HAVE[i]), 0, "%s missing", MUST_HAVE[i]);
}

/* docs/users/requirements.md: one "### ID" heading per entry, and no other id anywhere in it. */
Test(req, docs_list_exactly_the_catalogue)
{
	size_t n;
	const struct req *t = req_table(&n);
	int seen[REQ_MAX] = {0};
	FILE *f = fopen(RMCPSEC_SRC_DIR "/docs/users/requirements.md", "r");
	cr_assert(f, "docs/users/requirements.md missing");
	char line[4096];
	regex_t tok;
	cr_assert_eq(regcomp(&tok, "REQ-[A-Z0-9]+(-[A-Z0-9]+)*", REG_EXTENDED), 0);
	while (fgets(line, sizeof(line), f)) {
		char id[128];
		if (sscanf(line, "### %127s", id) == 1 && strncmp(id, "REQ-", 4) == 0) {
			int k = req_index(id);
			cr_assert_geq(k, 0, "docs list '%s', not in sim/req.c", id);
			cr_assert_eq(seen[k]++, 0, "docs list '%s' twice", id);
		}
		regmatch_t m;
		for (const char *p = line; regexec(&tok, p, 1, &m, 0) == 0; p += m.rm_eo) {
			snprintf(id, sizeof(id), "%.*s", (int)(m.rm_eo - m.rm_so), p + m.rm_so);
			cr_assert_geq(req_index(id), 0, "docs mention unknown '%s'", id);
		}
	}
	fclose(f);
	regfree(&tok);
	for (size_t k = 0; k < n; k++)
		cr_assert_eq(seen[k], 1, "docs/users/requirements.md lacks '### %s'", t[k].id);
}

/*
 * A requirement the reference nodes do not meet yet says so in its section of the docs
 * ("does not meet it yet"), and only such a requirement does.
 */
Test(req, docs_name_what_the_reference_does_not_meet)
{
	size_t n;
	req_table(&n);
	int said[REQ_MAX] = {0}, k = -1;
	FILE *f = fopen(RMCPSEC_SRC_DIR "/docs/users/requirements.md", "r");
	cr_assert(f, "docs/users/requirements.md missing");
	char line[4096], id[128];
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "### %127s", id) == 1)
			k = req_index(id);
		if (k >= 0 && strncmp(line, "- the reference", 15) == 0 &&
		    strstr(line, "does not meet it yet"))
			said[k]++;
	}
	fclose(f);
	cr_assert_null(req_unmet(req_index("REQ-NIC-REPLAY-POWER-LOSS")),
		       "met since the NIC keeps its replay floor (docs/internals/nvram.md)");
	cr_assert_null(req_unmet(-1));
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(said[i], req_unmet((int)i) != NULL,
			     "%s: the docs and req_unmet disagree", req_table(&n)[i].id);
}

Test(req, fail_dominates_and_na_holds_only_without_failures)
{
	struct req_outcome o = {0};
	cr_assert_str_eq(req_verdict_name(o.verdict), "NOT-TESTED");
	req_add_check(&o, 10, true, "a", "ok");
	cr_assert_eq(o.verdict, REQ_PASS);
	req_add_check(&o, 12, false, "b", "saw x");
	req_add_check(&o, 14, true, "c", "ok");
	cr_assert_eq(o.verdict, REQ_FAIL);
	cr_assert_str_eq(o.detail, "line 12: b: saw x");
	cr_assert_eq(o.nlines, 3);
	cr_assert_eq(o.npass, 2);
	cr_assert_eq(o.nfail, 1);

	struct req_outcome na = {0};
	req_mark_na(&na, "one server");
	req_add_check(&na, 0, true, "verifier", "none");
	cr_assert_eq(na.verdict, REQ_NA);
	cr_assert_str_eq(req_verdict_name(na.verdict), "N/A");
	req_add_check(&na, 0, false, "verifier", "frame 3");
	cr_assert_eq(na.verdict, REQ_FAIL, "a violation on the wire beats N/A");
	cr_assert_str_eq(na.detail, "line 0: verifier: frame 3");
	req_mark_na(&na, "late");
	cr_assert_eq(na.verdict, REQ_FAIL);
}

static enum req_verdict
verdict_of(const struct req_outcome *o, const char *id)
{
	int k = req_index(id);
	cr_assert_geq(k, 0);
	return o[k].verdict;
}

Test(req, verifier_classes_map_only_when_the_trace_had_material)
{
	struct req_outcome o[REQ_MAX];
	struct trace_findings *tf = calloc(1, sizeof(*tf));
	cr_assert(tf);
	tf->st.frames = 10;
	memset(o, 0, sizeof(o));
	req_add_verifier(o, tf, false, 1);
	cr_assert_eq(verdict_of(o, "REQ-IPSEC-ICV"), REQ_NOT_TESTED, "no IPsec frames");
	cr_assert_eq(verdict_of(o, "REQ-NIC-CLEAR-ONLY-CONFIGURED"), REQ_NOT_TESTED);

	tf->st.esp = 4;
	tf->st.by_id[V_SEQ_REUSE] = 2;
	snprintf(tf->first[V_SEQ_REUSE], sizeof(tf->first[0]), "frame 7: SPI 0x1001 seq 3");
	memset(o, 0, sizeof(o));
	req_add_verifier(o, tf, true, 1);
	cr_assert_eq(verdict_of(o, "REQ-IPSEC-ICV"), REQ_PASS);
	cr_assert_eq(verdict_of(o, "REQ-NIC-SEQ-NO-REUSE"), REQ_FAIL);
	cr_assert(strstr(o[req_index("REQ-NIC-SEQ-NO-REUSE")].detail, "frame 7"));
	cr_assert_eq(verdict_of(o, "REQ-SRV-SEQ-NO-REUSE-FAILOVER"), REQ_NOT_TESTED, "one server");
	cr_assert_eq(verdict_of(o, "REQ-NIC-CLEAR-ONLY-CONFIGURED"), REQ_PASS);
	cr_assert_eq(verdict_of(o, "REQ-COMMIT-ORDER"), REQ_NOT_TESTED, "no commit messages");

	memset(o, 0, sizeof(o));
	req_add_verifier(o, tf, true, 2);
	cr_assert_eq(verdict_of(o, "REQ-SRV-SEQ-NO-REUSE-FAILOVER"), REQ_FAIL);
	free(tf);
}

Test(req, replay_command_quotes_what_the_shell_would_split)
{
	struct scenario sc = {0};
	char buf[256];
	const char *faults[] = {"drop msg=sa_ack n=1", "it's"};
	struct run_opts o = {.fault_specs = faults,
			     .nfault_specs = 2,
			     .profile = 1 + COMMIT_STRICT,
			     .mutant = MUT_SEQ_RESTART};
	snprintf(sc.path, sizeof(sc.path), "scenarios/fig6/row3.yaml");
	cr_assert_gt(run_replay_command(&sc, NULL, 42, "out/row3", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "rmcpsec run scenarios/fig6/row3.yaml --seed 42 --out out/row3");
	snprintf(sc.path, sizeof(sc.path), "my dir/a.yaml");
	cr_assert_gt(run_replay_command(&sc, &o, 1, NULL, buf, sizeof(buf)), 0);
	cr_assert_str_eq(
	    buf, "rmcpsec run 'my dir/a.yaml' --seed 1 --profile strict --mutant seq-restart "
		 "--fault 'drop msg=sa_ack n=1' --fault 'it'\\''s'");
	cr_assert_eq(run_replay_command(&sc, &o, 1, NULL, buf, 20), -1, "too small must say so");
	cr_assert_lt(strlen(buf), 20);
}
