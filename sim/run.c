#include "sim/run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nodes/client.h"
#include "nodes/secure.h"
#include "proto/rd.h"
#include "nodes/server.h"
#include "nodes/store.h"
#include "pcap/keys.h"
#include "pcap/trace.h"
#include "proto/err.h"
#include "proto/rmcp.h"
#include "sim/engine.h"
#include "sim/json.h"
#include "sim/lan.h"
#include "sim/link.h"
#include "sim/observe.h"
#include "sim/rng.h"
#include "sim/dut.h"
#include "sim/run_dut.h"
#include "sim/run_int.h"
#include "sim/run_tap.h"
#include "sim/trace_check.h"

struct verdict {
	bool pass;
	bool na; /* DUT mode: not judged, the DUT cannot show it (detail says why) */
	char what[160];
	char detail[200];
};

static const char *
verdict_name(const struct verdict *v)
{
	return v->na ? "N/A" : v->pass ? "PASS" : "FAIL";
}

uint64_t
run_seed(const struct scenario *sc, const struct run_opts *o)
{
	if (o->seed_set)
		return o->seed;
	return sc->has_seed ? sc->seed : 1;
}

static void
add_note(struct run *r, size_t node, const char *text)
{
	if (r->nnotes == r->capnotes) {
		size_t cap = r->capnotes ? r->capnotes * 2 : 64;
		struct note *n = realloc(r->notes, cap * sizeof(*n));
		if (!n) {
			r->io_error = RMC_ENOMEM;
			return;
		}
		r->notes = n;
		r->capnotes = cap;
	}
	struct note *n = &r->notes[r->nnotes++];
	n->t = r->eng.now;
	n->node = node;
	size_t len = strnlen(text, sizeof(n->text) - 1); /* a long note is cut, on purpose */
	memcpy(n->text, text, len);
	n->text[len] = '\0';
}

static int
client_of_ip(const struct scenario *sc, uint32_t ip)
{
	for (size_t i = 0; i < sc->nnodes; i++)
		if (sc->nodes[i].role == SCN_CLIENT && sc->nodes[i].ip == ip)
			return (int)i;
	return -1;
}

/* A node exported an SA: the run logs it once, and the observer can open its traffic. */
static void
log_key(struct run *r, const struct node_key *k)
{
	int ci = client_of_ip(r->sc, k->nic_ip);
	unsigned ord = 1;
	if (ci < 0)
		return;
	for (size_t i = 0; i < r->nsas; i++) {
		if (r->sas[i].sa.spi_in == k->sa.spi_in && r->sas[i].sa.spi_out == k->sa.spi_out)
			return; /* both ends export the same SA */
		if (r->sas[i].client == (size_t)ci)
			ord++;
	}
	if (r->nsas == r->capsas) {
		size_t cap = r->capsas ? r->capsas * 2 : 8;
		struct run_sa *v = realloc(r->sas, cap * sizeof(*v));
		if (!v) {
			r->io_error = RMC_ENOMEM;
			return;
		}
		r->sas = v;
		r->capsas = cap;
	}
	r->sas[r->nsas++] = (struct run_sa){k->sa, (size_t)ci, ord};
	if (obs_log_add_sa(&r->obs, &k->sa, (int16_t)ci, (uint16_t)ord,
			   r->sc->security.replay_window) != RMC_OK)
		r->io_error = RMC_ENOMEM;
}

static void
log_ike_key(struct run *r, const char *line)
{
	if (r->nike == r->capike) {
		size_t cap = r->capike ? r->capike * 2 : 8;
		char(*v)[NODE_IKE_KEY_LEN] = realloc(r->ike_lines, cap * sizeof(*v));
		if (!v) {
			r->io_error = RMC_ENOMEM;
			return;
		}
		r->ike_lines = v;
		r->capike = cap;
	}
	snprintf(r->ike_lines[r->nike++], NODE_IKE_KEY_LEN, "%s", line);
}

static void on_timer(void *ctx, uint64_t arg);
static int commit_step_loss(struct run *r, struct simnode *sn, uint8_t steps);
static void track_clear(struct run *r);
static void server_fault(struct run *r, struct simnode *sn, enum fault_action a, bool recover);

/* The node's own idea of the time: the run's, shifted by any clock jump. */
static uint64_t
node_now(const struct run *r, const struct simnode *sn)
{
	int64_t t = (int64_t)r->eng.now + sn->clock_off;
	return t < 0 ? 0 : (uint64_t)t;
}

/* Turns what a node asked for into LAN transmissions, engine events and log entries. */
static void
flush(struct run *r, struct simnode *sn)
{
	struct node_out *o = &r->out;
	int loss = sn->role == SCN_CLIENT && o->commit_steps
		       ? commit_step_loss(r, sn, o->commit_steps)
		       : FAULT_STEP_NONE;
	const struct fault_rule *stop =
	    sn->role == SCN_SERVER && (o->commit_steps & NODE_STEP_ACK)
		? fault_commit_step(&r->link.fe, r->eng.now, (int)sn->idx, FAULT_STEP_ACK)
		: NULL;
	if (loss == FAULT_STEP_ACK)
		o->nframes = 0; /* the power failed after the commit, before SA_CONFIRM left */
	/* keys first: the frames of this step may already travel under them */
	for (size_t i = 0; i < o->nkeys; i++)
		log_key(r, &o->keys[i]);
	for (size_t i = 0; i < o->nike_keys; i++)
		log_ike_key(r, o->ike_keys[i]);
	for (size_t i = 0; i < o->nframes; i++)
		if (r->tap)
			run_tap_send(r, sn->idx, o->buf + o->frame_off[i], o->frame_len[i]);
		else
			lan_send(&r->lan, sn->idx, o->buf + o->frame_off[i], o->frame_len[i]);
	for (size_t i = 0; i < o->ntimers; i++) {
		uint32_t id = o->timers[i].id;
		uint32_t gen = ++sn->timer_gen[id];
		if (o->timers[i].at == NODE_TIMER_NEVER)
			continue;
		/* the node asked in its own time; the queue runs on the run's */
		int64_t at = (int64_t)o->timers[i].at - sn->clock_off;
		engine_at(&r->eng, at < (int64_t)r->eng.now ? r->eng.now : (uint64_t)at, on_timer,
			  sn, ((uint64_t)gen << 32) | id);
	}
	for (size_t i = 0; i < o->nnotes; i++)
		add_note(r, sn->idx, o->notes[i]);

	if (o->dropped)
		add_note(r, sn->idx, "node output overflow: some frames or timers were lost");
	node_out_reset(o);
	track_clear(r);
	if (stop) {
		/* a crash or hang right after this SA_ACK left (docs/faults.md) */
		server_fault(r, sn, (enum fault_action)stop->action, false);
		flush(r, sn);
	}
	if (loss) {
		/* a power_loss fault at this commit step (docs/faults.md) */
		client_power_event(&sn->u.c, node_now(r, sn), PC_POWER_LOSS, o);
		flush(r, sn);
	}
}

void
run_note(struct run *r, size_t node, const char *text)
{
	add_note(r, node, text);
}

void
run_flush(struct run *r, struct simnode *sn)
{
	flush(r, sn);
}

uint64_t
run_node_now(const struct run *r, const struct simnode *sn)
{
	return node_now(r, sn);
}

