/*
 * The server as a node: its configuration and lifetime, the control calls,
 * frames and timers handed to the concern they belong to, and the
 * server's own power. Every other nodes/server_*.c is called from here (or
 * from one below it) and calls nothing above it:
 *
 *   server.c          node face: init/fini, frame and timer dispatch, power, start
 *   server_console.c  inventory, the request queue and its retries, System State polls
 *   server_ha.c       heartbeat and takeover
 *   server_commit.c   the refresh commit (fsm/commit_server), the store's context
 *   server_ike.c      the IKE initiator per client
 *   server_sa.c       SA pairs, sequence numbers, sealing and opening
 */
#include "nodes/server.h"

#include <stdlib.h>
#include <string.h>

#include "nodes/server_commit.h"
#include "nodes/server_console.h"
#include "nodes/server_ha.h"
#include "nodes/server_ike.h"
#include "nodes/server_sa.h"
#include "nodes/store.h"
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
	if (cfg->mutant == MUT_REFRESH_DEFAULT_INTERVAL)
		s->cfg.timing.refresh = commit_timing_default().refresh; /* the setting is lost */
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
server_set_client_sa(struct server *s, size_t ci, const struct nvram_sa *stored,
		     uint32_t replay_window)
{
	if (ci >= s->nclients)
		return RMC_ENOENT;
	struct server_client *c = &s->clients[ci];
	int rc = srv_sa_provision(c, stored, replay_window);
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

static uint64_t
client_deadline(const struct server *s, const struct server_client *c)
{
	uint64_t d = srv_console_deadline(s, c);
	if (srv_ike_deadline(c) < d)
		d = srv_ike_deadline(c);
	if (srv_commit_deadline(c) < d)
		d = srv_commit_deadline(c);
	return d;
}

/*
 * Arms the one client timer at the earliest deadline of all clients. A scan
 * per event: fine for a console of thousands; a fleet of 100,000 wants a
 * heap here (docs/internals/mechanism.md, limits).
 */
static void
server_rearm(struct server *s, struct node_out *out)
{
	uint64_t next = NODE_TIMER_NEVER;
	for (size_t i = 0; s->active && server_running(s) && i < s->nclients; i++) {
		uint64_t d = client_deadline(s, &s->clients[i]);
		if (d < next)
			next = d;
	}
	if (next != s->armed_at) {
		s->armed_at = next;
		node_out_timer(out, SERVER_TIMER_RETX, next);
	}
}

int
server_send(struct server *s, uint64_t now, size_t ci, uint8_t asf_type, enum server_via via,
	    struct node_out *out)
{
	if (ci >= s->nclients)
		return RMC_ENOENT;
	if (!s->active || !server_running(s))
		return RMC_ESTATE;
	int rc = srv_queue(s, now, &s->clients[ci], asf_type, via, out);
	if (rc == RMC_OK)
		server_rearm(s, out);
	return rc;
}

/* Takes over (or restarts with) the store's context; a successor first checks on everybody. */
static void
resume_from_store(struct server *s, uint64_t now, struct node_out *out)
{
	for (size_t i = 0; s->cfg.store && i < s->nclients; i++) {
		srv_resume_from_store(s, now, &s->clients[i], out);
		s->clients[i].poll_at = now;
	}
}

/* Each deadline of one client that has come: IKE, the commit, the poll. */
static void
client_timers(struct server *s, uint64_t now, struct server_client *c, struct node_out *out)
{
	struct srv_kex k;
	srv_ike_timer(s, now, c, &k, out);
	srv_commit_kex(s, now, c, &k, out);
	srv_commit_timers(s, now, c, out);
	if (srv_console_poll(s, now, c, out))
		server_rearm(s, out);
}

void
server_on_timer(struct server *s, uint64_t now, uint32_t id, struct node_out *out)
{
	if (!server_running(s))
		return;
	if (id == SERVER_TIMER_HA) {
		if (srv_ha_timer(s, now, out)) {
			resume_from_store(s, now, out);
			server_rearm(s, out);
		}
		return;
	}
	if (id != SERVER_TIMER_RETX)
		return;
	s->armed_at = NODE_TIMER_NEVER;
	for (size_t i = 0; s->active && i < s->nclients; i++) {
		struct server_client *c = &s->clients[i];
		client_timers(s, now, c, out);
		srv_console_retry(s, now, c, out);
	}
	server_rearm(s, out);
}

/* The client's MAC is known: what waited for it leaves. */
static void
mac_learned(struct server *s, uint64_t now, struct server_client *c, struct node_out *out)
{
	struct srv_kex k;
	srv_send_owed_ack(s, c, out);
	srv_ike_resume(s, now, c, &k, out);
	srv_commit_kex(s, now, c, &k, out);
}

static void
on_arp(struct server *s, uint64_t now, const struct pkt *pk, struct node_out *out)
{
	if (netif_answer_arp(&s->nif, out, pk))
		return;
	int ci = srv_find_by_ip(s, pk->arp.spa);
	if (ci < 0 || pk->arp.op != ARP_OP_REPLY)
		return;
	struct server_client *c = &s->clients[ci];
	bool was_known = c->mac_known;
	memcpy(c->mac, pk->arp.sha, ETH_ALEN);
	c->mac_known = true;
	mac_learned(s, now, c, out);
	srv_console_mac_learned(s, now, c, was_known, out);
}

static void
on_ike(struct server *s, uint64_t now, struct server_client *c, const struct pkt *pk,
       struct node_out *out)
{
	struct srv_kex k;
	srv_ike_input(s, now, c, pk, &k, out);
	srv_commit_kex(s, now, c, &k, out);
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
	if (srv_ha_on_frame(s, now, &pk))
		return;
	int ci = pk.ip.dst == s->nif.ip && s->active ? srv_find_by_ip(s, pk.ip.src) : RMC_ENOENT;
	if (ci >= 0 && pk.kind == PKT_UDP && pk.udp.sport == 500 && pk.udp.dport == 500) {
		on_ike(s, now, &s->clients[ci], &pk, out);
		server_rearm(s, out);
		return;
	}
	bool secure = false;
	const uint8_t *data = pk.payload;
	size_t dlen = pk.payload_len;
	uint8_t inner[NODE_FRAME_MAX];
	if (ci >= 0 && pk.kind == PKT_IPV4 &&
	    (pk.ip.proto == IPPROTO_ESP_ || pk.ip.proto == IPPROTO_AH_)) {
		if (srv_open_secure(&s->clients[ci], &pk, inner, &data, &dlen) != RMC_OK) {
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
		mac_learned(s, now, c, out);
	}
	if (secure && !m.is_ack && m.iana == ASF_IANA_COMMIT)
		srv_on_commit_msg(s, now, c, &m, out);
	else
		srv_console_answer(s, now, c, &m, secure, out);
	server_rearm(s, out);
}

void
server_start(struct server *s, uint64_t now, struct node_out *out)
{
	for (size_t i = 0; s->active && i < s->nclients; i++) {
		struct server_client *c = &s->clients[i];
		if (s->cfg.ike) {
			struct commit_event ev = {.type = COMMIT_EV_START};
			srv_commit_event(s, now, c, &ev, out);
		}
		if (s->cfg.poll_ns)
			c->poll_at = now + s->cfg.poll_ns * (i + 1) / (s->nclients + 1);
	}
	srv_ha_start(s, now, out);
	server_rearm(s, out);
}

static void
forget_all(struct server *s)
{
	for (size_t i = 0; i < s->nclients; i++)
		srv_forget_context(&s->clients[i]);
}

int
server_power_event(struct server *s, uint64_t now, enum power_cause cause, struct node_out *out)
{
	enum power_state next;
	bool was_running = server_running(s);
	if (power_step(s->power, cause, &next) != 0) {
		node_out_note(out, "power %s: %s refused", power_state_name(s->power),
			      power_cause_name(cause));
		return RMC_ESTATE;
	}
	node_out_note(out, "power %s -> %s (%s)", power_state_name(s->power),
		      power_state_name(next), power_cause_name(cause));
	s->power = next;
	if (next == PWR_MECH_OFF)
		forget_all(s); /* a crash: everything in RAM is gone, the store is not */
	if (next == PWR_COLD_BOOT) {
		/* Fig. 6 rows 8, 9: the server has no security context any more */
		forget_all(s);
		if (s->cfg.store && store_clear(s->cfg.store))
			s->st.store_errors++;
	}
	if (!server_running(s)) {
		srv_console_drop_queues(s); /* they died with it */
		s->armed_at = NODE_TIMER_NEVER;
		node_out_timer(out, SERVER_TIMER_RETX, NODE_TIMER_NEVER);
		node_out_timer(out, SERVER_TIMER_HA, NODE_TIMER_NEVER);
		return RMC_OK;
	}
	if (!was_running) {
		/* back from a hang or reboot: what survived is in the store */
		if (s->active && s->cfg.mutant == MUT_NO_PERSISTENT_STORE)
			forget_all(s); /* the broken server kept its SAs in RAM only */
		else if (s->active)
			resume_from_store(s, now, out);
		server_start(s, now, out);
	}
	return RMC_OK;
}
