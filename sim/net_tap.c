/*
 * The real-time backends (sim/net.h), on real frames:
 *
 *   tap   each node gets a TAP device in a network namespace of its own
 *         (unique names, removed at the end whatever happened) and sends
 *         and receives on an AF_PACKET socket on that link; the harness
 *         holds the TAP descriptors, and its forwarder (sim/tap) reads every
 *         frame, captures it, offers it to the fault applier and forwards
 *         it. A device under test is one more port: a packet socket on the
 *         interface it is reached on (docs/users/dut.md).
 *   wire  one node alone on a real interface (a packet socket) or attached
 *         to a persistent TAP's descriptor, as a VM would be (`rmcpsec
 *         node`); it traces its own link.
 *
 * Both run the run's engine on the real clock: one thread, one ppoll over
 * every descriptor, woken by the earliest event (a node's timer, a delayed
 * copy, a reorder hold's deadline). Needs root.
 */
#define _GNU_SOURCE /* ppoll: a timer needs better than poll's milliseconds */
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proto/err.h"
#include "sim/json_out.h"
#include "sim/link.h"
#include "sim/net.h"
#include "sim/tap.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23 /* Linux 4.20 */
#endif

enum {
	RT_NODE_RCVBUF = 1 << 20,
	RT_DELAYED = 256, /* copies in flight under a delay rule */
	RT_WATCH_FDS = 16,
	RT_POLL_MAX = 2 * TAP_MAX_PORTS + RT_WATCH_FDS,
};

/* A copy under a delay rule, waiting for its time (an event on the run's engine). */
struct rt_delayed {
	bool used;
	uint16_t len;
	uint32_t to;
	uint8_t buf[TAP_FRAME_MAX];
};

struct net_rt {
	struct net *net;
	struct engine *eng;
	struct link *link;
	struct net_hooks hooks;
	struct net_watch watch;
	const char *mode;
	size_t n;
	char names[TAP_MAX_PORTS][32];
	bool forwarder;	  /* tap: the forwarder between the ports; wire: a node alone */
	bool node_on_tap; /* wire: the node holds a TAP's descriptor (read/write frames) */
	struct tap_ns ns[TAP_MAX_PORTS];
	struct tap_dev dev[TAP_MAX_PORTS];
	int sock[TAP_MAX_PORTS];     /* a node's end of its link; -1: none here */
	int dev_sock[TAP_MAX_PORTS]; /* a device's port: a packet socket on its interface */
	struct tap_fwd fwd;
	bool fwd_up;
	struct rt_delayed *delayed; /* RT_DELAYED */
	uint64_t t0;		    /* tap_now_ns() at the run's time 0 */
	uint64_t node_tx_errors, delays_applied;
	uint8_t rx[TAP_FRAME_MAX];
};

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	interrupted = sig;
}

void
net_catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static uint64_t
rel_now(const struct net_rt *t)
{
	uint64_t now = tap_now_ns();
	return now > t->t0 ? now - t->t0 : 0;
}

/* Runs every event due by now and moves the clock there, so what happens next is at now. */
static void
catch_up(struct net_rt *t, uint64_t now, uint64_t *events)
{
	*events += engine_run(t->eng, now);
	engine_advance(t->eng, now);
}

/* ---- the forwarder's hooks and the fault applier's egress ---- */

static void
on_capture(void *ctx, uint64_t now_ns, uint32_t frame_no, size_t from, const uint8_t *frame,
	   size_t len)
{
	struct net_rt *t = ctx;
	(void)frame_no;
	t->hooks.capture(t->hooks.ctx, from, now_ns > t->t0 ? now_ns - t->t0 : 0, frame, len);
}

static bool
on_fate(void *ctx, uint64_t now_ns, uint32_t frame_no, size_t from, size_t to, uint8_t *frame,
	size_t len)
{
	struct net_rt *t = ctx;
	(void)now_ns; /* the engine was caught up to the drain's time */
	return link_forward(t->link, frame_no, from, to, frame, len);
}

static void
on_delayed(void *ctx, uint64_t arg)
{
	struct net_rt *t = ctx;
	struct rt_delayed *d = &t->delayed[arg];
	tap_fwd_write(&t->fwd, d->to, d->buf, d->len);
	d->used = false;
}

