/*
 * A small LAN for the mutant tests (nodes/mutant.h): one reference client
 * and one or two reference servers, driven through their node interfaces
 * in virtual time. Every frame any node sends reaches every other node,
 * after the harness has logged what it is (opening IPsec with the keys
 * the nodes export, as the simulator's observer does) and the test's
 * filter had a chance to drop it. The test also plays the adversary: it
 * injects clear or sealed frames, under any SA it knows, with a chosen
 * sequence number, damaged after sealing if it likes.
 */
#ifndef RMCPSEC_NODES_TESTS_TEST_MUTANTS_LAN_H
#define RMCPSEC_NODES_TESTS_TEST_MUTANTS_LAN_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nodes/client.h"
#include "nodes/server.h"
#include "nodes/store.h"
#include "proto/commit_wire.h"
#include "proto/err.h"
#include "proto/pkt.h"
#include "proto/rd.h"
#include "proto/rmcp.h"

#define MS  1000000ULL
#define SEC 1000000000ULL

enum {
	LAN_CLIENT = 0, /* node 0 is the client, 1 and 2 the servers */
	LAN_SRV_MAX = 2,
	LAN_NODES = 1 + LAN_SRV_MAX,
	LAN_QUEUE = 256,
	LAN_LOG = 4096,
	LAN_KEYS = 32,
	LAN_IKE_SA_INIT = 34, /* RFC 7296 §3.1 exchange type */
};

static const uint8_t LAN_CMAC[6] = {2, 0, 0, 0, 2, 1};
static const uint8_t LAN_SMAC[LAN_SRV_MAX][6] = {{2, 0, 0, 0, 1, 1}, {2, 0, 0, 0, 1, 2}};
static const uint32_t LAN_CIP = 0xC0000265, LAN_SIP[LAN_SRV_MAX] = {0xC0000201, 0xC0000202};
static const uint8_t LAN_PSK[32] = "0123456789abcdef0123456789abcdef";

/* One frame as it left a node, as far as the harness could read it. */
struct lan_seen {
	uint64_t t;
	int from;    /* node index; -1: injected by the test */
	bool to_nic; /* addressed to the client */
	bool ipsec, opened;
	uint32_t spi;	/* outermost IPsec SPI */
	uint8_t iv[8];	/* ESP's first 8 IV bytes (the GCM IV) */
	uint16_t dport; /* UDP destination port, the inner one when opened */
	bool rmcp, ack; /* an RMCP message; an RMCP ACK */
	uint32_t iana;	/* ASF_IANA or ASF_IANA_COMMIT */
	uint8_t type;	/* ASF or commit message type */
	uint32_t txid;	/* commit messages */
	bool ike_init;	/* an IKE_SA_INIT request */
	bool dropped;	/* the test's filter dropped it */
};

struct lan {
	struct client c;
	struct server s[LAN_SRV_MAX];
	size_t nsrv;
	bool up; /* lan_start ran, lan_fini did not */
	struct store *store;
	char store_path[512];
	uint64_t now;
	uint64_t timer[LAN_NODES][NODE_TIMER_IDS];
	struct {
		int from;
		size_t len;
		uint8_t b[NODE_FRAME_MAX];
	} q[LAN_QUEUE];
	size_t qh, qn;
	struct nvram_sa key[LAN_KEYS]; /* as the NIC stores each SA */
	size_t nkeys;
	struct lan_seen log[LAN_LOG];
	size_t nlog;
	bool (*drop)(const struct lan_seen *f); /* the test's filter: true drops the frame */
};

static struct lan L;
static struct node_out lan_out;

static inline void
lan_add_key(struct lan *l, const struct nvram_sa *sa)
{
	for (size_t i = 0; i < l->nkeys; i++)
		if (l->key[i].spi_in == sa->spi_in)
			return;
	cr_assert_lt(l->nkeys, LAN_KEYS);
	l->key[l->nkeys++] = *sa;
}

