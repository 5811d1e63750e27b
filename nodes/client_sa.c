/*
 * The NIC's SAs and its side of the refresh commit (patent Fig. 5). The
 * SAs live in NVRAM (active and pending slots); RAM holds them opened as
 * sec_pairs: the active one, the one being committed, and in the robust
 * profile the previous one, still accepted inbound until the server is
 * seen using the new one. fsm/commit_client decides; this file carries the
 * decisions out: NVRAM writes, pairs, commit messages and timers.
 */
#include <string.h>

#include "nodes/client_power.h"
#include "nodes/client_sa.h"
#include "nodes/commit_msg_wire.h"
#include "proto/commit_wire.h"
#include "proto/err.h"
#include "proto/rd.h"

struct sec_pair *
client_sa(struct client *c)
{
	return c->pair_up[NIC_SA_CUR] ? &c->pair[NIC_SA_CUR] : NULL;
}

uint32_t
client_active_spi(const struct client *c)
{
	return c->pair_up[NIC_SA_CUR] ? c->pair[NIC_SA_CUR].spi_in : 0;
}

static void
pair_drop(struct client *c, enum nic_sa_role r)
{
	if (c->pair_up[r])
		sec_pair_fini(&c->pair[r]);
	c->pair_up[r] = false;
	c->sec_up = c->pair_up[NIC_SA_CUR];
}

/* MUT_GCM_IV_RESTART: the explicit IV comes from a RAM counter, not the sequence number. */
static int
mut_iv_from_ram(void *arg, uint64_t seq, uint8_t *iv, size_t len)
{
	uint64_t *counter = arg;
	(void)seq;
	memset(iv, 0, len);
	put_be32(iv + len - 8, (uint32_t)(++*counter >> 32));
	put_be32(iv + len - 4, (uint32_t)*counter);
	return RMC_OK;
}

/*
 * Opens an SA from NVRAM. Its inbound windows start at the floor NVRAM
 * kept for it: every command carried out under the SA before (a power
 * loss, a commit that re-opens it) stays refused.
 */
static int
pair_load(struct client *c, enum nic_sa_role r, const struct nvram_sa *s)
{
	uint64_t floor;
	pair_drop(c, r);
	c->pair_up[r] = sec_pair_init(&c->pair[r], s, SEC_NIC, c->cfg.replay_window) == RMC_OK;
	c->sec_up = c->pair_up[NIC_SA_CUR];
	if (c->pair_up[r] && nvram_rx_floor(&c->nv, s->spi_in, &floor) == RMC_OK && floor)
		sec_pair_restore_replay(&c->pair[r], floor);
	if (c->pair_up[r] && c->cfg.mutant == MUT_GCM_IV_RESTART) {
		c->mut_iv[r] = 0; /* the counter starts again whenever the SA is loaded */
		c->pair[r].esp_out.iv_fn = mut_iv_from_ram;
		c->pair[r].esp_out.iv_arg = &c->mut_iv[r];
	}
	return c->pair_up[r] ? RMC_OK : RMC_ECRYPTO;
}

/* A pair holds EVP contexts and a SAD pointing into itself: re-open, never copy. */
static void
pair_reload(struct client *c, enum nic_sa_role r,
	    int (*get)(const struct nvram *, struct nvram_sa *))
{
	struct nvram_sa s;
	pair_drop(c, r);
	if (get(&c->nv, &s) == RMC_OK)
		pair_load(c, r, &s);
	explicit_bzero(&s, sizeof(s));
}

void
nic_load_sas(struct client *c)
{
	pair_reload(c, NIC_SA_CUR, nvram_sa_active);
	pair_reload(c, NIC_SA_PEND, nvram_sa_pending);
	/* The previous SA was RAM only: after a power loss the server is on the new one. */
	pair_drop(c, NIC_SA_PREV);
}

void
nic_drop_sas(struct client *c)
{
	for (int r = 0; r < NIC_SA__COUNT; r++)
		pair_drop(c, (enum nic_sa_role)r);
}

int
nic_role_for_spi(const struct client *c, uint32_t spi_in)
{
	for (int r = 0; r < NIC_SA__COUNT; r++)
		if (c->pair_up[r] && c->pair[r].spi_in == spi_in)
			return r;
	return -1;
}

