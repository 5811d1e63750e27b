#!/usr/bin/env bash
# Coverage of the requirement catalogue (docs/users/requirements.md, "Coverage"):
# `rmcpsec requirements --coverage scenarios` must pass — every expectation names a
# requirement, every requirement is judged by two scenarios or more, one of them
# negatively, and broken by a mutant. Then a planted directory shows the check bites:
# an untagged expectation, a requirement judged once and one judged by no negative
# expectation must each be named, and what is covered must not be.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
work_dir coverage

# The planted directory first: it proves the command can fail before we trust its pass.
p=$work/planted
mkdir -p "$p"
head_of() { # head_of NAME: a scenario up to its expect:, c1 reset at 1 s
	cat <<YAML
name: $1
seed: 1
duration: 3s
servers:
  - name: srv1
clients:
  - name: c1
    boot_time: 30s
  - name: c2
timeline:
  - {at: 1s, do: reset, server: srv1, client: c1}
YAML
}
{
	head_of a
	cat <<'YAML'
expect:
  - {client: c1, executed: reset, req: REQ-MGMT-EXECUTED}
  - {client: c1, power: pre_boot, req: REQ-F6-R4-STORED-SA}
  - {not_seen: {to: c2, msg: reset}, req: REQ-MGMT-EXECUTED}
  - seen:
      - {from: srv1, to: c1, msg: reset}
YAML
} >"$p/a.yaml"
{
	head_of b
	cat <<'YAML'
expect:
  - {client: c1, executed: reset, req: [REQ-MGMT-EXECUTED, REQ-F6-R4-STORED-SA]}
  - {client: c1, executed: reset, times: 1, req: REQ-NIC-REPLAY}
YAML
} >"$p/b.yaml"
# c and d: the same positive expectation; c drops a frame, so its expectation is negative.
{
	head_of c
	cat <<'YAML'
faults:
  - {do: drop, msg: rmcp_ack, nth: 1}
expect:
  - {client: c1, executed: reset, req: REQ-F6-R5-STORED-SA}
YAML
} >"$p/c.yaml"
{
	head_of d
	cat <<'YAML'
expect:
  - {client: c1, executed: reset, req: REQ-F6-R5-STORED-SA}
YAML
} >"$p/d.yaml"
untagged_line=$(grep -n '^  - seen:' "$p/a.yaml" | cut -d: -f1)

rc=$(code "$bin" requirements --coverage "$p")
out=$work/out
[ "$rc" = 1 ] || { cat "$out" "$work/err"; fail "coverage of the planted directory exits $rc, want 1"; }
gaps=$(sed -n '/^gaps:/,/^$/p' "$out")
req_row() { grep -E "^$1 " "$out" || fail "no row for $1"; }
# the untagged expectation, by file and line
grep -qxF "  $p/a.yaml:$untagged_line: seen" "$out" || { cat "$out"; fail "the untagged expectation of a.yaml:$untagged_line is not named"; }
[ "$(grep -c ": seen$\|: executed$\|: power$\|: not_seen$" "$out")" = 1 ] || fail "a tagged expectation is listed as untagged"
# a requirement judged once; one judged twice, never negatively
grep -qxF "  REQ-NIC-REPLAY: judged by 1 scenario(s), fewer than 2" <<<"$gaps" || { cat "$out"; fail "REQ-NIC-REPLAY, judged once, is not named"; }
grep -qxF "  REQ-F6-R4-STORED-SA: no negative scenario" <<<"$gaps" || { cat "$out"; fail "REQ-F6-R4-STORED-SA, judged by no negative expectation, is not named"; }
# and what is covered is not: two scenarios, one negative (not_seen; faults), a mutant
for covered in REQ-MGMT-EXECUTED REQ-F6-R5-STORED-SA REQ-TRACE-VERIFIES; do
	if grep -q "^  $covered:" <<<"$gaps"; then cat "$out"; fail "$covered is covered, yet named a gap"; fi
done
if grep -q "^  REQ-NIC-REPLAY: no negative" <<<"$gaps"; then fail "times: 1 is negative"; fi
if grep -q "^  REQ-F6-R4-STORED-SA: judged by" <<<"$gaps"; then fail "REQ-F6-R4-STORED-SA is judged by two"; fi
[[ "$(req_row REQ-MGMT-EXECUTED)" =~ ^REQ-MGMT-EXECUTED\ +2\ +1\ +exec-via-host$ ]] || fail "row: $(req_row REQ-MGMT-EXECUTED)"
[[ "$(req_row REQ-F6-R5-STORED-SA)" =~ \ 2\ +1\ +sa-lost-on-suspend$ ]] || fail "faults make c.yaml negative: $(req_row REQ-F6-R5-STORED-SA)"
[[ "$(req_row REQ-TRACE-VERIFIES)" =~ \ 4\ +1\ +gcm-iv-restart$ ]] || fail "every scenario judges REQ-TRACE-VERIFIES: $(req_row REQ-TRACE-VERIFIES)"
# a requirement nothing judges is named for all three, REQ-NIC-REPLAY-POWER-LOSS (once
# listed apart as not met by the reference) like any other; none is listed apart now
for unjudged in REQ-IKE-KE REQ-NIC-REPLAY-POWER-LOSS; do
	grep -qxF "  $unjudged: judged by 0 scenario(s), fewer than 2" <<<"$gaps" || fail "$unjudged unjudged, not named"
	grep -qxF "  $unjudged: no negative scenario" <<<"$gaps" || fail "$unjudged: no negative, not named"
done
if grep -q "^not met by the reference nodes yet" "$out"; then fail "a requirement is listed as not met: $(cat "$out")"; fi
grep -q "^coverage: 4 scenarios, [0-9]* requirements; 1 expectation(s) name no requirement" "$out" || fail "summary line: $(tail -1 "$out")"
echo "ok: the planted directory fails, naming each gap"

# A scenario that does not load stops it: exit 2, file and line.
printf 'name: x\nduration: 1s\nbogus: 1\n' >"$p/z.yaml"
rc=$(code "$bin" requirements --coverage "$p")
if [ "$rc" != 2 ] || ! grep -q "z.yaml:3: " "$work/err"; then fail "a bad scenario must exit 2 naming it (got $rc)"; fi

# The suite itself.
rc=$(code "$bin" requirements --coverage "$src/scenarios")
cp "$work/out" "$work/suite.txt"
sed -n '/^expectations that name no requirement:/,$p' "$work/suite.txt"
[ "$rc" = 0 ] || fail "scenarios/ does not cover the catalogue (exit $rc): the expectations and gaps above"
echo "coverage e2e: ok"
