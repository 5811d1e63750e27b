/*
 * Anti-replay window, RFC 4303 §3.4.3 and Appendix A. Numbered vectors
 * (WireGuard style) for every edge, then a comparison against a naive
 * model over random sequences for several window sizes.
 */
#include <criterion/criterion.h>

#include <stdlib.h>

#include "proto/err.h"
#include "proto/replay.h"

struct step {
	uint64_t seq;
	int want;
};

/*
 * A step checks seq and, when accepted, records it (as after a good ICV);
 * the window starts as if every number up to floor had been seen.
 */
static void
run_from(uint32_t w, uint64_t floor, const struct step *v, size_t n)
{
	struct replay r;

	cr_assert_eq(replay_init_floor(&r, w, floor), RMC_OK);
	for (size_t i = 0; i < n; i++) {
		int rc = replay_check(&r, v[i].seq);
		cr_assert_eq(rc, v[i].want, "vector %zu: seq %llu: got %d want %d", i + 1,
			     (unsigned long long)v[i].seq, rc, v[i].want);
		if (rc == RMC_OK)
			replay_update(&r, v[i].seq);
	}
}

static void
run(uint32_t w, const struct step *v, size_t n)
{
	run_from(w, 0, v, n);
}

#define T(s, w)                                                                                    \
	{                                                                                          \
		(s), (w)                                                                           \
	}
#define OK     RMC_OK
#define REPLAY RMC_EREPLAY
#define OLD    RMC_ETOOOLD

Test(replay, vectors_w64)
{
	static const struct step v[] = {
	    /*  1 */ T(0, OLD), /* sequence number 0 is never sent */
	    /*  2 */ T(1, OK),
	    /*  3 */ T(1, REPLAY),
	    /*  4 */ T(2, OK),
	    /*  5 */ T(64, OK),
	    /*  6 */ T(1, REPLAY), /* 64 - 1 = 63: still inside */
	    /*  7 */ T(63, OK),
	    /*  8 */ T(65, OK),
	    /*  9 */ T(1, OLD),	   /* 65 - 1 = 64 = W: just left of the window */
	    /* 10 */ T(2, REPLAY), /* 65 - 2 = 63: the oldest slot, seen */
	    /* 11 */ T(3, OK),	   /* the oldest unseen slots are accepted */
	    /* 12 */ T(3, REPLAY),
	    /* 13 */ T(127, OK), /* word boundary: 127 and 128 */
	    /* 14 */ T(128, OK),
	    /* 15 */ T(64, OLD),
	    /* 16 */ T(66, OK),	    /* 128 - 66 = 62 */
	    /* 17 */ T(65, REPLAY), /* 128 - 65 = 63, seen at 8 */
	    /* 18 */ T(1000, OK),   /* a jump of many words */
	    /* 19 */ T(937, OK),
	    /* 20 */ T(936, OLD),
	    /* 21 */ T(999, OK),
	    /* 22 */ T(1000, REPLAY),
	    /* 23 */ T(1000 + 64 * 20, OK), /* a jump beyond the whole ring */
	    /* 24 */ T(999, OLD),
	    /* 25 */ T(1000 + 64 * 20 - 63, OK),
	    /* 26 */ T(1000 + 64 * 20 - 64, OLD),
	    /* 27 */ T(1000 + 64 * 20 - 1, OK),
	    /* 28 */ T(1000 + 64 * 20 - 1, REPLAY),
	    /* 29 */ T(UINT32_MAX, OK),
	    /* 30 */ T(UINT32_MAX, REPLAY),
	    /* 31 */ T(UINT32_MAX - 63, OK),
	    /* 32 */ T(UINT32_MAX - 64, OLD),
	    /* 33 */ T((1ULL << 32) + 5, OK), /* ESN: past 2^32 */
	    /* 34 */ T(UINT32_MAX, REPLAY),
	    /* 35 */ T(UINT32_MAX - 58, OLD), /* (2^32 + 5) - (2^32 - 59) = 64 */
	};
	run(64, v, sizeof(v) / sizeof(v[0]));
}

