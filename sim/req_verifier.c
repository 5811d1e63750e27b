/* The trace verifier's finding classes (docs/users/verify.md) as checks of catalogue requirements.
 */
#include <stdio.h>

#include "sim/req.h"

enum need {
	NEED_IPSEC,    /* ESP or AH frames in the trace */
	NEED_SECURED,  /* the scenario has a security section: the clear-mode rules bite */
	NEED_COMMIT,   /* commit messages in the trace */
	NEED_FAILOVER, /* more than one server, and IPsec frames */
};

static const struct {
	enum verify_id id;
	const char *req;
	enum need need;
} MAP[] = {
    {V_ICV, "REQ-IPSEC-ICV", NEED_IPSEC},
    {V_ESP_UNKNOWN_SPI, "REQ-IPSEC-ICV", NEED_IPSEC},
    {V_AH_UNKNOWN_SPI, "REQ-IPSEC-ICV", NEED_IPSEC},
    /* The verifier does not say which end reused a number: with a secondary server, both. */
    {V_SEQ_REUSE, "REQ-NIC-SEQ-NO-REUSE", NEED_IPSEC},
    {V_NONCE_REUSE, "REQ-NIC-SEQ-NO-REUSE", NEED_IPSEC},
    {V_SEQ_REUSE, "REQ-SRV-SEQ-NO-REUSE-FAILOVER", NEED_FAILOVER},
    {V_NONCE_REUSE, "REQ-SRV-SEQ-NO-REUSE-FAILOVER", NEED_FAILOVER},
    {V_CLEAR_664, "REQ-NIC-CLEAR-664-REFUSED", NEED_SECURED},
    {V_CLEAR_PORT, "REQ-NIC-CLEAR-ONLY-CONFIGURED", NEED_SECURED},
    {V_CLEAR_STATE, "REQ-NIC-CLEAR-ONLY-CONFIGURED", NEED_SECURED},
    {V_CLEAR_MSG, "REQ-NIC-CLEAR-ONLY-CONFIGURED", NEED_SECURED},
    {V_COMMIT_ORDER, "REQ-COMMIT-ORDER", NEED_COMMIT},
    {V_COMMIT_SA, "REQ-COMMIT-ORDER", NEED_COMMIT},
};

static bool
needed(enum need n, const struct verify_stats *st, bool secured, size_t servers)
{
	switch (n) {
	case NEED_IPSEC:
		return st->esp + st->ah > 0;
	case NEED_SECURED:
		return secured;
	case NEED_COMMIT:
		return st->commit > 0;
	case NEED_FAILOVER:
		return servers > 1 && st->esp + st->ah > 0;
	}
	return false;
}

void
req_add_verifier(struct req_outcome *out, const struct trace_findings *tf, bool secured,
		 size_t servers)
{
	const struct verify_stats *st = &tf->st;
	for (size_t i = 0; i < sizeof(MAP) / sizeof(MAP[0]); i++) {
		int k = req_index(MAP[i].req);
		if (k < 0 || !needed(MAP[i].need, st, secured, servers))
			continue;
		uint64_t n = st->by_id[MAP[i].id];
		char what[64], observed[VERIFY_TEXT_MAX + 96];
		snprintf(what, sizeof(what), "verifier: no %s", verify_id_name(MAP[i].id));
		if (n)
			snprintf(observed, sizeof(observed), "%llu finding(s), first %s",
				 (unsigned long long)n, tf->first[MAP[i].id]);
		else
			snprintf(observed, sizeof(observed), "none in %llu frames",
				 (unsigned long long)st->frames);
		req_add_check(&out[k], 0, n == 0, what, observed);
	}
}
