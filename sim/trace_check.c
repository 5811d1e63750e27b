#include "sim/trace_check.h"

#include <stdio.h>
#include <string.h>

#include "pcap/keys.h"
#include "proto/err.h"
#include "proto/rmcp.h"

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
	/* A request or command the NIC may answer in the clear, and the response it sends. */
	for (unsigned t = 0; sc->security.clear_allowed && t < 256; t++) {
		if (!(sc->security.clear_msgs & asf_clear_bit((uint8_t)t)))
			continue;
		verify_policy_set_type(p, (uint8_t)t, true);
		if (asf_response((uint8_t)t))
			verify_policy_set_type(p, asf_response((uint8_t)t), true);
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
	return trace_check_windows(sc, dir, NULL, NULL, 0, pass, detail, cap, tf);
}

/* Clear windows from the run, and one per clear stimulus: its retries and the answer. */
static int
add_windows(const struct scenario *sc, const struct clear_windows *cw, struct verify_policy *p)
{
	int rc = RMC_OK;
	size_t added = 0;
	for (size_t i = 0; !rc && i < cw->n; i++)
		if (cw->w[i][0] < cw->w[i][1] &&
		    !(rc = verify_policy_add_window(p, cw->w[i][0], cw->w[i][1])))
			added++;
	for (size_t i = 0; !rc && i < sc->nactions; i++) {
		const struct scn_action *a = &sc->actions[i];
		if (a->via != SCN_VIA_CLEAR || a->server < 0)
			continue;
		const struct scn_node *s = &sc->nodes[a->server];
		uint64_t span = (uint64_t)(s->retries + 1) * s->retx_ns + 1000000;
		if (!(rc = verify_policy_add_window(p, a->at, a->at + span)))
			added++;
	}
	if (!added)
		p->clear_allowed = false; /* never permitted in this run */
	return rc;
}

int
trace_check_windows(const struct scenario *sc, const char *dir, const struct clear_windows *cw,
		    const uint64_t *forged, size_t nforged, bool *pass, char *detail, size_t cap,
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
	int rc = RMC_OK;
	if (cw && cw->known && sc->security.enabled && (rc = add_windows(sc, cw, &pol)))
		snprintf(err, sizeof(err), "out of memory");
	for (size_t i = 0; rc == RMC_OK && i < nforged; i++)
		if ((rc = verify_policy_add_forged(&pol, forged[i])))
			snprintf(err, sizeof(err), "out of memory");
	if (rc == RMC_OK)
		rc = keyring_load_beside(&kr, path, err, sizeof(err));
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
