/*
 * The client NIC's receive path: classify, enforce the policy, answer.
 *
 *   ESP/AH to us       -> open under the stored SA; inner must be UDP to 664
 *   clear UDP to 664   -> refused: the management port is only protected
 *   clear UDP to the   -> answered only if the configuration bits allow this
 *   clear port            message type on this port (patent Fig. 6 rows 6, 8, 9)
 *
 * Answers leave the way the request came: under the same SA, or in the
 * clear on the clear port. Outbound sequence numbers come from NVRAM, so
 * none is ever sent twice across power losses (docs/internals/nvram.md).
 */
#include <string.h>

#include "nodes/client_host.h"
#include "nodes/client_power.h"
#include "nodes/client_sa.h"
#include "proto/ah.h"
#include "proto/err.h"
#include "proto/esp.h"
#include "proto/pkt.h"
#include "proto/rmcp.h"

struct peer {
	uint8_t mac[ETH_ALEN];
	uint32_t ip;
	uint16_t our_port;
	uint16_t their_port;
	uint16_t policy_port; /* clear: the port the configuration bits are checked for */
	bool secure;
	enum nic_sa_role role; /* secure: the SA the request came under */
};

static int
nic_send(struct client *c, uint64_t now, const struct peer *p, const uint8_t *buf, size_t n,
	 struct node_out *out)
{
	if (!p->secure)
		return netif_send_udp(&c->nif, out, p->mac, p->ip, p->our_port, p->their_port, buf,
				      n);
	if (c->cfg.mutant == MUT_REPLY_UNDER_REQUEST_SA && p->role == NIC_SA_PREV)
		return nic_mut_send_under_prev(c, p->mac, p->ip, p->our_port, p->their_port, buf, n,
					       out);
	/* Replies leave under the active SA, whichever SA the request came under (robust):
	 * Fig. 5 step 45, and docs/internals/decisions.md, "The SA a reply leaves under". */
	return nic_send_sealed(c, now, NIC_SA_CUR, p->mac, p->ip, p->our_port, p->their_port, buf,
			       n, out);
}

static void
send_msg(struct client *c, uint64_t now, const struct peer *p, const struct rmcp_msg *m,
	 struct node_out *out)
{
	uint8_t buf[RMCP_HLEN + ASF_HLEN + ASF_MAX_DATA];
	size_t n;
	if (rmcp_encode(m, buf, sizeof(buf), &n) == RMC_OK)
		nic_send(c, now, p, buf, n, out);
}

