#include "sim/judge_refresh.h"

#include <stdbool.h>
#include <stdio.h>

#include "proto/ikev2.h"
#include "proto/rmcp.h"

/* The client's first SA_CONFIRM under an SA newer than every one it committed before. */
static bool
is_commit(const struct obs *o, int client, unsigned newest)
{
	return !o->injected && o->from == client && o->kind == OBS_COMMIT &&
	       o->asf_type == ASF_COMMIT_CONFIRM && o->opened && o->sa > newest;
}

/* A node's request that begins a key exchange with the client: a refresh starting. */
static bool
is_refresh_start(const struct obs *o, int client)
{
	return !o->injected && o->to == client && o->kind == OBS_IKE && !o->ike_response &&
	       (o->ike_exch == IKEV2_EXCH_IKE_SA_INIT || o->ike_exch == IKEV2_EXCH_CREATE_CHILD_SA);
}

/* The frame after k that commits the next SA, or n. */
static size_t
next_commit(const struct obs *v, size_t n, size_t k, int client)
{
	for (size_t j = k + 1; j < n; j++)
		if (is_commit(&v[j], client, v[k].sa))
			return j;
	return n;
}

/* The first refresh start after frame k, up to deadline; n when none. */
static size_t
refresh_start(const struct obs *v, size_t n, size_t k, int client, uint64_t deadline)
{
	for (size_t j = k + 1; j < n && v[j].t <= deadline; j++)
		if (is_refresh_start(&v[j], client))
			return j;
	return n;
}

struct tally {
	unsigned commits, due;
	uint64_t latest_start; /* the longest a due refresh took to start after its commit */
	uint64_t oldest;       /* the longest an SA stayed the newest, within the window */
};

/* Commit frame k against the rule; false with out->detail said when it breaks it. */
static bool
commit_on_schedule(const struct obs *v, size_t n, size_t k, int client,
		   const struct refresh_rule *rule, struct tally *ty, struct verdict *out)
{
	uint64_t t = v[k].t, deadline = t + rule->refresh + rule->slack;
	size_t next = next_commit(v, n, k, client);
	uint64_t end = next < n && v[next].t < rule->before ? v[next].t : rule->before;
	if (deadline >= rule->after && deadline < rule->before) {
		size_t s = refresh_start(v, n, k, client, deadline);
		ty->due++;
		if (s == n) {
			snprintf(out->detail, sizeof(out->detail),
				 "SA %u committed at %.3f s (frame #%u): no refresh started by "
				 "%.3f s",
				 v[k].sa, t / 1e9, v[k].frame_no, deadline / 1e9);
			return false;
		}
		if (v[s].t - t > ty->latest_start)
			ty->latest_start = v[s].t - t;
	}
	if (end <= rule->after)
		return true; /* the SA was replaced before the window opened */
	if (end - t > ty->oldest)
		ty->oldest = end - t;
	if (rule->max_age != UINT64_MAX && end - t > rule->max_age) {
		snprintf(out->detail, sizeof(out->detail),
			 "SA %u, committed at %.3f s (frame #%u), still the newest at %.3f s: "
			 "%.3f s, above lifetime - max_downtime (%.3f s)",
			 v[k].sa, t / 1e9, v[k].frame_no, end / 1e9, (end - t) / 1e9,
			 rule->max_age / 1e9);
		return false;
	}
	return true;
}

void
judge_refresh_schedule(const struct obs *v, size_t n, int client, const struct refresh_rule *rule,
		       struct verdict *out)
{
	struct tally ty = {0};
	unsigned newest = 0;
	out->pass = out->na = false;
	for (size_t k = 0; k < n && v[k].t < rule->before; k++) {
		if (!is_commit(&v[k], client, newest))
			continue;
		newest = v[k].sa;
		ty.commits++;
		if (!commit_on_schedule(v, n, k, client, rule, &ty, out))
			return;
	}
	if (ty.commits == 0) {
		snprintf(out->detail, sizeof(out->detail), "no SA committed before %.3f s",
			 rule->before / 1e9);
		return;
	}
	if (ty.due == 0 && rule->max_age == UINT64_MAX) {
		out->na = true;
		snprintf(out->detail, sizeof(out->detail),
			 "N/A: %u SA(s) committed, no refresh fell due in the window", ty.commits);
		return;
	}
	if (ty.due)
		snprintf(out->detail, sizeof(out->detail),
			 "%u SA(s) committed; %u refresh(es) due, each started within %.3f s of "
			 "its commit; an SA stayed the newest %.3f s at most",
			 ty.commits, ty.due, ty.latest_start / 1e9, ty.oldest / 1e9);
	else
		snprintf(out->detail, sizeof(out->detail),
			 "%u SA(s) committed, no refresh due in the window; an SA stayed the "
			 "newest %.3f s at most",
			 ty.commits, ty.oldest / 1e9);
	out->pass = true;
}
