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

/* Holds whose max time passed go out before the frame that noticed it. */
static void
expire_holds(struct tap_fault *tf, uint64_t now)
{
	for (int h = 0; h < FAULT_MAX_HOLDS; h++) {
		const struct fault_hold *fh = &tf->fe.holds[h];
		if (fh->used && fh->deadline <= now && fault_hold_expire(&tf->fe, h, fh->gen))
			release(tf, h);
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
	fault_decide(&tf->fe, now, (int)from, (int)to, cls, &v);
	if (v.truncate_to < len)
		len = v.truncate_to;
	if (v.flips)
		fault_corrupt(&tf->fe, frame, len, v.flips, v.flip_from);
	for (unsigned k = 0; k < v.copies; k++)
		if (v.delay_ns[k])
			tf->delays_unapplied++;
	if (v.hold >= 0) {
		struct tap_held *hd = &tf->held[v.hold];
		memcpy(hd->buf, frame, len);
		hd->len = (uint16_t)len;
		hd->to = (uint32_t)to;
	}
	/* Released frames went out after this one in virtual time: the copies come first. */
	for (unsigned k = 0; k < v.copies; k++)
		tap_fwd_write(tf->fwd, to, frame, len);
	for (unsigned k = 0; k < v.nrelease; k++)
		release(tf, v.release[k]);
	return v.drop;
}

int
tap_fault_init(struct tap_fault *tf, const struct scenario *sc, uint64_t seed, struct obs_log *obs,
	       struct tap_fwd *fwd)
{
	memset(tf, 0, sizeof(*tf));
	tf->sc = sc;
	tf->obs = obs;
	tf->fwd = fwd;
	tf->t0 = tap_now_ns();
	tf->roles = calloc(sc->nnodes ? sc->nnodes : 1, 1);
	tf->held = calloc(FAULT_MAX_HOLDS, sizeof(*tf->held));
	if (!tf->roles || !tf->held)
		return RMC_ENOMEM;
	for (size_t i = 0; i < sc->nnodes; i++)
		tf->roles[i] = (uint8_t)sc->nodes[i].role;
	int rc = fault_engine_init(&tf->fe, sc->faults, sc->nfaults, tf->roles, sc->nnodes, seed);
	if (rc)
		return rc;
	tap_fwd_set_capture(fwd, on_capture, tf);
	if (fault_engine_has_link_rules(&tf->fe))
		tap_fwd_set_fate(fwd, on_fate, tf);
	return RMC_OK;
}

void
tap_fault_fini(struct tap_fault *tf)
{
	if (!tf)
		return;
	fault_engine_fini(&tf->fe);
	free(tf->roles);
	free(tf->held);
	tf->roles = NULL;
	tf->held = NULL;
}
