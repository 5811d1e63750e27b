#include "sim/observe.h"

#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "proto/ikev2.h"
#include "proto/pkt.h"
#include "proto/rd.h"
#include "proto/commit_wire.h"
#include "proto/rmcp.h"

static int add_pairs(struct obs_log *log, const struct nvram_sa *sa, int16_t client,
		     uint16_t ord, uint32_t replay_window);
static void reopen(struct obs_log *log);

void
obs_log_init(struct obs_log *log)
{
	memset(log, 0, sizeof(*log));
}

const char *
obs_prot_name(uint8_t prot)
{
	static const char *const names[] = {"clear", "esp", "ah", "ah+esp"};
	return prot < 4 ? names[prot] : "?";
}

void
obs_log_fini(struct obs_log *log)
{
	for (size_t i = 0; i < log->nkeys; i++) {
		sec_pair_fini(log->keys[i].pair);
		free(log->keys[i].pair);
	}
	free(log->keys);
	free(log->sas);
	free(log->unopened);
	free(log->v);
	memset(log, 0, sizeof(*log));
}

static struct obs_client_sas *
client_sas(struct obs_log *log, int client)
{
	if (client < 0)
		return NULL;
	if ((size_t)client >= log->nsas) {
		size_t n = (size_t)client + 1;
		struct obs_client_sas *v = realloc(log->sas, n * sizeof(*v));
		if (!v)
			return NULL;
		memset(v + log->nsas, 0, (n - log->nsas) * sizeof(*v));
		log->sas = v;
		log->nsas = n;
	}
	return &log->sas[client];
}

struct obs_client_sas
obs_client_sas(const struct obs_log *log, int client)
{
	struct obs_client_sas none = {0};
	return client >= 0 && (size_t)client < log->nsas ? log->sas[client] : none;
}

struct sec_pair *
obs_sa_pair(const struct obs_log *log, int client, uint16_t ord, int role)
{
	/* keys come in pairs, the NIC's role first (obs_log_add_sa) */
	for (size_t i = 0; ord && i + 1 < log->nkeys; i += 2)
		if (log->keys[i].client == client && log->keys[i].ord == ord)
			return log->keys[i + (role == SEC_SERVER)].pair;
	return NULL;
}

static void
activate(struct obs_client_sas *s, uint16_t ord)
{
	if (ord == s->active)
		return;
	s->previous = s->active;
	s->active = ord;
}

int
obs_log_add_sa(struct obs_log *log, const struct nvram_sa *sa, int16_t client, uint16_t ord,
	       uint32_t replay_window, bool active_now)
{
	struct obs_client_sas *cs = client_sas(log, client);
	if (!cs)
		return RMC_ENOMEM;
	if (ord > cs->newest)
		cs->newest = ord;
	if (active_now)
		activate(cs, ord);
	int rc = add_pairs(log, sa, client, ord, replay_window);
	if (rc == RMC_OK)
		reopen(log);
	return rc;
}

static int
add_pairs(struct obs_log *log, const struct nvram_sa *sa, int16_t client, uint16_t ord,
	  uint32_t replay_window)
{
	if (log->nkeys + 2 > log->capkeys) {
		size_t cap = log->capkeys ? log->capkeys * 2 : 8;
		struct obs_key *k = realloc(log->keys, cap * sizeof(*k));
		if (!k)
			return RMC_ENOMEM;
		log->keys = k;
		log->capkeys = cap;
	}
	for (int role = SEC_NIC; role <= SEC_SERVER; role++) {
		struct sec_pair *p = calloc(1, sizeof(*p));
		int rc = p ? sec_pair_init(p, sa, (enum sec_role)role, replay_window) : RMC_ENOMEM;
		if (rc) {
			free(p);
			return rc;
		}
		log->keys[log->nkeys++] = (struct obs_key){p, client, ord};
	}
	return RMC_OK;
}

static int16_t
node_by_mac(const struct scenario *sc, const uint8_t *mac)
{
	for (size_t i = 0; i < sc->nnodes; i++)
		if (memcmp(sc->nodes[i].mac, mac, 6) == 0)
			return (int16_t)i;
	return -1;
}

static bool
rmcp_port(uint16_t port, uint16_t clear_port)
{
	return port == RMCP_PORT_CLEAR || port == RMCP_PORT_SECURE || port == clear_port;
}

