/*
 * The run's events: what a node's step asked for (frames onto the backend,
 * timers onto the engine, notes and keys into the run log), frames that
 * reach a node or leave one (the backend's hooks), the timeline's actions
 * and the scenario's node faults. Every node is driven through its player
 * (sim/player.h), whoever plays it.
 */
#include <stdio.h>
#include <string.h>

#include "proto/err.h"
#include "sim/run_int.h"

uint64_t
run_node_now(const struct run *r, const struct simnode *sn)
{
	int64_t t = (int64_t)r->eng.now + sn->clock_off;
	return t < 0 ? 0 : (uint64_t)t;
}

void
run_note(struct run *r, size_t node, const char *text)
{
	if (run_log_note(&r->log, r->eng.now, node, text) != RMC_OK)
		r->io_error = RMC_ENOMEM;
}

void
run_mark_na(struct run *r, const char *reason)
{
	if (!r->na[0])
		snprintf(r->na, sizeof(r->na), "%s", reason);
}

void
run_fail(struct run *r, const char *err)
{
	if (!r->error[0])
		snprintf(r->error, sizeof(r->error), "%s", err);
	r->io_error = RMC_EIO;
}

static int
client_of_ip(const struct scenario *sc, uint32_t ip)
{
	for (size_t i = 0; i < sc->nnodes; i++)
		if (sc->nodes[i].role == SCN_CLIENT && sc->nodes[i].ip == ip)
			return (int)i;
	return -1;
}

void
run_log_key(struct run *r, const struct node_key *k)
{
	int ci = client_of_ip(r->sc, k->nic_ip);
	bool added;
	unsigned ord;
	if (ci < 0)
		return;
	if (run_log_sa(&r->log, &k->sa, (size_t)ci, &added, &ord) != RMC_OK) {
		r->io_error = RMC_ENOMEM;
		return;
	}
	/* in use at once unless the commit handshake is to bring it in
	 * (docs/internals/mechanism.md) */
	bool active_now = !r->sc->security.ike || r->sc->nodes[ci].no_commit;
	if (!added)
		return;
	if (obs_log_add_sa(&r->obs, &k->sa, (int16_t)ci, (uint16_t)ord,
			   r->sc->security.replay_window, active_now) != RMC_OK) {
		r->io_error = RMC_ENOMEM;
		return;
	}
	/* frames sent under this SA before the harness had it (a device is quicker than the
	 * reference server's export): opened now, and their moment for the adversary */
	for (size_t i = 0; i < r->obs.nreopened; i++)
		adversary_on_frame(r, &r->obs.v[r->obs.reopened[i] - 1]);
}

static void on_timer(void *ctx, uint64_t arg);

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
			run_note(r, sn->idx, "fault: power lost at the commit step");
			return map[i].step;
		}
	return FAULT_STEP_NONE;
}

static void
send_frames(struct run *r, struct simnode *sn, const struct node_out *o)
{
	for (size_t i = 0; i < o->nframes; i++) {
		int rc = net_send(&r->net, sn->idx, o->buf + o->frame_off[i], o->frame_len[i]);
		if (rc == RMC_ENOMEM)
			r->io_error = rc;
	}
}

static void
arm_timers(struct run *r, struct simnode *sn, const struct node_out *o)
{
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
}

void
run_flush(struct run *r, struct simnode *sn)
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
		run_log_key(r, &o->keys[i]);
	for (size_t i = 0; i < o->nike_keys; i++)
		if (run_log_ike(&r->log, o->ike_keys[i]) != RMC_OK)
			r->io_error = RMC_ENOMEM;
	send_frames(r, sn, o);
	arm_timers(r, sn, o);
	for (size_t i = 0; i < o->nnotes; i++)
		run_note(r, sn->idx, o->notes[i]);
	for (size_t i = 0; i < o->nexecuted; i++)
		if (run_log_executed(&r->log, r->eng.now, sn->idx, o->executed[i]) != RMC_OK)
			r->io_error = RMC_ENOMEM;
	if (o->dropped) {
		/* a limit was hit: the run cannot pass as if nothing had been lost */
		char why[200];
		snprintf(why, sizeof(why),
			 "%s: node output overflow: %zu frames, timers, notes or keys did not fit "
			 "one step's output (limits: %d frames, %d timers, %d notes, %d keys)",
			 r->sc->nodes[sn->idx].name, o->dropped, NODE_OUT_FRAMES, NODE_OUT_TIMERS,
			 NODE_OUT_NOTES, NODE_OUT_KEYS);
		run_note(r, sn->idx, "node output overflow: some frames or timers were lost");
		run_fail(r, why);
	}
	node_out_reset(o);
	clear_track_step(r);
	if (stop) {
		/* a crash or hang right after this SA_ACK left (docs/users/faults.md) */
		sn->ops->fault(sn, run_node_now(r, sn), stop, false, o);
		run_flush(r, sn);
	}
	if (loss) {
		/* a power_loss fault at this commit step (docs/users/faults.md) */
		sn->ops->power(sn, run_node_now(r, sn), PC_POWER_LOSS, o);
		run_flush(r, sn);
	}
}

