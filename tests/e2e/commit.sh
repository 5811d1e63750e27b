#!/usr/bin/env bash
# The commit profiles on a lost SA_CONFIRM (docs/internals/fsm.md, profiles):
# - robust (the scenario's default) passes: the server repeats SA_ACK and
#   both ends finish on the new SA;
# - `--profile strict` on the same scenario shows the desynchronisation as a
#   failed requirement, not a crash: exit 1, the in_sync verdict fails with
#   the NIC on one SPI and the server on another;
# - the printed replay command reproduces the same failure and trace.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
work_dir commit
scn=$src/scenarios/commit/lost-confirm.yaml

"$bin" run "$scn" --out "$work/robust" >"$work/robust.log" || { cat "$work/robust.log"; fail "robust does not pass"; }
rc=0
"$bin" run "$scn" --profile strict --out "$work/strict" >"$work/strict.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat "$work/strict.log"; fail "strict: exit $rc, want 1 (a failed verdict)"; }
line=$(grep -m1 -E 'FAIL .*hold the same SA' "$work/strict.log") || fail "strict: no failed in_sync verdict"
nic=$(sed -E 's/.*NIC active SPI ([0-9a-f]+).*/\1/' <<<"$line")
srv=$(sed -E 's/.* sends under ([0-9a-f]+).*/\1/' <<<"$line")
[ "$nic" != "$srv" ] && [ "$nic" != 00000000 ] && [ "$srv" != 00000000 ] ||
	fail "strict: expected two different live SPIs, got NIC $nic server $srv"
grep -q '"profile": "strict"' "$work/strict/results.json" || fail "strict: results.json lacks the profile"
replay=$(sed -n 's/^replay: //p' "$work/strict.log")
[[ $replay == *"--profile strict"* ]] || fail "replay command lacks the profile: $replay"
# shellcheck disable=SC2086
rc=0
replay=${replay/ --out $work\/strict/}
(cd "$src" && "$bin" ${replay#rmcpsec } --out "$work/again" >"$work/again.log" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "the replay did not fail the same way (exit $rc)"
cmp "$work/strict/trace.pcap" "$work/again/trace.pcap" || fail "the replay's trace differs"
# A fault given on the command line travels in the replay command too.
rc=0
"$bin" run "$src/scenarios/fig6/row2-refresh.yaml" --profile strict --out "$work/cli" \
	--fault '{do: drop, msg: sa_confirm, nth: 2}' >"$work/cli.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat "$work/cli.log"; fail "--fault run: exit $rc, want 1"; }
grep -q '"action": "drop"' "$work/cli/results.json" || fail "--fault: no drop in the fault log"
replay=$(sed -n 's/^replay: //p' "$work/cli.log")
[[ $replay == *"--fault '{do: drop, msg: sa_confirm, nth: 2}'"* ]] || fail "replay lacks the fault: $replay"
replay=${replay/--out $work\/cli/--out $work\/cli2}
rc=0
(cd "$src" && eval "\"$bin\" ${replay#rmcpsec }" >"$work/cli2.log" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || { cat "$work/cli2.log"; fail "the --fault replay did not fail (exit $rc)"; }
cmp "$work/cli/trace.pcap" "$work/cli2/trace.pcap" || fail "the --fault replay's trace differs"
echo "commit: robust passes; strict desynchronises (NIC $nic, server $srv), exit 1, replay identical"
