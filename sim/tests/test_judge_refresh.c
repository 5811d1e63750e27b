/*
 * `refreshed: on_schedule`: the loader takes it only where it can be judged
 * and names every bad one by line and field; the judge reads the refresh
 * schedule from a crafted observation log — commits, refresh starts, the
 * adversary's frames — and fails a late refresh and an SA kept too long.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "proto/ikev2.h"
#include "proto/rmcp.h"
#include "sim/judge_refresh.h"
#include "sim/tests/scenario_text.h"

#define S(x) ((uint64_t)(x)*NS_PER_S)

static const char *HEAD = "name: t\n"		       /* 1 */
			  "duration: 60s\n"	       /* 2 */
			  "security:\n"		       /* 3 */
			  "  suite: esp-aes-gcm-128\n" /* 4 */
			  "  key_exchange: ike\n"      /* 5 */
			  "  refresh: 10s\n"	       /* 6 */
			  "  lifetime: 60s\n"	       /* 7 */
			  "  max_downtime: 25s\n"      /* 8 */
			  "servers:\n"		       /* 9 */
			  "  - name: s\n"	       /* 10 */
			  "clients:\n"		       /* 11 */
			  "  - name: c1\n"	       /* 12 */
			  "  - name: c2\n"	       /* 13 */
			  "    commit: none\n"	       /* 14 */
			  "expect:\n";		       /* 15; items start on line 16 */

static void
expect_error(const char *head, const char *expect, int line, const char *field)
{
	struct scenario sc;
	char err[SCN_ERR] = "", want[128], text[2048];
	snprintf(text, sizeof(text), "%s%s", head, expect);
	cr_assert_neq(scenario_load_text(text, &sc, err), 0, "loaded: %s", expect);
	snprintf(want, sizeof(want), "%s:%d: field '%s'", scenario_text_path, line, field);
	cr_expect(strstr(err, want), "error '%s' lacks '%s'", err, want);
}

Test(judge_refresh, loads)
{
	struct scenario sc;
	char err[SCN_ERR] = "", text[2048];
	snprintf(
	    text, sizeof(text), "%s%s", HEAD,
	    "  - {client: c1, refreshed: on_schedule, req: REQ-REFRESH-CONFIG}\n"
	    "  - {client: c1, refreshed: on_schedule, slack: 250ms, after: 5s, before: 30s}\n");
	cr_assert_eq(scenario_load_text(text, &sc, err), 0, "%s", err);
	cr_assert_eq(sc.nexpects, 2);
	const struct scn_expect *a = &sc.expects[0], *b = &sc.expects[1];
	cr_expect_eq(a->kind, SCN_EXPECT_REFRESHED);
	cr_expect_eq(a->node, scenario_node(&sc, "c1"));
	cr_expect_eq(a->slack, S(1), "slack defaults to 1 s");
	cr_expect_eq(a->after, 0);
	cr_expect_eq(a->before, UINT64_MAX, "no window: the whole run");
	cr_expect_eq(a->nreq, 1);
	cr_expect_eq(b->slack, 250 * NS_PER_MS);
	cr_expect_eq(b->after, S(5));
	cr_expect_eq(b->before, S(30));
	scenario_free(&sc);
}

Test(judge_refresh, bad_ones_are_named)
{
	expect_error(HEAD, "  - {client: c1, refreshed: always}\n", 16, "refreshed");
	expect_error(HEAD, "  - {client: c1, refreshed: on_schedule, power: os_up}\n", 16,
		     "refreshed");
	expect_error(HEAD, "  - {client: c1, refreshed: on_schedule, times: 1}\n", 16, "refreshed");
	expect_error(HEAD, "  - {client: c2, refreshed: on_schedule}\n", 16, "refreshed");
	expect_error(HEAD, "  - {refreshed: on_schedule}\n", 16, "client");
	expect_error(HEAD, "  - {client: c1, refreshed: on_schedule, slack: soon}\n", 16, "slack");
	expect_error(HEAD, "  - {client: c1, refreshed: on_schedule, after: 9s, before: 9s}\n", 16,
		     "before");
	expect_error(HEAD, "  - {client: c1, executed: reset, slack: 1s}\n", 16, "slack");
	expect_error(HEAD, "  - {client: c1, power: os_up, after: 1s}\n", 16, "after");
	/* provisioned SAs are never refreshed: nothing to judge */
	expect_error("name: t\nduration: 9s\nsecurity:\n  suite: esp-aes-gcm-128\n"
		     "servers:\n  - name: s\nclients:\n  - name: c1\nexpect:\n",
		     "  - {client: c1, refreshed: on_schedule}\n", 10, "refreshed");
}

