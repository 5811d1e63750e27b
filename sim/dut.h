/*
 * The device-under-test adapter (docs/users/dut.md): a command the vendor writes,
 * run as `CMD VERB ARGS...` with the DUT's scenario context in the
 * environment. Verbs: `begin SCENARIO NODE SEED PROFILE` before a run,
 * `power EVENT` at each of the timeline's power events for the DUT,
 * `state` (one JSON object on stdout) at the end, `end` after it. Exit 0:
 * done; 3: the DUT cannot do that (the run's verdicts become N/A); any
 * other status, or 30 s without an answer: the run stops with an error.
 */
#ifndef RMCPSEC_SIM_DUT_H
#define RMCPSEC_SIM_DUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fsm/power.h"

enum {
	DUT_EXIT_UNSUPPORTED = 3,
	DUT_TIMEOUT_MS = 30000,
	DUT_OUT_MAX = 4096, /* bytes of the adapter's stdout kept */
	DUT_CLIENTS = 16,   /* a server DUT's clients reported */
};

/* What `CMD state` said; each has_ flag tells whether the DUT reported it. */
struct dut_state {
	bool has_power, has_sa, has_commits, has_executed, has_clients;
	enum power_state power;
	uint32_t spi_in; /* the SPI the DUT accepts management under: the server sends under it */
	uint64_t commits;
	uint64_t executed[4]; /* Reset, Power-up, Power-down, Power cycle */
	struct {
		char name[32];
		uint32_t spi_out; /* a server DUT: the SPI it sends to that client under; 0: none */
	} clients[DUT_CLIENTS];
	size_t nclients;
	char raw[DUT_OUT_MAX];
};

/*
 * Runs `sh -c 'CMD "$@"' dut VERB ARGS...` with env vars RMCPSEC_DUT_* set
 * by the caller already; stdout (up to DUT_OUT_MAX - 1 bytes) into out.
 * Returns the exit status (0, DUT_EXIT_UNSUPPORTED, ...) or a negative
 * rmc_err when it could not be run or timed out (err says which).
 */
int dut_call(const char *cmd, const char *const *args, char *out, size_t cap, char *err,
	     size_t errlen);

/*
 * Parses the state line: {"power": "os_up", "sa": {"spi_in": "0x1234abcd"} | null,
 * "commits": N, "executed": {"reset": N, ...}} (a client), {"power": ...,
 * "clients": {"c1": {"spi_out": "0x..." | null}, ...}} (a server); every
 * field optional. 0, or
 * RMC_EINVAL with err naming the field.
 */
int dut_state_parse(const char *text, struct dut_state *st, char *err, size_t errlen);

#endif
