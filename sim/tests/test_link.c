/*
 * sim/link on the virtual backend (sim/lan) and engine: what the receiving port gets when the
 * fault engine drops, holds, duplicates, cuts or damages a frame, and that
 * without link rules the switch is left alone.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/err.h"
#include "sim/engine.h"
#include "sim/link.h"
#include "sim/net.h"

enum { NODES = 3, MAXRX = 32 };

struct rx {
	size_t port;
	uint64_t t;
	uint8_t id;
	size_t len;
	uint8_t bytes[64];
};

static struct engine eng;
static struct net net;
static struct link lnk;
static struct obs_log obs;
static struct scenario sc;
static struct scn_node nodes[NODES];
static struct fault_rule rules[4];
static struct rx rx[MAXRX];
static size_t nrx;

static void
on_deliver(void *ctx, size_t port, uint64_t now, const uint8_t *f, size_t len)
{
	(void)ctx;
	cr_assert_lt(nrx, MAXRX);
	struct rx *r = &rx[nrx++];
	r->port = port;
	r->t = now;
	r->id = len > 20 ? f[20] : 0;
	r->len = len;
	memcpy(r->bytes, f, len < 64 ? len : 64);
}

static void
on_capture(void *ctx, size_t port, uint64_t t, const uint8_t *f, size_t len)
{
	(void)ctx;
	(void)port;
	cr_assert_eq(obs_log_frame(&obs, &sc, t, f, len), RMC_OK);
}

static void
setup(size_t nrules)
{
	memset(&sc, 0, sizeof(sc));
	for (size_t i = 0; i < NODES; i++) {
		memset(&nodes[i], 0, sizeof(nodes[i]));
		snprintf(nodes[i].name, sizeof(nodes[i].name), "n%zu", i);
		nodes[i].role = i == 0 ? SCN_SERVER : SCN_CLIENT;
		nodes[i].mac[0] = 2;
		nodes[i].mac[5] = (uint8_t)(i + 1);
	}
	sc.nodes = nodes;
	sc.nnodes = NODES;
	sc.faults = rules;
	sc.nfaults = nrules;
	nrx = 0;
	obs_log_init(&obs);
	cr_assert_eq(engine_init(&eng, 64), 0);
	struct net_port ports[NODES];
	for (size_t i = 0; i < NODES; i++)
		ports[i] = (struct net_port){.name = nodes[i].name,
					     .link = {.latency_ns = 1000, .mtu = 1500}};
	struct net_cfg cfg = {.ports = ports,
			      .nports = NODES,
			      .eng = &eng,
			      .link = &lnk,
			      .hooks = {.deliver = on_deliver, .capture = on_capture}};
	char err[128];
	cr_assert_eq(link_init(&lnk, &sc, 9, &net, &eng, &obs), 0);
	cr_assert_eq(net_open_virtual(&net, &cfg, err, sizeof(err)), 0, "%s", err);
}

static void
teardown(void)
{
	link_fini(&lnk);
	net_close(&net);
	engine_fini(&eng);
	obs_log_fini(&obs);
}

static void
send_at(void *ctx, uint64_t arg)
{
	(void)ctx;
	uint8_t f[60] = {0};
	memset(f, 0xff, 6); /* broadcast: every other port gets it */
	memcpy(f + 6, nodes[0].mac, 6);
	f[12] = 0x88; /* a local experimental EtherType: classified `other` */
	f[13] = 0xb5;
	f[20] = (uint8_t)arg;
	for (size_t i = 21; i < sizeof(f); i++)
		f[i] = (uint8_t)(i * 7);
	cr_assert_eq(net_send(&net, 0, f, sizeof(f)), 0);
}

/* Frames 1..n leave port 0 one microsecond apart. */
static void
send_frames(unsigned n)
{
	for (unsigned i = 1; i <= n; i++)
		engine_at(&eng, i * 1000ULL, send_at, NULL, i);
	engine_run(&eng, UINT64_MAX);
}

static size_t
received(size_t port, uint8_t *ids, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < nrx; i++)
		if (rx[i].port == port && n < cap)
			ids[n++] = rx[i].id;
	return n;
}

static struct fault_rule *
rule(size_t i, enum fault_action a)
{
	fault_rule_defaults(&rules[i]);
	rules[i].action = a;
	return &rules[i];
}

Test(link, no_link_rules_leave_the_switch_alone)
{
	struct fault_rule *c = rule(0, FAULT_CRASH);
	c->node = 0;
	setup(1);
	cr_expect_not(link_active(&lnk));
	send_frames(2);
	uint8_t ids[8];
	cr_expect_eq(received(1, ids, 8), 2);
	cr_expect_eq(received(2, ids, 8), 2);
	teardown();
}

Test(link, drop_on_one_receiving_link_only)
{
	struct fault_rule *r = rule(0, FAULT_DROP);
	r->m.to = 1;
	r->g.nth = 2;
	setup(1);
	send_frames(3);
	uint8_t ids[8];
	cr_assert_eq(received(1, ids, 8), 2);
	cr_expect(ids[0] == 1 && ids[1] == 3, "port 1 lost frame 2");
	cr_expect_eq(received(2, ids, 8), 3, "port 2 lost nothing");
	cr_assert_eq(lnk.fe.nlog, 1);
	cr_expect_eq(lnk.fe.log[0].frame, 2, "logged with its trace number");
	teardown();
}

