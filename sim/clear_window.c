#include "sim/clear_window.h"

#include <stdlib.h>

#include "proto/err.h"
#include "sim/run_int.h"

/* The server managing the clients now, and whether one does (a device server may). */
static const struct simnode *
serving_server(const struct run *r, bool *device_serves)
{
	const struct simnode *device = NULL;
	for (size_t i = 0; i < r->sc->nnodes; i++) {
		const struct simnode *sn = &r->nodes[i];
		struct node_snap s;
		if (sn->role != SCN_SERVER)
			continue;
		sn->ops->snapshot(sn, &s);
		if (s.serving)
			return sn;
		if (s.unseen)
			device = sn;
	}
	*device_serves = device != NULL;
	return NULL;
}

/* Some client and its server share no security context: clear management may be said. */
static bool
clear_permitted(const struct run *r)
{
	bool device_serves = false;
	const struct simnode *sv = serving_server(r, &device_serves);
	if (!sv && !device_serves)
		return false; /* no server manages anybody: nothing may be said */
	for (size_t i = 0, nth = 0; i < r->sc->nnodes; i++) {
		const struct simnode *cn = &r->nodes[i];
		struct node_snap s;
		uint32_t srv = 1;
		if (cn->role != SCN_CLIENT)
			continue;
		cn->ops->snapshot(cn, &s);
		bool nic = s.unseen || s.spi_in != 0 || !s.nic_alive;
		/* a server device cannot be looked into: its clients' view decides */
		if (sv)
			sv->ops->client_spi(sv, nth, r->sc->nodes[i].name, &srv);
		nth++;
		if (!nic || !srv)
			return true; /* this pair has no shared context (rows 6, 8, 9) */
	}
	return false;
}

static void
close_window(struct run *r, uint64_t until)
{
	struct clear_windows *cw = &r->clear.w;
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
	cw->w[cw->n][0] = r->clear.since;
	cw->w[cw->n][1] = until > UINT64_MAX - grace ? UINT64_MAX : until + grace;
	cw->n++;
}

/* A scan of the clients per step, so only when the scenario has security at all. */
void
clear_track_step(struct run *r)
{
	if (!r->clear.w.known)
		return;
	bool ok = clear_permitted(r);
	if (ok == r->clear.open)
		return;
	if (ok)
		r->clear.since = r->eng.now;
	else
		close_window(r, r->eng.now);
	r->clear.open = ok;
}

void
clear_track_end(struct run *r)
{
	if (r->clear.open)
		close_window(r, UINT64_MAX);
	r->clear.open = false;
}

void
clear_track_fini(struct clear_track *ct)
{
	free(ct->w.w);
	ct->w.w = NULL;
}
