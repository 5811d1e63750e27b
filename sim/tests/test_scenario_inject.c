/*
 * The adversary's timeline items (`do: inject`) and the expectations about
 * them (no_answer, answered_under, not_executed, executed in a window):
 * good ones load into the fields the run reads; every bad one names its line
 * and field.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "proto/rmcp.h"
#include "sim/scenario_inject.h"
#include "sim/tests/scenario_text.h"

static const char *HEAD = "name: t\n"		       /* 1 */
			  "duration: 60s\n"	       /* 2 */
			  "security:\n"		       /* 3 */
			  "  suite: esp-aes-gcm-128\n" /* 4 */
			  "  key_exchange: ike\n"      /* 5 */
			  "  refresh: 20s\n"	       /* 6 */
			  "  lifetime: 10m\n"	       /* 7 */
			  "  max_downtime: 5m\n"       /* 8 */
			  "servers:\n"		       /* 9 */
			  "  - name: s\n"	       /* 10 */
			  "clients:\n"		       /* 11 */
			  "  - name: c1\n"	       /* 12 */
			  "timeline:\n";	       /* 13; items start on line 14 */

static int
load(const char *items, const char *expect, struct scenario *sc, char *err)
{
	char text[4096];
	snprintf(text, sizeof(text), "%s%s%s%s", HEAD, items, expect ? "expect:\n" : "",
		 expect ? expect : "");
	return scenario_load_text(text, sc, err);
}

static void
expect_error(const char *items, const char *expect, int line, const char *field)
{
	struct scenario sc;
	char err[SCN_ERR] = "", want[128];
	cr_assert_neq(load(items, expect, &sc, err), 0, "loaded: %s%s", items,
		      expect ? expect : "");
	snprintf(want, sizeof(want), "%s:%d: field '%s'", scenario_text_path, line, field);
	cr_expect(strstr(err, want), "error '%s' lacks '%s'", err, want);
}

Test(scenario_inject, injections_load)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	const char *items =
	    "  - {do: inject, name: a, at: 5s, to: c1, msg: reset}\n"
	    "  - {do: inject, name: b, at_commit_step: ack, nth: 2, to: c1, msg: presence_ping,\n"
	    "     sa: previous, seq: replay, damage: icv, rmcp_seq: 7, tag: 9}\n"
	    "  - {do: inject, name: c, at: 6s, to: c1, msg: reset, via: clear, port: 664}\n"
	    "  - {do: inject, name: d, at: 7s, to: c1, msg: reset, sa: 2, seq: ahead 1000,\n"
	    "     spi: 0x1badcafe}\n";
	cr_assert_eq(load(items, NULL, &sc, err), 0, "%s", err);
	cr_assert_eq(sc.ninjects, 4);
	const struct scn_inject *in = sc.injects;
	cr_expect_eq(in[0].at, 5000000000ULL);
	cr_expect_eq(in[0].step, SCN_STEP_NONE);
	cr_expect_eq(in[0].from, 0, "the first server by default");
	cr_expect_eq(in[0].to, 1);
	cr_expect_eq(in[0].asf_type, ASF_RESET);
	cr_expect_not(in[0].clear);
	cr_expect_eq(in[0].port, RMCP_PORT_SECURE);
	cr_expect_eq(in[0].sa, SCN_INJ_SA_ACTIVE);
	cr_expect_eq(in[0].seq, SCN_INJ_SEQ_NEXT);
	cr_expect_eq(in[1].step, SCN_STEP_ACK);
	cr_expect_eq(in[1].nth, 2);
	cr_expect_eq(in[1].at, UINT64_MAX);
	cr_expect_eq(in[1].sa, SCN_INJ_SA_PREVIOUS);
	cr_expect_eq(in[1].seq, SCN_INJ_SEQ_REPLAY);
	cr_expect_eq(in[1].damage, SCN_DAMAGE_ICV);
	cr_expect_eq(in[1].rmcp_seq, 7);
	cr_expect_eq(in[1].tag, 9);
	cr_expect(in[2].clear);
	cr_expect_eq(in[2].port, 664);
	cr_expect_eq(in[3].sa, SCN_INJ_SA_NTH);
	cr_expect_eq(in[3].sa_nth, 2);
	cr_expect_eq(in[3].seq, SCN_INJ_SEQ_AHEAD);
	cr_expect_eq(in[3].seq_arg, 1000);
	cr_expect(in[3].spi_set);
	cr_expect_eq(in[3].spi, 0x1badcafe);
	cr_expect_eq(sc.nactions, 0, "injections keep their own list");
	cr_expect_neq(in[0].rmcp_seq, in[2].rmcp_seq, "default sequence numbers differ");
	scenario_free(&sc);
}

