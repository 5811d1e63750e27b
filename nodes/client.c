#include "nodes/client.h"

#include <string.h>

#include "nodes/client_host.h"
#include "nodes/client_power.h"
#include "nodes/client_sa.h"
#include "nodes/ike_sa.h"
#include "proto/err.h"

int
client_init(struct client *c, const struct client_cfg *cfg)
{
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	c->power = cfg->power;
	struct nvram_config nvc = cfg->nvram;
	nvc.mutant_in_place = cfg->mutant == MUT_NVRAM_NOT_ATOMIC;
	nvram_init(&c->nv, &nvc);
	/* Provisioning stands in for the IKE exchange of Fig. 3 step 11 until IKE is wired in. */
	if (cfg->sa.suite != MGMT_SUITE_NONE && power_caps(cfg->power).context) {
		int rc = nvram_sa_stage(&c->nv, &cfg->sa);
		if (rc == RMC_OK)
			rc = nvram_sa_commit(&c->nv, cfg->sa.txid);
		if (rc)
			return rc;
	}
	if (power_caps(c->power).nic_alive)
		nic_load_sas(c);
	explicit_bzero(&c->cfg.sa, sizeof(c->cfg.sa));
	commit_client_init(&c->cm, cfg->profile, cfg->timing, client_active_spi(c));
	c->rand_state = cfg->ike.rand_seed;
	int rc = netif_init(&c->nif, cfg->mac, cfg->ip, cfg->first_ip_id);
	if (rc == RMC_OK && c->cfg.ike.enabled &&
	    ike_suite_for_mgmt(cfg->ike.suite) == IKE_SUITE_NONE)
		rc = RMC_EUNSUP;
	if (rc == RMC_OK && c->power == PWR_OS_UP)
		host_follow_power(c, PWR_OS_UP, NULL);
	return rc;
}

