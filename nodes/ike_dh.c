/*
 * The endpoint's X25519 (RFC 8031) and how it can be made wrong: the
 * adversary's lies put a small-order value or another group number in our KE
 * payloads; the ike-zero-dh mutant leaves out the all-zero check.
 */
#include "nodes/ike_dh.h"

#include <string.h>

#include "proto/err.h"

int
ike_dh_keypair(struct ike *e, void **key, uint8_t pub[IKEV2_X25519_LEN])
{
	uint8_t priv[IKEV2_X25519_LEN];
	ikev2_x25519_free(*key);
	e->cfg.rand_bytes(e->cfg.rand_ctx, priv, sizeof(priv));
	int rc = ikev2_x25519_new(priv, key, pub);
	explicit_bzero(priv, sizeof(priv));
	/* lie: the row of RFC 7748 §7's table the adversary chose, in place of ours */
	if (!rc && e->cfg.lie.ke_value == IKE_KE_ZERO)
		memcpy(pub, ikev2_x25519_small_order_u[0], IKEV2_X25519_LEN);
	else if (!rc && e->cfg.lie.ke_value == IKE_KE_LOW_ORDER)
		memcpy(pub, ikev2_x25519_small_order_u[2], IKEV2_X25519_LEN);
	return rc;
}

int
ike_dh_shared(const struct ike *e, void *key, const uint8_t *peer, size_t len,
	      uint8_t gir[IKEV2_X25519_LEN])
{
	if (e->cfg.lie.ke_value != IKE_KE_HONEST) {
		/* lie: X25519 of a small-order value is all-zero whatever the scalar, so a
		 * peer without the check keys with zeros; the liar does the same */
		memset(gir, 0, IKEV2_X25519_LEN);
		return len == IKEV2_X25519_LEN ? RMC_OK : RMC_EINVAL;
	}
	/* RFC 7748 §6.1: "Both MAY check, without leaking extra information about the value
	 * of K, whether K is the all-zero value and abort if so"; RFC 8031 makes it a MUST
	 * for IKEv2, and ikev2_x25519_derive_key does it. */
	int rc = ikev2_x25519_derive_key(key, peer, len, gir);
	if (rc && e->cfg.bug.accept_zero_dh && ikev2_x25519_is_small_order(peer, len)) {
		/* mutant ike-zero-dh: an X25519 without the check returns the all-zero value */
		memset(gir, 0, IKEV2_X25519_LEN);
		rc = RMC_OK;
	}
	return rc;
}

uint16_t
ike_dh_offer_group(const struct ike *e)
{
	return e->cfg.lie.offer_dh_group ? e->cfg.lie.offer_dh_group : e->cfg.dh_group;
}

void
ike_dh_put_ke(const struct ike *e, struct ikev2_wr *b, const uint8_t pub[IKEV2_X25519_LEN])
{
	uint16_t group = e->cfg.lie.ke_group ? e->cfg.lie.ke_group : ike_dh_offer_group(e);
	ikev2_put_ke(b, group, pub, IKEV2_X25519_LEN);
}
