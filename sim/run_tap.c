#define _GNU_SOURCE /* ppoll: a timer needs better than poll's milliseconds */
#include "sim/run_tap.h"

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
#include "sim/json.h"
#include "sim/node_ctl.h"
#include "sim/run_dut.h"
#include "sim/run_node.h"
#include "sim/run_int.h"
#include "sim/tap.h"
#include "sim/tap_fault.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23 /* Linux 4.20 */
#endif

enum { TAP_NODE_RCVBUF = 1 << 20 };

struct run_tap {
	size_t n;
	int iface_sock; /* node mode: the node's link; DUT mode: the forwarder's port to the DUT */
	bool node_on_tap; /* node mode: the node holds a TAP's descriptor (read/write frames) */
	bool fwd_up;	  /* false in node mode: the node is alone on its interface */
	struct node_ctl ctl;
	struct tap_ns ns[TAP_MAX_PORTS];
	struct tap_dev dev[TAP_MAX_PORTS];
	int sock[TAP_MAX_PORTS]; /* the node's end of its link */
	struct tap_fwd fwd;
	struct tap_fault tf;
	bool tf_up;
	uint64_t t0; /* tap_now_ns() at the run's time 0 */
	uint64_t node_tx_errors;
	uint8_t rx[TAP_FRAME_MAX];
};

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	interrupted = sig;
}

void
run_tap_catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Runs every timer due by now and moves the clock there, so what happens next is at now. */
static void
catch_up(struct run *r, uint64_t now, uint64_t *events)
{
	*events += engine_run(&r->eng, now);
	engine_advance(&r->eng, now);
}

static uint64_t
rel_now(const struct run_tap *t)
{
	uint64_t now = tap_now_ns();
	return now > t->t0 ? now - t->t0 : 0;
}

static void
on_capture(void *ctx, uint64_t now_ns, uint32_t frame_no, size_t from, const uint8_t *frame,
	   size_t len)
{
	struct run *r = ctx;
	(void)frame_no;
	run_capture(r, from, now_ns > r->tap->t0 ? now_ns - r->tap->t0 : 0, frame, len);
}

static int
node_link(struct run_tap *t, size_t i)
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
	int one = 1, buf = TAP_NODE_RCVBUF;
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
	int one = 1, buf = TAP_NODE_RCVBUF;
	setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &m, sizeof(m));
	setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	return s;
}

/* `rmcpsec node`: the one node on the given interface, the control socket beside it. */
static int
open_node(struct run *r, const struct run_opts *o, char *err, size_t errlen)
{
	struct run_tap *t = r->tap;
	t->n = r->sc->nnodes;
	if (o->node_tap) {
		int rc = tap_dev_attach(&t->dev[r->only], o->iface);
		if (rc != RMC_OK) {
			snprintf(err, errlen, "--tap %s: %s", o->iface,
				 rc == RMC_ENOENT ? "no such TAP device in this network namespace"
						  : "cannot attach to it (a TAP? root?)");
			return rc;
		}
		t->node_on_tap = true;
		t->sock[r->only] = t->dev[r->only].fd;
		t->t0 = tap_now_ns();
		return o->control ? node_ctl_open(&t->ctl, o->control, err, errlen) : RMC_OK;
	}
	t->iface_sock = t->sock[r->only] = iface_socket(o->iface);
	if (t->iface_sock < 0) {
		snprintf(err, errlen, "--iface %s: %s", o->iface,
			 t->iface_sock == RMC_ENOENT ? "no such interface in this network namespace"
						     : "cannot open a packet socket on it (root?)");
		return RMC_EIO;
	}
	t->t0 = tap_now_ns();
	return o->control ? node_ctl_open(&t->ctl, o->control, err, errlen) : RMC_OK;
}

