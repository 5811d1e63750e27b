/*
 * Internal to sim/tap.c (and bench/tap's raw_uring mode): batched TAP reads
 * and writes through io_uring (raw system calls, no liburing). A TAP
 * descriptor offers no recvmmsg or sendmmsg, so without this every frame
 * costs the forwarder a read() and a write(); with it one drain of a port
 * costs one io_uring_enter for up to TAP_DRAIN_BUDGET reads and one for the
 * writes it produced.
 *
 * Order: the SQEs of one io_uring_enter are issued in order, and a read or
 * write on a TAP completes inline (the descriptors are non-blocking and the
 * reads carry RWF_NOWAIT when the kernel allows it, so an empty queue
 * completes as -EAGAIN instead of waiting), so frames keep their order per
 * port. Each enter waits for all of its completions, bounded by a timeout:
 * a drain never returns with an operation still in flight.
 */
#ifndef RMCPSEC_SIM_TAP_RING_H
#define RMCPSEC_SIM_TAP_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tap_fwd;
struct tap_ring;

/* Sets up the ring over f's ports; NULL when the kernel refuses io_uring. */
struct tap_ring *tap_ring_open(const struct tap_fwd *f);
void tap_ring_close(struct tap_ring *r);

/*
 * Reads up to n frames (n <= TAP_DRAIN_BUDGET) from port in one enter.
 * res (TAP_DRAIN_BUDGET entries): slot i's length or a negative errno (-EAGAIN: queue
 * empty, or slot not asked for);
 * slots are in the order the frames were queued. Returns 0 or a negative
 * rmc_err.
 */
int tap_ring_read(struct tap_ring *r, size_t port, unsigned n, int32_t *res);
/* Slot i's frame (TAP_FRAME_MAX bytes), valid until the next tap_ring_read. */
uint8_t *tap_ring_slot(struct tap_ring *r, unsigned i);

/*
 * Queues a write of p to port: without a copy when p lies in a read slot
 * (valid until the flush), copied otherwise. Flushes first when the queue is
 * full. Results are counted into f at the flush.
 */
int tap_ring_queue(struct tap_ring *r, struct tap_fwd *f, size_t port, const uint8_t *p,
		   size_t len);
/* Issues the queued writes in one enter and counts tx / tx_error into f. */
int tap_ring_flush(struct tap_ring *r, struct tap_fwd *f);

#endif
