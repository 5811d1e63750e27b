/*
 * The tap backend (sim/net.h, sim/net_tap.c) on real TAP devices, with the
 * fault applier (sim/link) on its forwarder: nodes in namespaces of their
 * own, frames sent at engine times, delivered through the run's hooks.
 * Drop and duplicate act as in virtual time and the counts add up; a delay
 * holds the copy on the real clock; nothing is left behind. Needs root:
 * skipped (not passed) otherwise.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proto/err.h"
#include "sim/engine.h"
#include "sim/link.h"
#include "sim/net.h"
#include "sim/tap.h"

enum { NODES = 2, ETYPE = 0x88b5, FRAME = 60, MAXRX = 32 };

static struct engine eng;
static struct link lnk;
static struct net net;
static struct obs_log obs;
static struct scenario sc;
static struct scn_node nodes[NODES];
static struct fault_rule rules[2];
static uint8_t got[MAXRX];
static uint64_t got_at[MAXRX];
static size_t ngot;

static void
skip_unless_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: network namespaces and TAP devices");
}

static void
on_deliver(void *ctx, size_t port, uint64_t now, const uint8_t *f, size_t len)
{
	(void)ctx;
	if (port != 1 || len != FRAME || f[12] != (ETYPE >> 8) || f[13] != (ETYPE & 0xff))
		return; /* only the test's frames count */
	cr_assert_lt(ngot, MAXRX);
	got[ngot] = f[14];
	got_at[ngot++] = now;
}

static void
on_capture(void *ctx, size_t port, uint64_t t, const uint8_t *f, size_t len)
{
	(void)ctx, (void)port;
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
	ngot = 0;
	obs_log_init(&obs);
	cr_assert_eq(engine_init(&eng, 64), 0);
	cr_assert_eq(link_init(&lnk, &sc, 7, &net, &eng, &obs), 0);
	struct net_port ports[NODES];
	for (size_t i = 0; i < NODES; i++)
		ports[i] = (struct net_port){.name = nodes[i].name};
	struct net_cfg cfg = {.ports = ports,
			      .nports = NODES,
			      .eng = &eng,
			      .link = &lnk,
			      .hooks = {.deliver = on_deliver, .capture = on_capture}};
	char err[256];
	cr_assert_eq(net_open_tap(&net, &cfg, err, sizeof(err)), 0, "%s", err);
}

/* Criterion's fini: after a failed assertion too, so a failing test leaks nothing. */
static void
teardown(void)
{
	net_close(&net);
	link_fini(&lnk);
	engine_fini(&eng);
	obs_log_fini(&obs);
}

TestSuite(net_tap, .fini = teardown);

static void
send_at(void *ctx, uint64_t arg)
{
	(void)ctx;
	uint8_t f[FRAME] = {0};
	memcpy(f, nodes[1].mac, 6);
	memcpy(f + 6, nodes[0].mac, 6);
	f[12] = ETYPE >> 8;
	f[13] = ETYPE & 0xff;
	f[14] = (uint8_t)arg;
	for (size_t i = 15; i < FRAME; i++)
		f[i] = (uint8_t)(i * 7 + arg);
	cr_assert_eq(net_send(&net, 0, f, sizeof(f)), 0);
}

/* Frames 1..n leave node 0 one millisecond apart; the run lasts `ms`. */
static void
run_frames(unsigned n, uint64_t ms)
{
	for (unsigned i = 1; i <= n; i++)
		engine_at(&eng, i * 1000000ULL, send_at, NULL, i);
	uint64_t events = 0;
	char err[256];
	cr_assert_eq(net.ops->run(&net, ms * 1000000ULL, &events, err, sizeof(err)), 0, "%s", err);
}

Test(net_tap, drop_and_duplicate_act_and_the_count_adds_up)
{
	skip_unless_root();
	fault_rule_defaults(&rules[0]);
	rules[0].action = FAULT_DROP;
	rules[0].g.nth = 2;
	fault_rule_defaults(&rules[1]);
	rules[1].action = FAULT_DUPLICATE;
	rules[1].copies = 1;
	rules[1].g.nth = 4;
	setup(2);
	enum { N = 6 };
	run_frames(N, 200);
	/* The drop ends frame 2's rule list, so the duplicate rule's 4th match is frame 5. */
	uint8_t want[] = {1, 3, 4, 5, 5, 6};
	cr_assert_eq(ngot, sizeof(want), "received %zu", ngot);
	for (size_t i = 0; i < sizeof(want); i++)
		cr_assert_eq(got[i], want[i], "frame %zu: %u, expected %u", i, got[i], want[i]);
	cr_assert_eq(lnk.fe.st[0].applied, 1);
	cr_assert_eq(lnk.fe.st[1].applied, 1);
	cr_assert_geq(obs.n, N, "every frame classified");
}

/* Frame 2 leaves after frames 3 and 4, no earlier than its delay after it was sent. */
Test(net_tap, delay_holds_the_copy_on_the_real_clock)
{
	skip_unless_root();
	enum { DELAY_MS = 40, N = 4 };
	fault_rule_defaults(&rules[0]);
	rules[0].action = FAULT_DELAY;
	rules[0].delay_ns = (uint64_t)DELAY_MS * 1000000u;
	rules[0].g.nth = 2;
	setup(1);
	run_frames(N, 300);
	uint8_t want[N] = {1, 3, 4, 2};
	cr_assert_eq(ngot, N, "received %zu of %d", ngot, N);
	for (size_t i = 0; i < N; i++)
		cr_assert_eq(got[i], want[i], "arrival %zu: frame %u, expected %u", i, got[i],
			     want[i]);
	/* frame 2 left node 0 at 2 ms */
	cr_assert_geq(got_at[3], (2 + DELAY_MS) * 1000000ULL, "the delayed frame came at %llu ns",
		      (unsigned long long)got_at[3]);
	cr_assert_eq(lnk.fe.st[0].applied, 1);
	cr_assert_eq(net.error, 0);
}
