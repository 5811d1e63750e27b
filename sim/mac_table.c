#include "sim/mac_table.h"

#include <stdlib.h>
#include <string.h>

#include "proto/err.h"

enum { MAC_TABLE_MIN = 64 };

static size_t
mac_hash(const uint8_t *mac)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	return h;
}

static struct mac_entry *
slot_for(struct mac_entry *v, size_t cap, const uint8_t *mac)
{
	size_t h = mac_hash(mac);
	for (size_t i = 0;; i++) {
		struct mac_entry *e = &v[(h + i) & (cap - 1)];
		if (!e->used || memcmp(e->mac, mac, 6) == 0)
			return e; /* never full: the table stays at most half used */
	}
}

int
mac_table_init(struct mac_table *t, size_t expect)
{
	size_t cap = MAC_TABLE_MIN;
	while (cap < 2 * expect)
		cap *= 2;
	t->v = calloc(cap, sizeof(*t->v));
	t->cap = t->v ? cap : 0;
	t->n = 0;
	return t->v ? RMC_OK : RMC_ENOMEM;
}

void
mac_table_fini(struct mac_table *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static int
grow(struct mac_table *t)
{
	size_t cap = t->cap * 2;
	struct mac_entry *v = calloc(cap, sizeof(*v));
	if (!v)
		return RMC_ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->v[i].used)
			*slot_for(v, cap, t->v[i].mac) = t->v[i];
	free(t->v);
	t->v = v;
	t->cap = cap;
	return RMC_OK;
}

int
mac_table_learn(struct mac_table *t, const uint8_t mac[6], uint32_t port)
{
	if (mac[0] & 1)
		return RMC_OK; /* never learn a group address */
	if (!t->v)
		return RMC_ENOMEM;
	struct mac_entry *e = slot_for(t->v, t->cap, mac);
	if (!e->used) {
		if (2 * (t->n + 1) > t->cap) {
			if (grow(t) != RMC_OK)
				return RMC_ENOMEM;
			e = slot_for(t->v, t->cap, mac);
		}
		memcpy(e->mac, mac, 6);
		e->used = 1;
		t->n++;
	}
	e->port = port;
	return RMC_OK;
}

long
mac_table_lookup(const struct mac_table *t, const uint8_t mac[6])
{
	if (!t->v)
		return -1;
	const struct mac_entry *e = slot_for(t->v, t->cap, mac);
	return e->used ? (long)e->port : -1;
}
