/*
 * Real frames over TAP devices: network namespaces and TAP
 * devices with unique names, the node side of a TAP (an AF_PACKET socket
 * inside the namespace), and the harness's forwarder: a learning switch
 * over N TAP ports that writes every frame to a trace and lets a fate hook
 * (the fault applier, sim/link, in sim/net_tap.c) drop, duplicate or mangle it.
 *
 * Namespaces are created and deleted with `ip netns add|del` run through
 * posix_spawnp (iproute2 owns the /run/netns bind-mount convention); every
 * other step is a syscall: a TAP is created by TUNSETIFF (IFF_TAP |
 * IFF_NO_PI) while the thread is inside the namespace (setns), so its link
 * lives there from the start and only its file descriptor stays with the
 * harness. TAP devices are not persistent: closing the descriptor removes
 * the link. Everything here needs CAP_NET_ADMIN (root).
 *
 * A TAP write() never fails when the receiving side's queue is full: the
 * kernel drops the frame silently as a TX drop. The forwarder counts every
 * frame it reads, writes and drops, so a caller can check that none was
 * lost that no fault rule dropped.
 */
#ifndef RMCPSEC_SIM_TAP_H
#define RMCPSEC_SIM_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcap/trace.h"
#include "sim/mac_table.h"

enum {
	TAP_NAME_MAX = 16, /* IFNAMSIZ */
	TAP_NS_MAX = 48,   /* netns name */
	TAP_FRAME_MAX = 1600,
	TAP_MAX_PORTS = 16,
	TAP_DRAIN_BUDGET = 64, /* frames read from one port before the next port's turn */
};

struct tap_ns {
	char name[TAP_NS_MAX];
	int fd; /* /run/netns/NAME, for setns; -1 when not created */
};

struct tap_dev {
	char ifname[TAP_NAME_MAX];
	int fd; /* the TAP's queue, non-blocking; -1 when closed */
};

/*
 * Creates a namespace named PREFIX-PID-N (N counts this process's names).
 * Returns 0 or a negative rmc_err; ns->fd is -1 on failure.
 */
int tap_ns_create(struct tap_ns *ns, const char *prefix);
/* Deletes it (`ip netns del`); NULL-safe and safe on a failed create. */
void tap_ns_destroy(struct tap_ns *ns);
/* The calling thread enters ns; *back is its own namespace to return to. */
int tap_ns_enter(const struct tap_ns *ns, int *back);
int tap_ns_leave(int back);

/*
 * Creates a TAP named PREFIX + PID + letter(s) (at most 15 bytes) inside ns
 * (NULL: the caller's namespace), IPv6 off on it (no router solicitations
 * on the wire) and its link up. Returns 0 or a negative rmc_err.
 */
int tap_dev_create(struct tap_dev *d, const struct tap_ns *ns, const char *prefix);
/*
 * Attaches to an existing TAP device named ifname in the caller's namespace
 * (one made persistent with `ip tuntap add ... mode tap`), as a VM would:
 * what is written to the descriptor arrives on that link. RMC_ENOENT when
 * there is no such link; closing leaves a persistent device in place.
 */
int tap_dev_attach(struct tap_dev *d, const char *ifname);
/* Closes the descriptor, which removes the link; NULL-safe. */
void tap_dev_destroy(struct tap_dev *d);

/*
 * The node side: a non-blocking AF_PACKET socket inside ns (NULL: the
 * caller's), bound to ifname, receiving only `ethertype` (host order; 0:
 * every frame). Sending on it makes the kernel transmit on the TAP, so the
 * harness reads the frame from the TAP's descriptor. Returns the socket or
 * a negative rmc_err.
 */
int tap_node_socket(const struct tap_ns *ns, const char *ifname, uint16_t ethertype);

/* Runs `ip ARGS...` and waits for it; 0 if it exited with status 0. */
int tap_run_ip(const char *const *args);

/*
 * Carries out a frame's fate on the way to port `to`: writes it with
 * tap_fwd_write as many times as it should go out (0 when dropped or held
 * back). frame is the forwarder's scratch copy for that receiver and may be
 * changed; len bytes of it are valid (TAP_FRAME_MAX room). frame_no is its
 * 1-based trace number. Returns true when a fault rule dropped it.
 */
