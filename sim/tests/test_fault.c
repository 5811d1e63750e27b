/*
 * The fault engine on its own: which frames a rule matches, which of the
 * matches it acts on (nth, every, count, windows, Bernoulli, Gilbert-
 * Elliott), what it does to them, and that one seed gives one schedule.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/ikev2.h"
#include "proto/rmcp.h"
#include "sim/fault.h"

enum { SRV = 0, C1 = 1, C2 = 2 };
static const uint8_t ROLES[] = {SCN_SERVER, SCN_CLIENT, SCN_CLIENT};

static struct fault_rule R[8];
static struct fault_engine fe;
static uint32_t frame_no;

static struct fault_rule *
rule(size_t i, enum fault_action a)
{
	fault_rule_defaults(&R[i]);
	R[i].action = a;
	R[i].line = (int)(10 + i);
	return &R[i];
}

static void
start(size_t nrules, uint64_t seed)
{
	frame_no = 0;
	cr_assert_eq(fault_engine_init(&fe, R, nrules, ROLES, 3, seed), 0);
}

static struct obs
asf(uint8_t type)
{
	return (struct obs){.frame_no = ++frame_no, .kind = OBS_ASF, .asf_type = type};
}

static struct obs
ike(uint8_t exch, bool response, uint32_t msgid)
{
	return (struct obs){.frame_no = ++frame_no,
			    .kind = OBS_IKE,
			    .ike_exch = exch,
			    .ike_response = response,
			    .ike_msgid = msgid};
}

static bool
dropped(uint64_t now, int from, int to, struct obs o)
{
	struct fault_verdict v;
	fault_decide(&fe, now, from, to, &o, &v);
	return v.drop;
}

Test(fault, matches_link_direction_and_message)
{
	struct fault_rule *r = rule(0, FAULT_DROP);
	r->m.from = C1;
	r->m.to = SRV;
	r->m.msg.kinds = 1u << OBS_ASF;
	r->m.msg.type = ASF_PRESENCE_PONG;
	start(1, 1);
	cr_expect(dropped(0, C1, SRV, asf(ASF_PRESENCE_PONG)));
	cr_expect(!dropped(0, SRV, C1, asf(ASF_PRESENCE_PONG)), "other direction");
	cr_expect(!dropped(0, C2, SRV, asf(ASF_PRESENCE_PONG)), "other sender");
	cr_expect(!dropped(0, C1, SRV, asf(ASF_SYSTEM_STATE_RESP)), "other type");
	struct obs ack = {.frame_no = ++frame_no, .kind = OBS_RMCP_ACK};
	cr_expect(!dropped(0, C1, SRV, ack), "other kind");
	fault_engine_fini(&fe);

	r = rule(0, FAULT_DROP);
	r->m.dir = FAULT_DIR_TO_SERVER;
	r->m.via = SCN_VIA_SECURE;
	start(1, 1);
	struct obs sec = asf(ASF_RESET);
	sec.prot = OBS_ESP;
	sec.opened = true;
	cr_expect(dropped(0, C1, SRV, sec));
	sec.frame_no = ++frame_no;
	cr_expect(!dropped(0, SRV, C1, sec), "to a client");
	cr_expect(!dropped(0, C1, SRV, asf(ASF_RESET)), "in the clear");
	fault_engine_fini(&fe);
}

Test(fault, ike_exchange_response_and_message_id)
{
	struct fault_rule *r = rule(0, FAULT_DROP);
	r->m.msg.kinds = 1u << OBS_IKE;
	r->m.msg.type = IKEV2_EXCH_IKE_AUTH;
	r->m.response = 1;
	r->m.msg_id = 1;
	start(1, 1);
	cr_expect(dropped(0, SRV, C1, ike(IKEV2_EXCH_IKE_AUTH, true, 1)));
	cr_expect(!dropped(0, C1, SRV, ike(IKEV2_EXCH_IKE_AUTH, false, 1)), "request");
	cr_expect(!dropped(0, SRV, C1, ike(IKEV2_EXCH_IKE_SA_INIT, true, 1)), "other exchange");
	cr_expect(!dropped(0, SRV, C1, ike(IKEV2_EXCH_IKE_AUTH, true, 2)), "other message id");
	cr_expect(!dropped(0, SRV, C1, asf(IKEV2_EXCH_IKE_AUTH)), "an ASF type equal to 35");
	fault_engine_fini(&fe);
}

Test(fault, commit_messages_by_type)
{
	struct fault_rule *r = rule(0, FAULT_DROP);
	r->m.msg.kinds = 1u << OBS_COMMIT;
	r->m.msg.type = 3; /* SA_CONFIRM */
	start(1, 1);
	struct obs o = {.frame_no = ++frame_no, .kind = OBS_COMMIT, .asf_type = 3};
	cr_expect(dropped(0, C1, SRV, o));
	o = (struct obs){.frame_no = ++frame_no, .kind = OBS_COMMIT, .asf_type = 2};
	cr_expect(!dropped(0, SRV, C1, o), "SA_ACK");
	cr_expect(!dropped(0, SRV, C1, asf(3)), "ASF type 3 under IANA 4542");
	fault_engine_fini(&fe);
}

