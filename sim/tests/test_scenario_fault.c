/*
 * The `faults:` section and the one-line command-line form: good rules
 * load into the fields the engine reads; every bad one names its line and
 * field.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proto/ikev2.h"
#include "proto/rmcp.h"
#include "sim/scenario_fault.h"
#include "sim/tests/scenario_text.h"

static const char *HEAD = "name: t\n"	    /* 1 */
			  "duration: 10s\n" /* 2 */
			  "servers:\n"	    /* 3 */
			  "  - name: s\n"   /* 4 */
			  "clients:\n"	    /* 5 */
			  "  - name: c1\n"  /* 6 */
			  "  - name: c2\n"  /* 7 */
			  "faults:\n";	    /* 8; rules start on line 9 */

static int
load_faults(const char *rules, struct scenario *sc, char *err)
{
	char text[4096];
	snprintf(text, sizeof(text), "%s%s", HEAD, rules);
	return scenario_load_text(text, sc, err);
}

static void
expect_error(const char *rules, int line, const char *field)
{
	struct scenario sc;
	char err[SCN_ERR] = "", want[128];
	cr_assert_neq(load_faults(rules, &sc, err), 0, "loaded a bad fault: %s", rules);
	snprintf(want, sizeof(want), "%s:%d: field '%s'", scenario_text_path, line, field);
	cr_expect(strstr(err, want), "error '%s' lacks '%s'", err, want);
}

Test(scenario_fault, link_rules_load)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	const char *rules =
	    "  - {do: drop, from: c1, to: s, msg: presence_pong, nth: 1}\n"
	    "  - {do: delay, delay: 2ms, jitter: 1ms, direction: to_client, since: 1s, until: 2s}\n"
	    "  - {do: duplicate, copies: 2, delay: 10us, msg: sa_ack, every: 3, count: 4}\n"
	    "  - {do: reorder, after: 2, max_hold: 50ms, msg: arp}\n"
	    "  - {do: corrupt, bits: 3, offset: 42, via: secure, p: 0.25}\n"
	    "  - {do: truncate, bytes: 20, msg: ike_auth, response: true, msg_id: 1}\n"
	    "  - do: drop\n"
	    "    gilbert: {p_gb: 0.01, p_bg: 0.2, loss_good: 0, loss_bad: 0.9}\n"
	    "  - {do: partition, between: [s], and: '*', since: 3s, until: 4s}\n";
	cr_assert_eq(load_faults(rules, &sc, err), 0, "%s", err);
	cr_assert_eq(sc.nfaults, 8);
	const struct fault_rule *r = sc.faults;
	cr_expect_eq(r[0].action, FAULT_DROP);
	cr_expect_eq(r[0].line, 9);
	cr_expect_eq(r[0].m.from, 1);
	cr_expect_eq(r[0].m.to, 0);
	cr_expect_eq(r[0].m.msg.kinds, 1u << OBS_ASF);
	cr_expect_eq(r[0].m.msg.type, ASF_PRESENCE_PONG);
	cr_expect_eq(r[0].g.nth, 1);
	cr_expect_eq(r[1].delay_ns, 2000000);
	cr_expect_eq(r[1].jitter_ns, 1000000);
	cr_expect_eq(r[1].m.dir, FAULT_DIR_TO_CLIENT);
	cr_expect_eq(r[1].g.from, 1000000000ULL);
	cr_expect_eq(r[1].g.until, 2000000000ULL);
	cr_expect_eq(r[2].copies, 2);
	cr_expect_eq(r[2].m.msg.kinds, 1u << OBS_COMMIT);
	cr_expect_eq(r[2].m.msg.type, 2);
	cr_expect_eq(r[2].g.every, 3);
	cr_expect_eq(r[2].g.count, 4);
	cr_expect_eq(r[3].after, 2);
	cr_expect_eq(r[3].max_hold_ns, 50000000);
	cr_expect_eq(r[3].m.msg.kinds, 1u << OBS_ARP_REQUEST | 1u << OBS_ARP_REPLY);
	cr_expect_eq(r[4].bits, 3);
	cr_expect_eq(r[4].offset, 42);
	cr_expect_eq(r[4].m.via, SCN_VIA_SECURE);
	cr_expect_eq(r[4].g.p, 0.25);
	cr_expect_eq(r[5].truncate_to, 20);
	cr_expect_eq(r[5].m.msg.type, IKEV2_EXCH_IKE_AUTH);
	cr_expect_eq(r[5].m.response, 1);
	cr_expect_eq(r[5].m.msg_id, 1);
	cr_expect(r[6].g.gilbert);
	cr_expect_eq(r[6].g.p_bg, 0.2);
	cr_expect_eq(r[6].g.loss_bad, 0.9);
	cr_expect_eq(r[6].line, 15);
	cr_expect(fault_set_has(r[7].side_a, 0));
	cr_expect(!fault_set_has(r[7].side_b, 0), "'*' is everyone else");
	cr_expect(fault_set_has(r[7].side_b, 1) && fault_set_has(r[7].side_b, 2));
	scenario_free(&sc);
	cr_expect_null(sc.faults);
}