Test(scenario_inject, bad_injections_name_line_and_field)
{
	expect_error("  - {do: inject, at: 5s, to: c1, msg: reset}\n", NULL, 14, "name");
	expect_error("  - {do: inject, name: a, at: 5s, msg: reset}\n", NULL, 14, "to");
	expect_error("  - {do: inject, name: a, at: 5s, to: s, msg: reset}\n", NULL, 14, "to");
	expect_error("  - {do: inject, name: a, at: 5s, to: c1, msg: arp}\n", NULL, 14, "msg");
	expect_error("  - {do: inject, name: a, at: 5s, to: c1, msg: reset, txid: 1}\n", NULL, 14,
		     "txid");
	expect_error("  - {do: inject, name: a, at: 5s, to: c1, msg: presence_pong}\n", NULL, 14,
		     "msg");
	expect_error("  - {do: inject, name: a, to: c1, msg: reset}\n", NULL, 14, "at");
	expect_error("  - {do: inject, name: a, at: 5s, at_commit_step: ack, to: c1, msg: reset}\n",
		     NULL, 14, "at");
	expect_error("  - {do: inject, name: a, at: 90s, to: c1, msg: reset}\n", NULL, 14, "at");
	expect_error("  - {do: inject, name: a, at: 5s, nth: 2, to: c1, msg: reset}\n", NULL, 14,
		     "nth");
	expect_error("  - {do: inject, name: a, at_commit_step: soon, to: c1, msg: reset}\n", NULL,
		     14, "at_commit_step");
	expect_error("  - {do: inject, name: a, at: 5s, to: c1, msg: reset, sa: newest}\n", NULL,
		     14, "sa");
	expect_error("  - {do: inject, name: a, at: 5s, to: c1, msg: reset, seq: ahead 0}\n", NULL,
		     14, "seq");
	expect_error("  - {do: inject, name: a, at: 5s, to: c1, msg: reset, seq: 0}\n", NULL, 14,
		     "seq");
	expect_error("  - {do: inject, name: a, at: 5s, to: c1, msg: reset, damage: crc}\n", NULL,
		     14, "damage");
	expect_error(
	    "  - {do: inject, name: a, at: 5s, to: c1, msg: reset, via: clear, sa: active}\n", NULL,
	    14, "sa");
	expect_error("  - {do: inject, name: a, at: 5s, to: c1, msg: reset, colour: red}\n", NULL,
		     14, "colour");
	expect_error("  - {do: inject, name: a, at: 5s, to: c1, msg: reset}\n"
		     "  - {do: inject, name: a, at: 6s, to: c1, msg: reset}\n",
		     NULL, 15, "name");
}

Test(scenario_inject, answer_expectations_load)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	const char *items = "  - {do: inject, name: a, at: 5s, to: c1, msg: reset}\n";
	const char *expect =
	    "  - {no_answer: a}\n"
	    "  - {request: a, answered_under: previous}\n"
	    "  - {client: c1, not_executed: reset}\n"
	    "  - {client: c1, executed: power_cycle, times: 1, after: 5s, before: 6s}\n";
	cr_assert_eq(load(items, expect, &sc, err), 0, "%s", err);
	cr_assert_eq(sc.nexpects, 4);
	cr_expect_eq(sc.expects[0].kind, SCN_EXPECT_NO_ANSWER);
	cr_expect_eq(sc.expects[0].inject, 0);
	cr_expect_eq(sc.expects[0].node, 1);
	cr_expect_eq(sc.expects[1].kind, SCN_EXPECT_ANSWERED);
	cr_expect_eq(sc.expects[1].under, SCN_UNDER_PREVIOUS);
	cr_expect_eq(sc.expects[2].kind, SCN_EXPECT_EXECUTED);
	cr_expect(sc.expects[2].exact);
	cr_expect_eq(sc.expects[2].count, 0);
	cr_expect_eq(sc.expects[3].after, 5000000000ULL);
	cr_expect_eq(sc.expects[3].before, 6000000000ULL);
	cr_expect_eq(sc.expects[3].count, 1);
	scenario_free(&sc);
}