static inline const struct nvram_sa *
lan_key_in(const struct lan *l, uint32_t spi_in)
{
	for (size_t i = 0; i < l->nkeys; i++)
		if (l->key[i].spi_in == spi_in)
			return &l->key[i];
	return NULL;
}

static inline const struct nvram_sa *
lan_key_out(const struct lan *l, uint32_t spi_out)
{
	for (size_t i = 0; i < l->nkeys; i++)
		if (l->key[i].spi_out == spi_out)
			return &l->key[i];
	return NULL;
}

static inline void
lan_read_rmcp(struct lan_seen *s, const uint8_t *p, size_t n)
{
	struct rmcp_msg m;
	if (rmcp_decode(p, n, &m) != RMC_OK)
		return;
	s->rmcp = true;
	s->ack = m.is_ack;
	s->iana = m.iana;
	s->type = m.type;
	struct commit_wire w;
	if (!m.is_ack && m.iana == ASF_IANA_COMMIT && commit_wire_decode(&m, &w) == RMC_OK)
		s->txid = w.txid;
}

/* Opens an IPsec frame with a fresh pair of the exported key (its own replay window). */
static inline void
lan_open(const struct lan *l, struct lan_seen *s, const struct pkt *pk)
{
	const struct nvram_sa *k = s->to_nic ? lan_key_in(l, s->spi) : lan_key_out(l, s->spi);
	struct sec_pair p;
	uint8_t inner[NODE_FRAME_MAX];
	size_t n;
	struct ipv4_hdr ih;
	struct udp_hdr uh;
	if (!k || sec_pair_init(&p, k, s->to_nic ? SEC_NIC : SEC_SERVER, 0) != RMC_OK)
		return;
	bool ok = sec_open_ipv4(&p, pk->l3, pk->l3_len, inner, sizeof(inner), &n) == RMC_OK &&
		  ipv4_decode(inner, n, &ih) == RMC_OK && ih.proto == IPPROTO_UDP_ &&
		  udp_decode(inner + ih.ihl, ih.tot_len - ih.ihl, ih.src, ih.dst, &uh) == RMC_OK;
	sec_pair_fini(&p);
	if (!ok)
		return;
	s->opened = true;
	s->dport = uh.dport;
	lan_read_rmcp(s, inner + ih.ihl + UDP_HLEN, uh.len - UDP_HLEN);
}

static inline void
lan_classify(const struct lan *l, int from, const uint8_t *f, size_t len, struct lan_seen *s)
{
	struct pkt pk;
	memset(s, 0, sizeof(*s));
	s->t = l->now;
	s->from = from;
	if (pkt_decode(f, len, &pk) != RMC_OK || pk.kind == PKT_ARP)
		return;
	s->to_nic = pk.ip.dst == LAN_CIP;
	if (pk.kind == PKT_UDP) {
		s->dport = pk.udp.dport;
		if (pk.udp.dport == 500)
			s->ike_init = pk.payload_len > 19 && pk.payload[18] == LAN_IKE_SA_INIT &&
				      !(pk.payload[19] & 0x20);
		else
			lan_read_rmcp(s, pk.payload, pk.payload_len);
		return;
	}
	if (pk.kind != PKT_IPV4 || (pk.ip.proto != IPPROTO_ESP_ && pk.ip.proto != IPPROTO_AH_))
		return;
	s->ipsec = true;
	s->spi = pkt_ipsec_spi(&pk);
	if (pk.ip.proto == IPPROTO_ESP_ && pk.l4_len >= 16)
		memcpy(s->iv, pk.l4 + 8, 8);
	lan_open(l, s, &pk);
}

