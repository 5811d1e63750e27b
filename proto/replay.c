#include "proto/replay.h"

#include <string.h>

#include "proto/err.h"

int
replay_init(struct replay *r, uint32_t size)
{
	if (size == 0)
		size = REPLAY_WINDOW_DEFAULT;
	if (size < REPLAY_WINDOW_MIN || size > REPLAY_WINDOW_MAX)
		return RMC_EINVAL;
	memset(r, 0, sizeof(*r));
	r->size = size;
	/* One spare word so the ring always holds W bits behind top. */
	r->nwords = (size + REPLAY_WORD_BITS - 1) / REPLAY_WORD_BITS + 1;
	return RMC_OK;
}

int
replay_init_floor(struct replay *r, uint32_t size, uint64_t floor)
{
	int rc = replay_init(r, size);
	unsigned edge = (unsigned)(floor % REPLAY_WORD_BITS);
	if (rc || floor == 0)
		return rc;
	/* Every word behind the edge's is wholly seen; in the edge's word, the bits up to
	 * floor only: those above it stand for numbers not received yet. */
	for (uint32_t i = 0; i < r->nwords; i++)
		r->bits[i] = UINT64_MAX;
	r->bits[(floor / REPLAY_WORD_BITS) % r->nwords] =
	    edge == REPLAY_WORD_BITS - 1 ? UINT64_MAX : (1ULL << (edge + 1)) - 1;
	r->top = floor;
	return RMC_OK;
}

int
replay_infer(const struct replay *r, uint32_t seql, uint64_t *seq)
{
	uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
	uint32_t w = r->size;
	uint32_t bottom = tl - w + 1; /* mod 2^32, as the appendix means it */
	uint32_t seqh;

	if (tl >= w - 1) {
		/* Case A: the window lies within one 2^32 subspace. */
		seqh = seql >= bottom ? th : th + 1;
		if (seql < bottom && th == UINT32_MAX)
			return RMC_ETOOOLD; /* would wrap the 64-bit space */
	} else {
		/* Case B: the window spans two subspaces. */
		if (seql >= bottom) {
			if (th == 0)
				return RMC_ETOOOLD; /* before sequence number 1 */
			seqh = th - 1;
		} else {
			seqh = th;
		}
	}
	*seq = ((uint64_t)seqh << 32) | seql;
	return RMC_OK;
}

static uint64_t *
word_of(struct replay *r, uint64_t seq)
{
	return &r->bits[(seq / REPLAY_WORD_BITS) % r->nwords];
}

int
replay_check(const struct replay *r, uint64_t seq)
{
	const uint64_t bit = 1ULL << (seq % REPLAY_WORD_BITS);

	if (seq == 0)
		return RMC_ETOOOLD; /* the first packet of an SA carries 1 (RFC 4303 §3.3.3) */
	if (seq > r->top)
		return RMC_OK;
	if (r->top - seq >= r->size)
		return RMC_ETOOOLD;
	if (r->bits[(seq / REPLAY_WORD_BITS) % r->nwords] & bit)
		return RMC_EREPLAY;
	return RMC_OK;
}

void
replay_update(struct replay *r, uint64_t seq)
{
	if (seq > r->top) {
		uint64_t from = r->top / REPLAY_WORD_BITS, to = seq / REPLAY_WORD_BITS;
		uint64_t n = to - from;

		if (n >= r->nwords)
			n = r->nwords;
		for (uint64_t i = 1; i <= n; i++)
			r->bits[(from + i) % r->nwords] = 0;
		r->top = seq;
	}
	*word_of(r, seq) |= 1ULL << (seq % REPLAY_WORD_BITS);
}