static void
on_timer(void *ctx, uint64_t arg)
{
	struct simnode *sn = ctx;
	uint32_t id = (uint32_t)arg, gen = (uint32_t)(arg >> 32);
	if (gen != sn->timer_gen[id])
		return; /* re-armed or cancelled since */
	struct run *r = sn->run;
	if (sn->role == SCN_CLIENT)
		client_on_timer(&sn->u.c, node_now(r, sn), id, &r->out);
	else
		server_on_timer(&sn->u.s, node_now(r, sn), id, &r->out);
	flush(r, sn);
}

void
run_deliver(struct run *r, size_t port, uint64_t now, const uint8_t *frame, size_t len)
{
	struct simnode *sn = &r->nodes[port];
	if (sn->pcap)
		trace_write(sn->pcap, now, frame, len);
	if (sn->role == SCN_CLIENT)
		client_on_frame(&sn->u.c, node_now(r, sn), frame, len, &r->out);
	else
		server_on_frame(&sn->u.s, node_now(r, sn), frame, len, &r->out);
	flush(r, sn);
}

static void
on_deliver(void *ctx, size_t port, uint64_t now, const uint8_t *frame, size_t len)
{
	run_deliver(ctx, port, now, frame, len);
}

void
run_capture(struct run *r, size_t port, uint64_t t, const uint8_t *frame, size_t len)
{
	trace_write(r->trace, t, frame, len);
	if (r->nodes[port].pcap)
		trace_write(r->nodes[port].pcap, t, frame, len);
	if (obs_log_frame(&r->obs, r->sc, t, frame, len) != RMC_OK)
		r->io_error = RMC_ENOMEM;
}

static void
on_capture(void *ctx, size_t port, uint64_t t, const uint8_t *frame, size_t len)
{
	run_capture(ctx, port, t, frame, len);
}

/* ---- clear windows: when some client and its server share no security context ---- */

static bool
clear_permitted(const struct run *r)
{
	const struct simnode *sv = NULL;
	for (size_t i = 0; i < r->sc->nnodes; i++)
		if (r->nodes[i].role == SCN_SERVER && r->nodes[i].u.s.active &&
		    server_running(&r->nodes[i].u.s)) {
			sv = &r->nodes[i];
			break;
		}
	bool dut_serves = !sv && dut_is_server(r);
	if (!sv && !dut_serves)
		return false; /* no server manages anybody: nothing may be said */
	for (size_t i = 0, ci = 0; i < r->sc->nnodes; i++) {
		if (r->nodes[i].role != SCN_CLIENT)
			continue;
		const struct client *c = &r->nodes[i].u.c;
		/* a DUT's NIC cannot be looked into: the server's view decides */
		bool nic = (int)i == r->dut || client_active_spi(c) != 0 ||
			   !power_caps(c->power).nic_alive;
		/* a server DUT cannot be looked into: its clients' view decides */
		if (!nic || (sv && !server_client_spi(&sv->u.s, ci)))
			return true; /* this pair has no shared context (rows 6, 8, 9) */
		ci++;
	}
	return false;
}

static void
close_window(struct run *r, uint64_t until)
{
	struct clear_windows *cw = &r->clear;
	if (cw->n == cw->cap) {
		size_t cap = cw->cap ? cw->cap * 2 : 8;
		uint64_t(*v)[2] = realloc(cw->w, cap * sizeof(*v));
		if (!v) {
			r->io_error = RMC_ENOMEM;
			return;
		}
		cw->w = v;
		cw->cap = cap;
	}
	/* a clear request sent while permitted may still be retried and answered */
	uint64_t grace = 0;
	for (size_t i = 0; i < r->sc->nnodes; i++)
		if (r->sc->nodes[i].role == SCN_SERVER) {
			uint64_t g =
			    (uint64_t)(r->sc->nodes[i].retries + 1) * r->sc->nodes[i].retx_ns;
			grace = g > grace ? g : grace;
		}
	cw->w[cw->n][0] = r->clear_since;
	cw->w[cw->n][1] = until > UINT64_MAX - grace ? UINT64_MAX : until + grace;
	cw->n++;
}

/* After every node step: open or close the current window. A scan of the clients per
 * step, so only when the scenario has security at all. */
static void
track_clear(struct run *r)
{
	if (!r->clear.known)
		return;
	bool ok = clear_permitted(r);
	if (ok == r->clear_open)
		return;
	if (ok)
		r->clear_since = r->eng.now;
	else
		close_window(r, r->eng.now);
	r->clear_open = ok;
}

/* ---- node faults (docs/faults.md): crash, hang, clock jump, power loss ---- */

/* The power_loss rule due at one of the commit steps the client just reached, if any. */
static int
commit_step_loss(struct run *r, struct simnode *sn, uint8_t steps)
{
	static const struct {
		uint8_t bit;
		enum fault_step step;
	} map[] = {{NODE_STEP_READY, FAULT_STEP_READY},
		   {NODE_STEP_ACK, FAULT_STEP_ACK},
		   {NODE_STEP_CONFIRM, FAULT_STEP_CONFIRM}};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if ((steps & map[i].bit) &&
		    fault_commit_step(&r->link.fe, r->eng.now, (int)sn->idx, map[i].step)) {
			add_note(r, sn->idx, "fault: power lost at the commit step");
			return map[i].step;
		}
	return FAULT_STEP_NONE;
}

static void
server_fault(struct run *r, struct simnode *sn, enum fault_action a, bool recover)
{
	static const enum power_cause crash_back[] = {PC_POWER_RESTORE, PC_POWER_UP,
						      PC_BOOT_COMPLETE};
	static const enum power_cause hang_back[] = {PC_RESET, PC_BOOT_COMPLETE};
	uint64_t now = node_now(r, sn);
	if (!recover) {
		server_power_event(&sn->u.s, now, a == FAULT_CRASH ? PC_POWER_LOSS : PC_OS_HANG,
				   &r->out);
		return;
	}
	/* back up: power, firmware, OS; what it knew comes from its store */
	const enum power_cause *c = a == FAULT_CRASH ? crash_back : hang_back;
	size_t n = a == FAULT_CRASH ? 3 : 2;
	for (size_t i = 0; i < n; i++)
		server_power_event(&sn->u.s, now, c[i], &r->out);
}

static void
client_fault(struct run *r, struct simnode *sn, const struct fault_rule *f, bool recover)
{
	uint64_t now = node_now(r, sn);
	enum power_cause cause;
	if (f->action == FAULT_POWER_LOSS && f->nvram_byte >= 0) {
		client_arm_nvram_cut(&sn->u.c, (size_t)f->nvram_byte);
		return;
	}
	if (f->action == FAULT_HANG)
		cause = recover ? PC_RESET : PC_OS_HANG;
	else
		cause = recover ? PC_POWER_RESTORE : PC_POWER_LOSS; /* crash, power_loss */
	client_power_event(&sn->u.c, now, cause, &r->out);
}

