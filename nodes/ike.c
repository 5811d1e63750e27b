/*
 * IKEv2 endpoint exchanges (RFC 7296 §1.2-1.4, §2.1, §2.8, §2.14-2.18).
 *
 * Timers: one per IKE SA, the retransmission of our outstanding request
 * (§2.1: same bytes, timeout doubling from cfg.retrans_base, given up after
 * cfg.retrans_tries). ike_out.timer_at is the earliest of them.
 */
#include "nodes/ike.h"

#include <openssl/crypto.h>
#include <string.h>

#include "nodes/ike_dh.h"
#include "nodes/ike_policy.h"
#include "proto/err.h"
#include "proto/ikev2_wireshark.h"

/* ---- output helpers ---- */

void
ike_out_reset(struct ike_out *o)
{
	o->nmsg = 0;
	o->nev = 0;
	o->dropped = 0;
	o->timer_at = IKE_TIMER_NONE;
}

static void
emit(struct ike *e, struct ike_out *o, const uint8_t *p, size_t n)
{
	if (o->nmsg == IKE_OUT_MSGS || n > IKEV2_MSG_MAX) {
		o->dropped++;
		return;
	}
	memcpy(o->msg[o->nmsg], p, n);
	o->len[o->nmsg++] = n;
	e->stats.tx++;
}

static struct ike_event *
event(struct ike_out *o, enum ike_ev_type t, uint8_t exch, uint16_t notify)
{
	if (o->nev == IKE_OUT_EVENTS) {
		o->dropped++;
		return &o->spill;
	}
	struct ike_event *ev = &o->ev[o->nev++];
	memset(ev, 0, sizeof(*ev));
	ev->type = t;
	ev->exch = exch;
	ev->notify = notify;
	return ev;
}

static void
finish(struct ike *e, struct ike_out *o)
{
	uint64_t t = IKE_TIMER_NONE;
	if (e->sa.req.kind != IKE_REQ_NONE && e->sa.req.deadline < t)
		t = e->sa.req.deadline;
	if (e->old.req.kind != IKE_REQ_NONE && e->old.req.deadline < t)
		t = e->old.req.deadline;
	o->timer_at = t;
}

/* ---- randomness ---- */

static void
rnd(struct ike *e, void *buf, size_t n)
{
	e->cfg.rand_bytes(e->cfg.rand_ctx, buf, n);
}

static uint32_t
rnd_spi32(struct ike *e)
{
	uint32_t v = 0;
	/* RFC 4303 §2.1: SPIs 1-255 are reserved, 0 is never sent. */
	while (v < 256)
		rnd(e, &v, sizeof(v));
	return v;
}

static uint64_t
rnd_spi64(struct ike *e)
{
	uint64_t v = 0;
	while (v == 0)
		rnd(e, &v, sizeof(v));
	return v;
}

/* ---- IKE SA lifecycle ---- */

static uint64_t
spi64(const uint8_t *p)
{
	return ((uint64_t)get_be32(p) << 32) | get_be32(p + 4);
}

static void
sa_wipe(struct ike_sa *sa)
{
	ikev2_x25519_free(sa->req.dh);
	ikev2_sk_key_free(&sa->enc);
	ikev2_sk_key_free(&sa->dec);
	explicit_bzero(sa, sizeof(*sa));
}

static int
sa_keys(struct ike *e, struct ike_sa *sa, const uint8_t *old_sk_d, const uint8_t *gir,
	const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	uint8_t seed[IKEV2_PRF_LEN];
	size_t elen = e->cfg.ike_keylen / 8 + IKEV2_GCM_SALT_LEN;
	int rc = ikev2_derive_ike_keys(old_sk_d, gir, IKEV2_X25519_LEN, ni, ni_len, nr, nr_len,
				       sa->spi_i, sa->spi_r, elen, 0, &sa->keys, seed);
	explicit_bzero(seed, sizeof(seed));
	if (rc)
		return rc;
	const uint8_t *ek = sa->initiator ? sa->keys.sk_ei : sa->keys.sk_er;
	const uint8_t *dk = sa->initiator ? sa->keys.sk_er : sa->keys.sk_ei;
	rc = ikev2_sk_key_init(&sa->enc, ek, elen, 1);
	if (!rc)
		rc = ikev2_sk_key_init(&sa->dec, dk, elen, 0);
	if (!rc)
		sa->live = true;
	return rc;
}

static void
children_clear(struct ike *e, struct ike_out *o)
{
	for (size_t i = 0; i < IKE_MAX_CHILDREN; i++) {
		if (!e->child[i].used)
			continue;
		struct ike_event *ev = event(o, IKE_EV_CHILD_DOWN, IKEV2_EXCH_INFORMATIONAL, 0);
		ev->child.suite = e->child[i].sa.suite;
		ev->child.proto = e->child[i].sa.proto;
		ev->child.spi_in = e->child[i].sa.spi_in;
		ev->child.spi_out = e->child[i].sa.spi_out;
		explicit_bzero(&e->child[i], sizeof(e->child[i]));
	}
}

static void
ike_die(struct ike *e, struct ike_out *o, uint16_t notify)
{
	children_clear(e, o);
	sa_wipe(&e->sa);
	sa_wipe(&e->old);
	ikev2_x25519_free(e->dh);
	e->dh = NULL;
	e->state = IKE_S_DEAD;
	event(o, IKE_EV_IKE_DOWN, 0, notify);
}

void
ike_id_ipv4(struct ike_id *id, uint32_t addr)
{
	memset(id, 0, sizeof(*id));
	id->type = IKEV2_ID_IPV4_ADDR;
	put_be32(id->data, addr);
	id->len = 4;
}

int
ike_init(struct ike *e, const struct ike_cfg *cfg)
{
	if (!cfg->rand_bytes || cfg->psk_len == 0 || cfg->psk_len > IKE_PSK_MAX ||
	    cfg->nsuites == 0 || cfg->nsuites > IKE_MAX_SUITES || cfg->local_id.len > IKE_ID_MAX ||
	    cfg->peer_id.len > IKE_ID_MAX)
		return RMC_EINVAL;
	if (cfg->ike_keylen != 128 && cfg->ike_keylen != 256)
		return RMC_EUNSUP;
	if (cfg->dh_group != IKEV2_DH_CURVE25519)
		return RMC_EUNSUP;
	for (size_t i = 0; i < cfg->nsuites; i++)
		if (!ike_suite_def(cfg->suites[i]))
			return RMC_EINVAL;
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	if (e->cfg.local_id.len == 0)
		ike_id_ipv4(&e->cfg.local_id, cfg->local_addr);
	if (e->cfg.retrans_tries == 0)
		e->cfg.retrans_tries = 5;
	if (e->cfg.retrans_base == 0)
		e->cfg.retrans_base = 1;
	e->state = IKE_S_IDLE;
	return RMC_OK;
}

void
ike_free(struct ike *e)
{
	if (!e)
		return;
	ikev2_x25519_free(e->dh);
	sa_wipe(&e->sa);
	sa_wipe(&e->old);
	explicit_bzero(e, sizeof(*e));
}

/* ---- CHILD_SAs ---- */

/* §2.17: I->R keys first, encryption before integrity in each direction. */
static int
child_derive(struct ike *e, struct ike_child_sa *c, const uint8_t *gir, const uint8_t *ni,
	     size_t ni_len, const uint8_t *nr, size_t nr_len, bool we_initiated)
{
	const struct suite_def *d = ike_suite_def(c->suite);
	size_t per = d->ekey + d->ikey;
	uint8_t km[2 * (IKE_CHILD_KEY_MAX + 32)];
	int rc = ikev2_keymat(e->sa.keys.sk_d, gir, gir ? IKEV2_X25519_LEN : 0, ni, ni_len, nr,
			      nr_len, km, 2 * per);
	if (rc)
		goto out;
	const uint8_t *i2r = km, *r2i = km + per;
	const uint8_t *out = we_initiated ? i2r : r2i, *in = we_initiated ? r2i : i2r;
	c->encr_len = d->ekey;
	c->integ_len = d->ikey;
	memcpy(c->encr_out, out, d->ekey);
	memcpy(c->integ_out, out + d->ekey, d->ikey);
	memcpy(c->encr_in, in, d->ekey);
	memcpy(c->integ_in, in + d->ekey, d->ikey);
out:
	explicit_bzero(km, sizeof(km));
	return rc;
}

static struct ike_child_slot *
child_by_in(struct ike *e, uint32_t spi_in)
{
	for (size_t i = 0; i < IKE_MAX_CHILDREN; i++)
		if (e->child[i].used && e->child[i].sa.spi_in == spi_in)
			return &e->child[i];
	return NULL;
}

static struct ike_child_slot *
child_by_out(struct ike *e, uint8_t proto, uint32_t spi_out)
{
	for (size_t i = 0; i < IKE_MAX_CHILDREN; i++)
		if (e->child[i].used && e->child[i].sa.spi_out == spi_out &&
		    e->child[i].sa.proto == proto)
			return &e->child[i];
	return NULL;
}