Test(fault, nth_every_count)
{
	rule(0, FAULT_DROP)->g.nth = 3;
	start(1, 1);
	for (int i = 1; i <= 6; i++)
		cr_expect_eq(dropped(0, SRV, C1, asf(ASF_RESET)), i == 3, "frame %d", i);
	fault_engine_fini(&fe);

	struct fault_rule *r = rule(0, FAULT_DROP);
	r->g.every = 2;
	r->g.count = 2;
	start(1, 1);
	for (int i = 1; i <= 8; i++)
		cr_expect_eq(dropped(0, SRV, C1, asf(ASF_RESET)), i == 2 || i == 4, "frame %d", i);
	fault_engine_fini(&fe);
}

Test(fault, one_decision_per_frame_for_all_its_receivers)
{
	rule(0, FAULT_DROP)->g.nth = 1;
	start(1, 1);
	struct obs arp = {.frame_no = ++frame_no, .kind = OBS_ARP_REQUEST};
	cr_expect(dropped(0, SRV, C1, arp));
	cr_expect(dropped(0, SRV, C2, arp), "the same broadcast frame, another port");
	arp.frame_no = ++frame_no;
	cr_expect(!dropped(0, SRV, C1, arp), "the next frame is the 2nd match");
	cr_expect_eq(fe.nlog, 2, "one entry per link the frame was lost on");
	fault_engine_fini(&fe);
}

Test(fault, time_windows)
{
	struct fault_rule *r = rule(0, FAULT_DROP);
	r->g.from = 1000;
	r->g.until = 2000;
	start(1, 1);
	cr_expect(!dropped(999, SRV, C1, asf(ASF_RESET)));
	cr_expect(dropped(1000, SRV, C1, asf(ASF_RESET)), "from is inclusive");
	cr_expect(dropped(1999, SRV, C1, asf(ASF_RESET)));
	cr_expect(!dropped(2000, SRV, C1, asf(ASF_RESET)), "until is exclusive");
	fault_engine_fini(&fe);
}

Test(fault, partition_both_ways_in_its_window)
{
	struct fault_rule *r = rule(0, FAULT_PARTITION);
	fault_set_add(r->side_a, SRV);
	fault_set_add(r->side_b, C1);
	r->g.from = 100;
	r->g.until = 200;
	start(1, 1);
	cr_expect(dropped(150, SRV, C1, asf(ASF_RESET)));
	cr_expect(dropped(150, C1, SRV, asf(ASF_PRESENCE_PONG)));
	cr_expect(!dropped(150, SRV, C2, asf(ASF_RESET)), "c2 is on neither side");
	cr_expect(!dropped(200, SRV, C1, asf(ASF_RESET)), "healed");
	cr_expect_eq(fe.log[0].action, FAULT_PARTITION);
	fault_engine_fini(&fe);
}

Test(fault, bernoulli_rate)
{
	rule(0, FAULT_DROP)->g.p = 0.1;
	start(1, 42);
	unsigned lost = 0, n = 100000;
	for (unsigned i = 0; i < n; i++)
		lost += dropped(0, SRV, C1, asf(ASF_RESET));
	/* sd = sqrt(n p (1-p)) = 95 frames: 500 is over 5 sd. */
	cr_expect(lost > 9500 && lost < 10500, "lost %u of %u", lost, n);
	fault_engine_fini(&fe);
}

/* Mean loss-burst length and loss rate over n frames. */
static void
bursts(unsigned n, double *rate, double *mean_burst)
{
	unsigned lost = 0, runs = 0;
	bool prev = false;
	for (unsigned i = 0; i < n; i++) {
		bool d = dropped(0, SRV, C1, asf(ASF_RESET));
		lost += d;
		runs += d && !prev;
		prev = d;
	}
	*rate = (double)lost / n;
	*mean_burst = runs ? (double)lost / runs : 0;
}

Test(fault, gilbert_elliott_losses_come_in_bursts)
{
	struct fault_rule *r = rule(0, FAULT_DROP);
	r->g.gilbert = true;
	r->g.p_gb = 0.01;
	r->g.p_bg = 0.1;
	r->g.loss_good = 0;
	r->g.loss_bad = 1;
	start(1, 42);
	double rate, burst;
	bursts(200000, &rate, &burst);
	/* Stationary: P(bad) = p_gb / (p_gb + p_bg) = 1/11; bursts last 1/p_bg = 10 frames. */
	cr_expect(rate > 0.08 && rate < 0.102, "loss rate %f", rate);
	cr_expect(burst > 8 && burst < 12, "mean burst %f", burst);
	fault_engine_fini(&fe);

	/* The same rate from Bernoulli loss gives bursts of about 1 / (1 - p) = 1.1 frames. */
	rule(0, FAULT_DROP)->g.p = rate;
	start(1, 42);
	double brate, bburst;
	bursts(200000, &brate, &bburst);
	cr_expect(bburst < 1.3, "Bernoulli mean burst %f", bburst);
	fault_engine_fini(&fe);
}

