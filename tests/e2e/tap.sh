#!/usr/bin/env bash
# --net tap (docs/testing/tap.md): real frames between the nodes, each on a TAP device in
# a network namespace of its own, in real time.
# - `rmcpsec suite` over Fig. 6 (rows 2-9 and the long transitions), every adversarial
#   scenario (the harness's own frames and lying IKE peers, fed into the forwarder) and a
#   subset of the commit, fault, IPsec and generated scenarios passes in tap mode;
# - every scenario gives the same verdict per expectation as in virtual time, and every
#   fault rule acted as often (drop, duplicate, delay, corrupt, node faults);
# - a failing run fails the same way in both modes (strict profile, lost SA_CONFIRM);
# - nothing is left behind: no namespace or TAP device a run named in its results.json,
#   no process; an interrupted run (SIGINT) removes its namespaces too and says so.
# Needs root (CI runs as root). Usage (ctest): bash tap.sh RMCPSEC_BINARY SOURCE_DIR
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
need_root "--net tap needs root (network namespaces and TAP devices)"
# A run killed outright cannot clean up: whatever it named in its results.json goes here.
remove_named_netns() {
	local f
	for f in "$work"/*/*/results.json "$work"/*/*/*/results.json; do
		[ -f "$f" ] || continue
		# shellcheck disable=SC2046 # one namespace name per line, no spaces
		netns_del $(results_netns "$f")
	done
}
work_dir tap remove_named_netns

suite=$work/suite
mkdir -p "$suite/fig6" "$suite/more" "$suite/adversary"
cp "$src"/scenarios/fig6/*.yaml "$suite/fig6/"
cp "$src"/scenarios/adversary/*.yaml "$suite/adversary/"
for f in commit/duplicate-command commit/lost-ack-strict commit/lost-confirm commit/torn-stage \
	faults/esp_reset_corrupted faults/lossy_link faults/node-faults faults/pong_lost \
	ipsec/esp-aes-gcm-128 ipsec/ah-esp \
	generated/gen-row2-drop-sa-ack generated/gen-row2-duplicate-sa-ack \
	generated/gen-row2-delay-sa-ack generated/gen-row2-corrupt-sa-ack \
	generated/gen-row2-drop-ike-auth generated/gen-row2-delay-system-state-response \
	generated/gen-row3-duplicate-reset; do
	cp "$src/scenarios/$f.yaml" "$suite/more/" || fail "missing scenario $f"
done
total=$(find "$suite" -name '*.yaml' | wc -l)

"$bin" suite "$suite" --out "$work/virtual" >"$work/virtual.log" 2>&1 ||
	{ cat "$work/virtual.log"; fail "the subset does not pass in virtual time"; }
start=$(date +%s)
"$bin" suite "$suite" --net tap --out "$work/tap" >"$work/tap.log" 2>&1 ||
	{ cat "$work/tap.log"; fail "the subset does not pass with --net tap"; }
echo "tap mode: $total scenarios passed in $(($(date +%s) - start)) s of real time"
grep -q "$total scenarios: $total passed, 0 failed" "$work/tap.log" ||
	{ cat "$work/tap.log"; fail "not every scenario ran and passed in tap mode"; }

# Same verdicts, same faults, really in tap mode, and nothing left behind.
"$py" - "$work/virtual" "$work/tap" <<'EOF' || fail "virtual and tap runs differ"
import json, os, subprocess, sys
virt, tap = sys.argv[1], sys.argv[2]
netns = set(subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split())
links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
bad, n, faults = 0, 0, 0
for root, _, files in os.walk(virt):
    if "results.json" not in files:
        continue
    rel = os.path.relpath(root, virt)
    v = json.load(open(os.path.join(root, "results.json")))
    t = json.load(open(os.path.join(tap, rel, "results.json")))
    n += 1
    if t["net"]["mode"] != "tap" or v["net"]["mode"] != "virtual":
        print(f"{rel}: modes {v['net']['mode']} / {t['net']['mode']}"); bad += 1
    ev = [(e["line"], e["verdict"]) for e in v["expectations"]]
    et = [(e["line"], e["verdict"]) for e in t["expectations"]]
    if ev != et:
        print(f"{rel}: verdicts differ: virtual {ev} tap {et}"); bad += 1
    av = [(r["rule"], r["action"], r["applied"]) for r in v["fault_rules"]]
    at = [(r["rule"], r["action"], r["applied"]) for r in t["fault_rules"]]
    if av != at:
        print(f"{rel}: faults applied differ: virtual {av} tap {at}"); bad += 1
    faults += sum(a for _, _, a in at)
    if t["net"]["node_tx_errors"]:
        print(f"{rel}: {t['net']}"); bad += 1
    for l in t["net"]["links"]:
        if l["netns"] in netns:
            print(f"{rel}: namespace {l['netns']} left behind"); bad += 1
        if f" {l['tap']}:" in links or f" {l['tap']}@" in links:
            print(f"{rel}: TAP {l['tap']} left behind"); bad += 1
print(f"{n} scenarios compared, {faults} faults applied in tap mode")
sys.exit(1 if bad or n == 0 or faults == 0 else 0)
EOF
! process_alive "$work" || fail "a process of the runs is still there"

# A failure is the same failure in both modes.
for mode in virtual tap; do
	"$bin" run "$src/scenarios/commit/lost-confirm.yaml" --profile strict --net "$mode" \
		--out "$work/strict-$mode" >"$work/strict-$mode.log" 2>&1
	rc=$?
	[ "$rc" = 1 ] || { cat "$work/strict-$mode.log"; fail "strict lost-confirm ($mode): exit $rc, want 1"; }
	grep "^  FAIL" "$work/strict-$mode.log" | sed 's/ — .*//' >"$work/strict-$mode.fails"
done
if ! [ -s "$work/strict-tap.fails" ] || ! cmp -s "$work/strict-virtual.fails" "$work/strict-tap.fails"; then
	diff "$work/strict-virtual.fails" "$work/strict-tap.fails"
	fail "strict lost-confirm fails differently in tap mode"
fi
grep -q -- "--net tap" "$work/strict-tap.log" || fail "the replay command does not say --net tap"

# Interrupted: the run removes what it made and says why.
"$bin" run "$src/scenarios/fig6/row2-refresh.yaml" --net tap --out "$work/int" \
	>"$work/int.log" 2>&1 &
pid=$!
for _ in $(seq 200); do
	[ "$(ip netns list | grep -c "^rms-$pid-")" -ge 2 ] && break
	sleep 0.05
done
[ "$(ip netns list | grep -c "^rms-$pid-")" -ge 2 ] || fail "the interrupted run never made its namespaces"
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 2 ] || { cat "$work/int.log"; fail "interrupted run: exit $rc, want 2"; }
grep -q "interrupted by signal" "$work/int.log" || fail "interrupted run does not say so"
! ip netns list | grep -q "^rms-$pid-" || fail "the interrupted run left its namespaces"
echo "tap: verdicts as in virtual time, nothing left behind"