static struct ike_child_slot *
child_add(struct ike *e, const struct ike_child_sa *c)
{
	for (size_t i = 0; i < IKE_MAX_CHILDREN; i++)
		if (!e->child[i].used) {
			memset(&e->child[i], 0, sizeof(e->child[i]));
			e->child[i].used = true;
			e->child[i].sa = *c;
			return &e->child[i];
		}
	return NULL;
}

static void
child_remove(struct ike *e, struct ike_child_slot *s, struct ike_out *o)
{
	struct ike_event *ev = event(o, IKE_EV_CHILD_DOWN, IKEV2_EXCH_INFORMATIONAL, 0);
	ev->child.suite = s->sa.suite;
	ev->child.proto = s->sa.proto;
	ev->child.spi_in = s->sa.spi_in;
	ev->child.spi_out = s->sa.spi_out;
	explicit_bzero(s, sizeof(*s));
	(void)e;
}

static void
child_up_event(struct ike_out *o, uint8_t exch, const struct ike_child_sa *c, uint32_t rekeyed)
{
	struct ike_event *ev = event(o, IKE_EV_CHILD_UP, exch, 0);
	ev->child = *c;
	ev->rekeyed_spi_in = rekeyed;
}

size_t
ike_nchildren(const struct ike *e)
{
	size_t n = 0;
	for (size_t i = 0; i < IKE_MAX_CHILDREN; i++)
		n += e->child[i].used;
	return n;
}

int
ike_wireshark_line(const struct ike *e, char *out, size_t cap)
{
	if (!e->sa.live)
		return RMC_ESTATE;
	return ikev2_wireshark_line(e->sa.spi_i, e->sa.spi_r, &e->sa.keys, out, cap);
}

const struct ike_child_sa *
ike_find_child(const struct ike *e, uint32_t spi_in)
{
	for (size_t i = 0; i < IKE_MAX_CHILDREN; i++)
		if (e->child[i].used && e->child[i].sa.spi_in == spi_in)
			return &e->child[i].sa;
	return NULL;
}

/* ---- sending ---- */

static struct ikev2_hdr
hdr_for(const struct ike_sa *sa, uint8_t exch, bool response, uint32_t msgid)
{
	struct ikev2_hdr h = {sa->spi_i, sa->spi_r, 0, IKEV2_VERSION, exch, 0, msgid, 0};
	h.flags =
	    (uint8_t)((sa->initiator ? IKEV2_F_INITIATOR : 0) | (response ? IKEV2_F_RESPONSE : 0));
	return h;
}

struct inner {
	uint8_t buf[IKEV2_MSG_MAX - IKEV2_HDR_LEN - 64];
	uint8_t np;
	struct ikev2_wr b;
};

static void
inner_init(struct inner *in)
{
	ikev2_wr_init(&in->b, in->buf, sizeof(in->buf), &in->np);
}

static int
send_req(struct ike *e, struct ike_sa *sa, enum ike_req_kind kind, uint8_t exch, struct inner *in,
	 uint64_t now, struct ike_out *o)
{
	struct ike_req *r = &sa->req;
	uint32_t msgid = sa->next_req_id + e->cfg.lie.msgid_offset; /* lie: out of the window */
	struct ikev2_hdr h = hdr_for(sa, exch, false, msgid);
	int rc;

	if (in->b.err)
		return in->b.err;
	rc = ikev2_sk_seal(&sa->enc, sa->iv++, &h, in->np, in->buf, in->b.w.off, r->bytes,
			   sizeof(r->bytes), &r->len);
	if (rc)
		return rc;
	r->kind = kind;
	r->msgid = msgid;
	sa->next_req_id++;
	r->tries = 0;
	r->deadline = now + e->cfg.retrans_base;
	emit(e, o, r->bytes, r->len);
	return RMC_OK;
}

static int
send_resp(struct ike *e, struct ike_sa *sa, uint8_t exch, uint32_t msgid, struct inner *in,
	  struct ike_out *o)
{
	struct ikev2_hdr h = hdr_for(sa, exch, true, msgid);
	int rc;

	if (in->b.err)
		return in->b.err;
	rc = ikev2_sk_seal(&sa->enc, sa->iv++, &h, in->np, in->buf, in->b.w.off, sa->resp,
			   sizeof(sa->resp), &sa->resp_len);
	if (rc)
		return rc;
	sa->have_resp = true;
	sa->resp_id = msgid;
	sa->peer_next_id = msgid + 1;
	emit(e, o, sa->resp, sa->resp_len);
	return RMC_OK;
}

static int
send_resp_notify(struct ike *e, struct ike_sa *sa, uint8_t exch, uint32_t msgid, uint16_t type,
		 const uint8_t *data, size_t dlen, struct ike_out *o)
{
	struct inner in;
	inner_init(&in);
	ikev2_put_notify(&in.b, 0, NULL, 0, type, data, dlen);
	return send_resp(e, sa, exch, msgid, &in, o);
}

/* An unprotected IKE_SA_INIT error response (§1.2, §2.6): responder SPI zero. */
static void
send_init_notify(struct ike *e, const struct ikev2_hdr *req, uint16_t type, const uint8_t *data,
		 size_t dlen, struct ike_out *o)
{
	uint8_t m[256];
	struct ikev2_wr b;
	struct ikev2_hdr h = {req->spi_i,	0, 0, IKEV2_VERSION, IKEV2_EXCH_IKE_SA_INIT,
			      IKEV2_F_RESPONSE, 0, 0};

	ikev2_wr_init(&b, m + IKEV2_HDR_LEN, sizeof(m) - IKEV2_HDR_LEN, &h.next);
	ikev2_put_notify(&b, 0, NULL, 0, type, data, dlen);
	if (b.err)
		return;
	h.len = (uint32_t)(IKEV2_HDR_LEN + b.w.off);
	ikev2_hdr_encode(&h, m);
	emit(e, o, m, h.len);
}

/* ---- IKE_SA_INIT ---- */

int
ike_start(struct ike *e, uint64_t now, struct ike_out *o)
{
	uint8_t pub[IKEV2_X25519_LEN];
	struct prop_buf pb;
	struct ikev2_hdr h;
	struct ikev2_wr b;
	int rc;

	if (e->state != IKE_S_IDLE && e->state != IKE_S_DEAD)
		return RMC_ESTATE;
	sa_wipe(&e->sa);
	sa_wipe(&e->old);
	e->sa.initiator = true;
	e->sa.spi_i = rnd_spi64(e);
	e->ni_len = IKE_NONCE_LEN;
	rnd(e, e->ni, e->ni_len);
	rc = ike_dh_keypair(e, &e->dh, pub);
	if (rc)
		return rc;
	h = hdr_for(&e->sa, IKEV2_EXCH_IKE_SA_INIT, false, 0);
	ikev2_wr_init(&b, e->msg1 + IKEV2_HDR_LEN, sizeof(e->msg1) - IKEV2_HDR_LEN, &h.next);
	ike_prop_ike(e, 0, &pb);
	ikev2_put_sa(&b, pb.p, pb.n);
	ike_dh_put_ke(e, &b, pub);
	ikev2_put_nonce(&b, e->ni, e->ni_len);
	if (b.err)
		return b.err;
	h.len = (uint32_t)(IKEV2_HDR_LEN + b.w.off);
	ikev2_hdr_encode(&h, e->msg1);
	e->msg1_len = h.len;
	struct ike_req *r = &e->sa.req;
	memcpy(r->bytes, e->msg1, e->msg1_len);
	r->len = e->msg1_len;
	r->kind = IKE_REQ_INIT;
	r->msgid = 0;
	r->tries = 0;
	r->deadline = now + e->cfg.retrans_base;
	e->sa.next_req_id = 1;
	e->state = IKE_S_INIT_SENT;
	emit(e, o, e->msg1, e->msg1_len);
	finish(e, o);
	return RMC_OK;
}

