/*
 * What the harness saw on the LAN, frame by frame, decoded on its own from
 * the bytes (not from anything a node reported). Verdicts about traffic are
 * computed from this log only. What one frame was classified as (struct
 * obs) is in sim/frame_class.h; this log adds the SAs the harness opens
 * protected frames with.
 */
#ifndef RMCPSEC_SIM_OBSERVE_H
#define RMCPSEC_SIM_OBSERVE_H

#include <stddef.h>
#include <stdint.h>

#include "nodes/secure.h"
#include "sim/frame_class.h"
#include "sim/scenario.h"

/*
 * The harness holds every SA of the run (its own copies, built from the
 * same stored SAs as the nodes), so it can classify what travels under
 * ESP without asking any node.
 */
struct obs_key {
	struct sec_pair *pair; /* heap: a pair's SAD points into itself */
	int16_t client;	       /* node index of the client whose SA it is */
	uint16_t ord;	       /* 1 for the client's first SA of the run, 2 for the next ... */
};

/*
 * Which of a client's SAs is which, read from the wire alone, so it holds
 * for a device under test as for a reference node: an SA is active from the
 * start when provisioned (or for a client without the commit handshake),
 * otherwise from the SA_CONFIRM the client sends under it; the newest SA the
 * harness knows beyond the active one is pending; the one an SA_CONFIRM
 * replaced is previous.
 */
struct obs_client_sas {
	uint16_t active, previous, newest; /* ords; 0: none */
};

/*
 * A protected frame the harness could not open yet: its key may still come
 * (a device under test sends under a new SA before the reference server has
 * finished the exchange that exports it). The last OBS_UNOPENED of them are
 * kept, and opened when an SA arrives (obs_log_add_sa).
 */
enum { OBS_UNOPENED = 16, OBS_FRAME_MAX = 1600 };

struct obs_unopened {
	uint32_t frame_no; /* 0: free */
	uint16_t len;
	uint8_t bytes[OBS_FRAME_MAX];
};

struct obs_log {
	struct obs *v;
	size_t n, cap;
	struct obs_key *keys;
	size_t nkeys, capkeys;
	struct obs_client_sas *sas; /* by node index */
	size_t nsas;
	struct obs_unopened *unopened; /* OBS_UNOPENED, a ring */
	size_t next_unopened;
	uint16_t clear_port; /* the scenario's clear RMCP port, for the frames opened late */
	uint32_t reopened[OBS_UNOPENED]; /* frame numbers the last obs_log_add_sa opened */
	size_t nreopened;
};

void obs_log_init(struct obs_log *log);
void obs_log_fini(struct obs_log *log);
/*
 * The harness learns an SA (as a key log exports it): both directions,
 * the NIC's role and the server's; active_now when it is in use at once
 * (provisioned, or a client without the commit handshake). 0 or an error.
 */
int obs_log_add_sa(struct obs_log *log, const struct nvram_sa *sa, int16_t client, uint16_t ord,
		   uint32_t replay_window, bool active_now);
/* Client `client`'s SAs as the wire shows them now (all 0 when it has none). */
struct obs_client_sas obs_client_sas(const struct obs_log *log, int client);
/* The pair of the client's ord-th SA in role (SEC_NIC or SEC_SERVER), or NULL. */
struct sec_pair *obs_sa_pair(const struct obs_log *log, int client, uint16_t ord, int role);
/* Classifies one frame and appends it; returns 0 or RMC_ENOMEM. */
int obs_log_frame(struct obs_log *log, const struct scenario *sc, uint64_t t, const uint8_t *f,
		  size_t len);
int obs_match(const struct obs *o, const struct scn_pattern *p);
const char *obs_prot_name(uint8_t prot);

#endif
