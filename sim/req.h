/*
 * The requirement catalogue (docs/users/requirements.md): every requirement the
 * suite judges, each citing the patent figure, row or claim, the RFC
 * section or the repository page it comes from. Scenario expectations name
 * these ids (`req:`); a run folds its checks into one verdict per
 * requirement; the suite aggregates them. docs/users/requirements.md is the
 * human form of the same table (a test keeps the two in step).
 */
#ifndef RMCPSEC_SIM_REQ_H
#define RMCPSEC_SIM_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcap/verify.h"

enum { REQ_MAX = 64, REQ_DETAIL = 320, REQ_MAX_LINES = 24 };

struct req {
	const char *id;
	const char *source; /* where it comes from, quoted */
	const char *text;   /* what must hold, in our terms */
	const char *scope;  /* who must make it hold: nic, server, commit, harness ... */
};

/* The whole catalogue, in document order. */
const struct req *req_table(size_t *n);
/* Index into the table, or -1. */
int req_index(const char *id);
/*
 * NULL, or why the reference nodes do not meet requirement k yet: until
 * they do, no scenario of the suite can judge it and pass, and no mutant can
 * break it (rmcpsec requirements --coverage and tests/e2e/mutants.sh name
 * it as their exception).
 */
const char *req_unmet(int k);

enum req_verdict { REQ_NOT_TESTED = 0, REQ_PASS, REQ_FAIL, REQ_NA };

/* "PASS", "FAIL", "NOT-TESTED", "N/A". */
const char *req_verdict_name(enum req_verdict v);

/* One requirement's standing in one run, folded from its checks. */
struct req_outcome {
	enum req_verdict verdict;
	uint16_t npass, nfail;
	uint16_t nlines;
	int lines[REQ_MAX_LINES]; /* expectation lines; 0 = the trace verifier */
	char detail[REQ_DETAIL];  /* first failing check, or the N/A reason */
};

/*
 * Adds one check: FAIL dominates, PASS otherwise; a requirement declared
 * N/A stays N/A unless a check of it fails (the scenario cannot wave away
 * a violation the wire shows).
 */
void req_add_check(struct req_outcome *o, int line, bool pass, const char *what,
		   const char *observed);
void req_mark_na(struct req_outcome *o, const char *reason);

/*
 * What the trace verifier found, per finding class, for mapping onto the
 * catalogue (sim/trace_check.c fills it).
 */
struct trace_findings {
	struct verify_stats st;
	char first[V_COUNT][VERIFY_TEXT_MAX + 32]; /* the first finding of each class */
};

/*
 * Folds the verifier's classes into out[] (indexed like req_table): each
 * class speaks for one requirement, but only when the trace held what it
 * checks (IPsec frames for ICV and sequence numbers, a security section
 * for the clear-mode rules, commit messages for the commit order).
 * secured: the scenario has a security section; servers: how many.
 */
void req_add_verifier(struct req_outcome *out, const struct trace_findings *tf, bool secured,
		      size_t servers);

#endif
