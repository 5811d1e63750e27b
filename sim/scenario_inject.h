/*
 * The adversary's items of a scenario's timeline, `do: inject`
 * (docs/users/scenarios.md, "The adversary"), read with the loader's one
 * YAML reader (sim/scn_rd.h).
 */
#ifndef RMCPSEC_SIM_SCENARIO_INJECT_H
#define RMCPSEC_SIM_SCENARIO_INJECT_H

#include <yaml.h>

#include "sim/scenario.h"
#include "sim/scn_rd.h"

/*
 * Loads one `do: inject` item into sc->injects[sc->ninjects] (room for it
 * allocated by the caller). Needs sc's nodes, duration and security loaded.
 * 0 or RMC_EINVAL with rd->err filled.
 */
int scenario_load_inject(struct scn_rd *rd, yaml_node_t *n, struct scenario *sc);
/* Loads one `do: ike_peer` item into sc->ike_peers[sc->nike_peers]; as above. */
int scenario_load_ike_peer(struct scn_rd *rd, yaml_node_t *n, struct scenario *sc);
/* The injection named name, or -1. */
int scenario_inject(const struct scenario *sc, const char *name);
/* The lying IKE peer named name, or -1. */
int scenario_ike_peer(const struct scenario *sc, const char *name);
const char *scn_ike_lie_name(enum scn_ike_lie lie);
const char *scn_damage_name(enum scn_damage d);
const char *scn_inj_sa_name(enum scn_inj_sa sa);

#endif