/* sim/link hands each timed node fault (logged) to the run, which applies it. */
static void
on_node_fault(void *ctx, uint64_t now, const struct fault_rule *f, bool recover)
{
	struct run *r = ctx;
	(void)now;
	if (f->node < 0 || (size_t)f->node >= r->sc->nnodes)
		return;
	struct simnode *sn = &r->nodes[f->node];
	if (f->node == r->dut) {
		snprintf(r->dut_na, sizeof(r->dut_na), "a node fault (%s) on the DUT",
			 fault_action_name((enum fault_action)f->action));
		return;
	}
	add_note(r, sn->idx, recover ? "fault: recovers" : "fault: applied");
	if (f->action == FAULT_CLOCK_JUMP)
		sn->clock_off += f->by_ns;
	else if (sn->role == SCN_SERVER)
		server_fault(r, sn, f->action, recover);
	else
		client_fault(r, sn, f, recover);
	flush(r, sn);
}

static void
on_action(void *ctx, uint64_t arg)
{
	struct run *r = ctx;
	const struct scn_action *a = &r->sc->actions[arg];
	uint64_t now = r->eng.now;
	if (a->verb == SCN_DO_POWER && a->server >= 0 && a->server == r->dut) {
		add_note(r, (size_t)r->dut, "power event handed to the DUT's adapter");
		run_dut_power(r, a->cause);
		return;
	}
	if (a->verb == SCN_DO_POWER && a->server >= 0) {
		struct simnode *sn = &r->nodes[a->server];
		server_power_event(&sn->u.s, now, a->cause, &r->out);
		flush(r, sn);
		return;
	}
	if (a->verb == SCN_DO_POWER && a->client == r->dut) {
		add_note(r, (size_t)r->dut, "power event handed to the DUT's adapter");
		run_dut_power(r, a->cause);
		return;
	}
	if (a->verb == SCN_DO_POWER) {
		struct simnode *sn = &r->nodes[a->client];
		if (a->nvram_cut != SCN_CUT_NONE) {
			/* The loss happens when the NIC next writes NVRAM, torn at this byte. */
			size_t n = a->nvram_cut == SCN_CUT_RANDOM ? rng_below(&r->rng, 32)
								  : (size_t)a->nvram_cut;
			client_arm_nvram_cut(&sn->u.c, n);
			add_note(r, sn->idx, "power will fail during the next NVRAM write");
			return;
		}
		client_power_event(&sn->u.c, now, a->cause, &r->out);
		flush(r, sn);
		return;
	}
	if (a->server == r->dut) {
		run_dut_send(r, a);
		return;
	}
	enum server_via via = a->via == SCN_VIA_SECURE	? SERVER_VIA_SECURE
			      : a->via == SCN_VIA_CLEAR ? SERVER_VIA_CLEAR
			      : r->sc->security.enabled ? SERVER_VIA_AUTO
							: SERVER_VIA_CLEAR;
	struct simnode *sn = &r->nodes[a->server];
	struct server *s = &sn->u.s;
	if (a->verb == SCN_DO_DISCOVER) {
		for (size_t i = 0; i < s->nclients; i++)
			server_send(s, now, i, ASF_PRESENCE_PING, via, &r->out);
	} else {
		int ci = server_find_client(s, r->sc->nodes[a->client].name);
		if (ci >= 0)
			if (server_send(s, now, (size_t)ci, a->asf_type, via, &r->out) != RMC_OK)
				add_note(r, sn->idx,
					 "could not send: no usable SA and no clear mode");
	}
	flush(r, sn);
}

/*
 * Every client's SA comes from the run's seed: SPIs and keys drawn from a
 * stream of their own, so adding a node or a fault elsewhere does not
 * change another client's keys. It stands in for the IKE exchange.
 */
static void
derive_sa(const struct scenario *sc, uint64_t seed, size_t idx, uint32_t peer_ip,
	  struct nvram_sa *sa)
{
	struct rng k;
	rng_seed(&k, seed ^ (0x5341ULL << 48) ^ idx);
	memset(sa, 0, sizeof(*sa));
	sa->suite = sc->security.suite;
	sa->esn = sc->security.esn;
	mgmt_suite_key_lens(sa->suite, &sa->key_len, &sa->salt_len, &sa->integ_key_len);
	sa->spi_in = 0x1000 + (uint32_t)rng_below(&k, 0x7fffe000);
	do
		sa->spi_out = 0x1000 + (uint32_t)rng_below(&k, 0x7fffe000);
	while (sa->spi_out == sa->spi_in);
	uint8_t *fields[] = {sa->key,	 sa->salt,    sa->integ_key,
			     sa->key_in, sa->salt_in, sa->integ_key_in};
	size_t lens[] = {sa->key_len, sa->salt_len, sa->integ_key_len,
			 sa->key_len, sa->salt_len, sa->integ_key_len};
	for (size_t f = 0; f < 6; f++)
		for (size_t b = 0; b < lens[f]; b++)
			fields[f][b] = (uint8_t)rng_next(&k);
	put_be32(sa->peer_ip, peer_ip);
	sa->txid = 1;
}

static void
client_nvram_config(const struct scenario *sc, struct nvram_config *nv)
{
	nvram_config_default(nv);
	nv->policy.clear_allowed = sc->security.clear_allowed;
	nv->policy.clear_port = sc->security.clear_port;
	nv->policy.clear_msgs = sc->security.clear_msgs;
	nv->seq_reservation = sc->security.reservation;
}

/*
 * Provisioned SAs go into the key log as if the nodes had exported them:
 * the harness holds its own copies of every SA, both roles, for
 * classifying what it sees; IKE-negotiated ones arrive during the run.
 */
static int
log_provisioned(struct run *r)
{
	const struct scenario *sc = r->sc;
	if (!sc->security.enabled || sc->security.ike)
		return RMC_OK;
	for (size_t i = 0; i < sc->nnodes; i++)
		if (sc->nodes[i].role == SCN_CLIENT) {
			struct node_key k = {.sa = r->stored[i], .nic_ip = sc->nodes[i].ip};
			log_key(r, &k);
			explicit_bzero(&k, sizeof(k));
		}
	return r->io_error;
}

/* The SAs are the primary's: the first server of the scenario. */
static uint32_t
primary_ip(const struct scenario *sc)
{
	for (size_t i = 0; i < sc->nnodes; i++)
		if (sc->nodes[i].role == SCN_SERVER)
			return sc->nodes[i].ip;
	return 0;
}

/* Each client's IKE pre-shared key, from the seed (a stream of its own). */
static void
derive_psk(uint64_t seed, size_t idx, uint8_t psk[32])
{
	struct rng k;
	rng_seed(&k, seed ^ (0x50534bULL << 40) ^ idx);
	for (size_t b = 0; b < 32; b++)
		psk[b] = (uint8_t)rng_next(&k);
}

static int
client_setup(struct run *r, size_t i, uint16_t ip_id)
{
	const struct scenario *sc = r->sc;
	const struct scn_node *nd = &sc->nodes[i];
	struct client_cfg cfg = {.ip = nd->ip,
				 .power = nd->power,
				 .boot_ns = nd->boot_ns,
				 .first_ip_id = ip_id,
				 .replay_window = sc->security.replay_window,
				 .profile = r->profile,
				 .timing = r->timing,
				 .mutant = r->mutant};
	snprintf(cfg.name, sizeof(cfg.name), "%s", nd->name);
	memcpy(cfg.mac, nd->mac, 6);
	client_nvram_config(sc, &cfg.nvram);
	if (sc->security.ike) {
		cfg.ike = (struct client_ike_cfg){.enabled = true,
						  .server_ip = primary_ip(sc),
						  .psk_len = 32,
						  .suite = sc->security.suite,
						  .retrans_ns = NS_PER_S / 2,
						  .rand_seed = r->seed ^ (0x484f5354ULL << 32) ^ i};
		derive_psk(r->seed, i, cfg.ike.psk);
	} else {
		cfg.sa = r->stored[i];
		cfg.ike.server_ip = primary_ip(sc);
	}
	int rc = client_init(&r->nodes[i].u.c, &cfg);
	explicit_bzero(&cfg, sizeof(cfg));
	return rc;
}