int
run_tap_open(struct run *r, const struct run_opts *o, char *err, size_t errlen)
{
	const struct scenario *sc = r->sc;
	if (sc->nnodes < 2 || sc->nnodes > TAP_MAX_PORTS) {
		snprintf(err, errlen, "--net tap: %zu nodes; it carries 2 to %d", sc->nnodes,
			 TAP_MAX_PORTS);
		return RMC_EINVAL;
	}
	struct run_tap *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return RMC_ENOMEM;
	}
	r->tap = t;
	t->iface_sock = -1;
	t->ctl.lfd = -1;
	for (size_t i = 0; i < NODE_CTL_CLIENTS; i++)
		t->ctl.cfd[i] = -1;
	for (size_t i = 0; i < TAP_MAX_PORTS; i++) {
		t->ns[i].fd = -1;
		t->dev[i].fd = -1;
		t->sock[i] = -1;
	}
	if (r->only >= 0)
		return open_node(r, o, err, errlen);
	int fds[TAP_MAX_PORTS];
	if (r->dut >= 0) {
		int rc = run_dut_begin(r, err, errlen);
		if (rc)
			return rc;
		if ((t->iface_sock = iface_socket(o->iface)) < 0) {
			snprintf(err, errlen, "--iface %s: %s", o->iface,
				 t->iface_sock == RMC_ENOENT
				     ? "no such interface in this network namespace"
				     : "cannot open a packet socket on it (root?)");
			return RMC_EIO;
		}
	}
	for (size_t i = 0; i < sc->nnodes; i++, t->n++) {
		if ((int)i == r->dut) {
			fds[i] = t->iface_sock; /* the DUT is a port like any other */
			continue;
		}
		int rc = node_link(t, i);
		if (rc != RMC_OK) {
			snprintf(err, errlen,
				 "--net tap: cannot set up %s's namespace, TAP and socket (%s; "
				 "root is needed)",
				 sc->nodes[i].name, rmc_strerror(rc));
			t->n++;
			return rc;
		}
		fds[i] = t->dev[i].fd;
	}
	int rc = tap_fwd_init(&t->fwd, fds, sc->nnodes, NULL);
	t->fwd_up = rc == RMC_OK;
	if (rc == RMC_OK) {
		tap_fwd_batch(&t->fwd); /* io_uring when the kernel has it; read/write otherwise */
		t->t0 = tap_now_ns();
		rc = tap_fault_init_shared(&t->tf, sc, &r->link.fe, &r->obs, &t->fwd, t->t0);
		t->tf_up = true;
	}
	if (rc != RMC_OK) {
		snprintf(err, errlen, "--net tap: %s", rmc_strerror(rc));
		return rc;
	}
	tap_fwd_set_capture(&t->fwd, on_capture, r);
	return RMC_OK;
}

void
run_tap_close(struct run *r)
{
	struct run_tap *t = r->tap;
	if (!t)
		return;
	run_dut_abort(r); /* a run that failed half-way still puts the device down */
	if (t->tf_up)
		tap_fault_fini(&t->tf);
	if (t->fwd_up)
		tap_fwd_free(&t->fwd);
	node_ctl_close(&t->ctl);
	if (t->iface_sock >= 0)
		close(t->iface_sock);
	if (r->only >= 0)
		t->sock[r->only] = -1;
	for (size_t i = 0; i < t->n; i++) {
		if (t->sock[i] >= 0)
			close(t->sock[i]);
		tap_dev_destroy(&t->dev[i]);
		tap_ns_destroy(&t->ns[i]);
	}
	free(t);
	r->tap = NULL;
}

void
run_tap_send(struct run *r, size_t port, const uint8_t *frame, size_t len)
{
	struct run_tap *t = r->tap;
	ssize_t n =
	    t->node_on_tap ? write(t->sock[port], frame, len) : send(t->sock[port], frame, len, 0);
	if (n != (ssize_t)len)
		t->node_tx_errors++;
	else if (!t->fwd_up)
		run_capture(r, port, rel_now(t), frame, len); /* a lone node traces its own link */
}

/* Frames for node i: each is handed over at the real time it was read. */
static int
drain_node(struct run *r, size_t i, uint64_t *events)
{
	struct run_tap *t = r->tap;
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
		if (now > r->end)
			return RMC_OK; /* after the end: not the run's any more */
		catch_up(r, now, events);
		if (!t->fwd_up)
			run_capture(r, i, now, t->rx, (size_t)n);
		run_deliver(r, i, engine_now(&r->eng), t->rx, (size_t)n);
	}
}

static int
wait_until(struct run_tap *t, struct pollfd *pfd, size_t n, uint64_t wake)
{
	uint64_t now = rel_now(t);
	uint64_t d = wake > now ? wake - now : 0;
	struct timespec ts = {.tv_sec = (time_t)(d / NS_PER_S), .tv_nsec = (long)(d % NS_PER_S)};
	for (size_t i = 0; i < n; i++)
		pfd[i].revents = 0;
	return ppoll(pfd, n, &ts, NULL) < 0 && errno != EINTR ? RMC_EIO : RMC_OK;
}

static uint64_t
next_wake(struct run *r)
{
	struct run_tap *t = r->tap;
	uint64_t wake = r->end, next;
	if (engine_next(&r->eng, &next) == RMC_OK && next < wake)
		wake = next;
	uint64_t due = t->tf_up ? tap_fault_next_due(&t->tf) : UINT64_MAX;
	if (due != UINT64_MAX && due - t->t0 < wake)
		wake = due > t->t0 ? due - t->t0 : 0;
	return wake;
}

/* What each polled descriptor is. */
enum poll_kind { POLL_PORT, POLL_NODE, POLL_CTL };