static int
rt_egress(struct net *n, size_t to, const uint8_t *frame, size_t len, uint64_t delay_ns)
{
	struct net_rt *t = n->be;
	if (!t->forwarder || to >= t->n || len > TAP_FRAME_MAX)
		return RMC_EINVAL;
	if (delay_ns == 0) {
		tap_fwd_write(&t->fwd, to, frame, len);
		return RMC_OK;
	}
	for (size_t i = 0; i < RT_DELAYED; i++) {
		struct rt_delayed *d = &t->delayed[i];
		if (d->used)
			continue;
		memcpy(d->buf, frame, len);
		d->len = (uint16_t)len;
		d->to = (uint32_t)to;
		d->used = true;
		t->delays_applied++;
		return engine_at(t->eng, engine_now(t->eng) + delay_ns, on_delayed, t, i);
	}
	/* a limit: the delay could not be applied, so the run cannot pass as if it had been */
	if (!n->error)
		n->error = RMC_ENOSPC;
	return RMC_ENOSPC;
}

/* ---- opening ---- */

static int
node_link(struct net_rt *t, size_t i)
{
	int rc = tap_ns_create(&t->ns[i], "rms");
	if (rc == RMC_OK)
		rc = tap_dev_create(&t->dev[i], &t->ns[i], "rms");
	if (rc != RMC_OK)
		return rc;
	int s = tap_node_socket(&t->ns[i], t->dev[i].ifname, 0);
	if (s < 0)
		return s;
	t->sock[i] = s;
	/* Its own frames never come back to the sending socket; nothing else transmits here. */
	int one = 1, buf = RT_NODE_RCVBUF;
	setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	return RMC_OK;
}

/* A packet socket on an interface of the caller's namespace, every frame on it. */
static int
iface_socket(const char *ifname)
{
	if (if_nametoindex(ifname) == 0)
		return RMC_ENOENT; /* no such interface in this namespace */
	int s = tap_node_socket(NULL, ifname, 0);
	if (s < 0)
		return s;
	struct packet_mreq m = {.mr_ifindex = (int)if_nametoindex(ifname),
				.mr_type = PACKET_MR_PROMISC};
	int one = 1, buf = RT_NODE_RCVBUF;
	setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &m, sizeof(m));
	setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	return s;
}

static void
iface_error(const char *opt, const char *ifname, int rc, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s %s: %s", opt, ifname,
		 rc == RMC_ENOENT ? "no such interface in this network namespace"
				  : "cannot open a packet socket on it (root?)");
}

static const struct net_ops tap_ops, wire_ops;

static struct net_rt *
rt_new(struct net *n, const struct net_cfg *cfg, const struct net_ops *ops)
{
	struct net_rt *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->net = n;
	t->eng = cfg->eng;
	t->link = cfg->link;
	t->hooks = cfg->hooks;
	t->watch = cfg->watch;
	t->mode = ops->mode;
	for (size_t i = 0; i < TAP_MAX_PORTS; i++) {
		t->ns[i].fd = -1;
		t->dev[i].fd = -1;
		t->sock[i] = -1;
		t->dev_sock[i] = -1;
	}
	for (size_t i = 0; i < cfg->nports && i < TAP_MAX_PORTS; i++)
		snprintf(t->names[i], sizeof(t->names[i]), "%s", cfg->ports[i].name);
	n->ops = ops;
	n->be = t;
	return t;
}

/* Every port's link: a namespace, TAP and socket for a node; a packet socket for a device. */
static int
open_ports(struct net_rt *t, const struct net_cfg *cfg, int *fds, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->nports; i++, t->n++) {
		const char *iface = cfg->ports[i].device_iface;
		if (iface) {
			t->dev_sock[i] = fds[i] = iface_socket(iface);
			if (fds[i] < 0) {
				iface_error("--iface", iface, fds[i], err, errlen);
				t->n++;
				return RMC_EIO;
			}
			continue;
		}
		int rc = node_link(t, i);
		if (rc != RMC_OK) {
			snprintf(err, errlen,
				 "--net tap: cannot set up %s's namespace, TAP and socket (%s; "
				 "root is needed)",
				 cfg->ports[i].name, rmc_strerror(rc));
			t->n++;
			return rc;
		}
		fds[i] = t->dev[i].fd;
	}
	return RMC_OK;
}