/* Takes a node's output: keys first (a frame may need them), timers, then frames. */
static inline void
lan_take(struct lan *l, int from, struct node_out *o)
{
	cr_assert_eq(o->dropped, 0, "node %d: output did not fit", from);
	for (size_t i = 0; i < o->nkeys; i++)
		lan_add_key(l, &o->keys[i].sa);
	for (size_t i = 0; i < o->ntimers; i++)
		l->timer[from][o->timers[i].id] = o->timers[i].at;
	for (size_t i = 0; i < o->nframes; i++) {
		const uint8_t *f = o->buf + o->frame_off[i];
		size_t n = o->frame_len[i];
		cr_assert_lt(l->nlog, LAN_LOG, "frame log full");
		struct lan_seen *s = &l->log[l->nlog++];
		lan_classify(l, from, f, n, s);
		s->dropped = l->drop && l->drop(s);
		if (s->dropped)
			continue;
		cr_assert_lt(l->qn, LAN_QUEUE, "frame queue full");
		size_t k = (l->qh + l->qn++) % LAN_QUEUE;
		l->q[k].from = from;
		l->q[k].len = n;
		memcpy(l->q[k].b, f, n);
	}
	node_out_reset(o);
}

static inline void
lan_frame_to(struct lan *l, int node, const uint8_t *f, size_t n)
{
	if (node == LAN_CLIENT)
		client_on_frame(&l->c, l->now, f, n, &lan_out);
	else
		server_on_frame(&l->s[node - 1], l->now, f, n, &lan_out);
	lan_take(l, node, &lan_out);
}

/* Every queued frame to every node but its sender, until the LAN is quiet. */
static inline void
lan_deliver(struct lan *l)
{
	static uint8_t f[NODE_FRAME_MAX];
	while (l->qn) {
		int from = l->q[l->qh].from;
		size_t n = l->q[l->qh].len;
		memcpy(f, l->q[l->qh].b, n);
		l->qh = (l->qh + 1) % LAN_QUEUE;
		l->qn--;
		for (int node = 0; node < (int)(1 + l->nsrv); node++)
			if (node != from)
				lan_frame_to(l, node, f, n);
	}
}

/* Fires every timer due up to t in time order, delivering what each one sends. */
static inline void
lan_run_until(struct lan *l, uint64_t t)
{
	lan_deliver(l);
	for (;;) {
		int bn = -1;
		uint32_t bid = 0;
		uint64_t at = NODE_TIMER_NEVER;
		for (int node = 0; node < (int)(1 + l->nsrv); node++)
			for (uint32_t id = 0; id < NODE_TIMER_IDS; id++)
				if (l->timer[node][id] < at) {
					at = l->timer[node][id];
					bn = node;
					bid = id;
				}
		if (bn < 0 || at > t)
			break;
		if (at > l->now)
			l->now = at;
		l->timer[bn][bid] = NODE_TIMER_NEVER;
		if (bn == LAN_CLIENT)
			client_on_timer(&l->c, l->now, bid, &lan_out);
		else
			server_on_timer(&l->s[bn - 1], l->now, bid, &lan_out);
		lan_take(l, bn, &lan_out);
		lan_deliver(l);
	}
	l->now = t;
}

static inline void
lan_client_power(struct lan *l, enum power_cause cause)
{
	cr_assert_eq(client_power_event(&l->c, l->now, cause, &lan_out), RMC_OK, "%s",
		     power_cause_name(cause));
	lan_take(l, LAN_CLIENT, &lan_out);
	lan_deliver(l);
}

static inline void
lan_server_power(struct lan *l, size_t i, enum power_cause cause)
{
	cr_assert_eq(server_power_event(&l->s[i], l->now, cause, &lan_out), RMC_OK, "%s",
		     power_cause_name(cause));
	lan_take(l, (int)(1 + i), &lan_out);
	lan_deliver(l);
}

/* Server i asks the client for asf_type (a request or a command); returns server_send's rc. */
static inline int
lan_send(struct lan *l, size_t i, uint8_t asf_type, enum server_via via)
{
	int rc = server_send(&l->s[i], l->now, 0, asf_type, via, &lan_out);
	lan_take(l, (int)(1 + i), &lan_out);
	lan_deliver(l);
	return rc;
}