static const struct scn_node *
ha_partner(const struct scenario *sc, int want)
{
	for (size_t i = 0; i < sc->nnodes; i++)
		if (sc->nodes[i].role == SCN_SERVER && sc->nodes[i].ha == want)
			return &sc->nodes[i];
	return NULL;
}

/* Servers that negotiate or fail over keep their context in one SQLite file beside the trace. */
static int
server_store(struct run *r, size_t i, struct store **st)
{
	char err[256];
	*st = NULL;
	if (!r->sc->security.ike && !r->sc->nodes[i].ha)
		return RMC_OK;
	int rc = store_open(r->store_path, st, err, sizeof(err));
	if (rc)
		add_note(r, i, err);
	return rc;
}

static int
server_setup(struct run *r, size_t i, uint16_t ip_id)
{
	const struct scenario *sc = r->sc;
	const struct scn_node *nd = &sc->nodes[i];
	const struct scn_node *prim = ha_partner(sc, 1), *sec = ha_partner(sc, 2);
	struct server_cfg cfg = {.ip = nd->ip,
				 .retx_ns = nd->retx_ns,
				 .retries = nd->retries,
				 .first_ip_id = ip_id,
				 .first_seq = (uint8_t)rng_below(&r->rng, 255),
				 .ike = sc->security.ike,
				 .suite = sc->security.suite,
				 .ike_retrans_ns = NS_PER_S / 2,
				 .rand_seed = r->seed ^ (0x535256ULL << 40) ^ i,
				 .profile = r->profile,
				 .timing = r->timing,
				 .poll_ns = sc->security.poll_ns,
				 .clear_fallback = sc->security.clear_allowed,
				 .role = (enum server_role)nd->ha,
				 .service_ip = nd->ha ? prim->ip : nd->ip,
				 .partner_ip = nd->ha == 1 && sec ? sec->ip
					       : nd->ha == 2	  ? prim->ip
								  : 0,
				 .heartbeat_ns = nd->heartbeat_ns,
				 .takeover_ns = nd->takeover_ns,
				 .mutant = r->mutant};
	snprintf(cfg.name, sizeof(cfg.name), "%s", nd->name);
	memcpy(cfg.mac, nd->mac, 6);
	int rc = server_store(r, i, &r->stores[i]);
	cfg.store = r->stores[i];
	struct server *s = &r->nodes[i].u.s;
	if (!rc)
		rc = server_init(s, &cfg);
	/* A console's inventory: every client of the scenario. */
	for (size_t j = 0; rc == RMC_OK && j < sc->nnodes; j++) {
		if (sc->nodes[j].role != SCN_CLIENT)
			continue;
		rc = server_add_client(s, sc->nodes[j].name, sc->nodes[j].ip);
		if (!rc && sc->nodes[j].no_commit) /* a plain IPsec host (docs/mechanism.md) */
			rc = server_set_client_no_commit(s, s->nclients - 1, true);
		if (!rc && sc->security.enabled && !sc->security.ike)
			rc = server_set_client_sa(s, s->nclients - 1, &r->stored[j],
						  sc->security.replay_window);
		if (!rc && sc->security.ike) {
			uint8_t psk[32];
			derive_psk(r->seed, j, psk);
			rc = server_set_client_psk(s, s->nclients - 1, psk, sizeof(psk));
			explicit_bzero(psk, sizeof(psk));
		}
	}
	return rc;
}

static void
on_start(void *ctx, uint64_t arg)
{
	struct run *r = ctx;
	struct simnode *sn = &r->nodes[arg];
	server_start(&sn->u.s, node_now(r, sn), &r->out);
	flush(r, sn);
}

static int
nodes_init(struct run *r)
{
	const struct scenario *sc = r->sc;
	if (!(r->stored = calloc(sc->nnodes, sizeof(*r->stored))) ||
	    !(r->stores = calloc(sc->nnodes, sizeof(*r->stores))))
		return RMC_ENOMEM;
	for (size_t i = 0; sc->security.enabled && i < sc->nnodes; i++)
		if (sc->nodes[i].role == SCN_CLIENT)
			derive_sa(sc, r->seed, i, primary_ip(sc), &r->stored[i]);
	for (size_t i = 0; i < sc->nnodes; i++) {
		struct simnode *sn = &r->nodes[i];
		sn->run = r;
		sn->idx = i;
		sn->role = sc->nodes[i].role;
		uint16_t ip_id = (uint16_t)rng_next(&r->rng);
		int rc =
		    sn->role == SCN_CLIENT ? client_setup(r, i, ip_id) : server_setup(r, i, ip_id);
		if (rc)
			return rc;
		lan_port_config(&r->lan, i, &sc->link);
		if (sn->role == SCN_SERVER && run_node_here(r, i))
			engine_at(&r->eng, 0, on_start, r, i);
	}
	return RMC_OK;
}

static void
nodes_fini(struct run *r)
{
	for (size_t i = 0; r->nodes && i < r->sc->nnodes; i++) {
		struct simnode *sn = &r->nodes[i];
		if (sn->role == SCN_CLIENT)
			client_fini(&sn->u.c);
		else
			server_fini(&sn->u.s);
		trace_close(sn->pcap);
	}
	for (size_t i = 0; r->stores && i < r->sc->nnodes; i++)
		store_close(r->stores[i]);
	free(r->stores);
	free(r->nodes);
}

static const char *
node_name(const struct scenario *sc, int i)
{
	return i >= 0 ? sc->nodes[i].name : "*";
}

static void
describe_pattern(const struct scenario *sc, const struct scn_pattern *p, char *buf, size_t cap)
{
	const char *msg = scn_msg_name(p);
	int n = snprintf(buf, cap, "%s %s->%s", msg, node_name(sc, p->from), node_name(sc, p->to));
	if (p->port >= 0 && n > 0 && (size_t)n < cap)
		snprintf(buf + n, cap - (size_t)n, " port %d", p->port);
}

static void
judge_seen(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	size_t at = 0;
	char buf[96];
	int n = 0;
	for (size_t k = 0; k < e->npat; k++) {
		while (at < r->obs.n && !obs_match(&r->obs.v[at], &e->pat[k]))
			at++;
		if (at == r->obs.n) {
			describe_pattern(r->sc, &e->pat[k], buf, sizeof(buf));
			snprintf(v->detail, sizeof(v->detail), "%s (line %d) not seen%s", buf,
				 e->pat[k].line, k ? " after the earlier messages" : "");
			return;
		}
		if (n >= 0 && (size_t)n < sizeof(v->detail))
			n += snprintf(v->detail + n, sizeof(v->detail) - (size_t)n, "%s#%u",
				      k ? " " : "frames ", r->obs.v[at].frame_no);
		at++;
	}
	v->pass = true;
}

