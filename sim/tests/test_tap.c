/*
 * sim/tap on real TAP devices: each port's link in a network
 * namespace of its own, nodes as AF_PACKET sockets there, the forwarder in
 * between. Frames must arrive once, in order, be in the trace as sent,
 * follow the learning switch; nothing may be left behind (the fault rules
 * on this forwarder: sim/tests/test_net_tap.c). Needs root: skipped (not passed) otherwise.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pcap/reader.h"
#include "proto/err.h"
#include "sim/tap.h"

enum { PORTS = 3, ETYPE = 0x88b5, FRAME = 60, MAXF = 3 * TAP_DRAIN_BUDGET };

static struct tap_ns ns[PORTS];
static struct tap_dev dev[PORTS];
static int node[PORTS] = {-1, -1, -1};
static struct tap_fwd fwd;
static size_t nports;
static bool batched; /* the forwarder batches through io_uring (tap_fwd_batch) */
static char trace_path[64];

static void
skip_unless_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: network namespaces and TAP devices");
}

static const uint8_t *
mac(size_t i)
{
	static uint8_t m[PORTS][6];
	m[i][0] = 0x02;
	m[i][5] = (uint8_t)(i + 1);
	return m[i];
}

/* true if `ip netns list` shows the name: what a leak would look like to an operator. */
static bool
netns_listed(const char *name)
{
	FILE *p = popen("ip netns list", "r");
	cr_assert_not_null(p);
	char line[256];
	bool found = false;
	while (fgets(line, sizeof(line), p))
		if (strncmp(line, name, strlen(name)) == 0 &&
		    (line[strlen(name)] == ' ' || line[strlen(name)] == '\n'))
			found = true;
	pclose(p);
	return found;
}

/* Criterion's fini: after a failed assertion too, so a failing test leaks nothing. */
static void
teardown(void)
{
	for (size_t i = 0; i < PORTS; i++) {
		if (node[i] >= 0)
			close(node[i]);
		node[i] = -1;
		tap_dev_destroy(&dev[i]);
		tap_ns_destroy(&ns[i]);
	}
	tap_fwd_free(&fwd);
	if (trace_path[0])
		unlink(trace_path);
}

static void
init(void)
{
	batched = false;
	for (size_t i = 0; i < PORTS; i++) {
		ns[i].fd = -1;
		dev[i].fd = -1;
		node[i] = -1;
	}
}

TestSuite(tap, .init = init, .fini = teardown);

static void
ports_up(size_t n, struct trace *t)
{
	nports = n;
	int fds[PORTS];
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(tap_ns_create(&ns[i], "rmtt"), RMC_OK);
		cr_assert(netns_listed(ns[i].name));
		cr_assert_eq(tap_dev_create(&dev[i], &ns[i], "rmtt"), RMC_OK);
		node[i] = tap_node_socket(&ns[i], dev[i].ifname, ETYPE);
		cr_assert_geq(node[i], 0);
		fds[i] = dev[i].fd;
	}
	cr_assert_eq(tap_fwd_init(&fwd, fds, n, t), RMC_OK);
	if (batched)
		cr_assert_eq(tap_fwd_batch(&fwd), RMC_OK, "io_uring refused");
}

/* Tears everything down and checks that nothing is left: links, namespaces. */
static void
ports_down(void)
{
	tap_fwd_free(&fwd);
	cr_assert_null(fwd.ring);
	for (size_t i = 0; i < nports; i++) {
		close(node[i]);
		node[i] = -1;
		tap_dev_destroy(&dev[i]);
		cr_assert_eq(dev[i].fd, -1);
		int back;
		cr_assert_eq(tap_ns_enter(&ns[i], &back), RMC_OK);
		unsigned idx = if_nametoindex(dev[i].ifname);
		cr_assert_eq(tap_ns_leave(back), RMC_OK);
		cr_assert_eq(idx, 0, "link %s still there after its descriptor closed",
			     dev[i].ifname);
		char name[TAP_NS_MAX];
		memcpy(name, ns[i].name, sizeof(name));
		tap_ns_destroy(&ns[i]);
		cr_assert(!netns_listed(name), "netns %s left behind", name);
	}
	nports = 0;
}

static void
frame(uint8_t *f, size_t from, const uint8_t *dst, uint8_t id)
{
	memset(f, 0, FRAME);
	memcpy(f, dst, 6);
	memcpy(f + 6, mac(from), 6);
	f[12] = ETYPE >> 8;
	f[13] = ETYPE & 0xff;
	f[14] = id;
	for (size_t i = 15; i < FRAME; i++)
		f[i] = (uint8_t)(i * 7 + id);
}

