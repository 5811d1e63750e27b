#!/usr/bin/env bash
# Every JSON file rmcpsec writes reads the same in every JSON reader
# (docs/users/results.md): strict UTF-8, and no key twice in one object
# (most readers keep one of the two silently).
# - the suite (scenarios/) and the failing scenarios of tests/data/failing:
#   every results.json and summary.json, and `requirements --json` and
#   `verify --json`, load with Python's json, duplicate keys refused;
# - the check bites: a results.json with a key written twice, and one with a
#   byte that is not UTF-8, both written here by hand, are refused, naming the
#   file (and the key);
# - a scenario whose path holds a byte that is not UTF-8 (Latin-1 e-acute)
#   runs; results.json and summary.json name it as Python's
#   bytes.decode("utf-8", "replace") reads it, and junit.xml parses as XML.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
work_dir json_keys

# check_json FILE...: each file is UTF-8 JSON with no key twice in an object; otherwise
# prints FILE: key 'K' twice (or what else is wrong) for each and exits 1.
check_json() {
	"$py" - "$@" <<'PY'
import json, sys

class Duplicate(Exception):
    pass

def refuse_duplicates(pairs):
    seen = set()
    for key, _ in pairs:
        if key in seen:
            raise Duplicate(key)
        seen.add(key)
    return dict(pairs)

def refuse_constant(name):
    raise ValueError("%s is not JSON" % name)

bad = 0
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as f:
            json.load(f, object_pairs_hook=refuse_duplicates, parse_constant=refuse_constant)
    except Duplicate as e:
        print("%s: key %r twice in one object" % (path, e.args[0]))
        bad += 1
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
        print("%s: not strict UTF-8 JSON: %s" % (path, e))
        bad += 1
print("checked %d file(s), %d refused" % (len(sys.argv) - 1, bad))
sys.exit(1 if bad else 0)
PY
}

# The check bites: a key twice, and a Latin-1 byte, each refused with the file named.
mkdir -p "$work/bad"
printf '{\n  "schema": "rmcpsec-result/1",\n  "events": 41,\n  "events": []\n}\n' >"$work/bad/dup.json"
printf '{"scenario": "scen\xe9rio.yaml"}\n' >"$work/bad/latin1.json"
printf '{"ok": {"events": 1}, "also": {"events": 2}}\n' >"$work/bad/same-key-apart.json"
if check_json "$work/bad/dup.json" >"$work/bad/out"; then fail "a duplicated key was not refused"; fi
grep -qxF "$work/bad/dup.json: key 'events' twice in one object" "$work/bad/out" ||
	{ cat "$work/bad/out"; fail "the refusal does not name the file and the key"; }
if check_json "$work/bad/latin1.json" >"$work/bad/out"; then fail "a byte that is not UTF-8 was not refused"; fi
grep -qF "$work/bad/latin1.json: not strict UTF-8 JSON" "$work/bad/out" ||
	{ cat "$work/bad/out"; fail "the refusal does not name the file"; }
check_json "$work/bad/same-key-apart.json" >/dev/null || fail "one key in two objects is not a duplicate"

# The suite, and the scenarios that fail on purpose (suite exits 1 for them).
"$bin" suite "$src/scenarios" --out "$work/suite" >"$work/suite.log" 2>&1 ||
	{ tail -20 "$work/suite.log"; fail "suite scenarios/"; }
rc=0
"$bin" suite "$src/tests/data/failing" --out "$work/failing" >"$work/failing.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || { tail -20 "$work/failing.log"; fail "suite tests/data/failing exited $rc, want 1"; }
"$bin" requirements --json >"$work/requirements.json" || fail "requirements --json"
esp=$work/suite/ipsec/esp-aes-gcm-128
"$bin" verify --json "$esp/trace.pcap" --keys "$esp/esp_sa" >"$work/verify.json" ||
	fail "verify --json on the suite's own trace"

nscen=$(find "$src/scenarios" "$src/tests/data/failing" -name '*.yaml' | wc -l)
mapfile -d '' files < <(find "$work/suite" "$work/failing" \( -name results.json -o -name summary.json \) -print0 | sort -z)
# One results.json per scenario and a summary per suite: nothing was skipped unseen.
[ "${#files[@]}" = $((nscen + 2)) ] || fail "${#files[@]} JSON files for $nscen scenarios, want $((nscen + 2))"
check_json "${files[@]}" "$work/requirements.json" "$work/verify.json" || fail "JSON refused (above)"

# A scenario path with a byte that is not UTF-8: Latin-1 e-acute.
mkdir -p "$work/latin1"
scen=$work/latin1/scen$'\xe9'rio.yaml
cp "$src/scenarios/smoke.yaml" "$scen"
"$bin" suite "$work/latin1" --out "$work/l1" >"$work/l1.log" 2>&1 || { cat "$work/l1.log"; fail "suite of latin1/"; }
res=$work/l1/scen$'\xe9'rio/results.json
check_json "$res" "$work/l1/summary.json" || fail "JSON refused for a path that is not UTF-8"
"$py" - "$scen" "$res" "$work/l1/summary.json" "$work/l1/junit.xml" <<'PY' || fail "the path is not written by the rule"
import json, os, sys
import xml.etree.ElementTree as ET
scen, res, summary, junit = sys.argv[1:]
want = os.fsencode(scen).decode("utf-8", "replace")
assert "\ufffd" in want and "\xe9" not in want, want
r = json.load(open(res, encoding="utf-8"))
assert r["scenario"] == want, (r["scenario"], want)
assert want in r["replay"], r["replay"]
s = json.load(open(summary, encoding="utf-8"))
assert s["scenarios"][0]["scenario"] == want, s["scenarios"][0]
root = ET.parse(junit).getroot()
assert root.find("testsuite").get("name") == want, root.find("testsuite").get("name")
PY
echo "json_keys: ${#files[@]} results/summary files and 2 --json outputs, no key twice; a Latin-1 path written as U+FFFD"