/* The server managing the client at the end: running, and active (a secondary after takeover). */
static const struct simnode *
serving_server(const struct run *r)
{
	for (size_t i = 0; i < r->sc->nnodes; i++) {
		const struct simnode *sn = &r->nodes[i];
		if (sn->role == SCN_SERVER && (int)i != r->dut && sn->u.s.active &&
		    server_running(&sn->u.s))
			return sn;
	}
	return NULL;
}

/* DESIGN §5: client and server share an SA both accept, read from their own state. */
/* A server DUT serves when no reference server does: its adapter says what it sends under. */
static bool
dut_server_spi(const struct run *r, const char *client, uint32_t *spi)
{
	if (!r->dut_st || !r->dut_st->has_clients)
		return false;
	*spi = 0;
	for (size_t i = 0; i < r->dut_st->nclients; i++)
		if (strcmp(r->dut_st->clients[i].name, client) == 0)
			*spi = r->dut_st->clients[i].spi_out;
	return true;
}

static void
judge_in_sync(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	const struct client *c = &r->nodes[e->node].u.c;
	const char *name = r->sc->nodes[e->node].name;
	const struct simnode *sv = serving_server(r);
	bool dut = !sv && dut_is_server(r);
	uint32_t nic = client_active_spi(c), srv = 0;
	snprintf(v->what, sizeof(v->what), "%s and its server%s %s the same SA", name,
		 dut ? " (DUT)" : "", e->in_sync ? "hold" : "do not hold");
	if (sv) {
		int ci = server_find_client(&sv->u.s, name);
		srv = ci >= 0 ? server_client_spi(&sv->u.s, (size_t)ci) : 0;
	} else if (dut && !dut_server_spi(r, name, &srv)) {
		v->na = true;
		snprintf(v->detail, sizeof(v->detail), "N/A: the DUT's adapter did not report it");
		return;
	}
	bool sync = nic && srv && (nic == srv || commit_client_accepts(&c->cm, srv));
	snprintf(v->detail, sizeof(v->detail), "NIC active SPI %08x, %s sends under %08x", nic,
		 sv    ? r->sc->nodes[sv->idx].name
		 : dut ? "the DUT"
		       : "no server",
		 srv);
	v->pass = sync == e->in_sync;
}

/*
 * The DUT's state comes from its adapter's `state` (sim/dut.h); a field it
 * did not report makes the check N/A, said so, never a pass.
 */
static bool
judge_dut(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	const struct dut_state *st = r->dut_st;
	const char *name = r->sc->nodes[e->node].name;
	bool have = false, pass = false;
	char got[64] = "";
	switch (e->kind) {
	case SCN_EXPECT_POWER:
		snprintf(v->what, sizeof(v->what), "%s (DUT) ends in power state %s", name,
			 power_state_name(e->power));
		if ((have = st->has_power)) {
			snprintf(got, sizeof(got), "%s", power_state_name(st->power));
			pass = st->power == e->power;
		}
		break;
	case SCN_EXPECT_EXECUTED: {
		uint64_t n = st->executed[e->asf_type - ASF_RESET];
		snprintf(v->what, sizeof(v->what), "%s (DUT) executed %s", name,
			 scn_asf_name(e->asf_type));
		if ((have = st->has_executed)) {
			snprintf(got, sizeof(got), "executed %llu time(s)", (unsigned long long)n);
			pass = e->exact ? n == e->count : n > 0;
		}
		break;
	}
	case SCN_EXPECT_SAS:
		snprintf(v->what, sizeof(v->what), "%s (DUT) committed %llu new SA(s)", name,
			 (unsigned long long)e->count);
		if ((have = st->has_commits)) {
			snprintf(got, sizeof(got), "committed %llu",
				 (unsigned long long)st->commits);
			pass = st->commits == e->count;
		}
		break;
	case SCN_EXPECT_IN_SYNC: {
		const struct simnode *sv = serving_server(r);
		int ci = sv ? server_find_client(&sv->u.s, name) : -1;
		uint32_t srv = ci >= 0 ? server_client_spi(&sv->u.s, (size_t)ci) : 0;
		snprintf(v->what, sizeof(v->what), "%s (DUT) and its server %s the same SA", name,
			 e->in_sync ? "hold" : "do not hold");
		if ((have = st->has_sa)) {
			snprintf(got, sizeof(got), "DUT accepts %08x, server sends under %08x",
				 st->spi_in, srv);
			pass = (st->spi_in && st->spi_in == srv) == e->in_sync;
		}
		break;
	}
	default:
		return false;
	}
	v->pass = pass;
	v->na = !have;
	snprintf(v->detail, sizeof(v->detail), "%s",
		 have ? got : "N/A: the DUT's adapter did not report it");
	return true;
}

static void
judge(const struct run *r, const struct scn_expect *e, struct verdict *v)
{
	const struct scenario *sc = r->sc;
	char buf[96];
	memset(v, 0, sizeof(*v));
	if (e->node == r->dut && r->dut_st && judge_dut(r, e, v))
		return;
	switch (e->kind) {
	case SCN_EXPECT_POWER: {
		enum power_state got = r->nodes[e->node].u.c.power;
		snprintf(v->what, sizeof(v->what), "%s ends in power state %s",
			 sc->nodes[e->node].name, power_state_name(e->power));
		snprintf(v->detail, sizeof(v->detail), "observed %s", power_state_name(got));
		v->pass = got == e->power;
		break;
	}
	case SCN_EXPECT_EXECUTED: {
		uint64_t n = r->nodes[e->node].u.c.st.executed[e->asf_type - ASF_RESET];
		if (e->exact)
			snprintf(v->what, sizeof(v->what), "%s executed %s exactly %llu time(s)",
				 sc->nodes[e->node].name, scn_asf_name(e->asf_type),
				 (unsigned long long)e->count);
		else
			snprintf(v->what, sizeof(v->what), "%s executed %s",
				 sc->nodes[e->node].name, scn_asf_name(e->asf_type));
		snprintf(v->detail, sizeof(v->detail), "executed %llu time(s)",
			 (unsigned long long)n);
		v->pass = e->exact ? n == e->count : n > 0;
		break;
	}
	case SCN_EXPECT_IN_SYNC:
		judge_in_sync(r, e, v);
		break;
	case SCN_EXPECT_SAS: {
		uint64_t n = r->nodes[e->node].u.c.st.commits;
		snprintf(v->what, sizeof(v->what), "%s's NIC committed %llu new SA(s)",
			 sc->nodes[e->node].name, (unsigned long long)e->count);
		snprintf(v->detail, sizeof(v->detail), "committed %llu", (unsigned long long)n);
		v->pass = n == e->count;
		break;
	}
	case SCN_EXPECT_SEEN:
		snprintf(v->what, sizeof(v->what), "%zu message(s) seen in order", e->npat);
		judge_seen(r, e, v);
		break;
	case SCN_EXPECT_NOT_SEEN:
		describe_pattern(sc, &e->pat[0], buf, sizeof(buf));
		snprintf(v->what, sizeof(v->what), "never seen: %s", buf);
		v->pass = true;
		snprintf(v->detail, sizeof(v->detail), "none in %zu frames", r->obs.n);
		for (size_t i = 0; i < r->obs.n; i++)
			if (obs_match(&r->obs.v[i], &e->pat[0])) {
				v->pass = false;
				snprintf(v->detail, sizeof(v->detail), "seen at frame #%u",
					 r->obs.v[i].frame_no);
				break;
			}
		break;
	}
}

