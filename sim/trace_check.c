#include "sim/trace_check.h"

#include <stdio.h>
#include <string.h>

#include "nodes/nvram.h"
#include "pcap/keys.h"
#include "proto/err.h"
#include "proto/rmcp.h"

/* A clear request type the NIC may answer, and the response it then sends. */
static const struct {
	uint16_t bit;
	uint8_t request, response;
} CLEAR_TYPES[] = {
    {NVRAM_CLEAR_PRESENCE_PING, ASF_PRESENCE_PING, ASF_PRESENCE_PONG},
    {NVRAM_CLEAR_CAPABILITIES, ASF_CAPABILITIES_REQ, ASF_CAPABILITIES_RESP},
    {NVRAM_CLEAR_SYSTEM_STATE, ASF_SYSTEM_STATE_REQ, ASF_SYSTEM_STATE_RESP},
    {NVRAM_CLEAR_RESET, ASF_RESET, 0},
    {NVRAM_CLEAR_POWER_UP, ASF_POWER_UP, 0},
    {NVRAM_CLEAR_POWER_DOWN, ASF_POWER_DOWN, 0},
    {NVRAM_CLEAR_POWER_CYCLE, ASF_POWER_CYCLE, 0},
};

void
scenario_verify_policy(const struct scenario *sc, struct verify_policy *p)
{
	verify_policy_default(p);
	if (!sc->security.enabled)
		return; /* no SA: everything is clear on 623 */
	p->clear_port = sc->security.clear_port;
	p->clear_allowed = sc->security.clear_allowed;
	for (unsigned t = 0; t < 256; t++)
		verify_policy_set_type(p, (uint8_t)t, false);
	for (size_t i = 0;
	     sc->security.clear_allowed && i < sizeof(CLEAR_TYPES) / sizeof(CLEAR_TYPES[0]); i++) {
		if (!(sc->security.clear_msgs & CLEAR_TYPES[i].bit))
			continue;
		verify_policy_set_type(p, CLEAR_TYPES[i].request, true);
		if (CLEAR_TYPES[i].response)
			verify_policy_set_type(p, CLEAR_TYPES[i].response, true);
	}
	/* The scenario's own clear stimuli: allowed on the wire, their answers are not. */
	for (size_t i = 0; i < sc->nactions; i++) {
		const struct scn_action *a = &sc->actions[i];
		if (a->via != SCN_VIA_CLEAR)
			continue;
		p->clear_allowed = true;
		verify_policy_set_type(
		    p, a->verb == SCN_DO_DISCOVER ? ASF_PRESENCE_PING : a->asf_type, true);
	}
}

struct collect {
	char *buf;
	size_t cap, used;
	unsigned shown;
	struct trace_findings *tf; /* or NULL */
};

static void
collect(void *arg, const struct verify_finding *f)
{
	struct collect *c = arg;
	if (c->tf && f->id < V_COUNT && !c->tf->first[f->id][0])
		snprintf(c->tf->first[f->id], sizeof(c->tf->first[f->id]), "frame %llu: %s",
			 (unsigned long long)f->frame, f->text);
	if (c->shown++ >= 3 || c->used >= c->cap)
		return;
	int n = snprintf(c->buf + c->used, c->cap - c->used, "; frame %llu: %s: %s",
			 (unsigned long long)f->frame, verify_id_name(f->id), f->text);
	if (n > 0)
		c->used += (size_t)n < c->cap - c->used ? (size_t)n : c->cap - c->used - 1;
}

int
trace_check(const struct scenario *sc, const char *dir, bool *pass, char *detail, size_t cap,
	    struct trace_findings *tf)
{
	char path[1200], err[256] = "", found[600] = "";
	struct keyring kr = {0};
	struct verify_policy pol;
	struct verify_stats st = {0};
	struct collect c = {found, sizeof(found), 0, 0, tf};
	if (tf)
		memset(tf, 0, sizeof(*tf));
	snprintf(path, sizeof(path), "%s/trace.pcap", dir);
	scenario_verify_policy(sc, &pol);
	int rc = keyring_load_beside(&kr, path, err, sizeof(err));
	if (rc == RMC_OK)
		rc = verify_trace(path, &pol, &kr, collect, &c, &st, err, sizeof(err));
	keyring_free(&kr);
	verify_policy_free(&pol);
	if (rc) {
		snprintf(detail, cap, "%s", err);
		*pass = false;
		return rc;
	}
	if (tf)
		tf->st = st;
	*pass = st.findings == 0;
	snprintf(detail, cap, "%llu frames, %llu opened, %llu findings%s",
		 (unsigned long long)st.frames, (unsigned long long)st.opened,
		 (unsigned long long)st.findings, found);
	return RMC_OK;
}
