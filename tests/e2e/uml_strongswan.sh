#!/usr/bin/env bash
# strongSwan on a real kernel, two charons and no rmcpsec code: in a
# UML guest, charon in h1 initiates to charon in h2 (IKEv2, PSK, X25519, transport mode,
# a CHILD_SA for UDP 664 only, through kernel-netlink into the guest's XFRM). UDP 664
# datagrams cross and come back under ESP; the CHILD_SA is rekeyed with PFS; the next
# datagrams cross under the new SPIs.
# Usage (ctest): bash uml_strongswan.sh RMCPSEC_BINARY SOURCE_DIR
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
. "$src/tests/uml/uml.sh"
uml_init || exit 1
UML_TIMEOUT=150
W=$UML_DIR/work
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

mkdir -p "$W/rounds/1-established" "$W/rounds/2-rekeyed"
printf 'ike-%d\n' 1 2 3 >"$W/rounds/1-established/send.txt"
printf 'rekeyed-%d\n' 1 2 3 >"$W/rounds/2-rekeyed/send.txt"
: >"$W/rounds/1-established/echo"
: >"$W/rounds/2-rekeyed/echo"

uml_run_guest "$W" "$src/tests/uml/guest/strongswan.sh"
rc=$?
echo "guest rc=$rc, wall ${UML_WALL}s"
cat "$W/guest.out" 2>/dev/null
[ $rc -eq 0 ] || note_fail "guest script exit status $rc"

# spi_of FILE: the SPI (hex) of a raw IPv4 ESP packet.
spi_of() { od -An -tx1 -j20 -N4 "$1" | tr -d ' \n'; }

check_round() { # ROUND OUT_SPI PAYLOAD...
	local r=$W/rounds/$1 spi=$2 want="" got p f n=0
	shift 2
	for p in "$@"; do want="$want$(hex "$p") "; done
	got=$(awk '{ printf "%s ", $3 }' "$r/out/received.txt" 2>/dev/null)
	[ "$got" = "$want" ] || note_fail "$(basename "$r"): h2 received [$got], want [$want]"
	[ -s "$r/out/stat.delta" ] && note_fail "$(basename "$r"): xfrm_stat moved: $(cat "$r/out/stat.delta")"
	for f in "$r"/out/sent/*.ip; do
		[ -e "$f" ] || break
		n=$((n + 1))
		[ "$(od -An -tu1 -j9 -N1 "$f" | tr -d ' ')" = 50 ] || note_fail "$(basename "$r"): $f is not ESP"
		[ "$(spi_of "$f")" = "$spi" ] || note_fail "$(basename "$r"): $f has SPI $(spi_of "$f"), want $spi"
	done
	[ $n -eq $# ] || note_fail "$(basename "$r"): $n ESP packets on the wire, want $#"
	n=$(ls "$r/out/captured" 2>/dev/null | wc -l)
	[ "$n" -eq $# ] || note_fail "$(basename "$r"): $n ESP answers from h2, want $#"
}

if [ $rc -eq 0 ]; then
	old_out=$(awk 'NR == 1 { print $2 }' "$W/spis.before")
	new_out=$(grep -vxFf "$W/spis.before" "$W/spis.after" | awk 'NR == 1 { print $2 }')
	echo "CHILD_SA outbound SPI before rekey: $old_out, after: ${new_out:-none}"
	[ -n "$old_out" ] || note_fail "no CHILD_SA after IKE_AUTH"
	[ -n "$new_out" ] || note_fail "no new CHILD_SA after the rekey"
	check_round 1-established "$old_out" ike-1 ike-2 ike-3
	[ -z "$new_out" ] || check_round 2-rekeyed "$new_out" rekeyed-1 rekeyed-2 rekeyed-3
	grep -q 'mode transport' "$W/xfrm_h1.before" || note_fail "the kernel SA is not in transport mode"
	for d in ch1 ch2; do
		grep -q 'IKE_SA rmcp\[1\] established' "$W/$d/charon.log" || note_fail "$d: no IKE_SA established"
		grep -q 'CHILD_SA rmcp{2} established' "$W/$d/charon.log" || note_fail "$d: no rekeyed CHILD_SA"
	done
	grep -q 'CURVE_25519' "$W/ch1/charon.log" || note_fail "no X25519 in the log"
fi

if [ $failed -ne 0 ]; then
	uml_dump_log
	for d in ch1 ch2; do echo "--- $d/charon.log"; tail -n 60 "$W/$d/charon.log" 2>/dev/null; done
fi
dir=$UML_DIR
uml_cleanup
uml_check_leftovers "" "" "$dir" || failed=1
[ $failed -eq 0 ] && echo "PASS: two charons in UML: IKEv2 PSK transport-mode CHILD_SA for UDP 664, rekeyed with PFS (wall ${UML_WALL}s)"
exit $failed
