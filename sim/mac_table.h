/*
 * The learning switch's address table, one for every backend that switches
 * frames (the virtual LAN, the TAP forwarder): which port a unicast MAC
 * address was last seen on. Open addressing with linear probing, kept at
 * most half full by doubling, so a lookup stays O(1) whatever the number of
 * ports; growth allocates only when an address is learnt for the first
 * time, never per frame once the addresses are known.
 */
#ifndef RMCPSEC_SIM_MAC_TABLE_H
#define RMCPSEC_SIM_MAC_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct mac_entry {
	uint8_t mac[6];
	uint8_t used;
	uint32_t port;
};

struct mac_table {
	struct mac_entry *v;
	size_t cap; /* a power of two */
	size_t n;
};

/* Room for about `expect` addresses before the first growth. 0 or RMC_ENOMEM. */
int mac_table_init(struct mac_table *t, size_t expect);
void mac_table_fini(struct mac_table *t);
/*
 * The source address of a frame was seen on `port` (group addresses are
 * never learnt). 0, or RMC_ENOMEM when the table could not grow: the
 * address then stays unknown and its frames are flooded.
 */
int mac_table_learn(struct mac_table *t, const uint8_t mac[6], uint32_t port);
/* The port `mac` was last seen on, or -1 when unknown. */
long mac_table_lookup(const struct mac_table *t, const uint8_t mac[6]);

#endif
