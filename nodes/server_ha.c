/*
 * Server failure (patent Fig. 6 row 7, DESIGN §1): a primary sends a
 * heartbeat on the LAN every heartbeat interval; its secondary, passive
 * until then, takes over when none arrived for the takeover time: it takes
 * the management address (gratuitous ARP), reads every client's context
 * from the shared SQLite store and resumes sequence numbers above the
 * primary's reservations. The server's own power state decides whether it
 * runs at all; a cold boot (context lost) leaves it without any SA.
 */
#include <string.h>

#include "nodes/server_int.h"
#include "nodes/store.h"
#include "proto/err.h"
#include "proto/rd.h"

enum { HB_LEN = 12 }; /* "RMHB" + a 64-bit big-endian counter */

static const uint8_t broadcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void
send_heartbeat(struct server *s, struct node_out *out)
{
	uint8_t hb[HB_LEN] = {'R', 'M', 'H', 'B'};
	s->hb_count++;
	put_be32(hb + 4, (uint32_t)(s->hb_count >> 32));
	put_be32(hb + 8, (uint32_t)s->hb_count);
	/* broadcast: the partner's MAC needs no ARP, and a hung partner changes nothing */
	netif_send_udp(&s->nif, out, broadcast, s->cfg.partner_ip, SERVER_HA_PORT, SERVER_HA_PORT,
		       hb, sizeof(hb));
}

static void
take_over(struct server *s, uint64_t now, struct node_out *out)
{
	s->active = true;
	s->takeover_at = now;
	s->st.takeovers++;
	node_out_note(out, "primary silent since %llu ns: taking over %u.%u.%u.%u",
		      (unsigned long long)s->last_hb, s->cfg.service_ip >> 24,
		      (s->cfg.service_ip >> 16) & 0xff, (s->cfg.service_ip >> 8) & 0xff,
		      s->cfg.service_ip & 0xff);
	s->nif.ip = s->cfg.service_ip;
	netif_send_arp_request(&s->nif, out, s->cfg.service_ip); /* gratuitous: sender = target */
	srv_load_from_store(s, now, out);
	server_rearm(s, out);
}

void
srv_ha_timer(struct server *s, uint64_t now, struct node_out *out)
{
	if (s->cfg.role == SERVER_PRIMARY && s->active) {
		send_heartbeat(s, out);
		node_out_timer(out, SERVER_TIMER_HA, now + s->cfg.heartbeat_ns);
	} else if (s->cfg.role == SERVER_SECONDARY && !s->active) {
		if (now - s->last_hb >= s->cfg.takeover_ns)
			take_over(s, now, out);
		else
			node_out_timer(out, SERVER_TIMER_HA, s->last_hb + s->cfg.takeover_ns);
	}
}

bool
srv_ha_on_frame(struct server *s, uint64_t now, const struct pkt *pk, struct node_out *out)
{
	(void)out;
	if (pk->kind == PKT_UDP && pk->udp.dport == SERVER_HA_PORT) {
		if (s->cfg.role == SERVER_SECONDARY && pk->ip.src == s->cfg.partner_ip &&
		    pk->payload_len == HB_LEN && memcmp(pk->payload, "RMHB", 4) == 0) {
			s->last_hb = now;
			s->st.heartbeats_rx++;
		}
		return true;
	}
	return !s->active && pk->kind != PKT_ARP; /* a passive secondary only listens */
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
	if (s->cfg.role == SERVER_PRIMARY)
		node_out_timer(out, SERVER_TIMER_HA, now);
	if (s->cfg.role == SERVER_SECONDARY) {
		s->last_hb = now;
		node_out_timer(out, SERVER_TIMER_HA, now + s->cfg.takeover_ns);
	}
	server_rearm(s, out);
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
	if (next == PWR_MECH_OFF) {
		/* a crash: everything in RAM is gone, the store is not */
		for (size_t i = 0; i < s->nclients; i++)
			srv_forget_context(&s->clients[i]);
	}
	if (next == PWR_COLD_BOOT) {
		/* Fig. 6 rows 8, 9: the server has no security context any more */
		for (size_t i = 0; i < s->nclients; i++)
			srv_forget_context(&s->clients[i]);
		if (s->cfg.store && store_clear(s->cfg.store))
			s->st.store_errors++;
	}
	if (!server_running(s)) {
		for (size_t i = 0; i < s->nclients; i++) {
			s->clients[i].in_flight = false; /* its queue died with it */
			s->clients[i].qlen = 0;
		}
		s->armed_at = NODE_TIMER_NEVER;
		node_out_timer(out, SERVER_TIMER_RETX, NODE_TIMER_NEVER);
		node_out_timer(out, SERVER_TIMER_HA, NODE_TIMER_NEVER);
		return RMC_OK;
	}
	if (!was_running) {
		/* back from a hang or reboot: what survived is in the store */
		if (s->active && s->cfg.store)
			srv_load_from_store(s, now, out);
		server_start(s, now, out);
	}
	return RMC_OK;
}