int
nic_send_sealed(struct client *c, uint64_t now, enum nic_sa_role r, const uint8_t mac[ETH_ALEN],
		uint32_t ip, uint16_t sport, uint16_t dport, const uint8_t *buf, size_t n,
		struct node_out *out)
{
	uint64_t seq;
	if (!c->pair_up[r])
		return RMC_ESTATE;
	int rc = nvram_seq_next(&c->nv, c->pair[r].spi_out, &seq);
	if (rc == RMC_OK && c->cfg.mutant == MUT_SEQ_RESTART)
		seq = ++c->mut_seq; /* checkpoints written, then ignored: restarts at 1 */
	if (rc) {
		if (nvram_power_lost(&c->nv))
			client_check_nvram_cut(c, now, out);
		else
			c->st.seq_unavailable++;
		return rc;
	}
	return netif_send_udp_sealed(&c->nif, out, &c->pair[r], seq, mac, ip, sport, dport, buf, n);
}

/*
 * One write per command, not per packet: a command changes the machine's
 * state, a request only reads it, and a replayed request tells an
 * eavesdropper nothing the captured answer did not (docs/internals/decisions.md,
 * "What the NIC keeps of its replay window"). The previous SA is RAM only:
 * after a power loss it is gone, so there is nothing to keep for it.
 */
int
nic_save_replay_floor(struct client *c, uint64_t now, enum nic_sa_role r, struct node_out *out)
{
	if (c->cfg.mutant == MUT_REPLAY_WINDOW_IN_RAM)
		return RMC_OK; /* the broken NIC keeps its window in RAM only */
	if (r == NIC_SA_PREV)
		return RMC_OK;
	if (!c->pair_up[r])
		return RMC_ESTATE;
	int rc =
	    nvram_rx_floor_raise(&c->nv, c->pair[r].spi_in, sec_pair_replay_floor(&c->pair[r]));
	if (rc == RMC_OK)
		return RMC_OK;
	if (nvram_power_lost(&c->nv)) {
		client_check_nvram_cut(c, now, out);
		return rc;
	}
	c->st.floor_unsaved++;
	node_out_note(out, "NVRAM refused the replay floor: %s", rmc_strerror(rc));
	return rc;
}

/* Commit messages go to the server under the SA they commit (proto/commit_wire.h). */
static void
send_commit(struct client *c, uint64_t now, const struct commit_msg *m, struct node_out *out)
{
	int r = nic_role_for_spi(c, m->new_spi);
	if (r < 0 || !c->server_mac_known)
		return;
	struct commit_wire w = {.type = commit_msg_wire_type(m->type),
				.nic_spi_in = m->new_spi,
				.nic_spi_out = c->pair[r].spi_out,
				.txid = m->txid,
				.gen = m->gen};
	uint8_t buf[COMMIT_WIRE_RMCP_LEN];
	size_t n;
	if (commit_wire_pack(&w, buf, sizeof(buf), &n))
		return;
	node_out_note(out, "sent %s txid %08x", commit_wire_name(w.type), w.txid);
	out->commit_steps |= w.type == ASF_COMMIT_READY ? NODE_STEP_READY : NODE_STEP_CONFIRM;
	nic_send_sealed(c, now, (enum nic_sa_role)r, c->server_mac, c->cfg.ike.server_ip,
			RMCP_PORT_SECURE, RMCP_PORT_SECURE, buf, n, out);
}

static void activate(struct client *c, uint64_t now, uint32_t spi, struct node_out *out);

/* Fig. 5 step 41: the SA the host negotiated goes to NVRAM as pending. */
static void
install(struct client *c, uint64_t now, uint32_t spi, struct node_out *out)
{
	if (c->host_sa.spi_in != spi)
		return;
	int rc = nvram_sa_stage(&c->nv, &c->host_sa);
	if (rc) {
		client_check_nvram_cut(c, now, out);
		node_out_note(out, "NVRAM refused the new SA: %s", rmc_strerror(rc));
		return;
	}
	pair_load(c, NIC_SA_PEND, &c->host_sa);
	if (c->cfg.mutant == MUT_COMMIT_BEFORE_ACK)
		activate(c, now, spi, out);
}

/*
 * Fig. 5 step 45: the pending slot becomes the active one, atomically in
 * NVRAM; RAM re-opens both from NVRAM so it always holds what survives a
 * power loss. Robust keeps the old SA as the previous pair, inbound only.
 */
static void
activate(struct client *c, uint64_t now, uint32_t spi, struct node_out *out)
{
	struct nvram_sa p, old;
	bool had_old = nvram_sa_active(&c->nv, &old) == RMC_OK;
	int rc = nvram_sa_pending(&c->nv, &p);
	if (rc == RMC_OK && p.spi_in == spi)
		rc = nvram_sa_commit(&c->nv, p.txid);
	else
		rc = RMC_ESTATE;
	explicit_bzero(&p, sizeof(p));
	if (rc == RMC_OK) {
		c->st.commits++;
		out->commit_steps |= NODE_STEP_ACK;
		node_out_note(out, "NIC committed SA %08x", spi);
		if (c->cfg.profile == COMMIT_ROBUST && had_old &&
		    c->cfg.mutant != MUT_RETIRE_PREV_ON_COMMIT)
			pair_load(c, NIC_SA_PREV, &old);
		pair_reload(c, NIC_SA_CUR, nvram_sa_active);
		pair_drop(c, NIC_SA_PEND);
	} else {
		client_check_nvram_cut(c, now, out);
	}
	explicit_bzero(&old, sizeof(old));
}

