/*
 * What carries a run's frames: a backend is a clock and a wire. The run
 * hands each backend the same things — one port per scenario node, the
 * run's event engine, the fault applier (sim/link), and two hooks back into
 * the run — and drives it through the same operations, never asking which
 * backend it has:
 *
 *   virtual  sim/lan in virtual time: deterministic, byte-identical traces;
 *   tap      each node on a TAP device in a network namespace of its own,
 *            rmcpsec's forwarder between them, real time (root);
 *   wire     one node alone on a real interface (`rmcpsec node`), real time.
 *
 * Every backend captures each frame as it leaves its sender (the `capture`
 * hook: trace and observation log), offers it per receiving port to the
 * fault applier (link_forward), which puts the copies that survive back
 * with `egress` (after a delay when a rule says so), and hands each frame
 * that arrives to the receiving node (the `deliver` hook). Timers of the
 * run are events on the engine; a real-time backend runs the engine on the
 * real clock.
 */
#ifndef RMCPSEC_SIM_NET_H
#define RMCPSEC_SIM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sim/engine.h"
#include "sim/lan.h"

struct link;

/* One scenario node's place on the network. */
struct net_port {
	const char *name;	  /* the node's name, for messages and results */
	struct lan_port_cfg link; /* latency, bandwidth, MTU (the virtual LAN's) */
	/*
	 * NULL: a node of this process. Otherwise the node is a device reached on
	 * this interface: the backend forwards its frames like any other port's but
	 * never delivers to it (it has no step in this process).
	 */
	const char *device_iface;
};

/* The run's side: every backend calls these. */
struct net_hooks {
	/* A frame reached node `port` at the run's time now: the node handles it. */
	void (*deliver)(void *ctx, size_t port, uint64_t now, const uint8_t *frame, size_t len);
	/* A frame left node `port` at time t, before any fault: trace, observation log. */
	void (*capture)(void *ctx, size_t port, uint64_t t, const uint8_t *frame, size_t len);
	/* The run has failed (a player could not go on): a real-time backend stops early. */
	bool (*failed)(void *ctx);
	void *ctx;
};

/*
 * Other descriptors a real-time backend waits on beside its ports (a
 * standalone node's control socket): `fill` puts up to `cap` pollfds and
 * returns how many, `serve` handles what they reported and returns true
 * when the run should stop.
 */
struct net_watch {
	size_t (*fill)(void *ctx, void *pollfds, size_t cap);
	bool (*serve)(void *ctx, void *pollfds, size_t n);
	void *ctx;
};

struct net_cfg {
	const struct net_port *ports;
	size_t nports;
	struct engine *eng;
	struct link *link; /* the fault applier; frames go through it when it has link rules */
	struct net_hooks hooks;
	/* wire: the one node that runs here, its interface (or TAP to attach to), its watch */
	size_t node;
	const char *iface;
	bool attach_tap;
	struct net_watch watch;
};

struct net;

struct net_ops {
	const char *mode; /* results.json's net.mode */
	/* Node `port` transmits a frame at the engine's current time. */
	int (*send)(struct net *n, size_t port, const uint8_t *frame, size_t len);
	/* A copy the fault applier lets through to port `to`, after delay_ns more. */
	int (*egress)(struct net *n, size_t to, const uint8_t *frame, size_t len,
		      uint64_t delay_ns);
	/*
	 * A frame enters the network as if node `port` had sent it (the harness's
	 * adversary): captured and switched like any other, no node's step involved.
	 */
	int (*inject)(struct net *n, size_t port, const uint8_t *frame, size_t len);
	/*
	 * Runs until `until` (the engine's time) or until told to stop; events
	 * dispatched are added to *events. 0, or an error with err filled.
	 */
	int (*run)(struct net *n, uint64_t until, uint64_t *events, char *err, size_t errlen);
	/* results.json's "net" object: the mode, links, counters. */
	json_t *(*describe)(const struct net *n);
	void (*close)(struct net *n);
};

struct net {
	const struct net_ops *ops;
	void *be;  /* the backend's own state */
	int error; /* the first failure the backend could not return to a caller */
};

/* The backends; each fills n->ops and n->be, or returns an error with err filled. */
int net_open_virtual(struct net *n, const struct net_cfg *cfg, char *err, size_t errlen);
int net_open_tap(struct net *n, const struct net_cfg *cfg, char *err, size_t errlen);
int net_open_wire(struct net *n, const struct net_cfg *cfg, char *err, size_t errlen);

static inline int
net_send(struct net *n, size_t port, const uint8_t *frame, size_t len)
{
	return n->ops->send(n, port, frame, len);
}

static inline int
net_inject(struct net *n, size_t port, const uint8_t *frame, size_t len)
{
	return n->ops->inject(n, port, frame, len);
}

static inline int
net_egress(struct net *n, size_t to, const uint8_t *frame, size_t len, uint64_t delay_ns)
{
	return n->ops->egress(n, to, frame, len, delay_ns);
}

/* Closes whatever backend n holds; safe on a zeroed or failed one. */
void net_close(struct net *n);

/*
 * SIGINT, SIGTERM and SIGHUP end a real-time run early but orderly (its
 * namespaces and TAPs removed, the run reported as interrupted; a standalone
 * node simply stops). For the command line, before any run.
 */
void net_catch_signals(void);

#endif