/* The RMCP layer of a UDP datagram to or from an RMCP port (the scenario's clear port too). */
static void
classify_rmcp(struct obs *o, uint16_t sport, uint16_t dport, uint16_t clear_port, const uint8_t *p,
	      size_t len)
{
	struct rmcp_msg m;
	o->kind = OBS_OTHER;
	o->sport = sport;
	o->dport = dport;
	if (!rmcp_port(sport, clear_port) && !rmcp_port(dport, clear_port))
		return;
	if (rmcp_decode(p, len, &m) != RMC_OK) {
		o->kind = OBS_MALFORMED;
		return;
	}
	o->rmcp_seq = m.seq;
	if (m.is_ack) {
		o->kind = OBS_RMCP_ACK;
	} else if (m.iana == ASF_IANA || m.iana == ASF_IANA_COMMIT) {
		o->kind = m.iana == ASF_IANA ? OBS_ASF : OBS_COMMIT;
		struct commit_wire w;
		if (m.iana == ASF_IANA_COMMIT && commit_wire_decode(&m, &w) == RMC_OK) {
			o->commit_txid = w.txid;
			o->commit_gen = w.gen;
		}
		o->asf_type = m.type;
		o->tag = m.tag;
	}
}

/*
 * IKEv2 on UDP 500, or 4500 behind the four zero bytes of the non-ESP
 * marker (RFC 7296 §2.23, RFC 3948 §2.2). Only the fixed header (§3.1) is
 * read: exchange type, Response flag and Message ID are in the clear.
 */
static bool
classify_ike(struct obs *o, uint16_t sport, uint16_t dport, const uint8_t *p, size_t len)
{
	struct ikev2_hdr h;
	bool natt = sport == 4500 || dport == 4500;
	if (sport != IKEV2_PORT && dport != IKEV2_PORT && !natt)
		return false;
	o->sport = sport;
	o->dport = dport;
	if (natt) {
		if (len < 4 || get_be32(p) != 0)
			return false; /* ESP in UDP, not IKE */
		p += 4;
		len -= 4;
	}
	if (ikev2_hdr_decode(p, len, &h) != RMC_OK) {
		o->kind = OBS_MALFORMED;
		return true;
	}
	o->kind = OBS_IKE;
	o->ike_exch = h.exch;
	o->ike_response = (h.flags & IKEV2_F_RESPONSE) != 0;
	o->ike_msgid = h.msgid;
	o->asf_type = h.exch; /* what scenario patterns match on */
	return true;
}

static uint8_t
sa_role(struct obs_client_sas s, uint16_t ord)
{
	if (ord == s.active)
		return OBS_ROLE_ACTIVE;
	if (ord == s.previous)
		return OBS_ROLE_PREVIOUS;
	if (ord > s.active)
		return OBS_ROLE_PENDING;
	return OBS_ROLE_OLDER;
}

static void
classify_ipsec(struct obs_log *log, struct obs *o, const struct pkt *pk, uint16_t clear_port)
{
	uint8_t inner[1600];
	size_t n;
	struct ipv4_hdr ih;
	struct udp_hdr uh;
	const uint8_t *l4 = pk->l4;
	o->kind = OBS_OTHER;
	if (pk->l4_len >= 12) {
		/* ESP: SPI at 0, seq at 4; AH: SPI at 4, seq at 8 (RFC 4303 §2, RFC 4302 §2). */
		size_t at = pk->ip.proto == IPPROTO_AH_ ? 4 : 0;
		o->spi = get_be32(l4 + at);
		o->seq = get_be32(l4 + at + 4);
	}
	o->prot = pk->ip.proto == IPPROTO_ESP_		    ? OBS_ESP
		  : pk->l4_len > 0 && l4[0] == IPPROTO_ESP_ ? OBS_AH_ESP
							    : OBS_AH;
	for (size_t i = 0; i < log->nkeys; i++) {
		struct sec_pair *k = log->keys[i].pair;
		if (k->spi_in != o->spi)
			continue; /* only the pair that receives under this SPI can open it */
		sec_pair_forget_replay(k);
		if (sec_open_ipv4(k, pk->l3, pk->l3_len, inner, sizeof(inner), &n))
			continue;
		o->opened = true;
		o->sa = log->keys[i].ord;
		o->sa_role = sa_role(obs_client_sas(log, log->keys[i].client), o->sa);
		if (ipv4_decode(inner, n, &ih) == RMC_OK && ih.proto == IPPROTO_UDP_ &&
		    udp_decode(inner + ih.ihl, ih.tot_len - ih.ihl, ih.src, ih.dst, &uh) == RMC_OK)
			classify_rmcp(o, uh.sport, uh.dport, clear_port, inner + ih.ihl + UDP_HLEN,
				      uh.len - UDP_HLEN);
		/* the client's SA_CONFIRM under an SA: from now on that SA is its active one */
		if (o->kind == OBS_COMMIT && o->asf_type == ASF_COMMIT_CONFIRM &&
		    o->from == log->keys[i].client)
			activate(&log->sas[log->keys[i].client], o->sa);
		return;
	}
}

