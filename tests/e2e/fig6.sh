#!/usr/bin/env bash
# The mechanism end to end, judged from the outputs:
# - `rmcpsec suite scenarios/fig6` passes every row with the robust profile
#   and prints, per row, what it observed;
# - row 7: the primary hangs in the middle of a refresh, the secondary
#   takes over; from the trace alone (tshark, no rmcpsec code): no (SPI,
#   sequence) pair is sent twice, and where both servers sent under one SPI
#   the secondary started above the primary's last number;
# - tshark decrypts the IKE exchanges with the exported table and every ESP
#   packet with the exported esp_sa, ICVs good;
# - the same seed gives byte-identical traces with IKE and the store.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
work_dir fig6

"$bin" suite "$src/scenarios/fig6" --out "$work/out" >"$work/suite.log" 2>&1 ||
	{ cat "$work/suite.log"; fail "the fig6 suite does not pass"; }
for row in row2 row3 row4 row5 row6 row7 row8 row9 long; do
	grep -A1 "fig6/$row" "$work/suite.log" | grep -q "observed: IKE" ||
		fail "$row: no observation line"
done
grep -q "secondary took over" "$work/suite.log" || fail "row 7: no takeover observed"

r7=$work/out/row7-failover
primary=02:00:00:00:01:01
backup=02:00:00:00:01:02
tshark -n -r "$r7/trace.pcap" -Y esp -T fields -e eth.src -e esp.spi -e esp.sequence \
	2>/dev/null >"$work/esp.txt"
[ "$(wc -l <"$work/esp.txt")" -gt 50 ] || fail "row 7: too few ESP frames"
dups=$(awk '{print $2, $3}' "$work/esp.txt" | sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] || fail "row 7: $dups (SPI, sequence) pairs repeated"
# SPIs both servers sent under: the secondary continues above the primary
shared=0
for spi in $(awk -v p=$primary '$1 == p {print $2}' "$work/esp.txt" | sort -u); do
	pmax=$(awk -v p=$primary -v s="$spi" '$1 == p && $2 == s {print $3}' "$work/esp.txt" | sort -n | tail -1)
	bmin=$(awk -v b=$backup -v s="$spi" '$1 == b && $2 == s {print $3}' "$work/esp.txt" | sort -n | head -1)
	[ -n "$bmin" ] || continue
	shared=$((shared + 1))
	[ "$bmin" -gt "$pmax" ] || fail "row 7: SPI $spi: secondary started at $bmin, primary reached $pmax"
done
[ "$shared" -ge 2 ] || fail "row 7: expected the secondary to continue at least two SAs, saw $shared"

# IKE and ESP open with the exported keys, in Wireshark's own dissectors.
r2=$work/out/row2-refresh
ws_profile "$r2" "$r2/esp_sa" "$r2/ikev2_decryption_table"
ts() { tshark_keys "$r2" "$r2/trace.pcap" "$@"; }
auth=$(ts -Y isakmp.auth.method -T fields -e frame.number | wc -l)
[ "$auth" -ge 2 ] || fail "row 2: tshark did not decrypt IKE_AUTH ($auth frames with AUTH)"
good=$(ts -Y esp.icv_good==1 -T fields -e frame.number | wc -l)
bad=$(ts -Y esp.icv_bad==1 -T fields -e frame.number | wc -l)
asf=$(ts -Y asf -T fields -e frame.number | wc -l)
[ "$good" -gt 20 ] && [ "$bad" -eq 0 ] && [ "$asf" -gt 20 ] ||
	fail "row 2: ESP ICVs good $good, bad $bad, ASF decoded $asf"

# Determinism with IKE, the commit and the SQLite store.
"$bin" run "$src/scenarios/fig6/row7-failover.yaml" --out "$work/a" >/dev/null
"$bin" run "$src/scenarios/fig6/row7-failover.yaml" --out "$work/b" >/dev/null
cmp "$work/a/trace.pcap" "$work/b/trace.pcap" || fail "row 7: traces differ between two runs"
cmp "$work/a/results.json" "$work/b/results.json" || fail "row 7: results differ"
echo "fig6: suite passes; row 7 $(wc -l <"$work/esp.txt") ESP frames, 0 repeated pairs, $shared SAs continued by the secondary; row 2 IKE decrypted, $good ICVs good"