Test(scenario_inject, bad_answer_expectations_name_line_and_field)
{
	const char *items = "  - {do: inject, name: a, at: 5s, to: c1, msg: reset}\n";
	/* expectations start on line 16 */
	expect_error(items, "  - {no_answer: b}\n", 16, "no_answer");
	expect_error(items, "  - {no_answer: a, client: c1}\n", 16, "no_answer");
	expect_error(items, "  - {request: a, answered_under: sideways}\n", 16, "answered_under");
	expect_error(items, "  - {answered_under: active}\n", 16, "request");
	expect_error(items, "  - {client: c1, not_executed: reset, times: 0}\n", 16, "times");
	expect_error(items, "  - {client: c1, executed: reset, after: 6s, before: 5s}\n", 16,
		     "before");
	expect_error(items, "  - {client: c1, power: os_up, after: 5s}\n", 16, "after");
	expect_error(items, "  - {client: c1, not_executed: presence_ping}\n", 16, "not_executed");
}

Test(scenario_inject, ike_peers_and_commit_injections_load)
{
	struct scenario sc;
	char err[SCN_ERR] = "";
	const char *items =
	    "  - {do: ike_peer, name: p, as: initiator, to: c1, lie: psk, at: 3s}\n"
	    "  - {do: ike_peer, name: q, as: responder, to: c1, lie: auth, at: 0s, until: 9s}\n"
	    "  - {do: inject, name: ack, at_commit_step: ready, to: c1, msg: sa_ack, txid: -1}\n";
	const char *expect = "  - {refused_with: AUTHENTICATION_FAILED, exchange: p}\n"
			     "  - {no_answer: q}\n";
	cr_assert_eq(load(items, expect, &sc, err), 0, "%s", err);
	cr_assert_eq(sc.nike_peers, 2);
	cr_expect_eq(sc.ike_peers[0].role, SCN_IKE_INITIATOR);
	cr_expect_eq(sc.ike_peers[0].lie, SCN_LIE_PSK);
	cr_expect_eq(sc.ike_peers[0].server, 0);
	cr_expect_eq(sc.ike_peers[0].client, 1);
	cr_expect_eq(sc.ike_peers[1].role, SCN_IKE_RESPONDER);
	cr_expect_eq(sc.ike_peers[1].until, 9000000000ULL);
	cr_assert_eq(sc.ninjects, 1);
	cr_expect(sc.injects[0].commit);
	cr_expect_eq(sc.injects[0].asf_type, ASF_COMMIT_ACK);
	cr_expect_eq(sc.injects[0].txid_off, -1);
	cr_expect_eq(sc.injects[0].sa, SCN_INJ_SA_PENDING,
		     "commit messages travel under the new SA");
	cr_expect_eq(sc.expects[0].kind, SCN_EXPECT_REFUSED);
	cr_expect_eq(sc.expects[0].notify, 24);
	cr_expect_eq(sc.expects[0].peer, 0);
	cr_expect_eq(sc.expects[1].kind, SCN_EXPECT_NO_ANSWER);
	cr_expect_eq(sc.expects[1].peer, 1);
	cr_expect_eq(sc.expects[1].inject, -1);
	scenario_free(&sc);
}

Test(scenario_inject, bad_ike_peers_name_line_and_field)
{
	expect_error("  - {do: ike_peer, name: p, as: bystander, to: c1, lie: psk, at: 3s}\n", NULL,
		     14, "as");
	expect_error("  - {do: ike_peer, name: p, as: initiator, to: c1, lie: charm, at: 3s}\n",
		     NULL, 14, "lie");
	expect_error("  - {do: ike_peer, name: p, as: responder, to: c1, lie: msgid, at: 3s}\n",
		     NULL, 14, "lie");
	expect_error("  - {do: ike_peer, name: p, as: responder, to: c1, lie: psk, at: 3s}\n", NULL,
		     14, "lie");
	expect_error(
	    "  - {do: ike_peer, name: p, as: initiator, to: c1, lie: psk, at: 3s, until: 5s}\n",
	    NULL, 14, "until");
	expect_error("  - {do: ike_peer, name: p, as: initiator, to: c1, lie: psk}\n", NULL, 14,
		     "at");
	const char *items =
	    "  - {do: ike_peer, name: p, as: initiator, to: c1, lie: psk, at: 3s}\n";
	expect_error(items, "  - {refused_with: NO_SUCH_THING, exchange: p}\n", 16, "refused_with");
	expect_error(items, "  - {refused_with: AUTHENTICATION_FAILED, exchange: x}\n", 16,
		     "exchange");
}
