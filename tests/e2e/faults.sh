#!/usr/bin/env bash
# End to end: fault injection (docs/users/faults.md).
# (1) pong_lost: the dropped Presence Pong is in the trace (captured as c1
#     sent it), the console's retransmitted Ping and the second Pong follow,
#     and results.json logs the drop with its time, rule line and frame;
# (2) one seed, one fault schedule: a lossy run twice is byte-identical, and
#     another seed loses other frames;
# (3) a corrupted ESP packet is refused by the NIC (per-node trace shows what
#     c1 received) and the retransmission is executed;
# (4) bad fault rules exit 2 naming file:line and field.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
work_dir faults

"$bin" run "$src/scenarios/faults/pong_lost.yaml" --out "$work/pl" >"$work/pl.log" || { cat "$work/pl.log"; fail "pong_lost"; }
pongs=$(tshark -r "$work/pl/trace.pcap" -Y 'asf.type == 0x40' | wc -l)
pings=$(tshark -r "$work/pl/trace.pcap" -Y 'asf.type == 0x80' | wc -l)
[ "$pongs" -eq 2 ] || fail "want 2 Presence Pongs in the trace (the lost one and the answer to the resend), got $pongs"
[ "$pings" -eq 2 ] || fail "want the Ping and its retransmission, got $pings"
"$py" - "$work/pl/results.json" <<'PY' || fail "pong_lost: results.json faults"
import json, sys
r = json.load(open(sys.argv[1]))
f = r["faults"]
assert len(f) == 1, f
f = f[0]
assert f["action"] == "drop" and f["rule"] == 0 and f["rule_line"] == 16, f
assert f["from"] == "c1" and f["to"] == "srv1" and f["frame"] == 5, f
assert 100000000 < f["t_ns"] < 101000000, f
assert r["fault_rules"] == [{"rule": 0, "rule_line": 16, "action": "drop", "matched": 2, "applied": 1}], r["fault_rules"]
PY

for s in 3 3 4; do
	"$bin" run "$src/scenarios/faults/lossy_link.yaml" --seed $s --out "$work/lossy$s-${n:=0}" >/dev/null || fail "lossy seed $s"
	n=$((n + 1))
done
cmp "$work/lossy3-0/trace.pcap" "$work/lossy3-1/trace.pcap" || fail "one seed, two traces"
cmp "$work/lossy3-0/results.json" "$work/lossy3-1/results.json" || fail "one seed, two results"
! cmp -s "$work/lossy3-0/trace.pcap" "$work/lossy4-2/trace.pcap" || fail "another seed, the same losses"
# Frames dropped and duplicated on a link, as results.json logs them.
link_faults() {
	"$py" -c 'import json, sys
f = json.load(open(sys.argv[1]))["faults"]
print(sum(1 for e in f if e["action"] == sys.argv[2] and "frame" in e))' "$@"
}
drops=$(link_faults "$work/lossy3-0/results.json" drop)
dups=$(link_faults "$work/lossy3-0/results.json" duplicate)
[ "$drops" -gt 0 ] || fail "no drop logged"
[ "$dups" -gt 0 ] || fail "no duplicate logged"
echo "lossy_link seed 3: $drops drops, $dups duplicates"

"$bin" run "$src/scenarios/faults/esp_reset_corrupted.yaml" --pcap-per-node --out "$work/esp" >/dev/null || fail "esp_reset_corrupted"
grep -q '"ipsec_rejected": 1' "$work/esp/results.json" || fail "the NIC did not refuse the corrupted packet"
grep -q '"action": "corrupt"' "$work/esp/results.json" || fail "corruption not logged"
# The sender's capture is intact; c1's own trace holds the copy it received, one bit off.
"$py" - "$work/esp/trace.pcap" "$work/esp/c1.pcap" <<'PY' || fail "c1 did not receive the Reset with exactly one bit flipped"
import struct, sys
def esp_to_c1(path):
    d = open(path, "rb").read()
    off, out = 24, []
    while off + 16 <= len(d):
        n = struct.unpack_from("<I", d, off + 8)[0]
        f = d[off + 16:off + 16 + n]
        off += 16 + n
        if f[12:14] == b"\x08\x00" and f[23] == 50 and f[30:34] == bytes([192, 0, 2, 101]):
            out.append(f)
    return out
sent, got = esp_to_c1(sys.argv[1])[0], esp_to_c1(sys.argv[2])[0]
bits = sum(bin(a ^ b).count("1") for a, b in zip(sent, got))
assert len(sent) == len(got) and bits == 1, bits
PY
[ "$("$bin" verify "$work/esp/trace.pcap" >/dev/null 2>&1; echo $?)" = 0 ] || fail "the wire trace must verify"

for bad in fault_unknown_action:do fault_bad_message:msg fault_partition_unknown_node:and; do
	f=${bad%%:*}; field=${bad##*:}
	set +e
	"$bin" run "$src/tests/data/bad/$f.yaml" --out "$work/bad-$f" 2>"$work/err" >/dev/null
	rc=$?
	set -e
	[ $rc -eq 2 ] || fail "$f: exit $rc, want 2"
	grep -Eq "tests/data/bad/$f.yaml:[0-9]+: field '$field'" "$work/err" || { cat "$work/err"; fail "$f: error does not name file:line and field '$field'"; }
	[ ! -e "$work/bad-$f" ] || fail "$f: wrote partial results"
done
echo "faults e2e: ok"
