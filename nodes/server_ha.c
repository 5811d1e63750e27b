/*
 * Server failure (patent Fig. 6 row 7): a primary sends a heartbeat on the
 * LAN every heartbeat interval; its secondary, passive until then, takes
 * over when none arrived for the takeover time: it takes the management
 * address (gratuitous ARP) and, through its caller, reads every client's
 * context from the shared SQLite store, resuming sequence numbers above
 * the primary's reservations.
 */
#include "nodes/server_ha.h"

#include <string.h>

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
}

void
srv_ha_start(struct server *s, uint64_t now, struct node_out *out)
{
	if (s->cfg.role == SERVER_PRIMARY)
		node_out_timer(out, SERVER_TIMER_HA, now);
	if (s->cfg.role == SERVER_SECONDARY) {
		s->last_hb = now;
		node_out_timer(out, SERVER_TIMER_HA, now + s->cfg.takeover_ns);
	}
}

bool
srv_ha_timer(struct server *s, uint64_t now, struct node_out *out)
{
	if (s->cfg.role == SERVER_PRIMARY && s->active) {
		send_heartbeat(s, out);
		node_out_timer(out, SERVER_TIMER_HA, now + s->cfg.heartbeat_ns);
	} else if (s->cfg.role == SERVER_SECONDARY && !s->active) {
		if (now - s->last_hb >= s->cfg.takeover_ns) {
			take_over(s, now, out);
			return true;
		}
		node_out_timer(out, SERVER_TIMER_HA, s->last_hb + s->cfg.takeover_ns);
	}
	return false;
}

bool
srv_ha_on_frame(struct server *s, uint64_t now, const struct pkt *pk)
{
	if (pk->kind == PKT_UDP && pk->udp.dport == SERVER_HA_PORT) {
		/* MUT_TAKEOVER_WHILE_PRIMARY_ALIVE: the broken watchdog is never fed */
		if (s->cfg.role == SERVER_SECONDARY && pk->ip.src == s->cfg.partner_ip &&
		    pk->payload_len == HB_LEN && memcmp(pk->payload, "RMHB", 4) == 0 &&
		    s->cfg.mutant != MUT_TAKEOVER_WHILE_PRIMARY_ALIVE) {
			s->last_hb = now;
			s->st.heartbeats_rx++;
		}
		return true;
	}
	return !s->active && pk->kind != PKT_ARP; /* a passive secondary only listens */
}