void
client_fini(struct client *c)
{
	if (!c)
		return;
	host_stop(c);
	nic_drop_sas(c);
	explicit_bzero(&c->host_sa, sizeof(c->host_sa));
	netif_fini(&c->nif);
	explicit_bzero(&c->nv, sizeof(c->nv));
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

/*
 * MUT_SA_LOST_ON_*: the broken NIC holds its SAs for the host's driver and
 * flushes them from RAM when the host enters that state; it reads NVRAM
 * again only when it powers up itself (or commits a new SA).
 */
static bool
mut_sa_lost_on(const struct client *c, enum power_state next)
{
	return (c->cfg.mutant == MUT_SA_LOST_ON_HANG && next == PWR_OS_HUNG) ||
	       (c->cfg.mutant == MUT_SA_LOST_ON_PREBOOT && next == PWR_PRE_BOOT) ||
	       (c->cfg.mutant == MUT_SA_LOST_ON_SUSPEND && next == PWR_OS_SUSPEND);
}

/* What a power change does to the NIC: RAM lost, NVRAM re-read, context erased. */
static void
nic_follow_power(struct client *c, uint64_t now, enum power_cause cause, enum power_state next,
		 struct node_out *out)
{
	if (mut_sa_lost_on(c, next)) {
		nic_drop_sas(c);
		node_out_note(out, "NIC flushed its SAs");
	}
	if (next == PWR_MECH_OFF) {
		nic_drop_sas(c);
		nvram_cut_disarm(&c->nv);
		c->cut_armed = false;
		for (int t = 0; t < COMMIT_T__COUNT; t++)
			node_out_timer(out, CLIENT_TIMER_COMMIT + (uint32_t)t, NODE_TIMER_NEVER);
	} else if (c->power == PWR_MECH_OFF) {
		nvram_restore(&c->nv);
		nic_load_sas(c);
		c->mut_seq = 0; /* only MUT_SEQ_RESTART uses it */
		/* the NIC restarts: RAM and timers gone, the commit state is in NVRAM; a
		 * pending SA whose write the power cut tore did not survive */
		struct commit_event ev = {.type = c->pair_up[NIC_SA_PEND] ? COMMIT_EV_RESET
									  : COMMIT_EV_PENDING_LOST};
		nic_commit_event(c, now, &ev, out);
	}
	if (cause == PC_NVRAM_CLEAR || cause == PC_FRESH_INSTALL) {
		nvram_clear(&c->nv);
		nic_drop_sas(c);
		struct commit_event ev = {.type = COMMIT_EV_FORGET};
		nic_commit_event(c, now, &ev, out);
		for (int t = 0; t < COMMIT_T__COUNT; t++)
			node_out_timer(out, CLIENT_TIMER_COMMIT + (uint32_t)t, NODE_TIMER_NEVER);
	}
	host_follow_power(c, next, out);
}

int
client_set_power(struct client *c, uint64_t now, enum power_cause cause, struct node_out *out)
{
	enum power_state next;
	if (power_step(c->power, cause, &next) != 0) {
		node_out_note(out, "power %s: %s refused", power_state_name(c->power),
			      power_cause_name(cause));
		return RMC_ESTATE;
	}
	node_out_note(out, "power %s -> %s (%s)", power_state_name(c->power),
		      power_state_name(next), power_cause_name(cause));
	nic_follow_power(c, now, cause, next, out); /* reads c->power: where the NIC comes from */
	c->power = next;
	if (booting(next) && c->cfg.boot_ns != NODE_TIMER_NEVER)
		node_out_timer(out, CLIENT_TIMER_BOOT, now + c->cfg.boot_ns);
	else
		node_out_timer(out, CLIENT_TIMER_BOOT, NODE_TIMER_NEVER);
	return RMC_OK;
}

void
client_check_nvram_cut(struct client *c, uint64_t now, struct node_out *out)
{
	if (!nvram_power_lost(&c->nv) || c->power == PWR_MECH_OFF)
		return;
	c->st.nvram_power_cuts++;
	c->cut_armed = false;
	node_out_note(out, "power lost in the middle of an NVRAM write");
	client_set_power(c, now, PC_POWER_LOSS, out);
}

int
client_power_event(struct client *c, uint64_t now, enum power_cause cause, struct node_out *out)
{
	return client_set_power(c, now, cause, out);
}

void
client_arm_nvram_cut(struct client *c, size_t n)
{
	nvram_cut_at_write(&c->nv, 0, n);
	c->cut_armed = true;
}

/*
 * MUT_COMMIT_ON_ACK_TIMEOUT: where the machine would restore the previous
 * SA (Fig. 5 step 52, the last wait for SA_ACK over), the broken NIC takes
 * the silence for an ACK and commits.
 */
static bool
mut_ack_assumed(const struct client *c, enum commit_timer t, uint64_t now)
{
	return c->cfg.mutant == MUT_COMMIT_ON_ACK_TIMEOUT && t == COMMIT_T_ACK &&
	       c->cm.phase == COMMIT_C_WAIT_ACK && c->cm.deadline[t] && c->cm.deadline[t] <= now &&
	       (c->cm.profile == COMMIT_STRICT || c->cm.tries >= c->cm.t.ready_tries);
}

void
client_on_timer(struct client *c, uint64_t now, uint32_t id, struct node_out *out)
{
	if (id == CLIENT_TIMER_BOOT && booting(c->power)) {
		client_set_power(c, now, PC_BOOT_COMPLETE, out);
	} else if (id == CLIENT_TIMER_IKE) {
		host_on_timer(c, now, out);
	} else if (id >= CLIENT_TIMER_COMMIT && id < CLIENT_TIMER_COMMIT + COMMIT_T__COUNT &&
		   power_caps(c->power).nic_alive) {
		struct commit_event ev = {.type = COMMIT_EV_TIMEOUT,
					  .timer = (enum commit_timer)(id - CLIENT_TIMER_COMMIT)};
		if (mut_ack_assumed(c, ev.timer, now))
			ev = (struct commit_event){.type = COMMIT_EV_MSG,
						   .msg = {.type = COMMIT_SA_ACK,
							   .txid = c->cm.pending_txid,
							   .new_spi = c->cm.pending_spi}};
		nic_commit_event(c, now, &ev, out);
	}
}
