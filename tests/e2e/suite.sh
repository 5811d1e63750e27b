#!/usr/bin/env bash
# rmcpsec suite as a CI sees it: junit.xml parses and maps
# scenario x requirement, a failure carries what was observed and a replay
# command, that command reproduces a byte-identical trace and the same
# failure, summary.json aggregates per requirement, progress only on a TTY.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
work_dir suite

"$bin" requirements --json >"$work/reqs.json" || fail "requirements --json"
"$bin" requirements >/dev/null || fail "requirements"
if "$bin" requirements --bogus >/dev/null 2>&1; then fail "requirements --bogus must fail"; fi

set +e
"$bin" suite "$src/tests/data/failing" --out "$work/s" >"$work/out" 2>"$work/err"
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$work/out" "$work/err"; fail "suite with failures exits $rc, want 1"; }
[ ! -s "$work/err" ] || { cat "$work/err"; fail "stderr not a TTY, yet something was printed there"; }
grep -Eq '^REQ-MGMT-EXECUTED +FAIL ' "$work/out" || fail "requirement table lacks REQ-MGMT-EXECUTED FAIL"
grep -Eq '^REQ-F6-R7-FAILOVER +N/A ' "$work/out" || fail "requirement table lacks the N/A"
grep -Eq '^REQ-F3-IKE-ON-OS-UP +NOT-TESTED ' "$work/out" || fail "requirement table lacks NOT-TESTED"

"$py" - "$work/s/junit.xml" "$work/reqs.json" "$work/s/summary.json" "$work/s/req_failure/results.json" <<'PY' || fail "junit.xml / summary.json / results.json"
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ids = {r["id"] for r in json.load(open(sys.argv[2]))}
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
assert len(suites) == 2, [s.get("name") for s in suites]
total = fails = skips = 0
for s in suites:
    cases = s.findall("testcase")
    assert int(s.get("tests")) == len(cases) > 0, s.get("name")
    assert int(s.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
    assert int(s.get("skipped")) == sum(1 for c in cases if c.find("skipped") is not None)
    total += len(cases); fails += int(s.get("failures")); skips += int(s.get("skipped"))
    for c in cases:
        assert c.get("name") in ids or c.get("name") == "untagged-expectations", c.get("name")
assert (int(root.get("tests")), int(root.get("failures")), int(root.get("skipped"))) == (total, fails, skips)
rf = next(s for s in suites if s.get("name").endswith("req_failure.yaml"))
cases = {c.get("name"): c for c in rf.findall("testcase")}
assert all(c.get("classname") == "req-failure" for c in cases.values())
f = cases["REQ-MGMT-EXECUTED"].find("failure")
assert f is not None and "executed power_down" in f.get("message"), f
assert "executed 0 time(s)" in f.text and "replay: rmcpsec run " in f.text, f.text
assert cases["REQ-F6-R7-FAILOVER"].find("skipped") is not None
assert cases["REQ-F6-R4-STORED-SA"].find("failure") is None
assert cases["REQ-TRACE-VERIFIES"].find("failure") is None
assert "REQ-F3-IKE-ON-OS-UP" not in cases, "NOT-TESTED must not be a testcase"
we = next(s for s in suites if s.get("name").endswith("wrong_expectation.yaml"))
assert we.find("testcase[@name='untagged-expectations']/failure") is not None

summ = json.load(open(sys.argv[3]))
assert summ["schema"] == "rmcpsec-summary/1" and summ["verdict"] == "FAIL"
reqs = {r["id"]: r for r in summ["requirements"]}
assert set(reqs) == ids, set(reqs) ^ ids
assert reqs["REQ-MGMT-EXECUTED"]["verdict"] == "FAIL"
assert reqs["REQ-F6-R7-FAILOVER"]["verdict"] == "N/A"
assert reqs["REQ-F3-IKE-ON-OS-UP"]["verdict"] == "NOT-TESTED" and not reqs["REQ-F3-IKE-ON-OS-UP"]["scenarios"]
assert reqs["REQ-TRACE-VERIFIES"]["passed"] == 2
assert any(s["scenario"].endswith("req_failure.yaml") and s["verdict"] == "FAIL"
           for s in reqs["REQ-MGMT-EXECUTED"]["scenarios"])

res = json.load(open(sys.argv[4]))
rr = {r["id"]: r for r in res["requirements"]}
assert rr["REQ-MGMT-EXECUTED"]["verdict"] == "FAIL" and rr["REQ-MGMT-EXECUTED"]["checks"] == [24, 27]
assert rr["REQ-F6-R4-STORED-SA"]["checks"] == [20, 24]
assert rr["REQ-F6-R7-FAILOVER"]["verdict"] == "N/A" and rr["REQ-F6-R7-FAILOVER"]["observed"] == "one server only"
assert all(r["verdict"] != "NOT-TESTED" for r in res["requirements"])
PY

# The printed replay command, run as printed, reproduces the trace byte for byte and the failure.
replay=$(grep -E '^  replay: rmcpsec run .*req_failure\.yaml' "$work/out" | sed 's/^  replay: rmcpsec //')
[ -n "$replay" ] || fail "no replay command for req_failure"
case "$replay" in *"--seed 5 --out $work/s/req_failure"*) ;; *) fail "replay lacks seed or out: $replay" ;; esac
want=$(grep -E '^  FAIL REQ-MGMT-EXECUTED: ' "$work/out" | sed 's/^  //')
mv "$work/s/req_failure" "$work/first"
set +e
eval "\"\$bin\" $replay" >"$work/replay.out" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$work/replay.out"; fail "replay exits $rc, want 1"; }
cmp "$work/first/trace.pcap" "$work/s/req_failure/trace.pcap" || fail "replayed trace differs"
cmp "$work/first/results.json" "$work/s/req_failure/results.json" || fail "replayed results differ"
grep -qxF "$want" "$work/replay.out" || { cat "$work/replay.out"; fail "replay does not show '$want'"; }