int
net_open_tap(struct net *n, const struct net_cfg *cfg, char *err, size_t errlen)
{
	if (cfg->nports < 2 || cfg->nports > TAP_MAX_PORTS) {
		snprintf(err, errlen, "--net tap: %zu nodes; it carries 2 to %d", cfg->nports,
			 TAP_MAX_PORTS);
		return RMC_EINVAL;
	}
	struct net_rt *t = rt_new(n, cfg, &tap_ops);
	if (!t || !(t->delayed = calloc(RT_DELAYED, sizeof(*t->delayed)))) {
		snprintf(err, errlen, "out of memory");
		return RMC_ENOMEM;
	}
	t->forwarder = true;
	int fds[TAP_MAX_PORTS];
	int rc = open_ports(t, cfg, fds, err, errlen);
	if (rc)
		return rc;
	rc = tap_fwd_init(&t->fwd, fds, cfg->nports, NULL);
	t->fwd_up = rc == RMC_OK;
	if (rc != RMC_OK) {
		snprintf(err, errlen, "--net tap: %s", rmc_strerror(rc));
		return rc;
	}
	tap_fwd_batch(&t->fwd); /* io_uring when the kernel has it; read/write otherwise */
	tap_fwd_set_capture(&t->fwd, on_capture, t);
	if (t->link && link_active(t->link))
		tap_fwd_set_fate(&t->fwd, on_fate, t);
	t->t0 = tap_now_ns();
	return RMC_OK;
}

int
net_open_wire(struct net *n, const struct net_cfg *cfg, char *err, size_t errlen)
{
	struct net_rt *t = rt_new(n, cfg, &wire_ops);
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return RMC_ENOMEM;
	}
	t->n = cfg->nports;
	size_t i = cfg->node;
	if (cfg->attach_tap) {
		int rc = tap_dev_attach(&t->dev[i], cfg->iface);
		if (rc != RMC_OK) {
			snprintf(err, errlen, "--tap %s: %s", cfg->iface,
				 rc == RMC_ENOENT ? "no such TAP device in this network namespace"
						  : "cannot attach to it (a TAP? root?)");
			return rc;
		}
		t->node_on_tap = true;
		t->sock[i] = t->dev[i].fd;
	} else if ((t->sock[i] = iface_socket(cfg->iface)) < 0) {
		iface_error("--iface", cfg->iface, t->sock[i], err, errlen);
		return RMC_EIO;
	}
	t->t0 = tap_now_ns();
	return RMC_OK;
}

static void
rt_close(struct net *n)
{
	struct net_rt *t = n->be;
	if (t->fwd_up)
		tap_fwd_free(&t->fwd);
	for (size_t i = 0; i < t->n && i < TAP_MAX_PORTS; i++) {
		/* a node attached to a TAP has no socket of its own: the descriptor goes below */
		if (t->sock[i] >= 0 && t->sock[i] != t->dev[i].fd)
			close(t->sock[i]);
		if (t->dev_sock[i] >= 0)
			close(t->dev_sock[i]);
		tap_dev_destroy(&t->dev[i]);
		tap_ns_destroy(&t->ns[i]);
	}
	free(t->delayed);
	free(t);
}

/* ---- sending and receiving ---- */

static int
rt_send(struct net *n, size_t port, const uint8_t *frame, size_t len)
{
	struct net_rt *t = n->be;
	if (port >= t->n || t->sock[port] < 0)
		return RMC_EINVAL;
	ssize_t w =
	    t->node_on_tap ? write(t->sock[port], frame, len) : send(t->sock[port], frame, len, 0);
	if (w != (ssize_t)len) {
		t->node_tx_errors++;
		return RMC_EIO;
	}
	if (!t->forwarder) /* a lone node traces its own link */
		t->hooks.capture(t->hooks.ctx, port, rel_now(t), frame, len);
	return RMC_OK;
}

