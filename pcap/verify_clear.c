/*
 * UDP in the clear. Port 664 is the secured port: nothing may cross it
 * unprotected (the patent's policy, Fig. 6: "Destination port = 298h"). RMCP in the clear is
 * allowed only on the policy's clear port (623, DSP0136 §3.2, unless a
 * NIC is configured for another), only while the policy allows clear
 * traffic, and only with the ASF message types the policy lists.
 */
#include <stdio.h>

#include "pcap/verify_int.h"
#include "proto/err.h"

static bool
in_windows(const struct verify_policy *p, uint64_t t)
{
	if (!p->nclear_windows)
		return true;
	for (size_t i = 0; i < p->nclear_windows; i++)
		if (t >= p->clear_windows[i].from_ns && t < p->clear_windows[i].to_ns)
			return true;
	return false;
}

static void
check_message(struct verifier *v, const struct rmcp_msg *m)
{
	int rc;

	if (m->is_ack)
		return;
	if (m->iana == ASF_IANA_COMMIT) {
		verify_report(
		    v, V_CLEAR_MSG, 0,
		    "commit message type %u in the clear: it must travel under the new SA",
		    m->type);
		return;
	}
	if (m->iana != ASF_IANA) {
		verify_report(v, V_CLEAR_MSG, 0, "RMCP with IANA enterprise %u in the clear",
			      m->iana);
		return;
	}
	if (!verify_policy_type_allowed(&v->pol, m->type)) {
		verify_report(v, V_CLEAR_MSG, 0, "ASF %s (0x%02x) is not allowed in the clear",
			      asf_type_name(m->type), m->type);
		return;
	}
	if ((rc = asf_validate(m)))
		verify_report(v, V_MALFORMED, 0, "ASF %s (0x%02x) with %u data bytes: %s",
			      asf_type_name(m->type), m->type, m->data_len, rmc_strerror(rc));
}

void
verify_clear_udp(struct verifier *v, const struct pkt *pk)
{
	const struct verify_policy *p = &v->pol;
	uint16_t sp = pk->udp.sport, dp = pk->udp.dport;
	struct rmcp_msg m;
	int rc;

	if (sp == RMCP_PORT_SECURE || dp == RMCP_PORT_SECURE) {
		verify_report(v, V_CLEAR_664, 0,
			      "UDP %u -> %u in the clear: port %u carries only ESP/AH", sp, dp,
			      RMCP_PORT_SECURE);
		return;
	}
	rc = rmcp_decode(pk->payload, pk->payload_len, &m);
	if (sp != p->clear_port && dp != p->clear_port) {
		/* Only a complete ASF message counts as RMCP off the clear port. */
		if (rc == RMC_OK)
			verify_report(v, V_CLEAR_PORT, 0,
				      "RMCP in the clear on UDP %u -> %u: clear RMCP only on %u",
				      sp, dp, p->clear_port);
		return;
	}
	if (rc != RMC_OK && rc != RMC_EUNSUP) {
		verify_report(v, V_MALFORMED, 0, "UDP %u -> %u on the clear RMCP port: %s", sp, dp,
			      rmc_strerror(rc));
		return;
	}
	v->st.clear_rmcp++;
	if (!p->clear_allowed) {
		verify_report(v, V_CLEAR_STATE, 0, "RMCP in the clear, which the policy forbids");
		return;
	}
	if (!in_windows(p, v->t_ns)) {
		verify_report(v, V_CLEAR_STATE, 0,
			      "RMCP in the clear at %llu.%09llu s, outside every allowed window",
			      (unsigned long long)(v->t_ns / 1000000000u),
			      (unsigned long long)(v->t_ns % 1000000000u));
		return;
	}
	if (rc == RMC_EUNSUP) {
		verify_report(v, V_CLEAR_MSG, 0, "RMCP class %u (not ASF) in the clear",
			      pk->payload[3] & 0x0f);
		return;
	}
	check_message(v, &m);
}