Test(scenario_fault, node_faults_load)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	const char *rules = "  - {do: crash, node: s, at: 2s, until: 5s}\n"
			    "  - {do: hang, node: c1, at: 1s}\n"
			    "  - {do: clock_jump, node: c2, at: 3s, by: -1.5s}\n"
			    "  - {do: power_loss, client: c1, at_commit_step: ack}\n"
			    "  - {do: power_loss, client: c2, nvram_byte: 17, at: 1s}\n"
			    "  - {do: power_loss, client: c2, at: 9s}\n"
			    "  - {do: hang, node: s, at_commit_step: ack, since: 2s}\n";
	cr_assert_eq(load_faults(rules, &sc, err), 0, "%s", err);
	const struct fault_rule *r = sc.faults;
	cr_expect_eq(r[0].action, FAULT_CRASH);
	cr_expect_eq(r[0].node, 0);
	cr_expect_eq(r[0].at, 2000000000ULL);
	cr_expect_eq(r[0].recover_at, 5000000000ULL);
	cr_expect_eq(r[1].recover_at, UINT64_MAX, "hung for good");
	cr_expect_eq(r[2].by_ns, -1500000000LL);
	cr_expect_eq(r[3].step, FAULT_STEP_ACK);
	cr_expect_eq(r[3].g.count, 1, "once by default");
	cr_expect_eq(r[4].nvram_byte, 17);
	cr_expect_eq(r[4].at, 1000000000ULL);
	cr_expect(r[5].has_at);
	cr_expect_eq(r[5].nvram_byte, -1);
	cr_expect_eq(r[6].step, FAULT_STEP_ACK, "a server hangs right after its SA_ACK");
	cr_expect_eq(r[6].g.from, 2000000000ULL);
	cr_expect_eq(r[6].g.count, 1, "once by default");
	cr_expect_not(fault_rule_is_timed(&r[6]), "a moment in the exchange, not a time");
	scenario_free(&sc);
}

Test(scenario_fault, errors_name_line_and_field)
{
	expect_error("  - {do: explode}\n", 9, "do");
	expect_error("  - {msg: reset}\n", 9, "do");
	expect_error("  - {do: drop, colour: red}\n", 9, "colour");
	expect_error("  - {do: drop, bits: 3}\n", 9, "bits");
	expect_error("  - {do: drop}\n  - {do: drop, msg: hello}\n", 10, "msg");
	expect_error("  - {do: drop, from: nobody}\n", 9, "from");
	expect_error("  - {do: drop, msg: reset, response: true}\n", 9, "response");
	expect_error("  - {do: drop, msg: ike, response: maybe}\n", 9, "response");
	expect_error("  - {do: drop, msg: asf, msg_id: 3}\n", 9, "msg_id");
	expect_error("  - {do: drop, nth: 0}\n", 9, "nth");
	expect_error("  - {do: drop, nth: 2, every: 2}\n", 9, "nth");
	expect_error("  - {do: drop, p: 1.5}\n", 9, "p");
	expect_error("  - {do: drop, p: 0.1, gilbert: {p_gb: 0, p_bg: 0, loss_good: 0, "
		     "loss_bad: 1}}\n",
		     9, "gilbert");
	expect_error("  - do: drop\n    gilbert: {p_gb: 0.1, p_bg: 0.1, loss_good: 0}\n", 10,
		     "loss_bad");
	expect_error("  - {do: drop, since: 2s, until: 1s}\n", 9, "until");
	expect_error("  - {do: drop, since: 11s}\n", 9, "since");
	expect_error("  - {do: drop, via: carrier_pigeon}\n", 9, "via");
	expect_error("  - {do: drop, direction: up}\n", 9, "direction");
	expect_error("  - {do: delay}\n", 9, "delay");
	expect_error("  - {do: delay, delay: soon}\n", 9, "delay");
	expect_error("  - {do: duplicate, copies: 4}\n", 9, "copies");
	expect_error("  - {do: corrupt, bits: 65}\n", 9, "bits");
	expect_error("  - {do: truncate}\n", 9, "bytes");
	expect_error("  - {do: reorder, max_hold: 0s}\n", 9, "max_hold");
	expect_error("  - {do: partition, between: [s]}\n", 9, "and");
	expect_error("  - {do: partition, between: [s], and: [ghost]}\n", 9, "and");
	expect_error("  - {do: partition, between: [s], and: [s]}\n", 9, "and");
	expect_error("  - {do: partition, between: [s], and: '*', from: s}\n", 9, "from");
	expect_error("  - {do: crash, at: 1s}\n", 9, "node");
	expect_error("  - {do: crash, node: s}\n", 9, "at");
	expect_error("  - {do: crash, node: s, at: 20s}\n", 9, "at");
	expect_error("  - {do: hang, node: s, at: 2s, until: 1s}\n", 9, "until");
	expect_error("  - {do: clock_jump, node: s, at: 1s}\n", 9, "by");
	expect_error("  - {do: clock_jump, node: s, at: 1s, by: sideways}\n", 9, "by");
	expect_error("  - {do: power_loss, at: 1s}\n", 9, "client");
	expect_error("  - {do: power_loss, client: s, at: 1s}\n", 9, "client");
	expect_error("  - {do: power_loss, client: c1}\n", 9, "at");
	expect_error("  - {do: power_loss, client: c1, at_commit_step: commit}\n", 9,
		     "at_commit_step");
	expect_error("  - {do: power_loss, client: c1, at_commit_step: ack, nvram_byte: 3}\n", 9,
		     "at_commit_step");
	expect_error("  - {do: power_loss, client: c1, at: 1s, nth: 2}\n", 9, "at_commit_step");
	expect_error("  - {do: power_loss, client: c1, nvram_byte: -1}\n", 9, "nvram_byte");
	expect_error("  - {do: hang, node: c1, at_commit_step: ack}\n", 9, "at_commit_step");
	expect_error("  - {do: crash, node: s, at_commit_step: ready}\n", 9, "at_commit_step");
	expect_error("  - {do: crash, node: s, at_commit_step: ack, at: 1s}\n", 9,
		     "at_commit_step");
	expect_error("  - {do: hang, node: s, at: 1s, nth: 2}\n", 9, "at_commit_step");
	expect_error("  - {do: crash, node: s, at: 1s, msg: reset}\n", 9, "msg");
	expect_error("  - drop\n", 9, "faults");
	expect_error("  {do: drop}\n", 9, "faults");
}