/* The adversary's frame: into the forwarder as if read from the port's link. */
static int
tap_inject(struct net *n, size_t port, const uint8_t *frame, size_t len)
{
	struct net_rt *t = n->be;
	if (!t->forwarder || port >= t->n)
		return RMC_EUNSUP;
	return tap_fwd_inject(&t->fwd, port, frame, len);
}

/* Frames for node i: each is handed over at the real time it was read. */
static int
drain_node(struct net_rt *t, size_t i, uint64_t until, uint64_t *events)
{
	for (;;) {
		struct sockaddr_ll from = {.sll_pkttype = PACKET_HOST};
		socklen_t fl = sizeof(from);
		/* a TAP's descriptor has only what arrived on its link: no direction to check */
		ssize_t n = t->node_on_tap ? read(t->sock[i], t->rx, sizeof(t->rx))
					   : recvfrom(t->sock[i], t->rx, sizeof(t->rx), MSG_TRUNC,
						      (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? RMC_OK : RMC_EIO;
		}
		if (from.sll_pkttype == PACKET_OUTGOING || (size_t)n > sizeof(t->rx))
			continue;
		uint64_t now = rel_now(t);
		if (now > until)
			return RMC_OK; /* after the end: not the run's any more */
		catch_up(t, now, events);
		if (!t->forwarder)
			t->hooks.capture(t->hooks.ctx, i, now, t->rx, (size_t)n);
		t->hooks.deliver(t->hooks.ctx, i, engine_now(t->eng), t->rx, (size_t)n);
	}
}

static int
wait_until(struct net_rt *t, struct pollfd *pfd, size_t n, uint64_t wake)
{
	uint64_t now = rel_now(t);
	uint64_t d = wake > now ? wake - now : 0;
	struct timespec ts = {.tv_sec = (time_t)(d / NS_PER_S), .tv_nsec = (long)(d % NS_PER_S)};
	for (size_t i = 0; i < n; i++)
		pfd[i].revents = 0;
	return ppoll(pfd, n, &ts, NULL) < 0 && errno != EINTR ? RMC_EIO : RMC_OK;
}

static uint64_t
next_wake(const struct net_rt *t, uint64_t until)
{
	uint64_t next;
	if (engine_next(t->eng, &next) == RMC_OK && next < until)
		return next;
	return until;
}

/* What each polled descriptor is. */
enum poll_kind { POLL_PORT, POLL_NODE, POLL_WATCH };

struct poll_set {
	struct pollfd pfd[RT_POLL_MAX];
	uint8_t kind[RT_POLL_MAX], idx[RT_POLL_MAX];
	size_t n, nwatch;
};

static void
poll_fill(const struct net_rt *t, struct poll_set *ps)
{
	size_t n = 0;
	for (size_t i = 0; t->fwd_up && i < t->n; i++, n++) {
		ps->pfd[n] = (struct pollfd){.fd = t->fwd.fds[i], .events = POLLIN};
		ps->kind[n] = POLL_PORT;
		ps->idx[n] = (uint8_t)i;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->sock[i] < 0)
			continue;
		ps->pfd[n] = (struct pollfd){.fd = t->sock[i], .events = POLLIN};
		ps->kind[n] = POLL_NODE;
		ps->idx[n++] = (uint8_t)i;
	}
	ps->nwatch = t->watch.fill ? t->watch.fill(t->watch.ctx, ps->pfd + n, RT_POLL_MAX - n) : 0;
	for (size_t i = 0; i < ps->nwatch; i++)
		ps->kind[n + i] = POLL_WATCH;
	ps->n = n + ps->nwatch;
}