static void
send_ack(struct client *c, uint64_t now, const struct peer *p, uint8_t seq, struct node_out *out)
{
	uint8_t buf[RMCP_HLEN];
	size_t n;
	if (rmcp_encode_ack(seq, buf, sizeof(buf), &n) == RMC_OK)
		nic_send(c, now, p, buf, n, out);
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
execute(struct client *c, uint64_t now, const struct peer *p, uint8_t type, struct node_out *out)
{
	if (c->cfg.mutant == MUT_EXEC_VIA_HOST && c->power != PWR_OS_UP) {
		/* the broken NIC hands commands to an agent in the host OS: not running */
		node_out_note(out, "handed %s to the host OS", asf_type_name(type));
		return;
	}
	if (client_set_power(c, now, command_cause(type), out) != RMC_OK) {
		c->st.commands_refused++;
		return;
	}
	c->st.commands_executed++;
	c->st.executed[type - ASF_RESET]++;
	node_out_executed(out, type);
	node_out_note(out, "executed %s (%s)", asf_type_name(type),
		      p->secure ? mgmt_suite_name(c->pair[NIC_SA_CUR].suite) : "clear");
}

static void
answer_asf(struct client *c, uint64_t now, const struct peer *p, const struct rmcp_msg *req,
	   struct node_out *out)
{
	/* Responses go back with sequence 0xFF: the console retries the request, not us. */
	struct rmcp_msg rsp = {.seq = RMCP_SEQ_NOACK, .tag = req->tag};
	switch (req->type) {
	case ASF_PRESENCE_PING: {
		struct asf_pong pong = {.iana = ASF_IANA,
					.entities = ASF_ENTITY_ASF_V1,
					.interactions = c->sec_up ? ASF_INTERACT_SECURITY : 0};
		asf_pong_encode(&pong, &rsp);
		send_msg(c, now, p, &rsp, out);
		break;
	}
	case ASF_CAPABILITIES_REQ: {
		/* Reset, power-up, power-down and power cycle are supported (§3.2.4.4). */
		struct asf_caps caps = {.iana = ASF_IANA, .system_caps = 0xf0};
		asf_caps_encode(&caps, &rsp);
		send_msg(c, now, p, &rsp, out);
		break;
	}
	case ASF_SYSTEM_STATE_REQ: {
		struct asf_system_state st = {client_asf_system_state(c->power),
					      c->power == PWR_OS_UP};
		asf_system_state_encode(&st, &rsp);
		send_msg(c, now, p, &rsp, out);
		break;
	}
	case ASF_RESET:
	case ASF_POWER_UP:
	case ASF_POWER_DOWN:
	case ASF_POWER_CYCLE:
		execute(c, now, p, req->type, out);
		break;
	default:
		break;
	}
}

/* Reset, Power-up, Power-down, Power cycle: a type with a clear bit and no response. */
static bool
is_command(uint8_t type)
{
	return asf_clear_bit(type) && !asf_response(type);
}

/* May this clear request be answered? The configuration bits decide (Fig. 6 rows 6, 8, 9). */
static bool
clear_allowed(const struct client *c, const struct peer *p, uint8_t type)
{
	struct nvram_policy pol;
	nvram_policy_get(&c->nv, &pol);
	if (c->cfg.mutant == MUT_CLEAR_RESET && type == ASF_RESET)
		return true;
	if (c->cfg.mutant == MUT_CLEAR_OPEN_WHEN_BARE && !c->sec_up)
		return true; /* the broken NIC reads its bits only once it holds an SA */
	if (c->cfg.mutant == MUT_CLEAR_REFUSED_WITH_SA && c->sec_up)
		return false; /* the broken NIC shuts the clear port once it holds an SA */
	return nvram_clear_request_allowed(&pol, p->policy_port, type);
}

static void
on_rmcp(struct client *c, uint64_t now, const struct peer *p, const uint8_t *data, size_t len,
	struct node_out *out)
{
	struct rmcp_msg m;
	if (rmcp_decode(data, len, &m) != RMC_OK) {
		c->st.malformed++;
		return;
	}
	c->st.rmcp_rx++;
	if (m.is_ack) {
		c->st.rmcp_acks_rx++;
		return;
	}
	if (m.iana != ASF_IANA || asf_validate(&m) != RMC_OK) {
		c->st.malformed++;
		return;
	}
	if (!p->secure && !clear_allowed(c, p, m.type)) {
		if (c->cfg.mutant == MUT_CLEAR_ACK_REFUSED && m.seq != RMCP_SEQ_NOACK)
			send_ack(c, now, p, m.seq, out); /* the RMCP layer ACKs before the policy */
		c->st.clear_refused++;
		if (m.type >= ASF_RESET && m.type <= ASF_POWER_CYCLE)
			node_out_note(out, "refused clear %s", asf_type_name(m.type));
		return;
	}
	/* A secured command is acted on only once NVRAM would refuse it again after a power
	 * loss; before the ACK, so a command dropped here is retried by the server. */
	if (p->secure && is_command(m.type) &&
	    nic_save_replay_floor(c, now, p->role, out) != RMC_OK)
		return;
	/* ACK means "received", sent before acting (DSP0136 §3.2.3). */
	if (m.seq != RMCP_SEQ_NOACK)
		send_ack(c, now, p, m.seq, out);
	answer_asf(c, now, p, &m, out);
}

/*
 * Which of the NIC's SAs may open this packet: the active one; the
 * previous one while the commit fsm still accepts it (robust); the one
 * being committed, for the commit messages only (checked after opening).
 */
static int
inbound_role(struct client *c, uint32_t spi)
{
	int r = nic_role_for_spi(c, spi);
	if (r == NIC_SA_PREV && !commit_client_accepts(&c->cm, spi))
		r = -1;
	if (r < 0 && c->cfg.mutant == MUT_STALE_SLOT_SPI)
		r = nic_mut_stale_slot(c, spi);
	return r;
}

/*
 * MUT_REPLAY_BEFORE_ICV: the broken NIC moved its window as soon as it read
 * the header, so a packet that failed its ICV check still moved it.
 */
static void
mut_window_moved_anyway(struct sec_pair *p, const struct pkt *pk)
{
	struct sa *sa = p->has_ah ? &p->ah_in : &p->esp_in;
	uint32_t seql;
	if (p->has_ah) {
		struct ah_hdr h;
		if (ah_decode(pk->l4, pk->l4_len, &h) != RMC_OK)
			return;
		seql = h.seq;
	} else {
		struct esp_hdr h;
		if (esp_decode(pk->l4, pk->l4_len, &h) != RMC_OK)
			return;
		seql = h.seq;
	}
	uint64_t seq = seql;
	if (sa->cfg.esn && replay_infer(&sa->replay, seql, &seq) != RMC_OK)
		return;
	if (replay_check(&sa->replay, seq) == RMC_OK)
		replay_update(&sa->replay, seq);
}

/*
 * MUT_AH_ICV_UNCHECKED: the broken NIC computes the AH ICV and compares
 * none of it, so it takes the payload out of any AH packet whose SPI and
 * sequence number pass: IP | AH | payload -> IP | payload.
 */
static int
mut_strip_ah(const struct pkt *pk, uint8_t *out, size_t cap, size_t *n)
{
	struct ah_hdr h;
	if (pk->l3_len < IPV4_HLEN || ah_decode(pk->l4, pk->l4_len, &h) != RMC_OK ||
	    h.len > pk->l3_len - IPV4_HLEN || pk->l3_len - h.len > cap)
		return RMC_EINVAL;
	*n = pk->l3_len - h.len;
	memcpy(out, pk->l3, IPV4_HLEN);
	memcpy(out + IPV4_HLEN, pk->l4 + h.len, *n - IPV4_HLEN);
	ipsec_ipv4_rewrite(out, h.next_hdr, *n);
	return RMC_OK;
}

/* Opens pk under the NIC's pair r into inner; the mutants of the ICV check act here. */
static int
open_under(struct client *c, int r, const struct pkt *pk, uint8_t *inner, size_t cap, size_t *n)
{
	if (r < 0)
		return RMC_ENOENT;
	int rc = sec_open_ipv4(&c->pair[r], pk->l3, pk->l3_len, inner, cap, n);
	if (rc == RMC_ECRYPTO && c->cfg.mutant == MUT_REPLAY_BEFORE_ICV)
		mut_window_moved_anyway(&c->pair[r], pk);
	if (rc == RMC_ECRYPTO && c->cfg.mutant == MUT_AH_ICV_UNCHECKED &&
	    c->pair[r].suite == MGMT_AH)
		rc = mut_strip_ah(pk, inner, cap, n);
	return rc;
}

static void
on_ipsec(struct client *c, uint64_t now, const struct pkt *pk, struct node_out *out)
{
	uint8_t inner[NODE_FRAME_MAX];
	size_t n;
	struct ipv4_hdr ih;
	struct udp_hdr uh;
	int r = inbound_role(c, pkt_ipsec_spi(pk));
	if (r >= 0 && c->cfg.mutant == MUT_NO_REPLAY_CHECK)
		sec_pair_forget_replay(&c->pair[r]);
	if (open_under(c, r, pk, inner, sizeof(inner), &n)) {
		c->st.ipsec_rejected++;
		return;
	}
	/* The SA protects UDP to 664 and nothing else (the patent's selectors). */
	if (ipv4_decode(inner, n, &ih) != RMC_OK || ih.proto != IPPROTO_UDP_ ||
	    udp_decode(inner + ih.ihl, ih.tot_len - ih.ihl, ih.src, ih.dst, &uh) != RMC_OK ||
	    (uh.dport != RMCP_PORT_SECURE && c->cfg.mutant != MUT_SELECTORS_IGNORED)) {
		c->st.ipsec_rejected++;
		return;
	}
	c->st.secure_rx++;
	if (pk->ip.src == c->cfg.ike.server_ip) {
		memcpy(c->server_mac, pk->eth.src, ETH_ALEN);
		c->server_mac_known = true;
	}
	const uint8_t *data = inner + ih.ihl + UDP_HLEN;
	size_t dlen = uh.len - UDP_HLEN;
	struct rmcp_msg m;
	if (rmcp_decode(data, dlen, &m) == RMC_OK && !m.is_ack && m.iana == ASF_IANA_COMMIT) {
		nic_on_commit_msg(c, now, r, &m, out);
		return;
	}
	if (r == NIC_SA_PEND && c->cfg.mutant != MUT_PENDING_EXECUTES) {
		c->st.pending_refused++; /* not committed: only the commit may use it */
		return;
	}
	if (r == NIC_SA_CUR) {
		struct commit_event ev = {.type = COMMIT_EV_DATA, .spi = c->pair[r].spi_in};
		nic_commit_event(c, now, &ev, out);
	}
	struct peer p = {.ip = pk->ip.src,
			 .our_port = RMCP_PORT_SECURE,
			 .their_port = uh.sport,
			 .secure = true,
			 .role = (enum nic_sa_role)r};
	memcpy(p.mac, pk->eth.src, ETH_ALEN);
	on_rmcp(c, now, &p, data, dlen, out);
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
	if ((pk.kind != PKT_UDP && pk.kind != PKT_IPV4) || pk.ip.dst != c->nif.ip) {
		c->st.not_for_us++;
		return;
	}
	if (pk.kind == PKT_IPV4) {
		if (pk.ip.proto == IPPROTO_ESP_ || pk.ip.proto == IPPROTO_AH_)
			on_ipsec(c, now, &pk, out);
		else
			c->st.not_for_us++;
		return;
	}
	struct nvram_policy pol;
	nvram_policy_get(&c->nv, &pol);
	uint16_t policy_port = pk.udp.dport;
	if (pk.udp.dport == RMCP_PORT_SECURE && c->cfg.mutant == MUT_CLEAR_664_WHEN_BARE &&
	    !c->sec_up) {
		policy_port = pol.clear_port; /* no SA, so no policy entry: 664 is just RMCP */
	} else if (pk.udp.dport == RMCP_PORT_SECURE) {
		c->st.clear_refused++;
		return;
	}
	if (pk.udp.dport == 500 && pk.udp.sport == 500) {
		host_on_ike(c, now, &pk, out);
		return;
	}
	if (policy_port != pol.clear_port) {
		c->st.not_for_us++;
		return;
	}
	struct peer p = {.ip = pk.ip.src,
			 .our_port = pk.udp.dport,
			 .their_port = pk.udp.sport,
			 .policy_port = policy_port};
	memcpy(p.mac, pk.eth.src, ETH_ALEN);
	on_rmcp(c, now, &p, pk.payload, pk.payload_len, out);
}