static void
r_sa_init(struct ike *e, const uint8_t *p, size_t len, const struct ikev2_hdr *h, struct ike_out *o)
{
	struct ikev2_chain c;
	struct ikev2_sa sa;
	struct ikev2_ke ke;
	uint8_t pub[IKEV2_X25519_LEN], gir[IKEV2_X25519_LEN];
	const struct ikev2_pld *psa, *pke, *pn;
	int rc;

	if (h->spi_r != 0 || h->msgid != 0 || !(h->flags & IKEV2_F_INITIATOR)) {
		e->stats.rx_unexpected++;
		return;
	}
	if (e->state == IKE_S_INIT_DONE && h->spi_i == e->sa.spi_i) {
		/* §2.1: a retransmitted IKE_SA_INIT gets the same answer; others are stale. */
		if (len == e->msg1_len && !memcmp(p, e->msg1, len)) {
			emit(e, o, e->msg2, e->msg2_len);
			e->stats.resp_resent++;
		} else {
			e->stats.rx_unexpected++;
		}
		return;
	}
	if (e->state != IKE_S_IDLE && e->state != IKE_S_DEAD) {
		/* One IKE SA per endpoint: a replayed or concurrent IKE_SA_INIT is dropped. */
		e->stats.rx_unexpected++;
		return;
	}
	rc = ikev2_chain_decode(h->next, p + IKEV2_HDR_LEN, len - IKEV2_HDR_LEN, &c);
	if (rc == RMC_EUNSUP) {
		e->stats.rx_malformed++;
		send_init_notify(e, h, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, &c.bad_critical, 1, o);
		return;
	}
	psa = ikev2_chain_find(&c, IKEV2_PLD_SA);
	pke = ikev2_chain_find(&c, IKEV2_PLD_KE);
	pn = ikev2_chain_find(&c, IKEV2_PLD_NONCE);
	if (rc || !psa || !pke || !pn || ikev2_sa_decode(psa->body, psa->len, &sa) ||
	    ikev2_ke_decode(pke->body, pke->len, &ke) || ikev2_nonce_check(pn->len)) {
		e->stats.rx_malformed++;
		send_init_notify(e, h, IKEV2_N_INVALID_SYNTAX, NULL, 0, o);
		return;
	}
	size_t pi = sa.n;
	for (size_t i = 0; i < sa.n && pi == sa.n; i++)
		if (ike_prop_ike_ok(e, &sa.prop[i], 0))
			pi = i;
	if (pi == sa.n) {
		send_init_notify(e, h, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0, o);
		return;
	}
	if (ke.group != e->cfg.dh_group) {
		/* §1.2: name the group we want in the INVALID_KE_PAYLOAD data. */
		uint8_t g[2];
		put_be16(g, e->cfg.dh_group);
		send_init_notify(e, h, IKEV2_N_INVALID_KE_PAYLOAD, g, 2, o);
		return;
	}
	sa_wipe(&e->sa);
	e->sa.initiator = false;
	e->sa.spi_i = h->spi_i;
	e->sa.spi_r = rnd_spi64(e);
	/* ikev2_nonce_check bounded it to 16..256 octets (§3.9), the size of ni. */
	e->ni_len = pn->len;
	memcpy(e->ni, pn->body, pn->len);
	e->nr_len = IKE_NONCE_LEN;
	rnd(e, e->nr, e->nr_len);
	void *k = NULL;
	rc = ike_dh_keypair(e, &k, pub);
	if (!rc)
		rc = ike_dh_shared(e, k, ke.data, ke.len, gir);
	ikev2_x25519_free(k);
	if (rc) {
		/* RFC 8031 §2: KE data of another length, or a value whose shared secret is
		 * all-zero (RFC 7748 §6.1): refused, and said so; no state is kept. */
		e->stats.rx_malformed++;
		sa_wipe(&e->sa);
		send_init_notify(e, h, IKEV2_N_INVALID_SYNTAX, NULL, 0, o);
		return;
	}
	rc = sa_keys(e, &e->sa, NULL, gir, e->ni, e->ni_len, e->nr, e->nr_len);
	explicit_bzero(gir, sizeof(gir));
	if (rc)
		return;

	struct ikev2_hdr rh = hdr_for(&e->sa, IKEV2_EXCH_IKE_SA_INIT, true, 0);
	struct ikev2_wr b;
	struct prop_buf pb;
	ikev2_wr_init(&b, e->msg2 + IKEV2_HDR_LEN, sizeof(e->msg2) - IKEV2_HDR_LEN, &rh.next);
	ike_prop_ike(e, 0, &pb);
	pb.p[0].num = sa.prop[pi].num;
	ikev2_put_sa(&b, pb.p, 1);
	ike_dh_put_ke(e, &b, pub);
	ikev2_put_nonce(&b, e->nr, e->nr_len);
	if (b.err) {
		sa_wipe(&e->sa);
		return;
	}
	rh.len = (uint32_t)(IKEV2_HDR_LEN + b.w.off);
	ikev2_hdr_encode(&rh, e->msg2);
	e->msg2_len = rh.len;
	memcpy(e->msg1, p, len);
	e->msg1_len = len;
	e->sa.peer_next_id = 1;
	e->state = IKE_S_INIT_DONE;
	emit(e, o, e->msg2, e->msg2_len);
}

static void
fail(struct ike *e, struct ike_out *o, uint8_t exch, uint16_t notify)
{
	event(o, IKE_EV_ERROR, exch, notify);
	ike_die(e, o, notify);
}

/* The peer refused us with an error notify: reported as its refusal, then the SA dies. */
static void
fail_by_peer(struct ike *e, struct ike_out *o, uint8_t exch, uint16_t notify)
{
	event(o, IKE_EV_ERROR, exch, notify)->from_peer = true;
	ike_die(e, o, notify);
}

/* An exchange the peer refused with an error notify; the IKE SA stays. */
static void
refused_by_peer(struct ike_out *o, uint8_t exch, uint16_t notify)
{
	event(o, IKE_EV_ERROR, exch, notify)->from_peer = true;
}

static int put_auth_payloads(struct ike *e, struct ikev2_wr *b, bool initiator);

static void
i_sa_init_resp(struct ike *e, uint64_t now, const uint8_t *p, size_t len, const struct ikev2_hdr *h,
	       struct ike_out *o)
{
	struct ikev2_chain c;
	struct ikev2_sa sa;
	struct ikev2_ke ke;
	struct ikev2_notify n;
	uint8_t gir[IKEV2_X25519_LEN];
	const struct ikev2_pld *psa, *pke, *pn;

	if (ikev2_chain_decode(h->next, p + IKEV2_HDR_LEN, len - IKEV2_HDR_LEN, &c)) {
		e->stats.rx_malformed++;
		return;
	}
	for (size_t i = 0; i < c.n; i++) {
		if (c.pld[i].type != IKEV2_PLD_NOTIFY ||
		    ikev2_notify_decode(c.pld[i].body, c.pld[i].len, &n))
			continue;
		if (n.type <= IKEV2_N_ERROR_MAX) {
			/* Unauthenticated, but nothing else can come: §2.21.1 lets us give up. */
			fail_by_peer(e, o, IKEV2_EXCH_IKE_SA_INIT, n.type);
			return;
		}
	}
	psa = ikev2_chain_find(&c, IKEV2_PLD_SA);
	pke = ikev2_chain_find(&c, IKEV2_PLD_KE);
	pn = ikev2_chain_find(&c, IKEV2_PLD_NONCE);
	if (!psa || !pke || !pn || h->spi_r == 0 || ikev2_sa_decode(psa->body, psa->len, &sa) ||
	    ikev2_ke_decode(pke->body, pke->len, &ke) || ikev2_nonce_check(pn->len) ||
	    pn->len > sizeof(e->nr)) {
		e->stats.rx_malformed++;
		return;
	}
	if (sa.n != 1 || sa.prop[0].num != 1 || !ike_prop_ike_ok(e, &sa.prop[0], 0) ||
	    sa.prop[0].nxf != 3 || ke.group != e->cfg.dh_group) {
		fail(e, o, IKEV2_EXCH_IKE_SA_INIT, IKEV2_N_NO_PROPOSAL_CHOSEN);
		return;
	}
	memcpy(e->nr, pn->body, pn->len);
	e->nr_len = pn->len;
	if (ike_dh_shared(e, e->dh, ke.data, ke.len, gir)) {
		e->stats.rx_malformed++;
		return;
	}
	e->sa.spi_r = h->spi_r;
	int rc = sa_keys(e, &e->sa, NULL, gir, e->ni, e->ni_len, e->nr, e->nr_len);
	explicit_bzero(gir, sizeof(gir));
	ikev2_x25519_free(e->dh);
	e->dh = NULL;
	if (rc) {
		fail(e, o, IKEV2_EXCH_IKE_SA_INIT, 0);
		return;
	}
	memcpy(e->msg2, p, len);
	e->msg2_len = len;
	e->sa.req.kind = IKE_REQ_NONE;

	struct inner in;
	inner_init(&in);
	e->auth_child_spi = rnd_spi32(e);
	put_auth_payloads(e, &in.b, true);
	if (send_req(e, &e->sa, IKE_REQ_AUTH, IKEV2_EXCH_IKE_AUTH, &in, now, o)) {
		fail(e, o, IKEV2_EXCH_IKE_AUTH, 0);
		return;
	}
	e->state = IKE_S_AUTH_SENT;
}

/* ---- IKE_AUTH ---- */

static size_t
id_body(const struct ike_id *id, uint8_t *out)
{
	out[0] = id->type;
	out[1] = out[2] = out[3] = 0;
	memcpy(out + 4, id->data, id->len);
	return 4 + id->len;
}

