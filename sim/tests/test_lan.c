/* The switched LAN: learning, flooding, filtering, latency, bandwidth, MTU, pooling. */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/engine.h"
#include "sim/lan.h"

struct rx {
	size_t port;
	uint64_t t;
	size_t len;
	uint8_t first;
};

static struct rx got[64];
static size_t ngot;
static size_t ncaptured;

static void
deliver(void *ctx, size_t port, uint64_t now, const uint8_t *f, size_t len)
{
	(void)ctx;
	if (ngot < 64)
		got[ngot++] = (struct rx){port, now, len, f[14]};
}

static void
capture(void *ctx, size_t port, uint64_t t, const uint8_t *f, size_t len)
{
	(void)ctx, (void)port, (void)t, (void)f, (void)len;
	ncaptured++;
}

static void
frame(uint8_t *f, uint8_t dst, uint8_t src, uint8_t tag)
{
	memset(f, 0, 64);
	memset(f, dst == 0xff ? 0xff : 0, 6);
	if (dst != 0xff)
		f[0] = 0x02, f[5] = dst;
	f[6] = 0x02, f[11] = src;
	f[14] = tag;
}

static struct engine eng;
static struct lan lan;

static void
setup(void)
{
	ngot = ncaptured = 0;
	cr_assert_eq(engine_init(&eng, 16), 0);
	cr_assert_eq(lan_init(&lan, &eng, 3, deliver, capture, NULL), 0);
	struct lan_port_cfg cfg = {.latency_ns = 1000, .bits_per_s = 0, .mtu = 1500};
	for (size_t i = 0; i < 3; i++)
		lan_port_config(&lan, i, &cfg);
}

static void
teardown(void)
{
	lan_fini(&lan);
	engine_fini(&eng);
}

TestSuite(lan, .init = setup, .fini = teardown);

Test(lan, unknown_unicast_floods_then_learned_address_is_forwarded)
{
	uint8_t f[64];
	frame(f, 1, 0, 'a'); /* port 0 sends to MAC ..01, not yet learned */
	lan_send(&lan, 0, f, 64);
	engine_run(&eng, UINT64_MAX);
	cr_assert_eq(ngot, 2, "flooded to both other ports");
	cr_assert_eq(lan.flooded, 1);

	ngot = 0;
	frame(f, 0, 1, 'b'); /* port 1 answers port 0: port 0's MAC was learned */
	lan_send(&lan, 1, f, 64);
	engine_run(&eng, UINT64_MAX);
	cr_assert_eq(ngot, 1);
	cr_assert_eq(got[0].port, 0);
	cr_assert_eq(got[0].first, 'b');
	cr_assert_eq(lan.forwarded, 1);
}

Test(lan, broadcast_goes_everywhere_but_the_sender)
{
	uint8_t f[64];
	frame(f, 0xff, 2, 'x');
	lan_send(&lan, 2, f, 64);
	engine_run(&eng, UINT64_MAX);
	cr_assert_eq(ngot, 2);
	cr_assert(got[0].port != 2 && got[1].port != 2);
	cr_assert_eq(ncaptured, 1, "a frame is captured once, as it enters the LAN");
}

Test(lan, latency_is_paid_on_both_hops)
{
	uint8_t f[64];
	frame(f, 0xff, 0, 'x');
	lan_send(&lan, 0, f, 64);
	engine_run(&eng, UINT64_MAX);
	cr_assert_eq(got[0].t, 2000, "1 us into the switch, 1 us out");
}

Test(lan, bandwidth_serialises_and_queues)
{
	struct lan_port_cfg cfg = {.latency_ns = 0, .bits_per_s = 1000000000ULL, .mtu = 1500};
	for (size_t i = 0; i < 3; i++)
		lan_port_config(&lan, i, &cfg);
	uint8_t f[64];
	frame(f, 0xff, 0, 'x');
	lan_send(&lan, 0, f, 64);
	lan_send(&lan, 0, f, 64);
	engine_run(&eng, UINT64_MAX);
	/* (64 + 24 overhead) bytes * 8 = 704 ns per hop at 1 Gb/s. */
	cr_assert_eq(ngot, 4);
	cr_assert_eq(got[0].t, 1408);
	cr_assert_eq(got[2].t, 2112, "the second frame waits for the first: got %llu",
		     (unsigned long long)got[2].t);
}

Test(lan, oversize_frames_are_dropped_and_counted)
{
	uint8_t f[1600] = {0};
	frame(f, 0xff, 0, 'x');
	cr_assert_neq(lan_send(&lan, 0, f, 1515), 0);
	cr_assert_eq(lan.ports[0].oversize, 1);
	cr_assert_eq(lan_send(&lan, 0, f, 1514), 0);
	cr_assert_neq(lan_send(&lan, 0, f, 10), 0, "shorter than an Ethernet header");
	engine_run(&eng, UINT64_MAX);
	cr_assert_eq(ngot, 2);
}

Test(lan, frames_to_the_sender_own_port_are_filtered)
{
	uint8_t f[64];
	frame(f, 0xff, 0, 'x'); /* teach the switch that MAC ..00 is on port 0 */
	lan_send(&lan, 0, f, 64);
	engine_run(&eng, UINT64_MAX);
	ngot = 0;
	frame(f, 0, 0, 'y');
	lan_send(&lan, 0, f, 64);
	engine_run(&eng, UINT64_MAX);
	cr_assert_eq(ngot, 0);
	cr_assert_eq(lan.filtered, 1);
}

Test(lan, pool_slots_are_reused_in_steady_state)
{
	uint8_t f[64];
	frame(f, 0xff, 0, 'x');
	for (int round = 0; round < 1000; round++) {
		lan_send(&lan, 0, f, 64);
		engine_run(&eng, UINT64_MAX);
	}
	cr_assert_eq(lan.nslots, 64, "the pool never grew past its first size");
	cr_assert_eq(lan.nfree, lan.nslots, "every slot returned");
}
