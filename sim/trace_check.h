/*
 * After a run, its trace is checked by pcap/verify with no help from the
 * node code, against a policy taken from the scenario: the NIC's clear-mode
 * configuration bits, plus the clear messages the scenario itself sends as
 * stimuli (a clear Reset to a secure-only NIC is a test, not a violation;
 * an answer to it would be one).
 */
#ifndef RMCPSEC_SIM_TRACE_CHECK_H
#define RMCPSEC_SIM_TRACE_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "pcap/verify.h"
#include "sim/req.h"
#include "sim/scenario.h"

void scenario_verify_policy(const struct scenario *sc, struct verify_policy *p);

/*
 * Verifies dir/trace.pcap with the key files beside it. pass is set, and
 * detail says what was found (the first findings, with frame numbers).
 * tf, when not NULL, gets the verifier's counts and the first finding of
 * each class. Returns 0, or a negative rmc_err when the trace or keys
 * cannot be read.
 */
int trace_check(const struct scenario *sc, const char *dir, bool *pass, char *detail, size_t cap,
		struct trace_findings *tf);

/*
 * When clear management was permitted during a run (docs/users/verify.md): the
 * intervals [from, to) in which some client and its server shared no
 * security context (Fig. 6 rows 6, 8, 9), plus the scenario's own clear
 * stimuli. A run fills one; with known set, clear RMCP outside every
 * window is a finding.
 */
struct clear_windows {
	bool known;
	uint64_t (*w)[2];
	size_t n, cap;
};

/*
 * As trace_check, with the run's clear windows (cw) and the frames the
 * harness forged itself (forged[0..nforged), its adversary's: not judged).
 */
int trace_check_windows(const struct scenario *sc, const char *dir, const struct clear_windows *cw,
			const uint64_t *forged, size_t nforged, bool *pass, char *detail,
			size_t cap, struct trace_findings *tf);

#endif
