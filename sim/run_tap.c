#define _GNU_SOURCE /* ppoll: a timer needs better than poll's milliseconds */
#include "sim/run_tap.h"

#include <errno.h>
#include <linux/if_packet.h>
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
#include "sim/run_int.h"
#include "sim/tap.h"
#include "sim/tap_fault.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23 /* Linux 4.20 */
#endif

enum { TAP_NODE_RCVBUF = 1 << 20 };

struct run_tap {
	size_t n;
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

int
run_tap_open(struct run *r, const struct run_opts *o, char *err, size_t errlen)
{
	(void)o;
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
	for (size_t i = 0; i < TAP_MAX_PORTS; i++) {
		t->ns[i].fd = -1;
		t->dev[i].fd = -1;
		t->sock[i] = -1;
	}
	int fds[TAP_MAX_PORTS];
	for (size_t i = 0; i < sc->nnodes; i++, t->n++) {
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
	if (rc == RMC_OK) {
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
	if (t->tf_up)
		tap_fault_fini(&t->tf);
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
	if (send(t->sock[port], frame, len, 0) != (ssize_t)len)
		t->node_tx_errors++;
}

/* Frames for node i: each is handed over at the real time it was read. */
static int
drain_node(struct run *r, size_t i, uint64_t *events)
{
	struct run_tap *t = r->tap;
	for (;;) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(t->sock[i], t->rx, sizeof(t->rx), MSG_TRUNC,
				     (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? RMC_OK : RMC_EIO;
		}
		if (from.sll_pkttype == PACKET_OUTGOING || (size_t)n > sizeof(t->rx))
			continue;
		uint64_t now = rel_now(t);
		if (now > r->sc->duration)
			return RMC_OK; /* after the end: not the run's any more */
		*events += engine_run(&r->eng, now);
		engine_advance(&r->eng, now);
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
	uint64_t wake = r->sc->duration, next;
	if (engine_next(&r->eng, &next) == RMC_OK && next < wake)
		wake = next;
	uint64_t due = tap_fault_next_due(&t->tf);
	if (due != UINT64_MAX && due - t->t0 < wake)
		wake = due > t->t0 ? due - t->t0 : 0;
	return wake;
}

int
run_tap_loop(struct run *r, uint64_t *events, char *err, size_t errlen)
{
	struct run_tap *t = r->tap;
	struct pollfd pfd[2 * TAP_MAX_PORTS];
	for (size_t i = 0; i < t->n; i++) {
		pfd[i] = (struct pollfd){.fd = t->dev[i].fd, .events = POLLIN};
		pfd[t->n + i] = (struct pollfd){.fd = t->sock[i], .events = POLLIN};
	}
	for (;;) {
		uint64_t now = rel_now(t);
		if (now >= r->sc->duration) {
			*events += engine_run(&r->eng, r->sc->duration);
			break;
		}
		*events += engine_run(&r->eng, now);
		engine_advance(&r->eng, now);
		tap_fault_release_due(&t->tf, tap_now_ns());
		if (wait_until(t, pfd, 2 * t->n, next_wake(r)) != RMC_OK) {
			snprintf(err, errlen, "--net tap: ppoll: %s", strerror(errno));
			return RMC_EIO;
		}
		for (size_t i = 0; i < 2 * t->n; i++) {
			if (pfd[i].revents & (POLLERR | POLLNVAL)) {
				snprintf(err, errlen, "--net tap: poll failed on %s",
					 r->sc->nodes[i % t->n].name);
				return RMC_EIO;
			}
			if (!(pfd[i].revents & POLLIN))
				continue;
			int rc =
			    i < t->n ? tap_fwd_drain(&t->fwd, i) : drain_node(r, i - t->n, events);
			if (rc < 0) {
				snprintf(err, errlen, "--net tap: reading %s's link failed",
					 r->sc->nodes[i % t->n].name);
				return rc;
			}
		}
		if (r->io_error)
			break;
		if (interrupted) {
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