/* Reads what the poll reported; *stop when the watch asked to stop. */
static int
serve(struct net_rt *t, struct poll_set *ps, uint64_t until, uint64_t *events, bool *stop,
      char *err, size_t errlen)
{
	size_t ports = ps->n - ps->nwatch;
	for (size_t i = 0; i < ports; i++) {
		const char *who = t->names[ps->idx[i]];
		if (ps->pfd[i].revents & (POLLERR | POLLNVAL)) {
			snprintf(err, errlen, "--net %s: poll failed on %s's link", t->mode, who);
			return RMC_EIO;
		}
		if (!(ps->pfd[i].revents & POLLIN))
			continue;
		catch_up(t, rel_now(t), events); /* fault windows and delays count from now */
		int rc = ps->kind[i] == POLL_PORT ? tap_fwd_drain(&t->fwd, ps->idx[i])
						  : drain_node(t, ps->idx[i], until, events);
		if (rc < 0) {
			snprintf(err, errlen, "--net %s: reading %s's link failed", t->mode, who);
			return rc;
		}
	}
	if (ps->nwatch) {
		catch_up(t, rel_now(t),
			 events); /* a request is a step at the time it is answered */
		*stop = t->watch.serve(t->watch.ctx, ps->pfd + ports, ps->nwatch);
	}
	return RMC_OK;
}

static int
rt_run(struct net *n, uint64_t until, uint64_t *events, char *err, size_t errlen)
{
	struct net_rt *t = n->be;
	struct poll_set ps;
	bool stop = false;
	while (!stop) {
		uint64_t now = rel_now(t);
		if (now >= until) {
			*events += engine_run(t->eng, until);
			break;
		}
		catch_up(t, now, events);
		poll_fill(t, &ps);
		if (wait_until(t, ps.pfd, ps.n, next_wake(t, until)) != RMC_OK) {
			snprintf(err, errlen, "--net %s: ppoll: %s", t->mode, strerror(errno));
			return RMC_EIO;
		}
		int rc = serve(t, &ps, until, events, &stop, err, errlen);
		if (rc)
			return rc;
		if (t->hooks.failed && t->hooks.failed(t->hooks.ctx))
			break;
		if (interrupted && !t->forwarder)
			break; /* a standalone node ends on a signal: that is how it stops */
		if (interrupted) {
			snprintf(err, errlen, "--net %s: interrupted by signal %d", t->mode,
				 (int)interrupted);
			return RMC_EIO;
		}
	}
	if (t->node_tx_errors) {
		snprintf(err, errlen, "--net %s: %llu frames could not be sent by the nodes",
			 t->mode, (unsigned long long)t->node_tx_errors);
		return RMC_EIO;
	}
	return RMC_OK;
}

/* results.json's "net": each node's namespace and TAP (a test checks they are gone), counters. */
static json_t *
tap_describe(const struct net *n)
{
	const struct net_rt *t = n->be;
	json_t *links = json_array();
	for (size_t i = 0; i < t->n; i++)
		json_array_append_new(
		    links,
		    json_pack("{s:o, s:o, s:o, s:I, s:I, s:I}", "node", json_text(t->names[i]),
			      "netns", json_text(t->ns[i].name), "tap", json_text(t->dev[i].ifname),
			      "rx", (json_int_t)t->fwd.st[i].rx, "tx", (json_int_t)t->fwd.st[i].tx,
			      "tx_errors", (json_int_t)t->fwd.st[i].tx_error));
	return json_pack("{s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I}", "mode", "tap", "links", links,
			 "frames", (json_int_t)t->fwd.frames, "forwarded",
			 (json_int_t)t->fwd.forwarded, "flooded", (json_int_t)t->fwd.flooded,
			 "fault_dropped", (json_int_t)t->fwd.fault_dropped, "delays_applied",
			 (json_int_t)t->delays_applied, "node_tx_errors",
			 (json_int_t)t->node_tx_errors);
}

static json_t *
wire_describe(const struct net *n)
{
	const struct net_rt *t = n->be;
	return json_pack("{s:s, s:I}", "mode", "wire", "node_tx_errors",
			 (json_int_t)t->node_tx_errors);
}

static const struct net_ops tap_ops = {
    .mode = "tap",
    .send = rt_send,
    .inject = tap_inject,
    .egress = rt_egress,
    .run = rt_run,
    .describe = tap_describe,
    .close = rt_close,
};

static const struct net_ops wire_ops = {
    .mode = "wire",
    .send = rt_send,
    .inject = tap_inject,
    .egress = rt_egress,
    .run = rt_run,
    .describe = wire_describe,
    .close = rt_close,
};