/* A crafted observation log: frames for client 1 from server 0. */
struct wire {
	struct obs v[64];
	size_t n;
};

static struct obs *
frame(struct wire *w, uint64_t t)
{
	cr_assert_lt(w->n, 64);
	struct obs *o = &w->v[w->n];
	memset(o, 0, sizeof(*o));
	o->t = t;
	o->frame_no = (uint32_t)++w->n;
	return o;
}

/* The server's IKE request to the client (IKE_SA_INIT unless exch says otherwise). */
static void
ike_request(struct wire *w, uint64_t t, uint8_t exch)
{
	struct obs *o = frame(w, t);
	o->from = 0;
	o->to = 1;
	o->kind = OBS_IKE;
	o->ike_exch = exch;
}

/* The client's SA_CONFIRM under its sa-th SA. */
static void
confirm(struct wire *w, uint64_t t, uint16_t sa)
{
	struct obs *o = frame(w, t);
	o->from = 1;
	o->to = 0;
	o->kind = OBS_COMMIT;
	o->asf_type = ASF_COMMIT_CONFIRM;
	o->prot = OBS_ESP;
	o->opened = true;
	o->sa = sa;
}

/* A refresh that starts at t and commits the client's sa-th SA right after. */
static void
refresh(struct wire *w, uint64_t t, uint16_t sa)
{
	ike_request(w, t, IKEV2_EXCH_IKE_SA_INIT);
	confirm(w, t + 100 * NS_PER_US, sa);
}

static const struct refresh_rule RULE = {
    .refresh = S(10), .slack = S(1), .max_age = S(35), .after = 0, .before = S(60)};

static void
judge_wire(const struct wire *w, const struct refresh_rule *rule, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	judge_refresh_schedule(w->v, w->n, 1, rule, v);
}

Test(judge_refresh, on_schedule_passes)
{
	struct wire w = {.n = 0};
	struct verdict v;
	for (uint16_t k = 0; k < 6; k++)
		refresh(&w, S(2) + k * S(10), (uint16_t)(k + 1));
	judge_wire(&w, &RULE, &v);
	cr_expect(v.pass && !v.na, "%s", v.detail);
	cr_expect(strstr(v.detail, "6 SA(s) committed; 5 refresh(es) due"), "%s", v.detail);
}

Test(judge_refresh, late_refresh_fails)
{
	struct wire w = {.n = 0};
	struct verdict v;
	refresh(&w, S(2), 1);
	refresh(&w, S(14), 2); /* due by 2 + 10 + 1 s */
	judge_wire(&w, &RULE, &v);
	cr_expect(!v.pass && !v.na);
	cr_expect(strstr(v.detail, "SA 1 committed at 2.000 s (frame #2): no refresh started by "
				   "13.000 s"),
		  "%s", v.detail);
	/* within the slack it is on time */
	struct refresh_rule lax = RULE;
	lax.slack = S(3);
	lax.before = S(20); /* SA 2's own refresh would be due at 27 s */
	judge_wire(&w, &lax, &v);
	cr_expect(v.pass, "%s", v.detail);
}

Test(judge_refresh, the_adversary_is_not_the_server)
{
	struct wire w = {.n = 0};
	struct verdict v;
	refresh(&w, S(2), 1);
	ike_request(&w, S(11), IKEV2_EXCH_IKE_SA_INIT);
	w.v[w.n - 1].injected = true; /* a lying IKE peer in the server's name */
	struct obs *answer = frame(&w, S(11));
	answer->from = 1;
	answer->to = 0;
	answer->kind = OBS_IKE;
	answer->ike_exch = IKEV2_EXCH_IKE_SA_INIT;
	answer->ike_response = true; /* the client's response starts nothing */
	judge_wire(&w, &RULE, &v);
	cr_expect(!v.pass, "%s", v.detail);
	cr_expect(strstr(v.detail, "no refresh started by 13.000 s"), "%s", v.detail);
}

