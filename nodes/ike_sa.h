/*
 * Between IKE and the management SA: which IKE CHILD_SA suite carries a
 * management suite, and the SA as the NIC stores it (struct nvram_sa) from
 * a CHILD_SA as either end negotiated it.
 */
#ifndef RMCPSEC_NODES_IKE_SA_H
#define RMCPSEC_NODES_IKE_SA_H

#include <stdbool.h>
#include <stdint.h>

#include "nodes/ike.h"
#include "nodes/nvram.h"

/* IKE_SUITE_NONE for a management suite IKE cannot negotiate in one CHILD_SA (AH+ESP). */
enum ike_suite ike_suite_for_mgmt(uint8_t mgmt_suite);

/*
 * The NIC's view of a CHILD_SA. local_is_nic: the CHILD_SA is the client
 * host's (its inbound is the NIC's inbound); false: the server's (mirror).
 * peer_ip: the server's address, stored with the SA. RMC_EINVAL for a
 * suite or key length the NVRAM cannot hold.
 */
int ike_child_to_nvram(const struct ike_child_sa *ch, bool local_is_nic, uint32_t server_ip,
		       uint32_t txid, struct nvram_sa *out);

/* The draw function ike_cfg.rand_bytes wants, over a splitmix64 state (uint64_t *). */
void ike_seeded_rand(void *state, uint8_t *buf, size_t n);

#endif
