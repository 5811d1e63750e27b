/*
 * Two IKE endpoints wired back to back inside a test: every datagram one
 * emits is queued for the other, and the pump delivers them in order
 * unless the test's filter drops or rewrites one. Virtual time only moves
 * when the test moves it.
 */
#ifndef RMCPSEC_NODES_TESTS_TEST_IKE_HARNESS_H
#define RMCPSEC_NODES_TESTS_TEST_IKE_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include "nodes/ike.h"

/* splitmix64: a deterministic byte source for SPIs, nonces and DH keys. */
static inline void
h_rand(void *ctx, uint8_t *buf, size_t n)
{
	uint64_t *s = ctx;
	for (size_t i = 0; i < n; i++) {
		uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		buf[i] = (uint8_t)(z ^ (z >> 31));
	}
}

enum { H_MAX_EV = 64, H_QUEUE = 16 };

struct h_peer {
	struct ike e;
	struct ike_out o;
	uint64_t seed;
	struct ike_event ev[H_MAX_EV];
	size_t nev;
	uint64_t timer_at;
	/* the last datagrams this peer sent, for replay tests */
	uint8_t last[IKEV2_MSG_MAX];
	size_t last_len;
};

struct h_msg {
	int to; /* 0: a, 1: b */
	uint8_t b[IKEV2_MSG_MAX];
	size_t len;
};

struct h_net {
	struct h_peer *p[2];
	struct h_msg q[H_QUEUE];
	size_t nq;
	uint64_t now;
	size_t delivered;
	/* return false to drop; may rewrite the message */
	bool (*filter)(struct h_net *n, struct h_msg *m);
	void *fctx;
};

static inline void
h_cfg(struct ike_cfg *c, uint32_t local, uint32_t peer, uint64_t *seed)
{
	memset(c, 0, sizeof(*c));
	c->local_addr = local;
	c->peer_addr = peer;
	c->ts_proto = 17;
	c->ts_port = 664;
	memcpy(c->psk, "rmcpsec-test-psk", 16);
	c->psk_len = 16;
	c->ike_keylen = 128;
	c->dh_group = IKEV2_DH_CURVE25519;
	c->suites[0] = IKE_SUITE_ESP_GCM128;
	c->suites[1] = IKE_SUITE_ESP_CBC_SHA256;
	c->suites[2] = IKE_SUITE_AH_SHA256;
	c->nsuites = 3;
	c->retrans_base = 1000;
	c->retrans_tries = 3;
	c->rand_bytes = h_rand;
	c->rand_ctx = seed;
}

/* Moves what p emitted into the queue and its events into its log. */
static inline void
h_collect(struct h_net *n, int idx)
{
	struct h_peer *p = n->p[idx];
	for (size_t i = 0; i < p->o.nmsg; i++) {
		if (n->nq == H_QUEUE)
			abort();
		struct h_msg *m = &n->q[n->nq++];
		m->to = !idx;
		memcpy(m->b, p->o.msg[i], p->o.len[i]);
		m->len = p->o.len[i];
		memcpy(p->last, p->o.msg[i], p->o.len[i]);
		p->last_len = p->o.len[i];
	}
	for (size_t i = 0; i < p->o.nev && p->nev < H_MAX_EV; i++)
		p->ev[p->nev++] = p->o.ev[i];
	p->timer_at = p->o.timer_at;
	if (p->o.dropped)
		abort();
	ike_out_reset(&p->o);
}

static inline void
h_pump(struct h_net *n)
{
	while (n->nq) {
		struct h_msg m = n->q[0];
		memmove(n->q, n->q + 1, (n->nq - 1) * sizeof(n->q[0]));
		n->nq--;
		if (n->filter && !n->filter(n, &m))
			continue;
		n->delivered++;
		ike_input(&n->p[m.to]->e, n->now, m.b, m.len, &n->p[m.to]->o);
		h_collect(n, m.to);
	}
}

static inline void
h_setup(struct h_net *n, struct h_peer *a, struct h_peer *b)
{
	struct ike_cfg ca, cb;
	/* peers are static in the tests: free what a previous setup left */
	ike_free(&a->e);
	ike_free(&b->e);
	memset(n, 0, sizeof(*n));
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->seed = 1;
	b->seed = 2;
	h_cfg(&ca, 0x0a000001, 0x0a000002, &a->seed);
	h_cfg(&cb, 0x0a000002, 0x0a000001, &b->seed);
	if (ike_init(&a->e, &ca) || ike_init(&b->e, &cb))
		abort();
	ike_out_reset(&a->o);
	ike_out_reset(&b->o);
	n->p[0] = a;
	n->p[1] = b;
}

static inline size_t
h_count(const struct h_peer *p, enum ike_ev_type t)
{
	size_t k = 0;
	for (size_t i = 0; i < p->nev; i++)
		k += p->ev[i].type == t;
	return k;
}

static inline const struct ike_event *
h_last(const struct h_peer *p, enum ike_ev_type t)
{
	for (size_t i = p->nev; i-- > 0;)
		if (p->ev[i].type == t)
			return &p->ev[i];
	return NULL;
}

/* Both directions of a CHILD_SA pair hold the same keys. */
static inline bool
h_child_pair_ok(const struct ike_child_sa *x, const struct ike_child_sa *y)
{
	return x->suite == y->suite && x->spi_in == y->spi_out && x->spi_out == y->spi_in &&
	       x->encr_len == y->encr_len && x->integ_len == y->integ_len &&
	       !memcmp(x->encr_in, y->encr_out, x->encr_len) &&
	       !memcmp(x->encr_out, y->encr_in, x->encr_len) &&
	       !memcmp(x->integ_in, y->integ_out, x->integ_len) &&
	       !memcmp(x->integ_out, y->integ_in, x->integ_len) &&
	       (x->encr_len ? memcmp(x->encr_in, x->encr_out, x->encr_len) != 0
			    : memcmp(x->integ_in, x->integ_out, x->integ_len) != 0);
}

static inline void
h_handshake(struct h_net *n)
{
	ike_start(&n->p[0]->e, n->now, &n->p[0]->o);
	h_collect(n, 0);
	h_pump(n);
}

#endif
