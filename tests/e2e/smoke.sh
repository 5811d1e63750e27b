#!/usr/bin/env bash
# End to end: run scenarios/smoke.yaml twice with one seed and check that
# (1) both runs pass and are byte-identical (trace and results),
# (2) tshark dissects every frame, finds nothing malformed, and sees the
#     expected RMCP/ASF messages in the expected order,
# (3) bad scenarios exit 2 naming file:line and the field, and write nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
work_dir smoke

"$bin" run "$src/scenarios/smoke.yaml" --seed 7 --out "$work/A" >"$work/A.log" || { cat "$work/A.log"; fail "run A"; }
"$bin" run "$src/scenarios/smoke.yaml" --seed 7 --out "$work/B" >"$work/B.log" || fail "run B"
cmp "$work/A/trace.pcap" "$work/B/trace.pcap" || fail "traces differ for one seed"
cmp "$work/A/results.json" "$work/B/results.json" || fail "results differ for one seed"
grep -q '"seed": 7' "$work/A/results.json" || fail "seed not in results"
"$bin" run "$src/scenarios/smoke.yaml" --seed 8 --out "$work/C" >/dev/null || fail "run C"
! cmp -s "$work/A/trace.pcap" "$work/C/trace.pcap" || fail "another seed gave the same trace: is the seed used?"

trace=$work/A/trace.pcap
total=$(tshark -r "$trace" | wc -l)
[ "$total" -gt 10 ] || fail "only $total frames"
malformed=$(tshark -r "$trace" -Y '_ws.malformed || _ws.expert.severity >= "error"' | wc -l)
[ "$malformed" -eq 0 ] || { tshark -r "$trace" -Y _ws.malformed; fail "$malformed malformed frames"; }
bad_csum=$(tshark -r "$trace" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-Y 'ip.checksum.status == "Bad" || udp.checksum.status == "Bad"' | wc -l)
[ "$bad_csum" -eq 0 ] || fail "$bad_csum frames with bad checksums"

# The RMCP/ASF message types Wireshark decodes, in order (ACKs have no ASF type).
tshark -r "$trace" -Y 'asf' -T fields -e asf.type | tr -d ' ' >"$work/types"
seq=$(tr '\n' ' ' <"$work/types")
echo "asf types seen by tshark: $seq"
expect_order="0x80 0x40 0x82 0x42 0x10"
pos=0
for t in $expect_order; do
	line=$(tail -n +$((pos + 1)) "$work/types" | grep -n -m1 -x "$t" | cut -d: -f1) || fail "asf type $t not seen in order"
	pos=$((pos + line))
done
[ "$(tshark -r "$trace" -Y 'rmcp' | wc -l)" -gt 0 ] || fail "no rmcp frames"
resets_to_c2=$(tshark -r "$trace" -Y 'asf.type == 0x10 && ip.dst == 192.0.2.102' | wc -l)
[ "$resets_to_c2" -eq 0 ] || fail "c2 got a reset"

for bad in unknown_field:colour bad_time:at unknown_client:client; do
	f=${bad%%:*}; field=${bad##*:}
	set +e
	"$bin" run "$src/tests/data/bad/$f.yaml" --out "$work/bad-$f" 2>"$work/err" >/dev/null
	rc=$?
	set -e
	[ $rc -eq 2 ] || fail "$f: exit $rc, want 2"
	grep -Eq "tests/data/bad/$f.yaml:[0-9]+: field '$field'" "$work/err" || { cat "$work/err"; fail "$f: error does not name file:line and field '$field'"; }
	[ ! -e "$work/bad-$f" ] || fail "$f: wrote partial results"
done
echo "smoke e2e: ok ($total frames)"