Test(link, reorder_releases_after_later_frames)
{
	struct fault_rule *r = rule(0, FAULT_REORDER);
	r->m.to = 1;
	r->g.nth = 1;
	r->after = 2;
	setup(1);
	send_frames(4);
	uint8_t ids[8];
	cr_assert_eq(received(1, ids, 8), 4);
	cr_expect(ids[0] == 2 && ids[1] == 3 && ids[2] == 1 && ids[3] == 4,
		  "order %u %u %u %u, want 2 3 1 4", ids[0], ids[1], ids[2], ids[3]);
	cr_expect_eq(received(2, ids, 8), 4);
	cr_expect_eq(ids[0], 1, "port 2 in order");
	teardown();
}

Test(link, reorder_gives_up_after_max_hold)
{
	struct fault_rule *r = rule(0, FAULT_REORDER);
	r->m.to = 1;
	r->g.nth = 1;
	r->after = 5;
	r->max_hold_ns = 1000000;
	setup(1);
	send_frames(1);
	cr_assert_eq(nrx, 2);
	const struct rx *one = rx[0].port == 1 ? &rx[0] : &rx[1];
	const struct rx *two = rx[0].port == 1 ? &rx[1] : &rx[0];
	cr_expect_eq(one->t - two->t, 1000000, "held for max_hold, then sent as usual");
	cr_expect_geq(one->t, 1000 + 1000000);
	teardown();
}

Test(link, duplicate_truncate_corrupt)
{
	struct fault_rule *d = rule(0, FAULT_DUPLICATE);
	d->m.to = 1;
	d->copies = 2;
	d->delay_ns = 500;
	rule(1, FAULT_TRUNCATE)->truncate_to = 40;
	struct fault_rule *c = rule(2, FAULT_CORRUPT);
	c->m.to = 2;
	c->bits = 3;
	c->offset = 21;
	setup(3);
	send_frames(1);
	uint8_t ids[8];
	cr_assert_eq(received(1, ids, 8), 3, "the frame and two copies");
	cr_assert_eq(received(2, ids, 8), 1);
	uint8_t want[60] = {0};
	for (size_t i = 21; i < sizeof(want); i++)
		want[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < nrx; i++) {
		cr_expect_eq(rx[i].len, 40, "cut to 40 bytes");
		if (rx[i].port == 1)
			continue;
		unsigned bits = 0;
		for (size_t b = 21; b < 40; b++)
			bits += (unsigned)__builtin_popcount(rx[i].bytes[b] ^ want[b]);
		cr_expect_eq(bits, 3, "3 bits flipped after byte 21");
	}
	uint64_t t[3];
	for (size_t i = 0, k = 0; i < nrx; i++)
		if (rx[i].port == 1)
			t[k++] = rx[i].t;
	cr_expect(t[1] - t[0] == 500 && t[2] == t[1], "copies 500 ns after the original");
	teardown();
}

struct applied {
	uint64_t t;
	enum fault_action a;
	bool recover;
};
static struct applied got[8];
static size_t ngot;

static void
on_node(void *ctx, uint64_t now, const struct fault_rule *r, bool recover)
{
	(void)ctx;
	cr_assert_lt(ngot, 8);
	got[ngot++] = (struct applied){now, r->action, recover};
}

Test(link, node_faults_are_scheduled_logged_and_recovered)
{
	struct fault_rule *c = rule(0, FAULT_CRASH);
	c->node = 0;
	c->at = 5000;
	c->recover_at = 9000;
	struct fault_rule *h = rule(1, FAULT_HANG);
	h->node = 1;
	h->at = 7000;
	struct fault_rule *p = rule(2, FAULT_POWER_LOSS);
	p->node = 2;
	p->step = FAULT_STEP_CONFIRM; /* the run asks for it at the step: not scheduled */
	struct fault_rule *j = rule(3, FAULT_CLOCK_JUMP);
	j->node = 2;
	j->at = 6000;
	j->by_ns = -100;
	setup(4);
	ngot = 0;
	cr_assert_eq(link_schedule_node_faults(&lnk, on_node, NULL), 0);
	engine_run(&eng, UINT64_MAX);
	cr_assert_eq(ngot, 4);
	cr_expect(got[0].t == 5000 && got[0].a == FAULT_CRASH && !got[0].recover);
	cr_expect(got[1].t == 6000 && got[1].a == FAULT_CLOCK_JUMP);
	cr_expect(got[2].t == 7000 && got[2].a == FAULT_HANG);
	cr_expect(got[3].t == 9000 && got[3].a == FAULT_CRASH && got[3].recover);
	cr_assert_eq(lnk.fe.nlog, 3, "recoveries are not faults");
	cr_expect_eq(lnk.fe.log[1].value, (uint64_t)-100);
	teardown();
}