/* A schedule mixing every random choice: loss, jitter and bit flips. */
static void
schedule(uint64_t seed, uint64_t out[300])
{
	rule(0, FAULT_DROP)->g.p = 0.3;
	struct fault_rule *d = rule(1, FAULT_DELAY);
	d->delay_ns = 1000;
	d->jitter_ns = 1000000;
	rule(2, FAULT_CORRUPT)->bits = 3;
	start(3, seed);
	for (int i = 0; i < 100; i++) {
		struct fault_verdict v;
		struct obs o = asf(ASF_RESET);
		uint8_t frame[64] = {0};
		fault_decide(&fe, (uint64_t)i, SRV, C1, &o, &v);
		fault_corrupt(&fe, frame, sizeof(frame), v.flips, 14);
		uint64_t h = 0;
		for (size_t b = 0; b < sizeof(frame); b++)
			h = h * 131 + frame[b];
		out[3 * i] = v.drop;
		out[3 * i + 1] = v.copies ? v.delay_ns[0] : 0;
		out[3 * i + 2] = h;
	}
	fault_engine_fini(&fe);
}

Test(fault, one_seed_one_schedule)
{
	uint64_t a[300], b[300], c[300];
	schedule(7, a);
	schedule(7, b);
	schedule(8, c);
	cr_expect_arr_eq(a, b, sizeof(a), "same seed, different decisions");
	cr_expect(memcmp(a, c, sizeof(a)) != 0, "another seed gave the same schedule");
}

static unsigned
popcount_diff(const uint8_t *x, const uint8_t *y, size_t n)
{
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++)
		bits += (unsigned)__builtin_popcount(x[i] ^ y[i]);
	return bits;
}

Test(fault, corrupt_flips_exactly_n_bits_after_the_offset)
{
	start(0, 3);
	const unsigned flips[] = {1, 2, 7, 64};
	for (size_t k = 0; k < sizeof(flips) / sizeof(flips[0]); k++)
		for (int rep = 0; rep < 50; rep++) {
			uint8_t orig[80], f[80];
			for (size_t i = 0; i < sizeof(orig); i++)
				orig[i] = (uint8_t)(i * 37);
			memcpy(f, orig, sizeof(f));
			fault_corrupt(&fe, f, sizeof(f), flips[k], 14);
			cr_assert_eq(popcount_diff(orig, f, sizeof(f)), flips[k]);
			cr_assert_arr_eq(orig, f, 14, "the Ethernet header was touched");
		}
	/* More flips than bits available: every bit of the tail flips, nothing else. */
	uint8_t g[16] = {0};
	fault_corrupt(&fe, g, sizeof(g), 64, 14);
	cr_expect_eq(popcount_diff((uint8_t[16]){0}, g, 16), 16);
	fault_corrupt(&fe, g, sizeof(g), 5, 16); /* nothing after the offset */
	cr_expect_eq(popcount_diff((uint8_t[16]){0}, g, 16), 16);
	fault_engine_fini(&fe);
}

Test(fault, truncate_duplicate_and_delay)
{
	rule(0, FAULT_TRUNCATE)->truncate_to = 40;
	rule(1, FAULT_TRUNCATE)->truncate_to = 30;
	struct fault_rule *dup = rule(2, FAULT_DUPLICATE);
	dup->copies = 2;
	dup->delay_ns = 500;
	struct fault_rule *d = rule(3, FAULT_DELAY);
	d->delay_ns = 1000;
	d->jitter_ns = 100;
	start(4, 5);
	uint64_t lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < 200; i++) {
		struct fault_verdict v;
		struct obs o = asf(ASF_RESET);
		cr_assert_eq(fault_decide(&fe, 0, SRV, C1, &o, &v), 4);
		cr_assert_eq(v.truncate_to, 30, "the shorter cut wins");
		cr_assert_eq(v.copies, 3);
		uint64_t j = v.delay_ns[0] - 1000;
		cr_assert(v.delay_ns[0] >= 1000 && v.delay_ns[0] <= 1100);
		cr_assert_eq(v.delay_ns[1], 500 + 1000 + j, "a copy is delayed like the original");
		cr_assert_eq(v.delay_ns[2], v.delay_ns[1]);
		lo = j < lo ? j : lo;
		hi = j > hi ? j : hi;
	}
	cr_expect(lo < 10 && hi > 90, "jitter spread [%llu, %llu] of [0, 100]",
		  (unsigned long long)lo, (unsigned long long)hi);
	fault_engine_fini(&fe);
}