struct counter {
	const char *name;
	uint64_t value;
};

static void
write_counters(FILE *f, const struct counter *c, size_t n)
{
	fprintf(f, "{");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "", c[i].name,
			(unsigned long long)c[i].value);
	fprintf(f, "}");
}

static void
write_node_json(FILE *f, const struct simnode *sn, const struct scn_node *nd)
{
	const struct run *r = sn->run;
	if ((int)sn->idx == r->dut) {
		/* played by the device under test: only what its adapter said */
		fprintf(f, "    {\"name\": ");
		json_str(f, nd->name);
		fprintf(f, ", \"role\": \"%s\", \"dut\": true, \"adapter_state\": ",
			nd->role == SCN_CLIENT ? "client" : "server");
		json_str(f, r->dut_st ? r->dut_st->raw : "");
		fprintf(f, "}");
		return;
	}
	fprintf(f, "    {\"name\": ");
	json_str(f, nd->name);
	fprintf(f, ", \"mac\": \"%02x:%02x:%02x:%02x:%02x:%02x\", \"ip\": \"%u.%u.%u.%u\"",
		nd->mac[0], nd->mac[1], nd->mac[2], nd->mac[3], nd->mac[4], nd->mac[5],
		nd->ip >> 24, (nd->ip >> 16) & 0xff, (nd->ip >> 8) & 0xff, nd->ip & 0xff);
	if (sn->role == SCN_CLIENT) {
		const struct client_stats *st = &sn->u.c.st;
		const struct counter c[] = {
		    {"rx_frames", st->rx_frames},
		    {"malformed", st->malformed},
		    {"rmcp_rx", st->rmcp_rx},
		    {"secure_rx", st->secure_rx},
		    {"ipsec_rejected", st->ipsec_rejected},
		    {"clear_refused", st->clear_refused},
		    {"commands_executed", st->commands_executed},
		    {"commands_refused", st->commands_refused},
		    {"nvram_power_cuts", st->nvram_power_cuts},
		    {"seq_unavailable", st->seq_unavailable},
		};
		fprintf(f, ", \"role\": \"client\", \"power\": \"%s\", \"stats\": ",
			power_state_name(sn->u.c.power));
		write_counters(f, c, sizeof(c) / sizeof(c[0]));
	} else {
		const struct server_stats *st = &sn->u.s.st;
		const struct counter c[] = {
		    {"rx_frames", st->rx_frames},
		    {"malformed", st->malformed},
		    {"sent", st->sent},
		    {"resent", st->resent},
		    {"gave_up", st->gave_up},
		    {"secure_rx", st->secure_rx},
		    {"ipsec_rejected", st->ipsec_rejected},
		    {"queue_full", st->queue_full},
		};
		fprintf(f, ", \"role\": \"server\", \"stats\": ");
		write_counters(f, c, sizeof(c) / sizeof(c[0]));
	}
	fprintf(f, "}");
}

static void
write_outcome(FILE *f, const struct req_outcome *o)
{
	fprintf(f, "\"verdict\": \"%s\", \"passed\": %u, \"failed\": %u, \"checks\": [",
		req_verdict_name(o->verdict), o->npass, o->nfail);
	for (size_t j = 0; j < o->nlines; j++)
		fprintf(f, "%s%d", j ? ", " : "", o->lines[j]);
	fprintf(f, "], \"observed\": ");
	if (o->verdict == REQ_PASS) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%u check(s) passed", o->npass);
		json_str(f, buf);
	} else {
		json_str(f, o->detail);
	}
}

/*
 * One entry per requirement this run touched (checked or declared N/A);
 * the untouched ones are NOT-TESTED, listed only in the suite's summary.
 */
static void
write_requirements(FILE *f, const struct run_result *res)
{
	size_t n, k = 0;
	const struct req *t = req_table(&n);
	fprintf(f, "  \"requirements\": [\n");
	for (size_t i = 0; i < n; i++) {
		if (res->req[i].verdict == REQ_NOT_TESTED)
			continue;
		fprintf(f, "%s    {\"id\": \"%s\", ", k++ ? ",\n" : "", t[i].id);
		write_outcome(f, &res->req[i]);
		fprintf(f, ", \"text\": ");
		json_str(f, t[i].text);
		fprintf(f, "}");
	}
	fprintf(f, "%s  ],\n  \"untagged\": {", k ? "\n" : "");
	write_outcome(f, &res->untagged);
	fprintf(f, "},\n");
}

/* Deterministic: nothing here depends on the output directory or the wall clock. */
static int
write_results(const struct run *r, const struct run_opts *o, const struct run_result *res,
	      const struct verdict *v, const char *path)
{
	const struct scenario *sc = r->sc;
	FILE *f = fopen(path, "w");
	if (!f)
		return RMC_EIO;
	fprintf(f, "{\n  \"schema\": \"rmcpsec-result/1\",\n  \"scenario\": ");
	json_str(f, sc->path);
	fprintf(f, ",\n  \"name\": ");
	json_str(f, sc->name);
	fprintf(f, ",\n  \"seed\": %llu,\n  \"duration_ns\": %llu,\n",
		(unsigned long long)res->seed, (unsigned long long)sc->duration);
	fprintf(f, "  \"profile\": \"%s\",\n", commit_profile_name(r->profile));
	if (r->tap)
		run_tap_write_json(f, r);
	else
		fprintf(f, "  \"net\": {\"mode\": \"virtual\"},\n");
	fprintf(f, "  \"verdict\": \"%s\",\n  \"passed\": %zu,\n  \"failed\": %zu,\n",
		res->nfail ? "FAIL" : "PASS", res->npass, res->nfail);
	fprintf(f, "  \"observed\": ");
	json_str(f, res->observed);
	fprintf(f, ",\n");
	fprintf(f, "  \"replay\": ");
	char replay[2048];
	run_replay_command(sc, o, res->seed, NULL, replay, sizeof(replay));
	json_str(f, replay);
	fprintf(f, ",\n  \"trace\": \"trace.pcap\",\n  \"frames\": %llu,\n  \"events\": %llu,\n",
		(unsigned long long)res->frames, (unsigned long long)res->events);
	fprintf(f, "  \"expectations\": [\n");
	for (size_t i = 0; i <= sc->nexpects; i++) {
		fprintf(f, "    {\"line\": %d, \"verdict\": \"%s\", \"what\": ",
			i < sc->nexpects ? sc->expects[i].line : 0, verdict_name(&v[i]));
		json_str(f, v[i].what);
		fprintf(f, ", \"observed\": ");
		json_str(f, v[i].detail);
		fprintf(f, "}%s\n", i < sc->nexpects ? "," : "");
	}
	fprintf(f, "  ],\n");
	write_requirements(f, res);
	fprintf(f, "  \"nodes\": [\n");
	for (size_t i = 0; i < sc->nnodes; i++) {
		write_node_json(f, &r->nodes[i], &sc->nodes[i]);
		fprintf(f, "%s\n", i + 1 < sc->nnodes ? "," : "");
	}
	fprintf(f, "  ],\n  \"events\": [\n");
	for (size_t i = 0; i < r->nnotes; i++) {
		fprintf(f, "    {\"t_ns\": %llu, \"node\": ", (unsigned long long)r->notes[i].t);
		json_str(f, sc->nodes[r->notes[i].node].name);
		fprintf(f, ", \"event\": ");
		json_str(f, r->notes[i].text);
		fprintf(f, "}%s\n", i + 1 < r->nnotes ? "," : "");
	}
	fprintf(f, "  ],\n");
	link_write_faults_json(f, &r->link, sc);
	fprintf(f, "\n}\n");
	return fclose(f) == 0 ? RMC_OK : RMC_EIO;
}

