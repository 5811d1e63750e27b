/*
 * IKEv2 payload parsing and serialisation (RFC 7296 §3). Every length is
 * checked against its minimum and against what is really left; nothing
 * acts while parsing.
 */
#include "proto/ikev2.h"

#include <string.h>

int
ikev2_hdr_decode(const uint8_t *p, size_t len, struct ikev2_hdr *h)
{
	struct rd r = rd_init(p, len);
	uint32_t hi = 0, lo = 0;

	if (len < IKEV2_HDR_LEN)
		return RMC_ETRUNC;
	rd_be32(&r, &hi);
	rd_be32(&r, &lo);
	h->spi_i = ((uint64_t)hi << 32) | lo;
	rd_be32(&r, &hi);
	rd_be32(&r, &lo);
	h->spi_r = ((uint64_t)hi << 32) | lo;
	rd_u8(&r, &h->next);
	rd_u8(&r, &h->version);
	rd_u8(&r, &h->exch);
	rd_u8(&r, &h->flags);
	rd_be32(&r, &h->msgid);
	rd_be32(&r, &h->len);
	/* §3.1: the Length is the whole message; it must match the datagram. */
	if (h->len < IKEV2_HDR_LEN || h->len > len)
		return RMC_ETRUNC;
	if (h->len != len)
		return RMC_EINVAL;
	if ((h->version >> 4) != 2)
		return RMC_EUNSUP;
	return RMC_OK;
}

void
ikev2_hdr_encode(const struct ikev2_hdr *h, uint8_t out[IKEV2_HDR_LEN])
{
	put_be32(out, (uint32_t)(h->spi_i >> 32));
	put_be32(out + 4, (uint32_t)h->spi_i);
	put_be32(out + 8, (uint32_t)(h->spi_r >> 32));
	put_be32(out + 12, (uint32_t)h->spi_r);
	out[16] = h->next;
	out[17] = h->version;
	out[18] = h->exch;
	out[19] = h->flags;
	put_be32(out + 20, h->msgid);
	put_be32(out + 24, h->len);
}

static bool
pld_known(uint8_t t)
{
	return t >= IKEV2_PLD_SA && t <= IKEV2_PLD_EAP;
}

int
ikev2_chain_decode(uint8_t first, const uint8_t *p, size_t len, struct ikev2_chain *c)
{
	struct rd r = rd_init(p, len);
	uint8_t type = first;

	memset(c, 0, sizeof(*c));
	while (type != IKEV2_PLD_NONE) {
		uint8_t next, flags;
		uint16_t plen;
		struct rd body;

		if (rd_u8(&r, &next) || rd_u8(&r, &flags) || rd_be16(&r, &plen))
			return RMC_ETRUNC;
		if (plen < IKEV2_GEN_HDR_LEN)
			return RMC_EINVAL;
		if (rd_sub(&r, plen - IKEV2_GEN_HDR_LEN, &body))
			return RMC_ETRUNC;
		if (!pld_known(type)) {
			/* §2.5: skip unknown payloads unless critical. */
			if (flags & IKEV2_CRITICAL) {
				c->bad_critical = type;
				return RMC_EUNSUP;
			}
			c->skipped++;
			type = next;
			continue;
		}
		if (c->n == IKEV2_MAX_PLD)
			return RMC_EINVAL;
		c->pld[c->n].type = type;
		c->pld[c->n].critical = flags & IKEV2_CRITICAL;
		c->pld[c->n].body = body.p;
		c->pld[c->n].len = body.len;
		c->n++;
		if (type == IKEV2_PLD_SK) {
			/* §3.14: SK is the last payload; its Next Payload names the first inner
			 * one. */
			if (rd_left(&r) != 0)
				return RMC_EINVAL;
			c->sk_inner = next;
			return RMC_OK;
		}
		type = next;
	}
	/* Trailing bytes after the last payload are a malformed message. */
	return rd_left(&r) ? RMC_EINVAL : RMC_OK;
}

const struct ikev2_pld *
ikev2_chain_find(const struct ikev2_chain *c, uint8_t type)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->pld[i].type == type)
			return &c->pld[i];
	return NULL;
}