Test(judge_refresh, create_child_sa_starts_a_refresh)
{
	struct wire w = {.n = 0};
	struct verdict v;
	refresh(&w, S(2), 1);
	ike_request(&w, S(12), IKEV2_EXCH_CREATE_CHILD_SA);
	confirm(&w, S(12) + NS_PER_MS, 2);
	struct refresh_rule until20 = RULE;
	until20.before = S(20); /* before SA 2's own refresh falls due */
	judge_wire(&w, &until20, &v);
	cr_expect(v.pass, "%s", v.detail);
}

Test(judge_refresh, sa_kept_too_long_fails)
{
	struct wire w = {.n = 0};
	struct verdict v;
	refresh(&w, S(2), 1);
	/* every refresh starts on time and fails; the SA in use only ages */
	for (int k = 1; k <= 3; k++)
		ike_request(&w, S(2) + k * S(10) + S(6) * (uint64_t)(k - 1),
			    IKEV2_EXCH_IKE_SA_INIT);
	refresh(&w, S(50), 2);
	judge_wire(&w, &RULE, &v);
	cr_expect(!v.pass && !v.na);
	cr_expect(strstr(v.detail, "SA 1, committed at 2.000 s (frame #2), still the newest at "
				   "50.000 s: 48.000 s, above lifetime - max_downtime (35.000 s)"),
		  "%s", v.detail);
	/* to the window's end, too */
	struct refresh_rule early = RULE;
	early.before = S(40);
	judge_wire(&w, &early, &v);
	cr_expect(!v.pass);
	cr_expect(strstr(v.detail, "still the newest at 40.000 s: 38.000 s"), "%s", v.detail);
	/* with no lifetime, only the starts count: each came on time */
	struct refresh_rule infinite = RULE;
	infinite.max_age = UINT64_MAX;
	judge_wire(&w, &infinite, &v);
	cr_expect(v.pass, "%s", v.detail);
}

Test(judge_refresh, a_repeated_confirm_is_no_commit)
{
	struct wire w = {.n = 0};
	struct verdict v;
	refresh(&w, S(2), 1);
	confirm(&w, S(9), 1); /* the robust NIC repeats its SA_CONFIRM: SA 1 is not new */
	ike_request(&w, S(15), IKEV2_EXCH_IKE_SA_INIT);
	judge_wire(&w, &RULE, &v);
	cr_expect(!v.pass, "due at 13 s after the commit at 2 s, not at 20 s: %s", v.detail);
	cr_expect(strstr(v.detail, "SA 1 committed at 2.000 s (frame #2)"), "%s", v.detail);
}

Test(judge_refresh, the_window)
{
	struct wire w = {.n = 0};
	struct verdict v;
	refresh(&w, S(2), 1);
	refresh(&w, S(12), 2);
	/* the client is down from 20 s to 40 s: no refresh; one at 42 s */
	refresh(&w, S(42), 3);
	struct refresh_rule up = RULE;
	up.max_age = UINT64_MAX;
	up.before = S(20);
	judge_wire(&w, &up, &v);
	cr_expect(v.pass, "%s", v.detail);
	cr_expect(strstr(v.detail, "1 refresh(es) due"), "the one due at 23 s is outside: %s",
		  v.detail);
	up.after = S(40);
	up.before = S(50);
	judge_wire(&w, &up, &v);
	cr_expect(v.na, "nothing fell due in [40 s, 50 s): %s", v.detail);
	up.before = S(60);
	judge_wire(&w, &up, &v);
	cr_expect(!v.pass && !v.na, "due at 53 s: %s", v.detail);
	/* and across the outage the whole run fails */
	up.after = 0;
	judge_wire(&w, &up, &v);
	cr_expect(!v.pass);
	cr_expect(strstr(v.detail, "SA 2 committed at 12.000 s"), "%s", v.detail);
}

Test(judge_refresh, nothing_committed_fails)
{
	struct wire w = {.n = 0};
	struct verdict v;
	ike_request(&w, S(2), IKEV2_EXCH_IKE_SA_INIT);
	confirm(&w, S(3), 1);
	w.v[w.n - 1].opened = false; /* under an SA the harness cannot open */
	judge_wire(&w, &RULE, &v);
	cr_expect(!v.pass && !v.na);
	cr_expect(strstr(v.detail, "no SA committed before 60.000 s"), "%s", v.detail);
}
