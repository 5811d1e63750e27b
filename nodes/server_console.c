/*
 * The console (DMTF DSP0136): an inventory of clients by address, each
 * with a short queue of outgoing requests and commands, one outstanding at
 * a time. An unanswered message is resent byte for byte with the same RMCP
 * sequence number; a command is done once acknowledged, a request once
 * answered. Each client's System State is polled; what it says about the
 * client's power goes to the commit (nodes/server_commit.c).
 */
#include "nodes/server_console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodes/server_commit.h"
#include "nodes/server_sa.h"
#include "proto/err.h"

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
srv_find_by_ip(const struct server *s, uint32_t ip)
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
	else if (srv_seal_send(s, c, SRV_SA_CUR, RMCP_PORT_SECURE, buf, n, out) != RMC_OK)
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
srv_queue(struct server *s, uint64_t now, struct server_client *c, uint8_t asf_type,
	  enum server_via via, struct node_out *out)
{
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
	return RMC_OK;
}

void
srv_console_mac_learned(struct server *s, uint64_t now, struct server_client *c, bool was_known,
			struct node_out *out)
{
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
on_system_state(struct server *s, uint64_t now, struct server_client *c,
		const struct asf_system_state *st, bool secure, struct node_out *out)
{
	c->state_known = true;
	c->system_state = st->system_state;
	c->watchdog = st->watchdog;
	node_out_note(out, "%s system state 0x%02x watchdog %u", c->name, st->system_state,
		      st->watchdog);
	/* it answers in the clear, not under our SA: its context is gone (cold boot) */
	if (!secure && c->sec && c->probing)
		srv_context_lost(s, c, out);
	if (secure)
		c->sec_lost = c->probing = false;
	srv_peer_state(s, now, c, state_from_asf(st), out);
}

void
srv_console_answer(struct server *s, uint64_t now, struct server_client *c,
		   const struct rmcp_msg *m, bool secure, struct node_out *out)
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
		if (asf_system_state_decode(m, &st) == RMC_OK)
			on_system_state(s, now, c, &st, secure, out);
	}
	if (q && !is_command(q->type) && m->tag == q->tag)
		finish(s, now, c, out);
	else if (!q || m->tag != q->tag)
		s->st.unsolicited++;
}

bool
srv_console_poll(struct server *s, uint64_t now, struct server_client *c, struct node_out *out)
{
	if (!s->cfg.poll_ns || c->poll_at > now)
		return false;
	c->poll_at = now + s->cfg.poll_ns;
	if (!c->sec && s->cfg.ike && !s->cfg.clear_fallback) {
		/* Secure-only and no SA yet: nothing but the host's IKE can answer, so the
		 * detection of Fig. 3 is an IKE attempt; a client that is not up ignores it
		 * and the exchange fails (step 24 -> 30) until the next poll. */
		if (srv_commit_idle(c)) {
			struct commit_event up = {.type = COMMIT_EV_PEER, .peer = PWR_OS_UP};
			struct commit_event now_ev = {.type = COMMIT_EV_REFRESH_NOW};
			srv_commit_event(s, now, c, &up, out);
			srv_commit_event(s, now, c, &now_ev, out);
		}
		return false;
	}
	if (c->in_flight || c->qlen)
		return false; /* something is already asking */
	/* After a secure poll went unanswered, one probe in the clear (if configured), then
	 * secure again: a NIC that kept its SA answers that; one without answers this. */
	bool probe = c->sec && c->sec_lost && s->cfg.clear_fallback;
	bool queued = srv_queue(s, now, c, ASF_SYSTEM_STATE_REQ,
				probe ? SERVER_VIA_CLEAR : SERVER_VIA_AUTO, out) == RMC_OK;
	if (probe) {
		c->sec_lost = false;
		c->probing = true;
	}
	return queued;
}

static void
secure_lost(struct server_client *c, struct node_out *out)
{
	if (!c->sec_lost)
		node_out_note(out, "%s does not answer under its SA", c->name);
	c->sec_lost = true;
}

void
srv_console_retry(struct server *s, uint64_t now, struct server_client *c, struct node_out *out)
{
	if (!c->in_flight || c->retx_at > now)
		return;
	if (c->tries >= s->cfg.retries) {
		bool was_secure = c->queue[c->qhead].secure;
		node_out_note(out, "gave up on %s %s", c->name,
			      asf_type_name(c->queue[c->qhead].type));
		s->st.gave_up++;
		finish(s, now, c, out);
		if (was_secure)
			secure_lost(c, out);
		return;
	}
	c->tries++;
	c->retx_at = now + s->cfg.retx_ns;
	transmit(s, c, out);
	s->st.resent++;
}

uint64_t
srv_console_deadline(const struct server *s, const struct server_client *c)
{
	uint64_t d = c->in_flight ? c->retx_at : NODE_TIMER_NEVER;
	if (s->cfg.poll_ns && c->poll_at < d)
		d = c->poll_at;
	return d;
}

void
srv_console_drop_queues(struct server *s)
{
	for (size_t i = 0; i < s->nclients; i++) {
		s->clients[i].in_flight = false;
		s->clients[i].qlen = 0;
	}
}