Test(fault, a_drop_ends_the_rule_list)
{
	rule(0, FAULT_DROP);
	rule(1, FAULT_CORRUPT)->bits = 1;
	start(2, 1);
	struct fault_verdict v;
	struct obs o = asf(ASF_RESET);
	cr_expect_eq(fault_decide(&fe, 5, SRV, C1, &o, &v), 1);
	cr_expect(v.drop);
	cr_expect_eq(v.copies, 0);
	cr_expect_eq(v.flips, 0);
	cr_assert_eq(fe.nlog, 1);
	cr_expect_eq(fe.log[0].t, 5);
	cr_expect_eq(fe.log[0].rule, 0);
	cr_expect_eq(fe.log[0].frame, o.frame_no);
	cr_expect_eq(fe.log[0].action, FAULT_DROP);
	fault_engine_fini(&fe);
}

Test(fault, reorder_holds_until_later_frames_pass)
{
	struct fault_rule *r = rule(0, FAULT_REORDER);
	r->g.nth = 1;
	r->after = 2;
	r->max_hold_ns = 1000;
	start(1, 1);
	struct fault_verdict v;
	struct obs o = asf(ASF_RESET);
	fault_decide(&fe, 10, SRV, C1, &o, &v);
	cr_assert_eq(v.hold, 0);
	cr_expect_eq(v.copies, 0);
	cr_expect_eq(fe.holds[0].deadline, 1010);
	o = asf(ASF_RESET);
	fault_decide(&fe, 11, SRV, C2, &o, &v);
	cr_expect_eq(v.nrelease, 0, "another link does not count");
	o = asf(ASF_RESET);
	fault_decide(&fe, 12, SRV, C1, &o, &v);
	cr_expect_eq(v.nrelease, 0, "one of two");
	o = asf(ASF_RESET);
	fault_decide(&fe, 13, SRV, C1, &o, &v);
	cr_expect_eq(v.copies, 1);
	cr_assert_eq(v.nrelease, 1, "released after the second later frame");
	cr_expect_eq(v.release[0], 0);
	cr_expect(!fault_hold_expire(&fe, 0, fe.holds[0].gen), "already released");
	fault_engine_fini(&fe);

	/* Nothing follows: the max hold time lets it go. */
	r = rule(0, FAULT_REORDER);
	r->g.nth = 1;
	start(1, 1);
	o = asf(ASF_RESET);
	fault_decide(&fe, 0, SRV, C1, &o, &v);
	uint32_t gen = fe.holds[0].gen;
	cr_expect(!fault_hold_expire(&fe, 0, gen + 1), "a stale expiry");
	cr_expect(fault_hold_expire(&fe, 0, gen));
	cr_expect(!fault_hold_expire(&fe, 0, gen), "only once");
	fault_engine_fini(&fe);
}

Test(fault, node_faults_are_listed_fired_and_logged)
{
	struct fault_rule *c = rule(0, FAULT_CRASH);
	c->node = SRV;
	c->at = 100;
	rule(1, FAULT_DROP);
	struct fault_rule *p = rule(2, FAULT_POWER_LOSS);
	p->node = C1;
	p->step = FAULT_STEP_ACK;
	p->g.count = 1;
	struct fault_rule *j = rule(3, FAULT_CLOCK_JUMP);
	j->node = C2;
	j->by_ns = -5;
	start(4, 1);
	size_t idx[4];
	cr_assert_eq(fault_node_timed(&fe, idx, 4), 2);
	cr_expect_eq(idx[0], 0);
	cr_expect_eq(idx[1], 3);
	cr_expect_eq(fault_node_fire(&fe, 100, 0), c);
	cr_expect_null(fault_node_fire(&fe, 100, 1), "a link rule is not a node fault");
	cr_expect_null(fault_commit_step(&fe, 200, C1, FAULT_STEP_READY));
	cr_expect_null(fault_commit_step(&fe, 200, C2, FAULT_STEP_ACK), "another client");
	cr_expect_eq(fault_commit_step(&fe, 200, C1, FAULT_STEP_ACK), p);
	cr_expect_null(fault_commit_step(&fe, 300, C1, FAULT_STEP_ACK), "count: 1");
	cr_assert_eq(fe.nlog, 2);
	cr_expect_eq(fe.log[1].t, 200);
	cr_expect_eq(fe.log[1].action, FAULT_POWER_LOSS);
	cr_expect_eq(fe.log[1].value, FAULT_STEP_ACK);
	cr_expect(!fault_engine_has_link_rules(&fe) == false);
	fault_engine_fini(&fe);
}
