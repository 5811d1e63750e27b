/*
 * The `faults:` list of a scenario file and the one-line form a replay
 * command carries (docs/faults.md). Same validation and error style as
 * the rest of the loader: "file:line: field 'x': why".
 */
#ifndef RMCPSEC_SIM_SCENARIO_FAULT_H
#define RMCPSEC_SIM_SCENARIO_FAULT_H

#include <stddef.h>
#include <yaml.h>

#include "sim/fault.h"
#include "sim/scenario.h"

/*
 * Loads `list` (NULL: no faults) into sc->faults. Needs sc's nodes and
 * duration already loaded. Returns 0 or RMC_EINVAL with err filled.
 */
int scenario_load_faults(yaml_document_t *doc, yaml_node_t *list, const char *path,
			 struct scenario *sc, char *err, size_t errlen);

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
