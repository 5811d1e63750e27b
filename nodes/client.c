#include "nodes/client.h"

#include <string.h>

#include "proto/err.h"
#include "proto/rd.h"
#include "proto/pkt.h"
#include "proto/rmcp.h"

int
client_init(struct client *c, const struct client_cfg *cfg)
{
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	c->power = cfg->power;
	return netif_init(&c->nif, cfg->mac, cfg->ip, cfg->first_ip_id);
}

void
client_fini(struct client *c)
{
	if (c)
		netif_fini(&c->nif);
}

uint8_t
client_asf_system_state(enum power_state s)
{
	switch (s) {
	case PWR_OS_SUSPEND:
		return 0x03; /* S3 */
	case PWR_SOFT_OFF:
		return 0x05; /* S5/G2 soft off */
	case PWR_MECH_OFF:
		return 0x07; /* G3 mechanical off */
	default:
		return 0x00; /* S0/G0 working: hung, pre-boot and cold boot are all powered on */
	}
}

static bool
booting(enum power_state s)
{
	return s == PWR_PRE_BOOT || s == PWR_COLD_BOOT;
}

static int
set_power(struct client *c, uint64_t now, enum power_cause cause, struct node_out *out)
{
	enum power_state next;
	if (power_step(c->power, cause, &next) != 0) {
		node_out_note(out, "power %s: %s refused", power_state_name(c->power),
			      power_cause_name(cause));
		return RMC_ESTATE;
	}
	node_out_note(out, "power %s -> %s (%s)", power_state_name(c->power),
		      power_state_name(next), power_cause_name(cause));
	c->power = next;
	if (booting(next) && c->cfg.boot_ns != NODE_TIMER_NEVER)
		node_out_timer(out, CLIENT_TIMER_BOOT, now + c->cfg.boot_ns);
	else
		node_out_timer(out, CLIENT_TIMER_BOOT, NODE_TIMER_NEVER);
	return RMC_OK;
}

int
client_power_event(struct client *c, uint64_t now, enum power_cause cause, struct node_out *out)
{
	return set_power(c, now, cause, out);
}

void
client_on_timer(struct client *c, uint64_t now, uint32_t id, struct node_out *out)
{
	if (id == CLIENT_TIMER_BOOT && booting(c->power))
		set_power(c, now, PC_BOOT_COMPLETE, out);
}

static void
reply(struct client *c, const struct pkt *pk, const struct rmcp_msg *m, struct node_out *out)
{
	uint8_t buf[RMCP_HLEN + ASF_HLEN + ASF_MAX_DATA];
	size_t n;
	if (rmcp_encode(m, buf, sizeof(buf), &n) == RMC_OK)
		netif_send_udp(&c->nif, out, pk->eth.src, pk->ip.src, pk->udp.dport, pk->udp.sport,
			       buf, n);
}

static void
send_rmcp_ack(struct client *c, const struct pkt *pk, uint8_t seq, struct node_out *out)
{
	uint8_t buf[RMCP_HLEN];
	size_t n;
	if (rmcp_encode_ack(seq, buf, sizeof(buf), &n) == RMC_OK)
		netif_send_udp(&c->nif, out, pk->eth.src, pk->ip.src, pk->udp.dport, pk->udp.sport,
			       buf, n);
}

static enum power_cause
command_cause(uint8_t type)
{
	switch (type) {
	case ASF_RESET:
		return PC_RESET;
	case ASF_POWER_UP:
		return PC_POWER_UP;
	case ASF_POWER_DOWN:
		return PC_POWER_DOWN;
	default:
		return PC_POWER_CYCLE;
	}
}

static void
answer_asf(struct client *c, uint64_t now, const struct pkt *pk, const struct rmcp_msg *req,
	   struct node_out *out)
{
	/* Responses go back with sequence 0xFF: the console retries the request, not us. */
	struct rmcp_msg rsp = {.seq = RMCP_SEQ_NOACK, .iana = ASF_IANA, .tag = req->tag};

	switch (req->type) {
	case ASF_PRESENCE_PING: {
		struct asf_pong pong = {.iana = ASF_IANA, .entities = ASF_ENTITY_ASF_V1};
		asf_pong_encode(&pong, &rsp);
		reply(c, pk, &rsp, out);
		break;
	}
	case ASF_CAPABILITIES_REQ: {
		/* Reset, power-up, power-down and power cycle are supported (§3.2.4.4). */
		struct asf_caps caps = {.iana = ASF_IANA, .system_caps = 0xf0};
		asf_caps_encode(&caps, &rsp);
		reply(c, pk, &rsp, out);
		break;
	}
	case ASF_SYSTEM_STATE_REQ: {
		struct asf_system_state st = {client_asf_system_state(c->power),
					      c->power == PWR_OS_UP};
		asf_system_state_encode(&st, &rsp);
		reply(c, pk, &rsp, out);
		break;
	}
	case ASF_RESET:
	case ASF_POWER_UP:
	case ASF_POWER_DOWN:
	case ASF_POWER_CYCLE:
		if (set_power(c, now, command_cause(req->type), out) == RMC_OK) {
			c->st.commands_executed++;
			c->st.executed[req->type - ASF_RESET]++;
			node_out_note(out, "executed %s", asf_type_name(req->type));
		} else {
			c->st.commands_refused++;
		}
		break;
	default:
		break;
	}
}

static void
on_rmcp(struct client *c, uint64_t now, const struct pkt *pk, struct node_out *out)
{
	struct rmcp_msg m;
	if (rmcp_decode(pk->payload, pk->payload_len, &m) != RMC_OK) {
		c->st.malformed++;
		return;
	}
	c->st.rmcp_rx++;
	if (m.is_ack) {
		c->st.rmcp_acks_rx++;
		return;
	}
	/* ACK means "received", sent before acting (DSP0136 §3.2.3). */
	if (m.seq != RMCP_SEQ_NOACK)
		send_rmcp_ack(c, pk, m.seq, out);
	if (m.iana == ASF_IANA)
		answer_asf(c, now, pk, &m, out);
}

void
client_on_frame(struct client *c, uint64_t now, const uint8_t *frame, size_t len,
		struct node_out *out)
{
	struct pkt pk;
	c->st.rx_frames++;
	if (!power_caps(c->power).nic_alive) {
		c->st.dropped_unpowered++;
		return;
	}
	if (pkt_decode(frame, len, &pk) != RMC_OK) {
		c->st.malformed++;
		return;
	}
	if (!netif_l2_accepts(&c->nif, &pk)) {
		c->st.not_for_us++;
		return;
	}
	if (pk.kind == PKT_ARP) {
		netif_answer_arp(&c->nif, out, &pk);
		return;
	}
	if (pk.kind != PKT_UDP || pk.ip.dst != c->nif.ip) {
		c->st.not_for_us++;
		return;
	}
	if (pk.udp.dport == RMCP_PORT_CLEAR)
		on_rmcp(c, now, &pk, out);
	else
		c->st.not_for_us++;
}
