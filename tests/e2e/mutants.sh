#!/usr/bin/env bash
# Mutation testing of the conformance suite (docs/testing/mutants.md). The reference
# nodes pass every scenario under scenarios/; then each mutant of `rmcpsec mutants` (one
# or a few requirements broken on purpose) runs over the scenarios that judge its
# requirements (`rmcpsec suite --req R ... --mutant M`), and is caught when one of them
# fails with the verdict of one of those requirements FAIL (results.json). Prints
# `requirement | mutants | catching scenarios` and `mutants caught: N/M`; fails on a
# surviving mutant and on a requirement that no mutant breaks, naming them.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
work_dir mutants

# Requirements no mutant can break, each with its reason (space-separated ids). Keep this
# list short — today it is empty: a requirement without a mutant is one the suite is not
# shown to judge. A requirement the reference nodes do not meet yet belongs here, since
# there is no conforming behaviour for a mutant to break; the catalogue says which
# (req_unmet in sim/req.c; `rmcpsec requirements`), and this test fails when the two
# lists differ.
no_mutant=""

# The suite's own processes, as many as there are CPUs (a few at most).
jobs=$(nproc 2>/dev/null || echo 1)
[ "$jobs" -le 8 ] || jobs=8

"$bin" mutants --json >"$work/mutants.json" || fail "rmcpsec mutants --json"
"$bin" requirements --json >"$work/reqs.json" || fail "rmcpsec requirements --json"
unmet=$("$py" -c 'import json,sys; print(" ".join(sorted(r["id"] for r in json.load(open(sys.argv[1])) if "unmet" in r)))' "$work/reqs.json")
[ "$unmet" = "$(tr ' ' '\n' <<<"$no_mutant" | sort | xargs)" ] ||
	fail "the exceptions here ($no_mutant) are not what the catalogue says the reference does not meet ($unmet)"

cd "$src" # scenario paths in the outputs as `rmcpsec suite scenarios` writes them
"$bin" suite scenarios --out "$work/ref" --jobs "$jobs" >"$work/ref.log" 2>&1 ||
	{ tail -30 "$work/ref.log"; fail "the reference nodes do not pass the suite"; }

# name<TAB>--req R --req R ... per mutant
"$py" - "$work/mutants.json" >"$work/plan" <<'PY'
import json, sys
for m in json.load(open(sys.argv[1])):
    print(m["name"] + "\t" + " ".join("--req " + r for r in m["requirements"]))
PY
while IFS=$'\t' read -r m reqs; do
	rc=0
	# shellcheck disable=SC2086 # reqs is a list of options
	"$bin" suite scenarios $reqs --mutant "$m" --jobs "$jobs" --out "$work/m/$m" \
		>"$work/$m.log" 2>&1 || rc=$?
	case $rc in
	0 | 1) ;;
	2) grep -q "no scenario under .* judges" "$work/$m.log" ||
		{ tail -5 "$work/$m.log"; fail "$m: the suite could not run (exit 2)"; } ;;
	*) tail -5 "$work/$m.log"; fail "$m: the suite could not run (exit $rc)" ;;
	esac
done <"$work/plan"

"$py" - "$work" "$no_mutant" <<'PY'
import json, os, sys
work, exceptions = sys.argv[1], set(sys.argv[2].split())
mutants = json.load(open(os.path.join(work, "mutants.json")))
reqs = [r["id"] for r in json.load(open(os.path.join(work, "reqs.json")))]

def catches(m):
    """(requirement, scenario) pairs where a run of m failed one of m's requirements."""
    out = []
    summary = os.path.join(work, "m", m["name"], "summary.json")
    if not os.path.exists(summary):
        return out, None  # no scenario judges its requirements
    others = set()
    for s in json.load(open(summary))["scenarios"]:
        if s["verdict"] != "FAIL":
            continue
        res = json.load(open(os.path.join(s["results"], "results.json")))
        for r in res["requirements"]:
            if r["verdict"] != "FAIL":
                continue
            if r["id"] in m["requirements"]:
                out.append((r["id"], s["scenario"]))
            else:
                others.add(r["id"])
        if res.get("untagged", {}).get("verdict") == "FAIL":
            others.add("(an untagged expectation)")
    return out, others

caught, survivors, by_req = 0, [], {r: ([], []) for r in reqs}
for m in mutants:
    pairs, others = catches(m)
    for r in m["requirements"]:
        by_req[r][0].append(m["name"])
    for r, s in pairs:
        if s not in by_req[r][1]:
            by_req[r][1].append(s)
    if pairs:
        caught += 1
    elif others is None:
        survivors.append(f"{m['name']} ({', '.join(m['requirements'])}): no scenario judges its requirements")
    else:
        why = f"; it fails only {', '.join(sorted(others))}" if others else ""
        survivors.append(f"{m['name']} ({', '.join(m['requirements'])}): no scenario fails them{why}")

def short(names):
    names = [n.replace("scenarios/", "", 1) for n in names]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")

w = max(len(r) for r in reqs)
print(f"{'requirement':<{w}} | mutants | catching scenarios")
unbroken, stale = [], []
for r in reqs:
    ms, scs = by_req[r]
    if not ms:
        note = "none: " + ("exception (see tests/e2e/mutants.sh)" if r in exceptions else "NO MUTANT")
        (unbroken if r not in exceptions else []).append(r)
        print(f"{r:<{w}} | {note} |")
        continue
    if r in exceptions:
        stale.append(r)
    print(f"{r:<{w}} | {', '.join(ms)} | {short(scs) if scs else '-'}")
print(f"\nmutants caught: {caught}/{len(mutants)}")
bad = False
for s in survivors:
    print(f"SURVIVED {s}")
    bad = True
for r in unbroken:
    print(f"NO MUTANT breaks {r}")
    bad = True
for r in stale:
    print(f"{r} has a mutant now: remove it from the exceptions of tests/e2e/mutants.sh")
    bad = True
sys.exit(1 if bad else 0)
PY
