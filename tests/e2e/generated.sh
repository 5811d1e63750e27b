#!/usr/bin/env bash
# The generated coverage scenarios: every Fig. 6 row x each fault
# kind on each relevant message of the commit, IKE and management exchanges.
# - scenarios/generated is in step with scenarios/templates/generate.py;
# - there are at least 100, and the reference nodes pass all of them;
# - no fault rule was vacuous: each acted at least once (results.json fault_rules).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
work_dir generated

"$py" "$src/scenarios/templates/generate.py" --check || fail "generated scenarios out of date"
n=$(find "$src/scenarios/generated" -name '*.yaml' | wc -l)
[ "$n" -ge 100 ] || fail "only $n generated scenarios"
"$bin" suite "$src/scenarios/generated" --out "$work/out" >"$work/suite.log" 2>&1 ||
	{ grep -E ' FAIL +[0-9]' "$work/suite.log" | head; fail "generated scenarios fail"; }
"$py" - "$work/out" <<'PY'
import glob, json, sys
runs = sorted(glob.glob(sys.argv[1] + "/*/results.json"))
vacuous = [r for r in runs
           if not json.load(open(r)).get("fault_rules")
           or any(x["applied"] == 0 for x in json.load(open(r))["fault_rules"])]
if vacuous:
    sys.exit("vacuous faults in: " + ", ".join(vacuous[:10]))
print(f"generated: {len(runs)} scenarios pass, every fault rule acted")
PY
