#include "sim/tap_fault.h"

#include <stdlib.h>
#include <string.h>

#include "proto/err.h"

static void
on_capture(void *ctx, uint64_t now, uint32_t frame_no, size_t from, const uint8_t *frame,
	   size_t len)
{
	struct tap_fault *tf = ctx;
	(void)frame_no;
	(void)from;
	int rc = obs_log_frame(tf->obs, tf->sc, now - tf->t0, frame, len);
	if (rc && !tf->error)
		tf->error = rc;
}

static void
release(struct tap_fault *tf, int h)
{
	const struct tap_held *hd = &tf->held[h];
	tap_fwd_write(tf->fwd, hd->to, hd->buf, hd->len);
}

/* Holds whose max time passed go out before anything that comes after. */
static void
expire_holds(struct tap_fault *tf, uint64_t now)
{
	for (int h = 0; h < FAULT_MAX_HOLDS; h++) {
		const struct fault_hold *fh = &tf->fe->holds[h];
		if (fh->used && fh->deadline <= now && fault_hold_expire(tf->fe, h, fh->gen))
			release(tf, h);
	}
}

/* A copy under a delay rule waits for its time; a full pool sends it now, counted. */
static void
delay_copy(struct tap_fault *tf, uint64_t now, size_t to, const uint8_t *frame, size_t len,
	   uint64_t delay)
{
	if (tf->ndelayed == TAP_FAULT_DELAYED) {
		tf->delays_overflow++;
		tap_fwd_write(tf->fwd, to, frame, len);
		return;
	}
	for (size_t i = 0; i < TAP_FAULT_DELAYED; i++) {
		struct tap_delayed *d = &tf->delayed[i];
		if (d->due)
			continue;
		d->due = tf->t0 + now + delay;
		memcpy(d->f.buf, frame, len);
		d->f.len = (uint16_t)len;
		d->f.to = (uint32_t)to;
		tf->ndelayed++;
		tf->delays_applied++;
		return;
	}
}

static bool
on_fate(void *ctx, uint64_t now_ns, uint32_t frame_no, size_t from, size_t to, uint8_t *frame,
	size_t len)
{
	struct tap_fault *tf = ctx;
	uint64_t now = now_ns - tf->t0;
	expire_holds(tf, now);
	struct obs unknown = {.frame_no = frame_no, .kind = OBS_OTHER};
	const struct obs *cls =
	    frame_no >= 1 && frame_no <= tf->obs->n ? &tf->obs->v[frame_no - 1] : &unknown;
	struct fault_verdict v;
	fault_decide(tf->fe, now, (int)from, (int)to, cls, &v);
	if (v.truncate_to < len)
		len = v.truncate_to;
	if (v.flips)
		fault_corrupt(tf->fe, frame, len, v.flips, v.flip_from);
	if (v.hold >= 0) {
		struct tap_held *hd = &tf->held[v.hold];
		memcpy(hd->buf, frame, len);
		hd->len = (uint16_t)len;
		hd->to = (uint32_t)to;
	}
	/* Released frames went out after this one in virtual time: the copies come first. */
	for (unsigned k = 0; k < v.copies; k++)
		if (v.delay_ns[k])
			delay_copy(tf, now, to, frame, len, v.delay_ns[k]);
		else
			tap_fwd_write(tf->fwd, to, frame, len);
	for (unsigned k = 0; k < v.nrelease; k++)
		release(tf, v.release[k]);
	return v.drop;
}

static int
common_init(struct tap_fault *tf, const struct scenario *sc, struct obs_log *obs,
	    struct tap_fwd *fwd, uint64_t t0)
{
	memset(tf, 0, sizeof(*tf));
	tf->sc = sc;
	tf->obs = obs;
	tf->fwd = fwd;
	tf->t0 = t0;
	tf->roles = calloc(sc->nnodes ? sc->nnodes : 1, 1);
	tf->held = calloc(FAULT_MAX_HOLDS, sizeof(*tf->held));
	tf->delayed = calloc(TAP_FAULT_DELAYED, sizeof(*tf->delayed));
	if (!tf->roles || !tf->held || !tf->delayed)
		return RMC_ENOMEM;
	for (size_t i = 0; i < sc->nnodes; i++)
		tf->roles[i] = (uint8_t)sc->nodes[i].role;
	return RMC_OK;
}

int
tap_fault_init(struct tap_fault *tf, const struct scenario *sc, uint64_t seed, struct obs_log *obs,
	       struct tap_fwd *fwd)
{
	int rc = common_init(tf, sc, obs, fwd, tap_now_ns());
	if (rc)
		return rc;
	rc = fault_engine_init(&tf->own, sc->faults, sc->nfaults, tf->roles, sc->nnodes, seed);
	if (rc)
		return rc;
	tf->fe = &tf->own;
	tap_fwd_set_capture(fwd, on_capture, tf);
	if (fault_engine_has_link_rules(tf->fe))
		tap_fwd_set_fate(fwd, on_fate, tf);
	return RMC_OK;
}

int
tap_fault_init_shared(struct tap_fault *tf, const struct scenario *sc, struct fault_engine *fe,
		      struct obs_log *obs, struct tap_fwd *fwd, uint64_t t0)
{
	int rc = common_init(tf, sc, obs, fwd, t0);
	if (rc)
		return rc;
	tf->fe = fe;
	if (fault_engine_has_link_rules(fe))
		tap_fwd_set_fate(fwd, on_fate, tf);
	return RMC_OK;
}

void
tap_fault_fini(struct tap_fault *tf)
{
	if (!tf)
		return;
	if (tf->fe == &tf->own)
		fault_engine_fini(&tf->own);
	free(tf->roles);
	free(tf->held);
	free(tf->delayed);
	tf->roles = NULL;
	tf->held = NULL;
	tf->delayed = NULL;
	tf->fe = NULL;
}

uint64_t
tap_fault_next_due(const struct tap_fault *tf)
{
	uint64_t due = UINT64_MAX;
	for (size_t i = 0; tf->ndelayed && i < TAP_FAULT_DELAYED; i++)
		if (tf->delayed[i].due && tf->delayed[i].due < due)
			due = tf->delayed[i].due;
	for (int h = 0; tf->fe && h < FAULT_MAX_HOLDS; h++) {
		const struct fault_hold *fh = &tf->fe->holds[h];
		if (fh->used && tf->t0 + fh->deadline < due)
			due = tf->t0 + fh->deadline;
	}
	return due;
}

/* Due copies leave earliest first. */
void
tap_fault_release_due(struct tap_fault *tf, uint64_t now)
{
	if (tf->fe)
		expire_holds(tf, now - tf->t0);
	while (tf->ndelayed) {
		size_t first = TAP_FAULT_DELAYED;
		for (size_t i = 0; i < TAP_FAULT_DELAYED; i++)
			if (tf->delayed[i].due && tf->delayed[i].due <= now &&
			    (first == TAP_FAULT_DELAYED ||
			     tf->delayed[i].due < tf->delayed[first].due))
				first = i;
		if (first == TAP_FAULT_DELAYED)
			return;
		struct tap_delayed *d = &tf->delayed[first];
		tap_fwd_write(tf->fwd, d->f.to, d->f.buf, d->f.len);
		d->due = 0;
		tf->ndelayed--;
	}
}
