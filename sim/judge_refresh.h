/*
 * `refreshed: on_schedule` (docs/users/scenarios.md): whether the server
 * refreshed one client's SA as the scenario's refresh interval says and
 * the SA lifetime needs (patent Fig. 4: the refresh interval is smaller
 * than the lifetime by at least the longest downtime), judged from the
 * observation log alone, so it holds for a device under test as for the
 * reference server:
 *
 *  - an SA is committed when the client's first SA_CONFIRM under it is
 *    seen; a refresh starts with an IKE_SA_INIT or CREATE_CHILD_SA request
 *    to the client (the adversary's frames are not the server's);
 *  - after each commit the next refresh starts within refresh + slack, for
 *    every such deadline inside the window;
 *  - with a finite lifetime, no SA stays the newest committed one longer
 *    than lifetime - max_downtime, counted up to the window's end.
 */
#ifndef RMCPSEC_SIM_JUDGE_REFRESH_H
#define RMCPSEC_SIM_JUDGE_REFRESH_H

#include <stddef.h>
#include <stdint.h>

#include "sim/frame_class.h"
#include "sim/judge.h"

struct refresh_rule {
	uint64_t refresh; /* the configured refresh interval */
	uint64_t slack;	  /* how late past it a refresh may start */
	uint64_t max_age; /* lifetime - max_downtime; UINT64_MAX: no lifetime */
	uint64_t after;	  /* the window, [after, before) */
	uint64_t before;  /* already cut at the run's end */
};

/* The verdict on client's refreshes in the n frames of v under rule (v->what left as it is). */
void judge_refresh_schedule(const struct obs *v, size_t n, int client,
			    const struct refresh_rule *rule, struct verdict *out);

#endif
