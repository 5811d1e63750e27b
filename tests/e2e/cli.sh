#!/usr/bin/env bash
# The command line's contract: exit 0 pass, 1 a verdict failed, 2 usage or
# input error; suite writes per-scenario results and a summary; a failure
# prints the command that replays it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
work_dir cli

[ "$(code "$bin" --help)" = 0 ] || fail "--help"
grep -q 'usage: rmcpsec' "$work/out" || fail "--help prints usage"
[ "$(code "$bin" --version)" = 0 ] || fail "--version"
grep -Eq '^rmcpsec [0-9]+\.[0-9]+\.[0-9]+$' "$work/out" || fail "--version format"
[ "$(code "$bin")" = 2 ] || fail "no command must exit 2"
[ "$(code "$bin" frobnicate)" = 2 ] || fail "unknown command must exit 2"
[ "$(code "$bin" run)" = 2 ] || fail "run without a scenario must exit 2"
[ "$(code "$bin" run "$src/scenarios/smoke.yaml" --seed banana)" = 2 ] || fail "bad seed must exit 2"
[ "$(code "$bin" run /nonexistent.yaml)" = 2 ] || fail "missing file must exit 2"

[ "$(code "$bin" run "$src/tests/data/failing/wrong_expectation.yaml" --out "$work/f")" = 1 ] || fail "failed verdict must exit 1"
grep -q "FAIL" "$work/out" || fail "failure not reported"
grep -q "replay: rmcpsec run .*wrong_expectation.yaml --seed 3" "$work/out" || fail "no replay command"
grep -q '"verdict": "FAIL"' "$work/f/results.json" || fail "results.json verdict"
grep -q '"observed": "observed os_up"' "$work/f/results.json" || fail "verdict must say what was observed"

[ "$(code "$bin" suite "$src/tests/data/failing" --out "$work/s1")" = 1 ] || fail "suite with a failure must exit 1"
grep -q "replay: rmcpsec run" "$work/out" || fail "suite prints replay"
[ "$(code "$bin" suite "$src/tests/data/bad" --out "$work/s2")" = 2 ] || fail "suite with a bad scenario must exit 2"
[ ! -e "$work/s2" ] || fail "suite with a bad scenario wrote results"
[ "$(code "$bin" suite "$src/scenarios" --out "$work/s3")" = 0 ] || { cat "$work/out" "$work/err"; fail "suite scenarios/ must pass"; }
[ -s "$work/s3/summary.json" ] || fail "no summary.json"
[ -s "$work/s3/smoke/trace.pcap" ] || fail "suite output layout: no smoke/trace.pcap"
[ -s "$work/s3/smoke/results.json" ] || fail "suite output layout: no smoke/results.json"
[ "$(code "$bin" fig6 --json)" = 0 ] || fail "fig6 --json"
"$py" - "$work/out" <<'PY' || fail "fig6 --json is not the Fig. 6 table"
import json, sys
rows = json.load(open(sys.argv[1]))
nums = sorted(r["row"] for r in rows if r["source"] == "patent")
assert nums == list(range(2, 10)), nums
r3 = next(r for r in rows if r["row"] == 3)
assert r3["sa"] == "stored" and not r3["refresh"], r3
PY
[ "$(code "$bin" fig6)" = 2 ] || fail "fig6 without --json must exit 2"
echo "cli e2e: ok"
