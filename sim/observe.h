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

struct obs_log {
	struct obs *v;
	size_t n, cap;
	struct obs_key *keys;
	size_t nkeys, capkeys;
};

void obs_log_init(struct obs_log *log);
void obs_log_fini(struct obs_log *log);
/*
 * The harness learns an SA (as a key log exports it): both directions,
 * the NIC's role and the server's. Returns 0 or an error.
 */
int obs_log_add_sa(struct obs_log *log, const struct nvram_sa *sa, int16_t client, uint16_t ord,
		   uint32_t replay_window);
/* Classifies one frame and appends it; returns 0 or RMC_ENOMEM. */
int obs_log_frame(struct obs_log *log, const struct scenario *sc, uint64_t t, const uint8_t *f,
		  size_t len);
int obs_match(const struct obs *o, const struct scn_pattern *p);
const char *obs_prot_name(uint8_t prot);

#endif