/* A protected frame nothing could open: kept, its key may come (struct obs_unopened). */
static void
keep_unopened(struct obs_log *log, const struct obs *o, const uint8_t *f, size_t len)
{
	if (o->opened || o->prot == OBS_CLEAR || o->spi == 0 || len > OBS_FRAME_MAX)
		return;
	if (!log->unopened && !(log->unopened = calloc(OBS_UNOPENED, sizeof(*log->unopened))))
		return; /* the frame stays unopened: no worse than before */
	struct obs_unopened *u = &log->unopened[log->next_unopened++ % OBS_UNOPENED];
	u->frame_no = o->frame_no;
	u->len = (uint16_t)len;
	memcpy(u->bytes, f, len);
}

/* The kept frames the new SA opens: their classification completed in place. */
static void
reopen(struct obs_log *log)
{
	log->nreopened = 0;
	for (size_t k = 0; log->unopened && k < OBS_UNOPENED; k++) {
		struct obs_unopened *u = &log->unopened[k];
		if (!u->frame_no || u->frame_no > log->n)
			continue;
		struct obs *o = &log->v[u->frame_no - 1], again = *o;
		struct pkt pk;
		if (pkt_decode(u->bytes, u->len, &pk) != RMC_OK)
			continue;
		classify_ipsec(log, &again, &pk, log->clear_port);
		if (!again.opened)
			continue;
		*o = again;
		log->reopened[log->nreopened++] = u->frame_no;
		u->frame_no = 0;
	}
}

static void
classify(struct obs_log *log, struct obs *o, const uint8_t *f, size_t len, uint16_t clear_port)
{
	struct pkt pk;
	if (pkt_decode(f, len, &pk) != RMC_OK) {
		o->kind = OBS_MALFORMED;
		return;
	}
	if (pk.kind == PKT_ARP) {
		o->kind = pk.arp.op == ARP_OP_REQUEST ? OBS_ARP_REQUEST : OBS_ARP_REPLY;
		return;
	}
	o->kind = OBS_OTHER;
	if (pk.kind == PKT_UDP &&
	    !classify_ike(o, pk.udp.sport, pk.udp.dport, pk.payload, pk.payload_len))
		classify_rmcp(o, pk.udp.sport, pk.udp.dport, clear_port, pk.payload,
			      pk.payload_len);
	else if (pk.kind == PKT_IPV4 && (pk.ip.proto == IPPROTO_ESP_ || pk.ip.proto == IPPROTO_AH_))
		classify_ipsec(log, o, &pk, clear_port);
}

int
obs_log_frame(struct obs_log *log, const struct scenario *sc, uint64_t t, const uint8_t *f,
	      size_t len)
{
	if (log->n == log->cap) {
		size_t cap = log->cap ? log->cap * 2 : 256;
		struct obs *v = realloc(log->v, cap * sizeof(*v));
		if (!v)
			return RMC_ENOMEM;
		log->v = v;
		log->cap = cap;
	}
	struct obs *o = &log->v[log->n];
	memset(o, 0, sizeof(*o));
	o->t = t;
	o->frame_no = (uint32_t)(log->n + 1);
	o->from = len >= 12 ? node_by_mac(sc, f + 6) : -1;
	o->to = len >= 6 ? node_by_mac(sc, f) : -1;
	log->clear_port = sc->security.clear_port;
	classify(log, o, f, len, sc->security.clear_port);
	keep_unopened(log, o, f, len);
	log->n++;
	return RMC_OK;
}

int
obs_match(const struct obs *o, const struct scn_pattern *p)
{
	if (o->injected)
		return 0; /* patterns speak of what the nodes did */
	if (p->from >= 0 && o->from != p->from)
		return 0;
	if (p->to >= 0 && o->to != p->to)
		return 0;
	if (!msg_sel_match(&p->msg, o))
		return 0;
	if (p->port >= 0 && o->sport != p->port && o->dport != p->port)
		return 0;
	if (!scn_via_admits(p->via, o->prot))
		return 0;
	if (p->sa && o->sa != p->sa)
		return 0;
	if (o->t < p->after || o->t >= p->before)
		return 0;
	return 1;
}