static void
on_timer(void *ctx, uint64_t arg)
{
	struct simnode *sn = ctx;
	uint32_t id = (uint32_t)arg, gen = (uint32_t)(arg >> 32);
	if (gen != sn->timer_gen[id])
		return; /* re-armed or cancelled since */
	struct run *r = sn->run;
	sn->ops->timer(sn, run_node_now(r, sn), id, &r->out);
	run_flush(r, sn);
}

static void
on_deliver(void *ctx, size_t port, uint64_t now, const uint8_t *frame, size_t len)
{
	struct run *r = ctx;
	struct simnode *sn = &r->nodes[port];
	if (sn->pcap)
		trace_write(sn->pcap, now, frame, len);
	if (adversary_ike_take(r, port, frame, len))
		return; /* a lying IKE peer's, not the node's */
	sn->ops->frame(sn, run_node_now(r, sn), frame, len, &r->out);
	run_flush(r, sn);
}

static void
on_capture(void *ctx, size_t port, uint64_t t, const uint8_t *frame, size_t len)
{
	struct run *r = ctx;
	trace_write(r->trace, t, frame, len);
	if (r->nodes[port].pcap)
		trace_write(r->nodes[port].pcap, t, frame, len);
	if (obs_log_frame(&r->obs, r->sc, t, frame, len) != RMC_OK) {
		r->io_error = RMC_ENOMEM;
		return;
	}
	struct obs *o = &r->obs.v[r->obs.n - 1];
	o->injected = r->injecting;
	adversary_on_frame(r, o);
}

static bool
has_failed(void *ctx)
{
	const struct run *r = ctx;
	return r->io_error != 0;
}

struct net_hooks
run_net_hooks(struct run *r)
{
	return (struct net_hooks){
	    .deliver = on_deliver, .capture = on_capture, .failed = has_failed, .ctx = r};
}

/* The scenario's node faults (docs/users/faults.md), each logged by sim/link as it is handed over.
 */
static void
on_node_fault(void *ctx, uint64_t now, const struct fault_rule *f, bool recover)
{
	struct run *r = ctx;
	(void)now;
	if (f->node < 0 || (size_t)f->node >= r->sc->nnodes)
		return;
	struct simnode *sn = &r->nodes[f->node];
	if (f->action == FAULT_CLOCK_JUMP) {
		run_note(r, sn->idx, "fault: applied");
		sn->clock_off += f->by_ns;
	} else if (sn->ops->fault(sn, run_node_now(r, sn), f, recover, &r->out)) {
		run_note(r, sn->idx, recover ? "fault: recovers" : "fault: applied");
	}
	run_flush(r, sn);
}

static void
on_action(void *ctx, uint64_t arg)
{
	struct run *r = ctx;
	const struct scn_action *a = &r->sc->actions[arg];
	/* a power event names the node it happens to; a request, the server that sends it */
	int who = a->verb == SCN_DO_POWER && a->server < 0 ? a->client : a->server;
	struct simnode *sn = &r->nodes[who];
	sn->ops->act(sn, r->eng.now, a, &r->out);
	run_flush(r, sn);
}

static void
on_start(void *ctx, uint64_t arg)
{
	struct run *r = ctx;
	struct simnode *sn = &r->nodes[arg];
	sn->ops->start(sn, run_node_now(r, sn), &r->out);
	run_flush(r, sn);
}

int
run_schedule(struct run *r, bool timeline, char *err, size_t errlen)
{
	const struct scenario *sc = r->sc;
	int rc = RMC_OK;
	for (size_t i = 0; !rc && i < sc->nnodes; i++)
		if (sc->nodes[i].role == SCN_SERVER)
			rc = engine_at(&r->eng, 0, on_start, r, i);
	for (size_t i = 0; !rc && timeline && i < sc->nactions; i++)
		rc = engine_at(&r->eng, sc->actions[i].at, on_action, r, i);
	if (!rc && timeline)
		rc = link_schedule_node_faults(&r->link, on_node_fault, r);
	if (!rc && timeline)
		rc = adversary_schedule(r);
	if (!rc && timeline)
		rc = adversary_ike_schedule(r);
	if (rc)
		snprintf(err, errlen, "cannot schedule the scenario's events: %s",
			 rmc_strerror(rc));
	return rc;
}