/* §2.15: our AUTH over our own IKE_SA_INIT message and the peer's nonce. */
static int
auth_compute(struct ike *e, bool for_initiator, const uint8_t *idb, size_t idb_len,
	     uint8_t out[IKEV2_PRF_LEN])
{
	if (for_initiator)
		return ikev2_psk_auth(e->cfg.psk, e->cfg.psk_len, e->msg1, e->msg1_len, e->nr,
				      e->nr_len, e->sa.keys.sk_pi, idb, idb_len, out);
	return ikev2_psk_auth(e->cfg.psk, e->cfg.psk_len, e->msg2, e->msg2_len, e->ni, e->ni_len,
			      e->sa.keys.sk_pr, idb, idb_len, out);
}

/* IDx, AUTH, and for the initiator N(USE_TRANSPORT_MODE), SA, TSi, TSr. */
static int
put_auth_payloads(struct ike *e, struct ikev2_wr *b, bool initiator)
{
	uint8_t idb[4 + IKE_ID_MAX], auth[IKEV2_PRF_LEN];
	size_t idl = id_body(&e->cfg.local_id, idb);
	int rc = auth_compute(e, initiator, idb, idl, auth);
	if (rc)
		return rc;
	if (e->cfg.lie.bad_auth)
		auth[0] ^= 0x01; /* lie: computed with the right key, then spoiled */
	ikev2_put_id(b, initiator ? IKEV2_PLD_IDI : IKEV2_PLD_IDR, e->cfg.local_id.type,
		     e->cfg.local_id.data, e->cfg.local_id.len);
	ikev2_put_auth(b, IKEV2_AUTH_PSK, auth, sizeof(auth));
	explicit_bzero(auth, sizeof(auth));
	if (initiator) {
		struct prop_buf pb;
		ikev2_put_notify(b, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
		ike_props_child(e, e->cfg.suites, e->cfg.nsuites, e->auth_child_spi, false, &pb);
		ikev2_put_sa(b, pb.p, pb.n);
		ike_put_ts_pair(e, b, true);
	}
	return b->err;
}

/* Is the peer's ID the one we expect (cfg.peer_id; none configured: any)? */
static bool
id_expected(const struct ike *e, const struct ikev2_idpl *id)
{
	const struct ike_id *want = &e->cfg.peer_id;
	return want->len == 0 || (id->type == want->type && id->len == want->len &&
				  !memcmp(id->data, want->data, id->len));
}

/* Is the AUTH value the PSK MAC over the peer's side of the exchange (§2.15)? */
static bool
auth_value_ok(struct ike *e, const struct ikev2_idpl *id, const struct ikev2_idpl *au,
	      bool peer_is_initiator)
{
	uint8_t want[IKEV2_PRF_LEN];
	if (au->type != IKEV2_AUTH_PSK || au->len != IKEV2_PRF_LEN)
		return false;
	if (auth_compute(e, peer_is_initiator, id->body, id->body_len, want))
		return false;
	int bad = CRYPTO_memcmp(want, au->data, IKEV2_PRF_LEN);
	explicit_bzero(want, sizeof(want));
	return !bad;
}

/*
 * Checks the peer's ID and AUTH payloads in c. §1.2: "The recipients of messages 3
 * and 4 MUST verify that all signatures and MACs are computed correctly and that the
 * names in the ID payloads correspond to the keys used to generate the AUTH payload."
 */
static int
auth_verify(struct ike *e, const struct ikev2_chain *c, bool peer_is_initiator)
{
	const struct ikev2_pld *pid =
	    ikev2_chain_find(c, peer_is_initiator ? IKEV2_PLD_IDI : IKEV2_PLD_IDR);
	const struct ikev2_pld *pa = ikev2_chain_find(c, IKEV2_PLD_AUTH);
	struct ikev2_idpl id, au;

	if (!pid || !pa || ikev2_id_decode(pid->body, pid->len, &id) ||
	    ikev2_id_decode(pa->body, pa->len, &au))
		return RMC_EINVAL;
	if (!id_expected(e, &id))
		return RMC_ECRYPTO;
	/* mutant ike-initiator-skips-auth: the responder's AUTH is taken on trust */
	if (!peer_is_initiator && e->cfg.bug.skip_responder_auth)
		return RMC_OK;
	return auth_value_ok(e, &id, &au, peer_is_initiator) ? RMC_OK : RMC_ECRYPTO;
}

/* ---- CHILD_SA negotiation shared by IKE_AUTH and CREATE_CHILD_SA ---- */

/* Responder: picks a suite and checks mode and selectors; 0 or the notify to answer. */
static uint16_t
child_request_check(struct ike *e, const struct ikev2_chain *c, bool have_ke, struct ikev2_sa *sa,
		    size_t *pi, enum ike_suite *suite)
{
	const struct ikev2_pld *psa = ikev2_chain_find(c, IKEV2_PLD_SA);
	struct ikev2_notify n;
	int rc;

	if (!psa || ikev2_sa_decode(psa->body, psa->len, sa))
		return IKEV2_N_INVALID_SYNTAX;
	if (ike_child_choose(e, sa, have_ke, pi, suite))
		return IKEV2_N_NO_PROPOSAL_CHOSEN;
	/* Transport mode only (the patent's policy): a tunnel-mode request is refused. */
	if (ikev2_chain_notify(c, IKEV2_N_USE_TRANSPORT_MODE, &n))
		return IKEV2_N_NO_PROPOSAL_CHOSEN;
	rc = ike_ts_check_request(e, c);
	if (rc == RMC_EINVAL)
		return IKEV2_N_INVALID_SYNTAX;
	if (rc)
		return IKEV2_N_TS_UNACCEPTABLE;
	return 0;
}

/* Responder: the SA, mode and selector payloads of the answer. */
static void
put_child_answer(const struct ike *e, struct ikev2_wr *b, const struct ikev2_prop *chosen,
		 enum ike_suite suite, uint32_t spi_in, bool dh)
{
	struct ikev2_prop_out p;
	struct ikev2_xform x[5];
	ike_prop_child(e, ike_suite_def(suite), chosen->num, spi_in, dh, &p, x);
	ikev2_put_notify(b, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
	ikev2_put_sa(b, &p, 1);
}

/* Initiator: is the answer one of the suites we offered (in order), in transport mode? */
static int
child_response_check(struct ike *e, const struct ikev2_chain *c, const enum ike_suite *offered,
		     size_t noffered, bool with_dh, enum ike_suite *suite, uint32_t *spi_out)
{
	const struct ikev2_pld *psa = ikev2_chain_find(c, IKEV2_PLD_SA);
	struct ikev2_sa sa;
	struct ikev2_notify n;

	if (!psa || ikev2_sa_decode(psa->body, psa->len, &sa) || sa.n != 1)
		return RMC_EINVAL;
	const struct ikev2_prop *p = &sa.prop[0];
	if (p->num < 1 || p->num > noffered)
		return RMC_EINVAL;
	const struct suite_def *d = ike_suite_def(offered[p->num - 1]);
	/* Exactly one transform of each type we sent. */
	size_t want = (d->encr != 0) + (d->integ != 0) + with_dh + 1;
	if (!ike_prop_child_ok(e, d, p, with_dh) || p->nxf != want)
		return RMC_EINVAL;
	if (ikev2_chain_notify(c, IKEV2_N_USE_TRANSPORT_MODE, &n))
		return RMC_EUNSUP;
	if (ike_ts_check_response(e, c))
		return RMC_ENOENT;
	*suite = d->suite;
	*spi_out = get_be32(p->spi);
	return RMC_OK;
}

/* The first error notify of a chain, or 0. */
static uint16_t
error_notify(const struct ikev2_chain *c)
{
	struct ikev2_notify n;
	for (size_t i = 0; i < c->n; i++)
		if (c->pld[i].type == IKEV2_PLD_NOTIFY &&
		    !ikev2_notify_decode(c->pld[i].body, c->pld[i].len, &n) &&
		    n.type <= IKEV2_N_ERROR_MAX)
			return n.type;
	return 0;
}

static void
r_auth(struct ike *e, const struct ikev2_chain *c, uint32_t msgid, struct ike_out *o)
{
	struct ikev2_sa sa;
	size_t pi = 0;
	enum ike_suite suite = IKE_SUITE_NONE;
	struct inner in;

	if (e->state != IKE_S_INIT_DONE) {
		e->stats.rx_unexpected++;
		return;
	}
	if (auth_verify(e, c, true)) {
		send_resp_notify(e, &e->sa, IKEV2_EXCH_IKE_AUTH, msgid,
				 IKEV2_N_AUTHENTICATION_FAILED, NULL, 0, o);
		fail(e, o, IKEV2_EXCH_IKE_AUTH, IKEV2_N_AUTHENTICATION_FAILED);
		return;
	}
	uint16_t err = child_request_check(e, c, false, &sa, &pi, &suite);
	inner_init(&in);
	if (put_auth_payloads(e, &in.b, false))
		return;
	struct ike_child_sa ch = {0};
	if (!err) {
		ch.suite = suite;
		ch.proto = sa.prop[pi].proto;
		ch.spi_in = rnd_spi32(e);
		ch.spi_out = get_be32(sa.prop[pi].spi);
		if (child_derive(e, &ch, NULL, e->ni, e->ni_len, e->nr, e->nr_len, false))
			return;
		put_child_answer(e, &in.b, &sa.prop[pi], suite, ch.spi_in, false);
		ike_put_ts_pair(e, &in.b, false);
	} else {
		/* §1.2: the IKE SA is still created when the CHILD_SA is not. */
		ikev2_put_notify(&in.b, 0, NULL, 0, err, NULL, 0);
	}
	if (send_resp(e, &e->sa, IKEV2_EXCH_IKE_AUTH, msgid, &in, o))
		return;
	e->state = IKE_S_ESTABLISHED;
	event(o, IKE_EV_IKE_UP, IKEV2_EXCH_IKE_AUTH, 0);
	if (!err && child_add(e, &ch))
		child_up_event(o, IKEV2_EXCH_IKE_AUTH, &ch, 0);
	explicit_bzero(&ch, sizeof(ch));
}

/*
 * §2.21.2: "If the error occurs on the initiator, the notification MAY be returned in
 * a separate INFORMATIONAL exchange, usually with no other payloads." Sent once: the
 * IKE SA dies right after, so nothing waits for the answer.
 */
static void
send_auth_failed(struct ike *e, uint64_t now, struct ike_out *o)
{
	struct inner in;
	inner_init(&in);
	ikev2_put_notify(&in.b, 0, NULL, 0, IKEV2_N_AUTHENTICATION_FAILED, NULL, 0);
	send_req(e, &e->sa, IKE_REQ_AUTH_FAILED, IKEV2_EXCH_INFORMATIONAL, &in, now, o);
}

static void
i_auth_resp(struct ike *e, uint64_t now, const struct ikev2_chain *c, struct ike_out *o)
{
	struct ike_child_sa ch = {0};
	uint16_t err = error_notify(c);

	if (err == IKEV2_N_AUTHENTICATION_FAILED || (err && !ikev2_chain_find(c, IKEV2_PLD_AUTH))) {
		/* the responder refused our IKE_AUTH: no IKE SA (§1.2) */
		fail_by_peer(e, o, IKEV2_EXCH_IKE_AUTH, err);
		return;
	}
	if (auth_verify(e, c, false)) {
		/* §2.21.2: "All errors causing the authentication to fail for whatever reason
		 * (invalid shared secret, invalid ID, ...) SHOULD result in an
		 * AUTHENTICATION_FAILED notification." The CHILD_SA is never used. */
		send_auth_failed(e, now, o);
		fail(e, o, IKEV2_EXCH_IKE_AUTH, IKEV2_N_AUTHENTICATION_FAILED);
		return;
	}
	e->state = IKE_S_ESTABLISHED;
	event(o, IKE_EV_IKE_UP, IKEV2_EXCH_IKE_AUTH, 0);
	if (err) {
		refused_by_peer(o, IKEV2_EXCH_IKE_AUTH, err);
		return;
	}
	if (child_response_check(e, c, e->cfg.suites, e->cfg.nsuites, false, &ch.suite,
				 &ch.spi_out)) {
		event(o, IKE_EV_ERROR, IKEV2_EXCH_IKE_AUTH, IKEV2_N_NO_PROPOSAL_CHOSEN);
		return;
	}
	ch.proto = ike_suite_def(ch.suite)->proto;
	ch.spi_in = e->auth_child_spi;
	if (child_derive(e, &ch, NULL, e->ni, e->ni_len, e->nr, e->nr_len, true))
		return;
	if (child_add(e, &ch))
		child_up_event(o, IKEV2_EXCH_IKE_AUTH, &ch, 0);
	explicit_bzero(&ch, sizeof(ch));
}

/* ---- CREATE_CHILD_SA ---- */

static bool
established(const struct ike *e)
{
	return e->state == IKE_S_ESTABLISHED && e->sa.req.kind == IKE_REQ_NONE;
}

static int
send_create_child(struct ike *e, uint64_t now, enum ike_suite suite, struct ike_child_slot *old,
		  bool with_ke, struct ike_out *o)
{
	struct ike_req *r = &e->sa.req;
	uint8_t pub[IKEV2_X25519_LEN];
	struct prop_buf pb;
	struct inner in;
	int rc;

	r->suite = suite;
	r->spi_in = rnd_spi32(e);
	r->with_ke = with_ke;
	r->old_spi_in = old ? old->sa.spi_in : 0;
	rnd(e, r->nonce, sizeof(r->nonce));
	ikev2_x25519_free(r->dh);
	r->dh = NULL;
	if (r->with_ke && (rc = ike_dh_keypair(e, &r->dh, pub)))
		return rc;
	inner_init(&in);
	if (old) {
		/* §1.3.3: the SPI the exchange initiator expects in inbound packets. */
		uint8_t spi[4];
		put_be32(spi, old->sa.spi_in);
		ikev2_put_notify(&in.b, old->sa.proto, spi, 4, IKEV2_N_REKEY_SA, NULL, 0);
	}
	ikev2_put_notify(&in.b, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_props_child(e, &suite, 1, r->spi_in, r->with_ke, &pb);
	ikev2_put_sa(&in.b, pb.p, pb.n);
	ikev2_put_nonce(&in.b, r->nonce, sizeof(r->nonce));
	if (r->with_ke)
		ike_dh_put_ke(e, &in.b, pub);
	ike_put_ts_pair(e, &in.b, true);
	rc = send_req(e, &e->sa, old ? IKE_REQ_CHILD_REKEY : IKE_REQ_CHILD_NEW,
		      IKEV2_EXCH_CREATE_CHILD_SA, &in, now, o);
	if (!rc && old)
		old->rekeying = true;
	finish(e, o);
	return rc;
}

int
ike_create_child(struct ike *e, uint64_t now, enum ike_suite suite, struct ike_out *o)
{
	if (!established(e))
		return RMC_ESTATE;
	if (!ike_suite_def(suite))
		return RMC_EINVAL;
	return send_create_child(e, now, suite, NULL, e->cfg.pfs, o);
}

int
ike_rekey_child(struct ike *e, uint64_t now, uint32_t spi_in, struct ike_out *o)
{
	if (!established(e))
		return RMC_ESTATE;
	struct ike_child_slot *s = child_by_in(e, spi_in);
	if (!s)
		return RMC_ENOENT;
	return send_create_child(e, now, s->sa.suite, s, e->cfg.pfs, o);
}

static int
send_delete_child(struct ike *e, uint64_t now, struct ike_child_slot *s, struct ike_out *o)
{
	struct inner in;
	inner_init(&in);
	ikev2_put_delete(&in.b, s->sa.proto, &s->sa.spi_in, 1);
	e->sa.req.old_spi_in = s->sa.spi_in;
	return send_req(e, &e->sa, IKE_REQ_DELETE_CHILD, IKEV2_EXCH_INFORMATIONAL, &in, now, o);
}

int
ike_delete_child(struct ike *e, uint64_t now, uint32_t spi_in, struct ike_out *o)
{
	if (!established(e))
		return RMC_ESTATE;
	struct ike_child_slot *s = child_by_in(e, spi_in);
	if (!s)
		return RMC_ENOENT;
	int rc = send_delete_child(e, now, s, o);
	finish(e, o);
	return rc;
}

static void r_rekey_ike(struct ike *e, const struct ikev2_chain *c, const struct ikev2_sa *sa,
			uint32_t msgid, struct ike_out *o);

static void
r_create_child(struct ike *e, const struct ikev2_chain *c, uint32_t msgid, struct ike_out *o)
{
	const struct ikev2_pld *psa = ikev2_chain_find(c, IKEV2_PLD_SA);
	const struct ikev2_pld *pn = ikev2_chain_find(c, IKEV2_PLD_NONCE);
	const struct ikev2_pld *pke = ikev2_chain_find(c, IKEV2_PLD_KE);
	struct ikev2_sa sa;
	struct ikev2_ke ke;
	struct ikev2_notify rn;
	struct ike_child_slot *old = NULL;
	uint8_t nr[32], pub[IKEV2_X25519_LEN], gir[IKEV2_X25519_LEN];
	size_t pi = 0;
	enum ike_suite suite;
	uint16_t err;

	if (!psa || !pn || ikev2_sa_decode(psa->body, psa->len, &sa) ||
	    ikev2_nonce_check(pn->len) || (pke && ikev2_ke_decode(pke->body, pke->len, &ke))) {
		e->stats.rx_malformed++;
		send_resp_notify(e, &e->sa, IKEV2_EXCH_CREATE_CHILD_SA, msgid,
				 IKEV2_N_INVALID_SYNTAX, NULL, 0, o);
		return;
	}
	if (sa.prop[0].proto == IKEV2_PROTO_IKE) {
		r_rekey_ike(e, c, &sa, msgid, o);
		return;
	}
	if (!ikev2_chain_notify(c, IKEV2_N_REKEY_SA, &rn)) {
		if (rn.spi_size != 4 || !(old = child_by_out(e, rn.proto, get_be32(rn.spi)))) {
			send_resp_notify(e, &e->sa, IKEV2_EXCH_CREATE_CHILD_SA, msgid,
					 IKEV2_N_CHILD_SA_NOT_FOUND, NULL, 0, o);
			return;
		}
	}
	err = child_request_check(e, c, pke != NULL, &sa, &pi, &suite);
	/* With cfg.pfs we insist on a fresh KE (§1.3, INVALID_KE_PAYLOAD names the group). */
	if (!err && ((pke && ke.group != e->cfg.dh_group) || (!pke && e->cfg.pfs))) {
		uint8_t g[2];
		put_be16(g, e->cfg.dh_group);
		send_resp_notify(e, &e->sa, IKEV2_EXCH_CREATE_CHILD_SA, msgid,
				 IKEV2_N_INVALID_KE_PAYLOAD, g, 2, o);
		return;
	}
	if (err) {
		send_resp_notify(e, &e->sa, IKEV2_EXCH_CREATE_CHILD_SA, msgid, err, NULL, 0, o);
		return;
	}
	struct ike_child_sa ch = {0};
	ch.suite = suite;
	ch.proto = sa.prop[pi].proto;
	ch.spi_in = rnd_spi32(e);
	ch.spi_out = get_be32(sa.prop[pi].spi);
	rnd(e, nr, sizeof(nr));
	void *k = NULL;
	if (pke && (ike_dh_keypair(e, &k, pub) || ike_dh_shared(e, k, ke.data, ke.len, gir))) {
		ikev2_x25519_free(k);
		send_resp_notify(e, &e->sa, IKEV2_EXCH_CREATE_CHILD_SA, msgid,
				 IKEV2_N_INVALID_SYNTAX, NULL, 0, o);
		return;
	}
	ikev2_x25519_free(k);
	int rc = child_derive(e, &ch, pke ? gir : NULL, pn->body, pn->len, nr, sizeof(nr), false);
	explicit_bzero(gir, sizeof(gir));
	if (rc)
		return;
	struct inner in;
	inner_init(&in);
	put_child_answer(e, &in.b, &sa.prop[pi], suite, ch.spi_in, pke != NULL);
	ikev2_put_nonce(&in.b, nr, sizeof(nr));
	if (pke)
		ike_dh_put_ke(e, &in.b, pub);
	ike_put_ts_pair(e, &in.b, false);
	if (send_resp(e, &e->sa, IKEV2_EXCH_CREATE_CHILD_SA, msgid, &in, o))
		return;
	uint32_t old_in = old ? old->sa.spi_in : 0;
	if (old && old->rekeying) {
		/* §2.8.1: both ends rekey the same CHILD_SA; keep this exchange's nonces. */
		old->peer_rekeyed = true;
		memset(old->peer_nonces, 0, sizeof(old->peer_nonces));
		memcpy(old->peer_nonces[0], pn->body, pn->len < 32 ? pn->len : 32);
		memcpy(old->peer_nonces[1], nr, 32);
		old->peer_new_spi_in = ch.spi_in;
	}
	if (child_add(e, &ch))
		child_up_event(o, IKEV2_EXCH_CREATE_CHILD_SA, &ch, old_in);
	explicit_bzero(&ch, sizeof(ch));
}

static const uint8_t *
min_nonce(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 32) <= 0 ? a : b;
}

static void
i_create_child_resp(struct ike *e, uint64_t now, const struct ikev2_chain *c,
		    const struct ike_req *r, struct ike_out *o)
{
	const struct ikev2_pld *pn = ikev2_chain_find(c, IKEV2_PLD_NONCE);
	const struct ikev2_pld *pke = ikev2_chain_find(c, IKEV2_PLD_KE);
	struct ike_child_slot *old =
	    r->kind == IKE_REQ_CHILD_REKEY ? child_by_in(e, r->old_spi_in) : NULL;
	struct ikev2_ke ke;
	uint8_t gir[IKEV2_X25519_LEN];
	struct ike_child_sa ch = {0};
	uint16_t err = error_notify(c);

	if (old)
		old->rekeying = false;
	if (err == IKEV2_N_INVALID_KE_PAYLOAD && !r->with_ke) {
		/* §1.3: the peer wants PFS; retry once with a KE of the group it names. */
		struct ikev2_notify n;
		if (!ikev2_chain_notify(c, IKEV2_N_INVALID_KE_PAYLOAD, &n) && n.data_len == 2 &&
		    get_be16(n.data) == e->cfg.dh_group) {
			old = r->kind == IKE_REQ_CHILD_REKEY ? child_by_in(e, r->old_spi_in) : NULL;
			if (r->kind != IKE_REQ_CHILD_REKEY || old) {
				send_create_child(e, now, r->suite, old, true, o);
				return;
			}
		}
	}
	if (err) {
		refused_by_peer(o, IKEV2_EXCH_CREATE_CHILD_SA, err);
		return;
	}
	if (!pn || ikev2_nonce_check(pn->len) || (r->with_ke && !pke) ||
	    (pke && (ikev2_ke_decode(pke->body, pke->len, &ke) || ke.group != e->cfg.dh_group)) ||
	    child_response_check(e, c, &r->suite, 1, r->with_ke, &ch.suite, &ch.spi_out)) {
		event(o, IKE_EV_ERROR, IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_N_NO_PROPOSAL_CHOSEN);
		return;
	}
	if (r->with_ke && ike_dh_shared(e, r->dh, ke.data, ke.len, gir)) {
		event(o, IKE_EV_ERROR, IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_N_INVALID_SYNTAX);
		return;
	}
	ch.proto = ike_suite_def(ch.suite)->proto;
	ch.spi_in = r->spi_in;
	int rc = child_derive(e, &ch, r->with_ke ? gir : NULL, r->nonce, sizeof(r->nonce), pn->body,
			      pn->len, true);
	explicit_bzero(gir, sizeof(gir));
	if (rc)
		return;
	struct ike_child_slot *mine = child_add(e, &ch);
	if (!mine) {
		event(o, IKE_EV_ERROR, IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_N_NO_ADDITIONAL_SAS);
		return;
	}
	if (old && old->peer_rekeyed) {
		/* §2.8.1: the SA created with the lowest of the four nonces is redundant;
		 * the node that created it deletes it, the other deletes the old SA. */
		uint8_t rn[32] = {0};
		memcpy(rn, pn->body, pn->len < 32 ? pn->len : 32);
		const uint8_t *ours = min_nonce(r->nonce, rn);
		const uint8_t *theirs = min_nonce(old->peer_nonces[0], old->peer_nonces[1]);
		e->stats.collisions++;
		if (memcmp(ours, theirs, 32) < 0) {
			send_delete_child(e, now, mine, o);
			return;
		}
		child_up_event(o, IKEV2_EXCH_CREATE_CHILD_SA, &mine->sa, old->sa.spi_in);
		send_delete_child(e, now, old, o);
		return;
	}
	child_up_event(o, IKEV2_EXCH_CREATE_CHILD_SA, &mine->sa, old ? old->sa.spi_in : 0);
	explicit_bzero(&ch, sizeof(ch));
	/* §2.8: the initiator of a rekey deletes the old SA once the new one is up. */
	if (old)
		send_delete_child(e, now, old, o);
}

/* ---- IKE SA rekey (§1.3.2, §2.18) ---- */

int
ike_rekey_ike(struct ike *e, uint64_t now, struct ike_out *o)
{
	struct ike_req *r = &e->sa.req;
	uint8_t pub[IKEV2_X25519_LEN];
	struct prop_buf pb;
	struct inner in;
	int rc;

	if (!established(e) || e->old.live)
		return RMC_ESTATE;
	r->new_spi = rnd_spi64(e);
	rnd(e, r->nonce, sizeof(r->nonce));
	rc = ike_dh_keypair(e, &r->dh, pub);
	if (rc)
		return rc;
	inner_init(&in);
	ike_prop_ike(e, r->new_spi, &pb);
	ikev2_put_sa(&in.b, pb.p, pb.n);
	ikev2_put_nonce(&in.b, r->nonce, sizeof(r->nonce));
	ike_dh_put_ke(e, &in.b, pub);
	rc = send_req(e, &e->sa, IKE_REQ_IKE_REKEY, IKEV2_EXCH_CREATE_CHILD_SA, &in, now, o);
	finish(e, o);
	return rc;
}

static void
r_rekey_ike(struct ike *e, const struct ikev2_chain *c, const struct ikev2_sa *sa, uint32_t msgid,
	    struct ike_out *o)
{
	const struct ikev2_pld *pn = ikev2_chain_find(c, IKEV2_PLD_NONCE);
	const struct ikev2_pld *pke = ikev2_chain_find(c, IKEV2_PLD_KE);
	struct ikev2_ke ke;
	uint8_t nr[32], pub[IKEV2_X25519_LEN], gir[IKEV2_X25519_LEN];
	size_t pi = sa->n;
	struct ike_sa nsa;

	/* A rekey while one is unfinished: §2.25 TEMPORARY_FAILURE (simultaneous IKE rekeys
	 * are not resolved by nonces here, one side retries later). */
	if (e->old.live || e->sa.req.kind == IKE_REQ_IKE_REKEY) {
		send_resp_notify(e, &e->sa, IKEV2_EXCH_CREATE_CHILD_SA, msgid,
				 IKEV2_N_TEMPORARY_FAILURE, NULL, 0, o);
		return;
	}
	for (size_t i = 0; i < sa->n && pi == sa->n; i++)
		if (ike_prop_ike_ok(e, &sa->prop[i], 8))
			pi = i;
	if (pi == sa->n) {
		send_resp_notify(e, &e->sa, IKEV2_EXCH_CREATE_CHILD_SA, msgid,
				 IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0, o);
		return;
	}
	if (!pke || ikev2_ke_decode(pke->body, pke->len, &ke) || ke.group != e->cfg.dh_group) {
		uint8_t g[2];
		put_be16(g, e->cfg.dh_group);
		send_resp_notify(e, &e->sa, IKEV2_EXCH_CREATE_CHILD_SA, msgid,
				 IKEV2_N_INVALID_KE_PAYLOAD, g, 2, o);
		return;
	}
	memset(&nsa, 0, sizeof(nsa));
	nsa.initiator = false;
	nsa.spi_i = spi64(sa->prop[pi].spi);
	nsa.spi_r = rnd_spi64(e);
	rnd(e, nr, sizeof(nr));
	void *k = NULL;
	int rc = ike_dh_keypair(e, &k, pub);
	if (!rc)
		rc = ike_dh_shared(e, k, ke.data, ke.len, gir);
	ikev2_x25519_free(k);
	if (!rc)
		rc = sa_keys(e, &nsa, e->sa.keys.sk_d, gir, pn->body, pn->len, nr, sizeof(nr));
	explicit_bzero(gir, sizeof(gir));
	if (rc) {
		sa_wipe(&nsa);
		send_resp_notify(e, &e->sa, IKEV2_EXCH_CREATE_CHILD_SA, msgid,
				 IKEV2_N_INVALID_SYNTAX, NULL, 0, o);
		return;
	}
	struct prop_buf pb;
	struct inner in;
	inner_init(&in);
	ike_prop_ike(e, nsa.spi_r, &pb);
	pb.p[0].num = sa->prop[pi].num;
	ikev2_put_sa(&in.b, pb.p, 1);
	ikev2_put_nonce(&in.b, nr, sizeof(nr));
	ike_dh_put_ke(e, &in.b, pub);
	if (send_resp(e, &e->sa, IKEV2_EXCH_CREATE_CHILD_SA, msgid, &in, o)) {
		sa_wipe(&nsa);
		return;
	}
	/* The old SA lives on until the peer deletes it (§1.3.2); children move over. */
	e->old = e->sa;
	e->sa = nsa;
	explicit_bzero(&nsa, sizeof(nsa));
	event(o, IKE_EV_IKE_REKEYED, IKEV2_EXCH_CREATE_CHILD_SA, 0);
}

static void
i_rekey_ike_resp(struct ike *e, uint64_t now, const struct ikev2_chain *c, const struct ike_req *r,
		 struct ike_out *o)
{
	const struct ikev2_pld *psa = ikev2_chain_find(c, IKEV2_PLD_SA);
	const struct ikev2_pld *pn = ikev2_chain_find(c, IKEV2_PLD_NONCE);
	const struct ikev2_pld *pke = ikev2_chain_find(c, IKEV2_PLD_KE);
	struct ikev2_sa sa;
	struct ikev2_ke ke;
	uint8_t gir[IKEV2_X25519_LEN];
	struct ike_sa nsa;
	uint16_t err = error_notify(c);

	if (err) {
		refused_by_peer(o, IKEV2_EXCH_CREATE_CHILD_SA, err);
		return;
	}
	if (!psa || !pn || !pke || ikev2_sa_decode(psa->body, psa->len, &sa) || sa.n != 1 ||
	    sa.prop[0].num != 1 || !ike_prop_ike_ok(e, &sa.prop[0], 8) || sa.prop[0].nxf != 3 ||
	    ikev2_nonce_check(pn->len) || ikev2_ke_decode(pke->body, pke->len, &ke) ||
	    ke.group != e->cfg.dh_group) {
		event(o, IKE_EV_ERROR, IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_N_NO_PROPOSAL_CHOSEN);
		return;
	}
	memset(&nsa, 0, sizeof(nsa));
	nsa.initiator = true;
	nsa.spi_i = r->new_spi;
	nsa.spi_r = spi64(sa.prop[0].spi);
	int rc = ike_dh_shared(e, r->dh, ke.data, ke.len, gir);
	if (!rc)
		rc = sa_keys(e, &nsa, e->sa.keys.sk_d, gir, r->nonce, sizeof(r->nonce), pn->body,
			     pn->len);
	explicit_bzero(gir, sizeof(gir));
	if (rc) {
		sa_wipe(&nsa);
		event(o, IKE_EV_ERROR, IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_N_INVALID_SYNTAX);
		return;
	}
	e->old = e->sa;
	e->sa = nsa;
	explicit_bzero(&nsa, sizeof(nsa));
	event(o, IKE_EV_IKE_REKEYED, IKEV2_EXCH_CREATE_CHILD_SA, 0);
	/* §1.3.2: the rekey initiator deletes the old IKE SA. */
	struct inner in;
	inner_init(&in);
	ikev2_put_delete(&in.b, IKEV2_PROTO_IKE, NULL, 0);
	send_req(e, &e->old, IKE_REQ_DELETE_IKE, IKEV2_EXCH_INFORMATIONAL, &in, now, o);
}

/* ---- INFORMATIONAL ---- */

int
ike_liveness(struct ike *e, uint64_t now, struct ike_out *o)
{
	struct inner in;
	if (!established(e))
		return RMC_ESTATE;
	inner_init(&in);
	int rc = send_req(e, &e->sa, IKE_REQ_LIVENESS, IKEV2_EXCH_INFORMATIONAL, &in, now, o);
	finish(e, o);
	return rc;
}

int
ike_delete_ike(struct ike *e, uint64_t now, struct ike_out *o)
{
	struct inner in;
	if (!established(e))
		return RMC_ESTATE;
	inner_init(&in);
	ikev2_put_delete(&in.b, IKEV2_PROTO_IKE, NULL, 0);
	int rc = send_req(e, &e->sa, IKE_REQ_DELETE_IKE, IKEV2_EXCH_INFORMATIONAL, &in, now, o);
	finish(e, o);
	return rc;
}

static void
r_info(struct ike *e, struct ike_sa *sa, const struct ikev2_chain *c, uint32_t msgid,
       struct ike_out *o)
{
	uint32_t gone[2][IKE_MAX_CHILDREN];
	size_t ngone[2] = {0, 0};
	bool del_ike = false;
	struct inner in;
	struct ikev2_notify n;

	if (sa == &e->sa && !ikev2_chain_notify(c, IKEV2_N_AUTHENTICATION_FAILED, &n)) {
		/* §2.21.2: the initiator refused our AUTH in a separate INFORMATIONAL; the IKE SA
		 * and its CHILD_SAs were never valid on its side */
		inner_init(&in);
		send_resp(e, sa, IKEV2_EXCH_INFORMATIONAL, msgid, &in, o);
		fail_by_peer(e, o, IKEV2_EXCH_INFORMATIONAL, IKEV2_N_AUTHENTICATION_FAILED);
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct ikev2_delete d;
		if (c->pld[i].type != IKEV2_PLD_DELETE)
			continue;
		if (ikev2_delete_decode(c->pld[i].body, c->pld[i].len, &d)) {
			e->stats.rx_malformed++;
			send_resp_notify(e, sa, IKEV2_EXCH_INFORMATIONAL, msgid,
					 IKEV2_N_INVALID_SYNTAX, NULL, 0, o);
			return;
		}
		if (d.proto == IKEV2_PROTO_IKE) {
			del_ike = true;
			continue;
		}
		size_t k = d.proto == IKEV2_PROTO_AH;
		for (size_t j = 0; j < d.nspi; j++) {
			struct ike_child_slot *s =
			    child_by_out(e, d.proto, get_be32(d.spis + 4 * j));
			if (!s || sa != &e->sa || ngone[k] == IKE_MAX_CHILDREN)
				continue;
			/* §1.4.1: answer with the SPIs of our side of the pairs. */
			gone[k][ngone[k]++] = s->sa.spi_in;
			child_remove(e, s, o);
		}
	}
	inner_init(&in);
	if (ngone[0])
		ikev2_put_delete(&in.b, IKEV2_PROTO_ESP, gone[0], ngone[0]);
	if (ngone[1])
		ikev2_put_delete(&in.b, IKEV2_PROTO_AH, gone[1], ngone[1]);
	send_resp(e, sa, IKEV2_EXCH_INFORMATIONAL, msgid, &in, o);
	if (!del_ike)
		return;
	if (sa == &e->old)
		sa_wipe(&e->old); /* the end of an IKE rekey: children stay on the new SA */
	else
		ike_die(e, o, 0);
}

/* ---- dispatch ---- */

/* Outer chain of a protected message: exactly one SK payload (§3.14). */
static int
open_sk(struct ike *e, struct ike_sa *sa, const uint8_t *p, size_t len, const struct ikev2_hdr *h,
	uint8_t *plain, size_t *plen, uint8_t *first)
{
	struct ikev2_chain outer;
	if (ikev2_chain_decode(h->next, p + IKEV2_HDR_LEN, len - IKEV2_HDR_LEN, &outer) ||
	    outer.n != 1 || outer.pld[0].type != IKEV2_PLD_SK) {
		e->stats.rx_malformed++;
		return RMC_EINVAL;
	}
	if (!sa->live ||
	    ikev2_sk_open(&sa->dec, p, len, &outer.pld[0], plain, IKEV2_MSG_MAX, plen)) {
		e->stats.rx_bad_icv++;
		return RMC_ECRYPTO;
	}
	*first = outer.sk_inner;
	return RMC_OK;
}

static void
handle_request(struct ike *e, struct ike_sa *sa, const uint8_t *p, size_t len,
	       const struct ikev2_hdr *h, struct ike_out *o)
{
	uint8_t plain[IKEV2_MSG_MAX], first;
	size_t plen;
	struct ikev2_chain c;

	/* §2.3, window size 1: the next message ID, or the last one again (a retransmission,
	 * answered from the cache); anything else is dropped unanswered, before any state.
	 * Mutant ike-msgid-any: any message ID is taken as a new request. */
	bool retrans = sa->have_resp && h->msgid == sa->resp_id;
	if (!retrans && h->msgid != sa->peer_next_id && !e->cfg.bug.any_msgid) {
		e->stats.rx_unexpected++;
		return;
	}
	/* Authenticate before anything, retransmissions included. */
	if (open_sk(e, sa, p, len, h, plain, &plen, &first))
		return;
	if (retrans) {
		emit(e, o, sa->resp, sa->resp_len);
		e->stats.resp_resent++;
		goto out;
	}
	int rc = ikev2_chain_decode(first, plain, plen, &c);
	if (rc) {
		e->stats.rx_malformed++;
		/* §2.5 / §2.21.2: the request is authentic, so it gets an error answer. */
		if (rc == RMC_EUNSUP)
			send_resp_notify(e, sa, h->exch, h->msgid,
					 IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, &c.bad_critical, 1,
					 o);
		else
			send_resp_notify(e, sa, h->exch, h->msgid, IKEV2_N_INVALID_SYNTAX, NULL, 0,
					 o);
		if (h->exch == IKEV2_EXCH_IKE_AUTH)
			fail(e, o, IKEV2_EXCH_IKE_AUTH, IKEV2_N_INVALID_SYNTAX);
		goto out;
	}
	switch (h->exch) {
	case IKEV2_EXCH_IKE_AUTH:
		if (sa != &e->sa)
			e->stats.rx_unexpected++;
		else
			r_auth(e, &c, h->msgid, o);
		break;
	case IKEV2_EXCH_CREATE_CHILD_SA:
		if (sa != &e->sa || e->state != IKE_S_ESTABLISHED)
			send_resp_notify(e, sa, h->exch, h->msgid, IKEV2_N_NO_ADDITIONAL_SAS, NULL,
					 0, o);
		else
			r_create_child(e, &c, h->msgid, o);
		break;
	case IKEV2_EXCH_INFORMATIONAL:
		if (e->state != IKE_S_ESTABLISHED)
			e->stats.rx_unexpected++;
		else
			r_info(e, sa, &c, h->msgid, o);
		break;
	default:
		e->stats.rx_unexpected++;
	}
out:
	explicit_bzero(plain, sizeof(plain));
}

/* Out of line: GCC's object-size tracking misjudges the inlined wipe. */
__attribute__((noinline)) static void
req_clear(struct ike_req *q)
{
	explicit_bzero(q, sizeof(*q));
}

static void
handle_response(struct ike *e, struct ike_sa *sa, uint64_t now, const uint8_t *p, size_t len,
		const struct ikev2_hdr *h, struct ike_out *o)
{
	struct ike_req r;
	uint8_t plain[IKEV2_MSG_MAX], first;
	size_t plen;
	struct ikev2_chain c;

	if (sa->req.kind == IKE_REQ_NONE || h->msgid != sa->req.msgid) {
		e->stats.rx_unexpected++;
		return;
	}
	if (open_sk(e, sa, p, len, h, plain, &plen, &first))
		return;
	if (ikev2_chain_decode(first, plain, plen, &c)) {
		/* Keep retransmitting: a broken answer is as good as none. */
		e->stats.rx_malformed++;
		goto out;
	}
	r = sa->req;
	req_clear(&sa->req);
	switch (r.kind) {
	case IKE_REQ_AUTH:
		i_auth_resp(e, now, &c, o);
		break;
	case IKE_REQ_CHILD_NEW:
	case IKE_REQ_CHILD_REKEY:
		i_create_child_resp(e, now, &c, &r, o);
		break;
	case IKE_REQ_IKE_REKEY:
		i_rekey_ike_resp(e, now, &c, &r, o);
		break;
	case IKE_REQ_DELETE_CHILD: {
		struct ike_child_slot *s = child_by_in(e, r.old_spi_in);
		if (s)
			child_remove(e, s, o);
		break;
	}
	case IKE_REQ_DELETE_IKE:
		if (sa == &e->old)
			sa_wipe(&e->old);
		else
			ike_die(e, o, 0);
		break;
	default:
		break;
	}
	ikev2_x25519_free(r.dh);
	explicit_bzero(&r, sizeof(r));
out:
	explicit_bzero(plain, sizeof(plain));
}

int
ike_input(struct ike *e, uint64_t now, const uint8_t *p, size_t len, struct ike_out *o)
{
	struct ikev2_hdr h;
	struct ike_sa *sa = NULL;

	e->stats.rx++;
	/* Larger than we keep (msg1/msg2 copies, response caches): refuse before parsing. */
	if (len > IKEV2_MSG_MAX || ikev2_hdr_decode(p, len, &h)) {
		e->stats.rx_malformed++;
		goto out;
	}
	if (h.exch == IKEV2_EXCH_IKE_SA_INIT) {
		if (!(h.flags & IKEV2_F_RESPONSE))
			r_sa_init(e, p, len, &h, o);
		else if (e->state == IKE_S_INIT_SENT && h.spi_i == e->sa.spi_i && h.msgid == 0)
			i_sa_init_resp(e, now, p, len, &h, o);
		else
			e->stats.rx_unexpected++;
		goto out;
	}
	if (e->sa.live && h.spi_i == e->sa.spi_i && h.spi_r == e->sa.spi_r)
		sa = &e->sa;
	else if (e->old.live && h.spi_i == e->old.spi_i && h.spi_r == e->old.spi_r)
		sa = &e->old;
	/* §3.1: the I flag says whether the sender is the original initiator. */
	if (!sa || !(h.flags & IKEV2_F_INITIATOR) != sa->initiator) {
		e->stats.rx_unexpected++;
		goto out;
	}
	if (h.flags & IKEV2_F_RESPONSE)
		handle_response(e, sa, now, p, len, &h, o);
	else
		handle_request(e, sa, p, len, &h, o);
out:
	finish(e, o);
	return RMC_OK;
}

static void
retransmit(struct ike *e, struct ike_sa *sa, uint64_t now, struct ike_out *o)
{
	struct ike_req *r = &sa->req;
	if (r->kind == IKE_REQ_NONE || now < r->deadline)
		return;
	if (r->tries >= e->cfg.retrans_tries) {
		/* §2.4: no answer after the retransmissions: the peer is gone. */
		if (sa == &e->old)
			sa_wipe(&e->old);
		else
			ike_die(e, o, 0);
		return;
	}
	r->tries++;
	emit(e, o, r->bytes, r->len);
	e->stats.retransmits++;
	/* §2.1: exponential back-off. */
	unsigned shift = r->tries < 20 ? r->tries : 20;
	r->deadline = now + (e->cfg.retrans_base << shift);
}

int
ike_timer(struct ike *e, uint64_t now, struct ike_out *o)
{
	retransmit(e, &e->sa, now, o);
	retransmit(e, &e->old, now, o);
	finish(e, o);
	return RMC_OK;
}
