/*
 * The `faults:` list of a scenario file and the one-line form a replay
 * command carries (docs/users/faults.md), read with the loader's one YAML reader
 * (sim/scn_rd.h), so errors read as everywhere: "file:line: field 'x': why".
 */
#ifndef RMCPSEC_SIM_SCENARIO_FAULT_H
#define RMCPSEC_SIM_SCENARIO_FAULT_H

#include <stddef.h>
#include <yaml.h>

#include "sim/fault.h"
#include "sim/scenario.h"
#include "sim/scn_rd.h"

/*
 * Loads `list` (NULL: no faults) of the document rd reads into sc->faults.
 * Needs sc's nodes and duration already loaded (rd->sc is sc). Returns 0
 * or RMC_EINVAL with rd->err filled.
 */
int scenario_load_faults(struct scn_rd *rd, yaml_node_t *list, struct scenario *sc);

/*
 * One rule in YAML flow form, as a command line carries it:
 *   {do: drop, msg: sa_confirm, nth: 1}
 * Node names are resolved against sc. Errors read "--fault:1: field 'x': why".
 */
int fault_rule_parse_cli(const struct scenario *sc, const char *spec, struct fault_rule *out,
			 char *err, size_t errlen);

/* Appends a rule (e.g. from fault_rule_parse_cli) to sc->faults; 0 or RMC_ENOMEM. */
int scenario_fault_append(struct scenario *sc, const struct fault_rule *r);

#endif