/* The SA both ends are provisioned with in the tests that need no IKE (the NIC's view). */
static inline struct nvram_sa
lan_provisioned_sa(uint8_t suite)
{
	struct nvram_sa s = {.suite = suite, .spi_in = 0x1111, .spi_out = 0x2222, .txid = 1};
	mgmt_suite_key_lens(suite, &s.key_len, &s.salt_len, &s.integ_key_len);
	for (int i = 0; i < 32; i++) {
		s.key[i] = (uint8_t)i;
		s.key_in[i] = (uint8_t)(0x80 + i);
		s.integ_key[i] = (uint8_t)(0x40 + i);
		s.integ_key_in[i] = (uint8_t)(0xc0 + i);
	}
	memcpy(s.salt, "salt", 4);
	memcpy(s.salt_in, "SALT", 4);
	return s;
}

/* A client as the scenarios build one: its policy bits, its SA or its host's IKE. */
static inline struct client_cfg
lan_client_cfg(enum mutant m, uint8_t provisioned_suite, bool ike)
{
	struct client_cfg cc = {.name = "c1",
				.ip = LAN_CIP,
				.power = PWR_OS_UP,
				.boot_ns = 20 * SEC,
				.replay_window = 64,
				.profile = COMMIT_ROBUST,
				.timing = commit_timing_default(),
				.mutant = m};
	memcpy(cc.mac, LAN_CMAC, 6);
	nvram_config_default(&cc.nvram);
	if (provisioned_suite)
		cc.sa = lan_provisioned_sa(provisioned_suite);
	cc.ike = (struct client_ike_cfg){.enabled = ike,
					 .server_ip = LAN_SIP[0],
					 .psk_len = sizeof(LAN_PSK),
					 .suite = MGMT_ESP_GCM_128,
					 .retrans_ns = 500 * MS,
					 .rand_seed = 11};
	memcpy(cc.ike.psk, LAN_PSK, sizeof(LAN_PSK));
	return cc;
}

static inline struct server_cfg
lan_server_cfg(enum mutant m, size_t i, bool ike)
{
	struct server_cfg sc = {.name = "s",
				.ip = LAN_SIP[i],
				.retx_ns = 1 * SEC,
				.retries = 3,
				.first_ip_id = (uint16_t)(100 * (i + 1)),
				.ike = ike,
				.suite = MGMT_ESP_GCM_128,
				.ike_retrans_ns = 500 * MS,
				.rand_seed = 5 + i,
				.profile = COMMIT_ROBUST,
				.timing = commit_timing_default(),
				.poll_ns = ike ? 5 * SEC : 0,
				.service_ip = LAN_SIP[0],
				.mutant = m};
	snprintf(sc.name, sizeof(sc.name), "s%zu", i);
	memcpy(sc.mac, LAN_SMAC[i], 6);
	return sc;
}