static size_t
poll_set(const struct run *r, struct pollfd *pfd, uint8_t *kind, uint8_t *idx)
{
	const struct run_tap *t = r->tap;
	size_t n = 0;
	for (size_t i = 0; t->fwd_up && i < t->n; i++, n++) {
		pfd[n] = (struct pollfd){.fd = t->fwd.fds[i], .events = POLLIN};
		kind[n] = POLL_PORT;
		idx[n] = (uint8_t)i;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->sock[i] < 0)
			continue;
		pfd[n] = (struct pollfd){.fd = t->sock[i], .events = POLLIN};
		kind[n] = POLL_NODE;
		idx[n++] = (uint8_t)i;
	}
	size_t c = node_ctl_pollfds(&t->ctl, pfd + n);
	for (size_t i = 0; i < c; i++)
		kind[n + i] = POLL_CTL;
	return n + c;
}

static int
serve(struct run *r, struct pollfd *pfd, const uint8_t *kind, const uint8_t *idx, size_t n,
      uint64_t *events, char *err, size_t errlen)
{
	struct run_tap *t = r->tap;
	for (size_t i = 0; i < n && kind[i] != POLL_CTL; i++) {
		if (pfd[i].revents & (POLLERR | POLLNVAL)) {
			snprintf(err, errlen, "--net tap: poll failed on %s's link",
				 r->sc->nodes[idx[i]].name);
			return RMC_EIO;
		}
		if (!(pfd[i].revents & POLLIN))
			continue;
		int rc = kind[i] == POLL_PORT ? tap_fwd_drain(&t->fwd, idx[i])
					      : drain_node(r, idx[i], events);
		if (rc < 0) {
			snprintf(err, errlen, "--net tap: reading %s's link failed",
				 r->sc->nodes[idx[i]].name);
			return rc;
		}
	}
	size_t c = 0;
	while (c < n && kind[c] != POLL_CTL)
		c++;
	if (c < n) {
		uint64_t now = rel_now(t); /* a request is a step at the time it is answered */
		catch_up(r, now, events);
		node_ctl_service(&t->ctl, pfd + c, n - c, run_node_control, r);
	}
	return RMC_OK;
}

int
run_tap_loop(struct run *r, uint64_t *events, char *err, size_t errlen)
{
	struct run_tap *t = r->tap;
	struct pollfd pfd[2 * TAP_MAX_PORTS + 1 + NODE_CTL_CLIENTS];
	uint8_t kind[sizeof(pfd) / sizeof(pfd[0])], idx[sizeof(pfd) / sizeof(pfd[0])];
	for (;;) {
		uint64_t now = rel_now(t);
		if (now >= r->end) {
			*events += engine_run(&r->eng, r->end);
			break;
		}
		catch_up(r, now, events);
		if (t->tf_up)
			tap_fault_release_due(&t->tf, tap_now_ns());
		size_t n = poll_set(r, pfd, kind, idx);
		if (wait_until(t, pfd, n, next_wake(r)) != RMC_OK) {
			snprintf(err, errlen, "--net tap: ppoll: %s", strerror(errno));
			return RMC_EIO;
		}
		int rc = serve(r, pfd, kind, idx, n, events, err, errlen);
		if (rc)
			return rc;
		if (r->io_error || r->stop)
			break;
		if (interrupted) {
			if (r->only >= 0)
				break; /* a standalone node ends on a signal: that is how it stops
					*/
			snprintf(err, errlen, "--net tap: interrupted by signal %d",
				 (int)interrupted);
			return RMC_EIO;
		}
	}
	if (t->node_tx_errors || t->tf.error) {
		snprintf(err, errlen, "--net tap: %llu frames could not be sent by the nodes",
			 (unsigned long long)t->node_tx_errors);
		return t->tf.error ? t->tf.error : RMC_EIO;
	}
	return RMC_OK;
}

void
run_tap_write_json(FILE *f, const struct run *r)
{
	const struct run_tap *t = r->tap;
	fprintf(f, "  \"net\": {\"mode\": \"tap\", \"links\": [");
	for (size_t i = 0; i < t->n; i++) {
		fprintf(f, "%s\n    {\"node\": ", i ? "," : "");
		json_str(f, r->sc->nodes[i].name);
		fprintf(f, ", \"netns\": ");
		json_str(f, t->ns[i].name);
		fprintf(f, ", \"tap\": ");
		json_str(f, t->dev[i].ifname);
		fprintf(f, ", \"rx\": %llu, \"tx\": %llu, \"tx_errors\": %llu}",
			(unsigned long long)t->fwd.st[i].rx, (unsigned long long)t->fwd.st[i].tx,
			(unsigned long long)t->fwd.st[i].tx_error);
	}
	fprintf(f,
		"\n  ], \"frames\": %u, \"forwarded\": %llu, \"flooded\": %llu, "
		"\"fault_dropped\": %llu, \"delays_applied\": %llu, \"delays_overflow\": %llu, "
		"\"node_tx_errors\": %llu},\n",
		t->fwd.frames, (unsigned long long)t->fwd.forwarded,
		(unsigned long long)t->fwd.flooded, (unsigned long long)t->fwd.fault_dropped,
		(unsigned long long)t->tf.delays_applied, (unsigned long long)t->tf.delays_overflow,
		(unsigned long long)t->node_tx_errors);
}