/* §3.3.2: Transform Substructure, attributes §3.3.5 */
static int
xform_decode(struct rd *r, struct ikev2_xform *xf, uint8_t *last)
{
	uint8_t res, type, res2;
	uint16_t len, id;
	struct rd a;

	if (rd_u8(r, last) || rd_u8(r, &res) || rd_be16(r, &len))
		return RMC_ETRUNC;
	if (*last != 0 && *last != 3)
		return RMC_EINVAL;
	if (len < 8)
		return RMC_EINVAL;
	if (rd_sub(r, len - 4, &a))
		return RMC_ETRUNC;
	rd_u8(&a, &type);
	rd_u8(&a, &res2);
	rd_be16(&a, &id);
	memset(xf, 0, sizeof(*xf));
	xf->type = type;
	xf->id = id;
	while (rd_left(&a)) {
		uint16_t at, av;
		if (rd_be16(&a, &at) || rd_be16(&a, &av))
			return RMC_ETRUNC;
		if (at & IKEV2_ATTR_TV) {
			if ((at & 0x7fff) == IKEV2_ATTR_KEY_LENGTH)
				xf->keylen = av;
			else
				xf->bad_attr = true;
		} else {
			/* TLV: av is the value length. */
			if (rd_skip(&a, av))
				return RMC_ETRUNC;
			xf->bad_attr = true;
		}
	}
	return RMC_OK;
}

/* §3.3.1: Proposal Substructure */
static int
prop_decode(struct rd *r, struct ikev2_prop *pr, uint8_t *last)
{
	uint8_t res, nxf, xlast = 3;
	uint16_t len;
	struct rd b;
	int rc;

	if (rd_u8(r, last) || rd_u8(r, &res) || rd_be16(r, &len))
		return RMC_ETRUNC;
	if (*last != 0 && *last != 2)
		return RMC_EINVAL;
	if (len < 8)
		return RMC_EINVAL;
	if (rd_sub(r, len - 4, &b))
		return RMC_ETRUNC;
	memset(pr, 0, sizeof(*pr));
	rd_u8(&b, &pr->num);
	rd_u8(&b, &pr->proto);
	rd_u8(&b, &pr->spi_size);
	rd_u8(&b, &nxf);
	if (pr->spi_size != 0 && pr->spi_size != 4 && pr->spi_size != 8)
		return RMC_EINVAL;
	if (rd_copy(&b, pr->spi, pr->spi_size))
		return RMC_ETRUNC;
	for (size_t i = 0; i < nxf; i++) {
		struct ikev2_xform xf;
		if (xlast != 3)
			return RMC_EINVAL; /* a transform after the one marked last */
		rc = xform_decode(&b, &xf, &xlast);
		if (rc)
			return rc;
		if (pr->nxf == IKEV2_MAX_XFORMS)
			return RMC_EINVAL;
		pr->xf[pr->nxf++] = xf;
	}
	/* The count, the "last" marks and the length must all agree. */
	if (xlast != 0 || rd_left(&b))
		return RMC_EINVAL;
	return RMC_OK;
}

int
ikev2_sa_decode(const uint8_t *p, size_t len, struct ikev2_sa *sa)
{
	struct rd r = rd_init(p, len);
	uint8_t last = 2;
	int rc;

	memset(sa, 0, sizeof(*sa));
	while (last == 2) {
		if (sa->n == IKEV2_MAX_PROPS)
			return RMC_EINVAL;
		rc = prop_decode(&r, &sa->prop[sa->n], &last);
		if (rc)
			return rc;
		/* §3.3.1: first proposal is 1, each next one the same or one more. */
		uint8_t want = sa->n ? sa->prop[sa->n - 1].num : 1;
		if (sa->prop[sa->n].num != want && sa->prop[sa->n].num != want + 1)
			return RMC_EINVAL;
		sa->n++;
	}
	return rd_left(&r) ? RMC_EINVAL : RMC_OK;
}

