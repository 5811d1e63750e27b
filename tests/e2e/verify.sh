#!/usr/bin/env bash
# rmcpsec verify on the committed traces of tests/data/verify/: the good
# one passes (exit 0), each bad one fails (exit 1) naming its finding id
# and frame, in text and in JSON; unreadable input exits 2; a suite run's
# trace verifies.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
work_dir verify
data=$src/tests/data/verify
# fail also shows the output of the last command run by code.
fail() {
	echo "FAIL: $*" >&2
	cat "$work/out" "$work/err" >&2 2>/dev/null || true
	exit 1
}
keys() { echo --keys "$data/$1/esp_sa" --keys "$data/$1/ah_sa"; }

# shellcheck disable=SC2046
[ "$(code "$bin" verify "$data/good/trace.pcap" $(keys good))" = 0 ] || fail "good trace must pass"
grep -q '^PASS: .* 18 frames (13 ESP, 2 AH, 14 opened, 2 clear RMCP, 4 commit' "$work/out" || fail "good summary"

# case  finding-id  frame
while read -r name id frame; do
	# shellcheck disable=SC2046
	[ "$(code "$bin" verify "$data/$name/trace.pcap" $(keys "$name"))" = 1 ] || fail "$name must exit 1"
	grep -q "^frame $frame: $id: " "$work/out" || fail "$name: no 'frame $frame: $id'"
	[ "$(grep -c '^frame ' "$work/out")" = 1 ] || fail "$name: more than one finding"
	grep -q '^FAIL: .*, 1 findings$' "$work/out" || fail "$name: summary"
	# shellcheck disable=SC2046
	[ "$(code "$bin" verify --json "$data/$name/trace.pcap" $(keys "$name"))" = 1 ] || fail "$name --json must exit 1"
	"$py" - "$work/out" "$id" "$frame" <<'PY' || fail "$name: JSON"
import json, sys
doc = json.load(open(sys.argv[1]))
f = doc["findings"]
assert len(f) == 1 and f[0]["id"] == sys.argv[2] and f[0]["frame"] == int(sys.argv[3]), f
assert doc["verdict"] == "FAIL" and doc["by_id"] == {sys.argv[2]: 1}, doc
PY
done <<'CASES'
clear_664 V-CLEAR-664 19
unknown_spi V-ESP-UNKNOWN-SPI 19
icv V-ICV 21
seq_reuse V-SEQ-REUSE 19
nonce_reuse V-NONCE-REUSE 19
dup V-DUP 21
clear_port V-CLEAR-PORT 19
clear_msg V-CLEAR-MSG 19
commit_order V-COMMIT-ORDER 19
malformed V-MALFORMED 21
CASES

# Without --keys, esp_sa and ah_sa beside the trace are read; without any keys every ESP and AH packet is unknown.
[ "$(code "$bin" verify "$data/icv/trace.pcap")" = 1 ] || fail "keys beside the trace"
grep -q '^frame 21: V-ICV: ' "$work/out" || fail "keys beside the trace: ICV"
cp "$data/good/trace.pcap" "$work/alone.pcap"
[ "$(code "$bin" verify "$work/alone.pcap")" = 1 ] || fail "no keys must fail"
grep -q ': V-ESP-UNKNOWN-SPI: ' "$work/out" || fail "no keys: unknown SPI"
grep -q ': V-AH-UNKNOWN-SPI: ' "$work/out" || fail "no keys: unknown AH SPI"

# A policy file: the injected duplicate is allowed; a policy forbidding clear RMCP fails the good trace.
printf '# the fault injector copied frame 21\nallow_dup = 21\n' >"$work/dup.policy"
# shellcheck disable=SC2046
[ "$(code "$bin" verify "$data/dup/trace.pcap" $(keys dup) --policy "$work/dup.policy")" = 0 ] || fail "allowed duplicate"
grep -q '1 allowed duplicates' "$work/out" || fail "allowed duplicate counted"
printf 'clear = no\n' >"$work/noclear.policy"
# shellcheck disable=SC2046
[ "$(code "$bin" verify "$data/good/trace.pcap" $(keys good) --policy "$work/noclear.policy")" = 1 ] || fail "clear forbidden"
[ "$(grep -c ': V-CLEAR-STATE: ' "$work/out")" = 2 ] || fail "clear forbidden: two findings"

