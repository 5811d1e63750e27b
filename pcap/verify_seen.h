/*
 * A growing open-addressing hash map from a 128-bit key to a 64-bit value:
 * the verifier's memory of frame digests, (SA, sequence) pairs, GCM
 * nonces and commit transactions. Its size follows the trace, not a fixed
 * limit, so a long run cannot overflow it into missed findings.
 */
#ifndef RMCPSEC_PCAP_VERIFY_SEEN_H
#define RMCPSEC_PCAP_VERIFY_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct seen_slot {
	uint64_t k0, k1;
	uint64_t val;
	bool used;
};

struct seen {
	struct seen_slot *slot;
	size_t cap, n; /* cap is 0 or a power of two */
};

/*
 * The value slot for (k0, k1): *fresh tells whether it was just inserted
 * (value 0). NULL only when memory ran out.
 */
uint64_t *seen_get(struct seen *s, uint64_t k0, uint64_t k1, bool *fresh);
void seen_free(struct seen *s);

#endif