Test(scenario_fault, bad_files_in_tests_data)
{
	static const struct {
		const char *file, *field;
		int line;
	} bad[] = {
	    {"fault_unknown_action.yaml", "do", 8},
	    {"fault_bad_message.yaml", "msg", 9},
	    {"fault_partition_unknown_node.yaml", "and", 10},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct scenario sc;
		char err[SCN_ERR] = "", p[512], want[600];
		snprintf(p, sizeof(p), "%s/tests/data/bad/%s", RMCPSEC_SRC_DIR, bad[i].file);
		cr_assert_neq(scenario_load(p, &sc, err, sizeof(err)), 0, "%s loaded", p);
		snprintf(want, sizeof(want), "%s:%d: field '%s'", p, bad[i].line, bad[i].field);
		cr_expect(strstr(err, want), "error '%s' lacks '%s'", err, want);
	}
}

Test(scenario_fault, command_line_form)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	cr_assert_eq(load_faults("  - {do: drop, msg: reset}\n", &sc, err), 0, "%s", err);
	struct fault_rule r;
	cr_assert_eq(fault_rule_parse_cli(&sc, "{do: drop, msg: sa_confirm, nth: 1, from: c1}", &r,
					  err, sizeof(err)),
		     0, "%s", err);
	cr_expect_eq(r.action, FAULT_DROP);
	cr_expect_eq(r.line, 0);
	cr_expect_eq(r.m.msg.kinds, 1u << OBS_COMMIT);
	cr_expect_eq(r.m.msg.type, 3);
	cr_expect_eq(r.g.nth, 1);
	cr_expect_eq(r.m.from, 1);
	cr_assert_eq(scenario_fault_append(&sc, &r), 0);
	cr_assert_eq(sc.nfaults, 2);
	cr_expect_eq(sc.faults[1].m.msg.type, 3);

	cr_expect_neq(fault_rule_parse_cli(&sc, "{do: drop, msg: nonsense}", &r, err, sizeof(err)),
		      0);
	cr_expect(strstr(err, "--fault:1: field 'msg'"), "%s", err);
	cr_expect_neq(fault_rule_parse_cli(&sc, "{do: drop", &r, err, sizeof(err)), 0);
	cr_expect(strncmp(err, "--fault:", 8) == 0 && strstr(err, "YAML syntax"), "%s", err);
	cr_expect_neq(fault_rule_parse_cli(&sc, "", &r, err, sizeof(err)), 0);
	cr_expect_neq(fault_rule_parse_cli(&sc, "[drop]", &r, err, sizeof(err)), 0);
	cr_expect(strstr(err, "field 'faults'"), "%s", err);
	scenario_free(&sc);
}

Test(scenario_fault, faults_must_be_a_list)
{
	expect_error("  do: drop\n", 9, "faults");
}

/* The example at the top of docs/users/faults.md loads as written. */
Test(scenario_fault, documented_example_loads)
{
	char doc[16384], text[16384];
	FILE *f = fopen(RMCPSEC_SRC_DIR "/docs/users/faults.md", "r");
	cr_assert(f);
	size_t n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = 0;
	char *start = strstr(doc, "```yaml\nfaults:\n");
	cr_assert(start, "no example in docs/users/faults.md");
	start += strlen("```yaml\n");
	char *end = strstr(start, "```");
	cr_assert(end);
	*end = 0;
	snprintf(text, sizeof(text),
		 "name: doc\nduration: 10s\nservers:\n  - name: srv1\nclients:\n  - name: c1\n  - "
		 "name: c2\n%s",
		 start);
	struct scenario sc;
	char err[SCN_ERR] = "";
	int rc = scenario_load_text(text, &sc, err);
	cr_assert_eq(rc, 0, "%s", err);
	cr_expect_eq(sc.nfaults, 14);
	scenario_free(&sc);
}