# A tag naming no requirement stops the suite before anything runs.
mkdir -p "$work/badreq"
sed 's/req: REQ-MGMT-EXECUTED$/req: REQ-MGMT-EXECUTD/' "$src/tests/data/failing/req_failure.yaml" >"$work/badreq/x.yaml"
set +e
"$bin" suite "$work/badreq" --out "$work/s3" >/dev/null 2>"$work/err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "unknown requirement must exit 2, got $rc"
grep -Eq "x.yaml:[0-9]+: field 'req': unknown requirement 'REQ-MGMT-EXECUTD'" "$work/err" || { cat "$work/err"; fail "error text"; }

# --req: only the scenarios that judge a requirement (an expectation names it; every one
# judges REQ-TRACE-VERIFIES); the summary covers the selection.
sel() { "$py" -c 'import json,sys; print(" ".join(sorted(s["scenario"].rsplit("/",1)[1] for s in json.load(open(sys.argv[1]))["scenarios"])))' "$1"; }
rc=$(code "$bin" suite "$src/tests/data/failing" --req REQ-MGMT-EXECUTED --out "$work/r1")
[ "$rc" = 1 ] || fail "--req REQ-MGMT-EXECUTED exits $rc, want 1 (req_failure fails)"
[ "$(sel "$work/r1/summary.json")" = "req_failure.yaml" ] || fail "--req REQ-MGMT-EXECUTED ran: $(sel "$work/r1/summary.json")"
rc=$(code "$bin" suite "$src/tests/data/failing" --req REQ-F6-R4-STORED-SA --req REQ-TRACE-VERIFIES --out "$work/r2")
[ "$(sel "$work/r2/summary.json")" = "req_failure.yaml wrong_expectation.yaml" ] || fail "--req REQ-TRACE-VERIFIES must run every scenario"
rc=$(code "$bin" suite "$src/tests/data/failing" --req REQ-NIC-REPLAY --out "$work/r3")
if [ "$rc" != 2 ] || ! grep -q "no scenario under .* judges REQ-NIC-REPLAY" "$work/err"; then fail "an empty selection must exit 2 saying so (got $rc)"; fi
[ ! -e "$work/r3" ] || fail "an empty selection wrote outputs"
rc=$(code "$bin" suite "$src/tests/data/failing" --req REQ-NO-SUCH)
if [ "$rc" != 2 ] || ! grep -q "unknown requirement 'REQ-NO-SUCH'" "$work/err"; then fail "--req with an unknown id must exit 2 (got $rc)"; fi
rc=$(code "$bin" run "$src/tests/data/failing/req_failure.yaml" --req REQ-MGMT-EXECUTED)
[ "$rc" = 2 ] || fail "run --req must be refused (got $rc)"

# --jobs: the same outputs from processes of their own, rows in name order.
rc=$(code "$bin" suite "$src/tests/data/failing" --jobs 2 --out "$work/j")
[ "$rc" = 1 ] || fail "suite --jobs 2 exits $rc, want 1"
for f in req_failure/results.json req_failure/trace.pcap wrong_expectation/results.json; do
	cmp "$work/s/$f" "$work/j/$f" || fail "--jobs 2 wrote another $f"
done
diff <(sed "s#$work/s/#OUT/#g" "$work/s/summary.json") <(sed "s#$work/j/#OUT/#g" "$work/j/summary.json") ||
	fail "--jobs 2 wrote another summary.json"

# On a terminal: one status line on stderr, rewritten per scenario.
if command -v script >/dev/null; then
	script -qec "'$bin' suite '$src/tests/data/failing' --out '$work/tty' >/dev/null" /dev/null >"$work/tty.log" || true
	grep -q '\[2/2\] .*wrong_expectation.yaml FAIL' "$work/tty.log" || { cat -v "$work/tty.log"; fail "no progress line on a TTY"; }
fi
echo "suite e2e: ok"