/* A store file of the test's own in the build tree, gone again in lan_fini. */
static inline struct store *
lan_store(struct lan *l)
{
	char err[STORE_ERR_LEN];
	snprintf(l->store_path, sizeof(l->store_path), "%s/mutants-store-XXXXXX", RMCPSEC_BIN_DIR);
	int fd = mkstemp(l->store_path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(store_open(l->store_path, &l->store, err, sizeof(err)), RMC_OK, "%s", err);
	return l->store;
}

/*
 * Brings the LAN up at time 0: the client, then each server with the
 * client in its inventory (its PSK, or the provisioned SA the client holds).
 */
static inline void
lan_start(struct lan *l, const struct client_cfg *cc, const struct server_cfg *sc, size_t nsrv)
{
	memset(l, 0, sizeof(*l));
	for (int n = 0; n < LAN_NODES; n++)
		for (int id = 0; id < NODE_TIMER_IDS; id++)
			l->timer[n][id] = NODE_TIMER_NEVER;
	node_out_reset(&lan_out);
	cr_assert_eq(client_init(&l->c, cc), RMC_OK);
	l->up = true;
	if (cc->sa.suite)
		lan_add_key(l, &cc->sa);
	l->nsrv = nsrv;
	for (size_t i = 0; i < nsrv; i++) {
		struct server_cfg c = sc[i];
		if (c.ike || c.role)
			c.store = l->store ? l->store : lan_store(l);
		cr_assert_eq(server_init(&l->s[i], &c), RMC_OK);
		cr_assert_eq(server_add_client(&l->s[i], "c1", LAN_CIP), RMC_OK);
		cr_assert_eq(server_set_client_psk(&l->s[i], 0, LAN_PSK, sizeof(LAN_PSK)), RMC_OK);
		if (cc->sa.suite)
			cr_assert_eq(server_set_client_sa(&l->s[i], 0, &cc->sa, 64), RMC_OK);
	}
	for (size_t i = 0; i < nsrv; i++) {
		server_start(&l->s[i], 0, &lan_out);
		lan_take(l, (int)(1 + i), &lan_out);
	}
	lan_deliver(l);
}

static inline void
lan_fini(struct lan *l)
{
	if (!l->up)
		return;
	l->up = false;
	client_fini(&l->c);
	for (size_t i = 0; i < l->nsrv; i++)
		server_fini(&l->s[i]);
	l->nsrv = 0;
	store_close(l->store);
	l->store = NULL;
	if (l->store_path[0]) {
		char p[sizeof(l->store_path) + 8];
		unlink(l->store_path);
		snprintf(p, sizeof(p), "%s-wal", l->store_path);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", l->store_path);
		unlink(p);
		l->store_path[0] = 0;
	}
	explicit_bzero(l->key, sizeof(l->key));
}

/* An ASF request or command as a console encodes it. */
static inline size_t
lan_asf(uint8_t asf_type, uint8_t rmcp_seq, uint8_t *buf, size_t cap)
{
	struct rmcp_msg m = {.seq = rmcp_seq, .iana = ASF_IANA, .type = asf_type, .tag = 0x42};
	size_t n;
	cr_assert_eq(rmcp_encode(&m, buf, cap, &n), RMC_OK);
	return n;
}

/* Hands the client one frame from the adversary (logged as from -1) and delivers its answers. */
static inline void
lan_inject(struct lan *l, struct node_out *o)
{
	cr_assert_eq(o->nframes, 1);
	lan_classify(l, -1, o->buf + o->frame_off[0], o->frame_len[0], &l->log[l->nlog++]);
	lan_frame_to(l, LAN_CLIENT, o->buf + o->frame_off[0], o->frame_len[0]);
	lan_deliver(l);
}

/* A clear RMCP message to the client's port dport, from the server's addresses. */
static inline void
lan_inject_clear(struct lan *l, uint16_t dport, uint8_t asf_type, uint8_t rmcp_seq)
{
	static struct node_out o;
	uint8_t buf[64];
	struct netif nif;
	size_t n = lan_asf(asf_type, rmcp_seq, buf, sizeof(buf));
	node_out_reset(&o);
	cr_assert_eq(netif_init(&nif, LAN_SMAC[0], LAN_SIP[0], 4000), RMC_OK);
	cr_assert_eq(netif_send_udp(&nif, &o, LAN_CMAC, LAN_CIP, dport, dport, buf, n), RMC_OK);
	netif_fini(&nif);
	lan_inject(l, &o);
}

/*
 * payload sealed as the server would seal it, under the SA the NIC stores
 * as nic_sa, with sequence number seq, to UDP port dport; damage: flip a
 * bit of the ICV after sealing.
 */
static inline void
lan_inject_sealed(struct lan *l, const struct nvram_sa *nic_sa, uint64_t seq, uint16_t dport,
		  const uint8_t *payload, size_t n, bool damage)
{
	static struct node_out o;
	struct sec_pair p;
	struct netif nif;
	node_out_reset(&o);
	cr_assert_eq(sec_pair_init(&p, nic_sa, SEC_SERVER, 0), RMC_OK);
	cr_assert_eq(netif_init(&nif, LAN_SMAC[0], LAN_SIP[0], 4000), RMC_OK);
	cr_assert_eq(netif_send_udp_sealed(&nif, &o, &p, seq, LAN_CMAC, LAN_CIP, RMCP_PORT_SECURE,
					   dport, payload, n),
		     RMC_OK);
	netif_fini(&nif);
	sec_pair_fini(&p);
	if (damage) {
		/* a byte of the ICV: ESP's ends the packet, AH's follows its sequence number */
		uint8_t *ip = o.buf + o.frame_off[0] + ETH_HLEN;
		ip[ip[9] == IPPROTO_AH_ ? IPV4_HLEN + 12 : get_be16(ip + 2) - 1] ^= 0x01;
	}
	lan_inject(l, &o);
}

/* An ASF command or request sealed under nic_sa (see lan_inject_sealed). */
static inline void
lan_inject_asf(struct lan *l, const struct nvram_sa *nic_sa, uint64_t seq, uint8_t asf_type,
	       bool damage)
{
	uint8_t buf[64];
	size_t n = lan_asf(asf_type, 7, buf, sizeof(buf));
	lan_inject_sealed(l, nic_sa, seq, RMCP_PORT_SECURE, buf, n, damage);
}

/* Frames the client sent from time `since` on (answers, ACKs, commit messages). */
static inline size_t
lan_client_sent(const struct lan *l, uint64_t since)
{
	size_t k = 0;
	for (size_t i = 0; i < l->nlog; i++)
		k += l->log[i].from == LAN_CLIENT && l->log[i].t >= since && !l->log[i].ike_init &&
		     (l->log[i].ipsec || l->log[i].rmcp);
	return k;
}

/* Management the client sent from time `since` on: RMCP ACKs and ASF answers, clear or secure. */
static inline size_t
lan_client_mgmt(const struct lan *l, uint64_t since)
{
	size_t k = 0;
	for (size_t i = 0; i < l->nlog; i++)
		k += l->log[i].from == LAN_CLIENT && l->log[i].t >= since && l->log[i].rmcp &&
		     (l->log[i].ack || l->log[i].iana == ASF_IANA);
	return k;
}

/* The last frame the client sent under IPsec, or NULL. */
static inline const struct lan_seen *
lan_last_secure_from_client(const struct lan *l)
{
	for (size_t i = l->nlog; i-- > 0;)
		if (l->log[i].from == LAN_CLIENT && l->log[i].ipsec)
			return &l->log[i];
	return NULL;
}

/* IKE_SA_INIT requests the servers sent in [from, to). */
static inline size_t
lan_ike_inits(const struct lan *l, uint64_t from, uint64_t to)
{
	size_t k = 0;
	for (size_t i = 0; i < l->nlog; i++)
		k += l->log[i].from > LAN_CLIENT && l->log[i].ike_init && l->log[i].t >= from &&
		     l->log[i].t < to;
	return k;
}

/* Commit messages of this type (enum asf_commit_type) the harness saw, dropped ones included. */
static inline size_t
lan_commit_msgs(const struct lan *l, uint8_t type)
{
	size_t k = 0;
	for (size_t i = 0; i < l->nlog; i++)
		k += l->log[i].opened && l->log[i].rmcp && !l->log[i].ack &&
		     l->log[i].iana == ASF_IANA_COMMIT && l->log[i].type == type;
	return k;
}

/* Drops every SA_ACK, SA_CONFIRM ... of the given commit type, for the filter. */
static uint8_t lan_drop_type;
static inline bool
lan_drop_commit(const struct lan_seen *f)
{
	return f->opened && f->rmcp && !f->ack && f->iana == ASF_IANA_COMMIT &&
	       f->type == lan_drop_type;
}

#endif