# Input errors exit 2.
[ "$(code "$bin" verify)" = 2 ] || fail "no trace"
[ "$(code "$bin" verify /nonexistent.pcap)" = 2 ] || fail "missing trace"
[ "$(code "$bin" verify "$data/good/trace.pcap" --keys /nonexistent)" = 2 ] || fail "missing keys"
printf 'not a key line\n' >"$work/badkeys"
[ "$(code "$bin" verify "$data/good/trace.pcap" --keys "$work/badkeys")" = 2 ] || fail "bad keys"
grep -q 'line 1' "$work/err" || fail "bad keys: line number"
printf 'colour = blue\n' >"$work/bad.policy"
[ "$(code "$bin" verify "$data/good/trace.pcap" --policy "$work/bad.policy")" = 2 ] || fail "bad policy"
[ "$(code "$bin" verify "$data/good/trace.pcap" --frobnicate)" = 2 ] || fail "unknown option"
size=$(stat -c %s "$data/good/trace.pcap")
head -c $((size - 7)) "$data/good/trace.pcap" >"$work/cut.pcap"
# shellcheck disable=SC2046
[ "$(code "$bin" verify "$work/cut.pcap" $(keys good))" = 2 ] || fail "truncated trace must exit 2"
grep -q 'frame 18:' "$work/err" || fail "truncated trace: frame number"
# A savefile header with link type 101 (raw IP): refused, not misread.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x65\x00\x00\x00' >"$work/raw.pcap"
[ "$(code "$bin" verify "$work/raw.pcap")" = 2 ] || fail "wrong link type must exit 2"
grep -q 'DLT_EN10MB' "$work/err" || fail "wrong link type: message"

# A second opinion: tshark, with the same esp_sa, finds every ESP ICV of the good trace good
# and the same one bad ICV (frame 21) in icv/.
ws() { # case filter
	ws_profile "$work/ws-$1" "$data/$1/esp_sa"
	tshark_keys "$work/ws-$1" "$data/$1/trace.pcap" -Y "$2" -T fields -e frame.number | tr '\n' ' '
}
if command -v tshark >/dev/null; then
	[ "$(ws good esp.icv_good==1)" = "3 4 5 6 7 8 10 11 12 13 14 15 16 " ] || fail "tshark: good ICVs of the good trace"
	[ -z "$(ws good esp.icv_bad==1)" ] || fail "tshark finds a bad ICV in the good trace"
	[ "$(ws icv esp.icv_bad==1)" = "21 " ] || fail "tshark: bad ICVs of icv/, want frame 21"
fi

# What a run writes verifies (the smoke scenario has clear RMCP only).
"$bin" run "$src/scenarios/smoke.yaml" --out "$work/run" >/dev/null
[ "$(code "$bin" verify "$work/run/trace.pcap")" = 0 ] || fail "smoke trace must verify"
# --policy SCENARIO: the scenario's own policy passes its trace; a secure-only NIC's policy
# turns the smoke run's clear System State exchange into findings.
[ "$(code "$bin" verify "$work/run/trace.pcap" --policy "$src/scenarios/smoke.yaml")" = 0 ] ||
	fail "smoke trace under its own scenario's policy"
[ "$(code "$bin" verify "$work/run/trace.pcap" --policy "$src/scenarios/ipsec/esp-aes-gcm-128.yaml")" = 1 ] ||
	fail "clear management under a secure-only policy must be a finding"
grep -q "V-CLEAR-MSG" "$work/out" || fail "expected V-CLEAR-MSG"
[ "$(code "$bin" verify "$work/run/trace.pcap" --policy "$src/tests/data/bad/unknown_field.yaml")" = 2 ] ||
	fail "a bad scenario as policy must exit 2"
# Clear windows from the run's node states (Fig. 6): a clear answer while NIC and
# server share an SA is a finding; the same clear traffic in row 8, where the server
# lost its context, is not.
rc=0
"$bin" run "$src/tests/data/clear/clear-outside-window.yaml" --out "$work/cw" >"$work/cw.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$work/cw.log"; fail "clear outside the windows: exit $rc, want 1"; }
grep -q "V-CLEAR-STATE: RMCP in the clear at .* outside every allowed window" "$work/cw.log" ||
	fail "expected V-CLEAR-STATE for the clear probe"
"$bin" run "$src/scenarios/fig6/row8-server-cold-boot.yaml" --out "$work/r8" >"$work/r8.log" ||
	{ cat "$work/r8.log"; fail "row 8's permitted clear traffic was flagged"; }
echo "verify e2e: ok"