static int
mkdir_p(const char *dir)
{
	char tmp[1024];
	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int
open_traces(struct run *r, const struct run_opts *o, char *err, size_t errlen)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/trace.pcap", o->outdir);
	if (!(r->trace = trace_open(path, err, errlen)))
		return RMC_EIO;
	for (size_t i = 0; o->per_node_pcap && i < r->sc->nnodes; i++) {
		snprintf(path, sizeof(path), "%s/%s.pcap", o->outdir, r->sc->nodes[i].name);
		if (!(r->nodes[i].pcap = trace_open(path, err, errlen)))
			return RMC_EIO;
	}
	return RMC_OK;
}

/*
 * Wireshark's esp_sa file beside the trace: one line per ESP SA and
 * direction, "IPv4","src","dst","0xSPI","<cipher>","0xkey","<auth>","0xkey".
 * Copy it into a Wireshark profile (or use `rmcpsec wireshark`) to decrypt.
 */
static int
write_ah_lines(const struct sec_pair *p, uint32_t nic, uint32_t srv, FILE *f)
{
	char line[512];
	if (!p->has_ah)
		return RMC_OK;
	if (keys_ah_line(&p->ah_out, nic, srv, line, sizeof(line)) < 0)
		return RMC_ENOSPC;
	fputs(line, f);
	if (keys_ah_line(&p->ah_in, srv, nic, line, sizeof(line)) < 0)
		return RMC_ENOSPC;
	fputs(line, f);
	return RMC_OK;
}

/* One key file: every SA of the key log, NIC-role pair (the observer's even entries). */
static int
export_file(struct run *r, const char *dir, const char *name,
	    int (*write)(const struct sec_pair *, uint32_t, uint32_t, FILE *), char *err,
	    size_t errlen)
{
	const struct scenario *sc = r->sc;
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return RMC_EIO;
	}
	int rc = RMC_OK;
	for (size_t k = 0; !rc && k < r->nsas; k++)
		rc = write(r->obs.keys[2 * k].pair, sc->nodes[r->sas[k].client].ip,
			   get_be32(r->sas[k].sa.peer_ip), f);
	if (fclose(f) != 0 || rc) {
		snprintf(err, errlen, "%s: cannot write the keys", path);
		return RMC_EIO;
	}
	return RMC_OK;
}

static int
export_ike(struct run *r, const char *dir, char *err, size_t errlen)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/ikev2_decryption_table", dir);
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return RMC_EIO;
	}
	for (size_t i = 0; i < r->nike; i++)
		fprintf(f, "%s\n", r->ike_lines[i]);
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: cannot write", path);
		return RMC_EIO;
	}
	return RMC_OK;
}

/*
 * Key files beside the trace, written after the run from the key log (the
 * SAs the nodes negotiated or were provisioned with). esp_sa is
 * Wireshark's ESP SA table: one line per ESP SA and direction,
 * "IPv4","src","dst","0xSPI","<cipher>","0xkey","<auth>","0xkey"; copy it
 * into a Wireshark profile (docs/scenarios.md). ah_sa holds the AH SAs in
 * the same form, which Wireshark cannot use but `rmcpsec verify` does
 * (docs/verify.md). ikev2_decryption_table opens the IKE exchanges.
 */
static int
export_keys(struct run *r, const struct run_opts *o, char *err, size_t errlen)
{
	const struct scenario *sc = r->sc;
	if (!sc->security.enabled)
		return RMC_OK;
	int rc = RMC_OK;
	if (sc->security.suite != MGMT_AH)
		rc = export_file(r, o->outdir, "esp_sa", sec_export_esp_sa, err, errlen);
	if (!rc && (sc->security.suite == MGMT_AH || sc->security.suite == MGMT_AH_ESP))
		rc = export_file(r, o->outdir, "ah_sa", write_ah_lines, err, errlen);
	if (!rc && sc->security.ike)
		rc = export_ike(r, o->outdir, err, errlen);
	return rc;
}

/*
 * Folds the verdicts into one outcome per requirement: the expectations'
 * `req:` tags, the trace verifier (line 0) for REQ-TRACE-VERIFIES, and its
 * finding classes for the requirements they speak for (sim/req_verifier.c).
 */
static void
judge_requirements(const struct run *r, const struct verdict *v, const struct trace_findings *tf,
		   struct run_result *res)
{
	const struct scenario *sc = r->sc;
	size_t n, servers = 0;
	req_table(&n);
	for (size_t k = 0; k < n; k++)
		if (sc->na[k].line)
			req_mark_na(&res->req[k], sc->na[k].reason);
	for (size_t i = 0; i < sc->nexpects; i++) {
		const struct scn_expect *e = &sc->expects[i];
		if (v[i].na) {
			for (size_t j = 0; j < e->nreq; j++)
				req_mark_na(&res->req[e->req[j]], v[i].detail);
			continue;
		}
		if (e->nreq == 0)
			req_add_check(&res->untagged, e->line, v[i].pass, v[i].what, v[i].detail);
		for (size_t j = 0; j < e->nreq; j++)
			req_add_check(&res->req[e->req[j]], e->line, v[i].pass, v[i].what,
				      v[i].detail);
	}
	const struct verdict *tv = &v[sc->nexpects];
	int k = req_index("REQ-TRACE-VERIFIES");
	if (k >= 0 && tv->na)
		req_mark_na(&res->req[k], tv->detail);
	else if (k >= 0)
		req_add_check(&res->req[k], 0, tv->pass, tv->what, tv->detail);
	for (size_t i = 0; i < sc->nnodes; i++)
		servers += sc->nodes[i].role == SCN_SERVER;
	req_add_verifier(res->req, tf, sc->security.enabled, servers);
}

/* What happened, counted from the observation log and the nodes' own state. */
static void
summarize(const struct run *r, struct run_result *res)
{
	uint64_t ike = 0, commit = 0, clear = 0, secure = 0, executed = 0, committed = 0;
	uint64_t takeovers = 0;
	unsigned clear_ports = 0; /* bit 0: 623, bit 1: another port */
	for (size_t i = 0; i < r->obs.n; i++) {
		const struct obs *o = &r->obs.v[i];
		ike += o->kind == OBS_IKE;
		commit += o->kind == OBS_COMMIT;
		secure += o->prot != OBS_CLEAR && o->opened;
		if (o->prot == OBS_CLEAR && (o->kind == OBS_ASF || o->kind == OBS_RMCP_ACK)) {
			clear++;
			clear_ports |= o->sport == 623 || o->dport == 623 ? 1u : 2u;
		}
	}
	for (size_t i = 0; i < r->sc->nnodes; i++) {
		if (r->nodes[i].role == SCN_CLIENT) {
			executed += r->nodes[i].u.c.st.commands_executed;
			committed += r->nodes[i].u.c.st.commits;
		} else {
			takeovers += r->nodes[i].u.s.st.takeovers;
		}
	}
	snprintf(res->observed, sizeof(res->observed),
		 "IKE %llu msgs, %llu SAs committed (%llu commit msgs), %llu secure frames, "
		 "%llu clear RMCP%s, %llu commands executed%s",
		 (unsigned long long)ike, (unsigned long long)committed, (unsigned long long)commit,
		 (unsigned long long)secure, (unsigned long long)clear,
		 clear_ports == 1 ? " (port 623)"
		 : clear_ports	  ? " (not only 623)"
				  : "",
		 (unsigned long long)executed, takeovers ? ", secondary took over" : "");
}

