/*
 * `--net tap` (issue 9, docs/tap.md): the run's nodes exchange real frames.
 * Each node gets a TAP device in a network namespace of its own (unique
 * names, removed at the end whatever happened); the node sends and
 * receives on an AF_PACKET socket on that link, and the harness holds the
 * TAP descriptors: its forwarder (sim/tap) reads every frame, writes it to
 * the trace, classifies it for the verdicts, applies the scenario's fault
 * rules (sim/tap_fault, on the same fault engine as the node faults) and
 * forwards it. Timers run on the same event engine as in virtual time,
 * driven by the real clock: one thread, one ppoll over every descriptor,
 * woken by the earliest timer or delayed frame. Needs root.
 */
#ifndef RMCPSEC_SIM_RUN_TAP_H
#define RMCPSEC_SIM_RUN_TAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/run.h"

struct run;

/* Creates the namespaces, TAPs and sockets, hooks the forwarder. 0 or negative with err. */
int run_tap_open(struct run *r, const struct run_opts *o, char *err, size_t errlen);
/* Removes everything run_tap_open made; NULL-safe, safe after a failed open. */
void run_tap_close(struct run *r);
/* A node puts a frame on its link. */
void run_tap_send(struct run *r, size_t port, const uint8_t *frame, size_t len);
/* Runs the scenario's duration in real time; events dispatched are added to *events. */
int run_tap_loop(struct run *r, uint64_t *events, char *err, size_t errlen);

/*
 * `"net": {"mode": "tap", "links": [...], ...},` for results.json: each
 * node's namespace and TAP (so a test can check they are gone) and the
 * forwarder's counters (docs/results.md).
 */
void run_tap_write_json(FILE *f, const struct run *r);

/*
 * SIGINT, SIGTERM and SIGHUP end a tap run early but orderly (its namespaces
 * and TAPs removed, the run reported as interrupted) instead of killing the
 * process with them still in place. For the command line, before any run.
 */
void run_tap_catch_signals(void);

#endif