Test(replay, vectors_w1024)
{
	static const struct step v[] = {
	    /*  1 */ T(2000, OK),
	    /*  2 */ T(977, OK), /* 2000 - 977 = 1023 */
	    /*  3 */ T(976, OLD),
	    /*  4 */ T(977, REPLAY),
	    /*  5 */ T(1500, OK),
	    /*  6 */ T(3023, OK), /* 3023 - 2000 = 1023: 2000 is the oldest */
	    /*  7 */ T(2000, REPLAY),
	    /*  8 */ T(1999, OLD),
	    /*  9 */ T(2001, OK),
	    /* 10 */ T(3024, OK),
	    /* 11 */ T(2000, OLD),
	    /* 12 */ T(2001, REPLAY),
	};
	run(1024, v, sizeof(v) / sizeof(v[0]));
}

Test(replay, vectors_w100_not_a_multiple_of_64)
{
	static const struct step v[] = {
	    /*  1 */ T(200, OK),
	    /*  2 */ T(101, OK), /* 200 - 101 = 99 */
	    /*  3 */ T(100, OLD),
	    /*  4 */ T(101, REPLAY),
	    /*  5 */ T(300, OK),
	    /*  6 */ T(200, OLD),
	    /*  7 */ T(201, OK),
	};
	run(100, v, sizeof(v) / sizeof(v[0]));
}

/* A window restored from a floor: everything up to it refused, everything above accepted. */
Test(replay, vectors_floor_100_w64)
{
	static const struct step v[] = {
	    /*  1 */ T(100, REPLAY), /* the floor itself */
	    /*  2 */ T(37, REPLAY),  /* 100 - 37 = 63: inside, seen */
	    /*  3 */ T(36, OLD),     /* 100 - 36 = 64 = W */
	    /*  4 */ T(1, OLD),
	    /*  5 */ T(0, OLD),
	    /*  6 */ T(102, OK), /* above the floor, in the floor's word */
	    /*  7 */ T(101, OK), /* its bit was not set by the floor */
	    /*  8 */ T(101, REPLAY),
	    /*  9 */ T(99, REPLAY), /* still seen after the window moved */
	    /* 10 */ T(200, OK),    /* into later words */
	    /* 11 */ T(137, OK),    /* 200 - 137 = 63: above the floor, never seen */
	    /* 12 */ T(137, REPLAY),
	    /* 13 */ T(136, OLD),
	};
	run_from(64, 100, v, sizeof(v) / sizeof(v[0]));
}

/* The floor at the last and the first bit of a word. */
Test(replay, vectors_floor_at_word_edges)
{
	static const struct step last[] = {
	    /*  1 */ T(127, REPLAY),
	    /*  2 */ T(64, REPLAY), /* 127 - 64 = 63 */
	    /*  3 */ T(129, OK),
	    /*  4 */ T(128, OK), /* the next word starts unseen */
	};
	static const struct step first[] = {
	    /*  1 */ T(128, REPLAY),
	    /*  2 */ T(127, REPLAY),
	    /*  3 */ T(130, OK),
	    /*  4 */ T(129, OK), /* bit 1 of the floor's word was not set */
	    /*  5 */ T(129, REPLAY),
	};
	run_from(64, 127, last, sizeof(last) / sizeof(last[0]));
	run_from(64, 128, first, sizeof(first) / sizeof(first[0]));
}

/* A floor past 2^32 (ESN): the inference uses it as the window's top. */
Test(replay, floor_with_esn)
{
	struct replay r;
	uint64_t seq;
	uint64_t floor = (1ULL << 32) + 10;
	cr_assert_eq(replay_init_floor(&r, 64, floor), RMC_OK);
	cr_assert_eq(replay_infer(&r, 10, &seq), RMC_OK);
	cr_assert_eq(seq, floor);
	cr_assert_eq(replay_check(&r, seq), RMC_EREPLAY);
	cr_assert_eq(replay_infer(&r, 11, &seq), RMC_OK);
	cr_assert_eq(seq, floor + 1);
	cr_assert_eq(replay_check(&r, seq), RMC_OK);
	cr_assert_eq(replay_init_floor(&r, 31, 5), RMC_EINVAL, "window size still checked");
}