/* Fig. 5 step 52. Robust keeps the pending SA: a late ACK still commits it. */
static void
restore(struct client *c, struct node_out *out)
{
	c->st.restores++;
	node_out_note(out, "NIC restored SA %08x", client_active_spi(c));
	if (c->cfg.profile == COMMIT_STRICT) {
		nvram_sa_discard_pending(&c->nv);
		pair_drop(c, NIC_SA_PEND);
	}
}

static void
apply(struct client *c, uint64_t now, const struct commit_action *a, struct node_out *out)
{
	switch (a->type) {
	case COMMIT_ACT_SEND:
		send_commit(c, now, &a->msg, out);
		break;
	case COMMIT_ACT_INSTALL:
		install(c, now, a->spi, out);
		break;
	case COMMIT_ACT_ACTIVATE:
		activate(c, now, a->spi, out);
		break;
	case COMMIT_ACT_RESTORE:
		restore(c, out);
		break;
	case COMMIT_ACT_RETIRE:
		pair_drop(c, NIC_SA_PREV);
		break;
	case COMMIT_ACT_ARM:
		node_out_timer(out, CLIENT_TIMER_COMMIT + a->timer, a->deadline);
		break;
	case COMMIT_ACT_CANCEL:
		node_out_timer(out, CLIENT_TIMER_COMMIT + a->timer, NODE_TIMER_NEVER);
		break;
	default:
		break;
	}
}

void
nic_commit_event(struct client *c, uint64_t now, const struct commit_event *ev,
		 struct node_out *out)
{
	struct commit_action act[COMMIT_MAX_ACTIONS];
	int n = commit_client_step(&c->cm, ev, now, act, COMMIT_MAX_ACTIONS);
	for (int i = 0; i < n; i++)
		apply(c, now, &act[i], out);
}

/* An SA_ACK from the server, opened under the pair in role r. */
void
nic_on_commit_msg(struct client *c, uint64_t now, int r, const struct rmcp_msg *m,
		  struct node_out *out)
{
	struct commit_wire w;
	enum commit_msg_type type;
	if (commit_wire_decode(m, &w) != RMC_OK || commit_msg_from_wire(w.type, &type) != RMC_OK ||
	    type != COMMIT_SA_ACK || w.nic_spi_in != c->pair[r].spi_in) {
		c->st.malformed++;
		return;
	}
	c->st.commit_rx++;
	struct commit_event ev = {
	    .type = COMMIT_EV_MSG,
	    .msg = {.type = type, .txid = w.txid, .new_spi = w.nic_spi_in, .gen = w.gen}};
	if (c->cfg.mutant == MUT_COMMIT_WRONG_TXID && r == NIC_SA_PEND)
		ev.msg.txid =
		    c->cm.pending_txid; /* the SA opened it: the broken NIC asks no more */
	nic_commit_event(c, now, &ev, out);
}

int
nic_mut_send_under_prev(struct client *c, const uint8_t mac[ETH_ALEN], uint32_t ip, uint16_t sport,
			uint16_t dport, const uint8_t *buf, size_t n, struct node_out *out)
{
	if (!c->pair_up[NIC_SA_PREV])
		return RMC_ESTATE;
	for (int i = 0; i < 2; i++) {
		struct nvram_slot *sl = &c->nv.slot[i];
		if (sl->valid && sl->sa.spi_out == c->pair[NIC_SA_PREV].spi_out)
			return netif_send_udp_sealed(&c->nif, out, &c->pair[NIC_SA_PREV],
						     sl->next++, mac, ip, sport, dport, buf, n);
	}
	return RMC_ENOENT;
}

int
nic_mut_stale_slot(struct client *c, uint32_t spi_in)
{
	if (c->pair_up[NIC_SA_PREV])
		return c->pair[NIC_SA_PREV].spi_in == spi_in ? NIC_SA_PREV : -1;
	for (int i = 0; i < 2; i++) {
		const struct nvram_slot *sl = &c->nv.slot[i];
		if (sl->valid && sl->sa.spi_in == spi_in)
			return pair_load(c, NIC_SA_PREV, &sl->sa) == RMC_OK ? NIC_SA_PREV : -1;
	}
	return -1;
}