int
ikev2_ke_decode(const uint8_t *p, size_t len, struct ikev2_ke *ke)
{
	struct rd r = rd_init(p, len);
	uint16_t res;

	if (rd_be16(&r, &ke->group) || rd_be16(&r, &res))
		return RMC_ETRUNC;
	ke->data = rd_ptr(&r);
	ke->len = rd_left(&r);
	return ke->len ? RMC_OK : RMC_ETRUNC;
}

int
ikev2_nonce_check(size_t len)
{
	return (len >= IKEV2_NONCE_MIN && len <= IKEV2_NONCE_MAX) ? RMC_OK : RMC_EINVAL;
}

int
ikev2_id_decode(const uint8_t *p, size_t len, struct ikev2_idpl *id)
{
	if (len < 4)
		return RMC_ETRUNC;
	id->type = p[0];
	id->data = p + 4;
	id->len = len - 4;
	id->body = p;
	id->body_len = len;
	return RMC_OK;
}

int
ikev2_notify_decode(const uint8_t *p, size_t len, struct ikev2_notify *n)
{
	struct rd r = rd_init(p, len);

	if (rd_u8(&r, &n->proto) || rd_u8(&r, &n->spi_size) || rd_be16(&r, &n->type))
		return RMC_ETRUNC;
	n->spi = rd_ptr(&r);
	if (rd_skip(&r, n->spi_size))
		return RMC_ETRUNC;
	n->data = rd_ptr(&r);
	n->data_len = rd_left(&r);
	return RMC_OK;
}

int
ikev2_delete_decode(const uint8_t *p, size_t len, struct ikev2_delete *d)
{
	struct rd r = rd_init(p, len);

	if (rd_u8(&r, &d->proto) || rd_u8(&r, &d->spi_size) || rd_be16(&r, &d->nspi))
		return RMC_ETRUNC;
	/* §3.11: IKE SA deletes carry no SPI; AH/ESP ones carry 4-octet SPIs. */
	if (d->proto == IKEV2_PROTO_IKE) {
		if (d->spi_size != 0 || d->nspi != 0)
			return RMC_EINVAL;
	} else if (d->proto == IKEV2_PROTO_AH || d->proto == IKEV2_PROTO_ESP) {
		if (d->spi_size != 4)
			return RMC_EINVAL;
	} else {
		return RMC_EINVAL;
	}
	if ((size_t)d->spi_size * d->nspi != rd_left(&r))
		return RMC_EINVAL;
	d->spis = rd_ptr(&r);
	return RMC_OK;
}

int
ikev2_ts_decode(const uint8_t *p, size_t len, struct ikev2_ts *ts)
{
	struct rd r = rd_init(p, len);
	uint8_t n, res;

	memset(ts, 0, sizeof(*ts));
	if (rd_u8(&r, &n) || rd_skip(&r, 3))
		return RMC_ETRUNC;
	if (n == 0 || n > IKEV2_MAX_TS)
		return RMC_EINVAL;
	for (uint8_t i = 0; i < n; i++) {
		uint8_t type;
		uint16_t slen;
		struct ikev2_ts_entry *e = &ts->ts[i];
		if (rd_u8(&r, &type) || rd_u8(&r, &e->ipproto) || rd_be16(&r, &slen))
			return RMC_ETRUNC;
		/* Only IPv4 ranges: others would be TS_UNACCEPTABLE for us anyway. */
		if (type != IKEV2_TS_IPV4_ADDR_RANGE || slen != IKEV2_TS_IPV4_LEN)
			return RMC_EUNSUP;
		if (rd_be16(&r, &e->sport) || rd_be16(&r, &e->eport) || rd_be32(&r, &e->saddr) ||
		    rd_be32(&r, &e->eaddr))
			return RMC_ETRUNC;
	}
	(void)res;
	ts->n = n;
	return rd_left(&r) ? RMC_EINVAL : RMC_OK;
}

int
ikev2_chain_notify(const struct ikev2_chain *c, uint16_t type, struct ikev2_notify *n)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->pld[i].type != IKEV2_PLD_NOTIFY)
			continue;
		if (ikev2_notify_decode(c->pld[i].body, c->pld[i].len, n) == 0 && n->type == type)
			return RMC_OK;
	}
	return RMC_ENOENT;
}