Test(replay, init_limits)
{
	struct replay r;

	cr_assert_eq(replay_init(&r, 0), RMC_OK);
	cr_assert_eq(r.size, 64);
	cr_assert_eq(replay_init(&r, 31), RMC_EINVAL);
	cr_assert_eq(replay_init(&r, 32), RMC_OK);
	cr_assert_eq(replay_init(&r, 1024), RMC_OK);
	cr_assert_eq(replay_init(&r, 1025), RMC_EINVAL);
}

struct esn_vec {
	uint64_t top;
	uint32_t seql;
	int want_rc;
	uint64_t want;
};

/* RFC 4303 Appendix A2.2, W = 64. */
Test(replay, esn_inference)
{
	static const struct esn_vec v[] = {
	    /*  1 */ {0, 5, OK, 5},	       /* nothing received yet */
	    /*  2 */ {0, 0xFFFFFFF0u, OLD, 0}, /* case B, would be before 1 */
	    /*  3 */ {0x100000010ULL, 0xFFFFFFF0u, OK, 0xFFFFFFF0ULL}, /* case B, lower half */
	    /*  4 */ {0x100000010ULL, 5, OK, 0x100000005ULL},	       /* case B, same subspace */
	    /*  5 */ {0x100000010ULL, 0x20, OK, 0x100000020ULL},
	    /*  6 */ {0xFFFFFFF0ULL, 0xFFFFFFE0u, OK, 0xFFFFFFE0ULL},  /* case A, in window */
	    /*  7 */ {0xFFFFFFF0ULL, 3, OK, 0x100000003ULL},	       /* case A, wrapped ahead */
	    /*  8 */ {0x80000000ULL, 0x7FFFFFC1u, OK, 0x7FFFFFC1ULL},  /* case A, bottom edge */
	    /*  9 */ {0x80000000ULL, 0x7FFFFFC0u, OK, 0x17FFFFFC0ULL}, /* below: next subspace */
	    /* 10 */ {0xFFFFFFFF00000100ULL, 0x10, OLD, 0},	       /* would pass 2^64 */
	    /* 11 */ {63, 0xFFFFFFFFu, OK, 0xFFFFFFFFULL}, /* Tl = W - 1: case A, ahead */
	    /* 12 */ {62, 0xFFFFFFFFu, OLD, 0},		   /* Tl = W - 2: case B, before 1 */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct replay r;
		uint64_t seq = 0;
		replay_init(&r, 64);
		r.top = v[i].top;
		int rc = replay_infer(&r, v[i].seql, &seq);
		cr_assert_eq(rc, v[i].want_rc, "vector %zu rc %d", i + 1, rc);
		if (rc == RMC_OK)
			cr_assert_eq(seq, v[i].want, "vector %zu: %llx", i + 1,
				     (unsigned long long)seq);
	}
}

/*
 * Naive model: the set of accepted numbers, checked against the window
 * rules; each window size starts empty and from floors.
 */
Test(replay, matches_naive_model)
{
	static const uint32_t sizes[] = {32, 64, 100, 128, 1000, 1024};
	static const uint64_t floors[] = {0, 1, 63, 64, 1000, 2047};
	enum { N = 20000, SPAN = 6000 };
	static uint8_t seen[SPAN + 1];
	const size_t nf = sizeof(floors) / sizeof(floors[0]);

	srand(4303);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]) * nf; k++) {
		uint32_t w = sizes[k / nf];
		struct replay r;
		uint64_t top = floors[k % nf];
		replay_init_floor(&r, w, top);
		memset(seen, 0, sizeof(seen));
		memset(seen, 1, top + 1);
		for (int i = 0; i < N; i++) {
			uint64_t s = (uint64_t)(rand() % 3 ? top + (rand() % 40) - 30 + 1
							   : (uint64_t)(rand() % SPAN) + 1);
			int want;
			if (s == 0 || s > SPAN)
				continue;
			if (s > top)
				want = RMC_OK;
			else if (top - s >= w)
				want = RMC_ETOOOLD;
			else
				want = seen[s] ? RMC_EREPLAY : RMC_OK;
			cr_assert_eq(replay_check(&r, s), want, "W %u floor %llu step %d seq %llu",
				     w, (unsigned long long)floors[k % nf], i,
				     (unsigned long long)s);
			if (want == RMC_OK) {
				replay_update(&r, s);
				seen[s] = 1;
				if (s > top)
					top = s;
			}
		}
	}
}
