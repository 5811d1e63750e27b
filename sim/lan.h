/*
 * An in-memory switched Ethernet LAN: one learning switch, one port per
 * node. Frames are byte buffers exactly as on the wire (no FCS). Each port
 * has a latency, a bandwidth and an MTU; a frame is serialised onto the
 * sender's port (queueing behind earlier frames), crosses the switch, is
 * serialised onto the receiver's port and arrives after the port latency.
 * Store-and-forward, unbounded queues, no loss except what sim/fault will
 * add and oversize frames (counted).
 *
 * Frame bytes live in a pool of fixed-size slots, shared by reference
 * count when flooded, so steady-state forwarding allocates nothing.
 */
#ifndef RMCPSEC_SIM_LAN_H
#define RMCPSEC_SIM_LAN_H

#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"
#include "sim/mac_table.h"

enum { LAN_SLOT_BYTES = 1600 };

struct lan_port_cfg {
	uint64_t latency_ns;
	uint64_t bits_per_s; /* 0: infinitely fast */
	uint16_t mtu;	     /* IP MTU; frames longer than mtu + 14 are dropped */
};

struct lan_port {
	struct lan_port_cfg cfg;
	uint64_t in_busy_until;	 /* node -> switch direction */
	uint64_t out_busy_until; /* switch -> node direction */
	uint64_t tx_frames, rx_frames, oversize;
};

/* Called when a frame reaches a node's port. */
typedef void (*lan_deliver_fn)(void *ctx, size_t port, uint64_t now, const uint8_t *frame,
			       size_t len);
/*
 * Called once per frame as the node hands it to its port, stamped with
 * that time so a trace stays in time order even when a port queues.
 */
typedef void (*lan_capture_fn)(void *ctx, size_t port, uint64_t t, const uint8_t *frame,
			       size_t len);

/*
 * Optional: a faulty link between the switch and a receiving port (sim/link
 * applies sim/fault). When set, the switch hands every frame it forwards
 * or floods to `fate` instead of putting it on the egress port itself;
 * fate then calls lan_egress for each copy it lets through. frame_no is
 * the frame's 1-based capture number (its number in the trace); frame is
 * valid only until the next lan_* call.
 */
typedef void (*lan_fate_fn)(void *ctx, uint32_t frame_no, size_t from, size_t to,
			    const uint8_t *frame, size_t len);

struct lan {
	struct engine *eng;
	struct lan_port *ports;
	size_t nports;
	struct mac_table macs; /* the learning switch */
	uint8_t (*slots)[LAN_SLOT_BYTES];
	uint16_t *slot_len;
	uint16_t *slot_refs;
	uint32_t *slot_frame; /* capture number of the frame in the slot */
	uint32_t *free_slots;
	size_t nslots, nfree;
	lan_deliver_fn deliver;
	lan_capture_fn capture;
	void *ctx;
	lan_fate_fn fate;
	void *fate_ctx;
	uint32_t captured;
	uint64_t flooded, forwarded, filtered;
};

int lan_init(struct lan *lan, struct engine *eng, size_t nports, lan_deliver_fn deliver,
	     lan_capture_fn capture, void *ctx);
void lan_fini(struct lan *lan);
void lan_port_config(struct lan *lan, size_t port, const struct lan_port_cfg *cfg);
/* A node transmits a frame on its port at the engine's current time. */
int lan_send(struct lan *lan, size_t port, const uint8_t *frame, size_t len);
void lan_set_fate(struct lan *lan, lan_fate_fn fate, void *ctx);
/*
 * Puts a frame (1..LAN_SLOT_BYTES bytes) on the switch -> `to` link now: it
 * arrives after that port's serialisation and latency plus extra_ns.
 */
int lan_egress(struct lan *lan, size_t to, const uint8_t *frame, size_t len, uint64_t extra_ns);

#endif
