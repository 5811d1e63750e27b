/*
 * The endpoint's policy: its suites, the proposals it writes, which proposals
 * of the peer it accepts, and the selectors of its one flow. A proposal
 * outside it gets NO_PROPOSAL_CHOSEN (RFC 7296 §3.10.1) from nodes/ike.c.
 */
#include "nodes/ike_policy.h"

#include <string.h>

#include "nodes/ike_dh.h"
#include "proto/err.h"

static const struct suite_def suite_defs[] = {
    {IKE_SUITE_ESP_GCM128, IKEV2_PROTO_ESP, IKEV2_ENCR_AES_GCM_16, 128, 0, 20, 0,
     "esp-aes128gcm16"},
    {IKE_SUITE_ESP_GCM256, IKEV2_PROTO_ESP, IKEV2_ENCR_AES_GCM_16, 256, 0, 36, 0,
     "esp-aes256gcm16"},
    {IKE_SUITE_ESP_CBC_SHA256, IKEV2_PROTO_ESP, IKEV2_ENCR_AES_CBC, 128,
     IKEV2_AUTH_HMAC_SHA2_256_128, 16, 32, "esp-aes128-sha256"},
    {IKE_SUITE_AH_SHA256, IKEV2_PROTO_AH, 0, 0, IKEV2_AUTH_HMAC_SHA2_256_128, 0, 32, "ah-sha256"},
};

const struct suite_def *
ike_suite_def(enum ike_suite s)
{
	for (size_t i = 0; i < sizeof(suite_defs) / sizeof(suite_defs[0]); i++)
		if (suite_defs[i].suite == s)
			return &suite_defs[i];
	return NULL;
}

const char *
ike_suite_name(enum ike_suite s)
{
	const struct suite_def *d = ike_suite_def(s);
	return d ? d->name : "none";
}

/* ---- proposals ---- */

void
ike_prop_ike(const struct ike *e, uint64_t spi, struct prop_buf *pb)
{
	struct ikev2_xform *x = pb->xf[0];
	memset(pb, 0, sizeof(*pb));
	x[0] = (struct ikev2_xform){IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, e->cfg.ike_keylen, false};
	x[1] = (struct ikev2_xform){IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0, false};
	x[2] = (struct ikev2_xform){IKEV2_XF_DH, ike_dh_offer_group(e), 0, false};
	pb->p[0].proto = IKEV2_PROTO_IKE;
	if (spi) {
		pb->p[0].spi_size = 8;
		put_be32(pb->p[0].spi, (uint32_t)(spi >> 32));
		put_be32(pb->p[0].spi + 4, (uint32_t)spi);
	}
	pb->p[0].xf = x;
	pb->p[0].nxf = 3;
	pb->n = 1;
}

void
ike_prop_child(const struct ike *e, const struct suite_def *d, uint8_t num, uint32_t spi, bool dh,
	       struct ikev2_prop_out *p, struct ikev2_xform *x)
{
	size_t n = 0;
	if (d->encr)
		x[n++] = (struct ikev2_xform){IKEV2_XF_ENCR, d->encr, d->encr_bits, false};
	if (d->integ)
		x[n++] = (struct ikev2_xform){IKEV2_XF_INTEG, d->integ, 0, false};
	if (dh)
		x[n++] = (struct ikev2_xform){IKEV2_XF_DH, ike_dh_offer_group(e), 0, false};
	x[n++] = (struct ikev2_xform){IKEV2_XF_ESN, IKEV2_ESN_NO, 0, false};
	memset(p, 0, sizeof(*p));
	p->num = num;
	p->proto = d->proto;
	p->spi_size = 4;
	put_be32(p->spi, spi);
	p->xf = x;
	p->nxf = n;
}

void
ike_props_child(const struct ike *e, const enum ike_suite *s, size_t ns, uint32_t spi, bool dh,
		struct prop_buf *pb)
{
	memset(pb, 0, sizeof(*pb));
	for (size_t i = 0; i < ns; i++)
		ike_prop_child(e, ike_suite_def(s[i]), (uint8_t)(i + 1), spi, dh, &pb->p[i],
			       pb->xf[i]);
	pb->n = ns;
}

/* Is there a usable transform of `type` in p whose id is `id` (and key length `bits`)? */
static bool
has_xf(const struct ikev2_prop *p, uint8_t type, uint16_t id, uint16_t bits)
{
	for (size_t i = 0; i < p->nxf; i++)
		if (p->xf[i].type == type && p->xf[i].id == id && p->xf[i].keylen == bits &&
		    !p->xf[i].bad_attr)
			return true;
	return false;
}

static bool
has_type(const struct ikev2_prop *p, uint8_t type)
{
	for (size_t i = 0; i < p->nxf; i++)
		if (p->xf[i].type == type)
			return true;
	return false;
}

static bool
only_known_types(const struct ikev2_prop *p, uint8_t max_type)
{
	for (size_t i = 0; i < p->nxf; i++)
		if (p->xf[i].type == 0 || p->xf[i].type > max_type)
			return false;
	return true;
}