typedef bool (*tap_fate_fn)(void *ctx, uint64_t now_ns, uint32_t frame_no, size_t from, size_t to,
			    uint8_t *frame, size_t len);

/* Called once per frame read, after the trace and before any fate: the classification point. */
typedef void (*tap_capture_fn)(void *ctx, uint64_t now_ns, uint32_t frame_no, size_t from,
			       const uint8_t *frame, size_t len);

struct tap_port_stats {
	uint64_t rx;	   /* frames read from the TAP */
	uint64_t tx;	   /* frames written to it */
	uint64_t tx_error; /* write() failures (not silent TX drops: those are not seen) */
};

struct tap_fwd {
	int fds[TAP_MAX_PORTS];
	struct tap_port_stats st[TAP_MAX_PORTS];
	size_t nports;
	struct mac_table macs; /* the learning switch */
	struct trace *trace;   /* NULL: no trace */
	tap_fate_fn fate;      /* NULL: every frame goes through unchanged */
	void *fate_ctx;
	tap_capture_fn capture; /* NULL: none */
	void *capture_ctx;
	uint32_t frames; /* read so far = the last trace frame number */
	uint64_t forwarded, flooded, fault_dropped, oversize;
	uint64_t polls; /* frames / polls: how many frames one wake-up moves */
	uint8_t buf[TAP_FRAME_MAX];
	uint8_t scratch[TAP_FRAME_MAX];
	struct tap_ring *ring; /* NULL: one read()/write() per frame (tap_fwd_batch) */
	bool in_drain;	       /* tap_fwd_write queues on the ring instead of writing */
	int ring_error;	       /* a failed flush inside tap_fwd_write, reported by the drain */
	uint64_t ring_enters;  /* io_uring_enter calls: frames / ring_enters per call */
};

/* fds are TAP descriptors (tap_dev.fd), one port each; trace may be NULL. */
int tap_fwd_init(struct tap_fwd *f, const int *fds, size_t nports, struct trace *trace);
void tap_fwd_set_fate(struct tap_fwd *f, tap_fate_fn fate, void *ctx);
void tap_fwd_set_capture(struct tap_fwd *f, tap_capture_fn capture, void *ctx);
/*
 * A frame enters as if read from port `from` (the harness's own): traced,
 * captured and switched like one read. RMC_EINVAL when it does not fit.
 */
int tap_fwd_inject(struct tap_fwd *f, size_t from, const uint8_t *p, size_t len);
/* Writes one frame to port `to` now and counts it (for frames a fate held back). */
void tap_fwd_write(struct tap_fwd *f, size_t to, const uint8_t *p, size_t len);
/*
 * One round: waits up to timeout_ms for a frame on any port (or for
 * stop_fd, -1 for none, to become readable or hang up), then forwards
 * what is queued, up to TAP_DRAIN_BUDGET frames per port. Returns the
 * frames read (0 on timeout) and sets *stop when stop_fd fired, or a
 * negative rmc_err when poll or read failed.
 */
int tap_fwd_step(struct tap_fwd *f, int timeout_ms, int stop_fd, bool *stop);
/*
 * Reads and forwards what is queued on one port, up to TAP_DRAIN_BUDGET
 * frames: for a caller that polls the ports in its own loop (the run in
 * tap mode). Returns the frames read or a negative rmc_err.
 */
int tap_fwd_drain(struct tap_fwd *f, size_t port);
/*
 * Optional: batches each drain through io_uring (sim/tap_ring.h): the
 * reads of one port's drain in one system call, the writes they produce in
 * one more, flushed before tap_fwd_drain returns, so every frame read is
 * written (or counted as tx_error) by then, in order, exactly as without
 * batching. tap_fwd_write outside a drain still writes at once. Returns 0,
 * or RMC_EIO when the kernel refuses io_uring (the forwarder then keeps
 * read/write). Call after tap_fwd_init; release with tap_fwd_free.
 */
int tap_fwd_batch(struct tap_fwd *f);
/* Releases what tap_fwd_init and tap_fwd_batch set up; NULL-safe. */
void tap_fwd_free(struct tap_fwd *f);
/* Forwards until stop_fd becomes readable or hangs up. */
int tap_fwd_run(struct tap_fwd *f, int stop_fd);
/* Real time for traces and fault windows: CLOCK_REALTIME in ns. */
uint64_t tap_now_ns(void);

#endif