void
ikev2_wr_init(struct ikev2_wr *b, uint8_t *buf, size_t cap, uint8_t *first_np)
{
	b->w = wr_init(buf, cap);
	b->np = first_np;
	*first_np = IKEV2_PLD_NONE;
	b->open = false;
	b->err = 0;
}

static void
wr_check(struct ikev2_wr *b, int rc)
{
	if (rc && !b->err)
		b->err = rc;
}

void
ikev2_wr_begin(struct ikev2_wr *b, uint8_t type)
{
	if (b->err)
		return;
	b->start = b->w.off;
	wr_check(b, wr_bytes(&b->w, "\0\0\0\0", 4));
	if (b->err)
		return;
	*b->np = type;
	b->np = b->w.p + b->start;
	b->open = true;
}

void
ikev2_wr_end(struct ikev2_wr *b)
{
	if (b->err || !b->open)
		return;
	size_t len = b->w.off - b->start;
	if (len > 0xffff) {
		b->err = RMC_ENOSPC;
		return;
	}
	put_be16(b->w.p + b->start + 2, (uint16_t)len);
	b->open = false;
}

void
ikev2_wr_bytes(struct ikev2_wr *b, const void *p, size_t n)
{
	if (!b->err)
		wr_check(b, wr_bytes(&b->w, p, n));
}

void
ikev2_wr_u8(struct ikev2_wr *b, uint8_t v)
{
	ikev2_wr_bytes(b, &v, 1);
}

void
ikev2_wr_be16(struct ikev2_wr *b, uint16_t v)
{
	uint8_t q[2];
	put_be16(q, v);
	ikev2_wr_bytes(b, q, 2);
}

void
ikev2_wr_be32(struct ikev2_wr *b, uint32_t v)
{
	uint8_t q[4];
	put_be32(q, v);
	ikev2_wr_bytes(b, q, 4);
}

void
ikev2_put_sa(struct ikev2_wr *b, const struct ikev2_prop_out *props, size_t n)
{
	ikev2_wr_begin(b, IKEV2_PLD_SA);
	for (size_t i = 0; i < n && !b->err; i++) {
		const struct ikev2_prop_out *pr = &props[i];
		size_t pstart = b->w.off;
		ikev2_wr_u8(b, i + 1 < n ? 2 : 0);
		ikev2_wr_u8(b, 0);
		ikev2_wr_be16(b, 0);
		ikev2_wr_u8(b, pr->num ? pr->num : (uint8_t)(i + 1));
		ikev2_wr_u8(b, pr->proto);
		ikev2_wr_u8(b, pr->spi_size);
		ikev2_wr_u8(b, (uint8_t)pr->nxf);
		ikev2_wr_bytes(b, pr->spi, pr->spi_size);
		for (size_t j = 0; j < pr->nxf; j++) {
			const struct ikev2_xform *xf = &pr->xf[j];
			ikev2_wr_u8(b, j + 1 < pr->nxf ? 3 : 0);
			ikev2_wr_u8(b, 0);
			ikev2_wr_be16(b, xf->keylen ? 12 : 8);
			ikev2_wr_u8(b, xf->type);
			ikev2_wr_u8(b, 0);
			ikev2_wr_be16(b, xf->id);
			if (xf->keylen) {
				ikev2_wr_be16(b, IKEV2_ATTR_TV | IKEV2_ATTR_KEY_LENGTH);
				ikev2_wr_be16(b, xf->keylen);
			}
		}
		if (!b->err)
			put_be16(b->w.p + pstart + 2, (uint16_t)(b->w.off - pstart));
	}
	ikev2_wr_end(b);
}

void
ikev2_put_ke(struct ikev2_wr *b, uint16_t group, const uint8_t *d, size_t n)
{
	ikev2_wr_begin(b, IKEV2_PLD_KE);
	ikev2_wr_be16(b, group);
	ikev2_wr_be16(b, 0);
	ikev2_wr_bytes(b, d, n);
	ikev2_wr_end(b);
}

void
ikev2_put_nonce(struct ikev2_wr *b, const uint8_t *d, size_t n)
{
	ikev2_wr_begin(b, IKEV2_PLD_NONCE);
	ikev2_wr_bytes(b, d, n);
	ikev2_wr_end(b);
}

