#include "nodes/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodes/server_int.h"
#include "proto/err.h"
#include "proto/pkt.h"

int
server_init(struct server *s, const struct server_cfg *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->seq = cfg->first_seq % RMCP_SEQ_NOACK;
	s->armed_at = NODE_TIMER_NEVER;
	s->power = PWR_OS_UP;
	s->active = cfg->role != SERVER_SECONDARY;
	if (!s->cfg.service_ip)
		s->cfg.service_ip = cfg->ip;
	if (!s->cfg.seq_block)
		s->cfg.seq_block = 1024;
	return netif_init(&s->nif, cfg->mac, s->active ? s->cfg.service_ip : cfg->ip,
			  cfg->first_ip_id);
}

void
server_fini(struct server *s)
{
	if (!s)
		return;
	netif_fini(&s->nif);
	for (size_t i = 0; i < s->nclients; i++) {
		srv_forget_context(&s->clients[i]);
		explicit_bzero(s->clients[i].psk, sizeof(s->clients[i].psk));
	}
	free(s->clients);
	s->clients = NULL;
}

int
server_add_client(struct server *s, const char *name, uint32_t ip)
{
	if (s->nclients == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct server_client *c = realloc(s->clients, cap * sizeof(*c));
		if (!c)
			return RMC_ENOMEM;
		s->clients = c;
		s->cap = cap;
	}
	struct server_client *c = &s->clients[s->nclients++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->ip = ip;
	c->ike_at = NODE_TIMER_NEVER;
	c->poll_at = NODE_TIMER_NEVER;
	c->peer = PWR_MECH_OFF; /* unknown until it answers */
	commit_server_init(&c->cm, s->cfg.profile, s->cfg.timing, 0, c->peer);
	return RMC_OK;
}

int
server_find_client(const struct server *s, const char *name)
{
	for (size_t i = 0; i < s->nclients; i++)
		if (strcmp(s->clients[i].name, name) == 0)
			return (int)i;
	return RMC_ENOENT;
}

int
server_set_client_sa(struct server *s, size_t ci, const struct nvram_sa *stored,
		     uint32_t replay_window)
{
	if (ci >= s->nclients)
		return RMC_ENOENT;
	struct server_client *c = &s->clients[ci];
	/* Heap, not inline: the SAD points into the pair and clients[] may move. */
	if (!c->sec && !(c->sec = calloc(1, sizeof(*c->sec))))
		return RMC_ENOMEM;
	sec_pair_fini(c->sec);
	int rc = sec_pair_init(c->sec, stored, SEC_SERVER, replay_window);
	if (rc == RMC_OK)
		srv_commit_load(c, c->sec->spi_out);
	return rc;
}

int
server_set_client_psk(struct server *s, size_t ci, const uint8_t *psk, size_t len)
{
	if (ci >= s->nclients || len == 0 || len > SERVER_PSK_MAX)
		return RMC_EINVAL;
	memcpy(s->clients[ci].psk, psk, len);
	s->clients[ci].psk_len = len;
	return RMC_OK;
}

int
server_set_client_no_commit(struct server *s, size_t ci, bool no_commit)
{
	if (ci >= s->nclients)
		return RMC_EINVAL;
	s->clients[ci].no_commit = no_commit;
	return RMC_OK;
}

uint32_t
server_client_spi(const struct server *s, size_t ci)
{
	return ci < s->nclients && s->clients[ci].sec ? s->clients[ci].sec->spi_out : 0;
}

bool
server_running(const struct server *s)
{
	return s->power == PWR_OS_UP || s->power == PWR_COLD_BOOT;
}

static int
find_by_ip(const struct server *s, uint32_t ip)
{
	for (size_t i = 0; i < s->nclients; i++)
		if (s->clients[i].ip == ip)
			return (int)i;
	return RMC_ENOENT;
}

static bool
is_command(uint8_t type)
{
	return type >= ASF_RESET && type <= ASF_POWER_CYCLE;
}

/*
 * Arms the one client timer at the earliest deadline of all clients. A scan
 * per event: fine for a console of thousands; a fleet of 100,000 wants a
 * heap here (docs/mechanism.md, limits).
 */
void
server_rearm(struct server *s, struct node_out *out)
{
	uint64_t next = NODE_TIMER_NEVER;
	for (size_t i = 0; s->active && server_running(s) && i < s->nclients; i++) {
		uint64_t d = srv_client_deadline(s, &s->clients[i]);
		if (d < next)
			next = d;
	}
	if (next != s->armed_at) {
		s->armed_at = next;
		node_out_timer(out, SERVER_TIMER_RETX, next);
	}
}

static void
transmit(struct server *s, struct server_client *c, struct node_out *out)
{
	if (!c->mac_known) {
		netif_send_arp_request(&s->nif, out, c->ip);
		return;
	}
	const struct server_msg *m = &c->queue[c->qhead];
	struct rmcp_msg r = {.seq = m->seq, .iana = ASF_IANA, .type = m->type, .tag = m->tag};
	uint8_t buf[SERVER_MSG_MAX];
	size_t n;
	if (rmcp_encode(&r, buf, sizeof(buf), &n) != RMC_OK)
		return;
	/* A resend repeats the RMCP bytes; under IPsec it gets a fresh ESP sequence number. */
	if (!m->secure)
		netif_send_udp(&s->nif, out, c->mac, c->ip, RMCP_PORT_CLEAR, RMCP_PORT_CLEAR, buf,
			       n);
	else if (srv_seal_send(s, c, 0, RMCP_PORT_SECURE, buf, n, out) != RMC_OK)
		s->st.seal_failed++;
}

static void
start_next(struct server *s, uint64_t now, struct server_client *c, struct node_out *out)
{
	if (c->in_flight || c->qlen == 0)
		return;
	c->in_flight = true;
	c->tries = 0;
	c->retx_at = now + s->cfg.retx_ns;
	transmit(s, c, out);
	s->st.sent++;
}

static void
finish(struct server *s, uint64_t now, struct server_client *c, struct node_out *out)
{
	c->in_flight = false;
	c->qhead = (c->qhead + 1) % SERVER_QUEUE;
	c->qlen--;
	start_next(s, now, c, out);
}

int
server_send(struct server *s, uint64_t now, size_t ci, uint8_t asf_type, enum server_via via,
	    struct node_out *out)
{
	if (ci >= s->nclients)
		return RMC_ENOENT;
	if (!s->active || !server_running(s))
		return RMC_ESTATE;
	struct server_client *c = &s->clients[ci];
	bool secure = via == SERVER_VIA_SECURE;
	if (via == SERVER_VIA_AUTO) {
		/* Fig. 6 rows 6, 8, 9: clear only without a usable SA, and only if configured */
		secure = c->sec && !(c->sec_lost && s->cfg.clear_fallback);
		if (!secure && !s->cfg.clear_fallback)
			return RMC_ESTATE;
	}
	if (c->qlen == SERVER_QUEUE) {
		s->st.queue_full++;
		return RMC_ENOSPC;
	}
	if (secure && !c->sec)
		return RMC_ESTATE;
	struct server_msg *m = &c->queue[(c->qhead + c->qlen) % SERVER_QUEUE];
	m->type = asf_type;
	m->secure = secure;
	m->seq = s->seq;
	m->tag = s->tag++;
	s->seq = (uint8_t)((s->seq + 1) % RMCP_SEQ_NOACK); /* 0..254, 255 means "no ACK" */
	c->qlen++;
	start_next(s, now, c, out);
	server_rearm(s, out);
	return RMC_OK;
}

void
server_on_timer(struct server *s, uint64_t now, uint32_t id, struct node_out *out)
{
	if (!server_running(s))
		return;
	if (id == SERVER_TIMER_HA) {
		srv_ha_timer(s, now, out);
		return;
	}
	if (id != SERVER_TIMER_RETX)
		return;
	s->armed_at = NODE_TIMER_NEVER;
	for (size_t i = 0; s->active && i < s->nclients; i++) {
		struct server_client *c = &s->clients[i];
		srv_client_timers(s, now, c, out);
		if (!c->in_flight || c->retx_at > now)
			continue;
		if (c->tries >= s->cfg.retries) {
			bool was_secure = c->queue[c->qhead].secure;
			node_out_note(out, "gave up on %s %s", c->name,
				      asf_type_name(c->queue[c->qhead].type));
			s->st.gave_up++;
			finish(s, now, c, out);
			if (was_secure)
				srv_secure_lost(s, now, c, out);
			continue;
		}
		c->tries++;
		c->retx_at = now + s->cfg.retx_ns;
		transmit(s, c, out);
		s->st.resent++;
	}
	server_rearm(s, out);
}

static void
on_arp(struct server *s, uint64_t now, const struct pkt *pk, struct node_out *out)
{
	if (netif_answer_arp(&s->nif, out, pk))
		return;
	int ci = find_by_ip(s, pk->arp.spa);
	if (ci < 0 || pk->arp.op != ARP_OP_REPLY)
		return;
	struct server_client *c = &s->clients[ci];
	bool was_known = c->mac_known;
	memcpy(c->mac, pk->arp.sha, ETH_ALEN);
	c->mac_known = true;
	srv_on_mac_learned(s, now, c, out);
	if (!was_known && c->in_flight) {
		c->retx_at = now + s->cfg.retx_ns;
		transmit(s, c, out);
	}
}

static enum power_state
state_from_asf(const struct asf_system_state *st)
{
	switch (st->system_state) {
	case 0x03:
		return PWR_OS_SUSPEND;
	case 0x05:
		return PWR_SOFT_OFF;
	case 0x07:
		return PWR_MECH_OFF;
	default:
		/* S0: only a running OS keeps the watchdog going; hung, pre-boot, cold boot do not
		 */
		return st->watchdog ? PWR_OS_UP : PWR_OS_HUNG;
	}
}

static void
on_answer(struct server *s, uint64_t now, struct server_client *c, const struct rmcp_msg *m,
	  bool secure, struct node_out *out)
{
	const struct server_msg *q = c->in_flight ? &c->queue[c->qhead] : NULL;
	if (m->is_ack) {
		/* A command is done once received; a request waits for its response. */
		if (q && m->seq == q->seq && is_command(q->type)) {
			node_out_note(out, "%s acknowledged %s", c->name, asf_type_name(q->type));
			finish(s, now, c, out);
		}
		return;
	}
	if (m->iana != ASF_IANA)
		return;
	if (m->type == ASF_PRESENCE_PONG && !c->present) {
		c->present = true;
		node_out_note(out, "%s present", c->name);
	} else if (m->type == ASF_SYSTEM_STATE_RESP) {
		struct asf_system_state st;
		if (asf_system_state_decode(m, &st) == RMC_OK) {
			c->state_known = true;
			c->system_state = st.system_state;
			c->watchdog = st.watchdog;
			node_out_note(out, "%s system state 0x%02x watchdog %u", c->name,
				      st.system_state, st.watchdog);
			srv_learn_state(s, now, c, state_from_asf(&st), secure, out);
		}
	}
	if (q && !is_command(q->type) && m->tag == q->tag)
		finish(s, now, c, out);
	else if (!q || m->tag != q->tag)
		s->st.unsolicited++;
}

/* Removes the client's SA and checks the inner packet is UDP from its port 664. */
static int
open_secure(const struct server_client *c, const struct pkt *pk, uint8_t *inner,
	    const uint8_t **data, size_t *dlen)
{
	size_t n;
	struct ipv4_hdr ih;
	struct udp_hdr uh;
	int which = srv_pair_for_spi(c, pkt_ipsec_spi(pk));
	struct sec_pair *p = which == 0 ? c->sec : which == 1 ? c->nsec : NULL;
	if (!p || sec_open_ipv4(p, pk->l3, pk->l3_len, inner, NODE_FRAME_MAX, &n))
		return RMC_ECRYPTO;
	if (ipv4_decode(inner, n, &ih) != RMC_OK || ih.proto != IPPROTO_UDP_ ||
	    udp_decode(inner + ih.ihl, ih.tot_len - ih.ihl, ih.src, ih.dst, &uh) != RMC_OK ||
	    uh.sport != RMCP_PORT_SECURE)
		return RMC_EINVAL;
	*data = inner + ih.ihl + UDP_HLEN;
	*dlen = uh.len - UDP_HLEN;
	return RMC_OK;
}

void
server_on_frame(struct server *s, uint64_t now, const uint8_t *frame, size_t len,
		struct node_out *out)
{
	struct pkt pk;
	s->st.rx_frames++;
	if (!server_running(s))
		return; /* a hung server takes nothing in */
	if (pkt_decode(frame, len, &pk) != RMC_OK) {
		s->st.malformed++;
		return;
	}
	if (!netif_l2_accepts(&s->nif, &pk)) {
		s->st.not_for_us++;
		return;
	}
	if (pk.kind == PKT_ARP) {
		on_arp(s, now, &pk, out);
		server_rearm(s, out);
		return;
	}
	if (srv_ha_on_frame(s, now, &pk, out))
		return;
	int ci = pk.ip.dst == s->nif.ip && s->active ? find_by_ip(s, pk.ip.src) : RMC_ENOENT;
	if (ci >= 0 && pk.kind == PKT_UDP && pk.udp.sport == 500 && pk.udp.dport == 500) {
		srv_on_ike(s, now, &s->clients[ci], &pk, out);
		server_rearm(s, out);
		return;
	}
	bool secure = false;
	const uint8_t *data = pk.payload;
	size_t dlen = pk.payload_len;
	uint8_t inner[NODE_FRAME_MAX];
	if (ci >= 0 && pk.kind == PKT_IPV4 &&
	    (pk.ip.proto == IPPROTO_ESP_ || pk.ip.proto == IPPROTO_AH_)) {
		if (open_secure(&s->clients[ci], &pk, inner, &data, &dlen) != RMC_OK) {
			s->st.ipsec_rejected++;
			return;
		}
		s->st.secure_rx++;
		secure = true;
	} else if (ci < 0 || pk.kind != PKT_UDP || pk.udp.sport != RMCP_PORT_CLEAR) {
		s->st.not_for_us++;
		return;
	}
	struct rmcp_msg m;
	if (rmcp_decode(data, dlen, &m) != RMC_OK) {
		s->st.malformed++;
		return;
	}
	struct server_client *c = &s->clients[ci];
	if (!c->mac_known) {
		memcpy(c->mac, pk.eth.src, ETH_ALEN);
		c->mac_known = true;
		srv_on_mac_learned(s, now, c, out);
	}
	if (secure && !m.is_ack && m.iana == ASF_IANA_COMMIT)
		srv_on_commit_msg(s, now, c, &m, out);
	else
		on_answer(s, now, c, &m, secure, out);
	server_rearm(s, out);
}