static void
node_send(size_t from, const uint8_t *dst, uint8_t id)
{
	uint8_t f[FRAME];
	frame(f, from, dst, id);
	cr_assert_eq(send(node[from], f, sizeof(f), 0), (ssize_t)sizeof(f), "send: %s",
		     strerror(errno));
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Forwards until `want` frames reached node `at` (ids into got), or until
 * `quiet_ms` passed with nothing forwarded, so missing frames are seen as
 * missing rather than waited for forever.
 */
static size_t
collect(size_t at, size_t want, uint8_t *got, int quiet_ms)
{
	size_t n = 0;
	uint64_t last = mono_ms();
	while (n < want && mono_ms() - last < (uint64_t)quiet_ms) {
		bool stop;
		int r = tap_fwd_step(&fwd, 10, -1, &stop);
		cr_assert_geq(r, 0);
		uint8_t f[TAP_FRAME_MAX];
		ssize_t len;
		while ((len = recv(node[at], f, sizeof(f), 0)) > 0) {
			cr_assert_lt(n, MAXF);
			cr_assert_eq(len, FRAME);
			got[n++] = f[14];
			last = mono_ms();
		}
		if (r > 0)
			last = mono_ms();
	}
	return n;
}

/* Whatever else reached a node (after collect): drained and counted. */
static size_t
extra(size_t at)
{
	uint8_t f[TAP_FRAME_MAX];
	size_t n = 0;
	bool stop;
	while (tap_fwd_step(&fwd, 50, -1, &stop) > 0)
		;
	while (recv(node[at], f, sizeof(f), 0) > 0)
		n++;
	return n;
}

static void
order_and_trace(void)
{
	snprintf(trace_path, sizeof(trace_path), "/tmp/rmcpsec-tap-%d.pcap", (int)getpid());
	char err[256];
	struct trace *t = trace_open(trace_path, err, sizeof(err));
	cr_assert_not_null(t, "%s", err);
	ports_up(2, t);
	enum { N = 40 };
	for (uint8_t i = 1; i <= N; i++)
		node_send(0, mac(1), i);
	uint8_t got[MAXF];
	size_t n = collect(1, N, got, 1000);
	cr_assert_eq(n, N, "received %zu of %d", n, N);
	for (size_t i = 0; i < N; i++)
		cr_assert_eq(got[i], i + 1, "frame %zu arrived as %u", i + 1, got[i]);
	cr_assert_eq(fwd.frames, N);
	cr_assert_eq(fwd.st[0].rx, N);
	cr_assert_eq(fwd.st[1].tx, N);
	cr_assert_eq(fwd.forwarded, N);
	cr_assert_eq(fwd.fault_dropped, 0);
	cr_assert_eq(trace_close(t), RMC_OK);
	ports_down();

	struct reader *r = reader_open(trace_path, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	struct reader_frame rf;
	size_t k = 0;
	while (reader_next(r, &rf, err, sizeof(err)) == 1) {
		uint8_t want[FRAME];
		frame(want, 0, mac(1), (uint8_t)(k + 1));
		cr_assert_eq(rf.caplen, FRAME);
		cr_assert_arr_eq(rf.data, want, FRAME, "trace frame %zu differs", k + 1);
		k++;
	}
	reader_close(r);
	unlink(trace_path);
	cr_assert_eq(k, N, "trace holds %zu frames", k);
}

static void
learning_switch(void)
{
	ports_up(3, NULL);
	uint8_t got[MAXF];
	node_send(0, mac(2), 1); /* port 2's address not learnt yet: flooded */
	cr_assert_eq(collect(1, 1, got, 500), 1);
	cr_assert_eq(collect(2, 1, got, 500), 1);
	node_send(2, mac(0), 2); /* learnt 0: only port 0; and now 2 is known */
	cr_assert_eq(collect(0, 1, got, 500), 1);
	cr_assert_eq(got[0], 2);
	node_send(0, mac(2), 3);
	cr_assert_eq(collect(2, 1, got, 500), 1);
	cr_assert_eq(got[0], 3);
	cr_assert_eq(extra(1), 0, "port 1 got a frame meant for port 2");
	cr_assert_eq(fwd.flooded, 1);
	ports_down();
}

Test(tap, frames_arrive_in_order_and_are_traced)
{
	skip_unless_root();
	order_and_trace();
}

Test(tap, frames_arrive_in_order_and_are_traced_batched)
{
	skip_unless_root();
	batched = true;
	order_and_trace();
}

Test(tap, learning_switch_floods_then_forwards)
{
	skip_unless_root();
	learning_switch();
}

Test(tap, learning_switch_floods_then_forwards_batched)
{
	skip_unless_root();
	batched = true;
	learning_switch();
}

/*
 * More frames than one drain takes, queued before the forwarder runs: the
 * ring's read slots are reused across drains and order holds; a frame
 * written outside a drain goes out at once; the drains were batched.
 */
Test(tap, batched_drains_keep_order_across_budgets)
{
	skip_unless_root();
	batched = true;
	ports_up(2, NULL);
	enum { N = 2 * TAP_DRAIN_BUDGET + 7 };
	for (unsigned i = 0; i < N; i++)
		node_send(0, mac(1), (uint8_t)(i + 1));
	int r = tap_fwd_drain(&fwd, 0);
	cr_assert_eq(r, TAP_DRAIN_BUDGET, "first drain read %d", r);
	uint8_t got[MAXF];
	size_t n = collect(1, N, got, 1000);
	cr_assert_eq(n, N, "received %zu of %d", n, N);
	for (size_t i = 0; i < N; i++)
		cr_assert_eq(got[i], (uint8_t)(i + 1), "frame %zu arrived as %u", i + 1, got[i]);
	cr_assert_eq(fwd.st[1].tx, N);
	cr_assert_eq(fwd.st[1].tx_error, 0);
	cr_assert_gt(fwd.ring_enters, 0);
	cr_assert_lt(fwd.ring_enters, N, "%" PRIu64 " enters for %d frames: not batched",
		     fwd.ring_enters, N);
	uint8_t f[FRAME];
	frame(f, 0, mac(1), 0xee);
	tap_fwd_write(&fwd, 1, f, sizeof(f));
	cr_assert_eq(fwd.st[1].tx, N + 1);
	uint8_t b[TAP_FRAME_MAX];
	ssize_t len = -1;
	for (int i = 0; i < 100 && len < 0; i++) {
		len = recv(node[1], b, sizeof(b), 0);
		if (len < 0)
			poll(&(struct pollfd){.fd = node[1], .events = POLLIN}, 1, 10);
	}
	cr_assert_eq(len, FRAME);
	cr_assert_eq(b[14], 0xee);
	ports_down();
}
