#include "pcap/verify_seen.h"

#include <stdlib.h>
#include <string.h>

/* splitmix64's finaliser: cheap and spreads counters and digests alike. */
static uint64_t
mix(uint64_t k0, uint64_t k1)
{
	uint64_t z = k0 ^ (k1 * 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static struct seen_slot *
probe(struct seen_slot *slot, size_t cap, uint64_t k0, uint64_t k1)
{
	size_t i = (size_t)mix(k0, k1) & (cap - 1);

	while (slot[i].used && (slot[i].k0 != k0 || slot[i].k1 != k1))
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

/* Keeps the load at or below one half so probes stay short. */
static int
grow(struct seen *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	struct seen_slot *slot;

	if (2 * (s->n + 1) <= s->cap)
		return 0;
	if (!(slot = calloc(cap, sizeof(*slot))))
		return -1;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i].used)
			*probe(slot, cap, s->slot[i].k0, s->slot[i].k1) = s->slot[i];
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	return 0;
}

uint64_t *
seen_get(struct seen *s, uint64_t k0, uint64_t k1, bool *fresh)
{
	struct seen_slot *e;

	if (grow(s))
		return NULL;
	e = probe(s->slot, s->cap, k0, k1);
	*fresh = !e->used;
	if (!e->used) {
		e->used = true;
		e->k0 = k0;
		e->k1 = k1;
		e->val = 0;
		s->n++;
	}
	return &e->val;
}

void
seen_free(struct seen *s)
{
	if (!s)
		return;
	free(s->slot);
	memset(s, 0, sizeof(*s));
}
