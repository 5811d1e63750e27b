/*
 * xoshiro256** 1.0 (Blackman & Vigna, 2018), seeded through splitmix64 as
 * its authors recommend. Small, fast, well known and fully determined by
 * one 64-bit seed, which every result prints.
 */
#ifndef RMCPSEC_SIM_RNG_H
#define RMCPSEC_SIM_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n) without modulo bias (Lemire's multiply-shift with rejection). */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform in [0, 1) with 53 bits. */
double rng_unit(struct rng *r);

/*
 * A seed as a user writes it (a scenario's `seed:`, `--seed`): C's integer
 * syntax (decimal, `0x` hex, a leading `0` octal), 0 to INT64_MAX, the
 * largest integer results.json can carry (jansson's integers are signed
 * 64-bit). 0, or -1 for anything else.
 */
int rng_seed_parse(const char *s, uint64_t *seed);

#endif