/* §3.3: may `p` be read as the transform set of suite d, with or without DH? */
bool
ike_prop_child_ok(const struct ike *e, const struct suite_def *d, const struct ikev2_prop *p,
		  bool want_dh)
{
	if (p->proto != d->proto || p->spi_size != 4 || !only_known_types(p, IKEV2_XF_ESN))
		return false;
	if (has_type(p, IKEV2_XF_PRF))
		return false;
	if (d->encr ? !has_xf(p, IKEV2_XF_ENCR, d->encr, d->encr_bits) : has_type(p, IKEV2_XF_ENCR))
		return false;
	if (d->integ ? !has_xf(p, IKEV2_XF_INTEG, d->integ, 0)
		     : has_type(p, IKEV2_XF_INTEG) && !has_xf(p, IKEV2_XF_INTEG, 0, 0))
		return false;
	if (want_dh ? !has_xf(p, IKEV2_XF_DH, e->cfg.dh_group, 0)
		    : has_type(p, IKEV2_XF_DH) && !has_xf(p, IKEV2_XF_DH, IKEV2_DH_NONE, 0))
		return false;
	if (has_type(p, IKEV2_XF_ESN) && !has_xf(p, IKEV2_XF_ESN, IKEV2_ESN_NO, 0))
		return false;
	return true;
}

/* Responder's choice: the first of the peer's proposals that is one of our suites. */
int
ike_child_choose(const struct ike *e, const struct ikev2_sa *sa, bool want_dh, size_t *pi,
		 enum ike_suite *suite)
{
	for (size_t i = 0; i < sa->n; i++)
		for (size_t k = 0; k < e->cfg.nsuites; k++)
			if (ike_prop_child_ok(e, ike_suite_def(e->cfg.suites[k]), &sa->prop[i],
					      want_dh)) {
				*pi = i;
				*suite = e->cfg.suites[k];
				return RMC_OK;
			}
	return RMC_ENOENT;
}

bool
ike_prop_ike_ok(const struct ike *e, const struct ikev2_prop *p, uint8_t spi_size)
{
	if (p->proto != IKEV2_PROTO_IKE || p->spi_size != spi_size ||
	    !only_known_types(p, IKEV2_XF_DH) || has_type(p, IKEV2_XF_ESN))
		return false;
	if (!has_xf(p, IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, e->cfg.ike_keylen))
		return false;
	if (!has_xf(p, IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0))
		return false;
	if (has_type(p, IKEV2_XF_INTEG) && !has_xf(p, IKEV2_XF_INTEG, IKEV2_AUTH_NONE, 0))
		return false;
	return has_xf(p, IKEV2_XF_DH, e->cfg.dh_group, 0);
}

/* ---- selectors ---- */

static struct ikev2_ts_entry
ts_of(const struct ike *e, uint32_t addr)
{
	struct ikev2_ts_entry t = {e->cfg.ts_proto, e->cfg.ts_port, e->cfg.ts_port, addr, addr};
	if (e->cfg.ts_port == 0)
		t.eport = 0xffff;
	return t;
}

static bool
ts_covers(const struct ikev2_ts *ts, const struct ikev2_ts_entry *want)
{
	for (size_t i = 0; i < ts->n; i++) {
		const struct ikev2_ts_entry *t = &ts->ts[i];
		if ((t->ipproto == 0 || t->ipproto == want->ipproto) && t->sport <= want->sport &&
		    t->eport >= want->eport && t->saddr <= want->saddr && t->eaddr >= want->eaddr)
			return true;
	}
	return false;
}

static bool
ts_equal(const struct ikev2_ts *ts, const struct ikev2_ts_entry *want)
{
	const struct ikev2_ts_entry *t = &ts->ts[0];
	return ts->n == 1 && t->ipproto == want->ipproto && t->sport == want->sport &&
	       t->eport == want->eport && t->saddr == want->saddr && t->eaddr == want->eaddr;
}

/* Decodes the TSi and TSr payloads of a message; RMC_EINVAL when either is missing or bad. */
static int
ts_decode_pair(const struct ikev2_chain *c, struct ikev2_ts *tsi, struct ikev2_ts *tsr)
{
	const struct ikev2_pld *pi = ikev2_chain_find(c, IKEV2_PLD_TSI);
	const struct ikev2_pld *pr = ikev2_chain_find(c, IKEV2_PLD_TSR);

	if (!pi || !pr || ikev2_ts_decode(pi->body, pi->len, tsi) ||
	    ikev2_ts_decode(pr->body, pr->len, tsr))
		return RMC_EINVAL;
	return RMC_OK;
}

/* TSi/TSr of a request from the peer: do they include exactly our policy? */
int
ike_ts_check_request(const struct ike *e, const struct ikev2_chain *c)
{
	struct ikev2_ts tsi, tsr;
	struct ikev2_ts_entry peer = ts_of(e, e->cfg.peer_addr),
			      local = ts_of(e, e->cfg.local_addr);

	if (ts_decode_pair(c, &tsi, &tsr))
		return RMC_EINVAL;
	return ts_covers(&tsi, &peer) && ts_covers(&tsr, &local) ? RMC_OK : RMC_ENOENT;
}

/* TSi/TSr of a response: exactly the selectors we proposed, narrowed to nothing else. */
int
ike_ts_check_response(const struct ike *e, const struct ikev2_chain *c)
{
	struct ikev2_ts tsi, tsr;
	struct ikev2_ts_entry peer = ts_of(e, e->cfg.peer_addr),
			      local = ts_of(e, e->cfg.local_addr);

	if (ts_decode_pair(c, &tsi, &tsr))
		return RMC_EINVAL;
	return ts_equal(&tsi, &local) && ts_equal(&tsr, &peer) ? RMC_OK : RMC_ENOENT;
}

/* Writes TSi and TSr; `we_init` says whose selector is TSi. */
void
ike_put_ts_pair(const struct ike *e, struct ikev2_wr *b, bool we_init)
{
	struct ikev2_ts_entry l = ts_of(e, e->cfg.local_addr), p = ts_of(e, e->cfg.peer_addr);
	ikev2_put_ts(b, IKEV2_PLD_TSI, we_init ? &l : &p, 1);
	ikev2_put_ts(b, IKEV2_PLD_TSR, we_init ? &p : &l, 1);
}