void
ikev2_put_id(struct ikev2_wr *b, uint8_t pld, uint8_t type, const uint8_t *d, size_t n)
{
	ikev2_wr_begin(b, pld);
	ikev2_wr_u8(b, type);
	ikev2_wr_bytes(b, "\0\0\0", 3);
	ikev2_wr_bytes(b, d, n);
	ikev2_wr_end(b);
}

void
ikev2_put_auth(struct ikev2_wr *b, uint8_t method, const uint8_t *d, size_t n)
{
	ikev2_put_id(b, IKEV2_PLD_AUTH, method, d, n);
}

void
ikev2_put_notify(struct ikev2_wr *b, uint8_t proto, const uint8_t *spi, uint8_t spi_size,
		 uint16_t type, const uint8_t *d, size_t n)
{
	ikev2_wr_begin(b, IKEV2_PLD_NOTIFY);
	ikev2_wr_u8(b, proto);
	ikev2_wr_u8(b, spi_size);
	ikev2_wr_be16(b, type);
	ikev2_wr_bytes(b, spi, spi_size);
	ikev2_wr_bytes(b, d, n);
	ikev2_wr_end(b);
}

void
ikev2_put_delete(struct ikev2_wr *b, uint8_t proto, const uint32_t *spis, size_t n)
{
	ikev2_wr_begin(b, IKEV2_PLD_DELETE);
	ikev2_wr_u8(b, proto);
	ikev2_wr_u8(b, proto == IKEV2_PROTO_IKE ? 0 : 4);
	ikev2_wr_be16(b, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		ikev2_wr_be32(b, spis[i]);
	ikev2_wr_end(b);
}

void
ikev2_put_ts(struct ikev2_wr *b, uint8_t pld, const struct ikev2_ts_entry *ts, size_t n)
{
	ikev2_wr_begin(b, pld);
	ikev2_wr_u8(b, (uint8_t)n);
	ikev2_wr_bytes(b, "\0\0\0", 3);
	for (size_t i = 0; i < n; i++) {
		ikev2_wr_u8(b, IKEV2_TS_IPV4_ADDR_RANGE);
		ikev2_wr_u8(b, ts[i].ipproto);
		ikev2_wr_be16(b, IKEV2_TS_IPV4_LEN);
		ikev2_wr_be16(b, ts[i].sport);
		ikev2_wr_be16(b, ts[i].eport);
		ikev2_wr_be32(b, ts[i].saddr);
		ikev2_wr_be32(b, ts[i].eaddr);
	}
	ikev2_wr_end(b);
}

const char *
ikev2_exch_name(uint8_t exch)
{
#define IKEV2_EXCH_NAME_(name, value, text, word)                                                  \
	case name:                                                                                 \
		return text;
	switch (exch) {
		IKEV2_EXCHANGES(IKEV2_EXCH_NAME_)
	}
#undef IKEV2_EXCH_NAME_
	return "unknown";
}

const char *
ikev2_notify_name(uint16_t type)
{
	switch (type) {
	case IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD:
		return "UNSUPPORTED_CRITICAL_PAYLOAD";
	case IKEV2_N_INVALID_SYNTAX:
		return "INVALID_SYNTAX";
	case IKEV2_N_NO_PROPOSAL_CHOSEN:
		return "NO_PROPOSAL_CHOSEN";
	case IKEV2_N_INVALID_KE_PAYLOAD:
		return "INVALID_KE_PAYLOAD";
	case IKEV2_N_AUTHENTICATION_FAILED:
		return "AUTHENTICATION_FAILED";
	case IKEV2_N_TS_UNACCEPTABLE:
		return "TS_UNACCEPTABLE";
	case IKEV2_N_TEMPORARY_FAILURE:
		return "TEMPORARY_FAILURE";
	case IKEV2_N_CHILD_SA_NOT_FOUND:
		return "CHILD_SA_NOT_FOUND";
	case IKEV2_N_USE_TRANSPORT_MODE:
		return "USE_TRANSPORT_MODE";
	case IKEV2_N_REKEY_SA:
		return "REKEY_SA";
	}
	return "notify";
}
