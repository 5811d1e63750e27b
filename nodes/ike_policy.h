/*
 * Internal to nodes/ike*.c: the endpoint's policy — the suites it knows, the
 * proposals it makes, which of the peer's proposals it accepts (RFC 7296 §3.3)
 * and the traffic selectors of its one transport-mode flow (§2.9).
 */
#ifndef RMCPSEC_NODES_IKE_POLICY_H
#define RMCPSEC_NODES_IKE_POLICY_H

#include "nodes/ike.h"

struct suite_def {
	enum ike_suite suite;
	uint8_t proto;
	uint16_t encr, encr_bits; /* encr 0: no ENCR transform (AH) */
	uint16_t integ;		  /* 0: no INTEG transform (AEAD) */
	size_t ekey, ikey;	  /* KEYMAT octets per direction */
	const char *name;
};

const struct suite_def *ike_suite_def(enum ike_suite s);

/* Proposals as written: at most one per suite, five transforms each. */
struct prop_buf {
	struct ikev2_prop_out p[IKE_MAX_SUITES];
	struct ikev2_xform xf[IKE_MAX_SUITES][5];
	size_t n;
};

/* Our IKE SA proposal (spi 0: IKE_SA_INIT, else a rekey's new SPI). */
void ike_prop_ike(const struct ike *e, uint64_t spi, struct prop_buf *pb);
/* One CHILD proposal for suite d, numbered num, with a DH transform when dh. */
void ike_prop_child(const struct ike *e, const struct suite_def *d, uint8_t num, uint32_t spi,
		    bool dh, struct ikev2_prop_out *p, struct ikev2_xform *x);
/* One CHILD proposal per suite of s[], numbered from 1. */
void ike_props_child(const struct ike *e, const enum ike_suite *s, size_t ns, uint32_t spi, bool dh,
		     struct prop_buf *pb);
/* May p be read as the transform set of suite d, with or without DH (§3.3)? */
bool ike_prop_child_ok(const struct ike *e, const struct suite_def *d, const struct ikev2_prop *p,
		       bool want_dh);
/* Responder: the first of the peer's CHILD proposals that is one of our suites. */
int ike_child_choose(const struct ike *e, const struct ikev2_sa *sa, bool want_dh, size_t *pi,
		     enum ike_suite *suite);
/* Is p our IKE SA suite and DH group, with SPIs of spi_size octets? */
bool ike_prop_ike_ok(const struct ike *e, const struct ikev2_prop *p, uint8_t spi_size);

/* TSi/TSr of a request: do they include exactly our policy? RMC_EINVAL: missing or bad. */
int ike_ts_check_request(const struct ike *e, const struct ikev2_chain *c);
/* TSi/TSr of a response: exactly the selectors we proposed. */
int ike_ts_check_response(const struct ike *e, const struct ikev2_chain *c);
/* Writes TSi and TSr; we_init says whose selector is TSi. */
void ike_put_ts_pair(const struct ike *e, struct ikev2_wr *b, bool we_init);

#endif
