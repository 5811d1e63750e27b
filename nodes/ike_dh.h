/*
 * Internal to nodes/ike*.c: the endpoint's Diffie-Hellman (X25519, RFC 8031)
 * — key pairs from the configured randomness, the shared secret with its
 * all-zero check, the group our proposals carry and the KE payload — and the
 * one place where the adversary's KE lies (cfg.lie) and the ike-zero-dh mutant
 * (cfg.bug.accept_zero_dh) touch it.
 */
#ifndef RMCPSEC_NODES_IKE_DH_H
#define RMCPSEC_NODES_IKE_DH_H

#include "nodes/ike.h"

/* Replaces *key with a fresh key pair; pub is what our KE payload carries. */
int ike_dh_keypair(struct ike *e, void **key, uint8_t pub[IKEV2_X25519_LEN]);
/* g^ir from our key and the peer's KE data; an all-zero result is refused (RMC_ECRYPTO). */
int ike_dh_shared(const struct ike *e, void *key, const uint8_t *peer, size_t len,
		  uint8_t gir[IKEV2_X25519_LEN]);
/* The DH transform our proposals and answers carry. */
uint16_t ike_dh_offer_group(const struct ike *e);
/* A KE payload with pub. */
void ike_dh_put_ke(const struct ike *e, struct ikev2_wr *b, const uint8_t pub[IKEV2_X25519_LEN]);

#endif