static void
report(const struct run *r, const struct verdict *v, FILE *log)
{
	if (!log)
		return;
	for (size_t i = 0; i <= r->sc->nexpects; i++)
		fprintf(log, "  %s  %s:%d  %s — %s\n", verdict_name(&v[i]), r->sc->path,
			i < r->sc->nexpects ? r->sc->expects[i].line : 0, v[i].what, v[i].detail);
}

/* A fresh store per run: a run must not depend on what an earlier one left. */
static void
remove_store(const char *path)
{
	char p[1200];
	const char *suffix[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		remove(p);
	}
}

int
run_scenario(const struct scenario *sc, const struct run_opts *o, struct run_result *res, char *err,
	     size_t errlen)
{
	struct run *r = calloc(1, sizeof(*r));
	struct verdict *v = calloc(sc->nexpects + 1, sizeof(*v));
	struct trace_findings *tf = calloc(1, sizeof(*tf));
	int rc = RMC_ENOMEM;
	memset(res, 0, sizeof(*res));
	if (!r || !v || !tf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r->sc = sc;
	r->opts = o;
	r->only = o->net == RUN_NET_NODE ? (int)o->node : -1;
	r->dut = o->net == RUN_NET_TAP && o->dut ? (int)o->node : -1;
	r->end = o->net == RUN_NET_NODE ? UINT64_MAX : sc->duration;
	res->seed = run_seed(sc, o);
	r->seed = res->seed;
	rng_seed(&r->rng, res->seed);
	obs_log_init(&r->obs);
	if (mkdir_p(o->outdir) != 0) {
		snprintf(err, errlen, "%s: %s", o->outdir, strerror(errno));
		rc = RMC_EIO;
		goto out;
	}
	if ((rc = engine_init(&r->eng, 1024)) ||
	    (rc = lan_init(&r->lan, &r->eng, sc->nnodes, on_deliver, on_capture, r)) ||
	    (rc = link_init(&r->link, sc, r->seed, &r->lan, &r->eng, &r->obs)))
		goto out;
	if (!(r->nodes = calloc(sc->nnodes, sizeof(*r->nodes)))) {
		rc = RMC_ENOMEM;
		goto out;
	}
	r->profile = o->profile ? (enum commit_profile)(o->profile - 1) : sc->security.profile;
	r->mutant = (enum mutant)o->mutant;
	r->timing = sc->security.timing;
	snprintf(r->store_path, sizeof(r->store_path), "%s/store.sqlite", o->outdir);
	remove_store(r->store_path);
	if ((rc = nodes_init(r))) {
		snprintf(err, errlen, "node set-up failed: %s", rmc_strerror(rc));
		goto out;
	}
	if ((rc = log_provisioned(r)))
		goto out;
	if ((rc = open_traces(r, o, err, errlen)))
		goto out;
	/* a standalone node is driven through its control socket, not the timeline */
	for (size_t i = 0; r->only < 0 && i < sc->nactions; i++)
		engine_at(&r->eng, sc->actions[i].at, on_action, r, i);
	if (r->only < 0 && (rc = link_schedule_node_faults(&r->link, on_node_fault, r))) {
		snprintf(err, errlen, "cannot schedule the node faults: %s", rmc_strerror(rc));
		goto out;
	}
	if (o->net != RUN_NET_VIRTUAL && (rc = run_tap_open(r, o, err, errlen)))
		goto out;
	r->clear.known = sc->security.enabled;
	track_clear(r);
	if (r->tap) {
		if ((rc = run_tap_loop(r, &res->events, err, errlen)))
			goto out;
	} else {
		res->events = engine_run(&r->eng, sc->duration);
	}
	res->end_ns = r->tap ? engine_now(&r->eng) : sc->duration;
	res->frames = r->obs.n;
	if (!r->io_error)
		r->io_error = r->link.error;
	if (r->io_error) {
		snprintf(err, errlen, "run failed: %s",
			 r->dut_error[0] ? r->dut_error : rmc_strerror(r->io_error));
		rc = r->io_error;
		goto out;
	}
	if (r->dut >= 0 && (rc = run_dut_finish(r, err, errlen)))
		goto out;
	rc = trace_close(r->trace);
	r->trace = NULL;
	if (rc) {
		snprintf(err, errlen, "%s/trace.pcap: write failed", o->outdir);
		goto out;
	}
	if ((rc = export_keys(r, o, err, errlen)) || r->only >= 0)
		goto out; /* a standalone node judges nothing: its harness does */
	for (size_t i = 0; i < sc->nexpects; i++)
		judge(r, &sc->expects[i], &v[i]);
	/* One more verdict on every run: the trace, re-checked with no help from the nodes. */
	struct verdict *tv = &v[sc->nexpects];
	snprintf(tv->what, sizeof(tv->what), "trace verifies independently (docs/verify.md)");
	if (r->clear_open)
		close_window(r, UINT64_MAX);
	r->clear_open = false;
	if ((rc = trace_check_windows(sc, o->outdir, &r->clear, &tv->pass, tv->detail,
				      sizeof(tv->detail), tf))) {
		snprintf(err, errlen, "%s/trace.pcap: %s", o->outdir, tv->detail);
		goto out;
	}
	for (size_t i = 0; i <= sc->nexpects; i++) {
		if (r->dut_na[0]) { /* the scenario could not be played as written */
			v[i].na = true;
			snprintf(v[i].detail, sizeof(v[i].detail), "N/A: %s", r->dut_na);
		}
		if (!v[i].na)
			v[i].pass ? res->npass++ : res->nfail++;
	}
	summarize(r, res);
	judge_requirements(r, v, tf, res);
	report(r, v, o->log);
	char path[1200];
	snprintf(path, sizeof(path), "%s/results.json", o->outdir);
	if ((rc = write_results(r, o, res, v, path)))
		snprintf(err, errlen, "%s: cannot write", path);
out:
	if (r) {
		if (r->trace && trace_close(r->trace) != RMC_OK && !rc) {
			snprintf(err, errlen, "%s/trace.pcap: write failed", o->outdir);
			rc = RMC_EIO;
		}
		run_tap_close(r);
		nodes_fini(r);
		link_fini(&r->link);
		lan_fini(&r->lan);
		engine_fini(&r->eng);
		obs_log_fini(&r->obs);
		if (r->sas)
			explicit_bzero(r->sas, r->capsas * sizeof(*r->sas));
		free(r->sas);
		free(r->ike_lines);
		free(r->clear.w);
		if (r->stored)
			explicit_bzero(r->stored, sc->nnodes * sizeof(*r->stored));
		free(r->stored);
		free(r->notes);
		free(r->dut_st);
		free(r);
	}
	free(v);
	free(tf);
	return rc;
}
