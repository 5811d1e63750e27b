/*
 * Anti-replay window of RFC 4303 §3.4.3, with the 64-bit extended
 * sequence numbers of Appendix A. A ring of 64-bit words (the layout of
 * RFC 6479): moving the window right clears whole words instead of
 * shifting the bitmap, so a window of 1024 costs the same as one of 64.
 *
 * Use: replay_infer (ESN only) -> replay_check -> verify the ICV ->
 * replay_update. The window moves only for packets whose ICV verified
 * (RFC 4303 §3.4.3).
 */
#ifndef RMCPSEC_PROTO_REPLAY_H
#define RMCPSEC_PROTO_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

enum {
	REPLAY_WINDOW_DEFAULT = 64, /* RFC 4303 §3.4.3: 64 SHOULD be the default */
	REPLAY_WINDOW_MIN = 32,	    /* RFC 4303 §3.4.3: at least 32 MUST be supported */
	REPLAY_WINDOW_MAX = 1024,   /* our configuration limit */
	REPLAY_WORD_BITS = 64,
	REPLAY_WORDS = REPLAY_WINDOW_MAX / REPLAY_WORD_BITS + 1,
};

struct replay {
	uint64_t top;  /* highest sequence number accepted; 0 = none yet */
	uint32_t size; /* W, in packets */
	uint32_t nwords;
	uint64_t bits[REPLAY_WORDS];
};

/* size 0 means REPLAY_WINDOW_DEFAULT; RMC_EINVAL outside [32, 1024]. */
int replay_init(struct replay *r, uint32_t size);
/*
 * A window that has seen every number from 1 to floor: floor is its right
 * edge, so each of them is refused (a replay inside the window, too old
 * left of it) and every number above it is accepted. What a receiver that
 * lost its window keeps of it: the highest number it persisted before
 * acting on a packet (nodes/nvram.h, the receive checkpoint).
 */
int replay_init_floor(struct replay *r, uint32_t size, uint64_t floor);

/*
 * RFC 4303 Appendix A2.2: the 64-bit sequence number that a received low
 * half most likely belongs to, given the window. RMC_ETOOOLD when it can
 * only lie before sequence number 1.
 */
int replay_infer(const struct replay *r, uint32_t seql, uint64_t *seq);

/* RMC_OK if seq may be accepted, RMC_EREPLAY if seen, RMC_ETOOOLD if left of the window. */
int replay_check(const struct replay *r, uint64_t seq);

/* Marks seq as received, moving the window if seq is new on the right. */
void replay_update(struct replay *r, uint64_t seq);

#endif
